"""Where the typology's scores come from, and how well they hold on a set they were not fitted on.

    .venv/bin/python benchmarks/typology_weights.py [--codebook FILE] [--C 0.1 ...] [--features EXPR ... | axes]
                                                    [--study-terms] [--fit-on SET ...] [--fit-codebook FILE]

A multinomial logistic regression of the documented types on the codebook's five profiles
(resources, push_factors, pull_factors, immediate_goals, longterm_goals) and, with
`--study-terms` (what the codebook's scores use), the study's two distinctions of the mixed
group: both kinds of goal at once and push against pull. `--features` takes
other expressions over the profiles, as the codebook's `score:` can state them; `--features
axes` is the study's four axes (resources, push_factors - pull_factors as one balance,
immediate_goals, longterm_goals), tried and not adopted (BENCHMARKS.md).

Rows: every case of the tuning sets (the bundled sample, tests/data/gold, gold2, gold4 and,
when present, gold5 to gold8), once with the profiles computed from the rule codings and once
from the human gold codes where a set has them, so the scores hold for both. The yardstick
(tests/data/gold3) is never read here.

It prints, per set and source, side by side:
- **in-sample**: the rule typology (the codebook's `when` gates and the scores fitted on all
  tuning sets) against the documented types, and the ARI of the clusters on the type scores;
- **leave-one-set-out (LOSO)**: the same with the scores fitted on the *other* sets only (both
  sources of the held-out set are held out: they are the same cases). This is the honest
  estimate for a new set; choose features and `--C` by it, never by the in-sample column.
`--fit-on` fits on some sets only, so the others' in-sample column is a fresh test.
A third column, **codebook**, is the codebook's own scores as they stand (fitted once, perhaps
on older rule codings). `--fit-codebook FILE` fits on the codings of another codebook (say the
rules before a rule pass) and evaluates on `--codebook`'s: its LOSO column is then how scores
fitted on the old codings of the other sets hold on a set's new codings, the leave-one-set-out
figure to compare a refit against.
Then the `score:` expressions to put in the codebook's `types:` (fitted on all tuning sets).
A softmax of these scores is the model's probability, the degree of membership qualcode reports.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score
from typology_agreement import ROOT, TUNING, evidence, load_set

from qualcode.analysis.report import typology_report
from qualcode.analysis.typology import rule_typology
from qualcode.codebook import Codebook, compute
from qualcode.codebook import load as load_codebook

# The codebook's scores: five profiles, push and pull apart.
FEATURES = ["resources", "push_factors", "pull_factors", "immediate_goals", "longterm_goals"]
# The study's four axes (--features axes), the push-pull balance as one axis as the study states
# it ("the same importance of both push and pull factors" for the mixed group): not adopted.
AXES = ["resources", "push_factors - pull_factors", "immediate_goals", "longterm_goals"]
# The study's own distinctions of the mixed group as score terms (--study-terms): both kinds of
# goal at once, and push against pull (equal weight: a small difference).
STUDY_TERMS = ["min(immediate_goals, longterm_goals)", "abs(push_factors - pull_factors)"]


@dataclasses.dataclass
class Tuning:
    """Per case (index) and source: profiles, documented type and group ("set/source"); and
    per group the case × code evidence matrix, to re-run the whole typology on it."""

    rows: pd.DataFrame
    matrices: dict[str, pd.DataFrame]


def tuning(codebook: Path) -> Tuning:
    book = load_codebook(codebook)
    out, matrices = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder in TUNING.items():
            if not folder.exists():
                continue
            project = load_set(folder, Path(tmp), codebook)
            truth = project.cases().set_index("case")["documented_type"]
            for source, gold in [("rules", False)] + ([("human", True)] if "gold" in project.coders() else []):
                matrix = evidence(project, gold=gold)
                frame = rule_typology(book, matrix).cases.set_index("case")
                group = f"{name}/{source}"
                matrices[group] = matrix.assign(_truth=truth.reindex(matrix.index))
                out.append(frame.assign(documented=truth.reindex(frame.index), group=group))
            project.close()
    return Tuning(pd.concat(out), matrices)


def design(rows: pd.DataFrame, features: list[str], profiles: list[str]) -> np.ndarray:
    """Each feature expression evaluated on each case's profiles, as the codebook would."""
    values = rows[profiles].astype(float).to_dict(orient="records")
    return np.array([[float(compute(f, v)) for f in features] for v in values])


def expressions(model: LogisticRegression, features: list[str]) -> dict[str, str]:
    """The fitted scores as the codebook's `score:` expressions (rounded to two decimals)."""
    out = {}
    for label, coef, intercept in zip(model.classes_, model.coef_, model.intercept_, strict=True):
        terms = []
        for c, f in zip(coef, features, strict=True):
            # A sum or difference needs parentheses; a single call such as abs(a - b) does not.
            bare = re.fullmatch(r"\w+\([^()]*(\([^()]*\))?[^()]*\)", f) or not any(op in f for op in "+-")
            name = f if bare else f"({f})"
            terms.append(f"{'+' if c >= 0 else '-'} {abs(c):.2f} * {name}")
        out[str(label)] = f"{intercept:.2f} {' '.join(terms)}"
    return out


def with_scores(book: Codebook, scores: dict[str, str]) -> Codebook:
    """The codebook with these scores in its types (the `when` gates unchanged)."""
    types = [dataclasses.replace(t, score=scores.get(t.id, t.score)) for t in book.types]
    return dataclasses.replace(book, types=types)


def evaluate_set(book: Codebook, matrix: pd.DataFrame) -> tuple[float, float]:
    """Share of cases whose rule type is the documented type, and the ARI of the clusters on
    the type scores (the report's default space, k = 3) against the documented types."""
    truth, matrix = matrix["_truth"], matrix.drop(columns=["_truth"])
    types = rule_typology(book, matrix).cases.set_index("case")["rule_type"]
    right = float((types == truth.reindex(types.index)).mean())
    report = typology_report(matrix, pd.DataFrame({"case": list(matrix.index)}), book=book, method="cluster",
                             space="types", n_bootstrap=0)
    labels = report.cases.set_index("case")["cluster"].astype(int)
    return right, float(adjusted_rand_score(truth.reindex(labels.index), labels))


def fit(X: np.ndarray, y: np.ndarray, C: float) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=5000).fit(X, y)


def side_by_side(book: Codebook, data: Tuning, features: list[str], C: float,
                 fit_on: list[str] | None = None, fit_data: Tuning | None = None) -> tuple[pd.DataFrame, dict]:
    """In-sample and leave-one-set-out figures per group, and the scores fitted on everything
    (or only on the sets `fit_on`: then the other sets' "in-sample" column is a fresh test).
    `fit_data`: fit on these rows (another codebook's codings of the same sets) and evaluate
    on `data`'s, to ask how scores fitted on older rule codings hold on the current ones."""
    profiles = [p.id for p in book.profiles]
    rows = (fit_data or data).rows
    X, y = design(rows, features, profiles), rows["documented"].to_numpy()
    sets = rows["group"].str.split("/").str[0].to_numpy()
    chosen = np.isin(sets, fit_on) if fit_on else np.ones(len(sets), bool)
    scores = expressions(fit(X[chosen], y[chosen], C), features)
    whole = with_scores(book, scores)
    out = []
    for group, matrix in data.matrices.items():
        held = (sets != group.split("/")[0]) & chosen
        loso = with_scores(book, expressions(fit(X[held], y[held], C), features))
        right, ari = evaluate_set(whole, matrix)
        right_loso, ari_loso = evaluate_set(loso, matrix)
        # The codebook's own scores as they stand (fitted once, on whatever codings they were).
        right_book, ari_book = evaluate_set(book, matrix)
        out.append({"group": group, "cases": len(matrix), "right in-sample": right, "right LOSO": right_loso,
                    "right codebook": right_book, "ARI in-sample": ari, "ARI LOSO": ari_loso,
                    "ARI codebook": ari_book})
    return pd.DataFrame(out), scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    # 0.1: of 0.03, 0.1, 0.3 and 1, the best leave-one-set-out mean over the tuning sets (BENCHMARKS.md)
    parser.add_argument("--C", type=float, nargs="+", default=[0.1],
                        help="inverse L2 strength(s) to compare (small: weights near 0)")
    parser.add_argument("--features", nargs="+", default=FEATURES,
                        help="expressions over the codebook's profiles, or 'axes' for the study's four axes")
    parser.add_argument("--study-terms", action="store_true", help="add " + " and ".join(STUDY_TERMS))
    parser.add_argument("--fit-on", nargs="+", help="fit the scores on these sets only (e.g. sample gold gold2 gold4)")
    parser.add_argument("--fit-codebook", type=Path,
                        help="fit on the codings of this codebook (e.g. an older rule state), evaluate on --codebook's")
    args = parser.parse_args()
    features = AXES if args.features == ["axes"] else args.features
    features = features + STUDY_TERMS if args.study_terms else features
    book = load_codebook(args.codebook)
    data = tuning(args.codebook)
    fit_data = tuning(args.fit_codebook) if args.fit_codebook else None
    pd.set_option("display.width", 200)
    for C in args.C:
        table, scores = side_by_side(book, data, features, C, args.fit_on, fit_data)
        print(f"\nfeatures {features}, C = {C}")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(f"  mean over groups: right in-sample {table['right in-sample'].mean():.3f}, "
              f"LOSO {table['right LOSO'].mean():.3f} (lowest {table['right LOSO'].min():.3f}), "
              f"codebook {table['right codebook'].mean():.3f} (lowest {table['right codebook'].min():.3f}); "
              f"ARI in-sample {table['ARI in-sample'].mean():.3f}, LOSO {table['ARI LOSO'].mean():.3f}, "
              f"codebook {table['ARI codebook'].mean():.3f}")
        # Counted per case, the 24-case sample weighs three times an 8-case set.
        n = table["cases"].sum()
        print(f"  cases right over all groups: in-sample {round((table['right in-sample'] * table['cases']).sum())}"
              f"/{n}, LOSO {round((table['right LOSO'] * table['cases']).sum())}/{n}, "
              f"codebook {round((table['right codebook'] * table['cases']).sum())}/{n}")
        print("  scores fitted on all tuning sets:")
        for label, expr in scores.items():
            print(f"  - id: {label}\n    score: \"{expr}\"")


if __name__ == "__main__":
    main()
