"""`Project`: the one API that the browser, the CLI and scripts all use.

A project is one SQLite file (or a SQLAlchemy URL). Every write that belongs
together is one transaction: importing a file either stores all of its
transcripts, turns and attributes, or nothing, and a bad file never touches
what is already stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from qualcode import audit
from qualcode.ingest import paths as ingest_paths
from qualcode.project_core import Progress, ProjectCore
from qualcode.store import coding_queries, queries
from qualcode.store.schema import codes as codes_table

if TYPE_CHECKING:
    from qualcode.exchange.codings import CodingsImport
    from qualcode.exchange.refi import QdcImport, QdpxExport, QdpxImport

__all__ = ["Progress", "Project", "expand_paths"]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders as their files (sorted, recursively; hidden ones passed over, see
    `qualcode.ingest.paths`), duplicates removed."""
    return ingest_paths.expand(paths)[0]


class Project(ProjectCore):
    """An open qualcode project. Use `Project.create` or `Project.open`; close it, or use `with`."""

    # The exchange methods live here, above qualcode.exchange (which builds on ProjectCore), so
    # that imports run one way; each imports its exchange module when called.

    def import_codings(self, path: str | Path, *, coder: str | None = None,
                       create_codes: bool = False, actor: str | None = None) -> CodingsImport:
        """Import human codings made elsewhere (a CSV with the `codings` columns).

        Every row is checked first (transcript, code, offsets, and that `text` is what the
        transcript has there); if any row is bad, nothing is imported. Rows already in the
        project (same transcript, code, span and coder) are skipped, so re-importing is safe.
        """
        from qualcode.exchange.codings import CodingsImport
        from qualcode.exchange.codings import read_rows as read_codings_rows
        from qualcode.store.schema import codings as codings_table

        with self.engine.connect() as conn:
            texts = {r.name: r.text for r in coding_queries.current_transcripts(conn)}
            known = set(coding_queries.code_ids(conn))
        rows = read_codings_rows(path, texts, known, coder=coder, create_codes=create_codes)
        report = CodingsImport(str(path))
        stamp = queries.now()
        with self.engine.begin() as conn:
            ids = coding_queries.code_ids(conn)
            tids = {r.name: r.id for r in coding_queries.current_transcripts(conn)}
            coder_ids: dict[str, int] = {}
            existing = {(r.transcript_id, r.code_id, r.start_offset, r.end_offset, r.coder_id)
                        for r in conn.execute(select(codings_table.c.transcript_id, codings_table.c.code_id,
                                                     codings_table.c.start_offset, codings_table.c.end_offset,
                                                     codings_table.c.coder_id)
                                              .where(codings_table.c.origin.in_(["manual", "import"])))}
            out = []
            for row in rows:
                if row.code not in ids:
                    ids[row.code] = conn.execute(insert(codes_table).values(
                        path=row.code, name=row.code.rsplit(".", 1)[-1], created_at=stamp, updated_at=stamp,
                    )).inserted_primary_key[0]
                    report.created_codes.append(row.code)
                if row.coder not in coder_ids:
                    coder_ids[row.coder] = coding_queries.ensure_coder(conn, row.coder)
                key = (tids[row.transcript], ids[row.code], row.start, row.end, coder_ids[row.coder])
                if key in existing:
                    report.duplicates += 1
                    continue
                existing.add(key)
                out.append(dict(transcript_id=key[0], code_id=key[1], start_offset=row.start, end_offset=row.end,
                                coder_id=key[4], origin=row.origin, status=row.status, confidence=row.confidence,
                                memo=row.memo, created_at=stamp, updated_at=stamp))
                report.per_code[row.code] = report.per_code.get(row.code, 0) + 1
            coding_queries.insert_codings(conn, out)
            report.imported = len(out)
            audit.record(conn, actor, "import.codings", "file", str(path), dict(
                imported=len(out), duplicates=report.duplicates, per_code=report.per_code,
                created_codes=report.created_codes, coders=sorted(coder_ids)))
        return report

    def export_qdpx(self, path: str | Path, *, include_suggestions: bool = False,
                    statuses: Sequence[str] | None = None) -> QdpxExport:
        """The project as a REFI-QDA project (.qdpx) for ATLAS.ti, MAXQDA, NVivo, QualCoder...;
        other tools see accepted codings, suggestions too with `include_suggestions`, rejected
        ones never (qualcode.json keeps them all for a qualcode round trip)."""
        from qualcode.exchange.refi import export_qdpx

        return export_qdpx(self, path, include_suggestions=include_suggestions, statuses=statuses)

    def import_qdpx(self, path: str | Path, *, actor: str | None = None) -> QdpxImport:
        """Sources, codes, codings, coders, cases and memos of a REFI-QDA project, in one
        transaction (a bad file changes nothing); non-text sources are reported as skipped.
        The audit log records it ("import.qdpx") as `actor`'s."""
        from qualcode.exchange.refi import import_qdpx

        with audit.acting(actor):
            return import_qdpx(self, path)

    def export_qdc(self, path: str | Path) -> Path:
        """The project's codes as a REFI-QDA codebook (.qdc)."""
        from qualcode.exchange.refi import export_qdc

        return export_qdc(self, path)

    def import_qdc(self, path: str | Path) -> QdcImport:
        """Codes from a REFI-QDA codebook (.qdc); each deviation from the standard is a warning."""
        from qualcode.exchange.refi import import_qdc

        return import_qdc(path, self)
