"""The generated codecs agree with the cattrs converter, and never take what it refuses."""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohandle import Actor, RecordedEvent, SchemaError, Session, Unit
from cohandle._clock import utc
from cohandle._codec import iso_date, make_structure
from cohandle._events import (
    EVENT_TYPES,
    Event,
    OpinionSubmitted,
    _structurer,
    body_bytes,
    canonical_bytes,
    converter,
    event_from_dict,
    event_to_dict,
    parse_time,
    payload_json,
    record_of,
    register_event,
    seal_body,
    stored_form,
)
from cohandle._model import Body, Level, Section
from test_events import EVENTS

PAYLOADS = {event.type: event.payload for event in EVENTS}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_the_generated_json_form_is_the_converters(name: str) -> None:
    payload = PAYLOADS[name]
    assert canonical_bytes(event_to_dict(payload)) == canonical_bytes(converter.unstructure(payload))


def _standard_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _keys_in_order(data: Any) -> bool:
    if isinstance(data, dict):
        return list(data) == sorted(data) and all(_keys_in_order(v) for v in data.values())
    if isinstance(data, list):
        return all(_keys_in_order(v) for v in data)
    return True


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_a_payloads_text_is_the_standard_libraries_canonical_json(name: str) -> None:
    """The generated form writes every mapping with its keys in order, so its text is written
    without sorting: it must still be what ``json.dumps(sort_keys=True)`` gives."""
    payload = PAYLOADS[name]
    assert _keys_in_order(event_to_dict(payload))
    assert payload_json(payload) == _standard_json(converter.unstructure(payload))


def test_nested_lists_of_values_are_written_whole() -> None:
    opinion = next(p for p in PAYLOADS.values() if isinstance(p, OpinionSubmitted)).opinion
    inner = Section(heading="（一）", text="细则。", subsections=(Section(text="更细。"),))
    nested = attrs.evolve(opinion, sections=(Section(text="总述。", subsections=(inner,)),))
    payload = OpinionSubmitted(opinion=nested)
    data = event_to_dict(payload)
    assert data["opinion"]["sections"][0]["subsections"][0]["subsections"][0]["text"] == "更细。"
    assert payload_json(payload) == _standard_json(converter.unstructure(payload))


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_the_generated_reading_gives_back_the_same_event(name: str) -> None:
    payload = PAYLOADS[name]
    data = event_to_dict(payload)
    assert _structurer(type(payload))(data) == payload == converter.structure(data, type(payload))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.just("2025-03-01"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_the_generated_reading_never_takes_what_the_converter_refuses(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(PAYLOADS)))
    payload = PAYLOADS[name]
    cls = type(payload)
    document: Any = copy.deepcopy(event_to_dict(payload))
    path = data.draw(st.sampled_from(_paths(document)))
    change = data.draw(st.sampled_from(["replace", "delete", "add"]))
    value = data.draw(json_values)
    if not path:
        document = value if change == "replace" else document
    else:
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if change == "replace":
            parent[path[-1]] = value
        elif change == "delete":
            del parent[path[-1]]
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]]["unexpected"] = value
    fresh = make_structure(cls, parse_time)  # no interned values from other examples
    try:
        mine = fresh(document)
    except Exception:
        return  # refusing is always allowed: the converter decides then
    assert converter.structure(document, cls) == mine


def test_small_values_are_read_once_and_shared() -> None:
    read_unit = _structurer(Unit)
    first = read_unit({"name": "省科技厅", "code": None})
    assert read_unit({"name": "省科技厅", "code": None}) is first
    assert read_unit({"name": "省科技厅", "code": "A1"}).code == "A1"


def test_a_shared_value_is_not_handed_out_for_a_value_of_another_type() -> None:
    read = _structurer(Session)
    session = read({"body": "cppcc", "level": "province", "region": "湖北省", "term": 1, "meeting": 1})
    assert session == Session(body=Body.CPPCC, level=Level.PROVINCE, region="湖北省", term=1, meeting=1)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the generated reading refuses; which error is immaterial
        read({"body": "cppcc", "level": "province", "region": "湖北省", "term": True, "meeting": 1})


def test_a_refused_reading_still_gets_the_converters_explanation() -> None:
    with pytest.raises(SchemaError, match="proposer"):
        event_from_dict("FeedbackRecorded", 1, {"feedback": {"satisfaction": "satisfied"}})


def test_actors_round_trip_through_the_generated_reading() -> None:
    actor = Actor(name="王芳", unit=Unit(name="省政协提案委员会"))
    assert _structurer(Actor)(converter.unstructure(actor)) == actor


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: f"{e.type}-{e.version}")
def test_the_joined_body_is_the_canonical_text_of_the_mapping(event: RecordedEvent) -> None:
    mapping = event.to_dict()
    del mapping["hash"]
    joined = body_bytes(record_of(event))
    assert joined == canonical_bytes(mapping)
    assert hashlib.new(event.algorithm, joined).digest() == event.hash


ids = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)
moments = st.datetimes(
    min_value=datetime.datetime(1, 1, 1),
    max_value=datetime.datetime(9999, 12, 31),
    timezones=st.just(datetime.UTC),
)


@settings(max_examples=300)
@given(
    event=st.sampled_from(EVENTS),
    stream_id=ids,
    command_id=st.none() | ids,
    version=st.integers(min_value=1, max_value=2**31 - 1),
    occurred_at=moments,
    recorded_at=moments,
    prev_hash=st.sampled_from([b"", bytes(range(32))]),
)
def test_sealing_writes_the_body_a_store_reads_back(
    event: RecordedEvent,
    stream_id: str,
    command_id: str | None,
    version: int,
    occurred_at: datetime.datetime,
    recorded_at: datetime.datetime,
    prev_hash: bytes,
) -> None:
    # sealing quotes its own timestamps and hash without an encoder, and writes each type's
    # frame once; what it hashes must be what verify() rebuilds from the stored text
    sealed, texts = seal_body(
        stream_id,
        version,
        event.payload,
        utc(occurred_at),
        utc(recorded_at),
        event.actor,
        command_id,
        prev_hash,
        "sha256",
    )
    joined = body_bytes(stored_form(sealed, texts))
    assert joined == canonical_bytes({k: v for k, v in sealed.to_dict().items() if k != "hash"})
    assert hashlib.sha256(joined).digest() == sealed.hash


def test_an_event_type_with_fields_the_generator_does_not_know_uses_the_converter() -> None:
    @attrs.frozen(kw_only=True)
    class Tagged(Event):
        TYPE = "TestTagged"
        tags: dict[str, str]
        note: str = ""

    register_event(Tagged, "TestTagged")
    try:
        event = Tagged(tags={"领域": "科技", "a": "b"}, note="x")
        data = event_to_dict(event)
        assert data == {"tags": {"领域": "科技", "a": "b"}, "note": "x"}
        assert payload_json(event) == _standard_json(data)  # the converter's mappings get sorted
        assert event_from_dict("TestTagged", 1, data) == event
        with pytest.raises(SchemaError, match="tags"):
            event_from_dict("TestTagged", 1, {"tags": ["not", "a", "mapping"]})
    finally:
        del EVENT_TYPES["TestTagged"]


@settings(max_examples=200)
@given(st.lists(st.dates(), min_size=1, max_size=20))
def test_a_dates_text_is_its_isoformat_however_often_it_is_written(days: list[datetime.date]) -> None:
    for day in days + days[::-1]:
        for value in (day, pendulum.Date(day.year, day.month, day.day)):
            assert iso_date(value) == day.isoformat()


def test_the_kept_dates_texts_stay_few() -> None:
    start = datetime.date(2000, 1, 1)
    for offset in range(5_000):
        day = start + datetime.timedelta(days=offset)
        assert iso_date(day) == day.isoformat()
    assert iso_date.cache_info().currsize <= 4096


@settings(max_examples=300)
@given(
    st.datetimes(
        min_value=datetime.datetime(1900, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [
                datetime.UTC,
                datetime.timezone(datetime.timedelta(hours=8)),
                datetime.timezone(-datetime.timedelta(hours=5, minutes=30)),
            ]
        ),
    ),
    st.booleans(),
)
def test_a_stored_time_reads_back_as_the_same_instant_in_utc(moment: datetime.datetime, zulu: bool) -> None:
    text = moment.isoformat()
    if zulu and moment.utcoffset() == datetime.timedelta(0):
        text = text.replace("+00:00", "Z")  # as cohandle writes it
    read = parse_time(text)
    assert read == moment
    assert isinstance(read, pendulum.DateTime) and read.tzinfo is pendulum.UTC and read.fold == 0
    assert (read.year, read.month, read.day, read.hour, read.minute, read.second, read.microsecond) == (
        *moment.astimezone(datetime.UTC).timetuple()[:6],
        moment.microsecond,
    )
    with pytest.raises(SchemaError, match="no time zone"):
        parse_time(moment.replace(tzinfo=None).isoformat())
