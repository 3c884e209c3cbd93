"""The rule-match cache of a transcript: its bytes in the project, and a copy kept in this process.

Per transcript, the project stores the matches of every rule (by rule fingerprint, see
`autocode.rule_fingerprint`) that survived negation and `unless`, so a re-code only matches
the rules that changed. Two things make that cheap (issue 17):

- **A binary format** instead of JSON: the fingerprints (16 hex characters each), a count per
  fingerprint and all matches as one int32 array. Encoding and decoding are one `tobytes` /
  `frombuffer` plus one `tolist`, where JSON walked every number in Python.
- **A copy in this process** (`Memo`): analyses and rule matches are content-addressed (the
  analysis key hashes the text and turns, the version names the pipeline and matcher, the
  fingerprint everything that decides where a rule fires), so what this process computed or
  loaded once is valid for any later run on the same key, whatever the database holds since.
  A second run in the same process (the app, a script, a benchmark) then neither reads nor
  decodes them again. The copy is bounded by tokens, oldest first out.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict

import numpy as np

from qualcode.nlp import Analysis

MAGIC = b"QCM1"
_FP = 16  # characters of a rule fingerprint
_EMPTY: list = []


def dump_matches(matches: dict[str, list]) -> bytes:
    """Per rule fingerprint, its matches (first token, end token, first char, end char) as bytes."""
    fps = sorted(matches)
    joined = "".join(fps)
    if not joined.isascii() or not all(map(_FP.__eq__, map(len, fps))):
        return zlib.compress(json.dumps(matches, sort_keys=True).encode(), 1)  # never so today
    lists = [matches[fp] for fp in fps]
    counts = np.fromiter(map(len, lists), dtype=np.int32, count=len(fps))
    rows = [m for ms in lists if ms for m in ms]
    data = np.array(rows, dtype=np.int32).reshape(-1, 4) if rows else np.zeros((0, 4), dtype=np.int32)
    return b"".join((MAGIC, len(fps).to_bytes(4, "little"), joined.encode("ascii"), counts.tobytes(),
                     data.tobytes()))


def load_matches(data: bytes | None) -> dict[str, list] | None:
    """What `dump_matches` wrote: fingerprint -> list of 4-tuples (lists of 4 ints from JSON)."""
    if not data:
        return None
    if data[:4] != MAGIC:  # the JSON of matcher version 4 and before
        return json.loads(zlib.decompress(data))
    n = int.from_bytes(data[4:8], "little")
    pos = 8 + n * _FP
    fps = data[8:pos].decode("ascii")
    counts = np.frombuffer(data, dtype=np.int32, count=n, offset=pos).tolist()
    pos += 4 * n
    rows = np.frombuffer(data, dtype=np.int32, offset=pos).reshape(-1, 4).tolist()
    out: dict[str, list] = {}
    at = 0
    for i, c in enumerate(counts):
        out[fps[i * _FP:(i + 1) * _FP]] = rows[at:at + c] if c else _EMPTY
        at += c
    return out


class Memo:
    """Analyses and rule matches computed or loaded by this process, by (version, key)."""

    def __init__(self, max_tokens: int = 3_000_000) -> None:
        self.max_tokens = max_tokens
        self._lock = threading.Lock()  # the app's runs share it from several threads
        self.analyses: OrderedDict[tuple[str, str], Analysis] = OrderedDict()
        # (match version, key) -> (rule matches, size of their bytes as last written or read)
        self.matches: dict[tuple[str, str], tuple[dict[str, list], int | None]] = {}
        self._tokens = 0

    def analysis(self, version: str, key: str) -> Analysis | None:
        with self._lock:
            a = self.analyses.get((version, key))
            if a is not None:
                self.analyses.move_to_end((version, key))
            return a

    def keep(self, version: str, key: str, a: Analysis, match_version: str | None = None,
             matches: tuple[dict[str, list], int | None] | None = None) -> None:
        with self._lock:
            self._keep(version, key, a, match_version, matches)

    def _keep(self, version: str, key: str, a: Analysis, match_version: str | None,
              matches: tuple[dict[str, list], int | None] | None) -> None:
        if (version, key) not in self.analyses:
            self._tokens += len(a)
        self.analyses[(version, key)] = a
        self.analyses.move_to_end((version, key))
        if match_version is not None and matches is not None:
            self.matches[(match_version, key)] = matches
        while self._tokens > self.max_tokens and len(self.analyses) > 1:
            (_version, k), old = self.analyses.popitem(last=False)
            self._tokens -= len(old)
            for mk in [mk for mk in self.matches if mk[1] == k]:
                del self.matches[mk]

    def clear(self) -> None:
        with self._lock:
            self.analyses.clear()
            self.matches.clear()
            self._tokens = 0


# The process's copy (runs.py uses it for in-process runs; worker processes do not).
MEMO = Memo()
