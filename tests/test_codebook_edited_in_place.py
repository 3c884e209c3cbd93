"""A codebook file edited in place (same path, same size, same modification time, new content)
codes its new rules on the next run in the same process.

The app and scripts re-code from one codebook path many times in one process, and several
in-process caches sit on that way: the loaded codebook (`codebook_cache`), the compiled
matchers (`autocode.compile_rules`) and this process's copy of rule matches
(`match_cache.MEMO`). None may hand back the old rules' codings.
"""

from __future__ import annotations

import os
from pathlib import Path

from qualcode import Project
from tests.run_support import AUTOCODE, imported, rule_codings

V1 = AUTOCODE / "codebook_v1.yaml"


def small(tmp: Path, name: str) -> Project:
    return imported(tmp, name)


def rewrite(path: Path, text: str) -> None:
    """New content with the file's old size and modification time: only the bytes tell."""
    stat = path.stat()
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_codebook_edited_in_place_codes_its_new_rules_on_the_next_run(tmp_path: Path) -> None:
    text = V1.read_text(encoding="utf-8")
    # The same length and version: 'find work' becomes a phrase no transcript has.
    edited = text.replace("[find work, problem finding work]", "[fxnd work, problem fxnding work]")
    assert edited != text and len(edited) == len(text)
    book = tmp_path / "book.yaml"
    book.write_text(text, encoding="utf-8")

    # What each text codes in a project of its own, from a path of its own.
    reference = {}
    for name, content in (("v1", text), ("edited", edited)):
        own = tmp_path / f"{name}.yaml"
        own.write_text(content, encoding="utf-8")
        p = small(tmp_path, f"{name}.qcdb")
        p.autocode(own)
        reference[name] = rule_codings(p)
        p.close()
    assert any(c[1] == "work.find" for c in reference["v1"])
    assert not any(c[1] == "work.find" for c in reference["edited"])

    p = small(tmp_path, "p.qcdb")
    p.autocode(book)
    assert rule_codings(p) == reference["v1"]
    rewrite(book, edited)
    p.autocode(book)
    assert rule_codings(p) == reference["edited"]
    rewrite(book, text)  # and back: the first rules' codings return
    p.autocode(book)
    assert rule_codings(p) == reference["v1"]
    p.close()
