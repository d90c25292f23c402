"""Propensity scores by logistic regression (IRLS), with Firth penalisation on request.

The model is unpenalised maximum likelihood by default, fitted by iteratively
reweighted least squares to full convergence (it agrees with R's
``glm(family = binomial)`` to 1e-8 on the coefficients). When the likelihood has
no finite maximum (complete or quasi-complete separation: fitted probabilities
of 0 or 1, or coefficients that keep growing) the fit is repeated with Firth's
penalty (Firth 1993, Heinze & Schemper 2002) and a
:class:`~hccstudy.errors.MonotoneLikelihoodWarning` says so; ``method="firth"``
asks for the penalty from the start.

The right-hand side is written in formulaic syntax (``"age + C(bclc) + pvi"``);
character and categorical columns become treatment-coded dummies as in R.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import expit

from hccstudy._repr import HtmlReprMixin
from hccstudy.adjust._common import binary_treatment, require_columns, require_frame
from hccstudy.errors import ConvergenceWarning, InputError, MonotoneLikelihoodWarning

__all__ = ["PropensityResult", "TrimResult", "fit_propensity", "trim_common_support"]

MissingRule = Literal["raise", "complete_case", "indicator"]


@dataclass(frozen=True, slots=True)
class PropensityResult(HtmlReprMixin):
    """A fitted propensity model and the scores of the rows of the input frame.

    ``ps`` and ``logit_ps`` are aligned with the rows of the caller's frame
    (by position); rows left out (complete-case rule) hold NaN and
    ``used[i]`` is False. No identifiers are kept.
    """

    formula: str
    terms: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    method: Literal["ml", "firth"]
    separation: bool
    converged: bool
    n_iter: int
    n: int
    n_treated: int
    n_dropped_missing: int
    missing_rule: MissingRule
    loglik: float
    ps: np.ndarray
    logit_ps: np.ndarray
    treat: np.ndarray
    used: np.ndarray

    def coef_table(self) -> pd.DataFrame:
        """Coefficients, standard errors, Wald z and two-sided p."""
        from scipy.special import ndtr

        se = np.sqrt(np.diag(self.cov))
        z = self.coef / se
        return pd.DataFrame({"coef": self.coef, "se": se, "z": z,
                             "p": 2 * ndtr(-np.abs(z))},
                            index=pd.Index(self.terms, name="term"))


def _rhs_variables(rhs: str) -> list[str]:
    """Data columns of a right-hand side, sorted (formulaic's ``required_variables``).

    A plain sum of names and ``C(name)`` terms is read without formulaic (whose import
    costs ~0.2 s); anything else is parsed by formulaic.

    Examples
    --------
    >>> _rhs_variables("age_years + C(bclc_stage) + pvi")
    ['age_years', 'bclc_stage', 'pvi']
    >>> _rhs_variables("age_years + np.log(afp_ng_ml)")
    ['afp_ng_ml', 'age_years']
    """
    plain = [_NAME.match(t.strip()) for t in rhs.split("+")]
    if all(m is not None and bool(m.group(1)) == bool(m.group(3)) for m in plain):
        return sorted({m.group(2) for m in plain if m is not None})
    from formulaic import Formula

    f = Formula(rhs)
    return sorted(str(v) for v in f.required_variables)


_NAME = re.compile(r"^(C\()?\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\))?$")


def _fast_model_matrix(rhs: str, frame: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """Model matrix for a plain sum of columns / ``C(column)`` terms, as formulaic builds it.

    Numeric columns enter as they are; text and categorical columns (or ``C(x)``)
    become treatment-coded dummies for every level after the first (sorted text
    levels, or the categorical's own order), named like formulaic
    (``stage[T.IVA]``, ``C(stage)[T.IVA]``). Anything else returns None and
    formulaic is used.
    """
    tokens = [t.strip() for t in rhs.split("+")]
    parsed = []
    for tok in tokens:
        m = _NAME.match(tok)
        if not m or bool(m.group(1)) != bool(m.group(3)) or m.group(2) not in frame.columns:
            return None
        parsed.append((tok, m.group(2), bool(m.group(1))))
    if len({name for _, name, _ in parsed}) != len(parsed):
        return None
    n = len(frame)
    cols: list[np.ndarray] = [np.ones(n)]
    names = ["Intercept"]
    for tok, name, forced in parsed:
        col = frame[name]
        if pd.api.types.is_bool_dtype(col):
            if forced or bool(col.isna().any()):
                return None
            cols.append(col.to_numpy(dtype=float))  # formulaic: True/False as 1/0
            names.append(tok)
            continue
        if pd.api.types.is_numeric_dtype(col) and not forced \
                and not isinstance(col.dtype, pd.CategoricalDtype):
            cols.append(col.to_numpy(dtype=float))
            names.append(tok)
            continue
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy()
            levels = list(col.cat.categories)
            used = np.unique(codes[codes >= 0])
            if len(used) != len(levels):
                return None
        else:
            if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)
                    or pd.api.types.is_numeric_dtype(col)):
                return None
            codes, uniq = pd.factorize(col, sort=True)
            levels = list(uniq)
            if pd.api.types.is_object_dtype(col) and not all(isinstance(v, str) for v in levels):
                return None
        for k, lev in enumerate(levels[1:], start=1):
            cols.append((codes == k).astype(float))
            names.append(f"{tok}[T.{lev}]")
    return np.column_stack(cols), tuple(names)


def _model_matrix(rhs: str, frame: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    fast = _fast_model_matrix(rhs, frame)
    if fast is not None:
        return fast
    from formulaic import model_matrix

    mm = model_matrix(rhs, frame, na_action="ignore", output="numpy")
    x = np.asarray(mm, dtype=float)
    return x, tuple(str(c) for c in mm.model_spec.column_names)


def _crossprod_w(x: np.ndarray, w: np.ndarray, block: int = 8192) -> np.ndarray:
    """``x.T @ diag(w) @ x`` in cache-sized row blocks (O(p^2) extra memory)."""
    p = x.shape[1]
    out = np.zeros((p, p))
    for s in range(0, x.shape[0], block):
        xs = x[s:s + block]
        out += xs.T @ (xs * w[s:s + block, None])
    return out


def _irls(x: np.ndarray, y: np.ndarray, firth: bool, max_iter: int = 100,
          tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray, bool, int, bool, float]:
    """Newton-Raphson (= IRLS) for logistic regression, optionally Firth-penalised.

    Returns coef, covariance (inverse information), converged, iterations,
    separation flag and the (penalised) log-likelihood.
    """
    _n, p = x.shape
    beta = np.zeros(p)
    ybar = float(y.mean())
    if np.all(x[:, 0] == 1.0) and 0 < ybar < 1:
        beta[0] = np.log(ybar / (1 - ybar))  # start at the intercept-only fit

    def loglik(b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = x @ b
        # log(1 + exp(eta)) computed stably
        ll = float(np.dot(y, eta) - np.logaddexp(0.0, eta).sum())
        mu = expit(eta)  # no overflow warning under separation
        w = mu * (1.0 - mu)
        info = _crossprod_w(x, w)
        if firth:
            sign, logdet = np.linalg.slogdet(info)
            ll += 0.5 * logdet if sign > 0 else -np.inf
        return ll, mu, info

    ll, mu, info = loglik(beta)
    converged = False
    separation = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        score = x.T @ (y - mu)
        if firth:
            info_inv = np.linalg.inv(info)
            w = mu * (1.0 - mu)
            h = np.einsum("ij,jk,ik->i", x, info_inv, x) * w
            score = x.T @ (y - mu + h * (0.5 - mu))
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        # step halving keeps the (penalised) log-likelihood from decreasing
        t = 1.0
        for _ in range(30):
            new = beta + t * step
            ll_new, mu_new, info_new = loglik(new)
            if ll_new >= ll - 1e-10 * (1 + abs(ll)):
                break
            t /= 2
        beta, ll, mu, info = new, ll_new, mu_new, info_new
        if np.max(np.abs(t * step)) < tol * (1 + np.max(np.abs(beta))) or \
                np.max(np.abs(t * step)) < 1e-13:
            converged = True
            break
    eps = 10 * np.finfo(float).eps
    if not firth and (np.any(mu < eps) or np.any(mu > 1 - eps) or not converged):
        separation = True
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full((p, p), np.nan)
    return beta, cov, converged, it, separation, ll


def fit_propensity(
    data: pd.DataFrame,
    treatment: str,
    covariates: str | Sequence[str],
    *,
    treated: Hashable | None = None,
    method: Literal["ml", "firth"] = "ml",
    on_separation: Literal["firth", "raise"] = "firth",
    missing: MissingRule = "raise",
    max_iter: int = 100,
) -> PropensityResult:
    """Fit a logistic propensity model ``P(treatment = 1 | covariates)``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; never modified.
    treatment : str
        Binary treatment column (0/1, bool, or two values with ``treated``).
    covariates : str or sequence of str
        Formula right-hand side in formulaic syntax (``"age + C(stage)"``), or a
        list of column names joined with ``+``. An intercept is included.
    treated : hashable, optional
        The value of ``treatment`` that marks treated patients.
    method : {"ml", "firth"}
        Unpenalised maximum likelihood (default) or Firth's penalised likelihood.
    on_separation : {"firth", "raise"}
        With ``method="ml"``: when separation is detected refit with Firth and
        warn (default), or raise :class:`~hccstudy.errors.InputError`.
    missing : {"raise", "complete_case", "indicator"}
        Missing covariate values: raise an error naming the columns and counts
        (default); drop incomplete rows (their scores are NaN and the count is
        in ``n_dropped_missing``); or the missing-indicator method (numeric
        columns filled with the observed mean plus a ``<col>_missing`` 0/1
        term, categorical columns get a ``"(missing)"`` level).
    max_iter : int
        Newton-Raphson iteration limit.

    Returns
    -------
    PropensityResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [0, 0, 1, 1, 0, 1, 0, 1],
    ...                   "age": [50, 60, 65, 70, 55, 58, 62, 75]})
    >>> r = fit_propensity(d, "t", "age")
    >>> r.terms
    ('Intercept', 'age')
    >>> round(float(r.coef[1]), 4)
    0.3334
    """
    data = require_frame(data)
    rhs = covariates if isinstance(covariates, str) else " + ".join(covariates)
    if not rhs.strip():
        raise InputError("the propensity model needs at least one covariate",
                         rule="covariates must not be empty")
    if "~" in rhs:
        rhs = rhs.split("~", 1)[1]
    if method not in ("ml", "firth"):
        raise InputError(f"method must be 'ml' or 'firth', not {method!r}", rule="method option")
    if missing not in ("raise", "complete_case", "indicator"):
        raise InputError(f"missing must be 'raise', 'complete_case' or 'indicator', not "
                         f"{missing!r}", rule="missing option")
    variables = _rhs_variables(rhs)
    require_columns(data, variables)
    t_all = binary_treatment(data, treatment, treated)
    frame = data[variables].copy()
    na_counts = {v: int(frame[v].isna().sum()) for v in variables}
    na_counts = {k: v for k, v in na_counts.items() if v}
    used = np.ones(len(frame), dtype=bool)
    if na_counts:
        if missing == "raise":
            desc = ", ".join(f"{k!r}: {v}" for k, v in na_counts.items())
            first = next(iter(na_counts))
            raise InputError(
                f"missing values in propensity covariates ({desc} row(s)); rule: the PS model "
                "needs complete covariates (use missing='complete_case' or 'indicator')",
                column=first, n_rows=int(frame[list(na_counts)].isna().any(axis=1).sum()),
                rule="covariates must not be missing")
        if missing == "complete_case":
            used = ~frame.isna().any(axis=1).to_numpy()
        else:
            extra = []
            for v in na_counts:
                col = frame[v]
                if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                    ind = f"{v}_missing"
                    frame[ind] = col.isna().astype(float)
                    frame[v] = col.fillna(col.mean())
                    extra.append(ind)
                else:
                    frame[v] = col.astype(object).where(col.notna(), "(missing)")
            if extra:
                rhs = rhs + " + " + " + ".join(extra)
    sub = frame.loc[used] if not used.all() else frame
    t = t_all[used]
    if t.sum() == 0 or t.sum() == len(t):
        raise InputError("after removing incomplete rows one treatment group has no patients",
                         column=treatment, rule="each group must have patients")
    x, terms = _model_matrix(rhs, sub.reset_index(drop=True))
    if x.shape[0] != len(sub):
        raise InputError("the model matrix lost rows (unexpected missing values)",
                         rule="covariates must not be missing")
    xtx = _crossprod_w(x, np.ones(x.shape[0]))
    scale = np.sqrt(np.diag(xtx))
    scale[scale == 0] = 1.0
    rank = int(np.linalg.matrix_rank(xtx / np.outer(scale, scale), tol=1e-10))
    if rank < x.shape[1]:
        raise InputError(f"the propensity model matrix is rank deficient ({x.shape[1]} terms, "
                         f"rank {rank}): drop collinear or constant covariates",
                         rule="model matrix must have full rank")
    y = t.astype(float)
    firth = method == "firth"
    beta, cov, conv, it, sep, ll = _irls(x, y, firth, max_iter)
    if sep and not firth:
        if on_separation == "raise":
            raise InputError("separation in the propensity model: some covariate pattern "
                             "predicts treatment perfectly", column=treatment,
                             rule="no separation (or use Firth)")
        warnings.warn("separation detected in the propensity model (fitted probabilities "
                      "0 or 1 or diverging coefficients): refitted with Firth's penalty",
                      MonotoneLikelihoodWarning, stacklevel=2)
        firth = True
        beta, cov, conv, it, _, ll = _irls(x, y, True, max_iter)
    if not conv:
        warnings.warn(f"propensity model did not converge in {max_iter} iterations",
                      ConvergenceWarning, stacklevel=2)
    eta = x @ beta
    logit = np.full(len(frame), np.nan)
    logit[used] = eta
    ps = np.full(len(frame), np.nan)
    ps[used] = expit(eta)
    return PropensityResult(
        formula=f"{treatment} ~ {rhs.strip()}", terms=terms, coef=beta, cov=cov,
        method="firth" if firth else "ml", separation=sep, converged=conv, n_iter=it,
        n=int(used.sum()), n_treated=int(t.sum()), n_dropped_missing=int((~used).sum()),
        missing_rule=missing, loglik=ll, ps=ps, logit_ps=logit, treat=t_all, used=used,
    )


@dataclass(frozen=True, slots=True)
class TrimResult:
    """Common-support trimming: which rows are kept, the bounds and the counts."""

    keep: np.ndarray
    lower: float
    upper: float
    rule: str
    n_dropped_treated: int
    n_dropped_control: int


def trim_common_support(
    ps: PropensityResult,
    *,
    rule: Literal["minmax", "crump"] = "minmax",
    alpha: float = 0.1,
) -> TrimResult:
    """Rows inside the region of common propensity-score support.

    ``rule="minmax"`` keeps rows with PS in ``[max(min_t, min_c), min(max_t, max_c)]``
    (MatchIt's ``discard = "both"``); ``rule="crump"`` keeps ``alpha <= PS <= 1 - alpha``
    (Crump et al. 2009). Rows not used by the model are never kept.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [0, 0, 1, 1, 0, 1, 0, 1],
    ...                   "age": [50, 60, 65, 70, 55, 58, 62, 75]})
    >>> tr = trim_common_support(fit_propensity(d, "t", "age"))
    >>> int(tr.keep.sum()), tr.n_dropped_control, tr.n_dropped_treated
    (3, 2, 3)
    """
    p = ps.ps
    t = ps.treat
    ok = ps.used
    if rule == "minmax":
        p1, p0 = p[ok & (t == 1)], p[ok & (t == 0)]
        lo, hi = max(p1.min(), p0.min()), min(p1.max(), p0.max())
    elif rule == "crump":
        if not 0 <= alpha < 0.5:
            raise InputError("alpha must be in [0, 0.5)", rule="crump alpha")
        lo, hi = alpha, 1 - alpha
    else:
        raise InputError(f"rule must be 'minmax' or 'crump', not {rule!r}", rule="trim rule")
    keep = ok & (p >= lo) & (p <= hi)
    return TrimResult(keep=keep, lower=float(lo), upper=float(hi), rule=rule,
                      n_dropped_treated=int((ok & ~keep & (t == 1)).sum()),
                      n_dropped_control=int((ok & ~keep & (t == 0)).sum()))
