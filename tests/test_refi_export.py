"""REFI-QDA export: schema-valid QDC and QDPX files from the coded sample, what they carry
(codings, memos as notes and descriptions, cases and variables, GUIDs), and the round trip of
our own files back into a project without loss.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from sqlalchemy import select

from qualcode import Project, load_codebook
from qualcode.exchange import refi
from qualcode.store.schema import coders
from tests.refi_support import CODEBOOK, NS, P, assert_valid, build_coded_sample, load_schema, qde_of


@pytest.fixture(scope="module")
def project_schema() -> etree.XMLSchema:
    return load_schema("Project-mrt2019.xsd")


@pytest.fixture(scope="module")
def codebook_schema() -> etree.XMLSchema:
    return load_schema("Codebook.xsd")


@pytest.fixture(scope="module")
def coded_sample(sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project, auto-coded, with human codings, reviews, memos of every kind and an emoji
    (tests.refi_support.build_coded_sample; built once per session, read-only: copy it to change it)."""
    return build_coded_sample(sample_project_file, tmp_path_factory)


# --- QDC -------------------------------------------------------------------------------------

def test_qdc_export_validates_and_guids_are_stable(coded_sample: Path, tmp_path: Path,
                                                   codebook_schema: etree.XMLSchema) -> None:
    with Project.open(coded_sample) as p:
        first = refi.export_qdc(p, tmp_path / "a.qdc").read_bytes()
        second = refi.export_qdc(p, tmp_path / "b.qdc").read_bytes()
        frame = p.codes()
        refi.export_qdpx(p, tmp_path / "p.qdpx")
    assert first == second
    doc = etree.fromstring(first)
    assert_valid(codebook_schema, doc)
    assert doc.get("origin").startswith("qualcode ")
    guids = {c.get("name"): c.get("guid") for c in doc.iter("{urn:QDA-XML:codebook:1.0}Code")}
    assert len(guids) == len(frame) == len(set(guids.values()))
    in_project = {c.get("name"): c.get("guid") for c in qde_of(tmp_path / "p.qdpx").iter(f"{{{P}}}Code")}
    assert in_project == guids  # the same code has the same GUID in the codebook and the project export
    pull = doc.find(".//{urn:QDA-XML:codebook:1.0}Code[@name='Pull factors']")
    assert {c.get("name") for c in pull.findall("{urn:QDA-XML:codebook:1.0}Code")} == set(
        frame[frame.parent == "pull"]["name"])
    assert all(c.get("color", "#000000")[0] == "#" and len(c.get("color", "#000000")) == 7
               for c in doc.iter("{urn:QDA-XML:codebook:1.0}Code"))

    for source in (load_codebook(CODEBOOK), frame):
        out = refi.export_qdc(source, tmp_path / "c.qdc")
        assert_valid(codebook_schema, etree.parse(str(out)))


def test_qdc_round_trip_keeps_names_hierarchy_colours_descriptions(coded_sample: Path, tmp_path: Path) -> None:
    with Project.open(coded_sample) as p:
        frame = p.codes()
        refi.export_qdc(p, tmp_path / "book.qdc")
    back = refi.import_qdc(tmp_path / "book.qdc")
    assert back.warnings == []
    by_name = {c.name: c for c in back.codes}
    id_to_name = dict(zip(frame.code, frame.name, strict=True))
    parents = {c.id: c.name for c in back.codes}
    for r in frame.itertuples():
        code = by_name[r.name]
        assert code.description == r.description
        assert code.color == r.color
        assert parents.get(code.parent) == id_to_name.get(r.parent)
    with Project.create(tmp_path / "new.qcdb") as q:
        result = refi.import_qdc(tmp_path / "book.qdc", q)
        assert len(result.created) == len(frame) and result.existing == []
        again = refi.import_qdc(tmp_path / "book.qdc", q)
        assert again.created == [] and len(again.existing) == len(frame)
        assert len(q.codes()) == len(frame)
    assert sorted(c.id for c in back.codes) != sorted(frame.code)  # without a project: ids from names
    # Back into the project it came from, the codebook's GUIDs find the codes it was made of.
    copy = Path(shutil.copy(coded_sample, tmp_path / "home.qcdb"))
    with Project.open(copy) as p:
        home = refi.import_qdc(tmp_path / "book.qdc", p)
        assert home.created == [] and sorted(home.existing) == sorted(frame.code)


def test_qdc_empty_codebook_is_refused(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.qcdb") as p, pytest.raises(refi.RefiError) as err:
        refi.export_qdc(p, tmp_path / "x.qdc")
    assert err.value.code == "E810" and not (tmp_path / "x.qdc").exists()


# --- QDPX export -----------------------------------------------------------------------------

def test_qdpx_export_validates_and_carries_everything(coded_sample: Path, tmp_path: Path,
                                                      project_schema: etree.XMLSchema) -> None:
    with Project.open(coded_sample) as p:
        result = refi.export_qdpx(p, tmp_path / "s.qdpx", include_suggestions=True)
        frame = p.codings()
        names = list(p.transcripts()["transcript"])
        texts = {n: p.transcript_text(n) for n in names}
        n_cases, n_attrs = len(p.cases()), len(p.attribute_types())
    root = qde_of(result.path)
    assert_valid(project_schema, root)
    shown = frame[frame.status != "rejected"]
    assert (result.sources, result.codings, result.cases, result.variables) == (len(names), len(shown), n_cases,
                                                                                n_attrs)
    assert result.withheld == {"suggested": 0, "rejected": (frame.status == "rejected").sum()} != {}
    assert result.notes == 6 + 1  # the six memos and a code memo (a coding's memo is its selection's description)
    with zipfile.ZipFile(result.path) as zf:
        members = set(zf.namelist())
        meta = json.loads(zf.read("qualcode.json"))
        for source in root.iterfind("q:Sources/q:TextSource", NS):
            guid = source.get("guid")
            assert source.get("plainTextPath") == f"internal://{guid}.txt"
            text = zf.read(f"sources/{guid}.txt").decode("utf-8")
            assert text == texts[source.get("name")]
            for sel in source.iterfind("q:PlainTextSelection", NS):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                assert 0 <= start <= end <= len(text)
                assert len(sel.findall("q:Coding", NS)) == 1
    selections = root.findall(".//q:PlainTextSelection", NS)
    assert len(selections) == len(shown)
    # qualcode's provenance is in qualcode.json only, one entry per selection.
    tags = [meta["codings"][s.get("guid")] for s in selections]
    assert sorted((t["origin"], t["status"]) for t in tags) == sorted(zip(shown.origin, shown.status, strict=True))
    assert {t["reviewer"] for t in tags if "reviewer" in t} == {"marat"}
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    manual = [s for s, t in zip(selections, tags, strict=True) if t["origin"] == "manual"]
    assert [users[s.find("q:Coding", NS).get("creatingUser")] for s in manual] == ["Айгерим"]
    case = root.find("q:Cases/q:Case[@name='KZ01']", NS)
    assert case.find("q:SourceRef", NS) is not None
    values = {v.find("q:VariableRef", NS).get("targetGUID"): v[1] for v in case.iterfind("q:VariableValue", NS)}
    kinds = {v.get("guid"): (v.get("name"), v.get("typeOfVariable"))
             for v in root.iterfind("q:Variables/q:Variable", NS)}
    typed = {kinds[g][0]: (kinds[g][1], etree.QName(e).localname, e.text) for g, e in values.items()}
    assert typed["age"] == ("Integer", "IntegerValue", "29")
    assert typed["interview_date"] == ("Date", "DateValue", "2024-03-12")
    assert typed["gender"] == ("Text", "TextValue", "female")
    assert "qualcode.json" in members


def test_coding_memo_is_the_selection_description(coded_sample: Path, tmp_path: Path) -> None:
    """QualCoder, ATLAS.ti and MAXQDA read a segment's memo from its <Description>: the memo goes
    there, and no description carries qualcode's provenance."""
    with Project.open(coded_sample) as p:
        memos_ = {(r.transcript, r.start, r.end): r.memo for r in p.codings(status="accepted").itertuples()
                  if isinstance(r.memo, str) and r.memo}
        refi.export_qdpx(p, tmp_path / "s.qdpx")
    assert memos_ == {next(iter(memos_)): 'a memo with <xml> & "quotes"'}
    root = qde_of(tmp_path / "s.qdpx")
    described = {}
    for source in root.iterfind("q:Sources/q:TextSource", NS):
        for sel in source.iterfind("q:PlainTextSelection", NS):
            text = sel.findtext("q:Description", namespaces=NS)
            if text is not None:
                described[(source.get("name"), int(sel.get("startPosition")), int(sel.get("endPosition")))] = text
    assert described == memos_
    assert not any("qualcode" in (d.text or "") for d in root.iter(f"{{{P}}}Description"))


def test_every_note_has_a_date_an_author_and_a_file(coded_sample: Path, tmp_path: Path) -> None:
    """QualCoder's importer fails on a Note without creationDateTime and imports only Notes whose
    plainTextPath names a file in sources/."""
    with Project.open(coded_sample) as p:
        refi.export_qdpx(p, tmp_path / "s.qdpx")
    root = qde_of(tmp_path / "s.qdpx")
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    notes = root.findall("q:Notes/q:Note", NS)
    assert len(notes) == 7
    with zipfile.ZipFile(tmp_path / "s.qdpx") as zf:
        for note in notes:
            stamp = note.get("creationDateTime")
            assert stamp and refi_plan_when(stamp) is not None, etree.tostring(note)
            path = note.get("plainTextPath")
            assert path == f"internal://{note.get('guid')}.txt"
            text = zf.read("sources/" + path.removeprefix("internal://")).decode("utf-8")
            assert text == note.findtext("q:PlainTextContent", namespaces=NS) and text
            assert note.get("name")
    authors = {users.get(n.get("creatingUser")) for n in notes}
    assert authors == {"marat", None}  # the six memos are marat's; the code memo has no author
    assert sum(n.get("creatingUser") is not None for n in notes) == 6


def refi_plan_when(text: str):
    from qualcode.exchange.refi_plan import when

    return when(text)


def test_rejected_never_and_suggestions_only_when_asked(coded_sample: Path, tmp_path: Path,
                                                        project_schema: etree.XMLSchema) -> None:
    with Project.open(coded_sample) as p:
        frame = p.codings()
        default = refi.export_qdpx(p, tmp_path / "default.qdpx")
        with_suggestions = refi.export_qdpx(p, tmp_path / "all.qdpx", include_suggestions=True)
    counts = frame.status.value_counts().to_dict()
    assert counts["rejected"] >= 1 and counts["suggested"] > 100
    assert default.codings == counts["accepted"]
    assert default.withheld == {"suggested": counts["suggested"], "rejected": counts["rejected"]}
    assert with_suggestions.codings == counts["accepted"] + counts["suggested"]
    rejected = frame[frame.status == "rejected"].iloc[0]
    for path in (default.path, with_suggestions.path):
        root = qde_of(path)
        assert_valid(project_schema, root)
        spans = {(s.getparent().get("name"), int(s.get("startPosition")), int(s.get("endPosition")),
                  root.find(f".//q:Code[@guid='{s.find('q:Coding/q:CodeRef', NS).get('targetGUID')}']", NS)
                  .get("name")) for s in root.iterfind(".//q:PlainTextSelection", NS)}
        with Project.open(coded_sample) as p:
            name = p.codes().set_index("code").loc[rejected.code, "name"]
        assert (rejected.transcript, int(rejected.start), int(rejected.end), name) not in spans
    assert len(qde_of(default.path).findall(".//q:PlainTextSelection", NS)) == counts["accepted"]

# --- round trip ------------------------------------------------------------------------------

def snapshot(p: Project) -> dict[str, pd.DataFrame]:
    """Everything a user sees, without database ids and import times."""
    with p.engine.connect() as conn:
        raw = pd.read_sql(
            "SELECT t.name AS transcript, k.path AS code, c.start_offset, c.end_offset, c.origin, c.status, "
            "c.rule_id, c.model_id, c.confidence, c.run_id, c.memo, c.created_at, c.updated_at, c.match_start, "
            "c.match_end, r.name AS reviewer, c.reviewed_at, u.name AS coder FROM codings c "
            "JOIN transcripts t ON t.id = c.transcript_id JOIN codes k ON k.id = c.code_id "
            "LEFT JOIN coders u ON u.id = c.coder_id LEFT JOIN coders r ON r.id = c.reviewer_id", conn)
        memo_rows = pd.read_sql(
            "SELECT m.target_type, COALESCE(t.name, k.path, ca.name, tt.name || '#' || tu.idx, "
            "ct.name || ':' || cc.start_offset || '-' || cc.end_offset) AS target, u.name AS coder, m.title, m.text, "
            "m.created_at FROM memos m LEFT JOIN coders u ON u.id = m.coder_id "
            "LEFT JOIN transcripts t ON m.target_type = 'transcript' AND t.id = m.target_id "
            "LEFT JOIN codes k ON m.target_type = 'code' AND k.id = m.target_id "
            "LEFT JOIN cases ca ON m.target_type = 'case' AND ca.id = m.target_id "
            "LEFT JOIN turns tu ON m.target_type = 'turn' AND tu.id = m.target_id "
            "LEFT JOIN transcripts tt ON tt.id = tu.transcript_id "
            "LEFT JOIN codings cc ON m.target_type = 'coding' AND cc.id = m.target_id "
            "LEFT JOIN transcripts ct ON ct.id = cc.transcript_id", conn)
        review_rows = pd.read_sql(
            "SELECT t.name, k.path, v.start_offset, v.end_offset, v.status, u.name AS reviewer, v.reviewed_at "
            "FROM reviews v JOIN transcripts t ON t.id = v.transcript_id JOIN codes k ON k.id = v.code_id "
            "LEFT JOIN coders u ON u.id = v.reviewer_id", conn)
        code_memos = pd.read_sql("SELECT path, memo, sort_order FROM codes", conn)
        coder_names = pd.DataFrame({"name": sorted(r.name for r in conn.execute(select(coders.c.name)))})

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(list(frame.columns), kind="mergesort", na_position="first").reset_index(drop=True)

    texts = pd.DataFrame([(n, p.transcript_text(n)) for n in p.transcripts()["transcript"]], columns=["t", "text"])
    return {
        "transcripts": p.transcripts().drop(columns=["imported_at"]), "texts": texts, "turns": p.turns(),
        "codes": p.codes(), "code_memos": ordered(code_memos), "codings": p.codings().drop(columns=["id"]),
        "codings_raw": ordered(raw.astype(str)), "coders": coder_names, "memos": ordered(memo_rows.astype(str)),
        "reviews": ordered(review_rows.astype(str)), "cases": p.cases(),
        "attribute_types": pd.DataFrame(sorted(p.attribute_types().items())), "runs": p.runs(),
    }


def test_round_trip_is_lossless(coded_sample: Path, tmp_path: Path) -> None:
    with Project.open(coded_sample) as p:
        before = snapshot(p)
        refi.export_qdpx(p, tmp_path / "out.qdpx")
    assert len(before["codings"]) > 1000 and len(before["memos"]) == 6
    with Project.create(tmp_path / "back.qcdb") as q:
        result = refi.import_qdpx(q, tmp_path / "out.qdpx")
        assert result.skipped == [] and result.warnings == []
        assert (result.sources, result.codings) == (len(before["texts"]), len(before["codings"]))
        after = snapshot(q)
        refi.export_qdpx(q, tmp_path / "again.qdpx")
        assert q.setting("autocode_status") == "suggested"
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, obj=name)

    def guids(path: Path) -> set[str]:
        return {e.get("guid") for e in qde_of(path).iter() if e.get("guid")}

    assert guids(tmp_path / "again.qdpx") == guids(tmp_path / "out.qdpx")


def test_round_trip_emoji_offsets(coded_sample: Path, tmp_path: Path) -> None:
    """Offsets count code points on both sides: a coding after an emoji keeps its exact words."""
    with Project.open(coded_sample) as p:
        refi.export_qdpx(p, tmp_path / "out.qdpx")
        dana = p.codings().query("coder == 'dana'")[["start", "end", "text"]].to_dict("records")
    assert "🚀" in dana[0]["text"]
    with Project.create(tmp_path / "back.qcdb") as q:
        refi.import_qdpx(q, tmp_path / "out.qdpx")
        assert q.codings().query("coder == 'dana'")[["start", "end", "text"]].to_dict("records") == dana

def test_qualcode_json_is_optional_for_our_own_files(coded_sample: Path, tmp_path: Path) -> None:
    """Without qualcode.json (another tool kept only the standard parts) the file reads like any
    other tool's: the codings other tools saw come back with their words, code, coder and memo."""
    with Project.open(coded_sample) as p:
        refi.export_qdpx(p, tmp_path / "out.qdpx")
        frame = p.codings(status="accepted")
    stripped = tmp_path / "stripped.qdpx"
    with zipfile.ZipFile(tmp_path / "out.qdpx") as src, zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "qualcode.json":
                dst.writestr(info, src.read(info))
    with Project.create(tmp_path / "p.qcdb") as q:
        result = refi.import_qdpx(q, stripped)
        back = q.codings()
    assert result.codings == len(frame)
    key = ["transcript", "start", "end", "text", "coder", "memo"]
    assert sorted(map(tuple, back[key].astype(str).values)) == sorted(map(tuple, frame[key].astype(str).values))
    assert set(back.origin) == {"import"} and set(back.status) == {"accepted"}


def test_a_qualcode_file_of_the_first_format_still_imports(coded_sample: Path, tmp_path: Path) -> None:
    """Files written before provenance moved to qualcode.json (format version 1) carried it as a
    `qualcode: {...}` first line of each selection's description, the memo after it."""
    with Project.open(coded_sample) as p:
        refi.export_qdpx(p, tmp_path / "new.qdpx")
        frame = p.codings(status="accepted")
    old = tmp_path / "old.qdpx"
    with zipfile.ZipFile(tmp_path / "new.qdpx") as src, zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as dst:
        meta = json.loads(src.read("qualcode.json"))
        root = etree.fromstring(src.read("project.qde"))
        for sel in root.iter(f"{{{P}}}PlainTextSelection"):
            tag = "qualcode: " + json.dumps(meta["codings"][sel.get("guid")], separators=(",", ":"))
            description = sel.find("q:Description", NS)
            if description is None:
                description = etree.Element(f"{{{P}}}Description")
                sel.insert(0, description)
            description.text = tag + ("\n" + description.text if description.text else "")
        meta.update(version=1, codings={}, withheld=[])
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "project.qde":
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            elif info.filename == "qualcode.json":
                data = json.dumps(meta).encode("utf-8")
            dst.writestr(info, data)
    with Project.create(tmp_path / "p.qcdb") as q:
        refi.import_qdpx(q, old)
        back = q.codings()
    key = ["transcript", "start", "end", "code", "origin", "status", "rule", "coder", "confidence", "memo"]
    assert sorted(map(tuple, back[key].astype(str).values)) == sorted(map(tuple, frame[key].astype(str).values))


# --- small exports ---------------------------------------------------------------------------

def _codes_for_guid_test() -> pd.DataFrame:
    return pd.DataFrame([{"code": "a", "name": "A", "parent": None, "description": None, "color": "#abc"}])


def test_short_colours_are_widened_and_frames_export(tmp_path: Path, codebook_schema: etree.XMLSchema) -> None:
    out = refi.export_qdc(_codes_for_guid_test(), tmp_path / "a.qdc", key="k")
    doc = etree.parse(str(out))
    assert_valid(codebook_schema, doc)
    code = doc.getroot()[0][0]
    assert code.get("color") == "#aabbcc"
    assert code.get("guid") == refi.make_guid("k", "code", "a")

def test_io_helpers_do_not_leave_partial_files(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "book.qdc"
    refi.export_qdc(_codes_for_guid_test(), target)
    assert target.exists() and [p.name for p in target.parent.iterdir()] == ["book.qdc"]

def test_uncoded_and_empty_projects_export_valid_files(sample_copy: Path, tmp_path: Path,
                                                        project_schema: etree.XMLSchema) -> None:
    with Project.open(sample_copy) as p:
        uncoded = refi.export_qdpx(p, tmp_path / "uncoded.qdpx")
    with Project.create(tmp_path / "empty.qcdb") as p:
        empty = refi.export_qdpx(p, tmp_path / "empty.qdpx")
    assert (uncoded.codes, uncoded.codings, uncoded.users, empty.sources) == (0, 0, 0, 0)
    for result in (uncoded, empty):
        assert_valid(project_schema, qde_of(result.path))
        with Project.create(tmp_path / f"back_{result.path.stem}.qcdb") as q:
            back = refi.import_qdpx(q, result.path)
            assert (back.sources, back.codings, back.skipped) == (result.sources, 0, [])
