"""Generated JSON codecs for the frozen model and event classes.

cattrs describes the JSON form of every class and gives the detailed error messages; these
functions give the same form, generated once per class from its field types, for the two paths
that run on every event: writing an event's payload (for its hash and its stored text) and
reading a stored payload back. The generic converter dispatches on each field at run time and
costs one and a half to two times as much.

The reading functions accept only what the converter accepts, and may refuse more: whatever
they refuse (a wrong type, a missing or an unknown key, a value the class's own validation
refuses) raises :class:`Refused`, and the caller asks the converter again, which either
accepts the data after all or explains what is wrong with it. Tests hold both directions equal
to the converter on every event type.

The same field types give each value object a check of its fields (:func:`make_check`), which
the model runs when an object is made.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs
import pendulum

__all__ = ["Misfit", "Refused", "describe", "make_check", "make_structure", "make_unstructure"]

_SIMPLE = (str, int, bool, type(None))


class Refused(Exception):
    """Raised by a reading function for data it does not take; the converter decides then."""


def _args(kind: Any) -> tuple[Any, ...]:
    return typing.get_args(kind)


def _is_union(kind: Any) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType)


def _optional_of(kind: Any) -> Any | None:
    """X for ``X | None``, else None."""
    if not _is_union(kind):
        return None
    others = [arg for arg in _args(kind) if arg is not type(None)]
    if len(others) != 1 or len(_args(kind)) != 2:
        raise TypeError(f"no codec for the union {kind!r}")
    return others[0]


def _variadic_of(kind: Any) -> Any | None:
    """X for ``tuple[X, ...]``, else None."""
    if typing.get_origin(kind) is tuple:
        args = _args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
    return None


def _fixed_of(kind: Any) -> tuple[Any, ...] | None:
    """(X, Y, ...) for ``tuple[X, Y, ...]`` of a fixed length, else None."""
    if typing.get_origin(kind) is tuple:
        args = _args(kind)
        if not (len(args) == 2 and args[1] is Ellipsis):
            return args
    return None


class _Generator:
    """Writes one function per class into a shared scope; classes refer to each other by name
    through that scope, so recursive classes (a section's subsections) work."""

    def __init__(self, prefix: str, scope: dict[str, Any]) -> None:
        self.prefix = prefix
        self.scope = scope
        self.done: dict[type, str] = {}
        self.counter = 0
        self.readers: dict[str, str] = {}

    def name(self, cls: type) -> str:
        return f"{self.prefix}_{cls.__module__.replace('.', '_')}_{cls.__qualname__.replace('.', '_')}"

    def constant(self, value: Any) -> str:
        self.counter += 1
        key = f"_c{self.counter}"
        self.scope[key] = value
        return key

    def define(self, source: str) -> None:
        exec(source, self.scope)  # generated from the classes' own field names and types only

    def function(self, cls: type) -> str:
        """The name of the function for ``cls``, written on first use."""
        if cls not in self.done:
            name = self.done[cls] = self.name(cls)  # named first: a class may refer to itself
            self.write(cls, name, typing.get_type_hints(cls))
        return self.done[cls]

    def write(self, cls: type, name: str, hints: dict[str, Any]) -> None:
        raise NotImplementedError


class _Unstructure(_Generator):
    """Every mapping it writes is a literal with its keys in sorted order, so its output is
    already in canonical key order (a JSON writer need not sort it again)."""

    def write(self, cls: type, name: str, hints: dict[str, Any]) -> None:
        self.define(f"def {name}(o):\n    return {self.literal(cls, hints, 'o')}\n")

    def literal(self, cls: type, hints: dict[str, Any], value: str) -> str:
        """The JSON form of ``value``, an instance of ``cls``, as a mapping literal."""
        fields = sorted(attrs.fields(cls), key=lambda field: field.name)
        return (
            "{"
            + ", ".join(f"{f.name!r}: {self.expr(hints[f.name], f'{value}.{f.name}')}" for f in fields)
            + "}"
        )

    def instance(self, kind: type, value: str) -> str:
        """The JSON form of an attrs instance: written in place when its fields are all plain
        (a unit, a contact), which saves a call; otherwise through the class's function."""
        hints = typing.get_type_hints(kind)
        if all(_plain(hints[field.name]) for field in attrs.fields(kind)):
            return self.literal(kind, hints, value)
        return f"{self.function(kind)}({value})"

    def expr(self, kind: Any, value: str) -> str:
        """An expression for the JSON form of ``value`` (a variable or an attribute)."""
        if kind in _SIMPLE:
            return value
        inner = _optional_of(kind)
        if inner is not None:
            if inner in _SIMPLE:
                return value
            return f"(None if {value} is None else {self.expr(inner, value)})"
        item = _variadic_of(kind)
        if item is not None:
            if item in _SIMPLE:
                return f"list({value})"
            # an empty tuple, the usual case for nested lists, costs no comprehension
            return f"([{self.expr(item, 'x')} for x in {value}] if {value} else [])"
        fixed = _fixed_of(kind)
        if fixed is not None:
            if all(arg in _SIMPLE for arg in fixed):
                return f"list({value})"
            return "[" + ", ".join(self.expr(arg, f"{value}[{i}]") for i, arg in enumerate(fixed)) + "]"
        if isinstance(kind, type):
            if issubclass(kind, enum.Enum):
                return f"{value}._value_"
            if issubclass(kind, pendulum.DateTime):
                return f"format_time({value})"
            if issubclass(kind, _dt.date):
                return f"iso_date({value})"
            if attrs.has(kind):
                return self.instance(kind, value)
        raise TypeError(f"no codec for {kind!r}")


def _plain(kind: Any) -> bool:
    """A field type whose JSON form is an expression on the field alone: text, numbers, enums,
    dates and times, lists of text, each optional."""
    kind = _optional_of(kind) or kind
    if kind in _SIMPLE or _variadic_of(kind) in _SIMPLE:
        return True
    return isinstance(kind, type) and issubclass(kind, enum.Enum | _dt.date)


class _Structure(_Generator):
    def write(self, cls: type, name: str, hints: dict[str, Any]) -> None:
        fields = attrs.fields(cls)
        keys = self.constant(frozenset(field.name for field in fields))
        values = []
        for field in fields:
            read = self.read(hints[field.name], f"d[{field.name!r}]")
            if field.default is attrs.NOTHING:
                values.append(read)
            else:
                default = field.default
                if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                    raise TypeError(f"no codec for the default factory of {cls.__name__}.{field.name}")
                values.append(f"({read} if {field.name!r} in d else {self.constant(default)})")
        made = self.constant(cls)
        make = f"{made}({', '.join(f'{field.alias}=v[{i}]' for i, field in enumerate(fields))})"
        lines = [
            f"def {name}(d):",
            f"    if d.__class__ is not dict or not d.keys() <= {keys}:",
            "        raise Refused",
        ]
        if all(_flat(hints[field.name]) for field in fields):
            # small values of plain fields (units, contacts, sessions, actors, category schemes)
            # repeat across a log: one object per distinct value, checked once
            cache = self.constant({})
            lines += [
                f"    v = ({', '.join(values)},)",
                f"    found = {cache}.get(v)",
                "    if found is None:",
                f"        if len({cache}) >= {_INTERNED}:",
                f"            {cache}.clear()",
                f"        found = {cache}[v] = {make}",
                "    return found",
            ]
        else:  # made from the values as they are read, in the fields' order
            lines.append(
                f"    return {made}({', '.join(f'{f.alias}={value}' for f, value in zip(fields, values, strict=True))})"
            )
        self.define("\n".join(lines) + "\n")

    def read(self, kind: Any, value: str) -> str:
        """An expression reading the JSON form of ``kind`` from ``value``. Text, a whole number
        and a truth value, optional or not, are checked in place (which saves a call per
        field); anything else is read through a function."""
        inner = _optional_of(kind)
        if kind in (str, int, bool) or inner in (str, int, bool):
            exact = self.constant(inner or kind)
            if inner is not None:
                return f"(x if (x := {value}) is None or x.__class__ is {exact} else refuse())"
            return f"(x if (x := {value}).__class__ is {exact} else refuse())"
        return f"{self.reader(kind)}({value})"

    def reader(self, kind: Any) -> str:
        """The name of a function that reads the JSON form of ``kind`` (one per kind)."""
        key = repr(kind)
        if key not in self.readers:
            self.readers[key] = self._reader(kind)
        return self.readers[key]

    def _reader(self, kind: Any) -> str:
        inner = _optional_of(kind)
        if inner is not None:
            return self._helper(f"return None if v is None else {self.read(inner, 'v')}")
        item = _variadic_of(kind)
        if item is not None:
            read = self.read(item, "y")
            return self._helper(
                f"if v.__class__ is not list:\n        raise Refused\n    return tuple([{read} for y in v])"
            )
        fixed = _fixed_of(kind)
        if fixed is not None:
            items = ", ".join(self.read(arg, f"v[{i}]") for i, arg in enumerate(fixed))
            return self._helper(
                f"if v.__class__ is not list or len(v) != {len(fixed)}:\n        raise Refused\n"
                f"    return ({items},)"
            )
        if isinstance(kind, type):
            if issubclass(kind, enum.Enum):
                members = self.constant(dict(kind._value2member_map_))
                return self._helper(
                    f"if v.__class__ is not str:\n        raise Refused\n    return {members}[v]"
                )
            if issubclass(kind, pendulum.DateTime):
                return "parse_time"
            if issubclass(kind, _dt.date):
                return self.constant(_date)
            if attrs.has(kind):
                return self.function(kind)
        raise TypeError(f"no codec for {kind!r}")

    def _helper(self, body: str) -> str:
        self.counter += 1
        name = f"_r{self.counter}"
        self.define(f"def {name}(v):\n    {body}\n")
        return name


_INTERNED = 4096


def _flat(kind: Any) -> bool:
    """True for a field type whose values are hashable and compare exactly by type: text,
    whole numbers, truth values (each checked to be exactly that type when read), enums, and
    tuples of those (a category scheme's codes and labels)."""
    inner = _optional_of(kind)
    if inner is not None:
        return _flat(inner)
    item = _variadic_of(kind)
    if item is not None:
        return _flat(item)
    fixed = _fixed_of(kind)
    if fixed is not None:
        return all(_flat(arg) for arg in fixed)
    return kind in _SIMPLE or (isinstance(kind, type) and issubclass(kind, enum.Enum))


def _refuse() -> Any:
    raise Refused


@functools.lru_cache(maxsize=8192)
def _date_of(text: str) -> pendulum.Date:
    parsed = _dt.date.fromisoformat(text)
    return pendulum.Date(parsed.year, parsed.month, parsed.day)


def _date(value: Any) -> pendulum.Date:
    """An ISO date; dates repeat across a log and are immutable, so they are cached."""
    if value.__class__ is not str:
        raise Refused
    try:
        return _date_of(value)
    except ValueError:
        raise Refused from None


class _Check(_Generator):
    """A function that finds the first field of an instance whose value is not of the field's
    declared type; the instance's own values are taken as they are (a unit in a field of units
    was checked when it was made)."""

    def write(self, cls: type, name: str, hints: dict[str, Any]) -> None:
        lines = [f"def {name}(o):"]
        for field in attrs.fields(cls):
            kind = hints[field.name]
            value = f"o.{field.name}"
            found = f"{field.name!r}, {self.constant(describe(kind))}"
            item = _variadic_of(kind)
            if item is not None:  # name the item that does not fit, not the whole tuple
                lines += [
                    f"    if not isinstance({value}, tuple):",
                    f"        return {found}, {value}, False",
                    f"    for x in {value}:",
                    f"        if not ({self.test(item, 'x', 1)}):",
                    f"            return {found}, x, True",
                ]
            else:
                lines += [
                    f"    if not ({self.test(kind, value, 1)}):",
                    f"        return {found}, {value}, False",
                ]
        lines.append("    return None")
        self.define("\n".join(lines) + "\n")

    def test(self, kind: Any, value: str, depth: int) -> str:
        """A truth expression: ``value`` is of ``kind``."""
        if kind is str:
            return f"isinstance({value}, str)"
        if kind is int:
            return f"(isinstance({value}, int) and not isinstance({value}, bool))"
        if kind is bool:
            return f"isinstance({value}, bool)"
        if kind is type(None):
            return f"{value} is None"
        inner = _optional_of(kind)
        if inner is not None:
            return f"({value} is None or {self.test(inner, value, depth)})"
        item = _variadic_of(kind)
        if item is not None:
            x = f"x{depth}"
            return f"(isinstance({value}, tuple) and all({self.test(item, x, depth + 1)} for {x} in {value}))"
        fixed = _fixed_of(kind)
        if fixed is not None:
            parts = " and ".join(self.test(arg, f"{value}[{i}]", depth) for i, arg in enumerate(fixed))
            return f"(isinstance({value}, tuple) and len({value}) == {len(fixed)} and {parts})"
        if isinstance(kind, type):
            return f"isinstance({value}, {self.constant(kind)})"
        raise TypeError(f"no check for {kind!r}")


def describe(kind: Any, *, many: bool = False) -> str:
    """How a field's type reads in a message: "text", "a Unit", "a list of Section objects"."""
    if kind is str:
        return "text"
    if kind is int:
        return "whole numbers" if many else "a whole number"
    if kind is bool:
        return "True or False"
    inner = _optional_of(kind)
    if inner is not None:
        return f"{describe(inner, many=many)} or None"
    item = _variadic_of(kind)
    if item is not None:
        return f"a list of {describe(item, many=True)}"
    fixed = _fixed_of(kind)
    if fixed is not None:
        return f"{'pairs' if many else 'a pair'} ({', '.join(describe(arg) for arg in fixed)})"
    if isinstance(kind, type):
        return f"{kind.__name__} objects" if many else f"a {kind.__name__}"
    return repr(kind)


Misfit = tuple[str, str, Any, bool]
"""A field whose value is not of its type: its name, the type in words, the value that does not
fit, and whether that value is an item of the field's list rather than the field's value."""


def make_check(cls: type) -> Callable[[Any], Misfit | None]:
    """A function giving the first field of an instance of ``cls`` whose value is not of its
    declared type, or None when every field's is."""
    generator = _Check("check", {})
    function: Callable[[Any], Misfit | None] = generator.scope[generator.function(cls)]
    return function


# ``value.isoformat()``, kept per date: the same few dates come again and again (a letter's
# date on every event of a day), and writing one costs three times the lookup
iso_date = functools.lru_cache(maxsize=4096)(_dt.date.isoformat)


def make_unstructure(cls: type, format_time: Callable[[Any], str]) -> Callable[[Any], dict[str, Any]]:
    """A function giving the JSON form of ``cls`` as the converter does; TypeError for a field
    type it has no form for."""
    generator = _Unstructure("unstructure", {"format_time": format_time, "iso_date": iso_date})
    function: Callable[[Any], dict[str, Any]] = generator.scope[generator.function(cls)]
    return function


def make_structure(cls: type, parse_time: Callable[[str], pendulum.DateTime]) -> Callable[[Any], Any]:
    """A function building ``cls`` from its JSON form, or raising :class:`Refused`; TypeError
    for a field type it cannot read."""
    generator = _Structure("structure", {"parse_time": parse_time, "Refused": Refused, "refuse": _refuse})
    function: Callable[[Any], Any] = generator.scope[generator.function(cls)]
    return function
