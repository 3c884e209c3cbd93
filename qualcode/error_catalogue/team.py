"""Errors of working as a team (E520-E569): team mode's config file, sign-in, roles and members,
and working at the same time (the audit log and edit conflicts).
"""

from __future__ import annotations


class TeamTemplates:
    # Team mode: its config file, sign-in, roles and members (E520-E549)
    E520 = "Team config '{path}' cannot be read: {reason}. Fix: give the path of the team settings file (TOML)."
    E521 = "Team config '{path}', line {line}: not valid TOML ({reason}). Fix: correct that line."
    E522 = (
        "Team config '{path}': [{section}] {key} is missing{why}. Fix: add it, e.g. {example} "
        "(the README's \"Team server\" section shows a whole file)."
    )
    E523 = "Team config '{path}': [{section}] {key} = {value!r} is not right: {expected}."
    E524 = (
        "Team config '{path}': [projects] names {found}. Fix: give exactly one of `folder` (every .qcdb file in "
        "it is a project) or `database` (one URL, or a list of URLs)."
    )
    E525 = (
        "You are signed in as {subject}, but you have no role in project '{project}'. Nothing of it is shown. "
        "Fix: ask an owner of the project ({owners}) to add you on the Members page."
    )
    E526 = (
        "Refused: {action} needs the role {needed} or higher, and {subject} is {role} in project '{project}'. "
        "Nothing was changed. Fix: ask an owner ({owners}) for the role."
    )
    E527 = "Unknown role {value!r}. Use one of: {known}."
    E528 = "Unknown action {value!r} (a programming error). Known actions: {known}."
    E529 = (
        "Refused: {subject} is the last owner of project '{project}'; {what} would leave no one to manage it. "
        "Fix: make another member owner first."
    )
    E530 = "No member {subject!r} in project '{project}'. Members: {known}."
    E531 = (
        "{value!r} is not a usable member identity: {reason}. Fix: give the e-mail address the person signs in "
        "with (or the provider's subject id)."
    )
    E532 = (
        "The sign-in gave no identity (neither a verified e-mail nor a subject id). Fix: configure the OpenID "
        "provider to send the `email` (or at least `sub`) claim, then sign in again."
    )
    E533 = (
        "'{value}' is not one of the team's projects. In team mode only these can be opened: {known}. "
        "Fix: choose one of them (an administrator adds projects in the configured folder or database)."
    )
    E534 = (
        "Team config '{path}': the folder {folder!r} has no project (.qcdb) files, and no database is named. "
        "Fix: create one there with `qualcode init {folder}/study.qcdb`, or name a database."
    )

    # Working at the same time: the audit log and edit conflicts (E550-E569)
    E550 = (
        "Not saved: the codebook changed since you loaded it (your version {expected}, now {found}){by}. "
        "Your {what} was not written, so nothing of theirs was overwritten. Fix: reload (the page, or "
        "`Project.codebook_version()`), look at their change, and make yours again if it still applies."
    )
    E551 = "Unknown audit action '{value}'. Use one of: {known} (or a family: coding, code, import, member)."
    E552 = (
        "'{value}' is not a date or time for `since`. Write it as ISO 8601, e.g. 2026-12-07 or "
        "2026-12-07T14:30 (UTC unless it names a zone, e.g. 2026-12-07T14:30+06:00)."
    )
    E553 = "No one named '{name}' in the audit log. Actors in the log: {known}."
    E554 = (
        "{file}: not saved: the codebook file changed since you opened it here (someone else saved it at "
        "{when}). Nothing was overwritten. Fix: copy your edit, reload the file, and apply it again."
    )
    E555 = (
        "Not undone: '{label}': coding {coding} was changed in another session since (now: {now}); undoing "
        "would overwrite that change. Nothing was changed, and your action stays as it is."
    )
