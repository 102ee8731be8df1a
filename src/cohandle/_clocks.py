"""Which deadlines an event starts, computed once from the policy and the calendar.

The workflow calls :func:`started_by` after a command's event has been decided; the deadlines
it returns are recorded in the same command as a :class:`DeadlinesSet` event, with the policy's
name and version and the calendar data's version. From then on they are facts of the log: a
later change of holiday data or policy does not move them. :func:`changes_of` shows what a
policy and a calendar would have set instead, for the deadlines still open.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence

import attrs
import pendulum

from cohandle._errors import PreconditionFailed
from cohandle._events import (
    AssignmentSignedFor,
    DeadlineExtended,
    DeadlinesRevised,
    DeadlinesSet,
    Event,
    OpinionReturned,
    ProposalAssigned,
    ReassignmentDecided,
    RecordedEvent,
    RehandlingOrdered,
    ReplySent,
)
from cohandle._model import PROPOSER_PARTY, Deadline, DeadlineKind, DeadlineStatus, Disclosure
from cohandle._state import Proposal, apply, start
from cohandle._text import chinese_date
from cohandle.deadlines import Calendar, CalendarError, Policy, due_date, end_of_day
from cohandle.deadlines._rules import Start, add_months

__all__ = ["DeadlineChange", "changes_of", "check_extension", "started_by"]

SHANGHAI = pendulum.timezone("Asia/Shanghai")
_K = DeadlineKind

# 政府信息公开条例 art. 26 gives what is 主动公开 20 working days to be published; a reply
# 依申请公开 is disclosed when someone applies for it, by no clock of its own
PUBLISHED_BY_DEADLINE = frozenset({Disclosure.PUBLIC})


def _day(moment: pendulum.DateTime) -> pendulum.Date:
    local = moment.in_timezone(SHANGHAI)
    return pendulum.Date(local.year, local.month, local.day)


def _naming(error: CalendarError, p: Proposal, what: str) -> CalendarError:
    """A calendar's refusal, naming the proposal and what of it was being counted."""
    return CalendarError(error.day, error.known, f"Proposal {p.id!r}: {what}")


class _Setter:
    """Collects the deadlines an event starts. ``signed`` gives the day each unit signed for
    its part (签收), which a rule counted from receipt counts from; by default, as the state
    ``p`` records it. With ``only``, just the rules counted from that start are counted."""

    def __init__(
        self,
        p: Proposal,
        policy: Policy,
        calendar: Calendar,
        signed: Mapping[str, pendulum.Date] | None = None,
        only: Start | None = None,
    ) -> None:
        self.p = p
        self.policy = policy
        self.calendar = calendar
        self.signed = signed
        self.only = only
        self.found: list[Deadline] = []

    def received_by(self, party: str, otherwise: pendulum.Date) -> pendulum.Date:
        """The day ``party`` signed for its part, or ``otherwise`` if it has not."""
        if self.signed is not None:
            return self.signed.get(party, otherwise)
        at = self.p.signed_at(party)
        return otherwise if at is None else _day(at)

    def add(self, kind: DeadlineKind, party: str, start: pendulum.Date) -> None:
        """The deadline of the first rule of ``kind`` that applies to the item, started on
        ``start``. A fixed date already past on that day cannot be what its rule asks of this
        item (one assigned after 30 June, under "replies by 30 June"): the next rule of the
        kind applies (a period for late items), and with none, no deadline is set."""
        session = self.p.data.session
        for rule in self.policy.rules_for(kind, session.body, session.between_sessions, self.p.key):
            if self.only is not None and rule.start is not self.only:
                return
            if rule.start is Start.RECEIVED:
                counted_from = _day(self.p.received_at)
            elif rule.start is Start.SIGNED_FOR:  # from the unit's receipt, once it has signed
                counted_from = self.received_by(party, start)
            else:
                counted_from = start
            try:
                day = due_date(
                    counted_from,
                    period=rule.period,
                    fixed=rule.fixed,
                    counting=self.policy.counting,
                    calendar=self.calendar,
                    session_year=session.year,
                )
            except CalendarError as error:
                what = f"its deadline for {kind.label} ({party}) under rule {self.policy.name}:{rule.name}"
                raise _naming(error, self.p, f"{what} from {counted_from.isoformat()}") from None
            if rule.fixed is not None and day < start:
                continue
            self.found.append(
                Deadline(
                    kind=kind,
                    party=party,
                    rule=f"{self.policy.name}:{rule.name}",
                    start=counted_from,
                    due=end_of_day(day),
                    source=rule.source,
                )
            )
            return


def started_by(
    event: Event,
    after: Proposal,
    at: pendulum.DateTime,
    policy: Policy,
    calendar: Calendar,
    signed: Mapping[str, pendulum.Date] | None = None,
) -> DeadlinesSet | DeadlinesRevised | None:
    """The deadlines ``event`` (already folded into ``after``) starts, or None. A unit's
    signature (签收) starts none: it moves the deadlines counted from its receipt, as a
    :class:`DeadlinesRevised`. ``signed`` overrides the days units signed for their parts."""
    if isinstance(event, AssignmentSignedFor):
        return _moved_by_signature(event, after, at, policy, calendar)
    setter = _Setter(after, policy, calendar, signed)
    start = _day(at)
    if isinstance(event, ProposalAssigned):
        for unit in (event.lead, *event.co_handlers, *event.handlers):
            if unit is not None:
                setter.add(_K.REASSIGNMENT_REQUEST, unit.name, start)
        for unit in event.co_handlers:
            setter.add(_K.CO_HANDLER_OPINION, unit.name, start)
        for unit in (event.lead, *event.handlers):
            if unit is not None:
                setter.add(_K.REPLY, unit.name, start)
    elif isinstance(event, ReassignmentDecided) and event.approved and event.replacement is not None:
        name = event.replacement.name  # named now: its window to ask runs from today, as its part
        setter.add(_K.REASSIGNMENT_REQUEST, name, start)
        if after.co_handler(event.replacement) is not None:
            setter.add(_K.CO_HANDLER_OPINION, name, start)
        else:
            setter.add(_K.REPLY, name, start)
    elif isinstance(event, OpinionReturned):
        setter.add(_K.RESUBMISSION, event.unit.name, start)
    elif isinstance(event, ReplySent):
        if after.status.value == "answered":
            setter.add(_K.PROPOSER_FEEDBACK, PROPOSER_PARTY, start)
        if event.reply.disclosure in PUBLISHED_BY_DEADLINE:
            setter.add(_K.PUBLICATION, event.reply.author.name, start)
    elif isinstance(event, RehandlingOrdered):
        for name in _answering(after):
            setter.add(_K.REHANDLING, name, start)
    elif isinstance(event, DeadlineExtended):
        # the deadlines this extension superseded: per party, the latest one settled now
        superseded: dict[tuple[DeadlineKind, str], Deadline] = {}
        for tracked in after.deadlines:
            if tracked.status is DeadlineStatus.SUPERSEDED and tracked.settled_at == at:
                superseded[(tracked.deadline.kind, tracked.deadline.party)] = tracked.deadline
        extended = [(old.kind, old.party, old.start) for old in superseded.values()]
        # a unit that owes the reply and had no deadline for it (a fixed date already past when
        # the item was assigned, or no reply rule): the approved day is its deadline from now on
        dated = {t.deadline.party for t in after.deadlines if t.deadline.kind is _K.REPLY}
        if after.assigned_at is not None:
            assigned = _day(after.assigned_at)
            extended += [(_K.REPLY, name, assigned) for name in _owing_reply(after) if name not in dated]
        for kind, party, since in extended:
            setter.found.append(
                Deadline(
                    kind=kind,
                    party=party,
                    rule=f"{policy.name}:extension",
                    start=since,
                    due=end_of_day(event.until),
                    source=f"延期批准 {event.approval}",
                )
            )
    if not setter.found:
        return None
    return DeadlinesSet(
        deadlines=tuple(setter.found),
        policy=policy.name,
        policy_version=policy.version,
        calendar_version=calendar.version,
    )


def _moved_by_signature(
    event: AssignmentSignedFor, after: Proposal, at: pendulum.DateTime, policy: Policy, calendar: Calendar
) -> DeadlinesRevised | None:
    """The signing unit's open deadlines under rules counted from receipt (签收), counted again
    from the day it signed; None when every one falls on the same day as before."""
    setter = _Setter(after, policy, calendar, only=Start.SIGNED_FOR)
    unit, day = event.unit, _day(at)
    setter.add(_K.REASSIGNMENT_REQUEST, unit.name, day)
    if after.co_handler(unit) is not None:
        setter.add(_K.CO_HANDLER_OPINION, unit.name, day)
    else:  # the lead, or a separate handler
        setter.add(_K.REPLY, unit.name, day)
    recorded = {
        (t.deadline.kind, t.deadline.party, t.deadline.rule): t.deadline
        for t in after.deadlines
        if t.status is DeadlineStatus.OPEN
    }
    pairs = [(recorded.get((d.kind, d.party, d.rule)), d) for d in setter.found]
    moved = [(old, new) for old, new in pairs if old is not None and old.due != new.due]
    if not moved:
        return None
    return DeadlinesRevised(
        replaced=tuple(old for old, _ in moved),
        deadlines=tuple(new for _, new in moved),
        reason=f"{unit.name}{chinese_date(day)}签收，自收到之日起计算",
        policy=policy.name,
        policy_version=policy.version,
        calendar_version=calendar.version,
    )


def _answering(p: Proposal) -> list[str]:
    """The units whose reply is awaited: under separate handling (分办) each active handler
    that has not answered, otherwise the lead."""
    if p.handlers:
        return [h.unit.name for h in p.handlers if h.active and h.status.value == "pending"]
    return [p.lead.name] if p.lead is not None else []


def _owing_reply(p: Proposal) -> list[str]:
    """The units that owe the item's first reply now (before it is answered)."""
    return _answering(p) if p.status.value in ("assigned", "consolidated") else []


def check_extension(
    p: Proposal, until: pendulum.Date, policy: Policy, calendar: Calendar, actor: str
) -> None:
    """Refuse an extension beyond the policy's caps (a total from the reply's start, or per extension)."""
    cap = policy.extension
    current = [
        t.deadline
        for t in p.deadlines
        if t.status is DeadlineStatus.OPEN and t.deadline.kind in (_K.REPLY, _K.REHANDLING)
    ]
    if current:
        start = current[0].start
    elif _owing_reply(p) and p.assigned_at is not None:
        start = _day(p.assigned_at)  # no deadline yet, the extension gives one: from the assignment
    else:
        return

    def refuse(limit: _dt.date, what: str) -> PreconditionFailed:
        return PreconditionFailed(
            f"an extension to {until.isoformat()} goes beyond {what}, {limit.isoformat()} ({cap.source or policy.title}).",
            proposal_id=p.id,
            command="extend",
            state=p.status.value,
            actor=actor,
        )

    if cap.total is not None:
        try:
            limit = due_date(start, period=cap.total, counting=policy.counting, calendar=calendar)
        except CalendarError as error:
            what = f"the limit of its extensions, {cap.total} from {start.isoformat()}"
            raise _naming(error, p, what) from None
        if until > limit:
            raise refuse(limit, f"the total of {cap.total} from the start")
    if cap.each is not None and current:
        base = _day(current[0].due)
        if cap.each.unit.value == "months":
            limit = add_months(base, cap.each.amount)
        else:
            try:
                limit = due_date(base, period=cap.each, counting=policy.counting, calendar=calendar)
            except CalendarError as error:
                raise _naming(
                    error, p, f"the limit of an extension, {cap.each} from {base.isoformat()}"
                ) from None
        if until > limit:
            raise refuse(limit, f"{cap.each} beyond the present deadline")


@attrs.frozen(kw_only=True)
class DeadlineChange:
    """An open deadline that a policy and a calendar would have set otherwise: ``recorded`` is
    the deadline in the log, ``counted`` the one they give for the same event, or None when no
    rule of the policy sets it."""

    proposal_id: str
    number: str
    recorded: Deadline
    counted: Deadline | None


def changes_of(
    history: Sequence[RecordedEvent], policy: Policy, calendar: Calendar, now: pendulum.DateTime
) -> list[DeadlineChange]:
    """The deadlines of a proposal (its whole ``history``) still open at ``now`` (met by
    nothing yet, late or not; a window that has lapsed is closed) whose due time ``policy``
    and ``calendar`` would have set otherwise, each counted again for the event that started
    it, on the state after that event, as the command counted it. A deadline put in by an
    earlier revision is counted again as the one it replaced. Nothing is recorded."""
    state: Proposal | None = None
    again: dict[Deadline, Deadline | None] = {}  # each deadline recorded: as counted now
    # a rule counted from receipt counts from the day the unit signed (签收), even when it
    # signed after the event that started the clock: such deadlines were moved when it signed
    signed = {
        e.payload.unit.name: _day(e.occurred_at)
        for e in history
        if isinstance(e.payload, AssignmentSignedFor)
    }
    for index, event in enumerate(history):
        payload = event.payload
        if isinstance(payload, DeadlinesSet) and state is not None and index > 0:
            starter = history[index - 1]  # the event of the same command that started the clocks
            found = started_by(starter.payload, state, starter.occurred_at, policy, calendar, signed)
            assert not isinstance(found, DeadlinesRevised)  # a DeadlinesSet's starter is no signature
            counted = {(d.kind, d.party): d for d in found.deadlines} if found is not None else {}
            for recorded in payload.deadlines:
                again[recorded] = counted.get((recorded.kind, recorded.party))
        elif isinstance(payload, DeadlinesRevised):
            replaced = {(d.kind, d.party): d for d in payload.replaced}
            for revised in payload.deadlines:
                old = replaced.get((revised.kind, revised.party))
                if old in again:
                    again[revised] = again[old]
        state = start(event) if state is None else apply(state, event)
    if state is None:
        return []
    open_now = (DeadlineStatus.OPEN, DeadlineStatus.MISSED)
    still_open = {t.deadline for t in state.deadlines if t.status_at(now) in open_now}
    return [
        DeadlineChange(proposal_id=state.id, number=state.number, recorded=recorded, counted=counted)
        for recorded, counted in again.items()
        if recorded in still_open and (counted is None or counted.due != recorded.due)
    ]
