"""`qualcode codebook check|test`, `code`, `codings export|import` and `rules evaluate`: coding with a
codebook and the codings it makes.
"""

from __future__ import annotations

from pathlib import Path

import click

from qualcode.cli_common import (
    FORMAT,
    OUT,
    _DefaultGroup,
    _emit,
    _names,
    _progress_bar,
    _table,
)
from qualcode.wording import count


@click.group()
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


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--codebook", "codebook_file", required=True, type=click.Path(dir_okay=False),
              help="The codebook YAML whose rules to apply.")
@click.option("--transcripts", multiple=True, help="Code only these transcripts (repeat, or comma-separate).")
@click.option("--accept", is_flag=True, help="Store the codings as accepted, not as suggestions to review.")
@click.option("--diff", is_flag=True, help="List what this run adds and removes per code, against the last run.")
@click.option("--dry-run", is_flag=True, help="Change nothing; report what the run would do.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              # 500,000 is qualcode.runs.POOL_MIN_WORDS, written out so that --help need not import it
              help="Processes for analysing transcripts (results are the same with any number). A pool is "
                   "used only from 500,000 words to analyse (transcripts without a cached analysis); below "
                   "that, starting it costs more than it saves and the run stays in this process.")
@click.option("--scheduler", help="A Dask scheduler address (tcp://host:8786) to code a large corpus on a cluster.")
@click.option("--actor", envvar="QUALCODE_ACTOR",
              help="Who re-codes, for the audit log (default: $QUALCODE_ACTOR, else os:<login name>).")
def code(project: str, codebook_file: str, transcripts: tuple[str, ...], accept: bool, diff: bool,
         dry_run: bool, workers: int, scheduler: str | None, actor: str | None = None) -> None:
    """Auto-code PROJECT with a codebook's rules.

    The run replaces the previous rule codings of the transcripts it codes, in one
    transaction; human codings are never touched, and accept/reject decisions on
    rule codings are kept when the same coding comes back.
    """
    import pandas as pd

    from qualcode.codebook import load
    from qualcode.project import Project

    book = load(codebook_file)
    with Project.open(project) as p:
        bar, progress = _progress_bar("Coding", "transcript")

        try:
            run = p.autocode(book, transcripts=_names(transcripts), accept=accept or None, dry_run=dry_run,
                             progress=progress, workers=workers, scheduler=scheduler, actor=actor)
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
    click.echo(f"{head} {count(len(run.transcripts), 'transcript')} ({run.words} words; {run.analysed} analysed, "
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


class _CodingsGroup(_DefaultGroup):
    """`qualcode codings PROJECT` runs `export`, so `qualcode codings --help` shows export's options
    too: otherwise --format, --coder, --origin and --out would be found only under `export --help`."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        click.Command.format_options(self, ctx, formatter)
        command = self.commands[self.default]
        records = [record for param in command.get_params(ctx)  # its options, not PROJECT or --help
                   if isinstance(param, click.Option) and "--help" not in param.opts
                   if (record := param.get_help_record(ctx)) is not None]
        with formatter.section(f"Options of `{ctx.command_path} {self.default}` (also when no command is given)"):
            formatter.write_dl(records)
        self.format_commands(ctx, formatter)


@click.group(cls=_CodingsGroup)
def codings() -> None:
    """The codings of a project: `qualcode codings PROJECT [OPTIONS]` prints them (as `codings export`:
    CSV by default, or --format table|json), `qualcode codings import PROJECT FILE.csv` adds codings
    made elsewhere.
    """


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
    """Print the codings (or write them with --out), one row per coding.

    \b
    Columns: transcript, case, code, start, end, text, speaker, role,
    coder, origin, rule, status, confidence, run.

    `start`/`end` are character offsets into the transcript text and `text` is the
    coded words; `rule` is the rule (or model) that made it.
    """
    # Plain rows, not Project.codings()'s DataFrame: pandas would be most of the start-up (issue 17).
    from sqlalchemy import select

    from qualcode.cli_listing import emit_rows
    from qualcode.errors import QualcodeError
    from qualcode.store import coding_queries
    from qualcode.store.database import open_engine
    from qualcode.store.schema import coders as coders_table

    engine = open_engine(project, create=False)
    try:
        with engine.connect() as conn:
            rows = coding_queries.coding_rows(conn, _names(transcripts), list(origin) or None, list(status) or None)
            known = sorted(conn.execute(select(coders_table.c.name)).scalars())
    finally:
        engine.dispose()
    if (wanted := _names(coders)) is not None:  # as Project.codings(coder=...)
        if unknown := [c for c in wanted if c not in known]:
            raise QualcodeError("E724", name=", ".join(unknown), known=", ".join(known) or "(none)")
        at = coding_queries.CODING_FRAME_COLUMNS.index("coder")
        rows = [r for r in rows if r[at] in wanted]
    if not rows and fmt == "table" and not out:
        # An empty table would read "(none)"; say what is missing. CSV keeps its header (a valid empty
        # table for a spreadsheet) and JSON its [].
        filtered = transcripts or origin or status or coders
        click.echo("No codings match these filters." if filtered else
                   "No codings yet: run `qualcode code PROJECT --codebook FILE`, code by hand in the app, "
                   "or `qualcode codings import PROJECT FILE.csv`.")
        return
    n = len(coding_queries.CODING_COLUMNS)
    emit_rows(coding_queries.CODING_COLUMNS, [r[:n] for r in rows], fmt, out, whole=("run",))


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
    from qualcode.project import Project

    with Project.open(project) as p:
        report = p.import_codings(file, coder=coder, create_codes=create_codes)
    click.echo(f"Imported {report.imported} codings from {file} ({report.duplicates} already present"
               + (f"; created codes {', '.join(report.created_codes)}" if report.created_codes else "") + ").")


@click.group()
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
    import pandas as pd

    from qualcode.project import Project

    with Project.open(project) as p:
        result = p.evaluate_rules(coder)
    frame = result.per_code.copy()
    if fmt != "table":
        _emit(frame, fmt, out)
        return
    click.echo(f"Rules vs {'coder ' + repr(coder) if coder else 'human codings'}: "
               f"{count(len(result.transcripts), 'transcript')}, {count(result.turns, 'turn')}. "
               "Every turn of these transcripts counts: a turn the human "
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
