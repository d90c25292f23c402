"""The command line: `hccstudy demo` prints the analysis; errors are one clear line."""

from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hccstudy", *args],
                          capture_output=True, text=True, timeout=120)


def test_demo_prints_km_logrank_and_cox() -> None:
    res = _run("demo")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for needle in ("Kaplan-Meier", "Median", "Log-rank", "Cox", "Hazard ratio", "CCRT"):
        assert needle in out, needle
    assert "SYN-" not in out  # no identifiers in reports


def test_help_lists_commands() -> None:
    res = _run("--help")
    assert res.returncode == 0
    assert "demo" in res.stdout


def test_validate_import_export_round_trip(tmp_path) -> None:
    import pandas as pd

    src = tmp_path / "cohort.csv"
    src.write_text(
        "patient_id,sex,age_years,diagnosis_date,albumin_g_dl\n"
        "P1,male,61,2020-01-05,3.9\nP2,female,55,2020-02-11,3.1\n"
    )
    db = tmp_path / "reg.sqlite"
    res = _run("validate", str(src))
    assert res.returncode == 0, res.stdout + res.stderr
    res = _run("import", str(src), "--study", "s", "--db", str(db))
    assert res.returncode == 0, res.stderr
    assert "imported" in res.stdout
    res = _run("import", str(src), "--study", "s", "--db", str(db))
    assert "already imported" in res.stdout
    out = tmp_path / "extract"
    res = _run("export", "s", "-o", str(out), "--db", str(db), "--salt", "a-long-secret-salt")
    assert res.returncode == 0, res.stderr
    pats = pd.read_parquet(out / "patients.parquet")
    assert len(pats) == 2
    assert not pats["patient_id"].isin(["P1", "P2"]).any()
    frame = pd.read_parquet(out / "analysis_frame.parquet")
    assert len(frame) == 2 and not frame["patient_id"].isin(["P1", "P2"]).any()


def test_validate_reports_errors_with_exit_1(tmp_path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("patient_id,age_years\nP1,abc\nP1,50\n")
    res = _run("validate", str(src))
    assert res.returncode == 1
    assert "P1" not in res.stdout  # rows are referred to by number, never by id


def test_missing_file_is_a_usage_error(tmp_path) -> None:
    res = _run("validate", str(tmp_path / "nope.csv"))
    assert res.returncode == 2
    assert "no such file" in res.stderr
