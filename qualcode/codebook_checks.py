"""Whole-book checks of a codebook: the code hierarchy, unique rule ids, patterns that can never
match, profiles and types. A mixin of the builder in `qualcode.codebook_build`.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from qualcode import codebook_cache
from qualcode.codebook_conditions import condition_names
from qualcode.codebook_model import (
    Codebook,
    Profile,
    TypeDef,
)
from qualcode.codebook_yaml import _line, _Map, _Seq

if TYPE_CHECKING:
    from qualcode.codebook_build import _Problems


class _BookChecks:
    """The checks that need the whole book; `self.p` collects the problems (see `_Builder`)."""

    p: _Problems
    sha256: str | None  # of the codebook's bytes: the key of the never-matches cache

    def _hierarchy(self, book: Codebook) -> None:
        ids = {c.id: c for c in book.codes}
        for code in book.codes:
            if code.parent is not None and code.parent not in ids:
                self.p.add("E607", line=code.line, code=code.id, parent=code.parent)
                code.parent = None
        reported: set[str] = set()
        for code in book.codes:
            seen = [code.id]
            parent = code.parent
            while parent is not None:
                if parent in seen:
                    cycle = [*seen[seen.index(parent):], parent]
                    if not reported & set(cycle):
                        self.p.add("E608", line=code.line, code=code.id, cycle=" -> ".join(cycle))
                        reported |= set(cycle)
                    break
                seen.append(parent)
                parent = ids[parent].parent
        if reported:  # break cycles so later passes (descendants) terminate
            for code in book.codes:
                if code.id in reported:
                    code.parent = None

    def _rule_ids(self, book: Codebook) -> None:
        first: dict[str, int] = {}
        for rule in book.rules():
            if rule.id in first:
                self.p.add("E614", line=rule.line, rule=rule.id, first=first[rule.id])
            else:
                first[rule.id] = rule.line

    def _never_match(self, book: Codebook) -> None:
        """Patterns that are empty, and `unless` patterns that are part of the rule's own pattern;
        kept by the codebook's hash (qualcode.codebook_cache), since finding them builds every
        language's spaCy pipeline."""
        cache_key = codebook_cache.key(self.sha256) if self.sha256 else None
        found = codebook_cache.get(cache_key) if cache_key else None
        if found is None:
            found = self._never_match_problems(book)
            if cache_key:
                codebook_cache.put(cache_key, found)
        for fields in found:
            self.p.add("E613", **fields)

    def _never_match_problems(self, book: Codebook) -> list[dict[str, Any]]:
        from qualcode.nlp import pipeline

        found: list[dict[str, Any]] = []
        for rule in book.rules():
            if rule.kind not in ("phrase", "near") and not rule.unless:
                continue
            where = f"rule '{rule.id}' of code '{rule.code}'"
            nlp = pipeline(rule.lang)
            compiled = []
            for pattern in rule.patterns:
                words = nlp.pattern(pattern)
                if not words or any(not w.keys and w.prefix is None for w in words):
                    found.append(dict(line=rule.line, where=where,
                                      reason=f"the pattern {pattern!r} has no word to match"
                                      + (" ('*' alone is not a word)" if "*" in pattern else ""),
                                      fix="write words; '*' goes at the end of a word as a prefix wildcard, "
                                          "e.g. 'переез*'"))
                    continue
                compiled.append((pattern, words))
            if rule.kind != "phrase":
                continue
            for unless in rule.unless:
                u_words = nlp.pattern(unless)
                if not u_words:
                    continue
                for pattern, words in compiled:
                    if _contains(words, u_words):
                        found.append(dict(line=rule.line, where=where,
                                          reason=f"the `unless` pattern {unless!r} is part of the pattern "
                                                 f"{pattern!r}, so every match is dropped",
                                          fix="remove that pattern or that `unless`"))
        return found

    def _profiles(self, doc: _Map, book: Codebook) -> list[Profile]:
        raw = doc.get("profiles") or []
        out: list[Profile] = []
        if not isinstance(raw, list):
            self.p.add("E604", line=_line(doc, "profiles"), where="profiles", key="profiles", expected="a list",
                       found=type(raw).__name__, fix="write each profile as `- id: ...` with `weights:`")
            return out
        ids = set(book.ids)
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, _Seq) else 1
            if not isinstance(item, dict):
                self.p.add("E604", line=line, where="profiles", key="profile", expected="a mapping", found=item,
                           fix="write `- id: resources` with `weights: {code: 1}`")
                continue
            pid = self._str(item, "id", f"profile at line {line}", required=True) or f"profile{i + 1}"
            where = f"profile '{pid}'"
            self._keys(item, ("id", "name", "description", "weights"), where)
            weights_raw = item.get("weights")
            weights: dict[str, float] = {}
            if not isinstance(weights_raw, dict) or not weights_raw:
                self.p.add("E604", line=line, where=where, key="weights", expected="a mapping of code id to number",
                           found=weights_raw, fix="e.g. `weights: {resource.savings: 1, resource_lack.debt: -1}`")
            else:
                for code_id, w in weights_raw.items():
                    if code_id not in ids:
                        self.p.add("E615", line=_line(weights_raw, code_id), where=where,
                                   reason=f"unknown code '{code_id}'", fix=_near_hint(code_id, ids))
                    elif isinstance(w, bool) or not isinstance(w, int | float):
                        self.p.add("E604", line=_line(weights_raw, code_id), where=where, key=code_id,
                                   expected="a number", found=w, fix="e.g. 1 or -1")
                    else:
                        weights[code_id] = float(w)
            out.append(Profile(pid, self._str(item, "name", where) or pid, weights,
                               self._str(item, "description", where), line))
        clash = ids & {p.id for p in out}
        for pid in sorted(clash):
            self.p.add("E615", line=next(p.line for p in out if p.id == pid), where=f"profile '{pid}'",
                       reason="a code has the same id", fix="rename the profile")
        return out

    def _types(self, doc: _Map, book: Codebook) -> list[TypeDef]:
        raw = doc.get("types") or []
        out: list[TypeDef] = []
        if not isinstance(raw, list):
            self.p.add("E604", line=_line(doc, "types"), where="types", key="types", expected="a list",
                       found=type(raw).__name__, fix="write each type as `- id: ...` with `when: ...`")
            return out
        names = set(book.ids) | {p.id for p in book.profiles}
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, _Seq) else 1
            if not isinstance(item, dict):
                self.p.add("E604", line=line, where="types", key="type", expected="a mapping", found=item,
                           fix="write `- id: development` with `when: ...`")
                continue
            tid = self._str(item, "id", f"type at line {line}", required=True) or f"type{i + 1}"
            where = f"type '{tid}'"
            self._keys(item, ("id", "name", "description", "when", "score"), where)
            when = self._str(item, "when", where, required=True)
            score = self._str(item, "score", where)
            for key, expr in (("when", when), ("score", score)):
                if expr is None:
                    continue
                try:
                    used = condition_names(expr)
                except ValueError as exc:
                    label = "condition" if key == "when" else "score"
                    self.p.add("E615", line=_line(item, key), where=where, reason=f"bad {label} {expr!r}: {exc}",
                               fix="use code ids, profile ids, numbers, + - * /, min/max/abs, comparisons, "
                                   "and/or/not, parentheses")
                else:
                    for name in sorted(used - names):
                        self.p.add("E615", line=_line(item, key), where=where,
                                   reason=f"the {key} uses '{name}', which is neither a code nor a profile",
                                   fix=_near_hint(name, names))
            out.append(TypeDef(tid, self._str(item, "name", where) or tid, when or "false",
                               self._str(item, "description", where), line, score))
        if any(t.id == "unassigned" for t in out):
            self.p.add("E615", line=next(t.line for t in out if t.id == "unassigned"), where="type 'unassigned'",
                       reason="'unassigned' is what a case with too little evidence gets",
                       fix="give the type another id")
        return out


def _near_hint(name: str, known: set[str]) -> str:
    near = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean '{near[0]}'?" if near else "use a code id defined in `codes:`"


def _contains(words: list, sub: list) -> bool:
    """Whether pattern `sub` occurs inside pattern `words` (then `unless: sub` drops every match)."""
    def same(word, u) -> bool:
        """Whether every token `word` matches is also matched by the unless word `u`."""
        if u.prefix is not None:
            if word.prefix is not None:
                return word.prefix.startswith(u.prefix)
            return bool(word.keys) and all(k.startswith(u.prefix) for k in word.keys)
        if word.prefix is not None:
            return False
        return bool(word.keys & u.keys)

    return any(all(same(words[i + j], sub[j]) for j in range(len(sub)))
               for i in range(len(words) - len(sub) + 1))
