"""The codebook's own texts as weak positive examples for the learned model.

After a few coded interviews most codes have 0-20 coded sentences, and a code with fewer than
`min_positive` gets no model. But the codebook already says what each code looks like: its
`examples` (quotes, in any of the study's languages) and its `include` text. Each of them
becomes a unit, analysed with the project's pipeline for its language and with the rule
hits the codebook's rules give it (as `qualcode.suggest.corpus` gives a transcript's), and is
a positive example of its code and of nothing else (unknown, -1, for every other code).

The estimator learns from them at a lower weight and never scores them: calibration,
thresholds and the per-code choice against the rules come from the coder's own decisions
only (qualcode.suggest.estimator). Measured on the tuning sets (BENCHMARKS.md, issue 13), they
lift the model alone from 0.51 to 0.66 turn-level kappa at 8 training interviews.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from qualcode.autocode import TurnSpan, compile_rules
from qualcode.codebook import Codebook
from qualcode.ingest.language import detect_language
from qualcode.nlp import pipeline
from qualcode.suggest.corpus import _units
from qualcode.suggest.features import Unit

PREFIX = "codebook:"  # the "transcript" of a codebook text's unit: codebook:<code>:<n>


def texts(book: Codebook, code_list: Sequence[str]) -> list[tuple[str, str, str]]:
    """(code, language, text) of each example and include text of the codes in `code_list`, in
    codebook order; texts in a language the codebook does not have are left out."""
    wanted = set(code_list)
    out = []
    for code in book.codes:
        if code.id not in wanted:
            continue
        for text in [*code.examples, *([code.include] if code.include else [])]:
            text = " ".join(str(text).split())
            lang = detect_language(text)
            if text and lang in book.languages:
                out.append((code.id, lang, text))
    return out


@dataclass
class CodebookTexts:
    """The codebook texts as units, their labels (units × codes: 1 for the text's code, else -1)
    and a hash of the texts (a model trained with them is stale when they change)."""

    units: list[Unit] = field(default_factory=list)
    Y: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int8))
    sha256: str = ""


def codebook_units(book: Codebook | None, code_list: Sequence[str]) -> CodebookTexts:
    """The codebook texts of the codes in `code_list` as units (none without a codebook)."""
    col = {c: j for j, c in enumerate(code_list)}
    found = texts(book, code_list) if book is not None else []
    langs = sorted({lang for _c, lang, _t in found})
    matchers = compile_rules(book, [lang for lang in langs if any(book.rules(lang))]) if found else {}
    units: list[Unit] = []
    labels: list[int] = []
    for n, (code, lang, text) in enumerate(found):
        spans = [SimpleNamespace(idx=0, role="respondent", start_offset=0, end_offset=len(text))]
        analysis = pipeline(lang).analyse(text, [(0, 0, len(text))])
        these, token_unit = _units(f"{PREFIX}{code}:{n}", lang, analysis, spans, "sentence")
        if lang in matchers and len(analysis):
            for m in matchers[lang].matches(analysis, text, [TurnSpan(0, "respondent", 0, len(text))], explain=True):
                kind = "r" if m.dropped is None else "rn" if m.dropped.startswith("negation") else "rd"
                these[int(token_unit[m.tok_start])].rules.extend((f"{kind}:{m.rule}", f"{kind}c:{m.code}"))
        units.extend(these)
        labels.extend([col[code]] * len(these))
    Y = np.full((len(units), len(code_list)), -1, dtype=np.int8)
    Y[np.arange(len(units)), labels] = 1
    sha = hashlib.sha256(json.dumps(found, ensure_ascii=False).encode()).hexdigest() if found else ""
    return CodebookTexts(units, Y, sha)
