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


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def _dates(values: pd.Series, col: Column, fmt: str | None, label: str, header: str,
           issues: list[Issue]) -> pd.Series:
    out: list[Any] = []
    # day-first or month-first for d/m/y text: decided once per column
    dayfirst = True
    if fmt is None:
        firsts, seconds = [], []
        for v in values:
            if isinstance(v, str) and (m := _DMY.match(v.strip())):
                firsts.append(int(m.group(1)))
                seconds.append(int(m.group(2)))
        if firsts:
            if any(b > 12 for b in seconds) and not any(a > 12 for a in firsts):
                dayfirst = False
            elif not any(a > 12 for a in firsts) and not any(b > 12 for b in seconds):
                issues.append(Issue("warning", label, None, header, None, "ambiguous-date",
                                    "dates like 03/04/2020 were read day-first; set date_format "
                                    "in the mapping (e.g. '%m/%d/%Y') if they are month-first"))
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


def coerce_column(values: pd.Series, col: Column, cmap: ColumnMap | None, label: str,
                  header: str) -> tuple[pd.Series, list[Issue], str | None]:
    """Type one column of raw cells as the model declares it.

    Returns the typed series (same index), the issues found, and a note when a unit
    conversion was applied.

    Examples
    --------
    >>> from hccstudy.validate.schema import TABLES
    >>> s, issues, note = coerce_column(pd.Series(["1.2", "<0.5", "abc"]),
    ...                                 TABLES["baseline"].column("bilirubin"), None, "f.csv", "Bil")
    >>> s.tolist(), [i.rule for i in issues]
    ([1.2, 0.5, nan], ['censored-value', 'text-in-numeric'])
    """
    issues: list[Issue] = []
    codes = cmap.codes if cmap is not None else {}
    note = None
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
            if codes and v is not None and _code_key(v) in codes:
                v = codes[_code_key(v)]
            x, status = _number(v)
            if x is not None and not (np.isfinite(x) and abs(x) < 1e15):
                x, status = None, "text"
            if status == "text":
                issues.append(Issue("error", label, int(row), header, _shown(col, v),  # type: ignore[call-overload]
                                    "text-in-numeric",
                                    f"enter a number{' in ' + col.unit if col.unit else ''} "
                                    "or leave the cell empty"))
            elif status == "censored":
                issues.append(Issue("warning", label, int(row), header, _shown(col, v),  # type: ignore[call-overload]
                                    "censored-value", f"read as {x:g}"))
            if x is not None and col.kind == "integer" and not float(x).is_integer():
                issues.append(Issue("error", label, int(row), header, _shown(col, v),  # type: ignore[call-overload]
                                    "not-integer", "enter a whole number"))
                x = None
            nums.append(np.nan if x is None else x)
        arr = np.asarray(nums, dtype=float)
        if cmap is not None and cmap.unit is not None:
            factor = convert_factor(col.name, cmap.unit)
            if factor is not None and factor != 1.0:
                # 12 significant digits: 41 g/L -> 4.1 g/dL, not 4.1000000000000005
                arr = np.array([float(f"{x:.12g}") for x in arr * factor], dtype=float)
                note = f"{col.name}: {cmap.unit} x {factor:.6g} -> {col.unit}"
        if col.kind == "integer":
            return pd.Series(arr, index=values.index).round().astype("Int64"), issues, note
        return pd.Series(arr, index=values.index, dtype=float), issues, note
    if col.kind == "bool":
        out_b: list[Any] = []
        for row, v in values.items():
            if v is None:
                out_b.append(pd.NA)
                continue
            key = _code_key(v)
            b = codes[key] if key in codes else builtin_code(col, v)
            if b is None and key not in codes:
                issues.append(Issue("error", label, int(row), header, _shown(col, v), "not-boolean",  # type: ignore[call-overload]
                                    "enter yes or no (or map this code in the mapping file)"))
            out_b.append(pd.NA if b is None else bool(b))
        return pd.Series(out_b, index=values.index, dtype="boolean"), issues, None
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if col.kind == "category":
            key = _code_key(v)
            if key in codes:
                out.append(codes[key])
                continue
            b = builtin_code(col, v)
            out.append(b if b is not None else str(v).strip())
        else:
            out.append(str(v).strip())
    return pd.Series(out, index=values.index, dtype=object), issues, None


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
    tx = _subset(frame, "treatments")
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
