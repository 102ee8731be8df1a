"""Which build of cohandle is running: the plain one, or the compiled one (``docs/install.md``)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import pkgutil

__all__ = ["compiled_modules", "describe"]


def compiled_modules() -> tuple[str, ...]:
    """The names of cohandle's modules that run as machine code; empty in the plain build."""
    import cohandle

    machine_code = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    found = []
    for info in pkgutil.walk_packages(cohandle.__path__, "cohandle."):
        spec = importlib.util.find_spec(info.name)
        if spec is not None and spec.origin is not None and spec.origin.endswith(machine_code):
            found.append(info.name)
    return tuple(sorted(found))


def describe() -> str:
    """The build in words, as ``cohandle --version`` and the benchmarks print it."""
    compiled = compiled_modules()
    return f"compiled: {', '.join(compiled)}" if compiled else "plain Python"
