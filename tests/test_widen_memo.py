"""The last widening of an analysis, kept on it across runs of a process (`Proposals.propose`,
issue 17): a re-code that reuses it codes exactly what a fresh process codes, when what widening
reads changes without any rule's fingerprint changing (units, speakers)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from qualcode import Project, autocode, load_codebook
from qualcode.codebook import loads
from qualcode.match_cache import MEMO
from qualcode.store.schema import codes, codings

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "interviews"
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
DEFAULTS = "defaults:\n  unit: sentence\n  speakers: [respondent]\n"


def fresh_process() -> None:
    MEMO.clear()
    autocode._COMPILED.clear()


def rule_codings(p: Project) -> list[tuple]:
    """Every rule coding with the rule and the words that fired it."""
    query = select(codings.c.transcript_id, codes.c.path, codings.c.start_offset, codings.c.end_offset,
                   codings.c.rule_id, codings.c.match_start, codings.c.match_end).select_from(
        codings.join(codes)).where(codings.c.origin == "rule")
    with p.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(query))


def test_a_kept_widening_codes_as_a_fresh_process_when_units_or_speakers_change(tmp_path: Path) -> None:
    text = CODEBOOK.read_text(encoding="utf-8")
    assert DEFAULTS in text
    books = [load_codebook(CODEBOOK),
             loads(text.replace(DEFAULTS, "defaults:\n  unit: match\n  speakers: [respondent]\n"), str(CODEBOOK)),
             loads(text.replace(DEFAULTS, "defaults:\n  unit: sentence\n  speakers: [respondent, interviewer]\n"),
                   str(CODEBOOK)),
             load_codebook(CODEBOOK)]
    fresh_process()
    files = sorted(INTERVIEWS.glob("*.txt"))
    warm = Project.create(tmp_path / "warm.qcdb")
    assert warm.import_files(files).ok
    seen = []
    for n, book in enumerate(books):
        run = warm.autocode(book)  # from the second on: analyses and matches from this process's copy
        assert n == 0 or run.analysed == 0
        seen.append(rule_codings(warm))
    assert seen[0] != seen[1] and seen[0] != seen[2] and seen[3] == seen[0]
    for n, book in enumerate(books[:3]):
        fresh_process()
        with Project.create(tmp_path / f"cold{n}.qcdb") as cold:
            assert cold.import_files(files).ok
            cold.autocode(book)
            assert rule_codings(cold) == seen[n]
    fresh_process()
    warm.close()
