"""The command line's reading commands on a large SQLite log, as an official runs them.

Records N proposals the way ``benchmarks/deadlines.py`` does (Chongqing 2017 rules, a lead
and two co-handlers each, most answered, one in twenty late: about 8 events a proposal, a
fifth of them the deadlines an event starts), imports them into a SQLite file, then runs
``cohandle list``, ``due``, ``overdue``, ``reminders`` and ``stats`` on it, each in a fresh
process, timed from the call of the command line's ``main`` to its return, with the peak
memory of the process:

- as shipped;
- with the cycle collector left running, as Python runs it (the command line pauses it for a
  command);
- the floor: the same process reading every row of the file, parsing its JSON and folding
  each proposal's events into a dictionary (what any reader of the log has to do), as
  ``benchmarks/store.py``'s floor of replay does it.

The variants take turns in every round; the best of the rounds counts. Usage: ``python
benchmarks/cli.py --size 20000 --rounds 3``. Prints a table, then one JSON line of figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import deadlines  # the same proposals as the deadline board's benchmark

from cohandle._build import compiled_modules, describe
from cohandle.stores import SQLiteStore, export_jsonl, import_jsonl

AT = "2025-12-15T10:00:00+08:00"  # the benchmark's now: deadlines.NOW
COMMANDS: dict[str, list[str]] = {
    "list": ["list"],
    "due": ["due", "--now", AT],
    "overdue": ["overdue", "--now", AT],
    "reminders": ["reminders", "--now", AT],
    "stats": ["stats"],
}

# Each run is a fresh process: a command line's cost is one command in a process of its own.
_CHILD = """
import contextlib, io, json, resource, sys, time
import cohandle._cli as cli
variant, path, argv, benchmarks = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
if variant == "collector":
    cli._collector_paused = contextlib.nullcontext
if variant == "floor":  # the stores' benchmark's floor of replay
    import pathlib
    sys.path.insert(0, benchmarks)
    import store
    seconds, code = store.raw_replay(pathlib.Path(path)), 0
else:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main([*argv, "--db", path])
    seconds = time.perf_counter() - start
try:  # this process's own peak: ru_maxrss keeps the parent's, from before the exec, on Linux
    with open("/proc/self/status") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"code": code, "seconds": seconds, "peak_kib": peak_kib}))
"""


def run(variant: str, path: Path, argv: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, variant, str(path), json.dumps(argv), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if done.returncode != 0:
        raise SystemExit(f"{variant} {argv} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"{variant} {argv} exited with {result['code']}")
    return result


def make_log(n: int, path: Path) -> int:
    """A SQLite log of ``n`` proposals; returns its number of events."""
    wf = deadlines.record(n)
    buffer = io.BytesIO()
    export_jsonl(wf.store, buffer)
    buffer.seek(0)
    with SQLiteStore(path) as store:
        return import_jsonl(store, buffer).events


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=20_000, help="proposals (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts (default 3)")
    args = parser.parse_args(argv)
    if args.size < 1 or args.rounds < 1:
        parser.error("--size and --rounds must be at least 1")
    folder = Path(tempfile.mkdtemp(prefix="cohandle-cli-"))
    try:
        path = folder / "log.db"
        events = make_log(args.size, path)
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for _ in range(args.rounds):
            runs.setdefault(("floor", "read"), []).append(run("floor", path, []))
            for name, command in COMMANDS.items():
                for variant in ("shipped", "collector"):
                    runs.setdefault((variant, name), []).append(run(variant, path, command))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    best = {key: min(r["seconds"] for r in found) for key, found in runs.items()}
    peak = {key: min(r["peak_kib"] for r in found) for key, found in runs.items()}
    floor = best[("floor", "read")]

    print(
        f"Reading commands, {args.size:,} proposals, {events:,} events in SQLite, "
        f"best of {args.rounds} rounds (cohandle {describe()})"
    )
    print(
        f"{'command':<10} {'shipped s':>10} {'collector on s':>15} {'on ÷ shipped':>13} {'÷ floor':>8} {'peak MiB':>9}"
    )
    figures: dict[str, Any] = {"proposals": args.size, "events": events}
    for name in COMMANDS:
        shipped, running = best[("shipped", name)], best[("collector", name)]
        mib = peak[("shipped", name)] / 1024
        print(
            f"{name:<10} {shipped:>10.2f} {running:>15.2f} {running / shipped:>12.2f}x "
            f"{shipped / floor:>7.1f}x {mib:>9.1f}"
        )
        figures[f"{name}_s"] = round(shipped, 3)
        figures[f"{name}_collector_on_s"] = round(running, 3)
        figures[f"{name}_collector_on_vs_shipped_x"] = round(running / shipped, 2)
        figures[f"{name}_vs_floor_x"] = round(shipped / floor, 1)
        figures[f"{name}_peak_mib"] = round(mib, 1)
        figures[f"{name}_events_per_s"] = round(events / shipped)
    print(f"{'floor':<10} {floor:>10.2f} {'':>15} {'':>13} {'':>8} {peak[('floor', 'read')] / 1024:>9.1f}")
    figures["floor_s"] = round(floor, 3)
    figures["floor_peak_mib"] = round(peak[("floor", "read")] / 1024, 1)
    figures["compiled_module_count"] = len(compiled_modules())
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
