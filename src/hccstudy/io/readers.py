"""Format readers: a file becomes raw sheets of untyped cells with their row numbers.

A :class:`RawSheet` keeps the user's headers and cells unchanged (apart from stripping
blanks), indexed by the row number the user sees: for CSV and Excel the sheet row with
the header on row 1; for SPSS, Stata and Parquet the case number (first case = 1).
Typing, mapping and checking happen later (:mod:`hccstudy.io.read`).

Unreadable files raise :class:`~hccstudy.errors.InputError` with rule
``unreadable-file``; problems a reader can work around become issues on the sheet.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "c.csv").write_text("id;albumin\\n1;3.5\\n")
>>> sheets, prov = read_raw(d / "c.csv")
>>> sheets[0].frame.index.tolist(), [i.rule for i in sheets[0].issues]
([2], ['csv-delimiter'])
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs import lib as _pandas_lib

from hccstudy.errors import InputError
from hccstudy.validate.report import Issue

_lib: Any = _pandas_lib  # private pandas helpers (untyped): is_string_array, maybe_convert_objects

__all__ = ["FORMATS", "Provenance", "RawSheet", "read_raw"]

FORMATS: dict[str, str] = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".sav": "sav", ".zsav": "sav", ".dta": "dta", ".parquet": "parquet", ".pq": "parquet",
}
"""File extensions read, by format name (a REDCap export is a ``.csv`` recognised by its headers)."""

_MISSING_TEXT = {"", "na", "n/a", "nan", "null", "none", "#n/a"}
_MISSING_LEN = max(map(len, _MISSING_TEXT))
_CHECKED = {"1", "1.0", "checked", "yes", "true"}
_UNCHECKED = {"0", "0.0", "unchecked", "no", "false", ""}
_CHECKBOX_VALUES = _CHECKED | _UNCHECKED
_CHECKBOX = re.compile(r"^(?P<stem>.+?)___(?P<code>[A-Za-z0-9_-]+)$")
_FAST = True
"""Vectorised cell cleaning; False runs the cell-by-cell reference (for tests)."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where data came from: file name (no directories), sha256, rows read, format."""

    file: str
    sha256: str
    rows_read: int
    format: str
    sheets: tuple[str, ...] = ()


@dataclass(slots=True)
class RawSheet:
    """One sheet (or file) of raw cells.

    Attributes
    ----------
    label : str
        File name, with ``[sheet]`` for a workbook sheet: used in issues.
    name : str
        Sheet name, or file stem: used to recognise the table.
    frame : pandas.DataFrame
        Object cells (None when empty) under the user's headers; index = user row number.
    issues : list of Issue
        Problems met while reading.
    value_labels : dict
        SPSS/Stata value labels: column -> {code: label}.
    header_row : int or None
        Row number of the header (None for formats without a header row).
    """

    label: str
    name: str
    frame: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    header_row: int | None = 1


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _clean(v: Any) -> Any:
    """Strip text, turn blank or NA-like text and NaN into None."""
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        return None if s.lower() in _MISSING_TEXT else s
    if isinstance(v, float) and v != v:
        return None
    if v is pd.NaT:
        return None
    return v


def _clean_text(texts: np.ndarray) -> np.ndarray:
    """:func:`_clean` of each cell of an object array holding only ``str`` (new array)."""
    # a lower-cased string is never shorter than the original, and no missing marker is
    # longer than 4 characters: only short cells need ``lower()``
    out = np.empty(len(texts), dtype=object)
    out[:] = [None if len(s := t.strip()) <= _MISSING_LEN and s.lower() in _MISSING_TEXT else s
              for t in texts]
    return out


def _is_none(values: np.ndarray) -> np.ndarray:
    """``[v is None for v in values]`` as a boolean array (``pd.isna`` finds the candidates)."""
    out = np.zeros(len(values), dtype=bool)
    maybe = np.flatnonzero(np.asarray(pd.isna(values), dtype=bool))
    out[maybe] = [v is None for v in values[maybe]]
    return out


def _clean_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply :func:`_clean` to every cell of a 1-D object array, vectorised.

    Text is cleaned once per distinct value (``pd.factorize``); missing cells that
    :func:`_clean` blanks (None, float NaN, NaT) become None; other cells are kept as
    they are (``pd.NA`` and ``numpy.datetime64("NaT")`` too, as :func:`_clean` keeps them).

    Returns
    -------
    cleaned : numpy.ndarray
        A new object array.
    missing : numpy.ndarray
        Boolean, ``pandas.isna`` of ``cleaned``.

    Examples
    --------
    >>> cells, missing = _clean_values(np.array([" a ", "NA", float("nan"), 3, None, pd.NA],
    ...                                         dtype=object))
    >>> cells.tolist(), missing.tolist()
    (['a', None, None, 3, None, <NA>], [False, True, True, False, True, True])
    """
    if _lib.is_string_array(values, skipna=False):  # the common case: text only
        codes, uniques = pd.factorize(values)
        cleaned = _clean_text(np.asarray(uniques, dtype=object))
        return cleaned[codes], _is_none(cleaned)[codes]
    out = values.copy()
    missing = np.asarray(pd.isna(values), dtype=bool)
    if missing.any():
        where = np.flatnonzero(missing)
        blank = np.fromiter((v is None or v is pd.NaT or (isinstance(v, float) and v != v)
                             for v in values[where]), dtype=bool, count=len(where))
        out[where[blank]] = None
    filled = ~missing
    if not filled.any():
        return out, missing
    if _lib.is_string_array(values[filled], skipna=False):
        text = filled
    else:
        text = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
        if not text.any():
            return out, missing
    codes, uniques = pd.factorize(values[text])
    cleaned = _clean_text(np.asarray(uniques, dtype=object))
    out[text] = cleaned[codes]
    missing[text] = _is_none(cleaned)[codes]
    return out, missing


def _clean_series(col: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``col.astype(object).map(_clean)`` (same values, dtype and index) and its ``isna``."""
    values, missing = _clean_values(col.to_numpy(dtype=object))
    # what ``Series.map`` does with the mapped values: infer numbers, then datetimes
    values = _lib.maybe_convert_objects(values)
    return pd.Series(values, index=col.index, name=col.name, copy=False), missing


def _clean_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Every cell through :func:`_clean`, and where cells are missing.

    Returns
    -------
    cleaned : pandas.DataFrame
        ``frame.astype(object).apply(lambda col: col.map(_clean))`` (the cell-by-cell
        reference, run when ``_FAST`` is off), column dtypes included.
    missing : numpy.ndarray or None
        Boolean (rows, columns): ``cleaned.isna()``; None when ``_FAST`` is off.
    """
    if not _FAST:
        frame = frame.astype(object)
        if len(frame.columns):
            frame = frame.apply(lambda col: col.map(_clean))
        return frame, None
    if not len(frame.columns) or not len(frame):
        frame = frame.astype(object)
        return frame, np.ones(frame.shape, dtype=bool)
    cols: dict[int, pd.Series] = {}
    missing = np.empty(frame.shape, dtype=bool, order="F")
    for k in range(len(frame.columns)):
        cols[k], missing[:, k] = _clean_series(frame.iloc[:, k])
    out = pd.DataFrame(cols, index=frame.index, copy=False)
    out.columns = frame.columns
    return out, missing


def _finish(frame: pd.DataFrame, first_row: int,
            missing: np.ndarray | None = None) -> pd.DataFrame:
    """Clean every cell, index by user row, drop empty rows.

    ``missing`` (from :func:`_clean_frame`) says the cells are clean already.
    """
    if missing is None:
        frame, missing = _clean_frame(frame)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    if not len(frame.columns):
        return frame.loc[pd.Series(True, index=frame.index)]
    if missing is None:  # the reference
        return frame.loc[frame.notna().any(axis=1)]
    keep: Any = ~missing.all(axis=1)
    return frame if keep.all() else frame.loc[keep]


def _tidy(frame: pd.DataFrame, label: str, issues: list[Issue], header_row: int,
          skip: frozenset[int] = frozenset()) -> pd.DataFrame:
    """``_finish(_blank_headers(frame, ...), header_row + 1)``, cleaning each cell once."""
    if not _FAST:
        return _finish(_blank_headers(frame, label, issues, header_row, skip), header_row + 1)
    frame, missing = _clean_frame(frame)
    assert missing is not None
    keep, names = _headers(frame.columns, ~missing.all(axis=0), label, issues, header_row, skip)
    if keep != list(range(len(frame.columns))):
        frame, missing = frame.iloc[:, keep], missing[:, keep]
    frame.columns = names
    return _finish(frame, header_row + 1, missing)


def _unreadable(path: Path, why: str) -> InputError:
    return InputError(f"cannot read {path.name!r}: {why}", column=None, rule="unreadable-file")


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _head_lines(text: str, n: int) -> list[str]:
    """The first ``n`` non-blank lines: ``[ln for ln in text.splitlines() if ln.strip()][:n]``.

    Splits only the start of a long text (its last, maybe cut, line dropped) when that holds
    ``n`` non-blank lines.

    Examples
    --------
    >>> _head_lines("a\\n\\n b \\r\\nc", 2)
    ['a', ' b ']
    """
    size = 1 << 16
    while size < len(text):
        lines = [ln for ln in text[:size].splitlines()[:-1] if ln.strip()]
        if len(lines) >= n:
            return lines[:n]
        size *= 8
    return [ln for ln in text.splitlines() if ln.strip()][:n]


def _read_csv(path: Path) -> list[RawSheet]:
    text = _decode(path.read_bytes())
    if not text or text.isspace():
        raise _unreadable(path, "the file is empty")
    lines = _head_lines(text, 20)
    counts = {d: lines[0].count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=lambda d: (counts[d], d == ","))
    issues: list[Issue] = []
    if counts[delim] == 0:
        delim = ","
    elif delim != ",":
        try:
            sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=delim + ",").delimiter
        except csv.Error:
            sniffed = delim
        delim = sniffed
        if delim != ",":
            issues.append(Issue("warning", path.name, 1, None, repr(delim), "csv-delimiter",
                                f"the file is separated by {delim!r}; it was read that way"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False,
                                skip_blank_lines=False, header=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        msg = str(exc).split("\n")[0]
        raise _unreadable(path, f"not a valid CSV table ({msg}); check that every line has "
                                "the same number of fields and that quotes are closed") from None
    frame = _tidy(frame, path.name, issues, header_row=1)
    if len(frame.columns) == 1:
        issues.append(Issue("error", path.name, 1, str(frame.columns[0])[:60], None,
                            "single-column",
                            "only one column was found: save the file as comma-separated CSV "
                            "(or ';'/tab separated) with one header per column"))
    sheet = RawSheet(path.name, path.stem, frame, issues)
    if _looks_redcap(sheet.frame.columns):
        _collapse_checkboxes(sheet)
    return [sheet]


def _blank_headers(frame: pd.DataFrame, label: str, issues: list[Issue],
                   header_row: int | None, skip: frozenset[int] = frozenset()) -> pd.DataFrame:
    """Drop empty unnamed columns; report unnamed columns with data; de-duplicate names."""
    has_data = [bool(frame.iloc[:, k].map(_clean).notna().any())
                for k in range(len(frame.columns))]
    keep, names = _headers(frame.columns, has_data, label, issues, header_row, skip)
    out = frame.iloc[:, keep].copy()
    out.columns = names
    return out


def _headers(columns: pd.Index, has_data: Any, label: str, issues: list[Issue],
             header_row: int | None, skip: frozenset[int]) -> tuple[list[int], list[str]]:
    """Positions and names of the columns kept by :func:`_blank_headers` (adds its issues)."""
    keep = []
    names: list[str] = []
    seen: dict[str, int] = {}
    for k, col in enumerate(columns):
        name = str(col).strip() if col is not None else ""
        blank = name == "" or name.startswith("Unnamed: ") or name.lower() == "nan"
        if blank:
            if has_data[k] and k not in skip:
                issues.append(Issue("error", label, header_row, f"column {_letters(k)}", None,
                                    "blank-header",
                                    "give this column a header in the first row, or delete it"))
            continue
        # pandas renames a repeated CSV header "x" to "x.1"; Excel headers arrive verbatim
        base = name
        stripped = re.sub(r"\.\d+$", "", name)
        if name not in seen and stripped != name and stripped in seen:
            base = stripped
        if base in seen:
            issues.append(Issue("error", label, header_row, base, None, "duplicate-column",
                                "two columns share this header: rename or delete one"))
            continue
        seen[base] = k
        keep.append(k)
        names.append(base)
    return keep, names


def _letters(k: int) -> str:
    s = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        s = chr(65 + r) + s
    return s


def _read_xlsx(path: Path) -> list[RawSheet]:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - dependency declared
        raise _unreadable(path, "openpyxl is not installed") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise _unreadable(path, f"not a valid .xlsx workbook ({type(exc).__name__})") from None
    sheets = []
    for ws in wb.worksheets:
        label = f"{path.name}[{ws.title}]"
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        h = next((i for i, r in enumerate(rows) if any(_clean(v) is not None for v in r)), None)
        if h is None:
            continue
        header_row = h + 1
        issues: list[Issue] = []
        covered: set[int] = set()
        for rng in ws.merged_cells.ranges:
            if rng.min_row <= header_row <= rng.max_row and rng.max_col > rng.min_col:
                title = _clean(ws.cell(rng.min_row, rng.min_col).value)
                covered.update(range(rng.min_col - 1, rng.max_col))
                issues.append(Issue(
                    "error", label, header_row, str(title)[:60] if title is not None else None,
                    None, "merged-header",
                    f"cells {rng.coord} are merged in the header row: unmerge them, put one "
                    "header per column in a single row and delete title rows above it"))
            elif rng.min_row <= header_row <= rng.max_row:
                covered.update(range(rng.min_col - 1, rng.max_col))
        width = max(len(r) for r in rows)
        header = [rows[h][k] if k < len(rows[h]) else None for k in range(width)]
        body = [r + [None] * (width - len(r)) for r in rows[h + 1:]]
        frame = pd.DataFrame(body, columns=[f"Unnamed: {k}" if v is None else str(v)
                                            for k, v in enumerate(header)], dtype=object)
        frame = _tidy(frame, label, issues, header_row, frozenset(covered))
        sheets.append(RawSheet(label, ws.title, frame, issues,
                               header_row=header_row))
    wb.close()
    if not sheets:
        raise _unreadable(path, "the workbook has no data")
    return sheets


def _read_stat(path: Path, fmt: str) -> list[RawSheet]:
    import pyreadstat

    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame, meta = reader(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises ReadstatError and others
        raise _unreadable(path, f"not a valid {fmt} file ({type(exc).__name__})") from None
    labels: dict[str, dict[Any, str]] = {}
    for var, lab in (meta.variable_to_label or {}).items():
        vl = (meta.value_labels or {}).get(lab)
        if vl:
            labels[var] = dict(vl)
    frame = frame.astype(object)
    for var, vl in labels.items():
        if var in frame.columns:
            frame[var] = frame[var].map(_labeller(vl))
    return [RawSheet(path.name, path.stem, _finish(frame, 1), [], labels, header_row=None)]


def _labeller(labels: dict[Any, str]) -> Any:
    def apply(v: Any) -> Any:
        return labels.get(v, v) if v is not None else v

    return apply


def _read_parquet(path: Path) -> list[RawSheet]:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and OSError subclasses
        raise _unreadable(path, f"not a valid Parquet file ({type(exc).__name__})") from None
    frame = frame.reset_index(drop=True)
    return [RawSheet(path.name, path.stem, _finish(frame, 1), [], header_row=None)]


def _looks_redcap(columns: pd.Index) -> bool:
    names = [str(c) for c in columns]
    if "redcap_event_name" in names or "redcap_repeat_instrument" in names:
        return True
    return (bool(names) and names[0] == "record_id") or any(_CHECKBOX.match(n) for n in names)


def _checkboxes(boxes: pd.DataFrame, codes: list[str]) -> tuple[pd.Series, pd.Index] | None:
    """Vectorised checkbox collapse for :func:`_collapse_checkboxes`.

    Returns the collapsed column (``"1|2"``, None when nothing is checked) and the rows
    holding a value that is neither checked nor unchecked; None (use the cell-by-cell
    reference) unless every column is object and holds only ``str`` or None.
    """
    n = len(boxes)
    if not n or any(dt.kind != "O" for dt in boxes.dtypes):
        return None
    joined = np.full(n, "", dtype=object)
    bad = np.zeros(n, dtype=bool)
    for k, code in enumerate(codes):
        values = boxes.iloc[:, k].to_numpy(dtype=object)
        filled = ~_is_none(values)
        texts = values[filled]
        if not _lib.is_string_array(texts, skipna=False):
            return None
        ids, uniques = pd.factorize(texts)
        keys = [str(u).strip().lower() for u in uniques]
        checked = np.zeros(n, dtype=bool)
        checked[filled] = np.array([key in _CHECKED for key in keys], dtype=bool)[ids]
        bad[filled] |= np.array([key not in _CHECKBOX_VALUES for key in keys],
                                dtype=bool)[ids]
        joined[checked] = joined[checked] + ("|" + code)
    out = np.full(n, None, dtype=object)
    hit = np.flatnonzero(joined != "")
    if len(hit):
        ids, uniques = pd.factorize(joined[hit])
        out[hit] = np.array([u[1:] for u in uniques], dtype=object)[ids]
    return pd.Series(out, index=boxes.index, dtype=object), boxes.index[bad]


def _collapse_checkboxes(sheet: RawSheet) -> None:
    """REDCap: ``var___1, var___2`` (0/1 or Checked/Unchecked) -> ``var`` = ``"1|2"``."""
    frame = sheet.frame
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in frame.columns:
        m = _CHECKBOX.match(str(c))
        if m:
            groups.setdefault(m["stem"], []).append((str(c), m["code"]))
    out = {}
    for c in frame.columns:
        m = _CHECKBOX.match(str(c))
        if not m:
            out[str(c)] = frame[c]
            continue
        stem = m["stem"]
        if stem in out:
            continue
        parts = groups[stem]

        def collapse(row: pd.Series, parts: list[tuple[str, str]] = parts) -> str | None:
            codes = [code for col, code in parts
                     if str(row[col]).strip().lower() in _CHECKED and row[col] is not None]
            return "|".join(codes) if codes else None

        boxes = frame[[p[0] for p in parts]]
        fast = _checkboxes(boxes, [p[1] for p in parts]) if _FAST else None
        if fast is None:  # the reference, cell by cell
            out[stem] = boxes.apply(collapse, axis=1)
            bad = boxes.map(
                lambda v: v is not None and str(v).strip().lower() not in _CHECKED | _UNCHECKED)
            bad_rows = bad.index[bad.any(axis=1)]
        else:
            out[stem], bad_rows = fast
        for row in bad_rows:
            sheet.issues.append(Issue("error", sheet.label, int(row), stem, None, "not-boolean",
                                      "REDCap checkbox columns must hold 0/1 or "
                                      "Checked/Unchecked"))
    sheet.frame = pd.DataFrame(out, index=frame.index).astype(object)
    admin = [c for c in sheet.frame.columns
             if str(c).startswith("redcap_") or str(c).endswith("_complete")]
    sheet.frame = sheet.frame.drop(columns=admin)


def _read_file(path: Path) -> tuple[list[RawSheet], Provenance]:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _unreadable(path, f"unknown file type {path.suffix!r}; use one of "
                                f"{sorted(set(FORMATS))}")
    if fmt == "csv":
        sheets = _read_csv(path)
        if _looks_redcap_label(sheets):
            fmt = "redcap"
    elif fmt == "xlsx":
        sheets = _read_xlsx(path)
    elif fmt in ("sav", "dta"):
        sheets = _read_stat(path, fmt)
    else:
        sheets = _read_parquet(path)
    prov = Provenance(path.name, _sha256(path), sum(len(s.frame) for s in sheets), fmt,
                      tuple(s.name for s in sheets))
    return sheets, prov


def _looks_redcap_label(sheets: list[RawSheet]) -> bool:
    return bool(sheets) and _looks_redcap(sheets[0].frame.columns)


def read_raw(path: str | Path) -> tuple[list[RawSheet], list[Provenance]]:
    """Read a file, or every readable file of a folder, into raw sheets.

    Parameters
    ----------
    path : str or pathlib.Path
        A file (see :data:`FORMATS`) or a folder holding one file per table.

    Returns
    -------
    sheets : list of RawSheet
    provenance : list of Provenance
        One per file read.

    Raises
    ------
    hccstudy.errors.InputError
        Rule ``unreadable-file``: missing path, unknown extension, damaged file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file or folder: {p.name!r}", rule="unreadable-file")
    if p.is_dir():
        files = sorted(f for f in p.iterdir()
                       if f.is_file() and f.suffix.lower() in FORMATS and not f.name.startswith("."))
        if not files:
            raise _unreadable(p, "the folder holds no readable data file")
        sheets: list[RawSheet] = []
        provs: list[Provenance] = []
        for f in files:
            s, pv = _read_file(f)
            sheets.extend(s)
            provs.append(pv)
        return sheets, provs
    s, pv = _read_file(p)
    return s, [pv]


def excel_serial_to_date(x: float) -> dt.datetime:
    """Convert an Excel (1900 system) serial day number to a datetime.

    Examples
    --------
    >>> excel_serial_to_date(44197)
    datetime.datetime(2021, 1, 1, 0, 0)
    """
    return dt.datetime(1899, 12, 30) + dt.timedelta(days=float(x))
