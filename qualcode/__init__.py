"""qualcode: code qualitative interviews.

The public API: `Project` (create/open a project, import files, read transcripts,
turns, cases and codings as pandas DataFrames, auto-code with a codebook),
`Codebook` (`load_codebook(path)`), `ImportOptions` and `Run`.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

# The public names are imported when first used (PEP 562), not with the package: every
# `qualcode.x` import runs this file first, and `qualcode --help` should not pay for pandas,
# SQLAlchemy and the analysis modules that `Project` pulls in (issue 17).
_PUBLIC = {
    "Codebook": ("qualcode.codebook", "Codebook"),
    "load_codebook": ("qualcode.codebook", "load"),
    "CodebookError": ("qualcode.errors", "CodebookError"),
    "QualcodeError": ("qualcode.errors", "QualcodeError"),
    "ImportOptions": ("qualcode.ingest", "ImportOptions"),
    "ImportReport": ("qualcode.model", "ImportReport"),
    "ImportResult": ("qualcode.model", "ImportResult"),
    "ParsedTranscript": ("qualcode.model", "ParsedTranscript"),
    "Run": ("qualcode.model", "Run"),
    "Turn": ("qualcode.model", "Turn"),
    "Project": ("qualcode.project", "Project"),
}

if TYPE_CHECKING:
    from qualcode.codebook import Codebook
    from qualcode.codebook import load as load_codebook
    from qualcode.errors import CodebookError, QualcodeError
    from qualcode.ingest import ImportOptions
    from qualcode.model import ImportReport, ImportResult, ParsedTranscript, Run, Turn
    from qualcode.project import Project


def __getattr__(name: str) -> object:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'qualcode' has no attribute {name!r}")
    import importlib

    module, attr = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # once: later lookups find it without this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])

__all__ = [
    "Codebook",
    "CodebookError",
    "ImportOptions",
    "ImportReport",
    "ImportResult",
    "ParsedTranscript",
    "Project",
    "QualcodeError",
    "Run",
    "Turn",
    "__version__",
    "load_codebook",
]
