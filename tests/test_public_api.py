"""The one front door: every public name is importable from ``cohandle``."""

from __future__ import annotations

import importlib
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


def test_only_the_lifecycle_module_imports_transitions() -> None:
    importers = []
    for info in pkgutil.walk_packages(cohandle.__path__, "cohandle."):
        module = importlib.import_module(info.name)
        source = getattr(module, "__file__", None)
        text = Path(source).read_text(encoding="utf-8") if source else ""
        if "import transitions" in text or "from transitions" in text:
            importers.append(info.name)
    assert importers == ["cohandle._lifecycle"]


def test_model_events_and_state_import_nothing_of_storage_or_workflow() -> None:
    for name in ("_model", "_events", "_lifecycle", "_state", "_commands", "_permissions"):
        module = importlib.import_module(f"cohandle.{name}")
        text = Path(module.__file__ or "").read_text(encoding="utf-8")
        assert "cohandle.stores" not in text and "cohandle._workflow" not in text, name
