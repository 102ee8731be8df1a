"""The ``cohandle`` command through its real entry point, for every command."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cohandle
from helpers import A_COMMITTEE, A_LEAD, LEAD, PROPOSERS, data, receive, reply, rewrite_with_hashes, today

NOW = "2023-07-21T09:00:00+08:00"
SEED_ID = "cppcc-湖北省-13-1-20230519"


def run(
    *args: str,
    db: Path | None = None,
    stdin: str | None = None,
    cwd: Path | None = None,
    variables: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("COHANDLE_DB", "COHANDLE_POLICY", "COHANDLE_SCHEDULES", "COHANDLE_SCHEMA")
    }
    if db is not None:
        env["COHANDLE_DB"] = str(db)
    env.update(variables or {})
    return subprocess.run(
        [sys.executable, "-m", "cohandle", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        input=stdin,
        cwd=cwd,
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, result
    assert result.stderr.startswith("cohandle: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "demo.db"
    result = run("demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db


def test_demo_records_the_seed_case_into_a_fresh_database(demo_db: Path) -> None:
    again = run("demo", "--db", str(demo_db))
    assert "names an existing file" in one_line_error(again)


def test_demo_prints_what_happened(tmp_path: Path) -> None:
    result = run("demo", "--db", str(tmp_path / "d.db"))
    assert "湖北省政协十三届一次会议 第20230519号提案《关于促进基础研发的建议》" in result.stdout
    assert "OpinionSubmitted       杨鑫 (湖北省知识产权局)" in result.stdout
    assert "OpinionReturned" in result.stdout and "RehandlingOrdered" in result.stdout
    assert "The log is intact: 53 events in 5 proposals" in result.stdout


def test_show_prints_parties_deadlines_and_timeline(demo_db: Path) -> None:
    text = run("show", "cppcc-湖北省-13-1-20230233", "--now", NOW, db=demo_db).stdout
    assert "主办单位  省教育厅 (签收 2023-02-21)" in text
    assert "省财政厅  会办意见            2023-03-20  逾期完成" in text
    data = json.loads(run("show", SEED_ID, "--now", NOW, "--json", db=demo_db).stdout)
    assert data["status"] == "closed" and data["timeline"][0]["type"] == "ProposalReceived"
    assert data["timeline"][0]["label"] == "收到"
    assert any(
        line.split()[:4] == ["8", "2023-04-03", "会办意见", "OpinionSubmitted"] for line in text.splitlines()
    )
    assert {"kind": "reply", "party": "省科技厅"}.items() <= data["deadlines"][2].items() or any(
        d["kind"] == "reply" and d["status"] == "met" for d in data["deadlines"]
    )


def test_show_lists_deadlines_by_the_day_they_fall_due(demo_db: Path) -> None:
    # they were listed as they were set: a unit's publication after the proposers' feedback
    # due days later, the other unit's publication after that
    text = run("show", "cppcc-湖北省-13-1-20230412", "--now", NOW, db=demo_db).stdout
    lines = text.split("责任方")[1].split("\n\n")[0].splitlines()[2:]
    days = [line.split()[2] for line in lines]  # 责任方, 事项, 期限, 状态
    assert len(days) == 7 and days == sorted(days)
    data = json.loads(run("show", "cppcc-湖北省-13-1-20230412", "--now", NOW, "--json", db=demo_db).stdout)
    assert sorted(d["due"] for d in data["deadlines"]) == days  # --json keeps the order they were set in


def test_show_prints_countersignatures_reviews_and_reports_on_implementation(demo_db: Path) -> None:
    text = run("show", "cppcc-湖北省-13-1-20230233", "--now", NOW, db=demo_db).stdout
    assert "会办单位  省财政厅 (已报送意见, 签收 2023-02-23, 会签 2023-04-28)" in text
    assert "日期        审核人                   答复单位  答复类别   审核意见" in text
    assert "2023-05-08  王芳 (省政协提案委员会)  省教育厅  A类 → B类  补充教师计划正在实施,按B类统计" in text
    data = json.loads(run("show", "cppcc-湖北省-13-1-20230233", "--now", NOW, "--json", db=demo_db).stdout)
    assert data["reviews"] == [
        {
            "date": "2023-05-08",
            "reviewer": "王芳 (省政协提案委员会)",
            "unit": "省教育厅",
            "category_before": "A",
            "category": "B",
            "note": "补充教师计划正在实施,按B类统计",
        }
    ]
    assert data["reports"] == []
    assert data["countersigned"] == [{"unit": "省财政厅", "date": "2023-04-28", "note": "同意答复意见"}]
    text = run("show", "cppcc-湖北省-13-1-20230377", db=demo_db).stdout
    assert "2023-11-20  省交通运输厅  A类         新开通城乡公交衔接线路3条,换乘站点已投入使用。" in text
    assert "审核人" not in text
    data = json.loads(run("show", "cppcc-湖北省-13-1-20230377", "--json", db=demo_db).stdout)
    assert data["reports"][0]["category"] == "A" and data["reviews"] == []


def test_show_prints_publications(demo_db: Path) -> None:
    text = run("show", SEED_ID, db=demo_db).stdout
    assert any(line.split() == ["2023-07-21", "省科技厅", "全文公开", "—"] for line in text.splitlines())
    data = json.loads(run("show", SEED_ID, "--json", db=demo_db).stdout)
    assert data["publications"] == [{"date": "2023-07-21", "unit": "省科技厅", "form": "full", "url": None}]
    assert "公开方式" not in run("show", "cppcc-湖北省-13-1-20230233", db=demo_db).stdout  # not published


def test_show_of_an_unknown_proposal(demo_db: Path) -> None:
    assert "No proposal with id 'nope'" in one_line_error(run("show", "nope", db=demo_db))


def test_list_filters(demo_db: Path) -> None:
    everything = json.loads(run("list", "--json", db=demo_db).stdout)
    assert len(everything) == 5
    closed = json.loads(run("list", "--state", "closed", "--json", db=demo_db).stdout)
    assert {p["number"] for p in closed} == {"20230519", "20230377"}
    finance = json.loads(run("list", "--unit", "省财政厅", "--json", db=demo_db).stdout)
    assert {p["number"] for p in finance} == {"20230233", "20230412"}
    npc = json.loads(run("list", "--session", "npc-湖北省-14-1", "--json", db=demo_db).stdout)
    assert [p["number"] for p in npc] == ["1025"]
    assert "5 件" in run("list", db=demo_db).stdout
    bad = one_line_error(run("list", "--state", "lost", db=demo_db))
    assert bad.startswith("cohandle: --state must be one of received (已收到), filed (已立案),")
    assert "(got 'lost')" in bad
    assert one_line_error(run("list", "--state", "answerd", db=demo_db)).endswith("; perhaps answered.\n")
    # a state as the lists print it
    assert (
        run("list", "--state", "已办结", "--json", db=demo_db).stdout
        == json.dumps(closed, ensure_ascii=False) + "\n"
    )
    assert one_line_error(run("list", "--state", "已答", db=demo_db)).endswith("; perhaps 已答复.\n")


def test_an_unknown_option_is_refused_with_the_command_s_own_usage(tmp_path: Path) -> None:
    # argparse says so through the top-level parser, whose usage names no option of the command
    db = tmp_path / "none.db"
    days = run("due", "--days", "5", db=db)
    assert days.returncode == 2 and not db.exists()
    assert days.stderr.startswith("usage: cohandle due ") and "--within WITHIN" in days.stderr
    assert days.stderr.endswith("cohandle due: error: unrecognized arguments: --days 5\n")
    extra = run("show", SEED_ID, "again", db=db)
    assert extra.returncode == 2 and extra.stderr.startswith("usage: cohandle show ")
    assert extra.stderr.endswith("cohandle show: error: unrecognized arguments: again\n")


def test_list_what_a_term_left_unfinished(demo_db: Path) -> None:
    # at a change of term (换届) every item not yet finished must still be answered
    unfinished = json.loads(
        run("list", "--open", "--session", "cppcc-湖北省-13", "--json", db=demo_db).stdout
    )
    assert [(p["number"], p["status"]) for p in unfinished] == [
        ("20230233", "answered"),
        ("20230412", "answered"),
    ]
    assert len(json.loads(run("list", "--open", "--json", db=demo_db).stdout)) == 3  # and 1025, assigned
    either = json.loads(run("list", "--state", "closed", "--state", "assigned", "--json", db=demo_db).stdout)
    assert {p["number"] for p in either} == {"20230519", "20230377", "1025"}
    assert len(json.loads(run("list", "--session", "cppcc", "--json", db=demo_db).stdout)) == 4
    # the session as `show` prints it, or the start of that name for the term
    for name in ("湖北省政协十三届", "湖北省政协十三届一次会议", "湖北省政协第十三届委员会第一次会议"):
        named = json.loads(run("list", "--open", "--session", name, "--json", db=demo_db).stdout)
        assert named == unfinished, name
    stats = json.loads(run("stats", "--session", "湖北省十四届人大一次会议", "--json", db=demo_db).stdout)
    assert stats["received"] == 1
    refused = one_line_error(run("list", "--session", "省政协十三届", db=demo_db))
    assert "--session names no region: '省政协十三届' could be any province's" in refused
    assert json.loads(run("list", "--session", "cppcc-湖北省-1", "--json", db=demo_db).stdout) == []
    for command in ("list", "stats"):
        refused = one_line_error(run(command, "--session", "湖北省-13", db=demo_db))
        assert "--session must be a session key such as cppcc-湖北省-13-1, or its start" in refused
        assert "(got '湖北省-13')" in refused
    refused = one_line_error(run("list", "--open", "--state", "merged", "--state", "closed", db=demo_db))
    assert (
        "--open lists only proposals not yet finished, but --state asks for closed and merged ones" in refused
    )
    term = json.loads(run("stats", "--session", "cppcc-湖北省-13", "--json", db=demo_db).stdout)
    assert term["received"] == 4


def test_due_overdue_and_reminders(demo_db: Path) -> None:
    # as 10 May began: the replies of 20230377 and of 20230412's two units, sent later that
    # month, were due within ten working days, and so were 1025's and 20230519's (sent that day)
    due = json.loads(run("due", "--within", "10wd", "--now", "2023-05-10", "--json", db=demo_db).stdout)
    assert [(d["number"], d["party"]) for d in due] == [
        ("20230377", "省交通运输厅"),
        ("20230412", "省住房和城乡建设厅"),
        ("20230412", "省财政厅"),
        ("20230519", "省科技厅"),
        ("1025", "省科技厅"),
    ]
    assert {d["kind"] for d in due} == {"reply"}
    assert "5 项" in run("due", "--within", "20d", "--now", "2023-05-10", db=demo_db).stdout
    later = json.loads(
        run("due", "--within", "10wd", "--now", "2023-05-10 17:00", "--json", db=demo_db).stdout
    )
    assert "20230519" not in {d["number"] for d in later}  # by the afternoon it was sent
    # as an official writes it: 工作日 are working days, 日 and 天 calendar days
    for within, same_as in (
        ("10个工作日", "10wd"),
        ("１０工作日", "10wd"),
        ("20日", "20d"),
        ("20 天", "20d"),
    ):
        assert run("due", "--within", within, "--now", "2023-05-10", "--json", db=demo_db).stdout == (
            run("due", "--within", same_as, "--now", "2023-05-10", "--json", db=demo_db).stdout
        )
    assert "must be a number of working days" in one_line_error(run("due", "--within", "soon", db=demo_db))
    assert (
        "--now must be a day or a time, such as 2023-05-01, 2023年5月1日, 2023-05-01 09:00 (Beijing time) "
        "or 2023-05-01T09:00:00+08:00 (got '')"
    ) in one_line_error(run("due", "--now", "", db=demo_db))
    # as an official writes a day or a time: Beijing time unless it names its zone
    for written, same_as in (
        ("2023年9月1日", "2023-09-01"),
        ("２０２３年９月１日", "2023-09-01"),
        ("2023/9/1", "2023-09-01"),
        ("2023.9.1", "2023-09-01"),
        ("2023-06-05 17:30", "2023-06-05T17:30:00+08:00"),
        ("2023年6月5日 17时30分", "2023-06-05T17:30:00+08:00"),
        ("2023-06-05T17:30", "2023-06-05T17:30:00+08:00"),
    ):
        assert run("overdue", "--now", written, "--json", db=demo_db).stdout == (
            run("overdue", "--now", same_as, "--json", db=demo_db).stdout
        ), written
    for wrong in ("2023年13月1日", "2023年6月5日 25时", "2023年6月"):
        assert "--now must be a day or a time, such as 2023-05-01" in one_line_error(
            run("overdue", "--now", wrong, db=demo_db)
        ), wrong
    overdue = json.loads(run("overdue", "--now", NOW, "--json", db=demo_db).stdout)
    assert [i["kind"] for i in overdue["省科技厅"]] == ["reply"]
    # the same kind owed twice by one proposal (a publication per reply) is told apart by its day
    table = run("overdue", "--now", "2023-09-01", db=demo_db).stdout
    assert "20230377(答复公开 2023-06-09)、" in table and "20230377(答复公开 2023-08-07)" in table
    reminders = json.loads(run("reminders", "--now", NOW, "--json", db=demo_db).stdout)
    assert {r["level"] for r in reminders} == {"escalate", "remind"}
    assert all(r["level"] == "remind" for r in reminders if r["party"] == "提案者")
    refused = one_line_error(run("reminders", "--policy", "nowhere", db=demo_db))
    assert refused.startswith("cohandle: --policy must be one of generic, ") and "(got 'nowhere')" in refused
    done = subprocess.run(  # the preset named by the environment is named as the environment's
        [sys.executable, "-m", "cohandle", "reminders", "--db", str(demo_db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COHANDLE_POLICY": "nowhere"},
    )
    assert one_line_error(done).startswith("cohandle: COHANDLE_POLICY must be one of generic, ")


def test_what_one_unit_owes_and_what_one_session_owes(demo_db: Path) -> None:
    def owed(*options: str) -> Any:
        return json.loads(run(*options, "--json", db=demo_db).stdout)

    due = owed("due", "--within", "10wd", "--now", "2023-05-10", "--unit", "省财政厅")
    assert [(d["number"], d["party"]) for d in due] == [("20230412", "省财政厅")]
    due = owed("due", "--within", "10wd", "--now", "2023-05-10", "--session", "cppcc-湖北省-13")
    assert [d["number"] for d in due] == ["20230377", "20230412", "20230412", "20230519"]  # not 1025
    assert owed("due", "--within", "10wd", "--now", "2023-05-10", "--unit", "省科技所") == []
    overdue = owed("overdue", "--now", "2023-08-30", "--unit", "省教育厅")
    assert {party: [i["number"] for i in items] for party, items in overdue.items()} == {
        "省教育厅": ["1025", "20230233"]
    }
    overdue = owed("overdue", "--now", "2023-08-30", "--session", "npc-湖北省-14", "--unit", "省教育厅")
    assert {party: [i["number"] for i in items] for party, items in overdue.items()} == {"省教育厅": ["1025"]}
    reminders = owed("reminders", "--now", "2023-08-30", "--unit", "提案者")
    assert [(r["number"], r["level"]) for r in reminders] == [("20230233", "remind"), ("20230412", "remind")]
    # 1025 is a key proposal, already supervised (督办): its late units are reminded, not escalated
    reminders = owed("reminders", "--now", "2023-08-30", "--session", "npc")
    assert [(r["party"], r["kind"], r["level"]) for r in reminders] == [
        ("省教育厅", "co_handler_opinion", "remind"),
        ("省科技厅", "reply", "remind"),
    ]
    for command in ("due", "overdue", "reminders"):
        refused = one_line_error(run(command, "--session", "14", db=demo_db))
        assert "--session must be a session key such as cppcc-湖北省-13-1" in refused


def test_unit_is_a_units_name_as_kept_and_never_empty(demo_db: Path) -> None:
    # a unit's name is kept without the spaces around it, so --unit is read the same way; an
    # empty one (a script's unset variable) filtered nothing in list and everything in due
    listed = json.loads(run("list", "--unit", " 省财政厅 ", "--json", db=demo_db).stdout)
    assert listed and listed == json.loads(run("list", "--unit", "省财政厅", "--json", db=demo_db).stdout)
    due = json.loads(
        run(
            "due", "--within", "10wd", "--now", "2023-05-10", "--unit", "　省财政厅", "--json", db=demo_db
        ).stdout
    )
    assert [(d["number"], d["party"]) for d in due] == [("20230412", "省财政厅")]
    # nor the spaces a page pads a name with, nor a zero-width space copied with it
    assert listed == json.loads(run("list", "--unit", "省 财政厅\u200b", "--json", db=demo_db).stdout)
    for command in (["list"], ["due"], ["overdue"], ["reminders"], ["render", SEED_ID]):
        for empty in ("", "  "):
            refused = one_line_error(run(*command, "--unit", empty, db=demo_db))
            assert refused == "cohandle: --unit must name a unit, but it is empty.\n", command


def test_a_unit_no_proposal_names_is_noted_with_the_names_nearest(demo_db: Path) -> None:
    # a mistyped name lists nothing, as a unit that owes nothing does; the note tells them apart
    for command in (["list"], ["due"], ["overdue"], ["reminders"]):
        typo = run(*command, "--unit", "省财政局", db=demo_db)
        assert typo.returncode == 0 and typo.stdout.rstrip().endswith(("0 件", "0 项", "0 项逾期", "0 条"))
        assert (
            typo.stderr == "cohandle: note: no proposal in the log names a unit 省财政局; perhaps 省财政厅\n"
        )
        assert run(*command, "--unit", "省财政厅", db=demo_db).stderr == ""
        nowhere = run(*command, "--unit", "省财政厅", "--session", "npc-湖北省-14", db=demo_db)
        assert (
            nowhere.stderr == "cohandle: note: no proposal of --session npc-湖北省-14 names a unit 省财政厅\n"
        )
    # the proposers are a party of the boards, and the assigning body a unit a proposal names
    for command in (["due"], ["overdue"], ["reminders"]):
        for party in ("提案者", "代表", "省政协提案委员会"):
            assert run(*command, "--unit", party, db=demo_db).stderr == "", (command, party)
    assert "names a unit 无此单位\n" in run("due", "--unit", "无此单位", db=demo_db).stderr  # none near
    # a session the log holds nothing of is said so, once, whatever the unit
    for command in (["list"], ["due"], ["overdue"], ["reminders"]):
        for unit in ([], ["--unit", "省财政厅"]):
            stray = run(*command, "--session", "cppcc-湖北省-31", *unit, db=demo_db)
            assert stray.stderr == "cohandle: note: the log holds no proposal of --session cppcc-湖北省-31\n"
        assert run(*command, "--session", "cppcc-湖北省-13", db=demo_db).stderr == ""


@pytest.mark.parametrize(
    ("command", "option", "what"),
    [
        (["verify"], "--anchor", "a file"),  # was: verified without an anchor
        (["render", SEED_ID], "--docx", "a file"),  # was: the letter on standard output
        (["recount"], "--schedules", "a file"),  # was: no schedules
        (["recount"], "--policy", "a preset or a policy .toml"),  # was: the default policy
        (["export", "-"], "--id", "a proposal"),
        (["list"], "--db", "a SQLite file or a PostgreSQL URL"),  # was: $COHANDLE_DB or ./cohandle.db
    ],
)
def test_an_option_given_empty_is_refused_not_taken_as_not_given(
    demo_db: Path, command: list[str], option: str, what: str
) -> None:
    # a script's unset variable ("--anchor $ANCHOR") must not quietly do less than it asked
    done = run(*command, option, "", db=demo_db)
    assert one_line_error(done) == f"cohandle: {option} must name {what}, but it is empty.\n"
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["show", ""], "ID must name a proposal"),  # was: --id, an option show does not have
        (["render", ""], "ID must name a proposal"),
        (["export", ""], "FILE must name a file"),  # was: "or be a binary file object (got '', a str)"
    ],
)
def test_an_argument_given_empty_is_named_as_the_command_names_it(
    demo_db: Path, command: list[str], said: str
) -> None:
    assert one_line_error(run(*command, db=demo_db)) == f"cohandle: {said}, but it is empty.\n"


def test_the_notes_show_what_would_act_on_a_terminal_as_its_escape(tmp_path: Path) -> None:
    # a unit's name kept with an escape sequence, and one typed so, are named in the note as
    # everything cohandle prints names them: the escape shown, not done to the terminal
    import cohandle

    db = tmp_path / "log.db"
    odd = cohandle.Unit(name="省财政厅\x1b[2J")
    with cohandle.Workflow.open(db) as wf:
        pid = receive(wf)
        wf.assign(pid, lead=odd, actor=A_COMMITTEE)
        wf.answer(pid, reply=reply(author=odd, date=today(wf)), actor=cohandle.Actor(name="周杰", unit=odd))
    said = run("list", "--unit", "省财政厅", db=db).stderr
    assert (
        said == "cohandle: note: no proposal in the log names a unit 省财政厅; perhaps 省财政厅\\u001b[2J\n"
    )
    assert "\x1b" not in run("due", "--unit", "\x1b[31m省财政厅", db=db).stderr
    assert "\x1b" not in run("list", "--session", "cppcc-\x1b[31m", db=db).stderr


@pytest.mark.parametrize(
    ("command", "variable", "what"),
    [
        (["import", "-"], "COHANDLE_DB", "a SQLite file or a PostgreSQL URL"),  # was: ./cohandle.db made
        (["list"], "COHANDLE_DB", "a SQLite file or a PostgreSQL URL"),
        (["reminders", "--db", "DEMO"], "COHANDLE_POLICY", "a preset or a policy .toml"),
        (["due", "--db", "DEMO"], "COHANDLE_SCHEDULES", "a file"),
        (["list", "--db", "postgresql://nobody@127.0.0.1:1/none"], "COHANDLE_SCHEMA", "a PostgreSQL schema"),
    ],
)
def test_a_variable_set_empty_is_refused_not_taken_as_not_set(
    demo_db: Path, tmp_path: Path, command: list[str], variable: str, what: str
) -> None:
    # `COHANDLE_DB=$DB cohandle import -` with $DB unset imported into ./cohandle.db
    command = [str(demo_db) if part == "DEMO" else part for part in command]
    done = run(*command, cwd=tmp_path, stdin="", variables={variable: ""})
    said = f"cohandle: {variable} must name {what}, but it is set and empty; unset it for the default.\n"
    assert one_line_error(done) == said
    assert done.stdout == "" and list(tmp_path.iterdir()) == []


def test_now_in_the_past_reads_the_log_as_it_stood_then(demo_db: Path) -> None:
    # on 30 March the opinions of 20230519 and 20230233 were late; both came in April
    overdue = json.loads(run("overdue", "--now", "2023-03-30", "--json", db=demo_db).stdout)
    assert {party: [i["number"] for i in items] for party, items in overdue.items()} == {
        "湖北省知识产权局": ["20230519"],
        "省教育厅": ["1025"],
        "省财政厅": ["20230233"],
    }
    shown = run("show", "cppcc-湖北省-13-1-20230233", "--now", "2023-03-30", db=demo_db).stdout
    assert "省财政厅 (办理中, 签收 2023-02-23)" in shown and "省教育厅 (签收 2023-02-21)" in shown
    assert "ReminderIssued" in shown and "OpinionSubmitted" not in shown
    before = run("show", "cppcc-湖北省-13-1-20230233", "--now", "2023-02-22", "--json", db=demo_db).stdout
    assert json.loads(before)["signed"] == [{"unit": "省教育厅", "date": "2023-02-21"}]
    listed = json.loads(
        run("list", "--now", "2023-03-30", "--state", "assigned", "--json", db=demo_db).stdout
    )
    assert len(listed) == 5  # every item was still being handled then
    then = json.loads(run("stats", "--now", "2023-04-30", "--json", db=demo_db).stdout)
    assert (then["received"], then["assigned"], then["replied"]) == (5, 5, 0)
    assert (
        "--now is 2023-01-01, the start of that day, before proposal 'npc-湖北省-14-1-1025' was received"
        in (one_line_error(run("show", "npc-湖北省-14-1-1025", "--now", "2023-01-01", db=demo_db)))
    )

    # a day is read as the library reads it: at its start, before what is dated that day (the
    # seed case's reply, of 10 May); a time, by that instant
    def status_then(now: str) -> str:
        shown = json.loads(run("show", SEED_ID, "--now", now, "--json", db=demo_db).stdout)
        return str(shown["status"])

    assert status_then("2023-05-10") == "consolidated"
    assert status_then("2023年5月11日") == status_then("2023-05-10 00:00") == "answered"
    by_day = json.loads(
        run("list", "--now", "2023-05-10", "--state", "answered", "--json", db=demo_db).stdout
    )
    assert SEED_ID not in {item["id"] for item in by_day}
    # without --now, the log as it stands
    assert "OpinionSubmitted" in run("show", "cppcc-湖北省-13-1-20230233", db=demo_db).stdout


def test_due_counts_days_without_a_calendar_and_later_years_by_their_schedules(
    demo_db: Path, tmp_path: Path
) -> None:
    # calendar days need no holiday schedule, even where the window reaches a year without one
    for within in ("10d", "40d", "10wd"):
        assert run("due", "--within", within, "--now", "2026-12-28", db=demo_db).returncode == 0
    # a count of working days into such a year says, on standard error, how it was counted
    note = "note: 2027 has no official holiday schedule here, so working days were counted by the statutory holidays alone"
    assert note in run("due", "--within", "10wd", "--now", "2026-12-28", db=demo_db).stderr
    assert note in run("reminders", "--now", "2027-03-01", db=demo_db).stderr
    assert "note" not in run("due", "--within", "10d", "--now", "2026-12-28", db=demo_db).stderr
    # a window over many such years names them as a span, not one by one
    far = run("due", "--within", "2000wd", "--now", "2026-12-28", db=demo_db).stderr
    assert "note: 2027-2035 have no official holiday schedule here" in far and "2030" not in far
    assert "note" not in run("due", "--within", "10wd", "--now", "2025-12-01", db=demo_db).stderr
    later = tmp_path / "later.toml"
    later.write_text('[2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', encoding="utf-8")
    given = run("due", "--within", "10wd", "--now", "2026-12-28", "--schedules", str(later), db=demo_db)
    assert given.returncode == 0 and "note" not in given.stderr
    # 1025's reply is due on Wednesday 24 May 2023: one working day from Monday ends on Tuesday
    assert "0 项" in run("due", "--within", "1wd", "--now", "2023-05-22", db=demo_db).stdout
    schedule = tmp_path / "schedules.toml"
    schedule.write_text('[2023]\nholidays = ["2023-05-23"]\nworkdays = []\n', encoding="utf-8")
    with_schedule = run(
        "due", "--within", "1wd", "--now", "2023-05-22", "--schedules", str(schedule), db=demo_db
    )
    assert "1025" in with_schedule.stdout and "1 项" in with_schedule.stdout
    for command in ("due", "reminders"):
        missing = run(command, "--schedules", str(tmp_path / "none.toml"), db=demo_db)
        assert one_line_error(missing) == (  # as every file that cannot be read is said
            f"cohandle: --schedules cannot be read (No such file or directory: {tmp_path / 'none.toml'}).\n"
        )


@pytest.mark.parametrize(
    "args",
    [
        ("anchor", "a\x00b"),
        ("verify", "--anchor", "a\x00b"),
        ("reminders", "--policy", "a\x00b.toml"),
        ("due", "--schedules", "a\x00b"),
        ("export", "a\x00b"),
    ],
)
def test_a_file_name_holding_a_nul_is_a_one_line_error(
    args: tuple[str, ...], demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a command line cannot carry a NUL, but a program calling main() can pass one
    from cohandle._cli import main

    assert main([*args, "--db", str(demo_db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cohandle: ") and err.count("\n") == 1, err
    assert "holds a NUL character, which no file name can hold" in err


def test_dates_out_of_range_are_one_line_errors(demo_db: Path) -> None:
    assert "--within reaches past 9999-12-31" in one_line_error(
        run("due", "--within", "99999999999d", db=demo_db)
    )
    assert "--within would end outside" in one_line_error(run("due", "--within", "99999999999wd", db=demo_db))
    for command in ("due", "overdue", "reminders", "stats"):
        result = run(command, "--now", "0001-01-01", db=demo_db)
        assert "--now is too near 0001-01-01 or 9999-12-31" in one_line_error(result)


def test_stats(demo_db: Path) -> None:
    data = json.loads(run("stats", "--now", NOW, "--json", db=demo_db).stdout)
    assert (data["received"], data["assigned"], data["replied"]) == (5, 5, 4)
    assert data["reply_rate_pct"] == 80.0
    # 20230233 answered A, and the committee's review (审核) counts it as B
    assert data["categories"] == {"A": 2, "B": 3} and data["categories_now"] == {"A": 2, "B": 3}
    assert (data["replies_reviewed"], data["changed_in_review"], data["implementation_reported"]) == (1, 1, 0)
    text = run("stats", "--now", NOW, db=demo_db).stdout
    assert "办复率                    80.0%" in text
    assert "审核答复 / 调整类别       1 / 1" in text and "报告落实情况" not in text
    # in November 20230377's B was solved, as its report on implementation (落实情况) says
    later = run("stats", "--now", "2023-12-01", db=demo_db).stdout
    assert "报告落实情况              1" in later and "现A类                     3" in later
    assert (data["contacted"], data["met"], data["meeting_rate_pct"]) == (0, 0, 0.0)  # none recorded
    assert run("stats", "--year", "2023", db=demo_db).stderr == ""
    # a year or a session that holds nothing (23 for 2023) is noted, where it gave zeros unsaid
    short = run("stats", "--year", "23", db=demo_db)
    assert short.returncode == 0 and "收到                      0" in short.stdout
    assert short.stderr == "cohandle: note: the log holds no proposal received in 23\n"
    both = run("stats", "--session", "npc-湖北省-15", "--year", "2023", db=demo_db).stderr
    assert both == "cohandle: note: the log holds no proposal of --session npc-湖北省-15 received in 2023\n"
    assert one_line_error(run("stats", "--year", "0", db=demo_db)).startswith(
        "cohandle: --year must be a whole number from 1"
    )
    assert "沟通率 / 见面率           0.0% / 0.0%" in text
    only_npc = json.loads(run("stats", "--session", "npc-湖北省-14-1", "--json", db=demo_db).stdout)
    assert only_npc["received"] == 1
    assert json.loads(run("stats", "--year", "2020", "--json", db=demo_db).stdout)["received"] == 0
    for written in ("2023年", "２０２３", "二〇二三年"):  # as an official writes a year
        assert run("stats", "--year", written, "--json", db=demo_db).stdout == (
            run("stats", "--year", "2023", "--json", db=demo_db).stdout
        ), written
    assert one_line_error(run("stats", "--year", "去年", db=demo_db)) == (
        "cohandle: --year must be a year, such as 2023 or 2023年 (got '去年').\n"
    )


def damaged_copy(demo_db: Path, copy: Path) -> Path:
    """A copy of the demo database with a name changed by hand in the seed case's version 5."""
    copy.write_bytes(demo_db.read_bytes())
    con = sqlite3.connect(copy)
    con.execute(
        "UPDATE events SET payload = replace(payload, '杨鑫', '杨森') WHERE stream_id = ? AND version = 5",
        (SEED_ID,),
    )
    con.commit()
    con.close()
    return copy


def on_terminal(command: list[str], env: dict[str, str], *, stream: str) -> tuple[int, str]:
    """Run ``cohandle`` with its ``stream`` ("stdout" or "stderr") on a pseudo-terminal, the
    other thrown away: its return code, and what the terminal was sent."""
    import pty

    leader, follower = pty.openpty()
    out, err = (follower, subprocess.DEVNULL) if stream == "stdout" else (subprocess.DEVNULL, follower)
    with subprocess.Popen(
        [sys.executable, "-m", "cohandle", *command], stdout=out, stderr=err, env=env
    ) as child:
        os.close(follower)
        shown = b""
        with contextlib.suppress(OSError):  # the terminal's end is gone once the child exits
            while chunk := os.read(leader, 1024):
                shown += chunk
    os.close(leader)
    return child.returncode, shown.decode()


def test_progress_is_redrawn_on_a_terminal_and_written_in_lines_to_a_file_or_pipe(demo_db: Path) -> None:
    env = {**os.environ, "COHANDLE_DB": str(demo_db)}
    command = [sys.executable, "-m", "cohandle", "verify"]
    piped = subprocess.run(command, capture_output=True, env=env, check=True)  # bytes: \r kept
    # a scheduled job's log: a line each time
    assert piped.stderr == b"verified events: 53\nproposals read back: 5\n"
    code, shown = on_terminal(["verify"], env, stream="stderr")
    assert code == 0
    # redrawn in place, each count on a line of its own
    assert shown.replace("\r\n", "\n") == "\rverified events: 53\n\rproposals read back: 5\n"


def test_an_import_on_a_terminal_ends_the_checking_line_before_the_storing_one(
    demo_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "log.jsonl"
    assert run("export", str(out), db=demo_db).returncode == 0
    env = {**os.environ, "COHANDLE_DB": str(tmp_path / "copy.db")}
    code, shown = on_terminal(["import", str(out)], env, stream="stderr")
    assert code == 0
    assert shown.replace("\r\n", "\n") == (
        "\rchecked lines: 53\n\rstored events: 53\n\rproposals read back: 5\n"
    )


def test_verify_with_progress_and_damage(demo_db: Path, tmp_path: Path) -> None:
    ok = run("verify", db=demo_db)
    assert ok.returncode == 0 and "intact" in ok.stdout and "verified events: 53" in ok.stderr
    assert ok.stdout.endswith("every hash chain verified, and every proposal read back.\n")
    quick = run("verify", "--chains-only", "--json", db=demo_db)
    assert json.loads(quick.stdout)["read_back"] is False and "read back" not in quick.stderr
    damaged = run("verify", "--json", db=damaged_copy(demo_db, tmp_path / "copy.db"))
    assert damaged.returncode == 1
    assert f"proposal '{SEED_ID}', version 5" in json.loads(damaged.stdout)["problem"]


def test_verify_reads_every_proposal_back_unless_told_to_check_the_chains_only(tmp_path: Path) -> None:
    # a proposal appended through the store, closed as soon as it was received: its chain holds,
    # and `verify` said "The log is intact" while `list` and `stats` could not read the log
    from cohandle.stores import SQLiteStore
    from test_tamper import _closed_as_soon_as_received

    path = tmp_path / "unreadable.db"
    with SQLiteStore(path) as store:
        pid = _closed_as_soon_as_received(store)
    found = run("verify", db=path)
    assert found.returncode == 1
    assert found.stdout == (
        "Every hash chain of the log holds (9 events in 2 proposals), but it cannot be read at "
        f"proposal '{pid}', version 2: ProposalClosed cannot happen while the proposal is received.\n"
    )
    assert run("verify", "--chains-only", db=path).returncode == 0
    refused = run("anchor", str(tmp_path / "anchor.json"), db=path)
    assert refused.returncode == 1 and "no anchor was written" in refused.stderr
    assert not (tmp_path / "anchor.json").exists()


def test_anchor_then_verify_against_it(demo_db: Path, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    written = run("anchor", str(anchor), db=demo_db)
    assert written.returncode == 0 and "Anchored 5 proposals" in written.stdout, written.stderr
    heads = json.loads(anchor.read_text(encoding="utf-8"))["heads"]
    assert heads[SEED_ID][0] == 11 and heads[SEED_ID][1].startswith("sha256:")
    ok = run("verify", "--anchor", str(anchor), db=demo_db)
    assert ok.returncode == 0 and "the anchor's 5 proposals all found" in ok.stdout
    # the seed case's last event rewritten and its hash recomputed, and the head moved with it:
    # the chain holds, and only the anchor shows the change
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_db.read_bytes())
    rewrite_with_hashes(copy, SEED_ID, 11)
    assert run("verify", db=copy).returncode == 0
    rewritten = run("verify", "--anchor", str(anchor), "--json", db=copy)
    assert rewritten.returncode == 1
    problem = json.loads(rewritten.stdout)["problem"]
    assert f"proposal '{SEED_ID}', version 11" in problem
    assert "the anchor names (the log was rewritten since, unless the anchor is another log's)" in problem
    # no anchor is taken of a damaged log
    refused = run(
        "anchor", str(tmp_path / "of-damage.json"), db=damaged_copy(demo_db, tmp_path / "damaged.db")
    )
    assert refused.returncode == 1 and "no anchor was written" in refused.stderr
    assert not (tmp_path / "of-damage.json").exists()
    (tmp_path / "bad.json").write_text('{"heads": {"x": [0, "h"]}}', encoding="utf-8")
    assert "--anchor must map proposal ids" in one_line_error(
        run("verify", "--anchor", str(tmp_path / "bad.json"), db=demo_db)
    )
    assert "--anchor cannot be read" in one_line_error(
        run("verify", "--anchor", str(tmp_path / "none.json"), db=demo_db)
    )
    assert "FILE cannot be written" in one_line_error(
        run("anchor", str(tmp_path / "no" / "a.json"), db=demo_db)
    )


def test_export_and_import(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    result = run("export", str(out), db=demo_db)
    assert result.returncode == 0 and "Exported 53 events" in result.stdout
    target = tmp_path / "copy.db"
    imported = run("import", str(out), db=target)
    assert imported.returncode == 0 and "Imported 53 events of 5 proposals" in imported.stdout
    # checked, then stored, then read back
    assert imported.stderr == "checked lines: 53\nstored events: 53\nproposals read back: 5\n"
    assert "intact: 53 events" in run("verify", db=target).stdout
    again = run("import", str(out), db=target)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert again.stderr.splitlines()[-1].startswith("cohandle: Line 1 of the import cannot be accepted")
    assert "already in the store" in again.stderr
    assert "intact: 53 events" in run("verify", db=target).stdout  # a log it did not make stays
    one = tmp_path / "one.jsonl"
    assert "Exported 11 events" in run("export", str(one), "--id", SEED_ID, db=demo_db).stdout
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        out.read_text(encoding="utf-8").replace('"version":3', '"version":NaN', 1), encoding="utf-8"
    )
    other = tmp_path / "other.db"
    refused = run("import", str(broken), db=other)
    assert refused.returncode == 2 and "Line 3 of the import cannot be accepted" in refused.stderr
    assert "Traceback" not in refused.stderr
    # the file the refused import made is taken away with its journal: `demo` would refuse it
    assert sorted(tmp_path.glob("other.db*")) == []
    assert run("demo", "--db", str(other)).returncode == 0


def test_a_refused_import_takes_away_only_a_file_that_holds_no_event(demo_db: Path, tmp_path: Path) -> None:
    import cohandle
    from cohandle._cli import _remove_empty_log

    empty_log = tmp_path / "empty-log.db"
    cohandle.Workflow.open(empty_log).store.close()
    bare = tmp_path / "bare.db"  # as a file is left when the log's tables could not be made
    bare.touch()
    other = tmp_path / "other.txt"
    other.write_text("not a database", encoding="utf-8")
    used = tmp_path / "used.db"
    used.write_bytes(demo_db.read_bytes())
    for path in (empty_log, bare, other, used, tmp_path / "none.db"):
        _remove_empty_log(str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt", "used.db"]
    assert used.read_bytes() == demo_db.read_bytes()


def test_no_file_a_command_writes_takes_the_place_of_the_log_or_of_a_pipe(
    demo_db: Path, tmp_path: Path
) -> None:
    # `cohandle anchor cohandle.db` with the log in $COHANDLE_DB replaced the log with its anchor
    log = tmp_path / "log.db"
    log.write_bytes(demo_db.read_bytes())
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for command, field in (
        (["export"], "FILE"),
        (["anchor"], "FILE"),
        (["render", SEED_ID, "--docx"], "--docx"),
    ):
        for target in (log, pipe):
            said = one_line_error(run(*command, str(target), db=log))
            assert said.startswith(f"cohandle: {field} names "), said
            assert (
                "a SQLite database" in said if target == log else "not a file but a device or a pipe" in said
            )
    assert "intact: 53 events" in run("verify", db=log).stdout
    assert pipe.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["log.db", "pipe"]


def test_files_that_cannot_be_written_or_read_are_one_line_errors(demo_db: Path, tmp_path: Path) -> None:
    nowhere = tmp_path / "no such folder"
    written = one_line_error(run("export", str(nowhere / "log.jsonl"), db=demo_db))
    assert (
        written == f"cohandle: FILE cannot be written (No such file or directory: {nowhere / 'log.jsonl'}).\n"
    )
    assert "FILE cannot be written (Is a directory" in one_line_error(
        run("export", str(tmp_path), db=demo_db)
    )
    assert not list(tmp_path.parent.glob(f"{tmp_path.name}*.partial")), "a failed export left a file behind"
    target = tmp_path / "new.db"
    assert "FILE names no file" in one_line_error(run("import", str(tmp_path), db=target))
    assert not target.exists(), "a refused import made a database"
    docx = one_line_error(run("render", SEED_ID, "--docx", str(nowhere / "reply.docx"), db=demo_db))
    assert "--docx cannot be written (No such file or directory" in docx
    assert "--docx cannot be written (Is a directory" in one_line_error(
        run("render", SEED_ID, "--docx", str(tmp_path), db=demo_db)
    )


def test_parse_and_render(demo_db: Path, tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "letters" / "reply-city-ascii-noise.txt"
    data = json.loads(run("parse", str(fixture), "--json").stdout)
    assert data["doc_number"] == "武交函〔2024〕36号"
    assert "文号" in run("parse", str(fixture)).stdout
    from_stdin = json.loads(run("parse", "-", "--json", stdin=fixture.read_text(encoding="utf-8")).stdout)
    assert from_stdin == data
    # a file holding nothing of a letter is printed as found, and the exit status says so
    nothing = run("parse", "-", "--json", stdin="明天下午三点在三楼开会。\n")
    assert nothing.returncode == 1 and json.loads(nothing.stdout)["warnings"] == [
        "nothing that looks like a 会办意见 or a 答复 was found"
    ]
    assert run("parse", "-", stdin="明天下午三点在三楼开会。\n").returncode == 1
    letter = run("render", SEED_ID, db=demo_db).stdout
    assert "关于对湖北省政协十三届一次会议第20230519号提案的答复" in letter
    opinion = run("render", SEED_ID, "--kind", "opinion", db=demo_db).stdout
    assert "会办工作的意见" in opinion
    docx = tmp_path / "reply.docx"
    assert run("render", SEED_ID, "--docx", str(docx), db=demo_db).returncode == 0
    assert docx.stat().st_size > 1000
    assert "no reply yet" in one_line_error(run("render", "npc-湖北省-14-1-1025", db=demo_db))


def test_an_anchor_to_standard_output_and_read_from_standard_input(demo_db: Path, tmp_path: Path) -> None:
    piped = run("anchor", "-", db=demo_db, cwd=tmp_path)
    assert piped.returncode == 0 and "Anchored 5 proposals on standard output" in piped.stderr
    assert json.loads(piped.stdout)["heads"][SEED_ID][0] == 11
    assert list(tmp_path.iterdir()) == []  # no file named "-", nor its ".partial"
    checked = run("verify", "--anchor", "-", db=demo_db, stdin=piped.stdout)
    assert checked.returncode == 0 and "the anchor's 5 proposals all found" in checked.stdout
    heads = json.loads(piped.stdout)["heads"]
    heads[SEED_ID] = [11, "sha256:" + "0" * 64]
    moved = run("verify", "--anchor", "-", db=demo_db, stdin=json.dumps({"heads": heads}))
    assert moved.returncode == 1 and SEED_ID in moved.stdout + moved.stderr
    # saved again by an editor that begins it with a BOM, it is the same anchor
    edited = tmp_path / "edited.json"
    edited.write_bytes(b"\xef\xbb\xbf" + piped.stdout.encode("utf-8"))
    assert run("verify", "--anchor", str(edited), db=demo_db).returncode == 0
    # saved again as GBK, by an editor on Chinese Windows, it is named so, not as JSON gone wrong
    edited.write_bytes(piped.stdout.encode("gb18030"))
    assert "--anchor is not UTF-8 text (byte " in one_line_error(
        run("verify", "--anchor", str(edited), db=demo_db)
    )
    # the log named where its anchor belongs is named as a database, not as JSON gone wrong
    assert one_line_error(run("verify", "--anchor", str(demo_db), db=demo_db)) == (
        "cohandle: --anchor is a SQLite database, not an anchor written by `cohandle anchor`.\n"
    )


def test_export_to_standard_output_and_import_from_standard_input(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    assert run("export", str(out), db=demo_db).returncode == 0
    piped = run("export", "-", db=demo_db, cwd=tmp_path)
    assert piped.returncode == 0 and piped.stdout == out.read_text(encoding="utf-8")
    assert "Exported 53 events to standard output." in piped.stderr
    assert not (tmp_path / "-").exists()  # no file named "-"
    target = tmp_path / "copy.db"
    imported = run("import", "-", db=target, stdin=piped.stdout, cwd=tmp_path)
    assert imported.returncode == 0 and "Imported 53 events of 5 proposals" in imported.stdout
    assert "intact: 53 events" in run("verify", db=target).stdout


def test_show_says_how_an_item_ended_without_a_reply(tmp_path: Path) -> None:
    import cohandle

    db = tmp_path / "ended.db"
    with cohandle.Workflow.open(db) as wf:
        kept, merged, rejected, withdrawn = (receive(wf) for _ in range(4))
        wf.merge(merged, into=kept, reason="内容相近", actor=A_COMMITTEE)
        wf.reject(
            rejected, reason="属于信访事项", forwarded_to=cohandle.Unit(name="省信访局"), actor=A_COMMITTEE
        )
        wf.withdraw(
            withdrawn, signed_by=list(PROPOSERS), reason="问题已解决", actor=cohandle.Actor(name=PROPOSERS[0])
        )
    assert f"并入: {kept}\n并案理由: 内容相近" in run("show", merged, db=db).stdout
    assert "不予立案理由: 属于信访事项\n转送: 省信访局" in run("show", rejected, db=db).stdout
    assert f"撤回理由: 问题已解决\n撤回人: {'、'.join(PROPOSERS)}" in run("show", withdrawn, db=db).stdout
    assert json.loads(run("show", rejected, "--json", db=db).stdout)["outcome"] == {
        "reason": "属于信访事项",
        "forwarded_to": "省信访局",
    }
    assert json.loads(run("show", kept, "--json", db=db).stdout)["outcome"] == {}


def test_show_says_an_item_is_key_and_names_its_supervisor(demo_db: Path, tmp_path: Path) -> None:
    import cohandle

    text = run("show", "npc-湖北省-14-1-1025", db=demo_db).stdout
    assert "状态: 办理中 (assigned)\n重点督办: 2023-02-24 起\n" in text and "督办单位" not in text
    data = json.loads(run("show", "npc-湖北省-14-1-1025", "--json", db=demo_db).stdout)
    assert data["key"] == {"marked": "2023-02-24", "supervisor": None}
    assert json.loads(run("show", SEED_ID, "--json", db=demo_db).stdout)["key"] is None
    assert "重点督办" not in run("show", SEED_ID, db=demo_db).stdout
    db = tmp_path / "key.db"
    with cohandle.Workflow.open(db) as wf:
        pid = receive(wf)
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
        wf.mark_key(pid, supervisor=cohandle.Unit(name="省政协办公厅"), actor=A_COMMITTEE)
    shown = run("show", pid, db=db).stdout
    assert any(line.split() == ["督办单位", "省政协办公厅"] for line in shown.splitlines())
    assert json.loads(run("show", pid, "--json", db=db).stdout)["key"]["supervisor"] == "省政协办公厅"


def test_show_and_render_name_the_items_merged_in_and_the_contacts(tmp_path: Path) -> None:
    import cohandle

    db = tmp_path / "merged.db"
    with cohandle.Workflow.open(db) as wf:
        kept = receive(wf, "20230519")
        merged = wf.receive(data("20230520", proposers=("赵敏",)), actor=A_COMMITTEE).id
        wf.merge(merged, into=kept, reason="内容相近", actor=A_COMMITTEE)
        wf.file(kept, actor=A_COMMITTEE)
        wf.assign(kept, lead=LEAD, actor=A_COMMITTEE)
        wf.record_contact(kept, method="meeting", proposers=["赵敏"], note="座谈", actor=A_LEAD)
        wf.answer(kept, reply=reply(date=today(wf)), actor=A_LEAD)
    shown = run("show", kept, db=db).stdout
    assert f"并入本件: {merged} 第20230520号提案《关于促进基础研发的建议》" in shown
    assert "并案提案者" in shown and "赵敏" in shown
    assert json.loads(run("show", kept, "--json", db=db).stdout)["merged"] == [
        {
            "id": merged,
            "number": "20230520",
            "title": "关于促进基础研发的建议",
            "proposers": ["赵敏"],
            "reason": "内容相近",
        }
    ]
    contacts = json.loads(run("show", kept, "--json", db=db).stdout)["contacts"]
    day = contacts[0]["date"]  # today, by the system clock the workflow ran on
    assert contacts == [
        {"date": day, "unit": "省科技厅", "method": "meeting", "proposers": ["赵敏"], "note": "座谈"}
    ]
    assert any(line.split() == [day, "省科技厅", "见面", "赵敏", "座谈"] for line in shown.splitlines())
    letter = run("render", kept, db=db).stdout
    assert "第20230519号（并第20230520号）提案的答复" in letter
    assert "李明、王红、赵敏委员：" in letter


def test_show_and_the_boards_call_a_congress_items_proposers_its_deputies(tmp_path: Path) -> None:
    import attrs

    import cohandle
    from cohandle.deadlines import preset

    db = tmp_path / "npc.db"
    npc = cohandle.Session(
        body=cohandle.Body.NPC, level=cohandle.Level.PROVINCE, region="湖北省", term=14, meeting=1
    )
    with cohandle.Workflow.open(db, policy=preset("generic")) as wf:
        day = "2025-03-01"  # a day whose deadlines fall in years the calendar knows
        pid = wf.receive(attrs.evolve(data("1025"), session=npc), actor=A_COMMITTEE, occurred_at=day).id
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE, occurred_at=day)
        wf.record_contact(pid, method="phone", actor=A_LEAD, occurred_at=day)
        wf.answer(pid, reply=reply(), actor=A_LEAD, occurred_at=day)
        committee_item = wf.receive(data("0002"), actor=A_COMMITTEE, occurred_at=day).id
        wf.assign(committee_item, lead=LEAD, actor=A_COMMITTEE, occurred_at=day)
        wf.answer(committee_item, reply=reply(), actor=A_LEAD, occurred_at=day)
    # the boards keep a committee's proposers and a congress's deputies apart, each in its word
    overdue = [line.split() for line in run("overdue", "--now", "2025-05-01", db=db).stdout.splitlines()]
    assert ["代表", "1", "1025(代表反馈", "2025-04-01)"] in overdue
    assert ["提案者", "1", "0002(提案者反馈", "2025-04-01)"] in overdue
    due = [
        line.split()
        for line in run("due", "--within", "30d", "--now", "2025-03-20", db=db).stdout.splitlines()
    ]
    assert ["代表", "1025", "代表反馈", "2025-04-01"] in due and [
        "提案者",
        "0002",
        "提案者反馈",
        "2025-04-01",
    ] in due
    reminders = run("reminders", "--now", "2025-04-03", db=db).stdout
    assert "代表反馈" in reminders and "提案者反馈" in reminders
    # --unit names them as the tables do, or as the log does
    deputies = json.loads(run("overdue", "--now", "2025-05-01", "--unit", "代表", "--json", db=db).stdout)
    assert [i["number"] for items in deputies.values() for i in items] == ["1025"]
    both = json.loads(
        run("due", "--within", "30d", "--now", "2025-03-20", "--unit", "提案者", "--json", db=db).stdout
    )
    assert sorted(i["number"] for i in both) == ["0002", "1025"]
    deputies = json.loads(run("reminders", "--now", "2025-04-03", "--unit", "代表", "--json", db=db).stdout)
    assert [r["number"] for r in deputies] == ["1025"]
    lines = [line.split() for line in run("show", pid, db=db).stdout.splitlines()]
    assert ["湖北省十四届人大一次会议", "第1025号建议《关于促进基础研发的建议》"] in lines
    assert ["代表", "、".join(PROPOSERS)] in lines
    assert any(line[:2] == ["代表", "代表反馈"] for line in lines)
    assert ["日期", "单位", "沟通方式", "代表", "备注"] in lines
    assert not any("提案者" in word for line in lines for word in line)
    # what --json gives is the log's own words, the same for either body
    deadlines = json.loads(run("show", pid, "--json", db=db).stdout)["deadlines"]
    feedback = [(d["kind"], d["party"]) for d in deadlines if d["kind"] == "proposer_feedback"]
    assert feedback == [("proposer_feedback", cohandle.PROPOSER_PARTY)]


def test_recount_shows_which_open_deadlines_a_notice_or_a_policy_would_move(tmp_path: Path) -> None:
    import pendulum

    import cohandle
    from cohandle.deadlines import Calendar, preset

    db = tmp_path / "late-year.db"
    clock = cohandle.FixedClock(pendulum.datetime(2026, 11, 2, 10, tz="Asia/Shanghai"))
    weekends = Calendar.china(weekends_only_after=True)  # before 2027's notice was out
    with cohandle.Workflow.open(db, clock=clock, policy=preset("generic"), calendar=weekends) as wf:
        pid = receive(wf, "0301")
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
    notice = tmp_path / "2027.toml"
    notice.write_text('[2027]\nholidays = ["2027-02-01", "2027-02-02"]\nworkdays = []\n', encoding="utf-8")
    rows = [line.split() for line in run("recount", "--schedules", str(notice), db=db).stdout.splitlines()]
    assert ["0301", "省科技厅", "答复", "2027-02-02", "2027-02-03", "generic:reply"] in rows
    data = json.loads(run("recount", "--schedules", str(notice), "--json", db=db).stdout)
    assert [(d["kind"], d["recorded_due"], d["counted_due"]) for d in data] == [
        ("reply", "2027-02-02", "2027-02-03")
    ]
    assert len(run("export", "-", db=db).stdout.splitlines()) == 3  # nothing was recorded
    # another policy: each rule it would apply instead is named
    chongqing = run("recount", "--schedules", str(notice), "--policy", "chongqing-2017", db=db).stdout
    assert "generic:reply → chongqing-2017:reply" in chongqing
    assert "reassignment" not in chongqing  # its window to ask for reassignment has lapsed
    # without 2027's schedule, nothing is guessed
    refused = one_line_error(run("recount", db=db))
    assert refused.startswith(
        "cohandle: --schedules must give 2027's official holiday schedule (this calendar knows 2004-"
    )
    assert f"Proposal '{pid}': its deadline for 答复 (省科技厅)" in refused


def test_parse_reads_a_letter_in_the_encoding_it_was_saved_in(tmp_path: Path) -> None:
    letter = "关于市政协十四届三次会议第123号提案的答复\n\n张三委员：\n　　现答复如下。\n"
    saved = tmp_path / "gbk.txt"
    saved.write_bytes(letter.encode("gb18030"))  # as Chinese Windows saves a page
    assert one_line_error(run("parse", str(saved))) == (
        "cohandle: FILE is not utf-8 text (byte 0): give --encoding gb18030 for a file saved on Chinese "
        "Windows, or save it as UTF-8.\n"
    )
    read = run("parse", str(saved), "--encoding", "gb18030", "--json")
    assert read.returncode == 0 and json.loads(read.stdout)["number"] == "123"
    assert "give the encoding it was saved in with --encoding" in one_line_error(
        run("parse", str(saved), "--encoding", "big5")
    )
    assert one_line_error(run("parse", str(saved), "--encoding", "gbk2")) == (
        "cohandle: --encoding names no encoding Python knows, such as gb18030 (got 'gbk2').\n"
    )
    notepad = tmp_path / "unicode.txt"
    notepad.write_bytes(letter.encode("utf-16"))  # Notepad's "Unicode"
    assert json.loads(run("parse", str(notepad), "--json").stdout)["number"] == "123"


def test_a_terminal_in_gbk_is_given_a_rare_character_as_an_escape_and_an_anchor_in_utf_8(
    tmp_path: Path,
) -> None:
    """A server or a console set to GBK cannot show every character a name may hold (生僻字):
    text shows it as its escape, JSON as a JSON escape, and the anchor, read back by `verify
    --anchor`, is UTF-8 as its file is. Each of these stopped with a UnicodeEncodeError, or
    wrote an anchor that could not be read back."""
    import cohandle

    db = tmp_path / "rare.db"
    with cohandle.Workflow.open(db) as wf:
        pid = wf.receive(data(number="0001", proposers=("王𡒄",)), actor=A_COMMITTEE).id

    def gbk(*args: str) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "PYTHONIOENCODING": "gbk", "COHANDLE_DB": str(db)}
        return subprocess.run(
            [sys.executable, "-m", "cohandle", *args], capture_output=True, env=env, timeout=120
        )

    shown = gbk("show", pid)
    assert shown.returncode == 0 and "王\\U00021484".encode("gbk") in shown.stdout
    assert "交办单位".encode("gbk") in shown.stdout  # the rest in the terminal's own encoding
    as_json = gbk("show", pid, "--json")
    assert as_json.returncode == 0
    parties = json.loads(as_json.stdout.decode("gbk"))["parties"]
    assert {"role": "提案者", "name": ["王𡒄"]} in parties
    anchored = gbk("anchor", "-")
    assert anchored.returncode == 0
    (tmp_path / "anchor.json").write_bytes(anchored.stdout)
    assert json.loads(anchored.stdout.decode("utf-8"))["heads"][pid][0] == 1
    assert gbk("verify", "--anchor", str(tmp_path / "anchor.json")).returncode == 0
    missing = gbk("show", pid + "𠮷")
    assert missing.returncode == 2 and b"\\U00020bb7" in missing.stderr


def test_parse_prints_the_leaders_phone_and_a_dash_for_no_copies() -> None:
    fixture = Path(__file__).parent / "fixtures" / "letters" / "opinion-form-page.txt"
    rows = {
        line.split()[0]: line.split()[1:]
        for line in run("parse", str(fixture)).stdout.splitlines()
        if line.strip()
    }
    assert rows["主管领导电话"] == ["0717-6221001"] and rows["经办人电话"] == ["0717-6221002"]
    assert rows["抄送"] == ["—"] and rows["附件"] == ["—"]


def test_render_writes_the_reply_of_the_unit_named_in_separate_handling(demo_db: Path) -> None:
    separate = "cppcc-湖北省-13-1-20230412"  # answered by two units, each for itself
    housing = run("render", separate, "--unit", "省住房和城乡建设厅", db=demo_db).stdout
    finance = run("render", separate, "--unit", "省财政厅", db=demo_db).stdout
    assert "老旧小区改造进展" in housing and "加装电梯补助资金" not in housing
    assert "加装电梯补助资金" in finance and "老旧小区改造进展" not in finance
    # without a unit it would have written one of the two and left the other out, unsaid
    assert "replies from: 省住房和城乡建设厅、省财政厅" in one_line_error(run("render", separate, db=demo_db))
    assert "must name a unit whose reply is in" in one_line_error(
        run("render", separate, "--unit", "省科技厅", db=demo_db)
    )
    # a unit with no opinion in is refused with the units whose opinions are in
    assert "(opinions from: 湖北省知识产权局)" in one_line_error(
        run("render", SEED_ID, "--kind", "opinion", "--unit", "省教育厅", db=demo_db)
    )
    # one unit answering (again, after re-handling) needs no --unit: its latest reply
    rehandled = run("render", "cppcc-湖北省-13-1-20230377", db=demo_db).stdout
    assert "经实地调研" in rehandled and "因条件限制" not in rehandled
    # an item without co-handlers, or whose co-handlers have sent nothing yet, is named so
    assert one_line_error(
        run("render", "cppcc-湖北省-13-1-20230377", "--kind", "opinion", db=demo_db)
    ).endswith("names proposal 'cppcc-湖北省-13-1-20230377', which has no co-handlers.\n")
    assert "which has no co-handler's opinion in yet" in one_line_error(
        run("render", "npc-湖北省-14-1-1025", "--kind", "opinion", db=demo_db)
    )


def test_the_demos_replies_read_as_letters(demo_db: Path) -> None:
    """A reply's body follows the opening the letter writes (……收悉。现答复如下：), and does not
    say it again."""
    for pid in (SEED_ID, "cppcc-湖北省-13-1-20230233"):
        letter = run("render", pid, db=demo_db).stdout
        assert letter.count("收悉") == 1 and letter.count("现答复如下") == 1, letter


def test_render_says_when_the_letter_lacks_the_contacts_it_must_carry(demo_db: Path, tmp_path: Path) -> None:
    # the demo's replies and opinions carry their 主管领导 and 经办人 with phones: nothing said
    for kind in ("reply", "opinion"):
        written = run("render", SEED_ID, "--kind", kind, db=demo_db)
        assert written.returncode == 0 and written.stderr == ""
        assert "主管领导：" in written.stdout and "经办人：" in written.stdout
    import cohandle

    db = tmp_path / "bare.db"
    with cohandle.Workflow.open(db) as wf:
        pid = receive(wf)
        wf.assign(pid, lead=LEAD, actor=A_COMMITTEE)
        wf.answer(pid, reply=reply(date=today(wf)), actor=A_LEAD)  # no signatory, no handler
    bare = run("render", pid, db=db)
    assert bare.returncode == 0 and "主管领导" not in bare.stdout
    assert bare.stderr == (
        "cohandle: note: the reply as recorded gives no 主管领导 (signatory) and no 经办人 (handler); a "
        "letter must carry the names and phones of both, and this one is written without them\n"
    )


def test_diagram_and_version_and_bad_arguments() -> None:
    assert run("diagram").stdout.startswith("stateDiagram-v2\n")
    assert run("--version").stdout.startswith("cohandle ")
    wrong = run("frobnicate")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr
    assert run().returncode == 2


def test_a_log_named_by_nothing_or_with_a_tilde_no_shell_expanded_is_said_so(tmp_path: Path) -> None:
    assert one_line_error(run("list", cwd=tmp_path)) == (
        f"cohandle: --db is not given, nor $COHANDLE_DB, and there is no cohandle.db in this folder "
        f"({tmp_path}) to read: give --db, or run `cohandle demo --db cohandle.db` to make one.\n"
    )
    home = tmp_path / "home"
    (home / "oa").mkdir(parents=True)
    # a variable set in a service's unit file, or a quoted --db, keeps its ~ as it is
    for said, args, variables in (
        ("COHANDLE_DB", ["list"], {"COHANDLE_DB": "~/oa/cohandle.db"}),
        ("--db", ["list", "--db", "~/oa/cohandle.db"], {}),
    ):
        result = run(*args, variables={"HOME": str(home), **variables}, cwd=tmp_path)
        assert one_line_error(result) == (
            f"cohandle: {said} names no file (~/oa/cohandle.db); it begins with ~, which only a shell "
            f"expands, and only where it is not quoted: write the whole path ({home}/oa/cohandle.db).\n"
        )
    made = run(
        "import", "-", variables={"HOME": str(home), "COHANDLE_DB": "~/oa/new.db"}, cwd=tmp_path, stdin=""
    )
    assert "COHANDLE_DB names a folder that does not exist: ~/oa; it begins with ~" in one_line_error(made)
    assert list(tmp_path.iterdir()) == [home]
    # every file an option or a variable names
    demo = tmp_path / "demo.db"
    assert run("demo", "--db", str(demo)).returncode == 0
    tilde = "; it begins with ~, which only a shell expands, and only where it is not quoted: write the whole path"
    for command, variables, said in (
        (["due"], {"COHANDLE_SCHEDULES": "~/s.toml"}, "COHANDLE_SCHEDULES cannot be read"),
        (["due", "--schedules", "~/s.toml"], {}, "--schedules cannot be read"),
        (["recount"], {"COHANDLE_POLICY": "~/p.toml"}, "the file cannot be read"),
        (["export", "~/x.jsonl"], {}, "FILE cannot be written"),
        (["import", "~/x.jsonl"], {}, "FILE names no file"),
        (["verify", "--anchor", "~/a.json"], {}, "--anchor cannot be read"),
        (["parse", "~/l.txt"], {}, "FILE cannot be read"),
    ):
        error = one_line_error(run(*command, db=demo, variables={"HOME": str(home), **variables}))
        assert said in error and f"{tilde} ({home}/" in error, error


def test_a_missing_a_corrupt_and_a_newer_database(tmp_path: Path) -> None:
    assert "names no file" in one_line_error(run("list", db=tmp_path / "none.db"))
    # the library's "path" is named as --db, or as COHANDLE_DB where the variable named the log
    # (run's db=); a folder and a URL that is not PostgreSQL's say so
    folderless = str(tmp_path / "no such folder" / "x.db")
    assert one_line_error(run("import", "-", "--db", folderless, stdin="")).startswith(
        "cohandle: --db names a folder that does not exist:"
    )
    assert one_line_error(run("import", "-", variables={"COHANDLE_DB": folderless}, stdin="")).startswith(
        "cohandle: COHANDLE_DB names a folder that does not exist:"
    )
    for command in (["list"], ["import", "-"]):
        assert "COHANDLE_DB names a folder" in one_line_error(run(*command, db=tmp_path, stdin=""))
        assert "--db names a folder" in one_line_error(run(*command, "--db", str(tmp_path), stdin=""))
    assert "--db names an existing folder" in one_line_error(run("demo", "--db", str(tmp_path), db=tmp_path))
    for name in ("list", "demo"):
        said = one_line_error(run(name, "--db", "mysql://oa@db/oa"))
        assert said.startswith("cohandle: --db is a mysql:// URL, and cohandle opens a SQLite file")
    empty = tmp_path / "empty.db"  # a reading command does not give it a log's tables
    empty.touch()
    for command in (["list"], ["verify"], ["export", "-"], ["stats"]):
        assert "empty.db holds no cohandle log (it is an empty database)" in one_line_error(
            run(*command, db=empty)
        )
    assert empty.read_bytes() == b"" and sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 100)
    assert "not a readable cohandle database" in one_line_error(run("list", db=junk))
    newer = tmp_path / "newer.db"
    assert run("demo", "--db", str(newer)).returncode == 0
    con = sqlite3.connect(newer)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    before = newer.read_bytes()
    assert "newer cohandle" in one_line_error(run("stats", db=newer))
    assert newer.read_bytes() == before


def test_the_installed_command_is_the_same_as_python_dash_m() -> None:
    script = Path(sys.executable).parent / "cohandle"
    assert script.exists(), "the package installs a cohandle command beside its Python"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout == run("--version").stdout


ACTING = {"Cc", "Cf", "Zl", "Zp"}  # control and format characters, line and paragraph separators


def acting(text: str, keep: str = "\n") -> list[str]:
    import unicodedata

    return [ch for ch in text if ch not in keep and unicodedata.category(ch) in ACTING]


def test_what_would_act_on_a_terminal_is_shown_as_its_escape(tmp_path: Path) -> None:
    import cohandle
    from cohandle import Actor, ProposalData, Proposer, Section, Unit

    title = "关于\x1b[2J清屏\x1b[31m的\u2028建议\u202e倒序"
    # an escape that erases the line (a carriage return, a space as any other, is left out of a
    # unit's name between Chinese characters)
    lead = Unit(name="省科技厅\x1b[2K覆盖")
    proposer = "李明\b\bX"  # backspaces: the X would be written over the name
    db = tmp_path / "acting.db"
    with cohandle.Workflow.open(db) as wf:
        p = wf.receive(
            ProposalData(
                number="7", title=title, session=data().session, proposers=[Proposer(name=proposer)]
            ),
            actor=A_COMMITTEE,
            occurred_at="2025-02-01",
        )
        wf.assign(p.id, lead=lead, actor=A_COMMITTEE, occurred_at="2025-02-10")
        text = "现答复如下\x1b[8m隐藏\x85。\r\n第二行\u200b。"
        answered = cohandle.Reply(
            author=lead,
            category="B",
            date="2025-03-01",
            sections=[Section(heading="一、办理情况", text=text)],
        )
        wf.answer(p.id, reply=answered, actor=Actor(name="张伟", unit=lead), occurred_at="2025-03-01")

    printed = {
        "show": run("show", p.id, db=db).stdout,
        "list": run("list", db=db).stdout,
        "render": run("render", p.id, db=db).stdout,
    }
    for command, out in printed.items():
        assert out and acting(out) == [], command
    assert "关于\\u001b[2J清屏\\u001b[31m的\\u2028建议\\u202e倒序" in printed["show"]
    assert "省科技厅\\u001b[2K覆盖" in printed["list"] and "李明\\b\\bX" in printed["show"]
    assert "现答复如下\\u001b[8m隐藏\\u0085。\n" in printed["render"]  # \r\n is a line end
    assert "第二行\\u200b。" in printed["render"]
    from cohandle._text import width

    listed = printed["list"].splitlines()  # the escapes keep the columns aligned
    assert width(listed[2][: listed[2].index(p.id)]) == width(listed[0][: listed[0].index("ID")])

    as_json = run("list", "--json", db=db).stdout
    assert acting(as_json) == []
    assert json.loads(as_json)[0]["title"] == title and json.loads(as_json)[0]["lead"] == lead.name

    refused = run("show", "cppcc-湖北省-13-1-\x1b[2J", db=db)
    assert acting(one_line_error(refused)) == []


@given(st.text(alphabet=st.characters(codec="utf-8")))
@settings(max_examples=300, deadline=None)
def test_shown_text_holds_nothing_that_acts_and_json_stays_the_same_json(text: str) -> None:
    from cohandle._text import shown

    assert acting(shown(text), keep="") == []
    assert acting(shown(text, lines=True), keep="\n\t") == []
    assert json.loads(shown(json.dumps([text], ensure_ascii=False))) == [text]
    assert shown(shown(text)) == shown(text)
    assert shown(text.replace("\r\n", "\n"), lines=True) == shown(text, lines=True)


def test_a_proposal_is_found_by_its_number_or_an_id_copied_with_a_slip(demo_db: Path, tmp_path: Path) -> None:
    """Officials know a proposal by its number: a number alone that the log holds once names
    that proposal (said on standard error), and an id copied with a space, full-width signs or
    an upper-case body names the id; a number the log holds twice, or an id a little off, gets
    the ids it may have meant. An id like none gets the plain message."""
    for typed in ("20230519", "第20230519号", "２０２３０５１９"):
        done = run("show", typed, db=demo_db)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("湖北省政协十三届一次会议 第20230519号提案《关于促进基础研发的建议》")
        assert done.stderr == (
            f"cohandle: note: {typed} is taken as {SEED_ID}, the log's one proposal of that number\n"
        )
    assert "第1025号建议" in run("show", "01025", db=demo_db).stdout
    for typed in (f" {SEED_ID} ", SEED_ID.upper(), SEED_ID.replace("-", "－")):
        done = run("show", typed, db=demo_db)
        assert (done.returncode, done.stderr) == (0, ""), typed
        assert done.stdout == run("show", SEED_ID, db=demo_db).stdout
    out, whole = tmp_path / "one.jsonl", tmp_path / "whole.jsonl"
    assert run("export", str(out), "--id", "20230519", db=demo_db).returncode == 0
    assert run("export", str(whole), "--id", SEED_ID, db=demo_db).returncode == 0
    assert out.read_bytes() == whole.read_bytes()
    out.unlink()
    whole.unlink()

    twice = tmp_path / "twice.db"
    twice.write_bytes(demo_db.read_bytes())
    with cohandle.Workflow.open(twice) as wf:  # the same number at the next year's meeting
        seed = wf.get(SEED_ID)
        again = attrs.evolve(seed.data, session=attrs.evolve(seed.data.session, meeting=2))
        wf.receive(again, actor=A_COMMITTEE)
    by_number = one_line_error(run("show", "20230519", db=twice))
    assert "No proposal with id '20230519' is in the log" in by_number
    assert by_number.rstrip().endswith(f"Perhaps: '{SEED_ID}', 'cppcc-湖北省-13-2-20230519'.")
    assert "Perhaps" in one_line_error(run("export", str(out), "--id", "20230519", db=twice))
    off = one_line_error(run("show", SEED_ID.replace("20230519", "20230591"), db=demo_db))
    assert f"Perhaps: '{SEED_ID}'" in off
    assert "Perhaps" not in one_line_error(run("show", "nonsense", db=demo_db))
    assert one_line_error(run("show", "99", db=demo_db)) == (
        "cohandle: No proposal with id '99' is in the log; check the id, or receive the proposal first.\n"
    )
    assert sorted(f.name for f in tmp_path.iterdir()) == ["twice.db"]  # no file of nothing


def record_many(db: Path, n: int) -> Path:
    """``n`` proposals of one lead, none answered; the co-handler has given opinions on half."""
    import cohandle
    from cohandle.deadlines import preset
    from helpers import CO1, opinion

    with cohandle.Workflow.open(db, policy=preset("generic")) as wf:
        for i in range(n):
            pid = wf.receive(data(f"{i:04d}"), actor=A_COMMITTEE, occurred_at="2025-03-03").id
            wf.assign(pid, lead=LEAD, co_handlers=[CO1], actor=A_COMMITTEE, occurred_at="2025-03-03")
            if i % 2:
                wf.submit_opinion(
                    pid,
                    opinion=opinion(),
                    actor=cohandle.Actor(name="经办人", unit=CO1),
                    occurred_at="2025-03-10",
                )
    return db


@pytest.fixture(scope="module")
def many_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_many(tmp_path_factory.mktemp("many") / "many.db", 25)


@pytest.mark.parametrize("columns", [80, 160])
def test_overdue_runs_a_units_items_on_over_lines_within_the_terminal(
    many_db: Path, columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of items owed by one unit made a line of thousands of columns, and a rule of
    dashes as long; they now run on over as many lines as they need."""
    from cohandle._text import width

    monkeypatch.setenv("COLUMNS", str(columns))
    printed = run("overdue", "--now", "2025-09-01", db=many_db).stdout.splitlines()
    assert max(width(line) for line in printed) <= columns
    owed = json.loads(run("overdue", "--now", "2025-09-01", "--json", db=many_db).stdout)
    for unit, items in owed.items():
        first = next(i for i, line in enumerate(printed) if line.startswith(unit))
        assert printed[first].split()[:2] == [unit, str(len(items))]
        lines = [printed[first].split(maxsplit=2)[2]]
        for line in printed[first + 1 :]:
            if not line.startswith(" "):
                break
            lines.append(line.strip())
        assert len(lines) > 1  # 25 items, or 12, take more than one line at either width
        assert all(line.endswith("、") for line in lines[:-1]) and not lines[-1].endswith("、")
        texts = "".join(lines).split("、")  # each item once, in the board's order
        assert [(text.split("(")[0], text[-11:-1]) for text in texts] == [
            (i["number"], i["due"]) for i in items
        ]
    assert printed[-1] == f"{sum(len(items) for items in owed.values())} 项逾期"


@pytest.mark.parametrize("columns", [80, 160])
def test_show_runs_a_joint_proposals_proposers_on_over_lines_within_the_terminal(
    tmp_path: Path, columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty members' names made one line of 160 columns, and the table's rule as long."""
    import cohandle
    from cohandle._text import width

    db = tmp_path / "joint.db"
    names = tuple(f"委员{i}" for i in range(30))
    with cohandle.Workflow.open(db) as wf:
        pid = wf.receive(data("0777", proposers=names), actor=A_COMMITTEE).id
    monkeypatch.setenv("COLUMNS", str(columns))
    printed = run("show", pid, db=db).stdout.splitlines()
    first = next(i for i, line in enumerate(printed) if line.startswith("提案者"))
    lines = [printed[first].split(maxsplit=1)[1]]
    for line in printed[first + 1 :]:
        if not line.startswith(" "):
            break
        lines.append(line.strip())
    assert len(lines) > 1 and max(width(line) for line in printed[first - 2 : first + len(lines)]) <= columns
    assert all(line.endswith("、") for line in lines[:-1]) and not lines[-1].endswith("、")
    assert "".join(lines).split("、") == list(names)


def test_list_runs_a_long_title_on_over_lines_on_a_terminal_and_keeps_it_whole_in_a_file(
    tmp_path: Path,
) -> None:
    import cohandle
    from cohandle._text import width

    db = tmp_path / "titles.db"
    long_title = "关于" + "进一步加强基层医疗卫生服务体系建设" * 4 + "的建议"
    with cohandle.Workflow.open(db) as wf:
        pid = wf.receive(data("0001"), actor=A_COMMITTEE).id
        wf.receive(
            cohandle.ProposalData(
                number="0002",
                title=long_title,
                session=data().session,
                proposers=[cohandle.Proposer(name="李明")],
            ),
            actor=A_COMMITTEE,
        )
    code, shown = on_terminal(
        ["list"], {**os.environ, "COHANDLE_DB": str(db), "COLUMNS": "80"}, stream="stdout"
    )
    assert code == 0
    printed = shown.replace("\r\n", "\n").splitlines()
    assert max(width(line) for line in printed) <= 80
    start = next(i for i, line in enumerate(printed) if line.startswith("0002 "))
    pieces = [printed[start].split()[1]] + [line.strip() for line in printed[start + 1 : -1]]
    assert "".join(pieces) == long_title and len(pieces) > 2
    assert pid in printed[start - 1]  # the short title's row is one line
    # to a file or a pipe, a title stays whole, to be found by what it says
    piped = run("list", db=db).stdout.splitlines()
    assert any(long_title in line for line in piped) and len(piped) == 5


def test_a_command_pauses_the_cycle_collector_and_restores_it_as_it_was(
    many_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reading command's objects hold no cycles; walking them again and again as a large
    log is read cost a quarter of its time (benchmarks/cli.py). Whoever calls ``main`` in its
    own process gets the collector back as it was, after an error too."""
    import gc

    from cohandle import _cli

    seen: list[bool] = []
    listing = _cli._list

    def spy(args: Any) -> int:
        seen.append(gc.isenabled())
        return listing(args)

    monkeypatch.setattr(_cli, "_list", spy)
    with contextlib.redirect_stdout(io.StringIO()):
        assert gc.isenabled()
        assert _cli.main(["list", "--db", str(many_db)]) == 0
        assert gc.isenabled()
        gc.disable()
        try:
            assert _cli.main(["list", "--db", str(many_db)]) == 0
            assert not gc.isenabled()  # left as the caller had it
        finally:
            gc.enable()
        refused = ["list", "--open", "--state", "closed", "--db", str(many_db)]
        with contextlib.redirect_stderr(io.StringIO()):
            assert _cli.main(refused) == 2  # refused inside the command
        assert gc.isenabled()
    assert seen == [False, False, False]


def test_the_commands_leave_no_cycles_for_the_collector_however_large_the_log(
    many_db: Path, tmp_path: Path
) -> None:
    """What the collector would find after a command, with it paused as ``main`` pauses it, is
    the same for a log of 5 proposals as for one of 25: the command line's own parser, not
    anything made per proposal or per event. So pausing it leaves nothing to pile up."""
    import gc

    from cohandle._cli import main

    small = record_many(tmp_path / "small.db", 5)
    commands = [
        ["list"],
        ["show", "cppcc-湖北省-13-1-0001"],
        ["due", "--now", "2025-03-05"],
        ["overdue", "--now", "2025-09-01"],
        ["reminders", "--now", "2025-05-01"],
        ["stats"],
        ["recount"],
        ["verify"],
        ["export", "-"],
        ["render", "cppcc-湖北省-13-1-0001", "--kind", "opinion"],
    ]

    def left(argv: list[str]) -> int:
        gc.collect()
        gc.disable()
        try:
            out = io.TextIOWrapper(io.BytesIO())  # with a buffer, for an export to standard output
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                assert main(argv) == 0, argv
        finally:
            gc.enable()
        return gc.collect()

    for argv in commands:
        found = {db.name: left([*argv, "--db", str(db)]) for db in (small, many_db) for _ in (1, 2)}
        assert found["small.db"] == found["many.db"], (argv, found)
    found = {}
    for db in (small, many_db, small, many_db):
        exported = tmp_path / f"{db.stem}.jsonl"
        left(["export", str(exported), "--db", str(db)])
        into = tmp_path / f"into-{db.stem}.db"
        into.unlink(missing_ok=True)
        found[db.name] = left(["import", str(exported), "--db", str(into)])
    assert found["small.db"] == found["many.db"], found


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["due", "--now", "2025-03-05"],
        ["overdue", "--now", "2025-09-01"],
        ["reminders", "--now", "2025-05-01"],
    ],
)
def test_list_and_the_boards_hold_one_proposal_at_a_time(
    many_db: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a log of 20,000 proposals, holding them all took 2.6 to 2.8 times the memory
    (benchmarks/README.md): as each proposal is read, those before it are gone."""
    import gc

    import cohandle
    from cohandle._cli import main

    reading = cohandle.Workflow.proposals
    held: list[int] = []

    def counted(self: cohandle.Workflow, **options: Any) -> Any:
        for proposal in reading(self, **options):
            yield proposal
            held.append(sum(isinstance(o, cohandle.Proposal) for o in gc.get_objects()))

    monkeypatch.setattr(cohandle.Workflow, "proposals", counted)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*argv, "--db", str(many_db)]) == 0
    assert len(held) == 25 and max(held) <= 2, held


def test_a_log_in_a_postgresql_schema_is_reached_with_schema(
    demo_db: Path, tmp_path: Path, postgres_url: str, postgres_schema: str
) -> None:
    # the servers keep their log in a schema of their own (the howto's "cohandle"): the
    # command line reaches it with --schema or $COHANDLE_SCHEMA, and never makes one elsewhere
    export = tmp_path / "log.jsonl"
    assert run("export", str(export), db=demo_db).returncode == 0
    imported = run("import", str(export), "--db", postgres_url, "--schema", postgres_schema)
    assert imported.returncode == 0, imported.stderr
    listed = run("list", "--db", postgres_url, "--schema", postgres_schema)
    assert listed.returncode == 0 and listed.stdout.splitlines()[-1] == "5 件", listed
    done = subprocess.run(
        [sys.executable, "-m", "cohandle", "verify", "--db", postgres_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COHANDLE_SCHEMA": postgres_schema},
    )
    assert done.returncode == 0 and "53 events in 5 proposals" in done.stdout, done
    other = postgres_schema + "_x"  # no log there: refused, and not made
    refused = one_line_error(run("list", "--db", postgres_url, "--schema", other))
    from cohandle._cli import _shown

    assert f"The PostgreSQL schema {other!r} at {_shown(postgres_url)} holds no cohandle log" in refused
    import psycopg

    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT to_regnamespace(%s)", (other,)).fetchone() == (None,)
    # the same log named by a libpq connection string, as a DBA's configuration often gives it
    import psycopg.conninfo

    conninfo = " ".join(f"{k}={v}" for k, v in psycopg.conninfo.conninfo_to_dict(postgres_url).items())
    listed = run("list", "--db", conninfo, "--schema", postgres_schema)
    assert listed.returncode == 0 and listed.stdout.splitlines()[-1] == "5 件", listed
    assert one_line_error(run("list", "--db", postgres_url, "--schema", "Cohandle")) == (
        "cohandle: --schema must be a plain lower-case SQL name (got 'Cohandle').\n"
    )
    assert one_line_error(run("list", "--schema", postgres_schema, db=demo_db)) == (
        f"cohandle: --schema is for a PostgreSQL log, and --db names a SQLite file ({demo_db}).\n"
    )


def test_the_demo_writes_only_a_fresh_log_and_never_prints_a_password(
    postgres_url: str, postgres_schema: str
) -> None:
    from cohandle._cli import _shown

    written = run("demo", "--db", postgres_url, "--schema", postgres_schema)
    assert written.returncode == 0, written.stderr
    # a log in use (the demo's or any other): the demo does not add its proposals to it
    assert one_line_error(run("demo", "--db", postgres_url, "--schema", postgres_schema)) == (
        f"cohandle: --db holds a cohandle log already ({_shown(postgres_url)}); the demo writes a fresh "
        "database.\n"
    )
    listed = run("list", "--db", postgres_url, "--schema", postgres_schema)
    assert listed.stdout.splitlines()[-1] == "5 件"
    assert one_line_error(run("demo", "--schema", postgres_schema)) == (
        "cohandle: --schema is for a PostgreSQL log, and without --db the demo writes a SQLite file.\n"
    )
    assert _shown("postgresql://oa:s3cret@db.internal:5432/oa") == "postgresql://oa:***@db.internal:5432/oa"
    assert _shown("/srv/oa/cohandle.db") == "/srv/oa/cohandle.db"


@pytest.mark.parametrize(
    ("target", "postgres"),
    [
        ("postgresql://oa@db.internal:5432/oa", True),
        ("postgres://oa@db.internal/oa", True),
        ("host=db.internal dbname=oa user=oa", True),
        ("host = db.internal  dbname = oa ", True),
        ("dbname=oa password='a b\\' c'", True),
        ("hots=db.internal dbname=oa", True),  # one keyword of libpq's: psycopg names the other
        ("cohandle.db", False),
        ("/srv/oa/cohandle.db", False),
        ("a=b", False),  # pairs, but none of libpq's: a file's name
        ("host=db.internal trailing", False),
        ("oa/host=1.db", False),
        ("password='unterminated", False),
    ],
)
def test_a_postgresql_database_is_named_by_a_url_or_a_libpq_connection_string(
    target: str, postgres: bool
) -> None:
    from cohandle._workflow import postgres_url

    assert postgres_url(target) is postgres


def test_a_libpq_connection_string_reaches_postgresql_and_its_password_is_never_printed(
    tmp_path: Path,
) -> None:
    # it was taken for a file's name: "--db names no file (host=… password=s3cret); run
    # `cohandle demo --db host=… password=s3cret` to make one", the password printed twice
    conninfo = "host=127.0.0.1 port=1 user=nobody password=s3cret dbname=none connect_timeout=2"
    for command in (["list", "--db", conninfo], ["demo", "--db", conninfo]):
        done = run(*command, cwd=tmp_path)
        refused = one_line_error(done)
        assert refused.startswith(
            "cohandle: Could not connect to PostgreSQL at host=127.0.0.1 port=1 user=nobody password=*** "
        ), refused
        assert "s3cret" not in done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []  # no file of that name made
    refused = one_line_error(run("list", cwd=tmp_path, variables={"COHANDLE_DB": conninfo}))
    assert "PostgreSQL" in refused and "s3cret" not in refused


@pytest.mark.parametrize(
    ("command", "argument", "what"),
    [
        (["import", "-"], "FILE", "an export (cohandle export - --db A | cohandle import - --db B)"),
        (["verify", "--anchor", "-"], "--anchor", "an anchor (… | cohandle verify --anchor -)"),
    ],
)
def test_standard_input_that_is_a_terminal_is_refused_where_a_file_must_be_piped(
    demo_db: Path, tmp_path: Path, command: list[str], argument: str, what: str
) -> None:
    # run at a prompt without the pipe, these waited for a file nobody types
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "COHANDLE_DB": str(tmp_path / "new.db" if command[0] == "import" else demo_db)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cohandle", *command],
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert one_line_error(done) == (
        f"cohandle: {argument} is -, standard input, but that is a terminal: pipe {what} into it.\n"
    )
    assert not (tmp_path / "new.db").exists()
