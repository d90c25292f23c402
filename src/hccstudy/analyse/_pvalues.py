"""Small classical tests on numpy and :mod:`scipy.special` only (no :mod:`scipy.stats`).

``scipy.stats`` takes about a second to import (a third of the time budget of a cold
study run), so the analyses call these pure functions instead. Each one reproduces the p-value of the
``scipy.stats`` function named in its docstring (the test suite checks agreement within
1e-12 relative) and, where the two differ, R's: the R function named is the reference.

All p-values are two-sided. Inputs are plain arrays without missing values (the callers
drop them).

Fisher's exact test on a 2 x 2 table is :func:`hccstudy.analyse.table1.fisher_exact_rxc`
(R ``fisher.test``'s rule for "as or more extreme").
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "anova_p",
    "average_ranks",
    "binom_test_p",
    "chi2_sf",
    "kruskal_p",
    "mannwhitney_p",
    "ttest_p",
]

_REL_ERR = 1 + 1e-7  # R's tolerance for "as probable as the observed" (binom.test)


def chi2_sf(stat: float, df: float) -> float:
    """Upper tail ``P(X >= stat)`` of a chi-square distribution (``scipy.stats.chi2.sf``).

    Examples
    --------
    >>> round(chi2_sf(3.841458820694124, 1), 12)
    0.05
    >>> chi2_sf(0.0, 2)
    1.0
    """
    from scipy.special import chdtrc

    return float(chdtrc(df, stat))


def average_ranks(x: ArrayLike) -> np.ndarray:
    """Ranks 1..n, ties given the average of their ranks (``scipy.stats.rankdata``).

    A NaN anywhere makes every rank NaN (scipy's default ``nan_policy="propagate"``).

    Examples
    --------
    >>> average_ranks([3.0, 1.0, 3.0, 2.0]).tolist()
    [3.5, 1.0, 3.5, 2.0]
    >>> average_ranks([]).tolist()
    []
    """
    v = np.asarray(x, dtype=float).ravel()
    if np.isnan(v).any():
        return np.full(len(v), np.nan)
    r, _ = _ranks_and_ties(v)
    return r


def _ranks_and_ties(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks of a 1-d float array without NaN, and the size of each tie group."""
    n = len(v)
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    o = np.argsort(v, kind="mergesort")
    vs = v[o]
    new = np.concatenate(([True], vs[1:] != vs[:-1]))
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    avg = (starts + ends + 1) / 2.0  # mean of the 1-based positions starts+1 .. ends
    r = np.empty(n)
    r[o] = avg[np.cumsum(new) - 1]
    return r, ends - starts


def _two_sided_t(t: float, df: float) -> float:
    from scipy.special import stdtr

    return float(2.0 * stdtr(df, -abs(t))) if not math.isnan(t) else float("nan")


def ttest_p(x: ArrayLike, y: ArrayLike, *, equal_var: bool) -> tuple[float, float, float]:
    """Two-sample t-test: Welch (``equal_var=False``, R ``t.test`` default) or Student.

    Same rules as ``scipy.stats.ttest_ind`` for degenerate samples: Welch is NaN when a
    group has one value; Student pools a one-value group with variance 0; both variances
    0 gives p = 0 for different means and NaN for equal ones.

    Returns
    -------
    (t, df, p) : tuple of float

    Examples
    --------
    >>> t, df, p = ttest_p([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], equal_var=True)
    >>> t, df, round(p, 8)
    (-3.6742346141747673, 4.0, 0.02131164)
    >>> t, df, p = ttest_p([1.0, 2.0, 4.0], [4.0, 5.0, 9.0], equal_var=False)
    >>> round(df, 6), round(p, 6)
    (3.2, 0.123451)
    """
    a = np.asarray(x, dtype=float).ravel()
    b = np.asarray(y, dtype=float).ravel()
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan"), float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = float(a.var(ddof=1)) if n1 > 1 else float("nan")
        v2 = float(b.var(ddof=1)) if n2 > 1 else float("nan")
        d = float(a.mean() - b.mean())
        if equal_var:
            v1 = 0.0 if n1 == 1 else v1
            v2 = 0.0 if n2 == 1 else v2
            df = n1 + n2 - 2.0
            svar = ((n1 - 1) * v1 + (n2 - 1) * v2) / df if df > 0 else float("nan")
            denom = math.sqrt(svar * (1.0 / n1 + 1.0 / n2)) if svar >= 0 else float("nan")
        else:
            vn1, vn2 = v1 / n1, v2 / n2
            den_df = vn1 ** 2 / (n1 - 1) if n1 > 1 else float("nan")
            den_df += vn2 ** 2 / (n2 - 1) if n2 > 1 else float("nan")
            df = (vn1 + vn2) ** 2 / den_df if den_df != 0 else float("nan")
            if math.isnan(df):
                df = 1.0  # both variances 0 (or undefined): df does not matter (as scipy)
            denom = math.sqrt(vn1 + vn2) if vn1 + vn2 >= 0 else float("nan")
        t = float(np.divide(d, denom))
    return t, float(df), _two_sided_t(t, df)


def anova_p(groups: Sequence[ArrayLike]) -> tuple[float, float]:
    """One-way ANOVA F test (R ``oneway.test(var.equal = TRUE)``, ``scipy.stats.f_oneway``).

    As scipy: NaN when a group is empty or every group has one value; F = inf (p = 0)
    when each group is constant but the groups differ; NaN when all values are equal.

    Returns
    -------
    (F, p) : tuple of float

    Examples
    --------
    >>> f, p = anova_p([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [2.0, 2.5, 9.0]])
    >>> round(f, 6), round(p, 6)
    (1.347826, 0.328509)
    """
    from scipy.special import fdtrc

    gs = [np.asarray(g, dtype=float).ravel() for g in groups]
    k = len(gs)
    if k < 2 or any(len(g) == 0 for g in gs) or all(len(g) == 1 for g in gs):
        return float("nan"), float("nan")
    alld = np.concatenate(gs)
    big_n = len(alld)
    offset = alld.mean()
    c = alld - offset
    normalized_ss = c.sum() ** 2 / big_n
    sstot = float(c @ c) - normalized_ss
    ssbn = sum(float((g - offset).sum()) ** 2 / len(g) for g in gs) - normalized_ss
    sswn = sstot - ssbn
    dfbn, dfwn = k - 1, big_n - k
    with np.errstate(divide="ignore", invalid="ignore"):
        f = float(np.divide(ssbn / dfbn, np.divide(sswn, dfwn)))
    if all(bool(np.all(g == g[0])) for g in gs):
        f = float("nan") if bool(np.all(alld == alld[0])) else float("inf")
    return f, float(fdtrc(dfbn, dfwn, f))


def kruskal_p(groups: Sequence[ArrayLike]) -> tuple[float, float]:
    """Kruskal-Wallis rank-sum test with tie correction (R ``kruskal.test``).

    Same as ``scipy.stats.kruskal``; NaN when all values are equal.

    Returns
    -------
    (H, p) : tuple of float

    Examples
    --------
    >>> h, p = kruskal_p([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [2.0, 2.5, 9.0]])
    >>> round(h, 6), round(p, 6)
    (3.518207, 0.172199)
    """
    gs = [np.asarray(g, dtype=float).ravel() for g in groups]
    if len(gs) < 2 or any(len(g) == 0 for g in gs):
        return float("nan"), float("nan")
    alld = np.concatenate(gs)
    if np.isnan(alld).any():
        return float("nan"), float("nan")
    r, ties = _ranks_and_ties(alld)
    n = float(len(alld))
    tie_corr = 1.0 - float((ties.astype(float) ** 3 - ties).sum()) / (n ** 3 - n) if n > 1 \
        else 1.0
    bounds = np.concatenate(([0], np.cumsum([len(g) for g in gs])))
    ssbn = sum(float(r[a:b].sum()) ** 2 / (b - a) for a, b in itertools.pairwise(bounds))
    h = 12.0 / (n * (n + 1)) * ssbn - 3 * (n + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = float(np.divide(h, tie_corr))
    return h, chi2_sf(h, len(gs) - 1)


@functools.lru_cache(maxsize=32)
def _mwu_pmf(m: int, n: int) -> np.ndarray:
    """Null distribution of the Mann-Whitney U for group sizes m, n (no ties): P(U = u).

    Dynamic programming on the largest observation: with i + j values left, it belongs to
    the first group with probability i / (i + j) and then exceeds the j others, so
    ``f(i, j)[u] = i/(i+j) f(i-1, j)[u - j] + j/(i+j) f(i, j-1)[u]``. Only positive terms
    are added, so the probabilities are accurate to a few ulps.
    """
    m, n = min(m, n), max(m, n)
    prev = [np.ones(1) for _ in range(n + 1)]  # i = 0: U = 0 for every j
    for i in range(1, m + 1):
        cur = [np.ones(1)]
        for j in range(1, n + 1):
            f = np.zeros(i * j + 1)
            f[j:] += (i / (i + j)) * prev[j]
            f[: i * (j - 1) + 1] += (j / (i + j)) * cur[j - 1]
            cur.append(f)
        prev = cur
    out = prev[n]
    out.setflags(write=False)
    return out


def mannwhitney_p(x: ArrayLike, y: ArrayLike, *, exact: bool | None = None,
                  correct: bool = True) -> tuple[float, float, str]:
    """Mann-Whitney U (Wilcoxon rank-sum) test, as R ``wilcox.test(x, y)``.

    Parameters
    ----------
    x, y : array-like
        The two samples (no NaN).
    exact : bool, optional
        None (R's default): the exact null distribution when both groups have fewer than
        50 values and there are no ties, otherwise the normal approximation. ``True`` with
        ties falls back to the approximation (as R).
    correct : bool
        Continuity correction of the normal approximation (R's default).

    Returns
    -------
    (U, p, method) : tuple
        ``U`` = U statistic of ``x`` (R's ``W``); ``method`` is ``"exact"`` or
        ``"normal approximation"``. The approximation uses the tie-corrected variance;
        with all values equal p is 1 (as ``scipy.stats.mannwhitneyu``; R gives NaN).

    Examples
    --------
    >>> mannwhitney_p([1.2, 3.4, 2.2, 5.1], [6.3, 2.8, 7.7])
    (2.0, 0.22857142857142856, 'exact')
    >>> u, p, how = mannwhitney_p([1, 2, 2, 3], [2, 4, 5])
    >>> u, round(p, 6), how
    (2.0, 0.19909, 'normal approximation')
    """
    from scipy.special import ndtr

    a = np.asarray(x, dtype=float).ravel()
    b = np.asarray(y, dtype=float).ravel()
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan"), "not computed"
    r, ties = _ranks_and_ties(np.concatenate([a, b]))
    u1 = float(r[:n1].sum()) - n1 * (n1 + 1) / 2.0
    u = max(u1, n1 * n2 - u1)
    has_ties = bool((ties > 1).any())
    if exact is None:
        exact = n1 < 50 and n2 < 50
    if exact and not has_ties:
        pmf = _mwu_pmf(n1, n2)
        p = 2.0 * float(pmf[: n1 * n2 - round(u) + 1].sum())  # P(U >= u) = P(U <= mn - u)
        return u1, min(1.0, p), "exact"
    n = n1 + n2
    tie_term = float((ties.astype(float) ** 3 - ties).sum())
    s = math.sqrt(max(n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1))), 0.0)) \
        if n > 1 else 0.0
    num = u - n1 * n2 / 2.0 - (0.5 if correct else 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = float(np.divide(num, s))
    return u1, float(np.clip(2.0 * ndtr(-z), 0.0, 1.0)), "normal approximation"


def _binom_pmf(k: np.ndarray, n: int, p: float) -> np.ndarray:
    from scipy.special import gammaln, xlog1py, xlogy

    k = np.asarray(k, dtype=float)
    return np.asarray(np.exp(gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)
                             + xlogy(k, p) + xlog1py(n - k, -p)))


def _pbinom(k: int, n: int, p: float, *, upper: bool = False) -> float:
    """R ``pbinom(k, n, p, lower.tail = !upper)``: P(X <= k) or P(X > k)."""
    from scipy.special import bdtr, bdtrc

    if k < 0:
        return 1.0 if upper else 0.0
    if k >= n:
        return 0.0 if upper else 1.0
    return float(bdtrc(k, n, p) if upper else bdtr(k, n, p))


def binom_test_p(x: int, n: int, p: float = 0.5) -> float:
    """Two-sided exact binomial test p-value, as R ``binom.test(x, n, p)$p.value``.

    The other tail adds every outcome whose probability is at most the observed one times
    ``1 + 1e-7`` (R's rule; ``scipy.stats.binomtest`` follows it too).

    Examples
    --------
    >>> binom_test_p(3, 14)
    0.057373046875
    >>> round(binom_test_p(7, 20, 0.2), 6)
    0.098222
    >>> binom_test_p(5, 10)
    1.0
    """
    x, n = int(x), int(n)
    if n < 1 or x < 0 or x > n:
        raise ValueError(f"need 0 <= x <= n and n >= 1 (as R), got x={x}, n={n}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    if p == 0.0:
        return float(x == 0)
    if p == 1.0:
        return float(x == n)
    m = n * p
    if x == m:
        return 1.0
    if p == 0.5 and n <= 2000:
        # symmetric: the other tail starts at the mirror n - x (its neighbour is far more
        # than relErr more probable), so p = 2 P(X <= min(x, n - x)), here in exact integers
        tail = sum(math.comb(n, i) for i in range(min(x, n - x) + 1))
        return min(1.0, 2 * tail / 2 ** n)
    d = float(_binom_pmf(np.array([x]), n, p)[0]) * _REL_ERR
    if x < m:
        i = np.arange(math.ceil(m), n + 1)
        y = int((_binom_pmf(i, n, p) <= d).sum())
        pv = _pbinom(x, n, p) + _pbinom(n - y, n, p, upper=True)
    else:
        i = np.arange(0, math.floor(m) + 1)
        y = int((_binom_pmf(i, n, p) <= d).sum())
        pv = _pbinom(y - 1, n, p) + _pbinom(x - 1, n, p, upper=True)
    return min(1.0, pv)
