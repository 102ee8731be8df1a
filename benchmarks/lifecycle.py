"""Full lifecycles through cohandle beside four baselines, in one process and one run.

Each proposal: receive, assign with 3 co-handlers, 3 opinions, consolidate, answer, feedback,
close (9 events). Baselines:

- naive ``transitions``: one ``Machine`` per proposal, as a tutorial would write it, with only
  the five states these steps pass through;
- naive ``transitions`` with cohandle's own rules: a ``Machine`` with the whole proposal
  lifecycle per proposal and one with the co-handler part's lifecycle per part, which is what
  the same rules cost written that way;
- a plain dict transition table: the floor for "just change a state";
- the ``eventsourcing`` library's in-memory Application, saving after each command.

Usage: ``python benchmarks/lifecycle.py --size 10000`` (``--sizes 1000,100000`` for the
flatness check: cohandle at each size with the cycle collector on and off, and eventsourcing at
the same sizes). Prints a table, then one JSON line of figures and ratios.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gc
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import cohandle
from cohandle import (
    Actor,
    Contact,
    Feedback,
    Opinion,
    ProposalData,
    Proposer,
    Reply,
    Satisfaction,
    Section,
    Session,
    Unit,
)
from cohandle._build import compiled_modules, describe

EVENTS_PER_LIFECYCLE = 9
COMMITTEE = Unit(name="省政协提案委员会")
LEAD = Unit(name="省科技厅")
CO = (Unit(name="湖北省知识产权局"), Unit(name="省教育厅"), Unit(name="省财政厅"))
A_COMMITTEE = Actor(name="王芳", unit=COMMITTEE)
A_LEAD = Actor(name="张伟", unit=LEAD)
A_CO = tuple(Actor(name=f"经办人{i}", unit=u) for i, u in enumerate(CO))
A_PROPOSER = Actor(name="李明")
SESSION = Session(
    body=cohandle.Body.CPPCC, level=cohandle.Level.PROVINCE, region="湖北省", term=13, meeting=1
)
PROPOSERS = (Proposer(name="李明"),)
_BEIJING = datetime.timezone(datetime.timedelta(hours=8))


class Letters:
    """The three opinions and the reply of a lifecycle, dated the day they are recorded in
    Beijing time, as a host dates a letter it records: a letter's date is when the command
    happened. Made again once that day is over, so that a run that passes midnight records
    no letter of a day before the events it follows."""

    def __init__(self) -> None:
        self.until = 0.0
        self.refresh()

    def refresh(self) -> None:
        now = datetime.datetime.now(_BEIJING)
        day = now.date()
        self.until = datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time(), _BEIJING
        ).timestamp()
        self._opinions = tuple(
            Opinion(
                author=u,
                addressee=LEAD,
                date=day,
                suggested_category="B",
                sections=(Section(heading="一、主要工作情况", text="认真办理。"),),
                signatory=Contact(name="程浩", phone="027-86759052"),
                handler=Contact(name="杨鑫", phone="027-86759081"),
            )
            for u in CO
        )
        self._reply = Reply(
            author=LEAD,
            category="B",
            date=day,
            sections=(Section(text="现答复如下。"),),
            copies=(COMMITTEE,),
        )

    def opinions(self) -> tuple[Opinion, ...]:
        if time.time() >= self.until:
            self.refresh()
        return self._opinions

    def reply(self) -> Reply:
        if time.time() >= self.until:
            self.refresh()
        return self._reply


LETTERS = Letters()
FEEDBACK = Feedback(satisfaction=Satisfaction.SATISFIED)


# -- cohandle ----------------------------------------------------------------------------------


def cohandle_run(n: int) -> tuple[Any, list[Any]]:
    wf = cohandle.Workflow()  # the defaults: in-memory store, system clock
    kept = []
    for i in range(n):
        data = ProposalData(
            number=str(i), title="关于促进基础研发的建议", session=SESSION, proposers=PROPOSERS
        )
        pid = wf.receive(data, actor=A_COMMITTEE).id
        wf.assign(pid, lead=LEAD, co_handlers=CO, actor=A_COMMITTEE)
        for opinion, actor in zip(LETTERS.opinions(), A_CO, strict=True):
            wf.submit_opinion(pid, opinion=opinion, actor=actor)
        wf.consolidate(pid, actor=A_LEAD)
        wf.answer(pid, reply=LETTERS.reply(), actor=A_LEAD)
        wf.record_feedback(pid, feedback=FEEDBACK, actor=A_PROPOSER)
        kept.append(wf.close(pid, actor=A_LEAD))
    return wf, kept


# -- naive transitions -------------------------------------------------------------------------

STATES = ["received", "assigned", "consolidated", "answered", "closed"]


def transitions_run(n: int) -> tuple[Any, list[Any]]:
    from transitions import Machine

    class Item:
        def __init__(self, number: str) -> None:
            self.number = number
            self.opinions: list[str] = []
            self.events: list[tuple[str, float]] = []

        def record(self, event: Any) -> None:
            self.events.append((event.event.name, time.time()))

    kept = []
    for i in range(n):
        item = Item(str(i))
        machine = Machine(
            model=item,
            states=STATES,
            initial="received",
            send_event=True,
            after_state_change="record",
            transitions=[
                {"trigger": "assign", "source": "received", "dest": "assigned"},
                {"trigger": "submit_opinion", "source": "assigned", "dest": None, "after": "record"},
                {"trigger": "consolidate", "source": "assigned", "dest": "consolidated"},
                {"trigger": "answer", "source": "consolidated", "dest": "answered"},
                {"trigger": "record_feedback", "source": "answered", "dest": None, "after": "record"},
                {"trigger": "close", "source": "answered", "dest": "closed"},
            ],
        )
        item.events.append(("received", time.time()))
        item.assign()  # type: ignore[attr-defined]
        for _ in CO:
            item.submit_opinion()  # type: ignore[attr-defined]
        item.consolidate()  # type: ignore[attr-defined]
        item.answer()  # type: ignore[attr-defined]
        item.record_feedback()  # type: ignore[attr-defined]
        item.close()  # type: ignore[attr-defined]
        kept.append((item, machine))
    return None, kept


def _machine_rules(lifecycle_: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """A cohandle lifecycle's states and transitions, written as ``transitions`` takes them."""
    rules = [
        {"trigger": trigger, "source": source.value, "dest": None if dest == source else dest.value}
        for (source, trigger), dest in lifecycle_.table.items()
    ]
    return list(lifecycle_.states), rules


def transitions_full_run(n: int) -> tuple[Any, list[Any]]:
    """The same rules cohandle keeps, written naively: a Machine with the whole proposal
    lifecycle per proposal, and one with the co-handler part's lifecycle per part."""
    from transitions import Machine

    from cohandle._lifecycle import CO_HANDLER_PART, PROPOSAL

    proposal_states, proposal_rules = _machine_rules(PROPOSAL)
    part_states, part_rules = _machine_rules(CO_HANDLER_PART)

    class Item:
        def __init__(self, number: str) -> None:
            self.number = number
            self.parts: dict[str, Any] = {}
            self.events: list[tuple[str, float]] = []

        def record(self, event: Any) -> None:
            self.events.append((event.event.name, time.time()))

    class Part:
        def __init__(self, unit: str) -> None:
            self.unit = unit

    def machine(model: Any, states: list[str], rules: list[dict[str, Any]], initial: str) -> Any:
        return Machine(
            model=model,
            states=states,
            transitions=rules,
            initial=initial,
            auto_transitions=False,
            send_event=True,
            after_state_change="record" if isinstance(model, Item) else None,
        )

    kept = []
    for i in range(n):
        item = Item(str(i))
        machines = [machine(item, proposal_states, proposal_rules, "received")]
        item.events.append(("received", time.time()))
        item.assign()  # type: ignore[attr-defined]
        for unit in CO:
            part = item.parts[unit.name] = Part(unit.name)
            machines.append(machine(part, part_states, part_rules, "pending"))
        for unit in CO:
            item.parts[unit.name].submit()
            item.submit_opinion()  # type: ignore[attr-defined]
        if not all(part.state == "submitted" for part in item.parts.values()):
            raise RuntimeError("consolidating before every co-handler has submitted")
        item.consolidate()  # type: ignore[attr-defined]
        item.answer()  # type: ignore[attr-defined]
        item.record_feedback()  # type: ignore[attr-defined]
        item.close()  # type: ignore[attr-defined]
        kept.append((item, machines))
    return None, kept


# -- dict table --------------------------------------------------------------------------------

TABLE = {
    ("received", "assign"): "assigned",
    ("assigned", "submit_opinion"): "assigned",
    ("assigned", "consolidate"): "consolidated",
    ("consolidated", "answer"): "answered",
    ("answered", "record_feedback"): "answered",
    ("answered", "close"): "closed",
}
STEPS = (
    "assign",
    "submit_opinion",
    "submit_opinion",
    "submit_opinion",
    "consolidate",
    "answer",
    "record_feedback",
    "close",
)


def dict_run(n: int) -> tuple[Any, list[Any]]:
    kept = []
    for _ in range(n):
        item = {"state": "received"}
        for step in STEPS:
            item["state"] = TABLE[(item["state"], step)]
        kept.append(item)
    return None, kept


# -- eventsourcing -----------------------------------------------------------------------------


@functools.cache
def _eventsourcing_item() -> Any:
    """The aggregate class, defined once: eventsourcing registers each class by its topic."""
    from eventsourcing.domain import Aggregate, event

    class Item(Aggregate):
        @event("Received")
        def __init__(self, number: str) -> None:
            self.number = number
            self.state = "received"
            self.opinions: list[str] = []

        @event("Assigned")
        def assign(self, lead: str, co_handlers: list[str]) -> None:
            assert self.state == "received"
            self.state = "assigned"

        @event("OpinionSubmitted")
        def submit_opinion(self, unit: str, text: str) -> None:
            assert self.state == "assigned"
            self.opinions.append(unit)

        @event("Consolidated")
        def consolidate(self) -> None:
            assert len(self.opinions) == 3
            self.state = "consolidated"

        @event("Answered")
        def answer(self, category: str, text: str) -> None:
            self.state = "answered"

        @event("FeedbackRecorded")
        def record_feedback(self, satisfaction: str) -> None:
            assert self.state == "answered"

        @event("Closed")
        def close(self) -> None:
            self.state = "closed"

    return Item


def eventsourcing_run(n: int) -> tuple[Any, list[Any]]:
    from eventsourcing.application import Application

    Item = _eventsourcing_item()  # noqa: N806
    app: Any = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    kept = []
    for i in range(n):
        item = Item(str(i))
        app.save(item)
        item.assign("省科技厅", [u.name for u in CO])
        app.save(item)
        for unit in CO:
            item.submit_opinion(unit.name, "认真办理。")
            app.save(item)
        item.consolidate()
        app.save(item)
        item.answer("B", "现答复如下。")
        app.save(item)
        item.record_feedback("satisfied")
        app.save(item)
        item.close()
        app.save(item)
        kept.append(item)
    return app, kept


# -- measuring ---------------------------------------------------------------------------------


def timed(run: Callable[[int], tuple[Any, list[Any]]], n: int, *, collector: bool = True) -> float:
    """Wall time of one run, in seconds; with ``collector=False``, the cycle collector is off
    during the run (and on again after it, if it was on before)."""
    gc.collect()
    was_on = gc.isenabled()
    if not collector:
        gc.disable()
    try:
        start = time.perf_counter()
        result = run(n)
        seconds = time.perf_counter() - start
    finally:
        if was_on:
            gc.enable()
    del result
    return seconds


def retained(run: Callable[[int], tuple[Any, list[Any]]], n: int) -> float:
    """Bytes still allocated per proposal after the run, with everything kept alive."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = run(n)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del result
    return used / n


FULL_NAIVE = "transitions, cohandle's rules, per proposal+part"
ES = "eventsourcing (popo, save per command)"
RUNNERS: dict[str, Callable[[int], tuple[Any, list[Any]]]] = {
    "cohandle": cohandle_run,
    "transitions, Machine per proposal": transitions_run,
    FULL_NAIVE: transitions_full_run,
    "dict table (floor)": dict_run,
    ES: eventsourcing_run,
}


def size_sweep(sizes: list[int], repeat: int) -> dict[str, float]:
    """Cohandle's cost per event and memory per proposal at each size, with the cycle collector
    on and off, beside eventsourcing's cost at the same sizes: whether time grows with the number
    of live proposals, and whether the growth is cohandle's or the collector's walk of a larger
    heap, which any library that keeps its objects alive pays."""
    if not sizes or min(sizes) < 1:
        raise ValueError(f"sizes must be whole numbers of at least 1 (got {sizes!r})")
    series: dict[str, tuple[Callable[[int], tuple[Any, list[Any]]], bool]] = {
        "cohandle": (cohandle_run, True),
        "collector off": (cohandle_run, False),
        ES: (eventsourcing_run, True),
    }
    best = {(name, size): float("inf") for name in series for size in sizes}
    for _ in range(repeat):  # the sizes and series take turns too
        for size in sizes:
            for name, (run, collector) in series.items():
                seconds = timed(run, size, collector=collector)
                best[name, size] = min(best[name, size], seconds)
    per_event = {key: seconds / (key[1] * EVENTS_PER_LIFECYCLE) * 1e6 for key, seconds in best.items()}
    kib = {size: retained(cohandle_run, size) / 1024 for size in sizes}
    print()
    print(
        f"{'proposals':<12} {'cohandle µs/event':>18} {'collector off':>14} {'KiB/proposal':>13}"
        f" {'eventsourcing µs/event':>23}"
    )
    for size in sizes:
        print(
            f"{size:<12,} {per_event['cohandle', size]:>18.2f} {per_event['collector off', size]:>14.2f}"
            f" {kib[size]:>13.2f} {per_event[ES, size]:>23.2f}"
        )
    small, large = min(sizes), max(sizes)

    def growth(name: str) -> float:
        return round(per_event[name, large] / per_event[name, small], 2)

    return {
        "flatness_time_ratio_largest_to_smallest_x": growth("cohandle"),
        "flatness_time_ratio_collector_off_x": growth("collector off"),
        "flatness_memory_ratio_largest_to_smallest_x": round(kib[large] / kib[small], 2),
        "eventsourcing_flatness_time_ratio_x": growth(ES),
        "collector_us_per_event_at_largest": round(
            per_event["cohandle", large] - per_event["collector off", large], 3
        ),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000, help="proposals per run (default 10000)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds, each running every library (and every size) once; the best is kept (default 3)",
    )
    parser.add_argument(
        "--sizes",
        default="",
        help="comma-separated sizes for the flatness check: cohandle with the cycle collector on and"
        " off, and eventsourcing, at each size",
    )
    args = parser.parse_args(argv)
    n = args.size
    if n < 1:
        parser.error("--size must be at least 1")
    try:
        sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else []
    except ValueError:
        parser.error(
            f"--sizes takes whole numbers separated by commas, e.g. 1000,100000 (got {args.sizes!r})"
        )
    if any(size < 1 for size in sizes):
        parser.error(f"--sizes must all be at least 1 (got {args.sizes!r})")

    # All timings first, then all memory readings: tracemalloc slows whatever runs after it.
    # The implementations take turns, so a drift in the machine's speed hits them all alike.
    best = dict.fromkeys(RUNNERS, float("inf"))
    for _ in range(args.repeat):
        for name, run in RUNNERS.items():
            best[name] = min(best[name], timed(run, n))
    rows: dict[str, dict[str, float]] = {
        name: {
            "us_per_event": seconds / (n * EVENTS_PER_LIFECYCLE) * 1e6,
            "us_per_lifecycle": seconds / n * 1e6,
        }
        for name, seconds in best.items()
    }
    for name, run in RUNNERS.items():
        rows[name]["bytes_per_proposal"] = retained(run, n)

    print(
        f"Full lifecycle, {n:,} proposals, {EVENTS_PER_LIFECYCLE} events each, best of {args.repeat}"
        f" (cohandle {describe()})"
    )
    print(f"{'implementation':<50} {'µs/event':>10} {'µs/lifecycle':>13} {'KiB/proposal':>13}")
    for name, row in rows.items():
        print(
            f"{name:<50} {row['us_per_event']:>10.2f} {row['us_per_lifecycle']:>13.1f} {row['bytes_per_proposal'] / 1024:>13.2f}"
        )
    ours = rows["cohandle"]
    figures: dict[str, Any] = {
        "proposals": n,
        "cohandle_us_per_event": round(ours["us_per_event"], 3),
        "cohandle_us_per_lifecycle": round(ours["us_per_lifecycle"], 2),
        "cohandle_kib_per_proposal": round(ours["bytes_per_proposal"] / 1024, 3),
        "transitions_naive_us_per_lifecycle": round(
            rows["transitions, Machine per proposal"]["us_per_lifecycle"], 2
        ),
        "transitions_naive_kib_per_proposal": round(
            rows["transitions, Machine per proposal"]["bytes_per_proposal"] / 1024, 3
        ),
        "transitions_rules_us_per_lifecycle": round(rows[FULL_NAIVE]["us_per_lifecycle"], 2),
        "transitions_rules_kib_per_proposal": round(rows[FULL_NAIVE]["bytes_per_proposal"] / 1024, 3),
        "dict_floor_us_per_event": round(rows["dict table (floor)"]["us_per_event"], 3),
        "eventsourcing_us_per_event": round(rows[ES]["us_per_event"], 3),
        "eventsourcing_kib_per_proposal": round(rows[ES]["bytes_per_proposal"] / 1024, 3),
        "speedup_vs_transitions_naive_x": round(
            rows["transitions, Machine per proposal"]["us_per_lifecycle"] / ours["us_per_lifecycle"], 2
        ),
        "speedup_vs_transitions_rules_x": round(
            rows[FULL_NAIVE]["us_per_lifecycle"] / ours["us_per_lifecycle"], 2
        ),
        "speedup_vs_eventsourcing_x": round(rows[ES]["us_per_lifecycle"] / ours["us_per_lifecycle"], 2),
        "cost_vs_dict_floor_x": round(
            ours["us_per_lifecycle"] / rows["dict table (floor)"]["us_per_lifecycle"], 1
        ),
    }
    if sizes:
        figures.update(size_sweep(sizes, args.repeat))
    figures["compiled_module_count"] = len(compiled_modules())
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
