"""Editing a project: codes (add, rename, move, merge, delete, restore), review decisions, manual
codings, case attributes and memos. A mixin of `qualcode.project_core.ProjectCore`; the work is
in `qualcode.codes`, `qualcode.coding` and `qualcode.memos`, each write one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy.engine import Engine

from qualcode import audit
from qualcode.codebook import Codebook
from qualcode.codebook import load as load_codebook
from qualcode.errors import QualcodeError
from qualcode.store import coding_queries

if TYPE_CHECKING:
    from qualcode.codes import DeletedCode, MergeReport


class _EditingMethods:
    """Editing codes, codings, reviews and memos."""

    engine: Engine
    location: str

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

    def set_case_attributes(self, frame: pd.DataFrame, *, source: str = "edited in qualcode",
                            actor: str | None = None) -> int:
        """Save an edited `cases()` table, checked against `attribute_types()`: any bad cell
        (E750 lists each) and nothing is saved. Returns how many values changed; the audit log
        records them as `actor`'s ("case.attributes")."""
        from qualcode import cases as case_ops

        return case_ops.set_case_attributes(self.engine, frame, source=source, actor=actor)

    def review_coding(self, coding_id: int, status: str, reviewer: str) -> None:
        """Accept or reject a coding (a rule suggestion, typically); a re-code keeps the decision."""
        if status not in ("accepted", "rejected", "suggested"):
            raise QualcodeError("E709", key="status", value=status, hint="Use accepted, rejected or suggested.")
        with self.engine.begin() as conn:
            reviewer_id = coding_queries.ensure_coder(conn, reviewer)
            if not coding_queries.record_review(conn, coding_id, status, reviewer_id):
                raise QualcodeError("E707", coding=coding_id)
            audit.record(conn, reviewer, "coding.review", "coding", coding_id, dict(status=status))

    def add_coding(self, transcript: str, code: str, start: int, end: int, *, coder: str,
                   memo: str | None = None, status: str = "accepted") -> int:
        """Code `transcript_text(transcript)[start:end]` by hand (origin `manual`); return the id.

        Offsets are code points into the stored text (as in `turns()` and `codings()`).
        Raises E730 without a coder, E105 for an unknown transcript, E706 for an unknown
        code, E731 unless 0 <= start < end <= len(text). One transaction.
        """
        from qualcode import coding

        with self.engine.begin() as conn:
            return coding.add(conn, transcript, code, start, end, coder=coder, memo=memo, status=status,
                              texts=self.__dict__.setdefault("_texts", {}))

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

    def edit_memo(self, memo_id: int, *, text: str | None = None, title: str | None = None,
                  actor: str | None = None) -> dict:
        """Change a memo's text and/or title; returns it as it was (`actor`: who, for the audit log)."""
        from qualcode import memos

        with self.engine.begin() as conn:
            return memos.edit(conn, memo_id, text=text, title=title, actor=actor)

    def delete_memo(self, memo_id: int, *, actor: str | None = None) -> dict:
        """Delete a memo (kept, marked deleted, until `restore_memo`); returns it as it was."""
        from qualcode import memos

        with self.engine.begin() as conn:
            return memos.delete(conn, memo_id, actor=actor)

    def restore_memo(self, memo_id: int, *, actor: str | None = None) -> None:
        """Undo `delete_memo`: the memo comes back with its text and dates."""
        from qualcode import memos

        with self.engine.begin() as conn:
            memos.restore(conn, memo_id, actor=actor)
