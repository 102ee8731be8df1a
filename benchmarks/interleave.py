"""What a command and a commit cost when they take turns, beside what each costs alone.

The stores' benchmark compares a whole command on SQLite with the raw floor: the same rows
inserted one per transaction, back to back. A command cannot go back to back: its own work
comes between two commits. This script runs, on the same rows and at ``synchronous=FULL`` and
``NORMAL``:

- the raw floor, back to back (as in ``benchmarks/store.py``);
- cohandle's commands in memory, with no disk;
- the two taking turns: each command in memory, then its event's row inserted raw in its own
  transaction, with the time of each part added up apart;
- cohandle's SQLite workflow, where the command and its commit take turns in the same way.

If taking turns cost nothing, the third would be the sum of the first two. What it costs
more is what neither part pays alone; the workflow beside it shows how much of a command's
distance from the floor is that, and how much is the store's own work (the stream's head,
the rows' text).

Usage: ``python benchmarks/interleave.py --size 300``. Every measure runs once per round,
``--repeat`` rounds (5 by default), and the best of each is kept. Prints a table, then one
JSON line of figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import store  # the floor, the rows and the commands of the stores' benchmark

import cohandle
from cohandle._build import compiled_modules, describe
from cohandle.stores import StoredRecord

SETTINGS = ("FULL", "NORMAL")


def commands_alone(n: int) -> float:
    wf = cohandle.Workflow()
    start = time.perf_counter()
    store.run_lifecycles(wf, n)
    return time.perf_counter() - start


def taking_turns(path: Path, rows: list[StoredRecord], n: int, synchronous: str) -> tuple[float, float]:
    """Seconds in the commands and seconds in the inserts, each command followed by one insert."""
    wf = cohandle.Workflow()
    db = store.raw_table(path, synchronous)
    clock = time.perf_counter
    in_commands = in_inserts = 0.0
    pending = iter(rows)
    start = clock()
    for _ in store.steps(wf, n):  # one command has run
        ran = clock()
        db.execute("BEGIN IMMEDIATE")
        db.execute(store.RAW_INSERT, tuple(next(pending)))
        db.execute("COMMIT")
        done = clock()
        in_commands += ran - start
        in_inserts += done - ran
        start = done
    db.close()
    return in_commands, in_inserts


def one_round(folder: Path, n: int, rows: list[StoredRecord]) -> dict[str, float]:
    """Every measure once, in seconds, on fresh files in ``folder``."""
    folder.mkdir()
    seconds = {"commands": commands_alone(n)}
    for setting in SETTINGS:
        key = setting.lower()
        seconds[f"{key}_raw"] = store.raw_append(folder, rows, setting)
        command, insert = taking_turns(folder / f"turns-{setting}.db", rows, n, setting)
        seconds[f"{key}_turns_command"] = command
        seconds[f"{key}_turns_insert"] = insert
        seconds[f"{key}_turns"] = command + insert
        seconds[f"{key}_workflow"], _ = store.cohandle_append(folder, n, setting)
    return seconds


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    args = store.parse_sized(parser, argv, repeat=5)
    n = args.size
    events = n * store.EVENTS
    folder = Path(tempfile.mkdtemp(prefix="cohandle-interleave-"))
    try:
        with cohandle.Workflow.open(folder / "rows.db", synchronous="NORMAL") as wf:
            store.run_lifecycles(wf, n)
        rows = store.rows_of(folder / "rows.db")
        assert len(rows) == events
        rounds = [one_round(folder / f"round-{i}", n, rows) for i in range(args.repeat)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    best = {key: min(r[key] for r in rounds) for key in rounds[0]}
    for setting in SETTINGS:  # the parts of the best round of taking turns, so that they add up
        key = setting.lower()
        fastest = min(rounds, key=lambda r: r[f"{key}_turns"])
        best[f"{key}_turns_command"] = fastest[f"{key}_turns_command"]
        best[f"{key}_turns_insert"] = fastest[f"{key}_turns_insert"]
    us = {key: seconds / events * 1e6 for key, seconds in best.items()}

    print(
        f"Commands and commits, {n:,} proposals, {events:,} events, best of {args.repeat} (cohandle {describe()})"
    )
    figures: dict[str, Any] = {"events": events, "commands_us_per_event": round(us["commands"], 2)}
    for setting in SETTINGS:
        key = setting.lower()
        alone = us[f"{key}_raw"] + us["commands"]
        extra = us[f"{key}_turns"] - alone
        print()
        print(f"synchronous={setting:<40} {'µs/event':>10}")
        for label, value in (
            ("raw insert, back to back (the floor)", us[f"{key}_raw"]),
            ("cohandle's command in memory", us["commands"]),
            ("  the two, each alone, added", alone),
            ("the two taking turns", us[f"{key}_turns"]),
            ("  of which the commands", us[f"{key}_turns_command"]),
            ("  of which the inserts", us[f"{key}_turns_insert"]),
            ("  more than alone", extra),
            ("cohandle's SQLite workflow", us[f"{key}_workflow"]),
        ):
            print(f"{label:<52} {value:>10.1f}")
        figures.update(
            {
                f"{key}_raw_us_per_event": round(us[f"{key}_raw"], 1),
                f"{key}_turns_us_per_event": round(us[f"{key}_turns"], 1),
                f"{key}_turns_command_us_per_event": round(us[f"{key}_turns_command"], 1),
                f"{key}_turns_insert_us_per_event": round(us[f"{key}_turns_insert"], 1),
                f"{key}_turns_extra_us_per_event": round(extra, 1),
                f"{key}_workflow_us_per_event": round(us[f"{key}_workflow"], 1),
                f"{key}_workflow_vs_raw_x": round(us[f"{key}_workflow"] / us[f"{key}_raw"], 2),
                f"{key}_workflow_vs_turns_x": round(us[f"{key}_workflow"] / us[f"{key}_turns"], 2),
            }
        )
    figures["compiled_module_count"] = len(compiled_modules())
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
