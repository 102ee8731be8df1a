"""The application service: load a proposal, run a command, append its event, notify.

Each command's method checks what the caller passed; then every command follows the same path
(:meth:`cohandle._engine.Engine.run`): idempotency check, load, check the expected version,
the lifecycle and the permission table, the command's own checks, then one event is sealed
into the hash chain, folded into the state and appended with the version it was decided on.
A refused command appends nothing.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypedDict, Unpack

import pendulum

from cohandle import _commands as c
from cohandle._clock import SHANGHAI, Clock, Dated, SystemClock, business_time, iso_value
from cohandle._clocks import DeadlineChange, changes_of
from cohandle._engine import Decide, Engine, Subscriber
from cohandle._errors import (
    ConcurrencyConflict,
    IdempotencyConflict,
    InvalidInput,
    PermissionDenied,
    ProposalExists,
    ProposalNotFound,
    expect,
    got,
    state_words,
    storable_id,
    whole_number,
)
from cohandle._events import (
    HASH_ALGORITHMS,
    ProposalReceived,
    RecordedEvent,
    hasher,
    seal_body,
)
from cohandle._model import (
    ABC,
    Actor,
    AssignmentMode,
    CategoryScheme,
    ContactMethod,
    Feedback,
    Opinion,
    ProposalData,
    PublicationForm,
    Reply,
    Unit,
    as_date,
)
from cohandle._permissions import PERMISSIONS
from cohandle._state import GENESIS, Proposal, replay, start
from cohandle.deadlines import Calendar, Policy
from cohandle.letters import (
    LetterMismatch,
    ParsedFeedbackForm,
    ParsedLetter,
    feedback_from_form,
    opinion_from_letter,
    parse_feedback_form,
    parse_letter,
)
from cohandle.stores import EventStore, MemoryStore, PostgresStore, SQLiteStore, VerifyReport, verify
from cohandle.stores._rows import RowStore, histories

__all__ = ["Workflow"]


class CommandOptions(TypedDict, total=False):
    """Options every command takes besides its own arguments.

    - ``occurred_at``: the business time (the date on the letter), a date or an aware
      datetime; defaults to the date of the letter the command records (an opinion's, a
      reply's, a feedback's that has one), or now. It may be in the past, never before the
      proposal's latest event; a letter's own day gives the time now.
    - ``command_id``: an idempotency key; a retry with the same id and the same command returns
      the original outcome and records nothing.
    - ``expected_version``: the version the caller decided on; any other raises
      :class:`~cohandle.ConcurrencyConflict`.
    """

    occurred_at: object
    command_id: str | None
    expected_version: int | None


_OPTIONS = frozenset(CommandOptions.__annotations__)

_DEFAULT_CACHE = 10_000


def _cut(field: str, moment: object) -> tuple[pendulum.DateTime, bool]:
    """The last instant whose events a state as of ``moment`` holds, and whether ``moment`` is
    a day: ``moment`` itself, or for a day (a date, or ISO text of one), the instant before it
    began. An event dated by its day alone (a letter entered later) is recorded at the start
    of that day, and had not happened when the day began."""
    at = business_time(field, moment)  # which refuses what it cannot read
    typed = iso_value(moment) if isinstance(moment, str) else moment
    if isinstance(typed, _dt.datetime):
        return at, False
    return at.subtract(microseconds=1), True


def _as_it_stood(events: Sequence[RecordedEvent], at: pendulum.DateTime) -> Proposal | None:
    """The state after a stream's events that occurred by ``at``, up to the first that occurred
    later (events are recorded in the order they happened, by day); None when the first did."""
    count = 0
    for event in events:
        if event.occurred_at > at:
            break
        count += 1
    return replay(events[:count]) if count else None


class Workflow:
    """Handle proposals: every command checks, records one event and returns the new state.

    ``Workflow()`` keeps the log in memory with the system clock. Give a ``store`` to keep it
    elsewhere, a ``clock`` to control "now" (tests, imports of past cases), ``hash_algorithm``
    ``"sm3"`` for 国密 hashing of new proposals (a proposal's chain keeps the algorithm it began
    with), and ``category_scheme`` for new proposals' reply categories.
    ``withdrawal_after_assignment=False`` lets proposers withdraw only before assignment;
    ``require_countersign=True`` holds the lead's reply until the co-handlers countersign it
    (会签).

    The threads of a process may share one workflow. Two commands on the same proposal at once
    are settled by the store's version check: the later one is decided again on the stored
    state, and raises :class:`~cohandle.ConcurrencyConflict` if it still cannot be recorded.
    """

    def __init__(
        self,
        store: EventStore | None = None,
        *,
        clock: Clock | None = None,
        hash_algorithm: str = "sha256",
        category_scheme: CategoryScheme = ABC,
        withdrawal_after_assignment: bool = True,
        require_countersign: bool = False,
        policy: Policy | None = None,
        calendar: Calendar | None = None,
        cache_size: int = _DEFAULT_CACHE,
    ) -> None:
        if not isinstance(category_scheme, CategoryScheme):
            raise InvalidInput("category_scheme", f"must be a CategoryScheme (got {category_scheme!r})")
        whole_number("cache_size", cache_size, least=0)
        policy = _policy(policy)
        self.category_scheme = category_scheme
        self._engine = Engine(
            MemoryStore() if store is None else _store(store),
            SystemClock() if clock is None else _clock(clock),
            _algorithm(hash_algorithm),
            policy,
            (Calendar.china() if policy is not None else None) if calendar is None else _calendar(calendar),
            _flag("withdrawal_after_assignment", withdrawal_after_assignment),
            cache_size,
            _flag("require_countersign", require_countersign),
        )
        self._cache = self._engine.cache  # least recently used first

    # The settings live in the engine every command runs through; each is checked when set, as
    # when the workflow is made.

    @property
    def store(self) -> EventStore:
        """Where the log is kept. Setting another store drops the states the workflow keeps in
        memory, which were read from the old one: a proposal with the same id in the new store
        is read from it, never continued from the old store's chain."""
        return self._engine.store

    @store.setter
    def store(self, store: EventStore) -> None:
        engine = self._engine
        engine.store = _store(store)
        engine.cache.clear()

    @property
    def clock(self) -> Clock:
        """Where "now" comes from."""
        return self._engine.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._engine.clock = _clock(clock)

    @property
    def hash_algorithm(self) -> str:
        """The digest that chains the events of proposals received from now on: ``"sha256"`` or
        ``"sm3"``. A proposal already in the log goes on in the algorithm of its own chain
        (:attr:`Proposal.last_hash_algorithm`)."""
        return self._engine.hash_algorithm

    @hash_algorithm.setter
    def hash_algorithm(self, algorithm: str) -> None:
        self._engine.hash_algorithm = _algorithm(algorithm)

    @property
    def withdrawal_after_assignment(self) -> bool:
        """Whether proposers may withdraw an item after it is assigned."""
        return self._engine.withdrawal_after_assignment

    @withdrawal_after_assignment.setter
    def withdrawal_after_assignment(self, allowed: bool) -> None:
        self._engine.withdrawal_after_assignment = _flag("withdrawal_after_assignment", allowed)

    @property
    def require_countersign(self) -> bool:
        """Whether the lead answers only once every co-handler that submitted an opinion has
        countersigned (会签) its reply, as online systems that hold a reply "协办未会签" do."""
        return self._engine.require_countersign

    @require_countersign.setter
    def require_countersign(self, required: bool) -> None:
        self._engine.require_countersign = _flag("require_countersign", required)

    @property
    def policy(self) -> Policy | None:
        """The deadline rules, if any: with them each command records the deadlines it starts."""
        return self._engine.policy

    @policy.setter
    def policy(self, policy: Policy | None) -> None:
        engine = self._engine
        engine.policy = _policy(policy)
        if policy is not None and engine.calendar is None:
            engine.calendar = Calendar.china()  # as when a workflow is made with a policy

    @property
    def calendar(self) -> Calendar | None:
        """The working-day calendar the deadlines are counted on."""
        return self._engine.calendar

    @calendar.setter
    def calendar(self, calendar: Calendar | None) -> None:
        if calendar is None and self._engine.policy is not None:
            raise InvalidInput("calendar", "must be a Calendar while the workflow has a deadline policy")
        self._engine.calendar = None if calendar is None else _calendar(calendar)

    @classmethod
    def open(cls, path: str | os.PathLike[str] = "cohandle.db", **options: Any) -> Workflow:
        """A workflow on the SQLite file at ``path`` (created if missing), or on PostgreSQL when
        ``path`` is a ``postgresql://`` URL or a libpq connection string of ``keyword=value``
        pairs (``host=db.internal dbname=oa user=oa``).

        ``synchronous`` (``"FULL"``, the default, or ``"NORMAL"``) and ``busy_timeout`` go to
        the SQLite store, ``schema`` and ``connect_timeout`` to the PostgreSQL one, ``create``
        to either; every other option to :class:`Workflow`. With ``create=False`` (a report, a
        reading job) a database that holds no cohandle log is refused with
        :class:`~cohandle.stores.StorageError` and nothing is made in it, where by default the
        log's tables are created: a mistyped file name or URL is not given a new, empty log.
        """
        if not isinstance(path, str | os.PathLike):
            raise InvalidInput(
                "path", f"must name a database file, or a PostgreSQL database by its URL (got {got(path)})"
            )
        target = os.fspath(path)
        postgres = isinstance(target, str) and postgres_url(target)
        scheme = url_scheme(target) if isinstance(target, str) and not postgres else None
        if scheme is not None:  # taken as a file name, it made a folder "mysql:" or said none exists
            raise InvalidInput(
                "path",
                f"is a {scheme}:// URL, and cohandle opens a SQLite file, named by its path "
                "(cohandle.db, /srv/oa/cohandle.db), or a postgresql:// URL",
            )
        store_names = _options_of(PostgresStore if postgres else SQLiteStore)
        workflow_names = _options_of(cls)
        unknown = sorted(set(options) - store_names - workflow_names)
        if unknown:
            known = ", ".join(sorted(store_names | workflow_names))
            raise InvalidInput(unknown[0], f"is not an option of Workflow.open (its options: {known})")
        store_options = {name: options.pop(name) for name in store_names if name in options}
        store: EventStore = (
            PostgresStore(target, **store_options) if postgres else SQLiteStore(target, **store_options)
        )
        try:
            return cls(store, **options)
        except BaseException:
            store.close()  # a refused option must not leave the database open
            raise

    def __enter__(self) -> Workflow:
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the store (its database connection). ``close`` is the 办结 command."""
        self.store.close()

    def verify(
        self,
        progress: Callable[[int], Any] | None = None,
        *,
        anchor: Mapping[str, tuple[int, str]] | None = None,
        replay: bool = False,
        read_back: Callable[[int], Any] | None = None,
    ) -> VerifyReport:
        """Check the whole log: every hash chain, against the text the store keeps, and every
        proposal against its recorded head. It may run while commands are recorded.

        ``progress``, if given, is called with the number of events checked so far.
        ``anchor``, the ``store.heads()`` of an earlier day kept outside the database, must
        still be found: each event it names, with its hash. With ``replay``, every proposal is
        then read back as :meth:`get` reads it, and one that cannot be (its chain holds, but its
        events could not have happened in their order, or cannot be decoded) is the problem;
        ``read_back`` is called with the number of proposals read back. See
        :func:`cohandle.stores.verify`.
        """
        return verify(self.store, progress, anchor=anchor, replay=replay, read_back=read_back)

    # -- reading -------------------------------------------------------------------------------

    def get(self, proposal_id: str) -> Proposal:
        """The proposal's present state."""
        cached = self._cache.get(_proposal_id(proposal_id))
        if cached is not None and self._engine.holds(cached):
            return cached
        return self._engine.load(proposal_id)

    def history(self, proposal_id: str) -> tuple[RecordedEvent, ...]:
        """Every event of the proposal, oldest first."""
        events = self.store.read_stream(_proposal_id(proposal_id))
        if not events:
            raise ProposalNotFound(proposal_id)
        return tuple(events)

    def state_at(self, proposal_id: str, version: int) -> Proposal:
        """The proposal as it was after event ``version``."""
        whole_number("version", version)
        # at least the first event: a version below 1 is refused below, not taken as no proposal
        events = self.store.read_stream(_proposal_id(proposal_id), up_to=max(version, 1))
        if not events:
            raise ProposalNotFound(proposal_id)
        if version < 1 or len(events) < version:
            raise InvalidInput(
                "version", f"must be from 1 to {self.store.stream_version(proposal_id)} (got {version})"
            )
        return replay(events)

    def state_as_of(
        self, proposal_id: str, moment: pendulum.DateTime | _dt.datetime | _dt.date | str
    ) -> Proposal:
        """The proposal as it stood at ``moment``, by when its events occurred: the events that
        occurred later are left out. ``moment`` is read as ``occurred_at`` is: a date is the
        start of that day in Asia/Shanghai, before anything dated that day (a letter entered
        later is recorded at the start of its day); a time is that instant, what occurred by
        then included. A proposal received later than ``moment`` is refused with
        :class:`InvalidInput`."""
        at, a_day = _cut("moment", moment)
        events = self.store.read_stream(_proposal_id(proposal_id))
        if not events:
            raise ProposalNotFound(proposal_id)
        stood = _as_it_stood(events, at)
        if stood is None:
            when = (
                f"{at.add(microseconds=1).in_timezone(SHANGHAI).date().isoformat()}, the start of that day"
                if a_day
                else at.in_timezone(SHANGHAI).isoformat()
            )
            raise InvalidInput(
                "moment",
                f"is {when}, before proposal {proposal_id!r} was received "
                f"({events[0].occurred_at.in_timezone(SHANGHAI).isoformat()})",
            )
        return stood

    def proposals(
        self, *, as_of: pendulum.DateTime | _dt.datetime | _dt.date | str | None = None
    ) -> Iterator[Proposal]:
        """Every proposal in the store, in the order they were first recorded.

        With ``as_of``, each as it stood at that moment (as :meth:`state_as_of` gives it), and
        without those received later: what was overdue on a past day, or the statistics of a
        quarter's end, judged on what had happened by then. An event recorded later but dated
        earlier (a letter entered a week after its date) counts from its date, as it does in
        the state it is folded into. From a SQL store they are rebuilt from the log, a few
        hundred proposals per query; a proposal the store lists but holds no event of raises
        :class:`~cohandle.ChainBroken` (the log is damaged).
        """
        # read here, so that a moment that cannot be read is refused by the call itself
        return self._proposals(None if as_of is None else _cut("as_of", as_of)[0])

    def _proposals(self, at: pendulum.DateTime | None) -> Iterator[Proposal]:
        store = self.store
        if not isinstance(store, RowStore):
            for proposal_id in store.stream_ids():
                proposal = self.get(proposal_id)
                if at is None or proposal.last_occurred_at <= at:
                    yield proposal
                    continue
                stood = _as_it_stood(store.read_stream(proposal_id), at)
                if stood is not None:
                    yield stood
            return
        for events in self._histories():
            stood = replay(events) if at is None else _as_it_stood(events, at)
            if stood is not None:
                yield stood

    def _histories(self) -> Iterator[list[RecordedEvent]]:
        """Every proposal's events, in the order they were first recorded; from a SQL store a
        few hundred proposals per query."""
        yield from histories(self.store, list(self.store.stream_ids()))

    def deadline_changes(
        self, *, policy: Policy | None = None, calendar: Calendar | None = None
    ) -> list[DeadlineChange]:
        """The deadlines open now (by the workflow's clock; late ones included, lapsed windows
        not) that ``policy`` and ``calendar`` (by default the workflow's own) would have set
        otherwise: for each, the deadline recorded and the one counted again for the event that
        started it. Nothing is recorded: a recorded deadline is a fact of the log, and this
        shows what a new holiday schedule or a changed policy would move.

        A year the calendar has no schedule for raises :class:`~cohandle.deadlines.CalendarError`,
        naming the proposal and the deadline."""
        policy = _policy(policy) or self.policy
        if policy is None:
            raise InvalidInput(
                "policy", "must be given: this workflow counts no deadlines (it has no policy)"
            )
        if calendar is None:  # the workflow's, or China's as when a workflow is made with a policy
            calendar = self.calendar if self.calendar is not None else Calendar.china()
        calendar = _calendar(calendar)
        now = self.clock.now()
        return [
            change for history in self._histories() for change in changes_of(history, policy, calendar, now)
        ]

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(events)`` after each command's events are stored, ``events`` a tuple
        (a merge's events belong to two proposals: the merged item's and the other's).

        Returns a function that unsubscribes (calling it again does nothing). A subscriber
        that raises is logged on the ``cohandle`` logger; the command it follows has already
        been recorded and stands.

        A subscriber is called on the thread that ran the command. A command it runs itself is
        stored at once, and given to the subscribers once the events being given have reached
        them all, so each hears a proposal's events in the order they were stored. Commands run
        on several threads at once are given on each thread, and may arrive in another order:
        a subscriber keeping a proposal's latest state compares ``event.version`` (as
        :class:`DeadlineBoard` does), or a reader follows ``store.read_all``.
        """
        if not callable(subscriber):
            raise InvalidInput("subscriber", f"must be a function taking the events (got {got(subscriber)})")
        subscribers = self._engine.subscribers
        subscribers.append(subscriber)
        active = True

        def unsubscribe() -> None:
            nonlocal active
            if active:
                active = False
                subscribers.remove(subscriber)

        return unsubscribe

    # -- commands ------------------------------------------------------------------------------

    def receive(
        self,
        proposal: ProposalData,
        *,
        actor: Actor,
        assigning_body: Unit | None = None,
        id: str | None = None,
        category_scheme: CategoryScheme | None = None,
        occurred_at: object = None,
        command_id: str | None = None,
    ) -> Proposal:
        """Record a new proposal (收到). The actor acts for the assigning body (交办单位).

        The id defaults to ``{body}-{region}-{term}-{meeting}-{number}``, so the same number of
        the same session cannot be received twice.
        """
        if not isinstance(proposal, ProposalData):
            raise InvalidInput("proposal", f"must be a ProposalData (got {type(proposal).__name__})")
        _actor(actor)
        body = assigning_body if assigning_body is not None else actor.unit
        if body is None:
            raise InvalidInput("assigning_body", "must be given, or the actor must act for a unit")
        body = c.unit("assigning_body", body)
        proposal_id = (
            storable_id("id", c.text("id", id))
            if id is not None
            else storable_id(
                "id made from the session and the number", f"{proposal.session.key}-{proposal.number}"
            )
        )
        scheme = category_scheme if category_scheme is not None else self.category_scheme
        if not isinstance(scheme, CategoryScheme):
            raise InvalidInput("category_scheme", f"must be a CategoryScheme (got {scheme!r})")
        event = ProposalReceived(proposal=proposal, assigning_body=body, category_scheme=scheme)
        if command_id is not None:
            command_id = _command_id(command_id)
            original = self._received_before(command_id, proposal_id, event, actor)
            if original is not None:
                return original
        if actor.unit != body:
            raise PermissionDenied(
                proposal_id=proposal_id,
                command="receive",
                state="new",
                actor=str(actor),
                relations=(),
                allowed_relations=[r.value for r in PERMISSIONS["receive"]],
                detail=f"Only someone acting for {body.name} receives it.",
            )
        engine = self._engine
        now = engine.clock.now()
        at = engine.occurred_at(occurred_at, now, None)
        sealed, texts = seal_body(
            proposal_id, 1, event, at, now, actor, command_id, GENESIS, engine.hash_algorithm
        )
        state = start(sealed)
        try:
            engine.append(proposal_id, 0, [sealed], [texts])
        except ConcurrencyConflict:
            if command_id is not None:  # the same receipt, retried while the original was stored
                original = self._received_before(command_id, proposal_id, event, actor)
                if original is not None:
                    return original
            raise ProposalExists(proposal_id) from None
        engine.remember(state)
        engine.notify([sealed])
        return state

    def _received_before(
        self, command_id: str, proposal_id: str, event: ProposalReceived, actor: Actor
    ) -> Proposal | None:
        """The proposal a receipt with this command id recorded, or None; the id used for
        something else is an :class:`IdempotencyConflict`."""
        found = self.store.find_command(command_id)
        if not found:
            return None
        if found[0].stream_id != proposal_id or found[0].payload != event or found[0].actor != actor:
            raise IdempotencyConflict(command_id, f"{found[0].type} on proposal {found[0].stream_id!r}")
        return replay(found)

    def file(
        self, proposal_id: str, *, actor: Actor, note: str = "", **options: Unpack[CommandOptions]
    ) -> Proposal:
        """File the proposal (立案)."""
        return self._run(proposal_id, "file", actor, c.decide_file, {"note": note}, **options)

    def reject(
        self,
        proposal_id: str,
        *,
        actor: Actor,
        reason: str,
        forwarded_to: Unit | None = None,
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Decline to file it (不予立案), with the reason, optionally forwarding it to a unit."""
        args = {"reason": reason, "forwarded_to": forwarded_to}
        return self._run(proposal_id, "reject", actor, c.decide_reject, args, **options)

    def merge(
        self,
        proposal_id: str,
        *,
        into: str,
        actor: Actor,
        reason: str = "",
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Merge it into another proposal (并案), which is handled and answered for both.

        The item is final, and ``merged_into`` names that one. The other records the item and
        what it asked (``merged``), in the same transaction: its reply is written to the
        proposers of both (``addressees``), and they all may give feedback on it. The other
        must not have answered yet; an item that others are merged into is not merged, rejected
        or withdrawn itself. ``expected_version`` is this item's."""
        into = c.text("into", _proposal_id(into, "into"))
        return self._run(proposal_id, "merge", actor, c.decide_merge, {"reason": reason}, into, **options)

    def assign(
        self,
        proposal_id: str,
        *,
        actor: Actor,
        lead: Unit | None = None,
        co_handlers: Iterable[Unit] | None = None,
        handlers: Iterable[Unit] | None = None,
        mode: AssignmentMode | None = None,
        note: str = "",
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Assign it (交办): a lead alone, a lead with co-handlers, or several separate handlers."""
        args = {
            "mode": mode,
            "lead": lead,
            "co_handlers": _listed("co_handlers", co_handlers),
            "handlers": _listed("handlers", handlers),
            "note": note,
        }
        return self._run(proposal_id, "assign", actor, c.decide_assign, args, **options)

    def sign_for(self, proposal_id: str, *, actor: Actor, **options: Unpack[CommandOptions]) -> Proposal:
        """The actor's unit signs for its part of the assignment (签收): the lead, a co-handler or
        a separate handler, once, before it has sent its opinion or answered. Its business time
        (``occurred_at``) is the day of receipt. Where the policy counts a deadline from receipt
        (``start = "signed_for"``), that unit's deadline is counted again from this day; until a
        unit signs, it is counted from the event that named it (the assignment, or the decision
        naming a replacement)."""
        return self._run(proposal_id, "sign_for", actor, c.decide_sign_for, {}, **options)

    def request_reassignment(
        self, proposal_id: str, *, actor: Actor, reason: str, **options: Unpack[CommandOptions]
    ) -> Proposal:
        """A handling unit says the item is not its business and asks to be released."""
        args = {"reason": reason}
        return self._run(
            proposal_id, "request_reassignment", actor, c.decide_request_reassignment, args, **options
        )

    def decide_reassignment(
        self,
        proposal_id: str,
        *,
        unit: Unit,
        approve: bool,
        actor: Actor,
        replacement: Unit | None = None,
        reason: str = "",
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """The assigning body approves (naming a replacement) or refuses a reassignment request."""
        args = {"unit_": unit, "approve": approve, "replacement": replacement, "reason": reason}
        return self._run(proposal_id, "decide_reassignment", actor, c.decide_reassignment, args, **options)

    def submit_opinion(
        self, proposal_id: str, *, opinion: Opinion, actor: Actor, **options: Unpack[CommandOptions]
    ) -> Proposal:
        """A co-handler sends its written opinion (会办意见) to the lead. The opinion's date is
        the business time unless ``occurred_at`` is given (on the day itself, the time now)."""
        if options.get("occurred_at") is None and isinstance(opinion, Opinion):
            options["occurred_at"] = Dated("Opinion.date", opinion.date)
        args = {"opinion": opinion}
        return self._run(proposal_id, "submit_opinion", actor, c.decide_submit_opinion, args, **options)

    def submit_opinion_letter(
        self,
        proposal_id: str,
        letter: str | bytes | ParsedLetter,
        *,
        actor: Actor,
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Submit a co-handler's opinion from its letter: text as found, a file's bytes (UTF-8,
        or a Word document's), or a letter :func:`~cohandle.letters.parse_letter` has read.

        The letter's date is the business time unless ``occurred_at`` is given. A letter about
        another proposal, or addressed to another unit, raises
        :class:`~cohandle.letters.LetterMismatch`; the actor must act for the co-handler that
        signed it, as for :meth:`submit_opinion`.
        """
        parsed = letter if isinstance(letter, ParsedLetter) else parse_letter(letter)
        p = self.get(proposal_id)
        if p.lead is None:
            raise LetterMismatch(
                f"Proposal {proposal_id!r} has no lead unit to address an opinion to (it is {state_words(p.status)})."
            )
        opinion = opinion_from_letter(parsed, p.data, p.lead)
        return self.submit_opinion(proposal_id, opinion=opinion, actor=actor, **options)

    def return_opinion(
        self, proposal_id: str, *, unit: Unit, reason: str, actor: Actor, **options: Unpack[CommandOptions]
    ) -> Proposal:
        """The lead sends a co-handler's opinion back for revision; the co-handler resubmits."""
        args = {"unit_": unit, "reason": reason}
        return self._run(proposal_id, "return_opinion", actor, c.decide_return_opinion, args, **options)

    def excuse_co_handler(
        self, proposal_id: str, *, unit: Unit, reason: str, actor: Actor, **options: Unpack[CommandOptions]
    ) -> Proposal:
        """The assigning body excuses a co-handler from sending an opinion."""
        args = {"unit_": unit, "reason": reason}
        return self._run(proposal_id, "excuse_co_handler", actor, c.decide_excuse_co_handler, args, **options)

    def consolidate(
        self, proposal_id: str, *, actor: Actor, note: str = "", **options: Unpack[CommandOptions]
    ) -> Proposal:
        """The lead consolidates (综合) the co-handlers' opinions."""
        return self._run(proposal_id, "consolidate", actor, c.decide_consolidate, {"note": note}, **options)

    def countersign(
        self, proposal_id: str, *, actor: Actor, note: str = "", **options: Unpack[CommandOptions]
    ) -> Proposal:
        """A co-handler that submitted its opinion countersigns (会签) the reply the lead drafted
        from the consolidated opinions, once before each reply is sent (after a re-handling,
        the new reply too); ``note`` says what it asked to change. Recorded whatever the
        workflow's :attr:`require_countersign`; with it, the lead answers only once every such
        co-handler has (:attr:`Proposal.outstanding_countersignatures`)."""
        return self._run(proposal_id, "countersign", actor, c.decide_countersign, {"note": note}, **options)

    def answer(
        self, proposal_id: str, *, reply: Reply, actor: Actor, **options: Unpack[CommandOptions]
    ) -> Proposal:
        """Send the reply (答复) to the proposers: the lead's, or a separate handler's part.
        Where the workflow has :attr:`require_countersign`, the lead's waits for every
        co-handler that submitted an opinion to countersign it (:meth:`countersign`). The
        reply's date is the business time unless ``occurred_at`` is given (on the day itself,
        the time now)."""
        if options.get("occurred_at") is None and isinstance(reply, Reply):
            options["occurred_at"] = Dated("Reply.date", reply.date)
        return self._run(proposal_id, "answer", actor, c.decide_answer, {"reply": reply}, **options)

    def record_feedback(
        self, proposal_id: str, *, feedback: Feedback, actor: Actor, **options: Unpack[CommandOptions]
    ) -> Proposal:
        """Record a proposer's view of the reply: 满意, 基本满意 or 不满意. A feedback's date, where
        it has one, is the business time unless ``occurred_at`` is given (on the day itself, the
        time now)."""
        if (
            options.get("occurred_at") is None
            and isinstance(feedback, Feedback)
            and feedback.date is not None
        ):
            options["occurred_at"] = Dated("Feedback.date", feedback.date)
        args = {"feedback": feedback}
        return self._run(proposal_id, "record_feedback", actor, c.decide_record_feedback, args, **options)

    def record_feedback_form(
        self,
        proposal_id: str,
        form: str | bytes | ParsedFeedbackForm,
        *,
        actor: Actor,
        unit: Unit | None = None,
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Record a proposer's view of the reply from the feedback form (征询意见表) they filled
        in: text as found, a file's bytes (a Word document's too), or a form
        :func:`~cohandle.letters.parse_feedback_form` has read. The day they signed it is the
        business time unless ``occurred_at`` is given. A form about another item, or with no
        one answer of 满意, 基本满意 or 不满意 ticked, raises
        :class:`~cohandle.letters.LetterMismatch`; in separate handling (分办) the feedback is on
        ``unit``'s reply, or on that of the handler the form names."""
        parsed = form if isinstance(form, ParsedFeedbackForm) else parse_feedback_form(form)
        feedback = feedback_from_form(parsed, self.get(proposal_id), unit=unit)
        return self.record_feedback(proposal_id, feedback=feedback, actor=actor, **options)

    def order_rehandling(
        self, proposal_id: str, *, reason: str, actor: Actor, **options: Unpack[CommandOptions]
    ) -> Proposal:
        """After a 不满意 feedback, the assigning body orders the item handled again."""
        args = {"reason": reason}
        return self._run(proposal_id, "order_rehandling", actor, c.decide_order_rehandling, args, **options)

    def close(
        self, proposal_id: str, *, actor: Actor, note: str = "", **options: Unpack[CommandOptions]
    ) -> Proposal:
        """Close the item (办结)."""
        return self._run(proposal_id, "close", actor, c.decide_close, {"note": note}, **options)

    def withdraw(
        self,
        proposal_id: str,
        *,
        signed_by: Iterable[str],
        reason: str,
        actor: Actor,
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """The proposers withdraw the item in writing (撤回); a joint item needs every signature."""
        args = {"signed_by": _listed("signed_by", signed_by), "reason": reason}
        return self._run(proposal_id, "withdraw", actor, c.decide_withdraw, args, **options)

    def extend(
        self,
        proposal_id: str,
        *,
        until: pendulum.Date | _dt.date | str,
        approval: str,
        reason: str,
        actor: Actor,
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Record an approved extension (延期) of the reply deadline to ``until``. Under a policy,
        each open reply (or re-handling) deadline is superseded by one due on ``until``, and a
        unit that owes the reply with no deadline for it gets one."""
        args = {"until": as_date("until", until), "approval": approval, "reason": reason}
        return self._run(proposal_id, "extend", actor, c.decide_extend, args, **options)

    def remind(
        self,
        proposal_id: str,
        *,
        to: Unit | str,
        actor: Actor,
        note: str = "",
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Issue a reminder (催办) to a handling unit, or, with ``to=PROPOSER_PARTY`` (提案者, the
        party of the proposers' deadlines), to the proposers of the feedback they owe, while the
        item is answered. The assigning body and a key proposal's supervisor remind any of
        them; the lead unit its co-handlers. Once the item is answered, a unit is reminded only
        of what it still owes: publishing its reply marked 主动公开. A reminder job passes each
        item the board lists as ``to=reminder.item.to``."""
        args = {"to": to, "note": note}
        return self._run(proposal_id, "remind", actor, c.decide_remind, args, **options)

    def record_contact(
        self,
        proposal_id: str,
        *,
        method: ContactMethod | str,
        actor: Actor,
        proposers: Iterable[str] | None = None,
        note: str = "",
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Record that the actor's unit was in touch with proposers (沟通; ``ContactMethod.MEETING``
        when they met, 见面): all of them, or those ``proposers`` names. The business time
        (``occurred_at``) is when. :func:`~cohandle.statistics` counts 沟通率 and 见面率 from
        these."""
        args = {"method": method, "proposers": proposers, "note": note}
        return self._run(proposal_id, "record_contact", actor, c.decide_record_contact, args, **options)

    def mark_key(
        self,
        proposal_id: str,
        *,
        actor: Actor,
        supervisor: Unit | None = None,
        note: str = "",
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Mark it a key proposal (重点提案) followed by a supervisor (督办)."""
        args = {"supervisor": supervisor, "note": note}
        return self._run(proposal_id, "mark_key", actor, c.decide_mark_key, args, **options)

    def revise_deadlines(
        self, proposal_id: str, *, reason: str, actor: Actor, **options: Unpack[CommandOptions]
    ) -> Proposal:
        """Record the open deadlines that the workflow's policy and calendar now count otherwise
        (what :meth:`deadline_changes` lists for this proposal), as one event: each replaced
        deadline is settled as revised, and the one counted now is due from then on. The
        assigning body does it, with a reason: the year's holiday notice is out, a rule changed.
        Refused when nothing would change."""
        proposal_id = _proposal_id(proposal_id)

        def read(version: int) -> list[RecordedEvent]:
            return self.store.read_stream(proposal_id, up_to=version)

        args = {"read": read, "reason": reason}
        return self._run(proposal_id, "revise_deadlines", actor, c.decide_revise_deadlines, args, **options)

    def publish(
        self,
        proposal_id: str,
        *,
        actor: Actor,
        url: str | None = None,
        unit: Unit | None = None,
        form: PublicationForm | str = PublicationForm.FULL,
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Record that a unit's latest reply was published (公开): the lead's or a handler's own,
        when it publishes; when the assigning body does, the one awaiting publication, or under
        separate handling (分办) with several awaiting, the one of ``unit``. ``form`` says
        whether it was published in full (全文公开, the default) or as a summary (摘要公开;
        ``"summary"``). A reply sent again after re-handling is published again."""
        args = {"url": url, "of": unit, "form": form}
        return self._run(proposal_id, "publish", actor, c.decide_publish, args, **options)

    def report_implementation(
        self,
        proposal_id: str,
        *,
        report: str,
        actor: Actor,
        category: str | None = None,
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """The lead, or a separate handler, reports how what its latest reply said is carried
        out (落实情况), after answering, closed or not: a 回头看 asks this of replies that
        promised work (B类). ``category`` restates the reply's category as it stands now
        (现办复类别: a B now solved is A); :meth:`Proposal.category_now` gives it, and the
        statistics count it apart from the category the reply gave."""
        args = {"report": report, "category": category}
        return self._run(
            proposal_id, "report_implementation", actor, c.decide_report_implementation, args, **options
        )

    def review_reply(
        self,
        proposal_id: str,
        *,
        actor: Actor,
        category: str | None = None,
        unit: Unit | None = None,
        note: str = "",
        **options: Unpack[CommandOptions],
    ) -> Proposal:
        """Record a review (审核) of a unit's latest reply by the assigning body or a key
        proposal's supervisor (督办): the lead's, or under separate handling (分办) the one of
        ``unit`` when several units answer. ``category``, one of the item's scheme, is the
        category the reviewer puts the reply in (an A whose problem is only planned is B): the reply
        is counted in it from then on (:meth:`Proposal.category`, the statistics' categories);
        None leaves it as it stands. The letter stays as it was sent. A reply sent again after
        re-handling is reviewed again."""
        args = {"of": unit, "category": category, "note": note}
        return self._run(proposal_id, "review_reply", actor, c.decide_review_reply, args, **options)

    # -- the one path every command takes ------------------------------------------------------

    def _run(
        self,
        proposal_id: str,
        command: str,
        actor: Actor,
        decide: Decide,
        args: dict[str, Any],
        other: str | None = None,
        /,
        *,
        occurred_at: object = None,
        command_id: str | None = None,
        expected_version: int | None = None,
        **unknown: object,
    ) -> Proposal:
        if unknown:  # as Python says it, naming the method called rather than this one
            import difflib  # only here: not a cost of importing cohandle

            name = min(unknown)
            near = difflib.get_close_matches(name, _OPTIONS, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise TypeError(
                f"Workflow.{command}() got an unexpected keyword argument {name!r}{hint} "
                f"(a command's options are {', '.join(sorted(_OPTIONS))})"
            )
        _proposal_id(proposal_id)
        _actor(actor)
        if command_id is not None:
            command_id = _command_id(command_id)
        if expected_version is not None and (not isinstance(expected_version, int) or expected_version < 1):
            raise InvalidInput(
                "expected_version", f"must be a version number from 1 (got {expected_version!r})"
            )
        return self._engine.run(
            proposal_id, command, actor, decide, args, occurred_at, command_id, expected_version, other
        )


_STORE_METHODS = tuple(sorted(name for name in vars(EventStore) if not name.startswith("_")))


def _store(value: object) -> EventStore:
    if not isinstance(value, EventStore):
        missing = [name for name in _STORE_METHODS if not callable(getattr(value, name, None))]
        # a store of one's own that is nearly whole is told what it lacks; a list is not
        lacks = f"; it lacks {', '.join(missing)}" if len(missing) <= len(_STORE_METHODS) // 2 else ""
        raise InvalidInput(
            "store",
            f"must be an event store, such as MemoryStore() or SQLiteStore(path) (got {got(value)}){lacks}",
        )
    return value


def _clock(value: object) -> Clock:
    if not callable(getattr(value, "now", None)):
        raise InvalidInput(
            "clock", f"must have a now() method, as SystemClock() and FixedClock(...) do (got {got(value)})"
        )
    return value  # type: ignore[return-value]  # it has now(), which is all a Clock is


def _algorithm(value: object) -> str:
    if not isinstance(value, str) or value not in HASH_ALGORITHMS:
        raise InvalidInput("hash_algorithm", f"must be one of {', '.join(HASH_ALGORITHMS)} (got {value!r})")
    hasher(value)  # fail now, not at the first command, if sm3 is missing
    return value


def _flag(field: str, value: object) -> bool:
    expect(field, value, bool, "True or False")
    return bool(value)


def _policy(value: object) -> Policy | None:
    if value is not None and not isinstance(value, Policy):
        raise InvalidInput(
            "policy", f"must be a Policy, e.g. cohandle.deadlines.preset('generic') (got {value!r})"
        )
    return value


def _calendar(value: object) -> Calendar:
    if not isinstance(value, Calendar):
        raise InvalidInput("calendar", f"must be a Calendar, such as Calendar.china() (got {got(value)})")
    return value


_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


# The keywords of libpq's connection strings that say where the database is and who connects;
# a string of such pairs names one (psycopg then names any other keyword it does not know).
_WHERE_KEYWORDS = frozenset(("host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service"))
_CONNINFO_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s']+)")


def postgres_url(target: str) -> bool:
    """Whether ``target`` names a PostgreSQL database, which :meth:`Workflow.open` opens with
    psycopg: a ``postgresql://`` (or ``postgres://``) URL, or a libpq connection string of
    ``keyword=value`` pairs, one of them saying where or as whom to connect (``host=127.0.0.1
    dbname=oa user=cohandle``)."""
    if target.startswith(("postgresql://", "postgres://")):
        return True
    keys, end = [], 0
    for pair in _CONNINFO_PAIR.finditer(target):
        if pair.start() != end:
            return False
        keys.append(pair.group(1))
        end = pair.end()
    return bool(keys) and not target[end:].strip() and any(key in _WHERE_KEYWORDS for key in keys)


def url_scheme(target: str) -> str | None:
    """The scheme of ``target`` if it is written as a URL (``mysql://…``), else None."""
    match = _URL.match(target)
    return match.group(1) if match else None


def _options_of(cls: type) -> set[str]:
    """The names a class takes by keyword (what ``Workflow.open`` may pass on to it)."""
    return {
        name
        for name, parameter in inspect.signature(cls).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _proposal_id(value: object, field: str = "proposal_id") -> str:
    if not isinstance(value, str):
        if isinstance(value, Proposal):  # the state where its id belongs: a slip easily made
            raise InvalidInput(field, f"must be a proposal's id, text such as {value.id!r}: give proposal.id")
        raise InvalidInput(field, f"must be text (got {got(value)})")
    return value


def _command_id(value: object) -> str:
    return storable_id("command_id", c.text("command_id", value))


def _listed(field: str, values: object) -> Any:
    """An iterable argument as a list, read once. Text and a single unit pass unchanged, and None
    stays None, for the command to refuse or accept by name; anything else is refused here."""
    if values is None or isinstance(values, str | Unit):
        return values
    if not isinstance(values, Iterable):
        raise InvalidInput(field, f"must be a list (got {got(values)})")
    return list(values)


def _actor(actor: object) -> Actor:
    if not isinstance(actor, Actor):
        raise InvalidInput("actor", f"must be an Actor (got {got(actor)})")
    return actor
