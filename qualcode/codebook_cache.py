"""The result of the "never matches" check (E613) kept by the codebook's hash (issue 17).

The check lemmatises every phrase, `near` and `unless` pattern, so it builds the spaCy pipeline of
each language: about 1.4 s of the 1.4 s `load_codebook` took, paid again by every command and
page that loads the same, unchanged codebook. Its result depends only on the codebook's bytes
and on the lemmatiser: qualcode's own analysis code (`nlp.py`, `tokens.py`) and the installed
spaCy, lookup tables and pymorphy3. The key is a hash of all of these, so an edited codebook, an
upgraded package or a changed tokenizer runs the check afresh.

The results live in one small JSON file per key under $QUALCODE_CACHE_DIR, else
$XDG_CACHE_HOME/qualcode or ~/.cache/qualcode. It is only a cache: a file that cannot be read or
written is passed over and the check runs as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

CHECK_VERSION = "1"  # bump when _never_match changes what it reports
_PACKAGES = ("spacy-", "spacy_lookups_data-", "pymorphy3-", "pymorphy3_dicts_ru-")
_memory: dict[str, list[dict[str, Any]]] = {}
_fingerprint: list[str] = []


def cache_dir() -> Path:
    if explicit := os.environ.get("QUALCODE_CACHE_DIR"):
        return Path(explicit) / "codebook-checks"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qualcode" / "codebook-checks"


def _lemmatiser() -> str:
    """What the check's answer depends on besides the codebook (computed once per process)."""
    if not _fingerprint:
        digest = hashlib.sha256(CHECK_VERSION.encode())
        here = Path(__file__).parent
        for name in ("nlp.py", "tokens.py"):
            try:
                digest.update((here / name).read_bytes())
            except OSError:
                digest.update(name.encode())
        try:  # the installed versions, from the names of their dist-info folders (no metadata parsing)
            installed = sorted(n for n in os.listdir(sysconfig.get_paths()["purelib"]) if n.startswith(_PACKAGES))
        except OSError:
            installed = []
        digest.update("\n".join(installed).encode())
        _fingerprint.append(digest.hexdigest())
    return _fingerprint[0]


def key(codebook_sha256: str) -> str:
    return hashlib.sha256(f"{codebook_sha256}:{_lemmatiser()}".encode()).hexdigest()[:32]


def get(cache_key: str) -> list[dict[str, Any]] | None:
    """The E613 problems found before for this key (each the fields of one problem), or None."""
    if cache_key in _memory:
        return _memory[cache_key]
    try:
        found = json.loads((cache_dir() / f"{cache_key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        return None
    _memory[cache_key] = found
    return found


def put(cache_key: str, found: list[dict[str, Any]]) -> None:
    _memory[cache_key] = found
    folder = cache_dir()
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(found, out, ensure_ascii=False)
        os.replace(tmp, folder / f"{cache_key}.json")  # whole or not at all, for concurrent commands
    except OSError:  # a read-only or full disk: the check simply runs again next time
        if tmp:
            Path(tmp).unlink(missing_ok=True)
