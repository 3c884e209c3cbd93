"""Where `--workers 2` (and a local Dask cluster of 2 processes) start to beat one process.

First coding (analysis + matching + storing) of growing prefixes of the generated corpus of
`autocode_throughput.py`, each size on fresh project copies, side by side in one run:
one process, a pool of 2 worker processes, and (with --dask) a 2-process LocalCluster.
The thresholds in qualcode/runs.py (POOL_MIN_WORDS, DASK_MIN_WORDS) come from this table;
the benchmark lowers them to 0 so that every size really runs where it says.

    .venv/bin/python benchmarks/workers_threshold.py [--sizes 125000,250000,500000,1000000] [--dask]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from autocode_throughput import make_corpus

from qualcode import Project, load_codebook, runs

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="125000,250000,500000,1000000")
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    parser.add_argument("--dask", action="store_true", help="also a 2-process Dask LocalCluster")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    book = load_codebook(args.codebook)
    runs.POOL_MIN_WORDS = runs.DASK_MIN_WORDS = 0
    tmp = Path(tempfile.mkdtemp(prefix="qc-workers-"))
    client = cluster = None
    try:
        corpus = tmp / "corpus"
        corpus.mkdir()
        make_corpus(corpus, max(sizes))
        files = sorted(corpus.glob("*.txt"))
        if args.dask:
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
            client = Client(cluster)
        print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
        print("| words | one process (s) | --workers 2 (s) | speed-up |" + (" Dask, 2 processes (s) | speed-up |"
                                                                           if args.dask else ""))
        print("|---:|---:|---:|---:|" + ("---:|---:|" if args.dask else ""))
        for size in sizes:
            base = tmp / f"base{size}.qcdb"
            project = Project.create(base)
            chosen, words = [], 0
            for f in files:
                if words >= size:
                    break
                chosen.append(f)
                words += len(f.read_text(encoding="utf-8").split())
            assert project.import_files(chosen).ok
            project.close()
            secs = {}
            for where in ["process", "pool"] + (["dask"] if args.dask else []):
                copy = tmp / f"{where}{size}.qcdb"
                shutil.copy(base, copy)
                with Project.open(copy) as p:
                    start = time.perf_counter()
                    p.autocode(book, workers=2 if where == "pool" else 1,
                               scheduler=client if where == "dask" else None)
                    secs[where] = time.perf_counter() - start
            row = (f"| {words:,} | {secs['process']:.2f} | {secs['pool']:.2f} | "
                   f"{secs['process'] / secs['pool']:.2f}× |")
            if args.dask:
                row += f" {secs['dask']:.2f} | {secs['process'] / secs['dask']:.2f}× |"
            print(row, flush=True)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if client is not None:
            client.close()
            cluster.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
