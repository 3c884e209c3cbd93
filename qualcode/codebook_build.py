"""Building a Codebook from parsed YAML: every key, value, rule and pattern checked, every problem
collected (`_Problems`) with its line, so one load reports them all.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from qualcode import safe_regex
from qualcode.codebook_checks import _BookChecks
from qualcode.codebook_model import (
    CODE_ID,
    CODE_KEYS,
    COLOUR,
    CONTEXT_DEFAULTS,
    CONTEXT_FIX,
    CONTEXT_KEYS,
    DEFAULT_NEGATION,
    KNOWN_LANGUAGES,
    NEGATION_KEYS,
    NEGATION_SCOPES,
    RULE_KEYS,
    RULE_KINDS,
    SCOPES,
    TOP_KEYS,
    UNITS,
    Code,
    Codebook,
    Negation,
    Rule,
)
from qualcode.codebook_yaml import _line, _Map, _Seq
from qualcode.errors import CodebookError, QualcodeError
from qualcode.model import ROLES


class _Problems:
    """Collects every problem of a codebook, so one check reports them all."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[QualcodeError] = []

    def add(self, code: str, /, **fields: Any) -> None:
        self.items.append(QualcodeError(code, file=self.file, **fields))

    def raise_if_any(self) -> None:
        if self.items:
            self.items.sort(key=lambda p: int(p.fields.get("line", 0) or 0))  # in file order
            details = "\n".join(f"  - {p}" for p in self.items)
            raise CodebookError("E600", self.items, file=self.file, n=len(self.items), details=details)


class _Builder(_BookChecks):
    def __init__(self, doc: _Map, problems: _Problems, file: str, sha256: str | None = None) -> None:
        self.sha256 = sha256
        self.doc = doc
        self.p = problems
        self.file = file

    # small checks -------------------------------------------------------------------------

    def _keys(self, obj: _Map, known: tuple[str, ...], where: str) -> list[str]:
        """Report each unknown key (E605) and return them."""
        unknown = []
        for key in obj:
            if key not in known:
                near = difflib.get_close_matches(str(key), known, n=1)
                hint = f"Did you mean '{near[0]}'? " if near else ""
                self.p.add("E605", line=_line(obj, key), where=where, key=key, hint=hint, known=", ".join(known))
                unknown.append(str(key))
        return unknown

    def _str(self, obj: _Map, key: str, where: str, required: bool = False) -> str | None:
        if key not in obj or obj[key] is None:
            if required:
                self.p.add("E603", line=_line(obj), where=where, key=key, expected="text")
            return None
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.p.add("E604", line=_line(obj, key), where=where, key=key, expected="text", found=value,
                       fix=f"write {key} as a single text value")
            return None
        return str(value)

    def _str_list(self, obj: _Map, key: str, where: str) -> list[str]:
        value = obj.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str | int | float) and not isinstance(v, bool)
                                           for v in value):
            return [str(v) for v in value]
        self.p.add("E604", line=_line(obj, key), where=where, key=key, expected="text or a list of texts",
                   found=value, fix=f"write `{key}: [\"...\", \"...\"]`")
        return []

    def _unit(self, obj: _Map, where: str, default: str) -> str:
        unit = obj.get("unit", default)
        if unit not in UNITS:
            self.p.add("E604", line=_line(obj, "unit"), where=where, key="unit", expected=" | ".join(UNITS),
                       found=unit, fix="use match (the words), sentence (default) or turn")
            return default
        return unit

    def _speakers(self, obj: _Map, where: str, default: tuple[str, ...]) -> tuple[str, ...]:
        if "speakers" not in obj:
            return default
        value = obj["speakers"]
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values:
            values = [value]
        if values == ["any"] or values == "any":
            return ROLES
        bad = [v for v in values if v not in ROLES]
        if bad:
            self.p.add("E604", line=_line(obj, "speakers"), where=where, key="speakers",
                       expected=f"a list of roles ({', '.join(ROLES)}) or [any]", found=value,
                       fix="e.g. `speakers: [respondent]`")
            return default
        return tuple(v for v in ROLES if v in values)

    # the parts ----------------------------------------------------------------------------

    def build(self) -> Codebook:
        doc = self.doc
        self._keys(doc, TOP_KEYS, "file")
        name = self._str(doc, "name", "file", required=True) or "(unnamed)"
        version = self._str(doc, "version", "file", required=True) or ""
        languages = self._str_list(doc, "languages", "file")
        if "languages" not in doc:
            self.p.add("E603", line=1, where="file", key="languages", expected="a list such as [en, ru, kk]")
        for lang in languages:
            if lang not in KNOWN_LANGUAGES:
                self.p.add("E611", line=_line(doc, "languages"), where="languages", lang=lang,
                           known=", ".join(KNOWN_LANGUAGES))
        self.languages = [lang for lang in languages if lang in KNOWN_LANGUAGES]
        self.declared = set(languages)

        defaults = doc.get("defaults") or _Map()
        if not isinstance(defaults, dict):
            self.p.add("E604", line=_line(doc, "defaults"), where="defaults", key="defaults",
                       expected="a mapping", found=defaults, fix="e.g. `defaults: {unit: sentence}`")
            defaults = _Map()
        self._keys(defaults, ("unit", "speakers", *CONTEXT_KEYS), "defaults")
        self.unit = self._unit(defaults, "defaults", "sentence")
        self.context = self._context(defaults, "defaults", CONTEXT_DEFAULTS)
        self.speakers = self._speakers(defaults, "defaults", ("respondent",))
        negation = self._negation(doc.get("negation"))

        codes = self._codes(doc)
        book = Codebook(name=name, version=version, languages=self.languages, codes=codes,
                        description=self._str(doc, "description", "file"), negation=negation)
        self._hierarchy(book)
        self._rule_ids(book)
        self._never_match(book)
        book.profiles = self._profiles(doc, book)
        book.types = self._types(doc, book)
        return book

    def _context(self, obj: _Map, where: str, inherited: dict[str, Any]) -> dict[str, Any]:
        """The CONTEXT_KEYS of defaults, a code or a rule, each falling back to `inherited`."""
        out = dict(inherited)
        for key in CONTEXT_KEYS:
            if key not in obj:
                continue
            value = obj[key]
            if key == "scope":
                if value not in SCOPES:
                    self.p.add("E604", line=_line(obj, key), where=where, key=key, expected=" or ".join(SCOPES),
                               found=value, fix="`scope: self` for codes about the respondent's own household")
                    continue
            elif not isinstance(value, bool):
                self.p.add("E604", line=_line(obj, key), where=where, key=key, expected="true or false",
                           found=value, fix=CONTEXT_FIX[key])
                continue
            out[key] = value
        return out

    def _negation(self, raw: Any) -> dict[str, Negation]:
        out = {lang: Negation(frozenset(v["cues"]), v["before"], v["after"], tuple(v["after_phrases"]),
                              v["after_window"]) for lang, v in DEFAULT_NEGATION.items()}
        if raw is None:
            return out
        if not isinstance(raw, dict):
            self.p.add("E604", line=_line(self.doc, "negation"), where="negation", key="negation",
                       expected="a mapping of language to {cues, before, after}", found=raw,
                       fix="see codebooks/README.md")
            return out
        for lang, spec in raw.items():
            where = f"negation for '{lang}'"
            if lang not in KNOWN_LANGUAGES:
                self.p.add("E611", line=_line(raw, lang), where="negation", lang=lang,
                           known=", ".join(KNOWN_LANGUAGES))
                continue
            if not isinstance(spec, dict):
                self.p.add("E604", line=_line(raw, lang), where=where, key=lang, expected="{cues, before, after}",
                           found=spec, fix="e.g. `en: {cues: [no, not], before: 3, after: 0}`")
                continue
            self._keys(spec, NEGATION_KEYS, where)
            base = DEFAULT_NEGATION[lang]
            cues = self._str_list(spec, "cues", where) if "cues" in spec else base["cues"]
            window = {}
            for key in ("before", "after", "after_window"):
                value = spec.get(key, base[key])
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    self.p.add("E604", line=_line(spec, key), where=where, key=key, expected="a whole number >= 0",
                               found=value, fix=f"e.g. `{key}: 3`")
                    value = base[key]
                window[key] = value
            phrases = self._str_list(spec, "after_phrases", where) if "after_phrases" in spec else base["after_phrases"]
            scope = spec.get("scope", "clause")
            if scope not in NEGATION_SCOPES:
                self.p.add("E604", line=_line(spec, "scope"), where=where, key="scope",
                           expected=" or ".join(NEGATION_SCOPES), found=scope,
                           fix="`scope: clause` (a cue anywhere before the match in its clause) or `scope: window` "
                               "(only `before` tokens)")
                scope = "clause"
            out[lang] = Negation(frozenset(c.lower() for c in cues), window["before"], window["after"],
                                 tuple(phrases), window["after_window"], scope)
        return out

    def _codes(self, doc: _Map) -> list[Code]:
        raw = doc.get("codes")
        if raw is None:
            self.p.add("E603", line=1, where="file", key="codes", expected="a list of codes")
            return []
        if not isinstance(raw, list):
            self.p.add("E604", line=_line(doc, "codes"), where="codes", key="codes", expected="a list of codes",
                       found=type(raw).__name__, fix="write each code as an item starting with `- id: ...`")
            return []
        codes: list[Code] = []
        first_line: dict[str, int] = {}
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, _Seq) else 1
            if not isinstance(item, dict):
                self.p.add("E604", line=line, where=f"codes item {i + 1}", key="code", expected="a mapping with id "
                           "and name", found=item, fix="start the item with `- id: ...` and `name: ...`")
                continue
            code = self._code(item, line)
            if code is None:
                continue
            if code.id in first_line:
                self.p.add("E606", line=line, code=code.id, first=first_line[code.id])
                continue
            first_line[code.id] = line
            codes.append(code)
        return codes

    def _code(self, item: _Map, line: int) -> Code | None:
        code_id = self._str(item, "id", f"codes item at line {line}", required=True)
        if code_id is None:
            return None
        where = f"code '{code_id}'"
        if not CODE_ID.match(code_id):
            self.p.add("E604", line=_line(item, "id"), where=where, key="id",
                       expected="a dot path of names (letters, digits, _ or -)", found=code_id,
                       fix="e.g. `push.unemployment`")
            return None
        self._keys(item, CODE_KEYS, where)
        colour = item.get("color", item.get("colour"))
        colour_key = "color" if "color" in item else "colour"
        if colour_key in item and colour is None:  # `color: #d62728` unquoted: YAML read a comment
            self.p.add("E612", line=_line(item, colour_key), where=where, value="(empty)")
        elif colour is not None and not (isinstance(colour, str) and COLOUR.match(colour)):
            self.p.add("E612", line=_line(item, "color" if "color" in item else "colour"), where=where, value=colour)
            colour = None
        parent = self._str(item, "parent", where)
        if parent is None and "." in code_id:
            parent = code_id.rsplit(".", 1)[0]
        code = Code(
            id=code_id,
            name=self._str(item, "name", where, required=True) or code_id,
            parent=parent,
            description=self._str(item, "description", where),
            include=self._str(item, "include", where),
            exclude=self._str(item, "exclude", where),
            examples=self._str_list(item, "examples", where),
            color=colour,
            memo=self._str(item, "memo", where),
            unit=self._unit(item, where, self.unit),
            speakers=self._speakers(item, where, self.speakers),
            line=line,
            context=self._context(item, where, self.context),
        )
        code.rules = self._rules(item, code)
        return code

    def _rules(self, item: _Map, code: Code) -> list[Rule]:
        raw = item.get("rules")
        if raw is None:
            return []
        where = f"code '{code.id}'"
        if not isinstance(raw, dict):
            self.p.add("E604", line=_line(item, "rules"), where=where, key="rules",
                       expected="a mapping of language to a list of rules", found=type(raw).__name__,
                       fix="write `rules:` then `en:` and a list of `- phrase: ...` items under it")
            return []
        rules: list[Rule] = []
        for lang, items in raw.items():
            if lang not in self.languages:
                if lang not in self.declared:  # a language declared but unknown is reported once, above
                    self.p.add("E611", line=_line(raw, lang), where=where, lang=lang,
                               known=", ".join(self.languages) or "none declared")
                continue
            if items is None:
                continue
            if not isinstance(items, list):
                self.p.add("E604", line=_line(raw, lang), where=where, key=lang, expected="a list of rules",
                           found=type(items).__name__, fix="start each rule with `- phrase:` (or near, regex, tokens)")
                continue
            for n, spec in enumerate(items, start=1):
                line = items.item_lines[n - 1] if isinstance(items, _Seq) else _line(raw, lang)
                rule = self._rule(spec, code, lang, n, line)
                if rule is not None:
                    rules.append(rule)
        return rules

    def _rule(self, spec: Any, code: Code, lang: str, n: int, line: int) -> Rule | None:
        default_id = f"{code.id}/{lang}/{n}"
        if isinstance(spec, str):  # a bare string is a phrase, the most common rule
            spec = _Map(phrase=spec)
            spec.line, spec.key_lines = line, {"phrase": line}
        if not isinstance(spec, dict):
            self.p.add("E604", line=line, where=f"rule '{default_id}'", key="rule",
                       expected="a mapping such as {phrase: ...}", found=spec, fix="write `- phrase: \"...\"`")
            return None
        rule_id = self._str(spec, "id", f"rule '{default_id}'") or default_id
        where = f"rule '{rule_id}' of code '{code.id}'"
        unknown = self._keys(spec, RULE_KEYS, where)
        kinds = [k for k in RULE_KINDS if k in spec]
        if not kinds and unknown:
            # The kind is most likely the misspelled key, and E605 already names it with a
            # "Did you mean"; a second error advising to split the rule would mislead.
            return None
        if len(kinds) != 1:
            fix = ("split it into one rule per kind" if kinds
                   else "give it one of `phrase:`, `near:`, `regex:` or `tokens:`")
            self.p.add("E604", line=line, where=where, key="/".join(RULE_KINDS), expected="exactly one of them",
                       found=", ".join(kinds) or "none", fix=fix)
            return None
        kind = kinds[0]
        negation = spec.get("negation", True)
        if not isinstance(negation, bool):
            self.p.add("E604", line=_line(spec, "negation"), where=where, key="negation", expected="true or false",
                       found=negation, fix="write `negation: false` to keep negated matches")
            negation = True
        context = self._context(spec, where, code.context)
        speakers = self._speakers(spec, where, code.speakers)
        if context["questions"] is None:
            context["questions"] = "interviewer" in speakers
        rule = Rule(id=rule_id, code=code.id, lang=lang, kind=kind, negation=negation, **context,
                    sense=self._str_list(spec, "sense", where),
                    unless=self._str_list(spec, "unless", where), unit=self._unit(spec, where, code.unit),
                    speakers=speakers, note=self._str(spec, "note", where),
                    line=line)
        if kind == "phrase":
            rule.patterns = self._str_list(spec, "phrase", where)
            if not rule.patterns:
                self.p.add("E613", line=line, where=where, reason="the phrase list is empty",
                           fix="give one or more patterns, e.g. `phrase: [\"find work\"]`")
        elif kind == "near":
            items = spec.get("near")
            if not isinstance(items, list):
                items = [items]
            for item in items:
                alternatives = item if isinstance(item, list) else [item]
                if not alternatives or not all(isinstance(x, str | int | float) and not isinstance(x, bool)
                                               for x in alternatives):
                    self.p.add("E604", line=_line(spec, "near"), where=where, key="near",
                               expected="a list of patterns, each a text or a list of alternative texts",
                               found=item, fix="e.g. `near: [[uncle, cousin, friend], move]`")
                    continue
                rule.near.append([str(x) for x in alternatives])
            rule.patterns = [p for item in rule.near for p in item]
            within = spec.get("within", 5)
            if isinstance(within, bool) or not isinstance(within, int):
                self.p.add("E604", line=_line(spec, "within"), where=where, key="within",
                           expected="a whole number of tokens", found=within, fix="e.g. `within: 5`")
                within = 5
            rule.within = within
            if len(rule.near) < 2:
                self.p.add("E613", line=line, where=where, reason=f"near needs two or more patterns, found "
                           f"{len(rule.near)}", fix="use `phrase:` for a single pattern")
            elif within < len(rule.near) - 1:
                self.p.add("E613", line=_line(spec, "within"), where=where,
                           reason=f"{len(rule.near)} patterns cannot all start within {within} token(s)",
                           fix=f"set `within:` to at least {len(rule.near) - 1}")
        elif kind == "regex":
            rule.regex = self._str(spec, "regex", where)
            if rule.regex is not None:
                try:
                    compiled = re.compile(rule.regex, re.IGNORECASE)
                except re.error as exc:
                    self.p.add("E609", line=_line(spec, "regex"), where=where, pattern=rule.regex, reason=str(exc),
                               fix="escape special characters with \\ (in YAML double quotes write \\\\), "
                                   "or use a phrase rule")
                else:
                    if compiled.fullmatch(""):
                        self.p.add("E613", line=_line(spec, "regex"), where=where,
                                   reason=f"the regex {rule.regex!r} matches empty text, so it marks nothing",
                                   fix="make at least one character required (e.g. + instead of *)")
                    elif why := safe_regex.catastrophic(rule.regex):
                        self.p.add("E950", line=_line(spec, "regex"), where=where, pattern=rule.regex,
                                   reason=why, fix=safe_regex.FIX)
                    elif why := safe_regex.engine_error(rule.regex):
                        self.p.add("E609", line=_line(spec, "regex"), where=where, pattern=rule.regex, reason=why,
                                   fix="write it in the syntax of Python's re module")
        else:
            rule.tokens = spec.get("tokens")
            self._check_tokens(rule, spec, where)
        return rule

    def _check_tokens(self, rule: Rule, spec: _Map, where: str) -> None:
        pattern = rule.tokens
        line = _line(spec, "tokens")
        if not isinstance(pattern, list) or not pattern or not all(isinstance(t, dict) for t in pattern):
            self.p.add("E610", line=line, where=where, reason=f"expected a non-empty list of dicts, found {pattern!r}")
            rule.tokens = None
            return
        from spacy.errors import MatchPatternError
        from spacy.matcher import Matcher
        from spacy.vocab import Vocab

        rule.tokens = [dict(t) for t in pattern]
        try:
            Matcher(Vocab(), validate=True).add("check", [rule.tokens])
        except (MatchPatternError, ValueError, KeyError, TypeError) as exc:
            reason = " ".join(str(exc).split())
            self.p.add("E610", line=line, where=where, reason=reason[:300])
            rule.tokens = None
            return
        for rx in safe_regex.token_regexes(rule.tokens):  # spaCy runs these with `re`, unbounded
            if why := safe_regex.catastrophic(rx, 0):
                self.p.add("E950", line=line, where=where, pattern=rx, reason=why, fix=safe_regex.FIX)
