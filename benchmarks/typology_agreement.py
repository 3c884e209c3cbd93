"""How well the typology recovers the documented types, on every set that has them.

For each set (the bundled sample, the hand-coded evaluation sets in tests/data/), this
imports the interviews into a fresh project, codes them with the codebook's rules, and
builds the rule typology twice: from the rule codings and, where the set has a human
gold coding, from the human codes. Clusters are fitted on code sets, on the profile
scores and on the type scores. It prints, per set, the share of cases whose rule type is
the documented type and the adjusted Rand index (ARI) of the clusters against the
documented types, and how robust each kind of cluster is to noisy coding: the mean and
lowest ARI against the documented types when a random 5% of the codings is dropped
(DROPS seeded draws), and, on sets with human codes, the ARI between the clusters made
from the rule codings and those made from the human codes.

    .venv/bin/python benchmarks/typology_agreement.py [--codebook FILE] [--cases] [--yardstick]

Tuning sets and the yardstick are kept apart: `tests/data/gold3` is the untouched
yardstick and is only evaluated with `--yardstick`, which prints its line separately.
Never change the codebook because of what that line shows.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from gold_agreement import gold_codings_csv
from sklearn.metrics import adjusted_rand_score

from qualcode import Project
from qualcode.analysis.matrix import case_code_matrix
from qualcode.analysis.report import typology_report
from qualcode.analysis.typology import rule_typology
from qualcode.codebook import load as load_codebook
from qualcode.errors import QualcodeError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
# gold5 to gold8: hand-coded tuning sets added late in issue 12 (used when present).
TUNING = {"sample": ROOT / "interviews", "gold": DATA / "gold", "gold2": DATA / "gold2", "gold4": DATA / "gold4",
          "gold5": DATA / "gold5", "gold6": DATA / "gold6", "gold7": DATA / "gold7", "gold8": DATA / "gold8"}
YARDSTICK = {"gold3": DATA / "gold3"}
SPACES = ("codes", "profiles", "types")
DROPS = 20  # random 5% drops of the codings per set, source and space


def clusters(matrix: pd.DataFrame, cases: pd.DataFrame, book, space: str) -> pd.Series:
    rep = typology_report(matrix, cases, book=book, method="cluster", space=space, n_bootstrap=0)
    return rep.cases.set_index("case")["cluster"].astype(int)


def dropped(matrix: pd.DataFrame, share: float, rng: np.random.Generator) -> pd.DataFrame:
    """The matrix with a random `share` of its codings (non-zero cells, at least one) removed."""
    values = matrix.to_numpy(dtype=float).copy()
    cells = np.argwhere(values > 0)
    chosen = cells[rng.choice(len(cells), max(1, round(share * len(cells))), replace=False)]
    values[chosen[:, 0], chosen[:, 1]] = 0
    return pd.DataFrame(values, index=matrix.index, columns=matrix.columns)


def load_set(folder: Path, where: Path, codebook: Path) -> Project:
    """A project with the set's interviews, rule-coded, plus the gold coding as coder `gold`."""
    project = Project.create(where / f"{folder.name}.qcdb")
    files = sorted(folder.iterdir()) if folder.name == "interviews" else sorted(folder.glob("*.txt"))
    files = [f for f in files if f.name != "README.md"]
    report = project.import_files(files)
    if not report.ok:
        raise SystemExit(f"{folder}: import failed: {[r.message for r in report.failed]}")
    project.autocode(codebook)
    if (folder / "gold.csv").exists():
        out = where / f"{folder.name}_gold.csv"
        gold_codings_csv(project, folder, out)
        project.import_codings(out, create_codes=True)
    return project


def evidence(project: Project, *, gold: bool) -> pd.DataFrame:
    codings = project.codings()
    chosen = codings[codings["coder"] == "gold"] if gold else codings[codings["origin"] == "rule"]
    cases = list(project.cases()["case"])
    return case_code_matrix(chosen, cases, kind="evidence", statuses=("accepted", "suggested"))


def score(name: str, project: Project, book, show_cases: bool) -> list[dict]:
    cases = project.cases()
    truth = cases.set_index("case")["documented_type"].astype(str)
    rows = []
    sources = [("rules", False)] + ([("human codes", True)] if "gold" in project.coders() else [])
    for source, gold in sources:
        matrix = evidence(project, gold=gold)
        types = rule_typology(book, matrix).cases.set_index("case")
        right = (types["rule_type"] == truth.reindex(types.index)).mean()
        row = {"set": name, "codes from": source, "cases": len(types), "rule type right": f"{right:.0%}",
               "unassigned": int((types["rule_type"] == "unassigned").sum()),
               "borderline": int(types["borderline"].sum())}
        for space in SPACES:
            try:
                labels = clusters(matrix, cases, book, space)
                row[f"ARI {space}"] = round(adjusted_rand_score(truth.reindex(labels.index), labels), 3)
                row[f"k ({space})"] = labels.nunique()
                rng = np.random.default_rng(0)
                noisy = []
                for _ in range(DROPS):
                    again = clusters(dropped(matrix, 0.05, rng), cases, book, space)
                    noisy.append(adjusted_rand_score(truth.reindex(again.index), again))
                row[f"5% drop {space} mean/min"] = f"{np.mean(noisy):.2f}/{np.min(noisy):.2f}"
                if gold:
                    ruled = clusters(evidence(project, gold=False), cases, book, space)
                    row[f"rules vs human {space}"] = round(adjusted_rand_score(ruled, labels.reindex(ruled.index)), 3)
            except QualcodeError as exc:  # a set too small to cluster is reported, not fatal
                row[f"ARI {space}"] = f"n/a ({exc})"[:40]
        rows.append(row)
        if show_cases:
            shown = types.assign(documented=truth.reindex(types.index))
            cols = [*book_profiles(book), "rule_type", "degree", "runner_up", "documented"]
            print(f"\n{name}, codes from {source}:")
            print(shown[cols].to_string(float_format=lambda v: f"{v:.2f}"))
    return rows


def book_profiles(book) -> list[str]:
    return [p.id for p in book.profiles]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    parser.add_argument("--cases", action="store_true", help="print every case's profiles and types")
    parser.add_argument("--yardstick", action="store_true", help="also evaluate the untouched yardstick (gold3)")
    parser.add_argument("--only", nargs="*", help="only these sets")
    args = parser.parse_args()
    book = load_codebook(args.codebook)
    pd.set_option("display.width", 200)
    sets = {k: v for k, v in TUNING.items() if v.exists() and (not args.only or k in args.only)}
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, folder in sets.items():
            project = load_set(folder, Path(tmp), args.codebook)
            rows += score(name, project, book, args.cases)
            project.close()
        print("\nTuning sets (the codebook may be changed because of these):")
        print(pd.DataFrame(rows).to_string(index=False))
        if args.yardstick:
            rows = []
            for name, folder in YARDSTICK.items():
                project = load_set(folder, Path(tmp), args.codebook)
                rows += score(name, project, book, False)
                project.close()
            print("\nUntouched yardstick (never tune against it):")
            print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
