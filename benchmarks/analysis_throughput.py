"""Analysis alone (tokens, lemmas, sentences, and its storage) on the generated corpus (issue 17).

What `runs.autocode` pays per transcript before matching, side by side in one run for this
checkout and, with `--baseline`, a `git worktree` of an earlier commit, each in a fresh child
process (so neither warms the other's tables), CPU time of the child:

  build     the process's pipeline for the language (imports, lookup table, pymorphy3)
  cold      `Pipeline.analyse` of every transcript + `Analysis.to_bytes` + the lemma cache's
            `dump_cache`, in the new process: every chunk and form is new
  persisted the same in another new process that first loads the lemma cache the cold run
            dumped (`load_cache`, timed with it): what a second project or a re-import pays
  warm      the same transcripts again in the cold run's process (tables and cache warm)
  load      `Analysis.from_bytes` of every stored analysis (what a re-code reads)

Beside them the floor, `re.findall(r"\\w+", text.lower())`, over the same texts. Words are
whitespace-separated words of the transcripts (speaker labels included), as in
benchmarks/autocode_throughput.py, which generates the corpus (15% random words, so the lemma
cache is as large as a real corpus's).

    git worktree add --detach /tmp/base <commit>
    .venv/bin/python benchmarks/analysis_throughput.py [--words 1000000] [--baseline /tmp/base]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_items(corpus: Path, out: Path) -> None:
    """Import the corpus into a project and pickle (lang, text, turn spans) per transcript."""
    from qualcode import Project
    from qualcode.store import coding_queries as cq

    project = Project.create(out.with_suffix(".qcdb"))
    report = project.import_files(sorted(corpus.glob("*.txt")))
    assert report.ok, [r.message for r in report.failed]
    with project.engine.connect() as conn:
        rows = cq.current_transcripts(conn)
        spans = cq.turn_spans(conn, [r.id for r in rows])
    items = [(r.language, r.text, [(t.idx, t.start_offset, t.end_offset) for t in spans[r.id]]) for r in rows]
    project.close()
    out.write_bytes(pickle.dumps(items))


def measure(items_path: Path, lang: str, cache_path: Path, persisted: bool) -> dict:
    """Timings of one language's analyses in this process (the qualcode on sys.path)."""
    items = [(t, s) for lg, t, s in pickle.loads(items_path.read_bytes()) if lg == lang]
    out: dict = {}
    c = time.process_time()
    from qualcode.nlp import Analysis, pipeline

    nlp = pipeline(lang)
    out["build"] = time.process_time() - c

    def run() -> list[bytes]:
        blobs = [nlp.analyse(text, spans).to_bytes() for text, spans in items]
        cache_path.write_bytes(nlp.dump_cache())
        return blobs

    c = time.process_time()
    if persisted:
        nlp.load_cache(cache_path.read_bytes())
    blobs = run()
    out["persisted" if persisted else "cold"] = time.process_time() - c
    if persisted:
        return out
    c = time.process_time()
    run()
    out["warm"] = time.process_time() - c
    c = time.process_time()
    for blob in blobs:
        Analysis.from_bytes(blob)
    out["load"] = time.process_time() - c
    out["tokens"] = sum(len(Analysis.from_bytes(b)) for b in blobs)
    out["bytes"] = sum(map(len, blobs))
    return out


def in_child(tree: Path, items: Path, lang: str, cache: Path, persisted: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, __file__, "--measure", str(items), "--lang", lang, "--cache", str(cache)]
    if persisted:
        cmd.append("--persisted")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"measuring with {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=Path, help="a worktree of an earlier commit, side by side")
    parser.add_argument("--corpus", type=Path, help="a directory of generated .txt files (default: generate)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lang", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--persisted", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.lang, args.cache, args.persisted)))
        return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="qc-analysis-") as tmp_name:
        tmp = Path(tmp_name)
        corpus = args.corpus
        if corpus is None:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from autocode_throughput import make_corpus

            corpus = tmp / "corpus"
            corpus.mkdir()
            make_corpus(corpus, args.words)
        items = tmp / "items.pickle"
        load_items(corpus, items)
        texts = pickle.loads(items.read_bytes())
        words = {lang: sum(len(t.split()) for lg, t, _s in texts if lg == lang) for lang in ("en", "ru")}
        floor_rx = re.compile(r"\w+")
        floor = {}
        for lang in ("en", "ru"):
            c = time.process_time()
            for lg, t, _s in texts:
                if lg == lang:
                    floor_rx.findall(t.lower())
            floor[lang] = time.process_time() - c
        trees = ([("baseline", args.baseline)] if args.baseline else []) + [("this checkout", ROOT)]
        results = {}
        for name, tree in trees:
            for lang in ("en", "ru"):
                cache = tmp / f"lemmas-{name.replace(' ', '_')}-{lang}.bin"
                res = in_child(tree, items, lang, cache, persisted=False)
                res.update(in_child(tree, items, lang, cache, persisted=True))
                results[(name, lang)] = res
        load_after = os.getloadavg()
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after; {len(texts)} transcripts, en {words['en']:,} words, ru {words['ru']:,}")
    print()
    print("| code | lang | build s | cold s | persisted s | warm s | load s | cold words/s | persisted words/s "
          "| warm words/s | stored MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lang in ("en", "ru"):
        print(f"| floor: `re.findall(r\"\\w+\", text.lower())` | {lang} | | | | {floor[lang]:.2f} | | | | "
              f"{words[lang] / floor[lang]:,.0f} | |")
    for (name, lang), r in results.items():
        w = words[lang]
        print(f"| {name} | {lang} | {r['build']:.2f} | {r['cold']:.2f} | {r['persisted']:.2f} | {r['warm']:.2f} | "
              f"{r['load']:.2f} | {w / r['cold']:,.0f} | {w / r['persisted']:,.0f} | {w / r['warm']:,.0f} | "
              f"{r['bytes'] / 1e6:.1f} |")
    print()
    print("Per 1 M words (s): " + "; ".join(
        f"{name} {lang}: cold {r['cold'] / words[lang] * 1e6:.2f} + build {r['build']:.2f}, "
        f"warm {r['warm'] / words[lang] * 1e6:.2f}" for (name, lang), r in results.items()))


if __name__ == "__main__":
    main()
