"""The vectorised cell cleaning of :mod:`hccstudy.io.readers` against the cell-by-cell reference.

``readers._FAST = False`` runs the reference (``col.map(_clean)`` on every cell, row-wise
REDCap checkbox collapse); every frame (values, dtypes, index, columns) and every issue
must come out identical both ways.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.io import readers
from hccstudy.io.readers import _clean

TS = pd.Timestamp("2021-03-04 05:06:07")
ATOMS: list[Any] = [
    None, np.nan, float("nan"), pd.NaT, pd.NA, np.datetime64("NaT"), decimal.Decimal("NaN"),
    np.float32("nan"), "", " ", "\t", "NA", "na", " n/a ", "N/A", "NaN", "null", "NULL", "None",
    "#N/A", "#n/a ", "\u00a0NA\u2003", "\u2212", "\u22121.5", " 3.5 ", "3,5", "x", "İ", "İNA",
    "\x1c\x1d", "\u2028", np.str_(" np "), 0, 1, -7, 2**70, 1.5, -0.0, float("inf"), True, False,
    np.int64(3), np.float64(2.5), np.bool_(True), TS, TS.tz_localize("UTC"),
    dt.datetime(2020, 1, 2), dt.date(2020, 1, 2), dt.time(3, 4), dt.timedelta(days=1),
    decimal.Decimal("1.5"), b"bytes", 1 + 2j,
]
"""Cells that exercise every branch of ``_clean`` and of pandas' dtype inference."""


@contextlib.contextmanager
def _mode(fast: bool) -> Iterator[None]:
    old = readers._FAST
    readers._FAST = fast
    try:
        yield
    finally:
        readers._FAST = old


def _reference(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(object)
    return frame.apply(lambda col: col.map(_clean)) if len(frame.columns) else frame


def _object_frame(columns: list[list[Any]], names: list[str] | None = None) -> pd.DataFrame:
    n = len(columns[0]) if columns else 0
    data = {}
    for k, cells in enumerate(columns):
        arr = np.empty(n, dtype=object)
        arr[:] = cells
        data[k] = arr
    frame = pd.DataFrame(data, index=pd.RangeIndex(n), dtype=object)
    frame.columns = names if names is not None else [f"c{k}" for k in range(len(columns))]
    return frame


def _check_clean(frame: pd.DataFrame) -> None:
    expected = _reference(frame.copy())
    got, missing = readers._clean_frame(frame.copy())
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert missing is not None
    np.testing.assert_array_equal(missing, expected.isna().to_numpy())


def _check_tidy(frame: pd.DataFrame, skip: frozenset[int] = frozenset()) -> None:
    fast_issues: list[Any] = []
    slow_issues: list[Any] = []
    with _mode(True):
        fast = readers._tidy(frame.copy(), "f.csv", fast_issues, 1, skip)
    with _mode(False):
        slow = readers._tidy(frame.copy(), "f.csv", slow_issues, 1, skip)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast_issues == slow_issues


def _sheets_equal(a: list[readers.RawSheet], b: list[readers.RawSheet]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.frame, y.frame, check_exact=True)
        assert (x.label, x.name, x.issues, x.value_labels, x.header_row) == \
            (y.label, y.name, y.issues, y.value_labels, y.header_row)


def _read_both(path: Path) -> list[readers.RawSheet]:
    with _mode(True):
        fast, fast_prov = readers.read_raw(path)
    with _mode(False):
        slow, slow_prov = readers.read_raw(path)
    _sheets_equal(fast, slow)
    assert fast_prov == slow_prov
    return fast


# ----------------------------------------------------------------- cells and frames


@pytest.mark.parametrize("atom", ATOMS, ids=repr)
def test_each_atom_alone_and_with_others(atom: Any) -> None:
    _check_clean(_object_frame([[atom], [atom]]))
    _check_clean(_object_frame([[atom, None], [atom, "x"], [atom, 1], [atom, 1.5], [atom, TS],
                                [atom, True], [" a ", atom]]))


def test_typed_columns() -> None:
    cols = [
        ["a ", " NA", "", None], [1, 2, 3, 4], [1, None, 3, 4], [1.5, np.nan, 2.0, -1.0],
        [TS, pd.NaT, TS, None], [TS, TS, TS, TS], [True, False, None, True], [True] * 4,
        [None] * 4, [np.nan] * 4, [pd.NaT] * 4, ["", " ", "na", "N/A"], [1, "1", 1.0, True],
        [pd.NA, None, 1, "x"], [dt.date(2020, 1, 1), None, None, None], [1.5, "NA", None, 2],
    ]
    _check_clean(_object_frame(cols))


def test_non_object_and_empty_frames() -> None:
    frame = pd.DataFrame({"i": [1, 2], "f": [1.5, np.nan], "d": [TS, pd.NaT], "b": [True, False],
                          "s": ["a ", "NA"], "n": pd.array([1, None], dtype="Int64")})
    _check_clean(frame)
    _check_clean(frame.iloc[:0])
    _check_clean(frame.iloc[:, :0])
    _check_clean(pd.DataFrame())


def test_headers_blank_unnamed_and_duplicate() -> None:
    names = ["id", "Unnamed: 1", "", "nan", "id", "x", "x.1", " y ", "Unnamed: 8", "x.2", "z"]
    cols = [["1", "2", " ", None], [None, "", "NA", None], ["", "v", None, None],
            [None, None, None, None], ["3", "4", "5", "6"], ["a", "", "b", None],
            ["c", "d", "", None], ["NA", "", None, None], [None, " 7 ", None, None],
            ["e", None, None, None], ["", "", "", None]]
    frame = _object_frame(cols, names)
    _check_tidy(frame)
    _check_tidy(frame, frozenset({2, 8}))
    _check_tidy(frame.iloc[:0])
    _check_tidy(_object_frame([[None, ""], ["", " "]], ["Unnamed: 0", "a"]))  # every row blank
    _check_tidy(_object_frame([["x"]], ["Unnamed: 0"]))  # every column dropped


def test_clean_values_reports_missing() -> None:
    values = np.empty(len(ATOMS), dtype=object)
    values[:] = ATOMS
    cleaned, missing = readers._clean_values(values)
    for got, want in zip(cleaned, (_clean(v) for v in ATOMS), strict=True):
        assert got is want or (type(got) is type(want) and got == want)
    np.testing.assert_array_equal(missing, pd.isna(pd.Series(cleaned, dtype=object)))


CELL = st.one_of(
    st.sampled_from(ATOMS),
    st.text(alphabet=st.sampled_from(" \t\u00a0\u2003aAnN/#lLuU1.-\u2212İ,"), max_size=6),
    st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.booleans(), st.datetimes(min_value=dt.datetime(1990, 1, 1),
                                max_value=dt.datetime(2030, 1, 1)).map(pd.Timestamp),
)
NAMES = st.sampled_from(["id", "id", "x", "x.1", "Unnamed: 3", "", " nan ", "y", " y", "z.2"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 12).flatmap(lambda n: st.lists(
    st.one_of(st.lists(CELL, min_size=n, max_size=n),
              st.lists(st.sampled_from(["", " ", "NA", None, " a", "b "]), min_size=n,
                       max_size=n)),
    min_size=0, max_size=5)), st.data())
def test_generated_frames(columns: list[list[Any]], data: st.DataObject) -> None:
    if not columns:
        columns = []
    names = data.draw(st.lists(NAMES, min_size=len(columns), max_size=len(columns)))
    frame = _object_frame(columns, names) if columns else pd.DataFrame(index=pd.RangeIndex(0))
    _check_clean(frame)
    _check_tidy(frame)


# ----------------------------------------------------------------- helpers


@pytest.mark.parametrize("seed", range(6))
def test_head_lines_matches_full_split(seed: int) -> None:
    rng = random.Random(seed)
    seps = ["\n", "\r\n", "\r", "\x0b", "\x1c", "\u2028", "\n\n", "\r\n  \r\n"]
    parts: list[str] = []
    size = 0
    while size < 70_000 * (1 + seed % 3):
        line = rng.choice(["a,b", " ", "", "x" * rng.randint(1, 4000), "1;2"])
        parts.append(line + rng.choice(seps))
        size += len(parts[-1])
    text = "".join(parts)
    for cut in (0, 65_535, 65_536, 65_537, len(text)):
        for n in (1, 20, 40):
            probe = text[:cut] if cut else text
            assert readers._head_lines(probe, n) == \
                [ln for ln in probe.splitlines() if ln.strip()][:n]
    # a "\r\n" astride the first 65,536 characters
    text = "a\n" * 32_767 + "b\r\nc\n" + "d\n" * 30
    assert text[65_535] == "\r"
    for n in (20, 32_767, 32_768, 32_769, 32_800):
        assert readers._head_lines(text, n) == [ln for ln in text.splitlines() if ln.strip()][:n]


# ----------------------------------------------------------------- whole files


@pytest.fixture(scope="module")
def seed000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccstudy.synthetic import GENERATORS

    folder = tmp_path_factory.mktemp("seed000_raw") / "data"
    GENERATORS["000"](seed=0).write(folder, format="csv")
    return folder


def test_seed000_demo_csvs(seed000: Path) -> None:
    sheets = _read_both(seed000)
    assert sum(len(s.frame) for s in sheets) > 5000


def test_odd_csv(tmp_path: Path) -> None:
    p = tmp_path / "odd.csv"
    p.write_text("id;age; ;x;x;Unnamed: 5\n1;NA; ;a;b;\n\n2; 50 ;v; n/a ;;\n;;;;;\n3\n"
                 "\u00a04\u00a0;\u221212;;#N/A;;\n", encoding="utf-8")
    sheets = _read_both(p)
    assert [i.rule for i in sheets[0].issues] == ["csv-delimiter", "blank-header",
                                                  "duplicate-column"]
    q = tmp_path / "one.csv"
    q.write_bytes("\ufeffname\nÅsa\n \nNA\n".encode("cp1252", errors="ignore"))
    _read_both(q)


def test_redcap_checkboxes(tmp_path: Path) -> None:
    p = tmp_path / "export.csv"
    rows = ["record_id,redcap_event_name,dx___1,dx___2,dx___hbv,tx___1,tx___2,dx,form_complete"]
    values = ["0", "1", " Checked ", "Unchecked", "", "yes", "TRUE", "x", "1.0", "no", "2"]
    rng = random.Random(3)
    for k in range(60):
        cells = [str(k), "base"] + [rng.choice(values) for _ in range(5)] + ["d", "2"]
        rows.append(",".join(cells))
    rows.append(",,,,,,,,")
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sheets = _read_both(p)
    assert any(i.rule == "not-boolean" for i in sheets[0].issues)
    empty = tmp_path / "empty_redcap.csv"
    empty.write_text(rows[0] + "\n", encoding="utf-8")
    _read_both(empty)


def test_checkboxes_fall_back_for_non_text() -> None:
    boxes = pd.DataFrame({"a___1": [1.0, 0.0]})
    assert readers._checkboxes(boxes, ["1"]) is None
    assert readers._checkboxes(pd.DataFrame({"a___1": [1, "1"]}, dtype=object), ["1"]) is None


def test_xlsx_workbook(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "patients"
    ws.append(["Cohort title"])
    ws.append([])
    ws.append(["id", "age", None, "dx_date", "id", "albumin", "flag", " note ", None])
    rng = random.Random(5)
    for k in range(40):
        ws.append([f"P{k}", rng.choice([50, 61.5, "NA", None, " 70 "]),
                   rng.choice([None, None, "stray"]),
                   rng.choice([dt.datetime(2020, 1, k % 28 + 1), None, "2020-02-30"]),
                   "dup", rng.choice([3.5, None, "n/a", "\u22121"]), rng.choice([True, False]),
                   rng.choice(["", "  ", "ok", None]), None])
    ws.append([None] * 9)
    ws.append([None, None, None, None, None, None, None, "late"])
    ws2 = wb.create_sheet("labs")
    ws2.append(["patient", "test", "value"])
    ws2.merge_cells("B1:C1")
    ws2.append(["P1", "alb", 3.5])
    ws2.append(["P2", None, None])
    ws3 = wb.create_sheet("numbers")
    ws3.append(["n", "x", "d"])
    for k in range(5):
        ws3.append([k, k + 0.5, dt.datetime(2021, 1, k + 1)])
    wb.create_sheet("blank")
    p = tmp_path / "study.xlsx"
    wb.save(p)
    sheets = _read_both(p)
    assert [s.name for s in sheets] == ["patients", "labs", "numbers"]


def test_parquet_and_stat_files(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "id": ["a ", "NA", None, "d"], "n": [1, 2, 3, 4], "f": [1.5, np.nan, 2.0, None],
        "d": [TS, pd.NaT, TS, TS], "b": [True, False, True, True],
        "i": pd.array([1, None, 3, 4], dtype="Int64"), "s": pd.array(["x", None, " ", "y"],
                                                                    dtype="string"),
    })
    pytest.importorskip("pyarrow")
    frame.to_parquet(tmp_path / "t.parquet")
    _read_both(tmp_path / "t.parquet")
    pyreadstat = pytest.importorskip("pyreadstat")
    sav = pd.DataFrame({"id": ["a", " ", "NA"], "grade": [1.0, 2.0, np.nan],
                        "when": [dt.datetime(2020, 1, 1), None, dt.datetime(2020, 3, 1)]})
    pyreadstat.write_sav(sav, str(tmp_path / "t.sav"), variable_value_labels={
        "grade": {1.0: "low", 2.0: "high"}})
    _read_both(tmp_path / "t.sav")
    pyreadstat.write_dta(sav, str(tmp_path / "t.dta"))
    _read_both(tmp_path / "t.dta")


def test_issues_are_dataclasses() -> None:
    # _sheets_equal compares Issue objects with ==: they must compare by value
    issue = readers.Issue("error", "f", 1, "c", None, "r", "m")
    assert dataclasses.is_dataclass(issue) and issue == readers.Issue("error", "f", 1, "c", None,
                                                                       "r", "m")
