"""Record what qualcode's analysis gives for a few texts, as tests/data/analysis_v3.json.

Recorded with the code before issue 17's analysis rewrite (commit 96f4318, pipeline version 3,
spaCy's tokenizer for every chunk that is not a plain word), so that tests/test_analysis_v4.py
checks the new code gives the same tokens, forms, lemmas and sentences:

    git worktree add --detach /tmp/base 96f4318
    PYTHONPATH=/tmp/base .venv/bin/python tests/data/make_analysis_fixture.py
"""

from __future__ import annotations

import json
from pathlib import Path

from qualcode.nlp import pipeline

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXTRA = {
    "en": "don't DON'T Don't can't won't I'm you're (a.m.) a.m., U.S.A. e.g., Mr. Dr.Smith :) :-) 10,000 $5 3.5% "
          "5pm 1990s... ?! 'cause y'all o'clock rock'n'roll ain't gonna well-known e-mail x-ray 2-3 #1 @home "
          "http://x.org/a?b=1 foo@bar.com ok--no \"Yes,\" she said.\n(maybe) [sic] A. B. Smith's dogs' cats'",
    "ru": "т. е. т.е. и т.д. и т. п. что-то кое-где по-русски ё-моё Ещё ещё 10,5 тыс. руб. 2019-м 1-го «Да» "
          "(нет)... — Нет!!! ЦЗН Алма-Ату/Астану 42 500 тг., г. Алматы, ул. Абая, д. 5. Т. Иванов",
    "kk": "Жоқ. жоқ, біз қала-ға 2010 ж. көштік! Жұмыс бар ма? Иә, бар: үй, көлік… «жақсы» (шын).",
}
TEXTS = {
    "en": [EXTRA["en"], (ROOT / "interviews" / "kz01.txt").read_text(encoding="utf-8")[:6000]],
    "ru": [EXTRA["ru"], (ROOT / "interviews" / "kz03.txt").read_text(encoding="utf-8")[:6000]],
    "kk": [EXTRA["kk"], (HERE / "kazakh_kk.txt").read_text(encoding="utf-8")[:6000]],
}


def main() -> None:
    out: dict[str, list] = {}
    for lang, texts in TEXTS.items():
        for text in texts:
            a = pipeline(lang).analyse_text(text)
            out.setdefault(lang, []).append({"text": text, "tokens": [
                [s, e, a.strings[lo], a.strings[le], sent] for s, e, lo, le, sent in zip(
                    a.start.tolist(), a.end.tolist(), a.lower.tolist(), a.lemma.tolist(), a.sent.tolist(),
                    strict=True)]})
    (HERE / "analysis_v3.json").write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n",
                                           encoding="utf-8")


if __name__ == "__main__":
    main()
