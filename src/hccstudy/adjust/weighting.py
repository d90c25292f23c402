"""Inverse probability of treatment weights (IPTW) from a propensity score.

* ATE: treated ``1 / e``, controls ``1 / (1 - e)``.
* ATT: treated ``1``, controls ``e / (1 - e)``.
* Stabilised (ATE): multiplied by the marginal probability of the patient's
  own group, ``P(T = 1)`` for treated and ``P(T = 0)`` for controls, so the
  weights have mean about 1 in each group (Robins, Hernan & Brumback 2000).
  For ATT, stabilisation multiplies the control weights by
  ``P(T = 0) / P(T = 1)`` (treated keep weight 1).
* Truncation at percentiles: weights below the ``lower`` or above the
  ``upper`` percentile of all weights are set to those percentiles
  (``numpy.percentile`` linear interpolation, R's ``quantile`` type 7),
  after stabilisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from hccstudy._repr import HtmlReprMixin
from hccstudy.adjust.propensity import PropensityResult
from hccstudy.errors import InputError

__all__ = ["WeightingResult", "iptw", "iptw_weights"]


@dataclass(frozen=True, slots=True)
class WeightingResult(HtmlReprMixin):
    """IPTW weights per row (by position; 0 for rows without a score) and a summary."""

    estimand: Literal["ATE", "ATT"]
    stabilised: bool
    truncation: tuple[float, float] | None
    truncation_bounds: tuple[float, float] | None
    n_truncated: int
    weights: np.ndarray
    effective_n_treated: float
    effective_n_control: float

    def summary(self) -> dict[str, float]:
        """Min, max, mean of the weights and the effective sample sizes (Kish)."""
        w = self.weights[self.weights > 0]
        return {"min": float(w.min()), "max": float(w.max()), "mean": float(w.mean()),
                "ess_treated": self.effective_n_treated,
                "ess_control": self.effective_n_control}


def iptw_weights(ps: np.ndarray, treat: np.ndarray, *, estimand: Literal["ATE", "ATT"] = "ATE",
                 stabilise: bool = False,
                 truncate: tuple[float, float] | None = None) -> np.ndarray:
    """IPTW weights from arrays of PS and 0/1 treatment (see the module notes).

    Examples
    --------
    >>> import numpy as np
    >>> iptw_weights(np.array([0.5, 0.2, 0.8]), np.array([1, 0, 0])).round(6).tolist()
    [2.0, 1.25, 5.0]
    >>> w = iptw_weights(np.array([0.5, 0.2, 0.8]), np.array([1, 0, 0]), estimand="ATT")
    >>> w.round(6).tolist()
    [1.0, 0.25, 4.0]
    """
    e = np.asarray(ps, dtype=float)
    t = np.asarray(treat)
    if e.shape != t.shape:
        raise InputError("ps and treat must have the same length", rule="shape")
    ok = np.isfinite(e)
    if np.any((e[ok] <= 0) | (e[ok] >= 1)):
        raise InputError("propensity scores must lie strictly between 0 and 1",
                         n_rows=int(((e[ok] <= 0) | (e[ok] >= 1)).sum()), rule="0 < ps < 1")
    if estimand not in ("ATE", "ATT"):
        raise InputError(f"estimand must be 'ATE' or 'ATT', not {estimand!r}", rule="estimand")
    w = np.zeros(len(e))
    t1 = ok & (t == 1)
    t0 = ok & (t == 0)
    p1 = t1.sum() / ok.sum()
    if estimand == "ATE":
        w[t1] = 1.0 / e[t1]
        w[t0] = 1.0 / (1.0 - e[t0])
        if stabilise:
            w[t1] *= p1
            w[t0] *= 1.0 - p1
    else:
        w[t1] = 1.0
        w[t0] = e[t0] / (1.0 - e[t0])
        if stabilise:
            w[t0] *= (1.0 - p1) / p1
    if truncate is not None:
        lo, hi = truncate
        if not 0 <= lo < hi <= 100:
            raise InputError("truncate must be (lower, upper) percentiles with "
                             "0 <= lower < upper <= 100", rule="truncation percentiles")
        a, b = np.percentile(w[ok], [lo, hi])
        w[ok] = np.clip(w[ok], a, b)
    return w


def iptw(ps: PropensityResult, *, estimand: Literal["ATE", "ATT"] = "ATE",
         stabilise: bool = False,
         truncate: tuple[float, float] | None = None) -> WeightingResult:
    """IPTW weights for a fitted propensity model.

    Parameters
    ----------
    ps : PropensityResult
    estimand : {"ATE", "ATT"}
    stabilise : bool
        Multiply by the marginal treatment probabilities (see module notes).
    truncate : (float, float), optional
        Lower and upper percentiles, e.g. ``(1, 99)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccstudy.adjust.propensity import fit_propensity
    >>> d = pd.DataFrame({"t": [0, 0, 1, 1, 0, 1, 0, 1],
    ...                   "age": [50, 60, 65, 70, 55, 58, 62, 75]})
    >>> w = iptw(fit_propensity(d, "t", "age"), stabilise=True)
    >>> round(w.summary()["mean"], 3)
    0.843
    """
    e = ps.ps
    t = ps.treat
    w = iptw_weights(e, t, estimand=estimand, stabilise=stabilise, truncate=truncate)
    bounds = None
    n_trunc = 0
    if truncate is not None:
        raw = iptw_weights(e, t, estimand=estimand, stabilise=stabilise)
        ok = np.isfinite(e)
        a, b = np.percentile(raw[ok], list(truncate))
        bounds = (float(a), float(b))
        n_trunc = int(((raw[ok] < a) | (raw[ok] > b)).sum())

    def ess(mask: np.ndarray) -> float:
        x = w[mask]
        return float(x.sum() ** 2 / (x ** 2).sum()) if len(x) else 0.0

    ok = np.isfinite(e)
    return WeightingResult(estimand=estimand, stabilised=stabilise, truncation=truncate,
                           truncation_bounds=bounds, n_truncated=n_trunc, weights=w,
                           effective_n_treated=ess(ok & (t == 1)),
                           effective_n_control=ess(ok & (t == 0)))
