"""YAML from other people's files with bounded work: no aliases, no deep nesting.

Front matter, codebooks and speaker maps are YAML that users pass around. PyYAML's
safe loader still follows aliases, and nested aliases (`b: [*a, *a]`, `c: [*b, *b]`,
...) make a few hundred bytes stand for gigabytes once anything walks the data:
the issue's sweep saw 217 s, 3.9 GB and an OverflowError from a 517-byte front
matter. Its composer also recurses once per level, so 100,000 nested `[` end in a
RecursionError. None of these files needs either feature, so both are refused
while the document is composed, before anything is built: an alias (E952) and
nesting deeper than MAX_DEPTH (E953). The work is then linear in the file's size.
"""

from __future__ import annotations

from typing import Any

import yaml

# Codebooks nest about six levels (codes -> rules -> language -> rule -> near -> items).
MAX_DEPTH = 50


class Refused(yaml.YAMLError):
    """A YAML document refused before it was built. `line` is 1-based; `fields` fill the message."""

    def __init__(self, code: str, line: int, **fields: object) -> None:
        self.code = code
        self.line = line
        self.fields = fields
        super().__init__(f"{code} at line {line}")


class BoundedComposer:
    """Mixin for a PyYAML loader (before the loader class in the bases): refuses aliases and deep nesting."""

    max_depth = MAX_DEPTH
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[attr-defined]
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent):
            raise Refused("E952", line, what="alias", value=f"*{event.anchor}")
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise Refused("E953", line, limit=self.max_depth)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


class SafeLoader(BoundedComposer, yaml.SafeLoader):
    """yaml.SafeLoader without aliases and without deep nesting."""


def safe_load(text: str) -> Any:
    """Like yaml.safe_load, but raises Refused (a yaml.YAMLError) for aliases and deep nesting."""
    loader = SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
