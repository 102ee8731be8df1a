"""A weekly deadline report for the assigning body: what is overdue, by unit, and what falls due
in the next five working days, under the Chongqing 2017 rules.

Run it: ``python examples/deadline_report.py``
"""

from __future__ import annotations

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
    Section,
    Session,
    Unit,
)
from cohandle.deadlines import Calendar, preset

COMMITTEE = Unit(name="市人大常委会代表工作委员会")
LEADS = [Unit(name="市交通局"), Unit(name="市教委"), Unit(name="市住房城乡建委")]
CO = [Unit(name="市财政局"), Unit(name="市规划自然资源局")]
SESSION = Session(body=Body.NPC, level=Level.PROVINCE, region="重庆市", term=6, meeting=3, year=2025)


def record(wf: cohandle.Workflow, clock: cohandle.FixedClock) -> None:
    office = Actor(name="郑伟", unit=COMMITTEE)
    for n, (day, lead) in enumerate(
        zip(["2025-02-20", "2025-03-10", "2025-04-01", "2025-05-06"], LEADS * 2, strict=False), start=1
    ):
        clock.set(pendulum.parse(f"{day}T10:00:00+08:00"))  # type: ignore[arg-type]
        data = ProposalData(
            number=f"{n:04d}",
            title=f"关于第{n}项民生事项的建议",
            session=SESSION,
            proposers=[Proposer(name="钱勇")],
        )
        pid = wf.receive(data, actor=office).id
        wf.assign(pid, lead=lead, co_handlers=CO, actor=office)
        if n % 2:
            finance = CO[0]
            opinion = Opinion(
                author=finance, addressee=lead, date=clock.now().date(), sections=[Section(text="同意。")]
            )
            wf.submit_opinion(pid, opinion=opinion, actor=Actor(name="周杰", unit=finance))


def main() -> None:
    clock = cohandle.FixedClock(pendulum.datetime(2025, 2, 20, 10, tz="Asia/Shanghai"))
    wf = cohandle.Workflow(clock=clock, policy=preset("chongqing-2017"))
    record(wf, clock)
    now = pendulum.datetime(2025, 5, 20, 9, tz="Asia/Shanghai")
    board = DeadlineBoard.build(wf.proposals())
    print(f"截至 {now.to_date_string()} 逾期事项")
    for unit, items in board.overdue(now).items():
        details = "、".join(
            f"第{i.number}号{i.deadline.kind.label}(应于{i.due.in_timezone('Asia/Shanghai').to_date_string()})"
            for i in items
        )
        print(f"  {unit}: {len(items)} 项 — {details}")
    print("未来五个工作日到期")
    for item in board.due_within(now, 5, Calendar.china()):
        print(
            f"  {item.party} 第{item.number}号 {item.deadline.kind.label} {item.due.in_timezone('Asia/Shanghai').to_date_string()}"
        )


if __name__ == "__main__":
    main()
