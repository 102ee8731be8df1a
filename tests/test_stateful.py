"""Random command sequences, valid and invalid, by random actors.

After every step: replaying the log equals the live state, a refused command left the log as it
was, versions and global positions run without gaps, hashes chain, only known states occur, and
every open deadline can be met by its party. Nothing but a :class:`cohandle.CohandleError` ever
reaches the caller. A reminder job, run some days on, records every reminder the deadline board
lists, none refused.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pendulum
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import cohandle
import helpers as h
from cohandle import AssignmentMode, Satisfaction, Status
from cohandle.deadlines import Calendar, preset
from cohandle.stores import MemoryStore, SQLiteStore

EXAMPLES = int(os.environ.get("COHANDLE_STATEFUL_EXAMPLES", "500"))
ALGORITHMS = ["sha256", "sm3"] if "sm3" in hashlib.algorithms_available else ["sha256"]

ACTORS = [
    h.A_COMMITTEE,
    h.A_LEAD,
    h.A_CO1,
    h.A_CO2,
    h.A_H1,
    h.A_H2,
    h.A_PROPOSER,
    h.A_COSIGNER,
    h.A_SUPERVISOR,
    h.A_OUTSIDER,
    h.A_STRANGER,
]
UNITS = [h.LEAD, h.CO1, h.CO2, h.H1, h.H2, h.OUTSIDER, h.SPARE, h.SUPERVISOR]
COMMANDS = [c for c in cohandle.PERMISSIONS if c != "receive"]
PROGRESS = (
    "file",
    "assign",
    "submit_opinion",
    "consolidate",
    "answer",
    "record_feedback",
    "order_rehandling",
    "close",
)


def arguments(
    draw: Any,
    command: str,
    actor: cohandle.Actor,
    ids: list[str],
    today: pendulum.Date,
    latest: pendulum.Date,
) -> dict[str, Any]:
    unit = st.sampled_from(UNITS)
    # a letter is dated mostly the day it is recorded, or the day of the proposal's latest
    # event (entered later); a day before that is refused, as is a day after today
    dated = draw(st.sampled_from([today, today, latest, latest.subtract(days=1), today.add(days=1)]))
    own = actor.unit if actor.unit is not None else h.OUTSIDER
    author = draw(st.sampled_from([own, own, own, draw(unit)]))
    reason = draw(st.sampled_from(["职责不符", "请补充", "请补充", ""]))
    if command == "assign":
        chosen: dict[str, Any] = draw(
            st.sampled_from(
                [
                    {"lead": h.LEAD},
                    {"lead": h.LEAD, "co_handlers": [h.CO1, h.CO2]},
                    {"handlers": [h.H1, h.H2]},
                    {"lead": h.LEAD, "co_handlers": [h.LEAD]},
                    {},
                ]
            )
        )
        return chosen
    if command == "merge":
        return {"into": draw(st.sampled_from([*ids, "nowhere"]))}
    if command in ("reject", "request_reassignment", "order_rehandling"):
        return {"reason": reason}
    if command == "decide_reassignment":
        approve = draw(st.booleans())
        replacement = draw(st.sampled_from([None, h.SPARE, h.CO1])) if approve else None
        return {"unit": draw(unit), "approve": approve, "replacement": replacement}
    if command == "submit_opinion":
        return {
            "opinion": h.opinion(
                author,
                draw(st.sampled_from([h.LEAD, h.CO2])),
                draw(st.sampled_from(["A", "B", "E", None])),
                dated,
            )
        }
    if command in ("return_opinion", "excuse_co_handler"):
        return {"unit": draw(unit), "reason": reason}
    if command == "answer":
        return {"reply": h.reply(author, draw(st.sampled_from(["A", "B", "C", "A", "D"])), dated)}
    if command == "record_feedback":
        satisfaction = draw(st.sampled_from(list(Satisfaction)))
        return {"feedback": h.feedback(satisfaction, draw(st.sampled_from([None, h.H1, h.H2, h.LEAD])))}
    if command == "withdraw":
        return {"signed_by": draw(st.sampled_from([h.PROPOSERS, h.PROPOSERS[:1]])), "reason": "撤回"}
    if command == "extend":
        until = draw(st.sampled_from(["2025-06-30", "2025-09-30", "2025-03-01"]))
        return {"until": until, "approval": "批准", "reason": "情况复杂"}
    if command == "remind":
        return {"to": draw(st.one_of(unit, st.just(cohandle.PROPOSER_PARTY)))}
    if command == "record_contact":
        return {
            "method": draw(st.sampled_from(["meeting", cohandle.ContactMethod.PHONE, "visit"])),
            "proposers": draw(st.sampled_from([None, h.PROPOSERS[:1], ["赵六"]])),
        }
    if command == "revise_deadlines":
        return {"reason": reason}
    if command == "report_implementation":
        return {"report": reason, "category": draw(st.sampled_from([None, "A", "B", "E"]))}
    if command == "publish":
        return {
            "form": draw(st.sampled_from(["full", "summary", cohandle.PublicationForm.SUMMARY, "abstract"])),
            "unit": draw(st.sampled_from([None, h.LEAD, h.H1, h.H2])),
        }
    if command == "countersign":
        return {"note": draw(st.sampled_from(["", "同意", None]))}
    if command == "review_reply":
        return {
            "category": draw(st.sampled_from([None, "A", "C", "E"])),
            "unit": draw(st.sampled_from([None, h.LEAD, h.H1, h.H2, h.CO1])),
        }
    if command == "mark_key":
        return {"supervisor": draw(st.sampled_from([None, h.SUPERVISOR]))}
    return {}


ACTOR_OF = {a.unit.name: a for a in ACTORS if a.unit is not None}
K = cohandle.DeadlineKind
# the command that meets each kind of deadline (a window is not met: it is used or lapses)
MEETS = {
    K.CO_HANDLER_OPINION: "submit_opinion",
    K.RESUBMISSION: "submit_opinion",
    K.REPLY: "answer",
    K.REHANDLING: "answer",
    K.PUBLICATION: "publish",
    K.PROPOSER_FEEDBACK: "record_feedback",
}


def next_step(
    p: cohandle.Proposal, satisfaction: Satisfaction, mode: AssignmentMode, today: pendulum.Date
) -> tuple[str, cohandle.Actor, dict[str, Any]] | None:
    """The natural next command for ``p``, by the right actor with valid arguments, its letter
    dated ``today``."""
    s = p.status
    if s in (Status.RECEIVED, Status.FILED):
        choices: dict[AssignmentMode, dict[str, Any]] = {
            AssignmentMode.SOLE: {"lead": h.LEAD},
            AssignmentMode.LEAD_WITH_CO_HANDLERS: {"lead": h.LEAD, "co_handlers": [h.CO1, h.CO2]},
            AssignmentMode.SEPARATE: {"handlers": [h.H1, h.H2]},
        }
        units = choices[mode]
        return "assign", h.A_COMMITTEE, units
    if s in (Status.ASSIGNED, Status.CONSOLIDATED, Status.REHANDLING):
        # a unit put in by a reassignment (省商务厅) has no actor here: the path stops
        if p.mode is AssignmentMode.LEAD_WITH_CO_HANDLERS and s is Status.ASSIGNED:
            waiting = p.outstanding_co_handlers
            if waiting:
                unit = waiting[0]
                if unit.name not in ACTOR_OF or p.lead is None:
                    return None
                return "submit_opinion", ACTOR_OF[unit.name], {"opinion": h.opinion(unit, p.lead, date=today)}
            return ("consolidate", ACTOR_OF[p.lead.name], {}) if p.lead and p.lead.name in ACTOR_OF else None
        if p.mode is AssignmentMode.SEPARATE:
            pending = [
                part.unit for part in p.handlers if part.active and part.status is cohandle.PartStatus.PENDING
            ]
            if not pending or pending[0].name not in ACTOR_OF:
                return None
            return "answer", ACTOR_OF[pending[0].name], {"reply": h.reply(pending[0], date=today)}
        if p.lead is None or p.lead.name not in ACTOR_OF:
            return None
        unsigned = p.outstanding_countersignatures  # the co-handlers countersign (会签) first
        if unsigned:
            return ("countersign", ACTOR_OF[unsigned[0].name], {}) if unsigned[0].name in ACTOR_OF else None
        return "answer", ACTOR_OF[p.lead.name], {"reply": h.reply(p.lead, date=today)}
    if s is Status.ANSWERED:
        repliers: list[cohandle.Unit | None] = (
            [part.unit for part in p.handlers if part.active] if p.handlers else [None]
        )
        missing = [u for u in repliers if p.feedback_on_latest_reply(u) is None]
        if missing:
            return "record_feedback", h.A_PROPOSER, {"feedback": h.feedback(satisfaction, missing[0])}
        if p.dissatisfied:
            return "order_rehandling", h.A_COMMITTEE, {"reason": "不满意"}
        return "close", h.A_COMMITTEE, {}
    return None


class Handling(RuleBasedStateMachine):
    on_sqlite = False  # the log in memory; the subclass below keeps it in SQLite

    @initialize(with_policy=st.booleans(), require_countersign=st.booleans())
    def start(self, with_policy: bool, require_countersign: bool) -> None:
        self.clock = cohandle.FixedClock(h.START)
        self.wf = cohandle.Workflow(
            SQLiteStore(":memory:") if self.on_sqlite else MemoryStore(),
            clock=self.clock,
            policy=preset("generic") if with_policy else None,
            require_countersign=require_countersign,
        )
        # one proposal from the start: with none, and ``receive`` among the rules swarm testing
        # turned off, no rule could run, and the example would be thrown away
        self.ids: list[str] = [h.receive(self.wf)]
        self.global_count = 1

    @precondition(lambda self: bool(self.ids))
    @rule(
        data=st.data(),
        satisfaction=st.sampled_from(list(Satisfaction)),
        mode=st.sampled_from(list(AssignmentMode)),
    )
    def advance(self, data: st.DataObject, satisfaction: Satisfaction, mode: AssignmentMode) -> None:
        """Take a proposal one step along the usual path, so deep states are reached often."""
        pid = data.draw(st.sampled_from(self.ids))
        step = next_step(self.wf.get(pid), satisfaction, mode, h.today(self.wf))
        if step is None:
            return
        command, actor, args = step
        before = len(self.wf.history(pid))
        after = getattr(self.wf, command)(pid, actor=actor, **args)
        event(f"reached {after.status}")
        event(f"advanced by {command}")
        added = len(self.wf.history(pid)) - before
        assert added in (1, 2)  # the event, and the deadlines it started under a policy
        self.global_count += added

    @precondition(lambda self: bool(self.ids))
    @rule(
        data=st.data(),
        satisfaction=st.sampled_from(list(Satisfaction)),
        mode=st.sampled_from(list(AssignmentMode)),
        hours_behind=st.integers(0, 72),
    )
    def from_a_server_behind(
        self, data: st.DataObject, satisfaction: Satisfaction, mode: AssignmentMode, hours_behind: int
    ) -> None:
        """Another server on the same log, its clock behind: a step it times on a day before
        the proposal's latest event is refused and records nothing; on the same day it is taken."""
        pid = data.draw(st.sampled_from(self.ids))
        behind = cohandle.FixedClock(self.clock.now().subtract(hours=hours_behind))
        server = cohandle.Workflow(
            self.wf.store,
            clock=behind,
            policy=self.wf.policy,
            require_countersign=self.wf.require_countersign,
        )
        state = server.get(pid)
        step = next_step(state, satisfaction, mode, h.today(server))
        if step is None:
            return
        command, actor, args = step
        before = self.wf.history(pid)
        refused: cohandle.ClockBehind | None = None
        try:
            getattr(server, command)(pid, actor=actor, **args)
        except cohandle.ClockBehind as exc:
            refused = exc
        if refused is not None:
            event("refused: ClockBehind")
            latest = state.last_occurred_at.in_timezone("Asia/Shanghai").date()
            assert refused.today < refused.latest == latest
            assert self.wf.history(pid) == before
            return
        event("recorded by a server behind")
        self.global_count = len(list(self.wf.store.read_all()))

    @precondition(lambda self: len(self.ids) < 4)
    @precondition(lambda self: self.wf.policy is not None)
    @rule(name=st.sampled_from(["generic", "chongqing-2017", "shanghai"]))
    def change_rules(self, name: str) -> None:
        """The rules change: later deadlines follow the new ones, and revising the open ones
        (revise_deadlines, among the commands) can succeed."""
        self.wf.policy = preset(name)

    @precondition(lambda self: self.wf.policy is not None)
    @rule(days=st.integers(0, 45), marking=st.booleans())
    def reminder_job(self, days: int, marking: bool) -> None:
        """Some days on, the reminder job of the how-to: every reminder the board lists is
        recorded with ``remind(to=item.to)`` by the assigning body, or with ``marking`` an
        escalation of an item that can be marked key is met by ``mark_key``; none is refused,
        and the board asked again at the same moment lists none."""
        if self.clock.now().add(days=days).year < 2026:  # deadlines counted in years with a schedule
            self.clock.advance(days=days)
        policy, calendar = self.wf.policy, self.wf.calendar or Calendar.china()
        assert policy is not None
        now = self.clock.now()
        listed = cohandle.DeadlineBoard.build(self.wf.proposals()).reminders(now, policy, calendar)
        for reminder in listed:
            item = reminder.item
            state = self.wf.get(item.proposal_id)
            escalated = reminder.level is cohandle.ReminderLevel.ESCALATE
            if marking and escalated and "mark_key" in cohandle.allowed_commands(state.status):
                if not state.key:  # once for the item, whichever of its units were escalated
                    self.wf.mark_key(item.proposal_id, actor=h.A_COMMITTEE)
                    self.global_count += 1
                    event(f"reminder job: marked key ({state.status})")
                continue
            try:
                self.wf.remind(item.proposal_id, to=item.to, actor=h.A_COMMITTEE, note=reminder.level.label)
            except cohandle.CohandleError as exc:
                raise AssertionError(
                    f"the board listed {item.deadline.kind.value} of {item.party} on a {state.status} "
                    f"item, and remind refused it: {exc}"
                ) from exc
            self.global_count += 1
            event(f"reminder job: {reminder.level.value} of {item.deadline.kind.value} ({state.status})")
        assert cohandle.DeadlineBoard.build(self.wf.proposals()).reminders(now, policy, calendar) == []

    @rule(algorithm=st.sampled_from(ALGORITHMS))
    def change_hash_algorithm(self, algorithm: str) -> None:
        """The log moves to another digest: proposals received from now on take it, and every
        chain goes on in its own."""
        self.wf.hash_algorithm = algorithm

    @rule()
    def receive(self) -> None:
        self.ids.append(h.receive(self.wf))
        self.global_count += 1

    @precondition(lambda self: bool(self.ids))
    @rule(
        data=st.data(),
        command=st.sampled_from(COMMANDS),
        actor=st.sampled_from(ACTORS),
        hours=st.integers(0, 48),
    )
    def command(self, data: st.DataObject, command: str, actor: cohandle.Actor, hours: int) -> None:
        self.clock.advance(hours=hours)
        pid = data.draw(st.sampled_from(self.ids))
        if data.draw(st.integers(0, 3)):  # mostly steer towards what the state allows
            state = self.wf.get(pid)
            possible = cohandle.allowed_commands(state.status)
            possible += tuple(c for c in PROGRESS if c in possible) * 4
            if possible:
                command = data.draw(st.sampled_from(possible))
            fitting = [a for a in ACTORS if cohandle.relations(state, a) & cohandle.PERMISSIONS[command]]
            if fitting:
                actor = data.draw(st.sampled_from(fitting))
        latest = self.wf.get(pid).last_occurred_at.in_timezone("Asia/Shanghai").date()
        args = arguments(data.draw, command, actor, self.ids, h.today(self.wf), latest)
        before = self.wf.history(pid)
        try:
            after = getattr(self.wf, command)(pid, actor=actor, **args)
        except cohandle.CohandleError as exc:
            event(f"refused: {type(exc).__name__}")
            assert self.wf.history(pid) == before
            assert len(list(self.wf.store.read_all())) == self.global_count
            return
        history = self.wf.history(pid)
        added = len(history) - len(before)
        assert added in (1, 2)  # the event, and the deadlines it started under a policy
        total = len(list(self.wf.store.read_all()))
        if command == "merge":  # and the item merged in, on the other proposal, in one append
            target = self.wf.history(args["into"])[-1]
            assert isinstance(target.payload, cohandle.ItemMergedIn)
            assert (target.payload.item, target.command_id) == (pid, history[-1].command_id)
            added += 1
        assert total == self.global_count + added
        self.global_count = total
        event(f"reached {after.status}")
        event(f"recorded {command}")
        if added == 2 and command == "sign_for":  # a count from receipt moved by the signature
            event("recorded sign_for with its deadlines counted again")
        if command == "remind" and args["to"] == cohandle.PROPOSER_PARTY:
            assert history[-1].payload == cohandle.ReminderIssued(to=None, note=args.get("note", ""))
            assert after.status is cohandle.Status.ANSWERED
            event("recorded a reminder to the proposers")
        if command == "publish" and after.status in (cohandle.Status.ASSIGNED, cohandle.Status.REHANDLING):
            event("recorded publish before the item was answered")
        assert after.version == len(history)
        assert all(cohandle.hash_event(e) == e.hash for e in history[len(before) :])
        letter = args.get("opinion") or args.get("reply")
        if letter is not None:  # recorded when its letter is dated: now on its own day
            at = history[len(before)].occurred_at
            today = h.today(self.wf)
            assert letter.date <= today
            assert at == (
                self.clock.now()
                if letter.date == today
                else pendulum.datetime(
                    letter.date.year, letter.date.month, letter.date.day, tz="Asia/Shanghai"
                )
            )
            event(f"recorded a letter of {'today' if letter.date == today else 'a day before'}")

    @invariant()
    def replay_equals_live_state(self) -> None:
        fresh = cohandle.Workflow(self.wf.store, clock=self.clock)
        for pid in getattr(self, "ids", []):
            history = self.wf.history(pid)
            assert [e.version for e in history] == list(range(1, len(history) + 1))
            days = [e.occurred_at.in_timezone("Asia/Shanghai").date() for e in history]
            assert days == sorted(days), "events recorded out of the order they happened"
            live = self.wf.get(pid)
            assert cohandle.replay(history) == live
            assert fresh.get(pid) == live
            assert live.status in Status
            assert all(part.status in cohandle.PartStatus for part in live.co_handlers)
            assert all(part.status in cohandle.PartStatus for part in live.handlers)
            if live.mode is AssignmentMode.SEPARATE:
                assert live.lead is None
            if live.merged_into is not None:
                assert pid in [item.item for item in self.wf.get(live.merged_into).merged]
            assert all(self.wf.get(item.item).merged_into == pid for item in live.merged)

    @invariant()
    def every_open_deadline_can_be_met(self) -> None:
        """What a proposal owes, its owing party can do now: the command that meets each open
        deadline is possible in the state, and the party holds what it acts on."""
        for pid in getattr(self, "ids", []):
            p = self.wf.get(pid)
            possible = cohandle.allowed_commands(p.status)
            for tracked in p.deadlines:
                kind, party = tracked.deadline.kind, tracked.deadline.party
                if tracked.status is not cohandle.DeadlineStatus.OPEN or kind.window:
                    continue
                command = MEETS[kind]
                assert command in possible, f"{kind.value} of {party} is owed on a {p.status} item"
                if command == "submit_opinion":
                    part = p.co_handler(cohandle.Unit(name=party))
                    assert part is not None and part.status in (
                        cohandle.PartStatus.PENDING,
                        cohandle.PartStatus.RETURNED,
                    ), f"{kind.value} of {party}, whose part is {part}"
                elif command == "answer":
                    if p.handlers:
                        handler = p.handler(cohandle.Unit(name=party))
                        assert handler is not None and handler.status is cohandle.PartStatus.PENDING
                    else:
                        assert p.lead is not None and p.lead.name == party
                elif command == "publish":
                    assert party in p.unpublished, f"{party} owes publication of no reply"
                else:
                    assert party == cohandle.PROPOSER_PARTY and p.feedback_awaited

    @invariant()
    def the_log_verifies(self) -> None:
        if hasattr(self, "wf"):
            report = self.wf.verify()
            assert report.ok, str(report)

    @invariant()
    def global_positions_are_contiguous(self) -> None:
        if not hasattr(self, "wf"):
            return
        positions = [p.position for p in self.wf.store.read_all()]
        assert positions == list(range(1, len(positions) + 1))

    def teardown(self) -> None:
        if hasattr(self, "wf"):
            self.wf.store.close()


class HandlingOnSQLite(Handling):
    """The same machine with the log in SQLite, where the workflow appends the rows it has
    written for the hash and the store compares the stream's head in its own statement."""

    on_sqlite = True


Handling.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestHandling = Handling.TestCase
HandlingOnSQLite.TestCase.settings = settings(Handling.TestCase.settings, max_examples=max(EXAMPLES // 2, 20))
TestHandlingOnSQLite = HandlingOnSQLite.TestCase


def test_the_clock_start_is_a_shanghai_morning() -> None:
    assert pendulum.datetime(2025, 3, 1, 1, 0, tz="UTC") == h.START
