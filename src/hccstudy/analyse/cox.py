"""Cox proportional hazards model that agrees with R's ``survival::coxph``.

:func:`cox` fits the model and returns a frozen :class:`CoxResult` that holds
aggregates only (coefficients, variances, per-event-time baseline hazard,
test statistics), never patient rows.

Method choices, stated once (each is what R survival 3.x does):

* Ties: Efron (default) or Breslow, as ``coxph(ties=)``.
* Fitting: Newton-Raphson from beta = 0 with step halving (coxfit6.c), the
  loglik criterion ``|1 - ll_old / ll_new| <= 1e-9`` (``coxph.control()``'s
  default); the estimate is the iterate at which it is met, as R returns it (it
  agrees with R's default ``coxph`` to about 1e-14, and with the MLE to about
  1e-8).
* Monotone likelihood: when the loglik converges while a coefficient still
  moves (R: "Loglik converged before variable ..."), the fit stops as R stops,
  a :class:`~hccstudy.errors.MonotoneLikelihoodWarning` names the term, and the
  term is listed in ``unstable`` (column ``unstable`` of :meth:`hazard_ratios`).
* Variance: the inverse information; the robust (sandwich) variance, from
  dfbeta residuals summed within cluster, when ``cluster`` is given or the
  weights are not whole numbers (R then sets ``robust = TRUE`` with one
  cluster per row). Hazard-ratio CIs, the Wald test and predicted-survival
  standard errors then use the robust variance, as ``summary.coxph`` does.
* CIs for hazard ratios: ``exp(coef +- z se)`` (Wald, log scale); survival
  curves: log transform (R's default ``conf.type = "log"``).
* Baseline survival: R's ``survfit(fit)`` default, the curve of a pseudo
  subject whose covariates equal ``means``: the (weighted) column means of the
  design, except 0 for columns whose values all lie in {-1, 0, 1} (dummies),
  which R's ``coxph`` does not centre. Efron (ctype 2) or Breslow (ctype 1)
  hazard as the ties method, one curve per stratum. Standard errors include the
  variance of the coefficients (R's se.fit), with the variance used for
  inference (robust when robust).
* Proportional hazards: :meth:`CoxResult.ph_test` is R's ``cox.zph``; the fit
  prepares its score and information blocks for ``ph_transforms`` (default
  ``"km"``, R's default transform) and keeps nothing else of the rows.
* Concordance: Harrell's C of the linear predictor as ``coxph`` reports it
  (censored at a death time counts as longer, tied death times are not
  comparable, tied predictors count one half), standard error by the
  infinitesimal jackknife, summed within cluster when clustered.
* Ties in time are exact float equality (R's ``timefix`` rounding of
  near-equal times is not applied).

Examples
--------
>>> import pandas as pd
>>> from hccstudy.analyse.cox import cox
>>> d = pd.DataFrame({"months": [5, 8, 3, 9, 12, 4, 7, 10], "death": [1, 1, 0, 1, 0, 1, 1, 0],
...                   "age": [61, 70, 55, 48, 52, 66, 59, 45]})
>>> fit = cox(d, "age", time="months", event="death")
>>> fit.terms
('age',)
>>> bool(fit.converged)
True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from hccstudy._input import Missing, survival_input
from hccstudy.analyse import _cox_fit as K
from hccstudy.analyse._cox_design import build_design, formula_variables, new_design
from hccstudy.errors import ConvergenceWarning, InputError, MonotoneLikelihoodWarning

__all__ = ["CoxResult", "cox"]

Ties = Literal["efron", "breslow"]
Transform = Literal["km", "rank", "identity"]


def _chi2_sf(x: float, df: float) -> float:
    from scipy.special import chdtrc

    return float(chdtrc(df, x)) if df > 0 else float("nan")


def _norm_ppf(q: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(q))


def _norm_sf(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.asarray(2.0 * ndtr(-np.abs(x)))


@dataclass(frozen=True)
class _Baseline:
    """Per-event-time aggregates for survival curves (no patient rows)."""

    time: np.ndarray  # (K,) event times
    stratum: np.ndarray  # (K,) stratum code
    n_risk: np.ndarray  # (K,) weighted number at risk
    n_event: np.ndarray  # (K,) weighted number of events
    dhaz: np.ndarray  # (K,) hazard increment at the means
    dvar: np.ndarray  # (K,) variance increment (without the coefficient part)
    dxbar: np.ndarray  # (K, p) sum over Efron terms of  m * a_l / denom_l  (centred x)


@dataclass(frozen=True)
class _ZphParts:
    """Aggregates of one cox.zph score test: the information, and for g(t) x the score
    and the information blocks (p-vectors and p x p matrices, no rows)."""

    imat: np.ndarray
    u_g: np.ndarray
    i_g: np.ndarray
    i_gg: np.ndarray


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model: aggregates only, never patient rows.

    Attributes
    ----------
    terms : tuple of str
        Design columns (formulaic names), in coefficient order.
    coef, se : pandas.Series
        Coefficients (log hazard ratios) and model-based standard errors.
    robust_se : pandas.Series or None
        Robust standard errors when the variance is robust (see ``variance``).
    cov : pandas.DataFrame
        The variance matrix used for inference (robust when ``variance == "robust"``).
    naive_cov : pandas.DataFrame
        The inverse information (model-based variance).
    loglik : tuple of float
        Log partial likelihood at beta = 0 and at the estimate.
    tests : pandas.DataFrame
        Likelihood ratio, Wald and score tests (plus the robust score test when
        robust), columns ``statistic``, ``df``, ``p``.
    concordance : tuple of float
        Harrell's C and its standard error as R's ``summary(fit)$concordance``.
    unstable : tuple of str
        Terms whose coefficient diverges (monotone likelihood).
    means : pandas.Series
        The covariate values of the baseline curve (R's ``fit$means``).
    variance : {"model", "robust"}
        Which variance ``cov``, the CIs and the Wald test use.
    """

    terms: tuple[str, ...]
    coef: pd.Series
    se: pd.Series
    robust_se: pd.Series | None
    cov: pd.DataFrame
    naive_cov: pd.DataFrame
    loglik: tuple[float, float]
    tests: pd.DataFrame
    concordance: tuple[float, float]
    n: int
    n_events: int
    n_dropped: int
    ties: Ties
    iterations: int
    converged: bool
    unstable: tuple[str, ...]
    variance: Literal["model", "robust"]
    conf_level: float
    means: pd.Series
    strata: tuple[str, ...]
    term_columns: dict[str, tuple[int, ...]] = field(repr=False)
    _zph: dict[str, _ZphParts] = field(repr=False)
    _baseline: _Baseline = field(repr=False)
    _spec: Any = field(repr=False)
    _center: np.ndarray = field(repr=False)
    formula: str = ""
    ci_transform: str = "log"

    # ------------------------------------------------------------------ tables
    def hazard_ratios(self, conf_level: float | None = None) -> pd.DataFrame:
        """Hazard ratios with Wald CIs and p-values (robust se when robust).

        Returns a frame indexed by term with columns ``coef``, ``se``, ``hr``,
        ``ci_lower``, ``ci_upper``, ``z``, ``p``, ``unstable``.

        Examples
        --------
        >>> import pandas as pd
        >>> from hccstudy.analyse.cox import cox
        >>> d = pd.DataFrame({"months": [5, 8, 3, 9, 12, 4, 7, 10], "death": [1, 1, 0, 1, 0, 1, 1, 0],
        ...                   "age": [61, 70, 55, 48, 52, 66, 59, 45]})
        >>> hr = cox(d, "age", time="months", event="death").hazard_ratios()
        >>> list(hr.columns)
        ['coef', 'se', 'hr', 'ci_lower', 'ci_upper', 'z', 'p', 'unstable']
        """
        level = self.conf_level if conf_level is None else conf_level
        if not 0 < level < 1:
            raise ValueError(f"conf_level must be in (0, 1), not {level!r}")
        se = self.robust_se if self.robust_se is not None else self.se
        b = self.coef.to_numpy()
        s = se.to_numpy()
        z = _norm_ppf(1 - (1 - level) / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            zst = b / s
        with np.errstate(over="ignore"):  # an unstable term's CI may reach 0 or inf
            lo = np.exp(b - z * s)
            hi = np.exp(b + z * s)
        return pd.DataFrame(
            {
                "coef": b, "se": s, "hr": np.exp(b), "ci_lower": lo,
                "ci_upper": hi, "z": zst, "p": _norm_sf(zst),
                "unstable": [t in self.unstable for t in self.terms],
            },
            index=pd.Index(self.terms, name="term"),
        )

    def to_frame(self) -> pd.DataFrame:
        """Hazard-ratio table plus the model-based and robust standard errors."""
        out = self.hazard_ratios()
        out.insert(2, "se_model", self.se.to_numpy())
        if self.robust_se is not None:
            out.insert(3, "se_robust", self.robust_se.to_numpy())
        return out

    # ---------------------------------------------------------- PH assumption
    def ph_test(self, transform: Transform = "km") -> pd.DataFrame:
        """Grambsch-Therneau test of proportional hazards, as R's ``cox.zph``.

        Score test (survival >= 3.0: the full 2p x 2p information) for adding
        ``g(t) * x`` per term (``terms=TRUE``: a factor is tested jointly) and
        globally; ``transform`` is ``"km"`` (1 - KM(t-), R's default),
        ``"rank"`` or ``"identity"``. The fit prepares the transforms named in
        ``cox(..., ph_transforms=)`` (default ``"km"`` only).

        Examples
        --------
        >>> import pandas as pd
        >>> from hccstudy.analyse.cox import cox
        >>> d = pd.DataFrame({"months": [5, 8, 3, 9, 12, 4, 7, 10], "death": [1, 1, 0, 1, 0, 1, 1, 0],
        ...                   "age": [61, 70, 55, 48, 52, 66, 59, 45]})
        >>> z = cox(d, "age", time="months", event="death").ph_test()
        >>> list(z.index)
        ['age', 'GLOBAL']
        """
        if transform not in self._zph:
            raise ValueError(
                f"ph_test({transform!r}) is not available: the fit prepared "
                f"{sorted(self._zph)}; refit with cox(..., ph_transforms=('km', "
                f"{transform!r})) to prepare it")
        return _zph_table(self._zph[transform], self.term_columns)

    # ---------------------------------------------------------- survival curves
    def _curves(self, xc: np.ndarray, se: bool = True) -> list[pd.DataFrame]:
        bl = self._baseline
        beta = self.coef.to_numpy()
        v = self.cov.to_numpy()
        out = []
        for row in np.atleast_2d(xc):
            risk = math.exp(float(row @ beta))
            parts = []
            for s_code, s_name in enumerate(self.strata or ("",)):
                m = bl.stratum == s_code
                h0 = np.cumsum(bl.dhaz[m])
                haz = h0 * risk
                frame = pd.DataFrame({
                    "strata": s_name, "time": bl.time[m], "n_risk": bl.n_risk[m],
                    "n_event": bl.n_event[m], "cumhaz": haz, "surv": np.exp(-haz),
                })
                if se:
                    d = np.cumsum(bl.dxbar[m], axis=0) - np.outer(h0, row)
                    var = np.cumsum(bl.dvar[m]) + np.einsum("ij,jk,ik->i", d, v, d)
                    frame["std_err_cumhaz"] = np.sqrt(var) * risk
                    frame["std_err"] = frame["std_err_cumhaz"] * frame["surv"]
                parts.append(frame)
            out.append(pd.concat(parts, ignore_index=True))
        return out

    def baseline_survival(self, conf_level: float | None = None) -> pd.DataFrame:
        """Survival of the pseudo subject at the covariate means, per stratum.

        This is R's ``survfit(fit)`` default (newdata = ``fit$means``), at the
        event times: columns ``strata``, ``time``, ``n_risk``, ``n_event``,
        ``cumhaz``, ``surv``, ``std_err`` (of the cumulative hazard, as R) and a
        log-transformed CI.

        Examples
        --------
        >>> import pandas as pd
        >>> from hccstudy.analyse.cox import cox
        >>> d = pd.DataFrame({"months": [5, 8, 3, 9, 12, 4, 7, 10], "death": [1, 1, 0, 1, 0, 1, 1, 0],
        ...                   "age": [61, 70, 55, 48, 52, 66, 59, 45]})
        >>> b = cox(d, "age", time="months", event="death").baseline_survival()
        >>> bool(b["surv"].is_monotonic_decreasing)
        True
        """
        frame = self._curves(self.means.to_numpy() - self._center)[0]
        return _add_ci(frame, self.conf_level if conf_level is None else conf_level)

    def predict_survival(self, newdata: pd.DataFrame, times: Sequence[float],
                         conf_level: float | None = None) -> pd.DataFrame:
        """Survival of new covariate rows at given times (``summary(survfit(fit, newdata), times=)``).

        Returns a long frame: ``row`` (position in newdata), ``strata``, ``time``,
        ``surv``, ``std_err``, ``ci_lower``, ``ci_upper``. Times before the first
        event give survival 1; times after the last event carry the last value.

        Examples
        --------
        >>> import pandas as pd
        >>> from hccstudy.analyse.cox import cox
        >>> d = pd.DataFrame({"months": [5, 8, 3, 9, 12, 4, 7, 10], "death": [1, 1, 0, 1, 0, 1, 1, 0],
        ...                   "age": [61, 70, 55, 48, 52, 66, 59, 45]})
        >>> fit = cox(d, "age", time="months", event="death")
        >>> p = fit.predict_survival(pd.DataFrame({"age": [50, 70]}), times=[12, 24])
        >>> p.shape[0]
        4
        """
        if not isinstance(newdata, pd.DataFrame):
            raise InputError("newdata must be a pandas DataFrame", rule="newdata is a DataFrame")
        xn = new_design(self._spec, self.terms, newdata) - self._center
        tq = np.asarray(times, dtype=float)
        level = self.conf_level if conf_level is None else conf_level
        rows = []
        for i, curve in enumerate(self._curves(xn)):
            for s_name, g in curve.groupby("strata", sort=False):
                idx = np.searchsorted(g["time"].to_numpy(), tq, side="right") - 1
                ok = idx >= 0
                ii = np.maximum(idx, 0)
                surv = np.where(ok, g["surv"].to_numpy()[ii], 1.0)
                se = np.where(ok, g["std_err_cumhaz"].to_numpy()[ii], 0.0)
                rows.append(pd.DataFrame({"row": i, "strata": s_name, "time": tq,
                                          "surv": surv, "std_err": se * surv,
                                          "std_err_cumhaz": se}))
        out = pd.concat(rows, ignore_index=True)
        if not self.strata:
            out = out.drop(columns="strata")
        return _add_ci(out, level)

    # ---------------------------------------------------------------- printing
    def summary(self) -> str:
        """Printable text in the layout of R's ``summary.coxph``."""
        hr = self.hazard_ratios()
        lines = [f"Cox proportional hazards ({self.ties} ties): "
                 f"n = {self.n}, number of events = {self.n_events}"
                 + (f", {self.n_dropped} row(s) dropped for missing values"
                    if self.n_dropped else "")]
        if self.strata:
            lines.append(f"strata: {len(self.strata)}")
        w = max(len(t) for t in self.terms)
        robust = self.robust_se is not None
        head = f"{'':{w}}  {'coef':>10} {'exp(coef)':>10} {'se(coef)':>10}"
        if robust:
            head += f" {'robust se':>10}"
        head += f" {'z':>8} {'Pr(>|z|)':>10}"
        lines += ["", head]
        for t in self.terms:
            r = hr.loc[t]
            s = f"{t:{w}}  {r['coef']:10.4g} {r['hr']:10.4g} {self.se[t]:10.4g}"
            if robust and self.robust_se is not None:
                s += f" {self.robust_se[t]:10.4g}"
            s += f" {r['z']:8.3f} {r['p']:10.3g}" + ("  (unstable)" if r["unstable"] else "")
            lines.append(s)
        lvl = self.conf_level
        lines += ["", f"{'':{w}}  {'exp(coef)':>10} {'exp(-coef)':>10} "
                      f"{'lower .' + format(lvl, '.2f')[2:]:>10} {'upper .' + format(lvl, '.2f')[2:]:>10}"]
        for t in self.terms:
            r = hr.loc[t]
            lines.append(f"{t:{w}}  {r['hr']:10.4g} {1 / r['hr']:10.4g} "
                         f"{r['ci_lower']:10.4g} {r['ci_upper']:10.4g}")
        c, cse = self.concordance
        lines += ["", f"Concordance= {c:.3f}  (se = {cse:.3f} )"]
        names = {"likelihood_ratio": "Likelihood ratio test", "wald": "Wald test",
                 "score": "Score (logrank) test", "robust_score": "Robust score test"}
        for k, r in self.tests.iterrows():
            lines.append(f"{names[str(k)]:<22}= {r['statistic']:.2f}  on {int(r['df'])} df,"
                         f"   p={r['p']:.3g}")
        if robust:
            lines.append("(Wald test and CIs use the robust variance)")
        if self.unstable:
            lines.append(f"Monotone likelihood: {', '.join(self.unstable)} may be infinite; "
                         "their estimates and CIs are unstable.")
        if not self.converged:
            lines.append("The fit did not converge.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _add_ci(frame: pd.DataFrame, level: float) -> pd.DataFrame:
    z = _norm_ppf(1 - (1 - level) / 2)
    s = frame["surv"].to_numpy()
    se = frame["std_err_cumhaz"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        frame["ci_lower"] = np.where(s > 0, s * np.exp(-z * se), np.nan)
        frame["ci_upper"] = np.where(s > 0, np.minimum(s * np.exp(z * se), 1.0), np.nan)
    return frame


def _singular_columns(info: np.ndarray, toler: float = 1e-9) -> list[int]:
    """Columns that cholesky2.c (R) would flag as aliased."""
    a = info.copy()
    p = a.shape[0]
    d0 = np.abs(np.diag(a)).max() if p else 1.0
    bad: list[int] = []
    for j in range(p):
        piv = a[j, j]
        if not np.isfinite(piv) or piv < toler * max(d0, 1e-300):
            bad.append(j)
            a[j, :] = 0.0
            a[:, j] = 0.0
            continue
        col = a[j + 1 :, j] / piv
        a[j + 1 :, j + 1 :] -= np.outer(col, a[j, j + 1 :])
    return bad


def _wtest(v: np.ndarray, b: np.ndarray, toler: float = 1.8e-12) -> tuple[float, int]:
    """b' v^- b and its df = rank of v, as R's coxph.wtest (cholesky2 drops aliased
    columns, e.g. a robust variance from fewer clusters than coefficients)."""
    bad = set(_singular_columns(v, toler))
    keep = [j for j in range(b.size) if j not in bad]
    if not keep:
        return 0.0, 0
    vk = v[np.ix_(keep, keep)]
    bk = b[keep]
    return float(bk @ np.linalg.lstsq(vk, bk, rcond=None)[0]), len(keep)


def _collapse(mat: np.ndarray, codes: np.ndarray | None) -> np.ndarray:
    if codes is None:
        return mat
    k = int(codes.max()) + 1
    out = np.zeros((k, mat.shape[1]))
    for j in range(mat.shape[1]):
        out[:, j] = np.bincount(codes, weights=mat[:, j], minlength=k)
    return out


def _zph_times(cd: K.CoxData, time: np.ndarray, entry: np.ndarray | None,
               transforms: Sequence[Transform], stratified: bool) -> dict[str, np.ndarray]:
    """cox.zph's g(t) at each event time k, centred by its mean over the deaths.

    ``time`` holds all exit times (input order). "km" is 1 - KM(t-) of all rows
    pooled (unweighted, no strata), "rank" the average rank of t among all rows'
    times, "identity" t itself.
    """
    ev_t = cd.ev_time
    nd = cd.ndead
    n = time.size
    t_sorted = np.sort(time) if stratified else None
    if t_sorted is None:
        # rows are sorted by time with a time's deaths first: the first row at t_k is
        # the first death of event time k, so that many rows have a smaller time
        lo = cd.death_bounds_full[0::2]
    else:
        lo = np.searchsorted(t_sorted, ev_t, side="left")
    out: dict[str, np.ndarray] = {}
    for tr in transforms:
        if tr == "km":
            # pooled over strata: the distinct event times and their deaths
            if ev_t.size < 2 or bool(np.all(ev_t[1:] > ev_t[:-1])):  # sorted, distinct
                ut, inv = ev_t, np.arange(ev_t.size)
                nev = nd
                nrisk = (n - lo).astype(float)
            else:  # strata: times repeat across strata
                ut, inv = np.unique(ev_t, return_inverse=True)
                nev = np.bincount(inv, weights=nd, minlength=ut.size)
                ts = np.sort(time) if t_sorted is None else t_sorted
                nrisk = (n - np.searchsorted(ts, ut, side="left")).astype(float)
            if entry is not None:
                # at risk iff entry < t <= stop: remove rows whose entry is >= t
                nrisk = nrisk - (entry.size - np.searchsorted(np.sort(entry), ut, side="left"))
            with np.errstate(divide="ignore", invalid="ignore"):
                fac = np.where(nrisk > 0, 1.0 - nev / nrisk, 1.0)
            surv = np.cumprod(fac)
            prev = np.concatenate(([1.0], surv[:-1]))
            g = 1.0 - prev[inv]
        elif tr == "rank":
            if t_sorted is None:
                t_sorted = time[cd.order]
            hi = np.searchsorted(t_sorted, ev_t, side="right")
            g = (lo + 1 + hi) / 2.0
        else:
            g = ev_t.astype(float)
        out[tr] = g - (nd @ g) / nd.sum()
    return out


def _zph_parts(cd: K.CoxData, rs: K.RiskSums, imat: np.ndarray,
               gks: dict[str, np.ndarray]) -> dict[str, _ZphParts]:
    tws = [v for gk in gks.values() for v in (gk, gk * gk)]
    mats = K.weighted_infos(cd, rs, tws) if tws else []
    return {name: _ZphParts(imat=imat, u_g=K.weighted_score(cd, rs, gk), i_g=mats[2 * i],
                            i_gg=mats[2 * i + 1])
            for i, (name, gk) in enumerate(gks.items())}


def _zph_table(z: _ZphParts, terms: dict[str, tuple[int, ...]]) -> pd.DataFrame:
    """Per term and global chi-square of the score test for adding g(t) x."""
    p = z.imat.shape[0]
    full = np.block([[z.imat, z.i_g], [z.i_g.T, z.i_gg]])
    rows = []
    for t, cols in terms.items():
        kk = list(range(p)) + [p + c for c in cols]
        u = np.concatenate((np.zeros(p), z.u_g[list(cols)]))
        rows.append((t, _quad(full[np.ix_(kk, kk)], u), len(cols)))
    u = np.concatenate((np.zeros(p), z.u_g))
    rows.append(("GLOBAL", _quad(full, u), p))
    return pd.DataFrame(
        {"chisq": [r[1] for r in rows], "df": [r[2] for r in rows],
         "p": [_chi2_sf(r[1], r[2]) for r in rows]},
        index=pd.Index([r[0] for r in rows], name="term"),
    )


def _quad(a: np.ndarray, u: np.ndarray) -> float:
    """u' a^-1 u; NaN when a is singular (e.g. a single event time: g(t) is constant)."""
    try:
        return float(u @ np.linalg.solve(a, u))
    except np.linalg.LinAlgError:
        return float("nan")


def _all_unit(a: np.ndarray) -> bool:
    return bool(np.all((a == 0.0) | (np.abs(a) == 1.0)))


def _unit_columns(x: np.ndarray) -> np.ndarray:
    """Per column: whether every value is -1, 0 or 1 (only columns whose head is)."""
    out = np.zeros(x.shape[1], dtype=bool)
    head = x[:1024]
    cand = np.flatnonzero(np.all((head == 0.0) | (np.abs(head) == 1.0), axis=0))
    jit = K._jit(x.shape[0])
    if cand.size and jit is not None:  # one pass, stops at the first other value
        return np.asarray(jit.unit_columns(x, cand))
    if cand.size and not x.flags.f_contiguous and _all_unit(x[:, cand]):  # rows: at once
        out[cand] = True
    else:
        for j in cand:
            out[j] = _all_unit(x[:, j])
    return out


def _ph_and_baseline(cd: K.CoxData, nr: K.NewtonResult, time: np.ndarray,
                     entry: np.ndarray | None, stratified: bool,
                     ph_transforms: Sequence[Transform]
                     ) -> tuple[dict[str, _ZphParts], _Baseline]:
    """cox.zph tables for the requested transforms and the baseline-hazard aggregates."""
    rs = nr.rs
    if ph_transforms:
        gks = _zph_times(cd, time, entry, list(dict.fromkeys(ph_transforms)), stratified)
        zph = _zph_parts(cd, rs, nr.info, gks)
    else:
        zph = {}
    # baseline hazard at the means (x is centred, so eta = 0 is the mean subject)
    ec = K.event_coefs(cd, rs)
    # rs.s1 is not used after this point: overwrite it
    c, dvar, dxbar = ec.c, ec.alpha, K.xbar_hazard(rs, ec, cd.efron and cd.any_tied,
                                                   overwrite=True)
    # weighted number at risk
    wsum = K.at_risk_sum(cd, cd.w)
    base = _Baseline(time=cd.ev_time, stratum=cd.ev_stratum, n_risk=wsum,
                     n_event=cd.deadwt, dhaz=c, dvar=dvar, dxbar=dxbar)
    return zph, base


def cox(
    data: pd.DataFrame,
    formula: str,
    *,
    time: str,
    event: str,
    entry: str | None = None,
    ties: Ties = "efron",
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    missing: Missing = "raise",
    conf_level: float = 0.95,
    ph_transforms: Sequence[Transform] = ("km",),
    concordance: bool = True,
) -> CoxResult:
    """Fit a Cox proportional hazards model (R's ``coxph``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject, or per (entry, time] interval when ``entry`` is given.
    formula : str
        Right-hand side in formulaic syntax, e.g.
        ``"ccrt + tumor_size_cm + C(bclc, contr.treatment('B'))"``; the intercept
        is dropped. ``C(x, treatment('B'))`` is accepted as a short form.
    time, event : str
        Exit time and event indicator (0/1 or bool).
    entry : str, optional
        Entry time for (start, stop] / left-truncated data.
    ties : {"efron", "breslow"}
        Handling of tied event times.
    strata : str or list of str, optional
        Stratification columns (separate baseline hazards).
    cluster : str, optional
        Cluster column; gives robust (sandwich) standard errors.
    weights : str, optional
        Case weights (> 0). Non-integer weights give robust standard errors, as R.
    missing : {"raise", "drop"}
        Rows with missing values raise, or are dropped and counted in ``n_dropped``.
    conf_level : float
        Default confidence level of the reported intervals.
    ph_transforms : sequence of {"km", "rank", "identity"}
        Time transforms for which :meth:`CoxResult.ph_test` is prepared (the
        test needs the rows, which the result does not keep: the fit keeps its
        score and information blocks, and ``ph_test`` assembles the table).
        Default ``("km",)``, R's ``cox.zph`` default; each transform costs about
        half a Newton iteration; pass ``()`` to skip.
    concordance : bool
        Compute Harrell's C and its standard error (as ``coxph`` does): an
        O(n log n) compiled pass (numba), run beside the cox.zph work for large
        n; ``False`` leaves ``concordance`` as (nan, nan).

    Returns
    -------
    CoxResult

    Raises
    ------
    hccstudy.errors.InputError
        Unknown columns, bad times or events, missing values, constant or
        collinear covariates, no events.

    Warns
    -----
    MonotoneLikelihoodWarning
        A coefficient diverges (e.g. a group without events); its CI is unstable.
    ConvergenceWarning
        The iteration limit was reached.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccstudy.analyse.cox import cox
    >>> d = pd.DataFrame({"months": [5, 8, 3, 9, 12, 4, 7, 10], "death": [1, 1, 0, 1, 0, 1, 1, 0],
    ...                   "age": [61, 70, 55, 48, 52, 66, 59, 45]})
    >>> fit = cox(d, "age", time="months", event="death", ties="breslow")
    >>> fit.ties
    'breslow'
    """
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', not {ties!r}", rule="ties option")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be in (0, 1), not {conf_level!r}", rule="conf_level")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}",
                         rule="data must be a DataFrame")
    strata_cols = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    extra = [c for c in strata_cols + ([cluster] if cluster else []) if c not in data.columns]
    if extra:
        raise InputError(f"unknown column(s) {extra!r}: the data has no such column",
                         column=extra[0], rule="column must exist")
    bad_tr = [t for t in ph_transforms if t not in ("km", "rank", "identity")]
    if bad_tr:
        raise InputError(f"ph_transforms must be among 'km', 'rank', 'identity', not {bad_tr!r}",
                         rule="ph_transforms option")
    variables = formula_variables(formula, data)
    si = survival_input(data, time, event, entry=entry, weights=weights,
                        columns=[*variables, *strata_cols, *([cluster] if cluster else [])],
                        missing=missing)
    design = build_design(si.frame, formula)
    if si.event.sum() == 0:
        raise InputError(f"column {event!r} has no events; a Cox model needs at least one",
                         column=event, rule="at least one event")
    if strata_cols:
        s_codes = si.frame.groupby(strata_cols, sort=True).ngroup().to_numpy()
        keys = si.frame[strata_cols].drop_duplicates().sort_values(strata_cols)
        strata_names = tuple(", ".join(f"{c}={v}" for c, v in zip(strata_cols, row, strict=True))
                             for row in keys.itertuples(index=False))
    else:
        s_codes = None
        strata_names = ()
    cd = K.prepare(design.x, si.time, si.event, weights=si.weights, entry=si.entry,
                   strata=s_codes, efron=ties == "efron")
    names = design.columns

    def check(info0: np.ndarray) -> None:
        bad = _singular_columns(info0)
        if bad:
            raise InputError(
                f"covariate(s) {[names[j] for j in bad]!r} carry no information: collinear "
                "with other covariates, or constant within strata or within every risk set "
                "with an event; rule: the design must have full rank",
                column=names[bad[0]], rule="design of full rank",
            )

    nr = K.newton(cd, check=check)
    beta = nr.beta
    p = beta.size
    naive = np.linalg.inv(nr.info)
    naive = 0.5 * (naive + naive.T)
    unstable = tuple(names[j] for j in np.flatnonzero(nr.infinite))
    if unstable:
        how = ("the loglik converged" if nr.converged
               else f"the fit stopped after {nr.iterations} iterations")
        warnings.warn(
            f"monotone likelihood: {how} while {', '.join(unstable)} kept "
            "moving; the coefficient(s) may be infinite and their CIs are unstable",
            MonotoneLikelihoodWarning, stacklevel=2)
    elif not nr.converged:
        warnings.warn(f"the Cox fit did not converge in {nr.iterations} iterations",
                      ConvergenceWarning, stacklevel=2)
    w_int = si.weights is None or bool(np.all(si.weights == np.floor(si.weights)))
    robust = cluster is not None or not w_int
    tests: dict[str, tuple[float, int]] = {}
    lr = 2.0 * (nr.loglik - nr.loglik_init)
    tests["likelihood_ratio"] = (lr, p)
    vcov = naive
    robust_se = None
    if robust:
        c_codes = None
        if cluster is not None:
            c_codes = pd.factorize(si.frame[cluster], sort=True)[0][cd.order]
        res = K.score_residuals(cd, beta) * cd.w[:, None]
        dfb = _collapse(res @ naive, c_codes)
        vcov = dfb.T @ dfb
        res0 = _collapse(K.score_residuals(cd, np.zeros(p)) * cd.w[:, None], c_codes)
        u0 = res0.sum(axis=0)
        rscore, rdf = _wtest(res0.T @ res0, u0)
        robust_se = pd.Series(np.sqrt(np.diag(vcov)), index=list(names), name="robust_se")
    wald, wdf = _wtest(vcov, beta)
    tests["wald"] = (wald, wdf)
    tests["score"] = (nr.score_test, p)
    if robust:
        tests["robust_score"] = (rscore, rdf)
    tests_df = pd.DataFrame(
        {"statistic": [v[0] for v in tests.values()], "df": [v[1] for v in tests.values()],
         "p": [_chi2_sf(v[0], v[1]) for v in tests.values()]},
        index=pd.Index(list(tests), name="test"),
    )
    # concordance
    from hccstudy.analyse._cox_concordance import concordance as concordance_fn

    # column by column: identical rows get bit-identical lp (the risk sums' eta)
    lp = nr.rs.eta
    conc = (float("nan"), float("nan"))
    conc_job: Future[tuple[float, float]] | None = None
    if concordance:
        c_codes = (None if cluster is None else
                   pd.factorize(si.frame[cluster], sort=True)[0][cd.order])
        if lp.size >= 50_000:
            # its kernels release the GIL: run it beside the cox.zph and baseline work
            pool = ThreadPoolExecutor(max_workers=1)
            conc_job = pool.submit(concordance_fn, cd, lp, c_codes, si.entry)
            pool.shutdown(wait=False)
        else:
            conc = concordance_fn(cd, lp, c_codes, si.entry)
    try:
        zph, base = _ph_and_baseline(cd, nr, si.time, si.entry, s_codes is not None,
                                     ph_transforms)
    finally:
        if conc_job is not None:
            conc = conc_job.result()
    idx = list(names)
    # R (coxph nocenter = c(-1, 0, 1)) reports mean 0 for columns with values in {-1, 0, 1};
    # survfit's default curve uses those means.
    zero_one = _unit_columns(design.x)
    return CoxResult(
        terms=tuple(names),
        coef=pd.Series(beta, index=idx, name="coef"),
        se=pd.Series(np.sqrt(np.diag(naive)), index=idx, name="se"),
        robust_se=robust_se,
        cov=pd.DataFrame(vcov, index=idx, columns=idx),
        naive_cov=pd.DataFrame(naive, index=idx, columns=idx),
        loglik=(float(nr.loglik_init), float(nr.loglik)),
        tests=tests_df,
        concordance=conc,
        n=int(si.time.size),
        n_events=int(si.event.sum()),
        n_dropped=int(si.n_dropped),
        ties=ties,
        iterations=int(nr.iterations),
        converged=bool(nr.converged),
        unstable=unstable,
        variance="robust" if robust else "model",
        conf_level=float(conf_level),
        means=pd.Series(np.where(zero_one, 0.0, cd.means), index=idx, name="mean"),
        strata=strata_names,
        term_columns=design.term_columns,
        _zph=zph,
        _baseline=base,
        _spec=design.spec,
        _center=cd.means,
        formula=formula,
    )
