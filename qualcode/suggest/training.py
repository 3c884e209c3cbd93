"""Labels from a coder's human decisions: what the model learns from.

A coder's decisions are:

- codings they made by hand or imported (origin `manual` or `import`, not rejected): the
  units they overlap are positive for the code. In a transcript they coded this way every
  other unit is negative for every code: they read it and did not code it;
- suggestions (rule or model) they accepted (positive) or rejected (negative), from the
  project's review record, which outlives re-codes. In a transcript they only reviewed,
  only those cells are known; the rest is unknown (-1) and not learnt from.

With several coders their decisions are pooled (a unit one of them coded is positive).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine

from qualcode.errors import QualcodeError
from qualcode.store.schema import coders, codes, codings, reviews, transcripts
from qualcode.suggest.corpus import Corpus

HUMAN = ("manual", "import")


@dataclass
class Decisions:
    coders: list[str]
    human: list[tuple[str, str, int, int]] = field(default_factory=list)  # transcript, code, start, end
    reviewed: list[tuple[str, str, int, int, str]] = field(default_factory=list)  # ... status
    shas: dict[str, str] = field(default_factory=dict)  # transcript -> text sha256

    @property
    def coded(self) -> list[str]:
        """Transcripts coded by hand (or imported): fully labelled."""
        return sorted({t for t, *_ in self.human})

    @property
    def reviewed_only(self) -> list[str]:
        coded = set(self.coded)
        return sorted({t for t, *_ in self.reviewed} - coded)

    @property
    def codes(self) -> list[str]:
        return sorted({c for _t, c, *_ in self.human} | {c for _t, c, *_ in self.reviewed})

    def sha256(self, **params: object) -> str:
        """A hash of everything the model is trained from, to tell whether a stored model is stale."""
        payload = {"human": sorted(self.human), "reviewed": sorted(self.reviewed), "shas": self.shas,
                   "params": params}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def decisions(engine: Engine, names: Sequence[str]) -> Decisions:
    """Read the coders' human decisions; E909 without a coder, E901 for an unknown one, E902 for one
    who decided nothing."""
    names = list(dict.fromkeys(names))
    if not names:
        raise QualcodeError("E909")
    with engine.connect() as conn:
        known = {r.name: r.id for r in conn.execute(select(coders.c.name, coders.c.id))}
        for name in names:
            if name not in known:
                raise QualcodeError("E901", name=name, known=", ".join(sorted(known)) or "(none)")
        ids = [known[n] for n in names]
        current = transcripts.c.is_current.is_(True)
        human = conn.execute(
            select(transcripts.c.name, codes.c.path, codings.c.start_offset, codings.c.end_offset)
            .select_from(codings.join(codes).join(transcripts))
            .where(codings.c.origin.in_(HUMAN), codings.c.status != "rejected", codings.c.coder_id.in_(ids),
                   current)).all()
        reviewed = conn.execute(
            select(transcripts.c.name, codes.c.path, reviews.c.start_offset, reviews.c.end_offset, reviews.c.status)
            .select_from(reviews.join(codes).join(transcripts))
            .where(reviews.c.reviewer_id.in_(ids), reviews.c.status.in_(["accepted", "rejected"]), current)).all()
        shas = {r.name: r.sha256 for r in conn.execute(select(transcripts.c.name, transcripts.c.sha256)
                                                       .where(current))}
    out = Decisions(names, [tuple(r) for r in human], [tuple(r) for r in reviewed])
    if not out.human and not out.reviewed:
        raise QualcodeError("E902", name=", ".join(names))
    used = set(out.coded) | set(out.reviewed_only)
    out.shas = {k: v for k, v in shas.items() if k in used}
    return out


def label_matrix(corpus: Corpus, dec: Decisions, code_list: Sequence[str]) -> np.ndarray:
    """Units × codes of 1 (coded), 0 (not coded) and -1 (unknown)."""
    col = {c: j for j, c in enumerate(code_list)}
    Y = np.full((len(corpus.units), len(code_list)), -1, dtype=np.int8)
    Y[corpus.of(set(dec.coded))] = 0
    for t, c, s, e in dec.human:
        if c in col:
            Y[corpus.overlapping(t, s, e), col[c]] = 1
    for t, c, s, e, status in dec.reviewed:
        if c not in col:
            continue
        for i in corpus.overlapping(t, s, e):
            if status == "accepted":
                Y[i, col[c]] = 1
            elif Y[i, col[c]] < 0:  # a rejection never overrides what a coder coded themselves
                Y[i, col[c]] = 0
    return Y


def rule_matrix(corpus: Corpus, rule_codings: Sequence[tuple[str, str, int, int]],
                code_list: Sequence[str]) -> np.ndarray:
    """Units × codes: True where a stored rule coding of the code overlaps the unit."""
    col = {c: j for j, c in enumerate(code_list)}
    R = np.zeros((len(corpus.units), len(code_list)), dtype=bool)
    for t, c, s, e in rule_codings:
        if c in col:
            R[corpus.overlapping(t, s, e), col[c]] = True
    return R
