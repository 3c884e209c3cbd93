"""Cross-set validation of rule changes on the hand-coded tuning sets (issue 12).

A rule change derived from the errors of some sets is kept only if it does not hurt a set it
was not derived from. This prints, for a codebook (and optionally a baseline codebook), the
pooled turn-level kappa of every tuning set, the same figure as `gold_agreement.py`, and with
`--prune` the leave-one-set-out test of removing rules that mostly make false positives:

    .venv/bin/python benchmarks/rule_crossval.py [--codebook C] [--baseline B] [--sets gold,gold2,gold4] [--prune]
        [--misses] [--candidates CANDIDATES.yaml]

`--prune`: for each held-out set, the rules whose removal raises the kappa of *every other* set
on which they fire (at least two) are removed together, and the held-out set's kappa is given
before and after: that is the cross-set estimate of pruning. A rule is then listed as a
candidate only if its removal does not lower the kappa of any set and raises at least two.

`--misses`: the false negatives and false positives of every code, counted set by set, so that a
candidate can be derived from what the missed turns have in common across sets.

`--candidates FILE`: rules that are not in the codebook yet, each added alone and scored on every set
(a YAML list of `{name, code, lang, rule}`; `rule` is one rule as in a codebook, `replaces` an
optional list of the codebook's rule ids that the candidate takes the place of, `from` the sets
whose missed or wrongly coded turns it was derived from). Then the leave-one-set-out test: for each
held-out set, the candidates not derived from it that raise at least one *other* set and lower
none are added together, and the held-out set's kappa is given before and after; the sum of those
changes is the cross-set estimate (a second line chooses by the other sets' summed kappa instead).

The untouched yardstick `tests/data/gold3` is refused: nothing is chosen on it.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from qualcode import Project
from qualcode import codebook as codebook_module
from qualcode.autocode import TurnSpan, compile_rules
from qualcode.evaluation import kappa
from qualcode.nlp import pipeline
from qualcode.safe_yaml import safe_load

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


def misses(sets: list[TuningSet], hits: dict[str, dict[Key, set[str]]]) -> None:
    fn: dict[str, Counter] = defaultdict(Counter)
    fp: dict[str, Counter] = defaultdict(Counter)
    for s in sets:
        for code, _t, _i in s.gold - set(hits[s.name]):
            fn[code][s.name] += 1
        for code, _t, _i in set(hits[s.name]) - s.gold:
            fp[code][s.name] += 1
    print("\nerrors by code, set by set (false negatives first):")
    for code in sorted(fn.keys() | fp.keys(), key=lambda c: -sum(fn[c].values())):
        print(f"  {code:30s} FN {sum(fn[code].values()):3d} FP {sum(fp[code].values()):3d}   FN by set: "
              + " ".join(f"{s.name} {fn[code][s.name]}" for s in sets if fn[code][s.name]))


def with_candidates(path: Path, candidates: list[dict]) -> codebook_module.Codebook:
    """The codebook with every candidate appended to its code's rules, under the id `cand:<name>`."""
    doc = safe_load(path.read_text(encoding="utf-8"))
    codes = {c["id"]: c for c in doc["codes"]}
    for cand in candidates:
        rules = codes[cand["code"]].setdefault("rules", {}).setdefault(cand["lang"], [])
        rules.append({**cand["rule"], "id": "cand:" + cand["name"]})
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8", delete=False) as f:
        yaml.safe_dump(doc, f, allow_unicode=True, sort_keys=False)
    try:
        return codebook_module.load(f.name)
    finally:
        Path(f.name).unlink()


def cells_with(hits: dict[Key, set[str]], chosen: list[dict], all_cands: list[dict]) -> set[Key]:
    """The cells coded by the codebook plus the chosen candidates (rules they replace removed)."""
    off = {"cand:" + c["name"] for c in all_cands if c not in chosen}
    off |= {r for c in chosen for r in c.get("replaces", [])}
    return {k for k, ids in hits.items() if ids - off}


def simulate_context(s: TuningSet, hits: dict[Key, set[str]], rule_id: str, context: dict) -> None:
    """What a turn-level context check would do, simulated here, not in the matcher: a candidate's
    `context: {unless: [...], sense: [...], question: true}` drops its cells whose turn has an
    `unless` word, or has none of the `sense` words (nor, with `question`, the interviewer's turn
    before it). Words are compared as lower-case prefixes of the turn's words, not by lemma."""
    import re

    def has(words: list[str], text: str) -> bool:
        return any(re.search(r"(?<!\w)" + re.escape(w.lower()), text.lower()) for w in words)

    for key in [k for k, ids in hits.items() if rule_id in ids]:
        _lang, text, spans, _a = s.docs[key[1]]
        turn = next(x for x in spans if x[0] == key[2])
        before = [x for x in spans if x[0] < key[2] and x[1] == "interviewer"]
        said = text[turn[2]:turn[3]]
        asked = text[before[-1][2]:before[-1][3]] if before and context.get("question") else ""
        if has(context.get("unless", []), said) or (
                context.get("sense") and not has(context["sense"], said + "\n" + asked)):
            hits[key] = hits[key] - {rule_id}


def candidates_test(sets: list[TuningSet], path: Path, cand_path: Path) -> None:
    cands = safe_load(cand_path.read_text(encoding="utf-8"))
    book = with_candidates(path, [{**c, "rule": {k: v for k, v in c["rule"].items() if k != "context"}} for c in cands])
    hits = {s.name: s.hits(book) for s in sets}
    for c in cands:
        if "context" in c["rule"]:
            for s in sets:
                simulate_context(s, hits[s.name], "cand:" + c["name"], c["rule"]["context"])
    base = {s.name: s.score(cells_with(hits[s.name], [], cands))["kappa"] for s in sets}
    delta = {c["name"]: {s.name: s.score(cells_with(hits[s.name], [c], cands))["kappa"] - base[s.name]
                         for s in sets} for c in cands}
    print("\ncandidates, each added alone (kappa change per set; . = no change):")
    for c in cands:
        print(f"  {c['name']:34s} " + " ".join(f"{v:+.3f}" if abs(v) > 1e-9 else "   .  "
                                              for v in delta[c["name"]].values()))
    if any("from" in c for c in cands):  # does a candidate move the sets it was not derived from?
        moved = [v for c in cands for n, v in delta[c["name"]].items() if n not in c.get("from", [])]
        print(f"\non the sets a candidate was not derived from ({len(moved)} candidate-set pairs): "
              f"{sum(v > 1e-9 for v in moved)} raised (sum {sum(v for v in moved if v > 0):+.3f}), "
              f"{sum(v < -1e-9 for v in moved)} lowered (sum {sum(v for v in moved if v < 0):+.3f})")

    def strict(per: dict[str, float], held: str) -> bool:  # raises one set, lowers none
        others = [v for n, v in per.items() if n != held]
        return all(v >= -1e-9 for v in others) and any(v > 1e-9 for v in others)

    def net(per: dict[str, float], held: str) -> bool:  # raises the other sets' summed kappa
        return sum(v for n, v in per.items() if n != held) > 1e-9

    for label, rule in (("raise one, lower none", strict), ("net gain on the others", net)):
        print(f"\nleave-one-set-out, candidates chosen on the other sets ({label}):")
        total = 0.0
        for held in sets:
            chosen = [c for c in cands if held.name not in c.get("from", []) and rule(delta[c["name"]], held.name)]
            after = held.score(cells_with(hits[held.name], chosen, cands))["kappa"]
            total += after - base[held.name]
            print(f"  held out {held.name:6s}: {len(chosen):3d} chosen, kappa {base[held.name]:.3f} -> {after:.3f} "
                  f"({after - base[held.name]:+.3f})")
            moved = [f"{c['name']} {delta[c['name']][held.name]:+.3f}" for c in chosen
                     if abs(delta[c["name"]][held.name]) > 1e-9]
            if moved:
                print("      alone on it: " + ", ".join(moved))
        print(f"  summed held-out change {total:+.3f} (mean {total / len(sets):+.4f} a set)")
    kept = [c for c in cands if all(v >= -1e-9 for v in delta[c["name"]].values())
            and any(v > 1e-9 for v in delta[c["name"]].values())]
    print(f"\nkept on all sets (raise one, lower none): {len(kept)}: " + ", ".join(c["name"] for c in kept))
    for s in sets:
        print(line(s.name, s.score(cells_with(hits[s.name], kept, cands))) + f"   (was {base[s.name]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    parser.add_argument("--baseline", type=Path, help="a codebook to compare with, set by set")
    parser.add_argument("--sets", default="gold,gold2,gold4", help="comma-separated folders of tests/data")
    parser.add_argument("--prune", action="store_true", help="the leave-one-set-out test of removing rules")
    parser.add_argument("--misses", action="store_true", help="false negatives and positives by code and set")
    parser.add_argument("--candidates", type=Path, help="a YAML list of candidate rules to test leave-one-set-out")
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
    if args.misses:
        misses(sets, hits)
    if args.candidates:
        candidates_test(sets, args.codebook, args.candidates)


if __name__ == "__main__":
    main()
