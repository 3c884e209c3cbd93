"""`qualcode copy SRC DST`: a project from an SQLite file to PostgreSQL and back (qualcode.copying).

    qualcode copy study.qcdb postgresql+psycopg://coder@db.example.org/study
    qualcode copy postgresql+psycopg://coder@db.example.org/study backup.qcdb
"""

from __future__ import annotations

import click


@click.command(name="copy")
@click.argument("src")
@click.argument("dst")
def copy_(src: str, dst: str) -> None:
    """Copy the project SRC into DST, a new file or an empty database, losslessly.

    Either may be a project file or a database URL (postgresql+psycopg://USER@HOST/DB; put the
    password in ~/.pgpass or $PGPASSWORD rather than the URL). SRC is only read.
    """
    from qualcode.copying import copy_project

    report = copy_project(src, dst, progress=lambda table: click.echo(f"copying {table}...", err=True))
    click.echo(report.summary())
