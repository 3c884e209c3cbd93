"""The rule-match cache: its binary bytes, and this process's copy of analyses and matches
(`qualcode.match_cache`, issue 17). A re-code that takes analyses and matches from the copy must
code, and store, exactly what a fresh process coding from nothing does."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from qualcode import Project, autocode, load_codebook
from qualcode.codebook import loads
from qualcode.match_cache import MEMO, dump_matches, load_matches
from qualcode.store.schema import nlp_cache

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "interviews"
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
SMALL = ROOT / "tests" / "data" / "autocode"


def fresh_process() -> None:
    """What a new process starts with: no copy of analyses or matches, no compiled rules."""
    MEMO.clear()
    autocode._COMPILED.clear()


def edited(text: str) -> str:
    """A typical edit: the first English phrase list gains a pattern."""
    out = text.replace("      en:\n        - phrase: [", "      en:\n        - phrase: [\"work\", ", 1)
    assert out != text
    return out


def interviews(tmp: Path, name: str) -> Project:
    p = Project.create(tmp / name)
    files = sorted(f for f in INTERVIEWS.iterdir() if f.suffix in {".txt", ".docx", ".md", ".vtt", ".odt", ".srt"}
                   and f.name != "README.md")
    assert p.import_files(files).ok
    return p


def rule_codings(p: Project) -> list[tuple]:
    frame = p.codings(origin="rule")
    return sorted(zip(frame["transcript"], frame["code"], frame["start"], frame["end"], frame["rule"], strict=True))


def match_rows(p: Project) -> dict[tuple[str, str], bytes]:
    with p.engine.connect() as conn:
        rows = conn.execute(select(nlp_cache.c.key, nlp_cache.c.pipeline_version, nlp_cache.c.data)
                            .where(nlp_cache.c.kind == "matches")).all()
    return {(r.key, r.pipeline_version): bytes(r.data) for r in rows}


def test_binary_matches_read_back_as_written_and_old_json_still_reads() -> None:
    matches = {"0123456789abcdef": [(3, 5, 10, 22), (40, 41, 200, 207)], "fedcba9876543210": [],
               "00000000ffffffff": [(0, 1, 0, 4)]}
    back = load_matches(dump_matches(matches))
    assert back == {fp: [list(m) for m in ms] for fp, ms in matches.items()}
    assert load_matches(dump_matches({})) == {}
    import json
    import zlib

    assert load_matches(zlib.compress(json.dumps(matches).encode())) == back  # matcher version 4's bytes
    assert load_matches(None) is None


def test_a_recode_from_this_process_copy_equals_a_full_code_in_a_fresh_process(tmp_path: Path) -> None:
    book = load_codebook(CODEBOOK)
    text = CODEBOOK.read_text(encoding="utf-8")
    after = loads(edited(text), str(CODEBOOK))

    fresh_process()
    warm = interviews(tmp_path, "warm.qcdb")
    first = warm.autocode(book)
    assert first.analysed > 0 and len(MEMO.analyses) == first.analysed
    recode = warm.autocode(after)  # analyses and unchanged rules' matches from this process's copy
    assert recode.analysed == 0 and recode.added  # the new pattern codes something

    fresh_process()
    cold = interviews(tmp_path, "cold.qcdb")
    full = cold.autocode(after)  # everything matched from nothing
    assert rule_codings(warm) == rule_codings(cold)
    assert recode.counts == full.counts
    # The project's cache holds the same bytes too: a later process reading it codes alike.
    assert match_rows(warm).keys() >= match_rows(cold).keys()
    cold_rows = match_rows(cold)
    assert {k: v for k, v in match_rows(warm).items() if k in cold_rows} == cold_rows

    # Every rule matched again from the copy's analyses only, the match cache emptied: the same codings.
    MEMO.matches.clear()
    with warm.engine.begin() as conn:
        conn.execute(nlp_cache.delete().where(nlp_cache.c.kind == "matches"))
    again = warm.autocode(after)
    assert again.added == {} and again.removed == {} and rule_codings(warm) == rule_codings(cold)
    assert match_rows(warm) == cold_rows
    warm.close()
    cold.close()


def test_a_dry_runs_copy_is_still_written_by_the_real_run(tmp_path: Path) -> None:
    fresh_process()
    with Project.create(tmp_path / "p.qcdb") as p:
        assert p.import_files(sorted(SMALL.glob("*.txt"))).ok
        dry = p.autocode(SMALL / "codebook_v1.yaml", dry_run=True)
        assert dry.analysed == 3 and match_rows(p) == {}
        real = p.autocode(SMALL / "codebook_v1.yaml")  # analyses and matches from the copy...
        assert real.analysed == 3  # ...but new to the project, so written and counted
        assert len(match_rows(p)) == 3
        with p.engine.connect() as conn:
            kinds = conn.execute(select(nlp_cache.c.kind)).scalars().all()
        assert kinds.count("analysis") == 3
        fresh_process()
        third = p.autocode(SMALL / "codebook_v1.yaml")  # a new process: all from the project
        assert (third.analysed, third.cached) == (0, 3) and third.added == {} and third.removed == {}


@pytest.fixture(autouse=True)
def _leave_a_fresh_process() -> None:
    yield
    fresh_process()


def test_an_index_of_few_anchors_finds_the_same_from_the_anchors_side(tmp_path: Path) -> None:
    """A re-code's few edited rules look their anchors up in each transcript's strings
    (`phrase_index.StringTable`) instead of every string in their index's cache: the same occurrences."""
    from qualcode.phrase_index import string_table

    book = load_codebook(CODEBOOK)
    p = interviews(tmp_path, "p.qcdb")
    texts = {n: p.transcript_text(n) for n in p.transcripts()["transcript"]}
    langs = dict(zip(p.transcripts()["transcript"], p.transcripts()["language"], strict=True))
    turns = p.turns()
    p.close()
    fresh_process()
    compared = found = 0
    for lang in ("en", "ru"):
        matcher = autocode.compile_rules(book, [lang])[lang]
        phrase_rules = sorted(r.id for r in book.rules(lang) if r.kind in ("phrase", "near"))
        analyses = {}
        for name, text in texts.items():
            if langs[name] == lang:
                rows = turns[turns["transcript"] == name]
                analyses[name] = matcher.nlp.analyse(text, list(zip(rows["turn"], rows["start"], rows["end"],
                                                                    strict=True)))
        for k in range(0, len(phrase_rules), 7):  # groups of rules with exact words, prefixes, several lemmas
            sub = matcher.subset(frozenset(phrase_rules[k:k + 7]))
            sub._compile()
            index = sub._parts[0][0]
            for name, a in analyses.items():
                if not 8 * len(index._anchor_exact) < len(a.strings):
                    continue
                fast = index.find(a.strings, a.lemma, a.lower, a.turn, lambda a=a: string_table(a))
                assert fast == index.find(a.strings, a.lemma, a.lower, a.turn), (name, phrase_rules[k:k + 7])
                compared += 1
                found += sum(map(len, fast.values()))
    assert compared > 50 and found > 50
