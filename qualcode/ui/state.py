"""The open project, shared by all pages of one browser session, and the folders the app may use."""

from __future__ import annotations

import os

import streamlit as st

from qualcode.access import Folders
from qualcode.project import Project
from qualcode.sample import default_project


@st.cache_resource(show_spinner="Opening the project…")
def _open(location: str) -> Project:
    return Project.open(location)


def project() -> Project:
    location = st.session_state.get("project_location") or str(default_project())
    st.session_state["project_location"] = location
    return _open(location)


def folders() -> Folders:
    """Where typed paths may point (qualcode/access.py): the data folder, the shipped codebooks,
    and the folders of the project the app started with and of this session's project."""
    return Folders.for_app(os.environ.get("QUALCODE_PROJECT"), st.session_state.get("project_location"))
