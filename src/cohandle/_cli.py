"""The ``cohandle`` command: a thin shell over the public API.

Errors are one line on standard error and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import unicodedata
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


def _parse(args: argparse.Namespace) -> int:
    from cohandle.letters import parse_letter

    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else open(args.file, "rb").read()  # noqa: SIM115
    except OSError as exc:
        raise cohandle.InvalidInput("FILE", f"cannot be read ({exc.strerror}: {args.file})") from None
    letter = parse_letter(raw)
    data = letter.to_json()
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    labels = {
        "kind": "类型", "body": "政协/人大", "level": "级别", "session_term": "届次", "session_meeting": "会次",
        "number": "编号", "proposal_title": "提案标题", "author_unit": "来文单位", "addressee": "主送",
        "category": "答复类别", "letter_date": "成文日期", "published_date": "发布日期", "doc_number": "文号",
        "issuer": "签发人/主管领导", "contact_name": "经办人", "contact_phone": "联系电话", "postal_code": "邮政编码",
        "copies": "抄送", "disclosure": "公开属性",
    }  # fmt: skip
    for key, label in labels.items():
        value = data[key]
        if isinstance(value, list):
            value = "、".join(value) if value else None
        print(f"{pad(label, 16)} {value if value is not None else '—'}")
    for warning in data["warnings"]:
        print(f"注意: {warning}")
    return 0


def _render(args: argparse.Namespace) -> int:
    from cohandle.letters import opinion_layout, reply_layout, to_docx, to_text

    path = _db_path(args)
    if not os.path.exists(path):
        raise cohandle.InvalidInput("--db", f"names no file ({path})")
    with cohandle.Workflow.open(path) as wf:
        p = wf.get(args.id)
        if args.kind == "reply":
            if p.reply is None:
                raise cohandle.InvalidInput(
                    "ID", f"names proposal {p.id!r}, which has no reply yet (it is {p.status})"
                )
            layout = reply_layout(p.reply, p.data)
        else:
            opinions = [part.opinion for part in p.co_handlers if part.opinion is not None]
            if args.unit:
                opinions = [o for o in opinions if o.author.name == args.unit]
            if len(opinions) != 1:
                names = "、".join(o.author.name for o in opinions) or "none"
                raise cohandle.InvalidInput(
                    "--unit", f"must name one co-handler whose opinion is in (opinions from: {names})"
                )
            layout = opinion_layout(opinions[0], p.data)
    if args.docx:
        to_docx(layout, args.docx)
        print(f"Written: {args.docx}")
    else:
        print(to_text(layout), end="")
    return 0


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - columns)


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

    parse = commands.add_parser(
        "parse", help="read a 会办意见 or 答复 letter (a text file, or - for standard input)"
    )
    parse.add_argument("file", metavar="FILE")
    parse.add_argument("--json", action="store_true", help="print one JSON object")
    parse.set_defaults(run=_parse)

    render = commands.add_parser("render", help="write a proposal's reply or opinion as an official letter")
    render.add_argument("id", metavar="ID", help="the proposal id")
    render.add_argument("--kind", choices=("reply", "opinion"), default="reply")
    render.add_argument("--unit", help="with --kind opinion: the co-handler whose opinion to write")
    render.add_argument("--docx", metavar="PATH", help="write a Word document instead of printing text")
    render.add_argument("--db", help=f"the database file (default: ${ENV_DB} or cohandle.db)")
    render.set_defaults(run=_render)

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
