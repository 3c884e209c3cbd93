"""The `qualcode` command: the same Project API as the browser, for scripts and batch work.

Exit codes: 0 success; 1 a user error (a message, no traceback), including a batch
import in which some file failed; 2 a usage error (unknown option, missing argument).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
import pandas as pd

from qualcode import __version__
from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions, TableOptions, highlights
from qualcode.ingest import preview as import_preview
from qualcode.ingest.speakers import load_speaker_map
from qualcode.project import Project

if TYPE_CHECKING:
    from qualcode.analysis.report import TypologyReport


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
def import_(project: str, paths: tuple[str, ...], attributes: str | None, language: str,
            speaker_map: str | None, encoding: str | None, max_bytes: int, name: str | None,
            new_version: bool, layout: str, speaker_column: str | None, text_column: str | None,
            time_column: str | None, transcript_column: str | None, id_column: str | None,
            answer_columns: str | None, sheet: str | None, update_cases: bool, max_attributes: int,
            keep_unmatched: bool, coder: str, preview: bool, quiet: bool) -> None:
    """Import transcripts (txt, md, docx, odt, pdf, vtt, srt, csv, xlsx) into PROJECT, and
    projects and codebooks of other QDA tools (REFI-QDA .qdpx, .qde and .qdc).

    PATHS may be files or folders. A cases table among them (a .csv/.xlsx with a
    case_id or file column and short values, like interviews/cases.csv) is read
    first and joined to the transcripts. A bad file is reported and the rest go on;
    nothing already stored is changed.
    """

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
    with Project.open(project) as p:
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
    click.echo(f"{len(report.imported)} imported ({n_tr} transcripts, "
               f"{sum(r.turns for r in report.results)} turns), "
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


def _progress_bar(desc: str, unit: str):
    """A tqdm bar on stderr (hidden when not a terminal) and the Project progress callback feeding it."""
    from tqdm import tqdm

    bar = tqdm(total=None, unit=unit, desc=desc, file=sys.stderr, disable=None, leave=False)

    def progress(done: int, total: int, item: str) -> None:
        bar.total = total
        if item:
            bar.set_postfix_str(Path(item).name, refresh=False)
        bar.update(done - bar.n)

    return bar, progress


def _emit(frame: pd.DataFrame, fmt: str, out: str | None) -> None:
    """Print `frame`, or write it to `out` atomically (`qualcode.files`); CSV cells are made safe
    for spreadsheets unless --raw (`qualcode.exchange.safe_csv`)."""
    from qualcode import files
    from qualcode.exchange import safe_csv

    if fmt == "csv":
        text = safe_csv.to_csv(frame, raw=_raw())
    elif fmt == "json":
        # Through the json module: pandas escapes "/" (rule ids read "push.x\/en\/1").
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        text = json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    else:
        text = _table(frame)
    if out:
        files.write_bytes(out, text)
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
_OUT = click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of the screen "
                   "(whole or not at all: a temporary file beside it is renamed over it).")


def _remember_raw(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta["qualcode.raw"] = value
    return value


RAW = click.option("--raw", is_flag=True, expose_value=False, callback=_remember_raw,
                   help="CSV: write text cells as they are. By default a cell starting with = + - @ (or a tab) "
                        "gets a ' in front, so a spreadsheet shows it instead of running it as a formula.")


_F = TypeVar("_F", bound=Callable[..., object])


def _raw() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("qualcode.raw"))


def OUT(command: _F) -> _F:  # used as @OUT: every table command that writes --out can write CSV
    return _OUT(RAW(command))


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
    `text` is exactly transcript_text[start:end]; `timestamp` is in seconds. A CSV cell that
    starts with = + - @ gets a ' in front, so spreadsheets do not run it: use --raw (or
    --format json) to get the text exactly.
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
    from qualcode.exchange.tables import whole_numbers

    with Project.open(project) as p:
        frame = whole_numbers(p.cases())  # 29, not 29.0, when another case has no age
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


# --- codebooks, rule coding, codings -----------------------------------------------------------

@cli.group()
def codebook() -> None:
    """Check a codebook and try its rules (see codebooks/README.md for the format)."""


@codebook.command(name="check")
@click.argument("file", type=click.Path(dir_okay=False))
def codebook_check(file: str) -> None:
    """Validate a codebook FILE: every problem with its line, and the fix."""
    from qualcode.codebook import load

    book = load(file)
    n_rules = {lang: sum(1 for _ in book.rules(lang)) for lang in book.languages}
    with_rules = sum(1 for c in book.codes if c.rules)
    click.echo(f"OK {file}: '{book.name}' version {book.version}: {len(book.codes)} codes ({with_rules} with rules); "
               "rules " + ", ".join(f"{lang} {n}" for lang, n in n_rules.items())
               + f"; {len(book.profiles)} profiles, {len(book.types)} types.")


@codebook.command(name="test")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["en", "ru", "kk"]), required=True, help="Language of the text.")
@click.option("--text", help="The text to try the rules on (one turn).")
@click.option("--text-file", type=click.Path(exists=True, dir_okay=False), help="Read the text from a file.")
@click.option("--role", type=click.Choice(["respondent", "interviewer", "other"]), default="respondent",
              show_default=True, help="Whose turn the text is.")
def codebook_test(file: str, lang: str, text: str | None, text_file: str | None, role: str) -> None:
    """Show which rules fire on which words of a text, and which matches are dropped and why."""
    from qualcode.autocode import explain
    from qualcode.codebook import load

    if (text is None) == (text_file is None):
        raise click.UsageError("Give the text with --text or --text-file (one of them).")
    if text_file:
        text = Path(text_file).read_text(encoding="utf-8")
    book = load(file)
    if lang not in book.languages:
        raise click.ClickException(f"The codebook has no '{lang}' rules; its languages: {', '.join(book.languages)}.")
    result = explain(book, lang, text or "", role)
    click.echo("Tokens (form→lemma, by sentence):")
    sentences: dict[int, list[str]] = {}
    for form, lemma, sent in result.tokens:
        sentences.setdefault(sent, []).append(form if form.lower() == lemma else f"{form}→{lemma}")
    for sent, words in sentences.items():
        click.echo(f"  [{sent + 1}] " + " ".join(words))
    if not result.matches:
        click.echo("No rule fired.")
    else:
        click.echo("Matches:")
        for m in result.matches:
            fate = "coded" if m.dropped is None else f"dropped ({m.dropped})"
            click.echo(f"  {m.code:<28} {m.rule:<34} \"{result.text[m.start:m.end]}\"  {fate}")
    if result.codings:
        click.echo("Codings (the match widened to its unit):")
        for c in result.codings:
            click.echo(f"  {c.code:<28} {c.start}-{c.end}  \"{' '.join(result.text[c.start:c.end].split())}\"")


def _names(values: tuple[str, ...]) -> list[str] | None:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


@cli.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--codebook", "codebook_file", required=True, type=click.Path(dir_okay=False),
              help="The codebook YAML whose rules to apply.")
@click.option("--transcripts", multiple=True, help="Code only these transcripts (repeat, or comma-separate).")
@click.option("--accept", is_flag=True, help="Store the codings as accepted, not as suggestions to review.")
@click.option("--diff", is_flag=True, help="List what this run adds and removes per code, against the last run.")
@click.option("--dry-run", is_flag=True, help="Change nothing; report what the run would do.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes for analysing transcripts (results are the same with any number).")
@click.option("--scheduler", help="A Dask scheduler address (tcp://host:8786) to code a large corpus on a cluster.")
def code(project: str, codebook_file: str, transcripts: tuple[str, ...], accept: bool, diff: bool,
         dry_run: bool, workers: int, scheduler: str | None) -> None:
    """Auto-code PROJECT with a codebook's rules.

    The run replaces the previous rule codings of the transcripts it codes, in one
    transaction; human codings are never touched, and accept/reject decisions on
    rule codings are kept when the same coding comes back.
    """

    from qualcode.codebook import load

    book = load(codebook_file)
    with Project.open(project) as p:
        bar, progress = _progress_bar("Coding", "transcript")

        try:
            run = p.autocode(book, transcripts=_names(transcripts), accept=accept or None, dry_run=dry_run,
                             progress=progress, workers=workers, scheduler=scheduler)
        finally:
            bar.close()
        texts = {}
        if diff:
            for path in sorted(set(run.added) | set(run.removed)):
                for name, _s, _e in run.added.get(path, []) + run.removed.get(path, []):
                    if name not in texts:
                        texts[name] = p.transcript_text(name)
    for warning in run.warnings:
        click.echo(f"warning: {warning}", err=True)
    head = "Dry run (nothing changed): would code" if dry_run else f"Run {run.id}: coded"
    click.echo(f"{head} {len(run.transcripts)} transcripts ({run.words} words; {run.analysed} analysed, "
               f"{run.cached} from the analysis cache) with '{book.name}' version {book.version}: "
               f"{run.total} codings, status {run.coding_status}"
               + (f"; {run.carried_over} reviewer decisions carried over" if run.carried_over else "")
               + f" ({run.timings.get('total', 0):.1f} s).")
    rows = [{"code": c, "codings": n, "added": len(run.added.get(c, [])), "removed": len(run.removed.get(c, []))}
            for c in sorted(set(run.counts) | set(run.removed))
            for n in [run.counts.get(c, 0)]]
    click.echo(_table(pd.DataFrame(rows, columns=["code", "codings", "added", "removed"])), nl=False)
    if diff:
        click.echo("Changes against the previous rule codings:")
        if not run.added and not run.removed:
            click.echo("  (no change)")
        for path in sorted(set(run.added) | set(run.removed)):
            click.echo(f"  {path}:")
            for sign, items in (("+", run.added.get(path, [])), ("-", run.removed.get(path, []))):
                for name, s, e in items:
                    snippet = " ".join(texts[name][s:e].split())
                    snippet = snippet if len(snippet) <= 90 else snippet[:89] + "…"
                    click.echo(f"    {sign} {name} {s}-{e} \"{snippet}\"")


class _DefaultGroup(click.Group):
    """A group that runs its `default` command when the first argument is not a subcommand,
    so `qualcode codings PROJECT` and `qualcode codings import PROJECT FILE` both work."""

    default = "export"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_DefaultGroup)
def codings() -> None:
    """Codings as a table (`qualcode codings PROJECT`), or `qualcode codings import PROJECT FILE.csv`."""


@codings.command(name="export")
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv", show_default=True,
              help="Output format.")
@click.option("--transcripts", multiple=True, help="Only these transcripts (repeat, or comma-separate).")
@click.option("--origin", type=click.Choice(["manual", "rule", "model", "import"]), multiple=True,
              help="Only codings of this origin (repeatable).")
@click.option("--status", type=click.Choice(["suggested", "accepted", "rejected"]), multiple=True,
              help="Only codings with this status (repeatable).")
@OUT
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings (repeat for several; "
                                                        "default: every coder's, merged).")
def codings_export(project: str, fmt: str, transcripts: tuple[str, ...], origin: tuple[str, ...],
                   status: tuple[str, ...], coders: tuple[str, ...], out: str | None) -> None:
    """One row per coding: transcript,case,code,start,end,text,speaker,role,coder,origin,rule,status,confidence,run.

    `start`/`end` are character offsets into the transcript text and `text` is the
    coded words; `rule` is the rule (or model) that made it.
    """
    from qualcode.store.coding_queries import CODING_COLUMNS

    with Project.open(project) as p:
        frame = p.codings(_names(transcripts), origin=list(origin) or None, status=list(status) or None,
                          coder=_names(coders))
    frame = frame[CODING_COLUMNS]
    if len(frame):
        frame = frame.astype({"run": "Int64"})
    _emit(frame, fmt, out)


@codings.command(name="import")
@click.argument("project", type=click.Path(dir_okay=False))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--coder", help="CSV: coder name for rows whose coder column is empty. Project file: import "
                             "only this coder's codings.")
@click.option("--create-codes", is_flag=True, help="Create codes the project does not have yet.")
def codings_import(project: str, file: str, coder: str | None, create_codes: bool) -> None:
    """Import human codings made elsewhere: FILE.csv / .xlsx (the `codings` columns), or another
    project file (.qcdb) whose transcripts have the same names and text, e.g. a copy a second
    coder worked on, to compare coders (`qualcode agreement`).

    Each row's `text` must be what the transcript has at start-end. If any row is
    bad, nothing is imported and every bad row is listed.
    """
    with Project.open(project) as p:
        report = p.import_codings(file, coder=coder, create_codes=create_codes)
    click.echo(f"Imported {report.imported} codings from {file} ({report.duplicates} already present"
               + (f"; created codes {', '.join(report.created_codes)}" if report.created_codes else "") + ").")


@cli.group()
def rules() -> None:
    """Measure rules against human coding."""


@rules.command(name="evaluate")
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--coder", help="Compare with this coder's codings only (default: all human codings).")
@click.option("--examples", type=click.IntRange(min=0), default=2, show_default=True,
              help="False positives and negatives to show per code.")
@FORMAT
@OUT
def rules_evaluate(project: str, coder: str | None, examples: int, fmt: str, out: str | None) -> None:
    """Precision, recall, F1 and Cohen's kappa per code, at turn level, rules vs humans."""
    with Project.open(project) as p:
        result = p.evaluate_rules(coder)
    frame = result.per_code.copy()
    if fmt != "table":
        _emit(frame, fmt, out)
        return
    click.echo(f"Rules vs {'coder ' + repr(coder) if coder else 'human codings'}: {len(result.transcripts)} "
               f"transcripts, {result.turns} turns. Every turn of these transcripts counts: a turn the human "
               "did not code is a 'no', so compare with coders who coded whole transcripts.")
    for col in ("precision", "recall", "f1", "kappa"):
        frame[col] = frame[col].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    _emit(frame, fmt, out)
    if examples and not out:
        for code_id, ex in result.examples.items():
            for kind, label in (("fp", "false positive"), ("fn", "false negative")):
                for item in ex[kind][:examples]:
                    what = f"rule {item['rule']}: \"{' '.join(item['matched'].split())[:100]}\"" if kind == "fp" \
                        else f"human: \"{' '.join(item['human'].split())[:100]}\""
                    click.echo(f"  {code_id} {label} in {item['transcript']} turn {item['turn']}: {what}")


@cli.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(["presence", "count", "coverage"]), default="presence", show_default=True,
              help="1/0 per case and code, number of codings, or % of the case's respondent words coded.")
@click.option("--by", "by", help="A case attribute (e.g. gender): a code × attribute cross-tab with tests instead.")
@click.option("--bins", help="With --by a numeric attribute (age): a number of equal-width groups (4), or the "
                             "edges (18,30,45,65).")
@click.option("--accepted-only", is_flag=True, help="Count accepted codings only (default: suggestions too).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv", show_default=True,
              help="Output format.")
@OUT
def matrix(project: str, kind: str, by: str | None, bins: str | None, accepted_only: bool, fmt: str,
           out: str | None) -> None:
    """Case × code matrix of PROJECT (rows: cases, columns: codes), or with --by a code × attribute
    cross-tab: cases with each code per attribute value, row %, and Fisher's exact test (2×2) or
    chi-square (exact Monte Carlo p-value when cells are small), with warnings for small N."""
    statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
    with Project.open(project) as p:
        if by is None:
            _emit(p.matrix(kind, statuses=statuses).reset_index(), fmt, out)
            return
        edges: int | list[float] | None = None
        if bins:
            try:
                parts = [float(b) for b in bins.split(",")]
            except ValueError:
                raise click.BadParameter(f"{bins!r} is not a number of groups (4) or edges (18,30,45)",
                                         param_hint="--bins") from None
            edges = int(parts[0]) if len(parts) == 1 else parts
        result = p.crosstab(by, statuses=statuses, bins=edges)
    frame = result.table.merge(result.tests, on="code", how="left")
    _emit(frame, fmt, out)
    if result.missing:
        click.echo(f"{result.missing} case(s) without a value for {by} were left out.", err=True)


class _Greedy(click.Command):
    """Lets `--coders A B C` and `--codes X Y` take several values, as researchers type them:
    the words after such an option up to the next option are joined with commas. When
    PROJECT has not been given before the option, the last word is left for it."""

    greedy = ("--coders", "--codes")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out: list[str] = []
        positional = 0
        i = 0
        while i < len(args):
            word = args[i]
            if word in self.greedy:
                j = i + 1
                while j < len(args) and not args[j].startswith("-"):
                    j += 1
                values = args[i + 1:j]
                if positional == 0 and j == len(args) and len(values) > 1:
                    values, rest = values[:-1], values[-1:]
                else:
                    rest = []
                out += [word, ",".join(values)] if values else [word]
                out += rest
                i = j
                continue
            if not word.startswith("-") and (not out or not out[-1].startswith("--") or out[-1] in self.greedy
                                             or self._is_flag(ctx, out[-1])):
                positional += 1
            out.append(word)
            i += 1
        return super().parse_args(ctx, out)

    def _is_flag(self, ctx: click.Context, name: str) -> bool:
        for param in self.get_params(ctx):
            if isinstance(param, click.Option) and name in param.opts:
                return param.is_flag
        return False


class _KChoice(click.ParamType):
    name = "auto|N"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int | str:
        if value == "auto" or isinstance(value, int):
            return value
        try:
            k = int(str(value))
        except ValueError:
            k = 0
        if k < 2:
            self.fail(f"{value!r} is not 'auto' or a number of clusters (2 or more)", param, ctx)
        return k


@cli.command(cls=_Greedy)
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--codebook", "codebook_file", type=click.Path(dir_okay=False),
              help="The codebook with `profiles` and `types` (default: the one of the last rule run).")
@click.option("--method", type=click.Choice(["rules", "cluster", "both"]), default="both", show_default=True,
              help="rules: the codebook's types; cluster: groups found in the codings; both, side by side.")
@click.option("--k", "k", type=_KChoice(), default="auto", show_default=True,
              help="Number of clusters, or auto: the best silhouette from 2 to 6.")
@click.option("--codes", multiple=True, metavar="GLOB",
              help="Codes to cluster on, as glob patterns (--codes 'push.*' 'resource*'; "
                   "a parent id takes its children). Default: the codes the codebook's profiles weigh.")
@click.option("--attributes", multiple=True, metavar="NAME",
              help="Case attributes to cluster on too (then distances are Gower's).")
@click.option("--space", type=click.Choice(["auto", "profiles", "codes"]), default="auto", show_default=True,
              help="Cluster on the codebook's profile scores (a few robust dimensions) or on code sets; "
                   "auto: profiles when the codebook has them and no --codes/--attributes are given.")
@click.option("--algorithm", type=click.Choice(["agglomerative", "kmodes", "kmeans"]), default="agglomerative",
              show_default=True, help="Agglomerative (up to 5,000 cases), or k-modes / k-means for large N.")
@click.option("--metric", type=click.Choice(["jaccard", "gower", "euclidean"]),
              help="Agglomerative distance (default: jaccard for codes, gower with attributes).")
@click.option("--linkage", type=click.Choice(["average", "complete", "single", "ward"]), default="average",
              show_default=True, help="Agglomerative linkage (ward needs --metric euclidean).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (k-modes, k-means, bootstrap).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=50, show_default=True,
              help="Bootstrap resamples for cluster stability (0: skip).")
@click.option("--compare", "compare_attr", help="A case attribute to cross-tabulate the types with "
                                                "(e.g. documented_type).")
@click.option("--accepted-only", is_flag=True, help="Count accepted codings only (default: suggestions too).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv", show_default=True,
              help="Output format.")
@OUT
def typology(project: str, codebook_file: str | None, method: str, k: int | str, codes: tuple[str, ...],
             attributes: tuple[str, ...], space: str, algorithm: str, metric: str | None, linkage: str, seed: int,
             bootstrap: int, compare_attr: str | None, accepted_only: bool, fmt: str, out: str | None) -> None:
    """Group the cases of PROJECT into types: the codebook's rule types (with each case's profiles
    and the reason), data-driven clusters (with silhouettes, stability, the codes that mark each
    cluster and quotes), or both with their agreement (cross-tab and adjusted Rand index).

    The table has the columns case, rule_type, cluster, cluster_label, silhouette, reason and the
    profiles; the summary goes to stderr (to stdout with --out)."""
    statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
    with Project.open(project) as p:
        cases_frame = p.cases()
        if compare_attr and compare_attr not in cases_frame.columns:
            raise QualcodeError("E722", name=compare_attr,
                                known=", ".join(c for c in cases_frame.columns if c != "case"))
        if codebook_file is None and p.runs().empty:
            raise QualcodeError("E705")
        report = p.typology(codebook_file, method=method, statuses=statuses, codes=_names(codes) or None,
                            attributes=_names(attributes) or (), k=k, space=space, algorithm=algorithm, metric=metric,
                            linkage=linkage, random_state=seed, n_bootstrap=bootstrap)
    frame = report.cases
    if method == "rules":
        frame = frame.drop(columns=["cluster", "cluster_label", "silhouette"])
    elif method == "cluster":
        frame = frame.drop(columns=["rule_type"])
    _emit(frame, fmt, out)
    to_err = out is None
    for line in _typology_summary(report, cases_frame, compare_attr):
        click.echo(line, err=to_err)


def _typology_summary(report: TypologyReport, cases_frame: pd.DataFrame, compare_attr: str | None) -> list[str]:
    """The lines under the typology table: counts, cluster quality, agreement, comparison."""
    from qualcode.analysis.typology import compare_with

    lines = [""]
    frame = report.cases
    if report.rule is not None:
        counts = frame["rule_type"].value_counts()
        lines.append("Rule types: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
        borderline = frame.loc[frame["borderline"].fillna(False).astype(bool), "case"].astype(str).tolist()
        if borderline:
            lines.append(f"  borderline (degree < 0.6, see runner_up): {', '.join(borderline)}")
    model = report.model
    if model is not None:
        sizes = frame["cluster_label"].value_counts()
        chosen = "chosen by silhouette" if model.k == "auto" else "fixed"
        lines.append(f"Clusters on {report.space}: k={model.k_} ({chosen}; {model.method}, {model.metric_}), "
                     "mean silhouette "
                     f"{model.silhouette_:.2f}; features: {len(report.features.columns)} "
                     f"({', '.join(report.features.columns[:8])}{', …' if len(report.features.columns) > 8 else ''})")
        lines.append("  sizes: " + ", ".join(f"{t} {n}" for t, n in sizes.items()))
        if report.weak:
            lines.append(f"  weak structure: a mean silhouette of {model.silhouette_:.2f} is below 0.25, so these "
                         "clusters may change with a few codings; read them as tentative, and compare --k values.")
        if report.stability is not None:
            st = report.stability
            lines.append(f"  bootstrap stability (mean ARI over {len(st.scores)} resamples): {st.mean:.2f} "
                         f"[{st.low:.2f}, {st.high:.2f}]")
        top = report.description.codes.groupby("cluster").head(4)
        for c, rows in top.groupby("cluster"):
            label = frame.loc[frame["cluster"] == c, "cluster_label"].iloc[0]
            marks = ", ".join(f"{r.code} ({r.share_cluster:.0%} vs {r.share_rest:.0%})" for r in rows.itertuples())
            lines.append(f"  cluster {c} '{label}': {marks}")
            quotes = report.description.quotes
            for q in quotes[quotes["cluster"] == c].head(2).itertuples():
                text = " ".join(str(q.text).split())
                lines.append(f"    “{text[:110]}{'…' if len(text) > 110 else ''}” ({q.case}, {q.code})")
    if report.crosstab is not None:
        lines.append("\ncluster_label × rule_type:")
        lines.append(report.crosstab.to_string())
        lines.append(f"Adjusted Rand index, clusters vs rule types: {report.ari:.3f}")
    if report.structures is not None and len(report.structures) > 1:
        lines.append("\nWhich structure the data supports (silhouette within its own space; stability = mean "
                     "bootstrap ARI; agreement with the rule types = ARI):")
        lines.append(report.structures.to_string(index=False))
    if compare_attr:
        for column in ("rule_type", "cluster_label"):
            if frame[column].isna().all():
                continue
            result = compare_with(frame, cases_frame, compare_attr, column)
            lines.append(f"\n{column} × {compare_attr}:")
            lines.append(result.table.to_string())
            alike = f"{result.same} of {result.n} cases have {column} == {compare_attr}; " if result.comparable else ""
            lines.append(f"{alike}adjusted Rand index {result.ari:.3f} ({result.n} cases).")
    return lines


@cli.command(cls=_Greedy)
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--coders", "coders", multiple=True, required=True, metavar="A B [C...]",
              help="Two or more coder names; origin:rule (or origin:model) is the machine's codings as one coder.")
@click.option("--unit", type=click.Choice(["turn", "sentence", "paragraph", "char"]), default="turn",
              show_default=True, help="What is compared: turns, sentences, paragraphs or single characters.")
@click.option("--codes", multiple=True, metavar="GLOB...", help="Only these codes (glob patterns: 'push.*').")
@click.option("--interviewer", is_flag=True, help="Count the interviewer's turns as units too (default: "
                                                  "respondent turns only).")
@click.option("--accepted-only", is_flag=True, help="Count accepted codings only (default: suggestions too).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap resamples for alpha's 95% interval (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the bootstrap.")
@click.option("--disagreements", "disagreements_out", type=click.Path(dir_okay=False),
              help="Write every unit where the coders differ (with its text) to this CSV.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="Output format.")
@OUT
def agreement(project: str, coders: tuple[str, ...], unit: str, codes: tuple[str, ...], interviewer: bool,
              accepted_only: bool, bootstrap: int, seed: int, disagreements_out: str | None, fmt: str,
              out: str | None) -> None:
    """Inter-coder agreement per code and overall: percent agreement, Cohen's kappa (2 coders),
    Fleiss' kappa and Krippendorff's alpha (nominal) with a bootstrap 95% interval.

    Units: only transcripts every coder coded; respondent turns (or all turns with
    --interviewer), cut into sentences, paragraphs or characters; a unit has a code for a coder
    when one of the coder's codings of it overlaps the unit. Rejected codings never count.
    Rules of thumb: kappa/alpha >= 0.6 before accepting a rule's suggestions, >= 0.8 before
    re-coding without review."""
    names = _names(coders) or []
    statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
    with Project.open(project) as p:
        result = p.agreement(names, unit=unit, codes=_names(codes), include_interviewer=interviewer,
                             statuses=statuses, n_boot=bootstrap, random_state=seed)
    if disagreements_out:
        from qualcode import files
        from qualcode.exchange import safe_csv

        files.write_bytes(disagreements_out, safe_csv.to_csv(result.disagreements, raw=_raw()))
        click.echo(f"Wrote {len(result.disagreements)} disagreements to {disagreements_out}.", err=True)
    if fmt == "json":
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n"
        if out:
            from qualcode import files

            files.write_bytes(out, text)
        else:
            click.echo(text, nl=False)
        return
    frame = result.per_code
    if fmt == "table":
        frame = frame.copy()
        for col in ("percent", "kappa", "fleiss", "alpha", "alpha_low", "alpha_high"):
            frame[col] = frame[col].map(lambda v, c=col: "" if pd.isna(v) else
                                        (f"{v:.1f}" if c == "percent" else f"{v:.3f}"))
    _emit(frame, fmt, out)
    o = result.overall
    lines = [f"\n{', '.join(names)}: {len(result.transcripts)} transcripts, unit {unit}.",
             "Overall (pooled over codes): " + ", ".join(
                 f"{k} {v:.3f}" for k, v in o.items() if isinstance(v, float) and not pd.isna(v)),
             f"{len(result.disagreements)} unit(s) × code where the coders differ"
             + ("" if disagreements_out else " (list them with --disagreements FILE.csv)") + "."]
    for line in lines:
        click.echo(line, err=out is None and fmt != "table")


@cli.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--what", type=click.Choice(["segments", "matrix", "typology", "codebook", "project"]),
              default="segments", show_default=True,
              help="segments: one row per coding; matrix: case × code with attributes; typology: types per "
                   "case; codebook: the codes; project: all tables (xlsx) or the whole project (qdpx).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "parquet", "sav", "dta", "qdc", "qdpx"]),
              help="File format (default: from the --out extension).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.option("--kind", type=click.Choice(["presence", "count", "coverage"]), default="presence",
              show_default=True, help="Matrix cells (--what matrix or project).")
@click.option("--codebook", "codebook_file", type=click.Path(dir_okay=False),
              help="Codebook with profiles and types for --what typology (default: the last run's).")
@click.option("--accepted-only", is_flag=True, help="Accepted codings only (default for tables: suggestions "
                                                    "too; rejected ones never).")
@click.option("--include-suggestions", is_flag=True,
              help="qdpx: put rule and model suggestions in as codings other tools see (default: accepted "
                   "codings only; rejected ones never; qualcode.json keeps all for qualcode).")
@click.option("--bom", is_flag=True, help="CSV for Excel: UTF-8 with a byte-order mark.")
@RAW
def export(project: str, what: str, fmt: str | None, out: str, kind: str, codebook_file: str | None,
           accepted_only: bool, include_suggestions: bool, bom: bool) -> None:
    """Export coded tables for pandas, R, SPSS and Stata, or the project for other QDA tools.

    Tables: csv, xlsx (one sheet per table), parquet, sav (variable and value labels), dta.
    REFI-QDA: --what codebook --format qdc, --what project --format qdpx (validates against the
    official schemas; ATLAS.ti, MAXQDA, NVivo, QualCoder import it)."""
    from qualcode.exchange import tables

    fmt = fmt or Path(out).suffix.lower().lstrip(".")
    statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
    with Project.open(project) as p:
        if fmt == "qdpx":
            if what != "project":
                raise click.UsageError("--format qdpx exports the whole project: use --what project.")
            if include_suggestions and accepted_only:
                raise click.UsageError("--include-suggestions and --accepted-only contradict each other.")
            result = p.export_qdpx(out, include_suggestions=include_suggestions)
            shown = "accepted and suggested" if include_suggestions else "accepted"
            click.echo(f"Wrote {out}: {result.sources} sources, {result.codes} codes, {result.codings} {shown} "
                       f"codings, {result.users} coders, {result.cases} cases, {result.notes} memos.")
            if result.left_out():
                hint = "" if include_suggestions or not result.withheld.get("suggested") else \
                    " (--include-suggestions puts the suggestions in)"
                click.echo(f"  Other tools will not see {result.left_out()}{hint}; qualcode reads them back from "
                           "the file's qualcode.json.", err=True)
            return
        if fmt == "qdc":
            if what != "codebook":
                raise click.UsageError("--format qdc is a codebook: use --what codebook.")
            p.export_qdc(out)
            click.echo(f"Wrote {out}: {len(p.codes())} codes.")
            return
        frames = tables.tables_for(p, what, fmt=fmt, kind=kind, statuses=statuses, codebook=codebook_file)
    result = tables.write(frames, out, fmt, bom=bom, raw=_raw())
    click.echo(f"Wrote {out} ({result.format}): " + ", ".join(f"{name} {rows} rows" for name, rows in
                                                              result.rows.items()) + ".")
    for table, renamed in result.renamed.items():
        if renamed:
            shown = ", ".join(f"{a} -> {b}" for a, b in list(renamed.items())[:6])
            click.echo(f"  {table}: {len(renamed)} column(s) renamed for {result.format} ({shown}"
                       f"{', …' if len(renamed) > 6 else ''}); the original names are the variable labels.",
                       err=True)
    for warning in result.warnings:
        click.echo(f"  warning: {warning}", err=True)
    for table, reason in getattr(frames, "missing", {}).items():  # never a table left out in silence
        click.echo(str(QualcodeError("E858", path=out, table=table, reason=reason)), err=True)
    if getattr(frames, "missing", None):
        sys.exit(1)


@cli.command()
@click.argument("project", required=False, type=click.Path(dir_okay=False))
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="The port to serve on.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="The address to bind: this machine only by default; 0.0.0.0 opens it to the network.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also accept requests naming this host (e.g. the machine's DNS name); repeatable. "
                   "localhost, 127.0.0.1, [::1] and --address are always accepted.")
def serve(project: str | None, port: int, address: str, allow_hosts: tuple[str, ...]) -> None:
    """Open PROJECT in the browser app (default: the bundled sample project, built on first run).

    Prints the address to open, with a random token (?token=...): a browser without it sees only
    a refusal. Requests naming a foreign host are refused (DNS rebinding). Ctrl+C or SIGTERM stops
    the app and frees the port. Set QUALCODE_TOKEN to keep one token across restarts."""
    from qualcode.serve import serve as run_server

    sys.exit(run_server(project, port, address, allow_hosts, echo=lambda line: click.echo(line, err=True)))


@cli.command(name="runs")
@click.argument("project", type=click.Path(dir_okay=False))
@FORMAT
@OUT
def runs_(project: str, fmt: str, out: str | None) -> None:
    """List the auto-coding runs: codebook, version, hash, when, and their statistics."""
    with Project.open(project) as p:
        frame = p.runs()
    if fmt == "table":
        frame = frame.assign(codebook_sha256=frame["codebook_sha256"].str[:12]).drop(columns=["counts"])
    elif fmt == "csv":
        frame = frame.assign(counts=frame["counts"].map(lambda c: json.dumps(c, sort_keys=True)))
    _emit(frame, fmt, out)


# Commands that live in their own modules (imported last: they use the helpers above).
from qualcode.cli_suggest import suggest as _suggest  # noqa: E402

cli.add_command(_suggest)


def main() -> None:
    cli(prog_name="qualcode")


if __name__ == "__main__":
    main()
