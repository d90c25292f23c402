"""StudySpec analysis ``competing_risks``: results equal the direct calls, errors name the key.

The numerics (hccstudy.analyse.competing) are validated against R cmprsk in
tests/analyse/test_competing.py; here the spec route is checked to give the very
same numbers (exact equality) on the prepared analysis frame, plus one
end-to-end comparison with the R reference JSON of tests/reference/r/40_competing.R
(cmprsk 2.2-11 timepoints, cuminc Tests, crr; tolerances as there), a hand-computed
tiny example with tied times, a hypothesis property (the CIFs of all types plus the
event-free Kaplan-Meier sum to 1; 1 - KM per type >= CIF) and the error messages.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hccstudy
from hccstudy.analyse.competing import (
    cause_specific_cox,
    cumulative_incidence,
    failure_type_km,
    fine_gray,
    gray_test,
)
from hccstudy.analyse.km import kaplan_meier
from hccstudy.design import prepare, run
from hccstudy.design.analyses.competing import CompetingRisksResult
from hccstudy.errors import InputError

HEAD = """\
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: fail, time: os_months, event: ftype > 0}]
"""


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    """The bundled demo cohort plus a seeded failure type (0 = no event)."""
    d = hccstudy.datasets.load_demo()
    rng = np.random.default_rng(2026)
    d["ftype"] = np.where(d["death"] == 1, rng.choice([1, 2, 3], len(d), p=[.4, .35, .25]), 0)
    labels = np.array(["none", "in_field", "out_of_field", "death_without_failure"])
    d["ftype_s"] = labels[d["ftype"].to_numpy()]
    d.loc[d["ftype"] == 0, "ftype_s"] = "junk"  # ignored: no event on these rows
    return d


def _spec(analysis: str, head: str = HEAD) -> str:
    return head + "analyses:\n  - " + analysis + "\n"


def _run(d: pd.DataFrame, analysis: str, head: str = HEAD) -> tuple[Any, pd.DataFrame]:
    spec = _spec(analysis, head)
    r = run(spec, d)
    return r, prepare(spec, d).analysis


# ------------------------------------------------------------ equal to direct calls
def test_all_parts_equal_direct_calls(demo: pd.DataFrame) -> None:
    r, a = _run(demo, "{name: cr, type: competing_risks, endpoint: fail, cause: ftype, "
                "times: [6, 12, 24], fine_gray: 'C(arm) + age_years', failure_cause: 1, "
                "cause_specific_cox: true, failure_type_km: true}")
    res = r.outcomes["cr"]
    assert isinstance(res, CompetingRisksResult)
    assert res.causes == ("1", "2", "3") and res.by == "group" and not res.adjusted
    assert res.n == len(a) and res.n_censored == int((a["fail_event"] == 0).sum())
    cif = cumulative_incidence(a, "fail_time", "ftype", "group")
    pd.testing.assert_frame_equal(res.cif.table(), cif.table())
    pd.testing.assert_frame_equal(res.cif_at(), cif.at([6, 12, 24]))
    pd.testing.assert_frame_equal(res.cif_at([3]), cif.at([3]))
    g = gray_test(a, "fail_time", "ftype", "group")
    assert res.gray is not None
    np.testing.assert_array_equal(res.gray.statistic, g.statistic)
    np.testing.assert_array_equal(res.gray.p_value, g.p_value)
    fg = fine_gray(a, "C(arm) + age_years", time="fail_time", status="ftype", cause=1)
    assert res.fine_gray is not None and res.fine_gray.terms == fg.terms
    np.testing.assert_array_equal(res.fine_gray.coef, fg.coef)
    np.testing.assert_array_equal(res.fine_gray.cov, fg.cov)
    cs = cause_specific_cox(a, "C(arm) + age_years", time="fail_time", status="ftype",
                            cause=1)
    assert res.cause_specific is not None
    pd.testing.assert_frame_equal(res.cause_specific.hazard_ratios(), cs.hazard_ratios())
    ft = failure_type_km(a, "fail_time", "ftype", "group")
    assert res.failure_type_km is not None
    pd.testing.assert_frame_equal(res.failure_type_km.table(), ft.table())
    # one tidy numeric frame with every part
    f = res.to_frame()
    assert set(f["part"]) == {"cif", "one_minus_km", "gray_test", "fine_gray",
                              "cause_specific_cox"}
    assert all(f[c].dtype == float for c in ("time", "estimate", "std_err", "ci_lower",
                                             "ci_upper", "statistic", "df", "p_value"))
    c12 = f[(f["part"] == "cif") & (f["time"] == 12)]
    np.testing.assert_array_equal(c12["estimate"], cif.at([12])["cif"])
    fgr = f[f["part"] == "fine_gray"]
    np.testing.assert_allclose(fgr["estimate"], np.exp(fg.coef))
    np.testing.assert_array_equal(f.loc[f["part"] == "gray_test", "statistic"], g.statistic)
    ev = res.n_events()
    assert int(ev["n_events"].sum()) == int(a["fail_event"].sum())


def test_methods_text_and_tests(demo: pd.DataFrame) -> None:
    r, _ = _run(demo, "{name: cr, type: competing_risks, endpoint: fail, cause: ftype, "
                "fine_gray: 'age_years', failure_cause: 2, failure_type_km: true}")
    m = r.methods["competing_risks:cr"]
    for word in ("Aalen-Johansen", "Gray's K-sample test", "Fine-Gray", "1 - KM",
                 "overstates", "sum to 1", "competing events"):
        assert word in m, word
    assert m == r.outcomes["cr"].method
    assert "Gray's K-sample test" in r.methods["tests"]
    assert "Fine-Gray" in r.methods["tests"]
    # without the 1 - KM part the text still says why the CIF is reported
    r2, _ = _run(demo, "{name: cr, type: competing_risks, endpoint: fail, cause: ftype}")
    assert "1 - Kaplan-Meier" in r2.methods["competing_risks:cr"]
    assert "overstates" in r2.methods["competing_risks:cr"]


def test_overall_declared_order_and_string_types(demo: pd.DataFrame) -> None:
    # by: null -> one set of curves, no Gray's test; declared order kept
    r, a = _run(demo, "{name: cr, type: competing_risks, endpoint: fail, cause: ftype, "
                "by: null, causes: [3, 1, 2], times: [12]}")
    res = r.outcomes["cr"]
    assert res.by is None and res.gray is None and res.causes == ("3", "1", "2")
    direct = cumulative_incidence(a, "fail_time", "ftype", causes=[3, 1, 2])
    pd.testing.assert_frame_equal(res.cif.table(), direct.table())
    assert set(res.to_frame()["part"]) == {"cif"}
    # text types; the value on rows without an event is ignored ("junk")
    r, a = _run(demo, "{name: cr, type: competing_risks, endpoint: fail, cause: ftype_s, "
                "by: pvi, times: [12], conf_type: plain}")
    res = r.outcomes["cr"]
    assert res.causes == ("death_without_failure", "in_field", "out_of_field")
    status = a["ftype_s"].where(a["fail_event"] == 1, "censored")
    b = a.assign(ftype_s=status)
    direct = cumulative_incidence(b, "fail_time", "ftype_s", "pvi", censor_code="censored",
                                  conf_type="plain")
    pd.testing.assert_frame_equal(res.cif_at(), direct.at([12]))
    g = gray_test(b, "fail_time", "ftype_s", "pvi", censor_code="censored")
    np.testing.assert_array_equal(res.gray.statistic, g.statistic)


def test_one_level_skips_gray_and_says_so(demo: pd.DataFrame) -> None:
    d = demo.assign(one="all patients")
    r, a = _run(d, "{name: cr, type: competing_risks, endpoint: fail, cause: ftype, by: one}")
    res = r.outcomes["cr"]
    assert res.gray is None and res.cif.groups == ("all patients",)
    assert "Gray's test was not run: one has one level" in res.method
    pd.testing.assert_frame_equal(res.cif.table(),
                                  cumulative_incidence(a, "fail_time", "ftype", "one").table())


def test_matched_cohort_runs_with_pairs_noted(demo: pd.DataFrame) -> None:
    head = HEAD + """\
covariates:
  - {name: age_years, roles: [propensity]}
  - {name: tumour_size_cm, roles: [propensity]}
adjustment: {method: match, match: {caliper: 0.2}}
"""
    r, _ = _run(demo, "{name: cr, type: competing_risks, endpoint: fail, cause: ftype, "
                "fine_gray: 'C(arm)', failure_cause: 1, cause_specific_cox: true}", head)
    res = r.outcomes["cr"]
    assert res.adjusted and res.n == 2 * r.matching.n_treated_matched
    assert res.cause_specific is not None and res.cause_specific.variance == "robust"
    assert "matched sets are not used" in res.method
    a = prepare(_spec("{name: x, type: km, endpoint: fail}", head), demo).adjusted
    direct = cumulative_incidence(a, "fail_time", "ftype", "group")
    pd.testing.assert_frame_equal(res.cif.table(), direct.table())


def test_no_identifiers_in_outputs(demo: pd.DataFrame) -> None:
    r, _ = _run(demo, "{name: cr, type: competing_risks, endpoint: fail, cause: ftype, "
                "times: [12], fine_gray: 'age_years', failure_cause: 1, "
                "failure_type_km: true}")
    res = r.outcomes["cr"]
    shown = repr(res) + res.summary() + res.to_frame().to_string()
    assert "SYN-" not in shown
    assert "CompetingRisksResult(endpoint='fail'" in repr(res)
    assert "Gray's test" in res.summary() and "Fine-Gray" in res.summary()


# ------------------------------------------------------------------ R, end to end
def test_spec_on_cr_sim_matches_cmprsk(ref_data: Any, ref_json: Any) -> None:
    # tests/reference/r/40_competing.R: timepoints(cuminc(time, status, grp), times) 1e-10;
    # cuminc(...)$Tests stat 1e-8 relative; crr(X = grp + stage + age, failcode = 1) coef 1e-6
    d = ref_data("cr_sim")
    spec = """\
groups: {column: grp, reference: a}
endpoints: [{name: cr, time: time, event: status > 0}]
analyses:
  - {name: cr, type: competing_risks, endpoint: cr, cause: status, times: [0, 3, 6.5, 12, 24, 100],
     fine_gray: grp + stage + age, failure_cause: 1}
"""
    res = run(spec, d).outcomes["cr"]
    ref = ref_json("cr_cuminc_grp")
    tp = ref["tp"]
    at = res.cif_at()
    for i, name in enumerate(tp["names"]):
        g, c = name.split(" ")
        sel = at[(at["group"] == g) & (at["cause"] == c)]
        est = np.array([np.nan if v is None else v for v in tp["est"][i]], dtype=float)
        np.testing.assert_allclose(sel["cif"], est, rtol=0, atol=1e-10)
    assert res.gray is not None
    np.testing.assert_allclose(res.gray.statistic, ref["tests"]["stat"], rtol=1e-8)
    crr = ref_json("cr_crr_cause1")
    assert res.fine_gray is not None
    np.testing.assert_allclose(res.fine_gray.coef, crr["coef"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.fine_gray.se, np.sqrt(np.diag(crr["var"])), rtol=0,
                               atol=1e-5)


# ---------------------------------------------------------------- hand-computed
def test_tiny_hand_computed_with_ties() -> None:
    # t = 1 (a), 2 (a), 2 (b) tied, 3 censored, 4 (b), 5 censored; n = 6
    # F_a(1) = 1/6; F_a(2) = 1/6 + (5/6)(1/5) = 1/3; F_b(2) = 1/6; S(2) = 1/2;
    # F_b(4) = 1/6 + (1/2)(1/2) = 5/12; S(4) = 1/4; F_a + F_b + S = 1.
    # 1 - KM of b with a censored: S_b(2) = 4/5, S_b(4) = 2/5 -> 3/5 > F_b(4) = 5/12.
    d = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "ev": [1, 1, 1, 0, 1, 0],
                      "type": ["a", "a", "b", None, "b", None],
                      "g": ["x", "y", "x", "y", "x", "y"]})
    spec = """\
groups: {column: g, reference: x}
endpoints: [{name: e, time: t, event: ev == 1}]
analyses:
  - {name: cr, type: competing_risks, endpoint: e, cause: type, by: null, times: [1, 2, 4, 5],
     failure_type_km: true}
"""
    res = run(spec, d).outcomes["cr"]
    at = res.cif_at()
    np.testing.assert_allclose(at.loc[at["cause"] == "a", "cif"], [1 / 6, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(at.loc[at["cause"] == "b", "cif"], [0, 1 / 6, 5 / 12, 5 / 12])
    ft = res.failure_type_km.at([4])
    np.testing.assert_allclose(ft["one_minus_km"], [1 / 3, 3 / 5])
    np.testing.assert_allclose(ft["cif"], [1 / 3, 5 / 12])
    assert res.n_censored == 2


# --------------------------------------------------------------------- property
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 6), st.sampled_from([0, 1, 2, 3])), min_size=4,
                max_size=14))
def test_cifs_plus_event_free_km_sum_to_one(rows: list[tuple[int, int]]) -> None:
    d = pd.DataFrame(rows, columns=["t", "k"])
    d["g"] = np.arange(len(d)) % 2
    if not (d["k"] > 0).any():
        d.loc[0, "k"] = 1
    spec = """\
groups: {column: g, reference: '0'}
endpoints: [{name: e, time: t, event: k > 0}]
analyses:
  - {name: cr, type: competing_risks, endpoint: e, cause: k, by: null, failure_type_km: true,
     gray_test: false}
"""
    res = run(spec, d).outcomes["cr"]
    times = sorted(d["t"].unique())
    at = res.cif_at(times)
    total = at.groupby("time")["cif"].sum().to_numpy()
    km = kaplan_meier(d.assign(e=(d["k"] > 0).astype(int)), "t", "e").at(times)
    np.testing.assert_allclose(total + km["survival"].to_numpy(), 1.0, atol=1e-12)
    ft = res.failure_type_km.at(times)
    assert (ft["one_minus_km"] >= ft["cif"] - 1e-12).all()


# ----------------------------------------------------------------------- errors
@pytest.mark.parametrize(("analysis", "key", "text"), [
    ("cause: nope", "analyses[0].cause", "unknown column 'nope'"),
    ("cause: ftype, by: nope", "analyses[0].by", "unknown column 'nope'"),
    ("cause: ftype, causes: [1, 2]", "analyses[0].causes", "not in causes"),
    ("cause: ftype, fine_gray: age_years, failure_cause: 7", "analyses[0].failure_cause",
     "not a failure type"),
    ("cause: ftype, fine_gray: 'nope + age_years', failure_cause: 1",
     "analyses[0].fine_gray", "could not be evaluated"),
])
def test_errors_name_the_spec_key(demo: pd.DataFrame, analysis: str, key: str,
                                  text: str) -> None:
    with pytest.raises(InputError) as e:
        run(_spec("{name: cr, type: competing_risks, endpoint: fail, " + analysis + "}"), demo)
    assert key in str(e.value) and text in str(e.value)
    assert "SYN-" not in str(e.value)


def test_undeclared_type_counts_rows(demo: pd.DataFrame) -> None:
    with pytest.raises(InputError) as e:
        run(_spec("{name: cr, type: competing_risks, endpoint: fail, cause: ftype, "
                  "causes: [1, 2]}"), demo)
    n3 = int((demo["ftype"] == 3).sum())
    assert e.value.n_rows == n3 and e.value.column == "ftype"
    assert f"{n3} event row(s)" in str(e.value) and "types found: ['3']" in str(e.value)


def test_event_without_type(demo: pd.DataFrame) -> None:
    d = demo.copy()
    d["ftype_m"] = d["ftype"].where(d.index % 7 != 0)  # some events lose their type
    d["any"] = d["ftype"] > 0
    head = """\
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: fail, time: os_months, event: any}]
"""
    n_bad = int(((d.index % 7 == 0) & d["any"]).sum())
    with pytest.raises(InputError) as e:
        run(_spec("{name: cr, type: competing_risks, endpoint: fail, cause: ftype_m}", head), d)
    assert "analyses[0].cause" in str(e.value) and f"{n_bad} row(s)" in str(e.value)
    assert e.value.n_rows == n_bad and e.value.column == "ftype_m"


@pytest.mark.parametrize(("analysis", "text"), [
    ("cause: ftype, fine_gray: age_years", "fine_gray needs failure_cause"),
    ("cause: ftype, cause_specific_cox: true", "uses the fine_gray formula"),
    ("cause: ftype, causes: [1, 1.0]", "must not repeat"),
    ("cause: ftype, times: [-1]", "times must be >= 0"),
    ("cause: ftype, conf_type: wide", "conf_type"),
    ("cause: ftype, colour: red", "colour"),
])
def test_spec_validation_errors(demo: pd.DataFrame, analysis: str, text: str) -> None:
    with pytest.raises(InputError) as e:
        run(_spec("{name: cr, type: competing_risks, endpoint: fail, " + analysis + "}"), demo)
    assert text in str(e.value) and "analyses[0]" in str(e.value)


def test_iptw_weights_refused(demo: pd.DataFrame) -> None:
    head = HEAD + """\
covariates:
  - {name: age_years, roles: [propensity]}
adjustment: {method: iptw}
"""
    with pytest.raises(InputError) as e:
        run(_spec("{name: cr, type: competing_risks, endpoint: fail, cause: ftype}", head),
            demo)
    assert "analyses[0].cohort" in str(e.value) and "weights" in str(e.value)
    # the unweighted analysis cohort is allowed
    r = run(_spec("{name: cr, type: competing_risks, endpoint: fail, cause: ftype, "
                  "cohort: analysis}", head), demo)
    assert not r.outcomes["cr"].adjusted


def test_groups_follow_the_spec_levels(demo: pd.DataFrame) -> None:
    head = HEAD.replace("{column: arm, reference: non-CCRT}",
                        "{column: arm, levels: [non-CCRT, CCRT], reference: non-CCRT}")
    an = ("{name: cr, type: competing_risks, endpoint: fail, cause: ftype, times: [12], "
          "failure_type_km: true}")
    r, a = _run(demo, an, head)
    res = r.outcomes["cr"]
    assert list(res.cif.groups) == ["non-CCRT", "CCRT"]
    assert list(dict.fromkeys(res.cif_at()["group"].astype(str))) == ["non-CCRT", "CCRT"]
    base = cumulative_incidence(a, "fail_time", "ftype", "group")  # sorted groups
    assert list(base.groups) == ["CCRT", "non-CCRT"]
    for g in base.groups:
        x = res.cif.table()[res.cif.table()["group"].astype(str) == g].reset_index(drop=True)
        y = base.table()[base.table()["group"].astype(str) == g].reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_categorical=False)
    g = gray_test(a, "fail_time", "ftype", "group")
    assert res.gray is not None
    np.testing.assert_allclose(res.gray.statistic, g.statistic, rtol=1e-12)
