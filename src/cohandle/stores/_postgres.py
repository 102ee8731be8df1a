"""The PostgreSQL store: one log shared by several application servers (``cohandle[postgres]``).

The same contract as the SQLite store:

- every append is one transaction; the stream's version is checked under a row lock, so a
  stale writer gets :class:`~cohandle.ConcurrencyConflict` and nothing is written;
- global positions are given under a transaction-level advisory lock taken just before the
  insert and held to commit, so positions are committed in order: a reader following them
  never skips an event that commits later with a smaller number (as sequence values can);
- each stream's head is kept for :func:`~cohandle.stores.verify`;
- the schema has a version; a newer one is refused.

Tables live in the schema named at construction (``public`` by default).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from typing import Any

import orjson

from cohandle._errors import ConcurrencyConflict, InvalidInput, ProposalExists, SchemaError
from cohandle.stores._integrity import StoredRecord
from cohandle.stores._rows import COLUMNS, RowStore, import_plan, table_ddl
from cohandle.stores._sqlite import SCHEMA_VERSION, StorageError

__all__ = ["PostgresStore"]

_LOCK_KEY = 0x636F68616E646C65  # "cohandle" as a 64-bit advisory lock key


def _schema_sql(schema: str) -> list[str]:
    return [
        f"CREATE SCHEMA IF NOT EXISTS {schema}",
        f"""CREATE TABLE IF NOT EXISTS {schema}.cohandle_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        *table_ddl(
            f"{schema}.cohandle_events", f"{schema}.cohandle_streams", "cohandle_events_by_command", "BIGINT"
        ),
        # One append, one round trip: check the version under the stream's row lock, take the
        # global position under the advisory lock (held to commit), insert, move the head.
        # Returns -1 when stored, else the stream's present version (a conflict).
        f"""
        CREATE OR REPLACE FUNCTION {schema}.cohandle_append(p_stream TEXT, p_expected INTEGER, p_rows JSONB)
        RETURNS INTEGER LANGUAGE plpgsql AS $$
        DECLARE
            present INTEGER;
            first_position BIGINT;
            last_row JSONB := p_rows -> (jsonb_array_length(p_rows) - 1);
        BEGIN
            SELECT version INTO present FROM {schema}.cohandle_streams WHERE stream_id = p_stream FOR UPDATE;
            IF COALESCE(present, 0) <> p_expected THEN
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
    """Events in PostgreSQL. One store (one connection) per process; threads share it."""

    def __init__(self, url: str, *, schema: str = "public", connect_timeout: float = 10.0) -> None:
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
        if not isinstance(schema, str) or not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise InvalidInput("schema", f"must be a plain lower-case SQL name (got {schema!r})")
        if (
            not isinstance(connect_timeout, int | float)
            or isinstance(connect_timeout, bool)
            or not math.isfinite(connect_timeout)
            or connect_timeout <= 0
        ):
            raise InvalidInput(
                "connect_timeout", f"must be a number of seconds above 0 (got {connect_timeout!r})"
            )
        self._psycopg = psycopg
        self.url = url
        self.schema = schema
        self.events = f"{schema}.cohandle_events"
        self.streams = f"{schema}.cohandle_streams"
        self.p = "%s"
        self._lock = threading.RLock()
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(connect_timeout)))
        except psycopg.Error as exc:
            raise StorageError(f"Could not connect to PostgreSQL at {_safe(url)}: {exc}".strip()) from None
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            raise

    def _prepare(self) -> None:
        s = self.schema
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            for statement in _schema_sql(s):
                self._db.execute(statement)
            row = self._db.execute(
                f"SELECT value FROM {s}.cohandle_meta WHERE key = 'schema_version'"
            ).fetchone()
            found = int(row[0]) if row else 0
            if found > SCHEMA_VERSION:
                raise SchemaError(
                    f"The PostgreSQL schema {s!r} was written by a newer cohandle (schema {found}; this version "
                    f"knows {SCHEMA_VERSION}). Upgrade cohandle to use it; nothing was changed."
                )
            if found < SCHEMA_VERSION:
                self._db.execute(
                    f"INSERT INTO {s}.cohandle_meta (key, value) VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (str(SCHEMA_VERSION),),
                )

    def append_records(self, stream_id: str, expected_version: int, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert already serialised rows (the columns after ``position``) in one transaction:
        one call of the schema's ``cohandle_append`` function, one round trip."""
        psycopg = self._psycopg
        with self._lock:
            try:
                row = self._db.execute(
                    f"SELECT {self.schema}.cohandle_append(%s, %s, %s::jsonb)",
                    (stream_id, expected_version, orjson.dumps([list(values) for values in rows]).decode()),
                ).fetchone()
            except psycopg.errors.UniqueViolation:
                raise ConcurrencyConflict(
                    stream_id, expected_version, self.stream_version(stream_id)
                ) from None
            except psycopg.Error as exc:
                raise StorageError(f"Could not record the events in PostgreSQL: {exc}".strip()) from None
        actual = row[0] if row else 0
        if actual != -1:
            raise ConcurrencyConflict(stream_id, expected_version, actual)

    def import_records(self, records: Sequence[StoredRecord]) -> None:
        """Store checked records of new streams in one transaction, all or nothing."""
        s = self.schema
        with self._lock:
            try:
                with self._db.transaction():
                    self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                    for stream_id in dict.fromkeys(record.stream_id for record in records):
                        found = self._db.execute(
                            f"SELECT 1 FROM {s}.cohandle_streams WHERE stream_id = %s", (stream_id,)
                        )
                        if found.fetchone():
                            raise ProposalExists(stream_id)
                    row = self._db.execute(
                        f"SELECT COALESCE(MAX(position), 0) FROM {s}.cohandle_events"
                    ).fetchone()
                    events, streams = import_plan(records, row[0] if row else 0)
                    with self._db.cursor() as cursor:
                        cursor.executemany(
                            f"INSERT INTO {s}.cohandle_events ({COLUMNS}) VALUES "
                            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            events,
                        )
                        cursor.executemany(
                            f"INSERT INTO {s}.cohandle_streams (stream_id, version, head_hash, first_position) "
                            "VALUES (%s, %s, %s, %s)",
                            streams,
                        )
            except self._psycopg.Error as exc:
                raise StorageError(f"Could not import the events into PostgreSQL: {exc}".strip()) from None

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except self._psycopg.Error as exc:
                raise StorageError(f"Could not read the log from PostgreSQL: {exc}".strip()) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _safe(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
