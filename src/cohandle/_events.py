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
import functools
import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, NamedTuple, TypeVar

import attrs
import cattrs
import orjson
import pendulum

from cohandle._clock import datetime_reduce, from_fields, utc
from cohandle._codec import make_structure, make_unstructure
from cohandle._errors import InvalidInput, SchemaError, expect, got, lone_surrogate, whole_number
from cohandle._model import (
    Actor,
    AssignmentMode,
    CategoryScheme,
    ContactMethod,
    Deadline,
    Feedback,
    Opinion,
    ProposalData,
    PublicationForm,
    Reply,
    Unit,
)

__all__ = [
    "EVENT_TYPES",
    "AssignmentSignedFor",
    "CoHandlerExcused",
    "DeadlineExtended",
    "DeadlinesRevised",
    "DeadlinesSet",
    "Event",
    "FeedbackRecorded",
    "ImplementationReported",
    "ItemMergedIn",
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
    "ProposersContacted",
    "ReassignmentDecided",
    "ReassignmentRequested",
    "RecordedEvent",
    "RehandlingOrdered",
    "ReminderIssued",
    "ReplyCountersigned",
    "ReplyPublished",
    "ReplyReviewed",
    "ReplySent",
    "canonical_bytes",
    "canonical_json",
    "event_from_dict",
    "event_to_dict",
    "hash_event",
    "register_event",
    "register_upcaster",
]

UTC = pendulum.UTC
HASH_ALGORITHMS = ("sha256", "sm3")


class Event:
    """Base of every event payload. Subclasses are frozen attrs classes named in past tense.

    ``LABEL`` names the event as officials do (交办, 会办意见); a host's own event types may
    leave it empty, and their ``TYPE`` stands in."""

    TYPE: ClassVar[str]
    SCHEMA: ClassVar[int] = 1
    LABEL: ClassVar[str] = ""

    __slots__ = ()


E = TypeVar("E", bound=type[Event])
EVENT_TYPES: dict[str, type[Event]] = {}


def _event(cls: E) -> E:
    register_event(cls)
    return cls


def register_event(cls: type[Event], name: str | None = None) -> None:
    """Add an event type to the registry under ``name`` (default: the class name).

    Its fields must be JSON-friendly and hold no floats: the canonical JSON that the hash
    covers has no single text for a float.
    """
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        if "float" in str(field.type):
            raise InvalidInput(f"{cls.__name__}.{field.name}", "is a float; events hold no floats")
    cls.TYPE = name or cls.__name__
    EVENT_TYPES[cls.TYPE] = cls


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
class ItemMergedIn(Event):
    """Another item was merged into this one (并案), in the same command as its
    :class:`ProposalMerged`: its id and what it asked, so that its proposers are answered with
    this one and may give feedback on the reply."""

    item: str
    proposal: ProposalData
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
class AssignmentSignedFor(Event):
    """A unit named at assignment signed for its part (签收): the day regulations that count
    "from receipt" (收到之日起) count from."""

    unit: Unit


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
class ReplyCountersigned(Event):
    """A co-handler countersigned (会签) the reply the lead drafted from the consolidated
    opinions, before the lead sends it; ``note`` says what it asked to change, if anything."""

    unit: Unit
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
class ProposersContacted(Event):
    """A handling unit was in touch with proposers (沟通; 见面 when they met), as 见面率 and
    沟通率 count."""

    unit: Unit
    method: ContactMethod
    proposers: tuple[str, ...]
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ReminderIssued(Event):
    """A reminder (催办) to a unit handling the item, or, where ``to`` is None, to its
    proposers, of the feedback they owe. Schema 2 allowed None: every reminder recorded before
    then named a unit, and reads as it was."""

    SCHEMA: ClassVar[int] = 2

    to: Unit | None
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ProposalMarkedKey(Event):
    supervisor: Unit | None = None
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ReplyPublished(Event):
    """A unit's latest reply was published (公开), in full or as a summary; ``url`` is where.
    Schema 2 added ``form``: a publication recorded before then was in full."""

    SCHEMA: ClassVar[int] = 2

    unit: Unit
    url: str | None = None
    form: PublicationForm = PublicationForm.FULL


@_event
@attrs.frozen(kw_only=True)
class ReplyReviewed(Event):
    """The assigning body or a key proposal's supervisor reviewed (审核) a unit's latest reply;
    ``category`` is the category the reviewer put it in, when the review changed or confirmed
    it, or None when the review left it as it stood. The letter stays as it was sent: the
    review changes the category the reply is counted in."""

    unit: Unit
    category: str | None = None
    note: str = ""


@_event
@attrs.frozen(kw_only=True)
class ImplementationReported(Event):
    """A unit that answered reports how what its reply said is being carried out (落实情况),
    as a 回头看 asks; ``category`` is the reply's category as it stands now (现办复类别, a B
    now solved is reported as A), or None when the report does not restate it."""

    unit: Unit
    report: str
    category: str | None = None


@_event
@attrs.frozen(kw_only=True)
class DeadlinesSet(Event):
    """Deadlines whose clocks the preceding event of the same command started."""

    deadlines: tuple[Deadline, ...]
    policy: str
    policy_version: str
    calendar_version: str


@_event
@attrs.frozen(kw_only=True)
class DeadlinesRevised(Event):
    """Open deadlines counted again under the policy and calendar named (a new year's holiday
    notice, a changed rule): ``replaced`` are settled as revised, ``deadlines`` are due from
    now on (fewer when no rule of the policy sets one any more)."""

    replaced: tuple[Deadline, ...]
    deadlines: tuple[Deadline, ...]
    reason: str
    policy: str
    policy_version: str
    calendar_version: str


_LABELS: dict[type[Event], str] = {
    ProposalReceived: "收到",
    ProposalFiled: "立案",
    ProposalRejected: "不予立案",
    ProposalMerged: "并案",
    ItemMergedIn: "他件并入",
    ProposalAssigned: "交办",
    AssignmentSignedFor: "签收",
    ReassignmentRequested: "申请调整交办",
    ReassignmentDecided: "调整交办决定",
    OpinionSubmitted: "会办意见",
    OpinionReturned: "退回会办意见",
    CoHandlerExcused: "免于会办",
    OpinionsConsolidated: "综合",
    ReplyCountersigned: "会签",
    ReplySent: "答复",
    FeedbackRecorded: "反馈",
    RehandlingOrdered: "重新办理",
    ProposalClosed: "办结",
    ProposalWithdrawn: "撤回",
    DeadlineExtended: "延期",
    ProposersContacted: "沟通",
    ReminderIssued: "催办",
    ProposalMarkedKey: "重点督办",
    ReplyPublished: "公开",
    ReplyReviewed: "审核",
    ImplementationReported: "落实情况",
    DeadlinesSet: "设定期限",
    DeadlinesRevised: "调整期限",
}
for _type, _label in _LABELS.items():
    _type.LABEL = _label


class RecordedEvent(NamedTuple):
    """One event as recorded in a proposal's stream: an immutable named tuple.

    ``hash`` is the raw digest of the event's canonical JSON body (every key but ``hash``),
    computed with ``algorithm``; ``prev_hash`` is the digest of the stream's previous event
    (empty for the first), so each stream is a hash chain. :attr:`hash_text` gives the digest
    as it is written in JSON, e.g. ``sha256:9f86d0…``.
    """

    stream_id: str
    version: int
    payload: Event
    occurred_at: pendulum.DateTime
    recorded_at: pendulum.DateTime
    actor: Actor
    command_id: str | None
    prev_hash: bytes
    hash: bytes
    algorithm: str

    @property
    def type(self) -> str:
        return self.payload.TYPE

    @property
    def label(self) -> str:
        """The event as officials name it (交办, 会办意见), or its type when it has no label."""
        return self.payload.LABEL or self.payload.TYPE

    @property
    def schema_version(self) -> int:
        return self.payload.SCHEMA

    @property
    def hash_text(self) -> str:
        return hash_text(self.algorithm, self.hash)

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping of this event, hash included (one JSON Lines record)."""
        data = _body(self)
        data["hash"] = self.hash_text
        return data


# ---------------------------------------------------------------------------------------------
# JSON form


def format_time(moment: _dt.datetime) -> str:
    """A timestamp as stored: UTC, microseconds, ``Z`` (2025-03-01T01:00:00.000000Z)."""
    global _LAST_SECOND
    if moment.tzinfo is not UTC and moment.utcoffset():
        moment = moment.astimezone(_dt.UTC)
    second = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    last = _LAST_SECOND  # events come many to a second: its text is written once
    if last[0] == second:
        prefix = last[1]
    else:
        prefix = "%04d-%02d-%02dT%02d:%02d:%02d." % second  # noqa: UP031 - the fastest form here
        _LAST_SECOND = (second, prefix)  # one assignment: threads see the old pair or the new
    return "%s%06dZ" % (prefix, moment.microsecond)  # noqa: UP031


_LAST_SECOND: tuple[tuple[int, ...], str] = ((), "")


def parse_time(text: str) -> pendulum.DateTime:
    try:
        moment = _dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise SchemaError(f"{text!r} is not an ISO-8601 timestamp.") from None
    zone = moment.tzinfo
    if zone is _dt.UTC:  # as cohandle writes them (``Z``): rebuilt from datetime's own fields
        return from_fields(datetime_reduce(moment)[1][0], UTC)
    if zone is None:
        raise SchemaError(f"Timestamp {text!r} has no time zone; stored times are UTC.")
    return utc(moment)


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
    return canonical_bytes(data).decode()


_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS


def canonical_bytes(data: Any, what: str = "event", *, sorted_already: bool = False) -> bytes:
    """The canonical JSON form as UTF-8 bytes: what the hash covers.

    It is the text ``json.dumps(data, sort_keys=True, ensure_ascii=False,
    separators=(",", ":"))`` would give (a property test holds the two equal), written by
    orjson for speed. Events hold no floats (checked when an event type is defined), since the
    text of a float is not canonical across writers. Text without a UTF-8 form is refused with
    an :class:`InvalidInput` naming where it is in ``what``. ``sorted_already`` says that every
    mapping in ``data`` has its keys in sorted order (a generated codec's output), so they are
    written as they are.
    """
    try:
        return orjson.dumps(data, option=None if sorted_already else _ORJSON_OPTIONS)
    except orjson.JSONEncodeError as exc:
        found = _text_without_utf8(data, what)
        if found is not None:
            raise InvalidInput(found[0], f"must be valid Unicode text, but it {found[1]}") from None
        raise InvalidInput(what, f"cannot be written as canonical JSON ({exc})") from None


def _text_without_utf8(data: Any, where: str) -> tuple[str, str] | None:
    """The first text in ``data`` without a UTF-8 form: where it is, and why."""
    if isinstance(data, str):
        reason = lone_surrogate(data)
        return None if reason is None else (where, reason)
    if isinstance(data, dict):
        for key, value in data.items():
            found = _text_without_utf8(key, where) or _text_without_utf8(value, f"{where}.{key}")
            if found is not None:
                return found
    if isinstance(data, list | tuple):
        for index, item in enumerate(data):
            found = _text_without_utf8(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


_Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], _Upcaster] = {}


def register_upcaster(event_type: str, from_schema: int) -> Callable[[_Upcaster], _Upcaster]:
    """Register a function that turns a payload of ``from_schema`` into ``from_schema + 1``.

    The event type must be registered already, and ``from_schema`` older than its present
    schema: an upcaster from any other would never run.
    """
    cls = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if cls is None:
        raise InvalidInput("event_type", f"must name a registered event type (got {got(event_type)})")
    whole_number("from_schema", from_schema, least=1)
    if from_schema >= cls.SCHEMA:
        raise InvalidInput(
            "from_schema",
            f"must be older than {event_type}'s present schema, {cls.SCHEMA} (got {from_schema})",
        )

    def decorate(function: _Upcaster) -> _Upcaster:
        if not callable(function):
            raise InvalidInput("upcaster", f"must be a function of a payload (got {got(function)})")
        _UPCASTERS[(event_type, from_schema)] = function
        return function

    return decorate


@register_upcaster("ReplyPublished", 1)
def _published_in_full(payload: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 knew no summaries (摘要公开): what it recorded was published in full."""
    payload["form"] = PublicationForm.FULL.value
    return payload


@register_upcaster("ReminderIssued", 1)
def _reminded_a_unit(payload: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 reminded units alone: what it recorded reads as it is."""
    return payload


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
    data = payload  # the readings only read it
    while schema < cls.SCHEMA:
        upcaster = _UPCASTERS.get((event_type, schema))
        if upcaster is None:
            raise SchemaError(f"No upcaster turns {event_type} schema {schema} into {schema + 1}.")
        try:
            data = upcaster(dict(data))  # a copy of its own, to change as it likes
        except Exception as exc:  # the host's code: its failure is a stored event not read
            raise SchemaError(
                f"The upcaster of {event_type} schema {schema} failed on a stored payload ({exc!r})."
            ) from exc
        if not isinstance(data, Mapping):
            raise SchemaError(
                f"The upcaster of {event_type} schema {schema} returned {got(data)}, not a payload."
            )
        schema += 1
    try:
        event: Event = _structurer(cls)(data)
        return event
    except Exception:  # the converter decides: it may take what the generated reading refuses,
        # and otherwise names every problem with its path
        try:
            return converter.structure(data, cls)
        except Exception as exc:
            raise SchemaError(f"Event {event_type} does not hold valid data: {_explain(exc)}.") from None


_STRUCTURE: dict[type[Any], Callable[[Any], Any]] = {}
_UNSTRUCTURE: dict[type[Any], Callable[[Any], dict[str, Any]]] = {}


def _generated(table: dict[type[Any], Any], cls: type[Any], make: Any, fallback: Any) -> Any:
    """The generated function of ``cls`` from ``table``, made on first use (so event types
    registered later get one too); ``fallback`` for a class it cannot be generated for."""
    function = table.get(cls)
    if function is None:
        try:
            function = make(cls)
        except Exception:  # a field type without a generated form: the converter's way
            function = fallback
        table[cls] = function
    return function


def _structurer(cls: type[Any]) -> Callable[[Any], Any]:
    """Reads the JSON form of ``cls``; the converter without detailed validation as fallback."""
    return _STRUCTURE.get(cls) or _generated(
        _STRUCTURE,
        cls,
        lambda kind: make_structure(kind, parse_time),
        functools.partial(_fast_converter().structure, cl=cls),
    )


def _unstructurer(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    """Gives the JSON form of ``cls``; the converter's as fallback."""
    return _UNSTRUCTURE.get(cls) or _generated(
        _UNSTRUCTURE, cls, lambda kind: make_unstructure(kind, format_time), converter.unstructure
    )


@functools.cache
def _fast_converter() -> cattrs.Converter:
    """The converter without detailed validation: a third faster when the data is good. Made on
    first use, after every hook is registered."""
    return converter.copy(detailed_validation=False)


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


@functools.lru_cache(maxsize=4096)
def actor_from_text(text: str | bytes) -> Actor:
    """An actor from its stored JSON text (or that text's UTF-8 bytes); actors repeat, so this
    is cached (they are frozen)."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        shown = text.decode(errors="replace") if isinstance(text, bytes) else text
        raise SchemaError(f"The actor {shown[:80]!r} is not valid JSON ({exc}).") from None
    return actor_from_dict(data)


def actor_from_dict(data: Any) -> Actor:
    try:
        actor: Actor = _structurer(Actor)(data)
        return actor
    except Exception:
        try:
            return converter.structure(data, Actor)
        except Exception as exc:
            raise SchemaError(f"The actor {data!r} is not valid: {_explain(exc)}.") from None


def event_to_dict(event: Event) -> dict[str, Any]:
    """The JSON form of an event's payload."""
    return _unstructurer(type(event))(event)


def payload_json(payload: Event) -> bytes:
    """The canonical JSON text of an event's payload."""
    kind = payload.__class__
    writer = _WRITERS.get(kind)
    if writer is None:
        function = _unstructurer(kind)
        # a generated codec writes its mappings' keys in sorted order; the converter may not
        writer = _WRITERS[kind] = (function, function != converter.unstructure)
    return canonical_bytes(writer[0](payload), kind.__name__, sorted_already=writer[1])


_WRITERS: dict[type[Any], tuple[Callable[[Any], dict[str, Any]], bool]] = {}


_ACTOR_JSON: dict[int, tuple[Actor, bytes]] = {}


def actor_json(actor: Actor) -> bytes:
    """The canonical JSON text of an actor. Actors are frozen and the same few act again and
    again, so the text is kept per actor object."""
    found = _ACTOR_JSON.get(id(actor))
    if found is not None and found[0] is actor:
        return found[1]
    text = canonical_bytes(_unstructurer(Actor)(actor), "actor")
    if len(_ACTOR_JSON) >= 4096:
        _ACTOR_JSON.clear()
    _ACTOR_JSON[id(actor)] = (actor, text)
    return text


def _body(event: RecordedEvent) -> dict[str, Any]:
    recorded = format_time(event.recorded_at)
    return {
        "stream_id": event.stream_id,
        "version": event.version,
        "type": event.type,
        "schema": event.schema_version,
        "payload": event_to_dict(event.payload),
        "occurred_at": recorded if event.occurred_at is event.recorded_at else format_time(event.occurred_at),
        "recorded_at": recorded,
        "actor": _unstructurer(Actor)(event.actor),
        "command_id": event.command_id,
        "prev_hash": hash_text(event.algorithm, event.prev_hash) if event.prev_hash else "",
    }


def hash_text(algorithm: str, digest: bytes) -> str:
    """A digest as written in JSON: ``algorithm:hex``."""
    return f"{algorithm}:{digest.hex()}"


def parse_hash(text: str) -> tuple[str, bytes]:
    """Read ``algorithm:hex`` back into the algorithm and the raw digest."""
    algorithm, _, hexdigest = text.partition(":")
    if algorithm not in HASH_ALGORITHMS:
        raise SchemaError(f"{text[:80]!r} is not a hash of a known algorithm ({', '.join(HASH_ALGORITHMS)}).")
    try:
        digest = bytes.fromhex(hexdigest)
    except ValueError:
        raise SchemaError(f"{text[:80]!r} is not a hexadecimal digest.") from None
    if len(digest) != 32:
        raise SchemaError(f"{text[:80]!r} is not a 256-bit digest.")
    return algorithm, digest


def hasher(algorithm: str) -> Callable[[bytes], bytes]:
    """The digest function for ``algorithm``; a clear error if this Python lacks it."""
    if algorithm == "sha256":
        return lambda data: hashlib.sha256(data).digest()
    if algorithm == "sm3":
        try:
            hashlib.new("sm3")
        except ValueError:
            raise InvalidInput(
                "hash_algorithm", "is 'sm3', which this Python's OpenSSL does not provide; use 'sha256'"
            ) from None
        return lambda data: hashlib.new("sm3", data).digest()
    raise InvalidInput("hash_algorithm", f"must be one of {', '.join(HASH_ALGORITHMS)} (got {algorithm!r})")


def unavailable_hash(algorithm: str, stream_id: str, doing: str) -> SchemaError:
    """The error for a proposal's events hashed with ``algorithm`` where this Python cannot
    compute it: they cannot be ``doing`` ("checked", "added to") here, and the log is not damaged
    for that."""
    name = algorithm.upper()
    return SchemaError(
        f"The events of proposal {stream_id!r} are hashed with {name}, which this Python's OpenSSL "
        f"does not provide (it was built without it, or runs in FIPS mode), so they cannot be {doing} "
        f"here: use a Python whose OpenSSL provides {name}; nothing was changed."
    )


def _digest_of(body: bytes, algorithm: str, stream_id: str, doing: str) -> bytes:
    try:
        return digest_bytes(body, algorithm)
    except InvalidInput:
        if algorithm not in HASH_ALGORITHMS:
            raise
        raise unavailable_hash(algorithm, stream_id, doing) from None


_HASHERS: dict[str, Callable[[bytes], bytes]] = {}
_sha256 = hashlib.sha256


def digest_bytes(body: bytes, algorithm: str) -> bytes:
    """The digest of an event's canonical body text."""
    if algorithm == "sha256":
        return _sha256(body).digest()
    function = _HASHERS.get(algorithm)
    if function is None:
        function = _HASHERS[algorithm] = hasher(algorithm)
    return function(body)


class StoredRecord(NamedTuple):
    """One event as a store keeps it: canonical JSON text for the payload and the actor."""

    position: int
    stream_id: str
    version: int
    type: str
    schema: int
    payload: str
    occurred_at: str
    recorded_at: str
    actor: str
    command_id: str | None
    prev_hash: str
    hash: str


_TEXT, _WHOLE, _TEXT_OR_NONE = "text", "a whole number", "text or nothing"
_COLUMN_KINDS = tuple(
    zip(
        StoredRecord._fields,
        (_WHOLE, _TEXT, _WHOLE, _TEXT, _WHOLE, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT_OR_NONE, _TEXT, _TEXT),
        strict=True,
    )
)


def record_misfit(record: StoredRecord, *, utf8: bool = True) -> str | None:
    """The first column of a stored row holding a value of the wrong kind, in words (a byte
    string where text belongs, as a hand may write into SQLite), or None when every column
    holds what it should. With ``utf8``, text whose bytes were not UTF-8 (read with each such
    byte as a lone surrogate, as the SQLite store reads a damaged file) is of the wrong kind
    too."""
    for (name, kind), value in zip(_COLUMN_KINDS, record, strict=True):
        if kind is _WHOLE:
            fits = isinstance(value, int) and not isinstance(value, bool)
        else:
            fits = isinstance(value, str) or (value is None and kind is _TEXT_OR_NONE)
        if not fits:
            return f"its {name} holds {got(value)}, where {kind} belongs"
        if utf8 and value.__class__ is str and not value.isascii():
            surrogate = lone_surrogate(value)
            if surrogate is not None:
                return f"its {name} is not UTF-8 text: it {surrogate}"
    return None


_dumps = orjson.dumps


def _join_body(
    actor: bytes,
    command_id: str | None,
    occurred_at: str,
    payload: bytes,
    prev_hash: str,
    recorded_at: str,
    schema: int,
    stream_id: str,
    event_type: str,
    version: int,
) -> bytes:
    """The canonical JSON body a hash covers, put together from its parts.

    The same bytes as ``canonical_bytes`` of the body mapping (tests hold the two equal), in
    the keys' sorted order: actor, command_id, occurred_at, payload, prev_hash, recorded_at,
    schema, stream_id, type, version. Payload and actor come as canonical JSON already.
    """
    return b"".join(
        (
            b'{"actor":',
            actor,
            b',"command_id":',
            _dumps(command_id),
            b',"occurred_at":',
            _dumps(occurred_at),
            b',"payload":',
            payload,
            b',"prev_hash":',
            _dumps(prev_hash),
            b',"recorded_at":',
            _dumps(recorded_at),
            b',"schema":',
            _dumps(schema),
            b',"stream_id":',
            _dumps(stream_id),
            b',"type":',
            _dumps(event_type),
            b',"version":',
            _dumps(version),
            b"}",
        )
    )


def body_bytes(record: StoredRecord) -> bytes:
    """The canonical JSON body a record's hash covers, built from its stored text as it is,
    without decoding it."""
    return _join_body(
        record.actor.encode(),
        record.command_id,
        record.occurred_at,
        record.payload.encode(),
        record.prev_hash,
        record.recorded_at,
        record.schema,
        record.stream_id,
        record.type,
        record.version,
    )


def hash_event(event: RecordedEvent) -> bytes:
    """Recompute an event's digest from its content and its ``prev_hash``."""
    expect("event", event, RecordedEvent, "a RecordedEvent")
    return _digest_of(body_bytes(record_of(event)), event.algorithm, event.stream_id, "checked")


_new_tuple = tuple.__new__


class Texts(NamedTuple):
    """The canonical text of an event's parts, written once when it is sealed: what its hash
    covers and what a SQL store keeps."""

    payload: bytes
    actor: bytes
    occurred_at: str
    recorded_at: str
    prev_hash: str


def _texts(
    payload: Event,
    actor: Actor,
    occurred_at: _dt.datetime,
    recorded_at: _dt.datetime,
    prev_hash: bytes,
    algorithm: str,
) -> Texts:
    recorded = format_time(recorded_at)
    texts: Texts = _new_tuple(
        Texts,
        (
            payload_json(payload),
            actor_json(actor),
            recorded if occurred_at is recorded_at else format_time(occurred_at),
            recorded,
            f"{algorithm}:{prev_hash.hex()}" if prev_hash else "",
        ),
    )
    return texts


def _sealed_body(texts: Texts, command_id: str | None, payload: Event, stream_id: str, version: int) -> bytes:
    """The body :func:`_join_body` gives, for an event being sealed from cohandle's own parts.

    Its timestamps come from :func:`format_time` and its previous hash is ``algorithm:hex``,
    plain ASCII that JSON writes as it is, so they are quoted without an encoder; each event
    type's schema and name are written once. (A record read back from a store goes through
    :func:`_join_body`, which escapes every text, since a row may have been edited.)
    """
    kind = payload.__class__
    frame = _FRAMES.get(kind)
    if frame is None or frame[0] is not kind.TYPE or frame[1] is not kind.SCHEMA:
        frame = _FRAMES[kind] = (
            kind.TYPE,
            kind.SCHEMA,
            b',"schema":' + _dumps(kind.SCHEMA) + b',"stream_id":',
            b',"type":' + _dumps(kind.TYPE) + b',"version":',
        )
    return b"".join(
        (
            b'{"actor":',
            texts.actor,
            b',"command_id":',
            b"null" if command_id is None else _dumps(command_id),
            b',"occurred_at":"',
            texts.occurred_at.encode(),
            b'","payload":',
            texts.payload,
            b',"prev_hash":"',
            texts.prev_hash.encode(),
            b'","recorded_at":"',
            texts.recorded_at.encode(),
            b'"',
            frame[2],
            _dumps(stream_id),
            frame[3],
            b"%d}" % version,
        )
    )


_FRAMES: dict[type[Event], tuple[str, int, bytes, bytes]] = {}

MAX_EVENT_BYTES = 1 << 20
"""The most an event may take as a line of an export (its canonical body, its hash and the
line's end): an import refuses a longer line, so a command never records a longer event."""

# an export's line is the body with ,"hash":"<text>" in it and a newline; sha256's text, the longest
_LINE_BEYOND_BODY = len(b',"hash":""\n') + len("sha256:") + 64


def seal_body(
    stream_id: str,
    version: int,
    payload: Event,
    occurred_at: pendulum.DateTime,
    recorded_at: pendulum.DateTime,
    actor: Actor,
    command_id: str | None,
    prev_hash: bytes,
    algorithm: str,
) -> tuple[RecordedEvent, Texts]:
    """The sealed envelope and the canonical text its hash covers."""
    texts = _texts(payload, actor, occurred_at, recorded_at, prev_hash, algorithm)
    body = _sealed_body(texts, command_id, payload, stream_id, version)
    if len(body) > MAX_EVENT_BYTES - _LINE_BEYOND_BODY:
        raise InvalidInput(
            payload.TYPE,
            f"would take {len(body) + _LINE_BEYOND_BODY:,} bytes as stored, more than the "
            f"{MAX_EVENT_BYTES:,} an event may take (an import refuses a longer line); shorten its text",
        )
    try:
        digest = digest_bytes(body, algorithm)
    except InvalidInput:
        if algorithm not in HASH_ALGORITHMS:
            raise
        raise unavailable_hash(algorithm, stream_id, "added to") from None
    event: RecordedEvent = _new_tuple(  # the named tuple's own __new__ costs four times as much
        RecordedEvent,
        (
            stream_id,
            version,
            payload,
            occurred_at,
            recorded_at,
            actor,
            command_id,
            prev_hash,
            digest,
            algorithm,
        ),
    )
    return event, texts


def stored_form(event: RecordedEvent, texts: Texts, position: int = 0) -> StoredRecord:
    """The canonical text a store keeps for ``event``, from the text its hash covers."""
    return StoredRecord(
        position,
        event.stream_id,
        event.version,
        event.payload.TYPE,
        event.payload.SCHEMA,
        texts.payload.decode(),
        texts.occurred_at,
        texts.recorded_at,
        texts.actor.decode(),
        event.command_id,
        texts.prev_hash,
        event.hash_text,
    )


def record_of(event: RecordedEvent, position: int = 0) -> StoredRecord:
    """The stored form of an event."""
    texts = _texts(
        event.payload, event.actor, event.occurred_at, event.recorded_at, event.prev_hash, event.algorithm
    )
    return stored_form(event, texts, position)


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
    for key in ("stream_id", "type", "prev_hash", "hash", "occurred_at", "recorded_at"):
        if not isinstance(record[key], str):
            raise SchemaError(f"An event record's {key} must be text (got {record[key]!r}).")
    command_id = record["command_id"]
    if command_id is not None and not isinstance(command_id, str):
        raise SchemaError(f"An event record's command_id must be text or null (got {command_id!r}).")
    payload = record["payload"]
    if not isinstance(payload, Mapping):
        raise SchemaError("An event record's payload must be a JSON object.")
    _reject_non_finite(payload)
    algorithm, digest = parse_hash(record["hash"])
    prev_hash = b""
    if record["prev_hash"]:
        prev_algorithm, prev_hash = parse_hash(record["prev_hash"])
        if prev_algorithm != algorithm:
            raise SchemaError(f"An event record chains a {algorithm} hash to a {prev_algorithm} one.")
    return RecordedEvent(
        stream_id=record["stream_id"],
        version=version,
        payload=event_from_dict(record["type"], record["schema"], payload),
        occurred_at=parse_time(record["occurred_at"]),
        recorded_at=parse_time(record["recorded_at"]),
        actor=actor_from_dict(record["actor"]),
        command_id=command_id,
        prev_hash=prev_hash,
        hash=digest,
        algorithm=algorithm,
    )


def _reject_non_finite(value: Any) -> None:
    """Refuse NaN and the infinities anywhere in ``value`` (JSON's own ``1e999`` reads as one).
    What JSON gives (dicts, lists, text, numbers) is told apart by its exact class, without a
    call for each text or number; anything else, as a caller may pass, by ``isinstance``."""
    if value.__class__ is dict:
        items: Iterable[Any] = value.values()
    elif value.__class__ is list:
        items = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise SchemaError("An event record holds NaN or an infinity, which canonical JSON refuses.")
        return
    elif isinstance(value, Mapping):
        items = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return
    for item in items:
        kind = item.__class__
        if kind is not str and kind is not int and kind is not bool and item is not None:
            _reject_non_finite(item)
