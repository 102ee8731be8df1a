"""Who may do what: the questions the lifecycle and the permission table answer for a caller.

The answers come from :mod:`cohandle._commands`; these functions check their arguments first,
so a wrong one is an :class:`~cohandle.InvalidInput` in every build.
"""

from __future__ import annotations

from cohandle._commands import Relations, allowed_in, held_by
from cohandle._errors import expect
from cohandle._lifecycle import Status
from cohandle._model import Actor
from cohandle._state import Proposal

__all__ = ["allowed_commands", "relations"]


def allowed_commands(status: Status) -> tuple[str, ...]:
    """The commands the lifecycle allows in ``status`` (whoever the actor)."""
    expect("status", status, Status, "a Status")
    return allowed_in(status)


def relations(p: Proposal, actor: Actor) -> Relations:
    """The roles ``actor`` holds on proposal ``p``."""
    expect("p", p, Proposal, "a Proposal")
    expect("actor", actor, Actor, "an Actor")
    return held_by(p, actor)
