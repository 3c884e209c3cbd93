"""Every user-facing error of qualcode, numbered and worded in one catalogue.

A message names what was wrong (the file, line, field or id), the bad value, and
what would be right, so that a researcher can fix the input without reading code.
Codes are stable: tests, docs and bug reports refer to them.

The templates themselves live in qualcode/error_catalogue/, one module per range of codes (add a
new code to the module of its domain); `Errors` gathers them all, as it always has.
"""

from __future__ import annotations

from qualcode.error_catalogue import Errors

__all__ = ["CodebookError", "Errors", "ImportFileError", "ProjectError", "QualcodeError"]


class QualcodeError(Exception):
    """An error a user can fix. `code` is the number (e.g. 'E203'); the message says how."""

    def __init__(self, code: str, /, **fields: object) -> None:
        self.code = code
        self.fields = fields
        template = getattr(Errors, code)
        super().__init__(f"[{code}] " + template.format(**fields))


class ImportFileError(QualcodeError):
    """A single file could not be imported; a batch import records it and goes on."""


class CodebookError(QualcodeError):
    """A codebook could not be read or has problems; `problems` lists each one (E602-E615)."""

    def __init__(self, code: str, problems: list[QualcodeError] | None = None, /, **fields: object) -> None:
        self.problems = problems or []
        super().__init__(code, **fields)


class ProjectError(QualcodeError):
    """The project file is missing, foreign, or too new."""
