"""The app's frame: page navigation and the sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from qualcode.errors import QualcodeError

VIEWS = Path(__file__).parent / "views"


def run() -> None:
    st.set_page_config(page_title="qualcode", layout="wide")
    from qualcode.ui import state

    try:
        project = state.project()
    except QualcodeError as exc:
        st.error(str(exc))
        st.stop()
    st.sidebar.markdown(f"**Project:** {project.name}")
    st.sidebar.caption(project.location)
    pages = [st.Page(str(VIEWS / "transcripts.py"), title="Transcripts", icon=":material/description:",
                     url_path="transcripts", default=True)]
    st.navigation(pages).run()
