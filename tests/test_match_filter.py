"""The clause checks asked only where a marker is near (`qualcode.match_filter`, issue 17) keep
every rule match that checking all of them keeps, and drop every one it drops: `dropped` (what
`rule_matches` uses) asks each check only where its own marker is near."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from qualcode import Project, autocode, load_codebook, match_filter
from qualcode.autocode import TurnSpan
from qualcode.nlp import Analysis, pipeline

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, list[TurnSpan], Analysis]]:
    files = sorted(f for f in (ROOT / "interviews").iterdir()
                   if f.suffix in {".txt", ".docx", ".md", ".vtt", ".odt", ".srt"} and f.name != "README.md")
    for gold in sorted((ROOT / "tests" / "data").glob("gold*")):
        if gold.name != "gold3":  # the untouched yardstick: only ever read to be measured
            files += sorted(gold.glob("*.txt"))
    out = []
    tmp = tmp_path_factory.mktemp("filter")
    with Project.create(tmp / "p.qcdb") as p:
        assert p.import_files(files).ok
        # The interviews again with every 12 words between quotation marks: quoted words are
        # reported speech (`Clauses.quoted`), marker or not, so the filter must ask about them.
        rows, turns = p.transcripts(), p.turns()
        quoted = []
        for n, (name, lang) in enumerate(zip(rows["transcript"], rows["language"], strict=True)):
            if n % 3:
                continue
            marks = ("«", "»") if lang == "ru" else ('"', '"')
            said = []
            for r in turns[turns["transcript"] == name].itertuples():
                words = r.text.split()
                said.append(f"{r.speaker or 'Respondent'}: " + " ".join(
                    marks[0] + " ".join(words[i:i + 12]) + marks[1] for i in range(0, len(words), 12)))
            path = tmp / f"quoted{n}.txt"
            path.write_text(f"---\nlanguage: {lang}\n---\n\n" + "\n\n".join(said) + "\n", encoding="utf-8")
            quoted.append(path)
        assert p.import_files(quoted).ok
        rows, turns = p.transcripts(), p.turns()
        for name, lang in zip(rows["transcript"], rows["language"], strict=True):
            t = turns[turns["transcript"] == name]
            text = p.transcript_text(name)
            spans = [TurnSpan(i, r, s, e) for i, r, s, e in zip(
                t["turn"], t["role"], t["start"], t["end"], strict=True)]
            # Analysed once here: the tests below match them several times.
            out.append((lang, text, spans, pipeline(lang).analyse(text, [(s.idx, s.start, s.end) for s in spans])))
    return out


def all_matches(transcripts, book, every: int = 1) -> dict[str, list]:
    """`rule_matches` of the transcripts (of every `every`-th one)."""
    out = {}
    for lang in ("en", "ru", "kk"):  # Kazakh: negation in a window (no clause grammar)
        matcher = autocode.compile_rules(book, [lang])[lang]
        for n, (tlang, text, turns, a) in enumerate(transcripts):
            if tlang == lang and n % every == 0:
                out[f"{lang}{n}"] = matcher.rule_matches(a, text, turns)
    return out


def every_match_checked(transcripts, book) -> tuple[dict[str, dict], Counter]:
    """What `rule_matches` keeps when `_drop_reason` is asked about every raw match, one by one,
    and why the others drop (the first word of each reason)."""
    out, why = {}, Counter()
    for lang in ("en", "ru", "kk"):  # Kazakh: negation in a window (no clause grammar)
        matcher = autocode.compile_rules(book, [lang])[lang]
        for n, (tlang, text, turns, a) in enumerate(transcripts):
            if tlang != lang:
                continue
            occ = matcher._rule_occurrences(a)
            raw = matcher._raw(a, text, turns, occ)
            occ = matcher._with_context(a, occ)
            kept = {matcher.fingerprints[r.id]: [] for r in matcher.rules}
            for rule, s, t, cs, ce in raw:
                reason = matcher._drop_reason(rule, s, t, a, occ, None)
                if reason is None:
                    kept[matcher.fingerprints[rule.id]].append((s, t, cs, ce))
                else:
                    why[reason.split(":")[0]] += 1
            out[f"{lang}{n}"] = kept
    return out, why


def test_checks_asked_where_their_marker_is_near_drop_what_checking_every_match_does(
        transcripts, monkeypatch) -> None:
    book = load_codebook(ROOT / "codebooks" / "migration.yaml")
    autocode._COMPILED.clear()
    every, why = every_match_checked(transcripts, book)
    # The corpora show every check dropping matches, so leaving one out would show below.
    assert set(why) >= {"question", "negation", "hypothetical", "reported", "someone else", "unless", "sense"}, why
    asked, real_looks = [], match_filter.first_looks

    def counting(*args):
        looks = real_looks(*args)
        asked.append((sum(int(look.sum()) for bit, look in looks if bit != match_filter.UNLESS | match_filter.SENSE),
                      len(args[4])))
        return looks

    monkeypatch.setattr(match_filter, "first_looks", counting)
    autocode._COMPILED.clear()
    assert all_matches(transcripts, book) == every
    checks, total = map(sum, zip(*asked, strict=True))
    assert checks < total  # fewer questions asked than matches (each asks up to five without the looks)
    # Each first look left out (its check never asked) changes the matches: the comparison sees it
    # (on a third of the transcripts, to keep the test short).
    third = {k: v for k, v in every.items() if int(k[2:]) % 3 == 0}
    for left_out in (match_filter.ASKED, match_filter.NEGATION, match_filter.HYPOTHETICAL,
                     match_filter.REPORTED, match_filter.SELF, match_filter.UNLESS | match_filter.SENSE):
        monkeypatch.setattr(match_filter, "first_looks", lambda *args, bit=left_out: [
            (b, look & False if b == bit else look) for b, look in real_looks(*args)])
        assert all_matches(transcripts, book, every=3) != third, left_out
    autocode._COMPILED.clear()

