"""The app's frame: page navigation and the sidebar."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui.gate import HostRule, hostname

if TYPE_CHECKING:
    from qualcode.project import Project

VIEWS = Path(__file__).parent / "views"


def foreign_host() -> str | None:
    """The Host this session's browser named, if it is not this machine (DNS rebinding).

    `qualcode serve` refuses such requests before Streamlit sees them (qualcode/ui/gate.py); this
    covers `streamlit run app.py`, which has no gate. Without a Host (AppTest) there is nothing
    to check."""
    host = st.context.headers.get("Host")
    if not host:
        return None
    rule = HostRule(os.environ.get("QUALCODE_ADDRESS") or st.get_option("server.address") or "",
                    os.environ.get("QUALCODE_ALLOWED_HOSTS", "").split(","))
    return None if rule.allows(hostname(host)) else host


def run() -> None:
    st.set_page_config(page_title="qualcode", layout="wide")
    foreign = foreign_host()
    if foreign:
        st.error(markdown_lines(str(QualcodeError("E978", host=foreign, allowed="localhost, 127.0.0.1, [::1]"))))
        st.stop()
    from qualcode.sample import sample_project_path
    from qualcode.ui import state, team

    if team.active():  # `qualcode serve --team`: sign-in first, the coder is who signed in
        team.sign_in_page()
        team.choose_project(team.config())
    try:
        if not team.active() and not st.session_state.get("project_location") \
                and not os.environ.get("QUALCODE_PROJECT") and not sample_project_path().exists():
            with st.status("First run: building the sample project from interviews/ and suggesting codings "
                           "with codebooks/migration.yaml …", expanded=True):
                project = state.project()
        else:
            project = state.project()
    except QualcodeError as exc:
        _stop_with(exc)
    try:
        _draw(project)
    except QualcodeError as exc:  # a page's read found the database away (E110/E113) or another refusal
        _stop_with(exc)


def _stop_with(exc: QualcodeError) -> None:
    """The numbered message instead of a traceback, and a button that runs the page again: a
    PostgreSQL server away mid-session (E110 after waiting, E113) is back on a later try."""
    st.error(markdown_lines(str(exc)))
    st.button("Try again", key="shell_try_again", type="primary")  # a click reruns the script
    st.stop()


def _draw(project: Project) -> None:
    from qualcode.ui import team

    # User text is text (issue 18.7): names and paths are escaped wherever Streamlit reads Markdown.
    st.sidebar.markdown(f"**Project:** {markdown_text(project.name)}")
    st.sidebar.caption(markdown_text(team.shown(project.location)))
    if team.active():
        if team.sidebar(project) is None:
            team.no_role_page(project)
    else:
        _coder_field()
    # The order of the work (issue 15.7): bring in, code, check, find, then analyse and hand over.
    pages = [
        st.Page(str(VIEWS / "project.py"), title="Project", icon=":material/folder_open:", url_path="project"),
        st.Page(str(VIEWS / "transcripts.py"), title="Transcripts", icon=":material/description:",
                url_path="transcripts", default=True),
        st.Page(str(VIEWS / "code.py"), title="Code", icon=":material/edit_note:", url_path="code"),
        st.Page(str(VIEWS / "autocode.py"), title="Auto-code", icon=":material/rule:", url_path="autocode"),
        st.Page(str(VIEWS / "review.py"), title="Review", icon=":material/fact_check:", url_path="review"),
        st.Page(str(VIEWS / "retrieve.py"), title="Retrieve", icon=":material/manage_search:", url_path="retrieve"),
        st.Page(str(VIEWS / "memos.py"), title="Memos", icon=":material/sticky_note_2:", url_path="memos"),
        st.Page(str(VIEWS / "analyze.py"), title="Analyze", icon=":material/analytics:", url_path="analyze"),
        st.Page(str(VIEWS / "typology.py"), title="Typology", icon=":material/hub:", url_path="typology"),
        st.Page(str(VIEWS / "agreement.py"), title="Agreement", icon=":material/group:", url_path="agreement"),
        st.Page(str(VIEWS / "export.py"), title="Export", icon=":material/download:", url_path="export"),
        st.Page(str(VIEWS / "codebook.py"), title="Codebook", icon=":material/account_tree:", url_path="codebook"),
        st.Page(str(VIEWS / "audit.py"), title="Audit log", icon=":material/history:", url_path="audit"),
    ]
    if team.active():
        pages.append(st.Page(str(VIEWS / "members.py"), title="Members", icon=":material/badge:",
                             url_path="members"))
    page = st.navigation(pages, expanded=True)  # every page listed: none hidden behind "View more"
    # Every page checks the role on the server before it draws (qualcode/ui/team.py), not by hiding links.
    team.guard_page(project, team.PAGE_ACTIONS.get(page.url_path, "read"))
    page.run()


def _coder_field() -> None:
    """Single-user mode: the coder is a name typed in the sidebar. It rides in the URL
    (?coder=NAME), so a reload or a bookmark keeps it: session state alone is lost when the
    browser reconnects."""
    if not st.session_state.get("coder") and st.query_params.get("coder"):
        st.session_state["coder"] = st.query_params["coder"]
    st.sidebar.text_input("Coder", key="coder", placeholder="your name",
                          help="Stored with every coding you make, accept or reject in this browser.")
    coder = (st.session_state.get("coder") or "").strip()
    if coder and st.query_params.get("coder") != coder:
        st.query_params["coder"] = coder
    elif not coder and "coder" in st.query_params:
        del st.query_params["coder"]
