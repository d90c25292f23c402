"""Checks of a read :class:`~hccstudy.io.read.Dataset` against the declared schemas.

:func:`validate` adds, to the issues met while reading, the checks that need typed
values: required fields, allowed codes, plausible ranges, dates in the future, date
order per patient, duplicate ids and record keys, orphan records, units (albumin,
bilirubin, platelets, AFP) and the fields each requested analysis needs.
:func:`validate_file` reads and validates in one call and never raises for a bad file:
an unreadable file or mapping is an error row of the report.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "c.csv").write_text(
...     "patient_id,diagnosis_date,death_date,albumin\\n"
...     "1,2020-01-05,2019-12-01,39\\n2,2020-02-01,,41\\n2,2020-03-01,,38\\n")
>>> r = validate_file(d / "c.csv")
>>> sorted(r.rules())
['date-order', 'duplicate-id', 'unit-suspect']
>>> [(i.row, i.column) for i in r.errors if i.rule == "date-order"]
[(2, 'death_date')]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hccstudy.errors import InputError
from hccstudy.validate.report import Issue, Severity, ValidationReport
from hccstudy.validate.schema import (
    ANALYSIS_REQUIREMENTS,
    TABLES,
    UNIT_CONVERSIONS,
    Column,
    canonical_unit,
)

__all__ = ["UNIT_PROFILES", "validate", "validate_file"]

SOURCE = "_source"

UNIT_PROFILES: dict[str, tuple[tuple[float, float], tuple[tuple[str, tuple[float, float]], ...]]] = {
    "albumin": ((1.5, 6.0), (("g/L", (15.0, 60.0)),)),
    "bilirubin": ((0.1, 5.0), (("umol/L", (5.0, 300.0)),)),
    "platelets": ((40.0, 700.0), (("/uL", (20_000.0, 1_000_000.0)), ("10^4/uL", (2.0, 40.0)))),
    "hemoglobin": ((5.0, 20.0), (("g/L", (50.0, 200.0)),)),
}
"""Typical values in the canonical unit, and in the alternative units (by unit).

A column where at least 80 % of the values fit an alternative unit and not the canonical
one is reported as ``unit-suspect``; single rows outside the canonical range but inside an alternative
unit's range are reported as ``mixed-units``. AFP (ng/mL vs IU/mL) cannot be told apart
by magnitude: a header or lab unit naming IU/mL is reported instead."""


def _issue(severity: Severity, ds: Any, frame: pd.DataFrame, row: Any, column: str | None,
           value: Any, rule: str, hint: str, col: Column | None = None) -> Issue:
    source = str(frame.at[row, SOURCE]) if row is not None and SOURCE in frame.columns and \
        frame.index.is_unique else (str(frame[SOURCE].iloc[0]) if SOURCE in frame.columns
                                    and len(frame) else "")
    header = ds.header(source, column) if column is not None else None
    shown: str | None
    if value is None or (col is not None and (col.identifier or col.kind == "id")):
        shown = None if value is None else "<redacted>"
    else:
        shown = _fmt(value)
    return Issue(severity, source, None if row is None else int(row), header, shown, rule, hint)


def _fmt(v: Any) -> str:
    if isinstance(v, pd.Timestamp):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, float):
        return f"{v:g}"
    s = str(v)
    return s if len(s) <= 40 else s[:39] + "…"


def _rows(frame: pd.DataFrame) -> Iterable[tuple[Any, pd.Series]]:
    """Iterate rows; tolerate a non-unique index (tables concatenated from several files)."""
    for k in range(len(frame)):
        yield frame.index[k], frame.iloc[k]


class _Ctx:
    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self.issues: list[Issue] = []

    def add(self, severity: Severity, table: str, pos: int, column: str | None, value: Any,
            rule: str, hint: str) -> None:
        frame = self.ds.tables[table]
        row = frame.index[pos]
        source = str(frame[SOURCE].iloc[pos]) if SOURCE in frame.columns else ""
        col = None
        if column is not None and column in TABLES[table].names:
            col = TABLES[table].column(column)
        header = self.ds.header(source, column) if column is not None else None
        if value is None or (isinstance(value, float) and np.isnan(value)):
            shown = None
        elif col is not None and (col.identifier or col.kind == "id"):
            shown = "<redacted>"
        else:
            shown = _fmt(value)
        self.issues.append(Issue(severity, source, int(row), header, shown, rule, hint))

    def add_table(self, severity: Severity, table: str, column: str | None, rule: str,
                  hint: str, value: str | None = None) -> None:
        frame = self.ds.tables.get(table)
        source = str(frame[SOURCE].iloc[0]) if frame is not None and len(frame) else table
        header = self.ds.header(source, column) if column is not None else None
        self.issues.append(Issue(severity, source, None, header, value, rule, hint))


def _check_columns(ctx: _Ctx, skip_range: dict[tuple[str, str], set[int]]) -> None:
    for name, frame in ctx.ds.tables.items():
        schema = TABLES[name]
        if "patient_id" not in frame.columns:
            ctx.add_table("error", name, "patient_id", "required",
                          "every table needs a patient id column: map one to 'patient_id'")
        for c in schema.columns:
            if c.name not in frame.columns:
                continue
            s = frame[c.name]
            if c.required:
                for pos in map(int, np.flatnonzero(s.isna().to_numpy())):
                    ctx.add("error", name, int(pos), c.name, None, "required",
                            f"{c.name} must not be empty")
            if c.codes:
                allowed = set(c.codes)
                for pos, v in enumerate(s.tolist()):
                    if v is not None and not (isinstance(v, float) and np.isnan(v)) \
                            and v not in allowed:
                        ctx.add("error", name, pos, c.name, v, "unknown-code",
                                f"allowed: {', '.join(c.codes)}; or map this code in the "
                                "mapping file's codes")
            if c.kind in ("number", "integer") and (c.minimum is not None or c.maximum is not None):
                vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
                skip = skip_range.get((name, c.name), set())
                lo = -np.inf if c.minimum is None else c.minimum
                hi = np.inf if c.maximum is None else c.maximum
                bad = np.flatnonzero(~np.isnan(vals) & ((vals < lo) | (vals > hi)))
                for pos in map(int, bad):
                    if int(pos) in skip:
                        continue
                    ctx.add("error", name, int(pos), c.name, float(vals[pos]), "out-of-range",
                            f"plausible range {lo:g} to {hi:g}{' ' + c.unit if c.unit else ''}")
            if c.kind == "date":
                today = pd.Timestamp(dt.date.today())
                vals_d = _as_datetime(s)
                bad_d = (vals_d > today) | (vals_d < pd.Timestamp("1900-01-01"))
                for pos in map(int, np.flatnonzero(bad_d.fillna(False).to_numpy())):
                    ctx.add("error", name, int(pos), c.name, vals_d.iloc[pos], "future-date",
                            "dates must lie between 1900-01-01 and today")


def _check_duplicates(ctx: _Ctx) -> None:
    for name, frame in ctx.ds.tables.items():
        key = [k for k in TABLES[name].key if k in frame.columns]
        if len(key) != len(TABLES[name].key) or not len(frame):
            continue
        sub = frame[key]
        complete = sub.notna().all(axis=1).to_numpy()
        dup = sub.duplicated(keep="first").to_numpy() & complete
        first_rows: dict[tuple[Any, ...], Any] = {}
        for pos, tup in enumerate(sub.itertuples(index=False, name=None)):
            if complete[pos] and tup not in first_rows:
                first_rows[tup] = frame.index[pos]
        one_per_patient = key == ["patient_id"] or name == "treatments"
        headers = getattr(ctx.ds, "headers", {})
        for pos in map(int, np.flatnonzero(dup)):
            tup = tuple(sub.iloc[pos])
            by_id = key == ["patient_id"]
            if name == "treatments" and SOURCE in frame.columns:
                # a one-row-per-patient sheet has no treatment_number column (read.py sets
                # it to 1): the duplicate is the patient id's, reported once on its column
                source = str(frame[SOURCE].iloc[pos])
                by_id = source in headers and "treatment_number" not in headers[source]
            what = "patient id" if by_id else f"record key ({', '.join(key)})"
            ctx.add("error" if one_per_patient else "warning", name, int(pos),
                    "patient_id" if by_id else key[-1], None, "duplicate-id",
                    f"same {what} as row {first_rows[tup]}: merge or remove one of the rows")


def _first_dates(frame: pd.DataFrame | None, column: str) -> pd.Series:
    if frame is None or column not in frame.columns or "patient_id" not in frame.columns:
        return pd.Series(dtype="datetime64[ns]")
    d = frame[["patient_id", column]].dropna()
    return d.groupby("patient_id")[column].min()


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    """A date column as datetime64 (NaT where absent or unparsed), aligned by position."""
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=pd.RangeIndex(len(frame)), dtype="datetime64[ns]")
    return pd.Series(_as_datetime(frame[column]).to_numpy(), index=pd.RangeIndex(len(frame)))


def _as_datetime(s: pd.Series) -> pd.Series:
    """``pd.to_datetime(s, errors="coerce")``, skipping the parse for a datetime64 column."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    return pd.to_datetime(s, errors="coerce")


def _per_patient(frame: pd.DataFrame, by_patient: pd.Series) -> pd.Series:
    """``by_patient`` (indexed by patient id) looked up for each row of ``frame``, by position."""
    if "patient_id" not in frame.columns or by_patient.empty:
        return pd.Series(pd.NaT, index=pd.RangeIndex(len(frame)), dtype="datetime64[ns]")
    ids = pd.Series(frame["patient_id"].to_numpy(), index=pd.RangeIndex(len(frame)))
    return _as_datetime(ids.map(by_patient))


def _check_dates(ctx: _Ctx) -> None:
    """Date-order rules, evaluated column-wise; issues listed row by row as before.

    Each rule yields the positions where it fails; the issues are then sorted by
    (table, row position, rule order) so the report reads one row at a time.
    """
    tables = ctx.ds.tables
    pats = tables.get("patients")
    dx = _first_dates(pats, "diagnosis_date")
    tx_start = _first_dates(tables.get("treatments"), "start_date")
    death = _first_dates(pats, "death_date")
    found: list[tuple[int, int, str, Severity, str, Any, str]] = []

    def rule(table: str, k: int, mask: pd.Series, column: str, values: pd.Series | None,
             severity: Severity, hint: str) -> None:
        for pos in map(int, np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool))):
            value = None if values is None else values.iloc[pos]
            found.append((pos, k, table, severity, column, value, hint))

    if pats is not None and "patient_id" in pats.columns:
        d_dx, d_birth = _dates(pats, "diagnosis_date"), _dates(pats, "birth_date")
        d_tx = _per_patient(pats, tx_start)
        k = 0
        for col, label in (("death_date", "death"), ("last_followup_date", "last follow-up")):
            d = _dates(pats, col)
            before_dx = d < d_dx
            rule("patients", k, before_dx, col, d, "error",
                 f"{label} is before the diagnosis date on the same row")
            rule("patients", k, ~before_dx & (d < d_tx), col, d, "error",
                 f"{label} is before the start of this patient's first treatment")
            k += 1
        d_death, d_fu = _dates(pats, "death_date"), _dates(pats, "last_followup_date")
        rule("patients", 2, d_fu > d_death, "last_followup_date", d_fu, "error",
             "last follow-up is after the death date")
        rule("patients", 3, d_birth > d_dx, "birth_date", None, "error",
             "birth date is after the diagnosis date")
    tx = tables.get("treatments")
    if tx is not None:
        s, e = _dates(tx, "start_date"), _dates(tx, "end_date")
        rule("treatments", 0, e < s, "end_date", e, "error", "treatment end is before its start")
        rule("treatments", 1, s < _per_patient(tx, dx) - pd.Timedelta(days=90), "start_date", s,
             "warning", "treatment starts more than 90 days before the diagnosis date")
        rule("treatments", 2, s > _per_patient(tx, death), "start_date", s, "error",
             "treatment starts after the patient's death date")
    ev = tables.get("events")
    if ev is not None and "patient_id" in ev.columns:
        d = _dates(ev, "event_date")
        before_dx = d < _per_patient(ev, dx)
        rule("events", 0, before_dx, "event_date", d, "error",
             "event is before the diagnosis date")
        rule("events", 0, ~before_dx & (d > _per_patient(ev, death)), "event_date", d,
             "warning", "event is after the death date")
    order = {"patients": 0, "treatments": 1, "events": 2}
    for pos, _, table, severity, column, value, hint in sorted(
            found, key=lambda f: (order[f[2]], f[0], f[1])):
        ctx.add(severity, table, pos, column, value, "date-order", hint)


def _check_orphans(ctx: _Ctx) -> None:
    pats = ctx.ds.tables.get("patients")
    if pats is None or "patient_id" not in pats.columns:
        return
    known = set(pats["patient_id"].dropna())
    for name, frame in ctx.ds.tables.items():
        if name == "patients" or "patient_id" not in frame.columns:
            continue
        ids = frame["patient_id"].tolist()
        for pos, pid in enumerate(ids):
            if pid is not None and pid not in known:
                ctx.add("error", name, pos, "patient_id", pid, "orphan-record",
                        "this patient id is not in the patients table")


def _classify(variable: str, values: np.ndarray) -> tuple[str | None, np.ndarray]:
    """Unit suspected for the column (None = canonical) and per-row alternative units."""
    (lo, hi), alts = UNIT_PROFILES[variable]
    per_row = np.full(values.shape, "", dtype=object)
    ok = ~np.isnan(values)
    if not ok.any():
        return None, per_row
    vals = values[ok]
    column_unit = None
    for unit, (alo, ahi) in alts:
        # most values (>= 80 %) fit the other unit and not the canonical one
        fits = (vals >= alo) & (vals <= ahi) & ~((vals >= lo) & (vals <= hi))
        if fits.mean() >= 0.8:
            column_unit = unit
            break
    if column_unit is None:
        schema_col = TABLES["baseline"].column(variable) if variable in TABLES["baseline"].names \
            else None
        slo = schema_col.minimum if schema_col and schema_col.minimum is not None else lo
        shi = schema_col.maximum if schema_col and schema_col.maximum is not None else hi
        for k in np.flatnonzero(ok):
            v = values[k]
            if slo <= v <= shi:
                continue
            for unit, (alo, ahi) in alts:
                if alo <= v <= ahi:
                    per_row[k] = unit
                    break
    return column_unit, per_row


def _conversion_hint(variable: str, unit: str) -> str:
    factor = UNIT_CONVERSIONS[variable][unit]
    canon = TABLES["baseline"].column(variable).unit if variable in TABLES["baseline"].names \
        else next(iter(UNIT_CONVERSIONS[variable]))
    return f"{unit} -> {canon}: multiply by {factor:.6g}"


def _check_declared_units(ctx: _Ctx, base: pd.DataFrame,
                          skip_range: dict[tuple[str, str], set[int]]) -> None:
    """Columns converted from a declared unit: rows that fit another unit better."""
    units = getattr(ctx.ds, "units", {})
    for var in ("afp", *UNIT_PROFILES):
        if var not in base.columns or var not in TABLES["baseline"].names:
            continue
        col = TABLES["baseline"].column(var)
        lo, hi = UNIT_PROFILES[var][0] if var in UNIT_PROFILES else (col.minimum, col.maximum)
        vals = pd.to_numeric(base[var], errors="coerce").to_numpy(dtype=float)
        sources = base[SOURCE].tolist() if SOURCE in base.columns else [""] * len(base)
        for pos in range(len(base)):
            declared = units.get(sources[pos], {}).get(var)
            v = vals[pos]
            if declared is None or np.isnan(v):
                continue
            f_declared = UNIT_CONVERSIONS[var].get(declared, 1.0)
            if (col.minimum is None or v >= col.minimum) and (col.maximum is None or
                                                              v <= col.maximum):
                continue
            raw = v / f_declared
            for unit, factor in UNIT_CONVERSIONS[var].items():
                if unit == declared or factor == f_declared:
                    continue
                if lo is not None and hi is not None and lo <= raw * factor <= hi:
                    ctx.add("error", "baseline", pos, var, float(f"{raw:.12g}"), "mixed-units",
                            f"the column is declared {declared} but this value looks like "
                            f"{unit}: enter it in {declared}")
                    skip_range.setdefault(("baseline", var), set()).add(pos)
                    break


def _check_units(ctx: _Ctx, skip_range: dict[tuple[str, str], set[int]]) -> None:
    base = ctx.ds.tables.get("baseline")
    converted = " ".join(ctx.ds.conversions)
    if base is not None:
        _check_declared_units(ctx, base, skip_range)
        for var in UNIT_PROFILES:
            if var not in base.columns or f"{var}:" in converted:
                continue
            vals = pd.to_numeric(base[var], errors="coerce").to_numpy(dtype=float)
            column_unit, per_row = _classify(var, vals)
            if column_unit is not None:
                outside = int(np.sum(~np.isnan(vals) & (vals > TABLES["baseline"].column(var).maximum)))
                ctx.add_table("error" if outside else "warning", "baseline", var, "unit-suspect",
                              f"values look like {column_unit} (median "
                              f"{np.nanmedian(vals):g}); if so set 'unit: {column_unit}' for "
                              f"this column in the mapping file ({_conversion_hint(var, column_unit)})",
                              value=f"median {np.nanmedian(vals):g}")
                skip_range[("baseline", var)] = set(range(len(vals)))
                continue
            for pos in map(int, np.flatnonzero(per_row != "")):
                ctx.add("error", "baseline", int(pos), var, float(vals[pos]), "mixed-units",
                        f"this value looks like {per_row[pos]} while the rest of the column "
                        f"is not: {_conversion_hint(var, per_row[pos])}")
                skip_range.setdefault(("baseline", var), set()).add(int(pos))
        # a unit named in the user's header that was not converted (AFP IU/mL, albumin g/L...)
        from hccstudy.io.mapping import _strip_unit

        for source in set(base[SOURCE]) if SOURCE in base.columns else set():
            for var in ("afp", *UNIT_PROFILES):
                header = ctx.ds.header(source, var)
                unit = _strip_unit(header)[1] if header != var else None
                canon = TABLES["baseline"].column(var).unit if var in TABLES["baseline"].names \
                    else None
                if unit is None or unit == canon or f"{var}:" in converted:
                    continue
                if UNIT_CONVERSIONS.get(var, {}).get(unit) == 1.0:
                    continue
                if unit in UNIT_CONVERSIONS.get(var, {}):
                    ctx.issues.append(Issue(
                        "warning", source, None, header, None, "unit-suspect",
                        f"the header names {unit} but the data model stores {canon}; set "
                        f"'unit: {unit}' for this column in the mapping file "
                        f"({_conversion_hint(var, unit)})"))
    labs = ctx.ds.tables.get("labs")
    if labs is not None and {"test", "unit", "value"} <= set(labs.columns):
        seen_units: dict[str, set[str]] = {}
        for pos, (_, r) in enumerate(_rows(labs)):
            test, unit, value = r["test"], r["unit"], r["value"]
            if test not in UNIT_CONVERSIONS or unit is None:
                continue
            spelled = canonical_unit(unit) or str(unit)
            if spelled not in UNIT_CONVERSIONS[test]:
                ctx.add("warning", "labs", pos, "unit", unit, "unknown-unit",
                        f"known units for {test}: {', '.join(UNIT_CONVERSIONS[test])}")
                continue
            seen_units.setdefault(test, set()).add(spelled)
            if test in TABLES["baseline"].names and pd.notna(value):
                c = TABLES["baseline"].column(test)
                v = float(value) * UNIT_CONVERSIONS[test][spelled]
                if (c.minimum is not None and v < c.minimum) or (c.maximum is not None and
                                                                 v > c.maximum):
                    ctx.add("error", "labs", pos, "value", value, "unit-suspect",
                            f"{value} {spelled} is implausible for {test}: check the unit")
        for test, units in seen_units.items():
            factors = {UNIT_CONVERSIONS[test][u] for u in units}
            if len(factors) > 1:
                ctx.add_table("warning", "labs", "unit", "mixed-units",
                              f"{test} is reported in {', '.join(sorted(units))}; values are "
                              "converted to the canonical unit for analysis ("
                              + "; ".join(_conversion_hint(test, u) for u in sorted(units)
                                          if UNIT_CONVERSIONS[test][u] != 1.0) + ")",
                              value=test)


def _check_analyses(ctx: _Ctx, analyses: Iterable[str]) -> None:
    for a in analyses:
        if a not in ANALYSIS_REQUIREMENTS:
            raise InputError(f"unknown analysis {a!r}; known: {sorted(ANALYSIS_REQUIREMENTS)}",
                             rule="known analysis")
        for table, cols in ANALYSIS_REQUIREMENTS[a].items():
            frame = ctx.ds.tables.get(table)
            if frame is None:
                ctx.issues.append(Issue("error", table, None, None, None, "required-for-analysis",
                                        f"analysis {a!r} needs the {table} table"))
                continue
            for c in cols:
                if c not in frame.columns:
                    ctx.add_table("error", table, c, "required-for-analysis",
                                  f"analysis {a!r} needs column {c!r}: map one of your columns "
                                  "to it")
                    continue
                for pos in map(int, np.flatnonzero(frame[c].isna().to_numpy())):
                    ctx.add("error", table, int(pos), c, None, "required-for-analysis",
                            f"analysis {a!r} needs {c!r} on every row")


def validate(dataset: Any, analyses: Iterable[str] = ()) -> ValidationReport:
    """Validate a :class:`~hccstudy.io.read.Dataset`.

    Parameters
    ----------
    dataset : hccstudy.io.Dataset
        As returned by :func:`hccstudy.io.read`.
    analyses : iterable of str
        Analyses to be run (keys of
        :data:`~hccstudy.validate.schema.ANALYSIS_REQUIREMENTS`); their fields are required.

    Returns
    -------
    ValidationReport
        The reading issues followed by the validation issues.
    """
    ctx = _Ctx(dataset)
    skip_range: dict[tuple[str, str], set[int]] = {}
    _check_units(ctx, skip_range)
    _check_columns(ctx, skip_range)
    _check_duplicates(ctx)
    _check_orphans(ctx)
    _check_dates(ctx)
    _check_analyses(ctx, list(analyses))
    # wide sheets feed several tables from one row: report each problem once
    unique = dict.fromkeys(tuple(dataset.issues) + tuple(ctx.issues))
    return ValidationReport(tuple(unique))


def validate_file(path: str | Path, mapping: Any = None,
                  analyses: Iterable[str] = ()) -> ValidationReport:
    """Read and validate a file; never raises for a malformed file or mapping.

    Parameters
    ----------
    path : str or pathlib.Path
        Data file or folder (see :func:`hccstudy.io.read`).
    mapping : path, dict or Mapping, optional
        Column mapping (YAML file).
    analyses : iterable of str
        Analyses whose required fields are checked.

    Returns
    -------
    ValidationReport
        An unreadable file or invalid mapping gives one error row (rule
        ``unreadable-file`` or ``mapping``).
    """
    from hccstudy.io.read import read

    try:
        ds = read(path, mapping)
    except InputError as exc:
        rule = exc.rule if exc.rule in ("unreadable-file", "mapping") else "unreadable-file"
        name = Path(path).name if rule == "unreadable-file" else Path(str(mapping)).name \
            if isinstance(mapping, str | Path) else "mapping"
        return ValidationReport((Issue("error", name, None, None, None, rule, str(exc)),))
    except Exception as exc:  # last resort: the user gets a report row, never a traceback
        return ValidationReport((Issue(
            "error", Path(path).name, None, None, None, "unreadable-file",
            f"unexpected {type(exc).__name__} while reading this file; please report it "
            "(without the data) to the hccstudy developers"),))
    return validate(ds, analyses)
