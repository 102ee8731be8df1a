"""Text as officials read it: laid out for a terminal, where a Chinese character takes two
columns, shown as it is stored, and dates written as letters write them."""

from __future__ import annotations

import datetime as _dt
import unicodedata

__all__ = ["chinese_date", "pad", "shown", "width"]


def chinese_date(day: _dt.date) -> str:
    """2023年4月10日: Arabic numerals, the year in full, no zero padding."""
    return f"{day.year}年{day.month}月{day.day}日"


def width(text: str) -> int:
    """Terminal columns of ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` padded to ``columns`` terminal columns."""
    return text + " " * max(0, columns - width(text))


# Characters that act on a terminal or on how the text around them is laid out, instead of
# showing: control characters (an escape sequence recolours or clears the screen, a carriage
# return or a backspace lets what follows overwrite what came before), format characters
# (a right-to-left override turns the text after it around; a zero-width space makes two names
# look the same) and the line and paragraph separators.
_ACTING = frozenset(("Cc", "Cf", "Zl", "Zp"))
_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _escape(ch: str) -> str:
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # as JSON writes it: a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def shown(text: str, *, lines: bool = False) -> str:
    """``text`` with every character that would act on a terminal instead of showing written
    as its escape (``\\u001b``, ``\\r``, ``\\u202e``), so that what an official reads is what
    is stored. With ``lines``, line feeds and tabs are kept (and a carriage return before a
    line feed dropped). The escapes are JSON's: JSON stays the same JSON.

    Ideographic and other spaces, private-use characters (some systems keep rare characters of
    names there) and characters newer than this Python's Unicode tables are shown as they are.
    """
    if not lines:
        return text if text.isprintable() else _escaped(text, "")
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return "\n".join(  # only the lines that need it are looked at character by character
        line if line.replace("\t", "").isprintable() else _escaped(line, "\t")
        for line in text.replace("\r\n", "\n").split("\n")
    )


def _escaped(text: str, kept: str) -> str:
    return "".join(
        ch if ch in kept or unicodedata.category(ch) not in _ACTING else _escape(ch) for ch in text
    )
