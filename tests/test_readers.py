"""Every good fixture in tests/data imports as tests/data/README.md says: turns, speakers,
roles, timestamps, texts, encodings, languages and attributes."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import numbers
import re
import unicodedata
from pathlib import Path

import pytest

from qualcode.ingest import ImportOptions, read_file
from qualcode.project import Project

DATA = Path(__file__).parent / "data"
IV, RE, OT = "interviewer", "respondent", "other"


def _load_fixture_literals():
    spec = importlib.util.spec_from_file_location("make_fixtures", DATA / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FX = _load_fixture_literals()


def read_one(name: str, options: ImportOptions | None = None):
    found = read_file(DATA / name, options)
    assert len(found) == 1, f"{name} should give one transcript, got {[p.name for p in found]}"
    return found[0]


def words(p, turn) -> str:
    """A turn's text, whitespace-normalised (README: continuation joins may be \\n, \\n\\n or a space)."""
    return " ".join(p.text[turn.start:turn.end].split())


def alternate(a: str, b: str, n: int) -> list[str]:
    return [a if i % 2 == 0 else b for i in range(n)]


# name: (speakers in order, roles, timestamps or None, language, {turn index: text})
EXPECTED = {
    "cp1251_ru.txt": (
        alternate("Интервьюер", "Респондент", 5), {"Интервьюер": IV, "Респондент": RE}, None, "ru",
        {0: "Расскажите, пожалуйста, почему вы решили переехать из Шымкента в Петропавловск?",
         1: "В Шымкенте у меня не было постоянной работы. Двоюродный брат сказал, что на севере нужны "
            "сварщики, и весной 2018 года я поехал к нему. Первые полгода жил у брата, потом мы с женой "
            "сняли квартиру на улице «Интернациональная».",
         4: "Спасибо, на сегодня это всё."}),
    "koi8r_ru.txt": (
        alternate("И", "Р", 6), {"И": IV, "Р": RE}, None, "ru",
        {0: "Когда вы переехали в Павлодар?",
         3: "Там работала программа переселения: дали подъёмные и помогли с арендой. Мама сначала была "
            "против, но потом согласилась."}),
    "cp866_ru.txt": (
        alternate("Интервьюер", "Респондент", 6), {"Интервьюер": IV, "Респондент": RE}, None, "ru",
        {0: "Как вы нашли работу в Усть-Каменогорске?", 5: "Пока нет. Может быть, на пенсии."}),
    "utf16_bom_en.txt": (
        alternate("Interviewer", "Respondent", 6), {"Interviewer": IV, "Respondent": RE}, None, "en",
        {0: "Where did you live before moving north?", 5: "Every summer, for two weeks."}),
    "utf8_bom_crlf_en.txt": (
        alternate("I", "R", 4), {"I": IV, "R": RE}, None, "en",
        {0: "What do you do in Astana now?",
         1: "I work at a small caf\u00e9 near the railway station. The owner is also from Shymkent, so we "
            "speak Kazakh at work \U0001f642"}),
    "frontmatter_en.md": (
        alternate("Interviewer", "Respondent", 4), {"Interviewer": IV, "Respondent": RE}, None, "en",
        {0: "How did you decide to move?",
         3: "The older one cried the whole way. Now she says she likes the snow."}),
    "timestamps.txt": (
        alternate("Interviewer", "Respondent", 6), {"Interviewer": IV, "Respondent": RE},
        [195, 220, 5, 320, 3723, 6], "en",
        {0: "When did you first think about moving?",
         4: "Looking back now, was it the right decision?",
         5: "I think so. My children have better schools here."}),
    "named_speakers.txt": (
        alternate("Aliya", "Nurlan", 6), {"Aliya": IV, "Nurlan": RE}, None, "en",
        {0: "Nurlan, thank you for agreeing to talk. Where are you from originally?",
         3: "It was my uncle, really. He had moved to Kokshetau in the nineties and kept telling us how "
            "different life was there. My uncle said: come north. There is land, there are jobs, and "
            "nobody asks who your grandfather was. So in 2017 I packed one bag and took the train."}),
    "otter_style.txt": (
        alternate("Speaker 1", "Speaker 2", 6), {"Speaker 1": IV, "Speaker 2": RE}, [3, 9, 21, 24, 62, 65], "en",
        {0: "So, to start, can you tell me when you moved to Pavlodar?",
         1: "It was in 2019. In September, I think. Yes, September, because my daughter started school there.",
         5: "Finding a flat. Nobody wanted to rent to a family with three children."}),
    "kazakh_kk.txt": (
        alternate("Сұхбат алушы", "Респондент", 6), {"Сұхбат алушы": IV, "Респондент": RE}, None, "kk",
        {0: "Сіз Түркістаннан Петропавлға қашан көштіңіз?", 2: "Жаңа жерде не қиын болды?"}),
    "content_controls.docx": (
        alternate("Interviewer", "Respondent", 7), {"Interviewer": IV, "Respondent": RE}, None, "en",
        {0: "Why did you move to Petropavl?",
         1: "My cousin found me a job at the grain elevator, and the pay was regular.",
         2: "And your family?",
         3: "My wife joined me in the spring of 2021 with our two sons.",
         4: "Do you plan to stay in the north?",
         5: "Yes. The winters are long, but the children are happy here.",
         6: "Thank you, those are all my questions."}),
    "voice_tags.vtt": (
        alternate("Interviewer", "Aigerim Bekova", 5), {"Interviewer": IV, "Aigerim Bekova": RE},
        [1.0, 5.0, 11.0, 14.5, 19.5], "en",
        {0: "Aigerim, when did you move to Astana?",
         1: "In 2018, right after university. My sister already lived there, so I stayed with her at first.",
         2: "Was it hard to find work, at first?",
         3: "Not really. A bank hired me after two weeks.",
         4: "That was quick. Thank you."}),
    "subtitles.srt": (
        alternate("INTERVIEWER", "ASEL", 4), {"INTERVIEWER": IV, "ASEL": RE}, [1.0, 4.8, 12.0, 14.5], "en",
        {0: "Asel, why did you leave Taraz?",
         1: "My husband got a contract in Ekibastuz, at the power station. The contract was for three years, "
            "but we stayed.",
         3: "The people are kind. The wind is terrible. In winter I hardly go out at all."}),
    "interview.odt": (
        alternate("Interviewer", "Respondent", 4), {"Interviewer": IV, "Respondent": RE}, None, "en",
        {0: "What did you take with you when you moved?",
         1: "Only two suitcases and my grandmother's carpet.",
         3: "Because without it the new flat did not feel like home."}),
    "text_layer.pdf": (
        alternate("Interviewer", "Respondent", 6), {"Interviewer": IV, "Respondent": RE}, None, "en",
        {0: "When did you move from Taraz to Pavlodar?",
         1: "In 2015. I was twenty years old and had never seen snow in October.",
         2: "How did you find your first job?",
         3: "A neighbour worked at the aluminium plant and brought me to the foreman.",
         4: "Do you send money home?",
         5: "Every month. My mother built a new kitchen with it."}),
}
SINGLE_TRANSCRIPT_FILES = [*sorted(EXPECTED), "no_labels.txt"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_turns_speakers_roles_timestamps_and_texts(name):
    speakers, roles, stamps, language, texts = EXPECTED[name]
    p = read_one(name)
    assert [t.speaker for t in p.turns] == speakers
    assert {t.speaker: t.role for t in p.turns} == roles
    assert [t.index for t in p.turns] == list(range(len(speakers)))
    if stamps is None:
        assert all(t.timestamp is None for t in p.turns)
    else:
        assert [t.timestamp for t in p.turns] == pytest.approx(stamps)
    for index, text in texts.items():
        assert words(p, p.turns[index]) == text, f"turn {index + 1}"
    assert p.language == language
    for t in p.turns:  # the label, markup and timestamp are not part of the words
        said = p.text[t.start:t.end]
        assert said == said.strip() and said
        assert not said.startswith(f"{t.speaker}:") and "**" not in said
        assert not re.search(r"\d:\d\d", said), said


@pytest.mark.parametrize("name, encoding, literal", [
    ("cp1251_ru.txt", "cp1251", "CP1251_RU"),
    ("koi8r_ru.txt", "koi8_r", "KOI8R_RU"),
    ("cp866_ru.txt", "cp866", "CP866_RU"),
    ("utf16_bom_en.txt", "utf_16", "UTF16_EN"),
    ("utf8_bom_crlf_en.txt", "utf_8_sig", "UTF8_BOM_CRLF_EN"),
    ("kazakh_kk.txt", "utf_8", "KAZAKH_KK"),
])
def test_encoding_detected_and_text_decoded_exactly(name, encoding, literal):
    p = read_one(name)
    assert p.encoding == encoding
    assert p.text == unicodedata.normalize("NFC", getattr(FX, literal))
    assert "\r" not in p.text and "\ufeff" not in p.text


def test_cp1251_keeps_typography_and_unlabelled_paragraph():
    p = read_one("cp1251_ru.txt")
    for ch in "«»—ё":
        assert ch in p.text
    second_paragraph = "Первые полгода жил у брата, потом мы с женой сняли квартиру на улице «Интернациональная»."
    assert second_paragraph in p.text[p.turns[1].start:p.turns[1].end]


def test_nfc_normalisation_keeps_emoji_and_drops_bom_and_crlf():
    raw = (DATA / "utf8_bom_crlf_en.txt").read_bytes()
    assert "cafe\u0301".encode() in raw and b"\r\n" in raw  # the fixture really is NFD + CRLF
    p = read_one("utf8_bom_crlf_en.txt")
    said = p.text[p.turns[1].start:p.turns[1].end]
    assert "caf\u00e9" in said and "\U0001f642" in said
    assert "\u0301" not in p.text and "\ufeff" not in p.text and "\r" not in p.text


@pytest.mark.parametrize("name", SINGLE_TRANSCRIPT_FILES)
def test_sha256_is_of_the_original_file_bytes(name):
    assert read_one(name).sha256 == hashlib.sha256((DATA / name).read_bytes()).hexdigest()


@pytest.mark.parametrize("name, language", [
    ("cp1251_ru.txt", "ru"), ("koi8r_ru.txt", "ru"), ("cp866_ru.txt", "ru"), ("kazakh_kk.txt", "kk"),
    ("utf16_bom_en.txt", "en"), ("no_labels.txt", "en"), ("timestamps.txt", "en"), ("text_layer.pdf", "en"),
])
def test_language_detected(name, language):
    assert read_one(name).language == language


def test_front_matter_becomes_case_and_typed_attributes(db):  # stored on SQLite and on PostgreSQL
    p = read_one("frontmatter_en.md")
    assert p.case == "T01" and p.language == "en"
    assert p.attributes == {"gender": "female", "age": 34, "moved": dt.date(2019, 5, 1),
                            "region": "Turkistan", "synthetic": True}
    assert not p.text.lstrip().startswith("---") and "case: T01" not in p.text
    assert all("# Interview T01" not in p.text[t.start:t.end] for t in p.turns)
    with Project.create(db.new()) as project:
        assert project.import_files([DATA / "frontmatter_en.md"]).results[0].status == "imported"
        row = project.cases().set_index("case").loc["T01"]
        assert row["age"] == 34 and isinstance(row["age"], numbers.Number)
        assert row["moved"] == dt.date(2019, 5, 1)
        assert row["gender"] == "female" and row["region"] == "Turkistan"
        assert project.attribute_types()["age"] == "number"
        assert project.attribute_types()["moved"] == "date"
        assert project.transcripts().set_index("transcript").loc["frontmatter_en", "case"] == "T01"


def test_timestamps_are_removed_from_the_words_and_kept_in_file_order():
    p = read_one("timestamps.txt")
    for t in p.turns:
        assert not re.search(r"[\[(]?\d\d:\d\d", p.text[t.start:t.end])


def test_inferred_end_timestamp_is_never_before_the_start():
    # A .txt has only start times; the importer fills end_timestamp from the next turn's start.
    # timestamps.txt is deliberately not monotonic, so that guess can go backwards in time.
    for t in read_one("timestamps.txt").turns:
        assert t.end_timestamp is None or t.end_timestamp >= t.timestamp, (
            f"turn {t.index + 1} starts at {t.timestamp}s but ends at {t.end_timestamp}s")


def test_named_speakers_quoted_colon_is_not_a_speaker():
    p = read_one("named_speakers.txt")
    assert {t.speaker for t in p.turns} == {"Aliya", "Nurlan"}
    turn4 = p.text[p.turns[3].start:p.turns[3].end]
    assert "My uncle said: come north." in turn4
    assert turn4.rstrip().endswith("So in 2017 I packed one bag and took the train.")


def test_speaker_map_file_gives_roles_and_unused_entry_is_harmless():
    options = ImportOptions.with_speaker_map_file(DATA / "speaker_map.yaml")
    p = read_one("named_speakers.txt", options)
    assert {t.speaker: t.role for t in p.turns} == {"Aliya": IV, "Nurlan": RE}
    assert "Guest" not in {t.speaker for t in p.turns}


def test_speaker_map_overrides_inferred_roles(tmp_path):
    swapped = tmp_path / "swapped.yaml"
    swapped.write_text("Aliya: respondent\nNurlan: interviewer\n", encoding="utf-8")
    p = read_one("named_speakers.txt", ImportOptions.with_speaker_map_file(swapped))
    assert {t.speaker: t.role for t in p.turns} == {"Aliya": RE, "Nurlan": IV}
    # the map also overrides a role word used as a label
    mapped = tmp_path / "map.yaml"
    mapped.write_text("Respondent: other\n", encoding="utf-8")
    p = read_one("utf16_bom_en.txt", ImportOptions.with_speaker_map_file(mapped))
    assert {t.speaker: t.role for t in p.turns} == {"Interviewer": IV, "Respondent": OT}


def test_otter_header_lines_are_not_turn_text():
    p = read_one("otter_style.txt")
    for t in p.turns:
        assert "Speaker" not in p.text[t.start:t.end]
    assert "\n" in p.text[p.turns[1].start:p.turns[1].end]  # two lines, one turn


def test_docx_content_controls_and_table_rows():
    p = read_one("content_controls.docx")
    said = [p.text[t.start:t.end] for t in p.turns]
    assert not any("SYNTHETIC test document" in s for s in said)
    assert not any(s.strip() in ("Text", "Speaker") for s in said)
    assert "in the spring of 2021" in said[3] and "  " not in said[3]


def test_vtt_voice_tags_merge_and_markup_removed():
    p = read_one("voice_tags.vtt")
    assert p.source_format == "vtt"
    spans = [(t.timestamp, t.end_timestamp) for t in p.turns]
    assert spans == [(1.0, 4.0), (5.0, 11.0), (11.0, 14.0), (14.5, 19.0), (19.5, 22.0)]
    for junk in ("<", ">", "NOTE", "SYNTHETIC", "synthetic", "color", "-->", "align", ".loud", "WEBVTT"):
        assert junk not in p.text
    assert all(p.text[t.start:t.end] != "1" for t in p.turns)


def test_srt_unlabelled_cues_continue_the_speaker():
    p = read_one("subtitles.srt")
    spans = [(t.timestamp, t.end_timestamp) for t in p.turns]
    assert spans == [(1.0, 4.2), (4.8, 11.5), (12.0, 14.0), (14.5, 20.0)]
    assert "-->" not in p.text


def test_turns_csv_gives_one_transcript_per_interview():
    found = {p.name: p for p in read_file(DATA / "turns.csv")}
    assert sorted(found) == ["int_a", "int_b"]
    stamps = {"int_a": [5, 9, 62, 70], "int_b": [3, 7, 30, 41]}
    for name, p in found.items():
        assert [t.speaker for t in p.turns] == alternate("Interviewer", "Respondent", 4)
        assert [t.role for t in p.turns] == alternate(IV, RE, 4)
        assert [t.timestamp for t in p.turns] == pytest.approx(stamps[name])
        assert p.source_format == "csv"
    a = found["int_a"]
    assert a.text[a.turns[1].start:a.turns[1].end] == (
        "My friend offered me a place to stay, and the mines were hiring.\nI went in March 2017.")
    assert words(found["int_b"], found["int_b"].turns[3]) == "How quiet the streets are in the evening."
    assert found["int_a"].sha256 != found["int_b"].sha256


def test_survey_xlsx_gives_one_transcript_per_respondent(tmp_path):
    found = {p.name: p for p in read_file(DATA / "survey.xlsx")}
    ids = ["S01", "S02", "S03", "S04", "S05"]
    assert sorted(found) == [f"survey-{i}" for i in ids]
    genders = dict(zip(ids, ["female", "male", "female", "male", "female"], strict=True))
    ages = dict(zip(ids, [29, 41, 23, 35, 52], strict=True))
    answers = 0
    for rid in ids:
        p = found[f"survey-{rid}"]
        assert p.case == rid
        assert p.attributes == {"gender": genders[rid], "age": ages[rid]}
        assert [t.speaker for t in p.turns[::2]] == ["Question"] * (len(p.turns) // 2)
        assert {t.role for t in p.turns[::2]} == {IV}
        assert {(t.speaker, t.role) for t in p.turns[1::2]} == {(rid, RE)}
        assert words(p, p.turns[0]) == "why did you move"
        answers += len(p.turns) // 2
    assert answers == 9
    assert len(found["survey-S04"].turns) == 2
    s01 = found["survey-S01"]
    assert words(s01, s01.turns[2]) == "what was hardest"
    assert words(s01, s01.turns[3]) == "The cold. I did not own a proper winter coat."
    with Project.create(tmp_path / "p.qc") as project:
        assert project.import_files([DATA / "survey.xlsx"]).results[0].status == "imported"
        cases = project.cases().set_index("case")
        assert cases.loc["S05", "age"] == 52 and cases.loc["S02", "gender"] == "male"
        assert project.attribute_types()["age"] == "number"


def test_odt_heading_is_not_a_turn():
    p = read_one("interview.odt")
    assert all("Kyzylorda to Kostanay" not in p.text[t.start:t.end] for t in p.turns)


def test_pdf_two_pages_no_turn_crosses_the_break():
    p = read_one("text_layer.pdf")
    assert words(p, p.turns[2]) == "How did you find your first job?"
    assert words(p, p.turns[3]).startswith("A neighbour")


def test_no_labels_gives_unlabelled_paragraph_turns():
    p = read_one("no_labels.txt")
    assert len(p.turns) == 3
    assert all(t.speaker is None and t.role == RE for t in p.turns)
    paragraphs = FX.NO_LABELS_TXT.strip().split("\n\n")
    assert [p.text[t.start:t.end] for t in p.turns] == paragraphs


def test_cases_table_joined_to_transcripts_through_project(db):  # stored on SQLite and on PostgreSQL
    files = [DATA / "frontmatter_en.md", DATA / "cp1251_ru.txt", DATA / "utf16_bom_en.txt", DATA / "kazakh_kk.txt"]
    with Project.create(db.new()) as project:
        report = project.import_files(files, attributes=DATA / "cases.csv")
        assert [r.status for r in report.results] == ["imported"] * 5, [r.message for r in report.results]
        assert not any(r.warnings for r in report.results)  # front matter agrees with cases.csv
        cases_of = project.transcripts().set_index("transcript")["case"].to_dict()
        assert cases_of == {"frontmatter_en": "T01", "cp1251_ru": "T02", "utf16_bom_en": "T03",
                            "kazakh_kk": "kazakh_kk"}
        cases = project.cases().set_index("case")
        assert cases.loc["T02", "gender"] == "male" and cases.loc["T02", "age"] == 41
        assert cases.loc["T02", "region"] == "Shymkent" and cases.loc["T02", "moved"] == dt.date(2018, 3, 15)
        assert cases.loc["T03", "age"] == 27 and cases.loc["T03", "moved"] == dt.date(2016, 8, 20)
        assert cases.loc["T01", "age"] == 34 and cases.loc["T01", "moved"] == dt.date(2019, 5, 1)


def test_all_good_fixtures_store_the_same_turns_as_read_file(db):  # stored on SQLite and on PostgreSQL
    names = [*sorted(EXPECTED), "no_labels.txt", "turns.csv", "survey.xlsx"]
    with Project.create(db.new()) as project:
        report = project.import_files([DATA / n for n in names])
        assert [r.status for r in report.results] == ["imported"] * len(names), report.failed
        stored = project.transcripts().set_index("transcript")
        for name in names:
            for p in read_file(DATA / name):
                assert stored.loc[p.name, "turns"] == len(p.turns)
                assert stored.loc[p.name, "language"] == p.language
                frame = project.turns(p.name)
                assert list(frame["text"]) == [p.text[t.start:t.end] for t in p.turns]
                assert list(frame["speaker"].fillna("")) == [t.speaker or "" for t in p.turns]
                assert list(frame["role"]) == [t.role for t in p.turns]
                assert project.transcript_text(p.name) == p.text
        assert stored.loc["cp866_ru", "encoding"] == "cp866"
        assert stored.loc["koi8r_ru", "encoding"] == "koi8_r"
