"""qualcode: code qualitative interviews.

The public API: `Project` (create/open a project, import files, read transcripts,
turns, cases and codings as pandas DataFrames, auto-code with a codebook),
`Codebook` (`load_codebook(path)`), `ImportOptions` and `Run`.
"""

__version__ = "0.1.0"

from qualcode.codebook import Codebook
from qualcode.codebook import load as load_codebook
from qualcode.errors import CodebookError, QualcodeError
from qualcode.ingest import ImportOptions
from qualcode.model import ImportReport, ImportResult, ParsedTranscript, Run, Turn
from qualcode.project import Project

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
