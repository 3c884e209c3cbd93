"""How far two human-style coders agree on a set, beside the rules: the ceiling for issue 13's goal.

A set's first coding (`gold.csv`) and an independent second, blind coding of the same
interviews (tests/data/reliability/*_second.csv, same format) are imported as two coders into
one project coded with the shipped codebook; then turn-level Cohen's kappa and F1, pooled over
codes (micro), as in suggest_learning_curve.py, for coder against coder and the rules against
each. The yardstick gold3 is refused: nothing is ever run on it.

    .venv/bin/python benchmarks/suggest_ceiling.py [--set gold4] [--second tests/data/reliability/gold4_second.csv]

`benchmarks/intercoder_gold.py` gives the same pairs in the rules' statistic (`gold_agreement.py`:
matches widened to turns, the issue-12 figure); this one in the learning curve's (issue 13).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gold_agreement import gold_codings_csv
from suggest_learning_curve import CODEBOOK, ROOT, Pool, build

from qualcode.suggest import learn
from qualcode.suggest.evaluation import to_turns, turn_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="gold4")
    parser.add_argument("--second", type=Path, default=ROOT / "tests" / "data" / "reliability" / "gold4_second.csv")
    args = parser.parse_args()
    if "gold3" in args.set or "gold3" in args.second.name:
        parser.error("gold3 is the untouched yardstick")
    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp), [ROOT / "tests" / "data" / args.set])
        gold_codings_csv(project, args.second, Path(tmp) / "second.csv", coder="second")
        project.import_codings(Path(tmp) / "second.csv", create_codes=True)
        book = project._suggest_book(CODEBOOK)
        first = learn.prepare(project.engine, ["gold"], unit="sentence", codes=None, book=book, min_positive=2)
        second = learn.prepare(project.engine, ["second"], unit="sentence", codes=first.code_list, book=book,
                               min_positive=2)
        project.close()
    assert second.code_list == first.code_list
    ids, keys = turn_ids(first.corpus)
    a, b, rules = (to_turns(m, ids, len(keys)) for m in (first.Y > 0, second.Y > 0, first.R))
    print(f"# {args.set}: {len(first.dec.coded)} interviews, {len(keys)} turns, {len(first.code_list)} codes; "
          f"second coding {args.second.name}\n")
    print("| pair | turn-level kappa | F1 |\n|---|---|---|")
    for x, y, name in ((a, b, "first coder vs second coder"), (a, rules, "first coder vs rules"),
                       (b, rules, "second coder vs rules")):
        pool = Pool()
        pool.add(x, y)
        print(f"| {name} | {pool.kappa:.3f} | {pool.f1:.3f} |")


if __name__ == "__main__":
    main()
