"""A rule's fingerprint: what decides where it fires, the key of the cached rule matches
(`qualcode.match_cache`), so a re-code only matches the rules that changed.
"""

from __future__ import annotations

import hashlib
import json

from qualcode.codebook import Negation, Rule

# Bump when matching changes in a way the rule fingerprint does not show.
# 2: clause-scoped negation, questions, hypotheticals, reported speech, scope, sense;
# 3: Russian "не" + verb after the match; 4: the clause rules of 6045b1e (dash answers, purpose clauses);
# 5: the rule-match cache in binary (`qualcode.match_cache`), not JSON;
# 6: a match between quotation marks is reported speech (`Clauses.quoted`);
# 7: more words for other people in `scope: self` (newcomers, guys, «новенький», «парень», «ребята»).
MATCHER_VERSION = "7"


def rule_fingerprint(rule: Rule, negation: Negation, pipeline_version: str) -> str:
    """Everything that decides where a rule fires (not its code, unit or speakers, which apply later;
    except that `near` stays in one sentence unless the unit is turn)."""
    spec = [MATCHER_VERSION, pipeline_version, rule.lang, rule.kind, rule.patterns, rule.near, rule.within,
            rule.regex, rule.tokens, rule.negation, rule.unless, rule.unit == "turn" if rule.kind == "near" else None,
            rule.questions, rule.hypotheticals, rule.reported, rule.scope, rule.sense,
            sorted(negation.cues), negation.scope, negation.before, negation.after, list(negation.after_phrases),
            negation.after_window]
    return hashlib.sha1(json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()[:16]
