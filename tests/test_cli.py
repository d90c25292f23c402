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


# ----------------------------------------------------------------------------- run / report /
# derive through typer's runner: every file, byte-identical tables, every documented error

import json  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from hccstudy.cli import EXIT_INPUT, EXIT_INTERNAL, EXIT_OUTPUT, EXIT_USAGE, app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "studies" / "example_two_arm.yaml"
runner = CliRunner()


def _invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _one_line_error(res: Any, code: int) -> None:
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "tables").iterdir())}


def test_run_writes_every_file_and_reruns_identically(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = _invoke("run", SPEC, "-o", out, "--dpi", "40")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "report written to" in res.stdout
    for name in ("report.html", "report.docx", "provenance.json", "result.pkl"):
        assert (out / name).stat().st_size > 0, name
    keys = ["flow", "table1", "km_os", "logrank_os", "cox_os", "propensity", "matching",
            "balance"]
    assert sorted(_tables(out)) == sorted(f"{k}{s}" for k in keys
                                          for s in (".csv", "_numeric.csv", ".tex"))
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert len(figs) >= 3 and {Path(f).suffix for f in figs} == {".png", ".svg", ".pdf"}
    again = tmp_path / "again"
    res = _invoke("run", SPEC, "-o", again, "--no-figures", "-f", "csv,latex")
    assert res.exit_code == 0, res.stderr
    assert _tables(again) == _tables(out)
    assert not (again / "report.html").exists()
    # re-render the saved result: identical tables again
    res = _invoke("report", out / "result.pkl", "-o", tmp_path / "re", "--no-figures",
                  "--format", "csv", "--format", "latex")
    assert res.exit_code == 0, res.stderr
    assert _tables(tmp_path / "re") == _tables(out)


def test_run_json_output(tmp_path: Path) -> None:
    res = _invoke("run", SPEC, "-o", tmp_path, "--json", "--no-figures", "-f", "html",
                  "--digits", "3", "--times", "6,12")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["status"] == "ok" and data["n_analysis"] == 212
    assert data["outcomes"] == ["table1", "km_os", "logrank_os", "cox_os"]
    assert Path(data["files"]["html"]).exists() and data["files"]["docx"] is None
    html = Path(data["files"]["html"]).read_text()
    assert "6-month survival" in html and "1-year survival" in html
    assert "0.683 (0.502–0.930)" in html  # three decimals


def test_report_accepts_the_folder(tmp_path: Path) -> None:
    assert _invoke("run", SPEC, "-o", tmp_path / "a", "--no-figures", "-f", "csv"
                   ).exit_code == 0
    res = _invoke("report", tmp_path / "a", "-o", tmp_path / "b", "--no-figures", "-f", "csv",
                  "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["files"]["tables"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    _one_line_error(_invoke("run", tmp_path / "nope.yaml", "-o", tmp_path), EXIT_USAGE)
    _one_line_error(_invoke("run", SPEC, "-o", tmp_path, "--format", "pdf"), EXIT_USAGE)
    _one_line_error(_invoke("run", SPEC, "-o", tmp_path, "--times", "a,b"), EXIT_USAGE)
    _one_line_error(_invoke("run", SPEC, "-o", tmp_path, "--figure-format", "gif"), EXIT_USAGE)
    _one_line_error(_invoke("run", SPEC, "-o", tmp_path, "--times", "-1"), EXIT_USAGE)
    _one_line_error(_invoke("report", tmp_path / "none.pkl", "-o", tmp_path), EXIT_USAGE)
    _one_line_error(_invoke("derive", tmp_path / "none.csv", "-o", tmp_path / "x.csv"),
                    EXIT_USAGE)
    src = tmp_path / "d.csv"
    src.write_text("patient_id\nP1\n")
    _one_line_error(_invoke("derive", src, "-o", tmp_path / "x.txt"), EXIT_USAGE)
    res = _invoke("run", SPEC)  # missing -o: typer's own usage error
    assert res.exit_code == EXIT_USAGE and "Traceback" not in res.stderr


def test_input_errors_exit_1(tmp_path: Path) -> None:
    data = ROOT / "src" / "hccstudy" / "datasets" / "demo_ccrt.csv"
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.read_text().replace("reference: non-CCRT", "reference: nobody")
                   .replace("../src/hccstudy/datasets/demo_ccrt.csv", str(data)))
    res = _invoke("run", bad, "-o", tmp_path / "o")
    _one_line_error(res, EXIT_INPUT)
    assert "groups.reference" in res.stderr
    nodata = tmp_path / "nodata.yaml"
    nodata.write_text(SPEC.read_text().replace("../src/hccstudy/datasets/demo_ccrt.csv",
                                               "missing.csv"))
    res = _invoke("run", nodata, "-o", tmp_path / "o", "--json")
    _one_line_error(res, EXIT_INPUT)
    assert json.loads(res.stdout)["exit_code"] == EXIT_INPUT
    junk = tmp_path / "junk.pkl"
    junk.write_text("not a result")
    _one_line_error(_invoke("report", junk, "-o", tmp_path / "o"), EXIT_INPUT)
    csv = tmp_path / "broken.parquet"
    csv.write_text("not parquet")
    _one_line_error(_invoke("derive", csv, "-o", tmp_path / "x.csv"), EXIT_INPUT)


def test_output_error_exits_4(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the output folder should go")
    res = _invoke("run", SPEC, "-o", blocker, "--no-figures")
    _one_line_error(res, EXIT_OUTPUT)
    assert "cannot write" in res.stderr


def test_internal_error_exits_3_and_debug_shows_it(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    run_mod = importlib.import_module("hccstudy.design.run")

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(run_mod, "run", boom)
    res = _invoke("run", SPEC, "-o", tmp_path)
    _one_line_error(res, EXIT_INTERNAL)
    assert "RuntimeError: unexpected" in res.stderr and "--debug" in res.stderr
    res = runner.invoke(app, ["--debug", "run", str(SPEC), "-o", str(tmp_path)])
    assert isinstance(res.exception, RuntimeError)  # re-raised: the traceback is shown


def test_derive_adds_clinical_columns(tmp_path: Path) -> None:
    src = tmp_path / "cohort.csv"
    src.write_text("patient_id,bilirubin_mg_dl,albumin_g_dl,inr,ascites,encephalopathy\n"
                   "P1,0.8,4.1,1.0,none,none\nP2,2.5,2.9,1.8,mild,none\n")
    out = tmp_path / "derived.csv"
    res = _invoke("derive", src, "-o", out, "--json")
    assert res.exit_code == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["rows"] == 2 and info["derivations"]["child_pugh"] == "derived"
    import pandas as pd

    d = pd.read_csv(out)
    assert {"child_pugh_score", "albi_grade"} <= set(d.columns)
    assert d["child_pugh_score"].tolist() == [5, 9]
    res = _invoke("derive", src, "-o", tmp_path / "d.parquet")
    assert res.exit_code == 0 and "child_pugh: derived" in res.stdout


def test_help_has_examples_and_exit_codes() -> None:
    res = _invoke("--help")
    assert res.exit_code == 0
    for needle in ("run", "report", "derive", "Examples", "Exit codes", "4 output"):
        assert needle in res.stdout, needle
    res = _invoke("run", "--help")
    assert res.exit_code == 0 and "hccstudy run studies/example_two_arm.yaml" in res.stdout


def test_demo_seed_study_writes_data_and_report(tmp_path: Path) -> None:
    res = _invoke("demo", "003", "-o", tmp_path, "--no-figures", "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["study"] == "003" and summary["n_analysis"] == 18
    folder = tmp_path / "seed_003"
    assert (folder / "report.html").exists() and (folder / "report.docx").exists()
    assert (folder / "data" / "patients.csv").exists()  # the raw records, for inspection
    assert "Kaplan" in (folder / "report.html").read_text(encoding="utf-8")


def test_demo_unknown_study_is_a_usage_error(tmp_path: Path) -> None:
    res = _invoke("demo", "999", "-o", tmp_path)
    assert res.exit_code == EXIT_USAGE and "unknown study" in res.output


# ----------------------------------------------------------------------------- validate text
# output and the draft mapping's unmatched codes


_LONG_HINT_CSV = "patient_id,sex\nP1,male\nP2,unicorn\n"


def test_validate_redirected_prints_whole_hints(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text(_LONG_HINT_CSV)
    res = _run("validate", str(src))  # stdout is a pipe, not a terminal
    assert res.returncode == 1
    assert "…" not in res.stdout
    [line] = [ln for ln in res.stdout.splitlines() if "unknown-code" in ln]
    assert line.split()[:6] == ["error", "c.csv", "3", "sex", "unicorn", "unknown-code"]
    assert line.endswith("allowed: male, female; or map this code in the mapping file's codes")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_validate_on_a_terminal_wraps_hints(tmp_path: Path) -> None:
    import os
    import pty

    src = tmp_path / "c.csv"
    src.write_text(_LONG_HINT_CSV)
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "hccstudy", "validate", str(src)],
                              stdout=follower, stderr=subprocess.PIPE, timeout=120,
                              env={**os.environ, "COLUMNS": "90"})
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert proc.returncode == 1
    lines = b"".join(chunks).decode().replace("\r\n", "\n").splitlines()
    assert all(len(ln) <= 90 for ln in lines), lines
    start = lines[0].index("hint")
    hint = " ".join(ln[start:].strip() for ln in lines[1:-1])
    assert hint == "allowed: male, female; or map this code in the mapping file's codes"


def test_draft_mapping_then_validate_flags_unmatched_codes(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text("Patient ID,Treatment,Date of RT\nP1,TACE alone,2020-01-05\n"
                   "P2,RFA,2020-02-01\n")
    out = tmp_path / "map.yaml"
    res = _run("draft-mapping", str(src), "-o", str(out))
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert '"Date of RT":  # check: fuzzy match\n    to: "start_date"' in text
    res = _run("validate", str(src), "--mapping", str(out))
    assert res.returncode == 1  # not "0 error(s)" with the Treatment column emptied
    assert "mapping" in res.stdout and "'TACE alone' maps to 'TACE alone'" in res.stdout
    out.write_text(text.replace('"TACE alone": "TACE alone"', '"TACE alone": "TACE"'))
    res = _run("validate", str(src), "--mapping", str(out))
    assert res.returncode == 0, res.stdout
