"""Paired / small-sample comparisons: Wilcoxon signed-rank, McNemar, Bowker, G-test.

R references from tests/reference/r/60_response.R on data paired_sim:
``wilcox.test(before, after, paired = TRUE)`` (R defaults) in the exact regime (n = 14 and
n = 6, no ties, an incomplete pair dropped) and the normal approximation (ties and zeros;
n = 60 >= 50); ``mcnemar.test(correct = TRUE / FALSE)``; ``binom.test(b, b + c)`` (exact
McNemar); ``mcnemar.test`` on a 3 x 3 table (Bowker); the likelihood-ratio G-test computed
by hand in R on seed 003's Table I counts. Tolerance 1e-8 relative (Wilcoxon), 1e-10
absolute otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstudy.analyse.paired import (
    bowker_test,
    mcnemar_exact,
    mcnemar_test,
    paired_comparison,
    unpaired_lr_chisq,
    wilcoxon_signed_rank,
)
from hccstudy.errors import InputError

TOL = 1e-10


@pytest.fixture(scope="module")
def pairs_data(ref_data: Any) -> pd.DataFrame:
    d: pd.DataFrame = ref_data("paired_sim")
    return d


@pytest.mark.parametrize("case,regime", [("exact", "exact"), ("small", "exact"),
                                         ("ties", "normal"), ("large", "normal")])
def test_wilcoxon_matches_r(pairs_data: pd.DataFrame, ref_json: Any, case: str,
                            regime: str) -> None:
    ref = ref_json("paired_wilcoxon")[case]
    v, p, how = wilcoxon_signed_rank(pairs_data[f"pre_{case}"], pairs_data[f"post_{case}"])
    assert v == ref["V"]
    assert p == pytest.approx(ref["p"], rel=1e-8)
    assert (regime == "exact") == ("exact" in how)


def test_wilcoxon_forced_normal(pairs_data: pd.DataFrame, ref_json: Any) -> None:
    ref = ref_json("paired_wilcoxon")["large_exact_forced"]
    _, p, how = wilcoxon_signed_rank(pairs_data["pre_large"], pairs_data["post_large"],
                                     exact=False)
    assert p == pytest.approx(ref["p"], rel=1e-8) and "normal" in how


def test_wilcoxon_hand() -> None:
    # differences 1, 2, 3 (all positive): V = 6, exact two-sided p = 2 * 1/8 = 0.25
    assert wilcoxon_signed_rank([2, 4, 6], [1, 2, 3])[:2] == (6.0, 0.25)
    # all differences zero: nothing to test
    _, p, how = wilcoxon_signed_rank([1, 2], [1, 2])
    assert np.isnan(p) and "not computed" in how
    # zeros force the normal approximation (R): differences 0, 1, -2, 3, 4
    _, p, how = wilcoxon_signed_rank([5, 6, 3, 8, 9], [5, 5, 5, 5, 5])
    assert "normal" in how
    z = (8.0 - 5.0 - 0.5) / np.sqrt(4 * 5 * 9 / 24)
    from scipy.stats import norm

    assert p == pytest.approx(2 * norm.sf(z), rel=1e-12)


def test_mcnemar_matches_r(ref_json: Any) -> None:
    for case in ref_json("paired_mcnemar").values():
        tab = np.array(case["table"])
        s, p = mcnemar_test(tab)
        assert s == pytest.approx(case["stat"], abs=TOL)
        assert p == pytest.approx(case["corrected"], abs=TOL)
        assert mcnemar_test(tab, correct=False)[1] == pytest.approx(case["uncorrected"],
                                                                    abs=TOL)
        assert mcnemar_exact(tab) == pytest.approx(case["exact"], abs=TOL)


def test_bowker_matches_r(ref_json: Any) -> None:
    ref = ref_json("paired_bowker")
    s, df, p = bowker_test(np.array(ref["table"]))
    assert s == pytest.approx(ref["stat"], abs=TOL) and df == 3
    assert p == pytest.approx(ref["p"], abs=TOL)
    # an empty pair of cells is left out of the statistic and the df
    s2, df2, _ = bowker_test(np.array([[4, 0, 2], [0, 3, 1], [5, 3, 2]]))
    assert df2 == 2 and s2 == pytest.approx(9 / 7 + 4 / 4)
    with pytest.raises(InputError, match="square"):
        bowker_test(np.ones((2, 3)))


def test_gtest_seed003(ref_json: Any) -> None:
    """Seed 003 Table I: Child-Pugh 0.089, > 10 cm 0.005, single 0.502, T 0.252,
    vp 0.798 and vv 0.462 (the last two among the patients with thrombus)."""
    ref = ref_json("paired_gtest_seed003")
    tables = {"child_pugh": [[18, 16], [0, 2]], "size_gt10": [[5, 0], [13, 18]],
              "single": [[7, 9], [11, 9]], "t_stage": [[1, 4], [7, 4], [10, 10]],
              "vp": [[3, 3], [4, 5], [2, 1]], "vv": [[1, 2], [3, 2]],
              "vp_with_vp0": [[9, 9], [3, 3], [4, 5], [2, 1]]}
    printed = {"child_pugh": 0.089, "size_gt10": 0.005, "single": 0.502, "t_stage": 0.252,
               "vp": 0.798, "vv": 0.462}
    for k, tab in tables.items():
        g, df, p = unpaired_lr_chisq(np.array(tab))
        assert g == pytest.approx(ref[k]["g"], abs=TOL)
        assert df == ref[k]["df"]
        assert p == pytest.approx(ref[k]["p"], abs=TOL)
        if k in printed:
            assert round(p, 3) == printed[k]


def _seed003_frame() -> pd.DataFrame:
    """18 patients with the Table I margins (one compatible pairing)."""
    return pd.DataFrame({
        "cp0": [5] * 18, "cp1": [5] * 16 + [6] * 2,
        "big0": [1] * 5 + [0] * 13, "big1": [0] * 18,
        "t0": ["T2"] + ["T3a"] * 7 + ["T3b"] * 10,
        "t1": ["T2"] * 4 + ["T3a"] * 4 + ["T3b"] * 10,
        "afp0": [3748.0, 17.8, 270000, 5120, 880, 43, 12000, 640, 3100, 15000, 77, 410,
                 9000, 222, 58000, 4300, 1500, 260],
        "afp1": [31.8, 2.7, 10452, 40, 18, 5.1, 300, 35, 60, 900, 8, 20, 410, 12, 2200, 29,
                 100, 14],
        "g": ["A"] * 6 + ["B"] * 4 + ["C"] * 8})


def test_paired_comparison_seed003() -> None:
    d = _seed003_frame()
    pairs = {"Child-Pugh": ("cp0", "cp1"), "> 10 cm": ("big0", "big1"),
             "T stage": ("t0", "t1"), "AFP": ("afp0", "afp1")}
    g = paired_comparison(d, pairs, kind={
        "Child-Pugh": "unpaired_g", "> 10 cm": "unpaired_g", "T stage": "unpaired_g"})
    f = g.to_frame().set_index("label")
    assert [round(x, 3) for x in f.loc[["Child-Pugh", "> 10 cm", "T stage"], "p_value"]] == \
        [0.089, 0.005, 0.252]
    assert f.loc["AFP", "kind"] == "wilcoxon" and f.loc["AFP", "reason"].startswith("auto")
    # the proper paired tests
    auto = paired_comparison(d, pairs).to_frame().set_index("label")
    assert auto["kind"].tolist() == ["mcnemar", "mcnemar", "symmetry", "wilcoxon"]
    assert auto.loc["> 10 cm", "p_value"] == pytest.approx(mcnemar_test([[13, 0], [5, 0]])[1])
    ex = paired_comparison(d, {"> 10 cm": ("big0", "big1")}, kind="mcnemar_exact")
    assert ex.to_frame()["p_value"].iloc[0] == pytest.approx(0.0625)  # 2 * 0.5^5
    v, p, _ = wilcoxon_signed_rank(d["afp0"], d["afp1"])
    assert auto.loc["AFP", "p_value"] == p and auto.loc["AFP", "statistic"] == v
    c = g.continuous().set_index("phase")
    assert c.loc["before", "median"] == pytest.approx(np.median(d["afp0"]))
    assert c.loc["before", "max"] == 270000
    cat = g.categorical()
    cp = cat[cat["label"] == "Child-Pugh"].set_index("level")
    assert cp.loc["6", ["before_n", "after_n"]].tolist() == [0, 2]
    assert cp.loc["5", "after_pct"] == pytest.approx(100 * 16 / 18)
    # per group
    by = paired_comparison(d, {"AFP": ("afp0", "afp1")}, by="g").to_frame()
    assert by["group"].tolist() == ["A", "B", "C"] and by["n_pairs"].tolist() == [6, 4, 8]
    assert "AFP [A]" in paired_comparison(d, {"AFP": ("afp0", "afp1")}, by="g").summary()


def test_missing_pairs_and_errors() -> None:
    d = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0, 7.0], "b": [2.0, np.nan, 3.0, 1.0, 5.0],
                      "c": ["x", "y", "z", "x", "y"], "e": ["y", "y", "x", "z", "x"]})
    r = paired_comparison(d, {"v": ("a", "b")}).to_frame().iloc[0]
    assert (r["n_pairs"], r["n_excluded"]) == (3, 2)
    with pytest.raises(InputError, match="numeric"):
        paired_comparison(d, {"v": ("c", "e")}, kind="wilcoxon")
    with pytest.raises(InputError, match="two levels"):
        paired_comparison(d, {"v": ("c", "e")}, kind="mcnemar")
    with pytest.raises(InputError, match="unknown column"):
        paired_comparison(d, {"v": ("a", "zz")})
    with pytest.raises(InputError, match="unknown kind"):
        paired_comparison(d, {"v": ("a", "b")}, kind="ttest")  # type: ignore[arg-type]
    sym = paired_comparison(d, {"v": ("c", "e")}).to_frame().iloc[0]
    assert sym["kind"] == "symmetry" and sym["test"] == "Bowker's test of symmetry"
    one = paired_comparison(pd.DataFrame({"a": [1, 1], "b": [1, 1]}), {"v": ("a", "b")})
    assert np.isnan(one.to_frame()["p_value"].iloc[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=40),
       st.randoms(use_true_random=False))
def test_properties(rows: list[tuple[int, int]], rnd: Any) -> None:
    d = pd.DataFrame(rows, columns=["x", "y"]).astype(float)
    before = d.copy()
    v, p, _ = wilcoxon_signed_rank(d["x"], d["y"])
    pd.testing.assert_frame_equal(d, before)
    n = int((d["x"] != d["y"]).sum())
    assert 0 <= v <= n * (n + 1) / 2
    assert np.isnan(p) or 0 <= p <= 1
    idx = list(range(len(d)))
    rnd.shuffle(idx)
    v2, p2, _ = wilcoxon_signed_rank(d["x"].iloc[idx], d["y"].iloc[idx])
    assert v2 == v and (p2 == pytest.approx(p) or (np.isnan(p) and np.isnan(p2)))
    # swapping before and after mirrors V and keeps p
    v3, p3, _ = wilcoxon_signed_rank(d["y"], d["x"])
    assert v3 == pytest.approx(n * (n + 1) / 2 - v)
    assert p3 == pytest.approx(p) or (np.isnan(p) and np.isnan(p3))
    b = (d["x"] > 3).astype(int).to_numpy()
    a = (d["y"] > 3).astype(int).to_numpy()
    tab = np.array([[((b == i) & (a == j)).sum() for j in (0, 1)] for i in (0, 1)])
    pe = mcnemar_exact(tab)
    assert 0 < pe <= 1
