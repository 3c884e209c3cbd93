"""Analysis over codings: case × code matrices and the codebook's rule typology (more to come:
cross-tabs, co-occurrence, cluster typologies)."""

from qualcode.analysis.cooccurrence import SCOPES, CoOccurrence, cooccurrence
from qualcode.analysis.crosstab import CrossTab, code_by_attribute
from qualcode.analysis.frequencies import frequencies
from qualcode.analysis.matrix import KINDS, case_code_matrix
from qualcode.analysis.typology import UNASSIGNED, RuleTypology, rule_typology

__all__ = [
    "KINDS",
    "SCOPES",
    "UNASSIGNED",
    "CoOccurrence",
    "CrossTab",
    "RuleTypology",
    "case_code_matrix",
    "code_by_attribute",
    "cooccurrence",
    "frequencies",
    "rule_typology",
]
