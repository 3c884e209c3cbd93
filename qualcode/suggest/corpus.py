"""A project's transcripts as units (sentences or turns), read from the cached analyses.

Analyses come from the project's NLP cache (what `qualcode code` stored); a transcript
never analysed is analysed here once, with the same pipeline, and its analysis is handed
back so the caller can cache it. Rule features come from running the codebook's rules over
the analysis with `explain=True` (qualcode.autocode), so matches that a negation or another
check dropped are features too; without a codebook they come from the rule codings stored.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine

from qualcode.autocode import TurnSpan, compile_rules
from qualcode.codebook import Codebook
from qualcode.nlp import Analysis, analysis_key, pipeline
from qualcode.store import coding_queries as cq
from qualcode.store.schema import codes, codings
from qualcode.suggest.features import Unit

UNITS = ("sentence", "turn")
Progress = Callable[[int, int, str], None]


@dataclass
class Corpus:
    """Units of the current transcripts, in transcript order, and how to find them by span."""

    unit: str
    units: list[Unit] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=dict)  # transcript -> language
    turn_roles: dict[tuple[str, int], str] = field(default_factory=dict)
    new_analyses: dict[str, dict[str, bytes]] = field(default_factory=dict)  # version -> key -> bytes
    _by_transcript: dict[str, tuple[list[int], list[int]]] = field(default_factory=dict)  # starts, unit index

    def index(self) -> None:
        self._by_transcript = {}
        for i, u in enumerate(self.units):
            starts, ids = self._by_transcript.setdefault(u.transcript, ([], []))
            starts.append(u.start)
            ids.append(i)

    def overlapping(self, transcript: str, start: int, end: int) -> list[int]:
        """The units a span [start, end) overlaps (a coding of a quote labels its sentences)."""
        starts, ids = self._by_transcript.get(transcript, ([], []))
        i = max(0, bisect_left(starts, start) - 1)
        out = []
        while i < len(ids) and starts[i] < max(end, start + 1):
            u = self.units[ids[i]]
            if (u.start < end and u.end > start) or (start == end and u.start <= start < u.end):
                out.append(ids[i])
            i += 1
        return out

    def transcripts(self) -> list[str]:
        return list(self._by_transcript)

    def of(self, transcripts: set[str]) -> np.ndarray:
        return np.array([u.transcript in transcripts for u in self.units], dtype=bool)


def _units(name: str, lang: str, a: Analysis, turns: Sequence, unit: str) -> tuple[list[Unit], np.ndarray]:
    """The units of one transcript, and each token's unit index (-1: none)."""
    if not len(a):
        return [], np.zeros(0, dtype=np.int64)
    role = {t.idx: t.role for t in turns}
    span = {t.idx: (t.start_offset, t.end_offset) for t in turns}
    first_lemma = [s.split("|", 1)[0] for s in a.strings]
    lemma_ids, lower_ids = a.lemma.tolist(), a.lower.tolist()
    key = a.sent if unit == "sentence" else a.turn
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(key)]
    token_unit = np.repeat(np.arange(len(starts)), ends - starts)
    out = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        turn = int(a.turn[s])
        if unit == "sentence":
            cs, ce = int(a.start[s]), int(a.end[e - 1])
        else:
            cs, ce = span.get(turn, (int(a.start[s]), int(a.end[e - 1])))
        out.append(Unit(name, turn, cs, ce, role.get(turn, "other"), lang,
                        [first_lemma[i] for i in lemma_ids[s:e]], [a.strings[i] for i in lower_ids[s:e]]))
    return out, token_unit


def load(engine: Engine, unit: str = "sentence", book: Codebook | None = None,
         transcripts: Sequence[str] | None = None, progress: Progress | None = None) -> Corpus:
    """Read the project's current transcripts (or those named) as units with their features' inputs."""
    with engine.connect() as conn:
        rows = cq.current_transcripts(conn, transcripts)
        spans = cq.turn_spans(conn, [r.id for r in rows])
        langs = sorted({r.language for r in rows})
        pipes = {lang: pipeline(lang) for lang in langs}
        keys = {r.id: analysis_key(r.text, [(t.idx, t.start_offset, t.end_offset) for t in spans[r.id]])
                for r in rows}
        stored: dict[str, bytes] = {}
        for lang, nlp in pipes.items():
            stored.update(cq.cached(conn, "analysis", [keys[r.id] for r in rows if r.language == lang], nlp.version))
            lemmas = cq.cached(conn, "lemmas", [lang], nlp.version)
            if lang in lemmas and len(nlp.cache) < 10:
                nlp.load_cache(lemmas[lang])
        stored_rules = _stored_rule_matches(conn, [r.id for r in rows]) if book is None else {}
    matchers = compile_rules(book, [lang for lang in langs if lang in book.languages]) if book is not None else {}
    corpus = Corpus(unit)
    for n, r in enumerate(rows, start=1):
        nlp = pipes[r.language]
        blob = stored.get(keys[r.id])
        if blob is not None:
            a = Analysis.from_bytes(blob)
        else:
            a = nlp.analyse(r.text, [(t.idx, t.start_offset, t.end_offset) for t in spans[r.id]])
            corpus.new_analyses.setdefault(nlp.version, {})[keys[r.id]] = a.to_bytes()
        units, token_unit = _units(r.name, r.language, a, spans[r.id], unit)
        corpus.units.extend(units)
        corpus.languages[r.name] = r.language
        corpus.turn_roles.update({(r.name, t.idx): t.role for t in spans[r.id]})
        if r.language in matchers and len(a):
            turns = [TurnSpan(t.idx, t.role, t.start_offset, t.end_offset) for t in spans[r.id]]
            for m in matchers[r.language].matches(a, r.text, turns, explain=True):
                kind = "r" if m.dropped is None else "rn" if m.dropped.startswith("negation") else "rd"
                # The rule, and its code: a code's rules in three languages pool their evidence.
                units[int(token_unit[m.tok_start])].rules.extend((f"{kind}:{m.rule}", f"{kind}c:{m.code}"))
        for start, rule, code in stored_rules.get(r.id, ()):
            i = int(np.searchsorted([u.start for u in units], start, "right")) - 1
            if 0 <= i < len(units) and units[i].start <= start < units[i].end:
                units[i].rules.extend((f"r:{rule}", f"rc:{code}"))
        if progress:
            progress(n, len(rows), r.name)
    corpus.index()
    return corpus


def _stored_rule_matches(conn, tids: Sequence[int]) -> dict[int, list[tuple[int, str, str]]]:
    """Where each stored rule coding's rule matched (its matched words, or its start)."""
    out: dict[int, list[tuple[int, str, str]]] = {}
    if not tids:
        return out
    query = (select(codings.c.transcript_id, codings.c.start_offset, codings.c.match_start, codings.c.rule_id,
                    codes.c.path).select_from(codings.join(codes))
             .where(codings.c.origin == "rule", codings.c.transcript_id.in_(list(tids))))
    for r in conn.execute(query):
        out.setdefault(r.transcript_id, []).append((r.match_start if r.match_start is not None else r.start_offset,
                                                    r.rule_id or "?", r.path))
    return out


def rule_codings(engine: Engine, names: Sequence[str]) -> list[tuple[str, str, int, int]]:
    """The stored rule codings (any status) of these transcripts: what the rules alone say."""
    from qualcode.store.schema import transcripts as tt

    query = (select(tt.c.name, codes.c.path, codings.c.start_offset, codings.c.end_offset)
             .select_from(codings.join(codes).join(tt))
             .where(codings.c.origin == "rule", tt.c.is_current.is_(True), tt.c.name.in_(list(names))))
    with engine.connect() as conn:
        return [(r.name, r.path, r.start_offset, r.end_offset) for r in conn.execute(query)]
