"""Real processes on one log, a SQLite file or a PostgreSQL schema: concurrent writers and a
follower, and writers killed mid-command.

The writers are forked processes, each with its own connection, appending for a fixed time to
one shared proposal and to proposals of their own. Afterwards: nothing lost, nothing
duplicated, no command partly stored, every refusal the typed conflict, a reader that
followed the global positions during the run holds exactly the final table, and ``verify()``,
run over and over during the run, never reports the growing log damaged.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest

import cohandle
from cohandle.deadlines import preset
from cohandle.stores import verify

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="forks processes")

COMMITTEE = cohandle.Unit(name="省政协提案委员会")
LEAD = cohandle.Unit(name="省科技厅")
ACTOR = cohandle.Actor(name="王芳", unit=COMMITTEE)
SESSION = cohandle.Session(
    body=cohandle.Body.CPPCC, level=cohandle.Level.PROVINCE, region="湖北省", term=13, meeting=1
)
KILLS = int(os.environ.get("COHANDLE_CRASH_KILLS", "50"))


def data(number: str) -> cohandle.ProposalData:
    return cohandle.ProposalData(
        number=number, title="并发测试", session=SESSION, proposers=[cohandle.Proposer(name="李明")]
    )


def fork(task: Callable[[], int]) -> int:
    pid = os.fork()
    if pid == 0:  # the child: run, then leave without pytest's cleanup
        code = 1
        try:
            code = task()
        finally:
            os._exit(code)
    return pid


def wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


BUSINESS_DAY = pendulum.datetime(2025, 6, 2, 9, tz="Asia/Shanghai")  # deadlines stay within known years


def open_workflow(target: str, schema: str | None) -> cohandle.Workflow:
    options: dict[str, object] = {"policy": preset("generic"), "clock": cohandle.FixedClock(BUSINESS_DAY)}
    if schema is not None:
        options["schema"] = schema
    return cohandle.Workflow.open(target, **options)


def writer(
    target: str, schema: str | None, name: str, shared: str, seconds: float, out: Path
) -> Callable[[], int]:
    def run() -> int:
        wf = open_workflow(target, schema)
        done, conflicts, unexpected = [], 0, []
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            n += 1
            command = f"{name}-{n}"
            try:
                if n % 3:
                    wf.remind(shared, to=LEAD, actor=ACTOR, command_id=command)
                else:
                    pid = wf.receive(data(command), actor=ACTOR, command_id=f"{command}-r").id
                    done.append(f"{command}-r")
                    if n % 6:
                        wf.assign(pid, lead=LEAD, actor=ACTOR, command_id=command)
                    else:  # one event on each of two streams, the shared one among them
                        wf.merge(pid, into=shared, actor=ACTOR, command_id=command)
                done.append(command)
            except cohandle.ConcurrencyConflict:
                conflicts += 1
            except Exception as exc:  # reported to the parent, which fails the test
                unexpected.append(repr(exc))
        out.write_text(json.dumps({"done": done, "conflicts": conflicts, "unexpected": unexpected}))
        wf.store.close()
        return 0

    return run


def follower(target: str, schema: str | None, stop: Path, out: Path) -> Callable[[], int]:
    def run() -> int:
        wf = open_workflow(target, schema)
        seen: list[list[object]] = []
        position = 0
        while True:
            stopping = stop.exists()
            for item in wf.store.read_all(after=position):
                seen.append([item.position, item.event.stream_id, item.event.version])
                position = item.position
            if stopping:
                break
            time.sleep(0.01)
        out.write_text(json.dumps(seen))
        wf.store.close()
        return 0

    return run


def verifier(target: str, schema: str | None, stop: Path, out: Path) -> Callable[[], int]:
    """Verify the log again and again while the writers write; every report that is not ok."""

    def run() -> int:
        wf = open_workflow(target, schema)
        runs, alarms = 0, []
        while not stop.exists():
            report = wf.verify()
            runs += 1
            if not report.ok:
                alarms.append(str(report))
        out.write_text(json.dumps({"runs": runs, "alarms": alarms}))
        wf.store.close()
        return 0

    return run


def run_writers(
    target: str, schema: str | None, tmp_path: Path, writers: int = 4, seconds: float = 2.0
) -> None:
    with open_workflow(target, schema) as wf:
        shared = wf.receive(data("shared"), actor=ACTOR).id
        wf.assign(shared, lead=LEAD, actor=ACTOR)
    stop = tmp_path / "stop"
    reader = fork(follower(target, schema, stop, tmp_path / "reader.json"))
    checker = fork(verifier(target, schema, stop, tmp_path / "verifier.json"))
    children = [
        fork(writer(target, schema, f"w{i}", shared, seconds, tmp_path / f"w{i}.json"))
        for i in range(writers)
    ]
    codes = [wait(pid) for pid in children]
    stop.touch()
    assert wait(reader) == 0
    assert wait(checker) == 0
    assert codes == [0] * writers

    results = [json.loads((tmp_path / f"w{i}.json").read_text()) for i in range(writers)]
    assert [r["unexpected"] for r in results] == [[]] * writers
    done = [command for r in results for command in r["done"]]
    with open_workflow(target, schema) as wf:
        read = list(wf.store.read_all())
        report = verify(wf.store)
        shared_state = wf.get(shared)
    table = [[p.position, p.event.stream_id, p.event.version] for p in read]
    by_command = Counter(p.event.command_id for p in read if p.event.command_id)
    assert report.ok, str(report)
    assert [row[0] for row in table] == list(range(1, len(table) + 1))
    # nothing lost, nothing duplicated, no command partly stored
    assert set(done) == set(by_command), "a command reported as done is not in the log, or the reverse"
    for command, count in by_command.items():
        # remind: 1 event; assign: assignment + deadlines; merge: one on each proposal
        expected = 1 if command.endswith("-r") else 2
        if not command.endswith("-r") and int(command.split("-")[1]) % 3:
            expected = 1
        assert count == expected, (command, count)
    assert shared_state.reminders == sum(1 for c in done if not c.endswith("-r") and int(c.split("-")[1]) % 3)
    merges = [c for c in done if not c.endswith("-r") and int(c.split("-")[1]) % 6 == 0]
    assert [m.item for m in shared_state.merged] == [
        p.event.stream_id for p in read if p.event.type == "ProposalMerged"
    ]
    assert len(shared_state.merged) == len(merges) > 0, "no merge was recorded: the test proved little"
    assert json.loads((tmp_path / "reader.json").read_text()) == table
    assert len(done) > writers * 5, "the writers hardly wrote: the test proved little"
    verified = json.loads((tmp_path / "verifier.json").read_text())
    assert verified["alarms"] == [], "verify() reported a log damaged while it grew"
    assert verified["runs"] > 1, "verify() hardly ran during the writes: the test proved little"


def test_concurrent_writers_on_one_sqlite_file(tmp_path: Path) -> None:
    run_writers(str(tmp_path / "shared.db"), None, tmp_path)


def test_concurrent_writers_on_postgres(postgres_url: str, postgres_schema: str, tmp_path: Path) -> None:
    run_writers(postgres_url, postgres_schema, tmp_path)


def crasher(target: str, schema: str | None, ready: Path) -> Callable[[], int]:
    def run() -> int:
        wf = open_workflow(target, schema)
        ready.touch()
        n = 0
        while True:
            n += 1
            tag = f"{os.getpid()}-{n}"
            pid = wf.receive(data(tag), actor=ACTOR, command_id=f"r-{tag}").id
            other = wf.receive(data(f"{tag}-m"), actor=ACTOR, command_id=f"r-{tag}-m").id
            wf.merge(other, into=pid, actor=ACTOR, command_id=f"m-{tag}")  # one event on each
            wf.assign(
                pid,
                lead=LEAD,
                co_handlers=[cohandle.Unit(name="省教育厅")],
                actor=ACTOR,
                command_id=f"a-{tag}",
            )

    return run


def kill_writers_again_and_again(
    target: str, schema: str | None, tmp_path: Path, stored: Callable[[], list[str]]
) -> None:
    """Start a writer, kill it with SIGKILL at a random moment, check the log; KILLS times.
    ``stored`` gives the command id of every stored event, after checking what the database
    itself can check."""
    rnd = random.Random(2026)
    counts: Counter[str] = Counter()
    for kill in range(KILLS):
        ready = tmp_path / f"ready{kill}"
        child = fork(crasher(target, schema, ready))
        while not ready.exists():
            time.sleep(0.001)
        time.sleep(rnd.uniform(0.0, 0.05))
        os.kill(child, signal.SIGKILL)
        assert wait(child) == -signal.SIGKILL
        counts = Counter(stored())
        partial = {c: n for c, n in counts.items() if n != (1 if c.startswith("r-") else 2)}
        assert partial == {}, f"after kill {kill + 1}: commands partly stored: {partial}"
        with open_workflow(target, schema) as wf:
            report = verify(wf.store)
        assert report.ok, f"after kill {kill + 1}: {report}"
    assert sum(counts.values()) > KILLS, "the writers hardly wrote before being killed"


def test_killed_writers_leave_no_partial_command(tmp_path: Path) -> None:
    path = str(tmp_path / "crash.db")
    cohandle.stores.SQLiteStore(path).close()

    def stored() -> list[str]:
        db = sqlite3.connect(path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            return [row[0] for row in db.execute("SELECT command_id FROM events")]
        finally:
            db.close()

    kill_writers_again_and_again(path, None, tmp_path, stored)


def test_killed_writers_leave_no_partial_command_on_postgres(
    postgres_url: str, postgres_schema: str, tmp_path: Path
) -> None:
    """The server rolls back the transaction of a client that died in it: a merge, two streams'
    appends in one transaction, is stored whole or not at all."""
    import psycopg

    open_workflow(postgres_url, postgres_schema).store.close()

    def stored() -> list[str]:
        # a transaction the killed client left open is not seen here, and the server rolls it
        # back once it finds the socket closed
        with psycopg.connect(postgres_url, autocommit=True) as db:
            rows = db.execute(f"SELECT command_id FROM {postgres_schema}.cohandle_events").fetchall()
        return [row[0] for row in rows]

    kill_writers_again_and_again(postgres_url, postgres_schema, tmp_path, stored)
