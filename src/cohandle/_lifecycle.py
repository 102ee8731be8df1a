"""The lifecycles, declared once with ``transitions``. This is the only module that imports it.

Each definition is one ``transitions.Machine`` built at import with ``model=None`` and
``auto_transitions=False``: no machine per proposal, no ``add_model``. The machine is the single
source of the rules; at import cohandle compiles it into a table ``(state, trigger) -> state``,
which the command checks and the event fold read with one dictionary lookup. A test drives the
real machine for every cell and checks that the table agrees, and diagrams are drawn from the
same definition.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import attrs
from transitions import Machine, MachineError

from cohandle._errors import InvalidInput, got

__all__ = ["CO_HANDLER_PART", "HANDLER_PART", "HANDLING", "PROPOSAL", "Lifecycle", "PartStatus", "Status"]


class Status(enum.StrEnum):
    """The states of a proposal."""

    RECEIVED = "received"
    FILED = "filed"
    NOT_FILED = "not_filed"
    MERGED = "merged"
    ASSIGNED = "assigned"
    CONSOLIDATED = "consolidated"
    ANSWERED = "answered"
    REHANDLING = "rehandling"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def final(self) -> bool:
        return self in (Status.NOT_FILED, Status.MERGED, Status.CLOSED, Status.WITHDRAWN)


_STATUS_LABELS = {
    Status.RECEIVED: "已收到",
    Status.FILED: "已立案",
    Status.NOT_FILED: "不予立案",
    Status.MERGED: "已并案",
    Status.ASSIGNED: "办理中",
    Status.CONSOLIDATED: "已综合",
    Status.ANSWERED: "已答复",
    Status.REHANDLING: "重新办理",
    Status.CLOSED: "已办结",
    Status.WITHDRAWN: "已撤回",
}


class PartStatus(enum.StrEnum):
    """The states of one unit's part: a co-handler's opinion, or a separate handler's reply."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    EXCUSED = "excused"
    ANSWERED = "answered"
    RELEASED = "released"

    @property
    def label(self) -> str:
        return _PART_LABELS[self]


_PART_LABELS = {
    PartStatus.PENDING: "办理中",
    PartStatus.SUBMITTED: "已报送意见",
    PartStatus.RETURNED: "意见已退回",
    PartStatus.EXCUSED: "免于会办",
    PartStatus.ANSWERED: "已答复",
    PartStatus.RELEASED: "不再承办",
}


_S = Status
_P = PartStatus
_OPEN = [_S.ASSIGNED, _S.CONSOLIDATED, _S.REHANDLING]
HANDLING = frozenset(_OPEN)  # the states an item is handled in, before and between its replies

# One row a trigger: (trigger, sources, destination). A destination of None keeps the state
# (an internal transition: the command is possible there and changes other facts only).
_PROPOSAL_TRANSITIONS: list[tuple[str, list[Status], Status | None]] = [
    ("file", [_S.RECEIVED], _S.FILED),
    ("reject", [_S.RECEIVED], _S.NOT_FILED),
    ("merge", [_S.RECEIVED, _S.FILED], _S.MERGED),
    ("assign", [_S.RECEIVED, _S.FILED], _S.ASSIGNED),
    ("sign_for", [_S.ASSIGNED], None),
    ("request_reassignment", [_S.ASSIGNED], None),
    ("decide_reassignment", [_S.ASSIGNED], None),
    ("submit_opinion", [_S.ASSIGNED], None),
    ("return_opinion", [_S.ASSIGNED], None),
    ("excuse_co_handler", [_S.ASSIGNED], None),
    ("consolidate", [_S.ASSIGNED], _S.CONSOLIDATED),
    ("countersign", [_S.CONSOLIDATED, _S.REHANDLING], None),
    ("answer_part", [_S.ASSIGNED, _S.REHANDLING], None),
    ("answer", [_S.ASSIGNED, _S.CONSOLIDATED, _S.REHANDLING], _S.ANSWERED),
    ("record_feedback", [_S.ANSWERED], None),
    ("order_rehandling", [_S.ANSWERED], _S.REHANDLING),
    ("close", [_S.ANSWERED], _S.CLOSED),
    ("withdraw", [_S.RECEIVED, _S.FILED, _S.ASSIGNED, _S.CONSOLIDATED], _S.WITHDRAWN),
    ("extend", _OPEN, None),
    # after the reply: a unit of the publication it owes, the proposers of their feedback
    ("remind", [*_OPEN, _S.ANSWERED, _S.CLOSED], None),
    ("record_contact", [*_OPEN, _S.ANSWERED], None),
    ("mark_key", [_S.RECEIVED, _S.FILED, *_OPEN, _S.ANSWERED], None),
    # a reply is published once sent: a handler's under 分办 before the others answer, and one
    # being re-handled while the next is prepared, for its publication runs from when it was sent
    ("publish", [_S.ASSIGNED, _S.REHANDLING, _S.ANSWERED, _S.CLOSED], None),
    ("report_implementation", [_S.ANSWERED, _S.CLOSED], None),
    ("review_reply", [_S.ANSWERED, _S.CLOSED], None),
    # a closed item still owes the publication of its reply, whose deadline a notice may move
    ("revise_deadlines", [*_OPEN, _S.ANSWERED, _S.CLOSED], None),
    # Not commands: an item merged into this one, recorded by the merge of that item; and
    # deadlines recorded by the command whose event started their clocks.
    ("merge_in", [_S.RECEIVED, _S.FILED, _S.ASSIGNED, _S.CONSOLIDATED], None),
    ("set_deadlines", [*_OPEN, _S.ANSWERED], None),
]

_CO_HANDLER_TRANSITIONS: list[tuple[str, list[PartStatus], PartStatus | None]] = [
    ("submit", [_P.PENDING, _P.RETURNED], _P.SUBMITTED),
    ("return", [_P.SUBMITTED], _P.RETURNED),
    ("excuse", [_P.PENDING, _P.RETURNED], _P.EXCUSED),
    ("release", [_P.PENDING, _P.RETURNED], _P.RELEASED),
]

_HANDLER_TRANSITIONS: list[tuple[str, list[PartStatus], PartStatus | None]] = [
    ("answer", [_P.PENDING], _P.ANSWERED),
    ("reopen", [_P.ANSWERED], _P.PENDING),
    ("release", [_P.PENDING], _P.RELEASED),
]


S = TypeVar("S", bound=enum.StrEnum)


@attrs.frozen
class Lifecycle(Generic[S]):
    """A compiled state machine: the ``transitions`` definition and its lookup table."""

    name: str
    machine: Any
    table: Mapping[tuple[str, str], S]
    states: tuple[str, ...]
    triggers: tuple[str, ...]

    def target(self, state: str, trigger: str) -> S | None:
        """The state after ``trigger`` in ``state``, or None when the trigger is not possible."""
        self._known("state", state, self.states)
        self._known("trigger", trigger, self.triggers)
        return self.table.get((state, trigger))

    def allowed(self, state: str) -> tuple[str, ...]:
        """The triggers possible in ``state``, in definition order."""
        self._known("state", state, self.states)
        return tuple(t for t in self.triggers if (state, t) in self.table)

    def fire(self, holder: Any, trigger: str) -> bool:
        """Drive the ``transitions`` machine itself on ``holder`` (an object with ``state``).

        The command path reads :attr:`table`; this is for checks, tools and diagrams. Returns
        False when the trigger is not possible in the holder's state.
        """
        self._known("holder's state", getattr(holder, "state", None), self.states)
        self._known("trigger", trigger, self.triggers)
        try:
            return bool(self.machine.events[trigger].trigger(holder))
        except MachineError:
            return False

    def _known(self, field: str, value: object, names: tuple[str, ...]) -> None:
        if not isinstance(value, str) or value not in names:
            raise InvalidInput(
                field, f"must be one of the {self.name} lifecycle's: {', '.join(names)} (got {got(value)})"
            )

    def mermaid(self) -> str:
        """The lifecycle as a Mermaid ``stateDiagram-v2``, from the same definition."""
        lines = ["stateDiagram-v2"]
        for (source, trigger), dest in self.table.items():
            if dest != source:
                lines.append(f"    {source} --> {dest}: {trigger}")
        return "\n".join(lines) + "\n"


def _compile(name: str, states: type[S], rows: list[tuple[str, list[S], S | None]]) -> Lifecycle[S]:
    transitions = [
        {
            "trigger": trigger,
            "source": [s.value for s in sources],
            "dest": None if dest is None else dest.value,
        }
        for trigger, sources, dest in rows
    ]
    machine = Machine(
        model=None,
        states=[s.value for s in states],
        transitions=transitions,
        initial=None,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )
    # Keys and values are the enum's members (which are also their strings), so a caller can
    # look up with a member or with its text, and gets a member back.
    table: dict[tuple[str, str], S] = {}
    for trigger, event in machine.events.items():
        for source, candidates in event.transitions.items():
            dest = candidates[0].dest
            member = states(source)
            table[(member, trigger)] = member if dest is None else states(dest)
    return Lifecycle(
        name=name,
        machine=machine,
        table=table,
        states=tuple(s.value for s in states),
        triggers=tuple(machine.events),
    )


PROPOSAL = _compile("proposal", Status, _PROPOSAL_TRANSITIONS)
CO_HANDLER_PART = _compile("co-handler part", PartStatus, _CO_HANDLER_TRANSITIONS)
HANDLER_PART = _compile("separate handler part", PartStatus, _HANDLER_TRANSITIONS)
