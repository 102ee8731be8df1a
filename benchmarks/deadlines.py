"""Deadlines for many proposals, and "overdue now, by unit" over them.

Records N proposals assigned on days spread over 2025 (a lead and two co-handlers each, under
the Chongqing 2017 rules), some opinions and replies already in. Measures:

- computing the deadlines an assignment starts (per proposal, µs);
- building the deadline board from the proposals (ms);
- the "overdue now, by unit" query on the board (ms), beside a naive baseline that recomputes
  every deadline of every proposal from the policy and the calendar on each query.

Usage: ``python benchmarks/deadlines.py --size 100000``. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from typing import Any

import pendulum

import cohandle
from cohandle import (
    Actor,
    Body,
    DeadlineBoard,
    Level,
    Opinion,
    ProposalData,
    Proposer,
    Reply,
    Section,
    Session,
    Unit,
)
from cohandle._clocks import started_by
from cohandle.deadlines import Calendar, due_date, end_of_day, preset

COMMITTEE = Unit(name="市政协提案委员会")
LEADS = [Unit(name=f"主办单位{i:02d}") for i in range(20)]
CO = [Unit(name=f"会办单位{i:02d}") for i in range(30)]
SESSION = Session(body=Body.CPPCC, level=Level.PROVINCE, region="重庆市", term=6, meeting=3, year=2025)
NOW = pendulum.datetime(2025, 12, 15, 10, tz="Asia/Shanghai")
SHANGHAI = pendulum.timezone("Asia/Shanghai")


def record(n: int, seed: int = 7) -> cohandle.Workflow:
    """N proposals: most handled on time and answered, some in progress, a few late."""
    rnd = random.Random(seed)
    clock = cohandle.FixedClock(NOW)
    wf = cohandle.Workflow(clock=clock, policy=preset("chongqing-2017"), cache_size=n)
    committee = Actor(name="王芳", unit=COMMITTEE)
    start = pendulum.date(2025, 1, 6)
    for i in range(n):
        day = start.add(days=rnd.randrange(340))
        lead = rnd.choice(LEADS)
        co = rnd.sample(CO, 2)
        data = ProposalData(
            number=str(i), title="关于改进工作的建议", session=SESSION, proposers=(Proposer(name="李明"),)
        )
        pid = wf.receive(data, actor=committee, occurred_at=day).id
        wf.assign(pid, lead=lead, co_handlers=co, actor=committee, occurred_at=day)
        late = rnd.random() < 0.05  # one item in twenty runs late
        step = (20, 70) if late else (5, 25)
        when = day
        for unit in co:
            when = when.add(days=rnd.randrange(*step))
            if when > NOW.date():
                break
            opinion = Opinion(author=unit, addressee=lead, date=when, sections=(Section(text="同意。"),))
            wf.submit_opinion(pid, opinion=opinion, actor=Actor(name="经办人", unit=unit), occurred_at=when)
        else:
            when = when.add(days=rnd.randrange(*step))
            if when <= NOW.date():
                lead_actor = Actor(name="经办人", unit=lead)
                wf.consolidate(pid, actor=lead_actor, occurred_at=when)
                reply = Reply(author=lead, category="B", date=when, sections=(Section(text="现答复如下。"),))
                wf.answer(pid, reply=reply, actor=lead_actor, occurred_at=when)
                when = when.add(days=rnd.randrange(3, 40 if late else 20))
                if when <= NOW.date():
                    feedback = cohandle.Feedback(satisfaction=cohandle.Satisfaction.SATISFIED)
                    wf.record_feedback(pid, feedback=feedback, actor=Actor(name="李明"), occurred_at=when)
    return wf


def naive_overdue(
    proposals: list[cohandle.Proposal], calendar: Calendar, now: pendulum.DateTime
) -> dict[str, int]:
    """Recompute every deadline of every proposal from the policy and the calendar."""
    policy = preset("chongqing-2017")
    rules = {rule.kind: rule for rule in policy.rules}
    grouped: dict[str, int] = defaultdict(int)
    for p in proposals:
        assert p.assigned_at is not None
        start = p.assigned_at.in_timezone(SHANGHAI).date()
        for part in p.co_handlers:
            rule = rules[cohandle.DeadlineKind.CO_HANDLER_OPINION]
            due = end_of_day(due_date(start, period=rule.period, counting=policy.counting, calendar=calendar))
            if part.status.value == "pending" and now > due:
                grouped[part.unit.name] += 1
        rule = rules[cohandle.DeadlineKind.REPLY]
        due = end_of_day(due_date(start, period=rule.period, counting=policy.counting, calendar=calendar))
        if p.lead is not None and not p.replies and now > due:
            grouped[p.lead.name] += 1
        if p.replies and not p.feedback:
            rule = rules[cohandle.DeadlineKind.PROPOSER_FEEDBACK]
            answered = p.last_occurred_at.in_timezone(SHANGHAI).date()
            due = end_of_day(
                due_date(answered, period=rule.period, counting=policy.counting, calendar=calendar)
            )
            if now > due:
                grouped[cohandle.PROPOSER_PARTY] += 1
    return dict(sorted(grouped.items()))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="proposals (default 100000)")
    parser.add_argument(
        "--queries", type=int, default=5, help="query repetitions; the best is kept (default 5)"
    )
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1")
    n = args.size

    started = time.perf_counter()
    wf = record(n)
    record_s = time.perf_counter() - started
    proposals = list(wf.proposals())
    calendar = wf.calendar
    policy = wf.policy
    assert calendar is not None
    assert policy is not None

    # computing the deadlines an assignment starts
    assignments = [(p, wf.history(p.id)[1]) for p in proposals]
    started = time.perf_counter()
    for p, event in assignments:
        started_by(event.payload, p, event.occurred_at, policy, calendar)
    compute_us = (time.perf_counter() - started) / n * 1e6

    started = time.perf_counter()
    board = DeadlineBoard.build(proposals)
    build_ms = (time.perf_counter() - started) * 1e3

    def best(run: Any) -> tuple[float, Any]:
        times, result = [], None
        for _ in range(args.queries):
            begin = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - begin)
        return min(times) * 1e3, result

    board_ms, overdue = best(lambda: board.overdue(NOW))
    naive_ms, naive = best(lambda: naive_overdue(proposals, calendar, NOW))
    board_counts = {party: len(items) for party, items in overdue.items()}
    if board_counts != naive:
        raise SystemExit(f"the board and the naive baseline disagree: {board_counts} != {naive}")
    open_deadlines = len(board)
    late_items = sum(board_counts.values())

    print(
        f"Deadlines, {n:,} proposals ({open_deadlines:,} open deadlines, {late_items:,} overdue at {NOW.to_date_string()})"
    )
    print(f"{'measure':<52} {'value':>12}")
    print(f"{'recording the proposals (s, not the subject)':<52} {record_s:>12.1f}")
    print(f"{'compute the deadlines an assignment starts (µs/proposal)':<52} {compute_us:>12.1f}")
    print(f"{'build the board (ms)':<52} {build_ms:>12.1f}")
    print(f"{'overdue now, by unit: board (ms)':<52} {board_ms:>12.2f}")
    print(f"{'overdue now, by unit: naive recompute (ms)':<52} {naive_ms:>12.1f}")
    print(f"{'speed-up (x)':<52} {naive_ms / board_ms:>12.1f}")
    figures = {
        "proposals": n,
        "open_deadlines": open_deadlines,
        "overdue_items": late_items,
        "compute_us_per_proposal": round(compute_us, 2),
        "board_build_ms": round(build_ms, 1),
        "overdue_query_ms": round(board_ms, 3),
        "naive_overdue_query_ms": round(naive_ms, 1),
        "speedup_vs_naive_x": round(naive_ms / board_ms, 1),
    }
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
