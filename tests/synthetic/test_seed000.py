"""Seed 000 synthetic cohort + study spec: determinism, validity, cascade, calibration.

Tolerances: counts that are exact by construction (both eligibility cascades, the Table 1
marginals of the CCRT arm and the registry pool, the 106 matched pairs) must be equal to
the card's. Estimates are random: on the fixed seed the planted hazard ratio must lie in the
95 % confidence interval of the estimate (a 5 % chance of failing for a correct generator,
fixed once the seed is fixed), and the published medians inside the KM median's 95 % CI.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.synthetic._helpers import assert_reproducible

import hccstudy
from hccstudy.design import load_spec
from hccstudy.errors import MonotoneLikelihoodWarning
from hccstudy.io.read import Dataset
from hccstudy.synthetic import seed000
from hccstudy.synthetic.seed000 import KLCSG_EXCLUSIONS, PLANTED, YCC_EXCLUSIONS
from hccstudy.validate import validate

SPEC = Path(__file__).resolve().parents[2] / "studies" / "seed_000.yaml"


@pytest.fixture(scope="module")
def cohort():  # type: ignore[no-untyped-def]
    return seed000(seed=0)


@pytest.fixture(scope="module")
def result(cohort):  # type: ignore[no-untyped-def]
    # The PS model separates (no CCRT patient is T1/T2, BCLC A or HBV+HCV, as in the
    # paper): the runner refits with Firth's penalty and says so.
    with pytest.warns(MonotoneLikelihoodWarning, match="separation"):
        return hccstudy.run(load_spec(SPEC.read_text()), data=cohort.tables)


def test_deterministic() -> None:
    a = assert_reproducible(seed000, 7, truth=True)
    c = seed000(seed=8)
    assert not c.tables["patients"]["last_followup_date"].equals(
        a.tables["patients"]["last_followup_date"])


def test_tables_pass_validation(cohort) -> None:  # type: ignore[no-untyped-def]
    # a sample of 600 patients of every kind (full-size validation is in the slow test)
    pats = cohort.tables["patients"]
    keep = set(pats["patient_id"].iloc[np.r_[0:300, 829:1129]])
    tables = {k: v[v["patient_id"].isin(keep)].assign(_source=k)
              for k, v in cohort.tables.items()}
    report = validate(Dataset(tables, ()))
    assert not report.errors
    assert cohort.extra_columns["baseline"] == {"t_stage": "category"}


def test_flow_matches_the_card(result) -> None:  # type: ignore[no-untyped-def]
    f = result.flow.to_frame()
    ycc = f[f["source"] == "YCC"]
    kl = f[f["source"] == "KLCSG"]
    assert ycc["n_before"].iloc[0] == 829 and ycc["n_remaining"].iloc[-1] == 106
    assert ycc["n_excluded"].tolist() == list(YCC_EXCLUSIONS.values())
    assert kl["n_before"].iloc[0] == 4522 and kl["n_remaining"].iloc[0] == 4445
    assert kl["n_remaining"].iloc[-1] == 751
    assert kl["n_excluded"].tolist() == list(KLCSG_EXCLUSIONS.values())
    ff = result.flow_frame()
    matched = ff[ff["stage"] == "matching"]["n_remaining"].tolist()
    assert matched == [106, 106]


def _counts(t1, variable: str, group: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {r["level"]: int(r[f"{group}:n"]) for r in t1.rows
            if r["variable"] == variable and r["level"] != ""}


def test_table1_marginals_exact(result) -> None:  # type: ignore[no-untyped-def]
    before = result.outcomes["table1_pool"].before
    assert _counts(before, "t_stage", "CCRT") == {"T1": 0, "T2": 0, "T3": 48, "T4": 58}
    assert _counts(before, "t_stage", "non-CCRT") == {"T1": 2, "T2": 12, "T3": 606, "T4": 131}
    assert _counts(before, "tnm_stage", "non-CCRT") == {"III": 585, "IV-A": 166}
    assert _counts(before, "bclc_stage", "non-CCRT") == {"A": 93, "B": 247, "C": 411}
    assert _counts(before, "bclc_stage", "CCRT") == {"A": 0, "B": 18, "C": 88}
    assert _counts(before, "hvi", "non-CCRT") == {"False": 671, "True": 77}
    # etiology codes shown as the paper words them (spec value_labels)
    assert _counts(before, "etiology", "non-CCRT") == {
        "HBV": 487, "HBV and HCV": 25, "HCV": 76, "NBNC and alcohol": 77, "Unknown": 86}
    rows = {r["variable"]: r for r in before.rows if r["level"] == ""}
    assert rows["age_years"]["CCRT:median"] == 52 and rows["tumour_size_cm"]["CCRT:median"] == 10
    assert (rows["age_years"]["non-CCRT:min"], rows["age_years"]["non-CCRT:max"]) == (8, 83)
    # published pre-match p-values reproduced by Pearson chi-square on exact counts
    assert rows["growth_pattern"]["p"] == pytest.approx(0.184, abs=5e-4)
    assert rows["sex"]["p"] == pytest.approx(0.483, abs=5e-4)
    assert rows["hvi"]["p"] == pytest.approx(0.132, abs=5e-4)
    after = result.outcomes["table1_pool"].after
    # exact matching on TNM stage and PVI: identical post-match counts (card DQ-6)
    assert _counts(after, "pvi", "non-CCRT") == {"False": 21, "True": 85}
    assert _counts(after, "tnm_stage", "non-CCRT") == {"III": 47, "IV-A": 59}


def test_planted_effects_inside_the_ci(result) -> None:  # type: ignore[no-untyped-def]
    hr = result.outcomes["cox_final"].hazard_ratios()
    for term, key in (("non_ccrt", "hr_non_ccrt"), ("tumour_size_cm", "hr_size_per_cm"),
                      ("bclc_b", "hr_bclc_b_vs_c")):
        assert hr.loc[term, "ci_lower"] < PLANTED[key] < hr.loc[term, "ci_upper"], term
    med = result.outcomes["km_os"].median().set_index("group")
    for group, published in (("CCRT", 11.4), ("non-CCRT", 6.6)):
        assert med.loc[group, "ci_lower"] < published < med.loc[group, "ci_upper"]
    assert result.outcomes["logrank_os"].p_value < 0.05


def test_spec_analyses_present(result) -> None:  # type: ignore[no-untyped-def]
    names = {a.name for a in load_spec(SPEC.read_text()).analyses}
    assert names == set(result.outcomes)
    table2 = result.outcomes["cox_table2"].to_frame().set_index("variable")
    assert bool(table2.loc["non_ccrt", "selected"]) and bool(table2.loc["bclc_b", "selected"])


@pytest.mark.slow
def test_coverage_over_seeds() -> None:
    """95 % CI coverage of the three planted log-HRs over 200 generator seeds.

    The planted Cox model (non-CCRT + size + BCLC B) is fitted on the 857 eligible
    patients (unmatched: the model is correctly specified there and it avoids 200 PS
    fits); coverage must lie within 95 % +- 3.5 points (about 2.3 binomial SEs).
    """
    from hccstudy import cox
    from hccstudy.design.tables import patient_frame

    hits = np.zeros(3)
    n = 200
    for s in range(n):
        f = patient_frame(seed000(seed=s).tables)
        f = f[f["patient_id"].isin(np.r_[[f"YCC-{i:04d}" for i in range(1, 107)],
                                         [f"KLCSG-{i:04d}" for i in range(1, 752)]])]
        f = f[f["bclc_stage"].isin(["B", "C"])]
        t = (pd.to_datetime(f["last_followup_date"]) - pd.to_datetime(f["start_date"])).dt.days
        d = pd.DataFrame({"t": t / 30.4375, "e": f["death_date"].notna().astype(int),
                          "non_ccrt": (f["source_db"] == "KLCSG").astype(int),
                          "size": f["tumour_size_cm"],
                          "bclc_b": (f["bclc_stage"] == "B").astype(int)})
        hr = cox(d, "non_ccrt + size + bclc_b", time="t", event="e").hazard_ratios()
        for j, (term, key) in enumerate((("non_ccrt", "hr_non_ccrt"),
                                         ("size", "hr_size_per_cm"),
                                         ("bclc_b", "hr_bclc_b_vs_c"))):
            hits[j] += hr.loc[term, "ci_lower"] < PLANTED[key] < hr.loc[term, "ci_upper"]
    coverage = hits / n
    assert np.all(np.abs(coverage - 0.95) < 0.035), coverage
