"""Balance statistics against MatchIt 4.5.1 summary.matchit, hand cases, frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccstudy.adjust.balance import balance, covariate_matrix, ps_overlap, smd
from hccstudy.adjust.matching import nearest_neighbour
from hccstudy.adjust.propensity import fit_propensity
from hccstudy.adjust.weighting import iptw
from hccstudy.errors import InputError

COVS = {
    "lalonde": ["age", "educ", "race", "married", "nodegree", "re74", "re75"],
    "sim": ["age", "size_cm", "stage", "bclc", "pvi", "etiology"],
}
STATS = [("smd", "smd"), ("vr", "var_ratio"), ("ecdf_mean", "ecdf_mean"),
         ("ecdf_max", "ecdf_max")]


@pytest.mark.parametrize("name", sorted(COVS))
@pytest.mark.parametrize("case", ["largest_cal02", "largest_k2_cal02"])
def test_balance_equals_matchit_summary(name, case, ref_data, ref_json):
    # R: summary(matchit(..., method = NULL, distance = logit) with weights from nn_matchC):
    # Std. Mean Diff. (treated SD), Var. Ratio, eCDF Mean, eCDF Max; before and after; tol 1e-10
    ref = ref_json(f"adjust_{name}")
    d = ref_data(f"adjust_{name}")
    c = ref["cases"][case]
    b = c["balance"]
    m = nearest_neighbour(np.array(ref["distance"], dtype=float), d["treat"].to_numpy(), ratio=c["ratio"],
                          caliper=0.2)
    d = d.assign(distance=np.array(ref["distance"], dtype=float))  # R's logit PS (ties must be bit-identical)
    r = balance(d, "treat", ["distance", *COVS[name]], m)
    assert list(r.terms) == b["terms"]
    for stage in ("before", "after"):
        for rname, mine in STATS:
            want = np.array([np.nan if v is None else v for v in b[f"{rname}_{stage}"]], float)
            got = r.table[f"{mine}_{stage}"].to_numpy()
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-10, equal_nan=True)


def test_balance_with_propensity_term(ref_data):
    d = ref_data("adjust_lalonde")
    ps = fit_propensity(d, "treat", " + ".join(COVS["lalonde"]))
    r = balance(d, "treat", COVS["lalonde"], propensity=ps)
    assert r.terms[0] == "distance" and "smd_after" not in r.table


def test_smd_denominators_by_hand():
    x = np.array([1.0, 2, 3, 2, 4, 6])
    t = np.array([1, 1, 1, 0, 0, 0])
    assert smd(x, t) == pytest.approx(-2.0)  # (2 - 4) / sd_treated (1)
    assert smd(x, t, denominator="control") == pytest.approx(-1.0)
    assert smd(x, t, denominator="pooled") == pytest.approx(-2 / np.sqrt(2.5))
    xb = np.array([1.0, 1, 0, 1, 0, 0])
    assert smd(xb, t, denominator="pooled") == pytest.approx(
        (2 / 3 - 1 / 3) / np.sqrt(2 / 9))


def test_weighted_balance_love_plot_and_overlap():
    rng = np.random.default_rng(8)
    d = pd.DataFrame({"x": rng.normal(size=400), "g": rng.choice(["a", "b", "c"], 400)})
    d["t"] = (rng.random(400) < 1 / (1 + np.exp(-d["x"]))).astype(int)
    before = d.copy()
    ps = fit_propensity(d, "t", "x + g")
    w = iptw(ps)
    r = balance(d, "t", ["x", "g"], w, smd_denominator="pooled")
    assert abs(r.table.loc["x", "smd_after"]) < abs(r.table.loc["x", "smd_before"])
    assert r.binary == (False, True, True, True) and r.adjustment == "IPTW (ATE)"
    lp = r.love_plot_data()
    assert list(lp.columns) == ["term", "stage", "smd", "abs_smd"] and len(lp) == 8
    ov = ps_overlap(ps, w, bins=10)
    assert set(ov.stage) == {"before", "after"}
    sums = ov.groupby(["stage", "group"])["density"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    pd.testing.assert_frame_equal(d, before)


def test_bad_input():
    d = pd.DataFrame({"t": [1, 0, 1, 0], "x": [1.0, np.nan, 2.0, 3.0]})
    with pytest.raises(InputError, match="missing"):
        balance(d, "t", ["x"])
    with pytest.raises(InputError, match="unknown column"):
        covariate_matrix(d, ["nosuch"])
    with pytest.raises(InputError, match="weights"):
        balance(d.fillna(0), "t", ["x"], np.array([1.0, -1, 1, 1]))
