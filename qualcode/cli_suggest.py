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

SHOWN = ["code", "human_turns", "positives", "rules_f1", "rules_kappa", "model_f1", "model_kappa", "suggestion_f1",
         "suggestion_kappa", "verdict"]


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
    click.echo("Cross-validated by transcript, at turn level (rules alone | model | what the tool suggests):")
    click.echo(_table(shown, width=60), nl=False)


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


def _report(run) -> None:
    for warning in run.warnings:
        click.echo(f"warning: {warning}", err=True)
    _print_table(run.table)
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
def run_(project: str, coders: tuple[str, ...], codebook_file: str | None, unit: str, min_positive: int, seed: int,
         codes: tuple[str, ...], dry_run: bool) -> None:
    """Train on the coders' decisions, print the table, and write suggestions (origin model)."""
    run = _train(project, coders, codebook_file, unit, min_positive, seed, codes, dry_run)
    _report(run)
    if run.dry_run:
        click.echo(f"Dry run: would write {run.total} suggestion(s) in {len(run.transcripts_suggested)} "
                   "transcript(s); nothing was changed.")
    else:
        click.echo(f"Run {run.id}: wrote {run.total} suggestion(s) in {len(run.transcripts_suggested)} "
                   f"transcript(s) (model {run.model_id}; {run.carried_over} earlier decision(s) applied). "
                   f"Review them: qualcode codings {project} --origin model --status suggested")


@suggest.command(name="evaluate")
@_common
@click.option("--code", "codes", multiple=True, help="Evaluate only these codes (repeat for several).")
def evaluate_(project: str, coders: tuple[str, ...], codebook_file: str | None, unit: str, min_positive: int,
              seed: int, codes: tuple[str, ...]) -> None:
    """The cross-validated table only: rules, model and suggestion per code. Writes nothing."""
    run = _train(project, coders, codebook_file, unit, min_positive, seed, codes, True)
    _report(run)


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
    _emit(frame, fmt, None)
