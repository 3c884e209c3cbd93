"""Language pipelines: tokens, lemmas and sentences, analysed once and cached.

One pipeline per language, built on `spacy.blank` (no trained model can be
installed here). Tokens are spaCy's (the blank pipeline's tokenizer rules) without spaCy on the hot path:
`qualcode.tokens` splits each distinct whitespace chunk once (plain words and "word," by
regex, anything else by spaCy's tokenizer) and lays a transcript's tokens out with numpy. Lemmas:

- English: the lowercase lookup lemmas of spacy-lookups-data.
- Russian: pymorphy3's most probable lemma, looked up once per
  word form and kept in a form -> lemma cache (pymorphy3 takes about 50 µs a word;
  a dict lookup about 2 µs). `ё` is folded to `е` in forms and lemmas.
- Kazakh: spaCy 3.8 has no Kazakh language class; the Kyrgyz one (also Turkic
  Cyrillic) tokenizes it. There is no Kazakh lemmatiser here, so the lemma is the
  lowercase form and Kazakh rules use prefix patterns.

`Pipeline.analyse` turns a transcript into an `Analysis`: numpy arrays with each
token's offsets, lowercase form, lemma, sentence and turn, and the strings they
index. It is what rule matching runs on, and it is stored in the project keyed by
the text's hash and `Pipeline.version`, so re-coding a corpus only matches.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

import numpy as np

from qualcode.tokens import ChunkTokenizer

# Bump when anything that changes tokens, lemmas or sentences changes: cached analyses
# and lemma caches of another version are then ignored, never reused.
NLP_VERSION = "3"  # 3: tokens from qualcode.tokens (the same boundaries as spaCy's)

SPACY_LANG = {"en": "en", "ru": "ru", "kk": "ky"}

# The English lookup table lemmatises these nouns as verbs ("training" -> "train", "housing"
# -> "house"), which makes rules about education or housing fire on trains and houses.
EN_NOUNS = {w: w for w in ("training", "housing", "building", "buildings", "meeting", "wedding", "funding",
                           "evening", "morning", "clothing", "savings", "earnings", "belongings", "feelings",
                           "beginning", "spending", "schooling", "lodging", "parking", "painting", "shopping")}
EN_NOUNS.update({"buildings": "building", "feelings": "feeling", "trainings": "training",
                 "meetings": "meeting", "weddings": "wedding", "evenings": "evening", "mornings": "morning"})
_INT = np.int32


def _dist_version(name: str) -> str:
    try:
        return package_version(name)
    except PackageNotFoundError:
        return "none"


def fold(text: str, lang: str) -> str:
    """The matching form of a word: lowercase; Russian `ё` as `е`."""
    text = text.lower()
    return text.replace("ё", "е") if lang == "ru" else text


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
        head = json.dumps({"n": len(self.start), "s": len(self.strings)}).encode()
        arrays = b"".join(a.astype(_INT).tobytes() for a in
                          (self.lower, self.lemma, self.start, self.end, self.sent, self.turn))
        body = "\n".join(self.strings).encode("utf-8")
        return zlib.compress(len(head).to_bytes(4, "little") + head + arrays + body, 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> Analysis:
        raw = zlib.decompress(data)
        n_head = int.from_bytes(raw[:4], "little")
        head = json.loads(raw[4:4 + n_head])
        n = head["n"]
        pos = 4 + n_head
        arrays = []
        for _ in range(6):
            arrays.append(np.frombuffer(raw, dtype=_INT, count=n, offset=pos))
            pos += 4 * n
        strings = raw[pos:].decode("utf-8").split("\n") if head["s"] else []
        return cls(strings, *arrays)


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
        import spacy  # imported here: loading spaCy takes a second, and not every command needs it

        if lang not in SPACY_LANG:
            raise ValueError(f"no pipeline for language {lang!r}; use one of {', '.join(SPACY_LANG)}")
        self.lang = lang
        self.nlp = spacy.blank(SPACY_LANG[lang])
        if lang == "kk":
            # The Kyrgyz suffix rules do not split a full stop after the Kazakh letters
            # қ ғ ұ ү ө ә і ң һ ("жоқ." stayed one token, hiding negation and sentence ends).
            from spacy.util import compile_suffix_regex

            suffixes = [*self.nlp.Defaults.suffixes, r"(?<=[қғұүөәіңһҚҒҰҮӨӘІҢҺ])[.,!?;:…]"]
            self.nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
        self.tokens = ChunkTokenizer(self._split_chunk, lambda t: fold(t, lang), set(self.nlp.tokenizer.rules),
                                     self.lemma)
        self.cache: dict[str, str] = {}
        self._patterns: dict[str, list[PatternWord]] = {}
        self.new_forms = 0
        self._lookup = None
        self._morph = None
        if lang == "en":
            from spacy.lookups import load_lookups

            self._lookup = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
            lemmatiser = f"spacy-lookups-data-{_dist_version('spacy-lookups-data')}"
        elif lang == "ru":
            import pymorphy3

            self._morph = pymorphy3.MorphAnalyzer(lang="ru")
            lemmatiser = f"pymorphy3-{_dist_version('pymorphy3')}+{_dist_version('pymorphy3-dicts-ru')}"
        else:
            lemmatiser = "lowercase"
        self.version = f"qualcode-nlp-{NLP_VERSION}/{lang}/spacy-{spacy.__version__}/{lemmatiser}"

    def _split_chunk(self, chunk: str) -> list[tuple[int, int]]:
        return [(t.idx, t.idx + len(t.text)) for t in self.nlp.tokenizer(chunk) if not t.is_space]

    # --- lemmas ----------------------------------------------------------------------------

    def lemma(self, form: str) -> str:
        """The lemma of a folded (lowercase) word form, through the cache."""
        hit = self.cache.get(form)
        if hit is not None:
            return hit
        if self._lookup is not None:
            lemma = EN_NOUNS.get(form) or self._lookup.get(form, form)
            lemma = lemma.lower() if isinstance(lemma, str) else form
        elif self._morph is not None and _has_cyrillic(form):
            # Keep every lemma whose parse is about as likely as the best one: pymorphy3
            # cannot tell "нашли" (найти) from "нашли" (наслать) without context, and a
            # rule for "найти работу" must still see it. Alternatives are joined by "|".
            parses = self._morph.parse(form)
            top = parses[0].score
            lemma = "|".join(dict.fromkeys(fold(p.normal_form, "ru") for p in parses if p.score >= top * 0.5))
        else:
            lemma = form
        self.cache[form] = lemma
        self.new_forms += 1
        return lemma

    def load_cache(self, data: bytes) -> None:
        self.cache.update(json.loads(zlib.decompress(data)))

    def dump_cache(self) -> bytes:
        return zlib.compress(json.dumps(self.cache, ensure_ascii=False, sort_keys=True).encode(), 1)

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
        used = np.unique(np.concatenate([k_form, k_lemma]))
        return Analysis(
            strings=list(map(strings.__getitem__, used.tolist())),
            lower=np.searchsorted(used, k_form).astype(_INT),
            lemma=np.searchsorted(used, k_lemma).astype(_INT),
            start=start[kept_idx].astype(_INT),
            end=end[kept_idx].astype(_INT),
            sent=sent.astype(_INT),
            turn=k_turn.astype(_INT),
        )

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
            for tok in self.nlp.make_doc(chunk):
                if tok.is_space:
                    continue
                form = fold(tok.text, self.lang)
                words.append(PatternWord(keys=frozenset({form, *self.lemma(form).split("|")})))
        return words



def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


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
