"""Turn-level agreement of the shipped codebook's rules with a hand-coded evaluation set.

The set (tests/data/gold/) is 8 synthetic interviews written and coded at turn level by a
helper who never saw the rules; the rule author never saw the set. This prints per-code
precision, recall, F1 and Cohen's kappa, the figure the team tracks.

    .venv/bin/python benchmarks/gold_agreement.py [--gold tests/data/gold] [--codebook ...] [--examples 2]

Tuning sets (rules have been chosen on them, so their figures are in-sample): `gold`, `gold2`,
`gold4`, `gold5`, `gold6`, `gold7`, `gold8`; `benchmarks/rule_crossval.py` scores all of them at
once and tests a change on the sets it was not derived from. `tests/data/gold3` is the untouched
yardstick: it is measured once, by the integrator, and nothing is chosen on it.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import pandas as pd

from qualcode import Project
from qualcode.evaluation import evaluate

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "gold"


def gold_codings_csv(project: Project, gold: Path, out: Path, coder: str = "gold") -> int:
    """A set's coding (transcript,code,quote) as a codings table with the quote's exact offsets.
    `gold`: the set's folder (its gold.csv) or a CSV of the same columns (a second coding)."""
    rows = []
    source = gold if gold.suffix == ".csv" else gold / "gold.csv"
    with source.open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            text = project.transcript_text(rec["transcript"])
            start = text.find(rec["quote"])
            if start < 0:
                raise SystemExit(f"{source.name}: quote not found in {rec['transcript']}: {rec['quote'][:60]!r}")
            rows.append({"transcript": rec["transcript"], "code": rec["code"], "start": start,
                         "end": start + len(rec["quote"]), "text": rec["quote"], "coder": coder})
    pd.DataFrame(rows).to_csv(out, index=False)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=GOLD, help="a folder with transcripts (*.txt) and gold.csv")
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    parser.add_argument("--examples", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "gold.qcdb")
        report = project.import_files(sorted(args.gold.glob("*.txt")))
        assert report.ok, [r.message for r in report.failed]
        run = project.autocode(args.codebook)
        n = gold_codings_csv(project, args.gold, Path(tmp) / "gold_codings.csv")
        project.import_codings(Path(tmp) / "gold_codings.csv", create_codes=True)
        # every error when asked for (the Project method keeps three per code)
        result = (evaluate(project.codings(), project.turns(), coder="gold", max_examples=args.examples)
                  if args.examples > 3 else project.evaluate_rules("gold"))
        project.close()
    frame = result.per_code
    pd.set_option("display.width", 160)
    print(f"{len(result.transcripts)} transcripts, {result.turns} turns, {n} gold codings, "
          f"{run.total} rule codings ({args.codebook.name} v{run.codebook_version})")
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    scored = frame[frame["code"] != "(all codes)"]
    print(f"\nmacro F1 {scored['f1'].fillna(0).mean():.3f}, macro kappa {scored['kappa'].fillna(0).mean():.3f}; "
          f"pooled: precision {result.overall['precision']:.3f}, recall {result.overall['recall']:.3f}, "
          f"F1 {result.overall['f1']:.3f}, kappa {result.overall['kappa']:.3f}")
    if args.examples:
        for code, ex in result.examples.items():
            for item in ex["fp"][: args.examples]:
                print(f"FP {code} {item['transcript']}#{item['turn']} [{item['rule']}] {item['matched'][:120]!r}")
            for item in ex["fn"][: args.examples]:
                print(f"FN {code} {item['transcript']}#{item['turn']} {item['human'][:120]!r}"
                      + (f" | turn: {item['turn_text'][:200]!r}" if args.examples > 3 else ""))


if __name__ == "__main__":
    main()
