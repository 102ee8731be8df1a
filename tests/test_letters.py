"""Reading letters as they are found, writing them as officials write them, and the round trip."""

from __future__ import annotations

import contextlib
import functools
import json
import random
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cohandle
from cohandle import (
    Body,
    Contact,
    Disclosure,
    Level,
    Opinion,
    ProposalData,
    Proposer,
    ProposerKind,
    Reply,
    Section,
    Session,
    Unit,
)
from cohandle.letters import (
    LetterError,
    LetterMismatch,
    chinese_int,
    opinion_from_letter,
    parse_letter,
    render_opinion,
    render_reply,
    write_docx,
)

ROOT = Path(__file__).parent.parent
SEED = ROOT.parent / "shared" / "corpus" / "seed-letter-hubei-ipa-20230519.txt"
FIXTURES = Path(__file__).parent / "fixtures" / "letters"


@pytest.mark.skipif(not SEED.exists(), reason="the shared corpus is not beside this checkout")
def test_the_seed_letter() -> None:
    letter = parse_letter(SEED.read_text(encoding="utf-8"))
    data = letter.to_json()
    expected = {
        "kind": "cohandler_opinion",
        "body": "cppcc",
        "level": "province",
        "session_term": 13,
        "session_meeting": 1,
        "number": "20230519",
        "proposal_title": "关于促进基础研发的建议",
        "author_unit": "湖北省知识产权局",
        "addressee": "省科技厅",
        "category": "B",
        "letter_date": "2023-04-10",
        "published_date": "2023-07-21",
        "issuer": "程浩",
        "contact_name": "杨鑫",
        "contact_phone": "027-86759081",
        "postal_code": "430071",
        "doc_number": None,
        "copies": [],
        "disclosure": None,
    }
    assert {key: data[key] for key in expected} == expected
    assert letter.warnings == ()
    assert [s.heading for s in letter.sections] == ["一、主要工作情况", "二、下一步工作打算"]
    assert len(letter.sections[0].subsections) == 4
    assert letter.issuer_phone == "027-86759052"
    # the body ends where the signature begins: the signing unit is not its last words
    assert letter.sections[-1].text.endswith("为我省高质量发展提供有力支撑。")
    assert letter.body_text is not None and letter.body_text.endswith("为我省高质量发展提供有力支撑。")


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.txt")), ids=lambda p: p.stem)
def test_fixtures_parse_to_what_they_say(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    letter = parse_letter(path.read_text(encoding="utf-8"))
    data = letter.to_json()
    warning = expected.pop("warnings_contain", None)
    assert {key: data[key] for key in expected} == expected
    if warning is None:
        assert [w for w in letter.warnings if "traditional" not in w] == []
    else:
        assert any(warning in w for w in letter.warnings), letter.warnings


# as text taken out of a PDF gives some characters: the radicals that look like them
AS_FROM_A_PDF = str.maketrans("一十人民长大工文门用行见", "⼀⼗⼈⺠⻓⼤⼯⽂⻔⽤⾏⻅")


def test_a_letter_taken_out_of_a_pdf_with_radicals_for_characters_is_read_as_printed() -> None:
    """Before, 湖北省政协⼗三届⼀次会议 (⼗ and ⼀ the Kangxi radicals) named no session, and the
    letter was of no known kind."""
    session = Session(body=Body.CPPCC, level=Level.PROVINCE, region="湖北省", term=13, meeting=1, year=2023)
    data = ProposalData(number="20230519", title="关于发展人民大工业的建议", session=session,
                        proposers=[Proposer(name="李明")])  # fmt: skip
    opinion = Opinion(
        author=Unit(name="湖北省人民政府办公厅"),
        addressee=Unit(name="省工业和信息化厅"),
        date="2023-04-10",
        suggested_category="B",
        sections=[Section(heading="一、主要工作情况", text="认真办理，长期跟踪。")],
        signatory=Contact(name="程浩", phone="027-86759052"),
        handler=Contact(name="杨鑫", phone="027-86759081"),
    )
    printed = render_opinion(opinion, data)
    taken = printed.translate(AS_FROM_A_PDF)
    assert taken != printed and "⼗三届⼀次" in taken
    clean, pdf = parse_letter(printed), parse_letter(taken)
    assert pdf.text == printed and len(pdf.text) == len(taken)  # one for one: spans keep their place
    assert {**pdf.to_json(), "warnings": []} == {**clean.to_json(), "warnings": []}
    assert (pdf.kind, pdf.session_term, pdf.session_meeting) == ("cohandler_opinion", 13, 1)
    assert pdf.warnings == (
        "radicals or compatibility ideographs that stand for characters (⼈ for 人, as text taken "
        "from a PDF carries them) were read as those characters",
    )
    assert opinion_from_letter(pdf, data, Unit(name="省⼯业和信息化厅")).author == Unit(
        name="湖北省人民政府办公厅"
    )
    # a radical that stands for no character of its own is kept, and nothing is said of it
    kept = parse_letter(printed + "\n⺀")
    assert kept.text.endswith("⺀") and kept.warnings == clean.warnings


def test_a_traditional_letter_without_the_letters_extra_says_what_it_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # without opencc it was read as it is, fewer fields found, and nothing said
    from cohandle.letters import _parse

    text = (FIXTURES / "reply-traditional.txt").read_text(encoding="utf-8")
    converted = parse_letter(text)
    assert not any("install cohandle[letters]" in w for w in converted.warnings)
    monkeypatch.setattr(_parse, "_converter", lambda: None)
    unconverted = parse_letter(text)
    assert (
        "the letter seems to be in traditional characters, read as they are: install "
        "cohandle[letters] (opencc) to have them converted"
    ) in unconverted.warnings
    assert parse_letter("省科技厅：\n现答复如下。").warnings == ()  # simplified text: nothing said


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.txt")), ids=lambda p: p.stem)
def test_every_field_says_where_it_was_found(path: Path) -> None:
    letter = parse_letter(path.read_text(encoding="utf-8"))
    for field, span in letter.spans.items():
        value = getattr(letter, field)
        found = letter.text[span.start : span.end]
        if isinstance(value, str) and field not in (
            "kind",
            "body",
            "level",
            "doc_number",
            "addressee",
            "issuer",
            "contact_name",
            "author_unit",
        ):
            assert value in found or found in value, (field, value, found)
        assert span.start < span.end


def test_every_key_of_the_json_form_is_there_with_null_for_absent() -> None:
    data = parse_letter("").to_json()
    assert set(data) >= {
        "kind", "body", "level", "session_term", "session_meeting", "number", "proposal_title", "author_unit",
        "addressee", "category", "letter_date", "published_date", "doc_number", "issuer", "issuer_phone",
        "contact_name", "contact_phone", "postal_code", "copies", "attachments", "disclosure",
    }  # fmt: skip
    assert data["kind"] is None and data["copies"] == []
    assert data["warnings"] == ["nothing that looks like a 会办意见 or a 答复 was found"]


def test_a_content_type_tag_is_not_a_reply_category() -> None:
    text = "类别：提案\n\n关于对市政协十五届三次会议第0157号提案的答复\n\n王红委员：\n　　现答复如下：……\n"
    assert parse_letter(text).category is None


def test_a_letter_saved_as_gb18030_or_utf_16_is_read_in_its_encoding() -> None:
    letter = "关于市政协十四届三次会议第123号提案的答复\n\n张三委员：\n　　现答复如下。\n"
    with pytest.raises(LetterError) as refused:
        parse_letter(letter.encode("gb18030"))
    assert str(refused.value) == (
        "The input is not utf-8 text (byte 0); give its encoding, as encoding='gb18030' for a page "
        "saved on Chinese Windows."
    )
    expected = parse_letter(letter).to_json()
    assert parse_letter(letter.encode("gb18030"), encoding="gb18030").to_json() == expected
    # a byte-order mark says the encoding itself: UTF-16 (Notepad's "Unicode"), UTF-8
    for marked in (
        letter.encode("utf-16"),
        b"\xfe\xff" + letter.encode("utf-16-be"),
        letter.encode("utf-8-sig"),
    ):
        read = parse_letter(marked, encoding="gb18030")
        assert read.to_json() == expected and read.text == letter
    for wrong in ("", None, "no-such-encoding"):
        with pytest.raises(cohandle.InvalidInput, match="encoding"):
            parse_letter(letter.encode("gb18030"), encoding=wrong)  # type: ignore[arg-type]


def test_garbage_binary_and_huge_input() -> None:
    with pytest.raises(LetterError, match="binary"):
        parse_letter("abc\x00def")
    with pytest.raises(LetterError, match="not utf-8 text"):
        noise = random.Random(1)
        parse_letter(bytes(noise.randrange(128, 256) for _ in range(4096)))
    rnd = random.Random(2)
    garbage = "".join(
        chr(rnd.randrange(0x4E00, 0x9FA5)) if rnd.random() < 0.9 else rnd.choice("：:，。\n ")
        for _ in range(20_000)
    )
    letter = parse_letter(garbage)
    assert letter.number is None and letter.kind is None
    huge = ("一二三四五六七八九十 关于 第 号 提案 会办 意见 2023年4月10日 ：" * 20 + "\n") * 8000
    assert len(huge.encode()) > 5_000_000
    letter = parse_letter(huge)
    assert isinstance(letter.warnings, tuple)


# Runs that made a pattern try every way of splitting them (text scraped from a page is often
# padded so): each of these once took minutes or hours at this length, each now takes a few ms.
RUNS = {
    "spaces": " " * 30_000,
    "ideographic spaces": "\u3000" * 30_000,
    "line feeds": "\n" * 30_000,
    "a category letter and spaces": "A" + " " * 30_000 + "x",
    "a disclosure label and spaces": "此件" + " " * 30_000 + "x",
    "a phone label and spaces": "电话：" + " " * 30_000 + "x",
    "a name and spaces": "联系人：李明" + " " * 30_000 + "x",
    "a name, spaces and a digit": "联系人：李明" + " " * 30_000 + "1",
    "a title broken on every line": "关于" + " \n中" * 30_000,
    "a list of attachments, one to a line": "附件：1.x" + "\n1.x" * 30_000,
    "a bracket and spaces": "（" + " " * 30_000 + "B" + " " * 30_000 + "x",
}


def test_long_runs_of_spaces_or_line_feeds_are_read_in_one_pass() -> None:
    """Each text is parsed in a child process that is given two minutes in all, a thousand
    times what the parser takes: a parser that backtracks over the runs never finishes."""
    script = (
        "import json, sys\n"
        "from cohandle.letters import parse_letter\n"
        "for name, text in json.load(sys.stdin).items():\n"
        "    parse_letter(text)\n"
        "    print(name, flush=True)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(RUNS),
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired as exc:
        finished = (exc.stdout or b"").decode().splitlines() if isinstance(exc.stdout, bytes) else []
        unfinished = [name for name in RUNS if name not in finished]
        pytest.fail(f"parsing did not finish in two minutes: {unfinished[0]}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == list(RUNS)


# -- rendering ---------------------------------------------------------------------------------

HAN = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鑫浩婷雪琳晨"
names = st.builds(
    lambda a, b, c: a + b + c, st.sampled_from(HAN), st.sampled_from(GIVEN), st.sampled_from(["", *GIVEN])
)
units = st.builds(
    lambda place, what, end: Unit(name=place + what + end),
    st.sampled_from(["省", "市", "湖北省", "武汉市"]),
    st.sampled_from(["科技", "教育", "财政", "交通运输", "生态环境", "水利"]),
    st.sampled_from(["厅", "局", "委员会"]),
)
phones = st.builds(lambda a, b: f"0{a}-{b}", st.integers(10, 999), st.integers(10_000_000, 99_999_999))
dates = st.dates(
    min_value=__import__("datetime").date(2000, 1, 1), max_value=__import__("datetime").date(2030, 12, 31)
)
_REGIONS = {
    Level.NATIONAL: ["全国"],
    Level.PROVINCE: ["湖北省", "河南省"],
    Level.CITY: ["武汉市"],
    Level.COUNTY: ["竹山县"],
}
sessions = st.sampled_from(list(Level)).flatmap(
    lambda level: st.builds(
        Session,
        body=st.sampled_from(list(Body)),
        level=st.just(level),
        region=st.sampled_from(_REGIONS[level]),
        term=st.integers(1, 30),
        meeting=st.integers(1, 9),
    )
)
sections = st.lists(
    st.builds(
        lambda n, text: Section(heading=f"{'一二三四五'[n]}、工作情况", text=text),
        st.integers(0, 4),
        st.sampled_from(["认真办理。", "下一步将继续推进。", "已列入计划。"]),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda s: s.heading,
)


@st.composite
def proposals(draw: st.DrawFn) -> ProposalData:
    people = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    return ProposalData(
        number=str(draw(st.integers(1, 99_999_999))),
        title="关于" + draw(st.sampled_from(["促进基础研发", "改善城乡公交", "加强教师队伍建设"])) + "的建议",
        session=draw(sessions),
        proposers=[Proposer(name=n, kind=ProposerKind.MEMBER) for n in people],
    )


@given(
    proposals(),
    units,
    units,
    dates,
    sections,
    st.sampled_from(["A", "B", "C", None]),
    names,
    phones,
    names,
    phones,
    st.one_of(st.none(), st.from_regex(r"[1-8]\d{5}", fullmatch=True)),
)
@settings(max_examples=200, deadline=None)
def test_an_opinion_rendered_then_parsed_gives_back_its_fields(
    proposal: ProposalData,
    author: Unit,
    lead: Unit,
    day: object,
    body: list[Section],
    category: str | None,
    leader: str,
    leader_phone: str,
    officer: str,
    officer_phone: str,
    postal: str | None,
) -> None:
    opinion = Opinion(
        author=author, addressee=lead, date=day, sections=body, suggested_category=category,
        signatory=Contact(name=leader, phone=leader_phone), handler=Contact(name=officer, phone=officer_phone),
        postal_code=postal,
    )  # fmt: skip
    data = parse_letter(render_opinion(opinion, proposal)).to_json()
    assert data["kind"] == "cohandler_opinion"
    assert data["body"] == proposal.session.body.value
    assert data["level"] == proposal.session.level.value
    assert (data["session_term"], data["session_meeting"]) == (
        proposal.session.term,
        proposal.session.meeting,
    )
    assert data["number"] == proposal.number
    assert data["proposal_title"] == proposal.title
    assert data["author_unit"] == author.name
    assert data["addressee"] == lead.name
    assert data["category"] == category
    assert data["letter_date"] == opinion.date.isoformat()
    assert (data["issuer"], data["contact_name"], data["contact_phone"]) == (leader, officer, officer_phone)
    assert data["postal_code"] == opinion.postal_code  # six ASCII digits, whatever digits were given
    assert postal is None or int(data["postal_code"]) == int(postal)


_WIDE = str.maketrans("0123456789-()", "０１２３４５６７８９－（）")
SESSION = Session(body=Body.CPPCC, level=Level.PROVINCE, region="湖北省", term=13, meeting=1)


@pytest.mark.parametrize(
    ("body", "level", "region", "written"),
    [
        (Body.CPPCC, Level.PROVINCE, "湖北省", "湖北省政协十三届一次会议"),
        (Body.CPPCC, Level.NATIONAL, "全国", "全国政协十三届一次会议"),
        (Body.NPC, Level.PROVINCE, "湖北省", "湖北省十三届人大一次会议"),
        (Body.NPC, Level.CITY, "武汉市", "武汉市十三届人大一次会议"),
        (Body.NPC, Level.NATIONAL, "全国", "十三届全国人大一次会议"),
    ],
)
def test_a_session_is_named_as_officials_write_it_and_read_back(
    body: Body, level: Level, region: str, written: str
) -> None:
    session = Session(body=body, level=level, region=region, term=13, meeting=1)
    assert session.describe() == written
    item = "提案" if body is Body.CPPCC else "建议"
    parsed = parse_letter(f"关于对{written}第0345号{item}的答复\n\n李明代表：\n　　现答复如下。\n").to_json()
    read = (parsed["body"], parsed["level"], parsed["session_term"], parsed["session_meeting"])
    assert read == (body.value, level.value, 13, 1)


@pytest.mark.parametrize(
    ("place", "level"),
    [
        ("北京市政协十四届二次会议", "province"),  # a municipality (直辖市) is of a province's level
        ("重庆市六届人大一次会议", "province"),
        ("湖北省武汉市江岸区政协", "county"),  # the last place named is the body's
        ("深圳市南山区政协七届三次会议", "county"),
        ("上海市浦东新区政协", "county"),
        ("恩施土家族苗族自治州政协", "city"),
        ("内蒙古自治区政协", "province"),
        ("长阳土家族自治县政协", "county"),
        ("杭州市政协", "city"),
        ("贵州省政协", "province"),
    ],
)
def test_the_level_is_that_of_the_last_place_named(place: str, level: str) -> None:
    item = "建议" if "人大" in place else "提案"
    parsed = parse_letter(f"关于对{place}第0157号{item}的答复\n\n王红委员：\n　　现答复如下。\n")
    assert parsed.to_json()["level"] == level


@pytest.mark.parametrize(
    "body",
    [
        "　　现答复如下：\n　　一、办理情况\n",
        "　　现将办理情况答复如下：\n",
        "　　（一）主要做法：\n　　加强规划。\n",
        "　　一是加强规划：\n",
        "　　一、主要做法：\n",
        "　　我们的主要做法是：\n",
        "　　下一步，我们将：\n",
    ],
)
def test_a_line_of_the_body_ending_in_a_colon_is_not_an_addressee(body: str) -> None:
    """Only the line after the title names the addressee; a lead-in or a point of a list that
    ends in a colon, later, is the body's (it made the addressee a conflict, left empty)."""
    title = "关于对市政协十五届三次会议第0157号提案的答复\n\n"
    parsed = parse_letter(f"{title}王红委员：\n　　您提出的《关于建设口袋公园的建议》收悉。\n{body}")
    assert parsed.addressee == ("王红",) and parsed.warnings == ()
    # without a salutation, none of these is taken for one
    assert parse_letter(f"{title}{body}").addressee is None


@pytest.mark.parametrize(
    ("mark", "category"),
    [("（B类）", "B"), ("(B)", "B"), ("B类", "B"), ("Ｂ", "B"), ("（乙类）", "乙"), ("（B", None)],
)
def test_a_category_mark_in_brackets_is_read(mark: str, category: str | None) -> None:
    letter = f"{mark}\n关于市政协十四届三次会议第123号提案的答复\n\n张三委员：\n　　现答复如下。\n"
    assert parse_letter(letter).category == category


@pytest.mark.parametrize(
    ("note", "disclosure"),
    [
        ("（此件公开发布）", "主动公开"),  # the 附注 as GB/T 9704 gives it
        ("（此件不公开）", "不予公开"),
        ("（此件主动公开）", "主动公开"),
        ("（此件依申请公开）", "依申请公开"),
        ("详见本局政府信息公开发布平台。", None),
    ],
)
def test_the_note_on_disclosure_is_read_in_its_usual_words(note: str, disclosure: str | None) -> None:
    letter = "关于市政协十四届三次会议第123号提案的答复\n\n张三委员：\n　　现答复如下。\n武汉市教育局\n2024年5月20日\n"
    assert parse_letter(letter + note + "\n").disclosure == disclosure


_SIGNED = "关于市政协十四届三次会议第123号提案的答复\n\n张三委员：\n　　现答复如下。\n\n武汉市教育局\n2024年5月20日\n"


@pytest.mark.parametrize(
    ("people", "issuer", "contact"),
    [
        # each on a line, the next line holding the name or the phone
        ("签发人：李强\n经办人：王五", ("李强", None), ("王五", None)),
        ("联系人：王五\n联系电话：027-85000000", (None, None), ("王五", "027-85000000")),
        (
            "主管领导：李强\n联系电话：027-85000001\n经办人：王五\n联系电话：027-85000000",
            ("李强", "027-85000001"),
            ("王五", "027-85000000"),
        ),
        # the phone beside the name, in brackets or after a space
        (
            "主管领导：李强（027-85000001）\n经办人：王五（027-85000000）",
            ("李强", "027-85000001"),
            ("王五", "027-85000000"),
        ),
        ("联系人：王五 13912345678", (None, None), ("王五", "13912345678")),
        ("联系人：王五　139 1234 5678", (None, None), ("王五", "139 1234 5678")),
        # one line for both: the phone belongs to the person it follows
        (
            "主管领导：李强　　经办人：王五　　联系电话：027-85000000",
            ("李强", None),
            ("王五", "027-85000000"),
        ),
    ],
)
def test_the_people_of_a_letter_and_their_phones_are_read_as_letters_lay_them_out(
    people: str, issuer: tuple[str | None, str | None], contact: tuple[str | None, str | None]
) -> None:
    parsed = parse_letter(f"{_SIGNED}{people}\n")
    assert (parsed.issuer, parsed.issuer_phone) == issuer
    assert (parsed.contact_name, parsed.contact_phone) == contact


def test_attachments_numbered_one_to_a_line_are_all_read() -> None:
    parsed = parse_letter(f"{_SIGNED}附件：1.征询意见表\n　　　2.办理情况表\n\n抄送：市政协提案委员会\n")
    assert parsed.attachments == ("1.征询意见表", "2.办理情况表") and parsed.copies == ("市政协提案委员会",)
    assert parse_letter(f"{_SIGNED}附件：1、征询意见表\n2、办理情况表\n").attachments == (
        "1、征询意见表",
        "2、办理情况表",
    )


@pytest.mark.parametrize(
    "title",
    [
        "关于市十五届人大三次会议第0088号代表建议的答复",
        "关于市十五届人大三次会议第0088号代表建议办理情况的函",
        "关于对市十五届人大三次会议第0088号建议的答复",
    ],
)
def test_a_deputys_suggestion_named_with_the_word_for_deputy_is_read(title: str) -> None:
    parsed = parse_letter(
        f"{title}\n\n李四代表：\n　　您提出的《关于加强校园安全的建议》收悉。现答复如下。\n"
    )
    read = parsed.to_json()
    assert (read["body"], read["number"], read["session_term"], read["session_meeting"]) == (
        "npc",
        "0088",
        15,
        3,
    )


@pytest.mark.parametrize(
    "signature",
    [
        "\n　　　　　　　　武汉市财政局\n　　　　　　　　2024年4月2日\n",
        "\n武汉市财政局　2024年4月2日\n",
        "武汉市财政局2024年4月2日",
    ],
)
def test_the_last_section_and_the_body_end_before_the_signing_unit(signature: str) -> None:
    letter = parse_letter(
        "关于市政协十四届三次会议第123号提案会办意见的函\n\n市教育局：\n　　现将会办意见函告如下：\n"
        f"　　一、资金保障情况\n　　安排专项资金。\n　　二、下一步工作\n　　我局将于2024年6月1日召开专题会议，继续支持。{signature}"
    )
    assert letter.author_unit == "武汉市财政局" and letter.letter_date is not None
    assert letter.sections[-1].text == "我局将于2024年6月1日召开专题会议，继续支持。"  # a date of its own
    assert letter.body_text is not None and letter.body_text.endswith(
        "二、下一步工作\n　　我局将于2024年6月1日召开专题会议，继续支持。"
    )


@pytest.mark.parametrize(
    "title",
    [
        "关于对市政协十四届三次会议第123号提案\n的答复",
        "关于对市政协十四届三次会议\n第123号提案的答复",
        "　　　关于对市政协十四届三次会议第123号\n　　　　　　提案的答复",
    ],
)
def test_a_title_set_on_two_lines_is_read_whole(title: str) -> None:
    read = parse_letter(f"{title}\n\n张三委员：\n　　现答复如下。\n").to_json()
    assert (read["kind"], read["number"], read["session_term"], read["session_meeting"]) == (
        "reply",
        "123",
        14,
        3,
    )
    assert read["addressee"] == ["张三"] and read["warnings"] == []


@pytest.mark.parametrize(
    ("salutation", "addressees"),
    [
        ("省政协社会和法制委员会", ("省政协社会和法制委员会",)),  # a committee proposes too
        ("省政协港澳台侨和外事委员会", ("省政协港澳台侨和外事委员会",)),
        ("张三和李四委员", ("张三", "李四")),
        ("张三及欧阳明委员", ("张三", "欧阳明")),
        ("王和平委员", ("王和平",)),
        ("民建湖北省委、民进湖北省委", ("民建湖北省委", "民进湖北省委")),
        # a joint item written to its first proposer "and the others": 等 is none of their names
        ("李明等委员", ("李明",)),
        ("李明委员等", ("李明",)),
        ("李明等5位委员", ("李明",)),
        ("李明等五位代表", ("李明",)),
        ("李明、王芳等委员", ("李明", "王芳")),
        ("民盟湖北省委等", ("民盟湖北省委",)),
    ],
)
def test_a_reply_is_addressed_to_people_or_to_a_body_whose_name_holds_and(
    salutation: str, addressees: tuple[str, ...]
) -> None:
    letter = parse_letter(f"关于市政协十四届三次会议第123号提案的答复\n\n{salutation}：\n　　现答复如下。\n")
    assert letter.addressee == addressees


@pytest.mark.parametrize(
    ("proposers", "you"),
    [
        ([Proposer(name="张三")], "您"),
        ([Proposer(name="张三"), Proposer(name="李四")], "你们"),
        ([Proposer(name="民盟湖北省委", kind=ProposerKind.PARTY)], "你们"),
        ([Proposer(name="省政协社会和法制委员会", kind=ProposerKind.COMMITTEE)], "你们"),
    ],
)
def test_a_reply_says_you_to_one_person_and_you_all_to_several_or_to_a_body(
    proposers: list[Proposer], you: str
) -> None:
    data = ProposalData(number="1", title="关于X的建议", session=SESSION, proposers=proposers)
    reply = Reply(
        author=Unit(name="省科技厅"), category="A", date="2023-05-10", sections=[Section(text="现答复。")]
    )
    assert f"　　{you}提出的《关于X的建议》收悉。现答复如下：" in render_reply(reply, data).splitlines()


@pytest.mark.parametrize("name", ["李为", "张大为", "王将"])
def test_a_name_ending_as_a_lead_in_may_end_is_still_an_addressee(name: str) -> None:
    letter = parse_letter(f"关于市政协十四届三次会议第123号提案的答复\n\n{name}：\n　　现答复如下。\n")
    assert letter.addressee == (name,)


def test_two_letters_on_one_page_to_different_addressees_are_said_to_differ() -> None:
    letter = "关于对市政协十五届三次会议第{0}号提案的答复\n\n{1}委员：\n　　现答复如下：\n　　一、办理情况\n"
    parsed = parse_letter(letter.format("0157", "王红") + letter.format("0158", "李明"))
    assert parsed.addressee is None
    assert "addressee: the text gives both ('王红',) and ('李明',); left empty" in parsed.warnings
    # the same letter printed twice on its page is one letter
    twice = parse_letter(letter.format("0157", "王红") * 2)
    assert twice.addressee == ("王红",) and not any("addressee" in w for w in twice.warnings)


def test_a_letter_typed_with_full_width_digits_reads_as_one_typed_in_ascii() -> None:
    proposal = ProposalData(
        number="20230519", title="关于促进基础研发的建议", session=SESSION, proposers=[Proposer(name="李明")]
    )
    opinion = Opinion(
        author=Unit(name="湖北省知识产权局"), addressee=Unit(name="省科技厅"), date="2023-04-10",
        sections=[Section(heading="一、主要工作情况", text="认真办理。")], suggested_category="B",
        signatory=Contact(name="程浩", phone="027-86759052"), handler=Contact(name="杨鑫", phone="(027)86759081"),
        postal_code="430071", doc_number="鄂知函〔2023〕12号",
    )  # fmt: skip
    ascii_letter = render_opinion(opinion, proposal)
    wide_letter = ascii_letter.translate(_WIDE)
    assert "０２７－８６７５９０５２" in wide_letter and "４３００７１" in wide_letter
    wide = parse_letter(wide_letter).to_json()
    assert (wide["issuer_phone"], wide["contact_phone"], wide["postal_code"], wide["doc_number"]) == (
        "027-86759052", "(027)86759081", "430071", "鄂知函〔2023〕12号",
    )  # fmt: skip
    assert wide == parse_letter(ascii_letter).to_json()


@pytest.mark.parametrize(
    "written", ["13900001234", "139 0000 1234", "139-0000-1234", "（027）86759081", "027-86759081-8001"]
)
def test_a_phone_written_in_groups_is_read_as_written(written: str) -> None:
    letter = "关于对省政协十三届一次会议第20230519号提案会办工作的意见\n\n省科技厅：\n　　现函告如下。\n\n"
    parsed = parse_letter(letter + f"湖北省知识产权局\n2023年4月10日\n\n经办人：杨鑫　手机：{written}\n")
    assert (parsed.contact_name, parsed.contact_phone) == ("杨鑫", Contact(name="杨鑫", phone=written).phone)


def test_a_full_width_proposal_number_is_the_same_number() -> None:
    wide = ProposalData(
        number="２０２３０５１９",
        title="关于促进基础研发的建议",
        session=SESSION,
        proposers=[Proposer(name="李明")],
    )
    assert wide.number == "20230519"
    wf = cohandle.Workflow()
    committee = cohandle.Actor(name="王芳", unit=Unit(name="省政协提案委员会"))
    wf.receive(attrs.evolve(wide, number="20230519"), actor=committee)
    with pytest.raises(cohandle.ProposalExists):
        wf.receive(wide, actor=committee)


@given(
    proposals(),
    units,
    dates,
    sections,
    st.sampled_from(["A", "B", "C"]),
    st.lists(units, max_size=3, unique=True),
    st.sampled_from(list(Disclosure)),
    st.one_of(st.none(), st.integers(1, 300)),
    st.lists(proposals(), max_size=2),
)
@settings(max_examples=200, deadline=None)
def test_a_reply_rendered_then_parsed_gives_back_its_fields(
    proposal: ProposalData,
    author: Unit,
    day: object,
    body: list[Section],
    category: str,
    copies: list[Unit],
    disclosure: Disclosure,
    serial: int | None,
    merged: list[ProposalData],
) -> None:
    reply = Reply(
        author=author, category=category, date=day, sections=body, copies=copies, disclosure=disclosure,
        doc_number=None if serial is None else f"鄂科函〔2024〕{serial}号",
    )  # fmt: skip
    data = parse_letter(render_reply(reply, proposal, merged=merged)).to_json()
    assert data["kind"] == "reply"
    assert data["number"] == proposal.number
    session = proposal.session
    read = (data["body"], data["level"], data["session_term"], data["session_meeting"])
    assert read == (session.body.value, session.level.value, session.term, session.meeting)
    titles = {item.title for item in (proposal, *merged)}
    assert data["proposal_title"] == (proposal.title if len(titles) == 1 else None)  # several: left empty
    assert data["author_unit"] == author.name
    everyone = [name for item in (proposal, *merged) for name in item.proposer_names]
    assert data["addressee"] == list(dict.fromkeys(everyone))
    assert data["category"] == category
    assert data["letter_date"] == reply.date.isoformat()
    assert data["copies"] == [u.name for u in copies]
    assert data["disclosure"] == disclosure.label
    assert data["doc_number"] == reply.doc_number


def test_every_paragraph_of_a_text_letter_a_heading_too_is_indented_two_characters() -> None:
    # GB/T 9704-2012 7.3.3: each paragraph 左空二字, the numbered headings (一、 （一）) being
    # paragraphs too, as the Word document indents them
    reply = Reply(
        author=Unit(name="省科技厅"), category="B", date="2023-05-10",
        sections=[
            Section(heading="一、办理情况", text="我厅高度重视。", subsections=[Section(heading="（一）加大投入", text="……")]),
            Section(heading="二、下一步工作", text="……"),
        ],
    )  # fmt: skip
    proposal = ProposalData(
        number="1", title="关于促进基础研发的建议", session=SESSION, proposers=[Proposer(name="李明")]
    )
    lines = render_reply(reply, proposal).splitlines()
    after = lines[lines.index("李明委员：") + 1 :]
    body = after[: after.index("")]  # up to the blank line before the signature
    assert body == [
        "　　您提出的《关于促进基础研发的建议》收悉。现答复如下：",
        "　　一、办理情况",
        "　　我厅高度重视。",
        "　　（一）加大投入",
        "　　……",
        "　　二、下一步工作",
        "　　……",
    ]


def test_the_items_merged_in_must_be_proposal_data() -> None:
    reply = Reply(
        author=Unit(name="省科技厅"), category="B", date="2023-05-10", sections=[Section(text="……")]
    )
    proposal = ProposalData(
        number="1", title="关于促进基础研发的建议", session=SESSION, proposers=[Proposer(name="李明")]
    )
    for merged in ("20230577", [3], proposal):
        with pytest.raises(cohandle.InvalidInput, match="merged must be a list of ProposalData"):
            render_reply(reply, proposal, merged=merged)  # type: ignore[arg-type]


def test_a_reply_to_a_proposal_state_is_written_to_the_items_merged_into_it() -> None:
    wf = cohandle.Workflow(clock=cohandle.FixedClock("2023-05-10T09:00:00+08:00"))
    committee = cohandle.Actor(name="王芳", unit=Unit(name="省政协提案委员会"))

    def receive(number: str, proposer: str) -> str:
        data = ProposalData(
            number=number,
            title="关于促进基础研发的建议",
            session=SESSION,
            proposers=[Proposer(name=proposer)],
        )
        return wf.receive(data, actor=committee).id

    kept, merged = receive("20230519", "李明"), receive("20230577", "赵敏")
    wf.merge(merged, into=kept, actor=committee)
    reply = Reply(
        author=Unit(name="省科技厅"), category="B", date="2023-05-10", sections=[Section(text="……")]
    )
    p = wf.get(kept)
    lines = render_reply(reply, p).splitlines()
    assert "关于对湖北省政协十三届一次会议第20230519号（并第20230577号）提案的答复" in lines
    assert "李明、赵敏委员：" in lines
    assert "李明委员：" in render_reply(reply, p.data).splitlines()  # what it asked, no items merged in
    with pytest.raises(cohandle.InvalidInput, match="must be left out with a Proposal"):
        render_reply(reply, p, merged=[])
    with pytest.raises(cohandle.InvalidInput, match="proposal must be a ProposalData or a Proposal"):
        render_reply(reply, kept)  # type: ignore[arg-type]


@pytest.mark.parametrize("merged", ["（并第20230577号）", "（第0456号并案）", "(并第0456、0457号)"])
def test_a_reply_title_naming_the_items_merged_in_is_read(merged: str) -> None:
    letter = parse_letter(
        f"关于对湖北省政协十三届一次会议第20230519号{merged}提案的答复\n\n李明委员：\n　　……"
    )
    assert (letter.kind, letter.number, letter.session_term, letter.session_meeting) == (
        "reply",
        "20230519",
        13,
        1,
    )


def test_a_docx_is_written_and_reads_back(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    from cohandle._demo import record_demo

    wf = cohandle.Workflow(clock=cohandle.FixedClock("2023-12-01T09:00:00+08:00"))
    pid = record_demo(wf)[0]
    p = wf.get(pid)
    assert p.reply is not None
    path = tmp_path / "reply.docx"
    write_docx(p.reply, p.data, path)
    paragraphs = [para.text for para in docx.Document(str(path)).paragraphs]
    # the title broken where its words allow, not where the line runs out (…会议第 / 20230519号…),
    # with a line above it and one below, before the addressee
    title = paragraphs.index("关于对湖北省政协十三届一次会议\n第20230519号提案的答复")
    assert paragraphs[title - 1 : title + 3 : 2] == ["", ""] and paragraphs[title + 2] == "李明委员："
    # 22 lines to the page: a line every 28.95 points, nothing between paragraphs (python-docx's
    # template gave 1.15 lines and 10 points after each)
    spacing = docx.Document(str(path)).styles["Normal"].paragraph_format
    assert (spacing.line_spacing, spacing.space_before, spacing.space_after) == (
        docx.shared.Pt(28.95),
        docx.shared.Pt(0),
        docx.shared.Pt(0),
    )
    assert "李明委员：" in paragraphs and "2023年5月10日" in paragraphs and "（此件主动公开）" in paragraphs
    text = "\n".join(paragraphs)
    assert parse_letter(text).to_json()["number"] == "20230519"
    with pytest.raises(cohandle.InvalidInput, match=r"path cannot be written \(No such file or directory"):
        write_docx(p.reply, p.data, tmp_path / "no such folder" / "reply.docx")
    with pytest.raises(cohandle.InvalidInput, match=r"path cannot be written \(Is a directory"):
        write_docx(p.reply, p.data, tmp_path)
    assert [f.name for f in tmp_path.iterdir()] == ["reply.docx"], "a failed write left a file behind"
    assert not list(tmp_path.parent.glob(f"{tmp_path.name}*.partial")), "a failed write left a file behind"


@pytest.mark.parametrize(
    ("title", "size", "lines"),
    [
        ("关于省政协提案的答复", 22, "关于省政协提案的答复"),  # on one line
        (
            "关于对湖北省政协十三届一次会议第20230519号提案会办工作的意见",
            22,
            "关于对湖北省政协十三届一次会议\n第20230519号提案会办工作的意见",
        ),
        (
            "关于对省十四届人大一次会议第１０２５号建议的答复",
            22,
            "关于对省十四届人大一次会议\n第１０２５号建议的答复",
        ),
        # 第二次 is not a number's start; the break is before 第01234号
        (
            "关于政协十四届全国委员会第二次会议第01234号提案答复的函",
            22,
            "关于政协十四届全国委员会第二次会议\n第01234号提案答复的函",
        ),
        (
            "关于对湖北省政协十三届一次会议第20230519号提案的答复",
            16,
            "关于对湖北省政协十三届一次会议第20230519号提案的答复",
        ),
        # no 第…号, or a line too long either way: left for the word processor to break
        (
            "关于进一步加强和改进全省城乡基层社会治理体系建设的若干意见",
            22,
            "关于进一步加强和改进全省城乡基层社会治理体系建设的若干意见",
        ),
        ("关于对湖北省武汉市江岸区政协第十三届委员会第一次会议第20230519号提案的答复", 22, None),
    ],
)
def test_a_long_title_is_broken_before_its_number(title: str, size: float, lines: str | None) -> None:
    from cohandle.letters._render import title_lines

    assert title_lines(title, size) == (title if lines is None else lines)


@pytest.mark.parametrize(
    "title",
    [
        "关于对湖北省政协十三届\n一次会议第20230519号提案的答复",  # the term and meeting were lost
        "关于对湖北省政协十三届一次\n会议第20230519号提案的答复",
        "关于对湖北省政协十三届一次会议\n第20230519号提案的答复",
        "关于对湖北省政协十三届一次会议第20230519\n号提案的答复",
    ],
)
def test_a_title_set_on_two_lines_is_read_wherever_it_breaks(title: str) -> None:
    letter = parse_letter(f"{title}\n\n李明委员：\n　　现答复如下。\n省科技厅\n2023年5月10日\n")
    assert (letter.body, letter.level, letter.session_term, letter.session_meeting, letter.number) == (
        "cppcc",
        "province",
        13,
        1,
        "20230519",
    )


def test_a_municipalitys_name_broken_from_its_shi_is_still_a_provinces() -> None:
    # a municipality's name broken from its 市 (北京 / 市) was read as a city's, not a province's
    capital = parse_letter("关于对北京\n市政协十三届一次会议第1025号提案的答复\n李明委员：\n现答复如下。\n")
    assert (capital.level, capital.session_term, capital.number) == ("province", 13, "1025")


@pytest.mark.parametrize("unit", ["省科技厅", "省住房和城乡建设厅", "中国人民政治协商会议湖北省委员会办公厅"])
def test_the_date_ends_four_characters_from_the_line_end_and_the_unit_is_centred_over_it(
    unit: str, tmp_path: Path
) -> None:
    # GB/T 9704 7.3.5.1, a sealed letter: the date four characters from the line's end, the
    # unit centred above it; both stood at the line's very end
    from cohandle.letters._render import characters_wide as width
    from helpers import data, reply

    letter = reply(author=cohandle.Unit(name=unit))
    lines = render_reply(letter, data()).splitlines()
    at = next(index for index, line in enumerate(lines) if line.endswith("2025年3月1日"))
    signed, dated = lines[at - 1], lines[at]
    assert signed.strip() == unit

    def span(line: str) -> tuple[float, float]:  # where the text starts and ends, in characters
        start = width(line) - width(line.lstrip())
        return start, width(line)

    (unit_start, unit_end), (date_start, date_end) = span(signed), span(dated)
    assert date_end == 28 - 4
    if width(unit) <= width("2025年3月1日") + 2 * 4:
        assert abs((unit_start + unit_end) / 2 - (date_start + date_end) / 2) <= 0.25
    else:  # too long to stand centred: it ends at the line's end
        assert unit_end == 28

    docx = pytest.importorskip("docx")
    path = tmp_path / "reply.docx"
    write_docx(letter, data(), path)
    paragraphs = {para.text: para for para in docx.Document(str(path)).paragraphs}
    date_gap = paragraphs["2025年3月1日"].paragraph_format.right_indent
    unit_gap = paragraphs[unit].paragraph_format.right_indent or 0
    assert date_gap == docx.shared.Pt(16 * 4)
    assert unit_gap == docx.shared.Pt(max(0, 16 * (4 + (width("2025年3月1日") - width(unit)) / 2)))


def test_a_docx_is_on_the_disk_before_it_takes_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import synced

    pytest.importorskip("docx")
    reply = Reply(
        author=Unit(name="省科技厅"), category="B", date="2023-05-10", sections=[Section(text="……")]
    )
    proposal = ProposalData(
        number="1", title="关于促进基础研发的建议", session=SESSION, proposers=[Proposer(name="李明")]
    )
    target = tmp_path / "reply.docx"
    calls = synced(monkeypatch, target)
    write_docx(reply, proposal, target)
    assert calls == [(target.stat().st_ino, False), (tmp_path.stat().st_ino, True)]


def test_control_characters_copied_with_the_text_do_not_stop_a_docx(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    from cohandle.letters import reply_layout, to_docx
    from helpers import data, reply

    pasted = [cohandle.Section(heading="一、办理情况", text="第一行\x0b第二行\x0c第三行\x00\x07。")]
    layout = reply_layout(attrs.evolve(reply(), sections=pasted), data())
    path = tmp_path / "reply.docx"
    to_docx(layout, path)
    paragraphs = [para.text for para in docx.Document(str(path)).paragraphs]
    assert "第一行\n第二行\n第三行。" in paragraphs  # Word's own breaks became line breaks
    not_text = [cohandle.Section(heading="一、办理情况", text="解码错了\udcb2")]
    with pytest.raises(cohandle.InvalidInput, match=r"U\+DCB2 .* a lone surrogate"):
        to_docx(reply_layout(attrs.evolve(reply(), sections=not_text), data()), tmp_path / "bad.docx")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["reply.docx"]


def test_a_word_document_is_read_as_its_text(tmp_path: Path) -> None:
    # an official's letter comes as a .docx as often as not: it was refused as "not UTF-8
    # text", and `cohandle parse` advised --encoding gb18030
    docx = pytest.importorskip("docx")
    from helpers import data, opinion

    written, proposal = tmp_path / "opinion.docx", data()
    write_docx(opinion(), proposal, written)
    from_word = parse_letter(written.read_bytes()).to_json()
    from_text = parse_letter(render_opinion(opinion(), proposal)).to_json()
    assert from_word == from_text
    assert from_word["number"] == proposal.number and from_word["letter_date"] is not None

    # a form kept as a table (会办意见表), a merged cell over two columns among its rows
    document = docx.Document()
    document.add_paragraph("政协提案会办意见表")
    rows = [
        ("提案号", "20230519"),
        ("提案标题", "关于促进基础研发的建议"),
        ("主办单位", "省科技厅"),
        ("会办单位", "湖北省知识产权局"),
        ("建议答复类别", "B类"),
        ("会办意见", "一、主要工作情况\n我局……\n二、下一步打算\n我局将……"),
        ("分管领导", "程浩", "联系电话", "027-86759052"),
    ]
    table = document.add_table(rows=len(rows), cols=4)
    for cells, row in zip(table.rows, rows, strict=True):
        if len(row) == 2:
            merged = cells.cells[1].merge(cells.cells[3])
            cells.cells[0].text, merged.text = row
        else:
            for cell, value in zip(cells.cells, row, strict=True):
                cell.text = value
    document.add_paragraph("经办人：杨鑫　联系电话：027-86759081")
    document.add_paragraph("2023年4月10日")
    form = tmp_path / "form.docx"
    document.save(str(form))
    letter = parse_letter(form.read_bytes())
    assert (letter.number, letter.author_unit, letter.addressee, letter.category) == (
        "20230519",
        "湖北省知识产权局",
        "省科技厅",
        "B",
    )
    assert (letter.issuer, letter.issuer_phone, letter.contact_name) == ("程浩", "027-86759052", "杨鑫")
    assert [section.heading for section in letter.sections] == ["一、主要工作情况", "二、下一步打算"]
    assert letter.sections[-1].text == "我局将……"


def test_a_word_document_is_read_through_content_controls_and_merged_cells() -> None:
    docx = pytest.importorskip("docx")
    import io

    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    # the title and the addressee inside a content control around whole paragraphs, as a
    # template's fields are
    control = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtContent>"
        "<w:p><w:r><w:t>关于对省政协十三届一次会议第20230519号提案会办工作的意见</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>省科技厅：</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    )
    document.element.body.insert(0, control)
    document.add_paragraph("一、主要工作情况")
    document.add_paragraph("我局……")
    table = document.add_table(rows=2, cols=2)  # the signature laid out in a table, one cell merged down
    table.cell(0, 0).merge(table.cell(1, 0)).text = "湖北省知识产权局"
    table.cell(1, 1).text = "2023年4月10日"
    saved = io.BytesIO()
    document.save(saved)
    letter = parse_letter(saved.getvalue())
    assert (letter.number, letter.addressee, letter.kind) == ("20230519", "省科技厅", "cohandler_opinion")
    assert str(letter.letter_date) == "2023-04-10"
    assert "湖北省知识产权局" in letter.text and letter.text.count("湖北省知识产权局") == 1


def _numbered(document: Any, levels: str, *, restart: int | None = None) -> str:
    """Adds to ``document`` a list whose levels are ``levels`` (numFmt:lvlText, ...) and an
    instance of it, started again at ``restart`` when given; returns the instance's numId."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    numbering = document.part.numbering_part.element
    abstract = str(len(numbering.findall(qn("w:abstractNum"))) + 10)
    number = str(len(numbering.findall(qn("w:num"))) + 10)
    lvls = "".join(
        f'<w:lvl w:ilvl="{index}"><w:start w:val="1"/><w:numFmt w:val="{form}"/>'
        f'<w:lvlText w:val="{text}"/></w:lvl>'
        for index, (form, text) in enumerate(level.split(":", 1) for level in levels.split(","))
    )
    numbering.insert(
        0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract}">{lvls}</w:abstractNum>')
    )
    override = (
        f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{restart}"/></w:lvlOverride>' if restart else ""
    )
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{number}"><w:abstractNumId w:val="{abstract}"/>{override}</w:num>'
        )
    )
    return number


def _item(document: Any, text: str, number: str, level: int = 0) -> None:
    """A paragraph numbered by Word, its number not in its text."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    paragraph = document.add_paragraph(text)
    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{number}"/></w:numPr>')
    )


def test_a_word_document_is_read_with_the_numbers_word_puts_before_its_headings() -> None:
    # Chinese Word turns 一、 typed at a line's start into a numbered list: the letter's
    # headings were read without their numbers, and the letter as having no sections
    docx = pytest.importorskip("docx")
    import io

    document = docx.Document()
    document.add_paragraph("关于对省政协十三届一次会议第20230519号提案会办工作的意见")
    document.add_paragraph("省科技厅：")
    headings = _numbered(document, "chineseCounting:%1、,chineseCounting:（%2）")
    _item(document, "主要工作情况", headings)
    _item(document, "加强专利保护", headings, 1)
    document.add_paragraph("我局……")
    _item(document, "推进成果转化", headings, 1)
    document.add_paragraph("我局……")
    _item(document, "下一步打算", headings)
    _item(document, "继续加强合作", headings, 1)  # starts at （一） again under 二、
    document.add_paragraph("我局将……")
    document.add_paragraph("附件：", style="List Number")  # a style's own numbering: 1.
    document.add_paragraph("湖北省知识产权局")
    document.add_paragraph("2023年4月10日")
    saved = io.BytesIO()
    document.save(saved)
    letter = parse_letter(saved.getvalue())
    assert [section.heading for section in letter.sections] == ["一、主要工作情况", "二、下一步打算"]
    assert [sub.heading for sub in letter.sections[0].subsections] == [
        "（一）加强专利保护",
        "（二）推进成果转化",
    ]
    assert [sub.heading for sub in letter.sections[1].subsections] == ["（一）继续加强合作"]
    assert "1.\t附件：" in letter.text


_BOX_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)


def _text_box(*lines: str, inner: str = "", legacy: bool = False) -> str:
    """A run holding a text box of ``lines`` (and ``inner``, a box inside it): as Word 2010 and
    later write one, a drawing with its VML copy for older readers, or (``legacy``) VML alone."""
    content = "<w:txbxContent>" + "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in lines)
    content += (f"<w:p>{inner}</w:p>" if inner else "") + "</w:txbxContent>"
    vml = f'<w:pict><v:shape style="position:absolute;width:40pt;height:30pt"><v:textbox>{content}</v:textbox></v:shape></w:pict>'
    if legacy:
        return f"<w:r {_BOX_NS}>{vml}</w:r>"
    drawing = (
        '<w:drawing><wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="column"><wp:posOffset>4800000</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        '<wp:extent cx="500000" cy="400000"/><wp:wrapNone/><wp:docPr id="1" name="Text Box 1"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr/>'
        f"<wps:txbx>{content}</wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
    )
    return (
        f'<w:r {_BOX_NS}><mc:AlternateContent><mc:Choice Requires="wps">{drawing}</mc:Choice>'
        f"<mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent></w:r>"
    )


def test_a_word_documents_text_boxes_are_read_once_before_the_paragraph_they_stand_by() -> None:
    # a reply's category is often a letter boxed in the top corner: it was not read, and the
    # letter had no category
    docx = pytest.importorskip("docx")
    import io

    from docx.oxml import parse_xml

    from cohandle.letters._word import word_text

    document = docx.Document()
    title = document.add_paragraph()
    title._p.append(parse_xml(_text_box("B")))
    title.add_run("关于对省政协十三届一次会议第20230519号提案会办工作的意见")
    document.add_paragraph("省科技厅：")
    document.add_paragraph("现将……办理情况函告如下，请综合后一并答复提案者。")
    document.add_paragraph("湖北省知识产权局")
    document.add_paragraph("2023年4月10日")
    end = document.add_paragraph()
    end._p.append(parse_xml(_text_box("附件：无", legacy=True)))  # an older document's VML box
    end._p.append(parse_xml(_text_box("外框", inner=_text_box("内框").replace(f" {_BOX_NS}", ""))))
    saved = io.BytesIO()
    document.save(saved)
    assert word_text(saved.getvalue()).split("\n") == [
        "B",
        "关于对省政协十三届一次会议第20230519号提案会办工作的意见",
        "省科技厅：",
        "现将……办理情况函告如下，请综合后一并答复提案者。",
        "湖北省知识产权局",
        "2023年4月10日",
        "附件：无",
        "外框",
        "内框",  # a box in a box: read once, with the box it is in
        "",  # the outer box's paragraph the inner one stands by
        "",  # the paragraph the boxes stand by
    ]
    letter = parse_letter(saved.getvalue())
    assert (letter.category, letter.number, letter.author_unit) == ("B", "20230519", "湖北省知识产权局")


@pytest.mark.parametrize(
    ("levels", "restart", "printed"),
    [
        ("decimal:%1.,decimal:%1.%2", None, ["1.\ta", "1.1\tb", "1.2\tc", "2.\td", "2.1\te"]),
        ("decimal:(%1),lowerLetter:%2)", 3, ["(3)\ta", "a)\tb", "b)\tc", "(4)\td", "a)\te"]),
        (
            "ideographTraditional:%1、,decimalEnclosedCircle:%2",
            None,
            ["甲、a", "①\tb", "②\tc", "乙、d", "①\te"],
        ),
        ("upperRoman:%1.,chineseLegalSimplified:%2", None, ["I.\ta", "壹\tb", "贰\tc", "II.\td", "壹\te"]),
        ("none:,bullet:\uf0b7", None, ["a", "•\tb", "•\tc", "d", "•\te"]),
    ],
)
def test_word_numbers_are_written_as_the_list_says(
    levels: str, restart: int | None, printed: list[str]
) -> None:
    docx = pytest.importorskip("docx")
    import io

    from cohandle.letters._word import word_text

    document = docx.Document()
    number = _numbered(document, levels, restart=restart)
    for text, level in zip("abcde", (0, 1, 1, 0, 1), strict=True):
        _item(document, text, number, level)
    saved = io.BytesIO()
    document.save(saved)
    assert word_text(saved.getvalue()).split("\n") == printed


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"%PDF-1.7\n...", "The input is a PDF, which is not read: copy its text into a text file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "The input is a Word 97-2003 or WPS document (.doc, .wps)"),
        (
            b"PK\x03\x04 cut short",
            "The input is a ZIP archive but not a Word document (.docx) that can be read",
        ),
    ],
)
def test_a_pdf_an_old_word_file_or_another_archive_is_refused_saying_what_to_give(
    data: bytes, said: str
) -> None:
    pytest.importorskip("docx")
    with pytest.raises(LetterError, match=re.escape(said)):
        parse_letter(data)


@functools.cache
def _numbered_reply() -> bytes:
    """A reply as a Word document, its heading numbered by Word."""
    docx = pytest.importorskip("docx")
    import io

    document = docx.Document()
    document.add_paragraph("关于对湖北省政协十三届一次会议第20230519号提案的答复")
    document.add_paragraph("李明委员：")
    _item(document, "主要工作情况", _numbered(document, "chineseCounting:%1、"))
    document.add_paragraph("我厅……")
    saved = io.BytesIO()
    document.save(saved)
    return saved.getvalue()


def _repacked(data: bytes, name: str, change: Callable[[bytes], bytes | None]) -> bytes:
    """The Word document ``data`` with the bytes of its part ``name`` changed by ``change``
    (None leaves the part out)."""
    import io
    import zipfile

    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            part = old.read(info) if info.filename != name else change(old.read(info))
            if part is not None:
                new.writestr(info, part)
    return packed.getvalue()


def _damaged_deflate(data: bytes, name: str) -> bytes:
    """``data`` with 16 bytes in the middle of its part ``name``'s packed data inverted."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    damaged = bytearray(data)
    damaged[start : start + 16] = bytes(byte ^ 0xFF for byte in damaged[start : start + 16])
    return bytes(damaged)


def _marked_encrypted(data: bytes, name: str) -> bytes:
    """``data`` with its part ``name`` marked encrypted in the archive's directory (bit 0 of
    the flags of its entry there, which is what a reader goes by)."""
    end = data.rindex(b"PK\x05\x06")  # the end of the directory says where it starts
    entry = int.from_bytes(data[end + 16 : end + 20], "little")
    while data[entry + 46 : entry + 46 + len(name)] != name.encode():  # each entry's name, after 46 bytes
        lengths = (data[entry + at : entry + at + 2] for at in (28, 30, 32))  # name, extra, comment
        entry += 46 + sum(int.from_bytes(length, "little") for length in lengths)
    flags = int.from_bytes(data[entry + 8 : entry + 10], "little") | 0x1
    return data[: entry + 8] + flags.to_bytes(2, "little") + data[entry + 10 :]


_NOT_XML = "The input is a damaged Word document (.docx): a part of it is not XML"
_UNREADABLE = "The input is a ZIP archive but not a Word document (.docx) that can be read"


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda data: _repacked(data, "word/document.xml", lambda part: part[:-20]), _NOT_XML),
        (lambda data: _repacked(data, "word/numbering.xml", lambda part: b"<w:numbering"), _NOT_XML),
        (lambda data: _repacked(data, "word/styles.xml", lambda part: part.replace(b"<w:", b"<w:w:", 1)), _NOT_XML),
        (
            lambda data: _repacked(data, "word/document.xml", lambda part: re.sub(rb"<w:body>.*</w:body>", b"", part)),
            "The input is a damaged Word document (.docx): it has no body.",
        ),
        (lambda data: _damaged_deflate(data, "word/document.xml"), _UNREADABLE),
        (
            lambda data: _marked_encrypted(data, "word/document.xml"),
            "The input is a damaged Word document (.docx): a part of it is marked encrypted.",
        ),
        (lambda data: _repacked(data, "[Content_Types].xml", lambda part: None), _UNREADABLE),
    ],
    ids=["document cut short", "numbering not xml", "styles not xml", "no body", "packed data damaged",
         "part marked encrypted", "no content types"],
)  # fmt: skip
def test_a_damaged_word_document_is_refused_as_one(damage: Any, said: str) -> None:
    # a part that was not XML gave lxml's XMLSyntaxError, damaged packed data zlib's error, a
    # document without a body a TypeError: `cohandle parse` printed a traceback
    with pytest.raises(LetterError, match=re.escape(said)):
        parse_letter(damage(_numbered_reply()))


def test_a_word_documents_part_of_a_misnamed_type_is_read_as_a_missing_one() -> None:
    # the numbering part, declared of another content type, is loaded as a part without XML:
    # an AttributeError; Word's numbers are then left out, and the text read
    data = _repacked(
        _numbered_reply(),
        "[Content_Types].xml",
        lambda part: part.replace(b"wordprocessingml.numbering+xml", b"wordprocessingml.unknown+xml"),
    )
    letter = parse_letter(data)
    assert "\n主要工作情况\n" in letter.text
    assert "一、" not in letter.text


_EDITS_OF_BYTES = st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=4
)


@given(_EDITS_OF_BYTES)
@settings(max_examples=300, deadline=None)
def test_a_word_document_damaged_anywhere_reads_or_is_a_letter_error(edits: list[tuple[float, int]]) -> None:
    damaged = bytearray(_numbered_reply())
    for where, byte in edits:
        damaged[int(where * len(damaged))] = byte
    with contextlib.suppress(LetterError):
        parse_letter(bytes(damaged))


def _with_part(data: bytes, name: str, part: bytes) -> bytes:
    """``data`` with a part ``name`` added."""
    import io
    import zipfile

    packed = io.BytesIO(data)
    with zipfile.ZipFile(packed, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, part)
    return packed.getvalue()


def test_a_word_document_that_unpacks_to_more_than_a_letters_is_refused_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a ZIP's parts can unpack to a thousand times their packed size: a document of a megabyte
    # was read into gigabytes of memory
    from cohandle.letters import _word

    monkeypatch.setattr(_word, "MAX_XML_BYTES", 2**20)
    monkeypatch.setattr(_word, "MAX_UNPACKED_BYTES", 2 * 2**20)
    data = _numbered_reply()
    assert parse_letter(data).number == "20230519"  # within both
    padded = _repacked(
        data, "word/document.xml", lambda part: part.replace(b"<w:body>", b"<w:body>" + b" " * (3 * 2**19))
    )
    assert len(padded) - len(data) < 3 * 2**19 // 100  # it packs into less than a hundredth
    with pytest.raises(
        LetterError,
        match=r"^The input is a Word document \(\.docx\) whose XML parts unpack to 2\.\d MiB, more than the 1 "
        r"MiB read of one: it is refused unread\.$",
    ):
        parse_letter(padded)
    with pytest.raises(LetterError, match=r"whose parts unpack to 3\.\d MiB, more than the 2 MiB read"):
        parse_letter(_with_part(data, "word/media/image1.png", b"\0" * 3 * 2**20))


def test_a_word_document_protected_by_a_password_is_refused_saying_so() -> None:
    # an encrypted .docx is an OLE file, as a .doc is, and was refused as a .doc to be saved as
    # .docx, which it already is. The fixture was encrypted with msoffcrypto-tool (password
    # 123456), as Word encrypts.
    data = (FIXTURES / "reply-password-123456.docx").read_bytes()
    with pytest.raises(LetterError, match=re.escape("The input is a Word document protected by a password")):
        parse_letter(data)
    run = subprocess.run(
        [sys.executable, "-m", "cohandle", "parse", str(FIXTURES / "reply-password-123456.docx")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr == (
        "cohandle: FILE is a Word document protected by a password (an encrypted .docx), which cannot be "
        "read: save it again without its password.\n"
    )


def test_a_word_document_without_python_docx_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docx", None)  # as if cohandle[letters] were not installed
    with pytest.raises(
        LetterError, match=re.escape("needs python-docx to be read: pip install 'cohandle[letters]'")
    ):
        parse_letter(b"PK\x03\x04...")


def test_cli_parse_reads_a_word_document_and_names_what_it_cannot_read(tmp_path: Path) -> None:
    pytest.importorskip("docx")
    from helpers import data, opinion

    written, proposal = tmp_path / "opinion.docx", data()
    write_docx(opinion(), proposal, written)

    def parse(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cohandle", "parse", str(path), "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = parse(written)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["number"] == proposal.number
    scanned = tmp_path / "scan.pdf"
    scanned.write_bytes(b"%PDF-1.4\n")
    done = parse(scanned)
    assert done.returncode == 2
    assert done.stderr == (
        "cohandle: FILE is a PDF, which is not read: copy its text into a text file, or give the "
        "letter as .docx.\n"
    )


# -- importing into a workflow -----------------------------------------------------------------


def _assigned(wf: cohandle.Workflow, number: str = "20230519") -> str:
    from cohandle._demo import COMMITTEE, CPPCC_2023, IPA, SCIENCE

    committee = cohandle.Actor(name="王芳", unit=COMMITTEE)
    data = ProposalData(
        number=number, title="关于促进基础研发的建议", session=CPPCC_2023, proposers=[Proposer(name="李明")]
    )
    pid = wf.receive(data, actor=committee, occurred_at="2023-01-16").id
    wf.assign(pid, lead=SCIENCE, co_handlers=[IPA], actor=committee, occurred_at="2023-02-20")
    return pid


@pytest.mark.skipif(not SEED.exists(), reason="the shared corpus is not beside this checkout")
def test_the_seed_letter_becomes_the_co_handlers_opinion() -> None:
    wf = cohandle.Workflow(clock=cohandle.FixedClock("2023-07-21T09:00:00+08:00"))
    pid = _assigned(wf)
    ipa = cohandle.Actor(name="杨鑫", unit=Unit(name="湖北省知识产权局"))
    p = wf.submit_opinion_letter(pid, SEED.read_text(encoding="utf-8"), actor=ipa)
    part = p.co_handler(Unit(name="湖北省知识产权局"))
    assert part is not None and part.opinion is not None
    assert part.opinion.date.isoformat() == "2023-04-10"
    assert part.opinion.signatory == Contact(name="程浩", phone="027-86759052")
    assert wf.history(pid)[-1].occurred_at.in_timezone("Asia/Shanghai").to_date_string() == "2023-04-10"


@pytest.mark.skipif(not SEED.exists(), reason="the shared corpus is not beside this checkout")
def test_a_letter_about_another_proposal_or_from_another_unit_is_refused() -> None:
    wf = cohandle.Workflow(clock=cohandle.FixedClock("2023-07-21T09:00:00+08:00"))
    other = _assigned(wf, "20230520")
    text = SEED.read_text(encoding="utf-8")
    ipa = cohandle.Actor(name="杨鑫", unit=Unit(name="湖北省知识产权局"))
    with pytest.raises(LetterMismatch, match=r"about proposal No\. 20230519, not No\. 20230520"):
        wf.submit_opinion_letter(other, text, actor=ipa)
    pid = _assigned(wf)
    stranger = cohandle.Actor(name="吴刚", unit=Unit(name="省水利厅"))
    with pytest.raises(cohandle.PermissionDenied):
        wf.submit_opinion_letter(pid, text, actor=stranger)
    assert len(wf.history(pid)) == 2


def test_an_opinion_is_submitted_from_its_word_document(tmp_path: Path) -> None:
    pytest.importorskip("docx")
    wf = cohandle.Workflow(clock=cohandle.FixedClock("2023-07-21T09:00:00+08:00"))
    pid = _assigned(wf)
    unit = Unit(name="湖北省知识产权局")
    ipa = cohandle.Actor(name="杨鑫", unit=unit)
    sent = Opinion(
        author=unit,
        addressee=Unit(name="省科技厅"),
        date="2023-04-10",
        suggested_category="B",
        sections=[Section(heading="一、主要工作情况", text="我局……")],
        signatory=Contact(name="程浩", phone="027-86759052"),
    )
    path = tmp_path / "会办意见.docx"
    write_docx(sent, wf.get(pid).data, path)
    part = wf.submit_opinion_letter(pid, path.read_bytes(), actor=ipa).co_handler(unit)
    assert part is not None and part.opinion is not None
    assert (part.opinion.date.isoformat(), part.opinion.signatory) == ("2023-04-10", sent.signatory)
    assert part.opinion.sections == sent.sections


def test_an_opinion_addressed_to_the_lead_however_its_brackets_were_typed_is_taken() -> None:
    # 省人民政府(办公厅)： typed half width was "addressed to 省人民政府(办公厅), not to the lead
    # unit 省人民政府（办公厅）"
    from helpers import data

    lead = Unit(name="省人民政府（办公厅）")
    letter = parse_letter(
        "关于对省政协十三届一次会议第20230519号提案会办工作的意见\n\n省人民政府(办公厅)：\n"
        "　　我局认真研究了该提案。\n\n湖北省知识产权局\n2023年4月10日\n"
    )
    assert letter.addressee == "省人民政府(办公厅)"  # read as written
    assert opinion_from_letter(letter, data("20230519"), lead).addressee == lead
    other = Unit(name="省人民政府（研究室）")
    with pytest.raises(
        LetterMismatch, match=r"it is addressed to 省人民政府\(办公厅\), not to the lead unit"
    ):
        opinion_from_letter(letter, data("20230519"), other)


def test_a_letter_about_a_congress_item_is_not_taken_for_a_committee_item() -> None:
    npc = Session(body=Body.NPC, level=Level.PROVINCE, region="湖北省", term=14, meeting=1)
    suggestion = ProposalData(
        number="1025", title="关于加快建设科技创新平台的建议", session=npc, proposers=[Proposer(name="钱勇")]
    )
    proposal = attrs.evolve(suggestion, session=attrs.evolve(npc, body=Body.CPPCC))
    lead = Unit(name="省科技厅")
    opinion = Opinion(
        author=Unit(name="省教育厅"), addressee=lead, date="2023-03-20", sections=[Section(text="认真办理。")]
    )
    letter = parse_letter(render_opinion(opinion, suggestion))
    assert opinion_from_letter(letter, suggestion, lead).author == opinion.author
    with pytest.raises(LetterMismatch, match="it is about a 人大代表建议, and the proposal is a 政协提案"):
        opinion_from_letter(letter, proposal, lead)


@pytest.mark.parametrize(
    ("between", "headings"),
    [
        ("\t", ["一、主要工作情况", "二、下一步打算"]),
        (" \t", ["一、主要工作情况", "二、下一步打算"]),
        ("\t\t\t", ["一、主要工作情况", "二、下一步打算"]),  # cells left empty between
        ("\t \u3000", ["一、主要工作情况", "二、下一步打算"]),
        ("：", ["一、主要工作情况", "二、下一步打算"]),
        ("　", ["二、下一步打算"]),  # blanks alone are not a cell's end: 一、 is not at a line's start
    ],
    ids=["tab", "space tab", "tabs", "tab blanks", "colon", "blank"],
)
def test_a_forms_first_heading_is_read_after_its_label_and_a_tab_or_a_colon(
    between: str, headings: list[str]
) -> None:
    # a run of blanks with a tab in it is tried once, from its start: each tab of a long run was
    # tried to the run's end (2.7 seconds for a row of 32,000 empty cells; benchmarks/letters.py)
    letter = parse_letter(
        "关于对省政协十三届一次会议第20230519号提案会办工作的意见\n省科技厅：\n"
        f"会办意见{between}一、主要工作情况\n我局……\n二、下一步打算\n我局将……\n湖北省知识产权局\n2023年4月10日\n"
    )
    assert [section.heading for section in letter.sections] == headings


def test_an_opinion_in_an_oa_systems_form_is_taken_as_its_letter_is() -> None:
    # 会办意见表, as an OA system prints one or as a table copied out of Word: its fields were
    # not read (the number, the title, the lead, the co-handler, the 分管领导 beside a tab), and
    # its first label, 提案号, was taken for the addressee
    npc = Session(body=Body.NPC, level=Level.PROVINCE, region="湖北省", term=14, meeting=1)
    suggestion = ProposalData(
        number="1025", title="关于加快建设科技创新平台的建议", session=npc, proposers=[Proposer(name="钱勇")]
    )
    lead = Unit(name="省科技厅")
    letter = parse_letter((FIXTURES / "opinion-oa-table.txt").read_text(encoding="utf-8"))
    opinion = opinion_from_letter(letter, suggestion, lead)
    assert opinion.author == Unit(name="省教育厅") and opinion.addressee == lead
    assert opinion.suggested_category == "A"
    assert opinion.signatory == Contact(name="周敏", phone="027-87328001")
    assert opinion.handler == Contact(name="何静", phone="027-87328002")
    assert [section.heading for section in opinion.sections] == ["一、工作开展情况", "二、下一步打算"]
    assert opinion.sections[-1].text == "继续加强产学研协同……"  # not the lines of the people under it
    # a label is never an addressee, nor a lead's name the author of a reply
    form = (FIXTURES / "opinion-oa-form.txt").read_text(encoding="utf-8")
    assert parse_letter(form).addressee == "省科技厅"
    assert parse_letter(form.replace("主办单位：省科技厅\n", "")).addressee is None
    assert parse_letter(form).body_text == "一、主要工作情况\n　　我局……\n　　二、下一步打算\n　　我局将……"


def test_a_projects_leader_named_in_the_body_is_not_the_letters_signatory() -> None:
    text = (
        "关于省政协十三届一次会议第20230519号提案会办工作的意见\n\n省科技厅：\n"
        "　　一、主要工作情况\n　　实验室建设项目负责人：张三，已完成验收。\n"
        "\n湖北省知识产权局\n2023年4月10日\n单位负责人：程浩　联系电话：027-86759052\n"
    )
    letter = parse_letter(text)
    assert letter.issuer == "程浩" and letter.warnings == ()
    assert letter.sections[0].text == "实验室建设项目负责人：张三，已完成验收。"


def test_cli_parse_prints_the_json_form(tmp_path: Path) -> None:
    path = FIXTURES / "reply-city-ascii-noise.txt"
    result = subprocess.run(
        [sys.executable, "-m", "cohandle", "parse", str(path), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    assert data["doc_number"] == "武交函〔2024〕36号" and data["addressee"] == ["王红", "刘强"]
    missing = subprocess.run(
        [sys.executable, "-m", "cohandle", "parse", str(tmp_path / "none.txt")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "cannot be read" in missing.stderr


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("二〇二二年六月三十日", "2022-06-30"),
        ("二○二三年五月六日", "2023-05-06"),
        ("二零二四年十二月三十一日", "2024-12-31"),
        ("2023年4月10日", "2023-04-10"),
    ],
)
def test_letter_dates_in_chinese_or_arabic_numerals(written: str, day: str) -> None:
    text = f"关于对县政协十届二次会议第3号提案的答复\n\n张三委员：\n　　现答复如下：……\n\n　　　　某某县教育局\n　　　　{written}\n"
    assert parse_letter(text).to_json()["letter_date"] == day


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("十三", 13),
        ("二十", 20),
        ("十", 10),
        ("九十九", 99),
        ("二〇二二", 2022),
        ("13", 13),
        # slips of a typist or a scraper: not numbers, and never a raw KeyError
        ("十十三", None),
        ("十四五", None),
        ("一二十", None),
        ("二十十", None),
        ("〇十", None),
        ("十x", None),
        ("", None),
        # digits of other kinds, which str.isdigit() takes and int() refuses: never a ValueError
        ("²", None),
        ("①", None),
        ("１３", 13),  # full width, as an input method types them
    ],
)
def test_chinese_numerals_and_slips_that_are_not_numbers(written: str, value: int | None) -> None:
    assert chinese_int(written) == value


def test_a_garbled_session_numeral_leaves_the_session_empty() -> None:
    text = "关于对市政协十四五届三次会议第0157号提案的答复\n\n王红委员：\n　　现答复如下：……\n"
    letter = parse_letter(text)
    assert letter.number == "0157"
    assert letter.to_json()["session_term"] is None
    assert letter.to_json()["session_meeting"] == 3


NUMERALS = st.text(alphabet="〇一二三四五六七八九十", min_size=1, max_size=4)


@given(NUMERALS, NUMERALS)
@settings(max_examples=300, deadline=None)
def test_any_numerals_in_a_session_read_or_are_left_empty(term: str, meeting: str) -> None:
    letter = parse_letter(
        f"关于对市政协{term}届{meeting}次会议第0157号提案的答复\n\n王红委员：\n　　现答复如下：……\n"
    )
    read = letter.to_json()["session_term"]
    assert read is None or (isinstance(read, int) and read >= 0)


_FIXTURE_TEXTS = [path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.txt"))]
_EDITS = "一二三四五六七八九十〇年月日号第届次会议提案建议答复会办意见联系人电话邮政编码：:，,。（）()〔〕\n 0123456789-—/\ufeff\u200b"


@given(
    st.sampled_from(_FIXTURE_TEXTS),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 2), st.sampled_from(_EDITS)), max_size=30),
)
@settings(max_examples=300, deadline=None)
def test_a_letter_garbled_anywhere_reads_or_is_a_letter_error(
    text: str, edits: list[tuple[float, int, str]]
) -> None:
    chars = list(text)
    for where, kind, char in edits:  # insert, delete or replace one character
        at = min(int(where * len(chars)), max(len(chars) - 1, 0))
        if kind == 0 or not chars:
            chars.insert(at, char)
        elif kind == 1:
            del chars[at]
        else:
            chars[at] = char
    with contextlib.suppress(LetterError):
        parse_letter("".join(chars))
