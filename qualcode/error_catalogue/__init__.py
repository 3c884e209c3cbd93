"""The catalogue of qualcode's numbered error messages, one module per domain.

Each module holds one class of templates for a range of codes (store.py E1xx, imports.py
E2xx-E4xx and E98x-E99x, memos.py E410-E429, options.py and team.py E5xx, codebooks.py E6xx,
coding.py E7xx, exchange.py E8xx, suggestions.py E900-E919, safety.py E950-E979). `Errors`
gathers them into the one class qualcode.errors has always offered, so `getattr(Errors, code)`
and `vars(Errors)` see every code. A code given in two modules stops the import, so that
no message silently hides another.
Only strings live here (no imports beyond the standard library), so `qualcode --help` stays light.
"""

from __future__ import annotations

from qualcode.error_catalogue.codebooks import CodebookTemplates
from qualcode.error_catalogue.coding import CodingTemplates
from qualcode.error_catalogue.exchange import ExchangeTemplates
from qualcode.error_catalogue.imports import ImportTemplates
from qualcode.error_catalogue.memos import MemoTemplates
from qualcode.error_catalogue.options import OptionTemplates
from qualcode.error_catalogue.safety import SafetyTemplates
from qualcode.error_catalogue.store import StoreTemplates
from qualcode.error_catalogue.suggestions import SuggestionTemplates
from qualcode.error_catalogue.team import TeamTemplates

PARTS: tuple[type, ...] = (StoreTemplates, ImportTemplates, MemoTemplates, OptionTemplates, TeamTemplates,
                           CodebookTemplates, CodingTemplates, ExchangeTemplates, SuggestionTemplates,
                           SafetyTemplates)


def _is_code(name: str) -> bool:
    return len(name) == 4 and name[0] == "E" and name[1:].isdigit()


def _gather(parts: tuple[type, ...]) -> dict[str, str]:
    """Every code's template, refusing a code that two modules both define."""
    found: dict[str, str] = {}
    where: dict[str, str] = {}
    for part in parts:
        for name, template in vars(part).items():
            if not _is_code(name):
                continue
            if name in found:
                raise RuntimeError(f"error code {name} is defined twice: in {where[name]} and in {part.__module__}")
            found[name] = template
            where[name] = part.__module__
    return found


# A class, not a dict, because callers look codes up with getattr(Errors, "E203").
Errors = type("Errors", (), {"__doc__": "Every numbered message template, by code (e.g. Errors.E203).",
                             "__module__": __name__, **_gather(PARTS)})
