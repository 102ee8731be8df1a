"""Events: frozen facts in the past tense, the envelope that records them, and their JSON form.

An event class holds only the domain payload. :class:`RecordedEvent` is the envelope: stream
(proposal) id, version, business time and recording time, actor, command id and the hash that
chains it to the previous event of its stream.

The canonical JSON form (sorted keys, no spaces, UTF-8, timestamps in UTC with a ``Z``) is what
the hash covers and what stores keep, so a log can be checked byte for byte years later.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import attrs
import cattrs
import pendulum

from cohandle._errors import InvalidInput, SchemaError
from cohandle._model import (
    Actor,
    AssignmentMode,
    CategoryScheme,
    Feedback,
    Opinion,
    ProposalData,
    Reply,
    Unit,
)

__all__ = [
    "EVENT_TYPES",
    "CoHandlerExcused",
    "DeadlineExtended",
    "Event",
    "FeedbackRecorded",
    "OpinionReturned",
    "OpinionSubmitted",
    "OpinionsConsolidated",
    "ProposalAssigned",
    "ProposalClosed",
    "ProposalFiled",
    "ProposalMarkedKey",
    "ProposalMerged",
    "ProposalReceived",
    "ProposalRejected",
    "ProposalWithdrawn",
    "ReassignmentDecided",
    "ReassignmentRequested",
    "RecordedEvent",
    "RehandlingOrdered",
    "ReminderIssued",
    "ReplyPublished",
    "ReplySent",
    "canonical_json",
    "event_from_dict",
    "event_to_dict",
    "hash_event",
    "register_upcaster",
]

UTC = pendulum.UTC
HASH_ALGORITHMS = ("sha256", "sm3")


class Event:
    """Base of every event payload. Subclasses are frozen attrs classes named in past tense."""

    TYPE: ClassVar[str]
    SCHEMA: ClassVar[int] = 1

    __slots__ = ()


E = TypeVar("E", bound=type[Event])
EVENT_TYPES: dict[str, type[Event]] = {}


def _event(cls: E) -> E:
    cls.TYPE = cls.__name__
    EVENT_TYPES[cls.TYPE] = cls
    return cls


@_event
@attrs.frozen(kw_only=True)
class ProposalReceived(Event):
    proposal: ProposalData
    assigning_body: Unit
    category_scheme: CategoryScheme


@_event
@attrs.frozen(kw_only=True)
class ProposalFiled(Event):
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ProposalRejected(Event):
    reason: str
    forwarded_to: Unit | None = None


@_event
@attrs.frozen(kw_only=True)
class ProposalMerged(Event):
    into: str
    reason: str = ""


@_event
@attrs.frozen(kw_only=True)
class ProposalAssigned(Event):
    mode: AssignmentMode
    lead: Unit | None = None
    co_handlers: tuple[Unit, ...] = ()
    handlers: tuple[Unit, ...] = ()
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ReassignmentRequested(Event):
    unit: Unit
    reason: str


@_event
@attrs.frozen(kw_only=True)
class ReassignmentDecided(Event):
    unit: Unit
    approved: bool
    replacement: Unit | None = None
    reason: str = ""


@_event
@attrs.frozen(kw_only=True)
class OpinionSubmitted(Event):
    opinion: Opinion


@_event
@attrs.frozen(kw_only=True)
class OpinionReturned(Event):
    unit: Unit
    reason: str


@_event
@attrs.frozen(kw_only=True)
class CoHandlerExcused(Event):
    unit: Unit
    reason: str


@_event
@attrs.frozen(kw_only=True)
class OpinionsConsolidated(Event):
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ReplySent(Event):
    reply: Reply


@_event
@attrs.frozen(kw_only=True)
class FeedbackRecorded(Event):
    proposer: str
    feedback: Feedback


@_event
@attrs.frozen(kw_only=True)
class RehandlingOrdered(Event):
    reason: str


@_event
@attrs.frozen(kw_only=True)
class ProposalClosed(Event):
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ProposalWithdrawn(Event):
    signed_by: tuple[str, ...]
    reason: str


@_event
@attrs.frozen(kw_only=True)
class DeadlineExtended(Event):
    until: pendulum.Date
    approval: str
    reason: str


@_event
@attrs.frozen(kw_only=True)
class ReminderIssued(Event):
    to: Unit
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ProposalMarkedKey(Event):
    supervisor: Unit | None = None
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ReplyPublished(Event):
    unit: Unit
    url: str | None = None


@attrs.frozen(kw_only=True)
class RecordedEvent:
    """One event as recorded in a proposal's stream."""

    stream_id: str
    version: int
    payload: Event
    occurred_at: pendulum.DateTime
    recorded_at: pendulum.DateTime
    actor: Actor
    command_id: str | None
    prev_hash: str
    hash: str

    @property
    def type(self) -> str:
        return self.payload.TYPE

    @property
    def schema_version(self) -> int:
        return self.payload.SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping of this event, hash included (one JSON Lines record)."""
        data = _body(self)
        data["hash"] = self.hash
        return data


# ---------------------------------------------------------------------------------------------
# JSON form


def format_time(moment: _dt.datetime) -> str:
    if moment.utcoffset():
        moment = moment.astimezone(_dt.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S.%f}Z"


def parse_time(text: str) -> pendulum.DateTime:
    try:
        moment = _dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise SchemaError(f"{text!r} is not an ISO-8601 timestamp.") from None
    if moment.tzinfo is None:
        raise SchemaError(f"Timestamp {text!r} has no time zone; stored times are UTC.")
    if moment.utcoffset():
        moment = moment.astimezone(_dt.UTC)
    return pendulum.DateTime(
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond,
        tzinfo=UTC,
    )


def _structure_date(value: Any, _type: Any) -> pendulum.Date:
    if isinstance(value, str):
        try:
            parsed = _dt.date.fromisoformat(value)
        except ValueError:
            raise SchemaError(f"{value!r} is not an ISO date.") from None
        return pendulum.Date(parsed.year, parsed.month, parsed.day)
    raise SchemaError(f"{value!r} is not an ISO date.")


def _strict(kind: type[Any]) -> Callable[[Any, Any], Any]:
    """A structure hook that accepts only values already of ``kind`` (no coercion of 3 to "3")."""

    def structure(value: Any, _type: Any) -> Any:
        if type(value) is not kind and not (kind is float and type(value) is int):
            raise SchemaError(f"{value!r} is not a {kind.__name__}.")
        return value

    return structure


converter = cattrs.Converter(forbid_extra_keys=True)
for _kind in (str, int, bool, float):
    converter.register_structure_hook(_kind, _strict(_kind))


def _structure_enum(value: Any, kind: type[enum.StrEnum]) -> enum.StrEnum:
    if type(value) is not str:
        raise SchemaError(f"{value!r} is not text.")
    try:
        return kind(value)
    except ValueError:
        raise SchemaError(f"{value!r} is not one of {', '.join(m.value for m in kind)}.") from None


converter.register_structure_hook(enum.StrEnum, _structure_enum)
converter.register_unstructure_hook(enum.StrEnum, lambda member: member.value)
converter.register_unstructure_hook(pendulum.Date, lambda d: d.isoformat())
converter.register_structure_hook(pendulum.Date, _structure_date)
converter.register_unstructure_hook(pendulum.DateTime, format_time)
converter.register_structure_hook(pendulum.DateTime, lambda v, _t: parse_time(v))


def canonical_json(data: Any) -> str:
    """Sorted keys, no insignificant white space, UTF-8 text; NaN and infinities refused."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


_Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], _Upcaster] = {}


def register_upcaster(event_type: str, from_schema: int) -> Callable[[_Upcaster], _Upcaster]:
    """Register a function that turns a payload of ``from_schema`` into ``from_schema + 1``."""

    def decorate(function: _Upcaster) -> _Upcaster:
        _UPCASTERS[(event_type, from_schema)] = function
        return function

    return decorate


def event_to_dict(event: Event) -> dict[str, Any]:
    data: dict[str, Any] = converter.unstructure(event)
    return data


def event_from_dict(event_type: str, schema: int, payload: Mapping[str, Any]) -> Event:
    """Build an event from its stored form, upcasting older schema versions first."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise SchemaError(
            f"Unknown event type {event_type!r}; known types: {', '.join(sorted(EVENT_TYPES))}."
        )
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise SchemaError(
            f"Event {event_type} has schema version {schema!r}; it must be a whole number from 1."
        )
    if schema > cls.SCHEMA:
        raise SchemaError(
            f"Event {event_type} has schema version {schema}, newer than the {cls.SCHEMA} this "
            "version of cohandle knows; upgrade cohandle to read it."
        )
    data = dict(payload)
    while schema < cls.SCHEMA:
        upcaster = _UPCASTERS.get((event_type, schema))
        if upcaster is None:
            raise SchemaError(f"No upcaster turns {event_type} schema {schema} into {schema + 1}.")
        data = upcaster(data)
        schema += 1
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        raise SchemaError(f"Event {event_type} does not hold valid data: {_explain(exc)}.") from None


def _explain(exc: BaseException) -> str:
    """The causes of a structuring failure, each with the path where it was found."""
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, format_exception=_describe))
    return _describe(exc, None)


def _describe(exc: BaseException, _type: Any) -> str:
    if isinstance(exc, InvalidInput | SchemaError):
        return str(exc).rstrip(".")
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unexpected field(s) {', '.join(sorted(exc.extra_fields))}"
    return f"invalid value ({exc})"


def actor_from_dict(data: Any) -> Actor:
    try:
        return converter.structure(data, Actor)
    except Exception as exc:
        raise SchemaError(f"The actor {data!r} is not valid: {_explain(exc)}.") from None


def _body_of(
    stream_id: str,
    version: int,
    payload: Event,
    occurred_at: _dt.datetime,
    recorded_at: _dt.datetime,
    actor: Actor,
    command_id: str | None,
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "stream_id": stream_id,
        "version": version,
        "type": payload.TYPE,
        "schema": payload.SCHEMA,
        "payload": converter.unstructure(payload),
        "occurred_at": format_time(occurred_at),
        "recorded_at": format_time(recorded_at),
        "actor": converter.unstructure(actor),
        "command_id": command_id,
        "prev_hash": prev_hash,
    }


def _body(event: RecordedEvent) -> dict[str, Any]:
    return _body_of(
        event.stream_id,
        event.version,
        event.payload,
        event.occurred_at,
        event.recorded_at,
        event.actor,
        event.command_id,
        event.prev_hash,
    )


def digest(algorithm: str, text: str) -> str:
    if algorithm == "sha256":
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    if algorithm == "sm3":
        try:
            hasher = hashlib.new("sm3")
        except ValueError:
            raise InvalidInput(
                "hash_algorithm", "is 'sm3', which this Python's OpenSSL does not provide; use 'sha256'"
            ) from None
        hasher.update(text.encode())
        return "sm3:" + hasher.hexdigest()
    raise InvalidInput("hash_algorithm", f"must be one of {', '.join(HASH_ALGORITHMS)} (got {algorithm!r})")


def hash_body(body: Mapping[str, Any], algorithm: str) -> str:
    """The hash of an event's canonical body (every key but ``hash``)."""
    return digest(algorithm, canonical_json(body))


def hash_event(event: RecordedEvent, algorithm: str | None = None) -> str:
    """Recompute an event's hash; the algorithm defaults to the one its stored hash names."""
    if algorithm is None:
        algorithm = event.hash.partition(":")[0]
    return hash_body(_body(event), algorithm)


def seal(
    *,
    stream_id: str,
    version: int,
    payload: Event,
    occurred_at: pendulum.DateTime,
    recorded_at: pendulum.DateTime,
    actor: Actor,
    command_id: str | None,
    prev_hash: str,
    algorithm: str,
) -> RecordedEvent:
    """Build the envelope for a new event and chain it to ``prev_hash``."""
    body = _body_of(stream_id, version, payload, occurred_at, recorded_at, actor, command_id, prev_hash)
    return RecordedEvent(
        stream_id=stream_id,
        version=version,
        payload=payload,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        actor=actor,
        command_id=command_id,
        prev_hash=prev_hash,
        hash=hash_body(body, algorithm),
    )


def event_from_record(record: Mapping[str, Any]) -> RecordedEvent:
    """Rebuild an envelope from its canonical mapping (one JSON Lines record)."""
    if not isinstance(record, Mapping):
        raise SchemaError(f"An event record must be a JSON object (got {type(record).__name__}).")
    expected = {
        "stream_id",
        "version",
        "type",
        "schema",
        "payload",
        "occurred_at",
        "recorded_at",
        "actor",
        "command_id",
        "prev_hash",
        "hash",
    }
    keys = set(record)
    if keys != expected:
        missing = ", ".join(sorted(expected - keys)) or "none"
        extra = ", ".join(sorted(keys - expected)) or "none"
        raise SchemaError(f"An event record has the wrong keys (missing: {missing}; unexpected: {extra}).")
    version = record["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SchemaError(f"An event record has version {version!r}; versions are whole numbers from 1.")
    for key in ("stream_id", "prev_hash", "hash", "occurred_at", "recorded_at"):
        if not isinstance(record[key], str):
            raise SchemaError(f"An event record's {key} must be text (got {record[key]!r}).")
    command_id = record["command_id"]
    if command_id is not None and not isinstance(command_id, str):
        raise SchemaError(f"An event record's command_id must be text or null (got {command_id!r}).")
    payload = record["payload"]
    if not isinstance(payload, Mapping):
        raise SchemaError("An event record's payload must be a JSON object.")
    _reject_non_finite(payload)
    return RecordedEvent(
        stream_id=record["stream_id"],
        version=version,
        payload=event_from_dict(record["type"], record["schema"], payload),
        occurred_at=parse_time(record["occurred_at"]),
        recorded_at=parse_time(record["recorded_at"]),
        actor=actor_from_dict(record["actor"]),
        command_id=command_id,
        prev_hash=record["prev_hash"],
        hash=record["hash"],
    )


def _reject_non_finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise SchemaError("An event record holds NaN or an infinity, which canonical JSON refuses.")
    if isinstance(value, Mapping):
        for item in value.values():
            _reject_non_finite(item)
    elif isinstance(value, list):
        for item in value:
            _reject_non_finite(item)
