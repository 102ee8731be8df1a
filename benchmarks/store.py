"""The stores, measured on the same rows beside their floors and the ``eventsourcing`` library.

Each proposal runs the full lifecycle of ``benchmarks/lifecycle.py`` (9 events). Measured:

- append, one command per transaction: cohandle's SQLite workflow (check, events, hash,
  append, commit) at ``synchronous=FULL`` and ``NORMAL``, beside raw ``sqlite3`` inserts of the
  same rows, one transaction each (the floor), and beside ``eventsourcing``'s SQLite
  persistence saving after each command, at the same ``synchronous`` setting;
- a batched import of the whole log (``import_jsonl``) beside raw ``executemany``;
- replay: read every event and rebuild every proposal, beside a raw floor (read rows, parse the
  JSON, fold into dicts) and ``eventsourcing``'s ``repository.get``;
- ``verify()``;
- PostgreSQL (when ``--postgres URL`` is given): cohandle's per-command append beside raw
  psycopg, one transaction per event.

Every measure runs once per round, ``--repeat`` rounds (3 by default), and the best of each is
kept. Usage: ``python benchmarks/store.py --size 300 [--postgres
postgresql://postgres@127.0.0.1/test]``. Prints a table, then one JSON line of figures and
ratios.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import orjson

sys.path.insert(0, str(Path(__file__).parent))

import lifecycle  # the same commands as the lifecycle benchmark

import cohandle
from cohandle._build import compiled_modules, describe
from cohandle.stores import MemoryStore, SQLiteStore, StoredRecord, export_jsonl, import_jsonl, verify

EVENTS = lifecycle.EVENTS_PER_LIFECYCLE
_SYNCHRONOUS_LEVEL = {"NORMAL": 1, "FULL": 2}  # what PRAGMA synchronous reads back


def steps(wf: cohandle.Workflow, n: int, prefix: str = "") -> Iterator[None]:
    """The lifecycles of ``n`` proposals through ``wf``, pausing after each command."""
    for i in range(n):
        data = cohandle.ProposalData(
            number=f"{prefix}{i}",
            title="关于促进基础研发的建议",
            session=lifecycle.SESSION,
            proposers=lifecycle.PROPOSERS,
        )
        pid = wf.receive(data, actor=lifecycle.A_COMMITTEE).id
        yield
        wf.assign(pid, lead=lifecycle.LEAD, co_handlers=lifecycle.CO, actor=lifecycle.A_COMMITTEE)
        yield
        for opinion, actor in zip(lifecycle.LETTERS.opinions(), lifecycle.A_CO, strict=True):
            wf.submit_opinion(pid, opinion=opinion, actor=actor)
            yield
        wf.consolidate(pid, actor=lifecycle.A_LEAD)
        yield
        wf.answer(pid, reply=lifecycle.LETTERS.reply(), actor=lifecycle.A_LEAD)
        yield
        wf.record_feedback(pid, feedback=lifecycle.FEEDBACK, actor=lifecycle.A_PROPOSER)
        yield
        wf.close(pid, actor=lifecycle.A_LEAD)
        yield


def run_lifecycles(wf: cohandle.Workflow, n: int, prefix: str = "") -> None:
    for _ in steps(wf, n, prefix):
        pass


def per_event_us(seconds: float, events: int) -> float:
    return seconds / events * 1e6


def cohandle_append(folder: Path, n: int, synchronous: str) -> tuple[float, Path]:
    path = folder / f"cohandle-{synchronous}.db"
    with cohandle.Workflow.open(path, synchronous=synchronous) as wf:
        start = time.perf_counter()
        run_lifecycles(wf, n)
        seconds = time.perf_counter() - start
    return seconds, path


def rows_of(path: Path) -> list[StoredRecord]:
    store = SQLiteStore(path)
    try:
        return list(store.records())
    finally:
        store.close()


RAW_INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def raw_table(path: Path, synchronous: str) -> sqlite3.Connection:
    """A new file with one plain events table, as the floor writes it."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute(
        "CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT, version INTEGER, type TEXT, schema INTEGER, "
        "payload TEXT, occurred_at TEXT, recorded_at TEXT, actor TEXT, command_id TEXT, prev_hash TEXT, hash TEXT, "
        "UNIQUE (stream_id, version))"
    )
    return db


def raw_append(folder: Path, rows: list[StoredRecord], synchronous: str) -> float:
    """The floor: the same rows, one INSERT per transaction, nothing else."""
    db = raw_table(folder / f"raw-{synchronous}.db", synchronous)
    start = time.perf_counter()
    for row in rows:
        db.execute("BEGIN IMMEDIATE")
        db.execute(RAW_INSERT, tuple(row))
        db.execute("COMMIT")
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def raw_batch(folder: Path, rows: list[StoredRecord]) -> float:
    db = sqlite3.connect(folder / "raw-batch.db", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(
        "CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT, version INTEGER, type TEXT, schema INTEGER, "
        "payload TEXT, occurred_at TEXT, recorded_at TEXT, actor TEXT, command_id TEXT, prev_hash TEXT, hash TEXT, "
        "UNIQUE (stream_id, version))"
    )
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.executemany(RAW_INSERT, [tuple(r) for r in rows])
    db.execute("COMMIT")
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def raw_replay(path: Path) -> float:
    """The floor: read the rows, parse the JSON, fold each stream into a dict."""
    db = sqlite3.connect(path)
    start = time.perf_counter()
    states: dict[str, dict[str, Any]] = {}
    for stream_id, version, type_, payload, actor in db.execute(
        "SELECT stream_id, version, type, payload, actor FROM events ORDER BY position"
    ):
        state = states.setdefault(stream_id, {"version": 0})
        state["version"] = version
        state[type_] = orjson.loads(payload)
        state["actor"] = orjson.loads(actor)
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def cohandle_replay(path: Path) -> float:
    with cohandle.Workflow.open(path, cache_size=0) as wf:
        start = time.perf_counter()
        for _proposal in wf.proposals():
            pass
        return time.perf_counter() - start


def eventsourcing_run(folder: Path, n: int, synchronous: str) -> tuple[float, float]:
    """Save per command to eventsourcing's SQLite persistence, then get every aggregate back.

    eventsourcing opens its connections in WAL mode and leaves ``synchronous`` at SQLite's
    default; each connection it opens here is set to ``synchronous`` first, as cohandle's are."""
    os.environ.update(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / f"es-{synchronous}.db")}
    )
    from eventsourcing.application import Application
    from eventsourcing.sqlite import SQLiteConnectionPool

    opened = SQLiteConnectionPool._create_connection

    def create_connection(pool: SQLiteConnectionPool) -> Any:
        connection = opened(pool)
        db = connection._sqlite_conn
        db.execute(f"PRAGMA synchronous = {synchronous}")
        assert db.execute("PRAGMA synchronous").fetchone()[0] == _SYNCHRONOUS_LEVEL[synchronous]
        return connection

    item = lifecycle._eventsourcing_item()
    try:
        with mock.patch.object(SQLiteConnectionPool, "_create_connection", create_connection):
            return _eventsourcing_lifecycles(Application(), item, n)
    finally:
        for key in ("PERSISTENCE_MODULE", "SQLITE_DBNAME"):
            os.environ.pop(key, None)


def _eventsourcing_lifecycles(app: Any, item: Any, n: int) -> tuple[float, float]:
    ids = []
    start = time.perf_counter()
    for i in range(n):
        aggregate = item(str(i))
        app.save(aggregate)
        aggregate.assign("省科技厅", [u.name for u in lifecycle.CO])
        app.save(aggregate)
        for unit in lifecycle.CO:
            aggregate.submit_opinion(unit.name, "认真办理。")
            app.save(aggregate)
        aggregate.consolidate()
        app.save(aggregate)
        aggregate.answer("B", "现答复如下。")
        app.save(aggregate)
        aggregate.record_feedback("satisfied")
        app.save(aggregate)
        aggregate.close()
        app.save(aggregate)
        ids.append(aggregate.id)
    append_s = time.perf_counter() - start
    start = time.perf_counter()
    for aggregate_id in ids:
        app.repository.get(aggregate_id)
    replay_s = time.perf_counter() - start
    return append_s, replay_s


def postgres_figures(url: str, n: int, rows: list[StoredRecord]) -> dict[str, float]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with cohandle.Workflow.open(url, schema=schema) as wf:
            start = time.perf_counter()
            run_lifecycles(wf, n)
            ours = time.perf_counter() - start
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(
                f"CREATE TABLE {schema}.raw (position BIGINT PRIMARY KEY, stream_id TEXT, version INTEGER, "
                "type TEXT, schema INTEGER, payload TEXT, occurred_at TEXT, recorded_at TEXT, actor TEXT, "
                "command_id TEXT, prev_hash TEXT, hash TEXT, UNIQUE (stream_id, version))"
            )
        with psycopg.connect(url) as db:
            start = time.perf_counter()
            for row in rows:
                with db.transaction():
                    db.execute(
                        f"INSERT INTO {schema}.raw VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        tuple(row),
                    )
            raw = time.perf_counter() - start
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return {"ours": per_event_us(ours, len(rows)), "raw": per_event_us(raw, len(rows))}


def one_round(folder: Path, n: int) -> dict[str, float]:
    """Every measure once, in seconds, on fresh files in ``folder``."""
    folder.mkdir()
    events = n * EVENTS
    seconds: dict[str, float] = {}
    seconds["full"], full_path = cohandle_append(folder, n, "FULL")
    seconds["normal"], _ = cohandle_append(folder, n, "NORMAL")
    rows = rows_of(full_path)
    seconds["raw_full"] = raw_append(folder, rows, "FULL")
    seconds["raw_normal"] = raw_append(folder, rows, "NORMAL")
    seconds["es_full"], seconds["es_replay"] = eventsourcing_run(folder, n, "FULL")
    seconds["es_normal"], _ = eventsourcing_run(folder, n, "NORMAL")

    export = io.BytesIO()
    export_jsonl(SQLiteStore(full_path), export)
    target = SQLiteStore(folder / "imported.db")
    export.seek(0)
    start = time.perf_counter()
    import_jsonl(target, export)
    seconds["import"] = time.perf_counter() - start
    target.close()
    seconds["raw_batch"] = raw_batch(folder, rows)

    seconds["replay"] = cohandle_replay(full_path)
    seconds["raw_replay"] = raw_replay(full_path)
    store = SQLiteStore(full_path)
    start = time.perf_counter()
    report = verify(store)
    seconds["verify"] = time.perf_counter() - start
    store.close()
    assert report.ok
    assert report.events == events

    memory = MemoryStore()  # the export imports into memory as well
    export.seek(0)
    import_jsonl(memory, export)
    return seconds


def parse_sized(
    parser: argparse.ArgumentParser, argv: list[str] | None, *, repeat: int
) -> argparse.Namespace:
    """``parser``'s arguments with ``--size`` (proposals) and ``--repeat`` (rounds) added and
    checked."""
    parser.add_argument("--size", type=int, default=300, help="proposals, 9 events each (default 300)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=repeat,
        help=f"rounds of every measure; the best of each is kept (default {repeat})",
    )
    args = parser.parse_args(argv)
    if args.size < 1 or args.repeat < 1:
        parser.error("--size and --repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("COHANDLE_TEST_POSTGRES_URL"), help="a PostgreSQL URL"
    )
    args = parse_sized(parser, argv, repeat=3)
    n = args.size
    events = n * EVENTS
    folder = Path(tempfile.mkdtemp(prefix="cohandle-bench-"))
    try:
        # every measure once per round, so a drift in the machine's (or the disk's) speed hits all alike
        rounds = [one_round(folder / f"round-{i}", n) for i in range(args.repeat)]
        # the raw psycopg inserts take the same rows as the first round's SQLite file
        rows = rows_of(folder / "round-0" / "cohandle-FULL.db") if args.postgres else []
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    best = {key: min(r[key] for r in rounds) for key in rounds[0]}

    def us(key: str, digits: int = 1) -> float:
        return round(per_event_us(best[key], events), digits)

    def per_s(key: str) -> int:
        rate: float = events / best[key]
        return round(rate)

    fig: dict[str, Any] = {
        "events": events,
        "append_full_us_per_event": us("full"),
        "raw_full_us_per_event": us("raw_full"),
        "append_normal_us_per_event": us("normal"),
        "raw_normal_us_per_event": us("raw_normal"),
        "eventsourcing_full_us_per_event": us("es_full"),
        "eventsourcing_normal_us_per_event": us("es_normal"),
        "import_us_per_event": us("import", 2),
        "raw_batch_us_per_event": us("raw_batch", 2),
        "replay_events_per_s": per_s("replay"),
        "raw_replay_events_per_s": per_s("raw_replay"),
        "eventsourcing_replay_events_per_s": per_s("es_replay"),
        "verify_events_per_s": per_s("verify"),
    }
    fig["append_full_vs_raw_x"] = round(fig["append_full_us_per_event"] / fig["raw_full_us_per_event"], 2)
    fig["append_normal_vs_raw_x"] = round(
        fig["append_normal_us_per_event"] / fig["raw_normal_us_per_event"], 2
    )
    fig["append_full_vs_eventsourcing_x"] = round(
        fig["append_full_us_per_event"] / fig["eventsourcing_full_us_per_event"], 2
    )
    fig["append_normal_vs_eventsourcing_x"] = round(
        fig["append_normal_us_per_event"] / fig["eventsourcing_normal_us_per_event"], 2
    )
    fig["replay_vs_eventsourcing_x"] = round(
        fig["replay_events_per_s"] / fig["eventsourcing_replay_events_per_s"], 2
    )
    if args.postgres:
        measured = [postgres_figures(args.postgres, n, rows) for _ in range(args.repeat)]
        pg = {key: min(m[key] for m in measured) for key in measured[0]}
        fig["postgres_append_us_per_event"] = round(pg["ours"], 1)
        fig["postgres_raw_us_per_event"] = round(pg["raw"], 1)
        fig["postgres_append_vs_raw_x"] = round(pg["ours"] / pg["raw"], 2)

    print(f"Stores, {n:,} proposals, {events:,} events, best of {args.repeat} rounds (cohandle {describe()})")
    table = [
        ("append, SQLite FULL: cohandle command (µs/event)", fig["append_full_us_per_event"]),
        ("append, SQLite FULL: raw insert (µs/event)", fig["raw_full_us_per_event"]),
        ("append, SQLite FULL: eventsourcing save (µs/event)", fig["eventsourcing_full_us_per_event"]),
        ("append, SQLite NORMAL: cohandle command (µs/event)", fig["append_normal_us_per_event"]),
        ("append, SQLite NORMAL: raw insert (µs/event)", fig["raw_normal_us_per_event"]),
        ("append, SQLite NORMAL: eventsourcing save (µs/event)", fig["eventsourcing_normal_us_per_event"]),
        ("import, one transaction: cohandle (µs/event)", fig["import_us_per_event"]),
        ("import, one transaction: raw executemany (µs/event)", fig["raw_batch_us_per_event"]),
        ("replay: cohandle (events/s)", fig["replay_events_per_s"]),
        ("replay: raw read + JSON + dict fold (events/s)", fig["raw_replay_events_per_s"]),
        ("replay: eventsourcing repository.get (events/s)", fig["eventsourcing_replay_events_per_s"]),
        ("verify (events/s)", fig["verify_events_per_s"]),
    ]
    if args.postgres:
        table += [
            ("append, PostgreSQL: cohandle command (µs/event)", fig["postgres_append_us_per_event"]),
            ("append, PostgreSQL: raw psycopg (µs/event)", fig["postgres_raw_us_per_event"]),
        ]
    for label, value in table:
        print(f"{label:<56} {value:>12,}")
    fig["compiled_module_count"] = len(compiled_modules())
    print(json.dumps(fig, ensure_ascii=False))
    return fig


if __name__ == "__main__":
    main(sys.argv[1:])
