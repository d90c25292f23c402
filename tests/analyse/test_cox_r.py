"""Cox model against R survival 3.5 (tests/reference/r/20_cox.R writes the JSON).

Tolerances: coefficients 1e-8 absolute (both ties methods), standard errors 1e-6,
cox.zph chi-square 1e-6, everything else (loglik, tests, concordance, survival
curves) 1e-8 unless stated.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hccstudy.analyse import _cox_fit as K
from hccstudy.analyse.cox import cox
from hccstudy.errors import MonotoneLikelihoodWarning

COEF_TOL = 1e-8
SE_TOL = 1e-6
ZPH_TOL = 1e-6
TOL = 1e-8

LUNG = "age + sex + `ph.ecog`"

# name -> (data set, formula, cox() keyword arguments)
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "lung_efron": ("lung", LUNG, {"time": "time", "event": "event", "missing": "drop"}),
    "lung_breslow": ("lung", LUNG, {"time": "time", "event": "event", "missing": "drop",
                                    "ties": "breslow"}),
    "veteran": ("veteran", "trt + C(celltype, contr.treatment('large')) + karno",
                {"time": "time", "event": "status"}),
    "ovarian": ("ovarian", "age + rx + `ecog.ps`", {"time": "futime", "event": "fustat"}),
    "sim_ties_efron": ("sim_ties", "group + x1 + x2 + x3", {"time": "time", "event": "event"}),
    "sim_ties_breslow": ("sim_ties", "group + x1 + x2 + x3",
                         {"time": "time", "event": "event", "ties": "breslow"}),
    "sim_ties_strata": ("sim_ties", "group + x1 + x2",
                        {"time": "time", "event": "event", "strata": "site"}),
    "sim_ties_cluster": ("sim_ties", "group + x1 + x2",
                         {"time": "time", "event": "event", "cluster": "cluster"}),
    "sim_ties_weights": ("sim_ties", "group + x1 + x2",
                         {"time": "time", "event": "event", "weights": "wt"}),
    "sim_ties_weights_cluster": ("sim_ties", "group + x1 + x2",
                                 {"time": "time", "event": "event", "weights": "wt",
                                  "cluster": "cluster", "ties": "breslow"}),
    "sim_counting": ("sim_counting", "tv + age",
                     {"time": "stop", "event": "event", "entry": "start"}),
    "sim_counting_cluster": ("sim_counting", "tv + age",
                             {"time": "stop", "event": "event", "entry": "start",
                              "cluster": "id"}),
}


@pytest.fixture(scope="module", params=["numpy", "compiled"])
def fits(request, ref_data):  # type: ignore[no-untyped-def]
    """Every case fitted with the NumPy kernels and with the compiled (numba) ones."""
    if request.param == "compiled":
        pytest.importorskip("numba")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(K, "JIT_MIN_ROWS", 0 if request.param == "compiled" else 1 << 62)
        for name, (data, formula, kw) in CASES.items():
            out[name] = cox(ref_data(data), formula, **kw,
                            ph_transforms=("km", "rank", "identity"))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_coefficients_and_variance(name, fits, ref_json):  # type: ignore[no-untyped-def]
    """coef(fit), sqrt(diag(fit$var)) (naive.var when robust), fit$loglik, fit$n, fit$nevent."""
    fit, r = fits[name], ref_json(f"cox_{name}")
    np.testing.assert_allclose(fit.coef.to_numpy(), r["coef"], rtol=0, atol=COEF_TOL)
    np.testing.assert_allclose(fit.se.to_numpy(), r.get("naive_se", r["se"]), rtol=0,
                               atol=SE_TOL)
    np.testing.assert_allclose(fit.loglik, r["loglik"], rtol=0, atol=TOL)
    np.testing.assert_allclose(fit.cov.to_numpy(), np.array(r["var"]), rtol=0, atol=1e-8)
    assert fit.n == r["n"]
    assert fit.n_events == r["nevent"]
    assert fit.ties == r["method"]
    assert len(fit.terms) == len(r["names"])


@pytest.mark.parametrize("name", list(CASES))
def test_tests_and_hazard_ratios(name, fits, ref_json):  # type: ignore[no-untyped-def]
    """summary(fit)$logtest, fit$wald.test, $sctest, $robscore and $conf.int."""
    fit, r = fits[name], ref_json(f"cox_{name}")
    t = fit.tests["statistic"]
    np.testing.assert_allclose(t["likelihood_ratio"], r["logtest"][0], rtol=1e-9)
    np.testing.assert_allclose(t["wald"], r["waldtest"], rtol=1e-8)
    np.testing.assert_allclose(t["score"], r["sctest"][0], rtol=1e-9)
    np.testing.assert_allclose(fit.tests.loc["score", "p"], r["sctest"][2], rtol=1e-6)
    if "robust_se" in r:
        assert fit.variance == "robust"
        assert fit.robust_se is not None
        np.testing.assert_allclose(fit.robust_se.to_numpy(), r["robust_se"], rtol=0,
                                   atol=SE_TOL)
        np.testing.assert_allclose(t["robust_score"], r["robscore"][0], rtol=1e-8)
    else:
        assert fit.variance == "model"
        assert fit.robust_se is None
    conf = np.array(r["conf"]).reshape(len(fit.terms), 4)
    hr = fit.hazard_ratios()
    np.testing.assert_allclose(hr["hr"], conf[:, 0], rtol=1e-8)
    np.testing.assert_allclose(hr["ci_lower"], conf[:, 2], rtol=1e-6)
    np.testing.assert_allclose(hr["ci_upper"], conf[:, 3], rtol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_concordance(name, fits, ref_json):  # type: ignore[no-untyped-def]
    """summary(fit)$concordance: Harrell's C and its (infinitesimal jackknife) std err."""
    fit, r = fits[name], ref_json(f"cox_{name}")
    np.testing.assert_allclose(fit.concordance, r["concordance"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_cox_zph(name, fits, ref_json):  # type: ignore[no-untyped-def]
    """cox.zph(fit, transform=)$table (survival >= 3: full information), chisq within 1e-6."""
    fit, r = fits[name], ref_json(f"cox_{name}")
    done = 0
    for tr in ("km", "rank", "identity"):
        key = f"zph_{tr}"
        if key not in r:
            continue
        z = fit.ph_test(tr)
        np.testing.assert_allclose(z["chisq"], r[key]["chisq"], rtol=0, atol=ZPH_TOL)
        np.testing.assert_array_equal(z["df"], r[key]["df"])
        np.testing.assert_allclose(z["p"], r[key]["p"], rtol=1e-6, atol=1e-12)
        assert list(z.index)[-1] == "GLOBAL"
        done += 1
    assert done >= 1


@pytest.mark.parametrize("name", list(CASES))
def test_baseline_survival(name, fits, ref_json):  # type: ignore[no-untyped-def]
    """survfit(fit) (newdata = fit$means): surv, cumhaz, std.err at the event times."""
    fit, r = fits[name], ref_json(f"cox_{name}")
    rb = pd.DataFrame({k: r["baseline"][k] for k in
                       ("time", "surv", "cumhaz", "std_err", "n_risk", "lower", "upper")})
    keys = ["time"]
    if "strata" in r["baseline"]:
        rb["strata"] = r["baseline"]["strata"]
        keys = ["strata", "time"]
    b = fit.baseline_survival()
    m = b.merge(rb, on=keys, suffixes=("", "_r"))
    assert len(m) == len(b)  # every event time of ours is in R's curve
    np.testing.assert_allclose(m["surv"], m["surv_r"], rtol=0, atol=TOL)
    np.testing.assert_allclose(m["cumhaz"], m["cumhaz_r"], rtol=0, atol=TOL)
    np.testing.assert_allclose(m["std_err_cumhaz"], m["std_err_r"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(m["n_risk"], m["n_risk_r"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(m["ci_lower"], m["lower"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(m["ci_upper"], m["upper"], rtol=0, atol=1e-8)


NEWDATA = {
    "lung_efron": pd.DataFrame({"age": [50, 70], "sex": [1, 2], "ph.ecog": [0, 2]}),
    "lung_breslow": pd.DataFrame({"age": [50, 70], "sex": [1, 2], "ph.ecog": [0, 2]}),
    "veteran": pd.DataFrame({"trt": [1, 2], "celltype": ["large", "squamous"],
                             "karno": [60, 80]}),
    "sim_ties_efron": pd.DataFrame({"group": ["A", "C"], "x1": [4, 6], "x2": [0, 1],
                                    "x3": ["lo", "hi"]}),
    "sim_ties_breslow": pd.DataFrame({"group": ["A", "C"], "x1": [4, 6], "x2": [0, 1],
                                      "x3": ["lo", "hi"]}),
}


@pytest.mark.parametrize("name", list(NEWDATA))
def test_predict_survival(name, fits, ref_json):  # type: ignore[no-untyped-def]
    """summary(survfit(fit, newdata), times=): surv, std.err (of S), lower, upper."""
    fit, r = fits[name], ref_json(f"cox_{name}")
    p = fit.predict_survival(NEWDATA[name], r["predict"]["times"])
    # R: matrices times x curves; ours: long by row then time
    for ours, theirs in (("surv", "surv"), ("std_err", "std_err"), ("ci_lower", "lower"),
                         ("ci_upper", "upper")):
        ref = np.array(r["predict"][theirs]).T.ravel()
        np.testing.assert_allclose(p[ours].to_numpy(), ref, rtol=0, atol=1e-8)


def test_monotone_likelihood_matches_r_stop(ref_data, ref_json):  # type: ignore[no-untyped-def]
    """coxph(Surv(time, event) ~ group + age) on sim_zero: group D has no event.

    R warns "Loglik converged before variable 2" and stops after 17 iterations;
    the same Newton-Raphson stops at the same iterate, so even the diverging
    coefficient agrees (1e-6), and the others to 1e-8.
    """
    r = ref_json("cox_sim_zero")
    with pytest.warns(MonotoneLikelihoodWarning, match=r"group\[T\.D\]"):
        fit = cox(ref_data("sim_zero"), "group + age", time="time", event="event")
    assert fit.unstable == ("group[T.D]",)
    assert fit.iterations == r["iter"]
    np.testing.assert_allclose(fit.coef.to_numpy()[[0, 2]], np.array(r["coef"])[[0, 2]],
                               rtol=0, atol=COEF_TOL)
    np.testing.assert_allclose(fit.coef.iloc[1], r["coef"][1], rtol=1e-6)
    np.testing.assert_allclose(fit.se.to_numpy()[[0, 2]], np.array(r["se"])[[0, 2]],
                               rtol=0, atol=SE_TOL)
    hr = fit.hazard_ratios()
    assert hr["unstable"].tolist() == [False, True, False]
    # finite estimates; the unstable term's CI is flagged (its upper end may overflow)
    assert np.all(np.isfinite(hr[["coef", "se", "hr", "ci_lower"]].to_numpy()))
    assert np.all(np.isfinite(hr.loc[~hr["unstable"], "ci_upper"]))
    assert "unstable" in fit.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit.baseline_survival()


def test_estimate_is_r_default_iterate(ref_data):  # type: ignore[no-untyped-def]
    """The estimate is the iterate at which R's default ``coxph.control()`` (eps = 1e-9)
    stops, so it equals plain ``coxph`` output, not only the MLE (the cases above use
    eps = 1e-12). R 4.2, survival 3.5.3, ``sprintf("%.17g", coef(fit))`` of

        st <- read.csv("tests/reference/data/sim_ties.csv")
        coxph(Surv(time, event) ~ group + x1 + x2 + x3, data = st)                # 3 iter
        coxph(Surv(time, event) ~ group + x1 + x2, data = st, cluster = cluster)  # 3 iter
    """
    st = ref_data("sim_ties")
    a = cox(st, "group + x1 + x2 + x3", time="time", event="event")
    np.testing.assert_allclose(
        a.coef.to_numpy(),
        [0.36212942250203123, -0.23959191093633564, 0.10123904856759983,
         0.36216251601561045, -0.39163687545208919, -0.30960753055360823],
        rtol=0, atol=1e-11)
    assert a.iterations == 3
    b = cox(st, "group + x1 + x2", time="time", event="event", cluster="cluster")
    np.testing.assert_allclose(
        b.coef.to_numpy(),
        [0.37101730426352286, -0.23852921191153489, 0.099709149773924199,
         0.33327887098053566], rtol=0, atol=1e-11)
