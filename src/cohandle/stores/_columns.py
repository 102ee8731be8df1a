"""The memory store's columns: what it keeps, how an event is checked and written into them,
and how it is built back.

Events are kept in a few flat columns, one entry per event in global order: the objects (the
stream id, payload, actor, command id and hash algorithm, shared with the caller since events
are immutable) five to an event in one list, the two times in one byte array (each as the ten
bytes of its UTC fields that ``datetime`` pickles itself with, which it is built back from
without arithmetic), and the digests side by side in another; each stream keeps the rows of
its versions. That is about a third of the memory of keeping the envelopes themselves and leaves
the cycle collector fewer objects to walk; each event is written with four calls, and envelopes
are built again when read. An imported record whose text is not what its event is written as now
is also kept whole, for its hash covers that text.

:class:`~cohandle.stores.MemoryStore` checks its callers' arguments and holds the lock; this
module takes only what it has checked, and may be compiled (``docs/install.md``).
"""

from __future__ import annotations

import datetime as _dt
from array import array
from collections.abc import Sequence
from typing import Any

import pendulum

from cohandle._errors import InvalidInput
from cohandle._events import HASH_ALGORITHMS, Event, RecordedEvent
from cohandle._instant import datetime_reduce, from_fields
from cohandle._model import Actor
from cohandle.stores._base import refuse_unsealed
from cohandle.stores._integrity import StoredRecord

__all__ = ["WIDTH", "Columns", "times_of"]

_DIGEST = 32
_PREVIOUS = (0, _DIGEST)  # lengths of a previous hash: none for the first event
_TIME = 10  # bytes of a time: datetime's own pickled fields (year to microsecond)
WIDTH = 5  # objects kept per event

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
    fields: bytes = datetime_reduce(moment)[1][0]
    return fields


def _moment(fields: bytes) -> pendulum.DateTime:
    """The pendulum DateTime in UTC of ten bytes :func:`_fields` wrote."""
    return from_fields(fields, _UTC)


def times_of(stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> bytes:
    """Check that ``events`` continue the stream from ``expected_version``, are sealed, and
    each name the hash of the one before them (none before version 1); their times as the
    time column stores them. Everything that can fail fails here, before any column grows.
    Whether the first of them names the stream's stored head is for the store to check."""
    times = []
    version = expected_version
    before: bytes | None = None  # the digest of the event before, among these
    before_algorithm = ""
    try:
        for event in events:
            version += 1
            sid, number, payload, occurred, recorded, actor, command, previous, digest, algorithm = event
            if number != version or sid != stream_id:
                raise InvalidInput(
                    "events",
                    f"must continue stream {stream_id!r} from version {expected_version + 1} in order",
                )
            if (number == 1) != (not previous) or (
                before is not None and (previous != before or algorithm != before_algorithm)
            ):
                raise InvalidInput(
                    "events",
                    "must each name the hash of the event before them, in its algorithm, and version 1 "
                    f"none (version {number} of stream {stream_id!r} does not)",
                )
            before, before_algorithm = digest, algorithm
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


class Columns:
    """The columns of one memory store."""

    def __init__(self) -> None:
        self.streams: dict[str, array[int]] = {}  # stream id -> the rows of its versions
        # row r: stream id, payload, actor, command id, algorithm at [5r : 5r + 5]
        self.objects: list[Any] = []  # mixed by position, as the comment above says
        self.times = bytearray()  # row r: occurred_at, recorded_at at [20r : 20r + 20]
        self.digests = bytearray()  # row r: its digest at [32r : 32r + 32]
        self.commands: dict[str, tuple[str, int, int]] = {}  # id -> (stream id, first index, count)
        self.more: dict[str, list[tuple[str, int, int]]] = {}  # id -> its later writes, as above
        self.kept: dict[int, StoredRecord] = {}  # row -> an imported record not written as its event is now

    def write(self, stream_id: str, events: Sequence[RecordedEvent], times: bytes) -> None:
        """Write events :func:`times_of` checked (under the store's lock)."""
        streams = self.streams
        rows = streams.get(stream_id)
        if rows is None:
            rows = streams[stream_id] = array("I")
        first = len(rows)
        objects = self.objects
        digests = self.digests
        for event in events:
            rows.append(len(objects) // WIDTH)
            objects.extend((stream_id, event.payload, event.actor, event.command_id, event.algorithm))
            digests += event.hash
        self.times += times
        command_id = events[0].command_id
        if command_id is not None:
            if command_id not in self.commands:
                self.commands[command_id] = (stream_id, first, len(events))
            else:  # a command's later write: another stream, or an import's next event
                self._index_more(command_id, stream_id, first, len(events))

    def _index_more(self, command_id: str, stream_id: str, first: int, count: int) -> None:
        """Index a later write of a command id, as one run with the write before it when it
        continues that write's stream (an import writes a command's events one at a time)."""
        runs = self.more.get(command_id)
        last = runs[-1] if runs else self.commands[command_id]
        if last[0] == stream_id and last[1] + last[2] == first:
            run = (stream_id, last[1], last[2] + count)
            if runs:
                runs[-1] = run
            else:
                self.commands[command_id] = run
        else:
            self.more.setdefault(command_id, []).append((stream_id, first, count))

    def command(self, command_id: str) -> list[RecordedEvent]:
        """The events written with ``command_id``, in the order they were written."""
        found = self.commands.get(command_id)
        if found is None:
            return []
        events: list[RecordedEvent] = []
        for stream_id, first, count in (found, *self.more.get(command_id, ())):
            events.extend(self.event(stream_id, index) for index in range(first, first + count))
        return events

    def continues(self, rows: array[int], event: RecordedEvent) -> bool:
        """Whether ``event`` names the hash of the stream's latest event (its ``rows``), in
        that event's algorithm."""
        row = rows[-1]
        return self.digests.startswith(event.prev_hash, row * _DIGEST) and (
            self.objects[WIDTH * row + WIDTH - 1] == event.algorithm
        )

    def event(self, stream_id: str, index: int) -> RecordedEvent:
        """Version ``index + 1`` of a stream, as the envelope it was stored from."""
        rows = self.streams[stream_id]
        row = rows[index]
        at = 2 * _TIME * row
        times = self.times
        occurred_fields = bytes(times[at : at + _TIME])
        recorded_fields = bytes(times[at + _TIME : at + 2 * _TIME])
        recorded = _moment(recorded_fields)
        _, payload, actor, command_id, algorithm = self.objects[WIDTH * row : WIDTH * row + WIDTH]
        start = row * _DIGEST
        previous = rows[index - 1] * _DIGEST if index else 0
        return RecordedEvent(
            stream_id,
            index + 1,
            payload,
            recorded if occurred_fields == recorded_fields else _moment(occurred_fields),
            recorded,
            actor,
            command_id,
            bytes(self.digests[previous : previous + _DIGEST]) if index else b"",
            bytes(self.digests[start : start + _DIGEST]),
            algorithm,
        )
