"""Memos (issue 15.2) on real SQLite projects: the Project API for every kind of target, bad
targets, delete and restore; the md/csv/docx files read back; the QDPX (XSD-valid, Notes
with dates and files, NoteRefs) and the xlsx export; and qualcode -> QDPX -> qualcode."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from lxml import etree

from qualcode import Project
from qualcode.cli import cli
from qualcode.errors import QualcodeError
from qualcode.exchange import memo_files, refi, tables

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "interviews"
SCHEMA = ROOT / "tests" / "data" / "refi" / "schemas" / "Project-mrt2019.xsd"
P = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two interviews with their cases, the shipped codebook's codes, and one hand coding."""
    path = tmp_path_factory.mktemp("memos") / "base.qcdb"
    with Project.create(path) as p:
        assert p.import_files([INTERVIEWS / "kz01.txt", INTERVIEWS / "kz03.txt", INTERVIEWS / "cases.csv"]).ok
        p.load_codes(ROOT / "codebooks" / "migration.yaml")
        p.add_coding("kz01", "push.unemployment", 0, 30, coder="aigerim", memo="inline: the first words")
    return path


@pytest.fixture
def project(base: Path, tmp_path: Path):
    path = tmp_path / "p.qcdb"
    path.write_bytes(base.read_bytes())
    with Project.open(path) as p:
        yield p


def coding_id(p: Project) -> int:
    return int(p.codings()["id"].iloc[0])


def all_kinds(p: Project) -> dict[str, int]:
    """One memo of each kind; Cyrillic and a formula-like start on purpose."""
    return {
        "project": p.add_memo("project", None, "Research plan:\nask about housing first.", author="aigerim",
                              title="Plan"),
        "transcript": p.add_memo("transcript", "kz01", "Жильё — главная тема интервью.", author="Даниияр"),
        "case": p.add_memo("case", "KZ03", "=HYPERLINK(\"x\") is how he wrote it", author="aigerim"),
        "code": p.add_memo("code", "push.unemployment", "Keep apart from low income.", author="dana",
                           title="Boundary"),
        "coding": p.add_memo("coding", coding_id(p), "Why this fits: he says it twice.", author="dana"),
    }


def test_add_edit_delete_restore_and_list_each_kind(project: Project) -> None:
    ids = all_kinds(project)
    listed = project.memos(inline=False).set_index("id")
    assert sorted(listed.index) == sorted(ids.values())
    assert {k: listed.loc[i, "target_type"] for k, i in ids.items()} == {k: k for k in ids}
    assert listed.loc[ids["transcript"], "target"] == "kz01"
    assert listed.loc[ids["case"], "target"] == "KZ03"
    assert listed.loc[ids["code"], "target"] == "push.unemployment"
    assert listed.loc[ids["coding"], "target"] == "kz01 0-30 push.unemployment"
    assert listed.loc[ids["coding"], "transcript"] == "kz01"  # what the page links to
    assert pd.isna(listed.loc[ids["project"], "target"])
    for kind, memo_id in ids.items():
        before = project.edit_memo(memo_id, text=f"{kind}: changed", title="")
        assert before["id"] == memo_id and before["text"] != f"{kind}: changed"
        row = project.memos(kind, inline=False).set_index("id").loc[memo_id]
        assert row["text"] == f"{kind}: changed" and pd.isna(row["title"])
        project.delete_memo(memo_id)
        assert memo_id not in set(project.memos()["id"].dropna())
        assert memo_id in set(project.memos(deleted=True)["id"])
        project.restore_memo(memo_id)
        assert project.memos(kind, inline=False).set_index("id").loc[memo_id, "text"] == f"{kind}: changed"
    # The coding's inline memo is listed with the others, marked as kept on the coding.
    inline = project.memos("coding").query("stored_in == 'coding'")
    assert inline["text"].tolist() == ["inline: the first words"] and inline["id"].isna().all()


def test_filters_target_author_and_words(project: Project) -> None:
    ids = all_kinds(project)
    assert project.memos("transcript", "kz01")["id"].tolist() == [ids["transcript"]]
    assert project.memos("code", "push.unemployment")["id"].tolist() == [ids["code"]]
    assert project.memos("coding", coding_id(project), inline=False)["id"].tolist() == [ids["coding"]]
    assert sorted(project.memos(author="AIGERIM", inline=False)["id"]) == sorted([ids["project"], ids["case"]])
    assert project.memos(author="aigerim")["stored_in"].tolist() == ["memos", "memos", "coding"]  # her coding's memo
    assert project.memos(search="жильё")["id"].tolist() == [ids["transcript"]]  # case-blind in Cyrillic too
    assert project.memos(search="boundary")["id"].tolist() == [ids["code"]]  # the title counts
    assert project.memos(author="dana", search="twice")["id"].tolist() == [ids["coding"]]
    assert project.memos(search="nowhere").empty


@pytest.mark.parametrize(("kind", "target", "code", "named"), [
    ("transcript", "kz99", "E411", "kz01, kz03"),
    ("case", "KZ77", "E412", "KZ01, KZ03"),
    ("code", "push.nothing", "E413", "push.unemployment"),
    ("coding", 9999, "E414", "9999"),
    ("coding", "first", "E414", "first"),
    ("project", "kz01", "E415", "kz01"),
    ("tape", "kz01", "E410", "transcript, case, code, coding"),
    ("case", None, "E416", "the case's name"),
])
def test_bad_targets_are_named_and_nothing_is_stored(project: Project, kind: str, target, code: str,
                                                     named: str) -> None:
    with pytest.raises(QualcodeError) as caught:
        project.add_memo(kind, target, "text")
    assert caught.value.code == code and named in str(caught.value)
    assert project.memos(inline=False).empty


def test_empty_text_unknown_and_deleted_memos(project: Project) -> None:
    with pytest.raises(QualcodeError, match=r"\[E417\]"):
        project.add_memo("project", None, "  \n")
    memo_id = project.add_memo("project", None, "kept")
    with pytest.raises(QualcodeError, match=r"\[E417\]"):
        project.edit_memo(memo_id, text="")
    with pytest.raises(QualcodeError, match=rf"\[E418\] No memo with id 404\. Memo ids: {memo_id}\."):
        project.delete_memo(404)
    project.delete_memo(memo_id)
    with pytest.raises(QualcodeError, match=rf"\[E419\] Memo {memo_id} was deleted .*qualcode memo restore"):
        project.edit_memo(memo_id, text="new")
    assert project.memos(deleted=True)["text"].tolist() == ["kept"]  # nothing lost


def test_memo_changes_are_in_the_audit_log(project: Project) -> None:
    memo_id = project.add_memo("transcript", "kz01", "First thought.", author="aigerim")
    project.edit_memo(memo_id, text="Second thought.", actor="dana")
    project.delete_memo(memo_id, actor="marat")
    project.restore_memo(memo_id, actor="aigerim")
    log = project.audit(action="memo").iloc[::-1]  # oldest first
    assert log[["actor", "action", "target"]].values.tolist() == [
        ["aigerim", "memo.add", str(memo_id)], ["dana", "memo.edit", str(memo_id)],
        ["marat", "memo.delete", str(memo_id)], ["aigerim", "memo.restore", str(memo_id)]]
    assert "First thought." in log["detail"].iloc[1]  # the text before the edit can be found again


def test_memo_files_read_back(project: Project, tmp_path: Path) -> None:
    from docx import Document

    all_kinds(project)
    frame = project.memos()
    md = memo_files.write(frame, tmp_path / "m.md", title="Memos of p").read_text(encoding="utf-8")
    assert md.startswith("# Memos of p\n\n## Project — Plan\n") and "## Transcript kz01\n" in md
    assert "Жильё — главная тема" in md and "nan" not in md
    assert "## Code push.unemployment — Boundary" in md and "*by dana, written " in md
    back = pd.read_csv(memo_files.write(frame, tmp_path / "m.csv"), keep_default_na=False)
    assert back["text"].tolist()[:2] == ["Research plan:\nask about housing first.", "Жильё — главная тема интервью."]
    assert back.loc[back["target_type"] == "case", "text"].item().startswith("'=HYPERLINK")  # not a formula
    assert len(back) == len(frame) == 6  # five memos and the coding's inline one
    doc = Document(str(memo_files.write(frame, tmp_path / "m.docx")))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[:3] == ["Project — Plan", "Transcript kz01", "Case KZ03"]
    texts = [p.text for p in doc.paragraphs]
    assert "Жильё — главная тема интервью." in texts and "Why this fits: he says it twice." in texts
    with pytest.raises(QualcodeError, match=r"\[E420\].*'\.pdf'.*md, csv, docx"):
        memo_files.write(frame, tmp_path / "m.pdf")
    assert not (tmp_path / "m.pdf").exists()


def test_cli_memos_and_memo(project: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    location = project.location
    added = runner.invoke(cli, ["memo", "add", location, "--target", "transcript:kz03", "--text", "Debt, again.",
                                "--author", "dana", "--title", "Debt"])
    assert added.exit_code == 0, added.output
    memo_id = int(added.output.split()[1])
    assert runner.invoke(cli, ["memo", "edit", location, str(memo_id), "--text", "Debt, and work."]).exit_code == 0
    shown = runner.invoke(cli, ["memos", location, "--target", "transcript:kz03", "--author", "DANA"])
    assert shown.exit_code == 0 and "Debt, and work." in shown.output
    out = tmp_path / "m.csv"
    assert runner.invoke(cli, ["memos", location, "--search", "work", "--out", str(out)]).exit_code == 0
    assert pd.read_csv(out)["id"].tolist() == [memo_id]
    deleted = runner.invoke(cli, ["memo", "delete", location, str(memo_id)])
    assert deleted.exit_code == 0 and f"qualcode memo restore {location} {memo_id}" in deleted.output
    assert runner.invoke(cli, ["memos", location, "--target", "transcript"]).output == "No memos match.\n"
    assert runner.invoke(cli, ["memo", "restore", location, str(memo_id)]).exit_code == 0
    assert "Debt, and work." in runner.invoke(cli, ["memos", location]).output
    bad = runner.invoke(cli, ["memo", "add", location, "--target", "kz01", "--text", "x"])
    assert bad.exit_code == 1 and "[E422]" in bad.output and "transcript:NAME" in bad.output
    bad = runner.invoke(cli, ["memo", "add", location, "--target", "case:nobody", "--text", "x"])
    assert bad.exit_code == 1 and "[E412]" in bad.output and "KZ01, KZ03" in bad.output


def test_qdpx_and_xlsx_carry_the_memos_and_the_round_trip_keeps_them(project: Project, tmp_path: Path) -> None:
    ids = all_kinds(project)
    second = project.add_memo("coding", coding_id(project), "A second thought on the same words.", author="aigerim")
    gone = project.add_memo("transcript", "kz03", "deleted: must not travel")
    project.delete_memo(gone)
    out = tmp_path / "p.qdpx"
    refi.export_qdpx(project, out)
    with zipfile.ZipFile(out) as zf:
        root = etree.fromstring(zf.read("project.qde"))
        members = set(zf.namelist())
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(root), schema.error_log
    notes = {n.get("guid"): n for n in root.xpath("//q:Notes/q:Note", namespaces=P)}
    texts = {n.xpath("string(q:PlainTextContent)", namespaces=P): g for g, n in notes.items()}
    assert "deleted: must not travel" not in texts
    for memo_text in ("Жильё — главная тема интервью.", "Why this fits: he says it twice.",
                      "A second thought on the same words.", "Keep apart from low income."):
        note = notes[texts[memo_text]]
        assert note.get("creationDateTime") and note.get("creatingUser")
        assert note.get("plainTextPath") == f"internal://{note.get('guid')}.txt"
        assert f"sources/{note.get('guid')}.txt" in members
    refs = {r.getparent().tag.split("}")[1] + ":" + r.get("targetGUID")
            for r in root.xpath("//q:NoteRef", namespaces=P)}
    assert f"TextSource:{texts['Жильё — главная тема интервью.']}" in refs
    assert f"Code:{texts['Keep apart from low income.']}" in refs
    assert f"Coding:{texts['Why this fits: he says it twice.']}" in refs
    assert f"Coding:{texts['A second thought on the same words.']}" in refs  # both memos of one coding
    # A case may hold no NoteRef: its memo is also its Description, where other tools read it.
    case = root.xpath("//q:Case[@name='KZ03']", namespaces=P)[0]
    assert case.xpath("string(q:Description)", namespaces=P) == '=HYPERLINK("x") is how he wrote it'
    plan = texts["Research plan:\nask about housing first."]
    assert f"Project:{plan}" in refs

    xlsx = tmp_path / "p.xlsx"
    tables.write(tables.tables_for(project, "project", fmt="xlsx"), xlsx)
    assert list(pd.read_excel(xlsx, sheet_name=None)) == ["segments", "matrix", "codebook", "memos"]
    assert list(tables.project_tables(project))[-1] == "memos"
    sheet = pd.read_excel(xlsx, sheet_name="memos")
    assert sorted(sheet["id"].dropna().astype(int)) == sorted([*ids.values(), second])
    assert "Жильё — главная тема интервью." in set(sheet["text"]) and "inline: the first words" in set(sheet["text"])

    def seen(p: Project) -> pd.DataFrame:
        return (p.memos()[["target_type", "target", "title", "text", "author", "stored_in"]]
                .sort_values(["target_type", "text"]).reset_index(drop=True))

    before = seen(project)
    with Project.create(tmp_path / "back.qcdb") as back:
        result = refi.import_qdpx(back, out)
        assert result.warnings == []
        pd.testing.assert_frame_equal(seen(back), before)


def test_memos_on_both_stores(db_project: Project) -> None:
    """The same API on SQLite and PostgreSQL: add, list with filters, delete, restore, edit."""
    p = db_project
    p.add_code("push.housing", name="Housing")
    plan = p.add_memo("project", None, "План: сначала о жилье.", author="aigerim", title="Plan")
    code = p.add_memo("code", "push.housing", "Only housing that pushes people out.", author="dana")
    assert p.memos("code", "push.housing")["id"].tolist() == [code]
    assert p.memos(search="ЖИЛЬЕ")["id"].tolist() == [plan]
    p.delete_memo(code)
    assert p.memos(deleted=True)["id"].tolist() == [code] and p.memos()["id"].tolist() == [plan]
    p.restore_memo(code)
    p.edit_memo(code, title="Scope")
    by_dana = p.memos(author="DANA")[["title", "text"]].values.tolist()
    assert by_dana == [["Scope", "Only housing that pushes people out."]]
