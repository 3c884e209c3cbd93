"""Generate the hostile-input corpus of issue 18: files an attacker or a careless user would feed qualcode.

Run `python tests/hostile/generate.py OUTDIR` to write the files and a manifest.json;
tests/test_hostile.py calls `generate(outdir)` and runs every case through the
`qualcode` command. Each case is a file, the command that reads it, and the numbered
error it must end in: exit code 1, the message, no traceback, nothing stored.

The corpus covers the four doors where outside files come in: transcript import,
codebooks (`codebook check` and `code`), codings import, and REFI-QDA import. Big
inputs (zip bombs, 10,000 keys, 100,000 brackets) are made here, never stored in git.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

# The project every case runs against has this transcript and case (see tests/test_hostile.py).
BASE_TRANSCRIPT = "---\ncase: KZ01\ngender: female\nage: 34\n---\nInterviewer: Hello?\nRespondent: We moved in 2018.\n"
BASE_TEXT = "Interviewer: Hello?\nRespondent: We moved in 2018.\n"


@dataclass
class Case:
    id: str
    kind: str  # import | codebook | codings | refi
    file: str  # relative to the corpus folder
    expected: str  # the error code the message must carry
    args: list[str] = field(default_factory=list)  # extra options; {dir} is the corpus folder

    def argv(self, project: str, root: Path) -> list[str]:
        path = str(root / self.file)
        extra = [a.replace("{dir}", str(root)) for a in self.args]
        if self.kind in ("import", "refi"):
            return ["import", project, path, *extra]
        if self.kind == "codebook":
            return ["codebook", "check", path] if not extra else ["code", project, "--codebook", path]
        return ["codings", "import", project, path, *extra]


# --- builders -------------------------------------------------------------------------------

def _zip(members: dict[str, bytes], level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """A zip whose directory says `member` unpacks to `size` bytes (a header-lying bomb)."""
    raw = bytearray(data)
    name = member.encode()
    pos = raw.find(b"PK\x01\x02")
    while pos != -1:
        n = struct.unpack_from("<H", raw, pos + 28)[0]
        if bytes(raw[pos + 46: pos + 46 + n]) == name:
            struct.pack_into("<I", raw, pos + 24, size)
        pos = raw.find(b"PK\x01\x02", pos + 4)
    return bytes(raw)


def _many(n: int, keep: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in keep.items():
            zf.writestr(name, data)
        for i in range(n):
            zf.writestr(f"x/{i}", b"")
    return buf.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DOCX_OK = (f'<?xml version="1.0"?><w:document {W}><w:body><w:p><w:r><w:t>Respondent: hi</w:t></w:r></w:p>'
           '</w:body></w:document>')
ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
ODT_OK = (f'<?xml version="1.0"?><office:document-content {ODT_NS}><office:body><office:text><text:p>Hi</text:p>'
          '</office:text></office:body></office:document-content>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + ']>')
XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
BOMB = b" " * (20 * 1024 * 1024)  # compresses about 1000:1
QDE_NS = 'xmlns="urn:QDA-XML:project:1.0"'
QDE_OK = f'<?xml version="1.0" encoding="utf-8"?><Project {QDE_NS} name="x"></Project>'.encode()
QDC_NS = 'xmlns="urn:QDA-XML:codebook:1.0"'


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _codebook(regex: str) -> str:
    return (
        "name: hostile\nversion: '1'\nlanguages: [en]\ncodes:\n  - id: c\n    name: c\n    rules:\n"
        f"      en:\n        - regex: {json.dumps(regex)}\n"
    )


def _deep_block(levels: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "x: 1\n"


def _fm(body: str, text: str = "Respondent: We moved.\n") -> bytes:
    return f"---\n{body}---\n{text}".encode()


# --- the corpus -----------------------------------------------------------------------------

def cases() -> list[tuple[Case, bytes | None]]:
    """Every case with the bytes of its file (None: the file is deliberately missing)."""
    out: list[tuple[Case, bytes | None]] = []

    def add(kind: str, name: str, data: bytes | str | None, expected: str, *args: str) -> None:
        raw = data.encode() if isinstance(data, str) else data
        cid = f"{kind}-{name.replace('.', '_')}"
        out.append((Case(cid, kind, f"{kind}/{name}", expected, list(args)), raw))

    def aux(name: str, data: bytes) -> None:  # a file a case refers to (a speaker map), not a case
        out.append((Case(f"aux-{name}", "aux", f"import/{name}", ""), data))

    # Transcript import: the file itself --------------------------------------------------
    add("import", "empty.txt", b"", "E203")
    add("import", "spaces.txt", b" \n\t\n  ", "E204")
    add("import", "nul.txt", b"Respondent: hi\x00\x00\x00there\x00", "E206")
    add("import", "controls.txt", bytes(range(1, 9)) * 50, "E206")
    add("import", "unknown.xyz", b"Respondent: hi", "E202")
    add("import", "noextension", b"Respondent: hi", "E202")
    add("import", "toobig.txt", b"Respondent: " + b"words " * 100, "E205", "--max-bytes", "100")
    add("import", "missing.txt", None, "E201")
    add("import", "bad_utf8_forced.txt", b"Respondent: \xff\xfe\xfa words", "E207", "--encoding", "utf-8")
    add("import", "unknown_encoding.txt", b"Respondent: hi", "E207", "--encoding", "no-such-codec")
    add("import", "utf16_broken.txt", b"\xff\xfeR\x00e\x00s\x00\x00\xd8", "E207")
    add("import", "utf16_nul_noise.txt", b"\x00\x01\x00\x02\x00\x03" * 10, "E206")
    add("import", "bin.vtt", b"WEBVTT\n\x00\x00\x00\x00\x00", "E206")
    add("import", "header_only.vtt", b"WEBVTT\n\nNOTE nothing here\n", "E215")
    add("import", "blank.srt", b"\n\n  \n", "E204")
    # front matter
    add("import", "fm_alias_bomb.md", _fm(_alias_bomb()), "E952")
    add("import", "fm_alias.md", _fm("a: &x KZ09\ncase: *x\n"), "E952")
    add("import", "fm_merge_key.md", _fm("base: &b {gender: f}\nmore:\n  <<: *b\n"), "E952")
    add("import", "fm_alias_in_list.md", _fm("v: &v [1, 2]\nw: [*v, *v, *v]\n"), "E952")
    add("import", "fm_deep_flow.md", _fm("x: " + "[" * 100_000 + "\n"), "E953")
    add("import", "fm_deep_flow_map.md", _fm("x: " + "{a: " * 1000 + "\n"), "E953")
    add("import", "fm_deep_block.md", _fm(_deep_block(200)), "E953")
    add("import", "fm_deep_list.md", _fm("x:\n" + "".join("  " * i + "- \n" for i in range(1, 120))), "E953")
    add("import", "fm_invalid_yaml.md", _fm("case: [unclosed\n"), "E212")
    add("import", "fm_tab_indent.md", _fm("case: KZ09\n\tgender: f\n"), "E212")
    add("import", "fm_list.md", _fm("- a\n- b\n"), "E213")
    add("import", "fm_scalar.md", _fm("just text\n"), "E213")
    add("import", "fm_bad_language.md", _fm("language: xx\n"), "E214")
    add("import", "fm_10000_keys.md", _fm("".join(f"k{i}: {i}\n" for i in range(10_000))), "E955")
    add("import", "fm_201_keys.md", _fm("".join(f"attr{i}: v\n" for i in range(201))), "E955")
    add("import", "fm_3_keys_limit_2.md", _fm("a: 1\nb: 2\nc: 3\n"), "E955", "--max-attributes", "2")
    add("import", "fm_overwrite_gender.md", _fm("case: KZ01\ngender: INTRUDER\n"), "E954")
    add("import", "fm_overwrite_age.md", _fm("case: KZ01\nage: 99\n"), "E954")
    add("import", "fm_overwrite_two.md", _fm("case: KZ01\ngender: male\nage: 40\nregion: x\n"), "E954")
    add("import", "fm_only.md", _fm("case: KZ09\n", ""), "E204")
    add("import", "fm_bad_speaker_role.md", _fm("speakers: {Boss: overlord}\n"), "E404")
    add("import", "already_there.md", BASE_TRANSCRIPT.replace("2018", "2019").encode(), "E211", "--name", "base")
    # speaker maps given on the command line
    add("import", "plain_for_map1.txt", b"Respondent: hi", "E952", "--speaker-map", "{dir}/import/map_alias.yaml")
    aux("map_alias.yaml", b"A: &r respondent\nB: *r\n")
    add("import", "plain_for_map2.txt", b"Respondent: hi", "E953", "--speaker-map", "{dir}/import/map_deep.json")
    aux("map_deep.json", b"[" * 100_000)
    add("import", "plain_for_map3.txt", b"Respondent: hi", "E207", "--speaker-map", "{dir}/import/map_cp1251.yaml")
    aux("map_cp1251.yaml", "Ведущий: interviewer\n".encode("cp1251"))
    add("import", "plain_for_map4.txt", b"Respondent: hi", "E405", "--speaker-map", "{dir}/import/map_cell.csv")
    aux("map_cell.csv", b'speaker,role\n"' + b"x" * 140_000 + b'",other\n')
    add("import", "plain_for_map5.txt", b"Respondent: hi", "E952", "--speaker-map", "{dir}/import/map_bomb.yaml")
    aux("map_bomb.yaml", _alias_bomb().encode())
    # documents
    add("import", "bomb.docx", _zip({"word/document.xml": DOCX_OK.encode() + BOMB}), "E804")
    add("import", "bomb_other_member.docx", _zip({"word/document.xml": DOCX_OK.encode(), "word/media/x.bin": BOMB}),
        "E804")
    add("import", "lying_size.docx", _lie_about_size(_zip({"word/document.xml": DOCX_OK.encode()}),
                                                     "word/document.xml", 600 * 1024 * 1024), "E804")
    add("import", "many_members.docx", _many(10_001, {"word/document.xml": DOCX_OK.encode()}), "E804")
    add("import", "over_max_bytes.docx", _zip({"word/document.xml": DOCX_OK.encode() + b" " * 5_000}), "E804",
        "--max-bytes", "2000")
    add("import", "over_max_bytes.odt", _zip({"content.xml": ODT_OK.encode() + b" " * 5_000}), "E804",
        "--max-bytes", "2000")
    add("import", "not_zip.docx", b"This is not a zip archive at all.", "E208")
    add("import", "truncated.docx", _zip({"word/document.xml": DOCX_OK.encode() * 50})[:200], "E208")
    add("import", "no_document.docx", _zip({"word/other.xml": b"<x/>"}), "E208")
    laughs = (LAUGHS + f"<w:document {W}>&lol9;</w:document>").encode()
    add("import", "laughs.docx", _zip({"word/document.xml": laughs}), "E208")
    add("import", "xxe.docx", _zip({"word/document.xml": (XXE + f"<w:document {W}>&x;</w:document>").encode()}), "E208")
    add("import", "malformed.docx", _zip({"word/document.xml": b"<w:document><unclosed>"}), "E208")
    add("import", "no_body.docx", _zip({"word/document.xml": f"<w:document {W}/>".encode()}), "E208")
    add("import", "empty_body.docx", _zip({"word/document.xml": f"<w:document {W}><w:body/></w:document>".encode()}),
        "E215")
    add("import", "bomb.odt", _zip({"content.xml": ODT_OK.encode() + BOMB}), "E804")
    add("import", "lying_size.odt", _lie_about_size(_zip({"content.xml": ODT_OK.encode()}), "content.xml",
                                                    700 * 1024 * 1024), "E804")
    add("import", "not_zip.odt", b"PK but not really", "E208")
    add("import", "no_content.odt", _zip({"meta.xml": b"<x/>"}), "E208")
    add("import", "laughs.odt", _zip({"content.xml": (LAUGHS + "<r>&lol9;</r>").encode()}), "E208")
    add("import", "no_body.odt", _zip({"content.xml": f"<office:document-content {ODT_NS}/>".encode()}), "E208")
    add("import", "garbage.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 4, "E208")
    add("import", "not_pdf.pdf", b"Respondent: this is text, not a PDF", "E208")
    # tables of turns
    add("import", "header_only.csv", b"speaker,text\n", "E303")
    add("import", "corrupt.xlsx", b"PK\x03\x04" + b"\x00" * 100, "E406")
    add("import", "not_zip.xlsx", b"speaker,text\nA,hi\n", "E406")
    add("import", "bomb.xlsx", _zip({"xl/worksheets/sheet1.xml": BOMB}), "E804")
    add("import", "nul.csv", b"speaker,text\x00\nA,\x00hi\n", "E206")

    # Codebooks ------------------------------------------------------------------------------
    for i, rx in enumerate([r"(a+)+$", r"(\w+\s?)+$", r"(a|aa)+$", r"(a|a)+x", r"(x+x+)+y", r"((a+)b?)+$",
                            r"(.*,)*x", r"(?:[а-я]+\s*)+\.", r"(\d+\.?)+$", r"(ab|abab)+$", r"^(\s*\w+)+$",
                            r"(?:работ\w*\s?)+!"]):
        add("codebook", f"catastrophic_{i}.yaml", _codebook(rx), "E950")
    add("codebook", "tokens_regex.yaml",
        "name: hostile\nversion: '1'\nlanguages: [en]\ncodes:\n  - id: c\n    name: c\n    rules:\n      en:\n"
        "        - tokens: [{LOWER: we}, {TEXT: {REGEX: \"(a+)+$\"}}]\n", "E950")
    add("codebook", "alias_bomb.yaml", "name: x\nversion: '1'\nlanguages: [en]\ncodes: []\n" + _alias_bomb(), "E952")
    add("codebook", "alias.yaml", "name: &n x\nversion: '1'\nlanguages: [en]\ncodes: []\ndescription: *n\n", "E952")
    add("codebook", "merge_key.yaml",
        "name: x\nversion: '1'\nlanguages: [en]\ndefaults: &d {unit: turn}\ncodes:\n  - id: c\n    name: c\n"
        "    <<: *d\n", "E952")
    add("codebook", "deep_flow.yaml", "name: " + "[" * 100_000 + "\n", "E953")
    add("codebook", "deep_block.yaml", "name: x\n" + _deep_block(300), "E953")
    add("codebook", "invalid_yaml.yaml", "name: [x\nversion: 1\n", "E602")
    add("codebook", "top_list.yaml", "- a\n- b\n", "E604")
    add("codebook", "cp1251.yaml", "name: Кодбук\n".encode("cp1251"), "E601")
    add("codebook", "empty.yaml", b"", "E604")
    add("codebook", "nul.yaml", b"name: x\x00\x00\n", "E602")
    add("codebook", "missing.yaml", None, "E601")
    add("codebook", "bad_regex.yaml", _codebook("(unclosed"), "E609")
    add("codebook", "duplicate_key.yaml", "name: x\nname: y\nversion: '1'\nlanguages: [en]\ncodes: []\n", "E617")
    add("codebook", "code_catastrophic_0.yaml", _codebook(r"(a+)+$"), "E950", "--code")
    add("codebook", "code_catastrophic_1.yaml", _codebook(r"(\w+\s?)+$"), "E950", "--code")
    add("codebook", "code_alias_bomb.yaml", "name: x\nversion: '1'\nlanguages: [en]\ncodes: []\n" + _alias_bomb(),
        "E952", "--code")

    # Codings import -------------------------------------------------------------------------
    header = "transcript,code,start,end,text\n"
    add("codings", "corrupt.xlsx", b"PK\x03\x04" + b"\x00" * 200, "E208")
    add("codings", "not_zip.xlsx", b"transcript,code\n", "E208")
    add("codings", "truncated.xlsx", _zip({"xl/workbook.xml": b"<workbook/>" * 100})[:150], "E208")
    add("codings", "bomb.xlsx", _zip({"xl/worksheets/sheet1.xml": BOMB}), "E804")
    add("codings", "lying_size.xlsx", _lie_about_size(_zip({"xl/workbook.xml": b"<w/>"}), "xl/workbook.xml",
                                                      900 * 1024 * 1024), "E804")
    add("codings", "huge_cell.csv", (header + 'base,c,0,5,"' + "x" * 140_000 + '"\n').encode(), "E956")
    add("codings", "lost_quote.csv", (header + 'base,c,0,5,"Hello\n' + "base,c,0,5,more\n" * 20_000).encode(), "E956")
    add("codings", "missing_columns.csv", b"transcript,code\nbase,c\n", "E701")
    add("codings", "unknown_transcript.csv", (header + "nobody,c,0,5,Inter\n").encode(), "E708")
    add("codings", "bad_offsets.csv", (header + "base,c,x,y,Inter\n").encode(), "E708")
    add("codings", "negative_offsets.csv", (header + "base,c,-5,3,Int\n").encode(), "E708")
    add("codings", "reversed_offsets.csv", (header + "base,c,9,2,Inter\n").encode(), "E708")
    add("codings", "past_end.csv", (header + "base,c,0,99999,Inter\n").encode(), "E708")
    add("codings", "text_mismatch.csv", (header + "base,c,0,5,WRONG\n").encode(), "E708")
    add("codings", "unknown_code.csv", (header + "base,nosuchcode,0,5,Inter\n").encode(), "E708")
    add("codings", "empty.csv", b"", "E203")
    add("codings", "spaces.csv", b"  \n \n", "E204")
    add("codings", "binary.csv", b"\x00\x01\x02\x03" * 50, "E206")
    add("codings", "wrong_ext.json", b"{}", "E202")
    add("codings", "missing.csv", None, "E201")
    add("codings", "not_sqlite.qcdb", b"this is not a database", "E103")

    # REFI-QDA import ------------------------------------------------------------------------
    add("refi", "zip_slip.qdpx", _zip({"project.qde": QDE_OK, "../../evil.txt": b"x"}), "E803")
    add("refi", "absolute.qdpx", _zip({"project.qde": QDE_OK, "/etc/evil": b"x"}), "E803")
    add("refi", "drive.qdpx", _zip({"project.qde": QDE_OK, "C:/evil.txt": b"x"}), "E803")
    add("refi", "backslash_slip.qdpx", _zip({"project.qde": QDE_OK, "..\\..\\evil.txt": b"x"}), "E803")
    add("refi", "bomb.qdpx", _zip({"project.qde": QDE_OK, "sources/a.txt": BOMB}), "E804")
    add("refi", "lying_size.qdpx", _lie_about_size(_zip({"project.qde": QDE_OK}), "project.qde", 3 * 1024**3),
        "E804")
    add("refi", "many_members.qdpx", _many(10_001, {"project.qde": QDE_OK}), "E804")
    add("refi", "neither.qdpx", b"hello, not a project", "E801")
    add("refi", "truncated.qdpx", _zip({"project.qde": QDE_OK * 20})[:120], "E802")
    add("refi", "no_qde.qdpx", _zip({"sources/a.txt": b"hi"}), "E807")
    add("refi", "xxe.qdpx", _zip({"project.qde": (XXE + f"<Project {QDE_NS}>&x;</Project>").encode()}), "E806")
    add("refi", "laughs.qdpx", _zip({"project.qde": (LAUGHS + f"<Project {QDE_NS}>&lol9;</Project>").encode()}),
        "E806")
    add("refi", "malformed.qdpx", _zip({"project.qde": b"<Project><unclosed>"}), "E805")
    add("refi", "wrong_root.qdpx", _zip({"project.qde": b"<NotAProject/>"}), "E801")
    add("refi", "xxe.qde", (XXE + f"<Project {QDE_NS}>&x;</Project>").encode(), "E806")
    add("refi", "malformed.qde", b"<Project", "E805")
    add("refi", "binary.qde", b"\x00\x01\x02", "E801")
    add("refi", "xxe.qdc", (XXE + f"<CodeBook {QDC_NS}>&x;</CodeBook>").encode(), "E806")
    add("refi", "laughs.qdc", (LAUGHS + f"<CodeBook {QDC_NS}>&lol9;</CodeBook>").encode(), "E806")
    add("refi", "malformed.qdc", b"<CodeBook><Codes>", "E805")
    add("refi", "zip.qdc", _zip({"project.qde": QDE_OK}), "E801")
    add("refi", "wrong_root.qdc", b"<Something/>", "E801")
    add("refi", "missing.qdpx", None, "E812")
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    add("refi", "deep_xml.qde", b'<?xml version="1.0"?>' + deep, "E805")
    add("refi", "deep_xml.qdpx", _zip({"project.qde": f"<Project {QDE_NS}>".encode() + deep + b"</Project>"}), "E805")
    add("refi", "deep_xml.qdc", f"<CodeBook {QDC_NS}>".encode() + deep + b"</CodeBook>", "E805")
    # cases tables: the same limits as any table
    add("import", "cases_cell.csv", b'case_id,gender\nKZ05,"' + b"x" * 140_000 + b'"\n', "E406", "--layout", "cases")
    add("import", "cases_bomb.xlsx", _zip({"xl/worksheets/sheet1.xml": BOMB}), "E804", "--layout", "cases")
    add("import", "cases_corrupt.xlsx", b"PK\x03\x04" + b"\x01" * 300, "E406", "--layout", "cases")
    return out


def generate(root: str | Path) -> list[Case]:
    """Write the corpus under `root` and return its cases (without the helper files)."""
    root = Path(root)
    found = []
    for case, data in cases():
        path = root / case.file
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            path.write_bytes(data)
        if case.kind != "aux":
            found.append(case)
    (root / "manifest.json").write_text(json.dumps([asdict(c) for c in found], indent=1))
    return found


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile/generate.py OUTDIR")
    made = generate(sys.argv[1])
    by_kind: dict[str, int] = {}
    for c in made:
        by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
    print(f"{len(made)} hostile inputs in {sys.argv[1]}: " + ", ".join(f"{k} {n}" for k, n in by_kind.items()))
