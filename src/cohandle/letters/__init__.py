"""Letters: read 会办意见 and 答复 as officials write them, and write them in the GB/T 9704 letter format.

:func:`parse_letter` reads text into a :class:`ParsedLetter`; :func:`render_opinion` and
:func:`render_reply` write the letter as text; :func:`write_docx` as a Word document.
"""

from __future__ import annotations

import os

from cohandle._model import Opinion, ProposalData, Reply
from cohandle.letters._parse import LetterError, ParsedLetter, ParsedSection, Span, chinese_int, parse_letter
from cohandle.letters._render import LetterLayout, letter_date, opinion_layout, reply_layout, to_docx, to_text

__all__ = [
    "LetterError",
    "LetterLayout",
    "ParsedLetter",
    "ParsedSection",
    "Span",
    "chinese_int",
    "letter_date",
    "opinion_layout",
    "parse_letter",
    "render_opinion",
    "render_reply",
    "reply_layout",
    "write_docx",
]


def render_opinion(opinion: Opinion, proposal: ProposalData) -> str:
    """A co-handler's opinion as the text of an official letter."""
    return to_text(opinion_layout(opinion, proposal))


def render_reply(reply: Reply, proposal: ProposalData) -> str:
    """A reply as the text of an official letter."""
    return to_text(reply_layout(reply, proposal))


def write_docx(letter: Opinion | Reply, proposal: ProposalData, path: str | os.PathLike[str]) -> None:
    """An opinion or a reply as a .docx file (needs ``cohandle[letters]``)."""
    layout = opinion_layout(letter, proposal) if isinstance(letter, Opinion) else reply_layout(letter, proposal)
    to_docx(layout, path)
