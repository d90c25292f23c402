"""Shared checking of survival input columns.

All estimators call :func:`survival_input`, so the rules for bad input are
stated once: unknown columns, non-numeric or negative times, events outside
{0, 1, True, False}, entry not before exit, non-positive weights and missing
values raise :class:`~hccstudy.errors.InputError`; rows with missing values
are dropped only when the caller passes ``missing="drop"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.errors import InputError

Missing = Literal["raise", "drop"]

__all__ = ["SurvivalInput", "check_time", "select_rows", "survival_input"]


@dataclass(frozen=True)
class SurvivalInput:
    """Checked survival columns as float arrays (rows with missing values removed).

    ``frame`` holds the checked subset of the caller's frame (same index, only
    the requested columns); it is a copy, never the caller's object.
    """

    time: np.ndarray
    event: np.ndarray
    entry: np.ndarray | None
    weights: np.ndarray | None
    frame: pd.DataFrame
    n_dropped: int


def _require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(
            f"unknown column(s) {missing!r}: the data has no such column "
            f"(available: {list(map(str, data.columns))[:20]!r})",
            column=str(missing[0]), rule="column must exist",
        )


def _numeric(col: pd.Series, name: str, role: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=float)
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iuf":  # already numbers
        return np.ascontiguousarray(col.to_numpy(dtype=float))
    converted = pd.to_numeric(col, errors="coerce")
    bad = converted.isna() & col.notna()
    if bad.any():
        raise InputError(
            f"column {name!r} ({role}): {int(bad.sum())} row(s) are not numeric; "
            f"rule: {role} must be a number",
            column=name, n_rows=int(bad.sum()), rule=f"{role} must be numeric",
        )
    return converted.to_numpy(dtype=float)


def _any_missing(frame: pd.DataFrame) -> bool:
    """Whether any cell is missing, column by column (cheaper than ``frame.isna()`` on
    small frames: no intermediate frame)."""
    for _name, col in frame.items():
        v = col.to_numpy()
        if v.dtype.kind == "f":
            if np.isnan(v).any():
                return True
        elif v.dtype.kind not in "iub" and pd.isna(v).any():
            return True
    return False


def select_rows(data: pd.DataFrame, used: Sequence[str], missing: Missing = "raise"
                ) -> tuple[pd.DataFrame, int]:
    """The ``used`` columns of ``data`` (a new frame), applying the missing-value rule.

    Returns the frame and the number of rows dropped (``missing="drop"``); raises
    :class:`InputError` for unknown columns, missing values under ``"raise"``, or
    no rows left.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}",
                         rule="data must be a DataFrame")
    used = list(dict.fromkeys(used))
    _require_columns(data, used)
    frame = data.loc[:, used]  # a new frame (column selection copies); the caller's is untouched
    if _any_missing(frame):
        na = frame.isna()
        if missing == "raise":
            counts = na.sum()
            worst = counts[counts > 0]
            parts = ", ".join(f"{c!r}: {int(k)} row(s)" for c, k in worst.items())
            raise InputError(
                f"missing values in {parts}; rule: no missing values in analysed columns "
                f"(pass missing='drop' to drop those rows; the result reports how many)",
                column=str(worst.index[0]), n_rows=int(na.any(axis=1).sum()),
                rule="no missing values",
            )
        frame = frame.loc[~na.any(axis=1)]
    if len(frame) == 0:
        raise InputError("no rows left to analyse", rule="at least one complete row")
    return frame, len(data) - len(frame)


def check_time(t: np.ndarray, name: str) -> None:
    """Raise :class:`InputError` unless every time is finite and >= 0."""
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise InputError(
            f"column {name!r} (time): {int(bad.sum())} row(s) are negative or infinite; "
            "rule: time must be finite and >= 0",
            column=name, n_rows=int(bad.sum()), rule="time >= 0",
        )


def survival_input(
    data: pd.DataFrame,
    time: str,
    event: str,
    *,
    entry: str | None = None,
    weights: str | None = None,
    columns: Sequence[str] = (),
    missing: Missing = "raise",
) -> SurvivalInput:
    """Check and extract survival columns.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (or per (start, stop] interval when ``entry`` is given).
    time, event : str
        Follow-up time (>= 0) and event indicator (0/1 or bool).
    entry : str, optional
        Left-truncation (start) time; must be < ``time`` and >= 0.
    weights : str, optional
        Case weights, > 0.
    columns : sequence of str
        Further columns the caller needs (groups, strata, covariates); they must
        exist and take part in the missing-value rule.
    missing : {"raise", "drop"}
        What to do with rows that have a missing value in any used column.

    Returns
    -------
    SurvivalInput

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1.0, 2.0, None], "e": [1, 0, 1]})
    >>> survival_input(d, "t", "e", missing="drop").n_dropped
    1
    """
    if missing not in ("raise", "drop"):
        raise InputError(f"missing must be 'raise' or 'drop', not {missing!r}",
                         rule="missing option")
    used = [time, event, *(c for c in (entry, weights) if c is not None), *columns]
    frame, n_dropped = select_rows(data, used, missing)
    t = _numeric(frame[time], time, "time")
    check_time(t, time)
    e_col = frame[event]
    e = _numeric(e_col, event, "event")
    bad = ~np.isin(e, (0.0, 1.0))
    if bad.any():
        raise InputError(
            f"column {event!r} (event): {int(bad.sum())} row(s) are not 0/1/True/False; "
            "rule: event must be 0 (censored) or 1 (event)",
            column=event, n_rows=int(bad.sum()), rule="event in {0, 1}",
        )
    s: np.ndarray | None = None
    if entry is not None:
        s = _numeric(frame[entry], entry, "entry time")
        bad = ~np.isfinite(s) | (s < 0) | (s >= t)
        if bad.any():
            raise InputError(
                f"column {entry!r} (entry time): {int(bad.sum())} row(s) are negative or not "
                f"before {time!r}; rule: 0 <= entry < time",
                column=entry, n_rows=int(bad.sum()), rule="0 <= entry < time",
            )
    w: np.ndarray | None = None
    if weights is not None:
        w = _numeric(frame[weights], weights, "weight")
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            raise InputError(
                f"column {weights!r} (weight): {int(bad.sum())} row(s) are not positive and "
                "finite; rule: weights > 0",
                column=weights, n_rows=int(bad.sum()), rule="weights > 0",
            )
    return SurvivalInput(time=t, event=e, entry=s, weights=w, frame=frame, n_dropped=n_dropped)
