"""How far can any automatic coder get? Two human codings of the same set, and the rules, side by side.

A set's `gold.csv` is one person's coding. `tests/data/reliability/<set>_second.csv` is a second,
blind coding of the same transcripts by someone who saw neither the first coding nor the rules.
This prints the pooled turn-level kappa (the statistic of `gold_agreement.py`, computed by the
same `qualcode.evaluation.evaluate`) for three pairs:

  rules    vs first coder   the figure the issues track
  rules    vs second coder
  second   vs first coder   human inter-coder agreement: the ceiling for matching one coder

    .venv/bin/python benchmarks/intercoder_gold.py --set tests/data/gold4 [--codebook FILE] [--per-code]

Measuring is not tuning: nothing here changes rules, thresholds or models. On the yardstick
(`tests/data/gold3`) run it only to report, never to choose.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd
from gold_agreement import gold_codings_csv

from qualcode import Project
from qualcode.evaluation import evaluate

ROOT = Path(__file__).resolve().parent.parent
RELIABILITY = ROOT / "tests" / "data" / "reliability"


def _as_rule(codings: pd.DataFrame, coder: str) -> pd.DataFrame:
    """`evaluate` compares rule codings with a human coder: let `coder`'s rows play the rules' part."""
    human = codings[(codings["origin"] != "rule") & (codings["coder"] == coder)].copy()
    human["origin"] = "rule"
    human["rule"] = coder
    return human


def measure(folder: Path, second: Path, codebook: Path) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "pair.qcdb")
        report = project.import_files(sorted(folder.glob("*.txt")))
        assert report.ok, [r.message for r in report.failed]
        project.autocode(codebook)
        first_csv, second_csv = Path(tmp) / "first.csv", Path(tmp) / "second.csv"
        gold_codings_csv(project, folder, first_csv, coder="first")
        project.import_codings(first_csv, create_codes=True)
        gold_codings_csv(project, second, second_csv, coder="second")
        project.import_codings(second_csv, create_codes=True)
        codings, turns = project.codings(), project.turns()
        project.close()
    rules = codings[codings["origin"] == "rule"]
    humans = codings[codings["origin"] != "rule"]
    pairs = [("rules", "first", pd.concat([rules, humans])),
             ("rules", "second", pd.concat([rules, humans])),
             ("second", "first", pd.concat([_as_rule(codings, "second"), humans[humans["coder"] == "first"]]))]
    out = []
    for a, b, frame in pairs:
        result = evaluate(frame, turns, coder=b)
        out.append({"pair": f"{a} vs {b}", **{k: result.overall[k] for k in ("precision", "recall", "f1", "kappa")},
                    "per_code": result.per_code})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, required=True, help="a folder with transcripts and gold.csv")
    parser.add_argument("--second", type=Path, help="the second coding (default: reliability/<set>_second.csv)")
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    parser.add_argument("--per-code", action="store_true")
    args = parser.parse_args()
    second = args.second or RELIABILITY / f"{args.set.name}_second.csv"
    rows = measure(args.set, second, args.codebook)
    print(f"{args.set.name}: pooled turn-level agreement ({args.codebook.name})")
    print(f"{'pair':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'kappa':>6}")
    for r in rows:
        print(f"{r['pair']:<20} {r['precision']:>9.3f} {r['recall']:>7.3f} {r['f1']:>6.3f} {r['kappa']:>6.3f}")
    if args.per_code:
        for r in rows:
            print(f"\n{r['pair']}")
            print(r["per_code"].to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
