"""Response tables: binomial CIs, ORR / DCR by group, tests, differences, binary rates.

R references from tests/reference/r/60_response.R (base R stats):
``binom.test(x, n, conf.level)$conf.int`` (Clopper-Pearson), ``prop.test(x, n, correct =
FALSE / TRUE)$conf.int`` (Wilson, Wilson with continuity correction); two-sample
``prop.test(c(x1, x0), c(n1, n0), correct = FALSE / TRUE)$conf.int`` and Newcombe's hybrid
score interval computed in R from the Wilson limits; ``chisq.test(correct = FALSE / TRUE)``
and ``fisher.test`` p-values on the response tables of data response_sim. Tolerance 1e-10
absolute (CIs, chi-square p) and 1e-8 relative (Fisher).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstudy.analyse.response import (
    difference_ci,
    group_test,
    proportion_ci,
    proportion_table,
    response_table,
)
from hccstudy.errors import InputError

TOL = 1e-10
CATS = ["CR", "PR", "SD", "PD", "NE"]


# ------------------------------------------------------------------- binomial CIs vs R
def test_proportion_ci_matches_r(ref_json: Any) -> None:
    for case in ref_json("response_binom_ci"):
        x, n, conf = int(case["x"]), int(case["n"]), case["conf"]
        for method, key in (("clopper-pearson", "cp"), ("wilson", "wilson"),
                            ("wilson-cc", "wilson_cc")):
            lo, hi = proportion_ci(x, n, method, conf)  # type: ignore[arg-type]
            assert lo == pytest.approx(case[key][0], abs=TOL), (x, n, conf, method)
            assert hi == pytest.approx(case[key][1], abs=TOL), (x, n, conf, method)


def test_difference_ci_matches_r(ref_json: Any) -> None:
    for case in ref_json("response_diff_ci"):
        args = (int(case["x1"]), int(case["n1"]), int(case["x0"]), int(case["n0"]))
        for method, key in (("wald", "wald"), ("wald-cc", "wald_cc"),
                            ("newcombe", "newcombe")):
            est, lo, hi = difference_ci(*args, method)  # type: ignore[arg-type]
            assert est == pytest.approx(case["diff"], abs=TOL)
            assert lo == pytest.approx(case[key][0], abs=TOL), (args, method)
            assert hi == pytest.approx(case[key][1], abs=TOL), (args, method)


def test_proportion_ci_edges_and_errors() -> None:
    assert proportion_ci(0, 10, "wilson")[0] == 0.0
    assert proportion_ci(10, 10, "wilson-cc")[1] == 1.0
    assert all(np.isnan(proportion_ci(0, 0)))
    # hand: Clopper-Pearson upper limit for 0/n is 1 - (alpha/2)^(1/n)
    assert proportion_ci(0, 10)[1] == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-14)
    with pytest.raises(InputError, match="0 <= x <= n"):
        proportion_ci(5, 3)
    with pytest.raises(InputError, match="conf_level"):
        proportion_ci(1, 3, conf_level=1.5)
    with pytest.raises(InputError, match="unknown CI method"):
        proportion_ci(1, 3, "agresti")  # type: ignore[arg-type]


# -------------------------------------------------------------- response table vs R
@pytest.fixture(scope="module")
def resp(ref_data: Any) -> pd.DataFrame:
    d: pd.DataFrame = ref_data("response_sim")
    return d


@pytest.mark.parametrize("denominator", ["all", "evaluable"])
def test_response_table_matches_r(resp: pd.DataFrame, ref_json: Any, denominator: str) -> None:
    ref = ref_json("response_sim")[denominator]
    cats = CATS if denominator == "all" else CATS[:4]
    res = {t: response_table(resp, "response", "arm", test=t,  # type: ignore[arg-type]
                             denominator=denominator)  # type: ignore[arg-type]
           for t in ("auto", "chisq", "chisq_yates", "fisher")}
    r0 = res["auto"]
    assert r0.n == ref["n"]
    assert r0.n_missing == {"IO_T": 1, "RT_IO_T": 1}
    rates = r0.to_frame().set_index(["measure", "group"])
    for m in [*cats, "ORR", "DCR"]:
        for g in ("IO_T", "RT_IO_T"):
            assert rates.loc[(m, g), "x"] == ref[m]["x"][g]
            assert rates.loc[(m, g), "n"] == ref["n"][g]
    for m in ("ORR", "DCR"):
        for g in ("IO_T", "RT_IO_T"):
            assert rates.loc[(m, g), "ci_lower"] == pytest.approx(ref[m]["ci"][g][0], abs=TOL)
            assert rates.loc[(m, g), "ci_upper"] == pytest.approx(ref[m]["ci"][g][1], abs=TOL)
    for m in [*cats, "ORR", "DCR"]:
        for t in ("chisq", "chisq_yates"):
            p = res[t].tests().set_index("measure").loc[m, "p_value"]
            assert p == pytest.approx(ref[m][t], abs=TOL), (m, t)
        p = res["fisher"].tests().set_index("measure").loc[m, "p_value"]
        assert p == pytest.approx(ref[m]["fisher"], rel=1e-8), m
        # auto: chi-square when every expected count >= 5, else Fisher (seed 004's rule)
        row = r0.tests().set_index("measure").loc[m]
        want = "chisq" if ref[m]["expected_min"] >= 5 else "fisher"
        assert row["p_value"] == pytest.approx(ref[m][want], rel=1e-8), m
        assert row["test"] == ("Pearson chi-square" if want == "chisq" else "Fisher exact")
        assert row["reason"].startswith("auto:")
    dist = res["fisher"].tests().set_index("measure").loc["distribution"]
    assert dist["p_value"] == pytest.approx(ref["distribution"]["fisher"], rel=1e-8)
    assert dist["test"] == "Fisher-Freeman-Halton exact"
    dist = res["chisq"].tests().set_index("measure").loc["distribution", "p_value"]
    assert dist == pytest.approx(ref["distribution"]["chisq"], abs=TOL)


def test_seed004_table3(ref_json: Any) -> None:
    """Seed 004 Table 3: PR 15/42 vs 20/29 p = 0.006; DCR 0.003; PD 0.003; SD 0.94."""
    ref = ref_json("response_seed004")
    d = pd.DataFrame({"arm": ["IO+T"] * 42 + ["RT+IO+T"] * 29,
                      "r": ["PR"] * 15 + ["SD"] * 9 + ["PD"] * 18
                      + ["PR"] * 20 + ["SD"] * 6 + ["PD"] * 3})
    res = response_table(d, "r", "arm", label="3 months")
    t = res.tests().set_index("measure")
    assert t.loc["ORR", "p_value"] == pytest.approx(ref["pr"], abs=TOL)
    assert t.loc["PR", "p_value"] == pytest.approx(ref["pr"], abs=TOL)
    assert t.loc["DCR", "p_value"] == pytest.approx(ref["dcr"], abs=TOL)
    assert t.loc["PD", "p_value"] == pytest.approx(ref["pd"], abs=TOL)
    assert t.loc["SD", "p_value"] == pytest.approx(ref["sd"], abs=TOL)
    assert np.isnan(t.loc["CR", "p_value"])  # no CR in either arm: no test ("-")
    assert [round(x, 3) for x in t.loc[["ORR", "DCR", "PD", "SD"], "p_value"]] == \
        [0.006, 0.003, 0.003, 0.94]
    f = res.to_frame().set_index(["measure", "group"])
    assert round(f.loc[("ORR", "RT+IO+T"), "rate"] * 100, 1) == 69.0
    assert round(f.loc[("DCR", "IO+T"), "rate"] * 100, 1) == 57.1
    assert "3 months" in res.summary()
    assert "RT+IO+T" in repr(res)


# ------------------------------------------------------------------- hand-computed cases
def test_tiny_hand_case() -> None:
    d = pd.DataFrame({"bor": ["CR", "PR", "pr", "SD", "PD", "NE", None],
                      "g": ["a", "a", "b", "b", "b", "a", "a"],
                      "chg": [-100.0, -40.0, -40.0, 5.0, 30.0, np.nan, -10.0]})
    res = response_table(d, "bor", "g", change="chg")
    f = res.to_frame().set_index(["measure", "group"])
    assert res.n == {"a": 3, "b": 3} and res.n_missing == {"a": 1, "b": 0}
    assert f.loc[("ORR", "a"), "x"] == 2 and f.loc[("ORR", "b"), "x"] == 1
    assert f.loc[("DCR", "b"), "rate"] == pytest.approx(2 / 3)
    assert f.loc[("NE", "a"), "rate"] == pytest.approx(1 / 3)
    ev = response_table(d, "bor", "g", denominator="evaluable")
    assert ev.n == {"a": 2, "b": 3} and ev.n_not_evaluable == {"a": 1, "b": 0}
    assert "NE" not in ev.to_frame()["measure"].tolist()
    assert ev.to_frame().set_index(["measure", "group"]).loc[("ORR", "a"), "rate"] == 1.0
    # differences b - a (reference = first level)
    dd = res.differences().set_index("measure")
    assert dd.loc["ORR", "estimate"] == pytest.approx(1 / 3 - 2 / 3)
    assert dd.loc["ORR", "reference"] == "a"
    # waterfall: sorted values (largest first), with group and category, no ids
    w = res.waterfall_data()
    assert w["value"].tolist() == [30.0, 5.0, -40.0, -40.0, -100.0]
    assert w.columns.tolist() == ["value", "group", "category"]
    assert w["category"].tolist()[2:4] == ["PR", "PR"]


def test_overall_only_and_reference() -> None:
    d = pd.DataFrame({"bor": ["PR"] * 21 + ["SD"] * 10 + ["PD"] * 16})
    res = response_table(d, "bor")
    assert res.groups == ("all",)
    assert res.tests().empty and res.differences().empty
    assert res.waterfall_data().empty
    orr = res.to_frame().set_index("measure").loc["ORR"]
    assert (orr["x"], orr["n"]) == (21, 47)  # seed 002 ORR after CCRT 44.7 %
    assert round(orr["rate"] * 100, 1) == 44.7
    d2 = pd.DataFrame({"bor": ["PR", "SD", "PD", "PR"], "g": ["x", "y", "x", "y"]})
    r2 = response_table(d2, "bor", "g", reference="y")
    assert r2.differences()["group"].tolist() == ["x", "x"]
    with pytest.raises(InputError, match="reference"):
        response_table(d2, "bor", "g", reference="z")


def test_response_errors() -> None:
    d = pd.DataFrame({"bor": ["PR", "XX", "XX"], "g": ["a", None, "b"]})
    with pytest.raises(InputError) as e:
        response_table(d.assign(g="a"), "bor")
    assert e.value.column == "bor" and e.value.n_rows == 2
    assert e.value.rule == "response category"
    with pytest.raises(InputError) as e:
        response_table(d.assign(bor="PR"), "bor", "g")
    assert e.value.column == "g" and e.value.n_rows == 1
    with pytest.raises(InputError, match="unknown response column"):
        response_table(d, "nope")
    with pytest.raises(InputError, match="categories"):
        response_table(d, "bor", categories=("CR", "IR"))


def test_group_test_reason() -> None:
    p, name, why = group_test(np.array([[0, 0], [5, 6]]))
    assert np.isnan(p) and "no variation" in why
    p, name, why = group_test(np.array([[3, 9], [7, 2]]), "chisq_yates")
    assert name == "Pearson chi-square (Yates)" and why == "chosen (test = chisq_yates)"
    with pytest.raises(InputError, match="unknown test"):
        group_test(np.array([[3, 9], [7, 2]]), "g")  # type: ignore[arg-type]


# ------------------------------------------------------------------------- proportion
def test_proportion_table() -> None:
    d = pd.DataFrame({"conv": [1] * 9 + [0] * 38})
    r = proportion_table(d, "conv", label="conversion").to_frame().iloc[0]
    lo, hi = proportion_ci(9, 47)
    assert (r["x"], r["n"]) == (9, 47)
    assert r["ci_lower"] == pytest.approx(lo) and r["ci_upper"] == pytest.approx(hi)
    d2 = pd.DataFrame({"conv": [True, False, None, True, True, False],
                       "g": ["a", "a", "a", "b", "b", "b"]})
    res = proportion_table(d2, "conv", "g", ci="wilson")
    f = res.to_frame().set_index("group")
    assert f.loc["a", "n"] == 2 and res.n_missing == {"a": 1, "b": 0}
    assert f.loc["b", "rate"] == pytest.approx(2 / 3)
    assert res.tests()["test"].tolist() == ["Fisher exact"]
    assert res.differences()["estimate"].iloc[0] == pytest.approx(2 / 3 - 1 / 2)
    assert "p =" in res.summary() and "ProportionResult" in repr(res)
    with pytest.raises(InputError) as e:
        proportion_table(pd.DataFrame({"conv": ["none", "resection"]}), "conv")
    assert e.value.column == "conv" and e.value.n_rows == 2


# ------------------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60),
       st.sampled_from(["clopper-pearson", "wilson", "wilson-cc"]),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_ci_contains_estimate(a: int, b: int, method: str, conf: float) -> None:
    x, n = min(a, b), max(a, b)
    if n == 0:
        return
    lo, hi = proportion_ci(x, n, method, conf)  # type: ignore[arg-type]
    assert 0.0 <= lo <= x / n + 1e-12 and x / n - 1e-12 <= hi <= 1.0


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CATS), st.sampled_from(["a", "b"]),
                          st.floats(-100, 100)), min_size=2, max_size=30),
       st.randoms(use_true_random=False))
def test_response_order_invariant_and_not_mutated(rows: list[tuple[str, str, float]],
                                                  rnd: Any) -> None:
    d = pd.DataFrame(rows, columns=["bor", "g", "chg"])
    before = d.copy()
    r1 = response_table(d, "bor", "g", change="chg", group_order=["a", "b"])
    pd.testing.assert_frame_equal(d, before)
    idx = list(range(len(d)))
    rnd.shuffle(idx)
    r2 = response_table(d.iloc[idx], "bor", "g", change="chg", group_order=["a", "b"])
    pd.testing.assert_frame_equal(r1.to_frame(), r2.to_frame())
    pd.testing.assert_frame_equal(r1.tests(), r2.tests())
    pd.testing.assert_frame_equal(r1.waterfall_data(), r2.waterfall_data())
    f = r1.to_frame()
    ok = f["n"] > 0
    assert ((f.loc[ok, "rate"] >= 0) & (f.loc[ok, "rate"] <= 1)).all()
    assert (f.loc[ok, "ci_lower"] <= f.loc[ok, "rate"] + 1e-12).all()
    assert (f.loc[ok, "ci_upper"] >= f.loc[ok, "rate"] - 1e-12).all()
