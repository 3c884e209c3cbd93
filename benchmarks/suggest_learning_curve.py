"""Learned suggestions against the rules alone: a learning curve, an ablation, and speed and memory.

Every hand-coded set in tests/data (gold, gold2, gold4: synthetic interviews coded at turn
level by helpers who never saw the rules) goes into one project, coded with the shipped
codebook's rules; the gold coding is imported as coder `gold`. Then, for 2, 4, 8 and 12
training interviews and several random splits (balanced by language: each language gets its
share of the training interviews), the model is trained on the training interviews and
scored on all the others, at turn level, side by side with the rules alone and with what
the tool would suggest (per code, the model where it beat the rules on the training
interviews, else the rules). Figures are pooled over codes and splits (micro), plus the
spread of the per-split kappa.

`--choice fixed|adaptive|adaptive+veto|all` says how the suggestion picks its source per code, from
the same fitted model in the same run: `fixed` is evaluation.choose (the model by a 0.2 kappa margin
with 10 coded units), `adaptive` is qualcode.suggest.choice.choose_adaptive (model or rules + model,
each only where a paired bootstrap over the training transcripts puts its gain above zero),
`adaptive+veto` the same with the veto candidate (rules minus model below a cut), measured only.
`--codebook PATH` codes with a pinned copy of the codebook, so others' rule edits do not move figures.
`--oracle` adds an upper bound for any per-code choice: per code the source and cut that do best on
the TEST interviews (which no honest choice can know), at each `--sizes` point.

    .venv/bin/python benchmarks/suggest_learning_curve.py [--splits 5] [--sizes 2,4,8,12] [--no-speed]
    .venv/bin/python benchmarks/suggest_learning_curve.py --heldout tests/data/gold3 --heldout-only  (once)

`--heldout` trains on every set above and reports one line on a set nobody tuned against (given
several times, on all of them together), with `rules ∪ model` (either says so) beside the three.

`--sets gold,gold2,gold4,gold5` chooses the hand-coded sets (never the yardstick gold3, which only
`--heldout` may name). `--within 2,4,6` adds a within-set curve: train on k interviews of ONE set
and score on the rest of that set (one coder, as a real user works), pooled over sets and splits.

Speed and memory (`--no-speed` skips them): training on about 200 k words (100 interviews'
worth) and suggesting for about 1 M words, from units already read from cached analyses
(the units of the sets above, repeated: the vocabulary does not grow as with new text).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gold_agreement import gold_codings_csv

from qualcode import Project
from qualcode.suggest import choice as choice_mod
from qualcode.suggest import learn
from qualcode.suggest.choice import ADD, MODEL, OFFERED, SOURCES, VETO, choose_adaptive
from qualcode.suggest.estimator import kappa_of
from qualcode.suggest.evaluation import choose, to_turns, turn_ids
from qualcode.suggest.features import ALL_FAMILIES, FAMILIES

ROOT = Path(__file__).resolve().parent.parent
SETS = ["gold", "gold2", "gold4"]
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
# The suggestion's per-code choices to score, side by side (set by --choice); the first is "suggestion".
CHOICES: tuple[str, ...] = ("fixed",)
# Each adaptive choice's arguments to choose_adaptive (a script may add its own, e.g. another alpha).
CANDIDATES: dict[str, dict] = {"adaptive": {"candidates": OFFERED}, "adaptive+veto": {"candidates": (*OFFERED, VETO)}}
# How many codes each choice handed to each source, summed over the fits of a curve row.
SOURCE_COUNTS: dict[str, dict[str, int]] = {}


def build(folder: Path, sets: list[Path], codebook: Path = CODEBOOK) -> Project:
    project = Project.create(folder / "curve.qcdb")
    files = [f for s in sets for f in sorted(s.glob("*.txt"))]
    report = project.import_files(files)
    assert report.ok, [r.message for r in report.failed]
    project.autocode(codebook)
    for s in sets:
        out = folder / f"{s.name}.csv"
        gold_codings_csv(project, s, out)
        project.import_codings(out, create_codes=True, coder="gold")
    return project


def quotas(langs: dict[str, str], k: int) -> dict[str, int]:
    """Training interviews per language: its share of k, by largest remainder."""
    counts: dict[str, int] = {}
    for lang in langs.values():
        counts[lang] = counts.get(lang, 0) + 1
    total = sum(counts.values())
    raw = {lang: k * n / total for lang, n in counts.items()}
    out = {lang: int(v) for lang, v in raw.items()}
    for lang in sorted(raw, key=lambda g: (-(raw[g] - out[g]), g))[: k - sum(out.values())]:
        out[lang] += 1
    return out


def set_members(sets: list[Path]) -> dict[str, list[str]]:
    """Each set's interviews (transcript names are the file names without extension)."""
    return {s.name: sorted(f.stem for f in s.glob("*.txt")) for s in sets}


def split(langs: dict[str, str], k: int, rng: random.Random) -> list[str]:
    train = []
    for lang, q in sorted(quotas(langs, k).items()):
        pool = sorted(n for n, g in langs.items() if g == lang)
        train += rng.sample(pool, min(q, len(pool)))
    return sorted(train)


class Pool:
    """Turn-level 2x2 counts summed over codes and splits, and the per-split kappas."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = self.tn = 0
        self.kappas: list[float] = []

    def add(self, h: np.ndarray, p: np.ndarray) -> None:
        h, p = h.astype(bool).ravel(), p.astype(bool).ravel()
        tp, fp, fn = int(np.sum(h & p)), int(np.sum(~h & p)), int(np.sum(h & ~p))
        self.tp, self.fp, self.fn, self.tn = self.tp + tp, self.fp + fp, self.fn + fn, self.tn + len(h) - tp - fp - fn
        self.kappas.append(kappa_of(h, p))

    @property
    def kappa(self) -> float:
        n = self.tp + self.fp + self.fn + self.tn
        po = (self.tp + self.tn) / n
        pe = ((self.tp + self.fp) * (self.tp + self.fn) + (self.fn + self.tn) * (self.fp + self.tn)) / (n * n)
        return (po - pe) / (1 - pe)

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)

    def cell(self) -> str:
        return f"{self.kappa:.3f} ±{np.std(self.kappas):.2f} | {self.f1:.3f}"


def evaluate(prep: learn.Prepared, train: list[str], families=FAMILIES, seed: int = 0,
             test: list[str] | None = None, variant: dict | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Fit on `train`, predict the other coded transcripts (or `test`): turn-level human and predictions."""
    corpus, Y, R = prep.corpus, prep.Y, prep.R
    names = np.array([u.transcript for u in corpus.units])
    tr = np.isin(names, train) & (Y >= 0).any(axis=1)
    test = test if test is not None else [t for t in prep.dec.coded if t not in set(train)]
    te = np.isin(names, test)
    variant = variant or {}
    pooled = variant.get("pooled", learn.POOLED)
    pipe = learn.make_pipeline(families=variant.get("families", families), seed=seed, pooled=pooled,
                               turn_rules=variant.get("turn_rules", learn.POOLED))
    if "lexical_weight" in variant:
        pipe.named_steps["model"].set_params(lexical_weight=variant["lexical_weight"])
    # The codebook's example and include texts join the training units as weak examples, as in the tool.
    units, Y_fit, groups, weak = prep.training(np.flatnonzero(tr), variant.get("codebook_texts", True) and not pooled)
    pipe.fit(units, Y_fit, model__groups=groups, model__codes=prep.code_list, model__weak=weak)
    model = pipe.named_steps["model"]
    ids, keys = turn_ids(corpus)
    test_units = [corpus.units[i] for i in np.flatnonzero(te)]
    M = np.zeros(Y.shape, dtype=bool)
    M[te] = pipe.predict(test_units).astype(bool)
    P = np.full(Y.shape, np.nan)
    P[te] = pipe.predict_proba(test_units)
    preds = {"rules": R, "model": M, "rules ∪ model": R | M}
    for name in CHOICES:
        if name == "fixed":
            use = choose(model, Y[tr], R[tr], ids[tr])
            preds[f"suggestion ({name})"] = np.where(use, M, R)
            counts = {MODEL: int(use.sum())}
        else:
            c = choose_adaptive(model, Y[tr], R[tr], ids[tr], names[tr], **CANDIDATES[name])
            preds[f"suggestion ({name})"] = c.apply(R, P)
            counts = {s: c.source.count(s) for s in SOURCES[1:]}
        tally = SOURCE_COUNTS.setdefault(name, {})
        for s, n in counts.items():
            tally[s] = tally.get(s, 0) + n
    preds["suggestion"] = preds[f"suggestion ({CHOICES[0]})"]
    rows = np.unique(ids[te])
    H = to_turns((Y > 0) & te[:, None], ids, len(keys))[rows]
    return {name: (H, to_turns(m & te[:, None], ids, len(keys))[rows]) for name, m in preds.items()}


def _rows(k: int, label: str, pools: dict[str, Pool], fits: int) -> None:
    """One table row per choice (the choice's codes per source, averaged over the fits, in brackets)."""
    for name in CHOICES:
        s = pools[f"suggestion ({name})"]
        tally = SOURCE_COUNTS.pop(name, {})
        used = ", ".join(f"{src} {n / fits:.1f}" for src, n in tally.items() if n) or "rules only"
        print(f"| {k} | {label}, {name} choice ({used}) | {pools['rules'].cell()} | {pools['model'].cell()} "
              f"| {s.cell()} | {s.kappa - pools['rules'].kappa:+.3f} |", flush=True)


# --compare: the shipped model against the pooled variant (qualcode.suggest.estimator_pooled),
# with and without per-code word features, and the turn-level rule features on their own.
VARIANTS = {"per code (default)": {}, "per code + question context": {"families": ALL_FAMILIES},
            "per code + turn rules": {"turn_rules": True},
            "pooled + turn rules": {"pooled": True, "turn_rules": True},
            "pooled + turn rules, no words": {"pooled": True, "turn_rules": True, "lexical_weight": 0.0}}
# --compare-texts: the model without and with the codebook texts as weak examples (issue 13, 2026-12-07).
TEXT_VARIANTS = {"without codebook texts (before)": {"codebook_texts": False},
                 "with codebook texts (shipped)": {}}


def curve(prep: learn.Prepared, sizes: list[int], splits: int, variants: dict[str, dict]) -> None:
    langs = {t: prep.corpus.languages[t] for t in prep.dec.coded}
    print(f"\n## Learning curve ({len(langs)} coded interviews: "
          + ", ".join(f"{n} {g}" for g, n in sorted(quotas(langs, len(langs)).items()))
          + f"; {splits} splits per size; turn-level kappa ±sd over splits | micro-F1)\n")
    print("| training interviews | model | rules kappa | rules F1 | model kappa | model F1 | suggestion kappa "
          "| suggestion F1 | suggestion − rules (kappa) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in sizes:
        for label, variant in variants.items():
            pools = {s: Pool() for s in ("rules", "model", *(f"suggestion ({c})" for c in CHOICES))}
            for i in range(splits):
                train = split(langs, k, random.Random(1000 * k + i))
                for name, (h, p) in evaluate(prep, train, seed=i, variant=variant).items():
                    if name in pools:
                        pools[name].add(h, p)
            _rows(k, label, pools, splits)


def within(prep: learn.Prepared, members: dict[str, list[str]], sizes: list[int], splits: int,
           variants: dict[str, dict]) -> None:
    """Train on k interviews of one set, score on the rest of that set; pooled over sets and splits."""
    coded = set(prep.dec.coded)
    groups = {s: [t for t in ts if t in coded] for s, ts in members.items()}
    groups = {s: ts for s, ts in groups.items() if len(ts) >= 2}
    print(f"\n## Within one set ({', '.join(f'{s} {len(ts)}' for s, ts in groups.items())}; train on k of a set, "
          f"score on the rest of it; {splits} splits per set and size)\n")
    print("| training interviews (of one set) | model | rules kappa | rules F1 | model kappa | model F1 "
          "| suggestion kappa | suggestion F1 | suggestion − rules (kappa) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in sizes:
        for label, variant in variants.items():
            pools = {s: Pool() for s in ("rules", "model", *(f"suggestion ({c})" for c in CHOICES))}
            fits = 0
            for _name, ts in sorted(groups.items()):
                if k >= len(ts):
                    continue
                langs = {t: prep.corpus.languages[t] for t in ts}
                for i in range(splits):
                    train = split(langs, k, random.Random(1000 * k + i))
                    test = [t for t in ts if t not in set(train)]
                    fits += 1
                    for name, (h, p) in evaluate(prep, train, seed=i, test=test, variant=variant).items():
                        if name in pools:
                            pools[name].add(h, p)
            if not pools["rules"].kappas:
                continue
            _rows(k, label, pools, fits)


def oracle(prep: learn.Prepared, sizes: list[int], splits: int) -> None:
    """An upper bound for ANY per-code choice among rules, model, rules + model and rules − model: per
    code, the source and cut that do best on the TEST interviews (summed over the splits), which no
    honest choice can know. If even this is far from a goal, no choice rule will reach it."""
    corpus, Y, R = prep.corpus, prep.Y, prep.R
    names = np.array([u.transcript for u in corpus.units])
    ids, _keys = turn_ids(corpus)
    langs = {t: corpus.languages[t] for t in prep.dec.coded}
    print(f"\n## Oracle per-code choice ({splits} splits; per code the best source and cut on the test interviews)\n")
    print("| training interviews | rules kappa | oracle choice kappa | codes per source | oracle, additions only |")
    print("|---|---|---|---|---|")
    for k in sizes:
        base = np.zeros(4, dtype=np.int64)
        deltas: dict[tuple[int, str, float], np.ndarray] = {}
        for i in range(splits):
            train = split(langs, k, random.Random(1000 * k + i))
            tr = np.isin(names, train) & (Y >= 0).any(axis=1)
            te = np.isin(names, [t for t in prep.dec.coded if t not in set(train)])
            pipe = learn.make_pipeline(seed=i)
            units, Y_fit, groups, weak = prep.training(np.flatnonzero(tr))
            pipe.fit(units, Y_fit, model__groups=groups, model__codes=prep.code_list, model__weak=weak)
            has = pipe.named_steps["model"].has_model_
            P = pipe.predict_proba([corpus.units[j] for j in np.flatnonzero(te)])
            one = np.zeros(int(te.sum()), dtype=np.int64)  # one group: the test turns of this split
            for j in range(Y.shape[1]):
                tj = choice_mod._turns(Y[te, j] > 0, R[te, j], P[:, j], ids[te], one)
                rules = choice_mod._counts(tj.h, tj.r, tj.g, 1)[0]
                base += rules
                for s in SOURCES[1:] if has[j] else ():
                    for c in choice_mod.GRIDS[s]:
                        key = (j, s, float(c))
                        d = choice_mod._counts(tj.h, tj.predict(s, c), tj.g, 1)[0] - rules
                        deltas[key] = deltas.get(key, 0) + d
        every, adds = _oracle_pick(base, deltas, SOURCES[1:]), _oracle_pick(base, deltas, (ADD,))
        per = ", ".join(f"{s} {sum(v[1] == s for v in every.values())}" for s in SOURCES[1:])
        print(f"| {k} | {choice_mod.kappa_totals(base):.3f} | {_oracle_kappa(base, every):.3f} | {per} "
              f"| {_oracle_kappa(base, adds):.3f} |", flush=True)


def _oracle_pick(base: np.ndarray, deltas: dict, allowed: tuple[str, ...]) -> dict[int, tuple[float, str, np.ndarray]]:
    """Per code, the (gain, source, change in counts) that gains most alone, among `allowed` sources."""
    k_base = float(choice_mod.kappa_totals(base))
    best: dict[int, tuple[float, str, np.ndarray]] = {}
    for (j, s, _c), d in deltas.items():
        g = float(choice_mod.kappa_totals(base + d)) - k_base
        if s in allowed and g > best.get(j, (0.0, "", d))[0]:
            best[j] = (g, s, d)
    return best


def _oracle_kappa(base: np.ndarray, best: dict[int, tuple[float, str, np.ndarray]]) -> float:
    return float(choice_mod.kappa_totals(base + sum((v[2] for v in best.values()), np.zeros(4, np.int64))))


def ablation(prep: learn.Prepared, k: int, splits: int) -> None:
    langs = {t: prep.corpus.languages[t] for t in prep.dec.coded}
    print(f"\n## Ablation at {k} training interviews ({splits} splits): each feature family left out\n")
    print("| features | model kappa | model micro-F1 | suggestion kappa |")
    print("|---|---|---|---|")
    variants = [("all", FAMILIES)] + [(f"without {f}", tuple(x for x in FAMILIES if x != f)) for f in FAMILIES]
    variants.append(("rules + role only", ("rule", "role")))
    variants.append(("with context (the question before)", ALL_FAMILIES))
    for label, fams in variants:
        pools = {s: Pool() for s in ("model", "suggestion")}
        for i in range(splits):
            train = split(langs, k, random.Random(1000 * k + i))
            out = evaluate(prep, train, families=fams, seed=i)
            for name in pools:
                pools[name].add(*out[name])
        print(f"| {label} | {pools['model'].kappa:.3f} | {pools['model'].f1:.3f} | {pools['suggestion'].kappa:.3f} |",
              flush=True)


def speed(prep: learn.Prepared, compare_texts: bool = False) -> None:
    """Fit on ~200 k words of units and suggest for ~1 M, from units already read (no analysis).
    With `compare_texts`, the fit without the codebook texts too, the two alternating twice (best
    wall and CPU time of each), since one fit's time on a shared machine says little."""
    corpus, Y = prep.corpus, prep.Y
    labelled = np.flatnonzero((Y >= 0).any(axis=1))
    words = sum(len(corpus.units[i].lemmas) for i in labelled)
    rep_train = max(1, round(200_000 / words))
    units = [corpus.units[i] for i in labelled] * rep_train
    Yt = np.tile(Y[labelled], (rep_train, 1))
    # Each copy is its own "transcript" for the folds, as 100 interviews would be.
    groups = np.concatenate([[f"{corpus.units[i].transcript}#{r}" for i in labelled] for r in range(rep_train)])
    n_words = sum(len(u.lemmas) for u in units)
    # The codebook texts once, after the repeated units, as the tool adds them.
    weak = np.r_[np.zeros(len(units), dtype=bool), np.ones(len(prep.weak.units), dtype=bool)]
    units = units + prep.weak.units
    Yt = np.vstack([Yt, prep.weak.Y.reshape(-1, Yt.shape[1])])
    groups = np.r_[groups, [u.transcript for u in prep.weak.units]]
    n = int((~weak).sum())
    timed: dict[str, list[tuple[float, float]]] = {"without codebook texts (before)": [], "with codebook texts": []}
    for _round in range(2 if compare_texts else 1):
        for label in timed if compare_texts else ["with codebook texts"]:
            rows = slice(None) if label == "with codebook texts" else slice(0, n)
            t_read, c_read = time.perf_counter(), time.process_time()
            pipe = learn.make_pipeline()
            pipe.fit(units[rows], Yt[rows], model__groups=groups[rows], model__codes=prep.code_list,
                     model__weak=weak[rows])
            timed[label].append((time.perf_counter() - t_read, time.process_time() - c_read))
    t_fit = min(timed["with codebook texts"])[0]
    turns = np.concatenate([turn_ids(corpus)[0][labelled] + r * len(corpus.units) for r in range(rep_train)])
    use = choose(pipe.named_steps["model"], Yt[~weak], np.tile(prep.R[labelled], (rep_train, 1)), turns)
    all_words = sum(len(u.lemmas) for u in corpus.units)
    rep = max(1, round(1_000_000 / all_words))
    big = learn.corpus_mod.Corpus(corpus.unit, corpus.units * rep)
    t = time.perf_counter()
    proposals = learn._proposals(pipe, big, np.arange(len(big.units)), prep.code_list, use)
    t_suggest = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n## Speed and memory (one process; units from cached analyses)\n")
    print("| step | words | seconds | target |")
    print("|---|---|---|---|")
    print(f"| train (features, per-code calibrated fits, thresholds) | {n_words:,} | {t_fit:.1f} | ≤ 30 |")
    print(f"| suggest (features, probabilities, why) | {sum(len(u.lemmas) for u in big.units):,} | "
          f"{t_suggest:.1f} | ≤ 30 |")
    print(f"\n{len(proposals):,} suggestions; peak memory of the whole benchmark process {peak:,.0f} MB "
          "(target < 2 GB).")
    if compare_texts:
        print("\n| train | best wall s | best CPU s |\n|---|---|---|")
        for label, times in timed.items():
            print(f"| {label} | {min(t for t, _ in times):.1f} | {min(c for _, c in times):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--sizes", default="2,4,8,12")
    parser.add_argument("--ablation-size", type=int, default=12)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--compare", action="store_true",
                        help="learning curve of the shipped and the pooled model side by side")
    parser.add_argument("--sets", default=",".join(SETS),
                        help="hand-coded sets of tests/data to learn from and score on (comma-separated)")
    parser.add_argument("--within", default="", help="sizes of a within-set curve, e.g. 2,4,6 (empty: none)")
    parser.add_argument("--no-curve", action="store_true", help="skip the pooled curve (e.g. with --within)")
    parser.add_argument("--compare-texts", action="store_true",
                        help="the model without and with the codebook texts as weak examples, side by side")
    parser.add_argument("--heldout", type=Path, action="append", default=[],
                        help="a set nobody tuned against: one line, at the end (may be given several times)")
    parser.add_argument("--heldout-only", action="store_true", help="with --heldout: skip the curve, ablation, speed")
    parser.add_argument("--choice", choices=["fixed", "adaptive", "adaptive+veto", "all"], default="all",
                        help="the suggestion's per-code choice (all: fixed, adaptive and adaptive+veto side by side)")
    parser.add_argument("--oracle", action="store_true",
                        help="upper bound for any per-code choice (per code its best source and cut on the test data)")
    parser.add_argument("--codebook", type=Path, default=CODEBOOK,
                        help="codebook to code with (pin a copy so others' rule edits do not move the figures)")
    args = parser.parse_args()
    global CHOICES
    CHOICES = ("fixed", "adaptive", "adaptive+veto") if args.choice == "all" else (args.choice,)
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    if "gold3" in names:
        parser.error("gold3 is the untouched yardstick: only --heldout tests/data/gold3 --heldout-only may use it")
    sets = [ROOT / "tests" / "data" / s for s in names if (ROOT / "tests" / "data" / s / "gold.csv").exists()]
    missing = sorted(set(names) - {s.name for s in sets})
    if missing:
        print(f"(skipped, no gold.csv: {', '.join(missing)})")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp), sets + args.heldout, args.codebook)
        book = project._suggest_book(args.codebook)
        prep = learn.prepare(project.engine, ["gold"], unit="sentence", codes=None, book=book, min_positive=5)
        heldout = sorted(t for t in prep.dec.coded if any((h / f"{t}.txt").exists() for h in args.heldout))
        # The held-out set's labels exist in the project, but the curve and ablation never see them.
        tuning = learn.Prepared(prep.dec, prep.corpus, prep.code_list, prep.Y.copy(), prep.R, prep.weak)
        if heldout:
            tuning.Y[tuning.corpus.of(set(heldout))] = -1
            tuning.dec = learn.Decisions(prep.dec.coders, [h for h in prep.dec.human if h[0] not in heldout],
                                         prep.dec.reviewed, prep.dec.shas)
        print(f"# Learned suggestions: {', '.join(s.name for s in sets)}; {len(tuning.dec.coded)} interviews, "
              f"{len(prep.code_list)} codes, unit sentence; setup {time.perf_counter() - t0:.0f} s")
        if not args.heldout_only:
            variants = VARIANTS if args.compare else TEXT_VARIANTS if args.compare_texts else {"shipped": {}}
            if not args.no_curve:
                curve(tuning, [int(k) for k in args.sizes.split(",")], args.splits, variants)
            if args.within:
                within(tuning, set_members(sets), [int(k) for k in args.within.split(",")], args.splits, variants)
            if args.oracle:
                oracle(tuning, [int(k) for k in args.sizes.split(",")], args.splits)
            if not args.no_ablation:
                ablation(tuning, args.ablation_size, args.splits)
            if not args.no_speed:
                speed(tuning, args.compare_texts)
        if heldout:
            # Trained on the tuning interviews only; scored against the held-out set's own labels.
            print(f"\n## Held out: {', '.join(map(str, args.heldout))} ({len(heldout)} interviews), trained on all "
                  f"{len(tuning.dec.coded)} above, evaluated once\n")
            shown = ["rules", "model", *(f"suggestion ({c})" for c in CHOICES), "rules ∪ model"]
            print("| model | " + " | ".join(f"{n} kappa / F1" for n in shown) + " |\n|---|" + "---|" * len(shown))
            for label, variant in (TEXT_VARIANTS if args.compare_texts else {"shipped": {}}).items():
                out = evaluate(prep, tuning.dec.coded, seed=0, test=heldout, variant=variant)
                cells = {name: Pool() for name in out}
                for name, (h, p) in out.items():
                    cells[name].add(h, p)
                print(f"| {label} | " + " | ".join(f"{cells[n].kappa:.3f} / {cells[n].f1:.3f}"
                                                   for n in shown)
                      + " |")
        project.close()
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
