"""Export and import as JSON Lines: verified, all or nothing, every damage refused with its line."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cohandle
from cohandle import AssignmentMode, InvalidInput, Status
from cohandle.stores import ImportRefused, MemoryStore, SQLiteStore, StoredRecord, export_jsonl, import_jsonl
from helpers import bring_to, receive, synced, workflow


@pytest.fixture(scope="module")
def exported() -> list[str]:
    wf = workflow()
    bring_to(wf, Status.CLOSED)
    bring_to(wf, Status.ANSWERED, AssignmentMode.SEPARATE)
    out = io.BytesIO()
    export_jsonl(wf.store, out)
    return out.getvalue().decode().splitlines()


def lines_to_import(lines: list[str]) -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def test_each_line_is_canonical_json_with_its_hash(exported: list[str]) -> None:
    first = json.loads(exported[0])
    assert list(first) == sorted(first)
    assert first["hash"].startswith("sha256:")
    assert exported[0] == json.dumps(first, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_export_of_one_proposal_to_a_file(tmp_path: Path) -> None:
    wf = workflow()
    pid = bring_to(wf, Status.CLOSED)
    bring_to(wf, Status.ASSIGNED)
    path = tmp_path / "one.jsonl"
    count = export_jsonl(wf.store, path, stream_id=pid)
    assert count == len(wf.history(pid))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl"]  # no temporary file left
    store = SQLiteStore(tmp_path / "copy.db")
    import_jsonl(store, path)
    assert cohandle.Workflow(store).get(pid) == wf.get(pid)
    store.close()


def damaged(exported: list[str], index: int, change: object, *, escaped: bool = False) -> list[str]:
    """The export with one record changed; ``escaped`` writes every non-ASCII character as a
    \\u escape, the only way a lone surrogate can be in a line of UTF-8."""
    lines = list(exported)
    record = json.loads(lines[index])
    change(record)  # type: ignore[operator]
    lines[index] = json.dumps(record, ensure_ascii=escaped)
    return lines


_GBK = "\udcb2\udce2"  # the GBK bytes of 测, decoded as if they were UTF-8 with surrogateescape


@pytest.mark.parametrize(
    ("make", "line", "message"),
    [
        (lambda ex: [*ex[:3], "{not json", *ex[3:]], 4, "not valid JSON"),
        (lambda ex: damaged(ex, 2, lambda r: r.update(type="ProposalTeleported")), 3, "Unknown event type"),
        (
            lambda ex: damaged(ex, 2, lambda r: r.update(type={"name": "ProposalAssigned"})),
            3,
            "type must be text",
        ),
        (lambda ex: damaged(ex, 2, lambda r: r.update(type=["ProposalAssigned"])), 3, "type must be text"),
        (lambda ex: damaged(ex, 2, lambda r: r.update(schema=7)), 3, "schema version 7, newer"),
        (
            lambda ex: [*ex[:1], ex[1].replace('"version":2', '"version":NaN'), *ex[2:]],
            2,
            "NaN is not a JSON number",
        ),
        (lambda ex: [*ex[:1], ex[1][:-1] + ',"version":2}', *ex[2:]], 2, "appears twice"),
        (  # a number too large for a float reads as an infinity
            lambda ex: [
                *ex[:1],
                ex[1].replace('"payload":{', '"payload":{"measure":[{"x":-1e999}],', 1),
                *ex[2:],
            ],
            2,
            "NaN or an infinity",
        ),
        (
            lambda ex: damaged(ex, 1, lambda r: r["payload"].update(note="长" * 600_000)),
            2,
            "more than the 1,048,576",
        ),
        (lambda ex: damaged(ex, 1, lambda r: r["payload"].update(note="改过")), 2, "altered"),
        (lambda ex: [ex[0], *ex[2:]], 2, "version 2 is missing"),
        (lambda ex: [ex[0], ex[2], ex[1], *ex[3:]], 2, "version 2 is missing"),
        (lambda ex: damaged(ex, 0, lambda r: r.update(hash="md5:00")), 1, "known algorithm"),
        (lambda ex: damaged(ex, 0, lambda r: r.pop("actor")), 1, "missing: actor"),
        (
            lambda ex: damaged(ex, 1, lambda r: r["payload"].update(note=_GBK), escaped=True),
            2,
            "payload.note must be valid Unicode text, but it holds U[+]DCB2 at position 0",
        ),
        (
            lambda ex: damaged(ex, 0, lambda r: r["actor"].update(name=_GBK), escaped=True),
            1,
            "actor.name must be valid Unicode text",
        ),
        (
            lambda ex: damaged(ex, 0, lambda r: r.update(stream_id="a\x00b")),
            1,
            "its stream_id cannot be kept by every store: it holds a NUL character",
        ),
        (
            lambda ex: damaged(ex, 0, lambda r: r.update(command_id=_GBK), escaped=True),
            1,
            "its command_id cannot be kept by every store: it holds U[+]DCB2 at position 0, a lone surrogate",
        ),
    ],
)
def test_a_damaged_file_is_refused_at_its_first_bad_line_and_nothing_is_stored(
    exported: list[str], make: object, line: int, message: str
) -> None:
    for store in (MemoryStore(), SQLiteStore(":memory:")):  # held, and read twice as stored
        with pytest.raises(ImportRefused, match=message) as refused:
            import_jsonl(store, lines_to_import(make(exported)))  # type: ignore[operator]
        assert refused.value.line == line
        assert "Nothing was imported" in str(refused.value)
        assert list(store.read_all()) == []
        store.close()


def test_an_export_saved_again_as_gbk_is_said_to_be_so(exported: list[str]) -> None:
    """An editor on Chinese Windows saves the file again as GBK: its first line with Chinese in
    it is named as not UTF-8, where the refusal quoted the codec's words after "not valid JSON"."""
    store = MemoryStore()
    with pytest.raises(ImportRefused) as refused:
        import_jsonl(store, io.BytesIO(("\n".join(exported) + "\n").encode("gb18030")))
    assert refused.value.line == 1
    assert "it is not UTF-8 text (byte " in str(refused.value)
    assert "was the file saved again in another encoding, such as GBK?" in str(refused.value)
    assert list(store.read_all()) == []


def test_a_file_that_cannot_be_written_or_read_is_invalid_input(tmp_path: Path) -> None:
    wf = workflow()
    receive(wf)
    with pytest.raises(InvalidInput, match=r"target cannot be written \(No such file or directory"):
        export_jsonl(wf.store, tmp_path / "no such folder" / "log.jsonl")
    with pytest.raises(InvalidInput, match=r"target cannot be written \(Is a directory"):
        export_jsonl(wf.store, tmp_path)
    assert list(tmp_path.iterdir()) == [], "a failed export left a file behind"
    assert not list(tmp_path.parent.glob(f"{tmp_path.name}*.partial")), "a failed export left a file behind"
    with pytest.raises(InvalidInput, match=r"source cannot be read \(Is a directory"):
        import_jsonl(MemoryStore(), tmp_path)
    with pytest.raises(InvalidInput, match=r"source cannot be read \(No such file or directory"):
        import_jsonl(MemoryStore(), tmp_path / "missing.jsonl")
    with pytest.raises(InvalidInput, match="source must name a file, but it is empty"):
        import_jsonl(MemoryStore(), "")
    with pytest.raises(InvalidInput, match=r"^target must name a file, but it is empty"):
        export_jsonl(wf.store, "")


def test_an_export_never_takes_the_place_of_a_database_a_pipe_or_a_link(tmp_path: Path) -> None:
    import os

    log = tmp_path / "log.db"
    with cohandle.Workflow.open(log, clock=workflow().clock) as wf:
        pid = receive(wf)
        # the log named where the export belongs: written there, it would have been replaced
        with pytest.raises(InvalidInput) as raised:
            export_jsonl(wf.store, log)
        assert str(raised.value) == (
            f"target names a SQLite database ({log}), which writing there would destroy: give the "
            "name of a new file, or of one that may be replaced."
        )
        # a pipe (a device, as /dev/null is, the same) would have been replaced by a file
        pipe = tmp_path / "pipe"
        os.mkfifo(pipe)
        with pytest.raises(
            InvalidInput, match=r"^target names .*pipe, which is not a file but a device or a pipe"
        ):
            export_jsonl(wf.store, pipe)
        assert pipe.is_fifo()
        # the log's write-ahead log, index or journal, there or not (empty between writes)
        for companion in ("-wal", "-shm", "-journal"):
            with pytest.raises(InvalidInput, match=r"^target names a file of the SQLite database "):
                export_jsonl(wf.store, f"{log}{companion}")
        # a name that would be a pipe's companion is only a name: the pipe is never opened
        import threading

        beside = threading.Thread(target=export_jsonl, args=(wf.store, f"{pipe}-wal"), daemon=True)
        beside.start()
        beside.join(10)
        assert not beside.is_alive(), "the export waited on the pipe"
        Path(f"{pipe}-wal").unlink()
        # a symbolic link is written where it points, and stays a link
        (tmp_path / "exports").mkdir()
        link = tmp_path / "latest.jsonl"
        link.symlink_to(Path("exports") / "2026-12-07.jsonl")
        assert export_jsonl(wf.store, link) == 1
        assert link.is_symlink() and (tmp_path / "exports" / "2026-12-07.jsonl").stat().st_size > 0
    with cohandle.Workflow.open(log, create=False) as reopened:
        assert reopened.verify().ok and [p.id for p in reopened.proposals()] == [pid]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports", "latest.jsonl", "log.db", "pipe"]


def test_an_export_is_on_the_disk_before_it_takes_its_name_and_its_name_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it was renamed into place unsynced: after a crash, an empty file under the real name
    wf = workflow()
    receive(wf)
    target = tmp_path / "log.jsonl"
    calls = synced(monkeypatch, target)
    export_jsonl(wf.store, target)
    assert calls == [(target.stat().st_ino, False), (tmp_path.stat().st_ino, True)]


def test_two_exports_of_one_file_at_once_leave_one_whole_export(tmp_path: Path) -> None:
    # each writes its own temporary file: with one name for both, they wrote into one file,
    # and the second to finish found it gone
    import threading

    wf = workflow()
    for _ in range(3):
        bring_to(wf, Status.CLOSED)
    both_writing = threading.Barrier(2, timeout=10)

    class Slow:  # a store whose reading waits, after one record, until both exports are writing
        def records(self, *, after: int = 0) -> Iterator[StoredRecord]:
            for index, record in enumerate(wf.store.records(after=after)):
                if index == 1:
                    both_writing.wait()
                yield record

    target = tmp_path / "log.jsonl"
    counts: list[int] = []
    exports = [threading.Thread(target=lambda: counts.append(export_jsonl(Slow(), target))) for _ in range(2)]
    for export in exports:
        export.start()
    for export in exports:
        export.join()
    total = sum(len(wf.history(p.id)) for p in wf.proposals())
    assert counts == [total, total]
    store = MemoryStore()
    assert import_jsonl(store, target).events == total  # whole, every line and chain verified
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.jsonl"]


def test_an_export_to_a_stream_of_text_is_refused_before_it_writes(tmp_path: Path) -> None:
    # sys.stdout, or a file opened with "w": the lines are bytes, and the stream would fail at
    # the first with a bare TypeError
    wf = workflow()
    receive(wf)
    for text in (io.StringIO(), (tmp_path / "log.jsonl").open("w", encoding="utf-8")):
        with text, pytest.raises(InvalidInput) as refused:
            export_jsonl(wf.store, text)  # type: ignore[arg-type]
        assert str(refused.value) == (
            'target must be a binary file object, but this one takes text: open the file with "wb", '
            "or give standard output as sys.stdout.buffer."
        )
    assert (tmp_path / "log.jsonl").read_bytes() == b""


def test_garbage_and_empty_input(tmp_path: Path) -> None:
    store = MemoryStore()
    assert import_jsonl(store, io.BytesIO(b"")).events == 0
    with pytest.raises(ImportRefused, match="it is binary data, not the text of an export"):
        import_jsonl(store, io.BytesIO(b"\x00\xff\xfe garbage\n"))
    with pytest.raises(ImportRefused, match="it is binary data, not the text of an export"):
        import_jsonl(store, io.BytesIO(b"PK\x03\x04\x14\x00\x00\x00\x08\x00s)\x87]\xadR\n"))  # a .docx
    with pytest.raises(ImportRefused, match="not valid JSON"):
        import_jsonl(store, io.BytesIO(b"garbage\n"))
    with pytest.raises(ImportRefused, match="JSON object"):
        import_jsonl(store, io.BytesIO(b"[1, 2, 3]\n"))
    huge = tmp_path / "huge.jsonl"
    huge.write_bytes(b"x" * (3 << 20))
    with pytest.raises(ImportRefused, match="more than"):
        import_jsonl(store, huge)
    # a log's database given where its export belongs is named so, not as JSON gone wrong
    log = tmp_path / "log.db"
    with cohandle.Workflow.open(log, clock=workflow().clock) as wf:
        receive(wf)
    with pytest.raises(ImportRefused) as database:
        import_jsonl(store, log)
    assert str(database.value).startswith(
        "Line 1 of the import cannot be accepted: it is the start of a SQLite database, not of an export"
    )
    assert [p.id for p in cohandle.Workflow(store).proposals()] == []


def test_an_event_is_as_long_as_an_import_takes_and_no_longer() -> None:
    import re

    import attrs

    from cohandle import Section
    from helpers import A_CO1, opinion

    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    before = wf.get(pid).version

    def with_text(size: int) -> cohandle.Opinion:
        return attrs.evolve(opinion(), sections=[Section(heading="一、主要工作情况", text="x" * size)])

    with pytest.raises(InvalidInput, match="more than the 1,048,576 an event may take") as caught:
        wf.submit_opinion(pid, opinion=with_text(1_100_000), actor=A_CO1)
    assert wf.get(pid).version == before  # nothing recorded
    found = re.search(r"would take ([\d,]+) bytes", str(caught.value))
    assert found is not None
    over = int(found.group(1).replace(",", "")) - (1 << 20)
    with pytest.raises(InvalidInput, match="1,048,577 bytes"):
        wf.submit_opinion(pid, opinion=with_text(1_100_000 - over + 1), actor=A_CO1)
    wf.submit_opinion(pid, opinion=with_text(1_100_000 - over), actor=A_CO1)  # exactly the limit
    exported = io.BytesIO()
    export_jsonl(wf.store, exported)
    assert max(len(line) + 1 for line in exported.getvalue().split(b"\n")) == 1 << 20
    exported.seek(0)
    assert import_jsonl(MemoryStore(), exported).events == wf.get(pid).version


@pytest.mark.parametrize(
    "make_store", [MemoryStore, lambda: SQLiteStore(":memory:")], ids=["memory", "sqlite"]
)
def test_a_command_retried_on_an_imported_log_returns_its_whole_outcome(make_store: object) -> None:
    """An import writes a command's events one at a time; a retry must still find them all,
    the deadlines its assignment started included."""
    from cohandle.deadlines import preset
    from helpers import A_COMMITTEE, LEAD

    wf = workflow(policy=preset("generic"))
    pid = receive(wf)
    assigned = wf.assign(pid, lead=LEAD, actor=A_COMMITTEE, command_id="assign-1")
    buffer = io.BytesIO()
    export_jsonl(wf.store, buffer)
    buffer.seek(0)
    store = make_store()  # type: ignore[operator]
    import_jsonl(store, buffer)
    with cohandle.Workflow(store, clock=wf.clock, policy=preset("generic")) as moved:
        assert moved.assign(pid, lead=LEAD, actor=A_COMMITTEE, command_id="assign-1") == assigned
        assert [e.type for e in store.find_command("assign-1")] == ["ProposalAssigned", "DeadlinesSet"]
        if isinstance(store, MemoryStore):  # indexed as one run, as a command appended whole is
            assert store._columns.more == {}


def test_an_import_holds_the_text_that_repeats_once() -> None:
    """An import holds every record until every chain is checked: a proposal's id, its event
    types and actors, the previous hash and a recording time equal to the event's are shared."""
    from cohandle.stores import read_jsonl

    wf = workflow()
    for _ in range(3):
        bring_to(wf, Status.CLOSED, AssignmentMode.LEAD_WITH_CO_HANDLERS)
    buffer = io.BytesIO()
    export_jsonl(wf.store, buffer)
    records = read_jsonl(buffer.getvalue().splitlines())
    assert records == [r._replace(position=k) for k, r in enumerate(wf.store.records(), start=1)]
    latest: dict[str, StoredRecord] = {}
    for record in records:
        if record.stream_id in latest:
            earlier = latest[record.stream_id]
            assert record.stream_id is earlier.stream_id
            assert record.prev_hash is earlier.hash
        latest[record.stream_id] = record
        assert record.recorded_at is record.occurred_at  # the workflow's clock: one time
    assert len({id(r.actor) for r in records}) == len({r.actor for r in records})
    assert len({id(r.type) for r in records}) == len({r.type for r in records})


def test_exporting_a_proposal_the_log_does_not_hold_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    wf = workflow()
    receive(wf)
    with pytest.raises(cohandle.ProposalNotFound, match="'cppcc-nowhere'"):
        export_jsonl(wf.store, tmp_path / "one.jsonl", stream_id="cppcc-nowhere")
    assert list(tmp_path.iterdir()) == []
    buffer = io.BytesIO()
    with pytest.raises(cohandle.ProposalNotFound):
        export_jsonl(wf.store, buffer, stream_id="cppcc-nowhere")
    assert buffer.getvalue() == b""


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=4), _JSON, min_size=1, max_size=5), st.data())
@settings(max_examples=300, deadline=None)
def test_an_exports_own_lines_are_read_as_the_standard_reader_reads_them(
    record: dict[str, Any], draw: Any
) -> None:
    """A line written as an export writes it is read the quick way, to the same record as the
    standard library's reader gives; any other line (a key twice, keys out of order, spaces, a
    number too large for orjson) is left to the standard reader, which refuses or reads it."""
    from cohandle.stores._transfer import _canonical, _no_duplicates

    line = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    for ending in (b"\n", b"\r\n", b""):
        assert _canonical(line + ending) == json.loads(line)
    key = draw.draw(st.sampled_from(sorted(record)))
    twice = (
        line[:-1]
        + b","
        + json.dumps({key: record[key]}, ensure_ascii=False, separators=(",", ":")).encode()[1:]
    )
    assert _canonical(twice) is None
    with pytest.raises(ValueError, match="appears twice"):
        json.loads(twice, object_pairs_hook=_no_duplicates)
    assert _canonical(json.dumps(record, ensure_ascii=False).encode()) in (
        None,
        record,
    )  # spaced: quick only if none
    assert _canonical(line.decode()) is None  # text lines: the standard reader
    assert _canonical(b'{"n":' + str(2**64).encode() + b"}") is None
    assert _canonical(b'{"n":1e999}') is None and _canonical(b'{"n":NaN}') is None


def _reminded(n: int) -> bytes:
    """An export of one proposal reminded ``n`` times: a file that grows, its streams not."""
    from helpers import A_COMMITTEE, LEAD

    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    for _ in range(n):
        wf.remind(pid, to=LEAD, actor=A_COMMITTEE)
    out = io.BytesIO()
    export_jsonl(wf.store, out)
    return out.getvalue()


class _Unseekable(io.RawIOBase):
    """A pipe's bytes: read once, and no going back."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_an_import_into_a_sql_store_holds_little_whatever_the_files_size(tmp_path: Path) -> None:
    """Into SQLite the file is read twice, checked and then stored, and neither reading holds
    the records, nor does reading the proposals back: an import of four times the events
    grows by the one proposal's own state (its 4,500 more reminders, which the workflow holds
    too when it reads it), a small part of what a held import (the memory store's, as every
    import was before) grows by, holding every record."""
    import tracemalloc

    def peak(data: bytes, store: Any, source: Any) -> int:
        tracemalloc.start()
        try:
            import_jsonl(store, source(data))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            store.close()

    small, large = _reminded(1_500), _reminded(6_000)
    held = [peak(data, MemoryStore(), io.BytesIO) for data in (small, large)]
    assert held[1] > 2.5 * held[0], held
    sources = {
        "a file": lambda data: _written(tmp_path / f"{len(data)}.jsonl", data),
        "a file object": io.BytesIO,
        "a pipe": lambda data: io.BufferedReader(_Unseekable(data)),
    }
    for name, source in sources.items():
        streamed = [peak(data, SQLiteStore(":memory:"), source) for data in (small, large)]
        assert streamed[1] - streamed[0] < (held[1] - held[0]) / 3, (name, streamed, held)


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


class _Changing(io.BytesIO):
    """A file that another program changes after it has been read once."""

    def __init__(self, first: bytes, then: bytes) -> None:
        super().__init__(first)
        self._then: bytes | None = then

    def seek(self, offset: int, whence: int = 0) -> int:
        if self._then is not None and self.tell() > 0:
            then, self._then = self._then, None
            super().seek(0)
            self.truncate(0)
            self.write(then)
        return super().seek(offset, whence)


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (lambda lines: damaged(lines, 2, lambda r: r["payload"].update(note="改过")), 3),  # a line altered
        (lambda lines: lines[:-1], 0),  # the last event taken away: every chain fits, one ends early
        (lambda lines: [*lines[:1], "{", *lines[2:]], 2),  # no longer JSON
    ],
    ids=["altered", "shortened", "broken"],
)
def test_a_file_changed_between_its_two_readings_is_refused_and_nothing_stored(
    exported: list[str], change: Any, line: int
) -> None:
    before = lines_to_import(exported).getvalue()
    after = lines_to_import(change(exported)).getvalue()
    store = SQLiteStore(":memory:")
    with pytest.raises(ImportRefused, match=r"changed while it was imported|not valid JSON") as refused:
        import_jsonl(store, _Changing(before, after))
    assert refused.value.line == (line or len(exported) - 1)
    assert list(store.read_all()) == [] and store.heads() == {}
    store.close()


def test_a_stream_the_store_has_is_found_however_late_in_the_file() -> None:
    """The streams an import starts are looked up a thousand rows at a time as they are
    stored; one the store has, first met after thousands of lines, still refuses the whole
    import at its first line, and what was stored before it is taken back."""
    from helpers import A_COMMITTEE, LEAD

    wf = workflow()
    early = bring_to(wf, Status.ASSIGNED)
    for _ in range(2_500):
        wf.remind(early, to=LEAD, actor=A_COMMITTEE)
    late = receive(wf)
    out = io.BytesIO()
    export_jsonl(wf.store, out)
    lines = out.getvalue().splitlines()
    store = SQLiteStore(":memory:")
    only_late = io.BytesIO()
    export_jsonl(wf.store, only_late, stream_id=late)
    only_late.seek(0)
    import_jsonl(store, only_late)
    with pytest.raises(ImportRefused, match=f"proposal '{late}' is already in the store") as refused:
        import_jsonl(store, io.BytesIO(out.getvalue()))
    assert refused.value.line == len(lines)
    assert [p.event.stream_id for p in store.read_all()] == [late]
    store.close()


def test_a_sql_store_imports_records_from_any_iterable_all_or_nothing() -> None:
    wf = workflow()
    bring_to(wf, Status.CLOSED)
    records = list(wf.store.records())
    store = SQLiteStore(":memory:")

    def failing() -> Any:
        yield from records[:-1]
        raise ImportRefused(len(records), "found bad late")

    with pytest.raises(ImportRefused, match="found bad late"):
        store.import_records(failing())
    assert list(store.read_all()) == []
    store.import_records(iter(records))
    assert list(store.records()) == records
    with pytest.raises(InvalidInput, match="must be a list of StoredRecord"):
        store.import_records(b"bytes")  # type: ignore[arg-type]
    store.close()


def test_a_pipe_is_copied_to_a_temporary_file_only_when_it_is_read_twice(
    exported: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipe imported into the memory store is read once, as it comes; into SQLite it is
    copied aside as it is checked, and a copy that cannot be made (a full disk) is said so."""
    import tempfile

    data = lines_to_import(exported).getvalue()

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    memory = MemoryStore()
    assert import_jsonl(memory, io.BufferedReader(_Unseekable(data))).events == len(exported)
    store = SQLiteStore(":memory:")
    with pytest.raises(
        InvalidInput, match=r"source cannot be written \(No space left on device: a temporary copy"
    ):
        import_jsonl(store, io.BufferedReader(_Unseekable(data)))
    assert list(store.read_all()) == []
    monkeypatch.undo()
    assert import_jsonl(store, io.BufferedReader(_Unseekable(data))).events == len(exported)
    assert list(store.records()) == list(memory.records())
    store.close()


def test_an_import_says_how_many_events_it_has_stored() -> None:
    data = _reminded(10_500)
    total = data.count(b"\n")
    for store in (SQLiteStore(":memory:"), MemoryStore()):
        checked: list[int] = []
        stored: list[int] = []
        import_jsonl(store, io.BytesIO(data), progress=checked.append, stored=stored.append)
        assert checked == [10_000, total]
        # rows written into the transaction as the file is read again, or handed over at once
        assert stored == ([10_000, total] if isinstance(store, SQLiteStore) else [total])
        store.close()
    with pytest.raises(InvalidInput, match="stored must be a function of the events stored"):
        import_jsonl(MemoryStore(), io.BytesIO(data), stored=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="read_back must be a function of the proposals read back"):
        import_jsonl(MemoryStore(), io.BytesIO(data), read_back=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(("proposals", "said"), [(0, [0]), (1_000, [1_000]), (2_001, [1_000, 2_000, 2_001])])
def test_an_import_says_how_many_proposals_it_has_read_back(proposals: int, said: list[int]) -> None:
    """Every 1,000 and at the end, once; and so does a verification that reads them back."""
    wf = workflow()
    for _ in range(proposals):
        receive(wf)
    out = io.BytesIO()
    export_jsonl(wf.store, out)
    for store in (SQLiteStore(":memory:"), MemoryStore()):  # from the store, from the held records
        read: list[int] = []
        import_jsonl(store, io.BytesIO(out.getvalue()), read_back=read.append)
        assert read == said, store
        verified: list[int] = []  # as verify says it, reading the proposals back from the store
        assert cohandle.stores.verify(store, replay=True, read_back=verified.append).ok
        assert verified == said, store
        store.close()


def _resealed(records: list[StoredRecord]) -> bytes:
    """An export of ``records`` with every chain's hashes computed again: a file whose chains
    hold whatever was changed in it, as another program, or a hand that knows the format,
    writes one."""
    from cohandle.stores._transfer import record_line
    from helpers import sealed

    heads: dict[str, str] = {}
    lines = []
    for position, record in enumerate(records, start=1):
        record = sealed(record._replace(position=position, prev_hash=heads.get(record.stream_id, "")))
        heads[record.stream_id] = record.hash
        lines.append(record_line(record))
    return b"".join(lines)


def _closed_at_once(records: list[StoredRecord]) -> tuple[list[StoredRecord], int]:
    """The first proposal closed as its second event, its later events gone; and the line of
    the event that could not have happened."""
    first = records[0].stream_id
    closed = next(r for r in records if r.stream_id == first and r.type == "ProposalClosed")
    kept = [r for r in records if r.stream_id != first or r.version == 1]
    kept.insert(1, closed._replace(version=2))
    return kept, 2


def _consolidated_first(records: list[StoredRecord]) -> tuple[list[StoredRecord], int]:
    """The first proposal's opinions consolidated before its first was submitted (the two
    events swapped, each given the other's version): the opinion cannot follow."""
    first = records[0].stream_id
    ours = [i for i, r in enumerate(records) if r.stream_id == first]
    opinion = next(i for i in ours if records[i].type == "OpinionSubmitted")
    consolidated = next(i for i in ours if records[i].type == "OpinionsConsolidated")
    swapped = list(records)
    swapped[opinion] = records[consolidated]._replace(version=records[opinion].version)
    swapped[consolidated] = records[opinion]._replace(version=records[consolidated].version)
    return swapped, next(i for i in ours if i > opinion and swapped[i].type == "OpinionSubmitted") + 1


class _Pipe(io.BytesIO):
    """Standard input, say: read once, never taken back."""

    def seekable(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_closed_at_once, "ProposalClosed cannot happen while the proposal is received"),
        (_consolidated_first, "OpinionSubmitted cannot happen while the proposal is consolidated"),
    ],
    ids=["closed at once", "an opinion after the consolidation"],
)
def test_a_file_whose_events_could_not_have_happened_so_is_refused_at_their_line(
    change: Any, reason: str
) -> None:
    # its hashes computed again, such a file passed every check and was imported; its proposal
    # then could not be read ("The log of proposal … is broken at version 2"), nor the file
    # imported again elsewhere
    wf = workflow()
    bring_to(wf, Status.CLOSED)
    bring_to(wf, Status.ANSWERED, AssignmentMode.SEPARATE)
    records, bad = change(list(wf.store.records()))
    data = _resealed(records)
    first = records[0].stream_id
    version = records[bad - 1].version
    said = f"{reason}.*, so the proposal could not be read \\(proposal '{first}', version {version}\\)"
    with pytest.raises(ImportRefused, match=said) as refused:
        cohandle.stores.read_jsonl(data.splitlines(keepends=True))
    assert refused.value.line == bad
    for store, source in (
        (MemoryStore(), io.BytesIO(data)),  # the records held
        (SQLiteStore(":memory:"), io.BytesIO(data)),  # read twice, stored, read back
        (SQLiteStore(":memory:"), _Pipe(data)),  # copied as it is read, then read from the copy
    ):
        with pytest.raises(ImportRefused, match=said) as refused:
            import_jsonl(store, source)
        assert refused.value.line == bad
        assert "Nothing was imported" in str(refused.value)
        assert list(store.read_all()) == [] and store.heads() == {}
        store.close()


def test_every_proposal_a_sql_store_imports_is_read_back_however_many() -> None:
    """Proposals are read back 500 at a time: one that cannot be, after a thousand that can,
    refuses the whole import at its line."""
    wf = workflow()
    pid = bring_to(wf, Status.CLOSED)
    one = [r for r in wf.store.records() if r.stream_id == pid]
    many = [r._replace(stream_id=f"{pid}-{n}") for n in range(1_001) for r in one]
    bad = [r for r in many if r.stream_id == f"{pid}-1000"]
    many = [r for r in many if r.stream_id != f"{pid}-1000"] + _closed_at_once(bad)[0]
    store = SQLiteStore(":memory:")
    with pytest.raises(ImportRefused, match=f"proposal '{pid}-1000', version 2") as refused:
        import_jsonl(store, io.BytesIO(_resealed(many)))
    assert refused.value.line == 1_000 * len(one) + 2
    assert store.heads() == {}
    assert import_jsonl(store, io.BytesIO(_resealed(many[: 1_000 * len(one)]))).streams == 1_000
    store.close()
