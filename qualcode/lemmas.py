"""Lemmas of word forms, looked up once per distinct form and kept in a form -> lemma cache.

- English: the lowercase lookup lemmas of spacy-lookups-data, read straight from its
  `en_lemma_lookup.json.gz` (the table `spacy.lookups.load_lookups` builds from the same file,
  without importing spaCy), once per process and only when a form is not in the cache.
- Russian: pymorphy3's most probable lemmas (alternatives about as likely joined by "|"),
  loaded only when a form is not in the cache (pymorphy3 takes about 25 µs a form).
- Kazakh: no lemmatiser; the lemma is the lowercase form.

The cache is persisted per project (`runs.autocode` stores `dump_cache()`): a cache dump is a
sequence of segments, each a 4-byte length and zlib-compressed JSON `[forms, lemmas]`, so a
dump appends only the forms added since the last dump or load, instead of re-encoding the
whole cache on every run.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from importlib.util import find_spec
from pathlib import Path

# The English lookup table lemmatises these nouns as verbs ("training" -> "train", "housing"
# -> "house"), which makes rules about education or housing fire on trains and houses.
EN_NOUNS = {w: w for w in ("training", "housing", "building", "buildings", "meeting", "wedding", "funding",
                           "evening", "morning", "clothing", "savings", "earnings", "belongings", "feelings",
                           "beginning", "spending", "schooling", "lodging", "parking", "painting", "shopping")}
EN_NOUNS.update({"buildings": "building", "feelings": "feeling", "trainings": "training",
                 "meetings": "meeting", "weddings": "wedding", "evenings": "evening", "mornings": "morning"})


def dist_version(name: str) -> str:
    try:
        return package_version(name)
    except PackageNotFoundError:
        return "none"


def fold(text: str, lang: str) -> str:
    """The matching form of a word: lowercase; Russian `ё` as `е`."""
    text = text.lower()
    return text.replace("ё", "е") if lang == "ru" else text


def _english_table() -> dict:
    spec = find_spec("spacy_lookups_data")
    if spec is None or spec.origin is None:
        raise RuntimeError("spacy-lookups-data is not installed: English lemmas need its lookup table "
                           "(pip install spacy-lookups-data)")
    path = Path(spec.origin).parent / "data" / "en_lemma_lookup.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))


_CYRILLIC = re.compile("[\u0400-\u04ff]")  # a search is about 5x cheaper than a loop over characters


class Lemmatiser:
    """Form -> lemma for one language, through a cache that is filled once per distinct form."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.cache: dict[str, str] = {}
        self.new_forms = 0  # forms lemmatised since the cache was last dumped (runs.py stores it then)
        self._table: dict | None = None
        self._morph = None
        # The first `_n_encoded` entries of `cache` (insertion order) are in `_encoded`.
        self._encoded: list[bytes] = []
        self._n_encoded = 0
        if lang == "en":
            self.name = f"spacy-lookups-data-{dist_version('spacy-lookups-data')}"
        elif lang == "ru":
            self.name = f"pymorphy3-{dist_version('pymorphy3')}+{dist_version('pymorphy3-dicts-ru')}"
        else:
            self.name = "lowercase"

    def __call__(self, form: str) -> str:
        """The lemma of a folded (lowercase) word form, through the cache."""
        hit = self.cache.get(form)
        return hit if hit is not None else self.many([form])[0]

    def many(self, forms: list[str]) -> list[str]:
        """The lemmas of folded forms (each once), computing only the ones not in the cache."""
        cache = self.cache
        missing = [f for f in forms if f not in cache]
        if missing:
            for form, lemma in zip(missing, self._compute(missing), strict=True):
                if form not in cache:
                    cache[form] = lemma
                    self.new_forms += 1
        return list(map(cache.__getitem__, forms))

    def _compute(self, forms: list[str]) -> list[str]:
        if self.lang == "en":
            if self._table is None:
                self._table = _english_table()
            table = self._table
            out = []
            for form in forms:
                lemma = EN_NOUNS.get(form) or table.get(form, form)
                out.append(lemma.lower() if isinstance(lemma, str) else form)
            return out
        if self.lang == "ru":
            if self._morph is None:
                import pymorphy3

                # result_type=None: plain (word, tag, normal_form, score, methods) tuples, not
                # Parse objects (the same parses, cheaper to make)
                self._morph = pymorphy3.MorphAnalyzer(lang="ru", result_type=None)
            cyrillic = _CYRILLIC.search
            return [self._russian(f) if cyrillic(f) else f for f in forms]
        return list(forms)

    def _russian(self, form: str) -> str:
        # Keep every lemma whose parse is about as likely as the best one: pymorphy3
        # cannot tell "нашли" (найти) from "нашли" (наслать) without context, and a
        # rule for "найти работу" must still see it. Alternatives are joined by "|".
        # Most forms have one parse, or one lemma for all the likely ones: folded once.
        parses = self._morph.parse(form)
        if len(parses) == 1:
            return parses[0][2].lower().replace("ё", "е")
        top = parses[0][3]
        names = dict.fromkeys([p[2] for p in parses if p[3] >= top * 0.5])
        if len(names) == 1:
            return parses[0][2].lower().replace("ё", "е")
        return "|".join(dict.fromkeys([fold(n, "ru") for n in names]))

    # --- the persisted cache -------------------------------------------------------------------

    def load_cache(self, data: bytes) -> None:
        """Add a dumped cache's entries (forms already cached keep their lemma)."""
        was_empty = not self.cache
        pos = 0
        while pos < len(data):
            n = int.from_bytes(data[pos:pos + 4], "little")
            forms, lemmas = json.loads(zlib.decompress(data[pos + 4:pos + 4 + n]))
            pos += 4 + n
            for form, lemma in zip(forms, lemmas, strict=True):
                self.cache.setdefault(form, lemma)
        if was_empty:  # the cache is exactly this dump: the next dump appends to it
            self._encoded, self._n_encoded = [bytes(data)], len(self.cache)

    def dump_cache(self) -> bytes:
        """The whole cache as bytes: the earlier dump (or load) and one segment of the forms since."""
        items = list(self.cache.items())[self._n_encoded:]
        if items:
            body = zlib.compress(json.dumps([[f for f, _l in items], [lemma for _f, lemma in items]],
                                            ensure_ascii=False).encode(), 1)
            self._encoded.append(len(body).to_bytes(4, "little") + body)
            self._n_encoded = len(self.cache)
        data = b"".join(self._encoded)
        self._encoded = [data]
        self.new_forms = 0
        return data
