"""Text laid out for a terminal, where a Chinese character takes two columns."""

from __future__ import annotations

import unicodedata

__all__ = ["pad", "width"]


def width(text: str) -> int:
    """Terminal columns of ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` padded to ``columns`` terminal columns."""
    return text + " " * max(0, columns - width(text))
