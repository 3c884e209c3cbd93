"""Layout evidence that real transcripts carry besides `Label:` lines.

* a **legend** in the title block (`I = Interviewer    R = Respondent`, `И — интервьюер`) that
  names the labels and their roles;
* **marginal headings**: a short line without final punctuation ("Droving", "Gender
  Relations/Marriage") standing above a timecode or above indented text; they are topic
  notes, not speakers and not speech;
* **paragraphs** of an unlabelled transcript, where a line that falls back to the left
  margin after indented (hard-wrapped) lines starts a new paragraph;
* **alternation**: unlabelled interviewer and respondent paragraphs that take turns, told
  apart by cues (a question mark, an interrogative opening, a timecode that opens an
  answer) and decided for the whole document at once (Viterbi over two roles), so that one
  paragraph without cues follows its neighbours.

Everything here only reads the text and returns offsets into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualcode.ingest.speakers import known_role, label_key

TIMECODE = r"\d{1,2}:\d{2}(?::\d{2}(?::\d{2})?)?(?:[.,]\d{1,3})?"
_TC_START = re.compile(rf"^[ \t]*[\[(]?{TIMECODE}[\])]?(?:[ \t]|$)")
_LEGEND_PAIR = re.compile(
    r"(?<![\w])(?P<label>[^\W\d_][\w.]{0,11})[ \t]*(?:=|—|–|-)[ \t]*(?P<role>[^\W\d_]+)"
)
_SMALL_WORDS = {"and", "of", "the", "in", "on", "for", "to", "a", "at", "и", "в", "на", "о", "с", "по"}
_FINAL_PUNCT = tuple(".?!,;:…\"'”’»)-–—")
_QUESTION_OPENINGS = {
    "what", "how", "why", "when", "where", "who", "which", "did", "do", "does", "were", "was", "is", "are",
    "can", "could", "would", "will", "have", "had", "tell", "so", "and",
    "что", "как", "почему", "зачем", "когда", "где", "кто", "какой", "какая", "какие", "сколько",
    "расскажите", "скажите", "а", "и", "вы", "ли",
}
LEGEND_LINES = 40  # a legend stands in the title block


def legend(text: str) -> dict[str, str]:
    """Labels a legend line names, with their roles: {'I': 'interviewer', 'R': 'respondent'}."""
    return legend_lines(text)[0]


def legend_lines(text: str) -> tuple[dict[str, str], set[int]]:
    """The legend, and the numbers of the lines that hold it (they open no turn)."""
    found: dict[str, str] = {}
    lines: set[int] = set()
    for no, line in enumerate(text.split("\n")[:LEGEND_LINES]):
        if len(line.strip()) > 100 or not any(ch in line for ch in "=—–-"):
            continue  # speech, not a title block; or no legend sign
        pairs = []
        for m in _LEGEND_PAIR.finditer(line):
            role = known_role(m.group("role").strip())
            if role in ("interviewer", "respondent") and len(m.group("label")) <= 6:
                pairs.append((m.group("label").rstrip("."), role))
        # One pair is a legend only with '=' ("I = Interviewer"); "Date: ..." style lines are not.
        if len(pairs) >= 2 or (pairs and "=" in line):
            lines.add(no)
            for label, role in pairs:
                found.setdefault(label, role)
    return found, lines


def starts_with_timecode(line: str) -> bool:
    return bool(_TC_START.match(line))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def is_heading_text(words: str) -> bool:
    """A marginal topic heading: short, no final punctuation, starts with a capital letter."""
    words = words.strip()
    if len(words) < 2 or len(words) > 40 or len(words.split()) > 5 or words.endswith(_FINAL_PUNCT):
        return False
    if not words[0].isupper() or starts_with_timecode(words):
        return False
    # "Gender Relations/Marriage", "Детство": title case, or one or two words; not a sentence
    # that trails off ("You'd be painting and").
    tokens = re.split(r"[\s/]+", words)
    title = all(t[:1].isupper() or t.lower() in _SMALL_WORDS for t in tokens if t)
    if tokens[-1].lower() in _SMALL_WORDS or not (title or len(tokens) <= 2):
        return False
    return label_key(words) not in {"yes", "no", "ok", "okay", "yeah", "mmm", "да", "нет", "ага"}


def heading_lines(lines: list[tuple[int, str]]) -> set[int]:
    """Line numbers of marginal headings: heading text above a timecode or above indented text."""
    return {no for no in range(len(lines)) if heading_at(lines, no)}


def heading_at(lines: list[tuple[int, str]], no: int) -> bool:
    line = lines[no][1]
    if not is_heading_text(line) or _indent(line) > 4:
        return False
    nxt = [n for n in range(no + 1, min(no + 3, len(lines))) if lines[n][1].strip()]
    if not nxt:
        return False
    following = lines[nxt[0]][1]
    prev_blank = no == 0 or not lines[no - 1][1].strip() or _indent(lines[no - 1][1]) > 0
    return starts_with_timecode(following) or (_indent(following) > _indent(line) and prev_blank
                                               and nxt[0] == no + 1)


@dataclass
class Paragraph:
    start: int
    end: int
    text: str


def paragraphs(text: str, lines: list[tuple[int, str]], skip: set[int]) -> list[Paragraph]:
    """Blank-line separated paragraphs; a line back at the margin after indented lines opens a new one."""
    out: list[Paragraph] = []
    start = end = None
    first_indent = prev_indent = 0
    for no, (line_start, line) in enumerate([*lines, (len(text) + 1, "")]):
        blank = not line.strip() or no in skip
        indent = _indent(line)
        breaks = (not blank and start is not None and indent < prev_indent and indent <= first_indent)
        if (blank or breaks) and start is not None and end is not None:
            out.append(Paragraph(start, end, text[start:end]))
            start = end = None
        if blank:
            continue
        if start is None:
            start = line_start + indent
            first_indent = indent
        end = line_start + len(line.rstrip())
        prev_indent = indent
    return out


def _cues(p: Paragraph) -> float:
    """Evidence that a paragraph is the interviewer's (> 0) or the respondent's (< 0)."""
    body = p.text.strip()
    score = 0.0
    tail = body.rstrip(" \t\"'”’»)…."). rstrip()
    if tail.endswith("?"):
        score += 2.0
    elif "?" in body:
        score += 0.7
    first = re.split(r"[\s,]+", body.lower(), maxsplit=1)[0] if body else ""
    if first in _QUESTION_OPENINGS:
        score += 0.3
    if starts_with_timecode(body):
        score -= 2.0
    words = len(body.split())
    if words > 80:
        score -= 1.0
    return score


@dataclass
class Alternation:
    roles: list[str]  # per paragraph: interviewer | respondent
    cued: int  # paragraphs with a clear cue
    agreeing: int  # of those, how many got the role their cue points to
    confidence: float = 0.0
    notes: list[str] = field(default_factory=list)


SWITCH_BONUS = 1.2  # alternation is the rule; two paragraphs of one speaker need cues for it


def alternate(paras: list[Paragraph]) -> Alternation:
    """Interviewer/respondent for each paragraph: the best sequence under cues and alternation."""
    cues = [_cues(p) for p in paras]
    # Viterbi over states 0 = interviewer, 1 = respondent; emission = ±cue/2.
    best = [[cues[0] / 2, -cues[0] / 2]]
    back: list[list[int]] = [[0, 1]]
    for cue in cues[1:]:
        row, ptr = [], []
        for state, emit in ((0, cue / 2), (1, -cue / 2)):
            stay = best[-1][state]
            switch = best[-1][1 - state] + SWITCH_BONUS
            row.append(max(stay, switch) + emit)
            ptr.append(state if stay >= switch else 1 - state)
        best.append(row)
        back.append(ptr)
    state = 0 if best[-1][0] >= best[-1][1] else 1
    path = [state]
    for ptr in reversed(back[1:]):
        state = ptr[state]
        path.append(state)
    path.reverse()
    roles = ["interviewer" if s == 0 else "respondent" for s in path]
    cued = [(c, r) for c, r in zip(cues, roles, strict=True) if abs(c) >= 1.0]
    agreeing = sum(1 for c, r in cued if (c > 0) == (r == "interviewer"))
    confidence = (agreeing / len(cued)) * min(1.0, len(cued) / max(4, len(paras) / 3)) if cued else 0.0
    return Alternation(roles, len(cued), agreeing, round(confidence, 2))


def looks_like_dialogue(paras: list[Paragraph]) -> bool:
    """Unlabelled paragraphs that read as questions and answers, not one written account."""
    if len(paras) < 4:
        return False
    questions = sum(1 for p in paras if _cues(p) >= 1.0)
    return questions >= 2 and questions >= 0.15 * len(paras)
