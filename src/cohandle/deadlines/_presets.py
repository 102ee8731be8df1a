"""Policies shipped with cohandle, read from the TOML files in ``presets/``.

Each preset holds only numbers found in the text of its regulation, and each rule names its
article. ``generic`` is a modelling choice, documented as such in its file.
"""

from __future__ import annotations

import functools
from importlib import resources

from cohandle._errors import InvalidInput
from cohandle.deadlines._rules import Policy, policy_from_toml

__all__ = ["PRESETS", "preset"]

PRESETS = (
    "generic",
    "national-npc",
    "national-government",
    "shanghai",
    "shandong-2017",
    "zhejiang-2016",
    "henan-2017",
    "chongqing-2017",
    "beijing-2014",
    "fujian",
    "sichuan-2024",
    "guizhou-2025",
)


def preset(name: str) -> Policy:
    """The shipped policy called ``name`` (one of :data:`PRESETS`)."""
    if not isinstance(name, str) or name not in PRESETS:
        raise InvalidInput("preset", f"must be one of {', '.join(PRESETS)} (got {name!r})")
    return _preset(name)


@functools.cache
def _preset(name: str) -> Policy:
    text = (
        resources.files("cohandle.deadlines").joinpath("presets", f"{name}.toml").read_text(encoding="utf-8")
    )
    return policy_from_toml(text)
