"""The ``cohandle`` command: a thin shell over the public API.

Errors are one line on standard error and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence

import cohandle
from cohandle._demo import record_demo, timeline

ENV_DB = "COHANDLE_DB"


def _db_path(args: argparse.Namespace) -> str:
    return str(args.db or os.environ.get(ENV_DB) or "cohandle.db")


def _demo(args: argparse.Namespace) -> int:
    path = args.db or os.path.join(tempfile.mkdtemp(prefix="cohandle-demo-"), "demo.db")
    if os.path.exists(path):
        raise cohandle.InvalidInput(
            "--db", f"names an existing file ({path}); the demo writes a fresh database"
        )
    with cohandle.Workflow.open(path) as wf:
        ids = record_demo(wf)
        for proposal_id in ids:
            print(timeline(wf, proposal_id))
            print()
        print(f"Database: {path}")
        print(wf.verify())
    return 0


def _verify(args: argparse.Namespace) -> int:
    path = _db_path(args)
    if not os.path.exists(path):
        raise cohandle.InvalidInput("--db", f"names no file ({path})")
    with cohandle.Workflow.open(path) as wf:
        report = wf.verify()
    print(report)
    return 0 if report.ok else 1


def _diagram(args: argparse.Namespace) -> int:
    print(cohandle.PROPOSAL.mermaid(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cohandle", description="Handle co-handled proposals (提案/建议 会办)."
    )
    parser.add_argument("--version", action="version", version=f"cohandle {cohandle.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="record the seed case and more into a fresh database and print them"
    )
    demo.add_argument("--db", help="the new database file (default: one in a new temporary folder)")
    demo.set_defaults(run=_demo)

    verify = commands.add_parser("verify", help="check every hash chain of a database")
    verify.add_argument("--db", help=f"the database file (default: ${ENV_DB} or cohandle.db)")
    verify.set_defaults(run=_verify)

    diagram = commands.add_parser("diagram", help="print the proposal lifecycle as a Mermaid diagram")
    diagram.set_defaults(run=_diagram)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except cohandle.CohandleError as exc:
        print(f"cohandle: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cohandle: interrupted", file=sys.stderr)
        return 130
    return code
