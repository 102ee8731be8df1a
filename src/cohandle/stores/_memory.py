"""The in-memory store: the reference implementation of the store protocol."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from itertools import islice

from cohandle._errors import ConcurrencyConflict, InvalidInput, ProposalExists
from cohandle._events import RecordedEvent
from cohandle.stores._base import Positioned
from cohandle.stores._integrity import StoredRecord, record_of

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps every event in this process; safe to share between threads."""

    def __init__(self) -> None:
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._log: list[RecordedEvent] = []
        self._commands: dict[str, list[RecordedEvent]] = {}
        self._lock = threading.Lock()

    def append(self, stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> None:
        if not events:
            return
        with self._lock:
            stream = self._streams.get(stream_id)
            actual = len(stream) if stream is not None else 0
            if actual != expected_version:
                raise ConcurrencyConflict(stream_id, expected_version, actual)
            for offset, event in enumerate(events, start=expected_version + 1):
                if event.stream_id != stream_id or event.version != offset:
                    raise InvalidInput(
                        "events",
                        f"must continue stream {stream_id!r} from version {expected_version + 1} in order",
                    )
            if stream is None:
                stream = self._streams[stream_id] = []
            stream.extend(events)
            self._log.extend(events)
            command_id = events[0].command_id
            if command_id is not None:
                self._commands.setdefault(command_id, []).extend(events)

    def import_records(self, records: list[StoredRecord]) -> None:
        """Store checked records of new streams, all or nothing."""
        from cohandle.stores._rows import decode_record

        events = [decode_record(record) for record in records]
        with self._lock:
            for event in events:
                if event.stream_id in self._streams:
                    raise ProposalExists(event.stream_id)
            for event in events:
                self._streams.setdefault(event.stream_id, []).append(event)
                self._log.append(event)
                if event.command_id is not None:
                    self._commands.setdefault(event.command_id, []).append(event)

    def read_stream(self, stream_id: str, *, up_to: int | None = None) -> list[RecordedEvent]:
        stream = self._streams.get(stream_id, [])
        return list(stream if up_to is None else stream[:up_to])

    def stream_version(self, stream_id: str) -> int:
        stream = self._streams.get(stream_id)
        return len(stream) if stream is not None else 0

    def stream_ids(self) -> Iterator[str]:
        return iter(list(self._streams))

    def read_all(self, *, after: int = 0, limit: int | None = None) -> Iterator[Positioned]:
        end = len(self._log) if limit is None else min(len(self._log), after + limit)
        for position, event in enumerate(islice(self._log, after, end), start=after + 1):
            yield Positioned(position, event)

    def records(self, *, after: int = 0) -> Iterator[StoredRecord]:
        for position, event in self.read_all(after=after):
            yield record_of(event, position)

    def heads(self) -> dict[str, tuple[int, str]]:
        return {stream_id: (len(events), events[-1].hash_text) for stream_id, events in self._streams.items()}

    def find_command(self, command_id: str) -> list[RecordedEvent]:
        return list(self._commands.get(command_id, ()))

    def close(self) -> None:
        """Nothing to release; present for the protocol."""
