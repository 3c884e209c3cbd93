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
from dataclasses import dataclass, field

from qualcode.ingest import layouts
from qualcode.ingest.speakers import (
    count_stats,
    infer_roles,
    known_role,
    label_key,
    plausible_name,
)
from qualcode.model import Turn

_TS = r"\d{1,2}:\d{2}(?::\d{2}(?::\d{2})?)?(?:[.,]\d{1,3})?"  # hh:mm:ss:ff (frames) too
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
# "I     words" / "R<TAB>words": a label at the margin, then a tab or two or more spaces (no colon).
SPACED_LINE = re.compile(
    r"^(?P<label>[^\W\d_][\w.'’\-]{0,24}(?: [^\W\d_][\w.'’\-]*){0,2}?)(?P<sep>\t+| {2,})(?P<rest>\S.*)$"
)
_LEAD_TC = re.compile(rf"^(?P<ts>{_TS_ANY})(?:[ \t]+|$)")
TS_ONLY = re.compile(rf"^[ \t]*(?P<ts>{_TS_ANY})[ \t]*$")
_DOT_LABELS = {"q", "a", "в", "о"}
_NOT_ALONE = {"ok", "okay", "yes", "no", "end", "pause", "да", "нет", "конец", "пауза", "the end"}


def parse_timestamp(text: str | None) -> float | None:
    """'[00:03:15]' → 195.0, '(03:15)' → 195.0 (mm:ss), '1:02:03.5' → 3723.5."""
    if not text:
        return None
    parts = text.strip("[]() ").replace(",", ".").split(":")
    if len(parts) == 4:
        parts = parts[:3]  # hh:mm:ss:ff: the frame number is below a second
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
    kind: str  # colon | dot | dash | tab | spaced | alone
    heading: str | None = None  # `R   Romance`: a topic heading after the label


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
    m = SPACED_LINE.match(line)
    if m and m.group("label"):
        return _spaced(m, line_start, line_no)
    m = LABEL_ONLY.match(line)
    if m and m.group("label"):
        ts = m.group("ts1") or m.group("ts2")
        return _Candidate(line_no, m.group("label"), m.group("qual"), parse_timestamp(ts), None, "alone")
    return None


def _spaced(m: re.Match[str], line_start: int, line_no: int) -> _Candidate:
    """`R     00:01:19:18    words` or `R   Romance` (a heading; the words start below)."""
    rest, rest_start = m.group("rest"), m.start("rest")
    ts = None
    lead = _LEAD_TC.match(rest)
    if lead:
        ts = parse_timestamp(lead.group("ts"))
        rest_start += lead.end()
        rest = rest[lead.end():]
    content = line_start + rest_start if rest.strip() else None
    cand = _Candidate(line_no, m.group("label"), None, ts, content, "spaced")
    if lead is None and layouts.is_heading_text(rest):
        cand.heading = rest.strip()  # decided once the next line is known
    return cand


def _accepted(cands: list[_Candidate], legend: dict[str, str]) -> set[str]:
    """Which label keys really open turns in this document."""
    counts: dict[str, int] = {}
    for c in cands:
        counts[label_key(c.label)] = counts.get(label_key(c.label), 0) + 1
    legend_keys = {label_key(k) for k in legend}
    # "Speaker 1  0:03" lines: once two of them establish the layout, each one opens a turn,
    # even for a speaker who speaks only once.
    timed_alone = sum(1 for c in cands if c.kind == "alone" and c.timestamp is not None)
    accepted: set[str] = set()
    for c in cands:
        key = label_key(c.label)
        if key in legend_keys and c.kind in ("colon", "spaced", "alone", "tab", "dot"):
            accepted.add(key)
            continue
        role = known_role(c.label) or (known_role(c.qual) if c.qual else None)
        if len(key) == 1 and counts[key] < 2 and c.kind == "alone":
            continue  # "I think…" once, or a lone "A": one letter is a label only if it recurs
        if c.kind == "dot" and key not in _DOT_LABELS:
            continue
        if c.kind == "dash" and role is None:
            continue
        # Without a colon, only a role word or an upper-case tag that recurs is a label.
        if c.kind == "spaced" and (counts[key] < 3 or not (role or (c.label.isupper() and plausible_name(c.label)))):
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
    # A single bare label on a line ("I" once) is no evidence of a labelled layout.
    # Bare labels of one speaker only ("I" alone on a few lines, nothing else) are no evidence
    # of a labelled layout: a dialogue's labels name two speakers or carry words.
    openers = [c for c in cands if label_key(c.label) in accepted]
    if len(accepted) == 1 and all(c.kind == "alone" and c.timestamp is None for c in openers):
        return set()
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


@dataclass
class Layout:
    """What `parse_layout` found: the turns and how (for the import report)."""

    turns: list[Turn]
    method: str  # labels | labels without colon | alternation | paragraphs
    # speaker -> label | legend | map | hint | behaviour | alternation
    how: dict[str, str] = field(default_factory=dict)
    legend: dict[str, str] = field(default_factory=dict)
    headings: list[str] = field(default_factory=list)
    confidence: float | None = None
    cues: str = ""
    markup: int = 0  # characters of labels, timecodes and headings: layout, not speech


def parse_text(
    text: str,
    *,
    speaker_map: dict[str, str] | None = None,
    role_hints: dict[str, str] | None = None,
) -> list[Turn]:
    """Find the turns in `text`. Offsets index `text`; `text` is not changed.

    With no speaker labels, paragraphs that read as questions and answers are given
    alternating roles (see `layouts.alternate`); otherwise every paragraph becomes a
    turn with no speaker and the role 'respondent' (a written or dictated account).
    """
    return parse_layout(text, speaker_map=speaker_map, role_hints=role_hints).turns


def _how(speaker: str, speaker_map: dict[str, str] | None, hints: dict[str, str],
         legend: dict[str, str]) -> str:
    key = label_key(speaker)
    if key in {label_key(k) for k in (speaker_map or {})}:
        return "map"
    if key in {label_key(k) for k in legend}:
        return "legend"
    if key in {label_key(k) for k in hints}:
        return "hint"
    return "label" if known_role(speaker) else "behaviour"


def parse_layout(
    text: str,
    *,
    speaker_map: dict[str, str] | None = None,
    role_hints: dict[str, str] | None = None,
) -> Layout:
    lines = _lines(text)
    legend, legend_at = layouts.legend_lines(text)
    cands = [c for no, (start, line) in enumerate(lines)
             if no not in legend_at and (c := _line_candidate(line, start, no))]
    accepted = _accepted(cands, legend)
    openers = {c.line: c for c in cands if label_key(c.label) in accepted}
    if not openers:
        return _unlabelled(text, lines, layouts.heading_lines(lines), speaker_map)
    notes: list[str] = []

    # Walk the lines: an opener starts a turn; other non-blank lines extend it.
    raw: list[dict] = []
    pending_ts: float | None = None
    markup = 0
    for no, (start, line) in enumerate(lines):
        opener = openers.get(no)
        if opener is not None:
            markup += _nonspace(line if opener.content_start is None else text[start:opener.content_start])
            ts = opener.timestamp if opener.timestamp is not None else pending_ts
            content_start = opener.content_start
            nxt = next((n for n in range(no + 1, len(lines)) if lines[n][1].strip()), None) \
                if opener.heading else None
            if opener.heading and nxt is not None and nxt not in openers and (
                    layouts.starts_with_timecode(lines[nxt][1]) or lines[nxt][1][:1] in " \t"):
                notes.append(opener.heading)  # "R   Romance": a topic note; the words start below
                content_start = None
            raw.append({
                "label": opener.label.strip("*_ "), "qual": opener.qual, "timestamp": ts,
                "start": content_start, "end": None,
            })
            if content_start is not None:
                raw[-1]["end"] = start + len(line.rstrip())
            pending_ts = None
            continue
        if not line.strip():
            continue
        if layouts.heading_at(lines, no):
            notes.append(line.strip())
            markup += _nonspace(line)
            continue
        ts_only = TS_ONLY.match(line)
        if ts_only and no + 1 < len(lines):
            # A timestamp alone on a line belongs to the turn the next label opens.
            nxt = next((n for n in range(no + 1, len(lines)) if lines[n][1].strip()), None)
            if nxt is not None and nxt in openers:
                pending_ts = parse_timestamp(ts_only.group("ts"))
                markup += _nonspace(line)
                continue
        if not raw:
            # Preamble before the first speaker: title, date, notes. With a legend it is a declared
            # title block (layout); without one it stays text outside turns, for the report to show.
            markup += _nonspace(line) if legend else 0
            continue
        turn = raw[-1]
        if turn["start"] is None:
            indent = len(line) - len(line.lstrip())
            lead = _LEAD_TC.match(line[indent:])
            if lead:  # "    00:01:48:03    words" below a heading
                markup += _nonspace(lead.group(0))
                turn["timestamp"] = turn["timestamp"] if turn["timestamp"] is not None else \
                    parse_timestamp(lead.group("ts"))
                indent += lead.end()
            turn["start"] = start + indent
        turn["end"] = start + len(line.rstrip())

    turns_raw = [t for t in raw if t["start"] is not None and t["end"] is not None and t["end"] > t["start"]]
    # Use the label's first spelling for every turn, so "INTERVIEWER" and "Interviewer" are one speaker.
    display: dict[str, str] = {}
    for t in turns_raw:
        display.setdefault(label_key(t["label"]), t["label"])
    order: list[str] = list(dict.fromkeys(display[label_key(t["label"])] for t in turns_raw))
    stats = count_stats((display[label_key(t["label"])], text[t["start"]:t["end"]]) for t in turns_raw)
    hints = dict(legend)
    hints.update(role_hints or {})
    hints.update(_hint_roles([c for c in openers.values() if c.qual]))
    roles = infer_roles(order, stats, hints, speaker_map)
    result = []
    for i, t in enumerate(turns_raw):
        speaker = display[label_key(t["label"])]
        result.append(Turn(i, speaker, roles[speaker], t["start"], t["end"], t["timestamp"]))
    _fill_end_timestamps(result)
    spaced = any(c.kind == "spaced" for c in openers.values())
    how = {s: _how(s, speaker_map, {**(role_hints or {}), **_hint_roles(list(openers.values()))}, legend)
           for s in order}
    return Layout(result, "labels without colon" if spaced else "labels", how, legend, notes, markup=markup)


def _unlabelled(text: str, lines: list[tuple[int, str]], headings: set[int],
                speaker_map: dict[str, str] | None) -> Layout:
    paras = layouts.paragraphs(text, lines, headings)
    notes = [lines[n][1].strip() for n in sorted(headings)]
    if not layouts.looks_like_dialogue(paras):
        return Layout(_paragraph_turns(text, lines), "paragraphs", {}, {}, [])
    alt = layouts.alternate(paras)
    names = {"interviewer": ALTERNATION_SPEAKERS[0], "respondent": ALTERNATION_SPEAKERS[1]}
    mapped = {label_key(k): v for k, v in (speaker_map or {}).items()}
    turns: list[Turn] = []
    markup = sum(_nonspace(n) for n in notes)
    for para, role in zip(paras, alt.roles, strict=True):
        start, ts = para.start, None
        lead = _LEAD_TC.match(para.text)
        if lead:
            ts = parse_timestamp(lead.group("ts"))
            start += lead.end()
            markup += _nonspace(lead.group(0))
        if start >= para.end:
            continue
        speaker = names[role]
        turns.append(Turn(len(turns), speaker, mapped.get(label_key(speaker), role), start, para.end, ts))
    _fill_end_timestamps(turns)
    how = {s: ("map" if label_key(s) in mapped else "alternation") for s in dict.fromkeys(t.speaker for t in turns)}
    cues = f"{alt.cued} of {len(paras)} paragraphs had a cue (question, timecode), {alt.agreeing} agree"
    return Layout(turns, "alternation", how, {}, notes, alt.confidence, cues, markup)


def _nonspace(s: str) -> int:
    return len(s) - s.count(" ") - s.count("\n") - s.count("\t")


# Unlabelled paragraphs get these speakers; a speaker map can swap their roles.
ALTERNATION_SPEAKERS = ("Speaker A", "Speaker B")


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
