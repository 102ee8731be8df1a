"""Each command: the allowed path, and every kind of refusal (state, actor, input)."""

from __future__ import annotations

import attrs
import pendulum
import pytest

import cohandle
import cohandle.letters
from cohandle import (
    AssignmentMode,
    Disclosure,
    InvalidInput,
    NotAllowedInState,
    PartStatus,
    PermissionDenied,
    PreconditionFailed,
    ProposalData,
    Proposer,
    Satisfaction,
    Status,
)
from cohandle.deadlines import preset
from helpers import (
    A_CO1,
    A_CO2,
    A_COMMITTEE,
    A_COSIGNER,
    A_H1,
    A_H2,
    A_LEAD,
    A_OUTSIDER,
    A_PROPOSER,
    A_STRANGER,
    A_SUPERVISOR,
    CO1,
    CO2,
    COMMITTEE,
    H1,
    H2,
    LEAD,
    OUTSIDER,
    PROPOSERS,
    SESSION,
    SPARE,
    SUPERVISOR,
    assign,
    bring_to,
    data,
    feedback,
    opinion,
    receive,
    reply,
    workflow,
)

SEPARATE = AssignmentMode.SEPARATE
SOLE = AssignmentMode.SOLE


def unchanged(wf: cohandle.Workflow, pid: str):  # type: ignore[no-untyped-def]
    """A context manager that checks a refused command appended nothing."""

    class _Check:
        def __enter__(self) -> None:
            self.before = wf.history(pid)

        def __exit__(self, *exc: object) -> None:
            assert wf.history(pid) == self.before

    return _Check()


# -- receive -----------------------------------------------------------------------------------


def test_receive_records_the_proposal_with_a_session_based_id() -> None:
    wf = workflow()
    p = wf.receive(data("20230519"), actor=A_COMMITTEE)
    assert p.id == "cppcc-湖北省-13-1-20230519"
    assert p.status is Status.RECEIVED
    assert p.version == 1
    assert p.assigning_body == COMMITTEE
    assert p.category_scheme == cohandle.ABC
    assert wf.get(p.id) == p


def test_receive_refuses_the_same_number_twice() -> None:
    wf = workflow()
    wf.receive(data("1"), actor=A_COMMITTEE)
    with pytest.raises(cohandle.ProposalExists, match="already been received"):
        wf.receive(data("1"), actor=A_COMMITTEE)


def test_a_number_typed_as_letters_name_the_item_is_the_number_alone() -> None:
    """Before, 第0156号 was kept as the number, and a reply's title read 第第0156号号提案."""
    wf = workflow()
    for typed in ("第0156号", "0156号", "第 0156 号", "第0156号提案", "第０１５６号"):
        assert data(typed).number == "0156"
    p = wf.receive(data("第0156号"), actor=A_COMMITTEE)
    assert (p.id, p.number) == ("cppcc-湖北省-13-1-0156", "0156")
    with pytest.raises(cohandle.ProposalExists):
        wf.receive(data("0156"), actor=A_COMMITTEE)
    assert "第0156号提案的答复" in cohandle.letters.render_reply(reply(), p)
    for kept in ("A-12", "2023-0156", "号"):  # no 第 or 号 around it, or nothing inside them
        assert data(kept).number == kept


def test_a_title_copied_with_the_marks_around_it_is_the_title_alone() -> None:
    """Before, 《关于促进基础研发的建议》 was kept so, and a reply read 您提出的《《…》》收悉."""
    title = "关于促进基础研发的建议"
    for typed in (
        f"《{title}》",
        f"“{title}”",
        f'"{title}"',
        f"「{title}」",
        f"<{title}>",
        f" 《 {title} 》 ",
    ):
        proposal = ProposalData(number="1", title=typed, session=SESSION, proposers=[Proposer(name="李明")])
        assert proposal.title == title
        assert f"《{title}》收悉" in cohandle.letters.render_reply(reply(), proposal)
    for kept in ("《甲》和《乙》的衔接问题", "关于贯彻《民法典》的建议", "《》", "“关于促进基础研发的建议》"):
        assert (
            ProposalData(number="1", title=kept, session=SESSION, proposers=[Proposer(name="李明")]).title
            == kept
        )


def test_a_proposer_named_with_the_title_letters_add_is_named_without_it() -> None:
    """Before, 李明委员 was kept so: a reply read 李明委员委员：, and 李明 giving feedback was a
    stranger to the item."""
    wf = workflow()
    named = ProposalData(
        number="1",
        title="关于促进基础研发的建议",
        session=SESSION,
        proposers=[Proposer(name="李明委员"), Proposer(name="王 红 委员")],
    )
    assert named.proposer_names == ("李明", "王红")
    pid = wf.receive(named, actor=A_COMMITTEE).id
    assign(wf, pid, AssignmentMode.SOLE)
    answered = wf.answer(pid, reply=reply(), actor=A_LEAD)
    assert "李明、王红委员：" in cohandle.letters.render_reply(reply(), answered)
    wf.record_feedback(pid, feedback=feedback(), actor=cohandle.Actor(name="李明"))
    assert cohandle.Actor(name="李明委员") == cohandle.Actor(name="李明")  # a proposer in their own name
    assert cohandle.Actor(name="李明委员", unit=COMMITTEE).name == "李明委员"  # an official keeps it
    other = wf.receive(data(), actor=A_COMMITTEE).id
    assert (
        wf.withdraw(other, signed_by=["李明代表", "王红"], reason="情况已变化", actor=A_PROPOSER).status
        is Status.WITHDRAWN
    )
    for body in ("省政协经济委员会", "湖北代表团", "委员", "代表"):  # bodies, and nothing before the title
        assert Proposer(name=body, kind=cohandle.ProposerKind.COMMITTEE).name == body


def test_names_and_titles_taken_out_of_a_pdf_are_read_with_characters_for_radicals() -> None:
    assert cohandle.Unit(name="湖北省⼈⺠政府") == cohandle.Unit(name="湖北省人民政府")
    assert cohandle.Unit(name="⻓江⽔利委员会").name == "长江水利委员会"
    assert cohandle.Contact(name="⽂⻓").name == "文长"
    assert cohandle.Contact(name="\uf90a明").name == "金明"  # a compatibility ideograph, 金
    assert Proposer(name="⼤⺠委员").name == "大民"
    title = ProposalData(
        number="1", title="关于⼈⺠调解的建议", session=SESSION, proposers=[Proposer(name="李明")]
    ).title
    assert title == "关于人民调解的建议"


def test_receive_refuses_an_actor_of_another_unit() -> None:
    wf = workflow()
    with pytest.raises(PermissionDenied, match="Only someone acting for 省政协提案委员会"):
        wf.receive(data("1"), actor=A_LEAD, assigning_body=COMMITTEE)
    assert list(wf.proposals()) == []


def test_receive_refuses_a_person_without_a_unit() -> None:
    wf = workflow()
    with pytest.raises(InvalidInput, match="assigning_body"):
        wf.receive(data("1"), actor=A_PROPOSER)


def test_receive_refuses_what_is_not_proposal_data() -> None:
    wf = workflow()
    with pytest.raises(InvalidInput, match="ProposalData"):
        wf.receive({"number": "1"}, actor=A_COMMITTEE)  # type: ignore[arg-type]


def test_receive_takes_a_category_scheme() -> None:
    wf = workflow(category_scheme=cohandle.JIA_YI_BING)
    p = wf.receive(data("1"), actor=A_COMMITTEE)
    assert p.category_scheme.codes == ("甲", "乙", "丙")


def test_unknown_proposal_is_a_typed_error() -> None:
    wf = workflow()
    with pytest.raises(cohandle.ProposalNotFound, match="No proposal with id 'nope'"):
        wf.file("nope", actor=A_COMMITTEE)


# -- file, reject, merge -----------------------------------------------------------------------


def test_file_then_assign() -> None:
    wf = workflow()
    pid = receive(wf)
    assert wf.file(pid, actor=A_COMMITTEE, note="符合立案条件").status is Status.FILED


def test_file_twice_is_refused_with_what_is_possible() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.FILED)
    with unchanged(wf, pid), pytest.raises(NotAllowedInState) as info:
        wf.file(pid, actor=A_COMMITTEE)
    assert info.value.state == "filed"
    assert "assign" in info.value.allowed
    assert "it is filed" in str(info.value)


def test_reject_needs_a_reason() -> None:
    wf = workflow()
    pid = receive(wf)
    with unchanged(wf, pid), pytest.raises(InvalidInput, match="reason"):
        wf.reject(pid, reason="  ", actor=A_COMMITTEE)
    p = wf.reject(pid, reason="属于信访事项", forwarded_to=OUTSIDER, actor=A_COMMITTEE)
    assert p.status is Status.NOT_FILED
    assert p.rejection is not None and p.rejection.forwarded_to == OUTSIDER


def test_empty_text_is_refused_with_a_hint_only_where_the_hint_fits() -> None:
    wf = workflow()
    pid = receive(wf)
    with unchanged(wf, pid), pytest.raises(InvalidInput) as refused:
        wf.reject(pid, reason=" ", actor=A_COMMITTEE)
    assert str(refused.value) == "reason must not be empty: say why."
    with unchanged(wf, pid), pytest.raises(InvalidInput) as refused:
        wf.file(pid, actor=A_COMMITTEE, command_id=" ")
    assert str(refused.value) == "command_id must not be empty."
    bring = receive(wf)
    wf.assign(bring, lead=LEAD, actor=A_COMMITTEE)
    with unchanged(wf, bring), pytest.raises(InvalidInput) as refused:
        wf.extend(bring, until="2025-09-01", approval="", reason="调研需要", actor=A_COMMITTEE)
    assert str(refused.value) == "approval must not be empty."


def test_a_refusal_says_a_state_in_words_and_keeps_its_value() -> None:
    wf = workflow()
    pid = receive(wf)
    wf.reject(pid, reason="属于信访事项", actor=A_COMMITTEE)
    with pytest.raises(NotAllowedInState) as refused:
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    assert f"Cannot assign proposal {pid!r}: it is not filed, and assign" in str(refused.value)
    assert refused.value.state == "not_filed"


def test_merge_into_another_open_proposal() -> None:
    wf = workflow()
    first, second = receive(wf), receive(wf)
    p = wf.merge(second, into=first, actor=A_COMMITTEE, reason="内容相近")
    assert p.status is Status.MERGED
    assert p.merged_into == first
    target = wf.get(first)
    assert target.status is Status.RECEIVED  # the item it takes changes no state
    assert [(m.item, m.proposal, m.reason) for m in target.merged] == [(second, p.data, "内容相近")]
    merged, merged_in = wf.history(second)[-1], wf.history(first)[-1]
    assert (merged_in.type, merged_in.occurred_at, merged_in.actor) == (
        "ItemMergedIn",
        merged.occurred_at,
        merged.actor,
    )


MERGED_PROPOSERS = ("赵敏", "李明")  # one of them is also a proposer of the item it is merged into


def _merged_pair(wf: cohandle.Workflow) -> tuple[str, str]:
    """An item filed, and another with its own proposers merged into it."""
    first = receive(wf)
    wf.file(first, actor=A_COMMITTEE)
    second = wf.receive(data(proposers=MERGED_PROPOSERS), actor=A_COMMITTEE).id
    wf.merge(second, into=first, actor=A_COMMITTEE, reason="内容相近")
    return first, second


def test_the_reply_to_an_item_others_are_merged_into_is_written_to_all_their_proposers() -> None:
    wf = workflow()
    first, _ = _merged_pair(wf)
    assert wf.get(first).addressees == ("李明", "王红", "赵敏")
    wf.assign(first, lead=LEAD, actor=A_COMMITTEE)
    with pytest.raises(InvalidInput, match="proposers of this item or of the items merged into it"):
        wf.answer(first, reply=attrs.evolve(reply(), addressees=["赵六"]), actor=A_LEAD)
    p = wf.answer(first, reply=attrs.evolve(reply(), addressees=["赵敏"]), actor=A_LEAD)  # one of them only
    assert p.reply is not None and p.reply.addressees == ("赵敏",)


def test_a_merged_items_proposer_gives_feedback_on_the_reply_and_no_one_else_does() -> None:
    wf = workflow()
    first, _ = _merged_pair(wf)
    wf.assign(first, lead=LEAD, actor=A_COMMITTEE)
    wf.answer(first, reply=reply(), actor=A_LEAD)
    zhao = cohandle.Actor(name="赵敏")
    assert cohandle.relations(wf.get(first), zhao) == {cohandle.Relation.PROPOSER}
    p = wf.record_feedback(first, feedback=feedback(Satisfaction.DISSATISFIED), actor=zhao)
    latest = p.latest_feedback()
    assert latest is not None and latest.proposer == "赵敏"
    assert p.dissatisfied
    with pytest.raises(PermissionDenied):
        wf.record_feedback(first, feedback=feedback(), actor=A_STRANGER)


def test_merge_refuses_a_target_that_has_answered_and_an_item_that_holds_others() -> None:
    wf = workflow()
    first, second = _merged_pair(wf)
    answered = bring_to(wf, Status.ANSWERED)
    parted = bring_to(wf, Status.ASSIGNED, SEPARATE)
    wf.answer(parted, reply=reply(H1), actor=A_H1)  # one handler's reply is out
    third = receive(wf)
    with unchanged(wf, third), unchanged(wf, answered), unchanged(wf, parted):
        with pytest.raises(PreconditionFailed, match="is answered and takes no more items"):
            wf.merge(third, into=answered, actor=A_COMMITTEE)
        with pytest.raises(PreconditionFailed, match="has sent a reply already"):
            wf.merge(third, into=parted, actor=A_COMMITTEE)
        with pytest.raises(PreconditionFailed, match=f"merge into {first!r}, which it was merged into"):
            wf.merge(third, into=second, actor=A_COMMITTEE)
    refused = pytest.raises(PreconditionFailed, match=rf"other items are merged into it \({second}\)")
    with unchanged(wf, first), unchanged(wf, third), refused:
        wf.merge(first, into=third, actor=A_COMMITTEE)


def test_an_item_others_are_merged_into_is_not_rejected_or_withdrawn() -> None:
    wf = workflow()
    first = receive(wf)
    second = receive(wf)
    wf.merge(second, into=first, actor=A_COMMITTEE)
    with unchanged(wf, first):
        with pytest.raises(PreconditionFailed, match="their proposers wait for its reply"):
            wf.reject(first, reason="不属于提案范围", actor=A_COMMITTEE)
        with pytest.raises(PreconditionFailed, match="their proposers wait for its reply"):
            wf.withdraw(first, signed_by=PROPOSERS, reason="情况已变化", actor=A_PROPOSER)


def test_merge_refuses_itself_a_closed_target_and_an_unknown_one() -> None:
    wf = workflow()
    pid = receive(wf)
    closed = bring_to(wf, Status.CLOSED)
    with unchanged(wf, pid):
        with pytest.raises(PreconditionFailed, match="into itself"):
            wf.merge(pid, into=pid, actor=A_COMMITTEE)
        with pytest.raises(PreconditionFailed, match="takes no more items"):
            wf.merge(pid, into=closed, actor=A_COMMITTEE)
        with pytest.raises(cohandle.ProposalNotFound):
            wf.merge(pid, into="missing", actor=A_COMMITTEE)


def test_merge_refuses_an_item_of_the_other_body() -> None:
    """Before, a 政协提案 was merged into a 人大代表建议 received by the same office, and the
    reply to both named its member 代表."""
    wf = workflow()
    pid = receive(wf)
    npc = attrs.evolve(SESSION, body=cohandle.Body.NPC, term=14)
    suggestion = wf.receive(attrs.evolve(data(), session=npc), actor=A_COMMITTEE).id
    with unchanged(wf, pid), unchanged(wf, suggestion), pytest.raises(PreconditionFailed) as refused:
        wf.merge(pid, into=suggestion, actor=A_COMMITTEE)
    assert str(refused.value).endswith(
        f"{suggestion!r} is a 人大代表建议, and this item a 政协提案; items are merged with items of their "
        "own kind, and each is answered as its own."
    )
    later = attrs.evolve(SESSION, meeting=2)  # another meeting of the same committee may be
    kept = wf.receive(attrs.evolve(data(), session=later), actor=A_COMMITTEE).id
    assert wf.merge(pid, into=kept, actor=A_COMMITTEE).status is Status.MERGED


# -- record_contact --------------------------------------------------------------------------


def test_handling_units_record_their_contacts_with_the_proposers() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    p = wf.record_contact(pid, method=cohandle.ContactMethod.MEETING, note="座谈", actor=A_LEAD)
    wf.record_contact(pid, method="phone", proposers=[" 王 红 "], actor=A_CO1)
    contacts = wf.get(pid).contacts
    assert [(c.unit, c.method, c.proposers, c.note) for c in contacts] == [
        (LEAD, cohandle.ContactMethod.MEETING, PROPOSERS, "座谈"),
        (CO1, cohandle.ContactMethod.PHONE, ("王红",), ""),
    ]
    assert p.status is Status.ASSIGNED
    separate = bring_to(wf, Status.ANSWERED, SEPARATE)  # a follow-up visit after the reply
    assert wf.record_contact(separate, method="meeting", actor=A_H1).contacts[0].unit == H1


def test_a_contact_names_a_known_method_and_the_items_proposers() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, pid):
        with pytest.raises(InvalidInput, match="method must be a ContactMethod or one of meeting, phone"):
            wf.record_contact(pid, method="visit", actor=A_LEAD)
        with pytest.raises(InvalidInput, match="must be proposers of this item"):
            wf.record_contact(pid, method="phone", proposers=["赵六"], actor=A_LEAD)
        with pytest.raises(InvalidInput, match="must be a list of proposers' names"):
            wf.record_contact(pid, method="phone", proposers="李明", actor=A_LEAD)
        with pytest.raises(
            InvalidInput, match=r"must be a list of proposers' names \(got 1, an int, among them\)"
        ):
            wf.record_contact(pid, method="phone", proposers=[1], actor=A_LEAD)  # type: ignore[list-item]
        with pytest.raises(PermissionDenied):
            wf.record_contact(pid, method="phone", actor=A_COMMITTEE)
    contacted = wf.record_contact(pid, method="phone", proposers=["李\ufeff明"], actor=A_LEAD)
    assert contacted.contacts[0].proposers == ("李明",)  # a byte-order mark copied with the name
    first, _ = _merged_pair(wf)
    wf.assign(first, lead=LEAD, actor=A_COMMITTEE)
    contact = wf.record_contact(first, method="phone", proposers=["赵敏"], actor=A_LEAD).contacts[0]
    assert contact.proposers == ("赵敏",)  # a proposer of the item merged into it


# -- assign ------------------------------------------------------------------------------------


def test_assign_lead_with_co_handlers() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.FILED)
    p = wf.assign(pid, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE)
    assert p.status is Status.ASSIGNED
    assert p.mode is AssignmentMode.LEAD_WITH_CO_HANDLERS
    assert [part.unit for part in p.co_handlers] == [CO1, CO2]
    assert all(part.status is PartStatus.PENDING for part in p.co_handlers)
    assert p.assigned_at == wf.clock.now()


def test_assign_directly_from_received_for_items_that_are_not_filed() -> None:
    wf = workflow()
    pid = receive(wf)
    assert wf.assign(pid, lead=LEAD, actor=A_COMMITTEE).mode is SOLE


def test_assign_separate_handlers() -> None:
    wf = workflow()
    pid = receive(wf)
    p = wf.assign(pid, handlers=[H1, H2], actor=A_COMMITTEE)
    assert p.mode is SEPARATE and p.lead is None
    assert [h.unit for h in p.handlers] == [H1, H2]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "lead"),
        ({"lead": LEAD, "co_handlers": [LEAD]}, "co_handlers"),
        ({"lead": LEAD, "co_handlers": [CO1, CO1]}, "co_handlers"),
        ({"lead": LEAD, "mode": SOLE, "co_handlers": [CO1]}, "co_handlers"),
        ({"lead": LEAD, "mode": AssignmentMode.LEAD_WITH_CO_HANDLERS}, "co_handlers"),
        ({"handlers": [H1]}, "handlers"),
        ({"handlers": [H1, H2], "lead": LEAD}, "lead"),
        ({"lead": "省科技厅"}, "lead"),
        ({"lead": LEAD, "co_handlers": "省教育厅"}, "co_handlers"),
        ({"lead": LEAD, "handlers": [H1, H2], "mode": SOLE}, "handlers"),
        ({"lead": LEAD, "mode": "sole"}, "mode"),
    ],
)
def test_assign_refuses_bad_input(kwargs: dict[str, object], field: str) -> None:
    wf = workflow()
    pid = receive(wf)
    with unchanged(wf, pid), pytest.raises(InvalidInput) as info:
        wf.assign(pid, actor=A_COMMITTEE, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_only_the_assigning_body_assigns() -> None:
    wf = workflow()
    pid = receive(wf)
    with unchanged(wf, pid), pytest.raises(PermissionDenied) as info:
        wf.assign(pid, lead=LEAD, actor=A_LEAD)
    assert info.value.allowed_relations == ("assigning body",)
    assert "张伟 (省科技厅) may not assign" in str(info.value)
    assert "they hold no role on it, and only the assigning body may." in str(info.value)
    # one who holds a role is told which, in a sentence
    with unchanged(wf, pid), pytest.raises(PermissionDenied) as info:
        wf.assign(pid, lead=LEAD, actor=A_PROPOSER)
    assert "they act on it as proposer, and only the assigning body may." in str(info.value)


# -- sign_for ----------------------------------------------------------------------------------


def test_each_unit_named_signs_for_its_own_part_once() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    p = wf.sign_for(pid, actor=A_CO1)
    last = wf.history(pid)[-1]
    assert isinstance(last.payload, cohandle.AssignmentSignedFor) and last.label == "签收"
    assert last.payload.unit == CO1 and p.status is Status.ASSIGNED
    assert p.signed_at(CO1) == last.occurred_at and p.signed_at("湖北省知识产权局") == last.occurred_at
    assert p.signed_at(LEAD) is None
    assert wf.sign_for(pid, actor=A_LEAD).signed_at(LEAD) is not None
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match=r"signed for its part on .* already"):
        wf.sign_for(pid, actor=A_CO1)
    with (
        unchanged(wf, pid),
        pytest.raises(PermissionDenied, match="only the co-handler, lead unit or separate"),
    ):
        wf.sign_for(pid, actor=A_COMMITTEE)
    with unchanged(wf, pid), pytest.raises(InvalidInput, match="must be a Unit or a unit's name"):
        wf.get(pid).signed_at(3)


def test_signing_comes_before_a_units_opinion_or_answer() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.submit_opinion(pid, opinion=opinion(), actor=A_CO1)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="has already sent its opinion"):
        wf.sign_for(pid, actor=A_CO1)
    wf.return_opinion(pid, unit=CO1, reason="请补充", actor=A_LEAD)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="has already sent its opinion"):
        wf.sign_for(pid, actor=A_CO1)
    wf.excuse_co_handler(pid, unit=CO2, reason="不再涉及", actor=A_COMMITTEE)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="was excused from sending an opinion"):
        wf.sign_for(pid, actor=A_CO2)
    separate = bring_to(wf, Status.ASSIGNED, SEPARATE)
    wf.answer(separate, reply=reply(H1), actor=A_H1)
    with unchanged(wf, separate), pytest.raises(PreconditionFailed, match="has already answered its part"):
        wf.sign_for(separate, actor=A_H1)
    wf.sign_for(separate, actor=A_H2)
    answered = bring_to(wf, Status.CONSOLIDATED)
    with unchanged(wf, answered), pytest.raises(NotAllowedInState, match="sign_for"):
        wf.sign_for(answered, actor=A_LEAD)


def test_a_replacement_signs_for_the_part_of_the_unit_it_replaces() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.sign_for(pid, actor=A_CO2)
    wf.request_reassignment(pid, reason="职责不符", actor=A_CO2)
    p = wf.decide_reassignment(pid, unit=CO2, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    assert p.signed_at(CO2) is None  # its signature went with its part
    spare = cohandle.Actor(name="郑强", unit=SPARE)
    assert wf.sign_for(pid, actor=spare).signed_at(SPARE) is not None
    with pytest.raises(PermissionDenied):
        wf.sign_for(pid, actor=A_CO2)
    assert cohandle.replay(wf.history(pid)) == wf.get(pid)


# -- reassignment ------------------------------------------------------------------------------


def test_co_handler_asks_for_reassignment_and_is_replaced() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    p = wf.request_reassignment(pid, reason="不属于我局职责", actor=A_CO2)
    assert [r.unit for r in p.pending_reassignments] == [CO2]
    with pytest.raises(PreconditionFailed, match="already asked"):
        wf.request_reassignment(pid, reason="再次申请", actor=A_CO2)
    p = wf.decide_reassignment(pid, unit=CO2, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    assert p.pending_reassignments == ()
    assert p.co_handler(CO2) is None
    assert p.co_handler(SPARE) is not None
    assert [part.status for part in p.co_handlers] == [
        PartStatus.PENDING,
        PartStatus.RELEASED,
        PartStatus.PENDING,
    ]
    with pytest.raises(PermissionDenied):
        wf.submit_opinion(pid, opinion=opinion(CO2), actor=A_CO2)


def test_refused_reassignment_keeps_the_unit() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.request_reassignment(pid, reason="不属于我厅职责", actor=A_LEAD)
    p = wf.decide_reassignment(pid, unit=LEAD, approve=False, reason="职责相关", actor=A_COMMITTEE)
    assert p.lead == LEAD and p.pending_reassignments == ()


def test_lead_released_only_with_a_replacement() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.request_reassignment(pid, reason="不属于我厅职责", actor=A_LEAD)
    with pytest.raises(InvalidInput, match="new lead"):
        wf.decide_reassignment(pid, unit=LEAD, approve=True, actor=A_COMMITTEE)
    with pytest.raises(InvalidInput, match="already takes part"):
        wf.decide_reassignment(pid, unit=LEAD, approve=True, replacement=CO1, actor=A_COMMITTEE)
    p = wf.decide_reassignment(pid, unit=LEAD, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    assert p.lead == SPARE


def test_decide_reassignment_without_a_request_is_refused() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="has not asked"):
        wf.decide_reassignment(pid, unit=CO1, approve=True, actor=A_COMMITTEE)
    wf.request_reassignment(pid, reason="x", actor=A_CO1)
    with pytest.raises(InvalidInput, match="approve"):
        wf.decide_reassignment(pid, unit=CO1, approve="yes", actor=A_COMMITTEE)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="only given when the request is approved"):
        wf.decide_reassignment(pid, unit=CO1, approve=False, replacement=SPARE, actor=A_COMMITTEE)


def test_reassignment_is_asked_before_the_part_is_delivered() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.submit_opinion(pid, opinion=opinion(CO1), actor=A_CO1)
    with pytest.raises(PreconditionFailed, match="already delivered"):
        wf.request_reassignment(pid, reason="x", actor=A_CO1)


def test_separate_handler_released_needs_a_replacement_to_keep_two() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED, SEPARATE)
    wf.request_reassignment(pid, reason="x", actor=A_H1)
    with pytest.raises(InvalidInput, match="two handlers"):
        wf.decide_reassignment(pid, unit=H1, approve=True, actor=A_COMMITTEE)
    p = wf.decide_reassignment(pid, unit=H1, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    assert p.handler(SPARE) is not None and p.handler(H1) is None


# -- opinions ----------------------------------------------------------------------------------


def test_opinion_submitted_returned_and_resubmitted() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    p = wf.submit_opinion(pid, opinion=opinion(CO1), actor=A_CO1)
    assert p.co_handler(CO1).status is PartStatus.SUBMITTED  # type: ignore[union-attr]
    assert p.outstanding_co_handlers == (CO2,)
    with pytest.raises(PreconditionFailed, match="already submitted"):
        wf.submit_opinion(pid, opinion=opinion(CO1), actor=A_CO1)
    p = wf.return_opinion(pid, unit=CO1, reason="内容过于简单", actor=A_LEAD)
    part = p.co_handler(CO1)
    assert part is not None and part.status is PartStatus.RETURNED and part.returned == 1
    assert p.outstanding_co_handlers == (CO1, CO2)
    revised = opinion(CO1, category="A")
    p = wf.submit_opinion(pid, opinion=revised, actor=A_CO1)
    assert p.co_handler(CO1).opinion == revised  # type: ignore[union-attr]


def test_a_co_handler_submits_only_its_own_opinion() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, pid):
        with pytest.raises(PermissionDenied, match="its own opinion"):
            wf.submit_opinion(pid, opinion=opinion(CO2), actor=A_CO1)
        with pytest.raises(PermissionDenied):
            wf.submit_opinion(pid, opinion=opinion(CO1), actor=A_LEAD)
        with pytest.raises(PermissionDenied):
            wf.submit_opinion(pid, opinion=opinion(OUTSIDER), actor=A_OUTSIDER)


def test_opinion_must_be_addressed_to_the_lead_with_a_known_category() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, pid):
        with pytest.raises(InvalidInput, match="must be the lead unit 省科技厅"):
            wf.submit_opinion(pid, opinion=opinion(CO1, addressee=CO2), actor=A_CO1)
        with pytest.raises(InvalidInput, match="A/B/C"):
            wf.submit_opinion(pid, opinion=opinion(CO1, category="E"), actor=A_CO1)
        with pytest.raises(InvalidInput, match="must be an Opinion"):
            wf.submit_opinion(pid, opinion="意见", actor=A_CO1)  # type: ignore[arg-type]


def test_empty_opinion_cannot_be_made() -> None:
    with pytest.raises(InvalidInput, match="cannot be empty"):
        cohandle.Opinion(author=CO1, addressee=LEAD, date="2025-03-01", sections=[cohandle.Section()])


def test_return_only_a_submitted_opinion_with_a_reason() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, pid):
        with pytest.raises(PreconditionFailed, match="is pending, not submitted"):
            wf.return_opinion(pid, unit=CO1, reason="x", actor=A_LEAD)
        with pytest.raises(PreconditionFailed, match="not a co-handler"):
            wf.return_opinion(pid, unit=OUTSIDER, reason="x", actor=A_LEAD)
    wf.submit_opinion(pid, opinion=opinion(CO1), actor=A_CO1)
    with pytest.raises(InvalidInput, match="reason"):
        wf.return_opinion(pid, unit=CO1, reason="", actor=A_LEAD)
    with pytest.raises(PermissionDenied):
        wf.return_opinion(pid, unit=CO1, reason="x", actor=A_COMMITTEE)


def test_excused_co_handler_is_not_waited_for() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.submit_opinion(pid, opinion=opinion(CO1), actor=A_CO1)
    with pytest.raises(PreconditionFailed, match="省教育厅 are still outstanding"):
        wf.consolidate(pid, actor=A_LEAD)
    p = wf.excuse_co_handler(pid, unit=CO2, reason="机构调整", actor=A_COMMITTEE)
    assert p.co_handler(CO2).status is PartStatus.EXCUSED  # type: ignore[union-attr]
    assert wf.consolidate(pid, actor=A_LEAD).status is Status.CONSOLIDATED


def test_excuse_refused_for_a_submitted_opinion() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.submit_opinion(pid, opinion=opinion(CO1), actor=A_CO1)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed):
        wf.excuse_co_handler(pid, unit=CO1, reason="x", actor=A_COMMITTEE)


# -- consolidate and answer --------------------------------------------------------------------


def test_consolidate_is_for_lead_with_co_handlers_only() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED, SOLE)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="answer directly"):
        wf.consolidate(pid, actor=A_LEAD)
    assert wf.answer(pid, reply=reply(), actor=A_LEAD).status is Status.ANSWERED


def test_lead_answers_after_consolidation_only() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="consolidated first"):
        wf.answer(pid, reply=reply(), actor=A_LEAD)


def test_a_reply_without_addressees_is_written_to_every_proposer() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.CONSOLIDATED)
    p = wf.answer(pid, reply=reply(), actor=A_LEAD)
    assert p.reply is not None and p.reply.addressees == ()
    assert (
        cohandle.letters.parse_letter(cohandle.letters.render_reply(p.reply, p.data)).addressee == PROPOSERS
    )
    assert p.status is Status.ANSWERED


def test_answer_refuses_bad_replies() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.CONSOLIDATED)
    with unchanged(wf, pid):
        with pytest.raises(InvalidInput, match="A/B/C of the ABC scheme"):
            wf.answer(pid, reply=reply(category="D"), actor=A_LEAD)
        with pytest.raises(PermissionDenied, match="its own name"):
            wf.answer(pid, reply=reply(CO1), actor=A_LEAD)
        with pytest.raises(PermissionDenied):
            wf.answer(pid, reply=reply(CO1), actor=A_CO1)
        with pytest.raises(InvalidInput, match="addressees"):
            bad = cohandle.Reply(
                author=LEAD,
                category="A",
                date="2025-03-01",
                sections=[cohandle.Section(text="x")],
                addressees=["赵六"],
            )
            wf.answer(pid, reply=bad, actor=A_LEAD)
        with pytest.raises(InvalidInput, match="must be a Reply"):
            wf.answer(pid, reply=None, actor=A_LEAD)  # type: ignore[arg-type]


def test_separate_handling_is_answered_when_every_handler_has_answered() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED, SEPARATE)
    p = wf.answer(pid, reply=reply(H1), actor=A_H1)
    assert p.status is Status.ASSIGNED
    assert p.handler(H1).status is PartStatus.ANSWERED  # type: ignore[union-attr]
    with pytest.raises(PreconditionFailed, match="already answered"):
        wf.answer(pid, reply=reply(H1), actor=A_H1)
    with pytest.raises(PermissionDenied, match="its own name"):
        wf.answer(pid, reply=reply(H1), actor=A_H2)
    p = wf.answer(pid, reply=reply(H2), actor=A_H2)
    assert p.status is Status.ANSWERED
    assert [r.author for r in p.replies] == [H1, H2]


# -- feedback, re-handling, closing ------------------------------------------------------------


def test_feedback_from_a_proposer_only() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    with unchanged(wf, pid):
        for actor in (A_STRANGER, A_LEAD, A_COMMITTEE):
            with pytest.raises(PermissionDenied):
                wf.record_feedback(pid, feedback=feedback(), actor=actor)
        with pytest.raises(InvalidInput, match="lead unit or left out"):
            wf.record_feedback(pid, feedback=feedback(unit=CO1), actor=A_PROPOSER)
    p = wf.record_feedback(pid, feedback=feedback(Satisfaction.BASICALLY_SATISFIED, LEAD), actor=A_COSIGNER)
    entry = p.latest_feedback()
    assert entry is not None and entry.proposer == PROPOSERS[1]
    assert entry.feedback.unit is None


def test_separate_feedback_names_the_handler() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED, SEPARATE)
    with pytest.raises(InvalidInput, match="must name the handler"):
        wf.record_feedback(pid, feedback=feedback(), actor=A_PROPOSER)
    with pytest.raises(InvalidInput, match="has answered"):
        wf.record_feedback(pid, feedback=feedback(unit=OUTSIDER), actor=A_PROPOSER)


def test_dissatisfied_feedback_leads_to_rehandling_and_a_new_answer() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    with pytest.raises(PreconditionFailed, match="none"):
        wf.order_rehandling(pid, reason="x", actor=A_COMMITTEE)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    with pytest.raises(PreconditionFailed, match="不满意"):
        wf.close(pid, actor=A_LEAD)
    p = wf.order_rehandling(pid, reason="答复未回应核心诉求", actor=A_COMMITTEE)
    assert p.status is Status.REHANDLING and p.rehandlings == 1
    p = wf.answer(pid, reply=reply(category="A"), actor=A_LEAD)
    assert p.status is Status.ANSWERED and len(p.replies) == 2
    wf.record_feedback(pid, feedback=feedback(Satisfaction.SATISFIED), actor=A_PROPOSER)
    assert wf.close(pid, actor=A_LEAD).status is Status.CLOSED


def test_separate_rehandling_reopens_only_the_dissatisfying_part() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED, SEPARATE)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.SATISFIED, H1), actor=A_PROPOSER)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED, H2), actor=A_PROPOSER)
    p = wf.order_rehandling(pid, reason="x", actor=A_COMMITTEE)
    assert p.handler(H1).status is PartStatus.ANSWERED  # type: ignore[union-attr]
    assert p.handler(H2).status is PartStatus.PENDING  # type: ignore[union-attr]
    with pytest.raises(PreconditionFailed):
        wf.answer(pid, reply=reply(H1), actor=A_H1)
    assert wf.answer(pid, reply=reply(H2), actor=A_H2).status is Status.ANSWERED


def test_a_reply_sent_again_is_judged_by_its_own_feedback_not_the_one_before() -> None:
    """The 不满意 that ordered a re-handling was about the reply before: the new reply neither
    orders another re-handling nor holds the lead from closing once the proposers are content."""
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(pid, reason="答复未回应核心诉求", actor=A_COMMITTEE)
    p = wf.answer(pid, reply=reply(category="A"), actor=A_LEAD)
    assert not p.dissatisfied and p.feedback_on_latest_reply() is None
    assert p.latest_feedback().feedback.satisfaction is Satisfaction.DISSATISFIED  # type: ignore[union-attr]
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="feedback on a unit's latest reply"):
        wf.order_rehandling(pid, reason="再次办理", actor=A_COMMITTEE)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="missing"):
        wf.close(pid, actor=A_LEAD)
    p = wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    assert (
        p.dissatisfied and p.feedback_on_latest_reply() == p.feedback_on_latest_reply(LEAD) == p.feedback[-1]
    )
    assert wf.order_rehandling(pid, reason="再次办理", actor=A_COMMITTEE).rehandlings == 2


def test_separate_rehandling_judges_each_handler_by_the_feedback_on_its_latest_reply() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED, SEPARATE)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.SATISFIED, H1), actor=A_PROPOSER)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED, H2), actor=A_PROPOSER)
    wf.order_rehandling(pid, reason="x", actor=A_COMMITTEE)
    p = wf.answer(pid, reply=reply(H2), actor=A_H2)
    assert p.feedback_awaited == ("省人社厅",) and not p.dissatisfied
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="none"):
        wf.order_rehandling(pid, reason="x", actor=A_COMMITTEE)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="missing"):
        wf.close(pid, actor=A_H1)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.BASICALLY_SATISFIED, H2), actor=A_PROPOSER)
    assert wf.close(pid, actor=A_H1).status is Status.CLOSED


def test_lead_closes_after_feedback_the_assigning_body_at_any_time() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="missing"):
        wf.close(pid, actor=A_LEAD)
    with pytest.raises(PermissionDenied):
        wf.close(pid, actor=A_CO1)
    assert wf.close(pid, actor=A_COMMITTEE, note="反馈期满").status is Status.CLOSED


# -- withdraw, extend, remind, key, publish ----------------------------------------------------


def test_joint_item_withdrawn_only_with_every_signature() -> None:
    wf = workflow()
    pid = receive(wf)
    with unchanged(wf, pid):
        with pytest.raises(PreconditionFailed, match="missing: 王红"):
            wf.withdraw(pid, signed_by=[PROPOSERS[0]], reason="x", actor=A_PROPOSER)
        with pytest.raises(InvalidInput, match="not proposers"):
            wf.withdraw(pid, signed_by=[*PROPOSERS, "赵六"], reason="x", actor=A_PROPOSER)
        with pytest.raises(InvalidInput, match="list of proposer names"):
            wf.withdraw(pid, signed_by="李明", reason="x", actor=A_PROPOSER)
        # was read as the name "None", a stranger to the item
        with pytest.raises(
            InvalidInput, match=r"list of proposer names \(got None, a NoneType, among them\)"
        ):
            wf.withdraw(pid, signed_by=[None, *PROPOSERS], reason="x", actor=A_PROPOSER)  # type: ignore[list-item]
        with pytest.raises(PermissionDenied):
            wf.withdraw(pid, signed_by=PROPOSERS, reason="x", actor=A_COMMITTEE)
    # a name copied with a zero-width space in it is the proposer's name, as it is in a Proposer
    p = wf.withdraw(pid, signed_by=["王 红", "李\u200b明"], reason="情况已变化", actor=A_COSIGNER)
    assert p.status is Status.WITHDRAWN
    assert p.withdrawal is not None and p.withdrawal.signed_by == ("王红", "李明")


def test_withdrawal_after_assignment_can_be_ruled_out() -> None:
    wf = workflow(withdrawal_after_assignment=False)
    pid = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="only before it is assigned"):
        wf.withdraw(pid, signed_by=PROPOSERS, reason="x", actor=A_PROPOSER)
    early = bring_to(wf, Status.FILED)
    assert wf.withdraw(early, signed_by=PROPOSERS, reason="x", actor=A_PROPOSER).status is Status.WITHDRAWN


def test_withdrawal_is_refused_once_answered() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    with pytest.raises(NotAllowedInState):
        wf.withdraw(pid, signed_by=PROPOSERS, reason="x", actor=A_PROPOSER)


def test_extension_moves_only_forward_with_an_approval() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    p = wf.extend(
        pid, until="2025-09-01", approval="鄂政协提函〔2025〕3号", reason="涉及多部门", actor=A_COMMITTEE
    )
    assert p.extended_until == pendulum.Date(2025, 9, 1)
    with unchanged(wf, pid):
        with pytest.raises(InvalidInput, match="later than the present extension"):
            wf.extend(pid, until="2025-08-01", approval="x", reason="x", actor=A_COMMITTEE)
        with pytest.raises(InvalidInput, match="approval"):
            wf.extend(pid, until="2025-10-01", approval=" ", reason="x", actor=A_COMMITTEE)
        with pytest.raises(InvalidInput, match="ISO date"):
            wf.extend(pid, until="next month", approval="x", reason="x", actor=A_COMMITTEE)
        with pytest.raises(InvalidInput, match="not a datetime"):
            wf.extend(pid, until=pendulum.now(), approval="x", reason="x", actor=A_COMMITTEE)
        with pytest.raises(PermissionDenied):
            wf.extend(pid, until="2025-10-01", approval="x", reason="x", actor=A_LEAD)


def test_extension_must_end_after_assignment() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    with pytest.raises(InvalidInput, match="day of assignment"):
        wf.extend(pid, until="2025-03-01", approval="x", reason="x", actor=A_COMMITTEE)


def test_reminders_from_the_assigning_body_the_supervisor_and_the_lead() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ASSIGNED)
    wf.remind(pid, to=LEAD, actor=A_COMMITTEE)
    wf.mark_key(pid, supervisor=SUPERVISOR, actor=A_COMMITTEE)
    wf.remind(pid, to=LEAD, actor=A_SUPERVISOR, note="督办")
    p = wf.remind(pid, to=CO1, actor=A_LEAD)
    assert p.reminders == 3
    with unchanged(wf, pid):
        with pytest.raises(PermissionDenied, match="only its co-handlers"):
            wf.remind(pid, to=LEAD, actor=A_LEAD)
        with pytest.raises(InvalidInput, match="handling this proposal"):
            wf.remind(pid, to=OUTSIDER, actor=A_COMMITTEE)
        with pytest.raises(PermissionDenied):
            wf.remind(pid, to=CO2, actor=A_CO1)


def test_after_the_reply_a_reminder_is_of_what_is_still_owed() -> None:
    wf = workflow(policy=preset("generic"))
    pid = bring_to(wf, Status.ASSIGNED, mode=SOLE)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="feedback on a reply is awaited"):
        wf.remind(pid, to=cohandle.PROPOSER_PARTY, actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(), actor=A_LEAD)
    # the proposers, of their feedback; the lead, of publishing its reply
    p = wf.remind(pid, to=cohandle.PROPOSER_PARTY, actor=A_COMMITTEE, note="请反馈意见")
    assert p.last_reminded(cohandle.PROPOSER_PARTY) == wf.clock.now()
    assert wf.history(pid)[-1].payload == cohandle.ReminderIssued(to=None, note="请反馈意见")
    p = wf.remind(pid, to=LEAD, actor=A_COMMITTEE, note="请公开答复")
    assert [party for party, _ in p.reminded] == [cohandle.PROPOSER_PARTY, LEAD.name]
    assert cohandle.replay(wf.history(pid)) == p
    with unchanged(wf, pid):
        with pytest.raises(PermissionDenied, match="only its co-handlers"):
            wf.remind(pid, to=cohandle.PROPOSER_PARTY, actor=A_LEAD)
        with pytest.raises(InvalidInput, match=r"to must be a Unit, or PROPOSER_PARTY \('提案者'\)"):
            wf.remind(pid, to="提案人", actor=A_COMMITTEE)
        with pytest.raises(InvalidInput, match="handling this proposal"):
            wf.remind(pid, to=OUTSIDER, actor=A_COMMITTEE)
    wf.record_feedback(pid, feedback=feedback(), actor=A_PROPOSER)
    wf.close(pid, actor=A_LEAD)
    # a closed item still owes its reply's publication, and nothing else
    wf.remind(pid, to=LEAD, actor=A_COMMITTEE)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="feedback on a reply is awaited"):
        wf.remind(pid, to=cohandle.PROPOSER_PARTY, actor=A_COMMITTEE)
    wf.publish(pid, actor=A_LEAD)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="省科技厅 owes nothing now"):
        wf.remind(pid, to=LEAD, actor=A_COMMITTEE)


def test_after_the_reply_co_handlers_owe_nothing_to_be_reminded_of() -> None:
    wf = workflow()  # no rules: no deadlines are recorded, and a reply 主动公开 not published is owed
    pid = bring_to(wf, Status.ANSWERED)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match=f"{CO1.name} owes nothing now"):
        wf.remind(pid, to=CO1, actor=A_COMMITTEE)
    assert wf.remind(pid, to=LEAD, actor=A_COMMITTEE).reminders == 1
    # a reply 依申请公开 is published when someone applies for it: nobody owes it
    other = bring_to(wf, Status.ASSIGNED, mode=SOLE)
    wf.answer(other, reply=attrs.evolve(reply(), disclosure=Disclosure.ON_REQUEST), actor=A_LEAD)
    with (
        unchanged(wf, other),
        pytest.raises(PreconditionFailed, match="only of publishing a reply marked 主动公开"),
    ):
        wf.remind(other, to=LEAD, actor=A_COMMITTEE)


def test_mark_key_once_per_supervisor() -> None:
    wf = workflow()
    pid = receive(wf)
    p = wf.mark_key(pid, actor=A_COMMITTEE)
    assert p.key and p.supervisor is None
    with pytest.raises(PreconditionFailed, match="already a key proposal"):
        wf.mark_key(pid, actor=A_COMMITTEE)
    assert wf.mark_key(pid, supervisor=SUPERVISOR, actor=A_COMMITTEE).supervisor == SUPERVISOR


def test_publish_a_public_reply_once() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    p = wf.publish(pid, actor=A_LEAD, url="https://example.gov.cn/reply/1")
    assert p.published
    with pytest.raises(PreconditionFailed, match="already published"):
        wf.publish(pid, actor=A_LEAD)


def test_a_reply_is_published_in_full_or_as_a_summary() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    with unchanged(wf, pid):
        for bad in ("abstract", 1, None):
            with pytest.raises(InvalidInput, match="form must be a PublicationForm or one of full, summary"):
                wf.publish(pid, actor=A_LEAD, form=bad)  # type: ignore[arg-type]
    p = wf.publish(pid, actor=A_LEAD, form="summary")
    last = wf.history(pid)[-1].payload
    assert isinstance(last, cohandle.ReplyPublished) and last.form is cohandle.PublicationForm.SUMMARY
    assert (
        p.publication is cohandle.PublicationForm.SUMMARY
        and cohandle.PublicationForm.SUMMARY.label == "摘要公开"
    )
    full = bring_to(wf, Status.ANSWERED)
    q = wf.publish(full, actor=A_COMMITTEE)  # in full unless said otherwise
    assert q.publication is cohandle.PublicationForm.FULL
    never = bring_to(wf, Status.ANSWERED)
    assert wf.get(never).publication is None
    stats = cohandle.statistics(wf.proposals(), wf.clock.now())
    assert (stats.published, stats.published_in_summary) == (2, 1)
    assert stats.to_json()["published_in_summary"] == 1
    assert cohandle.replay(wf.history(pid)) == p
    # after re-handling, the new reply's publication is the one counted
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(pid, reason="不满意", actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(), actor=A_LEAD)
    p = wf.publish(pid, actor=A_LEAD, form=cohandle.PublicationForm.FULL)
    assert p.publication is cohandle.PublicationForm.FULL
    assert cohandle.statistics(wf.proposals(), wf.clock.now()).published_in_summary == 0


def _publications(p: cohandle.Proposal) -> list[tuple[str, str]]:
    return [(t.deadline.party, t.status.value) for t in p.deadlines if t.deadline.kind.value == "publication"]


def test_a_reply_sent_again_after_rehandling_is_published_again() -> None:
    wf = workflow(policy=preset("generic"))
    pid = bring_to(wf, Status.ANSWERED, mode=AssignmentMode.SOLE)
    wf.publish(pid, actor=A_LEAD)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(pid, reason="答复不具体", actor=A_COMMITTEE)
    p = wf.answer(pid, reply=reply(), actor=A_LEAD)
    assert _publications(p) == [(LEAD.name, "met"), (LEAD.name, "open")]
    p = wf.publish(pid, actor=A_LEAD)  # refused as "already published" before
    assert _publications(p) == [(LEAD.name, "met"), (LEAD.name, "met")] and p.unpublished == ()
    with (
        unchanged(wf, pid),
        pytest.raises(PreconditionFailed, match="latest reply of 省科技厅 is already published"),
    ):
        wf.publish(pid, actor=A_LEAD)


def test_each_handler_publishes_its_own_reply_under_separate_handling() -> None:
    wf = workflow(policy=preset("generic"))
    pid = bring_to(wf, Status.ANSWERED, mode=AssignmentMode.SEPARATE)
    with (
        unchanged(wf, pid),
        pytest.raises(PreconditionFailed, match=r"awaiting publication: 省财政厅、省人社厅"),
    ):
        wf.publish(pid, actor=A_COMMITTEE)
    with unchanged(wf, pid), pytest.raises(PermissionDenied, match="publishes only its own reply"):
        wf.publish(pid, actor=A_H1, unit=H2)
    p = wf.publish(pid, actor=A_H1)  # settled both handlers' deadlines before, naming the other's reply
    assert _publications(p) == [(H1.name, "met"), (H2.name, "open")]
    assert [e.payload.unit for e in wf.history(pid) if isinstance(e.payload, cohandle.ReplyPublished)] == [H1]
    p = wf.publish(pid, actor=A_COMMITTEE)  # the one reply still awaiting
    assert _publications(p) == [(H1.name, "met"), (H2.name, "met")] and p.unpublished == ()


def test_a_reply_is_published_once_sent_whatever_else_is_still_owed() -> None:
    # its publication runs from when it was sent: under 分办 before the other handler answers,
    # and while the item is re-handled, the next reply still to come
    wf = workflow(policy=preset("generic"))
    pid = bring_to(wf, Status.ASSIGNED, mode=SEPARATE)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="no reply has been sent yet"):
        wf.publish(pid, actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(H1), actor=A_H1)
    p = wf.publish(pid, actor=A_H1, url="https://example.gov.cn/h1")
    assert p.status is Status.ASSIGNED and _publications(p) == [(H1.name, "met")]
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match=f"{H2.name} has sent no reply"):
        wf.publish(pid, unit=H2, actor=A_COMMITTEE)
    sole = bring_to(wf, Status.ANSWERED, mode=SOLE)
    wf.record_feedback(sole, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(sole, reason="答复不具体", actor=A_COMMITTEE)
    p = wf.publish(sole, actor=A_LEAD)
    assert p.status is Status.REHANDLING and _publications(p) == [(LEAD.name, "met")]
    assert cohandle.replay(wf.history(sole)) == p


def test_a_reply_not_for_publication_is_not_published() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.CONSOLIDATED)
    private = cohandle.Reply(
        author=LEAD,
        category="C",
        date="2025-03-01",
        sections=[cohandle.Section(text="x")],
        disclosure=Disclosure.NOT_PUBLIC,
    )
    wf.answer(pid, reply=private, actor=A_LEAD)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="不予公开"):
        wf.publish(pid, actor=A_LEAD)


def test_only_a_reply_for_active_publication_owes_it_by_a_deadline() -> None:
    # 政府信息公开条例 art. 26: 主动公开 within 20 working days; 依申请公开 when applied for
    wf = workflow(policy=preset("generic"))
    pid = bring_to(wf, Status.ASSIGNED, mode=SOLE)
    on_request = attrs.evolve(reply(), disclosure=Disclosure.ON_REQUEST)
    p = wf.answer(pid, reply=on_request, actor=A_LEAD)
    assert _publications(p) == [] and p.unpublished == (LEAD.name,)
    p = wf.publish(pid, actor=A_LEAD)  # once someone has applied for it
    assert p.published and p.unpublished == () and _publications(p) == []
    other = bring_to(wf, Status.ASSIGNED, mode=SOLE)
    p = wf.answer(other, reply=reply(), actor=A_LEAD)
    assert _publications(p) == [(LEAD.name, "open")]


def test_a_reply_not_for_publication_waives_what_the_reply_before_it_owed() -> None:
    # the earlier reply can no longer be published (publishing is of a unit's latest reply), so
    # its publication would stay owed, and overdue, for good
    wf = workflow(policy=preset("generic"))
    pid = bring_to(wf, Status.ANSWERED, mode=SOLE)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(pid, reason="答复不具体", actor=A_COMMITTEE)
    private = attrs.evolve(reply(), disclosure=Disclosure.NOT_PUBLIC)
    p = wf.answer(pid, reply=private, actor=A_LEAD)
    assert _publications(p) == [(LEAD.name, "waived")] and p.unpublished == ()
    assert [t.status.value for t in p.deadlines if t.deadline.kind.value == "rehandling"] == ["met"]
    assert cohandle.replay(wf.history(pid)) == p
    # a reply for publication after one that was not owes its own
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(pid, reason="仍不满意", actor=A_COMMITTEE)
    p = wf.answer(pid, reply=reply(), actor=A_LEAD)
    assert _publications(p) == [(LEAD.name, "waived"), (LEAD.name, "open")]


def test_final_states_allow_nothing_but_what_follows_a_reply() -> None:
    # a closed item's reply may still be published (by a deadline a notice may move, and with
    # a reminder to do it), reported on as it is carried out, and reviewed
    for status in (Status.NOT_FILED, Status.MERGED, Status.WITHDRAWN, Status.CLOSED):
        wf = workflow()
        pid = bring_to(wf, status)
        allowed = cohandle.allowed_commands(wf.get(pid).status)
        closed = ("remind", "publish", "report_implementation", "review_reply", "revise_deadlines")
        assert allowed == (closed if status is Status.CLOSED else ())
        if status is not Status.CLOSED:
            with pytest.raises(NotAllowedInState, match="Commands possible now"):
                wf.remind(pid, to=LEAD, actor=A_COMMITTEE)


def test_actor_must_be_an_actor() -> None:
    wf = workflow()
    pid = receive(wf)
    with pytest.raises(InvalidInput, match="must be an Actor"):
        wf.file(pid, actor="王芳")  # type: ignore[arg-type]


# -- report_implementation (落实情况) ----------------------------------------------------------


def test_a_unit_reports_how_its_reply_is_carried_out_and_restates_its_category() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)  # the lead answered B
    assert wf.get(pid).category_now() == "B"
    p = wf.report_implementation(pid, report="项目已开工建设", actor=A_LEAD)
    last = wf.history(pid)[-1]
    assert isinstance(last.payload, cohandle.ImplementationReported) and last.label == "落实情况"
    assert (last.payload.unit, last.payload.category) == (LEAD, None)
    assert p.category_now() == "B" and p.category_now(LEAD) == "B" and p.status is Status.ANSWERED
    wf.record_feedback(pid, feedback=feedback(), actor=A_PROPOSER)
    wf.close(pid, actor=A_LEAD)
    p = wf.report_implementation(pid, report="项目已建成投用", category="A", actor=A_LEAD)
    assert p.status is Status.CLOSED and p.category_now() == "A" and p.reply is not None
    assert p.reply.category == "B"  # the reply stays as it was sent
    assert [r.report for r in p.reports] == ["项目已开工建设", "项目已建成投用"]
    assert cohandle.replay(wf.history(pid)) == p
    stats = cohandle.statistics([p], wf.clock.now())
    assert (stats.categories, stats.categories_now, stats.implementation_reported) == ({"B": 1}, {"A": 1}, 1)
    assert stats.to_json()["categories_now"] == {"A": 1}


def test_a_report_is_the_answering_units_own_with_a_category_of_the_items_scheme() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    with unchanged(wf, pid):
        with pytest.raises(InvalidInput, match="must be one of A/B/C of the ABC scheme, or None"):
            wf.report_implementation(pid, report="已完成", category="甲", actor=A_LEAD)
        with pytest.raises(InvalidInput, match=r"^report "):
            wf.report_implementation(pid, report=" ", actor=A_LEAD)
        with pytest.raises(PermissionDenied):
            wf.report_implementation(pid, report="已完成", actor=A_CO1)
        with pytest.raises(PermissionDenied):
            wf.report_implementation(pid, report="已完成", actor=A_COMMITTEE)
    assigned = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, assigned), pytest.raises(NotAllowedInState):
        wf.report_implementation(assigned, report="已完成", actor=A_LEAD)


def test_a_new_reply_after_rehandling_states_its_own_category() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    wf.report_implementation(pid, report="已解决", category="A", actor=A_LEAD)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(pid, reason="不满意", actor=A_COMMITTEE)
    p = wf.answer(pid, reply=reply(category="C"), actor=A_LEAD)
    assert p.category_now() == "C" and p.recategorized == ()
    assert cohandle.replay(wf.history(pid)) == p


def test_each_handler_reports_on_its_own_part_under_separate_handling() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED, SEPARATE)
    p = wf.report_implementation(pid, report="补助资金已拨付", category="A", actor=A_H1)
    assert (p.category_now(H1), p.category_now(H2)) == ("A", "B")
    with pytest.raises(InvalidInput, match="must name the unit under separate handling"):
        p.category_now()
    with pytest.raises(InvalidInput, match="must be a Unit or None"):
        p.category_now("省财政厅")
    assert p.category_now(OUTSIDER) is None
    stats = cohandle.statistics([p], wf.clock.now())
    assert (stats.categories, stats.categories_now) == ({"B": 2}, {"A": 1, "B": 1})


# -- review_reply (审核) ----------------------------------------------------------------------


def test_a_review_puts_the_reply_in_the_category_it_is_counted_in() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED, supervisor=SUPERVISOR)  # the lead answered B
    p = wf.get(pid)
    assert (p.category(), p.category(LEAD), p.reviewed) == ("B", "B", ())
    p = wf.review_reply(pid, actor=A_COMMITTEE)  # approved as it is
    last = wf.history(pid)[-1]
    assert isinstance(last.payload, cohandle.ReplyReviewed) and last.label == "审核"
    assert (last.payload.unit, last.payload.category, last.payload.note) == (LEAD, None, "")
    assert p.reviewed == (("省科技厅", "B"),) and p.status is Status.ANSWERED
    stats = cohandle.statistics([p], wf.clock.now())
    assert (stats.categories, stats.replies_reviewed, stats.changed_in_review) == ({"B": 1}, 1, 0)
    p = wf.review_reply(pid, category="C", note="所提问题暂不具备条件", actor=A_SUPERVISOR)
    assert (p.category(), p.category_now(), p.reviewed) == ("C", "C", (("省科技厅", "C"),))
    assert p.reply is not None and p.reply.category == "B"  # the letter stays as it was sent
    p = wf.review_reply(pid, actor=A_COMMITTEE, unit=LEAD)  # approved again: the change stands
    assert p.category() == "C"
    assert cohandle.replay(wf.history(pid)) == p
    stats = cohandle.statistics([p], wf.clock.now())
    assert (stats.categories, stats.categories_now) == ({"C": 1}, {"C": 1})
    assert (stats.replies_reviewed, stats.changed_in_review) == (1, 1)
    assert stats.to_json()["changed_in_review"] == 1


def test_a_report_restates_the_category_a_review_put_the_reply_in() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    wf.review_reply(pid, category="C", actor=A_COMMITTEE)
    p = wf.report_implementation(pid, report="已列入明年计划", category="B", actor=A_LEAD)
    assert (p.category(), p.category_now()) == ("C", "B")
    p = wf.review_reply(pid, category="A", actor=A_COMMITTEE)  # the reply's category, not the report's
    assert (p.category(), p.category_now()) == ("A", "B")
    stats = cohandle.statistics([p], wf.clock.now())
    assert (stats.categories, stats.categories_now) == ({"A": 1}, {"B": 1})


def test_only_the_assigning_body_or_the_supervisor_reviews_an_answered_reply() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED, supervisor=SUPERVISOR)
    with unchanged(wf, pid):
        for actor in (A_LEAD, A_CO1, A_PROPOSER, A_OUTSIDER):
            with pytest.raises(PermissionDenied, match="only the assigning body or supervisor may"):
                wf.review_reply(pid, actor=actor)
        with pytest.raises(InvalidInput, match="must be one of A/B/C of the ABC scheme, or None"):
            wf.review_reply(pid, category="甲", actor=A_COMMITTEE)
        with pytest.raises(InvalidInput, match=r"^note "):
            wf.review_reply(pid, note=None, actor=A_COMMITTEE)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match=r"^unit "):
            wf.review_reply(pid, unit="省科技厅", actor=A_COMMITTEE)  # type: ignore[arg-type]
        with pytest.raises(
            PreconditionFailed, match=r"湖北省知识产权局 does not answer it \(the units that do: 省科技厅\)"
        ):
            wf.review_reply(pid, unit=CO1, actor=A_COMMITTEE)
    for status in (Status.ASSIGNED, Status.CONSOLIDATED, Status.REHANDLING):
        early = bring_to(wf, status)
        with unchanged(wf, early), pytest.raises(NotAllowedInState):
            wf.review_reply(early, actor=A_COMMITTEE)
    closed = bring_to(wf, Status.CLOSED)
    assert wf.review_reply(closed, category="A", actor=A_COMMITTEE).category() == "A"
    assert (
        wf.review_reply(closed, category="Ｂ类", actor=A_COMMITTEE).category() == "B"
    )  # as officials write it


def test_a_reply_sent_again_after_rehandling_is_reviewed_again() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    wf.review_reply(pid, category="A", actor=A_COMMITTEE)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    p = wf.order_rehandling(pid, reason="不满意", actor=A_COMMITTEE)
    assert p.category() == "A"  # until the new reply
    p = wf.answer(pid, reply=reply(category="C"), actor=A_LEAD)
    assert (p.category(), p.reviewed) == ("C", ())
    stats = cohandle.statistics([p], wf.clock.now())
    assert (stats.categories, stats.replies_reviewed, stats.changed_in_review) == ({"C": 1}, 0, 0)
    assert cohandle.replay(wf.history(pid)) == p


def test_under_separate_handling_a_review_names_the_part_when_several_answer() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED, SEPARATE)  # both handlers answered B
    with (
        unchanged(wf, pid),
        pytest.raises(PreconditionFailed, match=r"the units that answer: 省财政厅、省人社厅\)"),
    ):
        wf.review_reply(pid, category="A", actor=A_COMMITTEE)
    p = wf.review_reply(pid, category="A", unit=H2, actor=A_COMMITTEE)
    assert (p.category(H1), p.category(H2), p.category_now(H2)) == ("B", "A", "A")
    with pytest.raises(InvalidInput, match="must name the unit under separate handling"):
        p.category()
    assert p.category(OUTSIDER) is None
    stats = cohandle.statistics([p], wf.clock.now())
    assert (stats.categories, stats.replies_reviewed, stats.changed_in_review) == ({"A": 1, "B": 1}, 1, 1)


def test_a_recorded_review_of_a_unit_that_never_answered_breaks_the_chain() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.ANSWERED)
    wf.review_reply(pid, actor=A_COMMITTEE)
    forged = [*wf.history(pid)]
    last = forged[-1]
    forged[-1] = last._replace(payload=cohandle.ReplyReviewed(unit=CO1))
    with pytest.raises(
        cohandle.ChainBroken, match="a review names 湖北省知识产权局, which has sent no reply"
    ):
        cohandle.replay(forged)


# -- countersign (会签) -----------------------------------------------------------------------


def test_with_countersigning_required_the_lead_answers_once_every_co_handler_has() -> None:
    wf = workflow(require_countersign=True)
    pid = bring_to(wf, Status.CONSOLIDATED)
    assert wf.get(pid).outstanding_countersignatures == (CO1, CO2)
    with (
        unchanged(wf, pid),
        pytest.raises(PreconditionFailed, match="waiting for 湖北省知识产权局、省教育厅"),
    ):
        wf.answer(pid, reply=reply(), actor=A_LEAD)
    p = wf.countersign(pid, note="建议补充专利数据", actor=A_CO1)
    last = wf.history(pid)[-1]
    assert isinstance(last.payload, cohandle.ReplyCountersigned) and last.label == "会签"
    assert (last.payload.unit, last.payload.note) == (CO1, "建议补充专利数据")
    assert p.outstanding_countersignatures == (CO2,) and p.status is Status.CONSOLIDATED
    with unchanged(wf, pid):
        with pytest.raises(PreconditionFailed, match=r"waiting for 省教育厅\.$"):
            wf.answer(pid, reply=reply(), actor=A_LEAD)
        with pytest.raises(PreconditionFailed, match="has already countersigned the reply to be sent"):
            wf.countersign(pid, actor=A_CO1)
    p = wf.countersign(pid, actor=A_CO2)
    assert [name for name, _ in p.countersigned] == ["湖北省知识产权局", "省教育厅"]
    p = wf.answer(pid, reply=reply(), actor=A_LEAD)
    assert (p.status, p.countersigned, p.outstanding_countersignatures) == (Status.ANSWERED, (), ())
    assert cohandle.replay(wf.history(pid)) == p


def test_a_reply_sent_again_after_rehandling_is_countersigned_again() -> None:
    wf = workflow(require_countersign=True)
    pid = bring_to(wf, Status.CONSOLIDATED)
    wf.countersign(pid, actor=A_CO1)
    wf.countersign(pid, actor=A_CO2)
    wf.answer(pid, reply=reply(), actor=A_LEAD)
    wf.record_feedback(pid, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    p = wf.order_rehandling(pid, reason="不满意", actor=A_COMMITTEE)
    assert p.outstanding_countersignatures == (CO1, CO2)
    with unchanged(wf, pid), pytest.raises(PreconditionFailed, match="countersign the reply first"):
        wf.answer(pid, reply=reply(category="A"), actor=A_LEAD)
    wf.countersign(pid, actor=A_CO1)
    wf.countersign(pid, actor=A_CO2)
    assert wf.answer(pid, reply=reply(category="A"), actor=A_LEAD).status is Status.ANSWERED


def test_countersigning_is_recorded_when_not_required_and_only_by_co_handlers_with_an_opinion() -> None:
    wf = workflow()
    assert wf.require_countersign is False
    pid = bring_to(wf, Status.CONSOLIDATED)
    wf.countersign(pid, actor=A_CO1)
    assert wf.answer(pid, reply=reply(), actor=A_LEAD).status is Status.ANSWERED  # CO2 never did
    excused = receive(wf)
    wf.assign(excused, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE)
    wf.submit_opinion(excused, opinion=opinion(), actor=A_CO1)
    wf.excuse_co_handler(excused, unit=CO2, reason="不再涉及", actor=A_COMMITTEE)
    wf.consolidate(excused, actor=A_LEAD)
    wf.require_countersign = True
    assert wf.get(excused).outstanding_countersignatures == (CO1,)  # an excused co-handler signs nothing
    with unchanged(wf, excused):
        with pytest.raises(PreconditionFailed, match="has no opinion in it to countersign for"):
            wf.countersign(excused, actor=A_CO2)
        for actor in (A_LEAD, A_COMMITTEE, A_PROPOSER):
            with pytest.raises(PermissionDenied, match="only the co-handler may"):
                wf.countersign(excused, actor=actor)
        with pytest.raises(InvalidInput, match=r"^note "):
            wf.countersign(excused, note=None, actor=A_CO1)  # type: ignore[arg-type]
    wf.countersign(excused, actor=A_CO1)
    assert wf.answer(excused, reply=reply(), actor=A_LEAD).status is Status.ANSWERED
    assigned = bring_to(wf, Status.ASSIGNED)
    with unchanged(wf, assigned), pytest.raises(NotAllowedInState):
        wf.countersign(assigned, actor=A_CO1)  # the lead has no reply yet: it consolidates first
    sole = bring_to(wf, Status.ASSIGNED, SOLE)
    assert wf.answer(sole, reply=reply(), actor=A_LEAD).status is Status.ANSWERED  # no co-handlers
    with pytest.raises(InvalidInput, match="require_countersign must be True or False"):
        wf.require_countersign = "yes"  # type: ignore[assignment]


def test_a_recorded_countersignature_of_a_unit_without_an_opinion_breaks_the_chain() -> None:
    wf = workflow()
    pid = bring_to(wf, Status.CONSOLIDATED)
    wf.countersign(pid, actor=A_CO1)
    forged = [*wf.history(pid)]
    forged[-1] = forged[-1]._replace(payload=cohandle.ReplyCountersigned(unit=OUTSIDER))
    with pytest.raises(
        cohandle.ChainBroken, match=f"a countersignature names {OUTSIDER.name}, which has no opinion"
    ):
        cohandle.replay(forged)
