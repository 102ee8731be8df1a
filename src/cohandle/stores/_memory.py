"""The in-memory store: the reference implementation of the store protocol.

Events are kept in a few flat columns, one entry per event in global order: the objects (the
stream id, payload, actor, command id and hash algorithm, shared with the caller since events
are immutable) five to an event in one list, the two times in one byte array (each as the ten
bytes of its UTC fields that ``datetime`` pickles itself with, which it is built back from
without arithmetic), and the digests side by side in another; each stream keeps the rows of
its versions. That is about a third of the memory of keeping the envelopes themselves and leaves
the cycle collector fewer objects to walk; each event is written with four calls, and envelopes
are built again when read.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import threading
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

import pendulum

from cohandle._clock import datetime_reduce, from_fields
from cohandle._errors import ConcurrencyConflict, InvalidInput, ProposalExists
from cohandle._events import HASH_ALGORITHMS, Event, RecordedEvent
from cohandle._model import Actor
from cohandle.stores._base import (
    Positioned,
    appended,
    id_argument,
    imported,
    position_argument,
    refuse_unsealed,
    refuse_unstorable,
    reopen_after_fork,
)
from cohandle.stores._integrity import StoredRecord, record_of

__all__ = ["MemoryStore"]

_DIGEST = 32
_PREVIOUS = (0, _DIGEST)  # lengths of a previous hash: none for the first event
_TIME = 10  # bytes of a time: datetime's own pickled fields (year to microsecond)
_WIDTH = 5  # objects kept per event
_READ_CHUNK = 256  # events read_all builds per turn of the lock


_UTC = pendulum.UTC


def _fields(moment: _dt.datetime) -> bytes:
    """The UTC instant of an aware datetime as datetime's ten pickled bytes, exactly (less than
    half the instructions of working out its microseconds since the epoch)."""
    if moment.tzinfo is not _UTC:
        offset = moment.utcoffset()
        if offset is None:
            raise ValueError("a naive time has no instant")
        if offset:
            moment = moment.astimezone(_dt.UTC)
    return datetime_reduce(moment)[1][0]


def _moment(fields: bytes) -> pendulum.DateTime:
    """The pendulum DateTime in UTC of ten bytes :func:`_fields` wrote."""
    return from_fields(fields, _UTC)


class MemoryStore:
    """Keeps every event in this process; safe to share between threads."""

    def __init__(self) -> None:
        self._streams: dict[str, array[int]] = {}  # stream id -> the rows of its versions
        # row r: stream id, payload, actor, command id, algorithm at [5r : 5r + 5]
        self._objects: list[Any] = []  # mixed by position, as the comment above says
        self._times = bytearray()  # row r: occurred_at, recorded_at at [20r : 20r + 20]
        self._digests = bytearray()  # row r: its digest at [32r : 32r + 32]
        self._commands: dict[str, tuple[str, int, int]] = {}  # id -> (stream id, first index, count)
        self._lock = threading.Lock()
        reopen_after_fork(self)

    def _after_fork(self) -> None:
        """In a child process, which holds its own copy of the log from here on: a new lock
        (the parent's may have been held by one of its threads at the fork)."""
        self._lock = threading.Lock()

    # -- writing -------------------------------------------------------------------------------

    @staticmethod
    def _times_of(stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> bytes:
        """Check that ``events`` continue the stream from ``expected_version`` and are sealed;
        their times as the time column stores them. Everything that can fail fails here,
        before any column grows."""
        times = []
        version = expected_version
        try:
            for event in events:
                version += 1
                sid, number, payload, occurred, recorded, actor, command, previous, digest, algorithm = event
                if number != version or sid != stream_id:
                    raise InvalidInput(
                        "events",
                        f"must continue stream {stream_id!r} from version {expected_version + 1} in order",
                    )
                if (
                    len(digest) != _DIGEST
                    or len(previous) not in _PREVIOUS
                    or algorithm not in HASH_ALGORITHMS
                    or not isinstance(payload, Event)
                    or not isinstance(actor, Actor)
                    or (command is not None and command.__class__ is not str)
                ):
                    raise ValueError
                fields = _fields(recorded)
                times.append(fields if occurred is recorded else _fields(occurred))
                times.append(fields)
        except InvalidInput:
            raise
        except Exception:
            refuse_unsealed(events)  # names the event and the field that no sealing makes
            raise
        return b"".join(times)

    def _store(self, stream_id: str, events: Sequence[RecordedEvent], times: bytes) -> None:
        """Write checked events (under the lock)."""
        rows = self._streams.get(stream_id)
        if rows is None:
            rows = self._streams[stream_id] = array("I")
        first = len(rows)
        objects = self._objects
        for event in events:
            rows.append(len(objects) // _WIDTH)
            objects.extend((stream_id, event.payload, event.actor, event.command_id, event.algorithm))
            self._digests += event.hash
        self._times += times
        command_id = events[0].command_id
        if command_id is not None and command_id not in self._commands:
            self._commands[command_id] = (stream_id, first, len(events))

    def append(self, stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> None:
        events = appended(stream_id, expected_version, events)
        if not events:
            return
        if not expected_version or events[0].command_id is not None:
            refuse_unstorable(stream_id, expected_version, events[0].command_id)
        times = self._times_of(stream_id, expected_version, events)
        lock = self._lock
        lock.acquire()  # not ``with``: its two special-method calls cost as much as the lock
        try:
            rows = self._streams.get(stream_id)
            actual = len(rows) if rows is not None else 0
            if actual != expected_version:
                raise ConcurrencyConflict(stream_id, expected_version, actual)
            self._store(stream_id, events, times)
        finally:
            lock.release()

    def import_records(self, records: list[StoredRecord]) -> None:
        """Store checked records of new streams, all or nothing."""
        from cohandle.stores._rows import decode_record

        events = [decode_record(record) for record in imported(records)]
        times = [self._times_of(event.stream_id, event.version - 1, [event]) for event in events]
        with self._lock:
            for event in events:
                if event.stream_id in self._streams:
                    raise ProposalExists(event.stream_id)
            for event, fields in zip(events, times, strict=True):
                self._store(event.stream_id, [event], fields)

    # -- reading -------------------------------------------------------------------------------

    def _event(self, stream_id: str, index: int) -> RecordedEvent:
        """Version ``index + 1`` of a stream, as the envelope it was stored from."""
        rows = self._streams[stream_id]
        row = rows[index]
        at = 2 * _TIME * row
        occurred_fields = bytes(self._times[at : at + _TIME])
        recorded_fields = bytes(self._times[at + _TIME : at + 2 * _TIME])
        recorded = _moment(recorded_fields)
        _, payload, actor, command_id, algorithm = self._objects[_WIDTH * row : _WIDTH * row + _WIDTH]
        start = row * _DIGEST
        previous = rows[index - 1] * _DIGEST if index else 0
        return RecordedEvent(
            stream_id=stream_id,
            version=index + 1,
            payload=payload,
            occurred_at=recorded if occurred_fields == recorded_fields else _moment(occurred_fields),
            recorded_at=recorded,
            actor=actor,
            command_id=command_id,
            prev_hash=bytes(self._digests[previous : previous + _DIGEST]) if index else b"",
            hash=bytes(self._digests[start : start + _DIGEST]),
            algorithm=algorithm,
        )

    # Every read takes the lock that appends hold: an append grows several columns one after
    # another, and a read between two of them would find an event half written.

    def read_stream(self, stream_id: str, *, up_to: int | None = None) -> list[RecordedEvent]:
        id_argument("stream_id", stream_id)
        position_argument("up_to", up_to, optional=True)
        with self._lock:
            rows = self._streams.get(stream_id)
            if rows is None:
                return []
            count = len(rows) if up_to is None else min(len(rows), up_to)
            return [self._event(stream_id, index) for index in range(count)]

    def stream_version(self, stream_id: str) -> int:
        rows = self._streams.get(id_argument("stream_id", stream_id))
        return len(rows) if rows is not None else 0

    def stream_ids(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._streams))

    def read_all(self, *, after: int = 0, limit: int | None = None) -> Iterator[Positioned]:
        position_argument("after", after)
        position_argument("limit", limit, optional=True)
        return self._read_all(after, limit)

    def _read_all(self, after: int, limit: int | None) -> Iterator[Positioned]:
        with self._lock:
            total = len(self._objects) // _WIDTH
        end = total if limit is None else min(total, after + limit)
        for first in range(after, end, _READ_CHUNK):
            # a chunk at a time under the lock, never across a yield: the caller may append
            with self._lock:
                chunk = [self._positioned(row) for row in range(first, min(end, first + _READ_CHUNK))]
            yield from chunk

    def _positioned(self, row: int) -> Positioned:
        stream_id: str = self._objects[_WIDTH * row]
        return Positioned(row + 1, self._event(stream_id, bisect.bisect_left(self._streams[stream_id], row)))

    def records(self, *, after: int = 0) -> Iterator[StoredRecord]:
        return (record_of(event, position) for position, event in self.read_all(after=after))

    def heads(self) -> dict[str, tuple[int, str]]:
        with self._lock:
            return {
                stream_id: (len(rows), self._event(stream_id, len(rows) - 1).hash_text)
                for stream_id, rows in self._streams.items()
            }

    def find_command(self, command_id: str) -> list[RecordedEvent]:
        id_argument("command_id", command_id)
        with self._lock:
            found = self._commands.get(command_id)
            if found is None:
                return []
            stream_id, first, count = found
            return [self._event(stream_id, index) for index in range(first, first + count)]

    def close(self) -> None:
        """Nothing to release; present for the protocol."""
