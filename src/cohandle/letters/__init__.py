"""Letters: read 会办意见 and 答复 as officials write them, and write them in the GB/T 9704 letter format.

:func:`parse_letter` reads text into a :class:`ParsedLetter`; :func:`render_opinion` and
:func:`render_reply` write the letter as text; :func:`write_docx` as a Word document.
:func:`render_feedback_form` writes the feedback form (征询意见表) that goes with a reply, and
:func:`parse_feedback_form` and :func:`feedback_from_form` read one filled in.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pendulum

from cohandle._errors import expect
from cohandle._model import (
    AssignmentMode,
    Body,
    Contact,
    Feedback,
    Opinion,
    ProposalData,
    Reply,
    Section,
    Unit,
)
from cohandle._state import Proposal
from cohandle._text import chinese_int
from cohandle.letters._form import (
    FormLayout,
    ParsedFeedbackForm,
    feedback_form_layout,
    form_docx,
    form_text,
    parse_feedback_form,
)
from cohandle.letters._parse import LetterError, ParsedLetter, ParsedSection, Span, parse_letter
from cohandle.letters._render import LetterLayout, letter_date, opinion_layout, reply_layout, to_docx, to_text

__all__ = [
    "FormLayout",
    "LetterError",
    "LetterLayout",
    "LetterMismatch",
    "ParsedFeedbackForm",
    "ParsedLetter",
    "ParsedSection",
    "Span",
    "chinese_int",
    "feedback_form_layout",
    "feedback_from_form",
    "form_docx",
    "form_text",
    "letter_date",
    "opinion_from_letter",
    "opinion_layout",
    "parse_feedback_form",
    "parse_letter",
    "render_feedback_form",
    "render_opinion",
    "render_reply",
    "reply_layout",
    "to_docx",
    "to_text",
    "write_docx",
]


def render_opinion(opinion: Opinion, proposal: ProposalData | Proposal) -> str:
    """A co-handler's opinion as the text of an official letter."""
    return to_text(opinion_layout(opinion, proposal))


def render_reply(
    reply: Reply, proposal: ProposalData | Proposal, *, merged: Sequence[ProposalData] | None = None
) -> str:
    """A reply as the text of an official letter, written to the proposers of the proposal and
    of the items merged into it (并案): those of a :class:`~cohandle.Proposal`, or, with its
    :class:`~cohandle.ProposalData`, those ``merged`` lists (:func:`reply_layout`)."""
    return to_text(reply_layout(reply, proposal, merged=merged))


def write_docx(
    letter: Opinion | Reply,
    proposal: ProposalData | Proposal,
    path: str | os.PathLike[str],
    *,
    merged: Sequence[ProposalData] | None = None,
) -> None:
    """An opinion or a reply as a .docx file (needs ``cohandle[letters]``); ``merged`` as for
    :func:`render_reply`."""
    expect("letter", letter, (Opinion, Reply), "an Opinion or a Reply")
    layout = (
        opinion_layout(letter, proposal)
        if isinstance(letter, Opinion)
        else reply_layout(letter, proposal, merged=merged)
    )
    to_docx(layout, path)


class LetterMismatch(LetterError):
    """A letter does not belong to the proposal it is imported into, or lacks what an opinion needs."""


def _sections(parsed: tuple[ParsedSection, ...]) -> tuple[Section, ...]:
    return tuple(
        Section(heading=s.heading, text=s.text, subsections=_sections(s.subsections)) for s in parsed
    )


def opinion_from_letter(letter: ParsedLetter, proposal: ProposalData, lead: Unit) -> Opinion:
    """The :class:`~cohandle.Opinion` a parsed co-handler's letter states, checked against the
    proposal it is said to answer. Raises :class:`LetterMismatch` with every problem found."""
    expect("letter", letter, ParsedLetter, "a ParsedLetter (from parse_letter)")
    expect("proposal", proposal, ProposalData, "a ProposalData")
    expect("lead", lead, Unit, "a Unit")
    problems = []
    if letter.kind not in (None, "cohandler_opinion"):
        problems.append(f"it is a {letter.kind}, not a co-handler's opinion (会办意见)")
    if letter.number is None:
        problems.append("it names no proposal number")
    elif letter.number.lstrip("0") != proposal.number.lstrip("0"):
        problems.append(f"it is about proposal No. {letter.number}, not No. {proposal.number}")
    session = proposal.session
    if letter.body is not None and letter.body != session.body.value:
        said = {body.value: body.label for body in Body}.get(letter.body, letter.body)
        problems.append(f"it is about a {said}, and the proposal is a {session.body.label}")
    if letter.session_term is not None and letter.session_term != session.term:
        problems.append(f"it names term {letter.session_term}, the proposal's session is term {session.term}")
    if letter.session_meeting is not None and letter.session_meeting != session.meeting:
        problems.append(
            f"it names meeting {letter.session_meeting}, the proposal's is meeting {session.meeting}"
        )
    addressed = letter.addressee
    if addressed is not None and (
        not isinstance(addressed, str) or not addressed.strip() or Unit(name=addressed) != lead
    ):  # a name as a unit's is kept: 省人民政府(办公厅) is 省人民政府（办公厅）
        problems.append(f"it is addressed to {letter.addressee}, not to the lead unit {lead.name}")
    if letter.author_unit is None:
        problems.append("no signing unit was found")
    if letter.letter_date is None:
        problems.append("no letter date was found")
    sections = _sections(letter.sections) or ((Section(text=letter.body_text),) if letter.body_text else ())
    if not sections:
        problems.append("it has no body")
    if problems:
        raise LetterMismatch(
            "The letter cannot be taken as this proposal's opinion: " + "; ".join(problems) + "."
        )
    assert letter.author_unit is not None
    assert letter.letter_date is not None
    day = letter.letter_date
    return Opinion(
        author=Unit(name=letter.author_unit),
        addressee=lead,
        date=pendulum.Date(day.year, day.month, day.day),
        sections=sections,
        suggested_category=letter.category,
        signatory=Contact(name=letter.issuer, phone=letter.issuer_phone) if letter.issuer else None,
        handler=Contact(name=letter.contact_name, phone=letter.contact_phone)
        if letter.contact_name
        else None,
        postal_code=letter.postal_code,
        doc_number=letter.doc_number,
        attachments=letter.attachments,
    )


def render_feedback_form(proposal: Proposal, *, unit: Unit | None = None) -> str:
    """The feedback form (征询意见表) that goes with the proposal's reply, as text
    (:func:`feedback_form_layout`; :func:`form_docx` writes it as a Word document)."""
    return form_text(feedback_form_layout(proposal, unit=unit))


def feedback_from_form(form: ParsedFeedbackForm, proposal: Proposal, *, unit: Unit | None = None) -> Feedback:
    """The :class:`~cohandle.Feedback` a feedback form filled in gives, checked against the
    proposal it is said to be about; record it with ``wf.record_feedback``. When the units
    answer apart (分办), it is about ``unit``'s reply, or the handler the form names. Raises
    :class:`LetterMismatch` with every problem found: another number, no box of satisfaction
    ticked, or two."""
    expect("form", form, ParsedFeedbackForm, "a ParsedFeedbackForm (from parse_feedback_form)")
    expect("proposal", proposal, Proposal, "a Proposal (wf.get(id))")
    if unit is not None:
        expect("unit", unit, Unit, "a Unit")
    problems = []
    if form.number is not None and form.number.lstrip("0") != proposal.number.lstrip("0"):
        problems.append(f"it is about No. {form.number}, not No. {proposal.number}")
    if form.satisfaction is None:
        problems.append("it ticks no one answer of 满意, 基本满意 or 不满意")
    if unit is None and proposal.mode is AssignmentMode.SEPARATE and form.unit is not None:
        unit = Unit(name=form.unit)
    if problems:
        raise LetterMismatch(
            "The form cannot be taken as this proposal's feedback: " + "; ".join(problems) + "."
        )
    assert form.satisfaction is not None
    day = None if form.date is None else pendulum.Date(form.date.year, form.date.month, form.date.day)
    return Feedback(satisfaction=form.satisfaction, comments=form.comments, unit=unit, date=day)
