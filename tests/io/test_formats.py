"""Round trips for every format the importer reads (synthetic data written in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from hccstudy.errors import InputError
from hccstudy.io import Dataset, draft_mapping, load_mapping, read
from hccstudy.io.mapping import parse_yaml


def _cohort(n: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    dx = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    return pd.DataFrame({
        "patient_id": [f"P{k:03d}" for k in range(1, n + 1)],
        "sex": ["male", "female"] * (n // 2),
        "age_years": rng.integers(40, 80, n).astype(float),
        "diagnosis_date": dx,
        "last_followup_date": dx + pd.Timedelta(days=400),
        "albumin": np.round(rng.uniform(3.0, 4.5, n), 1),
        "bilirubin": np.round(rng.uniform(0.4, 1.8, n), 2),
        "platelets": rng.integers(80, 250, n).astype(float),
        "treatment_type": ["CCRT", "TACE"] * (n // 2),
        "start_date": dx + pd.Timedelta(days=20),
        "rt_dose_gy": [45.0, None] * (n // 2),
    })


def _check_wide(ds: Dataset, src: pd.DataFrame) -> None:
    pats = ds.table("patients").reset_index(drop=True)
    assert pats["patient_id"].tolist() == src["patient_id"].tolist()
    assert pats["sex"].tolist() == src["sex"].tolist()
    assert (pats["diagnosis_date"].dt.normalize() == src["diagnosis_date"]).all()
    base = ds.table("baseline").reset_index(drop=True)
    np.testing.assert_allclose(base["albumin"], src["albumin"])
    np.testing.assert_allclose(base["platelets"], src["platelets"])
    tx = ds.table("treatments").reset_index(drop=True)
    assert tx["treatment_type"].tolist() == src["treatment_type"].tolist()
    assert tx["treatment_number"].tolist() == [1] * len(src)
    assert not [i for i in ds.issues if i.severity == "error"]


def test_csv_round_trip(tmp_path: Path) -> None:
    src = _cohort()
    p = tmp_path / "cohort.csv"
    src.to_csv(p, index=False)
    ds = read(p)
    _check_wide(ds, src)
    prov = ds.provenance[0]
    assert (prov.file, prov.rows_read, prov.format, len(prov.sha256)) == ("cohort.csv", 6, "csv", 64)
    # the index is the row the user sees: header = row 1
    assert ds.tables["patients"].index.tolist() == list(range(2, 8))


def test_xlsx_round_trip_wide(tmp_path: Path) -> None:
    src = _cohort()
    p = tmp_path / "cohort.xlsx"
    src.to_excel(p, index=False)
    ds = read(p)
    _check_wide(ds, src)
    assert ds.provenance[0].format == "xlsx"


def test_xlsx_long_workbook(tmp_path: Path) -> None:
    p = tmp_path / "study.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"patient_id": ["A", "B"], "sex": ["M", "F"],
                      "diagnosis_date": pd.to_datetime(["2020-01-01", "2020-02-01"])}
                     ).to_excel(w, sheet_name="Patients", index=False)
        pd.DataFrame({"patient_id": ["A", "A", "B"], "treatment_number": [1, 2, 1],
                      "treatment_type": ["RT", "HAIC", "TACE"],
                      "start_date": pd.to_datetime(["2020-01-10", "2020-03-01", "2020-02-10"])}
                     ).to_excel(w, sheet_name="Tx", index=False)
        pd.DataFrame({"patient_id": ["A", "B"], "lab_date": ["2020-01-05", "2020-02-05"],
                      "test": ["albumin", "albumin"], "value": [3.9, 40], "unit": ["g/dL", "g/L"]}
                     ).to_excel(w, sheet_name="labs", index=False)
        pd.DataFrame({"patient_id": ["A"], "term": ["Nausea"], "grade": [2],
                      "onset_date": ["2020-01-20"]}).to_excel(w, sheet_name="AEs", index=False)
    ds = read(p)
    assert list(ds.tables) == ["patients", "treatments", "labs", "adverse_events"]
    assert ds.table("treatments")["treatment_type"].tolist() == ["RT", "HAIC", "TACE"]
    assert ds.table("patients")["sex"].tolist() == ["male", "female"]
    assert ds.tables["labs"][ "_source"].iloc[0] == "study.xlsx[labs]"
    assert ds.provenance[0].sheets == ("Patients", "Tx", "labs", "AEs")


def test_folder_long_layout(tmp_path: Path) -> None:
    d = tmp_path / "study"
    d.mkdir()
    pd.DataFrame({"patient_id": ["A", "B"], "diagnosis_date": ["2020-01-01", "2020-01-02"]}
                 ).to_csv(d / "patients.csv", index=False)
    pd.DataFrame({"patient_id": ["A"], "event_type": ["progression"], "event_date": ["2020-05-01"],
                  "site": ["intrahepatic"], "rt_field_position": ["out-of-field"]}
                 ).to_csv(d / "events.csv", index=False)
    (d / "notes.txt.bak").write_text("ignored")
    ds = read(d)
    assert set(ds.tables) == {"patients", "events"}
    assert ds.table("events")["rt_field_position"].tolist() == ["out_of_field"]
    assert [p.file for p in ds.provenance] == ["events.csv", "patients.csv"]


def test_sav_keeps_value_labels(tmp_path: Path) -> None:
    df = pd.DataFrame({"pid": ["A", "B", "C"], "sex": [1.0, 2.0, 1.0], "bclc": [3.0, 4.0, 3.0],
                       "dxdate": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"])})
    p = tmp_path / "spss.sav"
    pyreadstat.write_sav(df, str(p), variable_value_labels={
        "sex": {1: "Male", 2: "Female"}, "bclc": {3: "B", 4: "C"}})
    mapping = {"columns": {"pid": "patient_id", "bclc": "bclc_stage", "dxdate": "diagnosis_date"}}
    ds = read(p, mapping)
    assert ds.table("patients")["sex"].tolist() == ["male", "female", "male"]
    assert ds.table("baseline")["bclc_stage"].tolist() == ["B", "C", "B"]
    assert ds.value_labels["spss.sav"]["sex"] == {1.0: "Male", 2.0: "Female"}
    assert ds.table("patients")["diagnosis_date"].dt.year.tolist() == [2020] * 3
    assert ds.tables["patients"].index.tolist() == [1, 2, 3]  # SPSS case numbers


def test_dta_round_trip(tmp_path: Path) -> None:
    df = pd.DataFrame({"patient_id": ["A", "B"], "sex": [1, 2], "albumin": [3.5, 4.1],
                       "diagnosis_date": pd.to_datetime(["2020-01-01", "2020-02-01"])})
    p = tmp_path / "stata.dta"
    pyreadstat.write_dta(df, str(p), variable_value_labels={"sex": {1: "male", 2: "female"}})
    ds = read(p)
    assert ds.table("patients")["sex"].tolist() == ["male", "female"]
    assert ds.table("baseline")["albumin"].tolist() == [3.5, 4.1]
    assert ds.provenance[0].format == "dta"


def test_parquet_round_trip(tmp_path: Path) -> None:
    src = _cohort()
    p = tmp_path / "cohort.parquet"
    src.to_parquet(p)
    _check_wide(read(p), src)


def test_redcap_checkbox_columns_collapsed(tmp_path: Path) -> None:
    p = tmp_path / "redcap_export.csv"
    p.write_text(
        "record_id,redcap_event_name,sex,etiology___1,etiology___2,etiology___3,baseline_complete\n"
        "1,baseline_arm_1,M,1,0,0,2\n"
        "2,baseline_arm_1,F,1,1,0,2\n"
        "3,baseline_arm_1,F,Unchecked,Unchecked,Checked,2\n")
    mapping = {"columns": {"etiology": {"to": "etiology", "codes": {
        "1": "HBV", "2": "HCV", "1|2": "HBV_HCV", "3": "alcohol"}}}}
    ds = read(p, mapping)
    assert ds.provenance[0].format == "redcap"
    assert ds.table("patients")["etiology"].tolist() == ["HBV", "HBV_HCV", "alcohol"]
    assert ds.table("patients")["patient_id"].tolist() == ["1", "2", "3"]
    assert not ds.issues  # REDCap admin columns are dropped silently


def test_draft_mapping_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "sheet.xlsx"
    pd.DataFrame({"Pt ID": ["a", "b"], "Gender": ["Man", "Woman"], "Albumin (g/L)": [35, 41],
                  "Tumor size": [3.0, 7.5], "PVTT": ["yes", "no"], "Remarks": ["x", "y"],
                  "Etiology": ["HBV", "something"]}).to_excel(p, index=False)
    text = draft_mapping(p)
    assert "Remarks" in text and "# check" in text
    assert '"a"' not in text  # identifier values are never written
    mfile = tmp_path / "map.yaml"
    # 'something' matches no etiology code: the unedited draft is refused, naming it
    assert '"something": "something"  # check: no model code matched' in text
    mfile.write_text(text)
    with pytest.raises(InputError, match="'something' maps to 'something'") as exc:
        read(p, mfile)
    assert exc.value.rule == "mapping"
    text = text.replace('"something": "something"', '"something": "other"')
    mfile.write_text(text)
    ds = read(p, mfile)
    assert ds.table("patients")["etiology"].tolist() == ["HBV", "other"]
    assert ds.table("patients")["sex"].tolist() == ["male", "female"]
    assert ds.table("baseline")["albumin"].tolist() == [3.5, 4.1]
    assert ds.table("baseline")["pvi"].tolist() == [True, False]
    assert ds.conversions == ("sheet.xlsx[Sheet1]: albumin: g/L x 0.1 -> g/dL",)
    assert load_mapping(parse_yaml(text)).columns["pt_id"].target == "patient_id"


def test_mapping_yaml_bool_keys_and_date_format(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("id,pvi,dx\n1,yes,03/04/2020\n2,no,13/04/2020\n")
    (tmp_path / "m.yaml").write_text(
        "columns:\n  id: patient_id\n  pvi:\n    to: pvi\n    codes: {yes: true, no: false}\n"
        "  dx:\n    to: diagnosis_date\n    date_format: '%d/%m/%Y'\n")
    ds = read(tmp_path / "d.csv", tmp_path / "m.yaml")
    assert ds.table("baseline")["pvi"].tolist() == [True, False]
    assert ds.table("patients")["diagnosis_date"].tolist() == [pd.Timestamp("2020-04-03"),
                                                               pd.Timestamp("2020-04-13")]


@pytest.mark.parametrize("bad, fragment", [
    ({"columns": {"x": "no_such_column"}}, "not in the data model"),
    ({"columns": {"x": {"to": "albumin", "unit": "mmHg"}}}, "unit"),
    ({"columns": {"x": {"to": "sex", "codes": {"1": "unicorn"}}}}, "code"),
    ({"tables": {"Sheet": "nope"}}, "unknown table"),
    ({"colums": {}}, "unknown top-level"),
])
def test_mapping_errors(tmp_path: Path, bad: dict, fragment: str) -> None:  # type: ignore[type-arg]
    (tmp_path / "d.csv").write_text("patient_id\n1\n")
    with pytest.raises(InputError, match=fragment) as exc:
        read(tmp_path / "d.csv", bad)
    assert exc.value.rule == "mapping"


def test_invalid_yaml_is_a_mapping_error(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("columns: [unclosed\n")
    (tmp_path / "d.csv").write_text("patient_id\n1\n")
    with pytest.raises(InputError, match="not valid YAML") as exc:
        read(tmp_path / "d.csv", tmp_path / "m.yaml")
    assert exc.value.rule == "mapping"


def test_draft_mapping_for_a_workbook_names_its_sheets(tmp_path: Path) -> None:
    p = tmp_path / "study.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"ID": ["A"], "Sex": ["F"]}).to_excel(w, sheet_name="Demographics",
                                                           index=False)
        pd.DataFrame({"ID": ["A"], "Grade": [3], "AE term": ["Nausea"]}).to_excel(
            w, sheet_name="Toxicity", index=False)
        pd.DataFrame({"x": [1]}).to_excel(w, sheet_name="Notes", index=False)
    mapping = parse_yaml(draft_mapping(p))
    assert mapping["tables"] == {"Demographics": "patients", "Toxicity": "adverse_events",
                                 "Notes": None}
    assert mapping["columns"]["Grade"]["to"] == "grade"
    ds = read(p, mapping)
    assert set(ds.tables) == {"patients", "adverse_events"}
    assert ds.table("adverse_events")["grade"].tolist() == [3]


def test_unmapped_and_misplaced_columns_are_warnings(tmp_path: Path) -> None:
    p = tmp_path / "study.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"patient_id": ["A"], "hair colour": ["red"]}).to_excel(
            w, sheet_name="patients", index=False)
        pd.DataFrame({"patient_id": ["A"], "sex": ["F"], "lab_date": ["2020-01-01"],
                      "test": ["albumin"], "value": [3.9], "unit": ["g/dL"]}).to_excel(
            w, sheet_name="labs", index=False)
    ds = read(p)
    got = {(i.file, i.column, i.rule) for i in ds.issues}
    assert got == {("study.xlsx[patients]", "hair colour", "unmapped-column"),
                   ("study.xlsx[labs]", "sex", "unmapped-column")}


def test_study_specific_extra_columns(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("patient_id,Prior abdominal RT,Registry date,Notes\n1,yes,2020-01-01,a\n"
                 "2,no,2020-02-01,b\n")
    mapping = {"columns": {"Prior abdominal RT": {"to": "extra.prior_abdominal_rt",
                                                  "kind": "bool"},
                           "Registry date": {"to": "extra.registry_date", "kind": "date"},
                           "Notes": None}}
    ds = read(p, mapping)
    pats = ds.table("patients")
    assert pats["prior_abdominal_rt"].tolist() == [True, False]
    assert pats["registry_date"].tolist() == [pd.Timestamp("2020-01-01"),
                                              pd.Timestamp("2020-02-01")]
    assert not ds.issues
    with pytest.raises(InputError, match="not a data-model column"):
        read(p, {"columns": {"Notes": "extra.albumin"}})
    with pytest.raises(InputError, match="kind"):
        read(p, {"columns": {"Notes": {"to": "albumin", "kind": "text"}}})
