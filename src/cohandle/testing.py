"""The contract every event store passes. Use it for your own store:

.. code-block:: python

    from cohandle.testing import StoreContract

    class TestMyStore(StoreContract):
        def make_store(self):
            return MyStore(...)

Each ``test_*`` method makes a fresh store with :meth:`StoreContract.make_store` and closes it.
The suite needs pytest. What it asks of ``append`` for ids and events that not every store can
keep, :func:`cohandle.stores.refuse_unstorable` and :func:`cohandle.stores.refuse_unsealed`
check; call them before writing. It also asks that the first event appended name the stream's
latest hash as the one before it (``ConcurrencyConflict`` otherwise, with ``actual`` equal to
``expected``), and each event the one before it (``InvalidInput``).
"""

from __future__ import annotations

import datetime as _dt
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pendulum

from cohandle._errors import ConcurrencyConflict, InvalidInput
from cohandle._model import Actor, Body, Level, ProposalData, Proposer, Session, Unit
from cohandle._workflow import Workflow
from cohandle.stores import EventStore, MemoryStore, StoredRecord, verify

__all__ = ["StoreContract"]

_BODY = Unit(name="测试提案委员会")
_LEAD = Unit(name="测试主办单位")
_ACTOR = Actor(name="测试员", unit=_BODY)
_SHANGHAI = _dt.timezone(_dt.timedelta(hours=8))
_SESSION = Session(body=Body.CPPCC, level=Level.CITY, region="测试市", term=1, meeting=1)


def _data(number: str) -> ProposalData:
    return ProposalData(
        number=number, title="测试提案", session=_SESSION, proposers=[Proposer(name="提案人")]
    )


class _Growing:
    """A store as ``verify`` reads it, with other writers recording commands at the two moments
    a growing log can trip it: after the heads are read, and after the walk has passed every
    event (before the heads are read again)."""

    def __init__(
        self, store: EventStore, *, after_heads: Callable[[], None], after_walk: Callable[[], None]
    ) -> None:
        self.store = store
        self.after_heads = after_heads
        self.after_walk = after_walk
        self.heads_read = 0

    def heads(self) -> dict[str, tuple[int, str]]:
        heads = self.store.heads()
        self.heads_read += 1
        if self.heads_read == 1:
            self.after_heads()
        return heads

    def records(self, *, after: int = 0) -> Iterator[StoredRecord]:
        yield from self.store.records(after=after)
        self.after_walk()


class StoreContract:
    """Subclass and define :meth:`make_store`; pytest collects the tests."""

    def make_store(self) -> EventStore:
        raise NotImplementedError("define make_store() to return a fresh, empty store")

    # helpers -------------------------------------------------------------------------------

    def _workflow(self, store: EventStore) -> Workflow:
        from cohandle._clock import FixedClock

        return Workflow(store, clock=FixedClock(pendulum.datetime(2025, 3, 1, tz="Asia/Shanghai")))

    def _with_store(self) -> tuple[EventStore, Workflow]:
        store = self.make_store()
        return store, self._workflow(store)

    # the contract ------------------------------------------------------------------------

    def test_an_empty_store_has_nothing(self) -> None:
        store = self.make_store()
        try:
            assert list(store.stream_ids()) == []
            assert list(store.read_all()) == []
            assert store.read_stream("none") == []
            assert store.stream_version("none") == 0
            assert store.find_command("none") == []
            assert verify(store).ok
        finally:
            store.close()

    def test_appended_events_read_back_equal(self) -> None:
        store, wf = self._with_store()
        try:
            pid = wf.receive(_data("1"), actor=_ACTOR, command_id="c-1").id
            wf.file(pid, actor=_ACTOR)
            wf.assign(pid, lead=_LEAD, actor=_ACTOR)
            history = wf.history(pid)
            assert [e.version for e in history] == [1, 2, 3]
            assert store.stream_version(pid) == 3
            assert store.read_stream(pid, up_to=2) == list(history[:2])
            assert [p.event for p in store.read_all()] == list(history)
            assert store.find_command("c-1") == [history[0]]
            assert list(store.stream_ids()) == [pid]
            fresh = self._workflow(store)
            assert fresh.get(pid) == wf.get(pid)
        finally:
            store.close()

    def test_a_stale_expected_version_is_a_conflict_and_stores_nothing(self) -> None:
        store, wf = self._with_store()
        try:
            pid = wf.receive(_data("2"), actor=_ACTOR).id
            stale = wf.history(pid)
            wf.file(pid, actor=_ACTOR)
            other = self._workflow(store)
            other_event = other.history(pid)[-1]
            conflict: ConcurrencyConflict | None = None
            try:
                store.append(pid, 1, [other_event])
            except ConcurrencyConflict as exc:
                conflict = exc
            assert conflict is not None, "appending at a stale version must raise ConcurrencyConflict"
            assert (conflict.expected, conflict.actual) == (1, 2)
            try:
                store.append(pid, 0, list(stale))
            except ConcurrencyConflict:
                pass
            else:
                raise AssertionError("a second first event must raise ConcurrencyConflict")
            assert store.stream_version(pid) == 2
        finally:
            store.close()

    def test_an_append_not_naming_the_streams_latest_hash_is_a_conflict_and_stores_nothing(self) -> None:
        """The same proposal on another log, or on this one before it was restored from a
        backup: its next event has the version expected here, but names as the event before it
        one this stream does not hold."""
        from cohandle._clock import FixedClock

        store, wf = self._with_store()
        try:
            pid = wf.receive(_data("3"), actor=_ACTOR).id
            wf.file(pid, actor=_ACTOR)
            held = store.read_stream(pid)
            elsewhere = Workflow(
                MemoryStore(), clock=FixedClock(pendulum.datetime(2025, 3, 2, tz="Asia/Shanghai"))
            )
            elsewhere.receive(_data("3"), actor=_ACTOR)
            elsewhere.file(pid, actor=_ACTOR)
            elsewhere.assign(pid, lead=_LEAD, actor=_ACTOR)
            theirs = list(elsewhere.history(pid)[2:])
            appends: dict[str, Callable[[], None]] = {
                "append": lambda: store.append(pid, 2, theirs),
                "append_streams": lambda: store.append_streams([(pid, 2, theirs)]),
            }
            for name, append in appends.items():
                conflict: ConcurrencyConflict | None = None
                try:
                    append()
                except ConcurrencyConflict as exc:
                    conflict = exc
                assert conflict is not None, (
                    f"{name} of events chained to another log must raise ConcurrencyConflict"
                )
                assert (conflict.proposal_id, conflict.expected, conflict.actual) == (pid, 2, 2)
            assert store.read_stream(pid) == held
            assert verify(store).ok
        finally:
            store.close()

    def test_events_that_do_not_chain_to_each_other_are_invalid_input_and_store_nothing(self) -> None:
        store, wf = self._with_store()
        try:
            pid = wf.receive(_data("4"), actor=_ACTOR).id
            first = store.read_stream(pid)[0]
            second = first._replace(version=2, prev_hash=first.hash, hash=b"\x01" * 32)
            wrong: dict[str, tuple[int, list[Any]]] = {  # the expected version, the events
                "a second event naming another hash": (1, [second, second._replace(version=3)]),
                "a second event in another algorithm": (
                    1,
                    [second, second._replace(version=3, prev_hash=second.hash, algorithm="sm3")],
                ),
                "a first event naming a hash before it": (
                    0,
                    [first._replace(stream_id="x", prev_hash=first.hash)],
                ),
                "a later event naming none": (1, [second._replace(prev_hash=b"")]),
            }
            for name, (expected, events) in wrong.items():
                message = ""
                try:
                    store.append(events[0].stream_id, expected, events)
                except InvalidInput as exc:
                    message = str(exc)
                assert "hash of the event before" in message, f"{name} must raise InvalidInput: {message}"
            assert [p.event for p in store.read_all()] == [first]
        finally:
            store.close()

    def test_global_positions_run_without_gaps_across_streams(self) -> None:
        store, wf = self._with_store()
        try:
            ids = [wf.receive(_data(str(n)), actor=_ACTOR).id for n in range(10, 15)]
            for pid in ids:
                wf.file(pid, actor=_ACTOR)
            positions = [p.position for p in store.read_all()]
            assert positions == list(range(1, 11))
            assert [p.position for p in store.read_all(after=4, limit=3)] == [5, 6, 7]
            assert list(store.stream_ids()) == ids
        finally:
            store.close()

    def test_a_merge_records_on_both_proposals_in_one_append(self) -> None:
        store, wf = self._with_store()
        try:
            kept = wf.receive(_data("70"), actor=_ACTOR).id
            merged = wf.receive(_data("71"), actor=_ACTOR).id
            wf.merge(merged, into=kept, actor=_ACTOR, command_id="m-1")
            found = store.find_command("m-1")
            assert [(e.stream_id, e.version, e.type) for e in found] == [
                (merged, 2, "ProposalMerged"),
                (kept, 2, "ItemMergedIn"),
            ]
            assert [p.position for p in store.read_all()] == [1, 2, 3, 4]
            fresh = self._workflow(store)
            assert (fresh.get(kept), fresh.get(merged)) == (wf.get(kept), wf.get(merged))
            assert verify(store).ok
        finally:
            store.close()

    def test_appends_to_several_streams_store_all_of_them_or_none(self) -> None:
        store, wf = self._with_store()
        try:
            first = wf.receive(_data("72"), actor=_ACTOR).id
            second = wf.receive(_data("73"), actor=_ACTOR).id
            # the same commands in another store make the same events: take each stream's second
            elsewhere = self._workflow(MemoryStore())
            for number in ("72", "73"):
                elsewhere.file(elsewhere.receive(_data(number), actor=_ACTOR).id, actor=_ACTOR)
            filed = [elsewhere.history(first)[1], elsewhere.history(second)[1]]
            wf.file(second, actor=_ACTOR)  # the second stream moves on: a stale version below
            conflict: ConcurrencyConflict | None = None
            try:
                store.append_streams([(first, 1, [filed[0]]), (second, 1, [filed[1]])])
            except ConcurrencyConflict as exc:
                conflict = exc
            assert conflict is not None, "a stale version of one stream must raise ConcurrencyConflict"
            assert (conflict.proposal_id, conflict.expected, conflict.actual) == (second, 1, 2)
            assert store.stream_version(first) == 1, "nothing of the other streams may be stored"
            assert len(list(store.read_all())) == 3
            store.append_streams([(first, 1, [filed[0]]), (second, 2, [])])  # a stream with no events
            assert store.read_stream(first) == list(elsewhere.history(first))
            assert [p.position for p in store.read_all()] == [1, 2, 3, 4]
            assert verify(store).ok
        finally:
            store.close()

    def test_concurrent_appends_to_one_stream_lose_nothing(self) -> None:
        store = self.make_store()
        try:
            wf = self._workflow(store)
            pid = wf.receive(_data("20"), actor=_ACTOR).id
            wf.assign(pid, lead=_LEAD, actor=_ACTOR)
            errors: list[BaseException] = []

            def remind() -> None:
                own = self._workflow(store)
                for _ in range(20):
                    try:
                        own.remind(pid, to=_LEAD, actor=_ACTOR)
                    except ConcurrencyConflict:
                        continue
                    except BaseException as exc:  # pragma: no cover - reported below
                        errors.append(exc)

            threads = [threading.Thread(target=remind) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == []
            history = self._workflow(store).history(pid)
            assert [e.version for e in history] == list(range(1, len(history) + 1))
            assert self._workflow(store).get(pid).reminders == len(history) - 2
            assert verify(store).ok
        finally:
            store.close()

    def test_reads_during_appends_see_only_whole_events(self) -> None:
        store = self.make_store()
        done = threading.Event()
        errors: list[BaseException] = []

        def write() -> None:
            try:
                own = self._workflow(store)
                for n in range(300):
                    pid = own.receive(_data(f"r{n}"), actor=_ACTOR).id
                    own.file(pid, actor=_ACTOR)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                done.set()

        switching = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
        writer = threading.Thread(target=write)
        try:
            writer.start()
            while not done.is_set() and not errors:
                try:
                    positions = [p.position for p in store.read_all()]
                    assert positions == list(range(1, len(positions) + 1)), "positions with a gap"
                    for stream_id in list(store.stream_ids())[-3:]:
                        events = store.read_stream(stream_id)
                        assert [e.version for e in events] == list(range(1, len(events) + 1))
                    store.heads()
                except BaseException as exc:
                    errors.append(exc)
            writer.join()
            sys.setswitchinterval(switching)
            assert errors == [], f"a read during appends failed: {errors[0]!r}"
            assert len(list(store.read_all())) == 600
            assert verify(store).ok
        finally:
            sys.setswitchinterval(switching)
            done.set()
            writer.join()
            store.close()

    def test_ids_not_every_store_can_keep_are_refused_and_found_nowhere(self) -> None:
        store, wf = self._with_store()
        try:
            pid = wf.receive(_data("50"), actor=_ACTOR).id
            first = store.read_stream(pid)[0]
            # a NUL (PostgreSQL's text holds none), GBK bytes decoded as if they were UTF-8, and an
            # id longer than PostgreSQL indexes
            for bad in ("A\x00B", "\udcb2\udce2", "长" * 501):
                for event in (first._replace(stream_id=bad), first._replace(stream_id="new", command_id=bad)):
                    try:
                        store.append(event.stream_id, 0, [event])
                    except InvalidInput:
                        pass
                    else:
                        raise AssertionError(
                            f"appending {event.stream_id!r}, {event.command_id!r} must be refused"
                        )
                assert store.read_stream(bad) == []
                assert store.stream_version(bad) == 0
                assert store.find_command(bad) == []
            assert [p.event for p in store.read_all()] == [first]
            assert verify(store).ok
        finally:
            store.close()

    def test_wrong_arguments_are_invalid_input_and_store_nothing(self) -> None:
        store, wf = self._with_store()
        try:
            pid = wf.receive(_data("60"), actor=_ACTOR).id
            event = store.read_stream(pid)[0]
            record = next(iter(store.records()))
            calls: dict[str, Any] = {
                "read_stream(5)": lambda: store.read_stream(5),  # type: ignore[arg-type]
                "read_stream(up_to=-1)": lambda: store.read_stream(pid, up_to=-1),
                "read_stream(up_to='2')": lambda: store.read_stream(pid, up_to="2"),  # type: ignore[arg-type]
                "stream_version(None)": lambda: store.stream_version(None),  # type: ignore[arg-type]
                "find_command(3)": lambda: store.find_command(3),  # type: ignore[arg-type]
                "read_all(after=-1)": lambda: store.read_all(after=-1),
                "read_all(after=None)": lambda: store.read_all(after=None),  # type: ignore[arg-type]
                "read_all(after=1.5)": lambda: store.read_all(after=1.5),  # type: ignore[arg-type]
                "read_all(limit=True)": lambda: store.read_all(limit=True),
                "read_all(limit='3')": lambda: store.read_all(limit="3"),  # type: ignore[arg-type]
                "records(after='z')": lambda: store.records(after="z"),  # type: ignore[arg-type]
                "append(3, ...)": lambda: store.append(3, 0, [event]),  # type: ignore[arg-type]
                "append(expected_version=-1)": lambda: store.append(pid, -1, [event]),
                "append(events='x')": lambda: store.append(pid, 1, "x"),  # type: ignore[arg-type]
                "append(events=[3])": lambda: store.append(pid, 1, [3]),  # type: ignore[list-item]
                "append_streams(None)": lambda: store.append_streams(None),  # type: ignore[arg-type]
                "append_streams([(pid, 1)])": lambda: store.append_streams([(pid, 1)]),  # type: ignore[list-item]
                "append_streams(one stream twice)": lambda: store.append_streams(
                    [(pid, 1, [event]), (pid, 1, [event])]
                ),
                "import_records(None)": lambda: store.import_records(None),  # type: ignore[arg-type]
                "import_records([record, 3])": lambda: store.import_records([record, 3]),  # type: ignore[list-item]
            }
            for name, call in calls.items():
                try:
                    call()
                except InvalidInput:
                    continue
                raise AssertionError(f"{name} must raise InvalidInput when called, not later or never")
            assert [p.event for p in store.read_all()] == [event]
            assert list(store.read_all(after=2**70)) == []  # beyond the end: nothing, not an overflow
            assert store.read_stream(pid, up_to=2**70) == [event]
        finally:
            store.close()

    def test_events_no_sealing_makes_are_invalid_input_and_store_nothing(self) -> None:
        store, wf = self._with_store()
        try:
            pid = wf.receive(_data("61"), actor=_ACTOR).id
            first = store.read_stream(pid)[0]
            good = first._replace(version=2, prev_hash=first.hash)
            loose: Any = good  # holds what a caller may put in, whatever the annotations say
            naive = _dt.datetime(2025, 3, 1, 9, 30)
            bad: list[tuple[str, Any]] = [  # the field the refusal names, the event
                ("occurred_at", loose._replace(occurred_at="2025-03-01")),
                ("occurred_at", loose._replace(occurred_at=naive)),
                ("recorded_at", loose._replace(recorded_at=naive)),
                ("payload", loose._replace(payload={"type": "ProposalFiled"})),
                ("actor", loose._replace(actor="市政协提案委")),
                ("command_id", loose._replace(command_id=7)),
                ("hash", loose._replace(hash=b"\x00" * 31)),
                ("hash", loose._replace(hash=first.hash_text)),
                ("prev_hash", loose._replace(prev_hash=b"\x00")),
                ("algorithm", loose._replace(algorithm="md5")),
            ]
            for field, event in bad:
                message = ""
                try:
                    store.append(pid, 1, [event])
                except InvalidInput as exc:
                    message = str(exc)
                assert message, f"an event with a wrong {field} must raise InvalidInput when appended"
                assert field in message, f"the refusal must name the {field}: {message}"
            # a bad event after a good one: the good one is not stored either
            for field, value in (("payload", {}), ("command_id", 7)):
                try:
                    store.append(pid, 1, [good, loose._replace(version=3, **{field: value})])
                except InvalidInput:
                    continue
                raise AssertionError(f"a batch holding an event with a wrong {field} must raise InvalidInput")
            assert store.stream_version(pid) == 1
            assert [p.event for p in store.read_all()] == [first]
            assert verify(store).ok
        finally:
            store.close()

    def test_records_verify_and_name_their_hashes(self) -> None:
        store, wf = self._with_store()
        try:
            pid = wf.receive(_data("30"), actor=_ACTOR).id
            wf.file(pid, actor=_ACTOR)
            records = list(store.records())
            assert [r.version for r in records] == [1, 2]
            assert records[1].prev_hash == records[0].hash
            heads: dict[str, Any] = store.heads()
            assert heads == {pid: (2, records[1].hash)}
            report = verify(store)
            assert report.ok
            assert (report.events, report.streams) == (2, 1)
        finally:
            store.close()

    def test_verify_passes_a_log_that_grows_while_it_runs(self) -> None:
        store, wf = self._with_store()
        try:
            first = wf.receive(_data("50"), actor=_ACTOR).id
            wf.assign(first, lead=_LEAD, actor=_ACTOR)
            other = self._workflow(store)
            numbers = iter(("51", "52"))

            def another_writer() -> None:  # a new event of a stream, and a new stream
                other.remind(first, to=_LEAD, actor=_ACTOR)
                other.receive(_data(next(numbers)), actor=_ACTOR)

            growing = _Growing(store, after_heads=another_writer, after_walk=another_writer)
            report = verify(growing)
            assert report.ok, f"a log that grew while verify() ran was reported damaged: {report}"
            assert (report.events, report.streams) == (4, 2)
            again = verify(store)
            assert again.ok, str(again)
            assert (again.events, again.streams) == (6, 3)
        finally:
            store.close()

    def test_verify_finds_every_event_an_anchor_names(self) -> None:
        store, wf = self._with_store()
        try:
            first = wf.receive(_data("60"), actor=_ACTOR).id
            wf.assign(first, lead=_LEAD, actor=_ACTOR)
            anchor = store.heads()
            wf.remind(first, to=_LEAD, actor=_ACTOR)  # the log grows after the anchor: still sound
            wf.receive(_data("61"), actor=_ACTOR)
            report = verify(store, anchor=anchor)
            assert report.ok, str(report)
            assert report.anchored == 1
            version, hash_text = anchor[first]
            forged = {first: (version, "sha256:" + "0" * 64)}  # an event the log does not hold
            report = verify(store, anchor=forged)
            problem = report.problem
            assert problem is not None, "an anchor naming an event the log does not hold passed"
            assert (problem.stream_id, problem.version) == (first, version), str(report)
            beyond = {first: (version + 5, hash_text)}  # a version the stream never reached
            problem = verify(store, anchor=beyond).problem
            assert problem is not None, "an anchor naming a version the stream never reached passed"
            assert (problem.stream_id, problem.version) == (first, version + 2)
        finally:
            store.close()

    def test_an_export_imports_into_an_empty_store_equal(self) -> None:
        import io

        from cohandle.stores import export_jsonl, import_jsonl

        source, wf = self._with_store()
        target = self.make_store()
        try:
            for n in ("40", "41"):
                pid = wf.receive(_data(n), actor=_ACTOR).id
                wf.assign(pid, lead=_LEAD, actor=_ACTOR)
            merged = wf.receive(_data("42"), actor=_ACTOR).id
            wf.merge(merged, into=pid, actor=_ACTOR, command_id="m-42")  # an event on each
            buffer = io.BytesIO()
            assert export_jsonl(source, buffer) == 7
            buffer.seek(0)
            report = import_jsonl(target, buffer)
            assert (report.events, report.streams) == (7, 3)
            assert [p.event for p in target.read_all()] == [p.event for p in source.read_all()]
            assert list(target.records()) == list(source.records())
            assert target.find_command("m-42") == source.find_command("m-42")  # a retry's lookup
            assert verify(target).ok
            buffer.seek(0)
            from cohandle.stores import ImportRefused

            refused: ImportRefused | None = None
            try:
                import_jsonl(target, buffer)
            except ImportRefused as exc:
                refused = exc
            assert refused is not None, "importing streams the store has must be refused"
            assert refused.line == 1
            assert len(list(target.read_all())) == 7
        finally:
            source.close()
            target.close()

    def test_an_imported_record_is_given_back_as_it_came(self) -> None:
        """A record whose text is not what cohandle writes now (names with spaces around them,
        which the model takes away, and times with an offset, which it keeps in UTC) imports,
        reads back as its event, and exports byte for byte as it came: its hash covers that
        text."""
        import hashlib
        import io
        import json

        from cohandle._events import canonical_bytes
        from cohandle.stores import export_jsonl, import_jsonl
        from cohandle.stores._integrity import body_bytes

        source, wf = self._with_store()
        target = self.make_store()
        try:
            wf.receive(_data("42"), actor=_ACTOR)
            buffer = io.BytesIO()
            export_jsonl(source, buffer)
            line = json.loads(buffer.getvalue())
            line["payload"]["proposal"]["title"] = " 测试提案 "
            line["actor"]["name"] = "测 试 员"
            for key in ("occurred_at", "recorded_at"):
                line[key] = _dt.datetime.fromisoformat(line[key]).astimezone(_SHANGHAI).isoformat()
            record = StoredRecord(
                **{key: value for key, value in line.items() if key not in ("payload", "actor")},
                position=1,
                payload=canonical_bytes(line["payload"]).decode(),
                actor=canonical_bytes(line["actor"]).decode(),
            )
            line["hash"] = "sha256:" + hashlib.sha256(body_bytes(record)).hexdigest()
            written = canonical_bytes(line) + b"\n"
            assert import_jsonl(target, io.BytesIO(written)).events == 1
            [event] = target.read_stream(record.stream_id)
            [original] = source.read_stream(record.stream_id)
            assert (event.payload, event.actor, event.occurred_at, event.recorded_at) == (
                original.payload,
                original.actor,
                original.occurred_at,
                original.recorded_at,
            )
            assert event.hash_text == line["hash"]
            again = io.BytesIO()
            export_jsonl(target, again)
            assert again.getvalue() == written
            assert verify(target).ok
        finally:
            source.close()
            target.close()
