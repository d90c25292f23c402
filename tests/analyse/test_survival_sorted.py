"""The sort-based (sparse) Kaplan-Meier and log-rank paths against the dense grid (issue 2).

Untied (continuous) times take the sort-based path: one sort of packed
(group, time, event) keys, each group on its own distinct times
(``_counting.sort_rows``); times on a grid of 1/k with few distinct values keep
the dense (group x distinct time) grid. ``_counting.FORCE_PATH`` forces either
path, so both are compared here on the same data: Kaplan-Meier tables must agree
to 1e-12 (they agree bit for bit), medians exactly; log-rank O, E and Var(O - E)
to 1e-12 relative (sums in another order), the statistic to 1e-9 (O - E cancels).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.analyse import _counting
from hccstudy.analyse._counting import dense_codes, encode_groups, encode_times, sort_rows
from hccstudy.analyse.km import kaplan_meier
from hccstudy.analyse.logrank import logrank, logrank_trend, pairwise_logrank


def _both(monkeypatch: pytest.MonkeyPatch, fn: Any) -> tuple[Any, Any]:
    with monkeypatch.context() as m:
        m.setattr(_counting, "FORCE_PATH", "dense")
        dense = fn()
    with monkeypatch.context() as m:
        m.setattr(_counting, "FORCE_PATH", "sparse")
        sparse = fn()
    return dense, sparse


def _frame(n: int, n_groups: int, seed: int, *, tied: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.exponential(10.0, n)
    if tied:
        t = np.round(t, 0)  # heavy ties, zeros included
    e = (rng.random(n) < 0.6).astype(int)
    g = rng.integers(0, n_groups, n)
    d = pd.DataFrame({"t": t, "e": e, "g": g.astype(float)})
    # a group with one row, and an all-censored group
    extra = pd.DataFrame({"t": [3.25, 1.5, 7.75, 2.0], "e": [1, 0, 0, 0],
                          "g": [n_groups, n_groups + 1, n_groups + 1, n_groups + 1]})
    return pd.concat([d, extra], ignore_index=True)


def _assert_km_equal(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.table(), b.table(), rtol=1e-12)
    pd.testing.assert_frame_equal(a.median(), b.median(), check_exact=True)
    assert a.n == b.n and a.n_events == b.n_events and a.groups == b.groups


def _assert_lr_equal(a: Any, b: Any) -> None:
    np.testing.assert_allclose(b.observed, a.observed, rtol=1e-12, atol=0)
    np.testing.assert_allclose(b.expected, a.expected, rtol=1e-12, atol=1e-12)
    scale = np.max(np.abs(a.var)) if a.var.size else 1.0
    np.testing.assert_allclose(b.var, a.var, rtol=1e-12, atol=1e-12 * scale)
    assert b.statistic == pytest.approx(a.statistic, rel=1e-9, abs=1e-12)
    assert b.df == a.df


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("n_groups", [1, 3, 6])
@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_sorted_equals_dense(monkeypatch: pytest.MonkeyPatch, tied: bool, n_groups: int,
                                conf_type: str) -> None:
    d = _frame(600, n_groups, 11 + n_groups, tied=tied)
    dense, sparse = _both(monkeypatch, lambda: kaplan_meier(d, "t", "e", by="g",
                                                            conf_type=conf_type))
    _assert_km_equal(dense, sparse)
    pd.testing.assert_frame_equal(dense.followup(), sparse.followup(), rtol=1e-12)
    pd.testing.assert_frame_equal(dense.quantile(), sparse.quantile(), check_exact=True)
    pd.testing.assert_frame_equal(dense.at([0, 1, 5, 20]), sparse.at([0, 1, 5, 20]),
                                  rtol=1e-12)
    pd.testing.assert_frame_equal(dense.rmst(15.0), sparse.rmst(15.0), rtol=1e-12)
    tab = sparse.table()
    one = tab[tab["group"] == str(n_groups)]
    assert len(one) == 1 and one["survival"].iloc[0] == 0.0
    censored = tab[tab["group"] == str(n_groups + 1)]
    assert (censored["survival"] == 1.0).all() and (censored["n_event"] == 0).all()


def test_km_sorted_without_groups_and_at_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    d = pd.DataFrame({"t": rng.weibull(1.2, n) * 12, "e": rng.random(n) < 0.7,
                      "arm": rng.choice(["b", "a", "c"], n)})
    for by in (None, "arm"):
        dense, sparse = _both(monkeypatch, lambda by=by: kaplan_meier(d, "t", "e", by=by))
        _assert_km_equal(dense, sparse)


def test_km_default_path_choice() -> None:
    """Untied times go the sort-based way, a 0.1 grid stays dense; both give R's numbers."""
    d = pd.DataFrame({"t": [0.31, 1.7, 2.123456789, 2.123456789, 5.0], "e": [1, 0, 1, 1, 0]})
    assert dense_codes(d["t"].to_numpy(), 1) is None
    tab = kaplan_meier(d, "t", "e").table()
    assert tab["n_risk"].tolist() == [5.0, 4.0, 3.0, 1.0]
    assert tab["n_event"].tolist() == [1.0, 0.0, 2.0, 0.0]
    np.testing.assert_allclose(tab["survival"], [0.8, 0.8, 0.8 / 3, 0.8 / 3], rtol=1e-15)
    assert dense_codes(np.round(d["t"].to_numpy(), 1), 1) is not None


def test_zero_and_negative_zero_times(monkeypatch: pytest.MonkeyPatch) -> None:
    d = pd.DataFrame({"t": [0.0, -0.0, 0.0, 1e-300, 2.5, 1e6, 0.75],
                      "e": [1, 0, 1, 1, 0, 1, 1], "g": [0, 0, 1, 1, 0, 1, 0]})
    dense, sparse = _both(monkeypatch, lambda: kaplan_meier(d, "t", "e", by="g"))
    _assert_km_equal(dense, sparse)
    assert sparse.table()["time"].iloc[0] == 0.0
    a, b = _both(monkeypatch, lambda: logrank(d, "t", "e", "g"))
    _assert_lr_equal(a, b)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("rho", [0.0, 1.0, 0.5])
def test_logrank_sorted_equals_dense(monkeypatch: pytest.MonkeyPatch, tied: bool,
                                     rho: float) -> None:
    d = _frame(800, 5, 21, tied=tied)
    a, b = _both(monkeypatch, lambda: logrank(d, "t", "e", "g", rho=rho))
    _assert_lr_equal(a, b)
    np.testing.assert_array_equal(a.n, b.n)
    pa, pb = _both(monkeypatch, lambda: pairwise_logrank(d, "t", "e", "g", rho=rho))
    np.testing.assert_allclose(pb.statistic, pa.statistic, rtol=1e-9, atol=1e-12)
    ta, tb = _both(monkeypatch, lambda: logrank_trend(d, "t", "e", "g", rho=rho))
    assert tb.u == pytest.approx(ta.u, rel=1e-9, abs=1e-9)
    assert tb.v == pytest.approx(ta.v, rel=1e-12)
    assert tb.statistic == pytest.approx(ta.statistic, rel=1e-9, abs=1e-12)


def test_logrank_sorted_many_groups_and_large_n(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight groups (several packed running counts) and 2e5 rows."""
    rng = np.random.default_rng(5)
    n = 200_000
    g = rng.integers(0, 8, n)
    d = pd.DataFrame({"t": rng.exponential(1.0 + g / 8.0), "e": rng.random(n) < 0.8, "g": g})
    a, b = _both(monkeypatch, lambda: logrank(d, "t", "e", "g"))
    _assert_lr_equal(a, b)


def test_logrank_sorted_without_events(monkeypatch: pytest.MonkeyPatch) -> None:
    d = pd.DataFrame({"t": [1.5, 2.25, 3.125, 4.0625], "e": [0, 0, 0, 0], "g": [0, 1, 0, 1]})
    a, b = _both(monkeypatch, lambda: logrank(d, "t", "e", "g"))
    _assert_lr_equal(a, b)
    assert b.statistic == 0.0 and b.df == 0


# --------------------------------------------------------------------------- helpers
def test_sort_rows_orders_and_decodes() -> None:
    rng = np.random.default_rng(8)
    t = np.concatenate(([0.0, 0.0, 1e-310], rng.exponential(3.0, 200)))
    g = rng.integers(0, 3, t.size)
    e = (rng.random(t.size) < 0.5).astype(float)
    for major in (True, False):
        r = sort_rows(g, 3, t, e, group_major=major)
        k = r.key
        assert np.all(np.diff(k) >= 0)
        ev = k & 1
        if major:
            grp = (k >> 1) >> r.time_bits
            tk = (k >> 1) & ((1 << r.time_bits) - 1)
        else:
            grp = (k >> 1) & ((1 << r.group_bits) - 1)
            tk = k >> (r.group_bits + 1)
        times = r.times(tk.copy())
        got = sorted(zip(grp.tolist(), times.tolist(), ev.tolist(), strict=True))
        want = sorted(zip(g.tolist(), t.tolist(), e.astype(int).tolist(), strict=True))
        assert got == want
        primary = grp if major else times
        assert np.all(np.diff(primary) >= 0)


def test_sort_rows_falls_back_to_ranks_for_a_huge_range() -> None:
    """Bit patterns from 1e-300 to 1e300 do not pack beside 200 groups: ranks are used."""
    t = np.array([1e300, 1e-300, 5.0, 5.0, 0.0, 2.5])
    g = np.array([0, 199, 3, 3, 0, 199])
    r = sort_rows(g, 200, t, np.ones(6), group_major=True)
    assert r.time_bits <= 3
    tk = (r.key >> 1) & ((1 << r.time_bits) - 1)
    assert r.times(tk).tolist() == [0.0, 1e300, 5.0, 5.0, 1e-300, 2.5]
    d = pd.DataFrame({"t": t, "e": 1, "g": g})
    assert kaplan_meier(d, "t", "e", by="g").table()["time"].tolist() == [
        0.0, 1e300, 5.0, 1e-300, 2.5]


@pytest.mark.parametrize("values", [
    [2.0, 1.0, 2.0, -0.0, 0.0, -3.0],
    [1e15, 3.0, 1e15],
    [0.5, 1.0, 2.0],
    [np.inf, 1.0, 2.0],
    [4.0, 4.0],
])
def test_encode_groups_float_columns_as_factorize(values: list[float]) -> None:
    s = pd.Series(values)
    codes, labels = encode_groups(s)
    ref_codes, ref_uniques = pd.factorize(s, sort=True)
    np.testing.assert_array_equal(codes, ref_codes)
    assert labels == tuple(_counting.group_label(u) for u in ref_uniques)


def test_encode_times_matches_sort_path_on_ties() -> None:
    t = np.array([0.3, 0.1 + 0.2, 0.3, 0.0])
    u, _ = encode_times(t)
    d = pd.DataFrame({"t": t, "e": [1, 1, 0, 1]})
    assert kaplan_meier(d, "t", "e").table()["time"].tolist() == u.tolist()


# --------------------------------------------------------------------------- properties
@st.composite
def mixed_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    cont = st.floats(0.0, 50.0, allow_nan=False, allow_infinity=False)
    tied = st.sampled_from([0.0, 1.0, 2.5, 7.0])
    times = draw(st.lists(st.one_of(cont, tied), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["x", "y", "z", "w"]), min_size=n, max_size=n))
    return pd.DataFrame({"t": times, "e": events, "g": groups})


PROP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.
                                                                       function_scoped_fixture])


@PROP
@given(mixed_frames())
def test_property_km_paths_agree(monkeypatch: pytest.MonkeyPatch, d: pd.DataFrame) -> None:
    for by in (None, "g"):
        dense, sparse = _both(monkeypatch, lambda by=by: kaplan_meier(d, "t", "e", by=by))
        _assert_km_equal(dense, sparse)


@PROP
@given(mixed_frames(), st.sampled_from([0.0, 1.0]))
def test_property_logrank_paths_agree(monkeypatch: pytest.MonkeyPatch, d: pd.DataFrame,
                                      rho: float) -> None:
    if d["g"].nunique() < 2:
        return
    a, b = _both(monkeypatch, lambda: logrank(d, "t", "e", "g", rho=rho))
    _assert_lr_equal(a, b)
