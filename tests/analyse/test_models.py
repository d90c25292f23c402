"""Model building: univariate screen, backward elimination, side-by-side table.

R references from tests/reference/r/50_models.R (R 4.2, survival 3.5.x), data models_sim
(n = 300, seeded; whole-month times with ties; 12 rows miss age):

* univariate ``coxph`` per covariate (Efron and Breslow): coef, se, HR CI, Wald p per
  coefficient, ``summary(fit)$waldtest`` / ``$logtest`` / ``$sctest`` p;
* backward elimination by hand in R on ``na.omit`` of the candidate set: block Wald
  chi-square from ``coef`` / ``vcov``, LR from ``drop1(fit, test = "Chisq")``, removal of
  the largest p while p > 0.10 (and p > 0.01 with ``age`` forced); AIC by ``step()``;
* the same for ``glm(family = binomial)`` (Wald, LR and AIC paths).

Tolerances: coefficients 1e-8 absolute, p-values 1e-6 relative; the removal order exactly.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.analyse.logrank import logrank
from hccstudy.analyse.models import (
    ModelBuildingResult,
    backward_elimination,
    model_building,
    multivariable,
    side_by_side,
    univariate,
)
from hccstudy.errors import InputError, MonotoneLikelihoodWarning

COVS = ["age", "size", "pvi", "sex", "bclc", "trt"]
SURV = {"time": "time", "event": "death"}


@pytest.fixture(scope="module")
def sim(ref_data: Any) -> pd.DataFrame:
    d: pd.DataFrame = ref_data("models_sim")
    return d


# ------------------------------------------------------------------- univariate
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("test", ["wald", "lr", "score"])
def test_univariate_cox_matches_r(sim: pd.DataFrame, ref_json: Any, ties: str,
                                  test: str) -> None:
    ref = ref_json("models_cox_univariate")
    u = univariate(sim, COVS, **SURV, test=test, ties=ties)  # type: ignore[arg-type]
    t = u.to_frame()
    assert t["variable"].tolist() == ["age", "size", "pvi", "sex", "bclc", "bclc", "trt"]
    for v in COVS:
        r = ref[f"{v}_{ties}"]
        rows = t[t["variable"] == v]
        assert (rows["n"] == r["n"]).all() and (rows["events"] == r["nevent"]).all()
        np.testing.assert_allclose(rows["coef"], r["coef"], atol=1e-8)
        np.testing.assert_allclose(rows["se"], r["se"], atol=1e-8)
        np.testing.assert_allclose(rows["estimate"], r["hr"], rtol=1e-8)
        np.testing.assert_allclose(rows["ci_lower"], r["lower"], rtol=1e-8)
        np.testing.assert_allclose(rows["ci_upper"], r["upper"], rtol=1e-8)
        np.testing.assert_allclose(rows["p_wald"], r["p"], rtol=1e-6)
        np.testing.assert_allclose(rows["p_term"], r[test][2], rtol=1e-6)
        assert (rows["df_term"] == len(rows)).all()
        assert rows["df_term"].iloc[0] == r[test][1]
    assert (t.loc[t["variable"] == "age", "n_dropped"] == 12).all()
    assert (t.loc[t["variable"] != "age", "n_dropped"] == 0).all()
    assert t.loc[t["variable"] == "bclc", "level"].tolist() == ["B", "C"]
    assert t.loc[t["variable"] == "bclc", "reference"].tolist() == ["A", "A"]


def test_univariate_releveled_factor(sim: pd.DataFrame, ref_json: Any) -> None:
    r = ref_json("models_cox_univariate")["bclc_refC_efron"]
    t = univariate(sim, ["C(bclc, treatment('C'))"], **SURV, test="score").to_frame()
    assert t["level"].tolist() == ["A", "B"] and t["reference"].tolist() == ["C", "C"]
    np.testing.assert_allclose(t["coef"], r["coef"], atol=1e-8)
    np.testing.assert_allclose(t["p_term"], r["score"][2], rtol=1e-6)


def test_univariate_logistic_matches_glm(sim: pd.DataFrame, ref_json: Any) -> None:
    ref = ref_json("logistic_sim")
    for test, key in (("lr", "lr_p"), ("score", "rao_p")):
        t = univariate(sim, COVS, kind="logistic", outcome="response",
                       test=test).to_frame()  # type: ignore[arg-type]
        for v in COVS:
            r = ref[f"uni_{v}"]
            rows = t[t["variable"] == v]
            np.testing.assert_allclose(rows["coef"], r["coef"][1:], atol=1e-8)
            np.testing.assert_allclose(rows["se"], r["se"][1:], atol=1e-8)
            np.testing.assert_allclose(rows["p_wald"], r["p"][1:], rtol=1e-6)
            np.testing.assert_allclose(rows["p_term"], r[key], rtol=1e-6)
            assert (rows["n"] == r["n"]).all()


def test_score_test_hand_computed_and_logrank() -> None:
    # four deaths, no ties, x = 1, 0, 1, 0 by increasing time.
    # U = (1 - 1/2) + (0 - 1/3) + (1 - 1/2) + 0 = 2/3;
    # I = 1/4 + 2/9 + 1/4 + 0 = 13/18; score = U^2 / I = 8/13
    d = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 1, 1, 1], "x": [1, 0, 1, 0]})
    u = univariate(d, ["x"], time="t", event="e", test="score")
    assert float(u.table["statistic"].iloc[0]) == pytest.approx(8 / 13, rel=1e-12)
    # without ties the Cox score test is the log-rank test
    assert float(u.table["p_term"].iloc[0]) == pytest.approx(
        float(logrank(d, "t", "e", "x").p_value), rel=1e-10)
    # tiny case with ties and a missing value: counts by hand
    d = pd.DataFrame({"t": [2, 2, 3, 5, 5, 7, 8], "e": [1, 1, 0, 1, 1, 0, 1],
                      "g": ["a", "b", "a", "b", "a", "b", None]})
    t = univariate(d, ["g"], time="t", event="e", test="score").to_frame()
    assert t[["n", "events", "n_dropped", "level", "reference"]].iloc[0].tolist() == \
        [6, 4, 1, "b", "a"]


# --------------------------------------------------------- backward elimination
@pytest.mark.parametrize("criterion", ["wald", "lr"])
def test_backward_cox_path_matches_r(sim: pd.DataFrame, ref_json: Any,
                                     criterion: str) -> None:
    ref = ref_json("models_cox_backward")
    m = backward_elimination(sim, COVS, **SURV, criterion=criterion)  # type: ignore[arg-type]
    r = ref[criterion]
    assert m.n == ref["n"] and m.events == ref["nevent"] and m.n_dropped == 12
    assert list(m.removed) == [s["removed"] for s in r["path"]]
    np.testing.assert_allclose(m.path["p"], [s["p"] for s in r["path"]], rtol=1e-6)
    np.testing.assert_allclose(m.path["statistic"], [s["statistic"] for s in r["path"]],
                               rtol=1e-6)
    assert list(m.final_terms) == r["final"]
    fm = r["final_model"]
    np.testing.assert_allclose(m.table["coef"], fm["coef"], atol=1e-8)
    np.testing.assert_allclose(m.table["se"], fm["se"], atol=1e-8)
    np.testing.assert_allclose(m.table["p_wald"], fm["p"], rtol=1e-6)


def test_backward_cox_forced_and_aic(sim: pd.DataFrame, ref_json: Any) -> None:
    ref = ref_json("models_cox_backward")
    m = backward_elimination(sim, COVS, **SURV, p_remove=0.01, force=["age"])
    r = ref["wald_p01_force_age"]
    assert list(m.removed) == [s["removed"] for s in r["path"]]
    assert list(m.final_terms) == r["final"]
    a = backward_elimination(sim, COVS, **SURV, criterion="aic")
    assert [f"- {x}" for x in a.removed] == ref["aic"]["steps"][1:]
    assert list(a.final_terms) == ref["aic"]["final"]
    assert a.aic == pytest.approx(ref["aic"]["aic"][-1], abs=1e-8)
    np.testing.assert_allclose(np.cumsum(a.path["aic_change"]) + ref["aic"]["aic"][0],
                               ref["aic"]["aic"][1:], atol=1e-8)


@pytest.mark.parametrize("criterion", ["wald", "lr", "aic"])
def test_backward_logistic_path_matches_r(sim: pd.DataFrame, ref_json: Any,
                                          criterion: str) -> None:
    ref = ref_json("logistic_sim")[f"backward_{criterion}"]
    m = backward_elimination(sim, COVS, kind="logistic", outcome="response",
                             criterion=criterion)  # type: ignore[arg-type]
    if criterion == "aic":
        assert [f"- {x}" for x in m.removed] == ref["steps"][1:]
        assert m.aic == pytest.approx(ref["aic"][-1], abs=1e-8)
    else:
        assert list(m.removed) == [s["removed"] for s in ref["path"]]
        np.testing.assert_allclose(m.path["p"], [s["p"] for s in ref["path"]], rtol=1e-6)
        # the 3-level factor is removed as one block
        assert m.path["df"].iloc[0] == 2 and m.path["removed"].iloc[0] == "bclc"
    assert sorted(m.final_terms) == sorted(ref["final"])


def test_entry_by_univariate_p(sim: pd.DataFrame) -> None:
    u = univariate(sim, COVS, **SURV, test="score")
    p = u.p_values()
    m = backward_elimination(sim, COVS, **SURV, entry="univariate_p", entry_p=0.05,
                             univariate_test="score")
    assert m.entered == tuple(c for c in COVS if p[c] < 0.05)
    assert m.screen == p
    assert m.n == len(sim)  # age (the only variable with missing values) did not enter
    assert "score" in m.method and "p < 0.05" in m.method


def test_model_building_and_side_by_side(sim: pd.DataFrame) -> None:
    r = model_building(sim, COVS, **SURV, univariate_test="lr")
    assert isinstance(r, ModelBuildingResult)
    t = r.to_frame()
    assert t.attrs["measure"] == "HR"
    assert list(t.columns) == [
        "variable", "level", "reference", "uni_n", "uni_events", "uni_estimate",
        "uni_ci_lower", "uni_ci_upper", "uni_p", "uni_p_term", "entered", "selected",
        "multi_estimate", "multi_ci_lower", "multi_ci_upper", "multi_p", "multi_p_term"]
    assert t["variable"].tolist() == ["age", "size", "pvi", "sex", "bclc", "bclc", "trt"]
    removed = set(r.multivariable.removed)
    assert t.loc[t["variable"].isin(removed), "multi_estimate"].isna().all()
    kept = t[t["selected"]]
    assert kept["multi_estimate"].notna().all() and len(kept) == len(r.multivariable.table)
    pd.testing.assert_frame_equal(t, side_by_side(r.univariate, r.multivariable))
    assert "step 1: remove" in r.summary() and r.path.equals(r.multivariable.path)
    # no selection: every entered term kept
    r2 = model_building(sim, COVS, **SURV, selection="none")
    assert r2.multivariable.final_terms == tuple(COVS) and r2.multivariable.path.empty
    assert "no selection" in r2.method
    m = multivariable(sim, ["size", "bclc"], **SURV, test="lr")
    assert m.final_terms == ("size", "bclc") and m.criterion == "none"


def test_logistic_side_by_side_measure(sim: pd.DataFrame) -> None:
    r = model_building(sim, ["size", "trt", "bclc"], kind="logistic", outcome="response",
                       entry="univariate_p", univariate_test="lr")
    t = r.to_frame()
    assert t.attrs["measure"] == "OR"
    assert not t.loc[t["variable"] == "bclc", "entered"].any()
    assert "logistic" in r.summary()


def test_monotone_likelihood_is_flagged(sim: pd.DataFrame) -> None:
    d = sim.assign(rare=np.where(np.arange(len(sim)) < 6, "x", "y"))
    d.loc[d["rare"] == "x", "death"] = 0  # a level without events: HR -> 0
    with pytest.warns(MonotoneLikelihoodWarning, match="rare"):
        u = univariate(d, ["size", "rare"], **SURV)
    t = u.to_frame()
    assert t.loc[t["variable"] == "rare", "unstable"].all()
    assert not t.loc[t["variable"] == "size", "unstable"].any()


def test_bad_input(sim: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="time= and event="):
        univariate(sim, COVS, time="time")
    with pytest.raises(InputError, match="outcome="):
        univariate(sim, COVS, kind="logistic")
    with pytest.raises(InputError, match="kind"):
        univariate(sim, COVS, kind="poisson", **SURV)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not among the covariates"):
        backward_elimination(sim, COVS, **SURV, force=["nope"])
    with pytest.raises(InputError, match="criterion"):
        backward_elimination(sim, COVS, **SURV, criterion="bic")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no such column") as e:
        univariate(sim, ["size", "nope"], **SURV)
    assert e.value.column == "nope"
    with pytest.raises(InputError, match="repeated"):
        univariate(sim, ["size", "size"], **SURV)
    with pytest.raises(InputError, match="constant") as e:
        univariate(sim.assign(k=1.0), ["k"], **SURV)
    assert e.value.column == "k"
    with pytest.raises(InputError, match="strata"):
        univariate(sim, ["size"], kind="logistic", outcome="response", strata="sex")


def test_input_not_mutated_no_warnings(sim: pd.DataFrame) -> None:
    before = sim.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = model_building(sim, ["age", "size", "bclc", "trt"], **SURV, criterion="lr",
                           strata="sex", force=["trt"], p_remove=0.5)
    pd.testing.assert_frame_equal(sim, before)
    assert r.multivariable.removed == ("age",)
    assert "trt" in r.multivariable.final_terms
    assert "UnivariateResult" in repr(r.univariate)


def test_weights_need_wald_tests(sim: pd.DataFrame) -> None:
    d = sim.assign(w=np.linspace(0.5, 1.5, len(sim)))
    with pytest.raises(InputError, match="Wald") as e:
        univariate(d, ["size"], **SURV, weights="w", test="lr")
    assert e.value.column == "w"
    with pytest.raises(InputError, match="Wald"):
        backward_elimination(d, ["size", "trt"], **SURV, weights="w", criterion="aic")
    m = backward_elimination(d, ["size", "trt", "sex"], **SURV, weights="w")
    assert m.removed == ("sex",)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["cox", "logistic"]))
def test_elimination_invariant_to_row_order(seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    d = pd.DataFrame({"t": rng.integers(1, 15, n).astype(float), "e": rng.integers(0, 2, n),
                      "x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n),
                      "z": rng.integers(0, 2, n)})
    d.loc[d.index[:2], "e"] = [0, 1]
    kw: dict[str, Any] = ({"time": "t", "event": "e"} if kind == "cox"
                          else {"kind": "logistic", "outcome": "e"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MonotoneLikelihoodWarning)
        a = backward_elimination(d, ["x", "g", "z"], **kw, criterion="lr")
        b = backward_elimination(d.sample(frac=1, random_state=seed % 1000), ["x", "g", "z"],
                                 **kw, criterion="lr")
    assert a.removed == b.removed and a.final_terms == b.final_terms
    pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-6, atol=1e-9)
