"""The negative control: the migration codebook over interviews that are not about migration.

    .venv/bin/python benchmarks/negative_control.py [--corpus ../shared/corpus] [--codebook ...]

The interviews in ../shared/corpus/ (UK academics on open research; Australian oral
histories) mention no internal migration in Kazakhstan, so every coding of a code that needs
a migration story is a false positive. Prints their rate per 10,000 respondent words and
each remaining one. tests/test_negative_control.py asserts the rate (issue 12: <= 3).
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
# Codes that need a migration story: why they left (push), what drew them (pull), whether
# they go back or stay, legal status at the destination, and the lacks (debt, renting,
# informal work, no education) that the typology reads as a migrant's weak resources.
# Education, skills, adaptation and gender codes can fairly fire on any life story.
MIGRATION_ONLY = ("push", "pull", "goal.return_south", "goal.stay_north", "legal", "resource_lack")
LIMIT = 3.0  # per 10,000 respondent words (issue 12)


def is_migration_only(code: str) -> bool:
    return any(code == c or code.startswith(c + ".") for c in MIGRATION_ONLY)


_LABEL = re.compile(r"^(I|R)\s{2,}(?:\S.*)?$")


def _labelled(raw: Path, out: Path) -> Path:
    """Braided Channels' `*-raw.txt` marks turns with a bare "I"/"R" and spaces, which the
    importer does not read as speaker labels (it keeps only a few turns): write the same
    words with "Interviewer:"/"Respondent:" labels to a temporary file. The text is not
    changed otherwise and the file is deleted with the temporary folder."""
    turns: list[list[str]] = []
    for line in raw.read_text(encoding="utf-8").splitlines():
        m = _LABEL.match(line)
        if m or (re.match(r"^(I|R)$", line.strip()) and line.startswith(("I", "R"))):
            turns.append(["Interviewer:" if line[0] == "I" else "Respondent:", line[1:].strip()])
        elif turns and line.strip():
            turns[-1].append(line.strip())
    text = "\n".join(" ".join(t) for t in turns if len(t) > 1 and any(t[1:])) + "\n"
    path = out / raw.name.replace("-raw", "")
    path.write_text(text, encoding="utf-8")
    return path


def corpus_files(corpus: Path, tmp: Path) -> list[Path]:
    files = sorted((corpus / "sheffield_open_qual").glob("*.docx"))
    files += [_labelled(p, tmp) for p in sorted((corpus / "braided_channels").glob("*-raw.txt"))]
    return files


def run(corpus: Path = CORPUS, codebook: Path = CODEBOOK) -> tuple[int, pd.DataFrame]:
    """Respondent words, and the migration-only rule codings, over the corpus."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "control.qcdb")
        report = project.import_files(corpus_files(corpus, Path(tmp)))
        assert report.ok, [r.message for r in report.failed]
        turns = project.turns()
        words = int(turns[turns["role"] == "respondent"]["text"].str.split().str.len().sum())
        project.autocode(codebook)
        codings = project.codings(origin="rule")
        project.close()
    return words, codings[codings["code"].map(is_migration_only)].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--codebook", type=Path, default=CODEBOOK)
    args = parser.parse_args()
    words, fp = run(args.corpus, args.codebook)
    rate = len(fp) / words * 10_000 if words else float("nan")
    print(f"{words} respondent words; {len(fp)} migration-only codings: {rate:.2f} per 10,000 words "
          f"(limit {LIMIT})")
    for code, n in Counter(fp["code"]).most_common():
        print(f"  {code}: {n}")
    for row in fp.itertuples():
        print(f"FP {row.code} [{row.rule}] {row.transcript}: {' '.join(str(row.text).split())[:160]!r}")


if __name__ == "__main__":
    main()
