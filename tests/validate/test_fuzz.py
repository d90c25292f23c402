"""Arbitrary cell contents and arbitrary bytes never give a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.validate import validate_file

_HEADERS = ["patient_id", "sex", "albumin", "diagnosis_date", "death_date", "ecog", "pvi",
            "treatment_type", "start_date", "progression_date", "etiology", "platelets"]
_cell = st.one_of(st.none(), st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=True, allow_infinity=True),
                  st.sampled_from(["2020-02-30", "31/12/2020", "<1", "yes", "M", "43831", "1e400",
                                   "12/13/2020", "00/00/0000", "2020-13-01"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cell, min_size=len(_HEADERS), max_size=len(_HEADERS)),
                min_size=1, max_size=6),
       st.sampled_from(["csv", "xlsx"]))
def test_any_cells(rows: list[list[object]], fmt: str) -> None:
    frame = pd.DataFrame(rows, columns=_HEADERS)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"x.{fmt}"
        if fmt == "csv":
            frame.to_csv(p, index=False)
        else:
            frame.astype(str).to_excel(p, index=False)
        report = validate_file(p, analyses=["overall_survival", "albi"])
    assert isinstance(report.render(), str)
    report.to_frame()


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([".csv", ".xlsx", ".sav", ".dta", ".parquet"]))
def test_any_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"x{suffix}"
        p.write_bytes(data)
        report = validate_file(p)
    assert isinstance(report.render(), str)
