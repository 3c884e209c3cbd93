"""Roles per project, and the one check every action goes through: `require(role, action)`.

The roles nest: an owner may do all a coder may, a coder all a viewer may.

- viewer: read, retrieve, analyse, export;
- coder: and code, memo, review (and ask the model for suggestions);
- owner: and the codebook, auto-coding, imports, case attributes, deleting, members.
"""

from __future__ import annotations

from qualcode.errors import QualcodeError

ROLES = ("viewer", "coder", "owner")
RANK = {role: i for i, role in enumerate(ROLES)}

# action -> the least role that may do it (the words are the ones the refusal shows)
ACTIONS: dict[str, str] = {
    "read": "viewer",
    "retrieve": "viewer",
    "analyse": "viewer",
    "export": "viewer",
    "code": "coder",
    "memo": "coder",
    "review": "coder",
    "suggest": "coder",
    "codebook": "owner",
    "autocode": "owner",
    "import": "owner",
    "attributes": "owner",
    "delete": "owner",
    "members": "owner",
}


def check_role(value: object) -> str:
    """`value` if it is a role; E527 if not."""
    if value not in RANK:
        raise QualcodeError("E527", value=value, known=", ".join(ROLES))
    return str(value)


def needed(action: str) -> str:
    """The least role that may do `action`; E528 for an action no one declared."""
    if action not in ACTIONS:
        raise QualcodeError("E528", value=action, known=", ".join(ACTIONS))
    return ACTIONS[action]


def allowed(role: str | None, action: str) -> bool:
    """Whether `role` (None: no role at all) may do `action`."""
    least = needed(action)
    return role is not None and RANK.get(role, -1) >= RANK[least]


def require(role: str | None, action: str, *, subject: str = "this user", project: str = "",
            owners: str = "") -> None:
    """Raise E525 (no role) or E526 (too low a role) unless `role` may do `action`.

    Called by every action handler of the team server before it writes, with the role read from
    the project database at that moment (so a member removed a second ago is refused)."""
    if role is None:
        raise QualcodeError("E525", subject=subject, project=project, owners=owners or "the owners")
    if not allowed(role, action):
        raise QualcodeError("E526", action=action, needed=needed(action), subject=subject, role=role,
                            project=project, owners=owners or "the owners")
