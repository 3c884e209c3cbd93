"""Importing transcripts and cases tables into a project (the `Project.import_files` family).

A mixin of `qualcode.project_core.ProjectCore`: each file is one transaction, a bad file
never touches what is already stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from qualcode import audit, versions
from qualcode.errors import ImportFileError, QualcodeError
from qualcode.ingest import (
    DOC_FILE_STEMS,
    ImportOptions,
    facesheet,
    is_cases_table,
    read_cases_table,
    read_file,
)
from qualcode.ingest import paths as ingest_paths
from qualcode.ingest.attributes import CasesTable
from qualcode.model import ImportReport, ImportResult
from qualcode.store import case_changes, queries
from qualcode.store.schema import cases, transcripts

Progress = Callable[[int, int, str], None]  # (done, total, item) after each file


class _ImportMethods:
    """Importing files (see the module docstring)."""

    engine: Engine
    location: str

    def import_files(
        self,
        paths: Sequence[str | Path],
        options: ImportOptions | None = None,
        *,
        attributes: str | Path | None = None,
        progress: Progress | None = None,
        actor: str | None = None,
    ) -> ImportReport:
        """Import transcripts (and cases tables) and report a result per file.

        A batch goes on past a bad file. Cases tables (a .csv/.xlsx with a case or file
        column and short values, or the file given as `attributes`) are read first and
        joined to the transcripts by case id or file name. In a batch, a folder's
        README/LICENSE is skipped.
        """
        options = options or ImportOptions()
        files, passed_over = ingest_paths.expand(paths)  # hidden files and folder links: reported below
        batch = str(uuid.uuid4())
        report = ImportReport()
        results: dict[Path, ImportResult] = {}
        table_paths = [Path(attributes)] if attributes else []
        table_paths += [f for f in files if f not in table_paths and is_cases_table(f, options)]
        total = len(dict.fromkeys(table_paths + files))
        done = 0

        cases_table: CasesTable | None = None
        for path in table_paths:
            result, loaded = self._import_cases_table(path, batch, options, files)
            results[path] = result
            cases_table = _merge_tables(cases_table, loaded) if loaded else cases_table
            done += 1
            if progress:
                progress(done, total, str(path))

        for path in files:
            if path in results:
                continue
            if len(files) > 1 and path.stem.lower() in DOC_FILE_STEMS:
                results[path] = ImportResult(
                    str(path), "skipped",
                    f"{path}: skipped, it looks like the folder's documentation, not an interview "
                    "(import it on its own to include it).",
                )
                self._log(batch, results[path])
            else:
                results[path] = self._import_one(path, options, cases_table, batch, actor)
            done += 1
            if progress:
                progress(done, total, str(path))
        report.results = [results[p] for p in dict.fromkeys(table_paths + files)]
        for path, why in passed_over:
            result = ImportResult(str(path), "skipped", f"{path}: skipped, {why}.")
            self._log(batch, result)
            report.results.append(result)
        return report

    def import_file(self, path: str | Path, options: ImportOptions | None = None) -> ImportResult:
        """Import one file; raises the file's QualcodeError instead of reporting it."""
        result = self.import_files([path], options).results[0]
        if result.status == "failed" and result.error is not None:
            raise result.error
        return result

    def _log(self, batch: str, result: ImportResult, transcript_id: int | None = None) -> None:
        with self.engine.begin() as conn:
            queries.log_import(conn, batch, result.file, result.status, result.message, result.error_code,
                               transcript_id)

    def _import_one(self, path: Path, options: ImportOptions, cases_table: CasesTable | None,
                    batch: str, actor: str | None = None) -> ImportResult:
        file = str(path)
        try:
            parsed_list = read_file(path, options, cases_table)
        except QualcodeError as exc:
            result = ImportResult(file, "failed", str(exc), error_code=exc.code, error=exc)
            self._log(batch, result)
            return result
        except Exception as exc:  # a reader bug must not stop the batch; say what happened
            result = ImportResult(file, "failed", f"{file}: unexpected error while reading: "
                                  f"{type(exc).__name__}: {exc}", error_code="E208", error=exc)
            self._log(batch, result)
            return result

        stored: list[str] = []
        skipped: list[str] = []
        warnings = [w for p in parsed_list for w in p.warnings]
        carried: dict[str, versions.Carry] = {}  # a new version keeps the codings of the old (issue 14.4)
        try:
            # One file, one transaction, and its log row in the same one: all of it is stored or none.
            with self.engine.begin() as conn:
                tid = None
                for parsed in parsed_list:
                    existing = queries.find_by_sha(conn, parsed.sha256)
                    if existing is not None:
                        skipped.append(str(ImportFileError("E210", file=file, existing=existing,
                                                           sha=parsed.sha256[:12])))
                        continue
                    previous = queries.current_version(conn, parsed.name)
                    if previous is not None and not options.new_version:
                        raise ImportFileError("E211", file=file, name=parsed.name)
                    case_changes.guard(conn, parsed, file, options.update_cases, warnings)  # E954
                    tid = queries.insert_transcript(conn, parsed, previous)
                    if previous is not None:
                        carried[parsed.name] = versions.carry_over_from(conn, previous, tid, parsed.text)
                    stored.append(parsed.name)
                result = _summary(file, parsed_list, stored, skipped, warnings)
                queries.log_import(conn, batch, file, result.status, result.message, result.error_code, tid)
                if stored:
                    audit.record(conn, actor, "import", "transcript", ", ".join(stored),
                                 dict(file=file, batch=batch, new_version=sorted(carried), skipped=len(skipped)))
            if carried:
                with audit.acting(actor):  # the re-code of the carried codings is the importer's
                    versions.finish(self, carried, result)
        except QualcodeError as exc:
            result = ImportResult(file, "failed", str(exc), error_code=exc.code, error=exc)
            self._log(batch, result)
        except SQLAlchemyError as exc:  # the transaction rolled back: nothing of this file is stored
            result = ImportResult(file, "failed", f"{file}: could not be stored ({type(exc).__name__}: "
                                  f"{exc.orig if hasattr(exc, 'orig') else exc}); nothing was changed.",
                                  error_code="E106", error=exc)
            self._log(batch, result)
        return result

    def _import_cases_table(self, path: Path, batch: str, options: ImportOptions | None = None,
                            files: Sequence[Path] = ()) -> tuple[ImportResult, CasesTable | None]:
        file = str(path)
        options = options or ImportOptions()
        try:
            table = read_cases_table(path, options)
        except QualcodeError as exc:
            result = ImportResult(file, "failed", str(exc), error_code=exc.code, error=exc)
            self._log(batch, result)
            return result, None
        unmatched = [] if options.keep_unmatched else facesheet.drop_unmatched(self.engine, table, files,
                                                                              options.max_bytes)
        with self.engine.begin() as conn:
            for case, attrs in table.by_case.items():
                case_id = queries.ensure_case(conn, case)
                queries.set_case_attributes(conn, case_id, attrs, path.name)
            relinked = self._relink_cases(conn, table)
            for name, attrs in table.attributes_of_file.items():
                for row in conn.execute(select(transcripts.c.case_id).where(transcripts.c.source_name == name)):
                    queries.set_case_attributes(conn, row.case_id, attrs, path.name)
        n_attrs = len({k for a in table.by_case.values() for k in a} |
                      {k for a in table.attributes_of_file.values() for k in a})
        message = f"{file}: cases table with {len(table.by_case) or len(table.attributes_of_file)} cases, " \
                  f"{n_attrs} attributes"
        if relinked:
            message += f"; linked {relinked} earlier transcript(s) to their cases"
        result = ImportResult(file, "imported", message, warnings=facesheet.warnings(file, unmatched))
        self._log(batch, result)
        return result, table

    @staticmethod
    def _relink_cases(conn, table: CasesTable) -> int:
        """Transcripts imported before the cases table got their file name as case: join them now."""
        moved = 0
        for row in conn.execute(
            select(transcripts.c.id, transcripts.c.source_name, transcripts.c.case_id, cases.c.name)
            .select_from(transcripts.join(cases))
        ).all():
            target = table.case_of_file.get(row.source_name.lower())
            if target is None or target == row.name:
                continue
            target_id = queries.ensure_case(conn, target)
            conn.execute(update(transcripts).where(transcripts.c.id == row.id).values(case_id=target_id))
            moved += 1
        return moved


def _summary(file: str, parsed_list: list, stored: list[str], skipped: list[str],
             warnings: list[str]) -> ImportResult:
    if not stored:
        return ImportResult(file, "skipped", "; ".join(skipped), error_code="E210", warnings=warnings)
    done = [p for p in parsed_list if p.name in stored]
    from qualcode.wording import count

    n_turns = sum(len(p.turns) for p in done)
    words = sum(p.word_count for p in done)
    speakers = sorted({f"{t.speaker or '(none)'}={t.role}" for p in done for t in p.turns})
    langs = sorted({p.language or "?" for p in done})
    message = (f"{file}: imported {', '.join(stored)} ({count(n_turns, 'turn')}, {count(words, 'word')}, "
               f"language {'/'.join(langs)}; speakers {', '.join(speakers)})")
    if skipped:
        message += f"; {len(skipped)} already present"
    reports = [f"{p.name}: {p.report.summary()}" for p in done if p.report is not None]
    return ImportResult(file, "imported", message, transcripts=stored, turns=n_turns, words=words,
                        warnings=warnings, reports=reports)


def _merge_tables(a: CasesTable | None, b: CasesTable) -> CasesTable:
    if a is None:
        return b
    a.by_case.update(b.by_case)
    a.case_of_file.update(b.case_of_file)
    a.attributes_of_file.update(b.attributes_of_file)
    return a
