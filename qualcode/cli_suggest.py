"""`qualcode suggest`: learned suggestions from a coder's own coding (qualcode.suggest).

    qualcode suggest PROJECT --coder NAME [--coder NAME2] [--unit sentence|turn] [--dry-run]
    qualcode suggest evaluate PROJECT --coder NAME      (the table only; writes nothing)
    qualcode suggest next PROJECT --coder NAME -n 10     (what to code next)

Exit codes as for every command: 0 success, 1 a user error (a numbered message), 2 usage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from qualcode.cli_common import _DefaultGroup, _emit, _progress_bar, _table

if TYPE_CHECKING:
    import pandas as pd

SHOWN = ["code", "human_turns", "positives", "rules_kappa", "model_kappa", "suggestion_kappa", "source", "verdict"]
_TABLE_OUT = click.option("--table-out", type=click.Path(dir_okay=False),
                          help="Also write the whole table (precision, recall, F1, kappa of each, the source and "
                               "why) to this file: CSV, or JSON if it ends in .json.")


class _SuggestGroup(_DefaultGroup):
    default = "run"


@click.group(cls=_SuggestGroup)
def suggest() -> None:
    """Learn from a coder's own coding and suggest codings for the other transcripts.

    \b
    qualcode suggest PROJECT --coder NAME            train, show the table, write suggestions
    qualcode suggest evaluate PROJECT --coder NAME   the table only
    qualcode suggest next PROJECT --coder NAME -n 10 the turns to code next
    """


def _common(f):
    f = click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same result).")(f)
    f = click.option("--min-positive", type=int, default=5, show_default=True,
                     help="Codes with fewer coded units than this get no model (the rules stay).")(f)
    f = click.option("--unit", type=click.Choice(["sentence", "turn"]), default="sentence", show_default=True,
                     help="What a suggestion covers, and what the model learns from.")(f)
    f = click.option("--codebook", "codebook_file", type=click.Path(dir_okay=False),
                     help="Codebook whose rule hits (negated and dropped too) are features "
                          "(default: the one of the last `qualcode code` run).")(f)
    f = click.option("--coder", "coders", multiple=True, required=True,
                     help="Whose human decisions to learn from (repeat for several).")(f)
    return click.argument("project", type=click.Path(dir_okay=False))(f)


def _print_table(frame: pd.DataFrame | None) -> None:
    import pandas as pd

    if frame is None:
        return
    shown = frame[SHOWN].copy()
    for col in shown.columns:
        if col.endswith(("_f1", "_kappa")):
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    click.echo("Cohen's kappa per code, cross-validated with folds grouped by transcript, at turn level: the rules "
               "alone, the model alone, and what the tool suggests (its choice of source is made again in each "
               "fold, so a code whose final source is the rules can still score differently there). "
               "human_turns: turns the coders coded with it; positives: its coded units (sentences or turns) "
               "in the training data.")
    click.echo(_table(shown, width=80), nl=False)
    reasons = [(c, w) for c, w in zip(frame["code"], frame["why"], strict=True) if isinstance(w, str) and w
               and w != "no model"]
    if reasons:
        click.echo("Why each source (codes with a model):")
        for code, why in reasons:
            click.echo(f"  {code}: {why}")


def _train(project: str, coders: tuple[str, ...], codebook_file: str | None, unit: str, min_positive: int,
           seed: int, codes: tuple[str, ...], dry_run: bool):
    from qualcode.project import Project

    bar, progress = _progress_bar("learning", "step")
    with Project.open(project) as p:
        try:
            return p.suggest(list(coders), codebook=codebook_file, unit=unit, codes=list(codes) or None,
                             min_positive=min_positive, seed=seed, dry_run=dry_run, progress=progress)
        finally:
            bar.close()


def _report(run, table_out: str | None = None) -> None:
    for warning in run.warnings:
        click.echo(f"warning: {warning}", err=True)
    _print_table(run.table)
    if table_out and run.table is not None:
        _emit(run.table, "json" if table_out.lower().endswith(".json") else "csv", table_out)
    if run.skipped:
        click.echo(f"No model for {len(run.skipped)} code(s), the rules stay: "
                   + "; ".join(f"{c} ({why})" for c, why in run.skipped.items()))
    # Each code the model speaks for, with its source and cut (e.g. "rules + model ≥ 0.85").
    used = [f"{c}: {run.sources[c]}" if run.sources.get(c, "model") != "model" else c
            for c, u in run.use_model.items() if u]
    click.echo(f"Trained on {len(run.transcripts_trained)} transcript(s) coded by {', '.join(run.coders)}; "
               f"the model suggests for {len(used)} of {len(run.codes)} codes"
               + (f" ({', '.join(used)})" if used and len(used) <= 12 else "") + ".")


@suggest.command(name="run")
@_common
@click.option("--code", "codes", multiple=True, help="Learn only these codes (repeat for several).")
@click.option("--dry-run", is_flag=True, help="Train and report; write nothing.")
@_TABLE_OUT
def run_(project: str, coders: tuple[str, ...], codebook_file: str | None, unit: str, min_positive: int, seed: int,
         codes: tuple[str, ...], dry_run: bool, table_out: str | None) -> None:
    """Train on the coders' decisions, print the table, and write suggestions (origin model)."""
    run = _train(project, coders, codebook_file, unit, min_positive, seed, codes, dry_run)
    _report(run, table_out)
    nothing = ("" if run.total else
               " (every code's suggestion is the rules' and the rules' own suggestions come from `qualcode code`)"
               if run.transcripts_suggested else
               " (every transcript is coded by these coders: there is none to suggest for)")
    if run.dry_run:
        click.echo(f"Dry run: would write {run.total} suggestion(s) in {len(run.transcripts_suggested)} "
                   f"transcript(s){nothing}; nothing was changed.")
    else:
        click.echo(f"Run {run.id}: wrote {run.total} suggestion(s) in {len(run.transcripts_suggested)} "
                   f"transcript(s){nothing} (model {run.model_id}; {run.carried_over} earlier decision(s) applied)."
                   + (f" Review them: qualcode codings {project} --origin model --status suggested"
                      if run.total else ""))


@suggest.command(name="evaluate")
@_common
@click.option("--code", "codes", multiple=True, help="Evaluate only these codes (repeat for several).")
@_TABLE_OUT
def evaluate_(project: str, coders: tuple[str, ...], codebook_file: str | None, unit: str, min_positive: int,
              seed: int, codes: tuple[str, ...], table_out: str | None) -> None:
    """The cross-validated table only: rules, model and suggestion per code. Writes nothing."""
    run = _train(project, coders, codebook_file, unit, min_positive, seed, codes, True)
    _report(run, table_out)


@suggest.command(name="next")
@_common
@click.option("-n", "n", type=click.IntRange(min=1), default=10, show_default=True, help="How many turns.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def next_(project: str, coders: tuple[str, ...], codebook_file: str | None, unit: str, min_positive: int, seed: int,
          n: int, fmt: str) -> None:
    """The turns whose coding would teach the model most (least sure, or rules and model disagree)."""
    from qualcode.project import Project

    with Project.open(project) as p:
        frame = p.suggest_next(list(coders), n=n, unit=unit, codebook=codebook_file, min_positive=min_positive,
                               seed=seed)
    if frame.empty and fmt == "table":
        click.echo("No transcript is left that these coders did not code: there is nothing to rank.")
        return
    _emit(frame, fmt, None)
