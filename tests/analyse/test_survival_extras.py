"""Survival extras: landmark, milestone, RMST contrast, follow-up, x-year rates.

R references from tests/reference/r/40_competing.R (survival 3.5.3), data cr_sim with
death = status > 0, groups a and b:
``summary(survfit(Surv(time, death) ~ grp), rmean = 12)$table`` rmean and se(rmean),
combined as survRM2::rmst2 does (difference: normal CI; ratio: CI on the log scale);
``summary(survfit(...), times = 10)`` surv and std.err for the milestone difference.
Tolerance 1e-10 absolute (estimates, limits) and 1e-8 relative (p-values).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from hccstudy.analyse.cox import cox
from hccstudy.analyse.km import kaplan_meier
from hccstudy.analyse.logrank import logrank
from hccstudy.analyse.survival_extras import (
    landmark,
    median_followup,
    milestone,
    rmst_contrast,
    survival_rates,
)
from hccstudy.errors import InputError

TOL = 1e-10


@pytest.fixture(scope="module")
def two(ref_data: Any) -> pd.DataFrame:
    d: pd.DataFrame = ref_data("cr_sim")
    d = d.assign(death=(d["status"] > 0).astype(int))
    return d[d["grp"].isin(["a", "b"])].reset_index(drop=True)


def test_rmst_contrast_matches_r(two: pd.DataFrame, ref_json: Any) -> None:
    ref = ref_json("extras_rmst")
    diff, ratio = rmst_contrast(two, "time", "death", "grp", tau=12)
    np.testing.assert_allclose(diff.values, ref["rmst"], atol=TOL)
    np.testing.assert_allclose(diff.std_errs, ref["se"], atol=TOL)
    assert diff.estimate == pytest.approx(ref["diff"], abs=TOL)
    assert diff.ci_lower == pytest.approx(ref["diff_lower"], abs=TOL)
    assert diff.ci_upper == pytest.approx(ref["diff_upper"], abs=TOL)
    assert diff.p_value == pytest.approx(ref["diff_p"], rel=1e-8)
    assert ratio.estimate == pytest.approx(ref["ratio"], abs=TOL)
    assert ratio.ci_lower == pytest.approx(ref["ratio_lower"], abs=TOL)
    assert ratio.ci_upper == pytest.approx(ref["ratio_upper"], abs=TOL)
    assert ratio.p_value == pytest.approx(ref["ratio_p"], rel=1e-8)
    # reversing the reference flips the sign of the difference
    d2, _ = rmst_contrast(two, "time", "death", "grp", tau=12, reference="b")
    assert d2.estimate == pytest.approx(-diff.estimate)


def test_milestone_matches_r(two: pd.DataFrame, ref_json: Any) -> None:
    ref = ref_json("extras_milestone")
    r = milestone(two, "time", "death", "grp", at=10)
    np.testing.assert_allclose(r.values, ref["surv"], atol=TOL)
    np.testing.assert_allclose(r.std_errs, ref["std_err"], atol=TOL)
    assert r.estimate == pytest.approx(ref["diff"], abs=TOL)
    assert (r.ci_lower, r.ci_upper) == pytest.approx((ref["lower"], ref["upper"]), abs=TOL)
    assert r.p_value == pytest.approx(ref["p"], rel=1e-8)
    assert r.table().shape == (1, 8)


def test_survival_rates_compare(two: pd.DataFrame, ref_json: Any) -> None:
    ref = ref_json("extras_milestone")
    r = survival_rates(two, "time", "death", "grp", [10, 20])
    tab = r.table()
    assert tab.shape[0] == 4
    np.testing.assert_allclose(tab[tab["time"] == 10]["survival"], ref["surv"], atol=TOL)
    comp = r.comparisons()
    row = comp[comp["at"] == 10].iloc[0]
    assert row["p_value"] == pytest.approx(ref["p"], rel=1e-8)
    assert len(comp) == 2


def test_median_followup_is_reverse_km(two: pd.DataFrame) -> None:
    got = median_followup(two, "time", "death", "grp").table()
    rev = kaplan_meier(two.assign(c=1 - two["death"]), "time", "c", by="grp").median()
    np.testing.assert_allclose(got["median"], rev["median"])


def test_landmark_counts_and_reset(two: pd.DataFrame) -> None:
    before = two.copy(deep=True)
    r = landmark(two, "time", "death", at=3, by="grp", formula="grp")
    pd.testing.assert_frame_equal(two, before)  # input never mutated
    early = two["time"] <= 3
    assert r.n_excluded_event == int((early & (two["death"] == 1)).sum())
    assert r.n_excluded_censored == int((early & (two["death"] == 0)).sum())
    assert r.n_analysed == int((~early).sum())
    assert r.n_total == len(two)
    sub = two[~early].assign(time=lambda x: x["time"] - 3)
    lr = logrank(sub, "time", "death", "grp")
    assert r.logrank is not None and r.logrank.statistic == pytest.approx(lr.statistic)
    cx = cox(sub, "grp", time="time", event="death")
    assert r.cox is not None
    np.testing.assert_allclose(r.cox.coef.to_numpy(), cx.coef.to_numpy())
    assert r.km.table()["time"].min() > 0
    assert "excluded" in r.method


def test_time_scale_and_order_invariance(two: pd.DataFrame) -> None:
    a = milestone(two, "time", "death", "grp", at=10)
    d = two.sample(frac=1.0, random_state=1).assign(time=lambda x: x["time"] * 30.0)
    b = milestone(d, "time", "death", "grp", at=300)
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    ra, _ = rmst_contrast(two, "time", "death", "grp", tau=12)
    rb, _ = rmst_contrast(d, "time", "death", "grp", tau=360)
    assert rb.estimate == pytest.approx(30 * ra.estimate, rel=1e-10)


def test_bad_input(two: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="two levels"):
        milestone(two.assign(grp="a"), "time", "death", "grp", at=10)
    with pytest.raises(InputError, match="reference"):
        rmst_contrast(two, "time", "death", "grp", tau=12, reference="zz")
    with pytest.raises(InputError, match="after the last follow-up"):
        milestone(two, "time", "death", "grp", at=1e6)
    with pytest.raises(InputError, match="landmark"):
        landmark(two, "time", "death", at=-1)
    with pytest.raises(InputError, match="nobody"):
        landmark(two, "time", "death", at=1e6)
    with pytest.raises(InputError, match="missing"):
        landmark(two.assign(time=np.where(two.index == 0, np.nan, two["time"])),
                 "time", "death", at=3)
    with pytest.raises(InputError):
        rmst_contrast(two, "time", "death", "grp", tau=-1)
