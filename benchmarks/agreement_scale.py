"""Inter-coder agreement at scale: Krippendorff's alpha at character level for 3 coders on 24
and on 1,000 transcripts (about 8,000 words each), beside a floor measured in the same run.

    .venv/bin/python benchmarks/agreement_scale.py [--sizes 24 1000] [--words 8000] [--boot 1000]

Floor: the character × coder 0/1 matrix of one code built with numpy and the plain percent
agreement on it, i.e. the least any character-level comparison has to do. qualcode's figure
covers all 20 codes: marks, percent, Cohen, Fleiss and alpha per code and pooled, then the
bootstrap intervals (whole turns resampled). Synthetic data: coders agree on ~80% of spans.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode.analysis.agreement import agreement

WORDS = "мы переехали на север потому что работы не было and the housing was cheap there".split()  # noqa: SIM905
CODERS = ["ann", "bob", "cat"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus(n: int, words: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)
    texts, turn_rows, coding_rows = {}, [], []
    codes = [f"c{i:02d}" for i in range(20)]
    for t in range(n):
        name = f"t{t:04d}"
        parts, pos, turn = [], 0, 0
        while sum(len(p.split()) for p in parts) < words:
            length = int(rng.integers(20, 120))
            text = " ".join(WORDS[i % len(WORDS)] for i in rng.integers(0, len(WORDS), length))
            role = "interviewer" if turn % 2 == 0 else "respondent"
            turn_rows.append({"transcript": name, "turn": turn, "speaker": role, "role": role, "start": pos,
                              "end": pos + len(text), "timestamp": None, "text": text})
            parts.append(text)
            pos += len(text) + 1
            turn += 1
        texts[name] = "\n".join(parts)
        size = len(texts[name])
        for _ in range(words // 40):  # one coding per ~40 words per coder
            start = int(rng.integers(0, size - 200))
            end = start + int(rng.integers(20, 200))
            code = codes[int(rng.integers(0, 20))]
            for coder in CODERS:
                if rng.random() < 0.8:  # most coders code the same span, with jittered edges
                    s = max(0, start + int(rng.integers(-10, 10)))
                    coding_rows.append({"transcript": name, "case": name, "code": code, "start": s,
                                        "end": max(s + 1, end + int(rng.integers(-10, 10))), "coder": coder,
                                        "origin": "manual", "status": "accepted"})
    return pd.DataFrame(coding_rows), pd.DataFrame(turn_rows), texts


def floor(codings: pd.DataFrame, texts: dict[str, str]) -> float:
    """Percent agreement on one code's character marks (numpy difference arrays), all transcripts."""
    one = codings[codings["code"] == "c00"]
    agree = total = 0
    for name, text in texts.items():
        marks = np.zeros((len(CODERS), len(text) + 1), dtype=np.int32)
        here = one[one["transcript"] == name]
        for i, coder in enumerate(CODERS):
            mine = here[here["coder"] == coder]
            np.add.at(marks[i], mine["start"].to_numpy(), 1)
            np.add.at(marks[i], mine["end"].to_numpy(), -1)
        cover = np.cumsum(marks, axis=1)[:, :-1] > 0
        agree += int((cover.min(0) == cover.max(0)).sum())
        total += len(text)
    return 100 * agree / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[24, 1000])
    parser.add_argument("--words", type=int, default=8000)
    parser.add_argument("--boot", type=int, default=1000)
    args = parser.parse_args()
    for n in args.sizes:
        t = time.perf_counter()
        codings, turns, texts = corpus(n, args.words, seed=n)
        chars = sum(len(x) for x in texts.values())
        print(f"\n== {n:,} transcripts × 3 coders: {chars / 1e6:.1f} M characters, {len(codings):,} codings "
              f"(made in {time.perf_counter() - t:.1f} s) ==", flush=True)
        t = time.perf_counter()
        pct = floor(codings, texts)
        print(f"floor: one code, numpy char marks + percent agreement   {time.perf_counter() - t:7.2f} s "
              f"({pct:.1f}%)", flush=True)
        for boot in (0, args.boot):
            t = time.perf_counter()
            result = agreement(codings, turns, texts, CODERS, unit="char", n_boot=boot, random_state=0)
            label = f"qualcode: 20 codes, char level, {boot} bootstrap resamples"
            print(f"{label:<56} {time.perf_counter() - t:7.2f} s   peak RSS {rss_mb():6.0f} MB   "
                  f"pooled alpha {result.overall['alpha']:.3f}", flush=True)
        row = result.per_code.iloc[0]
        print(f"   e.g. {row['code']}: alpha {row['alpha']:.3f} [{row['alpha_low']:.3f}, {row['alpha_high']:.3f}]")


if __name__ == "__main__":
    main()
