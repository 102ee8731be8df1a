"""Writing an opinion or a reply as an official letter (函) in the GB/T 9704-2012 letter format.

The layout, top to bottom: the reply category mark, the document number, the title in the
standard form for its kind, the addressee, the body with its numbered sections, the signing
unit and the date (Arabic numerals, year in full, no zero padding), the 附注 for disclosure, the
lines of the leader in charge (主管领导) and the handling officer (经办人) with their phones, the
postal code, attachments and 抄送. As plain text, or as a .docx (``pip install 'cohandle[letters]'``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
from collections.abc import Sequence
from typing import Any

import attrs

from cohandle._errors import (
    InvalidInput,
    expect,
    lone_surrogate,
    partial_name,
    put_in_place,
    unusable_file,
    writable,
)
from cohandle._model import Body, Contact, Disclosure, Opinion, ProposalData, ProposerKind, Reply, Section
from cohandle._state import Proposal
from cohandle._text import chinese_date, width

__all__ = ["LetterLayout", "opinion_layout", "reply_layout", "to_docx", "to_text"]

_WIDTH = 28  # characters of a line of an A4 page in 3号 type
_DATE_GAP = 4  # GB/T 9704: a sealed letter's date ends four characters from the line's end


@attrs.frozen(kw_only=True)
class LetterLayout:
    """The parts of a letter, in order; :func:`to_text` and :func:`to_docx` set them."""

    category: str | None
    doc_number: str | None
    title: str
    addressee: str
    opening: str
    sections: tuple[Section, ...]
    signature: str
    date: _dt.date
    note: str | None
    contacts: tuple[str, ...]
    attachments: tuple[str, ...]
    copies: tuple[str, ...]


def letter_date(day: _dt.date) -> str:
    """2023年4月10日: Arabic numerals, the year in full, no zero padding."""
    expect("day", day, _dt.date, "a date")
    return chinese_date(day)


def _contacts(signatory: Contact | None, handler: Contact | None, postal_code: str | None) -> tuple[str, ...]:
    lines = []
    if signatory is not None:
        lines.append(
            f"主管领导：{signatory.name}" + (f"　联系电话：{signatory.phone}" if signatory.phone else "")
        )
    if handler is not None:
        lines.append(f"经办人：{handler.name}" + (f"　联系电话：{handler.phone}" if handler.phone else ""))
    if postal_code:
        lines.append(f"邮政编码：{postal_code}")
    return tuple(lines)


def _data(proposal: ProposalData | Proposal) -> ProposalData:
    """What the proposal asked: given as such, or as a proposal's state."""
    expect("proposal", proposal, (ProposalData, Proposal), "a ProposalData or a Proposal")
    return proposal.data if isinstance(proposal, Proposal) else proposal


def opinion_layout(opinion: Opinion, proposal: ProposalData | Proposal) -> LetterLayout:
    """A co-handler's opinion to the lead unit."""
    expect("opinion", opinion, Opinion, "an Opinion")
    proposal = _data(proposal)
    session = proposal.session.describe()
    item = proposal.session.body.item
    who = "提案者" if proposal.session.body is Body.CPPCC else "代表"
    return LetterLayout(
        category=opinion.suggested_category,
        doc_number=opinion.doc_number,
        title=f"关于对{session}第{proposal.number}号{item}会办工作的意见",
        addressee=f"{opinion.addressee.name}：",
        opening=f"现将{session}第{proposal.number}号{item}提出的有关“{proposal.title}”办理情况函告如下，请综合后一并答复{who}。",
        sections=opinion.sections,
        signature=opinion.author.name,
        date=opinion.date,
        note=None,
        contacts=_contacts(opinion.signatory, opinion.handler, opinion.postal_code),
        attachments=opinion.attachments,
        copies=(),
    )


def _addressee(proposal: ProposalData, names: Sequence[str], merged: Sequence[ProposalData] = ()) -> str:
    kinds = {p.name: p.kind for item in (*merged, proposal) for p in item.proposers}
    honorific = "委员" if proposal.session.body is Body.CPPCC else "代表"
    people = [n for n in names if kinds.get(n) in (ProposerKind.MEMBER, ProposerKind.DEPUTY, None)]
    groups = [n for n in names if n not in people]
    parts = []
    if people:
        parts.append("、".join(people) + honorific)
    parts.extend(groups)
    return "、".join(parts) + "："


def _you(proposal: ProposalData, names: Sequence[str], merged: Sequence[ProposalData] = ()) -> str:
    """您 to one member or deputy; 你们 to several proposers, or to a party, a committee, a sector
    or a delegation, as replies address them."""
    kinds = {p.name: p.kind for item in (*merged, proposal) for p in item.proposers}
    alone = len(names) == 1 and kinds.get(names[0]) in (ProposerKind.MEMBER, ProposerKind.DEPUTY, None)
    return "您" if alone else "你们"


_NOTES = {
    Disclosure.PUBLIC: "（此件主动公开）",
    Disclosure.ON_REQUEST: "（此件依申请公开）",
    Disclosure.NOT_PUBLIC: "（此件不予公开）",
}


def reply_layout(
    reply: Reply, proposal: ProposalData | Proposal, *, merged: Sequence[ProposalData] | None = None
) -> LetterLayout:
    """The lead's (or a separate handler's) reply to the proposers, and to those of the items
    merged into the proposal (并案): their numbers follow its number in the title, their titles
    its title, and the letter is written to all their proposers.

    Given a :class:`~cohandle.Proposal` (``wf.get(id)``), the items are its ``merged``; given
    its :class:`~cohandle.ProposalData`, they are what ``merged`` lists."""
    expect("reply", reply, Reply, "a Reply")
    if isinstance(proposal, Proposal):
        if merged is not None:
            raise InvalidInput(
                "merged", "must be left out with a Proposal: the items merged into it are its own `merged`"
            )
        merged = [item.proposal for item in proposal.merged]
    proposal = _data(proposal)
    given: object = () if merged is None else merged  # what the caller passed, whatever the annotation says
    if isinstance(given, str | bytes) or not isinstance(given, Sequence):
        raise InvalidInput("merged", f"must be a list of ProposalData (got {type(given).__name__})")
    merged = tuple(given)
    for other in merged:
        expect("merged", other, ProposalData, "a list of ProposalData")
    session = proposal.session.describe()
    item = proposal.session.body.item
    number = f"第{proposal.number}号"
    if merged:
        number += "（并" + "、".join(f"第{other.number}号" for other in merged) + "）"
    names = reply.addressees or tuple(
        dict.fromkeys(name for other in (proposal, *merged) for name in other.proposer_names)
    )
    titles = "".join(f"《{title}》" for title in dict.fromkeys(other.title for other in (proposal, *merged)))
    return LetterLayout(
        category=reply.category,
        doc_number=reply.doc_number,
        title=f"关于对{session}{number}{item}的答复",
        addressee=_addressee(proposal, names, merged),
        opening=f"{_you(proposal, names, merged)}提出的{titles}收悉。现答复如下：",
        sections=reply.sections,
        signature=reply.author.name,
        date=reply.date,
        note=_NOTES[reply.disclosure],
        contacts=_contacts(reply.signatory, reply.handler, None),
        attachments=(),
        copies=tuple(unit.name for unit in reply.copies),
    )


def _section_lines(sections: Sequence[Section], depth: int = 0) -> list[str]:
    lines: list[str] = []
    for section in sections:
        if section.heading:  # a heading is a paragraph of its own, indented as every one is
            lines.append("　　" + section.heading)
        if section.text:
            lines.append("　　" + section.text)
        lines.extend(_section_lines(section.subsections, depth + 1))
    return lines


def characters_wide(text: str) -> float:
    """How wide ``text`` is set, in full-width characters: a Latin letter or a digit is half of
    one (as in a terminal, where it takes one column of a Chinese character's two)."""
    return width(text) / 2


def _padded(text: str, gap: float) -> str:
    """``text`` ending ``gap`` characters from the line's right end: full-width spaces before
    it, and a plain one for a half."""
    halves = max(0, round((_WIDTH - gap - characters_wide(text)) * 2))
    return "　" * (halves // 2) + " " * (halves % 2) + text


def _right(text: str) -> str:
    return _padded(text, 0)


def signature_gaps(signature: str, date: str) -> tuple[float, float]:
    """How far from the line's right end the signing unit and the date end, in characters, as
    GB/T 9704 (7.3.5.1) sets a sealed letter: the date four characters from the end, the unit
    centred above it (over the seal); a unit too long for that ends at the line's end."""
    return max(0.0, _DATE_GAP + (characters_wide(date) - characters_wide(signature)) / 2), _DATE_GAP


def to_text(layout: LetterLayout) -> str:
    """The letter as plain text, one part a line."""
    expect("layout", layout, LetterLayout, "a LetterLayout")
    lines: list[str] = []
    if layout.category:
        lines.append(_right(layout.category))
    if layout.doc_number:
        lines.append(_right(layout.doc_number))
    lines += ["", layout.title, "", layout.addressee, "　　" + layout.opening]
    lines += _section_lines(layout.sections)
    date = letter_date(layout.date)
    unit_gap, date_gap = signature_gaps(layout.signature, date)
    lines += ["", _padded(layout.signature, unit_gap), _padded(date, date_gap)]
    if layout.note:
        lines.append("　　" + layout.note)
    lines.append("")
    lines += list(layout.contacts)
    if layout.attachments:
        lines.append("附件：" + "；".join(layout.attachments))
    if layout.copies:
        lines.append("抄送：" + "，".join(layout.copies) + "。")
    return "\n".join(lines).rstrip() + "\n"


# Word's XML holds no control character but tab, line feed and carriage return. A vertical tab
# or a form feed is how text copied out of Word carries a line or page break: those become
# line breaks; the others show nothing and are left out.
_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})
_NOT_IN_XML = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff]")


def _for_word(text: str) -> str:
    """``text`` as a Word document can hold it; text with no UTF-8 form is refused."""
    if text.isascii() and text.isprintable():
        return text
    why = lone_surrogate(text)
    if why is not None:
        raise InvalidInput("layout", f"{why}, so no letter can show it: {text[:40]!r}")
    return _NOT_IN_XML.sub("", text.translate(_BREAKS))


def to_docx(layout: LetterLayout, path: str | os.PathLike[str]) -> None:
    """Write the letter as a .docx with the GB/T 9704 page, fonts and sizes (python-docx).

    A vertical tab or form feed in the text (as text copied out of Word carries) becomes a line
    break; other control characters, which Word cannot hold, are left out. The file is written
    under a temporary name and then put in its place (where a symbolic link points); a device,
    a pipe or a SQLite database at ``path`` is refused rather than replaced.
    """
    expect("layout", layout, LetterLayout, "a LetterLayout")
    expect("path", path, (str, os.PathLike), "a file name")
    document = a4_document()
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    def paragraph(
        text: str,
        *,
        font: str = "仿宋_GB2312",
        size: float = 16,
        align: Any = None,
        indent: bool = False,
        gap: float = 0,
    ) -> None:
        para = document.add_paragraph()
        if align is not None:
            para.alignment = align
        if indent:
            para.paragraph_format.first_line_indent = Pt(size * 2)
        if gap:
            para.paragraph_format.right_indent = Pt(size * gap)
        set_font(para.add_run(_for_word(text)), font, size)

    right = WD_ALIGN_PARAGRAPH.RIGHT
    if layout.category:
        paragraph(layout.category, font="黑体", align=right)
    if layout.doc_number:
        paragraph(layout.doc_number, align=right)
    paragraph("")  # GB/T 9704: a line above the title, and one between it and the addressee
    paragraph(title_lines(layout.title, 22), font="方正小标宋简体", size=22, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph("")
    paragraph(layout.addressee)
    paragraph(layout.opening, indent=True)

    def sections(items: Sequence[Section], depth: int) -> None:
        for item in items:
            if item.heading:
                paragraph(item.heading, font="黑体" if depth == 0 else "楷体_GB2312", indent=True)
            if item.text:
                paragraph(item.text, indent=True)
            sections(item.subsections, depth + 1)

    sections(layout.sections, 0)
    date = letter_date(layout.date)
    unit_gap, date_gap = signature_gaps(layout.signature, date)
    paragraph("")  # a line between the body and the seal
    paragraph(layout.signature, align=right, gap=unit_gap)
    paragraph(date, align=right, gap=date_gap)
    if layout.note:
        paragraph(layout.note, indent=True)
    for line in layout.contacts:
        paragraph(line, size=14)
    if layout.attachments:
        paragraph("附件：" + "；".join(layout.attachments), size=14)
    if layout.copies:
        paragraph("抄送：" + "，".join(layout.copies) + "。", size=14)
    save_docx(document, path)


TEXT_WIDTH_MM = 156  # A4, less GB/T 9704's margins: 28 mm left, 26 mm right
_BREAK_BEFORE = re.compile("第[0-9０-９]")  # 第20230519号: a line broken inside it breaks the number


def title_lines(title: str, size: float) -> str:
    """``title`` as it is set in ``size`` points across the page: as it is where it fits on one
    line; else broken (a line feed) before its 第…号, when both lines then fit, since GB/T 9704
    keeps a title's words whole where it breaks (关于对湖北省政协十三届一次会议 /
    第20230519号提案的答复), where a word processor breaks where the line runs out (…一次会议第
    / 20230519号…); else as it is, for the word processor to break."""
    fits = TEXT_WIDTH_MM / (size * 25.4 / 72)
    if characters_wide(title) <= fits:
        return title
    breaks = [
        (max(characters_wide(title[: m.start()]), characters_wide(title[m.start() :])), m.start())
        for m in _BREAK_BEFORE.finditer(title)
        if m.start() > 0
    ]
    widest, at = min(breaks, default=(fits + 1, 0))
    return title if widest > fits else title[:at] + "\n" + title[at:]


LINE_PITCH_PT = 28.95  # GB/T 9704: 22 lines to the page's 225 mm of text


def a4_document() -> Any:
    """A new python-docx document (``cohandle[letters]`` brings python-docx) with the GB/T 9704
    page: A4, its margins, and 22 lines to a page, a line every 28.95 points with no space
    between paragraphs, where python-docx's template puts Word 2007's 1.15 lines and 10 points
    after each."""
    try:
        import docx
        from docx.enum.text import WD_LINE_SPACING
        from docx.shared import Mm, Pt
    except ImportError:
        raise InvalidInput("docx", "needs python-docx: pip install 'cohandle[letters]'") from None
    document = docx.Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    spacing = document.styles["Normal"].paragraph_format
    spacing.line_spacing, spacing.line_spacing_rule = Pt(LINE_PITCH_PT), WD_LINE_SPACING.EXACTLY
    spacing.space_before = spacing.space_after = Pt(0)
    return document


def set_font(run: Any, font: str, size: float) -> None:
    """A python-docx run in ``font`` (for Chinese text too) and ``size`` points."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size)
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def save_docx(document: Any, path: str | os.PathLike[str]) -> None:
    """Write a python-docx ``document`` to ``path``: under a temporary name, then put in its
    place, so that a failed write leaves no half-written file under the real name."""
    target = writable("path", path)
    partial = partial_name(target)
    try:
        document.save(partial)
        put_in_place(partial, target)  # never a half-written letter under the real name
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        if isinstance(exc, OSError):  # no such folder, a folder of that name, a full disk
            raise unusable_file("path", target, exc, writing=True) from None
        raise
