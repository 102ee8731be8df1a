"""Machine instructions per event, counted by valgrind: a figure the machine's load does not move.

Timings on a shared machine move by 5-10% from run to run, more than most single changes to
the command path are worth. This script runs the lifecycles of ``benchmarks/lifecycle.py``
(cohandle and two of its baselines, the same steps) under valgrind (cachegrind, without its
cache simulation) and counts the instructions the processor executes, C code included. Each
implementation runs twice, for N and for 5N proposals, in fresh processes with a fixed hash
seed; the difference divided by the 4N lifecycles' events is the cost of one event without
the start-up. Runs of the same code give the same count to within about half a percent.

What the count does not see: cache misses and the memory they wait on (``--cache``, below,
simulates them), and the hardware's own SHA-256 instructions (valgrind hides them from
OpenSSL, which then hashes in software: about 19,000 instructions per event of cohandle's
count here are hashing that costs far less on the machine itself). Judge a change by the
count, then confirm it with the timings.

With ``--cache`` the runs are made under cachegrind's simulation of the machine's caches,
which counts the same instructions, and a second table gives each implementation's cache
misses per event: first-level instruction (I1) and data (D1) misses, last-level (LL) misses,
and first-level misses per 1,000 instructions. Simulated, not measured: a way to see whether
one implementation waits on memory more often per instruction than another, where the
processor's own counters are not available.

With ``--replay`` it counts reading a log back instead: SQLite files of N and 5N of the same
lifecycles are written first (outside valgrind), then each is replayed in a fresh process
under valgrind, by cohandle as ``benchmarks/store.py`` times it (``Workflow.open(path,
cache_size=0)``, every proposal of ``proposals()``) and by that script's raw floor (read the
rows, parse their JSON, fold into dicts). Replay computes no hash, so its count has no
software hashing in it.

Needs valgrind (``apt-get install valgrind``). Usage: ``python benchmarks/instructions.py
--size 50 [--cache | --replay]``. Prints a table, then one JSON line of figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import lifecycle  # the same steps as the timed benchmark
import store  # the same replay and raw floor as the timed benchmark

import cohandle

MEASURED = {
    "cohandle": "cohandle",
    "transitions_rules": lifecycle.FULL_NAIVE,
    "eventsourcing": "eventsourcing (popo, save per command)",
}
REPLAYED = {
    "replay": "cohandle replay (Workflow.proposals(), SQLite)",
    "raw_replay": "raw floor: read + JSON + dict fold",
}
_COLLECTED = re.compile(r"I\s+refs:\s+([\d,]+)")
# what cachegrind's cache simulation prints, by the names this script gives them
_SIMULATED = {
    "instructions": _COLLECTED,
    "i1_misses": re.compile(r"I1\s+misses:\s+([\d,]+)"),
    "d1_misses": re.compile(r"D1\s+misses:\s+([\d,]+)"),
    "ll_misses": re.compile(r"LL\s+misses:\s+([\d,]+)"),
}


def _valgrind(command: list[str], out: str, simulate: bool) -> str:
    """What cachegrind says of a fresh process running ``command`` (after ``python``)."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            f"--cache-sim={'yes' if simulate else 'no'}",
            f"--cachegrind-out-file={out}",
            sys.executable,
            *command,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )
    if done.returncode != 0 or _COLLECTED.search(done.stderr) is None:
        raise RuntimeError(f"valgrind could not count {' '.join(command)}: {done.stderr[-2000:]}")
    return done.stderr


def counted(command: list[str], out: str) -> int:
    """Instructions executed by a fresh process running ``command`` (after ``python``)."""
    found = _COLLECTED.search(_valgrind(command, out, simulate=False))
    assert found is not None  # _valgrind made sure
    return int(found.group(1).replace(",", ""))


def cache_figures(report: str) -> dict[str, int]:
    """Instructions and misses from the summary of cachegrind's cache simulation: first-level
    instruction and data cache misses, and last-level misses (instructions and data)."""
    figures = {}
    for name, pattern in _SIMULATED.items():
        found = pattern.search(report)
        if found is None:
            raise RuntimeError(f"cachegrind's summary has no {name}: {report[-2000:]}")
        figures[name] = int(found.group(1).replace(",", ""))
    return figures


def simulated(command: list[str], out: str) -> dict[str, int]:
    """Instructions and cache misses of a fresh process running ``command``, as cachegrind's
    simulation of the machine's caches counts them."""
    return cache_figures(_valgrind(command, out, simulate=True))


def _per_event(
    script: str,
    children: list[str],
    n: int,
    measure: Callable[[list[str], str], dict[str, int]],
    logs: Path | None = None,
) -> dict[str, dict[str, float]]:
    """``measure`` of each ``--child`` of ``script`` per event: it runs N and 5N proposals,
    each in a fresh process under valgrind, and the difference is divided by the 4N
    lifecycles' events. With ``logs``, a folder holding the logs :func:`write_logs` wrote, the
    children replay those."""
    events = 4 * n * lifecycle.EVENTS_PER_LIFECYCLE
    where = [] if logs is None else ["--logs", str(logs)]
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = {
            (child, size): pool.submit(
                measure,
                [script, "--child", child, "--size", str(size), *where],
                f"{folder}/{child}-{size}.out",
            )
            for child in children
            for size in (n, 5 * n)
        }
        found = {key: job.result() for key, job in jobs.items()}
    return {
        child: {
            name: (found[child, 5 * n][name] - found[child, n][name]) / events for name in found[child, n]
        }
        for child in children
    }


def per_event(script: str, children: list[str], n: int, logs: Path | None = None) -> dict[str, float]:
    """Instructions per event of each ``--child`` of ``script`` (N and 5N proposals, as
    :func:`_per_event` says)."""
    counts = _per_event(
        script, children, n, lambda command, out: {"instructions": counted(command, out)}, logs
    )
    return {child: figures["instructions"] for child, figures in counts.items()}


def _log(folder: Path, size: int) -> Path:
    return folder / f"lifecycles-{size}.db"


def write_logs(folder: Path, n: int) -> None:
    """SQLite logs of N and 5N full lifecycles in ``folder``, for the replay children."""
    for size in (n, 5 * n):
        with cohandle.Workflow.open(_log(folder, size), synchronous="NORMAL") as wf:
            store.run_lifecycles(wf, size)


def replay_counts(n: int) -> dict[str, Any]:
    """Count the replay children over logs of N and 5N lifecycles; print the table, and return
    the figures."""
    with tempfile.TemporaryDirectory() as folder:
        write_logs(Path(folder), n)
        counts = per_event(__file__, list(REPLAYED), n, Path(folder))
    ours = counts["replay"]
    print(f"Replay of SQLite logs of {n:,} and {5 * n:,} full lifecycles: machine instructions (valgrind)")
    print(f"{'implementation':<50} {'per event':>12} {'× cohandle':>11}")
    for key, value in counts.items():
        print(f"{REPLAYED[key]:<50} {value:>12,.0f} {value / ours:>11.2f}")
    return {
        "proposals": n,
        "replay_instructions_per_event": round(ours),
        "raw_replay_instructions_per_event": round(counts["raw_replay"]),
        "replay_to_raw_x": round(ours / counts["raw_replay"], 2),
    }


def cache_table(found: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Print, and return as figures, each implementation's cache misses per event."""
    ours = found["cohandle"]
    print("\nCache misses per event, cachegrind's simulation of this machine's caches")
    print(
        f"{'implementation':<50} {'I1':>8} {'D1':>8} {'LL':>6} {'L1 per 1,000 instr.':>20} {'L1 × cohandle':>14}"
    )
    figures: dict[str, Any] = {}
    for key, them in found.items():
        l1 = them["i1_misses"] + them["d1_misses"]
        rate = 1000 * l1 / them["instructions"]
        print(
            f"{MEASURED[key]:<50} {them['i1_misses']:>8,.0f} {them['d1_misses']:>8,.0f} {them['ll_misses']:>6,.1f}"
            f" {rate:>20.1f} {l1 / (ours['i1_misses'] + ours['d1_misses']):>14.2f}"
        )
        figures[f"{key}_l1_misses_per_event"] = round(l1)
        figures[f"{key}_ll_misses_per_event"] = round(them["ll_misses"], 1)
        figures[f"{key}_l1_misses_per_1000_instructions"] = round(rate, 1)
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=50, help="N: runs of N and 5N proposals (default 50)")
    parser.add_argument(
        "--cache",
        action="store_true",
        help="simulate the caches too and count their misses per event (the runs take longer)",
    )
    parser.add_argument(
        "--replay",
        action="store_true",
        help="count reading SQLite logs back into every proposal, beside the raw floor",
    )
    parser.add_argument("--child", choices=sorted(MEASURED | REPLAYED), help=argparse.SUPPRESS)
    parser.add_argument("--logs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1")
    if args.cache and args.replay:
        parser.error("--cache and --replay are two different counts: ask for one")
    if args.child in REPLAYED:  # inside valgrind: one replay of one log
        path = _log(args.logs, args.size)
        (store.cohandle_replay if args.child == "replay" else store.raw_replay)(path)
        return {}
    if args.child:  # inside valgrind: one implementation, one size
        lifecycle.RUNNERS[MEASURED[args.child]](args.size)
        return {}
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")

    n = args.size
    if args.replay:
        replayed = replay_counts(n)
        print(json.dumps(replayed, ensure_ascii=False))
        return replayed
    if args.cache:  # the simulation counts the same instructions, and the misses besides
        found = _per_event(__file__, list(MEASURED), n, simulated)
        counts = {key: them["instructions"] for key, them in found.items()}
    else:
        counts = per_event(__file__, list(MEASURED), n)
    ours = counts["cohandle"]

    print(f"Full lifecycle, {n:,} and {5 * n:,} proposals: machine instructions (valgrind)")
    print(f"{'implementation':<50} {'per event':>12} {'× cohandle':>11}")
    for key, value in counts.items():
        print(f"{MEASURED[key]:<50} {value:>12,.0f} {value / ours:>11.2f}")
    figures: dict[str, Any] = {"proposals": n}
    for key, value in counts.items():
        figures[f"{key}_instructions_per_event"] = round(value)
    for key in ("transitions_rules", "eventsourcing"):
        figures[f"{key}_to_cohandle_x"] = round(counts[key] / ours, 2)
    if args.cache:
        figures |= cache_table(found)
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
