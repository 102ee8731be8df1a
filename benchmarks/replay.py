"""Where replay's time goes: reading a SQLite log back into every proposal, split into its parts.

A SQLite file of N full lifecycles (those of ``benchmarks/lifecycle.py``, 9 events each) is
written once. Then, in every round:

- the whole replay as ``benchmarks/store.py`` measures it (``Workflow.open(path,
  cache_size=0)``, then every proposal of ``wf.proposals()``), with the cycle collector on, and
  again with it off (``gc.disable()``);
- its parts one after another, each over every event of the file: reading the stored rows,
  parsing each payload's JSON alone, building each typed payload from its parsed JSON alone
  (the generated structuring and the value objects it makes), decoding each stream's rows
  into ``RecordedEvent`` envelopes (JSON, typed payload, actor, times, digests), and folding
  each stream's events into its ``Proposal``;
- the decoding again with the value objects' field-type checks replaced by a check that
  passes everything (what re-checking every stored value against its declared type costs;
  the decoding's own checks of the JSON's shape still run);
- the raw floor of ``benchmarks/store.py``: read the rows, parse the JSON, fold into dicts.

The parts are timed alone, so they add up to about the whole, not exactly. The best of the
rounds counts. Usage: ``python benchmarks/replay.py --size 2000 --rounds 7``. Prints a table,
then one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import orjson

sys.path.insert(0, str(Path(__file__).parent))

import breakdown  # the same way of turning the collector off
import store  # the same lifecycles and the same raw floor

import cohandle
from cohandle import _model
from cohandle._build import compiled_modules, describe
from cohandle._events import event_from_dict
from cohandle._state import replay
from cohandle.stores import SQLiteStore, StoredRecord
from cohandle.stores._rows import decode_stream

EVENTS = store.EVENTS


def _passes(value: object) -> None:
    return None


def passing_checks() -> dict[type, Callable[[Any], None]]:
    """A stand-in for the value objects' table of field-type checks in which every check
    passes, for every class that has looked up its check so far (after a first decoding, all
    of those the log holds)."""
    return dict.fromkeys(_model._CHECKS, _passes)


def _streams(path: Path) -> list[list[StoredRecord]]:
    """The stored rows of every stream, in version order."""
    streams: dict[str, list[StoredRecord]] = {}
    with SQLiteStore(path) as sqlite:
        for record in sqlite.records():
            streams.setdefault(record.stream_id, []).append(record)
    return list(streams.values())


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _without_collector(path: Path) -> float:
    """The whole replay with the cycle collector off, as the breakdown turns it off."""
    with breakdown.replaced(breakdown.COLLECTOR):
        return store.cohandle_replay(path)


def _parse_each(payloads: list[str]) -> None:
    """Parse every payload and drop the result, as decoding does once it has the payload's
    objects (keeping every parsed dict alive would make the collector's work the measure)."""
    loads = orjson.loads
    for payload in payloads:
        loads(payload)


def _build_payloads(streams: list[list[StoredRecord]]) -> float:
    """Seconds to build every typed payload from its JSON, parsed beforehand."""
    parsed = [
        (record.type, record.schema, orjson.loads(record.payload)) for rows in streams for record in rows
    ]
    return _timed(lambda: [event_from_dict(kind, schema, data) for kind, schema, data in parsed])


def one_round(path: Path, number: int) -> dict[str, float]:
    # the whole replays and the floor first, each with nothing of the other parts alive: what
    # is alive is what the cycle collector walks
    seconds = {
        "replay": store.cohandle_replay(path),
        "replay_no_gc": _without_collector(path),
        "raw": store.raw_replay(path),
    }
    streams: list[list[StoredRecord]] = []
    seconds["read"] = _timed(lambda: streams.extend(_streams(path)))
    payloads = [record.payload for rows in streams for record in rows]
    seconds["json"] = _timed(lambda: _parse_each(payloads))
    seconds["payloads"] = _build_payloads(streams)
    # checked and unchecked decoding take turns going first, round by round, so that neither
    # always finds the heap the other left
    decoded: list[list[Any]] = []
    for unchecked in (False, True) if number % 2 == 0 else (True, False):
        decoded.clear()
        if unchecked:
            with mock.patch.object(_model, "_CHECKS", passing_checks()):
                seconds["decode_unchecked"] = _timed(lambda: decoded.extend(map(decode_stream, streams)))
        else:
            seconds["decode"] = _timed(lambda: decoded.extend(map(decode_stream, streams)))
            seconds["fold"] = _timed(lambda: [replay(events) for events in decoded])
    return seconds


ROWS = [
    ("whole replay (Workflow.proposals(), as store.py)", "replay"),
    ("  the same, cycle collector off", "replay_no_gc"),
    ("read the stored rows (SQLiteStore.records())", "read"),
    ("parse each payload's JSON (part of decoding)", "json"),
    ("build each typed payload from its parsed JSON (part of decoding)", "payloads"),
    ("decode rows into events (JSON, payload, actor, times, digests)", "decode"),
    ("  the same, value objects' field-type checks passing everything", "decode_unchecked"),
    ("fold each stream's events into its Proposal", "fold"),
    ("raw floor: read + JSON + dict fold", "raw"),
]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=2000, help="proposals, 9 events each (default 2000)")
    parser.add_argument(
        "--rounds", type=int, default=7, help="rounds; the best of each part counts (default 7)"
    )
    args = parser.parse_args(argv)
    if args.size < 1 or args.rounds < 1:
        parser.error("--size and --rounds must be at least 1")
    events = args.size * EVENTS
    folder = Path(tempfile.mkdtemp(prefix="cohandle-bench-"))
    try:
        path = folder / "replay.db"
        with cohandle.Workflow.open(path, synchronous="NORMAL") as wf:
            store.run_lifecycles(wf, args.size)
        store.cohandle_replay(path)  # a first decoding: every value class has its check
        rounds = [one_round(path, number) for number in range(args.rounds)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    best = {key: min(r[key] for r in rounds) for key in rounds[0]}
    us = {key: best[key] / events * 1e6 for key in best}

    print(
        f"Replay of {args.size:,} proposals ({events:,} events) from SQLite, best of {args.rounds} rounds"
        f" (cohandle {describe()})"
    )
    print(f"{'part':66}{'µs/event':>10}{'of whole':>10}")
    for label, key in ROWS:
        share = f"{us[key] / us['replay']:.0%}" if key != "replay" else ""
        print(f"{label:66}{us[key]:10.2f}{share:>10}")
    figures: dict[str, Any] = {"events": events}
    figures |= {f"{key}_us_per_event": round(us[key], 2) for _, key in ROWS}
    figures["replay_events_per_s"] = round(events / best["replay"])
    figures["raw_events_per_s"] = round(events / best["raw"])
    figures["replay_vs_raw_x"] = round(best["replay"] / best["raw"], 2)
    figures["collector_share_of_replay"] = round(1 - best["replay_no_gc"] / best["replay"], 3)
    figures["type_checks_share_of_decode"] = round(1 - best["decode_unchecked"] / best["decode"], 3)
    print(f"\n{figures['replay_events_per_s']:,} events/s; the raw floor {figures['raw_events_per_s']:,}")
    figures["compiled_module_count"] = len(compiled_modules())
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
