"""Editing a project's codes (add, rename, move, merge, delete and undo), case attributes,
batch review, retrieval and rule hits, on a real SQLite copy of the sample project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qualcode import Project
from qualcode.errors import QualcodeError
from qualcode.retrieval import markdown_text, segment_markdown

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = str(ROOT / "codebooks" / "migration.yaml")


@pytest.fixture(scope="session")
def coded_file(sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project auto-coded once with the migration codebook (copy it to modify)."""
    path = tmp_path_factory.mktemp("coded") / "coded.qcdb"
    shutil.copy(sample_project_file, path)
    with Project.open(path) as project:
        project.autocode(CODEBOOK)
    return path


@pytest.fixture
def coded(coded_file: Path, tmp_path: Path):
    dest = tmp_path / "coded.qcdb"
    shutil.copy(coded_file, dest)
    with Project.open(dest) as project:
        yield project


def code_row(project: Project, code: str) -> dict:
    codes = project.codes().set_index("code")
    return codes.loc[code].to_dict()


def add_human_coding(project: Project, tmp_path: Path, code: str, transcript: str = "kz01",
                     coder: str = "aigerim") -> pd.Series:
    """A manual coding of the first respondent turn of a transcript, through a codings CSV."""
    turns = project.turns(transcript)
    turn = turns[turns["role"] == "respondent"].iloc[0]
    csv = tmp_path / f"{coder}-{code}.csv"
    pd.DataFrame([{"transcript": transcript, "code": code, "start": turn["start"], "end": turn["end"],
                   "text": turn["text"], "coder": coder}]).to_csv(csv, index=False)
    project.import_codings(csv)
    return turn


# --- add, rename, move, describe ---------------------------------------------------------------------

def test_add_a_code_and_its_errors(coded: Project) -> None:
    coded.add_code("push.debts", "Debts at origin", parent="push", description="Owing money back home",
                   color="#AABBCC")
    assert code_row(coded, "push.debts") == {"name": "Debts at origin", "parent": "push",
                                             "description": "Owing money back home", "color": "#aabbcc"}
    coded.add_code("memo_worthy")  # the name defaults to the id
    assert code_row(coded, "memo_worthy")["name"] == "memo_worthy"
    with pytest.raises(QualcodeError, match=r"\[E741\].*push\.debts"):
        coded.add_code("push.debts")
    for bad in ("push-debts", "1st", "push..x", ""):
        with pytest.raises(QualcodeError) as err:
            coded.add_code(bad)
        assert err.value.code == "E740"
    with pytest.raises(QualcodeError, match=r"\[E706\].*Did you mean 'push'"):
        coded.add_code("x.y", parent="puhs")
    with pytest.raises(QualcodeError, match=r"\[E746\]"):
        coded.add_code("x", color="red")
    assert "x" not in set(coded.codes()["code"])  # a refused add leaves nothing behind


def test_rename_move_and_describe_keep_the_codings(coded: Project) -> None:
    before = coded.codings()
    coded.rename_code("push.unemployment", "No jobs back home")
    coded.move_code("push.unemployment", "pull")
    coded.set_code("push.unemployment", description="New text", color="#123456")
    assert code_row(coded, "push.unemployment") == {"name": "No jobs back home", "parent": "pull",
                                                    "description": "New text", "color": "#123456"}
    coded.set_code("push.unemployment", color=None)  # only the colour changes
    assert code_row(coded, "push.unemployment")["description"] == "New text"
    assert pd.isna(code_row(coded, "push.unemployment")["color"])
    pd.testing.assert_frame_equal(coded.codings(), before)
    coded.move_code("push.unemployment", None)
    assert pd.isna(code_row(coded, "push.unemployment")["parent"])
    with pytest.raises(QualcodeError, match=r"\[E747\]"):
        coded.rename_code("push", "  ")
    with pytest.raises(QualcodeError, match=r"\[E742\].*own sub-codes"):
        coded.move_code("push", "push.housing")
    with pytest.raises(QualcodeError, match=r"\[E742\]"):
        coded.move_code("push", "push")
    with pytest.raises(QualcodeError, match=r"\[E706\]"):
        coded.rename_code("nope", "x")


# --- merge ----------------------------------------------------------------------------------------------

def test_merge_moves_every_coding_and_sub_code(coded: Project, tmp_path: Path) -> None:
    add_human_coding(coded, tmp_path, "push.low_income")
    before = coded.codings()
    source = before[before["code"] == "push.low_income"]
    target = before[before["code"] == "push.unemployment"]
    coded.add_code("push.low_income.wages_late", parent="push.low_income")
    report = coded.merge_codes("push.low_income", "push.unemployment")
    assert report.moved == len(source) and report.duplicates == 0
    assert report.children == ["push.low_income.wages_late"]
    after = coded.codings()
    assert "push.low_income" not in set(after["code"]) and "push.low_income" not in set(coded.codes()["code"])
    assert len(after) == len(before)
    merged = after[after["code"] == "push.unemployment"]
    assert len(merged) == len(source) + len(target)
    human = merged[merged["origin"] == "import"]
    assert list(human["coder"]) == ["aigerim"]  # the person's coding is kept, now under the target
    assert code_row(coded, "push.low_income.wages_late")["parent"] == "push.unemployment"
    assert "Merged 'push.low_income' into 'push.unemployment'" in str(report)


def test_merge_keeps_identical_codings_once_and_refuses_itself(coded: Project, tmp_path: Path) -> None:
    add_human_coding(coded, tmp_path, "push.housing")
    add_human_coding(coded, tmp_path, "push.family")  # the same span, coder and origin
    before = coded.codings()
    key = ["transcript", "start", "end", "coder", "origin", "status", "memo"]
    on_target = set(before.loc[before["code"] == "push.housing", key].itertuples(index=False))
    source = before[before["code"] == "push.family"]
    same = sum(tuple(r) in on_target for r in source[key].itertuples(index=False))
    assert same >= 2  # the person's coding, and a sentence both codes' rules coded
    report = coded.merge_codes("push.family", "push.housing")
    assert (report.duplicates, report.moved) == (same, len(source) - same)
    after = coded.codings()
    assert len(after) == len(before) - same
    human = after[(after["code"] == "push.housing") & (after["coder"] == "aigerim")]
    assert len(human) == 1  # kept once, not lost
    with pytest.raises(QualcodeError, match=r"\[E743\]"):
        coded.merge_codes("push.housing", "push.housing")


def test_merging_a_parent_into_its_child_leaves_no_cycle(coded: Project) -> None:
    coded.merge_codes("push", "push.housing")
    codes = coded.codes().set_index("code")
    assert pd.isna(codes.loc["push.housing", "parent"])
    assert codes.loc["push.unemployment", "parent"] == "push.housing"


# --- delete and undo --------------------------------------------------------------------------------------

def test_delete_needs_confirmation_and_undo_restores_everything(coded: Project, tmp_path: Path) -> None:
    add_human_coding(coded, tmp_path, "push.unemployment")
    suggested = coded.codings(status="suggested")
    first = suggested[suggested["code"] == "push.unemployment"].iloc[0]
    coded.review_coding(int(first["id"]), "rejected", "dana")
    before, codes_before = coded.codings(), coded.codes()
    n = int((before["code"] == "push.unemployment").sum())

    with pytest.raises(QualcodeError) as err:
        coded.delete_code("push.unemployment")
    assert err.value.code == "E744"
    assert f"has {n} coding(s) (2 made or reviewed by people)" in str(err.value)
    pd.testing.assert_frame_equal(coded.codings(), before)  # nothing deleted without confirmation

    snapshot = coded.delete_code("push.unemployment", confirm=True)
    assert snapshot.n_codings == n and snapshot.n_human == 2
    assert "push.unemployment" not in set(coded.codings()["code"])
    assert "push.unemployment" not in set(coded.codes()["code"])

    coded.restore_code(snapshot)
    pd.testing.assert_frame_equal(coded.codings(), before)
    pd.testing.assert_frame_equal(coded.codes(), codes_before)
    # The reviewer's decision came back too: a re-code keeps the rejection.
    coded.autocode(CODEBOOK)
    again = coded.codings()
    assert again.loc[again["id"] == first["id"], "status"].item() == "rejected"


def test_delete_a_parent_with_its_sub_codes_and_undo(coded: Project) -> None:
    before, codes_before = coded.codings(), coded.codes()
    with pytest.raises(QualcodeError, match=r"\[E745\].*push\.unemployment"):
        coded.delete_code("push", confirm=True)
    snapshot = coded.delete_code("push", confirm=True, with_children=True)
    assert len(snapshot.codes) == 7
    assert not coded.codings()["code"].str.startswith("push").any()
    coded.restore_code(snapshot)
    pd.testing.assert_frame_equal(coded.codings(), before)
    pd.testing.assert_frame_equal(coded.codes(), codes_before)


def test_a_code_without_codings_is_deleted_at_once(coded: Project) -> None:
    coded.add_code("spare")
    snapshot = coded.delete_code("spare")
    assert snapshot.n_codings == 0 and "spare" not in set(coded.codes()["code"])


def test_restore_refuses_when_the_code_came_back(coded: Project) -> None:
    snapshot = coded.delete_code("push.housing", confirm=True)
    coded.autocode(CODEBOOK)  # the codebook brings the code back
    with pytest.raises(QualcodeError, match=r"\[E748\].*push\.housing"):
        coded.restore_code(snapshot)


# --- case attributes ---------------------------------------------------------------------------------------

def test_set_case_attributes_checks_types_and_saves_nothing_on_a_bad_cell(coded: Project) -> None:
    before = coded.cases()
    edited = before.copy().astype(object)
    edited.loc[edited["case"] == "KZ01", "gender"] = "male"
    edited.loc[edited["case"] == "KZ02", "age"] = "abc"
    edited.loc[edited["case"] == "KZ03", "year_moved"] = "soon"
    logged = len(coded.audit())
    with pytest.raises(QualcodeError) as err:
        coded.set_case_attributes(edited, actor="lead")
    assert len(coded.audit()) == logged  # refused: no audit row either
    message = str(err.value)
    assert err.value.code == "E750" and "2 problem(s)" in message
    assert "case 'KZ02', attribute 'age': 'abc' is not a number" in message
    assert "case 'KZ03', attribute 'year_moved': 'soon' is not a number" in message
    pd.testing.assert_frame_equal(coded.cases(), before)  # the good cell was not saved either


def test_set_case_attributes_saves_the_changes(coded: Project) -> None:
    edited = coded.cases().astype(object)
    edited.loc[edited["case"] == "KZ02", "age"] = "35"
    edited.loc[edited["case"] == "KZ01", "gender"] = "male"
    edited.loc[edited["case"] == "KZ01", "programme"] = ""  # emptied: the value goes
    assert coded.set_case_attributes(edited, actor="lead") == 3
    row = coded.audit(action="case.attributes")
    assert list(zip(row["actor"], row["target"], strict=True)) == [("lead", "KZ01, KZ02")]
    changes = json.loads(row["detail"].iloc[0])["changes"]
    assert {(c["case"], c["attribute"], c["after"]) for c in changes} == {
        ("KZ02", "age", "35"), ("KZ01", "gender", "male"), ("KZ01", "programme", None)}
    after = coded.cases().set_index("case")
    assert after.loc["KZ02", "age"] == 35 and after.loc["KZ01", "gender"] == "male"
    assert pd.isna(after.loc["KZ01", "programme"])
    assert coded.attribute_types()["age"] == "number"
    assert coded.set_case_attributes(coded.cases()) == 0  # unchanged values are not rewritten
    assert len(coded.audit(action="case.attributes")) == 1  # and nothing changed is not logged


def test_set_case_attributes_refuses_unknown_cases(coded: Project) -> None:
    edited = coded.cases()
    edited.loc[0, "case"] = "KZ99"
    with pytest.raises(QualcodeError, match=r"case 'KZ99' is not in the project \(row 1\)"):
        coded.set_case_attributes(edited)


# --- review, retrieve, rule hits -----------------------------------------------------------------------------

def test_review_codings_in_one_go(coded: Project) -> None:
    ids = [int(i) for i in coded.codings(status="suggested")["id"][:3]]
    assert coded.review_codings(ids, "accepted", "aigerim") == 3
    codings = coded.codings().set_index("id")
    assert set(codings.loc[ids, "status"]) == {"accepted"}
    with pytest.raises(QualcodeError, match=r"\[E753\]"):
        coded.review_codings(ids, "rejected", " ")
    with pytest.raises(QualcodeError, match=r"\[E707\]"):
        coded.review_codings([ids[0], 10**9], "rejected", "aigerim")
    assert coded.codings().set_index("id").loc[ids[0], "status"] == "accepted"  # all or nothing


def test_retrieve_a_code_said_by_women(coded: Project) -> None:
    result = coded.retrieve(["pull.state_program"], where={"gender": ["female"]})
    codings, cases = coded.codings(), coded.cases()
    women = set(cases.loc[cases["gender"] == "female", "case"])
    expected = codings[(codings["code"] == "pull.state_program") & codings["case"].isin(women)
                       & codings["status"].isin(["accepted", "suggested"])]
    assert len(result) == len(expected) > 0
    assert set(result["id"]) == set(expected["id"])
    assert set(result["gender"]) == {"female"}
    row = result.iloc[0]
    text = coded.transcript_text(row["transcript"])
    assert text[row["start"]:row["end"]] == row["text"]
    around = row["before"].removeprefix("…") + row["text"] + row["after"].removesuffix("…")
    assert around in text and len(around) > len(row["text"])  # some of its turn around it
    assert row["link"] == f"/code?transcript={row['transcript']}"


def test_retrieve_takes_sub_codes_ranges_and_statuses(coded: Project) -> None:
    codings = coded.codings()
    pull = coded.retrieve(["pull"])
    assert len(pull) == int(codings["code"].str.startswith("pull.").sum())
    young = coded.retrieve(["pull"], where={"age": (20, 30)})
    ages = coded.cases().set_index("case")["age"]
    assert len(young) > 0 and all(20 <= ages[c] <= 30 for c in young["case"])
    assert coded.retrieve(["pull"], statuses=("accepted",)).empty  # nothing reviewed yet
    with pytest.raises(QualcodeError, match=r"\[E722\]"):
        coded.retrieve(["pull"], where={"sex": ["female"]})
    with pytest.raises(QualcodeError, match=r"\[E706\]"):
        coded.retrieve(["pul"])


def test_rule_hits_list_each_match_and_its_fate(coded: Project) -> None:
    hits = coded.rule_hits(CODEBOOK, "pull.state_program")
    assert len(hits) > 0 and set(hits["code"]) == {"pull.state_program"}
    coded_hits = hits[hits["fate"] == "coded"]
    rule_codings = coded.codings(origin="rule")
    rule_codings = rule_codings[rule_codings["code"] == "pull.state_program"]
    assert set(coded_hits["transcript"]) == set(rule_codings["transcript"])
    assert hits["fate"].str.startswith("speaker:").any()  # the interviewer's words are shown, not coded
    for row in hits.head(20).itertuples():
        assert coded.transcript_text(row.transcript)[row.start:row.end] == row.matched
    one = hits["rule"].iloc[0]
    assert set(coded.rule_hits(CODEBOOK, "pull.state_program", rules=[one])["rule"]) == {one}
    with pytest.raises(QualcodeError, match=r"\[E749\]"):
        coded.rule_hits(CODEBOOK, "push")  # a group heading without rules


def test_markdown_shows_user_text_as_text() -> None:
    assert markdown_text("<img src=x onerror=alert(1)>") == r"\<img src\=x onerror\=alert\(1\)\>"
    assert markdown_text("[a](javascript:x) *b* $x$ :red[y]") == \
        r"\[a\]\(javascript\:x\) \*b\* \$x\$ \:red\[y\]"
    assert segment_markdown("Before. ", "the coded words", " after") == r"Before\. **the coded words** after"
    assert segment_markdown("word", "(note)", "next") == r"word **\(note\)** next"
    assert segment_markdown("раб", "от", "ы") == "раб**от**ы"
