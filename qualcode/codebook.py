"""Codebooks: a YAML file of codes, their definitions and their rules.

The format is documented, with a worked example, in `codebooks/README.md`. A
codebook is validated as a whole when it is loaded: every problem is reported at
once, each with the file, the line, the code or rule, what is wrong and the fix,
so a sociologist can correct the file in one pass.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from qualcode import safe_yaml
from qualcode.codebook_build import _Builder, _Problems
from qualcode.codebook_conditions import compute, condition_names, evaluate
from qualcode.codebook_model import (
    CODE_ID,
    COLOUR,
    CONTEXT_DEFAULTS,
    CONTEXT_KEYS,
    DEFAULT_NEGATION,
    KNOWN_LANGUAGES,
    RULE_KINDS,
    UNITS,
    Code,
    Codebook,
    Negation,
    Profile,
    Rule,
    TypeDef,
)
from qualcode.codebook_yaml import parse as parse_yaml
from qualcode.errors import CodebookError

__all__ = [
    "CODE_ID",
    "COLOUR",
    "CONTEXT_DEFAULTS",
    "CONTEXT_KEYS",
    "DEFAULT_NEGATION",
    "KNOWN_LANGUAGES",
    "RULE_KINDS",
    "UNITS",
    "Code",
    "Codebook",
    "Negation",
    "Profile",
    "Rule",
    "TypeDef",
    "compute",
    "condition_names",
    "evaluate",
    "load",
    "loads",
]


def load(path: str | Path) -> Codebook:
    """Read and validate a codebook; raises CodebookError listing every problem."""
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError("E601", file=file, reason="file not found") from None
    except OSError as exc:
        raise CodebookError("E601", file=file, reason=exc.strerror or str(exc)) from None
    return loads(data, file)


def loads(data: bytes | str, file: str = "<codebook>") -> Codebook:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError("E601", file=file, reason=f"it is not UTF-8 text (byte {exc.start})") from None
    problems = _Problems(file)
    try:
        doc, duplicates = parse_yaml(text)  # libyaml events; line marks kept, aliases and depth refused
    except safe_yaml.Refused as exc:
        problems.add(exc.code, line=exc.line, kind="codebooks", **exc.fields)
        problems.raise_if_any()
    except yaml.reader.ReaderError as exc:  # NUL and other control characters
        problems.add("E602", line=getattr(getattr(exc, "problem_mark", None), "line", 0) + 1, where="file",
                     reason=str(exc).split("\n")[0], fix="save the codebook as plain UTF-8 text")
        problems.raise_if_any()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add("E602", line=(mark.line + 1) if mark else 1, where="file",
                     reason=getattr(exc, "problem", None) or str(exc),
                     fix="check indentation, and quote values that contain ': ' or start with '#', '*' or '&'")
        problems.raise_if_any()
    for _line_no, key, first, second in duplicates:
        problems.add("E617", line=second, where="file", key=key, first=first)
    if not isinstance(doc, dict):
        problems.add("E604", line=1, where="file", key="(top level)", expected="a mapping with name, version, "
                     "languages and codes", found=type(doc).__name__, fix="see codebooks/README.md")
        problems.raise_if_any()
    sha256 = hashlib.sha256(raw).hexdigest()
    book = _Builder(doc, problems, file, sha256).build()
    problems.raise_if_any()
    book.sha256 = sha256
    book.path = file
    return book
