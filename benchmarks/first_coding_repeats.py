"""First coding (and re-matching) of two code versions, measured again and again, alternating.

On a shared machine one run of `autocode_throughput.py` moves by a tenth either way, which is
more than a small change saves. This runs its `measure` in a fresh child process per
measurement, alternating the baseline tree and this checkout `--repeats` times over the same
generated corpus, and prints the fastest and the median CPU time of each stage (first coding,
its analysis part, re-match in the same process, re-match as a new process would) per language.

    git worktree add --detach /tmp/old <commit>
    .venv/bin/python benchmarks/first_coding_repeats.py --baseline /tmp/old [--words 300000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from autocode_throughput import ROOT, in_child, make_corpus

STAGES = ("first", "first_analysis_cpu", "rematch", "rematch_cold")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="a worktree of an earlier commit")
    parser.add_argument("--words", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="qc-repeats-"))
    load_before = os.getloadavg()[0]
    try:
        corpus = tmp / "corpus"
        corpus.mkdir()
        make_corpus(corpus, args.words)
        for lang in ("en", "ru"):
            (corpus / lang).mkdir()
        words = {"en": 0, "ru": 0}
        for f in corpus.glob("*.txt"):
            text = f.read_text(encoding="utf-8")
            lang = "en" if "language: en" in text[:200] else "ru"
            words[lang] += len(text.split("---", 2)[-1].split())
            f.rename(corpus / lang / f.name)
        cpu: dict[tuple[str, str, str], list[float]] = {}
        for _ in range(args.repeats):
            for lang in ("en", "ru"):
                for code, tree in (("before", args.baseline), ("after", None)):
                    res = in_child(tree, corpus / lang, args.codebook, recode=False)
                    for stage in STAGES:
                        value = res[stage] if stage == "first_analysis_cpu" else res[stage][1]
                        cpu.setdefault((lang, stage, code), []).append(value)
        print(f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; words en {words['en']:,}, "
              f"ru {words['ru']:,} (with speaker labels); {args.repeats} repeats, alternating; CPU seconds")
        print()
        print("| lang | stage | before fastest | after fastest | × (fastest) | before median | after median | "
              "× (median) |\n|---|---|---:|---:|---:|---:|---:|---:|")
        for lang in ("en", "ru"):
            for stage in STAGES:
                b, a = cpu[(lang, stage, "before")], cpu[(lang, stage, "after")]
                print(f"| {lang} | {stage} | {min(b):.3f} | {min(a):.3f} | {min(b) / min(a):.2f} | "
                      f"{statistics.median(b):.3f} | {statistics.median(a):.3f} | "
                      f"{statistics.median(b) / statistics.median(a):.2f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
