"""The bundled sample project: 24 synthetic interviews in `interviews/`, built on first use.

It lives in a per-user data folder so the repository stays clean and every user
gets a project they can code in: `$QUALCODE_DATA_DIR`, else `$XDG_DATA_HOME/qualcode`,
else `~/.local/share/qualcode` (on Windows `%LOCALAPPDATA%\\qualcode`).
"""

from __future__ import annotations

import os
from pathlib import Path

from qualcode.model import ImportReport
from qualcode.project import Project

REPO = Path(__file__).resolve().parent.parent
INTERVIEWS = REPO / "interviews"
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


def ensure_sample_project() -> Path:
    """The sample project's path, building it first if it does not exist yet."""
    path = sample_project_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".building")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        build_sample_project(tmp)
        tmp.replace(path)  # appear complete or not at all, even if the build is interrupted
    return path


def default_project() -> Path | str:
    """What the app opens: `$QUALCODE_PROJECT` if set, else the sample project."""
    return os.environ.get("QUALCODE_PROJECT") or ensure_sample_project()
