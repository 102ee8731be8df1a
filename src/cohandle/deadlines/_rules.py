"""Deadline rules as data: periods, fixed dates, counting settings, rules and policies.

A policy is read from TOML or a mapping and never executes code. Every problem of a bad policy
is reported at once, each with its path (``rules[2].period``), in one :class:`PolicyError`.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as _dt
import enum
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pendulum

from cohandle._errors import CohandleError, InvalidInput, counted, expect, nameable, tilde_hint, whole_number
from cohandle._model import Body, DeadlineKind, _sequence, _typed
from cohandle.deadlines._calendar import Calendar, beyond_dates, day_argument

__all__ = [
    "Counting",
    "DeadlineKind",
    "ExtensionCap",
    "FixedDate",
    "Period",
    "PeriodUnit",
    "Policy",
    "PolicyError",
    "Rule",
    "Scope",
    "Start",
    "due_date",
    "end_of_day",
    "policy_from_mapping",
    "policy_from_toml",
]

SHANGHAI = pendulum.timezone("Asia/Shanghai")


class PolicyError(CohandleError):
    """A policy file or mapping has problems; ``problems`` lists each with its path."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"The policy {source} has {counted(len(self.problems), 'problem')}; fix "
            f"{'it' if len(self.problems) == 1 else 'them'} and load it again:\n{lines}"
        )


class PeriodUnit(enum.StrEnum):
    DAYS = "days"
    WORKING_DAYS = "working_days"
    MONTHS = "months"

    @property
    def label(self) -> str:
        return {"days": "日", "working_days": "个工作日", "months": "个月"}[self.value]


class Start(enum.StrEnum):
    """The event a deadline is counted from. ``received`` is the item's receipt by the
    assigning body; ``signed_for`` is a handling unit's receipt of its assignment (签收, the
    收到之日起 of many regulations), counted from the event that named the unit until it signs."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    SIGNED_FOR = "signed_for"
    OPINION_RETURNED = "opinion_returned"
    REPLY_SENT = "reply_sent"
    REHANDLING_ORDERED = "rehandling_ordered"


# Which start each kind may be counted from.
_STARTS = {
    DeadlineKind.REASSIGNMENT_REQUEST: {Start.ASSIGNED, Start.SIGNED_FOR},
    DeadlineKind.CO_HANDLER_OPINION: {Start.ASSIGNED, Start.SIGNED_FOR},
    DeadlineKind.RESUBMISSION: {Start.OPINION_RETURNED},
    DeadlineKind.REPLY: {Start.ASSIGNED, Start.RECEIVED, Start.SIGNED_FOR},
    DeadlineKind.PROPOSER_FEEDBACK: {Start.REPLY_SENT},
    DeadlineKind.REHANDLING: {Start.REHANDLING_ORDERED},
    DeadlineKind.PUBLICATION: {Start.REPLY_SENT},
}


@attrs.frozen
@_typed
class Period:
    """An amount of days, working days or calendar months: at least 1."""

    amount: int
    unit: PeriodUnit

    def __attrs_post_init__(self) -> None:
        if self.amount < 1:
            raise InvalidInput("Period.amount", f"must be at least 1 (got {self.amount})")

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.label}"


@attrs.frozen
@_typed
class FixedDate:
    """A fixed day of the session's year (or, with ``year_offset``, a later year), e.g. 30 June.

    29 February falls on the 28th in a year that has no 29th.
    """

    month: int
    day: int
    year_offset: int = 0

    def __attrs_post_init__(self) -> None:
        try:
            _dt.date(2024, self.month, self.day)  # a leap year: 29 February is a day of the year
        except (ValueError, OverflowError):
            raise InvalidInput(
                "FixedDate", f"must name a day of the year (got month {self.month}, day {self.day})"
            ) from None
        if self.year_offset < 0:
            raise InvalidInput("FixedDate.year_offset", f"must be 0 or more (got {self.year_offset})")

    def __str__(self) -> str:
        return f"{self.month}月{self.day}日"


@attrs.frozen(kw_only=True)
@_typed
class Counting:
    """How a period is counted.

    Defaults follow 民法典 arts. 201 and 203 by analogy: the start day is not counted, and a
    deadline that falls on a rest day moves to the next working day. A deadline is due at the
    end of its day in Asia/Shanghai.
    """

    start_day_counted: bool = False
    roll_to_working_day: bool = True


@attrs.frozen(kw_only=True)
@_typed
class Scope:
    """Which items a rule applies to; None means any."""

    body: Body | None = None
    between_sessions: bool | None = None
    key: bool | None = None

    def matches(self, body: Body, between_sessions: bool, key: bool) -> bool:
        return (
            (self.body is None or self.body is body)
            and (self.between_sessions is None or self.between_sessions == between_sessions)
            and (self.key is None or self.key == key)
        )


@attrs.frozen(kw_only=True)
@_typed
class Rule:
    """One deadline: what is due, counted from which event, how long, for which items, and why."""

    name: str
    kind: DeadlineKind
    start: Start
    period: Period | None = None
    fixed: FixedDate | None = None
    scope: Scope = Scope()
    source: str

    def __attrs_post_init__(self) -> None:
        if (self.period is None) == (self.fixed is None):
            raise InvalidInput("Rule", f"{self.name!r} must give exactly one of period and fixed")
        if self.start not in _STARTS[self.kind]:
            allowed = ", ".join(sorted(s.value for s in _STARTS[self.kind]))
            raise InvalidInput(
                "Rule.start",
                f"of {self.name!r}: {self.kind.value} is counted from {allowed}, not {self.start.value}",
            )

    def describe(self) -> str:
        length = str(self.period) if self.period else f"fixed date {self.fixed}"
        return f"{self.kind.label}: {length}, from {self.start.value} ({self.source})"


@attrs.frozen(kw_only=True)
@_typed
class ExtensionCap:
    """How far a reply may be extended: a total from the reply's start, and/or per extension."""

    total: Period | None = None
    each: Period | None = None
    source: str = ""


def _rules(value: Iterable[Any]) -> tuple[Any, ...]:
    return _sequence("Policy.rules", value)


@attrs.frozen(kw_only=True)
@_typed
class Policy:
    """A named, versioned set of deadline rules with its counting settings."""

    name: str
    version: str
    title: str
    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    counting: Counting = Counting()
    extension: ExtensionCap = ExtensionCap()
    remind_before_working_days: int = 5
    escalate_after_working_days: int = 10
    notes: str = ""

    def __attrs_post_init__(self) -> None:
        for field in ("remind_before_working_days", "escalate_after_working_days"):
            if getattr(self, field) < 0:
                raise InvalidInput(f"Policy.{field}", f"must be 0 or more (got {getattr(self, field)})")

    def rule_for(self, kind: DeadlineKind, body: Body, between_sessions: bool, key: bool) -> Rule | None:
        """The first rule of ``kind`` whose scope matches the item, or None."""
        return next(self.rules_for(kind, body, between_sessions, key), None)

    def rules_for(self, kind: DeadlineKind, body: Body, between_sessions: bool, key: bool) -> Iterator[Rule]:
        """Every rule of ``kind`` whose scope matches the item, in the policy's order: the
        first applies, unless it is a fixed date already past when its clock starts."""
        for rule in self.rules:
            if rule.kind is kind and rule.scope.matches(body, between_sessions, key):
                yield rule


def end_of_day(day: _dt.date) -> pendulum.DateTime:
    """The last microsecond of ``day`` in Asia/Shanghai, in UTC."""
    day = day_argument("day", day)
    return pendulum.DateTime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=SHANGHAI).in_timezone(
        pendulum.UTC
    )


def add_months(day: _dt.date, months: int) -> _dt.date:
    """The same day number ``months`` later, clamped to the end of a shorter month."""
    day = day_argument("day", day)
    whole_number("months", months)
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if not _dt.MINYEAR <= year <= _dt.MAXYEAR:
        raise beyond_dates("months", day, f"{months} month{'s' if months != 1 else ''}")
    return _dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def due_date(
    start: _dt.date,
    *,
    period: Period | None = None,
    fixed: FixedDate | None = None,
    counting: Counting,
    calendar: Calendar,
    session_year: int | None = None,
) -> _dt.date:
    """The day a deadline falls on.

    ``start`` is the day of the starting event. Not counting the start day, N days end N days
    later and N months end on the same day number N months later; counting it, one day earlier.
    N working days end on the N-th working day after the start (counting it, the start is the
    first if it is a working day). A fixed date is that day of the session's year. Then, if the
    rules say so, a rest day moves to the next working day.
    """
    start = day_argument("start", start)
    if (period is None) == (fixed is None):
        raise InvalidInput("period", "and fixed: give exactly one of the two")
    if period is not None:
        expect("period", period, Period, "a Period")
    if fixed is not None:
        expect("fixed", fixed, FixedDate, "a FixedDate")
    expect("counting", counting, Counting, "a Counting")
    expect("calendar", calendar, Calendar, "a Calendar")
    if session_year is not None:
        whole_number("session_year", session_year)
    if fixed is not None:
        year = (session_year if session_year is not None else start.year) + fixed.year_offset
        if not _dt.MINYEAR <= year <= _dt.MAXYEAR:
            raise beyond_dates("fixed", start, f"{fixed} of the year {year}")
        due = _dt.date(year, fixed.month, min(fixed.day, _calendar.monthrange(year, fixed.month)[1]))
    else:
        assert period is not None
        shift = 1 if counting.start_day_counted else 0
        try:
            if period.unit is PeriodUnit.WORKING_DAYS:
                if shift and calendar.is_working_day(start):  # counted, the start is the first
                    return calendar.add_working_days(start, period.amount - 1)
                # not counted, or not a working day: the first is the next one (asked from the
                # start, not the day before, which may lie in a year the calendar does not know)
                return calendar.add_working_days(start, period.amount)
            if period.unit is PeriodUnit.DAYS:
                due = start + _dt.timedelta(days=period.amount - shift)
            else:
                due = add_months(start, period.amount) - _dt.timedelta(days=shift)
        except OverflowError:
            raise beyond_dates("period", start, str(period)) from None
    if counting.roll_to_working_day:
        due = calendar.next_working_day(due)
    return due


# ---------------------------------------------------------------------------------------------
# Reading policies


_PERIOD = re.compile(r"^\s*(-?\d+)\s*(\S.*?)\s*$")
_UNITS = {
    "day": PeriodUnit.DAYS,
    "days": PeriodUnit.DAYS,
    "日": PeriodUnit.DAYS,
    "天": PeriodUnit.DAYS,
    "working day": PeriodUnit.WORKING_DAYS,
    "working days": PeriodUnit.WORKING_DAYS,
    "工作日": PeriodUnit.WORKING_DAYS,
    "个工作日": PeriodUnit.WORKING_DAYS,
    "month": PeriodUnit.MONTHS,
    "months": PeriodUnit.MONTHS,
    "个月": PeriodUnit.MONTHS,
}


class _Reader:
    """Collects every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, text: str) -> None:
        self.problems.append(f"{path}: {text}")

    def keys(self, path: str, data: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
        for key in sorted(set(data) - allowed):
            self.problem(
                f"{path}.{key}" if path else key,
                f"is not a known setting (known: {', '.join(sorted(allowed))})",
            )
        given = {key for key, value in data.items() if value is not None}
        for key in sorted(required - given):
            self.problem(f"{path}.{key}" if path else key, "is required")

    # A missing value (None) is not reported by the readers below: a required key's absence is
    # reported once, by ``keys``, and an optional one's is no problem.

    def text(self, path: str, value: Any, default: str | None = None) -> str:
        if value is None:
            return "" if default is None else default
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"must be non-empty text (got {value!r})")
            return ""
        return value.strip()

    def boolean(self, path: str, value: Any, default: bool | None) -> bool | None:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(path, f"must be true or false (got {value!r})")
            return default
        return value

    def count(self, path: str, value: Any, default: int) -> int:
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.problem(path, f"must be a whole number, 0 or more (got {value!r})")
            return default
        return value

    def period(self, path: str, value: Any) -> Period | None:
        if value is None:
            return None
        example = '"3 months", "30 working days" or "10 days"'
        match = _PERIOD.match(value) if isinstance(value, str) else None
        unit = _UNITS.get(match.group(2).lower().replace("_", " ")) if match else None
        if match is None or unit is None:
            self.problem(path, f"must be a period such as {example} (got {value!r})")
            return None
        amount = int(match.group(1))
        if amount < 0:
            self.problem(path, f"must not be negative (got {value!r})")
            return None
        if amount == 0:
            self.problem(path, "must be at least 1")
            return None
        return Period(amount, unit)

    def fixed(self, path: str, value: Any) -> FixedDate | None:
        if value is None:
            return None
        match = re.match(r"^\s*(\d{1,2})-(\d{1,2})\s*$", value) if isinstance(value, str) else None
        if match is None:
            self.problem(path, f'must be a month and day such as "06-30" (got {value!r})')
            return None
        month, day = int(match.group(1)), int(match.group(2))
        try:
            _dt.date(2024, month, day)
        except ValueError:
            self.problem(path, f"is not a day of the year (got {value!r})")
            return None
        return FixedDate(month, day)

    def choice(self, path: str, value: Any, kind: type[enum.StrEnum]) -> Any:
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            self.problem(path, f"must be one of {', '.join(m.value for m in kind)} (got {value!r})")
            return None


def policy_from_mapping(data: Mapping[str, Any], source: str = "mapping") -> Policy:
    """Build a :class:`Policy` from plain data, reporting every problem at once."""
    r = _Reader()
    if not isinstance(data, Mapping):
        raise PolicyError(source, [f"the top level must be a table of settings (got {type(data).__name__})"])
    r.keys(
        "",
        data,
        {"name", "version", "title", "notes", "counting", "extension", "reminders", "rules"},
        {"name", "version", "title", "rules"},
    )
    counting_data = data.get("counting", {})
    counting = Counting()
    if not isinstance(counting_data, Mapping):
        r.problem("counting", "must be a table")
    else:
        r.keys("counting", counting_data, {"start_day_counted", "roll_to_working_day"}, set())
        counting = Counting(
            start_day_counted=bool(
                r.boolean("counting.start_day_counted", counting_data.get("start_day_counted"), False)
            ),
            roll_to_working_day=bool(
                r.boolean("counting.roll_to_working_day", counting_data.get("roll_to_working_day"), True)
            ),
        )
    extension_data = data.get("extension", {})
    extension = ExtensionCap()
    if not isinstance(extension_data, Mapping):
        r.problem("extension", "must be a table")
    else:
        r.keys("extension", extension_data, {"total", "each", "source"}, set())
        extension = ExtensionCap(
            total=r.period("extension.total", extension_data.get("total")),
            each=r.period("extension.each", extension_data.get("each")),
            source=str(extension_data.get("source", "")),
        )
    reminders = data.get("reminders", {})
    if not isinstance(reminders, Mapping):
        r.problem("reminders", "must be a table")
        reminders = {}
    r.keys("reminders", reminders, {"before_working_days", "escalate_after_working_days"}, set())
    rules: list[Rule] = []
    raw_rules = data.get("rules")
    if raw_rules is None:  # said once, by keys(): "is required"
        raw_rules = []
    elif not isinstance(raw_rules, list) or not raw_rules:
        r.problem("rules", "must be a non-empty list of rules ([[rules]] tables)")
        raw_rules = []
    names: set[str] = set()
    for index, raw in enumerate(raw_rules):
        path = f"rules[{index}]"
        if not isinstance(raw, Mapping):
            r.problem(path, "must be a table")
            continue
        r.keys(
            path,
            raw,
            {"name", "kind", "start", "period", "fixed_date", "body", "between_sessions", "key", "source"},
            {"name", "kind", "start", "source"},
        )
        name = r.text(f"{path}.name", raw.get("name"))
        if name in names:
            r.problem(f"{path}.name", f"repeats the name {name!r}")
        names.add(name)
        kind = r.choice(f"{path}.kind", raw.get("kind"), DeadlineKind)
        start = r.choice(f"{path}.start", raw.get("start"), Start)
        if kind is not None and start is not None and start not in _STARTS[kind]:
            allowed = ", ".join(sorted(s.value for s in _STARTS[kind]))
            r.problem(f"{path}.start", f"{kind.value} is counted from {allowed}, not {start.value}")
        period = r.period(f"{path}.period", raw.get("period"))
        fixed = r.fixed(f"{path}.fixed_date", raw.get("fixed_date"))
        if ("period" in raw) == ("fixed_date" in raw):
            r.problem(path, "must give exactly one of period and fixed_date")
        body = r.choice(f"{path}.body", raw["body"], Body) if "body" in raw else None
        scope = Scope(
            body=body,
            between_sessions=r.boolean(f"{path}.between_sessions", raw.get("between_sessions"), None),
            key=r.boolean(f"{path}.key", raw.get("key"), None),
        )
        rule_source = r.text(f"{path}.source", raw.get("source"))
        if kind is not None and start is not None and (period is None) != (fixed is None) and not r.problems:
            rules.append(
                Rule(
                    name=name,
                    kind=kind,
                    start=start,
                    period=period,
                    fixed=fixed,
                    scope=scope,
                    source=rule_source,
                )
            )
    name, version, title = (
        r.text(key, data[key]) if key in data else "" for key in ("name", "version", "title")
    )
    notes = data.get("notes", "")
    if not isinstance(notes, str):
        r.problem("notes", "must be text")
        notes = ""
    if r.problems:
        raise PolicyError(source, r.problems)
    return Policy(
        name=name,
        version=version,
        title=title,
        rules=tuple(rules),
        counting=counting,
        extension=extension,
        remind_before_working_days=r.count(
            "reminders.before_working_days", reminders.get("before_working_days"), 5
        ),
        escalate_after_working_days=r.count(
            "reminders.escalate_after_working_days", reminders.get("escalate_after_working_days"), 10
        ),
        notes=notes,
    )


def policy_from_toml(text_or_path: str | Path) -> Policy:
    """Read a policy from TOML text, or from a ``.toml`` file when given a path."""
    if isinstance(text_or_path, Path) or (
        isinstance(text_or_path, str) and text_or_path.endswith(".toml") and "\n" not in text_or_path
    ):
        path = Path(nameable("path", text_or_path))
        try:  # a BOM at the start, as editors on Windows write one, is taken
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            hint = tilde_hint(text_or_path) if isinstance(exc, FileNotFoundError) else ""
            raise PolicyError(str(path), [f"the file cannot be read ({exc.strerror}){hint}"]) from None
        except UnicodeDecodeError as exc:  # saved as GBK, as Chinese Windows saves text by default
            raise PolicyError(
                str(path), [f"the file is not UTF-8 text (byte {exc.start}): save it as UTF-8"]
            ) from None
        source = str(path)
    else:
        text, source = str(text_or_path).removeprefix("\ufeff"), "text"  # as read with its BOM
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"not valid TOML: {exc}"]) from None
    return policy_from_mapping(data, source)
