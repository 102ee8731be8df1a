"""Export a log (or one proposal) as JSON Lines, and import one, verified, all or nothing.

Each line is one event's canonical record: the body its hash covers, plus ``hash``. An import
reads and checks every line first (JSON, no duplicate keys, no NaN, a known event type and
schema, each stream's hash chain from version 1), then stores everything in one transaction:
into a SQL store by reading the lines again as they are stored, so that nothing but each
stream's head is held; into other stores by handing over the records it held. Each proposal is
also read back as the workflow reads it, its events folded into its state, before anything is
committed: a chain whose hashes hold but whose events could not have happened in that order (a
file written by another program, or rewritten and its hashes computed again) is refused, as it
could not be read once stored. A damaged file is refused with the number of the first bad line,
and nothing is stored.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol, cast

import attrs
import orjson

from cohandle._errors import (
    SQLITE_START,
    ChainBroken,
    CohandleError,
    InvalidInput,
    ProposalExists,
    ProposalNotFound,
    SchemaError,
    got,
    iterable,
    nameable,
    partial_name,
    put_in_place,
    unstorable,
    unusable_file,
    whole_number,
    writable,
)
from cohandle._events import MAX_EVENT_BYTES, RecordedEvent, canonical_bytes, event_from_record, record_misfit
from cohandle._state import Proposal, apply, replay, start
from cohandle.stores._integrity import StoredRecord, body_bytes, link_misfit
from cohandle.stores._rows import Query, RowStore, decode_record, decode_stream

__all__ = ["ImportRefused", "ImportReport", "export_jsonl", "import_jsonl", "read_jsonl"]

MAX_LINE_BYTES = MAX_EVENT_BYTES  # what a command may record, so every export imports


class ImportRefused(CohandleError):
    """An import file is damaged; nothing was imported."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"Line {line} of the import cannot be accepted: {reason}. Nothing was imported.")


@attrs.frozen
class ImportReport:
    events: int
    streams: int


class _Exporting(Protocol):
    def records(self, *, after: int = 0) -> Iterator[StoredRecord]: ...


class _Importing(Protocol):
    def import_records(self, records: list[StoredRecord]) -> None: ...


def record_line(record: StoredRecord) -> bytes:
    """One JSON Lines record: the canonical body plus the hash, keys sorted. A stored row that
    cannot be written so (a byte string where text belongs, text where a number does, or text
    that is not JSON where the payload belongs, as a hand may write into SQLite, or text whose
    bytes are not UTF-8) raises :class:`SchemaError` naming the event."""
    reason = record_misfit(record, utf8=False)
    if reason is None:
        try:
            data = orjson.loads(body_bytes(record))
            data["hash"] = record.hash
            return canonical_bytes(data) + b"\n"
        except orjson.JSONDecodeError:
            reason = "its payload or its actor is not valid JSON"
        except (UnicodeEncodeError, orjson.JSONEncodeError, InvalidInput):  # text with no UTF-8 form
            reason = record_misfit(record)
            if reason is None:
                raise
    raise SchemaError(
        f"Stored event {record.stream_id!r} version {record.version!r} cannot be exported: {reason}."
    )


def export_jsonl(
    store: _Exporting,
    target: str | os.PathLike[str] | IO[bytes],
    *,
    stream_id: str | None = None,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Write the log (or one proposal's events) to ``target``; returns the number of events.

    A file is written under a temporary name and takes its own name only when complete (where a
    symbolic link points); if the export fails, the temporary file is removed and nothing is
    left under either name. A device, a pipe or a SQLite database at ``target`` is refused
    rather than replaced: to write into a pipe, give its binary file object. A
    ``stream_id`` the log does not hold raises :class:`~cohandle.ProposalNotFound`, and nothing
    is written.
    """
    if not callable(getattr(store, "records", None)):
        raise InvalidInput("store", f"must be an event store (got {got(store)})")
    if stream_id is not None and not isinstance(stream_id, str):
        raise InvalidInput("stream_id", f"must be a proposal id or None (got {got(stream_id)})")
    if progress is not None and not callable(progress):
        raise InvalidInput("progress", f"must be a function of the events written (got {got(progress)})")
    count = 0

    def write(emit: Callable[[bytes], object]) -> None:
        nonlocal count
        for record in store.records():
            if stream_id is not None and record.stream_id != stream_id:
                continue
            emit(record_line(record))
            count += 1
            if progress is not None and count % 10_000 == 0:
                progress(count)
        if stream_id is not None and not count:  # a mistyped id: no file of nothing, no success
            raise ProposalNotFound(stream_id)

    if isinstance(target, str | os.PathLike):
        path = os.fspath(target)
        if not isinstance(path, str):
            raise InvalidInput("target", f"must name a file or be a binary file object (got {got(target)})")
        path = writable("target", path)  # an empty name: "must name a file, but it is empty"
        partial = Path(partial_name(path))
        try:
            try:
                out = partial.open("wb")
            except OSError as exc:
                raise unusable_file("target", path, exc, writing=True) from None

            def emit(line: bytes) -> None:
                try:
                    out.write(line)
                except OSError as exc:  # a full disk is the file's; the store's errors are its own
                    raise unusable_file("target", path, exc, writing=True) from None

            try:
                write(emit)
            finally:
                try:
                    out.close()
                except OSError as exc:
                    raise unusable_file("target", path, exc, writing=True) from None
            try:
                put_in_place(partial, path)  # never a half-written export under the real name
            except OSError as exc:
                raise unusable_file("target", path, exc, writing=True) from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    elif isinstance(cast(object, target), io.TextIOBase):  # sys.stdout, a "w" file: text
        raise InvalidInput(
            "target",
            'must be a binary file object, but this one takes text: open the file with "wb", '
            "or give standard output as sys.stdout.buffer",
        )
    elif callable(getattr(target, "write", None)):
        write(target.write)
    else:
        raise InvalidInput("target", f"must name a file or be a binary file object (got {got(target)})")
    if progress is not None:
        progress(count)
    return count


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"the key {key!r} appears twice")
        data[key] = value
    return data


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _canonical(line: bytes | str) -> Any:
    """The record of a line written exactly as an export writes it (canonical JSON, then a line
    feed), read by orjson; None for any other line, which the standard library's reader, told
    to refuse duplicate keys and NaN, then reads (and explains if it cannot).

    A line that is its own canonical form holds no key twice (the form of what was read would
    be shorter), and no NaN or infinity (orjson refuses them), so the two readers give the same
    record for it; the first is a third of the cost."""
    if line.__class__ is not bytes:
        return None
    try:
        data = orjson.loads(line)
        written = orjson.dumps(data, option=orjson.OPT_SORT_KEYS) if data.__class__ is dict else b""
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    end = len(written)
    if line[:end] == written and line[end:] in (b"\n", b"\r\n", b""):
        return data
    return None


def _parse(
    line: bytes | str,
    number: int,
    max_line_bytes: int,
    shared: dict[str, str],
    last: dict[str, tuple[int, str]],
    *,
    checked: bool = False,
) -> StoredRecord:
    """One line's record. Records may be held until every chain is checked, so the text that
    repeats is kept once: a proposal's id, an event type, an actor (in ``shared``), a previous
    hash that is the stream's latest (in ``last``), a recording time that is the time of the
    event. That keeps about a third less in memory.

    A line ``checked`` before, in an import's first reading of its file, is not made into an
    event again: its hash, checked against its chain afterwards, shows it is the line that was
    checked (and if the file was changed meanwhile, the import is refused)."""
    if len(line) > max_line_bytes:
        raise ImportRefused(
            number, f"it is {len(line):,} bytes long, more than the {max_line_bytes:,} an event may take"
        )
    data = _canonical(line)
    if data is None:
        try:
            data = json.loads(line, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError) as exc:
            start = line[:16] if isinstance(line, bytes) else line[:16].encode("utf-8", "surrogateescape")
            if number == 1 and start == SQLITE_START:  # the log's file, not its export
                raise ImportRefused(
                    number,
                    "it is the start of a SQLite database, not of an export: export the log first "
                    "(cohandle export - --db LOG | cohandle import - --db NEW)",
                ) from None
            if b"\x00" in start or start.startswith(b"PK\x03\x04"):  # a Word file, an archive
                raise ImportRefused(number, "it is binary data, not the text of an export") from None
            if isinstance(exc, UnicodeDecodeError):  # an export saved again as GBK, say, by an editor
                raise ImportRefused(
                    number,
                    f"it is not UTF-8 text (byte {exc.start} of the line), as an export is: was the "
                    "file saved again in another encoding, such as GBK? Import the export as it "
                    "was written",
                ) from None
            raise ImportRefused(number, f"it is not valid JSON ({exc})") from None
    if checked:
        try:
            return _record(data, number, shared, last)
        except (KeyError, TypeError, AttributeError, ValueError, CohandleError):
            raise ImportRefused(number, _CHANGED) from None
    try:
        event_from_record(data)  # every check of type, schema, shape and values
    except SchemaError as exc:
        raise ImportRefused(number, str(exc).rstrip(".")) from None
    return _record(data, number, shared, last)


_CHANGED = "it is not the line checked before: the file was changed while it was imported"


def _record(
    data: dict[str, Any], number: int, shared: dict[str, str], last: dict[str, tuple[int, str]]
) -> StoredRecord:
    """The record of a line's checked JSON."""
    for key in ("stream_id", "command_id"):  # text, or None for the command id: checked above
        reason = unstorable(data[key]) if data[key] is not None else None
        if reason is not None:
            raise ImportRefused(number, f"its {key} cannot be kept by every store: it {reason}")
    try:
        payload = canonical_bytes(data["payload"], "payload").decode()
        actor = canonical_bytes(data["actor"], "actor").decode()
    except InvalidInput as exc:  # text without a UTF-8 form, written as a \u escape
        raise ImportRefused(number, str(exc).rstrip(".")) from None
    stream_id = shared.setdefault(data["stream_id"], data["stream_id"])
    occurred_at, recorded_at, prev_hash = data["occurred_at"], data["recorded_at"], data["prev_hash"]
    if recorded_at == occurred_at:
        recorded_at = occurred_at
    head = last.get(stream_id)
    if head is not None and head[1] == prev_hash:
        prev_hash = head[1]
    return StoredRecord(
        position=number,
        stream_id=stream_id,
        version=data["version"],
        type=shared.setdefault(data["type"], data["type"]),
        schema=data["schema"],
        payload=payload,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        actor=shared.setdefault(actor, actor),
        command_id=data["command_id"],
        prev_hash=prev_hash,
        hash=data["hash"],
    )


def _records(
    lines: Iterable[bytes | str],
    max_line_bytes: int,
    progress: Callable[[int], Any] | None,
    last: dict[str, tuple[int, str]],
    *,
    checked: bool = False,
) -> Iterator[StoredRecord]:
    """Each line's record, checked as it is read: its JSON, its event (unless ``checked``
    before), and that it goes on from the record before it in its stream's chain. ``last`` is
    filled with each stream's latest version and hash. Raises :class:`ImportRefused` at the
    first bad line."""
    number = 0
    shared: dict[str, str] = {}
    last_position = 0
    for number, line in enumerate(lines, start=1):
        if progress is not None and number % 10_000 == 0:
            progress(number)
        if not isinstance(line, bytes | str):
            raise ImportRefused(number, f"it is {got(line)}, not a line of text")
        if not line.strip():
            continue
        record = _parse(line, number, max_line_bytes, shared, last, checked=checked)
        reason = link_misfit(record, last, last_position)
        if reason is not None:
            raise ImportRefused(
                number,
                _CHANGED
                if checked
                else f"{reason} (proposal {record.stream_id!r}, version {record.version})",
            )
        last_position = number
        last[record.stream_id] = (record.version, record.hash)
        yield record
    if progress is not None:
        progress(number)


def read_jsonl(
    lines: Iterable[bytes],
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    progress: Callable[[int], Any] | None = None,
) -> list[StoredRecord]:
    """Parse and check an export, line by line: each line's JSON and event, and each stream's
    chain; then each proposal, read back as the workflow reads it. Raises
    :class:`ImportRefused` at the first bad line.

    ``progress`` is called with the number of lines read, every 10,000 lines and at the end.
    """
    iterable("lines", lines, "the lines of an export, as bytes")
    _reading_options(max_line_bytes, progress)
    records = list(_records(lines, max_line_bytes, progress, {}))
    _replay_held(records)
    return records


def import_jsonl(
    store: _Importing,
    source: str | os.PathLike[str] | IO[bytes],
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    progress: Callable[[int], Any] | None = None,
    stored: Callable[[int], Any] | None = None,
    read_back: Callable[[int], Any] | None = None,
) -> ImportReport:
    """Check the whole file, then store every event in one transaction; returns what was
    imported. ``progress`` is called with the number of lines checked, every 10,000 lines and
    at the end; then ``stored`` with the number of events written into the transaction, every
    10,000 and at the end, and ``read_back`` with the number of proposals read back (below),
    every 1,000 and at the end (into a SQL store after storing, into others before): all
    before it commits.

    Into a SQLite or PostgreSQL store the file is read twice: once to check every line, keeping
    only each proposal's latest version and hash, then again as its events are stored, so that
    an import of any size holds little in memory. (A file object that cannot go back to its
    start, such as standard input, is copied to a temporary file as it is checked.) The second
    reading must find the same chains, or nothing is stored. Into other stores the checked
    records are held and handed over at once.

    Every proposal is read back as the workflow reads it, its events folded into its state,
    before the import commits (from the held records, or from a SQL store in its transaction):
    events that could not have happened in their order, in a file whose hashes were computed
    again, are refused at their line."""
    if not callable(getattr(store, "import_records", None)):
        raise InvalidInput("store", f"must be an event store (got {got(store)})")
    _reading_options(max_line_bytes, progress)
    if stored is not None and not callable(stored):
        raise InvalidInput("stored", f"must be a function of the events stored (got {got(stored)})")
    if read_back is not None and not callable(read_back):
        raise InvalidInput(
            "read_back", f"must be a function of the proposals read back (got {got(read_back)})"
        )
    if not isinstance(source, str | os.PathLike) and not callable(getattr(source, "readline", None)):
        raise InvalidInput("source", f"must name a file or be a binary file object (got {got(source)})")
    if isinstance(source, str | os.PathLike):
        nameable("source", source)
    twice = isinstance(store, RowStore) and type(store).import_records is RowStore.import_records
    with contextlib.ExitStack() as files:
        readings = _readings(source, max_line_bytes, files, twice=twice)
        try:
            if twice and isinstance(store, RowStore):
                return _import_twice(store, readings, max_line_bytes, progress, stored, read_back)
            return _import_held(store, next(readings), max_line_bytes, progress, stored, read_back)
        except OSError as exc:
            if not isinstance(source, str | os.PathLike):
                raise  # the caller's own file object failed
            raise unusable_file("source", os.fspath(source), exc) from None  # no such file, a folder


def _import_held(
    store: _Importing,
    lines: Iterable[bytes | str],
    max_line_bytes: int,
    progress: Callable[[int], Any] | None,
    stored: Callable[[int], Any] | None,
    read_back: Callable[[int], Any] | None,
) -> ImportReport:
    """Check every line, holding the records, then hand them to the store at once."""
    last: dict[str, tuple[int, str]] = {}
    records = list(_records(lines, max_line_bytes, progress, last))
    _replay_held(records, read_back)
    try:
        store.import_records(records)
    except ProposalExists as exc:
        raise _held(next(r.position for r in records if r.stream_id == exc.proposal_id), exc) from None
    if stored is not None:
        stored(len(records))
    return ImportReport(events=len(records), streams=len(last))


def _import_twice(
    store: RowStore,
    readings: Iterator[Iterable[bytes | str]],
    max_line_bytes: int,
    progress: Callable[[int], Any] | None,
    stored: Callable[[int], Any] | None,
    read_back: Callable[[int], Any] | None,
) -> ImportReport:
    """Check every line keeping only each stream's head, then read the lines again into the
    store as they are stored; the second reading must end at the same heads."""
    checked: dict[str, tuple[int, str]] = {}
    events = sum(1 for _ in _records(next(readings), max_line_bytes, progress, checked))
    first_lines: dict[str, int] = {}

    def again() -> Iterator[StoredRecord]:
        found: dict[str, tuple[int, str]] = {}
        number = count = 0
        for record in _records(next(readings), max_line_bytes, None, found, checked=True):
            number = record.position
            first_lines.setdefault(record.stream_id, number)
            yield record
            count += 1
            if stored is not None and count % 10_000 == 0:
                stored(count)
        if found != checked:
            raise ImportRefused(number or 1, _CHANGED)  # line 1 for a file emptied meanwhile
        if stored is not None:
            stored(count)

    def work(query: Query, insert_many: Callable[[str, list[tuple[Any, ...]]], None]) -> None:
        store._import(again(), query, insert_many)
        _replay_stored(store, query, list(checked), read_back)

    try:
        store._importing(work)  # committed whole, or rolled back whatever ``work`` raises
    except ProposalExists as exc:
        raise _held(first_lines[exc.proposal_id], exc) from None
    except ChainBroken as exc:  # the line of the event, found in a third reading
        found = _records(next(readings), max_line_bytes, None, {}, checked=True)
        line = next(
            (r.position for r in found if r.stream_id == exc.proposal_id and r.version == exc.version), 1
        )
        raise _unfolded(line, exc) from None
    return ImportReport(events=events, streams=len(checked))


def _replay_held(records: list[StoredRecord], read_back: Callable[[int], Any] | None = None) -> None:
    """Read back each proposal of ``records`` (checked lines) as the workflow reads it: its
    events decoded and folded into its state, one proposal at a time."""
    streams: dict[str, list[StoredRecord]] = {}
    for record in records:
        streams.setdefault(record.stream_id, []).append(record)
    for done, stream in enumerate(streams.values(), start=1):
        try:
            replay(decode_stream(stream))
        except ChainBroken as exc:  # versions go from 1 without a gap: checked with the chain
            raise _unfolded(stream[exc.version - 1].position, exc) from None
        if read_back is not None and done % 1_000 == 0:
            read_back(done)
    if read_back is not None and (not streams or len(streams) % 1_000):  # the end, once
        read_back(len(streams))


def _replay_stored(
    store: RowStore, query: Query, stream_ids: list[str], read_back: Callable[[int], Any] | None = None
) -> None:
    """Read back the proposals an import has just stored, in its transaction, as the workflow
    reads them: 500 proposals at a time, a thousand rows to a query, each folded as it is read,
    so that an import of any size, or of a proposal of any length, holds little in memory."""
    p = store.p
    for first in range(0, len(stream_ids), 500):
        chunk = tuple(stream_ids[first : first + 500])
        sql = (
            f"SELECT {store.decoded} FROM {store.events} WHERE stream_id IN ({', '.join([p] * len(chunk))}) "
            f"AND (stream_id > {p} OR (stream_id = {p} AND version > {p})) ORDER BY stream_id, version LIMIT 1000"
        )
        state: Proposal | None = None
        previous: RecordedEvent | None = None
        previous_text = ""
        after: tuple[str, int] = ("", 0)  # the last row read: every id comes after ""
        while True:
            rows = query(sql, (*chunk, after[0], after[0], after[1]))
            for row in rows:
                record = StoredRecord._make(row)
                if state is not None and record.stream_id == state.id:
                    previous = decode_record(record, previous, previous_text)
                    state = apply(state, previous)
                else:  # the next proposal's first event
                    previous = decode_record(record)
                    state = start(previous)
                previous_text = record.hash
            if len(rows) < 1000:
                break
            after = (rows[-1][1], rows[-1][2])
        if read_back is not None and (first + len(chunk)) % 1_000 == 0:
            read_back(first + len(chunk))
    if read_back is not None and (not stream_ids or len(stream_ids) % 1_000):  # the end, once
        read_back(len(stream_ids))


def _unfolded(line: int, exc: ChainBroken) -> ImportRefused:
    """The refusal of an import one of whose proposals cannot be read back."""
    return ImportRefused(
        line,
        f"{exc.reason}, so the proposal could not be read (proposal {exc.proposal_id!r}, version {exc.version})",
    )


def _held(line: int, exc: ProposalExists) -> ImportRefused:
    """The refusal of an import one of whose proposals the store has, at its first line."""
    return ImportRefused(line, f"proposal {exc.proposal_id!r} is already in the store")


def _readings(
    source: str | os.PathLike[str] | IO[bytes],
    max_line_bytes: int,
    files: contextlib.ExitStack,
    *,
    twice: bool,
) -> Iterator[Iterable[bytes | str]]:
    """The lines of ``source``, once for each reading asked for: a file by its name opened
    again, a file object taken back to where it was, or, if it cannot go back and is to be
    read ``twice``, copied as it is first read to a temporary file, which is read after."""
    if isinstance(source, str | os.PathLike):
        while True:
            handle = files.enter_context(Path(source).open("rb"))  # noqa: SIM115 - closed by ``files``
            yield _capped_lines(handle, max_line_bytes)
    start = _start_of(source)
    if not twice:
        yield _capped_lines(source, max_line_bytes)
        return
    if start is not None:
        yield _capped_lines(source, max_line_bytes)
        while True:
            source.seek(start)
            yield _capped_lines(source, max_line_bytes)
    where = f"a temporary copy of it in {tempfile.gettempdir()}"
    try:
        copy = files.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - closed by ``files``
    except OSError as exc:
        raise unusable_file("source", where, exc, writing=True) from None

    def copied() -> Iterator[bytes | str]:
        for line in _capped_lines(source, max_line_bytes):
            try:
                copy.write(line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass"))
            except OSError as exc:  # a full disk
                raise unusable_file("source", where, exc, writing=True) from None
            yield line

    yield copied()
    while True:
        copy.seek(0)
        yield _capped_lines(copy, max_line_bytes)


def _start_of(source: IO[bytes]) -> int | None:
    """Where a file object is now, if it can be taken back there; else None."""
    try:
        return source.tell() if source.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _reading_options(max_line_bytes: object, progress: object) -> None:
    whole_number("max_line_bytes", max_line_bytes, least=1)
    if progress is not None and not callable(progress):
        raise InvalidInput("progress", f"must be a function of the lines read (got {got(progress)})")


def _capped_lines(handle: IO[bytes], cap: int) -> Iterator[bytes | str]:
    """Lines of at most ``cap + 1`` bytes each: a longer line is cut there, and refused by the
    length check, without reading all of it into memory."""
    while True:
        line = handle.readline(cap + 1)
        if not line:
            return
        yield line
        if len(line) > cap:
            return
