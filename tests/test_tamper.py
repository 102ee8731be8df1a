"""Hand edits of a stored log are found, and the first bad event is named; clean logs pass."""

from __future__ import annotations

import io
import random
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cohandle
from cohandle import AssignmentMode, Status
from cohandle.stores import PostgresStore, SQLiteStore, StoredRecord, verify
from cohandle.stores._integrity import Problem
from helpers import bring_to, rewrite_with_hashes, sealed, workflow

COLUMNS = ["payload", "actor", "occurred_at", "recorded_at", "type", "command_id", "stream_id"]


@pytest.fixture(scope="module")
def clean_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tamper") / "clean.db"
    wf = cohandle.Workflow(SQLiteStore(path), clock=workflow().clock)
    for status in (Status.CLOSED, Status.REHANDLING, Status.ASSIGNED, Status.MERGED):
        bring_to(wf, status)
    bring_to(wf, Status.CLOSED, AssignmentMode.SEPARATE)
    wf.store.close()
    return path


def rows(db: sqlite3.Connection) -> list[tuple[int, str, int]]:
    return db.execute("SELECT position, stream_id, version FROM events ORDER BY position").fetchall()


def check(path: Path) -> cohandle.stores.VerifyReport:
    store = SQLiteStore(path)
    try:
        return verify(store)
    finally:
        store.close()


def test_a_clean_log_has_no_false_alarm(clean_log: Path) -> None:
    report = check(clean_log)
    assert report.ok, str(report)
    assert "intact" in str(report)
    store = SQLiteStore(clean_log)
    try:
        read: list[int] = []
        replayed = verify(store, replay=True, read_back=read.append)
        assert replayed.ok and replayed.read_back, str(replayed)
        assert str(replayed).endswith("every hash chain verified, and every proposal read back.")
        assert read == [len(store.heads())]
    finally:
        store.close()


def test_a_report_counts_in_words_that_fit_the_number() -> None:
    report = cohandle.stores.VerifyReport
    problem = Problem(stream_id="p", version=2, position=None, reason="its hash does not match")
    assert str(report(events=1, streams=1, problem=None, anchored=1)) == (
        "The log is intact: 1 event in 1 proposal, every hash chain verified, and the anchor's 1 proposal found."
    )
    assert str(report(events=2, streams=2, problem=None, anchored=2)).endswith(
        "the anchor's 2 proposals all found."
    )
    assert str(report(events=0, streams=0, problem=None)) == (
        "The log is intact: 0 events in 0 proposals, every hash chain verified."
    )
    assert str(report(events=1, streams=1, problem=problem)).endswith(". 1 event was read before it.")
    assert str(report(events=3, streams=1, problem=problem)).endswith(". 3 events were read before it.")
    assert str(report(events=166_695, streams=20_000, problem=None)) == (  # as the progress lines
        "The log is intact: 166,695 events in 20,000 proposals, every hash chain verified."
    )
    assert str(report(events=1, streams=1, problem=None, anchored=1, read_back=True)) == (
        "The log is intact: 1 event in 1 proposal, every hash chain verified, the anchor's 1 proposal "
        "found, and every proposal read back."
    )
    assert str(report(events=3, streams=1, problem=problem, read_back=True)) == (
        "Every hash chain of the log holds (3 events in 1 proposal), but it cannot be read at "
        "proposal 'p', version 2: its hash does not match."
    )


Run = Callable[[str, tuple[object, ...]], list[tuple[Any, ...]]]
"""Runs one statement on a copy of the log and gives its rows: ``?`` stands for each parameter,
``{events}`` for the events table."""


def tamper(rnd: random.Random, run: Run) -> tuple[str, str, int, tuple[str | None, int]]:
    """Make one random hand edit of the log: the kind, the stream and version edited, and where
    ``verify()`` must find it (no stream when an edit of a row's stream id may be found in
    either stream). A swap takes a stream of more than one event."""
    table = [
        tuple(row) for row in run("SELECT position, stream_id, version FROM {events} ORDER BY position", ())
    ]
    position, stream, version = rnd.choice(table)
    kind = rnd.choice(["edit", "delete", "swap", "truncate"])
    last_version = max(v for _, s, v in table if s == stream)
    if kind == "swap" and last_version < 2:
        stream = rnd.choice([s for _, s, v in table if v == 2])
        last_version = max(v for _, s, v in table if s == stream)
        version = rnd.randint(1, last_version)
    if kind == "edit":
        column = rnd.choice(COLUMNS)
        value = run(f"SELECT {column} FROM {{events}} WHERE position = ?", (position,))[0][0] or "x"
        index = rnd.randrange(len(value))
        changed = value[:index] + ("0" if value[index] != "0" else "1") + value[index + 1 :]
        run(f"UPDATE {{events}} SET {column} = ? WHERE position = ?", (changed, position))
        return kind, stream, version, (stream if column != "stream_id" else None, version)
    if kind == "delete":
        run("DELETE FROM {events} WHERE position = ?", (position,))
        return kind, stream, version, (stream, version + 1 if version < last_version else version)
    if kind == "swap":
        other = version + 1 if version < last_version else version - 1
        low, high = sorted((version, other))
        columns = "type, schema, payload, occurred_at, recorded_at, actor, command_id, prev_hash, hash"
        select = f"SELECT {columns} FROM {{events}} WHERE stream_id = ? AND version = ?"
        a = tuple(run(select, (stream, low))[0])
        b = tuple(run(select, (stream, high))[0])
        setter = ", ".join(f"{c} = ?" for c in columns.split(", "))
        run(f"UPDATE {{events}} SET {setter} WHERE stream_id = ? AND version = ?", (*b, stream, low))
        run(f"UPDATE {{events}} SET {setter} WHERE stream_id = ? AND version = ?", (*a, stream, high))
        return kind, stream, version, (stream, low)
    run("DELETE FROM {events} WHERE stream_id = ? AND version >= ?", (stream, version))
    return kind, stream, version, (stream, version)


def assert_found(
    report: cohandle.stores.VerifyReport, edit: tuple[str, str, int, tuple[str | None, int]]
) -> None:
    kind, stream, version, expected = edit
    assert not report.ok, f"{kind} at {stream} v{version} went unnoticed"
    assert report.problem is not None
    if expected[0] is not None:
        assert (report.problem.stream_id, report.problem.version) == expected, (kind, str(report))


@pytest.mark.parametrize("seed", range(40))
def test_random_tampering_is_found_at_the_right_event(clean_log: Path, tmp_path: Path, seed: int) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)

    def run(statement: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        return db.execute(statement.format(events="events"), parameters).fetchall()

    edit = tamper(random.Random(seed), run)
    db.close()
    assert_found(check(path), edit)


@pytest.mark.parametrize("seed", range(40))
def test_random_tampering_on_postgres_is_found_at_the_right_event(
    clean_log: Path, postgres_url: str, postgres_schema: str, seed: int
) -> None:
    import psycopg

    with SQLiteStore(clean_log) as source, PostgresStore(postgres_url, schema=postgres_schema) as copy:
        export = io.BytesIO()
        cohandle.stores.export_jsonl(source, export)
        export.seek(0)
        cohandle.stores.import_jsonl(copy, export)
        assert verify(copy).ok
    with psycopg.connect(postgres_url, autocommit=True) as db:

        def run(statement: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
            sql = statement.format(events=f"{postgres_schema}.cohandle_events").replace("?", "%s")
            cursor = db.execute(sql, parameters)
            return cursor.fetchall() if cursor.description else []

        edit = tamper(random.Random(seed), run)
    with PostgresStore(postgres_url, schema=postgres_schema) as copy:
        assert_found(verify(copy), edit)


def test_a_copied_event_from_another_stream_is_found(clean_log: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)
    streams = [r[0] for r in db.execute("SELECT stream_id FROM streams ORDER BY first_position")]
    payload = db.execute(
        "SELECT payload FROM events WHERE stream_id = ? AND version = 1", (streams[1],)
    ).fetchone()[0]
    db.execute("UPDATE events SET payload = ? WHERE stream_id = ? AND version = 1", (payload, streams[0]))
    db.close()
    report = check(path)
    assert report.problem is not None
    assert (report.problem.stream_id, report.problem.version) == (streams[0], 1)
    assert "altered" in report.problem.reason


def test_progress_is_reported(clean_log: Path) -> None:
    seen: list[int] = []
    store = SQLiteStore(clean_log)
    report = cohandle.stores.verify(store, progress=seen.append)
    store.close()
    assert seen[-1] == report.events


def _forged_next(record: StoredRecord, position: int) -> StoredRecord:
    """The event after ``record`` in its stream, chained and hashed as cohandle would: what a
    hand that knows the format can add."""
    return sealed(
        record._replace(position=position, version=record.version + 1, prev_hash=record.hash, command_id=None)
    )


def test_an_event_added_by_hand_past_the_head_is_found(clean_log: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    store = SQLiteStore(path)
    records = list(store.records())
    store.close()
    last = max((r for r in records if r.stream_id == records[0].stream_id), key=lambda r: r.version)
    forged = _forged_next(last, records[-1].position + 1)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", forged)
    db.close()
    report = check(path)
    assert report.problem is not None, "an event added past the stream's head went unnoticed"
    assert (report.problem.stream_id, report.problem.version) == (last.stream_id, last.version + 1)
    assert "past its recorded head" in report.problem.reason


def test_an_edited_head_is_found_at_its_event(clean_log: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)
    stream, version = db.execute("SELECT stream_id, version FROM streams ORDER BY first_position").fetchone()
    other = db.execute("SELECT hash FROM events WHERE stream_id = ? AND version = 1", (stream,)).fetchone()[0]
    db.execute("UPDATE streams SET head_hash = ? WHERE stream_id = ?", (other, stream))
    position = db.execute(
        "SELECT position FROM events WHERE stream_id = ? AND version = ?", (stream, version)
    ).fetchone()[0]
    db.close()
    problem = check(path).problem
    assert problem is not None, "an edited head went unnoticed"
    assert (problem.stream_id, problem.version, problem.position) == (stream, version, position)
    assert "recorded as the stream's head" in problem.reason


def test_a_stream_without_a_head_is_found(clean_log: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)
    stream = db.execute("SELECT stream_id FROM streams ORDER BY first_position DESC").fetchone()[0]
    db.execute("DELETE FROM streams WHERE stream_id = ?", (stream,))
    db.close()
    report = check(path)
    assert report.problem is not None, "a stream without a head went unnoticed"
    assert (report.problem.stream_id, report.problem.version) == (stream, 1)
    assert "no recorded head" in report.problem.reason


def _anchor_of(path: Path) -> dict[str, tuple[int, str]]:
    store = SQLiteStore(path)
    try:
        return store.heads()
    finally:
        store.close()


def test_a_log_rewritten_with_every_hash_recomputed_is_found_by_an_anchor(
    clean_log: Path, tmp_path: Path
) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    anchor = _anchor_of(path)
    stream, (last, _) = next((s, head) for s, head in anchor.items() if head[0] >= 4)
    rewrite_with_hashes(path, stream, 2)
    assert check(path).ok  # what the chain alone cannot show
    store = SQLiteStore(path)
    try:
        report = verify(store, anchor=anchor)
    finally:
        store.close()
    assert report.problem is not None, "a rewritten log passed its anchor"
    assert (report.problem.stream_id, report.problem.version) == (stream, last)
    assert "the anchor names" in report.problem.reason


def test_a_stream_rewritten_shorter_is_found_by_an_anchor(clean_log: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    anchor = _anchor_of(path)
    stream, (last, _) = next((s, head) for s, head in anchor.items() if head[0] >= 4)
    rewrite_with_hashes(path, stream, 3, drop_last=True)
    assert check(path).ok
    store = SQLiteStore(path)
    try:
        problem = verify(store, anchor=anchor).problem
    finally:
        store.close()
    assert problem is not None and (problem.stream_id, problem.version) == (stream, last)
    assert f"the anchor names version {last}, but the stream ends at version {last - 1}" in problem.reason


@pytest.mark.parametrize(
    "anchor",
    [[], {"x": 3}, {"x": (0, "sha256:00")}, {"x": (1, 2)}, {"x": (True, "h")}, {1: (1, "h")}, "heads"],
)
def test_an_anchor_of_the_wrong_shape_is_refused(clean_log: Path, anchor: object) -> None:
    store = SQLiteStore(clean_log)
    try:
        with pytest.raises(
            cohandle.InvalidInput, match="anchor must map proposal ids to a version and a hash"
        ):
            verify(store, anchor=anchor)  # type: ignore[arg-type]
    finally:
        store.close()


@pytest.mark.parametrize(
    "hash_text",
    ["h", "sha256:00", "md5:" + "0" * 64, "0" * 64, "sha256:" + "g" * 64, "sha256:" + "0" * 64 + "\n"],
)
def test_an_anchor_with_a_hash_that_no_store_writes_is_refused_not_taken_for_a_rewrite(
    clean_log: Path, hash_text: str
) -> None:
    # a damaged anchor is bad input; only a well-formed hash that differs is evidence of a rewrite
    store = SQLiteStore(clean_log)
    try:
        stream, (version, _) = next(iter(store.heads().items()))
        with pytest.raises(cohandle.InvalidInput, match=r"hash as store.heads\(\) does"):
            verify(store, anchor={stream: (version, hash_text)})
    finally:
        store.close()


def test_an_anchor_is_read_whatever_the_case_of_its_hash(clean_log: Path) -> None:
    store = SQLiteStore(clean_log)
    try:
        heads = store.heads()
        assert verify(store, anchor={k: (v, h.upper()) for k, (v, h) in heads.items()}).ok
    finally:
        store.close()


# SQLite keeps a byte string as it is written into any column, and text that reads as no number
# in a column of numbers (other values it turns into the column's kind): a hand can leave such a
# value where cohandle writes text or a number. Every reading names the event; none fails with a
# raw error.
WRONG_KINDS = [
    ("hash", b"\x00\xff", "its hash holds b'\\x00\\xff', a bytes, where text belongs"),
    ("payload", b"{}", "its payload holds b'{}', a bytes, where text belongs"),
    ("actor", b"{}", "its actor holds b'{}', a bytes, where text belongs"),
    ("prev_hash", b"", "its prev_hash holds b'', a bytes, where text belongs"),
    ("recorded_at", b"2025", "its recorded_at holds b'2025', a bytes, where text belongs"),
    ("type", b"ProposalAssigned", "its type holds b'ProposalAssigned', a bytes, where text belongs"),
    ("stream_id", b"x", "its stream_id holds b'x', a bytes, where text belongs"),
    ("command_id", b"c", "its command_id holds b'c', a bytes, where text or nothing belongs"),
    ("schema", "one", "its schema holds 'one', a str, where a whole number belongs"),
    ("version", "two", "its version holds 'two', a str, where a whole number belongs"),
]


def set_in_copy(clean_log: Path, tmp_path: Path, column: str, value: object) -> tuple[Path, str, int]:
    """A copy of the log with ``column`` of its first event at version 2 set to ``value`` by
    hand: the copy, and that event's stream and position."""
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)
    stream, position = db.execute(
        "SELECT stream_id, position FROM events WHERE version = 2 ORDER BY position"
    ).fetchone()
    db.execute(f"UPDATE events SET {column} = ? WHERE position = ?", (value, position))
    db.close()
    return path, stream, position


def read_without_raw_errors(path: Path, stream: str, export_refusal: str) -> None:
    """Each reading of ``stream`` in the log at ``path`` gives it or raises a ``CohandleError``
    (a ``SchemaError`` naming the event, or a broken chain), never a raw error; an export is
    refused with a ``SchemaError`` matching ``export_refusal``."""
    raw = []
    with cohandle.Workflow.open(path) as wf:
        for read in (wf.get, wf.history, lambda _: list(wf.proposals()), lambda _: list(wf.store.read_all())):
            try:
                read(stream)
            except cohandle.CohandleError:
                pass
            except Exception as exc:  # what the tests look for
                raw.append(repr(exc))
        with pytest.raises(cohandle.SchemaError, match=export_refusal):
            cohandle.stores.export_jsonl(wf.store, io.BytesIO())
    assert raw == [], "a reading failed with a raw error"


@pytest.mark.parametrize(("column", "value", "reason"), WRONG_KINDS, ids=[kind[0] for kind in WRONG_KINDS])
def test_a_value_of_the_wrong_kind_is_named_by_every_reading(
    clean_log: Path, tmp_path: Path, column: str, value: object, reason: str
) -> None:
    path, stream, position = set_in_copy(clean_log, tmp_path, column, value)
    problem = check(path).problem
    assert problem is not None, f"{column} of the wrong kind went unnoticed"
    named = value if column == "stream_id" else stream  # the event is named as it is stored
    assert (problem.stream_id, problem.position) == (named, position)
    assert problem.reason == reason
    read_without_raw_errors(
        path, stream, f"{re.escape(repr(named))} .* cannot be exported: {re.escape(reason)}"
    )


TEXT_COLUMNS = [name for name in StoredRecord._fields if name not in ("position", "version", "schema")]


@pytest.mark.parametrize("column", TEXT_COLUMNS)
@pytest.mark.parametrize("seed", range(3))
def test_a_byte_of_stored_text_damaged_past_utf8_is_found_and_named_by_every_reading(
    clean_log: Path, tmp_path: Path, column: str, seed: int
) -> None:
    # a byte of the file changed (a disk, a hex editor) can leave text that is not UTF-8, which
    # SQLite keeps as it is: verify names the event, and no reading fails with a raw error
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)
    rnd = random.Random(seed)
    stream, position, stored = rnd.choice(
        db.execute(
            f"SELECT stream_id, position, coalesce(CAST({column} AS BLOB), X'636d642d31') FROM events "
            "WHERE version = 2"
        ).fetchall()
    )  # a command id where the row has none: cmd-1
    index = rnd.randrange(len(stored))
    damaged = stored[:index] + b"\xff" + stored[index + 1 :]
    db.execute(f"UPDATE events SET {column} = CAST(? AS TEXT) WHERE position = ?", (damaged, position))
    db.close()
    report = check(path)
    assert report.problem is not None, f"a {column} that is not UTF-8 went unnoticed"
    named = damaged.decode(errors="surrogateescape") if column == "stream_id" else stream
    assert (report.problem.stream_id, report.problem.version, report.problem.position) == (named, 2, position)
    assert report.problem.reason.startswith(f"its {column} is not UTF-8 text: it holds U+DC"), (
        report.problem.reason
    )
    read_without_raw_errors(path, stream, f"cannot be exported: its {column} is not UTF-8 text")


def test_a_head_kept_under_an_id_damaged_past_utf8_is_named_by_verify_and_by_a_listing(
    clean_log: Path, tmp_path: Path
) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)
    stream = db.execute("SELECT stream_id FROM streams ORDER BY first_position").fetchone()[0]
    db.execute(
        "UPDATE streams SET stream_id = CAST(CAST(stream_id AS BLOB) || X'FF' AS TEXT) WHERE stream_id = ?",
        (stream,),
    )
    db.close()
    damaged = stream + "\udcff"
    at = len(stream)
    problem = check(path).problem
    assert problem is not None
    assert (problem.stream_id, problem.reason) == (
        damaged,
        f"the id its recorded head is kept under is not UTF-8 text: it holds U+DCFF at position {at}, "
        "a lone surrogate, which is not a character (text decoded from bytes that were not UTF-8 carries such)",
    )
    with cohandle.Workflow.open(path) as wf:
        with pytest.raises(
            cohandle.ChainBroken,
            match=f"the id the log lists it under is not UTF-8 text: it holds U\\+DCFF at position {at},",
        ):
            list(wf.proposals())
        assert wf.get(stream).version > 1  # the proposal's own events are whole


@pytest.mark.parametrize("reading", ["get", "history", "proposals", "read_all"])
def test_a_reading_names_the_column_of_the_wrong_kind_and_not_the_payload_it_reads_as_bytes(
    clean_log: Path, tmp_path: Path, reading: str
) -> None:
    # the SQLite store reads payloads and actors as UTF-8 bytes to decode them; a hash of bytes
    # must still be what the refusal names, with the payload's text taken as text
    path, stream, _ = set_in_copy(clean_log, tmp_path, "hash", b"\x00\xff")
    with cohandle.Workflow.open(path) as wf:
        readings: dict[str, Callable[[], object]] = {
            "get": lambda: wf.get(stream),
            "history": lambda: wf.history(stream),
            "proposals": lambda: list(wf.proposals()),
            "read_all": lambda: list(wf.store.read_all()),
        }
        with pytest.raises(cohandle.SchemaError) as refused:
            readings[reading]()
    assert str(refused.value) == (
        f"Stored event {stream!r} version 2 cannot be read: "
        "its hash holds b'\\x00\\xff', a bytes, where text belongs."
    )


def test_a_stored_payload_that_is_not_utf8_is_refused_by_name(clean_log: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)
    (stream, position), (other, other_position) = db.execute(
        "SELECT stream_id, position FROM events WHERE version = 2 ORDER BY position LIMIT 2"
    ).fetchall()
    # text whose bytes are not UTF-8, as a hand can write it with the sqlite3 shell
    db.execute("UPDATE events SET payload = CAST(X'7B22FF227D' AS TEXT) WHERE position = ?", (position,))
    db.execute("UPDATE events SET actor = CAST(X'7B22FE227D' AS TEXT) WHERE position = ?", (other_position,))
    db.close()
    with cohandle.Workflow.open(path) as wf:
        with pytest.raises(
            cohandle.SchemaError, match=f"{re.escape(repr(stream))} version 2 is not valid JSON"
        ):
            wf.history(stream)
        with pytest.raises(
            cohandle.SchemaError, match=re.escape("The actor '{\"\ufffd\"}' is not valid JSON")
        ):
            wf.get(other)


def test_a_head_of_the_wrong_kind_is_named(clean_log: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path, isolation_level=None)
    stream, version = db.execute("SELECT stream_id, version FROM streams ORDER BY first_position").fetchone()
    db.execute("UPDATE streams SET version = 'x' WHERE stream_id = ?", (stream,))
    db.close()
    problem = check(path).problem
    assert problem is not None, "a head of the wrong kind went unnoticed"
    assert (problem.stream_id, problem.version) == (stream, version)
    assert "its recorded head holds" in problem.reason


def _closed_as_soon_as_received(store: Any) -> str:
    """Into ``store``, through its own ``append``, a proposal sealed as a chain should be but
    closed as its second event, which no command records; and another, whole. The first's id."""
    from cohandle.stores._rows import decode_record

    wf = workflow()
    whole = bring_to(wf, Status.CLOSED)
    other = bring_to(wf, Status.ANSWERED)
    records = [r for r in wf.store.records() if r.stream_id == whole]
    closed = sealed(records[-1]._replace(version=2, prev_hash=records[0].hash))
    first = decode_record(records[0])
    store.append(whole, 0, [first])
    store.append(whole, 1, [decode_record(closed, first, records[0].hash)])
    store.append(other, 0, wf.store.read_stream(other))
    return whole


@pytest.mark.parametrize(
    "make", [cohandle.stores.MemoryStore, lambda: SQLiteStore(":memory:")], ids=["memory", "sqlite"]
)
def test_a_chain_that_holds_but_cannot_be_read_is_found_by_reading_every_proposal_back(make: Any) -> None:
    # the chains all hold, and verify() said "The log is intact"; the proposal then could not be
    # read (`cohandle list`: "The log of proposal … is broken at version 2")
    store = make()
    try:
        pid = _closed_as_soon_as_received(store)
        assert verify(store).ok
        report = verify(store, replay=True)
        assert not report.ok and report.read_back
        assert report.problem == Problem(
            stream_id=pid,
            version=2,
            position=None,
            reason="ProposalClosed cannot happen while the proposal is received",
        )
        with pytest.raises(cohandle.ChainBroken):
            cohandle.Workflow(store).get(pid)
        assert not cohandle.Workflow(store).verify(replay=True).ok
    finally:
        store.close()


def test_an_event_that_cannot_be_decoded_is_found_by_reading_every_proposal_back(
    clean_log: Path, tmp_path: Path
) -> None:
    path = tmp_path / "undecodable.db"
    shutil.copy(clean_log, path)
    db = sqlite3.connect(path)
    stream, version = db.execute(
        "SELECT stream_id, version FROM events WHERE type = 'ProposalClosed' LIMIT 1"
    ).fetchone()
    db.execute(
        "UPDATE events SET payload = ? WHERE stream_id = ? AND version = ?", ('{"note":5}', stream, version)
    )
    db.commit()
    db.close()
    rewrite_with_hashes(path, stream, version)  # every hash from it on computed again
    store = SQLiteStore(path)
    try:
        assert verify(store).ok
        report = verify(store, replay=True)
        assert report.problem is not None and (report.problem.stream_id, report.problem.version) == (
            stream,
            version,
        )
        assert (
            report.problem.reason == "Event ProposalClosed does not hold valid data: 5 is not a str @ $.note"
        )
    finally:
        store.close()


def test_verify_is_asked_to_read_back_or_not() -> None:
    store = cohandle.stores.MemoryStore()
    with pytest.raises(cohandle.InvalidInput, match=r"replay must be True or False \(got 'yes', a str\)"):
        verify(store, replay="yes")  # type: ignore[arg-type]
    with pytest.raises(cohandle.InvalidInput, match="read_back must be a function"):
        verify(store, replay=True, read_back=5)  # type: ignore[arg-type]
