"""The clause checks asked only where a marker is near (`qualcode.match_filter`, issue 17) keep
every rule match that checking all of them keeps, and drop every one it drops."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode import Project, autocode, load_codebook, match_filter
from qualcode.autocode import TurnSpan

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, list[TurnSpan]]]:
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
            out.append((lang, p.transcript_text(name), [TurnSpan(i, r, s, e) for i, r, s, e in zip(
                t["turn"], t["role"], t["start"], t["end"], strict=True)]))
    return out


def all_matches(transcripts, book) -> dict[str, list]:
    out = {}
    for lang in ("en", "ru"):
        matcher = autocode.compile_rules(book, [lang])[lang]
        for n, (tlang, text, turns) in enumerate(transcripts):
            if tlang == lang:
                a = matcher.nlp.analyse(text, [(t.idx, t.start, t.end) for t in turns])
                out[f"{lang}{n}"] = matcher.rule_matches(a, text, turns)
    return out


def test_the_filter_keeps_and_drops_what_checking_every_match_does(transcripts, monkeypatch) -> None:
    book = load_codebook(ROOT / "codebooks" / "migration.yaml")
    asked = []
    real = match_filter.to_check

    def counting(*args):
        out = real(*args)
        asked.append((sum(out), len(out)))
        return out

    monkeypatch.setattr(match_filter, "to_check", counting)
    filtered = all_matches(transcripts, book)
    monkeypatch.setattr(match_filter, "to_check", lambda m, a, c, occ, raw, bits: [True] * len(raw))
    autocode._COMPILED.clear()
    every = all_matches(transcripts, book)
    assert filtered == every
    checked, total = map(sum, zip(*asked, strict=True))
    assert checked < total  # the filter did skip checks...
    # ...and the corpus is one where skipping the wrong ones shows: without any check, matches change.
    monkeypatch.setattr(match_filter, "to_check", lambda m, a, c, occ, raw, bits: [False] * len(raw))
    autocode._COMPILED.clear()
    assert all_matches(transcripts, book) != every
    autocode._COMPILED.clear()
