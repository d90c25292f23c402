"""Matching: MatchIt nn_matchC references, properties (hypothesis), options, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstudy.adjust.matching import match_propensity, nearest_neighbour, optimal_pairs
from hccstudy.adjust.propensity import fit_propensity
from hccstudy.errors import InputError

NAMES = ["lalonde", "sim", "ties"]
CASE_IDS = ["largest_cal02", "smallest_cal02", "data_cal02", "largest_nocal",
            "largest_k2_cal02", "smallest_k2_cal01"]


@pytest.mark.parametrize(("name", "case"), list(itertools.product(NAMES, CASE_IDS)))
def test_matched_sets_equal_matchit_nn_matchC(name, case, ref_data, ref_json):
    # R: MatchIt:::nn_matchC(treat, ord, ratio, discarded, reuse.max = 1, distance = logit,
    # caliper = c * sd(distance)), verified by an independent greedy loop; identical sets
    ref = ref_json(f"adjust_{name}")
    d = ref_data(f"adjust_{name}")
    c = ref["cases"][case]
    m = nearest_neighbour(np.array(ref["distance"], dtype=float), d["treat"].to_numpy(), ratio=c["ratio"],
                          caliper=c["caliper"], m_order=c["m_order"])
    np.testing.assert_array_equal(m.matches, np.array(c["matches"]))
    if c["caliper"] is not None:
        assert m.caliper_abs == pytest.approx(c["caliper_abs"], rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_with_replacement_same_distances_as_matchit(name, ref_data, ref_json):
    # nn_matchC with reuse.max = n1 uses std::partial_sort (unstable on ties), so compare
    # the sorted matched distances per treated unit (identical up to 1e-12)
    ref = ref_json(f"adjust_{name}")
    d = ref_data(f"adjust_{name}")
    c = ref["cases"]["replace_k2_cal02"]
    dist = np.array(ref["distance"], dtype=float)
    m = nearest_neighbour(dist, d["treat"].to_numpy(), ratio=2, caliper=0.2, replace=True)
    mm = np.array(c["matches"])
    t = dist[d["treat"].to_numpy() == 1]

    def dd(mat: np.ndarray) -> np.ndarray:
        out = np.where(mat >= 0, np.abs(dist[np.maximum(mat, 0)] - t[:, None]), np.inf)
        return np.sort(out, axis=1)

    np.testing.assert_allclose(dd(m.matches), dd(mm), rtol=0, atol=1e-12)
    assert m.m_order == "data" and (m.subclass == -1).all()


def test_weights_equal_matchit(ref_data, ref_json):
    # R: MatchIt:::weights.matrix(mm, treat) for 1:2 matching; tol 1e-12
    ref = ref_json("adjust_lalonde")
    d = ref_data("adjust_lalonde")
    c = ref["cases"]["largest_k2_cal02"]
    m = nearest_neighbour(np.array(ref["distance"], dtype=float), d["treat"].to_numpy(), ratio=2, caliper=0.2)
    np.testing.assert_allclose(m.weights, c["balance"]["weights"], atol=1e-12)


def test_match_propensity_end_to_end(ref_data, ref_json):
    ref = ref_json("adjust_lalonde")
    d = ref_data("adjust_lalonde")
    ps = fit_propensity(d, "treat", "age + educ + race + married + nodegree + re74 + re75")
    m = match_propensity(ps, caliper=0.2)
    np.testing.assert_array_equal(m.matches, np.array(ref["cases"]["largest_cal02"]["matches"]))
    assert "SD of the logit" in m.caliper_scale
    p = m.pairs()
    assert len(p) == m.n_treated_matched and set(p.columns) == {"treated_row", "control_row", "set"}
    assert m.summary().loc["matched", "treated"] == m.n_treated_matched


def _data(draw_d: list[float], draw_t: list[int]) -> tuple[np.ndarray, np.ndarray]:
    return np.array(draw_d), np.array(draw_t)


arrays = st.integers(6, 60).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=n, max_size=n),
    st.lists(st.integers(0, 1), min_size=n, max_size=n)))


@settings(max_examples=60, deadline=None)
@given(arrays, st.sampled_from([None, 0.1, 0.5]), st.integers(1, 3),
       st.sampled_from(["largest", "smallest", "data", "random"]))
def test_properties_no_reuse_and_caliper(ad, caliper, ratio, order):
    d, t = _data(*ad)
    if t.sum() in (0, len(t)):
        return
    m = nearest_neighbour(d, t, ratio=ratio, caliper=caliper, m_order=order, seed=3)
    used = m.matches[m.matches >= 0]
    assert len(used) == len(np.unique(used))  # no control reused
    assert (t[used] == 0).all()
    if caliper is not None:
        tt = np.repeat(d[m.treated_rows], ratio).reshape(m.matches.shape)
        ok = m.matches >= 0
        assert (np.abs(d[m.matches[ok]] - tt[ok]) <= m.caliper_abs).all()
    # a treated unit's later-round match is never before an unmatched round
    if ratio > 1:
        assert ((m.matches[:, 1:] < 0) | (m.matches[:, :1] >= 0)).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(8, 80), st.integers(0, 10_000), st.sampled_from([None, 0.2]))
def test_largest_order_invariant_to_row_order(n, seed, caliper):
    rng = np.random.default_rng(seed)
    d = rng.normal(size=n)  # distinct with probability 1
    t = (rng.random(n) < 0.4).astype(int)
    if t.sum() in (0, n):
        return
    perm = rng.permutation(n)
    a = nearest_neighbour(d, t, caliper=caliper).pairs()
    b = nearest_neighbour(d[perm], t[perm], caliper=caliper).pairs()
    pa = {(int(x), int(y)) for x, y in zip(a.treated_row, a.control_row, strict=True)}
    pb = {(int(perm[x]), int(perm[y])) for x, y in zip(b.treated_row, b.control_row, strict=True)}
    assert pa == pb


def test_random_order_is_seeded():
    rng = np.random.default_rng(1)
    d = rng.normal(size=200)
    t = (rng.random(200) < 0.4).astype(int)
    a = nearest_neighbour(d, t, m_order="random", seed=7, caliper=0.1)
    b = nearest_neighbour(d, t, m_order="random", seed=7, caliper=0.1)
    np.testing.assert_array_equal(a.matches, b.matches)


def test_exact_matching_within_strata():
    rng = np.random.default_rng(2)
    n = 300
    df = pd.DataFrame({"age": rng.normal(60, 10, n), "sex": rng.choice(["f", "m"], n),
                       "stage": rng.choice(["III", "IV"], n)})
    df["t"] = (rng.random(n) < 0.3).astype(int)
    before = df.copy()
    ps = fit_propensity(df, "t", "age + sex + stage")
    m = match_propensity(ps, df, exact=["sex", "stage"], caliper=0.5)
    p = m.pairs()
    for col in ("sex", "stage"):
        assert (df[col].to_numpy()[p.treated_row] == df[col].to_numpy()[p.control_row]).all()
    assert m.exact == ("sex", "stage")
    # each stratum matches as its own nn_matchC run with the common caliper
    for _, g in df.groupby(["sex", "stage"]):
        rows = g.index.to_numpy()
        sub = nearest_neighbour(ps.logit_ps[rows], ps.treat[rows], caliper=m.caliper_abs,
                                caliper_scale="absolute")
        got = m.matches[np.isin(m.treated_rows, rows)]
        exp = np.where(sub.matches >= 0, rows[np.maximum(sub.matches, 0)], -1)
        np.testing.assert_array_equal(got, exp)
    pd.testing.assert_frame_equal(df, before)


def test_optimal_pairs_brute_force():
    rng = np.random.default_rng(4)
    for _ in range(20):
        d = rng.normal(size=9)
        t = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0])
        m = optimal_pairs(d, t)
        best = min(sum(abs(d[i] - d[c]) for i, c in zip(range(3), perm, strict=True))
                   for perm in itertools.permutations(range(3, 9), 3))
        got = sum(abs(d[r] - d[c]) for r, c in zip(m.treated_rows, m.matches[:, 0], strict=True))
        assert got == pytest.approx(best, abs=1e-12)
        g = nearest_neighbour(d, t)
        gtot = sum(abs(d[r] - d[c]) for r, c in zip(g.treated_rows, g.matches[:, 0], strict=True))
        assert got <= gtot + 1e-12


def test_optimal_respects_caliper_and_size_limit():
    rng = np.random.default_rng(5)
    d = rng.normal(size=100)
    t = (rng.random(100) < 0.3).astype(int)
    m = optimal_pairs(d, t, caliper=0.1)
    ok = m.matches[:, 0] >= 0
    assert (np.abs(d[m.treated_rows[ok]] - d[m.matches[ok, 0]]) <= m.caliper_abs).all()
    with pytest.raises(InputError, match="max_cells"):
        optimal_pairs(d, t, max_cells=10)


@pytest.mark.parametrize("kw, msg", [
    ({"ratio": 0}, "ratio"),
    ({"caliper": -1.0}, "caliper"),
    ({"m_order": "biggest"}, "m_order"),
    ({"caliper": 0.2, "caliper_scale": "percent"}, "caliper_scale"),
])
def test_bad_options(kw, msg):
    d = np.array([0.1, 0.2, 0.3, 0.4])
    t = np.array([1, 0, 1, 0])
    with pytest.raises(InputError, match=msg):
        nearest_neighbour(d, t, **kw)


def test_bad_treatment_arrays():
    with pytest.raises(InputError, match="binary"):
        nearest_neighbour(np.array([0.1, 0.2]), np.array([1, 2]))
    with pytest.raises(InputError, match="no patients"):
        nearest_neighbour(np.array([0.1, 0.2]), np.array([1, 1]))


def test_discard_excluded_and_not_in_caliper_sd():
    d = np.array([0.0, 0.1, 0.2, 0.25, 5.0, 5.1])
    t = np.array([1, 0, 1, 0, 1, 0])
    keep = np.array([True, True, True, True, False, False])
    m = nearest_neighbour(d, t, caliper=1.0, discard=~keep)
    assert m.caliper_abs == pytest.approx(np.std(d[keep], ddof=1))
    assert m.n_discarded == 2 and (m.matches[2] == -1).all()


@settings(max_examples=25, deadline=None)
@given(st.integers(20, 80), st.integers(0, 10_000))
def test_pipeline_never_mutates_input(n, seed):
    from hccstudy.adjust.balance import balance
    from hccstudy.adjust.weighting import iptw

    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.normal(60, 10, n), "g": rng.choice(["a", "b"], n),
                       "t": rng.integers(0, 2, n)})
    if df["t"].nunique() < 2 or df["g"].nunique() < 2:
        return
    before = df.copy(deep=True)
    ps = fit_propensity(df, "t", "age + g", method="firth")
    m = match_propensity(ps, df, caliper=0.5, exact=["g"])
    balance(df, "t", ["age", "g"], m)
    balance(df, "t", ["age", "g"], iptw(ps))
    pd.testing.assert_frame_equal(df, before)
