"""A codebook in memory: codes, rules, profiles and types, and the vocabulary of the YAML format
(keys, units, languages, negation defaults) that `qualcode.codebook` validates against.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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
