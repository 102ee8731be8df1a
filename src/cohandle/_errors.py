"""The exception tree. Every error cohandle raises is a :class:`CohandleError`.

Each class carries the facts as fields and builds a full-sentence message from them, so a log
line or an error page can show ``str(error)`` as it is, and code can read the fields.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import math
import os
import secrets
import stat
from collections.abc import Iterable
from typing import Any

__all__ = [
    "ChainBroken",
    "ClockBehind",
    "CohandleError",
    "CommandRefused",
    "ConcurrencyConflict",
    "IdempotencyConflict",
    "IntegrityError",
    "InvalidInput",
    "NotAllowedInState",
    "PermissionDenied",
    "PreconditionFailed",
    "ProposalExists",
    "ProposalNotFound",
    "SchemaError",
]


class CohandleError(Exception):
    """The root of every error cohandle raises.

    An error can be pickled (a worker process's error reaching its pool, a task queue's
    result) and copied: it comes back with its message and its fields as they were.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own way calls the class with the message alone, which the classes here,
        # built from their fields, cannot take.
        return _rebuilt, (type(self), self.args), self.__dict__ or None


def _rebuilt(cls: type[CohandleError], args: tuple[object, ...]) -> CohandleError:
    """An error of ``cls`` with ``args``, its fields put back by pickle after (``__reduce__``)."""
    return cls.__new__(cls, *args)


class InvalidInput(CohandleError, ValueError):
    """A value given to cohandle is not acceptable."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field} {problem}.")


class ProposalNotFound(CohandleError, LookupError):
    def __init__(self, proposal_id: str) -> None:
        self.proposal_id = proposal_id
        hint = ""
        if isinstance(proposal_id, str) and lone_surrogate(proposal_id) is not None:
            hint = (
                " The id holds bytes that are not UTF-8: was it typed in a terminal that uses "
                "another encoding, such as GBK?"
            )
        super().__init__(
            f"No proposal with id {proposal_id!r} is in the log; check the id, or receive the proposal first."
            + hint
        )


class ProposalExists(CohandleError):
    def __init__(self, proposal_id: str) -> None:
        self.proposal_id = proposal_id
        super().__init__(
            f"Proposal {proposal_id!r} has already been received; a proposal is received once. "
            "Use get() to read it, or give a different id."
        )


class CommandRefused(CohandleError):
    """A command was checked and refused; nothing was written."""

    def __init__(
        self,
        message: str,
        *,
        proposal_id: str,
        command: str,
        state: str,
        actor: str,
    ) -> None:
        self.proposal_id = proposal_id
        self.command = command
        self.state = state
        self.actor = actor
        super().__init__(message)


def got(value: object) -> str:
    """A wrong value for a message, with its type: ``1, an int``, ``'x', a str``, ``Unit(…), a
    Unit``. A value written long (a proposal's state) is cut to its start."""
    name = type(value).__name__
    lowered = name.lower()
    vowel = lowered[:1] in "aeiou" and not lowered.startswith(("uni", "use", "usu", "uu"))  # a Unit
    shown = repr(value)
    if len(shown) > _SHOWN_AT_MOST:
        shown = shown[: _SHOWN_AT_MOST - 1] + "…"
    return f"{shown}, {'an' if vowel else 'a'} {name}"


_SHOWN_AT_MOST = 120  # characters of a wrong value a message repeats


def counted(number: int, noun: str) -> str:
    """``1 event``, ``2 events``, ``166,695 events``: a count with its noun, plural when it is
    not one, its thousands marked as the progress lines mark them."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def nameable(field: str, path: str | os.PathLike[str]) -> str:
    """``path`` as text, refused when it names no file: nothing at all, or what no file name can
    hold, a NUL or a lone surrogate the system's encoding has no bytes for (the system's calls
    would raise a bare ``ValueError`` or ``UnicodeEncodeError``). A name read from the command
    line in bytes that are not UTF-8 holds surrogates that stand for those bytes, and is taken."""
    name = os.fspath(path)
    if not name:  # a script's unset variable: never the folder it runs in, nor nothing at all
        raise InvalidInput(field, "must name a file, but it is empty")
    if "\x00" in name:
        raise InvalidInput(field, f"holds a NUL character, which no file name can hold (got {name!r})")
    if not name.isascii():
        try:
            os.fsencode(name)
        except UnicodeEncodeError as exc:
            raise InvalidInput(
                field,
                f"holds U+{ord(name[exc.start]):04X} at position {exc.start}, a lone surrogate, which "
                f"no file name can hold (got {name!r})",
            ) from None
    return name


SQLITE_START = b"SQLite format 3\x00"  # how a SQLite database file begins
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")  # the files SQLite keeps beside a database
# how a database and its write-ahead log begin
_DATABASE_STARTS = (SQLITE_START, b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")


def writable(field: str, path: str | os.PathLike[str]) -> str:
    """Where to write the file ``path`` names, which is written under a temporary name and then
    put in its place: ``path`` as :func:`nameable` takes it, or where it points if it is a
    symbolic link. Refused when what is there would be destroyed rather than written: a device
    or a pipe (``/dev/null`` replaced by a file, for a user who may), or a SQLite database or
    one of its own files, ``-wal``, ``-shm``, ``-journal`` (``cohandle export cohandle.db``, the
    log named where the file belongs). A folder is left to the write, which says so."""
    name = nameable(field, path)
    target = os.path.realpath(name) if os.path.islink(name) else name
    try:
        mode: int | None = os.stat(target).st_mode
    except OSError:  # nothing there yet, or nothing to look into: the write will say
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise InvalidInput(
            field,
            f"names {name}, which is not a file but a device or a pipe: cohandle puts a finished "
            "file in its place, which would replace it. Write to standard output (-) and redirect "
            "it there, where the command offers that",
        )
    start = b""
    if mode is not None and stat.S_ISREG(mode):
        with contextlib.suppress(OSError), open(target, "rb") as existing:
            start = existing.read(16)
    # a database's write-ahead log, index or journal, empty or not there between its writes:
    # what it belongs to is what is said
    database = next((target.removesuffix(end) for end in SQLITE_COMPANIONS if target.endswith(end)), target)
    if database != target and os.path.isfile(database):  # never a pipe opened, which would wait
        with contextlib.suppress(OSError), open(database, "rb") as owner:
            start = owner.read(16)
    if start.startswith(_DATABASE_STARTS):
        what = (
            f"a SQLite database ({name})"
            if database == target
            else f"a file of the SQLite database {database} ({name})"
        )
        raise InvalidInput(
            field,
            f"names {what}, which writing there would destroy: give the name of a new file, or of "
            "one that may be replaced",
        )
    return target


def partial_name(target: str) -> str:
    """The temporary name a file is written under before it is put in ``target``'s place: beside
    it, and this write's own, so that two writes of one file at once (two exports by two jobs)
    never write into one temporary file; the last to finish leaves its whole file."""
    return f"{target}.{os.getpid()}-{secrets.token_hex(4)}.partial"


def put_in_place(partial: str | os.PathLike[str], target: str) -> None:
    """Put the finished file ``partial`` in ``target``'s place so that it stays there: its bytes
    are on the disk before the rename, and the rename is before this returns (the folder is
    synced too, where the system lets a folder be opened). Without the first, a crash soon after
    could leave an empty file under the real name; without the second, the old one."""
    descriptor = os.open(partial, os.O_RDWR)  # Windows syncs only what is open for writing
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(partial, target)
    try:
        folder = os.open(os.path.dirname(os.path.abspath(target)), os.O_RDONLY)
    except OSError:  # a system whose folders cannot be opened (Windows) syncs its renames itself
        return
    try:
        os.fsync(folder)
    except OSError:  # a file system that does not sync folders
        pass
    finally:
        os.close(folder)


def unusable_file(field: str, path: object, exc: OSError, *, writing: bool = False) -> InvalidInput:
    """An :class:`InvalidInput` for a file the system would not let cohandle read or write (no
    such file or folder, a folder of that name, a full disk), naming the argument, the reason
    and the path."""
    hint = tilde_hint(path) if isinstance(exc, FileNotFoundError) else ""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):  # a full disk, or a quota used up
        hint = "; free space on that disk and try again"
    return InvalidInput(
        field, f"cannot be {'written' if writing else 'read'} ({exc.strerror or exc}: {path}){hint}"
    )


def tilde_hint(path: object) -> str:
    """What to say of a path that begins with ~, which no shell expanded (it was quoted, or set
    in a service's unit file or a crontab) and which no program expands on its own: "" for any
    other path."""
    name = os.fspath(path) if isinstance(path, str | os.PathLike) else None
    if not isinstance(name, str) or not name.startswith("~") or os.path.expanduser(name) == name:
        return ""
    return (
        f"; it begins with ~, which only a shell expands, and only where it is not quoted: write "
        f"the whole path ({os.path.expanduser(name)})"
    )


def iterable(field: str, value: object, what: str) -> Iterable[Any]:
    """``value`` if it is a list, a tuple or another iterable other than text or bytes;
    otherwise an :class:`InvalidInput` saying it must be ``what``."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput(field, f"must be {what} (got {got(value)})")
    return value


def proposals_of(field: str, value: object) -> Iterable[Any]:
    """``value`` as the proposals a report reads; the workflow itself, given where its proposals
    belong, is told to give ``wf.proposals()``."""
    if callable(getattr(value, "proposals", None)):
        raise InvalidInput(field, f"must be a list of Proposal, such as wf.proposals() (got {got(value)})")
    return iterable(field, value, "a list of Proposal")


def expect(field: str, value: object, kind: type | tuple[type, ...], what: str) -> None:
    """Refuse ``value`` unless it is a ``kind``, with an :class:`InvalidInput` naming the field
    and saying ``what`` it must be."""
    if not isinstance(value, kind):
        raise InvalidInput(field, f"must be {what} (got {got(value)})")


def whole_number(field: str, value: object, *, least: int | None = None) -> int:
    """``value`` if it is a whole number (not True or False) of at least ``least``; otherwise an
    :class:`InvalidInput` naming the field."""
    if not isinstance(value, int) or isinstance(value, bool) or (least is not None and value < least):
        bound = "" if least is None else f" from {least}"
        raise InvalidInput(field, f"must be a whole number{bound} (got {got(value)})")
    return value


def seconds(field: str, value: object, *, zero_allowed: bool) -> float:
    """``value`` as a finite number of seconds (not True or False), above 0 or, when
    ``zero_allowed``, 0 or more; otherwise an :class:`InvalidInput` naming the field."""
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not zero_allowed)
    ):
        bound = "0 or more" if zero_allowed else "above 0"
        raise InvalidInput(field, f"must be a number of seconds, {bound} (got {value!r})")
    return float(value)


def lone_surrogate(text: str) -> str | None:
    """Why ``text`` has no UTF-8 form, or None when it has one.

    A lone surrogate is not a character at all. Python makes one of each byte that is not
    UTF-8 when it decodes with ``errors="surrogateescape"``, as it does for the command line and
    file names: an id typed in a GBK terminal arrives so.
    """
    if text.isascii():
        return None
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        return (
            f"holds U+{ord(text[exc.start]):04X} at position {exc.start}, a lone surrogate, which is "
            "not a character (text decoded from bytes that were not UTF-8 carries such)"
        )
    return None


MAX_ID_LENGTH = 500
"""The most characters a proposal id or a command id may have: PostgreSQL indexes a key of at
most about 2,700 bytes, and 500 characters take at most 2,000 in UTF-8."""


def unstorable(text: str) -> str | None:
    """Why not every store could keep ``text`` as an id, or None when every store can.

    Refused: a NUL, which PostgreSQL's text holds nowhere; a lone surrogate
    (:func:`lone_surrogate`); more than :data:`MAX_ID_LENGTH` characters.
    """
    if len(text) > MAX_ID_LENGTH:
        return f"is {len(text):,} characters long, more than the {MAX_ID_LENGTH} an id may have"
    if "\x00" in text:
        return f"holds a NUL character (at position {text.index(chr(0))})"
    return lone_surrogate(text)


def storable_id(field: str, value: str) -> str:
    """``value`` if every store can keep it as an id; otherwise an :class:`InvalidInput`."""
    reason = unstorable(value)
    if reason is not None:
        raise InvalidInput(field, f"must be text every store can keep as an id, but it {reason}")
    return value


def _listing(items: Iterable[str]) -> str:
    items = list(items)
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def state_words(state: object) -> str:
    """A state as a sentence says it: ``not_filed`` as "not filed"; an error keeps the value."""
    return str(state).replace("_", " ")


# How a sentence says each command, around the proposal ({p}); the refusals name the method
# too, in brackets, where its name is not already the sentence's verb
_COMMAND_WORDS = {
    "receive": "receive {p}",
    "file": "file {p}",
    "reject": "reject {p}",
    "merge": "merge {p}",
    "assign": "assign {p}",
    "sign_for": "sign for {p}",
    "request_reassignment": "request the reassignment of {p}",
    "decide_reassignment": "decide on the reassignment of {p}",
    "submit_opinion": "submit an opinion on {p}",
    "return_opinion": "return an opinion on {p}",
    "excuse_co_handler": "excuse a co-handler of {p}",
    "consolidate": "consolidate {p}",
    "countersign": "countersign the reply to {p}",
    "answer": "answer {p}",
    "record_feedback": "record feedback on {p}",
    "order_rehandling": "order the re-handling of {p}",
    "close": "close {p}",
    "withdraw": "withdraw {p}",
    "extend": "extend a deadline of {p}",
    "remind": "send a reminder on {p}",
    "record_contact": "record a contact on {p}",
    "mark_key": "mark {p} as key",
    "revise_deadlines": "revise the deadlines of {p}",
    "publish": "publish the reply to {p}",
    "report_implementation": "report on the implementation of {p}",
    "review_reply": "review the reply to {p}",
}


def doing(command: str, proposal_id: str) -> str:
    """``command`` on the proposal as a sentence says it: "submit an opinion on proposal 'x'
    (submit_opinion)", the method named where the words are not its name."""
    template = _COMMAND_WORDS.get(command, f"{command} {{p}}")
    words = template.format(p=f"proposal {proposal_id!r}")
    return words if template == f"{command} {{p}}" else f"{words} ({command})"


def _in_state(done: str, state: str) -> str:
    """``done`` with the proposal's state in its brackets: "… (submit_opinion; it is assigned)"."""
    if done.endswith(")"):
        return f"{done[:-1]}; it is {state_words(state)})"
    return f"{done} (it is {state_words(state)})"


class NotAllowedInState(CommandRefused):
    """The lifecycle does not allow this command in the proposal's present state."""

    def __init__(
        self, *, proposal_id: str, command: str, state: str, actor: str, allowed: Iterable[str]
    ) -> None:
        self.allowed = tuple(sorted(allowed))
        super().__init__(
            f"Cannot {doing(command, proposal_id)}: it is {state_words(state)}, and {command} is not "
            f"possible then. Commands possible now: {_listing(self.allowed)}.",
            proposal_id=proposal_id,
            command=command,
            state=state,
            actor=actor,
        )


class PermissionDenied(CommandRefused):
    """The actor has no role on this proposal that may perform this command."""

    def __init__(
        self,
        *,
        proposal_id: str,
        command: str,
        state: str,
        actor: str,
        relations: Iterable[str],
        allowed_relations: Iterable[str],
        detail: str = "",
    ) -> None:
        self.relations = tuple(sorted(relations))
        self.allowed_relations = tuple(sorted(allowed_relations))
        held = f"act on it as {_listing(self.relations)}" if self.relations else "hold no role on it"
        more = f" {detail}" if detail else ""
        super().__init__(
            f"{actor} may not {_in_state(doing(command, proposal_id), state)}: they {held}, "
            f"and only the {_listing(self.allowed_relations)} may.{more}",
            proposal_id=proposal_id,
            command=command,
            state=state,
            actor=actor,
        )


class PreconditionFailed(CommandRefused):
    """The command is possible in this state, but something it needs is not there yet."""

    def __init__(self, reason: str, *, proposal_id: str, command: str, state: str, actor: str) -> None:
        self.reason = reason
        super().__init__(
            f"Cannot {_in_state(doing(command, proposal_id), state)}: {reason}",
            proposal_id=proposal_id,
            command=command,
            state=state,
            actor=actor,
        )


class ClockBehind(CommandRefused):
    """The workflow's clock puts today before the day of the proposal's latest event, so a
    command timed by it would be recorded out of order: the clock that recorded that event and
    this one disagree (on another server, say). ``today`` and ``latest`` are the two days in
    Beijing time."""

    def __init__(
        self, *, proposal_id: str, command: str, state: str, actor: str, today: _dt.date, latest: _dt.date
    ) -> None:
        self.today = today
        self.latest = latest
        super().__init__(
            f"Cannot {_in_state(doing(command, proposal_id), state)}: the clock says "
            f"today is {today.isoformat()} (Beijing time), before the day of the proposal's latest "
            f"event ({latest.isoformat()}). Events are recorded in the order they happened, and this "
            "clock is behind the one that recorded that event: check both (the other may be ahead), "
            "set the wrong one right, and try again.",
            proposal_id=proposal_id,
            command=command,
            state=state,
            actor=actor,
        )


class ConcurrencyConflict(CohandleError):
    """Someone else wrote to the proposal since the caller read it. When ``actual`` equals
    ``expected``, the proposal has the version the caller read but not the same latest event:
    the events appended do not name its hash as the one before them."""

    def __init__(self, proposal_id: str, expected: int, actual: int) -> None:
        self.proposal_id = proposal_id
        self.expected = expected
        self.actual = actual
        if actual == expected:
            problem = (
                f"Proposal {proposal_id!r} is at version {actual} as expected, but its latest event "
                "is not the one the events appended name as the event before them: the log changed "
                "under the caller (restored from a backup, say), or they were sealed on another "
                "log's state."
            )
        else:
            problem = (
                f"Proposal {proposal_id!r} is at version {actual}, not {expected} as expected: "
                "another command was recorded first."
            )
        super().__init__(f"{problem} Read it again and decide anew.")


class IdempotencyConflict(CohandleError):
    """A command id was reused for a different command."""

    def __init__(self, command_id: str, detail: str) -> None:
        self.command_id = command_id
        super().__init__(
            f"Command id {command_id!r} was already used for {detail}; a retried command must "
            "repeat the same command, and a new command needs a new id."
        )


class IntegrityError(CohandleError):
    """The stored log is not what cohandle wrote."""


class ChainBroken(IntegrityError):
    """An event is altered, missing, reordered or out of its stream's chain."""

    def __init__(self, proposal_id: str, version: int, reason: str) -> None:
        self.proposal_id = proposal_id
        self.version = version
        self.reason = reason
        super().__init__(
            f"The log of proposal {proposal_id!r} is broken at version {version}: {reason}. "
            "Restore the log from a verified export or backup."
        )


class SchemaError(CohandleError):
    """A stored or imported event cannot be read as any known event type."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
