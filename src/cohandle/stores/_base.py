"""The store protocol: what every event store provides and guarantees."""

from __future__ import annotations

import datetime as _dt
import os
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import pendulum

from cohandle._errors import InvalidInput, got, storable_id, whole_number
from cohandle._events import HASH_ALGORITHMS, Event, RecordedEvent
from cohandle._model import Actor
from cohandle.stores._integrity import StoredRecord

__all__ = [
    "EventStore",
    "Positioned",
    "appended",
    "appended_streams",
    "id_argument",
    "imported",
    "inherited",
    "position_argument",
    "refuse_unsealed",
    "refuse_unstorable",
    "reopen_after_fork",
]


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
    - A stream id or command id that not every store could keep (a NUL, a lone surrogate, more
      than 500 characters) is refused with :class:`~cohandle.InvalidInput` before anything is
      stored (:func:`refuse_unstorable`); so a log one store takes, every store takes.
      Reading by an id the store cannot hold finds nothing.
    - ``append`` refuses, with :class:`~cohandle.InvalidInput` and before it stores anything,
      events that no sealing makes: a time that is not a timezone-aware datetime, a payload
      that is not an event, a digest of the wrong length, and the like
      (:func:`refuse_unsealed`).
    """

    def append(self, stream_id: str, expected_version: int, events: Sequence[RecordedEvent]) -> None: ...

    def append_streams(self, appends: Sequence[tuple[str, int, Sequence[RecordedEvent]]]) -> None:
        """Append to several streams in one transaction: each ``(stream_id, expected_version,
        events)`` as ``append`` would, all of them or none. One command that changes two
        proposals (a merge, 并案) is recorded this way."""
        ...

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


# -- the arguments of the protocol's methods --------------------------------------------------
#
# Checked the same way by every store, so a wrong argument is an InvalidInput wherever it goes,
# never the database driver's own error or a quietly different answer.


def id_argument(field: str, value: object) -> str:
    """A stream id or command id to read by: any text."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text (got {got(value)})")
    return value


def position_argument(field: str, value: object, *, optional: bool = False) -> int | None:
    """A position, a version or a count: a whole number from 0 (or None when ``optional``)."""
    if value is None and optional:
        return None
    return whole_number(field, value, least=0)


def appended(stream_id: object, expected_version: object, events: Any) -> Sequence[RecordedEvent]:
    """The checked arguments of ``append``: its events, each a :class:`RecordedEvent`."""
    if stream_id.__class__ is str and expected_version.__class__ is int and events.__class__ is list:
        for event in events:  # the workflow's own call: checked in one pass
            if event.__class__ is not RecordedEvent:
                break
        else:
            if expected_version >= 0:
                return events
    id_argument("stream_id", stream_id)
    whole_number("expected_version", expected_version, least=0)
    if isinstance(events, str | bytes) or not isinstance(events, Sequence):
        raise InvalidInput("events", f"must be a list of RecordedEvent (got {got(events)})")
    for event in events:
        if event.__class__ is not RecordedEvent:
            raise InvalidInput("events", f"must be a list of RecordedEvent (got {got(event)} among them)")
    return events


def appended_streams(appends: object) -> list[tuple[str, int, Sequence[RecordedEvent]]]:
    """The checked argument of ``append_streams``: ``(stream_id, expected_version, events)``
    triples of distinct streams, each checked as ``append`` checks its arguments, those with
    events only."""
    if isinstance(appends, str | bytes) or not isinstance(appends, Sequence):
        raise InvalidInput(
            "appends", f"must be a list of (stream_id, expected_version, events) (got {got(appends)})"
        )
    checked: list[tuple[str, int, Sequence[RecordedEvent]]] = []
    seen: set[str] = set()
    for entry in appends:
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise InvalidInput(
                "appends",
                f"must be a list of (stream_id, expected_version, events) (got {got(entry)} among them)",
            )
        stream_id, expected_version, events = entry
        events = appended(stream_id, expected_version, events)
        if stream_id in seen:
            raise InvalidInput("appends", f"names stream {stream_id!r} twice; give its events together")
        seen.add(stream_id)
        if events:
            checked.append((stream_id, expected_version, events))
    return checked


def refuse_unsealed(events: Sequence[RecordedEvent]) -> None:
    """Refuse, with an :class:`InvalidInput` naming the event and the field, events that no
    sealing could have made: a time that is not a timezone-aware datetime, a payload that is not
    an event, a digest that is not 32 bytes, and the like. A store runs this before it writes.
    """
    given: object = events
    if isinstance(given, str | bytes) or not isinstance(given, Sequence):
        raise InvalidInput("events", f"must be a list of RecordedEvent (got {got(given)})")
    for event in events:
        if event.__class__ is not RecordedEvent:
            raise InvalidInput("events", f"must be a list of RecordedEvent (got {got(event)} among them)")
        misfit = _misfit(event)
        if misfit is not None:
            field, what = misfit
            raise InvalidInput(
                "events",
                f"must be sealed events, but version {event.version!r}'s {field} is not {what} "
                f"(got {got(getattr(event, field))})",
            )


def _misfit(event: RecordedEvent) -> tuple[str, str] | None:
    # read as plain objects: the fields hold what the caller put there, whatever the annotations
    payload: object = event.payload
    if not isinstance(payload, Event):
        return "payload", "an event"
    for field in ("occurred_at", "recorded_at"):
        moment: object = getattr(event, field)
        if not isinstance(moment, _dt.datetime):
            return field, "a timezone-aware datetime"
        zone = moment.tzinfo
        if zone is not _UTC and zone is not _dt.UTC and moment.utcoffset() is None:
            return field, "a timezone-aware datetime"
    actor: object = event.actor
    if not isinstance(actor, Actor):
        return "actor", "an Actor"
    command_id: object = event.command_id
    if command_id is not None and not isinstance(command_id, str):
        return "command_id", "text or None"
    digest: object = event.hash
    if not isinstance(digest, bytes) or len(digest) != _DIGEST:
        return "hash", f"a {_DIGEST}-byte digest"
    previous: object = event.prev_hash
    if not isinstance(previous, bytes) or len(previous) not in (0, _DIGEST):
        return "prev_hash", f"a {_DIGEST}-byte digest, or empty for the first event"
    if event.algorithm not in HASH_ALGORITHMS:
        return "algorithm", f"one of {', '.join(HASH_ALGORITHMS)}"
    return None


_DIGEST = 32
_UTC = pendulum.UTC  # its utcoffset() runs in Python: the time zone is known without it


def imported(records: object) -> Sequence[StoredRecord]:
    """The checked argument of ``import_records``: StoredRecords of ids every store can keep."""
    if isinstance(records, str | bytes) or not isinstance(records, Sequence):
        raise InvalidInput("records", f"must be a list of StoredRecord (got {got(records)})")
    for record in records:
        if not isinstance(record, StoredRecord):
            raise InvalidInput("records", f"must be a list of StoredRecord (got {got(record)} among them)")
        refuse_unstorable(record.stream_id, 0, record.command_id)
    return records


# -- ids every store can keep ----------------------------------------------------------------
#
# A log one store takes, every store takes, so that an export imports anywhere: a stream id or
# a command id that one of them could not keep (a NUL, a lone surrogate, a key too long for
# PostgreSQL's index) is refused by all of them before anything is stored.


def refuse_unstorable(stream_id: str, expected_version: int, command_id: str | None) -> None:
    """Refuse an append that would start a stream, or record a command id, that not every
    store could keep; streams already stored passed this when they were started."""
    if expected_version.__class__ is not int or expected_version < 0:
        whole_number("expected_version", expected_version, least=0)
    if not expected_version:
        if stream_id.__class__ is not str:
            raise InvalidInput("stream_id", f"must be text (got {got(stream_id)})")
        storable_id("stream_id", stream_id)
    if command_id is not None:
        if command_id.__class__ is not str:
            raise InvalidInput("command_id", f"must be text or None (got {got(command_id)})")
        storable_id("command_id", command_id)


# -- after a fork --------------------------------------------------------------------------------
#
# A process that forks (a pre-forking web server, multiprocessing's "fork" start) hands its
# children copies of every open store. A child must not talk on its parent's connection: two
# processes on one PostgreSQL socket read each other's replies, and SQLite forbids carrying a
# connection across fork(). It must not close it either, which would end the parent's session.
# So in the child each store sets its inherited connection aside, untouched, opens its own at
# its next call, and gets new locks (one held by another of the parent's threads at the fork
# would never be released in the child).

_STORES: weakref.WeakSet[Any] = weakref.WeakSet()
_INHERITED: list[Any] = []  # connections of the parent: never used again, never closed here


def reopen_after_fork(store: Any) -> None:
    """Have ``store._after_fork()`` called in every child process right after a fork."""
    _STORES.add(store)


def inherited(connection: Any) -> None:
    """Set aside a connection the parent process opened, without closing it."""
    if connection is not None:
        _INHERITED.append(connection)


def _in_child() -> None:
    for store in list(_STORES):
        store._after_fork()


if hasattr(os, "register_at_fork"):  # POSIX; there is no fork elsewhere
    os.register_at_fork(after_in_child=_in_child)
