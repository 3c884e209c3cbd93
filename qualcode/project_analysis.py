"""Analyses of a project: retrieval, matrices and cross-tabs, typologies, agreement, learned
suggestions and rule evaluation. A mixin of `qualcode.project_core.ProjectCore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy.engine import Engine

from qualcode.codebook import Codebook
from qualcode.codebook import load as load_codebook
from qualcode.errors import QualcodeError
from qualcode.evaluation import RuleEvaluation, evaluate
from qualcode.project_imports import Progress
from qualcode.store import coding_queries

# qualcode.analysis pulls in scipy (and the report scikit-learn): each method imports what it
# needs when called, so that opening a project to list its transcripts stays fast (issue 17).
if TYPE_CHECKING:
    from qualcode.analysis.agreement import Agreement
    from qualcode.analysis.report import TypologyReport
    from qualcode.analysis.typology import RuleTypology
    from qualcode.suggest.learn import ModelRun


class _AnalysisMethods:
    """Retrieval and analyses."""

    engine: Engine
    location: str

    def retrieve(self, codes: Sequence[str], *, where: dict[str, object] | None = None,
                 statuses: Sequence[str] = ("accepted", "suggested"), roles: Sequence[str] | None = None,
                 context: int = 240) -> pd.DataFrame:
        """Segments coded with `codes` (a parent code takes its sub-codes), of cases whose
        attributes pass `where` ({"gender": ["female"]}, {"age": (30, 45)}), with up to `context`
        characters of their turn before and after, and a `link` to the workbench."""
        from qualcode import retrieval

        frame = self.codings(status=list(statuses))
        names = sorted(set(frame["transcript"]))
        return retrieval.segments(frame, self.codes(), self.cases(), self.attribute_types(),
                                 self.turns(names),
                                 {n: self.transcript_text(n) for n in names}, list(codes), where=where,
                                 statuses=statuses, roles=roles, context=context)

    def rule_hits(self, codebook: Codebook | str | Path, code: str, *, rules: Sequence[str] | None = None,
                  transcripts: Sequence[str] | None = None) -> pd.DataFrame:
        """Where one code's rules (or the `rules` named) fire in the corpus, and each match's fate
        (coded, or why it was dropped); writes nothing."""
        from qualcode import codes as code_ops

        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        return code_ops.rule_hits(self.engine, book, code, rule_ids=rules, transcripts=transcripts)

    def matrix(self, kind: str = "presence", *, statuses: Sequence[str] = ("accepted", "suggested"),
               codes: Sequence[str] | None = None) -> pd.DataFrame:
        """Case × code matrix: `presence` (1/0), `count` (codings), `evidence` (the strongest
        coding's confidence, 1 without one) or `coverage` (% of the case's respondent words).
        Rejected codings never count; pass statuses=("accepted",) to leave
        suggestions out."""
        from qualcode.analysis import KINDS, case_code_matrix

        if kind not in KINDS:
            raise QualcodeError("E709", key="kind", value=kind, hint=f"Use one of: {', '.join(KINDS)}.")
        transcripts_frame = self.transcripts()
        extra = {}
        if kind == "coverage":
            extra = dict(turns=self.turns(), transcripts=transcripts_frame,
                         texts={n: self.transcript_text(n) for n in transcripts_frame["transcript"]})
        return case_code_matrix(self.codings(), list(self.cases()["case"]), kind=kind, statuses=statuses,
                                codes=codes, **extra)

    def crosstab(self, attribute: str, *, statuses: Sequence[str] = ("accepted", "suggested"),
                 codes: Sequence[str] | None = None, bins: int | Sequence[float] | None = None):
        """Code × case attribute (e.g. gender): counts, row %, and Fisher / chi-square (exact or
        Monte Carlo when cells are small) per code. See qualcode.analysis.crosstab."""
        from qualcode.analysis import code_by_attribute

        cases_frame = self.cases()
        if attribute not in cases_frame.columns or attribute == "case":
            raise QualcodeError("E722", name=attribute,
                                known=", ".join(c for c in cases_frame.columns if c != "case") or "(none)")
        try:
            return code_by_attribute(self.matrix("presence", statuses=statuses, codes=codes), cases_frame,
                                     attribute, bins=bins)
        except ValueError as exc:
            raise QualcodeError("E725", name=attribute, reason=str(exc)) from None

    def rule_typology(self, codebook: Codebook | str | Path, *,
                      statuses: Sequence[str] = ("accepted", "suggested")) -> RuleTypology:
        """Each case's profiles and type by the codebook's `profiles` and `types`, with reasons."""
        from qualcode.analysis import rule_typology

        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        return rule_typology(book, self.matrix("evidence", statuses=statuses))

    def typology(self, codebook: Codebook | str | Path | None = None, *, method: str = "both",
                 statuses: Sequence[str] = ("accepted", "suggested"), **options: object) -> TypologyReport:
        """Rule types and/or clusters of the cases, side by side, with reasons, cluster names,
        quotes and agreement (see qualcode.analysis.report.typology_report for `options`:
        codes, attributes, k, algorithm, metric, linkage, random_state, n_bootstrap).
        `codebook` defaults to the one of the last rule run."""
        from qualcode.analysis.report import typology_report

        if codebook is None:
            codebook = self.codebook()
            if codebook is None:
                path = self.last_codebook_path()
                raise QualcodeError("E705") if path is None else QualcodeError(
                    "E720", reason=f"the last run's codebook {path} is not there any more: name the codebook")
        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        codings = self.codings()
        used = codings[codings["status"].isin(statuses)]
        options.setdefault("structures", True)  # the CLI and the page compare both cluster spaces
        return typology_report(self.matrix("evidence", statuses=statuses), self.cases(), book=book,
                               method=method, quotes=used, **options)

    def agreement(self, coders: Sequence[str], *, unit: str = "turn", codes: Sequence[str] | None = None,
                  include_interviewer: bool = False, statuses: Sequence[str] = ("accepted", "suggested"),
                  n_boot: int = 1000, random_state: int | None = 0) -> Agreement:
        """Inter-coder agreement per code and overall (see qualcode.analysis.agreement for what
        is counted). `coders` are coder names, or `origin:rule` / `origin:model` for the
        machine's codings as one coder. With a machine coder, the transcripts compared are
        those every human coder among `coders` coded (all transcripts if there is none): the
        rules look at every transcript, so a transcript where they found nothing is a "no"."""
        from qualcode.analysis.agreement import agreement

        codings = self.codings()
        transcripts_frame = self.transcripts()
        chosen = None
        if any(":" in c for c in coders):
            humans = [c for c in coders if ":" not in c]
            if humans:
                coded = [set(codings.loc[codings["coder"] == h, "transcript"]) for h in humans]
                chosen = sorted(set.intersection(*coded))
            else:
                chosen = list(transcripts_frame["transcript"])
        texts = {n: self.transcript_text(n) for n in transcripts_frame["transcript"]}
        try:
            result = agreement(codings, self.turns(), texts, list(coders), unit=unit, codes=codes,
                               include_interviewer=include_interviewer, statuses=statuses, n_boot=n_boot,
                               random_state=random_state, transcripts=chosen)
        except ValueError as exc:
            raise QualcodeError("E723", reason=str(exc)) from None
        if result.per_code.empty:
            which = "accepted codings" if tuple(statuses) == ("accepted",) else "codings"
            raise QualcodeError("E723", reason=f"none of {', '.join(coders)} has {which} to compare in the "
                                               f"{len(result.transcripts)} transcript(s) they all coded"
                                               + (" (drop --accepted-only to count suggestions)"
                                                  if which == "accepted codings" else "") + ".")
        return result

    def suggest(self, coder: str | Sequence[str], *, codebook: Codebook | str | Path | None = None,
                unit: str = "sentence", codes: Sequence[str] | None = None, min_positive: int = 5, seed: int = 0,
                dry_run: bool = False, progress: Progress | None = None, actor: str | None = None) -> ModelRun:
        """Learn from a coder's (or several coders') human decisions and suggest codings for the
        transcripts they did not code (origin `model`); see qualcode.suggest. Replaces the previous
        unreviewed model suggestions in one transaction. `codebook` (default: the one of the last
        rule run, if its file is there) gives rule hits, negated and dropped ones too, as features.
        The audit log records the run ("suggest.learn") as `actor`'s."""
        from qualcode import audit
        from qualcode.suggest import learn

        with audit.acting(actor):
            return learn.suggest(self.engine, _coders(coder), unit=unit, codes=codes,
                                 book=self._suggest_book(codebook), min_positive=min_positive, seed=seed,
                                 dry_run=dry_run, progress=progress)

    def suggest_next(self, coder: str | Sequence[str], *, n: int = 10, unit: str = "sentence",
                     codebook: Codebook | str | Path | None = None, min_positive: int = 5,
                     seed: int = 0) -> pd.DataFrame:
        """The `n` turns whose human coding would teach the model most (least sure, or rules and
        model disagree), with a link into the workbench."""
        from qualcode.suggest import learn

        return learn.next_turns(self.engine, _coders(coder), n=n, unit=unit, book=self._suggest_book(codebook),
                                min_positive=min_positive, seed=seed)

    def suggestion_reasons(self, ids: Sequence[int]) -> dict[int, str]:
        """Why the model suggested these codings (JSON: the features that weighed most), by coding id."""
        from qualcode.suggest import storage

        with self.engine.connect() as conn:
            return storage.reasons(conn, list(ids))

    def _suggest_book(self, codebook: Codebook | str | Path | None) -> Codebook | None:
        if isinstance(codebook, Codebook):
            return codebook
        if codebook is not None:
            return load_codebook(codebook)
        return self.codebook()  # the one of the last rule run, as the project kept it

    def evaluate_rules(self, coder: str | None = None) -> RuleEvaluation:
        """Rule codings against human codings, per code at turn level (see qualcode.evaluation)."""
        with self.engine.connect() as conn:
            if coding_queries.last_rule_run(conn) is None:
                raise QualcodeError("E705")
        frame = self.codings()
        return evaluate(frame, self.turns(), coder=coder)


def _coders(coder: str | Sequence[str]) -> list[str]:
    return [coder] if isinstance(coder, str) else list(coder)
