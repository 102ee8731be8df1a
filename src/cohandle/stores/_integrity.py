"""Checking a log: every stream's hash chain, recomputed from the text the store keeps.

A store hands :func:`verify_records` its events as :class:`StoredRecord` rows, in global order,
exactly as stored (the payload and the actor as canonical JSON text). Nothing is decoded into
objects: an altered byte changes the recomputed digest, and the first event whose digest, chain
link or version does not fit is named.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

import attrs

from cohandle._errors import InvalidInput, counted, got, lone_surrogate, whole_number
from cohandle._events import (
    HASH_ALGORITHMS,
    StoredRecord,
    body_bytes,
    record_misfit,
    record_of,
    unavailable_hash,
)

__all__ = ["Problem", "StoredRecord", "VerifyReport", "body_bytes", "record_of", "verify", "verify_records"]


@attrs.frozen(kw_only=True)
class Problem:
    """The first event that does not fit its stream's chain."""

    stream_id: str
    version: int
    position: int | None
    reason: str

    def __str__(self) -> str:
        where = f" (global position {self.position})" if self.position is not None else ""
        return f"proposal {self.stream_id!r}, version {self.version}{where}: {self.reason}"


@attrs.frozen(kw_only=True)
class VerifyReport:
    """What :func:`verify_records` found."""

    events: int
    streams: int
    problem: Problem | None
    anchored: int | None = None
    """How many proposals an anchor named, when one was given."""
    read_back: bool = False
    """Whether every proposal was then read back as the workflow reads it (``replay=True``):
    a problem found then is of a proposal whose chain holds but which cannot be read."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        size = f"{counted(self.events, 'event')} in {counted(self.streams, 'proposal')}"
        if self.problem is None:
            done = ["every hash chain verified"]
            if self.anchored is not None:
                every = "found" if self.anchored == 1 else "all found"
                done.append(f"the anchor's {counted(self.anchored, 'proposal')} {every}")
            if self.read_back:
                done.append("every proposal read back")
            said = done[0] if len(done) == 1 else ", ".join(done[:-1]) + ", and " + done[-1]
            return f"The log is intact: {size}, {said}."
        if self.read_back:
            return f"Every hash chain of the log holds ({size}), but it cannot be read at {self.problem}."
        read = f"{counted(self.events, 'event')} {'was' if self.events == 1 else 'were'}"
        return f"The log is damaged at {self.problem}. {read} read before it."


_DIGESTS: dict[str, Callable[[bytes], str]] = {
    "sha256": lambda data: "sha256:" + hashlib.sha256(data).hexdigest(),
    "sm3": lambda data: "sm3:" + hashlib.new("sm3", data).hexdigest(),
}


def _digest_text(record: StoredRecord) -> str | None:
    """The hash of ``record`` as text, computed by the algorithm its hash names; None for an
    algorithm no store writes. One this Python's OpenSSL lacks is a :class:`SchemaError`: the
    log cannot be checked here, which does not make it damaged."""
    algorithm = record.hash.partition(":")[0]
    function = _DIGESTS.get(algorithm)
    if function is None:
        return None
    body = body_bytes(record)
    try:
        return function(body)
    except ValueError:  # an algorithm this Python's OpenSSL lacks
        raise unavailable_hash(algorithm, record.stream_id, "checked") from None


def verify_records(
    records: Iterable[StoredRecord],
    *,
    heads: Mapping[str, tuple[int, str]] | None = None,
    heads_after: Callable[[], Mapping[str, tuple[int, str]]] | None = None,
    progress: Callable[[int], Any] | None = None,
    progress_every: int = 10_000,
    anchor: Mapping[str, tuple[int, str]] | None = None,
) -> VerifyReport:
    """Walk the log in global order and check every stream's chain.

    ``heads`` (stream id to the version and hash the store recorded as its latest, read before
    ``records``) lets a truncated stream be found: its chain ends before the head it should
    reach, or holds another event at the head's version. Events appended while the walk runs
    are checked like the others; ``heads_after`` reads the heads again once the walk is done,
    and a walked event must not lie beyond its stream's head then (it was added by hand). With
    no ``heads_after``, ``heads`` stands for both: the log is taken to be still. ``progress`` is
    called with the number of events read so far, every ``progress_every`` events and at the end.
    ``anchor`` (stream id to a version and hash, as ``heads`` were at some earlier time and kept
    outside the store) must still be found: each named event, with that hash.
    """
    if progress is not None and not callable(progress):
        raise InvalidInput("progress", f"must be a function of the events checked (got {got(progress)})")
    whole_number("progress_every", progress_every, least=1)
    if anchor is not None:
        anchor = anchor_argument(anchor)
    anchored = None if anchor is None else anchor.get
    last: dict[str, tuple[int, str]] = {}
    pinned = (heads or {}).get  # the head each stream had before the walk
    count = 0
    last_position = 0

    def report(problem: Problem | None) -> VerifyReport:
        if progress is not None:
            progress(count)
        return VerifyReport(
            events=count, streams=len(last), problem=problem, anchored=None if anchor is None else len(anchor)
        )

    def fail(record: StoredRecord, reason: str) -> VerifyReport:
        """The report naming ``record``; a column of the wrong kind is said first, as the cause."""
        return report(
            Problem(
                stream_id=record.stream_id,
                version=record.version,
                position=record.position,
                reason=record_misfit(record) or reason,
            )
        )

    for record in records:
        reason = link_misfit(record, last, last_position, pinned, anchored)
        if reason is not None:
            return fail(record, reason)
        last_position = record.position
        last[record.stream_id] = (record.version, record.hash)
        count += 1
        if progress is not None and count % progress_every == 0:
            progress(count)
    if anchor is not None:
        short = _ended_short(
            anchor,
            last,
            lambda version, seen: (
                f"the anchor names version {version}, but the stream "
                + (f"ends at version {seen}" if seen else "has no events")
            ),
        )
        if short is not None:
            return report(short)
    if heads is not None:
        damaged = _damaged_head(heads, last) or _ended_short(
            heads,
            last,
            lambda version, seen: (
                f"the stream ends at version {seen}, but version {version} was recorded (truncated)"
            ),
        )
        if damaged is not None:
            return report(damaged)
        later = heads if heads_after is None else heads_after()
        damaged = _damaged_head(later, last)
        if damaged is not None:
            return report(damaged)
        for stream_id, (seen, hash_) in last.items():
            head = later.get(stream_id)
            if head is None:
                return report(
                    Problem(
                        stream_id=stream_id,
                        version=1,
                        position=None,
                        reason="the stream has no recorded head (added by hand)",
                    )
                )
            if seen > head[0]:
                return report(
                    Problem(
                        stream_id=stream_id,
                        version=head[0] + 1,
                        position=None,
                        reason=f"the stream goes on past its recorded head, version {head[0]} (added by hand)",
                    )
                )
            if seen == head[0] and hash_ != head[1]:
                return report(
                    Problem(
                        stream_id=stream_id,
                        version=seen,
                        position=None,
                        reason="the stream's last event is not the one recorded as its head",
                    )
                )
    return report(None)


def link_misfit(
    record: StoredRecord,
    last: Mapping[str, tuple[int, str]],
    last_position: int,
    pinned: Callable[[str], tuple[int, str] | None] | None = None,
    anchored: Callable[[str], tuple[int, str] | None] | None = None,
) -> str | None:
    """Why ``record`` does not continue its stream's chain, or None when it does. ``last`` holds
    each stream's latest version and hash so far, ``last_position`` the position of the record
    before; ``pinned`` and ``anchored`` give a stream's recorded head and the event an anchor
    names, which ``record`` must be when it has that version."""
    try:
        version, prev = last.get(record.stream_id, (0, ""))
        if record.position <= last_position:
            return "it is out of global order"
        if record.version != version + 1:
            return (
                f"version {version + 1} is missing before it"
                if record.version > version + 1
                else "it repeats or goes back on an earlier version (reordered or duplicated)"
            )
        if record.prev_hash != prev:
            return "it does not name the hash of the event before it"
        computed = _digest_text(record)
        if computed is None:
            return f"its hash {record.hash[:20]!r} names no algorithm cohandle hashes with"
        if computed != record.hash:
            return "its content does not match its hash (altered)"
        head = None if pinned is None else pinned(record.stream_id)
        if head is not None and head[0] == record.version and head[1] != record.hash:
            return "it is not the event recorded as the stream's head"
        kept = None if anchored is None else anchored(record.stream_id)
        if kept is not None and kept[0] == record.version and kept[1] != record.hash:
            return "it is not the event the anchor names (the log was rewritten since, unless the anchor is another log's)"
    except (TypeError, AttributeError, ValueError) as exc:  # a value no cohandle store writes
        return f"it cannot be read ({exc})"
    return None


def _damaged_head(
    heads: Mapping[str, tuple[int, str]], last: Mapping[str, tuple[int, str]]
) -> Problem | None:
    """The first recorded head that is not a version and a hash (as a hand may write into
    SQLite), or that is kept under an id that is not UTF-8 text (as a damaged file leaves
    it), named at its stream's last event."""
    for stream_id, head in heads.items():
        pair: Any = head
        version, hash_ = pair if isinstance(pair, tuple | list) and len(pair) == 2 else (None, None)
        surrogate = lone_surrogate(stream_id) if isinstance(stream_id, str) else None
        if (
            isinstance(version, int)
            and not isinstance(version, bool)
            and version >= 1
            and isinstance(hash_, str)
            and surrogate is None
        ):
            continue
        return Problem(
            stream_id=stream_id,
            version=last.get(stream_id, (1, ""))[0],
            position=None,
            reason=f"its recorded head holds {got(head)}, where a version and a hash belong"
            if surrogate is None
            else f"the id its recorded head is kept under is not UTF-8 text: it {surrogate}",
        )
    return None


def _ended_short(
    named: Mapping[str, tuple[int, str]],
    last: Mapping[str, tuple[int, str]],
    reason: Callable[[int, int], str],
) -> Problem | None:
    """The first stream the walk (``last``: its latest version and hash) saw end before the
    version ``named`` gives it, as a problem at the first version missing; ``reason`` says it
    from the version named and the last one seen."""
    for stream_id, (version, _) in named.items():
        found = last.get(stream_id)
        seen = found[0] if found else 0
        if seen < version:
            return Problem(stream_id=stream_id, version=seen + 1, position=None, reason=reason(version, seen))
    return None


def anchor_argument(value: object) -> Mapping[str, tuple[int, str]]:
    """An anchor as ``heads()`` gives one: proposal ids to a version and a hash (a list of the
    two, as JSON keeps them, is taken too)."""
    if not isinstance(value, Mapping):
        raise InvalidInput(
            "anchor",
            f"must map proposal ids to a version and a hash, as store.heads() does (got {got(value)})",
        )
    checked: dict[str, tuple[int, str]] = {}
    for stream_id, head in value.items():
        pair: Any = head
        version, hash_ = pair if isinstance(pair, tuple | list) and len(pair) == 2 else (None, None)
        if (
            not isinstance(stream_id, str)
            or not isinstance(version, int)
            or isinstance(version, bool)
            or version < 1
            or not isinstance(hash_, str)
        ):
            raise InvalidInput(
                "anchor", f"must map proposal ids to a version and a hash (got {got(stream_id)}: {got(head)})"
            )
        if not _HASH_TEXT.fullmatch(hash_):  # a damaged anchor, not evidence against the log
            raise InvalidInput(
                "anchor",
                f"must give each proposal's hash as store.heads() does, the algorithm and 64 "
                f"hexadecimal digits, 'sha256:...' or 'sm3:...' (got {hash_!r} for {stream_id!r})",
            )
        checked[stream_id] = (version, hash_.lower())
    return checked


_HASH_TEXT = re.compile(f"(?:{'|'.join(HASH_ALGORITHMS)}):[0-9a-f]{{64}}", re.IGNORECASE)


class _Recording(Protocol):
    def records(self, *, after: int = 0) -> Iterator[StoredRecord]: ...

    def heads(self) -> dict[str, tuple[int, str]]: ...


def verify(
    store: _Recording,
    progress: Callable[[int], Any] | None = None,
    *,
    anchor: Mapping[str, tuple[int, str]] | None = None,
    replay: bool = False,
    read_back: Callable[[int], Any] | None = None,
) -> VerifyReport:
    """Check every hash chain of a store against its stored text, and every stream against its head.

    The log may grow meanwhile: commands recorded while it runs are no false alarm. ``anchor``,
    the ``store.heads()`` of an earlier day kept outside the store, must still be found in the
    log: each event it names, with its hash. That shows a log rewritten with every hash
    recomputed, which the chain alone cannot.

    With ``replay``, every proposal is then read back as the workflow reads it, its events
    decoded and folded into its state, 500 at a time: a chain that holds but whose events could
    not have happened in their order (appended through a store's own ``append`` in an order no
    command records, or rewritten with every hash recomputed), or cannot be decoded, is named at
    its first such event. It takes about three times as long. ``read_back`` is called with the
    number of proposals read back, every 1,000 and at the end.
    """
    if not callable(getattr(store, "records", None)) or not callable(getattr(store, "heads", None)):
        raise InvalidInput("store", f"must be an event store (got {got(store)})")
    if not isinstance(replay, bool):
        raise InvalidInput("replay", f"must be True or False (got {got(replay)})")
    if read_back is not None and not callable(read_back):
        raise InvalidInput(
            "read_back", f"must be a function of the proposals read back (got {got(read_back)})"
        )
    heads = store.heads()  # before the records: every event they name is stored by then
    report = verify_records(
        store.records(), heads=heads, heads_after=store.heads, progress=progress, anchor=anchor
    )
    if not replay or report.problem is not None:
        return report
    return attrs.evolve(report, problem=_unreadable(store, read_back), read_back=True)


def _unreadable(store: Any, read_back: Callable[[int], Any] | None) -> Problem | None:
    """The first event of the first proposal that cannot be read back, or None."""
    from cohandle._errors import ChainBroken, SchemaError
    from cohandle._state import replay
    from cohandle.stores._rows import histories

    ids = list(store.stream_ids())
    done = 0
    try:
        for events in histories(store, ids):
            replay(events)
            done += 1
            if read_back is not None and done % 1_000 == 0:
                read_back(done)
    except ChainBroken as exc:
        return Problem(stream_id=exc.proposal_id, version=exc.version, position=None, reason=exc.reason)
    except SchemaError as exc:  # one of the next 500 holds an event that cannot be decoded: which
        found = (_undecodable(store, stream_id) for stream_id in ids[done : done + 500])
        fallback = Problem(stream_id=ids[done], version=1, position=None, reason=str(exc).rstrip("."))
        return next((problem for problem in found if problem is not None), fallback)
    if read_back is not None and (not ids or len(ids) % 1_000):  # the end, once
        read_back(len(ids))
    return None


def _undecodable(store: Any, stream_id: str) -> Problem | None:
    """The first event of ``stream_id`` that cannot be decoded, or None: read one more event
    at a time, as only a damaged log makes anyone."""
    from cohandle._errors import SchemaError

    version = store.stream_version(stream_id)
    for upto in range(1, version + 1):
        try:
            store.read_stream(stream_id, up_to=upto)
        except SchemaError as exc:
            return Problem(stream_id=stream_id, version=upto, position=None, reason=str(exc).rstrip("."))
    return None
