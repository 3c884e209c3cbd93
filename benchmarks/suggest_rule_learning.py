"""Learning from a coder's decisions around the rules (issue 13): rule trust, learned triggers, a reject model.

The shipped suggestion equals the rules at every point of the learning curve
(benchmarks/suggest_learning_curve.py). This benchmark measures transparent ways of learning
that stay close to the rules, each side by side with the rules alone, on the same splits:

- **rule trust**, per rule: each rule's turn-level precision on the training interviews
  (the turns where it fired, and whether the coder coded its code there) with a Beta prior
  centred on all rules' precision (`strength` pseudo-turns); a rule whose posterior mean is
  below `floor` stops suggesting ("rule X: 1 of 7 accepted").
- **learned triggers**: lemmas and bigrams tied to a code in the coder's coded sentences,
  by log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, the prior
  `a0` times each term's share of respondent sentences), z-score above `z`, in at least
  `support` coded sentences and with a training precision of at least `precision`; every
  respondent sentence that has one is suggested for the code, beside the rules.
- **reject model**: one logistic regression pooled over codes on the (turn, code) pairs the
  rules coded in the training interviews: the code, its family, the rule, the sentence's
  lemmas (alone and crossed with the family), the other codes and families hit in the same
  sentence, how many codes the rules gave the turn; a pair below `cut` is dropped.
- **per code**, each of the above only for the codes where it beat the rules on grouped
  folds of the training interviews (by `margin` in kappa).

No model of qualcode.suggest is fitted here (those are in suggest_learning_curve.py), so a run
takes seconds once the project is built. Scores are turn-level kappa and F1, pooled over codes
and splits (micro), as in suggest_learning_curve.py, for the pooled curve (training interviews
from all sets) and the within-set curve (train and score inside one set: one coder).

    .venv/bin/python benchmarks/suggest_rule_learning.py [--sets gold,gold2,gold4] [--splits 3]
        [--sizes 8,12] [--within 2,4,6]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suggest_learning_curve import CODEBOOK, ROOT, SETS, Pool, build, set_members, split

from qualcode.suggest import learn
from qualcode.suggest.estimator import kappa_of
from qualcode.suggest.evaluation import to_turns, turn_ids
from qualcode.suggest.features import _is_word


class Frame:
    """What every method reads: turns, the coder's turn labels, rule firings and words per unit."""

    def __init__(self, prep: learn.Prepared) -> None:
        corpus, self.Y, self.R, self.codes = prep.corpus, prep.Y, prep.R, prep.code_list
        self.units = corpus.units
        col = {c: j for j, c in enumerate(self.codes)}
        self.ids, keys = turn_ids(corpus)
        self.H = to_turns(self.Y > 0, self.ids, len(keys))
        self.P = to_turns(self.R, self.ids, len(keys))
        self.names = np.array([u.transcript for u in corpus.units])
        self.role = np.array([u.role for u in corpus.units])
        self.family = [c.split(".")[0] for c in self.codes]
        # Positive rule firings (not negated, not dropped) per unit: (rule id, code column).
        self.fires: list[set[tuple[str, int]]] = []
        self.tokens: list[set[str]] = []
        for u in corpus.units:
            self.fires.append({(r[2:], col[r[2:].rsplit("/", 2)[0]]) for r in u.rules
                               if r.startswith("r:") and r[2:].rsplit("/", 2)[0] in col})
            words = [w.lower() for w in u.lemmas if _is_word(w)]
            self.tokens.append(({"w:" + w for w in words} | {f"b:{a} {b}" for a, b in pairwise(words)})
                               if u.role == "respondent" else set())

    def rows(self, transcripts: list[str]) -> np.ndarray:
        return np.flatnonzero(np.isin(self.names, transcripts))

    def turn_level(self, rows: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The coder's turns × codes and the prediction's, for the turns of unit `rows` (M: rows × codes)."""
        turns, inv = np.unique(self.ids[rows], return_inverse=True)
        P = np.zeros((len(turns), len(self.codes)), dtype=bool)
        np.maximum.at(P, inv, M)
        return self.H[turns], P

    def rules_without(self, distrusted: set[str], rows: np.ndarray) -> np.ndarray:
        out = np.zeros((len(rows), len(self.codes)), dtype=bool)
        for k, i in enumerate(rows):
            for rule, j in self.fires[i]:
                if rule not in distrusted:
                    out[k, j] = True
        return out


# A method: (frame, training unit rows, test unit rows, training transcripts) -> test rows × codes.
Method = Callable[[Frame, np.ndarray, np.ndarray, list[str]], np.ndarray]


def rule_trust(f: Frame, train: np.ndarray, strength: float, floor: float) -> dict[str, str]:
    """The rules to distrust, each with why ("rule X: 1 of 7 turns accepted")."""
    turns: dict[tuple[str, int], set[int]] = defaultdict(set)
    for i in train:
        for rule, j in f.fires[i]:
            turns[(rule, j)].add(int(f.ids[i]))
    total = sum(len(t) for t in turns.values())
    hits = sum(int(f.H[t, j]) for (_r, j), ts in turns.items() for t in ts)
    prior = hits / total if total else 0.5
    out = {}
    for (rule, j), ts in turns.items():
        h = sum(int(f.H[t, j]) for t in ts)
        if (h + strength * prior) / (len(ts) + strength) < floor:
            out[rule] = f"rule {rule}: {h} of {len(ts)} turns accepted"
    return out


def triggers(f: Frame, train: np.ndarray, z: float, support: int, precision: float,
             a0: float = 100.0) -> dict[int, set[str]]:
    """Per code column, the terms that trigger it (see the module docstring)."""
    rows = [i for i in train if f.role[i] == "respondent"]
    df: Counter[str] = Counter()
    for i in rows:
        df.update(f.tokens[i])
    n = len(rows)
    out: dict[int, set[str]] = {}
    for j in range(len(f.codes)):
        pos = [i for i in rows if f.Y[i, j] > 0]
        if not pos:
            continue
        in_pos: Counter[str] = Counter()
        for i in pos:
            in_pos.update(f.tokens[i])
        n1, n2 = len(pos), n - len(pos)
        found = set()
        for term, y1 in in_pos.items():
            if y1 < support or y1 / df[term] < precision:
                continue
            y2, aw = df[term] - y1, a0 * df[term] / n
            delta = np.log((y1 + aw) / (n1 + a0 - y1 - aw)) - np.log((y2 + aw) / (n2 + a0 - y2 - aw))
            if delta / np.sqrt(1 / (y1 + aw) + 1 / (y2 + aw)) > z:
                found.add(term)
        if found:
            out[j] = found
    return out


def triggered(f: Frame, found: dict[int, set[str]], rows: np.ndarray) -> np.ndarray:
    out = np.zeros((len(rows), len(f.codes)), dtype=bool)
    for k, i in enumerate(rows):
        for j, terms in found.items():
            out[k, j] = bool(f.tokens[i] & terms)
    return out


def _pairs(f: Frame, rows: np.ndarray) -> tuple[list[tuple[int, int]], list[dict[str, float]], np.ndarray]:
    """The (turn, code) pairs the rules coded among `rows`: keys, features, the coder's label."""
    hits: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
    for i in rows:
        for rule, j in f.fires[i]:
            hits[(int(f.ids[i]), j)].append((int(i), rule))
    keys, feats, labels = [], [], []
    for (t, j), hs in sorted(hits.items()):
        fam = f.family[j]
        x = {"code:" + f.codes[j]: 1.0, "fam:" + fam: 1.0, "ncodes": min(int(f.P[t].sum()), 8) / 8,
             f"sentences:{min(len({i for i, _ in hs}), 3)}": 1.0}
        for i, rule in hs:
            x["rule:" + rule] = 1.0
            for w in f.tokens[i]:
                if w.startswith("w:"):
                    x[w] = x[fam + "|" + w] = 0.3
            for _other, j2 in f.fires[i]:
                if j2 != j:
                    x["other:" + f.codes[j2]] = x["ofam:" + f.family[j2]] = x[fam + "|ofam:" + f.family[j2]] = 1.0
        keys.append((t, j))
        feats.append(x)
        labels.append(int(f.H[t, j]))
    return keys, feats, np.array(labels)


def reject(f: Frame, train: np.ndarray, test: np.ndarray, C: float, cut: float) -> np.ndarray:
    _k, x_train, y = _pairs(f, train)
    keys, x_test, _y = _pairs(f, test)
    out = f.R[test].copy()
    if not x_test or len(set(y.tolist())) < 2:
        return out
    vec = DictVectorizer()
    model = LogisticRegression(C=C, max_iter=1000).fit(vec.fit_transform(x_train), y)
    p = model.predict_proba(vec.transform(x_test))[:, 1]
    drop = {k for k, q in zip(keys, p, strict=True) if q < cut}
    for r, i in enumerate(test):
        for j in np.flatnonzero(out[r]):
            out[r, j] = (int(f.ids[i]), int(j)) not in drop
    return out


def per_code(method: Method, margin: float, k: int = 3) -> Method:
    """`method` only for the codes where it beat the rules on `k` grouped folds of the training interviews."""

    def run(f: Frame, train: np.ndarray, test: np.ndarray, train_t: list[str]) -> np.ndarray:
        order = sorted(train_t)
        random.Random(0).shuffle(order)
        if len(order) < 2:
            return f.R[test]
        hs, rs, ms = [], [], []
        for fold in (order[i::k] for i in range(min(k, len(order)))):
            inner = [t for t in order if t not in fold]
            tr, te = f.rows(inner), f.rows(fold)
            h, r = f.turn_level(te, f.R[te])
            hs.append(h)
            rs.append(r)
            ms.append(f.turn_level(te, method(f, tr, te, inner))[1])
        H, Rr, M = np.vstack(hs), np.vstack(rs), np.vstack(ms)
        use = np.array([kappa_of(H[:, j], M[:, j]) > kappa_of(H[:, j], Rr[:, j]) + margin
                        for j in range(len(f.codes))])
        return np.where(use, method(f, train, test, train_t), f.R[test])

    return run


METHODS: dict[str, Method] = {
    "rules": lambda f, tr, te, t: f.R[te],
    "rule trust (prior 2, floor 0.4)": lambda f, tr, te, t: f.rules_without(set(rule_trust(f, tr, 2, 0.4)), te),
    "rule trust (prior 4, floor 0.35)": lambda f, tr, te, t: f.rules_without(set(rule_trust(f, tr, 4, 0.35)), te),
    "rules + triggers (z 2.5, support 3, precision 0.5)":
        lambda f, tr, te, t: f.R[te] | triggered(f, triggers(f, tr, 2.5, 3, 0.5), te),
    "rules + triggers (z 3, support 2, precision 0.8)":
        lambda f, tr, te, t: f.R[te] | triggered(f, triggers(f, tr, 3.0, 2, 0.8), te),
    "reject model (C 0.3, cut 0.4)": lambda f, tr, te, t: reject(f, tr, te, 0.3, 0.4),
    "reject model (C 0.3, cut 0.3)": lambda f, tr, te, t: reject(f, tr, te, 0.3, 0.3),
}
METHODS["per code: rule trust (prior 2, floor 0.4), margin 0"] = per_code(
    METHODS["rule trust (prior 2, floor 0.4)"], 0.0)
METHODS["per code: triggers (z 2.5, support 3, precision 0.5), margin 0"] = per_code(
    METHODS["rules + triggers (z 2.5, support 3, precision 0.5)"], 0.0)
METHODS["per code: reject model (C 0.3, cut 0.4), margin 0"] = per_code(METHODS["reject model (C 0.3, cut 0.4)"], 0.0)


def table(f: Frame, title: str, plans: list[tuple[int, list[tuple[list[str], list[str]]]]]) -> None:
    """One row per size and method; `plans`: per size, the (train, test) transcript lists of its splits."""
    print(f"\n## {title}\n")
    print("| training interviews | method | rules kappa | kappa | ±sd | F1 | false pos. / neg. (rules) | − rules |")
    print("|---|---|---|---|---|---|---|---|")
    for k, splits in plans:
        for label, method in METHODS.items():
            rules, pool = Pool(), Pool()
            for train_t, test_t in splits:
                tr, te = f.rows(train_t), f.rows(test_t)
                h, r = f.turn_level(te, f.R[te])
                rules.add(h, r)
                pool.add(h, f.turn_level(te, method(f, tr, te, train_t))[1])
            print(f"| {k} | {label} | {rules.kappa:.3f} | {pool.kappa:.3f} | {np.std(pool.kappas):.2f} | {pool.f1:.3f} "
                  f"| {pool.fp} / {pool.fn} ({rules.fp} / {rules.fn}) | {pool.kappa - rules.kappa:+.3f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--sizes", default="8,12")
    parser.add_argument("--within", default="2,4,6")
    args = parser.parse_args()
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    if "gold3" in names:
        parser.error("gold3 is the untouched yardstick")
    sets = [ROOT / "tests" / "data" / s for s in names if (ROOT / "tests" / "data" / s / "gold.csv").exists()]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp), sets)
        prep = learn.prepare(project.engine, ["gold"], unit="sentence", codes=None,
                             book=project._suggest_book(CODEBOOK), min_positive=5)
        project.close()
    f = Frame(prep)
    coded = prep.dec.coded
    print(f"# Rule trust, triggers, reject model: {', '.join(s.name for s in sets)}; {len(coded)} interviews, "
          f"{len(f.codes)} codes; setup {time.perf_counter() - t0:.0f} s")
    langs = {t: prep.corpus.languages[t] for t in coded}
    plans = []
    for k in (int(x) for x in args.sizes.split(",") if x):
        trains = [split(langs, k, random.Random(1000 * k + i)) for i in range(args.splits)]
        plans.append((k, [(t, [x for x in coded if x not in set(t)]) for t in trains]))
    table(f, f"Pooled: training interviews from all sets ({args.splits} splits, the learning curve's)", plans)
    members = {s: [t for t in ts if t in set(coded)] for s, ts in set_members(sets).items()}
    plans = []
    for k in (int(x) for x in args.within.split(",") if x):
        splits = []
        for _s, ts in sorted(members.items()):
            if k < len(ts):
                set_langs = {t: langs[t] for t in ts}
                for i in range(args.splits):
                    t = split(set_langs, k, random.Random(1000 * k + i))
                    splits.append((t, [x for x in ts if x not in set(t)]))
        plans.append((k, splits))
    table(f, f"Within one set: train on k of a set, score on the rest of it ({args.splits} splits per set)", plans)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
