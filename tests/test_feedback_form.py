"""The feedback form (征询意见表) that goes with a reply: written, filled in, read back, recorded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pendulum
import pytest

import cohandle
from cohandle import AssignmentMode, ContactMethod, DeadlineKind, Satisfaction, Status
from cohandle.letters import (
    LetterError,
    LetterMismatch,
    feedback_form_layout,
    feedback_from_form,
    form_docx,
    parse_feedback_form,
    render_feedback_form,
)
from helpers import A_H1, A_H2, A_PROPOSER, CO1, CO2, H1, H2, LEAD, bring_to, reply, workflow


def _filled(form: str, **ticks: str) -> str:
    """``form`` with the boxes of ``ticks`` (choice: mark) ticked."""
    for choice, mark in ticks.items():
        form = form.replace("□" + choice, mark + choice, 1)
    return form


def test_the_form_names_the_item_the_units_and_the_reply_and_asks_three_things() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    p = wf.get(pid)
    form = render_feedback_form(p)
    assert form.splitlines()[:10] == [
        "湖北省政协十三届一次会议提案办理情况征询意见表",
        "",
        f"提案号：{p.number}",
        f"提案标题：{p.title}",
        "提案人：李明、王红",
        f"主办单位：{LEAD.name}",
        f"会办单位：{CO1.name}、{CO2.name}",
        "答复类别：B",
        f"答复日期：{p.reply.date.year}年{p.reply.date.month}月{p.reply.date.day}日",  # type: ignore[union-attr]
        "",
    ]
    assert "三、对办理结果的意见：□满意　□基本满意　□不满意" in form
    assert "提案人（签名）：" in form
    assert form.rstrip().endswith("请填写后将此表送回省政协提案委员会。")  # no feedback deadline recorded


def test_a_form_taken_out_of_a_pdf_with_radicals_for_characters_is_read() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    form = _filled(render_feedback_form(wf.get(pid)), 是="☑", 满意="☑")
    taken = form.translate(str.maketrans("一二人大", "⼀⼆⼈⼤"))
    assert taken != form
    read, clean = parse_feedback_form(taken), parse_feedback_form(form)
    assert (read.number, read.unit, read.satisfaction, read.contacted) == (
        clean.number,
        clean.unit,
        Satisfaction.SATISFIED,
        True,
    )
    assert read.warnings == (
        "radicals or compatibility ideographs that stand for characters (⼈ for 人, as text taken "
        "from a PDF carries them) were read as those characters",
    )


def test_a_form_goes_with_a_reply_and_in_separate_handling_with_one_units() -> None:
    wf = workflow()
    early = bring_to(wf, Status.CONSOLIDATED)
    with pytest.raises(
        cohandle.InvalidInput, match=r"^proposal has no reply yet .* a form goes with a reply"
    ):
        render_feedback_form(wf.get(early))
    apart = bring_to(wf, Status.ANSWERED, mode=AssignmentMode.SEPARATE)
    with pytest.raises(cohandle.InvalidInput, match=r"answered: 省财政厅、省人社厅"):
        render_feedback_form(wf.get(apart))
    assert f"承办单位：{H2.name}" in render_feedback_form(wf.get(apart), unit=H2)
    with pytest.raises(cohandle.InvalidInput, match=r"^unit must be the lead unit \(省科技厅\) or left out"):
        render_feedback_form(wf.get(bring_to(wf, Status.ANSWERED)), unit=CO1)


@pytest.mark.parametrize(
    ("line", "satisfaction"),
    [
        ("三、对办理结果的意见：☑满意　□基本满意　□不满意", Satisfaction.SATISFIED),
        ("三、对办理结果的意见：□满意　√基本满意　□不满意", Satisfaction.BASICALLY_SATISFIED),
        ("三、对办理结果的意见：□满意　□基本满意　■不满意", Satisfaction.DISSATISFIED),
        ("三、对办理结果的意见：□满意　（√）基本满意　□不满意", Satisfaction.BASICALLY_SATISFIED),
        ("三、对办理结果的意见：满意　基本满意√　不满意", Satisfaction.BASICALLY_SATISFIED),  # ticked after
        ("三、对办理结果的意见：满意□　基本满意■　不满意□", Satisfaction.BASICALLY_SATISFIED),  # boxes after
        ("三、对办理结果的意见：满意✓", Satisfaction.SATISFIED),
        ("三、对办理结果的意见：基本满意", Satisfaction.BASICALLY_SATISFIED),  # written, with no boxes
        ("三、对办理结果的意见：☑满意　☑基本满意　□不满意", None),  # two: never guessed
        ("三、对办理结果的意见：□满意　□基本满意　□不满意", None),  # none
    ],
)
def test_the_box_ticked_is_read_however_it_is_ticked(line: str, satisfaction: Satisfaction | None) -> None:
    read = parse_feedback_form(f"提案号：0001\n{line}\n")
    assert read.satisfaction is satisfaction
    if satisfaction is None:
        assert len(read.warnings) == 1 and read.warnings[0].startswith("satisfaction: ")


@pytest.mark.parametrize(
    ("line", "contacted"),
    [
        ("一、办理中是否与您联系沟通：☑是　□否", True),
        ("一、办理中是否与您联系沟通：□是　☑否", False),
        ("一、办理中是否与您联系沟通：是☑　否□", True),  # the boxes after the choices: the tick is 是's
        ("一、办理中是否与您联系沟通：是□　否☑", False),
        ("一、办理中是否与您联系沟通：☑是　☑否", None),
    ],
)
def test_whether_the_unit_was_in_touch_is_read_where_the_boxes_stand(
    line: str, contacted: bool | None
) -> None:
    assert parse_feedback_form(f"{line}\n三、对办理结果的意见：☑满意\n").contacted is contacted


def test_a_form_filled_in_is_read_back_and_recorded_as_the_proposers_feedback() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    filled = _filled(render_feedback_form(wf.get(pid)), 是="☑", 电话="√", 见面="√", 不满意="■")
    filled = filled.replace("四、意见和建议：\n", "四、意见和建议：\n希望细化扶持措施。\n（可另附页）\n")
    filled = filled.replace("（签名）：　", "（签名）：李 明　").replace("年　　月　　日", "2025年3月20日")
    read = parse_feedback_form(filled)
    assert (read.number, read.unit, read.satisfaction, read.contacted) == (
        wf.get(pid).number,
        LEAD.name,
        Satisfaction.DISSATISFIED,
        True,
    )
    assert read.methods == (ContactMethod.MEETING, ContactMethod.PHONE)
    assert (read.comments, read.signed_by, str(read.date), read.warnings) == (
        "希望细化扶持措施。",
        "李明",
        "2025-03-20",
        (),
    )
    feedback = feedback_from_form(read, wf.get(pid))
    assert (feedback.satisfaction, feedback.comments, str(feedback.date)) == (
        Satisfaction.DISSATISFIED,
        "希望细化扶持措施。",
        "2025-03-20",
    )
    wf.clock.advance(days=20)  # type: ignore[attr-defined]  # entered the day after it was signed
    p = wf.record_feedback(pid, feedback=feedback, actor=A_PROPOSER)
    assert p.dissatisfied
    assert wf.history(pid)[-1].occurred_at == pendulum.datetime(2025, 3, 20, tz="Asia/Shanghai")


def test_the_workflow_records_a_form_with_the_day_it_was_signed() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    wf.clock.advance(days=30)  # type: ignore[attr-defined]  # the form comes back weeks later
    form = _filled(render_feedback_form(wf.get(pid)), 满意="☑").replace("年　　月　　日", "2025年3月20日")
    p = wf.record_feedback_form(pid, form.encode("utf-8"), actor=A_PROPOSER)
    assert p.feedback[-1].feedback.satisfaction is Satisfaction.SATISFIED
    assert wf.history(pid)[-1].occurred_at.in_timezone("Asia/Shanghai").to_date_string() == "2025-03-20"
    other = bring_to(wf, Status.ANSWERED)
    with pytest.raises(LetterMismatch, match=r"it is about No\. "):
        wf.record_feedback_form(other, form, actor=A_PROPOSER)
    assert wf.get(other).feedback == ()


def test_a_day_left_blank_is_no_day_and_the_note_under_the_signature_is_not_one() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    text = _filled(render_feedback_form(wf.get(pid)), 满意="☑").replace(
        "请填写后将此表送回", "请于2025年4月1日前将此表送回"
    )
    read = parse_feedback_form(text)
    assert (read.date, read.signed_by, read.comments) == (None, None, "")


def test_a_form_about_another_item_or_without_an_answer_is_refused() -> None:
    wf = workflow()
    pid, other = bring_to(wf, Status.ANSWERED), bring_to(wf, Status.ANSWERED)
    form = render_feedback_form(wf.get(pid))
    with pytest.raises(LetterMismatch, match=r"it is about No\. .*, not No\. .*; it ticks no one answer"):
        feedback_from_form(parse_feedback_form(form), wf.get(other))
    with pytest.raises(cohandle.InvalidInput, match=r"^form must be a ParsedFeedbackForm"):
        feedback_from_form(form, wf.get(pid))  # type: ignore[arg-type]


def test_in_separate_handling_the_feedback_is_about_the_unit_the_form_names() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED, mode=AssignmentMode.SEPARATE)
    form = _filled(render_feedback_form(wf.get(pid), unit=H1), 基本满意="☑")
    feedback = feedback_from_form(parse_feedback_form(form), wf.get(pid))
    assert feedback.unit == H1
    p = wf.record_feedback(pid, feedback=feedback, actor=A_PROPOSER)
    assert p.latest_feedback(H1) is not None and p.latest_feedback(H2) is None


def test_the_form_names_the_day_the_proposers_feedback_is_due() -> None:
    from cohandle.deadlines import Calendar, preset

    wf = workflow(policy=preset("generic"), calendar=Calendar.china())
    pid = bring_to(wf, Status.ASSIGNED, mode=AssignmentMode.SEPARATE)
    wf.answer(pid, reply=reply(H1), actor=A_H1)
    wf.clock.advance(days=10)  # type: ignore[attr-defined]
    wf.answer(pid, reply=reply(H2), actor=A_H2)  # the proposers' month starts when both have answered
    (due,) = [
        t.deadline.due for t in wf.get(pid).deadlines if t.deadline.kind is DeadlineKind.PROPOSER_FEEDBACK
    ]
    day = due.in_timezone("Asia/Shanghai")
    for unit in (H1, H2):
        note = render_feedback_form(wf.get(pid), unit=unit).splitlines()[-1]
        assert note == f"请于{day.year}年{day.month}月{day.day}日前将此表送回省政协提案委员会。"


def test_the_form_as_a_word_document_reads_back(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    path = tmp_path / "征询意见表.docx"
    form_docx(feedback_form_layout(wf.get(pid)), path)
    # the labels in a narrow column, the item in the rest of the line (both were half of it)
    table = docx.Document(str(path)).tables[0]
    label, value = (cell.width for cell in table.rows[0].cells)
    assert label * 3 < value and abs(label + value - docx.shared.Mm(156)) < docx.shared.Mm(0.1)  # in twips
    read = parse_feedback_form(path.read_bytes())
    assert (read.number, read.unit, read.satisfaction) == (wf.get(pid).number, LEAD.name, None)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["征询意见表.docx"]

    # each box a check box control, ticked with a click (they were □ typed, to be replaced by
    # hand): clicked as Word does it, the form reads as ticked there
    w, w14 = (
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}",
        "{http://schemas.microsoft.com/office/word/2010/wordml}",
    )
    document = docx.Document(str(path))
    boxes = [
        sdt
        for sdt in document.element.body.iter(f"{w}sdt")
        if sdt.find(f"{w}sdtPr/{w14}checkbox") is not None
    ]
    assert len(boxes) == 2 + 4 + 3
    clicked = boxes[2 + 4 + 1]  # 基本满意
    clicked.find(f"{w}sdtPr/{w14}checkbox/{w14}checked").set(f"{w14}val", "1")
    next(clicked.iter(f"{w}t")).text = "☑"
    ticked = tmp_path / "ticked.docx"
    document.save(str(ticked))
    assert parse_feedback_form(ticked.read_bytes()).satisfaction is Satisfaction.BASICALLY_SATISFIED
    with pytest.raises(LetterError, match="is a PDF"):
        parse_feedback_form(b"%PDF-1.7\n")


def test_a_form_ticked_in_word_keeps_its_ticks() -> None:
    # ticked with Word's check boxes (content controls, legacy form fields) or a Wingdings box:
    # python-docx's text leaves all three out, and the form read as ticking nothing
    docx = pytest.importorskip("docx")
    import io

    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def xml(text: str) -> object:  # an element of WordprocessingML, its namespace declared at %s
        return parse_xml(text % nsdecls("w"))

    document = docx.Document()
    document.add_paragraph("提案号：0001")
    touch = document.add_paragraph("一、办理中是否与您联系沟通：")
    for box, choice in (("☒", "是"), ("☐", "否")):  # content controls, as Word's 复选框内容控件
        touch._p.append(xml(f"<w:sdt %s><w:sdtContent><w:r><w:t>{box}</w:t></w:r></w:sdtContent></w:sdt>"))
        touch.add_run(choice + "　")
    how = document.add_paragraph("二、沟通方式：")
    for char, choice in (("F0A8", "见面"), ("F0FE", "电话")):  # Wingdings boxes, by 插入符号
        how._p.append(xml(f'<w:r %s><w:sym w:font="Wingdings" w:char="{char}"/></w:r>'))
        how.add_run(choice + "　")
    result = document.add_paragraph("三、对办理结果的意见：")
    for checked, choice in (("", "满意"), ("<w:checked/>", "基本满意"), ("", "不满意")):  # legacy fields
        field = f'<w:ffData><w:checkBox><w:default w:val="0"/>{checked}</w:checkBox></w:ffData>'
        result._p.append(xml(f'<w:r %s><w:fldChar w:fldCharType="begin">{field}</w:fldChar></w:r>'))
        result._p.append(xml("<w:r %s><w:instrText> FORMCHECKBOX </w:instrText></w:r>"))
        result._p.append(xml('<w:r %s><w:fldChar w:fldCharType="end"/></w:r>'))
        result.add_run(choice + "　")
    comments = document.add_paragraph()
    comments._p.append(
        xml('<w:del %s w:id="1" w:author="x"><w:r><w:delText>删去的话</w:delText></w:r></w:del>')
    )
    comments.add_run("四、意见和建议：无")
    saved = io.BytesIO()
    document.save(saved)
    read = parse_feedback_form(saved.getvalue())
    assert (read.contacted, read.methods, read.satisfaction) == (
        True,
        (ContactMethod.PHONE,),
        Satisfaction.BASICALLY_SATISFIED,
    )
    assert (read.comments, read.warnings) == ("无", ())  # a deletion tracked is not read


def test_a_box_ticked_in_a_symbol_font_is_read_as_the_box_it_shows() -> None:
    # the common way to tick a box in Word: type R and set it in Wingdings 2 (£ is its empty
    # box); read as the letters R and £, the form ticked nothing, or 满意 by its answer alone
    docx = pytest.importorskip("docx")
    import io

    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from cohandle.letters._word import word_text

    def typed(paragraph: Any, letter: str, font: str) -> None:
        paragraph._p.append(
            parse_xml(
                f'<w:r {nsdecls("w")}><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}"/></w:rPr>'
                f"<w:t>{letter}</w:t></w:r>"
            )
        )

    document = docx.Document()
    document.add_paragraph("提案号：0001")
    touch = document.add_paragraph("一、办理中是否与您联系沟通：")
    for letter, choice in (("R", "是"), ("£", "否")):
        typed(touch, letter, "Wingdings 2")
        touch.add_run(choice + "　")
    how = document.add_paragraph("二、沟通方式：")
    # in Word's private use area (U+F000 above the font's code) too, and in Wingdings
    for letter, font, choice in (
        ("\uf0a3", "Wingdings 2", "见面"),
        ("\uf052", "Wingdings 2", "电话"),
        ("o", "Wingdings", "书面"),
        ("þ", "Wingdings", "网络"),
    ):
        typed(how, letter, font)
        how.add_run(choice + "　")
    result = document.add_paragraph("三、对办理结果的意见：")
    for code, choice in (("F0A3", "满意"), ("F052", "基本满意"), ("F0A3", "不满意")):  # 插入符号
        result._p.append(
            parse_xml(f'<w:r {nsdecls("w")}><w:sym w:font="Wingdings 2" w:char="{code}"/></w:r>')
        )
        result.add_run(choice + "　")
    saved = io.BytesIO()
    document.save(saved)
    assert word_text(saved.getvalue()).splitlines()[1:] == [
        "一、办理中是否与您联系沟通：☑是　□否　",
        "二、沟通方式：□见面　☑电话　□书面　☑网络　",
        "三、对办理结果的意见：□满意　☑基本满意　□不满意　",
    ]
    read = parse_feedback_form(saved.getvalue())
    assert (read.contacted, read.methods, read.satisfaction) == (
        True,
        (ContactMethod.PHONE, ContactMethod.ONLINE),
        Satisfaction.BASICALLY_SATISFIED,
    )


def test_a_tick_enclosed_in_a_box_is_read_as_a_ticked_box() -> None:
    # Word's 带圈字符 (enclosed characters) puts √ in □ with a field, EQ \o\ac(□,√), whose code
    # is all there is of it: the tick was not read, and the form ticked nothing
    docx = pytest.importorskip("docx")
    import io

    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from cohandle.letters._word import word_text

    def enclosed(paragraph: Any, shape: str, inside: str) -> None:
        runs = [
            '<w:fldChar w:fldCharType="begin"/>',
            '<w:instrText xml:space="preserve">eq \\o\\ac(</w:instrText>',
            f"<w:instrText>{shape}</w:instrText>",  # as Word writes it: the shape in a run of its own
            f'<w:instrText xml:space="preserve">,{inside})</w:instrText>',
            '<w:fldChar w:fldCharType="end"/>',
        ]
        for run in runs:
            paragraph._p.append(parse_xml(f"<w:r {nsdecls('w')}>{run}</w:r>"))

    document = docx.Document()
    document.add_paragraph("提案号：0001")
    result = document.add_paragraph("三、对办理结果的意见：")
    for inside, choice in (("√", "满意"), (" ", "基本满意"), ("", "不满意")):
        if inside:
            enclosed(result, "□", inside)
        else:
            result.add_run("□")
        result.add_run(choice + "　")
    numbered = document.add_paragraph("附注")
    enclosed(numbered, "○", "1")  # a number in a circle: the number
    linked = document.add_paragraph()  # any other field: its result, as before
    for run in (
        '<w:fldChar w:fldCharType="begin"/>',
        "<w:instrText> HYPERLINK x </w:instrText>",
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>链接</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ):
        linked._p.append(parse_xml(f"<w:r {nsdecls('w')}>{run}</w:r>"))
    saved = io.BytesIO()
    document.save(saved)
    assert word_text(saved.getvalue()).splitlines()[1:] == [
        "三、对办理结果的意见：☑满意　□基本满意　□不满意　",
        "附注1",
        "链接",
    ]
    assert parse_feedback_form(saved.getvalue()).satisfaction is Satisfaction.SATISFIED


def test_cli_render_writes_the_feedback_form(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert (
        subprocess.run(
            [sys.executable, "-m", "cohandle", "demo", "--db", str(db)], capture_output=True, check=False
        ).returncode
        == 0
    )

    def render(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cohandle", "render", *args, "--db", str(db)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    done = render("cppcc-湖北省-13-1-20230233", "--kind", "feedback-form")
    assert done.returncode == 0, done.stderr
    assert "请于2023年6月5日前将此表送回省政协提案委员会。" in done.stdout  # the feedback deadline recorded
    separate = render("cppcc-湖北省-13-1-20230412", "--kind", "feedback-form", "--unit", "省财政厅")
    assert (
        "承办单位：省财政厅" in separate.stdout and "提案者（盖章）：" in separate.stdout
    )  # a party proposed it
    refused = render("npc-湖北省-14-1-1025", "--kind", "feedback-form")
    assert refused.returncode == 2
    assert "which has no reply yet for a form to go with (it is assigned)" in refused.stderr


def test_cli_parse_reads_a_feedback_form_filled_in(tmp_path: Path) -> None:
    # it was read as a letter: addressed to "提案人（签名）", of no kind, its answers not shown
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    filled = (
        render_feedback_form(wf.get(pid))
        .replace("□是", "☑是")
        .replace("□电话", "☑电话")
        .replace("□基本满意", "☑基本满意")
        .replace("四、意见和建议：", "四、意见和建议：希望加快进度。")
        .replace("（签名）：", "（签名）：李明　2025年6月1日")
    )
    path = tmp_path / "征询意见表.txt"
    path.write_text(filled, encoding="utf-8")

    def parse(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cohandle", "parse", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    done = parse(str(path))
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    assert ["类型", "征询意见表"] in lines and ["对办理结果的意见", "基本满意"] in lines
    assert ["沟通方式", "电话"] in lines and ["签名", "李明"] in lines and ["日期", "2025-06-01"] in lines
    data = json.loads(parse(str(path), "--json").stdout)
    assert data == {
        "kind": "feedback_form",
        "number": wf.get(pid).number,
        "unit": LEAD.name,
        "contacted": True,
        "methods": ["phone"],
        "satisfaction": "basically_satisfied",
        "comments": "希望加快进度。",
        "signed_by": "李明",
        "date": "2025-06-01",
        "warnings": [],
    }
    blank = tmp_path / "blank.txt"  # a form's title and nothing filled in: nothing found
    blank.write_text(
        "提案办理情况征询意见表\n对办理结果的意见：□满意　□基本满意　□不满意\n", encoding="utf-8"
    )
    assert parse(str(blank)).returncode == 1
    page = tmp_path / "page.txt"  # a page whose menu names the form, above a reply: a letter
    page.write_text(
        "首页 > 建议提案 > 征询意见表下载\n关于对省政协十三届一次会议第20230519号提案的答复\n李明委员：\n"
        "现答复如下。\n省科技厅\n2023年5月10日\n",
        encoding="utf-8",
    )
    assert json.loads(parse(str(page), "--json").stdout)["kind"] == "reply"
