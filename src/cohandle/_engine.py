"""The path every command takes, behind :class:`~cohandle.Workflow`: idempotency check, load,
expected version, the lifecycle and permission check, the command's decision, sealing, folding,
the append, the cache and the subscribers.

The workflow checks what a caller passes before it calls :meth:`Engine.run`, and keeps its
settings here. This module may be compiled (``docs/install.md``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any

import pendulum

from cohandle import _commands as c
from cohandle._clock import SHANGHAI, Clock, Dated, business_time, day_bounds
from cohandle._clocks import started_by
from cohandle._errors import (
    ClockBehind,
    ConcurrencyConflict,
    IdempotencyConflict,
    InvalidInput,
    ProposalNotFound,
)
from cohandle._events import Event, RecordedEvent, Texts, hash_text, seal_body, stored_form
from cohandle._model import Actor
from cohandle._state import Proposal, apply, replay
from cohandle.deadlines import Calendar, Policy
from cohandle.stores import EventStore, MemoryStore
from cohandle.stores._rows import RowStore

__all__ = ["Decide", "Engine", "Subscriber"]

log = logging.getLogger("cohandle")

Subscriber = Callable[[Sequence[RecordedEvent]], None]
Decide = Callable[..., Any]  # an event, or one for each proposal a command records on


class Engine:
    """A workflow's settings, its cache of recent states, and the one path of its commands."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        hash_algorithm: str,
        policy: Policy | None,
        calendar: Calendar | None,
        withdrawal_after_assignment: bool,
        cache_size: int,
        require_countersign: bool = False,
    ) -> None:
        self.store = store
        self.clock = clock
        self.hash_algorithm = hash_algorithm
        self.policy = policy
        self.calendar = calendar
        self.withdrawal_after_assignment = withdrawal_after_assignment
        self.require_countersign = require_countersign
        self.cache: OrderedDict[str, Proposal] = OrderedDict()  # least recently used first
        self.cache_size = cache_size
        self.subscribers: list[Subscriber] = []
        self.delivering = threading.local()  # on each thread: the batches it is delivering

    def run(
        self,
        proposal_id: str,
        command: str,
        actor: Actor,
        decide: Decide,
        args: dict[str, Any],
        occurred_at: object,
        command_id: str | None,
        expected_version: int | None,
        other: str | None = None,
    ) -> Proposal:
        """Run a command whose arguments the workflow has checked; return the new state.

        A command that also records on ``other`` (a merge, on the item merged into) is given
        that proposal's state as ``target`` and decides an event for each; both streams are
        appended in one transaction."""
        for attempt in (1, 2):
            if command_id is not None:
                # checked on every attempt: a retry racing its original must not record twice
                replayed = self.retried(proposal_id, command, actor, decide, args, command_id, other)
                if replayed is not None:
                    return replayed
            state = self.cache.get(proposal_id) if attempt == 1 else None
            if state is None:
                state = self.load(proposal_id)
            if expected_version is not None and state.version != expected_version:
                state = self.load(proposal_id)
                if state.version != expected_version:
                    raise ConcurrencyConflict(proposal_id, expected_version, state.version)
            held = c.check(state, command, actor)
            now = self.clock.now()
            if occurred_at is None:
                at = now
                if now < state.last_occurred_at:
                    in_order(now, state, command, actor)
            elif isinstance(occurred_at, Dated):
                at = self.dated(occurred_at, now, state, command, actor)
            else:
                at = self.occurred_at(occurred_at, now, state)
            try:
                if other is None:
                    payload = decide(state, actor, held, self.context(at), **args)
                    new_state, events, texts = self.seal_and_fold(state, payload, at, now, actor, command_id)
                    self.append(proposal_id, state.version, events, texts)
                else:
                    new_state, events = self.run_on_two(
                        state,
                        other,
                        attempt,
                        command,
                        decide,
                        held,
                        args,
                        occurred_at,
                        at,
                        now,
                        actor,
                        command_id,
                    )
            except ConcurrencyConflict as conflict:
                self.cache.pop(proposal_id, None)
                if other is not None:
                    self.cache.pop(other, None)
                if (expected_version is not None and conflict.proposal_id == proposal_id) or attempt == 2:
                    raise
                continue  # our cached copy was stale: decide again on the stored state
            self.remember(new_state)
            if self.subscribers:
                self.notify(events)
            return new_state
        raise AssertionError("unreachable")  # pragma: no cover

    def run_on_two(
        self,
        state: Proposal,
        other: str,
        attempt: int,
        command: str,
        decide: Decide,
        held: c.Relations,
        args: dict[str, Any],
        occurred_at: object,
        at: pendulum.DateTime,
        now: pendulum.DateTime,
        actor: Actor,
        command_id: str | None,
    ) -> tuple[Proposal, list[RecordedEvent]]:
        """Decide, seal and append a command that records on ``state``'s proposal and on
        ``other``, in one transaction; the new state of the first, and every event recorded."""
        target = self.cache.get(other) if attempt == 1 else None
        if target is None:
            target = self.load(other)
        if occurred_at is not None:
            self.occurred_at(occurred_at, now, target)  # in order on that stream too
        elif now < target.last_occurred_at:
            in_order(now, target, command, actor)
        payload, their_payload = decide(state, actor, held, self.context(at), target=target, **args)
        new_state, events, texts = self.seal_and_fold(state, payload, at, now, actor, command_id)
        new_target, theirs, their_texts = self.seal_and_fold(
            target, their_payload, at, now, actor, command_id
        )
        store = self.store
        if isinstance(store, RowStore):
            store._append_streams_rows(
                [
                    (state.id, state.version, _rows(events, texts)),
                    (other, target.version, _rows(theirs, their_texts)),
                ]
            )
        else:
            store.append_streams([(state.id, state.version, events), (other, target.version, theirs)])
        self.remember(new_target)
        return new_state, [*events, *theirs]

    def seal_and_fold(
        self,
        state: Proposal,
        payload: Event,
        at: pendulum.DateTime,
        now: pendulum.DateTime,
        actor: Actor,
        command_id: str | None,
    ) -> tuple[Proposal, list[RecordedEvent], list[Texts]]:
        """Seal a command's event into the chain and fold it; with a policy, add the event of
        the deadlines it starts. Returns the new state, and the events to append together with
        their canonical text (written once, for the hash and for a SQL store). The chain goes
        on in the algorithm of the proposal's latest hash: ``hash_algorithm`` is for new
        proposals."""
        algorithm = state.last_hash_algorithm
        sealed, text = seal_body(
            state.id, state.version + 1, payload, at, now, actor, command_id, state.last_hash, algorithm
        )
        state = apply(state, sealed)
        policy = self.policy
        if policy is None:
            return state, [sealed], [text]
        calendar = self.calendar
        assert calendar is not None
        deadlines = started_by(payload, state, at, policy, calendar)
        if deadlines is None:
            return state, [sealed], [text]
        then, then_text = seal_body(
            state.id, state.version + 1, deadlines, at, now, actor, command_id, state.last_hash, algorithm
        )
        return apply(state, then), [sealed, then], [text, then_text]

    def append(
        self, proposal_id: str, expected: int, events: list[RecordedEvent], texts: list[Texts]
    ) -> None:
        """Append through the store; a SQL store takes the text already written for the hash,
        the memory store the events without comparing its head (see ``_append_events``)."""
        store = self.store
        if store.__class__ is MemoryStore:
            store._append_events(proposal_id, expected, events, False)
        elif isinstance(store, RowStore):
            store._append_rows(proposal_id, expected, _rows(events, texts))
        else:
            store.append(proposal_id, expected, events)

    def retried(
        self,
        proposal_id: str,
        command: str,
        actor: Actor,
        decide: Decide,
        args: dict[str, Any],
        command_id: str,
        other: str | None = None,
    ) -> Proposal | None:
        """The original outcome of an already recorded command, or None for a new command id."""
        found = self.store.find_command(command_id)
        if not found:
            return None
        first = found[0]
        what = f"{first.type} on proposal {first.stream_id!r}"
        own = [event for event in found if event.stream_id == proposal_id]
        theirs = [event for event in found if event.stream_id != proposal_id]
        if (
            first.stream_id != proposal_id
            or first.actor != actor
            or [event.stream_id for event in theirs[:1]] != ([] if other is None else [other])
        ):
            raise IdempotencyConflict(command_id, what)
        before = replay(self.store.read_stream(proposal_id, up_to=first.version - 1))
        if other is not None:  # the other proposal as it was when the command was decided
            args = {**args, "target": replay(self.store.read_stream(other, up_to=theirs[0].version - 1))}
        try:
            decided = decide(
                before, actor, c.check(before, command, actor), self.context(first.occurred_at), **args
            )
        except Exception:
            raise IdempotencyConflict(command_id, what) from None
        recorded = first.payload if other is None else (first.payload, theirs[0].payload)
        if decided != recorded:
            raise IdempotencyConflict(command_id, what)
        return replay(self.store.read_stream(proposal_id, up_to=own[-1].version))

    def context(self, at: pendulum.DateTime) -> c.Context:
        context: c.Context = _new_tuple(
            c.Context,
            (at, self.policy, self.calendar, self.withdrawal_after_assignment, self.require_countersign),
        )
        return context

    def load(self, proposal_id: str) -> Proposal:
        events = self.store.read_stream(proposal_id)
        if not events:
            raise ProposalNotFound(proposal_id)
        state = replay(events)
        self.remember(state)
        return state

    def holds(self, state: Proposal) -> bool:
        """Whether the log still holds ``state`` as the proposal's present state: the stream's
        version, and for a SQL store its latest hash too (a database restored from a backup
        can be back at a version with other events). A memory store's versions only grow."""
        store = self.store
        if isinstance(store, RowStore):
            return store._head(state.id) == (
                state.version,
                hash_text(state.last_hash_algorithm, state.last_hash),
            )
        return store.stream_version(state.id) == state.version

    def remember(self, state: Proposal) -> None:
        # each step is one call on the ordered dict, so threads sharing this workflow never
        # meet a half-done eviction; two of them evicting at once only drop one more entry
        if not self.cache_size:
            return
        cache = self.cache
        cache.pop(state.id, None)
        cache[state.id] = state  # now the most recently used
        if len(cache) > self.cache_size:
            with contextlib.suppress(KeyError):  # another thread emptied it meanwhile
                cache.popitem(last=False)

    def occurred_at(self, value: object, now: pendulum.DateTime, state: Proposal | None) -> pendulum.DateTime:
        if value is None:
            return now
        at = business_time("occurred_at", value)
        if at > now:
            raise InvalidInput("occurred_at", f"is {at.isoformat()}, later than now ({now.isoformat()})")
        if state is not None:
            day = at.in_timezone(SHANGHAI).date()
            last = state.last_occurred_at.in_timezone(SHANGHAI).date()
            if day < last:
                raise InvalidInput(
                    "occurred_at",
                    f"is {day.isoformat()}, before the proposal's latest event ({last.isoformat()}); "
                    "events are recorded in the order they happened",
                )
        return at

    def dated(
        self, letter: Dated, now: pendulum.DateTime, state: Proposal, command: str, actor: Actor
    ) -> pendulum.DateTime:
        """The business time a letter's date gives a command: now, on the letter's own day;
        the start of its day, for a letter of a day before, which must not precede the
        proposal's latest event. A letter dated after today is refused."""
        day = letter.day
        start, end = day_bounds(letter.field, day)
        if now < start:
            today = now.in_timezone(SHANGHAI).date()
            raise InvalidInput(
                letter.field,
                f"is {day.isoformat()}, after today ({today.isoformat()}, by the workflow's clock): "
                f"without occurred_at, the letter's date is when {command} happened",
            )
        if now < end:  # its own day
            if now < state.last_occurred_at:
                in_order(now, state, command, actor)
            return now
        last = state.last_occurred_at.in_timezone(SHANGHAI).date()
        if day < last:
            raise InvalidInput(
                letter.field,
                f"is {day.isoformat()}, before the proposal's latest event ({last.isoformat()}): without "
                f"occurred_at, the letter's date is when {command} happened, and events are recorded in "
                "the order they happened",
            )
        return start

    def notify(self, events: Sequence[RecordedEvent]) -> None:
        """Give ``events`` to every subscriber, as a tuple: what one subscriber does with it
        cannot change what the next is given. A command a subscriber runs while it is given
        events has its own given after those have reached every subscriber, so that each
        subscriber hears a proposal's events in the order they were stored."""
        pending: deque[Sequence[RecordedEvent]] | None = getattr(self.delivering, "pending", None)
        if pending is not None:  # a subscriber's own command, on the thread delivering
            pending.append(tuple(events))
            return
        self.delivering.pending = pending = deque((tuple(events),))
        try:
            while pending:
                batch = pending.popleft()
                for subscriber in list(self.subscribers):
                    try:
                        subscriber(batch)
                    except Exception:
                        log.exception("A subscriber failed after events were recorded; the events stand.")
        finally:
            self.delivering.pending = None


def in_order(now: pendulum.DateTime, state: Proposal, command: str, actor: Actor) -> None:
    """Refuse a command timed by a clock that puts today before the day of the proposal's
    latest event. An earlier time on the same day passes, as a given ``occurred_at`` does:
    servers' clocks a little apart must not stop the work."""
    today = now.in_timezone(SHANGHAI).date()
    latest = state.last_occurred_at.in_timezone(SHANGHAI).date()
    if today < latest:
        raise ClockBehind(
            proposal_id=state.id,
            command=command,
            state=state.status.value,
            actor=str(actor),
            today=today,
            latest=latest,
        )


def _rows(events: list[RecordedEvent], texts: list[Texts]) -> list[tuple[Any, ...]]:
    """The rows of a SQL store (the columns after ``position``), from the text of the hash."""
    return [stored_form(event, text)[1:] for event, text in zip(events, texts, strict=True)]


_new_tuple = tuple.__new__  # the named tuple's own __new__ costs more when interpreted
