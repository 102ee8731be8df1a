"""A small world of units and people for the tests, and ways to bring a proposal to any state."""

from __future__ import annotations

import hashlib
import itertools
import os
import sqlite3
from pathlib import Path

import pendulum
import pytest

import cohandle
from cohandle import (
    Actor,
    AssignmentMode,
    Body,
    Contact,
    Feedback,
    Level,
    Opinion,
    ProposalData,
    Proposer,
    Reply,
    Satisfaction,
    Section,
    Session,
    Status,
    Unit,
)
from cohandle.stores import SQLiteStore, StoredRecord
from cohandle.stores._integrity import body_bytes

COMMITTEE = Unit(name="省政协提案委员会")
LEAD = Unit(name="省科技厅")
CO1 = Unit(name="湖北省知识产权局")
CO2 = Unit(name="省教育厅")
H1 = Unit(name="省财政厅")
H2 = Unit(name="省人社厅")
SUPERVISOR = Unit(name="省政协办公厅")
OUTSIDER = Unit(name="省水利厅")
SPARE = Unit(name="省商务厅")

PROPOSERS = ("李明", "王红")

A_COMMITTEE = Actor(name="王芳", unit=COMMITTEE)
A_LEAD = Actor(name="张伟", unit=LEAD)
A_CO1 = Actor(name="杨鑫", unit=CO1)
A_CO2 = Actor(name="刘洋", unit=CO2)
A_H1 = Actor(name="陈静", unit=H1)
A_H2 = Actor(name="周杰", unit=H2)
A_SUPERVISOR = Actor(name="孙丽", unit=SUPERVISOR)
A_OUTSIDER = Actor(name="吴刚", unit=OUTSIDER)
A_PROPOSER = Actor(name=PROPOSERS[0])
A_COSIGNER = Actor(name=PROPOSERS[1])
A_STRANGER = Actor(name="赵六")

SESSION = Session(body=Body.CPPCC, level=Level.PROVINCE, region="湖北省", term=13, meeting=1, year=2023)
START = pendulum.datetime(2025, 3, 1, 9, 0, tz="Asia/Shanghai")

_numbers = itertools.count(1)


def workflow(**kwargs: object) -> cohandle.Workflow:
    return cohandle.Workflow(clock=cohandle.FixedClock(START), **kwargs)  # type: ignore[arg-type]


def today(wf: cohandle.Workflow) -> pendulum.Date:
    """The day it is by ``wf``'s clock, in Beijing: the date of a letter recorded now."""
    return wf.clock.now().in_timezone("Asia/Shanghai").date()


def data(number: str | None = None, proposers: tuple[str, ...] = PROPOSERS) -> ProposalData:
    return ProposalData(
        number=number or f"{next(_numbers):08d}",
        title="关于促进基础研发的建议",
        session=SESSION,
        proposers=[Proposer(name=n) for n in proposers],
    )


def opinion(
    author: Unit = CO1, addressee: Unit = LEAD, category: str | None = "B", date: object = "2025-03-01"
) -> Opinion:
    return Opinion(
        author=author,
        addressee=addressee,
        date=date,
        suggested_category=category,
        sections=[Section(heading="一、主要工作情况", text="认真办理。")],
        signatory=Contact(name="程 浩", phone="027-86759052"),
        handler=Contact(name="杨 鑫", phone="027-86759081"),
        postal_code="430071",
    )


def reply(author: Unit = LEAD, category: str = "B", date: object = "2025-03-01") -> Reply:
    return Reply(
        author=author,
        category=category,
        date=date,
        sections=[Section(heading="一、办理情况", text="现答复如下。")],
        copies=[COMMITTEE],
    )


def feedback(satisfaction: Satisfaction = Satisfaction.SATISFIED, unit: Unit | None = None) -> Feedback:
    return Feedback(satisfaction=satisfaction, unit=unit)


def receive(wf: cohandle.Workflow, number: str | None = None) -> str:
    return wf.receive(data(number), actor=A_COMMITTEE).id


def assign(wf: cohandle.Workflow, pid: str, mode: AssignmentMode) -> None:
    if mode is AssignmentMode.SOLE:
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    elif mode is AssignmentMode.LEAD_WITH_CO_HANDLERS:
        wf.assign(pid, lead=LEAD, co_handlers=[CO1, CO2], actor=A_COMMITTEE)
    else:
        wf.assign(pid, handlers=[H1, H2], actor=A_COMMITTEE)


def answer_all(wf: cohandle.Workflow, pid: str, mode: AssignmentMode) -> None:
    if mode is AssignmentMode.SEPARATE:
        for unit, actor in ((H1, A_H1), (H2, A_H2)):
            if wf.get(pid).handler(unit).status is cohandle.PartStatus.PENDING:  # type: ignore[union-attr]
                wf.answer(pid, reply=reply(unit, date=today(wf)), actor=actor)
    else:
        wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)


def give_feedback(wf: cohandle.Workflow, pid: str, mode: AssignmentMode, satisfaction: Satisfaction) -> None:
    units = (H1, H2) if mode is AssignmentMode.SEPARATE else (None,)
    for unit in units:
        wf.record_feedback(pid, feedback=feedback(satisfaction, unit), actor=A_PROPOSER)


def bring_to(
    wf: cohandle.Workflow,
    status: Status,
    mode: AssignmentMode = AssignmentMode.LEAD_WITH_CO_HANDLERS,
    supervisor: Unit | None = None,
) -> str:
    """A new proposal brought to ``status`` by the usual path (marked key first if a
    ``supervisor`` is named)."""
    pid = receive(wf)
    if supervisor is not None:
        wf.mark_key(pid, supervisor=supervisor, actor=A_COMMITTEE)
    if status is Status.RECEIVED:
        return pid
    if status is Status.FILED:
        wf.file(pid, actor=A_COMMITTEE)
        return pid
    if status is Status.NOT_FILED:
        wf.reject(pid, reason="不属于提案范围", actor=A_COMMITTEE)
        return pid
    if status is Status.MERGED:
        target = receive(wf)
        wf.merge(pid, into=target, actor=A_COMMITTEE)
        return pid
    if status is Status.WITHDRAWN:
        wf.withdraw(pid, signed_by=PROPOSERS, reason="情况已变化", actor=A_PROPOSER)
        return pid
    wf.file(pid, actor=A_COMMITTEE)
    assign(wf, pid, mode)
    if status is Status.ASSIGNED:
        return pid
    if mode is AssignmentMode.LEAD_WITH_CO_HANDLERS:
        wf.submit_opinion(pid, opinion=opinion(CO1, date=today(wf)), actor=A_CO1)
        wf.submit_opinion(pid, opinion=opinion(CO2, date=today(wf)), actor=A_CO2)
        wf.consolidate(pid, actor=A_LEAD)
    if status is Status.CONSOLIDATED:
        if mode is not AssignmentMode.LEAD_WITH_CO_HANDLERS:
            raise ValueError("only lead-with-co-handlers items are consolidated")
        return pid
    answer_all(wf, pid, mode)
    if status is Status.ANSWERED:
        return pid
    if status is Status.REHANDLING:
        give_feedback(wf, pid, mode, Satisfaction.DISSATISFIED)
        wf.order_rehandling(pid, reason="提案者不满意", actor=A_COMMITTEE)
        return pid
    if status is Status.CLOSED:
        give_feedback(wf, pid, mode, Satisfaction.SATISFIED)
        wf.close(pid, actor=A_COMMITTEE)
        return pid
    raise ValueError(status)


# -- hands that know the format: rows rewritten with their hashes recomputed -------------------


def sealed(record: StoredRecord) -> StoredRecord:
    """``record`` with the SHA-256 hash cohandle would give its content."""
    return record._replace(hash="sha256:" + hashlib.sha256(body_bytes(record)).hexdigest())


def rewrite_with_hashes(path: Path, stream: str, version: int, *, drop_last: bool = False) -> None:
    """Change event ``version`` of ``stream`` and recompute every hash from it on, and the
    head, as a hand that knows the format can: a log the chain alone cannot tell from the true one."""
    store = SQLiteStore(path)
    records = [r for r in store.records() if r.stream_id == stream]
    store.close()
    if drop_last:
        records = records[:-1]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    if drop_last:
        db.execute("DELETE FROM events WHERE stream_id = ? AND version > ?", (stream, records[-1].version))
    prev = records[version - 2].hash if version > 1 else ""
    for record in records[version - 1 :]:
        changed = record._replace(prev_hash=prev)
        if record.version == version:
            changed = changed._replace(recorded_at=changed.recorded_at.replace("0", "1", 1))
        changed = sealed(changed)
        db.execute(
            "UPDATE events SET recorded_at = ?, prev_hash = ?, hash = ? WHERE position = ?",
            (changed.recorded_at, changed.prev_hash, changed.hash, changed.position),
        )
        prev = changed.hash
    db.execute(
        "UPDATE streams SET version = ?, head_hash = ? WHERE stream_id = ?",
        (records[-1].version, prev, stream),
    )
    db.execute("COMMIT")
    db.close()


def synced(monkeypatch: pytest.MonkeyPatch, target: Path) -> list[tuple[int, bool]]:
    """Record, for each ``os.fsync``, the inode synced and whether ``target`` was there yet."""
    calls: list[tuple[int, bool]] = []
    real = os.fsync

    def fsync(descriptor: int) -> None:
        calls.append((os.fstat(descriptor).st_ino, target.exists()))
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls
