"""Value objects of the domain: units, people, sessions, proposals, opinions, replies, feedback.

Every class here is frozen and compared by value. Collections are tuples. Validation happens in
the constructors, so an object that exists is well formed; the messages name the field and
what was expected.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs
import pendulum

from cohandle._clock import moment
from cohandle._codec import Misfit, make_check
from cohandle._errors import InvalidInput, got
from cohandle._text import CHINESE_NUMERALS, chinese_int, ideographs

__all__ = [
    "ABC",
    "ABCD",
    "JIA_YI_BING",
    "PROPOSER_PARTY",
    "Actor",
    "AssignmentMode",
    "Body",
    "CategoryScheme",
    "Contact",
    "ContactMethod",
    "Deadline",
    "DeadlineKind",
    "DeadlineStatus",
    "Disclosure",
    "Feedback",
    "Level",
    "Opinion",
    "ProposalData",
    "Proposer",
    "ProposerKind",
    "PublicationForm",
    "Reply",
    "Satisfaction",
    "Section",
    "Session",
    "TrackedDeadline",
    "Unit",
]


class _LabelledEnum(enum.StrEnum):
    """A string enum whose members also carry the Chinese term officials use."""

    label: str

    def __new__(cls, value: str, label: str) -> _LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Body(_LabelledEnum):
    """Which body the item belongs to: a CPPCC proposal or an NPC deputy's suggestion."""

    CPPCC = ("cppcc", "政协提案")
    NPC = ("npc", "人大代表建议")

    @property
    def item(self) -> str:
        """What an item is called after its number: 提案 (第20230519号提案), 建议 (第1025号建议)."""
        return "提案" if self is Body.CPPCC else "建议"


class Level(_LabelledEnum):
    NATIONAL = ("national", "全国")
    PROVINCE = ("province", "省级")
    CITY = ("city", "市级")
    COUNTY = ("county", "县级")


class ProposerKind(_LabelledEnum):
    MEMBER = ("member", "委员")
    DEPUTY = ("deputy", "代表")
    PARTY = ("party", "党派团体")
    COMMITTEE = ("committee", "专门委员会")
    SECTOR = ("sector", "界别")
    DELEGATION = ("delegation", "代表团")


class AssignmentMode(_LabelledEnum):
    """How an item is assigned (交办)."""

    SOLE = ("sole", "单独办理")
    LEAD_WITH_CO_HANDLERS = ("lead_with_co_handlers", "主办会办")
    SEPARATE = ("separate", "分办")


class Satisfaction(_LabelledEnum):
    SATISFIED = ("satisfied", "满意")
    BASICALLY_SATISFIED = ("basically_satisfied", "基本满意")
    DISSATISFIED = ("dissatisfied", "不满意")


class ContactMethod(_LabelledEnum):
    """How a handling unit was in touch with a proposer (沟通): 见面率 counts meetings."""

    MEETING = ("meeting", "见面")
    PHONE = ("phone", "电话")
    WRITING = ("writing", "书面")
    ONLINE = ("online", "网络")


class Disclosure(_LabelledEnum):
    """公开属性 of a reply."""

    PUBLIC = ("public", "主动公开")
    ON_REQUEST = ("on_request", "依申请公开")
    NOT_PUBLIC = ("not_public", "不予公开")


class PublicationForm(_LabelledEnum):
    """How a reply is published: in full (全文公开), or a summary of it (摘要公开)."""

    FULL = ("full", "全文公开")
    SUMMARY = ("summary", "摘要公开")


def _text(field: str, value: object, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text (got {got(value)})")
    stripped: str = value.strip()
    if not stripped and not allow_empty:
        raise InvalidInput(field, "must not be empty")
    return stripped


def _sequence(field: str, value: Iterable[Any] | None) -> tuple[Any, ...]:
    """A list, a tuple or any other iterable as a tuple; None is empty."""
    if value.__class__ is tuple:
        return value
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput(field, f"must be a list or tuple (got {got(value)})")
    return tuple(value)


def _proposers(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return _sequence("ProposalData.proposers", value)


def _subsections(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return _sequence("Section.subsections", value)


def _categories(value: Iterable[Any] | None) -> tuple[Any, ...]:
    pairs = _sequence("CategoryScheme.categories", value)
    return tuple(tuple(pair) if isinstance(pair, list) else pair for pair in pairs)


def _opinion_sections(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return _sequence("Opinion.sections", value)


def _attachments(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return _sequence("Opinion.attachments", value)


def _reply_sections(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return _sequence("Reply.sections", value)


def _addressees(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return _sequence("Reply.addressees", value)


def _copies(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return _sequence("Reply.copies", value)


_CHECKS: dict[type[Any], Callable[[Any], Misfit | None]] = {}
_Class = TypeVar("_Class", bound=type)


def _typed(cls: _Class) -> _Class:
    """Check every field's value against its declared type once the converters have run, then
    run the class's own checks: an object that exists holds what its fields say."""
    own = cls.__dict__.get("__attrs_post_init__")

    def post_init(self: Any) -> None:
        kind = self.__class__
        check = _CHECKS.get(kind)
        if check is None:
            check = _CHECKS[kind] = make_check(kind)
        misfit = check(self)
        if misfit is not None:
            field, expected, value, item = misfit
            where = ", among them" if item else ""
            raise InvalidInput(
                f"{kind.__name__}.{field}",
                f"must be {expected} (got {got(value)}{where})",
            )
        if own is not None:
            own(self)

    cls.__attrs_post_init__ = post_init  # type: ignore[attr-defined]
    return cls


def as_date(field: str, value: object) -> pendulum.Date:
    """Read a date: a ``date``, a pendulum Date or ISO text; a datetime is refused."""
    if value.__class__ is pendulum.Date:
        return value
    if isinstance(value, _dt.datetime):
        raise InvalidInput(field, f"must be a date, not a datetime (got {value!r})")
    if isinstance(value, pendulum.Date):
        return value
    if isinstance(value, _dt.date):
        return pendulum.Date(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            parsed = _dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(field, f"must be an ISO date such as 2023-04-10 (got {value!r})") from None
        return pendulum.Date(parsed.year, parsed.month, parsed.day)
    raise InvalidInput(field, f"must be a date (got {got(value)})")


# Characters that print as nothing, which a name copied from a page or a document can carry:
# zero-width spaces and joiners, a word joiner, a byte-order mark, a soft hyphen.
_UNSEEN = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Full-width letters and digits (ＸＸ市第１中学), which an input method types as readily as ASCII.
_WIDE_ALNUM = str.maketrans(
    {chr(code): chr(code - 0xFEE0) for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for code in range(start, end + 1)}
)  # fmt: skip
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff（）〔〕【】《》、·"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE_IN_CHINESE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def person_name(field: str, value: object) -> str:
    """A person's name without the padding spaces some pages put inside it (程 浩 → 程浩), nor
    characters that print as nothing, and with the characters a PDF's text gives as radicals
    (⼈ for 人) as those characters."""
    if isinstance(value, str):
        return _person_form(field, str(value))
    return _text(field, value)  # refused: not text


@functools.lru_cache(maxsize=4096)  # a log names the same people again and again
def _person_form(field: str, value: str) -> str:
    return "".join(ideographs(_text(field, value.translate(_UNSEEN))).split())


def _unit_name(value: object) -> str:
    """A unit's name in one form however it was typed or copied, so that a unit is the same
    unit whoever names it: without characters that print as nothing, nor spaces between
    Chinese characters (湖北省 知识产权局, as pages pad names), other spaces one, full-width
    letters and digits as ASCII, a Chinese name's brackets full width (省人民政府（办公厅）,
    as GB/T 9704 sets them, however the input method typed them), and the characters a PDF's
    text gives as radicals (⼈⺠政府) as those characters (人民政府)."""
    if isinstance(value, str):
        return _unit_form(str(value))
    return _text("Unit.name", value)  # refused: not text


@functools.lru_cache(maxsize=4096)  # a log names the same units again and again
def _unit_form(value: str) -> str:
    name = " ".join(ideographs(_text("Unit.name", value.translate(_UNSEEN))).translate(_WIDE_ALNUM).split())
    if _HAN.search(name):
        name = name.replace("(", "（").replace(")", "）")
    return _SPACE_IN_CHINESE.sub("", name)


def _contact_name(value: object) -> str:
    return person_name("Contact.name", value)


def untitled(name: str) -> str:
    """A member's or deputy's name without the title letters put after it (李明委员, 王红代表 →
    李明, 王红): letters add it again. Bodies keep theirs (经济委员会, 湖北代表团)."""
    if name.endswith(("委员", "代表")) and len(name) > 2:
        return name[:-2]
    return name


def _proposer_name(value: object) -> str:
    return untitled(person_name("Proposer.name", value))


def _actor_name(value: object) -> str:
    return person_name("Actor.name", value)


def _region(value: object) -> str:
    return _text("Session.region", value)


_PHONE = re.compile(r"[0-9+()\- ]{3,32}")
_POSTAL_CODE = re.compile(r"\d{6}")  # of any script, as read before full-width ones were narrowed
_WIDE = str.maketrans({chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {"\u3000": " "})


def narrow(text: str) -> str:
    """Full-width letters, digits and signs as their ASCII forms (０２７－８６７５９０５２ as
    027-86759052), one character for one: a Chinese input method types either."""
    return text.translate(_WIDE)


def _number(value: object) -> str:
    number = narrow(_text("ProposalData.number", value))
    # 第156号 or 第156号提案, as letters name an item: the number is 156, which letters wrap
    # again (第156号提案, not 第第156号号提案), and the id holds once
    if number.startswith("第") or number.endswith(("号", "号提案", "号建议")):
        inner = number.removeprefix("第").removesuffix("提案").removesuffix("建议").removesuffix("号").strip()
        if inner:
            return inner
    return number


def _phone(value: object) -> object:
    """A phone number in ASCII, without the line break at its end that the check let through
    before it matched the whole number (so the logs of then still read)."""
    if isinstance(value, str):
        return narrow(value).removesuffix("\n")
    return value


def _postal_code(value: object) -> object:
    """Six digits of any script (430071, ４３００７１) as six ASCII digits; anything else as it
    is, for the check to refuse."""
    if isinstance(value, str) and _POSTAL_CODE.fullmatch(value):
        return f"{int(value):06d}"
    return value


_PLAIN_CATEGORIES = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ甲乙丙丁")
_CATEGORY_MARK = re.compile(r"([A-Za-z]|[甲乙丙丁])[^\S\n]*类?")


def category_code(value: object) -> object:
    """A reply category as an official writes it, as its code: A类, a, Ａ and Ａ类 are A, 乙类 is
    乙. Anything else (a local scheme's 一类, a number) is kept as it is, for the scheme to judge."""
    if not isinstance(value, str) or value in _PLAIN_CATEGORIES:  # a list is unhashable: checked later
        return value
    mark = _CATEGORY_MARK.fullmatch(narrow(value).strip())
    return value if mark is None else mark.group(1).upper()


# marks a title is copied with from a list or a letter (《关于……的建议》, “关于……的建议”),
# which letters put around it again: 《《关于……的建议》》
_TITLE_MARKS = {"《": "》", "“": "”", '"': '"', "「": "」", "『": "』", "〈": "〉", "<": ">"}


def _title(value: object) -> str:
    title = ideographs(_text("ProposalData.title", value))
    close = _TITLE_MARKS.get(title[0])
    if close is not None and title.endswith(close) and len(title) > 2:
        inner = title[1:-1].strip()
        if title[0] not in inner and close not in inner and inner:  # not 《甲》和《乙》
            return inner
    return title


def _opinion_date(value: object) -> pendulum.Date:
    return as_date("Opinion.date", value)


def _reply_date(value: object) -> pendulum.Date:
    return as_date("Reply.date", value)


def _feedback_date(value: object) -> pendulum.Date | None:
    return None if value is None else as_date("Feedback.date", value)


_DIGITS = "〇一二三四五六七八九"


def chinese_number(value: int) -> str:
    """A whole number from 1 to 99 in Chinese numerals, as in 十三届一次会议."""
    if not 0 < value < 100:
        return str(value)
    tens, ones = divmod(value, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


@attrs.frozen(kw_only=True)
@_typed
class Unit:
    """An organisation that takes part: a committee, a department, a bureau.

    Units are identified by name; ``code`` (an organisation code) is kept but not compared.
    """

    name: str = attrs.field(converter=_unit_name)
    code: str | None = attrs.field(default=None, eq=False)

    def __str__(self) -> str:
        return self.name


@attrs.frozen(kw_only=True)
@_typed
class Contact:
    """A named person with an optional phone number (主管领导, 经办人). Digits and signs typed
    full width (０２７－８６７５９０５２) are kept as ASCII."""

    name: str = attrs.field(converter=_contact_name)
    phone: str | None = attrs.field(default=None, converter=_phone)

    def __attrs_post_init__(self) -> None:
        if self.phone is not None and not _PHONE.fullmatch(self.phone):
            raise InvalidInput(
                "Contact.phone", f"must be a phone number such as 027-86759052 (got {self.phone!r})"
            )

    def __str__(self) -> str:
        return f"{self.name} {self.phone}" if self.phone else self.name


@attrs.frozen(kw_only=True)
@_typed
class Proposer:
    """Who put the item forward: a member or deputy, a party or group, a committee. A phone
    typed full width is kept as ASCII, as a contact's is. A name typed with the title letters put
    after it (李明委员, 王红代表) is kept without it, as is a proposer's acting in their own name
    (``Actor(name="李明委员")`` is 李明)."""

    name: str = attrs.field(converter=_proposer_name)
    kind: ProposerKind = ProposerKind.MEMBER
    phone: str | None = attrs.field(default=None, converter=_phone)  # kept, never printed in a letter


@attrs.frozen(kw_only=True)
@_typed
class Session:
    """The meeting an item was raised at, e.g. 省政协十三届一次会议."""

    body: Body
    level: Level
    region: str = attrs.field(converter=_region)
    term: int
    meeting: int
    year: int | None = None
    between_sessions: bool = False

    def __attrs_post_init__(self) -> None:
        for name in ("term", "meeting"):
            value = getattr(self, name)
            if value < 1:
                raise InvalidInput(f"Session.{name}", f"must be a whole number of 1 or more (got {value!r})")

    @property
    def key(self) -> str:
        """Body, region, term and meeting (``cppcc-湖北省-13-1``); a proposal's id begins with it."""
        return f"{self.body.value}-{self.region}-{self.term}-{self.meeting}"

    def within(self, key: str) -> bool:
        """Whether this is the session ``key`` names (its :attr:`key`, ``cppcc-湖北省-13-1``),
        or one of those the start of a key names: ``cppcc-湖北省-13`` every meeting of the 13th
        committee, ``cppcc-湖北省`` every term of it, ``npc`` every congress. The start is
        whole parts: ``cppcc-湖北省-1`` is the 1st committee, never the 13th. The session's name
        with its region, as :meth:`describe` and officials write it, is read as its key:
        ``湖北省政协十三届一次会议``, ``湖北省政协十三届`` (the term),
        ``湖北省第十四届人民代表大会第一次会议``. Anything else is refused with :class:`InvalidInput`."""
        key = session_key("key", key)
        parts = (self.body.value, self.region, str(self.term), str(self.meeting))
        return any(key == "-".join(parts[:count]) for count in range(1, 5))

    def describe(self) -> str:
        """The session as officials write it: the committee's region before its term
        (``湖北省政协十三届一次会议``, ``全国政协十四届一次会议``), the congress's term before its
        name (``湖北省十四届人大一次会议``, ``十四届全国人大一次会议``)."""
        term, meeting = chinese_number(self.term), chinese_number(self.meeting)
        if self.body is Body.CPPCC:
            return f"{self.region}政协{term}届{meeting}次会议"
        if self.level is Level.NATIONAL:
            return f"{term}届{self.region}人大{meeting}次会议"
        return f"{self.region}{term}届人大{meeting}次会议"


_BODIES = frozenset(body.value for body in Body)


_N = f"[0-9{CHINESE_NUMERALS}]{{1,3}}"
_MEETING = rf"(?:第?(?P<meeting>{_N})次(?:全体)?会议)?"
_CONGRESS = "人(?:大|民代表大会)"
# A session as officials name it, the name's region (or 全国) and numbers as the key's parts;
# with the meeting left out, every meeting of the term, and with the term, every term.
_SESSION_NAMES = (
    # 湖北省政协十三届一次会议, 全国政协十四届二次会议, 湖北省政协第十三届委员会第一次会议
    (Body.CPPCC, re.compile(rf"(?P<region>.+?)政协(?:第?(?P<term>{_N})届(?:委员会)?{_MEETING})?(?:委员会)?")),
    # 中国人民政治协商会议湖北省第十三届委员会第一次会议, 中国人民政治协商会议第十四届全国委员会
    (
        Body.CPPCC,
        re.compile(
            rf"中国人民政治协商会议(?P<region>.*?)第?(?P<term>{_N})届(?P<national>全国)?委员会{_MEETING}"
        ),
    ),
    # 十四届全国人大一次会议, 第十四届全国人民代表大会第二次会议
    (Body.NPC, re.compile(rf"第?(?P<term>{_N})届(?P<national>全国){_CONGRESS}{_MEETING}")),
    # 湖北省十四届人大一次会议, 湖北省第十四届人民代表大会第一次会议
    (Body.NPC, re.compile(rf"(?P<region>.+?)第?(?P<term>{_N})届{_CONGRESS}(?:常务委员会)?{_MEETING}")),
    # 湖北省人大十四届一次会议, 湖北省人大, 全国人大
    (Body.NPC, re.compile(rf"(?P<region>.+?){_CONGRESS}(?:第?(?P<term>{_N})届{_MEETING})?")),
)


_LEVEL_WORDS = frozenset(
    ("省", "市", "县", "区", "自治区", "自治州", "州", "盟", "旗", "本省", "本市", "我省", "我市")
)


def _key_of_name(field: str, name: str) -> str | None:
    """The session key (or start of one) of a session's name, or None if it is not one."""
    name = "".join(narrow(name).split())
    for body, pattern in _SESSION_NAMES:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        named = match.groupdict()
        region = "全国" if named.get("national") else named.get("region") or ""
        if region in _LEVEL_WORDS:  # 省政协: every province has one
            raise InvalidInput(
                field,
                f"names no region: {name!r} could be any province's, city's or county's; name the "
                "region as the log does, such as 湖北省政协十三届一次会议 or 武汉市十五届人大",
            )
        if not region or region.startswith(("第", "中国人民政治协商会议")):
            continue
        numbers = [chinese_int(named[part]) for part in ("term", "meeting") if named.get(part)]
        if any(number is None or number < 1 for number in numbers):
            continue
        return "-".join([body.value, region, *(str(number) for number in numbers)])
    return None


def session_key(field: str, value: object) -> str:
    """``value`` checked as :meth:`Session.within` reads it: a session's key or its start, or the
    session's name as :meth:`Session.describe` and officials write it (``湖北省政协十三届一次会议``,
    ``湖北省政协十三届``, ``湖北省第十四届人民代表大会第一次会议``), read as the key it names."""
    key = _text(field, value)
    if key.partition("-")[0] in _BODIES:
        return key
    named = _key_of_name(field, key)
    if named is None:
        raise InvalidInput(
            field,
            f"must be a session key such as cppcc-湖北省-13-1, or its start (cppcc-湖北省-13 for "
            f"every meeting of a term), beginning with cppcc or npc, or the session's name with its "
            f"region, such as 湖北省政协十三届一次会议 or 湖北省十四届人大 (got {key!r})",
        )
    return named


@attrs.frozen(kw_only=True)
@_typed
class ProposalData:
    """What was proposed: the number, the title, the proposers (the first is 第一提案人). A number
    typed full width (２０２３０５１９) is kept as ASCII, and one typed as letters name the item
    (第0156号, 第0156号提案) as the number alone (0156): each is the same number, and the same id.
    A title copied with the marks around it (《关于……的建议》, “关于……的建议”) is kept without
    them, as letters put them around it again."""

    number: str = attrs.field(converter=_number)
    title: str = attrs.field(converter=_title)
    session: Session
    proposers: tuple[Proposer, ...] = attrs.field(converter=_proposers)
    summary: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.proposers:
            raise InvalidInput("ProposalData.proposers", "must name at least one proposer")
        names = [p.name for p in self.proposers]
        if len(set(names)) != len(names):
            raise InvalidInput("ProposalData.proposers", f"names a proposer twice ({', '.join(names)})")

    @property
    def joint(self) -> bool:
        return len(self.proposers) > 1

    @functools.cached_property
    def proposer_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.proposers)


@attrs.frozen(kw_only=True)
@_typed
class Section:
    """A numbered part of a letter's body (一、主要工作情况 with (一)…(四) under it)."""

    heading: str = ""
    text: str = ""
    subsections: tuple[Section, ...] = attrs.field(default=(), converter=_subsections)


@attrs.frozen(kw_only=True)
@_typed
class CategoryScheme:
    """A reply category scheme: A/B/C, A/B/C/D, 甲/乙/丙, or a local one."""

    name: str
    categories: tuple[tuple[str, str], ...] = attrs.field(converter=_categories)

    def __attrs_post_init__(self) -> None:
        codes = [code for code, _ in self.categories]
        if not codes or len(set(codes)) != len(codes):
            raise InvalidInput("CategoryScheme.categories", "must list distinct category codes")

    @functools.cached_property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.categories)

    def label(self, code: str) -> str:
        for known, label in self.categories:
            if known == code:
                return label
        raise InvalidInput(
            "code",
            f"must be one of the {self.name} scheme's codes, {', '.join(self.codes)} (got {got(code)})",
        )


ABC = CategoryScheme(
    name="ABC",
    categories=(
        ("A", "已经解决或基本解决"),
        ("B", "正在解决或已列入计划解决"),
        ("C", "因条件限制留作参考或不可行"),
    ),
)
ABCD = CategoryScheme(
    name="ABCD",
    categories=(
        ("A", "已经解决或基本解决"),
        ("B", "正在解决或已列入计划解决"),
        ("C", "因条件限制暂不能解决"),
        ("D", "留作参考"),
    ),
)
JIA_YI_BING = CategoryScheme(
    name="甲乙丙",
    categories=(
        ("甲", "已经解决或基本解决"),
        ("乙", "正在解决或已列入计划解决"),
        ("丙", "因条件限制留作参考"),
    ),
)


@attrs.frozen(kw_only=True)
@_typed
class Opinion:
    """A co-handler's written opinion (会办意见) to the lead unit. Its postal code is six digits,
    kept as ASCII whichever digits were typed (４３００７１ is 430071)."""

    author: Unit
    addressee: Unit
    date: pendulum.Date = attrs.field(converter=_opinion_date)
    sections: tuple[Section, ...] = attrs.field(converter=_opinion_sections)
    suggested_category: str | None = attrs.field(default=None, converter=category_code)
    signatory: Contact | None = None
    handler: Contact | None = None
    postal_code: str | None = attrs.field(default=None, converter=_postal_code)
    doc_number: str | None = None
    attachments: tuple[str, ...] = attrs.field(default=(), converter=_attachments)

    def __attrs_post_init__(self) -> None:
        if not any(s.text.strip() or s.heading.strip() or s.subsections for s in self.sections):
            raise InvalidInput("Opinion.sections", "must say something: an opinion cannot be empty")
        if self.postal_code is not None and not _POSTAL_CODE.fullmatch(self.postal_code):
            raise InvalidInput("Opinion.postal_code", f"must be six digits (got {self.postal_code!r})")


@attrs.frozen(kw_only=True)
@_typed
class Reply:
    """The answer (答复) to the proposer(s), with its category and its copies (抄送). A category
    written as officials write it (A类, Ａ, a) is kept as its code (A).

    ``addressees`` names the proposers it is written to; left empty, it is written to every
    proposer of the item.
    """

    author: Unit
    category: str = attrs.field(converter=category_code)
    date: pendulum.Date = attrs.field(converter=_reply_date)
    sections: tuple[Section, ...] = attrs.field(converter=_reply_sections)
    addressees: tuple[str, ...] = attrs.field(default=(), converter=_addressees)
    signatory: Contact | None = None
    handler: Contact | None = None
    copies: tuple[Unit, ...] = attrs.field(default=(), converter=_copies)
    disclosure: Disclosure = Disclosure.PUBLIC
    doc_number: str | None = None
    issuer: str | None = None

    def __attrs_post_init__(self) -> None:
        if not any(s.text.strip() or s.heading.strip() or s.subsections for s in self.sections):
            raise InvalidInput("Reply.sections", "must say something: a reply cannot be empty")


@attrs.frozen(kw_only=True)
@_typed
class Feedback:
    """The proposer's view of a reply (征询意见): 满意 / 基本满意 / 不满意."""

    satisfaction: Satisfaction
    comments: str = ""
    unit: Unit | None = None
    date: pendulum.Date | None = attrs.field(default=None, converter=_feedback_date)


class DeadlineKind(_LabelledEnum):
    """What is due. A window (a reassignment request) lapses; an obligation is met or missed."""

    REASSIGNMENT_REQUEST = ("reassignment_request", "申请调整交办")
    CO_HANDLER_OPINION = ("co_handler_opinion", "会办意见")
    RESUBMISSION = ("resubmission", "退回后重报会办意见")
    REPLY = ("reply", "答复")
    PROPOSER_FEEDBACK = ("proposer_feedback", "提案者反馈")
    REHANDLING = ("rehandling", "重新办理答复")
    PUBLICATION = ("publication", "答复公开")

    @property
    def window(self) -> bool:
        return self is DeadlineKind.REASSIGNMENT_REQUEST


class DeadlineStatus(_LabelledEnum):
    OPEN = ("open", "未到期")
    MET = ("met", "按时完成")
    MET_LATE = ("met_late", "逾期完成")
    MISSED = ("missed", "已逾期")
    WAIVED = ("waived", "免除")
    SUPERSEDED = ("superseded", "已延期")
    REVISED = ("revised", "已调整")
    USED = ("used", "已申请")
    LAPSED = ("lapsed", "期限已过")


PROPOSER_PARTY = "提案者"
"""The party of a proposer's deadline (feedback): the proposers as a whole."""


@attrs.frozen(kw_only=True)
@_typed
class Deadline:
    """A deadline as set when its clock started: recorded in the log, never recomputed."""

    kind: DeadlineKind
    party: str
    rule: str
    start: pendulum.Date
    due: pendulum.DateTime
    source: str


@attrs.frozen(kw_only=True)
@_typed
class TrackedDeadline:
    """A recorded deadline and how it stands in the log: open, met, met late, waived..."""

    deadline: Deadline
    status: DeadlineStatus = DeadlineStatus.OPEN
    settled_at: pendulum.DateTime | None = None

    def status_at(self, now: pendulum.DateTime) -> DeadlineStatus:
        """The status at ``now``: an open deadline past its due time is missed (a window lapses)."""
        now = moment("now", now)
        if self.status is DeadlineStatus.OPEN and now > self.deadline.due:
            return DeadlineStatus.LAPSED if self.deadline.kind.window else DeadlineStatus.MISSED
        return self.status


@attrs.frozen(kw_only=True)
@_typed
class Actor:
    """Who performs a command: a person acting for a unit, or a person in their own name.

    A proposer who is a member or deputy acts as ``Actor(name="张三")``; an official acts for a
    unit as ``Actor(name="杨鑫", unit=Unit(name="湖北省知识产权局"))``.
    """

    name: str = attrs.field(converter=_actor_name)
    unit: Unit | None = None

    def __attrs_post_init__(self) -> None:
        if self.unit is None:  # a proposer, named as proposers are kept (李明委员 is 李明)
            name = untitled(self.name)
            if name is not self.name:
                object.__setattr__(self, "name", name)

    def __str__(self) -> str:
        return f"{self.name} ({self.unit.name})" if self.unit else self.name
