"""Design matrix of a Cox model from a right-hand-side formula (formulaic).

The intercept is built and then dropped, so factors get treatment contrasts
coded as R's ``coxph`` codes them (k - 1 columns). Besides formulaic's own
``C(x, contr.treatment('B'))`` / ``C(x, contr.treatment(base='B'))``, the short
form ``C(x, treatment('B'))`` is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hccstudy.errors import InputError

__all__ = ["Design", "build_design", "formula_variables", "new_design"]


@dataclass(frozen=True)
class Design:
    """Covariate matrix, column names, and which columns belong to which term."""

    x: np.ndarray
    columns: tuple[str, ...]
    term_columns: dict[str, tuple[int, ...]]
    spec: Any  # formulaic ModelSpec: levels and contrasts only, no data rows


def _context() -> dict[str, Any]:
    from formulaic.transforms.contrasts import TreatmentContrasts

    def treatment(*args: Any, **kwargs: Any) -> TreatmentContrasts:
        return TreatmentContrasts(*args, **kwargs)

    return {"treatment": treatment}


def _rhs(formula: str) -> str:
    if not isinstance(formula, str) or not formula.strip():
        raise InputError("formula must be a non-empty string such as 'age + C(bclc)'",
                         rule="formula is a right-hand side")
    if "~" in formula:
        raise InputError(
            f"formula {formula!r} must be the right-hand side only (no '~'); "
            "time and event are given as time= and event=",
            rule="formula is a right-hand side",
        )
    return "1 + " + formula


def formula_variables(formula: str, data: pd.DataFrame) -> list[str]:
    """Data columns the formula uses (in the frame's column order)."""
    _rhs(formula)
    plain = _plain_terms(data, formula)
    if plain is not None:
        return list(plain)
    from formulaic import Formula

    try:
        needed = Formula(_rhs(formula)).required_variables
    except Exception as exc:  # formulaic parse errors
        raise InputError(f"cannot parse formula {formula!r}: {exc}",
                         rule="valid formulaic formula") from exc
    names = {str(v) for v in needed}
    # formulaic reads `ph.ecog` as attribute access of "ph": find the columns by token
    used = [str(c) for c in data.columns
            if str(c) in names or re.search(r"(?<![\w.])" + re.escape(str(c)) + r"(?![\w.(])",
                                            formula)]
    known = {"C", "contr", "treatment", "np", "log", "exp", "center", "scale", "poly",
             "bs", "I", "lag", "Q"}
    missing = sorted(v for v in names if v not in data.columns and v not in known
                     and not any(u.startswith(v + ".") for u in used))
    if missing:
        raise InputError(
            f"unknown column(s) {missing!r} in formula {formula!r}: the data has no such column",
            column=missing[0], rule="column must exist",
        )
    return used


@dataclass(frozen=True)
class PlainSpec:
    """Spec of a formula that is a sum of numeric column names (no formulaic needed)."""

    columns: tuple[str, ...]

    def get_model_matrix(self, data: pd.DataFrame, **_: Any) -> pd.DataFrame:
        missing = [c for c in self.columns if c not in data.columns]
        if missing:
            raise KeyError(f"newdata lacks column(s) {missing!r}")
        return data.loc[:, list(self.columns)].astype(float)


def _plain_terms(data: pd.DataFrame, formula: str) -> tuple[str, ...] | None:
    """Column names when the formula is 'a + b + `c.d`' over numeric columns, else None."""
    parts = [t.strip() for t in formula.split("+")]
    names = []
    dtypes = dict(zip(data.columns, data.dtypes, strict=True)) if data.columns.is_unique \
        else None
    if dtypes is None:
        return None
    for t in parts:
        if t.startswith("`") and t.endswith("`") and len(t) > 2:
            t = t[1:-1]
        if not t or t not in dtypes:
            return None
        dt = dtypes[t]
        if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)):
            return None
        names.append(t)
    if len(set(names)) != len(names):
        return None
    return tuple(names)


def build_design(data: pd.DataFrame, formula: str) -> Design:
    """Model matrix without intercept; raises InputError for constant columns."""
    plain = _plain_terms(data, formula)
    if plain is not None:
        # column by column into a Fortran-ordered matrix (no intermediate frame)
        x = np.empty((len(data), len(plain)), order="F")
        for j, c in enumerate(plain):
            x[:, j] = data[c].to_numpy(dtype=float)
        _check_constant(x, plain)
        return Design(x=x, columns=plain, term_columns={c: (j,) for j, c in enumerate(plain)},
                      spec=PlainSpec(plain))
    from formulaic import model_matrix

    try:
        mm = model_matrix(_rhs(formula), data, context=_context(), na_action="raise")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot build the design for formula {formula!r}: {exc}",
                         rule="valid formulaic formula") from exc
    spec = mm.model_spec
    cols = [str(c) for c in mm.columns]
    keep = [i for i, c in enumerate(cols) if c != "Intercept"]
    x = np.asarray(mm.to_numpy(), dtype=float)[:, keep]
    names = tuple(cols[i] for i in keep)
    if not names:
        raise InputError(f"formula {formula!r} has no covariates", rule="at least one covariate")
    term_columns: dict[str, tuple[int, ...]] = {}
    pos = {c: j for j, c in enumerate(names)}
    for term, sl in spec.term_slices.items():
        idx = tuple(pos[cols[i]] for i in range(sl.start, sl.stop) if cols[i] in pos)
        if idx:
            term_columns[str(term)] = idx
    _check_constant(x, names)
    return Design(x=x, columns=names, term_columns=term_columns, spec=spec)


def _check_constant(x: np.ndarray, names: Sequence[str]) -> None:
    if not x.shape[0]:
        return
    # a column that varies within its first rows needs no full pass
    head = x[:1024]
    maybe = np.flatnonzero(np.all(head == head[0], axis=0))
    const = [names[int(j)] for j in maybe if np.ptp(x[:, j]) == 0]
    if const:
        raise InputError(
            f"covariate(s) {const!r} are constant in the analysed rows; rule: every covariate "
            "must vary (drop the term, or check the filtering that left one level)",
            column=const[0], n_rows=int(x.shape[0]), rule="covariate must vary",
        )


def new_design(spec: Any, columns: Sequence[str], newdata: pd.DataFrame) -> np.ndarray:
    """The fitted model's design for new rows (same levels and contrasts)."""
    try:
        if isinstance(spec, PlainSpec):
            mm = spec.get_model_matrix(newdata)
        else:
            mm = spec.get_model_matrix(newdata, context=_context(), na_action="raise")
    except Exception as exc:
        raise InputError(f"cannot build the design for newdata: {exc}",
                         rule="newdata has the model's columns and known levels") from exc
    cols = [str(c) for c in mm.columns]
    idx = [cols.index(c) for c in columns]
    return np.asarray(mm.to_numpy(), dtype=float)[:, idx]
