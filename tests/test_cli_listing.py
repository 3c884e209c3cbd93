"""`qualcode transcripts` and `turns` print plain rows without pandas (qualcode.cli_listing, issue 17):
their output must stay byte for byte what the pandas path (`cli_common._emit` of the Project's
DataFrame) prints, in every format, on the sample project and on awkward values."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from click.testing import CliRunner

from qualcode import cli_listing
from qualcode.cli import cli
from qualcode.cli_common import _emit
from qualcode.exchange import safe_csv
from qualcode.project import Project
from qualcode.store.coding_queries import CODING_COLUMNS
from qualcode.store.queries import TURN_COLUMNS

FORMATS = ["table", "csv", "json"]


def _pandas_output(frame: pd.DataFrame, fmt: str, *args: str) -> str:
    """What the commands printed before: `_emit` of the DataFrame, inside a click context (for --raw)."""
    import click

    @click.command()
    @click.option("--raw", is_flag=True)
    def show(raw: bool) -> None:
        click.get_current_context().meta["qualcode.raw"] = raw
        _emit(frame, fmt, None)

    result = CliRunner().invoke(show, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_transcripts_prints_what_the_pandas_path_printed(db_sample, fmt: str) -> None:
    with Project.open(db_sample) as p:
        frame = p.transcripts()
        every_version = p.transcripts(all_versions=True)
    if fmt == "table":
        frame = frame.drop(columns=["sha256", "imported_at"])
        every_version = every_version.drop(columns=["sha256", "imported_at"])
    assert len(frame) == 24
    assert _run("transcripts", str(db_sample), "--format", fmt) == _pandas_output(frame, fmt)
    assert _run("transcripts", str(db_sample), "--all-versions", "--format", fmt) == _pandas_output(every_version, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_turns_prints_what_the_pandas_path_printed(sample_project_file, fmt: str) -> None:
    with Project.open(sample_project_file) as p:
        every = p.turns()
        one = p.turns("kz03")
    assert len(every) > 500 and every["timestamp"].notna().any()
    assert _run("turns", str(sample_project_file), "--format", fmt) == _pandas_output(every, fmt)
    assert _run("turns", str(sample_project_file), "kz03", "--format", fmt) == _pandas_output(one, fmt)


def test_codings_prints_what_the_pandas_path_printed(two_coders) -> None:
    # rule codings (run, no coder) and two coders' imported ones (coder, no run), on both stores
    for args, kwargs in (((), {}), (("--coder", "daniyar,aigerim", "--origin", "import"),
                                    {"coder": ["daniyar", "aigerim"], "origin": ["import"]}),
                         (("--transcripts", "kz03", "--status", "suggested"),
                          {"transcripts": ["kz03"], "status": ["suggested"]}),
                         (("--transcripts", "nosuch"), {"transcripts": ["nosuch"]})):
        with Project.open(two_coders) as p:
            frame = p.codings(kwargs.pop("transcripts", None), **kwargs)[CODING_COLUMNS]
        if len(frame):
            frame = frame.astype({"run": "Int64"})
        for fmt in FORMATS:
            # An empty screen table says so in words (CSV keeps its header, JSON its []).
            want = ("No codings match these filters.\n" if fmt == "table" and not len(frame)
                    else _pandas_output(frame, fmt))
            assert _run("codings", str(two_coders), *args, "--format", fmt) == want, (args, fmt)


def test_codings_of_an_unknown_coder_is_e724(sample_project_file) -> None:
    result = CliRunner().invoke(cli, ["codings", str(sample_project_file), "--coder", "nobody"])
    assert result.exit_code == 1 and "E724" in result.output and "nobody" in result.output


def test_turns_of_an_unknown_transcript_is_e105(sample_project_file) -> None:
    result = CliRunner().invoke(cli, ["turns", str(sample_project_file), "nosuch"])
    assert result.exit_code == 1 and "No transcript named 'nosuch'" in result.output and "kz01" in result.output


AWKWARD_COLUMNS = ["text", "count", "seconds", "score", "when", "nothing", "=head"]
AWKWARD_ROWS = [
    ("=HYPERLINK(\"x\")", 3, 1.5, 0.1234567891234, dt.datetime(2026, 1, 2, 3, 4, 5, 678901), None, "-3"),
    ("a\nlong " + "word " * 20, 12345, None, 2.0, dt.datetime(2026, 1, 2, 3, 4, 5), None, "- Да, так"),
    ("'@already", -7, 1e-7, 123456.0, dt.datetime(2026, 1, 2, 0, 0, 0, 1000), None, "'=x"),
    ("", 0, float("nan"), -0.5, dt.datetime(2026, 1, 2), None, None),
]
UTC = dt.UTC


@pytest.mark.parametrize("when", [
    [dt.datetime(2026, 1, 2, tzinfo=UTC), dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)],
    [dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), None],
    [dt.datetime(2026, 1, 2), dt.datetime(2026, 1, 3)],
    [dt.datetime(2026, 1, 2, 3, 4, 5, 999999), None],
])
def test_dates_print_as_pandas_prints_them(when: list) -> None:
    rows = [(w, i) for i, w in enumerate(when)]  # as PostgreSQL (aware) and SQLite (naive) return them
    frame = pd.DataFrame(rows, columns=["when", "n"])
    assert cli_listing.csv_text(["when", "n"], rows) == _pandas_output(frame, "csv")
    assert cli_listing.json_text(["when", "n"], rows) == _pandas_output(frame, "json")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("raw", [False, True])
def test_awkward_values_print_as_pandas_prints_them(fmt: str, raw: bool) -> None:
    rows = AWKWARD_ROWS
    columns = AWKWARD_COLUMNS
    if fmt == "table":  # the table commands drop their date columns
        columns = [c for c in columns if c != "when"]
        rows = [r[:4] + r[5:] for r in rows]
    expected = _pandas_output(pd.DataFrame(rows, columns=columns), fmt, *(["--raw"] if raw else []))
    if fmt == "table":
        got = cli_listing.table(columns, rows)
    elif fmt == "csv":
        got = cli_listing.csv_text(columns, rows, raw=raw)
    else:
        got = cli_listing.json_text(columns, rows)
    assert got == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_whole_number_columns_print_as_int64(fmt: str) -> None:
    # `codings`: run is Int64 (1, not 1.0, beside a gap); confidence a float column (model codings)
    columns = ["code", "confidence", "run"]
    rows = [("a", 0.8, 1), ("b", None, None), ("c", 0.123456789, 12)]
    frame = pd.DataFrame(rows, columns=columns).astype({"run": "Int64"})
    got = {"table": cli_listing.table, "csv": cli_listing.csv_text, "json": cli_listing.json_text}[fmt](
        columns, rows, whole=("run",))
    assert got == _pandas_output(frame, fmt)


def test_no_rows_print_as_pandas_prints_them() -> None:
    for fmt in FORMATS:
        expected = _pandas_output(pd.DataFrame([], columns=TURN_COLUMNS), fmt)
        got = {"table": lambda: cli_listing.table(TURN_COLUMNS, []),
               "csv": lambda: cli_listing.csv_text(TURN_COLUMNS, []),
               "json": lambda: cli_listing.json_text(TURN_COLUMNS, [])}[fmt]()
        assert got == expected


@pytest.mark.parametrize("value", ["=1+1", "+7", "-3", "-0.5", "1e-3", "- Да", "@x", "\tx", "\rx", "'=x", "''+y",
                                   "'", "plain", "", "-", "+", 3, None, math.pi])
def test_the_restated_formula_rule_agrees_with_safe_csv(value: object) -> None:
    assert cli_listing.neutralise(value) == safe_csv.neutralise(value)
