"""Unpenalised logistic regression of a binary outcome, as R's ``glm(family = binomial)``.

:func:`logistic` fits the model and returns a frozen :class:`LogisticResult`
holding aggregates only (coefficients, variance, log-likelihoods, tests).

Method choices, stated once:

* Design: the right-hand side in formulaic syntax, with an intercept;
  character / categorical columns become treatment-coded dummies as in R, and
  ``C(x, treatment('B'))`` sets the reference level (as :func:`hccstudy.cox`).
* Fitting: Newton-Raphson (= IRLS for the canonical logit link) from the
  intercept-only fit, with step halving when the log-likelihood decreases, to
  the deviance criterion ``|dev - dev_old| / (|dev| + 0.1) < 1e-10``; a fit
  without a diverging coefficient is then polished with further Newton steps
  so the coefficients are the MLE to full precision.
* Separation (monotone likelihood): fitted probabilities numerically 0 or 1
  (R's ``glm`` warning, threshold ``10 * machine eps``) or coefficients still
  moving when the deviance has converged. A
  :class:`~hccstudy.errors.MonotoneLikelihoodWarning` names the diverging terms,
  which are listed in ``unstable``; their estimates and CIs are not meaningful.
* Variance: the inverse of the Fisher information; CIs for odds ratios are Wald
  intervals on the log scale, ``exp(coef +- z se)`` (R's ``confint.default``).
* Tests of the model against the intercept-only model on the same rows:
  likelihood ratio (``null.deviance - deviance``), Wald (all coefficients but
  the intercept) and score (Rao, ``anova(null, fit, test = "Rao")``).

Examples
--------
>>> import pandas as pd
>>> from hccstudy.analyse.logistic import logistic
>>> d = pd.DataFrame({"resp": [1, 0, 1, 1, 0, 0, 1, 0],
...                   "size": [3.0, 8.0, 2.5, 4.0, 6.5, 9.0, 7.0, 5.0]})
>>> fit = logistic(d, "size", outcome="resp")
>>> fit.terms
('Intercept', 'size')
>>> round(float(fit.coef["size"]), 4)
-0.8757
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccstudy._input import Missing, select_rows
from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse._cox_design import build_design, formula_variables
from hccstudy.errors import ConvergenceWarning, InputError, MonotoneLikelihoodWarning

__all__ = ["LogisticResult", "binary_outcome", "fit_logistic_matrix", "logistic"]

_EPS_MU = 10 * np.finfo(float).eps


def _chi2_sf(x: float, df: float) -> float:
    from scipy.special import chdtrc

    return float(chdtrc(df, x)) if df > 0 and np.isfinite(x) else float("nan")


def _z(level: float) -> float:
    from scipy.special import ndtri

    if not 0 < level < 1:
        raise InputError(f"conf_level must be in (0, 1), not {level!r}", rule="0 < conf_level < 1")
    return float(ndtri(1 - (1 - level) / 2))


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    cov: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    separation: bool
    unstable: np.ndarray  # bool per column


def _loglik(x: np.ndarray, y: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
    eta = x @ b
    ll = float(y @ eta - np.logaddexp(0.0, eta).sum())
    mu = np.exp(-np.logaddexp(0.0, -eta))
    return ll, mu


def _solve(a: np.ndarray, u: np.ndarray) -> np.ndarray:
    try:
        c = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(a, u, rcond=None)[0])
    return np.asarray(np.linalg.solve(c.T, np.linalg.solve(c, u)))


def _irls(x: np.ndarray, y: np.ndarray, max_iter: int = 50, eps: float = 1e-10) -> _Fit:
    """Newton-Raphson with step halving from the intercept-only fit (column 0 = intercept)."""
    p = x.shape[1]
    b = np.zeros(p)
    ybar = float(y.mean())
    b[0] = math.log(ybar / (1.0 - ybar))
    ll, mu = _loglik(x, y, b)
    dev_old = -2.0 * ll
    converged = False
    it = 0
    info = (x * (mu * (1.0 - mu))[:, None]).T @ x
    for it in range(1, max_iter + 1):  # noqa: B007
        u = x.T @ (y - mu)
        step = _solve(info, u)
        t = 1.0
        for _ in range(40):
            nb = b + t * step
            nll, nmu = _loglik(x, y, nb)
            if np.isfinite(nll) and nll >= ll - 1e-12 * (1.0 + abs(ll)):
                break
            t /= 2.0
        b, ll, mu = nb, nll, nmu
        info = (x * (mu * (1.0 - mu))[:, None]).T @ x
        dev = -2.0 * ll
        if abs(dev - dev_old) / (abs(dev) + 0.1) < eps:
            converged = True
            break
        dev_old = dev
    u = x.T @ (y - mu)
    step = _solve(info, u)
    big = (np.abs(step) > 1e-6) & (np.abs(step) > 1e-4 * np.abs(b))
    extreme = bool(np.any(mu < _EPS_MU) or np.any(mu > 1.0 - _EPS_MU))
    unstable = ~np.isfinite(step) | big
    if converged and not unstable.any() and not extreme:
        for _ in range(8):  # polish: quadratic convergence to the MLE
            if np.max(np.abs(step) / np.maximum(1.0, np.abs(b))) <= 1e-14:
                break
            nb = b + step
            nll, nmu = _loglik(x, y, nb)
            if not np.isfinite(nll) or nll < ll - 1e-12 * abs(ll):
                break
            b, ll, mu = nb, nll, nmu
            info = (x * (mu * (1.0 - mu))[:, None]).T @ x
            step = _solve(info, x.T @ (y - mu))
    separation = extreme or bool(unstable.any())
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = np.full((p, p), np.nan)
    cov = 0.5 * (cov + cov.T)
    return _Fit(beta=b, cov=cov, loglik=ll, iterations=it, converged=converged,
                separation=separation, unstable=unstable)


def fit_logistic_matrix(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float,
                                                               bool, np.ndarray]:
    """Fit on a design matrix whose first column is the intercept (no checks, no warnings).

    Returns ``(coef, cov, loglik, separation, unstable)``; used by the model-building
    code for refits on fixed rows.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.column_stack([np.ones(6), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    >>> b, v, ll, sep, _ = fit_logistic_matrix(x, np.array([0.0, 1, 0, 1, 1, 0]))
    >>> bool(sep), b.shape
    (False, (2,))
    """
    f = _irls(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return f.beta, f.cov, f.loglik, f.separation, f.unstable


def null_loglik(y: np.ndarray) -> float:
    """Log-likelihood of the intercept-only model (closed form)."""
    n1 = float(y.sum())
    n = float(y.size)
    if n1 in (0.0, n):
        return 0.0
    p = n1 / n
    return n1 * math.log(p) + (n - n1) * math.log(1.0 - p)


def score_test(x: np.ndarray, y: np.ndarray, cols: list[int], b_reduced: np.ndarray) -> float:
    """Rao score statistic for adding design columns ``cols`` to the reduced fit.

    ``b_reduced`` holds the reduced model's coefficients for the other columns (in
    column order, without ``cols``).
    """
    p = x.shape[1]
    keep = [j for j in range(p) if j not in set(cols)]
    b = np.zeros(p)
    b[keep] = b_reduced
    eta = x @ b
    mu = np.exp(-np.logaddexp(0.0, -eta))
    u = x.T @ (y - mu)
    info = (x * (mu * (1.0 - mu))[:, None]).T @ x
    return float(u @ _solve(info, u))


def binary_outcome(values: pd.Series, name: str) -> np.ndarray:
    """0/1 float array of a binary column (0/1 or bool); raises InputError otherwise."""
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    v = pd.to_numeric(values, errors="coerce")
    bad = v.isna() | ~v.isin([0, 1])
    if bad.any():
        raise InputError(
            f"column {name!r} (outcome): {int(bad.sum())} row(s) are not 0/1; rule: a binary "
            "outcome is coded 0/1 or True/False", column=name, n_rows=int(bad.sum()),
            rule="outcome is 0/1")
    return v.to_numpy(dtype=float)


@dataclass(frozen=True)
class LogisticResult(HtmlReprMixin):
    """A fitted logistic regression: aggregates only, never patient rows.

    Attributes
    ----------
    terms : tuple of str
        Design columns (``Intercept`` first), in coefficient order.
    coef, se : pandas.Series
        Coefficients (log odds ratios) and standard errors.
    cov : pandas.DataFrame
        Inverse Fisher information.
    loglik : tuple of float
        Log-likelihood of the intercept-only model and of the fit (same rows).
    tests : pandas.DataFrame
        Likelihood-ratio, Wald and score tests against the intercept-only model.
    n, n_events, n_dropped : int
        Rows used, rows with outcome 1, rows dropped for missing values.
    separation : bool
        Fitted probabilities numerically 0 or 1, or a diverging coefficient.
    unstable : tuple of str
        Terms whose coefficient diverges (monotone likelihood).
    term_columns : dict
        Formula term -> positions of its columns among the non-intercept terms.
    """

    terms: tuple[str, ...]
    coef: pd.Series
    se: pd.Series
    cov: pd.DataFrame
    loglik: tuple[float, float]
    tests: pd.DataFrame
    n: int
    n_events: int
    n_dropped: int
    iterations: int
    converged: bool
    separation: bool
    unstable: tuple[str, ...]
    conf_level: float
    formula: str
    term_columns: dict[str, tuple[int, ...]] = field(repr=False)

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 k`` with k coefficients (intercept included), as R's ``AIC``."""
        return -2.0 * self.loglik[1] + 2.0 * len(self.terms)

    @property
    def deviance(self) -> float:
        """Residual deviance ``-2 loglik`` (binary outcome)."""
        return -2.0 * self.loglik[1]

    def odds_ratios(self, conf_level: float | None = None) -> pd.DataFrame:
        """Odds ratios with Wald CIs and p-values, indexed by term.

        Columns ``coef``, ``se``, ``or``, ``ci_lower``, ``ci_upper``, ``z``, ``p``,
        ``unstable``.

        Examples
        --------
        >>> d = pd.DataFrame({"resp": [1, 0, 1, 1, 0, 0, 1, 0],
        ...                   "size": [3.0, 8.0, 2.5, 4.0, 6.5, 9.0, 7.0, 5.0]})
        >>> list(logistic(d, "size", outcome="resp").odds_ratios().index)
        ['Intercept', 'size']
        """
        from scipy.special import ndtr

        z = _z(self.conf_level if conf_level is None else conf_level)
        b = self.coef.to_numpy()
        s = self.se.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            zs = b / s
            out = pd.DataFrame({
                "coef": b, "se": s, "or": np.exp(b), "ci_lower": np.exp(b - z * s),
                "ci_upper": np.exp(b + z * s), "z": zs, "p": 2.0 * ndtr(-np.abs(zs)),
                "unstable": [t in self.unstable for t in self.terms]},
                index=pd.Index(self.terms, name="term"))
        return out

    def to_frame(self) -> pd.DataFrame:
        """The odds-ratio table (see :meth:`odds_ratios`)."""
        return self.odds_ratios()

    def summary(self) -> str:
        """Printable text in the layout of R's ``summary.glm``."""
        t = self.odds_ratios()
        w = max(len(x) for x in self.terms)
        lines = [f"Logistic regression: n = {self.n}, events = {self.n_events}"
                 + (f", {self.n_dropped} row(s) dropped for missing values"
                    if self.n_dropped else ""), "",
                 f"{'':{w}}  {'coef':>10} {'se':>10} {'OR':>10} {'lower':>10} {'upper':>10}"
                 f" {'p':>10}"]
        for term, r in t.iterrows():
            lines.append(f"{term!s:{w}}  {r['coef']:10.4g} {r['se']:10.4g} {r['or']:10.4g} "
                         f"{r['ci_lower']:10.4g} {r['ci_upper']:10.4g} {r['p']:10.3g}"
                         + ("  (unstable)" if r["unstable"] else ""))
        lines.append("")
        for k, r in self.tests.iterrows():
            lines.append(f"{k!s:<17}= {r['statistic']:.2f} on {int(r['df'])} df, "
                         f"p={r['p']:.3g}")
        lines.append(f"AIC = {self.aic:.2f}")
        if self.separation:
            lines.append("Separation: fitted probabilities 0 or 1; estimates are unstable.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def logistic(
    data: pd.DataFrame,
    formula: str,
    *,
    outcome: str,
    missing: Missing = "raise",
    conf_level: float = 0.95,
) -> LogisticResult:
    """Fit an unpenalised logistic regression (R's ``glm(family = binomial)``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; never modified.
    formula : str
        Right-hand side in formulaic syntax (``"size + C(bclc, treatment('B'))"``);
        an intercept is added.
    outcome : str
        Binary outcome column (0/1 or bool).
    missing : {"raise", "drop"}
        Rows with a missing value in a used column raise, or are dropped and counted.
    conf_level : float
        Default confidence level of :meth:`LogisticResult.odds_ratios`.

    Returns
    -------
    LogisticResult

    Raises
    ------
    hccstudy.errors.InputError
        Unknown columns, a non-binary outcome, an outcome without both values,
        missing values (``missing="raise"``), constant or collinear covariates.

    Warns
    -----
    MonotoneLikelihoodWarning
        Complete or quasi-complete separation; the unstable terms are named.
    ConvergenceWarning
        The iteration limit was reached without separation.

    Examples
    --------
    >>> d = pd.DataFrame({"resp": [1, 0, 1, 1, 0, 0, 1, 0],
    ...                   "rt": [1, 0, 1, 0, 0, 1, 1, 0]})
    >>> fit = logistic(d, "rt", outcome="resp")
    >>> round(float(fit.odds_ratios().loc["rt", "or"]), 3)
    9.0
    """
    _z(conf_level)
    if missing not in ("raise", "drop"):
        raise InputError(f"missing must be 'raise' or 'drop', not {missing!r}",
                         rule="missing option")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}",
                         rule="data must be a DataFrame")
    variables = formula_variables(formula, data)
    frame, n_dropped = select_rows(data, [outcome, *variables], missing)
    y = binary_outcome(frame[outcome], outcome)
    if y.min() == y.max():
        raise InputError(f"column {outcome!r} (outcome) takes one value only in the {y.size} "
                         "analysed row(s); rule: both outcomes must occur", column=outcome,
                         n_rows=int(y.size), rule="outcome has both values")
    design = build_design(frame, formula)
    x = np.column_stack([np.ones(y.size), design.x])
    names = ("Intercept", *design.columns)
    rank = np.linalg.matrix_rank(x)
    if rank < x.shape[1]:
        raise InputError(f"the design of {formula!r} is collinear (rank {rank} < "
                         f"{x.shape[1]} columns); rule: the design must have full rank",
                         rule="design of full rank")
    f = _irls(x, y)
    unstable = tuple(names[j] for j in np.flatnonzero(f.unstable))
    if f.separation:
        which = ", ".join(unstable) if unstable else "some fitted probabilities"
        warnings.warn(f"separation (monotone likelihood): fitted probabilities numerically 0 or "
                      f"1; {which} may be infinite and their CIs are unstable",
                      MonotoneLikelihoodWarning, stacklevel=2)
    elif not f.converged:
        warnings.warn(f"the logistic fit did not converge in {f.iterations} iterations",
                      ConvergenceWarning, stacklevel=2)
    ll0 = null_loglik(y)
    p = x.shape[1] - 1
    lr = 2.0 * (f.loglik - ll0)
    b = f.beta[1:]
    v = f.cov[1:, 1:]
    try:
        wald = float(b @ np.linalg.solve(v, b))
    except np.linalg.LinAlgError:
        wald = float("nan")
    sc = score_test(x, y, list(range(1, x.shape[1])), np.array([math.log(y.mean() /
                                                                       (1 - y.mean()))]))
    tests = pd.DataFrame({"statistic": [lr, wald, sc], "df": [p, p, p],
                          "p": [_chi2_sf(lr, p), _chi2_sf(wald, p), _chi2_sf(sc, p)]},
                         index=pd.Index(["likelihood_ratio", "wald", "score"], name="test"))
    idx = list(names)
    return LogisticResult(
        terms=names, coef=pd.Series(f.beta, index=idx, name="coef"),
        se=pd.Series(np.sqrt(np.diag(f.cov)), index=idx, name="se"),
        cov=pd.DataFrame(f.cov, index=idx, columns=idx), loglik=(ll0, f.loglik), tests=tests,
        n=int(y.size), n_events=int(y.sum()), n_dropped=int(n_dropped),
        iterations=f.iterations, converged=f.converged, separation=f.separation,
        unstable=unstable, conf_level=float(conf_level), formula=formula,
        term_columns=dict(design.term_columns))
