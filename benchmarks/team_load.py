"""A team coding at once: 10 simulated coders on one project, PostgreSQL beside SQLite.

    .venv/bin/python benchmarks/team_load.py [--coders 10] [--codings 100] [--speedup 100]

Each coder is a process with its own `Project` (as each browser session has its own), coding
the sample project's transcripts through the workbench's own call (`coding.apply_action`, then
the confirmed read), at human pace sped up: a coder thinks 10 s on average between codings
(exponentially distributed), divided by --speedup (100: 0.1 s). A coder's write latency is the
time of the action and its confirmed read. Errors are any exception a coder sees (target 0).

Bounded: at most 50 coders, 1,000 codings each and --timeout seconds (default 600) in all; the
PostgreSQL server is $QUALCODE_BENCH_PG or a throwaway cluster on a unix socket (no TCP port),
so nothing listens beyond this machine. The same load then runs on an SQLite copy as baseline.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualcode import Project  # noqa: E402
from qualcode import coding as manual  # noqa: E402
from qualcode.copying import copy_project  # noqa: E402
from qualcode.sample import build_sample_project  # noqa: E402
from tests import pgserver  # noqa: E402

THINK_SECONDS = 10.0  # a human coder's mean time between two codings


def coder(location: str, number: int, n: int, speedup: float, deadline: float, out: mp.Queue) -> None:
    rng = random.Random(number)
    latencies: list[float] = []
    errors: list[str] = []
    try:
        with Project.open(location) as p:
            turns = p.turns()
            turns = turns[(turns["role"] == "respondent") & (turns["end"] - turns["start"] > 40)]
            codes = [c for c in p.codes()["code"] if "." in c]
            texts = {name: p.transcript_text(name) for name in set(turns["transcript"])}
            for _ in range(n):
                if time.monotonic() > deadline:
                    errors.append("stopped at the time limit")
                    break
                time.sleep(rng.expovariate(speedup / THINK_SECONDS))
                turn = turns.iloc[rng.randrange(len(turns))]
                text = texts[turn.transcript]
                start = rng.randrange(turn.start, turn.end - 20)
                end = min(turn.end, start + rng.randint(10, 200))
                op = {"action": "add", "transcript": turn.transcript, "code": rng.choice(codes),
                      "start": len(text[:start].encode("utf-16-le")) // 2,
                      "end": len(text[:end].encode("utf-16-le")) // 2}
                t0 = time.perf_counter()
                try:
                    manual.apply_action(p, op, f"coder{number}")
                    with p.engine.connect() as conn:
                        manual.transcript_codings(conn, turn.transcript)
                except Exception as exc:  # every error counts, whatever it is
                    errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                    continue
                latencies.append(time.perf_counter() - t0)
    except Exception:  # a coder that could not start: its error counts too
        errors.append(traceback.format_exc())
    out.put((number, latencies, errors))


def run(location: str, args: argparse.Namespace) -> dict:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    deadline = time.monotonic() + args.timeout
    procs = [ctx.Process(target=coder, args=(location, i, args.codings, args.speedup, deadline, out))
             for i in range(args.coders)]
    t0 = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [out.get(timeout=args.timeout + 120) for _ in procs]
    for proc in procs:
        proc.join(30)
    wall = time.perf_counter() - t0
    latencies = [v * 1000 for _, lat, _ in results for v in lat]
    errors = [e for _, _, errs in results for e in errs]
    with Project.open(location) as p:
        stored = len(p.codings(origin="manual"))
    ordered = sorted(latencies) or [float("nan")]
    return {"p50": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1))], "max": ordered[-1],
            "writes": len(latencies), "stored": stored, "errors": errors, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--coders", type=int, default=10)
    parser.add_argument("--codings", type=int, default=100, help="codings per coder")
    parser.add_argument("--speedup", type=float, default=100.0, help="human pace (10 s per coding) divided by this")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for each store's run, at most")
    args = parser.parse_args()
    if not (1 <= args.coders <= 50 and 1 <= args.codings <= 1000 and 1 <= args.speedup <= 10_000
            and 1 <= args.timeout <= 3600):
        parser.error("bounds: --coders 1..50, --codings 1..1000, --speedup 1..10000, --timeout 1..3600")

    with tempfile.TemporaryDirectory() as tmp, pgserver.server() as (server_url, why, _cluster):
        if server_url is None:
            sys.exit(f"No PostgreSQL: {why}")
        server_url = os.environ.get("QUALCODE_BENCH_PG") or server_url
        lite = Path(tmp) / "team.qcdb"
        assert build_sample_project(lite).ok
        with Project.open(lite) as p:
            p.load_codes(ROOT / "codebooks" / "migration.yaml")
        databases = pgserver.Databases(server_url)
        url = databases.create()
        try:
            copy_project(lite, url)
            results = {"PostgreSQL": run(url, args), "SQLite": run(str(lite), args)}
        finally:
            databases.drop_all()

    print(f"{args.coders} coders x {args.codings} codings, think time {THINK_SECONDS / args.speedup:g} s mean "
          f"(human pace x {args.speedup:g}), Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print("| store | writes | stored | p50 ms | p95 ms | max ms | errors | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for key, r in results.items():
        print(f"| {key} | {r['writes']} | {r['stored']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | "
              f"{len(r['errors'])} | {r['wall']:.1f} |")
    for key, r in results.items():
        for error in r["errors"][:5]:
            print(f"{key} error: {error}")


if __name__ == "__main__":
    main()
