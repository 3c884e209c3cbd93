"""REFI-QDA exchange: schema-valid exports, a lossless round trip, real files from other tools,
and hostile files that must fail cleanly without touching the project.

The official schemas and the real exchange files whose licenses allow it are vendored in
tests/data/refi (see its README). The four sample files that are not (unclear license, AGPL)
are read from ../shared/refi/samples next to this repository: without it their tests skip
with the reason, except in CI (`CI` set), where they fail.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from qualcode import Project, load_codebook
from qualcode.exchange import refi
from qualcode.exchange.refi_text import SourceText
from qualcode.store import coding_queries
from qualcode.store.schema import coders, codes, memos, metadata, transcripts, turns

ROOT = Path(__file__).resolve().parent.parent
REFI_DATA = ROOT / "tests" / "data" / "refi"
SCHEMAS = REFI_DATA / "schemas"
VENDORED = (REFI_DATA / "samples" / "mit", REFI_DATA / "samples" / "lgpl-3.0")
SHARED_SAMPLES = Path(__file__).parents[2] / "shared" / "refi" / "samples"
# Real files the repository does not hold (see tests/data/refi/README.md for why).
NOT_VENDORED = {"atlasti23_blank-atlas-project.qdpx", "atlasti23_target-atlas-project.qdpx",
                "nvivo15mac_nvivo_project.qdpx", "qc132_demo.qdpx"}
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
P = "urn:QDA-XML:project:1.0"
NS = {"q": P}


def sample(name: str) -> Path:
    """A real exchange file: vendored, or (for the few that cannot be) from ../shared/refi/samples."""
    for folder in VENDORED:
        if (folder / name).is_file():
            return folder / name
    assert name in NOT_VENDORED, f"{name} is neither in tests/data/refi/samples nor listed in NOT_VENDORED"
    if not (SHARED_SAMPLES / name).is_file():
        message = (f"{name} is not vendored (its license, see tests/data/refi/README.md) and not found at "
                   f"{SHARED_SAMPLES}: check out the repository next to the shared/ folder that holds refi/")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_SAMPLES / name


@pytest.fixture(scope="module")
def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Project-mrt2019.xsd")))


@pytest.fixture(scope="module")
def codebook_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))


def assert_valid(schema: etree.XMLSchema, doc: etree._Element | etree._ElementTree) -> None:
    ok = schema.validate(doc)
    assert ok, "\n".join(str(e) for e in list(schema.error_log)[:10])


def row_counts(location: Path) -> dict[str, int]:
    with Project.open(location) as p, p.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in metadata.sorted_tables}


# --- the coded sample project ---------------------------------------------------------------

EXTRA = """---
case: KZ99
language: en
---
Interviewer: Tell me about the move.
Respondent: We moved north in 2019 🚀 — the café had closed, no work at all.
Interviewer: And now?
Respondent: Now it is better; “finally” a stable job.
"""


def write_codings_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["transcript", "code", "start", "end", "text", "coder", "origin",
                                                "status", "confidence", "memo"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def coded_sample(sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project, auto-coded, with human codings, reviews, memos of every kind and an emoji."""
    folder = tmp_path_factory.mktemp("refi")
    path = Path(shutil.copy(sample_project_file, folder / "coded.qcdb"))
    extra = folder / "kz99.md"
    extra.write_text(EXTRA, encoding="utf-8")
    with Project.open(path) as p:
        assert p.import_files([extra]).ok
        p.autocode(CODEBOOK)
        text = p.transcript_text("kz99")
        first = p.turns("kz01").query("role == 'respondent'").iloc[0]
        kz01 = p.transcript_text("kz01")
        s = int(first.start)
        span = (s, s + 40)
        emoji = (text.index("We moved"), text.index("no work") + len("no work"))
        rows = [
            dict(transcript="kz01", code="push.unemployment", start=span[0], end=span[1], text=kz01[span[0]:span[1]],
                 coder="Айгерим", origin="manual", status="accepted", confidence="0.8",
                 memo='a memo with <xml> & "quotes"'),
            dict(transcript="kz99", code="push.unemployment", start=emoji[0], end=emoji[1],
                 text=text[emoji[0]:emoji[1]], coder="dana", origin="import", status="suggested", confidence="",
                 memo=""),
        ]
        assert p.import_codings(write_codings_csv(folder / "human.csv", rows)).imported == 2
        rules = p.codings(origin="rule")
        p.review_coding(int(rules.iloc[0]["id"]), "accepted", "marat")
        p.review_coding(int(rules.iloc[1]["id"]), "rejected", "marat")
        with p.engine.begin() as conn:
            ids = {r.name: r.id for r in conn.execute(select(transcripts.c.id, transcripts.c.name))}
            coder = conn.execute(select(coders.c.id).where(coders.c.name == "marat")).scalar()
            code = conn.execute(select(codes.c.id).where(codes.c.path == "push")).scalar()
            turn = conn.execute(select(turns.c.id).where(turns.c.transcript_id == ids["kz02"],
                                                         turns.c.idx == 3)).scalar()
            coding = int(rules.iloc[2]["id"])
            case = conn.execute(select(transcripts.c.case_id).where(transcripts.c.id == ids["kz03"])).scalar()
            stamp = coding_queries.now()
            for target_type, target_id, title in (("project", None, "Research plan"), ("transcript", ids["kz01"], None),
                                                  ("case", case, "About KZ03"), ("code", code, "Push, overall"),
                                                  ("coding", coding, "Why this fits"), ("turn", turn, "Key turn")):
                conn.execute(insert(memos).values(target_type=target_type, target_id=target_id, coder_id=coder,
                                                  title=title, text=f"{target_type} memo:\nline two ü",
                                                  created_at=stamp, updated_at=stamp))
            conn.execute(update(codes).where(codes.c.path == "pull").values(memo="Pull: keep apart from goals."))
    return path


@pytest.fixture
def sample_copy_coded(coded_sample: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(coded_sample, tmp_path / "coded.qcdb"))


def qde_of(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read("project.qde"))


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

def make_qdpx(path: Path, qde: str | bytes, members: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde.encode("utf-8") if isinstance(qde, str) else qde)
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


FOREIGN = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{P}" name="foreign" origin="SomeTool 1.0">
  <Users><User guid="11111111-1111-1111-1111-111111111111" name="Ana"/></Users>
  <CodeBook><Codes>
    <Code guid="22222222-2222-2222-2222-222222222222" name="Work" isCodable="true" color="#FF0000">
      <Code guid="33333333-3333-3333-3333-333333333333" name="No work" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Variables><Variable guid="44444444-4444-4444-4444-444444444444" name="age" typeOfVariable="Integer"/></Variables>
  <Cases><Case guid="55555555-5555-5555-5555-555555555555" name="P1">
    <VariableValue><VariableRef targetGUID="44444444-4444-4444-4444-444444444444"/><IntegerValue>41</IntegerValue>
    </VariableValue>
    <SourceRef targetGUID="66666666-6666-6666-6666-666666666666"/></Case></Cases>
  <Sources>
    <TextSource guid="66666666-6666-6666-6666-666666666666" name="interview 1.docx"
                plainTextPath="internal://66666666-6666-6666-6666-666666666666.txt">
      <PlainTextSelection guid="77777777-7777-7777-7777-777777777777" startPosition="{{start}}"
                          endPosition="{{end}}" creatingUser="11111111-1111-1111-1111-111111111111">
        <Description>Ana's comment</Description>
        <Coding guid="88888888-8888-8888-8888-888888888888"><CodeRef targetGUID="33333333-3333-3333-3333-333333333333"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="99999999-9999-9999-9999-999999999999" startPosition="5" endPosition="99999">
        <Coding guid="aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"><CodeRef targetGUID="22222222-2222-2222-2222-222222222222"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb" name="gone" plainTextPath="internal://gone.txt"/>
    <TextSource guid="cccccccc-cccc-cccc-cccc-cccccccccccc" name="outside" plainTextPath="file:///etc/hostname"/>
    <PDFSource guid="dddddddd-dddd-dddd-dddd-dddddddddddd" name="scan.pdf" path="internal://x.pdf"/>
  </Sources>
</Project>
"""


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


# --- hostile and broken files -----------------------------------------------------------------

def hostile(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A hostile or broken file, and the error code it must get."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    good = FOREIGN.replace("{start}", "0").replace("{end}", "3")
    if kind == "xxe":
        qde = (f'<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
               f'<Project xmlns="{P}" name="x"><CodeBook><Codes><Code guid="22222222-2222-2222-2222-222222222222" '
               'name="&xxe;" isCodable="true"/></Codes></CodeBook></Project>')
        return make_qdpx(tmp_path / "xxe.qdpx", qde), "E806"
    if kind == "external_dtd":
        qde = f'<?xml version="1.0"?>\n<!DOCTYPE Project SYSTEM "file://{secret}">\n<Project xmlns="{P}" name="x"/>'
        return make_qdpx(tmp_path / "dtd.qdpx", qde), "E806"
    if kind == "billion_laughs":
        ents = '<!ENTITY lol "lol">' + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
        qde = (f'<?xml version="1.0"?>\n<!DOCTYPE Project [{ents}]>\n'
               f'<Project xmlns="{P}" name="&lol9;"/>')
        return make_qdpx(tmp_path / "lol.qdpx", qde), "E806"
    if kind in ("zip_slip", "zip_slip_absolute", "zip_slip_drive"):
        bad = {"zip_slip": "../../evil.txt", "zip_slip_absolute": "/tmp/evil.txt", "zip_slip_drive": "C:\\evil.txt"}
        return make_qdpx(tmp_path / f"{kind}.qdpx", good, {bad[kind]: b"evil"}), "E803"
    if kind == "zip_bomb":
        path = tmp_path / "bomb.qdpx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            zf.writestr("project.qde", good)
            with zf.open("sources/66666666-6666-6666-6666-666666666666.txt", "w") as fh:
                chunk = b"\0" * (1024 * 1024)
                for _ in range(64):
                    fh.write(chunk)
        return path, "E804"
    if kind == "too_many_members":
        return make_qdpx(tmp_path / "many.qdpx", good, {f"sources/{i}.txt": b"" for i in range(10_001)}), "E804"
    if kind in ("truncated_zip", "truncated_member"):
        path = make_qdpx(tmp_path / "whole.qdpx", good, {
            "sources/66666666-6666-6666-6666-666666666666.txt": os.urandom(200_000)})
        data = path.read_bytes()
        out = tmp_path / f"{kind}.qdpx"
        if kind == "truncated_zip":
            out.write_bytes(data[: len(data) // 2])
        else:  # the directory survives but the member's bytes are damaged
            with zipfile.ZipFile(path) as zf:
                info = zf.getinfo("sources/66666666-6666-6666-6666-666666666666.txt")
            at = info.header_offset + 30 + len(info.filename) + 1000
            out.write_bytes(data[:at] + bytes(b ^ 0xFF for b in data[at:at + 500]) + data[at + 500:])
        return out, "E802"
    if kind == "malformed_xml":
        return make_qdpx(tmp_path / "bad.qdpx", f'<Project xmlns="{P}" name="x"><Users>'), "E805"
    if kind == "not_a_project":
        return make_qdpx(tmp_path / "book.qdpx", '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'), "E801"
    if kind == "no_project_qde":
        path = tmp_path / "empty.qdpx"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("readme.txt", "hello")
        return path, "E807"
    if kind == "not_zip_not_xml":
        path = tmp_path / "junk.qdpx"
        path.write_bytes(b"\x00\x01binary junk")
        return path, "E801"
    raise AssertionError(kind)


HOSTILE = ["xxe", "external_dtd", "billion_laughs", "zip_slip", "zip_slip_absolute", "zip_slip_drive", "zip_bomb",
           "too_many_members", "truncated_zip", "truncated_member", "malformed_xml", "not_a_project",
           "no_project_qde", "not_zip_not_xml"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_file_fails_cleanly_and_changes_nothing(kind: str, sample_copy: Path, tmp_path: Path) -> None:
    path, code = hostile(tmp_path, kind)
    before = row_counts(sample_copy)
    with Project.open(sample_copy) as p, pytest.raises(refi.RefiError) as err:
        refi.import_qdpx(p, path)
    assert err.value.code == code, str(err.value)
    message = str(err.value)
    assert str(path) in message and "TOP-SECRET" not in message
    assert row_counts(sample_copy) == before
    assert not (tmp_path.parent / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_hostile_codebook_fails_cleanly(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    path = tmp_path / "xxe.qdc"
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE CodeBook [<!ENTITY x SYSTEM "file://{secret}">]>'
                    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="22222222-2222-2222-2222-'
                    '222222222222" name="&x;" isCodable="true"/></Codes></CodeBook>', encoding="utf-8")
    with pytest.raises(refi.RefiError) as err:
        refi.import_qdc(path)
    assert err.value.code == "E806" and "TOP-SECRET" not in str(err.value)
    broken = tmp_path / "broken.qdc"
    broken.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>', encoding="utf-8")
    with pytest.raises(refi.RefiError) as err:
        refi.import_qdc(broken)
    assert err.value.code == "E805" and "line 1" in str(err.value)


def test_failure_while_storing_rolls_everything_back(coded_sample: Path, sample_copy: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with Project.open(coded_sample) as p:
        refi.export_qdpx(p, tmp_path / "out.qdpx")
    target = Path(shutil.copy(sample_copy, tmp_path / "other.qcdb"))
    with Project.open(target) as p, p.engine.begin() as conn:  # no name clash: rename what is there
        conn.execute(update(transcripts).values(name=transcripts.c.name + "_old"))
    before = row_counts(target)

    def explode(conn: object, rows: list) -> None:
        raise SQLAlchemyError("disk full")

    monkeypatch.setattr(coding_queries, "insert_codings", explode)
    with Project.open(target) as p, pytest.raises(refi.RefiError) as err:
        refi.import_qdpx(p, tmp_path / "out.qdpx")
    assert err.value.code == "E809" and "nothing was changed" in str(err.value)
    assert row_counts(target) == before


def test_importing_twice_is_refused_without_changes(coded_sample: Path, tmp_path: Path) -> None:
    with Project.open(coded_sample) as p:
        refi.export_qdpx(p, tmp_path / "out.qdpx")
    with Project.create(tmp_path / "p.qcdb") as q:
        refi.import_qdpx(q, tmp_path / "out.qdpx")
    before = row_counts(tmp_path / "p.qcdb")
    with Project.open(tmp_path / "p.qcdb") as q, pytest.raises(refi.RefiError) as err:
        refi.import_qdpx(q, tmp_path / "out.qdpx")
    assert err.value.code == "E808" and "'kz01'" in str(err.value)
    assert row_counts(tmp_path / "p.qcdb") == before


def test_error_messages_read_well(tmp_path: Path) -> None:
    err = refi.RefiError("E803", file="x.qdpx", member="../a", reason="it climbs out of the archive with '..'")
    assert str(err).startswith("[E803] x.qdpx: unsafe member name '../a'")
    assert isinstance(err, refi.RefiError) and err.code == "E803"
    with pytest.raises(refi.RefiError) as missing:
        refi.import_qdpx(None, tmp_path / "nope.qdpx")  # type: ignore[arg-type]
    assert missing.value.code == "E812"


def _codes_for_guid_test() -> pd.DataFrame:
    return pd.DataFrame([{"code": "a", "name": "A", "parent": None, "description": None, "color": "#abc"}])


def test_short_colours_are_widened_and_frames_export(tmp_path: Path, codebook_schema: etree.XMLSchema) -> None:
    out = refi.export_qdc(_codes_for_guid_test(), tmp_path / "a.qdc", key="k")
    doc = etree.parse(str(out))
    assert_valid(codebook_schema, doc)
    code = doc.getroot()[0][0]
    assert code.get("color") == "#aabbcc"
    assert code.get("guid") == refi.make_guid("k", "code", "a")


def test_codebook_xsd_rejects_what_import_tolerates(codebook_schema: etree.XMLSchema) -> None:
    """The lenient import is needed: these real codebooks do not validate."""
    for name in ("atlasti9_codebook_ns0-4.qdc", "portableqda_doorstop_invalid-attr.qdc",
                 "refi15-spec-example_plus-empty-sets.qdc"):
        assert not codebook_schema.validate(etree.parse(str(sample(name))))


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


def test_io_helpers_do_not_leave_partial_files(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "book.qdc"
    refi.export_qdc(_codes_for_guid_test(), target)
    assert target.exists() and [p.name for p in target.parent.iterdir()] == ["book.qdc"]


def test_xml_parser_is_safe_even_without_the_doctype_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Second line of defence: if the prolog check missed a DOCTYPE, lxml still loads and expands nothing."""
    from qualcode.exchange import refi_safe

    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "LEAKED-FROM-DTD">', encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    monkeypatch.setattr(refi_safe, "declared_doctype", lambda data: None)
    documents = [
        f'<!DOCTYPE r SYSTEM "file://{dtd}"><r>&leak;</r>',
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>',
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>',
    ]
    for doc in documents:
        with pytest.raises(refi.RefiError) as err:
            refi_safe.parse_xml(doc.encode(), "x.qde")
        assert err.value.code in ("E805", "E806")
        assert "LEAKED" not in str(err.value) and "TOP-SECRET" not in str(err.value)
    # And the prolog check itself finds a DOCTYPE behind comments, processing instructions and a BOM.
    monkeypatch.undo()
    sneaky = '\ufeff<?xml version="1.0"?>\n<!-- a comment -->\n<?pi x?>\n<!DOCTYPE r [<!ENTITY a "b">]><r/>'
    for encoding in ("utf-8", "utf-16"):
        with pytest.raises(refi.RefiError) as err:
            refi_safe.parse_xml(sneaky.encode(encoding), "x.qde")
        assert err.value.code == "E806"


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
