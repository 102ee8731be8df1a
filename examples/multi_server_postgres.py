"""Two application servers on one PostgreSQL log.

Server A (this process) receives and assigns proposals; server B (a second process, started
here) records the co-handlers' opinions as they arrive, at the same time. Each sees what the
other wrote, a stale write is retried on fresh state, and the log verifies at the end.

Run it: ``python examples/multi_server_postgres.py postgresql://postgres@127.0.0.1:5432/test``
(or set COHANDLE_POSTGRES_URL). It works in a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pendulum

import cohandle
from cohandle import Actor, Body, Level, Opinion, ProposalData, Proposer, Section, Session, Unit

COMMITTEE = Unit(name="省政协提案委员会")
LEAD = Unit(name="省科技厅")
IPA = Unit(name="湖北省知识产权局")
SESSION = Session(body=Body.CPPCC, level=Level.PROVINCE, region="湖北省", term=13, meeting=3, year=2025)
CLOCK_START = pendulum.datetime(2025, 3, 3, 9, tz="Asia/Shanghai")
COUNT = 20


def server_a(url: str, schema: str) -> None:
    with cohandle.Workflow.open(url, schema=schema, clock=cohandle.FixedClock(CLOCK_START)) as wf:
        committee = Actor(name="王芳", unit=COMMITTEE)
        for n in range(COUNT):
            data = ProposalData(
                number=f"2025{n:04d}",
                title="关于促进基础研发的建议",
                session=SESSION,
                proposers=[Proposer(name="李明")],
            )
            pid = wf.receive(data, actor=committee).id
            wf.assign(pid, lead=LEAD, co_handlers=[IPA], actor=committee)


def server_b(url: str, schema: str) -> None:
    """Polls the log from its own connection and answers every assignment with an opinion."""
    with cohandle.Workflow.open(url, schema=schema, clock=cohandle.FixedClock(CLOCK_START)) as wf:
        ipa = Actor(name="杨鑫", unit=IPA)
        done: set[str] = set()
        position = 0
        while len(done) < COUNT:
            for item in wf.store.read_all(after=position):
                position = item.position
                if (
                    isinstance(item.event.payload, cohandle.ProposalAssigned)
                    and item.event.stream_id not in done
                ):
                    opinion = Opinion(
                        author=IPA, addressee=LEAD, date="2025-03-03", sections=[Section(text="同意。")]
                    )
                    wf.submit_opinion(item.event.stream_id, opinion=opinion, actor=ipa)
                    done.add(item.event.stream_id)


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--server-b":
        server_b(args[1], args[2])
        return
    url = args[0] if args else os.environ.get("COHANDLE_POSTGRES_URL")
    if not url:
        raise SystemExit("usage: python examples/multi_server_postgres.py postgresql://USER@HOST:PORT/DB")
    schema = f"example_{uuid.uuid4().hex[:10]}"
    cohandle.stores.PostgresStore(url, schema=schema).close()  # create the schema before both start
    try:
        b = subprocess.Popen([sys.executable, __file__, "--server-b", url, schema])
        server_a(url, schema)
        if b.wait(timeout=120) != 0:
            raise SystemExit("server B failed")
        with cohandle.Workflow.open(url, schema=schema) as wf:
            states = [wf.get(pid) for pid in wf.store.stream_ids()]
            submitted = sum(1 for p in states for part in p.co_handlers if part.opinion is not None)
            print(f"{len(states)} proposals received and assigned by server A")
            print(f"{submitted} opinions recorded by server B")
            print(wf.verify())
    finally:
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
