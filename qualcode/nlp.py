"""Language pipelines: tokens, lemmas and sentences, analysed once and cached.

One pipeline per language, with spaCy's blank pipelines' tokenizer rules (no trained model can
be installed here) and no spaCy on the hot path: `qualcode.tokens` splits each distinct
whitespace chunk once (plain words and "word," by regex, anything else by spaCy's rules as
`qualcode.spacy_rules` applies them) and lays a transcript's tokens out with numpy. Lemmas
(`qualcode.lemmas`): English lookup lemmas of spacy-lookups-data; Russian pymorphy3 lemmas
(`ё` folded to `е`); Kazakh (spaCy's Kyrgyz rules tokenize it) the lowercase form. spaCy itself
is imported only for token-pattern rules (its Matcher) or when the shipped rules are of
another spaCy version than the installed one.

`Pipeline.analyse` turns a transcript into an `Analysis`: numpy arrays with each
token's offsets, lowercase form, lemma, sentence and turn, and the strings they
index. It is what rule matching runs on, and it is stored in the project keyed by
the text's hash and `Pipeline.version`, so re-coding a corpus only matches.
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from qualcode import spacy_rules
from qualcode.lemmas import EN_NOUNS, Lemmatiser, dist_version, fold  # noqa: F401  (EN_NOUNS, fold: re-exported)
from qualcode.tokens import ChunkTokenizer

# Bump when anything that changes tokens, lemmas, sentences or the stored form changes: cached
# analyses and lemma caches of another version are then ignored, never reused.
# 3: tokens from qualcode.tokens (the same boundaries as spaCy's); 4: analyses stored as
# narrow arrays without zlib, lemma caches as appended segments.
NLP_VERSION = "4"

SPACY_LANG = spacy_rules.SPACY_LANG
_INT = np.int32
_MAGIC = b"QA4\x00"
# Per stored array: the narrowest of these that holds its values (codes in the header).
_NARROW = ((b"B", np.uint8), (b"H", np.uint16), (b"i", np.int32))


def _narrow(a: np.ndarray) -> tuple[bytes, bytes]:
    lo, hi = (int(a.min()), int(a.max())) if len(a) else (0, 0)
    for code, dtype in _NARROW:
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return code, a.astype(dtype).tobytes()
    raise ValueError(f"analysis values out of the int32 range: {lo}..{hi}")


@dataclass
class Analysis:
    """A transcript's tokens as parallel arrays; `lower` and `lemma` index `strings`.

    Only word tokens inside turns are kept (speaker labels and timestamps are not
    part of any turn). `sent` numbers sentences across the whole transcript; a turn
    always starts a new sentence.
    """

    strings: list[str]
    lower: np.ndarray
    lemma: np.ndarray
    start: np.ndarray
    end: np.ndarray
    sent: np.ndarray
    turn: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    @cached_property
    def index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.strings)}

    def lemmas(self) -> list[str]:
        """Each token's lemma (the most likely one where a form has several)."""
        return [self.strings[i].split("|", 1)[0] for i in self.lemma]

    @cached_property
    def _sentences(self) -> tuple[list[int], list[int]]:
        """Character start and end of every sentence (sentence ids run 0, 1, 2, ...)."""
        if not len(self.sent):
            return [], []
        first = np.flatnonzero(np.r_[True, self.sent[1:] != self.sent[:-1]])
        last = np.r_[first[1:] - 1, len(self.sent) - 1]
        return self.start[first].tolist(), self.end[last].tolist()

    def sentence_span(self, sent: int) -> tuple[int, int]:
        starts, ends = self._sentences
        return starts[sent], ends[sent]

    def sentence_tokens(self, sent: int) -> tuple[int, int]:
        """First token and one past the last token of a sentence."""
        return int(np.searchsorted(self.sent, sent, "left")), int(np.searchsorted(self.sent, sent, "right"))

    def to_bytes(self) -> bytes:
        """Stored form: a header, then each array in the narrowest integer type that holds it
        (token starts as differences from the previous start), then the strings. No zlib:
        compressing cost more than the analysis itself (BENCHMARKS.md, issue 17 analysis)."""
        start = self.start.astype(np.int64)
        arrays = (self.lower, self.lemma, np.diff(start, prepend=0), self.end - self.start, self.sent, self.turn)
        codes, blobs = zip(*map(_narrow, arrays), strict=True)
        body = "\n".join(self.strings).encode("utf-8")
        head = struct.pack("<4sII6s", _MAGIC, len(self.start), len(self.strings), b"".join(codes))
        return head + b"".join(blobs) + body

    @classmethod
    def from_bytes(cls, data: bytes) -> Analysis:
        if data[:4] != _MAGIC:  # caches are keyed by pipeline version: another form never gets here
            raise ValueError(f"not an analysis stored by qualcode-nlp-{NLP_VERSION}")
        _magic, n, n_strings, codes = struct.unpack_from("<4sII6s", data)
        pos = struct.calcsize("<4sII6s")
        dtypes = dict(_NARROW)
        arrays = []
        for code in codes:
            dtype = np.dtype(dtypes[bytes([code])])
            arrays.append(np.frombuffer(data, dtype=dtype, count=n, offset=pos).astype(_INT))
            pos += dtype.itemsize * n
        lower, lemma, step, length, sent, turn = arrays
        start = np.cumsum(step, dtype=_INT)
        strings = data[pos:].decode("utf-8").split("\n") if n_strings else []
        return cls(strings, lower, lemma, start, start + length, sent, turn)

def analysis_key(text: str, spans: Sequence[tuple[int, int, int]]) -> str:
    """The cache key of a transcript's analysis: its text and its turn spans."""
    h = hashlib.sha256(text.encode("utf-8"))
    h.update(json.dumps([list(s) for s in spans]).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class PatternWord:
    """One word of a rule pattern: matches a token whose lemma or form is in `keys`,
    or (with `prefix`) whose lemma or form starts with it."""

    keys: frozenset[str] = frozenset()
    prefix: str | None = None

    def describe(self) -> str:
        return f"{self.prefix}*" if self.prefix is not None else "|".join(sorted(self.keys))


class Pipeline:
    """Tokenizer, lemmatiser and sentence splitter for one language (en, ru or kk)."""

    def __init__(self, lang: str) -> None:
        if lang not in SPACY_LANG:
            raise ValueError(f"no pipeline for language {lang!r}; use one of {', '.join(SPACY_LANG)}")
        self.lang = lang
        self._nlp_lock = threading.Lock()
        self._local = threading.local()
        # spaCy's tokenizer rules as data (None: shipped for another spaCy version; then spaCy's
        # own tokenizer splits the chunks that are not plain words).
        self._splitter = spacy_rules.load(lang)
        specials = set(self._splitter.rules) if self._splitter is not None else set(self.nlp.tokenizer.rules)
        self.lemmatiser = Lemmatiser(lang)
        self.tokens = ChunkTokenizer(self._split_chunk, lambda t: fold(t, lang), specials, self.lemmatiser.many)
        self._patterns: dict[str, list[PatternWord]] = {}
        self.version = (f"qualcode-nlp-{NLP_VERSION}/{lang}/spacy-{spacy_rules.spacy_version()}/"
                        f"{self.lemmatiser.name}")

    @cached_property
    def nlp(self):
        """spaCy's blank pipeline for the language: built only when asked for (token-pattern rules
        need its Vocab; tests compare tokens with its tokenizer), since it costs about 0.7 s."""
        with self._nlp_lock:
            return spacy_rules.spacy_language(self.lang)

    def _split_chunk(self, chunk: str) -> list[tuple[int, int]]:
        if self._splitter is not None:
            return self._splitter(chunk)
        return [(t.idx, t.idx + len(t.text)) for t in self.nlp.tokenizer(chunk) if not t.is_space]

    # --- lemmas ----------------------------------------------------------------------------

    @property
    def cache(self) -> dict[str, str]:
        """form -> lemma, persisted per project (runs.autocode)."""
        return self.lemmatiser.cache

    @property
    def new_forms(self) -> int:
        return self.lemmatiser.new_forms

    @new_forms.setter
    def new_forms(self, n: int) -> None:
        self.lemmatiser.new_forms = n

    def lemma(self, form: str) -> str:
        """The lemma of a folded (lowercase) word form, through the cache."""
        return self.lemmatiser(form)

    def load_cache(self, data: bytes) -> None:
        self.lemmatiser.load_cache(data)

    def dump_cache(self) -> bytes:
        return self.lemmatiser.dump_cache()

    # --- analysis --------------------------------------------------------------------------

    def analyse(self, text: str, spans: Sequence[tuple[int, int, int]]) -> Analysis:
        """Tokens of `text` inside the turn spans `(turn index, start, end)`, in text order.

        Tokens come from `qualcode.tokens` (spaCy's boundaries, split once per distinct chunk);
        lemmas from the form -> lemma cache; sentences from newlines and terminal punctuation."""
        tok = self.tokens(text)
        n = len(tok.start)
        if n == 0 or not spans:
            return _empty()
        start, end = tok.start, tok.end
        order = sorted(spans, key=lambda s: s[1])
        t_idx = np.array([s[0] for s in order], dtype=np.int64)
        t_start = np.array([s[1] for s in order], dtype=np.int64)
        t_end = np.array([s[2] for s in order], dtype=np.int64)
        pos = np.searchsorted(t_start, start, "right") - 1
        keep = (pos >= 0) & (end <= t_end[np.maximum(pos, 0)])
        kept_idx = np.flatnonzero(keep)
        if len(kept_idx) == 0:
            return _empty()

        strings = tok.strings
        k_form = tok.form[kept_idx]
        k_lemma = tok.lemma[kept_idx]
        k_terminal = tok.terminal[kept_idx]
        # A sentence starts at a turn's first token, after a newline (a newline before a token
        # outside the turns moves to the next kept token), and after terminal punctuation
        # unless the next word goes on in lowercase ("т. е. мы").
        nl_before = np.cumsum(tok.after_newline)
        k_nl = nl_before[kept_idx]
        k_new = np.zeros(len(kept_idx), dtype=bool)
        k_new[1:] = k_nl[1:] != k_nl[:-1]
        k_new[1:] |= k_terminal[:-1] & ~tok.lower_initial[kept_idx[1:]]
        k_turn = t_idx[pos[kept_idx]]
        k_new[0] = True
        k_new[1:] |= k_turn[1:] != k_turn[:-1]
        sent = np.cumsum(k_new) - 1

        # This analysis's strings: the forms it uses and their lemmas, each once.
        used = np.concatenate([k_form, k_lemma])
        used.sort()  # a sort of a few thousand ids is cheaper than np.unique's hash table
        used = used[np.r_[True, used[1:] != used[:-1]]]
        local = self._scratch(len(strings))  # global string id -> its index in `used`
        local[used] = np.arange(len(used), dtype=_INT)
        return Analysis(
            strings=list(map(strings.__getitem__, used.tolist())),
            lower=local[k_form],
            lemma=local[k_lemma],
            start=start[kept_idx].astype(_INT),
            end=end[kept_idx].astype(_INT),
            sent=sent.astype(_INT),
            turn=k_turn.astype(_INT),
        )

    def _scratch(self, n: int) -> np.ndarray:
        """An int32 array of at least n entries, one per thread (analyses run in threads of the
        app): only the entries an analysis sets are read back, so it is never cleared."""
        have = getattr(self._local, "scratch", None)
        if have is None or len(have) < n:
            have = self._local.scratch = np.empty(max(n, 2 * len(have) if have is not None else 1024), dtype=_INT)
        return have

    def analyse_text(self, text: str) -> Analysis:
        """A single piece of text as one turn (index 0), e.g. for trying rules."""
        return self.analyse(text, [(0, 0, len(text))])

    # --- patterns --------------------------------------------------------------------------

    def pattern(self, pattern: str) -> list[PatternWord]:
        """A rule pattern as words, lemmatised like the text; `word*` is a prefix wildcard."""
        hit = self._patterns.get(pattern)
        if hit is None:
            hit = self._patterns[pattern] = self._pattern(pattern)
        return list(hit)

    def _pattern(self, pattern: str) -> list[PatternWord]:
        words: list[PatternWord] = []
        for chunk in pattern.split():
            if not chunk.strip("*"):
                words.append(PatternWord())  # only stars: no word; the validator reports it
                continue
            if chunk.endswith("*"):
                words.append(PatternWord(prefix=fold(chunk.rstrip("*"), self.lang)))
                continue
            if chunk.isalpha():  # a plain word is one word ("id" must not become "i" + "'d")
                form = fold(chunk, self.lang)
                words.append(PatternWord(keys=frozenset({form, *self.lemma(form).split("|")})))
                continue
            for s, e in self._split_chunk(chunk):  # split as a chunk of text is
                form = fold(chunk[s:e], self.lang)
                words.append(PatternWord(keys=frozenset({form, *self.lemma(form).split("|")})))
        return words



def _empty() -> Analysis:
    z = np.zeros(0, dtype=_INT)
    return Analysis([], z, z, z, z, z, z)


_PIPELINES: dict[str, Pipeline] = {}


def pipeline(lang: str) -> Pipeline:
    """The process's pipeline for a language, built on first use (and kept: worker
    processes build theirs once)."""
    if lang not in _PIPELINES:
        _PIPELINES[lang] = Pipeline(lang)
    return _PIPELINES[lang]
