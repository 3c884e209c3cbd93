"""Errors of opening and storing a project: the project file or URL (E101-E106), PostgreSQL
servers and `qualcode copy` (E110-E129).
"""

from __future__ import annotations


class StoreTemplates:
    # Project and store (E1xx)
    E101 = "Project '{path}' does not exist. Create it with `qualcode init {path}`."
    E102 = "Project '{path}' already exists. Open it instead, or choose another file name."
    E103 = (
        "'{path}' is not a qualcode project: {reason}. "
        "A project is a file made by `qualcode init` (or any SQLAlchemy URL to such a database)."
    )
    E104 = (
        "Project '{path}' was written by a newer qualcode (schema revision '{found}'; this version knows "
        "up to '{known}'). Upgrade qualcode to open it."
    )
    E105 = "No transcript named '{name}' in the project. Known transcripts: {known}."
    E106 = "Project '{path}' could not be opened: {reason}."

    # PostgreSQL projects and `qualcode copy` (E110-E129). URLs are shown without their password.
    E110 = (
        "Project '{url}': no PostgreSQL server answered at {where} ({reason}; attempts: {tries}). Check the "
        "host and port in the URL, and that the server runs (`pg_isready -h HOST -p PORT`). Nothing was changed."
    )
    E111 = (
        "Project '{url}': PostgreSQL refused user '{user}' ({reason}). Check the user name and password "
        "(in the URL, $PGPASSWORD or ~/.pgpass) and the server's pg_hba.conf. The password is not shown."
    )
    E112 = (
        "Project '{url}': the server at {where} has no database '{database}'. Create it first "
        "(`createdb {database}` or CREATE DATABASE {database}), then `qualcode init` the URL."
    )
    E113 = (
        "Project '{url}': the connection to PostgreSQL at {where} was lost during this action ({reason}). "
        "PostgreSQL undoes an unfinished transaction, so nothing of this action was stored; do it again "
        "when the server is back (qualcode reconnects by itself, waiting for the server)."
    )
    E114 = (
        "Project '{url}': this change collided with another coder's change at the same moment ({reason}); "
        "PostgreSQL undid it, so nothing of it was stored. Do it again."
    )
    E115 = (
        "Cannot copy to '{dst}': it already holds a qualcode project or other tables ({found}). "
        "Copy into a new, empty file or database (`createdb NAME` for PostgreSQL)."
    )
    E116 = "Cannot copy '{src}' onto itself: give another destination."
    E117 = (
        "Copy of '{src}' to '{dst}' is not exact: table {table} has {got} rows there, {want} here. "
        "Nothing was written to the destination, and the source is unchanged."
    )
