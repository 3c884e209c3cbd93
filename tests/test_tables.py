"""Coded tables (segments, matrix, typology, codebook) and every file format they are written to.

The project is the bundled sample, auto-coded with codebooks/migration.yaml, plus human
codings with Cyrillic memos and an extra cases table whose attributes clash with column
names (`text`) and have Cyrillic names (`пол`). Every file is read back with its own reader.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from qualcode import Project
from qualcode.codebook import load as load_codebook
from qualcode.exchange import tables
from qualcode.exchange.tables import TableError, legal_names, write

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "codebooks" / "migration.yaml"
MEMO = "Респондентка говорит о работе — «важно»"
FORMULA_MEMO = "=1+1 не формула"


@pytest.fixture(scope="module")
def coded(sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """The sample project, rule-coded, with three human codings and two extra attributes."""
    folder = tmp_path_factory.mktemp("tables")
    path = folder / "sample.qcdb"
    shutil.copy(sample_project_file, path)
    with Project.open(path) as p:
        p.autocode(BOOK)
        extra = folder / "extra_cases.csv"
        extra.write_text("case_id,text,пол\nKZ03,заметка о случае,мужской\nKZ01,note,женский\n", encoding="utf-8")
        assert p.import_files([], attributes=extra).ok
        turns = p.turns("kz03")
        turn = turns[turns.role == "respondent"].iloc[0]
        rows = [
            ["kz03", "push.unemployment", turn.start, turn.start + 30, turn.text[:30], "айгерим", MEMO, "0.75"],
            ["kz03", "gender", turn.start, turn.start + 12, turn.text[:12], "айгерим", FORMULA_MEMO, ""],
            ["kz03", "pull.jobs", turn.start, turn.start + 20, turn.text[:20], "айгерим", "", ""],
        ]
        human = folder / "human.csv"
        with human.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["transcript", "code", "start", "end", "text", "coder", "memo", "confidence"])
            w.writerows(rows)
        assert p.import_codings(human).imported == 3
        codings = p.codings()
        rejected = codings[(codings.origin == "import") & (codings.code == "pull.jobs")].id.iloc[0]
        p.review_coding(int(rejected), "rejected", "айгерим")
        yield p


@pytest.fixture(scope="module")
def seg(coded: Project) -> pd.DataFrame:
    return tables.segments(coded)


@pytest.fixture(scope="module")
def matrix(coded: Project) -> pd.DataFrame:
    return tables.matrix_table(coded, "presence")


# --- builders -----------------------------------------------------------------------------

def test_segments_one_row_per_coding_with_attributes_and_path(coded: Project, seg: pd.DataFrame) -> None:
    codings = coded.codings(status=["accepted", "suggested"])
    assert len(seg) == len(codings) > 1000
    assert list(seg.columns[:2]) == ["transcript", "case"]
    assert list(seg.columns[-len(tables.SEGMENT_COLUMNS):]) == tables.SEGMENT_COLUMNS
    row = seg[seg.memo == MEMO].iloc[0]
    assert (row.case, row.code, row.code_name, row.code_path) == (
        "KZ03", "push.unemployment", "No work at origin", "Push factors > No work at origin")
    assert row.coder == "айгерим" and row.confidence == 0.75 and row.origin == "import"
    assert row.text == coded.transcript_text("kz03")[row.start:row.end]
    # attributes: own names, except the one that clashes with the coding column `text`
    assert row.gender == "male" and row["пол"] == "мужской" and row.attr_text == "заметка о случае"
    assert seg.attrs["labels"]["attr_text"] == "text"
    assert seg[seg.case == "KZ01"].gender.eq("female").all()
    assert seg.start.dtype == np.int64 and seg.confidence.dtype == np.float64


def test_segments_statuses(coded: Project, seg: pd.DataFrame) -> None:
    assert "rejected" not in set(seg.status)
    everything = tables.segments(coded, statuses=None)
    assert len(everything) == len(seg) + 1 and set(everything.status) == {"suggested", "accepted", "rejected"}
    assert set(tables.segments(coded, statuses=("accepted",)).origin) == {"import"}
    with pytest.raises(TableError, match=r"'approved'.*suggested, accepted, rejected"):
        tables.segments(coded, statuses=("approved",))


def test_matrix_table_has_attributes_and_typed_code_columns(coded: Project, matrix: pd.DataFrame) -> None:
    presence = coded.matrix("presence")
    assert list(matrix.case) == list(coded.cases().case) and len(matrix) == 24
    assert set(presence.columns) <= set(matrix.columns)
    # the code `gender` and the attribute `gender` both survive
    assert matrix.set_index("case").loc["KZ01", "attr_gender"] == "female"
    assert matrix.set_index("case").loc["KZ03", "gender"] == 1
    for code in presence.columns:
        assert matrix[code].dtype == np.int64
        assert matrix.set_index("case")[code].to_dict() == presence[code].to_dict()
    book_order = [c for c in coded.codes().code if c in presence.columns]
    assert [c for c in matrix.columns if c in presence.columns] == book_order
    assert matrix.attrs["labels"]["push.unemployment"] == "push.unemployment: No work at origin"
    assert matrix.attrs["value_labels"]["push.unemployment"] == {0: "absent", 1: "present"}
    coverage = tables.matrix_table(coded, "coverage")
    assert coverage["push.unemployment"].dtype == np.float64 and "value_labels" not in coverage.attrs


def test_typology_table_orders_columns_and_joins_clusters(coded: Project) -> None:
    typology = coded.rule_typology(BOOK)
    clusters = pd.Series(range(24), index=typology.cases.case, name="cluster")
    table = tables.typology_table(typology, clusters=clusters)
    assert list(table.columns[:3]) == ["case", "rule_type", "cluster"] and table.columns[-1] == "reason"
    assert len(table) == 24 and table.cluster.dtype == np.int64
    assert tables.typology_table(typology.cases.set_index("case")).case.tolist() == typology.cases.case.tolist()
    with pytest.raises(TableError, match="needs a 'case' column"):
        tables.typology_table(pd.DataFrame({"rule_type": ["a"]}))


def test_codebook_table_from_project_and_from_codebook(coded: Project, seg: pd.DataFrame) -> None:
    table = tables.codebook_table(coded).set_index("code")
    assert table.loc["push", "level"] == 1 and table.loc["push.unemployment", "level"] == 2
    assert table.loc["push.unemployment", "code_path"] == "Push factors > No work at origin"
    assert table.loc["push.unemployment", "color"] == "#e6550d"
    assert table.n_codings.to_dict() == {c: int((seg.code == c).sum()) for c in table.index}
    assert table.loc["gender", "n_cases"] == 1
    from_book = tables.codebook_table(load_codebook(BOOK))
    assert list(from_book.code) == list(table.index)
    assert list(from_book.columns[:7]) == list(tables.codebook_table(coded).columns[:7]) == [
        "code", "parent", "name", "code_path", "level", "description", "color"]
    assert {"include", "exclude", "examples"} <= set(from_book.columns) and "n_codings" not in from_book


# --- formats ------------------------------------------------------------------------------

def test_csv_round_trip_with_and_without_bom(tmp_path: Path, seg: pd.DataFrame) -> None:
    plain = write({"segments": seg}, tmp_path / "seg.csv")
    assert (plain.format, plain.rows, plain.renamed) == ("csv", {"segments": len(seg)}, {})
    assert not (tmp_path / "seg.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    result = write({"segments": seg}, tmp_path / "excel.csv", bom=True)
    raw = (tmp_path / "excel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbftranscript,case,") and result.path == tmp_path / "excel.csv"
    back = pd.read_csv(tmp_path / "excel.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert back.columns.tolist() == seg.columns.tolist()
    assert back.text.tolist() == seg.text.tolist()  # Cyrillic and newlines intact
    # A memo that starts with "=" gets the spreadsheet's text mark "'" (tests/test_safe_exports.py);
    # --raw writes it as it is.
    assert back.memo.dropna().tolist() == [f"'{m}" if m == FORMULA_MEMO else m for m in seg.memo.dropna()]
    assert MEMO in back.memo.tolist()
    write({"segments": seg}, tmp_path / "raw.csv", raw=True)
    back_raw = pd.read_csv(tmp_path / "raw.csv", keep_default_na=False, na_values=[""])
    assert back_raw.memo.dropna().tolist() == seg.memo.dropna().tolist()
    assert back.start.tolist() == seg.start.tolist() and back.start.dtype == np.int64
    assert back.coder.isna().sum() == seg.coder.isna().sum()


def test_csv_refuses_several_tables(tmp_path: Path, seg: pd.DataFrame, matrix: pd.DataFrame) -> None:
    for fmt in ("csv", "parquet", "sav", "dta"):
        with pytest.raises(ValueError, match=f"a {fmt} file holds one table, but 2 were given.*xlsx"):
            write({"segments": seg, "matrix": matrix}, tmp_path / f"both.{fmt}")
        assert not (tmp_path / f"both.{fmt}").exists()


def test_xlsx_one_sheet_per_table(tmp_path: Path, coded: Project, seg: pd.DataFrame) -> None:
    frames = tables.project_tables(coded, codebook=BOOK)
    frames["a very long table name that Excel cannot take [1]"] = frames["codebook"]
    frames["a very long table name that Excel cannot take [2]"] = frames["codebook"]
    result = write(frames, tmp_path / "project.xlsx")
    sheets = list(result.sheets.values())
    assert sheets[:4] == ["segments", "matrix", "typology", "codebook"]
    assert all(len(s) <= 31 and not set("[]:*?/\\") & set(s) for s in sheets)
    assert len(sheets) == len(frames)  # one sheet per table (a memos table too, when there are memos)
    assert len({s.casefold() for s in sheets}) == len(frames)
    back = pd.read_excel(tmp_path / "project.xlsx", sheet_name=None)
    assert list(back) == sheets
    segs = back["segments"]
    assert segs.text.tolist() == seg.text.tolist() and segs.start.dtype == np.int64
    assert FORMULA_MEMO in segs.memo.tolist()  # stays text, never a formula
    assert back["matrix"]["push.unemployment"].tolist() == frames["matrix"]["push.unemployment"].tolist()
    assert back["typology"].rule_type.tolist() == frames["typology"].rule_type.tolist()


def test_parquet_round_trip(tmp_path: Path, coded: Project, seg: pd.DataFrame, matrix: pd.DataFrame) -> None:
    write({"segments": seg}, tmp_path / "seg.parquet")
    back = pd.read_parquet(tmp_path / "seg.parquet")
    pd.testing.assert_frame_equal(back.drop(columns="interview_date"), seg.drop(columns="interview_date"),
                                  check_dtype=False)
    assert back.interview_date.tolist() == [d if pd.notna(d) else None for d in seg.interview_date]
    assert back.start.dtype == np.int64 and back.memo.isna().sum() == seg.memo.isna().sum()
    write(matrix, tmp_path / "matrix.pq")
    assert pd.read_parquet(tmp_path / "matrix.pq")["push.unemployment"].dtype == np.int64
    # a named index (the API's matrix has `case`) becomes a column; row numbers do not
    write(seg[seg.case == "KZ03"], tmp_path / "kz03.parquet")
    assert pd.read_parquet(tmp_path / "kz03.parquet").columns.tolist() == seg.columns.tolist()
    write(coded.matrix("count"), tmp_path / "api.parquet")
    assert pd.read_parquet(tmp_path / "api.parquet").case.tolist() == coded.matrix("count").index.tolist()


def test_sav_names_labels_and_values(tmp_path: Path, seg: pd.DataFrame, matrix: pd.DataFrame) -> None:
    result = write({"matrix": matrix}, tmp_path / "matrix.sav")
    renamed = result.renamed["matrix"]
    assert renamed["push.unemployment"] == "push_unemployment" and "gender" not in renamed
    back, meta = pyreadstat.read_sav(tmp_path / "matrix.sav")
    assert back.columns.tolist() == [renamed.get(c, c) for c in matrix.columns]
    assert "пол" in back.columns  # a Cyrillic name is a legal SPSS name
    labels = meta.column_names_to_labels
    assert labels["push_unemployment"] == "push.unemployment: No work at origin"
    assert labels["attr_gender"] == "gender"
    assert meta.variable_value_labels["push_unemployment"] == {0: "absent", 1: "present"}
    assert meta.original_variable_types["push_unemployment"] == "F1.0"
    column = back["push_unemployment"]
    assert (column == column.round()).all() and column.astype(int).tolist() == matrix["push.unemployment"].tolist()
    assert back["пол"].tolist() == matrix["пол"].fillna("").tolist()

    write(seg, tmp_path / "seg.sav")
    back, meta = pyreadstat.read_sav(tmp_path / "seg.sav")
    assert back.text.tolist() == seg.text.tolist() and back.memo.tolist() == seg.memo.fillna("").tolist()
    assert back.confidence.isna().sum() == seg.confidence.isna().sum()
    assert meta.column_names_to_labels["start"] == "Start offset (Unicode code points)"
    assert meta.original_variable_types["interview_date"].startswith("DATE")
    assert [d if pd.notna(d) else None for d in back.interview_date] == \
        [d if pd.notna(d) else None for d in seg.interview_date]


def test_dta_names_labels_and_values(tmp_path: Path, seg: pd.DataFrame, matrix: pd.DataFrame) -> None:
    result = write({"matrix": matrix}, tmp_path / "matrix.dta")
    renamed = result.renamed["matrix"]
    assert renamed["push.unemployment"] == "push_unemployment" and renamed["case"] == "case_"
    with pd.io.stata.StataReader(tmp_path / "matrix.dta") as reader:
        back = reader.read(convert_categoricals=False)
        labels, values = reader.variable_labels(), reader.value_labels()
    assert back.columns.tolist() == [renamed.get(c, c) for c in matrix.columns]
    assert labels["push_unemployment"] == "push.unemployment: No work at origin"
    assert values["push_unemployment"] == {0: "absent", 1: "present"}
    assert back["push_unemployment"].dtype.kind == "i"
    assert back["push_unemployment"].tolist() == matrix["push.unemployment"].tolist()
    assert back["пол"].tolist() == matrix["пол"].fillna("").tolist()
    assert pd.read_stata(tmp_path / "matrix.dta")["push_unemployment"].iloc[0] in ("absent", "present")

    result = write(seg, tmp_path / "seg.dta")
    assert result.renamed["seg"] == {"case": "case_", "end": "end_"} and not result.warnings
    back = pd.read_stata(tmp_path / "seg.dta")
    assert back.text.tolist() == seg.text.tolist() and back.memo.tolist() == seg.memo.fillna("").tolist()
    assert back.end_.tolist() == seg.end.tolist()
    assert [d.date() if pd.notna(d) else None for d in back.interview_date] == \
        [d if pd.notna(d) else None for d in seg.interview_date]


def test_long_text_categoricals_and_missing_values_in_stata_and_spss(tmp_path: Path) -> None:
    long = "Длинный ответ респондента. " * 200  # 5,400 characters, over 10,000 UTF-8 bytes
    frame = pd.DataFrame({
        "text": [long, "коротко", None],
        "тип": pd.Categorical(["выживание", None, "развитие"]),
        "n": pd.array([1, None, 3], dtype="Int64"),
        "flag": [True, False, True],
    })
    write(frame, tmp_path / "t.dta", labels={"тип": "Тип стратегии"})
    with pd.io.stata.StataReader(tmp_path / "t.dta") as reader:
        back = reader.read(convert_categoricals=False)
        assert reader.variable_labels()["тип"] == "Тип стратегии"
        assert reader.value_labels()["тип"] == {1: "выживание", 2: "развитие"}
    assert back.text.tolist() == [long, "коротко", ""]
    assert back["тип"].tolist()[0] == 1 and np.isnan(back["тип"].tolist()[1])
    assert back.n.tolist()[0] == 1 and np.isnan(back.n.tolist()[1]) and back.flag.tolist() == [1, 0, 1]

    result = write(frame, tmp_path / "t.sav")
    assert result.warnings == ["t: 1 value(s) of 'text' end with spaces, which SPSS drops; csv, xlsx and "
                               "parquet keep them."]
    back, meta = pyreadstat.read_sav(tmp_path / "t.sav")
    assert back.text.tolist() == [long.rstrip(), "коротко", ""]
    assert meta.variable_value_labels["тип"] == {1: "выживание", 2: "развитие"}
    labelled, _ = pyreadstat.read_sav(tmp_path / "t.sav", apply_value_formats=True)
    assert labelled["тип"].tolist()[::2] == ["выживание", "развитие"]


def test_empty_segments_write_in_every_format(tmp_path: Path, data: Path) -> None:
    with Project.create(tmp_path / "empty.qcdb") as p:
        assert p.import_files([data / "cp1251_ru.txt"]).ok
        empty = tables.segments(p)
    assert len(empty) == 0
    for fmt in ("csv", "xlsx", "parquet", "sav", "dta"):
        result = write({"segments": empty}, tmp_path / f"empty.{fmt}")
        assert result.rows == {"segments": 0}
    assert pd.read_csv(tmp_path / "empty.csv").columns.tolist() == empty.columns.tolist()
    assert len(pyreadstat.read_sav(tmp_path / "empty.sav")[0]) == 0
    assert len(pd.read_stata(tmp_path / "empty.dta")) == 0


# --- names and errors ---------------------------------------------------------------------

def test_legal_names_are_unique_short_and_keep_legal_ones() -> None:
    columns = ["push.unemployment", "push_unemployment", "1st", "TO", "case", "Gender", "gender", "a" * 70,
               "a" * 70 + "b", "ж" * 40, "", "str12"]
    sav = legal_names(columns, "sav")
    assert sav[:7] == ["push_unemployment_2", "push_unemployment", "v1st", "TO_", "case", "Gender", "gender_2"]
    assert all(len(n.encode()) <= 64 and n[0].isalpha() for n in sav)
    assert len({n.casefold() for n in sav}) == len(sav)
    dta = legal_names(columns, "dta")
    assert dta[3:5] == ["TO", "case_"] and dta[-1] == "str12_"
    assert all(len(n) <= 32 for n in dta) and len({n.casefold() for n in dta}) == len(dta)


def test_bad_paths_and_formats(tmp_path: Path, seg: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"unknown table format '\.txt'.*csv, xlsx, parquet, sav, dta"):
        write({"s": seg}, tmp_path / "seg.txt")
    with pytest.raises(ValueError, match="unknown table format 'json'"):
        write({"s": seg}, tmp_path / "seg.csv", fmt="json")
    assert write({"s": seg}, tmp_path / "seg.out", fmt="csv").format == "csv"
    with pytest.raises(TableError, match=r"folder .* does not exist"):
        write({"s": seg}, tmp_path / "missing" / "seg.csv")
    with pytest.raises(TableError, match="it is a folder"):
        write({"s": seg}, tmp_path)
    with pytest.raises(TableError, match="no tables to write"):
        write({}, tmp_path / "none.xlsx")


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, seg: pd.DataFrame) -> None:
    target = tmp_path / "seg.csv"
    target.write_text("old", encoding="utf-8")
    twice = pd.concat([seg[["case", "code"]], seg[["code"]]], axis=1)
    with pytest.raises(TableError, match="'code' more than once"):
        write(twice, target)
    assert target.read_text(encoding="utf-8") == "old" and sorted(tmp_path.iterdir()) == [target]
