"""Export and import of a project with 100 transcripts and 50,000 codings, every format,
each beside a floor measured in the same run.

    .venv/bin/python benchmarks/exchange_scale.py [--transcripts 100] [--codings 50000]

Floor: the format's own writer or reader (pandas, pyreadstat) on the plain codings frame,
i.e. what any export has to pay. qualcode's export also builds the segments table (case
attributes, code paths and names, labels, legal SPSS/Stata names) and writes through a
temporary file. QDPX: export to a zip validated by the schema tests, then import into a new
project (one transaction), the round trip of issue 6.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode import Project
from qualcode.exchange import tables

SENTENCES = ["Работы в ауле не было, поэтому мы переехали на север.", "We rented two rooms at first.",
             "Жильё было дешевле, и дети пошли в школу.", "My brother found me a job at the plant."]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn: Callable[[], object]) -> object:
    t = time.perf_counter()
    result = fn()
    print(f"{label:<58} {time.perf_counter() - t:8.2f} s   peak RSS {rss_mb():6.0f} MB", flush=True)
    return result


def build(folder: Path, n_transcripts: int, n_codings: int) -> Project:
    rng = np.random.default_rng(0)
    files = folder / "interviews"
    files.mkdir()
    with (files / "cases.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "file", "gender", "age", "region"])
        for t in range(n_transcripts):
            turns = []
            for i in range(120):
                who = "Interviewer" if i % 2 == 0 else "Respondent"
                turns.append(f"{who}: " + " ".join(rng.choice(SENTENCES, 3)) + f" ({t}.{i})")
            (files / f"t{t:03d}.txt").write_text("\n".join(turns) + "\n", encoding="utf-8")
            w.writerow([f"R{t:03d}", f"t{t:03d}.txt", rng.choice(["female", "male"]), int(rng.integers(20, 60)),
                        rng.choice(["Turkistan", "Zhambyl", "Kyzylorda"])])
    project = Project.create(folder / "big.qcdb")
    report = project.import_files([files])
    assert not report.failed, [r.message for r in report.failed]
    turns = project.turns()
    turns = turns[turns["role"] == "respondent"].reset_index(drop=True)
    codes = [f"push.c{i:02d}" for i in range(25)] + [f"pull.c{i:02d}" for i in range(25)]
    rows = []
    for j in range(n_codings):
        # Turn j mod N with code (j + j // N) mod 50: every (turn, code) pair differs up to 50 N codings.
        turn = turns.iloc[j % len(turns)]
        rows.append({"transcript": turn["transcript"], "code": codes[(j + j // len(turns)) % len(codes)],
                     "start": int(turn["start"]),
                     "end": int(turn["end"]), "text": turn["text"], "coder": ["aigerim", "dana"][j % 2],
                     "memo": "checked" if j % 50 == 0 else ""})
    frame = pd.DataFrame(rows)
    assert not frame.duplicated(["transcript", "code", "start", "end"]).any()
    frame.to_csv(folder / "codings.csv", index=False)
    project.import_codings(folder / "codings.csv", create_codes=True)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=100)
    parser.add_argument("--codings", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = timed("build the project (import + codings)", lambda: build(folder, args.transcripts,
                                                                                args.codings))
        raw = project.codings()
        print(f"   {len(project.transcripts())} transcripts, {len(raw):,} codings\n")
        plain = raw[["transcript", "case", "code", "start", "end", "text", "coder", "origin", "status", "memo"]]
        table = timed("qualcode: build the segments table", lambda: tables.segments(project))
        floors = {
            "csv": (lambda p: plain.to_csv(p, index=False), pd.read_csv),
            "xlsx": (lambda p: plain.to_excel(p, index=False), pd.read_excel),
            "parquet": (lambda p: plain.to_parquet(p), pd.read_parquet),
            "sav": (lambda p: pyreadstat.write_sav(plain.fillna(""), p), lambda p: pyreadstat.read_sav(p)[0]),
            "dta": (lambda p: plain.fillna("").rename(columns={"case": "case_", "end": "end_"}).to_stata(
                p, write_index=False, version=118), pd.read_stata),
        }
        for fmt, (write_floor, read) in floors.items():
            floor_path, ours = folder / f"floor.{fmt}", folder / f"segments.{fmt}"
            timed(f"floor: {fmt} writer on the plain codings", lambda w=write_floor, p=floor_path: w(p))
            timed(f"qualcode: write segments .{fmt}", lambda f=fmt, o=ours: tables.write({"segments": table}, o, f))
            back = timed(f"read .{fmt} back", lambda r=read, o=ours: r(o))
            assert len(back) == len(table), fmt
            print(f"   {ours.stat().st_size / 2**20:.1f} MB (floor file {floor_path.stat().st_size / 2**20:.1f} MB)")
        qdpx = folder / "big.qdpx"
        timed("qualcode: export QDPX", lambda: project.export_qdpx(qdpx))
        print(f"   {qdpx.stat().st_size / 2**20:.1f} MB zip")
        fresh = Project.create(folder / "fresh.qcdb")
        result = timed("qualcode: import QDPX into a new project", lambda: fresh.import_qdpx(qdpx))
        print(f"   {result.summary()}")
        assert len(fresh.codings()) == len(raw)
        timed("qualcode: export QDC", lambda: project.export_qdc(folder / "codes.qdc"))
        timed("qualcode: import QDC", lambda: Project.create(folder / "c.qcdb").import_qdc(folder / "codes.qdc"))
    print(f"\npeak RSS of the whole run: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
