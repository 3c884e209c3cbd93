"""Counts in sentences a reader sees: "1 turn", "2 turns", "1,234 words".

One helper so that every door (CLI lines, import results, page captions) says a count the same
way, and none says "1 turns".
"""

from __future__ import annotations


def count(n: int, singular: str, plural: str | None = None) -> str:
    """`n` with the noun in the right number: count(1, "turn") -> "1 turn", count(3, "case") -> "3 cases"."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"
