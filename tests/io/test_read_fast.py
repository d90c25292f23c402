"""The bulk (fast) typing of :func:`hccstudy.io.read.coerce_column` equals the per-cell path.

Every column kind is typed both ways on hand-written tricky cells and on generated mixes of
plain and odd cells; the series (values, dtype, index) and the issues (same order) must be
identical. The seed 000 demo data are read both ways too.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.io.mapping import ColumnMap
from hccstudy.validate.schema import TABLES, Column

R = importlib.import_module("hccstudy.io.read")  # hccstudy.io.read is also the function


def _col(table: str, name: str) -> Column:
    return TABLES[table].column(name)


# (column, column map): every kind, with and without codes, units and date formats
CASES: dict[str, tuple[Column, ColumnMap | None]] = {
    "number": (_col("baseline", "bilirubin"), None),
    "number-codes": (_col("baseline", "afp"),
                     ColumnMap("afp", codes={"trace": 0.5, "1": 7, "nd": None, "x": "12",
                                             "2.5": "<3", "-0": 1})),
    "number-unit": (_col("baseline", "albumin"), ColumnMap("albumin", unit="g/L")),
    "number-unit-umol": (_col("baseline", "bilirubin"), ColumnMap("bilirubin", unit="umol/L")),
    "integer": (_col("baseline", "ecog"), None),
    "integer-codes": (_col("baseline", "tumour_number"),
                      ColumnMap("tumour_number", codes={"multiple": 2, "1.5": 1})),
    "bool": (_col("baseline", "pvi"), None),
    "bool-codes": (_col("baseline", "hvi"), ColumnMap("hvi", codes={"2": False, "1": True,
                                                                    "yes": False, "u": None})),
    "category": (_col("patients", "sex"), None),
    "category-codes": (_col("patients", "etiology"),
                       ColumnMap("etiology", codes={"1": "HBV", "2": "HCV", "b": "alcohol"})),
    "category-numeric": (_col("baseline", "bclc_stage"), None),
    "id": (_col("patients", "patient_id"), None),
    "text": (_col("baseline", "tnm_stage"), None),
    "date": (_col("patients", "diagnosis_date"), None),
    "date-identifier": (_col("patients", "birth_date"), None),
    "date-format": (_col("treatments", "start_date"),
                    ColumnMap("start_date", date_format="%d/%m/%Y")),
}

TRICKY_STR = [
    # numbers: plain, signs, exponents, censored, separators, unicode, missing words
    "1.2", "0", "-0", "-0.0", "+3", ".5", "5.", "007", "1e5", "1E-3", "2.50e+2", " 7 ", "\t8\n",
    "999999999999999", "1e15", "1000000000000000", "-1e15", "1e308", "1e309", "-1e999",
    "<0.5", "> 10", "≤3", ">=2", "≥ 1e3", "<", "<abc", "1,234", "12,345.5", "1,5", "-2,25",
    "1,23", "\u22122.5", "\u2212", "NA", "n/a", "nd", "N.D.", "?", "-", "--", "Unknown", "unk",
    "not done", "abc", "", " ", "٣", "١٢.٥", "1_000", "1 000", "inf", "-inf", "Infinity",
    "nan", "NaN", "0x10", "1e", "e5", ".", "+-1", "1.2.3", "3.0", "2.5", "1.5", "12", "44197",
    # codes and words
    "trace", "TRACE ", "x", "multiple", "yes", "Yes", "no", "Y", "n", "true", "False", "T",
    "1", "2", "u", "+", "positive", "checked", "none", "M", " f ", "male", "Female", "w",
    "hepatitis b", "B", "c", "NASH", "HBV", "0.0", "A", "Vp1",
    # dates: ISO, time parts, d/m/y, compact, serials, impossible, out of range, odd
    "2020-01-05", "2020-1-5", "2020-02-29", "2019-02-29", "2020-02-30", "2020-13-01",
    "2020-00-10", "0000-01-01", "0001-01-01", "1677-09-21", "1677-09-22", "2262-04-11",
    "2262-04-12", "2263-01-01", "9999-12-31", "2020-01-05 10:30", "2020-01-05T10:30:15.25",
    "2020/01/05", "2020.01.05", "12/03/2020", "03/12/2020", "25/12/2020", "12/25/2020",
    "3.4.2020", "31/02/2020", "20200105", "20201340", "19000101", "44197.5", "366", "73051",
    "73052", "1.5e4", "Jan 5 2020", "5 January 2020", "2020-01-05T10:00:00+01:00",
    "2020-01-05Z", "not a date", "2020-01-05 ", "２０２０-01-05",
]

TRICKY_OTHER: list[Any] = [
    None, np.nan, float("nan"), pd.NaT, pd.NA, np.float64("nan"), np.float32("nan"),
    np.datetime64("NaT"), 0.0, -0.0, 1.0, -1.0, 2.5, 1.5, 44197.0, 44197.25, 366.0, 1e15,
    1e14, -1e15, float("inf"), float("-inf"), 1e300, 3, 0, -4, 10**15, 10**17, True, False,
    np.int64(5), np.float64(2.5), np.float64(-0.0), np.bool_(True), np.str_("1.5"),
    np.str_("2020-01-05"), dt.datetime(2020, 1, 5, 10, 30), dt.date(2019, 3, 1),
    pd.Timestamp("2021-06-01 12:00:00.000000001"), dt.datetime(2020, 1, 5),
    pd.Timestamp("2020-01-05"), dt.datetime(1, 1, 1), ["a"], ("b",), {"c"},
]

ALL_CELLS: list[Any] = TRICKY_STR + TRICKY_OTHER
TZ_CELLS: list[Any] = [pd.Timestamp("2020-01-05", tz="UTC"),
                       dt.datetime(2020, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))]


def _both(cells: list[Any], case: str, index: Any = None) -> None:
    """Type ``cells`` both ways and require identical results (or the same exception)."""
    col, cmap = CASES[case]
    values = pd.Series(cells, dtype=object, index=index)
    got: list[Any] = []
    for fn in (R.coerce_column, R._coerce_column_cellwise):
        try:
            got.append(fn(values.copy(), col, cmap, "f.csv", "Head"))
        except Exception as exc:  # both paths must fail alike
            got.append(type(exc))
    fast, slow = got
    if isinstance(slow, type) or isinstance(fast, type):
        assert fast == slow
        return
    pd.testing.assert_series_equal(fast[0], slow[0], check_exact=True)
    if fast[0].dtype == float:  # -0.0 vs 0.0 too: compare the bits, not only the values
        assert np.array_equal(fast[0].to_numpy().view(np.int64),
                              slow[0].to_numpy().view(np.int64))
    if fast[0].dtype == object:
        assert [type(v) for v in fast[0]] == [type(v) for v in slow[0]]
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]


def test_module_flag_switches_to_cellwise(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(R, "_coerce_column_cellwise", lambda *a: calls.append(1))
    monkeypatch.setattr(R, "_FAST", False)
    R.coerce_column(pd.Series(["1"]), *CASES["number"], "f.csv", "h")
    assert calls == [1]


@pytest.mark.parametrize("case", sorted(CASES))
def test_tricky_cells_each_kind(case: str) -> None:
    _both(ALL_CELLS, case, index=range(2, 2 + len(ALL_CELLS)))
    # repeated, reversed, and on a shuffled integer index (issues follow the cell order)
    cells = (ALL_CELLS + ALL_CELLS[::-1]) * 2
    idx = np.random.default_rng(1).permutation(len(cells)) + 5
    _both(cells, case, index=idx)


@pytest.mark.parametrize("case", ["date", "date-format", "number", "bool", "category"])
def test_timezones_and_exotic_indexes(case: str) -> None:
    _both(["2020-01-05", *TZ_CELLS, None], case)
    _both([*TZ_CELLS, "2020-01-05"], case)
    _both(["2020-01-05", "x", None], case, index=["a", "b", "c"])
    _both(["2020-01-05", "x", None], case, index=[2.0, 3.0, 4.0])
    _both([], case)
    _both([None, np.nan], case)


@pytest.mark.parametrize("dtype", ["float64", "Int64", "boolean", "string", "datetime64[ns]",
                                   "category"])
def test_typed_input_series(dtype: str) -> None:
    base = {"float64": [1.5, np.nan, -0.0, 44197.0], "Int64": [1, None, 0, 3],
            "boolean": [True, None, False, True], "string": ["1.5", None, "yes", "2020-01-05"],
            "datetime64[ns]": ["2020-01-05", None, "1999-12-31", "2020-01-05"],
            "category": ["a", "b", None, "1"]}[dtype]
    values = pd.Series(base, dtype=dtype)
    for case in CASES:
        col, cmap = CASES[case]
        fast = R.coerce_column(values, col, cmap, "f", "h")
        slow = R._coerce_column_cellwise(values, col, cmap, "f", "h")
        pd.testing.assert_series_equal(fast[0], slow[0], check_exact=True)
        assert fast[1:] == slow[1:]


def test_ambiguous_and_month_first_dates() -> None:
    for cells in (["03/04/2020", "2020-01-05", None, "05/06/2020"],
                  ["03/25/2020", "04/01/2020"], ["25/03/2020", "04/01/2020"],
                  ["25/13/2020", "13/25/2020"]):
        _both(cells, "date")
        _both(cells, "date-format")


# ----------------------------------------------------------------- generated mixes

_num_text = st.one_of(
    st.floats(-1e16, 1e16, allow_nan=False).map(repr),
    st.integers(-10**16, 10**16).map(str),
    st.decimals(-1000, 1000, places=3, allow_nan=False, allow_infinity=False).map(str),
    st.from_regex(r"[-+]?[0-9]{0,4}\.?[0-9]{0,3}([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.from_regex(r"[<>≤≥]?=? ?[0-9]{1,3}([.,][0-9]{1,3})?", fullmatch=True),
)
_date_text = st.one_of(
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(str),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2050, 1, 1)).map(str),
    st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", fullmatch=True),
    st.from_regex(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", fullmatch=True),
    st.dates(dt.date(1950, 1, 1), dt.date(2050, 1, 1)).map(lambda d: d.strftime("%Y%m%d")),
)
_cell = st.one_of(
    st.sampled_from(ALL_CELLS), _num_text, _date_text, st.text(max_size=6),
    st.floats(), st.integers(-10**6, 10**16), st.booleans(), st.none(),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)),
    st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)).map(pd.Timestamp),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_cell, max_size=40), st.sampled_from(sorted(CASES)), st.randoms())
def test_generated_mixes(cells: list[Any], case: str, rnd: Any) -> None:
    # mostly plain cells with a few odd ones, in a shuffled order
    cells = cells + cells[: len(cells) // 2]
    rnd.shuffle(cells)
    _both(cells, case, index=range(2, 2 + len(cells)))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(_num_text, _date_text, st.none()), max_size=60),
       st.sampled_from(sorted(CASES)))
def test_generated_plain_text(cells: list[Any], case: str) -> None:
    _both(cells, case)


# ----------------------------------------------------------------- whole files


@pytest.fixture(scope="module")
def seed000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccstudy.synthetic import GENERATORS

    folder = tmp_path_factory.mktemp("seed000") / "data"
    GENERATORS["000"](seed=0).write(folder, format="csv")
    return folder


def _read_both(path: Path, mapping: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = R.read(path, mapping)
    with monkeypatch.context() as m:
        m.setattr(R, "_FAST", False)
        slow = R.read(path, mapping)
    assert list(fast.tables) == list(slow.tables)
    for name in fast.tables:
        pd.testing.assert_frame_equal(fast.tables[name], slow.tables[name], check_exact=True)
    assert fast.issues == slow.issues
    assert fast.conversions == slow.conversions
    assert fast.headers == slow.headers and fast.units == slow.units


def test_seed000_demo_read_both_ways(seed000: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _read_both(seed000, seed000 / "mapping.yaml", monkeypatch)


def test_wide_csv_with_odd_cells_read_both_ways(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({
        "ID": [f"P{k:04d}" for k in range(n)],
        "Sex": rng.choice(["M", "F", "male", "x", ""], n),
        "Albumin (g/L)": rng.choice(["35", "41", "3,5", "<20", "abc", "", "1e5"], n),
        "Bilirubin": np.round(rng.uniform(0.1, 5, n), 2).astype(str),
        "ECOG": rng.choice(["0", "1", "2.0", "1.5", "nd"], n),
        "PVI": rng.choice(["yes", "no", "1", "0", "maybe", ""], n),
        "Dx date": rng.choice(["2020-01-05", "2020-02-30", "05/01/2020", "44197", "",
                               "2019-12-31 10:00"], n),
    })
    frame.loc[::7, "Bilirubin"] = "1,234.5"
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    mapping = {"columns": {"Albumin (g/L)": {"to": "albumin", "unit": "g/L"}}}
    _read_both(path, mapping, monkeypatch)
