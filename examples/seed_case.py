"""The seed case end to end: proposal No. 20230519 of the Hubei CPPCC, 13th committee, 1st session.

湖北省知识产权局 (a co-handler) sent its opinion of 2023-04-10, category B, to the lead unit
省科技厅, which consolidated it and answered the proposer. The log goes to a new SQLite file
(the default store) in a temporary folder. Run it:

    python examples/seed_case.py
"""

from __future__ import annotations

import os
import tempfile

import pendulum

import cohandle
from cohandle import (
    Actor,
    Body,
    Contact,
    Disclosure,
    Feedback,
    Level,
    Opinion,
    ProposalData,
    Proposer,
    Reply,
    Satisfaction,
    Section,
    Session,
    Unit,
)

COMMITTEE = Unit(name="省政协提案委员会")
LEAD = Unit(name="省科技厅")
IPA = Unit(name="湖北省知识产权局")
EDUCATION = Unit(name="省教育厅")
PROPOSER = "李明"  # the proposer's name is invented; the letter does not give it
TODAY = pendulum.datetime(2023, 7, 21, 9, 0, tz="Asia/Shanghai")


def run(wf: cohandle.Workflow | None = None) -> cohandle.Workflow:
    """Record the whole case (in ``wf``, or a fresh in-memory workflow) and return the workflow.

    The clock stands at 2023-07-21, the day the opinion was published, so every business date
    of the case lies in its past.
    """
    if wf is None:
        wf = cohandle.Workflow(clock=cohandle.FixedClock(TODAY))
    committee = Actor(name="王芳", unit=COMMITTEE)
    lead = Actor(name="张伟", unit=LEAD)
    ipa = Actor(name="杨鑫", unit=IPA)
    education = Actor(name="刘洋", unit=EDUCATION)

    session = Session(body=Body.CPPCC, level=Level.PROVINCE, region="湖北省", term=13, meeting=1, year=2023)
    data = ProposalData(
        number="20230519",
        title="关于促进基础研发的建议",
        session=session,
        proposers=[Proposer(name=PROPOSER)],
    )
    p = wf.receive(data, actor=committee, occurred_at="2023-01-16")
    wf.file(p.id, actor=committee, occurred_at="2023-02-10")
    wf.assign(p.id, lead=LEAD, co_handlers=[IPA, EDUCATION], actor=committee, occurred_at="2023-02-20")

    opinion = Opinion(
        author=IPA,
        addressee=LEAD,
        date="2023-04-10",
        suggested_category="B",
        sections=[
            Section(
                heading="一、主要工作情况",
                subsections=[
                    Section(heading="(一)知识产权保护顶层设计高位推进"),
                    Section(heading="(二)知识产权保护体系持续完善"),
                    Section(heading="(三)知识产权保护效能有力提升"),
                    Section(heading="(四)知识产权保护有利氛围日益形成"),
                ],
            ),
            Section(
                heading="二、下一步工作打算",
                text="下一步,我局将认真贯彻省委、省政府加强知识产权保护工作要求……",
            ),
        ],
        signatory=Contact(name="程 浩", phone="027-86759052"),
        handler=Contact(name="杨 鑫", phone="027-86759081"),
        postal_code="430071",
    )
    wf.submit_opinion(p.id, opinion=opinion, actor=ipa, occurred_at="2023-04-10")
    wf.remind(p.id, to=EDUCATION, actor=lead, note="请于本周内反馈会办意见", occurred_at="2023-04-12")
    education_opinion = Opinion(
        author=EDUCATION,
        addressee=LEAD,
        date="2023-04-14",
        suggested_category="B",
        sections=[Section(heading="一、工作情况", text="支持高校开展基础研究……")],
    )
    wf.submit_opinion(p.id, opinion=education_opinion, actor=education, occurred_at="2023-04-14")
    wf.consolidate(p.id, actor=lead, occurred_at="2023-04-20")
    reply = Reply(
        author=LEAD,
        category="B",
        date="2023-05-10",
        sections=[
            Section(
                heading="一、基本情况", text="我厅会同湖北省知识产权局、省教育厅对您的建议进行了认真研究……"
            )
        ],
        signatory=Contact(name="赵强", phone="027-87000000"),
        handler=Contact(name="张伟", phone="027-87000001"),
        copies=[COMMITTEE, IPA, EDUCATION],
        disclosure=Disclosure.PUBLIC,
    )
    wf.answer(p.id, reply=reply, actor=lead, occurred_at="2023-05-10")
    proposer = Actor(name=PROPOSER)
    wf.record_feedback(
        p.id, feedback=Feedback(satisfaction=Satisfaction.SATISFIED), actor=proposer, occurred_at="2023-06-01"
    )
    wf.close(p.id, actor=lead, occurred_at="2023-06-05")
    wf.publish(p.id, actor=lead, occurred_at="2023-07-21")
    return wf


def timeline(wf: cohandle.Workflow, proposal_id: str) -> str:
    """The proposal's history as lines an official can read."""
    p = wf.get(proposal_id)
    lines = [
        f"{p.data.session.describe()} 第{p.number}号提案《{p.title}》",
        f"状态: {p.status.label} ({p.status})  版本: {p.version}",
        "",
    ]
    for event in wf.history(proposal_id):
        day = event.occurred_at.in_timezone("Asia/Shanghai").to_date_string()
        label = event.label + "　" * (6 - len(event.label))  # a full-width space per missing character
        lines.append(f"{event.version:>3}  {day}  {label}  {event.type:<22} {event.actor}")
    return "\n".join(lines)


def main() -> None:
    folder = tempfile.mkdtemp(prefix="cohandle-seed-")
    path = os.path.join(folder, "seed.db")
    with cohandle.Workflow.open(path, clock=cohandle.FixedClock(TODAY)) as wf:
        run(wf)
        show(wf)
        print()
        print(f"日志文件 (log file): {path}")
        print(wf.verify())


def show(wf: cohandle.Workflow) -> None:
    """Print the case as an official would read it."""
    (proposal,) = wf.proposals()
    print(timeline(wf, proposal.id))
    opinion = proposal.co_handlers[0].opinion
    assert opinion is not None
    print()
    print(
        f"会办意见: {opinion.author} → {opinion.addressee}, 建议类别 {opinion.suggested_category}, "
        f"{opinion.date.year}年{opinion.date.month}月{opinion.date.day}日"
    )
    print(f"主管领导: {opinion.signatory}  经办人: {opinion.handler}  邮政编码: {opinion.postal_code}")
    reply = proposal.reply
    assert reply is not None
    print(f"答复: {reply.author}, 类别 {reply.category} ({proposal.category_scheme.label(reply.category)})")


if __name__ == "__main__":
    main()
