"""The open project, shared by all pages of one browser session."""

from __future__ import annotations

import streamlit as st

from qualcode.project import Project
from qualcode.sample import default_project


@st.cache_resource(show_spinner="Opening the project…")
def _open(location: str) -> Project:
    return Project.open(location)


def project() -> Project:
    location = st.session_state.get("project_location") or str(default_project())
    st.session_state["project_location"] = location
    return _open(location)
