"""The published statistics on a data set counted by hand."""

from __future__ import annotations

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cohandle
from cohandle import ContactMethod, Satisfaction
from cohandle._stats import statistics
from cohandle.deadlines import policy_from_mapping
from helpers import (
    A_CO1,
    A_CO2,
    A_COMMITTEE,
    A_H1,
    A_H2,
    A_LEAD,
    A_PROPOSER,
    CO1,
    CO2,
    H1,
    H2,
    LEAD,
    PROPOSERS,
    data,
    feedback,
    opinion,
    reply,
    today,
)

POLICY = policy_from_mapping(
    {
        "name": "test",
        "version": "1",
        "title": "reply in 3 months, opinions in 1 month",
        "rules": [
            {
                "name": "opinion",
                "kind": "co_handler_opinion",
                "start": "assigned",
                "period": "1 month",
                "source": "test",
            },
            {"name": "reply", "kind": "reply", "start": "assigned", "period": "3 months", "source": "test"},
        ],
    }
)


def day(text: str) -> pendulum.DateTime:
    return pendulum.parse(f"{text}T10:00:00+08:00")  # type: ignore[return-value]


@pytest.fixture(scope="module")
def counted() -> tuple[cohandle.Workflow, pendulum.DateTime]:
    clock = cohandle.FixedClock(day("2025-01-10"))
    wf = cohandle.Workflow(clock=clock, policy=POLICY)

    def at(text: str) -> None:
        clock.set(day(text))

    # P1: lead + co-handler, replied on time, A, 满意, published
    at("2025-01-10")
    p1 = wf.receive(data("1"), actor=A_COMMITTEE).id
    wf.file(p1, actor=A_COMMITTEE)
    wf.assign(p1, lead=LEAD, co_handlers=[CO1], actor=A_COMMITTEE)
    at("2025-02-01")
    wf.record_contact(p1, method=ContactMethod.MEETING, actor=A_LEAD)  # 见面 (and so 沟通)
    wf.record_contact(p1, method=ContactMethod.PHONE, actor=A_CO1)
    wf.submit_opinion(p1, opinion=opinion(CO1, date=today(wf)), actor=A_CO1)
    wf.consolidate(p1, actor=A_LEAD)
    at("2025-03-01")
    wf.answer(p1, reply=reply(category="A", date=today(wf)), actor=A_LEAD)
    wf.record_feedback(p1, feedback=feedback(Satisfaction.SATISFIED), actor=A_PROPOSER)
    wf.publish(p1, actor=A_LEAD)
    # P2: lead + co-handler, replied late, B, 基本满意
    at("2025-01-10")
    p2 = wf.receive(data("2"), actor=A_COMMITTEE).id
    wf.assign(p2, lead=LEAD, co_handlers=[CO2], actor=A_COMMITTEE)
    at("2025-03-01")
    wf.record_contact(p2, method="phone", proposers=[PROPOSERS[0]], actor=A_LEAD)  # 沟通 only
    wf.submit_opinion(p2, opinion=opinion(CO2, date=today(wf)), actor=A_CO2)
    wf.consolidate(p2, actor=A_LEAD)
    at("2025-05-20")
    wf.answer(p2, reply=reply(category="B", date=today(wf)), actor=A_LEAD)
    wf.record_feedback(p2, feedback=feedback(Satisfaction.BASICALLY_SATISFIED), actor=A_PROPOSER)
    # P3: sole, on time, C, 不满意, re-handled, B, 满意
    at("2025-01-10")
    p3 = wf.receive(data("3"), actor=A_COMMITTEE).id
    wf.assign(p3, lead=LEAD, actor=A_COMMITTEE)
    at("2025-02-10")
    wf.answer(p3, reply=reply(category="C", date=today(wf)), actor=A_LEAD)
    wf.record_feedback(p3, feedback=feedback(Satisfaction.DISSATISFIED), actor=A_PROPOSER)
    wf.order_rehandling(p3, reason="不满意", actor=A_COMMITTEE)
    at("2025-03-10")
    wf.answer(p3, reply=reply(category="B", date=today(wf)), actor=A_LEAD)
    wf.record_feedback(p3, feedback=feedback(Satisfaction.SATISFIED), actor=A_PROPOSER)
    # P4: lead + two co-handlers, nothing done: everything overdue by June
    at("2025-01-10")
    p4 = wf.receive(data("4"), actor=A_COMMITTEE).id
    wf.assign(p4, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE)
    # P5: not filed; P6: merged into P1 (never filed itself)
    p5 = wf.receive(data("5"), actor=A_COMMITTEE).id
    wf.reject(p5, reason="不属于提案范围", actor=A_COMMITTEE)
    p6 = wf.receive(data("6"), actor=A_COMMITTEE).id
    wf.merge(p6, into=p4, actor=A_COMMITTEE)
    # P7: separate handling, H1 answers A (满意), H2 answers B (no feedback)
    p7 = wf.receive(data("7"), actor=A_COMMITTEE).id
    wf.assign(p7, handlers=[H1, H2], actor=A_COMMITTEE)
    at("2025-02-15")
    wf.record_contact(p7, method=ContactMethod.MEETING, actor=A_H1)
    wf.answer(p7, reply=reply(H1, "A", date=today(wf)), actor=A_H1)
    wf.answer(p7, reply=reply(H2, "B", date=today(wf)), actor=A_H2)
    wf.record_feedback(p7, feedback=feedback(Satisfaction.SATISFIED, H1), actor=A_PROPOSER)
    # P8: withdrawn after assignment
    at("2025-01-10")
    p8 = wf.receive(data("8"), actor=A_COMMITTEE).id
    wf.assign(p8, lead=LEAD, actor=A_COMMITTEE)
    wf.record_contact(p8, method=ContactMethod.MEETING, actor=A_LEAD)  # withdrawn: not counted
    wf.withdraw(p8, signed_by=PROPOSERS, reason="情况变化", actor=A_PROPOSER)
    return wf, day("2025-06-30")


def test_the_counts_and_rates(counted: tuple[cohandle.Workflow, pendulum.DateTime]) -> None:
    wf, now = counted
    s = statistics(wf.proposals(), now)
    assert (s.received, s.filed, s.not_filed, s.merged) == (8, 6, 1, 1)
    assert s.filing_rate == pytest.approx(6 / 7)
    assert (s.assigned, s.replied) == (5, 4)
    assert s.reply_rate == pytest.approx(0.8)
    assert s.on_time == 3 and s.on_time_rate == pytest.approx(0.6)
    assert (s.with_feedback, s.satisfied, s.basically_satisfied, s.dissatisfied) == (4, 3, 1, 0)
    assert s.satisfaction_rate == pytest.approx(1.0)
    assert (s.first_with_feedback, s.first_satisfied_or_basically) == (4, 3)
    assert s.first_satisfaction_rate == pytest.approx(0.75)
    assert s.categories == {"A": 2, "B": 3}
    assert s.category_shares() == pytest.approx({"A": 0.4, "B": 0.6})
    assert s.published == 1
    assert (s.contacted, s.met) == (3, 2)  # P1 met and phoned, P2 phoned, P7 met; P8 withdrawn
    assert s.contact_rate == pytest.approx(0.6)
    assert s.meeting_rate == pytest.approx(0.4)
    assert (s.to_json()["contact_rate_pct"], s.to_json()["meeting_rate_pct"]) == (60.0, 40.0)


def test_the_counts_per_unit(counted: tuple[cohandle.Workflow, pendulum.DateTime]) -> None:
    wf, now = counted
    units = statistics(wf.proposals(), now).units
    assert units[LEAD.name] == cohandle.UnitCounts(lead=4, co_handled=0, separate=0, overdue=1)
    assert units[CO1.name] == cohandle.UnitCounts(lead=0, co_handled=2, separate=0, overdue=1)
    assert units[CO2.name] == cohandle.UnitCounts(lead=0, co_handled=2, separate=0, overdue=1)
    assert units[H1.name] == cohandle.UnitCounts(separate=1)
    assert units[H2.name] == cohandle.UnitCounts(separate=1)


def test_filters_by_session_and_year(counted: tuple[cohandle.Workflow, pendulum.DateTime]) -> None:
    wf, now = counted
    key = wf.get(next(iter(wf.store.stream_ids()))).data.session.key
    assert statistics(wf.proposals(), now, session_key=key).received == 8
    assert statistics(wf.proposals(), now, session_key="npc-北京市-1-1").received == 0
    assert statistics(wf.proposals(), now, year=2025).received == 8
    assert statistics(wf.proposals(), now, year=2024).received == 0
    assert statistics([], now).reply_rate is None
    with pytest.raises(
        cohandle.InvalidInput, match=r"^proposals must be a list of Proposal, such as wf.proposals\(\)"
    ):
        statistics(wf, now)  # type: ignore[arg-type]  # the workflow, where its proposals belong
    for year in (0, -2025):  # no year a proposal is received in
        with pytest.raises(cohandle.InvalidInput, match=r"^year must be a whole number from 1 \(got"):
            statistics(wf.proposals(), now, year=year)


def test_a_session_is_within_the_keys_its_own_key_starts_with() -> None:
    session = cohandle.Session(
        body=cohandle.Body.CPPCC, level=cohandle.Level.PROVINCE, region="湖北省", term=13, meeting=1
    )
    for key in ("cppcc-湖北省-13-1", "cppcc-湖北省-13", "cppcc-湖北省", "cppcc"):
        assert session.within(key), key
    for key in ("cppcc-湖北省-1", "cppcc-湖北", "cppcc-湖北省-13-", "cppcc-湖北省-13-1-2", "npc"):
        assert not session.within(key), key
    for bad in ("", "湖北省-13", "cppcc湖北省"):
        with pytest.raises(cohandle.InvalidInput, match="key must"):
            session.within(bad)
    with pytest.raises(cohandle.InvalidInput, match="key must be text"):
        session.within(13)  # type: ignore[arg-type]
    dashed = attrs.evolve(session, region="甲-乙")  # whole parts, even where a part holds a dash
    assert dashed.within("cppcc-甲-乙-13") and not dashed.within("cppcc-甲")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("湖北省政协十三届一次会议", "cppcc-湖北省-13-1"),  # as Session.describe() and `show` write it
        ("湖北省政协第十三届委员会第一次会议", "cppcc-湖北省-13-1"),
        ("中国人民政治协商会议湖北省第十三届委员会第一次会议", "cppcc-湖北省-13-1"),
        ("中国人民政治协商会议第十四届全国委员会第二次会议", "cppcc-全国-14-2"),
        ("全国政协十四届二次会议", "cppcc-全国-14-2"),
        ("湖北省政协十三届一次全体会议", "cppcc-湖北省-13-1"),
        ("湖北省政协13届1次会议", "cppcc-湖北省-13-1"),
        ("湖北省政协　十三届 一次会议", "cppcc-湖北省-13-1"),  # spaces, full width too
        ("湖北省政协十三届", "cppcc-湖北省-13"),  # a term
        ("湖北省政协第十三届委员会", "cppcc-湖北省-13"),
        ("湖北省政协", "cppcc-湖北省"),  # every term
        ("十四届全国人大一次会议", "npc-全国-14-1"),
        ("第十四届全国人民代表大会第二次会议", "npc-全国-14-2"),
        ("湖北省十四届人大一次会议", "npc-湖北省-14-1"),
        ("湖北省第十四届人民代表大会第一次会议", "npc-湖北省-14-1"),
        ("湖北省人大十四届一次会议", "npc-湖北省-14-1"),
        ("武汉市十五届人大", "npc-武汉市-15"),
        ("全国人大", "npc-全国"),
    ],
)
def test_a_session_is_named_as_officials_write_it(name: str, key: str) -> None:
    assert cohandle.Session.within(_session_of(key), name)
    assert statistics([], pendulum.datetime(2025, 1, 1), session_key=name).received == 0
    if key.count("-") == 3:  # not the very session of a key one meeting off
        other = _session_of(key[:-1] + ("2" if key.endswith("1") else "1"))
        assert not other.within(name)


def _session_of(key: str) -> cohandle.Session:
    body, region, term, meeting = [*key.split("-"), "1", "1"][:4]
    return cohandle.Session(
        body=next(b for b in cohandle.Body if b.value == body),
        level=cohandle.Level.PROVINCE,
        region=region,
        term=int(term),
        meeting=int(meeting),
    )


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("省政协十三届一次会议", "names no region: '省政协十三届一次会议' could be any province's"),
        ("市十五届人大", "names no region"),
        ("十三届一次会议", "must be a session key such as cppcc-湖北省-13-1"),
        ("湖北省政协〇届", "must be a session key"),
        ("湖北省政协", None),
    ],
)
def test_a_session_named_without_its_region_or_a_number_is_refused(name: str, said: str | None) -> None:
    session = _session_of("cppcc-湖北省-13-1")
    if said is None:
        assert session.within(name)
        return
    with pytest.raises(cohandle.InvalidInput, match=f"^key {said}"):
        session.within(name)


_sessions = st.builds(
    cohandle.Session,
    body=st.sampled_from(cohandle.Body),
    level=st.just(cohandle.Level.PROVINCE),
    # a region's name holds no dash in practice; one that did, and read as another region's
    # name, a dash and a number ("乙-1" beside "乙"), would read as that region's term
    region=st.sampled_from(["湖北省", "湖北", "甲-乙", "甲", "乙-1"]),
    term=st.integers(1, 14),
    meeting=st.integers(1, 14),
)


@given(_sessions, _sessions, st.integers(1, 4))
def test_a_start_of_a_key_names_exactly_the_sessions_that_share_those_parts(
    session: cohandle.Session, other: cohandle.Session, count: int
) -> None:
    def parts(s: cohandle.Session) -> tuple[str, ...]:
        return (s.body.value, s.region, str(s.term), str(s.meeting))

    start = "-".join(parts(other)[:count])
    assert session.within(start) == (parts(session)[:count] == parts(other)[:count])


def test_each_body_names_its_items() -> None:
    assert (cohandle.Body.CPPCC.item, cohandle.Body.NPC.item) == ("提案", "建议")


_local = st.sampled_from([cohandle.Level.PROVINCE, cohandle.Level.CITY, cohandle.Level.COUNTY])


@given(
    st.one_of(
        st.builds(
            cohandle.Session,
            body=st.sampled_from(cohandle.Body),
            level=_local,
            region=st.sampled_from(["湖北省", "武汉市", "重庆市", "江岸区", "恩施土家族苗族自治州"]),
            term=st.integers(1, 120),
            meeting=st.integers(1, 120),
        ),
        st.builds(
            cohandle.Session,
            body=st.sampled_from(cohandle.Body),
            level=st.just(cohandle.Level.NATIONAL),
            region=st.just("全国"),
            term=st.integers(1, 120),
            meeting=st.integers(1, 120),
        ),
    )
)
def test_a_sessions_name_reads_back_as_its_key(session: cohandle.Session) -> None:
    name = session.describe()  # as `show` prints it
    assert session.within(name), name
    for other in (  # the name is of this very session, not a term or a region of it
        attrs.evolve(session, term=session.term % 120 + 1),
        attrs.evolve(session, meeting=session.meeting % 120 + 1),
        attrs.evolve(session, body=next(body for body in cohandle.Body if body is not session.body)),
        attrs.evolve(session, region=session.region + "乙"),
    ):
        assert not other.within(name), name


def test_a_term_is_counted_over_all_its_meetings() -> None:
    wf = cohandle.Workflow(clock=cohandle.FixedClock(day("2025-01-10")))
    base = data("1").session
    sessions = {
        "1": base,
        "2": attrs.evolve(base, meeting=2),
        "3": attrs.evolve(base, term=14),
        "4": attrs.evolve(base, body=cohandle.Body.NPC),
    }
    for number, session in sessions.items():
        wf.receive(attrs.evolve(data(number), session=session), actor=A_COMMITTEE)
    now = day("2025-06-30")

    def received(key: str) -> int:
        return statistics(wf.proposals(), now, session_key=key).received

    assert received("cppcc-湖北省-13-1") == 1
    assert received("cppcc-湖北省-13") == 2
    assert received("cppcc-湖北省") == 3
    assert received("cppcc") == 3 and received("npc") == 1
    assert received("cppcc-湖北省-1") == 0
    with pytest.raises(
        cohandle.InvalidInput, match=r"session_key must be a session key .* \(got '湖北省-13'\)"
    ):
        received("湖北省-13")
    with pytest.raises(cohandle.InvalidInput, match="session_key must be text"):
        statistics(wf.proposals(), now, session_key=13)  # type: ignore[arg-type]


def test_without_recorded_deadlines_on_time_is_unknown() -> None:
    wf = cohandle.Workflow(clock=cohandle.FixedClock(day("2025-01-10")))
    pid = wf.receive(data("9"), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)
    s = statistics(wf.proposals(), day("2025-06-30"))
    assert s.on_time is None and s.on_time_rate is None
    assert s.to_json()["on_time_rate_pct"] is None


def test_on_time_means_every_unit_that_answers_met_its_deadline() -> None:
    from helpers import SPARE

    clock = cohandle.FixedClock(day("2025-01-10"))
    wf = cohandle.Workflow(clock=clock, policy=POLICY)  # replies due three months after assignment

    def separate(number: str, late: cohandle.Unit) -> str:
        clock.set(day("2025-01-10"))
        pid = wf.receive(data(number), actor=A_COMMITTEE).id
        wf.assign(pid, handlers=[H1, H2], actor=A_COMMITTEE)
        answers = sorted(((H1, A_H1), (H2, A_H2)), key=lambda pair: pair[0] == late)  # in time order
        for unit, actor in answers:
            clock.set(day("2025-06-20" if unit == late else "2025-02-10"))
            wf.answer(pid, reply=reply(unit, "A", date=today(wf)), actor=actor)
        return pid

    # under 分办 either handler answering late makes the proposal late, whichever it is
    separate("21", late=H1)
    separate("22", late=H2)
    assert statistics(wf.proposals(), day("2025-06-30")).on_time == 0
    # a lead released by a reassignment answers nothing: its replacement's deadline counts
    clock.set(day("2025-01-10"))
    moved = wf.receive(data("23"), actor=A_COMMITTEE).id
    wf.assign(moved, lead=LEAD, actor=A_COMMITTEE)
    wf.request_reassignment(moved, reason="不属于本单位职责", actor=A_LEAD)
    wf.decide_reassignment(moved, unit=LEAD, approve=True, replacement=SPARE, actor=A_COMMITTEE)
    clock.set(day("2025-02-10"))
    wf.answer(moved, reply=reply(SPARE, "A", date=today(wf)), actor=cohandle.Actor(name="林海", unit=SPARE))
    s = statistics(wf.proposals(), day("2025-06-30"))
    assert (s.replied, s.on_time) == (3, 1)


def test_an_extension_approved_after_the_deadline_passed_does_not_make_the_reply_on_time() -> None:
    clock = cohandle.FixedClock(day("2025-01-10"))
    wf = cohandle.Workflow(clock=clock, policy=POLICY)  # replies due 10 April

    def extended(number: str, approved: str) -> cohandle.Proposal:
        clock.set(day("2025-01-10"))
        pid = wf.receive(data(number), actor=A_COMMITTEE).id
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
        clock.set(day(approved))
        wf.extend(pid, until="2025-06-30", approval="批准", reason="情况复杂", actor=A_COMMITTEE)
        clock.set(day("2025-05-20"))
        return wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)

    in_time = extended("31", approved="2025-04-02")
    assert statistics([in_time], day("2025-06-30")).on_time == 1
    # the deadline had passed when the extension was approved: it was missed, extended or not
    after = extended("32", approved="2025-04-25")
    assert [t.status.value for t in after.deadlines if t.deadline.kind.value == "reply"] == [
        "superseded",
        "met",
    ]
    assert statistics([after], day("2025-06-30")).on_time == 0
    # a host that records an approval given in time, later, says when it was given
    clock.set(day("2025-01-10"))
    pid = wf.receive(data("33"), actor=A_COMMITTEE).id
    wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    clock.set(day("2025-04-25"))
    wf.extend(
        pid,
        until="2025-06-30",
        approval="批准",
        reason="情况复杂",
        actor=A_COMMITTEE,
        occurred_at="2025-04-02",
    )
    clock.set(day("2025-05-20"))
    recorded_later = wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)
    assert statistics([recorded_later], day("2025-06-30")).on_time == 1
