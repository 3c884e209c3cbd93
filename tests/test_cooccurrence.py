"""Co-occurrence (each scope) and code frequencies on tiny codings frames counted by hand, then all
three analyses (with the cross-tab) on the frames of a real project."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from qualcode import Project
from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.crosstab import FISHER, code_by_attribute
from qualcode.analysis.frequencies import frequencies

COLUMNS = ["transcript", "case", "code", "start", "end", "text", "speaker", "role", "coder", "origin", "rule",
           "status", "confidence", "run", "turn", "matched", "memo", "id"]


def codings(*rows: tuple) -> pd.DataFrame:
    """Rows of (transcript, code, start, end[, status[, origin[, coder]]]); the case is the transcript's."""
    out = []
    for i, (transcript, code, start, end, *rest) in enumerate(rows):
        status = rest[0] if len(rest) > 0 else "accepted"
        origin = rest[1] if len(rest) > 1 else "manual"
        coder = rest[2] if len(rest) > 2 else ("ann" if origin != "rule" else None)
        out.append({"transcript": transcript, "case": "c" + transcript[1:], "code": code, "start": start,
                    "end": end, "text": "x" * (end - start), "speaker": "R", "role": "respondent", "coder": coder,
                    "origin": origin, "rule": "r1" if origin == "rule" else None, "status": status,
                    "confidence": None, "run": None, "turn": 0, "matched": None, "memo": None, "id": i + 1})
    return pd.DataFrame(out, columns=COLUMNS)


# t1 (case c1) and t2 (case c2); spans far apart (>= 80 characters) unless they are meant to meet.
FRAME = codings(
    ("t1", "A", 0, 10), ("t1", "B", 5, 15),  # overlap
    ("t1", "A", 100, 110), ("t1", "B", 110, 120),  # touch
    ("t1", "A", 200, 210), ("t1", "B", 215, 220),  # 5 characters apart
    ("t1", "C", 300, 310),  # alone
    ("t1", "A", 400, 410), ("t1", "A", 405, 415), ("t1", "B", 412, 420),  # two A codings, one B: one place
    ("t2", "B", 0, 10), ("t2", "C", 0, 10),  # same span
    ("t2", "A", 100, 110, "rejected"), ("t2", "B", 100, 110),  # rejected never counts
    ("t2", "A", 200, 210, "suggested", "rule"), ("t2", "C", 205, 220),  # a suggestion: counts by default
    ("t3", "D", 0, 10, "rejected"),  # D has only a rejected coding: a row of zeros
)


def test_unit_scope_counts_places_where_codes_meet() -> None:
    result = cooccurrence(FRAME)
    # Passages: A 4 in t1 ([400, 415) is one) + 1 in t2; B 4 + 2; C 1 + 2; D none.
    assert result.counts.to_dict("index") == {
        "A": {"A": 5, "B": 3, "C": 1, "D": 0},
        "B": {"A": 3, "B": 6, "C": 1, "D": 0},
        "C": {"A": 1, "B": 1, "C": 3, "D": 0},
        "D": {"A": 0, "B": 0, "C": 0, "D": 0},
    }
    # A–B: groups of A and B codings are 5 in t1 (3 with both) and 3 in t2 (none): 3/8.
    assert result.jaccard.loc["A", "B"] == pytest.approx(3 / 8) == result.jaccard.loc["B", "A"]
    assert result.jaccard.loc["A", "C"] == pytest.approx(1 / 7)  # A 5 + C 3 - 1 joined
    assert result.jaccard.loc["B", "C"] == pytest.approx(1 / 8)
    assert result.jaccard.loc["A", "A"] == 1.0
    assert math.isnan(result.jaccard.loc["D", "D"])  # no unit at all
    assert result.jaccard.loc["A", "D"] == 0.0
    where = result.where[(result.where["code_a"] == "A") & (result.where["code_b"] == "B")]
    assert where[["transcript", "case", "start", "end"]].values.tolist() == [
        ["t1", "c1", 0, 15], ["t1", "c1", 100, 120], ["t1", "c1", 400, 420]]
    assert result.pairs().iloc[0].to_dict() == {"code_a": "A", "code_b": "B", "count": 3,
                                                "jaccard": pytest.approx(3 / 8)}


def test_unit_scope_with_accepted_codings_only() -> None:
    result = cooccurrence(FRAME, statuses=("accepted",))
    assert result.counts.loc["A", "A"] == 4 and result.counts.loc["A", "C"] == 0
    assert result.jaccard.loc["A", "C"] == 0.0


def test_distance_scope_joins_codings_a_few_characters_apart() -> None:
    result = cooccurrence(FRAME, scope="distance", within=5)
    assert result.counts.loc["A", "B"] == 4  # now [200, 210) and [215, 220) meet
    assert result.jaccard.loc["A", "B"] == pytest.approx(4 / 7)
    assert list(result.counts.values.diagonal()) == [5, 6, 3, 0]  # passages stay apart
    assert cooccurrence(FRAME, scope="distance", within=4).counts.loc["A", "B"] == 3
    assert cooccurrence(FRAME, scope="distance").counts.equals(cooccurrence(FRAME).counts)


def test_pair_groups_link_through_either_code_only() -> None:
    # Two A passages ([0, 10) and [12, 20)) bridged by one B coding: one place where A and B meet.
    # With the A at 100 the pair has 2 groups, so Jaccard 1/2 (not 1/(3 + 1 - 1) as if the
    # bridged passages were apart). C between A and E does not make them meet.
    frame = codings(("t1", "A", 0, 10), ("t1", "B", 5, 15), ("t1", "A", 12, 20),
                    ("t1", "A", 100, 110), ("t1", "C", 110, 120), ("t1", "E", 120, 130))
    result = cooccurrence(frame)
    assert result.counts.loc["A", "A"] == 3 and result.counts.loc["A", "B"] == 1
    assert result.jaccard.loc["A", "B"] == 1 / 2
    assert result.counts.loc["A", "E"] == 0 and result.counts.loc["A", "C"] == 1 and result.counts.loc["C", "E"] == 1


def test_case_scope_counts_cases() -> None:
    result = cooccurrence(FRAME, scope="case")
    assert result.counts.loc[["A", "B", "C"], ["A", "B", "C"]].values.tolist() == [[2, 2, 2]] * 3
    accepted = cooccurrence(FRAME, scope="case", statuses=("accepted",))
    # c1 has A, B, C; c2 has B and C (its A codings are rejected or suggested).
    assert accepted.counts.loc["A", "A"] == 1 and accepted.counts.loc["B", "C"] == 2
    assert accepted.jaccard.loc["A", "B"] == pytest.approx(1 / 2) and accepted.jaccard.loc["B", "C"] == 1.0
    assert accepted.where[accepted.where["code_a"] == "A"]["case"].tolist() == ["c1", "c1"]


def test_bad_scope_and_within() -> None:
    with pytest.raises(ValueError, match="scope must be one of unit, distance, case"):
        cooccurrence(FRAME, scope="turn")
    with pytest.raises(ValueError, match="applies to scope='distance' only"):
        cooccurrence(FRAME, within=10)
    with pytest.raises(ValueError, match="0 or more"):
        cooccurrence(FRAME, scope="distance", within=-1)


def test_frequencies_by_origin_and_coder() -> None:
    by_origin = frequencies(FRAME)
    # Rejected codings (A in t2, D) never count; D stays as a row of zeros.
    assert by_origin.to_dict("index") == {
        "A": {"manual": 5, "rule": 1, "total": 6, "n_cases": 2},  # 5 in t1, the suggestion in t2
        "B": {"manual": 6, "rule": 0, "total": 6, "n_cases": 2},
        "C": {"manual": 3, "rule": 0, "total": 3, "n_cases": 2},
        "D": {"manual": 0, "rule": 0, "total": 0, "n_cases": 0},
    }
    by_coder = frequencies(FRAME, by="coder", statuses=("accepted", "suggested"))
    assert list(by_coder.columns) == ["(none)", "ann", "total", "n_cases"]
    assert by_coder.loc["A", "(none)"] == 1 and by_coder.loc["A", "ann"] == 5
    accepted = frequencies(FRAME, statuses=("accepted",))
    assert accepted.loc["A"].to_dict() == {"manual": 5, "total": 5, "n_cases": 1}
    with pytest.raises(ValueError, match="cannot split codings by 'colour'"):
        frequencies(FRAME, by="colour")


# --- through a real project ------------------------------------------------------------------------

TEXTS = {
    "k1": "Interviewer: Why?\n\nRespondent: There was no work and the rent was high.\n",
    "k2": "Interviewer: Why?\n\nRespondent: No work at home, so we left.\n",
    "k3": "Interviewer: Why?\n\nRespondent: The programme gave us a flat.\n",
    "k4": "Interviewer: Why?\n\nRespondent: My brother had a flat here.\n",
}


@pytest.fixture
def four(tmp_path: Path) -> Project:
    for name, text in TEXTS.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "cases.csv").write_text("case_id,file,gender,age\nK1,k1.txt,female,29\nK2,k2.txt,male,34\n"
                                        "K3,k3.txt,female,41\nK4,k4.txt,,26\n", encoding="utf-8")
    p = Project.create(tmp_path / "p.qcdb")
    report = p.import_files([tmp_path / f"{n}.txt" for n in TEXTS], attributes=tmp_path / "cases.csv")
    assert report.ok, [r.message for r in report.results]
    rows = []
    for name, code, words, coder in [("k1", "work", "no work", "ann"), ("k1", "rent", "the rent was high", "ann"),
                                     ("k1", "rent", "rent", "bob"), ("k2", "work", "No work", "bob"),
                                     ("k3", "flat", "a flat", "ann"), ("k4", "flat", "a flat", "ann"),
                                     ("k4", "kin", "My brother", "ann")]:
        start = TEXTS[name].index(words)
        rows.append([name, code, start, start + len(words), words, coder, "accepted"])
    with (tmp_path / "codings.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["transcript", "code", "start", "end", "text", "coder", "status"], *rows])
    assert p.import_codings(tmp_path / "codings.csv", create_codes=True).imported == 7
    yield p
    p.close()


def test_analyses_accept_project_frames(four: Project) -> None:
    tab = code_by_attribute(four.matrix("presence"), four.cases(), "gender")
    assert tab.missing_cases == ["K4"] and tab.n == 3
    work = tab.table[tab.table["code"] == "work"].set_index("value")
    assert work["n_with_code"].to_dict() == {"female": 1, "male": 1}
    assert set(tab.tests["test"]) <= {FISHER, "none"}
    with pytest.raises(ValueError, match="age is numeric"):
        code_by_attribute(four.matrix("presence"), four.cases(), "age")
    assert code_by_attribute(four.matrix("count"), four.cases(), "age", bins=[18, 30, 60]).n == 4

    frame = four.codings()
    unit = cooccurrence(frame)
    # ann's and bob's rent codings overlap: one passage. "no work" and "the rent was high" are
    # " and " (5 characters) apart in k1.
    assert unit.counts.loc["rent", "rent"] == 1 and unit.counts.loc["rent", "work"] == 0
    assert cooccurrence(frame, scope="distance", within=4).counts.loc["rent", "work"] == 0
    assert cooccurrence(frame, scope="distance", within=5).counts.loc["rent", "work"] == 1
    assert cooccurrence(frame, scope="case").counts.loc["flat", "kin"] == 1

    freq = frequencies(frame, by="coder")
    assert freq.loc["rent"].to_dict() == {"ann": 1, "bob": 1, "total": 2, "n_cases": 1}
    assert freq.loc["work", "n_cases"] == 2 and frequencies(frame).loc["flat", "import"] == 2
