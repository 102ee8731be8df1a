"""The one front door: every public name is importable from ``cohandle``."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import cohandle


def test_every_name_in_all_exists() -> None:
    for name in cohandle.__all__:
        assert hasattr(cohandle, name), name


def test_all_is_sorted_and_unique() -> None:
    assert len(set(cohandle.__all__)) == len(cohandle.__all__)


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    assert cohandle.__version__ == version("cohandle")


SOURCE = Path(__file__).resolve().parents[1] / "src"


def _source(name: str) -> str:
    """A module's source as the checkout has it (a compiled build installs machine code)."""
    package = SOURCE.joinpath(*name.split("."))
    path = package / "__init__.py" if package.is_dir() else package.with_suffix(".py")
    return path.read_text(encoding="utf-8")


def test_only_the_lifecycle_module_imports_transitions() -> None:
    importers = []
    for info in pkgutil.walk_packages(cohandle.__path__, "cohandle."):
        text = _source(info.name)
        if "import transitions" in text or "from transitions" in text:
            importers.append(info.name)
    assert importers == ["cohandle._lifecycle"]


def test_model_events_and_state_import_nothing_of_storage_or_workflow() -> None:
    for name in ("_model", "_events", "_lifecycle", "_state", "_commands", "_permissions"):
        text = _source(f"cohandle.{name}")
        assert "cohandle.stores" not in text and "cohandle._workflow" not in text, name
