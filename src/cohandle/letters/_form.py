"""The feedback form (征询意见表) that goes out with a reply, and reading one filled in.

The form names the item, the units that handled it and the reply's category and day, and asks
the proposers three things: whether the unit was in touch with them while handling it, how,
and what they think of the result (满意, 基本满意, 不满意), with room for their comments and
their signature. A form filled in (boxes ticked as ☑, √, ■ or ✓, before the choice or after
it) is read back into a :class:`~cohandle.Feedback`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from typing import Any

import attrs

from cohandle._errors import InvalidInput, expect
from cohandle._model import (
    AssignmentMode,
    Body,
    ContactMethod,
    DeadlineKind,
    DeadlineStatus,
    ProposerKind,
    Reply,
    Satisfaction,
    Unit,
)
from cohandle._state import Proposal
from cohandle._text import chinese_date
from cohandle.letters._parse import (
    _DATE,
    _FORM_FIELD,
    _as_ideographs,
    _date,
    _form_label,
    _squeeze,
    read_text,
)
from cohandle.letters._render import TEXT_WIDTH_MM, _for_word, a4_document, save_docx, set_font, title_lines

__all__ = [
    "FormLayout",
    "ParsedFeedbackForm",
    "feedback_form_layout",
    "form_docx",
    "form_text",
    "parse_feedback_form",
]

_BOX = "□"
_CONTACTED = ("是", "否")
_METHODS = tuple(method.label for method in ContactMethod)
_SATISFACTION = tuple(satisfaction.label for satisfaction in Satisfaction)


@attrs.frozen(kw_only=True)
class FormLayout:
    """The parts of a feedback form, in order; :func:`form_text` and :func:`form_docx` set them."""

    title: str
    rows: tuple[tuple[str, str], ...]  # (label, value): the item, the units, the reply
    questions: tuple[tuple[str, tuple[str, ...]], ...]  # (question, its choices)
    comments: str  # the label of the room left for comments
    signature: str  # 提案人（签名）, 代表（签名）
    note: str  # where the form goes back, and by when


def _reply_of(proposal: Proposal, unit: Unit | None) -> tuple[Reply, Unit | None]:
    """The reply the form goes with, and the unit that sent it when the units answer apart."""
    if proposal.mode is AssignmentMode.SEPARATE:
        answered = [part for part in proposal.handlers if part.active and part.reply is not None]
        names = "、".join(part.unit.name for part in answered) or "none yet"
        if unit is None and len(answered) == 1:
            unit = answered[0].unit
        part = None if unit is None else next((p for p in answered if p.unit == unit), None)
        if part is None or part.reply is None:
            raise InvalidInput(
                "unit", f"must name the handler whose reply the form goes with (分办; answered: {names})"
            )
        return part.reply, unit
    if unit is not None and unit != proposal.lead:
        lead = proposal.lead.name if proposal.lead is not None else "none"
        raise InvalidInput("unit", f"must be the lead unit ({lead}) or left out (got {unit.name})")
    if proposal.reply is None:
        raise InvalidInput(
            "proposal", f"has no reply yet ({proposal.id}, {proposal.status.label}): a form goes with a reply"
        )
    return proposal.reply, None


def feedback_form_layout(proposal: Proposal, *, unit: Unit | None = None) -> FormLayout:
    """The feedback form that goes with the proposal's reply: the lead's, or, when the units
    answer apart (分办), that of ``unit`` (which may be left out when one unit has answered)."""
    expect("proposal", proposal, Proposal, "a Proposal (wf.get(id))")
    if unit is not None:
        expect("unit", unit, Unit, "a Unit")
    reply, answering = _reply_of(proposal, unit)
    data = proposal.data
    cppcc = data.session.body is Body.CPPCC
    item, person = data.session.body.item, "提案人" if cppcc else "代表"
    people = all(p.kind in (ProposerKind.MEMBER, ProposerKind.DEPUTY) for p in data.proposers)
    rows = [(f"{item}号", data.number), (f"{item}标题", data.title), (person, "、".join(data.proposer_names))]
    if answering is not None:
        rows.append(("承办单位", answering.name))
    else:
        rows.append(("主办单位", proposal.lead.name if proposal.lead is not None else reply.author.name))
        co = [part.unit.name for part in proposal.co_handlers if part.active]
        if co:
            rows.append(("会办单位", "、".join(co)))
    rows += [("答复类别", reply.category), ("答复日期", chinese_date(reply.date))]
    # the proposers' open deadline for feedback on this reply: the one whose clock the reply started
    open_ = [
        tracked.deadline
        for tracked in proposal.deadlines
        if tracked.deadline.kind is DeadlineKind.PROPOSER_FEEDBACK and tracked.status is DeadlineStatus.OPEN
    ]
    due = [d.due for d in open_ if d.start == reply.date] or [d.due for d in open_]
    back = proposal.assigning_body.name
    when = f"请于{chinese_date(max(due).in_timezone('Asia/Shanghai').date())}前" if due else "请填写后"
    return FormLayout(
        title=f"{data.session.describe()}{item}办理情况征询意见表",
        rows=tuple(rows),
        questions=(
            ("一、办理中是否与您联系沟通", _CONTACTED),
            ("二、沟通方式", _METHODS),
            ("三、对办理结果的意见", _SATISFACTION),
        ),
        comments="四、意见和建议",
        signature=f"{person}（签名）" if people else f"{'提案者' if cppcc else person}（盖章）",
        note=f"{when}将此表送回{back}。",
    )


def _question_line(question: str, choices: tuple[str, ...]) -> str:
    return f"{question}：" + "　".join(_BOX + choice for choice in choices)


def form_text(form: FormLayout) -> str:
    """The form as plain text, one part a line, with a box (□) before each choice."""
    expect("form", form, FormLayout, "a FormLayout")
    lines = [form.title, ""]
    lines += [f"{label}：{value}" for label, value in form.rows]
    lines.append("")
    lines += [_question_line(question, choices) for question, choices in form.questions]
    lines += [f"{form.comments}：", "", "", ""]
    lines += [f"{form.signature}：" + "　" * 8 + "年　　月　　日", "", form.note]
    return "\n".join(lines) + "\n"


# A check box content control (Word 2010 and later, WPS, LibreOffice 7.5 and later): □ until
# clicked, then ☑; read back as either, as a box typed would be
_CHECK_BOX = (
    '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"><w:sdtPr><w14:checkbox>'
    '<w14:checked w14:val="0"/><w14:checkedState w14:val="2611" w14:font="Segoe UI Symbol"/>'
    '<w14:uncheckedState w14:val="2610" w14:font="Segoe UI Symbol"/></w14:checkbox></w:sdtPr>'
    '<w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="Segoe UI Symbol" w:eastAsia="Segoe UI Symbol" '
    'w:hAnsi="Segoe UI Symbol"/><w:sz w:val="28"/></w:rPr><w:t>☐</w:t></w:r></w:sdtContent></w:sdt>'
)


def form_docx(form: FormLayout, path: str | os.PathLike[str]) -> None:
    """Write the form as a .docx (python-docx): the title, a table of the item, the questions
    with a check box before each choice (ticked with a click in Word or WPS, or by hand on
    paper), room for comments, the signature line and the note. Written as
    :func:`~cohandle.letters.to_docx` writes a letter: under a temporary name, then in place."""
    expect("form", form, FormLayout, "a FormLayout")
    expect("path", path, (str, os.PathLike), "a file name")
    document = a4_document()
    from docx.enum.table import WD_ALIGN_VERTICAL, WD_ROW_HEIGHT_RULE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.shared import Mm

    def paragraph(text: str, *, font: str = "仿宋_GB2312", size: float = 14, align: Any = None) -> None:
        para = document.add_paragraph()
        if align is not None:
            para.alignment = align
        set_font(para.add_run(_for_word(text)), font, size)

    paragraph(title_lines(form.title, 18), font="方正小标宋简体", size=18, align=WD_ALIGN_PARAGRAPH.CENTER)
    table = document.add_table(rows=len(form.rows), cols=2)
    table.style = "Table Grid"
    table.autofit = False
    # the labels' column as wide as its longest label (5 characters at 14 points, and room),
    # the values' the rest of the line; Word reads the cells' widths, others the columns'
    widths = (Mm(36), Mm(TEXT_WIDTH_MM - 36))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row, (label, value) in zip(table.rows, form.rows, strict=True):
        row.height, row.height_rule = Mm(9), WD_ROW_HEIGHT_RULE.AT_LEAST
        for cell, text, width in zip(row.cells, (label, value), widths, strict=True):
            cell.text = ""
            cell.width, cell.vertical_alignment = width, WD_ALIGN_VERTICAL.CENTER
            set_font(cell.paragraphs[0].add_run(_for_word(text)), "仿宋_GB2312", 14)
    document.add_paragraph()  # a line between the table and the questions
    for question, choices in form.questions:  # each box a check box Word and WPS tick with a click
        para = document.add_paragraph()
        set_font(para.add_run(_for_word(f"{question}：")), "仿宋_GB2312", 14)
        for index, choice in enumerate(choices):
            para._p.append(parse_xml(_CHECK_BOX))
            set_font(
                para.add_run(_for_word(choice + ("　" if index < len(choices) - 1 else ""))),
                "仿宋_GB2312",
                14,
            )
    paragraph(f"{form.comments}：")
    for _ in range(4):
        paragraph("")
    paragraph(f"{form.signature}：" + "　" * 8 + "年　　月　　日")
    paragraph(form.note, size=12)
    save_docx(document, path)


# -- reading a form filled in --------------------------------------------------------------------

_MARK = "☑☒✅■▇●◆✓✔√×Xxｘ✗✘"
_GAP = re.compile(r"[^\S\n]*")
_TICK = rf"(?:[{_MARK}]|[（(][^\S\n]*[{_MARK}][^\S\n]*[）)])"
_NOT_AFTER = {"满意": "本不"}  # 满意 is the end of 基本满意 and of 不满意 too


def _marked(line: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    """The choices ticked on ``line``: each mark is the tick of the choice right after it
    (☑满意, (√)满意) or, written right after a choice, of that one (满意√); where it could be
    either, of the one after it on a form with boxes, else of the one before. On a line with no
    mark and no box, the choice written alone as its answer (对办理结果的意见：基本满意)."""
    boxed = _BOX in line or "☐" in line
    ticked: list[str] = []

    def ends_at(choice: str, end: int) -> bool:  # without slicing the line: a long one is read once
        start = end - len(choice)
        if start < 0 or not line.startswith(choice, start, end):
            return False
        return start == 0 or line[start - 1] not in _NOT_AFTER.get(choice, "")

    def next_to(start: int, end: int) -> tuple[str | None, str | None]:
        """The choice right after ``end`` (past spaces), and the one that ends at ``start``."""
        gap = _GAP.match(line, end)
        after = gap.end() if gap is not None else end
        ahead = next((c for c in choices if ends_at(c, after + len(c))), None)
        return ahead, next((c for c in choices if ends_at(c, start)), None)

    # a form prints its boxes before the choices (□满意) or after them (满意□): a tick between
    # two choices belongs where the boxes stand
    boxes_after = any(next_to(box.start(), box.end())[1] is not None for box in re.finditer("[□☐]", line))
    for tick in re.finditer(_TICK, line):
        ahead, behind = next_to(tick.start(), tick.end())
        before_its_choice = boxed and not boxes_after
        choice = ahead if ahead is not None and (behind is None or before_its_choice) else behind
        if choice is not None and choice not in ticked:
            ticked.append(choice)
    if ticked:
        return tuple(c for c in choices if c in ticked)
    answer = re.sub(r"^[^:：]*[:：]", "", line).strip()
    return (answer,) if not boxed and answer in choices else ()


@attrs.frozen(kw_only=True)
class ParsedFeedbackForm:
    """What a feedback form filled in says; what it does not say is None (or empty)."""

    text: str
    number: str | None
    unit: str | None  # the 承办单位 (or 主办单位) it names
    satisfaction: Satisfaction | None
    contacted: bool | None
    methods: tuple[ContactMethod, ...]
    comments: str
    signed_by: str | None
    date: _dt.date | None
    warnings: tuple[str, ...]


# 提案人（签名）, 代表签字, 提案者（盖章）: the line the proposer signs on
_SIGNATURE = re.compile(
    r"(?m)^[^\S\n]*[\u4e00-\u9fff]{0,6}[（(]?(?:签[^\S\n]*[名字章]|盖[^\S\n]*章)(?:或盖章)?[）)]?[^\S\n]*[:：]?"
)
_COMMENTS = re.compile(
    r"(?m)^[^\S\n]*(?:[一二三四五六七八九十]+、)?(?:意见和建议|意见建议|具体意见|其他意见)[^\S\n]*[:：]?"
)
_NAME_SIGNED = re.compile(
    r"[^\S\n]*(?P<name>[\u4e00-\u9fff](?:[^\S\n]?[\u4e00-\u9fff]){1,3})(?![\u4e00-\u9fff])"
)


# a feedback form's title: 征询意见表 (as cohandle writes it), 征求意见表, 意见反馈表, 回执
_FORM_TITLE = re.compile(
    r"征询意见表|意见征询表|征求意见表|反馈意见表|意见反馈表|满意度(?:调查|测评)?表|办理[^\n]{0,6}回执"
)


def is_feedback_form(text: str) -> bool:
    """Whether ``text`` is a feedback form rather than a letter: its title, in its first lines,
    names one (征询意见表, 意见反馈表, 回执), and it asks whether the proposers are satisfied
    (不满意 among its choices: a page whose menu names the form, above a letter, is a letter)."""
    head = "\n".join(line for line in text[:2000].split("\n") if line.strip())[:200]
    return _FORM_TITLE.search(head) is not None and "不满意" in text


def parse_feedback_form(text: str | bytes, *, encoding: str = "utf-8") -> ParsedFeedbackForm:
    """Read a feedback form filled in: text, or a file's bytes (a Word document's among them),
    as :func:`~cohandle.letters.parse_letter` takes them. Never guesses: a question with no box
    ticked, or with two where one is asked for, is None with a warning."""
    text = read_text(text, encoding).replace("\r\n", "\n").replace("\r", "\n")
    warnings: list[str] = []
    text = _as_ideographs(text, warnings)
    number = unit = None
    for match in _FORM_FIELD.finditer(text):
        named = _form_label(match.group("label"))
        label = _squeeze(match.group("label"))
        if named is not None and named[0] == "number":
            found = re.fullmatch(r"(?:第\s*)?(\d{1,12})\s*号?", match.group("value").strip())
            number = number or (found.group(1) if found else None)
        elif label in ("承办单位", "主办单位") and unit is None and match.group("value").strip():
            unit = _squeeze(match.group("value"))
    satisfaction = contacted = None
    methods: tuple[ContactMethod, ...] = ()
    for line in text.split("\n"):
        if "满意" in line and satisfaction is None:
            ticked = _marked(line, _SATISFACTION)
            if len(ticked) == 1:
                satisfaction = next(s for s in Satisfaction if s.label == ticked[0])
            elif ticked:
                warnings.append(f"satisfaction: {'、'.join(ticked)} are all ticked; left empty")
        elif "方式" in line and not methods:
            labels = _marked(line, _METHODS)
            methods = tuple(m for m in ContactMethod if m.label in labels)
        elif "联系" in line and contacted is None:
            ticked = _marked(line, _CONTACTED)
            if len(ticked) == 1:
                contacted = ticked[0] == "是"
            elif ticked:
                warnings.append("contacted: both 是 and 否 are ticked; left empty")
    if satisfaction is None and not any("satisfaction" in w for w in warnings):
        warnings.append("satisfaction: no box of 满意, 基本满意 or 不满意 is ticked")
    signature = _SIGNATURE.search(text)
    comments = ""
    heading = _COMMENTS.search(text)
    if heading is not None:
        end = signature.start() if signature is not None and signature.start() > heading.end() else len(text)
        comments = re.sub(r"[（(]可另附页[）)]", "", text[heading.end() : end]).strip()
    signed_by = day = None
    if signature is not None:
        line_end = text.find("\n", signature.end())
        line = text[signature.end() : len(text) if line_end < 0 else line_end]
        name = _NAME_SIGNED.match(line)
        if name is not None and not name.group("name").startswith(("年", "月", "日")):
            signed_by = _squeeze(name.group("name"))
        # the day is written on the signature's line, or on the line under it alone
        following = text[len(text) if line_end < 0 else line_end + 1 :].lstrip("\n").split("\n", 1)[0]
        dated = _DATE.search(line) or _DATE.fullmatch(following.strip())
        day = _date(dated) if dated is not None else None
    return ParsedFeedbackForm(
        text=text,
        number=number,
        unit=unit,
        satisfaction=satisfaction,
        contacted=contacted,
        methods=methods,
        comments=comments,
        signed_by=signed_by,
        date=day,
        warnings=tuple(warnings),
    )
