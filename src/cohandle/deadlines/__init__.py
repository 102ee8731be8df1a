"""Deadlines: China's working-day calendar, counting rules, and policies as data.

``Calendar.china()`` is the official calendar; :func:`preset` loads a shipped policy (each rule
citing its article); :func:`policy_from_toml` and :func:`policy_from_mapping` read your own.
"""

from cohandle.deadlines._calendar import (
    OFFICIAL_YEARS,
    Calendar,
    CalendarError,
    YearSchedule,
    load_schedules,
)
from cohandle.deadlines._presets import PRESETS, preset
from cohandle.deadlines._rules import (
    Counting,
    ExtensionCap,
    FixedDate,
    Period,
    PeriodUnit,
    Policy,
    PolicyError,
    Rule,
    Scope,
    Start,
    add_months,
    due_date,
    end_of_day,
    policy_from_mapping,
    policy_from_toml,
)

__all__ = [
    "OFFICIAL_YEARS",
    "PRESETS",
    "Calendar",
    "CalendarError",
    "Counting",
    "ExtensionCap",
    "FixedDate",
    "Period",
    "PeriodUnit",
    "Policy",
    "PolicyError",
    "Rule",
    "Scope",
    "Start",
    "YearSchedule",
    "add_months",
    "due_date",
    "end_of_day",
    "load_schedules",
    "policy_from_mapping",
    "policy_from_toml",
    "preset",
]
