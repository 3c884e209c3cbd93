"""Learned suggestions: models trained on a coder's own decisions (issue 13).

- `features`   what a model sees of a unit (lemmas, bigrams, rule hits, role, language, Kazakh n-grams)
- `corpus`     the project's transcripts as units, from the cached analyses
- `training`   labels from a coder's human decisions
- `codebook_texts` the codebook's example and include texts as weak positive examples
- `estimator`  `CodeSuggester`, a scikit-learn estimator: calibrated, with per-code thresholds
- `evaluation` cross-validation grouped by transcript: rules, model and suggestion per code
- `storage`    a model as plain data in the project (never pickle), checked when loaded
- `learn`      a suggest run end to end, and "what to code next"
"""

from qualcode.suggest.estimator import CodeSuggester
from qualcode.suggest.features import UnitFeatures
from qualcode.suggest.learn import ModelRun, make_pipeline, next_turns, suggest

__all__ = ["CodeSuggester", "ModelRun", "UnitFeatures", "make_pipeline", "next_turns", "suggest"]
