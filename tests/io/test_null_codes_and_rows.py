"""A code mapped to null, a blank first-treatment cell and the draft mapping's guesses:
nothing is dropped or emptied silently (hand-made synthetic sheets only)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hccstudy.errors import InputError
from hccstudy.io import draft_mapping, read
from hccstudy.io.mapping import guess_target, parse_yaml
from hccstudy.validate import validate_file


def _sheet(tmp_path: Path, **columns: list[object]) -> Path:
    p = tmp_path / "cohort.xlsx"
    pd.DataFrame(columns).to_excel(p, index=False)
    return p


def test_code_mapped_to_null_keeps_rows_and_warns(tmp_path: Path) -> None:
    p = _sheet(tmp_path, **{"Patient ID": ["A", "B", "C", "D"],
                            "Treatment": ["TACE alone", "TACE+RT", "TACE alone", "tace+rt"]})
    mapping = {"columns": {"Patient ID": "patient_id",
                           "Treatment": {"to": "treatment_type",
                                         "codes": {"TACE alone": "TACE", "TACE+RT": None}}}}
    ds = read(p, mapping)
    tx = ds.table("treatments")
    assert tx.index.tolist() == [2, 3, 4, 5]  # no row dropped
    assert tx["treatment_type"].tolist() == ["TACE", None, "TACE", None]
    report = validate_file(p, mapping)
    assert report.ok  # an explicit null is allowed ...
    [w] = [i for i in report.issues if i.rule == "coded-missing"]
    # ... but reported: column, value, number of cells and their rows
    assert (w.severity, w.file, w.row, w.column, w.value) == (
        "warning", "cohort.xlsx[Sheet1]", 3, "Treatment", "TACE+RT")
    assert w.hint.startswith("2 cell(s) read as missing (rows 3, 5)")


@pytest.mark.parametrize("fast", [True, False])
def test_coded_missing_for_numbers_and_yes_no(tmp_path: Path, fast: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys.modules["hccstudy.io.read"], "_FAST", fast)
    p = _sheet(tmp_path, **{"id": ["A", "B", "C", "D", "E", "F", "G"],
                            "AFP": ["12", "nd", "ND", "3", "nd", "nd", "nd"],
                            "PVTT": ["yes", "unk", "no", "no", "yes", "no", "no"]})
    mapping = {"columns": {"AFP": {"to": "afp", "codes": {"nd": None}},
                           "PVTT": {"to": "pvi", "codes": {"unk": None}}}}
    ds = read(p, mapping)
    got = [(i.row, i.column, i.value, i.hint.split(" because")[0]) for i in ds.issues
           if i.rule == "coded-missing"]
    assert got == [(3, "AFP", "nd", "5 cell(s) read as missing (rows 3, 4, 6, 7, 8)"),
                   (3, "PVTT", "unk", "1 cell(s) read as missing (row 3)")]
    assert ds.table("baseline")["afp"].isna().sum() == 5


def test_blank_first_treatment_date_keeps_the_row(tmp_path: Path) -> None:
    p = _sheet(tmp_path, **{"Patient ID": ["A", "B", "C"],
                            "Date of RT": ["2020-01-05", None, "2020-03-01"],
                            "Last FU": ["2021-01-01", "2021-02-01", "2021-03-01"]})
    mapping = {"columns": {"Patient ID": "patient_id", "Date of RT": "start_date",
                           "Last FU": "last_followup_date"}}
    tx = read(p, mapping).table("treatments")
    assert tx.index.tolist() == [2, 3, 4]
    assert tx["treatment_number"].tolist() == [1, 1, 1]
    assert tx["start_date"].isna().tolist() == [False, True, False]
    report = validate_file(p, mapping, analyses=["overall_survival"])
    assert [(i.rule, i.row, i.column) for i in report.errors] == [
        ("required-for-analysis", 3, "Date of RT")]
    assert validate_file(p, mapping).ok  # start_date is required by that analysis only


def test_draft_never_writes_a_silent_null_code(tmp_path: Path) -> None:
    p = _sheet(tmp_path, **{"Patient ID": ["A", "B"], "Treatment": ["TACE alone", "RFA"],
                            "PVTT": ["yes", "maybe"]})
    text = draft_mapping(p)
    assert '"TACE alone": "TACE alone"  # check: no model code matched: replace with one of ' \
        "RT, CCRT" in text
    assert '"RFA": "ablation"\n' in text
    assert '"maybe": "maybe"  # check: no model code matched: replace with yes or no' in text
    assert ": null  # check" not in text
    mfile = tmp_path / "map.yaml"
    mfile.write_text(text)
    report = validate_file(p, mfile)  # the unedited draft is an error, not "0 errors"
    assert [(i.severity, i.rule) for i in report.issues] == [("error", "mapping")]
    hint = report.issues[0].hint  # every unedited code at once
    assert "column 'Treatment': code 'TACE alone' maps to 'TACE alone'" in hint
    assert "column 'PVTT': code target 'maybe' must be yes/no" in hint
    text = text.replace('"maybe": "maybe"', '"maybe": null')
    mfile.write_text(text)
    [issue] = validate_file(p, mfile).issues
    assert issue.rule == "mapping" and "'TACE alone' maps to 'TACE alone'" in issue.hint
    assert "maybe" not in issue.hint
    mfile.write_text(text.replace('"TACE alone": "TACE alone"', '"TACE alone": "TACE"'))
    report = validate_file(p, mfile)
    assert report.ok
    assert [(i.rule, i.row, i.column, i.value) for i in report.issues] == [
        ("coded-missing", 3, "PVTT", "maybe")]


def test_mapping_error_lists_every_bad_code_of_a_column() -> None:
    with pytest.raises(InputError, match="code 'a' maps to 'x', code 'b' maps to 'y': not one"):
        read_mapping = {"columns": {"S": {"to": "sex", "codes": {"a": "x", "b": "y"}}}}
        from hccstudy.io.mapping import parse_mapping

        parse_mapping(read_mapping)


@pytest.mark.parametrize("header, target", [
    ("Date of RT", "start_date"), ("RT date", "start_date"), ("Date of TACE", "start_date"),
    ("Op date", "start_date"), ("TACE end date", "end_date"), ("Date of brith", "birth_date"),
    ("Birth dt", "birth_date"), ("Tumor sz", "tumour_size_cm"),
])
def test_draft_guesses_treatment_dates_not_birth_date(header: str, target: str) -> None:
    assert guess_target(header) == (target, True)


def test_draft_of_a_treatment_date_column(tmp_path: Path) -> None:
    p = _sheet(tmp_path, **{"Patient ID": ["A"], "Date of RT": ["2020-01-05"]})
    columns = parse_yaml(draft_mapping(p))["columns"]
    assert columns["Date of RT"] == {"to": "start_date"}
    assert "birth_date" not in draft_mapping(p)
