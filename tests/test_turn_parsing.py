"""parse_text on inline transcripts: label styles, timestamps, continuation lines, things that look
like labels but are not, role inference, speaker maps; parse_timestamp; compose round trips."""

from __future__ import annotations

import pytest

from qualcode.ingest.captions import vtt_blocks
from qualcode.ingest.turns import Block, compose, parse_text, parse_timestamp

IV, RE, OT = "interviewer", "respondent", "other"


def turns_of(text: str, **kwargs) -> list[tuple]:
    """(speaker, role, timestamp, words) per turn, as a user would list them."""
    return [(t.speaker, t.role, t.timestamp, text[t.start:t.end]) for t in parse_text(text, **kwargs)]


def said(text: str, **kwargs) -> list[str]:
    return [" ".join(text[t.start:t.end].split()) for t in parse_text(text, **kwargs)]


# --- label styles ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, first, second", [
    ("Interviewer: Where are you from?\nRespondent: From Taraz.\n", "Interviewer", "Respondent"),
    ("I: Where are you from?\nR: From Taraz.\n", "I", "R"),
    ("Q: Where are you from?\nA: From Taraz.\n", "Q", "A"),
    ("Q. Where are you from?\nA. From Taraz.\n", "Q", "A"),
    ("INTERVIEWER: Where are you from?\nRESPONDENT: From Taraz.\n", "INTERVIEWER", "RESPONDENT"),
    ("Интервьюер: Where are you from?\nРеспондент: From Taraz.\n", "Интервьюер", "Респондент"),
    ("И: Where are you from?\nР: From Taraz.\n", "И", "Р"),
    ("**Interviewer:** Where are you from?\n\n**Respondent:** From Taraz.\n", "Interviewer", "Respondent"),
    ("__Q:__ Where are you from?\n__A:__ From Taraz.\n", "Q", "A"),
    ("**Interviewer**: Where are you from?\n**Respondent**: From Taraz.\n", "Interviewer", "Respondent"),
    ("Interviewer:\nWhere are you from?\nRespondent:\nFrom Taraz.\n", "Interviewer", "Respondent"),
])
def test_role_labels(text, first, second):
    assert turns_of(text) == [
        (first, IV, None, "Where are you from?"),
        (second, RE, None, "From Taraz."),
    ]


def test_repeated_names_are_speakers():
    text = "Aliya: Where from?\nNurlan: From the south.\nAliya: Why north?\nNurlan: Work.\n"
    assert turns_of(text) == [
        ("Aliya", IV, None, "Where from?"), ("Nurlan", RE, None, "From the south."),
        ("Aliya", IV, None, "Why north?"), ("Nurlan", RE, None, "Work."),
    ]


def test_one_speaker_in_two_spellings_is_one_speaker():
    text = "INTERVIEWER: Where from?\nRespondent: Taraz.\nInterviewer: Why?\nRESPONDENT: Work.\n"
    assert [(t.speaker, t.role) for t in parse_text(text)] == [
        ("INTERVIEWER", IV), ("Respondent", RE), ("INTERVIEWER", IV), ("Respondent", RE)]


def test_numbered_respondents_keep_their_numbers():
    text = "Interviewer: Where from?\nRespondent 1: Taraz.\nRespondent 2: Shymkent.\n"
    assert [(t.speaker, t.role) for t in parse_text(text)] == [
        ("Interviewer", IV), ("Respondent 1", RE), ("Respondent 2", RE)]


# --- timestamps --------------------------------------------------------------------------------

@pytest.mark.parametrize("line, seconds", [
    ("[00:03:15] Interviewer: Where from?", 195),
    ("00:03:15 Interviewer: Where from?", 195),
    ("(00:03) Interviewer: Where from?", 3),
    ("Interviewer [00:03:15]: Where from?", 195),
    ("Interviewer (00:03): Where from?", 3),
    ("Interviewer: [00:03:15] Where from?", 195),
    ("Interviewer: (03:15) Where from?", 195),
    ("[00:03:15.5] Interviewer: Where from?", 195.5),
    ("[1:02:03] Interviewer: Where from?", 3723),
])
def test_timestamp_styles(line, seconds):
    text = f"{line}\nRespondent: From Taraz.\n"
    first = turns_of(text)[0]
    assert first == ("Interviewer", IV, pytest.approx(seconds), "Where from?")


def test_timestamp_alone_on_the_line_before_a_label():
    text = "[00:01:00]\nInterviewer: Where from?\n[00:01:05]\nRespondent: Taraz.\n"
    assert [(t.speaker, t.timestamp) for t in parse_text(text)] == [("Interviewer", 60), ("Respondent", 65)]
    assert said(text) == ["Where from?", "Taraz."]


def test_otter_style_label_line_then_utterance():
    text = ("Speaker 1  0:03\nWhere did you live before?\n\nSpeaker 2  0:09\nIn Kentau.\nNear the mine.\n\n"
            "Speaker 1  1:02\nWhy did you leave?\n\nSpeaker 2  1:05\nThe mine closed.\n")
    assert turns_of(text) == [
        ("Speaker 1", IV, 3, "Where did you live before?"),
        ("Speaker 2", RE, 9, "In Kentau.\nNear the mine."),
        ("Speaker 1", IV, 62, "Why did you leave?"),
        ("Speaker 2", RE, 65, "The mine closed."),
    ]


def test_otter_style_speaker_who_speaks_once_is_still_a_speaker():
    # "Speaker N  M:SS" on its own line is an unambiguous label even the first and only time.
    text = ("Speaker 1  0:03\nWhere did you live before?\n\nSpeaker 2  0:09\nIn Kentau.\n\n"
            "Speaker 1  0:15\nWhy did you leave?\n\nSpeaker 3  0:20\nSorry, I have to go.\n")
    got = turns_of(text)
    assert [s for s, _, _, _ in got] == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 3"]
    assert all("Speaker" not in words for _, _, _, words in got)


def test_screenplay_names_alone_on_a_line():
    text = "INTERVIEWER\nWhere are you from?\n\nASEL\nFrom Taraz.\n\nINTERVIEWER\nWhy north?\n\nASEL\nWork.\n"
    assert turns_of(text) == [
        ("INTERVIEWER", IV, None, "Where are you from?"), ("ASEL", RE, None, "From Taraz."),
        ("INTERVIEWER", IV, None, "Why north?"), ("ASEL", RE, None, "Work."),
    ]


# --- lines that continue a turn or are not turns -------------------------------------------

def test_unlabelled_line_continues_the_turn():
    text = "Interviewer: Where from?\nRespondent: From Taraz.\nWe moved in 2017.\n\nIt was cold.\n"
    assert said(text) == ["Where from?", "From Taraz. We moved in 2017. It was cold."]


def test_quoted_speech_with_a_colon_does_not_start_a_turn():
    text = "Interviewer: Why north?\nRespondent: Work.\nMy boss said: go north, there are jobs.\nInterviewer: And?\n"
    got = turns_of(text)
    assert [s for s, _, _, _ in got] == ["Interviewer", "Respondent", "Interviewer"]
    assert got[1][3] == "Work.\nMy boss said: go north, there are jobs."


def test_quoted_speech_by_named_speakers_is_not_a_speaker():
    text = ("Dana: Why north?\nBolat: My uncle lived there.\nMy uncle said: come, there is work.\n"
            "Dana: And your wife?\nBolat: She came later.\n")
    assert {t.speaker for t in parse_text(text)} == {"Dana", "Bolat"}
    assert "My uncle said: come, there is work." in said(text)[1]


def test_a_time_of_day_in_the_words_is_not_a_timestamp():
    text = "Interviewer: When?\nRespondent: We left at 10:30: the train was late.\n"
    assert turns_of(text)[1] == ("Respondent", RE, None, "We left at 10:30: the train was late.")


def test_header_fields_and_preamble_are_not_turns():
    text = ("Interview R7, Pavlodar\nNote: recorded in a kitchen\nDate: 2021-03-01\nLocation: Pavlodar\n\n"
            "Interviewer: Why did you move?\nRespondent: Work.\nInterviewer: Anything else?\nRespondent: No.\n")
    turns = parse_text(text)
    assert [t.speaker for t in turns] == ["Interviewer", "Respondent", "Interviewer", "Respondent"]
    assert turns[0].start > text.index("Location: Pavlodar")
    assert all(not any(w in text[t.start:t.end] for w in ("Note", "Date", "Pavlodar", "R7")) for t in turns)


def test_no_labels_gives_one_turn_per_paragraph():
    text = "We lived in Taraz.\nThen we moved.\n\nThe first winter was hard.\n"
    turns = parse_text(text)
    assert [(t.speaker, t.role) for t in turns] == [(None, RE), (None, RE)]
    assert said(text) == ["We lived in Taraz. Then we moved.", "The first winter was hard."]


# --- roles -------------------------------------------------------------------------------------

NAMED = ("Bolat: In Taraz, near the river, where my parents still live.\nDana: Where did you grow up?\n"
         "Bolat: For work in the mines, mostly, and because my cousin was there.\nDana: And why leave?\n")


def test_the_speaker_asking_questions_is_the_interviewer():
    assert {t.speaker: t.role for t in parse_text(NAMED)} == {"Bolat": RE, "Dana": IV}


def test_speaker_map_overrides_inferred_roles():
    roles = {t.speaker: t.role for t in parse_text(NAMED, speaker_map={"Dana": "respondent", "Bolat": "interviewer"})}
    assert roles == {"Dana": RE, "Bolat": IV}
    # keys match case-insensitively, and a map overrides a role word too
    text = "Interviewer: Where from?\nRespondent: Taraz.\n"
    assert [t.role for t in parse_text(text, speaker_map={"respondent": "other"})] == [IV, OT]


def test_role_qualifier_in_the_label():
    text = ("Aliya (interviewer): Where from?\nNurlan (respondent): Taraz.\n"
            "Aliya (interviewer): Why?\nNurlan (respondent): Work.\n")
    assert [(t.speaker, t.role) for t in parse_text(text)][:2] == [("Aliya", IV), ("Nurlan", RE)]
    assert said(text)[0] == "Where from?"


# --- parse_timestamp ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, seconds", [
    ("[00:03:15]", 195.0), ("00:03:15", 195.0), ("(00:03)", 3.0), ("(03:15)", 195.0), ("0:03", 3.0),
    ("1:02:03.5", 3723.5), ("01:02:03,250", 3723.25), ("12:00:00", 43200.0),
    ("", None), (None, None), ("abc", None), ("[soon]", None),
])
def test_parse_timestamp(value, seconds):
    assert parse_timestamp(value) == seconds


# --- compose and the round trip ---------------------------------------------------------------

def test_compose_round_trip_repeated_speakers():
    blocks = [
        Block("Why did you move to Karaganda?", "Interviewer", 5),
        Block("My friend offered me a place, and the mines were hiring.\nI went in March 2017.", "Aliya", 9),
        Block("Did you plan to stay?", "Interviewer", 62),
        Block("No. I thought one year.", "Aliya", 3723),
    ]
    text, composed = compose(blocks)
    assert text.startswith("[00:00:05] Interviewer: Why did you move to Karaganda?\n\n[00:00:09] Aliya: ")
    assert "[01:02:03] Aliya: No. I thought one year." in text
    assert [text[t.start:t.end] for t in composed] == [b.text for b in blocks]
    assert [(t.speaker, t.role) for t in composed] == [("Interviewer", IV), ("Aliya", RE)] * 2
    parsed = parse_text(text)
    key = [(t.speaker, t.role, t.start, t.end, t.timestamp) for t in composed]
    assert [(t.speaker, t.role, t.start, t.end, t.timestamp) for t in parsed] == key


def test_compose_round_trip_without_timestamps_named_speakers():
    blocks = [Block("Where from?", "Dana"), Block("From Taraz.", "Bolat"),
              Block("Why north?", "Dana"), Block("Work, mostly.", "Bolat")]
    text, composed = compose(blocks)
    assert text == "Dana: Where from?\n\nBolat: From Taraz.\n\nDana: Why north?\n\nBolat: Work, mostly.\n"
    assert [(t.speaker, t.role) for t in composed] == [("Dana", IV), ("Bolat", RE)] * 2
    assert [(t.speaker, t.role, t.start, t.end) for t in parse_text(text)] == \
        [(t.speaker, t.role, t.start, t.end) for t in composed]


def test_caption_cue_in_brackets_is_an_unlabelled_other_turn():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Interviewer>Where from?\n\n"
           "00:00:03.500 --> 00:00:05.000\n[laughter]\n\n00:00:05.000 --> 00:00:08.000\n<v Dana>From Taraz.\n\n"
           "00:00:08.000 --> 00:00:09.000\n<v Dana>And you?\n")
    text, turns = compose(vtt_blocks(vtt))
    assert [(t.speaker, t.role, text[t.start:t.end]) for t in turns] == [
        ("Interviewer", IV, "Where from?"), (None, OT, "[laughter]"), ("Dana", RE, "From Taraz. And you?")]
    assert [(t.timestamp, t.end_timestamp) for t in turns] == [(1.0, 3.0), (3.5, 5.0), (5.0, 9.0)]
