"""Covariate balance before and after matching or weighting (MatchIt ``summary`` conventions).

Covariates are expanded as MatchIt does: numeric and 0/1 columns as they are,
bool as 0/1, every level of a categorical or text column as its own 0/1
indicator (no level dropped).

* **SMD** = (weighted mean treated - weighted mean control) / s. The
  denominator ``s`` is computed once, in the *unadjusted* sample, without the
  matching weights (so before and after share it, as in MatchIt and cobalt):
  ``"treated"`` (SD of the treated group; MatchIt's default for ATT and the
  default here), ``"control"``, or ``"pooled"`` = sqrt((s1^2 + s0^2) / 2) (the
  common choice in papers; MatchIt's default for ATE). Variances are sample
  variances (n - 1) for continuous variables and p(1 - p) for 0/1 variables.
* **Variance ratio** (treated / control) with weighted variances
  ``sum(w (x - m)^2) / (1 - sum(w^2))`` on normalised weights; not given for 0/1
  variables.
* **eCDF mean and max**: mean and maximum absolute difference between the
  weighted empirical CDFs of the two groups, evaluated at the distinct values
  of the whole sample (units with weight 0 included, as MatchIt); for 0/1
  variables both equal the absolute difference in proportions.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy._repr import HtmlReprMixin
from hccstudy.adjust._common import binary_treatment, require_columns, require_frame
from hccstudy.adjust.matching import MatchResult
from hccstudy.adjust.propensity import PropensityResult
from hccstudy.adjust.weighting import WeightingResult
from hccstudy.errors import InputError

__all__ = ["BalanceResult", "balance", "covariate_matrix", "ps_overlap", "smd"]

Denominator = Literal["treated", "control", "pooled"]


def covariate_matrix(data: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric matrix of covariates with every factor level as a 0/1 column.

    Column names follow R's ``model.matrix`` style used by MatchIt
    (``race`` level ``black`` -> ``raceblack``).

    Examples
    --------
    >>> import pandas as pd
    >>> covariate_matrix(pd.DataFrame({"x": [1.5, 2.0], "g": ["a", "b"]}), ["x", "g"]).columns.tolist()
    ['x', 'ga', 'gb']
    """
    require_columns(data, list(covariates))
    cols: dict[str, np.ndarray] = {}
    for v in covariates:
        col = data[v]
        n_na = int(col.isna().sum())
        if n_na:
            raise InputError(f"covariate {v!r}: {n_na} row(s) missing; balance needs "
                             "complete covariates", column=v, n_rows=n_na,
                             rule="covariates must not be missing")
        if pd.api.types.is_bool_dtype(col):
            cols[v] = col.to_numpy(dtype=float)
        elif pd.api.types.is_numeric_dtype(col):
            cols[v] = col.to_numpy(dtype=float)
        else:
            cat = col.astype("category")
            for lev in cat.cat.categories:
                cols[f"{v}{lev}"] = (col == lev).to_numpy(dtype=float)
    return pd.DataFrame(cols, index=data.index)


def _is_binary(x: np.ndarray) -> bool:
    return bool(np.all((x == 0) | (x == 1)))


def _wvar(x: np.ndarray, w: np.ndarray, binary: bool) -> float:
    w = w / w.sum()
    m = float(np.dot(w, x))
    if binary:
        return m * (1 - m)
    denom = 1 - float(np.dot(w, w))
    return float(np.dot(w, (x - m) ** 2)) / denom if denom > 0 else float("nan")


def _denominator(x: np.ndarray, t: np.ndarray, s: np.ndarray, kind: Denominator,
                 binary: bool) -> float:
    v1 = _wvar(x[t == 1], s[t == 1], binary)
    v0 = _wvar(x[t == 0], s[t == 0], binary)
    if kind == "treated":
        return float(np.sqrt(v1))
    if kind == "control":
        return float(np.sqrt(v0))
    if kind == "pooled":
        return float(np.sqrt((v1 + v0) / 2))
    raise InputError(f"smd_denominator must be 'treated', 'control' or 'pooled', not {kind!r}",
                     rule="smd_denominator option")


def _ecdf_stats(x: np.ndarray, t: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    wn = w.astype(float).copy()
    for g in (0, 1):
        wn[t == g] /= wn[t == g].sum()
    o = np.argsort(x, kind="stable")
    xs = x[o]
    signed = np.where(t[o] == 1, -wn[o], wn[o])
    cs = np.abs(np.cumsum(signed))
    last = np.append(xs[1:] != xs[:-1], True)
    e = cs[last]
    return float(e.mean()), float(e.max())


def _stats(x: np.ndarray, t: np.ndarray, w: np.ndarray, denom: float,
           binary: bool) -> tuple[float, float, float, float, float, float]:
    i1, i0 = t == 1, t == 0
    m1 = float(np.dot(w[i1], x[i1]) / w[i1].sum())
    m0 = float(np.dot(w[i0], x[i0]) / w[i0].sum())
    diff = m1 - m0
    if abs(diff) <= np.sqrt(np.finfo(float).eps):
        smd_v = diff
    else:
        smd_v = diff / denom if denom > np.sqrt(np.finfo(float).eps) else float("nan")
    if binary:
        return m1, m0, smd_v, float("nan"), abs(diff), abs(diff)
    vr = _wvar(x[i1][w[i1] > 0], w[i1][w[i1] > 0], False) / \
        _wvar(x[i0][w[i0] > 0], w[i0][w[i0] > 0], False)
    em, ex = _ecdf_stats(x, t, w)
    return m1, m0, smd_v, vr, em, ex


def smd(x: np.ndarray, treat: np.ndarray, weights: np.ndarray | None = None, *,
        denominator: Denominator = "treated") -> float:
    """Standardised mean difference of one variable (denominator from unweighted data).

    Examples
    --------
    >>> import numpy as np
    >>> round(smd(np.array([1.0, 2, 3, 2, 3, 4]), np.array([1, 1, 1, 0, 0, 0])), 4)
    -1.0
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(treat)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    b = _is_binary(x)
    d = _denominator(x, t, np.ones(len(x)), denominator, b)
    return _stats(x, t, w, d, b)[2]


@dataclass(frozen=True, slots=True)
class BalanceResult(HtmlReprMixin):
    """Balance statistics per covariate term, before and (when given) after adjustment."""

    terms: tuple[str, ...]
    binary: tuple[bool, ...]
    table: pd.DataFrame
    smd_denominator: Denominator
    adjustment: str
    n_before: tuple[int, int]
    n_after: tuple[float, float] | None

    def to_frame(self) -> pd.DataFrame:
        """The balance table (one row per term)."""
        return self.table.copy()

    def love_plot_data(self) -> pd.DataFrame:
        """Long frame for a love plot: term, stage ("before"/"after"), smd, abs_smd."""
        parts = []
        for stage in ("before", "after"):
            col = f"smd_{stage}"
            if col in self.table:
                parts.append(pd.DataFrame({"term": list(self.terms), "stage": stage,
                                           "smd": self.table[col].to_numpy(),
                                           "abs_smd": self.table[col].abs().to_numpy()}))
        return pd.concat(parts, ignore_index=True)


def _adjust_weights(adjust: MatchResult | WeightingResult | np.ndarray | None,
                    n: int) -> tuple[np.ndarray | None, str]:
    if adjust is None:
        return None, "none"
    if isinstance(adjust, MatchResult):
        return adjust.weights, f"matching ({adjust.method}, 1:{adjust.ratio})"
    if isinstance(adjust, WeightingResult):
        return adjust.weights, f"IPTW ({adjust.estimand})"
    w = np.asarray(adjust, dtype=float)
    if w.shape != (n,) or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise InputError("weights must be finite, >= 0 and one per row", rule="weights")
    return w, "weights"


def balance(
    data: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    adjust: MatchResult | WeightingResult | np.ndarray | None = None,
    *,
    treated: Hashable | None = None,
    smd_denominator: Denominator = "treated",
    propensity: PropensityResult | None = None,
) -> BalanceResult:
    """Balance table before and after matching or weighting.

    Parameters
    ----------
    data : pandas.DataFrame
        The frame the PS was fitted on (rows by position match ``adjust``).
    treatment : str
    covariates : sequence of str
        Column names (factors expanded to all levels).
    adjust : MatchResult, WeightingResult or array, optional
        Matching weights, IPTW weights, or any non-negative weights per row.
    smd_denominator : {"treated", "control", "pooled"}
        See the module notes; "treated" is MatchIt's default for ATT.
    propensity : PropensityResult, optional
        Adds the logit PS as a first term ``"distance"`` (as MatchIt's summary).

    Returns
    -------
    BalanceResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0], "x": [1.0, 2, 3, 2, 3, 4]})
    >>> balance(d, "t", ["x"]).table["smd_before"].round(4).tolist()
    [-1.0]
    """
    data = require_frame(data)
    t = binary_treatment(data, treatment, treated)
    x = covariate_matrix(data, covariates)
    if propensity is not None:
        x.insert(0, "distance", propensity.logit_ps)
    n = len(t)
    w_after, label = _adjust_weights(adjust, n)
    ok = np.all(np.isfinite(x.to_numpy()), axis=1)
    ones = np.ones(n)
    rows = []
    binaries = []
    for name in x.columns:
        v = x[name].to_numpy()
        b = _is_binary(v[ok])
        binaries.append(b)
        d = _denominator(v[ok], t[ok], ones[ok], smd_denominator, b)
        m1, m0, s, vr, em, ex = _stats(v[ok], t[ok], ones[ok], d, b)
        row = {"mean_treated_before": m1, "mean_control_before": m0, "smd_before": s,
               "var_ratio_before": vr, "ecdf_mean_before": em, "ecdf_max_before": ex}
        if w_after is not None:
            sel = ok
            m1, m0, s, vr, em, ex = _stats(v[sel], t[sel], w_after[sel], d, b)
            row.update({"mean_treated_after": m1, "mean_control_after": m0, "smd_after": s,
                        "var_ratio_after": vr, "ecdf_mean_after": em, "ecdf_max_after": ex})
        rows.append(row)
    terms = tuple(str(c) for c in x.columns)
    table = pd.DataFrame(rows, index=pd.Index(terms, name="term"))
    n_after = None
    if w_after is not None:
        n_after = (float(w_after[t == 1].sum()), float(w_after[t == 0].sum()))
    return BalanceResult(terms=terms, binary=tuple(binaries), table=table,
                         smd_denominator=smd_denominator, adjustment=label,
                         n_before=(int(t.sum()), int(n - t.sum())), n_after=n_after)


def ps_overlap(ps: PropensityResult, adjust: MatchResult | WeightingResult | None = None,
               *, bins: int = 20, scale: Literal["ps", "logit"] = "ps") -> pd.DataFrame:
    """Histogram data of the PS by group, before and (optionally) after adjustment.

    Returns a frame with columns ``stage``, ``group`` (treated/control),
    ``bin_left``, ``bin_right``, ``count`` (weighted after adjustment) and
    ``density`` (proportion of the group's total weight). No plotting here.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccstudy.adjust.propensity import fit_propensity
    >>> d = pd.DataFrame({"t": [0, 0, 1, 1, 0, 1, 0, 1],
    ...                   "age": [50, 60, 65, 70, 55, 58, 62, 75]})
    >>> o = ps_overlap(fit_propensity(d, "t", "age"), bins=4)
    >>> o.groupby("group")["count"].sum().tolist()
    [4.0, 4.0]
    """
    v = ps.ps if scale == "ps" else ps.logit_ps
    ok = np.isfinite(v)
    edges = np.linspace(v[ok].min(), v[ok].max(), bins + 1)
    stages: list[tuple[str, np.ndarray]] = [("before", ok.astype(float))]
    if adjust is not None:
        w, _ = _adjust_weights(adjust, len(v))
        assert w is not None
        stages.append(("after", np.where(ok, w, 0.0)))
    parts = []
    for stage, w in stages:
        for g, name in ((1, "treated"), (0, "control")):
            sel = ok & (ps.treat == g)
            cnt, _ = np.histogram(v[sel], bins=edges, weights=w[sel])
            tot = cnt.sum()
            parts.append(pd.DataFrame({"stage": stage, "group": name, "bin_left": edges[:-1],
                                       "bin_right": edges[1:], "count": cnt,
                                       "density": cnt / tot if tot > 0 else cnt}))
    return pd.concat(parts, ignore_index=True)
