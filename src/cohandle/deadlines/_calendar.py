"""China's official working-day calendar.

Weekends and statutory holidays are rest days; make-up working days (调休) on weekends are
working days. The data comes from the ``holidays`` package, for the years whose official
schedule (the State Council General Office's notice) cohandle has checked: those are
:data:`OFFICIAL_YEARS`. A later year cannot be derived by rule, so asking about it raises
:class:`CalendarError` unless the caller supplies that year's schedule
(:class:`YearSchedule`, or a TOML file read by :func:`load_schedules`) or opts into
"weekends only" for such years. Local calendars add or remove days on top.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs

from cohandle._errors import CohandleError, InvalidInput, expect, got, nameable, unusable_file, whole_number

__all__ = ["OFFICIAL_YEARS", "Calendar", "CalendarError", "YearSchedule", "load_schedules"]

OFFICIAL_YEARS = range(2004, 2027)
"""Years whose schedule comes from the ``holidays`` package and was checked day by day against
the ``chinese-calendar`` package, which begins at 2004: they agree on every day of 2004-2026 but
one, Saturday 31 December 2005, which the 2006 notice (国办发明电〔2005〕35号) made a working day
for the New Year, as ``holidays`` has it. A log's older items, imported with their dates, are
counted too."""


class CalendarError(CohandleError):
    """A year the calendar has no official schedule for: ``day`` is that year's 1 January,
    ``known`` the years it has. ``counting`` names what could not be counted, when a command
    was counting a deadline (the proposal, the deadline, its rule)."""

    def __init__(self, day: _dt.date, known: str, counting: str | None = None) -> None:
        self.day = day
        self.known = known
        self.counting = counting
        problem = (
            f"the calendar has no official holiday schedule for {day.year} (it knows {known}), so it "
            f"cannot tell the working days of {day.year} from its rest days"
        )
        if counting is None:
            opening = problem[0].upper() + problem[1:] + "."
        else:
            opening = f"{counting} cannot be counted: {problem}."
        super().__init__(
            f"{opening} Supply that year's schedule (the State Council notice: its holidays and "
            "make-up working days), or build the calendar with statutory_after=True to count such "
            "years by the statutory holidays alone, or with weekends_only_after=True to count "
            "weekends only."
        )


def _to_date(field: str, value: object) -> _dt.date:
    if isinstance(value, _dt.datetime):
        raise InvalidInput(field, f"must be a date, not a datetime (got {value!r})")
    if isinstance(value, _dt.date):
        return _dt.date(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(field, f"must be an ISO date such as 2027-10-01 (got {value!r})") from None
    raise InvalidInput(field, f"must be a date (got {value!r})")


def day_argument(field: str, value: object) -> _dt.date:
    """A day given as a date (not as text); a datetime is refused, since its date depends on
    its time zone."""
    if value.__class__ is _dt.date:
        return value
    expect(field, value, _dt.date, "a date")
    return _to_date(field, value)


def year_spans(years: Iterable[int]) -> str:
    """Years in words, each run of consecutive ones as its first and last: 2004-2026, 2028."""
    spans: list[list[int]] = []
    for year in sorted(set(years)):
        if spans and year == spans[-1][1] + 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in spans)


def beyond_dates(field: str, start: _dt.date, count: str) -> InvalidInput:
    """The error for counting to a day before 0001-01-01 or after 9999-12-31."""
    return InvalidInput(
        field,
        f"would end outside the days a date can hold, 0001-01-01 to 9999-12-31 ({count} from {start.isoformat()})",
    )


def _dates(field: str, values: Iterable[object]) -> frozenset[_dt.date]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInput(field, f"must be a list of dates (got {got(values)})")
    return frozenset(_to_date(field, v) for v in values)


def _years(field: str, values: Iterable[object]) -> frozenset[int]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInput(field, f"must be a list of years (got {got(values)})")
    return frozenset(whole_number(field, year) for year in values)


def _holiday_dates(values: Iterable[object]) -> frozenset[_dt.date]:
    return _dates("holidays", values)


def _workday_dates(values: Iterable[object]) -> frozenset[_dt.date]:
    return _dates("workdays", values)


@attrs.frozen(kw_only=True)
class YearSchedule:
    """One year's official schedule: its rest days beyond weekends, and its make-up working days."""

    year: int
    holidays: frozenset[_dt.date] = attrs.field(converter=_holiday_dates)
    workdays: frozenset[_dt.date] = attrs.field(default=frozenset(), converter=_workday_dates)
    source: str = ""

    def __attrs_post_init__(self) -> None:
        whole_number("YearSchedule.year", self.year)
        if not isinstance(self.source, str):
            raise InvalidInput("YearSchedule.source", f"must be text (got {got(self.source)})")
        for day in self.holidays | self.workdays:
            if day.year != self.year:
                raise InvalidInput(
                    "YearSchedule", f"for {self.year} lists {day.isoformat()}, a day of another year"
                )
        both = self.holidays & self.workdays
        if both:
            raise InvalidInput(
                "YearSchedule", f"lists {min(both).isoformat()} as both a holiday and a working day"
            )
        for day in self.workdays:
            if day.weekday() < 5:
                raise InvalidInput(
                    "YearSchedule", f"lists {day.isoformat()} as a make-up working day, but it is a weekday"
                )


def load_schedules(path: str | Path) -> tuple[YearSchedule, ...]:
    """Read year schedules from a TOML file::

    [2027]
    source = "国办发明电〔2026〕X号"
    holidays = ["2027-01-01", ...]
    workdays = ["2027-02-20", ...]
    """
    if not isinstance(path, str | Path) or not str(path):
        raise InvalidInput("path", f"must name a TOML file (got {got(path)})")
    nameable("path", path)
    try:  # a BOM at the start, as editors on Windows write one, is taken
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise unusable_file("path", path, exc) from None
    except UnicodeDecodeError:
        raise InvalidInput(
            str(path), "is not UTF-8 text, so it cannot be a schedule file: save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(str(path), f"is not valid TOML: {exc}") from None
    return schedules_from_mapping(data, where=str(path))


def schedules_from_mapping(data: Mapping[str, Any], where: str = "schedule") -> tuple[YearSchedule, ...]:
    if not isinstance(data, Mapping):
        raise InvalidInput(where, f"must be a mapping of years to schedules (got {got(data)})")
    found = []
    for key, entry in data.items():
        if not str(key).isdigit() or not isinstance(entry, Mapping):
            raise InvalidInput(
                f"{where}: [{key}]", "must be a year, e.g. [2027], with holidays and workdays lists"
            )
        unknown = set(entry) - {"holidays", "workdays", "source"}
        if unknown:
            raise InvalidInput(f"{where}: [{key}]", f"has unknown keys {', '.join(sorted(unknown))}")
        try:
            schedule = YearSchedule(
                year=int(key),
                holidays=entry.get("holidays", ()),
                workdays=entry.get("workdays", ()),
                source=str(entry.get("source", "")),
            )
        except InvalidInput as exc:  # named where it is in the file, as the checks above are
            field = exc.field.removeprefix("YearSchedule").lstrip(".")
            raise InvalidInput(f"{where}: [{key}]{' ' + field if field else ''}", exc.problem) from None
        found.append(schedule)
    return tuple(found)


def _one_way(weekends_only_after: object, statutory_after: object) -> None:
    """Refuse flags that are not True or False, or that ask for both ways of counting a year
    without a schedule."""
    for field, value in (("weekends_only_after", weekends_only_after), ("statutory_after", statutory_after)):
        if not isinstance(value, bool):
            raise InvalidInput(field, f"must be True or False (got {got(value)})")
    if weekends_only_after and statutory_after:
        raise InvalidInput(
            "statutory_after",
            "and weekends_only_after are two ways of counting a year without a schedule; choose one",
        )


def statutory_days(year: int) -> tuple[frozenset[_dt.date], frozenset[_dt.date]]:
    """The rest days of ``year`` beyond weekends, and its make-up working days, as the
    ``holidays`` package gives them: for a year whose notice it does not carry, the holidays
    全国年节及纪念日放假办法 fixes, with those made up for a holiday on a weekend, and no make-up
    working days (only a notice gives those); for one whose notice it carries, the notice's."""
    import holidays

    data = holidays.country_holidays("CN", years=year)
    rest = frozenset(day for day in data if day.year == year)
    return rest, frozenset(day for day in data.weekend_workdays if day.year == year)


class Calendar:
    """Which days are working days.

    ``Calendar.china()`` is the national calendar; ``schedules`` add years beyond the official
    ones; ``extra_rest_days`` and ``extra_working_days`` are local changes. A year without a
    schedule raises :class:`CalendarError`, unless the calendar is built to count it so:

    - ``statutory_after=True``: by the statutory holidays alone, as 全国年节及纪念日放假办法
      fixes them (元旦, 春节 from 除夕 to 初三, 清明, 劳动节, 端午, 中秋, 国庆; one that falls on a
      weekend made up on the next working day), as the ``holidays`` package computes them. A
      notice adds rest days that bridge to a weekend and the make-up working days that pay
      for them, which no rule gives: a deadline counted so may lie a day or two from the
      notice's, but not in the middle of the Spring Festival holiday. (Where the installed
      ``holidays`` already carries the year's notice, it gives the notice's days.)
    - ``weekends_only_after=True``: by weekends alone.
    """

    def __init__(
        self,
        *,
        rest_days: Iterable[_dt.date],
        working_weekend_days: Iterable[_dt.date],
        known_years: Iterable[int],
        weekends_only_after: bool = False,
        statutory_after: bool = False,
        version: str,
    ) -> None:
        self._rest = _dates("rest_days", rest_days)
        self._working = _dates("working_weekend_days", working_weekend_days)
        self._years = _years("known_years", known_years)
        if not self._years:
            raise InvalidInput("known_years", "must name at least one year")
        _one_way(weekends_only_after, statutory_after)
        if not isinstance(version, str):
            raise InvalidInput("version", f"must be text (got {got(version)})")
        self.weekends_only_after = weekends_only_after
        self.statutory_after = statutory_after
        self.version = version
        self._cache: dict[int, tuple[int, list[int]]] = {}

    @classmethod
    def china(
        cls,
        *,
        schedules: Iterable[YearSchedule] = (),
        extra_rest_days: Iterable[object] = (),
        extra_working_days: Iterable[object] = (),
        weekends_only_after: bool = False,
        statutory_after: bool = False,
    ) -> Calendar:
        import holidays

        given: object = schedules  # checked as what a caller may really pass
        if isinstance(given, str | bytes) or not isinstance(given, Iterable):
            raise InvalidInput("schedules", f"must be a list of YearSchedule (got {got(given)})")
        schedules = tuple(given)
        for schedule in schedules:
            if not isinstance(schedule, YearSchedule):
                raise InvalidInput(
                    "schedules", f"must be a list of YearSchedule (got {got(schedule)}, among them)"
                )
        data = holidays.country_holidays("CN", years=OFFICIAL_YEARS)
        rest = {day for day in data if day.year in OFFICIAL_YEARS}
        working = {day for day in data.weekend_workdays if day.year in OFFICIAL_YEARS}
        years = set(OFFICIAL_YEARS)
        for schedule in schedules:
            if schedule.year in years:
                rest = {d for d in rest if d.year != schedule.year}
                working = {d for d in working if d.year != schedule.year}
            rest |= schedule.holidays
            working |= schedule.workdays
            years.add(schedule.year)
        local_rest = _dates("extra_rest_days", extra_rest_days)
        local_working = _dates("extra_working_days", extra_working_days)
        rest = (rest | local_rest) - local_working
        # a local working day on a weekday is one already, unless it is a holiday of a year
        # counted without a schedule (statutory_after), which it must then override too
        working = (working - local_rest) | local_working
        fingerprint = hashlib.sha256(
            repr(
                (sorted(rest), sorted(working), sorted(years), weekends_only_after, statutory_after)
            ).encode()
        ).hexdigest()[:12]
        version = f"china/holidays-{metadata.version('holidays')}/{fingerprint}"
        return cls(
            rest_days=rest,
            working_weekend_days=working,
            known_years=years,
            weekends_only_after=weekends_only_after,
            statutory_after=statutory_after,
            version=version,
        )

    @property
    def known_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def _known(self) -> str:
        return year_spans(self.known_years)

    def _year(self, year: int) -> tuple[int, list[int]]:
        """The year's first day as an ordinal, and the running count of working days: entry
        ``i`` counts the working days from 1 January up to and including day ``i``."""
        table = self._cache.get(year)
        if table is None:
            rest = working = frozenset[_dt.date]()
            if year not in self._years:
                if self.statutory_after:
                    rest, working = statutory_days(year)
                elif not self.weekends_only_after:
                    raise CalendarError(_dt.date(year, 1, 1), self._known())
            first = _dt.date(year, 1, 1)
            running, total = [], 0
            for offset in range((_dt.date(year, 12, 31) - first).days + 1):
                total += self._compute(first + _dt.timedelta(days=offset), rest, working)
                running.append(total)
            table = (first.toordinal(), running)
            self._cache[year] = table
        return table

    def _compute(
        self,
        day: _dt.date,
        rest: frozenset[_dt.date] = frozenset(),
        working: frozenset[_dt.date] = frozenset(),
    ) -> bool:
        """Whether ``day`` is a working day: the calendar's own days first (its local changes
        among them), then ``rest`` and ``working`` of a year counted without a schedule."""
        if day in self._working:
            return True
        if day in self._rest:
            return False
        if day in working:
            return True
        return day not in rest and day.weekday() < 5

    def is_working_day(self, day: _dt.date) -> bool:
        """True for a working day; raises :class:`CalendarError` for a year with no schedule."""
        day = day_argument("day", day)
        first, running = self._year(day.year)
        index = day.toordinal() - first
        return running[index] != (running[index - 1] if index else 0)

    def next_working_day(self, day: _dt.date) -> _dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        if self.is_working_day(day):
            return day
        return self._add("day", day, 1)

    def add_working_days(self, start: _dt.date, count: int) -> _dt.date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        start = day_argument("start", start)
        if count.__class__ is not int:
            whole_number("count", count)
        if count < 0:
            raise InvalidInput("count", f"must be 0 or more working days (got {count})")
        return self._add("count", start, count)

    def _add(self, field: str, start: _dt.date, count: int) -> _dt.date:
        if count == 0:
            return start
        if count > 366 * (_dt.MAXYEAR - start.year + 1):  # more than the days left: said at once
            raise beyond_dates(field, start, f"{count} working days")
        year = start.year
        first, running = self._year(year)
        target = running[start.toordinal() - first] + count
        while target > running[-1]:
            target -= running[-1]
            year += 1
            if year > _dt.MAXYEAR:
                raise beyond_dates(field, start, f"{count} working days")
            first, running = self._year(year)
        return _dt.date.fromordinal(first + bisect.bisect_left(running, target))

    def working_days_between(self, start: _dt.date, end: _dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
        start = day_argument("start", start)
        end = day_argument("end", end)
        if end < start:
            return -self.working_days_between(end, start)
        year = start.year
        first, running = self._year(year)
        total = -running[start.toordinal() - first]
        while year < end.year:
            total += running[-1]
            year += 1
            first, running = self._year(year)
        return total + running[end.toordinal() - first]
