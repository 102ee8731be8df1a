"""Letters parsed per second: the seed letter and the test fixtures, on one core, and a
feedback form (征询意见表) filled in; then how the time to parse a page padded with a long run
(of spaces, line feeds, ticks, ...) grows with the run, against a run a quarter as long: a
parser that reads a run once takes about 4x.

Usage: ``python benchmarks/letters.py --size 2000`` (letters parsed per kind; the padded pages
are parsed a hundredth as often). Prints two tables, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cohandle.letters import parse_feedback_form, parse_letter, render_feedback_form, render_reply

ROOT = Path(__file__).parent.parent
SEED = ROOT.parent / "shared" / "corpus" / "seed-letter-hubei-ipa-20230519.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "letters"


# A page padded with a run, by the run's length: what pages scraped from the web hold.
PADDED: dict[str, Callable[[int], str]] = {
    "spaces": lambda n: " " * n,
    "ideographic spaces": lambda n: "\u3000" * n,
    "line feeds": lambda n: "\n" * n,
    "tabs (a row of empty cells)": lambda n: "\t" * n,
    "a category letter, spaces": lambda n: "A" + " " * n + "x",
    "a disclosure label, spaces": lambda n: "此件" + " " * n + "x",
    "a phone label, spaces": lambda n: "电话：" + " " * n + "x",
    "a name, spaces": lambda n: "联系人：李明" + " " * n + "x",
    "lines of 100 spaces": lambda n: (" " * 100 + "x\n") * (n // 100),
}
# The same for a feedback form filled in, read by parse_feedback_form.
PADDED_FORMS: dict[str, Callable[[int], str]] = {
    "form: ticks": lambda n: "三、对办理结果的意见：满意" + "√" * n + "x",
    "form: ticks in brackets": lambda n: "三、满意：" + "（√）" * (n // 3),
    "form: an answer, spaces": lambda n: "三、对办理结果的意见：满意" + " " * n + "x",
    "form: a signature, spaces": lambda n: "提案人（签名）：李明" + " " * n + "x",
}
LENGTHS = (2_000, 8_000, 32_000)


def seconds(text: str, n: int, parse: Callable[[str], Any] = parse_letter) -> float:
    """The best of ``n`` parses of ``text``."""
    best = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        parse(text)
        best = min(best, time.perf_counter() - start)
    return best


def rate(text: str, n: int, parse: Callable[[str], Any] = parse_letter) -> float:
    parse(text)  # warm up
    start = time.perf_counter()
    for _ in range(n):
        parse(text)
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
    form = (
        render_feedback_form(p)
        .replace("□是", "☑是")
        .replace("□电话", "√电话")
        .replace("□基本满意", "■基本满意")
    )
    form = form.replace("四、意见和建议：\n", "四、意见和建议：\n希望进一步加大基础研究投入。\n")
    form_name = "feedback form, filled in"

    rates = {name: rate(text, args.size) for name, text in texts.items()}
    form_rate = rate(form, args.size, parse_feedback_form)
    print(f"Letters parsed per second, {args.size} parses of each, one core")
    print(f"{'letter':<40} {'chars':>7} {'letters/s':>10}")
    for name, value in rates.items():
        print(f"{name:<40} {len(texts[name]):>7,} {value:>10,.0f}")
    figures: dict[str, Any] = {"letters_per_s_min": round(min(rates.values()))}
    if seed in rates:  # the seed letter lies beside the project, not in it
        figures["letters_per_s_seed"] = round(rates[seed])
    figures["letters_per_s_mean"] = round(sum(rates.values()) / len(rates))
    print(f"{form_name:<40} {len(form):>7,} {form_rate:>10,.0f}")
    figures["forms_per_s"] = round(form_rate)

    repeats = max(3, args.size // 100)
    times = {name: [seconds(make(n), repeats) for n in LENGTHS] for name, make in PADDED.items()}
    for name, make in PADDED_FORMS.items():
        times[name] = [seconds(make(n), repeats, parse_feedback_form) for n in LENGTHS]
    print()
    print(f"A page padded with a run: ms per parse (best of {repeats}), and the growth ×4 in length gives")
    print(f"{'run':<28}" + "".join(f"{n:>10,}" for n in LENGTHS) + f"{'growth':>9}")
    for name, row in times.items():
        growth = row[-1] / row[-2]
        print(f"{name:<28}" + "".join(f"{t * 1e3:>10.2f}" for t in row) + f"{growth:>8.1f}×")
    figures["padded_ms_at_32000_max"] = round(max(row[-1] for row in times.values()) * 1e3, 2)
    figures["padded_growth_x_max"] = round(max(row[-1] / row[-2] for row in times.values()), 2)
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
