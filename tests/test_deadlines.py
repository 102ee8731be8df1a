"""The working-day calendar, counting rules and policies, on real 2025 and 2026 dates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cohandle import DeadlineKind, InvalidInput
from cohandle.deadlines import (
    OFFICIAL_YEARS,
    PRESETS,
    Calendar,
    CalendarError,
    Counting,
    FixedDate,
    Period,
    PeriodUnit,
    Policy,
    PolicyError,
    Rule,
    Start,
    YearSchedule,
    due_date,
    end_of_day,
    load_schedules,
    policy_from_mapping,
    policy_from_toml,
    preset,
)
from cohandle.deadlines._calendar import schedules_from_mapping

CHINA = Calendar.china()
D = dt.date
NOT_COUNTED = Counting()
COUNTED = Counting(start_day_counted=True)
NO_ROLL = Counting(roll_to_working_day=False)
WD, DAYS, MONTHS = PeriodUnit.WORKING_DAYS, PeriodUnit.DAYS, PeriodUnit.MONTHS


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 26), True),  # Sunday, make-up working day for the Spring Festival
        (D(2025, 1, 28), False),  # Spring Festival
        (D(2025, 2, 4), False),
        (D(2025, 2, 8), True),  # Saturday, make-up working day
        (D(2025, 5, 5), False),  # Labour Day holiday
        (D(2025, 9, 28), True),  # Sunday, make-up working day for National Day
        (D(2025, 10, 1), False),
        (D(2025, 10, 8), False),
        (D(2025, 10, 11), True),  # Saturday, make-up working day
        (D(2025, 10, 12), False),  # plain Sunday
        (D(2026, 2, 14), True),  # Saturday, make-up working day for the 2026 Spring Festival
        (D(2026, 2, 23), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),
        (D(2026, 11, 25), True),  # a plain Wednesday
        (D(2004, 1, 17), True),  # Saturday, make-up working day for the 2004 Spring Festival
        (D(2007, 4, 5), True),  # 清明, a Thursday, before it became a statutory holiday in 2008
        (D(2008, 4, 4), False),  # 清明, the first year it was one
        (D(2019, 10, 7), False),
        (D(2019, 10, 12), True),  # Saturday, make-up working day for National Day 2019
    ],
)
def test_official_days(day: dt.date, working: bool) -> None:
    assert CHINA.is_working_day(day) is working


def test_the_calendar_agrees_with_chinese_calendar_on_every_official_day() -> None:
    chinese_calendar = pytest.importorskip("chinese_calendar")
    day, differ = D(OFFICIAL_YEARS[0], 1, 1), []
    while day.year in OFFICIAL_YEARS:
        if CHINA.is_working_day(day) != chinese_calendar.is_workday(day):
            differ.append(day)
        day += dt.timedelta(days=1)
    # 国办发明电〔2005〕35号 on the 2006 New Year: "12月31日(星期六)上班", which chinese-calendar misses
    assert differ == [D(2005, 12, 31)]
    assert CHINA.is_working_day(D(2005, 12, 31))


@pytest.mark.parametrize(
    ("start", "period", "counting", "due"),
    [
        # 5 working days across National Day 2025 (1-8 Oct off, Sat 11 Oct a working day)
        (D(2025, 9, 30), Period(5, WD), NOT_COUNTED, D(2025, 10, 14)),
        # counting the start day: 29 Sep is day 1
        (D(2025, 9, 29), Period(5, WD), COUNTED, D(2025, 10, 11)),
        # a month ending on a holiday moves to the first working day after it
        (D(2025, 9, 1), Period(1, MONTHS), NOT_COUNTED, D(2025, 10, 9)),
        (D(2025, 9, 1), Period(1, MONTHS), NO_ROLL, D(2025, 10, 1)),
        (D(2025, 7, 1), Period(3, MONTHS), NOT_COUNTED, D(2025, 10, 9)),
        # 31 Jan + 1 month is clamped to the end of February
        (D(2025, 1, 31), Period(1, MONTHS), NOT_COUNTED, D(2025, 2, 28)),
        (D(2024, 1, 31), Period(1, MONTHS), NOT_COUNTED, D(2024, 2, 29)),
        (D(2025, 1, 31), Period(1, MONTHS), COUNTED, D(2025, 2, 27)),
        # 10 working days across the 2025 Spring Festival (Sun 26 Jan and Sat 8 Feb work)
        (D(2025, 1, 20), Period(10, WD), NOT_COUNTED, D(2025, 2, 8)),
        # 10 calendar days ending in the Labour Day holiday
        (D(2025, 4, 25), Period(10, DAYS), NOT_COUNTED, D(2025, 5, 6)),
        (D(2025, 4, 25), Period(10, DAYS), NO_ROLL, D(2025, 5, 5)),
        # 2026: National Day 1-7 Oct, Spring Festival with Sat 14 Feb a working day
        (D(2026, 9, 3), Period(1, MONTHS), NOT_COUNTED, D(2026, 10, 8)),
        (D(2026, 2, 12), Period(5, WD), NOT_COUNTED, D(2026, 2, 26)),
    ],
)
def test_due_dates_on_real_calendars(
    start: dt.date, period: Period, counting: Counting, due: dt.date
) -> None:
    assert due_date(start, period=period, counting=counting, calendar=CHINA) == due


def test_fixed_dates_are_of_the_sessions_year() -> None:
    # 31 May 2025 is the Dragon Boat Festival; Guizhou's fixed date does not move
    assert due_date(
        D(2025, 3, 1), fixed=FixedDate(5, 31), counting=NO_ROLL, calendar=CHINA, session_year=2025
    ) == D(2025, 5, 31)
    assert due_date(
        D(2025, 3, 1), fixed=FixedDate(5, 31), counting=NOT_COUNTED, calendar=CHINA, session_year=2025
    ) == D(2025, 6, 3)
    assert due_date(
        D(2024, 12, 30), fixed=FixedDate(6, 30), counting=NO_ROLL, calendar=CHINA, session_year=2025
    ) == D(2025, 6, 30)


def test_a_deadline_is_due_at_the_end_of_its_day_in_shanghai() -> None:
    assert end_of_day(D(2025, 10, 14)) == pendulum.datetime(
        2025, 10, 14, 23, 59, 59, 999999, tz="Asia/Shanghai"
    )
    assert end_of_day(D(2025, 10, 14)).timezone_name == "UTC"


def test_years_without_an_official_schedule_are_refused_unless_supplied() -> None:
    with pytest.raises(CalendarError, match="no official holiday schedule for 2027") as raised:
        CHINA.is_working_day(D(2027, 3, 1))
    assert str(raised.value) == (
        "The calendar has no official holiday schedule for 2027 (it knows 2004-2026), so it cannot "
        "tell the working days of 2027 from its rest days. Supply that year's schedule (the State "
        "Council notice: its holidays and make-up working days), or build the calendar with "
        "statutory_after=True to count such years by the statutory holidays alone, or with "
        "weekends_only_after=True to count weekends only."
    )
    assert raised.value.counting is None
    weekends = Calendar.china(weekends_only_after=True)
    assert weekends.is_working_day(D(2027, 3, 1))
    assert not weekends.is_working_day(D(2027, 3, 6))
    schedule = YearSchedule(year=2027, holidays=["2027-03-01"], workdays=["2027-03-06"], source="test notice")
    supplied = Calendar.china(schedules=[schedule])
    assert not supplied.is_working_day(D(2027, 3, 1))
    assert supplied.is_working_day(D(2027, 3, 6))
    assert supplied.version != CHINA.version
    # the years a calendar knows are named as spans of consecutive years
    later = YearSchedule(year=2029, holidays=["2029-01-01"], workdays=[], source="test notice")
    with pytest.raises(CalendarError) as gap:
        Calendar.china(schedules=[schedule, later]).is_working_day(D(2028, 3, 1))
    assert gap.value.known == "2004-2027, 2029"


def test_a_year_without_a_schedule_may_be_counted_by_its_statutory_holidays() -> None:
    """2027, before its notice: 春节 is 除夕 (5 February) to 初三 (8 February), the two that fall
    on the weekend made up on 9 and 10 February; 劳动节 1-2 May, a Saturday and a Sunday, made up
    on 3 and 4 May; 国庆 1-3 October, made up on 4 and 5 October. No weekend is a working day:
    only the notice sets make-up working days."""
    statutory = Calendar.china(statutory_after=True)
    rest = [day for day in (D(2027, 1, 1) + dt.timedelta(days=n) for n in range(365)) if day.weekday() < 5]
    rest = [day for day in rest if not statutory.is_working_day(day)]
    assert [day.isoformat() for day in rest] == [
        "2027-01-01",
        "2027-02-05",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-04-05",
        "2027-05-03",
        "2027-05-04",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-04",
        "2027-10-05",
    ]
    assert not any(statutory.is_working_day(D(2027, 2, 6) + dt.timedelta(days=7 * n)) for n in range(52))
    # five working days from 1 February end after the festival, not inside it
    assert statutory.add_working_days(D(2027, 2, 1), 5) == D(2027, 2, 12)
    assert Calendar.china(weekends_only_after=True).add_working_days(D(2027, 2, 1), 5) == D(2027, 2, 8)
    # the years with a schedule are counted by it, and local days still count
    assert statutory.is_working_day(D(2026, 2, 28))  # the 2026 notice's make-up Saturday
    local = Calendar.china(
        statutory_after=True, extra_rest_days=[D(2027, 3, 1)], extra_working_days=[D(2027, 2, 9)]
    )
    assert not local.is_working_day(D(2027, 3, 1))
    assert local.is_working_day(D(2027, 2, 9))  # a statutory day made up, worked here
    assert len({statutory.version, CHINA.version, Calendar.china(weekends_only_after=True).version}) == 3
    with pytest.raises(InvalidInput, match="two ways of counting a year without a schedule; choose one"):
        Calendar.china(statutory_after=True, weekends_only_after=True)
    with pytest.raises(InvalidInput, match=r"statutory_after must be True or False \(got 'yes', a str\)"):
        Calendar.china(statutory_after="yes")  # type: ignore[arg-type]


def test_a_schedule_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(
        '[2027]\nsource = "国办发明电"\nholidays = ["2027-10-01"]\nworkdays = ["2027-09-26"]\n',
        encoding="utf-8",
    )
    (schedule,) = load_schedules(path)
    assert schedule.year == 2027 and D(2027, 9, 26) in schedule.workdays
    bom = tmp_path / "bom.toml"  # as an editor on Windows saves it
    bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_schedules(bom) == (schedule,)
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    with pytest.raises(
        InvalidInput, match="is not UTF-8 text, so it cannot be a schedule file: save it as UTF-8"
    ):
        load_schedules(gbk)
    with pytest.raises(Exception, match="not valid TOML"):
        (tmp_path / "bad.toml").write_text("[2027\n", encoding="utf-8")
        load_schedules(tmp_path / "bad.toml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"2027": {"holidays": ["2026-10-01"]}}, "a day of another year"),
        (
            {"2027": {"holidays": ["2027-10-01"], "workdays": ["2027-10-01"]}},
            "both a holiday and a working day",
        ),
        ({"2027": {"workdays": ["2027-10-04"]}}, "it is a weekday"),
        ({"2027": {"holidays": ["October 1"]}}, "ISO date"),
        ({"next": {}}, "must be a year"),
        ({"2027": {"days": []}}, "unknown keys"),
    ],
)
def test_bad_schedules_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        schedules_from_mapping(data, where="later.toml")
    # named where it is: the file and the year's table, and the key where there is one
    assert raised.value.field.startswith(("later.toml: [2027]", "later.toml: [next]"))
    if message == "ISO date":
        assert raised.value.field == "later.toml: [2027] holidays"


def test_local_days_change_the_national_calendar() -> None:
    local = Calendar.china(extra_rest_days=["2025-11-26"], extra_working_days=["2025-11-29"])
    assert not local.is_working_day(D(2025, 11, 26))
    assert local.is_working_day(D(2025, 11, 29))
    assert CHINA.is_working_day(D(2025, 11, 26))


def test_counting_helpers() -> None:
    assert CHINA.next_working_day(D(2025, 10, 1)) == D(2025, 10, 9)
    assert CHINA.working_days_between(D(2025, 9, 30), D(2025, 10, 14)) == 5
    assert CHINA.working_days_between(D(2025, 10, 14), D(2025, 9, 30)) == -5
    with pytest.raises(Exception, match="0 or more"):
        CHINA.add_working_days(D(2025, 1, 1), -1)


def test_a_datetime_is_refused_where_a_day_belongs() -> None:
    # its day depends on its time zone: 20:00 UTC on 7 October is 8 October in Shanghai
    evening = pendulum.datetime(2025, 10, 7, 20, tz="UTC")
    for call in (
        lambda: CHINA.is_working_day(evening),
        lambda: CHINA.add_working_days(evening, 1),
        lambda: CHINA.working_days_between(D(2025, 10, 1), evening),
    ):
        with pytest.raises(InvalidInput, match="not a datetime"):
            call()
    assert CHINA.is_working_day(pendulum.date(2025, 10, 9))  # a pendulum Date is a date


WEEKENDS_AFTER = Calendar.china(weekends_only_after=True)


def test_the_last_year_a_date_can_hold_is_counted_to_its_end() -> None:
    assert WEEKENDS_AFTER.is_working_day(D(9999, 12, 31))  # a Friday
    assert WEEKENDS_AFTER.add_working_days(D(9999, 12, 29), 2) == D(9999, 12, 31)
    assert WEEKENDS_AFTER.working_days_between(D(9999, 1, 1), D(9999, 12, 31)) == 260


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: WEEKENDS_AFTER.add_working_days(D(9999, 12, 29), 3), "count"),
        (lambda: WEEKENDS_AFTER.add_working_days(D(2025, 1, 1), 10**9), "count"),
        (
            lambda: due_date(
                D(9999, 11, 1), period=Period(3, MONTHS), counting=NOT_COUNTED, calendar=WEEKENDS_AFTER
            ),
            "months",
        ),
        (
            lambda: due_date(
                D(9999, 12, 1), period=Period(90, DAYS), counting=NOT_COUNTED, calendar=WEEKENDS_AFTER
            ),
            "period",
        ),
        (
            lambda: due_date(
                D(9999, 12, 1), period=Period(30, WD), counting=NOT_COUNTED, calendar=WEEKENDS_AFTER
            ),
            "count",
        ),
        (
            lambda: due_date(
                D(9999, 3, 1),
                fixed=FixedDate(6, 30, year_offset=1),
                counting=NOT_COUNTED,
                calendar=WEEKENDS_AFTER,
            ),
            "fixed",
        ),
    ],
)
def test_counting_past_the_last_day_a_date_can_hold_is_refused(call: Any, field: str) -> None:
    with pytest.raises(
        InvalidInput, match="outside the days a date can hold, 0001-01-01 to 9999-12-31"
    ) as caught:
        call()
    assert caught.value.field == field


DAYS_2020_2026 = st.dates(min_value=D(2020, 1, 1), max_value=D(2026, 6, 30))


@given(DAYS_2020_2026, st.integers(1, 60))
def test_adding_working_days_lands_on_a_working_day_the_right_count_away(start: dt.date, n: int) -> None:
    end = CHINA.add_working_days(start, n)
    assert end > start
    assert CHINA.is_working_day(end)
    assert CHINA.working_days_between(start, end) == n


def test_counting_the_start_day_asks_nothing_of_the_day_before() -> None:
    # 1 January 2020, a holiday and the first day the calendar knows: the first working day is
    # the 2nd, found without asking about 31 December 2019, a year the calendar does not know
    counted = Counting(start_day_counted=True, roll_to_working_day=False)
    for amount, day in ((1, D(2020, 1, 2)), (2, D(2020, 1, 3))):
        assert (
            due_date(
                D(2020, 1, 1),
                period=Period(amount, PeriodUnit.WORKING_DAYS),
                counting=counted,
                calendar=CHINA,
            )
            == day
        )
    # a working start is the first day: 5 working days from Saturday 11 October 2025 (worked)
    assert due_date(
        D(2025, 10, 11), period=Period(5, PeriodUnit.WORKING_DAYS), counting=counted, calendar=CHINA
    ) == D(2025, 10, 16)


@given(
    DAYS_2020_2026,
    st.integers(1, 5),
    st.sampled_from(list(PeriodUnit)),
    st.booleans(),
    st.booleans(),
)
def test_a_due_date_is_never_before_its_start(
    start: dt.date, amount: int, unit: PeriodUnit, counted: bool, roll: bool
) -> None:
    counting = Counting(start_day_counted=counted, roll_to_working_day=roll)
    due = due_date(start, period=Period(amount, unit), counting=counting, calendar=CHINA)
    assert due >= start
    if roll or unit is PeriodUnit.WORKING_DAYS:
        assert CHINA.is_working_day(due)


# -- policies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_loads_and_cites_its_sources(name: str) -> None:
    policy = preset(name)
    assert policy.name == name and policy.rules
    assert all(rule.source for rule in policy.rules)


def test_presets_hold_the_numbers_of_their_regulations() -> None:
    chongqing = preset("chongqing-2017")
    kinds = {rule.kind.value: rule for rule in chongqing.rules}
    assert str(kinds["co_handler_opinion"].period) == "30个工作日"
    assert str(kinds["resubmission"].period) == "5个工作日"
    assert "第二十条" in kinds["resubmission"].source
    assert str(preset("shanghai").extension.each) == "3个月"
    assert str(preset("zhejiang-2016").extension.total) == "6个月"
    guizhou = preset("guizhou-2025").rules
    assert [(r.kind.value, str(r.fixed)) for r in guizhou] == [
        ("co_handler_opinion", "5月31日"),
        ("reply", "6月30日"),
    ]


def test_sichuan_chooses_the_rule_by_kind_of_item() -> None:
    from cohandle import Body, DeadlineKind

    sichuan = preset("sichuan-2024")
    plenary = sichuan.rule_for(DeadlineKind.REPLY, Body.CPPCC, between_sessions=False, key=False)
    between = sichuan.rule_for(DeadlineKind.REPLY, Body.CPPCC, between_sessions=True, key=False)
    npc = sichuan.rule_for(DeadlineKind.REPLY, Body.NPC, between_sessions=False, key=False)
    assert plenary is not None and str(plenary.period) == "5个月"
    assert between is not None and str(between.period) == "3个月"
    assert npc is not None and npc.name == "npc reply"


def test_an_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(Exception, match="must be one of generic, national-npc"):
        preset("hubei")


def test_every_problem_of_a_bad_policy_is_reported_at_once() -> None:
    bad = {
        "name": "local",
        "version": "1",
        "rules": [
            {"name": "reply", "kind": "answer", "start": "assigned", "period": "3 months", "source": "x"},
            {
                "name": "opinion",
                "kind": "co_handler_opinion",
                "start": "reply_sent",
                "period": "-5 days",
                "source": "x",
            },
            {"name": "opinion", "kind": "reply", "start": "assigned", "period": "soon", "source": ""},
            {
                "name": "fixed",
                "kind": "reply",
                "start": "assigned",
                "period": "1 month",
                "fixed_date": "06-30",
                "source": "x",
            },
            {
                "name": "date",
                "kind": "reply",
                "start": "assigned",
                "fixed_date": "02-30",
                "source": "x",
                "colour": "red",
            },
            {"name": "signed", "kind": "reply", "start": "signed", "period": "1 month", "source": "x"},
        ],
        "counting": {"start_day_counted": "no"},
        "extension": {"total": "6 fortnights"},
    }
    with pytest.raises(PolicyError) as info:
        policy_from_mapping(bad, "local.toml")
    problems = info.value.problems
    expected = [
        "title: is required",
        "rules[0].kind: must be one of",
        "rules[1].start: co_handler_opinion is counted from assigned, signed_for, not reply_sent",
        "rules[1].period: must not be negative",
        "rules[2].name: repeats the name 'opinion'",
        "rules[2].period: must be a period such as",
        "rules[2].source: must be non-empty text",
        "rules[3]: must give exactly one of period and fixed_date",
        "rules[4].colour: is not a known setting",
        "rules[4].fixed_date: is not a day of the year",
        "rules[5].start: must be one of received, assigned, signed_for, opinion_returned, reply_sent, rehandling_ordered",
        "counting.start_day_counted: must be true or false",
        "extension.total: must be a period such as",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in problems), (text, problems)
    assert len(problems) == len(expected), problems
    assert f"has {len(expected)} problems; fix them and load it again" in str(info.value)


def test_a_missing_setting_is_one_problem_and_one_problem_is_said_so() -> None:
    rules = [{"name": "reply", "kind": "reply", "start": "assigned", "period": "3 months"}]  # no source
    with pytest.raises(PolicyError) as info:
        policy_from_mapping({"name": "x", "version": "1", "title": "t", "rules": rules})
    assert info.value.problems == ("rules[0].source: is required",)
    assert "has 1 problem; fix it and load it again" in str(info.value)
    with pytest.raises(PolicyError) as info:  # a None is missing, and said once
        policy_from_mapping(
            {"name": None, "version": "1", "title": "t", "rules": [{**rules[0], "source": "s"}]}
        )
    assert info.value.problems == ("name: is required",)
    with pytest.raises(PolicyError) as info:  # no rules at all: said once, as any missing setting
        policy_from_mapping({"name": "x", "version": "1", "title": "t"})
    assert info.value.problems == ("rules: is required",)
    with pytest.raises(PolicyError) as info:
        policy_from_mapping({"name": "x", "version": "1", "title": "t", "rules": []})
    assert info.value.problems == ("rules: must be a non-empty list of rules ([[rules]] tables)",)


def test_bad_toml_and_missing_files_are_policy_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        policy_from_toml('name = "x\n')
    with pytest.raises(PolicyError, match="cannot be read"):
        policy_from_toml(tmp_path / "missing.toml")
    good = tmp_path / "local.toml"
    good.write_text(
        'name = "local"\nversion = "1"\ntitle = "本地规则"\n[[rules]]\nname = "reply"\nkind = "reply"\n'
        'start = "assigned"\nperiod = "2 个月"\nsource = "本地办法第十条"\n',
        encoding="utf-8",
    )
    policy = policy_from_toml(good)
    assert str(policy.rules[0].period) == "2个月"
    # saved by an editor on Windows: with a BOM it is the same policy; as GBK, a PolicyError,
    # where a raw UnicodeDecodeError escaped (and the command line printed a traceback)
    text = good.read_text(encoding="utf-8")
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert policy_from_toml(tmp_path / "bom.toml") == policy
    assert policy_from_toml("\ufeff" + text) == policy  # the same text, read with its BOM
    (tmp_path / "gbk.toml").write_bytes(text.encode("gbk"))
    with pytest.raises(PolicyError) as gbk:
        policy_from_toml(tmp_path / "gbk.toml")
    assert gbk.value.problems[0].startswith("the file is not UTF-8 text (byte ")
    assert gbk.value.problems[0].endswith("): save it as UTF-8")


def test_a_policy_never_runs_code() -> None:
    with pytest.raises(PolicyError):
        policy_from_toml(
            "name = \"__import__('os').system('false')\"\nversion = 1\ntitle = \"t\"\nrules = []\n"
        )


def _rule(**changes: Any) -> Rule:
    fields: dict[str, Any] = {
        "name": "reply",
        "kind": DeadlineKind.REPLY,
        "start": Start.ASSIGNED,
        "period": Period(3, MONTHS),
        "source": "a regulation",
    }
    return Rule(**{**fields, **changes})


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: Period(0, DAYS), "Period.amount must be at least 1"),
        (lambda: Period("3", DAYS), "Period.amount must be a whole number"),  # type: ignore[arg-type]
        (lambda: Period(3, "days"), "Period.unit must be"),  # type: ignore[arg-type]
        (lambda: FixedDate(13, 1), "FixedDate must name a day of the year"),
        (lambda: FixedDate(2, 30), "FixedDate must name a day of the year"),
        (lambda: FixedDate(6, 30, year_offset=-1), "FixedDate.year_offset must be 0 or more"),
        (lambda: Counting(start_day_counted="no"), "Counting.start_day_counted must be"),  # type: ignore[arg-type]
        (lambda: _rule(fixed=FixedDate(6, 30)), "must give exactly one of period and fixed"),
        (lambda: _rule(period=None), "must give exactly one of period and fixed"),
        (
            lambda: _rule(start=Start.REPLY_SENT),
            "reply is counted from assigned, received, signed_for, not reply_sent",
        ),
        (lambda: _rule(scope=None), "Rule.scope must be"),
        (lambda: Policy(name="p", version="1", title="t", rules="reply"), "Policy.rules must be a list"),
        (lambda: Policy(name="p", version="1", title="t", rules=[None]), "Policy.rules must be"),
        (
            lambda: Policy(name="p", version="1", title="t", rules=[_rule()], remind_before_working_days=-1),
            "Policy.remind_before_working_days must be 0 or more",
        ),
    ],
)
def test_a_policy_made_in_code_is_checked_as_one_read_from_a_file(make: Any, said: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(said)):
        make()


def test_a_policy_made_in_code_takes_its_rules_as_a_list() -> None:
    policy = Policy(name="p", version="1", title="t", rules=[_rule()])
    assert policy.rules == (_rule(),)


def test_29_february_falls_on_the_28th_in_a_year_without_it() -> None:
    leap_day = FixedDate(2, 29)
    assert due_date(D(2025, 1, 10), fixed=leap_day, counting=NO_ROLL, calendar=CHINA) == D(2025, 2, 28)
    assert due_date(D(2024, 1, 10), fixed=leap_day, counting=NO_ROLL, calendar=CHINA) == D(2024, 2, 29)
