"""The in-memory store: the reference implementation of the store protocol.

It keeps its events in the flat columns of :mod:`cohandle.stores._columns`, a third of the
memory of keeping the envelopes themselves, and builds envelopes again when they are read.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections.abc import Iterator, Sequence

from cohandle._errors import ConcurrencyConflict, ProposalExists
from cohandle._events import RecordedEvent
from cohandle.stores._base import (
    Positioned,
    appended,
    appended_streams,
    id_argument,
    imported,
    position_argument,
    refuse_unstorable,
    reopen_after_fork,
)
from cohandle.stores._columns import WIDTH, Columns, times_of
from cohandle.stores._integrity import StoredRecord, record_of
from cohandle.stores._sqlite import StorageError

__all__ = ["MemoryStore"]

_READ_CHUNK = 256  # events read_all builds per turn of the lock


class MemoryStore:
    """Keeps every event in this process; safe to share between threads. A process forked
    after the store was made reads the copy of the log it was given, and records nothing in it
    (:class:`StorageError`): what it recorded would be lost to every other process."""

    def __init__(self) -> None:
        self._columns = Columns()
        self._lock = threading.Lock()
        self._copied = False
        reopen_after_fork(self)

    def _after_fork(self) -> None:
        """In a child process, which holds a copy of the log from here on: a new lock (the
        parent's may have been held by one of its threads at the fork), and a copy to read."""
        self._lock = threading.Lock()
        self._copied = True

    def _refuse_if_copied(self) -> None:
        if self._copied:
            raise StorageError(
                f"This memory store was copied into process {os.getpid()} by a fork: what it "
                "recorded here would be lost to the process it came from and to every other, so "
                "it records nothing. Keep a log that processes share in SQLite or PostgreSQL "
                "(Workflow.open); a forked process may read its copy."
            )

    # -- writing -------------------------------------------------------------------------------

    def append(self, stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> None:
        events = appended(stream_id, expected_version, events)
        if events:
            self._append_events(stream_id, expected_version, events, True)

    def _append_events(
        self, stream_id: str, expected_version: int, events: Sequence[RecordedEvent], compare_head: bool
    ) -> None:
        """Append checked arguments. With ``compare_head``, the first event must name the
        stream's latest hash. The workflow, which has just sealed its events on a state read
        from this store, passes False: a memory store's versions only grow, so a state at the
        stream's version holds its latest event too."""
        if not expected_version or events[0].command_id is not None:
            refuse_unstorable(stream_id, expected_version, events[0].command_id)
        if self._copied:
            self._refuse_if_copied()
        times = times_of(stream_id, expected_version, events)
        columns = self._columns
        lock = self._lock
        lock.acquire()  # not ``with``: its two special-method calls cost as much as the lock
        try:
            rows = columns.streams.get(stream_id)
            actual = len(rows) if rows is not None else 0
            if actual != expected_version or (
                compare_head and rows is not None and not columns.continues(rows, events[0])
            ):
                raise ConcurrencyConflict(stream_id, expected_version, actual)
            columns.write(stream_id, events, times)
        finally:
            lock.release()

    def append_streams(self, appends: Sequence[tuple[str, int, Sequence[RecordedEvent]]]) -> None:
        self._refuse_if_copied()
        planned = []
        for stream_id, expected_version, events in appended_streams(appends):
            refuse_unstorable(stream_id, expected_version, events[0].command_id)
            planned.append(
                (stream_id, expected_version, events, times_of(stream_id, expected_version, events))
            )
        columns = self._columns
        with self._lock:
            for stream_id, expected_version, events, _ in planned:
                rows = columns.streams.get(stream_id)
                actual = len(rows) if rows is not None else 0
                if actual != expected_version or (
                    rows is not None and not columns.continues(rows, events[0])
                ):
                    raise ConcurrencyConflict(stream_id, expected_version, actual)
            for stream_id, _, events, times in planned:
                columns.write(stream_id, events, times)

    def import_records(self, records: list[StoredRecord]) -> None:
        """Store checked records of new streams, all or nothing.

        A record whose text is not what its event is written as now (an event upcast from an
        older schema, a value written before the model narrowed it, a time with an offset) is
        kept as it came as well: its hash covers that text, which ``records`` gives back."""
        from cohandle.stores._rows import decode_record

        self._refuse_if_copied()
        records = list(imported(records))
        events = [decode_record(record) for record in records]
        times = [times_of(event.stream_id, event.version - 1, [event]) for event in events]
        rewritten = [
            record_of(event)[1:] != record[1:] for event, record in zip(events, records, strict=True)
        ]
        columns = self._columns
        with self._lock:
            for event in events:
                if event.stream_id in columns.streams:
                    raise ProposalExists(event.stream_id)
            for event, fields, record, differs in zip(events, times, records, rewritten, strict=True):
                if differs:
                    columns.kept[len(columns.objects) // WIDTH] = record
                columns.write(event.stream_id, [event], fields)

    # -- reading -------------------------------------------------------------------------------

    # Every read takes the lock that appends hold: an append grows several columns one after
    # another, and a read between two of them would find an event half written.

    def read_stream(self, stream_id: str, *, up_to: int | None = None) -> list[RecordedEvent]:
        id_argument("stream_id", stream_id)
        position_argument("up_to", up_to, optional=True)
        with self._lock:
            rows = self._columns.streams.get(stream_id)
            if rows is None:
                return []
            count = len(rows) if up_to is None else min(len(rows), up_to)
            return [self._columns.event(stream_id, index) for index in range(count)]

    def stream_version(self, stream_id: str) -> int:
        rows = self._columns.streams.get(id_argument("stream_id", stream_id))
        return len(rows) if rows is not None else 0

    def stream_ids(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._columns.streams))

    def read_all(self, *, after: int = 0, limit: int | None = None) -> Iterator[Positioned]:
        position_argument("after", after)
        position_argument("limit", limit, optional=True)
        return self._read_all(after, limit)

    def _read_all(self, after: int, limit: int | None) -> Iterator[Positioned]:
        with self._lock:
            total = len(self._columns.objects) // WIDTH
        end = total if limit is None else min(total, after + limit)
        for first in range(after, end, _READ_CHUNK):
            # a chunk at a time under the lock, never across a yield: the caller may append
            with self._lock:
                chunk = [self._positioned(row) for row in range(first, min(end, first + _READ_CHUNK))]
            yield from chunk

    def _positioned(self, row: int) -> Positioned:
        stream_id: str = self._columns.objects[WIDTH * row]
        return Positioned(
            row + 1, self._columns.event(stream_id, bisect.bisect_left(self._columns.streams[stream_id], row))
        )

    def records(self, *, after: int = 0) -> Iterator[StoredRecord]:
        kept = self._columns.kept
        return (
            kept[position - 1]._replace(position=position)
            if position - 1 in kept
            else record_of(event, position)
            for position, event in self.read_all(after=after)
        )

    def heads(self) -> dict[str, tuple[int, str]]:
        with self._lock:
            return {
                stream_id: (len(rows), self._columns.event(stream_id, len(rows) - 1).hash_text)
                for stream_id, rows in self._columns.streams.items()
            }

    def find_command(self, command_id: str) -> list[RecordedEvent]:
        id_argument("command_id", command_id)
        with self._lock:
            return self._columns.command(command_id)

    def close(self) -> None:
        """Nothing to release; present for the protocol."""
