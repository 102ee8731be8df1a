"""The ``cohandle`` command through its real entry point."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cohandle", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_demo_records_the_seed_case_into_a_fresh_database(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = run("demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "湖北省政协十三届一次会议 第20230519号提案《关于促进基础研发的建议》" in result.stdout
    assert "OpinionSubmitted       杨鑫 (湖北省知识产权局)" in result.stdout
    assert "The log is intact: 35 events in 5 proposals" in result.stdout
    assert db.exists()
    again = run("demo", "--db", str(db))
    assert again.returncode == 2
    assert again.stderr.startswith("cohandle: --db names an existing file")
    assert "Traceback" not in again.stderr


def test_verify_says_intact_or_names_the_damage(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    run("demo", "--db", str(db))
    ok = run("verify", "--db", str(db))
    assert ok.returncode == 0 and "intact" in ok.stdout
    con = sqlite3.connect(db)
    con.execute("UPDATE events SET payload = replace(payload, '杨鑫', '杨森') WHERE version = 4")
    con.commit()
    con.close()
    damaged = run("verify", "--db", str(db))
    assert damaged.returncode == 1
    assert "damaged at proposal 'cppcc-湖北省-13-1-20230519', version 4" in damaged.stdout


def test_verify_of_a_missing_or_foreign_file_is_one_line(tmp_path: Path) -> None:
    missing = run("verify", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 100)
    bad = run("verify", "--db", str(junk))
    assert bad.returncode == 2 and "not a readable cohandle database" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_diagram_and_version_and_bad_arguments() -> None:
    diagram = run("diagram")
    assert diagram.stdout.startswith("stateDiagram-v2\n")
    assert run("--version").stdout.startswith("cohandle ")
    wrong = run("frobnicate")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr
