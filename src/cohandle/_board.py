"""A read model of open deadlines across proposals: what is due, what is overdue, what to remind.

The board reads the deadlines recorded in the log (it never recomputes them). It keeps the
open ones in a heap ordered by due time, so "overdue now" and "due within N working days" visit
only the deadlines that answer, not every proposal. The host keeps it current with
:meth:`DeadlineBoard.follow` (after each command) or :meth:`DeadlineBoard.update`, and asks
:meth:`DeadlineBoard.reminders` on its own schedule: the library runs no timers or threads.
"""

from __future__ import annotations

import datetime as _dt
import enum
import heapq
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs
import pendulum

from cohandle._clock import business_time
from cohandle._errors import InvalidInput, expect, proposals_of, whole_number
from cohandle._events import RecordedEvent
from cohandle._model import PROPOSER_PARTY, Deadline, DeadlineStatus, Unit
from cohandle._state import Proposal
from cohandle._workflow import Workflow
from cohandle.deadlines import Calendar, Policy, end_of_day
from cohandle.deadlines._calendar import beyond_dates

__all__ = ["DeadlineBoard", "DueItem", "Reminder", "ReminderLevel"]

SHANGHAI = pendulum.timezone("Asia/Shanghai")


@attrs.frozen(kw_only=True)
class DueItem:
    """One open deadline of one proposal."""

    proposal_id: str
    number: str
    title: str
    deadline: Deadline

    @property
    def party(self) -> str:
        return self.deadline.party

    @property
    def due(self) -> pendulum.DateTime:
        return self.deadline.due

    @property
    def to(self) -> Unit | str:
        """Whom to remind of it, as :meth:`Workflow.remind` takes it: the unit, or
        :data:`PROPOSER_PARTY` for the proposers."""
        party = self.deadline.party
        return party if party == PROPOSER_PARTY else Unit(name=party)


class ReminderLevel(enum.StrEnum):
    REMIND = "remind"  # 催办
    ESCALATE = "escalate"  # 督办

    @property
    def label(self) -> str:
        return "催办" if self is ReminderLevel.REMIND else "督办"


@attrs.frozen(kw_only=True)
class Reminder:
    """A reminder the host should issue now, and why."""

    item: DueItem
    level: ReminderLevel
    working_days_late: int


def _order(item: DueItem) -> tuple[pendulum.DateTime, str, str, str]:
    """Earliest first, and one order for items due at the same time, however the board was
    filled."""
    return item.due, item.proposal_id, item.party, item.deadline.kind.name


def _micros(moment: pendulum.DateTime) -> int:
    return int(moment.timestamp() * 1_000_000)


class DeadlineBoard:
    """Open obligations of many proposals, ordered by due time.

    Windows (a reassignment request that may be made) are left out: they lapse, they are not
    late, and nobody is reminded of them.

    The threads of a process may share a board, and :meth:`follow` a workflow whose commands
    come from several threads: a state of a proposal older than the one the board holds, which
    a slower thread may bring after a faster one, is ignored.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # updates and queries: a heap half pushed is no heap
        self._open: dict[str, tuple[DueItem, ...]] = {}
        self._version: dict[str, int] = {}
        self._generation: dict[str, int] = {}
        self._reminded: dict[str, tuple[tuple[str, pendulum.DateTime], ...]] = {}
        self._marked: dict[str, pendulum.DateTime | None] = {}  # when each was marked key, if it is
        self._heap: list[tuple[int, int, str, int, DueItem]] = []
        self._sequence = itertools.count()
        self._live = 0

    @classmethod
    def build(cls, proposals: Iterable[Proposal]) -> DeadlineBoard:
        """A board of ``proposals`` (e.g. ``wf.proposals()``), built in one pass."""
        board = cls()
        for proposal in proposals_of("proposals", proposals):
            expect("proposals", proposal, Proposal, "a list of Proposal")
            board._heap.extend(board._put(proposal))
        heapq.heapify(board._heap)
        return board

    def follow(self, wf: Workflow) -> Callable[[], None]:
        """Keep the board current with ``wf``'s commands; returns a function that stops it.

        Only the commands of this workflow object reach it; what other processes or servers
        record on the same log is taken in from ``read_all`` (the deadlines page shows how)."""
        expect("wf", wf, Workflow, "a Workflow")

        def changed(events: Sequence[RecordedEvent]) -> None:
            for stream_id in {event.stream_id for event in events}:
                self.update(wf.get(stream_id))

        return wf.subscribe(changed)

    def update(self, proposal: Proposal) -> None:
        """Replace what the board knows of ``proposal``, unless it knows a later version of it."""
        expect("proposal", proposal, Proposal, "a Proposal")
        with self._lock:
            for entry in self._put(proposal):
                heapq.heappush(self._heap, entry)
            if len(self._heap) > 2 * self._live + 1024:
                self._compact()

    def _put(self, p: Proposal) -> list[tuple[int, int, str, int, DueItem]]:
        """The heap entries of ``p``'s open deadlines, which replace those the board had; none
        for a state older than the one the board holds, which is kept."""
        if p.version < self._version.get(p.id, 0):
            return []
        self._version[p.id] = p.version
        generation = self._generation.get(p.id, 0) + 1
        self._generation[p.id] = generation
        self._live -= len(self._open.get(p.id, ()))
        items = tuple(
            DueItem(proposal_id=p.id, number=p.number, title=p.title, deadline=tracked.deadline)
            for tracked in p.deadlines
            if tracked.status is DeadlineStatus.OPEN and not tracked.deadline.kind.window
        )
        self._open[p.id] = items
        self._reminded[p.id] = p.reminded
        self._marked[p.id] = p.key_marked_at
        self._live += len(items)
        return [(_micros(item.due), next(self._sequence), p.id, generation, item) for item in items]

    def _compact(self) -> None:
        self._heap = [entry for entry in self._heap if self._generation.get(entry[2]) == entry[3]]
        heapq.heapify(self._heap)

    def _due(self, limit_us: int) -> list[DueItem]:
        """Open items due at or before ``limit_us``, read while no update runs."""
        with self._lock:
            return list(self._until(limit_us))

    def _until(self, limit_us: int) -> Iterator[DueItem]:
        """Open items due at or before ``limit_us``, visiting only heap nodes that can answer."""
        heap = self._heap
        size = len(heap)
        stack = [0] if heap else []
        generation = self._generation
        while stack:
            index = stack.pop()
            if index >= size:
                continue
            due, _, pid, gen, item = heap[index]
            if due > limit_us:
                continue
            if generation.get(pid) == gen:
                yield item
            stack.append(2 * index + 1)
            stack.append(2 * index + 2)

    def __len__(self) -> int:
        return self._live

    def overdue(self, now: pendulum.DateTime) -> dict[str, list[DueItem]]:
        """Obligations past their due time at ``now``, grouped by party (unit name), earliest
        first (those due at the same time by proposal id, then kind)."""
        now = business_time("now", now)
        grouped: dict[str, list[DueItem]] = defaultdict(list)
        for item in self._due(_micros(now) - 1):
            grouped[item.party].append(item)
        for items in grouped.values():
            items.sort(key=_order)
        return dict(sorted(grouped.items()))

    def due_within(self, now: pendulum.DateTime, working_days: int, calendar: Calendar) -> list[DueItem]:
        """Obligations not yet late at ``now`` that fall due within ``working_days`` working days
        (by the end of the last of them, Asia/Shanghai time), earliest first (those due at the
        same time by proposal id, party and kind)."""
        now = business_time("now", now)
        whole_number("working_days", working_days, least=0)
        expect("calendar", calendar, Calendar, "a Calendar, such as Calendar.china()")
        today = now.in_timezone(SHANGHAI).date()
        return self._between(now, end_of_day(calendar._add("working_days", today, working_days)))

    def due_by(self, now: pendulum.DateTime, until: pendulum.DateTime) -> list[DueItem]:
        """Obligations not yet late at ``now`` that fall due at or before ``until``: a window
        in calendar time, which needs no working-day calendar."""
        now = business_time("now", now)
        until = business_time("until", until)
        if until < now:
            raise InvalidInput(
                "until", f"must not be before now ({until.isoformat()} is before {now.isoformat()})"
            )
        return self._between(now, until)

    def _between(self, now: pendulum.DateTime, limit: pendulum.DateTime) -> list[DueItem]:
        now_us = _micros(now)
        found = [
            item
            for item in self._due(_micros(limit))
            if _micros(item.due) >= now_us and not item.deadline.kind.window
        ]
        return sorted(found, key=_order)

    def reminders(self, now: pendulum.DateTime, policy: Policy, calendar: Calendar) -> list[Reminder]:
        """The reminders due at ``now``.

        A party is reminded (催办) when an obligation falls due within the policy's
        ``remind_before_working_days`` or is late, unless it was reminded on or after the day
        the reminder window opened; once late, again each time it has gone that many working
        days since it was last reminded. A deadline late by ``escalate_after_working_days`` or
        more is escalated (督办) instead, at the same pace: an escalation the host records as a
        reminder (as it must for a closed item, which is not marked key) comes again only after
        that many working days, not each morning. A key proposal is under supervision already:
        its late units are reminded at that pace however late, counted from the day it was
        marked key (:meth:`Workflow.mark_key`) as from a reminder.
        """
        now = business_time("now", now)
        expect("policy", policy, Policy, "a Policy, such as preset('generic')")
        expect("calendar", calendar, Calendar, "a Calendar, such as Calendar.china()")
        today = now.in_timezone(SHANGHAI).date()
        horizon = end_of_day(calendar.add_working_days(today, policy.remind_before_working_days))
        with self._lock:  # each item with its proposal's reminders and key mark, as one state
            due = [
                (item, self._reminded.get(item.proposal_id, ()), self._marked.get(item.proposal_id))
                for item in self._until(_micros(horizon))
            ]
        found = []
        for item, reminders, key in due:
            due_day = item.due.in_timezone(SHANGHAI).date()
            late = calendar.working_days_between(due_day, today) if now > item.due else 0
            reminded = [at for party, at in reminders if party == item.party]
            if late > 0:
                escalable = item.party != PROPOSER_PARTY  # a proposer is reminded, never supervised
                # once late, remind again each time the party has gone a reminder window unanswered
                # since it was last reminded, or, a unit, since the item was put under supervision
                last = max(reminded) if reminded else None
                if escalable and key is not None and (last is None or key > last):
                    last = key
                if (
                    last is not None
                    and calendar.working_days_between(last.in_timezone(SHANGHAI).date(), today)
                    < policy.remind_before_working_days
                ):
                    continue
                if escalable and late >= policy.escalate_after_working_days and key is None:
                    found.append(Reminder(item=item, level=ReminderLevel.ESCALATE, working_days_late=late))
                    continue
            else:
                window = _back(calendar, due_day, policy.remind_before_working_days)
                opened = pendulum.DateTime(window.year, window.month, window.day, tzinfo=SHANGHAI)
                if any(at >= opened for at in reminded):
                    continue
            found.append(Reminder(item=item, level=ReminderLevel.REMIND, working_days_late=late))
        return sorted(found, key=lambda r: _order(r.item))


def _back(calendar: Calendar, day: _dt.date, working_days: int) -> _dt.date:
    """The day ``working_days`` working days before ``day``."""
    current, left = day, working_days
    while left > 0:
        if current == _dt.date.min:
            raise beyond_dates("remind_before_working_days", day, f"{working_days} working days back")
        current -= _dt.timedelta(days=1)
        if calendar.is_working_day(current):
            left -= 1
    return current
