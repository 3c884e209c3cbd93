"""`qualcode audit`: who did what to a project, and when (qualcode.audit).

    qualcode audit PROJECT                               the log, newest first
    qualcode audit PROJECT --action coding.delete        who deleted codings
    qualcode audit PROJECT --actor aigerim --since 2026-12-01 --out audit.csv

Exit codes as for every command: 0 success, 1 a user error (a numbered message), 2 usage.
"""

from __future__ import annotations

import click

from qualcode.cli_common import OUT, _emit


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--actor", help="Only what this person did (a name as the log has it).")
@click.option("--action", help="Only this action (e.g. coding.delete, code.merge, recode) or family (coding, code).")
@click.option("--since", help="Only from this date or time on (ISO 8601, UTC unless it names a zone).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows (the newest).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default=None,
              help="Output format (default: table on the screen, csv with --out).")
@OUT
def audit(project: str, actor: str | None, action: str | None, since: str | None, limit: int | None,
          fmt: str | None, out: str | None) -> None:
    """List the audit log: who added, changed, reviewed, removed or restored codings, who
    renamed, merged or deleted codes, imported files or re-coded, and when (UTC).

    \b
    Who deleted my codings?   qualcode audit PROJECT --action coding.delete
    """
    from qualcode.project import Project

    with Project.open(project) as p:
        frame = p.audit(actor=actor, action=action, since=since, limit=limit)
    fmt = fmt or ("csv" if out else "table")
    frame = frame.assign(at=frame["at"].map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S") if fmt == "table"
                                            else t.isoformat()))
    if fmt == "table":
        frame = frame.drop(columns=["id"])
    _emit(frame, fmt, out)
