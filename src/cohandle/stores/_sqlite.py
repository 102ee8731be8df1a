"""The SQLite store: the default, an embedded file, safe for several processes on one machine.

- WAL journal, ``synchronous=FULL`` unless asked otherwise, a busy timeout.
- Every append is one ``BEGIN IMMEDIATE`` transaction: the expected version is checked and all
  of a command's events are inserted, or nothing is.
- The global position is the table's integer key. Writers are serialised by SQLite, so
  positions are given in commit order and a reader following them misses nothing.
- Each stream's head (latest version and hash) is kept beside the events, so a truncated
  stream is found by :meth:`verify`.
- The schema has a version (``PRAGMA user_version``); an older one is upgraded, a newer one is
  refused.
- A child process forked after the store was opened never uses its parent's connection: it
  opens its own on the same file at its first call.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cohandle._errors import (
    CohandleError,
    ConcurrencyConflict,
    InvalidInput,
    SchemaError,
    got,
    nameable,
    seconds,
    tilde_hint,
)
from cohandle.stores._base import inherited, refuse_unstorable, reopen_after_fork
from cohandle.stores._rows import InsertMany, Query, RowStore, escaped_text, table_ddl

__all__ = ["SCHEMA_VERSION", "SQLiteStore", "StorageError"]

SCHEMA_VERSION = 1

_SCHEMA = table_ddl("events", "streams", "events_by_command", "INTEGER")


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


@functools.cache
def _schema_columns() -> dict[str, list[str]]:
    """The columns of each table the schema makes (tables of these names with other columns
    are another program's). Made once, when a file without a schema version has tables."""
    db = sqlite3.connect(":memory:")
    try:
        for statement in _SCHEMA:
            db.execute(statement)
        return {table: _columns(db, table) for table in ("events", "streams")}
    finally:
        db.close()


_SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")
_INSERT = (
    "INSERT INTO events (stream_id, version, type, schema, payload, occurred_at, recorded_at, "
    "actor, command_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class StorageError(CohandleError):
    """The database could not do what was asked (locked too long, unreadable, full disk...)."""


def _storage_error(action: str, path: str, exc: sqlite3.Error) -> StorageError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(
            f"Could not {action} in {path}: the database stayed locked by another writer for the whole "
            "busy timeout. Retry, or raise busy_timeout."
        )
    if "not a database" in text or "malformed" in text:
        return StorageError(
            f"Could not {action} in {path}: the file is not a readable cohandle database ({text})."
        )
    if "readonly" in text:  # SQLITE_READONLY: "attempt to write a readonly database"
        return StorageError(f"Could not {action} in {path}: {_not_writable(path)} ({text}).")
    # an error made by hand (a test's, a wrapper's) has no code, only its words
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or text == "database or disk is full":
        return StorageError(
            f"Could not {action} in {path}: the disk that holds it is full, or the log has reached "
            f"the size it may not grow beyond; nothing was written ({text}). Free space on that "
            "disk and try again."
        )
    return StorageError(f"Could not {action} in {path}: {text}.")


def _not_writable(path: str) -> str:
    """Why this user cannot write what SQLite must write for ``path``, in words."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.access(folder, os.W_OK):
        why = (
            f"this user may not write to {'the file nor to ' if not os.access(path, os.W_OK) else ''}"
            f"its folder {folder}, where SQLite keeps the files that a log in WAL mode needs "
            "beside it (-wal, -shm), even to read"
        )
    elif not os.access(path, os.W_OK):
        why = "this user may read the file but not write to it"
    else:
        blocked = [path + end for end in ("-wal", "-shm") if os.path.exists(path + end)]
        blocked = [name for name in blocked if not os.access(name, os.W_OK)]
        if not blocked:
            return "SQLite found the file or the files beside it read-only"
        why = (
            f"{' and '.join(blocked)} beside it may not be written by this user (a user that may "
            "only read the log leaves them so; remove them while no process has the log open)"
        )
    return f"{why}. Run the command as the user that writes the log, or on a copy of the file"


def _absolute(path: str) -> str:
    try:
        return os.path.abspath(path)
    except FileNotFoundError:  # the working folder was removed: a relative name names nothing
        raise InvalidInput(
            "path", f"is relative ({path}), and the folder this process works in no longer exists"
        ) from None


class SQLiteStore(RowStore):
    """Events in one SQLite file. Share one store between threads. A process forked after the
    store was opened gets its own connection at its first call. The file is made, and the log's
    tables in it, unless ``create`` is False: then a missing file or an empty database is
    refused with :class:`StorageError`, and nothing is written. A relative ``path`` is taken
    from the working folder when the store is opened, and kept in full (:attr:`path`), so a
    child that has changed its folder since opens the same file."""

    # the JSON read as SQLite keeps it, UTF-8: as text it would be decoded, then encoded again
    decoded = (
        "position, stream_id, version, type, schema, CAST(payload AS BLOB), occurred_at, "
        "recorded_at, CAST(actor AS BLOB), command_id, prev_hash, hash"
    )

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        busy_timeout: float = 10.0,
        create: bool = True,
    ) -> None:
        named = os.fspath(path) if isinstance(path, str | os.PathLike) else None
        if not isinstance(named, str) or not named:
            raise InvalidInput("path", f"must name a database file, or be ':memory:' (got {path!r})")
        nameable("path", named)
        if not isinstance(synchronous, str) or synchronous.upper() not in _SYNCHRONOUS:
            raise InvalidInput(
                "synchronous", f"must be one of {', '.join(_SYNCHRONOUS)} (got {synchronous!r})"
            )
        self._busy_timeout = seconds("busy_timeout", busy_timeout, zero_allowed=True)
        if not isinstance(create, bool):
            raise InvalidInput("create", f"must be True or False (got {got(create)})")
        self._create_log = create
        # in full: a process forked from this one opens the file again, perhaps after changing
        # its working folder (as a daemon does), and must open this file, not make another
        self.path = named if named == ":memory:" else _absolute(named)
        self.synchronous = synchronous.upper()
        self._lock = threading.RLock()
        self._closed = False
        if self.path != ":memory:" and not Path(self.path).parent.exists():
            raise InvalidInput(
                "path",
                f"names a folder that does not exist: {Path(named).parent}{tilde_hint(named)}",
            )
        if Path(self.path).is_dir():
            raise InvalidInput("path", f"names a folder, not a database file: {self.path}")
        if not create and self.path != ":memory:" and not Path(self.path).is_file():
            raise StorageError(
                f"{self.path} holds no cohandle log: there is no such file, and the store was opened "
                f"to read one, not to create it{tilde_hint(named)}."
            )
        self._db: sqlite3.Connection | None = self._open()
        reopen_after_fork(self)

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _storage_error("open the database", self.path, exc) from None
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            self._prepare(db)
        except sqlite3.Error as exc:
            db.close()
            raise _storage_error("open the database", self.path, exc) from None
        except CohandleError:
            db.close()
            raise
        return db

    def _after_fork(self) -> None:
        """In a child process: the parent's connection is set aside and the next call opens
        this process's own on the same file."""
        inherited(self._db)
        self._db = None
        self._lock = threading.RLock()

    def _connection(self) -> sqlite3.Connection:
        """This process's connection; called with the lock held."""
        if self._db is None:
            if self._closed:
                raise StorageError(f"The store on {self.path} is closed; open a new one.")
            if self.path == ":memory:":
                raise StorageError(
                    "An in-memory SQLite store belongs to the process that opened it, and this is a "
                    "process forked from it; give the store a file to share it between processes."
                )
            self._db = self._open()
        return self._db

    def _prepare(self, db: sqlite3.Connection) -> None:
        found = db.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise SchemaError(
                f"{self.path} was written by a newer cohandle (schema {found}; this version knows "
                f"{SCHEMA_VERSION}). Upgrade cohandle to open it; nothing was changed."
            )
        if found == 0:  # a new file, or another program's: nothing is changed before this is known
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables - {"events", "streams"} or any(
                _columns(db, table) != _schema_columns()[table] for table in tables
            ):
                raise SchemaError(
                    f"{self.path} is a SQLite database of something else (tables: {', '.join(sorted(tables))}); "
                    "nothing was changed."
                )
            if not tables and not self._create_log:
                raise StorageError(
                    f"{self.path} holds no cohandle log (it is an empty database), and the store was "
                    "opened to read one, not to create it; nothing was changed."
                )
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal" and self.path != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {self.synchronous}")
        if found < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # -- writing -------------------------------------------------------------------------------

    def _write(self, action: str, work: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` transaction: committed whole, or rolled back
        and, for a SQLite error, raised as a :class:`StorageError` that says what failed."""
        with self._lock:
            db = self._connection()
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _storage_error("start a write", self.path, exc) from None
            try:
                work(db)
                db.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _storage_error(action, self.path, exc) from None
                raise

    def _append_rows(self, stream_id: str, expected_version: int, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert already serialised rows (the columns after ``position``) in one transaction.

        The rows are taken as they are: only :meth:`append`, which checks its events, and the
        workflow, which has just sealed them, call this."""
        if not rows:
            return
        refuse_unstorable(stream_id, expected_version, rows[0][8])
        self._write("record the events", lambda db: self._insert(db, stream_id, expected_version, rows))

    def _append_streams_rows(self, appends: Sequence[tuple[str, int, Sequence[tuple[Any, ...]]]]) -> None:
        """Insert the rows of several streams in one transaction, all or none."""
        for stream_id, expected_version, rows in appends:
            refuse_unstorable(stream_id, expected_version, rows[0][8])

        def append(db: sqlite3.Connection) -> None:
            for stream_id, expected_version, rows in appends:
                self._insert(db, stream_id, expected_version, rows)

        self._write("record the events", append)

    def _insert(
        self, db: sqlite3.Connection, stream_id: str, expected_version: int, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Within a write: check the stream's version, insert its rows and move its head."""
        last = rows[-1]
        if expected_version:
            # the checks of the version and of the hash the first row names as the one before
            # it, and the head's move, in one statement
            moved = db.execute(
                "UPDATE streams SET version = ?, head_hash = ? WHERE stream_id = ? AND version = ? AND head_hash = ?",
                (last[1], last[10], stream_id, expected_version, rows[0][9]),
            ).rowcount
            if moved != 1:
                raise ConcurrencyConflict(stream_id, expected_version, self._version(db, stream_id))
        try:
            if len(rows) == 1:
                db.execute(_INSERT, rows[0])
            else:
                db.executemany(_INSERT, rows)
            if not expected_version:  # a new stream: its head row must not exist yet
                first = db.execute("SELECT last_insert_rowid()").fetchone()[0] - len(rows) + 1
                db.execute(
                    "INSERT INTO streams (stream_id, version, head_hash, first_position) VALUES (?, ?, ?, ?)",
                    (stream_id, last[1], last[10], first),
                )
        except sqlite3.IntegrityError:  # the version is taken: another writer came first
            raise ConcurrencyConflict(stream_id, expected_version, self._version(db, stream_id)) from None

    @staticmethod
    def _version(db: sqlite3.Connection, stream_id: str) -> int:
        row = db.execute("SELECT version FROM streams WHERE stream_id = ?", (stream_id,)).fetchone()
        return int(row[0]) if row else 0

    def _importing(self, work: Callable[[Query, InsertMany], None]) -> None:
        def run(db: sqlite3.Connection) -> None:
            def insert_many(sql: str, rows: list[tuple[Any, ...]]) -> None:
                db.executemany(sql, rows)

            work(lambda sql, args: db.execute(sql, args).fetchall(), insert_many)

        self._write("import the events", run)

    # -- reading -------------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            db = self._connection()
            try:
                try:
                    return db.execute(sql, args).fetchall()
                except sqlite3.OperationalError as exc:
                    if not str(exc).startswith("Could not decode to UTF-8"):
                        raise
                # text whose bytes are not UTF-8, as a damaged file or a hand leaves it: read
                # with each such byte as a lone surrogate, for the reading to name the event
                db.text_factory = escaped_text
                try:
                    return db.execute(sql, args).fetchall()
                finally:
                    db.text_factory = str
            except sqlite3.Error as exc:
                raise _storage_error("read the log", self.path, exc) from None

    def integrity_check(self) -> bool:
        """SQLite's own ``PRAGMA integrity_check`` of the file."""
        return bool(self._query("PRAGMA integrity_check")[0][0] == "ok")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None
