"""Canonical tables -> study frame (hccstudy.design.tables) and run(spec, tables)."""

from __future__ import annotations

import pandas as pd
import pytest

from hccstudy.analyse.toxicity import worst_grade_columns
from hccstudy.design import prepare, run
from hccstudy.design.tables import patient_frame, side_tables
from hccstudy.errors import InputError


def _tables() -> dict[str, pd.DataFrame]:
    pats = pd.DataFrame({
        "patient_id": ["p1", "p2", "p3", "p4"], "sex": ["male", "female", "male", "male"],
        "diagnosis_date": ["2019-12-01"] * 4,
        "death_date": ["2021-01-01", None, "2020-09-01", None],
        "last_followup_date": ["2021-01-01", "2021-06-01", "2020-09-01", "2021-03-01"]})
    base = pd.DataFrame({
        "patient_id": ["p1", "p2", "p3", "p4"], "bilirubin": [0.8, 1.5, 2.5, 1.0],
        "albumin": [4.0, 3.2, 2.7, 3.6], "inr": [1.0, 1.2, 1.8, 1.1],
        "ascites": ["none", "mild", "moderate_severe", "none"], "encephalopathy": ["none"] * 4,
        "tumour_number": [1, 2, 3, 1], "tumour_size_cm": [4.0, 6.5, 10.0, 3.0],
        "ecog": [0, 1, 1, 0]})
    tx = pd.DataFrame({
        "patient_id": ["p1", "p1", "p2", "p3", "p4"], "treatment_number": [2, 1, 1, 1, 1],
        "treatment_type": ["TACE", "CCRT", "CCRT", "HAIC", "HAIC"],
        "start_date": ["2020-06-01", "2020-01-01", "2020-01-10", "2020-01-05", "2020-02-01"],
        "end_date": ["2020-06-02", "2020-02-15", "2020-02-20", "2020-03-01", "2020-04-01"],
        "rt_dose_gy": [None, 45.0, 45.0, None, None], "rt_fractions": [None, 25, 25, None, None]})
    les = pd.DataFrame({
        "patient_id": ["p1"] * 4, "lesion_id": ["t1", "t1", "t2", "t2"],
        "assessment_date": ["2019-12-20", "2020-05-01"] * 2, "target": [True] * 4,
        "viable_diameter_mm": [40, 10, 20, 0], "longest_diameter_mm": [40, 30, 20, 15],
        "new_lesion": [False] * 4})
    ev = pd.DataFrame({
        "patient_id": ["p1", "p3", "p3"], "event_type": ["progression"] * 3,
        "event_date": ["2020-08-01", "2020-05-01", "2020-04-01"],
        "site": ["intrahepatic", "extrahepatic", "local"],
        "rt_field_position": ["out_of_field", "out_of_field", "in_field"]})
    ae = pd.DataFrame({"patient_id": ["p1", "p1", "p2"],
                       "term": ["Nausea", "Nausea", "Platelet count decreased"],
                       "grade": [1, 3, 2]})
    return {"patients": pats, "baseline": base, "treatments": tx, "lesions": les,
            "events": ev, "adverse_events": ae}


SPEC = """
groups: {column: treatment_type, reference: HAIC}
clinical_derive: {}
endpoints:
  - {name: os, origin: start_date, event_date: death_date, last_followup: last_followup_date}
analyses: [{name: km, type: km, endpoint: os}]
"""


def test_patient_frame_first_treatment_events_and_ae() -> None:
    t = _tables()
    f = patient_frame(t)
    assert f["patient_id"].tolist() == ["p1", "p2", "p3", "p4"]
    assert f["treatment_type"].tolist() == ["CCRT", "CCRT", "HAIC", "HAIC"]  # number 1
    assert f["ae_nausea"].tolist() == [3, 0, 0, 0]  # worst grade
    assert f["ae_platelet_count_decreased"].tolist() == [0, 2, 0, 0]
    # first progression by date: p3's local (April) precedes the extrahepatic (May)
    assert f["progression_site"].tolist()[2] == "local"
    assert str(f["progression_date"].iloc[2].date()) == "2020-04-01"
    assert pd.isna(f["progression_date"].iloc[1])


def test_inputs_not_mutated() -> None:
    t = _tables()
    copies = {k: v.copy() for k, v in t.items()}
    prepare(SPEC, t)
    for k in t:
        pd.testing.assert_frame_equal(t[k], copies[k])


def test_side_tables_split_combined_sites() -> None:
    ev = pd.DataFrame({"patient_id": ["a", "b"], "event_type": ["progression", "recurrence"],
                       "event_date": ["2020-05-01", "2020-06-01"],
                       "site": ["intra_and_extrahepatic", "extrahepatic"],
                       "rt_field_position": ["in_field", "in_field"]})
    f = side_tables({"events": ev})["failures"]
    assert f[["site", "relation_to_field"]].values.tolist() == [
        ["intrahepatic", "inside"], ["extrahepatic", "outside"], ["extrahepatic", "inside"]]


def test_run_on_canonical_tables_derives_clinical_columns() -> None:
    p = prepare(SPEC, _tables())
    a = p.analysis.set_index("patient_id")
    assert a.loc["p1", "child_pugh_class"] == "A"
    assert a.loc["p1", "mrecist_bor"] == "PR"  # viable sum 60 -> 10 mm: -83 %
    assert bool(a.loc["p3", "ever_in_field"]) and bool(a.loc["p3", "ever_extrahepatic"])
    assert a.loc["p1", "bed10_gy"] == pytest.approx(45 * (1 + 1.8 / 10))
    r = run(SPEC, _tables())
    assert r.n_analysis == 4 and set(r.outcomes) == {"km"}


def test_worst_grade_rejects_invalid_grade() -> None:
    ae = pd.DataFrame({"patient_id": ["a"], "term": ["Nausea"], "grade": [7]})
    with pytest.raises(InputError, match="grade"):
        worst_grade_columns(ae, "patient_id", "term", "grade", ["a"])


def test_duplicate_patients_is_a_spec_error() -> None:
    t = _tables()
    t["patients"] = pd.concat([t["patients"], t["patients"].iloc[[0]]])
    with pytest.raises(InputError, match="duplicated"):
        prepare(SPEC, t)


def test_labs_without_ctcae_grade_are_left_to_the_frame() -> None:
    labs = pd.DataFrame({"patient_id": ["a", "a"], "lab_date": ["2020-01-01"] * 2,
                         "test": ["afp", "platelets"], "value": [20.0, 90.0],
                         "unit": ["ng/mL", "10^9/L"]})
    out = side_tables({"labs": labs})["labs"]
    assert out["test"].tolist() == ["platelets"] and "date" in out.columns


def test_lab_toxicity_joins_reported_adverse_events() -> None:
    t = _tables()
    # platelets graded by CTCAE v5.0 during RT (start_date .. end_date + 90 days)
    t["labs"] = pd.DataFrame({
        "patient_id": ["p1", "p1", "p2", "p2"],
        "lab_date": ["2019-12-20", "2020-01-20", "2020-01-05", "2020-01-30"],
        "test": ["platelets", "platelets", "platelets", "platelets"],
        "value": [200.0, 40.0, 200.0, 120.0], "unit": ["10^9/L"] * 4})
    a = prepare(SPEC, t).analysis.set_index("patient_id")
    # p1: 40 x 10^9/L is grade 3 (< 50); p2: reported grade 2 beats lab grade 1 (< LLN 150)
    assert a.loc["p1", "ae_platelet_count_decreased"] == 3
    assert a.loc["p2", "ae_platelet_count_decreased"] == 2
