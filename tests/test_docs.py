"""Every Python sample in the README and the docs runs (the samples of one page share a namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def samples(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_sample_runs(page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, code in enumerate(samples(page), start=1):
        try:
            exec(compile(code, f"{page.name} sample {number}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{page.name}, sample {number} failed: {exc!r}") from exc
        printed = " ".join(capsys.readouterr().out.split())
        expected = " ".join(" ".join(expected_output(code)).split())
        assert expected in printed, f"{page.name}, sample {number}: expected {expected!r} in {printed!r}"


def expected_output(code: str) -> list[str]:
    """The comment lines that follow a line with ``print(``: what the sample says it prints."""
    expected, after_print = [], False
    for line in code.splitlines():
        if line.startswith("# ") and after_print:
            expected.append(line[2:])
            continue
        after_print = "print(" in line
    return expected


def test_the_readme_gives_the_two_commands_near_the_top() -> None:
    top = (ROOT / "README.md").read_text(encoding="utf-8").split("## ")[0]
    commands = [line.strip() for line in top.splitlines() if line.startswith("    ")]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/cohandle demo",
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest",
    ]
