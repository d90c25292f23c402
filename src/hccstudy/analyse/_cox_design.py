"""Design matrix of a Cox model from a right-hand-side formula (formulaic).

The intercept is built and then dropped, so factors get treatment contrasts
coded as R's ``coxph`` codes them (k - 1 columns). Besides formulaic's own
``C(x, contr.treatment('B'))`` / ``C(x, contr.treatment(base='B'))``, the short
form ``C(x, treatment('B'))`` is accepted.

A sum of column names and ``C(column)`` terms over numeric, bool, text and
categorical columns is built without formulaic (whose import is slow), with the
same columns, names and values; its spec is a :class:`FastSpec`. Anything else
(and any missing value) goes through formulaic.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
    terms = _parse_terms(data, formula)
    if terms is not None:
        # formulaic's required variables: `c.d` reads as attribute d of c
        names = {t.column.split(".")[0] for t in terms}
        return _used_columns(data, formula, names)
    from formulaic import Formula

    try:
        needed = Formula(_rhs(formula)).required_variables
    except Exception as exc:  # formulaic parse errors
        raise InputError(f"cannot parse formula {formula!r}: {exc}",
                         rule="valid formulaic formula") from exc
    names = {str(v) for v in needed}
    used = _used_columns(data, formula, names)
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


def _used_columns(data: pd.DataFrame, formula: str, names: set[str]) -> list[str]:
    # formulaic reads `ph.ecog` as attribute access of "ph": find the columns by token
    return [str(c) for c in data.columns
            if str(c) in names or re.search(r"(?<![\w.])" + re.escape(str(c)) + r"(?![\w.(])",
                                            formula)]


@dataclass(frozen=True)
class PlainSpec:
    """Spec of a sum of numeric column names (kept so that older pickled results load)."""

    columns: tuple[str, ...]

    def get_model_matrix(self, data: pd.DataFrame, **_: Any) -> pd.DataFrame:
        missing = [c for c in self.columns if c not in data.columns]
        if missing:
            raise KeyError(f"newdata lacks column(s) {missing!r}")
        return data.loc[:, list(self.columns)].astype(float)


@dataclass(frozen=True)
class FastTerm:
    """One term of a :class:`FastSpec`: a column, bare or as ``C(column)``.

    ``label`` is the term's name as formulaic writes it (``age``, ``c.d`` for
    ```c.d```, ``C(grade)``); ``levels`` is None for a numeric term, else the
    categories in coding order (the first is the reference).
    """

    column: str
    label: str
    forced: bool
    levels: tuple[Any, ...] | None = None

    def names(self) -> tuple[str, ...]:
        """Design column names of the term (formulaic's ``name[T.level]`` for factors)."""
        if self.levels is None:
            return (self.label,)
        return tuple(f"{self.label}[T.{lev}]" for lev in self.levels[1:])


@dataclass(frozen=True)
class FastSpec:
    """Levels of a formula that is a sum of columns and ``C(column)`` terms (no data rows).

    Encodes new rows as formulaic's ``ModelSpec`` would (treatment contrasts, no
    intercept), but raises for missing values, for levels not seen in the fit
    and for a column whose kind (numeric / categorical) changed.

    Examples
    --------
    >>> import pandas as pd
    >>> spec = FastSpec((FastTerm("age", "age", False),
    ...                  FastTerm("stage", "stage", False, ("A", "B", "C"))))
    >>> spec.get_model_matrix(pd.DataFrame({"age": [60, 70], "stage": ["C", "A"]}))
        age  stage[T.B]  stage[T.C]
    0  60.0         0.0         1.0
    1  70.0         0.0         0.0
    """

    terms: tuple[FastTerm, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """All design column names, in order."""
        return tuple(n for t in self.terms for n in t.names())

    def get_model_matrix(self, data: pd.DataFrame, **_: Any) -> pd.DataFrame:
        """Design of new rows (a float frame with :attr:`column_names`)."""
        missing = [t.column for t in self.terms if t.column not in data.columns]
        if missing:
            raise KeyError(f"newdata lacks column(s) {missing!r}")
        out: dict[str, np.ndarray] = {}
        for t in self.terms:
            col = data[t.column]
            categorical = _is_text(col.dtype) or isinstance(col.dtype, pd.CategoricalDtype)
            if bool(col.isna().any()):
                raise ValueError(f"`{t.label}` contains null values")
            if t.levels is None:
                if categorical:
                    raise ValueError(f"`{t.label}` was numeric in the fit but is "
                                     f"{col.dtype} in newdata")
                out[t.label] = col.to_numpy(dtype=float)
                continue
            if not t.forced and not categorical:
                raise ValueError(f"`{t.label}` was categorical in the fit but is "
                                 f"{col.dtype} in newdata")
            codes = pd.Categorical(col, categories=list(t.levels)).codes
            if bool((codes < 0).any()):
                unseen = sorted({str(v) for v in col[codes < 0]})
                raise ValueError(f"`{t.label}` has level(s) {unseen} not seen in the fitted "
                                 f"data (known: {[str(v) for v in t.levels]})")
            for k, name in enumerate(t.names(), start=1):
                out[name] = (codes == k).astype(float)
        return pd.DataFrame(out, index=data.index, columns=list(self.column_names))


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)


_BARE = re.compile(r"`([^`]+)`|([A-Za-z_]\w*(?:\.\w+)*)")
_FORCED = re.compile(r"C\((?:`([^`]+)`|([A-Za-z_]\w*))\)")


def _parse_terms(data: pd.DataFrame, formula: str) -> tuple[FastTerm, ...] | None:
    """Terms of 'a + C(b) + `c.d`' (existing columns, each once), else None.

    Levels are not filled in; the data is only used to check the names.
    """
    if not data.columns.is_unique:
        return None
    terms = []
    for tok in (t.strip() for t in formula.split("+")):
        m = _FORCED.fullmatch(tok)
        forced = m is not None
        if m is None:
            m = _BARE.fullmatch(tok)
            if m is None:
                return None
        quoted, name = m.group(1), m.group(2)
        if name is not None and any(keyword.iskeyword(p) for p in name.split(".")):
            return None
        column = quoted if quoted is not None else name
        if column not in data.columns:
            return None
        terms.append(FastTerm(column, tok if forced else column, forced))
    if len({t.label for t in terms}) != len(terms):
        return None
    if any(t.forced for t in terms) and "C" in data.columns:
        return None  # a column named C hides formulaic's C()
    return tuple(terms)


def _encode_fast(data: pd.DataFrame, term: FastTerm) -> tuple[FastTerm, Any] | None:
    """The term with its levels and its values (floats, or integer codes), else None."""
    col = data[term.column]
    dt = col.dtype
    if isinstance(dt, pd.CategoricalDtype):
        cats = dt.categories
        if not (pd.api.types.is_numeric_dtype(cats.dtype) or pd.api.types.is_bool_dtype(cats.dtype)
                or pd.api.types.infer_dtype(cats, skipna=False) == "string") \
                or pd.api.types.is_complex_dtype(cats.dtype) or bool(col.isna().any()):
            return None
        levels = tuple(cats)
        return replace(term, levels=levels), col.cat.codes.to_numpy()
    numeric = (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)) \
        and not pd.api.types.is_complex_dtype(dt)
    if numeric and not term.forced:
        if isinstance(dt, np.dtype):
            values = col.to_numpy(dtype=float)
            if np.isnan(values).any():
                return None
        else:  # nullable extension dtypes ("Int64", "boolean", ...)
            if bool(col.isna().any()):
                return None
            values = col.to_numpy(dtype=float)
        return term, values
    if isinstance(dt, pd.StringDtype):
        if not term.forced:
            return None  # formulaic's kind for a bare string column depends on the dtype's alias
    elif pd.api.types.is_object_dtype(dt):
        if pd.api.types.infer_dtype(col, skipna=False) != "string":
            return None  # mixed or non-text objects, or missing values
    elif not numeric:
        return None
    if bool(col.isna().any()):
        return None
    cat = col.astype("category")  # what formulaic's encode_contrasts does
    return replace(term, levels=tuple(cat.cat.categories)), cat.cat.codes.to_numpy()


def _fast_design(data: pd.DataFrame, formula: str) -> Design | None:
    """Design of a plain sum of columns / ``C(column)`` terms as formulaic builds it, else None."""
    plain = _plain_terms(data, formula)
    terms = (tuple(FastTerm(c, c, False) for c in plain) if plain is not None
             else _parse_terms(data, formula))
    if terms is None or not len(data):
        return None
    encoded = []
    for t in terms:
        e = _encode_fast(data, t)
        if e is None:
            return None
        encoded.append(e)
    spec = FastSpec(tuple(t for t, _ in encoded))
    names = spec.column_names
    if not names:
        return None  # let formulaic say that there is no covariate
    # column by column into a Fortran-ordered matrix (no intermediate frame)
    x = np.empty((len(data), len(names)), order="F")
    term_columns: dict[str, tuple[int, ...]] = {}
    j = 0
    for t, values in encoded:
        start = j
        if t.levels is None:
            x[:, j] = values
            j += 1
        else:
            for k in range(1, len(t.levels)):
                x[:, j] = values == k
                j += 1
        if j > start:
            term_columns[t.label] = tuple(range(start, j))
    _check_constant(x, names)
    return Design(x=x, columns=names, term_columns=term_columns, spec=spec)


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
    fast = _fast_design(data, formula)
    if fast is not None:
        return fast
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
        if isinstance(spec, (FastSpec, PlainSpec)):
            mm = spec.get_model_matrix(newdata)
        else:
            mm = spec.get_model_matrix(newdata, context=_context(), na_action="raise")
    except Exception as exc:
        raise InputError(f"cannot build the design for newdata: {exc}",
                         rule="newdata has the model's columns and known levels") from exc
    cols = [str(c) for c in mm.columns]
    idx = [cols.index(c) for c in columns]
    return np.asarray(mm.to_numpy(), dtype=float)[:, idx]
