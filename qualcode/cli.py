"""The `qualcode` command: the same Project API as the browser, for scripts and batch work.

Exit codes: 0 success; 1 a user error (a message, no traceback), including a batch
import in which some file failed; 2 a usage error (unknown option, missing argument).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from qualcode import __version__
from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions, TableOptions
from qualcode.ingest.speakers import load_speaker_map
from qualcode.project import Project


class _Group(click.Group):
    """Turn every QualcodeError into a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except QualcodeError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="qualcode")
def cli() -> None:
    """Code qualitative interviews: import transcripts, code them, analyse and export.

    A PROJECT is one file (e.g. study.qcdb) made by `qualcode init`, or a database URL.

    \b
    Example:
      qualcode init study.qcdb
      qualcode import study.qcdb interviews/*
      qualcode transcripts study.qcdb
      qualcode turns study.qcdb kz01 --format csv
    """


@cli.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--name", help="A title for the project (default: the file name).")
def init(project: str, name: str | None) -> None:
    """Create a new, empty PROJECT file."""
    with Project.create(project, name=name) as p:
        click.echo(f"Created project '{p.name}' in {project} (schema {p.schema_revision}).")


def _table_options(layout: str, speaker_column: str | None, text_column: str | None, time_column: str | None,
                   transcript_column: str | None, id_column: str | None, answer_columns: str | None,
                   sheet: str | None) -> TableOptions:
    return TableOptions(
        layout=layout,  # type: ignore[arg-type]
        speaker_column=speaker_column, text_column=text_column, time_column=time_column,
        transcript_column=transcript_column, id_column=id_column,
        answer_columns=[c.strip() for c in answer_columns.split(",")] if answer_columns else [],
        sheet=(int(sheet) if sheet and sheet.isdigit() else sheet) if sheet is not None else 0,
    )


@cli.command(name="import")
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
@click.option("--id-column", help="Table column with the respondent id (survey layout).")
@click.option("--answer-columns", help="Comma-separated answer columns (survey layout).")
@click.option("--sheet", help="XLSX sheet name or number (default: the first).")
@click.option("-q", "--quiet", is_flag=True, help="Print failures and the summary only.")
def import_(project: str, paths: tuple[str, ...], attributes: str | None, language: str,
            speaker_map: str | None, encoding: str | None, max_bytes: int, name: str | None,
            new_version: bool, layout: str, speaker_column: str | None, text_column: str | None,
            time_column: str | None, transcript_column: str | None, id_column: str | None,
            answer_columns: str | None, sheet: str | None, quiet: bool) -> None:
    """Import transcripts (txt, md, docx, odt, pdf, vtt, srt, csv, xlsx) into PROJECT.

    PATHS may be files or folders. A cases table among them (a .csv/.xlsx with a
    case_id or file column and short values, like interviews/cases.csv) is read
    first and joined to the transcripts. A bad file is reported and the rest go on;
    nothing already stored is changed.
    """
    from tqdm import tqdm

    if name and len(paths) > 1:
        raise click.UsageError("--name works with a single file only.")
    options = ImportOptions(
        language=language, encoding=encoding, max_bytes=max_bytes, name=name, new_version=new_version,
        speaker_map=load_speaker_map(speaker_map) if speaker_map else {},
        table=_table_options(layout, speaker_column, text_column, time_column, transcript_column,
                             id_column, answer_columns, sheet),
    )
    with Project.open(project) as p:
        bar = tqdm(total=None, unit="file", desc="Importing", file=sys.stderr, disable=None, leave=False)

        def progress(done: int, total: int, file: str) -> None:
            bar.total = total
            bar.set_postfix_str(Path(file).name, refresh=False)
            bar.update(done - bar.n)

        try:
            report = p.import_files(paths, options, attributes=attributes, progress=progress)
        finally:
            bar.close()
    for r in report.results:
        if r.status == "failed" or not quiet:
            mark = {"imported": "ok  ", "skipped": "skip", "failed": "FAIL"}[r.status]
            click.echo(f"{mark} {r.message}", err=r.status == "failed")
            for w in r.warnings:
                click.echo(f"     warning: {w}", err=True)
    n_tr = sum(len(r.transcripts) for r in report.results)
    click.echo(f"{len(report.imported)} imported ({n_tr} transcripts, "
               f"{sum(r.turns for r in report.results)} turns), "
               f"{len(report.skipped)} skipped, {len(report.failed)} failed.")
    if report.failed:
        sys.exit(1)


def _emit(frame: pd.DataFrame, fmt: str, out: str | None) -> None:
    if fmt == "csv":
        text = frame.to_csv(index=False)
    elif fmt == "json":
        text = frame.to_json(orient="records", force_ascii=False, indent=2, date_format="iso") + "\n"
    else:
        text = _table(frame)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(frame)} rows to {out}.", err=True)
    else:
        click.echo(text, nl=False)


def _table(frame: pd.DataFrame, width: int = 70) -> str:
    """A screen table: missing values blank, long text cut, text columns left-aligned."""
    if frame.empty:
        return "(none)\n"
    shown = frame.copy()
    formatters = {}
    for col in shown.columns:
        if shown[col].dtype == object or pd.api.types.is_string_dtype(shown[col]):
            cells = shown[col].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v))
                                   else " ".join(str(v).split()))
            cells = cells.map(lambda v: v if len(v) <= width else v[: width - 1] + "…")
            pad = max([len(str(col)), *cells.str.len()])
            shown[col] = cells
            formatters[col] = lambda v, pad=pad: f"{v:<{pad}}"
    shown = shown.astype({c: object for c in shown.columns}).where(shown.notna(), "")
    return shown.to_string(index=False, formatters=formatters, justify="left") + "\n"


FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                      show_default=True, help="Output format.")
OUT = click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of the screen.")


@cli.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--all-versions", is_flag=True, help="Include earlier versions of re-imported transcripts.")
@FORMAT
@OUT
def transcripts(project: str, all_versions: bool, fmt: str, out: str | None) -> None:
    """List the transcripts in PROJECT: case, language, turns, words, source file."""
    with Project.open(project) as p:
        frame = p.transcripts(all_versions)
    if fmt == "table":
        frame = frame.drop(columns=["sha256", "imported_at"])
    _emit(frame, fmt, out)


@cli.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.argument("transcript", required=False)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv", show_default=True,
              help="Output format.")
@OUT
def turns(project: str, transcript: str | None, fmt: str, out: str | None) -> None:
    """Print the speaker turns of TRANSCRIPT (or all transcripts).

    CSV columns: transcript,turn,speaker,role,start,end,timestamp,text. `start` and
    `end` are character offsets (Unicode code points) into the transcript text, and
    `text` is exactly transcript_text[start:end]; `timestamp` is in seconds.
    """
    with Project.open(project) as p:
        frame = p.turns(transcript)
    _emit(frame, fmt, out)


@cli.command()
@click.argument("project", type=click.Path(dir_okay=False))
@FORMAT
@OUT
def cases(project: str, fmt: str, out: str | None) -> None:
    """List the cases in PROJECT with their attributes."""
    with Project.open(project) as p:
        frame = p.cases()
    _emit(frame, fmt, out)


@cli.command(name="import-log")
@click.argument("project", type=click.Path(dir_okay=False))
@FORMAT
@OUT
def import_log(project: str, fmt: str, out: str | None) -> None:
    """Show what every import did: each file imported, skipped or failed, and why."""
    with Project.open(project) as p:
        frame = p.import_log()
    if fmt == "table":
        frame = frame.assign(batch=frame["batch"].str[:8])
    _emit(frame, fmt, out)


def main() -> None:
    cli(prog_name="qualcode")


if __name__ == "__main__":
    main()
