"""Start-up time of the commands (issue 17): wall time of fresh processes, side by side in one run.

    .venv/bin/python benchmarks/startup.py [--before PATH] [--repeat 7]

Rows, each a new Python process, so every import is paid as a user pays it:
- `python -c "import click"`: the floor for a click command line; `import click, sqlalchemy` the
  floor for the listing commands, and `import pandas, sqlalchemy` what they paid with pandas;
- `qualcode --help`, and `qualcode transcripts|turns|codings` on the sample project (its 24
  interviews, auto-coded with the shipped codebook, so `codings` lists ~1,400 rows);
- `load_codebook` of the shipped codebook, timed inside the process around the call only:
  "first" is the first load in a fresh process (what a command pays; the never-matches cache of
  qualcode.codebook_cache was filled by an earlier process), "again" a second load in that process.

`--before PATH` runs the same rows against another checkout (a `git worktree` of the commit before
the change), through PYTHONPATH, alternating with this tree so that machine load hits both alike.
Each tree codes its own copy of the sample project (a newer schema would be refused by older code).
Medians and minima of `--repeat` runs, as wall time and as the child's CPU time (user + system,
which a busy machine inflates less). The `-X importtime` columns name the heavy libraries one run
imports, with cumulative import seconds, and the total of qualcode's own top-level imports.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CODEBOOK = HERE / "codebooks" / "migration.yaml"
BUILD = """
import sys
from qualcode.project import Project
from qualcode.sample import build_sample_project
build_sample_project(sys.argv[1])
with Project.open(sys.argv[1]) as p:
    p.autocode(sys.argv[2])
"""
LOAD = """
import sys, time
from qualcode.codebook import load
t0 = time.perf_counter(); load(sys.argv[1]); t1 = time.perf_counter(); load(sys.argv[1]); t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)$")
WATCHED = ("pandas", "sqlalchemy", "scipy", "alembic", "spacy", "sklearn", "numpy", "yaml", "click")


def _env(tree: Path | None, cache: Path) -> dict[str, str]:
    env = dict(os.environ, QUALCODE_CACHE_DIR=str(cache), PYTHONDONTWRITEBYTECODE="0")
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wall(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; CPU time suffers less from a busy machine."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu() - cpu


def _importtime(cmd: list[str], env: dict[str, str], cwd: Path) -> str:
    """The heavy libraries one run imports, with the cumulative import time of each package
    (nested ones count in their importer too: scipy inside pandas' time if pandas imported it)."""
    done = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], env=env, cwd=cwd, capture_output=True,
                          text=True, check=True)
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        m = IMPORT_LINE.match(line)
        if m and m.group(4) in WATCHED:
            totals[m.group(4)] = totals.get(m.group(4), 0.0) + int(m.group(2)) / 1e6
    qualcode = [int(m.group(2)) / 1e6 for line in done.stderr.splitlines()
                if (m := IMPORT_LINE.match(line)) and m.group(4).startswith("qualcode") and len(m.group(3)) == 1]
    shown = [f"{name} {totals[name]:.2f}" for name in WATCHED if name in totals]
    return ", ".join(shown) + f"; all qualcode imports {sum(qualcode):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout to run side by side (PYTHONPATH)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    trees: dict[str, Path | None] = {"now": None}
    if args.before:
        trees = {"before": args.before.resolve(), "now": None}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)  # also the working folder: `python -m`/`-c` put it first on sys.path, not a tree
        codebook = work / CODEBOOK.name  # one snapshot for both trees, even if the file is edited meanwhile
        codebook.write_bytes(CODEBOOK.read_bytes())
        projects, envs = {}, {}
        for label, tree in trees.items():
            envs[label] = _env(tree, work / f"cache-{label}")
            projects[label] = work / f"sample-{label}.qcdb"
            subprocess.run([py, "-c", BUILD, str(projects[label]), str(codebook)], env=envs[label], cwd=work,
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run([py, "-c", LOAD, str(codebook)], env=envs[label], cwd=work, check=True,
                           stdout=subprocess.DEVNULL)  # fills the never-matches cache where there is one
        rows = {"python -c 'import click'": lambda label: [py, "-c", "import click"],
                # the floor of the listing commands, which need SQLAlchemy Core and no pandas (cli_listing)
                "python -c 'import click, sqlalchemy'": lambda label: [py, "-c", "import click, sqlalchemy"],
                "python -c 'import pandas, sqlalchemy'": lambda label: [py, "-c", "import pandas, sqlalchemy"],
                "qualcode --help": lambda label: [py, "-m", "qualcode", "--help"]}
        for command in ("transcripts", "turns", "codings"):
            rows[f"qualcode {command} SAMPLE"] = lambda label, c=command: [py, "-m", "qualcode", c,
                                                                          str(projects[label])]
        walls: dict[tuple[str, str], list[tuple[float, float]]] = {}
        loads: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
        for _ in range(args.repeat):
            for row, cmd in rows.items():
                for label in trees:
                    if row.startswith("python -c") and label != "now":
                        continue  # the floor does not depend on the tree
                    walls.setdefault((row, label), []).append(_wall(cmd(label), envs[label], work))
            for label in trees:
                out = subprocess.run([py, "-c", LOAD, str(codebook)], env=envs[label], cwd=work, check=True,
                                     capture_output=True, text=True).stdout.split()
                loads[label].append((float(out[0]), float(out[1])))
        print(f"{args.repeat} runs each; median (min) seconds; {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f} at the end\n")
        labels = list(trees)
        print("| command | " + " | ".join(f"{t} wall | {t} CPU" for t in labels) + " | "
              + " | ".join(f"{t}: heavy imports (-X importtime, s)" for t in labels) + " |")
        print("|---|" + "---:|---:|" * len(labels) + "---|" * len(labels))
        for row, cmd in rows.items():
            cells, imports = [], []
            for label in labels:
                runs = walls.get((row, label))
                if not runs:
                    cells += ["", ""]
                    imports.append("")
                    continue
                for i in (0, 1):
                    values = [r[i] for r in runs]
                    cells.append(f"{statistics.median(values):.3f} ({min(values):.3f})")
                imports.append(_importtime(cmd(label), envs[label], work))
            print(f"| `{row}` | " + " | ".join(cells) + " | " + " | ".join(imports) + " |")
        for i, what in enumerate(("first in a process", "again in the same process")):
            cells = []
            for label in labels:
                values = [pair[i] for pair in loads[label]]
                cells += [f"{statistics.median(values):.3f} ({min(values):.3f})", ""]
            print(f"| `load_codebook(migration.yaml)`, {what} | " + " | ".join(cells) + " |" + " |" * len(labels))

if __name__ == "__main__":
    main()
