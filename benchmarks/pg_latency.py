"""The workbench's apply -> confirmed path on PostgreSQL against SQLite, at 20,000 words.

    .venv/bin/python benchmarks/pg_latency.py [--trials 300] [--words 20000] [--codings 300]

What the workbench does in Python when a coder codes a span (qualcode/ui/components/transcript.py
and views/code.py): `coding.apply_action(project, {"action": "add", ...})` stores the coding, then
the rerun reads the transcript's `codings_stamp` and `transcript_codings` to draw it as confirmed.
This times that path through the `Project` API, without the browser (benchmarks/ui_latency.py
measures the browser part), on the same project in both stores: built as an SQLite file (as
ui_latency.py builds it: one Russian transcript, 300 codings) and copied to PostgreSQL with
`qualcode copy`. Trials alternate between the stores, so both see the same machine load.

PostgreSQL: $QUALCODE_BENCH_PG (a server URL; a database is created and dropped on it), else a
throwaway cluster on a unix socket in a temporary folder (tests/pgserver.py). Target: PostgreSQL
within 1.5x of SQLite (median).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ui_latency import build_project  # noqa: E402

from qualcode import Project  # noqa: E402
from qualcode import coding as manual  # noqa: E402
from qualcode.copying import copy_project  # noqa: E402
from tests import pgserver  # noqa: E402


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def one_action(project: Project, name: str, text: str, spans: list[tuple[int, int]], codes: list[str],
               rng: random.Random) -> float:
    """Seconds from the coder's action to the confirmed redraw data, as the workbench runs them."""
    first = rng.randrange(0, len(spans) - 30)
    start, end = spans[first][0], spans[first + rng.randint(2, 25)][1]
    op = {"action": "add", "transcript": name, "start": utf16(text, start), "end": utf16(text, end),
          "code": rng.choice(codes), "text": text[start:end]}
    t0 = time.perf_counter()
    manual.apply_action(project, op, "bench")
    with project.engine.connect() as conn:
        manual.codings_stamp(conn, name)
        manual.transcript_codings(conn, name)
    return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--words", type=int, default=20_000)
    parser.add_argument("--codings", type=int, default=300)
    args = parser.parse_args()
    if not 1 <= args.trials <= 5000:
        parser.error("--trials must be between 1 and 5000")

    with tempfile.TemporaryDirectory() as tmp, pgserver.server() as (server_url, why, _cluster):
        if server_url is None:
            sys.exit(f"No PostgreSQL: {why}")
        server_url = os.environ.get("QUALCODE_BENCH_PG") or server_url
        lite = Path(tmp) / "bench.qcdb"
        name = build_project(lite, [(args.words, args.codings)])[0]
        databases = pgserver.Databases(server_url)
        url = databases.create()
        try:
            copy_project(lite, url)
            stores = {"SQLite": Project.open(lite), "PostgreSQL": Project.open(url)}
            text = stores["SQLite"].transcript_text(name)
            spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
            codes = [c for c in stores["SQLite"].codes()["code"] if "." in c]
            times: dict[str, list[float]] = {k: [] for k in stores}
            rng = random.Random(0)
            for _ in range(10):  # warm-up: pools, caches, prepared plans
                for project in stores.values():
                    one_action(project, name, text, spans, codes, rng)
            for trial in range(args.trials):
                order = list(stores) if trial % 2 == 0 else list(reversed(stores))
                for key in order:
                    times[key].append(one_action(stores[key], name, text, spans, codes, rng))
            for project in stores.values():
                project.close()
        finally:
            databases.drop_all()

    words = len(text.split())
    print(f"apply -> confirmed, {words} words, {args.codings} codings at start, {args.trials} trials per store "
          f"(alternating), Python {sys.version.split()[0]}")
    print("| store | median ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    for key, values in times.items():
        ms = [v * 1000 for v in values]
        print(f"| {key} | {statistics.median(ms):.1f} | {pct(ms, 0.95):.1f} | {max(ms):.1f} |")
    ratio = statistics.median(times["PostgreSQL"]) / statistics.median(times["SQLite"])
    print(f"PostgreSQL / SQLite (median): {ratio:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
