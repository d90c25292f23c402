"""De-identification: identifiers dropped, pseudonyms, interval-preserving date shifts, top-coding."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstudy.errors import InputError
from hccstudy.io import Dataset, read
from hccstudy.io.deidentify import deidentify, identifiers_of, pseudonym, scan_for_identifiers

SALT = "test salt, not a real secret"


def _dataset(tmp_path: Path) -> Dataset:
    d = tmp_path / "raw"
    d.mkdir()
    (d / "patients.csv").write_text(
        "patient_id,name,hospital_number,birth_date,age_years,diagnosis_date,death_date\n"
        "YCC-0001,Kim Minsu,HN-778812,1930-05-01,,2020-01-10,2020-09-01\n"
        "YCC-0002,Lee Jiwoo,HN-112233,1960-02-02,60,2020-03-01,\n")
    (d / "treatments.csv").write_text(
        "patient_id,treatment_number,treatment_type,start_date,end_date\n"
        "YCC-0001,1,CCRT,2020-02-01,2020-03-07\nYCC-0002,1,TACE,2020-03-20,\n")
    return read(d)


def test_deidentify(tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    out = deidentify(ds, SALT)
    pats, tx = out.table("patients"), out.table("treatments")
    assert "name" not in pats and "hospital_number" not in pats and "birth_date" not in pats
    assert pats["age_years"].tolist() == [89.7, 60.0]  # derived from birth date, then dropped
    assert pats["patient_id"].tolist() == [pseudonym("YCC-0001", SALT), pseudonym("YCC-0002", SALT)]
    assert set(tx["patient_id"]) == set(pats["patient_id"])
    # intervals within a patient are preserved
    orig_p, orig_t = ds.table("patients"), ds.table("treatments")
    assert (pats["death_date"] - pats["diagnosis_date"]).iloc[0] == \
        (orig_p["death_date"] - orig_p["diagnosis_date"]).iloc[0]
    assert (tx["start_date"].iloc[0] - pats["diagnosis_date"].iloc[0]) == \
        (orig_t["start_date"].iloc[0] - orig_p["diagnosis_date"].iloc[0])
    assert (tx["end_date"] - tx["start_date"]).iloc[0] == pd.Timedelta(days=35)
    # same salt, same result; other salt, other pseudonyms
    assert deidentify(ds, SALT).table("patients").equals(pats)
    assert deidentify(ds, SALT + "x").table("patients")["patient_id"].iloc[0] != \
        pats["patient_id"].iloc[0]


def test_top_coding() -> None:
    from hccstudy.io.read import Dataset

    pats = pd.DataFrame({"patient_id": ["a", "b", "c"], "age_years": [89.0, 89.99, 90.0]})
    out = deidentify(Dataset({"patients": pats}, ()), SALT).table("patients")
    assert out["age_years"].tolist() == [89.0, 89.99, 90.0]


def test_short_salt_refused() -> None:
    with pytest.raises(InputError, match="salt"):
        pseudonym("x", "short")


def test_scanner_finds_leftovers(tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    clean = deidentify(ds, SALT)
    clean.table("patients").to_csv(out_dir / "patients.csv", index=False)
    clean.table("treatments").to_parquet(out_dir / "treatments.parquet")
    ids = identifiers_of(ds)
    assert scan_for_identifiers(out_dir, ids) == []
    ds.table("patients").to_excel(out_dir / "leak.xlsx", index=False)
    (out_dir / "report.html").write_text("<td>kim minsu</td>")
    found = {(f.file, f.kind) for f in scan_for_identifiers(out_dir, ids)}
    assert ("report.html", "name") in found
    assert {("leak.xlsx", k) for k in ("patient_id", "name", "hospital_number")} <= found


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 2000), min_size=2, max_size=6), st.text(min_size=1, max_size=8))
def test_shift_preserves_intervals(days: list[int], pid: str) -> None:
    from hccstudy.io.read import Dataset

    dates = [pd.Timestamp("2010-01-01") + pd.Timedelta(days=d) for d in days]
    tx = pd.DataFrame({"patient_id": [pid] * len(days), "start_date": dates})
    out = deidentify(Dataset({"treatments": tx}, ()), SALT, max_shift_days=30).table("treatments")
    shift = out["start_date"] - tx["start_date"]
    assert shift.nunique() == 1 and abs(shift.iloc[0].days) <= 30
