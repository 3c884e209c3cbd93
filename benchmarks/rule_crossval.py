"""Cross-set validation of rule changes on the hand-coded tuning sets (issue 12).

A rule change derived from the errors of some sets is kept only if it does not hurt a set it
was not derived from. This prints, for a codebook (and optionally a baseline codebook), the
pooled turn-level kappa of every tuning set, the same figure as `gold_agreement.py`, and with
`--prune` the leave-one-set-out test of removing rules that mostly make false positives:

    .venv/bin/python benchmarks/rule_crossval.py [--codebook C] [--baseline B] [--sets gold,gold2,gold4] [--prune]

`--prune`: for each held-out set, the rules whose removal raises the kappa of *every other* set
on which they fire (at least two) are removed together, and the held-out set's kappa is given
before and after: that is the cross-set estimate of pruning. A rule is then listed as a
candidate only if its removal does not lower the kappa of any set and raises at least two.

The untouched yardstick `tests/data/gold3` is refused: nothing is chosen on it.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections import defaultdict
from pathlib import Path

from qualcode import Project
from qualcode import codebook as codebook_module
from qualcode.autocode import TurnSpan, compile_rules
from qualcode.evaluation import kappa
from qualcode.nlp import pipeline

ROOT = Path(__file__).resolve().parent.parent
YARDSTICK = "gold3"
Key = tuple[str, str, int]  # code, transcript, turn


class TuningSet:
    """One hand-coded set: its transcripts analysed once, its gold (code, transcript, turn) cells."""

    def __init__(self, name: str) -> None:
        if name == YARDSTICK:
            raise SystemExit(f"{YARDSTICK} is the untouched yardstick: it is measured once, by the integrator")
        folder = ROOT / "tests" / "data" / name
        self.name = name
        with tempfile.TemporaryDirectory() as tmp:
            project = Project.create(Path(tmp) / "set.qcdb")
            report = project.import_files(sorted(folder.glob("*.txt")))
            assert report.ok, [r.message for r in report.failed]
            turns = project.turns()
            self.docs = {}
            for r in project.transcripts().itertuples():
                text = project.transcript_text(r.transcript)
                rows = turns[turns.transcript == r.transcript]
                spans = [(int(t.turn), t.role, int(t.start), int(t.end)) for t in rows.itertuples()]
                a = pipeline(r.language).analyse(text, [(i, s, e) for i, _r, s, e in spans])
                self.docs[r.transcript] = (r.language, text, spans, a)
            self.turns = len(turns)
            project.close()
        self.gold: set[Key] = set()
        with (folder / "gold.csv").open(encoding="utf-8") as f:
            for rec in csv.DictReader(f):
                _lang, text, spans, _a = self.docs[rec["transcript"]]
                start = text.find(rec["quote"])
                if start < 0:
                    raise SystemExit(f"{name}/gold.csv: quote not found in {rec['transcript']}: {rec['quote'][:60]!r}")
                end = start + len(rec["quote"])
                self.gold |= {(rec["code"], rec["transcript"], i) for i, _r, s, e in spans if s < end and e > start}

    def hits(self, book) -> dict[Key, set[str]]:
        """The cells the rules code, each with the ids of the rules that code it (respondent turns)."""
        matchers = compile_rules(book, sorted({d[0] for d in self.docs.values()} & set(book.languages)))
        out: dict[Key, set[str]] = defaultdict(set)
        for name, (lang, text, spans, a) in self.docs.items():
            if lang in matchers:
                for m in matchers[lang].matches(a, text, [TurnSpan(*s) for s in spans]):
                    out[(m.code, name, int(a.turn[m.tok_start]))].add(m.rule)
        return out

    def score(self, cells: set[Key]) -> dict[str, float]:
        """Pooled turn-level agreement as `qualcode.evaluation.evaluate` computes it."""
        tp, fp, fn = len(cells & self.gold), len(cells - self.gold), len(self.gold - cells)
        codes = {c for c, _t, _i in cells | self.gold}
        return {"p": tp / max(1, tp + fp), "r": tp / max(1, tp + fn), "tp": tp, "fp": fp, "fn": fn,
                "kappa": kappa(tp, fp, fn, self.turns * max(1, len(codes)) - tp - fp - fn)}


def without(hits: dict[Key, set[str]], rules: set[str]) -> set[Key]:
    return {k for k, ids in hits.items() if ids - rules}


def line(name: str, s: dict[str, float]) -> str:
    return f"{name:8s} P {s['p']:.3f} R {s['r']:.3f} kappa {s['kappa']:.3f} (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})"


def prune(sets: list[TuningSet], hits: dict[str, dict[Key, set[str]]]) -> None:
    base = {s.name: s.score(set(hits[s.name]))["kappa"] for s in sets}
    rules = sorted({r for h in hits.values() for ids in h.values() for r in ids})
    delta: dict[str, dict[str, float]] = {}
    for r in rules:
        per = {}
        for s in sets:
            if any(r in ids for ids in hits[s.name].values()):
                per[s.name] = s.score(without(hits[s.name], {r}))["kappa"] - base[s.name]
        delta[r] = per
    print("\nleave-one-set-out pruning (rules chosen on the other sets, applied to the held-out one):")
    for held in sets:
        chosen = {r for r, per in delta.items()
                  if len([v for n, v in per.items() if n != held.name]) >= 2
                  and all(v > 0 for n, v in per.items() if n != held.name)}
        after = held.score(without(hits[held.name], chosen))["kappa"]
        print(f"  held out {held.name}: {len(chosen)} rules removed, kappa {base[held.name]:.3f} -> {after:.3f}")
        for r in sorted(chosen):
            if held.name in delta[r]:
                print(f"      {r}: {delta[r][held.name]:+.4f} on {held.name}")
    keep = [r for r, per in delta.items() if len([v for v in per.values() if v > 0]) >= 2
            and all(v >= 0 for v in per.values())]
    print(f"\ncandidates (raise >= 2 sets, lower none): {len(keep)}")
    for r in keep:
        print("  " + r + "  " + "  ".join(f"{n} {v:+.4f}" for n, v in delta[r].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    parser.add_argument("--baseline", type=Path, help="a codebook to compare with, set by set")
    parser.add_argument("--sets", default="gold,gold2,gold4", help="comma-separated folders of tests/data")
    parser.add_argument("--prune", action="store_true", help="the leave-one-set-out test of removing rules")
    args = parser.parse_args()
    sets = [TuningSet(n) for n in args.sets.split(",")]
    book = codebook_module.load(args.codebook)
    hits = {s.name: s.hits(book) for s in sets}
    if args.baseline:
        old = codebook_module.load(args.baseline)
        for s in sets:
            print(line(s.name, s.score(set(s.hits(old)))) + "   <- baseline")
            print(line(s.name, s.score(set(hits[s.name]))))
    else:
        for s in sets:
            print(line(s.name, s.score(set(hits[s.name]))))
    if args.prune:
        prune(sets, hits)


if __name__ == "__main__":
    main()
