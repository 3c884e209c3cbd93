"""Regex rules on the stdlib `re` (before issue 18) against the bounded `regex` engine (after).

Every regex rule of the shipped codebook runs over every line of the bundled interviews,
repeated to about 4 million characters, once with `re` and once the way qualcode now
matches (qualcode.safe_regex.BoundedPattern: `regex` with a timeout, GIL released), side
by side in one run. The match counts must agree; the time bound must cost nothing
noticeable on ordinary rules.

Run: .venv/bin/python benchmarks/regex_engine.py
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from qualcode.codebook import load
from qualcode.safe_regex import BoundedPattern

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    book = load(ROOT / "codebooks" / "migration.yaml")
    rules = [r for r in book.rules() if r.kind == "regex"]
    files = sorted((ROOT / "interviews").glob("*.txt")) + sorted((ROOT / "interviews").glob("*.md"))
    text = "".join(f.read_text(encoding="utf-8", errors="replace") for f in files) * 20
    lines = text.split("\n")
    plain = [re.compile(r.regex, re.IGNORECASE) for r in rules]
    bounded = [BoundedPattern(r.regex, r.id) for r in rules]
    results = {}
    for name, patterns in (("re (before)", plain), ("regex, bounded (now)", bounded)):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            n = sum(1 for p in patterns for line in lines for _ in p.finditer(line, 0, len(line)))
            best = min(best, time.perf_counter() - start)
        results[name] = (best, n)
    base = results["re (before)"][0]
    print(f"{len(rules)} regex rules x {len(lines):,} lines ({len(text):,} characters), best of 3")
    print("| engine | seconds | matches | x re |\n|---|---:|---:|---:|")
    for name, (secs, n) in results.items():
        print(f"| {name} | {secs:.2f} | {n:,} | {secs / base:.2f} |")
    counts = {n for _, n in results.values()}
    assert len(counts) == 1, f"the engines disagree: {results}"


if __name__ == "__main__":
    main()
