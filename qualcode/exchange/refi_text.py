"""Positions in a REFI-QDA text source, mapped to offsets into qualcode's normalised text.

The standard counts characters in the source's plain-text file, and so does qualcode's
export (Python string offsets into UTF-8 text). qualcode stores text normalised (no BOM,
`\\n` newlines, NFC), so on import a position in the file is carried through each of those
steps. Some tools count otherwise: NVivo for Windows counts UTF-16 code units (an emoji is
two) over text with CRLF line ends. Where the text makes the conventions differ (it has
characters outside the Basic Multilingual Plane, or CRLF), the convention whose selections
start and end on word boundaries is taken, and the caller reports which one.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence

from qualcode.ingest.encoding import normalise

# (units, newlines): "cp" code points or "u16" UTF-16 code units; positions counted over
# the file's own line ends ("raw") or over "\n" line ends ("lf"). The first is the standard.
CONVENTIONS: tuple[tuple[str, str], ...] = (("cp", "raw"), ("u16", "raw"), ("cp", "lf"), ("u16", "lf"))
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class SourceText:
    """A source's text as the file has it (`raw`) and as qualcode stores it (`text`)."""

    def __init__(self, raw: str) -> None:
        self.raw = raw[1:] if raw.startswith("\ufeff") else raw
        self.lf, self._lf_map = _newline_map(self.raw)
        self.text, self._nfc_map, self._nfc_end, self.exact = _nfc_map(self.lf)
        if not self.exact:  # could not follow NFC piece by piece: positions cannot be trusted
            self.text = normalise(self.raw)
        self.units, self.newlines = CONVENTIONS[0]
        self._u16: dict[str, list[int]] = {}

    def _variant(self, newlines: str) -> str:
        return self.raw if newlines == "raw" else self.lf

    def _u16_map(self, newlines: str) -> list[int]:
        if newlines not in self._u16:
            out: list[int] = []
            for i, ch in enumerate(self._variant(newlines)):
                out.append(i)
                if ord(ch) > 0xFFFF:
                    out.append(i)  # inside a surrogate pair: the character's start
            out.append(len(self._variant(newlines)))
            self._u16[newlines] = out
        return self._u16[newlines]

    def candidates(self) -> list[tuple[str, str]]:
        astral = bool(_ASTRAL.search(self.raw))
        crlf = "\r\n" in self.raw
        return [(u, n) for u, n in CONVENTIONS if (u == "cp" or astral) and (n == "raw" or crlf)]

    def choose(self, spans: Sequence[tuple[int, int]]) -> tuple[str, str]:
        """Pick the counting convention that puts the most selection ends on word boundaries."""
        options = self.candidates()
        if len(options) > 1 and spans:
            scores = {opt: self._score(opt, spans) for opt in options}
            best = max(options, key=lambda o: (scores[o], -options.index(o)))
            self.units, self.newlines = best
        return self.units, self.newlines

    def _score(self, option: tuple[str, str], spans: Sequence[tuple[int, int]]) -> int:
        units, newlines = option
        text = self._variant(newlines)
        u16 = self._u16_map(newlines) if units == "u16" else None
        limit = len(u16) - 1 if u16 is not None else len(text)
        score = 0
        for start, end in spans:
            if not 0 <= start <= end <= limit:
                continue
            for pos in (start, end):
                i = u16[pos] if u16 is not None else pos
                score += i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum())
        return score

    def length(self) -> int:
        """The largest valid position in the chosen convention."""
        if self.units == "u16":
            return len(self._u16_map(self.newlines)) - 1
        return len(self._variant(self.newlines))

    def map(self, start: int, end: int) -> tuple[int, int] | None:
        """(start, end) in the file's counting → offsets into `text`; None when out of range."""
        if not self.exact or not 0 <= start <= end <= self.length():
            return None
        if self.units == "u16":
            table = self._u16_map(self.newlines)
            start, end = table[start], table[end]
        if self.newlines == "raw" and self._lf_map is not None:
            start, end = self._lf_map[start], self._lf_map[end]
        if self._nfc_map is not None:
            start, end = self._nfc_map[start], self._nfc_end.get(end, self._nfc_map[end])
        return start, end


def _newline_map(raw: str) -> tuple[str, list[int] | None]:
    """Text with "\\n" line ends, and a map from raw positions to it (None: the same)."""
    if "\r" not in raw:
        return raw, None
    out: list[int] = []
    shift = prev = 0
    for m in re.finditer("\r\n", raw):
        dropped = m.start()  # the \r of \r\n goes; positions on it and on the \n meet
        out.extend(range(prev - shift, dropped - shift + 1))
        shift += 1
        prev = dropped + 1
    out.extend(range(prev - shift, len(raw) - shift + 1))
    return raw.replace("\r\n", "\n").replace("\r", "\n"), out


def _nfc_map(text: str) -> tuple[str, list[int] | None, dict[int, int], bool]:
    """NFC text, a map of start positions into it, end positions inside merged characters, exactness."""
    if unicodedata.is_normalized("NFC", text):
        return text, None, {}, True
    target = unicodedata.normalize("NFC", text)
    for bounds in (_starter_bounds(text), _space_bounds(text)):
        pieces = [unicodedata.normalize("NFC", text[a:b]) for a, b in itertools.pairwise(bounds)]
        if "".join(pieces) == target:
            break
    else:
        return target, None, {}, False
    starts = [0] * (len(text) + 1)
    ends: dict[int, int] = {}
    n = 0
    for (a, b), piece in zip(itertools.pairwise(bounds), pieces, strict=True):
        size = len(piece)
        if size == b - a:
            starts[a:b] = range(n, n + size)
        else:  # characters merged: a position inside starts at the piece, or ends after it
            starts[a:b] = [n] * (b - a)
            for k in range(a + 1, b):
                ends[k] = n + size
        n += size
    starts[len(text)] = n
    return target, starts, ends, True


def _starter_bounds(text: str) -> list[int]:
    return [0, *(i for i in range(1, len(text)) if unicodedata.combining(text[i]) == 0), len(text)]


def _space_bounds(text: str) -> list[int]:
    inner = sorted({m.end() for m in re.finditer(r"\s+", text)} - {0, len(text)})
    return [0, *inner, len(text)]
