"""Errors of reading a codebook (E6xx), each naming the file, line and code or rule.
"""

from __future__ import annotations


class CodebookTemplates:
    # Codebooks (E6xx). `where` reads "code 'push.housing'", "rule 'push.housing/ru/2'", ...
    E600 = "{file}: the codebook has {n} problem(s); it was not used.\n{details}"
    E601 = "{file}: cannot read the codebook: {reason}."
    E602 = "{file}, line {line}: {where}: YAML syntax error: {reason}. Fix: {fix}"
    E603 = "{file}, line {line}: {where}: '{key}' is required ({expected}). Fix: add `{key}:`."
    E604 = "{file}, line {line}: {where}: '{key}' must be {expected}; found {found!r}. Fix: {fix}"
    E605 = "{file}, line {line}: {where}: unknown key '{key}'. {hint}Known keys here: {known}."
    E606 = (
        "{file}, line {line}: code '{code}': the id is already used on line {first}. "
        "Fix: give each code its own id (codings point at ids)."
    )
    E607 = (
        "{file}, line {line}: code '{code}': its parent '{parent}' is not defined. "
        "Fix: add a code with id '{parent}' (e.g. a group heading), or set `parent:` to an existing code."
    )
    E608 = (
        "{file}, line {line}: code '{code}': parents form a cycle ({cycle}). "
        "Fix: make one of them a top-level code or give it another parent."
    )
    E609 = "{file}, line {line}: {where}: invalid regex «{pattern}»: {reason}. Fix: {fix}"
    E610 = (
        "{file}, line {line}: {where}: invalid spaCy token pattern: {reason}. "
        "Fix: a token pattern is a list of dicts such as [{{LEMMA: lose}}, {{OP: '?'}}, {{LEMMA: job}}]."
    )
    E611 = (
        "{file}, line {line}: {where}: unknown language '{lang}'. "
        "Fix: use one of: {known} (add a language to `languages:` to write rules in it; "
        "qualcode has pipelines for en, ru and kk)."
    )
    E612 = (
        "{file}, line {line}: {where}: bad colour {value!r}. "
        "Fix: write it as '#rgb' or '#rrggbb' in quotes, e.g. color: \"#d62728\" (unquoted, # starts a "
        "YAML comment and the colour is lost)."
    )
    E613 = "{file}, line {line}: {where}: this rule can never match: {reason}. Fix: {fix}"
    E614 = (
        "{file}, line {line}: rule id '{rule}' is already used on line {first}. "
        "Fix: give each rule its own `id:`, or leave `id:` out to get '<code>/<lang>/<n>'."
    )
    E615 = "{file}, line {line}: {where}: {reason}. Fix: {fix}"
    E617 = (
        "{file}, line {line}: {where}: the key '{key}' is given twice (first on line {first}); YAML would "
        "silently keep only the last. Fix: merge the two into one."
    )
    E616 = "No codebook language matches transcript language '{lang}' ({names}); they were not coded."
