"""`qualcode init`, `import`, `transcripts`, `turns`, `cases`, `import-log` and `runs`: a project's
contents in and out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qualcode.cli_common import (
    FORMAT,
    OUT,
    _emit,
    _progress_bar,
)

if TYPE_CHECKING:
    from qualcode.ingest import TableOptions
    from qualcode.project import Project


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--name", help="A title for the project (default: the file name).")
def init(project: str, name: str | None) -> None:
    """Create a new, empty PROJECT file."""
    from qualcode.project import Project
    from qualcode.store.database import shown

    with Project.create(project, name=name) as p:
        click.echo(f"Created project '{p.name}' in {shown(project)} (schema {p.schema_revision}).")


def _table_options(layout: str, speaker_column: str | None, text_column: str | None, time_column: str | None,
                   transcript_column: str | None, id_column: str | None, answer_columns: str | None,
                   sheet: str | None) -> TableOptions:
    from qualcode.ingest import TableOptions

    return TableOptions(
        layout=layout,  # type: ignore[arg-type]
        speaker_column=speaker_column, text_column=text_column, time_column=time_column,
        transcript_column=transcript_column, id_column=id_column,
        answer_columns=[c.strip() for c in answer_columns.split(",")] if answer_columns else [],
        sheet=(int(sheet) if sheet and sheet.isdigit() else sheet) if sheet is not None else 0,
    )


@click.command(name="import")
@click.argument("project", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--attributes", type=click.Path(exists=True, dir_okay=False),
              help="Cases table (.csv/.xlsx): one row per case, joined by a case id or file column.")
@click.option("--language", type=click.Choice(["auto", "en", "ru", "kk"]), default="auto", show_default=True,
              help="Language of the transcripts; 'auto' detects it per file (front matter wins).")
@click.option("--speaker-map", type=click.Path(exists=True, dir_okay=False),
              help="YAML/JSON `Label: role` or CSV speaker,role; roles: interviewer, respondent, other.")
@click.option("--encoding", help="Force a text encoding (e.g. cp1251) instead of detecting it.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=50 * 1024 * 1024, show_default=True,
              help="Refuse files larger than this.")
@click.option("--name", help="Transcript name for a single file (default: the file name without extension).")
@click.option("--new-version", is_flag=True,
              help="Store a changed file as a new version of the transcript with the same name.")
@click.option("--layout", type=click.Choice(["auto", "turns", "survey", "cases"]), default="auto",
              show_default=True, help="For .csv/.xlsx: one row per turn, one row per respondent, or a cases table.")
@click.option("--speaker-column", help="Table column with the speaker (turns layout).")
@click.option("--text-column", help="Table column with the words (turns layout).")
@click.option("--time-column", help="Table column with the time (hh:mm:ss, mm:ss or seconds).")
@click.option("--transcript-column", help="Table column naming the interview, for several in one file.")
@click.option("--id-column", help="Table column with the respondent id (survey layout) or the case id (cases table).")
@click.option("--answer-columns", help="Comma-separated answer columns (survey layout).")
@click.option("--sheet", help="XLSX sheet name or number (default: the first).")
@click.option("--update-cases", is_flag=True,
              help="Let front matter change the attributes of a case already in the project (else refused, E954).")
@click.option("--max-attributes", type=click.IntRange(min=0), default=200, show_default=True,
              help="Refuse a front matter with more case attributes than this (E955).")
@click.option("--keep-unmatched", is_flag=True,
              help="Add cases-table rows that match no transcript as cases (else reported, E985).")
@click.option("--coder", default="taguette", show_default=True, help="Coder of imported highlights (Taguette CSV).")
@click.option("--preview", is_flag=True, help="Show the turns, speakers, roles and warnings; store nothing.")
@click.option("-q", "--quiet", is_flag=True, help="Print failures and the summary only.")
@click.option("--actor", envvar="QUALCODE_ACTOR",
              help="Who imports, for the audit log (default: $QUALCODE_ACTOR, else os:<login name>).")
def import_(project: str, paths: tuple[str, ...], attributes: str | None, language: str,
            speaker_map: str | None, encoding: str | None, max_bytes: int, name: str | None,
            new_version: bool, layout: str, speaker_column: str | None, text_column: str | None,
            time_column: str | None, transcript_column: str | None, id_column: str | None,
            answer_columns: str | None, sheet: str | None, update_cases: bool, max_attributes: int,
            keep_unmatched: bool, coder: str, preview: bool, quiet: bool, actor: str | None = None) -> None:
    """Import transcripts (txt, md, docx, odt, pdf, vtt, srt, csv, xlsx) into PROJECT, and
    projects and codebooks of other QDA tools (REFI-QDA .qdpx, .qde and .qdc).

    PATHS may be files or folders. A cases table among them (a .csv/.xlsx with a
    case_id or file column and short values, like interviews/cases.csv) is read
    first and joined to the transcripts. A bad file is reported and the rest go on;
    nothing already stored is changed.
    """
    from qualcode import audit
    from qualcode.ingest import ImportOptions, highlights
    from qualcode.ingest import preview as import_preview
    from qualcode.ingest.speakers import load_speaker_map
    from qualcode.project import Project

    if name and len(paths) > 1:
        raise click.UsageError("--name works with a single file only.")
    options = ImportOptions(
        language=language, encoding=encoding, max_bytes=max_bytes, name=name, new_version=new_version,
        update_cases=update_cases, max_attributes=max_attributes, keep_unmatched=keep_unmatched,
        speaker_map=load_speaker_map(speaker_map) if speaker_map else {},
        table=_table_options(layout, speaker_column, text_column, time_column, transcript_column,
                             id_column, answer_columns, sheet),
    )
    if preview:
        click.echo(import_preview.as_text(import_preview.preview(list(paths), options)))
        return
    exchange = [x for x in paths if Path(x).suffix.lower() in REFI_SUFFIXES]
    marked = [x for x in paths if x not in exchange and highlights.is_highlights_file(x, max_bytes)]
    paths = tuple(x for x in paths if x not in exchange)
    with Project.open(project) as p, audit.acting(actor):  # every audit row of this import names the actor
        for file in exchange:
            _import_refi(p, file)
        paths = tuple(x for x in paths if x not in marked)
        report = None
        if paths:
            bar, progress = _progress_bar("Importing", "file")
            try:
                report = p.import_files(paths, options, attributes=attributes, progress=progress)
            finally:
                bar.close()
        # After the transcripts: highlights are located in them.
        marked_done = [(file, *highlights.import_into(p, file, coder)) for file in marked]
    for file, result, located in marked_done:
        click.echo(f"ok   {highlights.summary(file, result, located, coder)}")
        for w in located.warnings:
            click.echo(f"     warning: {w}", err=True)
    if report is None:
        return
    for r in report.results:
        if r.status == "failed" or not quiet:
            mark = {"imported": "ok  ", "skipped": "skip", "failed": "FAIL"}[r.status]
            click.echo(f"{mark} {r.message}", err=r.status == "failed")
            for line in r.reports:
                click.echo(f"     report: {line}")
            for w in r.warnings:
                click.echo(f"     warning: {w}", err=True)
    n_tr = sum(len(r.transcripts) for r in report.results)
    from qualcode.wording import count

    click.echo(f"{len(report.imported)} imported ({count(n_tr, 'transcript')}, "
               f"{count(sum(r.turns for r in report.results), 'turn')}), "
               f"{len(report.skipped)} skipped, {len(report.failed)} failed.")
    if report.failed:
        sys.exit(1)


REFI_SUFFIXES = (".qdpx", ".qde", ".qdc")


def _import_refi(project: Project, file: str) -> None:
    """A REFI-QDA project (.qdpx/.qde) or codebook (.qdc): one transaction each; a bad file
    raises a numbered error and changes nothing."""
    if Path(file).suffix.lower() == ".qdc":
        result = project.import_qdc(file)
        click.echo(f"ok   {file}: {len(result.codes)} code(s) read, {len(result.created)} added to the project, "
                   f"{len(result.existing)} already there.")
    else:
        result = project.import_qdpx(file)
        click.echo(f"ok   {result.summary()}")
        for item in result.skipped:
            click.echo(f"     skipped {item.kind} {item.name!r}: {item.reason}", err=True)
    for warning in result.warnings:
        click.echo(f"     warning: {warning}", err=True)


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--all-versions", is_flag=True, help="Include earlier versions of re-imported transcripts.")
@FORMAT
@OUT
def transcripts(project: str, all_versions: bool, fmt: str, out: str | None) -> None:
    """List the transcripts in PROJECT: case, language, turns, words, source file."""
    # Plain rows, not Project.transcripts()'s DataFrame: pandas would be most of the start-up (issue 17).
    from qualcode.cli_listing import emit_rows
    from qualcode.store import queries
    from qualcode.store.database import open_engine

    engine = open_engine(project, create=False)
    try:
        with engine.connect() as conn:
            rows, columns = queries.transcript_rows(conn, all_versions)
    finally:
        engine.dispose()
    if fmt == "table":
        keep = [i for i, c in enumerate(columns) if c not in ("sha256", "imported_at")]
        columns, rows = [columns[i] for i in keep], [tuple(r[i] for i in keep) for r in rows]
    emit_rows(columns, rows, fmt, out)


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.argument("transcript", required=False)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv", show_default=True,
              help="Output format.")
@OUT
def turns(project: str, transcript: str | None, fmt: str, out: str | None) -> None:
    """Print the speaker turns of TRANSCRIPT (or all transcripts).

    CSV columns: transcript,turn,speaker,role,start,end,timestamp,text. `start` and
    `end` are character offsets (Unicode code points) into the transcript text, and
    `text` is exactly transcript_text[start:end]; `timestamp` is in seconds. A CSV cell that
    starts with = + - @ gets a ' in front, so spreadsheets do not run it: use --raw (or
    --format json) to get the text exactly.
    """
    from qualcode.cli_listing import emit_rows
    from qualcode.errors import ProjectError
    from qualcode.store import queries
    from qualcode.store.database import open_engine

    engine = open_engine(project, create=False)
    try:
        with engine.connect() as conn:
            if transcript is not None:  # as Project.turns: an unknown name is E105, not an empty list
                known = {r[0] for r in queries.transcript_rows(conn)[0]}
                if transcript not in known:
                    raise ProjectError("E105", name=transcript, known=", ".join(sorted(known)) or "(none)")
            rows = queries.turn_rows(conn, None if transcript is None else [transcript])
    finally:
        engine.dispose()
    emit_rows(queries.TURN_COLUMNS, rows, fmt, out)


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@FORMAT
@OUT
def cases(project: str, fmt: str, out: str | None) -> None:
    """List the cases in PROJECT with their attributes."""
    from qualcode.exchange.tables import whole_numbers
    from qualcode.project import Project

    with Project.open(project) as p:
        frame = whole_numbers(p.cases())  # 29, not 29.0, when another case has no age
    _emit(frame, fmt, out)


@click.command(name="import-log")
@click.argument("project", type=click.Path(dir_okay=False))
@FORMAT
@OUT
def import_log(project: str, fmt: str, out: str | None) -> None:
    """Show what every import did: each file imported, skipped or failed, and why."""
    from qualcode.project import Project

    with Project.open(project) as p:
        frame = p.import_log()
    if fmt == "table":
        frame = frame.assign(batch=frame["batch"].str[:8])
    _emit(frame, fmt, out)


# --- codebooks, rule coding, codings -----------------------------------------------------------


@click.command(name="runs")
@click.argument("project", type=click.Path(dir_okay=False))
@FORMAT
@OUT
def runs_(project: str, fmt: str, out: str | None) -> None:
    """List the auto-coding runs: codebook, version, hash, when, and their statistics."""
    from qualcode.project import Project

    with Project.open(project) as p:
        frame = p.runs()
    if fmt == "table":
        frame = frame.assign(codebook_sha256=frame["codebook_sha256"].str[:12]).drop(columns=["counts"])
    elif fmt == "csv":
        frame = frame.assign(counts=frame["counts"].map(lambda c: json.dumps(c, sort_keys=True)))
    _emit(frame, fmt, out)
