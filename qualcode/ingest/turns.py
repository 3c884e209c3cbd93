"""Find speaker turns in transcript text, or compose text from known turns.

Two ways in:

* `parse_text` takes the text of a .txt/.md/.docx/.odt/.pdf transcript as it is,
  finds lines that open a turn with a speaker label (`Interviewer:`,
  `[00:03:15] R:`, `**Q:**`, `Speaker 1  0:03` on its own line, ...) and returns
  turns whose offsets point into that same text. A line without a label continues
  the turn. A label that is not a known role word counts only if it opens at least
  two lines, so a quoted "My boss said: ..." does not start a turn.
* `compose` takes blocks whose speakers are already known (captions, table rows)
  and writes a readable text (`[00:00:05] Name: words`), with turns pointing at
  the words.

Roles come from `speakers.infer_roles`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from qualcode.ingest.speakers import (
    count_stats,
    infer_roles,
    known_role,
    label_key,
    plausible_name,
)
from qualcode.model import Turn

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TS_BRACKETED = rf"(?:\[{_TS}\]|\({_TS}\))"
_TS_ANY = rf"(?:{_TS_BRACKETED}|{_TS})"
_LABEL = r"(?P<label>[^\W\d_][\w.'’\-]*(?: [\w.'’\-&]+){0,3}?)"
_QUAL = r"(?:[ \t]*\((?P<qual>(?![\d:]+\))[^()\n]{1,40})\))?"
_MD = r"(?:\*\*|__|\*)?"

# "[00:03:15] Interviewer [00:03:15]: [00:03:15] text" and the markdown **Label:** forms.
COLON_LINE = re.compile(
    rf"^[^\S\n]*(?:(?P<ts1>{_TS_ANY})[^\S\n]+)?{_MD}{_LABEL}{_QUAL}{_MD}"
    rf"(?:[^\S\n]*(?P<ts2>{_TS_ANY}))?[^\S\n]*{_MD}[^\S\n]*[:：](?!\d){_MD}"
    rf"[^\S\n]*(?:(?P<ts3>{_TS_BRACKETED}|\d{{1,2}}:\d{{2}}:\d{{2}}(?=[^\S\n]))[^\S\n]*)?(?P<rest>.*)$"
)
# "Q. text", "Interviewer – text", "Name<TAB>text": other separators, allowed for fewer labels.
ALT_LINE = re.compile(
    rf"^[^\S\n]*(?:(?P<ts1>{_TS_ANY})[^\S\n]+)?{_MD}{_LABEL}{_MD}"
    rf"(?P<sep>\.[^\S\n]+|[^\S\n]+[-–—][^\S\n]+|\t+)(?P<rest>\S.*)$"
)
# "Speaker 1  0:03" or "INTERVIEWER" alone on a line: the words follow on the next lines.
LABEL_ONLY = re.compile(
    rf"^[^\S\n]*(?:(?P<ts1>{_TS_ANY})[^\S\n]+)?{_MD}{_LABEL}{_QUAL}{_MD}[^\S\n]*[:：]?{_MD}"
    rf"(?:[^\S\n]+(?P<ts2>{_TS_ANY}))?[^\S\n]*$"
)
TS_ONLY = re.compile(rf"^[ \t]*(?P<ts>{_TS_ANY})[ \t]*$")
_DOT_LABELS = {"q", "a", "в", "о"}
_NOT_ALONE = {"ok", "okay", "yes", "no", "end", "pause", "да", "нет", "конец", "пауза", "the end"}


def parse_timestamp(text: str | None) -> float | None:
    """'[00:03:15]' → 195.0, '(03:15)' → 195.0 (mm:ss), '1:02:03.5' → 3723.5."""
    if not text:
        return None
    parts = text.strip("[]() ").replace(",", ".").split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + value
    return seconds


def format_timestamp(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


@dataclass
class _Candidate:
    line: int
    label: str
    qual: str | None
    timestamp: float | None
    content_start: int | None  # offset of the words on this line; None: they start on a later line
    kind: str  # colon | alt | alone


def _line_candidate(line: str, line_start: int, line_no: int) -> _Candidate | None:
    m = COLON_LINE.match(line)
    if m and m.group("label"):
        rest_start = m.start("rest")
        content = line_start + rest_start if m.group("rest").strip() else None
        ts = m.group("ts1") or m.group("ts2") or m.group("ts3")
        return _Candidate(line_no, m.group("label"), m.group("qual"), parse_timestamp(ts), content, "colon")
    m = ALT_LINE.match(line)
    if m and m.group("label"):
        sep = m.group("sep").strip() or "\t"
        return _Candidate(
            line_no, m.group("label"), None, parse_timestamp(m.group("ts1")),
            line_start + m.start("rest"), "dot" if sep == "." else ("tab" if sep == "\t" else "dash"),
        )
    m = LABEL_ONLY.match(line)
    if m and m.group("label"):
        ts = m.group("ts1") or m.group("ts2")
        return _Candidate(line_no, m.group("label"), m.group("qual"), parse_timestamp(ts), None, "alone")
    return None


def _accepted(cands: list[_Candidate]) -> set[str]:
    """Which label keys really open turns in this document."""
    counts: dict[str, int] = {}
    for c in cands:
        counts[label_key(c.label)] = counts.get(label_key(c.label), 0) + 1
    # "Speaker 1  0:03" lines: once two of them establish the layout, each one opens a turn,
    # even for a speaker who speaks only once.
    timed_alone = sum(1 for c in cands if c.kind == "alone" and c.timestamp is not None)
    accepted: set[str] = set()
    for c in cands:
        key = label_key(c.label)
        role = known_role(c.label) or (known_role(c.qual) if c.qual else None)
        if c.kind == "dot" and key not in _DOT_LABELS:
            continue
        if c.kind == "dash" and role is None:
            continue
        if c.kind == "alone" and c.timestamp is None:
            # A bare word on its own line is a label only if it is a role word, or an
            # upper-case name that recurs (screenplay style), e.g. "INTERVIEWER".
            if key in _NOT_ALONE:
                continue
            if role is None and not (c.label.isupper() and len(c.label) > 1 and counts[key] >= 2):
                continue
        if role is not None:
            accepted.add(key)
            continue
        if c.kind == "alone" and c.timestamp is not None and timed_alone >= 2 and plausible_name(c.label):
            accepted.add(key)
            continue
        if not plausible_name(c.label) or counts[key] < 2:
            continue
        if not (c.label[0].isupper() or counts[key] >= 3):
            continue
        accepted.add(key)
    return accepted


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _hint_roles(cands: list[_Candidate]) -> dict[str, str]:
    hints = {}
    for c in cands:
        if c.qual:
            role = known_role(c.qual)
            if role:
                hints[c.label] = role
    return hints


def parse_text(
    text: str,
    *,
    speaker_map: dict[str, str] | None = None,
    role_hints: dict[str, str] | None = None,
) -> list[Turn]:
    """Find the turns in `text`. Offsets index `text`; `text` is not changed.

    With no speaker labels at all, every paragraph (blank-line separated) becomes a
    turn with no speaker and the role 'respondent' (a written or dictated account).
    """
    lines = _lines(text)
    cands = [c for no, (start, line) in enumerate(lines) if (c := _line_candidate(line, start, no))]
    accepted = _accepted(cands)
    openers = {c.line: c for c in cands if label_key(c.label) in accepted}
    if not openers:
        return _paragraph_turns(text, lines)

    # Walk the lines: an opener starts a turn; other non-blank lines extend it.
    raw: list[dict] = []
    pending_ts: float | None = None
    for no, (start, line) in enumerate(lines):
        opener = openers.get(no)
        if opener is not None:
            ts = opener.timestamp if opener.timestamp is not None else pending_ts
            raw.append({
                "label": opener.label.strip("*_ "), "qual": opener.qual, "timestamp": ts,
                "start": opener.content_start, "end": None,
            })
            if opener.content_start is not None:
                raw[-1]["end"] = start + len(line.rstrip())
            pending_ts = None
            continue
        if not line.strip():
            continue
        ts_only = TS_ONLY.match(line)
        if ts_only and no + 1 < len(lines):
            # A timestamp alone on a line belongs to the turn the next label opens.
            nxt = next((n for n in range(no + 1, len(lines)) if lines[n][1].strip()), None)
            if nxt is not None and nxt in openers:
                pending_ts = parse_timestamp(ts_only.group("ts"))
                continue
        if not raw:
            continue  # preamble before the first speaker: title, date, notes
        turn = raw[-1]
        if turn["start"] is None:
            turn["start"] = start + (len(line) - len(line.lstrip()))
        turn["end"] = start + len(line.rstrip())

    turns_raw = [t for t in raw if t["start"] is not None and t["end"] is not None]
    # Use the label's first spelling for every turn, so "INTERVIEWER" and "Interviewer" are one speaker.
    display: dict[str, str] = {}
    for t in turns_raw:
        display.setdefault(label_key(t["label"]), t["label"])
    order: list[str] = list(dict.fromkeys(display[label_key(t["label"])] for t in turns_raw))
    stats = count_stats((display[label_key(t["label"])], text[t["start"]:t["end"]]) for t in turns_raw)
    hints = dict(role_hints or {})
    hints.update(_hint_roles([c for c in openers.values() if c.qual]))
    roles = infer_roles(order, stats, hints, speaker_map)
    result = []
    for i, t in enumerate(turns_raw):
        speaker = display[label_key(t["label"])]
        result.append(Turn(i, speaker, roles[speaker], t["start"], t["end"], t["timestamp"]))
    _fill_end_timestamps(result)
    return result


def _paragraph_turns(text: str, lines: list[tuple[int, str]]) -> list[Turn]:
    turns: list[Turn] = []
    start = end = None
    for line_start, line in [*lines, (len(text) + 1, "")]:
        if line.strip():
            if start is None:
                start = line_start + (len(line) - len(line.lstrip()))
            end = line_start + len(line.rstrip())
        elif start is not None and end is not None:
            turns.append(Turn(len(turns), None, "respondent", start, end))
            start = end = None
    return turns


def _fill_end_timestamps(turns: list[Turn]) -> None:
    for turn, nxt in itertools.pairwise(turns):
        if (turn.timestamp is not None and turn.end_timestamp is None and nxt.timestamp is not None
                and nxt.timestamp >= turn.timestamp):
            turn.end_timestamp = nxt.timestamp


@dataclass
class Block:
    """A piece of speech whose speaker a reader already knows (a caption cue, a table row)."""

    text: str
    speaker: str | None = None
    timestamp: float | None = None
    end_timestamp: float | None = None
    role: str | None = None


def merge_blocks(blocks: list[Block]) -> list[Block]:
    """Join consecutive blocks of one speaker (captions split a long answer into cues)."""
    merged: list[Block] = []
    for b in blocks:
        if merged and b.speaker == merged[-1].speaker and b.role == merged[-1].role:
            prev = merged[-1]
            prev.text = f"{prev.text} {b.text}".strip()
            prev.end_timestamp = b.end_timestamp if b.end_timestamp is not None else prev.end_timestamp
        else:
            merged.append(Block(b.text, b.speaker, b.timestamp, b.end_timestamp, b.role))
    return merged


def compose(
    blocks: list[Block],
    *,
    speaker_map: dict[str, str] | None = None,
    role_hints: dict[str, str] | None = None,
) -> tuple[str, list[Turn]]:
    """Write blocks as `[hh:mm:ss] Speaker: words` paragraphs; turns point at the words.

    The layout is the one `parse_text` reads, so an exported transcript re-imports
    with the same turns (for speakers who speak more than once or have role labels).
    """
    blocks = [b for b in blocks if b.text.strip()]
    order = list(dict.fromkeys(b.speaker for b in blocks if b.speaker))
    stats = count_stats((b.speaker, b.text) for b in blocks if b.speaker)
    fixed = {b.speaker: b.role for b in blocks if b.speaker and b.role}
    roles = infer_roles(order, stats, {**fixed, **(role_hints or {})}, speaker_map)
    parts: list[str] = []
    turns: list[Turn] = []
    pos = 0
    for b in blocks:
        prefix = ""
        if b.timestamp is not None:
            prefix += f"[{format_timestamp(b.timestamp)}] "
        if b.speaker:
            prefix += f"{b.speaker}: "
        body = b.text.strip()
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(prefix + body)
        start = pos + len(prefix)
        pos += len(prefix) + len(body)
        role = b.role or (roles.get(b.speaker) if b.speaker else None) or "respondent"
        turns.append(Turn(len(turns), b.speaker, role, start, pos, b.timestamp, b.end_timestamp))
    _fill_end_timestamps(turns)
    return "".join(parts) + "\n", turns
