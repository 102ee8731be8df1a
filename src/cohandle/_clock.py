"""Time through one seam: every "now" cohandle uses comes from a :class:`Clock`."""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Protocol

import pendulum

from cohandle._errors import InvalidInput, got, whole_number
from cohandle._instant import datetime_reduce, from_fields, system_now, utc

__all__ = [
    "SHANGHAI",
    "Clock",
    "Dated",
    "FixedClock",
    "SystemClock",
    "business_time",
    "datetime_reduce",
    "day_bounds",
    "from_fields",
    "moment",
    "utc",
]

SHANGHAI = pendulum.timezone("Asia/Shanghai")


class Clock(Protocol):
    """Anything with a ``now()`` that returns a timezone-aware pendulum DateTime."""

    def now(self) -> pendulum.DateTime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> pendulum.DateTime:
        return system_now()


class FixedClock:
    """A clock that stands still until moved: for tests and for importing past cases."""

    def __init__(self, at: pendulum.DateTime | str) -> None:
        self._now = business_time("at", at)

    def now(self) -> pendulum.DateTime:
        return self._now

    def set(self, at: pendulum.DateTime | str) -> None:
        self._now = business_time("at", at)

    def advance(self, **delta: int) -> pendulum.DateTime:
        """Move forward, e.g. ``advance(days=3, hours=2)``; returns the new time.

        The units are those of ``pendulum.DateTime.add``: years, months, weeks, days, hours,
        minutes, seconds and microseconds, each a whole number.
        """
        for unit, amount in delta.items():
            if unit not in _UNITS:
                raise InvalidInput("advance", f"takes {', '.join(_UNITS)} (got {unit}={got(amount)})")
            whole_number(unit, amount)
        try:
            moved = self._now.add(**delta)
        except (OverflowError, ValueError):
            raise InvalidInput("advance", f"{_OUTSIDE} (from {self._now.isoformat()} by {delta})") from None
        self._now = moved.in_timezone(pendulum.UTC)
        return self._now


_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds", "microseconds")
_OUTSIDE = "would take the clock outside the days a date can hold, 0001-01-01 to 9999-12-31"


def iso_value(text: str) -> _dt.date | _dt.datetime:
    """ISO text as :func:`business_time` reads it: a timestamp (with ``T`` or a space), else a
    date. Raises ``ValueError`` for text that is neither."""
    return _dt.datetime.fromisoformat(text) if "T" in text or " " in text else _dt.date.fromisoformat(text)


def business_time(field: str, value: object) -> pendulum.DateTime:
    """Normalise a business time to UTC.

    A timezone-aware datetime keeps its instant; a bare date means the start of that day in
    Asia/Shanghai; ISO text is read as either. A naive datetime is refused: its instant is unknown.
    """
    if isinstance(value, str):
        try:
            value = iso_value(value)
        except ValueError:
            raise InvalidInput(
                field,
                f"must be an ISO date or timestamp, such as 2023-05-01 or 2023-05-01T09:00:00+08:00 (got {value!r})",
            ) from None
    try:
        if isinstance(value, _dt.datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidInput(
                    field,
                    f"must carry a time zone, as {value.isoformat()}+08:00 would for Beijing time (got "
                    f"the naive {value.isoformat()}); a date alone is read as that day in Shanghai",
                )
            return utc(value)
        if isinstance(value, _dt.date):
            return pendulum.DateTime(value.year, value.month, value.day, tzinfo=SHANGHAI).in_timezone(
                pendulum.UTC
            )
    except OverflowError:  # an instant whose UTC time falls before 0001-01-01 or after 9999-12-31
        assert isinstance(value, _dt.date)
        raise InvalidInput(
            field, f"is too near 0001-01-01 or 9999-12-31 to be held in UTC (got {value.isoformat()})"
        ) from None
    raise InvalidInput(field, f"must be a date or a timezone-aware datetime (got {value!r})")


@functools.lru_cache(maxsize=1024)
def day_bounds(field: str, day: _dt.date) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """The start of ``day`` in Beijing time and the start of the next, in UTC: the business
    time of a bare date, and the first instant after that day."""
    start = business_time(field, day)
    if day == _dt.date.max:
        return start, pendulum.DateTime.max.replace(tzinfo=pendulum.UTC)
    return start, business_time(field, _dt.date.fromordinal(day.toordinal() + 1))


class Dated:
    """The date of the letter a command records (an opinion's, a reply's, a feedback's),
    standing for ``occurred_at`` when the caller gave none; ``field`` names it in messages."""

    __slots__ = ("day", "field")

    def __init__(self, field: str, day: pendulum.Date) -> None:
        self.field = field
        self.day = day


def moment(field: str, value: object) -> pendulum.DateTime:
    """``value`` itself when it is a timezone-aware pendulum DateTime (comparisons need no
    more); anything else is read as :func:`business_time` reads it."""
    if value.__class__ is pendulum.DateTime and value.tzinfo is not None:
        return value
    return business_time(field, value)
