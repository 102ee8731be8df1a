"""Who may do what: one table from command to the roles (relations to a proposal) that may run it.

An actor's relations to a proposal are worked out from the proposal itself: the unit that
received it is the assigning body (交办单位); the units named at assignment are the lead
(主办), the co-handlers (会办) or, in separate handling (分办), the handlers; the proposers are
named on the proposal or on an item merged into it (并案); a key proposal's supervisor (督办) is
named when it is marked.

Some commands add a narrower check beyond the table (a co-handler submits only its own opinion,
a lead closes only after a satisfied feedback); those live beside the command and are listed
in :data:`EXTRA_RULES` so the documentation shows them with the table.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = ["EXTRA_RULES", "PERMISSIONS", "Relation"]


class Relation(enum.StrEnum):
    ASSIGNING_BODY = "assigning body"
    LEAD = "lead unit"
    CO_HANDLER = "co-handler"
    HANDLER = "separate handler"
    PROPOSER = "proposer"
    SUPERVISOR = "supervisor"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Relation.ASSIGNING_BODY: "交办单位",
    Relation.LEAD: "主办单位",
    Relation.CO_HANDLER: "会办单位",
    Relation.HANDLER: "分办单位",
    Relation.PROPOSER: "提案者",
    Relation.SUPERVISOR: "督办",
}

_R = Relation

PERMISSIONS: Mapping[str, frozenset[Relation]] = {
    "receive": frozenset({_R.ASSIGNING_BODY}),
    "file": frozenset({_R.ASSIGNING_BODY}),
    "reject": frozenset({_R.ASSIGNING_BODY}),
    "merge": frozenset({_R.ASSIGNING_BODY}),
    "assign": frozenset({_R.ASSIGNING_BODY}),
    "sign_for": frozenset({_R.LEAD, _R.CO_HANDLER, _R.HANDLER}),
    "request_reassignment": frozenset({_R.LEAD, _R.CO_HANDLER, _R.HANDLER}),
    "decide_reassignment": frozenset({_R.ASSIGNING_BODY}),
    "submit_opinion": frozenset({_R.CO_HANDLER}),
    "return_opinion": frozenset({_R.LEAD}),
    "excuse_co_handler": frozenset({_R.ASSIGNING_BODY}),
    "consolidate": frozenset({_R.LEAD}),
    "countersign": frozenset({_R.CO_HANDLER}),
    "answer": frozenset({_R.LEAD, _R.HANDLER}),
    "record_feedback": frozenset({_R.PROPOSER}),
    "order_rehandling": frozenset({_R.ASSIGNING_BODY}),
    "close": frozenset({_R.ASSIGNING_BODY, _R.LEAD, _R.HANDLER}),
    "withdraw": frozenset({_R.PROPOSER}),
    "extend": frozenset({_R.ASSIGNING_BODY}),
    "remind": frozenset({_R.ASSIGNING_BODY, _R.SUPERVISOR, _R.LEAD}),
    "record_contact": frozenset({_R.LEAD, _R.CO_HANDLER, _R.HANDLER}),
    "mark_key": frozenset({_R.ASSIGNING_BODY}),
    "publish": frozenset({_R.ASSIGNING_BODY, _R.LEAD, _R.HANDLER}),
    "report_implementation": frozenset({_R.LEAD, _R.HANDLER}),
    "review_reply": frozenset({_R.ASSIGNING_BODY, _R.SUPERVISOR}),
    "revise_deadlines": frozenset({_R.ASSIGNING_BODY}),
}

EXTRA_RULES: Mapping[str, str] = {
    "receive": "the actor's unit must be the assigning body named in the command",
    "reject": "not an item that others are merged into (并案)",
    "merge": (
        "only into an item of the same assigning body and kind (提案 or 建议) that has not answered "
        "yet; not an item that others are merged into"
    ),
    "sign_for": "a unit signs for its own part, once, before it has submitted or answered it",
    "request_reassignment": "a unit asks only for its own part, once until it is decided",
    "submit_opinion": "a co-handler submits only its own opinion, addressed to the lead unit",
    "countersign": (
        "a co-handler that submitted its opinion countersigns the lead's reply, once before each "
        "reply is sent"
    ),
    "answer": (
        "a separate handler answers only its own part; where the workflow requires countersigning "
        "(会签), the lead answers once every co-handler that submitted an opinion has countersigned"
    ),
    "order_rehandling": (
        "after a 不满意 on a unit's latest reply: feedback on a reply sent before it does not count"
    ),
    "close": (
        "the lead or a separate handler closes only once the latest feedback on each unit's latest "
        "reply is 满意 or 基本满意; the assigning body may close an answered item at any time"
    ),
    "remind": (
        "the lead reminds only its co-handlers; the proposers (`to=PROPOSER_PARTY`) are reminded of "
        "their feedback while the item is answered; after the reply, a unit only of publishing its "
        "reply marked 主动公开"
    ),
    "record_contact": "a unit records its own contacts, with proposers of the item or of the items merged into it",
    "withdraw": ("a joint item needs every proposer's signature; not an item that others are merged into"),
    "publish": (
        "only a reply whose disclosure is 主动公开 or 依申请公开 is published; the lead or a "
        "separate handler publishes only its own reply"
    ),
    "report_implementation": (
        "a unit reports only on its own reply, once it has sent one; a category it gives is one of "
        "the item's scheme"
    ),
    "review_reply": (
        "a unit's latest reply, named when several units answer; a category given is one of the item's scheme"
    ),
    "revise_deadlines": (
        "under a policy, and only when the workflow's policy and calendar count some open "
        "deadline otherwise (a window that has lapsed is closed)"
    ),
}
