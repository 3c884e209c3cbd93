"""REFI-QDA exchange: QDC codebooks and QDPX projects, in and out.

REFI-QDA is the standard that ATLAS.ti, MAXQDA, NVivo, QualCoder and others use to move
codebooks (.qdc, one XML file) and whole projects (.qdpx, a zip of `project.qde` and
`sources/`) between tools. Exports validate against the official schemas
(`Codebook.xsd`, `Project-mrt2019.xsd`) and round-trip without loss; imports are lenient
(real files break the schema in known ways, and each deviation is a warning) and safe
(no entities, DTDs or network; zip members checked and bounded before unpacking; one
transaction, so a bad file changes nothing).

    export_qdc(project_or_codebook_or_frame, "codes.qdc")
    import_qdc("codes.qdc")                      # -> QdcImport(codes, warnings)
    import_qdc("codes.qdc", project)             # ... and adds the codes to the project
    export_qdpx(project, "study.qdpx")           # -> QdpxExport(counts)
    import_qdpx(new_project, "study.qdpx")       # -> QdpxImport(counts, skipped, warnings)

Design, in brief (details in the modules):

- refi_safe: parsing and unpacking untrusted files, and the numbered errors (E8xx).
- refi_export: GUIDs (uuid5 of a fixed namespace, the project key and each item's natural
  key: stable across exports) and QDC codebooks; refi_export_project: what of a project
  goes where in a QDPX, and `qualcode.json`.
- refi_codes: lenient codebook reading and code ids made from names and hierarchy.
- refi_text: positions in a source file → offsets into qualcode's normalised text
  (BOM, CRLF, NFC; NVivo's UTF-16 counting detected and converted).
- refi_import (with refi_import_codings and refi_import_notes) / refi_plan / refi_store:
  reading a project file into a checked plan, then storing it in one transaction.
- refi_guids: the GUIDs another tool gave, kept so a re-export writes them back.
"""

from __future__ import annotations

from qualcode.exchange.refi_codes import QdcImport, RefiCode, import_qdc
from qualcode.exchange.refi_export import CODEBOOK_NS, NAMESPACE, PROJECT_NS, export_qdc, make_guid
from qualcode.exchange.refi_export_project import QdpxExport, export_qdpx
from qualcode.exchange.refi_import import import_qdpx
from qualcode.exchange.refi_plan import QdpxImport, Skipped
from qualcode.exchange.refi_safe import (
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    RefiError,
)

__all__ = [
    "CODEBOOK_NS",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "NAMESPACE",
    "PROJECT_NS",
    "QdcImport",
    "QdpxExport",
    "QdpxImport",
    "RefiCode",
    "RefiError",
    "Skipped",
    "export_qdc",
    "export_qdpx",
    "import_qdc",
    "import_qdpx",
    "make_guid",
]
