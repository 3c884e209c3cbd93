"""Corrected transcripts keep their codings: carry codings, reviews and memos to a new version.

The old and the new text are aligned word by word with `difflib.SequenceMatcher` (standard
library; words rather than characters because a transcript correction changes words, and
because word-level matching of a 10,000-word interview takes milliseconds where character
matching is quadratic in the worst case; `autojunk=False` so that frequent words such as
"the" still anchor the alignment). Then each coding of the old version is:

* **carried exactly** when every word it covers is in an unchanged stretch and they stay
  together: same words, new offsets (white space may differ, e.g. re-wrapped lines);
* **moved** when some of its words changed (a misheard word, a pseudonymised name): it is
  placed on the new words its old words align with, set to `suggested` and given a memo that
  says what it covered before, so a reviewer looks at it;
* **lost** when most of its words are gone (the passage was deleted): it is listed (returned,
  and written to a file by the caller), never dropped silently.

Review decisions and memos follow their codings; transcript memos move to the new version.
Everything runs inside the caller's transaction: the new version and its carried codings are
stored together or not at all.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, select, update

from qualcode.store.schema import coders, codes, codings, memos, reviews, transcripts, turns

_WORD = re.compile(r"\S+")
STALL_ENV = "QUALCODE_TEST_STALL_IN_CARRY"  # tests: pause inside the transaction (SIGKILL test)


@dataclass
class Alignment:
    """Old word i → new word j for unchanged words; old word i → (j1, j2) for changed words."""

    old_words: list[tuple[int, int]]
    new_words: list[tuple[int, int]]
    same: dict[int, int] = field(default_factory=dict)
    changed: dict[int, tuple[int, int]] = field(default_factory=dict)


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _WORD.finditer(text)]


def align(old: str, new: str) -> Alignment:
    a, b = _words(old), _words(new)
    al = Alignment(a, b)
    matcher = difflib.SequenceMatcher(None, [old[s:e] for s, e in a], [new[s:e] for s, e in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                al.same[i1 + k] = j1 + k
        elif tag == "replace":
            for i in range(i1, i2):
                al.changed[i] = (j1, j2)
    return al


@dataclass
class Placed:
    kind: str  # exact | moved | lost
    start: int | None = None
    end: int | None = None


def place(al: Alignment, old: str, new: str, start: int, end: int) -> Placed:
    """Where the span [start, end) of the old text is in the new text."""
    starts = [s for s, _ in al.old_words]
    ends = [e for _, e in al.old_words]
    i1 = bisect_right(ends, start)  # first word that ends after start
    i2 = bisect_left(starts, end)  # words before i2 start before end
    if i1 >= i2:
        return Placed("lost")
    idx = range(i1, i2)
    if all(i in al.same for i in idx) and al.same[i2 - 1] - al.same[i1] == i2 - 1 - i1:
        j1, j2 = al.same[i1], al.same[i2 - 1]
        # Keep a coding that starts or ends inside a word where it was inside that word.
        lead = max(0, start - al.old_words[i1][0])
        trail = max(0, al.old_words[i2 - 1][1] - end)
        return Placed("exact", al.new_words[j1][0] + lead, al.new_words[j2][1] - trail)
    targets: list[int] = []
    kept = 0
    for i in idx:
        if i in al.same:
            targets.append(al.same[i])
            kept += 1
        elif i in al.changed and al.changed[i][1] > al.changed[i][0]:
            targets += [al.changed[i][0], al.changed[i][1] - 1]
            kept += 1
    if kept * 2 < len(idx):  # most of its words are gone: a stray "the" left over is no match
        return Placed("lost")
    new_start, new_end = al.new_words[min(targets)][0], al.new_words[max(targets)][1]
    # A coding that stopped before a word's punctuation ("spring" of "spring,") stops there again.
    lead = old[al.old_words[i1][0]:start] if start > al.old_words[i1][0] else ""
    trail = old[end:al.old_words[i2 - 1][1]] if end < al.old_words[i2 - 1][1] else ""
    if lead and new[new_start:new_end].startswith(lead):
        new_start += len(lead)
    if trail and new[new_start:new_end].endswith(trail):
        new_end -= len(trail)
    return Placed("moved", new_start, new_end)


@dataclass
class Carry:
    exact: int = 0
    moved: int = 0
    lost: list[dict[str, object]] = field(default_factory=list)
    reviews: int = 0
    reviews_not_carried: int = 0  # decisions on words that changed: the reviewer decides again
    memos: int = 0
    memos_not_carried: int = 0  # turn memos whose turn is gone: they stay on the old version
    old_version: int | None = None

    def summary(self) -> str:
        line = (f"codings carried over from version {self.old_version}: {self.exact} exactly, {self.moved} moved "
                f"(flagged for review), {len(self.lost)} lost; {self.reviews} review decision(s) and "
                f"{self.memos} memo(s) carried")
        if self.reviews_not_carried or self.memos_not_carried:
            line += (f" ({self.reviews_not_carried} decision(s) on changed words to take again, "
                     f"{self.memos_not_carried} turn memo(s) left on version {self.old_version})")
        return line


def carry_over(conn: Connection, old_id: int, new_id: int, old_text: str, new_text: str,
               old_version: int | None = None) -> Carry:
    """Copy the codings, reviews and memos of transcript version `old_id` onto `new_id`."""
    al = align(old_text, new_text)
    result = Carry(old_version=old_version)
    code_path = dict(conn.execute(select(codes.c.id, codes.c.path)).all())
    coder_name = dict(conn.execute(select(coders.c.id, coders.c.name)).all())
    moved_ids: dict[int, int] = {}
    for row in conn.execute(select(codings).where(codings.c.transcript_id == old_id).order_by(codings.c.id)).all():
        where = place(al, old_text, new_text, row.start_offset, row.end_offset)
        if where.kind == "lost":
            result.lost.append({
                "code": code_path.get(row.code_id), "start": row.start_offset, "end": row.end_offset,
                "text": old_text[row.start_offset:row.end_offset], "coder": coder_name.get(row.coder_id),
                "origin": row.origin, "status": row.status, "memo": row.memo,
            })
            continue
        values = {k: v for k, v in row._mapping.items() if k != "id"}
        values.update(transcript_id=new_id, start_offset=where.start, end_offset=where.end)
        for key in ("match_start", "match_end"):
            if values.get(key) is not None:  # the words a rule matched: placed like the coding
                m = place(al, old_text, new_text, row.match_start, row.match_end)
                values["match_start"], values["match_end"] = (m.start, m.end) if m.kind != "lost" else (None, None)
                break
        if where.kind == "moved":
            result.moved += 1
            was = " ".join(old_text[row.start_offset:row.end_offset].split())
            note = f"[moved to version {old_version + 1 if old_version else 'new'}] it coded: \"{was[:300]}\""
            values["memo"] = f"{row.memo}\n{note}" if row.memo else note
            values["status"] = "suggested"  # for review
        else:
            result.exact += 1
        moved_ids[row.id] = conn.execute(insert(codings).values(**values)).inserted_primary_key[0]
    for rv in conn.execute(select(reviews).where(reviews.c.transcript_id == old_id)).all():
        where = place(al, old_text, new_text, rv.start_offset, rv.end_offset)
        if where.kind != "exact":
            result.reviews_not_carried += 1  # a decision on words that changed is taken again
            continue
        values = {k: v for k, v in rv._mapping.items() if k != "id"}
        values.update(transcript_id=new_id, start_offset=where.start, end_offset=where.end)
        conn.execute(insert(reviews).values(**values))
        result.reviews += 1
    _stall()
    # Memos: on the transcript, they move to the new version; on a coding, they follow it.
    result.memos += conn.execute(update(memos).where(memos.c.target_type == "transcript", memos.c.target_id == old_id)
                                 .values(target_id=new_id)).rowcount
    for old, new in moved_ids.items():
        result.memos += conn.execute(update(memos).where(memos.c.target_type == "coding", memos.c.target_id == old)
                                     .values(target_id=new)).rowcount
    # A turn memo goes to the new turn where the old turn's words are.
    new_turns = conn.execute(select(turns.c.id, turns.c.start_offset, turns.c.end_offset)
                             .where(turns.c.transcript_id == new_id).order_by(turns.c.start_offset)).all()
    for t in conn.execute(select(turns.c.id, turns.c.start_offset, turns.c.end_offset)
                          .where(turns.c.transcript_id == old_id)).all():
        where = place(al, old_text, new_text, t.start_offset, t.end_offset)
        target = next((n.id for n in new_turns if where.kind != "lost"
                       and n.start_offset <= where.start < max(n.end_offset, n.start_offset + 1)), None)
        query = update(memos).where(memos.c.target_type == "turn", memos.c.target_id == t.id)
        if target is None:
            result.memos_not_carried += len(conn.execute(
                select(memos.c.id).where(memos.c.target_type == "turn", memos.c.target_id == t.id)).all())
            continue
        result.memos += conn.execute(query.values(target_id=target)).rowcount
    return result


def carry_over_from(conn: Connection, previous: tuple[int, int], new_id: int, new_text: str) -> Carry:
    """`carry_over` from the stored version `previous` (id, version number)."""
    old_text = conn.execute(select(transcripts.c.text).where(transcripts.c.id == previous[0])).scalar_one()
    return carry_over(conn, previous[0], new_id, old_text, new_text, previous[1])


def finish(project: object, carried: dict[str, Carry], result: object) -> None:
    """After the new versions are stored: say what was carried, write the lost codings to a file
    next to the project (E989), and re-code the new versions with the project's codebook so their
    rule codings are the rules' own, not moved ones."""
    from pathlib import Path

    from qualcode.errors import QualcodeError
    from qualcode.files import write_bytes

    location = Path(str(project.location))  # type: ignore[attr-defined]
    folder = location.parent if "://" not in str(location) else Path.cwd()
    for name, carry in carried.items():
        result.reports.append(f"{name}: {carry.summary()}")  # type: ignore[attr-defined]
        if carry.lost:
            safe = re.sub(r"[^\w.-]+", "_", name)
            path = folder / f"{location.stem}-{safe}-v{carry.old_version}-lost-codings.csv"
            write_bytes(path, lost_csv(name, carry))
            result.warnings.append(str(QualcodeError(  # type: ignore[attr-defined]
                "E989", file=name, lost=len(carry.lost), path=path, exact=carry.exact, moved=carry.moved)))
    try:  # the new versions are stored already: a re-code that fails is said, not a failed import
        book = project.codebook()  # type: ignore[attr-defined]
        if book is not None and carried:
            run = project.autocode(book, transcripts=list(carried))  # type: ignore[attr-defined]
            result.reports.append(  # type: ignore[attr-defined]
                f"rule codings of {', '.join(carried)} re-coded with codebook '{book.name}' (run {run.id})")
    except QualcodeError as exc:
        result.warnings.append(f"the new version was stored but not re-coded: {exc}")  # type: ignore[attr-defined]


def _stall() -> None:
    seconds = os.environ.get(STALL_ENV)
    if seconds:
        print(f"qualcode: stalling {seconds}s inside the carry-over transaction (test hook)", file=sys.stderr,
              flush=True)
        time.sleep(float(seconds))


LOST_COLUMNS = ["transcript", "old_version", "code", "start", "end", "text", "coder", "origin", "status", "memo"]


def lost_csv(name: str, carry: Carry) -> str:
    import csv
    import io

    from qualcode.exchange.safe_csv import neutralise

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=LOST_COLUMNS)
    writer.writeheader()
    for row in carry.lost:
        writer.writerow({k: neutralise(v) if isinstance(v, str) else v
                         for k, v in {"transcript": name, "old_version": carry.old_version, **row}.items()})
    return buf.getvalue()
