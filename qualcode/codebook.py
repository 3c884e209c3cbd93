"""Codebooks: a YAML file of codes, their definitions and their rules.

The format is documented, with a worked example, in `codebooks/README.md`. A
codebook is validated as a whole when it is loaded: every problem is reported at
once, each with the file, the line, the code or rule, what is wrong and the fix,
so a sociologist can correct the file in one pass.
"""

from __future__ import annotations

import ast
import difflib
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qualcode import safe_regex, safe_yaml
from qualcode.errors import CodebookError, QualcodeError
from qualcode.model import ROLES

UNITS = ("match", "sentence", "turn")
RULE_KINDS = ("phrase", "near", "regex", "tokens")
KNOWN_LANGUAGES = ("en", "ru", "kk")
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# Letters, digits and _ only: ids are used as names in type conditions ("a-b" would subtract).
CODE_ID = re.compile(r"^[^\W\d]\w*(?:\.[^\W\d]\w*)*$")

# What a match's clause must not be for it to code (qualcode/clauses.py); set in defaults,
# on a code (for its rules) or on a rule. `scope: self` marks codes about the respondent's own
# household: a match whose subject is someone else ("my cousin", "они", "сосед") does not code.
CONTEXT_KEYS = ("questions", "hypotheticals", "reported", "scope")
TOP_KEYS = ("name", "version", "languages", "description", "defaults", "negation", "codes", "profiles", "types")
CODE_KEYS = ("id", "name", "parent", "description", "include", "exclude", "examples", "color", "colour",
             "memo", "unit", "speakers", *CONTEXT_KEYS, "rules")
RULE_KEYS = (*RULE_KINDS, "id", "within", "negation", "unless", "sense", "unit", "speakers", *CONTEXT_KEYS, "note")
NEGATION_KEYS = ("cues", "before", "after", "after_phrases", "after_window", "scope")
NEGATION_SCOPES = ("clause", "window")
SCOPES = ("any", "self")

# Words that negate what follows (or, in Kazakh, what precedes) and the window, in tokens.
DEFAULT_NEGATION: dict[str, dict[str, Any]] = {
    "en": {"cues": ["no", "not", "n't", "never", "without", "nobody", "nothing", "none", "neither", "nor",
                    "hardly", "barely"], "before": 3, "after": 0, "after_phrases": [], "after_window": 0},
    # Russian puts "не было" after the thing it negates ("Долгов у нас никогда не было"): a
    # cue word after the match is too broad ("развода я не могла"), so phrases of "не" with
    # быть/иметься, and нет/нету, count within a wider window after the match.
    "ru": {"cues": ["не", "нет", "ни", "без", "никогда", "никто", "ничего", "нигде", "нельзя"],
           "before": 3, "after": 1, "after_phrases": ["не быть", "не бывать", "не иметься", "нет", "нету"],
           "after_window": 4},
    "kk": {"cues": ["жоқ", "емес", "ешқандай", "ешқашан", "ешкім", "ештеңе"], "before": 1, "after": 2,
           "after_phrases": [], "after_window": 0},
}


# questions None: a rule codes questions only if it codes interviewer turns (whose questions
# are the point); a respondent's "Will I go back to Shymkent?" tells nothing.
CONTEXT_DEFAULTS: dict[str, Any] = {"questions": None, "hypotheticals": False, "reported": False, "scope": "any"}
CONTEXT_FIX = {
    "questions": "`questions: true` codes matches in questions too",
    "hypotheticals": "`hypotheticals: true` codes matches under 'if', 'would have', 'если бы' too (goals)",
    "reported": "`reported: true` codes matches in what others are said to say ('people say', 'говорят') too",
}


# --- YAML with line numbers ---------------------------------------------------------------

class _Map(dict):
    line: int = 0
    key_lines: dict[Any, int]


class _Seq(list):
    line: int = 0
    item_lines: list[int]


class _Loader(safe_yaml.BoundedComposer, yaml.SafeLoader):  # no aliases, no deep nesting (E952/E953)
    duplicates: list[tuple[int, Any, int, int]]  # (mapping line, key, first line, second line)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out.key_lines:
            loader.duplicates.append((out.line, key, out.key_lines[key], key_node.start_mark.line + 1))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _line(obj: Any, key: Any = None, default: int = 1) -> int:
    if key is not None and isinstance(obj, _Map) and key in obj.key_lines:
        return obj.key_lines[key]
    return getattr(obj, "line", default) or default


# --- the model -----------------------------------------------------------------------------

@dataclass
class Rule:
    """One rule of one code in one language. `kind` is phrase, near, regex or tokens."""

    id: str
    code: str
    lang: str
    kind: str
    patterns: list[str] = field(default_factory=list)  # phrase patterns, or all of near's alternatives
    near: list[list[str]] = field(default_factory=list)  # near's items, each a list of alternatives
    within: int = 5
    regex: str | None = None
    tokens: list[dict] | None = None
    negation: bool = True
    unless: list[str] = field(default_factory=list)
    unit: str = "sentence"
    speakers: tuple[str, ...] = ("respondent",)
    note: str | None = None
    line: int = 0
    questions: bool = False  # True: a match in a question codes too (default: rules for interviewer turns)
    hypotheticals: bool = False  # True: a match under "if", "would have", "если бы" codes too
    reported: bool = False  # True: a match in others' reported words ("people say", "говорят") codes too
    scope: str = "any"  # self: a match whose subject is another person does not code
    sense: list[str] = field(default_factory=list)  # one of these must be in the sentence


@dataclass
class Code:
    id: str
    name: str
    parent: str | None = None
    description: str | None = None
    include: str | None = None
    exclude: str | None = None
    examples: list[str] = field(default_factory=list)
    color: str | None = None
    memo: str | None = None
    unit: str = "sentence"
    speakers: tuple[str, ...] = ("respondent",)
    rules: list[Rule] = field(default_factory=list)
    line: int = 0
    context: dict[str, Any] = field(default_factory=dict)  # CONTEXT_KEYS for this code's rules


@dataclass
class Profile:
    id: str
    name: str
    weights: dict[str, float]
    description: str | None = None
    line: int = 0


@dataclass
class TypeDef:
    """A type of the typology. `when`: the conditions a case must meet to be of this type at
    all; `score`: how strongly it is of this type (a number from codes and profiles), which
    decides between several eligible types and gives the degree of membership. Without a
    score the first type whose `when` holds wins, as in a decision list."""

    id: str
    name: str
    when: str
    description: str | None = None
    line: int = 0
    score: str | None = None


@dataclass
class Negation:
    cues: frozenset[str]
    before: int
    after: int
    after_phrases: tuple[str, ...] = ()
    after_window: int = 0
    scope: str = "clause"  # clause: a cue anywhere before the match in its clause; window: `before` tokens


@dataclass
class Codebook:
    name: str
    version: str
    languages: list[str]
    codes: list[Code]
    description: str | None = None
    profiles: list[Profile] = field(default_factory=list)
    types: list[TypeDef] = field(default_factory=list)
    negation: dict[str, Negation] = field(default_factory=dict)
    path: str | None = None
    sha256: str = ""

    def code(self, code_id: str) -> Code:
        for c in self.codes:
            if c.id == code_id:
                return c
        raise KeyError(code_id)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def children(self, code_id: str | None) -> list[Code]:
        return [c for c in self.codes if c.parent == code_id]

    def descendants(self, code_id: str) -> list[str]:
        out, todo = [], [code_id]
        while todo:
            kids = [c.id for c in self.children(todo.pop())]
            out += kids
            todo += kids
        return out

    def rules(self, lang: str | None = None) -> Iterator[Rule]:
        for c in self.codes:
            for r in c.rules:
                if lang is None or r.lang == lang:
                    yield r

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules():
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


# --- loading and validation --------------------------------------------------------------

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


def load(path: str | Path) -> Codebook:
    """Read and validate a codebook; raises CodebookError listing every problem."""
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError("E601", file=file, reason="file not found") from None
    except OSError as exc:
        raise CodebookError("E601", file=file, reason=exc.strerror or str(exc)) from None
    return loads(data, file)


def loads(data: bytes | str, file: str = "<codebook>") -> Codebook:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError("E601", file=file, reason=f"it is not UTF-8 text (byte {exc.start})") from None
    problems = _Problems(file)
    try:
        loader = _Loader(text)  # a SafeLoader that also records line numbers and duplicate keys
    except yaml.YAMLError as exc:  # the reader refuses NUL and other control characters at once
        problems.add("E602", line=getattr(getattr(exc, "problem_mark", None), "line", 0) + 1, where="file",
                     reason=str(exc).split("\n")[0], fix="save the codebook as plain UTF-8 text")
        problems.raise_if_any()
    loader.duplicates = []
    try:
        doc = loader.get_single_data()
    except safe_yaml.Refused as exc:
        problems.add(exc.code, line=exc.line, kind="codebooks", **exc.fields)
        problems.raise_if_any()
    except RecursionError:
        problems.add("E953", line=1, kind="codebooks", limit=safe_yaml.MAX_DEPTH)
        problems.raise_if_any()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add("E602", line=(mark.line + 1) if mark else 1, where="file",
                     reason=getattr(exc, "problem", None) or str(exc),
                     fix="check indentation, and quote values that contain ': ' or start with '#', '*' or '&'")
        problems.raise_if_any()
    finally:
        loader.dispose()
    for _line_no, key, first, second in loader.duplicates:
        problems.add("E617", line=second, where="file", key=key, first=first)
    if not isinstance(doc, dict):
        problems.add("E604", line=1, where="file", key="(top level)", expected="a mapping with name, version, "
                     "languages and codes", found=type(doc).__name__, fix="see codebooks/README.md")
        problems.raise_if_any()
    book = _Builder(doc, problems, file).build()
    problems.raise_if_any()
    book.sha256 = hashlib.sha256(raw).hexdigest()
    book.path = file
    return book


class _Builder:
    def __init__(self, doc: _Map, problems: _Problems, file: str) -> None:
        self.doc = doc
        self.p = problems
        self.file = file

    # small checks -------------------------------------------------------------------------

    def _keys(self, obj: _Map, known: tuple[str, ...], where: str) -> None:
        for key in obj:
            if key not in known:
                near = difflib.get_close_matches(str(key), known, n=1)
                hint = f"Did you mean '{near[0]}'? " if near else ""
                self.p.add("E605", line=_line(obj, key), where=where, key=key, hint=hint, known=", ".join(known))

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
        self._keys(spec, RULE_KEYS, where)
        kinds = [k for k in RULE_KINDS if k in spec]
        if len(kinds) != 1:
            self.p.add("E604", line=line, where=where, key="/".join(RULE_KINDS), expected="exactly one of them",
                       found=", ".join(kinds) or "none", fix="split it into one rule per kind")
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
                               fix="escape special characters with \\\\ (in YAML double quotes write \\\\\\\\), "
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
        """Patterns that are empty, and `unless` patterns that are part of the rule's own pattern."""
        from qualcode.nlp import pipeline

        for rule in book.rules():
            if rule.kind not in ("phrase", "near") and not rule.unless:
                continue
            where = f"rule '{rule.id}' of code '{rule.code}'"
            nlp = pipeline(rule.lang)
            compiled = []
            for pattern in rule.patterns:
                words = nlp.pattern(pattern)
                if not words or any(not w.keys and w.prefix is None for w in words):
                    self.p.add("E613", line=rule.line, where=where,
                               reason=f"the pattern {pattern!r} has no word to match"
                               + (" ('*' alone is not a word)" if "*" in pattern else ""),
                               fix="write words; '*' goes at the end of a word as a prefix wildcard, e.g. 'переез*'")
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
                        self.p.add("E613", line=rule.line, where=where,
                                   reason=f"the `unless` pattern {unless!r} is part of the pattern {pattern!r}, "
                                          "so every match is dropped",
                                   fix="remove that pattern or that `unless`")

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


# --- conditions over codes and profiles ------------------------------------------------------

_COMPARE = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}
# Arithmetic lets a type's score combine profiles (`push - pull`); division by zero gives 0,
# so a case with no evidence never crashes a typology.
_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.Div: lambda a, b: a / b if b else 0.0}
_FUNCTIONS = {"min": min, "max": max, "abs": abs}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@functools.lru_cache(maxsize=1024)  # a typology evaluates the same few conditions for every case
def _parse(expr: str) -> ast.AST:
    try:
        return ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"cannot parse it ({exc.msg})") from None


def _walk(node: ast.AST, names: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _walk(v, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        _walk(node.operand, names)
    elif isinstance(node, ast.Compare):
        if not all(type(op) in _COMPARE for op in node.ops):
            raise ValueError("only <, <=, >, >=, == and != compare")
        for v in (node.left, *node.comparators):
            _walk(v, names)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITHMETIC:
            raise ValueError("only +, -, * and / compute")
        _walk(node.left, names)
        _walk(node.right, names)
    elif isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS) or node.keywords or not node.args:
            raise ValueError(f"only {', '.join(_FUNCTIONS)} may be called, with plain arguments")
        for v in node.args:
            _walk(v, names)
    elif isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return
    elif (name := _dotted(node)) is not None:
        if name.lower() not in ("true", "false"):
            names.add(name)
    else:
        raise ValueError(f"'{ast.unparse(node)}' is not allowed in a condition")


@functools.lru_cache(maxsize=1024)
def condition_names(expr: str) -> frozenset[str]:
    """The code and profile ids a condition uses; raises ValueError if it is not a valid condition."""
    names: set[str] = set()
    _walk(_parse(expr), names)
    return frozenset(names)


def evaluate(expr: str, values: dict[str, float | bool]) -> bool:
    """Evaluate a type condition. `values` maps code ids to presence and profile ids to scores."""
    return bool(compute(expr, values))


def compute(expr: str, values: dict[str, float | bool]) -> Any:
    """The value of a condition or score expression (a number or a truth value)."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.BinOp):
            return _ARITHMETIC[type(node.op)](float(ev(node.left)), float(ev(node.right)))
        if isinstance(node, ast.Call):
            return float(_FUNCTIONS[node.func.id](*(float(ev(a)) for a in node.args)))
        if isinstance(node, ast.BoolOp):
            results = (ev(v) for v in node.values)
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if isinstance(node, ast.UnaryOp):
            return (not ev(node.operand)) if isinstance(node.op, ast.Not) else -ev(node.operand)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = ev(right_node)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Constant):
            return node.value
        name = _dotted(node)
        if name is not None and name.lower() in ("true", "false"):
            return name.lower() == "true"
        return values.get(name, 0)

    return ev(_parse(expr))
