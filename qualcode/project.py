"""`Project`: the one API that the browser, the CLI and scripts all use.

A project is one SQLite file (or a SQLAlchemy URL). Every write that belongs
together is one transaction: importing a file either stores all of its
transcripts, turns and attributes, or nothing, and a bad file never touches
what is already stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from qualcode import __version__, audit, versions
from qualcode import runs as run_engine
from qualcode.analysis.typology import RuleTypology
from qualcode.codebook import Codebook
from qualcode.codebook import load as load_codebook
from qualcode.codebook import loads as load_codebook_text
from qualcode.errors import ImportFileError, ProjectError, QualcodeError
from qualcode.evaluation import RuleEvaluation, evaluate
from qualcode.exchange.codings import CodingsImport
from qualcode.exchange.codings import read_rows as read_codings_rows
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
from qualcode.model import ImportReport, ImportResult, Run
from qualcode.store import case_changes, coding_queries, current_revision, open_engine, queries
from qualcode.store import codebooks as stored_codebooks
from qualcode.store.database import default_name
from qualcode.store.schema import cases, transcripts
from qualcode.store.schema import codes as codes_table

if TYPE_CHECKING:  # the report pulls in scikit-learn: import it only when a typology is built
    from qualcode.analysis.agreement import Agreement
    from qualcode.analysis.report import TypologyReport
    from qualcode.codes import DeletedCode, MergeReport
    from qualcode.exchange.refi import QdcImport, QdpxExport, QdpxImport
    from qualcode.suggest.learn import ModelRun

Progress = Callable[[int, int, str], None]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders as their files (sorted, recursively; hidden ones passed over, see
    `qualcode.ingest.paths`), duplicates removed."""
    return ingest_paths.expand(paths)[0]


class Project:
    """An open qualcode project. Use `Project.create` or `Project.open`; close it, or use `with`."""

    def __init__(self, engine: Engine, location: str | Path) -> None:
        self.engine = engine
        self.location = str(location)

    # --- life cycle ------------------------------------------------------------------------

    @classmethod
    def create(cls, location: str | Path, *, name: str | None = None) -> Project:
        """Create a new, empty project. Raises ProjectError E102 if it already exists."""
        engine = open_engine(location, create=True)
        project = cls(engine, location)
        with engine.begin() as conn:
            queries.set_info(
                conn,
                name=name or default_name(location),
                created_at=dt.datetime.now(dt.UTC).isoformat(),
                created_with=f"qualcode {__version__}",
            )
        return project

    @classmethod
    def open(cls, location: str | Path, *, create: bool = False) -> Project:
        """Open a project, upgrading its schema if it was written by an older qualcode.

        With `create=True` a missing project is created instead of raising E101.
        """
        if create and not Path(str(location)).exists() and "://" not in str(location):
            return cls.create(location)
        return cls(open_engine(location, create=False), location)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        with self.engine.connect() as conn:
            return queries.get_info(conn).get("name", Path(self.location).stem)

    @property
    def schema_revision(self) -> str | None:
        return current_revision(self.engine)

    # --- import ----------------------------------------------------------------------------

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

    # --- read ------------------------------------------------------------------------------

    def transcripts(self, all_versions: bool = False) -> pd.DataFrame:
        """One row per transcript: name, case, language, version, turns, words, format, source, ..."""
        with self.engine.connect() as conn:
            return queries.transcripts_frame(conn, all_versions)

    def turns(self, transcript: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Turns with columns transcript, turn, speaker, role, start, end, timestamp, text.

        `text` is exactly `transcript_text[start:end]`.
        """
        names = [transcript] if isinstance(transcript, str) else transcript
        with self.engine.connect() as conn:
            if names:
                known = set(queries.transcripts_frame(conn)["transcript"])
                for name in names:
                    if name not in known:
                        raise ProjectError("E105", name=name, known=", ".join(sorted(known)) or "(none)")
            return queries.turns_frame(conn, names)

    def transcript_text(self, name: str) -> str:
        with self.engine.connect() as conn:
            row = queries.transcript_row(conn, name)
            if row is None:
                known = ", ".join(queries.transcripts_frame(conn)["transcript"]) or "(none)"
                raise ProjectError("E105", name=name, known=known)
            return row.text

    def cases(self) -> pd.DataFrame:
        """One row per case with its typed attributes."""
        with self.engine.connect() as conn:
            return queries.cases_frame(conn)

    def attribute_types(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return queries.attribute_types(conn)

    def import_log(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return queries.import_log_frame(conn)

    # --- settings ----------------------------------------------------------------------------

    SETTINGS: ClassVar[dict[str, tuple[str, ...]]] = {"autocode_status": ("suggested", "accepted")}

    def setting(self, key: str) -> str:
        """A project setting; `autocode_status` (suggested | accepted) is the status of rule codings."""
        if key not in self.SETTINGS:
            raise QualcodeError("E709", key=key, value=None, hint=f"Known settings: {', '.join(self.SETTINGS)}.")
        with self.engine.connect() as conn:
            return queries.get_info(conn).get(key, self.SETTINGS[key][0])

    def set_setting(self, key: str, value: str) -> None:
        allowed = self.SETTINGS.get(key)
        if allowed is None or value not in allowed:
            hint = f"Use one of: {', '.join(allowed)}." if allowed else f"Known settings: {', '.join(self.SETTINGS)}."
            raise QualcodeError("E709", key=key, value=value, hint=hint)
        with self.engine.begin() as conn:
            queries.set_info(conn, **{key: value})

    # --- codes and codings -------------------------------------------------------------------

    def autocode(
        self,
        codebook: Codebook | str | Path,
        *,
        transcripts: Sequence[str] | None = None,
        accept: bool | None = None,
        dry_run: bool = False,
        progress: Progress | None = None,
        workers: int | None = None,
        scheduler: object | None = None,
        actor: str | None = None,
    ) -> Run:
        """Code the current transcripts (or those named) with a codebook's rules.

        The run replaces the previous rule codings of those transcripts in one transaction;
        human codings are never touched, and reviewers' accept/reject decisions are kept
        for codings that come back. `accept=True` stores codings as accepted instead of the
        project's `autocode_status` setting (default: suggested). `dry_run` changes nothing
        and reports what the run would add and remove. `workers` analyses in local processes;
        `scheduler` (a Dask scheduler address or `distributed.Client`) runs on a cluster.
        """
        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        if not dry_run:  # the project keeps what it was coded with (see qualcode.store.codebooks)
            with self.engine.begin() as conn:
                stored_codebooks.keep(conn, book)
        with audit.acting(actor):  # the audit log's actor of the re-code (runs.py takes no actor)
            return run_engine.autocode(self.engine, book, transcripts=transcripts, accept=accept, dry_run=dry_run,
                                       progress=progress, workers=workers, scheduler=scheduler)

    def codings(
        self,
        transcripts: Sequence[str] | None = None,
        *,
        origin: str | Sequence[str] | None = None,
        status: str | Sequence[str] | None = None,
        coder: str | Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """One row per coding: transcript, case, code, start, end, text, speaker, role, coder,
        origin, rule, status, confidence, run (then turn, matched words, memo, id).

        `coder` keeps one coder's codings or several coders' (rule and model codings have no
        coder); without it, every coder's codings are merged in one frame."""
        origins = [origin] if isinstance(origin, str) else origin
        statuses = [status] if isinstance(status, str) else status
        with self.engine.connect() as conn:
            frame = coding_queries.codings_frame(conn, transcripts, origins, statuses)
        if coder is not None:
            wanted = [coder] if isinstance(coder, str) else list(coder)
            known = self.coders()
            if unknown := [c for c in wanted if c not in known]:
                raise QualcodeError("E724", name=", ".join(unknown), known=", ".join(known) or "(none)")
            frame = frame[frame["coder"].isin(wanted)].reset_index(drop=True)
        return frame

    def codes(self) -> pd.DataFrame:
        """The project's codes: code (id path), name, parent, description, color."""
        from qualcode.store.schema import codes

        with self.engine.connect() as conn:
            rows = conn.execute(select(codes).order_by(codes.c.sort_order, codes.c.path)).all()
        by_id = {r.id: r.path for r in rows}
        return pd.DataFrame([{"code": r.path, "name": r.name, "parent": by_id.get(r.parent_id),
                              "description": r.description, "color": r.color} for r in rows],
                            columns=["code", "name", "parent", "description", "color"])

    # --- codebook editing and retrieval ---------------------------------------------------------
    # The work is in qualcode.codes; each write is one transaction.

    # Each edit takes `actor` (who, for the audit log) and `version` (the `codebook_version()` the
    # editor saw: E550, and nothing written, if another edit landed since).

    def codebook_version(self) -> str:
        """A short hash of the codes as they are now; give it back as `version=` with an edit."""
        from qualcode import conflicts

        with self.engine.connect() as conn:
            return conflicts.codebook_version(conn)

    def add_code(self, code: str, name: str | None = None, parent: str | None = None,
                 description: str | None = None, color: str | None = None, **who: str | None) -> None:
        """Add a code (id like `push.housing`, the codebook's rule); E740/E741 if bad or taken."""
        from qualcode import codes as code_ops

        code_ops.add_code(self.engine, code, name, parent, description, color, **who)

    def rename_code(self, code: str, name: str, **who: str | None) -> None:
        """Change a code's name; its id, which codings and rules point at, stays."""
        from qualcode import codes as code_ops

        code_ops.rename_code(self.engine, code, name, **who)

    def move_code(self, code: str, parent: str | None, **who: str | None) -> None:
        """Put a code under another parent (None: top level); E742 for a cycle."""
        from qualcode import codes as code_ops

        code_ops.move_code(self.engine, code, parent, **who)

    def set_code(self, code: str, **fields: str | None) -> None:
        """Change a code's `name`, `description` or `color` (only the fields given)."""
        from qualcode import codes as code_ops

        code_ops.set_code(self.engine, code, **fields)

    def merge_codes(self, source: str, target: str, **who: str | None) -> MergeReport:
        """Codings, decisions, memos and sub-codes of `source` go to `target`; `source` is deleted."""
        from qualcode import codes as code_ops

        return code_ops.merge_codes(self.engine, source, target, **who)

    def delete_code(self, code: str, *, confirm: bool = False, with_children: bool = False,
                    **who: str | None) -> DeletedCode:
        """Delete a code with its codings (E744 unless `confirm` when it has any); returns the
        snapshot that `restore_code` puts back."""
        from qualcode import codes as code_ops

        return code_ops.delete_code(self.engine, code, confirm=confirm, with_children=with_children, **who)

    def restore_code(self, snapshot: DeletedCode, **who: str | None) -> None:
        """Undo `delete_code`: the codes, codings, review decisions and memos come back."""
        from qualcode import codes as code_ops

        code_ops.restore_code(self.engine, snapshot, **who)

    def load_codes(self, codebook: Codebook | str | Path, **who: str | None) -> int:
        """Take a codebook's codes into the project without coding; returns how many."""
        from qualcode import codes as code_ops

        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        return code_ops.load_codes(self.engine, book, **who)

    def audit(self, *, actor: str | None = None, action: str | None = None, since: object = None,
              limit: int | None = None) -> pd.DataFrame:
        """Who did what and when, newest first (see qualcode.audit): filter by `actor`, `action`
        ("coding.delete", or a family: "coding") and `since` (ISO date or time, UTC)."""
        with self.engine.connect() as conn:
            return audit.frame(conn, actor=actor, action=action, since=since, limit=limit)

    def review_codings(self, ids: Sequence[int], status: str, reviewer: str) -> int:
        """`review_coding` for many codings in one transaction; returns how many."""
        from qualcode import codes as code_ops

        return code_ops.review_codings(self.engine, ids, status, reviewer)

    def set_case_attributes(self, frame: pd.DataFrame, *, source: str = "edited in qualcode") -> int:
        """Save an edited `cases()` table, checked against `attribute_types()`: any bad cell
        (E750 lists each) and nothing is saved. Returns how many values changed."""
        from qualcode import cases as case_ops

        return case_ops.set_case_attributes(self.engine, frame, source=source)

    def retrieve(self, codes: Sequence[str], *, where: dict[str, object] | None = None,
                 statuses: Sequence[str] = ("accepted", "suggested"), roles: Sequence[str] | None = None,
                 context: int = 240) -> pd.DataFrame:
        """Segments coded with `codes` (a parent code takes its sub-codes), of cases whose
        attributes pass `where` ({"gender": ["female"]}, {"age": (30, 45)}), with up to `context`
        characters of their turn before and after, and a `link` to the workbench."""
        from qualcode import retrieval

        frame = self.codings(status=list(statuses))
        names = sorted(set(frame["transcript"]))
        return retrieval.segments(frame, self.codes(), self.cases(), self.attribute_types(),
                                 self.turns(names),
                                 {n: self.transcript_text(n) for n in names}, list(codes), where=where,
                                 statuses=statuses, roles=roles, context=context)

    def rule_hits(self, codebook: Codebook | str | Path, code: str, *, rules: Sequence[str] | None = None,
                  transcripts: Sequence[str] | None = None) -> pd.DataFrame:
        """Where one code's rules (or the `rules` named) fire in the corpus, and each match's fate
        (coded, or why it was dropped); writes nothing."""
        from qualcode import codes as code_ops

        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        return code_ops.rule_hits(self.engine, book, code, rule_ids=rules, transcripts=transcripts)

    def coders(self) -> list[str]:
        """The names of everyone who coded or reviewed in this project, sorted."""
        from qualcode.store.schema import coders as coders_table

        with self.engine.connect() as conn:
            return sorted(conn.execute(select(coders_table.c.name)).scalars())

    def last_codebook_path(self) -> str | None:
        """The codebook file of the last finished rule run, or None: the path as it was given,
        or, when that is not there from this folder, the absolute path the project kept.
        `codebook()` gives the codebook itself even when no file is left."""
        import json

        from qualcode.store.schema import runs as runs_table

        with self.engine.connect() as conn:
            run_id = coding_queries.last_rule_run(conn)
            if run_id is None:
                return None
            params = conn.execute(select(runs_table.c.params).where(runs_table.c.id == run_id)).scalar()
            kept = stored_codebooks.of_last_run(conn)
        given = json.loads(params or "{}").get("codebook_path")
        if given and not Path(given).exists() and kept is not None and kept.path and Path(kept.path).exists():
            return kept.path
        return given

    def codebook(self) -> Codebook | None:
        """The codebook the project was last coded with (the last finished rule run's), as the
        project kept it, whatever folder this runs in and even if its file has moved or changed
        since; for a project coded before codebooks were kept, the file at the recorded path if
        it is there. None when there is no rule run or neither is available."""
        with self.engine.connect() as conn:
            kept = stored_codebooks.of_last_run(conn)
        if kept is not None:
            book = load_codebook_text(kept.content, kept.path or f"<codebook '{kept.name}' kept in the project>")
            book.path = kept.path
            return book
        path = self.last_codebook_path()
        return load_codebook(path) if path and Path(path).is_file() else None

    def runs(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return coding_queries.runs_frame(conn)

    def import_codings(self, path: str | Path, *, coder: str | None = None,
                       create_codes: bool = False, actor: str | None = None) -> CodingsImport:
        """Import human codings made elsewhere (a CSV with the `codings` columns).

        Every row is checked first (transcript, code, offsets, and that `text` is what the
        transcript has there); if any row is bad, nothing is imported. Rows already in the
        project (same transcript, code, span and coder) are skipped, so re-importing is safe.
        """
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

    def review_coding(self, coding_id: int, status: str, reviewer: str) -> None:
        """Accept or reject a coding (a rule suggestion, typically); a re-code keeps the decision."""
        if status not in ("accepted", "rejected", "suggested"):
            raise QualcodeError("E709", key="status", value=status, hint="Use accepted, rejected or suggested.")
        with self.engine.begin() as conn:
            reviewer_id = coding_queries.ensure_coder(conn, reviewer)
            if not coding_queries.record_review(conn, coding_id, status, reviewer_id):
                raise QualcodeError("E707", coding=coding_id)
            audit.record(conn, reviewer, "coding.review", "coding", coding_id, dict(status=status))

    # --- manual coding -----------------------------------------------------------------------

    def add_coding(self, transcript: str, code: str, start: int, end: int, *, coder: str,
                   memo: str | None = None, status: str = "accepted") -> int:
        """Code `transcript_text(transcript)[start:end]` by hand (origin `manual`); return the id.

        Offsets are code points into the stored text (as in `turns()` and `codings()`).
        Raises E730 without a coder, E105 for an unknown transcript, E706 for an unknown
        code, E731 unless 0 <= start < end <= len(text). One transaction.
        """
        from qualcode import coding

        with self.engine.begin() as conn:
            return coding.add(conn, transcript, code, start, end, coder=coder, memo=memo, status=status)

    def update_coding(self, coding_id: int, *, code: str | None = None, memo: str | None = None,
                      coder: str) -> dict:
        """Change a coding's code and/or memo (`memo=""` clears it); return it as it was before,
        for `restore_coding`. Only the coder of a human coding may change it (E732); the code of
        a rule or model coding is not changed (E733: reject it and code by hand)."""
        from qualcode import coding

        with self.engine.begin() as conn:
            return coding.change(conn, coding_id, code=code, memo=memo, coder=coder)

    def delete_coding(self, coding_id: int, *, coder: str) -> dict:
        """Delete one of `coder`'s codings and return everything about it (`restore_coding`
        puts it back). Rule and model codings are rejected instead (E733)."""
        from qualcode import coding

        with self.engine.begin() as conn:
            return coding.remove(conn, coding_id, coder=coder)

    def restore_coding(self, snapshot: dict, *, actor: str | None = None) -> int:
        """Put a coding back as `delete_coding` or `update_coding` returned it (its review
        decision too); return its id, the old one unless another coding has taken it."""
        from qualcode import coding

        with self.engine.begin() as conn:
            return coding.restore(conn, snapshot, actor=actor)

    # --- memos (qualcode.memos) ---------------------------------------------------------------

    def memos(self, kind: str | None = None, target: str | int | None = None, *, author: str | None = None,
              search: str | None = None, deleted: bool = False, inline: bool = True) -> pd.DataFrame:
        """Memos as a DataFrame, filtered by target kind and target, author and words; see qualcode.memos."""
        from qualcode import memos

        with self.engine.connect() as conn:
            return memos.frame(conn, kind, target, author=author, search=search, deleted=deleted, inline=inline)

    def add_memo(self, kind: str, target: str | int | None, text: str, *, author: str | None = None,
                 title: str | None = None) -> int:
        """A memo on the project (target None), a transcript, case, code or coding; returns its id."""
        from qualcode import memos

        with self.engine.begin() as conn:
            return memos.add(conn, kind, target, text, author=author, title=title)

    def edit_memo(self, memo_id: int, *, text: str | None = None, title: str | None = None) -> dict:
        """Change a memo's text and/or title; returns it as it was."""
        from qualcode import memos

        with self.engine.begin() as conn:
            return memos.edit(conn, memo_id, text=text, title=title)

    def delete_memo(self, memo_id: int) -> dict:
        """Delete a memo (kept, marked deleted, until `restore_memo`); returns it as it was."""
        from qualcode import memos

        with self.engine.begin() as conn:
            return memos.delete(conn, memo_id)

    def restore_memo(self, memo_id: int) -> None:
        """Undo `delete_memo`: the memo comes back with its text and dates."""
        from qualcode import memos

        with self.engine.begin() as conn:
            memos.restore(conn, memo_id)

    # --- analysis ----------------------------------------------------------------------------

    def matrix(self, kind: str = "presence", *, statuses: Sequence[str] = ("accepted", "suggested"),
               codes: Sequence[str] | None = None) -> pd.DataFrame:
        """Case × code matrix: `presence` (1/0), `count` (codings), `evidence` (the strongest
        coding's confidence, 1 without one) or `coverage` (% of the case's respondent words).
        Rejected codings never count; pass statuses=("accepted",) to leave
        suggestions out."""
        from qualcode.analysis import KINDS, case_code_matrix

        if kind not in KINDS:
            raise QualcodeError("E709", key="kind", value=kind, hint=f"Use one of: {', '.join(KINDS)}.")
        transcripts_frame = self.transcripts()
        extra = {}
        if kind == "coverage":
            extra = dict(turns=self.turns(), transcripts=transcripts_frame,
                         texts={n: self.transcript_text(n) for n in transcripts_frame["transcript"]})
        return case_code_matrix(self.codings(), list(self.cases()["case"]), kind=kind, statuses=statuses,
                                codes=codes, **extra)

    def crosstab(self, attribute: str, *, statuses: Sequence[str] = ("accepted", "suggested"),
                 codes: Sequence[str] | None = None, bins: int | Sequence[float] | None = None):
        """Code × case attribute (e.g. gender): counts, row %, and Fisher / chi-square (exact or
        Monte Carlo when cells are small) per code. See qualcode.analysis.crosstab."""
        from qualcode.analysis import code_by_attribute

        cases_frame = self.cases()
        if attribute not in cases_frame.columns or attribute == "case":
            raise QualcodeError("E722", name=attribute,
                                known=", ".join(c for c in cases_frame.columns if c != "case") or "(none)")
        try:
            return code_by_attribute(self.matrix("presence", statuses=statuses, codes=codes), cases_frame,
                                     attribute, bins=bins)
        except ValueError as exc:
            raise QualcodeError("E725", name=attribute, reason=str(exc)) from None

    def rule_typology(self, codebook: Codebook | str | Path, *,
                      statuses: Sequence[str] = ("accepted", "suggested")) -> RuleTypology:
        """Each case's profiles and type by the codebook's `profiles` and `types`, with reasons."""
        from qualcode.analysis import rule_typology

        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        return rule_typology(book, self.matrix("evidence", statuses=statuses))

    def typology(self, codebook: Codebook | str | Path | None = None, *, method: str = "both",
                 statuses: Sequence[str] = ("accepted", "suggested"), **options: object) -> TypologyReport:
        """Rule types and/or clusters of the cases, side by side, with reasons, cluster names,
        quotes and agreement (see qualcode.analysis.report.typology_report for `options`:
        codes, attributes, k, algorithm, metric, linkage, random_state, n_bootstrap).
        `codebook` defaults to the one of the last rule run."""
        from qualcode.analysis.report import typology_report

        if codebook is None:
            codebook = self.codebook()
            if codebook is None:
                path = self.last_codebook_path()
                raise QualcodeError("E705") if path is None else QualcodeError(
                    "E720", reason=f"the last run's codebook {path} is not there any more: name the codebook")
        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        codings = self.codings()
        used = codings[codings["status"].isin(statuses)]
        options.setdefault("structures", True)  # the CLI and the page compare both cluster spaces
        return typology_report(self.matrix("evidence", statuses=statuses), self.cases(), book=book,
                               method=method, quotes=used, **options)

    def agreement(self, coders: Sequence[str], *, unit: str = "turn", codes: Sequence[str] | None = None,
                  include_interviewer: bool = False, statuses: Sequence[str] = ("accepted", "suggested"),
                  n_boot: int = 1000, random_state: int | None = 0) -> Agreement:
        """Inter-coder agreement per code and overall (see qualcode.analysis.agreement for what
        is counted). `coders` are coder names, or `origin:rule` / `origin:model` for the
        machine's codings as one coder. With a machine coder, the transcripts compared are
        those every human coder among `coders` coded (all transcripts if there is none): the
        rules look at every transcript, so a transcript where they found nothing is a "no"."""
        from qualcode.analysis.agreement import agreement

        codings = self.codings()
        transcripts_frame = self.transcripts()
        chosen = None
        if any(":" in c for c in coders):
            humans = [c for c in coders if ":" not in c]
            if humans:
                coded = [set(codings.loc[codings["coder"] == h, "transcript"]) for h in humans]
                chosen = sorted(set.intersection(*coded))
            else:
                chosen = list(transcripts_frame["transcript"])
        texts = {n: self.transcript_text(n) for n in transcripts_frame["transcript"]}
        try:
            result = agreement(codings, self.turns(), texts, list(coders), unit=unit, codes=codes,
                               include_interviewer=include_interviewer, statuses=statuses, n_boot=n_boot,
                               random_state=random_state, transcripts=chosen)
        except ValueError as exc:
            raise QualcodeError("E723", reason=str(exc)) from None
        if result.per_code.empty:
            which = "accepted codings" if tuple(statuses) == ("accepted",) else "codings"
            raise QualcodeError("E723", reason=f"none of {', '.join(coders)} has {which} to compare in the "
                                               f"{len(result.transcripts)} transcript(s) they all coded"
                                               + (" (drop --accepted-only to count suggestions)"
                                                  if which == "accepted codings" else "") + ".")
        return result

    # --- exchange ---------------------------------------------------------------------------

    def export_qdpx(self, path: str | Path, *, include_suggestions: bool = False,
                    statuses: Sequence[str] | None = None) -> QdpxExport:
        """The project as a REFI-QDA project (.qdpx) for ATLAS.ti, MAXQDA, NVivo, QualCoder...;
        other tools see accepted codings, suggestions too with `include_suggestions`, rejected
        ones never (qualcode.json keeps them all for a qualcode round trip)."""
        from qualcode.exchange.refi import export_qdpx

        return export_qdpx(self, path, include_suggestions=include_suggestions, statuses=statuses)

    def import_qdpx(self, path: str | Path) -> QdpxImport:
        """Sources, codes, codings, coders, cases and memos of a REFI-QDA project, in one
        transaction (a bad file changes nothing); non-text sources are reported as skipped."""
        from qualcode.exchange.refi import import_qdpx

        return import_qdpx(self, path)

    def export_qdc(self, path: str | Path) -> Path:
        """The project's codes as a REFI-QDA codebook (.qdc)."""
        from qualcode.exchange.refi import export_qdc

        return export_qdc(self, path)

    def import_qdc(self, path: str | Path) -> QdcImport:
        """Codes from a REFI-QDA codebook (.qdc); each deviation from the standard is a warning."""
        from qualcode.exchange.refi import import_qdc

        return import_qdc(path, self)

    def suggest(self, coder: str | Sequence[str], *, codebook: Codebook | str | Path | None = None,
                unit: str = "sentence", codes: Sequence[str] | None = None, min_positive: int = 5, seed: int = 0,
                dry_run: bool = False, progress: Progress | None = None) -> ModelRun:
        """Learn from a coder's (or several coders') human decisions and suggest codings for the
        transcripts they did not code (origin `model`); see qualcode.suggest. Replaces the previous
        unreviewed model suggestions in one transaction. `codebook` (default: the one of the last
        rule run, if its file is there) gives rule hits, negated and dropped ones too, as features."""
        from qualcode.suggest import learn

        return learn.suggest(self.engine, _coders(coder), unit=unit, codes=codes, book=self._suggest_book(codebook),
                             min_positive=min_positive, seed=seed, dry_run=dry_run, progress=progress)

    def suggest_next(self, coder: str | Sequence[str], *, n: int = 10, unit: str = "sentence",
                     codebook: Codebook | str | Path | None = None, min_positive: int = 5,
                     seed: int = 0) -> pd.DataFrame:
        """The `n` turns whose human coding would teach the model most (least sure, or rules and
        model disagree), with a link into the workbench."""
        from qualcode.suggest import learn

        return learn.next_turns(self.engine, _coders(coder), n=n, unit=unit, book=self._suggest_book(codebook),
                                min_positive=min_positive, seed=seed)

    def suggestion_reasons(self, ids: Sequence[int]) -> dict[int, str]:
        """Why the model suggested these codings (JSON: the features that weighed most), by coding id."""
        from qualcode.suggest import storage

        with self.engine.connect() as conn:
            return storage.reasons(conn, list(ids))

    def _suggest_book(self, codebook: Codebook | str | Path | None) -> Codebook | None:
        if isinstance(codebook, Codebook):
            return codebook
        if codebook is not None:
            return load_codebook(codebook)
        return self.codebook()  # the one of the last rule run, as the project kept it

    def evaluate_rules(self, coder: str | None = None) -> RuleEvaluation:
        """Rule codings against human codings, per code at turn level (see qualcode.evaluation)."""
        with self.engine.connect() as conn:
            if coding_queries.last_rule_run(conn) is None:
                raise QualcodeError("E705")
        frame = self.codings()
        return evaluate(frame, self.turns(), coder=coder)


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


def _coders(coder: str | Sequence[str]) -> list[str]:
    return [coder] if isinstance(coder, str) else list(coder)


def _merge_tables(a: CasesTable | None, b: CasesTable) -> CasesTable:
    if a is None:
        return b
    a.by_case.update(b.by_case)
    a.case_of_file.update(b.case_of_file)
    a.attributes_of_file.update(b.attributes_of_file)
    return a
