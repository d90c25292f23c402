"""StudySpec analyses survival_rates, milestone, rmst, followup, landmark.

The numerics (hccstudy.analyse.survival_extras) are validated against R survival in
tests/analyse/test_survival_extras.py; here the spec route must give exactly the
numbers of the direct calls on the prepared analysis frame (reference level = the
study reference), plus hand-computed tiny cases with ties, hypothesis properties
(rates inside their CIs; the milestone contrast does not depend on row order) and
the error messages naming the spec key.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import hccstudy
from hccstudy.analyse import survival_extras as sx
from hccstudy.design import prepare, run
from hccstudy.design.analyses.extras import (
    ContrastAnalysisResult,
    FollowupAnalysisResult,
    LandmarkAnalysisResult,
    RatesAnalysisResult,
)
from hccstudy.errors import InputError

HEAD = """\
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_months, event: death == 1}]
"""
T, E = "os_time", "os_event"


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    d = hccstudy.datasets.load_demo()
    d["site"] = np.array(["a", "b", "c"])[np.arange(len(d)) % 3]
    return d


@pytest.fixture(scope="module")
def analysis(demo: pd.DataFrame) -> pd.DataFrame:
    return prepare(HEAD, demo).analysis


def _spec(*analyses: str, head: str = HEAD) -> str:
    return head + "analyses:\n" + "".join(f"  - {a}\n" for a in analyses)


# ------------------------------------------------------------ equal to direct calls
def test_all_types_equal_direct_calls(demo: pd.DataFrame, analysis: pd.DataFrame) -> None:
    r = run(_spec(
        "{name: rates, type: survival_rates, endpoint: os, times: [6, 12, 24]}",
        "{name: ms, type: milestone, endpoint: os, at: 12}",
        "{name: rm, type: rmst, endpoint: os, tau: 24, conf_level: 0.9}",
        "{name: fu, type: followup, endpoint: os}",
        "{name: lm, type: landmark, endpoint: os, at: 6, conf_type: log-log}"), demo)
    a = analysis
    # survival_rates: reference = the study reference (non-CCRT)
    rates = r.outcomes["rates"]
    assert isinstance(rates, RatesAnalysisResult) and rates.by == "group"
    direct = sx.survival_rates(a, T, E, "group", [6, 12, 24], reference="non-CCRT")
    pd.testing.assert_frame_equal(rates.rates.table(), direct.table())
    pd.testing.assert_frame_equal(rates.comparisons(), direct.comparisons())
    f = rates.to_frame()
    ccrt = f[f["group"] == "CCRT"]
    np.testing.assert_array_equal(ccrt["difference"], direct.comparisons()["estimate"])
    np.testing.assert_array_equal(ccrt["p_value"], direct.comparisons()["p_value"])
    assert f.loc[f["group"] == "non-CCRT", "difference"].isna().all()
    # milestone
    ms = r.outcomes["ms"]
    assert isinstance(ms, ContrastAnalysisResult)
    d_ms = sx.milestone(a, T, E, "group", 12, reference="non-CCRT")
    assert ms.contrasts == (d_ms,)
    row = ms.to_frame().iloc[0]
    assert (row["group"], row["reference"]) == ("CCRT", "non-CCRT")
    assert row["estimate"] == d_ms.estimate and row["value_group"] == d_ms.values[1]
    # rmst
    rm = r.outcomes["rm"]
    diff, ratio = sx.rmst_contrast(a, T, E, "group", 24, reference="non-CCRT", conf_level=0.9)
    assert rm.contrasts == (diff, ratio)
    assert rm.to_frame()["measure"].tolist() == ["rmst difference", "rmst ratio"]
    # followup
    fu = r.outcomes["fu"]
    assert isinstance(fu, FollowupAnalysisResult)
    pd.testing.assert_frame_equal(fu.to_frame(), sx.median_followup(a, T, E, "group").table())
    # landmark
    lm = r.outcomes["lm"]
    assert isinstance(lm, LandmarkAnalysisResult)
    d_lm = sx.landmark(a, T, E, 6, "group", conf_type="log-log")
    assert (lm.landmark.n_excluded_event, lm.landmark.n_excluded_censored,
            lm.landmark.n_analysed) == (d_lm.n_excluded_event, d_lm.n_excluded_censored,
                                        d_lm.n_analysed)
    pd.testing.assert_frame_equal(lm.landmark.km.table(), d_lm.km.table())
    assert lm.landmark.logrank is not None and d_lm.logrank is not None
    assert lm.landmark.logrank.statistic == d_lm.logrank.statistic
    lf = lm.to_frame()
    assert lf["n"].sum() == d_lm.n_analysed
    assert (lf["logrank_p"] == d_lm.logrank.p_value).all()
    # methods and tests
    for key in ("survival_rates:rates", "milestone:ms", "rmst:rm", "followup:fu",
                "landmark:lm"):
        assert key in r.methods
    assert "reverse Kaplan-Meier" in r.methods["followup:fu"]
    assert "survRM2" in r.methods["rmst:rm"]
    for name in ("rates:", "ms:", "rm:", "lm:"):
        assert name in r.methods["tests"]


def test_overall_and_other_columns(demo: pd.DataFrame, analysis: pd.DataFrame) -> None:
    r = run(_spec(
        "{name: rates, type: survival_rates, endpoint: os, times: [12], by: null}",
        "{name: fu, type: followup, endpoint: os, by: null}",
        "{name: lm, type: landmark, endpoint: os, at: 3, by: null}",
        "{name: ms, type: milestone, endpoint: os, at: 12, by: pvi, reference: '1'}",
        "{name: rates3, type: survival_rates, endpoint: os, times: [12], by: site, "
        "reference: b}"), demo)
    a = analysis
    pd.testing.assert_frame_equal(r.outcomes["rates"].to_frame()[
        ["group", "time", "survival", "ci_lower", "ci_upper"]],
        sx.survival_rates(a, T, E, None, [12]).table()[
        ["group", "time", "survival", "ci_lower", "ci_upper"]])
    assert r.outcomes["rates"].comparisons().empty
    assert r.outcomes["fu"].to_frame()["group"].tolist() == ["all"]
    assert r.outcomes["lm"].landmark.logrank is None
    assert np.isnan(r.outcomes["lm"].to_frame()["logrank_p"]).all()
    assert r.outcomes["ms"].contrasts == (sx.milestone(a, T, E, "pvi", 12, reference="1"),)
    c3 = r.outcomes["rates3"].comparisons()
    assert c3["reference"].tolist() == ["b", "b"] and c3["group"].tolist() == ["a", "c"]
    assert "rates3: difference of Kaplan-Meier rates" in r.methods["tests"]


def test_matched_cohort(demo: pd.DataFrame) -> None:
    head = HEAD + """\
covariates:
  - {name: age_years, roles: [propensity]}
  - {name: tumour_size_cm, roles: [propensity]}
adjustment: {method: match}
"""
    spec = _spec("{name: ms, type: milestone, endpoint: os, at: 12}",
                 "{name: ms_all, type: milestone, endpoint: os, at: 12, cohort: analysis}",
                 head=head)
    r = run(spec, demo)
    adj = prepare(spec, demo).adjusted
    assert r.outcomes["ms"].contrasts == (sx.milestone(adj, T, E, "group", 12,
                                                       reference="non-CCRT"),)
    assert "matched" in r.outcomes["ms"].method
    assert "matched" not in r.outcomes["ms_all"].method


def test_reprs_and_summaries_hold_no_identifiers(demo: pd.DataFrame) -> None:
    r = run(_spec(
        "{name: rates, type: survival_rates, endpoint: os, times: [12]}",
        "{name: ms, type: milestone, endpoint: os, at: 12}",
        "{name: rm, type: rmst, endpoint: os, tau: 24}",
        "{name: fu, type: followup, endpoint: os}",
        "{name: lm, type: landmark, endpoint: os, at: 6}"), demo)
    for name, start in (("rates", "RatesAnalysisResult("), ("ms", "ContrastAnalysisResult("),
                        ("rm", "ContrastAnalysisResult("), ("fu", "FollowupAnalysisResult("),
                        ("lm", "LandmarkAnalysisResult(")):
        res = r.outcomes[name]
        assert repr(res).startswith(start)
        text = repr(res) + res.summary() + res.to_frame().to_string()
        assert "SYN-" not in text
        assert res.method in res.summary()


# ---------------------------------------------------------------- hand-computed
TINY = pd.DataFrame({"t": [1, 2, 3, 4, 1, 2, 3, 4], "e": [1, 0, 1, 0, 1, 1, 0, 0],
                     "g": ["A"] * 4 + ["B"] * 4})
TINY_HEAD = """\
groups: {column: g, reference: A}
endpoints: [{name: e, time: t, event: e == 1}]
"""


def test_tiny_hand_computed() -> None:
    # A: S(2.5) = 3/4, Greenwood var = (9/16)(1/12) = 3/64
    # B: S(2.5) = (3/4)(2/3) = 1/2, var = (1/4)(1/12 + 1/6) = 1/16
    # B - A = -1/4, se = sqrt(7)/8, p = 2 Phi(-2/sqrt(7))
    # RMST to 4: A = 1 + 2(3/4) + 3/8 = 2.875, B = 1 + 3/4 + 2(1/2) = 2.75
    # reverse KM: A censored at 2 and 4 -> median 4; B censored at 3, 4, S(3) = 1/2 -> 3.5
    # landmark at 1.5: the two events at t = 1 excluded, 6 analysed
    r = run(_spec("{name: ms, type: milestone, endpoint: e, at: 2.5}",
                  "{name: rm, type: rmst, endpoint: e, tau: 4}",
                  "{name: fu, type: followup, endpoint: e}",
                  "{name: lm, type: landmark, endpoint: e, at: 1.5}",
                  "{name: rates, type: survival_rates, endpoint: e, times: [2.5]}",
                  head=TINY_HEAD), TINY)
    ms = r.outcomes["ms"].contrasts[0]
    assert (ms.reference, ms.group) == ("A", "B")
    assert ms.values == pytest.approx((3 / 4, 1 / 2))
    assert ms.estimate == pytest.approx(-1 / 4)
    se = np.sqrt(7) / 8
    assert ms.ci_upper - ms.estimate == pytest.approx(norm.ppf(0.975) * se)
    assert ms.p_value == pytest.approx(2 * norm.cdf(-2 / np.sqrt(7)))
    diff = r.outcomes["rm"].contrasts[0]
    assert diff.values == pytest.approx((2.875, 2.75)) and diff.estimate == pytest.approx(-0.125)
    assert r.outcomes["fu"].to_frame()["median"].tolist() == [4.0, 3.5]
    lm = r.outcomes["lm"].landmark
    assert (lm.n_excluded_event, lm.n_excluded_censored, lm.n_analysed) == (2, 0, 6)
    rates = r.outcomes["rates"].to_frame()
    assert rates["survival"].tolist() == pytest.approx([3 / 4, 1 / 2])
    assert rates.loc[rates["group"] == "B", "difference"].iloc[0] == pytest.approx(-1 / 4)


# --------------------------------------------------------------------- property
_rows = st.lists(st.tuples(st.integers(1, 8), st.integers(0, 1), st.sampled_from("AB")),
                 min_size=6, max_size=16)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rows, st.randoms(use_true_random=False))
def test_rates_within_ci_and_order_invariant(rows: list[tuple[int, int, str]],
                                             rnd: Any) -> None:
    d = pd.DataFrame(rows, columns=["t", "e", "g"])
    d.loc[0, "g"], d.loc[1, "g"] = "A", "B"
    d.loc[0, "t"], d.loc[1, "t"] = 8, 8  # both groups followed to the milestone
    spec = _spec("{name: rates, type: survival_rates, endpoint: e, times: [2, 5]}",
                 "{name: ms, type: milestone, endpoint: e, at: 5}", head=TINY_HEAD)
    a = run(spec, d)
    f = a.outcomes["rates"].to_frame()
    s = f["survival"]
    assert ((s >= 0) & (s <= 1)).all()
    ok = f["ci_lower"].notna()
    assert (f.loc[ok, "ci_lower"] <= s[ok] + 1e-12).all()
    assert (s[ok] <= f.loc[ok, "ci_upper"] + 1e-12).all()
    order = list(range(len(d)))
    rnd.shuffle(order)
    b = run(spec, d.iloc[order].reset_index(drop=True))
    x, y = a.outcomes["ms"].contrasts[0], b.outcomes["ms"].contrasts[0]
    assert x.estimate == pytest.approx(y.estimate, abs=1e-12)
    assert x.values == pytest.approx(y.values, abs=1e-12)


# ----------------------------------------------------------------------- errors
@pytest.mark.parametrize(("analysis", "key", "text"), [
    ("{name: x, type: survival_rates, endpoint: os, times: [12], by: nope}",
     "analyses[0].by", "unknown column 'nope'"),
    ("{name: x, type: milestone, endpoint: os, at: 12, by: site}",
     "analyses[0].by", "exactly two levels"),
    ("{name: x, type: milestone, endpoint: os, at: 500}", "analyses[0].at",
     "after the last follow-up"),
    ("{name: x, type: rmst, endpoint: os, tau: 24, reference: nope}",
     "analyses[0].reference", "not a level"),
    ("{name: x, type: survival_rates, endpoint: os, times: [12], reference: nope}",
     "analyses[0].reference", "not a level"),
    ("{name: x, type: landmark, endpoint: os, at: 500}", "analyses[0].at",
     "nobody is at risk"),
    ("{name: x, type: followup, endpoint: os, by: nope}", "analyses[0].by",
     "unknown column 'nope'"),
    ("{name: x, type: milestone, endpoint: os, at: 12, cohort: adjusted}",
     "analyses[0].cohort", "needs an adjustment"),
])
def test_errors_name_the_spec_key(demo: pd.DataFrame, analysis: str, key: str,
                                  text: str) -> None:
    with pytest.raises(InputError) as e:
        run(_spec(analysis), demo)
    assert key in str(e.value) and text in str(e.value)


@pytest.mark.parametrize(("analysis", "text"), [
    ("{name: x, type: survival_rates, endpoint: os, times: []}", "times"),
    ("{name: x, type: survival_rates, endpoint: os, times: [-1]}", "times must be >= 0"),
    ("{name: x, type: milestone, endpoint: os}", "at"),
    ("{name: x, type: rmst, endpoint: os, tau: 0}", "tau"),
    ("{name: x, type: landmark, endpoint: os, at: 0}", "at"),
    ("{name: x, type: milestone, endpoint: pfs, at: 12}", "unknown endpoint 'pfs'"),
    ("{name: x, type: followup, endpoint: os, colour: red}", "colour"),
])
def test_spec_validation_errors(demo: pd.DataFrame, analysis: str, text: str) -> None:
    with pytest.raises(InputError) as e:
        run(_spec(analysis), demo)
    assert text in str(e.value)


@pytest.mark.parametrize("analysis", [
    "{name: x, type: survival_rates, endpoint: os, times: [12]}",
    "{name: x, type: milestone, endpoint: os, at: 12}",
    "{name: x, type: rmst, endpoint: os, tau: 12}",
    "{name: x, type: followup, endpoint: os}",
    "{name: x, type: landmark, endpoint: os, at: 6}",
])
def test_iptw_weights_refused(demo: pd.DataFrame, analysis: str) -> None:
    head = HEAD + """\
covariates:
  - {name: age_years, roles: [propensity]}
adjustment: {method: iptw}
"""
    with pytest.raises(InputError) as e:
        run(_spec(analysis, head=head), demo)
    assert "analyses[0].cohort" in str(e.value) and "takes no case weights" in str(e.value)
