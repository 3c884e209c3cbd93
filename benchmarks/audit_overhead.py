"""What the audit log and the workbench's live look cost (issue 16.3), beside a floor.

    .venv/bin/python benchmarks/audit_overhead.py [--codings 400] [--rounds 3] [--url postgresql+psycopg://...]

Side by side in one run, on a fresh project (an SQLite file in a temporary folder, or the
database at --url, which must be empty) holding the sample transcript kz03 and the shipped
codebook's codes:
- add: `Project.add_coding` one coding per transaction, as the workbench does, with the audit
  row (as shipped) and with `qualcode.audit.record` replaced by a no-op (the floor); rounds
  alternate, best round of each;
- look: `qualcode.coding.codings_stamp` (what each open Code page runs every 3 s) against
  `transcript_codings` (what a redraw reads), on the same transcript with all those codings.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode import Project, audit, coding

ROOT = Path(__file__).resolve().parent.parent


def add_many(p: Project, n: int, coder: str, length: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        start = (13 * i) % (length - 20)
        p.add_coding("kz03", "push.family", start, start + 12, coder=coder)
    return (time.perf_counter() - t0) / n


def timed(fn, repeat: int = 50) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codings", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        location = args.url or str(Path(folder) / "bench.qcdb")
        with Project.create(location) as p:
            p.import_files([ROOT / "interviews" / "kz03.txt"])
            p.load_codes(ROOT / "codebooks" / "migration.yaml")
            length = len(p.transcript_text("kz03"))
            real = audit.record
            with_log, floor = [], []
            for r in range(args.rounds):
                with_log.append(add_many(p, args.codings, f"with{r}", length))
                audit.record = lambda *a, **k: None  # the floor: the same writes without the audit row
                try:
                    floor.append(add_many(p, args.codings, f"floor{r}", length))
                finally:
                    audit.record = real
            total = len(p.codings(["kz03"]))
            with p.engine.connect() as conn:
                stamp = timed(lambda: coding.codings_stamp(conn, "kz03"))
                redraw = timed(lambda: coding.transcript_codings(conn, "kz03"))
        kind = "PostgreSQL" if args.url else "SQLite"
        print(f"{kind}; {args.rounds} rounds of {args.codings} codings each way, best round")
        print(f"add_coding, no audit row (floor): {min(floor) * 1000:.2f} ms per coding")
        print(f"add_coding, with its audit row:   {min(with_log) * 1000:.2f} ms per coding "
              f"(x{min(with_log) / min(floor):.2f})")
        print(f"{total} codings on kz03: codings_stamp {stamp * 1000:.2f} ms, transcript_codings "
              f"{redraw * 1000:.2f} ms (median of 50; x{redraw / stamp:.1f})")


if __name__ == "__main__":
    main()
