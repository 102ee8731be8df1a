"""The reference page says what the code does: the permission table, the states, events, errors."""

from __future__ import annotations

import re
from pathlib import Path

import cohandle

PAGE = (Path(__file__).parent.parent / "docs" / "reference.md").read_text(encoding="utf-8")


def table_rows(first_cell: str) -> dict[str, list[str]]:
    rows = {}
    for line in PAGE.splitlines():
        match = re.match(r"\| `(\w+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_the_permission_table_is_the_code() -> None:
    rows = table_rows("command")
    for command, who in cohandle.PERMISSIONS.items():
        assert rows[command][0] == ", ".join(sorted(r.value for r in who)), command
        assert rows[command][1] == cohandle.EXTRA_RULES.get(command, ""), command


def test_the_states_list_what_the_lifecycle_allows() -> None:
    rows = table_rows("state")
    for status in cohandle.Status:
        listed = re.findall(r"`(\w+)`", rows[status.value][1])
        assert tuple(listed) == cohandle.allowed_commands(status), status


def test_every_event_and_error_is_listed() -> None:
    for name in cohandle.EVENT_TYPES:
        assert f"| `{name}` |" in PAGE
    for name in cohandle.__all__:
        value = getattr(cohandle, name)
        if isinstance(value, type) and issubclass(value, cohandle.CohandleError):
            assert re.search(rf"^\s*{name}$", PAGE, re.MULTILINE), name


def test_the_diagram_is_the_definition() -> None:
    assert cohandle.PROPOSAL.mermaid().rstrip() in PAGE
