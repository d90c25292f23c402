"""Table 1: baseline characteristics by group, with tests and standardised mean differences.

The result holds numbers only (counts, percentages, means, SDs, quantiles,
p-values, SMDs); formatting belongs to ``report``.

Summaries
    Categorical: n and percent of the non-missing rows per level (levels in sorted
    order; a pandas Categorical column keeps its categories' order). Continuous:
    n, mean, SD (n - 1), median, quartiles (R ``quantile`` type 7), min and max;
    ``continuous`` says which pair a report should show (median (IQR), median
    (range) or mean (SD)). Missing counts per variable and group.

Tests (two-sided; empty levels are dropped before testing)
    ``categorical_test``:
    ``"chisq_or_fisher"`` (default): Pearson chi-square without continuity
    correction when every expected count is >= ``min_expected`` (5), otherwise
    Fisher's exact test (2 x 2 hypergeometric; r x c Fisher-Freeman-Halton by
    exact enumeration) - the rule that reproduces seeds 000 and 004.
    ``"chisq"`` (no correction), ``"chisq_yates"`` (R ``chisq.test`` default:
    Yates correction on 2 x 2 tables only), ``"fisher"``.
    The exact r x c test enumerates every table with the observed margins
    (tables are grouped by remaining row sums and equal partial probabilities,
    a small network algorithm); when that exceeds ``fisher_max_work`` it falls
    back to a Monte Carlo p-value with ``fisher_B`` random tables with the
    observed margins drawn with ``numpy.random.default_rng(fisher_seed)``
    (R ``fisher.test(simulate.p.value = TRUE)``'s estimator
    ``(1 + #{P(sim) <= P(obs)}) / (B + 1)``), and the test name says so.
    2 x 2 tables use the hypergeometric ratios directly (same rule).
    A table is "as or more extreme" when its probability is <= the observed
    one times ``1 + 1e-7`` (R's tolerance).

    ``continuous_test``: two groups ``"wilcoxon"`` (default; Mann-Whitney U as
    R ``wilcox.test`` defaults: exact when both groups have < 50 values and no
    ties, else normal approximation with tie and continuity correction),
    ``"welch"`` (R ``t.test`` default), ``"student"``; more groups
    ``"kruskal"`` (default) or ``"anova"``.

SMD (two groups only)
    Difference in means, the other group minus ``reference`` (a study's
    comparison group minus its reference group, the direction of the Cox hazard
    ratio "X vs reference"; without ``reference``, the first listed group minus
    the second), divided by ``smd_denominator``: ``"pooled"`` (default,
    sqrt((s1^2 + s2^2) / 2), the usual choice in papers), ``"first"`` (SD of
    the first listed group, MatchIt's choice for ATT when the first group is the
    treated one). Only the sign depends on the direction; ``smd_direction`` of
    the result says which difference it is. 0/1 level indicators use p(1 - p). A categorical variable gets
    one SMD per level and, on its header row, the multi-level SMD of Yang &
    Dalton (2012) (as R tableone), which equals |per-level SMD| for 2 levels
    with the pooled denominator.

Weights (IPTW)
    With ``weights``, every summary is weighted (weighted counts, percentages,
    means, SDs with the reliability-weights variance, weighted quantiles as the
    smallest value whose cumulative weight share reaches q); SMDs use weighted
    means and variances. Tests are not computed for weighted tables (a design-
    based test is needed; ``p`` is NaN and ``test`` says "not computed").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse._pvalues import anova_p, chi2_sf, kruskal_p, mannwhitney_p, ttest_p
from hccstudy.errors import InputError

__all__ = [
    "CategoricalTest",
    "ContinuousTest",
    "Table1Result",
    "categorical_p",
    "continuous_p",
    "fisher_exact_rxc",
    "side_by_side",
    "table1",
]

CategoricalTest = Literal["chisq_or_fisher", "chisq", "chisq_yates", "fisher"]
ContinuousTest = Literal["wilcoxon", "welch", "student", "kruskal", "anova", "auto"]
Summary = Literal["median_iqr", "median_range", "mean_sd"]

_REL_ERR = 1 + 1e-7


# --------------------------------------------------------------------------- tests
def _lfact(x: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return np.asarray(gammaln(np.asarray(x, dtype=float) + 1.0))


def _compositions(total: int, bounds: np.ndarray) -> np.ndarray:
    """All non-negative integer vectors x with sum(x) == total and x <= bounds (vectorised)."""
    b = np.asarray(bounds, dtype=np.int64)
    r = len(b)
    suffix = np.concatenate((np.cumsum(b[::-1])[::-1], [0]))
    if total > suffix[0]:
        return np.zeros((0, r), dtype=np.int64)
    parts = np.zeros((1, 0), dtype=np.int64)
    used = np.zeros(1, dtype=np.int64)
    for i in range(r - 1):
        lo = np.maximum(0, total - used - suffix[i + 1])
        hi = np.minimum(b[i], total - used)
        counts = np.maximum(hi - lo + 1, 0)
        rep = np.repeat(np.arange(len(used)), counts)
        offs = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        vals = lo[rep] + offs
        parts = np.column_stack([parts[rep], vals])
        used = used[rep] + vals
    return np.column_stack([parts, total - used]).astype(np.int64)


def _random_tables(rows: np.ndarray, cols: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` random tables with the given margins, uniform over the permutations.

    Each cell is drawn from its conditional hypergeometric distribution given the cells
    before it (column by column, row by row), vectorised over the tables; the last row of
    a column and the last column are what the margins leave. This is the distribution of
    R ``r2dtable`` (Patefield's algorithm), drawn with ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> t = _random_tables(np.array([3, 2]), np.array([1, 4]), 4, seed=1)
    >>> t.shape, t.sum(axis=2).tolist()[0], t.sum(axis=1).tolist()[0]
    ((4, 2, 2), [3, 2], [1, 4])
    """
    rng = np.random.default_rng(seed)
    r, c = len(rows), len(cols)
    out = np.zeros((size, r, c), dtype=np.int64)
    rem = np.broadcast_to(np.asarray(rows, dtype=np.int64), (size, r)).copy()
    for j in range(c - 1):
        need = np.full(size, int(cols[j]), dtype=np.int64)
        rest = rem.sum(axis=1)
        for i in range(r - 1):
            rest = rest - rem[:, i]  # the pool of the rows below i
            xi = rng.hypergeometric(rem[:, i], rest, need)
            out[:, i, j] = xi
            need = need - xi
        out[:, r - 1, j] = need
        rem -= out[:, :, j]
    out[:, :, c - 1] = rem
    return out


def _fisher_2x2(x: np.ndarray) -> float | None:
    """Two-sided Fisher p of a 2 x 2 table with R's rule, from hypergeometric ratios.

    The weights of the tables (a, row and column sums fixed) relative to the mode are built
    by the ratio recurrence ``P(a + 1) / P(a) = (r1 - a)(c1 - a) / ((a + 1)(r2 - c1 + a + 1))``
    outwards from the mode, so each is accurate to a few hundred ulps even for large
    counts (sums of log-factorials lose about ``n * eps`` relative). None when the
    observed weight underflows (p below about 1e-300): the caller uses log-factorials.
    """
    r1, r2 = int(x[0].sum()), int(x[1].sum())
    c1 = int(x[:, 0].sum())
    lo, hi = max(0, c1 - r2), min(r1, c1)
    k = np.arange(lo, hi, dtype=float)  # ratio from k to k + 1
    ratio = (r1 - k) * (c1 - k) / ((k + 1) * (r2 - c1 + k + 1))
    mode = int(np.searchsorted(-ratio, -1.0, side="right"))  # first k with ratio <= 1
    w = np.ones(hi - lo + 1)
    w[mode + 1:] = np.cumprod(ratio[mode:])
    w[:mode] = np.cumprod(1.0 / ratio[:mode][::-1])[::-1]
    obs = w[int(x[0, 0]) - lo]
    if obs == 0.0:
        return None
    return min(1.0, float(w[w <= obs * _REL_ERR].sum() / w.sum()))


def _merge_paths(node: np.ndarray, stat: np.ndarray, mult: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge partial tables with the same node and statistic (to 1e-9): one entry each,
    multiplicities added (the network algorithm's merge of past paths)."""
    rs = np.round(stat, 9)
    o = np.lexsort((rs, node))
    node, stat, mult, rs = node[o], stat[o], mult[o], rs[o]
    first = np.concatenate(([True], (node[1:] != node[:-1]) | (rs[1:] != rs[:-1])))
    grp = np.cumsum(first) - 1
    return node[first], stat[first], np.bincount(grp, weights=mult)


def _fisher_2xc(x: np.ndarray, max_work: int) -> float | None:
    """Exact two-sided p of a 2 x c table by a network algorithm with path bounds.

    Tables with the observed margins are built column by column; a partial table is
    the node (columns placed, first-row total so far) with the log of its weight
    ``sum log C(c_j, x_j)``. For every node the largest and smallest weight of any
    completion are known (tables over the remaining columns, by dynamic programming),
    so a node whose completions are all "as or more extreme" (weight <= observed x
    (1 + 1e-7), R's rule) adds their total weight at once (Vandermonde:
    ``C(remaining n, remaining row total)``), a node with none is dropped, and only
    the others are expanded (Mehta and Patel's network algorithm, as R's FEXACT).
    Partial tables with the same node and weight are merged. None when the frontier
    would exceed ``max_work`` nodes.
    """
    cols = np.sort(x.sum(axis=0))[::-1].astype(np.int64)  # largest first: more pruning
    r1 = int(x[0].sum())
    n = int(cols.sum())
    c = len(cols)

    def lchoose(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
        a_, b_ = np.asarray(a), np.asarray(b)
        return _lfact(a_) - _lfact(b_) - _lfact(a_ - b_)

    thresh = float(lchoose(x.sum(axis=0), x[0]).sum()) + math.log(_REL_ERR)
    # bounds over the remaining columns j..c-1 for each remaining first-row total k
    suffix_n = np.concatenate((np.cumsum(cols[::-1])[::-1], [0]))
    kk = np.arange(r1 + 1)
    rmax = np.full((c + 1, r1 + 1), -np.inf)
    rmin = np.full((c + 1, r1 + 1), np.inf)
    rmax[c, 0] = rmin[c, 0] = 0.0
    for j in range(c - 1, -1, -1):
        xs = np.arange(cols[j] + 1)
        lc = lchoose(cols[j], xs)
        rest = kk[:, None] - xs[None, :]
        ok = (rest >= 0) & (rest <= suffix_n[j + 1])
        idx = np.clip(rest, 0, r1)
        with np.errstate(invalid="ignore"):
            cand_max = np.where(ok, lc[None, :] + rmax[j + 1][idx], -np.inf)
            cand_min = np.where(ok, lc[None, :] + rmin[j + 1][idx], np.inf)
        rmax[j] = cand_max.max(axis=1)
        rmin[j] = cand_min.min(axis=1)
    log_total = float(lchoose(n, r1))
    # frontier: first-row total so far, log weight, multiplicity
    s_: np.ndarray = np.zeros(1, dtype=np.int64)
    lw: np.ndarray = np.zeros(1)
    mult: np.ndarray = np.ones(1)
    p = 0.0
    for j in range(c):
        k = r1 - s_
        hi = lw + rmax[j][k]
        lo = lw + rmin[j][k]
        all_in = hi <= thresh  # R's relative margin (1e-7) is in thresh
        if all_in.any():
            p += float(np.sum(mult[all_in] * np.exp(
                lw[all_in] + lchoose(suffix_n[j], k[all_in]) - log_total)))
        keep = ~all_in & (lo <= thresh)
        s_, lw, mult = s_[keep], lw[keep], mult[keep]
        if not s_.size:
            break
        xs = np.arange(cols[j] + 1)
        lc = lchoose(cols[j], xs)
        new_s = s_[:, None] + xs[None, :]
        rem = r1 - new_s
        ok = (rem >= 0) & (rem <= suffix_n[j + 1])
        rows_i, xi = np.nonzero(ok)
        if rows_i.size > max_work:
            return None
        s_ = new_s[rows_i, xi]
        lw = lw[rows_i] + lc[xi]
        mult = mult[rows_i]
        s_, lw, mult = _merge_paths(s_, lw, mult)
    if s_.size:  # complete tables left undecided by the bounds
        sel = lw <= thresh
        p += float(np.sum(mult[sel] * np.exp(lw[sel] - log_total)))
    return min(1.0, p)


def fisher_exact_rxc(table: np.ndarray, *, max_work: int = 1_000_000, B: int = 100_000,
                     seed: int = 1) -> tuple[float, str]:
    """Two-sided Fisher(-Freeman-Halton) exact test for an r x c table.

    2 x c tables go through a network algorithm with path bounds (:func:`_fisher_2xc`,
    as R's FEXACT): exact and fast for Table 1 sizes (n in the thousands). Other
    tables with the observed margins are enumerated column by column; partial
    tables are merged when they leave the same remaining row sums and have the
    same partial probability (a small network algorithm). Returns ``(p, method)``;
    ``method`` is ``"exact"``, or ``"monte carlo (B=..., seed=...)"`` when the
    enumeration would exceed ``max_work`` partial tables (tables drawn by
    ``_random_tables``: numpy only, no ``scipy.stats``).

    A table is as or more extreme when its probability is at most the observed
    one times ``1 + 1e-7``: R ``fisher.test``'s rule, the reference.
    ``scipy.stats.fisher_exact`` uses ``1 + 1e-14``; on 2 x 2 tables (computed
    from hypergeometric ratios, accurate to about 1e-14 relative) the two agree
    within 1e-12 on every table tested (tests/analyse/test_stat_tests.py), and
    R's rule decides wherever they could differ.

    Examples
    --------
    >>> import numpy as np
    >>> p, how = fisher_exact_rxc(np.array([[3, 2, 1], [1, 5, 3], [4, 0, 2]]))
    >>> round(p, 6), how
    (0.136699, 'exact')
    """
    x = np.asarray(table, dtype=np.int64)
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    if x.ndim != 2 or min(x.shape) < 2:
        return 1.0, "exact"
    if x.shape == (2, 2):
        p2 = _fisher_2x2(x)
        if p2 is not None:
            return p2, "exact"
    if x.shape[0] > x.shape[1]:
        x = x.T
    if x.shape[0] == 2:
        p2c = _fisher_2xc(x, max_work)
        if p2c is not None:
            return p2c, "exact"
    rows = x.sum(axis=1)
    cols = np.sort(x.sum(axis=0))  # the largest column last: it is determined
    n = int(rows.sum())
    const = float(_lfact(rows).sum() + _lfact(cols).sum() - _lfact(np.array([n]))[0])
    s_obs = float(_lfact(x).sum())  # P(obs) = exp(const - s_obs)
    radix = np.cumprod(np.concatenate(([1], rows[:-1] + 1))).astype(np.int64)
    # state arrays: encoded remaining row sums, partial statistic, multiplicity
    keys = np.array([int(rows @ radix)], dtype=np.int64)
    stat: np.ndarray = np.zeros(1)
    mult: np.ndarray = np.ones(1)
    comp_cache: dict[tuple[int, ...], np.ndarray] = {}
    exact_ok = True
    work = 0
    for cj in cols[:-1]:
        order = np.argsort(keys, kind="stable")
        keys, stat, mult = keys[order], stat[order], mult[order]
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        bounds_ = np.append(starts, len(keys))
        nk, ns, nm = [], [], []
        for a, b in itertools.pairwise(bounds_):
            key = int(keys[a])
            rem = (key // radix) % (rows + 1)
            ck = (int(cj), *rem.tolist())
            comp = comp_cache.get(ck)
            if comp is None:
                comp = _compositions(int(cj), rem)
                comp_cache[ck] = comp
            if not len(comp):
                continue
            work += len(comp) * (b - a) + 50  # + 50: the cost of one state step
            if work > max_work:
                exact_ok = False
                break
            ls = _lfact(comp).sum(axis=1)
            nk.append(np.repeat(key - comp @ radix, b - a))
            ns.append((ls[:, None] + stat[None, a:b]).ravel())
            nm.append(np.broadcast_to(mult[None, a:b], (len(comp), b - a)).ravel())
        if not exact_ok or not nk:
            break
        keys, stat, mult = _merge_paths(np.concatenate(nk), np.concatenate(ns),
                                        np.concatenate(nm))
    if exact_ok:
        rem_all = (keys[:, None] // radix[None, :]) % (rows + 1)[None, :]
        tot = stat + _lfact(rem_all).sum(axis=1)
        thresh = s_obs - math.log(_REL_ERR)  # P <= P_obs * relErr  <=>  s >= s_obs - log(relErr)
        sel = tot >= thresh
        p = float(np.sum(mult[sel] * np.exp(const - tot[sel])))
        return min(1.0, p), "exact"
    sims = _random_tables(rows, x.sum(axis=0), B, seed)
    stat_sim = -_lfact(np.arange(n + 1))[sims].sum(axis=(1, 2))  # log-factorial lookup
    almost1 = 1 + 64 * np.finfo(float).eps
    p = (1 + int((stat_sim <= -s_obs / almost1).sum())) / (B + 1)
    return float(p), f"monte carlo (B={B}, seed={seed})"


def _chisq(x: np.ndarray, yates: bool) -> tuple[float, float, np.ndarray]:
    n = x.sum()
    e = np.outer(x.sum(axis=1), x.sum(axis=0)) / n
    if yates and x.shape == (2, 2):
        corr = min(0.5, float(np.abs(x - e).min()))
        stat = float((((np.abs(x - e) - corr) ** 2) / e).sum())
    else:
        stat = float((((x - e) ** 2) / e).sum())
    df = (x.shape[0] - 1) * (x.shape[1] - 1)
    return stat, chi2_sf(stat, df), e


def categorical_p(table: np.ndarray, test: CategoricalTest = "chisq_or_fisher", *,
                     min_expected: float = 5.0, fisher_max_work: int = 1_000_000,
                     fisher_B: int = 100_000, fisher_seed: int = 1) -> tuple[float, str]:
    """p-value and test name for a contingency table (rows: levels, columns: groups).

    Examples
    --------
    >>> import numpy as np
    >>> p, name = categorical_p(np.array([[3, 7], [9, 4]]))
    >>> round(p, 6), name
    (0.099533, 'Fisher exact')
    >>> p, name = categorical_p(np.array([[3, 7], [9, 4]]), "chisq_yates")
    >>> round(p, 6), name
    (0.148145, 'Pearson chi-square (Yates)')
    """
    x = np.asarray(table, dtype=float)
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    if x.shape[0] < 2 or x.shape[1] < 2:
        return float("nan"), "not computed (one level or one group)"
    if test == "chisq_or_fisher":
        e = np.outer(x.sum(axis=1), x.sum(axis=0)) / x.sum()
        test = "chisq" if bool((e >= min_expected).all()) else "fisher"
    if test == "chisq":
        return _chisq(x, False)[1], "Pearson chi-square"
    if test == "chisq_yates":
        name = "Pearson chi-square (Yates)" if x.shape == (2, 2) else "Pearson chi-square"
        return _chisq(x, True)[1], name
    if test == "fisher":
        if x.shape == (2, 2):  # the exact network sum: R fisher.test's rule
            return fisher_exact_rxc(x.astype(np.int64))[0], "Fisher exact"
        p, how = fisher_exact_rxc(x.astype(np.int64), max_work=fisher_max_work, B=fisher_B,
                                  seed=fisher_seed)
        name = "Fisher-Freeman-Halton exact" if how == "exact" else \
            f"Fisher-Freeman-Halton {how}"
        return p, name
    raise InputError(f"unknown categorical test {test!r}", rule="categorical_test option")


def continuous_p(groups: Sequence[np.ndarray], test: ContinuousTest = "auto") -> tuple[
        float, str]:
    """p-value and test name comparing a continuous variable across groups.

    ``"auto"``: Wilcoxon (Mann-Whitney) for two groups, Kruskal-Wallis for more.

    Examples
    --------
    >>> import numpy as np
    >>> p, name = continuous_p([np.array([1.2, 3.4, 2.2, 5.1]), np.array([6.3, 2.8, 7.7])])
    >>> round(p, 4), name
    (0.2286, 'Mann-Whitney U (exact)')
    """
    gs = [np.asarray(g, dtype=float) for g in groups]
    gs = [g[np.isfinite(g)] for g in gs]
    gs = [g for g in gs if len(g)]
    if len(gs) < 2:
        return float("nan"), "not computed (fewer than two groups)"
    if test == "auto":
        test = "wilcoxon" if len(gs) == 2 else "kruskal"
    if test in ("wilcoxon", "welch", "student") and len(gs) != 2:
        raise InputError(f"test {test!r} needs exactly two groups, not {len(gs)}",
                         rule="two-group test")
    if test == "wilcoxon":
        _, p, how = mannwhitney_p(gs[0], gs[1], correct=True)
        if how == "exact":
            return p, "Mann-Whitney U (exact)"
        return p, "Mann-Whitney U (normal approximation, continuity correction)"
    if test == "welch":
        return ttest_p(gs[0], gs[1], equal_var=False)[2], "Welch t-test"
    if test == "student":
        return ttest_p(gs[0], gs[1], equal_var=True)[2], "Student t-test"
    if test == "kruskal":
        if len(np.unique(np.concatenate(gs))) == 1:
            return float("nan"), "not computed (all values equal)"
        return kruskal_p(gs)[1], "Kruskal-Wallis"
    if test == "anova":
        return anova_p(gs)[1], "one-way ANOVA"
    raise InputError(f"unknown continuous test {test!r}", rule="continuous_test option")


# ------------------------------------------------------------------ summaries
def _wquantile(x: np.ndarray, w: np.ndarray | None, q: Sequence[float]) -> list[float]:
    if len(x) == 0:
        return [float("nan")] * len(q)
    if w is None:
        return [float(v) for v in np.quantile(x, q)]  # type 7
    o = np.argsort(x, kind="stable")
    xs, ws = x[o], w[o]
    cw = np.cumsum(ws) / ws.sum()
    return [float(xs[min(int(np.searchsorted(cw, qq - 1e-12)), len(xs) - 1)]) for qq in q]


def _wmean_var(x: np.ndarray, w: np.ndarray | None) -> tuple[float, float]:
    if len(x) == 0:
        return float("nan"), float("nan")
    if w is None:
        return float(x.mean()), float(x.var(ddof=1)) if len(x) > 1 else float("nan")
    wn = w / w.sum()
    m = float(np.dot(wn, x))
    den = 1 - float(np.dot(wn, wn))
    return m, float(np.dot(wn, (x - m) ** 2)) / den if den > 0 else float("nan")


def _smd_cont(m: Sequence[float], v: Sequence[float], denominator: str) -> float:
    if denominator == "pooled":
        s = math.sqrt((v[0] + v[1]) / 2)
    else:
        s = math.sqrt(v[0])
    d = m[0] - m[1]
    if s == 0 or not np.isfinite(s):
        return 0.0 if d == 0 else float("nan")
    return d / s


def _smd_multilevel(p1: np.ndarray, p2: np.ndarray) -> float:
    """Yang & Dalton (2012) SMD for a categorical variable (levels after the first)."""
    t, c = p1[1:], p2[1:]
    if len(t) == 0 or np.isnan(t).any() or np.isnan(c).any():  # a group with no values
        return float("nan")
    s = np.empty((len(t), len(t)))
    for k in range(len(t)):
        for j in range(len(t)):
            if k == j:
                s[k, j] = (t[k] * (1 - t[k]) + c[k] * (1 - c[k])) / 2
            else:
                s[k, j] = -(t[k] * t[j] + c[k] * c[j]) / 2
    d = t - c
    val = float(d @ np.linalg.pinv(s) @ d)
    return math.sqrt(max(val, 0.0))


@dataclass(frozen=True, slots=True)
class Table1Result(HtmlReprMixin):
    """Numbers of a Table 1. ``to_frame()`` gives one row per variable (and level).

    Columns of the frame: ``variable``, ``level`` ("" on a variable's own row),
    ``kind`` ("continuous"/"categorical"), ``summary`` (the pair a report
    should show), for each group and ``overall``: ``<g>:n``, ``<g>:missing``,
    ``<g>:percent`` (levels), ``<g>:mean``, ``<g>:sd``, ``<g>:median``,
    ``<g>:q1``, ``<g>:q3``, ``<g>:min``, ``<g>:max`` (continuous); then ``p``,
    ``test`` and ``smd``.

    ``smd_direction`` is ``(group, reference)``: the SMD is ``group`` minus
    ``reference`` (None without two groups).
    """

    groups: tuple[str, ...]
    group_n: tuple[float, ...]
    rows: tuple[dict[str, object], ...]
    weighted: bool
    smd_denominator: str
    categorical_test: str
    continuous_test: str
    options: Mapping[str, object] = field(default_factory=dict)
    smd_direction: tuple[str, str] | None = None

    def __setstate__(self, state: Sequence[object]) -> None:
        # results saved before a field was added unpickle with its default
        names = [f.name for f in fields(self)]
        values = dict(zip(names, state, strict=False))
        values.setdefault("smd_direction", None)
        for name in names:
            object.__setattr__(self, name, values[name])

    def to_frame(self) -> pd.DataFrame:
        """The table as a numeric frame (one row per variable and level)."""
        return pd.DataFrame(list(self.rows))

    def oriented(self, reference: object) -> Table1Result:
        """The same table with the SMDs of the other group minus ``reference``.

        Only signs change (a result made with ``reference=`` is returned as it is; so is a
        table without two groups or where ``reference`` is not a group). The multi-level
        SMD of a categorical variable's header row is unsigned and kept.

        Examples
        --------
        >>> d = pd.DataFrame({"arm": ["A", "A", "B", "B"], "age": [50, 60, 65, 75]})
        >>> t = table1(d, ["age"], "arm")
        >>> o = t.oriented("A")
        >>> t.smd_direction, o.smd_direction, float(t.rows[0]["smd"]) == -float(o.rows[0]["smd"])
        (('A', 'B'), ('B', 'A'), True)
        """
        groups = [g for g in self.groups if g != "overall"]
        direction = getattr(self, "smd_direction", None)
        if len(groups) != 2 or str(reference) not in groups:
            return self
        if direction is None:  # a result from before smd_direction: first minus second
            direction = (groups[0], groups[1])
        if direction[1] == str(reference):
            return self if getattr(self, "smd_direction", None) else self._with(direction, False)
        pooled = self.smd_denominator.startswith("sqrt")
        return self._with((direction[1], direction[0]), True, keep_header=pooled)

    def _with(self, direction: tuple[str, str], flip: bool,
              keep_header: bool = False) -> Table1Result:
        rows = []
        for r in self.rows:
            x = r.get("smd")
            header = r.get("kind") == "categorical" and r.get("level") == ""
            if flip and isinstance(x, float | int) and x == x and x != 0 and not (
                    header and keep_header):
                r = {**r, "smd": -x}
            rows.append(r)
        return Table1Result(self.groups, self.group_n, tuple(rows), self.weighted,
                            self.smd_denominator, self.categorical_test, self.continuous_test,
                            self.options, direction)


def _is_categorical(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return True
    vals = pd.unique(col.dropna())
    return len(vals) <= 2 and set(np.asarray(vals, dtype=float).tolist()) <= {0.0, 1.0}


def table1(
    data: pd.DataFrame,
    variables: Sequence[str],
    group: str | None = None,
    *,
    group_order: Sequence[object] | None = None,
    categorical: Sequence[str] | None = None,
    continuous: Summary | Mapping[str, Summary] = "median_iqr",
    categorical_test: CategoricalTest = "chisq_or_fisher",
    continuous_test: ContinuousTest = "auto",
    min_expected: float = 5.0,
    weights: np.ndarray | str | None = None,
    smd_denominator: Literal["pooled", "first"] = "pooled",
    reference: object | None = None,
    fisher_max_work: int = 1_000_000,
    fisher_B: int = 100_000,
    fisher_seed: int = 1,
) -> Table1Result:
    """Baseline characteristics by group (see the module notes for every rule).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; never modified.
    variables : sequence of str
        Columns to describe, in table order.
    group : str, optional
        Grouping column; without it only the overall column is produced.
    group_order : sequence, optional
        Order of the group levels (default: sorted).
    categorical : sequence of str, optional
        Columns to treat as categorical (default: non-numeric, bool, or 0/1).
    continuous : {"median_iqr", "median_range", "mean_sd"} or mapping
        The summary a report should show, for all or per variable.
    categorical_test, continuous_test : str
        See the module notes.
    weights : array or column name, optional
        Case weights (IPTW): weighted summaries and SMDs, no tests.
    smd_denominator : {"pooled", "first"}
        SD in the SMD's denominator: pooled, or of the first listed group.
    reference : optional
        The reference group of the SMD (two groups): SMD = other group minus
        ``reference``, whatever the order of ``group_order``. Default: the
        second listed group (SMD = first minus second).

    Returns
    -------
    Table1Result

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"arm": ["A"] * 4 + ["B"] * 4,
    ...                   "age": [50, 61, 58, 70, 66, 72, 68, 59],
    ...                   "sex": ["m", "f", "m", "m", "f", "f", "m", "f"]})
    >>> t = table1(d, ["age", "sex"], "arm")
    >>> f = t.to_frame()
    >>> f[["variable", "level", "A:n", "B:n"]].values.tolist()
    [['age', '', 4.0, 4.0], ['sex', '', 4.0, 4.0], ['sex', 'f', 1.0, 3.0], ['sex', 'm', 3.0, 1.0]]
    >>> round(float(f.loc[1, "p"]), 4), f.loc[1, "test"]
    (0.4857, 'Fisher exact')
    >>> t.smd_direction, round(float(f.loc[0, "smd"]), 3)
    (('A', 'B'), -0.929)
    >>> t2 = table1(d, ["age"], "arm", group_order=["A", "B"], reference="A")
    >>> t2.smd_direction, round(float(t2.to_frame().loc[0, "smd"]), 3)
    (('B', 'A'), 0.929)
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}",
                         rule="data must be a DataFrame")
    missing_cols = [v for v in [*variables, *([group] if group else [])] if v not in data.columns]
    if missing_cols:
        raise InputError(f"unknown column(s) {missing_cols!r}", column=str(missing_cols[0]),
                         rule="column must exist")
    if isinstance(weights, str):
        if weights not in data.columns:
            raise InputError(f"unknown weights column {weights!r}", column=weights,
                             rule="column must exist")
        w_all: np.ndarray | None = data[weights].to_numpy(dtype=float)
    elif weights is not None:
        w_all = np.asarray(weights, dtype=float)
        if w_all.shape != (len(data),):
            raise InputError("weights must have one value per row", rule="weights length")
    else:
        w_all = None
    if w_all is not None and (np.any(~np.isfinite(w_all)) or np.any(w_all < 0)):
        raise InputError("weights must be finite and >= 0",
                         n_rows=int((~np.isfinite(w_all) | (w_all < 0)).sum()),
                         rule="weights >= 0")
    if group is not None:
        g = data[group]
        n_na = int(g.isna().sum())
        if n_na:
            raise InputError(f"group column {group!r}: {n_na} row(s) missing", column=group,
                             n_rows=n_na, rule="group must not be missing")
        levels = list(group_order) if group_order is not None else sorted(pd.unique(g).tolist())
        present = set(pd.unique(g).tolist())
        empty = [lv for lv in levels if lv not in present]
        if empty:
            raise InputError(f"group column {group!r}: level(s) {empty!r} have no patients; "
                             "rule: a group with no patients", column=group,
                             rule="each group must have patients")
        unknown = present - set(levels)
        if unknown:
            raise InputError(f"group column {group!r} has values not in group_order",
                             column=group, n_rows=int(g.isin(list(unknown)).sum()),
                             rule="group_order must list every group")
        masks = [(str(lv), (g == lv).to_numpy()) for lv in levels]
        if reference is not None and str(reference) not in [m[0] for m in masks]:
            raise InputError(f"reference {reference!r} is not a level of group column "
                             f"{group!r} ({[m[0] for m in masks]})", column=group,
                             rule="reference must be a group level")
    else:
        masks = []
    # the SMD is computed as the first listed group minus the second (denominator "first":
    # the first listed group's SD), then turned round when the first is the reference
    flip = len(masks) == 2 and reference is not None and str(reference) == masks[0][0]
    direction = ((masks[1][0], masks[0][0]) if flip else (masks[0][0], masks[1][0])
                 ) if len(masks) == 2 else None

    def signed(x: float) -> float:
        return -x if flip and x != 0 else x
    all_mask = np.ones(len(data), dtype=bool)
    cols_spec = [*masks, ("overall", all_mask)]
    cat_set = set(categorical) if categorical is not None else {
        v for v in variables if _is_categorical(data[v])}
    two = len(masks) == 2
    rows: list[dict[str, object]] = []

    def wsum(m: np.ndarray) -> float:
        return float(m.sum()) if w_all is None else float(w_all[m].sum())

    for v in variables:
        col = data[v]
        na = col.isna().to_numpy()
        if v in cat_set:
            if isinstance(col.dtype, pd.CategoricalDtype):  # the categories' own order
                present = set(pd.unique(col.dropna()).tolist())
                lv_values = [c for c in col.cat.categories if c in present]
            else:
                lv_values = sorted(pd.unique(col.dropna()).tolist(),
                                   key=lambda z: (str(type(z)), z))
            head: dict[str, object] = {"variable": v, "level": "", "kind": "categorical",
                                       "summary": "n_percent"}
            level_rows: list[dict[str, object]] = []
            for lv in lv_values:
                level_rows.append({"variable": v, "level": str(lv), "kind": "categorical",
                                   "summary": "n_percent"})
            counts = np.zeros((len(lv_values), len(masks)))
            props: list[np.ndarray] = []
            for gi, (gname, m) in enumerate(cols_spec):
                obs = m & ~na
                tot = wsum(obs)
                head[f"{gname}:n"] = tot
                head[f"{gname}:missing"] = wsum(m & na)
                pr = []
                for li, lv in enumerate(lv_values):
                    k = wsum(obs & (col == lv).to_numpy())
                    level_rows[li][f"{gname}:n"] = k
                    level_rows[li][f"{gname}:percent"] = 100 * k / tot if tot > 0 else np.nan
                    pr.append(k / tot if tot > 0 else np.nan)
                    if gi < len(masks):
                        counts[li, gi] = k
                props.append(np.array(pr))
            if masks and w_all is None:
                p, name = categorical_p(counts, categorical_test, min_expected=min_expected,
                                           fisher_max_work=fisher_max_work, fisher_B=fisher_B,
                                           fisher_seed=fisher_seed)
            else:
                p, name = float("nan"), ("not computed (weighted)" if masks else "")
            head["p"], head["test"] = p, name
            if two:
                p1, p2 = props[0], props[1]
                for li in range(len(lv_values)):
                    a, b = p1[li], p2[li]
                    level_rows[li]["smd"] = signed(_smd_cont((a, b), (a * (1 - a), b * (1 - b)),
                                                             smd_denominator))
                head["smd"] = _smd_multilevel(p1, p2) if smd_denominator == "pooled" else (
                    level_rows[-1]["smd"] if len(lv_values) == 2 else float("nan"))
            rows.append(head)
            rows.extend(level_rows)
        else:
            x = pd.to_numeric(col, errors="coerce")
            bad = x.isna() & col.notna()
            if bad.any():
                raise InputError(f"column {v!r}: {int(bad.sum())} row(s) are not numeric",
                                 column=v, n_rows=int(bad.sum()), rule="continuous must be numeric")
            xv = x.to_numpy(dtype=float)
            summ = continuous if isinstance(continuous, str) else continuous.get(v, "median_iqr")
            row: dict[str, object] = {"variable": v, "level": "", "kind": "continuous",
                                      "summary": summ}
            means, variances, gvals = [], [], []
            for gi, (gname, m) in enumerate(cols_spec):
                obs = m & ~na
                xs = xv[obs]
                ws = None if w_all is None else w_all[obs]
                mean, var = _wmean_var(xs, ws)
                q = _wquantile(xs, ws, [0.0, 0.25, 0.5, 0.75, 1.0])
                row.update({f"{gname}:n": wsum(obs), f"{gname}:missing": wsum(m & na),
                            f"{gname}:mean": mean,
                            f"{gname}:sd": math.sqrt(var) if np.isfinite(var) else np.nan,
                            f"{gname}:median": q[2], f"{gname}:q1": q[1], f"{gname}:q3": q[3],
                            f"{gname}:min": q[0], f"{gname}:max": q[4]})
                if gi < len(masks):
                    means.append(mean)
                    variances.append(var)
                    gvals.append(xs)
            if masks and w_all is None:
                p, name = continuous_p(gvals, continuous_test)
            else:
                p, name = float("nan"), ("not computed (weighted)" if masks else "")
            row["p"], row["test"] = p, name
            if two:
                row["smd"] = signed(_smd_cont(means, variances, smd_denominator))
            rows.append(row)
    return Table1Result(
        groups=tuple(gname for gname, _ in cols_spec), group_n=tuple(wsum(m) for _, m in cols_spec),
        rows=tuple(rows), weighted=w_all is not None,
        smd_denominator=("sqrt((s1^2 + s2^2) / 2), s^2 = p(1 - p) for levels"
                         if smd_denominator == "pooled" else "SD of the first group"),
        categorical_test=categorical_test, continuous_test=continuous_test,
        options={"min_expected": min_expected, "fisher_max_work": fisher_max_work,
                 "fisher_B": fisher_B, "fisher_seed": fisher_seed},
        smd_direction=direction,
    )


def side_by_side(tables: Mapping[str, Table1Result]) -> pd.DataFrame:
    """Several Table 1 results next to each other (e.g. before and after matching).

    The seed 000 layout: ``side_by_side({"before": t_pool, "after": t_matched})``
    gives columns ``(stage, column)``, rows keyed by (variable, level).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"arm": ["A", "A", "B", "B"], "x": [1.0, 2, 3, 4]})
    >>> f = side_by_side({"before": table1(d, ["x"], "arm"), "after": table1(d, ["x"], "arm")})
    >>> f.columns.get_level_values(0).unique().tolist()
    ['before', 'after']
    """
    frames = {}
    for key, t in tables.items():
        f = t.to_frame().set_index(["variable", "level"])
        frames[key] = f
    return pd.concat(frames, axis=1)
