"""Time through one seam: every "now" cohandle uses comes from a :class:`Clock`."""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

import pendulum

from cohandle._errors import InvalidInput

__all__ = [
    "SHANGHAI",
    "Clock",
    "FixedClock",
    "SystemClock",
    "business_time",
    "datetime_reduce",
    "from_fields",
    "utc",
]

SHANGHAI = pendulum.timezone("Asia/Shanghai")


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


class Clock(Protocol):
    """Anything with a ``now()`` that returns a timezone-aware pendulum DateTime."""

    def now(self) -> pendulum.DateTime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> pendulum.DateTime:
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


_LAST_SECOND: tuple[int, bytes] = (-1, b"")
# datetime's own pickling, in C: __reduce__ gives (type, (ten bytes of fields, tzinfo)), year to
# microsecond (never the fold, which only newer pickle protocols carry), and the constructor
# takes (fields, tzinfo) back; the type stubs know neither form
datetime_reduce = cast("Callable[[_dt.datetime], tuple[type, tuple[bytes, Any]]]", _dt.datetime.__reduce__)
from_fields = cast("Callable[[bytes, _dt.tzinfo], pendulum.DateTime]", pendulum.DateTime)


class FixedClock:
    """A clock that stands still until moved: for tests and for importing past cases."""

    def __init__(self, at: pendulum.DateTime | str) -> None:
        self._now = business_time("at", at)

    def now(self) -> pendulum.DateTime:
        return self._now

    def set(self, at: pendulum.DateTime | str) -> None:
        self._now = business_time("at", at)

    def advance(self, **delta: int) -> pendulum.DateTime:
        """Move forward, e.g. ``advance(days=3, hours=2)``; returns the new time."""
        moved = self._now.add(**delta)
        self._now = moved.in_timezone(pendulum.UTC)
        return self._now


def business_time(field: str, value: object) -> pendulum.DateTime:
    """Normalise a business time to UTC.

    A timezone-aware datetime keeps its instant; a bare date means the start of that day in
    Asia/Shanghai; ISO text is read as either. A naive datetime is refused: its instant is unknown.
    """
    if isinstance(value, str):
        try:
            value = (
                _dt.datetime.fromisoformat(value)
                if "T" in value or " " in value
                else _dt.date.fromisoformat(value)
            )
        except ValueError:
            raise InvalidInput(field, f"must be an ISO date or timestamp (got {value!r})") from None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(field, f"must carry a time zone (got the naive {value.isoformat()})")
        return utc(value)
    if isinstance(value, _dt.date):
        return pendulum.DateTime(value.year, value.month, value.day, tzinfo=SHANGHAI).in_timezone(
            pendulum.UTC
        )
    raise InvalidInput(field, f"must be a date or a timezone-aware datetime (got {value!r})")
