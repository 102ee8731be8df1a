"""Every (actor relation x command x state) cell against an expected allow / deny, written here
independently of the implementation's tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import cohandle
import helpers as h
from cohandle import AssignmentMode, Status

S = Status
M = AssignmentMode
OPEN = {S.ASSIGNED, S.CONSOLIDATED, S.REHANDLING}

EXPECTED_STATES: dict[str, set[Status]] = {
    "file": {S.RECEIVED},
    "reject": {S.RECEIVED},
    "merge": {S.RECEIVED, S.FILED},
    "assign": {S.RECEIVED, S.FILED},
    "sign_for": {S.ASSIGNED},
    "request_reassignment": {S.ASSIGNED},
    "decide_reassignment": {S.ASSIGNED},
    "submit_opinion": {S.ASSIGNED},
    "return_opinion": {S.ASSIGNED},
    "excuse_co_handler": {S.ASSIGNED},
    "consolidate": {S.ASSIGNED},
    "countersign": {S.CONSOLIDATED, S.REHANDLING},
    "answer": {S.ASSIGNED, S.CONSOLIDATED, S.REHANDLING},
    "record_feedback": {S.ANSWERED},
    "order_rehandling": {S.ANSWERED},
    "close": {S.ANSWERED},
    "withdraw": {S.RECEIVED, S.FILED, S.ASSIGNED, S.CONSOLIDATED},
    "extend": OPEN,
    "remind": OPEN | {S.ANSWERED, S.CLOSED},
    "record_contact": OPEN | {S.ANSWERED},
    "mark_key": {S.RECEIVED, S.FILED, S.ANSWERED} | OPEN,
    "publish": {S.ASSIGNED, S.REHANDLING, S.ANSWERED, S.CLOSED},
    "report_implementation": {S.ANSWERED, S.CLOSED},
    "review_reply": {S.ANSWERED, S.CLOSED},
    "revise_deadlines": OPEN | {S.ANSWERED, S.CLOSED},
}

BODY, LEAD, CO, HANDLER, PROPOSER, SUPERVISOR = (
    "assigning body",
    "lead unit",
    "co-handler",
    "separate handler",
    "proposer",
    "supervisor",
)

EXPECTED_WHO: dict[str, set[str]] = {
    "file": {BODY},
    "reject": {BODY},
    "merge": {BODY},
    "assign": {BODY},
    "sign_for": {LEAD, CO, HANDLER},
    "request_reassignment": {LEAD, CO, HANDLER},
    "decide_reassignment": {BODY},
    "submit_opinion": {CO},
    "return_opinion": {LEAD},
    "excuse_co_handler": {BODY},
    "consolidate": {LEAD},
    "countersign": {CO},
    "answer": {LEAD, HANDLER},
    "record_feedback": {PROPOSER},
    "order_rehandling": {BODY},
    "close": {BODY, LEAD, HANDLER},
    "withdraw": {PROPOSER},
    "extend": {BODY},
    "remind": {BODY, SUPERVISOR, LEAD},
    "record_contact": {LEAD, CO, HANDLER},
    "mark_key": {BODY},
    "publish": {BODY, LEAD, HANDLER},
    "report_implementation": {LEAD, HANDLER},
    "review_reply": {BODY, SUPERVISOR},
    "revise_deadlines": {BODY},
}

ACTORS = {
    "committee": h.A_COMMITTEE,
    "lead": h.A_LEAD,
    "co-handler": h.A_CO1,
    "handler": h.A_H1,
    "proposer": h.A_PROPOSER,
    "supervisor": h.A_SUPERVISOR,
    "outsider": h.A_OUTSIDER,
    "stranger": h.A_STRANGER,
}

ASSIGNED_OR_LATER = {S.ASSIGNED, S.CONSOLIDATED, S.ANSWERED, S.REHANDLING, S.CLOSED}


def expected_relations(actor: str, mode: AssignmentMode, status: Status) -> set[str]:
    assigned = status in ASSIGNED_OR_LATER
    return {
        "committee": {BODY},
        "supervisor": {SUPERVISOR},
        "proposer": {PROPOSER},
        "lead": {LEAD} if assigned and mode is not M.SEPARATE else set(),
        "co-handler": {CO} if assigned and mode is M.LEAD_WITH_CO_HANDLERS else set(),
        "handler": {HANDLER} if assigned and mode is M.SEPARATE else set(),
        "outsider": set(),
        "stranger": set(),
    }[actor]


def arguments(
    command: str, wf: cohandle.Workflow, actor: cohandle.Actor, mode: AssignmentMode
) -> dict[str, Any]:
    own = actor.unit or h.OUTSIDER
    separate = mode is M.SEPARATE
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "file": dict,
        "reject": lambda: {"reason": "不属于提案范围"},
        "merge": lambda: {"into": h.receive(wf)},
        "assign": lambda: {"lead": h.LEAD, "co_handlers": [h.CO1]},
        "sign_for": dict,
        "request_reassignment": lambda: {"reason": "职责不符"},
        "decide_reassignment": lambda: {"unit": h.CO1, "approve": False},
        "submit_opinion": lambda: {"opinion": h.opinion(own)},
        "return_opinion": lambda: {"unit": h.CO1, "reason": "请补充"},
        "excuse_co_handler": lambda: {"unit": h.CO1, "reason": "不再涉及"},
        "consolidate": dict,
        "countersign": lambda: {"note": "同意"},
        "answer": lambda: {"reply": h.reply(own)},
        "record_feedback": lambda: {"feedback": h.feedback(unit=h.H1 if separate else None)},
        "order_rehandling": lambda: {"reason": "不满意"},
        "close": dict,
        "withdraw": lambda: {"signed_by": h.PROPOSERS, "reason": "撤回"},
        "extend": lambda: {"until": "2026-12-31", "approval": "批准", "reason": "情况复杂"},
        "remind": lambda: {"to": h.H2 if separate else h.LEAD if mode is M.SOLE else h.CO1},
        "record_contact": lambda: {"method": "meeting"},
        "mark_key": lambda: {"supervisor": h.SPARE},
        "publish": dict,
        "report_implementation": lambda: {"report": "已落实", "category": "A"},
        "review_reply": lambda: {"category": "A", "unit": h.H1 if separate else None},
        "revise_deadlines": lambda: {"reason": "2026年放假安排公布"},
    }
    return builders[command]()


SCENARIOS = [(M.LEAD_WITH_CO_HANDLERS, status) for status in Status] + [
    (mode, status)
    for mode in (M.SOLE, M.SEPARATE)
    for status in (S.ASSIGNED, S.ANSWERED, S.REHANDLING, S.CLOSED)
]


def setup(mode: AssignmentMode, status: Status) -> tuple[cohandle.Workflow, str]:
    wf = h.workflow()
    return wf, h.bring_to(wf, status, mode, supervisor=h.SUPERVISOR)


def run_cell(mode: AssignmentMode, status: Status, command: str, actor_name: str) -> str:
    wf, pid = setup(mode, status)
    actor = ACTORS[actor_name]
    before = wf.history(pid)
    try:
        getattr(wf, command)(pid, actor=actor, **arguments(command, wf, actor, mode))
    except cohandle.NotAllowedInState:
        outcome = "state"
    except cohandle.PermissionDenied:
        outcome = "role"
    except cohandle.PreconditionFailed:
        outcome = "precondition"
    else:
        return "allowed"
    assert wf.history(pid) == before, "a refused command changed the log"
    return outcome


@pytest.mark.parametrize(("mode", "status"), SCENARIOS, ids=lambda v: str(v))
def test_permission_matrix(mode: AssignmentMode, status: Status) -> None:
    wrong: list[str] = []
    unexpected_allows = 0
    for command in EXPECTED_WHO:
        for actor_name in ACTORS:
            outcome = run_cell(mode, status, command, actor_name)
            if status not in EXPECTED_STATES[command]:
                expected = {"state"}
            elif not expected_relations(actor_name, mode, status) & EXPECTED_WHO[command]:
                expected = {"role"}
            elif command == "remind" and actor_name == "lead" and mode is M.SOLE:
                expected = {"role"}  # the lead reminds only its co-handlers, and has none here
            else:
                expected = {"allowed", "precondition"}
            if outcome not in expected:
                wrong.append(f"{command} by {actor_name} in {status}: {outcome}, expected {expected}")
                unexpected_allows += outcome == "allowed"
    assert unexpected_allows == 0
    assert wrong == []


def test_the_matrix_covers_every_command_and_the_tables_agree() -> None:
    assert set(EXPECTED_WHO) == set(cohandle.PERMISSIONS) - {"receive"}
    for command, who in EXPECTED_WHO.items():
        assert {r.value for r in cohandle.PERMISSIONS[command]} == who
        assert set(cohandle.PROPOSAL.states) >= {s.value for s in EXPECTED_STATES[command]}
    for status in Status:
        expected = {c for c, states in EXPECTED_STATES.items() if status in states}
        assert set(cohandle.allowed_commands(status)) == expected


def test_allowed_cells_do_succeed_on_the_usual_path() -> None:
    """The matrix is not vacuous: typical allowed cells really run."""
    assert run_cell(M.LEAD_WITH_CO_HANDLERS, S.ASSIGNED, "submit_opinion", "co-handler") == "allowed"
    assert run_cell(M.LEAD_WITH_CO_HANDLERS, S.CONSOLIDATED, "answer", "lead") == "allowed"
    assert run_cell(M.SEPARATE, S.ASSIGNED, "answer", "handler") == "allowed"
    assert run_cell(M.SEPARATE, S.ASSIGNED, "sign_for", "handler") == "allowed"
    assert run_cell(M.LEAD_WITH_CO_HANDLERS, S.ASSIGNED, "sign_for", "lead") == "allowed"
    assert run_cell(M.SEPARATE, S.CLOSED, "report_implementation", "handler") == "allowed"
    assert run_cell(M.SEPARATE, S.ANSWERED, "review_reply", "supervisor") == "allowed"
    assert run_cell(M.LEAD_WITH_CO_HANDLERS, S.REHANDLING, "countersign", "co-handler") == "allowed"
    assert run_cell(M.SOLE, S.CLOSED, "review_reply", "committee") == "allowed"
    assert run_cell(M.SOLE, S.ANSWERED, "record_feedback", "proposer") == "allowed"
    assert run_cell(M.LEAD_WITH_CO_HANDLERS, S.ASSIGNED, "remind", "supervisor") == "allowed"
