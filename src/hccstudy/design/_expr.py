"""Safe evaluation of the small expression language of a study spec.

Expressions are parsed with :mod:`ast` and only a whitelist of nodes is
evaluated: column names, literals (numbers, strings, booleans, lists),
comparisons (``== != < <= > >= in not in``), ``and`` / ``or`` / ``not``
(also ``& | ~``), arithmetic (``+ - * / // % **``) and the functions in
:data:`FUNCTIONS`. There is no attribute access, subscripting, lambda or
import, so a spec cannot run arbitrary code (unlike :func:`eval`).

Missing values follow three-valued (Kleene) logic: a comparison with a missing
operand is *unknown*; ``False and unknown`` is False, ``True or unknown`` is
True; ``isna(x)`` / ``notna(x)`` are never unknown. The caller decides what an
unknown criterion means (the spec's ``on_missing``), so nothing is decided
silently.

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"age": [50, None, 70], "cp": ["A", "B", None]})
>>> v = evaluate("age >= 60 or cp in ['B', 'C']", d)
>>> v.values.tolist(), v.unknown.tolist()
([False, True, True], [False, False, False])
>>> sorted(columns_of("days(death_date - start) / 30.4375 > 1"))
['death_date', 'start']
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FUNCTIONS", "Value", "columns_of", "evaluate", "parse"]


@dataclass(frozen=True)
class Value:
    """An evaluated expression: values (Series or scalar) and the unknown mask."""

    values: Any
    unknown: np.ndarray


def _days(x: Any) -> Any:
    return pd.to_timedelta(x).dt.days.astype(float) if isinstance(x, pd.Series) else \
        float(pd.Timedelta(x).days)


def _year(x: Any) -> Any:
    return pd.to_datetime(x).dt.year.astype(float) if isinstance(x, pd.Series) else \
        float(pd.Timestamp(x).year)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "date": lambda s: pd.Timestamp(str(s)),
    "days": _days,
    "year": _year,
    "abs": lambda x: np.abs(x),
    "log": lambda x: np.log(x),
    "to_date": lambda x: pd.to_datetime(x, errors="coerce"),
}
"""Functions an expression may call (besides ``isna``/``notna``)."""

_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_BIN: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CONSTANTS = {"True": True, "False": False}


class ExpressionError(ValueError):
    """A malformed expression or an unknown column (the caller adds the spec key)."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


def parse(expr: str) -> ast.expr:
    """Parse and check an expression; raise :class:`ExpressionError` if not allowed."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not a valid expression ({e.msg})") from None
    for node in ast.walk(tree):
        ok = isinstance(node, ast.Expression | ast.Name | ast.Constant | ast.BoolOp | ast.And
                        | ast.Or | ast.UnaryOp | ast.Not | ast.USub | ast.UAdd | ast.Invert
                        | ast.BinOp | ast.BitAnd | ast.BitOr | ast.Compare | ast.In
                        | ast.NotIn | ast.List | ast.Tuple | ast.Call | ast.Load
                        | ast.cmpop | ast.operator)
        if isinstance(node, ast.operator) and type(node) not in _BIN \
                and not isinstance(node, ast.BitAnd | ast.BitOr):
            ok = False
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or (
                    node.func.id not in FUNCTIONS and node.func.id not in ("isna", "notna")):
                ok = False
            elif node.keywords or len(node.args) != 1:
                ok = False
        if not ok:
            raise ExpressionError(
                f"{type(node).__name__} is not allowed in an expression (allowed: column names, "
                f"literals, comparisons, and/or/not, arithmetic, "
                f"{', '.join(sorted([*FUNCTIONS, 'isna', 'notna']))})")
    return tree.body


def columns_of(expr: str) -> set[str]:
    """The column names an expression refers to."""
    body = parse(expr)
    funcs = {n.func.id for n in ast.walk(body) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(body) if isinstance(n, ast.Name)
            and n.id not in _CONSTANTS and n.id not in funcs}


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand)
    raise ExpressionError("the right-hand side of 'in' must be a list of literals")


def _na(x: Any, n: int) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.isna().to_numpy(dtype=bool)
    return np.full(n, x is None or (isinstance(x, float) and np.isnan(x)), dtype=bool)


def _bool(v: Value, n: int) -> np.ndarray:
    x = v.values
    if isinstance(x, pd.Series):
        return x.fillna(False).astype(bool).to_numpy()
    return np.full(n, bool(x))


def evaluate(expr: str, data: pd.DataFrame) -> Value:
    """Evaluate ``expr`` on the columns of ``data`` (three-valued logic for missing)."""
    body = parse(expr)
    n = len(data)

    def ev(node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            return Value(node.value, np.zeros(n, dtype=bool))
        if isinstance(node, ast.Name):
            if node.id in _CONSTANTS:
                return Value(_CONSTANTS[node.id], np.zeros(n, dtype=bool))
            if node.id not in data.columns:
                raise ExpressionError(f"unknown column {node.id!r}", column=node.id)
            col = data[node.id]
            return Value(col, col.isna().to_numpy(dtype=bool))
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            arg = ev(node.args[0])
            if node.func.id == "isna":
                return Value(pd.Series(arg.unknown, index=data.index), np.zeros(n, dtype=bool))
            if node.func.id == "notna":
                return Value(pd.Series(~arg.unknown, index=data.index), np.zeros(n, dtype=bool))
            try:
                out = FUNCTIONS[node.func.id](arg.values)
            except (TypeError, ValueError) as e:
                raise ExpressionError(f"{node.func.id}(): {e}") from None
            return Value(out, arg.unknown | _na(out, n))
        if isinstance(node, ast.BoolOp):
            parts = [ev(v) for v in node.values]
            acc_v, acc_u = _bool(parts[0], n), parts[0].unknown.copy()
            for p in parts[1:]:
                pv, pu = _bool(p, n), p.unknown
                if isinstance(node.op, ast.And):
                    false = (~acc_v & ~acc_u) | (~pv & ~pu)
                    acc_v, acc_u = acc_v & pv & ~acc_u & ~pu, ~false & (acc_u | pu)
                else:
                    true = (acc_v & ~acc_u) | (pv & ~pu)
                    acc_v, acc_u = true, ~true & (acc_u | pu)
            return Value(pd.Series(acc_v, index=data.index), acc_u)
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            if isinstance(node.op, ast.Not | ast.Invert):
                return Value(pd.Series(~_bool(v, n), index=data.index), v.unknown)
            return Value(-v.values if isinstance(node.op, ast.USub) else v.values, v.unknown)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.BitAnd | ast.BitOr):
                bop: ast.boolop = ast.And() if isinstance(node.op, ast.BitAnd) else ast.Or()
                return ev(ast.BoolOp(op=bop, values=[node.left, node.right]))
            a, b = ev(node.left), ev(node.right)
            try:
                out = _BIN[type(node.op)](a.values, b.values)
            except TypeError as e:
                raise ExpressionError(f"arithmetic on incompatible types ({e})") from None
            return Value(out, a.unknown | b.unknown | _na(out, n))
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            acc = np.ones(n, dtype=bool)
            unknown = np.zeros(n, dtype=bool)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn):
                    items = _literal(right_node)
                    lv = left.values
                    hit = (lv.isin(items).to_numpy(dtype=bool) if isinstance(lv, pd.Series)
                           else np.full(n, lv in items))
                    res = hit if isinstance(op, ast.In) else ~hit
                    unknown |= left.unknown
                    acc &= res
                    continue
                right = ev(right_node)
                try:
                    res_s = _CMP[type(op)](left.values, right.values)
                except TypeError as e:
                    raise ExpressionError(f"cannot compare these values ({e})") from None
                res = (res_s.fillna(False).to_numpy(dtype=bool) if isinstance(res_s, pd.Series)
                       else np.full(n, bool(res_s)))
                unknown |= left.unknown | right.unknown
                acc &= res
                left = right
            return Value(pd.Series(acc & ~unknown, index=data.index), unknown)
        if isinstance(node, ast.List | ast.Tuple):  # pragma: no cover - only inside 'in'
            raise ExpressionError("a list is only allowed after 'in'")
        raise ExpressionError(f"{type(node).__name__} is not allowed")  # pragma: no cover

    return ev(body)
