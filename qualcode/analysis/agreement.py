"""Inter-coder agreement: do coders apply the codebook the same way?

Two layers. The statistics work on a reliability data matrix (one row per unit, one column
per coder, missing values as NaN/None): percent agreement, Cohen's kappa, Fleiss' kappa and
Krippendorff's alpha (nominal, ordinal, interval, ratio) from the coincidence matrix of
Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", with a bootstrap interval.
A statistic that is undefined on its data (one category only, nothing pairable, chance
agreement of 1) is NaN, never an exception or a warning.

`agreement()` turns codings into such matrices: every unit is marked 1/0 per coder and
code, and the statistics come per code and pooled. What is counted, exactly:

* Transcripts: only those coded by every chosen coder. A coder "coded" a transcript when it
  has at least one coding of that coder there, of any code and any status (a rejected one
  too: someone looked). A transcript a coder never touched is missing data, not "no code".
  For `origin:` coders this means a transcript where the rules or model found nothing drops
  out; pass `transcripts=` to compare a set of transcripts you know every coder covered.
* Units: the counted turns of those transcripts: respondent turns only, or every turn
  (whatever its role) with `include_interviewer=True`. unit="turn": each turn.
  "sentence": the turn's text cut after a run of . ! ? … (with any closing quotes or
  brackets) that is followed by whitespace or the end of the turn, and at every newline;
  whitespace is trimmed and empty pieces dropped. Nothing is language-specific, so Russian
  and Kazakh work the same; "3.5" stays whole, an abbreviation such as "т. е." or "Mr."
  followed by a space splits. "paragraph": blocks separated by blank lines (lines of only
  whitespace) within a turn; a turn without one is one paragraph. "char": every character
  (Python str index) of the counted turns, whitespace included.
* Marks: a unit has code X for a coder when any of that coder's codings of X overlaps it
  (char: covers the character). Codings are half-open [start, end); an empty one marks
  nothing. Only codings whose status is in `statuses` mark; rejected codings never do.
* Coders: a coder name takes every coding with that `coder`. `origin:rule`, `origin:model`,
  `origin:manual`, `origin:import` (or `rule:`, `model:` ...) take every coding of that origin
  as one coder, whoever made it: human against machine.
* Pooled ("overall") statistics treat every (unit, code) pair as a unit of its own, so alpha
  pools the coincidences of all codes; the means of the per-code values are given too.
* Intervals: percentile bootstrap over units (whole units are resampled with replacement,
  all their codes together when pooled). Characters are not independent, so at char level
  whole turns are resampled instead; otherwise the interval would be far too narrow.
"""

from __future__ import annotations

import fnmatch
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from qualcode.analysis.reliability import (
    NAN,
    _alpha_many,
    _bootstrap,
    _cohen,
    _fleiss,
    _grouped,
    _percent,
    alpha_bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_counts,
    krippendorff_alpha,
    percent_agreement,
)

UNITS = ("turn", "sentence", "paragraph", "char")
ORIGINS = ("manual", "rule", "model", "import")
DEFAULT_STATUSES = ("accepted", "suggested")
SENTENCE_END = re.compile(r"[.!?…]+[\"'»”’)\]]*(?=\s|$)|\n")
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")



__all__ = ["Agreement", "agreement", "alpha_bootstrap_ci", "cohen_kappa", "fleiss_kappa",
           "fleiss_kappa_counts", "krippendorff_alpha", "percent_agreement"]


# --- units from codings -------------------------------------------------------------------

def _patterns(n_coders: int) -> np.ndarray:
    """Row p: the 1/0 marks of every coder for pattern p (bit i = coder i)."""
    p = np.arange(2**n_coders)
    return ((p[:, None] >> np.arange(n_coders)[None, :]) & 1).astype(np.int64)


def _stats(pattern: np.ndarray, weight: np.ndarray) -> dict[str, float]:
    """Statistics of binary marks given as weighted patterns (units of each pattern)."""
    n_coders = pattern.shape[1]
    counts = np.stack([n_coders - pattern.sum(1), pattern.sum(1)], 1)
    return {
        "percent": _percent(pattern, weight, 2),
        "kappa": _cohen(pattern, weight, 2) if n_coders == 2 else NAN,
        "fleiss": _fleiss(counts, weight),
        "alpha": float(_alpha_many(pattern, np.array([0.0, 1.0]), weight[None, :], "nominal")[0]),
    }


def _resolve_coders(codings: pd.DataFrame, coders: Sequence[str]) -> list[np.ndarray]:
    """One boolean mask over `codings` per coder name (see the module docstring)."""
    given = [coders] if isinstance(coders, str) else list(coders)
    if len(given) < 2:
        raise ValueError(f"agreement needs at least 2 coders, got {len(given)}: {given}")
    if len(set(coders)) != len(coders):
        raise ValueError(f"each coder may be named once: {list(coders)}")
    known = sorted({str(c) for c in codings["coder"].dropna()})
    masks = []
    for name in coders:
        if name in known:
            masks.append((codings["coder"] == name).to_numpy())
            continue
        origin = name[len("origin:"):] if name.startswith("origin:") else name[:-1] if name.endswith(":") else None
        if origin not in ORIGINS:
            forms = ", ".join("origin:" + o for o in ORIGINS)
            raise ValueError(f"Unknown coder {name!r}. Known coders: {', '.join(known) or '(none)'}; "
                             f"for every coding of one origin use {forms} (or rule:, model:).")
        masks.append((codings["origin"] == origin).to_numpy())
    return masks


def _units(text: str, ts: np.ndarray, te: np.ndarray, unit: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, turn position) of every unit in one transcript's counted turns, in text order."""
    out: list[tuple[int, int, int]] = []
    for t, (start, end) in enumerate(zip(ts.tolist(), te.tolist(), strict=True)):
        if unit in ("turn", "char"):
            out.append((start, end, t))
            continue
        cuts = [m.end() for m in SENTENCE_END.finditer(text, start, end)] if unit == "sentence" else \
            [x for m in PARAGRAPH_BREAK.finditer(text, start, end) for x in (m.start(), m.end())]
        bounds = [start, *cuts, end]
        for s, e in pairwise(bounds):
            piece = text[s:e]
            s2 = s + len(piece) - len(piece.lstrip())
            e2 = e - (len(piece) - len(piece.rstrip()))
            if e2 > s2:
                out.append((s2, e2, t))
    arr = np.array(out, dtype=np.int64).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def _marks(spans: list[np.ndarray], us: np.ndarray, ue: np.ndarray) -> np.ndarray:
    """Pattern per unit: bit i set when coder i's spans (n × 2) overlap the unit. Units are
    disjoint and sorted, so each coding marks a contiguous run of them (a difference array)."""
    pattern = np.zeros(len(us), dtype=np.int64)
    for i, sp in enumerate(spans):
        if len(sp) == 0:
            continue
        first = np.searchsorted(ue, sp[:, 0], side="right")
        last = np.searchsorted(us, sp[:, 1], side="left")
        ok = first < last
        diff = np.bincount(first[ok], minlength=len(us) + 1) - np.bincount(last[ok], minlength=len(us) + 1)
        pattern |= (np.cumsum(diff)[:-1] > 0).astype(np.int64) << i
    return pattern


def _char_segments(spans: list[np.ndarray], ts: np.ndarray, te: np.ndarray):
    """Character level without a per-character array: between consecutive boundaries (turn
    and coding ends) every coder's marks are constant, so each elementary segment is one
    pattern weighted by its length. Returns (start, end, turn position, pattern) of the
    segments inside counted turns."""
    bounds = np.unique(np.concatenate([ts, te, *[sp.ravel() for sp in spans]]))
    starts, ends = bounds[:-1], bounds[1:]
    pattern = np.zeros(len(starts), dtype=np.int64)
    for i, sp in enumerate(spans):
        if len(sp):
            diff = np.bincount(np.searchsorted(bounds, sp[:, 0]), minlength=len(bounds) + 1) - \
                np.bincount(np.searchsorted(bounds, sp[:, 1]), minlength=len(bounds) + 1)
            pattern |= (np.cumsum(diff)[: len(starts)] > 0).astype(np.int64) << i
    turn = np.searchsorted(ts, starts, side="right") - 1
    inside = (turn >= 0) & (starts < te[np.maximum(turn, 0)])
    return starts[inside], ends[inside], turn[inside], pattern[inside]


# --- agreement between coders of a project ------------------------------------------------

def _clean(value: Any) -> Any:
    """JSON-ready: NaN becomes None, numpy scalars Python numbers."""
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else NAN


@dataclass
class Agreement:
    """Result of `agreement()`.

    `per_code`: one row per code: units, percent, kappa (2 coders only), fleiss, alpha
    (nominal) with its bootstrap interval alpha_low/alpha_high, and n_<coder>, the units each
    coder marked. `overall`: pooled statistics and the means of the per-code ones.
    `disagreements`: one row per unit and code where the coders differ, with the unit's
    transcript, case, unit (0-based index among the transcript's counted units; for char
    units the first character of a run of disagreeing characters), turn, start, end, text,
    code, and one 1/0 column per coder."""

    per_code: pd.DataFrame
    overall: dict[str, Any]
    disagreements: pd.DataFrame
    transcripts: list[str]

    def to_json(self) -> dict[str, Any]:
        """{"overall": {...}, "codes": {code: {"percent", "kappa", "alpha", "alpha_ci", "units"}}}."""
        codes = {str(r.code): {"percent": _clean(r.percent), "kappa": _clean(r.kappa), "alpha": _clean(r.alpha),
                               "alpha_ci": _clean([r.alpha_low, r.alpha_high]), "units": int(r.units)}
                 for r in self.per_code.itertuples(index=False)}
        return {"overall": {k: _clean(v) for k, v in self.overall.items()}, "codes": codes}


def _select_codes(codings: pd.DataFrame, used: list[str], codes: Sequence[str] | None) -> list[str]:
    if codes is None:
        return used
    known = sorted({str(c) for c in codings["code"].dropna()})
    out: list[str] = []
    for pattern in [codes] if isinstance(codes, str) else codes:
        hits = fnmatch.filter(known, pattern) if any(ch in pattern for ch in "*?[") else \
            [pattern] if pattern in known else []
        if not hits:
            raise ValueError(f"No code matches {pattern!r}. Known codes: {', '.join(known) or '(none)'}.")
        out += [h for h in hits if h not in out]
    return sorted(out)


def _select_transcripts(codings: pd.DataFrame, masks: list[np.ndarray], coders: Sequence[str],
                        transcripts: Sequence[str] | None, texts: dict[str, str]) -> list[str]:
    if transcripts is None:
        touched = [set(codings.loc[m, "transcript"]) for m in masks]
        names = sorted(set.intersection(*touched))
        if not names:
            each = ", ".join(f"{c}: {len(t)}" for c, t in zip(coders, touched, strict=True))
            raise ValueError(f"No transcript was coded by all of the coders (transcripts coded by each: {each}). "
                             "Agreement compares only transcripts that every coder coded.")
    else:
        names = sorted(set(transcripts))
    if absent := [n for n in names if n not in texts]:
        raise ValueError(f"No text given for transcript(s) {', '.join(map(str, absent))}.")
    return names


def _spans(codings: pd.DataFrame, masks: list[np.ndarray], counted: np.ndarray, names: list[str],
           code_list: list[str]) -> dict[str, dict[int, list[np.ndarray]]]:
    """spans[transcript][code position][coder]: (n × 2) array of [start, end). Grouped by sorting
    one integer key, because per-group pandas indexing costs more than all the arithmetic."""
    n_coders, n_codes = len(masks), len(code_list)
    keys, bounds = [], []
    for k, mask in enumerate(masks):
        sub = codings.loc[mask & counted & codings["code"].isin(code_list).to_numpy()]
        ti, ci = pd.Index(names).get_indexer(sub["transcript"]), pd.Index(code_list).get_indexer(sub["code"])
        keys.append((ti * n_codes + ci) * n_coders + k)
        bounds.append(sub[["start", "end"]].to_numpy(dtype=np.int64))
    key, bound = np.concatenate(keys), np.concatenate(bounds)
    order = np.argsort(key, kind="stable")
    key, bound = key[order], bound[order]
    cuts = np.flatnonzero(np.diff(key)) + 1
    out: dict[str, dict[int, list[np.ndarray]]] = {}
    empty = np.zeros((0, 2), dtype=np.int64)
    for first, last in zip(np.r_[0, cuts], np.r_[cuts, len(key)], strict=True):
        if first < last:
            group, k = divmod(int(key[first]), n_coders)
            per_code = out.setdefault(names[group // n_codes], {})
            per_code.setdefault(group % n_codes, [empty] * n_coders)[k] = bound[first:last]
    return out


def _merge_runs(s: np.ndarray, e: np.ndarray, t: np.ndarray, p: np.ndarray, full: int) -> list[tuple[int, int]]:
    """(first, last) segment of every run of touching disagreeing segments of one turn with the
    same marks: one disagreement row per run instead of one per character."""
    bad = np.flatnonzero((p != 0) & (p != full))
    if len(bad) == 0:
        return []
    new = np.ones(len(bad), dtype=bool)
    new[1:] = (s[bad[1:]] != e[bad[:-1]]) | (p[bad[1:]] != p[bad[:-1]]) | (t[bad[1:]] != t[bad[:-1]])
    heads = np.flatnonzero(new)
    return list(zip(bad[heads].tolist(), bad[np.append(heads[1:], len(bad)) - 1].tolist(), strict=True))


def agreement(codings: pd.DataFrame, turns: pd.DataFrame, texts: dict[str, str], coders: Sequence[str], *,
              unit: str = "turn", codes: Sequence[str] | None = None, include_interviewer: bool = False,
              statuses: Sequence[str] = DEFAULT_STATUSES, n_boot: int = 1000, random_state: int | None = 0,
              transcripts: Sequence[str] | None = None) -> Agreement:
    """Agreement of two or more coders on every code, with the units where they differ.

    `codings` and `turns` are the project's frames, `texts` maps transcript to text, `coders`
    names the coders (or `origin:rule` style pseudo-coders). Which transcripts, units and
    codings count is set out in the module docstring. `codes`: code ids or glob patterns
    (default: every code a chosen coder applied, with a counted status, in the compared
    transcripts). `transcripts`: compare exactly these instead of those coded by all.
    `random_state` seeds the bootstrap (each code's draws depend on the code id only, so a
    code's interval does not change when other codes are added); n_boot=0 skips it.
    """
    if unit not in UNITS:
        raise ValueError(f"Unknown unit {unit!r}; use one of {', '.join(UNITS)}.")
    masks = _resolve_coders(codings, coders)
    if len(coders) > 16:
        raise ValueError(f"at most 16 coders can be compared at once, not {len(coders)}")
    names = _select_transcripts(codings, masks, coders, transcripts, texts)
    counted = (codings["status"].isin([s for s in statuses if s != "rejected"]) & codings["transcript"].isin(names)
               & (codings["end"] > codings["start"])).to_numpy()
    used = sorted({str(c) for c in codings.loc[counted & np.logical_or.reduce(masks), "code"]})
    code_list = _select_codes(codings, used, codes)
    spans = _spans(codings, masks, counted, names, code_list)
    chosen = turns[turns["transcript"].isin(names) & (turns["end"] > turns["start"])]
    if not include_interviewer:
        chosen = chosen[chosen["role"] == "respondent"]
    chosen = chosen.sort_values(["transcript", "start"])
    turn_of = chosen["transcript"].to_numpy(dtype=object)
    turn_start, turn_end = chosen["start"].to_numpy(np.int64), chosen["end"].to_numpy(np.int64)
    turn_number = chosen["turn"].to_numpy()

    # Every unit of every code gets a pattern (bit i: coder i marked it). Only units someone
    # marked are stored: (unit id, or turn id for chars; pattern; weight = characters or 1).
    full = 2 ** len(coders) - 1
    marked: list[list[np.ndarray]] = [[] for _ in code_list]
    rows: list[tuple] = []
    n_units = n_turns = 0
    firsts = np.flatnonzero(np.r_[True, turn_of[1:] != turn_of[:-1]]) if len(turn_of) else np.zeros(0, int)
    for first, last in zip(firsts, np.r_[firsts[1:], len(turn_of)], strict=True):
        name = turn_of[first]
        ts, te, turn_no = turn_start[first:last], turn_end[first:last], turn_number[first:last]
        if unit == "char":
            first_char = np.r_[0, np.cumsum(te - ts)]  # unit index of each turn's first character
        else:
            us, ue, ut = _units(texts[name], ts, te, unit)
        for c, per_coder in spans.get(name, {}).items():
            if unit == "char":
                s, e, t, p = _char_segments(per_coder, ts, te)
                marked[c].append(np.stack([t + n_turns, p, e - s])[:, p != 0])
                rows += [(name, int(first_char[t[a]] + s[a] - ts[t[a]]), turn_no[t[a]], int(s[a]), int(e[b]), c,
                          int(p[a])) for a, b in _merge_runs(s, e, t, p, full)]
            else:
                p = _marks(per_coder, us, ue)
                nz = np.flatnonzero(p)
                marked[c].append(np.stack([nz + n_units, p[nz], np.ones(len(nz), dtype=np.int64)]))
                rows += [(name, int(i), turn_no[ut[i]], int(us[i]), int(ue[i]), c, int(p[i]))
                         for i in np.flatnonzero((p != 0) & (p != full))]
        n_units += int(first_char[-1]) if unit == "char" else len(us)
        n_turns += len(ts)
    lengths = turn_end - turn_start
    per_code, overall = _summarise(code_list, coders, marked, n_units, lengths if unit == "char" else None,
                                   n_boot, random_state)
    overall = {"unit": unit, "coders": list(coders), "transcripts": len(names), **overall}

    case_of = codings.dropna(subset=["case"]).groupby("transcript")["case"].first().to_dict()
    frame = pd.DataFrame(rows, columns=["transcript", "unit", "turn", "start", "end", "code", "pattern"])
    frame = frame.sort_values(["transcript", "start", "code"], ignore_index=True)
    where = frame["transcript"].to_numpy(dtype=object)
    disagreements = pd.DataFrame({
        "transcript": frame["transcript"], "case": [case_of.get(n) for n in where],
        "unit": frame["unit"], "turn": frame["turn"], "start": frame["start"], "end": frame["end"],
        "text": [texts[n][s:e] for n, s, e in zip(where, frame["start"].tolist(), frame["end"].tolist(), strict=True)],
        "code": [code_list[c] for c in frame["code"]],
        **{k: ((frame["pattern"].to_numpy(np.int64) >> i) & 1) for i, k in enumerate(coders)}})
    return Agreement(per_code, overall, disagreements, names)


def _summarise(code_list: list[str], coders: Sequence[str], marked: list[list[np.ndarray]], n_units: int,
               lengths: np.ndarray | None, n_boot: int, random_state: int | None) -> tuple[pd.DataFrame, dict]:
    """Per-code and pooled statistics from the marked units. `lengths` (char units only): the
    length of every counted turn, the groups that the bootstrap resamples."""
    pattern, binary = _patterns(len(coders)), np.array([0.0, 1.0])
    full, n_codes = 2 ** len(coders) - 1, len(code_list)
    n_groups = n_units if lengths is None else len(lengths)
    pooled = np.zeros((n_groups, full + 1))  # group × pattern: units (or characters) of all codes
    total = np.zeros(full + 1)
    records = []
    for c, code in enumerate(code_list):
        ids, pats, weights = np.concatenate(marked[c], axis=1) if marked[c] else np.zeros((3, 0), dtype=np.int64)
        freq = np.bincount(pats, weights=weights, minlength=full + 1)
        freq[0] = n_units - freq[1:].sum()
        total += freq
        np.add.at(pooled, (ids, pats), weights)
        seed = [random_state, zlib.crc32(code.encode())] if random_state is not None else None
        if n_boot < 1:
            low = high = NAN
        elif lengths is None:
            low, high = _bootstrap(pattern, binary, "nominal", None, freq, n_boot, 0.95, np.random.default_rng(seed))
        else:
            table = np.zeros((n_groups, full + 1))
            np.add.at(table, (ids, pats), weights)
            table[:, 0] = lengths - table[:, 1:].sum(1)
            low, high = _bootstrap(pattern, binary, "nominal", *_grouped(table), n_boot, 0.95,
                                   np.random.default_rng(seed))
        records.append({"code": code, "units": round(freq.sum()), **_stats(pattern, freq), "alpha_low": low,
                        "alpha_high": high, **{f"n_{k}": round(freq @ pattern[:, i]) for i, k in enumerate(coders)}})
    per_code = pd.DataFrame(records, columns=["code", "units", "percent", "kappa", "fleiss", "alpha", "alpha_low",
                                              "alpha_high", *[f"n_{k}" for k in coders]])
    overall: dict[str, Any] = {"codes": n_codes, "units": n_units, "unit_codes": n_units * n_codes}
    overall.update(_stats(pattern, total) if n_codes else dict.fromkeys(("percent", "kappa", "fleiss", "alpha"), NAN))
    # pooled resampling draws whole units (or turns) with all their codes together
    pooled[:, 0] = (n_codes if lengths is None else n_codes * lengths) - pooled[:, 1:].sum(1)
    seed = [random_state, 0] if random_state is not None else None
    low, high = (_bootstrap(pattern, binary, "nominal", *_grouped(pooled), n_boot, 0.95, np.random.default_rng(seed))
                 if n_codes and n_groups and n_boot >= 1 else (NAN, NAN))
    overall.update({"alpha_low": low, "alpha_high": high,
                    **{f"mean_{s}": _mean(per_code[s].tolist()) for s in ("percent", "kappa", "fleiss", "alpha")}})
    return per_code, overall
