"""The demo data set behind ``cohandle demo``: the seed case and a few invented ones.

The seed case is proposal No. 20230519 of the 1st session of the 13th Hubei CPPCC committee,
as its published co-handling letter tells it. The other proposals, their people and phone
numbers are invented to show units signing for their parts (签收), a returned opinion, a
re-handling after 不满意 and a report on how its reply was carried out (落实情况), separate
handling and an NPC suggestion.
"""

from __future__ import annotations

from typing import Any

from cohandle._model import (
    Actor,
    Body,
    Contact,
    Disclosure,
    Feedback,
    Level,
    Opinion,
    ProposalData,
    Proposer,
    ProposerKind,
    Reply,
    Satisfaction,
    Section,
    Session,
    Unit,
)
from cohandle._text import pad
from cohandle._workflow import Workflow

__all__ = ["record_demo", "timeline"]

COMMITTEE = Unit(name="省政协提案委员会")
NPC_OFFICE = Unit(name="省人大常委会代表工作委员会")
SCIENCE = Unit(name="省科技厅")
IPA = Unit(name="湖北省知识产权局")
EDUCATION = Unit(name="省教育厅")
FINANCE = Unit(name="省财政厅")
TRANSPORT = Unit(name="省交通运输厅")
HOUSING = Unit(name="省住房和城乡建设厅")

CPPCC_2023 = Session(body=Body.CPPCC, level=Level.PROVINCE, region="湖北省", term=13, meeting=1, year=2023)
NPC_2023 = Session(body=Body.NPC, level=Level.PROVINCE, region="湖北省", term=14, meeting=1, year=2023)


def _person(name: str, unit: Unit) -> Actor:
    return Actor(name=name, unit=unit)


def _text(heading: str, text: str) -> tuple[Section, ...]:
    return (Section(heading=heading, text=text),)


# who signs each unit's replies and who handled them, made up as their phone numbers are: a
# letter carries both names and phones
_SIGNED = {
    unit.name: (Contact(name=leader, phone=f"{phone}0"), Contact(name=officer, phone=f"{phone}1"))
    for unit, leader, officer, phone in (
        (SCIENCE, "赵强", "张伟", "027-8700000"),
        (FINANCE, "吴刚", "周杰", "027-8700010"),
        (EDUCATION, "杜娟", "陈静", "027-8700020"),
        (TRANSPORT, "何军", "刘洋", "027-8700030"),
        (HOUSING, "郑华", "黄磊", "027-8700040"),
    )
}


def _reply(author: Unit, category: str, date: str, heading: str, text: str, **more: Any) -> Reply:
    """A reply of one section, signed and handled by the unit's people."""
    signatory, handler = _SIGNED[author.name]
    return Reply(
        author=author,
        category=category,
        date=date,
        sections=_text(heading, text),
        signatory=signatory,
        handler=handler,
        **more,
    )


def record_demo(wf: Workflow) -> list[str]:
    """Record the demo proposals into ``wf``; return their ids."""
    return [_seed_case(wf), _returned_opinion(wf), _rehandled(wf), _separate(wf), _npc_suggestion(wf)]


def _seed_case(wf: Workflow) -> str:
    committee = _person("王芳", COMMITTEE)
    lead = _person("张伟", SCIENCE)
    data = ProposalData(
        number="20230519",
        title="关于促进基础研发的建议",
        session=CPPCC_2023,
        proposers=[Proposer(name="李明")],
    )
    pid = wf.receive(data, actor=committee, occurred_at="2023-01-16").id
    wf.file(pid, actor=committee, occurred_at="2023-02-10")
    wf.assign(pid, lead=SCIENCE, co_handlers=[IPA], actor=committee, occurred_at="2023-02-20")
    opinion = Opinion(
        author=IPA,
        addressee=SCIENCE,
        date="2023-04-10",
        suggested_category="B",
        sections=(
            Section(
                heading="一、主要工作情况",
                subsections=(
                    Section(heading="(一)知识产权保护顶层设计高位推进"),
                    Section(heading="(二)知识产权保护体系持续完善"),
                    Section(heading="(三)知识产权保护效能有力提升"),
                    Section(heading="(四)知识产权保护有利氛围日益形成"),
                ),
            ),
            Section(
                heading="二、下一步工作打算",
                text="下一步,我局将认真贯彻省委、省政府加强知识产权保护工作要求……",
            ),
        ),
        signatory=Contact(name="程浩", phone="027-86759052"),
        handler=Contact(name="杨鑫", phone="027-86759081"),
        postal_code="430071",
    )
    wf.submit_opinion(pid, opinion=opinion, actor=_person("杨鑫", IPA), occurred_at="2023-04-10")
    wf.consolidate(pid, actor=lead, occurred_at="2023-04-20")
    reply = _reply(
        SCIENCE,
        "B",
        "2023-05-10",
        "一、办理情况",
        "我厅会同湖北省知识产权局对您的建议进行了认真研究。近年来，我省持续加大基础研究投入……",
        copies=(COMMITTEE, IPA),
        disclosure=Disclosure.PUBLIC,
    )
    wf.answer(pid, reply=reply, actor=lead, occurred_at="2023-05-10")
    wf.record_feedback(
        pid,
        feedback=Feedback(satisfaction=Satisfaction.SATISFIED),
        actor=Actor(name="李明"),
        occurred_at="2023-06-01",
    )
    wf.close(pid, actor=lead, occurred_at="2023-06-05")
    wf.publish(pid, actor=lead, occurred_at="2023-07-21")
    return pid


def _returned_opinion(wf: Workflow) -> str:
    committee = _person("王芳", COMMITTEE)
    lead = _person("陈静", EDUCATION)
    finance = _person("周杰", FINANCE)
    data = ProposalData(
        number="20230233",
        title="关于加强农村学校教师队伍建设的建议",
        session=CPPCC_2023,
        proposers=[Proposer(name="赵红梅"), Proposer(name="孙立")],
    )
    pid = wf.receive(data, actor=committee, occurred_at="2023-01-16").id
    wf.file(pid, actor=committee, occurred_at="2023-02-10")
    wf.assign(pid, lead=EDUCATION, co_handlers=[FINANCE], actor=committee, occurred_at="2023-02-20")
    wf.sign_for(pid, actor=lead, occurred_at="2023-02-21")  # each unit signs for its part (签收)
    wf.sign_for(pid, actor=finance, occurred_at="2023-02-23")
    wf.remind(pid, to=FINANCE, actor=lead, note="会办意见逾期未报,请尽快报送", occurred_at="2023-03-28")
    thin = Opinion(author=FINANCE, addressee=EDUCATION, date="2023-04-03", sections=_text("", "原则同意。"))
    wf.submit_opinion(pid, opinion=thin, actor=finance, occurred_at="2023-04-03")
    wf.return_opinion(
        pid, unit=FINANCE, reason="意见过于简单,请说明经费保障安排", actor=lead, occurred_at="2023-04-04"
    )
    full = Opinion(
        author=FINANCE,
        addressee=EDUCATION,
        date="2023-04-10",
        suggested_category="A",
        sections=_text("一、经费保障情况", "2023年安排农村教师专项补助资金……"),
        signatory=Contact(name="吴刚", phone="027-87000100"),
        handler=Contact(name="周杰", phone="027-87000101"),
    )
    wf.submit_opinion(pid, opinion=full, actor=finance, occurred_at="2023-04-10")
    wf.consolidate(pid, actor=lead, occurred_at="2023-04-18")
    wf.countersign(pid, actor=finance, note="同意答复意见", occurred_at="2023-04-28")  # 会签
    reply = _reply(
        EDUCATION,
        "A",
        "2023-05-05",
        "一、办理情况",
        "我厅会同省财政厅对你们的建议进行了认真研究。2023年，我省安排农村教师专项补助资金……",
        copies=(COMMITTEE, FINANCE),
    )
    wf.answer(pid, reply=reply, actor=lead, occurred_at="2023-05-05")
    wf.review_reply(  # the committee reviews the reply (审核) before the proposers are asked
        pid,
        category="B",
        note="补充教师计划正在实施,按B类统计",
        actor=committee,
        occurred_at="2023-05-08",
    )
    return pid


def _rehandled(wf: Workflow) -> str:
    committee = _person("王芳", COMMITTEE)
    lead = _person("刘洋", TRANSPORT)
    data = ProposalData(
        number="20230377",
        title="关于改善城乡公交衔接的建议",
        session=CPPCC_2023,
        proposers=[Proposer(name="马骏")],
    )
    pid = wf.receive(data, actor=committee, occurred_at="2023-01-17").id
    wf.file(pid, actor=committee, occurred_at="2023-02-10")
    wf.assign(pid, lead=TRANSPORT, actor=committee, occurred_at="2023-02-20")
    first = _reply(TRANSPORT, "C", "2023-05-12", "一、办理情况", "因条件限制……")
    wf.answer(pid, reply=first, actor=lead, occurred_at="2023-05-12")
    wf.record_feedback(
        pid,
        feedback=Feedback(satisfaction=Satisfaction.DISSATISFIED, comments="答复未回应线路衔接问题"),
        actor=Actor(name="马骏"),
        occurred_at="2023-05-30",
    )
    wf.order_rehandling(pid, reason="提案者对答复不满意", actor=committee, occurred_at="2023-06-02")
    second = _reply(TRANSPORT, "B", "2023-07-10", "一、再次办理情况", "经实地调研……")
    wf.answer(pid, reply=second, actor=lead, occurred_at="2023-07-10")
    wf.record_feedback(
        pid,
        feedback=Feedback(satisfaction=Satisfaction.BASICALLY_SATISFIED),
        actor=Actor(name="马骏"),
        occurred_at="2023-07-20",
    )
    wf.close(pid, actor=lead, occurred_at="2023-07-21")
    wf.report_implementation(  # the year-end 回头看 of replies that promised work
        pid,
        report="新开通城乡公交衔接线路3条,换乘站点已投入使用。",
        category="A",
        actor=lead,
        occurred_at="2023-11-20",
    )
    return pid


def _separate(wf: Workflow) -> str:
    committee = _person("王芳", COMMITTEE)
    data = ProposalData(
        number="20230412",
        title="关于推进老旧小区改造和加装电梯的建议",
        session=CPPCC_2023,
        proposers=[Proposer(name="民盟湖北省委", kind=ProposerKind.PARTY)],
    )
    pid = wf.receive(data, actor=committee, occurred_at="2023-01-18").id
    wf.file(pid, actor=committee, occurred_at="2023-02-10")
    wf.assign(pid, handlers=[HOUSING, FINANCE], actor=committee, occurred_at="2023-02-20")
    for unit, name, text in (
        (HOUSING, "黄磊", "老旧小区改造进展……"),
        (FINANCE, "周杰", "加装电梯补助资金……"),
    ):
        reply = _reply(unit, "A", "2023-05-20", "一、办理情况", text)
        wf.answer(pid, reply=reply, actor=_person(name, unit), occurred_at="2023-05-20")
    return pid


def _npc_suggestion(wf: Workflow) -> str:
    office = _person("郑伟", NPC_OFFICE)
    data = ProposalData(
        number="1025",
        title="关于加快建设科技创新平台的建议",
        session=NPC_2023,
        proposers=[
            Proposer(name="钱勇", kind=ProposerKind.DEPUTY),
            Proposer(name="冯丽", kind=ProposerKind.DEPUTY),
        ],
    )
    pid = wf.receive(data, actor=office, occurred_at="2023-01-20").id
    wf.assign(pid, lead=SCIENCE, co_handlers=[EDUCATION], actor=office, occurred_at="2023-02-24")
    wf.mark_key(pid, actor=office, note="列为重点督办建议", occurred_at="2023-02-24")
    return pid


def timeline(wf: Workflow, proposal_id: str) -> str:
    """A proposal's history as lines an official can read."""
    p = wf.get(proposal_id)
    lines = [
        f"{p.data.session.describe()} 第{p.number}号{p.data.session.body.item}《{p.title}》",
        f"状态: {p.status.label} ({p.status})",
    ]
    for event in wf.history(proposal_id):
        day = event.occurred_at.in_timezone("Asia/Shanghai").to_date_string()
        lines.append(f"  {event.version:>2}  {day}  {pad(event.label, 12)}  {event.type:<22} {event.actor}")
    return "\n".join(lines)
