"""What the REFI-QDA exchange tests share (tests/test_refi_export.py, test_refi_import.py,
test_refi_hostile.py): where the schemas and real exchange files are, the coded sample project
they export, and the small foreign project file they build.

The official schemas and the real exchange files whose licenses allow it are vendored in
tests/data/refi (see its README). The four sample files that are not (unclear license, AGPL)
are read from ../shared/refi/samples next to this repository: without it their tests skip
with the reason, except in CI (`CI` set), where they fail.
"""

from __future__ import annotations

import csv
import functools
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, insert, select, update

from qualcode import Project
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


@functools.cache
def load_schema(name: str) -> etree.XMLSchema:
    """An official REFI-QDA schema of tests/data/refi/schemas, parsed once."""
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


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


# The coded sample, keyed by the session's sample project: it takes an auto-coding to build, and
# two test files read it (test_refi_export.py, test_refi_hostile.py), so it is built once.
_CODED: dict[Path, Path] = {}


def build_coded_sample(sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project, auto-coded, with human codings, reviews, memos of every kind and an emoji."""
    if sample_project_file in _CODED:
        return _CODED[sample_project_file]
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
    _CODED[sample_project_file] = path
    return path


def qde_of(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read("project.qde"))


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
