"""Letters parsed per second: the seed letter and the test fixtures, on one core.

Usage: ``python benchmarks/letters.py --size 2000`` (letters parsed per kind). Prints a table,
then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from cohandle.letters import parse_letter, render_reply

ROOT = Path(__file__).parent.parent
SEED = ROOT.parent / "shared" / "corpus" / "seed-letter-hubei-ipa-20230519.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "letters"


def rate(text: str, n: int) -> float:
    parse_letter(text)  # warm up
    start = time.perf_counter()
    for _ in range(n):
        parse_letter(text)
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=500, help="letters parsed for each text (default 500)")
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1")
    texts = {path.stem: path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.txt"))}
    seed = "seed letter (湖北省知识产权局)"
    if SEED.exists():
        texts = {seed: SEED.read_text(encoding="utf-8"), **texts}
    import cohandle
    from cohandle._demo import record_demo

    # the clock after the demo's last event, of 20 November 2023
    wf = cohandle.Workflow(clock=cohandle.FixedClock("2023-12-01T09:00:00+08:00"))
    p = wf.get(record_demo(wf)[0])
    assert p.reply is not None
    texts["rendered reply"] = render_reply(p.reply, p.data)

    rates = {name: rate(text, args.size) for name, text in texts.items()}
    print(f"Letters parsed per second, {args.size} parses of each, one core")
    print(f"{'letter':<40} {'chars':>7} {'letters/s':>10}")
    for name, value in rates.items():
        print(f"{name:<40} {len(texts[name]):>7,} {value:>10,.0f}")
    figures = {"letters_per_s_min": round(min(rates.values()))}
    if seed in rates:  # the seed letter lies beside the project, not in it
        figures["letters_per_s_seed"] = round(rates[seed])
    figures["letters_per_s_mean"] = round(sum(rates.values()) / len(rates))
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
