"""Analysis over codings: case × code matrices and the codebook's rule typology (more to come:
cross-tabs, co-occurrence, cluster typologies)."""

from qualcode.analysis.matrix import KINDS, case_code_matrix
from qualcode.analysis.typology import UNASSIGNED, RuleTypology, rule_typology

__all__ = ["KINDS", "UNASSIGNED", "RuleTypology", "case_code_matrix", "rule_typology"]
