"""A proposal's state, folded from its events.

:func:`apply` is the only place a proposal's state changes, both after a command and when the
log is replayed, so the object a caller holds after a command and the object rebuilt from the
stored log are the same. :func:`replay` checks that versions run 1, 2, 3 ... without gaps and
that each event names the hash of the one before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar

import pendulum

from cohandle._clock import moment
from cohandle._errors import ChainBroken, InvalidInput, expect, got, iterable
from cohandle._events import (
    AssignmentSignedFor,
    CoHandlerExcused,
    DeadlineExtended,
    DeadlinesRevised,
    DeadlinesSet,
    Event,
    FeedbackRecorded,
    ImplementationReported,
    ItemMergedIn,
    OpinionReturned,
    OpinionsConsolidated,
    OpinionSubmitted,
    ProposalAssigned,
    ProposalClosed,
    ProposalFiled,
    ProposalMarkedKey,
    ProposalMerged,
    ProposalReceived,
    ProposalRejected,
    ProposalWithdrawn,
    ProposersContacted,
    ReassignmentDecided,
    ReassignmentRequested,
    RecordedEvent,
    RehandlingOrdered,
    ReminderIssued,
    ReplyCountersigned,
    ReplyPublished,
    ReplyReviewed,
    ReplySent,
)
from cohandle._lifecycle import CO_HANDLER_PART, HANDLER_PART, PROPOSAL, PartStatus, Status
from cohandle._model import (
    PROPOSER_PARTY,
    AssignmentMode,
    CategoryScheme,
    DeadlineKind,
    DeadlineStatus,
    Disclosure,
    Opinion,
    ProposalData,
    PublicationForm,
    Reply,
    Satisfaction,
    TrackedDeadline,
    Unit,
)

__all__ = ["GENESIS", "CoHandlerPart", "HandlerPart", "Proposal", "apply", "replay"]

GENESIS = b""
"""The ``prev_hash`` of a stream's first event."""


class CoHandlerPart(NamedTuple):
    """One co-handler's share of a proposal: its opinion and where that opinion stands."""

    unit: Unit
    status: PartStatus = PartStatus.PENDING
    opinion: Opinion | None = None
    returned: int = 0

    @property
    def active(self) -> bool:
        return self.status is not PartStatus.RELEASED


class HandlerPart(NamedTuple):
    """One unit's share in separate handling (分办): it answers the proposer itself."""

    unit: Unit
    status: PartStatus = PartStatus.PENDING
    reply: Reply | None = None

    @property
    def active(self) -> bool:
        return self.status is not PartStatus.RELEASED


class Proposal(NamedTuple):
    """Everything known about one proposal, as of ``version``: an immutable named tuple.

    A new one is made for every event, so it is a tuple rather than an object with slots:
    copying it with a few fields changed costs about a fifth as much.
    """

    id: str
    version: int
    status: Status
    data: ProposalData
    assigning_body: Unit
    category_scheme: CategoryScheme
    received_at: pendulum.DateTime
    last_occurred_at: pendulum.DateTime
    last_hash: bytes
    mode: AssignmentMode | None = None
    lead: Unit | None = None
    co_handlers: tuple[CoHandlerPart, ...] = ()
    handlers: tuple[HandlerPart, ...] = ()
    assigned_at: pendulum.DateTime | None = None
    replies: tuple[Reply, ...] = ()
    feedback: tuple[FeedbackRecorded, ...] = ()
    # the units whose latest reply the proposers have given no feedback on yet
    feedback_awaited: tuple[str, ...] = ()
    pending_reassignments: tuple[ReassignmentRequested, ...] = ()
    supervisor: Unit | None = None
    key_marked_at: pendulum.DateTime | None = None  # when it was last marked key (重点, 督办)
    extensions: tuple[DeadlineExtended, ...] = ()
    contacts: tuple[ProposersContacted, ...] = ()  # with the proposers (沟通, 见面), in order
    rehandlings: int = 0
    merged_into: str | None = None
    merged: tuple[ItemMergedIn, ...] = ()  # the items merged into this one (并案), in order
    rejection: ProposalRejected | None = None
    withdrawal: ProposalWithdrawn | None = None
    deadlines: tuple[TrackedDeadline, ...] = ()
    reminded: tuple[tuple[str, pendulum.DateTime], ...] = ()
    unpublished: tuple[str, ...] = ()  # the units whose latest reply is for publication and not yet published
    # the units that signed for their part (签收), and when
    signed: tuple[tuple[str, pendulum.DateTime], ...] = ()
    reports: tuple[ImplementationReported, ...] = ()  # on how replies are carried out (落实情况), in order
    # the units whose latest reply's category a report restated since (现办复类别), and to what
    recategorized: tuple[tuple[str, str], ...] = ()
    # the units whose latest reply was reviewed (审核), and the category it is counted in since
    reviewed: tuple[tuple[str, str], ...] = ()
    # the co-handlers that countersigned (会签) the reply the lead is to send next, and when
    countersigned: tuple[tuple[str, pendulum.DateTime], ...] = ()
    publication: PublicationForm | None = None  # how its latest publication was made (全文 / 摘要)
    # the algorithm of ``last_hash``: the next event is chained in it, whatever a workflow's
    # ``hash_algorithm`` says, so a chain never names a hash under another algorithm's label
    last_hash_algorithm: str = "sha256"

    @property
    def number(self) -> str:
        return self.data.number

    @property
    def reminders(self) -> int:
        """How many reminders (催办) were sent on it: one for each of :attr:`reminded`."""
        return len(self.reminded)

    @property
    def published(self) -> bool:
        """True once a reply of it is published (公开): :attr:`publication` tells how."""
        return self.publication is not None

    @property
    def key(self) -> bool:
        """True once the item is marked key (重点, 督办): :attr:`key_marked_at` tells when."""
        return self.key_marked_at is not None

    @property
    def title(self) -> str:
        return self.data.title

    @property
    def addressees(self) -> tuple[str, ...]:
        """The proposers its reply is written to: its own, then those of the items merged into
        it (并案), each once."""
        if not self.merged:
            return self.data.proposer_names
        return tuple(dict.fromkeys((*self.data.proposer_names, *self._merged_proposers())))

    def _merged_proposers(self) -> Iterable[str]:
        for item in self.merged:
            yield from item.proposal.proposer_names

    def _proposes(self, name: str) -> bool:
        """Whether ``name`` is a proposer of this item or of an item merged into it."""
        return name in self.data.proposer_names or (bool(self.merged) and name in self._merged_proposers())

    @property
    def reply(self) -> Reply | None:
        """The latest reply sent (for separate handling, the latest of any unit)."""
        return self.replies[-1] if self.replies else None

    @property
    def extended_until(self) -> pendulum.Date | None:
        return self.extensions[-1].until if self.extensions else None

    def co_handler(self, unit: Unit) -> CoHandlerPart | None:
        """The active part of ``unit`` as a co-handler, if it has one."""
        for part in self.co_handlers:
            if part.unit == unit and part.active:
                return part
        return None

    def handler(self, unit: Unit) -> HandlerPart | None:
        for part in self.handlers:
            if part.unit == unit and part.active:
                return part
        return None

    @property
    def outstanding_co_handlers(self) -> tuple[Unit, ...]:
        """Co-handlers whose opinion the lead still waits for."""
        waiting = (PartStatus.PENDING, PartStatus.RETURNED)
        return tuple(p.unit for p in self.co_handlers if p.status in waiting)

    @property
    def outstanding_countersignatures(self) -> tuple[Unit, ...]:
        """Co-handlers that submitted an opinion and have not countersigned (会签) the reply the
        lead is to send next; none once it is sent, until a re-handling asks for a new one."""
        if self.status is not Status.CONSOLIDATED and self.status is not Status.REHANDLING:
            return ()
        signed = {name for name, _ in self.countersigned}
        submitted = PartStatus.SUBMITTED
        return tuple(p.unit for p in self.co_handlers if p.status is submitted and p.unit.name not in signed)

    def latest_feedback(self, unit: Unit | None = None) -> FeedbackRecorded | None:
        """The latest feedback on ``unit``'s replies; ``None`` means the lead's. After a
        re-handling it may be about an earlier reply: :meth:`feedback_on_latest_reply` is not."""
        for entry in reversed(self.feedback):
            if entry.feedback.unit == unit:
                return entry
        return None

    def deadlines_at(self, now: pendulum.DateTime) -> tuple[tuple[TrackedDeadline, DeadlineStatus], ...]:
        """Every recorded deadline with its status at ``now`` (open ones past due are missed)."""
        now = moment("now", now)
        return tuple((tracked, tracked.status_at(now)) for tracked in self.deadlines)

    def category(self, unit: object = None) -> str | None:
        """The category ``unit``'s latest reply is counted in: as a review (审核) put it, or as
        the reply gave it; None before the unit has answered. ``unit`` (a :class:`Unit`) None
        means the lead's, which separate handling (分办) has not: name the unit there."""
        name = self._answering(unit)
        for reviewed, code in self.reviewed:
            if reviewed == name:
                return code
        for reply in reversed(self.replies):
            if reply.author.name == name:
                return reply.category
        return None

    def category_now(self, unit: object = None) -> str | None:
        """The category of ``unit``'s latest reply as it stands now: as a report on its
        implementation (落实情况) restated it since, or as :meth:`category` gives it. ``unit``
        as for :meth:`category`."""
        name = self._answering(unit)
        for restated, code in self.recategorized:
            if restated == name:
                return code
        return self.category(unit)

    def _answering(self, unit: object) -> str:
        """The name of the unit whose reply is meant: ``unit``'s, or the lead's for None."""
        if unit is None:
            if self.lead is None:
                raise InvalidInput(
                    "unit", "must name the unit under separate handling (分办): each answers its own part"
                )
            return self.lead.name
        if isinstance(unit, Unit):
            return unit.name
        raise InvalidInput("unit", f"must be a Unit or None (got {got(unit)})")

    def signed_at(self, unit: object) -> pendulum.DateTime | None:
        """When ``unit`` (a :class:`Unit`, or its name as text) signed for its part (签收), or
        None if it has not: a unit released by a reassignment no longer has one."""
        name = unit.name if isinstance(unit, Unit) else unit
        if not isinstance(name, str):
            raise InvalidInput("unit", f"must be a Unit or a unit's name, as text (got {got(unit)})")
        for signer, at in self.signed:
            if signer == name:
                return at
        return None

    def last_reminded(self, party: object) -> pendulum.DateTime | None:
        """When ``party`` (a unit's name, as text) was last reminded, if ever.

        ``party`` is declared ``object`` so that the compiled build, which checks a ``str``
        argument before the body runs, answers a wrong one as the plain build does.
        """
        if not isinstance(party, str):
            raise InvalidInput("party", f"must be a unit's name, as text (got {got(party)})")
        for name, at in reversed(self.reminded):
            if name == party:
                return at
        return None

    @property
    def dissatisfied(self) -> bool:
        """True when the feedback on some unit's latest reply is 不满意 (the latest given on it).
        Feedback on a reply sent before is no longer about what the unit answered: after a
        re-handling, its new reply is judged by its own."""
        return any(self._dissatisfied_with(unit) for unit in self._judged())

    def feedback_on_latest_reply(self, unit: object = None) -> FeedbackRecorded | None:
        """The latest feedback on ``unit``'s latest reply (``None``, or the lead itself: the
        lead's), or None while that reply has had none; :meth:`latest_feedback` gives the latest
        on any of its replies. Under separate handling (分办) name the unit."""
        name = self._answering(unit)
        if name in self.feedback_awaited:
            return None
        if not self.handlers and self.lead is not None and name == self.lead.name:
            return self.latest_feedback(None)  # the lead's reply: its feedback names no unit
        return self.latest_feedback(unit if isinstance(unit, Unit) else None)

    def _judged(self) -> tuple[Unit | None, ...]:
        """The units whose replies the proposers judge: the active handlers under separate
        handling (分办), otherwise the lead (None), once there is one."""
        if self.handlers:
            return tuple(part.unit for part in self.handlers if part.active)
        return (None,) if self.lead is not None else ()

    def _dissatisfied_with(self, unit: Unit | None) -> bool:
        entry = self.feedback_on_latest_reply(unit)
        return entry is not None and entry.feedback.satisfaction is Satisfaction.DISSATISFIED


_Part = TypeVar("_Part", CoHandlerPart, HandlerPart)
_new_tuple = tuple.__new__
# a new part: its unit, then every other field at its default (a field without one fails here)
_NEW_CO_HANDLER = tuple(CoHandlerPart._field_defaults[f] for f in CoHandlerPart._fields[1:])
_NEW_HANDLER = tuple(HandlerPart._field_defaults[f] for f in HandlerPart._fields[1:])


def _move_part(parts: tuple[_Part, ...], unit: Unit, trigger: str, **changes: Any) -> tuple[_Part, ...]:
    """Move ``unit``'s active part along its own lifecycle."""
    name = unit.name  # units are the same unit when their names are
    released = PartStatus.RELEASED
    for index, part in enumerate(parts):
        if part.unit.name == name and part.status is not released:
            lifecycle = CO_HANDLER_PART if isinstance(part, CoHandlerPart) else HANDLER_PART
            dest = lifecycle.table.get((part.status, trigger))
            if dest is None:
                raise ChainBroken("?", 0, f"{unit.name}'s part cannot {trigger} while {part.status}")
            moved: list[Any] = list(parts)
            kind = type(part)
            values = list(part)
            values[kind._fields.index("status")] = dest
            for field, value in changes.items():
                values[kind._fields.index(field)] = value
            moved[index] = _new_tuple(kind, values)  # _replace costs three times as much
            return tuple(moved)
    raise ChainBroken("?", 0, f"an event names {unit.name}, which holds no active part")


_K = DeadlineKind
_OPINION_KINDS = frozenset({_K.CO_HANDLER_OPINION, _K.RESUBMISSION})
_REPLY_KINDS = frozenset({_K.REPLY, _K.REHANDLING})
_ALL_KINDS = frozenset(DeadlineKind)
_CLOSING_KINDS = _ALL_KINDS - {_K.PUBLICATION}
_FEEDBACK_KINDS = frozenset({_K.PROPOSER_FEEDBACK})
_REASSIGNMENT_KINDS = frozenset({_K.REASSIGNMENT_REQUEST})
_PUBLICATION_KINDS = frozenset({_K.PUBLICATION})


def _settle(
    p: Proposal,
    at: pendulum.DateTime,
    kinds: frozenset[DeadlineKind],
    party: str | None = None,
    status: DeadlineStatus | None = None,
    first_only: bool = False,
    deadlines: tuple[TrackedDeadline, ...] | None = None,
) -> tuple[TrackedDeadline, ...] | None:
    """Settle the open deadlines of ``kinds`` (for ``party``) among ``p``'s (or ``deadlines``,
    where an event has settled some already): met or met late by ``at``, or ``status``.
    Returns the new tuple, or None when nothing changed."""
    if deadlines is None:
        deadlines = p.deadlines
    if not deadlines:
        return None
    changed = False
    settled = []
    for tracked in deadlines:
        deadline = tracked.deadline
        if (
            tracked.status is DeadlineStatus.OPEN
            and deadline.kind in kinds
            and (party is None or deadline.party == party)
            and not (first_only and changed)
        ):
            if status is not None:
                outcome = status
            elif deadline.kind.window:
                outcome = DeadlineStatus.USED
            else:
                outcome = DeadlineStatus.MET if at <= deadline.due else DeadlineStatus.MET_LATE
            tracked = TrackedDeadline(deadline=deadline, status=outcome, settled_at=at)
            changed = True
        settled.append(tracked)
    return tuple(settled) if changed else None


def _with_settled(
    changes: dict[str, object], settled: tuple[TrackedDeadline, ...] | None
) -> dict[str, object]:
    if settled is not None:
        changes["deadlines"] = settled
    return changes


_Changes = dict[str, object]
_Step = Callable[[Proposal, Any, pendulum.DateTime], tuple[str, _Changes]]
_STEPS: dict[type[Event], _Step] = {}


def _on(event_type: type[Event], trigger: str | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Register how an event changes the state. With ``trigger`` the function returns only the
    changes; without it, it returns ``(trigger, changes)`` itself."""

    def register(function: Callable[..., Any]) -> Any:
        if trigger is None:
            _STEPS[event_type] = function
        else:
            _STEPS[event_type] = lambda p, e, at: (trigger, function(p, e, at))
        return function

    return register


@_on(ProposalFiled, "file")
def _filed(p: Proposal, e: ProposalFiled, at: pendulum.DateTime) -> _Changes:
    return {}


@_on(ProposalRejected, "reject")
def _rejected(p: Proposal, e: ProposalRejected, at: pendulum.DateTime) -> _Changes:
    return {"rejection": e}


@_on(ProposalMerged, "merge")
def _merged(p: Proposal, e: ProposalMerged, at: pendulum.DateTime) -> _Changes:
    return {"merged_into": e.into}


@_on(ItemMergedIn, "merge_in")
def _merged_in(p: Proposal, e: ItemMergedIn, at: pendulum.DateTime) -> _Changes:
    return {"merged": (*p.merged, e)}


@_on(ProposalAssigned, "assign")
def _assigned(p: Proposal, e: ProposalAssigned, at: pendulum.DateTime) -> _Changes:
    return {
        "mode": e.mode,
        "lead": e.lead,
        "co_handlers": tuple([_new_tuple(CoHandlerPart, (u, *_NEW_CO_HANDLER)) for u in e.co_handlers]),
        "handlers": tuple([_new_tuple(HandlerPart, (u, *_NEW_HANDLER)) for u in e.handlers]),
        "assigned_at": at,
    }


@_on(AssignmentSignedFor, "sign_for")
def _signed_for(p: Proposal, e: AssignmentSignedFor, at: pendulum.DateTime) -> _Changes:
    return {"signed": (*p.signed, (e.unit.name, at))}


@_on(ReassignmentRequested, "request_reassignment")
def _reassignment_requested(p: Proposal, e: ReassignmentRequested, at: pendulum.DateTime) -> _Changes:
    changes: _Changes = {"pending_reassignments": (*p.pending_reassignments, e)}
    return _with_settled(changes, _settle(p, at, _REASSIGNMENT_KINDS, e.unit.name))


@_on(ReassignmentDecided, "decide_reassignment")
def _reassignment_decided(p: Proposal, e: ReassignmentDecided, at: pendulum.DateTime) -> _Changes:
    changes: _Changes = {
        "pending_reassignments": tuple(r for r in p.pending_reassignments if r.unit != e.unit)
    }
    if not e.approved:
        return changes
    _with_settled(changes, _settle(p, at, _ALL_KINDS, e.unit.name, DeadlineStatus.WAIVED))
    if p.signed:  # a released unit's signature goes with its part
        changes["signed"] = tuple(entry for entry in p.signed if entry[0] != e.unit.name)
    if p.lead == e.unit:
        changes["lead"] = e.replacement
    elif p.co_handler(e.unit) is not None:
        parts = _move_part(p.co_handlers, e.unit, "release")
        if e.replacement is not None:
            parts = (*parts, CoHandlerPart(unit=e.replacement))
        changes["co_handlers"] = parts
    else:
        handlers = _move_part(p.handlers, e.unit, "release")
        if e.replacement is not None:
            handlers = (*handlers, HandlerPart(unit=e.replacement))
        changes["handlers"] = handlers
    return changes


@_on(OpinionSubmitted, "submit_opinion")
def _opinion_submitted(p: Proposal, e: OpinionSubmitted, at: pendulum.DateTime) -> _Changes:
    changes: _Changes = {
        "co_handlers": _move_part(p.co_handlers, e.opinion.author, "submit", opinion=e.opinion)
    }
    return _with_settled(changes, _settle(p, at, _OPINION_KINDS, e.opinion.author.name))


@_on(OpinionReturned, "return_opinion")
def _opinion_returned(p: Proposal, e: OpinionReturned, at: pendulum.DateTime) -> _Changes:
    part = p.co_handler(e.unit)
    returned = part.returned + 1 if part is not None else 1
    return {"co_handlers": _move_part(p.co_handlers, e.unit, "return", returned=returned)}


@_on(CoHandlerExcused, "excuse_co_handler")
def _excused(p: Proposal, e: CoHandlerExcused, at: pendulum.DateTime) -> _Changes:
    changes: _Changes = {"co_handlers": _move_part(p.co_handlers, e.unit, "excuse")}
    return _with_settled(changes, _settle(p, at, _ALL_KINDS, e.unit.name, DeadlineStatus.WAIVED))


@_on(OpinionsConsolidated, "consolidate")
def _consolidated(p: Proposal, e: OpinionsConsolidated, at: pendulum.DateTime) -> _Changes:
    return {}


@_on(ReplyCountersigned, "countersign")
def _countersigned(p: Proposal, e: ReplyCountersigned, at: pendulum.DateTime) -> _Changes:
    part = p.co_handler(e.unit)
    if part is None or part.status is not PartStatus.SUBMITTED:
        raise ChainBroken("?", 0, f"a countersignature names {e.unit.name}, which has no opinion in it")
    return {"countersigned": (*p.countersigned, (e.unit.name, at))}


_ALONE: dict[str, tuple[str]] = {}


def _alone(name: str) -> tuple[str]:
    """``(name,)``, one tuple shared by every proposal it stands for: most replies await
    publication alone, and a tuple for each would grow every answered proposal kept."""
    found = _ALONE.get(name)
    if found is None:
        if len(_ALONE) >= 4096:
            _ALONE.clear()
        found = _ALONE[name] = (name,)
    return found


@_on(ReplySent)
def _reply_sent(p: Proposal, e: ReplySent, at: pendulum.DateTime) -> tuple[str, _Changes]:
    author = e.reply.author.name
    changes: _Changes = {"replies": (*p.replies, e.reply)}
    _with_settled(changes, _settle(p, at, _REPLY_KINDS, author))
    if p.recategorized:  # a new reply states its own category
        changes["recategorized"] = tuple(entry for entry in p.recategorized if entry[0] != author)
    if p.reviewed:  # and is reviewed anew
        changes["reviewed"] = tuple(entry for entry in p.reviewed if entry[0] != author)
    if p.countersigned:  # the reply they countersigned is sent: the next needs its own
        changes["countersigned"] = ()
    # the unit's new reply is the one to publish now, unless it is not for publication: then
    # what its earlier reply owed is waived, for publishing that would publish the new one
    awaiting = tuple(name for name in p.unpublished if name != author)
    if e.reply.disclosure is not Disclosure.NOT_PUBLIC:
        awaiting = (*awaiting, author) if awaiting else _alone(author)
    elif author in p.unpublished:
        held = changes.get("deadlines", p.deadlines)
        assert isinstance(held, tuple)
        waived = _settle(p, at, _PUBLICATION_KINDS, author, DeadlineStatus.WAIVED, deadlines=held)
        _with_settled(changes, waived)
    if awaiting != p.unpublished:
        changes["unpublished"] = awaiting
    awaited = p.feedback_awaited
    if author not in awaited:  # the proposers' feedback on it is awaited
        changes["feedback_awaited"] = (*awaited, author) if awaited else _alone(author)
    if p.mode is not AssignmentMode.SEPARATE:
        return "answer", changes
    handlers = _move_part(p.handlers, e.reply.author, "answer", reply=e.reply)
    changes["handlers"] = handlers
    done = all(h.status is PartStatus.ANSWERED for h in handlers if h.active)
    return ("answer" if done else "answer_part"), changes


@_on(FeedbackRecorded, "record_feedback")
def _feedback(p: Proposal, e: FeedbackRecorded, at: pendulum.DateTime) -> _Changes:
    changes: _Changes = {"feedback": (*p.feedback, e)}
    awaited = p.feedback_awaited
    if awaited:
        about = e.feedback.unit if e.feedback.unit is not None else p.lead
        if about is not None and about.name in awaited:
            awaited = () if len(awaited) == 1 else tuple(n for n in awaited if n != about.name)
            changes["feedback_awaited"] = awaited
        if awaited:  # under separate handling (分办), a form is still out for another reply
            return changes
    return _with_settled(changes, _settle(p, at, _FEEDBACK_KINDS, first_only=True))


@_on(RehandlingOrdered, "order_rehandling")
def _rehandling(p: Proposal, e: RehandlingOrdered, at: pendulum.DateTime) -> _Changes:
    changes: _Changes = {"rehandlings": p.rehandlings + 1}
    # the round of feedback ends: a form not returned is asked for again with the new replies
    _with_settled(changes, _settle(p, at, _FEEDBACK_KINDS, status=DeadlineStatus.WAIVED))
    if p.mode is AssignmentMode.SEPARATE:
        handlers = p.handlers
        for part in p.handlers:
            if part.active and p._dissatisfied_with(part.unit):
                handlers = _move_part(handlers, part.unit, "reopen")
        changes["handlers"] = handlers
    return changes


@_on(ProposalClosed, "close")
def _closed(p: Proposal, e: ProposalClosed, at: pendulum.DateTime) -> _Changes:
    return _with_settled({}, _settle(p, at, _CLOSING_KINDS, status=DeadlineStatus.WAIVED))


@_on(ProposalWithdrawn, "withdraw")
def _withdrawn(p: Proposal, e: ProposalWithdrawn, at: pendulum.DateTime) -> _Changes:
    return _with_settled({"withdrawal": e}, _settle(p, at, _ALL_KINDS, status=DeadlineStatus.WAIVED))


@_on(DeadlineExtended, "extend")
def _extended(p: Proposal, e: DeadlineExtended, at: pendulum.DateTime) -> _Changes:
    changes: _Changes = {"extensions": (*p.extensions, e)}
    return _with_settled(changes, _settle(p, at, _REPLY_KINDS, status=DeadlineStatus.SUPERSEDED))


@_on(ReminderIssued, "remind")
def _reminded(p: Proposal, e: ReminderIssued, at: pendulum.DateTime) -> _Changes:
    party = PROPOSER_PARTY if e.to is None else e.to.name
    return {"reminded": (*p.reminded, (party, at))}


@_on(ProposersContacted, "record_contact")
def _contacted(p: Proposal, e: ProposersContacted, at: pendulum.DateTime) -> _Changes:
    return {"contacts": (*p.contacts, e)}


@_on(ProposalMarkedKey, "mark_key")
def _marked_key(p: Proposal, e: ProposalMarkedKey, at: pendulum.DateTime) -> _Changes:
    return {"supervisor": e.supervisor or p.supervisor, "key_marked_at": at}


@_on(ReplyPublished, "publish")
def _published(p: Proposal, e: ReplyPublished, at: pendulum.DateTime) -> _Changes:
    unit = e.unit.name
    changes: _Changes = {
        "unpublished": tuple(n for n in p.unpublished if n != unit),
        "publication": e.form,
    }
    return _with_settled(changes, _settle(p, at, _PUBLICATION_KINDS, unit))


@_on(ImplementationReported, "report_implementation")
def _implementation_reported(p: Proposal, e: ImplementationReported, at: pendulum.DateTime) -> _Changes:
    changes: _Changes = {"reports": (*p.reports, e)}
    if e.category is not None:
        unit = e.unit.name
        kept = tuple(entry for entry in p.recategorized if entry[0] != unit)
        changes["recategorized"] = (*kept, (unit, e.category))
    return changes


@_on(ReplyReviewed, "review_reply")
def _reply_reviewed(p: Proposal, e: ReplyReviewed, at: pendulum.DateTime) -> _Changes:
    unit = e.unit.name
    counted = p.category(e.unit)
    if counted is None:
        raise ChainBroken("?", 0, f"a review names {unit}, which has sent no reply")
    kept = tuple(entry for entry in p.reviewed if entry[0] != unit)
    return {"reviewed": (*kept, (unit, e.category or counted))}  # no category: left as it stood


@_on(DeadlinesSet, "set_deadlines")
def _deadlines_set(p: Proposal, e: DeadlinesSet, at: pendulum.DateTime) -> _Changes:
    return {"deadlines": (*p.deadlines, *(TrackedDeadline(deadline=d) for d in e.deadlines))}


@_on(DeadlinesRevised, "revise_deadlines")
def _deadlines_revised(p: Proposal, e: DeadlinesRevised, at: pendulum.DateTime) -> _Changes:
    replaced = set(e.replaced)
    kept = tuple(
        TrackedDeadline(deadline=t.deadline, status=DeadlineStatus.REVISED, settled_at=at)
        if t.status is DeadlineStatus.OPEN and t.deadline in replaced
        else t
        for t in p.deadlines
    )
    return {"deadlines": (*kept, *(TrackedDeadline(deadline=d) for d in e.deadlines))}


def start(event: RecordedEvent) -> Proposal:
    """The state after a stream's first event, which must be :class:`ProposalReceived`."""
    payload = event.payload
    if not isinstance(payload, ProposalReceived):
        raise ChainBroken(
            event.stream_id, event.version, f"the first event is {event.type}, not ProposalReceived"
        )
    if event.version != 1 or event.prev_hash != GENESIS:
        raise ChainBroken(event.stream_id, event.version, "the stream does not start at version 1")
    return Proposal(
        id=event.stream_id,
        version=1,
        status=Status.RECEIVED,
        data=payload.proposal,
        assigning_body=payload.assigning_body,
        category_scheme=payload.category_scheme,
        received_at=event.occurred_at,
        last_occurred_at=event.occurred_at,
        last_hash=event.hash,
        last_hash_algorithm=event.algorithm,
    )


def apply(p: Proposal, event: RecordedEvent) -> Proposal:
    """The state after ``event``; raises :class:`ChainBroken` if it does not follow ``p``."""
    if event.stream_id != p.id:
        raise ChainBroken(p.id, event.version, f"an event of stream {event.stream_id!r} is in it")
    if event.version != p.version + 1:
        raise ChainBroken(p.id, p.version + 1, f"the next event found is version {event.version}")
    if event.prev_hash != p.last_hash:
        raise ChainBroken(p.id, event.version, "it does not name the hash of the event before it")
    step = _STEPS.get(type(event.payload))
    if step is None:
        raise ChainBroken(p.id, event.version, f"{event.type} cannot follow the first event")
    try:
        trigger, changes = step(p, event.payload, event.occurred_at)
    except ChainBroken as exc:
        raise ChainBroken(p.id, event.version, exc.reason) from None
    status = _TABLE.get((p.status, trigger))
    if status is None:
        raise ChainBroken(p.id, event.version, f"{event.type} cannot happen while the proposal is {p.status}")
    values: list[object] = list(p)
    index = _FIELD_INDEX
    for name, value in changes.items():
        values[index[name]] = value
    values[_VERSION] = event.version
    values[_STATUS] = status
    values[_LAST_OCCURRED_AT] = event.occurred_at
    values[_LAST_HASH] = event.hash
    values[_LAST_HASH_ALGORITHM] = event.algorithm
    evolved: Proposal = _new_tuple(Proposal, values)
    return evolved


_FIELD_INDEX = {name: index for index, name in enumerate(Proposal._fields)}
_VERSION = _FIELD_INDEX["version"]
_STATUS = _FIELD_INDEX["status"]
_LAST_OCCURRED_AT = _FIELD_INDEX["last_occurred_at"]
_LAST_HASH = _FIELD_INDEX["last_hash"]
_LAST_HASH_ALGORITHM = _FIELD_INDEX["last_hash_algorithm"]
_TABLE = PROPOSAL.table


def replay(events: Iterable[RecordedEvent]) -> Proposal:
    """Rebuild a proposal from its events, checking versions and the chain of hashes."""
    given = iterable("events", events, "a list of RecordedEvent")
    state: Proposal | None = None
    for event in given:
        if event.__class__ is not RecordedEvent:
            expect("events", event, RecordedEvent, "a list of RecordedEvent")
        state = start(event) if state is None else apply(state, event)
    if state is None:
        raise InvalidInput("events", "must hold at least one event: there is nothing to replay")
    return state
