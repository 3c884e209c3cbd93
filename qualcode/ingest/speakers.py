"""Speaker labels and roles: which labels are interviewers, which respondents.

Known labels (`Interviewer`, `I`, `Q`, `Интервьюер`, `Р`, `Participant 3`, ...) get
their role directly. Other names are decided from how people speak: the one who
asks (turns with a question mark) and says less is the interviewer. A speaker
map, or `interviewer:` in front matter, overrides both.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from qualcode import safe_yaml
from qualcode.errors import ImportFileError
from qualcode.model import ROLES

INTERVIEWER_LABELS = {
    "interviewer", "int", "iv", "i", "q", "question", "moderator", "mod", "facilitator", "researcher",
    "investigator", "host", "reporter", "journalist", "interviewer a", "interviewer b",
    "интервьюер", "и", "в", "вопрос", "исследователь", "исследовательница", "модератор", "ведущий",
    "ведущая", "корреспондент", "журналист", "интервьюерка",
    "сұхбат алушы", "сұхбаттасушы", "сұрақ", "зерттеуші",
}
RESPONDENT_LABELS = {
    "respondent", "resp", "r", "a", "answer", "interviewee", "participant", "p", "informant", "subject",
    "narrator", "responder", "migrant",
    "респондент", "респондентка", "р", "о", "ответ", "информант", "информантка", "участник", "участница",
    "собеседник", "собеседница", "рассказчик",
    "жауап", "жауап беруші", "сұхбат беруші", "ақпарат беруші",
}
OTHER_LABELS = {
    "translator", "interpreter", "other", "unknown", "unidentified", "inaudible", "crosstalk", "all",
    "both", "group", "переводчик", "переводчица", "аудармашы", "неизвестный",
}
_NUMBERED = re.compile(r"^(?P<word>[^\W\d_][\w ]*?)[\s\-_#№]*\d+$")
GENERIC_SPEAKER = {"speaker", "спикер", "говорящий", "голос", "voice", "person", "unknown speaker"}

# Lines such as "Note: ..." or "Date: ..." look like labels but name no speaker.
NOT_SPEAKERS = {
    "note", "notes", "nb", "n.b", "ps", "p.s", "e.g", "eg", "example", "examples", "date", "time",
    "location", "place", "duration", "transcriber", "transcribed by", "transcript", "interview",
    "interview date", "interview time", "source", "title", "subject line", "tel", "phone", "email",
    "e-mail", "http", "https", "www", "re", "cc", "page", "total", "dear", "file", "project", "audio",
    "length", "start", "end", "language", "code", "codes", "memo", "comment", "comments", "remark",
    "примечание", "прим", "дата", "время", "место", "тема", "продолжительность", "источник",
    "расшифровка", "интервью", "файл", "комментарий", "ескерту", "күні", "уақыты",
}
# A label whose first word is one of these is a clause ("My boss said:"), not a speaker.
CLAUSE_STARTS = {
    "my", "his", "her", "our", "their", "your", "he", "she", "they", "we", "you", "it", "this", "that",
    "then", "and", "but", "so", "the", "a", "an", "there", "here", "what", "when", "because",
    "мой", "моя", "мои", "моё", "мое", "наш", "наша", "он", "она", "они", "мы", "вы", "ты", "это",
    "тогда", "и", "а", "но", "потом", "там", "его", "ее", "её", "их",
}
SPEECH_VERBS = {
    "said", "says", "told", "asked", "replied", "answered", "wrote", "writes", "shouted", "sign",
    "сказал", "сказала", "сказали", "говорит", "говорил", "говорила", "ответил", "ответила",
    "спросил", "спросила", "пишет", "написал", "написано", "говорю",
}


@functools.lru_cache(maxsize=4096)  # called for every label line; a transcript has few distinct labels
def label_key(label: str) -> str:
    """Compare labels case-insensitively, ignoring extra spaces and a trailing dot."""
    return re.sub(r"\s+", " ", label.strip().strip("*_").rstrip(".")).casefold()


def known_role(label: str) -> str | None:
    """The role a label names by itself ('Interviewer', 'R', 'Participant 3'), or None."""
    key = label_key(label)
    if key in INTERVIEWER_LABELS:
        return "interviewer"
    if key in RESPONDENT_LABELS:
        return "respondent"
    if key in OTHER_LABELS:
        return "other"
    match = _NUMBERED.match(key)
    if match:
        word = match.group("word").strip()
        if word in INTERVIEWER_LABELS:
            return "interviewer"
        if word in RESPONDENT_LABELS:
            return "respondent"
    return None


def is_generic(label: str) -> bool:
    """'Speaker 1', 'Спикер 2': a label that names nobody and no role."""
    key = label_key(label)
    match = _NUMBERED.match(key)
    return key in GENERIC_SPEAKER or bool(match and match.group("word").strip() in GENERIC_SPEAKER)


def plausible_name(label: str) -> bool:
    """Could this be a speaker's name or role, rather than a clause or a header field?"""
    key = label_key(label)
    words = key.split()
    if not words or len(words) > 4 or len(key) > 40 or key in NOT_SPEAKERS:
        return False
    if len(words) > 1 and words[0] in CLAUSE_STARTS:
        return False
    return words[-1] not in SPEECH_VERBS


@dataclass
class SpeakerStats:
    turns: int = 0
    questions: int = 0
    words: int = 0

    @property
    def question_ratio(self) -> float:
        return self.questions / self.turns if self.turns else 0.0

    @property
    def words_per_turn(self) -> float:
        return self.words / self.turns if self.turns else 0.0


def infer_roles(
    order: list[str],
    stats: dict[str, SpeakerStats],
    hints: dict[str, str] | None = None,
    speaker_map: dict[str, str] | None = None,
) -> dict[str, str]:
    """Decide a role for every speaker label in `order`.

    Precedence: the speaker map, then hints (front matter, `Name (interviewer):`),
    then the label itself, then behaviour: among the remaining speakers, the one who
    asks most (and, on a tie, talks least) is the interviewer if nobody is yet; the
    rest are respondents, and a speaker with a single short turn among many is 'other'.
    """
    hints = {label_key(k): v for k, v in (hints or {}).items()}
    speaker_map = {label_key(k): v for k, v in (speaker_map or {}).items()}
    roles: dict[str, str] = {}
    for label in order:
        key = label_key(label)
        role = speaker_map.get(key) or hints.get(key) or known_role(label)
        if role:
            roles[label] = role
    unknown = [label for label in order if label not in roles]
    if not unknown:
        return roles
    total_turns = sum(s.turns for s in stats.values()) or 1
    if "interviewer" not in roles.values():
        ranked = sorted(
            unknown, key=lambda s: (-stats[s].question_ratio, stats[s].words_per_turn, order.index(s))
        )
        top = ranked[0]
        only_two = len(order) == 2
        if stats[top].question_ratio >= 0.25 or (only_two and "respondent" not in roles.values()):
            roles[top] = "interviewer"
            unknown.remove(top)
    respondent_wpt = max((stats[s].words_per_turn for s in unknown), default=0.0)
    for label in unknown:
        st = stats[label]
        if st.turns == 1 and st.words < 25 and total_turns >= 10:
            roles[label] = "other"
        elif (
            "interviewer" in roles.values()
            and st.question_ratio >= 0.6
            and st.words_per_turn < 0.4 * respondent_wpt
        ):
            roles[label] = "interviewer"
        else:
            roles[label] = "respondent"
    return roles


def load_speaker_map(path: str | Path) -> dict[str, str]:
    """Read `Speaker label: role` from YAML/JSON, or a CSV with columns speaker,role."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError("E201", file=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError("E207", file=path,
                              reason=f"a speaker map must be UTF-8; byte {exc.start} is not") from None
    except OSError as exc:
        raise ImportFileError("E406", file=path, reason=exc.strerror or str(exc)) from None
    data: object
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        try:
            fields = [f.strip().lower() for f in (reader.fieldnames or [])]
            if "speaker" not in fields or "role" not in fields:
                raise ImportFileError("E405", file=path, found=f"columns {fields}")
            data = {row["speaker"]: row["role"]
                    for row in ({(k or "").strip().lower(): v for k, v in r.items()} for r in reader)}
        except csv.Error as exc:  # e.g. a cell over the csv module's 131,072-character limit
            raise ImportFileError("E405", file=path, found=f"a broken CSV at line {reader.line_num} ({exc})") from None
    elif path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFileError("E405", file=path, found=f"invalid JSON ({exc})") from exc
        except RecursionError:
            raise ImportFileError("E953", file=path, line=1, limit=safe_yaml.MAX_DEPTH, kind="speaker maps") from None
    else:
        try:
            data = safe_yaml.safe_load(text)
        except safe_yaml.Refused as exc:
            raise ImportFileError(exc.code, file=path, line=exc.line, kind="speaker maps", **exc.fields) from None
        except yaml.YAMLError as exc:
            raise ImportFileError("E405", file=path, found=f"invalid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ImportFileError("E405", file=path, found=type(data).__name__)
    return validate_speaker_map(data, path)


def validate_speaker_map(data: dict, source: str | Path = "speaker map") -> dict[str, str]:
    result: dict[str, str] = {}
    for speaker, role in data.items():
        role_text = str(role).strip().lower()
        if role_text not in ROLES:
            raise ImportFileError("E404", file=source, speaker=speaker, role=role)
        result[str(speaker)] = role_text
    return result


def count_stats(items: Iterable[tuple[str, str]]) -> dict[str, SpeakerStats]:
    """Stats per speaker from (speaker, turn text) pairs."""
    stats: dict[str, SpeakerStats] = {}
    for speaker, text in items:
        st = stats.setdefault(speaker, SpeakerStats())
        st.turns += 1
        st.words += len(text.split())
        if "?" in text:
            st.questions += 1
    return stats
