"""Seed 002 synthetic cohort (LD-CCRT + sorafenib phase 2) and its study spec.

Tolerances (n = 47): a published proportion p within 3 x sqrt(p (1 - p) / 47) of the
estimate; a published median inside the 95 % KM CI of the fixed-seed estimate. Counts
planted exactly (conversions, diarrhoea, HFSR) are compared exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.synthetic._helpers import assert_reproducible, first_event_frame
from tests.synthetic.test_seed001 import run_study, validation_errors

from hccstudy import kaplan_meier
from hccstudy.clinical.response import best_overall_response, timepoint_responses
from hccstudy.design.tables import side_tables
from hccstudy.synthetic.seed002 import seed002

M = 30.4375


def _frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """OS and PFS (progression or death) from the canonical tables."""
    p = first_event_frame(tables, "prog")
    end = p["prog"].where(p["prog"].notna(), p["last_followup_date"])
    p["pfs_t"] = (end - p["start_date"]).dt.days / M
    p["pfs_e"] = (p["prog"].notna() | p["death_date"].notna()).astype(int)
    p["vp34"] = p["vp_grade"].isin(["Vp3", "Vp4"])
    return p


def _responses(tables: dict[str, pd.DataFrame]) -> tuple[pd.Series, pd.Series]:
    """Best response and the response at the post-CCRT time point (mRECIST engine)."""
    les = side_tables(tables)["lesions"]
    tp = timepoint_responses(les)
    bor = best_overall_response(tp)["bor"]
    labels = tables["lesions"][["patient_id", "assessment_date", "timepoint"]]
    labels = labels.drop_duplicates().rename(columns={"assessment_date": "date"})
    post = tp.merge(labels, on=["patient_id", "date"])
    post = post[post["timepoint"] == "post_ccrt"].set_index("patient_id")["overall_response"]
    return bor, post


@pytest.fixture(scope="module")
def cohort() -> Any:
    return seed002(seed=0)


def test_deterministic() -> None:
    seed002(seed=5)
    a = assert_reproducible(seed002, 5)
    assert not seed002(seed=6).tables["patients"].equals(a.tables["patients"])


def test_tables_validate(cohort: Any) -> None:
    assert validation_errors(cohort.tables) == []


def test_exact_counts(cohort: Any) -> None:
    p = cohort.tables["patients"]
    assert len(p) == 47
    assert p["conversion_curative"].value_counts().to_dict() == {"none": 38, "resection": 7,
                                                                 "transplant": 2}
    tx = cohort.tables["treatments"]
    assert tx["treatment_type"].isin(["resection", "transplant"]).sum() == 9
    assert tx.loc[tx["treatment_number"] == 1, "rt_dose_gy"].median() == 60.0
    ae = cohort.tables["adverse_events"]
    assert (ae["term"] == "Diarrhea").sum() == 17
    assert (ae["term"] == "Palmar-plantar erythrodysesthesia syndrome").sum() == 16
    assert cohort.tables["baseline"]["vp_grade"].isin(["Vp3", "Vp4"]).sum() == 19


def test_response_rates_near_published(cohort: Any) -> None:
    bor, post = _responses(cohort.tables)
    n = 47
    for est, pub in ((bor.isin(["CR", "PR"]).sum(), 25), (post.isin(["CR", "PR"]).sum(), 21)):
        p = pub / n
        assert abs(est / n - p) < 3 * np.sqrt(p * (1 - p) / n)
    # best response is never worse than the post-CCRT response for a responder
    resp_post = post[post.isin(["CR", "PR"])].index
    assert bor.loc[resp_post].isin(["CR", "PR"]).all()
    # converted patients were responders
    p = cohort.tables["patients"].set_index("patient_id")
    conv = p.index[p["conversion_curative"] != "none"]
    assert bor.loc[conv].isin(["CR", "PR"]).all()


def test_medians_inside_ci(cohort: Any) -> None:
    f = _frame(cohort.tables)
    for data, col, pub in ((f, "os", 24.6), (f, "pfs", 6.8), (f[f["vp34"]], "os", 13.0),
                           (f[f["vp34"]], "pfs", 5.6)):
        med = kaplan_meier(data, f"{col}_t", f"{col}_e").median().iloc[0]
        upper = med["ci_upper"] if np.isfinite(med["ci_upper"]) else np.inf
        assert med["ci_lower"] <= pub <= upper, (col, med.to_dict())


def test_spec_runs(cohort: Any) -> None:
    res = run_study("002", cohort.tables)
    assert res.n_analysis == 47
    km = res.outcomes["km_os"].median()
    assert km["n"].iloc[0] == 47
    by = res.outcomes["km_os_by_vp34"].median()
    assert set(by["n"]) == {19, 28}


@pytest.mark.slow
def test_planted_medians_recovered_over_seeds() -> None:
    """Over 200 seeds the 95 % CIs of the KM medians cover the planted medians ~95 %."""
    hits = np.zeros(4)
    n = 200
    for s in range(n):
        f = _frame(seed002(seed=2000 + s).tables)
        for j, (data, col, pub) in enumerate(((f, "os", 24.6), (f, "pfs", 6.8),
                                              (f[f["vp34"]], "os", 13.0),
                                              (f[f["vp34"]], "pfs", 5.6))):
            med = kaplan_meier(data, f"{col}_t", f"{col}_e").median().iloc[0]
            upper = med["ci_upper"] if np.isfinite(med["ci_upper"]) else np.inf
            hits[j] += med["ci_lower"] <= pub <= upper
    cover = hits / n
    assert (cover >= 0.88).all(), cover
