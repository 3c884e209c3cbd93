"""Inter-coder agreement against published values (tests/data/agreement/README.md cites them)
and the units built from codings against counts made by hand."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from qualcode.analysis.agreement import (
    agreement,
    alpha_bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_counts,
    krippendorff_alpha,
    percent_agreement,
)

REF = Path(__file__).parent / "data" / "agreement"
PUBLISHED = json.loads((REF / "reference_values.json").read_text(encoding="utf-8"))


def table(name: str) -> pd.DataFrame:
    """Units × coders (the unit/subject column dropped); empty cells are missing."""
    return pd.read_csv(REF / name, dtype=object if "nominal" in name else None).iloc[:, 1:]


@pytest.fixture(autouse=True)
def no_warnings():
    """Degenerate data must give NaN quietly: any warning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- Krippendorff (2011) ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["krippendorff2011_binary.csv", "krippendorff2011_nominal.csv",
                                  "krippendorff2011_missing.csv"])
def test_alpha_reproduces_krippendorff_2011(name):
    for level, published in PUBLISHED[name]["alpha"].items():
        assert round(krippendorff_alpha(table(name), level), 3) == published, (name, level)


def test_alpha_binary_by_hand():
    # Section A: 4 units disagree, 1 unit agrees on 1, 5 on 0 -> n_0 = 14, n_1 = 6, o_01 = 4;
    # alpha = 1 - (n - 1) * 2 o_01 / (2 n_0 n_1) = 1 - 19 * 4 / 84 = 8 / 84.
    assert krippendorff_alpha(table("krippendorff2011_binary.csv")) == pytest.approx(8 / 84, abs=1e-12)


def test_alpha_metrics_use_what_each_level_promises():
    data = table("krippendorff2011_missing.csv")
    published = PUBLISHED["krippendorff2011_missing.csv"]["alpha"]
    # ordinal alpha depends on ranks only; interval alpha survives any linear map, ratio any rescaling;
    # nominal alpha any relabelling. Each transformed table must still give the published value.
    ranks = data.replace({1: 10, 2: 11, 3: 40, 4: 41, 5: 99})
    assert round(krippendorff_alpha(ranks, "ordinal"), 3) == published["ordinal"]
    assert round(krippendorff_alpha(data * 2.5 - 7, "interval"), 3) == published["interval"]
    assert round(krippendorff_alpha(data * 4, "ratio"), 3) == published["ratio"]
    labels = data.map(lambda v: None if pd.isna(v) else f"v{int(v)}")
    assert round(krippendorff_alpha(labels, "nominal"), 3) == published["nominal"]
    # and the metrics do differ: interval is not ordinal on the transformed ranks
    assert round(krippendorff_alpha(ranks, "interval"), 3) != published["interval"]


def test_alpha_two_coders_equals_scotts_pi_corrected():
    # For 2 coders and complete nominal data alpha = 1 - (1 - pi) (2N - 1) / (2N), with Scott's
    # pi computed here independently from raw counts.
    rng = np.random.default_rng(7)
    for n, k in [(20, 2), (60, 3), (200, 5)]:
        a = rng.integers(0, k, n)
        b = np.where(rng.random(n) < 0.7, a, rng.integers(0, k, n))
        pooled = Counter(a.tolist() + b.tolist())
        expected = sum((c / (2 * n)) ** 2 for c in pooled.values())
        observed = float(np.mean(a == b))
        pi = (observed - expected) / (1 - expected)
        assert krippendorff_alpha(np.column_stack([a, b])) == pytest.approx(1 - (1 - pi) * (2 * n - 1) / (2 * n))


def test_alpha_small_example_by_hand():
    # 2 coders, units (1,2), (3,3), (5,4); values 1,2,3,3,5,4, n = 6.
    # interval: sum o delta² = 2 * (1 + 0 + 1) = 4; sum over all value pairs i != j of (v_i - v_j)²
    #   = 2 * (n * sum v² - (sum v)²) = 2 * (6 * 64 - 18²) = 120; alpha = 1 - (n - 1) * 4 / 120 = 5/6.
    # ordinal: n_g = 1,1,2,1,1 for g = 1..5; delta_12 = 2 - 1 = 1 and delta_45 = 1, so sum o delta² = 4;
    #   sum_{c<k} n_c n_k delta²_ck = 1 + 12.5 + 16 + 25 + 4.5 + 9 + 16 + 4.5 + 12.5 + 1 = 102,
    #   alpha = 1 - 5 * 4 / 204 = 46/51.
    # nominal: 2 of 3 units disagree; n_3 = 2, others 1: sum n_c n_k (c != k) = 36 - 8 = 28;
    #   alpha = 1 - 5 * 4 / 28 = 2/7.
    data = [[1, 2], [3, 3], [5, 4]]
    assert krippendorff_alpha(data, "interval") == pytest.approx(5 / 6, abs=1e-12)
    assert krippendorff_alpha(data, "ordinal") == pytest.approx(46 / 51, abs=1e-12)
    assert krippendorff_alpha(data, "nominal") == pytest.approx(2 / 7, abs=1e-12)


def test_alpha_invariants_and_degenerate_cases():
    perfect = [[1, 1, None], [3, 3, 3], [2, None, 2], [5, 5, 5]]
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(perfect, level) == 1.0
        assert np.isnan(krippendorff_alpha([[2, 2], [2, 2], [2, None]], level))  # one category only
        assert np.isnan(krippendorff_alpha([[1, None], [None, 2]], level))  # nothing pairable
    assert np.isnan(krippendorff_alpha(np.zeros((0, 2))))
    with pytest.raises(ValueError, match="ratio"):
        krippendorff_alpha([[-1, 2], [3, 3]], "ratio")
    with pytest.raises(ValueError, match="interval alpha needs numbers"):
        krippendorff_alpha([["a", "b"], ["b", "b"]], "interval")
    with pytest.raises(ValueError, match="level must be one of"):
        krippendorff_alpha(perfect, "cardinal")


def test_percent_agreement_by_hand():
    # 4 × 12 data: units 1-11 are pairable. Agreeing pairs / pairs per unit: 1 everywhere except
    # unit 2 (2,2,3,2: 3 of 6), unit 6 (1,2,3,4: 0 of 6), unit 8 (1,1,2,1: 3 of 6) -> 9 / 11.
    assert percent_agreement(table("krippendorff2011_missing.csv")) == pytest.approx(100 * 9 / 11)
    assert percent_agreement(table("krippendorff2011_binary.csv")) == pytest.approx(60.0)
    assert np.isnan(percent_agreement([[1, None], [None, 2]]))


# --- Fleiss (1971) ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["fleiss1971_table1.csv", "wikipedia_fleiss_example.csv"])
def test_fleiss_kappa_reproduces_published(name):
    assert round(fleiss_kappa_counts(table(name)), 3) == PUBLISHED[name]["kappa"]


def test_fleiss_kappa_from_ratings_of_each_rater():
    counts = table("fleiss1971_table1.csv").to_numpy()
    # one row per patient, one column per rating (the 6 diagnoses of that patient, in any order)
    ratings = [[cat for cat, n in zip(table("fleiss1971_table1.csv").columns, row, strict=True)
                for _ in range(n)] for row in counts]
    assert round(fleiss_kappa(ratings), 3) == 0.430
    with pytest.raises(ValueError, match="same number of"):
        fleiss_kappa([["a", "a", "b"], ["a", None, "b"]])
    assert np.isnan(fleiss_kappa_counts([[3, 0], [3, 0]]))  # everyone chose one category


# --- Cohen --------------------------------------------------------------------------------

def expand(cells: dict[tuple[str, str], int]) -> tuple[list[str], list[str]]:
    pairs = [pair for pair, n in cells.items() for _ in range(n)]
    return [a for a, _ in pairs], [b for _, b in pairs]


def test_cohen_kappa_hand_computed_examples():
    # Wikipedia "Cohen's kappa", example with 50 grant proposals: yes/yes 20, yes/no 5, no/yes 10,
    # no/no 15. p_o = 35/50 = .7; A says yes 25/50, B 30/50: p_e = .5*.6 + .5*.4 = .5; kappa = .4.
    a, b = expand({("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15})
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    # 3 categories, 50 units: rows A, columns B [[10,2,3],[1,8,1],[4,1,20]]. p_o = 38/50 = .76;
    # A marginals 15,10,25, B marginals 15,11,24: p_e = (225+110+600)/2500 = .374;
    # kappa = .386/.626 = 0.616613...
    a, b = expand({("x", "x"): 10, ("x", "y"): 2, ("x", "z"): 3, ("y", "x"): 1, ("y", "y"): 8, ("y", "z"): 1,
                   ("z", "x"): 4, ("z", "y"): 1, ("z", "z"): 20})
    assert cohen_kappa(a, b) == pytest.approx(0.386 / 0.626)
    # units with a missing value are left out
    assert cohen_kappa([*a, None, "x"], [*b, "y", None]) == pytest.approx(0.386 / 0.626)
    assert np.isnan(cohen_kappa(["x", "x"], ["x", "x"]))
    with pytest.raises(ValueError, match="every unit"):
        cohen_kappa(["x"], ["x", "y"])


@pytest.mark.parametrize("seed", range(8))
def test_cohen_kappa_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(10, 400)), int(rng.integers(2, 6))
    a = rng.integers(0, k, n)
    b = np.where(rng.random(n) < rng.random(), a, rng.integers(0, k, n))
    assert cohen_kappa(a.tolist(), b.tolist()) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    labels = np.array(["нет", "да", "мүмкін", "x", "y"])  # nominal labels of any kind
    assert cohen_kappa(labels[a].tolist(), labels[b].tolist()) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


# --- bootstrap ----------------------------------------------------------------------------

def coded(n: int, seed: int, coders: int = 3, accuracy: float = 0.85) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    return np.column_stack([np.where(rng.random(n) < accuracy, truth, 1 - truth) for _ in range(coders)])


def test_bootstrap_interval_brackets_alpha_is_reproducible_and_narrows():
    small, large = coded(150, 1), coded(3000, 1)
    low, high = alpha_bootstrap_ci(small, n_boot=1000, random_state=3)
    assert low < krippendorff_alpha(small) < high
    assert alpha_bootstrap_ci(small, n_boot=1000, random_state=3) == (low, high)
    assert alpha_bootstrap_ci(small, n_boot=1000, random_state=4) != (low, high)
    big_low, big_high = alpha_bootstrap_ci(large, n_boot=1000, random_state=3)
    assert big_low < krippendorff_alpha(large) < big_high
    assert (big_high - big_low) < (high - low) / 3  # ~ 1/sqrt(20) as wide
    interval = alpha_bootstrap_ci(table("krippendorff2011_missing.csv"), "interval", random_state=0)
    assert interval[0] < 0.849 <= interval[1]
    assert alpha_bootstrap_ci([[1, 1], [1, 1]], random_state=0) == pytest.approx((np.nan, np.nan), nan_ok=True)
    with pytest.raises(ValueError, match="confidence"):
        alpha_bootstrap_ci(small, confidence=95)


def test_bootstrap_matches_a_plain_resampling_loop():
    data = coded(3000, 11)
    wide, narrow = alpha_bootstrap_ci(data, n_boot=3000, random_state=1), \
        alpha_bootstrap_ci(data, n_boot=3000, confidence=0.5, random_state=1)
    # percentile intervals of a near-normal statistic: width(50%) / width(95%) = 0.674 / 1.960 = 0.344
    assert (narrow[1] - narrow[0]) / (wide[1] - wide[0]) == pytest.approx(0.344, abs=0.05)
    rng = np.random.default_rng(0)
    loop = [krippendorff_alpha(data[rng.integers(0, len(data), len(data))]) for _ in range(400)]
    assert wide == pytest.approx(tuple(np.quantile(loop, [0.025, 0.975])), abs=0.01)


def test_bootstrap_groups_resample_dependent_units_together():
    data = coded(200, 2)
    copies = np.repeat(data, 20, axis=0)  # every unit 20 times, as characters of one turn would be
    plain = np.subtract(*alpha_bootstrap_ci(data, random_state=5)[::-1])
    naive = np.subtract(*alpha_bootstrap_ci(copies, random_state=5)[::-1])
    grouped = np.subtract(*alpha_bootstrap_ci(copies, random_state=5, groups=np.repeat(np.arange(200), 20))[::-1])
    assert naive < plain / 3  # treating copies as independent units overstates precision ...
    assert grouped == pytest.approx(plain, rel=0.15)  # ... resampling the groups does not


# --- units from codings -------------------------------------------------------------------

T1 = "И: Почему вы уехали?\nР: Работы не было. Мы уехали! 🙂 Да.\n\nСемья осталась.\nИ: Ясно.\nР: Жұмыс бар.\n"
T2 = "Р: Деньги.\n"
T3 = "Р: Север.\n"
TEXTS = {"T1": T1, "T2": T2, "T3": T3}
TURN2 = "Работы не было. Мы уехали! 🙂 Да.\n\nСемья осталась."


def turns_frame() -> pd.DataFrame:
    rows = []
    for name, parts in {"T1": [("interviewer", "Почему вы уехали?"), ("respondent", TURN2),
                               ("interviewer", "Ясно."), ("respondent", "Жұмыс бар.")],
                        "T2": [("respondent", "Деньги.")], "T3": [("respondent", "Север.")]}.items():
        for i, (role, text) in enumerate(parts):
            start = TEXTS[name].index(text)
            rows.append({"transcript": name, "turn": i + 1, "speaker": role[0].upper(), "role": role,
                         "start": start, "end": start + len(text), "timestamp": None, "text": text})
    return pd.DataFrame(rows)


def coding(name, code, words, coder, origin="manual", status="accepted"):
    start = TEXTS[name].index(words)
    return {"transcript": name, "case": "case-" + name, "code": code, "start": start, "end": start + len(words),
            "text": words, "speaker": None, "role": None, "coder": coder, "origin": origin, "rule": None,
            "status": status, "confidence": None, "run": None}


def codings_frame() -> pd.DataFrame:
    return pd.DataFrame([
        coding("T1", "work", "Работы не было", "ann"),
        coding("T1", "move", "Мы уехали", "ann"),
        coding("T1", "family", "Семья", "ann"),
        coding("T1", "work", "Жұмыс", "ann"),
        coding("T1", "move", "Почему вы уехали", "ann"),  # an interviewer turn
        coding("T1", "other", "Ясно", "ann", status="rejected"),
        coding("T1", "work", "Работы", "bob"),
        coding("T1", "move", "🙂 Да", "bob"),
        coding("T1", "family", "Семья осталась", "bob"),
        coding("T1", "work", "Жұмыс бар", "bob", status="rejected"),  # never counts
        coding("T1", "work", "Работы не было. Мы", None, origin="rule", status="suggested"),
        coding("T2", "work", "Деньги", "ann"),  # bob never touched T2: it is left out
        coding("T3", "move", "Север", "ann"),
        coding("T3", "move", "Север", "bob", status="rejected"),  # bob did look at T3: it counts
    ])


def run(coders=("ann", "bob"), **kw):
    kw.setdefault("n_boot", 200)
    return agreement(codings_frame(), turns_frame(), TEXTS, list(coders), **kw)


def row(result, code) -> dict:
    return result.per_code.set_index("code").loc[code].to_dict()


def test_sentence_units_by_hand():
    r = run(unit="sentence")
    # Respondent sentences: T1 "Работы не было." "Мы уехали!" "🙂 Да." "Семья осталась." "Жұмыс бар."
    # and T3 "Север." = 6 units (T2 is out). work: ann s1, s5; bob s1 -> one disagreement.
    # Cohen: p_o = 5/6, p_e = (2/6)(1/6) + (4/6)(5/6) = 22/36 -> kappa = (8/36)/(14/36) = 4/7.
    # alpha: n = 12, n_1 = 3, n_0 = 9, o_01 + o_10 = 2 -> 1 - 11 * 2 / 54 = 16/27.
    work = row(r, "work")
    assert (work["units"], work["n_ann"], work["n_bob"]) == (6, 2, 1)
    assert work["percent"] == pytest.approx(500 / 6)
    assert work["kappa"] == pytest.approx(4 / 7)
    assert work["alpha"] == pytest.approx(16 / 27)
    # move: ann "Мы уехали!" and "Север." (the interviewer turn is not a unit), bob "🙂 Да." ->
    # three disagreements of 6: kappa = (18/36 - 22/36)/(14/36) = -2/7, alpha = 1 - 11 * 6/54 = -2/9.
    move = row(r, "move")
    assert (move["percent"], move["kappa"], move["alpha"]) == pytest.approx((50.0, -2 / 7, -2 / 9))
    assert row(r, "family")["alpha"] == 1.0
    assert set(r.per_code["code"]) == {"family", "move", "work"}  # a rejected-only code is no column
    assert r.transcripts == ["T1", "T3"]
    d = r.disagreements
    assert list(d.columns) == ["transcript", "case", "unit", "turn", "start", "end", "text", "code", "ann", "bob"]
    assert d[["transcript", "case", "unit", "turn", "text", "code", "ann", "bob"]].values.tolist() == [
        ["T1", "case-T1", 1, 2, "Мы уехали!", "move", 1, 0],
        ["T1", "case-T1", 2, 2, "🙂 Да.", "move", 0, 1],
        ["T1", "case-T1", 4, 4, "Жұмыс бар.", "work", 1, 0],
        ["T3", "case-T3", 0, 1, "Север.", "move", 1, 0]]
    # pooled: 18 unit-codes of which 4 disagree (work 1, move 3); of the 36 values n_1 = 8
    # (work 3, move 3, family 2) and n_0 = 28, so alpha = 1 - 35 * (2 * 4) / (2 * 8 * 28) = 3/8.
    assert r.overall["unit_codes"] == 18 and r.overall["units"] == 6
    assert r.overall["percent"] == pytest.approx(100 * 14 / 18)
    assert r.overall["alpha"] == pytest.approx(3 / 8)
    assert r.overall["mean_alpha"] == pytest.approx((16 / 27 - 2 / 9 + 1) / 3)


def test_turn_and_paragraph_units():
    r = run(unit="turn")  # T1 turns 2 and 4, T3 turn 1
    assert row(r, "work")["units"] == 3
    assert [row(r, c)["percent"] for c in ("family", "move", "work")] == pytest.approx([100, 200 / 3, 200 / 3])
    wide = run(unit="turn", include_interviewer=True)  # + "Почему вы уехали?" (ann: move) and "Ясно."
    assert row(wide, "move")["units"] == 5
    assert row(wide, "move")["percent"] == pytest.approx(60.0)
    assert (row(wide, "move")["n_ann"], row(wide, "move")["n_bob"]) == (3, 1)
    p = run(unit="paragraph")  # T1 turn 2 has two paragraphs; then "Жұмыс бар." and "Север."
    assert row(p, "move")["units"] == 4
    assert row(p, "move")["percent"] == pytest.approx(75.0)  # both in paragraph 1; only ann in "Север."
    assert row(p, "family")["percent"] == 100.0
    assert row(p, "work")["percent"] == pytest.approx(75.0)
    assert p.disagreements["text"].tolist() == ["Жұмыс бар.", "Север."]


def test_char_units_count_python_characters():
    r = run(unit="char")
    chars = len(TURN2) + len("Жұмыс бар.") + len("Север.")
    work = row(r, "work")
    assert (work["units"], work["n_ann"], work["n_bob"]) == (chars, 14 + 5, 6)
    # 13 disagreeing characters: " не было" (8) and "Жұмыс" (5); n_1 = 25 of n = 2 * chars values
    assert work["percent"] == pytest.approx(100 * (chars - 13) / chars)
    assert work["alpha"] == pytest.approx(1 - (2 * chars - 1) * 26 / (2 * 25 * (2 * chars - 25)))
    d = r.disagreements
    assert d[["text", "code", "ann", "bob"]].values.tolist() == [
        [" не было", "work", 1, 0], ["Мы уехали", "move", 1, 0], ["🙂 Да", "move", 0, 1],
        [" осталась", "family", 0, 1], ["Жұмыс", "work", 1, 0], ["Север", "move", 1, 0]]
    emoji = d[d["text"] == "🙂 Да"].iloc[0]
    assert emoji["end"] - emoji["start"] == 4  # one code point for the emoji
    assert T1[emoji["start"]:emoji["end"]] == "🙂 Да"
    assert d[d["text"] == "Жұмыс"]["unit"].tolist() == [len(TURN2)]  # first char after turn 2's


def test_sentence_rule():
    text = "Было 3.5 тыс. «Куда?» Ну… ладно\nНовая строка!Слитно. Конец"
    turns = pd.DataFrame([{"transcript": "S", "turn": 1, "speaker": "R", "role": "respondent", "start": 0,
                           "end": len(text), "timestamp": None, "text": text}])
    # ann codes the whole turn, bob looked (a rejected coding) but coded nothing: every sentence differs
    codings = pd.DataFrame([{**coding("T1", "x", "Работы", "ann"), "transcript": "S", "start": 0, "end": len(text)},
                            {**coding("T1", "x", "Работы", "bob", status="rejected"), "transcript": "S"}])
    r = agreement(codings, turns, {"S": text}, ["ann", "bob"], unit="sentence", n_boot=0)
    # "тыс." before a space ends a sentence (there is no abbreviation list); "3.5" and "!Слитно" do not;
    # a closing quote stays with its sentence; a newline always ends one.
    assert r.disagreements["text"].tolist() == ["Было 3.5 тыс.", "«Куда?»", "Ну…", "ладно", "Новая строка!Слитно.",
                                                "Конец"]
    assert row(r, "x")["units"] == 6


def test_human_against_rules():
    r = run(coders=("ann", "origin:rule"), unit="sentence")
    # the rules coded only T1: 5 sentences. work: ann s1, s5; the rule "Работы не было. Мы" marks s1, s2.
    assert r.transcripts == ["T1"]
    work = row(r, "work")
    assert (work["units"], work["percent"], work["n_ann"], work["n_origin:rule"]) == (5, 60.0, 2, 2)
    assert row(r, "family")["percent"] == 80.0  # the rules never code family; ann has one sentence
    short = run(coders=("ann", "rule:"), unit="sentence")
    assert row(short, "work")["percent"] == 60.0
    reviewed = run(coders=("ann", "origin:rule"), unit="sentence", statuses=("accepted",))
    assert row(reviewed, "work")["n_origin:rule"] == 0  # the suggestion is not accepted
    assert row(reviewed, "work")["percent"] == 60.0  # ann's s1 and s5 now disagree
    everywhere = run(coders=("ann", "origin:rule"), unit="sentence", transcripts=["T1", "T3"])
    assert row(everywhere, "work")["units"] == 6
    three = run(coders=("ann", "bob", "origin:rule"), unit="sentence")
    # T1 only; work: ann s1 s5, bob s1, rule s1 s2. Cohen's kappa is for 2 coders: NaN here.
    # Fleiss: P_i = 1, 1/3, 1, 1, 1/3 (pairs agreeing of 3); P = 11/15; p_1 = 5/15 -> P_e = 5/9;
    # kappa = (11/15 - 5/9) / (4/9) = 2/5.
    assert np.isnan(row(three, "work")["kappa"])
    assert row(three, "work")["fleiss"] == pytest.approx(0.4)


def test_json_and_codes():
    r = run(unit="turn", codes=["work", "oth*"])
    out = r.to_json()
    assert set(out) == {"overall", "codes"} and set(out["codes"]) == {"work", "other"}
    assert out["codes"]["other"] == {"percent": 100.0, "kappa": None, "alpha": None, "alpha_ci": [None, None],
                                     "units": 3}
    assert set(out["codes"]["work"]) == {"percent", "kappa", "alpha", "alpha_ci", "units"}
    json.dumps(out, allow_nan=False)
    assert out["overall"]["coders"] == ["ann", "bob"] and out["overall"]["unit"] == "turn"


def many_turns(n: int, transcripts: int = 2) -> tuple[pd.DataFrame, dict[str, str], list[tuple[str, int]]]:
    """n one-sentence respondent turns spread over several transcripts, and each turn's (name, start)."""
    texts = {f"M{j}": "".join(f"Р: Фраза {i}.\n" for i in range(j, n, transcripts)) for j in range(transcripts)}
    where = [(f"M{i % transcripts}", texts[f"M{i % transcripts}"].index(f"Фраза {i}.")) for i in range(n)]
    turns = pd.DataFrame({"transcript": [w[0] for w in where], "turn": range(n), "speaker": "R",
                          "role": "respondent", "start": [w[1] for w in where],
                          "end": [w[1] + len(f"Фраза {i}.") for i, w in enumerate(where)], "timestamp": None,
                          "text": ""})
    return turns, texts, where


def test_per_code_interval_is_reproducible_and_independent_of_other_codes():
    data = coded(400, 9, coders=2)
    turns, texts, where = many_turns(400)
    rows = [{**coding("T1", code, "Работы", ["ann", "bob"][k]), "transcript": where[i][0], "start": where[i][1],
             "end": where[i][1] + 3} for code in ("a", "b") for i in range(400) for k in range(2) if data[i, k]]
    codings = pd.DataFrame(rows)
    both = agreement(codings, turns, texts, ["ann", "bob"], n_boot=500)
    alone = agreement(codings, turns, texts, ["ann", "bob"], codes=["a"], n_boot=500)
    again = agreement(codings, turns, texts, ["ann", "bob"], codes=["a"], n_boot=500)
    a = row(both, "a")
    assert a["alpha"] == pytest.approx(krippendorff_alpha(data))
    assert (a["alpha_low"], a["alpha_high"]) == (row(alone, "a")["alpha_low"], row(alone, "a")["alpha_high"])
    assert (row(again, "a")["alpha_low"], row(again, "a")["alpha_high"]) == (a["alpha_low"], a["alpha_high"])
    assert a["alpha_low"] < a["alpha"] < a["alpha_high"]
    assert a["kappa"] == pytest.approx(cohen_kappa_score(data[:, 0], data[:, 1]))
    assert a["fleiss"] == pytest.approx(fleiss_kappa(data))
    # codes a and b are the same marks, so pooling them (resampling units with both codes) changes
    # neither alpha's value much nor the width of its interval
    overall = both.overall
    assert overall["alpha"] == pytest.approx(a["alpha"], abs=0.002)
    assert overall["alpha_low"] < overall["alpha"] < overall["alpha_high"]
    assert overall["alpha_high"] - overall["alpha_low"] == pytest.approx(a["alpha_high"] - a["alpha_low"], rel=0.2)
    assert abs(overall["alpha_low"] - a["alpha_low"]) < 0.02


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"Unknown coder 'zoe'\. Known coders: ann, bob"):
        run(coders=("ann", "zoe"))
    with pytest.raises(ValueError, match=r"Unknown unit 'word'; use one of turn, sentence, paragraph, char"):
        run(unit="word")
    with pytest.raises(ValueError, match="at least 2 coders, got 1"):
        run(coders=("ann",))
    with pytest.raises(ValueError, match="named once"):
        run(coders=("ann", "ann"))
    with pytest.raises(ValueError, match=r"No code matches 'nope'\. Known codes: family, move, other, work"):
        run(codes=["nope"])
    apart = pd.DataFrame([coding("T2", "work", "Деньги", "ann"), coding("T3", "move", "Север", "bob")])
    with pytest.raises(ValueError, match=r"No transcript was coded by all of the coders .*ann: 1, bob: 1"):
        agreement(apart, turns_frame(), TEXTS, ["ann", "bob"])


def test_a_coding_marks_only_the_units_it_overlaps():
    # Spans are half-open: "Работы не было. " ends exactly where "Мы уехали!" starts and " 🙂" starts
    # exactly where "Мы уехали!" ends, so they mark sentences 1 and 3, not 2; an empty coding marks nothing.
    frame = codings_frame()
    extra = pd.DataFrame([coding("T1", "work", "Работы не было. ", "cat"), coding("T1", "work", " 🙂", "cat"),
                          {**coding("T1", "work", "Мы", "cat"), "end": TEXTS["T1"].index("Мы")},
                          coding("T3", "work", "Север", "cat", status="rejected")])
    both = pd.concat([frame, extra], ignore_index=True)
    for unit, marked in [("sentence", 2), ("char", len("Работы не было. ") + 2), ("turn", 1)]:
        r = agreement(both, turns_frame(), TEXTS, ["cat", "ann"], unit=unit, n_boot=0)
        assert row(r, "work")["n_cat"] == marked, unit


def test_char_intervals_resample_whole_turns():
    # 30 identical turns of 15 characters ("Фраза номер NN.") in two transcripts: every resample of
    # turns is the same mixture, so the interval has no width; resampling characters would give a wide one.
    texts = {f"C{j}": "".join(f"Р: Фраза номер {i:02d}.\n" for i in range(j, 30, 2)) for j in range(2)}
    where = [(f"C{i % 2}", texts[f"C{i % 2}"].index(f"Фраза номер {i:02d}.")) for i in range(30)]
    turns = pd.DataFrame({"transcript": [w[0] for w in where], "turn": range(30), "speaker": "R",
                          "role": "respondent", "start": [w[1] for w in where],
                          "end": [w[1] + 15 for w in where], "timestamp": None, "text": ""})
    rows = [{**coding("T1", code, "Работы", who), "transcript": name, "start": s, "end": s + width}
            for name, s in where for who, width in [("ann", 5), ("bob", 11)] for code in ("x", "y")]
    r = agreement(pd.DataFrame(rows), turns, texts, ["ann", "bob"], unit="char", n_boot=300)
    x = row(r, "x")
    # per turn of 15 characters: 5 both, 6 bob only, 4 neither; over 30 turns n = 900 values,
    # n_1 = 30 * 16 = 480, n_0 = 420, and 180 characters disagree (o_01 + o_10 = 360)
    assert x["alpha"] == pytest.approx(1 - 899 * 360 / (2 * 480 * 420))
    assert (x["alpha_low"], x["alpha_high"]) == pytest.approx((x["alpha"], x["alpha"]))
    # pooled, x and y together: twice the values (n = 1800, n_1 = 960, n_0 = 840, 720 disagreeing)
    pooled = 1 - 1799 * 720 / (2 * 960 * 840)
    assert r.overall["alpha"] == pytest.approx(pooled)
    assert (r.overall["alpha_low"], r.overall["alpha_high"]) == pytest.approx((pooled, pooled))


def test_char_disagreements_are_runs_of_touching_characters():
    text = "Р: один два три\n"
    turns = pd.DataFrame([{"transcript": "R", "turn": 1, "speaker": "R", "role": "respondent", "start": 3,
                           "end": len(text) - 1, "timestamp": None, "text": "один два три"}])
    rows = [{**coding("T1", "x", "Работы", "ann"), "transcript": "R", "start": text.index(w),
             "end": text.index(w) + len(w)} for w in ("один", " два", "три")]  # "один" and " два" touch
    rows.append({**coding("T1", "x", "Работы", "bob", status="rejected"), "transcript": "R"})
    r = agreement(pd.DataFrame(rows), turns, {"R": text}, ["ann", "bob"], unit="char", n_boot=0)
    assert r.disagreements["text"].tolist() == ["один два", "три"]
    assert r.disagreements["unit"].tolist() == [0, len("один два ")]


def test_which_turns_are_units():
    text = "И: Вопрос?\nР: Ответ.\nЖена: Реплика.\n"
    parts = [("interviewer", "Вопрос?"), ("respondent", "Ответ."), ("other", "Реплика.")]
    turns = pd.DataFrame([{"transcript": "W", "turn": i, "speaker": role, "role": role, "start": text.index(t),
                           "end": text.index(t) + len(t), "timestamp": None, "text": t}
                          for i, (role, t) in enumerate(parts)])
    rows = [{**coding("T1", "x", "Работы", who), "transcript": "W", "start": text.index(t), "end": text.index(t) + 2}
            for who in ("ann", "bob") for _, t in parts]
    codings = pd.DataFrame(rows)
    assert row(agreement(codings, turns, {"W": text}, ["ann", "bob"], n_boot=0), "x")["units"] == 1
    every = agreement(codings, turns, {"W": text}, ["ann", "bob"], n_boot=0, include_interviewer=True)
    assert row(every, "x")["units"] == 3
