"""``read(path, mapping=None)``: a user's file -> typed tables of the data model + provenance.

Steps: the format reader (:mod:`hccstudy.io.readers`) gives raw sheets; each sheet is
assigned to a table (by the mapping's ``tables``, or by its name) or read as a
one-row-per-patient ("wide") sheet whose columns are split into ``patients``,
``baseline``, ``treatments`` (the first treatment) and ``events``; headers are mapped to
model columns; cells are typed (numbers, dates, codes) and converted to canonical units.
Cells that cannot be typed become missing and each yields an :class:`~hccstudy.validate.report.Issue`
(the dataset carries them; :func:`hccstudy.validate.validate` adds the cross-field checks).

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "c.csv").write_text("ID,Sex,Albumin (g/L),Dx date\\n1,M,35,2020-01-05\\n2,F,x,2020-02-30\\n")
>>> ds = read(d / "c.csv", mapping={"columns": {"Albumin (g/L)": {"to": "albumin", "unit": "g/L"}}})
>>> ds.tables["baseline"]["albumin"].tolist()
[3.5, nan]
>>> sorted(i.rule for i in ds.issues)
['impossible-date', 'text-in-numeric']
>>> ds.provenance[0].rows_read
2
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hccstudy.io.mapping import (
    WIDE_TABLES,
    ColumnMap,
    Mapping,
    _code_key,
    _model_column,
    builtin_code,
    extra_name,
    guess_table,
    load_mapping,
    lookup_column,
)
from hccstudy.io.readers import Provenance, RawSheet, excel_serial_to_date, read_raw
from hccstudy.validate.report import Issue
from hccstudy.validate.schema import (
    TABLES,
    WIDE_EVENT_COLUMNS,
    Column,
    canonical_unit,
    convert_factor,
    normalise_name,
)

__all__ = ["SOURCE", "Dataset", "coerce_column", "read"]

SOURCE = "_source"
"""Name of the column that records, on every row, the file (and sheet) it came from."""

_MODEL_NAMES = {c for t in TABLES.values() for c in t.names} | set(WIDE_EVENT_COLUMNS)
_NUMERIC_MISSING = {"-", "--", "unknown", "unk", "not done", "nd", "n.d.", "?"}
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


@dataclass(frozen=True)
class Dataset:
    """Typed tables of the data model, where they came from, and the reading issues.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        Model columns (see :mod:`hccstudy.validate.schema`) plus ``_source``; the index
        (named ``row``) is the row number the user sees in that source.
    provenance : tuple of Provenance
        One per file: name, sha256, rows read, format.
    issues : tuple of Issue
        Problems met while reading and typing.
    headers : dict
        Source label -> {model column: the user's header}, for reports.
    value_labels : dict
        Source label -> {user column: {code: label}} from SPSS/Stata files.
    conversions : tuple of str
        Unit conversions applied, e.g. ``"albumin: g/L x 0.1 -> g/dL"``.
    units : dict
        Source label -> {model column: unit declared in the mapping} for converted columns.
    """

    tables: dict[str, pd.DataFrame]
    provenance: tuple[Provenance, ...]
    issues: tuple[Issue, ...] = ()
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    value_labels: dict[str, dict[str, dict[Any, str]]] = field(default_factory=dict)
    conversions: tuple[str, ...] = ()
    units: dict[str, dict[str, str]] = field(default_factory=dict)

    def header(self, source: str, column: str) -> str:
        """The user's header for a model column in a source (the model name if none)."""
        return self.headers.get(source, {}).get(column, column)

    def table(self, name: str) -> pd.DataFrame:
        """A table without the ``_source`` column (empty with the declared columns if absent).

        Examples
        --------
        >>> Dataset({}, ()).table("labs").columns.tolist()[:3]
        ['patient_id', 'lab_date', 'test']
        """
        if name in self.tables:
            return self.tables[name].drop(columns=[SOURCE], errors="ignore")
        return pd.DataFrame(columns=list(TABLES[name].names))


# --------------------------------------------------------------------------- typing

_FAST = True
"""Type plain cells in bulk with numpy/pandas (``False``: every cell through the per-cell
reference code). Both give the same series and issues; tests compare them."""

# what :func:`_number` reads as a plain number (ASCII digits only, nothing to strip)
_PLAIN_NUM = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_PLAIN_YMD = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TS_MIN, _TS_MAX = pd.Timestamp.min, pd.Timestamp.max
_NONE = type(None)

_Tpl = tuple[tuple[str, str, str, str], ...]
"""Issues of one cell without their row: (severity, shown value, rule, hint) each."""


def _shown(col: Column, v: Any) -> str:
    if col.identifier or col.kind == "id":
        return "<redacted>"
    s = str(v)
    return s if len(s) <= 40 else s[:39] + "…"


def _number(v: Any) -> tuple[float | None, str]:
    """(value, status) with status ok | censored | text."""
    if v is None:
        return None, "ok"
    if isinstance(v, bool):
        return float(v), "ok"
    if isinstance(v, int | float | np.integer | np.floating):
        return float(v), "ok"
    if not isinstance(v, str):
        return None, "text"
    s = v.strip().replace("\u2212", "-")
    if s.lower() in _NUMERIC_MISSING:
        return None, "ok"
    m = re.fullmatch(rf"([<>≤≥]=?)\s*({_NUM})", s)
    if m:
        return float(m.group(2)), "censored"
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"[-+]?\d+,\d+", s):
        s = s.replace(",", ".")
    if re.fullmatch(_NUM, s):
        return float(s), "ok"
    return None, "text"


def _number_cell(v: Any, col: Column, codes: dict[str, Any]) -> tuple[float | None, _Tpl]:
    """One cell of a number/integer column: (value or None, its issues)."""
    if codes and v is not None and _code_key(v) in codes:
        v = codes[_code_key(v)]
    x, status = _number(v)
    if x is not None and not (np.isfinite(x) and abs(x) < 1e15):
        x, status = None, "text"
    found: list[tuple[str, str, str, str]] = []
    if status == "text":
        found.append(("error", _shown(col, v), "text-in-numeric",
                      f"enter a number{' in ' + col.unit if col.unit else ''} "
                      "or leave the cell empty"))
    elif status == "censored":
        found.append(("warning", _shown(col, v), "censored-value", f"read as {x:g}"))
    if x is not None and col.kind == "integer" and not float(x).is_integer():
        found.append(("error", _shown(col, v), "not-integer", "enter a whole number"))
        x = None
    return x, tuple(found)


def _bool_cell(v: Any, col: Column, codes: dict[str, Any]) -> tuple[Any, _Tpl]:
    """One non-missing cell of a bool column: (True, False or pd.NA, its issues)."""
    key = _code_key(v)
    b = codes[key] if key in codes else builtin_code(col, v)
    found: _Tpl = ()
    if b is None and key not in codes:
        found = (("error", _shown(col, v), "not-boolean",
                  "enter yes or no (or map this code in the mapping file)"),)
    return (pd.NA if b is None else bool(b)), found


def _text_cell(v: Any, col: Column, codes: dict[str, Any]) -> Any:
    """One non-missing cell of a category or text column."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if col.kind == "category":
        key = _code_key(v)
        if key in codes:
            return codes[key]
        b = builtin_code(col, v)
        return b if b is not None else str(v).strip()
    return str(v).strip()


def _emit(found: _Tpl, row: Any, label: str, header: str, issues: list[Issue]) -> None:
    for severity, shown, rule, hint in found:
        issues.append(Issue(severity, label, int(row), header, shown, rule, hint))  # type: ignore[arg-type]


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def _dayfirst(values: Any, locate: Any, col: Column, label: str, header: str,
              issues: list[Issue]) -> bool:
    """Day-first or month-first for the d/m/y text cells among ``values`` (one column).

    ``locate(ks)`` gives, for the positions ``ks`` in ``values``, the number of cells and
    the first five (user row, cell) by row; an all-ambiguous column gives one
    ``ambiguous-date`` warning on its first ambiguous row.
    """
    dayfirst = True
    firsts, seconds, at = [], [], []
    for k, v in enumerate(values):
        if isinstance(v, str) and (m := _DMY.match(v.strip())):
            firsts.append(int(m.group(1)))
            seconds.append(int(m.group(2)))
            at.append(k)
    if firsts:
        if any(b > 12 for b in seconds) and not any(a > 12 for a in firsts):
            dayfirst = False
        elif not any(a > 12 for a in firsts) and not any(b > 12 for b in seconds):
            # the cells whose reading depends on the order (03/04, not 03/03)
            amb = [k for k, a, b in zip(at, firsts, seconds, strict=True) if a != b] or at
            n, first = locate(amb)
            rows = ", ".join(str(r) for r, _ in first) + (", ..." if n > len(first) else "")
            issues.append(Issue("warning", label, first[0][0], header, _shown(col, first[0][1]),
                                "ambiguous-date",
                                f"{n} date(s) like 03/04/2020 (row{'s' if n > 1 else ''} "
                                f"{rows}) were read "
                                "day-first; set date_format in the mapping (e.g. '%m/%d/%Y') "
                                "if they are month-first"))
    return dayfirst


def _dates(values: pd.Series, col: Column, fmt: str | None, label: str, header: str,
           issues: list[Issue]) -> pd.Series:
    out: list[Any] = []
    # day-first or month-first for d/m/y text: decided once per column
    if fmt is None:
        cells = values.tolist()

        def locate(ks: list[int]) -> tuple[int, list[tuple[int, Any]]]:
            return len(ks), [(int(values.index[k]), cells[k]) for k in ks[:5]]

        dayfirst = _dayfirst(cells, locate, col, label, header, issues)
    else:
        dayfirst = True
    for row, v in values.items():
        out.append(_one_date(v, fmt, dayfirst, col, label, int(row), header, issues))  # type: ignore[call-overload]
    return pd.Series(pd.to_datetime(pd.Series(out, dtype=object), errors="coerce").to_numpy(),
                     index=values.index, dtype="datetime64[ns]")


def _one_date(v: Any, fmt: str | None, dayfirst: bool, col: Column, label: str, row: int,
              header: str, issues: list[Issue]) -> Any:
    if v is None:
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        return pd.Timestamp(v)
    if isinstance(v, dt.date):
        return pd.Timestamp(v)
    num: float | None = None
    if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
        num = float(v)
    elif isinstance(v, str) and re.fullmatch(r"\d+(\.\d+)?", v.strip()):
        s = v.strip()
        if len(s) == 8 and s.isdigit():
            try:
                return pd.Timestamp(dt.datetime.strptime(s, "%Y%m%d"))
            except ValueError:
                pass
        num = float(s)
    if num is not None:
        if 367 <= num <= 73051:  # 1901-01-01 .. 2099-12-31 in Excel's 1900 date system
            d = excel_serial_to_date(num)
            issues.append(Issue("warning", label, row, header, _shown(col, v), "excel-date-serial",
                                f"read as {d:%Y-%m-%d} (Excel serial day); format the column "
                                "as dates in Excel to avoid this"))
            return pd.Timestamp(d)
        issues.append(Issue("error", label, row, header, _shown(col, v), "not-a-date",
                            "enter a date (YYYY-MM-DD)"))
        return None
    s = str(v).strip()
    try:
        if fmt is not None:
            return pd.Timestamp(dt.datetime.strptime(s, fmt))
        if m := _YMD.match(s):
            return pd.Timestamp(dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        if m := _DMY.match(s):
            a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            d_, m_ = (a, b) if dayfirst else (b, a)
            return pd.Timestamp(dt.datetime(y, m_, d_))
    except ValueError:
        rule = "impossible-date" if (_YMD.match(s) or _DMY.match(s) or fmt) and \
            re.search(r"\d", s) else "not-a-date"
        if fmt is not None and not re.fullmatch(r"[\d/.\- :T]+", s):
            rule = "not-a-date"
        hint = ("this date does not exist (check day and month)" if rule == "impossible-date"
                else f"enter a date{' in the format ' + fmt if fmt else ' (YYYY-MM-DD)'}")
        issues.append(Issue("error", label, row, header, _shown(col, v), rule, hint))
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.Timestamp(pd.to_datetime(s, dayfirst=dayfirst))
    except (ValueError, TypeError, OverflowError):
        issues.append(Issue("error", label, row, header, _shown(col, v), "not-a-date",
                            "enter a date (YYYY-MM-DD)"))
        return None


def _convert(arr: np.ndarray, col: Column, cmap: ColumnMap | None,
             fast: bool) -> tuple[np.ndarray, str | None]:
    """Apply the mapping's unit conversion to a float array (12 significant digits)."""
    if cmap is None or cmap.unit is None:
        return arr, None
    factor = convert_factor(col.name, cmap.unit)
    if factor is None or factor == 1.0:
        return arr, None
    y = arr * factor
    # 12 significant digits: 41 g/L -> 4.1 g/dL, not 4.1000000000000005
    if fast:  # once per distinct bit pattern (keeps -0.0 apart from 0.0)
        bits, inv = np.unique(np.ascontiguousarray(y).view(np.int64), return_inverse=True)
        done = np.array([float(f"{x:.12g}") for x in bits.view(np.float64)], dtype=float)
        y = done[inv.reshape(-1)]
    else:
        y = np.array([float(f"{x:.12g}") for x in y], dtype=float)
    return y, f"{col.name}: {cmap.unit} x {factor:.6g} -> {col.unit}"


def _coerce_column_cellwise(values: pd.Series, col: Column, cmap: ColumnMap | None, label: str,
                            header: str) -> tuple[pd.Series, list[Issue], str | None]:
    """The per-cell reference for :func:`coerce_column` (same result, one cell at a time)."""
    s, issues, note = _cellwise(values, col, cmap, label, header)
    return s, issues + _coded_missing(values, col, cmap, label, header), note


def _cellwise(values: pd.Series, col: Column, cmap: ColumnMap | None, label: str,
              header: str) -> tuple[pd.Series, list[Issue], str | None]:
    issues: list[Issue] = []
    codes = cmap.codes if cmap is not None else {}
    # pandas turns None back into NaN in float columns: one missing marker, None
    values = pd.Series([None if v is None or v is pd.NaT or v is pd.NA
                        or (isinstance(v, float) and v != v) else v for v in values],
                       index=values.index, dtype=object)
    if col.kind == "date":
        return _dates(values, col, cmap.date_format if cmap else None, label, header, issues), \
            issues, None
    if col.kind in ("number", "integer"):
        nums: list[float] = []
        for row, v in values.items():
            x, found = _number_cell(v, col, codes)
            _emit(found, row, label, header, issues)
            nums.append(np.nan if x is None else x)
        arr, note = _convert(np.asarray(nums, dtype=float), col, cmap, fast=False)
        if col.kind == "integer":
            return pd.Series(arr, index=values.index).round().astype("Int64"), issues, note
        return pd.Series(arr, index=values.index, dtype=float), issues, note
    if col.kind == "bool":
        out_b: list[Any] = []
        for row, v in values.items():
            if v is None:
                out_b.append(pd.NA)
                continue
            b, found = _bool_cell(v, col, codes)
            _emit(found, row, label, header, issues)
            out_b.append(b)
        return pd.Series(out_b, index=values.index, dtype="boolean"), issues, None
    out = [None if v is None else _text_cell(v, col, codes) for v in values]
    return pd.Series(out, index=values.index, dtype=object), issues, None


# ---------------------------------------------------------------- fast (bulk) typing


class _Cells:
    """The raw cells of a column as an object array, every missing marker turned into None
    (the per-cell path's rule), and the positions of the cells of each exact type."""

    def __init__(self, values: pd.Series):
        if values.dtype == object:
            arr = values.to_numpy(dtype=object, copy=True)
        else:
            arr = np.empty(len(values), dtype=object)
            for i, v in enumerate(values):
                arr[i] = v
        self.arr = arr
        self.types = np.fromiter(map(type, arr), dtype=object, count=len(arr))
        self._masks: dict[type, np.ndarray] = {}
        rest = ~(self.mask(str) | self.mask(_NONE))
        if not rest.any():
            return
        gone = []
        for t in set(self.types[rest]):  # NaN floats, NaT and NA -> None
            if issubclass(t, float):
                pos = self.of(t)
                sub = arr[pos].astype(float)
                gone.append(pos[sub != sub])
            elif t is type(pd.NaT) or t is type(pd.NA):
                pos = self.of(t)
                gone.append(pos[[v is pd.NaT or v is pd.NA for v in arr[pos]]])
        at = np.concatenate([np.empty(0, dtype=np.intp), *gone])
        if len(at):
            arr[at] = None
            self.types[at] = _NONE
            self._masks.clear()

    def mask(self, t: type) -> np.ndarray:
        """Mask of the cells whose type is exactly ``t`` (``NoneType``: missing cells)."""
        if t not in self._masks:
            box = np.empty(1, dtype=object)  # numpy would read a bare numpy type as a dtype
            box[0] = t
            self._masks[t] = self.types == box
        return self._masks[t]

    def of(self, t: type) -> np.ndarray:
        """Positions of the cells whose type is exactly ``t``."""
        return np.flatnonzero(self.mask(t))

    def others(self, *ts: type) -> np.ndarray:
        """Positions of non-missing cells of none of the types ``ts``."""
        skip = self.mask(_NONE).copy()
        for t in ts:
            skip |= self.mask(t)
        return np.flatnonzero(~skip)


def _pending(pos: np.ndarray, codes: np.ndarray, found: list[_Tpl],
             out: list[tuple[int, _Tpl]]) -> None:
    """Add (position, issues) for the cells whose distinct value has issues."""
    has = np.fromiter((bool(f) for f in found), bool, len(found))
    if has.any():
        hit = has[codes]
        out.extend((int(p), found[c]) for p, c in zip(pos[hit], codes[hit], strict=True))


def _emit_sorted(pending: list[tuple[int, _Tpl]], index: pd.Index, label: str, header: str,
                 issues: list[Issue]) -> None:
    for p, found in sorted(pending, key=lambda t: t[0]):
        _emit(found, index[p], label, header, issues)


def _numbers_fast(cells: _Cells, col: Column, codes: dict[str, Any], index: pd.Index,
                  label: str, header: str, issues: list[Issue]) -> np.ndarray:
    arr = cells.arr
    x = np.full(len(arr), np.nan)
    pending: list[tuple[int, _Tpl]] = []
    integer = col.kind == "integer"

    def plain(v: np.ndarray) -> np.ndarray:
        ok = np.isfinite(v) & (np.abs(v) < 1e15)
        return ok & (np.floor(v) == v) if integer else ok

    slow = [cells.others(float, str)]
    fpos = cells.of(float)  # Python floats (never NaN here): taken as they are
    if len(fpos):
        fv = arr[fpos].astype(float)
        ok = plain(fv)
        if codes:
            hits = [u for u in np.unique(fv) if _code_key(float(u)) in codes]
            if hits:
                ok &= ~np.isin(fv, hits)
        x[fpos[ok]] = fv[ok]
        slow.append(fpos[~ok])
    spos = cells.of(str)
    if len(spos):
        sc, su = pd.factorize(arr[spos])
        ux = np.full(len(su), np.nan)
        easy = pd.Series(su, dtype=object).str.fullmatch(_PLAIN_NUM).to_numpy(dtype=bool)
        if easy.any():
            at = np.flatnonzero(easy)
            vals = su[at].astype(float)  # float() of each string, as _number does
            ok = plain(vals)
            if codes:
                ok &= np.fromiter((s.lower() not in codes for s in su[at]), bool, len(at))
            ux[at[ok]] = vals[ok]
            easy[at[~ok]] = False
        found: list[_Tpl] = [()] * len(su)
        for j in np.flatnonzero(~easy):
            xj, found[j] = _number_cell(su[j], col, codes)
            ux[j] = np.nan if xj is None else xj
        x[spos] = ux[sc]
        _pending(spos, sc, found, pending)
    for p in np.concatenate(slow):
        xp, f = _number_cell(arr[p], col, codes)
        x[p] = np.nan if xp is None else xp
        if f:
            pending.append((int(p), f))
    _emit_sorted(pending, index, label, header, issues)
    return x


def _dates_fast(cells: _Cells, col: Column, fmt: str | None, index: pd.Index, label: str,
                header: str, issues: list[Issue]) -> pd.Series | None:
    """Dates in bulk; None when the column needs the per-cell path (tz, out of range)."""
    if not pd.api.types.is_integer_dtype(index):
        return None
    arr = cells.arr
    found_here: list[Issue] = []
    grouped = (str, dt.datetime, pd.Timestamp, dt.date)
    groups = [(t, cells.of(t)) for t in grouped]
    groups = [(t, p) for t, p in groups if len(p)]
    factorized = {t: pd.factorize(arr[p]) for t, p in groups}
    loose = cells.others(*grouped)
    if fmt is None:
        s_codes, s_uniq = factorized.get(str, (np.empty(0, dtype=np.intp), np.empty(0)))
        s_pos = cells.of(str)

        def locate(ks: list[int]) -> tuple[int, list[tuple[int, Any]]]:
            k_str = [k for k in ks if k < len(s_uniq)]
            pos = np.concatenate([s_pos[np.isin(s_codes, k_str)],
                                  loose[[k - len(s_uniq) for k in ks if k >= len(s_uniq)]]])
            pos = np.sort(pos)
            return len(pos), [(int(index[p]), arr[p]) for p in pos[:5]]

        dayfirst = _dayfirst([*s_uniq, *arr[loose]], locate, col, label, header, found_here)
    else:
        dayfirst = True
    out = np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[ns]")
    pending: list[tuple[int, _Tpl]] = []

    def one(v: Any) -> tuple[Any, _Tpl]:
        got: list[Issue] = []
        d = _one_date(v, fmt, dayfirst, col, label, 0, header, got)
        return d, tuple((i.severity, i.value, i.rule, i.hint) for i in got)  # type: ignore[misc]

    def ns(stamps: list[Any]) -> np.ndarray | None:
        for d in stamps:
            if d is not None and not (isinstance(d, pd.Timestamp) and d.tz is None
                                      and _TS_MIN <= d <= _TS_MAX):
                return None
        if not stamps:
            return np.empty(0, dtype="datetime64[ns]")
        got = pd.to_datetime(pd.Series(stamps, dtype=object), errors="coerce").to_numpy()
        return got if got.dtype == np.dtype("datetime64[ns]") else None

    for t, pos in groups:
        codes, uniq = factorized[t]
        done = np.full(len(uniq), np.datetime64("NaT"), dtype="datetime64[ns]")
        todo = np.ones(len(uniq), dtype=bool)
        if t is str and fmt is None:
            easy = pd.Series(uniq, dtype=object).str.fullmatch(_PLAIN_YMD).to_numpy(dtype=bool)
            if easy.any():
                at = np.flatnonzero(easy)
                got = pd.to_datetime(pd.Series(uniq[at], dtype=object), format="%Y-%m-%d",
                                     errors="coerce").to_numpy(dtype="datetime64[ns]")
                ok = ~np.isnat(got)
                done[at[ok]] = got[ok]
                todo[at[ok]] = False
        found: list[_Tpl] = [()] * len(uniq)
        rest = np.flatnonzero(todo)
        stamps: list[Any] = []
        for j in rest:
            d, found[j] = one(uniq[j])
            stamps.append(d)
        conv = ns(stamps)
        if conv is None:
            return None
        done[rest] = conv
        out[pos] = done[codes]
        _pending(pos, codes, found, pending)
    stamps = []
    for p in loose:
        d, f = one(arr[p])
        stamps.append(d)
        if f:
            pending.append((int(p), f))
    conv = ns(stamps)
    if conv is None:
        return None
    out[loose] = conv
    _emit_sorted(pending, index, label, header, found_here)
    issues.extend(found_here)
    return pd.Series(out, index=index, dtype="datetime64[ns]")


def _by_value(cells: _Cells, fn: Any, types: tuple[type, ...], index: pd.Index, label: str,
              header: str, issues: list[Issue], missing: Any,
              strings: Any = None) -> np.ndarray:
    """``fn(cell) -> (value, issues)`` for every non-missing cell, once per distinct value
    for cells of exactly one of ``types``; missing cells get ``missing``. ``strings``, if
    given, maps the distinct ``str`` cells to their values at once (no issues)."""
    arr = cells.arr
    out = np.empty(len(arr), dtype=object)
    out[cells.mask(_NONE)] = missing
    pending: list[tuple[int, _Tpl]] = []
    for t in types:
        pos = cells.of(t)
        if not len(pos):
            continue
        codes, uniq = pd.factorize(arr[pos])
        vals = np.empty(len(uniq), dtype=object)
        if t is str and strings is not None:
            vals[:] = strings(uniq)
        else:
            found: list[_Tpl] = []
            for j, u in enumerate(uniq):
                vals[j], f = fn(u)
                found.append(f)
            _pending(pos, codes, found, pending)
        out[pos] = vals[codes]
    for p in cells.others(*types):
        v, f = fn(arr[p])
        out[p] = v
        if f:
            pending.append((int(p), f))
    _emit_sorted(pending, index, label, header, issues)
    return out


def _coded_missing(values: pd.Series, col: Column, cmap: ColumnMap | None, label: str,
                   header: str) -> list[Issue]:
    """One ``coded-missing`` warning per code that the mapping maps to null and that occurs:
    how many cells it turned missing and their first rows."""
    if cmap is None or col.kind not in ("category", "bool", "number", "integer") or \
            not any(v is None for v in cmap.codes.values()):
        return []
    arr = values.to_numpy(dtype=object)
    try:
        codes, uniq = pd.factorize(arr, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, ...): one distinct value per cell
        codes, uniq = np.arange(len(arr)), arr
    out: list[Issue] = []
    by_key: dict[str, list[int]] = {}
    for j, u in enumerate(uniq):
        if u is None or u is pd.NaT or u is pd.NA or (isinstance(u, float) and u != u):
            continue
        key = _code_key(u)
        if key in cmap.codes and cmap.codes[key] is None:
            by_key.setdefault(key, []).append(j)
    for js in by_key.values():
        pos = np.flatnonzero(np.isin(codes, js))
        rows = [int(values.index[p]) for p in pos[:5]]
        more = ", ..." if len(pos) > 5 else ""
        out.append(Issue("warning", label, rows[0], header, _shown(col, values.iloc[pos[0]]),
                         "coded-missing",
                         f"{len(pos)} cell(s) read as missing (row{'s' if len(pos) > 1 else ''} "
                         f"{', '.join(map(str, rows))}"
                         f"{more}) because the mapping maps this code to null; map it to a model "
                         "code if it is not a missing value"))
    return sorted(out, key=lambda i: i.row or 0)


def coerce_column(values: pd.Series, col: Column, cmap: ColumnMap | None, label: str,
                  header: str) -> tuple[pd.Series, list[Issue], str | None]:
    """Type one column of raw cells as the model declares it.

    Returns the typed series (same index), the issues found, and a note when a unit
    conversion was applied. Plain cells (numbers, ISO dates, repeated codes) are typed in
    bulk; the others go through the per-cell code, with the same result.

    Examples
    --------
    >>> from hccstudy.validate.schema import TABLES
    >>> s, issues, note = coerce_column(pd.Series(["1.2", "<0.5", "abc"]),
    ...                                 TABLES["baseline"].column("bilirubin"), None, "f.csv", "Bil")
    >>> s.tolist(), [i.rule for i in issues]
    ([1.2, 0.5, nan], ['censored-value', 'text-in-numeric'])

    A code that the mapping maps to null (``codes: {Unknown: null}``) reads as missing;
    each such code gives one ``coded-missing`` warning with the number of cells and their
    first rows:

    >>> from hccstudy.io.mapping import ColumnMap
    >>> cmap = ColumnMap("etiology", {"unknown": None})
    >>> s, issues, _ = coerce_column(pd.Series(["HBV", "Unknown", "unknown"], index=[2, 3, 4]),
    ...                              TABLES["patients"].column("etiology"), cmap, "f.csv", "Cause")
    >>> s.tolist(), [(i.rule, i.row, i.value) for i in issues]
    (['HBV', None, None], [('coded-missing', 3, 'Unknown')])
    >>> issues[0].hint.split(" because")[0]
    '2 cell(s) read as missing (rows 3, 4)'
    """
    if not _FAST:
        return _coerce_column_cellwise(values, col, cmap, label, header)
    s, issues, note = _coerce_column_fast(values, col, cmap, label, header)
    return s, issues + _coded_missing(values, col, cmap, label, header), note


def _coerce_column_fast(values: pd.Series, col: Column, cmap: ColumnMap | None, label: str,
                        header: str) -> tuple[pd.Series, list[Issue], str | None]:
    """:func:`coerce_column` in bulk (plain cells by distinct value)."""
    issues: list[Issue] = []
    codes = cmap.codes if cmap is not None else {}
    index = values.index
    cells = _Cells(values)
    if col.kind == "date":
        fmt = cmap.date_format if cmap else None
        s = _dates_fast(cells, col, fmt, index, label, header, issues)
        if s is None:
            return _dates(pd.Series(cells.arr, index=index, dtype=object), col, fmt, label, header,
                          issues), issues, None
        return s, issues, None
    if col.kind in ("number", "integer"):
        x = _numbers_fast(cells, col, codes, index, label, header, issues)
        x, note = _convert(x, col, cmap, fast=True)
        if col.kind == "integer":
            return pd.Series(x, index=index).round().astype("Int64"), issues, note
        return pd.Series(x, index=index, dtype=float), issues, note
    if col.kind == "bool":
        out = _by_value(cells, lambda v: _bool_cell(v, col, codes), (str, float, int), index,
                        label, header, issues, pd.NA)
        return pd.Series(out, index=index, dtype="boolean"), issues, None
    out = _by_value(cells, lambda v: (_text_cell(v, col, codes), ()), (str, float, int), index,
                    label, header, issues, None,
                    None if col.kind == "category" else lambda u: [s.strip() for s in u])
    return pd.Series(out, index=index, dtype=object), issues, None


# --------------------------------------------------------------------------- assembly


def _resolve(sheet: RawSheet, mapping: Mapping, tables: tuple[str, ...],
             issues: list[Issue]) -> dict[str, tuple[str, ColumnMap | None]]:
    """Model column -> (user header, column map) for one sheet."""
    allowed: set[str] = set()
    for t in tables:
        allowed.update(TABLES[t].names)
    if "events" not in tables:
        allowed.update(WIDE_EVENT_COLUMNS)
    per_sheet = mapping.sheet_columns.get(normalise_name(sheet.name), {})
    chosen: dict[str, tuple[str, ColumnMap | None]] = {}
    for header in sheet.frame.columns:
        key = normalise_name(header)
        cmap = per_sheet.get(key, mapping.columns.get(key))
        if cmap is not None:
            target = cmap.target
            if target is None:
                continue
        else:
            target = lookup_column(str(header), tables)
        if target is None:
            issues.append(Issue("warning", sheet.label, sheet.header_row, str(header), None,
                                "unmapped-column",
                                "not a data-model column: map it in the mapping file "
                                "(draft one with draft_mapping) or ignore this warning"))
            continue
        if target not in allowed and extra_name(target) is None:
            issues.append(Issue("warning", sheet.label, sheet.header_row, str(header), None,
                                "unmapped-column",
                                f"{target!r} does not belong in this sheet's table(s) "
                                f"{list(tables)}; it is ignored"))
            continue
        if target in chosen:
            issues.append(Issue("error", sheet.label, sheet.header_row, str(header), None,
                                "duplicate-column",
                                f"this column and {chosen[target][0]!r} both map to {target!r}: "
                                "map one of them to null"))
            continue
        chosen[target] = (str(header), cmap)
    return chosen


def _typed(sheet: RawSheet, chosen: dict[str, tuple[str, ColumnMap | None]],
           issues: list[Issue], conversions: list[str]) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    for target, (header, cmap) in chosen.items():
        col = _model_column(target, cmap.kind if cmap is not None else None)
        assert col is not None
        if target in WIDE_EVENT_COLUMNS:
            col = Column(target, col.kind, col.description, codes=col.codes)
        s, found, note = coerce_column(sheet.frame[header], col, cmap, sheet.label, header)
        issues.extend(found)
        if note:
            conversions.append(f"{sheet.label}: {note}")
        cols[col.name] = s
    frame = pd.DataFrame(cols, index=sheet.frame.index)
    frame[SOURCE] = sheet.label
    return frame


def _subset(frame: pd.DataFrame, table: str, always: bool = False,
            keep_empty_rows: bool = False) -> pd.DataFrame | None:
    names = [c for c in TABLES[table].names if c in frame.columns]
    if table == "patients":  # study-specific columns of a wide sheet go with the patient
        names += [c for c in frame.columns if c not in _MODEL_NAMES and c != SOURCE]
    own = [c for c in names if c != "patient_id"]
    if not own and not always:
        return None
    out = frame[[*names, SOURCE]].copy()
    if own and not (always or keep_empty_rows):
        out = out.loc[out[own].notna().any(axis=1)]
    return out


def _wide_split(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    pats = _subset(frame, "patients", always=True)
    assert pats is not None
    out["patients"] = pats
    base = _subset(frame, "baseline", keep_empty_rows=True)
    if base is not None:
        out["baseline"] = base
    # every row keeps its first-treatment row, even with all treatment cells empty (a blank
    # "Date of RT" or a code mapped to null): the validation reports the missing fields
    tx = _subset(frame, "treatments", keep_empty_rows=True)
    if tx is not None:
        if "treatment_number" not in tx.columns:
            tx.insert(1, "treatment_number", pd.Series(1, index=tx.index, dtype="Int64"))
        out["treatments"] = tx
    parts = []
    for etype in ("progression", "recurrence"):
        cols = {c: m for c, (e, m) in WIDE_EVENT_COLUMNS.items() if e == etype and c in frame}
        if not cols:
            continue
        ev = frame[[c for c in cols]].rename(columns=cols)
        keep = ev.notna().any(axis=1)
        ev = ev.loc[keep]
        ev.insert(0, "event_type", etype)
        if "patient_id" in frame:
            ev.insert(0, "patient_id", frame.loc[keep, "patient_id"])
        ev[SOURCE] = frame.loc[keep, SOURCE]
        parts.append(ev)
    if parts:
        out["events"] = pd.concat(parts)
    return out


def read(path: str | Path, mapping: str | Path | Mapping | dict[str, Any] | None = None) -> Dataset:
    """Read a data file or folder into the data model.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV, XLSX, SPSS ``.sav``, Stata ``.dta``, Parquet or a REDCap CSV export; or a
        folder with one file per table. An Excel workbook with sheets named after tables
        (``patients``, ``treatments``, ``labs``, ...) is read as one sheet per table.
    mapping : path to a YAML mapping, dict or Mapping, optional
        User headers and codes -> model names and codes, units, date formats
        (see :mod:`hccstudy.io.mapping`). Without one, headers are matched to model
        names and known synonyms only.

    Returns
    -------
    Dataset
        Typed tables, provenance (file, sha256, rows read) and reading issues. Cells that
        could not be read are missing and each has an issue; nothing is silently dropped.

    Raises
    ------
    hccstudy.errors.InputError
        Rule ``unreadable-file`` (cannot open or parse the file) or ``mapping`` (invalid
        mapping file). Problems with cells never raise.
    """
    m = load_mapping(mapping)
    sheets, provs = read_raw(path)
    issues: list[Issue] = [i for s in sheets for i in s.issues]
    conversions: list[str] = []
    assigned: list[tuple[RawSheet, str | None]] = []
    for s in sheets:
        key = normalise_name(s.name)
        table = m.tables[key] or None if key in m.tables else guess_table(s.name)
        if key in m.tables and not m.tables[key]:
            issues.append(Issue("warning", s.label, None, None, None, "unknown-sheet",
                                "ignored as the mapping file says"))
            continue
        assigned.append((s, table))
    single = len(assigned) == 1
    any_table = any(t is not None for _, t in assigned)
    parts: dict[str, list[pd.DataFrame]] = {}
    headers: dict[str, dict[str, str]] = {}
    units: dict[str, dict[str, str]] = {}
    wide_done = False
    for s, table in assigned:
        wide = (m.layout == "wide" and not wide_done) or (
            m.layout == "auto" and ((single and table in (None, *WIDE_TABLES))
                                    or (not any_table and not wide_done)))
        if wide:
            wide_done = True
            chosen = _resolve(s, m, WIDE_TABLES, issues)
            frame = _typed(s, chosen, issues, conversions)
            for t, f in _wide_split(frame).items():
                parts.setdefault(t, []).append(f)
        elif table is not None:
            chosen = _resolve(s, m, (table,), issues)
            frame = _typed(s, chosen, issues, conversions)
            parts.setdefault(table, []).append(frame)
        else:
            issues.append(Issue("warning", s.label, None, None, None, "unknown-sheet",
                                "the sheet name is not a table name "
                                f"({', '.join(TABLES)}): name it in the mapping's 'tables'"))
            continue
        headers[s.label] = {extra_name(t) or t: h for t, (h, _) in chosen.items()}
        declared = {t: c.unit for t, (_, c) in chosen.items() if c is not None and c.unit}
        if declared:
            units[s.label] = {t: canonical_unit(u) or u for t, u in declared.items()}
        for w, (_, mcol) in WIDE_EVENT_COLUMNS.items():
            if w in headers[s.label]:
                headers[s.label].setdefault(mcol, headers[s.label][w])
    joined = {t: pd.concat(fs) if len(fs) > 1 else fs[0] for t, fs in parts.items()}
    tables = {t: joined[t] for t in TABLES if t in joined}
    for f in tables.values():
        f.index.name = "row"
    labels = {s.label: s.value_labels for s in sheets if s.value_labels}
    return Dataset(tables, tuple(provs), tuple(issues), headers, labels, tuple(conversions),
                   units)
