"""What a learned model sees of a unit (a sentence or a turn): features from the cached analysis.

Feature families, each a prefix of the feature name, so an explanation reads as words:

- `lemma`  lemma unigrams (`w:работа`)
- `bigram` lemma bigrams within the unit (`b:найти работа`)
- `rule`   each codebook rule that fired in the unit (`r:push.unemployment/ru/1`), and, as
  features of their own, the ones a negation cancelled (`rn:…`) and the ones dropped for
  another reason (`rd:…`: `unless`, a question, the speaker). The model learns which rules
  to trust for this study. Each also counts for its code (`rc:push.unemployment`, `rnc:…`,
  `rdc:…`), so the rules of one code in three languages pool their evidence. With
  `turn_rules`, the same for the unit's whole turn (`trc:…`, `trnc:…`, `trdc:…`: a rule for the
  code hit somewhere in this turn), because coders code whole turns: a sentence of a coded turn
  where the rule did not fire is coded too. Turns are read from the units transformed together
  (whole transcripts). Off by default: measured, it did not lift the suggestion (BENCHMARKS.md).
- `role`   the speaker's role (`role:respondent`)
- `lang`   the language (`lang:kk`)
- `char`   for Kazakh only (no lemmatiser here), character 3-5-grams of word forms (`c:жұм`),
  which stand in for stems of an agglutinative language.
- `context` the interviewer's question before the unit: its lemmas (`q:уехать`) and the codes
  whose rules hit it (`qc:push.unemployment`), because an answer is often coded for what was
  asked ("Why did you leave?") while its own words name nothing a rule knows. Read from the
  units transformed together (whole transcripts), like `turn_rules`.

`UnitFeatures` is a scikit-learn transformer: `fit` builds a sorted vocabulary, `transform`
gives a binary CSR matrix. It holds nothing but the vocabulary and its parameters, both plain
data, so a trained model is stored without pickle (qualcode.suggest.storage).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

# The families the shipped model uses; `context` is measured (BENCHMARKS.md) and on demand only.
FAMILIES: tuple[str, ...] = ("lemma", "bigram", "rule", "role", "lang", "char")
ALL_FAMILIES: tuple[str, ...] = (*FAMILIES, "context")
PREFIX = {"w": "lemma", "b": "bigram", "r": "rule", "rn": "rule", "rd": "rule", "rc": "rule", "rnc": "rule",
          "rdc": "rule", "trc": "rule", "trnc": "rule", "trdc": "rule", "role": "role", "lang": "lang", "c": "char",
          "q": "context", "qc": "context"}


@dataclass
class Unit:
    """One unit of a transcript: where it is, who speaks, its words and the rules that hit it."""

    transcript: str
    turn: int
    start: int
    end: int
    role: str
    lang: str
    lemmas: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    # "r:<rule id>", "rn:<rule id>" (negated), "rd:<rule id>" (dropped), and the same per code: "rc:<code>", ...
    rules: list[str] = field(default_factory=list)


def _is_word(s: str) -> bool:
    return any(ch.isalnum() for ch in s)


def unit_features(unit: Unit, families: Sequence[str], char_ngrams: tuple[int, int] = (3, 5)) -> set[str]:
    """The set of feature names of one unit (binary features: presence, not counts)."""
    out: set[str] = set()
    words = [w for w in unit.lemmas if _is_word(w)]
    if "lemma" in families:
        out.update("w:" + w for w in words)
    if "bigram" in families:
        out.update(f"b:{a} {b}" for a, b in pairwise(words))
    if "rule" in families:
        out.update(unit.rules)
    if "role" in families:
        out.add("role:" + unit.role)
    if "lang" in families:
        out.add("lang:" + unit.lang)
    if "char" in families and unit.lang == "kk":
        lo, hi = char_ngrams
        for form in unit.forms:
            if not _is_word(form):
                continue
            padded = f"<{form}>"
            for n in range(lo, hi + 1):
                out.update("c:" + padded[i:i + n] for i in range(len(padded) - n + 1))
    return out


def _questions(units: Sequence[Unit]) -> list[set[str]]:
    """Per unit, the `context` features of the last interviewer turn before its own turn."""
    turns: dict[str, dict[int, set[str]]] = {}
    for u in units:
        if u.role != "interviewer":
            continue
        feats = turns.setdefault(u.transcript, {}).setdefault(u.turn, set())
        feats.update("q:" + w for w in u.lemmas if _is_word(w))
        feats.update("qc:" + r.split(":", 1)[1] for r in u.rules if r.startswith(("rc:", "rnc:", "rdc:")))
    order = {name: sorted(by_turn) for name, by_turn in turns.items()}
    out: list[set[str]] = []
    for u in units:
        asked = order.get(u.transcript, [])
        i = bisect_left(asked, u.turn) - 1  # the interviewer turn strictly before this one
        out.append(turns[u.transcript][asked[i]] if i >= 0 else set())
    return out


class UnitFeatures(TransformerMixin, BaseEstimator):
    """Units to a binary feature matrix.

    Parameters
    ----------
    families : the feature families to use (see the module docstring); an ablation drops one.
    min_df : a feature must occur in at least this many training units to enter the vocabulary.
    char_ngrams : (shortest, longest) character n-gram of Kazakh word forms.
    text_weight : the value of a word, bigram or letters feature (rule, role and language
        features are 1). Below 1, the regularisation holds the many text features back more
        than the few rule features, which a handful of examples cannot outweigh by chance.
    turn_rules : also the rule features of the unit's turn (`trc:…`; see the module docstring).
    """

    def __init__(self, families: Sequence[str] = FAMILIES, min_df: int = 1,
                 char_ngrams: tuple[int, int] = (3, 5), text_weight: float = 1.0, turn_rules: bool = False) -> None:
        self.families = families
        self.min_df = min_df
        self.char_ngrams = char_ngrams
        self.text_weight = text_weight
        self.turn_rules = turn_rules

    def _sets(self, units: Iterable[Unit]) -> list[set[str]]:
        fams = tuple(self.families)
        units = list(units)
        sets = [unit_features(u, fams, tuple(self.char_ngrams)) for u in units]
        if self.turn_rules and "rule" in fams:
            turn: dict[tuple[str, int], set[str]] = {}
            for u in units:
                turn.setdefault((u.transcript, u.turn), set()).update(
                    "t" + r for r in u.rules if r.startswith(("rc:", "rnc:", "rdc:")))
            for u, feats in zip(units, sets, strict=True):
                feats.update(turn[(u.transcript, u.turn)])
        if "context" in fams:
            for feats, question in zip(sets, _questions(units), strict=True):
                feats.update(question)
        return sets

    def fit(self, units: Sequence[Unit], y: object = None) -> UnitFeatures:
        unknown = [f for f in self.families if f not in ALL_FAMILIES]
        if unknown:
            raise ValueError(f"unknown feature families {unknown}; use some of {', '.join(ALL_FAMILIES)}")
        df: dict[str, int] = {}
        for feats in self._sets(units):
            for f in feats:
                df[f] = df.get(f, 0) + 1
        self.vocabulary_ = sorted(f for f, n in df.items() if n >= self.min_df)
        self.index_ = {f: i for i, f in enumerate(self.vocabulary_)}
        return self

    def _values(self) -> np.ndarray:
        """Each vocabulary feature's value when present (text_weight for text features, else 1)."""
        if getattr(self, "_values_for", None) is not self.vocabulary_:
            text = ("w:", "b:", "c:", "q:")
            self._value = np.array([self.text_weight if f.startswith(text) else 1.0 for f in self.vocabulary_],
                                   dtype=np.float32)
            self._values_for = self.vocabulary_
        return self._value

    def transform(self, units: Sequence[Unit]) -> sp.csr_matrix:
        index = self.index_
        indptr = [0]
        indices: list[int] = []
        for feats in self._sets(units):
            cols = sorted(index[f] for f in feats if f in index)
            indices.extend(cols)
            indptr.append(len(indices))
        idx = np.array(indices, dtype=np.int32)
        data = self._values()[idx] if len(idx) else np.ones(0, dtype=np.float32)
        return sp.csr_matrix((data, idx, np.array(indptr, dtype=np.int64)),
                             shape=(len(indptr) - 1, len(self.vocabulary_)))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(self.vocabulary_, dtype=object)

    @classmethod
    def from_vocabulary(cls, vocabulary: Sequence[str], **params: object) -> UnitFeatures:
        """A fitted transformer from a stored vocabulary (no refitting, no pickle)."""
        self = cls(**params)  # type: ignore[arg-type]
        self.vocabulary_ = list(vocabulary)
        self.index_ = {f: i for i, f in enumerate(self.vocabulary_)}
        return self


def describe(feature: str) -> str:
    """A feature name as a reader sees it in a "why" list."""
    kind, _, value = feature.partition(":")
    return {
        "w": f"word '{value}'", "b": f"words '{value}'", "r": f"rule {value}", "rn": f"rule {value} (negated)",
        "rd": f"rule {value} (dropped)", "rc": f"a rule for {value}", "rnc": f"a rule for {value} (negated)",
        "rdc": f"a rule for {value} (dropped)", "trc": f"a rule for {value} in the turn",
        "trnc": f"a rule for {value} in the turn (negated)", "trdc": f"a rule for {value} in the turn (dropped)",
        "role": f"{value} speaking", "lang": f"language {value}",
        "c": f"letters '{value}'", "q": f"asked: '{value}'", "qc": f"asked about {value}",
    }.get(kind, feature)
