"""A store opened before a fork serves the child processes too: each child opens its own
connection on the same log instead of talking on its parent's, and new locks."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import cohandle
from cohandle.stores import MemoryStore, PostgresStore, SQLiteStore, StorageError
from helpers import A_COMMITTEE, assign, receive, workflow

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="this platform has no fork()")

CHILDREN = 3
PROPOSALS = 15  # per process, each received, filed and assigned: 3 commands


def _handle(wf: cohandle.Workflow, tag: str) -> None:
    for i in range(PROPOSALS):
        pid = receive(wf, f"{tag}-{i}")
        wf.file(pid, actor=A_COMMITTEE)
        assign(wf, pid, cohandle.AssignmentMode.LEAD_WITH_CO_HANDLERS)


def _in_children(target: Callable[..., None], *args: object, count: int = CHILDREN) -> list[int]:
    """Run ``target(*args, n)`` in ``count`` forked children at once; their exit codes."""
    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=target, args=(*args, n)) for n in range(count)]
    for child in children:
        child.start()
    return [_ended(child) for child in children]


def _ended(child: multiprocessing.process.BaseProcess) -> int:
    child.join(60)
    if child.exitcode is None:  # hung: a child talking on its parent's connection can wait forever
        child.kill()
        child.join()
        return -1
    return child.exitcode


def _child_handles(wf: cohandle.Workflow, n: int) -> None:
    _handle(wf, f"child{n}")


@pytest.fixture(params=["sqlite", "postgres"])
def shared_workflow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[cohandle.Workflow]:
    if request.param == "sqlite":
        target = str(tmp_path / "log.db")
        with cohandle.Workflow.open(target, clock=workflow().clock) as wf:
            yield wf
        return
    url = request.getfixturevalue("postgres_url")
    schema = request.getfixturevalue("postgres_schema")
    with cohandle.Workflow.open(url, schema=schema, clock=workflow().clock) as wf:
        yield wf


def test_children_write_beside_their_parent_through_the_store_it_opened(
    shared_workflow: cohandle.Workflow,
) -> None:
    wf = shared_workflow
    first = receive(wf, "before-the-fork")  # the parent's connection is open and used
    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=_child_handles, args=(wf, n)) for n in range(CHILDREN)]
    for child in children:
        child.start()
    _handle(wf, "parent")  # at the same time, on the parent's own connection
    assert [_ended(child) for child in children] == [0] * CHILDREN

    streams = list(wf.store.stream_ids())
    assert len(streams) == 1 + (CHILDREN + 1) * PROPOSALS
    assert sum(len(wf.history(s)) for s in streams) == 1 + (CHILDREN + 1) * PROPOSALS * 3
    assert wf.get(first).version == 1
    positions = [p.position for p in wf.store.read_all()]
    assert positions == list(range(1, len(positions) + 1))
    assert wf.verify().ok
    if isinstance(wf.store, SQLiteStore):
        assert wf.store.integrity_check()


def _read_after_fork(store: MemoryStore | SQLiteStore | PostgresStore, n: int) -> None:
    assert store.read_stream("x") == []  # a read takes the store's lock in every store


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_a_lock_held_by_another_thread_at_the_fork_does_not_stop_the_child(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store: MemoryStore | SQLiteStore | PostgresStore
    if kind == "memory":
        store = MemoryStore()
    elif kind == "sqlite":
        store = SQLiteStore(tmp_path / "log.db")
    else:
        url = request.getfixturevalue("postgres_url")
        store = PostgresStore(url, schema=request.getfixturevalue("postgres_schema"))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store._lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        assert _in_children(_read_after_fork, store, count=1) == [0]
    finally:
        release.set()
        holder.join()
        store.close()


def _read_memory_database(store: SQLiteStore, n: int) -> None:
    try:
        store.stream_version("x")
    except StorageError as exc:
        raise SystemExit(0 if "belongs to the process that opened it" in str(exc) else 2) from None
    raise SystemExit(3)


def test_an_in_memory_sqlite_store_is_refused_in_a_child() -> None:
    store = SQLiteStore(":memory:")
    try:
        assert _in_children(_read_memory_database, store, count=1) == [0]
        assert store.stream_version("x") == 0  # the parent's is untouched
    finally:
        store.close()


def _child_moves_and_handles(wf: cohandle.Workflow, elsewhere: Path, n: int) -> None:
    os.chdir(elsewhere)  # as a daemon does once it has forked (python-daemon: to /)
    _handle(wf, f"child{n}")


def test_a_log_named_relative_to_the_working_folder_is_the_same_log_in_a_child_that_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served, elsewhere = tmp_path / "served", tmp_path / "elsewhere"
    served.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(served)
    with cohandle.Workflow.open("cohandle.db", clock=workflow().clock) as wf:
        receive(wf, "before-the-fork")
        assert _in_children(_child_moves_and_handles, wf, elsewhere, count=1) == [0]
        assert len(list(wf.store.stream_ids())) == 1 + PROPOSALS
        assert isinstance(wf.store, SQLiteStore)
        assert wf.store.path == str(served / "cohandle.db")
    assert list(elsewhere.iterdir()) == []  # no second log made where the child went


def _child_reads_and_cannot_record(wf: cohandle.Workflow, pid: str, n: int) -> None:
    assert wf.get(pid).version == 1  # its copy of the log reads
    with pytest.raises(StorageError, match=r"copied into process \d+ by a fork: .* so it records nothing"):
        wf.file(pid, actor=A_COMMITTEE)
    assert wf.get(pid).version == 1


def test_a_memory_store_copied_by_a_fork_is_read_and_records_nothing() -> None:
    """Before, a forked worker of a server on the default in-memory workflow recorded into its
    own copy, and its commands were lost to the server and to every other worker."""
    wf = workflow()
    pid = receive(wf, "before-the-fork")
    assert _in_children(_child_reads_and_cannot_record, wf, pid, count=1) == [0]
    assert wf.file(pid, actor=A_COMMITTEE).version == 2  # the parent's own store records on
