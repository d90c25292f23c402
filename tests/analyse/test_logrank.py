"""Log-rank tests: agreement with R survival, hand-computed cases, properties, bad input.

R references come from tests/reference/r/10_km_logrank.R (survival 3.5.3):
``survdiff(Surv(time, event) ~ g [+ strata(s)], rho=)`` for the G-rho tests,
U = s'(O - E) and V = s' var s from survdiff for the trend test (and the Breslow
Cox score test ``coxph(Surv ~ score, ties="breslow")$score``, equal when times are
untied), and survdiff on each pair subset with ``p.adjust`` for pairwise tests.
Tolerance (issue 2): chi-square within relative 1e-10; O, E, V within 1e-10.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.analyse.logrank import logrank, logrank_trend, p_adjust, pairwise_logrank
from hccstudy.errors import InputError

RTOL_CHISQ = 1e-10
TOL = 1e-10

LOGRANK_CASES = {
    "lung_sex": "lung",
    "lung_sex_rho1": "lung",
    "veteran_celltype": "veteran",
    "veteran_celltype_rho05": "veteran",
    "veteran_trt_strata": "veteran",
    "ovarian_rx": "ovarian",
    "sim_ties_group": "sim_ties",
    "sim_ties_group_rho1": "sim_ties",
    "sim_ties_group_site": "sim_ties",
    "sim_ties_group_site_rho1": "sim_ties",
    "sim_zero_group": "sim_zero",
}
TREND_CASES = {
    "sim_ties": "sim_ties",
    "sim_ties_site": "sim_ties",
    "sim_ties_rho1": "sim_ties",
    "veteran_celltype": "veteran",
    "veteran_untied_celltype": "veteran",
    "sim_zero": "sim_zero",
}
PAIRWISE_CASES = {"veteran_celltype": "veteran", "sim_ties_site_rho1": "sim_ties"}


def _list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else [x]


def _arr(x: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in _list(x)], dtype=float)


@pytest.mark.parametrize("case", sorted(LOGRANK_CASES))
def test_logrank_matches_r_survdiff(ref_data: Any, ref_json: Any, case: str) -> None:
    """survdiff chisq within relative 1e-10; O, E, var, (O-E)^2/E, (O-E)^2/V within 1e-10."""
    ref = ref_json(f"logrank_{case}")
    d = ref_data(LOGRANK_CASES[case])
    r = logrank(d, ref["time"], ref["event"], ref["group"], strata=ref["strata"],
                rho=ref["rho"])
    assert r.statistic == pytest.approx(ref["statistic"], rel=RTOL_CHISQ, abs=0)
    assert r.df == ref["df"]
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-8, abs=1e-300)
    assert r.rho == ref["rho"]
    assert r.groups == tuple(str(g) for g in _list(ref["groups"]))
    tab = r.table()
    assert tab["n"].tolist() == _list(ref["n"])
    for col, key in (("observed", "observed"), ("expected", "expected"),
                     ("(O-E)^2/E", "o_e2_e"), ("(O-E)^2/V", "o_e2_v")):
        np.testing.assert_allclose(tab[col], _arr(ref[key]), rtol=1e-12, atol=TOL,
                                   err_msg=f"{case} {col} vs R survdiff")
    # jsonlite writes a matrix as a list of rows
    np.testing.assert_allclose(r.var, np.array(ref["var"], dtype=float), rtol=1e-12, atol=TOL)
    assert "survdiff" in r.method and f"rho = {ref['rho']:g}" in r.method


@pytest.mark.parametrize("case", sorted(TREND_CASES))
def test_trend_matches_r(ref_data: Any, ref_json: Any, case: str) -> None:
    """U^2/V from survdiff's O - E and variance, relative 1e-10."""
    ref = ref_json(f"logrank_trend_{case}")
    d = ref_data(TREND_CASES[case])
    if case.startswith("veteran_untied"):
        # as 10_km_logrank.R: time + row number / 1000 (no ties)
        d = d.assign(time=d["time"] + np.arange(1, len(d) + 1) / 1000)
    r = logrank_trend(d, ref["time"], ref["event"], ref["group"], order=_list(ref["order"]),
                      scores=_list(ref["scores"]), strata=ref["strata"], rho=ref["rho"])
    assert r.statistic == pytest.approx(ref["statistic"], rel=RTOL_CHISQ, abs=0)
    assert r.u == pytest.approx(ref["u"], rel=1e-10, abs=1e-10)
    assert r.v == pytest.approx(ref["v"], rel=1e-10)
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-8)
    assert r.df == 1


def test_trend_equals_breslow_cox_score_test_without_ties(ref_json: Any) -> None:
    """Untied times: the trend statistic is the Breslow Cox score test (R coxph $score)."""
    ref = ref_json("logrank_trend_veteran_untied_celltype")
    assert ref["statistic"] == pytest.approx(ref["cox_breslow_score"], rel=1e-12)
    tied = ref_json("logrank_trend_sim_ties")  # with ties the variances differ
    assert tied["statistic"] != pytest.approx(tied["cox_breslow_score"], rel=1e-3)


@pytest.mark.parametrize("adjust", ["holm", "bonferroni", "BH", "none"])
@pytest.mark.parametrize("case", sorted(PAIRWISE_CASES))
def test_pairwise_matches_r(ref_data: Any, ref_json: Any, case: str, adjust: str) -> None:
    """survdiff on each pair subset (relative 1e-10) and p.adjust (1e-12)."""
    ref = ref_json(f"logrank_pairwise_{case}")
    d = ref_data(PAIRWISE_CASES[case])
    r = pairwise_logrank(d, ref["time"], ref["event"], ref["group"], strata=ref["strata"],
                         rho=ref["rho"], adjust=adjust)  # type: ignore[arg-type]
    assert list(r.group1) == [str(g) for g in ref["group1"]]
    assert list(r.group2) == [str(g) for g in ref["group2"]]
    np.testing.assert_allclose(r.statistic, ref["statistic"], rtol=RTOL_CHISQ, atol=0)
    np.testing.assert_allclose(r.p_value, ref["p_value"], rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(r.p_adjusted, ref[adjust], rtol=1e-8, atol=1e-15)
    assert r.table().shape == (len(ref["group1"]), 5)
    assert adjust in r.method


@pytest.mark.parametrize("case", ["sim_ties_group_site_rho1", "veteran_trt_strata"])
def test_stratum_by_stratum_path_matches_r(ref_data: Any, ref_json: Any, case: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Very large (stratum x group x time) grids are summed stratum by stratum: same test."""
    import hccstudy.analyse.logrank as logrank_module

    monkeypatch.setattr(logrank_module, "_MAX_GRID", 0)
    ref = ref_json(f"logrank_{case}")
    d = ref_data(LOGRANK_CASES[case])
    r = logrank(d, ref["time"], ref["event"], ref["group"], strata=ref["strata"],
                rho=ref["rho"])
    assert r.statistic == pytest.approx(ref["statistic"], rel=RTOL_CHISQ, abs=0)
    np.testing.assert_allclose(r.expected, _arr(ref["expected"]), rtol=1e-12, atol=TOL)
    pw = ref_json("logrank_pairwise_sim_ties_site_rho1")
    p = pairwise_logrank(ref_data("sim_ties"), "time", "event", "group", strata="site", rho=1)
    np.testing.assert_allclose(p.statistic, pw["statistic"], rtol=RTOL_CHISQ, atol=0)


def test_p_adjust_as_r() -> None:
    """p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), m) in R 4.x."""
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    np.testing.assert_allclose(p_adjust(p, "holm"), [0.05, 0.08, 0.09, 0.09, 0.09])
    np.testing.assert_allclose(p_adjust(p, "bonferroni"), [0.05, 0.1, 0.15, 0.2, 0.25])
    np.testing.assert_allclose(p_adjust(p, "BH"), [0.05] * 5)
    np.testing.assert_allclose(p_adjust(p, "none"), p)
    with pytest.raises(InputError):
        p_adjust(p, "hochberg")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- by hand
def test_hand_computed_with_ties() -> None:
    """t = 1, 1, 2, 3; e = 1, 1, 1, 0; group A, B, A, B.

    t=1: N=4, D=2, n_A=2: E_A = 2*2/4 = 1; V = D(N-D)/(N-1) * (1/2)(1/2) = 4/3 * 1/4 = 1/3
    t=2: N=2, D=1 (A), n_A=1: E_A += 1/2; V += 1 * 1 * (1/2)(1/2) = 1/4
    O_A = 2, E_A = 3/2, V = 7/12, chisq = (1/2)^2 / (7/12) = 3/7.
    """
    d = pd.DataFrame({"t": [1, 1, 2, 3], "e": [1, 1, 1, 0], "g": ["A", "B", "A", "B"]})
    r = logrank(d, "t", "e", "g")
    assert r.statistic == pytest.approx(3 / 7, rel=1e-14)
    tab = r.table()
    assert tab["observed"].tolist() == [2.0, 1.0]
    np.testing.assert_allclose(tab["expected"], [1.5, 1.5], rtol=1e-15)
    assert r.var[0, 0] == pytest.approx(7 / 12, rel=1e-14)
    assert r.var[0, 1] == pytest.approx(-7 / 12, rel=1e-14)
    # two groups: the trend test is the log-rank test
    assert logrank_trend(d, "t", "e", "g").statistic == pytest.approx(3 / 7, rel=1e-14)


def test_hand_computed_rho1() -> None:
    """Same data, rho = 1: weights S(t-) of the pooled KM: 1 at t=1, 1/2 at t=2.

    O_A = 1*1 + 1/2*1 = 3/2; E_A = 1*1 + 1/2*1/2 = 5/4;
    V = 1^2 * 1/3 + (1/2)^2 * 1/4 = 1/3 + 1/16 = 19/48; chisq = (1/4)^2 / (19/48) = 3/19.
    """
    d = pd.DataFrame({"t": [1, 1, 2, 3], "e": [1, 1, 1, 0], "g": ["A", "B", "A", "B"]})
    r = logrank(d, "t", "e", "g", rho=1)
    assert r.table()["observed"].iloc[0] == pytest.approx(1.5)
    assert r.statistic == pytest.approx(3 / 19, rel=1e-14)
    assert "Peto" in r.method


def test_zero_event_group(ref_data: Any) -> None:
    """A group without events has O = 0 and E > 0 and stays in the test (R survdiff)."""
    r = logrank(ref_data("sim_zero"), "time", "event", "group")
    tab = r.table().set_index("group")
    assert tab.loc["D", "observed"] == 0 and tab.loc["D", "expected"] > 0
    assert r.df == 2


# --------------------------------------------------------------------------- properties
@st.composite
def two_group_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(4, 30))
    times = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    rest = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n - 2, max_size=n - 2))
    groups = ["a", "b", *rest]
    return pd.DataFrame({"t": np.asarray(times) / 10 + 0.1, "e": [1, 1, *events[2:]],
                         "g": groups})


PROP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROP
@given(two_group_frames(), st.sampled_from([0.0, 1.0]))
def test_logrank_invariant_to_time_scaling(d: pd.DataFrame, rho: float) -> None:
    a = logrank(d, "t", "e", "g", rho=rho)
    b = logrank(d.assign(t=d["t"] * 30.4375), "t", "e", "g", rho=rho)
    assert b.statistic == pytest.approx(a.statistic, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(b.expected, a.expected, rtol=1e-12)


@PROP
@given(two_group_frames(), st.randoms(use_true_random=False))
def test_logrank_row_order_and_no_mutation(d: pd.DataFrame, rnd: Any) -> None:
    before = d.copy(deep=True)
    perm = list(range(len(d)))
    rnd.shuffle(perm)
    a = logrank(d, "t", "e", "g")
    b = logrank(d.iloc[perm], "t", "e", "g")
    pd.testing.assert_frame_equal(d, before)
    assert b.statistic == pytest.approx(a.statistic, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(b.observed, a.observed)


# --------------------------------------------------------------------------- bad input
def test_bad_input() -> None:
    d = pd.DataFrame({"t": [1.0, 2.0, 3.0, None], "e": [1, 0, 1, 1], "g": ["a", "b", "a", "b"]})
    with pytest.raises(InputError, match="unknown column"):
        logrank(d, "t", "e", "arm")
    with pytest.raises(InputError, match="missing"):
        logrank(d, "t", "e", "g")
    assert logrank(d, "t", "e", "g", missing="drop").n_dropped == 1
    with pytest.raises(InputError, match="negative"):
        logrank(d.assign(t=[-1.0, 2, 3, 4]), "t", "e", "g")
    with pytest.raises(InputError, match="event"):
        logrank(d.assign(e=[1, 3, 0, 1]), "t", "e", "g", missing="drop")
    with pytest.raises(InputError, match="two groups"):
        logrank(d.assign(g="a"), "t", "e", "g", missing="drop")
    with pytest.raises(InputError, match="rho"):
        logrank(d, "t", "e", "g", rho=-1, missing="drop")
    with pytest.raises(InputError, match="order"):
        logrank_trend(d, "t", "e", "g", order=["a"], missing="drop")
    with pytest.raises(InputError, match="scores"):
        logrank_trend(d, "t", "e", "g", scores=[1, 2, 3], missing="drop")
    with pytest.raises(InputError, match="adjust"):
        pairwise_logrank(d, "t", "e", "g", adjust="sidak", missing="drop")  # type: ignore[arg-type]


# ------------------------------------------------------------- group order (levels=)
def test_levels_order_the_groups_not_the_test() -> None:
    rng = np.random.default_rng(5)
    n = 120
    d = pd.DataFrame({"t": rng.exponential(8, n).round(1) + 0.1, "e": rng.integers(0, 2, n),
                      "arm": rng.choice(["TACE alone", "TACE+RT", "RT"], n),
                      "s": rng.integers(0, 2, n)})
    base = logrank(d, "t", "e", "arm")
    order = ["TACE+RT", "TACE alone", "RT"]
    for strata in (None, "s"):
        b = logrank(d, "t", "e", "arm", strata=strata)
        r = logrank(d, "t", "e", "arm", strata=strata, levels=order)
        assert r.groups == tuple(order)
        assert r.statistic == pytest.approx(b.statistic, rel=1e-12)
        assert r.df == b.df
        tb = b.table().set_index("group").loc[order]
        pd.testing.assert_frame_equal(r.table().set_index("group"), tb)
    pw = pairwise_logrank(d, "t", "e", "arm", levels=order)
    assert (pw.group1[0], pw.group2[0]) == ("TACE+RT", "TACE alone")
    assert base.groups == ("RT", "TACE alone", "TACE+RT")
    with pytest.raises(InputError, match="do not list"):
        logrank(d, "t", "e", "arm", levels=["RT", "TACE+RT"])
