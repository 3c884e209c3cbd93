"""Retrieval: the segments coded with some codes (a parent takes its children), filtered by
case attributes, each with the text around it, and safe Markdown to show them.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from urllib.parse import quote

import pandas as pd

from qualcode.cases import is_blank
from qualcode.codes import STATUSES, descendants
from qualcode.errors import QualcodeError

SEGMENT_COLUMNS = ["transcript", "case", "code", "status", "origin", "coder", "rule", "speaker", "role", "turn",
                   "start", "end", "before", "text", "after", "link", "id"]


def case_filter(cases_frame: pd.DataFrame, types: Mapping[str, str], where: Mapping[str, object] | None) -> set:
    """The cases whose attributes pass `where`: {attribute: [values]} keeps those values,
    {attribute: (low, high)} a numeric or date range (both ends included)."""
    keep = pd.Series(True, index=cases_frame.index)
    for name, wanted in (where or {}).items():
        if name not in types:
            raise QualcodeError("E722", name=name, known=", ".join(types) or "(none)")
        column = cases_frame[name] if name in cases_frame.columns else pd.Series(None, index=cases_frame.index)
        if isinstance(wanted, tuple) and len(wanted) == 2 and types[name] in ("number", "date"):
            keep &= column.map(lambda v, r=wanted: _within(v, *r))
        else:
            values = [wanted] if isinstance(wanted, str) or not isinstance(wanted, Sequence | set) else wanted
            allowed = {str(v) for v in values}
            keep &= column.map(lambda v, a=allowed: not is_blank(v) and str(v) in a)
    return set(cases_frame.loc[keep.astype(bool), "case"])


def _within(value: object, low: object, high: object) -> bool:
    if is_blank(value):
        return False
    try:
        return bool(low <= value <= high)
    except TypeError:  # a value of another type (text in a date attribute): not in the range
        return False


def _ellipsis(text: str, limit: int, left: bool) -> str:
    """At most `limit` characters of context next to the segment, cut between words."""
    if len(text) <= limit:
        return text
    if left:
        part = text[-limit:]
        return "…" + (part[part.find(" ") + 1:] if " " in part[:-1] else part)
    part = text[:limit]
    return (part[:part.rfind(" ")] if " " in part[1:] else part) + "…"


def segments(codings_frame: pd.DataFrame, codes_frame: pd.DataFrame, cases_frame: pd.DataFrame,
             types: Mapping[str, str], turns: pd.DataFrame, texts: Mapping[str, str], chosen: Sequence[str], *,
             where: Mapping[str, object] | None = None, statuses: Sequence[str] = ("accepted", "suggested"),
             roles: Sequence[str] | None = None, context: int = 240) -> pd.DataFrame:
    """The segments coded with `chosen` codes or their sub-codes (see `Project.retrieve`)."""
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise QualcodeError("E855", value=bad[0], supported=", ".join(STATUSES))
    known = set(codes_frame["code"])
    wanted: set[str] = set()
    for code in chosen:
        if code not in known:
            near = difflib.get_close_matches(code, sorted(known), n=1)
            raise QualcodeError("E706", code=code, hint=f"Did you mean '{near[0]}'?" if near else
                                f"Known codes: {', '.join(sorted(known)[:30]) or '(none)'}.")
        wanted |= {code, *descendants(codes_frame, code)}
    frame = codings_frame[codings_frame["code"].isin(wanted) & codings_frame["status"].isin(list(statuses))]
    if roles:
        frame = frame[frame["role"].isin(list(roles))]
    frame = frame[frame["case"].isin(case_filter(cases_frame, types, where))].copy()
    spans: dict[str, tuple[list[int], list[int]]] = {
        name: (group["start"].tolist(), group["end"].tolist())
        for name, group in turns.sort_values(["transcript", "start"]).groupby("transcript")}
    before, after = [], []
    for name, start, end in zip(frame["transcript"], frame["start"], frame["end"], strict=True):
        text = texts[name]
        starts, ends = spans.get(name, ([], []))
        i = bisect.bisect_right(starts, start) - 1
        j = bisect.bisect_left(ends, end)
        lo = starts[i] if 0 <= i < len(starts) and start < ends[i] else start
        hi = ends[j] if j < len(ends) and starts[j] <= end else end
        before.append(_ellipsis(text[lo:start], context, left=True))
        after.append(_ellipsis(text[end:hi], context, left=False))
    frame["before"], frame["after"] = before, after
    frame["link"] = [f"/code?transcript={quote(str(n))}" for n in frame["transcript"]]
    attrs = [a for a in (where or {}) if a in cases_frame.columns]
    out = frame[SEGMENT_COLUMNS]
    if attrs:
        out = out.merge(cases_frame[["case", *attrs]], on="case", how="left")
    return out.reset_index(drop=True)


_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character may be backslash-escaped


def markdown_text(text: str) -> str:
    """User text as Markdown that shows exactly that text: whitespace collapsed, every ASCII
    punctuation character escaped (no links, HTML, emphasis, LaTeX or directives)."""
    return _PUNCT.sub(r"\\\1", " ".join(str(text).split()))


def markdown_lines(text: str) -> str:
    """A message with user values in it (file names, cell values) as safe Markdown, line by line,
    worded for the app (qualcode/messages.py: no command-line flags, no literal backticks). The
    pages render every message through this one function."""
    from qualcode.messages import for_app

    return for_app(text)


def _punct(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch)[0] in "PS"


def segment_markdown(before: str, coded: str, after: str) -> str:
    """A segment in its context as safe Markdown, the coded words in bold."""
    head, body, tail = markdown_text(before), markdown_text(coded), markdown_text(after)
    if not body:
        return " ".join(p for p in (head, tail) if p)
    # Markdown opens bold only where the next character is not punctuation, or the previous
    # one is a space or punctuation (and the mirror image to close it): add a space if needed.
    gap_before = bool(head) and (before[-1:].isspace() or coded[:1].isspace()
                                 or (_punct(body[0]) and not _punct(head[-1])))
    gap_after = bool(tail) and (after[:1].isspace() or coded[-1:].isspace()
                                or (_punct(body[-1]) and not _punct(tail[0])))
    return f"{head}{' ' if gap_before else ''}**{body}**{' ' if gap_after else ''}{tail}"


