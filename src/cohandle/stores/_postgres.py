"""The PostgreSQL store: one log shared by several application servers (``cohandle[postgres]``).

The same contract as the SQLite store:

- every append is one transaction; the stream's version is checked under a row lock, so a
  stale writer gets :class:`~cohandle.ConcurrencyConflict` and nothing is written;
- global positions are given under a transaction-level advisory lock taken just before the
  insert and held to commit, so positions are committed in order: a reader following them
  never skips an event that commits later with a smaller number (as sequence values can);
- each stream's head is kept for :func:`~cohandle.stores.verify`;
- the schema has a version; a newer one is refused;
- a connection the server drops is opened again at the next call, and a forked child process
  opens its own rather than talk on its parent's.

Tables live in the schema named at construction (``public`` by default).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from cohandle._errors import (
    ConcurrencyConflict,
    InvalidInput,
    SchemaError,
    got,
    lone_surrogate,
    seconds,
)
from cohandle.stores._base import id_argument, inherited, refuse_unstorable, reopen_after_fork
from cohandle.stores._rows import InsertMany, Query, RowStore, table_ddl
from cohandle.stores._sqlite import SCHEMA_VERSION, StorageError

__all__ = ["PostgresStore"]

_LOCK_KEY = 0x636F68616E646C65  # "cohandle" as a 64-bit advisory lock key

_Appends = Sequence[tuple[str, int, Sequence[tuple[Any, ...]]]]
_Conflict = tuple[str, int, int]  # the stream, the version expected, the version present


class _RollBack(Exception):
    """Raised inside a transaction to roll it back."""


def _schema_sql(schema: str) -> list[str]:
    return [
        f"CREATE SCHEMA IF NOT EXISTS {schema}",
        f"""CREATE TABLE IF NOT EXISTS {schema}.cohandle_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        *table_ddl(
            f"{schema}.cohandle_events", f"{schema}.cohandle_streams", "cohandle_events_by_command", "BIGINT"
        ),
        # One append, one round trip: check the version, and the hash the first row names as
        # the one before it, under the stream's row lock, take the global position under the
        # advisory lock (held to commit), insert, move the head. Returns -1 when stored, else
        # the stream's present version (a conflict).
        f"""
        CREATE OR REPLACE FUNCTION {schema}.cohandle_append(p_stream TEXT, p_expected INTEGER, p_rows JSONB)
        RETURNS INTEGER LANGUAGE plpgsql AS $$
        DECLARE
            present INTEGER;
            head TEXT;
            first_position BIGINT;
            last_row JSONB := p_rows -> (jsonb_array_length(p_rows) - 1);
        BEGIN
            SELECT version, head_hash INTO present, head
            FROM {schema}.cohandle_streams WHERE stream_id = p_stream FOR UPDATE;
            IF COALESCE(present, 0) <> p_expected OR head <> (p_rows -> 0 ->> 9) THEN
                RETURN COALESCE(present, 0);
            END IF;
            PERFORM pg_advisory_xact_lock({_LOCK_KEY});
            SELECT COALESCE(MAX(position), 0) + 1 INTO first_position FROM {schema}.cohandle_events;
            INSERT INTO {schema}.cohandle_events
                (position, stream_id, version, type, schema, payload, occurred_at, recorded_at, actor,
                 command_id, prev_hash, hash)
            SELECT first_position + r.ordinality - 1, p_stream, (r.value ->> 1)::INTEGER, r.value ->> 2,
                   (r.value ->> 3)::INTEGER, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7,
                   r.value ->> 8, r.value ->> 9, r.value ->> 10
            FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS r(value, ordinality);
            IF present IS NULL THEN
                INSERT INTO {schema}.cohandle_streams (stream_id, version, head_hash, first_position)
                VALUES (p_stream, (last_row ->> 1)::INTEGER, last_row ->> 10, first_position);
            ELSE
                UPDATE {schema}.cohandle_streams SET version = (last_row ->> 1)::INTEGER, head_hash = last_row ->> 10
                WHERE stream_id = p_stream;
            END IF;
            RETURN -1;
        END
        $$""",
    ]


class PostgresStore(RowStore):
    """Events in PostgreSQL, over one connection that the threads of a process share. A
    process forked after the store was opened gets its own connection at its first call. The
    log's tables are made in ``schema`` (and the schema itself), unless ``create`` is False:
    then a schema that holds no cohandle log is refused with :class:`StorageError`, and
    nothing is written."""

    def __init__(
        self, url: str, *, schema: str = "public", connect_timeout: float = 10.0, create: bool = True
    ) -> None:
        try:
            import psycopg
        except ImportError:
            raise InvalidInput(
                "url", "names a PostgreSQL database, which needs psycopg: pip install 'cohandle[postgres]'"
            ) from None
        if not isinstance(url, str) or not url.strip():
            raise InvalidInput(
                "url", f"must be a postgresql:// URL or a libpq connection string (got {url!r})"
            )
        if "\x00" in url:  # libpq would read the URL only up to it, and connect elsewhere
            raise InvalidInput(
                "url", f"holds a NUL character, which no connection string can hold (got {_safe(url)!r})"
            )
        surrogate = lone_surrogate(url)
        if surrogate is not None:  # a database name typed in a terminal that is not UTF-8
            raise InvalidInput("url", f"must be UTF-8 text, but it {surrogate} (got {_safe(url)!r})")
        if not isinstance(schema, str) or not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise InvalidInput("schema", f"must be a plain lower-case SQL name (got {schema!r})")
        if schema == "information_schema" or schema.startswith("pg_"):  # the server took the first
            raise InvalidInput(
                "schema",
                f"names one of PostgreSQL's own schemas, which hold the server's catalog, not a log (got {schema!r})",
            )
        timeout = seconds("connect_timeout", connect_timeout, zero_allowed=False)
        if not isinstance(create, bool):
            raise InvalidInput("create", f"must be True or False (got {got(create)})")
        self._create_log = create
        self._psycopg = psycopg
        self.url = url
        self.schema = schema
        self._quoted = quoted = f'"{schema}"'  # so a name SQL keeps for itself (user, order) works too
        self.events = f"{quoted}.cohandle_events"
        self.streams = f"{quoted}.cohandle_streams"
        self.p = "%s"
        self._lock = threading.RLock()
        self._connect_timeout = max(1, int(timeout))
        self._closed = False
        self._db: Any = self._connect()
        try:
            self._prepare()
        except psycopg.Error as exc:
            self._db.close()
            raise StorageError(
                f"Could not prepare the schema {schema!r} in PostgreSQL: {exc}".strip()
            ) from None
        except BaseException:
            self._db.close()
            raise
        reopen_after_fork(self)

    def _after_fork(self) -> None:
        """In a child process: the parent's connection is set aside, never used or closed
        here (closing it would end the parent's session); the next call opens this process's."""
        inherited(self._db)
        self._db = None
        self._lock = threading.RLock()

    def _connect(self) -> Any:
        try:
            return self._psycopg.connect(self.url, autocommit=True, connect_timeout=self._connect_timeout)
        except self._psycopg.Error as exc:
            raise StorageError(
                f"Could not connect to PostgreSQL at {_safe(self.url)}: {exc}".strip()
            ) from None

    def _live(self) -> Any:
        """The connection, opened again if the server dropped it (a restart, a failover, an
        idle-session timeout): one lost connection costs at most the call it broke, never the
        store. Called with the lock held."""
        if self._closed:
            raise StorageError("This PostgreSQL store is closed; open a new one.")
        if self._db is None or self._db.closed:
            self._db = self._connect()
        return self._db

    def _lost(self, db: Any, exc: Exception) -> bool:
        """Whether ``exc`` means the connection was lost; if so it is closed, and the next
        :meth:`_live` opens another. Most losses leave the connection ``broken``. Some do not:
        psycopg's "connection socket closed", raised when the socket fails while it waits,
        leaves libpq's status as it was. A server's error always carries an SQLSTATE, so an
        ``OperationalError`` without one is the connection's own failure, and the connection
        is not used again. Called with the lock held."""
        if db.broken:
            return True
        if isinstance(exc, self._psycopg.OperationalError) and exc.sqlstate is None:
            db.close()
            return True
        return False

    def _prepare(self) -> None:
        """Create or upgrade the schema, unless it is as this version writes it already: then
        nothing is written, and a role that may only read the tables (a report's, an
        official's) opens it as well. The schema's text is kept beside its version, so a change
        to the append function is made by the first store of a new version to open it."""
        s = self._quoted
        statements = _schema_sql(s)
        digest = hashlib.sha256("\n".join(statements).encode()).hexdigest()
        if self._schema_recorded() == (str(SCHEMA_VERSION), digest):
            return
        self._refuse_unusable_schema()
        if (
            not self._create_log
            and self._db.execute("SELECT to_regclass(%s) IS NULL", (f"{s}.cohandle_meta",)).fetchone()[0]
        ):
            raise StorageError(
                f"The PostgreSQL schema {self.schema!r} at {_safe(self.url)} holds no cohandle log, and "
                "the store was opened to read one, not to create it; nothing was changed."
            )
        try:
            self._create(statements, digest)
        except self._psycopg.errors.InsufficientPrivilege as exc:
            version = self._schema_recorded()[0]
            if version is not None and int(version) == SCHEMA_VERSION:
                return  # this role may read the schema, not change it; its writes will say so
            raise StorageError(
                f"Could not prepare the schema {self.schema!r} in PostgreSQL: this role may not create "
                f"or upgrade it ({exc}). Open it once with a role that may (the one the OA servers "
                "write with); then this one can read it."
            ) from None

    def _refuse_unusable_schema(self) -> None:
        """A schema this role has no USAGE on, or a log in it whose tables it may not read, is
        named so, with the grant it needs: PostgreSQL would say only "permission denied" (or,
        as the store goes on to make the schema, "permission denied for database")."""
        row = self._db.execute(
            "SELECT quote_ident(current_user), has_schema_privilege(n.oid, 'USAGE'), "
            "(SELECT has_table_privilege(c.oid, 'SELECT') FROM pg_class c "
            "WHERE c.relnamespace = n.oid AND c.relname = 'cohandle_meta') "
            "FROM pg_namespace n WHERE n.nspname = %s",
            (self.schema,),
        ).fetchone()
        if row is None:
            return
        role, usage, select = row
        grant_select = f"GRANT SELECT ON ALL TABLES IN SCHEMA {self._quoted} TO {role}"
        if not usage:
            raise StorageError(
                f"The PostgreSQL role {role} at {_safe(self.url)} may not use the schema "
                f"{self.schema!r}: it has no USAGE privilege on it, so it can neither read a log there "
                f"nor make one; nothing was changed. Grant it, as the schema's owner: GRANT USAGE ON "
                f"SCHEMA {self._quoted} TO {role}; and, for a role that reads, {grant_select}."
            )
        if select is False:
            raise StorageError(
                f"The PostgreSQL role {role} at {_safe(self.url)} may not read the cohandle log in the "
                f"schema {self.schema!r}: it has no SELECT privilege on its tables; nothing was "
                f"changed. Grant it, as the schema's owner: {grant_select}."
            )

    def _schema_recorded(self) -> tuple[str | None, str | None]:
        """The schema version and text recorded in the schema; (None, None) when it has none
        yet or this role may not read them."""
        s = self._quoted
        try:
            with self._db.transaction():
                rows = dict(
                    self._db.execute(
                        f"SELECT key, value FROM {s}.cohandle_meta WHERE key IN ('schema_version', 'schema_text')"
                    ).fetchall()
                )
        except (
            self._psycopg.errors.UndefinedTable,
            self._psycopg.errors.InvalidSchemaName,
            self._psycopg.errors.InsufficientPrivilege,
        ):
            return None, None
        return rows.get("schema_version"), rows.get("schema_text")

    def _create(self, statements: list[str], digest: str) -> None:
        s = self._quoted
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            for statement in statements:
                self._db.execute(statement)
            row = self._db.execute(
                f"SELECT value FROM {s}.cohandle_meta WHERE key = 'schema_version'"
            ).fetchone()
            found = int(row[0]) if row else 0
            if found > SCHEMA_VERSION:
                raise SchemaError(
                    f"The PostgreSQL schema {self.schema!r} was written by a newer cohandle (schema {found}; this version "
                    f"knows {SCHEMA_VERSION}). Upgrade cohandle to use it; nothing was changed."
                )
            for key, value in (("schema_version", str(SCHEMA_VERSION)), ("schema_text", digest)):
                self._db.execute(
                    f"INSERT INTO {s}.cohandle_meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (key, value),
                )

    def _append_rows(self, stream_id: str, expected_version: int, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert already serialised rows (the columns after ``position``) in one transaction:
        one call of the schema's ``cohandle_append`` function, one round trip.

        If the connection is lost during the call, the events may or may not have been
        committed. The store connects again and looks: events found with this call's hashes
        were recorded (the call succeeds); a stream still at ``expected_version`` was not
        (the call is made once more); anything else is a conflict. Nothing is recorded twice.
        """
        if not rows:
            return
        refuse_unstorable(stream_id, expected_version, rows[0][8])
        self._settle([(stream_id, expected_version, rows)], self._call_append)

    def _append_streams_rows(self, appends: Sequence[tuple[str, int, Sequence[tuple[Any, ...]]]]) -> None:
        """Insert the rows of several streams in one transaction, all or none; a lost
        connection is settled as for one stream (:meth:`_append_rows`), over all of them."""
        for stream_id, expected_version, rows in appends:
            refuse_unstorable(stream_id, expected_version, rows[0][8])
        self._settle(appends, self._call_append_streams)

    def _settle(self, appends: _Appends, call: Callable[[Any, _Appends], _Conflict | None]) -> None:
        """Make ``call`` and raise the conflict it finds; settle a lost connection."""
        with self._lock:
            db = self._live()
            try:
                conflict = call(db, appends)
            except self._psycopg.Error as exc:  # only a lost connection comes out as psycopg's own
                conflict = self._after_lost_append(appends, call, exc)
        if conflict is not None:
            raise ConcurrencyConflict(*conflict)

    def _call_append(self, db: Any, appends: _Appends) -> _Conflict | None:
        """Append one stream's rows in one call. None when stored, else the conflict: the
        stream, the expected and the present version. A SQL error other than a lost
        connection is raised as :class:`StorageError`; a lost connection, as psycopg's own."""
        ((stream_id, expected_version, rows),) = appends
        psycopg = self._psycopg
        try:
            present = self._append_call(db, stream_id, expected_version, rows)
        except psycopg.errors.UniqueViolation:  # a new stream, created by another writer first
            return stream_id, expected_version, self.stream_version(stream_id)
        except psycopg.Error as exc:
            if self._lost(db, exc):
                raise
            raise self._write_error(exc) from None
        return None if present == -1 else (stream_id, expected_version, present)

    def _call_append_streams(self, db: Any, appends: _Appends) -> _Conflict | None:
        """Append several streams' rows in one transaction, as :meth:`_call_append` does one's.

        The streams' rows are locked first, in one order, before any call takes the advisory
        lock: a writer holding it never waits for a stream row, so no two writers deadlock."""
        psycopg = self._psycopg
        found: _Conflict | None = None
        try:
            with db.transaction():
                db.execute(
                    f"SELECT 1 FROM {self.streams} WHERE stream_id = ANY(%s) ORDER BY stream_id FOR UPDATE",
                    ([stream_id for stream_id, _, _ in appends],),
                )
                for stream_id, expected_version, rows in appends:
                    present = self._append_call(db, stream_id, expected_version, rows)
                    if present != -1:
                        found = (stream_id, expected_version, present)
                        raise _RollBack
        except _RollBack:
            return found
        except psycopg.errors.UniqueViolation:  # a new stream, created by another writer first
            for stream_id, expected_version, _ in appends:
                present = self.stream_version(stream_id)
                if present != expected_version:
                    return stream_id, expected_version, present
            raise StorageError(
                "Could not record the events in PostgreSQL: another writer was creating one of their "
                "streams at the same moment, and nothing was recorded. Read the proposals again and "
                "retry the command."
            ) from None
        except psycopg.Error as exc:
            if self._lost(db, exc):
                raise
            raise self._write_error(exc) from None
        return None

    def _write_error(
        self, exc: Exception, action: str = "record the events in", suffix: str = ""
    ) -> StorageError:
        if isinstance(exc, self._psycopg.errors.InsufficientPrivilege):
            denied = str(exc).strip().splitlines()[0]  # without the function's CONTEXT lines
            return StorageError(
                f"Could not {action} PostgreSQL: this role may read the schema {self.schema!r} but "
                f"not write to it ({denied}). Writing needs the role the OA servers write with."
            )
        return StorageError(f"Could not {action} PostgreSQL: {str(exc).strip()}{suffix}")

    def _append_call(
        self, db: Any, stream_id: str, expected_version: int, rows: Sequence[tuple[Any, ...]]
    ) -> int:
        """One call of ``cohandle_append``: -1 when stored, else the stream's present version."""
        row = db.execute(
            f"SELECT {self._quoted}.cohandle_append(%s, %s, %s::jsonb)",
            (stream_id, expected_version, orjson.dumps([list(values) for values in rows]).decode()),
        ).fetchone()
        return int(row[0]) if row else 0

    def _after_lost_append(
        self, appends: _Appends, call: Callable[[Any, _Appends], _Conflict | None], lost: Exception
    ) -> _Conflict | None:
        """Settle an append whose connection was lost: see :meth:`_append_rows`."""
        names = " and ".join(repr(stream_id) for stream_id, _, _ in appends)
        unknown = f"The connection to PostgreSQL was lost while recording the events of {names} ({str(lost).strip()})"
        try:
            db = self._live()
        except StorageError as exc:
            raise StorageError(
                f"{unknown}, and could not be opened again to see whether they were recorded ({exc}). "
                "Read the proposal again before retrying the command."
            ) from None
        try:
            if self._recorded(db, appends):
                return None  # committed before the connection dropped
            conflict = call(db, appends)
            # a conflict may be the lost call itself, committed late by its server session
            if conflict is not None and self._recorded(db, appends):
                return None
            return conflict
        except self._psycopg.Error as exc:
            raise StorageError(
                f"{unknown}, and again on a new connection ({str(exc).strip()}). "
                "Read the proposal again before retrying the command."
            ) from None

    def _recorded(self, db: Any, appends: _Appends) -> bool:
        """Whether each stream holds exactly its rows after its expected version: the same
        versions with the same hashes, which cover every byte of each event."""
        for stream_id, expected_version, rows in appends:
            stored = db.execute(
                f"SELECT version, hash FROM {self.events} WHERE stream_id = %s AND version > %s "
                "ORDER BY version LIMIT %s",
                (stream_id, expected_version, len(rows)),
            ).fetchall()
            if [tuple(found) for found in stored] != [(values[1], values[10]) for values in rows]:
                return False
        return True

    def _importing(self, work: Callable[[Query, InsertMany], None]) -> None:
        with self._lock:
            db = self._live()

            def query(sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
                rows: list[tuple[Any, ...]] = db.execute(sql, args).fetchall()
                return rows

            def insert_many(sql: str, rows: list[tuple[Any, ...]]) -> None:
                with db.cursor() as cursor:
                    cursor.executemany(sql, rows)

            try:
                with db.transaction():
                    db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                    work(query, insert_many)
            except self._psycopg.Error as exc:
                lost = (
                    ". The connection was lost, so whether the import was committed is unknown: "
                    "importing the same file again is refused with ProposalExists if it was."
                    if self._lost(db, exc)
                    else "."
                )
                raise self._write_error(exc, "import the events into", lost) from None

    def _never_held(self, field: str, value: object) -> bool:
        """PostgreSQL's text holds no NUL either, and refuses one as a parameter."""
        return "\x00" in id_argument(field, value) or super()._never_held(field, value)

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            for attempt in (1, 2):
                db = self._live()
                try:
                    rows: list[tuple[Any, ...]] = db.execute(sql, args).fetchall()
                    return rows
                except self._psycopg.Error as exc:
                    if attempt == 1 and self._lost(db, exc):
                        continue  # the connection was lost: a read is safe to make again
                    raise StorageError(f"Could not read the log from PostgreSQL: {exc}".strip()) from None
            raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()


def _safe(url: str) -> str:
    """The URL or connection string without its password, wherever it is given: after the user
    name in a URL, as a URL's ``password`` parameter, or as a ``password=`` keyword."""
    url = re.sub(r"://([^:/@]*):[^/]*@", r"://\1:***@", url)
    return re.sub(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]+)", r"\1***", url)
