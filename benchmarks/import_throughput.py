"""Import throughput on a generated corpus of about 1 M words, against the floor of reading and decoding.

Three stages over the same files, side by side in one run (best of --repeat):
  floor   read the bytes and decode them with the encoding known in advance
  parse   qualcode.ingest.read_file: detect the encoding, normalise, front matter, turns, language
  import  Project.import_files into a fresh SQLite project (parse + one transaction per file)

The corpus is made from the bundled interviews (txt/md), renamed and re-encoded: 60% UTF-8,
the Russian ones also as Windows-1251 and KOI8-R, some English as UTF-16, so detection is exercised.

    .venv/bin/python benchmarks/import_throughput.py [--words 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from qualcode import Project
from qualcode.ingest import read_file

ROOT = Path(__file__).resolve().parent.parent


def make_corpus(out: Path, target_words: int) -> list[tuple[Path, str]]:
    sources = sorted(p for p in (ROOT / "interviews").glob("kz*") if p.suffix in (".txt", ".md"))
    texts = [(p, p.read_text(encoding="utf-8")) for p in sources]
    files: list[tuple[Path, str]] = []
    words = 0
    i = 0
    while words < target_words:
        src, text = texts[i % len(texts)]
        # Each copy is a distinct interview (the case id changes), so none is a duplicate.
        text = text.replace("case: KZ", f"case: B{i:05d}-KZ", 1)
        russian = "language: ru" in text
        encoding = ["utf-8", "cp1251", "koi8_r"][i % 3] if russian else ["utf-8", "utf-8", "utf-16"][i % 3]
        path = out / f"b{i:05d}{src.suffix}"
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:  # Kazakh letters have no place in the Russian code pages
            encoding, data = "utf-8", text.encode("utf-8")
        path.write_bytes(data)
        files.append((path, encoding.replace("-", "_")))
        words += len(text.split())
        i += 1
    return files


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="qualcode-bench-"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        files = make_corpus(corpus, args.words)
        paths = [p for p, _ in files]
        words = sum(len(p.read_bytes().decode(enc).split()) for p, enc in files)
        mb = sum(p.stat().st_size for p in paths) / 1e6

        def floor() -> None:
            for p, enc in files:
                p.read_bytes().decode(enc)

        def parse() -> None:
            for p in paths:
                read_file(p)

        def store() -> None:
            db = work / f"bench-{time.monotonic_ns()}.qcdb"
            with Project.create(db) as project:
                report = project.import_files(paths)
            assert report.ok and len(report.imported) == len(paths), [r.message for r in report.failed][:3]

        results = {name: min(timed(fn) for _ in range(args.repeat))
                   for name, fn in (("floor", floor), ("parse", parse), ("import", store))}
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"corpus: {len(paths)} files, {words:,} words, {mb:.1f} MB "
              f"(python {platform.python_version()}, best of {args.repeat})")
        print(f"{'stage':<8}{'seconds':>10}{'words/s':>14}{'x floor':>10}")
        for name, seconds in results.items():
            print(f"{name:<8}{seconds:>10.2f}{words / seconds:>14,.0f}{seconds / results['floor']:>10.1f}")
        print(f"peak RSS of this process: {rss:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
