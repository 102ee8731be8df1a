"""Machine instructions per event, counted by valgrind: a figure the machine's load does not move.

Timings on a shared machine move by 5-10% from run to run, more than most single changes to
the command path are worth. This script runs the lifecycles of ``benchmarks/lifecycle.py``
(cohandle and two of its baselines, the same steps) under valgrind (cachegrind, without its
cache simulation) and counts the instructions the processor executes, C code included. Each
implementation runs twice, for N and for 5N proposals, in fresh processes with a fixed hash
seed; the difference divided by the 4N lifecycles' events is the cost of one event without
the start-up. Runs of the same code give the same count to within about half a percent.

What the count does not see: cache misses and the memory they wait on, and the hardware's own
SHA-256 instructions (valgrind hides them from OpenSSL, which then hashes in software: about
19,000 instructions per event of cohandle's count here are hashing that costs far less on the
machine itself). Judge a change by the count, then confirm it with the timings.

Needs valgrind (``apt-get install valgrind``). Usage: ``python benchmarks/instructions.py
--size 50``. Prints a table, then one JSON line of figures and ratios.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import lifecycle  # the same steps as the timed benchmark

MEASURED = {
    "cohandle": "cohandle",
    "transitions_rules": lifecycle.FULL_NAIVE,
    "eventsourcing": "eventsourcing (popo, save per command)",
}
_COLLECTED = re.compile(r"I\s+refs:\s+([\d,]+)")


def counted(command: list[str], out: str) -> int:
    """Instructions executed by a fresh process running ``command`` (after ``python``)."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            f"--cachegrind-out-file={out}",
            sys.executable,
            *command,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind could not count {' '.join(command)}: {done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_event(script: str, children: list[str], n: int) -> dict[str, float]:
    """Instructions per event of each ``--child`` of ``script``: it runs N and 5N proposals,
    each in a fresh process under valgrind, and the difference is divided by the 4N
    lifecycles' events."""
    events = 4 * n * lifecycle.EVENTS_PER_LIFECYCLE
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = {
            (child, size): pool.submit(
                counted, [script, "--child", child, "--size", str(size)], f"{folder}/{child}-{size}.out"
            )
            for child in children
            for size in (n, 5 * n)
        }
        return {child: (jobs[child, 5 * n].result() - jobs[child, n].result()) / events for child in children}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=50, help="N: runs of N and 5N proposals (default 50)")
    parser.add_argument("--child", choices=sorted(MEASURED), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1")
    if args.child:  # inside valgrind: one implementation, one size
        lifecycle.RUNNERS[MEASURED[args.child]](args.size)
        return {}
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")

    n = args.size
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
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
