"""Every example runs."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_the_seed_case_prints_its_timeline() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "seed_case.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    out = result.stdout
    assert "湖北省政协十三届一次会议 第20230519号提案《关于促进基础研发的建议》" in out
    assert "OpinionSubmitted       杨鑫 (湖北省知识产权局)" in out
    assert "2023-04-10" in out
    assert "主管领导: 程浩 027-86759052  经办人: 杨鑫 027-86759081  邮政编码: 430071" in out
    assert "建议类别 B" in out
    assert result.stderr == ""


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_every_example_runs(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out
