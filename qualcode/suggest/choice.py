"""Which source the tool suggests from, per code: rules, model, or a combination, chosen by the data.

The fixed choice (qualcode.suggest.evaluation.choose) hands a code to the model only when it beat
the rules by 0.2 kappa with 10 coded units; at 8 training interviews that never happened on the
tuning sets, though the model alone was sometimes right where the rules were not. The adaptive
choice here asks the training data, per code, whether switching away from the rules would have
helped, and how sure that is:

- **Candidates** per code with a model: `model` (the model alone at a cut), `rules+model` (the
  rules, plus the units the model puts at or above a cut: recall where no rule fires) and
  `rules-model` (the rules, minus the rule-coded units the model puts below a low cut: precision).
- **Evidence**: the model's calibrated out-of-fold probabilities on the training units (every
  one from a model that never saw its transcript), at turn level, against the coder's labels.
- **Cuts by grouped cross-validation inside the training data**: for each training transcript
  the cut is chosen on the other transcripts and applied to this one, so the gain below is not
  flattered by choosing the cut on the data that judge it. The stored cut is the best on all.
- **Gain**: the change in *pooled* turn-level kappa (all codes together, the figure the tool is
  judged by) when this code alone switches from the rules to the candidate.
- **Paired bootstrap over training transcripts** of that gain (the transcript is the unit that
  varies between studies; turns of one interview are not independent). A candidate is used only
  when the lower bound of its one-sided interval is above zero, and the point gain too; among
  several, the one with the highest lower bound. The interval is Bonferroni-corrected over all
  the (code, candidate) pairs tested, so ALPHA bounds the chance that ANY code leaves the rules
  by luck: with 40 codes and two candidates, uncorrected 5 % intervals let about four codes pass
  on noise alone, and on the tuning sets those codes lost on the new interviews (0.001-0.002
  pooled kappa below the rules at 12 training interviews and 6 of one set; BENCHMARKS.md).
- **Shrinkage toward the rules**: with fewer than MIN_TRANSCRIPTS training transcripts
  `choose_adaptive` keeps the rules for every code (too few to resample, and the model's inner
  folds need 3 transcripts to be grouped; the tool then lets the fixed margin decide,
  qualcode.suggest.evaluation.decide); nor does a code leave the rules with fewer than the model's `min_positive` coded
  units (codebook texts do not count: the cuts and the calibration rest on coded units only; on
  the tuning sets the one code that passed the bound on 6 training interviews with 4 coded
  units lost on the others). A gain carried by one transcript has a lower bound of 0 (about a
  third of the resamples leave that transcript out) and does not pass.

All plain arrays; the stored form (qualcode.suggest.storage) is the per-code source and cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RULES, MODEL, ADD, VETO = "rules", "model", "rules+model", "rules-model"
_SAID = {RULES: "rules", MODEL: "the model alone", ADD: "rules + model", VETO: "rules − model"}
SOURCES = (RULES, MODEL, ADD, VETO)
# The candidates the tool may choose. The veto is measured by the benchmark (it is a candidate of
# `choose_adaptive(..., candidates=...)`) but not offered: the tool cannot hide a rule coding, which
# `qualcode code` stores as its own suggestion, so a veto it cannot write would make the table lie.
OFFERED = (MODEL, ADD)
# Cut grids per candidate: the model alone anywhere; additions from 0.2 up (an added turn coding
# pays in pooled F1, and about so in kappa, when the additions' precision is above half the pooled
# F1: 0.35-0.38 with the rules at 0.7-0.76); a veto only where the model is fairly sure the rules are wrong.
GRIDS = {MODEL: np.round(np.arange(0.05, 0.951, 0.05), 2), ADD: np.round(np.arange(0.2, 0.951, 0.05), 2),
         VETO: np.round(np.arange(0.02, 0.301, 0.02), 2)}
ALPHA = 0.05  # family-wise, one-sided (see the module docstring)
BOOTSTRAP = 4000
MIN_TRANSCRIPTS = 4


@dataclass
class Choice:
    """Per code: the source (one of SOURCES), its cut on the model's probability (NaN for the rules),
    the training gain in pooled kappa, its bootstrap lower bound, and why, in words."""

    source: list[str]
    cut: np.ndarray
    gain: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    why: list[str] = field(default_factory=list)
    kind: str = "adaptive"  # or "fixed": evaluation.choose's margin, in this form

    @property
    def use_model(self) -> np.ndarray:
        """True for the codes whose suggestions involve the model."""
        return np.array([s != RULES for s in self.source], dtype=bool)

    def word(self, j: int) -> str:
        """The source in words, without its cut: "rules", "model", "rules + model", "rules − model"."""
        return {RULES: "rules", MODEL: "model", ADD: "rules + model", VETO: "rules − model"}[self.source[j]]

    def label(self, j: int) -> str:
        s, c = self.source[j], self.cut[j]
        if self.kind == "fixed":
            return s  # "model" or "rules", as the fixed choice always said
        return {RULES: "rules", MODEL: f"model ≥ {c:.2f}", ADD: f"rules + model ≥ {c:.2f}",
                VETO: f"rules − model < {c:.2f}"}[s]

    def summary(self) -> str:
        """E.g. "model for 2, rules + model for 1 of 44 codes"."""
        parts = [f"{name} for {self.source.count(s)}" for s, name in
                 ((MODEL, "model"), (ADD, "rules + model"), (VETO, "rules − model")) if s in self.source]
        return (", ".join(parts) or "model for 0") + f" of {len(self.source)} codes"

    def apply(self, R: np.ndarray, P: np.ndarray) -> np.ndarray:
        """Units × codes predictions from the rules `R` and the model's probabilities `P`."""
        out = R.astype(bool).copy()
        for j, s in enumerate(self.source):
            p = np.nan_to_num(P[:, j], nan=-1.0)
            if s == MODEL:
                out[:, j] = p >= self.cut[j]
            elif s == ADD:
                out[:, j] = R[:, j] | (p >= self.cut[j])
            elif s == VETO:
                out[:, j] = R[:, j] & ~((p >= 0) & (p < self.cut[j]))
        return out

    @classmethod
    def fixed(cls, use: np.ndarray, threshold: np.ndarray, why: str = "") -> Choice:
        """The fixed choice's result in this form: the model at its own threshold, or the rules."""
        use = np.asarray(use, dtype=bool)
        return cls([MODEL if u else RULES for u in use], np.where(use, threshold, np.nan),
                   np.full(len(use), np.nan), np.full(len(use), np.nan), [why] * len(use), "fixed")


def kappa_totals(T: np.ndarray) -> np.ndarray:
    """Cohen's kappa from (..., 4) counts tp, fp, fn, tn (0 where chance agreement is total)."""
    tp, fp, fn, tn = (T[..., i].astype(float) for i in range(4))
    n = tp + fp + fn + tn
    n = np.where(n > 0, n, 1.0)
    po = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(pe < 1, (po - pe) / np.where(pe < 1, 1 - pe, 1.0), 0.0)
    return k


def _counts(h: np.ndarray, p: np.ndarray, g: np.ndarray, n_groups: int) -> np.ndarray:
    """Per transcript (group) counts tp, fp, fn, tn of turn labels `h` against predictions `p`."""
    codes = np.stack([h & p, ~h & p, h & ~p, ~h & ~p], axis=1).astype(np.int64)
    out = np.zeros((n_groups, 4), dtype=np.int64)
    np.add.at(out, g, codes)
    return out


@dataclass
class _Turns:
    """One code's training turns: human label, rule coding, and the model's evidence."""

    h: np.ndarray
    r: np.ndarray
    top: np.ndarray  # highest out-of-fold probability of the turn's units (-1: none scored)
    rule_top: np.ndarray  # highest of its rule-coded units (2: one of them unscored, never vetoed)
    g: np.ndarray  # transcript index

    def predict(self, source: str, cut: float) -> np.ndarray:
        if source == MODEL:
            return self.top >= cut
        if source == ADD:
            return self.r | (self.top >= cut)
        return self.r & (self.rule_top >= cut)


def _turns(y: np.ndarray, r: np.ndarray, p: np.ndarray, turn: np.ndarray, group: np.ndarray) -> _Turns:
    _, t = np.unique(turn, return_inverse=True)
    n = int(t.max()) + 1 if len(t) else 0
    h, rr = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    h[t[y]] = True
    rr[t[r]] = True
    top = np.full(n, -1.0)
    np.maximum.at(top, t, np.nan_to_num(p, nan=-1.0))
    rule_top = np.full(n, -1.0)
    np.maximum.at(rule_top, t[r], np.nan_to_num(p[r], nan=2.0))
    g = np.zeros(n, dtype=np.int64)
    g[t] = group
    return _Turns(h, rr, top, rule_top, g)


def _gain(base: np.ndarray, delta: np.ndarray) -> float:
    """Pooled kappa with `delta` added to the totals `base`, minus without (both (4,) counts)."""
    return float(kappa_totals(base + delta) - kappa_totals(base))


def _crossfit(tj: _Turns, source: str, base_g: np.ndarray, base_rules_g: np.ndarray, n_groups: int,
              ) -> tuple[np.ndarray, float]:
    """Per transcript, the change in counts when the cut chosen on the OTHER transcripts is applied
    to it (groups × 4), and the cut chosen on all of them (NaN: no cut gains)."""
    grid = GRIDS[source]
    # Counts per grid cut and transcript, minus the rules' counts for this code: the change.
    deltas = np.stack([_counts(tj.h, tj.predict(source, c), tj.g, n_groups) for c in grid]) - base_rules_g
    total = base_g.sum(axis=0)
    out = np.zeros((n_groups, 4), dtype=np.int64)
    for k in range(n_groups):
        others = total - base_g[k]
        gains = kappa_totals(others + deltas.sum(axis=1) - deltas[:, k]) - kappa_totals(others)
        best = _best(gains, source)
        if best is not None:
            out[k] = deltas[best, k]
    gains = kappa_totals(total + deltas.sum(axis=1)) - kappa_totals(total)
    best = _best(gains, source)
    return out, (float(grid[best]) if best is not None else float("nan"))


def _best(gains: np.ndarray, source: str) -> int | None:
    """The grid index with the highest gain, if above 0. Ties: for additions and a veto the cut that
    changes least (the highest, the lowest); for the model alone the middle of the tied cuts, which
    leaves most room on both sides for the final model, fitted on more data than the folds were."""
    if not len(gains) or gains.max() <= 1e-12:
        return None
    top = np.flatnonzero(gains >= gains.max() - 1e-12)
    return int(top[-1] if source == ADD else top[0] if source == VETO else top[(len(top) - 1) // 2])


def choose_adaptive(model: object, Y: np.ndarray, R: np.ndarray, turns: np.ndarray, groups: np.ndarray, *,
                    candidates: tuple[str, ...] = OFFERED, alpha: float = ALPHA, n_boot: int = BOOTSTRAP,
                    min_transcripts: int = MIN_TRANSCRIPTS, seed: int | None = None, family: bool = True,
                    ) -> Choice:
    """Per code, the source for the suggestion (see the module docstring). `Y`, `R`, `turns` and
    `groups` (each unit's transcript) are the fitted model's training units, in order: the rows its
    `oof_` describes. `family`: Bonferroni-correct `alpha` over the (code, candidate) pairs tested."""
    n_codes = Y.shape[1]
    source, cut = [RULES] * n_codes, np.full(n_codes, np.nan)
    gain, lower = np.zeros(n_codes), np.zeros(n_codes)
    why = ["" for _ in range(n_codes)]
    names, g_unit = np.unique(np.asarray(groups), return_inverse=True)
    n_groups = len(names)
    if n_groups < min_transcripts:
        why = [f"{n_groups} training transcript(s), fewer than {min_transcripts}: the rules stay"] * n_codes
        return Choice(source, cut, gain, lower, why)
    rng = np.random.default_rng(getattr(model, "random_state", 0) if seed is None else seed)
    W = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=n_boot)  # resampled transcripts
    # The rules' per-transcript counts over all codes: the base every candidate is a change of.
    per_code: dict[int, tuple[_Turns, np.ndarray]] = {}
    base_g = np.zeros((n_groups, 4), dtype=np.int64)
    for j in range(n_codes):
        known = Y[:, j] >= 0
        if not known.any():
            continue
        tj = _turns(Y[known, j] > 0, R[known, j].astype(bool), model.oof_[known, j], turns[known], g_unit[known])
        rules_g = _counts(tj.h, tj.r, tj.g, n_groups)
        base_g += rules_g
        per_code[j] = (tj, rules_g)
    base_boot = W @ base_g
    k_base = kappa_totals(base_boot)
    few = {j for j in per_code if model.has_model_[j] and model.n_positive_[j] < model.min_positive}
    modelled = [j for j in per_code if model.has_model_[j] and j not in few]
    level = alpha / max(1, len(modelled) * len(candidates)) if family else alpha
    for j in per_code:
        if not model.has_model_[j]:
            why[j] = "no model"
        elif j in few:
            why[j] = (f"{int(model.n_positive_[j])} coded units, fewer than {model.min_positive}: "
                      "too few to judge the model against the rules")
    for j in modelled:
        tj, rules_g = per_code[j]
        best: tuple[float, float, str, float] | None = None  # lower, gain, source, cut
        notes = []
        for s in candidates:
            delta_g, c = _crossfit(tj, s, base_g, rules_g, n_groups)
            if np.isnan(c):
                notes.append(f"{_SAID[s]}: no threshold adds to the rules")
                continue
            g_point = _gain(base_g.sum(axis=0), delta_g.sum(axis=0))
            g_low = float(np.quantile(kappa_totals(base_boot + W @ delta_g) - k_base, level))
            notes.append(f"{_SAID[s]}: {g_point:+.3f}, lower bound {g_low:+.3f}")
            if g_point > 0 and g_low > 0 and (best is None or g_low > best[0]):
                best = (g_low, g_point, s, c)
        if best is not None:
            lower[j], gain[j], source[j], cut[j] = best[0], best[1], best[2], best[3]
            why[j] = (f"on the {n_groups} training transcripts it raises the pooled kappa by {best[1]:+.3f}, "
                      f"and by at least {best[0]:+.3f} (lower bound of a bootstrap over the transcripts, "
                      f"{100 * (1 - alpha):.0f}% for all codes at once)")
        else:
            why[j] = (f"the rules stay: no gain over them is sure enough on the {n_groups} training transcripts ("
                      + "; ".join(notes) + ")")
    return Choice(source, cut, gain, lower, why)
