"""YAML with line numbers for codebooks: mappings and lists that remember the line of every key and
item (for error messages), duplicate keys recorded, aliases and deep nesting refused (E952/E953).

Why events and not a loader class: PyYAML's pure-Python loader took ~0.2 s for the shipped
codebook, most of it in its scanner (issue 17). libyaml (`yaml.CParser`) scans and parses in C,
but its composer is C too, so the checks of `qualcode.safe_yaml.BoundedComposer` cannot hook
into it, and a C composer recurses once per nesting level. So only the event stream comes
from libyaml, and the tree is built here from the events, without recursion: an alias event is
refused at once (E952), a node deeper than `safe_yaml.MAX_DEPTH` too (E953), and every mapping
and list keeps its line marks. Scalars are resolved and built by PyYAML's own safe resolver and
constructor, so values are typed exactly as `yaml.safe_load` types them.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from qualcode import safe_yaml

# libyaml when PyYAML was built with it (the wheels are); the pure-Python parser otherwise.
_EVENTS = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = Resolver()
_SCALARS = SafeConstructor()
_MERGE = "tag:yaml.org,2002:merge"
_MERGE_KEY = object()  # the key `<<` while its value is read
_MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")
_SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")
_NO_KEY = object()


class _Map(dict):
    line: int = 0
    key_lines: dict[Any, int]


class _Seq(list):
    line: int = 0
    item_lines: list[int]


class _Open:
    """A mapping or list being filled; a mapping also holds the key waiting for its value."""

    __slots__ = ("key", "key_line", "merged", "obj")

    def __init__(self, obj: _Map | _Seq) -> None:
        self.obj = obj
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.merged: list[_Map] = []


def _line(obj: Any, key: Any = None, default: int = 1) -> int:
    if key is not None and isinstance(obj, _Map) and key in obj.key_lines:
        return obj.key_lines[key]
    return getattr(obj, "line", default) or default


_STR = "tag:yaml.org,2002:str"


def _scalar(event: yaml.ScalarEvent) -> tuple[Any, bool]:
    """The value of a scalar as yaml.safe_load builds it, and whether it is the merge key `<<`."""
    tag = event.tag
    if tag is None or tag == "!":
        if event.style:  # quoted or a block scalar: text, whatever it looks like
            return event.value, False
        tag = _RESOLVER.resolve(ScalarNode, event.value, event.implicit)
    if tag == _STR:  # most of a codebook; what construct_yaml_str would return
        return event.value, False
    if tag == _MERGE:
        return None, True
    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    build = SafeConstructor.yaml_constructors.get(tag, SafeConstructor.construct_undefined)
    return build(_SCALARS, node), False


def parse(text: str) -> tuple[Any, list[tuple[int, Any, int, int]]]:
    """The single document of `text` with line marks, and its duplicate keys as (mapping line,
    key, first line, second line). Raises safe_yaml.Refused (E952, E953) or a yaml.YAMLError
    with its mark for anything else."""
    duplicates: list[tuple[int, Any, int, int]] = []
    stack: list[_Open] = []
    root: Any = None
    documents = 0
    first_mark = None

    def put(value: Any, line: int, *, merge: bool = False) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        if isinstance(top.obj, _Seq):
            top.obj.append(value)
            top.obj.item_lines.append(line)
        elif top.key is _NO_KEY:
            try:
                hash(value)
            except TypeError:
                raise ConstructorError("while constructing a mapping", None, "found unhashable key",
                                       event.start_mark) from None
            top.key, top.key_line = (_MERGE_KEY if merge else value), line
        else:
            if top.key is _MERGE_KEY:
                items = value if isinstance(value, list) else [value]
                if not all(isinstance(item, dict) for item in items):
                    raise ConstructorError("while constructing a mapping", None, "expected a mapping or list of "
                                           "mappings for merging", event.start_mark)
                top.merged.extend(items)
            else:
                obj = top.obj
                if top.key in obj.key_lines:
                    duplicates.append((obj.line, top.key, obj.key_lines[top.key], top.key_line))
                obj[top.key] = value
                obj.key_lines[top.key] = top.key_line
            top.key = _NO_KEY

    loader = _EVENTS(text)
    scalar, start_map, start_seq = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    try:
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.StreamEndEvent:
                break
            if kind is scalar or kind is start_map or kind is start_seq:
                line = event.start_mark.line + 1
                if len(stack) >= safe_yaml.MAX_DEPTH:
                    raise safe_yaml.Refused("E953", line, limit=safe_yaml.MAX_DEPTH)
                if kind is scalar:
                    value, merge = _scalar(event)
                    put(value, line, merge=merge)
                    continue
                if event.tag not in (_MAP_TAGS if kind is start_map else _SEQ_TAGS):  # !!set, !!omap, !python/..
                    raise ConstructorError(None, None, f"could not determine a constructor for the tag "
                                           f"{event.tag!r}", event.start_mark)
                obj: _Map | _Seq = _Map() if kind is start_map else _Seq()
                obj.line = line
                if kind is start_map:
                    obj.key_lines = {}
                else:
                    obj.item_lines = []
                stack.append(_Open(obj))
            elif kind in ends:
                done = stack.pop()
                for merged in done.merged:  # `<<: {...}`: keys the mapping itself gives win
                    for key, value in merged.items():
                        if key not in done.obj:
                            done.obj[key] = value
                            done.obj.key_lines[key] = _line(merged, key)
                put(done.obj, done.obj.line)
            elif kind is yaml.AliasEvent:
                raise safe_yaml.Refused("E952", event.start_mark.line + 1, what="alias", value=f"*{event.anchor}")
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents == 1:
                    first_mark = event.start_mark
                else:
                    raise yaml.composer.ComposerError("expected a single document in the stream", first_mark,
                                                      "but found another document", event.start_mark)
    except yaml.YAMLError as exc:
        # libyaml refuses nesting deeper than its own limit (1,000 levels) while it scans ahead,
        # before the depth check above sees the events: that is E953 too.
        if not isinstance(exc, safe_yaml.Refused) and "maximum nesting depth" in str(getattr(exc, "problem", "")):
            mark = getattr(exc, "problem_mark", None)
            raise safe_yaml.Refused("E953", mark.line + 1 if mark else 1, limit=safe_yaml.MAX_DEPTH) from None
        raise
    finally:
        loader.dispose()
    return root, duplicates
