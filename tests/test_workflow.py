"""The application service: idempotency, expected versions, business time, caching, notification."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cohandle
from cohandle import (
    ConcurrencyConflict,
    IdempotencyConflict,
    InvalidInput,
    RecordedEvent,
    Status,
)
from cohandle.stores import MemoryStore, SQLiteStore
from helpers import (
    A_CO1,
    A_CO2,
    A_COMMITTEE,
    A_LEAD,
    A_PROPOSER,
    CO1,
    CO2,
    LEAD,
    START,
    bring_to,
    data,
    opinion,
    receive,
    reply,
    today,
    workflow,
)


def test_a_retried_command_returns_the_original_outcome_and_records_nothing() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    first = wf.submit_opinion(pid, opinion=opinion(), actor=A_CO1, command_id="op-1")
    wf.remind(pid, to=LEAD, actor=A_COMMITTEE)
    again = wf.submit_opinion(pid, opinion=opinion(), actor=A_CO1, command_id="op-1")
    assert again == first
    assert [e.type for e in wf.history(pid)].count("OpinionSubmitted") == 1
    assert wf.history(pid)[first.version - 1].command_id == "op-1"


def test_the_same_command_id_for_another_command_is_refused() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.submit_opinion(pid, opinion=opinion(), actor=A_CO1, command_id="op-1")
    before = wf.history(pid)
    with pytest.raises(IdempotencyConflict, match="'op-1' was already used for OpinionSubmitted"):
        wf.submit_opinion(pid, opinion=opinion(category="A"), actor=A_CO1, command_id="op-1")
    with pytest.raises(IdempotencyConflict):
        wf.remind(pid, to=LEAD, actor=A_COMMITTEE, command_id="op-1")
    other = receive(wf)
    with pytest.raises(IdempotencyConflict):
        wf.file(other, actor=A_COMMITTEE, command_id="op-1")
    assert wf.history(pid) == before


def test_a_retried_receive_returns_the_proposal() -> None:
    wf = workflow()
    first = wf.receive(data("7"), actor=A_COMMITTEE, command_id="rcv-7")
    assert wf.receive(data("7"), actor=A_COMMITTEE, command_id="rcv-7") == first
    with pytest.raises(IdempotencyConflict):
        wf.receive(data("8"), actor=A_COMMITTEE, command_id="rcv-7")


def test_expected_version_protects_against_lost_updates() -> None:
    wf = workflow()
    pid = receive(wf)
    wf.file(pid, actor=A_COMMITTEE, expected_version=1)
    with pytest.raises(ConcurrencyConflict) as info:
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE, expected_version=1)
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert "another command was recorded first" in str(info.value)
    with pytest.raises(InvalidInput, match="expected_version"):
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE, expected_version=0)


def test_an_option_misspelt_is_named_with_the_command_and_the_options() -> None:
    wf = workflow()
    pid, other = receive(wf), receive(wf)
    before = wf.history(pid)
    with pytest.raises(
        TypeError,
        match=r"Workflow\.file\(\) got an unexpected keyword argument 'occured_at'; "
        r"did you mean 'occurred_at'\? \(a command's options are command_id, expected_version, "
        r"occurred_at\)",
    ):
        wf.file(pid, actor=A_COMMITTEE, occured_at="2025-03-01")  # type: ignore[call-arg]
    # what a merge records on the other item is no option of the others' (it raised a
    # TypeError from the inside before: "decide_file() got an unexpected keyword argument 'target'")
    with pytest.raises(TypeError, match=r"Workflow\.file\(\) got an unexpected keyword argument 'other' \("):
        wf.file(pid, actor=A_COMMITTEE, other=other)  # type: ignore[call-arg]
    assert wf.history(pid) == before
    assert wf.merge(pid, into=other, reason="内容相近", actor=A_COMMITTEE).merged_into == other


def two_workflows() -> tuple[cohandle.stores.MemoryStore, cohandle.Workflow, cohandle.Workflow]:
    """Two workflows on one store, as two servers would be, each with its own cache."""
    store = cohandle.stores.MemoryStore()
    clock = cohandle.FixedClock(START)
    return store, cohandle.Workflow(store, clock=clock), cohandle.Workflow(store, clock=clock)


def test_two_workflows_on_one_store_see_each_other() -> None:
    """A cached state that another writer has overtaken is decided again on the stored state."""
    store, one, two = two_workflows()
    pid = one.receive(data("9"), actor=A_COMMITTEE).id
    assert two.file(pid, actor=A_COMMITTEE).status is Status.FILED
    assert one.get(pid).status is Status.FILED
    assert one.assign(pid, lead=LEAD, actor=A_COMMITTEE).version == 3  # one's cache was stale
    with pytest.raises(cohandle.NotAllowedInState):
        two.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    assert cohandle.replay(store.read_stream(pid)) == one.get(pid) == two.get(pid)


def test_a_retried_merge_returns_the_original_outcome_though_the_other_item_moved_on() -> None:
    wf = workflow()
    kept, merged = receive(wf), receive(wf)
    first = wf.merge(merged, into=kept, reason="内容相近", actor=A_COMMITTEE, command_id="merge-1")
    wf.file(kept, actor=A_COMMITTEE)
    wf.assign(kept, lead=LEAD, actor=A_COMMITTEE)
    wf.answer(kept, reply=reply(), actor=A_LEAD)  # it would take no more items now
    fresh = cohandle.Workflow(wf.store, clock=wf.clock)  # no cache: decided again from the log
    for retrying in (wf, fresh):
        assert (
            retrying.merge(merged, into=kept, reason="内容相近", actor=A_COMMITTEE, command_id="merge-1")
            == first
        )
    assert [e.type for e in wf.history(kept)].count("ItemMergedIn") == 1
    other = receive(wf)
    retries: tuple[Callable[[], object], ...] = (
        lambda: wf.merge(merged, into=other, reason="内容相近", actor=A_COMMITTEE, command_id="merge-1"),
        lambda: wf.merge(merged, into=kept, reason="重复", actor=A_COMMITTEE, command_id="merge-1"),
        lambda: wf.merge(other, into=kept, reason="内容相近", actor=A_COMMITTEE, command_id="merge-1"),
        lambda: wf.file(kept, actor=A_COMMITTEE, command_id="merge-1"),
    )
    for retried in retries:
        with pytest.raises(IdempotencyConflict, match="'merge-1' was already used for ProposalMerged"):
            retried()


def test_a_merge_decides_again_when_the_other_item_moved_on_in_another_workflow() -> None:
    store, one, two = two_workflows()
    kept = one.receive(data("21"), actor=A_COMMITTEE).id
    merged = one.receive(data("22"), actor=A_COMMITTEE).id
    two.file(kept, actor=A_COMMITTEE)  # one's copy of it is stale
    heard: list[list[str]] = []
    one.subscribe(lambda events: heard.append([f"{e.stream_id} {e.type}" for e in events]))
    one.merge(merged, into=kept, actor=A_COMMITTEE)
    assert [e.type for e in store.read_stream(kept)] == ["ProposalReceived", "ProposalFiled", "ItemMergedIn"]
    assert heard == [[f"{merged} ProposalMerged", f"{kept} ItemMergedIn"]]
    assert one.get(kept) == two.get(kept) == cohandle.replay(store.read_stream(kept))
    third = one.receive(data("23"), actor=A_COMMITTEE).id
    two.file(third, actor=A_COMMITTEE)
    with pytest.raises(ConcurrencyConflict):  # the expected version is the merged item's own
        one.merge(third, into=kept, actor=A_COMMITTEE, expected_version=1)
    assert store.stream_version(kept) == 3


def test_a_merge_on_a_day_before_the_other_items_latest_event_is_refused() -> None:
    wf = workflow()
    kept, merged = receive(wf), receive(wf)
    wf.clock.advance(days=3)  # type: ignore[attr-defined]
    wf.file(kept, actor=A_COMMITTEE)
    with pytest.raises(InvalidInput, match="before the proposal's latest event"):
        wf.merge(merged, into=kept, actor=A_COMMITTEE, occurred_at=START.add(days=1))
    assert wf.get(merged).version == wf.get(kept).version - 1 == 1


def test_a_letters_date_is_when_its_command_happened_unless_occurred_at_is_given() -> None:
    """An opinion, a reply and a feedback entered after the day they are dated were recorded on
    the day they were entered."""
    wf = workflow()
    clock = wf.clock
    assert isinstance(clock, cohandle.FixedClock)
    pid = wf.receive(data(), actor=A_COMMITTEE, occurred_at="2025-02-03").id
    wf.assign(pid, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE, occurred_at="2025-02-10")
    clock.set(pendulum.datetime(2025, 3, 20, 15, tz="Asia/Shanghai"))
    # None, as a host passes on what its request left out, is no occurred_at
    wf.submit_opinion(pid, opinion=opinion(CO1, date="2025-03-04"), actor=A_CO1, occurred_at=None)
    assert wf.history(pid)[-1].occurred_at == pendulum.datetime(2025, 3, 4, tz="Asia/Shanghai")
    wf.submit_opinion(pid, opinion=opinion(CO2, date="2025-03-20"), actor=A_CO2)
    assert wf.history(pid)[-1].occurred_at == clock.now()  # on its own day: now
    wf.consolidate(pid, actor=A_LEAD)
    before = wf.history(pid)
    with pytest.raises(InvalidInput) as later:
        wf.answer(pid, reply=reply(date="2025-03-21"), actor=A_LEAD)
    assert str(later.value) == (
        "Reply.date is 2025-03-21, after today (2025-03-20, by the workflow's clock): without "
        "occurred_at, the letter's date is when answer happened."
    )
    with pytest.raises(InvalidInput) as earlier:
        wf.answer(pid, reply=reply(date="2025-03-19"), actor=A_LEAD)
    assert str(earlier.value) == (
        "Reply.date is 2025-03-19, before the proposal's latest event (2025-03-20): without "
        "occurred_at, the letter's date is when answer happened, and events are recorded in the "
        "order they happened."
    )
    assert wf.history(pid) == before
    wf.answer(pid, reply=reply(date="2025-03-19"), actor=A_LEAD, occurred_at=clock.now())  # given: taken
    assert wf.history(pid)[-1].occurred_at == clock.now()
    clock.advance(days=10)
    p = wf.record_feedback(
        pid,
        feedback=cohandle.Feedback(satisfaction=cohandle.Satisfaction.SATISFIED, date="2025-03-25"),
        actor=A_PROPOSER,
    )
    assert p.last_occurred_at == pendulum.datetime(2025, 3, 25, tz="Asia/Shanghai")
    p = wf.record_feedback(
        pid, feedback=cohandle.Feedback(satisfaction=cohandle.Satisfaction.SATISFIED), actor=A_PROPOSER
    )
    assert p.last_occurred_at == clock.now()  # no date: now


def test_a_reply_dated_before_its_deadline_and_entered_after_it_was_on_time() -> None:
    """Counted by the day it was entered, such a reply was late, and the 按时办复率 said so."""
    wf = workflow(policy=cohandle.deadlines.preset("generic"))
    clock = wf.clock
    assert isinstance(clock, cohandle.FixedClock)
    pid = wf.receive(data(), actor=A_COMMITTEE, occurred_at="2025-01-06").id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE, occurred_at="2025-01-10")
    (due,) = [t.deadline.due for t in wf.get(pid).deadlines if t.deadline.kind is cohandle.DeadlineKind.REPLY]
    sent = due.in_timezone("Asia/Shanghai").date().subtract(days=3)
    clock.set(due.add(days=20))
    p = wf.answer(pid, reply=reply(date=sent), actor=A_LEAD)
    assert p.last_occurred_at.in_timezone("Asia/Shanghai").date() == sent
    assert cohandle.statistics(wf.proposals(), clock.now()).on_time_rate == 1.0


def test_a_state_as_of_a_day_holds_nothing_dated_that_day() -> None:
    """A reply dated 1 April and entered later is recorded at the start of that day; a report
    as of 2025-04-01, the quarter's end, counted it as sent in March."""
    wf = workflow()
    clock = wf.clock
    assert isinstance(clock, cohandle.FixedClock)
    clock.set(pendulum.datetime(2025, 4, 10, 9, tz="Asia/Shanghai"))
    pid = wf.receive(data(), actor=A_COMMITTEE, occurred_at="2025-03-03").id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE, occurred_at="2025-03-05")
    wf.answer(pid, reply=reply(date="2025-04-01"), actor=A_LEAD)
    for day in ("2025-04-01", dt.date(2025, 4, 1), pendulum.date(2025, 4, 1)):
        assert wf.state_as_of(pid, day).status is Status.ASSIGNED
        assert [p.status for p in wf.proposals(as_of=day)] == [Status.ASSIGNED]
    assert wf.state_as_of(pid, "2025-04-02").status is Status.ANSWERED
    # a time is read as that instant: what occurred by then, its own instant included
    assert wf.state_as_of(pid, "2025-04-01T00:00:00+08:00").status is Status.ANSWERED
    assert cohandle.statistics(wf.proposals(as_of="2025-04-01"), clock.now()).replied == 0
    with pytest.raises(InvalidInput) as early:
        wf.state_as_of(pid, "2025-03-03")
    assert str(early.value) == (
        f"moment is 2025-03-03, the start of that day, before proposal {pid!r} was received "
        "(2025-03-03T00:00:00+08:00)."
    )


def test_business_time_may_be_in_the_past_but_not_the_future_nor_out_of_order() -> None:
    wf = workflow()
    p = wf.receive(data("10"), actor=A_COMMITTEE, occurred_at="2025-01-16")
    assert p.received_at == pendulum.datetime(2025, 1, 16, tz="Asia/Shanghai")
    history = wf.history(p.id)
    assert history[0].recorded_at == START
    with pytest.raises(InvalidInput, match="later than now"):
        wf.file(p.id, actor=A_COMMITTEE, occurred_at="2025-03-02")
    with pytest.raises(InvalidInput, match="before the proposal's latest event"):
        wf.file(p.id, actor=A_COMMITTEE, occurred_at=dt.date(2025, 1, 15))
    with pytest.raises(InvalidInput) as naive:
        wf.file(p.id, actor=A_COMMITTEE, occurred_at=dt.datetime(2025, 2, 1, 9, 0))
    assert str(naive.value) == (
        "occurred_at must carry a time zone, as 2025-02-01T09:00:00+08:00 would for Beijing time (got "
        "the naive 2025-02-01T09:00:00); a date alone is read as that day in Shanghai."
    )
    with pytest.raises(InvalidInput, match="ISO"):
        wf.file(p.id, actor=A_COMMITTEE, occurred_at="early February")
    with pytest.raises(InvalidInput, match="date or a timezone-aware datetime"):
        wf.file(p.id, actor=A_COMMITTEE, occurred_at=20250201)
    filed = wf.file(
        p.id, actor=A_COMMITTEE, occurred_at=pendulum.datetime(2025, 1, 16, 15, tz="Asia/Shanghai")
    )
    assert filed.last_occurred_at == pendulum.datetime(2025, 1, 16, 7, tz="UTC")
    assert wf.history(p.id)[-1].occurred_at.timezone_name == "UTC"


def test_a_clock_behind_the_proposals_latest_day_is_refused_and_records_nothing() -> None:
    """Two servers on one log, the second's clock a day behind: its commands would be recorded
    before the events the first recorded. An earlier time on the same day is taken, as a given
    ``occurred_at`` is."""
    store = MemoryStore()
    ahead = cohandle.Workflow(store, clock=cohandle.FixedClock(START.add(days=1)))
    behind = cohandle.Workflow(store, clock=cohandle.FixedClock(START))
    pid = ahead.receive(data("30"), actor=A_COMMITTEE).id
    ahead.file(pid, actor=A_COMMITTEE)
    ahead.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    version = store.stream_version(pid)
    with pytest.raises(cohandle.ClockBehind) as refused:
        behind.remind(pid, to=LEAD, actor=A_COMMITTEE)
    error = refused.value
    assert isinstance(error, cohandle.CommandRefused)
    assert (error.proposal_id, error.command, error.state) == (pid, "remind", "assigned")
    assert (error.today, error.latest) == (dt.date(2025, 3, 1), dt.date(2025, 3, 2))
    assert str(error) == (
        f"Cannot send a reminder on proposal {pid!r} (remind; it is assigned): the clock says today is 2025-03-01 "
        "(Beijing time), before the day of the proposal's latest event (2025-03-02). Events are "
        "recorded in the order they happened, and this clock is behind the one that recorded that "
        "event: check both (the other may be ahead), set the wrong one right, and try again."
    )
    assert store.stream_version(pid) == version
    behind.clock.set(START.add(days=1, hours=-1))  # type: ignore[attr-defined]
    assert behind.remind(pid, to=LEAD, actor=A_COMMITTEE).version == version + 1  # the same day
    assert [e.occurred_at for e in store.read_stream(pid)][-1] < ahead.history(pid)[-2].occurred_at


def test_a_merge_timed_by_a_clock_behind_the_item_merged_into_is_refused() -> None:
    store = MemoryStore()
    ahead = cohandle.Workflow(store, clock=cohandle.FixedClock(START.add(days=2)))
    behind = cohandle.Workflow(store, clock=cohandle.FixedClock(START))
    merged = behind.receive(data("31"), actor=A_COMMITTEE).id
    kept = ahead.receive(data("32"), actor=A_COMMITTEE).id
    with pytest.raises(cohandle.ClockBehind, match="2025-03-03") as refused:
        behind.merge(merged, into=kept, actor=A_COMMITTEE)
    assert (refused.value.proposal_id, refused.value.command) == (kept, "merge")
    assert store.stream_version(merged) == store.stream_version(kept) == 1
    ahead.merge(merged, into=kept, actor=A_COMMITTEE)
    assert behind.get(merged).status is Status.MERGED


def test_a_workflow_moved_to_another_store_reads_its_proposals_there() -> None:
    """The same proposal id in two logs with different histories: after ``wf.store = other``,
    a command is decided on the other log's state and chained to its hash, not to the state
    the workflow kept from the first."""
    first, second = MemoryStore(), MemoryStore()
    wf = cohandle.Workflow(first, clock=cohandle.FixedClock(START))
    elsewhere = cohandle.Workflow(second, clock=cohandle.FixedClock(START.add(hours=1)))
    pid = wf.receive(data("40"), actor=A_COMMITTEE).id
    wf.file(pid, actor=A_COMMITTEE)
    elsewhere.receive(data("40"), actor=A_COMMITTEE)
    elsewhere.file(pid, actor=A_COMMITTEE)
    assert wf.get(pid).last_hash != elsewhere.get(pid).last_hash  # same id and version, other events
    wf.store = second
    assigned = wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    assert assigned.received_at == START.add(hours=1)
    assert cohandle.replay(second.read_stream(pid)) == assigned == elsewhere.get(pid)
    report = elsewhere.verify()
    assert report.ok, str(report)
    assert first.stream_version(pid) == 2


def restored_under(server: cohandle.Workflow, path: Path, pid: str) -> cohandle.Proposal:
    """The log at ``path`` restored to the proposal's first event under a running ``server``,
    and the proposal filed again by another: back at version 2, with another event. The
    proposal as the log now holds it."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DELETE FROM events WHERE stream_id = ? AND version > 1", (pid,))
    head = db.execute("SELECT hash FROM events WHERE stream_id = ? AND version = 1", (pid,)).fetchone()[0]
    db.execute("UPDATE streams SET version = 1, head_hash = ? WHERE stream_id = ?", (head, pid))
    db.close()
    with cohandle.Workflow.open(path, clock=cohandle.FixedClock(START.add(hours=2))) as other:
        return other.file(pid, actor=A_COMMITTEE)


def test_a_command_decided_on_a_state_the_log_no_longer_holds_is_decided_again(tmp_path: Path) -> None:
    """The server's kept state has the stored version but not its latest event: the store
    refuses events chained to it, and the command is decided again on the log."""
    path = tmp_path / "log.db"
    server = cohandle.Workflow.open(path, clock=cohandle.FixedClock(START))
    pid = server.receive(data("50"), actor=A_COMMITTEE).id
    server.file(pid, actor=A_COMMITTEE)  # kept in the server's memory as version 2
    filed = restored_under(server, path, pid)
    assert server.store.stream_version(pid) == 2
    assigned = server.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    assert assigned.version == 3
    history = server.history(pid)
    assert history[2].prev_hash == history[1].hash == filed.last_hash
    assert history[1].occurred_at == START.add(hours=2)
    report = server.verify()
    assert report.ok, str(report)
    server.store.close()


def test_a_kept_state_the_log_no_longer_holds_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    server = cohandle.Workflow.open(path, clock=cohandle.FixedClock(START))
    pid = server.receive(data("51"), actor=A_COMMITTEE).id
    kept = server.file(pid, actor=A_COMMITTEE)
    assert server.get(pid) is kept
    filed = restored_under(server, path, pid)
    assert filed.version == kept.version and filed.last_hash != kept.last_hash
    assert server.get(pid) == filed
    server.store.close()


def test_subscribers_hear_each_command_after_it_is_stored() -> None:
    wf = workflow()
    heard: list[RecordedEvent] = []
    stop = wf.subscribe(heard.extend)
    pid = receive(wf)
    wf.file(pid, actor=A_COMMITTEE)
    assert [e.type for e in heard] == ["ProposalReceived", "ProposalFiled"]
    assert heard == list(wf.history(pid))
    stop()
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    assert len(heard) == 2
    stop()  # a second call does nothing


def test_unsubscribing_takes_back_only_its_own_subscription() -> None:
    wf = workflow()
    heard: list[RecordedEvent] = []
    first = wf.subscribe(heard.extend)
    wf.subscribe(heard.extend)  # the same function, subscribed twice
    first()
    first()
    receive(wf)
    assert len(heard) == 1


def test_a_subscriber_that_runs_a_command_leaves_every_subscriber_hearing_events_in_order() -> None:
    # One subscriber reminds the lead as soon as a proposal is assigned; another keeps a read
    # model. The reminder is stored as version 4 while version 3 is still being delivered: the
    # read model must still hear 3 before 4, and the reminder's own subscriber hears it too.
    wf = workflow()
    reacting_heard: list[tuple[int, str]] = []
    model_heard: list[tuple[int, str]] = []
    returned: list[int] = []

    def reacting(events: Sequence[RecordedEvent]) -> None:
        for e in events:
            reacting_heard.append((e.version, e.type))
            if e.type in ("ProposalAssigned", "ReminderIssued") and e.version < 5:
                returned.append(wf.remind(e.stream_id, to=LEAD, actor=A_COMMITTEE).version)

    wf.subscribe(reacting)
    wf.subscribe(lambda events: model_heard.extend((e.version, e.type) for e in events))
    pid = receive(wf)
    wf.file(pid, actor=A_COMMITTEE)
    state = wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    expected = [
        (1, "ProposalReceived"),
        (2, "ProposalFiled"),
        (3, "ProposalAssigned"),
        (4, "ReminderIssued"),
        (5, "ReminderIssued"),
    ]
    assert model_heard == expected
    assert reacting_heard == expected
    assert returned == [4, 5]
    assert state.version == 3
    assert wf.get(pid).version == 5
    assert [(e.version, e.type) for e in wf.history(pid)] == expected


def test_what_one_subscriber_does_with_the_events_does_not_change_what_the_next_hears(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wf = workflow()
    heard: list[str] = []

    def draining(events: Any) -> None:  # a subscriber that empties what it is given
        events.clear()

    wf.subscribe(draining)  # before, it cleared the list the next subscriber was then given
    wf.subscribe(lambda events: heard.extend(e.type for e in events))
    with caplog.at_level(logging.ERROR, logger="cohandle"):
        receive(wf)
    assert heard == ["ProposalReceived"]
    assert "'tuple' object has no attribute 'clear'" in caplog.text  # it is given a tuple


def test_a_subscriber_hears_a_command_on_the_thread_that_ran_it() -> None:
    wf = workflow()
    threads: list[tuple[int, int]] = []
    wf.subscribe(lambda events: threads.append((events[0].version, threading.get_ident())))

    def commands(pid: str) -> None:
        wf.file(pid, actor=A_COMMITTEE)

    pid = receive(wf)
    worker = threading.Thread(target=commands, args=(pid,))
    worker.start()
    worker.join()
    assert threads == [(1, threading.get_ident()), (2, worker.ident)]


def test_a_subscriber_must_be_callable() -> None:
    with pytest.raises(cohandle.InvalidInput, match="subscriber must be a function"):
        workflow().subscribe(3)  # type: ignore[arg-type]


def test_a_failing_subscriber_is_logged_and_the_command_stands(caplog: pytest.LogCaptureFixture) -> None:
    wf = workflow()

    def broken(events: object) -> None:
        raise RuntimeError("read model is down")

    wf.subscribe(broken)
    with caplog.at_level(logging.ERROR, logger="cohandle"):
        pid = receive(wf)
    assert wf.get(pid).version == 1
    assert "the events stand" in caplog.text


def test_state_at_an_earlier_version() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.CLOSED)
    assert wf.state_at(pid, 3).status is Status.ASSIGNED
    for beyond in (99, 0, -1):  # 0 found no event, and was taken for a proposal not in the log
        with pytest.raises(InvalidInput, match=r"^version must be from 1 to 9 \(got"):
            wf.state_at(pid, beyond)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_proposals_and_a_state_as_they_stood_at_a_moment(kind: str, tmp_path: Any) -> None:
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "as-of.db")
    clock = cohandle.FixedClock(START)
    wf = cohandle.Workflow(store=store, clock=clock)
    early = receive(wf)
    wf.assign(early, lead=LEAD, actor=A_COMMITTEE)
    clock.advance(days=10)
    wf.answer(early, reply=reply(date=today(wf)), actor=A_LEAD)
    late = receive(wf)  # received on the tenth day, with the reply
    day = START.add(days=5)  # after the assignment, before the reply and the second item
    then = {p.id: p for p in wf.proposals(as_of=day)}
    assert list(then) == [early]
    assert then[early].status is Status.ASSIGNED and then[early].version == 2
    assert wf.state_as_of(early, day) == then[early] == wf.state_at(early, 2)
    assert wf.state_as_of(early, "2099-01-01") == wf.get(early)
    assert [p.id for p in wf.proposals(as_of=START.add(days=10))] == [early, late]
    # entered now but dated the second day: it had happened by the fifth, and counts
    dated = wf.receive(data(), actor=A_COMMITTEE, occurred_at=START.add(days=2)).id
    assert [p.id for p in wf.proposals(as_of=day)] == [early, dated]
    # a date is the start of that day in Shanghai; a moment before a proposal was received
    # is refused, and a moment that cannot be read is named
    with pytest.raises(InvalidInput, match=rf"^moment is .*, before proposal '{late}' was received"):
        wf.state_as_of(late, day.to_date_string())
    with pytest.raises(InvalidInput, match=r"^as_of "):
        wf.proposals(as_of="soon")  # refused by the call, before the first proposal is asked for
    with pytest.raises(cohandle.ProposalNotFound):
        wf.state_as_of("nope", day)
    store.close()


def test_the_cache_is_bounded_and_optional() -> None:
    wf = workflow(cache_size=2)
    ids = [receive(wf) for _ in range(5)]
    assert len(wf._cache) == 2
    assert [p.id for p in wf.proposals()] == ids
    uncached = workflow(cache_size=0)
    pid = receive(uncached)
    assert uncached.file(pid, actor=A_COMMITTEE).version == 2
    assert uncached._cache == {}
    with pytest.raises(InvalidInput, match="cache_size"):
        workflow(cache_size=-1)


def test_category_scheme_must_be_a_scheme() -> None:
    with pytest.raises(InvalidInput, match="category_scheme"):
        workflow(category_scheme="ABC")


def test_history_of_an_unknown_proposal() -> None:
    with pytest.raises(cohandle.ProposalNotFound):
        workflow().history("none")
    with pytest.raises(InvalidInput, match="proposal_id"):
        workflow().get(42)  # type: ignore[arg-type]


def test_a_proposal_given_where_its_id_belongs_is_told_to_give_its_id() -> None:
    # the message repeated the whole state, a thousand characters, and said only "must be text"
    wf = workflow()
    p = wf.receive(data(), actor=A_COMMITTEE)
    other = wf.receive(data(), actor=A_COMMITTEE)
    said = f"must be a proposal's id, text such as {p.id!r}: give proposal.id."
    for call in (
        lambda: wf.get(p),  # type: ignore[arg-type]
        lambda: wf.history(p),  # type: ignore[arg-type]
        lambda: wf.file(p, actor=A_COMMITTEE),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidInput) as raised:
            call()
        assert str(raised.value) == f"proposal_id {said}"
    with pytest.raises(InvalidInput) as into:
        wf.merge(other.id, into=p, actor=A_COMMITTEE)  # type: ignore[arg-type]
    assert str(into.value) == f"into {said}"
    # any other value is named with its type, cut short when it is long
    with pytest.raises(InvalidInput) as unit:
        wf.get(LEAD)  # type: ignore[arg-type]
    assert str(unit.value) == "proposal_id must be text (got Unit(name='省科技厅', code=None), a Unit)."
    with pytest.raises(InvalidInput) as long:
        wf.get(["x" * 500])  # type: ignore[arg-type]
    assert len(str(long.value)) < 200 and "…, a list)" in str(long.value)


def test_lead_and_co_handler_are_looked_up_by_unit_name() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    same = cohandle.Unit(name="湖北省知识产权局", code="11420000MB1234567X")
    assert same == CO1
    assert wf.get(pid).co_handler(same) is not None
    assert A_LEAD.unit == LEAD


def test_a_retry_racing_its_original_is_recorded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two servers send the same command at once: both look the command id up before either
    has stored it; the second's append is refused as stale, and on its second attempt it finds
    the original and returns its outcome instead of recording the command twice."""
    store, one, two = two_workflows()
    pid = one.receive(data("11"), actor=A_COMMITTEE).id
    one.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    two.get(pid)  # both have version 2 cached
    real = store.find_command
    lookups = {"count": 0}

    def not_yet_stored(command_id: str) -> list[RecordedEvent]:
        lookups["count"] += 1
        return [] if lookups["count"] <= 2 else real(command_id)

    monkeypatch.setattr(store, "find_command", not_yet_stored)
    first = one.remind(pid, to=LEAD, actor=A_COMMITTEE, command_id="remind-11")
    again = two.remind(pid, to=LEAD, actor=A_COMMITTEE, command_id="remind-11")
    assert again == first
    assert [e.type for e in store.read_stream(pid)].count("ReminderIssued") == 1
    assert lookups["count"] == 3


def test_one_workflow_shared_by_threads_loses_nothing_and_raises_nothing_else() -> None:
    """Threads of a server share one workflow with a small cache: evictions race, commands on
    one proposal race; the only error a command may meet is the typed conflict."""
    wf = workflow(cache_size=1)
    shared = bring_to(wf, Status.ASSIGNED)
    errors: list[BaseException] = []
    conflicts: list[int] = []  # list.append is atomic; += on a shared int is not

    def work(thread: int) -> None:
        try:
            for n in range(100):
                pid = receive(wf, f"{thread}-{n}")
                wf.assign(pid, lead=LEAD, co_handlers=[CO1], actor=A_COMMITTEE)
                assert wf.get(pid).version == 2
                try:
                    wf.remind(shared, to=LEAD, actor=A_COMMITTEE)
                except ConcurrencyConflict:
                    conflicts.append(thread)
        except BaseException as exc:
            errors.append(exc)

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switching)
    assert errors == [], f"a thread failed: {errors[0]!r}"
    assert len(list(wf.store.stream_ids())) == 1 + 8 * 100
    assert wf.get(shared).reminders == 8 * 100 - len(conflicts)
    assert wf.verify().ok


def test_the_system_clock_reads_the_machines_utc_time_to_the_microsecond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cohandle import _instant

    clock = cohandle.SystemClock()
    for _ in range(3):  # the second's calendar is kept: reads within and across seconds agree
        before = dt.datetime.now(dt.UTC)
        now = clock.now()
        assert before <= now <= dt.datetime.now(dt.UTC)
        assert isinstance(now, pendulum.DateTime) and now.tzinfo is pendulum.UTC
    # a second of its own, then the next one, then a leap second as some systems report it
    for ns, expected in (
        (1_740_787_199_999_999_000, dt.datetime(2025, 2, 28, 23, 59, 59, 999_999, tzinfo=dt.UTC)),
        (1_740_787_200_000_001_999, dt.datetime(2025, 3, 1, 0, 0, 0, 1, tzinfo=dt.UTC)),
        (1_740_787_200_500_000_000, dt.datetime(2025, 3, 1, 0, 0, 0, 500_000, tzinfo=dt.UTC)),
    ):
        monkeypatch.setattr(_instant, "_time_ns", lambda ns=ns: ns)
        assert clock.now() == expected
    leap = time.struct_time((2016, 12, 31, 23, 59, 60, 5, 366, 0))
    monkeypatch.setattr(_instant, "_gmtime", lambda seconds: leap)
    monkeypatch.setattr(_instant, "_time_ns", lambda: 1_483_228_800_250_000_000)
    assert clock.now() == dt.datetime(2016, 12, 31, 23, 59, 59, 250_000, tzinfo=dt.UTC)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=253_402_300_799_999_999_999))  # to the end of 9999
def test_the_system_clock_gives_the_exact_instant_of_any_reading(ns: int) -> None:
    from cohandle import _instant

    original = _instant._time_ns
    _instant._time_ns = lambda: ns
    try:
        now = cohandle.SystemClock().now()
    finally:
        _instant._time_ns = original
    assert now == dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ns // 1000)
    assert isinstance(now, pendulum.DateTime) and now.tzinfo is pendulum.UTC and now.fold == 0
