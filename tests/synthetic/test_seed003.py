"""Seed 003 synthetic cohort (salvage hepatectomy after HAIC, n = 18) and its study spec.

The cohort is tiny, so the generator plants the card's explicit event schedule (random
times inside each interval) and the Table I / II counts exactly: those are compared
exactly, and the KM rates that follow from the schedule are exact too (no censoring before
the rate times except where the schedule puts it). Continuous medians (n = 18) are only
checked to lie in a wide band around the published value; the likelihood-ratio p-values of
Table I, which depend on counts only, must equal the printed ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.synthetic._helpers import assert_reproducible, first_event_frame
from tests.synthetic.test_seed001 import run_study, validation_errors

from hccstudy import kaplan_meier, logrank
from hccstudy.synthetic.seed003 import seed003

M = 30.4375


def _frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    f = first_event_frame(tables, "rec")
    end = f["rec"].where(f["rec"].notna(), f["last_followup_date"])
    f["dfs_t"] = (end - f["hepatectomy_date"]).dt.days / M
    f["dfs_e"] = f["rec"].notna().astype(int)
    return f


@pytest.fixture(scope="module")
def cohort() -> Any:
    return seed003(seed=0)


def test_deterministic() -> None:
    a = assert_reproducible(seed003, 7)
    assert not seed003(seed=8).tables["patients"].equals(a.tables["patients"])


def test_tables_validate(cohort: Any) -> None:
    assert validation_errors(cohort.tables) == []


def test_table1_and_table2_counts(cohort: Any) -> None:
    p, b = cohort.tables["patients"], cohort.tables["baseline"]
    assert b["mvi_group"].value_counts().to_dict() == {"C": 8, "A": 6, "B": 4}
    assert p["sex"].value_counts().to_dict() == {"male": 12, "female": 6}
    assert p["etiology"].value_counts().to_dict() == {"HCV": 9, "HBV": 5, "NBNC": 4}
    assert (p["age_years"].min(), p["age_years"].max()) == (46, 79)
    assert (b["tumour_size_cm"] > 10).sum() == 5
    assert (b["tumour_size_cm_pre_hepatectomy"] > 10).sum() == 0
    assert b["tumour_size_cm"].max() == 15.0
    assert (b["tumour_number"] == 1).sum() == 7
    assert (b["tumour_number_pre_hepatectomy"] == 1).sum() == 9
    assert b["tumour_number"].median() == 2 and b["tumour_number_pre_hepatectomy"].median() == 1.5
    assert b["tnm_stage"].value_counts().to_dict() == {"T3b": 10, "T3a": 7, "T2": 1}
    assert b["tnm_stage_pre_hepatectomy"].value_counts().to_dict() == {"T3b": 10, "T2": 4,
                                                                       "T3a": 4}
    assert b["vp_grade"].value_counts().to_dict() == {"Vp0": 9, "Vp3": 4, "Vp2": 3, "Vp4": 2}
    assert b["vp_grade_pre_hepatectomy"].value_counts().to_dict() == {"Vp0": 9, "Vp3": 5,
                                                                      "Vp2": 3, "Vp4": 1}
    assert (b["child_pugh_score_pre_hepatectomy"] == 6).sum() == 2
    assert p["major_hepatectomy"].sum() == 14 and p["thrombectomy"].sum() == 9
    assert p["additional_tace"].sum() == 8
    assert (p["operation_time_min"].min(), p["operation_time_min"].max()) == (380, 1080)
    red = 100 * (1 - b["tumour_size_cm_pre_hepatectomy"] / b["tumour_size_cm"])
    assert 20 < red.median() < 45            # published 32.2 (13.3-66.7)
    assert 50 < b["tumour_size_cm"].median() * 10 < 95        # published 71 mm
    assert 1000 < b["afp"].median() < 15000                   # published 3748
    assert 5 < b["afp_pre_hepatectomy"].median() < 300        # published 31.8


def test_recurrence_sites(cohort: Any) -> None:
    p = cohort.tables["patients"].merge(cohort.tables["baseline"][["patient_id", "mvi_group"]])
    tab = p.groupby("mvi_group")["recurrence_site_detail"].value_counts().to_dict()
    assert tab == {("A", "liver_single"): 4, ("A", "bone"): 1, ("B", "lung"): 2,
                   ("B", "lung+ra_thrombus"): 1, ("B", "liver_multiple"): 1,
                   ("C", "liver_single"): 3, ("C", "lung"): 2}
    les = cohort.tables["lesions"]
    new = les[les["new_lesion"].astype(bool)]
    assert sorted(new["location"].value_counts().to_dict().items()) == [
        ("bone", 1), ("liver", 10), ("lung", 5), ("right atrium", 1)]


def test_planted_schedule_rates(cohort: Any) -> None:
    f = _frame(cohort.tables)
    assert f["os_t"].min() == pytest.approx(9.5, abs=0.05)
    assert f["os_t"].max() == pytest.approx(122.6, abs=0.05)
    assert 45 < f["os_t"].median() < 75                     # published 58.5
    os_all = kaplan_meier(f, "os_t", "os_e").at([12, 36])["survival"].to_numpy()
    assert os_all == pytest.approx([17 / 18, 16 / 18])       # 3-y 88.9 % (DQ-6), not 83.3 %
    dfs = kaplan_meier(f, "dfs_t", "dfs_e").at([12])["survival"].iloc[0]
    assert dfs == pytest.approx(11 / 18)
    by = kaplan_meier(f, "os_t", "os_e", by="mvi_group").at([12, 36])
    got = by.set_index(["group", "time"])["survival"].to_dict()
    assert got[("A", 36.0)] == 1 and got[("C", 36.0)] == 1
    assert got[("B", 12.0)] == 0.75 and got[("B", 36.0)] == 0.5
    assert f["dfs_e"].sum() == 14
    assert logrank(f, "os_t", "os_e", "mvi_group").p_value < 0.05
    assert logrank(f, "dfs_t", "dfs_e", "mvi_group").p_value < 0.01


def test_spec_reproduces_table1_pvalues(cohort: Any) -> None:
    res = run_study("003", cohort.tables)
    assert res.n_analysis == 18
    paper = res.outcomes["table1_pre_post_paper"].to_frame().set_index("label")["p_value"]
    published = {"Child-Pugh score": 0.089, "Tumour size > 10 cm": 0.005,
                 "Multiple tumours": 0.502, "T stage (AJCC 7th)": 0.252,
                 "Vp grade (Vp2-Vp4)": 0.798, "Vv grade (Vv2-Vv3)": 0.462}
    for label, p in published.items():
        assert round(float(paper[label]), 3) == p, label
    # the rendered Table I prints them on each variable's row, with the card's counts
    from hccstudy.report.tables import study_tables

    t = {x.key: x for x in study_tables(res)}["table1_pre_post_paper"]
    assert list(t.display.columns) == ["Characteristic", "Pre-HAIC", "Pre-hepatectomy", "p",
                                       "Test"]
    rows = {r[0]: r for r in t.display.values.tolist()}
    for label, p in published.items():
        assert rows[f"{label}, n (%)"][3] == f"{p:.3f}", label
    assert rows["Tumour size > 10 cm, n (%)"][1:3] == ["5 (27.8)", "0 (0.0)"]  # card: 5 (28), 0
    bor = res.outcomes["response_haic"].to_frame()
    assert bor is not None
    lr = res.outcomes["logrank_dfs_group"]
    assert lr.p_value < 0.01


def test_response_pr15_sd3(cohort: Any) -> None:
    from hccstudy.clinical.response import best_overall_response, timepoint_responses
    from hccstudy.design.tables import side_tables

    les = side_tables(cohort.tables)["lesions"]
    les = les[les["timepoint"] != "recurrence"]
    bor = best_overall_response(timepoint_responses(les))["bor"]
    assert bor.value_counts().to_dict() == {"PR": 15, "SD": 3}


@pytest.mark.slow
def test_schedule_holds_over_seeds() -> None:
    """Every seed keeps the planted schedule (the rates are exact, not just on average)."""
    for s in range(200):
        f = _frame(seed003(seed=3000 + s).tables)
        km = kaplan_meier(f, "os_t", "os_e", by="mvi_group").at([12, 36, 60])
        got = km.set_index(["group", "time"])["survival"].to_dict()
        assert got[("B", 12.0)] == 0.75 and got[("B", 36.0)] == 0.5
        assert got[("A", 60.0)] == pytest.approx(5 / 6)
        assert got[("C", 60.0)] == pytest.approx(7 / 8 * 5 / 6)
        assert np.isclose(kaplan_meier(f, "dfs_t", "dfs_e").at([12])["survival"].iloc[0],
                          11 / 18)


def test_write_read_round_trip(cohort: Any, tmp_path: Any) -> None:
    from hccstudy.synthetic import read_cohort
    from hccstudy.validate import validate

    ds = read_cohort(cohort.write(tmp_path, "csv"))
    assert [i for i in validate(ds).issues if i.severity == "error"] == []
    assert len(ds.tables["patients"]) == 18
    assert len(ds.tables["events"]) == 14
