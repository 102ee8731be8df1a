"""The store protocol: what every event store provides and guarantees."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from cohandle._events import RecordedEvent
from cohandle.stores._integrity import StoredRecord

__all__ = ["EventStore", "Positioned"]


class Positioned(NamedTuple):
    """An event with its global position in the store (1, 2, 3 ... in commit order)."""

    position: int
    event: RecordedEvent


@runtime_checkable
class EventStore(Protocol):
    """Append-only storage of proposal streams.

    - ``append`` stores all ``events`` of one command or none of them. ``expected_version`` is
      the stream's version the caller decided on (0 for a new stream); any other present
      version raises :class:`~cohandle.ConcurrencyConflict` and stores nothing.
    - ``read_all`` yields every event once, in global position order, and a reader that
      follows ``after`` never misses an event.
    """

    def append(self, stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> None: ...

    def read_stream(self, stream_id: str, *, up_to: int | None = None) -> list[RecordedEvent]: ...

    def stream_version(self, stream_id: str) -> int: ...

    def stream_ids(self) -> Iterator[str]: ...

    def read_all(self, *, after: int = 0, limit: int | None = None) -> Iterator[Positioned]: ...

    def find_command(self, command_id: str) -> list[RecordedEvent]: ...

    def records(self, *, after: int = 0) -> Iterator[StoredRecord]:
        """The events as stored (canonical JSON text), in global order: what ``verify`` reads."""
        ...

    def import_records(self, records: list[StoredRecord]) -> None:
        """Store already checked records of streams it does not have, in one transaction;
        :class:`~cohandle.ProposalExists` (and nothing stored) if it has one of them."""
        ...

    def heads(self) -> dict[str, tuple[int, str]]:
        """Each stream's latest version and hash, as the store recorded them."""
        ...

    def close(self) -> None: ...
