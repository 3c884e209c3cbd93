"""A trained model as plain data in the project, and back: never pickle, never joblib.

A project file is shared between researchers, and opening one must never run code. So a
model is stored as what it is: `spec`, JSON with the codes, the vocabulary, the feature and
estimator parameters, intercepts, calibration, thresholds and metrics; and `weights`, the
coefficient matrix of the codes that have a model as raw little-endian float32. `sha256`
covers both. Loading parses JSON and reads numbers with `numpy.frombuffer`; then it checks
the hash and every field's type, shape and range. Anything off is refused with E906.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, select

from qualcode.errors import QualcodeError
from qualcode.store.queries import now
from qualcode.store.schema import models
from qualcode.suggest.choice import RULES, SOURCES, Choice
from qualcode.suggest.estimator import CodeSuggester
from qualcode.suggest.features import ALL_FAMILIES, UnitFeatures

FORMAT = "qualcode-suggest-1"


@dataclass
class StoredModel:
    id: int
    run_id: int
    features: UnitFeatures
    estimator: CodeSuggester
    codes: list[str]
    use_model: np.ndarray
    spec: dict[str, Any]
    training_sha256: str
    choice: Choice | None = None  # per code: source and cut (models stored before it: the fixed choice)


def _floats(values: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(values, dtype=float).tolist()]


def encode(features: UnitFeatures, est: CodeSuggester, codes: list[str], use_model: np.ndarray | Choice,
           extra: dict[str, Any]) -> tuple[str, bytes, str]:
    """The spec JSON, the weights bytes and their sha256. `use_model`: the per-code choice (a Choice,
    stored as its kind, sources and cuts), or which codes use the model at its own threshold."""
    plan = use_model if isinstance(use_model, Choice) else None
    if plan is not None:
        use_model = plan.use_model
        extra = {**extra, "choice": {"kind": plan.kind, "source": list(plan.source), "cut": _floats(plan.cut)}}
    spec = {
        "format": FORMAT, "codes": list(codes), "vocabulary": list(features.vocabulary_),
        "features": {"families": list(features.families), "min_df": int(features.min_df),
                     "char_ngrams": [int(v) for v in features.char_ngrams],
                     "text_weight": float(features.text_weight), "turn_rules": bool(features.turn_rules)},
        "estimator": {k: v for k, v in est.get_params().items()},
        "has_model": [bool(v) for v in est.has_model_], "use_model": [bool(v) for v in use_model],
        "intercept": _floats(est.intercept_), "calibration": [_floats(r) for r in est.calibration_],
        "threshold": _floats(est.threshold_), "train_kappa": _floats(est.train_kappa_),
        "n_positive": [int(v) for v in est.n_positive_], "n_known": [int(v) for v in est.n_known_],
        **extra,
    }
    text = json.dumps(spec, ensure_ascii=False, sort_keys=True, allow_nan=False)
    weights = np.ascontiguousarray(est.coef_[est.has_model_], dtype="<f4").tobytes()
    return text, weights, _digest(text, weights)


def _digest(spec: str, weights: bytes) -> str:
    h = hashlib.sha256(spec.encode("utf-8"))
    h.update(b"\0")
    h.update(weights)
    return h.hexdigest()


def save(conn: Connection, run_id: int, features: UnitFeatures, est: CodeSuggester, codes: list[str],
         use_model: np.ndarray | Choice, training_sha256: str, extra: dict[str, Any]) -> int:
    spec, weights, digest = encode(features, est, codes, use_model, extra)
    return conn.execute(insert(models).values(
        run_id=run_id, format=FORMAT, spec=spec, weights=weights, sha256=digest, training_sha256=training_sha256,
        created_at=now())).inserted_primary_key[0]


def latest(conn: Connection, coders: list[str], unit: str) -> StoredModel | None:
    """The newest stored model trained on exactly these coders with this unit, checked; None if there is none."""
    for row in conn.execute(select(models).order_by(models.c.id.desc())):
        model = decode(row)
        if sorted(model.spec.get("coders", [])) == sorted(coders) and model.spec.get("unit") == unit:
            return model
    return None


def decode(row: Any) -> StoredModel:
    """A stored model row as a fitted transformer and estimator, or E906 naming what is wrong."""

    def refuse(reason: str) -> QualcodeError:
        return QualcodeError("E906", model=row.id, reason=reason)

    if row.format != FORMAT:
        raise refuse(f"unknown format {str(row.format)[:40]!r}; this qualcode reads {FORMAT!r}")
    spec_text, weights = row.spec, row.weights
    if not isinstance(spec_text, str) or not isinstance(weights, bytes | bytearray | memoryview):
        raise refuse("its spec is not text or its weights are not bytes")
    weights = bytes(weights)
    if _digest(spec_text, weights) != row.sha256:
        raise refuse("its content does not match its sha256: it was changed after it was saved")
    try:
        spec = json.loads(spec_text)
    except ValueError as exc:
        raise refuse(f"its spec is not JSON ({exc})") from None
    try:
        return _build(row, spec, weights)
    except (KeyError, TypeError, ValueError) as exc:
        raise refuse(f"its spec is malformed: {type(exc).__name__}: {exc}") from None


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


def _numbers(values: Any, n: int, what: str, allow_none: bool = False) -> np.ndarray:
    _check(isinstance(values, list) and len(values) == n, f"{what} must be a list of {n} numbers")
    out = []
    for v in values:
        if v is None and allow_none:
            out.append(float("nan"))
            continue
        _check(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v), f"{what}: {v!r}")
        out.append(float(v))
    return np.array(out, dtype=float)


def _build(row: Any, spec: dict, weights: bytes) -> StoredModel:
    _check(isinstance(spec, dict) and spec.get("format") == FORMAT, "format")
    codes, vocab = spec["codes"], spec["vocabulary"]
    _check(isinstance(codes, list) and all(isinstance(c, str) for c in codes), "codes must be strings")
    _check(isinstance(vocab, list) and all(isinstance(v, str) for v in vocab), "vocabulary must be strings")
    _check(len(set(vocab)) == len(vocab), "vocabulary has repeated features")
    n, v = len(codes), len(vocab)
    feats = spec["features"]
    families = feats["families"]
    _check(isinstance(families, list) and set(families) <= set(ALL_FAMILIES), f"families {families!r}")
    ngrams = feats["char_ngrams"]
    _check(isinstance(ngrams, list) and len(ngrams) == 2 and all(isinstance(k, int) and 1 <= k <= 10 for k in ngrams),
           "char_ngrams")
    _check(isinstance(feats["min_df"], int), "min_df")
    weight = feats["text_weight"]
    _check(isinstance(weight, int | float) and not isinstance(weight, bool) and 0 < weight <= 10, "text_weight")
    turn_rules = feats.get("turn_rules", False)  # absent in models stored before it existed
    _check(isinstance(turn_rules, bool), "turn_rules")
    features = UnitFeatures.from_vocabulary(vocab, families=tuple(families), min_df=feats["min_df"],
                                            char_ngrams=tuple(ngrams), text_weight=float(weight),
                                            turn_rules=turn_rules)
    params = spec["estimator"]
    # Models stored before the pooled variant have no pooled parameters: they were per code.
    if isinstance(params, dict) and "pooled" not in params:
        params = {**params, "pooled": False, "lexical_min": 10, "lexical_weight": 0.5}
    # Nor those stored before the codebook texts (weak examples): they had none.
    if isinstance(params, dict) and "weak_weight" not in params:
        params = {**params, "weak_weight": 0.5, "min_coded": 2}
    _check(isinstance(params, dict) and set(params) == set(CodeSuggester().get_params()), "estimator parameters")
    _check(isinstance(params["C"], int | float) and params["C"] > 0, "C")
    _check(params["class_weight"] in (None, "balanced"), "class_weight")
    for key in ("min_positive", "cv", "random_state", "lexical_min", "min_coded"):
        _check(isinstance(params[key], int) and not isinstance(params[key], bool), key)
    _check(isinstance(params["pooled"], bool), "pooled")
    lw = params["lexical_weight"]
    _check(isinstance(lw, int | float) and not isinstance(lw, bool) and 0 <= lw <= 10, "lexical_weight")
    ww = params["weak_weight"]
    _check(isinstance(ww, int | float) and not isinstance(ww, bool) and 0 <= ww <= 10, "weak_weight")
    est = CodeSuggester(**params)
    has = spec["has_model"]
    _check(isinstance(has, list) and len(has) == n and all(isinstance(b, bool) for b in has), "has_model")
    use = spec["use_model"]
    _check(isinstance(use, list) and len(use) == n and all(isinstance(b, bool) for b in use), "use_model")
    est.has_model_ = np.array(has, dtype=bool)
    k = int(est.has_model_.sum())
    _check(len(weights) == 4 * k * v, f"weights hold {len(weights)} bytes, not {4 * k * v} ({k} codes × {v} features)")
    coef = np.frombuffer(weights, dtype="<f4").reshape(k, v) if k else np.zeros((0, v), dtype="<f4")
    _check(bool(np.all(np.isfinite(coef))), "weights are not all finite")
    est.coef_ = np.zeros((n, v), dtype=np.float32)
    est.coef_[est.has_model_] = coef
    est.intercept_ = _numbers(spec["intercept"], n, "intercept")
    cal = spec["calibration"]
    _check(isinstance(cal, list) and len(cal) == n, "calibration")
    est.calibration_ = np.array([_numbers(c, 2, "calibration") for c in cal]).reshape(n, 2)
    est.threshold_ = _numbers(spec["threshold"], n, "threshold", allow_none=True)
    t = est.threshold_[est.has_model_]
    _check(bool(np.all((t >= 0) & (t <= 1))), "thresholds must lie between 0 and 1")
    est.train_kappa_ = _numbers(spec["train_kappa"], n, "train_kappa", allow_none=True)
    est.n_positive_ = _numbers(spec["n_positive"], n, "n_positive").astype(int)
    est.n_known_ = _numbers(spec["n_known"], n, "n_known").astype(int)
    est.n_features_in_ = v
    est.classes_ = np.arange(n)
    return StoredModel(row.id, row.run_id, features, est, list(codes), np.array(use, dtype=bool), spec,
                       row.training_sha256, _choice(spec.get("choice"), np.array(use, dtype=bool), est.threshold_))


def _choice(stored: Any, use: np.ndarray, threshold: np.ndarray) -> Choice:
    """The stored per-code choice, checked; absent (a model stored before it): the fixed choice."""
    if stored is None:
        return Choice.fixed(use, threshold)
    n = len(use)
    _check(isinstance(stored, dict) and stored.get("kind") in ("fixed", "adaptive"), "choice kind")
    source = stored["source"]
    _check(isinstance(source, list) and len(source) == n and all(s in SOURCES for s in source),
           f"choice sources must be {n} of {', '.join(SOURCES)}")
    _check([s != RULES for s in source] == use.tolist(), "choice sources disagree with use_model")
    cut = _numbers(stored["cut"], n, "choice cuts", allow_none=True)
    used = np.array([s != RULES for s in source], dtype=bool)
    _check(bool(np.all((cut[used] >= 0) & (cut[used] <= 1))), "choice cuts must lie between 0 and 1")
    return Choice(list(source), cut, np.full(n, np.nan), np.full(n, np.nan), [""] * n, stored["kind"])


def reasons(conn: Connection, ids: list[int]) -> dict[int, str]:
    """The stored "why" (JSON) of these model codings, by coding id."""
    from qualcode.store.schema import suggestion_reasons

    out: dict[int, str] = {}
    ids = [int(i) for i in ids]
    for i in range(0, len(ids), 900):
        query = select(suggestion_reasons).where(suggestion_reasons.c.coding_id.in_(ids[i:i + 900]))
        out.update({r.coding_id: r.reasons for r in conn.execute(query)})
    return out
