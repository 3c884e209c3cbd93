"""Codebooks: loading a valid file, every validation error (with file, line, id and fix),
conditions of types, `qualcode codebook check/test`, and the shipped migration codebook.

The fixtures are in tests/data/codebooks/. Line numbers are never hard-coded: each test
finds the offending line in the fixture's text, so editing a fixture cannot silently
make a line assertion meaningless.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.autocode import explain
from qualcode.cli import cli
from qualcode.codebook import Codebook, condition_names, evaluate, load, loads
from qualcode.errors import CodebookError, QualcodeError
from qualcode.model import ROLES

ROOT = Path(__file__).resolve().parent.parent
BOOKS = ROOT / "tests" / "data" / "codebooks"
VALID = BOOKS / "valid.yaml"
SHIPPED = ROOT / "codebooks" / "migration.yaml"

# E606/E607/E608 pass `code=` to `_Problems.add(self, code, **fields)` (and QualcodeError(code, **fields)),
# whose first parameter is also named `code`: loading raises TypeError instead of reporting the problem.


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """The 1-based number of the line holding the `occurrence`-th `needle` in a fixture."""
    hits = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} time(s) in {path.name}"
    return hits[occurrence - 1]


def problems_of(path: Path) -> list[QualcodeError]:
    """Load a bad codebook; check the E600 summary and return its problems."""
    with pytest.raises(CodebookError) as info:
        load(path)
    err = info.value
    assert err.code == "E600", str(err)
    summary = str(err)
    assert summary.startswith(f"[E600] {path}: the codebook has {len(err.problems)} problem(s)")
    for p in err.problems:
        assert isinstance(p, QualcodeError)
        assert str(p) in summary  # the summary lists every problem in full
    return err.problems


def assert_problem(problem: QualcodeError, code: str, path: Path, line: int, *mentions: str, fix: bool = True) -> None:
    message = str(problem)
    assert problem.code == code, message
    assert message.startswith(f"[{code}] {path}, line {line}: "), message
    for word in mentions:
        assert word in message, f"{word!r} not in {message!r}"
    if fix:
        assert "Fix: " in message, message


# --- 1. a valid codebook ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def book() -> Codebook:
    return load(VALID)


def test_valid_codebook_loads(book: Codebook) -> None:
    assert book.name == "Test codebook"
    assert book.version == "0.1"
    assert book.languages == ["en", "ru", "kk"]
    assert book.description == "A small codebook that exercises every part of the format."
    assert book.ids == ["push", "push.unemployment", "push.unemployment.seasonal", "push.low_income", "pull",
                        "pull.jobs", "family_reasons", "extra.misc", "resource", "resource.savings"]
    assert book.path == str(VALID)


def test_sha256_is_the_hash_of_the_file_bytes(book: Codebook) -> None:
    data = VALID.read_bytes()
    assert book.sha256 == hashlib.sha256(data).hexdigest()
    assert loads(data, "same.yaml").sha256 == book.sha256
    changed = loads(data + b"\n# a comment changes the hash\n", "changed.yaml")
    assert changed.sha256 == hashlib.sha256(data + b"\n# a comment changes the hash\n").hexdigest()
    assert changed.sha256 != book.sha256


def test_definitions_and_colours(book: Codebook) -> None:
    code = book.code("push.unemployment")
    assert code.name == "No work at origin"
    assert code.description == "The person could not find work where they lived before."
    assert code.include == "Lack of jobs, job loss, long unemployment at the origin."
    assert code.exclude == "Low pay for work they had (push.low_income)."
    assert code.examples == ["There was simply no work in our village."]
    assert code.memo == "Free text for the team."
    assert book.code("push").color == "#d62728"
    assert book.code("push.low_income").color == "#abc"  # the British spelling `colour:` is read too
    assert book.code("pull.jobs").color is None
    with pytest.raises(KeyError):
        book.code("push.nothing")


def test_parents_implicit_from_the_dot_path_and_explicit(book: Codebook) -> None:
    parents = {c.id: c.parent for c in book.codes}
    assert parents == {
        "push": None,
        "push.unemployment": "push",
        "push.unemployment.seasonal": "push.unemployment",
        "push.low_income": "push",
        "pull": None,
        "pull.jobs": "pull",
        "family_reasons": "push",  # explicit parent of a top-level id
        "extra.misc": "pull",  # explicit parent wins over the dot path (there is no code 'extra')
        "resource": None,
        "resource.savings": "resource",
    }
    assert [c.id for c in book.children(None)] == ["push", "pull", "resource"]
    assert [c.id for c in book.children("push")] == ["push.unemployment", "push.low_income", "family_reasons"]


def test_descendants(book: Codebook) -> None:
    push = book.descendants("push")
    assert sorted(push) == ["family_reasons", "push.low_income", "push.unemployment", "push.unemployment.seasonal"]
    assert len(push) == len(set(push))
    assert book.descendants("push.unemployment") == ["push.unemployment.seasonal"]
    assert sorted(book.descendants("pull")) == ["extra.misc", "pull.jobs"]
    assert book.descendants("push.unemployment.seasonal") == []
    assert book.descendants("resource") == ["resource.savings"]


def test_rule_ids_default_to_code_lang_n(book: Codebook) -> None:
    assert [r.id for r in book.rules()] == [
        "push.unemployment/en/1", "push.unemployment/en/2",
        "push.unemployment/ru/1", "push.unemployment/ru/2", "push.unemployment/ru/layoffs",
        "push.unemployment/kk/1",
        "push.unemployment.seasonal/en/1", "push.unemployment.seasonal/en/2",
        "push.low_income/en/1",
        "pull.jobs/ru/1",
        "resource.savings/en/1", "resource.savings/ru/1",
    ]
    assert [r.id for r in book.rules("kk")] == ["push.unemployment/kk/1"]
    assert [r.id for r in book.rules("ru")] == ["push.unemployment/ru/1", "push.unemployment/ru/2",
                                                "push.unemployment/ru/layoffs", "pull.jobs/ru/1",
                                                "resource.savings/ru/1"]
    with pytest.raises(KeyError):
        book.rule("push.unemployment/ru/3")  # the third ru rule has its own id


def test_rule_kinds_and_options(book: Codebook) -> None:
    r = book.rule("push.unemployment/en/1")
    assert (r.kind, r.patterns, r.negation, r.code, r.lang) == (
        "phrase", ["no work", "no job*", "unemploy*"], False, "push.unemployment", "en")
    r = book.rule("push.unemployment/en/2")
    assert (r.kind, r.patterns, r.within, r.unless, r.negation) == ("near", ["find", "work"], 4, ["easy"], True)
    r = book.rule("push.unemployment/ru/2")  # a bare string is a phrase rule
    assert (r.kind, r.patterns, r.negation) == ("phrase", ["работа"], True)
    r = book.rule("push.unemployment/ru/layoffs")
    assert (r.kind, r.regex) == ("regex", r"сокращ\w* штат\w*")
    r = book.rule("push.low_income/en/1")
    assert r.kind == "tokens"
    assert r.tokens == [{"LEMMA": "low"}, {"OP": "?"}, {"LEMMA": {"IN": ["pay", "salary", "wage"]}}]
    assert book.rule("pull.jobs/ru/1").within == 3
    assert book.rule("resource.savings/ru/1").patterns == ["сбережения"]
    # a rule's line is the line of its list item
    assert book.rule("push.unemployment/en/1").line == line_of(VALID, '- phrase: ["no work"')
    assert book.rule("push.unemployment/ru/2").line == line_of(VALID, "- работа")
    assert book.rule("push.unemployment/ru/layoffs").line == line_of(VALID, "- regex:")
    assert book.code("push.unemployment").line == line_of(VALID, "- id: push.unemployment")


def test_defaults_are_sentence_and_respondent(book: Codebook) -> None:
    for code_id in ("push", "push.unemployment", "push.low_income", "pull.jobs", "resource.savings"):
        code = book.code(code_id)
        assert (code.unit, code.speakers) == ("sentence", ("respondent",))
        for rule in code.rules:
            assert (rule.unit, rule.speakers) == ("sentence", ("respondent",)), rule.id


def test_unit_and_speakers_overridden_per_code_and_per_rule(book: Codebook) -> None:
    code = book.code("push.unemployment.seasonal")
    assert (code.unit, code.speakers) == ("turn", ("respondent", "other"))
    inherits = book.rule("push.unemployment.seasonal/en/1")
    assert (inherits.unit, inherits.speakers) == ("turn", ("respondent", "other"))
    own = book.rule("push.unemployment.seasonal/en/2")
    assert (own.unit, own.speakers) == ("match", ROLES)  # speakers: [any]


def test_defaults_section_changes_the_defaults() -> None:
    text = """\
name: Defaults
version: 2
languages: [en]
defaults: {unit: turn, speakers: [any]}
codes:
  - id: a
    name: A
    rules:
      en:
        - near: [find, work]
        - phrase: work
          unit: match
          speakers: interviewer
"""
    book = loads(text, "defaults.yaml")
    assert book.version == "2"
    assert (book.code("a").unit, book.code("a").speakers) == ("turn", ROLES)
    near = book.rule("a/en/1")
    assert (near.unit, near.speakers, near.within) == ("turn", ROLES, 5)  # within defaults to 5
    assert (book.rule("a/en/2").unit, book.rule("a/en/2").speakers) == ("match", ("interviewer",))


def test_profiles_and_types(book: Codebook) -> None:
    assert [(p.id, p.name, p.weights) for p in book.profiles] == [
        ("strength", "Resource strength", {"resource.savings": 1.0, "push.unemployment": -1.0})]
    assert [(t.id, t.name, t.when) for t in book.types] == [
        ("development", "Development strategy", "strength >= 1 and (pull.jobs or resource)"),
        ("survival", "survival", "strength <= 0 and push.unemployment"),  # the name defaults to the id
        ("mixed", "Mixed", "true"),
    ]


def test_negation_defaults(book: Codebook) -> None:
    ru = book.negation["ru"]
    assert {"не", "нет", "без"} <= ru.cues
    assert (ru.before, ru.after) == (3, 1)
    assert (book.negation["kk"].before, book.negation["kk"].after) == (1, 2)
    custom = loads("name: n\nversion: 1\nlanguages: [en]\nnegation:\n  en: {cues: [Nope], before: 2}\ncodes: []\n")
    assert custom.negation["en"].cues == frozenset({"nope"})
    assert (custom.negation["en"].before, custom.negation["en"].after) == (2, 0)


def test_an_unquoted_hash_colour_is_reported_not_silently_lost() -> None:
    # YAML reads `color: #abc` as a comment; the user meant a colour, so say how to write it.
    with pytest.raises(CodebookError) as info:
        loads("name: n\nversion: 1\nlanguages: [en]\ncodes:\n  - id: a\n    name: A\n    color: #abc\n", "c.yaml")
    [problem] = info.value.problems
    assert problem.code == "E612" and "line 7" in str(problem) and 'color: "#d62728"' in str(problem)


# --- the rules of the valid codebook at work (qualcode.autocode.explain) ----------------------

def fates(result) -> list[tuple[str, str, str | None]]:
    return [(m.rule, result.text[m.start:m.end], m.dropped) for m in result.matches]


def test_russian_phrase_matches_inflected_forms_through_lemmas(book: Codebook) -> None:
    text = "Я искал работу. Доволен работой. Думал о работе. Работы не было. Начались сокращения штатов."
    result = explain(book, "ru", text)
    rows = fates(result)
    for form in ("работу", "работой", "работе"):
        assert ("push.unemployment/ru/2", form, None) in rows
    negated = [m for m in result.matches if text[m.start:m.end] == "Работы"]
    assert len(negated) == 1 and negated[0].dropped.startswith("negation") and "'не'" in negated[0].dropped
    assert ("push.unemployment/ru/layoffs", "сокращения штатов", None) in rows
    assert [(c.code, text[c.start:c.end], c.rule) for c in result.codings] == [
        ("push.unemployment", "Я искал работу.", "push.unemployment/ru/2"),
        ("push.unemployment", "Доволен работой.", "push.unemployment/ru/2"),
        ("push.unemployment", "Думал о работе.", "push.unemployment/ru/2"),
        ("push.unemployment", "Начались сокращения штатов.", "push.unemployment/ru/layoffs"),
    ]
    assert ("работу", "работа", 0) in result.tokens


def test_english_near_negation_and_unless(book: Codebook) -> None:
    text = "It was hard to find work there. I could not find any work. I wanted to find work, it was easy."
    result = explain(book, "en", text)
    near = [(t, d) for r, t, d in fates(result) if r == "push.unemployment/en/2"]
    assert near[0] == ("find work", None)
    assert near[1][0] == "find any work" and near[1][1].startswith("negation: 'not'")
    assert near[2][0] == "find work" and near[2][1].startswith("unless: 'easy'")
    assert [(c.code, text[c.start:c.end]) for c in result.codings] == [
        ("push.unemployment", "It was hard to find work there.")]


def test_token_pattern_rule(book: Codebook) -> None:
    text = "They paid low wages. The pay was low. A low monthly salary."
    result = explain(book, "en", text)
    assert [(r, t) for r, t, _ in fates(result)] == [("push.low_income/en/1", "low wages"),
                                                     ("push.low_income/en/1", "low monthly salary")]


def test_rule_unit_and_speakers_at_work(book: Codebook) -> None:
    text = "Only seasonal work. We did the harvest."
    asked = explain(book, "en", text, role="interviewer")
    rows = fates(asked)
    assert rows[0][:2] == ("push.unemployment.seasonal/en/1", "seasonal") and rows[0][2].startswith("speaker")
    assert rows[1] == ("push.unemployment.seasonal/en/2", "harvest", None)
    assert [(c.code, text[c.start:c.end]) for c in asked.codings] == [("push.unemployment.seasonal", "harvest")]
    other = explain(book, "en", text, role="other")
    assert [(text[c.start:c.end], c.rule) for c in other.codings] == [
        (text, "push.unemployment.seasonal/en/1"),  # unit: turn
        ("harvest", "push.unemployment.seasonal/en/2"),  # unit: match
    ]


def test_kazakh_prefix_rule_matches_word_forms(book: Codebook) -> None:
    text = "Жұмысқа тұрдым. Ауылда жұмыстар болмады."
    result = explain(book, "kk", text)
    assert [(r, t) for r, t, _ in fates(result)] == [("push.unemployment/kk/1", "Жұмысқа"),
                                                     ("push.unemployment/kk/1", "жұмыстар")]


def test_kazakh_negation_cue_before_a_full_stop(book: Codebook) -> None:
    result = explain(book, "kk", "Жұмыс жоқ.")
    assert len(result.matches) == 1
    assert (result.matches[0].dropped or "").startswith("negation: 'жоқ'")


# --- 2. every validation error ---------------------------------------------------------------

SINGLE_KIND = [
    pytest.param("bad_unknown_parent.yaml", [
        ("E607", "- id: push.housing", ["code 'push.housing'", "parent 'push'"]),
        ("E607", "- id: pull.jobs", ["code 'pull.jobs'", "parent 'nowhere'"]),
    ], id="E607-unknown-parent"),
    pytest.param("bad_parent_cycle.yaml", [
        ("E608", "- id: alpha", ["code 'alpha'", "alpha -> beta -> alpha"]),
    ], id="E608-parent-cycle"),
    pytest.param("bad_regex.yaml", [
        ("E609", "- regex:", ["rule 'push/ru/2'", "code 'push'", "«работ(а»"]),
    ], id="E609-invalid-regex"),
    pytest.param("bad_token_pattern.yaml", [
        ("E610", "LEMMMA", ["rule 'covid.job_loss/en/1'", "code 'covid.job_loss'", "LEMMMA"]),
        ("E610", 'OP: "x"', ["rule 'covid.job_loss/en/2'", "code 'covid.job_loss'", "OP"]),
    ], id="E610-token-pattern"),
    pytest.param("bad_language_declared.yaml", [
        ("E611", "languages:", ["languages:", "unknown language 'de'"]),
    ], id="E611-languages"),
    pytest.param("bad_language_rules.yaml", [
        ("E611", "kk:", ["code 'work'", "unknown language 'kk'", "use one of: en"]),
    ], id="E611-rules"),
    pytest.param("bad_colour.yaml", [  # the third code's unquoted `#abc` is a YAML comment: the colour is lost
        ("E612", "color: red", ["code 'named'", "bad colour 'red'", "#rrggbb"]),
        ("E612", 'color: "#12345"', ["code 'five'", "bad colour '#12345'"]),
        ("E612", "color: #abc", ["code 'unquoted'", "bad colour '(empty)'"]),
    ], id="E612-colour"),
    pytest.param("bad_never_match_empty_phrase.yaml", [
        ("E613", "phrase: []", ["rule 'work/en/2'", "code 'work'", "never match", "phrase list is empty"]),
    ], id="E613-empty-phrase"),
    pytest.param("bad_never_match_star.yaml", [
        ("E613", 'phrase: ["*"]', ["rule 'move/ru/2'", "code 'move'", "never match", "'*' alone"]),
    ], id="E613-star"),
    pytest.param("bad_never_match_unless.yaml", [
        ("E613", "- phrase:", ["rule 'work/ru/1'", "code 'work'", "`unless` pattern 'работы'", "'найти работу'"]),
    ], id="E613-unless-in-phrase"),
    pytest.param("bad_never_match_near_one.yaml", [
        ("E613", "- near:", ["rule 'work/en/1'", "code 'work'", "near needs two or more patterns, found 1"]),
    ], id="E613-near-one"),
    pytest.param("bad_never_match_near_within.yaml", [
        ("E613", "within:", ["rule 'work/en/1'", "code 'work'", "3 patterns", "at least 2"]),
    ], id="E613-near-within"),
    pytest.param("bad_never_match_empty_regex.yaml", [
        ("E613", "- regex:", ["rule 'work/en/1'", "code 'work'", "matches empty text"]),
    ], id="E613-empty-regex"),
    pytest.param("bad_missing_keys.yaml", [  # the top-level mapping starts on line 1
        ("E603", "languages:", ["file", "'name' is required", "add `name:`"]),
        ("E603", "languages:", ["file", "'version' is required", "add `version:`"]),
        ("E603", "languages:", ["file", "'codes' is required", "add `codes:`"]),
    ], id="E603-top-level"),
    pytest.param("bad_missing_code_name.yaml", [
        ("E603", "- id: nameless", ["code 'nameless'", "'name' is required"]),
    ], id="E603-code-name"),
    pytest.param("bad_yaml_syntax.yaml", [
        ("E602", "name: Push: factors", ["YAML syntax error", "mapping values are not allowed"]),
    ], id="E602-yaml-syntax"),
    pytest.param("bad_type_condition.yaml", [
        ("E615", 'when: "pull.job and', ["type 'typo_code'", "'pull.job'", "did you mean 'pull.jobs'?"]),
        ("E615", 'when: "strenght', ["type 'typo_profile'", "'strenght'", "did you mean 'strength'?"]),
        ("E615", 'when: "strength >= and', ["type 'broken'", "bad condition 'strength >= and pull'"]),
    ], id="E615-type-condition"),
    pytest.param("bad_profile_weight.yaml", [
        ("E615", "      resource.saving: 1", ["profile 'strength'", "unknown code 'resource.saving'",
                                              "did you mean 'resource.savings'?"]),
    ], id="E615-profile-weight"),
]


@pytest.mark.parametrize(("name", "expected"), SINGLE_KIND)
def test_invalid_codebook(name: str, expected: list[tuple[str, str, list[str]]]) -> None:
    path = BOOKS / name
    problems = problems_of(path)
    assert [p.code for p in problems] == [code for code, _, _ in expected], [str(p) for p in problems]
    for problem, (code, needle, mentions) in zip(problems, expected, strict=True):
        assert_problem(problem, code, path, line_of(path, needle), *mentions)


def test_duplicate_code_id() -> None:
    path = BOOKS / "bad_duplicate_id.yaml"
    problems = problems_of(path)
    assert [p.code for p in problems] == ["E606"]
    first = line_of(path, "- id: push.housing", 1)
    assert_problem(problems[0], "E606", path, line_of(path, "- id: push.housing", 2),
                   "code 'push.housing'", f"already used on line {first}")


def test_duplicate_rule_id() -> None:
    path = BOOKS / "bad_duplicate_rule_id.yaml"
    problems = problems_of(path)
    assert [p.code for p in problems] == ["E614", "E614"]
    assert_problem(problems[0], "E614", path, line_of(path, "- phrase: employment"), "rule id 'work-rule'",
                   f"already used on line {line_of(path, '- phrase: job')}")
    # an explicit id may not take the default id of another rule either
    assert_problem(problems[1], "E614", path, line_of(path, "- phrase: salary"), "rule id 'work/en/1'",
                   f"already used on line {line_of(path, '- phrase: work')}")


def test_unknown_keys_name_the_nearest_known_key() -> None:
    path = BOOKS / "bad_unknown_key.yaml"
    problems = problems_of(path)
    assert [p.code for p in problems] == ["E605", "E605"]
    assert_problem(problems[0], "E605", path, line_of(path, "descripton:"), "code 'work'",
                   "unknown key 'descripton'", "Did you mean 'description'?", fix=False)
    assert_problem(problems[1], "E605", path, line_of(path, "notes:"), "rule 'work/en/1' of code 'work'",
                   "unknown key 'notes'", "Did you mean 'note'?", fix=False)
    assert "Known keys here: " in str(problems[0])


def test_several_problems_are_reported_at_once() -> None:
    path = BOOKS / "bad_many.yaml"
    problems = problems_of(path)
    expected = {"E611": "languages: [en, xx]", "E605": "memmo:", "E612": "color: blue",
                "E609": '- regex: "(unclosed"', "E613": "- phrase: []", "E615": 'when: "ghost"'}
    assert len(problems) == 6
    assert sorted(p.code for p in problems) == sorted(expected)
    for p in problems:
        assert_problem(p, p.code, path, line_of(path, expected[p.code]), fix=p.code != "E605")
    with pytest.raises(CodebookError, match=r"has 6 problem\(s\)"):
        load(path)


def test_not_utf8_is_e601() -> None:
    path = BOOKS / "bad_not_utf8.yaml"
    with pytest.raises(CodebookError) as info:
        load(path)
    assert info.value.code == "E601" and info.value.problems == []
    assert str(info.value).startswith(f"[E601] {path}: cannot read the codebook: it is not UTF-8 text")
    with pytest.raises(CodebookError) as again:
        loads(path.read_bytes(), "bytes.yaml")
    assert again.value.code == "E601" and "bytes.yaml" in str(again.value)


def test_missing_file_is_e601(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(CodebookError) as info:
        load(path)
    assert info.value.code == "E601"
    assert str(info.value) == f"[E601] {path}: cannot read the codebook: file not found."


def test_loads_names_the_given_file() -> None:
    with pytest.raises(CodebookError) as info:
        loads("name: n\nversion: 1\nlanguages: [en]\ncodes:\n  - id: a\n    name: A\n    color: red\n", "mine.yaml")
    assert [str(p) for p in info.value.problems] == [
        "[E612] mine.yaml, line 7: code 'a': bad colour 'red'. Fix: write it as '#rgb' or '#rrggbb' in quotes, "
        "e.g. color: \"#d62728\" (unquoted, # starts a YAML comment and the colour is lost)."]


def test_stars_only_pattern_is_e613() -> None:
    with pytest.raises(CodebookError) as info:
        loads("name: n\nversion: 1\nlanguages: [ru]\ncodes:\n  - id: a\n    name: A\n    rules:\n"
              "      ru:\n        - phrase: ['**']\n", "stars.yaml")
    assert [p.code for p in info.value.problems] == ["E613"]


# --- 3. conditions of types -------------------------------------------------------------------

def test_condition_names() -> None:
    assert condition_names("resources >= 2 and (goal.career_business or goal.income_expansion)") == {
        "resources", "goal.career_business", "goal.income_expansion"}
    assert condition_names("not push.unemployment or false") == {"push.unemployment"}
    assert condition_names("true") == set()
    assert condition_names("-1 < resources != 3") == {"resources"}
    assert condition_names("TRUE or false") == set()  # true/false (any case) are constants, not names


@pytest.mark.parametrize("expr", ["resources >=", "resources % 2 > 1", "push in pull", "f(push)", "'push'",
                                  "min(push, key=pull)", "max()", "resources ** 2",
                                  "push if pull else goal", "push[0]", "", "True"])
def test_bad_conditions_raise_value_error(expr: str) -> None:
    with pytest.raises(ValueError):
        condition_names(expr)


@pytest.mark.parametrize(("expr", "values", "expected"), [
    ("push.unemployment", {"push.unemployment": True}, True),
    ("push.unemployment", {}, False),  # a code the case does not have
    ("not push.unemployment", {}, True),
    ("push and pull", {"push": True, "pull": False}, False),
    ("push or pull", {"push": False, "pull": True}, True),
    ("not (push or pull) and goal.stay_north", {"goal.stay_north": True}, True),
    ("resources >= 2 and (goal.career_business or goal.income_expansion)",
     {"resources": 2, "goal.income_expansion": True}, True),
    ("resources >= 2 and (goal.career_business or goal.income_expansion)",
     {"resources": 1.5, "goal.income_expansion": True}, False),
    ("resources >= 2 and (goal.career_business or goal.income_expansion)", {"resources": 3}, False),
    ("resources <= 0 and push.unemployment", {"resources": -1, "push.unemployment": True}, True),
    ("resources <= 0 and push.unemployment", {"resources": 0.5, "push.unemployment": True}, False),
    ("resources == 0", {}, True),  # a profile without a score counts 0
    ("resources != 0", {"resources": -2}, True),
    ("resources < -1", {"resources": -2}, True),
    ("0 < resources <= 2", {"resources": 2}, True),
    ("0 < resources <= 2", {"resources": 3}, False),
    ("resources > 1 or not resources < 5", {"resources": 1}, False),
    ("true", {}, True),
    ("false", {"push": True}, False),
    ("false or push", {"push": True}, True),
])
def test_evaluate(expr: str, values: dict, expected: bool) -> None:
    assert evaluate(expr, values) is expected


# --- 4. the CLI -------------------------------------------------------------------------------

def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_cli_check_valid_prints_ok() -> None:
    result = invoke("codebook", "check", str(VALID))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK {VALID}: 'Test codebook' version 0.1: 10 codes (5 with rules)")
    assert "rules en 6, ru 5, kk 1; 1 profiles, 3 types." in result.output


def test_cli_check_bad_file_exits_1_with_every_code() -> None:
    path = BOOKS / "bad_many.yaml"
    result = invoke("codebook", "check", str(path))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, not a crash
    assert "Traceback" not in result.output and "OK " not in result.output
    assert "[E600]" in result.output and "6 problem(s)" in result.output
    for code in ("E605", "E609", "E611", "E612", "E613", "E615"):
        assert f"[{code}] {path}, line " in result.output


def test_cli_check_missing_file(tmp_path: Path) -> None:
    result = invoke("codebook", "check", str(tmp_path / "gone.yaml"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "[E601]" in result.output and "gone.yaml" in result.output


def test_cli_test_russian_lemmas_and_negation() -> None:
    text = "Я искал работу. Доволен работой. Думал о работе. Работы не было."
    result = invoke("codebook", "test", str(VALID), "--lang", "ru", "--text", text)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("работу→работа" in line for line in lines)  # the tokens show their lemmas
    for form in ("работу", "работой", "работе"):
        [line] = [ln for ln in lines if f'"{form}"' in ln]
        assert "push.unemployment/ru/2" in line and line.rstrip().endswith("coded"), line
    [dropped] = [ln for ln in lines if '"Работы"' in ln]
    assert "push.unemployment/ru/2" in dropped and "dropped (negation: 'не'" in dropped
    assert "Codings (the match widened to its unit):" in result.output
    assert '"Доволен работой."' in result.output


def test_cli_test_nothing_fired() -> None:
    result = invoke("codebook", "test", str(VALID), "--lang", "en", "--text", "The weather was fine.")
    assert result.exit_code == 0
    assert "No rule fired." in result.output


def test_cli_test_language_not_in_the_codebook() -> None:
    path = BOOKS / "ru_en_only.yaml"
    result = invoke("codebook", "test", str(path), "--lang", "kk", "--text", "Жұмыс жоқ")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "no 'kk' rules" in result.output and "en, ru" in result.output
    assert "Tokens" not in result.output
    unknown = invoke("codebook", "test", str(path), "--lang", "de", "--text", "Arbeit")
    assert unknown.exit_code == 2
    assert "Invalid value for '--lang'" in unknown.output


def test_cli_test_needs_exactly_one_text_source(tmp_path: Path) -> None:
    assert invoke("codebook", "test", str(VALID), "--lang", "ru").exit_code == 2
    text_file = tmp_path / "t.txt"
    text_file.write_text("Нашёл работу.", encoding="utf-8")
    both = invoke("codebook", "test", str(VALID), "--lang", "ru", "--text", "x", "--text-file", str(text_file))
    assert both.exit_code == 2
    from_file = invoke("codebook", "test", str(VALID), "--lang", "ru", "--text-file", str(text_file))
    assert from_file.exit_code == 0 and '"работу"' in from_file.output


# --- 5. the shipped codebook ------------------------------------------------------------------

SHIPPED_IDS = [
    "push.unemployment", "push.low_income", "push.housing", "push.land_water", "push.services", "push.family",
    "pull.jobs", "pull.wages", "pull.housing", "pull.state_program", "pull.education", "pull.networks",
    "resource.education", "resource.savings", "resource.skills", "resource.network", "resource.formal_job",
    "resource.secondary_income", "resource.own_housing",
    "resource_lack.no_education", "resource_lack.debt", "resource_lack.informal_work", "resource_lack.renting",
    "goal.own_housing", "goal.formal_job", "goal.income_expansion", "goal.career_business", "goal.children_education",
    "goal.return_south", "goal.stay_north",
    "adapt.climate", "adapt.language", "adapt.discrimination", "adapt.support", "adapt.loneliness",
    "gender.care_burden", "gender.work_barrier", "gender.vulnerability",
    "covid.job_loss", "covid.mobility", "covid.support",
    "legal.registration", "legal.documents", "legal.rights_violation",
]


def test_shipped_codebook_passes_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["codebook", "check", "codebooks/migration.yaml"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK codebooks/migration.yaml: ")


@pytest.fixture(scope="module")
def shipped() -> Codebook:
    return load(SHIPPED)


def test_shipped_codebook_defines_every_code(shipped: Codebook) -> None:
    assert len(SHIPPED_IDS) == 44
    missing = [code_id for code_id in SHIPPED_IDS if code_id not in shipped.ids]
    assert missing == []


@pytest.mark.parametrize("code_id", SHIPPED_IDS)
def test_shipped_code_has_description_and_en_ru_rules(shipped: Codebook, code_id: str) -> None:
    code = shipped.code(code_id)
    assert code.description and code.description.strip(), f"{code_id} has no description"
    langs = {rule.lang for rule in code.rules}
    assert {"en", "ru"} <= langs, f"{code_id} has rules in {sorted(langs)}"
