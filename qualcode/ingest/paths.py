"""Which files an import reads, and what their names become: nothing passed over in silence.

A folder is read recursively, but its hidden entries (names starting with `.`: `.DS_Store`,
`.git/`, an editor's `.~lock` file) and links to other folders are passed over, and each
is reported as skipped with the reason, so a user who expected `.interview.txt` to come in
sees why it did not. A file given by name is read even if hidden.

A symbolic link to a file is read (as every program reading a path does), with a warning
naming where it points, so a link that leads out of the folder does not go unnoticed.

A transcript is named after its file. Control characters in a file name (a line break, a
tab) would end up in every table and command line that shows the name, so each run of them
becomes one space, with a warning giving the new name.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from pathlib import Path

# Cc: control characters (line breaks, tabs, NUL...); Zl/Zp: the Unicode line and paragraph
# separators, which also break a line. Format characters (Cf, e.g. the zero-width joiner)
# belong to some scripts' spelling and are kept.
_BREAKING = {"Cc", "Zl", "Zp"}


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files as given, folders as their files (sorted, recursively), duplicates removed; and
    the entries of those folders that were passed over, each with the reason."""
    files: list[Path] = []
    passed_over: list[tuple[Path, str]] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            _walk(path, files, passed_over)
        else:
            files.append(path)
    return list(dict.fromkeys(files)), passed_over


def _walk(folder: Path, files: list[Path], passed_over: list[tuple[Path, str]]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return  # an unreadable subfolder: the import of what can be read goes on
    for entry in entries:
        path = folder / entry.name
        is_dir = entry.is_dir()  # follows links, as the user's file manager shows them
        if entry.name.startswith("."):
            what = "a hidden folder (its files are not imported either)" if is_dir else "a hidden file"
            passed_over.append((path, f"{what}; give it by name to import it"))
        elif is_dir and entry.is_symlink():
            passed_over.append((path, f"a link to the folder {os.path.realpath(path)}, not followed; give "
                                      "that folder by name to import it"))
        elif is_dir:
            _walk(path, files, passed_over)
        elif entry.is_file():
            files.append(path)


def link_warning(path: Path) -> str | None:
    """A warning if `path` is a symbolic link (the import reads the file it points to)."""
    if path.is_symlink():
        return f"{path}: is a symbolic link to {os.path.realpath(path)}; imported the file it points to."
    return None


def clean_name(name: str) -> str:
    """`name` with each run of control characters (line breaks, tabs) as one space, trimmed;
    a name without them is returned as it is."""
    if not any(unicodedata.category(c) in _BREAKING for c in name):
        return name
    out: list[str] = []
    for c in name:
        if unicodedata.category(c) not in _BREAKING:
            out.append(c)
        elif not out or out[-1] != " ":
            out.append(" ")
    return "".join(out).strip()


def transcript_name(name: str, file: str) -> tuple[str, list[str]]:
    """The transcript name for `name` (a file stem or `--name`) and any warning about it."""
    cleaned = clean_name(name)
    if cleaned == name:
        return name, []
    cleaned = cleaned or "untitled"
    return cleaned, [f"{file}: the name {name!r} has a line break or another control character; "
                     f"the transcript is named {cleaned!r}."]
