"""The bundled sample project: 24 synthetic interviews in `interviews/`, built on first use.

A newcomer should be able to code at once, so the sample the app opens is ready to work in: the
shipped codebook's codes are in it and its rules have run, their codings waiting as suggestions
on the Review page (nothing accepted on the user's behalf). `build_sample_project` alone gives the
bare transcripts (what the tests start from).

It lives in a per-user data folder so the repository stays clean and every user
gets a project they can code in: `$QUALCODE_DATA_DIR`, else `$XDG_DATA_HOME/qualcode`,
else `~/.local/share/qualcode` (on Windows `%LOCALAPPDATA%\\qualcode`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from qualcode.model import ImportReport
from qualcode.project import Project

REPO = Path(__file__).resolve().parent.parent
INTERVIEWS = REPO / "interviews"
CODEBOOK = REPO / "codebooks" / "migration.yaml"
SAMPLE_NAME = "sample.qcdb"


def data_dir() -> Path:
    if os.environ.get("QUALCODE_DATA_DIR"):
        return Path(os.environ["QUALCODE_DATA_DIR"]).expanduser()
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "qualcode"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qualcode"


def sample_project_path() -> Path:
    return data_dir() / SAMPLE_NAME


def build_sample_project(path: str | Path, interviews: Path = INTERVIEWS) -> ImportReport:
    """Create a project at `path` from the bundled interviews and their cases table."""
    files = sorted(p for p in interviews.iterdir() if p.is_file())
    with Project.create(path, name="Sample: internal migration in Kazakhstan (synthetic)") as project:
        return project.import_files(files)


def prepare_sample(path: str | Path, codebook: Path = CODEBOOK) -> bool:
    """Make a sample project ready to code: the codebook's codes, and its rule codings as
    suggestions to review. Only a sample nobody has coded yet (no codes, no codings, no run) is
    touched, so a user's own work is never redone; returns whether it was prepared."""
    with Project.open(path) as project:
        if not project.codes().empty or not project.runs().empty or not project.codings().empty:
            return False
        project.load_codes(codebook)
        project.autocode(codebook, accept=False)
    return True


def ensure_sample_project() -> Path:
    """The sample project's path, building it first if it does not exist yet, ready to code."""
    path = sample_project_path()
    ready = path.with_name(SAMPLE_NAME + ".ready")  # prepared (see prepare_sample): no need to look again
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".building")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        build_sample_project(tmp)
        prepare_sample(tmp)
        tmp.replace(path)  # appear complete or not at all, even if the build is interrupted
    elif not ready.exists():
        # A sample built by an older qualcode has no codes: prepare it once (if still untouched).
        prepare_sample(path)
    with contextlib.suppress(OSError):  # without the mark, the next start checks again: no harm
        ready.touch()
    return path


def default_project() -> Path | str:
    """What the app opens: `$QUALCODE_PROJECT` if set, else the sample project."""
    return os.environ.get("QUALCODE_PROJECT") or ensure_sample_project()
