"""Clause marker positions kept on an analysis across runs of a process (`MatchChecks._clauses`,
issue 17): a re-code that reuses them codes exactly what a fresh process codes, also when the
negation cues change between the runs (the positions of cues are kept per cue set)."""

from __future__ import annotations

from pathlib import Path

from qualcode import Project, autocode, load_codebook
from qualcode.codebook import loads
from qualcode.match_cache import MEMO
from tests.run_support import imported, rule_codings

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "interviews"
CODEBOOK = ROOT / "codebooks" / "migration.yaml"


def fresh_process() -> None:
    MEMO.clear()
    autocode._COMPILED.clear()


def project(tmp: Path, name: str) -> Project:
    return imported(tmp, name, INTERVIEWS)


def test_kept_clause_positions_code_as_a_fresh_process_when_cues_change(tmp_path: Path) -> None:
    text = CODEBOOK.read_text(encoding="utf-8")
    fewer = text.replace("negation:\n", "negation:\n  en: {cues: [not, never]}\n", 1)
    assert fewer != text
    book, other = load_codebook(CODEBOOK), loads(fewer, str(CODEBOOK))
    fresh_process()
    warm = project(tmp_path, "warm.qcdb")
    warm.autocode(book)
    assert any("_clause_positions" in a.__dict__ for a in MEMO.analyses.values())
    changed = warm.autocode(other)  # the same analyses, with positions kept from the first run
    assert changed.analysed == 0 and (changed.added or changed.removed)  # the fewer cues change codings
    back = warm.autocode(book)
    fresh_process()
    cold = project(tmp_path, "cold.qcdb")
    cold.autocode(other)
    cold_other = rule_codings(cold)
    fresh_process()
    cold.autocode(book)
    assert back.analysed == 0 and rule_codings(warm) == rule_codings(cold)
    warm.autocode(other)
    assert rule_codings(warm) == cold_other
    fresh_process()
    warm.close()
    cold.close()
