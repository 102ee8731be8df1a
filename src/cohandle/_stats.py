"""The statistics published each year, computed from proposals' states (which are folds of the
log); :class:`Statistics` defines each count."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import attrs
import pendulum

from cohandle._clock import business_time
from cohandle._errors import expect, proposals_of, whole_number
from cohandle._lifecycle import Status
from cohandle._model import (
    AssignmentMode,
    ContactMethod,
    DeadlineKind,
    DeadlineStatus,
    PublicationForm,
    Satisfaction,
    TrackedDeadline,
)
from cohandle._model import session_key as session_key_of
from cohandle._state import Proposal

__all__ = ["Statistics", "UnitCounts", "statistics"]

SHANGHAI = pendulum.timezone("Asia/Shanghai")
_REPLIED = (Status.ANSWERED, Status.REHANDLING, Status.CLOSED)


@attrs.frozen(kw_only=True)
class UnitCounts:
    lead: int = 0
    co_handled: int = 0
    separate: int = 0
    overdue: int = 0


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@attrs.frozen(kw_only=True)
class Statistics:
    """The counts and rates of a set of proposals, as :func:`statistics` makes them.

    Definitions (each a count of proposals unless said otherwise):

    - received: every proposal; filed: those filed (立案) or assigned, and not merged since;
      not filed: 不予立案; merged: 并案, whether filed before or not, and counted apart from both
      (the item merged into is the one handled); 立案率 = filed / (filed + not filed).
    - assigned: assigned and not withdrawn; replied: assigned ones with a reply sent (answered,
      re-handled or closed); 办复率 = replied / assigned.
    - on time: replied ones whose first reply deadline recorded in the log (as extended, if it was
      extended before it passed, or as revised) was met, not met late, by every unit that
      answers (each handler's, under 分办; not a unit's released by a reassignment); 按时办复率 =
      on time / assigned. An extension approved after the deadline had passed does not make the
      reply on time. Without recorded deadlines it is not known, and shown as such.
    - feedback: the latest feedback on each reply; 满意率 = (满意 + 基本满意) / replies with feedback,
      with the 满意 and 基本满意 counts apart; 初次办理满意率 counts the first feedback, before any
      re-handling.
    - categories: the category of each proposal's final reply (each part's, under 分办), as a
      review (审核) put it or as the reply gave it, with percentages of the replies counted;
      categories now: the same replies by the category a report on their implementation
      (落实情况) restated since (a B now solved counts as A), or as counted before;
      implementation reported: replied ones with such a report; replies reviewed: final
      replies with a review, changed in review: those whose review put them in another
      category than the reply gave.
    - per unit: items led (主办), co-handled (会办) and handled separately (分办), and open
      obligations past due at ``now``.
    - published: proposals with a reply published (公开), counted once however many of their
      replies were; published in summary: those whose latest publication was a summary
      (摘要公开) rather than the reply in full (全文公开).
    - contacted: assigned ones whose handling units recorded a contact with their proposers
      (``Workflow.record_contact``), 沟通率 = contacted / assigned; met: those with a meeting
      among them, 见面率 = met / assigned.
    """

    received: int
    filed: int
    not_filed: int
    merged: int
    assigned: int
    replied: int
    on_time: int | None
    with_feedback: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    first_with_feedback: int
    first_satisfied_or_basically: int
    categories: dict[str, int]
    published: int
    units: dict[str, UnitCounts]
    contacted: int = 0
    met: int = 0
    categories_now: dict[str, int] = attrs.field(factory=dict)
    implementation_reported: int = 0
    replies_reviewed: int = 0
    changed_in_review: int = 0
    published_in_summary: int = 0

    @property
    def filing_rate(self) -> float | None:
        """立案率"""
        return _rate(self.filed, self.filed + self.not_filed)

    @property
    def reply_rate(self) -> float | None:
        """办复率"""
        return _rate(self.replied, self.assigned)

    @property
    def on_time_rate(self) -> float | None:
        """按时办复率 (None when no deadlines were recorded)"""
        return None if self.on_time is None else _rate(self.on_time, self.assigned)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率, counting 满意 and 基本满意"""
        return _rate(self.satisfied + self.basically_satisfied, self.with_feedback)

    @property
    def first_satisfaction_rate(self) -> float | None:
        """初次办理满意率"""
        return _rate(self.first_satisfied_or_basically, self.first_with_feedback)

    @property
    def contact_rate(self) -> float | None:
        """沟通率"""
        return _rate(self.contacted, self.assigned)

    @property
    def meeting_rate(self) -> float | None:
        """见面率"""
        return _rate(self.met, self.assigned)

    def category_shares(self) -> dict[str, float]:
        total = sum(self.categories.values())
        return {code: count / total for code, count in self.categories.items()} if total else {}

    def to_json(self) -> dict[str, object]:
        def pct(value: float | None) -> float | None:
            return None if value is None else round(value * 100, 1)

        return {
            "received": self.received,
            "filed": self.filed,
            "not_filed": self.not_filed,
            "merged": self.merged,
            "filing_rate_pct": pct(self.filing_rate),
            "assigned": self.assigned,
            "replied": self.replied,
            "reply_rate_pct": pct(self.reply_rate),
            "on_time": self.on_time,
            "on_time_rate_pct": pct(self.on_time_rate),
            "with_feedback": self.with_feedback,
            "satisfied": self.satisfied,
            "basically_satisfied": self.basically_satisfied,
            "dissatisfied": self.dissatisfied,
            "satisfaction_rate_pct": pct(self.satisfaction_rate),
            "first_satisfaction_rate_pct": pct(self.first_satisfaction_rate),
            "categories": dict(self.categories),
            "category_pct": {code: round(share * 100, 1) for code, share in self.category_shares().items()},
            "categories_now": dict(self.categories_now),
            "implementation_reported": self.implementation_reported,
            "replies_reviewed": self.replies_reviewed,
            "changed_in_review": self.changed_in_review,
            "published": self.published,
            "published_in_summary": self.published_in_summary,
            "contacted": self.contacted,
            "contact_rate_pct": pct(self.contact_rate),
            "met": self.met,
            "meeting_rate_pct": pct(self.meeting_rate),
            "units": {name: attrs.asdict(counts) for name, counts in self.units.items()},
        }


def _reply_met_on_time(p: Proposal) -> bool | None:
    """Whether every unit that answers met its first reply deadline (as extended before it
    passed, or as revised, if it was); None when no reply deadline is recorded. Under separate
    handling (分办) each handler has its own; a unit released by a reassignment (its deadline
    waived) answers nothing."""
    counted: dict[str, TrackedDeadline] = {}
    for tracked in p.deadlines:
        if tracked.deadline.kind is DeadlineKind.REPLY:
            party = tracked.deadline.party
            held = counted.get(party)
            if held is None or _replaced_in_time(held):
                counted[party] = tracked
    answering = [t for t in counted.values() if t.status is not DeadlineStatus.WAIVED]
    if not answering:
        return None
    return all(t.status is DeadlineStatus.MET for t in answering)


def _replaced_in_time(held: TrackedDeadline) -> bool:
    """Whether a reply deadline gave way to the next one before it could be missed: a revision
    under a new calendar or policy (the period as the rules count it), or an extension approved
    while it still ran. An extension approved after it had passed sets the date to track from
    then on, but the deadline was missed: the reply is not on time."""
    if held.status is DeadlineStatus.REVISED:
        return True
    settled = held.settled_at
    return held.status is DeadlineStatus.SUPERSEDED and settled is not None and settled <= held.deadline.due


def statistics(
    proposals: Iterable[Proposal],
    now: pendulum.DateTime,
    *,
    session_key: str | None = None,
    year: int | None = None,
) -> Statistics:
    """The statistics of ``proposals``, optionally of one session (``Session.key``), or of a
    term, a region or a body by the start of the key (``cppcc-湖北省-13``: every meeting of the
    13th committee), or by its name (``湖北省政协十三届``; :meth:`Session.within` says which
    names are read), or of the proposals received in one ``year`` (Asia/Shanghai)."""
    given = proposals_of("proposals", proposals)
    now = business_time("now", now)
    if session_key is not None:
        session_key = session_key_of("session_key", session_key)
    if year is not None:
        whole_number("year", year, least=1)
    received = filed = not_filed = merged = assigned = replied = published = summarized = 0
    with_contact = with_meeting = 0
    on_time = 0
    on_time_known = False
    satisfaction: Counter[Satisfaction] = Counter()
    first_with = first_good = 0
    categories: Counter[str] = Counter()
    categories_now: Counter[str] = Counter()
    reported = reviewed = changed = 0
    units: dict[str, dict[str, int]] = defaultdict(
        lambda: {"lead": 0, "co_handled": 0, "separate": 0, "overdue": 0}
    )
    for p in given:
        expect("proposals", p, Proposal, "a list of Proposal")
        if session_key is not None and not p.data.session.within(session_key):
            continue
        if year is not None and p.received_at.in_timezone(SHANGHAI).year != year:
            continue
        received += 1
        status = p.status
        if status is Status.NOT_FILED:
            not_filed += 1
        elif status is Status.MERGED:
            merged += 1
        if status is Status.FILED or p.assigned_at is not None:
            filed += 1
        if p.assigned_at is None or status is Status.WITHDRAWN:
            continue
        assigned += 1
        if p.contacts:
            with_contact += 1
            with_meeting += any(contact.method is ContactMethod.MEETING for contact in p.contacts)
        if p.mode is AssignmentMode.SEPARATE:
            for part in p.handlers:
                if part.active:
                    units[part.unit.name]["separate"] += 1
        elif p.lead is not None:
            units[p.lead.name]["lead"] += 1
            for co in p.co_handlers:
                if co.active:
                    units[co.unit.name]["co_handled"] += 1
        for tracked, state in p.deadlines_at(now):
            if state is DeadlineStatus.MISSED and tracked.deadline.party in units:
                units[tracked.deadline.party]["overdue"] += 1
        if status not in _REPLIED:
            continue
        replied += 1
        met = _reply_met_on_time(p)
        if met is not None:
            on_time_known = True
            on_time += met
        published += p.published
        summarized += p.publication is PublicationForm.SUMMARY
        finals = (
            [part.reply for part in p.handlers if part.active and part.reply] if p.handlers else [p.reply]
        )
        restated = dict(p.recategorized)
        reviews = dict(p.reviewed)
        for reply in finals:
            if reply is not None:
                name = reply.author.name
                counted = reviews.get(name, reply.category)
                categories[counted] += 1
                categories_now[restated.get(name, counted)] += 1
                if name in reviews:
                    reviewed += 1
                    changed += counted != reply.category
        reported += bool(p.reports)
        reply_units = [part.unit for part in p.handlers if part.active] if p.handlers else [None]
        for unit in reply_units:
            entry = p.latest_feedback(unit)
            if entry is not None:
                satisfaction[entry.feedback.satisfaction] += 1
            first = next((f for f in p.feedback if f.feedback.unit == unit), None)
            if first is not None:
                first_with += 1
                first_good += first.feedback.satisfaction is not Satisfaction.DISSATISFIED
    return Statistics(
        received=received,
        filed=filed,
        not_filed=not_filed,
        merged=merged,
        assigned=assigned,
        replied=replied,
        on_time=on_time if on_time_known else None,
        with_feedback=sum(satisfaction.values()),
        satisfied=satisfaction[Satisfaction.SATISFIED],
        basically_satisfied=satisfaction[Satisfaction.BASICALLY_SATISFIED],
        dissatisfied=satisfaction[Satisfaction.DISSATISFIED],
        first_with_feedback=first_with,
        first_satisfied_or_basically=first_good,
        categories=dict(sorted(categories.items())),
        published=published,
        contacted=with_contact,
        met=with_meeting,
        categories_now=dict(sorted(categories_now.items())),
        implementation_reported=reported,
        replies_reviewed=reviewed,
        published_in_summary=summarized,
        changed_in_review=changed,
        units={name: UnitCounts(**counts) for name, counts in sorted(units.items())},
    )
