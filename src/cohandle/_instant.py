"""Instants as pendulum DateTimes in UTC, made fast: the hot half of :mod:`cohandle._clock`.

This module may be compiled (``docs/install.md``); its functions take values cohandle made
itself, while what a caller passes is checked in :mod:`cohandle._clock` first.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable
from typing import Any, cast

import pendulum

__all__ = ["datetime_reduce", "from_fields", "system_now", "utc"]

_UTC = pendulum.UTC
_DateTime = pendulum.DateTime
_time_ns = time.time_ns
_gmtime = time.gmtime


def utc(moment: _dt.datetime) -> pendulum.DateTime:
    """A timezone-aware datetime as a pendulum DateTime in UTC (the same instant)."""
    zone = moment.tzinfo
    if zone is not _UTC and zone is not _dt.UTC and moment.utcoffset():
        moment = moment.astimezone(_dt.UTC)
    return _in_utc(moment)


def _in_utc(moment: _dt.datetime) -> pendulum.DateTime:
    """The pendulum DateTime of a datetime whose fields are already UTC."""
    # the time zone passed by position: datetime's constructor parses a keyword at twice the cost
    return _DateTime(
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond,
        _UTC,
    )


_LAST_SECOND: tuple[int, bytes] = (-1, b"")
# datetime's own pickling, in C: __reduce__ gives (type, (ten bytes of fields, tzinfo)), year to
# microsecond (never the fold, which only newer pickle protocols carry), and the constructor
# takes (fields, tzinfo) back; the type stubs know neither form
datetime_reduce = cast("Callable[[_dt.datetime], tuple[type, tuple[bytes, Any]]]", _dt.datetime.__reduce__)
from_fields = cast("Callable[[bytes, _dt.tzinfo], pendulum.DateTime]", pendulum.DateTime)


def system_now() -> pendulum.DateTime:
    """The machine's clock, in UTC (what :class:`~cohandle.SystemClock` reads)."""
    global _LAST_SECOND
    seconds, micro = divmod(_time_ns() // 1000, 1_000_000)
    last = _LAST_SECOND  # commands come many to a second: its calendar is worked out once
    if last[0] != seconds:
        t = _gmtime(seconds)
        year = t.tm_year
        last = _LAST_SECOND = (
            seconds,
            bytes((year >> 8, year & 255, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, min(t.tm_sec, 59))),
        )
    # built in C from datetime's own ten pickled bytes, the second's seven as kept and the
    # microsecond's three: about 500 instructions fewer than the seven-field constructor
    return from_fields(last[1] + micro.to_bytes(3, "big"), _UTC)
