"""qualcode: code qualitative interviews.

The public API: `Project` (create/open a project, import files, read transcripts,
turns and cases as pandas DataFrames) and `ImportOptions`.
"""

__version__ = "0.1.0"

from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions
from qualcode.model import ImportReport, ImportResult, ParsedTranscript, Turn
from qualcode.project import Project

__all__ = [
    "ImportOptions",
    "ImportReport",
    "ImportResult",
    "ParsedTranscript",
    "Project",
    "QualcodeError",
    "Turn",
    "__version__",
]
