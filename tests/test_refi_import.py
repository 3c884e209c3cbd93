"""REFI-QDA import: real exchange files from other tools (ATLAS.ti, NVivo, QualCoder, MAXQDA-style
codebooks), positions counted in code points or UTF-16 units over BOMs and CRLF, and foreign files
built here, whose GUIDs survive a re-export. The real files: see tests/refi_support.py.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from qualcode import Project
from qualcode.exchange import refi
from qualcode.exchange.refi_text import SourceText
from qualcode.store.schema import memos
from tests.refi_support import (
    FOREIGN,
    NOT_VENDORED,
    NS,
    ROOT,
    SHARED_SAMPLES,
    VENDORED,
    P,
    assert_valid,
    load_schema,
    make_qdpx,
    qde_of,
    sample,
)


@pytest.fixture(scope="module")
def project_schema() -> etree.XMLSchema:
    return load_schema("Project-mrt2019.xsd")


@pytest.fixture(scope="module")
def codebook_schema() -> etree.XMLSchema:
    return load_schema("Codebook.xsd")


# --- real files from other tools -------------------------------------------------------------

# Verified independently: counted with XPath in lxml (see test_sample_counts_agree_with_xpath)
# and by reading the files; sources/codings count only text sources whose text file is in the
# archive and not empty.
SAMPLE_PROJECTS = {
    # file: (codes, sources imported, codings, coders, skipped sources, memos)
    "atlasti23_blank-atlas-project.qdpx": (0, 0, 0, 2, 0, 0),
    "atlasti23_target-atlas-project.qdpx": (3, 0, 0, 2, 0, 0),
    "atlasti84_refi_standard_project.qde": (14, 0, 0, 3, 12, 2),
    "nvivo12win_oltas0517.qdpx": (152, 2, 303, 2, 0, 0),
    "nvivo15mac_nvivo_project.qdpx": (262, 0, 0, 2, 2, 0),
    "qc132_demo.qdpx": (262, 2, 205, 1, 0, 0),
}
SAMPLE_CODEBOOKS = {  # file: (codes, a warning that must be given, or None)
    "atlasti9_codebook_ns0-4.qdc": (5, "urn:QDA-XML:codebook:0:4"),
    "portableqda_codebook_valid.qdc": (2, None),
    "portableqda_doorstop_invalid-attr.qdc": (8, "non-standard attribute 'description'"),
    "refi15-spec-example_plus-empty-sets.qdc": (6, "empty <Sets/>"),
}


def test_every_sample_file_is_covered() -> None:
    vendored = {f.name for folder in VENDORED for f in folder.iterdir() if f.suffix in (".qdpx", ".qde", ".qdc")}
    assert vendored | NOT_VENDORED == set(SAMPLE_PROJECTS) | set(SAMPLE_CODEBOOKS)
    assert not vendored & NOT_VENDORED
    for name in vendored:  # byte for byte what ../shared holds, where that is at hand
        if (SHARED_SAMPLES / name).is_file():
            assert sample(name).read_bytes() == (SHARED_SAMPLES / name).read_bytes()
    if SHARED_SAMPLES.is_dir():
        found = {f.name for f in SHARED_SAMPLES.iterdir() if f.suffix in (".qdpx", ".qde", ".qdc")}
        assert found == set(SAMPLE_PROJECTS) | set(SAMPLE_CODEBOOKS)


def xpath_counts(path: Path) -> tuple[int, int, int]:
    """(codes, text sources with text, codings on them), counted straight from the XML."""
    if path.suffix == ".qdpx":
        with zipfile.ZipFile(path) as zf:
            root = etree.fromstring(zf.read("project.qde"))
            files = {n.lower(): zf.read(n) for n in zf.namelist()}
    else:
        root, files = etree.parse(str(path)).getroot(), {}
    with_text = [t for t in root.xpath("/q:Project/q:Sources/q:TextSource", namespaces=NS)
                 if files.get("sources/" + t.get("plainTextPath", "").replace("internal://", "").lower(), b"").strip()]
    codings_count = sum(int(t.xpath("count(q:PlainTextSelection/q:Coding)", namespaces=NS)) for t in with_text)
    return int(root.xpath("count(//q:CodeBook//q:Code)", namespaces=NS)), len(with_text), codings_count


@pytest.mark.parametrize("name", sorted(SAMPLE_PROJECTS))
def test_sample_counts_agree_with_xpath(name: str) -> None:
    codes_n, sources_n, codings_n, *_ = SAMPLE_PROJECTS[name]
    assert xpath_counts(sample(name)) == (codes_n, sources_n, codings_n)


@pytest.mark.parametrize("name", sorted(SAMPLE_PROJECTS))
def test_import_sample_project(name: str, tmp_path: Path) -> None:
    codes_n, sources_n, codings_n, coders_n, skipped_n, memos_n = SAMPLE_PROJECTS[name]
    with Project.create(tmp_path / "p.qcdb") as p:
        result = refi.import_qdpx(p, sample(name))
        assert (result.codes, result.sources, result.codings, result.coders, result.memos) == (
            codes_n, sources_n, codings_n, coders_n, memos_n)
        assert len([s for s in result.skipped if s.kind == "source"]) == skipped_n
        assert (len(p.codes()), len(p.transcripts()), len(p.codings())) == (codes_n, sources_n, codings_n)
        assert all(c["text"] == p.transcript_text(c["transcript"])[c["start"]:c["end"]]
                   for c in p.codings().to_dict("records"))
        assert set(p.codings()["origin"]) <= {"import"}
        log = p.import_log()
        assert list(log["file"]) == [str(sample(name))]


def test_atlas_standard_project_reports_every_skipped_source(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.qcdb") as p:
        result = refi.import_qdpx(p, sample("atlasti84_refi_standard_project.qde"))
        memo_titles = {r.title for r in p.engine.connect().execute(select(memos.c.title))}
    reasons = {s.name: s.reason for s in result.skipped}
    assert "missing from the archive" in reasons["Mabel.txt"]
    assert "PDF" in reasons["Kellogg's Passion for Nutrition.pdf"]
    assert "picture" in reasons["cornflakes-n-milk.jpg"]
    assert "audio" in reasons["Jeanine's Breakfast.m4a"]
    assert "video" in reasons["1960s Coca Cola commercial.mp4"]
    assert memo_titles == {"Research Plan", "My favorite Coke ad"}
    assert any("16 set(s)" in w for w in result.warnings)


def test_nvivo_utf16_positions_are_converted(tmp_path: Path) -> None:
    """NVivo counts UTF-16 units over CRLF text; each coding must hold the words NVivo selected."""
    path = sample("nvivo12win_oltas0517.qdpx")
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("project.qde"))
        expected = []
        for source in root.iterfind("q:Sources/q:TextSource", NS):
            member = "Sources/" + source.get("plainTextPath").replace("internal://", "")
            units = zf.read(member).decode("utf-8").removeprefix("\ufeff").encode("utf-16-le")
            for sel in source.iterfind("q:PlainTextSelection", NS):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                words = units[2 * start:2 * end].decode("utf-16-le").replace("\r\n", "\n")
                expected.append(unicodedata.normalize("NFC", words))
    with Project.create(tmp_path / "p.qcdb") as p:
        result = refi.import_qdpx(p, path)
        got = sorted(p.codings()["text"])
    assert any("UTF-16" in w for w in result.warnings)
    assert got == sorted(expected)


def test_qc_positions_are_characters_of_the_source_file(tmp_path: Path) -> None:
    path = sample("qc132_demo.qdpx")
    with zipfile.ZipFile(path) as zf:
        board = zf.read("sources/board_2017.txt").decode("utf-8")
    with Project.create(tmp_path / "p.qcdb") as p:
        refi.import_qdpx(p, path)
        rows = p.codings(["board_2017"]).to_dict("records")
    assert len(rows) == 205
    assert all(r["text"] == board[r["start"]:r["end"]] and r["coder"] == "cp" for r in rows)


@pytest.mark.parametrize("name", sorted(SAMPLE_CODEBOOKS))
def test_import_sample_codebook(name: str, tmp_path: Path) -> None:
    n, warning = SAMPLE_CODEBOOKS[name]
    root = etree.parse(str(sample(name))).getroot()
    assert int(root.xpath("count(//*[local-name()='Code'])")) == n
    result = refi.import_qdc(sample(name))
    assert len(result.codes) == n
    assert len({c.id for c in result.codes}) == n
    assert all(refi_code_id_ok(c.id) for c in result.codes)
    if warning:
        assert any(warning in w for w in result.warnings), result.warnings
    with Project.create(tmp_path / "p.qcdb") as p:
        refi.import_qdc(sample(name), p)
        assert len(p.codes()) == n


def refi_code_id_ok(code_id: str) -> bool:
    from qualcode.codebook import CODE_ID

    return bool(CODE_ID.match(code_id)) and "-" not in code_id


def test_a_codebooks_guids_come_back_as_the_file_spelled_them(tmp_path: Path) -> None:
    """Codes taken from another tool's codebook (here the REFI 1.5 example, GUIDs with and
    without braces) keep their GUIDs in every export, and that codebook maps back onto them."""
    path = sample("refi15-spec-example_plus-empty-sets.qdc")
    given = {c.get("name"): c.get("guid") for c in etree.parse(str(path)).iter("{*}Code")}
    assert any(g.startswith("{") for g in given.values()) and any(not g.startswith("{") for g in given.values())
    with Project.create(tmp_path / "p.qcdb") as p:
        refi.import_qdc(path, p)
        refi.export_qdc(p, tmp_path / "again.qdc")
        refi.export_qdpx(p, tmp_path / "again.qdpx")
        again = refi.import_qdc(path, p)
        assert again.created == [] and len(again.existing) == len(given)
    back = {c.get("name"): c.get("guid") for c in etree.parse(str(tmp_path / "again.qdc")).iter("{*}Code")}
    assert back == given
    assert {c.get("name"): c.get("guid") for c in qde_of(tmp_path / "again.qdpx").iter(f"{{{P}}}Code")} == given


def test_codebook_ids_follow_names_and_hierarchy() -> None:
    codes_ = {c.name: c for c in refi.import_qdc(sample("atlasti9_codebook_ns0-4.qdc")).codes}
    assert codes_["code1.1"].id == "code1.code1_1" and codes_["code1.1"].parent == "code1"
    assert codes_["code:3.1"].id == "code3.code_3_1"
    spec = {c.name: c for c in refi.import_qdc(sample("refi15-spec-example_plus-empty-sets.qdc")).codes}
    assert spec["Economy"].guid == "d7aa29da-519b-4946-9b90-253b6db8fd0a"  # braces dropped, lower case
    assert spec["Economy"].color == "#ffff00" and spec["Topics"].codable is False
    doorstop = refi.import_qdc(sample("portableqda_doorstop_invalid-attr.qdc")).codes
    assert doorstop[0].description == "Hello, world!"

def test_codebook_xsd_rejects_what_import_tolerates(codebook_schema: etree.XMLSchema) -> None:
    """The lenient import is needed: these real codebooks do not validate."""
    for name in ("atlasti9_codebook_ns0-4.qdc", "portableqda_doorstop_invalid-attr.qdc",
                 "refi15-spec-example_plus-empty-sets.qdc"):
        assert not codebook_schema.validate(etree.parse(str(sample(name))))

# --- positions --------------------------------------------------------------------------------

def test_positions_through_bom_crlf_and_nfc() -> None:
    raw = "\ufeffLine one\r\nCafe\u0301 au lait\r\nend"
    source = SourceText(raw)
    assert source.text == "Line one\nCafé au lait\nend"
    stripped = raw[1:]
    start = stripped.index("Cafe")
    end = stripped.index(" au lait") + len(" au lait")
    mapped = source.map(start, end)
    assert source.text[mapped[0]:mapped[1]] == "Café au lait"
    assert source.map(stripped.index("end"), len(stripped)) == (len(source.text) - 3, len(source.text))
    assert source.map(0, len(stripped) + 1) is None


def test_utf16_counting_is_detected() -> None:
    raw = "I 👍 it.\r\nWe moved north.\r\nThe end."
    units = raw.encode("utf-16-le")
    words = ["moved north", "The end"]
    spans = [(units.index(w.encode("utf-16-le")) // 2, units.index(w.encode("utf-16-le")) // 2 + len(w))
             for w in words]
    source = SourceText(raw)
    assert source.choose(spans) == ("u16", "raw")
    assert [source.text[slice(*source.map(*s))] for s in spans] == words
    standard = SourceText(raw)
    cp = [(raw.index(w), raw.index(w) + len(w)) for w in words]
    assert standard.choose(cp) == ("cp", "raw")
    assert [standard.text[slice(*standard.map(*s))] for s in cp] == words

# --- foreign files built here -----------------------------------------------------------------

def test_foreign_project_with_bom_crlf_and_missing_files(tmp_path: Path) -> None:
    text = "\ufeffInterviewer: Why did you leave?\r\nRespondent: There was no work in the village.\r\n"
    body = text[1:]
    start = body.index("no work")
    qde = FOREIGN.replace("{start}", str(start)).replace("{end}", str(start + len("no work")))
    path = make_qdpx(tmp_path / "f.qdpx", qde, {
        "Sources/66666666-6666-6666-6666-666666666666.txt": text.encode("utf-8")})
    with Project.create(tmp_path / "p.qcdb") as p:
        result = refi.import_qdpx(p, path)
        rows = p.codings().to_dict("records")
        assert p.transcripts()["transcript"].tolist() == ["interview 1"]
        assert p.cases().to_dict("records") == [{"case": "P1", "age": 41}]
        assert p.attribute_types() == {"age": "number"}
        assert [(c.code, c.parent if isinstance(c.parent, str) else None) for c in p.codes().itertuples()] == [
            ("work", None), ("work.no_work", "work")]
        assert p.turns()["role"].tolist() == ["interviewer", "respondent"]
    assert [(r["code"], r["text"], r["coder"], r["origin"], r["status"], r["memo"]) for r in rows] == [
        ("work.no_work", "no work", "Ana", "import", "accepted", "Ana's comment")]
    reasons = {(s.kind, s.name): s.reason for s in result.skipped}
    assert "missing from the archive" in reasons[("source", "gone")]
    assert "outside the archive" in reasons[("source", "outside")]
    assert "PDF" in reasons[("source", "scan.pdf")]
    assert "outside the text" in reasons[("selection", "interview 1 5-99999")]
    assert result.codings == 1 and result.sources == 1


QUALCODER_STYLE = ROOT / "tests" / "data" / "refi" / "qualcoder_style"


def zip_folder(folder: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file() and file.name != "README.md":
                zf.write(file, file.relative_to(folder).as_posix())
    return path


def test_qualcoder_style_project_imports_without_doubling(tmp_path: Path, project_schema: etree.XMLSchema) -> None:
    """A QDPX written as QualCoder writes it (see tests/data/refi/qualcoder_style/README.md):
    cases named differently from their sources and without <SourceRef>, FloatValue ages, dates
    as text, a byte-order mark in every source file."""
    path = zip_folder(QUALCODER_STYLE, tmp_path / "qualcoder.qdpx")
    texts = {name: (QUALCODER_STYLE / "sources" / f"{guid}.txt").read_text(encoding="utf-8-sig")
             for name, guid in (("kz01", "2c1f0e2a-9d4b-4c61-8f0e-6b7a1d2e3f41"),
                                ("kz02", "7e9a4b10-55c2-4d8e-a1f3-0c9b8d7e6a52"))}
    with Project.create(tmp_path / "p.qcdb") as p:
        result = refi.import_qdpx(p, path)
        cases_ = p.cases()
        transcripts_ = p.transcripts()
        rows = p.codings().to_dict("records")
        types = p.attribute_types()
        imported_texts = {n: p.transcript_text(n) for n in texts}
        with p.engine.connect() as conn:
            memo_rows = {(r.target_type, r.title, r.text) for r in conn.execute(select(memos))}
        refi.export_qdpx(p, tmp_path / "again.qdpx")
    assert sorted(cases_["case"]) == ["KZ01", "KZ02"]  # not also kz01 and kz02
    assert dict(zip(transcripts_["transcript"], transcripts_["case"], strict=True)) == {"kz01": "KZ01",
                                                                                      "kz02": "KZ02"}
    assert cases_.set_index("case")["age"].to_dict() == {"KZ01": 29, "KZ02": 35}
    assert types["age"] == "number" and types["interview_date"] == "date"
    assert cases_.set_index("case").loc["KZ01", "interview_date"] == dt.date(2024, 3, 12)
    assert all((QUALCODER_STYLE / "sources").glob("*.txt"))
    assert all(f.read_bytes().startswith(b"\xef\xbb\xbf") for f in (QUALCODER_STYLE / "sources").glob("*.txt"))
    assert all(not p_text.startswith("\ufeff") for p_text in imported_texts.values())
    got = sorted((r["transcript"], r["code"], r["text"], r["coder"],
                  r["memo"] if isinstance(r["memo"], str) else None) for r in rows)
    assert got == [
        ("kz01", "push_factors.unemployment", "no work in Zhanaozen", "aigerim", "She says this twice."),
        ("kz01", "push_factors.unemployment", "the café in the village closed", "aigerim", None),
        ("kz02", "pull_factors.family_ties", "my cousin had a flat in Astana", "aigerim", None),
        ("kz02", "push_factors.low_wages", "Wages were too low", "aigerim", None),
    ]
    assert all(r["text"] == texts[r["transcript"]][r["start"]:r["end"]] for r in rows)
    journal = "Journal: the Zhanaozen interviews need a second coder.\nCheck ages against the consent forms."
    assert ("project", "Fieldwork journal", journal) in memo_rows
    assert ("case", None, "Oil town, left in 2019.") in memo_rows
    assert ("transcript", None, "Recorded in Almaty.") in memo_rows
    assert ("transcript", None, "Her mother's view, not hers.") in memo_rows  # an annotation on kz01
    assert ("project", "Project description", "Pilot of the Kazakhstan internal migration study.") in memo_rows
    assert result.skipped == []
    assert result.memos == len(memo_rows) == 5  # the summary counts the project description too
    # Exported again: integers as integers, dates as dates, valid.
    root = qde_of(tmp_path / "again.qdpx")
    assert_valid(project_schema, root)
    kinds = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert kinds == {"age": "Integer", "gender": "Text", "interview_date": "Date"}
    case = root.find("q:Cases/q:Case[@name='KZ01']", NS)
    assert case.findtext("q:VariableValue/q:IntegerValue", namespaces=NS) == "29"
    assert case.findtext("q:VariableValue/q:DateValue", namespaces=NS) == "2024-03-12"
    assert len(root.findall("q:Cases/q:Case", NS)) == 2


def test_docx_only_source_is_read_with_the_docx_reader(tmp_path: Path) -> None:
    docx = (ROOT / "interviews" / "kz02.docx").read_bytes()
    qde = f"""<Project xmlns="{P}" name="d"><CodeBook><Codes>
      <Code guid="22222222-2222-2222-2222-222222222222" name="Work" isCodable="true"/></Codes></CodeBook>
      <Sources><TextSource guid="66666666-6666-6666-6666-666666666666" name="kz02.docx"
                           richTextPath="internal://66666666-6666-6666-6666-666666666666.docx">
        <PlainTextSelection guid="77777777-7777-7777-7777-777777777777" startPosition="10" endPosition="20">
          <Coding guid="88888888-8888-8888-8888-888888888888">
            <CodeRef targetGUID="22222222-2222-2222-2222-222222222222"/></Coding>
        </PlainTextSelection></TextSource></Sources></Project>"""
    path = make_qdpx(tmp_path / "d.qdpx", qde, {"Sources/66666666-6666-6666-6666-666666666666.docx": docx})
    with Project.create(tmp_path / "imported.qcdb") as p:
        result = refi.import_qdpx(p, path)
        imported_text = p.transcript_text("kz02")
        assert len(p.turns("kz02")) > 10 and len(p.codings()) == 0
    with Project.create(tmp_path / "direct.qcdb") as p:
        p.import_file(ROOT / "interviews" / "kz02.docx")
        assert imported_text == p.transcript_text("kz02")
    assert [(s.kind, s.name) for s in result.skipped] == [("selection", "kz02 10-20")]
    assert "plain-text file" in result.skipped[0].reason

def test_other_tools_guids_are_kept_on_reexport(tmp_path: Path) -> None:
    """Every GUID another tool gave (users, codes, variables, cases, sources, selections, codings,
    notes) is written back unchanged, in the spelling the tool used."""
    text = "Interviewer: Why did you leave?\nRespondent: There was no work in the village.\n"
    start = text.index("no work")
    qde = FOREIGN.replace("{start}", str(start)).replace("{end}", str(start + len("no work")))
    qde = qde.replace('guid="33333333-3333-3333-3333-333333333333"', 'guid="{3333AAAA-3333-3333-3333-333333333333}"')
    qde = qde.replace('targetGUID="33333333-3333-3333-3333-333333333333"',
                      'targetGUID="{3333AAAA-3333-3333-3333-333333333333}"')
    qde = qde.replace("</Sources>", """</Sources>
  <Notes><Note guid="eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee" name="Plan" creationDateTime="2024-01-02T03:04:05Z">
    <PlainTextContent>Ask about work.</PlainTextContent></Note></Notes>
  <NoteRef targetGUID="eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee"/>""")
    path = make_qdpx(tmp_path / "f.qdpx", qde, {
        "Sources/66666666-6666-6666-6666-666666666666.txt": text.encode("utf-8")})
    with Project.create(tmp_path / "p.qcdb") as p:
        refi.import_qdpx(p, path)
        refi.export_qdpx(p, tmp_path / "again.qdpx")
        refi.export_qdc(p, tmp_path / "again.qdc")
    root = qde_of(tmp_path / "again.qdpx")

    def guid_of(xpath: str) -> str:
        found = root.xpath(xpath, namespaces=NS)
        assert len(found) == 1, xpath
        return found[0].get("guid")

    assert guid_of("//q:User[@name='Ana']") == "11111111-1111-1111-1111-111111111111"
    assert guid_of("//q:Code[@name='Work']") == "22222222-2222-2222-2222-222222222222"
    assert guid_of("//q:Code[@name='No work']") == "{3333AAAA-3333-3333-3333-333333333333}"
    assert guid_of("//q:Variable[@name='age']") == "44444444-4444-4444-4444-444444444444"
    assert guid_of("//q:Case[@name='P1']") == "55555555-5555-5555-5555-555555555555"
    assert guid_of("//q:TextSource") == "66666666-6666-6666-6666-666666666666"
    assert guid_of("//q:PlainTextSelection") == "77777777-7777-7777-7777-777777777777"
    assert guid_of("//q:Coding") == "88888888-8888-8888-8888-888888888888"
    assert guid_of("//q:Note[@name='Plan']") == "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee"
    codebook = etree.parse(str(tmp_path / "again.qdc")).getroot()
    assert {c.get("guid") for c in codebook.iter("{urn:QDA-XML:codebook:1.0}Code")} == {
        "22222222-2222-2222-2222-222222222222", "{3333AAAA-3333-3333-3333-333333333333}"}
