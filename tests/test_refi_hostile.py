"""REFI-QDA files that are hostile or broken (XXE, DTDs, entity bombs, zip slip and bombs, truncated
archives, malformed XML) fail cleanly with their numbered error, leak nothing and leave the project
unchanged; so does a failure while storing or a second import of the same file.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from qualcode import Project
from qualcode.exchange import refi
from qualcode.store import coding_queries
from qualcode.store.schema import transcripts
from tests.refi_support import FOREIGN, P, build_coded_sample, make_qdpx, row_counts


@pytest.fixture(scope="module")
def coded_sample(sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project, auto-coded, with human codings, reviews, memos of every kind and an emoji
    (tests.refi_support.build_coded_sample; built once per session, read-only: copy it to change it)."""
    return build_coded_sample(sample_project_file, tmp_path_factory)


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
