"""Which language a transcript is in: en, ru or kk.

Kazakh and Russian share the Cyrillic alphabet; Kazakh adds ә ғ қ ң ө ұ ү һ і, which
make up roughly a tenth of the letters of Kazakh prose and none of Russian. A
Russian interview with a few Kazakh phrases stays Russian.
"""

from __future__ import annotations

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
KAZAKH_SHARE = 0.03  # of Cyrillic letters


def detect_language(text: str) -> str:
    latin = cyrillic = kazakh = 0
    for ch in text:
        if ch.isalpha():
            if "a" <= ch.lower() <= "z":
                latin += 1
            elif "\u0400" <= ch <= "\u04ff":
                cyrillic += 1
                if ch in KAZAKH_LETTERS:
                    kazakh += 1
    if cyrillic > latin:
        return "kk" if kazakh / cyrillic >= KAZAKH_SHARE else "ru"
    return "en"
