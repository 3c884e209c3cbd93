"""Shared pieces of the `qualcode` commands: the error-to-exit-code group, output (--format, --out,
--raw), progress bars and option types. Imports nothing heavy at module level, so that
`qualcode --help` stays fast (issue 17).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    import pandas as pd


class _Group(click.Group):
    """Turn every QualcodeError into a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except QualcodeError as exc:
            raise click.ClickException(str(exc)) from None


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
    import pandas as pd

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


def _names(values: tuple[str, ...]) -> list[str] | None:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


class _DefaultGroup(click.Group):
    """A group that runs its `default` command when the first argument is not a subcommand,
    so `qualcode codings PROJECT` and `qualcode codings import PROJECT FILE` both work."""

    default = "export"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


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
