"""spaCy's tokenizer rules without spaCy: its blank pipelines' rules, kept as data, applied in Python.

Importing spaCy and building a blank pipeline costs about 0.7 s per process (issue 17: a
quarter of the time first coding may take for a million words), and qualcode needs only the
tokenizer's rules from it: prefix, suffix, infix and URL patterns and the special cases
("don't" -> "do" + "n't"). `extract` reads them from spaCy once; they are shipped in
`qualcode/tokenizer_rules/<lang>.json` with the spaCy version they came from, and
`AffixSplitter` applies them to one whitespace chunk the way `spacy.tokenizer.Tokenizer` does
(`_split_affixes`, `_attach_tokens` and the special-case matcher of spaCy 3.8's tokenizer.pyx,
ported line by line). When the installed spaCy is another version, `load` returns None and the
caller uses spaCy's own tokenizer (the rules might differ). `tests/test_spacy_rules.py`
checks that the shipped rules are what spaCy gives today and that the splits are spaCy's.

Regenerate after a spaCy upgrade: `python -m qualcode.spacy_rules`.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent / "tokenizer_rules"
SPACY_LANG = {"en": "en", "ru": "ru", "kk": "ky"}
_ORTH = 65  # spaCy's attribute id of ORTH in a special case's token dicts
_NEVER = re.compile("a^")  # spaCy's stand-in for a pattern that is not set


def spacy_version() -> str:
    try:
        return package_version("spacy")
    except PackageNotFoundError:
        return "none"


def spacy_language(lang: str):
    """qualcode's blank spaCy pipeline for a language (Kazakh: the Kyrgyz one, with full stops
    after Kazakh letters split off). Imports spaCy: only for extraction and slow fallbacks."""
    import spacy

    nlp = spacy.blank(SPACY_LANG[lang])
    if lang == "kk":
        # The Kyrgyz suffix rules do not split a full stop after the Kazakh letters
        # қ ғ ұ ү ө ә і ң һ ("жоқ." stayed one token, hiding negation and sentence ends).
        from spacy.util import compile_suffix_regex

        suffixes = [*nlp.Defaults.suffixes, r"(?<=[қғұүөәіңһҚҒҰҮӨӘІҢҺ])[.,!?;:…]"]
        nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    return nlp


def extract(lang: str) -> dict:
    """The tokenizer rules of `spacy_language(lang)`, as JSON-able data."""
    tok = spacy_language(lang).tokenizer

    def pattern(fn) -> list | None:
        owner = getattr(fn, "__self__", None)
        return None if owner is None else [owner.pattern, owner.flags]

    rules = {key: [t[_ORTH] for t in subs] for key, subs in sorted(tok.rules.items())}
    # Special cases that spaCy also looks for across the tokens of a chunk, after affixes are
    # split (Tokenizer.add_special_case: those with a prefix, suffix or infix in them).
    matched = [key for key in rules if not tok.faster_heuristics or tok.find_prefix(key) or tok.find_infix(key)
               or tok.find_suffix(key) or " " in key]
    out = {"spacy": spacy_version(), "lang": lang, "prefix": pattern(tok.prefix_search),
           "suffix": pattern(tok.suffix_search), "infix": pattern(tok.infix_finditer),
           "token_match": pattern(tok.token_match), "url_match": pattern(tok.url_match),
           "faster_heuristics": bool(tok.faster_heuristics), "rules": rules}
    # How the affix rules alone split each matcher key: this module's own splitter without
    # special cases (spaCy's `_tokenize_affixes(key, False)`, which Python cannot call).
    plain = AffixSplitter(out, specials=False)
    out["matched"] = {key: [key[s:e] for s, e in plain(key)] for key in matched}
    return out


def _compiled(spec: list | None):
    return _NEVER if spec is None else re.compile(spec[0], spec[1])


class AffixSplitter:
    """spaCy's tokenizer for one chunk (a maximal run of non-whitespace), from `extract`'s data.

    `__call__(chunk)` gives the (start, end) offsets of its tokens, as
    `spacy.tokenizer.Tokenizer.__call__(chunk)` would."""

    def __init__(self, data: dict, *, specials: bool = True) -> None:
        self.prefix = _compiled(data["prefix"]).search
        self.suffix = _compiled(data["suffix"]).search
        self.infix = _compiled(data["infix"]).finditer
        self.token_match = None if data["token_match"] is None else _compiled(data["token_match"]).match
        self.url_match = None if data["url_match"] is None else _compiled(data["url_match"]).match
        self.rules: dict[str, list[str]] = data["rules"] if specials else {}
        # token orths (as split by affixes) -> the special case they spell
        self.matched: dict[tuple[str, ...], str] = {}
        if specials:
            for key, orths in data.get("matched", {}).items():
                self.matched[tuple(orths)] = key
        self._longest = max((len(k) for k in self.matched), default=0)

    def _find_prefix(self, s: str) -> int:
        m = self.prefix(s)
        return m.end() - m.start() if m is not None else 0

    def _find_suffix(self, s: str) -> int:
        m = self.suffix(s)
        return m.end() - m.start() if m is not None else 0

    def __call__(self, chunk: str) -> list[tuple[int, int]]:
        words = self.words(chunk)
        spans, at = [], 0
        for w in words:
            spans.append((at, at + len(w)))
            at += len(w)
        return spans

    def words(self, chunk: str) -> list[str]:
        rules = self.rules
        if chunk in rules:
            return list(rules[chunk])
        prefixes: list[str] = []
        suffixes: list[str] = []
        string = self._split_affixes(chunk, prefixes, suffixes)
        out = prefixes
        if string:
            if string in rules:
                out.extend(rules[string])
            elif (self.token_match and self.token_match(string)) or (self.url_match and self.url_match(string)):
                out.append(string)
            else:
                start = 0
                for match in self.infix(string):
                    infix_start, infix_end = match.start(), match.end()
                    if infix_start == 0:  # spaCy: start_before_infixes, always 0
                        continue
                    if infix_start != start:
                        out.append(string[start:infix_start])
                    if infix_start != infix_end:
                        out.append(string[infix_start:infix_end])
                    start = infix_end
                if string[start:]:
                    out.append(string[start:])
        out.extend(reversed(suffixes))
        if self.matched and len(out) > 1:
            out = self._apply_special_cases(out)
        return out

    def _split_affixes(self, string: str, prefixes: list[str], suffixes: list[str]) -> str:
        rules = self.rules
        last_size = 0
        while string and len(string) != last_size:
            if self.token_match and self.token_match(string):
                break
            if string in rules:
                break
            last_size = len(string)
            pre_len = self._find_prefix(string)
            if pre_len != 0:
                prefix = string[:pre_len]
                minus_pre = string[pre_len:]
                if minus_pre and minus_pre in rules:
                    prefixes.append(prefix)
                    return minus_pre
            suf_len = self._find_suffix(string[pre_len:])
            if suf_len != 0:
                suffix = string[-suf_len:]
                minus_suf = string[:-suf_len]
                if minus_suf and minus_suf in rules:
                    suffixes.append(suffix)
                    return minus_suf
            if pre_len and suf_len and (pre_len + suf_len) <= len(string):
                string = string[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                string = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                string = minus_suf
                suffixes.append(suffix)
        return string

    def _apply_special_cases(self, words: list[str]) -> list[str]:
        """spaCy's second pass: special cases found as token sequences (its PhraseMatcher),
        longest first, never two on one token (`_filter_special_spans`)."""
        found = []
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + self._longest) + 1):
                key = self.matched.get(tuple(words[i:j]))
                if key is not None:
                    found.append((i, j, key))
        if not found:
            return words
        found.sort(key=lambda m: (m[1] - m[0], -m[0]))  # spaCy's len_start_cmp
        seen: set[int] = set()
        kept = []
        for i, j, key in reversed(found):
            if i not in seen and j - 1 not in seen:
                kept.append((i, j, key))
            seen.update(range(i, j))
        out, at = [], 0
        for i, j, key in sorted(kept):
            out.extend(words[at:i])
            out.extend(self.rules[key])
            at = j
        out.extend(words[at:])
        return out


def load(lang: str) -> AffixSplitter | None:
    """The shipped rules of a language, or None if they are missing or from another spaCy."""
    path = RULES_DIR / f"{lang}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("spacy") != spacy_version():
        return None
    return AffixSplitter(data)


def main() -> None:
    RULES_DIR.mkdir(exist_ok=True)
    for lang in SPACY_LANG:
        data = extract(lang)
        (RULES_DIR / f"{lang}.json").write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n",
                                                encoding="utf-8")
        print(f"{lang}: {len(data['rules'])} special cases, {len(data['matched'])} matched, spaCy {data['spacy']}")


if __name__ == "__main__":
    main()
