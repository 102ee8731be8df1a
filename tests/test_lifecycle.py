"""The compiled tables agree with the ``transitions`` machines they come from."""

from __future__ import annotations

import gc
from typing import Any

import pytest

import cohandle
from cohandle import CO_HANDLER_PART, HANDLER_PART, PROPOSAL, Lifecycle


class Holder:
    def __init__(self, state: str) -> None:
        self.state = state


@pytest.mark.parametrize("lifecycle", [PROPOSAL, CO_HANDLER_PART, HANDLER_PART], ids=lambda lc: lc.name)
def test_the_table_agrees_with_the_machine_in_every_cell(lifecycle: Lifecycle[Any]) -> None:
    for state in lifecycle.states:
        for trigger in lifecycle.triggers:
            holder = Holder(state)
            fired = lifecycle.fire(holder, trigger)
            expected = lifecycle.target(state, trigger)
            assert fired == (expected is not None), (state, trigger)
            assert holder.state == (expected if fired else state), (state, trigger)


def test_no_machine_keeps_a_reference_to_proposals() -> None:
    wf = cohandle.Workflow()
    import helpers

    helpers.bring_to(wf, cohandle.Status.CLOSED)
    gc.collect()
    assert PROPOSAL.machine.models == []


def test_every_status_is_a_state_of_the_machine() -> None:
    assert set(PROPOSAL.states) == {s.value for s in cohandle.Status}
    assert set(CO_HANDLER_PART.states) == {s.value for s in cohandle.PartStatus}


def test_final_states_have_no_way_out_but_publication() -> None:
    for status in cohandle.Status:
        if status.final:
            moves = {PROPOSAL.target(status.value, t) for t in PROPOSAL.allowed(status.value)}
            assert moves <= {status.value}


def test_mermaid_diagram_comes_from_the_definition() -> None:
    text = PROPOSAL.mermaid()
    assert text.startswith("stateDiagram-v2\n")
    assert "    consolidated --> answered: answer" in text
    assert "    answered --> rehandling: order_rehandling" in text
    assert text.count("-->") == sum(1 for (s, _), d in PROPOSAL.table.items() if s != d)


def test_every_refusal_says_its_command_in_words_and_names_the_method() -> None:
    from cohandle._errors import _COMMAND_WORDS, doing

    commands = {command for status in cohandle.Status for command in cohandle.allowed_commands(status)}
    assert commands | {"receive"} == set(_COMMAND_WORDS)  # none left to its bare name
    assert all("{p}" in words for words in _COMMAND_WORDS.values())
    assert doing("consolidate", "x") == "consolidate proposal 'x'"  # the verb is the name
    assert doing("mark_key", "x") == "mark proposal 'x' as key (mark_key)"
    refused = cohandle.NotAllowedInState(
        proposal_id="x", command="submit_opinion", state="not_filed", actor="王芳", allowed=["withdraw"]
    )
    assert str(refused) == (
        "Cannot submit an opinion on proposal 'x' (submit_opinion): it is not filed, and "
        "submit_opinion is not possible then. Commands possible now: withdraw."
    )
    denied = cohandle.PermissionDenied(
        proposal_id="x",
        command="record_feedback",
        state="answered",
        actor="王芳",
        relations=[],
        allowed_relations=["proposer"],
    )
    assert str(denied).startswith(
        "王芳 may not record feedback on proposal 'x' (record_feedback; it is answered): they hold no role"
    )


def test_statuses_carry_chinese_labels() -> None:
    assert cohandle.Status.CLOSED.label == "已办结"
    assert cohandle.Relation.LEAD.label == "主办单位"
    assert cohandle.Satisfaction.BASICALLY_SATISFIED.label == "基本满意"
    assert str(cohandle.Status.ASSIGNED) == "assigned"
    # every state of a proposal and of a unit's part has one, each its own
    for states in (cohandle.Status, cohandle.PartStatus):
        labels = [state.label for state in states]
        assert all(labels) and len(set(labels)) == len(labels)
    assert cohandle.PartStatus.SUBMITTED.label == "已报送意见"
