"""Which files the browser app may read and write (single-user mode).

Someone who reaches the app types paths into it (a project to open, a codebook to edit), and
the server would otherwise read or overwrite any file its user can, the password file or a
key included. So the app touches only its own folders:

- the data folder (`qualcode.sample.data_dir()`: $QUALCODE_DATA_DIR, else the per-user one),
  where the sample project lives;
- the folder of the project the app was started with ($QUALCODE_PROJECT), and of the project
  open in this browser session;
- the codebooks shipped with qualcode;
- anything uploaded through the page (the app writes those itself, in a temporary folder).

A typed path is resolved first (`~`, `..` and every symlink), then it must lie inside one of
these folders. Saving a codebook also writes only `.yaml`/`.yml` files, and never over an
existing file that is not a codebook. The command line has no such limits: whoever runs it
already has the user's rights. The same rules will hold in team mode (the team-server issue).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from qualcode.errors import QualcodeError
from qualcode.sample import REPO, data_dir

SHIPPED_CODEBOOKS = REPO / "codebooks"
CODEBOOK_SUFFIXES = (".yaml", ".yml")
# Only the top level is looked at to tell a codebook from another file, so this bounds the
# work on a hostile file; real codebooks are far smaller.
SNIFF_BYTES = 4 * 1024 * 1024


def _real(path: str | Path) -> Path:
    return Path(os.path.expanduser(str(path))).resolve()


def folder_of(location: str | Path | None) -> Path | None:
    """The folder holding a project file, or None for a database URL or nothing."""
    if not location or "://" in str(location):
        return None
    return _real(location).parent


@dataclass(frozen=True)
class Folders:
    """The folders the app may use, resolved; `check` and friends raise numbered errors."""

    paths: tuple[Path, ...]

    @classmethod
    def for_app(cls, *project_locations: str | Path | None, extra: Iterable[str | Path] = ()) -> Folders:
        """The app's folders, given the projects in play (the startup one, the open one)."""
        found: list[Path] = [_real(data_dir()), _real(SHIPPED_CODEBOOKS)]
        found += [f for f in (folder_of(loc) for loc in project_locations) if f is not None]
        found += [_real(e) for e in extra]
        unique: list[Path] = []
        for folder in found:
            if folder not in unique:
                unique.append(folder)
        return cls(tuple(unique))

    def describe(self) -> str:
        return ", ".join(str(p) for p in self.paths)

    def check(self, typed: str | Path) -> Path:
        """The real path of `typed` if it lies inside one of the folders; E970 (or E973) if not."""
        text = str(typed).strip()
        if "://" in text:
            raise QualcodeError("E973", path=text, folders=self.describe())
        real = _real(text)
        if not any(real.is_relative_to(folder) for folder in self.paths):
            shown = f" (it is {real})" if str(real) != text else ""
            raise QualcodeError("E970", path=text, resolved=shown, folders=self.describe())
        return real

    def readable_file(self, typed: str | Path) -> Path:
        """`check`, and the path must be a regular file if it exists (never a folder or a device)."""
        real = self.check(typed)
        if real.exists() and not real.is_file():
            raise QualcodeError("E974", path=str(typed))
        return real

    def codebook_target(self, typed: str | Path) -> Path:
        """Where a codebook may be saved: inside the folders, a .yaml/.yml name, and either a new
        file or an existing codebook (never another file that happens to be there)."""
        real = self.readable_file(typed)
        if real.suffix.lower() not in CODEBOOK_SUFFIXES:
            raise QualcodeError("E971", path=str(typed))
        if real.exists():
            reason = not_a_codebook(real)
            if reason:
                raise QualcodeError("E972", path=str(typed), reason=reason)
        return real


def not_a_codebook(path: Path) -> str | None:
    """Why the file at `path` is not a codebook, or None if it is one.

    A codebook is a YAML mapping with a top-level `codes` key. A codebook with mistakes in its
    codes still counts (the editor exists to fix them); only the top level is read, from YAML
    events, so anchors are never expanded and the work stays linear in the file's size."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(SNIFF_BYTES + 1)
    except OSError as exc:
        return f"it cannot be read: {exc.strerror or exc}"
    if len(raw) > SNIFF_BYTES:
        return f"it is over {SNIFF_BYTES // (1024 * 1024)} MB"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    depth = 0
    expecting_key = False
    keys: set[str] = set()
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
                    return "its top level is a list, not a mapping"
                if depth == 1:
                    expecting_key = not expecting_key
                depth += 1
                if depth == 1:
                    expecting_key = True
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
                if depth == 0:
                    break
            elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                if depth == 0:
                    return "it is plain text, not a YAML mapping"
                if depth == 1:
                    if expecting_key and isinstance(event, yaml.ScalarEvent):
                        keys.add(event.value)
                    expecting_key = not expecting_key
    except yaml.YAMLError as exc:
        return f"it is not valid YAML ({getattr(exc, 'problem', None) or exc})"
    if depth == 0 and not keys:
        return "it has no YAML mapping"
    if "codes" not in keys:
        return "it has no 'codes' list"
    return None


def save_text(path: Path, text: str) -> None:
    """Write `text` whole or not at all: a temporary file beside it, renamed over it."""
    tmp = path.with_name(f".{path.name}.qualcode-tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
