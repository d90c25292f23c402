"""run(): validation of the input files, input rows in data errors, spec keys of columns.

Small synthetic cohorts only (no real patients); identifiers look like ``P001``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccstudy.design import load_spec, prepare, run
from hccstudy.design.run import InputRows
from hccstudy.errors import InputError

N = 12


def cohort(n: int = N) -> pd.DataFrame:
    """Patients with a diagnosis, a last follow-up and (half of them) a death date."""
    rng = np.random.default_rng(3)
    dx = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 200, n), "D")
    fu = dx + pd.to_timedelta(rng.integers(60, 700, n), "D")
    dead = np.arange(n) % 2 == 0
    return pd.DataFrame({
        "patient_id": [f"P{i:03d}" for i in range(1, n + 1)],
        "sex": np.where(np.arange(n) % 3 == 0, "female", "male"),
        "age_years": rng.integers(40, 80, n).astype(object),
        "diagnosis_date": dx.strftime("%Y-%m-%d"),
        "death_date": pd.Series(fu.strftime("%Y-%m-%d")).where(dead, None),
        "last_followup_date": fu.strftime("%Y-%m-%d"),
        "albumin": np.round(rng.uniform(2.8, 4.5, n), 1).astype(object),
        "tumour_size_cm": np.round(rng.uniform(1, 12, n), 1),
    })


SPEC = """\
title: input checks
data:
  path: c.csv
endpoints:
  - name: os
    origin: diagnosis_date
    event_date: death_date
    last_followup: last_followup_date
covariates:
  - {name: age_years, roles: [table1]}
  - {name: albumin, roles: [table1]}
analyses:
  - {name: t1, type: table1}
  - {name: km, type: km, endpoint: os}
"""


def write(tmp_path: Path, frame: pd.DataFrame, spec: str = SPEC) -> Path:
    frame.to_csv(tmp_path / "c.csv", index=False)
    path = tmp_path / "study.yaml"
    path.write_text(spec)
    return path


def pending_albumin() -> pd.DataFrame:
    f = cohort()
    f.loc[2, "albumin"] = "pending"  # file row 4 (header = row 1)
    return f


# ----------------------------------------------------------------------------- 1. validation


def test_validation_error_stops_the_run(tmp_path: Path) -> None:
    path = write(tmp_path, pending_albumin())
    with pytest.raises(InputError) as e:
        run(path)
    msg = str(e.value)
    assert msg.startswith("data.path (line 3): the input file 'c.csv' has 1 validation "
                          "error(s) (text-in-numeric: 1); first: c.csv, row 4, column "
                          "'albumin', value 'pending': text-in-numeric. Run `hccstudy "
                          "validate c.csv` for all of them")
    assert "data.on_error: warn" in msg
    assert e.value.n_rows == 1 and e.value.column == "albumin"
    assert "P0" not in msg  # no identifiers


def test_first_three_issues_and_identifiers_redacted(tmp_path: Path) -> None:
    f = pending_albumin()
    f.loc[5, "albumin"] = "n/d"
    f.loc[7, "patient_id"] = "P001"  # duplicated id, rows 2 and 9
    f.loc[8, "age_years"] = "old"
    path = write(tmp_path, f)
    with pytest.raises(InputError) as e:
        run(path)
    msg = str(e.value)
    counts = re.search(r"has (\d+) validation error\(s\) \(([^)]*)\)", msg)
    assert counts is not None and counts[1] == "4"
    assert counts[2] == "duplicate-id: 1, text-in-numeric: 3"
    assert msg.count(": text-in-numeric") + msg.count(": duplicate-id") == 3  # first three
    assert "P001" not in msg and "P0" not in msg


def test_on_error_warn_analyses_with_a_warning_per_rule(tmp_path: Path) -> None:
    f = pending_albumin()
    f.loc[5, "albumin"] = "n/d"
    path = write(tmp_path, f, SPEC.replace("  path: c.csv\n",
                                           "  path: c.csv\n  on_error: warn\n"))
    with pytest.warns(UserWarning) as caught:
        r = run(path)
    texts = [str(w.message) for w in caught if "validation error" in str(w.message)]
    assert texts == ["the input file 'c.csv': 2 validation error(s) of rule text-in-numeric "
                     "analysed anyway (data.on_error: warn; first: c.csv, row 4, column "
                     "'albumin', value 'pending': text-in-numeric; enter a number in g/dL or "
                     "leave the cell empty)"]
    assert r.n_analysis == N
    assert r.methods["data_validation"] == (
        "The input file c.csv had 2 validation error(s) (text-in-numeric: 2) and was "
        "analysed as read (data.on_error: warn); cells that could not be read were treated "
        "as missing")
    with pytest.warns(UserWarning, match="text-in-numeric"):
        p = prepare(path)
    assert p.analysis["albumin"].isna().sum() == 2  # the unreadable cells are missing


def test_validation_warnings_are_python_warnings(tmp_path: Path) -> None:
    f = cohort()
    f["notes"] = "x"  # not a data-model column: an unmapped-column warning
    path = write(tmp_path, f)
    with pytest.warns(UserWarning, match=r"the input file 'c.csv': 1 validation warning\(s\) "
                      r"of rule unmapped-column \(first: c.csv, row 1, column 'notes'"):
        r = run(path)
    assert "data_validation" not in r.methods


def test_clean_file_runs_without_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, cohort())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = run(path)
    assert r.n_analysis == N


def test_sources_and_dataset_passed_in(tmp_path: Path) -> None:
    from hccstudy.io import read

    pending_albumin().to_csv(tmp_path / "b.csv", index=False)
    cohort().assign(patient_id=lambda d: "Q" + d["patient_id"]).to_csv(tmp_path / "a.csv",
                                                                       index=False)
    spec = SPEC.replace("  path: c.csv\n", "  sources:\n    - {name: A, path: a.csv}\n"
                        "    - {name: B, path: b.csv}\n")
    path = tmp_path / "study.yaml"
    path.write_text(spec)
    with pytest.raises(InputError, match=r"^data\.sources\[1\]\.path \(line 5\): the input "
                       r"file 'b\.csv' has 1 validation error\(s\)"):
        run(path)
    with pytest.raises(InputError, match=r"^data \(line 2\): the Dataset passed to run\(\) "
                       r"has 1 validation error\(s\) \(text-in-numeric: 1\); first: b\.csv, "
                       r"row 4"):
        run(path, read(tmp_path / "b.csv"))
    r = run(path, read(tmp_path / "a.csv"))  # a clean Dataset
    assert r.n_analysis == N


def test_registry_extract_is_validated(tmp_path: Path) -> None:
    from hccstudy.io import read
    from hccstudy.registry import connect
    from hccstudy.registry.importer import import_dataset

    pending_albumin().to_csv(tmp_path / "c.csv", index=False)
    engine = connect(tmp_path / "r.db")
    import_dataset(engine, read(tmp_path / "c.csv"), study="s", allow_errors=True)
    engine.dispose()
    spec = SPEC.replace("  path: c.csv\n", f"  registry: {{study: s, url: "
                        f"'{(tmp_path / 'r.db').as_posix()}'}}\n")
    # the unreadable cell was imported as missing: the extract itself is clean
    r = run(spec)
    assert r.n_analysis == N
    # an extract with an error (death before diagnosis) stops as a file does
    bad = cohort()
    bad.loc[0, "death_date"] = "2019-01-01"
    bad.to_csv(tmp_path / "d.csv", index=False)
    engine = connect(tmp_path / "r.db")
    import_dataset(engine, read(tmp_path / "d.csv"), study="t", allow_errors=True)
    engine.dispose()
    with pytest.raises(InputError) as e:
        run(spec.replace("study: s", "study: t"))
    assert str(e.value).startswith(
        "data.registry.study (line 3): the registry study 't' has 2 validation error(s) "
        "(date-order: 2); first: column 'death_date', value '2019-01-01': date-order; column "
        "'last_followup_date', value ")
    assert "Validate the imported files with `hccstudy validate` for all of them" in str(e.value)


def test_cli_run_exits_1_on_validation_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hccstudy.cli import app

    path = write(tmp_path, pending_albumin())
    res = CliRunner().invoke(app, ["run", str(path), "-o", str(tmp_path / "out"),
                                   "--no-figures", "-f", "csv"])
    assert res.exit_code == 1
    assert "1 validation error(s) (text-in-numeric: 1)" in res.output
    assert "Traceback" not in res.output


# ----------------------------------------------------------------------------- 2. input rows


def test_data_errors_name_the_file_rows(tmp_path: Path) -> None:
    f = cohort()
    f.loc[[4, 9], "diagnosis_date"] = ""  # file rows 6 and 11
    path = write(tmp_path, f)
    with pytest.raises(InputError) as e:
        run(path)
    assert str(e.value) == ("endpoints[0].origin (line 6): 2 row(s) have no origin date "
                            "(rows 6, 11 of c.csv)")


def test_duplicated_patient_rows(tmp_path: Path) -> None:
    f = cohort()
    f.loc[7, "patient_id"] = f.loc[0, "patient_id"]  # file rows 2 and 9
    text = SPEC.replace("  path: c.csv\n", "  path: c.csv\n  on_error: warn\n")
    path = write(tmp_path, f, text)
    with pytest.warns(UserWarning), pytest.raises(InputError) as e:
        run(path)
    assert str(e.value) == ("data.path (line 3): patients: 1 duplicated patient_id (rows "
                            "sharing one: rows 2, 9 of c.csv); rule: one row per patient")
    tables = {"patients": f[["patient_id", "sex"]]}
    with pytest.raises(InputError, match=r"rows sharing one: rows 1, 8 of the patients table "
                       r"passed to run\(\) \(counted from 1\)"):
        run(SPEC.replace("data:\n  path: c.csv\n", ""), tables)


def test_frame_rows_are_counted_from_one() -> None:
    f = cohort()
    f["died"] = np.where(f["death_date"].notna(), 1.0, 0.0)
    f.loc[[1, 3, 5, 6, 8, 10], "died"] = np.nan
    spec = """
endpoints: [{name: os, origin: diagnosis_date, event: died == 1,
             last_followup: last_followup_date}]
analyses: [{name: km, type: km, endpoint: os}]
"""
    with pytest.raises(InputError) as e:
        run(spec, f)
    assert str(e.value) == ("endpoints[0].event (line 2): 6 row(s) have an unknown event "
                            "status (missing values) (rows 2, 4, 6, 7, 9 of the data passed "
                            "to run() (counted from 1); first 5 of 6 shown)")
    two = {"A": f.iloc[:4], "B": f.iloc[4:]}
    with pytest.raises(InputError, match=r"rows 2, 4 of the source 'A' passed to run\(\) "
                       r"\(counted from 1\); rows 2, 3, 5 of the source 'B' passed to run\(\) "
                       r"\(counted from 1\); first 5 of 6 shown"):
        run(spec, two)


def test_rows_after_eligibility_are_input_rows(tmp_path: Path) -> None:
    f = cohort()
    f.loc[0, "age_years"] = 30  # excluded: the analysis frame starts at file row 3
    f.loc[6, ["death_date", "last_followup_date"]] = None  # file row 8
    spec = SPEC.replace("endpoints:", "eligibility:\n  - {name: old, exclude_if: "
                        "'age_years < 35', reason: young}\nendpoints:")
    path = write(tmp_path, f, spec.replace("  path: c.csv\n",
                                           "  path: c.csv\n  on_error: warn\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError) as e:
            run(path)
    assert str(e.value).endswith("1 row(s) have no end of follow-up date (row 8 of c.csv)")


def test_input_rows_describe() -> None:
    r = InputRows.concat([InputRows(np.array(["a.xlsx[S1]"] * 3, dtype=object),
                                    np.array([2, 3, 4])),
                          InputRows.counted(2, "the frame (counted from 1)")])
    assert r.describe([0, 2, 4]) == "rows 2, 4 of a.xlsx[S1]; row 2 of the frame (counted " \
                                    "from 1)"
    assert r.describe(np.array([1, 2, 3, 4]), limit=2) == ("rows 3, 4 of a.xlsx[S1]; first 2 "
                                                           "of 4 shown")


# ----------------------------------------------------------------------------- 3. spec keys


def test_unknown_covariate_names_its_key_and_line() -> None:
    f = cohort()
    spec = SPEC.replace("data:\n  path: c.csv\n", "").replace(
        "  - {name: albumin, roles: [table1]}\n", "  - {name: albumine, roles: [table1]}\n")
    with pytest.raises(InputError) as e:
        run(spec, f)
    assert str(e.value) == ("covariates[1].name (line 9): unknown column 'albumine': not in "
                            "the analysis frame (did you mean 'albumin'?)")
    assert e.value.column == "albumine"


def test_unknown_ps_covariate_names_its_key_and_line() -> None:
    f = cohort()
    f["arm"] = np.where(np.arange(N) % 2 == 0, "A", "B")
    spec = """\
groups: {column: arm, reference: B}
endpoints:
  - {name: os, origin: diagnosis_date, event_date: death_date,
     last_followup: last_followup_date}
covariates:
  - {name: age_years, roles: [table1, propensity]}
  - {name: tumor_size, roles: [propensity]}
adjustment: {method: iptw}
analyses: [{name: km, type: km, endpoint: os}]
"""
    with pytest.raises(InputError) as e:
        run(spec, f)
    assert str(e.value) == ("covariates[1].name (line 7): unknown column 'tumor_size': not in "
                            "the analysis frame (did you mean 'tumour_size_cm'?)")
    # a covariate whose role is not used is not checked
    r = run(spec.replace("adjustment: {method: iptw}\n", ""), f)
    assert r.n_analysis == N
    # a ps_formula written by the user keeps its own key, with the suggestion
    with pytest.raises(InputError, match=r"^adjustment\.ps_formula \(line 7\): .*tumor_size.*"
                       r"\(did you mean 'tumour_size_cm'\?\)$"):
        run(spec.replace("  - {name: tumor_size, roles: [propensity]}\n", "").replace(
            "{method: iptw}", "{method: iptw, ps_formula: age_years + tumor_size}"), f)


def test_table1_variables_and_expressions_suggest_columns() -> None:
    f = cohort()
    spec = """\
eligibility:
  - {name: young, exclude_if: "age_year < 18", reason: under 18}
analyses:
  - {name: t1, type: table1, variables: [age_years, albumn]}
"""
    with pytest.raises(InputError) as e:
        run(spec, f)
    assert str(e.value) == ("eligibility[0].exclude_if (line 2): unknown column 'age_year' "
                            "(did you mean 'age_years'?)")
    with pytest.raises(InputError) as e:
        run(spec.replace("age_year <", "age_years <"), f)
    assert str(e.value) == ("analyses[0].variables[1] (line 4): unknown column 'albumn' "
                            "(did you mean 'albumin'?)")


# ----------------------------------------------------------------------------- 4. endpoints


def test_events_without_event_date_end_at_last_followup() -> None:
    f = cohort()
    f["died"] = f["death_date"].notna().astype(int)
    f["death_date"] = pd.to_datetime(f["death_date"]) - pd.Timedelta(days=10)
    spec = """
endpoints: [{name: os, origin: diagnosis_date, event: died == 1,
             last_followup: last_followup_date}]
analyses: [{name: km, type: km, endpoint: os}]
"""
    p = prepare(spec, f)
    end = pd.to_datetime(f["diagnosis_date"]) + pd.to_timedelta(p.analysis["os_time"]
                                                                * 30.4375, "D")
    assert (end.dt.round("D") == pd.to_datetime(f["last_followup_date"])).all()
    r = run(spec, f)
    assert ("no event date: events are timed at last follow-up (last_followup_date)"
            in r.methods["censoring"])
    assert "no event date" not in run(SPEC.replace("data:\n  path: c.csv\n", ""),
                                      cohort()).methods["censoring"]


def test_spec_documents_event_timing() -> None:
    spec = load_spec("""
endpoints: [{name: os, origin: a, event: died, last_followup: b}]
""")
    fields = type(spec.endpoints[0]).model_fields
    assert "timed at `last_followup`" in (fields["event_date"].description or "")
    assert "event date when no `event_date`" in (fields["last_followup"].description or "")


def test_analysis_columns_suggest_columns() -> None:
    spec = """
endpoints: [{name: os, origin: diagnosis_date, event_date: death_date,
             last_followup: last_followup_date}]
analyses:
  - {name: fu, type: followup, endpoint: os, by: sexe}
"""
    with pytest.raises(InputError) as e:
        run(spec, cohort())
    assert str(e.value) == ("analyses[0].by (line 5): unknown column 'sexe' (did you mean "
                            "'sex'?)")
