"""``derive``: every derivable column, skip log, no overwrite, side tables."""

from __future__ import annotations

import pandas as pd
import pytest

from hccstudy.clinical import ClinicalInputError, DeriveSpec, derive


def patients() -> pd.DataFrame:
    return pd.DataFrame({
        "patient_id": ["a", "b"],
        "bilirubin_umol_l": [25.7, 12.0], "albumin_g_l": [31.0, 45.0], "inr": [1.4, 1.0],
        "creatinine_mg_dl": [1.0, 0.8], "sodium_mmol_l": [135, 140], "dialysis": [False, False],
        "ascites": ["mild", "none"], "encephalopathy": ["none", "none"],
        "n_tumours": [1, 2], "max_diam_cm": [6.0, 1.8], "vp": ["Vp3", "Vp0"], "vv": [0, 0],
        "n_stage": ["N0", "N0"], "m_stage": ["M0", "M0"], "ecog": [0, 0],
        "rt_total_dose_gy": [45.0, 50.0], "rt_fractions": [25, 10],
        "height_cm": [170, 160], "weight_kg": [65, 55], "afp_iu_ml": [350.0, None],
        "birth_date": ["1960-03-01", "1950-01-01"], "index_date": ["2015-03-01", "2015-03-01"],
        "rt_start_date": pd.to_datetime(["2015-03-01", "2015-03-01"]),
        "rt_end_date": pd.to_datetime(["2015-04-05", "2015-03-15"]),
    })


def test_derive_all_patient_columns() -> None:
    out = derive(patients())
    a, b = out.iloc[0], out.iloc[1]
    assert a["child_pugh_label"] == "B7" and b["child_pugh_label"] == "A5"
    assert a["albi_grade"] == 2 and b["albi_grade"] == 1
    assert a["meld"] == 12 and "meld_na" in out.columns
    assert bool(a["major_pvi"]) and not bool(b["any_macrovascular"])
    assert not bool(a["extrahepatic_spread"])
    assert a["bclc_2022"] == "C" and b["bclc_2022"] == "A" and b["bclc_2010"] == "A"
    assert a["lcsgj_t"] == "T3" and b["lcsgj_t"] == "T2" and b["lcsgj_stage"] == "II"
    assert a["ajcc8_t"] == "T4" and b["ajcc8_t"] == "T2"
    assert a["bed10_gy"] == pytest.approx(53.1) and b["bed10_gy"] == pytest.approx(75.0)
    assert a["bsa_m2"] == pytest.approx(1.752, abs=5e-4)
    assert a["ecog_bclc_ps_group"] == "0"
    assert a["afp_ng_ml"] == pytest.approx(423.5) and bool(a["afp_high_400"])
    assert pd.isna(b["afp_high_400"])
    assert a["age_years"] == 55
    log = out.attrs["clinical_derivations"]
    assert log["child_pugh"] == "derived" and log["bclc_2022"] == "derived"
    # the input frame is untouched
    assert "child_pugh_label" not in patients().columns


def test_derive_skips_what_it_cannot_and_uses_recorded_class() -> None:
    d = pd.DataFrame({"n_tumours": [1], "max_diam_cm": [1.5], "ecog": [0],
                      "child_pugh_class": ["B"], "macrovascular_invasion": [False],
                      "extrahepatic_spread": [False]})
    out = derive(d, DeriveSpec(bclc_versions=("2022", "2010", "2018")))
    assert out[["bclc_2022", "bclc_2010"]].iloc[0].tolist() == ["0", "A"]
    assert out["bclc_2018"].iloc[0] is None
    log = out.attrs["clinical_derivations"]
    assert log["child_pugh"].startswith("skipped") and log["meld"].startswith("skipped")


def test_derive_never_overwrites_inputs() -> None:
    d = patients().assign(albi_grade=[1, 1])
    with pytest.raises(ClinicalInputError, match="overwrite") as exc:
        derive(d)
    assert exc.value.column == "albi_grade"


def test_derive_reports_bad_values_by_row() -> None:
    d = patients()
    d.loc[1, "albumin_g_l"] = 4.5  # g/dL value in a g/L column
    with pytest.raises(ClinicalInputError, match="likely unit mix-up") as exc:
        derive(d)
    assert exc.value.row == 1 and exc.value.column == "albumin_g_l"
    assert exc.value.value == 4.5 and "but is in g/dL" in str(exc.value)


def test_derive_with_side_tables() -> None:
    les = pd.DataFrame({"patient_id": ["a", "a", "b", "b"],
                        "lesion_id": ["t1"] * 4,
                        "date": ["2015-02-20", "2015-06-01", "2015-02-20", "2015-06-01"],
                        "target": [True] * 4, "new": [False] * 4,
                        "diam_mm": [60.0, 55.0, 20.0, 20.0], "viable_mm": [50.0, 20.0, 18.0, 0.0]})
    labs = pd.DataFrame({"patient_id": ["a", "a", "b"],
                         "date": pd.to_datetime(["2015-02-25", "2015-04-01", "2015-05-01"]),
                         "test": ["platelets"] * 3, "value": [120.0, 45.0, 60.0],
                         "lln": [150.0] * 3})
    fails = pd.DataFrame({"patient_id": ["a"], "date": ["2015-10-01"], "site": ["liver"],
                          "relation_to_field": ["outside"]})
    spec = DeriveSpec(response_criteria=("mrecist", "recist1.1"))
    out = derive(patients(), spec, lesions=les, labs=labs, failures=fails)
    assert out["mrecist_bor"].tolist() == ["PR", "CR"]
    assert out["recist11_bor"].tolist() == ["SD", "SD"]
    # window RT start to RT end + 90 days: b's day-61 value is inside (end 2015-06-13)
    assert out["ctcae_platelet_count_decreased_worst"].tolist() == [3, 2]
    assert out["first_failure_days"].tolist()[0] == 214
    assert out["first_failure_pattern"].tolist() == ["isolated intrahepatic out_of_field",
                                                     "no failure"]


def test_side_tables_need_unique_patient_column() -> None:
    d = patients()
    d.loc[1, "patient_id"] = "a"
    with pytest.raises(ClinicalInputError, match="duplicated patient"):
        derive(d, failures=pd.DataFrame(columns=["patient_id", "date", "site",
                                                 "relation_to_field"]))


def test_every_derived_column_is_documented() -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "clinical.md").read_text()
    spec = DeriveSpec(response_criteria=("mrecist", "recist1.1"),
                      bclc_versions=("2022", "2010", "2018"))
    les = pd.DataFrame({"patient_id": ["a", "a"], "lesion_id": ["t1", "t1"],
                        "date": ["2015-02-20", "2015-06-01"], "target": [True, True],
                        "new": [False, False], "diam_mm": [60.0, 55.0], "viable_mm": [50.0, 20.0]})
    labs = pd.DataFrame({"patient_id": ["a"], "date": pd.to_datetime(["2015-04-01"]),
                         "test": ["AST"], "value": [50.0], "uln": [40.0]})
    fails = pd.DataFrame({"patient_id": ["a"], "date": ["2015-10-01"], "site": ["liver"],
                          "relation_to_field": ["outside"]})
    out = derive(patients(), spec, lesions=les, labs=labs, failures=fails)
    new_cols = [c for c in out.columns if c not in patients().columns]
    generic = [
        (r"^ctcae_[a-z_]+?_(worst|baseline|worsened)$", r"ctcae_<term>_\1"),
        (r"^(fail|ever|first)_(in_field|marginal|intrahepatic_out_of_field|extrahepatic)"
         r"(_date|_days|_months)?$", r"\1_<class>\3"),
        (r"^afp_high_\d+$", "afp_high_20"),
        (r"^(bed|eqd2_)\d+(p\d+)?_gy$", r"\g<1>10_gy"),
        (r"^recist11_", "mrecist_"),
        (r"^bclc_\d{4}", "bclc_<version>"),
    ]
    undocumented = []
    for c in new_cols:
        name = c
        for pat, rep in generic:
            name = re.sub(pat, rep, name)
        if f"`{name}`" not in doc and f"`{name}" not in doc:
            undocumented.append(c)
    assert undocumented == []


def test_empty_frame_and_light_import() -> None:
    import subprocess
    import sys

    out = derive(patients().iloc[:0])
    assert len(out) == 0 and "child_pugh_class" in out.columns
    code = ("import sys, hccstudy.clinical; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'formulaic', "
            "'matplotlib', 'hypothesis', 'pydantic'}))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"
