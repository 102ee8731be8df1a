"""Every store passes the shared contract; the SQLite store's own guarantees."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path

import pytest

import cohandle
from cohandle import stores
from cohandle.stores import MemoryStore, SQLiteStore, StorageError, StoredRecord
from cohandle.stores._integrity import body_bytes
from cohandle.testing import StoreContract
from helpers import A_COMMITTEE, A_LEAD, LEAD, bring_to, receive, sealed, workflow


class TestMemoryStore(StoreContract):
    def make_store(self) -> MemoryStore:
        return MemoryStore()


class TestSQLiteStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path
        self.count = 0

    def make_store(self) -> SQLiteStore:
        self.count += 1
        return SQLiteStore(self.folder / f"log{self.count}.db")


class TestSQLiteStoreNormal(TestSQLiteStore):
    def make_store(self) -> SQLiteStore:
        self.count += 1
        return SQLiteStore(self.folder / f"log{self.count}.db", synchronous="NORMAL")


def sqlite_workflow(path: Path) -> cohandle.Workflow:
    return cohandle.Workflow(SQLiteStore(path), clock=workflow().clock)


def test_sqlite_uses_wal_and_full_sync_by_default(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.synchronous == "FULL"
    assert db.execute("PRAGMA user_version").fetchone()[0] == cohandle.stores.SCHEMA_VERSION
    db.close()
    store.close()


def test_a_whole_case_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "case.db"
    wf = sqlite_workflow(path)
    pid = bring_to(wf, cohandle.Status.CLOSED)
    live = wf.get(pid)
    wf.store.close()
    with cohandle.Workflow.open(path) as again:
        assert again.get(pid) == live
        assert again.verify().ok
        assert again.store.integrity_check()  # type: ignore[attr-defined]


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    before = path.read_bytes()
    with pytest.raises(cohandle.SchemaError, match="newer cohandle"):
        SQLiteStore(path)
    assert path.read_bytes() == before


def test_a_store_of_ones_own_that_lacks_a_method_is_told_which() -> None:
    class Almost:  # a store written by a host, all but two of the protocol's methods
        def __getattr__(self, name: str) -> object:
            if name in ("import_records", "heads"):
                raise AttributeError(name)
            return lambda *args, **kwargs: None

    with pytest.raises(cohandle.InvalidInput) as refused:
        cohandle.Workflow(Almost())  # type: ignore[arg-type]
    assert str(refused.value).endswith(", an Almost); it lacks heads, import_records.")
    with pytest.raises(cohandle.InvalidInput) as refused:
        cohandle.Workflow([])  # type: ignore[arg-type]
    assert str(refused.value) == (
        "store must be an event store, such as MemoryStore() or SQLiteStore(path) (got [], a list)."
    )


def test_a_relative_name_is_kept_in_full_and_refused_where_it_names_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = SQLiteStore("log.db")
    assert store.path == str(tmp_path / "log.db")
    store.close()
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(
        cohandle.InvalidInput, match=r"path is relative \(log\.db\), and the folder this process works in"
    ):
        SQLiteStore("log.db")


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("这不是数据库" * 200, encoding="utf-8")
    with pytest.raises(StorageError, match="not a readable cohandle database"):
        SQLiteStore(path)


def test_a_store_opened_to_read_refuses_a_missing_or_empty_database_and_makes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    with pytest.raises(StorageError) as refused:
        cohandle.Workflow.open(missing, create=False)
    assert str(refused.value) == (
        f"{missing} holds no cohandle log: there is no such file, and the store was opened to read one, "
        "not to create it."
    )
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StorageError) as refused:
        SQLiteStore(empty, create=False)
    assert str(refused.value) == (
        f"{empty} holds no cohandle log (it is an empty database), and the store was opened to read one, "
        "not to create it; nothing was changed."
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty.db"]  # no typo.db, no -wal
    assert empty.read_bytes() == b""
    with cohandle.Workflow.open(tmp_path / "log.db", clock=workflow().clock) as wf:
        pid = receive(wf)
    with cohandle.Workflow.open(tmp_path / "log.db", create=False) as reading:
        assert reading.get(pid).version == 1
    with pytest.raises(cohandle.InvalidInput, match="create must be True or False"):
        SQLiteStore(tmp_path / "log.db", create=1)  # type: ignore[arg-type]


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(cohandle.SchemaError, match="something else"):
        SQLiteStore(path)


@pytest.mark.parametrize(
    "tables",
    [
        ["CREATE TABLE events (id INTEGER, name TEXT)"],  # a table name many programs use
        ["CREATE TABLE events (id INTEGER)", "CREATE TABLE streams (id INTEGER)"],
    ],
    ids=["events", "events-and-streams"],
)
def test_another_programs_tables_of_the_same_names_are_refused_and_left_alone(
    tmp_path: Path, tables: list[str]
) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    for statement in tables:
        db.execute(statement)
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(cohandle.SchemaError, match=r"something else .*nothing was changed"):
        SQLiteStore(path)
    assert path.read_bytes() == before  # its journal mode too: not switched to WAL
    assert not path.with_name("other.db-wal").exists()


def test_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(cohandle.InvalidInput, match="synchronous"):
        SQLiteStore(tmp_path / "x.db", synchronous="OFF")
    with pytest.raises(cohandle.InvalidInput, match="folder that does not exist"):
        SQLiteStore(tmp_path / "missing" / "x.db")
    for create in (True, False):  # a folder is named so, not "unable to open" or "no such file"
        with pytest.raises(cohandle.InvalidInput, match="names a folder, not a database file"):
            SQLiteStore(tmp_path, create=create)


@pytest.mark.parametrize("url", ["sqlite:///x.db", "mysql://oa:secret@db/oa", "POSTGRESQL://db/oa"])
def test_a_url_of_another_database_is_named_as_one(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # taken as a file's name, "mysql://db/oa" said that the folder "mysql:/db" does not exist,
    # and "sqlite:x.db" would have made a folder "sqlite:" where one does
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sqlite:").mkdir()
    with pytest.raises(
        cohandle.InvalidInput, match=r"^path is a \w+:// URL, and cohandle opens a SQLite file"
    ) as raised:
        cohandle.Workflow.open(url)
    assert "secret" not in str(raised.value)
    assert [p.name for p in tmp_path.iterdir()] == ["sqlite:"] and not any((tmp_path / "sqlite:").iterdir())


def test_a_held_write_lock_becomes_a_storage_error_not_a_raw_one(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    with cohandle.Workflow(SQLiteStore(path, busy_timeout=0.05), clock=workflow().clock) as wf:
        pid = bring_to(wf, cohandle.Status.RECEIVED)
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StorageError, match="stayed locked"):
                wf.file(pid, actor=A_COMMITTEE)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert wf.file(pid, actor=A_COMMITTEE).version == 2


def test_a_log_with_no_room_left_says_so_and_keeps_every_command_whole(tmp_path: Path) -> None:
    """SQLite's "database or disk is full" is put in words, nothing of the command is kept, and
    the work goes on once there is room. The room is taken away with ``max_page_count``, which
    makes SQLite answer as on a full disk (a full small file system was seen to answer the same)."""
    path = tmp_path / "full.db"
    with cohandle.Workflow(SQLiteStore(path), clock=workflow().clock) as wf:
        connection = wf.store._db  # type: ignore[attr-defined]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")
        recorded = 0
        with pytest.raises(StorageError) as refused:
            for _ in range(200):  # a page holds a few events, so the room runs out soon
                bring_to(wf, cohandle.Status.ANSWERED)
                recorded += 1
        assert str(refused.value).startswith(
            f"Could not record the events in {path}: the disk that holds it is full"
        )
        assert str(refused.value).endswith(
            "(database or disk is full). Free space on that disk and try again."
        )
        assert recorded < 200
        kept = len(list(wf.store.read_all()))
        assert stores.verify(wf.store).events == kept
        # the workflow's own states, the refused command's proposal among them, are the log's
        with cohandle.Workflow.open(path) as again:
            assert [wf.get(p.id) for p in again.proposals()] == list(again.proposals())
        connection.execute("PRAGMA max_page_count = 1073741823")
        assert wf.get(bring_to(wf, cohandle.Status.CLOSED)).status is cohandle.Status.CLOSED
    # an error made by hand has no code: its words say the same, and other words pass as they are
    from cohandle.stores._sqlite import _storage_error

    said = str(
        _storage_error("open the database", "x.db", sqlite3.OperationalError("database or disk is full"))
    )
    assert said.startswith("Could not open the database in x.db: the disk that holds it is full")
    assert str(_storage_error("read the log", "x.db", sqlite3.OperationalError("disk I/O error"))) == (
        "Could not read the log in x.db: disk I/O error."
    )


def test_an_old_schema_event_stored_years_ago_is_read_in_the_present_shape(tmp_path: Path) -> None:
    import attrs

    from cohandle._events import _UPCASTERS, EVENT_TYPES, register_event, register_upcaster

    @attrs.frozen(kw_only=True)
    class NoteTaken(cohandle.Event):
        SCHEMA = 2
        text: str
        channel: str

    register_event(NoteTaken, "TestNoteTaken")

    @register_upcaster("TestNoteTaken", 1)
    def add_channel(old: dict[str, object]) -> dict[str, object]:
        return {**old, "channel": "letter"}

    try:
        path = tmp_path / "old.db"
        wf = sqlite_workflow(path)
        pid = bring_to(wf, cohandle.Status.RECEIVED)
        first = next(iter(wf.store.records()))
        old = StoredRecord(
            position=2,
            stream_id=pid,
            version=2,
            type="TestNoteTaken",
            schema=1,
            payload='{"text":"2019年的记录"}',
            occurred_at=first.occurred_at,
            recorded_at=first.recorded_at,
            actor=first.actor,
            command_id=None,
            prev_hash=first.hash,
            hash="",
        )
        old = old._replace(hash="sha256:" + hashlib.sha256(body_bytes(old)).hexdigest())
        wf.store.close()
        db = sqlite3.connect(path)
        db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tuple(old))
        db.execute("UPDATE streams SET version = 2, head_hash = ? WHERE stream_id = ?", (old.hash, pid))
        db.commit()
        db.close()
        store = SQLiteStore(path)
        event = store.read_stream(pid)[1]
        assert event.payload == NoteTaken(text="2019年的记录", channel="letter")
        assert event.schema_version == 2
        assert event.label == "TestNoteTaken"  # a host's own type, with no label, goes by its type
        assert cohandle.stores.verify(store).ok  # the hash covers the text as it was stored
        store.close()
    finally:
        EVENT_TYPES.pop("TestNoteTaken", None)
        _UPCASTERS.pop(("TestNoteTaken", 1), None)


def _every_proposal_read_in_bulk_is_the_one_read_alone(wf: cohandle.Workflow) -> None:
    closed = bring_to(wf, cohandle.Status.CLOSED)
    ids = [closed] + [receive(wf) for _ in range(502)]  # more than one query's worth
    wf.assign(ids[7], lead=LEAD, actor=A_COMMITTEE)
    alone = [wf.get(pid) for pid in ids]
    assert list(wf.proposals()) == alone
    assert [p.id for p in wf.proposals()] == ids


def test_every_proposal_of_a_sqlite_log_is_read_in_bulk(tmp_path: Path) -> None:
    with sqlite_workflow(tmp_path / "bulk.db") as wf:
        _every_proposal_read_in_bulk_is_the_one_read_alone(wf)


def test_every_proposal_of_a_postgres_log_is_read_in_bulk(postgres_url: str, postgres_schema: str) -> None:
    with cohandle.Workflow.open(postgres_url, schema=postgres_schema, clock=workflow().clock) as wf:
        _every_proposal_read_in_bulk_is_the_one_read_alone(wf)


def test_a_stream_listed_without_events_is_not_passed_over(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    wf = sqlite_workflow(path)
    pid = receive(wf)
    receive(wf)
    wf.store.close()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM events WHERE stream_id = ?", (pid,))
    db.commit()
    db.close()
    # a broken log, not an unknown id: no id was typed that could be checked
    with cohandle.Workflow.open(path) as again, pytest.raises(cohandle.ChainBroken) as broken:
        list(again.proposals())
    assert str(broken.value) == (
        f"The log of proposal {pid!r} is broken at version 1: the log lists it among its proposals, but "
        "holds none of its events. Restore the log from a verified export or backup."
    )


def test_an_id_stored_before_ids_were_checked_is_still_read(tmp_path: Path) -> None:
    """A SQLite log may hold a NUL in an id from before every store refused one: it is read as
    before, one proposal or all of them, and only new ids are refused."""
    path = tmp_path / "old.db"
    wf = sqlite_workflow(path)
    pid = receive(wf)
    wf.store.close()
    old = pid + "\x00"
    db = sqlite3.connect(path)
    db.execute("UPDATE events SET stream_id = ? WHERE stream_id = ?", (old, pid))
    db.execute("UPDATE streams SET stream_id = ? WHERE stream_id = ?", (old, pid))
    db.commit()
    db.close()
    with cohandle.Workflow.open(path, clock=workflow().clock) as again:
        assert again.get(old).id == old
        assert [p.id for p in again.proposals()] == [old]
        assert again.file(old, actor=A_COMMITTEE).version == 2


def test_a_store_of_ones_own_runs_the_same_checks_before_it_writes() -> None:
    wf = workflow()
    pid = bring_to(wf, cohandle.Status.ASSIGNED)
    events = wf.history(pid)
    stores.refuse_unsealed(list(events))  # sealed events pass
    stores.refuse_unstorable(pid, 0, "cmd-1")
    with pytest.raises(cohandle.InvalidInput, match="version 2's hash is not a 32-byte digest"):
        stores.refuse_unsealed([events[0], events[1]._replace(hash=b"")])
    with pytest.raises(cohandle.InvalidInput, match="command_id"):
        stores.refuse_unstorable(pid, 1, "a\x00b")
    with pytest.raises(cohandle.InvalidInput, match="stream_id"):
        stores.refuse_unstorable("x" * 501, 0, None)
    # its own arguments are checked too: a store of one's own may pass what it was given
    with pytest.raises(cohandle.InvalidInput, match=r"^stream_id must be text"):
        stores.refuse_unstorable(None, 0, None)  # type: ignore[arg-type]
    for version in (-1, 1.5, True, None):
        with pytest.raises(cohandle.InvalidInput, match=r"^expected_version must be a whole number"):
            stores.refuse_unstorable(pid, version, None)  # type: ignore[arg-type]


def test_what_a_sql_store_offers_beyond_the_protocol_checks_its_arguments(tmp_path: Path) -> None:
    import inspect

    protocol = {name for name in dir(stores.EventStore) if not name.startswith("_")}
    store = SQLiteStore(tmp_path / "log.db")
    extra = {
        name
        for name, member in inspect.getmembers(SQLiteStore, inspect.isfunction)
        if not name.startswith("_") and name not in protocol
    }
    # no public way to write rows that skips append's checks (the workflow's fast path is private)
    assert extra == {"read_streams", "integrity_check"}
    wf = workflow(store=store)
    pid = bring_to(wf, cohandle.Status.ASSIGNED)
    history = list(wf.history(pid))
    assert store.read_streams(["nothing", pid, "\udcb2"]) == [[], history, []]
    assert store.read_streams((pid,) * 2) == [history] * 2
    for bad in (None, 3, pid, [None], [[pid]]):
        with pytest.raises(cohandle.InvalidInput, match=r"^stream_ids must"):
            store.read_streams(bad)  # type: ignore[arg-type]
    assert store.integrity_check()
    # records takes a batch size of its own: any whole number from 1, however large
    assert list(store.records(batch=2**70)) == list(store.records(batch=1)) == list(store.records())
    store.close()


def test_a_reminder_recorded_before_proposers_were_reminded_reads_as_it_was(tmp_path: Path) -> None:
    """ReminderIssued schema 1 named a unit always; schema 2 lets ``to`` be None (the
    proposers). A schema 1 row is read as it was, and its hash holds."""
    path = tmp_path / "old.db"
    wf = sqlite_workflow(path)
    pid = bring_to(wf, cohandle.Status.ASSIGNED)
    wf.remind(pid, to=LEAD, actor=A_COMMITTEE, note="请按期办理")
    wf.store.close()
    db = sqlite3.connect(path)
    record = StoredRecord(*db.execute("SELECT * FROM events WHERE type = 'ReminderIssued'").fetchone())
    assert record.schema == 2
    old = record._replace(schema=1)  # the payload's text is the same
    old = old._replace(hash="sha256:" + hashlib.sha256(body_bytes(old)).hexdigest())
    db.execute("UPDATE events SET schema = 1, hash = ? WHERE position = ?", (old.hash, old.position))
    db.execute("UPDATE streams SET head_hash = ? WHERE stream_id = ?", (old.hash, pid))
    db.commit()
    db.close()
    store = SQLiteStore(path)
    event = store.read_stream(pid)[-1]
    assert event.payload == cohandle.ReminderIssued(to=LEAD, note="请按期办理") and event.schema_version == 2
    assert cohandle.stores.verify(store, replay=True).ok
    assert cohandle.Workflow(store).get(pid).last_reminded(LEAD.name) is not None
    store.close()


def test_a_publication_recorded_before_the_form_was_known_reads_as_in_full(tmp_path: Path) -> None:
    """ReplyPublished schema 1 had no ``form``: a row written then is read in full, its hash
    (over the text as stored) still holds, and an export keeps the row as it was."""
    path = tmp_path / "old.db"
    wf = sqlite_workflow(path)
    pid = bring_to(wf, cohandle.Status.ANSWERED)
    wf.publish(pid, actor=A_LEAD, url="https://example.gov.cn/2019/1")
    wf.store.close()
    db = sqlite3.connect(path)
    row = db.execute("SELECT * FROM events WHERE type = 'ReplyPublished'").fetchone()
    record = StoredRecord(*row)
    assert record.schema == 2 and '"form":"full"' in record.payload
    old = record._replace(schema=1, payload=record.payload.replace(',"form":"full"', ""))
    old = old._replace(hash="sha256:" + hashlib.sha256(body_bytes(old)).hexdigest())
    db.execute(
        "UPDATE events SET schema = ?, payload = ?, hash = ? WHERE position = ?",
        (old.schema, old.payload, old.hash, old.position),
    )
    db.execute("UPDATE streams SET head_hash = ? WHERE stream_id = ?", (old.hash, pid))
    db.commit()
    db.close()
    store = SQLiteStore(path)
    event = store.read_stream(pid)[-1]
    assert event.payload == cohandle.ReplyPublished(unit=LEAD, url="https://example.gov.cn/2019/1")
    assert event.payload.form is cohandle.PublicationForm.FULL and event.schema_version == 2
    assert cohandle.stores.verify(store).ok
    assert cohandle.Workflow(store).get(pid).publication is cohandle.PublicationForm.FULL
    lines = io.BytesIO()
    cohandle.stores.export_jsonl(store, lines)
    assert b'"schema":1' in lines.getvalue().splitlines()[-1]  # as it was stored
    store.close()
    copy = MemoryStore()
    cohandle.stores.import_jsonl(copy, io.BytesIO(lines.getvalue()))
    assert cohandle.stores.verify(copy).ok and copy.read_stream(pid)[-1].payload == event.payload


@pytest.mark.parametrize(
    ("unwritable", "said"),
    [
        ({"log.db", "folder"}, "may not write to the file nor to its folder"),
        ({"folder"}, "may not write to its folder"),
        ({"log.db"}, "may read the file but not write to it"),
        ({"log.db-shm"}, "log.db-shm beside it may not be written by this user"),
    ],
)
def test_a_log_this_user_may_not_write_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unwritable: set[str], said: str
) -> None:
    """What SQLite says ("attempt to write a readonly database") is put in words: which file
    or folder this user may not write, and what to do. (Tests run as root, who may write
    anything, so which paths are writable is set here; the messages were seen as a plain user.)"""
    from cohandle.stores import _sqlite

    path = tmp_path / "folder" / "log.db"
    path.parent.mkdir()
    SQLiteStore(path).close()
    for end in ("-wal", "-shm"):
        path.with_name("log.db" + end).touch()

    def access(name: str, mode: int) -> bool:
        return Path(name).name not in unwritable

    monkeypatch.setattr("cohandle.stores._sqlite.os.access", access)
    error = _sqlite._storage_error(
        "open the database", str(path), sqlite3.OperationalError("attempt to write a readonly database")
    )
    assert said in str(error) and "Run the command as the user that writes the log" in str(error)
    assert str(error).endswith("(attempt to write a readonly database).")


def written_as_then(path: Path, now: str, then: str) -> None:
    """Rewrite the one proposal of the SQLite log at ``path`` as a version of cohandle that kept
    ``then`` where ``now`` is kept would have written it: the text, and every hash from it."""
    db = sqlite3.connect(path)
    prev = ""
    for row in db.execute("SELECT * FROM events ORDER BY position").fetchall():
        record = StoredRecord(*row)
        record = sealed(
            record._replace(
                payload=record.payload.replace(now, then),
                actor=record.actor.replace(now, then),
                prev_hash=prev,
            )
        )
        db.execute("UPDATE events SET payload = ?, actor = ?, prev_hash = ?, hash = ? WHERE position = ?",
                   (record.payload, record.actor, record.prev_hash, record.hash, record.position))  # fmt: skip
        prev = record.hash
    db.execute("UPDATE streams SET head_hash = ?", (prev,))
    db.commit()
    db.close()


def moved_and_back(store: cohandle.stores.EventStore) -> None:
    """Export ``store``'s log, import it into a memory store, and export it again: the same
    bytes, and a log that verifies (an import keeps the text as it came, so its hashes hold)."""
    from cohandle.stores import export_jsonl, import_jsonl

    exported = io.BytesIO()
    export_jsonl(store, exported)
    moved = MemoryStore()
    import_jsonl(moved, io.BytesIO(exported.getvalue()))
    again = io.BytesIO()
    export_jsonl(moved, again)
    assert again.getvalue() == exported.getvalue()
    assert stores.verify(moved).ok


def test_a_proposer_a_log_holds_with_a_title_is_read_without_it(tmp_path: Path) -> None:
    """A log written when 李明委员 was kept as typed, the proposer acting as 李明委员 too: its
    text stays as it was, and it is read as 李明, the proposer and the actor of the feedback."""
    path = tmp_path / "before.db"
    with sqlite_workflow(path) as wf:
        pid = bring_to(wf, cohandle.Status.ANSWERED)
        wf.record_feedback(pid, feedback=cohandle.Feedback(satisfaction=cohandle.Satisfaction.DISSATISFIED),
                           actor=cohandle.Actor(name="李明"))  # fmt: skip
    written_as_then(path, '"李明"', '"李明委员"')
    with sqlite_workflow(path) as wf:
        assert any('"李明委员"' in r.payload for r in wf.store.records())
        assert any('"李明委员"' in r.actor for r in wf.store.records())
        assert wf.verify(replay=True).ok
        p = wf.get(pid)
        assert p.data.proposer_names == ("李明", "王红")
        assert wf.history(pid)[-1].actor == cohandle.Actor(name="李明")
        assert "李明、王红委员：" in cohandle.letters.render_reply(p.reply, p)  # type: ignore[arg-type]
        wf.order_rehandling(pid, reason="未解决实际问题", actor=A_COMMITTEE)
        moved_and_back(wf.store)


def test_a_unit_a_log_holds_in_another_form_is_read_in_its_kept_form(tmp_path: Path) -> None:
    """A log written when 省人民政府(办公厅) was kept as typed: its text stays as it was (its
    hashes cover it), and it is read as 省人民政府（办公厅）, the unit its officials name now."""
    from helpers import data

    path = tmp_path / "before.db"
    lead = cohandle.Unit(name="省人民政府（办公厅）")
    with sqlite_workflow(path) as wf:
        pid = wf.receive(data(), actor=A_COMMITTEE).id
        wf.assign(pid, lead=lead, actor=A_COMMITTEE)
    written_as_then(path, "（办公厅）", "(办公厅)")
    with sqlite_workflow(path) as wf:
        assert '"name":"省人民政府(办公厅)"' in next(r for r in wf.store.records() if r.version == 2).payload
        assert wf.verify().ok
        assert wf.get(pid).lead == lead and wf.get(pid).lead.name == "省人民政府（办公厅）"  # type: ignore[union-attr]
        officer = cohandle.Actor(name="张伟", unit=cohandle.Unit(name="省人民政府(办公厅)"))
        reply = cohandle.Reply(
            author=lead, category="B", date="2025-03-01", sections=[cohandle.Section(text="现答复如下。")]
        )
        wf.answer(pid, reply=reply, actor=officer)
        moved_and_back(wf.store)
