"""cox_models, logistic_models and subgroups analyses run from a StudySpec (demo cohort)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hccstudy
from hccstudy.analyse.models import ModelBuildingResult, model_building
from hccstudy.analyse.subgroups import COLUMNS, SubgroupResult, subgroup_analysis
from hccstudy.errors import InputError

BASE = """\
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_months, event: death == 1}]
"""

SPEC = BASE + """\
analyses:
  - name: os_models
    type: cox_models
    endpoint: os
    covariates: [age_years, tumour_size_cm, sex, growth_pattern, "C(bclc_stage, treatment('B'))",
                 pvi, ccrt]
    univariate_test: score
    entry: univariate_p
    entry_p: 0.05
    criterion: wald
    p_remove: 0.10
  - name: resp_models
    type: logistic_models
    outcome: "os_months >= 12"
    covariates: [ccrt, tumour_size_cm, bclc_stage]
    univariate_test: lr
    criterion: lr
  - name: forest
    type: subgroups
    endpoint: os
    variables: [sex, bclc_stage, tumour_size_cm, pvi]
    cuts: {tumour_size_cm: [5]}
"""


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return hccstudy.datasets.load_demo()


@pytest.fixture(scope="module")
def result(demo: pd.DataFrame) -> hccstudy.design.run.StudyResult:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return hccstudy.run(SPEC, demo)


def test_cox_models_from_spec(result: hccstudy.design.run.StudyResult,
                              demo: pd.DataFrame) -> None:
    r = result.outcomes["os_models"]
    assert isinstance(r, ModelBuildingResult)
    covs = ["age_years", "tumour_size_cm", "sex", "growth_pattern",
            "C(bclc_stage, treatment('B'))", "pvi", "ccrt"]
    direct = model_building(demo, covs, time="os_months", event="death",
                            univariate_test="score", entry="univariate_p")
    pd.testing.assert_frame_equal(r.to_frame(), direct.to_frame())
    assert r.multivariable.path.equals(direct.multivariable.path)
    assert r.multivariable.n == len(demo)
    m = result.methods["cox_models:os_models"]
    assert "univariate Cox (score)" in m and "p < 0.05 entered" in m and "Wald p > 0.1" in m
    assert any(t.startswith("os_models: univariate score") for t in
               result.methods["tests"].split("; "))


def test_logistic_models_from_spec(result: hccstudy.design.run.StudyResult,
                                   demo: pd.DataFrame) -> None:
    r = result.outcomes["resp_models"]
    d = demo.assign(y=(demo["os_months"] >= 12).astype(int))
    direct = model_building(d, ["ccrt", "tumour_size_cm", "bclc_stage"], kind="logistic",
                            outcome="y", univariate_test="lr", criterion="lr")
    pd.testing.assert_frame_equal(r.to_frame(), direct.to_frame())
    assert r.to_frame().attrs["measure"] == "OR"
    assert "os_months >= 12" in result.methods["logistic_models:resp_models"]


def test_subgroups_from_spec(result: hccstudy.design.run.StudyResult,
                             demo: pd.DataFrame) -> None:
    r = result.outcomes["forest"]
    assert isinstance(r, SubgroupResult)
    t = r.to_frame()
    assert list(t.columns) == COLUMNS
    assert (r.treated, r.reference) == ("CCRT", "non-CCRT")
    direct = subgroup_analysis(demo, "arm", ["sex", "bclc_stage", "tumour_size_cm", "pvi"],
                               time="os_months", event="death", reference="non-CCRT",
                               cuts={"tumour_size_cm": [5]})
    pd.testing.assert_frame_equal(t, direct.to_frame())
    assert t["n_treated"].iloc[0] + t["n_control"].iloc[0] == len(demo)
    assert "likelihood-ratio" in result.methods["subgroups:forest"]


def test_logistic_outcome_with_unknown_rows(demo: pd.DataFrame) -> None:
    d = demo.copy()
    d["resp"] = np.where(np.arange(len(d)) % 3 == 0, "PR", "SD")
    d.loc[:4, "resp"] = None
    spec = BASE + """\
analyses:
  - {name: lm, type: logistic_models, outcome: "resp in ['CR', 'PR']",
     covariates: [ccrt, tumour_size_cm], selection: none}
"""
    r = hccstudy.run(spec, d)
    m = r.outcomes["lm"].multivariable
    assert m.n == len(d) - 5 and m.n_dropped == 5 and m.criterion == "none"
    assert "5 row(s) with an unknown outcome" in r.methods["logistic_models:lm"]


def test_matched_cohort_uses_outcome_variance(demo: pd.DataFrame) -> None:
    spec = BASE + """\
adjustment:
  method: match
  ps_formula: age_years + tumour_size_cm
  match: {ratio: 1, caliper: 0.2}
analyses:
  - {name: mb, type: cox_models, endpoint: os, covariates: [ccrt, tumour_size_cm],
     selection: none}
  - {name: sg, type: subgroups, endpoint: os, variables: [sex]}
"""
    r = hccstudy.run(spec, demo)
    assert "robust variance (cluster match_set)" in r.methods["cox_models:mb"]
    assert "on the adjusted cohort" in r.methods["subgroups:sg"]
    n_matched = int(r.outcomes["sg"].to_frame()[["n_treated", "n_control"]].iloc[0].sum())
    assert n_matched == r.outcomes["mb"].multivariable.n < len(demo)


@pytest.mark.parametrize(("analysis", "key"), [
    ("{name: x, type: cox_models, endpoint: os, covariates: [nope]}", "covariates"),
    ("{name: x, type: subgroups, endpoint: os, variables: [age_years]}", "variables"),
    ("{name: x, type: logistic_models, outcome: age_years, covariates: [ccrt]}", "outcome"),
])
def test_errors_name_the_spec_key(demo: pd.DataFrame, analysis: str, key: str) -> None:
    with pytest.raises(InputError, match=rf"analyses\[0\]\.{key}"):
        hccstudy.run(BASE + f"analyses:\n  - {analysis}\n", demo)


def test_spec_validation(demo: pd.DataFrame) -> None:
    with pytest.raises(Exception, match="force"):
        hccstudy.run(BASE + "analyses:\n  - {name: x, type: cox_models, endpoint: os, "
                     "covariates: [ccrt], force: [pvi]}\n", demo)
    with pytest.raises(Exception, match="cuts"):
        hccstudy.run(BASE + "analyses:\n  - {name: x, type: subgroups, endpoint: os, "
                     "variables: [sex], cuts: {pvi: [1]}}\n", demo)


def test_weighted_cohort_needs_wald_tests(demo: pd.DataFrame) -> None:
    spec = BASE + """\
adjustment:
  method: iptw
  ps_formula: age_years + tumour_size_cm
analyses:
  - {name: mb, type: cox_models, endpoint: os, covariates: [ccrt, sex], criterion: lr}
"""
    with pytest.raises(InputError, match=r"analyses\[0\]\.criterion.*Wald"):
        hccstudy.run(spec, demo)
    with pytest.raises(InputError, match=r"analyses\[0\]\.interaction_test"):
        hccstudy.run(spec.replace("{name: mb, type: cox_models, endpoint: os, covariates: "
                                  "[ccrt, sex], criterion: lr}",
                                  "{name: sg, type: subgroups, endpoint: os, variables: [sex]}"),
                     demo)
    r = hccstudy.run(spec.replace("criterion: lr", "criterion: wald").replace(
        "  - {name: mb", "  - {name: sg, type: subgroups, endpoint: os, variables: [sex], "
        "interaction_test: wald}\n  - {name: mb"), demo)
    assert "robust variance (cluster _row)" in r.methods["cox_models:mb"]
    assert r.outcomes["sg"].interaction_test == "wald"


def test_logistic_outcome_must_be_binary(demo: pd.DataFrame) -> None:
    spec = BASE + """\
analyses:
  - {name: lm, type: logistic_models, outcome: "os_months * 2", covariates: [ccrt]}
"""
    with pytest.raises(InputError, match=r"analyses\[0\]\.outcome.*True/False"):
        hccstudy.run(spec, demo)
