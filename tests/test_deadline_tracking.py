"""Deadlines recorded in the log when their clocks start, and how they stand afterwards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cohandle
import cohandle._clocks
from cohandle import DeadlineBoard, DeadlineKind, DeadlineStatus, ReminderLevel, Satisfaction
from cohandle.deadlines import (
    Calendar,
    CalendarError,
    YearSchedule,
    due_date,
    end_of_day,
    policy_from_mapping,
    preset,
)
from helpers import (
    A_CO1,
    A_CO2,
    A_COMMITTEE,
    A_H1,
    A_LEAD,
    A_PROPOSER,
    CO1,
    CO2,
    H1,
    H2,
    LEAD,
    SPARE,
    data,
    feedback,
    opinion,
    reply,
    today,
)

K = DeadlineKind
S = DeadlineStatus
SHANGHAI = "Asia/Shanghai"


def at(day: str, hour: int = 10) -> pendulum.DateTime:
    return pendulum.parse(f"{day}T{hour:02d}:00:00+08:00")  # type: ignore[return-value]


def workflow(
    policy: str = "chongqing-2017", day: str = "2025-09-01"
) -> tuple[cohandle.Workflow, cohandle.FixedClock]:
    clock = cohandle.FixedClock(at(day))
    return cohandle.Workflow(clock=clock, policy=preset(policy)), clock


def assigned(wf: cohandle.Workflow) -> str:
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE)
    return pid


def due(p: cohandle.Proposal, kind: DeadlineKind, party: str) -> pendulum.DateTime:
    (found,) = [
        t.deadline.due
        for t in p.deadlines
        if t.deadline.kind is kind and t.deadline.party == party and t.status is S.OPEN
    ]
    return found


def statuses(p: cohandle.Proposal, now: pendulum.DateTime) -> dict[tuple[str, str], str]:
    return {(t.deadline.kind.value, t.deadline.party): status.value for t, status in p.deadlines_at(now)}


def test_assignment_records_every_deadline_it_starts_with_rule_policy_and_calendar() -> None:
    wf, _ = workflow()
    pid = assigned(wf)
    history = wf.history(pid)
    assert [e.type for e in history] == ["ProposalReceived", "ProposalAssigned", "DeadlinesSet"]
    recorded = history[-1].payload
    assert isinstance(recorded, cohandle.DeadlinesSet)
    assert recorded.policy == "chongqing-2017" and recorded.policy_version == "2017"
    assert recorded.calendar_version.startswith("china/holidays-")
    assert history[1].command_id == history[2].command_id
    p = wf.get(pid)
    # Chongqing: reassignment 10 working days, opinions 30 working days, reply 3 months, from
    # 1 Sep 2025; the 30 working days count Sun 28 Sep and Sat 11 Oct and skip 1-8 Oct
    assert due(p, K.REASSIGNMENT_REQUEST, "湖北省知识产权局") == at("2025-09-15", 0).add(days=1).subtract(
        microseconds=1
    )
    assert due(p, K.CO_HANDLER_OPINION, "省教育厅").in_timezone(SHANGHAI).date() == pendulum.date(
        2025, 10, 17
    )
    assert due(p, K.REPLY, "省科技厅").in_timezone(SHANGHAI).date() == pendulum.date(2025, 12, 1)
    rules = {t.deadline.rule for t in p.deadlines}
    assert "chongqing-2017:reply" in rules
    assert all("第" in t.deadline.source for t in p.deadlines)


def test_an_opinion_on_time_is_met_and_a_late_one_met_late() -> None:
    wf, clock = workflow()
    pid = assigned(wf)
    clock.set(at("2025-10-10"))
    wf.submit_opinion(pid, opinion=opinion(CO1, date=today(wf)), actor=A_CO1)
    clock.set(at("2025-10-22"))
    assert statuses(wf.get(pid), clock.now())[("co_handler_opinion", "省教育厅")] == "missed"
    p = wf.submit_opinion(pid, opinion=opinion(CO2, date=today(wf)), actor=A_CO2)
    now = statuses(p, clock.now())
    assert now[("co_handler_opinion", "湖北省知识产权局")] == "met"
    assert now[("co_handler_opinion", "省教育厅")] == "met_late"
    assert now[("reassignment_request", "湖北省知识产权局")] == "lapsed"
    assert now[("reply", "省科技厅")] == "open"


def test_a_returned_opinion_starts_the_resubmission_clock() -> None:
    wf, clock = workflow()
    pid = assigned(wf)
    wf.submit_opinion(pid, opinion=opinion(CO1, date=today(wf)), actor=A_CO1)
    clock.set(at("2025-09-29"))
    p = wf.return_opinion(pid, unit=CO1, reason="请补充", actor=A_LEAD)
    # 5 working days from Mon 29 Sep 2025, across National Day: 30 Sep, 9, 10, 11 (Sat), 13 Oct
    assert due(p, K.RESUBMISSION, "湖北省知识产权局").in_timezone(SHANGHAI).date() == pendulum.date(
        2025, 10, 13
    )


def test_reassignment_requests_after_the_window_are_refused() -> None:
    wf, clock = workflow()
    pid = assigned(wf)
    clock.set(at("2025-09-16"))
    with pytest.raises(cohandle.PreconditionFailed, match="window for asking ended on 2025-09-15"):
        wf.request_reassignment(pid, reason="不属于我局职责", actor=A_CO1)
    wf2, clock2 = workflow()
    pid2 = assigned(wf2)
    clock2.set(at("2025-09-12"))
    p = wf2.request_reassignment(pid2, reason="不属于我局职责", actor=A_CO1)
    assert statuses(p, clock2.now())[("reassignment_request", "湖北省知识产权局")] == "used"
    p = wf2.decide_reassignment(pid2, unit=CO1, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    after = statuses(p, clock2.now())
    assert after[("co_handler_opinion", "湖北省知识产权局")] == "waived"
    assert after[("co_handler_opinion", "省商务厅")] == "open"


def test_a_replacement_has_its_own_window_to_ask_for_reassignment() -> None:
    """A unit named in another's place receives the item then: its window (10 working days
    under chongqing-2017) runs from the decision, and a request after it is refused."""
    wf, clock = workflow()
    pid = assigned(wf)
    clock.set(at("2025-09-12"))
    wf.request_reassignment(pid, reason="不属于我局职责", actor=A_CO1)
    p = wf.decide_reassignment(pid, unit=CO1, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    # 10 working days from Fri 12 Sep 2025: 15-19, 22-26 Sep
    assert due(p, K.REASSIGNMENT_REQUEST, "省商务厅").in_timezone(SHANGHAI).date() == pendulum.date(
        2025, 9, 26
    )
    clock.set(at("2025-09-29"))
    spare = cohandle.Actor(name="郑强", unit=SPARE)
    with pytest.raises(cohandle.PreconditionFailed, match="window for asking ended on 2025-09-26"):
        wf.request_reassignment(pid, reason="不属于我局职责", actor=spare)
    # a replacement lead the same way, its reply counted from the decision too
    wf2, clock2 = workflow()
    pid2 = assigned(wf2)
    clock2.set(at("2025-09-12"))
    wf2.request_reassignment(pid2, reason="不属于我局职责", actor=A_LEAD)
    p = wf2.decide_reassignment(pid2, unit=LEAD, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    assert statuses(p, clock2.now())[("reassignment_request", "省商务厅")] == "open"
    clock2.set(at("2025-09-26"))
    p = wf2.request_reassignment(pid2, reason="不属于我局职责", actor=spare)
    assert statuses(p, clock2.now())[("reassignment_request", "省商务厅")] == "used"
    assert cohandle.replay(wf2.history(pid2)) == p and wf2.deadline_changes() == []


def test_excusing_a_co_handler_waives_its_deadlines() -> None:
    wf, _ = workflow()
    pid = assigned(wf)
    p = wf.excuse_co_handler(pid, unit=CO2, reason="机构调整", actor=A_COMMITTEE)
    assert statuses(p, wf.clock.now())[("co_handler_opinion", "省教育厅")] == "waived"


def test_an_extension_supersedes_the_reply_deadline_within_the_cap() -> None:
    wf, clock = workflow()
    pid = assigned(wf)
    with pytest.raises(
        cohandle.PreconditionFailed, match="beyond the total of 6个月 from the start, 2026-03-02"
    ):
        wf.extend(
            pid, until="2026-03-10", approval="渝人常函〔2025〕1号", reason="情况复杂", actor=A_COMMITTEE
        )
    p = wf.extend(
        pid, until="2026-02-27", approval="渝人常函〔2025〕1号", reason="情况复杂", actor=A_COMMITTEE
    )
    replies = [status.value for t, status in p.deadlines_at(clock.now()) if t.deadline.kind is K.REPLY]
    assert replies == ["superseded", "open"]
    assert due(p, K.REPLY, "省科技厅") == at("2026-02-27", 0).add(days=1).subtract(microseconds=1)
    extension = [t.deadline for t in p.deadlines if t.deadline.rule.endswith(":extension")]
    assert extension[0].source == "延期批准 渝人常函〔2025〕1号"


def test_a_second_extension_at_the_same_moment_supersedes_only_the_first() -> None:
    wf, clock = workflow()
    pid = assigned(wf)
    wf.extend(pid, until="2026-01-30", approval="第一次", reason="复杂", actor=A_COMMITTEE)
    p = wf.extend(pid, until="2026-02-27", approval="第二次", reason="更复杂", actor=A_COMMITTEE)
    replies = [
        (t.deadline.source, status.value)
        for t, status in p.deadlines_at(clock.now())
        if t.deadline.kind is K.REPLY
    ]
    assert [status for _, status in replies] == ["superseded", "superseded", "open"]
    assert replies[-1][0] == "延期批准 第二次"


def test_a_deadline_in_a_year_without_a_schedule_is_refused_by_name_and_nothing_is_recorded() -> None:
    wf, _ = workflow("generic", day="2026-12-01")  # its reply, three months on, falls in 2027
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    with pytest.raises(CalendarError) as raised:
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    error = raised.value
    assert error.day == dt.date(2027, 1, 1) and error.known == "2004-2026"
    assert (
        error.counting
        == f"Proposal {pid!r}: its deadline for 答复 (省科技厅) under rule generic:reply from 2026-12-01"
    )
    assert str(error).startswith(f"{error.counting} cannot be counted: the calendar")
    assert [e.type for e in wf.history(pid)] == ["ProposalReceived"]
    # counting weekends only for such years, the same command goes through
    wf.calendar = Calendar.china(weekends_only_after=True)
    assert wf.assign(pid, lead=LEAD, actor=A_COMMITTEE).status.value == "assigned"


def test_an_older_item_imported_with_its_dates_has_its_deadlines_counted() -> None:
    """An archive's item of 2016, recorded as it happened: before, every year before 2020 was
    unknown to the calendar, and its assignment was refused with CalendarError."""
    wf, _ = workflow("chongqing-2017")
    pid = wf.receive(data(), actor=A_COMMITTEE, occurred_at="2016-09-20").id
    p = wf.assign(pid, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE, occurred_at="2016-09-26")
    # 30 working days from Monday 26 September 2016: 4 in September; National Day took 1-7
    # October, and Saturday 8 and Sunday 9 October were worked (the 2016 notice): 2; then
    # 16 to Monday 31 October and 8 to Thursday 10 November
    assert due(p, DeadlineKind.CO_HANDLER_OPINION, CO1.name).in_timezone("Asia/Shanghai").date() == dt.date(
        2016, 11, 10
    )


def test_an_extensions_limit_in_a_year_without_a_schedule_is_refused_by_name() -> None:
    wf, _ = workflow("generic", day="2026-08-03")  # its reply is due in 2026, its limit in 2027
    pid = assigned(wf)
    with pytest.raises(CalendarError) as raised:
        wf.extend(pid, until="2026-12-31", approval="批准", reason="复杂", actor=A_COMMITTEE)
    assert raised.value.counting == f"Proposal {pid!r}: the limit of its extensions, 6个月 from 2026-08-03"
    assert [e.type for e in wf.history(pid)][-1] == "DeadlinesSet"


def test_an_extension_limit_counted_in_working_days_into_an_unknown_year_is_refused_by_name() -> None:
    policy = policy_from_mapping(
        {
            "name": "each-in-working-days",
            "version": "1",
            "title": "extensions counted in working days",
            "extension": {"each": "30 working days", "source": "test"},
            "rules": [
                {
                    "name": "reply",
                    "kind": "reply",
                    "start": "assigned",
                    "period": "2 months",
                    "source": "test",
                }
            ],
        }
    )
    wf = cohandle.Workflow(clock=cohandle.FixedClock(at("2026-10-15")), policy=policy)
    pid = assigned(wf)  # its reply due on 15 December, and thirty working days on are in 2027
    with pytest.raises(CalendarError) as raised:
        wf.extend(pid, until="2026-12-31", approval="批准", reason="复杂", actor=A_COMMITTEE)
    assert raised.value.counting == f"Proposal {pid!r}: the limit of an extension, 30个工作日 from 2026-12-15"


def _weekends_only_in_2027(store: cohandle.stores.EventStore | None = None) -> tuple[cohandle.Workflow, str]:
    """An item assigned on 2 November 2026 under the generic rules, counted with 2027 as
    weekends only: its reply is due on Tuesday 2 February 2027."""
    clock = cohandle.FixedClock(at("2026-11-02"))
    calendar = Calendar.china(weekends_only_after=True)
    wf = cohandle.Workflow(store, clock=clock, policy=preset("generic"), calendar=calendar)
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, co_handlers=[CO1], actor=A_COMMITTEE)
    assert due(wf.get(pid), K.REPLY, "省科技厅").to_date_string() == "2027-02-02"
    return wf, pid


NOTICE = YearSchedule(year=2027, holidays=["2027-02-01", "2027-02-02"], workdays=[], source="a test notice")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_new_schedule_shows_which_open_deadlines_it_would_move(kind: str, tmp_path: Any) -> None:
    store = cohandle.stores.SQLiteStore(tmp_path / "log.db") if kind == "sqlite" else None
    wf, pid = _weekends_only_in_2027(store)
    (change,) = wf.deadline_changes(calendar=Calendar.china(schedules=[NOTICE]))
    assert (change.proposal_id, change.number) == (pid, wf.get(pid).number)
    assert (change.recorded.kind, change.recorded.party) == (K.REPLY, "省科技厅")
    assert change.counted is not None and change.counted.due == at("2027-02-03", 0).add(days=1).subtract(
        microseconds=1
    )
    assert change.counted.rule == change.recorded.rule == "generic:reply"
    # the log is not changed, and the workflow's own calendar finds nothing to move
    assert len(wf.history(pid)) == 3 and wf.deadline_changes() == []
    # a deadline missed is still open: it is listed until what was due happens
    clock = wf.clock
    assert isinstance(clock, cohandle.FixedClock)
    clock.set(at("2027-02-05"))
    assert [c.recorded.kind for c in wf.deadline_changes(calendar=Calendar.china(schedules=[NOTICE]))] == [
        K.REPLY
    ]
    # a deadline met is history: once the reply is sent, nothing is left to move
    wf.submit_opinion(pid, opinion=opinion(date=today(wf)), actor=A_CO1)
    wf.consolidate(pid, actor=A_LEAD)
    wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)
    assert wf.deadline_changes(calendar=Calendar.china(schedules=[NOTICE])) == []
    if store is not None:
        store.close()


def test_a_changed_policy_shows_what_it_would_set_and_what_it_would_not() -> None:
    wf, _ = _weekends_only_in_2027()
    calendar = Calendar.china(weekends_only_after=True)
    changes = {
        c.recorded.kind: c for c in wf.deadline_changes(policy=preset("chongqing-2017"), calendar=calendar)
    }
    # Chongqing: reply in 3 months too, opinions in 30 working days, reassignment in 10
    assert set(changes) == {K.CO_HANDLER_OPINION, K.REASSIGNMENT_REQUEST}
    assert all(
        c.counted is not None and c.counted.rule.startswith("chongqing-2017:") for c in changes.values()
    )
    # a window that has lapsed is closed, whatever another policy would have made of it
    clock = wf.clock
    assert isinstance(clock, cohandle.FixedClock)
    clock.set(at("2026-11-20"))
    later = wf.deadline_changes(policy=preset("chongqing-2017"), calendar=calendar)
    assert {c.recorded.kind for c in later} == {K.CO_HANDLER_OPINION}
    beijing = {
        c.recorded.kind: c.counted
        for c in wf.deadline_changes(policy=preset("beijing-2014"), calendar=calendar)
    }
    assert beijing[K.CO_HANDLER_OPINION] is None  # Beijing's rules set no opinion deadline


def test_deadline_changes_need_a_policy_and_a_calendar_that_knows_the_years() -> None:
    bare = cohandle.Workflow()
    with pytest.raises(cohandle.InvalidInput, match=r"^policy must be given"):
        bare.deadline_changes()
    wf, pid = _weekends_only_in_2027()
    with pytest.raises(cohandle.InvalidInput, match=r"^calendar must be a Calendar"):
        wf.deadline_changes(calendar="china")  # type: ignore[arg-type]
    with pytest.raises(CalendarError) as raised:
        wf.deadline_changes(calendar=Calendar.china())
    assert raised.value.counting is not None and raised.value.counting.startswith(f"Proposal {pid!r}: ")


def test_revising_records_what_the_notice_moves_as_one_event() -> None:
    wf, pid = _weekends_only_in_2027()
    wf.calendar = Calendar.china(schedules=[NOTICE])  # the notice is out
    p = wf.revise_deadlines(pid, reason="2027年部分节假日安排公布", actor=A_COMMITTEE, command_id="r-1")
    last = wf.history(pid)[-1]
    assert isinstance(last.payload, cohandle.DeadlinesRevised) and last.label == "调整期限"
    assert [d.due.in_timezone(SHANGHAI).to_date_string() for d in last.payload.deadlines] == ["2027-02-03"]
    assert last.payload.policy == "generic" and last.payload.calendar_version == wf.calendar.version
    replies = [
        (t.deadline.due.in_timezone(SHANGHAI).to_date_string(), t.status)
        for t in p.deadlines
        if t.deadline.kind is K.REPLY
    ]
    assert replies == [("2027-02-02", S.REVISED), ("2027-02-03", S.OPEN)]
    assert cohandle.replay(wf.history(pid)) == p and wf.deadline_changes() == []
    # a retry returns the outcome and records nothing; a second revision finds nothing to move
    assert (
        wf.revise_deadlines(pid, reason="2027年部分节假日安排公布", actor=A_COMMITTEE, command_id="r-1") == p
    )
    with pytest.raises(
        cohandle.PreconditionFailed, match="no open deadline is counted otherwise under generic"
    ):
        wf.revise_deadlines(pid, reason="再次调整", actor=A_COMMITTEE)
    # the deadline board and the statistics go by the revised deadline
    board = DeadlineBoard.build([p])
    assert [
        i.due for i in board.due_by(at("2027-01-01"), at("2027-03-01")) if i.deadline.kind is K.REPLY
    ] == [replies_due(p)]
    wf.submit_opinion(pid, opinion=opinion(date=today(wf)), actor=A_CO1)
    wf.consolidate(pid, actor=A_LEAD)
    clock = wf.clock
    assert isinstance(clock, cohandle.FixedClock)
    clock.set(at("2027-02-03"))  # a day after the deadline first recorded, on the revised one
    wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)
    assert cohandle.statistics(wf.proposals(), clock.now()).on_time_rate == 1.0


def replies_due(p: cohandle.Proposal) -> pendulum.DateTime:
    (found,) = [t.deadline.due for t in p.deadlines if t.deadline.kind is K.REPLY and t.status is S.OPEN]
    return found


def test_a_closed_items_publication_deadline_is_revised_when_the_notice_moves_it() -> None:
    wf, pid = _weekends_only_in_2027()
    clock = wf.clock
    assert isinstance(clock, cohandle.FixedClock)
    clock.set(at("2027-01-15"))
    wf.submit_opinion(pid, opinion=opinion(date=today(wf)), actor=A_CO1)
    wf.consolidate(pid, actor=A_LEAD)
    wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)  # to be published within 20 working days
    wf.record_feedback(pid, feedback=feedback(), actor=A_PROPOSER)
    wf.close(pid, actor=A_LEAD)
    notice = Calendar.china(schedules=[NOTICE])
    (change,) = wf.deadline_changes(calendar=notice)
    assert change.recorded.kind is K.PUBLICATION and change.counted is not None
    wf.calendar = notice
    p = wf.revise_deadlines(pid, reason="2027年部分节假日安排公布", actor=A_COMMITTEE)
    assert p.status is cohandle.Status.CLOSED and wf.deadline_changes() == []
    assert due(p, K.PUBLICATION, "省科技厅").in_timezone(SHANGHAI).to_date_string() == "2027-02-16"


def test_an_on_request_replys_publication_deadline_from_an_older_log_is_revised_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Logs written before a reply 依申请公开 stopped owing publication by a deadline keep the
    one recorded then, as every recorded deadline; the assigning body settles it as revised."""
    wf, clock = workflow("generic")
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    on_request = attrs.evolve(reply(date=today(wf)), disclosure=cohandle.Disclosure.ON_REQUEST)
    every = frozenset({cohandle.Disclosure.PUBLIC, cohandle.Disclosure.ON_REQUEST})
    with monkeypatch.context() as older:  # as such a log was written
        older.setattr(cohandle._clocks, "PUBLISHED_BY_DEADLINE", every)
        wf.answer(pid, reply=on_request, actor=A_LEAD)
    clock.set(at("2025-11-03"))
    (change,) = wf.deadline_changes()
    assert (change.recorded.kind, change.recorded.party, change.counted) == (K.PUBLICATION, LEAD.name, None)
    p = wf.revise_deadlines(pid, reason="依申请公开的答复不设公开期限", actor=A_COMMITTEE)
    assert [t.status for t in p.deadlines if t.deadline.kind is K.PUBLICATION] == [S.REVISED]
    assert wf.deadline_changes() == [] and p.unpublished == (LEAD.name,)


def test_a_reassignment_window_moved_later_by_a_revision_admits_a_request_within_it() -> None:
    wf, clock = workflow("generic")  # 5 working days to ask, from Monday 1 September 2025
    pid = assigned(wf)
    wf.policy = preset("chongqing-2017")  # 10 working days
    wf.revise_deadlines(pid, reason="改用新的办理规则", actor=A_COMMITTEE)
    clock.set(at("2025-09-10"))  # past the first window (8 September), within the second
    p = wf.request_reassignment(pid, reason="职责不符", actor=A_CO1)
    assert [r.unit for r in p.pending_reassignments] == [CO1]


def test_revising_is_the_assigning_bodys_under_a_policy_with_a_reason() -> None:
    wf, pid = _weekends_only_in_2027()
    wf.calendar = Calendar.china(schedules=[NOTICE])
    before = wf.history(pid)
    with pytest.raises(cohandle.PermissionDenied):
        wf.revise_deadlines(pid, reason="调整", actor=A_LEAD)
    with pytest.raises(cohandle.InvalidInput, match=r"^reason "):
        wf.revise_deadlines(pid, reason="", actor=A_COMMITTEE)
    assert wf.history(pid) == before
    bare = cohandle.Workflow()
    item = bare.receive(data(), actor=A_COMMITTEE).id
    bare.assign(item, lead=LEAD, actor=A_COMMITTEE)
    with pytest.raises(cohandle.PreconditionFailed, match="it has no policy"):
        bare.revise_deadlines(item, reason="调整", actor=A_COMMITTEE)
    with pytest.raises(cohandle.NotAllowedInState):
        bare.revise_deadlines(bare.receive(data(), actor=A_COMMITTEE).id, reason="调整", actor=A_COMMITTEE)


def test_rules_counted_from_receipt_count_from_the_day_a_unit_signs_for_its_part() -> None:
    # Shanghai: a reassignment request within 7 working days and an opinion within a month of
    # receipt (收到之日起), the reply within 3 months of assignment (交办之日起)
    wf, clock = workflow("shanghai")
    pid = assigned(wf)  # Monday 1 September 2025
    assert due(wf.get(pid), K.REASSIGNMENT_REQUEST, "湖北省知识产权局") == at("2025-09-10", 0).add(
        days=1
    ).subtract(microseconds=1)
    wf.sign_for(pid, actor=A_LEAD)  # the same day: nothing moves
    assert wf.history(pid)[-1].type == "AssignmentSignedFor"
    clock.set(at("2025-09-03"))
    p = wf.sign_for(pid, actor=A_CO1, command_id="sign-1")
    signed, revised = wf.history(pid)[-2:]
    assert (signed.label, revised.label) == ("签收", "调整期限")
    assert isinstance(revised.payload, cohandle.DeadlinesRevised)
    assert revised.command_id == signed.command_id == "sign-1"
    assert revised.payload.reason == "湖北省知识产权局2025年9月3日签收，自收到之日起计算"
    assert revised.payload.policy == "shanghai" and revised.payload.policy_version == "2"
    # seven working days from Wednesday 3 September; the month from 1 or 3 September both end
    # on 1 or 3 October, in the National Day holiday, and move to 9 October: not revised
    assert [(d.kind, d.start.isoformat()) for d in revised.payload.deadlines] == [
        (K.REASSIGNMENT_REQUEST, "2025-09-03")
    ]
    assert (
        due(p, K.REASSIGNMENT_REQUEST, "湖北省知识产权局").in_timezone(SHANGHAI).to_date_string()
        == "2025-09-12"
    )
    assert (
        due(p, K.CO_HANDLER_OPINION, "湖北省知识产权局").in_timezone(SHANGHAI).to_date_string()
        == "2025-10-09"
    )
    assert due(p, K.REPLY, "省科技厅").in_timezone(SHANGHAI).to_date_string() == "2025-12-01"
    assert cohandle.replay(wf.history(pid)) == p and wf.deadline_changes() == []
    # a retry gives the outcome back and records nothing
    assert wf.sign_for(pid, actor=A_CO1, command_id="sign-1") == p
    # past the window counted from assignment, within the one counted from receipt
    clock.set(at("2025-09-11"))
    wf.request_reassignment(pid, reason="职责不符", actor=A_CO1)
    # a unit that never signed keeps the deadlines counted from the assignment
    clock.set(at("2025-09-12"))
    with pytest.raises(cohandle.PreconditionFailed, match="the window for asking ended on 2025-09-10"):
        wf.request_reassignment(pid, reason="职责不符", actor=A_CO2)


def test_a_count_from_receipt_is_recounted_from_the_signature_whether_it_moved_or_not() -> None:
    wf, clock = workflow("shanghai")
    pid = assigned(wf)
    clock.set(at("2025-09-03"))
    wf.sign_for(pid, actor=A_CO1)  # its opinion's month ends on 9 October either way
    weeks = policy_from_mapping(
        {
            "name": "weeks",
            "version": "1",
            "title": "以工作日计的会办期限",
            "rules": [
                {
                    "name": "opinion",
                    "kind": "co_handler_opinion",
                    "start": "signed_for",
                    "period": "20 working days",
                    "source": "收到之日起二十个工作日内",
                }
            ],
        }
    )
    changes = {
        c.recorded.party: c.counted
        for c in wf.deadline_changes(policy=weeks)
        if c.recorded.kind is K.CO_HANDLER_OPINION
    }
    assert {party: d.start.isoformat() for party, d in changes.items() if d is not None} == {
        "湖北省知识产权局": "2025-09-03",  # counted from its receipt, though nothing moved when it signed
        "省教育厅": "2025-09-01",  # not signed: from the assignment
    }
    wf.policy = weeks
    p = wf.revise_deadlines(pid, reason="改用以工作日计的期限", actor=A_COMMITTEE)
    assert wf.deadline_changes() == [] and cohandle.replay(wf.history(pid)) == p
    assert (
        due(p, K.CO_HANDLER_OPINION, "湖北省知识产权局").in_timezone(SHANGHAI).to_date_string()
        == "2025-09-30"
    )


def test_zhejiang_counts_the_reply_from_the_leads_receipt_and_caps_extensions_from_it() -> None:
    wf, clock = workflow("zhejiang-2016")
    pid = assigned(wf)
    clock.set(at("2025-09-05"))
    p = wf.sign_for(pid, actor=A_LEAD)
    assert due(p, K.REPLY, "省科技厅").in_timezone(SHANGHAI).to_date_string() == "2025-12-05"
    # extensions: six months in all from the reply's start, the day the lead signed
    with pytest.raises(cohandle.PreconditionFailed, match="the total of 6个月 from the start, 2026-03-05"):
        wf.extend(pid, until="2026-03-06", approval="批准", reason="情况复杂", actor=A_COMMITTEE)
    wf.extend(pid, until="2026-03-05", approval="批准", reason="情况复杂", actor=A_COMMITTEE)
    # separate handling (分办): each handler's reply from its own receipt
    separate = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(separate, handlers=[H1, H2], actor=A_COMMITTEE)
    clock.set(at("2025-09-09"))
    p = wf.sign_for(separate, actor=A_H1)
    assert due(p, K.REPLY, "省财政厅").in_timezone(SHANGHAI).to_date_string() == "2025-12-09"
    assert due(p, K.REPLY, "省人社厅").in_timezone(SHANGHAI).to_date_string() == "2025-12-05"
    # a replacement's opinion is counted from the decision naming it until it signs
    item = assigned(wf)
    wf.request_reassignment(item, reason="职责不符", actor=A_CO2)
    wf.decide_reassignment(item, unit=CO2, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    assert (
        due(wf.get(item), K.CO_HANDLER_OPINION, "省商务厅").in_timezone(SHANGHAI).to_date_string()
        == "2025-11-10"
    )
    clock.set(at("2025-09-12"))
    p = wf.sign_for(item, actor=cohandle.Actor(name="郑强", unit=SPARE))
    assert due(p, K.CO_HANDLER_OPINION, "省商务厅").in_timezone(SHANGHAI).to_date_string() == "2025-11-12"
    assert wf.deadline_changes() == [] and cohandle.replay(wf.history(item)) == p


@given(
    preset_name=st.sampled_from(["shanghai", "zhejiang-2016", "henan-2017", "shandong-2017"]),
    waits=st.lists(st.one_of(st.none(), st.integers(0, 40)), min_size=3, max_size=3),
    other=st.sampled_from(["generic", "chongqing-2017", "shanghai", "zhejiang-2016"]),
)
@settings(max_examples=40, deadline=None)
def test_what_is_recorded_is_what_the_rules_count_whenever_units_sign(
    preset_name: str, waits: list[int | None], other: str
) -> None:
    """Units sign for their parts on random later days (or never): right after, and after a
    change of rules is recorded, nothing is counted otherwise, and replay gives the same."""
    wf, clock = workflow(preset_name)
    pid = assigned(wf)
    signers = sorted(
        (
            (wait, actor)
            for wait, actor in zip(waits, [A_LEAD, A_CO1, A_CO2], strict=True)
            if wait is not None
        ),
        key=lambda pair: pair[0],
    )
    for wait, actor in signers:
        clock.set(at("2025-09-01").add(days=wait))
        wf.sign_for(pid, actor=actor)
    assert wf.deadline_changes() == []
    wf.policy = preset(other)
    if wf.deadline_changes():
        wf.revise_deadlines(pid, reason="改用新的办理规则", actor=A_COMMITTEE)
    assert wf.deadline_changes() == [] and cohandle.replay(wf.history(pid)) == wf.get(pid)
    wf.policy = preset(preset_name)  # and back: each receipt counts again
    if wf.deadline_changes():
        wf.revise_deadlines(pid, reason="恢复原办理规则", actor=A_COMMITTEE)
    p = wf.get(pid)
    assert wf.deadline_changes() == [] and cohandle.replay(wf.history(pid)) == p
    # counted here, apart from the library's recount: each open deadline under a rule counted
    # from receipt falls where the period from the unit's signature ends
    policy = preset(preset_name)
    rules = {f"{preset_name}:{r.name}": r for r in policy.rules if r.start.value == "signed_for"}
    for wait, actor in signers:
        assert actor.unit is not None
        signed = at("2025-09-01").add(days=wait).date()
        for tracked in p.deadlines:
            rule = rules.get(tracked.deadline.rule)
            if tracked.status is S.OPEN and tracked.deadline.party == actor.unit.name and rule is not None:
                assert rule.period is not None
                day = due_date(
                    signed, period=rule.period, counting=policy.counting, calendar=Calendar.china()
                )
                assert tracked.deadline.due == end_of_day(day)


def test_shanghai_caps_each_extension_at_three_more_months() -> None:
    wf, _ = workflow("shanghai")
    pid = assigned(wf)
    # reply due 1 Dec 2025 (3 months from 1 Sep); +3 months is 1 Mar 2026
    with pytest.raises(cohandle.PreconditionFailed, match="3个月 beyond the present deadline, 2026-03-01"):
        wf.extend(pid, until="2026-03-02", approval="批准", reason="复杂", actor=A_COMMITTEE)
    wf.extend(pid, until="2026-03-01", approval="批准", reason="复杂", actor=A_COMMITTEE)


def test_a_reply_meets_its_deadline_and_starts_feedback_and_publication() -> None:
    wf, clock = workflow("generic")
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    clock.set(at("2025-11-03"))
    p = wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)
    now = statuses(p, clock.now())
    assert now[("reply", "省科技厅")] == "met"
    assert now[("proposer_feedback", cohandle.PROPOSER_PARTY)] == "open"
    assert now[("publication", "省科技厅")] == "open"
    clock.set(at("2025-11-10"))
    p = wf.publish(pid, actor=A_LEAD)
    assert statuses(p, clock.now())[("publication", "省科技厅")] == "met"
    p = wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    assert statuses(p, clock.now())[("proposer_feedback", cohandle.PROPOSER_PARTY)] == "met"
    p = wf.order_rehandling(pid, reason="不满意", actor=A_COMMITTEE)
    assert statuses(p, clock.now())[("rehandling", "省科技厅")] == "open"
    assert due(p, K.REHANDLING, "省科技厅").in_timezone(SHANGHAI).date() == pendulum.date(2025, 12, 10)


def test_recorded_deadlines_do_not_move_when_the_calendar_changes() -> None:
    wf, _ = workflow()
    pid = assigned(wf)
    before = wf.get(pid).deadlines
    other = cohandle.Workflow(
        wf.store,
        clock=wf.clock,
        policy=preset("chongqing-2017"),
        calendar=Calendar.china(extra_rest_days=["2025-10-20"]),
    )
    assert other.get(pid).deadlines == before


def _guizhou_item(wf: cohandle.Workflow) -> str:
    session = cohandle.Session(
        body=cohandle.Body.CPPCC,
        level=cohandle.Level.PROVINCE,
        region="贵州省",
        term=13,
        meeting=3,
        year=2025,
    )
    data = cohandle.ProposalData(
        number="1", title="t", session=session, proposers=[cohandle.Proposer(name="李明")]
    )
    return wf.receive(data, actor=A_COMMITTEE, occurred_at=at("2025-03-01")).id


def test_guizhou_fixed_dates() -> None:
    wf, _ = workflow("guizhou-2025", "2025-03-01")
    p = wf.assign(_guizhou_item(wf), lead=LEAD, co_handlers=[CO1], actor=A_COMMITTEE)
    assert due(p, K.CO_HANDLER_OPINION, "湖北省知识产权局").in_timezone(SHANGHAI).date() == pendulum.date(
        2025, 5, 31
    )
    assert due(p, K.REPLY, "省科技厅").in_timezone(SHANGHAI).date() == pendulum.date(2025, 6, 30)


def test_a_fixed_date_already_past_when_its_clock_starts_does_not_apply() -> None:
    guizhou = preset("guizhou-2025")
    # assigned on 30 June: the reply is due that day; the opinion's 31 May has passed
    wf, _ = workflow("guizhou-2025", "2025-06-30")
    p = wf.assign(_guizhou_item(wf), lead=LEAD, co_handlers=[CO1], actor=A_COMMITTEE)
    assert [(t.deadline.kind, t.deadline.due.in_timezone(SHANGHAI).date()) for t in p.deadlines] == [
        (K.REPLY, pendulum.date(2025, 6, 30))
    ]
    # assigned on 2 July, nothing the notice sets can still be met: no deadline is set, where
    # one missed on the day it started was
    wf, clock = workflow("guizhou-2025", "2025-07-02")
    p = wf.assign(_guizhou_item(wf), lead=LEAD, co_handlers=[CO1], actor=A_COMMITTEE)
    assert p.deadlines == ()
    assert p.deadlines_at(clock.now()) == ()
    # an approved extension gives the lead the reply deadline it lacked
    p = wf.extend(
        p.id, until="2025-09-30", approval="黔府办〔2025〕7号", reason="交办较晚", actor=A_COMMITTEE
    )
    assert [
        (t.deadline.kind, t.deadline.party, t.deadline.start, t.deadline.due.in_timezone(SHANGHAI).date())
        for t in p.deadlines
    ] == [(K.REPLY, LEAD.name, pendulum.date(2025, 7, 2), pendulum.date(2025, 9, 30))]
    assert p.deadlines[0].deadline.source == "延期批准 黔府办〔2025〕7号"
    # the policy's total cap counts from the assignment for the deadline the extension gives
    capped = cohandle.deadlines.Policy(
        name="guizhou-capped", version="1", title="t", rules=guizhou.rules, counting=guizhou.counting,
        extension=cohandle.deadlines.ExtensionCap(total=cohandle.deadlines.Period(6, cohandle.deadlines.PeriodUnit.MONTHS)),
    )  # fmt: skip
    wf = cohandle.Workflow(clock=clock, policy=capped)
    pid = wf.assign(_guizhou_item(wf), lead=LEAD, actor=A_COMMITTEE).id
    with pytest.raises(
        cohandle.PreconditionFailed, match="beyond the total of 6个月 from the start, 2026-01-02"
    ):
        wf.extend(pid, until="2026-01-05", approval="同意", reason="交办较晚", actor=A_COMMITTEE)
    assert wf.extend(pid, until="2026-01-02", approval="同意", reason="交办较晚", actor=A_COMMITTEE).deadlines
    # under separate handling, only the handler still owing its reply
    wf, clock = workflow("guizhou-2025", "2025-07-02")
    pid = _guizhou_item(wf)
    wf.assign(pid, handlers=[H1, H2], mode=cohandle.AssignmentMode.SEPARATE, actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(author=H1, date=today(wf)), actor=A_H1)
    p = wf.extend(pid, until="2025-09-30", approval="同意", reason="交办较晚", actor=A_COMMITTEE)
    assert [(t.deadline.kind, t.deadline.party) for t in p.deadlines] == [(K.REPLY, H2.name)]
    # the next rule of the kind applies: a period for items assigned late
    late = cohandle.deadlines.Rule(
        name="late reply", kind=K.REPLY, start=cohandle.deadlines.Start.ASSIGNED,
        period=cohandle.deadlines.Period(3, cohandle.deadlines.PeriodUnit.MONTHS), source="个案确定",
    )  # fmt: skip
    policy = cohandle.deadlines.Policy(
        name="guizhou-late", version="1", title="t", rules=[*guizhou.rules, late], counting=guizhou.counting
    )
    wf = cohandle.Workflow(clock=clock, policy=policy)
    p = wf.assign(_guizhou_item(wf), lead=LEAD, co_handlers=[CO1], actor=A_COMMITTEE)
    assert [(t.deadline.rule, t.deadline.due.in_timezone(SHANGHAI).date()) for t in p.deadlines] == [
        ("guizhou-late:late reply", pendulum.date(2025, 10, 2))
    ]


def test_a_workflow_policy_must_be_a_policy() -> None:
    with pytest.raises(cohandle.InvalidInput, match="must be a Policy"):
        cohandle.Workflow(policy="generic")  # type: ignore[arg-type]


# -- the board ---------------------------------------------------------------------------------


def test_the_board_answers_overdue_by_unit_and_due_within() -> None:
    wf, clock = workflow()
    board = DeadlineBoard()
    board.follow(wf)
    first = assigned(wf)
    clock.set(at("2025-10-10"))
    wf.submit_opinion(first, opinion=opinion(CO1, date=today(wf)), actor=A_CO1)
    second = assigned(wf)
    now = at("2025-10-22")
    overdue = board.overdue(now)
    assert list(overdue) == ["省教育厅"]
    assert [item.proposal_id for item in overdue["省教育厅"]] == [first]
    soon = board.due_within(at("2025-10-16"), 5, Calendar.china())
    assert [(i.proposal_id, i.party) for i in soon] == [(first, "省教育厅")]
    rebuilt = DeadlineBoard.build(wf.proposals())
    assert rebuilt.overdue(now) == overdue
    with pytest.raises(
        cohandle.InvalidInput, match=r"^proposals must be a list of Proposal, such as wf.proposals\(\)"
    ):
        DeadlineBoard.build(wf)  # type: ignore[arg-type]  # the workflow, where its proposals belong
    assert len(rebuilt) == len(board)
    assert second in {i.proposal_id for items in board.overdue(at("2026-01-01")).values() for i in items}


def test_the_board_keeps_the_later_of_two_states_of_a_proposal() -> None:
    # with threads, a slower one may bring an older state after a faster one brought a newer
    wf, _ = workflow()
    board = DeadlineBoard()
    pid = assigned(wf)
    older = wf.get(pid)
    newer = wf.submit_opinion(pid, opinion=opinion(CO1, date=today(wf)), actor=A_CO1)
    board.update(newer)
    board.update(older)
    late = at("2026-06-01")
    parties = {item.party for items in board.overdue(late).values() for item in items}
    assert "湖北省知识产权局" not in parties and "省教育厅" in parties
    assert board.overdue(late) == DeadlineBoard.build([newer]).overdue(late)
    assert len(board) == len(DeadlineBoard.build([newer]))
    assert DeadlineBoard.build([newer, older]).overdue(late) == board.overdue(late)


def test_a_board_answers_in_one_order_however_it_was_filled() -> None:
    wf, _ = workflow()
    proposals = [wf.get(assigned(wf)) for _ in range(3)]  # all due at the same times
    late, soon = at("2026-06-01"), at("2025-10-10")
    forward, backward = DeadlineBoard.build(proposals), DeadlineBoard()
    for proposal in reversed(proposals):
        backward.update(proposal)
    assert forward.overdue(late) == backward.overdue(late)
    assert forward.due_within(soon, 10, Calendar.china()) == backward.due_within(soon, 10, Calendar.china())
    assert [i.proposal_id for i in forward.overdue(late)["省教育厅"]] == sorted(p.id for p in proposals)


def test_a_board_following_a_workflow_shared_by_threads_stays_right() -> None:
    import contextlib
    import sys
    import threading

    wf, _ = workflow()
    board = DeadlineBoard()
    board.follow(wf)
    late = at("2026-06-01")
    made: list[str] = []  # list.append is atomic
    errors: list[str] = []
    done = threading.Event()

    def work(thread: int) -> None:
        try:
            for n in range(40):
                pid = wf.receive(data(f"{thread:02d}{n:04d}"), actor=A_COMMITTEE).id
                wf.assign(pid, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE)
                made.append(pid)
                other = made[(thread * 7 + n) % len(made)]  # one another thread may be acting on
                for author, actor in ((CO1, A_CO1), (CO2, A_CO2)):
                    # already submitted, or the version moved on: not this test's matter
                    with contextlib.suppress(cohandle.CohandleError):
                        wf.submit_opinion(other, opinion=opinion(author, date=today(wf)), actor=actor)
        except BaseException as exc:
            errors.append(repr(exc))

    def read() -> None:
        while not done.is_set():
            items = [(i.proposal_id, i.party) for v in board.overdue(late).values() for i in v]
            if len(items) != len(set(items)):
                errors.append(f"an item twice in one answer: {items}")

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
    try:
        reader = threading.Thread(target=read)
        reader.start()
        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        reader.join()
    finally:
        sys.setswitchinterval(switching)
    assert errors == []
    rebuilt = DeadlineBoard.build(wf.proposals())
    assert len(board) == len(rebuilt)
    assert board.overdue(late) == rebuilt.overdue(late)


def test_reminders_come_before_the_deadline_once_and_escalate_when_long_late() -> None:
    wf, clock = workflow()
    policy = preset("chongqing-2017")
    calendar = Calendar.china()
    board = DeadlineBoard()
    board.follow(wf)
    pid = assigned(wf)
    assert board.reminders(at("2025-09-10"), policy, calendar) == []
    clock.set(at("2025-10-13"))  # within 5 working days of 17 Oct
    due_now = board.reminders(clock.now(), policy, calendar)
    assert {(r.item.party, r.level) for r in due_now} == {
        ("湖北省知识产权局", ReminderLevel.REMIND),
        ("省教育厅", ReminderLevel.REMIND),
    }
    for reminder in due_now:
        wf.remind(pid, to=reminder.item.to, actor=A_COMMITTEE, note="请按期报送会办意见")
    assert board.reminders(clock.now(), policy, calendar) == []
    late = board.reminders(at("2025-11-10"), policy, calendar)
    assert {(r.item.party, r.level) for r in late} == {
        ("湖北省知识产权局", ReminderLevel.ESCALATE),
        ("省教育厅", ReminderLevel.ESCALATE),
    }
    assert late[0].working_days_late >= 10
    clock.set(at("2025-11-10"))
    wf.mark_key(pid, supervisor=cohandle.Unit(name="省政协办公厅"), actor=A_COMMITTEE)
    assert board.reminders(clock.now(), policy, calendar) == []
    # under supervision, the late units are reminded (催办) at a late item's pace, from the marking
    assert board.reminders(at("2025-11-14"), policy, calendar) == []
    again = board.reminders(at("2025-11-17"), policy, calendar)
    assert {(r.item.party, r.level) for r in again} == {
        ("湖北省知识产权局", ReminderLevel.REMIND),
        ("省教育厅", ReminderLevel.REMIND),
    }
    clock.set(at("2025-11-17"))
    wf.remind(pid, to=CO1, actor=A_COMMITTEE, note="请报送会办意见")
    assert [r.item.party for r in board.reminders(clock.now(), policy, calendar)] == ["省教育厅"]


def test_a_reminder_job_records_every_reminder_the_board_lists_after_the_reply() -> None:
    """The proposers' feedback and the reply's publication are owed after the reply, and the
    board lists them as they fall due: each is recorded with ``to=item.to``, once."""
    wf, clock = workflow("generic")
    policy, calendar = preset("generic"), Calendar.china()
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    clock.set(at("2025-09-10"))
    wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)  # feedback by 10 Oct, publication by 15 Oct
    clock.set(at("2025-10-09"))
    board = DeadlineBoard.build(wf.proposals())
    due_now = board.reminders(clock.now(), policy, calendar)
    assert {(r.item.to, r.item.deadline.kind) for r in due_now} == {
        (cohandle.PROPOSER_PARTY, K.PROPOSER_FEEDBACK),
        (LEAD, K.PUBLICATION),
    }
    for reminder in due_now:
        wf.remind(pid, to=reminder.item.to, actor=A_COMMITTEE, note=reminder.level.label)
    assert DeadlineBoard.build(wf.proposals()).reminders(clock.now(), policy, calendar) == []
    wf.record_feedback(pid, feedback=feedback(), actor=A_PROPOSER)
    wf.close(pid, actor=A_LEAD)
    clock.set(at("2025-10-27"))  # the publication, late by a reminder window: reminded again
    (again,) = DeadlineBoard.build(wf.proposals()).reminders(clock.now(), policy, calendar)
    assert again.item.to == LEAD and wf.get(pid).status is cohandle.Status.CLOSED
    wf.remind(pid, to=again.item.to, actor=A_COMMITTEE, note=again.level.label)


def test_an_escalation_recorded_as_a_reminder_comes_again_only_a_reminder_window_later() -> None:
    """A closed item's reply, not published 11 working days after its deadline: the item cannot
    be marked key, so the job records the escalation as a reminder; the board listed it again
    every morning before."""
    wf, clock = workflow("generic")  # remind 5 working days before, escalate 10 after
    policy, calendar = preset("generic"), Calendar.china()
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)  # to be published by 28 September
    wf.record_feedback(pid, feedback=feedback(), actor=A_PROPOSER)
    wf.close(pid, actor=A_LEAD)

    def listed(day: str) -> list[tuple[ReminderLevel, int]]:
        clock.set(at(day, 9))
        board = DeadlineBoard.build(wf.proposals())
        return [(r.level, r.working_days_late) for r in board.reminders(clock.now(), policy, calendar)]

    assert listed("2025-10-20") == [(ReminderLevel.ESCALATE, 11)]
    wf.remind(pid, to=LEAD, actor=A_COMMITTEE, note="督办")
    assert listed("2025-10-21") == listed("2025-10-24") == []
    assert listed("2025-10-27") == [(ReminderLevel.ESCALATE, 16)]  # five working days on


def test_marking_an_item_key_puts_off_its_units_reminders_not_the_proposers() -> None:
    """Supervision (督办) is of the units: marking the item key counts as a reminder to its late
    units, whose next reminder then comes a window on, not to the proposers late with feedback."""
    wf, clock = workflow("generic")  # remind 5 working days before, escalate 10 after
    policy, calendar = preset("generic"), Calendar.china()
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)  # published by 28 Sep, feedback by 9 Oct
    clock.set(at("2025-10-13"))
    wf.mark_key(pid, actor=A_COMMITTEE)

    def listed(day: str) -> list[tuple[str, ReminderLevel]]:
        board = DeadlineBoard.build(wf.proposals())
        return [(r.item.party, r.level) for r in board.reminders(at(day, 9), policy, calendar)]

    assert listed("2025-10-13") == [("提案者", ReminderLevel.REMIND)]
    assert listed("2025-10-20") == [("省科技厅", ReminderLevel.REMIND), ("提案者", ReminderLevel.REMIND)]


@given(st.lists(st.integers(-40, 120), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_an_extension_never_moves_a_deadline_earlier(shifts: list[int]) -> None:
    """Random extension requests: each accepted one moves the reply deadline later; a refused
    one (not later, or past the cap) changes nothing."""
    wf, _ = workflow()
    pid = assigned(wf)
    current = due(wf.get(pid), K.REPLY, "省科技厅")
    for shift in shifts:
        until = current.in_timezone(SHANGHAI).date().add(days=shift)
        before = wf.history(pid)
        try:
            p = wf.extend(pid, until=until.isoformat(), approval="批准", reason="复杂", actor=A_COMMITTEE)
        except (cohandle.InvalidInput, cohandle.PreconditionFailed):
            assert wf.history(pid) == before
            continue
        extended = due(p, K.REPLY, "省科技厅")
        assert extended > current
        current = extended


def test_a_command_whose_deadline_would_pass_the_last_day_a_date_can_hold_is_refused() -> None:
    clock = cohandle.FixedClock(at("9999-10-01"))
    wf = cohandle.Workflow(
        clock=clock, policy=preset("generic"), calendar=Calendar.china(weekends_only_after=True)
    )
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    with pytest.raises(cohandle.InvalidInput, match="outside the days a date can hold"):
        wf.assign(pid, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE)
    assert [e.type for e in wf.history(pid)] == ["ProposalReceived"]


@pytest.mark.parametrize("moment", ["0001-01-01", "0001-01-01T07:00:00+08:00", "9999-12-31T20:00:00-05:00"])
def test_a_moment_utc_cannot_hold_is_refused(moment: str) -> None:
    with pytest.raises(cohandle.InvalidInput, match="too near 0001-01-01 or 9999-12-31 to be held in UTC"):
        cohandle.FixedClock(moment)
    with pytest.raises(cohandle.InvalidInput, match="now is too near"):
        DeadlineBoard().overdue(moment)  # type: ignore[arg-type]


def test_under_separate_handling_the_proposers_owe_a_form_for_each_reply() -> None:
    """Each handler's reply goes out with its own feedback form (征询意见表): the proposers'
    feedback is in when every reply has had its own, and is chased until then; a re-handling
    ends the round, and the forms not returned are asked for again with the new replies."""
    wf, clock = workflow("generic")
    policy, calendar = preset("generic"), Calendar.china()
    pid = wf.receive(data(), actor=A_COMMITTEE).id
    wf.assign(pid, handlers=[H1, H2], actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(H1, date=today(wf)), actor=A_H1)
    wf.answer(pid, reply=reply(H2, date=today(wf)), actor=cohandle.Actor(name="周杰", unit=H2))
    clock.set(at("2025-09-15"))
    p = wf.record_feedback(pid, feedback=feedback(Satisfaction.SATISFIED, H1), actor=A_PROPOSER)
    assert statuses(p, clock.now())[("proposer_feedback", "提案者")] == "open"
    assert p.feedback_awaited == (H2.name,)
    clock.set(at("2025-10-13"))  # due 9 October
    listed = DeadlineBoard.build(wf.proposals()).reminders(clock.now(), policy, calendar)
    (late,) = [r for r in listed if r.item.deadline.kind is K.PROPOSER_FEEDBACK]
    assert late.item.to == cohandle.PROPOSER_PARTY
    wf.remind(pid, to=late.item.to, actor=A_COMMITTEE, note="请反馈省人社厅的答复")
    p = wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED, H2), actor=A_PROPOSER)
    assert statuses(p, clock.now())[("proposer_feedback", "提案者")] == "met_late"
    # the other way round: a re-handling ordered with a form still out waives what it owed
    wf2, clock2 = workflow("generic")
    pid2 = wf2.receive(data(), actor=A_COMMITTEE).id
    wf2.assign(pid2, handlers=[H1, H2], actor=A_COMMITTEE)
    wf2.answer(pid2, reply=reply(H1, date=today(wf2)), actor=A_H1)
    wf2.answer(pid2, reply=reply(H2, date=today(wf2)), actor=cohandle.Actor(name="周杰", unit=H2))
    wf2.record_feedback(pid2, feedback=feedback(Satisfaction.DISSATISFIED, H2), actor=A_PROPOSER)
    p = wf2.order_rehandling(pid2, reason="不满意", actor=A_COMMITTEE)
    assert statuses(p, clock2.now())[("proposer_feedback", "提案者")] == "waived"
    assert cohandle.replay(wf2.history(pid2)) == p
