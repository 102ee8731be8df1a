"""Commands: check a proposal, an actor and the input, then say which event records the decision.

Each ``decide_*`` function is pure: it takes the proposal's state, the actor and the actor's
relations (already checked against the lifecycle and the permission table by :func:`check`)
and the command's arguments, and returns one event or raises a :class:`CommandRefused` /
:class:`InvalidInput`. Nothing here writes anything.

The arguments a caller passes through the workflow arrive as ``object`` and are checked here,
with an :class:`InvalidInput` that names them. This module may be compiled (``docs/install.md``),
and compiled code enforces a declared type before the body runs, with a bare ``TypeError``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

import attrs
import pendulum

from cohandle._clocks import changes_of, check_extension
from cohandle._errors import (
    InvalidInput,
    NotAllowedInState,
    PermissionDenied,
    PreconditionFailed,
    got,
    state_words,
)
from cohandle._events import (
    AssignmentSignedFor,
    CoHandlerExcused,
    DeadlineExtended,
    DeadlinesRevised,
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
from cohandle._lifecycle import HANDLING, PROPOSAL, PartStatus, Status
from cohandle._model import (
    PROPOSER_PARTY,
    Actor,
    AssignmentMode,
    ContactMethod,
    DeadlineKind,
    DeadlineStatus,
    Disclosure,
    Feedback,
    Opinion,
    PublicationForm,
    Reply,
    Satisfaction,
    Unit,
    category_code,
    person_name,
    untitled,
)
from cohandle._permissions import PERMISSIONS, Relation
from cohandle._state import Proposal
from cohandle.deadlines import Calendar, Policy

Relations = frozenset[Relation]


class Context(NamedTuple):
    """What a command is decided with besides the proposal and the actor."""

    at: pendulum.DateTime
    policy: Policy | None = None
    calendar: Calendar | None = None
    withdrawal_after_assignment: bool = True
    require_countersign: bool = False


# A command is possible in a state when one of its lifecycle triggers is.
_TRIGGERS: dict[str, tuple[str, ...]] = {"answer": ("answer", "answer_part")}
COMMANDS: tuple[str, ...] = tuple(c for c in PERMISSIONS if c != "receive")


def allowed_in(status: Status) -> tuple[str, ...]:
    """The commands the lifecycle allows in ``status`` (whoever the actor)."""
    return tuple(
        c for c in COMMANDS if any((status.value, t) in PROPOSAL.table for t in _TRIGGERS.get(c, (c,)))
    )


_ONE = {relation: frozenset({relation}) for relation in Relation}
_NONE: Relations = frozenset()


def held_by(p: Proposal, actor: Actor) -> Relations:
    """The roles ``actor`` holds on proposal ``p``."""
    unit = actor.unit
    if unit is None:
        proposes = actor.name in p.data.proposer_names or (p.merged and p._proposes(actor.name))
        return _ONE[Relation.PROPOSER] if proposes else _NONE
    name = unit.name  # units are identified by name; comparing the text is the fast path
    found = []
    if name == p.assigning_body.name:
        found.append(Relation.ASSIGNING_BODY)
    if p.lead is not None and name == p.lead.name:
        found.append(Relation.LEAD)
    released = PartStatus.RELEASED
    for part in p.co_handlers:
        if part.unit.name == name and part.status is not released:
            found.append(Relation.CO_HANDLER)
            break
    for handler in p.handlers:
        if handler.unit.name == name and handler.status is not released:
            found.append(Relation.HANDLER)
            break
    if p.supervisor is not None and name == p.supervisor.name:
        found.append(Relation.SUPERVISOR)
    if name in p.data.proposer_names or (p.merged and p._proposes(name)):
        found.append(Relation.PROPOSER)
    if len(found) == 1:
        return _ONE[found[0]]
    return frozenset(found)


def check(p: Proposal, command: str, actor: Actor) -> Relations:
    """Check the lifecycle, then the permission table; return the actor's relations."""
    status = p.status
    table = PROPOSAL.table
    if (status, command) not in table and not any((status, t) in table for t in _TRIGGERS.get(command, ())):
        raise NotAllowedInState(
            proposal_id=p.id,
            command=command,
            state=status.value,
            actor=str(actor),
            allowed=allowed_in(status),
        )
    held = held_by(p, actor)
    allowed = PERMISSIONS[command]
    if not held & allowed:
        raise PermissionDenied(
            proposal_id=p.id,
            command=command,
            state=status.value,
            actor=str(actor),
            relations=[r.value for r in held],
            allowed_relations=[r.value for r in allowed],
        )
    return held


def _names(units: Iterable[Unit]) -> str:
    """The units' names as a letter lists them: 湖北省知识产权局、省教育厅."""
    return "、".join(u.name for u in units)


def refuse(p: Proposal, command: str, actor: Actor, reason: str) -> PreconditionFailed:
    return PreconditionFailed(
        reason, proposal_id=p.id, command=command, state=p.status.value, actor=str(actor)
    )


def deny(p: Proposal, command: str, actor: Actor, held: Relations, detail: str) -> PermissionDenied:
    return PermissionDenied(
        proposal_id=p.id,
        command=command,
        state=p.status.value,
        actor=str(actor),
        relations=[r.value for r in held],
        allowed_relations=[r.value for r in PERMISSIONS[command]],
        detail=detail,
    )


def text(field: str, value: object, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text (got {got(value)})")
    value = value.strip()
    if required and not value:
        raise InvalidInput(field, "must not be empty: say why" if field == "reason" else "must not be empty")
    return value


def unit(field: str, value: object) -> Unit:
    if not isinstance(value, Unit):
        raise InvalidInput(field, f"must be a Unit (got {got(value)})")
    return value


_Choice = TypeVar("_Choice", bound=enum.Enum)


def choice(field: str, value: object, kind: type[_Choice]) -> _Choice:
    """A member of the string enum ``kind``, given as itself or as its value."""
    found = (
        next((member for member in kind if member.value == value), None) if isinstance(value, str) else None
    )
    if found is None:
        choices = ", ".join(str(member.value) for member in kind)
        raise InvalidInput(field, f"must be a {kind.__name__} or one of {choices} (got {got(value)})")
    return found


def units(field: str, values: object) -> tuple[Unit, ...]:
    if values is None:
        return ()
    if isinstance(values, str | Unit) or not isinstance(values, Iterable):
        raise InvalidInput(field, "must be a list of Unit objects")
    found = tuple(unit(field, v) for v in values)
    names = [u.name for u in found]
    if len(set(names)) != len(names):
        raise InvalidInput(field, f"names a unit twice ({', '.join(names)})")
    return found


_Noted = TypeVar("_Noted", ProposalFiled, OpinionsConsolidated, ProposalClosed)
_WITHOUT_NOTE: dict[type[Any], Any] = {}


def _noted(kind: type[_Noted], note: object) -> _Noted:
    """An event whose only field is an optional note. Events are immutable, so the one without
    a note, by far the most common, is made once and shared."""
    written = text("note", note, required=False)
    if written:
        return kind(note=written)
    event: _Noted | None = _WITHOUT_NOTE.get(kind)
    if event is None:
        event = _WITHOUT_NOTE[kind] = kind()
    return event


# ---------------------------------------------------------------------------------------------


def decide_file(p: Proposal, actor: Actor, held: Relations, ctx: Context, *, note: object) -> ProposalFiled:
    return _noted(ProposalFiled, note)


def decide_reject(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, reason: object, forwarded_to: object
) -> ProposalRejected:
    _holds_none(p, "reject", actor)
    return ProposalRejected(
        reason=text("reason", reason),
        forwarded_to=None if forwarded_to is None else unit("forwarded_to", forwarded_to),
    )


def decide_merge(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, target: Proposal, reason: object
) -> tuple[ProposalMerged, ItemMergedIn]:
    """The merge of ``p`` into ``target``: the event of each."""
    if target.id == p.id:
        raise refuse(p, "merge", actor, "a proposal cannot be merged into itself.")
    _holds_none(p, "merge", actor)
    if (target.status, "merge_in") not in PROPOSAL.table:
        instead = (
            f"merge into {target.merged_into!r}, which it was merged into, instead."
            if target.merged_into is not None
            else "merge into one that is not yet answered."
        )
        raise refuse(
            p,
            "merge",
            actor,
            f"the proposal to merge into, {target.id!r}, is {state_words(target.status)} and takes no more "
            f"items; {instead}",
        )
    if target.replies:
        raise refuse(
            p,
            "merge",
            actor,
            f"the proposal to merge into, {target.id!r}, has sent a reply already, which this item's "
            "proposers would not receive; merge into one that is not yet answered.",
        )
    if target.assigning_body != p.assigning_body:
        raise refuse(p, "merge", actor, f"{target.id!r} belongs to another assigning body.")
    body, theirs = p.data.session.body, target.data.session.body
    if theirs is not body:  # one reply answers both, naming every proposer 委员 or every one 代表
        raise refuse(
            p,
            "merge",
            actor,
            f"{target.id!r} is a {theirs.label}, and this item a {body.label}; items are merged with "
            f"items of their own kind, and each is answered as its own.",
        )
    why = text("reason", reason, required=False)
    # what the target records in the same command: the item and what it asked
    return ProposalMerged(into=target.id, reason=why), ItemMergedIn(item=p.id, proposal=p.data, reason=why)


_INSTEAD = {
    "reject": "file and assign it, and it is answered for them too.",
    "merge": "merge the other item into this one instead.",
    "withdraw": "it is handled and answered for them.",
}


def _holds_none(p: Proposal, command: str, actor: Actor) -> None:
    """Refuse to end an item that others are merged into: their proposers wait for its reply."""
    if p.merged:
        items = "、".join(item.item for item in p.merged)
        raise refuse(
            p,
            command,
            actor,
            f"other items are merged into it ({items}) and their proposers wait for its reply; "
            + _INSTEAD[command],
        )


def infer_mode(mode: object, co_handlers: Sequence[Unit], handlers: Sequence[Unit]) -> AssignmentMode:
    if mode is not None:
        if not isinstance(mode, AssignmentMode):
            raise InvalidInput("mode", f"must be an AssignmentMode (got {mode!r})")
        return mode
    if handlers:
        return AssignmentMode.SEPARATE
    if co_handlers:
        return AssignmentMode.LEAD_WITH_CO_HANDLERS
    return AssignmentMode.SOLE


def decide_assign(
    p: Proposal,
    actor: Actor,
    held: Relations,
    ctx: Context,
    *,
    mode: object,
    lead: object,
    co_handlers: object,
    handlers: object,
    note: object,
) -> ProposalAssigned:
    co = units("co_handlers", co_handlers)
    sep = units("handlers", handlers)
    chosen = infer_mode(mode, co, sep)
    chosen_lead: Unit | None = None
    if chosen is AssignmentMode.SEPARATE:
        if lead is not None or co:
            raise InvalidInput(
                "lead", "must not be given for separate handling (分办): name the handlers only"
            )
        if len(sep) < 2:
            raise InvalidInput("handlers", "must name at least two units for separate handling (分办)")
    else:
        if lead is None:
            raise InvalidInput("lead", "must name the lead unit (主办单位)")
        chosen_lead = unit("lead", lead)
        if sep:
            raise InvalidInput("handlers", "are only for separate handling (分办); use co_handlers")
        if chosen is AssignmentMode.SOLE and co:
            raise InvalidInput("co_handlers", "must be empty for sole handling (单独办理)")
        if chosen is AssignmentMode.LEAD_WITH_CO_HANDLERS and not co:
            raise InvalidInput("co_handlers", "must name at least one co-handler (会办单位)")
        if chosen_lead in co:
            raise InvalidInput("co_handlers", f"must not include the lead unit {chosen_lead.name}")
    return ProposalAssigned(
        mode=chosen, lead=chosen_lead, co_handlers=co, handlers=sep, note=text("note", note, required=False)
    )


# a deadline put aside for a later one (an extension, a revision): the later one holds
_REPLACED = (DeadlineStatus.SUPERSEDED, DeadlineStatus.REVISED)


def _own_part_open(p: Proposal, who: Unit) -> bool:
    if p.lead == who:
        return True
    part = p.co_handler(who)
    if part is not None:
        return part.status in (PartStatus.PENDING, PartStatus.RETURNED)
    handler = p.handler(who)
    return handler is not None and handler.status is PartStatus.PENDING


def decide_sign_for(p: Proposal, actor: Actor, held: Relations, ctx: Context) -> AssignmentSignedFor:
    """A unit signs for its part (签收): once, before it has submitted its opinion or answered."""
    who = actor.unit
    assert who is not None  # a unit-held relation was checked
    signed = p.signed_at(who)
    if signed is not None:
        day = signed.in_timezone("Asia/Shanghai").to_date_string()
        raise refuse(p, "sign_for", actor, f"{who.name} signed for its part on {day} already.")
    part = p.co_handler(who)
    if part is not None and part.status is PartStatus.EXCUSED:
        raise refuse(
            p,
            "sign_for",
            actor,
            f"{who.name} was excused from sending an opinion; it has no part to sign for.",
        )
    if part is not None and (part.status is not PartStatus.PENDING or part.returned):
        raise refuse(p, "sign_for", actor, f"{who.name} has already sent its opinion; signing comes first.")
    handler = p.handler(who)
    if handler is not None and handler.status is not PartStatus.PENDING:
        raise refuse(p, "sign_for", actor, f"{who.name} has already answered its part; signing comes first.")
    return AssignmentSignedFor(unit=who)


def decide_request_reassignment(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, reason: object
) -> ReassignmentRequested:
    who = actor.unit
    assert who is not None  # a unit-held relation was checked
    if any(r.unit == who for r in p.pending_reassignments):
        raise refuse(
            p,
            "request_reassignment",
            actor,
            f"{who.name} already asked; wait for the assigning body's decision.",
        )
    for tracked in p.deadlines:
        window = tracked.deadline
        if (
            window.kind is DeadlineKind.REASSIGNMENT_REQUEST
            and tracked.status not in _REPLACED
            and window.party == who.name
            and ctx.at > window.due
        ):
            day = window.due.in_timezone("Asia/Shanghai").to_date_string()
            raise refuse(
                p,
                "request_reassignment",
                actor,
                f"the window for asking ended on {day} ({window.source}); the assignment stands unless "
                "the assigning body changes it.",
            )
    if not _own_part_open(p, who):
        raise refuse(
            p,
            "request_reassignment",
            actor,
            f"{who.name} has already delivered its part; a reassignment is asked before handling.",
        )
    return ReassignmentRequested(unit=who, reason=text("reason", reason))


def decide_reassignment(
    p: Proposal,
    actor: Actor,
    held: Relations,
    ctx: Context,
    *,
    unit_: object,
    approve: object,
    replacement: object,
    reason: object,
) -> ReassignmentDecided:
    who = unit("unit", unit_)
    if not isinstance(approve, bool):
        raise InvalidInput("approve", f"must be True or False (got {approve!r})")
    if not any(r.unit == who for r in p.pending_reassignments):
        raise refuse(p, "decide_reassignment", actor, f"{who.name} has not asked for reassignment.")
    if replacement is not None:
        replacement = unit("replacement", replacement)
        if not approve:
            raise InvalidInput("replacement", "is only given when the request is approved")
        holders = {
            p.lead,
            *(c.unit for c in p.co_handlers if c.active),
            *(h.unit for h in p.handlers if h.active),
        }
        if replacement in holders:
            raise InvalidInput("replacement", f"{replacement.name} already takes part in this proposal")
    if approve and replacement is None:
        if p.lead == who:
            raise InvalidInput("replacement", "must name the new lead unit when the lead is released")
        if p.handler(who) is not None and sum(h.active for h in p.handlers) <= 2:
            raise InvalidInput("replacement", "must name a unit: separate handling needs two handlers")
    return ReassignmentDecided(
        unit=who, approved=approve, replacement=replacement, reason=text("reason", reason, required=False)
    )


def decide_submit_opinion(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, opinion: object
) -> OpinionSubmitted:
    if not isinstance(opinion, Opinion):
        raise InvalidInput("opinion", f"must be an Opinion (got {type(opinion).__name__})")
    if opinion.author != actor.unit:
        raise deny(
            p,
            "submit_opinion",
            actor,
            held,
            f"A co-handler submits only its own opinion; this one is by {opinion.author.name}.",
        )
    if opinion.addressee != p.lead:
        lead = p.lead.name if p.lead else "the lead unit"
        raise InvalidInput(
            "opinion.addressee", f"must be the lead unit {lead} (got {opinion.addressee.name})"
        )
    if opinion.suggested_category is not None and opinion.suggested_category not in p.category_scheme.codes:
        codes = "/".join(p.category_scheme.codes)
        raise InvalidInput(
            "opinion.suggested_category", f"must be one of {codes} (got {opinion.suggested_category!r})"
        )
    part = p.co_handler(opinion.author)
    assert part is not None  # CO_HANDLER relation was checked
    if part.status not in (PartStatus.PENDING, PartStatus.RETURNED):
        raise refuse(
            p,
            "submit_opinion",
            actor,
            f"{opinion.author.name}'s opinion is already {part.status}; the lead can return it for revision.",
        )
    return OpinionSubmitted(opinion=opinion)


def _co_part(p: Proposal, command: str, actor: Actor, who: Unit, states: tuple[PartStatus, ...]) -> None:
    part = p.co_handler(who)
    if part is None:
        raise refuse(p, command, actor, f"{who.name} is not a co-handler of this proposal.")
    if part.status not in states:
        wanted = " or ".join(s.value for s in states)
        raise refuse(p, command, actor, f"{who.name}'s opinion is {part.status}, not {wanted}.")


def decide_return_opinion(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, unit_: object, reason: object
) -> OpinionReturned:
    who = unit("unit", unit_)
    _co_part(p, "return_opinion", actor, who, (PartStatus.SUBMITTED,))
    return OpinionReturned(unit=who, reason=text("reason", reason))


def decide_excuse_co_handler(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, unit_: object, reason: object
) -> CoHandlerExcused:
    who = unit("unit", unit_)
    _co_part(p, "excuse_co_handler", actor, who, (PartStatus.PENDING, PartStatus.RETURNED))
    return CoHandlerExcused(unit=who, reason=text("reason", reason))


def decide_consolidate(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, note: object
) -> OpinionsConsolidated:
    if p.mode is not AssignmentMode.LEAD_WITH_CO_HANDLERS:
        raise refuse(
            p,
            "consolidate",
            actor,
            f"it is under {p.mode.label if p.mode else 'no'} handling, which has no co-handlers; answer directly.",
        )
    waiting = p.outstanding_co_handlers
    if waiting:
        raise refuse(
            p,
            "consolidate",
            actor,
            f"the opinions of {_names(waiting)} are still outstanding; wait for them, remind them, or "
            "ask the assigning body to excuse them.",
        )
    return _noted(OpinionsConsolidated, note)


def decide_answer(p: Proposal, actor: Actor, held: Relations, ctx: Context, *, reply: object) -> ReplySent:
    if not isinstance(reply, Reply):
        raise InvalidInput("reply", f"must be a Reply (got {type(reply).__name__})")
    if reply.author != actor.unit:
        raise deny(
            p,
            "answer",
            actor,
            held,
            f"A unit answers only in its own name; this reply is by {reply.author.name}.",
        )
    if reply.category not in p.category_scheme.codes:
        codes = "/".join(p.category_scheme.codes)
        raise InvalidInput(
            "reply.category",
            f"must be one of {codes} of the {p.category_scheme.name} scheme (got {reply.category!r})",
        )
    names = p.addressees
    for name in reply.addressees:
        if name not in names:
            whose = "this item or of the items merged into it" if p.merged else "this item"
            raise InvalidInput(
                "reply.addressees", f"must be proposers of {whose} ({'、'.join(names)}); {name} is not"
            )
    if p.mode is AssignmentMode.SEPARATE:
        part = p.handler(reply.author)
        if part is None or Relation.HANDLER not in held:
            raise deny(p, "answer", actor, held, "Under separate handling each handler answers its own part.")
        if part.status is not PartStatus.PENDING:
            raise refuse(p, "answer", actor, f"{reply.author.name} has already answered its part.")
    else:
        if Relation.LEAD not in held:
            raise deny(p, "answer", actor, held, "Only the lead unit replies to the proposer.")
        if p.status is Status.ASSIGNED and p.mode is AssignmentMode.LEAD_WITH_CO_HANDLERS:
            raise refuse(
                p, "answer", actor, "the co-handlers' opinions must be consolidated first (consolidate)."
            )
        unsigned = p.outstanding_countersignatures if ctx.require_countersign else ()
        if unsigned:
            why = f"the co-handlers must countersign the reply first (会签, countersign); waiting for {_names(unsigned)}."
            raise refuse(p, "answer", actor, why)
    return ReplySent(reply=reply)


def decide_countersign(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, note: object
) -> ReplyCountersigned:
    """A co-handler that submitted its opinion countersigns (会签) the reply the lead is to send."""
    who = actor.unit
    assert who is not None  # a co-handler is a unit
    part = p.co_handler(who)
    if part is None or part.status is not PartStatus.SUBMITTED:
        raise refuse(
            p, "countersign", actor, f"{who} has no opinion in it to countersign for (it was excused)."
        )
    if any(name == who.name for name, _ in p.countersigned):
        raise refuse(p, "countersign", actor, f"{who} has already countersigned the reply to be sent.")
    return ReplyCountersigned(unit=who, note=text("note", note, required=False))


def decide_record_feedback(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, feedback: object
) -> FeedbackRecorded:
    if not isinstance(feedback, Feedback):
        raise InvalidInput("feedback", f"must be a Feedback (got {type(feedback).__name__})")
    if p.mode is AssignmentMode.SEPARATE:
        if feedback.unit is None:
            raise InvalidInput("feedback.unit", "must name the handler whose reply it is about (分办)")
        part = p.handler(feedback.unit)
        if part is None or part.reply is None:
            raise InvalidInput(
                "feedback.unit", f"must be a handler that has answered; {feedback.unit.name} is not"
            )
    else:
        if feedback.unit is not None and feedback.unit != p.lead:
            raise InvalidInput(
                "feedback.unit", f"must be the lead unit or left out (got {feedback.unit.name})"
            )
        if feedback.unit is not None:
            feedback = attrs.evolve(feedback, unit=None)
    proposer = actor.unit.name if actor.unit is not None and p._proposes(actor.unit.name) else actor.name
    return FeedbackRecorded(proposer=proposer, feedback=feedback)


def decide_order_rehandling(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, reason: object
) -> RehandlingOrdered:
    if not p.dissatisfied:
        raise refuse(
            p,
            "order_rehandling",
            actor,
            (
                "re-handling follows a 不满意 (dissatisfied) feedback on a unit's latest reply, and there "
                "is none; record the proposers' feedback on it first (record_feedback)."
            ),
        )
    return RehandlingOrdered(reason=text("reason", reason))


def _feedback_settled(p: Proposal) -> bool:
    for who in p._judged():
        entry = p.feedback_on_latest_reply(who)
        if entry is None or entry.feedback.satisfaction is Satisfaction.DISSATISFIED:
            return False
    return True


def decide_close(p: Proposal, actor: Actor, held: Relations, ctx: Context, *, note: object) -> ProposalClosed:
    if Relation.ASSIGNING_BODY not in held and not _feedback_settled(p):
        raise refuse(
            p,
            "close",
            actor,
            "the proposer's feedback is missing or 不满意; record the feedback, or ask the "
            "assigning body to close it or order re-handling.",
        )
    return _noted(ProposalClosed, note)


def _people(field: str, names: Iterable[object], what: str) -> tuple[str, ...]:
    """People's names as a proposer's is kept (程 浩 as 程浩, 李明委员 as 李明), each checked to be text."""
    people = []
    for name in names:
        if not isinstance(name, str):
            raise InvalidInput(field, f"must be {what} (got {got(name)}, among them)")
        people.append(untitled(person_name(field, name)))
    return tuple(people)


def decide_withdraw(
    p: Proposal,
    actor: Actor,
    held: Relations,
    ctx: Context,
    *,
    signed_by: object,
    reason: object,
) -> ProposalWithdrawn:
    if signed_by is None or isinstance(signed_by, str) or not isinstance(signed_by, Iterable):
        raise InvalidInput("signed_by", "must be a list of proposer names")
    signers = _people("signed_by", signed_by, "a list of proposer names")
    names = p.data.proposer_names
    strangers = [s for s in signers if s not in names]
    if strangers:
        raise InvalidInput(
            "signed_by", f"names people who are not proposers of this item: {'、'.join(strangers)}"
        )
    _holds_none(p, "withdraw", actor)
    missing = [n for n in names if n not in signers]
    if missing:
        raise refuse(
            p,
            "withdraw",
            actor,
            f"a joint item is withdrawn only with every proposer's signature; missing: {'、'.join(missing)}.",
        )
    if not ctx.withdrawal_after_assignment and p.status not in (Status.RECEIVED, Status.FILED):
        raise refuse(
            p, "withdraw", actor, "under these rules an item can be withdrawn only before it is assigned."
        )
    return ProposalWithdrawn(signed_by=signers, reason=text("reason", reason))


def decide_extend(
    p: Proposal,
    actor: Actor,
    held: Relations,
    ctx: Context,
    *,
    until: object,
    approval: object,
    reason: object,
) -> DeadlineExtended:
    if not isinstance(until, pendulum.Date) or isinstance(until, pendulum.DateTime):
        raise InvalidInput("until", f"must be a date (got {until!r})")
    previous = p.extended_until
    if previous is not None and until <= previous:
        raise InvalidInput("until", f"must be later than the present extension to {previous.isoformat()}")
    for tracked in p.deadlines:
        deadline = tracked.deadline
        if tracked.status is DeadlineStatus.OPEN and deadline.kind in (
            DeadlineKind.REPLY,
            DeadlineKind.REHANDLING,
        ):
            due_day = deadline.due.in_timezone("Asia/Shanghai").date()
            if until <= due_day:
                raise InvalidInput(
                    "until",
                    f"must be later than the present {deadline.kind.label} deadline of {deadline.party}, "
                    f"{due_day.isoformat()}: an extension never moves a deadline earlier",
                )
    if p.assigned_at is not None and until <= p.assigned_at.in_timezone("Asia/Shanghai").date():
        raise InvalidInput("until", "must be later than the day of assignment")
    if ctx.policy is not None and ctx.calendar is not None:
        check_extension(p, until, ctx.policy, ctx.calendar, str(actor))
    return DeadlineExtended(until=until, approval=text("approval", approval), reason=text("reason", reason))


def decide_revise_deadlines(
    p: Proposal,
    actor: Actor,
    held: Relations,
    ctx: Context,
    *,
    read: Callable[[int], Sequence[RecordedEvent]],
    reason: object,
) -> DeadlinesRevised:
    """``read(version)``, given by the workflow, is the proposal's history up to ``version``:
    each open deadline is counted again for the event that started it."""
    policy, calendar = ctx.policy, ctx.calendar
    if policy is None or calendar is None:
        raise refuse(p, "revise_deadlines", actor, "this workflow counts no deadlines (it has no policy).")
    why = text("reason", reason)
    changes = changes_of(read(p.version), policy, calendar, ctx.at)
    if not changes:
        raise refuse(
            p,
            "revise_deadlines",
            actor,
            f"no open deadline is counted otherwise under {policy.name} and this calendar "
            f"({calendar.version}); deadline_changes() lists what a calendar or a policy would move.",
        )
    return DeadlinesRevised(
        replaced=tuple(c.recorded for c in changes),
        deadlines=tuple(c.counted for c in changes if c.counted is not None),
        reason=why,
        policy=policy.name,
        policy_version=policy.version,
        calendar_version=calendar.version,
    )


def _owes(p: Proposal, party: str) -> bool:
    """Whether ``party`` (a unit's name, or the proposers') has a deadline still open."""
    return any(
        t.status is DeadlineStatus.OPEN and not t.deadline.kind.window and t.deadline.party == party
        for t in p.deadlines
    )


def decide_remind(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, to: object, note: object
) -> ReminderIssued:
    """A reminder to a unit handling the item, or, with ``to=PROPOSER_PARTY``, to its proposers
    of the feedback they owe. Once the item is answered, a unit is reminded only of what it
    still owes: publishing its reply marked 主动公开."""
    written = text("note", note, required=False)
    supervising = bool(held & {Relation.ASSIGNING_BODY, Relation.SUPERVISOR})
    if isinstance(to, str) and to == PROPOSER_PARTY:
        if not supervising:
            raise deny(p, "remind", actor, held, "The lead unit reminds only its co-handlers.")
        if p.status is not Status.ANSWERED:
            raise refuse(
                p,
                "remind",
                actor,
                "the proposers are reminded only while their feedback on a reply is awaited.",
            )
        return ReminderIssued(to=None, note=written)
    if not isinstance(to, Unit):
        raise InvalidInput(
            "to", f"must be a Unit, or PROPOSER_PARTY ({PROPOSER_PARTY!r}) for the proposers (got {got(to)})"
        )
    takes_part = to == p.lead or p.co_handler(to) is not None or p.handler(to) is not None
    if not takes_part:
        raise InvalidInput("to", f"must be a unit handling this proposal; {to.name} is not")
    if not supervising and p.co_handler(to) is None:
        raise deny(p, "remind", actor, held, "The lead unit reminds only its co-handlers.")
    if p.status not in HANDLING and not (_owes(p, to.name) or _to_be_published(p, to)):
        raise refuse(
            p,
            "remind",
            actor,
            f"{to.name} owes nothing now: once a proposal is answered, a unit is reminded only of "
            "publishing a reply marked 主动公开.",
        )
    return ReminderIssued(to=to, note=written)


def _to_be_published(p: Proposal, author: Unit) -> bool:
    """Whether ``author``'s latest reply is 主动公开 and not yet published: owed where no rule
    sets a deadline for it."""
    if author.name not in p.unpublished:
        return False
    latest = _latest_reply(p, author)
    return latest is not None and latest.disclosure is Disclosure.PUBLIC


def _latest_reply(p: Proposal, author: Unit) -> Reply | None:
    """The latest reply ``author`` sent, if it sent one."""
    return next((r for r in reversed(p.replies) if r.author == author), None)


def decide_record_contact(
    p: Proposal,
    actor: Actor,
    held: Relations,
    ctx: Context,
    *,
    method: object,
    proposers: object,
    note: object,
) -> ProposersContacted:
    """A handling unit's own contact with proposers; left empty, ``proposers`` is all of them."""
    how = choice("method", method, ContactMethod)
    if proposers is None:
        names: tuple[str, ...] = ()
    elif isinstance(proposers, str) or not isinstance(proposers, Iterable):
        raise InvalidInput("proposers", f"must be a list of proposers' names (got {got(proposers)})")
    else:
        names = tuple(dict.fromkeys(_people("proposers", proposers, "a list of proposers' names")))
    everyone = p.addressees
    strangers = [n for n in names if n not in everyone]
    if strangers:
        raise InvalidInput(
            "proposers", f"must be proposers of this item ({'、'.join(everyone)}); not {'、'.join(strangers)}"
        )
    assert actor.unit is not None  # a lead, co-handler or handler is a unit
    return ProposersContacted(
        unit=actor.unit, method=how, proposers=names or everyone, note=text("note", note, required=False)
    )


def decide_mark_key(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, supervisor: object, note: object
) -> ProposalMarkedKey:
    who = None if supervisor is None else unit("supervisor", supervisor)
    if p.key and (who is None or who == p.supervisor):
        raise refuse(p, "mark_key", actor, "it is already a key proposal (重点提案).")
    return ProposalMarkedKey(supervisor=who, note=text("note", note, required=False))


def decide_report_implementation(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, report: object, category: object
) -> ImplementationReported:
    """A unit's report on how its latest reply is carried out (落实情况), with the reply's
    category as it stands now when the report restates it."""
    who = actor.unit
    assert who is not None  # a lead or a handler is a unit, and has answered once the item is
    written = text("report", report)
    return ImplementationReported(unit=who, report=written, category=_category_or_none(p, category))


def _category_or_none(p: Proposal, category: object) -> str | None:
    """``category`` when it is None or one of the item's scheme's codes."""
    if category is None:
        return None
    category = category_code(category)
    scheme = p.category_scheme
    if not isinstance(category, str) or category not in scheme.codes:
        raise InvalidInput(
            "category",
            f"must be one of {'/'.join(scheme.codes)} of the {scheme.name} scheme, or None (got {got(category)})",
        )
    return category


def decide_review_reply(
    p: Proposal, actor: Actor, held: Relations, ctx: Context, *, of: object, category: object, note: object
) -> ReplyReviewed:
    """Review (审核) the latest reply of unit ``of``, or of the one unit that answers: the lead,
    or the only separate handler; with several, the unit must be named."""
    if p.mode is AssignmentMode.SEPARATE:
        answering = [part.unit for part in p.handlers if part.active]
    else:
        assert p.lead is not None  # an answered item that is not handled separately has a lead
        answering = [p.lead]
    names = _names(answering)
    if of is not None:
        author = unit("unit", of)
        if author not in answering:
            raise refuse(
                p, "review_reply", actor, f"{author} does not answer it (the units that do: {names})."
            )
    elif len(answering) == 1:
        author = answering[0]
    else:
        raise refuse(
            p, "review_reply", actor, f"name the unit whose reply to review (the units that answer: {names})."
        )
    if not any(r.author == author for r in p.replies):
        raise refuse(p, "review_reply", actor, f"{author} has sent no reply.")
    return ReplyReviewed(
        unit=author, category=_category_or_none(p, category), note=text("note", note, required=False)
    )


def decide_publish(
    p: Proposal,
    actor: Actor,
    held: Relations,
    ctx: Context,
    *,
    url: object,
    of: object = None,
    form: object = PublicationForm.FULL,
) -> ReplyPublished:
    """Publish a unit's latest reply: the actor's own for the lead or a handler; for the
    assigning body, the one awaiting publication, or the one of unit ``of`` when several do."""
    how = choice("form", form, PublicationForm)
    if not p.replies:
        raise refuse(p, "publish", actor, "no reply has been sent yet.")
    own = Relation.ASSIGNING_BODY not in held
    if of is not None:
        author = unit("unit", of)
        if own and author != actor.unit:
            raise deny(p, "publish", actor, held, "A unit publishes only its own reply.")
    elif own:
        assert actor.unit is not None  # every relation that may publish is a unit's
        author = actor.unit
    elif len(p.unpublished) == 1:
        author = next(r.author for r in reversed(p.replies) if r.author.name == p.unpublished[0])
    else:
        awaiting = "、".join(p.unpublished) or "none"
        raise refuse(
            p, "publish", actor, f"name the unit whose reply to publish (awaiting publication: {awaiting})."
        )
    latest = _latest_reply(p, author)
    if latest is None:
        raise refuse(p, "publish", actor, f"{author} has sent no reply.")
    if latest.disclosure is Disclosure.NOT_PUBLIC:
        raise refuse(p, "publish", actor, f"the reply of {author} is marked 不予公开 (not for publication).")
    if author.name not in p.unpublished:
        raise refuse(p, "publish", actor, f"the latest reply of {author} is already published.")
    return ReplyPublished(unit=author, url=None if url is None else text("url", url), form=how)
