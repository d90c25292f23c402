"""Propensity model: R glm / Firth references, missing-data rules, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccstudy.adjust.propensity import fit_propensity, trim_common_support
from hccstudy.errors import InputError, MonotoneLikelihoodWarning

CASES = {
    "lalonde": "age + educ + race + married + nodegree + re74 + re75",
    "sim": "age + size_cm + stage + bclc + pvi + etiology",
    "ties": "a + b",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_glm_coefficients_match_r(name, ref_data, ref_json):
    # R: glm(treat ~ ..., binomial, control = glm.control(epsilon = 1e-14)); tol 1e-8
    ref = ref_json(f"adjust_{name}")
    d = ref_data(f"adjust_{name}")
    r = fit_propensity(d, "treat", CASES[name])
    np.testing.assert_allclose(r.coef, ref["coef"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(r.logit_ps, np.array(ref["distance"], dtype=float), rtol=0, atol=1e-8)
    np.testing.assert_allclose(r.ps, ref["ps"], rtol=0, atol=1e-10)
    assert r.loglik == pytest.approx(ref["loglik"], abs=1e-8)
    assert r.method == "ml" and r.converged and not r.separation
    assert len(r.terms) == len(ref["terms"])


def test_firth_on_separation_matches_penalised_optimum(ref_data, ref_json):
    # R: optim(BFGS, analytic modified score) on loglik + 0.5 log det I; tol 1e-6
    ref = ref_json("adjust_firth")
    d = ref_data("adjust_separation")
    with pytest.warns(MonotoneLikelihoodWarning, match="separation"):
        r = fit_propensity(d, "t", "x + z")
    assert r.method == "firth" and r.separation
    np.testing.assert_allclose(r.coef, ref["coef"], atol=1e-6)
    assert r.loglik == pytest.approx(ref["pen_loglik"], abs=1e-8)
    r2 = fit_propensity(d, "t", "x + z", method="firth")
    np.testing.assert_allclose(r2.coef, r.coef, atol=1e-10)
    with pytest.raises(InputError, match="separation"):
        fit_propensity(d, "t", "x + z", on_separation="raise")


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 120
    d = pd.DataFrame({"age": rng.normal(60, 8, n), "stage": rng.choice(["A", "B"], n),
                      "size": rng.gamma(2, 2, n)})
    d["t"] = (rng.random(n) < 1 / (1 + np.exp(-(d["age"] - 60) / 8))).astype(int)
    return d


def test_missing_covariates_error_names_columns_and_counts():
    d = _frame()
    d.loc[[1, 2, 3], "age"] = np.nan
    d.loc[[5], "stage"] = None
    with pytest.raises(InputError, match=r"'age': 3.*'stage': 1") as e:
        fit_propensity(d, "t", "age + stage")
    assert e.value.n_rows == 4


def test_missing_complete_case_and_indicator():
    d = _frame()
    d.loc[[1, 2, 3], "age"] = np.nan
    before = d.copy()
    r = fit_propensity(d, "t", "age + stage", missing="complete_case")
    assert r.n_dropped_missing == 3 and r.n == len(d) - 3
    assert np.isnan(r.ps[[1, 2, 3]]).all() and not r.used[1]
    ri = fit_propensity(d, "t", "age + stage", missing="indicator")
    assert "age_missing" in ri.terms and ri.n == len(d)
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize("values, msg", [
    ([0, 1, 2] * 40, "binary"),
    ([0] * 120, "no patients"),
    ([1] * 120, "no patients"),
])
def test_bad_treatment(values, msg):
    d = _frame()
    d["t"] = values
    with pytest.raises(InputError, match=msg):
        fit_propensity(d, "t", "age")


def test_treated_value_and_unknown_column():
    d = _frame()
    d["arm"] = np.where(d["t"] == 1, "CCRT", "other")
    r = fit_propensity(d, "arm", "age + stage", treated="CCRT")
    r0 = fit_propensity(d, "t", "age + stage")
    np.testing.assert_allclose(r.coef, r0.coef)
    with pytest.raises(InputError, match="unknown column"):
        fit_propensity(d, "t", "age + nosuch")


def test_input_not_mutated_and_trim():
    d = _frame()
    before = d.copy()
    r = fit_propensity(d, "t", "age + stage + size")
    pd.testing.assert_frame_equal(d, before)
    tr = trim_common_support(r)
    p1, p0 = r.ps[r.treat == 1], r.ps[r.treat == 0]
    assert tr.lower == max(p1.min(), p0.min()) and tr.upper == min(p1.max(), p0.max())
    assert tr.keep.sum() + tr.n_dropped_treated + tr.n_dropped_control == len(d)
    cr = trim_common_support(r, rule="crump", alpha=0.1)
    assert ((r.ps[cr.keep] >= 0.1) & (r.ps[cr.keep] <= 0.9)).all()


@pytest.mark.parametrize("rhs", ["age + flag + nflag + stage + cat", "C(grade) + age + flag",
                                 "age + C(flag)", "stage + C(stage2)"])
def test_fast_model_matrix_equals_formulaic(rhs):
    """The plain-terms model matrix (no formulaic import) has formulaic's columns and names,
    bool columns included (True/False entered as 1/0); anything else falls back."""
    from formulaic import model_matrix

    from hccstudy.adjust.propensity import _fast_model_matrix, _rhs_variables

    rng = np.random.default_rng(3)
    n = 40
    d = pd.DataFrame({
        "age": rng.normal(60, 9, n),
        "flag": rng.random(n) < 0.4,
        "nflag": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        "stage": rng.choice(["B", "A", "C"], n),
        "stage2": rng.choice(["IVA", "III"], n),
        "cat": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "hi"]),
        "grade": rng.integers(1, 4, n),
    })
    fast = _fast_model_matrix(rhs, d)
    mm = model_matrix(rhs, d, na_action="ignore", output="numpy")
    ref = tuple(str(c) for c in mm.model_spec.column_names)
    if "C(flag)" in rhs:
        assert fast is None  # a forced categorical bool goes to formulaic
        return
    assert fast is not None
    assert fast[1] == ref
    np.testing.assert_array_equal(fast[0], np.asarray(mm, dtype=float))
    assert _rhs_variables(rhs) == sorted(str(v) for v in mm.model_spec.required_variables)
