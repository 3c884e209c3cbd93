"""Members page (team mode, owners only): who may work in this project and with which role.

Roles: owner (codebook, imports, deleting, members), coder (code, memo, review), viewer (read,
retrieve, analyse, export); each includes the ones after it. Every change is checked on the
server (the owner's role is read again before it is written), stored in one transaction with
its audit-log row, and takes effect at the member's next action, even in a page already open.
"""

import pandas as pd
import streamlit as st
from sqlalchemy import select

from qualcode.errors import QualcodeError
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.store.schema import audit_log
from qualcode.team import members
from qualcode.team.roles import ROLES
from qualcode.ui import state, team

project = state.project()
team.guard_page(project, "members")
st.title("Members")
st.caption(f"Who may work in **{markdown_text(project.name)}**. An owner manages the codebook, imports and "
           "members; a coder codes, writes memos and reviews; a viewer reads, retrieves, analyses and exports. "
           "People are named by the e-mail address they sign in with.")

flash = st.session_state.pop("members_flash", None)
if flash:
    getattr(st, flash[0])(markdown_lines(flash[1]))


def change(kind: str) -> None:
    """Add, change or remove a member (a button's callback): the role check comes first."""
    s = st.session_state
    try:
        team.require(project, "members")
        if kind == "add":
            subject = s.get("members_new_subject", "")
            result = members.set_member(project.engine, subject, s["members_new_role"], actor=state.coder(),
                                        project=project.name, display_name=None)
            message = {"added": f"Added {subject.strip().lower()} as {s['members_new_role']}.",
                       "changed": f"{subject.strip().lower()} is now {s['members_new_role']}.",
                       "unchanged": f"{subject.strip().lower()} was already {s['members_new_role']}."}[result]
            s["members_new_subject"] = ""
        elif kind == "role":
            subject = s["members_pick"]
            role = s[f"members_role_{subject}"]
            result = members.set_member(project.engine, subject, role, actor=state.coder(), project=project.name)
            message = f"{subject} is now {role}." if result != "unchanged" else "Nothing changed."
        else:
            subject = s["members_pick"]
            members.remove_member(project.engine, subject, actor=state.coder(), project=project.name)
            message = f"Removed {subject}: their next action in an open page is refused."
    except QualcodeError as exc:
        s["members_flash"] = ("error", str(exc))
        return
    s["members_flash"] = ("success", message)


rows = members.listing(project.engine)
st.dataframe(pd.DataFrame(rows, columns=["subject", "display_name", "role", "added_at", "added_by"]),
             hide_index=True, width="stretch", key="members_table", placeholder="—")

st.subheader("Add a member")
with st.form("members_add", clear_on_submit=False, border=False):
    left, right = st.columns([3, 1])
    left.text_input("E-mail address (as they sign in)", key="members_new_subject", placeholder="name@example.org")
    right.selectbox("Role", ROLES, index=1, key="members_new_role")
    st.form_submit_button("Add", type="primary", key="members_add_button", on_click=change, args=("add",))

if rows:
    st.subheader("Change a role, or remove a member")
    left, right = st.columns([3, 1])
    picked = left.selectbox("Member", [r["subject"] for r in rows], key="members_pick")
    current = next(r["role"] for r in rows if r["subject"] == picked)
    right.selectbox("Role", ROLES, index=ROLES.index(current) if current in ROLES else 0, key=f"members_role_{picked}")
    a, b = st.columns(2)
    a.button("Change role", key="members_role_button", on_click=change, args=("role",))
    b.button("Remove from the project", key="members_remove_button", on_click=change, args=("remove",))

st.subheader("Membership changes")
with project.engine.connect() as conn:
    log = conn.execute(select(audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.target,
                              audit_log.c.detail).where(audit_log.c.action.like("member.%"))
                       .order_by(audit_log.c.id.desc()).limit(50)).mappings().all()
st.dataframe(pd.DataFrame([dict(r) for r in log], columns=["at", "actor", "action", "target", "detail"]),
             hide_index=True, width="stretch", key="members_log")
