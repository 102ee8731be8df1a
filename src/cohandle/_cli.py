"""The ``cohandle`` command: a thin shell over the public API.

It works on the SQLite file named by ``--db`` (or ``$COHANDLE_DB``, or ``cohandle.db``); a
``postgresql://`` URL or a libpq connection string (``host=… dbname=…``) works too. Every
command that prints data takes ``--json``. Errors are one line on standard error and a non-zero
exit code, never a traceback. What it prints for people shows every character that would act
on a terminal (an escape sequence, a carriage return, a right-to-left override) as its escape,
``\\u001b``, ``\\r``, ``\\u202e``: an official reads what is stored.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import datetime as _dt
import difflib
import gc
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pendulum

import cohandle
from cohandle._build import describe
from cohandle._demo import record_demo, timeline
from cohandle._errors import (
    SQLITE_COMPANIONS,
    SQLITE_START,
    counted,
    nameable,
    partial_name,
    put_in_place,
    state_words,
    tilde_hint,
    unusable_file,
    writable,
)
from cohandle._model import narrow, session_key
from cohandle._text import chinese_int, pad, shown, width
from cohandle._workflow import postgres_url, url_scheme
from cohandle.deadlines import (
    OFFICIAL_YEARS,
    Calendar,
    Policy,
    end_of_day,
    load_schedules,
    policy_from_toml,
    preset,
)
from cohandle.deadlines._calendar import year_spans
from cohandle.stores._integrity import anchor_argument

ENV_DB = "COHANDLE_DB"
ENV_SCHEMA = "COHANDLE_SCHEMA"
ENV_POLICY = "COHANDLE_POLICY"
ENV_SCHEDULES = "COHANDLE_SCHEDULES"
SHANGHAI = "Asia/Shanghai"


# -- helpers -------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows aligned in columns, Chinese text included."""
    cells = [[("—" if value is None else shown(str(value))) for value in row] for row in rows]
    sizes = [max([width(h)] + [width(row[i]) for row in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(pad(h, sizes[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * size for size in sizes))
    lines += ["  ".join(pad(row[i], sizes[i]) for i in range(len(headers))).rstrip() for row in cells]
    return "\n".join(lines)


def _target(args: argparse.Namespace) -> str:
    return str(getattr(args, "db", None) or _environ(ENV_DB, "db") or "cohandle.db")


def _db_named(args: argparse.Namespace) -> str:
    """What named the log, as a message names it: ``--db``, or ``$COHANDLE_DB`` without it."""
    return ENV_DB if not getattr(args, "db", None) and os.environ.get(ENV_DB) else "--db"


def _environ(name: str, option: str) -> str | None:
    """The variable ``name``, which stands for ``--option``, or None when it is not set. Set
    but empty (``COHANDLE_DB=$DB`` with ``$DB`` unset) it is refused, as an empty option is
    (:func:`_options_named`), rather than taken as not set: the default database is not the
    one a script meant."""
    value = os.environ.get(name)
    if value == "":
        raise cohandle.InvalidInput(
            name, f"must name {_NAMING[option]}, but it is set and empty; unset it for the default"
        )
    return value


def _shown(target: str) -> str:
    """``--db`` as it may be printed: a PostgreSQL URL without its password."""
    from cohandle.stores._postgres import _safe

    return _safe(target) if postgres_url(target) else target


def _opened(args: argparse.Namespace, target: str, **options: Any) -> cohandle.Workflow:
    """The workflow on ``target``, in the PostgreSQL schema of ``--schema`` (or
    ``$COHANDLE_SCHEMA``, or ``public``); ``--schema`` with a SQLite file is refused."""
    schema = getattr(args, "schema", None)
    if postgres_url(target):
        options["schema"] = schema or _environ(ENV_SCHEMA, "schema") or "public"
    elif schema is not None:
        raise cohandle.InvalidInput(
            "--schema", f"is for a PostgreSQL log, and --db names a SQLite file ({target})"
        )
    with _said_as("--schema", "schema"), _said_as(_db_named(args), "path"):
        return cohandle.Workflow.open(target, **options)


def _open(args: argparse.Namespace, **options: Any) -> cohandle.Workflow:
    """The log to read: it must be there already (only ``demo`` and ``import`` make one), so a
    mistyped name or URL is refused rather than given a new, empty log."""
    target = _target(args)
    if not postgres_url(target) and not url_scheme(target) and not os.path.exists(target):
        if getattr(args, "db", None) is None and os.environ.get(ENV_DB) is None:
            raise cohandle.InvalidInput(
                "--db",
                f"is not given, nor ${ENV_DB}, and there is no {target} in this folder ({os.getcwd()}) "
                f"to read: give --db, or run `cohandle demo --db {target}` to make one",
            )
        advice = tilde_hint(target) or f"; run `cohandle demo --db {target}` to make one"
        raise cohandle.InvalidInput(_db_named(args), f"names no file ({target}){advice}")
    return _opened(args, target, create=False, **options)


def _typed_number(typed: str) -> str | None:
    """The number of an ID typed as a number alone (20230519, 第20230519号), without its
    leading zeros; None for an ID."""
    text = narrow(typed).strip()
    number = re.fullmatch(r"第?\s*(\d{1,12})\s*号?(?:提案|建议)?", text)
    return None if number is None else (number.group(1).lstrip("0") or "0")


def _of_number(ids: Iterator[str], number: str) -> list[str]:
    return [i for i in ids if (i.rsplit("-", 1)[-1].lstrip("0") or "0") == number]


def _resolved(wf: cohandle.Workflow, typed: str | None) -> str | None:
    """The proposal an official named, as the log holds its id: the id as typed; or copied
    with a space around it, full-width signs or an upper-case body (CPPCC-湖北省-…); or its
    number alone (20230519, 第20230519号) where the log holds one proposal of that number,
    said on standard error. Otherwise the id as typed, for :func:`_finding` to refuse."""
    if typed is None or wf.store.stream_version(typed) > 0:
        return typed
    body, dash, rest = narrow(typed).strip().partition("-")
    cleaned = body.lower() + dash + rest
    if dash and cleaned != typed and wf.store.stream_version(cleaned) > 0:
        return cleaned
    number = _typed_number(typed)
    if number is not None:
        matches = _of_number(wf.store.stream_ids(), number)
        if len(matches) == 1:
            print(
                shown(
                    f"cohandle: note: {typed.strip()} is taken as {matches[0]}, the log's one proposal of that number"
                ),
                file=sys.stderr,
            )
            return matches[0]
    return typed


@contextlib.contextmanager
def _finding(wf: cohandle.Workflow, proposal_id: str | None) -> Iterator[None]:
    """Name the proposals a mistyped ID may have meant: those whose number it is (officials
    know a proposal by its number, 第20230519号), and the ids that differ from it a little."""
    try:
        yield
    except cohandle.ProposalNotFound as exc:
        if proposal_id is None or exc.proposal_id != proposal_id:
            raise
        ids = list(wf.store.stream_ids())
        number = _typed_number(proposal_id)  # a number alone, with or without its leading zeros
        numbered = [] if number is None else _of_number(iter(ids), number)
        close = difflib.get_close_matches(proposal_id, ids, n=3, cutoff=0.8)
        meant = list(dict.fromkeys(numbered + close))
        if not meant:
            raise
        named = [repr(i) for i in meant[:5]] + ([f"and {len(meant) - 5} more"] if len(meant) > 5 else [])
        exc.args = (f"{exc.args[0]} Perhaps: {', '.join(named)}.",)
        raise


@contextlib.contextmanager
def _said_as(argument: str, parameter: str) -> Iterator[None]:
    """Name the command's ``argument`` (FILE, --docx) where the library names its ``parameter``."""
    try:
        yield
    except cohandle.InvalidInput as exc:
        if exc.field != parameter:
            raise
        raise cohandle.InvalidInput(argument, exc.problem) from None


def _session(args: argparse.Namespace) -> str | None:
    """``--session``, checked: a session's key or its start (:meth:`cohandle.Session.within`)."""
    return None if args.session is None else session_key("--session", args.session)


_CHINESE_DAY = re.compile(
    r"(?P<y>\d{4})\s*(?:年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日|[/.]\s*(?P<m2>\d{1,2})\s*[/.]\s*(?P<d2>\d{1,2}))"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{2})?\s*分?)?"
)
_NAIVE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")


def _moment(option: str, given: str) -> pendulum.DateTime:
    """A moment as an official types it: ISO (2023-05-01, 2023-05-01T09:00:00+08:00), or as
    letters write a day (2023年5月1日, 2023/5/1, 2023年5月1日 9时), digits full width or not; a
    time that names no zone is Beijing time, as a day alone is that day in Shanghai."""
    from cohandle._clock import business_time

    return business_time(option, _typed(option, given))  # which may still refuse 0001-01-01


def _typed(option: str, given: str) -> _dt.date | _dt.datetime:
    """What :func:`_moment` reads ``given`` as: a day, or a time with its zone."""
    from cohandle._clock import iso_value

    text = narrow(given).strip()
    day = _CHINESE_DAY.fullmatch(text)
    if day is not None:
        month, date = day.group("m") or day.group("m2"), day.group("d") or day.group("d2")
        text = f"{day.group('y')}-{int(month):02d}-{int(date):02d}"
        if day.group("H") is not None:
            text += f"T{int(day.group('H')):02d}:{day.group('M') or '00'}"
    if _NAIVE_TIME.fullmatch(text):
        text += "+08:00"
    try:
        return iso_value(text)
    except ValueError:
        raise cohandle.InvalidInput(
            option,
            "must be a day or a time, such as 2023-05-01, 2023年5月1日, 2023-05-01 09:00 (Beijing "
            f"time) or 2023-05-01T09:00:00+08:00 (got {given!r})",
        ) from None


def _now(args: argparse.Namespace) -> pendulum.DateTime:
    if getattr(args, "now", None) is not None:  # an empty --now is a mistake, not "now"
        return _moment("--now", args.now)
    return pendulum.now("UTC")


def _year(args: argparse.Namespace) -> int | None:
    """``--year``: 2023, or as written in Chinese, 2023年 or 二〇二三年."""
    if args.year is None:
        return None
    year = chinese_int(narrow(args.year).strip().removesuffix("年"))
    if year is None:
        raise cohandle.InvalidInput("--year", f"must be a year, such as 2023 or 2023年 (got {args.year!r})")
    return year


def _as_of(args: argparse.Namespace) -> _dt.date | _dt.datetime | None:
    """What the log is read as of: ``--now`` when given (what had happened by then; a day as
    the library reads one, by the time it began), else none, so that an event stamped by a
    server whose clock runs ahead is not left out."""
    given = getattr(args, "now", None)
    return None if given is None else _typed("--now", given)


def _policy(args: argparse.Namespace) -> Policy:
    name = getattr(args, "policy", None) or _environ(ENV_POLICY, "policy") or "generic"
    if name.endswith(".toml"):
        return policy_from_toml(Path(nameable("--policy", name)))
    with _said_as("--policy" if getattr(args, "policy", None) else ENV_POLICY, "preset"):
        return preset(name)


def _calendar(args: argparse.Namespace, *, statutory_after: bool = True) -> Calendar:
    """China's calendar with the schedules of ``--schedules``; a later year without one is
    counted by its statutory holidays alone, since these commands judge what is due rather than
    record a deadline (unless ``statutory_after`` is False: then such a year is refused)."""
    path = getattr(args, "schedules", None) or _environ(ENV_SCHEDULES, "schedules")
    with _said_as("--schedules" if getattr(args, "schedules", None) else ENV_SCHEDULES, "path"):
        schedules = load_schedules(path) if path else ()
    return Calendar.china(schedules=schedules, statutory_after=statutory_after)


def _say_statutory_only(calendar: Calendar, first: pendulum.DateTime, last: pendulum.DateTime) -> None:
    """Tell the reader, on standard error, which years of the count had no schedule."""
    known = set(calendar.known_years)
    years = range(first.in_timezone(SHANGHAI).year, last.in_timezone(SHANGHAI).year + 1)
    guessed = [year for year in years if year not in known]
    if guessed:
        print(
            f"cohandle: note: {year_spans(guessed)} {'has' if len(guessed) == 1 else 'have'} no official "
            "holiday schedule here, so working days were counted by the statutory holidays alone, "
            "without the notice's bridging rest days and make-up working days; give the schedule "
            "with --schedules FILE",
            file=sys.stderr,
        )


def _day(moment: pendulum.DateTime | None) -> str | None:
    return None if moment is None else moment.in_timezone(SHANGHAI).to_date_string()


def _emit(args: argparse.Namespace, data: object, text: Callable[[], str]) -> None:
    if getattr(args, "json", False):
        print(_for_output(shown(json.dumps(data, ensure_ascii=False, default=str))))
    else:
        print(shown(text(), lines=True))


def _for_output(json_text: str) -> str:
    """JSON as standard output can hold it: Chinese as itself, but a character its encoding
    (GBK, say) cannot hold as a JSON escape (\\ud842\\udfb7 for 𠮷), which reads back as the same
    character, where the escape of :func:`_printable_anywhere` would not be JSON."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        if codecs.lookup(encoding).name != "utf-8":
            json_text.encode(encoding)
    except UnicodeEncodeError:
        return "".join(ch if _holds(encoding, ch) else json.dumps(ch)[1:-1] for ch in json_text)
    except LookupError:
        pass
    return json_text


def _holds(encoding: str, character: str) -> bool:
    try:
        character.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


class _Progress:
    """Progress on standard error, ``label: N``: on a terminal one line redrawn in place; in a
    file or a pipe (a scheduled job's log) a line each time, since a carriage return there
    would run them all together. Of several counts of one command (:func:`_progress_lines`),
    each ends the others' lines before it starts its own."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.in_place = sys.stderr.isatty()
        self.shown = False
        self.others: list[_Progress] = []

    def __call__(self, count: int) -> None:
        for other in self.others:
            other.done()
        if self.in_place:
            sys.stderr.write(f"\r{self.label}: {count:,}")
        else:
            sys.stderr.write(f"{self.label}: {count:,}\n")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        """End the line redrawn in place, once."""
        if self.shown and self.in_place:
            sys.stderr.write("\n")
        self.shown = False


def _progress_lines(*labels: str) -> list[_Progress]:
    """The counts of one command's progress (lines checked, events stored, …), each shown on a
    line of its own."""
    lines = [_Progress(label) for label in labels]
    for line in lines:
        line.others = [other for other in lines if other is not line]
    return lines


# -- commands ------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    if args.db is None and args.schema is not None:  # refused before a folder is made for nothing
        raise cohandle.InvalidInput(
            "--schema", "is for a PostgreSQL log, and without --db the demo writes a SQLite file"
        )
    path = args.db or os.path.join(tempfile.mkdtemp(prefix="cohandle-demo-"), "demo.db")
    if os.path.exists(path):
        raise cohandle.InvalidInput(
            "--db",
            f"names an existing {'folder' if os.path.isdir(path) else 'file'} ({path}); the demo "
            "writes a fresh database",
        )
    shown = _shown(path)
    with _opened(args, path, policy=preset("generic")) as wf:
        if next(iter(wf.store.stream_ids()), None) is not None:  # a PostgreSQL log in use
            raise cohandle.InvalidInput(
                "--db", f"holds a cohandle log already ({shown}); the demo writes a fresh database"
            )
        ids = record_demo(wf)
        for proposal_id in ids:
            print(timeline(wf, proposal_id))
            print()
        print(f"Database: {shown}")
        print(wf.verify())
    print()
    print("Next, try:")
    for line in (
        f"cohandle show {ids[0]} --db {shown}",
        f"cohandle overdue --db {shown}",
        f"cohandle stats --db {shown}",
        f"cohandle render {ids[0]} --db {shown}",
    ):
        print(f"  {line}")
    return 0


def _show(args: argparse.Namespace) -> int:
    now = _now(args)
    with _open(args) as wf, _finding(wf, args.id):
        args.id = _resolved(wf, args.id)
        history = wf.history(args.id)
        as_of = _as_of(args)
        if as_of is None:
            p = wf.get(args.id)
        else:
            with _said_as("--now", "moment"):
                p = wf.state_as_of(args.id, as_of)
        history = history[: p.version]
    signed = {name: _day(at) for name, at in p.signed}  # the units that signed for their part (签收)
    countersigned = _dated(history, cohandle.ReplyCountersigned)  # the lead's replies (会签)
    latest = {c.unit.name: day for day, c in countersigned}

    def unit(name: str, *notes: str) -> str:
        notes += (f"签收 {signed[name]}",) if name in signed else ()
        notes += (f"会签 {latest[name]}",) if name in latest else ()
        return f"{name} ({', '.join(notes)})" if notes else name

    parties: list[tuple[str, Sequence[str]]] = [("交办单位", [p.assigning_body.name])]
    if p.lead is not None:
        parties.append(("主办单位", [unit(p.lead.name)]))
    parties += [("会办单位", [unit(part.unit.name, part.status.label)]) for part in p.co_handlers]
    parties += [("分办单位", [unit(part.unit.name, part.status.label)]) for part in p.handlers]
    if p.supervisor is not None:  # a key item's supervisor (督办)
        parties.append(("督办单位", [p.supervisor.name]))
    who = _proposers_word(p)
    parties.append((who, p.data.proposer_names))
    if p.merged:  # the items merged into it (并案): their proposers are answered with it
        parties.append((f"并案{who}", p.addressees[len(p.data.proposer_names) :]))
    deadlines = [
        {
            "kind": t.deadline.kind.value,
            "party": t.deadline.party,
            "due": _day(t.deadline.due),
            "status": status.value,
            "rule": t.deadline.rule,
            "source": t.deadline.source,
        }
        for t, status in p.deadlines_at(now)
    ]
    events = [
        {
            "version": e.version,
            "date": _day(e.occurred_at),
            "type": e.type,
            "label": e.label,
            "actor": str(e.actor),
        }
        for e in history
    ]
    outcome = _outcome(p, history)
    # on how its replies are carried out (落实情况), and with the proposers (沟通, 见面)
    reports = _dated(history, cohandle.ImplementationReported)
    contacts = _dated(history, cohandle.ProposersContacted)
    reviews = _reviews(history)
    publications = _dated(history, cohandle.ReplyPublished)  # 全文公开 or 摘要公开, and where
    data = {
        "id": p.id,
        "number": p.number,
        "title": p.title,
        "session": p.data.session.describe(),
        "status": p.status.value,
        # a key item (重点, 督办): when it was last marked so, and its supervisor if one is named
        "key": None
        if p.key_marked_at is None
        else {
            "marked": _day(p.key_marked_at),
            "supervisor": None if p.supervisor is None else p.supervisor.name,
        },
        "outcome": {key: value for key, _, value in outcome},
        "merged": [
            {
                "id": m.item,
                "number": m.proposal.number,
                "title": m.proposal.title,
                "proposers": list(m.proposal.proposer_names),
                "reason": m.reason,
            }
            for m in p.merged
        ],
        "parties": [{"role": role, "name": name} for role, name in parties],
        "signed": [{"unit": name, "date": day} for name, day in signed.items()],
        "countersigned": [{"unit": c.unit.name, "date": day, "note": c.note} for day, c in countersigned],
        "contacts": [
            {
                "date": day,
                "unit": c.unit.name,
                "method": c.method.value,
                "proposers": list(c.proposers),
                "note": c.note,
            }
            for day, c in contacts
        ],
        "reports": [
            {"date": day, "unit": r.unit.name, "category": r.category, "report": r.report}
            for day, r in reports
        ],
        "publications": [
            {"date": day, "unit": r.unit.name, "form": r.form.value, "url": r.url} for day, r in publications
        ],
        "reviews": [
            {
                "date": day,
                "reviewer": reviewer,
                "unit": unit,
                "category_before": before,
                "category": after,
                "note": note,
            }
            for day, reviewer, unit, before, after, note in reviews
        ],
        "deadlines": deadlines,
        "timeline": events,
    }

    def text() -> str:
        lines = [
            f"{p.data.session.describe()} 第{p.number}号{p.data.session.body.item}《{p.title}》",
            f"状态: {p.status.label} ({p.status})",
            *([f"重点督办: {_day(p.key_marked_at)} 起"] if p.key_marked_at is not None else []),
            *(f"{label}: {value}" for _, label, value in outcome),
            *(
                f"并入本件: {m.item} 第{m.proposal.number}号{m.proposal.session.body.item}《{m.proposal.title}》"
                for m in p.merged
            ),
            "",
            table(
                ["角色", "单位/人员"],
                _run_on(["角色", "单位/人员"], [((role,), names) for role, names in parties]),
            ),
        ]
        if deadlines:
            rows = [  # by the day each falls due, as one reads a calendar; in the order set on one day
                [
                    _party(t.deadline.party, who),
                    _kind(t.deadline.kind, who),
                    _day(t.deadline.due),
                    status.label,
                ]
                for t, status in sorted(p.deadlines_at(now), key=lambda pair: pair[0].deadline.due)
            ]
            lines += ["", table(["责任方", "事项", "期限", "状态"], rows)]
        if contacts:
            rows = [[day, c.unit.name, c.method.label, "、".join(c.proposers), c.note] for day, c in contacts]
            lines += ["", table(["日期", "单位", "沟通方式", who, "备注"], rows)]
        if reports:
            rows = [
                [day, r.unit.name, f"{r.category}类" if r.category else "—", r.report] for day, r in reports
            ]
            lines += ["", table(["日期", "单位", "现办复类别", "落实情况"], rows)]
        if publications:
            rows = [[day, r.unit.name, r.form.label, r.url or "—"] for day, r in publications]
            lines += ["", table(["日期", "单位", "公开方式", "网址"], rows)]
        if reviews:
            rows = [
                [day, reviewer, unit, f"{before}类" if after == before else f"{before}类 → {after}类", note]
                for day, reviewer, unit, before, after, note in reviews
            ]
            lines += ["", table(["日期", "审核人", "答复单位", "答复类别", "审核意见"], rows)]
        lines += [
            "",
            table(
                ["#", "日期", "环节", "事件", "操作人"],
                [[e["version"], e["date"], e["label"], e["type"], e["actor"]] for e in events],
            ),
        ]
        return "\n".join(lines)

    _emit(args, data, text)
    return 0


_Payload = TypeVar("_Payload", bound=cohandle.Event)


def _dated(
    history: Sequence[cohandle.RecordedEvent], kind: type[_Payload]
) -> list[tuple[str | None, _Payload]]:
    """The events of ``kind`` in ``history``, each with the day it occurred."""
    return [(_day(e.occurred_at), e.payload) for e in history if isinstance(e.payload, kind)]


def _reviews(history: Sequence[cohandle.RecordedEvent]) -> list[tuple[str | None, str, str, str, str, str]]:
    """Each review (审核) of a reply in ``history``: the day, the reviewer, the unit whose reply
    it was, the category the reply was counted in before and after, and the reviewer's note."""
    counted: dict[str, str] = {}  # each unit's latest reply's category, as reviewed so far
    found = []
    for e in history:
        payload = e.payload
        if isinstance(payload, cohandle.ReplySent):
            counted[payload.reply.author.name] = payload.reply.category
        elif isinstance(payload, cohandle.ReplyReviewed):
            unit = payload.unit.name
            before = counted[unit]  # a review follows a reply of the unit: replay checked it
            after = counted[unit] = payload.category or before
            found.append((_day(e.occurred_at), str(e.actor), unit, before, after, payload.note))
    return found


def _outcome(p: cohandle.Proposal, history: Sequence[cohandle.RecordedEvent]) -> list[tuple[str, str, str]]:
    """How an item ended without a reply, as (key, label, value): the proposal it was merged
    into, why it was not filed and where it was sent, or who withdrew it and why."""
    found: list[tuple[str, str, str]] = []
    if p.merged_into is not None:
        found.append(("merged_into", "并入", p.merged_into))
        merged = [e.payload for e in history if isinstance(e.payload, cohandle.ProposalMerged)]
        if merged and merged[-1].reason:
            found.append(("reason", "并案理由", merged[-1].reason))
    if p.rejection is not None:
        found.append(("reason", "不予立案理由", p.rejection.reason))
        if p.rejection.forwarded_to is not None:
            found.append(("forwarded_to", "转送", p.rejection.forwarded_to.name))
    if p.withdrawal is not None:
        found.append(("reason", "撤回理由", p.withdrawal.reason))
        found.append(("signed_by", "撤回人", "、".join(p.withdrawal.signed_by)))
    return found


def _state(given: str) -> str:
    """A state given to ``--state``: its name (answered) or its label, as lists print it (已答复)."""
    for status in cohandle.Status:
        if given.strip() in (status.value, status.label):
            return status.value
    names = [f"{status.value} ({status.label})" for status in cohandle.Status]
    near = difflib.get_close_matches(
        given, [*(s.value for s in cohandle.Status), *(s.label for s in cohandle.Status)], n=1
    )
    perhaps = f"; perhaps {near[0]}" if near else ""
    raise cohandle.InvalidInput("--state", f"must be one of {', '.join(names)} (got {given!r}){perhaps}")


def _list(args: argparse.Namespace) -> int:
    _now(args)  # a --now that cannot be read is refused here, by its name
    session = _session(args)
    states = {_state(given) for given in args.state or ()}
    finished = sorted(state for state in states if cohandle.Status(state).final)
    if args.open and finished:
        raise cohandle.InvalidInput(
            "--open",
            f"lists only proposals not yet finished, but --state asks for {' and '.join(finished)} ones, "
            "which are finished: give one or the other",
        )
    data: list[dict[str, object]] = []
    rows: list[list[object]] = []
    known: set[str] = set()  # the units --unit may name
    in_session = 0
    with _open(args) as wf:
        for p in wf.proposals(as_of=_as_of(args)):  # one at a time: a large log is not held whole
            if session is not None and not p.data.session.within(session):
                continue
            in_session += 1
            if args.unit:
                handling = {
                    p.lead.name if p.lead else None,
                    *(c.unit.name for c in p.co_handlers),
                    *(h.unit.name for h in p.handlers),
                }
                known.update(_units_of(p))
                if args.unit not in handling:
                    continue
            if states and p.status.value not in states:
                continue
            if args.open and p.status.final:
                continue
            data.append(
                {
                    "id": p.id,
                    "number": p.number,
                    "title": p.title,
                    "status": p.status.value,
                    "lead": p.lead.name if p.lead else None,
                    "session": p.data.session.key,
                }
            )
            rows.append(
                [
                    p.number,
                    p.title,
                    p.status.label,
                    p.lead.name if p.lead else "、".join(h.unit.name for h in p.handlers),
                    p.id,
                ]
            )
    _say_unmatched(args, in_session, known)
    _emit(args, data, lambda: _listing(rows))
    return 0


_TITLE_AT_LEAST = 20  # columns for a title in `list` however narrow the terminal


def _listing(rows: Sequence[Sequence[object]]) -> str:
    """The table of ``list``. On a terminal, each title runs on over as many lines as it needs
    for the rows to fit its width (a title often takes more than half of it); written to a
    file or a pipe, each stays on one line, to be found by what it says."""
    headers = ["编号", "标题", "状态", "主办/分办", "ID"]
    if not sys.stdout.isatty():
        return table(headers, rows) + f"\n{len(rows)} 件"
    room = _room(headers, rows, 1, _TITLE_AT_LEAST)
    lines: list[list[object]] = []
    for row in rows:
        # a Chinese title has no spaces to break at: it is cut between any two characters
        for line, piece in enumerate(_wrapped(list(shown(str(row[1]))), "", room)):
            lines.append([row[0], piece, *row[2:]] if line == 0 else ["", piece, "", "", ""])
    return table(headers, lines) + f"\n{len(rows)} 件"


def _room(headers: Sequence[str], rows: Sequence[Sequence[object]], column: int, least: int) -> int:
    """The terminal columns left for ``column`` of a :func:`table` of ``rows`` under
    ``headers``, once the other columns and the gaps between them have theirs; ``least`` at
    the least, however narrow the terminal."""
    taken = sum(
        max([width(header), *(width(shown(str(row[i]))) for row in rows)]) + 2
        for i, header in enumerate(headers)
        if i != column
    )
    return max(shutil.get_terminal_size().columns - taken, least)


def _items(items: Sequence[cohandle.DueItem]) -> list[dict[str, object]]:
    return [
        {
            "proposal_id": i.proposal_id,
            "number": i.number,
            "party": i.party,
            "kind": i.deadline.kind.value,
            "due": _day(i.due),
        }
        for i in items
    ]


def _units_of(p: cohandle.Proposal) -> set[str]:
    """The units a proposal names: its assigning body, supervisor and handling units."""
    units = [
        p.assigning_body,
        p.supervisor,
        p.lead,
        *(c.unit for c in p.co_handlers),
        *(h.unit for h in p.handlers),
    ]
    return {unit.name for unit in units if unit is not None}


def _say_unmatched(args: argparse.Namespace, in_session: int, known: set[str]) -> None:
    """Tell the reader, on standard error, that no proposal is of the ``--session`` asked for,
    or that none of them names the ``--unit`` asked for (a key or a name mistyped lists nothing,
    as a unit that owes nothing does), with the unit names nearest."""
    if args.session is not None and not in_session:
        print(
            shown(f"cohandle: note: the log holds no proposal of --session {args.session}"), file=sys.stderr
        )
        return
    if args.unit is None or args.unit in known:
        return
    close = difflib.get_close_matches(args.unit, sorted(known), n=3, cutoff=0.6)
    which = "in the log" if args.session is None else f"of --session {args.session}"
    print(
        shown(
            f"cohandle: note: no proposal {which} names a unit {args.unit}"
            + (f"; perhaps {'、'.join(close)}" if close else "")
        ),
        file=sys.stderr,
    )


def _proposers_word(p: cohandle.Proposal) -> str:
    """A committee's members are its proposers (提案者); a congress's, its deputies (代表)."""
    return "提案者" if p.data.session.body is cohandle.Body.CPPCC else "代表"


def _party(party: str, word: str) -> str:
    """A deadline's party as a table says it: the proposers' party in the item's own word."""
    return word if party == cohandle.PROPOSER_PARTY else party


def _kind(kind: cohandle.DeadlineKind, word: str) -> str:
    return f"{word}反馈" if kind is cohandle.DeadlineKind.PROPOSER_FEEDBACK else kind.label


def _board(
    wf: cohandle.Workflow, args: argparse.Namespace, now: pendulum.DateTime
) -> tuple[cohandle.DeadlineBoard, dict[str, str]]:
    """The deadline board of the log (as it stood at ``--now``, when given; of the sessions
    ``--session`` names), and the word for each proposal's proposers."""
    session = _session(args)
    words: dict[str, str] = {}  # also counts the proposals of the session
    known: set[str] = set()  # the parties --unit may name

    def chosen() -> Iterator[cohandle.Proposal]:  # one at a time: a large log is not held whole
        for p in wf.proposals(as_of=_as_of(args)):
            if session is None or p.data.session.within(session):
                words[p.id] = _proposers_word(p)
                known.update(_units_of(p), (cohandle.PROPOSER_PARTY, words[p.id]))
                yield p

    board = cohandle.DeadlineBoard.build(chosen())
    _say_unmatched(args, len(words), known)
    return board, words


def _owed_by(
    args: argparse.Namespace, items: list[cohandle.DueItem], words: dict[str, str]
) -> list[cohandle.DueItem]:
    """The items ``--unit`` owes, or all of them. The proposers are named as the log names
    them (提案者) or as the tables do (提案者, 代表 for a congress's deputies)."""
    if args.unit is None:
        return items
    return [i for i in items if args.unit in (i.party, _party(i.party, words[i.proposal_id]))]


def _within(text: str) -> tuple[int, bool]:
    """``--within``: a number of working days (5wd, 5个工作日) or of calendar days (10d, 10日,
    10天), and whether they are working days."""
    match = re.fullmatch(r"(\d+)\s*(wd|d|个?工作日|日|天)", narrow(text.strip()))
    if match is None:
        raise cohandle.InvalidInput(
            "--within", f'must be a number of working days or days, e.g. "5wd" or "10d" (got {text!r})'
        )
    return int(match.group(1)), match.group(2) in ("wd", "工作日", "个工作日")


def _due(args: argparse.Namespace) -> int:
    amount, working = _within(args.within)
    now = _now(args)
    calendar = _calendar(args)
    with _open(args) as wf:
        board, words = _board(wf, args, now)
    if working:  # what due_within answers, with its end kept for the note below
        with _said_as("--within", "count"):
            until = end_of_day(calendar.add_working_days(now.in_timezone(SHANGHAI).date(), amount))
        items = _owed_by(args, board.due_by(now, until), words)
        _say_statutory_only(calendar, now, until)
    else:
        try:
            limit = now.add(days=amount)
        except (OverflowError, ValueError):
            raise cohandle.InvalidInput(
                "--within", f"reaches past 9999-12-31, the last day a date can hold (got {args.within!r})"
            ) from None
        items = _owed_by(args, board.due_by(now, limit), words)
    rows = [
        [
            _party(i.party, words[i.proposal_id]),
            i.number,
            _kind(i.deadline.kind, words[i.proposal_id]),
            _day(i.due),
        ]
        for i in items
    ]
    _emit(args, _items(items), lambda: table(["责任方", "编号", "事项", "期限"], rows) + f"\n{len(rows)} 项")
    return 0


def _overdue(args: argparse.Namespace) -> int:
    now = _now(args)
    with _open(args) as wf:
        board, words = _board(wf, args, now)
    grouped = {
        party: owed for party, items in board.overdue(now).items() if (owed := _owed_by(args, items, words))
    }
    data = {party: _items(items) for party, items in grouped.items()}
    by_party: dict[str, list[cohandle.DueItem]] = {}  # the proposers apart from the deputies
    for party, items in grouped.items():
        for i in items:
            by_party.setdefault(_party(party, words[i.proposal_id]), []).append(i)
    # each item with its due day: one proposal may owe the same kind twice (a publication per reply)
    listed = {
        party: [f"{i.number}({_kind(i.deadline.kind, words[i.proposal_id])} {_day(i.due)})" for i in items]
        for party, items in by_party.items()
    }
    # a unit's items run on over as many lines as they need, within the terminal's width
    headers = ["单位", "逾期", "事项"]
    rows = _run_on(headers, [((party, len(texts)), texts) for party, texts in listed.items()])
    _emit(args, data, lambda: table(headers, rows) + f"\n{sum(len(v) for v in grouped.values())} 项逾期")
    return 0


_ITEMS_AT_LEAST = 40  # columns for a list run on (items, names) however narrow the terminal


def _run_on(
    headers: Sequence[str], labelled: Sequence[tuple[Sequence[object], Sequence[str]]]
) -> list[list[object]]:
    """Rows of :func:`table` under ``headers``: each entry's leading cells, then its texts
    joined by 、 in the last column, running on over as many rows as they need within the
    terminal's width (a unit's overdue items, a joint proposal's proposers); the leading cells
    are written on the first of them."""
    lead = len(headers) - 1
    room = _room(headers, [cells for cells, _ in labelled], lead, _ITEMS_AT_LEAST)
    rows: list[list[object]] = []
    for cells, texts in labelled:
        pieces = _wrapped([shown(text) for text in texts], "、", room)
        rows += [
            [*cells, piece] if line == 0 else [*([""] * lead), piece] for line, piece in enumerate(pieces)
        ]
    return rows


def _wrapped(texts: Sequence[str], separator: str, columns: int) -> list[str]:
    """``texts`` joined by ``separator`` into lines of at most ``columns`` terminal columns
    each (a text longer than that alone on its line), the separator ending every line but the
    last, as a list runs on in print."""
    lines: list[str] = []
    line, used = "", 0
    for text in texts:
        size = width(text) + width(separator)
        if line and used + size > columns:
            lines.append(line)
            line, used = "", 0
        line += text + separator
        used += size
    lines.append(line[: len(line) - len(separator)])
    return lines


def _reminders(args: argparse.Namespace) -> int:
    now = _now(args)
    policy = _policy(args)
    with _open(args) as wf:
        board, words = _board(wf, args, now)
    calendar = _calendar(args)
    found = [r for r in board.reminders(now, policy, calendar) if _owed_by(args, [r.item], words)]
    today = now.in_timezone(SHANGHAI).date()
    earliest = min([now, *(r.item.due for r in found)])  # a late item is counted from its due day
    _say_statutory_only(
        calendar, earliest, end_of_day(calendar.add_working_days(today, policy.remind_before_working_days))
    )
    data = [
        {**_items([r.item])[0], "level": r.level.value, "working_days_late": r.working_days_late}
        for r in found
    ]
    rows = [
        [
            r.level.label,
            _party(r.item.party, words[r.item.proposal_id]),
            r.item.number,
            _kind(r.item.deadline.kind, words[r.item.proposal_id]),
            _day(r.item.due),
            r.working_days_late,
        ]
        for r in found
    ]
    _emit(
        args,
        data,
        lambda: table(["类型", "单位", "编号", "事项", "期限", "逾期工作日"], rows) + f"\n{len(rows)} 条",
    )
    return 0


def _recount(args: argparse.Namespace) -> int:
    policy = _policy(args)
    calendar = _calendar(args, statutory_after=False)  # no guessing: such a year is refused
    with _open(args) as wf:
        try:
            changes = wf.deadline_changes(policy=policy, calendar=calendar)
        except cohandle.deadlines.CalendarError as exc:  # say how to give it here
            raise cohandle.InvalidInput(
                "--schedules",
                f"must give {exc.day.year}'s official holiday schedule (this calendar knows {exc.known}): "
                f"{exc.counting or 'a deadline'} cannot be counted without it",
            ) from None

    def rule(c: cohandle.DeadlineChange) -> str:
        if c.counted is None or c.counted.rule == c.recorded.rule:
            return c.recorded.rule
        return f"{c.recorded.rule} → {c.counted.rule}"

    data = [
        {
            "proposal_id": c.proposal_id,
            "number": c.number,
            "party": c.recorded.party,
            "kind": c.recorded.kind.value,
            "recorded_due": _day(c.recorded.due),
            "recorded_rule": c.recorded.rule,
            "counted_due": _day(c.counted.due) if c.counted else None,
            "counted_rule": c.counted.rule if c.counted else None,
        }
        for c in changes
    ]
    rows = [
        [
            c.number,
            c.recorded.party,
            c.recorded.kind.label,
            _day(c.recorded.due),
            _day(c.counted.due) if c.counted else "(不再设定)",
            rule(c),
        ]
        for c in changes
    ]
    _emit(
        args,
        data,
        lambda: (
            table(["编号", "责任方", "事项", "记录期限", "重算期限", "规则"], rows)
            + f"\n{len(rows)} 项未到期期限将不同 (nothing is recorded: the assigning body records them"
            " with Workflow.revise_deadlines)"
        ),
    )
    return 0


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _stats(args: argparse.Namespace) -> int:
    now = _now(args)
    session = _session(args)
    with _open(args) as wf:
        proposals = wf.proposals(as_of=_as_of(args))
        year = _year(args)
        with _said_as("--year", "year"):
            s = cohandle.statistics(proposals, now, session_key=session, year=year)
    if not s.received and (session is not None or year is not None):  # a mistyped filter
        chosen = " ".join(
            ([f"of --session {args.session}"] if session is not None else [])
            + ([f"received in {year}"] if year is not None else [])
        )
        print(shown(f"cohandle: note: the log holds no proposal {chosen}"), file=sys.stderr)

    def text() -> str:
        rows: list[list[object]] = [
            ["收到", s.received],
            ["立案 / 不予立案 / 并案", f"{s.filed} / {s.not_filed} / {s.merged}"],
            ["立案率", _pct(s.filing_rate)],
            ["交办 / 办复", f"{s.assigned} / {s.replied}"],
            ["办复率", _pct(s.reply_rate)],
            ["按时办复率", _pct(s.on_time_rate)],
            ["满意 / 基本满意 / 不满意", f"{s.satisfied} / {s.basically_satisfied} / {s.dissatisfied}"],
            ["满意率(含基本满意)", _pct(s.satisfaction_rate)],
            ["初次办理满意率", _pct(s.first_satisfaction_rate)],
            ["沟通 / 见面", f"{s.contacted} / {s.met}"],
            ["沟通率 / 见面率", f"{_pct(s.contact_rate)} / {_pct(s.meeting_rate)}"],
            ["已公开答复", s.published],
        ]
        if s.published_in_summary:  # the rest were published in full (全文公开)
            rows.append(["其中摘要公开", s.published_in_summary])
        shares = s.category_shares()
        rows += [
            [f"{code}类", f"{count} ({shares[code] * 100:.1f}%)"] for code, count in s.categories.items()
        ]
        if s.replies_reviewed:  # a review (审核) may put a reply in another category
            rows.append(["审核答复 / 调整类别", f"{s.replies_reviewed} / {s.changed_in_review}"])
        if s.implementation_reported:  # reports on implementation (落实情况) restate categories
            rows.append(["报告落实情况", s.implementation_reported])
            rows += [[f"现{code}类", count] for code, count in s.categories_now.items()]
        units = [[name, c.lead, c.co_handled, c.separate, c.overdue] for name, c in s.units.items()]
        return table(["指标", "数值"], rows) + "\n\n" + table(["单位", "主办", "会办", "分办", "逾期"], units)

    _emit(args, s.to_json(), text)
    return 0


def _verify(args: argparse.Namespace) -> int:
    anchor = None if args.anchor is None else _read_anchor(args.anchor)
    progress, read_back = _progress_lines("verified events", "proposals read back")
    with _open(args) as wf:
        report = wf.verify(progress, anchor=anchor, replay=not args.chains_only, read_back=read_back)
    progress.done()
    read_back.done()
    _emit(
        args,
        {
            "ok": report.ok,
            "events": report.events,
            "streams": report.streams,
            "problem": str(report.problem) if report.problem else None,
            "anchored": report.anchored,
            "read_back": report.read_back,
        },
        lambda: str(report),
    )
    return 0 if report.ok else 1


def _anchored(args: argparse.Namespace) -> tuple[str, int, str] | None:
    """Verify the log; the text of its anchor, how many proposals it names and when it was
    taken, or None for a damaged log (said on standard error)."""
    progress, read_back = _progress_lines("verified events", "proposals read back")
    with _open(args) as wf:
        heads = wf.store.heads()  # read before the check: every event they name is checked
        report = wf.verify(progress, replay=True, read_back=read_back)
    progress.done()
    read_back.done()
    if not report.ok:
        print(shown(str(report), lines=True), file=sys.stderr)
        print("cohandle: no anchor was written: the log is damaged.", file=sys.stderr)
        return None
    taken = pendulum.now("UTC").isoformat()
    lines = [
        f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(list(head))}"
        for key, head in sorted(heads.items())
    ]
    text = "{\n" + f' "taken_at": "{taken}",\n "heads": {{\n' + ",\n".join(lines) + "\n }\n}\n"
    return text, len(heads), taken


def _anchor(args: argparse.Namespace) -> int:
    # to standard output, the anchor is the output (to be signed or sent on); what is said goes
    # to standard error
    if args.file == "-":
        anchored = _anchored(args)
        if anchored is None:
            return 1
        text, count, taken = anchored
        # UTF-8 whatever the terminal's encoding, as the file's is and as an export's is: an
        # anchor is read back by `verify --anchor`, maybe on another machine
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        if out is not None:
            out.write(text.encode("utf-8"))
            out.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        print(f"Anchored {counted(count, 'proposal')} on standard output, taken at {taken}.", file=sys.stderr)
        return 0
    target = writable("FILE", args.file)
    partial = partial_name(target)
    written = False
    try:
        with open(partial, "w", encoding="utf-8"):
            pass  # made before the check, so a FILE that cannot be written is said at once
        anchored = _anchored(args)
        if anchored is None:
            return 1
        text, count, taken = anchored
        with open(partial, "w", encoding="utf-8") as out:
            out.write(text)
        put_in_place(partial, target)  # never a half-written anchor under the real name
        written = True
    except OSError as exc:
        raise unusable_file("FILE", args.file, exc, writing=True) from None
    finally:
        if not written:
            with contextlib.suppress(OSError):
                os.unlink(partial)
    print(
        f"Anchored {counted(count, 'proposal')} in {args.file}, taken at {taken}; keep it outside the database."
    )
    return 0


def _piped(argument: str, what: str) -> None:
    """Refuse ``-`` for ``argument`` when standard input is a terminal: the command would wait
    for ``what``, which nobody types by hand."""
    if sys.stdin is not None and sys.stdin.isatty():
        raise cohandle.InvalidInput(
            argument, f"is -, standard input, but that is a terminal: pipe {what} into it"
        )


def _read_anchor(path: str) -> dict[str, tuple[int, str]]:
    """The heads of an anchor file written by ``cohandle anchor``."""
    if path == "-":
        _piped("--anchor", "an anchor (… | cohandle verify --anchor -)")
    named = path if path == "-" else nameable("--anchor", path)  # its refusal is not a JSON one
    try:
        if named == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(named, "rb") as source:
                raw = source.read()
    except OSError as exc:
        raise unusable_file("--anchor", path, exc) from None
    if raw.startswith(SQLITE_START):  # the log named where its anchor belongs
        raise cohandle.InvalidInput(
            "--anchor", "is a SQLite database, not an anchor written by `cohandle anchor`"
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))  # a BOM, as an editor on Windows writes it, is taken
    except UnicodeDecodeError as exc:  # saved again as GBK, say, by an editor
        raise cohandle.InvalidInput(
            "--anchor",
            f"is not UTF-8 text (byte {exc.start}), as an anchor written by `cohandle anchor` is: was "
            "it saved again in another encoding, such as GBK? Give the anchor as it was written",
        ) from None
    except ValueError as exc:
        raise cohandle.InvalidInput(
            "--anchor", f"is not JSON, so not an anchor written by `cohandle anchor` ({exc})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("heads"), dict):
        raise cohandle.InvalidInput(
            "--anchor", "is not an anchor written by `cohandle anchor` (it has no heads)"
        )
    with _said_as("--anchor", "anchor"):
        return dict(anchor_argument(data["heads"]))


def _export(args: argparse.Namespace) -> int:
    from cohandle.stores import export_jsonl

    progress = _Progress("exported events")
    to_stdout = args.file == "-"  # the lines are the output; what is said goes to standard error
    with _open(args) as wf, _said_as("FILE", "target"), _finding(wf, args.id):
        args.id = _resolved(wf, args.id)
        count = export_jsonl(
            wf.store, sys.stdout.buffer if to_stdout else args.file, stream_id=args.id, progress=progress
        )
    progress.done()
    if to_stdout:
        sys.stdout.flush()
        print(f"Exported {counted(count, 'event')} to standard output.", file=sys.stderr)
    else:
        print(f"Exported {counted(count, 'event')} to {args.file}.")
    return 0


def _import(args: argparse.Namespace) -> int:
    from cohandle.stores import import_jsonl

    from_stdin = args.file == "-"
    if from_stdin:
        _piped("FILE", "an export (cohandle export - --db A | cohandle import - --db B)")
    if not from_stdin and not os.path.isfile(args.file):  # checked before the database is opened, or made
        raise cohandle.InvalidInput("FILE", f"names no file ({args.file}){tilde_hint(args.file)}")
    target = _target(args)
    new_file = not postgres_url(target) and not os.path.exists(target)
    lines = _progress_lines("checked lines", "stored events", "proposals read back")
    try:
        with _opened(args, target) as wf, _said_as("FILE", "source"):
            source = sys.stdin.buffer if from_stdin else args.file
            checked, stored, read_back = lines
            try:
                report = import_jsonl(wf.store, source, progress=checked, stored=stored, read_back=read_back)
            finally:
                for line in lines:
                    line.done()
    except BaseException:
        if new_file:
            _remove_empty_log(target)
        raise
    print(
        f"Imported {counted(report.events, 'event')} of {counted(report.streams, 'proposal')} into {_shown(target)}, every chain verified."
    )
    return 0


def _remove_empty_log(path: str) -> None:
    """Take away the SQLite file a refused import made, so that a refusal leaves nothing behind
    (``demo`` would refuse the file, and a retry would find an empty log): only if it still
    holds no event, in case another process has begun to use it since."""
    try:
        with cohandle.Workflow.open(path, create=False) as wf:
            if wf.store.heads():
                return
    except cohandle.CohandleError:
        if not os.path.isfile(path) or os.path.getsize(path):  # not the empty file it began as
            return
    for suffix in ("", *SQLITE_COMPANIONS):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


def _parse(args: argparse.Namespace) -> int:
    from cohandle.letters import parse_letter
    from cohandle.letters._form import is_feedback_form
    from cohandle.letters._parse import decoded, not_read
    from cohandle.letters._word import word_text

    try:
        codecs.lookup(args.encoding)
    except LookupError:
        raise cohandle.InvalidInput(
            "--encoding", f"names no encoding Python knows, such as gb18030 (got {args.encoding!r})"
        ) from None
    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(nameable("FILE", args.file)).read_bytes()
    except OSError as exc:
        raise unusable_file("FILE", args.file, exc) from None
    what = not_read(raw)
    if what is not None:
        raise cohandle.InvalidInput("FILE", f"is {what}")
    try:
        letter = word_text(raw) if raw.startswith(b"PK\x03\x04") else decoded(raw, args.encoding)
    except UnicodeDecodeError as exc:
        advice = "give --encoding gb18030 for a file saved on Chinese Windows, or save it as UTF-8"
        if codecs.lookup(args.encoding).name != "utf-8":  # utf8, UTF-8: the default, named again
            advice = "give the encoding it was saved in with --encoding, or save it as UTF-8"
        raise cohandle.InvalidInput(
            "FILE", f"is not {exc.encoding} text (byte {exc.start}): {advice}"
        ) from None
    if is_feedback_form(letter):
        return _parse_form(args, letter)
    data = parse_letter(letter).to_json()
    labels = {
        "kind": "类型", "body": "政协/人大", "level": "级别", "session_term": "届次", "session_meeting": "会次",
        "number": "编号", "proposal_title": "提案标题", "author_unit": "来文单位", "addressee": "主送",
        "category": "答复类别", "letter_date": "成文日期", "published_date": "发布日期", "doc_number": "文号",
        "issuer": "签发人/主管领导", "issuer_phone": "主管领导电话", "contact_name": "经办人",
        "contact_phone": "经办人电话", "postal_code": "邮政编码", "copies": "抄送", "attachments": "附件",
        "disclosure": "公开属性",
    }  # fmt: skip

    def text() -> str:
        rows = [
            [label, ("、".join(data[key]) or None) if isinstance(data[key], list) else data[key]]
            for key, label in labels.items()
        ]
        notes = "".join(f"\n注意: {warning}" for warning in data["warnings"])
        return table(["字段", "内容"], rows) + notes

    _emit(args, data, text)
    # nothing of a letter found (the wrong file, say) is a finding, as a damaged log is to verify
    return 1 if all(data[key] in (None, []) for key in labels) else 0


def _parse_form(args: argparse.Namespace, letter: str) -> int:
    """``cohandle parse`` of a feedback form filled in (征询意见表): what it says."""
    from cohandle.letters import parse_feedback_form

    form = parse_feedback_form(letter)
    data: dict[str, Any] = {
        "kind": "feedback_form",
        "number": form.number,
        "unit": form.unit,
        "contacted": form.contacted,
        "methods": [method.value for method in form.methods],
        "satisfaction": None if form.satisfaction is None else form.satisfaction.value,
        "comments": form.comments or None,
        "signed_by": form.signed_by,
        "date": None if form.date is None else form.date.isoformat(),
        "warnings": list(form.warnings),
    }

    def text() -> str:
        rows: list[list[str | None]] = [
            ["类型", "征询意见表"],
            ["编号", form.number],
            ["承办单位", form.unit],
            ["是否联系沟通", None if form.contacted is None else ("是" if form.contacted else "否")],
            ["沟通方式", "、".join(method.label for method in form.methods) or None],
            ["对办理结果的意见", None if form.satisfaction is None else form.satisfaction.label],
            ["意见和建议", form.comments or None],
            ["签名", form.signed_by],
            ["日期", data["date"]],
        ]
        return table(["字段", "内容"], rows) + "".join(f"\n注意: {warning}" for warning in form.warnings)

    _emit(args, data, text)
    # nothing of a form found (a blank one) is a finding, as nothing of a letter is
    found = (form.number, form.unit, form.contacted, form.methods, form.satisfaction, form.comments)
    return 0 if any(value not in (None, (), "") for value in found) else 1


def _say_contacts_missing(
    kind: str, signatory: cohandle.Contact | None, handler: cohandle.Contact | None
) -> None:
    """Tell the reader, on standard error, that the letter lacks a name or a phone it must carry."""
    missing = [
        f"no {role}" if person is None else f"no phone for its {role} {person.name}"
        for role, person in (("主管领导 (signatory)", signatory), ("经办人 (handler)", handler))
        if person is None or not person.phone
    ]
    if missing:
        print(
            shown(
                f"cohandle: note: the {kind} as recorded gives {' and '.join(missing)}; a letter must "
                "carry the names and phones of both, and this one is written without them"
            ),
            file=sys.stderr,
        )


def _render(args: argparse.Namespace) -> int:
    from cohandle.letters import (
        feedback_form_layout,
        form_docx,
        form_text,
        opinion_layout,
        reply_layout,
        to_docx,
        to_text,
    )

    with _open(args) as wf, _finding(wf, args.id):
        args.id = _resolved(wf, args.id)
        p = wf.get(args.id)
    if args.kind == "feedback-form":
        if p.reply is None:
            raise cohandle.InvalidInput(
                "ID",
                f"names proposal {p.id!r}, which has no reply yet for a form to go with (it is {state_words(p.status)})",
            )
        with _said_as("--unit", "unit"):
            form = feedback_form_layout(p, unit=cohandle.Unit(name=args.unit) if args.unit else None)
        return _written(args, lambda path: form_docx(form, path), lambda: form_text(form))
    if args.kind == "reply":
        if p.reply is None:
            raise cohandle.InvalidInput(
                "ID", f"names proposal {p.id!r}, which has no reply yet (it is {state_words(p.status)})"
            )
        # each unit's latest: in separate handling (分办) every handler answers for itself
        latest = {reply.author.name: reply for reply in p.replies}
        names = "、".join(latest)
        if args.unit:
            if args.unit not in latest:
                raise cohandle.InvalidInput(
                    "--unit", f"must name a unit whose reply is in (replies from: {names})"
                )
            latest = {args.unit: latest[args.unit]}
        if len(latest) != 1:
            raise cohandle.InvalidInput(
                "--unit",
                f"must name the unit whose reply to write: each answered for itself (replies from: {names})",
            )
        reply = next(iter(latest.values()))
        layout = reply_layout(reply, p)  # to the items merged in too
        _say_contacts_missing("reply", reply.signatory, reply.handler)
    else:
        submitted = [part.opinion for part in p.co_handlers if part.opinion is not None]
        if not submitted:
            raise cohandle.InvalidInput(
                "ID",
                f"names proposal {p.id!r}, which "
                + ("has no co-handlers" if not p.co_handlers else "has no co-handler's opinion in yet"),
            )
        opinions = [o for o in submitted if o.author.name == args.unit] if args.unit else submitted
        if len(opinions) != 1:
            names = "、".join(o.author.name for o in submitted) or "none"
            raise cohandle.InvalidInput(
                "--unit", f"must name one co-handler whose opinion is in (opinions from: {names})"
            )
        layout = opinion_layout(opinions[0], p.data)
        _say_contacts_missing("opinion", opinions[0].signatory, opinions[0].handler)
    return _written(args, lambda path: to_docx(layout, path), lambda: to_text(layout))


def _written(args: argparse.Namespace, docx: Callable[[str], None], text: Callable[[], str]) -> int:
    """A letter or a form written as a Word document at ``--docx``, or printed as text."""
    if args.docx:
        with _said_as("--docx", "path"):
            docx(args.docx)
        print(f"Written: {args.docx}")
    else:
        print(shown(text(), lines=True), end="")
    return 0


def _diagram(args: argparse.Namespace) -> int:
    print(cohandle.PROPOSAL.mermaid(), end="")
    return 0


# -- the parser ----------------------------------------------------------------------------------


class _Version(argparse.Action):
    """``--version``: the version, and whether this is the compiled build (worked out only when asked)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"cohandle {cohandle.__version__} ({describe()})")
        parser.exit()


AS_OF = "on the log as it stood then (events that occurred later left out)"
ID_HELP = "the proposal's id (cppcc-湖北省-13-1-20230519), or its number where the log holds one of it"
WHEN = "(a day, 2023-08-30 or 2023年8月30日, or a time, Beijing time unless it names its zone; default: now)"
SESSION_HELP = (
    "only this session, by its key (cppcc-湖北省-13-1) or its name (湖北省政协十三届一次会议), or "
    "every session its start names: cppcc-湖北省-13 or 湖北省政协十三届 for every meeting of the "
    "13th committee"
)
OWED_HELP = "only what this unit owes (its name as recorded, e.g. 省科技厅; 提案者 or 代表 for the proposers' feedback)"
SCHEDULES_HELP = (
    f"a TOML file of later years' official holiday schedules (default: ${ENV_SCHEDULES}); "
    f"working days of a year after {OFFICIAL_YEARS[-1]} without one are counted by its statutory holidays alone"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cohandle", description="Handle co-handled proposals (提案/建议 会办)."
    )
    parser.add_argument("--version", action=_Version, help="show the version and the build, then exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str,
        run: Callable[[argparse.Namespace], int],
        help_text: str,
        *,
        db: bool = True,
        json_flag: bool = True,
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if db:
            sub.add_argument(
                "--db",
                help=f"the database file, or a postgresql:// URL or host=… dbname=… string (default: ${ENV_DB}, or cohandle.db in "
                "this folder)",
            )
            sub.add_argument(
                "--schema",
                help=f"the PostgreSQL schema the log is in, for a PostgreSQL --db (default: ${ENV_SCHEMA} or public)",
            )
        if json_flag:
            sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
        sub.set_defaults(run=run, command_parser=sub)
        return sub

    demo = command(
        "demo",
        _demo,
        "record the seed case and four more into a fresh database and print them",
        db=False,
        json_flag=False,
    )
    demo.add_argument(
        "--db",
        help=(
            "the new database file, or a postgresql:// URL or host=… dbname=… string (default: a file "
            "in a new temporary folder)"
        ),
    )
    demo.add_argument(
        "--schema",
        help=f"the PostgreSQL schema to write it in, for a PostgreSQL --db (default: ${ENV_SCHEMA} or public)",
    )

    show = command("show", _show, "a proposal: state, parties, deadlines, timeline")
    show.add_argument("id", metavar="ID", help=ID_HELP)
    show.add_argument("--now", help=f"the moment deadlines are judged at, {AS_OF} {WHEN}")

    listing = command("list", _list, "proposals, filtered by state, unit or session")
    listing.add_argument(
        "--state",
        action="append",
        help="only proposals in this state, by its name or as lists print it: "
        + ", ".join(f"{status.value} ({status.label})" for status in cohandle.Status)
        + "; give it again for any of several",
    )
    listing.add_argument(
        "--open",
        action="store_true",
        help="only proposals not yet finished (未办结): neither closed, withdrawn, not filed nor merged",
    )
    listing.add_argument("--unit", help="a unit taking part (lead, co-handler or separate handler)")
    listing.add_argument("--session", help=SESSION_HELP)
    listing.add_argument("--now", help=f"the moment their states are taken at, {AS_OF} {WHEN}")

    due = command("due", _due, "obligations falling due soon")
    due.add_argument(
        "--within",
        default="5wd",
        help='how soon: "5wd" (5个工作日) working days or "10d" (10日) days (default 5wd)',
    )
    due.add_argument("--now", help=f"the moment to count from, {AS_OF} {WHEN}")
    due.add_argument("--schedules", metavar="FILE", help=SCHEDULES_HELP)

    overdue = command("overdue", _overdue, "obligations past due, by unit")
    overdue.add_argument("--now", help=f"the moment to judge at, {AS_OF} {WHEN}")

    reminders = command("reminders", _reminders, "reminders (催办) and escalations (督办) due now")
    reminders.add_argument("--now", help=f"the moment to judge at, {AS_OF} {WHEN}")
    for owed in (due, overdue, reminders):
        owed.add_argument("--unit", help=OWED_HELP)
        owed.add_argument("--session", help=SESSION_HELP)
    reminders.add_argument(
        "--policy", help=f"a preset name or a policy .toml (default: ${ENV_POLICY} or generic)"
    )
    reminders.add_argument("--schedules", metavar="FILE", help=SCHEDULES_HELP)

    recount = command(
        "recount",
        _recount,
        "open deadlines that a policy and the holiday schedules would count otherwise (nothing is recorded)",
    )
    recount.add_argument(
        "--policy", help=f"a preset name or a policy .toml (default: ${ENV_POLICY} or generic)"
    )
    recount.add_argument(
        "--schedules",
        metavar="FILE",
        help=f"a TOML file of later years' official holiday schedules (default: ${ENV_SCHEDULES}); "
        "a year without one is refused, never guessed",
    )

    stats = command("stats", _stats, "办复率, 按时办复率, 满意率, categories and per-unit counts")
    stats.add_argument("--session", help=SESSION_HELP)
    stats.add_argument("--year", help="only proposals received in this year (2023, or 2023年)")
    stats.add_argument("--now", help=f"the moment overdue items are counted at, {AS_OF} {WHEN}")

    verifying = command(
        "verify",
        _verify,
        "check every hash chain of the log, then read every proposal back (progress on standard error)",
    )
    verifying.add_argument(
        "--chains-only",
        action="store_true",
        help="check the hash chains only, not that every proposal can be read (about a third of the time)",
    )
    verifying.add_argument(
        "--anchor",
        metavar="FILE",
        help="an anchor written by `cohandle anchor` (or - for standard input): each event it names must "
        "still be there",
    )
    anchoring = command(
        "anchor",
        _anchor,
        "verify the log, then write each proposal's latest event and hash to FILE (or - for standard output)",
        json_flag=False,
    )
    anchoring.add_argument("file", metavar="FILE")

    export = command(
        "export", _export, "write the log (or one proposal) as JSON Lines to FILE, or - for standard output",
        json_flag=False,
    )  # fmt: skip
    export.add_argument("file", metavar="FILE")
    export.add_argument("--id", help=f"only this proposal: {ID_HELP}")

    importing = command(
        "import", _import, "read a JSON Lines export (FILE, or - for standard input) into the log, verified, "
        "all or nothing", json_flag=False,
    )  # fmt: skip
    importing.add_argument("file", metavar="FILE")

    parse = command(
        "parse",
        _parse,
        "read a 会办意见 or 答复 letter, or a feedback form (征询意见表) filled in (a text file, a Word .docx, "
        "or - for standard input); exits with 1 if nothing of one is found",
        db=False,
    )
    parse.add_argument("file", metavar="FILE")
    parse.add_argument(
        "--encoding",
        default="utf-8",
        help="the encoding FILE was saved in (default utf-8; gb18030 for a page saved on Chinese "
        "Windows); a file that begins with UTF-16's byte-order mark is read as UTF-16",
    )

    render = command(
        "render",
        _render,
        "write a proposal's reply or opinion as an official letter, or the feedback form that goes with the reply",
        json_flag=False,
    )
    render.add_argument("id", metavar="ID", help=ID_HELP)
    render.add_argument(
        "--kind",
        choices=("reply", "opinion", "feedback-form"),
        default="reply",
        help="a reply (答复; the default), a co-handler's opinion (会办意见), or the feedback form (征询意见表) that goes with the reply",
    )
    render.add_argument(
        "--unit",
        help="the co-handler whose opinion to write, or in separate handling (分办) the unit whose "
        "reply (or whose reply's feedback form) to write",
    )
    render.add_argument("--docx", metavar="PATH", help="write a Word document instead of printing text")

    command("diagram", _diagram, "the proposal lifecycle as a Mermaid diagram", db=False, json_flag=False)
    return parser


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cycle collector for one command, then restore it as it was.

    A command reads the log into many objects at once (every proposal's events and state, a
    few hundred proposals per query), and none of them holds a reference cycle: they are freed
    as soon as the command is done with them. The collector finds nothing among them, yet it
    walks them again and again as they pile up: on a log of 20,000 proposals, `cohandle
    overdue` took 1.32 times as long with it running (benchmarks/cli.py). Nothing the commands
    make is left to it to free (a test holds what it would find to the same few hundred
    objects, the parser's, for a log of 5 proposals and of 25)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_NAMING = {
    "db": "a SQLite file or a PostgreSQL URL",
    "policy": "a preset or a policy .toml",
    "schedules": "a file",
    "anchor": "a file",
    "docx": "a file",
    "id": "a proposal",
    "schema": "a PostgreSQL schema",
}


def _options_named(args: argparse.Namespace) -> None:
    """Refuse an option given empty (a script's unset variable), which would otherwise be taken
    as not given at all: the default database, no anchor to check, the letter on standard
    output. ``--unit`` is read as units' names are kept (``Unit.name``: 省人民政府(办公厅) as
    省人民政府（办公厅）, without the spaces around it)."""
    for option, what in _NAMING.items():
        if getattr(args, option, None) == "":
            positional = option == "id" and args.command != "export"  # show ID, render ID
            raise cohandle.InvalidInput(
                "ID" if positional else f"--{option}", f"must name {what}, but it is empty"
            )
    if getattr(args, "unit", None) is None:
        return
    try:
        args.unit = cohandle.Unit(name=args.unit).name
    except cohandle.InvalidInput:  # blank
        raise cohandle.InvalidInput("--unit", "must name a unit, but it is empty") from None


def _printable_anywhere() -> None:
    """A terminal or a file in an encoding other than UTF-8 (GBK, on an older Chinese server or
    console) cannot hold every character a log may: a rare one in a name (生僻字, such as 𠮷)
    is printed as its escape (\\U00020bb7), not left to stop the command with a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and codecs.lookup(stream.encoding).name != "utf-8":
            stream.reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    _printable_anywhere()
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:  # said by the command's own parser, whose usage lists the options it does take
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        _options_named(args)
        with _collector_paused():
            code: int = args.run(args)
    except cohandle.CohandleError as exc:
        print(f"cohandle: {shown(' '.join(str(exc).split()))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cohandle: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return code
