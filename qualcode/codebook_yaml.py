"""YAML with line numbers for codebooks: mappings and lists that remember the line of every key and
item (for error messages), duplicate keys recorded, aliases and deep nesting refused (E952/E953).
"""

from __future__ import annotations

from typing import Any

import yaml

from qualcode import safe_yaml

# --- YAML with line numbers ---------------------------------------------------------------

class _Map(dict):
    line: int = 0
    key_lines: dict[Any, int]


class _Seq(list):
    line: int = 0
    item_lines: list[int]


class _Loader(safe_yaml.BoundedComposer, yaml.SafeLoader):  # no aliases, no deep nesting (E952/E953)
    duplicates: list[tuple[int, Any, int, int]]  # (mapping line, key, first line, second line)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out.key_lines:
            loader.duplicates.append((out.line, key, out.key_lines[key], key_node.start_mark.line + 1))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _line(obj: Any, key: Any = None, default: int = 1) -> int:
    if key is not None and isinstance(obj, _Map) and key in obj.key_lines:
        return obj.key_lines[key]
    return getattr(obj, "line", default) or default
