"""Building blocks of the synthetic cohorts: hand-checked cases and property tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstudy.clinical.response import best_overall_response, timepoint_responses
from hccstudy.design.tables import patient_frame, side_tables
from hccstudy.errors import InputError
from hccstudy.io.read import Dataset
from hccstudy.synthetic import SyntheticCohort, read_cohort
from hccstudy.synthetic._common import (
    add_months,
    adverse_event_rows,
    ae_slug,
    assign_by_score,
    canonical,
    censor,
    exact_levels,
    months_between,
    piecewise_ph_times,
    response_lesions,
    select_exact,
    to_wide,
    weibull_ph_times,
)
from hccstudy.validate import validate


def test_exact_levels_counts_and_determinism() -> None:
    a = exact_levels(np.random.default_rng(3), {"x": 2, "y": 5, "z": 0})
    b = exact_levels(np.random.default_rng(3), {"x": 2, "y": 5, "z": 0})
    assert pd.Series(a).value_counts().to_dict() == {"y": 5, "x": 2}
    assert a.tolist() == b.tolist()


def test_assign_by_score_monotone_without_noise() -> None:
    # hand case with ties broken by position (stable sort)
    out = assign_by_score(np.random.default_rng(0), np.array([5.0, 1.0, 3.0, 3.0, 0.0]),
                          {"lo": 2, "mid": 2, "hi": 1}, noise=0.0)
    assert out.tolist() == ["hi", "lo", "mid", "mid", "lo"]


def test_assign_by_score_count_mismatch() -> None:
    with pytest.raises(InputError, match="sum to 3"):
        assign_by_score(np.random.default_rng(0), np.zeros(4), {"a": 3})


@given(st.integers(0, 30), st.integers(0, 2**31 - 1))
@settings(max_examples=40, deadline=None)
def test_select_exact_count(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    logit = rng.normal(size=30)
    m = select_exact(rng, logit, k)
    assert m.sum() == k
    # rows with -inf are never chosen while enough finite rows remain
    logit[:5] = -np.inf
    m2 = select_exact(rng, logit, min(k, 25))
    assert not m2[:5].any()


def test_select_exact_bad_k() -> None:
    with pytest.raises(InputError, match="cannot select 4 of 3"):
        select_exact(np.random.default_rng(0), np.zeros(3), 4)


def test_select_exact_follows_the_logit() -> None:
    rng = np.random.default_rng(1)
    hits = np.zeros(2)
    for _ in range(2000):
        hits += select_exact(rng, np.array([0.0, np.log(3.0)]), 1)
    # P(second) = 3 / 4
    assert abs(hits[1] / 2000 - 0.75) < 0.03


def test_dates_hand_cases() -> None:
    d = np.array(["2020-01-01", "2021-02-28"], dtype="datetime64[D]")
    out = add_months(d, np.array([1.0, 0.0]))
    assert [str(x) for x in out] == ["2020-01-31", "2021-02-28"]  # 30.4375 days -> 30
    assert months_between(d, out).round(4).tolist() == [round(30 / 30.4375, 4), 0.0]


def test_censor_hand_case_with_ties() -> None:
    t, e = censor(np.array([1.0, 2.0, 2.0, 5.0, 7.0]), np.array([3.0, 2.0, 1.5, 5.0, 6.0]))
    assert t.tolist() == [1.0, 2.0, 1.5, 5.0, 6.0]
    assert e.tolist() == [True, True, False, True, False]


def test_piecewise_hazard_hand_inversion() -> None:
    # H0(t) = 0.1 t on [0, 10), 1 + 0.5 (t - 10) after; exp(lp) = 2
    class FixedRng:
        def random(self, n: int) -> np.ndarray:
            return np.exp(-np.array([0.4, 3.0]))[:n]

    t = piecewise_ph_times(FixedRng(), np.log([2.0, 2.0]), [0.0, 10.0],  # type: ignore[arg-type]
                           [0.1, 0.5])
    # targets 0.2 and 1.5 on the baseline scale
    assert t.tolist() == pytest.approx([2.0, 11.0])


def test_piecewise_hazard_errors() -> None:
    with pytest.raises(InputError, match="breaks"):
        piecewise_ph_times(np.random.default_rng(0), np.zeros(2), [1.0], [0.1])


@given(st.floats(-2, 2), st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_proportional_hazards_property(lp: float, seed: int) -> None:
    # same uniforms: an exponential baseline scales times by exp(-lp); Weibull by exp(-lp/k)
    t0 = piecewise_ph_times(np.random.default_rng(seed), np.zeros(5), [0.0], [0.2])
    t1 = piecewise_ph_times(np.random.default_rng(seed), np.full(5, lp), [0.0], [0.2])
    assert t1 == pytest.approx(t0 * np.exp(-lp))
    w0 = weibull_ph_times(np.random.default_rng(seed), np.zeros(5), 1.5, 10.0)
    w1 = weibull_ph_times(np.random.default_rng(seed), np.full(5, lp), 1.5, 10.0)
    assert w1 == pytest.approx(w0 * np.exp(-lp / 1.5))


def test_planted_hr_recovered_by_cox() -> None:
    from hccstudy import cox

    rng = np.random.default_rng(11)
    x = rng.integers(0, 2, 4000)
    t = piecewise_ph_times(rng, np.log(1.8) * x, [0.0, 6.0], [0.12, 0.05])
    obs, ev = censor(t, rng.uniform(10, 40, 4000))
    fit = cox(pd.DataFrame({"t": obs, "e": ev.astype(int), "x": x}), "x", time="t", event="e")
    lo, hi = fit.hazard_ratios().loc["x", ["ci_lower", "ci_upper"]]
    assert lo < 1.8 < hi


@pytest.mark.parametrize("category", ["CR", "PR", "SD", "PD"])
def test_response_lesions_give_the_category(category: str) -> None:
    n = 6
    pids = np.array([f"P{i}" for i in range(n)], dtype=object)
    base = np.full(n, np.datetime64("2021-01-01", "D"))
    les = response_lesions(np.random.default_rng(2), pids, base, add_months(base, 3.0),
                           np.array([category] * n), np.linspace(15.0, 120.0, n))
    d = side_tables({"lesions": les})["lesions"]
    bor = best_overall_response(timepoint_responses(d))
    assert set(bor["bor"]) == {category}


def test_adverse_event_rows_exact_counts() -> None:
    pids = np.array([f"P{i}" for i in range(10)], dtype=object)
    ae = adverse_event_rows(np.random.default_rng(0), pids, "Anaemia", 6, 2,
                            np.full(10, np.datetime64("2020-01-01", "D")))
    assert len(ae) == 6 and ae["patient_id"].is_unique
    assert int((ae["grade"] >= 3).sum()) == 2
    with pytest.raises(InputError, match="impossible"):
        adverse_event_rows(np.random.default_rng(0), pids, "x", 3, 4,
                           np.full(10, np.datetime64("2020-01-01", "D")))


def test_canonical_and_slug() -> None:
    f = canonical("baseline", pd.DataFrame({"extra_col": [1], "pvi": [1], "ecog": [1.0],
                                            "patient_id": ["a"]}))
    assert f.columns.tolist() == ["patient_id", "pvi", "ecog", "extra_col"]
    assert str(f["pvi"].dtype) == "boolean" and str(f["ecog"].dtype) == "Int64"
    assert ae_slug(" Oesophageal / gastric bleeding ") == "oesophageal_gastric_bleeding"


def _tiny_cohort() -> SyntheticCohort:
    pats = canonical("patients", pd.DataFrame({
        "patient_id": ["a", "b", "c"], "sex": ["male", "female", "male"],
        "diagnosis_date": pd.to_datetime(["2020-01-01"] * 3),
        "last_followup_date": pd.to_datetime(["2021-01-01", "2020-06-01", "2020-03-01"]),
        "death_date": pd.to_datetime([None, "2020-06-01", None]),
        "flag": pd.array([True, False, None], dtype="boolean")}))
    base = canonical("baseline", pd.DataFrame({"patient_id": ["a", "b", "c"],
                                               "pvi": [True, False, True],
                                               "tumour_size_cm": [3.0, 5.5, 12.0]}))
    tx = canonical("treatments", pd.DataFrame({
        "patient_id": ["a", "a", "b", "c"], "treatment_number": [2, 1, 1, 1],
        "treatment_type": ["TACE", "CCRT", "TACE", "resection"],
        "start_date": pd.to_datetime(["2020-03-01", "2020-01-20", "2020-01-10", "2020-01-15"])}))
    ae = canonical("adverse_events", pd.DataFrame({
        "patient_id": ["a", "a", "c"], "term": ["Nausea", "Nausea", "Rash"], "grade": [1, 3, 2],
        "onset_date": pd.to_datetime(["2020-02-01", "2020-02-10", "2020-02-01"])}))
    return SyntheticCohort("tiny", {"patients": pats, "baseline": base, "treatments": tx,
                                    "adverse_events": ae}, {"hr": 1.0},
                           {"patients": {"flag": "bool"}})


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_write_read_roundtrip_and_validate(tmp_path, fmt: str) -> None:
    c = _tiny_cohort()
    ds = read_cohort(c.write(tmp_path, format=fmt))
    pats = ds.table("patients")
    assert pats["flag"].tolist()[:2] == [True, False] and pd.isna(pats["flag"].iloc[2])
    assert pats["death_date"].notna().tolist() == [False, True, False]
    assert ds.table("treatments")["treatment_type"].tolist() == ["TACE", "CCRT", "TACE",
                                                                 "resection"]
    assert not validate(ds).errors


def test_write_bad_format(tmp_path) -> None:
    with pytest.raises(InputError, match="format"):
        _tiny_cohort().write(tmp_path, format="json")  # type: ignore[arg-type]


def test_to_wide_matches_the_runner_frame() -> None:
    c = _tiny_cohort()
    mine = to_wide(c.tables)
    runner = patient_frame(c.tables)
    assert mine["treatment_type"].tolist() == runner["treatment_type"].tolist() == \
        ["CCRT", "TACE", "resection"]
    assert mine["ae_nausea"].tolist() == runner["ae_nausea"].tolist() == [3, 0, 0]
    assert mine["ae_rash"].tolist() == [0, 0, 2]


def test_cohort_repr_and_frame() -> None:
    c = _tiny_cohort()
    assert "patients=3" in repr(c) and "a" not in repr(c).split("(")[0]
    assert c.to_frame().to_dict("list") == {"name": ["hr"], "value": [1.0]}
    assert "truth hr = 1" in c.summary()
    ds = Dataset({k: v.assign(_source=k) for k, v in c.tables.items()}, ())
    assert not validate(ds).errors


def test_piecewise_entry_is_left_truncation() -> None:
    # memoryless exponential: T | T > 2 equals 2 + T (same uniforms)
    t0 = piecewise_ph_times(np.random.default_rng(4), np.zeros(6), [0.0], [0.3])
    t2 = piecewise_ph_times(np.random.default_rng(4), np.zeros(6), [0.0], [0.3], entry=2.0)
    assert t2 == pytest.approx(t0 + 2.0)
    # across a break: hand case, H0(entry = 5) = 0.1 * 5 = 0.5, target 0.4 -> H0 = 0.9
    class FixedRng:
        def random(self, n: int) -> np.ndarray:
            return np.full(n, np.exp(-0.4))

    t = piecewise_ph_times(FixedRng(), np.zeros(1), [0.0, 6.0], [0.1, 0.2],  # type: ignore[arg-type]
                           entry=np.array([5.0]))
    assert t == pytest.approx([6.0 + (0.9 - 0.6) / 0.2])
