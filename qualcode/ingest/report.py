"""What an import made of a transcript, said out loud: no text lost without a word.

For every transcript: how much of its text is in turns (the rest cannot be coded),
the longest turn, which speakers and roles were found and how (a label, a legend, a
speaker map, alternating paragraphs), and warnings that say what to do when
something looks wrong (E980-E983).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualcode.errors import QualcodeError
from qualcode.model import Turn

MIN_SHARE = 0.95  # below this share of the text in turns, warn (E980) ...
MIN_OUTSIDE = 200  # ... when at least this many characters are outside (a one-line title is no loss)
MAX_TURN_SHARE = 0.25  # one turn holding more than this share of the text: warn (E981) ...
LONG_TURN = 5000  # ... if the document has many turns, or the turn is this long (a short talk may be 3 turns)
MANY_TURNS = 8
MIN_CONFIDENCE = 0.8  # alternation inferred with less confidence: warn (E983)
_SPACE = re.compile(r"\s+")


def _chars(text: str) -> int:
    """Characters that are not white space: re-wrapping or indenting a text does not change it.
    (Text is normalised: its white space is spaces, newlines and tabs; count() is fast in C.)"""
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t")


@dataclass
class TurnReport:
    file: str
    method: str
    chars: int
    chars_in_turns: int
    longest_turn: int | None = None
    longest_chars: int = 0
    speakers: list[tuple[str | None, str, str]] = field(default_factory=list)  # speaker, role, how
    confidence: float | None = None
    cues: str = ""
    headings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.chars_in_turns / self.chars if self.chars else 1.0

    def summary(self) -> str:
        who = ", ".join(f"{s or '(no speaker)'}={role} ({how})" for s, role, how in self.speakers) or "none"
        line = (f"layout: {self.method}; text in turns {self.share:.1%}; "
                f"longest turn #{self.longest_turn} ({self.longest_chars:,} characters, "
                f"{self.longest_chars / (self.chars or 1):.0%} of the text); speakers {who}")
        if self.confidence is not None:
            line += f"; alternation confidence {self.confidence:.0%} ({self.cues})"
        if self.headings:
            line += f"; {len(self.headings)} heading(s) kept as notes, not speech"
        return line


def _excerpt(text: str, n: int = 50) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return flat[:n] + ("…" if len(flat) > n else "")


def build(file: str, text: str, turns: list[Turn], *, method: str, how: dict[str, str] | None = None,
          confidence: float | None = None, cues: str = "", headings: list[str] | None = None,
          composed: bool = False, markup: int = 0) -> TurnReport:
    """The report for one transcript. `composed`: the text was written from known turns (captions,
    tables), so the labels between turns are ours and do not count as text outside turns."""
    in_turns = [_chars(text[t.start:t.end]) for t in turns]
    total = sum(in_turns) if composed else max(sum(in_turns), _chars(text) - markup)
    rep = TurnReport(file, method, total, sum(in_turns), confidence=confidence, cues=cues,
                     headings=list(headings or []))
    if turns:
        i = max(range(len(turns)), key=in_turns.__getitem__)
        rep.longest_turn, rep.longest_chars = turns[i].index, in_turns[i]
    how = how or {}
    seen: dict[str | None, tuple[str | None, str, str]] = {}
    for t in turns:
        seen.setdefault(t.speaker, (t.speaker, t.role, how.get(t.speaker or "", "label" if t.speaker else "none")))
    rep.speakers = list(seen.values())
    rep.warnings = _warnings(rep, text, turns)
    return rep


def _warnings(rep: TurnReport, text: str, turns: list[Turn]) -> list[str]:
    out: list[str] = []
    preview = f"`qualcode import --preview PROJECT {rep.file}`"
    if rep.share < MIN_SHARE and rep.chars - rep.chars_in_turns >= MIN_OUTSIDE:
        gap_at, gap = _largest_gap(text, turns)
        out.append(str(QualcodeError(
            "E980", file=rep.file, share=rep.share, outside=rep.chars - rep.chars_in_turns,
            line=text.count("\n", 0, gap_at) + 1, excerpt=_excerpt(gap), preview=preview)))
    if rep.longest_chars > MAX_TURN_SHARE * rep.chars and (len(turns) >= MANY_TURNS or rep.longest_chars >= LONG_TURN):
        t = next(t for t in turns if t.index == rep.longest_turn)
        out.append(str(QualcodeError(
            "E981", file=rep.file, turn=t.index, speaker=t.speaker or "(no speaker)",
            share=rep.longest_chars / rep.chars, line=text.count("\n", 0, t.start) + 1,
            excerpt=_excerpt(text[t.start:t.end]), preview=preview)))
    speakers = {t.speaker for t in turns if t.role != "other"}
    roles = {t.role for t in turns if t.role != "other"}
    if len(speakers) >= 2 and len(roles) == 1:
        out.append(str(QualcodeError(
            "E982", file=rep.file, speakers=", ".join(sorted(str(s) for s in speakers)), role=roles.pop(),
            preview=preview)))
    if rep.confidence is not None and rep.confidence < MIN_CONFIDENCE:
        out.append(str(QualcodeError("E983", file=rep.file, confidence=rep.confidence, cues=rep.cues,
                                     preview=preview)))
    return out


def _largest_gap(text: str, turns: list[Turn]) -> tuple[int, str]:
    """Where the longest stretch of text outside every turn starts, and its text."""
    best = (0, "")
    pos = 0
    for t in sorted(turns, key=lambda t: t.start):
        if _chars(text[pos:t.start]) > _chars(best[1]):
            best = (pos, text[pos:t.start])
        pos = max(pos, t.end)
    if _chars(text[pos:]) > _chars(best[1]):
        best = (pos, text[pos:])
    start = best[0] + len(best[1]) - len(best[1].lstrip())
    return start, best[1]
