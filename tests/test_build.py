"""The build under test is the one meant: plain Python, or compiled with the modules
pyproject.toml names (``COHANDLE_EXPECT_COMPILED=1``, set by ``.ci/run`` for its second pass)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import cohandle
from cohandle._build import compiled_modules, describe

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _hook() -> dict[str, Any]:
    """pyproject.toml's settings of the compiled build (hatch-mypyc's build hook)."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    hook: dict[str, Any] = config["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["mypyc"]
    return hook


def _configured() -> tuple[str, ...]:
    """The modules the compiled build compiles, as pyproject.toml lists their files."""
    names = []
    for path in _hook()["include"]:
        parts = Path(path.strip("/")).with_suffix("").parts
        assert parts[:2] == ("src", "cohandle"), path
        names.append(".".join(parts[1:]))
    return tuple(sorted(names))


def test_the_compiled_build_is_off_unless_asked_for() -> None:
    assert _hook()["enable-by-default"] is False


def test_the_build_under_test_is_the_one_expected() -> None:
    expected = _configured() if os.environ.get("COHANDLE_EXPECT_COMPILED") == "1" else ()
    assert compiled_modules() == expected, (
        "the plain build runs compiled modules: a compiled build left them beside the sources "
        "(find src -name '*.so' -delete)"
        if not expected
        else "COHANDLE_EXPECT_COMPILED=1, but the modules pyproject.toml names are not all compiled"
    )


def test_the_version_says_which_build_runs() -> None:
    compiled = compiled_modules()
    build = f"compiled: {', '.join(compiled)}" if compiled else "plain Python"
    assert describe() == build
    result = subprocess.run(
        [sys.executable, "-m", "cohandle", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout == f"cohandle {cohandle.__version__} ({build})\n"
    assert result.stderr == ""


def test_the_install_page_names_the_compiled_modules_and_the_build_ci_makes() -> None:
    root = PYPROJECT.parent
    page = (root / "docs" / "install.md").read_text(encoding="utf-8")
    table = {line.split("`")[1] for line in page.splitlines() if line.startswith("| `cohandle.")}
    assert table == set(_configured())
    assert "HATCH_BUILD_HOOK_ENABLE_MYPYC=1 pip install ." in page
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert "HATCH_BUILD_HOOK_ENABLE_MYPYC=1" in ci and "COHANDLE_EXPECT_COMPILED=1" in ci
