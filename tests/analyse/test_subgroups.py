"""Subgroup HRs and interaction tests.

R references from tests/reference/r/50_models.R (survival 3.5.x), data models_sim (n = 300,
seeded, whole-month times with ties): ``coxph(Surv(time, death) ~ trt [+ size])`` on each
subset of sex, bclc, size >= 8 and pvi (HR, CI, Wald p, n and events per arm); interaction
p by ``anova(coxph(~ trt + v), coxph(~ trt * v))`` and by the Wald test of the ``trt:v``
coefficients. Tolerances: HR and CI 1e-8 relative, p-values 1e-6 relative.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.analyse.subgroups import COLUMNS, subgroup_analysis
from hccstudy.errors import InputError

R_VARS = {"sex": "sex", "bclc": "bclc", "size": "size_ge8", "pvi": "pvi_f"}


@pytest.fixture(scope="module")
def sim(ref_data: Any) -> pd.DataFrame:
    d: pd.DataFrame = ref_data("models_sim")
    return d


def _run(d: pd.DataFrame, **kw: Any) -> Any:
    return subgroup_analysis(d, "trt", list(R_VARS), time="time", event="death",
                             reference="NRT", cuts={"size": [8]}, **kw)


@pytest.mark.parametrize("adjust", [(), ("size",)])
@pytest.mark.parametrize("test", ["lr", "wald"])
def test_matches_r(sim: pd.DataFrame, ref_json: Any, adjust: tuple[str, ...],
                   test: str) -> None:
    ref = ref_json("subgroups_sim")["adjusted_size" if adjust else "unadjusted"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = _run(sim, adjust_for=adjust, interaction_test=test)
    t = r.to_frame()
    assert list(t.columns) == COLUMNS
    o = t.iloc[0]
    assert (o["variable"], o["level"]) == ("Overall", "All")
    assert o["n_treated"] + o["n_control"] == len(sim)
    assert o["hr"] == pytest.approx(ref["Overall"]["hr"], rel=1e-8)
    assert o["p_value"] == pytest.approx(ref["Overall"]["p"], rel=1e-6)
    assert np.isnan(o["p_interaction"])
    for v, rv in R_VARS.items():
        rows = t[t["variable"] == v]
        levels = ref[rv]["levels"]
        assert rows["level"].tolist() == [str(x) for x in levels]
        for (_, row), lv in zip(rows.iterrows(), levels.values(), strict=True):
            assert row[["n_treated", "events_treated", "n_control", "events_control"]].tolist() \
                == [lv["n_treated"], lv["events_treated"], lv["n_control"], lv["events_control"]]
            assert row["hr"] == pytest.approx(lv["hr"], rel=1e-8)
            assert row["ci_lower"] == pytest.approx(lv["lower"], rel=1e-8)
            assert row["ci_upper"] == pytest.approx(lv["upper"], rel=1e-8)
            assert row["p_value"] == pytest.approx(lv["p"], rel=1e-6)
            assert row["estimable"] and row["note"] == ""
        key = "p_interaction" if test == "lr" else "p_interaction_wald"
        assert (rows["p_interaction"] == rows["p_interaction"].iloc[0]).all()
        assert rows["p_interaction"].iloc[0] == pytest.approx(ref[rv][key], rel=1e-6)
        it = r.interactions.set_index("variable").loc[v]
        assert it["df"] == ref[rv]["df"]
        if test == "lr":
            assert it["statistic"] == pytest.approx(ref[rv]["chisq"], rel=1e-6)


def _tiny() -> pd.DataFrame:
    # 8 patients, ties at t = 2 and 5; stage "early": the RT arm has no death
    return pd.DataFrame({
        "t": [2, 2, 3, 5, 5, 6, 8, 9, 4, 7],
        "e": [1, 1, 0, 1, 1, 1, 0, 1, 0, 1],
        "arm": ["RT", "NRT", "RT", "NRT", "RT", "NRT", "RT", "NRT", "RT", "NRT"],
        "stage": ["late", "late", "early", "late", "late", "early", "late", "late", "early",
                  "early"],
    })


def test_zero_event_arm_not_estimable_without_warning() -> None:
    d = _tiny()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the monotone-likelihood warning must not escape
        r = subgroup_analysis(d, "arm", ["stage"], time="t", event="e", reference="NRT")
    t = r.to_frame().set_index("level")
    early = t.loc["early"]
    # by hand: early = rows 3, 6, 9, 10: RT (3, 9) 0 deaths, NRT (6, 10) 2 deaths
    assert early[["n_treated", "events_treated", "n_control", "events_control"]].tolist() == \
        [2, 0, 2, 2]
    assert not early["estimable"] and np.isnan(early["hr"]) and np.isnan(early["ci_upper"])
    assert "no events in arm RT" in early["note"]
    late = t.loc["late"]
    assert late[["n_treated", "events_treated", "n_control", "events_control"]].tolist() == \
        [3, 2, 3, 3]
    assert late["estimable"] and np.isfinite(late["hr"])
    # the interaction model has a diverging coefficient: the test is reported, with a note
    note = r.interactions.set_index("variable").loc["stage", "note"]
    assert "monotone likelihood" in note
    assert 0 <= t.loc["early", "p_interaction"] <= 1
    assert "not estimable" in r.summary()


def test_one_arm_level_and_empty_cut_bin() -> None:
    d = _tiny().assign(size=[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                       site=["a", "a", "b", "b", "a", "a", "b", "b", "c", "c"])
    d.loc[d["site"] == "c", "arm"] = "RT"  # level c has treated patients only
    r = subgroup_analysis(d, "arm", ["site", "size"], time="t", event="e", reference="NRT",
                          cuts={"size": [5, 20]})
    t = r.to_frame()
    c = t[(t["variable"] == "site") & (t["level"] == "c")].iloc[0]
    assert not c["estimable"] and c["note"] == "no patients in arm NRT"
    it = r.interactions.set_index("variable")
    assert it.loc["site", "df"] == 1  # the site c interaction is aliased (R: NA), df reduced
    assert "not estimable" in it.loc["site", "note"]
    size = t[t["variable"] == "size"]
    assert size["level"].tolist() == ["< 5", "5 to < 20", ">= 20"]
    top = size.iloc[2]
    assert top["n_treated"] + top["n_control"] == 0 and top["note"] == "no patients"


def test_missing_subgroup_values_and_adjusted_within_level(sim: pd.DataFrame) -> None:
    d = sim.copy()
    d.loc[:9, "sex"] = None
    r = subgroup_analysis(d, "trt", ["sex", "bclc"], time="time", event="death",
                          reference="NRT", adjust_for=["bclc", "size"])
    it = r.interactions.set_index("variable")
    assert it.loc["sex", "n_missing"] == 10
    t = r.to_frame()
    sex = t[t["variable"] == "sex"]
    assert int((sex["n_treated"] + sex["n_control"]).sum()) == len(sim) - 10
    # bclc adjusted for itself: left out of its own panel, the interaction is still tested
    assert np.isfinite(t.loc[t["variable"] == "bclc", "p_interaction"]).all()
    assert "adjusted for bclc, size" in r.method


def test_bad_input(sim: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="cut points") as e:
        subgroup_analysis(sim, "trt", ["size"], time="time", event="death", reference="NRT")
    assert e.value.column == "size"
    with pytest.raises(InputError, match="two groups") as e:
        subgroup_analysis(sim, "bclc", ["sex"], time="time", event="death", reference="A")
    assert e.value.column == "bclc"
    with pytest.raises(InputError, match="reference"):
        subgroup_analysis(sim, "trt", ["sex"], time="time", event="death", reference="X")
    with pytest.raises(InputError, match="not subgroup variables"):
        subgroup_analysis(sim, "trt", ["sex"], time="time", event="death", reference="NRT",
                          cuts={"size": [5]})
    with pytest.raises(InputError, match="no such column"):
        subgroup_analysis(sim, "trt", ["nope"], time="time", event="death", reference="NRT")
    with pytest.raises(InputError, match="interaction_test"):
        subgroup_analysis(sim, "trt", ["sex"], time="time", event="death", reference="NRT",
                          interaction_test="score")  # type: ignore[arg-type]


def test_input_not_mutated_and_repr(sim: pd.DataFrame) -> None:
    before = sim.copy()
    r = _run(sim)
    pd.testing.assert_frame_equal(sim, before)
    assert "RT" in repr(r) and "rows=" in repr(r)
    assert r.summary().startswith("Subgroup HRs, RT vs NRT")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_invariant_to_row_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    d = pd.DataFrame({
        "t": rng.integers(1, 12, n).astype(float), "e": rng.integers(0, 2, n),
        "arm": rng.choice(["A", "B"], n), "g": rng.choice(["x", "y", "z"], n),
        "s": rng.uniform(0, 10, n).round(1)})
    kw: dict[str, Any] = dict(time="t", event="e", reference="A", cuts={"s": [5]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = subgroup_analysis(d, "arm", ["g", "s"], **kw).to_frame()
        b = subgroup_analysis(d.sample(frac=1, random_state=int(seed % 1000)), "arm",
                              ["g", "s"], **kw).to_frame()
    pd.testing.assert_frame_equal(a, b, rtol=1e-7, atol=1e-9)


def test_weighted_needs_wald_interaction(sim: pd.DataFrame) -> None:
    d = sim.assign(w=np.linspace(0.5, 1.5, len(sim)))
    with pytest.raises(InputError, match="Wald") as e:
        subgroup_analysis(d, "trt", ["sex"], time="time", event="death", reference="NRT",
                          weights="w")
    assert e.value.column == "w"
    r = subgroup_analysis(d, "trt", ["sex"], time="time", event="death", reference="NRT",
                          weights="w", interaction_test="wald")
    assert r.to_frame()["estimable"].all()
