"""How a host OA system embeds cohandle: commands from web requests, a reminder job, a read model.

The "web requests" here are plain dicts as a web framework would hand them over. The host:

1. turns each request into a command, with the request's id as the command id, so a request
   sent twice (a user double-clicks, a proxy retries) is recorded once;
2. runs a reminder job on its own schedule: it asks the deadline board what is due and
   records the reminders it sends (the library runs no timers), to units and, after the reply,
   to the proposers of their feedback;
3. keeps its own read model (a dashboard table) up to date from ``read_all``, following the
   global position, so it never misses an event and can resume after a restart.

Run it: ``python examples/oa_integration.py``
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pendulum

import cohandle
from cohandle import Actor, Body, DeadlineBoard, Level, ProposalData, Proposer, Reply, Section, Session, Unit
from cohandle.deadlines import Calendar, preset

COMMITTEE = Unit(name="市政协提案委员会")
TRANSPORT = Unit(name="市交通运输局")
FINANCE = Unit(name="市财政局")
SESSION = Session(body=Body.CPPCC, level=Level.CITY, region="武汉市", term=15, meeting=3, year=2025)
POLICY = preset("chongqing-2017")


class Host:
    """The host application: its users, its request handler, its jobs, its read model."""

    def __init__(self, path: str, clock: cohandle.Clock) -> None:
        self.wf = cohandle.Workflow.open(path, clock=clock, policy=POLICY)
        self.users = {
            "wangfang": Actor(name="王芳", unit=COMMITTEE),
            "liuyang": Actor(name="刘洋", unit=TRANSPORT),
            "zhoujie": Actor(name="周杰", unit=FINANCE),
        }
        self.dashboard: dict[str, dict[str, Any]] = {}
        self.position = 0  # how far the read model has read; a real host stores it with the model

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """One web request: an HTTP-ish response, never a traceback."""
        actor = self.users[request["user"]]
        body = request["body"]
        try:
            if request["action"] == "receive":
                data = ProposalData(
                    number=body["number"],
                    title=body["title"],
                    session=SESSION,
                    proposers=[Proposer(name=body["proposer"])],
                )
                p = self.wf.receive(data, actor=actor, command_id=request["id"])
            elif request["action"] == "assign":
                p = self.wf.assign(
                    body["proposal"],
                    lead=Unit(name=body["lead"]),
                    co_handlers=[Unit(name=n) for n in body.get("co_handlers", [])],
                    actor=actor,
                    command_id=request["id"],
                )
            elif request["action"] == "excuse":
                p = self.wf.excuse_co_handler(
                    body["proposal"],
                    unit=Unit(name=body["unit"]),
                    reason=body["reason"],
                    actor=actor,
                    command_id=request["id"],
                )
            elif request["action"] == "consolidate":
                p = self.wf.consolidate(body["proposal"], actor=actor, command_id=request["id"])
            elif request["action"] == "answer":
                assert actor.unit is not None  # every user of this host acts for a unit
                reply = Reply(
                    author=actor.unit,
                    category=body["category"],
                    date=body["date"],
                    sections=[Section(text=body["text"])],
                )
                p = self.wf.answer(body["proposal"], reply=reply, actor=actor, command_id=request["id"])
            else:
                return {"status": 400, "error": f"unknown action {request['action']!r}"}
        except cohandle.CohandleError as exc:
            return {"status": status_of(exc), "error": str(exc)}
        return {"status": 200, "proposal": p.id, "state": p.status.value, "version": p.version}

    def reminder_job(self, now: pendulum.DateTime) -> list[str]:
        """Runs every morning: send the reminders due, and record each one sent."""
        board = DeadlineBoard.build(self.wf.proposals())
        sent = []
        for reminder in board.reminders(now, POLICY, Calendar.china()):
            item = reminder.item
            note = f"请于{item.due.in_timezone('Asia/Shanghai').to_date_string()}前完成{item.deadline.kind.label}"
            self.wf.remind(item.proposal_id, to=item.to, actor=self.users["wangfang"], note=note)
            sent.append(f"{reminder.level.label} {item.party} 第{item.number}号 {item.deadline.kind.label}")
        return sent

    def update_read_model(self) -> int:
        """Read the events after the last position into the dashboard table."""
        count = 0
        for item in self.wf.store.read_all(after=self.position):
            event = item.event
            row = self.dashboard.setdefault(event.stream_id, {"events": 0})
            row["events"] += 1
            row["last"] = event.type
            if isinstance(event.payload, cohandle.ProposalAssigned) and event.payload.lead is not None:
                row["lead"] = event.payload.lead.name
            self.position = item.position
            count += 1
        return count


# An error's HTTP status: the user's mistakes and clashes with the log as it stands first, then
# what is the server's to mend (a database busy or full; a damaged log, its configuration).
STATUSES: tuple[tuple[type[cohandle.CohandleError] | tuple[type[cohandle.CohandleError], ...], int], ...] = (
    (cohandle.ProposalNotFound, 404),
    (cohandle.PermissionDenied, 403),
    (
        (
            cohandle.CommandRefused,
            cohandle.ConcurrencyConflict,
            cohandle.IdempotencyConflict,
            cohandle.ProposalExists,
        ),
        409,
    ),
    (cohandle.InvalidInput, 400),
    (cohandle.stores.StorageError, 503),
)


def status_of(error: cohandle.CohandleError) -> int:
    """404, 403, 409, 400 or 503 as ``STATUSES`` says; 500 for the rest (IntegrityError,
    SchemaError, CalendarError), which are for the administrator."""
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 500)


def main() -> None:
    clock = cohandle.FixedClock(pendulum.datetime(2025, 3, 3, 9, tz="Asia/Shanghai"))
    host = Host(os.path.join(tempfile.mkdtemp(prefix="cohandle-oa-"), "oa.db"), clock)
    requests = [
        {
            "id": "req-1",
            "user": "wangfang",
            "action": "receive",
            "body": {"number": "0156", "title": "关于优化城乡公交线网的建议", "proposer": "王红"},
        },
        {
            "id": "req-2",
            "user": "wangfang",
            "action": "assign",
            "body": {
                "proposal": "cppcc-武汉市-15-3-0156",
                "lead": "市交通运输局",
                "co_handlers": ["市财政局"],
            },
        },
        {
            "id": "req-2",
            "user": "wangfang",
            "action": "assign",
            "body": {
                "proposal": "cppcc-武汉市-15-3-0156",
                "lead": "市交通运输局",
                "co_handlers": ["市财政局"],
            },
        },
        {
            "id": "req-3",
            "user": "zhoujie",
            "action": "consolidate",
            "body": {"proposal": "cppcc-武汉市-15-3-0156"},
        },
        {
            "id": "req-4",
            "user": "liuyang",
            "action": "consolidate",
            "body": {"proposal": "cppcc-武汉市-15-3-0156"},
        },
        {
            "id": "req-4b",
            "user": "liuyang",
            "action": "consolidate",
            "body": {"proposal": "cppcc-武汉市-15-3-0165"},  # a number mistyped
        },
    ]
    for request in requests:
        response = host.handle(request)
        print(
            request["id"],
            request["action"],
            "→",
            response["status"],
            response.get("state") or response["error"][:60],
        )
    print("read model:", host.update_read_model(), "new events", host.dashboard)

    clock.set(pendulum.datetime(2025, 4, 8, 9, tz="Asia/Shanghai"))  # a morning: the co-handler is late
    for line in host.reminder_job(clock.now()):
        print("reminder job:", line)
    print(
        host.handle(
            {
                "id": "req-5",
                "user": "wangfang",
                "action": "excuse",
                "body": {
                    "proposal": "cppcc-武汉市-15-3-0156",
                    "unit": "市财政局",
                    "reason": "经费事项已另行答复",
                },
            }
        )["state"]
    )
    print(
        host.handle(
            {
                "id": "req-6",
                "user": "liuyang",
                "action": "consolidate",
                "body": {"proposal": "cppcc-武汉市-15-3-0156"},
            }
        )["state"]
    )
    answer = {
        "proposal": "cppcc-武汉市-15-3-0156",
        "category": "B",
        "date": "2025-04-08",
        "text": "现答复如下……",
    }
    print(host.handle({"id": "req-7", "user": "liuyang", "action": "answer", "body": answer})["state"])
    print("read model:", host.update_read_model(), "new events", host.dashboard)

    # weeks later: the proposer's feedback falls due (20 working days from the reply), and the
    # job reminds the proposer; the next morning there is nothing new to send
    for morning in (
        pendulum.datetime(2025, 4, 30, 9, tz="Asia/Shanghai"),
        pendulum.datetime(2025, 5, 6, 9, tz="Asia/Shanghai"),
    ):
        clock.set(morning)
        print(f"reminder job {morning.to_date_string()}:", host.reminder_job(clock.now()) or "nothing due")
    print(host.wf.verify())
    host.wf.store.close()


if __name__ == "__main__":
    main()
