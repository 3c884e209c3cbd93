"""`near` rules (`RuleKinds._near`, issue 17) fire where the plain definition says: for each
occurrence of the first item, every other item's nearest occurrence within `within` tokens in the
same turn (and sentence, unless the rule codes turns), the first in token order on a tie."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from qualcode import Project, autocode, load_codebook
from qualcode.autocode import TurnSpan

ROOT = Path(__file__).resolve().parent.parent


def plain_near(rule, items, occ, clauses):
    """The definition, with no shortcut: every occurrence of every other item compared."""
    found = [sorted({o for e in item for o in occ.get(e, ())}) for item in items]
    if len(items) < 2 or not all(found):
        return []
    out = []
    for s0, t0 in found[0]:
        span = [s0, t0]
        for others in found[1:]:
            fits = [(s, t) for s, t in others if (s, t) != (s0, t0) and abs(s - s0) <= rule.within
                    and clauses.turn[s] == clauses.turn[s0]
                    and (rule.unit == "turn" or clauses.sent[s] == clauses.sent[s0])]
            if not fits:
                break
            best = min(fits, key=lambda o: (abs(o[0] - s0), o))  # nearest, then first in token order
            span = [min(span[0], best[0]), max(span[1], best[1])]
        else:
            out.append((rule, span[0], span[1], clauses.start[span[0]], clauses.end[span[1] - 1]))
    return out


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, list[TurnSpan]]]:
    files = sorted(f for f in (ROOT / "interviews").iterdir()
                   if f.suffix in {".txt", ".docx", ".md", ".vtt", ".odt", ".srt"} and f.name != "README.md")
    for gold in ("gold", "gold2", "gold4"):
        files += sorted((ROOT / "tests" / "data" / gold).glob("*.txt"))
    with Project.create(tmp_path_factory.mktemp("near") / "p.qcdb") as p:
        assert p.import_files(files).ok
        rows, turns = p.transcripts(), p.turns()
        out = []
        for name, lang in zip(rows["transcript"], rows["language"], strict=True):
            t = turns[turns["transcript"] == name]
            out.append((lang, p.transcript_text(name), [TurnSpan(i, r, s, e) for i, r, s, e in zip(
                t["turn"], t["role"], t["start"], t["end"], strict=True)]))
    return out


def test_near_rules_fire_where_the_plain_definition_says(transcripts) -> None:
    book = load_codebook(ROOT / "codebooks" / "migration.yaml")
    fired = 0
    for lang in ("en", "ru"):
        matcher = autocode.compile_rules(book, [lang])[lang]
        for tlang, text, turns in transcripts:
            if tlang != lang:
                continue
            a = matcher.nlp.analyse(text, [(t.idx, t.start, t.end) for t in turns])
            occ = matcher.occurrences(a)
            clauses = matcher._clauses(a)
            memo: dict = {}
            for rule, items in matcher.near:
                want = plain_near(rule, items, occ, clauses)
                assert list(matcher._near(rule, items, occ, clauses, memo)) == want, rule.id
                assert list(matcher._near(rule, items, occ, clauses)) == want, rule.id  # without the memo
                fired += len(want)
    assert fired > 30  # the comparison saw rules fire


# A hand-made case: one turn, one sentence of 20 tokens; a rule of a sentence, within 5 tokens.
CLAUSES = SimpleNamespace(turn=[0] * 20, sent=[0] * 20, start=list(range(0, 40, 2)), end=list(range(1, 41, 2)))
RULE = SimpleNamespace(id="r", unit="sentence", within=5)


@pytest.mark.parametrize(("first", "other", "span"), [
    ([(10, 11)], [(7, 8), (13, 14)], (7, 11)),  # a tie: the one before, first in token order
    ([(10, 11)], [(8, 9), (13, 14)], (8, 11)),  # nearer before
    ([(10, 11)], [(6, 7), (12, 14)], (10, 14)),  # nearer after
    ([(10, 12)], [(10, 11), (10, 12)], (10, 12)),  # the same start, not the match itself: the shorter
    ([(10, 11)], [(10, 11)], None),  # only the match itself
    ([(10, 11)], [(16, 17), (4, 5)], None),  # too far both ways
])
def test_the_nearest_occurrence_and_ties(first, other, span) -> None:
    occ = {0: first, 1: other}
    got = list(autocode.Matcher._near(None, RULE, [[0], [1]], occ, CLAUSES))
    assert got == plain_near(RULE, [[0], [1]], occ, CLAUSES)
    assert [g[1:3] for g in got] == ([span] if span else [])
