"""The pattern entries of a compiled `Matcher` and the word each is looked up by (its anchor).

Each pattern becomes an `_Entry` of per-word symbol sets for `qualcode.phrase_index`; the anchor
is the word an entry is found by in a transcript, the rarest-looking one, not a common word.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from qualcode.nlp import PatternWord


@dataclass
class _Entry:
    words: list[PatternWord]

    def __post_init__(self) -> None:
        self.syms = [_symbols(w) for w in self.words]


def _words(text: str) -> set[str]:
    return set(text.split())


# Words too common to anchor a pattern on (every "we" would be a candidate).
_COMMON = {
    "en": _words("i we you he she it they me us my our your his her its their the a an to of in on at for with "
              "and or but so that this there was were is are be been have has had do did not no very"),
    "ru": _words("я мы ты вы он она оно они меня нас мой наш ваш его её их в во на с со к ко по за из у о об от до "
              "и а но что это там был была были быть есть не нет ни так вот уже ещё еще очень"),
    "kk": _words("мен біз сен сіз ол олар және бен мен пен да де та те бар жоқ емес осы сол бұл"),
}


def _anchor(words: list[PatternWord], lang: str) -> int:
    """The index of the word a pattern is looked up by: the longest word that is not common."""
    common = _COMMON.get(lang, set())

    def score(w: PatternWord) -> float:
        if w.prefix is not None:
            return len(w.prefix) - 1.5
        if not w.keys:
            return -10
        base = min(len(k) for k in w.keys)
        return base - 10 if w.keys & common else base

    return max(range(len(words)), key=lambda i: (score(words[i]), -i))



@lru_cache(maxsize=200_000)
def _symbols(word: PatternWord) -> frozenset[str]:
    if word.prefix is not None:
        return frozenset({"*" + word.prefix})
    return frozenset("=" + k for k in word.keys)
