"""The `qualcode` command: the same Project API as the browser, for scripts and batch work.

Exit codes: 0 success; 1 a user error (a message, no traceback), including a batch
import in which some file failed; 2 a usage error (unknown option, missing argument).
"""

from __future__ import annotations

import click

from qualcode import __version__
from qualcode.cli_analysis import agreement, matrix, typology
from qualcode.cli_audit import audit
from qualcode.cli_coding import code, codebook, codings, rules
from qualcode.cli_common import (  # noqa: F401  (re-exported: older imports of these names from qualcode.cli)
    FORMAT,
    OUT,
    RAW,
    _DefaultGroup,
    _emit,
    _Group,
    _progress_bar,
    _table,
)
from qualcode.cli_copy import copy_
from qualcode.cli_export import export, serve
from qualcode.cli_memos import memo, memos
from qualcode.cli_project import cases, import_, import_log, init, runs_, transcripts, turns
from qualcode.cli_suggest import suggest


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


# Each command lives in the module of its concept (cli_project, cli_coding, cli_analysis, cli_export,
# cli_suggest); this module only assembles the group. Listed in the order of the work.
for _command in (init, import_, transcripts, turns, cases, import_log, codebook, code, codings, rules, matrix,
                 typology, agreement, export, serve, runs_, suggest, audit):
    cli.add_command(_command)
for _command in (memos, memo):  # qualcode.cli_memos: memos of the project, its transcripts, cases, codes
    cli.add_command(_command)
cli.add_command(copy_)  # qualcode.cli_copy: a project between an SQLite file and PostgreSQL


def main() -> None:
    cli(prog_name="qualcode")


if __name__ == "__main__":
    main()
