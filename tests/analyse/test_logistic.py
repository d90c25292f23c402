"""Logistic regression against R's glm(family = binomial).

R references from tests/reference/r/50_models.R (R 4.2), data models_sim (n = 300, seeded;
12 rows miss age): ``glm(response ~ ..., family = binomial, control = glm.control(epsilon =
1e-14))``: coefficients, SE, z, p, ``confint.default``, logLik, AIC, the LR test
``null.deviance - deviance`` and the Rao score test ``anova(null, fit, test = "Rao")``.
Tolerances: 1e-8 absolute on coefficients, SE and log CI limits; 1e-6 relative on p-values.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hccstudy.analyse.logistic import fit_logistic_matrix, logistic
from hccstudy.errors import InputError, MonotoneLikelihoodWarning

COVS = ["age", "size", "pvi", "sex", "bclc", "trt"]
R_NAMES = {"(Intercept)": "Intercept", "sexmale": "sex[T.male]", "bclcB": "bclc[T.B]",
           "bclcC": "bclc[T.C]", "trtRT": "trt[T.RT]"}


@pytest.fixture(scope="module")
def sim(ref_data: Any) -> pd.DataFrame:
    d: pd.DataFrame = ref_data("models_sim")
    return d


def _check(fit: Any, ref: dict[str, Any]) -> None:
    assert list(fit.terms) == [R_NAMES.get(n, n) for n in ref["names"]]
    t = fit.odds_ratios()
    np.testing.assert_allclose(t["coef"], ref["coef"], atol=1e-8)
    np.testing.assert_allclose(t["se"], ref["se"], atol=1e-8)
    np.testing.assert_allclose(t["z"], ref["z"], atol=1e-7)
    np.testing.assert_allclose(t["p"], ref["p"], rtol=1e-6)
    np.testing.assert_allclose(np.log(t["ci_lower"]), ref["lower"], atol=1e-8)
    np.testing.assert_allclose(np.log(t["ci_upper"]), ref["upper"], atol=1e-8)
    assert fit.loglik[1] == pytest.approx(ref["loglik"], abs=1e-8)
    assert fit.aic == pytest.approx(ref["aic"], abs=1e-8)
    assert fit.deviance == pytest.approx(ref["deviance"], abs=1e-8)
    assert -2 * fit.loglik[0] == pytest.approx(ref["null_deviance"], abs=1e-8)
    assert fit.n == ref["n"]
    lr = fit.tests.loc["likelihood_ratio"]
    assert lr["statistic"] == pytest.approx(ref["lr"], abs=1e-8)
    assert lr["p"] == pytest.approx(ref["lr_p"], rel=1e-6)
    sc = fit.tests.loc["score"]
    assert sc["statistic"] == pytest.approx(ref["rao"], abs=1e-8)
    assert sc["p"] == pytest.approx(ref["rao_p"], rel=1e-6)


def test_full_model_matches_glm(sim: pd.DataFrame, ref_json: Any) -> None:
    ref = ref_json("logistic_sim")["full"]
    fit = logistic(sim, " + ".join(COVS), outcome="response", missing="drop")
    assert fit.n_dropped == 12
    assert not fit.separation and fit.converged
    _check(fit, ref)


@pytest.mark.parametrize("v", COVS)
def test_univariate_models_match_glm(sim: pd.DataFrame, ref_json: Any, v: str) -> None:
    fit = logistic(sim, v, outcome="response", missing="drop")
    _check(fit, ref_json("logistic_sim")[f"uni_{v}"])
    # one-term model: the Wald test of the model is the squared z of the coefficient
    if len(fit.terms) == 2:
        z = fit.odds_ratios()["z"].iloc[1]
        assert fit.tests.loc["wald", "statistic"] == pytest.approx(z**2, rel=1e-10)


def test_hand_computed_two_by_two() -> None:
    # responders 3/4 with RT, 1/4 without: OR = (3/1) / (1/3) = 9,
    # se(log OR) = sqrt(1/3 + 1 + 1 + 1/3), intercept = log(1/3)
    d = pd.DataFrame({"resp": [1, 0, 1, 1, 0, 0, 1, 0], "rt": [1, 0, 1, 0, 0, 1, 1, 0]})
    t = logistic(d, "rt", outcome="resp").odds_ratios()
    assert t.loc["rt", "or"] == pytest.approx(9.0, rel=1e-12)
    assert t.loc["rt", "se"] == pytest.approx(np.sqrt(8 / 3), rel=1e-12)
    assert t.loc["Intercept", "coef"] == pytest.approx(np.log(1 / 3), rel=1e-12)
    z = 1.959963984540054
    assert t.loc["rt", "ci_lower"] == pytest.approx(np.exp(np.log(9) - z * np.sqrt(8 / 3)))


def test_separation_warns_and_names_terms() -> None:
    d = pd.DataFrame({"y": [0, 0, 0, 0, 1, 1, 1, 1], "x": [1.0, 2, 3, 4, 5, 6, 7, 8],
                      "z": [1, 0, 1, 0, 1, 0, 0, 1]})
    with pytest.warns(MonotoneLikelihoodWarning, match="separation"):
        fit = logistic(d, "x + z", outcome="y")
    assert fit.separation
    assert "x" in fit.unstable
    assert bool(fit.odds_ratios().loc["x", "unstable"])
    assert "Separation" in fit.summary()
    _b, _, _, sep, unstable = fit_logistic_matrix(
        np.column_stack([np.ones(8), d["x"].to_numpy()]), d["y"].to_numpy(dtype=float))
    assert sep and unstable[1]


def test_no_warning_without_separation(sim: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = logistic(sim, "size + trt", outcome="response")
    assert fit.unstable == ()


def test_input_errors(sim: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="missing values") as e:
        logistic(sim, "age", outcome="response")
    assert e.value.column == "age" and e.value.n_rows == 12
    bad = sim.assign(response=sim["response"] * 2)
    with pytest.raises(InputError, match="not 0/1") as e:
        logistic(bad, "size", outcome="response")
    assert e.value.column == "response" and e.value.n_rows == int((bad["response"] == 2).sum())
    with pytest.raises(InputError, match="one value"):
        logistic(sim.assign(response=1), "size", outcome="response")
    with pytest.raises(InputError, match="no such column"):
        logistic(sim, "nope", outcome="response")
    with pytest.raises(InputError, match="collinear"):
        logistic(sim.assign(size2=2 * sim["size"]), "size + size2", outcome="response")
    with pytest.raises(InputError, match="conf_level"):
        logistic(sim, "size", outcome="response", conf_level=1.5)


def test_input_not_mutated_and_summary(sim: pd.DataFrame) -> None:
    before = sim.copy()
    fit = logistic(sim, "size + C(bclc, treatment('C'))", outcome="response")
    pd.testing.assert_frame_equal(sim, before)
    assert "C(bclc, treatment('C'))[T.A]" in fit.terms
    text = fit.summary()
    assert "Logistic regression: n = 300" in text and "AIC" in text
    assert str(fit) == text
    assert list(fit.to_frame().columns) == ["coef", "se", "or", "ci_lower", "ci_upper", "z",
                                            "p", "unstable"]
