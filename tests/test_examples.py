"""Every example runs."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
NEEDS_POSTGRES = {"multi_server_postgres.py"}


def run(name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, check=True, timeout=180
    )
    assert result.stderr == ""
    return result.stdout


def test_the_seed_case_prints_its_timeline() -> None:
    out = run("seed_case.py")
    assert "湖北省政协十三届一次会议 第20230519号提案《关于促进基础研发的建议》" in out
    assert "OpinionSubmitted       杨鑫 (湖北省知识产权局)" in out
    assert "2023-04-10" in out
    assert "主管领导: 程浩 027-86759052  经办人: 杨鑫 027-86759081  邮政编码: 430071" in out
    assert "建议类别 B" in out
    assert "The log is intact: 11 events in 1 proposal" in out


def test_the_oa_integration_handles_requests_reminds_and_reads() -> None:
    out = run("oa_integration.py")
    assert "req-2 assign → 200 assigned" in out.splitlines()[2]  # the retried request: the same outcome
    assert "req-3 consolidate → 403" in out
    assert "req-4 consolidate → 409" in out and "req-4b consolidate → 404" in out
    assert "reminder job: 催办 市财政局 第0156号 会办意见" in out
    assert "read model: 5 new events" in out
    # after the reply, the proposer is reminded of the feedback form, once
    assert "reminder job 2025-04-30: ['催办 提案者 第0156号 提案者反馈']" in out
    assert "reminder job 2025-05-06: nothing due" in out
    assert "intact: 9 events" in out


def test_the_deadline_report() -> None:
    out = run("deadline_report.py")
    assert "市规划自然资源局: 3 项" in out
    assert "市交通局 第0001号 答复 2025-05-20" in out


def test_a_holiday_notice_is_recounted_and_the_change_recorded() -> None:
    out = run("holiday_notice.py")
    # 20 February 2027 is a Saturday: counted by the statutory holidays alone, the reply due then
    # is due on the Monday; the notice makes that Saturday a working day, and the reply due on it
    assert "第0303号 交办 2026-11-20, 答复期限 2027-02-22 (2027 by its statutory holidays)" in out
    assert "1 open deadline the notice moves (nothing recorded yet):" in out
    assert "第0303号 答复 市交通运输局: 2027-02-22 → 2027-02-20" in out
    assert "after revising, left to move: 0" in out
    assert "第0303号: 收到 → 交办 → 设定期限 → 调整期限" in out
    assert "答复 2027-02-20 未到期" in out and "The log is intact: 10 events in 3 proposals" in out


def test_two_servers_on_one_postgres_log(postgres_url: str) -> None:
    out = run("multi_server_postgres.py", postgres_url)
    assert "20 opinions recorded by server B" in out
    assert "intact: 60 events in 20 proposals" in out


@pytest.mark.parametrize(
    "path", sorted(p for p in EXAMPLES.glob("*.py") if p.name not in NEEDS_POSTGRES), ids=lambda p: p.name
)
def test_every_example_runs(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out
