"""Reading a co-handler's opinion (会办意见) or a reply (答复) out of text as it is found.

Pages carry noise: site navigation and footers, the letter printed twice (run together, then
with line breaks), ASCII instead of full-width punctuation, labels padded with spaces
("承   办   人:"), dates in Chinese numerals (二〇二二年六月三十日), 【】 around document numbers,
traditional characters. The parser reads what is there and says where: each field found has a
:class:`Span` in :attr:`ParsedLetter.text`; a field that is not there is None, never guessed;
two different values for one field give a warning and None.

Every pattern here is linear (no nested quantifiers), so a 5 MB page is read in well under a
second.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Iterator
from typing import Any

import attrs

from cohandle._errors import CohandleError, InvalidInput, got
from cohandle._model import narrow
from cohandle._text import CHINESE_NUMERALS as _CN
from cohandle._text import chinese_int, ideographs

__all__ = ["LetterError", "ParsedLetter", "Span", "parse_letter"]


class LetterError(CohandleError):
    """The input is not text a letter can be read from (binary data, not Unicode)."""


@attrs.frozen
class Span:
    """Where a value was found: ``text[start:end]`` of :attr:`ParsedLetter.text`."""

    start: int
    end: int


@attrs.frozen(kw_only=True)
class ParsedSection:
    heading: str
    text: str = ""
    subsections: tuple[ParsedSection, ...] = ()


@attrs.frozen(kw_only=True)
class ParsedLetter:
    """What a letter says. ``to_json()`` gives the stable machine-readable form."""

    text: str
    kind: str | None = None
    body: str | None = None
    level: str | None = None
    session_term: int | None = None
    session_meeting: int | None = None
    number: str | None = None
    proposal_title: str | None = None
    author_unit: str | None = None
    addressee: str | tuple[str, ...] | None = None
    category: str | None = None
    letter_date: _dt.date | None = None
    published_date: _dt.date | None = None
    doc_number: str | None = None
    issuer: str | None = None
    issuer_phone: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    postal_code: str | None = None
    copies: tuple[str, ...] = ()
    disclosure: str | None = None
    sections: tuple[ParsedSection, ...] = ()
    body_text: str | None = None
    attachments: tuple[str, ...] = ()
    spans: dict[str, Span] = attrs.field(factory=dict)
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The machine-readable form: these keys always, null where absent."""
        addressee: Any = list(self.addressee) if isinstance(self.addressee, tuple) else self.addressee
        return {
            "kind": self.kind,
            "body": self.body,
            "level": self.level,
            "session_term": self.session_term,
            "session_meeting": self.session_meeting,
            "number": self.number,
            "proposal_title": self.proposal_title,
            "author_unit": self.author_unit,
            "addressee": addressee,
            "category": self.category,
            "letter_date": self.letter_date.isoformat() if self.letter_date else None,
            "published_date": self.published_date.isoformat() if self.published_date else None,
            "doc_number": self.doc_number,
            "issuer": self.issuer,
            "issuer_phone": self.issuer_phone,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "postal_code": self.postal_code,
            "copies": list(self.copies),
            "attachments": list(self.attachments),
            "disclosure": self.disclosure,
            "warnings": list(self.warnings),
        }


# -- numerals and names --------------------------------------------------------------------------

_HAN = r"\u4e00-\u9fff"
_NAME = rf"[{_HAN}](?:[^\S\n]{{0,3}}[{_HAN}]){{1,3}}?(?=[^\S\n]*(?:联\s*系|电\s*话|手\s*机|\n|$|[，,；;、（(]|[^\S\n]{{2,}}|[^\S\n]\d))"
# a mobile number, whole or in groups (139 0000 1234, 139-0000-1234), or a landline with its
# area code and extension
_PHONE = r"1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)|(?:\(?0\d{2,3}\)?[- ]?)?\d{7,8}(?:-\d{1,5})?(?!\d)"
_COLON = r"[:：]"
_SAYS = rf"(?:\s*{_COLON}|[^\S\n]*\t)"  # a label's colon, or the tab of a table copied out of Word


def _squeeze(text: str) -> str:
    """A name without the padding spaces some pages put inside it."""
    return re.sub(r"[\s\u3000]+", "", text)


# -- the patterns --------------------------------------------------------------------------------

_WRAP = r"[^\S\n]*\n(?![^\S\n]*\n)[^\S\n]*"  # a title set on two lines: one line break, not a blank line
_TITLE = re.compile(
    rf"关于(?:对)?(?P<inner>(?:[{_HAN}0-9０-９]|{_WRAP}){{0,40}}?)第\s*(?P<number>[0-9０-９]{{1,12}})\s*号"
    rf"(?:[（(][^）)\n]{{1,60}}[）)])?"  # the items merged into it: （并第20230577号）, （第0456号并案）
    rf"(?:{_WRAP})?(?:代表)?(?P<item>提案|建议|议案)(?P<tail>(?:[^\n]|{_WRAP}){{0,40}}?)"
    rf"(?P<what>会办(?:工作)?的?(?:意见|函)|(?:办理情况)?的?答复(?:函)?|办理意见)"
)
_MENTION = re.compile(
    rf"(?P<inner>[{_HAN}]{{0,30}}?)第\s*(?P<number>[0-9０-９]{{1,12}})\s*号(?:代表)?(?P<item>提案|建议|议案)"
)
_SESSION = re.compile(  # in a title set on two lines, the break may fall after 届 or before 会议
    rf"(?P<term>[0-9{_CN}]{{1,3}})届(?:[{_HAN}]|{_WRAP}){{0,8}}?(?:第)?(?P<meeting>[0-9{_CN}]{{1,3}})次"
    rf"(?:{_WRAP})?(?:全体)?(?:{_WRAP})?会议"
)
_QUOTED_TITLE = re.compile(r"[“\"「《](?P<title>关于[^”\"」》\n]{2,80}?)[”\"」》]")
_PUBLISHED = re.compile(
    rf"(?:发布|发表|公开)(?:时间|日期){_COLON}?\s*(?P<y>\d{{4}})[-/.年](?P<m>\d{{1,2}})[-/.月](?P<d>\d{{1,2}})"
)
_DATE = re.compile(
    rf"(?P<y>\d{{4}}|[〇○零Ｏ一二三四五六七八九]{{4}})\s*年\s*(?P<m>\d{{1,2}}|[{_CN}]{{1,2}})\s*月\s*(?P<d>\d{{1,2}}|[{_CN}]{{1,3}})\s*日"
)
_DOC_NUMBER = re.compile(r"[〔\[【(（]\s*(?P<year>\d{4})\s*[〕\]】)）]\s*(?P<serial>\d{1,5})\s*号")
_AGENCY = re.compile(rf"[{_HAN}]{{1,10}}$")
# a unit's 负责人 (单位负责人, 会办单位负责人, or alone at a line's start), not a project's in the body
_ISSUER = re.compile(
    # (the check of what stands before 负 follows it, and each label is spelt out from its
    # first character, so that the search skips to those characters rather than trying every
    # position: a class of them, [主分], or a look behind first, would make it try them all)
    rf"(?:签\s*发\s*人|主\s*管\s*领\s*导|分\s*管\s*领\s*导|负(?<![^\s位]负)\s*责\s*人)(?:姓\s*名)?{_SAYS}\s*(?P<name>{_NAME})"
)
_CONTACT = re.compile(rf"(?:经\s*办\s*人|承\s*办\s*人|联\s*系\s*人)(?:姓\s*名)?{_SAYS}\s*(?P<name>{_NAME})")
_PHONE_LABEL = re.compile(rf"(?:(?:联\s*系\s*)?电\s*话|手\s*机){_SAYS}\s*(?P<phone>{_PHONE})")
_PHONE_BESIDE = re.compile(rf"[^\S\n]*(?:[（(](?P<open>)[^\S\n]*)?(?P<phone>{_PHONE})[^\S\n]*(?(open)[）)])")
_PHONE_LINE = re.compile(
    rf"\n[^\S\n]*(?:(?:联\s*系\s*)?电\s*话|手\s*机){_SAYS}\s*(?P<phone>{_PHONE})[^\S\n]*(?=\n|$)"
)
_POSTAL = re.compile(rf"(?:邮\s*政\s*编\s*码|邮\s*编)\s*{_COLON}?\s*(?P<code>\d{{6}})(?!\d)")
_COPIES = re.compile(rf"抄\s*送{_SAYS}\s*(?P<list>[^\n。]{{1,300}})")
_DISCLOSURE = re.compile(
    r"(?:此件|此文|公开属性|公开方式)?[:：]?(?<!\s)\s*+(?P<value>主动公开|依申请公开|不予公开)"
    r"|此[件文]\s*(?P<said>公开发布|不公开)"  # the 附注 of GB/T 9704 written in other words
)
_DISCLOSURE_SAID = {"公开发布": "主动公开", "不公开": "不予公开"}
_NUMBERED = re.compile(r"\d{1,2}\s*[.．、]")
_NUMBERED_LINE = re.compile(r"\n[^\S\n]*(?P<item>\d{1,2}\s*[.．、][^\n]{1,300})")
_ATTACHMENTS = re.compile(rf"(?:相关)?附\s*件\s*{_COLON}(?P<list>[^\n]{{0,300}})")
_CATEGORY_LINE = re.compile(
    r"(?m)^[^\S\n]*+(?P<open>[（(])?[^\S\n]*+(?P<cat>[A-DＡ-Ｄ]|[甲乙丙丁])[^\S\n]*+(?:类)?[^\S\n]*+"
    r"(?(open)[）)])[^\S\n]*+$"
)
_CATEGORY_LABEL = re.compile(
    rf"(?:答复|办理|办复|会办)?(?:类别|类型){_COLON}?\s*(?P<cat>[A-DＡ-Ｄ甲乙丙丁])(?:类)?(?![{_HAN}A-Za-z])"
)
_TOP_SECTION = re.compile(r"(?m)^[^\S\n]*+(?P<head>[一二三四五六七八九十]{1,3}、[^\n]{0,60})")
# the same after a form's label: 会办意见：一、……, 会办意见<tab>一、…… (a pattern of its own, so
# that the one above still skips from line start to line start); a run of blanks with a tab in
# it is tried once, from its start, not again from each of its tabs (a row of empty cells is a
# run of tabs, and each try went to the run's end)
_FORM_SECTION = re.compile(
    r"(?:(?<![^\S\n])(?=[^\S\n]*\t)|意见[:：])[^\S\n]*+(?P<head>[一二三四五六七八九十]{1,3}、[^\n]{0,60})"
)
_SUB_SECTION = re.compile(r"(?m)^[^\S\n]*+(?P<head>[（(][一二三四五六七八九十]{1,3}[）)][^\n]{0,60})")

# Labels that end in a colon and are not an addressee.
_LABELS = (
    "发布时间", "发布日期", "栏目", "来源", "主管领导", "联系电话", "电话", "经办人", "承办人", "联系人", "相关附件",
    "附件", "抄送", "类别", "标题", "索引号", "发文机关", "发布机构", "签发人", "邮政编码", "邮编", "时间", "作者",
    "主题分类", "文号", "成文日期", "公开方式", "公开属性", "答复类别", "办理类别", "浏览次数", "字号",
    "上一篇", "下一篇", "上一条", "下一条", "当前位置", "相关链接", "相关文章", "手机", "分管领导", "负责人",
)  # fmt: skip
# A form's fields (会办意见表, 办理情况表, as an OA system prints one): a label at a line's start
# (its characters spread apart or not: 案    由), then a colon, a tab (a table copied out of
# Word) or a wide space, then the value.
_FORM_LABELS = {
    "number": re.compile(r"(?P<item>提案|建议|议案)(?:编号|序号|号)"),
    "proposal_title": re.compile(r"(?:提案|建议|议案)(?:标题|题目|名称)|案由"),
    "lead": re.compile(r"主办单位(?:名称)?"),
    "author": re.compile(r"会办单位(?:名称)?"),
    "proposers": re.compile(r"(?:领衔|第一)?(?:提案人|提出人)|领衔代表|提出代表|代表姓名"),
    "opinion": re.compile(r"(?:会办|办理|答复)意见|办理情况"),
}
_FORM_FIELD = re.compile(
    rf"(?m)^[^\S\n]*+(?P<label>[{_HAN}](?:[^\S\n]{{0,6}}[{_HAN}]){{1,7}})"
    rf"(?:{_SAYS}|[^\S\n]{{2,}})[^\S\n]*+(?P<value>[^\n]*)"  # to the line's end: stripped where read
)


def _form_label(label: str) -> tuple[str, re.Match[str]] | None:
    """The field a form's label names, and its match (whose ``item`` says 提案 or 建议)."""
    squeezed = _squeeze(label)
    for field, pattern in _FORM_LABELS.items():
        match = pattern.fullmatch(squeezed)
        if match is not None:
            return field, match
    return None


_NAVIGATION = re.compile(
    r"[^\S\n]*+(?:上一篇|下一篇|上一条|下一条|相关(?:链接|文章|阅读)?|推荐阅读|热点|当前位置)"
)
_ADDRESSEE = re.compile(
    rf"(?m)(?:^|(?<=[A-DＡ-Ｄ甲乙丙丁]))[^\S\n]*+(?:尊敬的)?(?P<addr>[{_HAN}（）()、，,][{_HAN}（）()、，, 0-9０-９]{{1,59}}?)"
    rf"[^\S\n]*+{_COLON}"
)
_HONORIFICS = ("委员", "代表", "同志", "先生", "女士", "老师")
# A line of the body that ends in a colon too: a lead-in (现答复如下：, 主要做法是：) or a point
# of a list (一是……：, （一）……：), which no unit's or person's name reads as.
_LEAD_IN = re.compile(
    r"如下|^(?:[一二三四五六七八九十]+[、是]|[（(][一二三四五六七八九十0-9]+[）)]|第[一二三四五六七八九十]+|首先|其次|最后|下一步)"
    r"|^.{3,}[是将为]$|.(?:包括|要求|措施|做法|情况)$"  # not a name: 李为, 张大为 are
)


# -- the parser ----------------------------------------------------------------------------------


class _Found:
    """Collects values with their spans; two different values for one field become a warning."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.spans: dict[str, Span] = {}
        self.warnings: list[str] = []
        self.conflicted: set[str] = set()
        self.signatures: list[tuple[int, int]] = []
        self.signed: list[int] = []  # where each signature begins: its unit's line, or its date's

    def put(self, field: str, value: Any, start: int, end: int) -> None:
        if value is None or field in self.conflicted:
            return
        if field in self.values and self.values[field] != value:
            self.warnings.append(
                f"{field}: the text gives both {self.values[field]!r} and {value!r}; left empty"
            )
            self.conflicted.add(field)
            del self.values[field]
            del self.spans[field]
            return
        if field not in self.values:
            self.values[field] = value
            self.spans[field] = Span(start, end)


@functools.cache
def _converter() -> Any:
    try:
        import opencc
    except ImportError:  # pragma: no cover - the letters extra brings it
        return None
    return opencc.OpenCC("t2s")


def _simplified(text: str) -> tuple[str, bool]:
    converter = _converter()
    if converter is None:  # pragma: no cover - the letters extra brings it
        return text, False
    converted: str = converter.convert(text)
    return converted, converted != text


_TRADITIONAL_HINTS = frozenset("關於對會議號辦見屆經聯繫電話郵編碼廳簽發類別處長書記黨")


def decoded(data: bytes, encoding: str = "utf-8") -> str:
    """``data`` as text in ``encoding``; text that begins with the byte-order mark of UTF-16
    (Notepad's "Unicode") or UTF-8 is read so whatever ``encoding`` says, without its mark.
    Raises ``UnicodeDecodeError``, and ``LookupError`` for an encoding Python does not know."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    return data.decode(encoding)


_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file's first bytes
_NOT_READ = (  # files that are not text, by how they begin, and what to do with each instead
    (_OLE, "a Word 97-2003 or WPS document (.doc, .wps), which is not read: save it as .docx or as text"),
    (b"%PDF-", "a PDF, which is not read: copy its text into a text file, or give the letter as .docx"),
)  # fmt: skip
# A .docx protected by a password is not a ZIP archive but an OLE compound file, as a .doc is,
# holding the encrypted document in a stream of this name (MS-OFFCRYPTO 2.3.4.4).
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def not_read(data: bytes) -> str | None:
    """What ``data`` is, and what to give instead, when it is a kind of file that is not read
    (a .doc, a .docx protected by a password, a PDF); None for any other."""
    if data.startswith(_OLE) and _ENCRYPTED in data:
        return (
            "a Word document protected by a password (an encrypted .docx), which cannot be read: save "
            "it again without its password"
        )
    return next((what for start, what in _NOT_READ if data.startswith(start)), None)


def read_text(text: str | bytes, encoding: str = "utf-8") -> str:
    """The text of a letter or a form given as text, or as a file's bytes: in ``encoding``, by
    its byte-order mark, or a Word document's; a .doc, a .wps, a PDF or binary data refused
    with :class:`LetterError`, saying what to give instead."""
    if not isinstance(encoding, str) or not encoding:
        raise InvalidInput("encoding", f"must name an encoding, such as 'gb18030' (got {got(encoding)})")
    if isinstance(text, bytes) and text.startswith(_ZIP):
        from cohandle.letters._word import word_text  # python-docx is imported only for a .docx

        text = word_text(text)
    if isinstance(text, bytes):
        what = not_read(text)
        if what is not None:
            raise LetterError(f"The input is {what}.")
        try:
            text = decoded(text, encoding)
        except LookupError:
            raise InvalidInput("encoding", f"names no encoding Python knows (got {got(encoding)})") from None
        except UnicodeDecodeError as exc:
            raise LetterError(
                f"The input is not {exc.encoding} text (byte {exc.start}); give its encoding, as "
                "encoding='gb18030' for a page saved on Chinese Windows."
            ) from None
    if not isinstance(text, str):
        raise LetterError(f"A letter is text, not a {type(text).__name__}.")
    if "\x00" in text:
        raise LetterError("The input holds NUL bytes: it is binary data, not a letter.")
    return text


def _as_ideographs(text: str, warnings: list[str]) -> str:
    """``text`` with radicals and compatibility ideographs that stand for characters as those
    characters, said in ``warnings`` when there were any."""
    read = ideographs(text)
    if read != text:  # a radical that stands for no character (⺀) is kept, and is not said
        warnings.append(
            "radicals or compatibility ideographs that stand for characters (⼈ for 人, as text taken "
            "from a PDF carries them) were read as those characters"
        )
    return read


def parse_letter(text: str | bytes, *, encoding: str = "utf-8") -> ParsedLetter:
    """Read a letter out of ``text``. Never guesses: what is not there is None.

    Bytes are read in ``encoding`` (``"gb18030"`` for a page saved on Chinese Windows), or as
    UTF-16 when they begin with its byte-order mark; the bytes of a Word document (.docx) are
    read as its text (with ``cohandle[letters]``, which brings python-docx). A .doc, a .wps or
    a PDF is refused with :class:`LetterError`, saying what to give instead."""
    text = read_text(text, encoding)
    found = _Found()
    text = _as_ideographs(text, found.warnings)
    if any(ch in _TRADITIONAL_HINTS for ch in text[:20000]):
        if _converter() is None:  # without the letters extra, fewer fields are found, unsaid
            found.warnings.append(
                "the letter seems to be in traditional characters, read as they are: install "
                "cohandle[letters] (opencc) to have them converted"
            )
        text, changed = _simplified(text)
        if changed:
            found.warnings.append(
                "traditional characters were converted to simplified ones to read the letter"
            )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    _read_title(text, found)
    form_body = _read_form(text, found)
    _read_quoted_title(text, found)
    _read_dates(text, found)
    ascii_signs = narrow(text)  # one character for one: what is found keeps its place
    _read_people(ascii_signs, found)
    _read_misc(text, ascii_signs, found)
    addressee_end = _read_addressee(text, found)
    _read_category(text, found, addressee_end)
    _read_author(text, found)
    sections = _read_sections(text, found.signed)
    body_text = None
    body_start = addressee_end if addressee_end >= 0 else form_body
    if body_start >= 0:
        ends = [start for start in found.signed if start > body_start]
        if ends:
            body_text = text[body_start : _body_end(text, body_start, ends)].strip() or None
    if not found.values:
        found.warnings.append("nothing that looks like a 会办意见 or a 答复 was found")
    v = found.values
    return ParsedLetter(
        text=text,
        kind=v.get("kind"),
        body=v.get("body"),
        level=v.get("level"),
        session_term=v.get("session_term"),
        session_meeting=v.get("session_meeting"),
        number=v.get("number"),
        proposal_title=v.get("proposal_title"),
        author_unit=v.get("author_unit"),
        addressee=v.get("addressee"),
        category=v.get("category"),
        letter_date=v.get("letter_date"),
        published_date=v.get("published_date"),
        doc_number=v.get("doc_number"),
        issuer=v.get("issuer"),
        issuer_phone=v.get("issuer_phone"),
        contact_name=v.get("contact_name"),
        contact_phone=v.get("contact_phone"),
        postal_code=v.get("postal_code"),
        copies=v.get("copies", ()),
        disclosure=v.get("disclosure"),
        sections=sections,
        body_text=body_text,
        attachments=v.get("attachments", ()),
        spans=found.spans,
        warnings=tuple(found.warnings),
    )


_PLACE_MARK = re.compile(r"自治区|自治州|自治县|省|市|州|盟|县|区|旗")
_PLACE_LEVEL = {
    "自治区": "province",
    "省": "province",
    "自治州": "city",
    "市": "city",
    "州": "city",
    "盟": "city",
}
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")  # 直辖市: of a province's level


def _level(inner: str) -> str | None:
    """The level of the body an item was put to, from the place before it: the last mark of a
    place counts (湖北省武汉市江岸区政协 is a district's), and the four municipalities under the
    central government (北京市) are of a province's level."""
    if "全国" in inner:
        return "national"
    marks = list(_PLACE_MARK.finditer(inner))
    if not marks:
        return "province" if any(name in inner for name in _MUNICIPALITIES) else None
    last = marks[-1]
    if last.group() == "市" and inner[: last.start()].endswith(_MUNICIPALITIES):
        return "province"
    return _PLACE_LEVEL.get(last.group(), "county")


def _on_navigation_line(text: str, position: int) -> bool:
    line_start = text.rfind("\n", 0, position) + 1
    return _NAVIGATION.match(text, line_start) is not None


def _read_title(text: str, found: _Found) -> None:
    for match in _TITLE.finditer(text):
        if _on_navigation_line(text, match.start()):
            continue  # a link to another letter
        what = match.group("what")
        found.put("kind", "cohandler_opinion" if "会办" in what else "reply", *match.span())
        _read_item(text, match, found)
    if "number" not in found.values and "number" not in found.conflicted:
        # no title on the page: the body names the item ("……第20230519号提案提出的有关……")
        mention = _MENTION.search(text)
        if mention is not None:
            _read_item(text, mention, found)
    _read_kind_from_body(text, found)


def _read_form(text: str, found: _Found) -> int:
    """The fields of a form, one to a line: the number, the title, the lead unit (an opinion's
    addressee), the co-handler (its author), the proposers (a reply's addressees). Returns
    where the form's opinion or reply begins (its label's value), or -1."""
    body_start = -1
    kind = found.values.get("kind")
    for match in _FORM_FIELD.finditer(text):
        named = _form_label(match.group("label"))
        if named is None:
            continue
        field, label = named
        value, start = match.group("value").rstrip(), match.start("value")
        end = start + len(value)
        if field == "opinion":
            body_start = start if body_start < 0 else body_start
        elif not value:
            continue
        elif field == "number":
            number = re.fullmatch(r"(?:第[^\S\n]*)?(?P<n>[0-9０-９]{1,12})[^\S\n]*号?", value)
            if number is not None:
                found.put(
                    "number", narrow(number.group("n")), start + number.start("n"), start + number.end("n")
                )
                found.put("body", "cppcc" if label.group("item") == "提案" else "npc", *match.span("label"))
        elif field == "proposal_title":
            title = value.strip('《》“”"「」')
            if title:
                begin = start + value.index(title)
                found.put("proposal_title", title, begin, begin + len(title))
        elif field == "lead" and kind == "cohandler_opinion":
            found.put("addressee", _squeeze(value), start, end)
        elif field == "author" and kind == "cohandler_opinion":
            if not re.search(r"[、，,；;]", value):  # a reply's form lists them all: not its author
                found.put("author_unit", _squeeze(value), start, end)
        elif field == "proposers" and kind == "reply":
            found.put("addressee", _proposers(value), start, end)
    return body_start


_OTHERS = re.compile(rf"(?<=[{_HAN}]{{2}})等(?:[0-9０-９]{{1,3}}|[{_CN}]{{1,3}})?[位名人]?$")


def _proposers(addr: str) -> tuple[str, ...]:
    """The people a reply is addressed to, without their honorifics (委员, 代表) and without the
    等 that stands for the others of a joint item (李明等委员, 李明等5位代表: 李明)."""
    cleaned: list[str] = []
    for name in (n for n in re.split(r"[、，,]", _squeeze(addr)) if n):
        for honorific in _HONORIFICS:
            name = name.removesuffix(honorific)
        name = _OTHERS.sub("", name)
        for honorific in _HONORIFICS:  # 李明委员等
            name = name.removesuffix(honorific)
        # 张三和李四: two people; 社会和法制委员会: one committee, whose name is longer
        people = re.split(r"[和及]", name)
        cleaned.extend(people if all(2 <= len(p) <= 4 for p in people) else [name])
    return tuple(cleaned)


def _read_item(text: str, match: re.Match[str], found: _Found) -> None:
    """Body, level, session and number from a title or a mention of the item."""
    inner, item = match.group("inner"), match.group("item")
    joined = "".join(inner.split())  # a title set on two lines: 湖北省人 / 大十四届…
    body = "npc" if ("人大" in joined or item in ("建议", "议案")) else "cppcc"
    found.put("body", body, *match.span("inner"))
    found.put("level", _level(joined), *match.span("inner"))
    number = match.group("number").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    found.put("number", number, *match.span("number"))
    session = _SESSION.search(inner)
    if session is not None:
        base = match.start("inner")
        for key, group in (("session_term", "term"), ("session_meeting", "meeting")):
            found.put(
                key, chinese_int(session.group(group)), base + session.start(group), base + session.end(group)
            )


_REPLY_PHRASE = re.compile(r"现(?:将[^\n。]{0,20})?答复如下")


def _read_kind_from_body(text: str, found: _Found) -> None:
    """Without a title, the body's standing phrases tell the kind of letter."""
    if "kind" in found.values or "kind" in found.conflicted:
        return
    for phrase in ("请综合后一并答复", "会办意见"):
        index = text.find(phrase)
        if index >= 0:
            found.put("kind", "cohandler_opinion", index, index + len(phrase))
            return
    reply = _REPLY_PHRASE.search(text)
    if reply is not None:
        found.put("kind", "reply", *reply.span())


def _read_quoted_title(text: str, found: _Found) -> None:
    titles: dict[str, tuple[int, int]] = {}
    for match in _QUOTED_TITLE.finditer(text):
        title = match.group("title").strip()
        if title.endswith(("的建议", "的提案", "的议案", "建议", "提案")) or "建议" in title:
            titles.setdefault(title, match.span("title"))
    if len(titles) == 1:
        ((title, span),) = titles.items()
        found.put("proposal_title", title, *span)
    elif len(titles) > 1:
        found.warnings.append(f"proposal_title: the text names several ({'、'.join(titles)}); left empty")


def _date(match: re.Match[str]) -> _dt.date | None:
    year, month, day = (chinese_int(match.group(k)) for k in ("y", "m", "d"))
    if year is None or month is None or day is None:
        return None
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def _read_dates(text: str, found: _Found) -> None:
    published = [(m, _date(m)) for m in _PUBLISHED.finditer(text)]
    for match, day in published:
        found.put("published_date", day, *match.span())
    taken = [m.span() for m, _ in published]
    # the letter's date stands on a line of its own, under the signature
    candidates = []
    for match in _DATE.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end < 0 else line_end
        before = text[line_start : match.start()].strip()
        after = text[match.end() : line_end].strip()
        signature_line = (
            not before
            or before.endswith(("局", "厅", "委", "会", "办", "院", "部", "府", "室", "处", "委员会"))
        ) and (not after or after.startswith(("主管", "经办", "承办", "联系", "（", "(")))
        if signature_line:
            candidates.append((match, _date(match)))
    for match, day in candidates:
        found.put("letter_date", day, *match.span())
    found.signatures = [match.span() for match, _ in candidates]


def _phone_after(text: str, position: int) -> re.Match[str] | None:
    """The phone number of the person named just before ``position``: labelled on the same
    line before the next person's label (联系电话：…), unlabelled right after the name (王五
    13912345678, 李强（027-85000001）), or labelled alone on the next line."""
    line_end = text.find("\n", position)
    line_end = len(text) if line_end < 0 else line_end
    next_person = _CONTACT.search(text, position, line_end) or _ISSUER.search(text, position, line_end)
    labelled = _PHONE_LABEL.search(text, position, next_person.start() if next_person else line_end)
    if labelled is not None:
        return labelled
    beside = _PHONE_BESIDE.match(text, position, line_end)
    if beside is not None:
        return beside
    return _PHONE_LINE.match(text, line_end)


def _read_people(text: str, found: _Found) -> None:
    for match in _ISSUER.finditer(text):
        found.put("issuer", _squeeze(match.group("name")), *match.span("name"))
        phone = _phone_after(text, match.end())
        if phone is not None:
            found.put("issuer_phone", phone.group("phone"), *phone.span("phone"))
    for match in _CONTACT.finditer(text):
        found.put("contact_name", _squeeze(match.group("name")), *match.span("name"))
        phone = _phone_after(text, match.end())
        if phone is not None:
            found.put("contact_phone", phone.group("phone"), *phone.span("phone"))


def _read_misc(text: str, ascii_signs: str, found: _Found) -> None:
    """Document number, postal code, copies, attachments and disclosure; ``ascii_signs`` is
    the text with full-width digits and signs narrowed, where numbers are read."""
    for match in _DOC_NUMBER.finditer(text):
        window = max(0, match.start() - 12)
        agency_match = _AGENCY.search(text[window : match.start()].rstrip())
        if agency_match is None:
            continue
        agency = agency_match.group()[-6:]  # the issuing organ's short name, e.g. 鄂知函
        start = window + agency_match.end() - len(agency)
        found.put(
            "doc_number",
            f"{agency}〔{int(match.group('year'))}〕{int(match.group('serial'))}号",
            start,
            match.end(),
        )
    for match in _POSTAL.finditer(ascii_signs):
        found.put("postal_code", match.group("code"), *match.span("code"))
    for match in _COPIES.finditer(text):
        names = tuple(
            n.strip(" \u3000。.")
            for n in re.split(r"[、，,；;]", match.group("list"))
            if n.strip(" \u3000。.")
        )
        found.put("copies", names, *match.span("list"))
    for match in _DISCLOSURE.finditer(text):
        if match.group("value") is not None:
            found.put("disclosure", match.group("value"), *match.span("value"))
        else:
            found.put("disclosure", _DISCLOSURE_SAID[match.group("said")], *match.span("said"))
    for match in _ATTACHMENTS.finditer(text):
        items = [a.strip() for a in re.split(r"(?<!\d)、|[；;]|\s{2,}", match.group("list")) if a.strip()]
        end = match.end("list")
        if items and _NUMBERED.match(items[0]):  # 附件：1.……, the next ones each on a line of its own
            while (more := _NUMBERED_LINE.match(text, end)) is not None:
                items.append(more.group("item").strip())
                end = more.end()
        found.put("attachments", tuple(items), match.start("list"), end)


def _addressees(text: str) -> Iterator[re.Match[str]]:
    for match in _ADDRESSEE.finditer(text):
        addr = match.group("addr").strip()
        squeezed = _squeeze(addr)
        if any(label in squeezed for label in _LABELS) or _LEAD_IN.search(squeezed.removeprefix("尊敬的")):
            continue
        if _form_label(squeezed) is not None:  # 提案号：20230519, 主办单位：省科技厅
            continue
        if _TITLE.search(addr):
            continue
        yield match


def _read_addressee(text: str, found: _Found) -> int:
    """The addressee: a unit for an opinion, proposers for a reply, the first line after the
    title that ends in a colon (after each title, for a page that prints the letter twice);
    what the body says after a colon is not one. Returns where the first ends."""
    first_end = -1
    titles = [title.end() for title in _TITLE.finditer(text)] or [0]
    for start, end in zip(titles, [*titles[1:], len(text)], strict=True):
        match = next(_addressees(text[start:end]), None)
        if match is None:
            continue
        addr = _squeeze(match.group("addr"))
        addr = addr.removeprefix("尊敬的")
        value: Any = _proposers(addr) if found.values.get("kind") == "reply" else addr
        found.put("addressee", value, start + match.start("addr"), start + match.end("addr"))
        if first_end < 0:
            first_end = start + match.end()
    return first_end


def _read_category(text: str, found: _Found, addressee_end: int) -> None:
    """A reply category mark: a lone letter (or 甲/乙/丙) near the top, a letter glued to the
    addressee, or a label such as 答复类别. A content-type tag (类别:提案) is not one."""
    for match in _CATEGORY_LABEL.finditer(text):
        found.put("category", _ascii(match.group("cat")), *match.span("cat"))
    for match in _CATEGORY_LINE.finditer(text):
        if addressee_end < 0 or match.start() < addressee_end + 200:
            found.put("category", _ascii(match.group("cat")), *match.span("cat"))
    for match in _addressees(text):
        start = match.start()
        glued = (
            start > 0
            and text[start - 1] in "ABCDＡＢＣＤ"
            and (start < 2 or not text[start - 2].isascii() or not text[start - 2].isalpha())
        )
        if glued:
            found.put("category", _ascii(text[start - 1]), start - 1, start)


def _ascii(letter: str) -> str:
    return letter.translate(str.maketrans("ＡＢＣＤ", "ABCD"))


_UNIT_END = (
    "局",
    "厅",
    "委",
    "会",
    "办",
    "院",
    "部",
    "府",
    "室",
    "处",
    "中心",
    "公司",
    "委员会",
    "政府",
    "办公室",
    "集团",
)


_GLUED_UNIT = re.compile(rf"[。；;！…\s]([{_HAN}（）()]{{2,30}}?(?:{'|'.join(_UNIT_END)}))$")


def _read_author(text: str, found: _Found) -> None:
    """The signing unit: the line just above each signature date, or the unit glued before it
    in a copy printed without line breaks."""
    for start, _ in found.signatures:
        line_start = text.rfind("\n", 0, start) + 1
        same_line = text[line_start:start].strip()
        found.signed.append(start if same_line else line_start)
        if same_line:
            glued = (
                _GLUED_UNIT.search(text[max(line_start, start - 40) : start]) if len(same_line) > 2 else None
            )
            if re.fullmatch(rf"[{_HAN}（）()]{{2,40}}", _squeeze(same_line)) and same_line.endswith(
                _UNIT_END
            ):
                begin = text.find(same_line, line_start)
                found.put("author_unit", _squeeze(same_line), begin, begin + len(same_line))
                found.signed[-1] = line_start
            elif glued is not None:
                begin = start - len(text[max(line_start, start - 40) : start]) + glued.start(1)
                found.put("author_unit", glued.group(1), begin, begin + len(glued.group(1)))
                found.signed[-1] = begin
            continue
        previous_end = line_start - 1
        while previous_end > 0 and not text[text.rfind("\n", 0, previous_end) + 1 : previous_end].strip():
            previous_end = text.rfind("\n", 0, previous_end)
        previous_start = text.rfind("\n", 0, previous_end) + 1
        candidate = text[previous_start:previous_end].strip()
        if re.fullmatch(rf"[{_HAN}（）()]{{2,40}}", _squeeze(candidate)) and _squeeze(candidate).endswith(
            _UNIT_END
        ):
            begin = text.find(candidate, previous_start)
            found.put("author_unit", _squeeze(candidate), begin, begin + len(candidate))
            found.signed[-1] = previous_start


def _read_sections(text: str, signed: list[int]) -> tuple[ParsedSection, ...]:
    """Numbered parts at line starts: 一、… with （一）… under them (the line-broken copy); the
    last ends where a signature begins (``signed``), its unit's line included."""
    tops = {  # a heading after a tab at a line's start is found by both patterns: once is enough
        m.start("head"): (m.start("head"), m.end("head"), m.group("head").strip(), 0)
        for pattern in (_TOP_SECTION, _FORM_SECTION)
        for m in pattern.finditer(text)
    }
    heads = sorted(
        [*tops.values()]
        + [(m.start("head"), m.end("head"), m.group("head").strip(), 1) for m in _SUB_SECTION.finditer(text)]
    )
    sections: list[ParsedSection] = []
    current: list[ParsedSection] = []
    top: tuple[str, str] | None = None
    seen: set[str] = set()
    for index, (_, end, head, depth) in enumerate(heads):
        nxt = heads[index + 1][0] if index + 1 < len(heads) else _body_end(text, end, signed)
        body = text[end:nxt].strip()
        if depth == 0:
            if top is not None:
                sections.append(ParsedSection(heading=top[0], text=top[1], subsections=tuple(current)))
            if head in seen:  # the same letter printed again
                top = None
                break
            seen.add(head)
            top, current = (head, body), []
        elif top is not None:
            current.append(ParsedSection(heading=head, text=body))
    if top is not None:
        sections.append(ParsedSection(heading=top[0], text=top[1], subsections=tuple(current)))
    return tuple(sections)


def _body_end(text: str, start: int, signed: list[int]) -> int:
    """Where the body stops: at the signature (its unit, or its date), the contact lines, or
    the end."""
    ends = [len(text), *(at for at in signed if at >= start)]
    # a date is the signature's only where no signature was found: one in the body is the body's
    for pattern in (_ISSUER, _CONTACT, _COPIES) if len(ends) > 1 else (_DATE, _ISSUER, _CONTACT, _COPIES):
        match = pattern.search(text, start)
        if match is not None:
            ends.append(
                text.rfind("\n", start, match.start())
                if "\n" in text[start : match.start()]
                else match.start()
            )
    return max(start, min(ends))
