"""Where a command's time goes, measured inside the full lifecycle rather than piece by piece.

Timing a piece alone in a warm loop (``timeit``) under-counts it: in the full run each piece
also pays for the cache misses and the calls around it. This script runs the lifecycle of
``benchmarks/lifecycle.py`` once as it is (the baseline) and once with each stage replaced by a
stand-in that returns a constant of the same shape, interleaved over several rounds. The time
a stage saves when replaced is what it costs in place.

The stand-ins break what the stage is for (a constant hash chains nothing), so this measures
speed only; the stored log of a stand-in run is not valid. Savings do not add up exactly to
the whole: a stage left out also makes the stages around it cheaper.

With ``--instructions`` each variant is counted rather than timed: it runs for N and 5N
proposals in fresh processes under valgrind, as ``benchmarks/instructions.py`` does, and the
difference per event is what the variant costs in processor instructions. Counts do not move
with the machine's load, so one run is enough; they leave out waiting on memory, and SHA-256
runs in software under valgrind (see that script).

Usage: ``python benchmarks/breakdown.py --size 3000 --rounds 9`` (timed) or ``python
benchmarks/breakdown.py --instructions --size 50`` (counted; needs valgrind). Prints a table,
then one JSON line of figures.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from unittest import mock

sys.path.insert(0, str(Path(__file__).parent))

import instructions  # the same valgrind count
import lifecycle  # the same commands as the lifecycle benchmark

from cohandle import _clock, _commands, _events
from cohandle._build import compiled_modules
from cohandle.stores import MemoryStore

_DIGEST = bytes(32)
_NOW = _clock.SystemClock().now()


# Stand-ins: each returns a constant of the shape the real stage returns.


def _no_payload_json(payload: Any) -> bytes:
    return b"{}"


def _no_time_text(moment: Any) -> str:
    return "2025-03-01T00:00:00.000000Z"


def _no_join(*parts: Any) -> bytes:
    return b"{}"


def _no_digest(body: bytes, algorithm: str) -> bytes:
    return _DIGEST


def _no_append(
    self: MemoryStore, stream_id: str, expected_version: int, events: Any, compare_head: bool
) -> None:
    return None


def _no_clock(self: _clock.SystemClock) -> Any:
    return _NOW


def _relations_only(p: Any, command: str, actor: Any) -> Any:
    return _commands.held_by(p, actor)  # the commands still need the actor's relations


class Stage(NamedTuple):
    what: str
    target: Any  # the module or class whose attribute is replaced
    attribute: str
    stand_in: Callable[..., Any]
    # the module that calls it by name; compiled, it calls the function directly, past any
    # stand-in. None: it is called as a method of an object, which a stand-in always replaces
    caller: str | None


STAGES: dict[str, Stage] = {
    "payload_json": Stage(
        "the payload's canonical JSON (generated unstructure + orjson)",
        _events,
        "payload_json",
        _no_payload_json,
        "cohandle._events",
    ),
    "timestamps": Stage(
        "the two timestamps' text", _events, "format_time", _no_time_text, "cohandle._events"
    ),
    "body_join": Stage(
        "joining the hash body from its parts", _events, "_sealed_body", _no_join, "cohandle._events"
    ),
    "digest": Stage("SHA-256 of the body", _events, "digest_bytes", _no_digest, "cohandle._events"),
    "store_append": Stage("the memory store's append", MemoryStore, "_append_events", _no_append, None),
    "clock": Stage("reading the system clock", _clock.SystemClock, "now", _no_clock, None),
    "lifecycle_and_table": Stage(
        "the lifecycle and permission-table check (relations still computed)",
        _commands,
        "check",
        _relations_only,
        "cohandle._engine",
    ),
}
COLLECTOR = "collector"  # not a stand-in: the same run with gc.disable()


def measurable() -> dict[str, Stage]:
    """The stages this build lets a stand-in replace: all of them in the plain build."""
    compiled = set(compiled_modules())
    return {name: stage for name, stage in STAGES.items() if stage.caller not in compiled}


@contextlib.contextmanager
def replaced(stage: str | None) -> Iterator[None]:
    """The lifecycle runs inside this with ``stage`` replaced (None: as it is)."""
    if stage is None:
        yield
    elif stage == COLLECTOR:
        gc.disable()
        try:
            yield
        finally:
            gc.enable()
    else:
        found = STAGES[stage]
        with mock.patch.object(found.target, found.attribute, new=found.stand_in):
            yield


def run_once(n: int, stage: str | None) -> float:
    """Seconds for ``n`` lifecycles, with ``stage`` replaced (None: as it is)."""
    gc.collect()
    with replaced(stage):
        start = time.perf_counter()
        result = lifecycle.cohandle_run(n)
        seconds = time.perf_counter() - start
    del result
    return seconds


def counted_per_event(n: int, variants: list[str | None]) -> dict[str | None, float]:
    """Instructions per event of each variant (``instructions.per_event`` of its child run)."""
    children = {variant: variant or _AS_IT_IS for variant in variants}
    counts = instructions.per_event(__file__, list(children.values()), n)
    return {variant: counts[child] for variant, child in children.items()}


_AS_IT_IS = "none"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size",
        type=int,
        help="proposals per run (default 3000; with --instructions, N for runs of N and 5N, default 50)",
    )
    parser.add_argument(
        "--rounds", type=int, default=9, help="interleaved rounds; medians are kept (default 9)"
    )
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under valgrind instead of timing"
    )
    parser.add_argument("--child", choices=[_AS_IT_IS, *STAGES, COLLECTOR], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = args.size if args.size is not None else (50 if args.instructions or args.child else 3_000)
    if size < 1 or args.rounds < 1:
        parser.error("--size and --rounds must be at least 1")
    if args.child:  # inside valgrind: one variant, one size
        with replaced(None if args.child == _AS_IT_IS else args.child):
            lifecycle.cohandle_run(size)
        return {}
    stages = measurable()
    variants: list[str | None] = [None, *stages, COLLECTOR]
    if args.instructions:
        if shutil.which("valgrind") is None:
            parser.error("valgrind is not installed (apt-get install valgrind)")
        per_event = counted_per_event(size, variants)
        unit, key = "instr/event", "instructions_per_event"
        title = f"Full lifecycle, {size:,} and {5 * size:,} proposals: machine instructions (valgrind)"
    else:
        events = size * lifecycle.EVENTS_PER_LIFECYCLE
        run_once(min(size, 500), None)  # warm up: imports, generated codecs
        seconds: dict[str | None, list[float]] = {variant: [] for variant in variants}
        for _ in range(args.rounds):
            for variant in variants:  # interleaved, so drift in the machine's speed hits all alike
                seconds[variant].append(run_once(size, variant))
        per_event = {variant: statistics.median(times) / events * 1e6 for variant, times in seconds.items()}
        unit, key = "µs/event", "us_per_event"
        title = f"Full lifecycle, {size:,} proposals ({events:,} events), median of {args.rounds} interleaved rounds"
    base = per_event[None]
    digits = 0 if args.instructions else 2

    print(title)
    print(f"{'stage replaced by a constant':<68} {unit:>11} {'saved':>9} {'share':>6}")
    print(f"{'nothing (the baseline)':<68} {base:>11,.{digits}f}")
    figures: dict[str, Any] = {"proposals": size, f"base_{key}": round(base, digits)}
    for stage in [*stages, COLLECTOR]:
        what = STAGES[stage].what if stage in STAGES else "the cycle collector (gc.disable())"
        saved = base - per_event[stage]
        print(f"{what:<68} {per_event[stage]:>11,.{digits}f} {saved:>9,.{digits}f} {saved / base:>6.0%}")
        figures[f"{stage}_{key}"] = round(saved, digits)
    for name in STAGES.keys() - stages.keys():
        print(f"not measured in this build: {STAGES[name].what} ({STAGES[name].caller} is compiled)")
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
