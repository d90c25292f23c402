"""Re-rendering a saved result keeps the run's provenance (``write_report(provenance=)``)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import hccstudy
from hccstudy.report.assemble import load_result, write_report

SPEC = """
title: provenance test
data: {path: cohort.csv, reader: table}
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_months, event: death == 1}]
analyses: [{name: lr, type: logrank, endpoint: os}]
"""


def test_rerendering_keeps_the_input_hashes_and_run_time_of_the_run(tmp_path: Path) -> None:
    hccstudy.datasets.load_demo().to_csv(tmp_path / "cohort.csv", index=False)
    (tmp_path / "study.yaml").write_text(SPEC, encoding="utf-8")
    result = hccstudy.run(tmp_path / "study.yaml")
    ran = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    first = write_report(result, tmp_path / "out", formats=("csv",), figures=False,
                         spec_file=tmp_path / "study.yaml", run_time=ran)
    prov1 = json.loads(first.provenance.read_text(encoding="utf-8"))
    assert prov1["spec_file"]["file"] == "study.yaml"
    assert prov1["inputs"][0]["sha256"] and prov1["run_time_utc"] == "2026-01-02T03:04:05+00:00"

    # the data file changes (or moves) after the run; the re-rendered report still
    # records the file the numbers came from
    (tmp_path / "cohort.csv").write_text("changed\n", encoding="utf-8")
    shutil.move(tmp_path / "study.yaml", tmp_path / "moved.yaml")
    back, saved = load_result(first.saved)
    assert saved is not None and saved["run_time_utc"] == prov1["run_time_utc"]
    again = write_report(back, tmp_path / "re", formats=("csv",), figures=False,
                         provenance=saved,
                         run_time=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    prov2 = json.loads(again.provenance.read_text(encoding="utf-8"))
    for key in ("inputs", "spec_sha256", "spec_file", "seeds", "n_input", "n_analysis",
                "run_time_utc", "hccstudy", "packages"):
        assert prov2[key] == prov1[key], key
    assert prov2["rendered_by"]["time_utc"] == "2026-02-01T00:00:00+00:00"
    assert prov2["rendered_by"]["hccstudy"] == hccstudy.__version__
    # and re-rendering the re-rendered result does not nest the records
    back2, saved2 = load_result(again.saved)
    third = write_report(back2, tmp_path / "re2", formats=("csv",), figures=False,
                         provenance=saved2)
    prov3 = json.loads(third.provenance.read_text(encoding="utf-8"))
    assert prov3["inputs"] == prov1["inputs"] and "rendered_by" not in prov3["rendered_by"]


def test_without_saved_provenance_the_report_records_this_run(tmp_path: Path) -> None:
    r = hccstudy.run(SPEC.replace("data: {path: cohort.csv, reader: table}\n", ""),
                     hccstudy.datasets.load_demo())
    p = write_report(r, tmp_path, formats=("csv",), figures=False, provenance=None)
    prov = json.loads(p.provenance.read_text(encoding="utf-8"))
    assert "run_time_utc" in prov and "rendered_by" not in prov
