"""The benchmarks run, and the breakdown measures what it says: every stand-in sits on the
command path."""

from __future__ import annotations

import gc
import importlib
import importlib.util
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import cohandle
from cohandle._build import compiled_modules, describe

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
NEEDS_BASELINES = {"lifecycle", "store", "instructions"}  # they run eventsourcing (the bench extra)
NEEDS_VALGRIND = {"instructions"}


def _script(name: str) -> Iterator[Any]:
    """A benchmark script as a module, with the folder it imports its neighbours from."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def replay_split() -> Iterator[Any]:
    yield from _script("replay")


@pytest.fixture(scope="module")
def breakdown() -> Iterator[Any]:
    yield from _script("breakdown")


@pytest.fixture(scope="module")
def lifecycle() -> Iterator[Any]:
    yield from _script("lifecycle")


@pytest.fixture(scope="module")
def interleave() -> Iterator[Any]:
    yield from _script("interleave")


def _needs_baselines(script: str) -> None:
    """Skip, or under CI fail, when the bench extra that ``script`` compares with is missing."""
    if importlib.util.find_spec("eventsourcing") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but eventsourcing is missing: benchmarks/{script}.py must run under CI")
        pytest.skip(f"benchmarks/{script}.py compares with eventsourcing: pip install -e '.[bench]'")


def test_every_stand_in_is_called_for_every_event(breakdown: Any) -> None:
    if not compiled_modules():  # the plain build measures every stage
        assert breakdown.measurable() == breakdown.STAGES
    for name, stage in breakdown.measurable().items():
        calls = 0

        def counting(*args: Any, _stand_in: Any = stage.stand_in, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return _stand_in(*args, **kwargs)

        with mock.patch.object(stage.target, stage.attribute, new=counting):
            breakdown.lifecycle.cohandle_run(2)
        # every event but the receipt goes through the command check; everything else, every event
        commands = 2 * (breakdown.lifecycle.EVENTS_PER_LIFECYCLE - 1)
        assert calls >= commands, f"{name}: the stand-in ran {calls} times for {commands} commands"


def test_stages_are_restored_and_the_figures_are_named(breakdown: Any) -> None:
    originals = {name: getattr(s.target, s.attribute) for name, s in breakdown.STAGES.items()}
    figures = breakdown.main(["--size", "2", "--rounds", "1"])
    assert {name: getattr(s.target, s.attribute) for name, s in breakdown.STAGES.items()} == originals
    assert set(figures) == {"proposals", "base_us_per_event"} | {
        f"{name}_us_per_event" for name in [*breakdown.measurable(), breakdown.COLLECTOR]
    }


@pytest.mark.parametrize(
    "script", ["lifecycle", "store", "replay", "interleave", "deadlines", "letters", "instructions", "cli"]
)
def test_every_benchmark_runs_and_ends_with_its_figures(script: str) -> None:
    """A small run of each script, as a user would start it: a table, then one JSON line."""
    if script in NEEDS_BASELINES:
        _needs_baselines(script)
    if script in NEEDS_VALGRIND and shutil.which("valgrind") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but valgrind is missing: benchmarks/{script}.py must run under CI")
        pytest.skip(f"benchmarks/{script}.py counts instructions with valgrind: apt-get install valgrind")
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{script}.py"), "--size", "3"],
        capture_output=True,
        text=True,
        timeout=300,  # instructions.py runs six processes under valgrind
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) > 2, done.stdout  # a readable table comes first
    figures = json.loads(lines[-1])
    assert figures, "the last line holds no figures"
    for key, value in figures.items():
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value), (key, value)
    if script in ("lifecycle", "store", "replay", "interleave", "cli"):  # the build measured is named
        assert lines[0].endswith(f"(cohandle {describe()})"), lines[0]
        assert figures["compiled_module_count"] == len(compiled_modules())


def test_the_instruction_count_of_replay_is_per_event_and_beside_the_raw_floor() -> None:
    if shutil.which("valgrind") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but valgrind is missing: benchmarks/instructions.py must run under CI")
        pytest.skip("benchmarks/instructions.py counts instructions with valgrind: apt-get install valgrind")
    script = str(BENCHMARKS / "instructions.py")
    done = subprocess.run(
        [sys.executable, script, "--size", "3", "--replay"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("Replay of SQLite logs of 3 and 15 full lifecycles"), lines[0]
    figures = json.loads(lines[-1])
    assert set(figures) == {
        "proposals",
        "replay_instructions_per_event",
        "raw_replay_instructions_per_event",
        "replay_to_raw_x",
    }
    # the floor parses and folds too, but makes no typed event: it must come out cheaper, and
    # neither count can be the start-up alone (what N and 5N share is taken out)
    assert 0 < figures["raw_replay_instructions_per_event"] < figures["replay_instructions_per_event"]
    assert figures["replay_to_raw_x"] > 1
    refused = subprocess.run(
        [sys.executable, script, "--size", "3", "--replay", "--cache"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2 and "ask for one" in refused.stderr


def test_the_size_sweep_times_each_size_with_the_collector_on_and_off(
    lifecycle: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs_baselines("lifecycle")
    figures = lifecycle.main(["--size", "2", "--repeat", "1", "--sizes", "2,3"])
    table = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("proposals "))
    assert "collector off" in table[header] and "eventsourcing" in table[header]
    assert [line.split()[0] for line in table[header + 1 : header + 3]] == ["2", "3"]
    for key in (
        "flatness_time_ratio_largest_to_smallest_x",
        "flatness_time_ratio_collector_off_x",
        "flatness_memory_ratio_largest_to_smallest_x",
        "eventsourcing_flatness_time_ratio_x",
    ):
        assert figures[key] > 0, key
    assert math.isfinite(figures["collector_us_per_event_at_largest"])
    assert gc.isenabled()


def test_a_run_without_the_collector_turns_it_back_on(lifecycle: Any) -> None:
    seen: list[bool] = []

    def run(n: int) -> tuple[Any, list[Any]]:
        seen.append(gc.isenabled())
        return None, []

    def failing(n: int) -> tuple[Any, list[Any]]:
        raise RuntimeError("the run failed")

    lifecycle.timed(run, 1, collector=False)
    lifecycle.timed(run, 1)
    assert seen == [False, True]
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="the run failed"):
        lifecycle.timed(failing, 1, collector=False)
    assert gc.isenabled()
    gc.disable()  # a host that runs with the collector off keeps it off
    try:
        lifecycle.timed(run, 1, collector=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError, match="at least 1"):
        lifecycle.size_sweep([0, 2], 1)


@pytest.mark.parametrize(("sizes", "message"), [("2,x", "whole numbers"), ("0,5", "at least 1")])
def test_bad_sizes_are_refused_with_a_sentence(sizes: str, message: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "lifecycle.py"), "--size", "1", "--sizes", sizes],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr and sizes in done.stderr


def test_taking_turns_runs_every_command_and_inserts_every_row(interleave: Any, tmp_path: Path) -> None:
    with cohandle.Workflow.open(tmp_path / "rows.db", synchronous="NORMAL") as wf:
        interleave.store.run_lifecycles(wf, 2)
    rows = interleave.store.rows_of(tmp_path / "rows.db")
    assert len(rows) == 2 * interleave.store.EVENTS
    ran = []
    steps = interleave.store.steps

    def counted(wf: cohandle.Workflow, n: int, prefix: str = "") -> Iterator[None]:
        for step in steps(wf, n, prefix):
            ran.append(sum(1 for _ in wf.store.read_all()))
            yield step

    with mock.patch.object(interleave.store, "steps", counted):
        in_commands, in_inserts = interleave.taking_turns(tmp_path / "turns.db", rows, 2, "NORMAL")
    assert in_commands > 0 and in_inserts > 0
    assert ran == list(range(1, len(rows) + 1))  # one event per command, each in memory
    written = sqlite3.connect(tmp_path / "turns.db")
    try:
        stored = written.execute("SELECT * FROM events ORDER BY position").fetchall()
    finally:
        written.close()
    assert stored == [tuple(row) for row in rows]  # every row, in order, each in its own transaction


def test_the_breakdown_counts_each_variant_in_its_own_process(breakdown: Any) -> None:
    """``--instructions`` counts N and 5N proposals of every variant, each in a fresh process
    (the valgrind count itself is held by the instructions benchmark's own run above)."""
    commands: list[list[str]] = []
    events_per_lifecycle: int = breakdown.lifecycle.EVENTS_PER_LIFECYCLE

    def counted(command: list[str], out: str) -> int:
        commands.append(command)
        size = int(command[command.index("--size") + 1])
        child = command[command.index("--child") + 1]
        per_event = 1_000 + 100 * len(child)  # a made-up cost per variant
        return 10_000_000 + size * events_per_lifecycle * per_event

    with (
        mock.patch.object(breakdown.instructions, "counted", counted),
        mock.patch.object(breakdown.shutil, "which", return_value="/usr/bin/valgrind"),
    ):
        figures = breakdown.main(["--instructions", "--size", "2"])
    stages = [*breakdown.measurable(), breakdown.COLLECTOR]
    assert len(commands) == 2 * (1 + len(stages))
    assert figures["base_instructions_per_event"] == 1_000 + 100 * len("none")
    for name in stages:
        assert figures[f"{name}_instructions_per_event"] == 100 * (len("none") - len(name))


def test_a_breakdown_child_runs_its_variant_and_restores_it(breakdown: Any) -> None:
    originals = {name: getattr(s.target, s.attribute) for name, s in breakdown.STAGES.items()}
    for child in ["none", *breakdown.STAGES, breakdown.COLLECTOR]:
        assert breakdown.main(["--child", child, "--size", "1"]) == {}
    assert {name: getattr(s.target, s.attribute) for name, s in breakdown.STAGES.items()} == originals


def test_the_replay_split_passes_every_type_check_it_stands_in_for(replay_split: Any, tmp_path: Path) -> None:
    """Decoding under ``passing_checks()`` consults the stand-in, never a real check, and
    decodes the same events: the split measures what it says."""
    import cohandle
    from cohandle import OpinionSubmitted, _model

    path = tmp_path / "log.db"
    with cohandle.Workflow.open(path, synchronous="NORMAL") as wf:
        replay_split.store.run_lifecycles(wf, 2)
    streams = replay_split._streams(path)
    checked = [replay_split.decode_stream(rows) for rows in streams]  # every value class has its check
    passed = 0

    def counting(value: object) -> None:
        nonlocal passed
        passed += 1

    with mock.patch.object(replay_split, "_passes", counting):
        table = replay_split.passing_checks()
    real = _model._CHECKS
    with mock.patch.object(_model, "_CHECKS", table):
        unchecked = [replay_split.decode_stream(rows) for rows in streams]
        assert set(table) == set(real)  # no class had to make a real check of its own
    assert _model._CHECKS is real  # restored
    assert unchecked == checked
    opinions = sum(isinstance(event.payload, OpinionSubmitted) for events in checked for event in events)
    assert opinions == 6
    assert passed > opinions  # an opinion alone holds several value objects


@pytest.fixture(scope="module")
def instructions() -> Iterator[Any]:
    yield from _script("instructions")


def test_the_cache_table_is_the_difference_of_two_simulated_runs(instructions: Any) -> None:
    """``--cache`` takes each implementation's figures from runs of N and 5N proposals under
    the cache simulation, per event, and prints them as a second table."""
    events_per_lifecycle: int = instructions.lifecycle.EVENTS_PER_LIFECYCLE
    commands: list[list[str]] = []

    def simulated(command: list[str], out: str) -> dict[str, int]:
        commands.append(command)
        size = int(command[command.index("--size") + 1])
        child = command[command.index("--child") + 1]
        per_event = {
            "instructions": 1_000 * len(child),
            "i1_misses": len(child),
            "d1_misses": 10,
            "ll_misses": 1,
        }
        return {name: 50_000 + size * events_per_lifecycle * value for name, value in per_event.items()}

    with (
        mock.patch.object(instructions, "simulated", simulated),
        mock.patch.object(instructions.shutil, "which", return_value="/usr/bin/valgrind"),
    ):
        figures = instructions.main(["--cache", "--size", "2"])
    assert len(commands) == 2 * len(instructions.MEASURED)  # the simulation counts the instructions too
    for key in instructions.MEASURED:
        assert figures[f"{key}_instructions_per_event"] == 1_000 * len(key)
        assert figures[f"{key}_l1_misses_per_event"] == len(key) + 10
        assert figures[f"{key}_ll_misses_per_event"] == 1
        assert figures[f"{key}_l1_misses_per_1000_instructions"] == round((len(key) + 10) / len(key), 1)


def test_cachegrinds_own_summary_is_read(instructions: Any, tmp_path: Path) -> None:
    if shutil.which("valgrind") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "CI=true but valgrind is missing: benchmarks/instructions.py --cache must run under CI"
            )
        pytest.skip(
            "benchmarks/instructions.py --cache simulates caches with valgrind: apt-get install valgrind"
        )
    figures = instructions.simulated(["-c", "sum(range(100_000))"], str(tmp_path / "out"))
    assert set(figures) == {"instructions", "i1_misses", "d1_misses", "ll_misses"}
    assert figures["instructions"] > figures["i1_misses"] + figures["d1_misses"] > figures["ll_misses"] > 0
    with pytest.raises(RuntimeError, match="no d1_misses"):
        instructions.cache_figures("==1== I   refs:      1,000\n==1== I1  misses:  10\n")
