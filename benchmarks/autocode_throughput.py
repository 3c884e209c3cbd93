"""Rule auto-coding throughput on a generated corpus of about 1 M words (English and Russian).

Side by side in one run, over the same transcripts (issue 17):

  floor        `re.findall(r"\\w+", text.lower())`: the floor for any token-level coder
  plain coder  regex tokens + a warm per-form lemma dict + a first-word phrase index + a
               3-token negation look-back, in plain Python: what a hand-written coder costs
  tokenizer    spaCy's blank tokenizer alone, warm (what analysis cost before issue 17)
  first        Project.autocode on a fresh project: analysis (tokens, lemmas, sentences,
               with a cold lemma cache) + matching + storing codings and the analysis cache
  recode       Project.autocode again after a typical edit (one rule gains a pattern, another loses
               one): analyses, and the matches of unchanged rules, come from the project's cache
  rematch      the same with the rule-match cache emptied (the project's and this process's
               copy): every rule is matched again (the worst case of a re-code: analyses cached,
               all rules changed)
  rematch_cold the same as a new process would: this process's copy of analyses and its
               compiled rules also dropped, so analyses are read from the project again

`first`, `recode` and `rematch` run in a child process per code version: this checkout, and
with `--baseline /tmp/old` the code of a `git worktree` of an earlier commit ("today's code"),
so both load the same files and neither warms the other's caches. With `--natural`, the same for
the 24 sample interviews replicated to the corpus size (real text, a small vocabulary).
Seconds are wall time and CPU time of the measuring process (CPU time is steadier on a
shared machine); the load average is printed.

The corpus: respondent and interviewer turns resampled from the bundled synthetic interviews,
with 15% of the words replaced by random words of the language (spaCy's English lookup
lemmas; word forms from pymorphy3's Russian dictionary), so the vocabulary (and the lemma
cache) is as large as a real corpus's, not just the samples'.

    git worktree add /tmp/old <commit>
    .venv/bin/python benchmarks/autocode_throughput.py [--words 1000000] [--baseline /tmp/old] [--natural]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qualcode import Project, load_codebook
from qualcode.codebook import loads
from qualcode.sample import build_sample_project

ROOT = Path(__file__).resolve().parent.parent


def vocabulary(lang: str, n: int, rng: random.Random) -> list[str]:
    if lang == "en":
        from spacy.lookups import load_lookups

        table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
        words = sorted({v for v in table.values() if isinstance(v, str) and v.isalpha()})
    else:
        import pymorphy3

        morph = pymorphy3.MorphAnalyzer()
        words = []
        for prefix in "абвгдежзиклмнопрстуфхцчшэюя":
            for i, (word, *_rest) in enumerate(morph.iter_known_word_parses(prefix)):
                if i > 60_000:
                    break
                if word.isalpha():
                    words.append(word)
        words = sorted(set(words))
    rng.shuffle(words)
    return words[:n]


def make_corpus(out: Path, target_words: int, seed: int = 7) -> tuple[int, int]:
    rng = random.Random(seed)
    pools: dict[str, list[tuple[str, str]]] = {"en": [], "ru": []}
    sample = out.parent / "sample.qcdb"
    build_sample_project(sample)
    with Project.open(sample) as project:
        langs = dict(zip(*project.transcripts()[["transcript", "language"]].T.values, strict=True))
        for r in project.turns().itertuples():
            pools[langs[r.transcript]].append((r.speaker or "Respondent", " ".join(r.text.split())))
    vocab = {lang: vocabulary(lang, 60_000, rng) for lang in pools}
    words = files = 0
    while words < target_words:
        lang = "en" if files % 2 == 0 else "ru"
        turns, n = [], 0
        while n < 2000:
            speaker, said = rng.choice(pools[lang])
            tokens = said.split()
            for i in range(len(tokens)):
                if rng.random() < 0.15:
                    tokens[i] = rng.choice(vocab[lang])
            turns.append(f"[00:{len(turns):02d}:00] {speaker}: {' '.join(tokens)}")
            n += len(tokens)
        head = (f"---\ncase: BENCH{files:04d}\nlanguage: {lang}\nsynthetic: true\n"
                "note: generated for benchmarks from the synthetic samples\n---\n\n")
        (out / f"bench{files:04d}.txt").write_text(head + "\n\n".join(turns) + "\n", encoding="utf-8")
        words += n
        files += 1
    return files, words


def changed(codebook: Path) -> str:
    """The codebook after a typical edit: one rule gets another pattern, one rule loses one."""
    text = codebook.read_text(encoding="utf-8")
    text = text.replace("version:", "version: bench-changed #", 1)
    edited = text.replace("      en:\n        - phrase: [", "      en:\n        - phrase: [\"lost my livelihood\", ", 1)
    assert edited != text, "the benchmark's codebook edit found nothing to edit"
    i = edited.index("      ru:\n        - phrase: [")
    j = edited.index(",", i + 30)  # drop the first pattern of the first Russian phrase list
    start = edited.index("[", i) + 1
    return edited[:start] + edited[j + 1:].lstrip()


def natural_corpus(out: Path, target_words: int) -> tuple[int, int]:
    """The 24 sample interviews, turn by turn and unchanged but for one word naming the copy,
    replicated to `target_words`."""
    sample = out.parent / "sample-natural.qcdb"
    if not sample.exists():
        build_sample_project(sample)
    with Project.open(sample) as project:
        rows = project.transcripts()
        langs = dict(zip(rows["transcript"], rows["language"], strict=True))
        turns = project.turns()
    by_name: dict[str, list[str]] = {}
    for r in turns.itertuples():
        by_name.setdefault(r.transcript, []).append(f"{r.speaker or 'Respondent'}: {' '.join(r.text.split())}")
    words = files = 0
    while words < target_words:
        for name, said in by_name.items():
            head = (f"---\ncase: NAT{files:05d}\nlanguage: {langs[name]}\nsynthetic: true\n"
                    f"note: sample interview {name}, replicated for benchmarks\n---\n\n")
            # One word that names the copy in its last turn: replicas of the same text would share
            # one analysis and one set of matches (content-addressed since issue 17), and the
            # benchmark would measure that, not coding.
            copy = [*said[:-1], f"{said[-1]} nat{files:05d}"]
            (out / f"nat{files:05d}.txt").write_text(head + "\n\n".join(copy) + "\n", encoding="utf-8")
            words += sum(len(t.split()) - 1 for t in said)
            files += 1
    return files, words


def peak_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: on Linux that survives exec, so a
    child started by a large parent would report the parent's peak."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(corpus: Path, codebook: Path, recode: bool) -> dict:
    """First coding, re-coding and re-matching of a corpus with the qualcode on sys.path."""
    import qualcode

    tmp = Path(tempfile.mkdtemp(prefix="qc-measure-"))
    try:
        project = Project.create(tmp / "bench.qcdb")
        report = project.import_files(sorted(corpus.glob("*.txt")))
        assert report.ok, [r.message for r in report.failed]
        book = load_codebook(codebook)
        out: dict = {"qualcode": str(Path(qualcode.__file__).parent)}

        def timed(name: str, run_book) -> object:
            w, c = time.perf_counter(), time.process_time()
            run = project.autocode(run_book)
            out[name] = (time.perf_counter() - w, time.process_time() - c)
            return run

        # First coding's CPU time in `Pipeline.analyse` (the rest is matching, storing and setup).
        from qualcode.nlp import Pipeline

        analyse, spent = Pipeline.analyse, [0.0]

        def counted(self, *args, **kwargs):
            c = time.process_time()
            try:
                return analyse(self, *args, **kwargs)
            finally:
                spent[0] += time.process_time() - c

        Pipeline.analyse = counted
        try:
            first = timed("first", book)
        finally:
            Pipeline.analyse = analyse
        out["first_analysis_cpu"] = spent[0]
        out["codings"] = first.total
        if recode:
            second = timed("recode", loads(changed(codebook), str(codebook)))
            assert second.analysed == 0
        from sqlalchemy import delete

        from qualcode.store.schema import nlp_cache

        try:  # this process's copy of analyses and rule matches (issue 17); older code has none
            from qualcode import autocode as compiled
            from qualcode.match_cache import MEMO
        except ImportError:
            compiled = MEMO = None
        if not hasattr(compiled, "_COMPILED"):  # older code: an editable install can still find the module
            compiled = MEMO = None

        def forget_matches() -> None:
            with project.engine.begin() as conn:
                conn.execute(delete(nlp_cache).where(nlp_cache.c.kind == "matches"))
            if MEMO is not None:
                MEMO.matches.clear()

        forget_matches()
        third = timed("rematch", book)
        assert third.analysed == 0 and third.total == first.total
        # The same as a new process would: analyses read from the project, rules compiled again
        # (the pipelines, spaCy and the lemmatisers stay loaded).
        forget_matches()
        if MEMO is not None:
            MEMO.clear()
            compiled._COMPILED.clear()
        fourth = timed("rematch_cold", book)
        assert fourth.analysed == 0 and fourth.total == first.total
        project.close()
        out["peak_mb"] = peak_mb()
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def in_child(tree: Path | None, corpus: Path, codebook: Path, recode: bool = True) -> dict:
    """`measure` in a fresh Python process, with `tree`'s qualcode first on the path."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    else:
        env["PYTHONPATH"] = str(ROOT)  # this checkout, not whatever the environment has installed
    cmd = [sys.executable, __file__, "--measure", str(corpus), "--codebook", str(codebook)]
    if not recode:
        cmd.append("--no-recode")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"measuring with {tree or 'this checkout'} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def plain_coder(book, texts: dict[str, str], langs: dict[str, str]) -> tuple[float, int]:
    """A hand-written coder: regex tokens, a warm per-form lemma dict, phrases indexed by their
    first word (exact forms/lemmas; prefixes by startswith), negation cues in the 3 tokens before."""
    from qualcode.nlp import pipeline

    word = re.compile(r"\w+(?:'\w+)?|[^\w\s]")
    index: dict[str, dict[str, list[list]]] = {}
    cues: dict[str, set[str]] = {}
    lemma_of: dict[str, dict[str, str]] = {}
    for lang in {langs[n] for n in texts}:
        nlp = pipeline(lang)
        cues[lang] = {c.lower() for c in book.negation[lang].cues}
        idx = index.setdefault(lang, {})
        for rule in book.rules(lang):
            for pattern in rule.patterns:
                words = nlp.pattern(pattern)
                if not words or not words[0].keys:
                    continue
                for k in words[0].keys:
                    idx.setdefault(k, []).append(words[1:])
        table = lemma_of.setdefault(lang, {})
        for name, text in texts.items():  # warm: every form's lemma known before timing
            if langs[name] == lang:
                for f in word.findall(text.lower()):
                    if f not in table:
                        table[f] = nlp.lemma(f).split("|", 1)[0]
    hits = 0
    start = time.process_time()
    for name, text in texts.items():
        lang = langs[name]
        table, idx, neg = lemma_of[lang], index[lang], cues[lang]
        forms = word.findall(text.lower())
        lemmas = [table.get(f, f) for f in forms]
        for i, (f, lem) in enumerate(zip(forms, lemmas, strict=True)):
            cands = idx.get(lem) or idx.get(f)
            if not cands:
                continue
            for rest in cands:
                for j, w in enumerate(rest, start=i + 1):
                    if j >= len(forms):
                        break
                    if w.prefix is not None:
                        if not (forms[j].startswith(w.prefix) or lemmas[j].startswith(w.prefix)):
                            break
                    elif forms[j] not in w.keys and lemmas[j] not in w.keys:
                        break
                else:
                    if not any(x in neg for x in forms[max(0, i - 3):i]):
                        hits += 1
    return time.process_time() - start, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    parser.add_argument("--baseline", type=Path, help="a worktree of an earlier commit: today's code, side by side")
    parser.add_argument("--natural", action="store_true", help="also the sample interviews replicated")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-recode", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.codebook, not args.no_recode)))
        return
    book = load_codebook(args.codebook)
    tmp = Path(tempfile.mkdtemp(prefix="qc-bench-"))
    load_before = os.getloadavg()
    try:
        corpus = tmp / "corpus"
        corpus.mkdir()
        n_files, n_words = make_corpus(corpus, args.words)
        project = Project.create(tmp / "texts.qcdb")
        assert project.import_files(sorted(corpus.glob("*.txt"))).ok
        rows = project.transcripts()
        texts = {name: project.transcript_text(name) for name in rows["transcript"]}
        langs = dict(zip(rows["transcript"], rows["language"], strict=True))
        project.close()
        words_of = {lang: sum(len(t.split()) for n, t in texts.items() if langs[n] == lang) for lang in ("en", "ru")}

        def per_lang(fn) -> dict[str, float]:
            """CPU seconds of fn(texts of one language), per language."""
            out = {}
            for lang in ("en", "ru"):
                sub = {n: t for n, t in texts.items() if langs[n] == lang}
                start = time.process_time()
                fn(sub)
                out[lang] = time.process_time() - start
            return out

        table: list[tuple[str, dict[str, float]]] = []
        floor_rx = re.compile(r"\w+")
        table.append(("`re.findall(r\"\\w+\", text.lower())`: the floor",
                      per_lang(lambda sub: [floor_rx.findall(t.lower()) for t in sub.values()])))
        plain = {lang: plain_coder(book, {n: t for n, t in texts.items() if langs[n] == lang}, langs)[0]
                 for lang in ("en", "ru")}
        table.append(("plain-Python coder: regex tokens + lemma dict + phrase index + 3-token negation, warm",
                      plain))

        import spacy

        tokenizers = {lang: spacy.blank(lang).tokenizer for lang in ("en", "ru")}
        for lang in tokenizers:
            tokenizers[lang].max_cache_size = 1_000_000
        per_lang(lambda sub: [tokenizers[langs[n]](t) for n, t in sub.items()])
        table.append(("spaCy's blank tokenizer alone, 1 M cache, warm",
                      per_lang(lambda sub: [tokenizers[langs[n]](t) for n, t in sub.items()])))

        # One language per child run, so that each figure is one language's.
        for lang in ("en", "ru"):
            (corpus / lang).mkdir()
        for f in corpus.glob("*.txt"):
            lang = "en" if "language: en" in f.read_text(encoding="utf-8")[:200] else "ru"
            f.rename(corpus / lang / f.name)
        results = {}
        for code, tree in ([("today's code", args.baseline)] if args.baseline else []) + [("issue 17", None)]:
            for lang in ("en", "ru"):
                results[(code, f"generated, {lang}")] = (in_child(tree, corpus / lang, args.codebook), words_of[lang])
        if args.natural:
            natural = tmp / "natural"
            natural.mkdir()
            _files, nat_words = natural_corpus(natural, args.words)
            for code, tree in ([("today's code", args.baseline)] if args.baseline else []) + [("issue 17", None)]:
                results[(code, "natural (24 samples replicated)")] = (
                    in_child(tree, natural, args.codebook, recode=False), nat_words)
        load_after = os.getloadavg()

        print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores; load average "
              f"{load_before[0]:.2f} before, {load_after[0]:.2f} after; corpus: {n_files} transcripts, "
              f"{n_words:,} words (en {words_of['en']:,}, ru {words_of['ru']:,}); codebook {book.name} "
              f"v{book.version}: {sum(1 for _ in book.rules())} rules")
        print()
        print("| path (generated corpus, one core, CPU time) | English words/s | Russian words/s |\n|---|---:|---:|")
        for name, secs in table:
            print(f"| {name} | {words_of['en'] / secs['en']:,.0f} | {words_of['ru'] / secs['ru']:,.0f} |")
        print()
        print("| code | corpus | stage | wall s | CPU s | words/s (wall) | words/s (CPU) | codings | peak RSS MB |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|")
        for (code, label), (res, words) in results.items():
            for stage in ("first", "recode", "rematch", "rematch_cold"):
                if stage not in res:
                    continue
                wall, cpu = res[stage]
                print(f"| {code} | {label} | {stage} | {wall:.2f} | {cpu:.2f} | {words / wall:,.0f} | "
                      f"{words / cpu:,.0f} | {res['codings']:,} | {res['peak_mb']:,.0f} |")
        print()
        print("| code | corpus | first coding CPU s | of which analysis | matching, storing, setup | "
              "its share | words/s of that part |\n|---|---|---:|---:|---:|---:|---:|")
        for (code, label), (res, words) in results.items():
            cpu, analysis = res["first"][1], res["first_analysis_cpu"]
            rest = cpu - analysis
            print(f"| {code} | {label} | {cpu:.2f} | {analysis:.2f} | {rest:.2f} | {rest / cpu:.0%} | "
                  f"{words / rest:,.0f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
