"""CSV of a report table: the display text, and the numbers.

Examples
--------
>>> import pandas as pd
>>> from hccstudy.report.tables import ReportTable
>>> t = ReportTable("t", "T", pd.DataFrame({"hr": [1 / 3]}), pd.DataFrame({"HR": ["0.33"]}))
>>> table_csv(t)
'HR\\n0.33\\n'
>>> numeric_csv(t)
'hr\\n0.3333333333\\n'
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from hccstudy.report.tables import ReportTable

__all__ = ["numeric_csv", "table_csv"]


def _text_rows(frame: pd.DataFrame) -> list[list[str]] | None:
    """Header and rows of ``frame`` when every name and cell is a ``str``, else None."""
    header = list(frame.columns)
    if not header or not all(isinstance(c, str) for c in header) or not all(
            str(dt) == "object" for dt in frame.dtypes):
        return None
    rows = frame.to_numpy().tolist()
    if not all(isinstance(v, str) for row in rows for v in row):
        return None
    return [header, *rows]


def _header(table: ReportTable) -> list[str]:
    """Column names, each prefixed by the spanning header above it (``"After matching:
    CCRT (n = 92)"``), so that a CSV without the spanner row stays unambiguous."""
    names = [str(c) for c in table.display.columns]
    over: list[str] = []
    for label, span in table.spanners:
        over += [str(label)] * int(span)
    if len(over) != len(names):
        return names
    return [f"{o}: {c}" if o else c for o, c in zip(over, names, strict=True)]


def table_csv(table: ReportTable) -> str:
    """The display frame as CSV (header row = column names, prefixed by their spanning
    header when there is one; indented levels keep 2 spaces)."""
    rows = _text_rows(table.display)
    if rows is not None:  # all text: the csv module directly, as pandas would write it
        rows[0] = _header(table)
        for row, ind in zip(rows[1:], table.indent, strict=False):
            if ind:
                row[0] = "  " + row[0]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue()
    d = table.display.copy()
    d.columns = _header(table)
    if table.indent and len(d.columns):
        first = [("  " + str(v)) if ind else str(v)
                 for v, ind in zip(d.iloc[:, 0], table.indent, strict=False)]
        d.iloc[:, 0] = first + [str(v) for v in d.iloc[len(first):, 0]]
    buf = io.StringIO()
    d.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def numeric_csv(table: ReportTable, float_format: str = "%.10g") -> str:
    """The numeric frame as CSV, floats with 10 significant digits (stable across runs)."""
    buf = io.StringIO()
    table.numeric.to_csv(buf, index=False, lineterminator="\n", float_format=float_format)
    return buf.getvalue()
