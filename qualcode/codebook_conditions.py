"""Conditions and scores over codes and profiles (`types:` of a codebook): a small, safe
expression language parsed with `ast` and evaluated without `eval`.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

# --- conditions over codes and profiles ------------------------------------------------------

_COMPARE = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}
# Arithmetic lets a type's score combine profiles (`push - pull`); division by zero gives 0,
# so a case with no evidence never crashes a typology.
_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.Div: lambda a, b: a / b if b else 0.0}
_FUNCTIONS = {"min": min, "max": max, "abs": abs}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@functools.lru_cache(maxsize=1024)  # a typology evaluates the same few conditions for every case
def _parse(expr: str) -> ast.AST:
    try:
        return ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"cannot parse it ({exc.msg})") from None


def _walk(node: ast.AST, names: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _walk(v, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        _walk(node.operand, names)
    elif isinstance(node, ast.Compare):
        if not all(type(op) in _COMPARE for op in node.ops):
            raise ValueError("only <, <=, >, >=, == and != compare")
        for v in (node.left, *node.comparators):
            _walk(v, names)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITHMETIC:
            raise ValueError("only +, -, * and / compute")
        _walk(node.left, names)
        _walk(node.right, names)
    elif isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS) or node.keywords or not node.args:
            raise ValueError(f"only {', '.join(_FUNCTIONS)} may be called, with plain arguments")
        for v in node.args:
            _walk(v, names)
    elif isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return
    elif (name := _dotted(node)) is not None:
        if name.lower() not in ("true", "false"):
            names.add(name)
    else:
        raise ValueError(f"'{ast.unparse(node)}' is not allowed in a condition")


@functools.lru_cache(maxsize=1024)
def condition_names(expr: str) -> frozenset[str]:
    """The code and profile ids a condition uses; raises ValueError if it is not a valid condition."""
    names: set[str] = set()
    _walk(_parse(expr), names)
    return frozenset(names)


def evaluate(expr: str, values: dict[str, float | bool]) -> bool:
    """Evaluate a type condition. `values` maps code ids to presence and profile ids to scores."""
    return bool(compute(expr, values))


def compute(expr: str, values: dict[str, float | bool]) -> Any:
    """The value of a condition or score expression (a number or a truth value)."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.BinOp):
            return _ARITHMETIC[type(node.op)](float(ev(node.left)), float(ev(node.right)))
        if isinstance(node, ast.Call):
            return float(_FUNCTIONS[node.func.id](*(float(ev(a)) for a in node.args)))
        if isinstance(node, ast.BoolOp):
            results = (ev(v) for v in node.values)
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if isinstance(node, ast.UnaryOp):
            return (not ev(node.operand)) if isinstance(node.op, ast.Not) else -ev(node.operand)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = ev(right_node)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Constant):
            return node.value
        name = _dotted(node)
        if name is not None and name.lower() in ("true", "false"):
            return name.lower() == "true"
        return values.get(name, 0)

    return ev(_parse(expr))
