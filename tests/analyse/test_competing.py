"""Competing risks: agreement with R cmprsk 2.2-11, a hand-checked example, properties, bad input.

R references come from tests/reference/r/40_competing.R:
``cuminc(time, status, group, cencode = 0)`` (estimates, variances, ``$Tests``; with
``strata =`` and ``rho = 1``), ``timepoints(fit, times)``, and
``crr(time, status, model.matrix(~ grp + stage + age)[, -1], failcode, cencode = 0,
gtol = 1e-10, maxiter = 100)`` (the tight gtol makes the reference converge far below
the tolerances used here).
Tolerances: CIF and variances 1e-10 absolute; Gray's statistic 1e-8 relative; crr
coefficients 1e-6 absolute, standard errors 1e-5 absolute.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.analyse.competing import (
    cause_specific_cox,
    cumulative_incidence,
    failure_type_km,
    fine_gray,
    gray_test,
)
from hccstudy.analyse.cox import cox
from hccstudy.analyse.km import kaplan_meier
from hccstudy.errors import InputError

TOL_CIF = 1e-10
TOL_GRAY_REL = 1e-8
TOL_COEF = 1e-6
TOL_SE = 1e-5


def _jumps(curve: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cuminc's step-corner vectors -> (time, est, var) at each jump of the cause."""
    t, e, v = (np.asarray(curve[k], dtype=float) for k in ("time", "est", "var"))
    return t[2:-1:2], e[2:-1:2], v[2:-1:2]


def _na(x: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in x], dtype=float)


@pytest.fixture(scope="module")
def sim(ref_data: Any) -> pd.DataFrame:
    d: pd.DataFrame = ref_data("cr_sim")
    return d


# ---------------------------------------------------------------- R: cuminc
@pytest.mark.parametrize(("case", "by"), [("cr_cuminc_grp", "grp"), ("cr_cuminc_all", None)])
def test_cif_matches_cuminc(sim: pd.DataFrame, ref_json: Any, case: str, by: str | None) -> None:
    # cmprsk::cuminc(time, status, [grp,] cencode = 0): est and var at each jump, 1e-10
    ref = ref_json(case)
    tab = cumulative_incidence(sim, "time", "status", by).table()
    for name in ref["names"]:
        g, c = name.split(" ")
        t, e, v = _jumps(ref["curves"][name])
        sel = tab[((tab["group"] == g) if by else True) & (tab["cause"] == c)
                  & (tab["n_event"] > 0)]
        np.testing.assert_array_equal(sel["time"].to_numpy(), t)
        np.testing.assert_allclose(sel["cif"].to_numpy(), e, rtol=0, atol=TOL_CIF)
        np.testing.assert_allclose(sel["variance"].to_numpy(), v, rtol=0, atol=TOL_CIF)


def test_at_matches_timepoints(sim: pd.DataFrame, ref_json: Any) -> None:
    # cmprsk::timepoints(cuminc(...), c(0, 3, 6.5, 12, 24, 100)): NA after follow-up, 1e-10
    tp = ref_json("cr_cuminc_grp")["tp"]
    at = cumulative_incidence(sim, "time", "status", "grp").at(tp["times"])
    for i, name in enumerate(tp["names"]):
        g, c = name.split(" ")
        sel = at[(at["group"] == g) & (at["cause"] == c)]
        np.testing.assert_allclose(sel["cif"], _na(tp["est"][i]), rtol=0, atol=TOL_CIF)
        np.testing.assert_allclose(sel["variance"], _na(tp["var"][i]), rtol=0, atol=TOL_CIF)


# ---------------------------------------------------------------- R: Gray's test
@pytest.mark.parametrize(("case", "by", "kw"), [
    ("cr_cuminc_grp", "grp", {}),
    ("cr_cuminc_grp_strata", "grp", {"strata": "site"}),
    ("cr_cuminc_site_rho1", "site", {"rho": 1.0}),
])
def test_gray_matches_cuminc_tests(sim: pd.DataFrame, ref_json: Any, case: str, by: str,
                                   kw: dict[str, Any]) -> None:
    # cuminc(...)$Tests: stat relative 1e-8, p relative 1e-6, df exact
    ref = ref_json(case)["tests"]
    r = gray_test(sim, "time", "status", by, **kw)
    assert list(r.causes) == ref["cause"]
    np.testing.assert_allclose(r.statistic, ref["stat"], rtol=TOL_GRAY_REL)
    np.testing.assert_allclose(r.p_value, ref["pv"], rtol=1e-6)
    assert r.df == ref["df"][0]
    assert list(r.table().columns) == ["cause", "statistic", "df", "p_value"]


# ---------------------------------------------------------------- R: crr
@pytest.mark.parametrize(("case", "formula", "cause", "names"), [
    ("cr_crr_cause1", "grp + stage + age", 1,
     ["grp[T.b]", "grp[T.c]", "stage[T.III]", "stage[T.IV]", "age"]),
    ("cr_crr_cause2", "grp", 2, ["grp[T.b]", "grp[T.c]"]),
])
def test_fine_gray_matches_crr(sim: pd.DataFrame, ref_json: Any, case: str, formula: str,
                               cause: int, names: list[str]) -> None:
    # crr(..., gtol = 1e-10): coef 1e-6, sandwich se 1e-5, log pseudo-likelihood 1e-6
    ref = ref_json(case)
    r = fine_gray(sim, formula, time="time", status="status", cause=cause)
    assert list(r.terms) == names
    assert r.converged
    np.testing.assert_allclose(r.coef, ref["coef"], rtol=0, atol=TOL_COEF)
    np.testing.assert_allclose(r.se, np.sqrt(np.diag(ref["var"])), rtol=0, atol=TOL_SE)
    assert r.loglik[1] == pytest.approx(ref["loglik"], abs=1e-6)
    hr = r.hazard_ratios()
    np.testing.assert_allclose(hr["hr"], np.exp(r.coef))
    assert ((hr["ci_lower"] < hr["hr"]) & (hr["hr"] < hr["ci_upper"])).all()
    assert ((hr["p_value"] > 0) & (hr["p_value"] <= 1)).all()


def test_fine_gray_row_order_and_scale(sim: pd.DataFrame) -> None:
    a = fine_gray(sim, "grp + age", time="time", status="status", cause=1)
    d = sim.sample(frac=1.0, random_state=3).reset_index(drop=True)
    d["time"] = d["time"] * 30.4375
    b = fine_gray(d, "grp + age", time="time", status="status", cause=1)
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-9)
    np.testing.assert_allclose(a.cov, b.cov, atol=1e-9)


# ---------------------------------------------------------------- hand-checked example
def test_tiny_hand_checked(ref_data: Any, ref_json: Any) -> None:
    # time   1  2  2  3  3  4  5     status 1 1 2 0 1 2 0   (0 = censored)
    # t=1: at risk 7, S(1-)=1,   F1 += 1 * 1/7 = 1/7;            S = 6/7
    # t=2: at risk 6, S(2-)=6/7, F1 += 6/7 * 1/6 = 1/7 -> 2/7;   F2 = 1/7;  S = 6/7 * 4/6 = 4/7
    # t=3: at risk 4, S(3-)=4/7, F1 += 4/7 * 1/4 = 1/7 -> 3/7;   S = 4/7 * 3/4 = 3/7
    #      (the censoring at 3 leaves after the failure)
    # t=4: at risk 2, S(4-)=3/7, F2 += 3/7 * 1/2 = 3/14 -> 5/14; S = 3/14
    # at t=4: F1 + F2 + S = 6/14 + 5/14 + 3/14 = 1.
    # cuminc variance at t=1 (cinc): t6 = 1/49, t3 = 7/6, t4 = 1 + (7/6)(1/7) = 7/6, so
    # v1 = v2 = v3 = 1/36 and v = v1 + F^2 v3 - 2 F v2 = (1/36)(1 + 1/49 - 2/7) = 1/49.
    d = ref_data("cr_tiny")
    r = cumulative_incidence(d, "time", "status")
    at = r.at([1, 2, 3, 4])
    f1 = at[at["cause"] == "1"]["cif"].to_numpy()
    f2 = at[at["cause"] == "2"]["cif"].to_numpy()
    np.testing.assert_allclose(f1, [1 / 7, 2 / 7, 3 / 7, 3 / 7], atol=1e-15)
    np.testing.assert_allclose(f2, [0, 1 / 7, 1 / 7, 5 / 14], atol=1e-15)
    assert float(at["variance"].iloc[0]) == pytest.approx(1 / 49, abs=1e-15)
    ref = ref_json("cr_tiny")
    for k, name in enumerate(ref["names"]):
        _, e, v = _jumps(ref["curves"][name])
        sel = r.table()
        sel = sel[(sel["cause"] == str(k + 1)) & (sel["n_event"] > 0)]
        np.testing.assert_allclose(sel["cif"], e, atol=TOL_CIF)
        np.testing.assert_allclose(sel["variance"], v, atol=TOL_CIF)
    assert r.n_events == {("all", "1"): 3, ("all", "2"): 2}


# ---------------------------------------------------------------- 1 - KM and cause-specific
def test_failure_type_km_overstates(sim: pd.DataFrame) -> None:
    r = failure_type_km(sim, "time", "status", "grp")
    tab = r.table()
    assert (tab["one_minus_km"] >= tab["cif"] - 1e-12).all()
    assert (tab["excess"] > 1e-3).any()
    assert "overstates" in r.method and "seed 001" in r.method
    # 1 - KM with other failures censored is kaplan_meier on the cause indicator
    d = sim.assign(e=(sim["status"] == 1).astype(int))
    km = kaplan_meier(d[d["grp"] == "a"], "time", "e").at([12])
    at = r.at([12])
    got = at[(at["group"] == "a") & (at["cause"] == "1")]["one_minus_km"].iloc[0]
    assert got == pytest.approx(1 - km["survival"].iloc[0], abs=1e-12)


def test_cause_specific_cox_is_cox_with_others_censored(sim: pd.DataFrame) -> None:
    a = cause_specific_cox(sim, "grp + age", time="time", status="status", cause=2,
                           concordance=False)
    d = sim.assign(ev=(sim["status"] == 2).astype(int))
    b = cox(d, "grp + age", time="time", event="ev", concordance=False)
    np.testing.assert_allclose(a.coef.to_numpy(), b.coef.to_numpy(), atol=1e-12)
    assert a.n_events == int((sim["status"] == 2).sum())


# ---------------------------------------------------------------- properties
@st.composite
def _cr_frames(draw: Any) -> pd.DataFrame:
    n = draw(st.integers(3, 30))
    t = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    s = draw(st.lists(st.sampled_from([0, 1, 2, 3]), min_size=n, max_size=n))
    g = draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    if not any(v > 0 for v in s):
        s[0] = 1
    return pd.DataFrame({"t": np.asarray(t, float), "s": s, "g": g})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cr_frames())
def test_cifs_plus_event_free_km_sum_to_one(d: pd.DataFrame) -> None:
    r = cumulative_incidence(d, "t", "s", "g")
    tab = r.table()
    d2 = d.assign(e=(d["s"] > 0).astype(int))
    km = kaplan_meier(d2, "t", "e", by="g").table()
    for g in r.groups:
        total = tab[tab["group"] == g].groupby("time")["cif"].sum()
        kg = km[km["group"] == g].set_index("time")["survival"]
        np.testing.assert_allclose(total.to_numpy() + kg.loc[total.index].to_numpy(), 1.0,
                                   atol=1e-12)
    assert ((tab["cif"] >= 0) & (tab["cif"] <= 1 + 1e-12)).all()
    assert (tab["variance"] >= -1e-12).all()


@settings(max_examples=40, deadline=None)
@given(_cr_frames(), st.randoms(use_true_random=False))
def test_row_order_and_time_scale_invariance(d: pd.DataFrame, rnd: Any) -> None:
    a = cumulative_incidence(d, "t", "s", "g").table()
    perm = list(range(len(d)))
    rnd.shuffle(perm)
    d2 = d.iloc[perm].reset_index(drop=True)
    d2["t"] = d2["t"] * 12.0
    b = cumulative_incidence(d2, "t", "s", "g").table()
    np.testing.assert_allclose(a["time"] * 12.0, b["time"])
    np.testing.assert_allclose(a["cif"], b["cif"], atol=1e-13)
    np.testing.assert_allclose(a["variance"], b["variance"], atol=1e-13)
    if d["g"].nunique() == 2:
        ga = gray_test(d, "t", "s", "g")
        gb = gray_test(d2, "t", "s", "g")
        np.testing.assert_allclose(ga.statistic, gb.statistic, rtol=1e-8, atol=1e-10)


def test_fine_gray_without_competing_events_is_breslow_cox(sim: pd.DataFrame) -> None:
    # no competing failures: the weights vanish and Fine-Gray is Cox with Breslow ties
    d = sim[sim["status"] != 2]
    fg = fine_gray(d, "grp + age", time="time", status="status", cause=1)
    cx = cox(d.assign(e=d["status"]), "grp + age", time="time", event="e", ties="breslow",
             concordance=False)
    np.testing.assert_allclose(fg.coef, cx.coef.to_numpy(), atol=1e-8)


def test_analyses_import_no_plotting_or_scipy() -> None:
    import subprocess
    import sys

    code = ("import sys, hccstudy.analyse.competing, hccstudy.analyse.survival_extras; "
            "print(' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    roots = {m.split(".")[0] for m in out}
    assert not {"matplotlib", "scipy", "docx"} & roots


def test_input_not_mutated(sim: pd.DataFrame) -> None:
    before = sim.copy(deep=True)
    cumulative_incidence(sim, "time", "status", "grp").table()
    gray_test(sim, "time", "status", "grp", strata="site")
    fine_gray(sim, "grp", time="time", status="status", cause=1)
    failure_type_km(sim, "time", "status", "grp").table()
    cause_specific_cox(sim, "grp", time="time", status="status", cause=1, concordance=False)
    pd.testing.assert_frame_equal(sim, before)


def test_string_codes_and_declared_causes() -> None:
    d = pd.DataFrame({"t": [1, 2, 2, 3, 3, 4, 5],
                      "s": ["local", "local", "distant", "none", "local", "distant", "none"]})
    r = cumulative_incidence(d, "t", "s", causes=["local", "distant"], censor_code="none")
    assert r.causes == ("local", "distant")
    f = r.at([4])["cif"].to_numpy()
    np.testing.assert_allclose(f, [3 / 7, 5 / 14])


# ---------------------------------------------------------------- bad input
def test_bad_input() -> None:
    d = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "s": [1, 2, 0, 3], "g": ["a", "b", "a", "b"]})
    with pytest.raises(InputError, match="declared") as e:
        cumulative_incidence(d, "t", "s", causes=[1, 2])
    assert e.value.n_rows == 1 and e.value.column == "s"
    with pytest.raises(InputError, match="censor"):
        cumulative_incidence(d, "t", "s", causes=[0, 1])
    with pytest.raises(InputError, match="negative"):
        cumulative_incidence(d.assign(t=[1.0, -2.0, 3.0, 4.0]), "t", "s")
    with pytest.raises(InputError, match="missing") as e:
        gray_test(d.assign(s=[1, None, 0, 2]), "t", "s", "g")
    assert e.value.n_rows == 1
    with pytest.raises(InputError, match="unknown column"):
        cumulative_incidence(d, "time", "s")
    with pytest.raises(InputError, match="two groups"):
        gray_test(d.assign(g="a"), "t", "s", "g")
    with pytest.raises(InputError, match="no failures"):
        cumulative_incidence(d.assign(s=0), "t", "s")
    with pytest.raises(InputError, match="no failures of cause"):
        fine_gray(d, "g", time="t", status="s", cause=7)
    with pytest.raises(InputError):
        cumulative_incidence(d, "t", "s", conf_type="logit")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        cumulative_incidence(d, "t", "s").at([-1])


def test_ci_transforms(sim: pd.DataFrame) -> None:
    for ct in ("log-log", "log", "plain"):
        tab = cumulative_incidence(sim, "time", "status", conf_type=ct).table()  # type: ignore[arg-type]
        ok = (tab["cif"] > 0) & (tab["cif"] < 1)
        assert (tab.loc[ok, "ci_lower"] <= tab.loc[ok, "cif"]).all()
        assert (tab.loc[ok, "ci_upper"] >= tab.loc[ok, "cif"]).all()
    # log-log: log(-log F) +- z se / (F |log F|)
    tab = cumulative_incidence(sim, "time", "status").table()
    row = tab[tab["cif"] > 0].iloc[10]
    f, se = row["cif"], row["std_err"]
    sig = se / (f * -np.log(f))
    assert row["ci_lower"] == pytest.approx(f ** np.exp(1.959963984540054 * sig), rel=1e-12)
