"""`ProjectCore`: a project's life cycle, its reads (transcripts, turns, cases, codes, codings,
runs) and auto-coding, with the import, editing and analysis methods mixed in from
`project_imports`, `project_editing` and `project_analysis`.

This is the layer `qualcode.exchange` builds on: exchange imports this module, and
`qualcode.project.Project` (the public class) adds the exchange methods on top, so imports
run one way: project_core <- exchange <- project (issue 15 point 8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Self

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from qualcode import __version__, audit
from qualcode.codebook import Codebook
from qualcode.codebook import load as load_codebook
from qualcode.codebook import loads as load_codebook_text
from qualcode.errors import ProjectError, QualcodeError
from qualcode.model import Run
from qualcode.project_analysis import _AnalysisMethods
from qualcode.project_editing import _EditingMethods
from qualcode.project_imports import (
    Progress,
    _ImportMethods,
)
from qualcode.store import codebooks as stored_codebooks
from qualcode.store import coding_queries, current_revision, open_engine, queries
from qualcode.store.database import default_name, is_empty


class ProjectCore(_ImportMethods, _EditingMethods, _AnalysisMethods):
    """A project without the exchange methods (see the module docstring); use `Project`."""

    def __init__(self, engine: Engine, location: str | Path) -> None:
        self.engine = engine
        self.location = str(location)

    @classmethod
    def create(cls, location: str | Path, *, name: str | None = None) -> Self:
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
    def open(cls, location: str | Path, *, create: bool = False) -> Self:
        """Open a project, upgrading its schema if it was written by an older qualcode.

        With `create=True` a missing project is created instead of raising E101.
        """
        if create and is_empty(location):  # a missing file, or an empty database (e.g. from createdb)
            return cls.create(location)
        return cls(open_engine(location, create=False), location)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
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
        # Texts are kept by (row id, sha256): a stored text never changes (a new version is a new
        # row), so each is fetched once per open project, not on every workbench action.
        with self.engine.connect() as conn:
            key = queries.transcript_key(conn, name)
            if key is None:
                known = ", ".join(queries.transcripts_frame(conn)["transcript"]) or "(none)"
                raise ProjectError("E105", name=name, known=known)
            texts = self.__dict__.setdefault("_texts", {})
            if key not in texts:
                texts[key] = queries.transcript_text_of(conn, key[0])
            return texts[key]

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
        from qualcode import runs as run_engine  # the coding engine (nlp, autocode) only to code

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
