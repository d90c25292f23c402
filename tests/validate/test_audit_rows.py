"""Issues name the rows and the user's columns; the text report never cuts a hint
(hand-made synthetic files only)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hccstudy.validate import Issue, ValidationReport, validate_file


def test_ambiguous_date_names_its_first_rows(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("patient_id,diagnosis_date\n1,2020-01-05\n2,03/04/2020\n3,05/05/2020\n"
                 "4,01/02/2020\n5,03/04/2020\n")
    [w] = [i for i in validate_file(p).issues if i.rule == "ambiguous-date"]
    assert (w.severity, w.row, w.column, w.value) == ("warning", 3, "diagnosis_date",
                                                      "03/04/2020")
    assert w.hint.startswith("3 date(s) like 03/04/2020 (rows 3, 5, 6) were read day-first")


def test_ambiguous_birth_date_value_is_redacted(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("patient_id,birth_date\n1,03/04/1950\n2,04/05/1960\n")
    [w] = [i for i in validate_file(p).issues if i.rule == "ambiguous-date"]
    assert (w.row, w.value) == (2, "<redacted>")


def test_duplicate_id_in_a_wide_sheet_is_one_error(tmp_path: Path) -> None:
    p = tmp_path / "wide.xlsx"
    pd.DataFrame({"Patient ID": ["A", "B", "B"],
                  "Tx date": ["2020-01-05", "2020-02-01", "2020-02-01"]}).to_excel(p, index=False)
    report = validate_file(p, {"columns": {"Patient ID": "patient_id"}})
    assert [(i.rule, i.row, i.column, i.hint) for i in report.errors] == [
        ("duplicate-id", 4, "Patient ID",
         "same patient id as row 3: merge or remove one of the rows")]


def test_duplicate_treatment_key_of_a_long_sheet_names_treatment_number(tmp_path: Path) -> None:
    p = tmp_path / "study.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"patient_id": ["A"]}).to_excel(w, sheet_name="patients", index=False)
        pd.DataFrame({"patient_id": ["A", "A"], "line": [1, 1],
                      "treatment_type": ["TACE", "RT"]}).to_excel(w, sheet_name="treatments",
                                                                  index=False)
    [e] = validate_file(p).errors
    assert (e.rule, e.row, e.column) == ("duplicate-id", 3, "line")


def _long_report() -> ValidationReport:
    hint = "allowed: " + ", ".join(f"code_{k}" for k in range(20)) + "; or map this code"
    return ValidationReport((Issue("error", "a.csv", 3, "Treatment", "TACE alone",
                                   "unknown-code", hint),))


def test_render_keeps_whole_hints_or_wraps_them() -> None:
    r = _long_report()
    hint = r.issues[0].hint
    assert "…" in r.render()  # the Python default still cuts at 60 characters
    full = r.render(max_width=None)
    assert hint in full and "…" not in full and len(full.splitlines()) == 3
    wrapped = r.render(max_width=None, width=100)
    lines = wrapped.splitlines()
    assert len(lines) > 3 and all(len(line) <= 100 for line in lines)
    start = lines[0].index("hint")
    assert " ".join(line[start:].strip() for line in lines[1:-1]) == hint
