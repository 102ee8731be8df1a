"""Writes docs/reference.md from the code, so the page cannot drift from it.

``python tests/reference_page.py`` rewrites the page; ``tests/test_reference_doc.py`` checks
that the committed page is what this writes.
"""

from __future__ import annotations

from pathlib import Path

import attrs

import cohandle
from cohandle.deadlines import PRESETS, preset

PAGE = Path(__file__).parent.parent / "docs" / "reference.md"


def render() -> str:
    out: list[str] = []
    w = out.append
    w("# Reference\n")
    w(
        "Everything public is imported from `cohandle`; deadline rules and the calendar from "
        "`cohandle.deadlines`; stores from `cohandle.stores`; the store contract suite from `cohandle.testing`. "
        "This page is generated from the code.\n"
    )
    w("## Commands and who may run them\n")
    w(
        "Each command is a method of `Workflow` taking the proposal id, its own arguments, the `actor`, and the "
        "options `occurred_at`, `command_id` and `expected_version`. It returns the proposal's new state "
        "(`Proposal`). The table is `cohandle.PERMISSIONS`; the narrower rules are `cohandle.EXTRA_RULES`.\n"
    )
    w("| command | who may | narrower rule |")
    w("|---|---|---|")
    for command, who in cohandle.PERMISSIONS.items():
        w(
            f"| `{command}` | {', '.join(sorted(r.value for r in who))} | {cohandle.EXTRA_RULES.get(command, '')} |"
        )
    w("")
    w("## States and the commands possible in each\n")
    w("| state | 中文 | commands possible |")
    w("|---|---|---|")
    for status in cohandle.Status:
        possible = ", ".join(f"`{c}`" for c in cohandle.allowed_commands(status)) or "none (final)"
        w(f"| `{status.value}` | {status.label} | {possible} |")
    w("")
    w("The diagram, generated from the same definition the code runs (`cohandle.PROPOSAL.mermaid()`):\n")
    w("```mermaid")
    w(cohandle.PROPOSAL.mermaid().rstrip())
    w("```\n")
    w(
        "A co-handler's part moves pending → submitted (→ returned → submitted …), or is excused or released; "
        "a separate handler's part moves pending → answered (→ pending again when re-handling is ordered for it).\n"
    )
    w("## Events\n")
    w(
        "Each event is a frozen class in the past tense; its envelope is `RecordedEvent`, an immutable named tuple (stream id, version, "
        "payload, `occurred_at`, `recorded_at`, actor, command id, `prev_hash`, `hash`, `algorithm`).\n"
    )
    w("| event | 环节 (`label`) | fields |")
    w("|---|---|---|")
    for name, cls in cohandle.EVENT_TYPES.items():
        w(f"| `{name}` | {cls.LABEL} | {', '.join(f.name for f in attrs.fields(cls))} |")  # type: ignore[arg-type]
    w("")
    w("## Deadline presets\n")
    w("`cohandle.deadlines.preset(name)`; each rule cites its source.\n")
    w("| preset | rules | extension |")
    w("|---|---|---|")
    for name in PRESETS:
        policy = preset(name)
        rules = "<br>".join(rule.describe() for rule in policy.rules)
        cap = policy.extension
        extension = "; ".join(
            part
            for part in (f"total {cap.total}" if cap.total else "", f"each {cap.each}" if cap.each else "")
            if part
        )
        w(f"| `{name}` | {rules} | {extension or '—'} |")
    w("")
    w("## Errors\n")
    w(
        "Every error is a `CohandleError`. Refusals of a command are `CommandRefused` and carry `proposal_id`, "
        "`command`, `state` and `actor`. An error pickled (a worker process's error reaching its pool, a task "
        "queue's result) or copied comes back with its message and its fields.\n"
    )
    w("```text")

    def tree(cls: type, depth: int = 0) -> None:
        w("    " * depth + cls.__name__)
        subclasses: list[type] = cls.__subclasses__()
        for sub in sorted(subclasses, key=lambda c: c.__name__):
            if sub.__module__.startswith("cohandle"):
                tree(sub, depth + 1)

    tree(cohandle.CohandleError)
    w("```")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
