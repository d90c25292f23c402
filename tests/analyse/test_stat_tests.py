"""hccstudy.analyse._pvalues (numpy + scipy.special only) against scipy.stats, and exact
rational arithmetic where scipy and R could differ; the default pipeline must not import
scipy.stats."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hccstudy.analyse._pvalues import (
    _mwu_pmf,
    anova_p,
    average_ranks,
    binom_test_p,
    chi2_sf,
    kruskal_p,
    mannwhitney_p,
    ttest_p,
)
from hccstudy.analyse.paired import mcnemar_exact
from hccstudy.analyse.table1 import _random_tables, fisher_exact_rxc

REL = 1e-12


def same(a: float, b: float, rel: float = REL) -> bool:
    """Equal within ``rel`` relative (1e-300 absolute), NaN equal to NaN, inf to inf."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-300


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's small-sample / constant-input warnings
        yield


# small samples with ties: integers 0..6 as floats
ties_sample = st.lists(st.integers(0, 6).map(float), min_size=1, max_size=25)
real_sample = st.lists(st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False),
                       min_size=1, max_size=25)
distinct_sample = st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=30, unique=True)

CASES_2 = [
    ([1.0], [2.0]),
    ([1.0], [1.0]),
    ([1.0, 1.0], [2.0, 2.0]),
    ([1.0, 1.0], [1.0, 1.0]),
    ([1.0], [2.0, 3.0]),
    ([1.0, 2.0], [3.0]),
    ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
    ([1.0, 2.0, 2.0, 3.0], [2.0, 4.0, 5.0]),
    ([5.0, 5.0, 5.0, 1.0], [5.0, 5.0, 2.0]),
    ([0.1, 0.2, 0.3], [0.1, 0.2, 0.3]),
    (list(range(60)), [x + 0.5 for x in range(40)]),
]


# --------------------------------------------------------------------------- chi2, ranks
@pytest.mark.parametrize("df", [1, 2, 3, 5, 10, 30])
def test_chi2_sf_matches_scipy(df):
    for x in [0.0, 1e-8, 0.5, 1.0, 3.841458820694124, 10.0, 50.0, 200.0, np.inf, np.nan]:
        assert same(chi2_sf(x, df), stats.chi2.sf(x, df))


@pytest.mark.parametrize("x", [[], [3.0], [2.0, 2.0], [3.0, 1.0, 3.0, 2.0], [1, 1, 1, 0, 0, 5],
                               [0.1, 0.1 + 1e-15, 0.1], [np.inf, -np.inf, 0.0, np.inf]])
def test_average_ranks_cases(x):
    np.testing.assert_array_equal(average_ranks(x), stats.rankdata(x))


def test_average_ranks_nan_propagates():
    assert np.isnan(average_ranks([1.0, np.nan, 2.0])).all()


@given(ties_sample)
@settings(max_examples=60, deadline=None)
def test_average_ranks_property(x):
    r = average_ranks(x)
    np.testing.assert_array_equal(r, stats.rankdata(x))
    assert r.sum() == pytest.approx(len(x) * (len(x) + 1) / 2)
    perm = np.random.default_rng(len(x)).permutation(len(x))
    np.testing.assert_array_equal(average_ranks(np.asarray(x)[perm]), r[perm])


# --------------------------------------------------------------------------- t, ANOVA
@pytest.mark.parametrize(("x", "y"), CASES_2)
@pytest.mark.parametrize("equal_var", [True, False])
def test_ttest_cases(x, y, equal_var):
    t, _, p = ttest_p(x, y, equal_var=equal_var)
    ref = stats.ttest_ind(x, y, equal_var=equal_var)
    assert same(p, ref.pvalue) and same(t, ref.statistic, 1e-10)


@given(real_sample, real_sample, st.booleans())
@settings(max_examples=80, deadline=None)
def test_ttest_property(x, y, equal_var):
    _, _, p = ttest_p(x, y, equal_var=equal_var)
    ref = stats.ttest_ind(x, y, equal_var=equal_var).pvalue
    if not math.isnan(float(ref)) and float(ref) > 1e-250:
        # t from nearly cancelling means: rounding of the mean moves both the same way
        assert same(p, ref)
    else:
        assert math.isnan(p) == math.isnan(float(ref))
    # order within groups does not matter; swapping groups keeps p
    assert same(ttest_p(x[::-1], y, equal_var=equal_var)[2], p, 1e-9)
    assert same(ttest_p(y, x, equal_var=equal_var)[2], p)


@pytest.mark.parametrize("groups", [
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [2.0, 2.5, 9.0]],
    [[1.0], [2.0], [3.0]],
    [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]],
    [[1.0, 1.0], [1.0, 1.0]],
    [[1.0], [2.0, 3.0]],
    [[1.0, 2.0], [1.0, 2.0]],
])
def test_anova_cases(groups):
    f, p = anova_p(groups)
    ref = stats.f_oneway(*groups)
    assert same(p, ref.pvalue) and same(f, ref.statistic, 1e-10)


@given(st.lists(ties_sample, min_size=2, max_size=4))
@settings(max_examples=60, deadline=None)
def test_anova_property(groups):
    _, p = anova_p(groups)
    ref = stats.f_oneway(*groups)
    assert same(p, ref.pvalue)
    assert same(anova_p(groups[::-1])[1], p, 1e-9)


# --------------------------------------------------------------------------- rank tests
@pytest.mark.parametrize("groups", [
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [2.0, 2.5, 9.0]],
    [[1.0], [2.0]],
    [[1.0], [2.0], [2.0]],
    [[1.0, 1.0], [1.0, 1.0]],
    [[1.0, 1.0, 2.0], [2.0, 3.0], [3.0, 3.0, 3.0, 1.0]],
])
def test_kruskal_cases(groups):
    h, p = kruskal_p(groups)
    ref = stats.kruskal(*groups)
    assert same(p, ref.pvalue) and same(h, ref.statistic)


@given(st.lists(ties_sample, min_size=2, max_size=4))
@settings(max_examples=60, deadline=None)
def test_kruskal_property(groups):
    h, p = kruskal_p(groups)
    ref = stats.kruskal(*groups)
    assert same(p, ref.pvalue) and same(h, ref.statistic)
    shuffled = [g[::-1] for g in groups[::-1]]
    assert same(kruskal_p(shuffled)[1], p)


@pytest.mark.parametrize(("x", "y"), CASES_2)
def test_mannwhitney_cases(x, y):
    u, p, how = mannwhitney_p(x, y)
    allv = np.concatenate([x, y])
    ties = len(np.unique(allv)) < len(allv)
    method = "exact" if len(x) < 50 and len(y) < 50 and not ties else "asymptotic"
    ref = stats.mannwhitneyu(x, y, method=method, use_continuity=True)
    assert how == ("exact" if method == "exact" else "normal approximation")
    assert same(p, ref.pvalue) and u == ref.statistic


@given(distinct_sample, st.integers(1, 29), st.booleans())
@settings(max_examples=80, deadline=None)
def test_mannwhitney_exact_property(values, k, exact):
    k = min(k, len(values) - 1)
    if k < 1:
        return
    x, y = np.array(values[:k], float), np.array(values[k:], float)
    u, p, how = mannwhitney_p(x, y, exact=exact)
    ref = stats.mannwhitneyu(x, y, method="exact" if exact else "asymptotic")
    assert how == ("exact" if exact else "normal approximation")
    assert same(p, ref.pvalue) and u == ref.statistic
    assert same(mannwhitney_p(y[::-1], x, exact=exact)[1], p)


@given(ties_sample, ties_sample)
@settings(max_examples=80, deadline=None)
def test_mannwhitney_ties_property(x, y):
    u, p, _ = mannwhitney_p(x, y, exact=False)
    ref = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True)
    assert same(p, ref.pvalue) and u == ref.statistic
    assert same(mannwhitney_p(y, x[::-1], exact=False)[1], p)


@pytest.mark.parametrize(("m", "n"), [(1, 1), (1, 7), (3, 4), (6, 6), (12, 9)])
def test_mwu_null_distribution_exact_counts(m, n):
    # counts of U = u by brute force over all subsets of ranks for the first group
    import itertools

    counts = np.zeros(m * n + 1)
    for sub in itertools.combinations(range(m + n), m):
        counts[sum(sub) - m * (m - 1) // 2] += 1
    np.testing.assert_allclose(_mwu_pmf(m, n), counts / math.comb(m + n, m), rtol=1e-14)


def test_mwu_symmetric_and_large():
    f = _mwu_pmf(49, 49)
    assert f.sum() == pytest.approx(1.0, rel=1e-13)
    np.testing.assert_allclose(f, f[::-1], rtol=1e-12)


# --------------------------------------------------------------------------- binomial
def _binom_r(x: int, n: int, p: Fraction) -> Fraction:
    """R binom.test two-sided p in exact rational arithmetic."""
    d = [math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(n + 1)]
    lim = d[x] * (1 + Fraction(1, 10 ** 7))
    return min(Fraction(1), sum((v for v in d if v <= lim), Fraction(0)))


@pytest.mark.parametrize("p", [0.5, 0.2, 0.37, 0.9])
@pytest.mark.parametrize("n", [1, 2, 7, 20, 61])
def test_binom_test_matches_scipy_and_r(n, p):
    for x in range(n + 1):
        got = binom_test_p(x, n, p)
        assert same(got, stats.binomtest(x, n, p).pvalue, 1e-11)
        assert same(got, float(_binom_r(x, n, Fraction(p))), 1e-11)


def test_binom_test_edges():
    assert binom_test_p(0, 5, 0.0) == 1.0 and binom_test_p(1, 5, 0.0) == 0.0
    assert binom_test_p(5, 5, 1.0) == 1.0 and binom_test_p(4, 5, 1.0) == 0.0
    for x, n in [(6, 5), (0, 0), (-1, 3)]:
        with pytest.raises(ValueError):
            binom_test_p(x, n)


@given(st.integers(0, 40), st.integers(0, 40))
@settings(max_examples=60, deadline=None)
def test_mcnemar_exact_unchanged(b, c):
    # before: min(1, 2 * scipy.stats.binom.cdf(min(b, c), b + c, 0.5)); 1 without pairs
    old = 1.0 if b + c == 0 else min(1.0, 2.0 * stats.binom.cdf(min(b, c), b + c, 0.5))
    assert same(mcnemar_exact([[5, b], [c, 5]]), old)
    assert mcnemar_exact([[5, b], [c, 5]]) == mcnemar_exact([[5, c], [b, 5]])


# --------------------------------------------------------------------------- Fisher 2 x 2
def _fisher_r(t: list[list[int]]) -> Fraction:
    """R fisher.test two-sided p of a 2 x 2 table (relErr 1 + 1e-7), exact rationals."""
    (a, b), (c, _) = t
    r1, r2, c1 = a + b, sum(t[1]), a + c
    w = [math.comb(r1, k) * math.comb(r2, c1 - k) for k in range(max(0, c1 - r2),
                                                               min(r1, c1) + 1)]
    lim = Fraction(math.comb(r1, a) * math.comb(r2, c1 - a)) * (1 + Fraction(1, 10 ** 7))
    return Fraction(sum(v for v in w if v <= lim), math.comb(r1 + r2, c1))


def test_fisher_2x2_matches_scipy_and_r_on_random_tables():
    # scipy.stats.fisher_exact uses a tolerance of 1e-14, R fisher.test 1e-7; they never
    # differed on these tables (R would be the reference if they did)
    rng = np.random.default_rng(20261123)
    for i in range(1600):
        hi = (1, 3, 5, 10, 30, 100, 300, 1000)[i % 8]
        t = rng.integers(0, hi + 1, size=(2, 2))
        p, how = fisher_exact_rxc(t)
        assert how == "exact"
        assert same(p, stats.fisher_exact(t).pvalue), t.tolist()
        if i % 4 == 0:
            assert same(p, float(_fisher_r(t.tolist()))), t.tolist()


@pytest.mark.parametrize("t", [[[0, 0], [0, 5]], [[1, 0], [0, 1]], [[5, 0], [0, 5]],
                               [[0, 5], [5, 0]], [[3, 7], [9, 4]], [[2, 2], [2, 2]],
                               [[1000, 0], [0, 1000]], [[40, 60], [60, 40]]])
def test_fisher_2x2_cases(t):
    p = fisher_exact_rxc(np.array(t))[0]
    assert same(p, stats.fisher_exact(t).pvalue)
    assert same(fisher_exact_rxc(np.array(t).T)[0], p)
    assert same(fisher_exact_rxc(np.array(t)[::-1])[0], p)


# --------------------------------------------------------------------------- Monte Carlo
def test_random_tables_margins_and_distribution():
    rows, cols = np.array([3, 4, 2]), np.array([2, 5, 2])
    sims = _random_tables(rows, cols, 40_000, seed=7)
    assert (sims.sum(axis=2) == rows).all() and (sims.sum(axis=1) == cols).all()
    assert (_random_tables(rows, cols, 40_000, seed=7) == sims).all()  # seeded
    keys, counts = np.unique(sims.reshape(len(sims), -1), axis=0, return_counts=True)
    lf = [math.lgamma(k + 1) for k in range(10)]
    const = sum(lf[v] for v in rows) + sum(lf[v] for v in cols) - lf[9]
    prob = np.array([math.exp(const - sum(lf[v] for v in k)) for k in keys])
    assert prob.sum() == pytest.approx(1.0)  # every table with these margins was seen
    chi = float((((counts - len(sims) * prob) ** 2) / (len(sims) * prob)).sum())
    assert stats.chi2.sf(chi, len(keys) - 1) > 1e-4


def test_monte_carlo_is_seeded():
    t = np.array([[83, 487], [0, 25], [6, 76], [13, 77], [4, 86]])
    p1, how = fisher_exact_rxc(t, max_work=10, B=5000, seed=3)
    assert how == "monte carlo (B=5000, seed=3)"
    assert fisher_exact_rxc(t, max_work=10, B=5000, seed=3)[0] == p1
    exact = 0.005111164941395628  # fisher_exact_rxc(t, max_work=10 ** 9): exact, 2 s
    assert abs(p1 - exact) < 4 * math.sqrt(exact * (1 - exact) / 5000) + 1 / 5001


# --------------------------------------------------------------------------- imports
def test_analyses_do_not_import_scipy_stats():
    code = """
import sys, warnings
import numpy as np
warnings.simplefilter("ignore")
from hccstudy.analyse import competing, paired, table1
from hccstudy.adjust import propensity
table1.categorical_p(np.array([[83, 487], [0, 25], [6, 76], [13, 77], [4, 86]]),
                     fisher_B=200)
table1.categorical_p(np.array([[3, 7], [9, 4]]))
for t in ("wilcoxon", "welch", "student"):
    table1.continuous_p([np.arange(5.0), np.arange(3.0) + 1.5], t)
    table1.continuous_p([np.arange(60.0), np.arange(60.0) % 7], t)
for t in ("kruskal", "anova"):
    table1.continuous_p([np.arange(5.0), np.arange(3.0), np.ones(4)], t)
paired.wilcoxon_signed_rank([1.0, 2, 3, 4], [2.0, 1, 5, 1])
paired.mcnemar_exact([[1, 4], [2, 3]]); paired.mcnemar_test([[1, 4], [2, 3]])
paired.bowker_test([[1, 4, 1], [2, 3, 1], [0, 1, 1]])
paired.unpaired_lr_chisq([[5, 0], [13, 18]])
print("scipy.stats" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False", out.stderr
