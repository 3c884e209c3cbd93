"""The open project, shared by all pages of one browser session, and the folders the app may use.

The project a user opened outlives the browser session: a reload (which starts a new session)
or a server restart reopens it. It is remembered per user of this machine, in the data folder
(`last_project.json`), for the project the app was started with: `qualcode serve study.qcdb`
still opens study.qcdb on a new start, and a remembered project must still pass the folder
checks (qualcode/access.py) and exist, else the app opens what it was started with.
"""

from __future__ import annotations

import contextlib
import json
import os

import streamlit as st

from qualcode.access import Folders
from qualcode.errors import QualcodeError
from qualcode.files import atomic_path
from qualcode.project import Project
from qualcode.sample import data_dir, default_project, sample_project_path

MEMORY = "last_project.json"


@st.cache_resource(show_spinner="Opening the project…")
def _open(location: str) -> Project:
    return Project.open(location)


def project() -> Project:
    from qualcode.ui import team

    cfg = team.config()
    if cfg is not None:
        # Team mode: only the team's projects (qualcode/team/config.py), never a typed or remembered
        # path; a location forged into the session is refused (E533).
        try:
            location = team.project_location(cfg, st.session_state.get("project_location"))
        except QualcodeError:
            st.session_state.pop("project_location", None)  # said once; the next run opens the first one
            raise
        st.session_state["project_location"] = location
        return team.open_project(location, cfg.owners)
    location = st.session_state.get("project_location") or remembered() or str(default_project())
    st.session_state["project_location"] = location
    if st.session_state.get("project_remembered") != location:
        remember(location)
        st.session_state["project_remembered"] = location
    return _open(location)


def _start_project() -> str:
    return os.environ.get("QUALCODE_PROJECT") or str(sample_project_path())


def _started_with() -> str:
    return os.environ.get("QUALCODE_PROJECT") or ""


def remembered() -> str | None:
    """The project this user last had open, if the app was started the same way and the file is
    still there and inside the app's folders; else None."""
    try:
        data = json.loads((data_dir() / MEMORY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    location = data.get("location") if isinstance(data, dict) else None
    if not isinstance(location, str) or not location or data.get("started_with") != _started_with():
        return None
    try:
        real = Folders.for_app(os.environ.get("QUALCODE_PROJECT")).readable_file(location)
    except QualcodeError:
        return None
    return str(real) if real.is_file() else None


def remember(location: str) -> None:
    """Remember `location` as this user's open project (best effort: a read-only data folder
    only means a reload opens the start project again). The project the app started with needs
    no memory: then the file goes, so nothing is written for a user who never switched."""
    target = data_dir() / MEMORY
    if location == _start_project():
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            tmp.write_text(json.dumps({"started_with": _started_with(), "location": location}), encoding="utf-8")
    except OSError:
        pass


def coder() -> str:
    """Who acts in this session: the signed-in identity in team mode, else the sidebar's name.
    Actions call this, never the session state directly, so a forged `coder` changes nothing."""
    from qualcode.ui import team

    return team.coder()


def folders() -> Folders:
    """Where typed paths may point (qualcode/access.py): the data folder, the shipped codebooks,
    and the folders of the project the app started with and of this session's project."""
    return Folders.for_app(os.environ.get("QUALCODE_PROJECT"), st.session_state.get("project_location"))


def allowed_file(typed: str) -> str:
    """A path a user typed, resolved, if it lies inside the app's folders; else the page shows
    the numbered refusal (E970-E974) and stops, having read nothing."""
    from qualcode.retrieval import markdown_lines

    try:
        return str(folders().readable_file(typed))
    except QualcodeError as exc:
        st.error(markdown_lines(str(exc)))
        st.stop()
        raise  # st.stop() ends the script run; this line is never reached
