"""`qualcode export` (tables, REFI-QDA) and `qualcode serve` (the browser app).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qualcode.cli_common import RAW, _raw
from qualcode.errors import QualcodeError
from qualcode.wording import count


@click.command()
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
    from qualcode.project import Project

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
            click.echo(f"Wrote {out}: {result.summary(shown)}")
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
            click.echo(f"Wrote {out}: {count(len(p.codes()), 'code')}.")
            return
        frames = tables.tables_for(p, what, fmt=fmt, kind=kind, statuses=statuses, codebook=codebook_file)
    result = tables.write(frames, out, fmt, bom=bom, raw=_raw())
    click.echo(f"Wrote {out} ({result.format}): " + ", ".join(f"{name} {count(rows, 'row')}" for name, rows in
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


@click.command()
@click.argument("project", required=False, type=click.Path(dir_okay=False))
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="The port to serve on.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="The address to bind: this machine only by default; 0.0.0.0 opens it to the network.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also accept requests naming this host (e.g. the machine's DNS name); repeatable. "
                   "localhost, 127.0.0.1, [::1] and --address are always accepted.")
@click.option("--team", "team", metavar="CONFIG", type=click.Path(dir_okay=False),
              help="Run the team server from this settings file (TOML: where to bind, the projects, the "
                   "first owners, the OpenID sign-in); then PROJECT, --port, --address and --allow-host "
                   "are not used. See README, \"Team server\".")
def serve(project: str | None, port: int, address: str, allow_hosts: tuple[str, ...], team: str | None) -> None:
    """Open PROJECT in the browser app (default: the bundled sample project, built on first run).

    Prints the address to open, with a random token (?token=...): a browser without it sees only
    a refusal. Requests naming a foreign host are refused (DNS rebinding). Ctrl+C or SIGTERM stops
    the app and frees the port. Set QUALCODE_TOKEN to keep one token across restarts.

    With --team CONFIG: several people sign in (OpenID Connect) and work with their role per project."""
    from qualcode.serve import serve as run_server

    if team and project:
        raise click.UsageError("--team serves the projects its settings file names; leave PROJECT out.")
    sys.exit(run_server(project, port, address, allow_hosts, echo=lambda line: click.echo(line, err=True),
                        team=team))
