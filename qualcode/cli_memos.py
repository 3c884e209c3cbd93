"""`qualcode memos` (list and export memos) and `qualcode memo add|edit|delete|restore`.

    qualcode memos PROJECT [--target transcript:kz01] [--author NAME] [--search WORDS] [--out memos.md|csv|docx]
    qualcode memo add PROJECT --target code:push.housing --text "..." [--title T] [--author NAME]
    qualcode memo edit PROJECT ID [--text "..."] [--title T]
    qualcode memo delete PROJECT ID        (kept until `qualcode memo restore PROJECT ID`)

A target is `project`, `transcript:NAME`, `case:NAME`, `code:ID` or `coding:ID` (qualcode.memos).
Exit codes as for every command: 0 success, 1 a user error (a numbered message), 2 usage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from qualcode.cli_common import RAW, _raw, _table

if TYPE_CHECKING:
    import pandas as pd

TARGET_HELP = ("What the memo is about: project, transcript:NAME, case:NAME, code:ID or coding:ID "
               "(a kind alone, e.g. transcript, lists every memo of that kind).")
BY = click.option("--by", help="Who does this, for the project's audit log (default: your system account).")
SHOWN = ["id", "target_type", "target", "author", "title", "text"]


def _short(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    shown = frame[SHOWN].copy()
    shown["id"] = shown["id"].map(lambda v: "" if pd.isna(v) else str(v))  # inline memos have no memo id
    shown["text"] = shown["text"].map(lambda t: t if len(t) <= 60 else t[:59] + "…").str.replace("\n", " ")
    return shown.fillna("")


@click.command(name="memos")
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--target", help=TARGET_HELP)
@click.option("--author", help="Only memos by this author (ignoring case).")
@click.option("--search", help="Only memos whose title or text contains these words (ignoring case).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write them to a file: .md, .csv or .docx.")
@click.option("--deleted", is_flag=True, help="List the deleted memos (to restore one) instead.")
@RAW
def memos(project: str, target: str | None, author: str | None, search: str | None, out: str | None,
          deleted: bool) -> None:
    """List memos, or write them to a Markdown, CSV or Word file.

    \b
    qualcode memos study.qcdb
    qualcode memos study.qcdb --target transcript:kz01 --search housing
    qualcode memos study.qcdb --author aigerim --out memos.docx
    """
    from qualcode import memos as memo_rules
    from qualcode.exchange import memo_files
    from qualcode.project import Project

    kind, value = (None, None)
    if target:
        kind, _, rest = target.partition(":")
        kind, value = memo_rules.parse_target(target) if rest.strip() else (kind.strip().casefold(), None)
    if out:
        memo_files.memo_format(out)  # a wrong extension is refused before the project is read
    with Project.open(project) as p:
        frame = p.memos(kind, value, author=author, search=search, deleted=deleted)
        name = p.name
    if out:
        memo_files.write(frame, out, title=f"Memos of {name}", raw=_raw())
        click.echo(f"Wrote {len(frame)} memo(s) to {out}.", err=True)
    elif frame.empty:
        click.echo("No memos" + (" match." if target or author or search else "."))
    else:
        click.echo(_table(_short(frame), width=60), nl=False)


@click.group(name="memo")
def memo() -> None:
    """Add, edit, delete or restore one memo.

    \b
    qualcode memo add study.qcdb --target transcript:kz01 --text "Housing is the thread here."
    qualcode memo edit study.qcdb 3 --text "Housing, and debt."
    qualcode memo delete study.qcdb 3
    qualcode memo restore study.qcdb 3
    """


@memo.command(name="add")
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--target", required=True, help=TARGET_HELP)
@click.option("--text", required=True, help="The memo.")
@click.option("--title", help="A short title.")
@click.option("--author", help="Who wrote it.")
def add(project: str, target: str, text: str, title: str | None, author: str | None) -> None:
    """Write a memo on the project, a transcript, case, code or coding."""
    from qualcode import memos as memo_rules
    from qualcode.project import Project

    kind, value = memo_rules.parse_target(target)
    with Project.open(project) as p:
        memo_id = p.add_memo(kind, value, text, author=author, title=title)
    click.echo(f"Memo {memo_id} added to {target}.")


@memo.command(name="edit")
@click.argument("project", type=click.Path(dir_okay=False))
@click.argument("memo_id", type=int)
@click.option("--text", help="The new text.")
@click.option("--title", help="The new title (\"\" removes it).")
@BY
def edit(project: str, memo_id: int, text: str | None, title: str | None, by: str | None) -> None:
    """Change a memo's text or title (the audit log keeps the text it had)."""
    from qualcode.project import Project

    if text is None and title is None:
        raise click.UsageError("Give --text, --title or both.")
    with Project.open(project) as p:
        p.edit_memo(memo_id, text=text, title=title, actor=by)
    click.echo(f"Memo {memo_id} changed.")


@memo.command(name="delete")
@click.argument("project", type=click.Path(dir_okay=False))
@click.argument("memo_id", type=int)
@BY
def delete(project: str, memo_id: int, by: str | None) -> None:
    """Delete a memo (it is kept: `qualcode memo restore` brings it back)."""
    from qualcode.project import Project

    with Project.open(project) as p:
        p.delete_memo(memo_id, actor=by)
    click.echo(f"Memo {memo_id} deleted. Undo: qualcode memo restore {project} {memo_id}")


@memo.command(name="restore")
@click.argument("project", type=click.Path(dir_okay=False))
@click.argument("memo_id", type=int)
@BY
def restore(project: str, memo_id: int, by: str | None) -> None:
    """Bring back a deleted memo."""
    from qualcode.project import Project

    with Project.open(project) as p:
        p.restore_memo(memo_id, actor=by)
    click.echo(f"Memo {memo_id} restored.")
