"""A year's holiday notice comes out after deadlines in that year were counted: see what it
moves, then record the change.

In November, a reply due in three months already falls in the next year, whose holidays and
make-up working days the State Council General Office has not announced yet. This host counts
such a year by its statutory holidays alone meanwhile. When the notice is out, it loads it, lists the open
deadlines the notice moves (`deadline_changes`, as `cohandle recount` prints them), and the
assigning body records the change (`revise_deadlines`). Nothing already recorded is altered:
the revision is an event of its own.

Run: python examples/holiday_notice.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pendulum

import cohandle
from cohandle import Actor, Body, Level, ProposalData, Proposer, Session, Unit
from cohandle.deadlines import Calendar, load_schedules, preset

SHANGHAI = "Asia/Shanghai"
COMMITTEE = Actor(name="王芳", unit=Unit(name="市政协提案委员会"))
SESSION = Session(body=Body.CPPCC, level=Level.CITY, region="武汉市", term=15, meeting=3)

# The form of a notice, with made-up dates: copy the real notice's own. These are NOT the
# official 2027 holidays: the Spring Festival's statutory days, one more to bridge the break,
# and a Saturday worked to make up for it.
NOTICE = """
[2027]
source = "an example notice (made-up dates)"
holidays = ["2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"]
workdays = ["2027-02-20"]
"""


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="cohandle-notice-"))
    clock = cohandle.FixedClock(pendulum.datetime(2026, 11, 2, 9, tz=SHANGHAI))
    statutory = Calendar.china(statutory_after=True)  # 2027 by its statutory holidays, for now
    with cohandle.Workflow.open(
        folder / "log.db", clock=clock, policy=preset("generic"), calendar=statutory
    ) as wf:
        ids = []
        for number, title, when in [
            ("0301", "关于增设公交站点的建议", (2026, 11, 2)),
            ("0302", "关于完善社区养老服务的建议", (2026, 11, 3)),
            ("0303", "关于加强校园周边交通管理的建议", (2026, 11, 20)),
        ]:
            clock.set(pendulum.datetime(*when, 9, tz=SHANGHAI))
            data = ProposalData(
                number=number, title=title, session=SESSION, proposers=[Proposer(name="王红")]
            )
            pid = wf.receive(data, actor=COMMITTEE).id
            p = wf.assign(pid, lead=Unit(name="市交通运输局"), actor=COMMITTEE)
            reply_due = [
                t.deadline.due for t in p.deadlines if t.deadline.kind is cohandle.DeadlineKind.REPLY
            ]
            print(
                f"第{number}号 交办 {clock.now().in_timezone(SHANGHAI).to_date_string()}, "
                f"答复期限 {reply_due[0].in_timezone(SHANGHAI).to_date_string()} (2027 by its statutory holidays)"
            )
            ids.append(pid)

        # December: the notice is out. The host adds it to its configuration and loads it.
        clock.set(pendulum.datetime(2026, 12, 8, 9, tz=SHANGHAI))
        (folder / "holidays.toml").write_text(NOTICE, encoding="utf-8")
        with_notice = Calendar.china(schedules=load_schedules(folder / "holidays.toml"))
        changes = wf.deadline_changes(calendar=with_notice)
        moves = "open deadline the notice moves" if len(changes) == 1 else "open deadlines the notice moves"
        print(f"\n{len(changes)} {moves} (nothing recorded yet):")
        for change in changes:
            assert change.counted is not None
            print(
                f"  第{change.number}号 {change.recorded.kind.label} {change.recorded.party}: "
                f"{change.recorded.due.in_timezone(SHANGHAI).to_date_string()} → "
                f"{change.counted.due.in_timezone(SHANGHAI).to_date_string()}"
            )

        # The assigning body records each change, with its reason, as an event.
        wf.calendar = with_notice
        for proposal_id in sorted({change.proposal_id for change in changes}):
            wf.revise_deadlines(proposal_id, reason="2027年部分节假日安排公布", actor=COMMITTEE)
        print(f"\nafter revising, left to move: {len(wf.deadline_changes())}")
        moved = wf.history(ids[2])
        print("第0303号:", " → ".join(event.label for event in moved))
        for tracked in wf.get(ids[2]).deadlines:
            if tracked.deadline.kind is cohandle.DeadlineKind.REPLY:
                print(
                    f"  答复 {tracked.deadline.due.in_timezone(SHANGHAI).to_date_string()} {tracked.status.label}"
                )
        print(wf.verify())


if __name__ == "__main__":
    main()
