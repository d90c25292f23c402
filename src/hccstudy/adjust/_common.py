"""Private helpers shared by the adjust modules: checking the treatment column."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from hccstudy.errors import InputError


def require_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}",
                         rule="data must be a DataFrame")
    return data


def require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(
            f"unknown column(s) {missing!r}: the data has no such column",
            column=str(missing[0]), rule="column must exist",
        )


def binary_treatment(data: pd.DataFrame, treatment: str,
                     treated: Hashable | None = None) -> np.ndarray:
    """The treatment column as a 0/1 int array; both groups must be non-empty.

    Accepted: bool, {0, 1} numbers, or any two-valued column with ``treated``
    naming the treated value. Missing treatment is an error.
    """
    require_columns(data, [treatment])
    col = data[treatment]
    n_na = int(col.isna().sum())
    if n_na:
        raise InputError(f"treatment column {treatment!r}: {n_na} row(s) missing; "
                         "rule: treatment must be known for every row",
                         column=treatment, n_rows=n_na, rule="treatment must not be missing")
    if treated is not None:
        values = pd.unique(col)
        if treated not in set(values.tolist()):
            raise InputError(f"treatment column {treatment!r} has no rows equal to the "
                             f"treated value {treated!r}; rule: a group with no patients",
                             column=treatment, rule="each group must have patients")
        if len(values) != 2:
            raise InputError(f"treatment column {treatment!r} has {len(values)} distinct "
                             "values; rule: treatment must be binary",
                             column=treatment, n_rows=len(col), rule="treatment must be binary")
        t = (col == treated).to_numpy(dtype=np.int64)
    else:
        if pd.api.types.is_bool_dtype(col):
            t = col.to_numpy(dtype=np.int64)
        else:
            num = pd.to_numeric(col, errors="coerce")
            bad = ~num.isin([0, 1])
            if bad.any():
                raise InputError(
                    f"treatment column {treatment!r}: {int(bad.sum())} row(s) are not 0/1; "
                    "rule: treatment must be binary (0/1 or bool, or pass treated=)",
                    column=treatment, n_rows=int(bad.sum()), rule="treatment must be binary")
            t = num.to_numpy(dtype=np.int64)
    n1 = int(t.sum())
    if n1 == 0 or n1 == len(t):
        which = "treated" if n1 == 0 else "control"
        raise InputError(f"treatment column {treatment!r}: the {which} group has no patients; "
                         "rule: each group must have patients",
                         column=treatment, n_rows=0, rule="each group must have patients")
    return t


def weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and variance with the reliability-weights denominator.

    The variance is ``sum(w (x - m)^2) * sum(w) / (sum(w)^2 - sum(w^2))``, which
    equals the usual ``n - 1`` sample variance when all weights are equal (the
    convention of cobalt and MatchIt's ``summary``).
    """
    sw = float(w.sum())
    m = float(np.dot(w, x) / sw)
    denom = sw * sw - float(np.dot(w, w))
    if denom <= 0:
        return m, float("nan")
    v = float(np.dot(w, (x - m) ** 2)) * sw / denom
    return m, v
