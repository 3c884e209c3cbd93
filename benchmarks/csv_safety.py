"""What safe CSV costs: formula neutralising and the write-then-rename, beside a floor.

    .venv/bin/python benchmarks/csv_safety.py [--rows 300000] [--risky 0.02]

A segments-like table (6 text columns of interview sentences, 2 integer columns); a share
`--risky` of the text cells starts with `-`, `=` or `@` (the dialogue dash of a Russian
transcript, a planted formula). Side by side in one run, best of 3:
- floor: `DataFrame.to_csv` to a string (what any CSV export pays);
- safe: `qualcode.exchange.safe_csv.to_csv` (find the risky cells with pyarrow, mark them);
- per-cell: the same marking with one Python call per text cell (the first version), to
  show why the pyarrow pre-filter is there;
- write: `Path.write_bytes` in place vs `qualcode.files.write_bytes` (temporary file, fsync,
  rename) of the same bytes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode import files
from qualcode.exchange import safe_csv

PLAIN = ["Работы в ауле не было, поэтому мы переехали на север.", "We rented two rooms at first.",
         "Жильё было дешевле, и дети пошли в школу.", "My brother found me a job at the plant."]
RISKY = ["- Да, работы не было.", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(1,2)"]


def best(fn: Callable[[], object], n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def per_cell(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(safe_csv.neutralise)
    return out.to_csv(index=False, lineterminator="\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--risky", type=float, default=0.02)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.rows
    frame = pd.DataFrame({
        **{f"text{i}": np.where(rng.random(n) < args.risky, rng.choice(RISKY, n), rng.choice(PLAIN, n)).astype(object)
           for i in range(6)},
        "start": rng.integers(0, 100_000, n), "score": rng.integers(-5, 6, n),
    })
    cells = n * 6
    print(f"{n:,} rows, {cells:,} text cells, {args.risky:.0%} risky")
    floor = best(lambda: frame.to_csv(index=False, lineterminator="\n"))
    safe = best(lambda: safe_csv.to_csv(frame))
    slow = best(lambda: per_cell(frame))
    print(f"{'floor: DataFrame.to_csv':<44} {floor:6.2f} s   x1.00")
    print(f"{'safe_csv.to_csv (pyarrow pre-filter)':<44} {safe:6.2f} s   x{safe / floor:.2f}")
    print(f"{'marking with one Python call per cell':<44} {slow:6.2f} s   x{slow / floor:.2f}")
    data = safe_csv.to_csv(frame).encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "segments.csv"
        plain = best(lambda: target.write_bytes(data))
        atomic = best(lambda: files.write_bytes(target, data))
    print(f"{'write in place (Path.write_bytes), ' + f'{len(data) / 1e6:.0f} MB':<44} {plain:6.2f} s   x1.00")
    print(f"{'files.write_bytes (temp, fsync, rename)':<44} {atomic:6.2f} s   x{atomic / plain:.2f}")


if __name__ == "__main__":
    main()
