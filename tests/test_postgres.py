"""The PostgreSQL store against a real server: the shared contract and its own guarantees."""

from __future__ import annotations

import io
from typing import Any

import pytest

import cohandle
from cohandle import AssignmentMode
from cohandle.stores import PostgresStore, StorageError, export_jsonl, import_jsonl
from cohandle.testing import StoreContract
from helpers import A_COMMITTEE, assign, bring_to, receive, workflow


class TestPostgresStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _server(self, postgres_url: str, postgres_schema: str) -> None:
        self.url = postgres_url
        self.schema = postgres_schema
        self.count = 0

    def make_store(self) -> PostgresStore:
        import psycopg

        self.count += 1
        schema = f"{self.schema}_{self.count}"
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        store = PostgresStore(self.url, schema=schema)
        self._created = getattr(self, "_created", [])
        self._created.append(schema)
        return store

    @pytest.fixture(autouse=True)
    def _cleanup(self) -> object:
        yield
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            for schema in getattr(self, "_created", []):
                db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_a_whole_case_on_postgres(postgres_url: str, postgres_schema: str) -> None:
    with cohandle.Workflow.open(postgres_url, schema=postgres_schema, clock=workflow().clock) as wf:
        pid = bring_to(wf, cohandle.Status.CLOSED)
        live = wf.get(pid)
    with cohandle.Workflow.open(postgres_url, schema=postgres_schema) as again:
        assert again.get(pid) == live
        assert again.verify().ok


def test_a_store_opened_to_read_refuses_a_schema_without_a_log_and_makes_nothing(
    postgres_url: str, postgres_schema: str
) -> None:
    import psycopg

    def tables() -> list[str]:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (postgres_schema,))
            return sorted(row[0] for row in rows)

    with pytest.raises(StorageError) as refused:
        cohandle.Workflow.open(postgres_url, schema=postgres_schema, create=False)
    from cohandle.stores._postgres import _safe

    assert str(refused.value) == (
        f"The PostgreSQL schema {postgres_schema!r} at {_safe(postgres_url)} holds no cohandle log, and the "
        "store was opened to read one, not to create it; nothing was changed."
    )
    with psycopg.connect(postgres_url, autocommit=True) as db:
        assert db.execute("SELECT to_regnamespace(%s)", (postgres_schema,)).fetchone() == (None,)
    with cohandle.Workflow.open(postgres_url, schema=postgres_schema, clock=workflow().clock) as wf:
        pid = receive(wf)
    made = tables()
    with cohandle.Workflow.open(postgres_url, schema=postgres_schema, create=False) as reading:
        assert reading.get(pid).version == 1
    assert tables() == made == ["cohandle_events", "cohandle_meta", "cohandle_streams"]
    with pytest.raises(cohandle.InvalidInput, match="create must be True or False"):
        PostgresStore(postgres_url, schema=postgres_schema, create="no")  # type: ignore[arg-type]


def test_a_newer_schema_is_refused(postgres_url: str, postgres_schema: str) -> None:
    import psycopg

    PostgresStore(postgres_url, schema=postgres_schema).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"UPDATE {postgres_schema}.cohandle_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(cohandle.SchemaError, match="newer cohandle"):
        PostgresStore(postgres_url, schema=postgres_schema)


@pytest.fixture
def reading_role(postgres_url: str) -> Any:
    """A role that may log in; gives a function of a schema that lets the role read that
    schema's tables and returns how to connect as it."""
    import uuid

    import psycopg

    role = f"cohandle_reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"CREATE ROLE {role} LOGIN")

    def may_read(schema: str) -> str:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
            db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
        return str(psycopg.conninfo.make_conninfo(postgres_url, user=role))

    yield may_read
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"DROP OWNED BY {role}")
        db.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize("written_by", ["this version", "an earlier store"])
def test_a_role_that_may_only_read_reads_and_verifies_and_may_not_write(
    postgres_url: str, postgres_schema: str, reading_role: Any, written_by: str
) -> None:
    """A report's or an official's role with SELECT alone opens the log, reads and verifies
    it; a command is refused in words, and nothing is written."""
    import psycopg

    with cohandle.Workflow.open(postgres_url, schema=postgres_schema, clock=workflow().clock) as wf:
        pid = bring_to(wf, cohandle.Status.CLOSED, AssignmentMode.LEAD_WITH_CO_HANDLERS)
        written = wf.get(pid)
    if written_by == "an earlier store":  # a schema made before its text was recorded
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute(f"DELETE FROM {postgres_schema}.cohandle_meta WHERE key = 'schema_text'")
    with cohandle.Workflow(PostgresStore(reading_role(postgres_schema), schema=postgres_schema)) as reader:
        assert reader.get(pid) == written
        assert reader.verify().ok
        exported = io.BytesIO()
        assert export_jsonl(reader.store, exported) == len(reader.history(pid))
        with pytest.raises(StorageError, match=r"may read the schema .* but not write to it"):
            receive(reader)
        other = workflow()
        receive(other)
        one = io.BytesIO()
        export_jsonl(other.store, one)
        one.seek(0)
        with pytest.raises(
            StorageError, match=r"Could not import the events into PostgreSQL: this role may read"
        ):
            import_jsonl(reader.store, one)
        assert [p.id for p in reader.proposals()] == [pid]


def test_a_store_opening_a_schema_as_it_writes_it_writes_nothing(
    postgres_url: str, postgres_schema: str
) -> None:
    """Once a store of this version has made the schema, the next opens only read its version
    and text (the append function is not replaced again, no lock is taken)."""
    import psycopg

    PostgresStore(postgres_url, schema=postgres_schema).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        function = f"{postgres_schema}.cohandle_append(text, integer, jsonb)"
        created = db.execute(
            f"SELECT xmin::text FROM pg_proc WHERE oid = '{function}'::regprocedure"
        ).fetchone()
    PostgresStore(postgres_url, schema=postgres_schema).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        again = db.execute(
            f"SELECT xmin::text FROM pg_proc WHERE oid = '{function}'::regprocedure"
        ).fetchone()
    assert again == created


def test_bad_connection_and_schema_names_are_clear(postgres_url: str) -> None:
    with pytest.raises(cohandle.InvalidInput, match="plain lower-case SQL name"):
        PostgresStore(postgres_url, schema="x; DROP TABLE y")
    with pytest.raises(
        cohandle.stores.StorageError,
        match="Could not connect to PostgreSQL at postgresql://nobody:\\*\\*\\*@",
    ):
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none", connect_timeout=1)
    # the password is left out wherever the connection string gives it
    for given in (
        "host=127.0.0.1 port=1 user=nobody password=secret dbname=none",
        "host=127.0.0.1 port=1 user=nobody password='sec ret' dbname=none",
        "postgresql://nobody@127.0.0.1:1/none?password=secret&sslmode=disable",
    ):
        with pytest.raises(cohandle.stores.StorageError) as refused:
            PostgresStore(given, connect_timeout=1)
        assert "password=***" in str(refused.value)
        assert "secret" not in str(refused.value) and "sec ret" not in str(refused.value)


def test_a_schema_named_by_a_word_sql_keeps_for_itself_works(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_advisory_lock(7105)")  # one test run at a time owns these names
        try:
            for name in ("user", "order"):
                try:
                    with cohandle.Workflow.open(postgres_url, schema=name, clock=workflow().clock) as wf:
                        pid = bring_to(wf, cohandle.Status.ASSIGNED)
                        assert wf.verify().ok
                    with cohandle.Workflow.open(postgres_url, schema=name) as again:
                        assert again.get(pid).status is cohandle.Status.ASSIGNED
                finally:
                    admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            admin.execute("SELECT pg_advisory_unlock(7105)")


def test_a_url_no_connection_string_can_hold_is_refused_before_connecting(postgres_url: str) -> None:
    # runs where the other PostgreSQL tests run, for it needs psycopg (not the server).
    # libpq reads a connection string only up to a NUL: it would connect to another database
    with pytest.raises(cohandle.InvalidInput, match="url holds a NUL character") as refused:
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none\x00other")
    assert "secret" not in str(refused.value)
    # a database name typed in a terminal that is not UTF-8 (psycopg raised UnicodeEncodeError)
    with pytest.raises(cohandle.InvalidInput, match="url must be UTF-8 text, but it holds U\\+DCB2"):
        cohandle.Workflow.open("postgresql://nobody@127.0.0.1:1/\udcb2\udce2")


def _drop_connection(store: PostgresStore, url: str) -> None:
    """End the store's server session from outside, as a restart or an idle timeout would,
    and wait (up to 10 s) until it has ended, so that the next call meets a dead session."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(%s, 10000)", (store._db.info.backend_pid,)
        ).fetchone()
        assert ended == (True,)


def _postgres_workflow(url: str, schema: str) -> tuple[cohandle.Workflow, PostgresStore]:
    wf = cohandle.Workflow.open(url, schema=schema, clock=workflow().clock)
    assert isinstance(wf.store, PostgresStore)
    return wf, wf.store


def test_a_dropped_connection_is_opened_again_for_the_next_command(
    postgres_url: str, postgres_schema: str
) -> None:
    wf, store = _postgres_workflow(postgres_url, postgres_schema)
    with wf:
        pid = receive(wf)
        _drop_connection(store, postgres_url)
        wf.file(pid, actor=A_COMMITTEE)  # the write meets the dead session first
        _drop_connection(store, postgres_url)
        assert [e.type for e in wf.history(pid)] == ["ProposalReceived", "ProposalFiled"]  # a read
        _drop_connection(store, postgres_url)
        assign(wf, pid, AssignmentMode.LEAD_WITH_CO_HANDLERS)
        assert wf.get(pid).status is cohandle.Status.ASSIGNED
        assert [e.version for e in wf.history(pid)] == [1, 2, 3]
        assert wf.verify().ok


class _SocketFailsWhileWaiting:
    """The store's connection as psycopg leaves it when the socket fails while it waits for
    the server: "connection socket closed", an ``OperationalError`` with no SQLSTATE, and
    the connection neither ``broken`` nor ``closed``. It happens when the server ends the
    session at the moment a query is sent, so a real server shows it only now and then."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        import psycopg

        raise psycopg.OperationalError("connection socket closed")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@pytest.mark.parametrize("call", ["read", "write"])
def test_a_socket_that_fails_while_waiting_is_a_lost_connection(
    postgres_url: str, postgres_schema: str, call: str
) -> None:
    wf, store = _postgres_workflow(postgres_url, postgres_schema)
    with wf:
        pid = receive(wf)
        failing = store._db
        store._db = _SocketFailsWhileWaiting(failing)
        assert not store._db.broken and not store._db.closed
        if call == "read":
            assert [e.type for e in wf.history(pid)] == ["ProposalReceived"]
        else:
            assert wf.file(pid, actor=A_COMMITTEE).status is cohandle.Status.FILED
        assert failing.closed  # set aside and closed, never used again
        assert store._db is not failing
        assert [e.version for e in wf.history(pid)] == ([1] if call == "read" else [1, 2])
        assert wf.verify().ok


def _commit_then_lose_the_reply(monkeypatch: pytest.MonkeyPatch, method: str, url: str) -> None:
    """Have the store's next call of ``method`` commit, then lose the connection before the
    reply comes, as a server restarting at that moment would."""
    committed = getattr(PostgresStore, method)

    def commit_then_lose(self: PostgresStore, *args: Any) -> None:
        monkeypatch.setattr(PostgresStore, method, committed)  # once
        assert committed(self, *args) is None
        _drop_connection(self, url)
        self._db.execute("SELECT 1")  # no reply comes: psycopg's error, a broken connection
        raise AssertionError("the connection should be gone")

    monkeypatch.setattr(PostgresStore, method, commit_then_lose)


def test_events_committed_before_the_connection_dropped_are_not_recorded_twice(
    postgres_url: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wf, _ = _postgres_workflow(postgres_url, postgres_schema)
    with wf:
        pid = receive(wf)
        _commit_then_lose_the_reply(monkeypatch, "_call_append", postgres_url)
        filed = wf.file(pid, actor=A_COMMITTEE)
        assert filed.status is cohandle.Status.FILED
        assert [e.type for e in wf.history(pid)] == ["ProposalReceived", "ProposalFiled"]
        assert wf.verify().ok


def test_a_merge_whose_connection_dropped_is_recorded_once_on_both_proposals(
    postgres_url: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wf, store = _postgres_workflow(postgres_url, postgres_schema)
    with wf:
        kept, merged, later = receive(wf), receive(wf), receive(wf)
        _drop_connection(store, postgres_url)  # lost before the transaction: made once more
        wf.merge(merged, into=kept, actor=A_COMMITTEE)
        _commit_then_lose_the_reply(monkeypatch, "_call_append_streams", postgres_url)
        assert wf.merge(later, into=kept, actor=A_COMMITTEE).status is cohandle.Status.MERGED
        assert [e.type for e in wf.history(kept)] == ["ProposalReceived", "ItemMergedIn", "ItemMergedIn"]
        assert [e.type for e in wf.history(later)] == ["ProposalReceived", "ProposalMerged"]
        assert [e.type for e in wf.history(merged)] == ["ProposalReceived", "ProposalMerged"]
        assert wf.verify().ok


def test_a_server_that_stays_away_is_a_clear_error_and_the_store_recovers(
    postgres_url: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wf, store = _postgres_workflow(postgres_url, postgres_schema)
    with wf:
        pid = receive(wf)
        _drop_connection(store, postgres_url)
        reconnect = PostgresStore._connect

        def refused(self: PostgresStore) -> Any:
            raise StorageError("Could not connect to PostgreSQL at (the test): refused.")

        monkeypatch.setattr(PostgresStore, "_connect", refused)
        with pytest.raises(StorageError, match=r"lost while recording .* Read the proposal again"):
            wf.file(pid, actor=A_COMMITTEE)
        with pytest.raises(StorageError, match="refused"):
            wf.history(pid)
        monkeypatch.setattr(PostgresStore, "_connect", reconnect)
        wf.file(pid, actor=A_COMMITTEE)
        assert [e.version for e in wf.history(pid)] == [1, 2]


def test_a_closed_store_says_so_and_stays_closed(postgres_url: str, postgres_schema: str) -> None:
    store = PostgresStore(postgres_url, schema=postgres_schema)
    store.close()
    with pytest.raises(StorageError, match="store is closed"):
        store.stream_version("x")


def test_a_role_without_the_grants_to_read_a_log_is_told_which_it_lacks(
    postgres_url: str, postgres_schema: str
) -> None:
    """Without USAGE on the schema, or SELECT on the log's tables, a role is told which grant
    it lacks, as reader or as writer, where it was told "permission denied for schema" or that
    it "may not create or upgrade" a schema that is there."""
    import uuid

    import psycopg

    with cohandle.Workflow.open(postgres_url, schema=postgres_schema, clock=workflow().clock) as wf:
        pid = receive(wf)
    role = f"cohandle_nobody_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
    try:
        url = psycopg.conninfo.make_conninfo(postgres_url, user=role)
        for create in (False, True):
            with pytest.raises(StorageError) as no_usage:
                PostgresStore(url, schema=postgres_schema, create=create)
            assert f"role {role} at " in str(no_usage.value)
            assert f"may not use the schema {postgres_schema!r}: it has no USAGE privilege" in str(
                no_usage.value
            )
            assert f'GRANT USAGE ON SCHEMA "{postgres_schema}" TO {role};' in str(no_usage.value)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"GRANT USAGE ON SCHEMA {postgres_schema} TO {role}")
        for create in (False, True):
            with pytest.raises(StorageError) as no_select:
                PostgresStore(url, schema=postgres_schema, create=create)
            assert "it has no SELECT privilege on its tables" in str(no_select.value)
            assert str(no_select.value).endswith(
                f'GRANT SELECT ON ALL TABLES IN SCHEMA "{postgres_schema}" TO {role}.'
            )
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {postgres_schema} TO {role}")
        with cohandle.Workflow(PostgresStore(url, schema=postgres_schema, create=False)) as reader:
            assert [p.id for p in reader.proposals()] == [pid]
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_a_schema_that_cannot_be_prepared_is_a_storage_error(postgres_url: str) -> None:
    import uuid

    import psycopg

    role = f"cohandle_reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")  # may connect, may create nothing
    try:
        url = psycopg.conninfo.make_conninfo(postgres_url, user=role)
        with pytest.raises(StorageError, match="Could not prepare the schema 'cohandle_denied'") as caught:
            PostgresStore(url, schema="cohandle_denied")
        assert "may not create or upgrade it" in str(caught.value)
        assert "Open it once with a role that may" in str(caught.value)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")


def test_an_import_into_postgres_is_stored_as_it_is_read_all_or_nothing(
    postgres_url: str, postgres_schema: str
) -> None:
    """Into PostgreSQL, too, an import's records are stored a thousand at a time as the file is
    read the second time: a proposal the store has, met after thousands of lines, or a bad
    record met late, leaves nothing of it stored."""
    from cohandle.stores import ImportRefused, import_jsonl
    from helpers import LEAD

    wf = workflow()
    early = bring_to(wf, cohandle.Status.ASSIGNED)
    for _ in range(1_500):
        wf.remind(early, to=LEAD, actor=A_COMMITTEE)
    late = receive(wf)
    whole, only_late = io.BytesIO(), io.BytesIO()
    export_jsonl(wf.store, whole)
    export_jsonl(wf.store, only_late, stream_id=late)
    store = PostgresStore(postgres_url, schema=postgres_schema)
    try:
        only_late.seek(0)
        import_jsonl(store, only_late)
        whole.seek(0)
        with pytest.raises(ImportRefused, match=f"proposal '{late}' is already in the store") as refused:
            import_jsonl(store, whole)
        assert refused.value.line == len(whole.getvalue().splitlines())
        assert [p.event.stream_id for p in store.read_all()] == [late]
        records = [r for r in wf.store.records() if r.stream_id == early]

        def failing() -> Any:
            yield from records[:-1]
            raise ImportRefused(len(records), "found bad late")

        with pytest.raises(ImportRefused, match="found bad late"):
            store.import_records(failing())
        assert [p.event.stream_id for p in store.read_all()] == [late]
        store.import_records(iter(records))
        assert store.heads() == wf.store.heads()
        assert cohandle.stores.verify(store).ok
    finally:
        store.close()


def test_an_import_into_postgres_reads_every_proposal_back_before_it_commits(
    postgres_url: str, postgres_schema: str
) -> None:
    """A file whose chains hold but whose events could not have happened in their order (its
    hashes computed again) is refused at the event's line, and nothing of it stays stored."""
    from cohandle.stores import ImportRefused
    from test_transfer import _closed_at_once, _resealed

    wf = workflow()
    bring_to(wf, cohandle.Status.CLOSED)
    bring_to(wf, cohandle.Status.ANSWERED, AssignmentMode.SEPARATE)
    records, bad = _closed_at_once(list(wf.store.records()))
    store = PostgresStore(postgres_url, schema=postgres_schema)
    try:
        with pytest.raises(
            ImportRefused, match="ProposalClosed cannot happen while the proposal is received"
        ) as refused:
            import_jsonl(store, io.BytesIO(_resealed(records)))
        assert refused.value.line == bad
        assert list(store.read_all()) == [] and store.heads() == {}
        assert import_jsonl(store, io.BytesIO(_resealed(list(wf.store.records())))).streams == 2
    finally:
        store.close()


def test_verify_reads_every_postgres_proposal_back(postgres_url: str, postgres_schema: str) -> None:
    from cohandle.stores import verify
    from test_tamper import _closed_as_soon_as_received

    store = PostgresStore(postgres_url, schema=postgres_schema)
    try:
        pid = _closed_as_soon_as_received(store)
        assert verify(store).ok
        problem = verify(store, replay=True).problem
        assert problem is not None and (problem.stream_id, problem.version) == (pid, 2)
    finally:
        store.close()
