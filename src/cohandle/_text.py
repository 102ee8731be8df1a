"""Text as officials read it: laid out for a terminal, where a Chinese character takes two
columns, and dates written as letters write them."""

from __future__ import annotations

import datetime as _dt
import unicodedata

__all__ = ["chinese_date", "pad", "width"]


def chinese_date(day: _dt.date) -> str:
    """2023年4月10日: Arabic numerals, the year in full, no zero padding."""
    return f"{day.year}年{day.month}月{day.day}日"


def width(text: str) -> int:
    """Terminal columns of ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` padded to ``columns`` terminal columns."""
    return text + " " * max(0, columns - width(text))
