"""Shared helpers of :mod:`hccstudy.clinical`: the error type, plausibility bounds, reasons.

Every clinical derivation follows the same contract (see ``docs/clinical.md``):

* an impossible value raises :class:`ClinicalInputError`, naming the row position, the column,
  the value and the rule (never a patient identifier; the row is the 0-based *position* in
  the frame, not its index label, which may be an identifier);
* a value that is plausible in another unit (albumin 35 "g/dL") is reported as a likely
  unit mix-up;
* a missing input gives a missing result plus a reason code ``missing:<field>``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hccstudy.errors import InputError

__all__ = [
    "Bound",
    "ClinicalInputError",
    "at_row",
    "bool_series",
    "check_array",
    "check_value",
    "flag_array",
    "is_missing",
    "join_reasons",
    "numeric_column",
    "to_flag",
]


class ClinicalInputError(InputError):
    """Impossible clinical input: names the row position, column, value and rule.

    Attributes
    ----------
    row : int or None
        0-based position of the first offending row in the frame (``None`` for scalar calls).
    value : object
        The offending value.
    """

    def __init__(self, message: str, *, column: str | None = None, n_rows: int = 0,
                 rule: str = "", row: int | None = None, value: Any = None) -> None:
        super().__init__(message, column=column, n_rows=n_rows, rule=rule)
        self.row = row
        self.value = value


@dataclass(frozen=True)
class Bound:
    """Plausible range of one quantity in its canonical unit.

    ``lo``/``hi`` are the plausible limits (``lo_open``/``hi_open`` make them exclusive).
    ``mixup`` = (low, high, other_unit): a value in [low, high] outside the plausible range is
    reported as a likely unit mix-up with ``other_unit``.
    """

    quantity: str
    unit: str
    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    mixup: tuple[float, float, str] | None = None
    integer: bool = False

    def rule(self) -> str:
        left = "<" if self.lo_open else "<="
        right = "<" if self.hi_open else "<="
        whole = ", a whole number" if self.integer else ""
        return f"{self.lo:g} {left} {self.quantity} ({self.unit}) {right} {self.hi:g}{whole}"

    def ok(self, x: np.ndarray) -> np.ndarray:
        lo = x > self.lo if self.lo_open else x >= self.lo
        hi = x < self.hi if self.hi_open else x <= self.hi
        good = lo & hi
        if self.integer:
            good = good & (np.round(x) == x)
        return np.asarray(good)

    def message(self, value: float, column: str | None, row: int | None, n_rows: int) -> str:
        where = f"row {row}, " if row is not None else ""
        col = f"column {column!r}, " if column else ""
        more = f" ({n_rows} offending row(s) in all)" if n_rows > 1 else ""
        if self.mixup is not None and self.mixup[0] <= value <= self.mixup[1]:
            return (f"{where}{col}value {value:g}: likely unit mix-up: {self.quantity} "
                    f"{value:g} is not plausible in {self.unit} but is in {self.mixup[2]}; "
                    f"convert to {self.unit}; rule: {self.rule()}{more}")
        return (f"{where}{col}value {value:g}: impossible {self.quantity}; "
                f"rule: {self.rule()}{more}")


def is_missing(x: Any) -> bool:
    """True for None, NaN, NaT and ``pd.NA``.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(0.0)
    (True, True, False)
    """
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def check_value(value: float | None, bound: Bound, column: str | None = None) -> float | None:
    """Check one scalar against ``bound``; return it as float (``None`` when missing).

    Examples
    --------
    >>> b = Bound("albumin", "g/dL", 0, 7, lo_open=True, mixup=(7, 70, "g/L"))
    >>> check_value(3.5, b)
    3.5
    >>> try:
    ...     check_value(45, b)
    ... except ClinicalInputError as e:
    ...     print(e)
    value 45: likely unit mix-up: albumin 45 is not plausible in g/dL but is in g/L; convert to g/dL; rule: 0 < albumin (g/dL) <= 7
    """
    if is_missing(value):
        return None
    assert value is not None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ClinicalInputError(
            f"{'column ' + repr(column) + ', ' if column else ''}value {value!r}: "
            f"{bound.quantity} must be a number", column=column, n_rows=1,
            rule=f"{bound.quantity} numeric", value=value) from None
    if not math.isfinite(x) or not bool(bound.ok(np.array([x]))[0]):
        raise ClinicalInputError(bound.message(x, column, None, 1), column=column, n_rows=1,
                                 rule=bound.rule(), value=x)
    return x


def numeric_column(frame: pd.DataFrame, column: str, quantity: str) -> np.ndarray:
    """A column as a float array; non-numeric entries raise, missing entries become NaN."""
    col = frame[column]
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=float)
    conv = pd.to_numeric(col, errors="coerce")
    bad = conv.isna().to_numpy() & col.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ClinicalInputError(
            f"row {row}, column {column!r}, value {col.iloc[row]!r}: {quantity} must be a number; "
            f"rule: {quantity} numeric ({int(bad.sum())} offending row(s))",
            column=column, n_rows=int(bad.sum()), rule=f"{quantity} numeric", row=row,
            value=col.iloc[row])
    return conv.to_numpy(dtype=float)


def check_array(x: np.ndarray, bound: Bound, column: str) -> np.ndarray:
    """Check a float array against ``bound`` (NaN = missing, allowed); return it.

    Raises :class:`ClinicalInputError` naming the first offending row position.
    """
    present = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        bad = present & ~(bound.ok(x) & np.isfinite(x))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        n = int(bad.sum())
        raise ClinicalInputError(bound.message(float(x[row]), column, row, n), column=column,
                                 n_rows=n, rule=bound.rule(), row=row, value=float(x[row]))
    return x


def join_reasons(parts: Iterable[str | None]) -> str | None:
    """Join reason codes with ';' (``None`` when there are none)."""
    kept = [p for p in parts if p]
    return ";".join(kept) if kept else None


def bool_series(values: np.ndarray, missing: np.ndarray, index: pd.Index) -> pd.Series:
    """A nullable-boolean Series: ``values`` where ``missing`` is False, else ``<NA>``."""
    out = pd.Series(np.asarray(values, dtype=bool), dtype="boolean", index=index)
    out[np.asarray(missing, dtype=bool)] = pd.NA
    return out


def at_row(err: ClinicalInputError, row: int, column: str | None = None) -> ClinicalInputError:
    """The same error re-stated for a frame row (0-based position) and column."""
    col = column or err.column
    text = str(err)
    if col and f"column {col!r}" not in text:
        text = f"column {col!r}, {text}"
    return ClinicalInputError(f"row {row}, {text}", column=col, n_rows=1, rule=err.rule, row=row,
                              value=err.value)


_TRUE = {"true", "yes", "y", "1", "1.0", "t"}
_FALSE = {"false", "no", "n", "0", "0.0", "f"}


def to_flag(value: object, column: str | None = None) -> bool | None:
    """Read a yes/no value strictly (bool, 0/1, "yes"/"no", "true"/"false"); missing -> None.

    Examples
    --------
    >>> to_flag("No"), to_flag(1), to_flag(None)
    (False, True, None)
    """
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    key = str(value).strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    col = f"column {column!r}, " if column else ""
    raise ClinicalInputError(f"{col}value {value!r}: not a yes/no value; rule: true/false, "
                             "yes/no or 1/0", column=column, n_rows=1, rule="yes/no value",
                             value=value)


def flag_array(series: pd.Series, column: str, *, missing: bool | None = None) -> np.ndarray:
    """A yes/no column as a bool array; a missing entry becomes ``missing`` or raises if None."""
    out = np.zeros(len(series), dtype=bool)
    for i, v in enumerate(series):
        try:
            f = to_flag(v, column)
        except ClinicalInputError as e:
            raise at_row(e, i) from None
        if f is None:
            if missing is None:
                raise ClinicalInputError(
                    f"row {i}, column {column!r}: missing yes/no value; rule: {column} given",
                    column=column, n_rows=1, rule=f"{column} not missing", row=i)
            f = missing
        out[i] = f
    return out
