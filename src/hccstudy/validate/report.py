"""Validation results: one :class:`Issue` per problem, gathered in a :class:`ValidationReport`.

Every issue names the file, the row as the user sees it (spreadsheets and CSV: the sheet
row, header = row 1; SPSS/Stata/Parquet: the case number, first case = 1), the column,
the offending value, the rule (a key of :data:`RULES`) and a hint. Values of identifier
columns are never shown: such values read ``<redacted>``.

Examples
--------
>>> r = ValidationReport((Issue("error", "a.csv", 3, "albumin", "abc", "text-in-numeric",
...                             "enter a number"),))
>>> r.ok, len(r.errors), len(r.warnings)
(False, 1, 0)
>>> print(r.render())  # doctest: +NORMALIZE_WHITESPACE
severity  file   row  column   value  rule             hint
error     a.csv  3    albumin  abc    text-in-numeric  enter a number
1 error(s), 0 warning(s)
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from hccstudy.errors import InputError

__all__ = ["RULES", "Issue", "Severity", "ValidationReport"]

Severity = Literal["error", "warning"]

RULES: dict[str, str] = {
    # file level (reading)
    "unreadable-file": "The file cannot be opened or parsed (unknown extension, corrupt or empty file).",
    "csv-delimiter": "The CSV file uses a delimiter other than ','; it was detected and used.",
    "single-column": "Only one column was found: the file probably uses another delimiter.",
    "merged-header": "Header cells are merged (e.g. a group title over several columns).",
    "blank-header": "A column with data has no header.",
    "duplicate-column": "Two columns have the same header (after mapping).",
    "unmapped-column": "A column is not part of the data model and has no mapping; it is ignored.",
    "unknown-sheet": "A sheet or file does not correspond to any table; it is ignored.",
    "mapping": "The mapping file is invalid or refers to an unknown column, table, unit or code.",
    # cell level (reading)
    "text-in-numeric": "A numeric column holds text.",
    "not-integer": "An integer column holds a fraction.",
    "censored-value": "A value such as '<0.5' or '>1000' was read as its bound.",
    "excel-date-serial": "A date column holds an Excel serial number; it was converted to a date.",
    "not-a-date": "A date column holds text that is not a date.",
    "impossible-date": "A date that does not exist (e.g. 2021-02-30).",
    "ambiguous-date": "Dates such as 03/04/2020 could be day-first or month-first.",
    "not-boolean": "A yes/no column holds another value.",
    "coded-missing": "Cells whose code the mapping maps to null were read as missing.",
    # validation
    "required": "A required field is empty or missing.",
    "required-for-analysis": "A field that a requested analysis needs is empty or missing.",
    "unknown-code": "A category column holds a code that is not allowed.",
    "out-of-range": "A value lies outside the plausible range in the canonical unit.",
    "future-date": "A date lies in the future or before 1900.",
    "date-order": "Dates are out of order (e.g. death before diagnosis or treatment start).",
    "duplicate-id": "The same patient (or record key) appears on more than one row.",
    "orphan-record": "A record refers to a patient who is not in the patients table.",
    "unit-suspect": "The values look like they were recorded in another unit.",
    "mixed-units": "Some rows of a column look like another unit than the rest.",
    "unknown-unit": "A lab row has a unit that the data model does not know for that test.",
}
"""Every rule an issue can name, with its meaning (rendered in docs/data-io.md)."""

_COLUMNS = ("severity", "file", "row", "column", "value", "rule", "hint")


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in the user's data.

    Attributes
    ----------
    severity : {"error", "warning"}
        Errors block analysis; warnings are listed.
    file : str
        File name, with ``[sheet]`` for a workbook sheet.
    row : int or None
        Row as the user sees it (see module docstring); None for file-level issues.
    column : str or None
        Column as named in the user's file (or the model name when the column is missing).
    value : str or None
        The offending value as text (``<redacted>`` for identifier columns).
    rule : str
        A key of :data:`RULES`.
    hint : str
        How to fix it.
    """

    severity: Severity
    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    hint: str


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """All issues found in a dataset; errors block analysis.

    Examples
    --------
    >>> ValidationReport(()).ok
    True
    """

    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        """Issues of severity ``"error"``."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """Issues of severity ``"warning"``."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def rules(self) -> set[str]:
        """The set of rules that were broken.

        Examples
        --------
        >>> ValidationReport(()).rules()
        set()
        """
        return {i.rule for i in self.issues}

    def merged(self, other: Iterable[Issue]) -> ValidationReport:
        """A new report holding these issues followed by ``other``."""
        return ValidationReport(self.issues + tuple(other))

    def to_frame(self) -> pd.DataFrame:
        """One row per issue with columns severity, file, row, column, value, rule, hint.

        Examples
        --------
        >>> list(ValidationReport(()).to_frame().columns)
        ['severity', 'file', 'row', 'column', 'value', 'rule', 'hint']
        """
        rows = [[getattr(i, c) for c in _COLUMNS] for i in self.issues]
        frame = pd.DataFrame(rows, columns=list(_COLUMNS))
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def render(self, max_rows: int | None = None, max_width: int | None = 60,
               width: int | None = None) -> str:
        """A plain-text table (errors first), ending with the counts.

        Parameters
        ----------
        max_rows : int, optional
            Show at most this many issues (the count line still counts all).
        max_width : int or None
            Cells longer than this are cut with an ellipsis; None keeps every cell whole.
        width : int, optional
            Fit the table in this many characters (a terminal's width) by wrapping the
            hint column, and the value column if need be, onto continuation lines; nothing
            is cut. The hint keeps at least 20 characters, so very narrow widths overflow.

        Examples
        --------
        >>> r = ValidationReport((Issue("error", "a.csv", 3, "Sex", "x", "unknown-code",
        ...                             "allowed: male, female; or map this code"),))
        >>> print(r.render(max_width=None, width=74))
        severity  file   row  column  value  rule          hint
        error     a.csv  3    Sex     x      unknown-code  allowed: male, female;
                                                           or map this code
        1 error(s), 0 warning(s)
        """
        ordered = sorted(self.issues, key=lambda i: (i.severity != "error", i.file,
                                                     i.row if i.row is not None else 0))
        if max_rows is not None:
            ordered = ordered[:max_rows]

        def cell(x: object) -> str:
            s = "" if x is None else str(x)
            s = s.replace("\n", " ")
            return s if max_width is None or len(s) <= max_width else s[: max_width - 1] + "…"

        table = [list(_COLUMNS)] + [[cell(getattr(i, c)) for c in _COLUMNS] for i in ordered]
        widths = [max(len(r[k]) for r in table) for k in range(len(_COLUMNS))]
        if width is not None:
            # shrink the wrapped columns (hint, then value) until the table fits
            for k, floor in ((_COLUMNS.index("hint"), 20), (_COLUMNS.index("value"), 12)):
                over = sum(widths) + 2 * (len(widths) - 1) - width
                if over > 0:
                    widths[k] = min(widths[k], max(floor, widths[k] - over))
        lines = []
        for r in table:
            parts = [textwrap.wrap(r[k], widths[k], break_on_hyphens=False) or [""]
                     if width is not None and len(r[k]) > widths[k] else [r[k]]
                     for k in range(len(_COLUMNS))]
            for j in range(max(len(p) for p in parts)):
                lines.append("  ".join((p[j] if j < len(p) else "").ljust(widths[k])
                                       for k, p in enumerate(parts)).rstrip())
        shown = "" if max_rows is None or max_rows >= len(self.issues) else (
            f" (first {max_rows} shown)")
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s){shown}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def raise_for_errors(self) -> None:
        """Raise :class:`~hccstudy.errors.InputError` when the report has errors.

        The message counts errors per rule; it never contains data values.

        Examples
        --------
        >>> ValidationReport(()).raise_for_errors()
        """
        errs = self.errors
        if not errs:
            return
        counts: dict[str, int] = {}
        for e in errs:
            counts[e.rule] = counts.get(e.rule, 0) + 1
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        first = errs[0]
        raise InputError(
            f"the data has {len(errs)} validation error(s) ({parts}); first: file "
            f"{first.file!r}, row {first.row}, column {first.column!r}, rule {first.rule}. "
            "Run hccstudy validate for the full list.",
            column=first.column, n_rows=len(errs), rule=first.rule,
        )
