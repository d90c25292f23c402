"""Properties of reading: what is written is read back, in any format, whatever the order."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstudy.io import read

_values = st.lists(st.tuples(st.floats(0.5, 6.0, allow_nan=False).map(lambda x: round(x, 2)),
                             st.dates(pd.Timestamp("1990-01-01").date(),
                                      pd.Timestamp("2024-12-31").date())),
                   min_size=1, max_size=15)


@settings(max_examples=25, deadline=None)
@given(_values, st.sampled_from(["csv", "parquet", "semicolon"]))
def test_numbers_and_dates_round_trip(values: list, fmt: str) -> None:  # type: ignore[type-arg]
    frame = pd.DataFrame({"patient_id": [f"p{k}" for k in range(len(values))],
                          "albumin": [v for v, _ in values],
                          "diagnosis_date": pd.to_datetime([d for _, d in values])})
    with tempfile.TemporaryDirectory() as d:
        if fmt == "parquet":
            p = Path(d) / "x.parquet"
            frame.to_parquet(p)
        else:
            p = Path(d) / "x.csv"
            frame.to_csv(p, index=False, sep=";" if fmt == "semicolon" else ",",
                         date_format="%Y-%m-%d")
        ds = read(p)
    assert not [i for i in ds.issues if i.severity == "error"]
    np.testing.assert_allclose(ds.table("baseline")["albumin"], frame["albumin"])
    assert ds.table("patients")["diagnosis_date"].tolist() == frame["diagnosis_date"].tolist()


@settings(max_examples=15, deadline=None)
@given(st.permutations(list(range(6))))
def test_row_order_does_not_change_the_tables(order: list[int]) -> None:
    frame = pd.DataFrame({"patient_id": [f"p{k}" for k in range(6)],
                          "sex": ["M", "F"] * 3, "ecog": [0, 1, 2, 0, 1, 2]})
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.csv"
        frame.iloc[order].to_csv(p, index=False)
        ds = read(p)
    got = ds.table("baseline").sort_values("patient_id").reset_index(drop=True)
    assert got["ecog"].tolist() == [0, 1, 2, 0, 1, 2]
