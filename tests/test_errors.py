"""Errors leave the process they were raised in as they were: pickled (a worker process's error
reaching its pool, a task queue's result) or copied, each comes back with its class, its
message and its fields."""

from __future__ import annotations

import concurrent.futures
import copy
import datetime as dt
import multiprocessing
import pickle
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import cohandle
from cohandle import Status, Unit
from cohandle.deadlines import Calendar, policy_from_toml
from cohandle.letters import opinion_from_letter, parse_letter
from cohandle.stores import MemoryStore, import_jsonl
from helpers import (
    A_COMMITTEE,
    A_LEAD,
    A_OUTSIDER,
    LEAD,
    START,
    bring_to,
    data,
    receive,
    workflow,
)


def raised(action: Callable[[], object]) -> cohandle.CohandleError:
    with pytest.raises(cohandle.CohandleError) as caught:
        action()
    return caught.value


def real_errors(tmp_path: Path) -> Iterator[cohandle.CohandleError]:
    """One error of each kind, each raised by cohandle as a caller meets it."""
    wf = workflow()
    closed = bring_to(wf, Status.CLOSED)
    assigned = bring_to(wf, Status.ASSIGNED)
    yield raised(lambda: Unit(name=""))  # InvalidInput
    yield raised(lambda: wf.get("cppcc-湖北省-13-1-none"))  # ProposalNotFound
    yield raised(lambda: wf.receive(data(wf.get(closed).number), actor=A_COMMITTEE))  # ProposalExists
    yield raised(lambda: wf.file(closed, actor=A_COMMITTEE))  # NotAllowedInState
    yield raised(lambda: wf.consolidate(assigned, actor=A_OUTSIDER))  # PermissionDenied
    yield raised(lambda: wf.consolidate(assigned, actor=A_LEAD))  # PreconditionFailed
    yield raised(
        lambda: wf.remind(assigned, to=LEAD, actor=A_COMMITTEE, expected_version=1)
    )  # ConcurrencyConflict
    wf.remind(assigned, to=LEAD, actor=A_COMMITTEE, command_id="request-1")
    yield raised(
        lambda: wf.file(receive(wf), actor=A_COMMITTEE, command_id="request-1")
    )  # IdempotencyConflict
    store = MemoryStore()
    ahead = cohandle.Workflow(store, clock=cohandle.FixedClock(START.add(days=1)))
    late = ahead.receive(data("900"), actor=A_COMMITTEE).id
    behind = cohandle.Workflow(store, clock=cohandle.FixedClock(START))
    yield raised(lambda: behind.file(late, actor=A_COMMITTEE))  # ClockBehind
    yield cohandle.ChainBroken("cppcc-湖北省-13-1-0001", 2, "its previous hash is not the hash of version 1")
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE cohandle_meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO cohandle_meta VALUES ('schema_version', '999')")
    db.close()
    yield raised(lambda: cohandle.Workflow.open(path))  # SchemaError
    yield raised(lambda: Calendar.china().add_working_days(dt.date(2099, 1, 5), 3))  # CalendarError
    yield raised(lambda: policy_from_toml("[deadlines]\nanswer = 'soon'\n"))  # PolicyError
    yield raised(lambda: cohandle.Workflow.open(tmp_path / "typo.db", create=False))  # StorageError
    (tmp_path / "bad.jsonl").write_text("{not json\n", encoding="utf-8")
    yield raised(lambda: import_jsonl(MemoryStore(), tmp_path / "bad.jsonl"))  # ImportRefused
    yield raised(lambda: parse_letter(b"\x00\xff" * 50))  # LetterError
    letter = parse_letter("关于省政协十三届一次会议第20230520号提案的会办意见\n省科技厅:\n")
    yield raised(lambda: opinion_from_letter(letter, wf.get(closed).data, LEAD))  # LetterMismatch


def test_every_kind_of_error_is_among_those_checked(tmp_path: Path) -> None:
    def kinds(cls: type[Exception]) -> set[type[Exception]]:
        found = {cls}
        for sub in cls.__subclasses__():
            found |= kinds(sub)
        return found

    checked = {type(error) for error in real_errors(tmp_path)}
    assert kinds(cohandle.CohandleError) - checked == {
        cohandle.CohandleError,
        cohandle.CommandRefused,
        cohandle.IntegrityError,
    }  # the three raised only as their subclasses


def fields(error: BaseException) -> dict[str, object]:
    return {key: value for key, value in vars(error).items() if not key.startswith("__")}


def test_an_error_pickled_or_copied_keeps_its_class_message_and_fields(tmp_path: Path) -> None:
    for error in real_errors(tmp_path):
        for again in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
            assert type(again) is type(error)
            assert str(again) == str(error)
            assert again.args == error.args
            assert fields(again) == fields(error)


def test_an_error_in_a_worker_process_reaches_the_pool_as_it_was_raised() -> None:
    spawn = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    with (
        concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool,
        pytest.raises(cohandle.InvalidInput) as caught,
    ):
        pool.submit(Unit, name="").result()
    assert (caught.value.field, caught.value.problem) == ("Unit.name", "must not be empty")
    assert str(caught.value) == "Unit.name must not be empty."
