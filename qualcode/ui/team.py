"""Team mode in the browser: sign-in with Streamlit's `st.login`, the signed-in coder, and the
role checks every page and every action makes on the server.

Team mode is on when `qualcode serve --team CONFIG` started the app (it sets
$QUALCODE_TEAM_CONFIG for the server process; the secrets reach Streamlit through
`st.App(secrets=...)`, never the environment). Without it every function here lets everything
through and the app is the single-user one, unchanged.

- The coder is the signed-in identity (`qualcode.team.members.identity` of `st.user`): the
  sidebar's Coder field is not drawn, `?coder=` in the address is dropped, and what the session
  state says is overwritten on every run and never read by an action.
- The role is read from the project database at each check, so a member removed by an owner is
  refused at their next action, though their page is still open.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.project import Project
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.team import config as team_config
from qualcode.team import members, roles

CONFIG_ENV = "QUALCODE_TEAM_CONFIG"
# The least role each page needs before it draws anything (url_path -> action); others need "read".
PAGE_ACTIONS = {"members": "members"}


@st.cache_resource(show_spinner=False)
def _load(path: str) -> team_config.TeamConfig:
    return team_config.load(path)


def config() -> team_config.TeamConfig | None:
    """The team settings, or None in single-user mode."""
    path = os.environ.get(CONFIG_ENV)
    return _load(path) if path else None


def shown(location: str) -> str:
    """A project's location as the page may show it: never a database password."""
    return team_config.shown(location)


def active() -> bool:
    return bool(os.environ.get(CONFIG_ENV))


def signed_in() -> tuple[str, str] | None:
    """(subject, display name) of the signed-in user, or None. From Streamlit's signed identity
    cookie (st.user), which the browser cannot forge without the cookie secret."""
    user = st.user.to_dict()
    if not user.get("is_logged_in"):
        return None
    return members.identity(user)


def coder() -> str:
    """Who acts in this session: in team mode the signed-in subject (or "" when signed out),
    in single-user mode the name typed in the sidebar."""
    if not active():
        return (st.session_state.get("coder") or "").strip()
    who = signed_in()
    return who[0] if who else ""


def _owners_text(project: Project) -> str:
    return ", ".join(members.owners(project.engine)) or "none yet"


def refusal(project: Project, action: str) -> QualcodeError | None:
    """The numbered refusal (E525, E526, E532) if this session may not do `action` in `project`
    now; None if it may (always None in single-user mode)."""
    if not active():
        return None
    try:
        who = signed_in()
        if who is None:
            return QualcodeError("E532")
        role = members.role_of(project.engine, who[0])
        if not roles.allowed(role, action):  # the owners are looked up only to word a refusal
            roles.require(role, action, subject=who[0], project=project.name, owners=_owners_text(project))
    except QualcodeError as exc:
        return exc
    return None


def require(project: Project, action: str) -> None:
    """Raise the numbered refusal unless this session may do `action` (for handlers that already
    show a QualcodeError): called before any write."""
    refused = refusal(project, action)
    if refused is not None:
        raise refused


def guarded(project: Project, action: str, show: Callable[[str], Any] | None = None) -> bool:
    """True if this session may do `action`; else shows the refusal (st.error by default) and
    returns False. For inline button handlers."""
    refused = refusal(project, action)
    if refused is not None:
        (show or (lambda m: st.error(markdown_lines(m))))(str(refused))
        return False
    return True


def guard_page(project: Project, action: str = "read") -> None:
    """Stop the page with the refusal unless this session may do `action`."""
    refused = refusal(project, action)
    if refused is not None:
        st.error(markdown_lines(str(refused)))
        st.stop()


# --- the door: sign-in page, identity in the sidebar, the clear page for users without a role ----


def sign_in_page() -> None:
    """Stop the run with a sign-in page unless someone is signed in; else pin the coder to them."""
    who = None
    try:
        who = signed_in()
    except QualcodeError as exc:  # signed in, but the provider sent no usable identity
        st.title("qualcode")
        st.error(markdown_lines(str(exc)))
        st.button("Sign out", key="team_sign_out_bad", on_click=st.logout)
        st.stop()
    if who is None:
        st.title("qualcode")
        st.markdown("This is a team server: sign in with your institution's account to open its projects.")
        st.button("Sign in", key="team_sign_in", type="primary", on_click=st.login)
        st.stop()
    # A typed or forged name changes nothing: the session's coder is the identity, every run.
    st.session_state["coder"] = who[0]
    if "coder" in st.query_params:
        del st.query_params["coder"]


def sidebar(project: Project) -> str | None:
    """Who is signed in, with which role in this project, and the sign-out button; returns the role."""
    who = signed_in()
    assert who is not None  # sign_in_page ran first
    role = members.role_of(project.engine, who[0])
    if role is not None and st.session_state.get("team_named") != (project.location, who[0]):
        members.note_name(project.engine, who[0], who[1])  # once per session and project
        st.session_state["team_named"] = (project.location, who[0])
    shown = who[1] if who[1] == who[0] else f"{who[1]} ({who[0]})"
    st.sidebar.markdown(f"**Signed in:** {markdown_text(shown)}  \n**Role:** {role or 'none'}")
    st.sidebar.button("Sign out", key="team_sign_out", on_click=st.logout, icon=":material/logout:")
    return role


def no_role_page(project: Project) -> None:
    """The clear page for a signed-in user who is not a member of this project (no traceback)."""
    who = signed_in()
    assert who is not None
    st.title(project.name)
    st.warning(markdown_lines(str(QualcodeError("E525", subject=who[0], project=project.name,
                                                 owners=_owners_text(project)))))
    st.stop()


def choose_project(cfg: team_config.TeamConfig) -> None:
    """In the sidebar: which of the team's projects this session works in (never a typed path)."""
    known = cfg.projects()
    if len(known) < 2:
        return
    current = st.session_state.get("project_location")
    index = known.index(current) if current in known else 0

    def switch() -> None:
        st.session_state["project_location"] = st.session_state["team_project"]

    st.sidebar.selectbox("Project", known, index=index, key="team_project", on_change=switch,
                         format_func=lambda loc: loc.rsplit("/", 1)[-1])


def project_location(cfg: team_config.TeamConfig, wanted: str | None) -> str:
    """`wanted` if it is one of the team's projects; the first one if nothing was chosen; E533 else."""
    known = cfg.projects()
    if not known:
        raise QualcodeError("E534", path=cfg.path, folder=str(cfg.folder))
    if not wanted:
        return known[0]
    if wanted not in known:
        raise QualcodeError("E533", value=team_config.shown(wanted), known=", ".join(map(team_config.shown, known)))
    return wanted


@st.cache_resource(show_spinner="Opening the project…")
def open_project(location: str, owners: tuple[str, ...]) -> Project:
    """The project, opened once per server; the settings file's owners become its owners if it has none."""
    project = Project.open(location)
    members.seed_owners(project.engine, owners)
    return project
