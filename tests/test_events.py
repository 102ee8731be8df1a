"""Events: every type round-trips through JSON; the hash chain; replay; upcasting."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import itertools
import json
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cohandle
from cohandle import (
    EVENT_TYPES,
    AssignmentMode,
    ChainBroken,
    RecordedEvent,
    Satisfaction,
    SchemaError,
    Status,
    event_from_record,
    hash_event,
    replay,
)
from cohandle._clock import SHANGHAI, utc
from cohandle._events import canonical_json, format_time, register_upcaster
from cohandle.deadlines import preset
from cohandle.stores import MemoryStore, SQLiteStore, export_jsonl, import_jsonl
from helpers import (
    A_CO1,
    A_CO2,
    A_COMMITTEE,
    A_LEAD,
    A_PROPOSER,
    CO2,
    LEAD,
    PROPOSERS,
    SPARE,
    START,
    SUPERVISOR,
    bring_to,
    feedback,
    opinion,
    receive,
    reply,
    workflow,
)


def every_kind_of_event() -> list[RecordedEvent]:
    """A log in which every event type occurs at least once."""
    wf = workflow(policy=preset("generic"))
    events: list[RecordedEvent] = []
    pid = bring_to(wf, Status.NOT_FILED)
    events += wf.history(pid)
    pid = bring_to(wf, Status.MERGED)
    events += wf.history(pid)
    merged_into = wf.get(pid).merged_into
    assert merged_into is not None
    events += wf.history(merged_into)
    pid = bring_to(wf, Status.WITHDRAWN)
    events += wf.history(pid)
    pid = receive(wf)
    wf.file(pid, actor=A_COMMITTEE)
    wf.mark_key(pid, supervisor=SUPERVISOR, actor=A_COMMITTEE)
    wf.assign(pid, lead=LEAD, co_handlers=[cohandle.Unit(name="湖北省知识产权局"), CO2], actor=A_COMMITTEE)
    wf.sign_for(pid, actor=A_LEAD)
    wf.request_reassignment(pid, reason="职责不符", actor=A_CO2)
    wf.decide_reassignment(pid, unit=CO2, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    wf.submit_opinion(pid, opinion=opinion(), actor=A_CO1)
    wf.return_opinion(pid, unit=opinion().author, reason="请补充", actor=A_LEAD)
    wf.submit_opinion(pid, opinion=opinion(), actor=A_CO1)
    wf.excuse_co_handler(pid, unit=SPARE, reason="不再涉及", actor=A_COMMITTEE)
    wf.policy = preset("chongqing-2017")  # its rules count the open deadlines otherwise
    wf.revise_deadlines(pid, reason="改用新的办理规则", actor=A_COMMITTEE)
    wf.policy = preset("generic")
    wf.extend(pid, until="2025-08-29", approval="批准", reason="情况复杂", actor=A_COMMITTEE)
    wf.remind(pid, to=LEAD, actor=A_COMMITTEE)
    wf.record_contact(pid, method=cohandle.ContactMethod.MEETING, actor=A_LEAD)
    wf.consolidate(pid, actor=A_LEAD)
    wf.countersign(pid, note="同意", actor=A_CO1)
    wf.answer(pid, reply=reply(), actor=A_LEAD)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(pid, reason="不满意", actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(category="A"), actor=A_LEAD)
    wf.remind(pid, to=cohandle.PROPOSER_PARTY, actor=A_COMMITTEE, note="请反馈意见")
    wf.record_feedback(pid, feedback=feedback(), actor=A_PROPOSER)
    wf.close(pid, actor=A_LEAD)
    wf.remind(pid, to=LEAD, actor=A_COMMITTEE, note="请公开答复")
    wf.publish(pid, actor=A_LEAD, url="https://example.gov.cn/1")
    wf.report_implementation(pid, report="已建成并投入使用", category="A", actor=A_LEAD)
    wf.review_reply(pid, category="B", note="按B类统计", actor=A_COMMITTEE)
    events += wf.history(pid)
    return events


EVENTS = every_kind_of_event()


def test_the_sample_log_covers_every_event_type() -> None:
    assert {e.type for e in EVENTS} == set(EVENT_TYPES)


def test_every_event_type_is_named_as_officials_name_it() -> None:
    labels = {e.type: e.label for e in EVENTS}
    assert all(label and label != kind for kind, label in labels.items())
    assert len(set(labels.values())) == len(labels)  # no two types read alike
    assert (labels["ProposalAssigned"], labels["OpinionSubmitted"], labels["ReplySent"]) == (
        "交办",
        "会办意见",
        "答复",
    )


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: f"{e.type}-{e.version}")
def test_every_event_round_trips_through_json(event: RecordedEvent) -> None:
    line = json.dumps(event.to_dict(), ensure_ascii=False)
    back = event_from_record(json.loads(line))
    assert back == event
    assert hash_event(back) == event.hash


def test_canonical_json_is_sorted_compact_and_refuses_nan() -> None:
    assert canonical_json({"b": 1, "a": "中"}) == '{"a":"中","b":1}'
    with pytest.raises(cohandle.InvalidInput, match="canonical JSON"):
        canonical_json({"x": 2**70})


def test_times_are_stored_in_utc_with_z() -> None:
    record = EVENTS[0].to_dict()
    assert record["occurred_at"].endswith("Z")
    assert record["recorded_at"] == "2025-03-01T01:00:00.000000Z"


@given(
    st.datetimes(
        min_value=datetime.datetime(1, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.sampled_from([datetime.UTC, SHANGHAI, datetime.timezone(datetime.timedelta(hours=-5))]),
    ),
    st.lists(st.integers(min_value=-90_000_000, max_value=90_000_000), min_size=1, max_size=8),
)
def test_a_stored_time_is_its_utc_instant_to_the_microsecond(
    start: datetime.datetime, offsets: list[int]
) -> None:
    # times of one second share their text up to the microseconds; each must still be its own
    for offset in offsets:
        moment = start + datetime.timedelta(microseconds=offset)
        expected = moment.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
        assert format_time(moment) == format_time(utc(moment)) == expected + "Z"


def test_each_event_names_the_hash_before_it() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.CLOSED)
    history = wf.history(pid)
    assert history[0].prev_hash == b""
    for before, after in itertools.pairwise(history):
        assert after.prev_hash == before.hash
        assert after.hash_text.startswith("sha256:") and len(after.hash) == 32
        assert hash_event(after) == after.hash


def test_sm3_chains_when_openssl_has_it() -> None:
    try:
        wf = workflow(hash_algorithm="sm3")
    except cohandle.InvalidInput:
        pytest.skip("this Python's OpenSSL has no SM3")
    pid = receive(wf)
    event = wf.history(pid)[0]
    assert event.hash_text.startswith("sm3:") and hash_event(event) == event.hash


@pytest.fixture
def sm3_log(tmp_path: Path) -> tuple[Path, str, str]:
    """A SQLite log of a proposal whose events are hashed with SM3 and one whose are hashed with
    SHA-256, both assigned, and an export of it beside it; the log and the two proposals."""
    try:
        cohandle.Workflow(hash_algorithm="sm3")
    except cohandle.InvalidInput:
        pytest.skip("this Python's OpenSSL has no SM3")
    path = tmp_path / "log.db"
    with cohandle.Workflow.open(path, clock=cohandle.FixedClock(START), hash_algorithm="sm3") as wf:
        sm3 = bring_to(wf, Status.ASSIGNED)
        wf.hash_algorithm = "sha256"
        sha256 = bring_to(wf, Status.ASSIGNED)
        export_jsonl(wf.store, tmp_path / "log.jsonl")
    return path, sm3, sha256


def without_sm3(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's hashlib as on a Python whose OpenSSL lacks SM3 (built without it, or in
    FIPS mode): ``hashlib.new("sm3")`` raises ``ValueError``."""
    real = hashlib.new

    def new(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.lower() == "sm3":
            raise ValueError(f"unsupported hash type {name}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(hashlib, "new", new)
    monkeypatch.setattr(cohandle._events, "_HASHERS", {})


def test_a_log_hashed_with_sm3_where_python_lacks_it_is_read_and_never_called_damaged(
    sm3_log: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, ``verify()`` reported such a log damaged at its first SM3 event, and a command on
    an SM3 proposal was refused as if the caller had asked for SM3 ("use 'sha256'")."""
    path, sm3, sha256 = sm3_log
    without_sm3(monkeypatch)
    cannot = (
        rf"^The events of proposal {re.escape(repr(sm3))} are hashed with SM3, which this Python's "
        r"OpenSSL does not provide \(it was built without it, or runs in FIPS mode\), so they "
        r"cannot be (checked|added to) here: use a Python whose OpenSSL provides SM3; nothing was "
        r"changed\.$"
    )
    with cohandle.Workflow.open(path, clock=cohandle.FixedClock(START)) as wf:
        assert wf.get(sm3).status is Status.ASSIGNED  # reading needs no digest
        with pytest.raises(cohandle.SchemaError, match=cannot.replace("(checked|added to)", "checked")):
            wf.verify()
        with pytest.raises(cohandle.SchemaError, match=cannot.replace("(checked|added to)", "added to")):
            wf.remind(sm3, to=LEAD, actor=A_COMMITTEE)
        assert wf.store.stream_version(sm3) == 3
        with pytest.raises(cohandle.SchemaError, match=cannot.replace("(checked|added to)", "checked")):
            hash_event(wf.history(sm3)[0])
        assert wf.remind(sha256, to=LEAD, actor=A_COMMITTEE).version == 4  # SHA-256 chains go on
        store = MemoryStore()
        with pytest.raises(cohandle.SchemaError, match=cannot.replace("(checked|added to)", "checked")):
            import_jsonl(store, path.parent / "log.jsonl")
        assert list(store.stream_ids()) == []


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_proposals_chain_keeps_its_algorithm_when_a_workflow_hashes_with_another(
    kind: str, tmp_path: Path
) -> None:
    """A log moving to SM3 (国密), or two servers set differently: a proposal's chain goes on in
    the algorithm it began with, and new proposals take the workflow's. Before, a SHA-256 chain
    continued by an SM3 workflow named its previous hash as ``sm3:`` and ``verify()`` took
    the log for damaged."""
    try:
        cohandle.Workflow(hash_algorithm="sm3")
    except cohandle.InvalidInput:
        pytest.skip("this Python's OpenSSL has no SM3")
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "log.db")
    old = cohandle.Workflow(store, clock=cohandle.FixedClock(START))
    new = cohandle.Workflow(store, clock=cohandle.FixedClock(START), hash_algorithm="sm3")
    before = bring_to(old, Status.ASSIGNED)
    after = receive(new)
    new.submit_opinion(before, opinion=opinion(), actor=A_CO1)
    old.submit_opinion(before, opinion=opinion(author=CO2), actor=A_CO2)
    old.file(after, actor=A_COMMITTEE)
    old.hash_algorithm = "sm3"  # the same workflow, set to SM3 from now on
    old.consolidate(before, actor=A_LEAD)
    new.assign(after, lead=LEAD, actor=A_COMMITTEE)
    for pid, algorithm in ((before, "sha256"), (after, "sm3")):
        history = new.history(pid)
        assert {e.hash_text.split(":")[0] for e in history} == {algorithm}
        for earlier, later in itertools.pairwise(history):
            assert later.prev_hash == earlier.hash and hash_event(later) == later.hash
        assert replay(history) == new.get(pid) == old.get(pid)
        assert new.get(pid).last_hash_algorithm == algorithm
    assert {r.prev_hash.split(":")[0] for r in store.records() if r.prev_hash} == {"sha256", "sm3"}
    report = new.verify()
    assert report.ok, str(report)
    store.close()


def test_unknown_hash_algorithm_is_refused() -> None:
    with pytest.raises(cohandle.InvalidInput, match="hash_algorithm"):
        workflow(hash_algorithm="md5")


def test_replay_equals_the_live_state() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.CLOSED, AssignmentMode.SEPARATE)
    assert replay(wf.history(pid)) == wf.get(pid)


def test_replay_refuses_a_gap() -> None:
    wf = workflow()
    history = list(wf.history(bring_to(wf, Status.CLOSED)))
    del history[3]
    with pytest.raises(ChainBroken, match="version 4: the next event found is version 5"):
        replay(history)


def test_replay_refuses_reordered_events() -> None:
    wf = workflow()
    history = list(wf.history(bring_to(wf, Status.CLOSED)))
    history[2], history[3] = history[3], history[2]
    with pytest.raises(ChainBroken):
        replay(history)


def test_replay_refuses_an_event_from_another_chain() -> None:
    wf = workflow()
    history = list(wf.history(bring_to(wf, Status.CLOSED)))
    history[4] = history[4]._replace(prev_hash=bytes(32))
    with pytest.raises(ChainBroken, match="does not name the hash"):
        replay(history)


def test_replay_refuses_a_stream_that_does_not_start_with_receipt() -> None:
    wf = workflow()
    history = list(wf.history(bring_to(wf, Status.CLOSED)))
    with pytest.raises(ChainBroken, match="not ProposalReceived"):
        replay(history[1:])
    with pytest.raises(ValueError, match="at least one event"):
        replay([])


def test_altered_content_is_found_by_recomputing_the_hash() -> None:
    wf = workflow()
    event = wf.history(bring_to(wf, Status.ASSIGNED))[2]
    record = event.to_dict()
    record["payload"]["note"] = "改过"
    altered = event_from_record(record)
    assert hash_event(altered) != altered.hash


def _record() -> dict[str, Any]:
    return EVENTS[0].to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(type="Nonsense"), "Unknown event type 'Nonsense'"),
        (lambda r: r.update(schema=99), "newer than the 1"),
        (lambda r: r.update(schema=0), "whole number"),
        (lambda r: r.update(version="1"), "versions are whole numbers"),
        (lambda r: r.pop("hash"), "missing: hash"),
        (lambda r: r.update(extra=1), "unexpected: extra"),
        (lambda r: r.update(occurred_at="yesterday"), "ISO-8601"),
        (lambda r: r.update(occurred_at="2025-01-01T00:00:00"), "no time zone"),
        (lambda r: r["payload"].update(surprise=True), "unexpected field.*surprise"),
        (lambda r: r["payload"]["proposal"].update(title=""), "valid data"),
        (lambda r: r["payload"]["proposal"].update(title=float("nan")), "NaN"),
        (lambda r: r["payload"]["proposal"]["proposers"].append([{"x": float("inf")}]), "an infinity"),
        (  # mappings other than dicts are looked into too
            lambda r: r.update(
                payload=types.MappingProxyType(
                    {**r["payload"], "proposal": types.MappingProxyType({"title": float("-inf")})}
                )
            ),
            "an infinity",
        ),
        (lambda r: r.update(payload=[]), "payload must be a JSON object"),
        (lambda r: r.update(actor={"name": 3}), "actor"),
        (lambda r: r.update(command_id=5), "command_id"),
    ],
)
def test_bad_records_raise_schema_errors(change: Any, message: str) -> None:
    record = _record()
    change(record)
    with pytest.raises(SchemaError, match=message):
        event_from_record(record)


def test_a_record_must_be_an_object() -> None:
    with pytest.raises(SchemaError, match="JSON object"):
        event_from_record([])  # type: ignore[arg-type]


@contextlib.contextmanager
def registered(kind: type[cohandle.Event]) -> Iterator[None]:
    """A test's own event type, known for the ``with`` block only, with its upcasters."""
    cohandle.EVENT_TYPES[kind.TYPE] = kind
    try:
        yield
    finally:
        del cohandle.EVENT_TYPES[kind.TYPE]
        for key in [key for key in cohandle._events._UPCASTERS if key[0] == kind.TYPE]:
            del cohandle._events._UPCASTERS[key]


def test_upcasters_turn_old_payloads_into_the_present_shape() -> None:
    @attrs.frozen(kw_only=True)
    class ReminderV2(cohandle.Event):
        TYPE = "TestReminderV2"
        SCHEMA = 2
        to: str
        channel: str

    with registered(ReminderV2):

        @register_upcaster("TestReminderV2", 1)
        def add_channel(old: dict[str, Any]) -> dict[str, Any]:
            return {**old, "channel": "letter"}

        event = cohandle._events.event_from_dict("TestReminderV2", 1, {"to": "省科技厅"})
        assert event == ReminderV2(to="省科技厅", channel="letter")
        with pytest.raises(SchemaError, match="No upcaster"):
            cohandle._events._UPCASTERS.pop(("TestReminderV2", 1))
            cohandle._events.event_from_dict("TestReminderV2", 1, {"to": "省科技厅"})


@pytest.mark.parametrize(
    ("event_type", "from_schema", "said"),
    [
        ("NoSuchEvent", 1, "event_type must name a registered event type"),
        (5, 1, "event_type must name a registered event type"),
        ("ProposalFiled", 0, "from_schema must be a whole number from 1"),
        ("ProposalFiled", "1", "from_schema must be a whole number from 1"),
        ("ProposalFiled", 1, "from_schema must be older than ProposalFiled's present schema, 1"),
    ],
)
def test_an_upcaster_that_could_never_run_is_refused(event_type: Any, from_schema: Any, said: str) -> None:
    with pytest.raises(cohandle.InvalidInput, match=re.escape(said)):
        register_upcaster(event_type, from_schema)


def test_an_upcaster_that_fails_on_a_stored_payload_is_a_schema_error() -> None:
    @attrs.frozen(kw_only=True)
    class NoteV2(cohandle.Event):
        TYPE = "TestNoteV2"
        SCHEMA = 2
        text: str

    with registered(NoteV2):
        with pytest.raises(cohandle.InvalidInput, match="upcaster must be a function"):
            register_upcaster("TestNoteV2", 1)("not a function")  # type: ignore[arg-type]

        @register_upcaster("TestNoteV2", 1)
        def strict(old: dict[str, Any]) -> dict[str, Any]:
            return {"text": old["body"]}  # a KeyError for a payload without a body

        with pytest.raises(SchemaError, match=r"upcaster of TestNoteV2 schema 1 failed .*KeyError\('body'\)"):
            cohandle._events.event_from_dict("TestNoteV2", 1, {"text": "已阅"})
        register_upcaster("TestNoteV2", 1)(lambda old: [old])  # type: ignore[arg-type,return-value]
        with pytest.raises(SchemaError, match=r"returned .* a list, not a payload"):
            cohandle._events.event_from_dict("TestNoteV2", 1, {"text": "已阅"})


def test_proposers_and_units_survive_the_round_trip_exactly() -> None:
    first = EVENTS[0]
    assert isinstance(first.payload, cohandle.ProposalReceived)
    assert first.payload.proposal.proposer_names == PROPOSERS
    assert first.actor == A_COMMITTEE


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_surrogate(v) for v in value)
    return False


@given(JSON_VALUES)
def test_canonical_json_is_the_standard_library_text(value: Any) -> None:
    if has_surrogate(value):  # text that is not valid Unicode cannot be stored as UTF-8
        with pytest.raises(cohandle.InvalidInput):
            canonical_json(value)
        return
    assert canonical_json(value) == json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def test_event_types_may_not_hold_floats() -> None:
    @attrs.frozen(kw_only=True)
    class Measured(cohandle.Event):
        ratio: float

    with pytest.raises(cohandle.InvalidInput, match="events hold no floats"):
        cohandle._events.register_event(Measured)
