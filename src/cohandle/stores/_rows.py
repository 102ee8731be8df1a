"""What the SQL stores share: the columns, decoding rows, and every read.

A subclass names its tables and its placeholder, runs queries through ``_query`` and writes
through ``_append_rows`` and ``import_records``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Self

import orjson

from cohandle._errors import (
    ChainBroken,
    CohandleError,
    InvalidInput,
    ProposalExists,
    SchemaError,
    got,
    iterable,
    lone_surrogate,
    whole_number,
)
from cohandle._events import (
    RecordedEvent,
    actor_from_text,
    event_from_dict,
    parse_hash,
    parse_time,
    record_misfit,
)
from cohandle.stores._base import (
    Positioned,
    appended,
    appended_streams,
    id_argument,
    position_argument,
    refuse_unsealed,
    refuse_unstorable,
)
from cohandle.stores._columns import times_of
from cohandle.stores._integrity import StoredRecord, record_of

__all__ = ["COLUMNS", "RowStore", "decode_record", "decode_stream", "table_ddl"]

COLUMNS = "position, stream_id, version, type, schema, payload, occurred_at, recorded_at, actor, command_id, prev_hash, hash"


def table_ddl(events: str, streams: str, index: str, position_type: str) -> list[str]:
    """The tables every SQL store keeps: the events (one row each, keyed by global position), an
    index of command ids, and each stream's head."""
    return [
        f"""
        CREATE TABLE IF NOT EXISTS {events} (
            position    {position_type} PRIMARY KEY,
            stream_id   TEXT NOT NULL,
            version     INTEGER NOT NULL,
            type        TEXT NOT NULL,
            schema      INTEGER NOT NULL,
            payload     TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            actor       TEXT NOT NULL,
            command_id  TEXT,
            prev_hash   TEXT NOT NULL,
            hash        TEXT NOT NULL,
            UNIQUE (stream_id, version)
        )""",
        f"CREATE INDEX IF NOT EXISTS {index} ON {events} (command_id) WHERE command_id IS NOT NULL",
        f"""
        CREATE TABLE IF NOT EXISTS {streams} (
            stream_id      TEXT PRIMARY KEY,
            version        INTEGER NOT NULL,
            head_hash      TEXT NOT NULL,
            first_position {position_type} NOT NULL
        )""",
    ]


def decode_record(
    record: StoredRecord, previous: RecordedEvent | None = None, previous_text: str = ""
) -> RecordedEvent:
    """Decode one stored row; a row that cannot be read raises :class:`SchemaError`.

    Given the stream's ``previous`` event and the text of its hash, its digest is shared rather
    than parsed again. The payload and the actor may come as their text's UTF-8 bytes.
    """
    try:
        try:
            payload = orjson.loads(record.payload)
        except orjson.JSONDecodeError as exc:
            raise SchemaError(
                f"Stored event {record.stream_id!r} version {record.version} is not valid JSON ({exc})."
            ) from None
        if payload.__class__ is not dict:
            raise SchemaError(
                f"Stored event {record.stream_id!r} version {record.version} has a payload that is not an object."
            )
        algorithm, digest = parse_hash(record.hash)
        if previous is not None and record.prev_hash == previous_text:
            prev = previous.hash
        else:
            prev = parse_hash(record.prev_hash)[1] if record.prev_hash else b""
        recorded = parse_time(record.recorded_at)
        occurred = recorded if record.occurred_at == record.recorded_at else parse_time(record.occurred_at)
        event: RecordedEvent = _record(
            RecordedEvent,
            (
                record.stream_id,
                record.version,
                event_from_dict(record.type, record.schema, payload),
                occurred,
                recorded,
                actor_from_text(record.actor),
                record.command_id,
                prev,
                digest,
                algorithm,
            ),
        )
    except (TypeError, AttributeError, ValueError) as exc:  # a value no cohandle store writes
        if isinstance(exc, CohandleError):
            raise
        raise SchemaError(
            f"Stored event {record.stream_id!r} version {record.version!r} cannot be read: "
            f"{record_misfit(_as_stored(record)) or exc}."
        ) from None
    return event


def escaped_text(data: bytes) -> str:
    """``data`` as UTF-8 text, each byte that is not UTF-8 a lone surrogate (as a damaged file or
    a hand leaves text), for a reading to name where it is rather than stop."""
    return data.decode(errors="surrogateescape")


def _as_stored(record: StoredRecord) -> StoredRecord:
    """The row with a payload and an actor read as UTF-8 bytes (``RowStore.decoded``) as the
    text they are stored as (a byte that is not UTF-8 as a lone surrogate, as the SQLite store
    reads other text), so that only a column that holds no text is named as such."""
    payload: Any = record.payload
    actor: Any = record.actor
    return record._replace(
        payload=escaped_text(payload) if isinstance(payload, bytes) else payload,
        actor=escaped_text(actor) if isinstance(actor, bytes) else actor,
    )


def decode_stream(rows: Sequence[tuple[Any, ...]]) -> list[RecordedEvent]:
    """Decode the rows of one stream, in version order."""
    events: list[RecordedEvent] = []
    previous = None
    previous_text = ""
    for row in rows:
        record: StoredRecord = _record(StoredRecord, row)
        previous = decode_record(record, previous, previous_text)
        previous_text = record.hash
        events.append(previous)
    return events


Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
InsertMany = Callable[[str, list[tuple[Any, ...]]], None]

_record = tuple.__new__  # a named tuple from its values: its own __new__ costs two to four times as much
_LAST_VERSION = 2**31 - 1  # the largest version PostgreSQL's INTEGER column holds
_LAST_POSITION = 2**63 - 1  # the largest position a 64-bit integer column holds


def _rows_of(stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> list[tuple[Any, ...]]:
    """The rows (the columns after ``position``) of sealed events that continue a stream, each
    naming the hash of the one before it; checked as the memory store checks them."""
    refuse_unsealed(events)
    times_of(stream_id, expected_version, events)
    return [record_of(event)[1:] for event in events]


class RowStore:
    """Reads shared by the SQL stores. ``events`` and ``streams`` are table names, ``p`` the
    driver's placeholder, ``decoded`` the columns read for decoding: :data:`COLUMNS`, or a
    store's own expressions of them giving the payload and the actor as UTF-8 bytes (which
    the JSON reader takes as they are, where text it would first encode again)."""

    events = "events"
    streams = "streams"
    p = "?"
    decoded = COLUMNS

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _append_rows(self, stream_id: str, expected_version: int, rows: Sequence[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def _append_streams_rows(self, appends: Sequence[tuple[str, int, Sequence[tuple[Any, ...]]]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _importing(self, work: Callable[[Query, InsertMany], None]) -> None:
        """Run ``work`` in one write transaction, given a function that queries and one that
        inserts many rows: committed whole, or rolled back whatever ``work`` raises."""
        raise NotImplementedError

    def import_records(self, records: Iterable[StoredRecord]) -> None:
        """Store checked records of new streams in one transaction, all or nothing;
        :class:`~cohandle.ProposalExists` (and nothing stored) if it has one of them.

        ``records`` may be a list or any iterable of them, which is read as they are stored, a
        thousand at a time: an import of a large file holds no more than that in memory, and
        whatever the iterable raises while it is read (a bad line found late) stores nothing."""
        given: object = records
        if isinstance(given, str | bytes) or not isinstance(given, Iterable):
            raise InvalidInput("records", f"must be a list of StoredRecord (got {got(given)})")
        self._importing(lambda query, insert_many: self._import(records, query, insert_many))

    def _import(self, records: Iterable[StoredRecord], query: Query, insert_many: InsertMany) -> None:
        events, streams, p = self.events, self.streams, self.p
        insert = f"INSERT INTO {events} ({COLUMNS}) VALUES ({', '.join([p] * 12)})"
        position = int(query(f"SELECT COALESCE(MAX(position), 0) FROM {events}", ())[0][0])
        heads: dict[str, tuple[int, str]] = {}
        firsts: dict[str, int] = {}
        rows: list[tuple[Any, ...]] = []
        new: list[str] = []  # the streams the rows start, in their order

        def flush() -> None:
            for start in range(0, len(new), 500):
                chunk = tuple(new[start : start + 500])
                found = query(
                    f"SELECT stream_id FROM {streams} WHERE stream_id IN ({', '.join([p] * len(chunk))})",
                    chunk,
                )
                if found:
                    held = {row[0] for row in found}
                    raise ProposalExists(next(stream_id for stream_id in chunk if stream_id in held))
            if rows:
                insert_many(insert, rows)
            rows.clear()
            new.clear()

        for record in records:
            if not isinstance(record, StoredRecord):
                raise InvalidInput(
                    "records", f"must be a list of StoredRecord (got {got(record)} among them)"
                )
            refuse_unstorable(record.stream_id, 0, record.command_id)
            position += 1
            if record.stream_id not in heads:
                new.append(record.stream_id)
                firsts[record.stream_id] = position
            heads[record.stream_id] = (record.version, record.hash)
            rows.append((position, *record[1:]))
            if len(rows) >= 1000:
                flush()
        flush()
        insert_many(
            f"INSERT INTO {streams} (stream_id, version, head_hash, first_position) VALUES ({p}, {p}, {p}, {p})",
            [(stream_id, version, hash_, firsts[stream_id]) for stream_id, (version, hash_) in heads.items()],
        )

    def append(self, stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> None:
        if not appended(stream_id, expected_version, events):
            return
        self._append_rows(stream_id, expected_version, _rows_of(stream_id, expected_version, events))

    def append_streams(self, appends: Sequence[tuple[str, int, Sequence[RecordedEvent]]]) -> None:
        checked = [
            (stream_id, expected_version, _rows_of(stream_id, expected_version, events))
            for stream_id, expected_version, events in appended_streams(appends)
        ]
        if checked:
            self._append_streams_rows(checked)

    def _never_held(self, field: str, value: object) -> bool:
        """Check an id to read by; True for one the database cannot hold, nor take as a
        parameter, which no row has. Text without a UTF-8 form is such for every SQL store."""
        return lone_surrogate(id_argument(field, value)) is not None

    def read_stream(self, stream_id: str, *, up_to: int | None = None) -> list[RecordedEvent]:
        position_argument("up_to", up_to, optional=True)
        if self._never_held("stream_id", stream_id):
            return []
        p = self.p
        rows = self._query(
            f"SELECT {self.decoded} FROM {self.events} WHERE stream_id = {p} AND version <= {p} ORDER BY version",
            (stream_id, _LAST_VERSION if up_to is None else min(up_to, _LAST_VERSION)),
        )
        return decode_stream(rows)

    def read_streams(self, stream_ids: Sequence[str]) -> list[list[RecordedEvent]]:
        """Several whole streams, in the order asked, read in one query per 500 of them."""
        stream_ids = list(iterable("stream_ids", stream_ids, "a list of proposal ids"))
        found: dict[str, list[tuple[Any, ...]]] = {
            stream_id: [] for stream_id in stream_ids if not self._never_held("stream_ids", stream_id)
        }
        wanted = list(found)
        for start in range(0, len(wanted), 500):
            chunk = tuple(wanted[start : start + 500])
            marks = ", ".join([self.p] * len(chunk))
            for row in self._query(
                f"SELECT {self.decoded} FROM {self.events} WHERE stream_id IN ({marks}) ORDER BY stream_id, version",
                chunk,
            ):
                found[row[1]].append(row)
        return [decode_stream(found.get(stream_id, [])) for stream_id in stream_ids]

    def stream_version(self, stream_id: str) -> int:
        if self._never_held("stream_id", stream_id):
            return 0
        head = self._head(stream_id)
        return 0 if head is None else head[0]

    def _head(self, stream_id: str) -> tuple[int, str] | None:
        """The stream's version and latest hash as written (``algorithm:hex``); None for none."""
        rows = self._query(
            f"SELECT version, head_hash FROM {self.streams} WHERE stream_id = {self.p}", (stream_id,)
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def stream_ids(self) -> Iterator[str]:
        return iter(
            [row[0] for row in self._query(f"SELECT stream_id FROM {self.streams} ORDER BY first_position")]
        )

    def records(self, *, after: int = 0, batch: int = 5_000) -> Iterator[StoredRecord]:
        """The stored rows in global order, as they are on disk, ``batch`` rows per query."""
        position_argument("after", after)
        whole_number("batch", batch, least=1)
        return self._records(min(after, _LAST_POSITION), min(batch, _LAST_POSITION))

    def _records(self, after: int, batch: int) -> Iterator[StoredRecord]:
        p = self.p
        while True:
            rows = self._query(
                f"SELECT {COLUMNS} FROM {self.events} WHERE position > {p} ORDER BY position LIMIT {p}",
                (after, batch),
            )
            for row in rows:
                yield _record(StoredRecord, row)
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def read_all(self, *, after: int = 0, limit: int | None = None) -> Iterator[Positioned]:
        position_argument("limit", limit, optional=True)
        return self._read_all(self.records(after=after), limit)

    @staticmethod
    def _read_all(records: Iterator[StoredRecord], limit: int | None) -> Iterator[Positioned]:
        for count, record in enumerate(records):
            if limit is not None and count >= limit:
                return
            yield Positioned(record.position, decode_record(record))

    def find_command(self, command_id: str) -> list[RecordedEvent]:
        if self._never_held("command_id", command_id):
            return []
        rows = self._query(
            f"SELECT {self.decoded} FROM {self.events} WHERE command_id = {self.p} ORDER BY position",
            (command_id,),
        )
        return [decode_record(_record(StoredRecord, row)) for row in rows]

    def heads(self) -> dict[str, tuple[int, str]]:
        return {
            row[0]: (row[1], row[2])
            for row in self._query(f"SELECT stream_id, version, head_hash FROM {self.streams}")
        }

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def histories(store: Any, stream_ids: Sequence[str]) -> Iterator[list[RecordedEvent]]:
    """The events of each of ``stream_ids``, in that order: from a SQL store 500 proposals per
    query, from another store one at a time. A proposal the store lists but holds no event of
    raises :class:`~cohandle.ChainBroken` (the log is damaged, no id was mistyped)."""
    for first in range(0, len(stream_ids), 500):
        chunk = list(stream_ids[first : first + 500])
        if isinstance(store, RowStore):
            read = store.read_streams(chunk)
        else:
            read = [store.read_stream(stream_id) for stream_id in chunk]
        for stream_id, events in zip(chunk, read, strict=True):
            if not events:
                surrogate = lone_surrogate(stream_id)
                raise ChainBroken(
                    stream_id,
                    1,
                    "the log lists it among its proposals, but holds none of its events"
                    if surrogate is None
                    else f"the id the log lists it under is not UTF-8 text: it {surrogate}",
                )
            yield events
