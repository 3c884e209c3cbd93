"""Case × code matrices and the codebook's rule typology, on a tiny project computed by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from qualcode import Project
from qualcode.codebook import loads
from qualcode.errors import QualcodeError

# Two cases. A's respondent says 11 words, B's says 6 (the interviewer's words never count).
A = "Interviewer: Tell me.\n\nRespondent: We had no work there and the rent was high too.\n"
B = "Interviewer: And you?\n\nRespondent: I own a flat here now.\n"

BOOK = loads("""
name: tiny
version: "1"
languages: [en]
codes:
  - {id: push, name: Push}
  - {id: push.work, name: No work}
  - {id: push.rent, name: Rent}
  - {id: own, name: Own housing}
profiles:
  - id: strength
    name: Strength
    weights: {own: 2, push.work: -1, push.rent: -1}
types:
  - {id: strong, name: Strong, when: "strength >= 1"}
  - {id: pushed, name: Pushed, when: "push and strength < 0"}
""", "tiny.yaml")


@pytest.fixture
def tiny(tmp_path: Path) -> Project:
    (tmp_path / "a.txt").write_text(A, encoding="utf-8")
    (tmp_path / "b.txt").write_text(B, encoding="utf-8")
    p = Project.create(tmp_path / "t.qcdb")
    assert p.import_files([tmp_path / "a.txt", tmp_path / "b.txt"]).ok
    rows = []

    def code(name: str, text: str, code_id: str, words: str, status: str = "accepted") -> None:
        start = text.index(words)
        rows.append([name, code_id, start, start + len(words), words, "ann", status])

    code("a", A, "push.work", "We had no work there")  # 5 words
    code("a", A, "push.work", "no work there and")  # overlaps: coverage counts the union (6 words)
    code("a", A, "push.rent", "the rent was high", status="suggested")  # 4 words
    code("a", A, "own", "rent", status="rejected")  # rejected: never counts
    code("b", B, "own", "I own a flat")  # 4 of 6 words
    path = tmp_path / "human.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["transcript", "code", "start", "end", "text", "coder", "status"])
        w.writerows(rows)
    assert p.import_codings(path, create_codes=True).imported == 5
    yield p
    p.close()


def test_presence_and_count_by_hand(tiny: Project) -> None:
    presence = tiny.matrix("presence")
    assert presence.loc["a"].to_dict() == {"own": 0, "push.rent": 1, "push.work": 1}
    assert presence.loc["b"].to_dict() == {"own": 1, "push.rent": 0, "push.work": 0}
    count = tiny.matrix("count")
    assert count.loc["a", "push.work"] == 2 and count.loc["b", "own"] == 1
    accepted = tiny.matrix("count", statuses=("accepted",))
    assert accepted.loc["a", "push.rent"] == 0  # a suggestion


def test_coverage_is_percent_of_respondent_words(tiny: Project) -> None:
    coverage = tiny.matrix("coverage")
    assert coverage.loc["a", "push.work"] == pytest.approx(100 * 6 / 11, abs=0.01)  # union of the two spans
    assert coverage.loc["a", "push.rent"] == pytest.approx(100 * 4 / 11, abs=0.01)
    assert coverage.loc["b", "own"] == pytest.approx(100 * 4 / 6, abs=0.01)
    assert coverage.loc["b", "push.work"] == 0


def test_bad_kind_is_a_clear_error(tiny: Project) -> None:
    with pytest.raises(QualcodeError, match=r"E709.*presence, count, coverage"):
        tiny.matrix("percent")


def test_rule_typology_with_profiles_parents_and_reasons(tiny: Project) -> None:
    result = tiny.rule_typology(BOOK)
    frame = result.cases.set_index("case")
    assert frame.loc["a", "strength"] == -2 and frame.loc["b", "strength"] == 2
    assert frame.loc["a", "rule_type"] == "pushed"  # `push` holds because a child code is coded
    assert frame.loc["b", "rule_type"] == "strong"
    assert frame.loc["b", "reason"] == "strength >= 1 (strength=2)"
    assert "push=yes" in frame.loc["a", "reason"] and "strength=-2" in frame.loc["a", "reason"]
    assert result.contributions["a"]["strength"] == {"push.work": -1.0, "push.rent": -1.0}


def test_a_case_no_type_fits_is_unassigned_with_the_reason(tiny: Project) -> None:
    only_a = tiny.rule_typology(BOOK, statuses=("accepted",)).cases.set_index("case")
    # Without the suggested rent coding, A has strength -1 and `push`: still pushed.
    assert only_a.loc["a", "rule_type"] == "pushed"
    book = loads("""
name: tiny
version: "1"
languages: [en]
codes:
  - {id: own, name: Own}
types:
  - {id: owner, name: Owner, when: "own"}
""", "t2.yaml")
    frame = tiny.rule_typology(book).cases.set_index("case")
    assert frame.loc["a", "rule_type"] == "unassigned"
    assert frame.loc["a", "reason"] == "too little evidence for any type: owner needs own (own=no)"


def test_sample_project_types_against_documented_types(sample_copy: Path) -> None:
    from click.testing import CliRunner

    from qualcode.cli import cli

    runner = CliRunner()
    root = Path(__file__).resolve().parent.parent
    codebook = str(root / "codebooks" / "migration.yaml")
    assert runner.invoke(cli, ["code", str(sample_copy), "--codebook", codebook]).exit_code == 0
    result = runner.invoke(cli, ["typology", str(sample_copy), "--codebook", codebook, "--compare",
                                 "documented_type", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "case,rule_type,cluster,cluster_label,silhouette,stability,reason,degree," \
        "runner_up,margin,borderline,resources,push_factors,pull_factors,immediate_goals,longterm_goals,evidence"
    assert "rule_type × documented_type" in result.output
    assert "cluster_label × documented_type" in result.output
    assert "Adjusted Rand index, clusters vs rule types:" in result.output
    assert "Clusters on types: k=3 (the number of types;" in result.output
    with Project.open(sample_copy) as p:
        types = set(p.rule_typology(codebook).cases["rule_type"])
    assert types == {"development", "survival", "mixed"}


def test_gender_crosstab_from_the_cli_and_a_bad_attribute(sample_copy: Path) -> None:
    from click.testing import CliRunner

    from qualcode.cli import cli

    runner = CliRunner()
    codebook = str(Path(__file__).resolve().parent.parent / "codebooks" / "migration.yaml")
    assert runner.invoke(cli, ["code", str(sample_copy), "--codebook", codebook]).exit_code == 0
    result = runner.invoke(cli, ["matrix", str(sample_copy), "--by", "gender", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "code,value,n_cases,n_with_code,row_pct,test,statistic,p_value,n,warning"
    values = {line.split(",")[1] for line in lines[1:]}
    assert values == {"female", "male"}
    bad = runner.invoke(cli, ["matrix", str(sample_copy), "--by", "shoe_size"])
    assert bad.exit_code == 1 and "[E722]" in bad.output and "shoe_size" in bad.output and "gender" in bad.output
    numeric = runner.invoke(cli, ["matrix", str(sample_copy), "--by", "age"])
    assert numeric.exit_code == 1 and "[E725]" in numeric.output and "--bins" in numeric.output
    binned = runner.invoke(cli, ["matrix", str(sample_copy), "--by", "age", "--bins", "18,30,45,65",
                                 "--format", "csv"])
    assert binned.exit_code == 0, binned.output
    assert {line.split('"')[1] for line in binned.stdout.splitlines()[1:]} == {"[18, 30]", "(30, 45]", "(45, 65]"}
    bad_bins = runner.invoke(cli, ["matrix", str(sample_copy), "--by", "age", "--bins", "young"])
    assert bad_bins.exit_code == 2 and "--bins" in bad_bins.output


def test_coverage_matches_a_plain_loop_on_random_spans_across_turns() -> None:
    """The vectorised coverage against the obvious loop (clip to respondent turns, merge the
    code's spans, count the words in each), on random codings that cross turn borders."""
    import random
    import re

    from qualcode.analysis.matrix import case_code_matrix

    rng = random.Random(7)
    words = ["работа", "жильё", "job", "house", "семья", "money", "north", "юг"]
    texts, turns_rows, codings_rows = {}, [], []
    for t in range(6):
        name, pos, parts = f"t{t}", 0, []
        for turn in range(8):
            turn_text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
            role = "interviewer" if turn % 3 == 0 else "respondent"
            turns_rows.append({"transcript": name, "turn": turn, "role": role, "start": pos,
                               "end": pos + len(turn_text)})
            parts.append(turn_text)
            pos += len(turn_text) + 1
        texts[name] = "\n".join(parts)
        for _ in range(15):
            s = rng.randrange(len(texts[name]) - 1)
            e = rng.randrange(s + 1, min(len(texts[name]), s + 60) + 1)
            codings_rows.append({"transcript": name, "case": f"c{t // 2}", "code": rng.choice("AB"),
                                 "start": s, "end": e, "status": "accepted"})
    codings, turns = pd.DataFrame(codings_rows), pd.DataFrame(turns_rows)
    transcripts = pd.DataFrame({"transcript": list(texts), "case": [f"c{t // 2}" for t in range(6)]})
    got = case_code_matrix(codings, ["c0", "c1", "c2", "c3"], kind="coverage", turns=turns,
                           transcripts=transcripts, texts=texts)

    word = re.compile(r"\w+")
    total: dict[str, int] = {}
    covered: dict[tuple[str, str], int] = {}
    for name, text in texts.items():
        case = transcripts.set_index("transcript").loc[name, "case"]
        own = turns[(turns.transcript == name) & (turns.role == "respondent")]
        spans = [(r.start, r.end) for r in own.itertuples()]
        total[case] = total.get(case, 0) + sum(len(word.findall(text, s, e)) for s, e in spans)
        for code in "AB":
            clipped = sorted((max(c.start, s), min(c.end, e)) for c in codings_rows_of(codings, name, code)
                             for s, e in spans if c.start < e and c.end > s)
            merged: list[list[int]] = []
            for s, e in clipped:
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            covered[(case, code)] = covered.get((case, code), 0) + sum(len(word.findall(text, s, e))
                                                                       for s, e in merged)
    for (case, code), n in covered.items():
        assert got.loc[case, code] == pytest.approx(round(100 * n / total[case], 2)), (case, code)
    assert got.loc["c3"].sum() == 0  # a case with no transcript: zeros, not an error
    assert (got.loc[["c0", "c1", "c2"]].to_numpy() > 0).any()


def codings_rows_of(codings: pd.DataFrame, name: str, code: str):
    return codings[(codings.transcript == name) & (codings.code == code)].itertuples()
