"""Who may work in a project, and with which role: the `members` table (migration 0006).

A member is known by their *subject*: the e-mail address the OpenID provider vouches for,
lower-cased (so the first owners can be named in the settings file before anyone signs in), or
the provider's `sub` when it sends no verified e-mail. Every change is one transaction that also
writes a row to `audit_log` (actor, action, target, detail), and no change may leave a project
without an owner (E529).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from qualcode.errors import QualcodeError
from qualcode.store.schema import audit_log, members
from qualcode.team.roles import check_role

MAX_SUBJECT = 320  # the longest e-mail address (RFC 3696 errata), and the column's width
CONFIG_ACTOR = "config"  # who added the first owners named in the settings file


def normal_subject(value: object) -> str:
    """`value` as a member identity: stripped, lower-cased; E531 if empty, too long or multi-line."""
    if not isinstance(value, str):
        raise QualcodeError("E531", value=value, reason="it is not a text")
    text = value.strip().lower()
    if not text:
        raise QualcodeError("E531", value=value, reason="it is empty")
    if len(text) > MAX_SUBJECT:
        raise QualcodeError("E531", value=value[:40] + "…", reason=f"it is over {MAX_SUBJECT} characters")
    if any(c.isspace() for c in text):
        raise QualcodeError("E531", value=value, reason="it contains spaces or line breaks")
    return text


def identity(user: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, display name) of a signed-in user, from the provider's claims (`st.user`).

    The e-mail counts only if the provider did not say it is unverified; otherwise the `sub`."""
    email = user.get("email")
    if isinstance(email, str) and email.strip() and user.get("email_verified") is not False:
        subject = normal_subject(email)
    elif isinstance(user.get("sub"), str) and user["sub"].strip():
        subject = normal_subject(user["sub"])
    else:
        raise QualcodeError("E532")
    name = user.get("name")
    return subject, (name.strip() if isinstance(name, str) and name.strip() else subject)


def _now() -> datetime:
    return datetime.now(UTC)


def record(conn: Connection, actor: str, action: str, target_kind: str, target: str, detail: dict) -> None:
    """One audit row, in the caller's transaction (so the change and its record stand or fall together)."""
    conn.execute(insert(audit_log).values(at=_now(), actor=actor, action=action, target_kind=target_kind,
                                          target=target, detail=json.dumps(detail, ensure_ascii=False,
                                                                           sort_keys=True)))


def role_of(engine: Engine, subject: str) -> str | None:
    """The member's role now (read from the database on every call: no cache to outlive a removal)."""
    with engine.connect() as conn:
        return conn.execute(select(members.c.role).where(members.c.subject == subject)).scalar()


def note_name(engine: Engine, subject: str, name: str) -> None:
    """Keep the name the provider gives a member who has none yet (shown on the Members page)."""
    if not name or name == subject:
        return
    with engine.begin() as conn:
        conn.execute(update(members).where(members.c.subject == subject, members.c.display_name.is_(None))
                     .values(display_name=name[:200]))


def listing(engine: Engine) -> list[dict[str, Any]]:
    """Every member: subject, display_name, role, added_at, added_by; owners first."""
    with engine.connect() as conn:
        rows = conn.execute(select(members).order_by(members.c.subject)).mappings().all()
    order = {"owner": 0, "coder": 1, "viewer": 2}
    return sorted((dict(r) for r in rows), key=lambda r: (order.get(r["role"], 3), r["subject"]))


def owners(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(members.c.subject).where(members.c.role == "owner")
                                 .order_by(members.c.subject)).scalars())


def _owner_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(members).where(members.c.role == "owner")).scalar_one()


def set_member(engine: Engine, subject: str, role: str, *, actor: str, project: str = "",
               display_name: str | None = None) -> str:
    """Add `subject` with `role`, or change their role; returns "added", "changed" or "unchanged".

    Refuses (E529) to demote the last owner."""
    subject = normal_subject(subject)
    role = check_role(role)
    with engine.begin() as conn:
        old = conn.execute(select(members.c.role).where(members.c.subject == subject)).scalar()
        if old == role:
            return "unchanged"
        if old is None:
            conn.execute(insert(members).values(subject=subject, display_name=display_name, role=role,
                                                added_at=_now(), added_by=actor))
            record(conn, actor, "member.add", "member", subject, {"role": role})
            return "added"
        if old == "owner" and _owner_count(conn) <= 1:
            raise QualcodeError("E529", subject=subject, project=project, what=f"making them {role}")
        conn.execute(update(members).where(members.c.subject == subject).values(role=role))
        record(conn, actor, "member.role", "member", subject, {"from": old, "to": role})
        return "changed"


def remove_member(engine: Engine, subject: str, *, actor: str, project: str = "") -> None:
    """Take `subject` out of the project (E530 if not a member, E529 if the last owner)."""
    subject = normal_subject(subject)
    with engine.begin() as conn:
        old = conn.execute(select(members.c.role).where(members.c.subject == subject)).scalar()
        if old is None:
            known = conn.execute(select(members.c.subject).order_by(members.c.subject)).scalars().all()
            raise QualcodeError("E530", subject=subject, project=project, known=", ".join(known) or "none")
        if old == "owner" and _owner_count(conn) <= 1:
            raise QualcodeError("E529", subject=subject, project=project, what="removing them")
        conn.execute(delete(members).where(members.c.subject == subject))
        record(conn, actor, "member.remove", "member", subject, {"role": old})


def seed_owners(engine: Engine, subjects: Iterable[str]) -> list[str]:
    """Make the settings file's owners owners of a project that has no owner yet (a new project, or
    one from single-user mode); returns who was added. A project that has an owner is left alone:
    its owners manage it from the Members page from then on."""
    wanted = [normal_subject(s) for s in subjects]
    added: list[str] = []
    with engine.begin() as conn:
        if _owner_count(conn):
            return added
        for subject in wanted:
            old = conn.execute(select(members.c.role).where(members.c.subject == subject)).scalar()
            if old is None:
                conn.execute(insert(members).values(subject=subject, display_name=None, role="owner",
                                                    added_at=_now(), added_by=CONFIG_ACTOR))
            else:
                conn.execute(update(members).where(members.c.subject == subject).values(role="owner"))
            record(conn, CONFIG_ACTOR, "member.add" if old is None else "member.role", "member", subject,
                   {"role": "owner", "from": old, "why": "named in the team settings file"})
            added.append(subject)
    return added
