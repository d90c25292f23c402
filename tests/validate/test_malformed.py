"""A corpus of malformed files: each yields its documented rule, never a traceback."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hccstudy.io import read
from hccstudy.validate import RULES, ValidationReport, validate, validate_file


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _rows(report: ValidationReport, rule: str) -> list[tuple[int | None, str | None, str | None]]:
    return [(i.row, i.column, i.value) for i in report.issues if i.rule == rule]


def test_every_rule_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "data-io.md").read_text()
    for rule in RULES:
        assert f"`{rule}`" in doc, rule


def test_semicolon_delimiter_detected(tmp_path: Path) -> None:
    p = _write(tmp_path, "eu.csv", "patient_id;albumin;bilirubin\n1;3,5;0,8\n2;4,1;1,2\n")
    r = validate_file(p)
    assert r.ok and "csv-delimiter" in r.rules()
    assert read(p).table("baseline")["albumin"].tolist() == [3.5, 4.1]


def test_unknown_delimiter_gives_single_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "spaces.csv", "patient_id albumin\n1 3.5\n2 4.1\n")
    r = validate_file(p)
    assert not r.ok and "single-column" in r.rules()


def test_ragged_csv_is_unreadable_not_a_traceback(tmp_path: Path) -> None:
    p = _write(tmp_path, "ragged.csv", "patient_id,albumin\n1,3.5\n2,4.1,9,9\n")
    r = validate_file(p)
    assert [i.rule for i in r.errors] == ["unreadable-file"]
    assert "line 3" in r.errors[0].hint


@pytest.mark.parametrize("name, content", [
    ("empty.csv", b""),
    ("broken.xlsx", b"this is not a zip file"),
    ("broken.sav", b"\x00\x01garbage"),
    ("broken.parquet", b"PAR1garbage"),
    ("data.docx", b"whatever"),
])
def test_unreadable_files(tmp_path: Path, name: str, content: bytes) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    r = validate_file(p)
    assert [i.rule for i in r.errors] == ["unreadable-file"]
    assert r.errors[0].file == name


def test_missing_file(tmp_path: Path) -> None:
    r = validate_file(tmp_path / "nope.csv")
    assert [i.rule for i in r.errors] == ["unreadable-file"]


def test_bad_mapping_is_a_report_row(tmp_path: Path) -> None:
    p = _write(tmp_path, "d.csv", "patient_id\n1\n")
    m = _write(tmp_path, "m.yaml", "columns:\n  patient_id: patient_idd\n")
    r = validate_file(p, m)
    assert [(i.rule, i.file) for i in r.errors] == [("mapping", "m.yaml")]
    assert "did you mean 'patient_id'" in r.errors[0].hint


def test_merged_header_cells(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["patient_id", "Liver function", None, "diagnosis_date"])
    ws.append(["1", 3.5, 0.8, "2020-01-01"])
    ws.merge_cells("B1:C1")
    p = tmp_path / "merged.xlsx"
    wb.save(p)
    r = validate_file(p)
    assert _rows(r, "merged-header") == [(1, "Liver function", None)]
    assert "B1:C1" in r.errors[0].hint
    assert "blank-header" not in r.rules()


def test_blank_and_duplicate_headers(tmp_path: Path) -> None:
    p = _write(tmp_path, "h.csv", "patient_id,albumin,,albumin\n1,3.5,x,3.6\n")
    r = validate_file(p)
    assert {"blank-header", "duplicate-column"} <= r.rules()


def test_text_in_numeric_columns(tmp_path: Path) -> None:
    p = _write(tmp_path, "t.csv",
               "patient_id,albumin,tumour_number,bilirubin\n1,3.5,2,<0.3\n2,n.d.,two,1\n"
               "3,high,1.5,0.9\n")
    r = validate_file(p)
    assert _rows(r, "text-in-numeric") == [(3, "tumour_number", "two"), (4, "albumin", "high")] or \
        sorted(_rows(r, "text-in-numeric")) == [(3, "tumour_number", "two"), (4, "albumin", "high")]
    assert _rows(r, "not-integer") == [(4, "tumour_number", "1.5")]
    assert _rows(r, "censored-value") == [(2, "bilirubin", "<0.3")]


def test_excel_date_serials(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["patient_id", "diagnosis_date", "last_followup_date"])
    ws.append(["1", 43831, "2021-06-01"])  # 43831 = 2020-01-01
    ws.append(["2", "2020-03-01", 44348])  # 44348 = 2021-06-01
    p = tmp_path / "serial.xlsx"
    wb.save(p)
    r = validate_file(p)
    assert r.ok
    assert sorted(_rows(r, "excel-date-serial")) == [(2, "diagnosis_date", "43831"),
                                                     (3, "last_followup_date", "44348")]
    pats = read(p).table("patients")
    assert pats["diagnosis_date"].tolist()[0] == pd.Timestamp("2020-01-01")
    assert pats["last_followup_date"].tolist()[1] == pd.Timestamp("2021-06-01")


def test_impossible_and_non_dates(tmp_path: Path) -> None:
    p = _write(tmp_path, "d.csv",
               "patient_id,diagnosis_date,death_date\n1,2021-02-30,\n2,31/04/2020,\n"
               "3,soon,\n4,2020-01-01,2090-01-01\n")
    r = validate_file(p)
    assert _rows(r, "impossible-date") == [(2, "diagnosis_date", "2021-02-30"),
                                           (3, "diagnosis_date", "31/04/2020")]
    assert _rows(r, "not-a-date") == [(4, "diagnosis_date", "soon")]
    assert _rows(r, "future-date") == [(5, "death_date", "2090-01-01")]


def test_ambiguous_day_month(tmp_path: Path) -> None:
    p = _write(tmp_path, "d.csv", "patient_id,diagnosis_date\n1,03/04/2020\n2,05/06/2020\n")
    r = validate_file(p)
    assert r.ok and "ambiguous-date" in r.rules()
    p2 = _write(tmp_path, "us.csv", "patient_id,diagnosis_date\n1,03/24/2020\n")
    assert read(p2).table("patients")["diagnosis_date"][2] == pd.Timestamp("2020-03-24")


def test_duplicate_ids_point_to_rows_not_ids(tmp_path: Path) -> None:
    p = _write(tmp_path, "dup.csv", "patient_id,sex\nSECRET-7,M\nX-1,F\nSECRET-7,M\n")
    r = validate_file(p)
    (err,) = r.errors
    assert (err.rule, err.row, err.column, err.value) == ("duplicate-id", 4, "patient_id", None)
    assert "row 2" in err.hint
    assert "SECRET" not in r.render() and "SECRET" not in r.to_frame().to_string()


def test_mixed_units_in_a_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "u.csv",
               "patient_id,albumin,bilirubin,platelets\n1,3.5,0.8,150\n2,38,1.1,120\n"
               "3,4.0,0.7,95000\n4,3.1,0.9,210\n")
    r = validate_file(p)
    assert sorted(_rows(r, "mixed-units")) == [(3, "albumin", "38"), (4, "platelets", "95000")]
    assert "out-of-range" not in r.rules()
    hints = [i.hint for i in r.issues if i.rule == "mixed-units"]
    assert any("g/L -> g/dL: multiply by 0.1" in h for h in hints)


@pytest.mark.parametrize("column, values, unit", [
    ("albumin", [35, 41, 28, 39], "g/L"),
    ("bilirubin", [12, 20, 34, 15], "umol/L"),
    ("platelets", [12.5, 8.1, 15.0, 20.2], "10^4/uL"),
    ("platelets", [150000, 98000, 210000, 120000], "/uL"),
])
def test_whole_column_in_another_unit(tmp_path: Path, column: str, values: list[float],
                                      unit: str) -> None:
    body = "".join(f"{k},{v}\n" for k, v in enumerate(values, 1))
    r = validate_file(_write(tmp_path, "c.csv", f"patient_id,{column}\n{body}"))
    (issue,) = [i for i in r.issues if i.rule == "unit-suspect"]
    assert f"unit: {unit}" in issue.hint and issue.column == column
    assert "out-of-range" not in r.rules()


def test_afp_in_iu_named_in_header(tmp_path: Path) -> None:
    r = validate_file(_write(tmp_path, "afp.csv", "patient_id,AFP (IU/mL)\n1,350\n2,12\n"))
    (issue,) = [i for i in r.issues if i.rule == "unit-suspect"]
    assert "multiply by 1.21" in issue.hint and issue.severity == "warning"
    m = {"columns": {"AFP (IU/mL)": {"to": "afp", "unit": "IU/mL"}}}
    ds = read(tmp_path / "afp.csv", m)
    assert ds.table("baseline")["afp"].tolist() == [423.5, 14.52]
    assert "unit-suspect" not in validate(ds).rules()


def test_labs_long_mixed_units(tmp_path: Path) -> None:
    p = _write(tmp_path, "labs.csv",
               "patient_id,lab_date,test,value,unit\n1,2020-01-01,albumin,3.5,g/dL\n"
               "1,2020-02-01,albumin,36,g/L\n1,2020-03-01,albumin,36,g/dL\n"
               "1,2020-03-01,afp,10,furlongs\n")
    r = validate_file(p)
    assert "mixed-units" in r.rules()
    assert _rows(r, "unit-suspect") == [(4, "value", "36")]
    assert _rows(r, "unknown-unit") == [(5, "unit", "furlongs")]


def test_codes_ranges_and_required(tmp_path: Path) -> None:
    p = _write(tmp_path, "c.csv",
               "patient_id,sex,child_pugh_class,ecog,age_years\n1,M,A,0,50\n,F,D,7,200\n")
    r = validate_file(p)
    assert _rows(r, "required") == [(3, "patient_id", None)]
    assert _rows(r, "unknown-code") == [(3, "child_pugh_class", "D")]
    assert sorted(_rows(r, "out-of-range")) == [(3, "age_years", "200"), (3, "ecog", "7")]


def test_date_order(tmp_path: Path) -> None:
    d = tmp_path / "study"
    d.mkdir()
    _write(d, "patients.csv",
           "patient_id,diagnosis_date,death_date,last_followup_date\n"
           "A,2020-01-01,2019-06-01,\n"      # death before diagnosis
           "B,2020-01-01,,2020-01-15\n"      # last follow-up before treatment start
           "C,2020-01-01,2020-06-01,2020-08-01\n")  # follow-up after death
    _write(d, "treatments.csv",
           "patient_id,treatment_number,treatment_type,start_date,end_date\n"
           "A,1,RT,2020-02-01,2020-01-20\nB,1,TACE,2020-02-01,\nZ,1,TACE,2020-02-01,\n")
    _write(d, "events.csv", "patient_id,event_type,event_date\nC,progression,2019-01-01\n")
    r = validate_file(d)
    got = sorted((i.file, i.row, i.column) for i in r.errors if i.rule == "date-order")
    assert got == [("events.csv", 2, "event_date"), ("patients.csv", 2, "death_date"),
                   ("patients.csv", 3, "last_followup_date"),
                   ("patients.csv", 4, "last_followup_date"), ("treatments.csv", 2, "end_date"),
                   ("treatments.csv", 2, "start_date")]  # A: treatment after death
    assert _rows(r, "orphan-record") == [(4, "patient_id", "<redacted>")]


def test_required_for_analysis(tmp_path: Path) -> None:
    p = _write(tmp_path, "c.csv", "patient_id,bilirubin,albumin\n1,0.8,\n2,1.0,3.9\n")
    assert validate_file(p).ok
    r = validate_file(p, analyses=["albi", "overall_survival"])
    assert (2, "albumin") in [(i.row, i.column) for i in r.errors]
    assert ("treatments", None) in [(i.file, i.row) for i in r.errors]  # table missing
    assert (None, "last_followup_date") in [(i.row, i.column) for i in r.errors]


def test_report_rendering_and_frame(tmp_path: Path) -> None:
    p = _write(tmp_path, "c.csv", "patient_id,albumin\n1,abc\n2,4\n")
    r = validate_file(p)
    text = r.render()
    assert text.splitlines()[0].split() == ["severity", "file", "row", "column", "value", "rule",
                                            "hint"]
    assert text.endswith("1 error(s), 0 warning(s)")
    f = r.to_frame()
    assert f.loc[0, "row"] == 2 and f.loc[0, "rule"] == "text-in-numeric"
    with pytest.raises(ValueError, match="text-in-numeric: 1"):
        r.raise_for_errors()


def test_identifiers_never_shown(tmp_path: Path) -> None:
    p = _write(tmp_path, "ids.csv",
               "patient_id,name,hospital_number,birth_date,diagnosis_date\n"
               "PID-SECRET,Jane Doe,MRN-99,1950-13-01,2020-01-01\n"
               "PID-SECRET,Jane Doe,MRN-99,2021-01-01,2020-01-01\n")
    r = validate_file(p)
    text = r.render() + r.to_frame().to_string()
    for secret in ("PID-SECRET", "Jane", "MRN-99", "1950-13-01"):
        assert secret not in text
    assert {"duplicate-id", "impossible-date", "date-order"} <= r.rules()


def test_date_order_every_rule_in_row_order(tmp_path: Path) -> None:
    """Each date-order rule once, listed table by table and row by row (the rules are
    evaluated column-wise; the report still reads one row at a time)."""
    d = tmp_path / "study"
    d.mkdir()
    _write(d, "patients.csv",
           "patient_id,birth_date,diagnosis_date,death_date,last_followup_date\n"
           "A,1950-01-01,2020-01-01,2019-06-01,2019-05-01\n"  # death, follow-up < diagnosis
           "B,2021-01-01,2020-01-01,2020-01-10,2020-03-01\n"  # death < tx; fu > death; birth
           "C,1950-01-01,2020-01-01,,\n"                      # nothing
           ",1950-01-01,2020-01-01,2019-01-01,\n")            # no id: diagnosis rule only
    _write(d, "treatments.csv",
           "patient_id,treatment_number,treatment_type,start_date,end_date\n"
           "B,1,RT,2020-02-01,2020-01-20\n"   # end < start; start > death
           "C,1,TACE,2019-01-01,\n")          # > 90 days before diagnosis (warning)
    _write(d, "events.csv", "patient_id,event_type,event_date\n"
           "C,progression,2019-12-31\n"       # before diagnosis
           "B,progression,2020-04-01\n")      # after death (warning)
    r = validate_file(d)
    got = [(i.severity, i.file, i.row, i.column, i.hint) for i in r.issues
           if i.rule == "date-order"]
    assert got == [
        ("error", "patients.csv", 2, "death_date",
         "death is before the diagnosis date on the same row"),
        ("error", "patients.csv", 2, "last_followup_date",
         "last follow-up is before the diagnosis date on the same row"),
        ("error", "patients.csv", 3, "death_date",
         "death is before the start of this patient's first treatment"),
        ("error", "patients.csv", 3, "last_followup_date",
         "last follow-up is after the death date"),
        ("error", "patients.csv", 3, "birth_date", "birth date is after the diagnosis date"),
        ("error", "patients.csv", 5, "death_date",
         "death is before the diagnosis date on the same row"),
        ("error", "treatments.csv", 2, "end_date", "treatment end is before its start"),
        ("error", "treatments.csv", 2, "start_date",
         "treatment starts after the patient's death date"),
        ("warning", "treatments.csv", 3, "start_date",
         "treatment starts more than 90 days before the diagnosis date"),
        ("error", "events.csv", 2, "event_date", "event is before the diagnosis date"),
        ("warning", "events.csv", 3, "event_date", "event is after the death date"),
    ]
    values = [i.value for i in r.issues if i.rule == "date-order"]
    assert values[:2] == ["2019-06-01", "2019-05-01"] and values[4] is None  # birth: not shown
