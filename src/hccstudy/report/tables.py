"""Result -> report table: a numeric frame (numbers first) and a display frame (strings).

Every table of a report is a :class:`ReportTable`: ``numeric`` holds the numbers as the
result gave them (tidy, one row per displayed row), ``display`` the same rows as text
formatted by :class:`TableFormat` (digits, p-value style, CI style), plus a title,
optional spanning header cells, footnotes and abbreviations. The renderers in
:mod:`hccstudy.report.render` turn a ``ReportTable`` into CSV, LaTeX, HTML or DOCX;
nothing here recomputes a statistic.

Builders are looked up by the result's class name in a registry
(:func:`register_table`); any other result falls back to :func:`generic_table`,
which renders its ``to_frame()`` (or ``table()``), so new analysis types appear in a
report without code here. Frames with ``hr``/``or``/``estimate`` and
``ci_lower``/``ci_upper`` columns get an "estimate (95% CI)" column, ``p``-columns the
p-value style.

Examples
--------
>>> import hccstudy
>>> d = hccstudy.datasets.load_demo()
>>> km = hccstudy.kaplan_meier(d, "os_months", "death", by="arm")
>>> t = build_tables("km_os", km, units="months")[0]
>>> t.display.columns.tolist()[:4]
['Group', 'n', 'Events', 'Median, months (95% CI)']
>>> format_p(0.0004), format_p(0.0412), format_ci(1.234, 0.9, 1.71)
('< 0.001', '0.041', '1.23 (0.90–1.71)')
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from hccstudy.report.labels import capitalised, level_text, sentence, words

__all__ = [
    "ReportTable",
    "TableFormat",
    "build_tables",
    "cox_table",
    "default_times",
    "flow_table",
    "format_ci",
    "format_num",
    "format_p",
    "generic_table",
    "km_summary_table",
    "register_table",
    "study_tables",
    "table1_table",
    "term_label",
    "time_label",
]


# ----------------------------------------------------------------------------- format


@dataclass(frozen=True)
class TableFormat:
    """How numbers become text.

    Attributes
    ----------
    digits : int
        Decimals of estimates (HR, OR, coefficients) and their CIs, of standardised mean
        differences (Table 1 SMDs; the balance table shows at least 3 decimals) and of
        test statistics (log-rank, Gray and other chi-squares) and variance ratios.
        p-values follow ``p_digits`` / ``p_style``; counts, percentages and descriptive
        summaries their own settings.
    summary_digits : int
        Decimals of descriptive numbers (medians, means, ranges, survival medians).
    percent_digits : int
        Decimals of percentages.
    p_digits : int
        Decimals of p-values at or above ``p_threshold``.
    p_threshold : float
        p-values below it print as ``"< 0.001"`` (``p_style="threshold"``).
    p_style : {"threshold", "exact", "scientific"}
        ``"threshold"``: ``< 0.001``; ``"exact"``: always ``p_digits`` significant decimals
        (no threshold); ``"scientific"``: ``1.2e-05`` below the threshold.
    ci_style : {"paren", "brackets", "to"}
        ``1.23 (0.90–1.71)``, ``1.23 [0.90, 1.71]`` or ``1.23 (0.90 to 1.71)``; the
        ``"paren"`` style switches to ``" to "`` when a limit is negative.
    ci_sep : str
        Separator of the ``"paren"`` style (an en dash by default).
    na : str
        Text for a missing or undefined number.
    not_reached : str
        Text for a median (or CI limit) that was not reached.
    labels : mapping
        Variable name -> label shown in the tables (e.g. ``{"age_years": "Age, years"}``).
        In a study report (:func:`study_tables`, ``write_report``) these override the
        spec's ``variable_labels``, which override the data-model labels
        (:mod:`hccstudy.report.labels`); display only.
    """

    digits: int = 2
    summary_digits: int = 1
    percent_digits: int = 1
    p_digits: int = 3
    p_threshold: float = 0.001
    p_style: Literal["threshold", "exact", "scientific"] = "threshold"
    ci_style: Literal["paren", "brackets", "to"] = "paren"
    ci_sep: str = "–"
    na: str = "–"
    not_reached: str = "NR"
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, name: str) -> str:
        """The label of a variable (its name when none is set); ``C(x, ...)`` labels ``x``.

        Examples
        --------
        >>> f = TableFormat(labels={"bclc_stage": "BCLC stage"})
        >>> f.label("bclc_stage"), f.label("C(bclc_stage, treatment('B'))"), f.label("ecog")
        ('BCLC stage', 'BCLC stage', 'ecog')
        """
        if name in self.labels:
            return str(self.labels[name])
        m = _C_BARE_RE.match(name)
        if m:
            var = m.group("var").strip()
            return str(self.labels.get(var, var))
        return name


_C_BARE_RE = re.compile(r"^C\((?P<var>[^,()]+?)\s*(?:,.*)?\)$")


_DEFAULT = TableFormat()


def _isnan(x: Any) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def format_num(x: Any, digits: int = 2, fmt: TableFormat = _DEFAULT) -> str:
    """A number with ``digits`` decimals; missing -> ``fmt.na``; infinite -> ``inf``.

    Examples
    --------
    >>> format_num(1.005, 1), format_num(float("nan")), format_num(3, 0)
    ('1.0', '–', '3')
    """
    if _isnan(x):
        return fmt.na
    v = float(x)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    out = f"{v:.{digits}f}"
    return "0" + out[2:] if out.startswith("-0") and float(out) == 0 else out


def format_count(x: Any, fmt: TableFormat = _DEFAULT) -> str:
    """A count: an integer, or one decimal when weighted (non-integer).

    Examples
    --------
    >>> format_count(12.0), format_count(12.5), format_count(None)
    ('12', '12.5', '–')
    """
    if _isnan(x):
        return fmt.na
    v = float(x)
    return str(round(v)) if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def format_p(p: Any, fmt: TableFormat = _DEFAULT) -> str:
    """Journal-style p-value (see :class:`TableFormat`).

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0412), format_p(1.0), format_p(float("nan"))
    ('< 0.001', '0.041', '1.000', '–')
    >>> format_p(0.00001234, TableFormat(p_style="scientific"))
    '1.2e-05'
    """
    if _isnan(p):
        return fmt.na
    v = float(p)
    if fmt.p_style == "exact":
        return f"{v:.{fmt.p_digits}g}" if v < 10 ** -fmt.p_digits else f"{v:.{fmt.p_digits}f}"
    if v < fmt.p_threshold:
        if fmt.p_style == "scientific":
            return f"{v:.1e}"
        return f"< {fmt.p_threshold:g}"
    return f"{v:.{fmt.p_digits}f}"


def format_ci(est: Any, lower: Any, upper: Any, fmt: TableFormat = _DEFAULT,
              digits: int | None = None) -> str:
    """``estimate (lower–upper)`` in the CI style of ``fmt``.

    A missing estimate gives ``fmt.na``; a missing limit ``fmt.not_reached`` when the
    estimate exists (a median whose upper limit is not reached).

    Examples
    --------
    >>> format_ci(1.5, 1.1, 2.04)
    '1.50 (1.10–2.04)'
    >>> format_ci(1.5, 1.1, 2.04, TableFormat(ci_style="brackets"))
    '1.50 [1.10, 2.04]'
    >>> format_ci(12.8, 9.7, float("nan"), digits=1)
    '12.8 (9.7–NR)'
    >>> format_ci(-0.2, -0.31, -0.09)
    '-0.20 (-0.31 to -0.09)'
    """
    d = fmt.digits if digits is None else digits
    if _isnan(est):
        return fmt.na if _isnan(lower) and _isnan(upper) else \
            f"{fmt.not_reached} ({_lim(lower, d, fmt)}{fmt.ci_sep}{_lim(upper, d, fmt)})"
    e, lo, hi = format_num(est, d, fmt), _lim(lower, d, fmt), _lim(upper, d, fmt)
    if fmt.ci_style == "brackets":
        return f"{e} [{lo}, {hi}]"
    if fmt.ci_style == "to" or lo.startswith("-") or hi.startswith("-"):
        return f"{e} ({lo} to {hi})"  # a dash between negative limits would misread
    return f"{e} ({lo}{fmt.ci_sep}{hi})"


def _lim(x: Any, digits: int, fmt: TableFormat) -> str:
    return fmt.not_reached if _isnan(x) else format_num(x, digits, fmt)


def _ci_head(level: float = 0.95) -> str:
    return f"{100 * level:g}% CI"


# ----------------------------------------------------------------------------- table


@dataclass(frozen=True)
class ReportTable:
    """One table of a report: numbers, their display, and the notes under it.

    Attributes
    ----------
    key : str
        File stem (``tables/<key>.csv``); unique within a report.
    title : str
        Caption, e.g. "Table 1. Baseline characteristics".
    numeric : pandas.DataFrame
        The numbers (tidy, as the result gave them).
    display : pandas.DataFrame
        Text cells, one row per displayed row; its columns are the header row.
    spanners : tuple of (str, int)
        Optional header cells above the column header, each spanning ``int`` columns
        (their spans add up to the number of columns).
    indent : tuple of bool
        Per display row: indent the first cell (a level under its variable).
    footnotes : tuple of str
        Notes under the table (tests, methods).
    abbreviations : tuple of str
        ``"HR, hazard ratio"`` entries, printed as one footnote line.
    """

    key: str
    title: str
    numeric: pd.DataFrame
    display: pd.DataFrame
    spanners: tuple[tuple[str, int], ...] = ()
    indent: tuple[bool, ...] = ()
    footnotes: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """Footnote lines: the footnotes, then one line of abbreviations."""
        out = list(self.footnotes)
        if self.abbreviations:
            out.append("; ".join(sorted(dict.fromkeys(self.abbreviations))) + ".")
        return out

    def to_text(self) -> str:
        """Plain text (title, aligned columns, notes): the golden-snapshot form.

        Examples
        --------
        >>> t = ReportTable("x", "T", pd.DataFrame(), pd.DataFrame({"a": ["1"], "b": ["22"]}))
        >>> print(t.to_text())
        T
        a  b
        1  22
        """
        cols = [str(c) for c in self.display.columns]
        rows = [[str(v) for v in r] for r in self.display.itertuples(index=False, name=None)]
        if self.indent:
            for r, ind in zip(rows, self.indent, strict=False):
                if ind and r:
                    r[0] = "  " + r[0]
        widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(cols)]
        lines = [self.title]
        if self.spanners:
            cells, i = [], 0
            for lab, span in self.spanners:
                w = sum(widths[i:i + span]) + 2 * (span - 1)
                cells.append(lab.ljust(w))
                i += span
            lines.append("  ".join(cells).rstrip())
        lines.append("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip())
        for r in rows:
            lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        lines.extend(self.notes())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from hccstudy.report.render.html import table_html

        return table_html(self)

    def __repr__(self) -> str:
        return self.to_text()


# ----------------------------------------------------------------------------- registry

Builder = Callable[..., list[ReportTable]]
_BUILDERS: dict[str, Builder] = {}


def register_table(*class_names: str) -> Callable[[Builder], Builder]:
    """Register a table builder for results of the named classes.

    A builder is called as ``builder(name, result, fmt=..., **context)`` and returns a
    list of :class:`ReportTable`. ``context`` holds ``units``, ``times``, ``test``
    (a matching log-rank / Gray result) and ``group`` (group column name) when known;
    builders take ``**kwargs`` and ignore what they do not use.

    Examples
    --------
    >>> @register_table("MyResult")
    ... def _my(name, result, fmt=TableFormat(), **kw):
    ...     return [generic_table(name, result.to_frame(), fmt=fmt)]
    >>> "MyResult" in registered()
    True
    >>> _ = _BUILDERS.pop("MyResult")
    """
    def deco(fn: Builder) -> Builder:
        for c in class_names:
            _BUILDERS[c] = fn
        return fn
    return deco


def registered() -> tuple[str, ...]:
    """Class names with a specialised table builder."""
    return tuple(sorted(_BUILDERS))


def build_tables(name: str, result: Any, fmt: TableFormat = _DEFAULT,
                 **context: Any) -> list[ReportTable]:
    """The tables of one result: its registered builder, else :func:`generic_table`.

    Returns an empty list for a result with no frame (``to_frame``, ``table`` or
    ``hazard_ratios``).
    """
    for klass in type(result).__mro__:
        fn = _BUILDERS.get(klass.__name__)
        if fn is not None:
            return fn(name, result, fmt=fmt, **context)
    frame = result_frame(result)
    if frame is None:
        return []
    title = context.get("caption") or _title(name, getattr(result, "title", None))
    notes = tuple(s for s in (_method_note(result),) if s)
    return [generic_table(name, frame, fmt=fmt, title=title, footnotes=notes)]


def result_frame(result: Any) -> pd.DataFrame | None:
    """``to_frame()``, else ``table()``, else ``hazard_ratios()`` of a result (or None)."""
    for meth in ("to_frame", "table", "hazard_ratios"):
        f = getattr(result, meth, None)
        if callable(f):
            try:
                out = f()
            except TypeError:
                continue
            if isinstance(out, pd.DataFrame):
                return out
    if isinstance(result, pd.DataFrame):
        return result
    return None


def _method_note(result: Any) -> str:
    m = getattr(result, "method", None)
    return m.strip() if isinstance(m, str) and m.strip() else ""


def _title(name: str, title: Any = None, what: str = "") -> str:
    if isinstance(title, str) and title:
        return title
    return f"{what}: {name.replace('_', ' ')}" if what else words(name)


# ----------------------------------------------------------------------------- generic

_EST_COLS = ("hr", "or", "rr", "sub_hr", "estimate", "difference", "ratio", "proportion",
             "rate", "survival", "cif", "median", "mean", "rmst")
_TIME_COLS = ("time", "at", "tau", "landmark", "times")
_P_RE = re.compile(r"((^|_)p(_|$))|pvalue")
_VAR_COLS = frozenset({"variable", "term", "covariate", "removed", "added", "entered",
                       "dropped", "characteristic", "factor", "predictor"})
"""Columns whose text cells name variables: shown with :func:`term_label` (labels)."""
_LEVEL_COLS = frozenset({"group", "level", "stratum", "reference"})
"""Columns whose cells name a group or level: a boolean one reads Yes / No (:func:`level_text`)."""
_COUNT_RE = re.compile(r"^(n|n_.*|.*_n|events|events_.*|.*_events|count|observed|df|k)$")
_PERCENT_RE = re.compile(r"(percent|pct)")
_RATE_RE = re.compile(r"(^|_)(rate|proportion)$")


def generic_table(name: str, frame: pd.DataFrame, *, fmt: TableFormat = _DEFAULT,
                  title: str | None = None, footnotes: Sequence[str] = (),
                  conf_level: float = 0.95) -> ReportTable:
    """Render any numeric frame: estimate + CI pairs merged, p-values and counts styled.

    A named index becomes the first column. For each estimate column ``x`` of
    ``hr, or, rr, estimate, ...`` with ``ci_lower``/``ci_upper`` (or ``x_lower``/``x_upper``)
    columns, one column ``"X (95% CI)"`` replaces the three. Columns whose name looks
    like a p-value use :func:`format_p`, counts are integers, other floats get
    ``fmt.digits`` decimals; booleans print as yes/no. Text in a column naming variables
    (``variable``, ``term``, ``covariate``, ``removed``, ...) is shown with
    :func:`term_label` (``fmt.labels``); the numeric frame keeps the names.

    Examples
    --------
    >>> f = pd.DataFrame({"variable": ["size"], "n": [10.0], "hr": [1.5], "ci_lower": [1.1],
    ...                   "ci_upper": [2.0], "p_value": [0.0004]})
    >>> generic_table("sub", f).display.values.tolist()
    [['size', '10', '1.50 (1.10–2.00)', '< 0.001']]
    """
    f = frame.copy()
    if f.index.name is not None or isinstance(f.index, pd.MultiIndex):
        f = f.reset_index()
    if isinstance(f.columns, pd.MultiIndex):
        f.columns = [":".join(str(x) for x in c if str(x)) for c in f.columns]
    f.columns = [str(c) for c in f.columns]
    out: dict[str, list[str]] = {}
    used: set[str] = set()
    cols = list(f.columns)
    measure = str(frame.attrs.get("measure", "")) if hasattr(frame, "attrs") else ""
    for c in cols:
        if c in used:
            continue
        est = next((e for e in _EST_COLS if c == e or c.endswith("_" + e)), None)
        lo = hi = None
        if est is not None:
            pre = c[:-len(est)]
            for a, b in ((f"{c}_lower", f"{c}_upper"), (f"{c}_ci_lower", f"{c}_ci_upper"),
                         (f"{pre}ci_lower", f"{pre}ci_upper"), (f"{pre}lower", f"{pre}upper")):
                if a in f.columns and b in f.columns and a not in used:
                    lo, hi = a, b
                    break
        if est is not None and lo is not None and hi is not None:
            scale = 100.0 if est in ("proportion", "rate", "survival", "cif") else 1.0
            what = measure if est == "estimate" and measure else _pretty(est)
            lead = _pretty(c[:-len(est)].strip("_")) + " " if c != est else ""
            head = (lead + what + (" % " if scale == 100.0 else " ")
                    + f"({_ci_head(conf_level)})")
            d = fmt.percent_digits if scale == 100.0 else fmt.digits
            out[head] = [format_ci(_mul(e, scale), _mul(a, scale), _mul(b, scale), fmt, d)
                         for e, a, b in zip(f[c], f[lo], f[hi], strict=True)]
            used.update({c, lo, hi})
            continue
        share = next((f"{c}{s}" for s in ("_rate", "_percent", "_proportion")
                      if f"{c}{s}" in f.columns), None)
        if share is not None and pd.api.types.is_numeric_dtype(f[c]):
            k = 1.0 if share.endswith("_percent") else 100.0
            out[f"{_pretty(c)}, n (%)"] = [
                fmt.na if _isnan(n) else
                f"{format_count(n, fmt)} ({format_num(_mul(r, k), fmt.percent_digits, fmt)})"
                for n, r in zip(f[c], f[share], strict=True)]
            used.update({c, share})
            continue
        if c.lower() in _VAR_COLS:
            out[_pretty(c)] = [_name_cell(v, fmt) if isinstance(v, str) else _cell(c, v, fmt)
                               for v in f[c]]
        elif c.lower() in _LEVEL_COLS:
            out[_pretty(c)] = [level_text(v) if isinstance(v, str | bool | np.bool_)
                               else _cell(c, v, fmt) for v in f[c]]
        else:
            out[_pretty(c)] = [_cell(c, v, fmt) for v in f[c]]
        used.add(c)
    disp = pd.DataFrame(out) if out else pd.DataFrame(index=range(len(f)))
    nr = any(fmt.not_reached in v for col in out.values() for v in col)
    return ReportTable(name, title or _title(name), frame_numeric(frame), disp,
                       footnotes=tuple(footnotes), abbreviations=_abbrev(list(disp.columns))
                       + (("NR, not reached",) if nr else ()))


def _name_cell(v: str, fmt: TableFormat) -> str:
    """A cell naming a variable or model term (free text with ``": "`` is left whole)."""
    return fmt.label(v) if ": " in v else term_label(v, fmt)


def _mul(x: Any, k: float) -> Any:
    return x if _isnan(x) else float(x) * k


def _cell(col: str, v: Any, fmt: TableFormat) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, str):
        return v
    if _isnan(v):
        return fmt.na
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        low = col.lower()
        if low in _TIME_COLS:
            return f"{float(v):g}"
        if _P_RE.match(low):
            return format_p(v, fmt)
        if _COUNT_RE.match(low) and abs(float(v) - round(float(v))) < 1e-9:
            return str(round(float(v)))
        if _PERCENT_RE.search(low):
            return format_num(v, fmt.percent_digits, fmt)
        if _RATE_RE.search(low):  # a proportion in [0, 1]: shown as a percentage
            return format_num(100 * float(v), fmt.percent_digits, fmt)
        return format_num(v, fmt.digits, fmt)
    return str(v)


_PRETTY = {"uni": "Univariate", "multi": "Multivariable", "hr": "HR", "or": "OR", "rr": "RR", "sub_hr": "Subdistribution HR", "n": "n",
           "p": "p", "p_value": "p", "p_interaction": "p for interaction", "se": "SE",
           "coef": "Coefficient", "ci_lower": "CI lower", "ci_upper": "CI upper",
           "smd": "SMD", "cif": "Cumulative incidence", "df": "df", "z": "z"}


def _pretty(col: str) -> str:
    if col in _PRETTY:
        return _PRETTY[col]
    return words(col)


_ABBREV = {"HR": "HR, hazard ratio", "CI": "CI, confidence interval", "OR": "OR, odds ratio",
           "SMD": "SMD, standardised mean difference", "SE": "SE, standard error",
           "NR": "NR, not reached", "RR": "RR, relative risk"}


def _abbrev(texts: Sequence[str]) -> tuple[str, ...]:
    found = []
    joined = " ".join(texts)
    for k, v in _ABBREV.items():
        if re.search(rf"\b{k}\b", joined):
            found.append(v)
    return tuple(found)


def frame_numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """A flat copy of a result frame: index reset, MultiIndex columns joined with ``:``."""
    f = frame.copy()
    if isinstance(f.columns, pd.MultiIndex):
        f.columns = [":".join(str(x) for x in c if str(x)) for c in f.columns]
    if f.index.name is not None or isinstance(f.index, pd.MultiIndex):
        f = f.reset_index()
    else:
        f = f.reset_index(drop=True)
    f.columns = [str(c) for c in f.columns]
    return f


# ----------------------------------------------------------------------------- time points


def default_times(units: str | None) -> tuple[float, ...]:
    """Landmark times of survival tables: 1, 2 and 5 years in the endpoint's unit.

    Examples
    --------
    >>> default_times("months"), default_times("years")
    ((12.0, 24.0, 60.0), (1.0, 2.0, 5.0))
    """
    per_year = {"months": 12.0, "years": 1.0, "days": 365.25}.get(units or "months", 12.0)
    return tuple(per_year * y for y in (1.0, 2.0, 5.0))


def time_label(t: float, units: str | None) -> str:
    """``"2-year"`` for 24 months, ``"6-month"`` for 6 months, else ``"t = x"``.

    Examples
    --------
    >>> time_label(24, "months"), time_label(6, "months"), time_label(730.5, "days")
    ('2-year', '6-month', '2-year')
    """
    per_year = {"months": 12.0, "years": 1.0, "days": 365.25}.get(units or "")
    if per_year is None:
        return f"t = {t:g}"
    y = t / per_year
    if abs(y - round(y)) < 1e-9 and round(y) >= 1:
        return f"{round(y)}-year"
    if units == "months":
        return f"{t:g}-month"
    if units == "days":
        return f"{t:g}-day"
    return f"{t:g}-year"


# ----------------------------------------------------------------------------- Kaplan-Meier


@register_table("KaplanMeierResult")
def km_summary_table(name: str, km: Any, fmt: TableFormat = _DEFAULT, *,
                     times: Sequence[float] | None = None, units: str | None = None,
                     test: Any = None, group: str | None = None, caption: str | None = None,
                     order: Sequence[str] | None = None, **_: Any) -> list[ReportTable]:
    """Survival summary: n, events, median (95% CI) and x-year rates (95% CI) per group.

    ``test`` (a log-rank result with ``p_value``) adds its p-value as a footnote;
    ``caption`` (the analysis caption of a study report) is the title.
    Rates after a group's last follow-up time are shown as ``fmt.na``.
    Groups are in the order of ``km.groups``, or of ``order`` (a study's
    ``groups.levels``) when it lists every group.
    """
    tt = tuple(float(t) for t in (times if times is not None else default_times(units)))
    med = _in_order(km.median(), order)
    rates = km.at(list(tt)) if tt else pd.DataFrame(columns=["group", "time"])
    lvl = _ci_head(km.conf_level)
    unit = f", {units}" if units else ""
    num_rows: list[dict[str, Any]] = []
    disp_rows: list[list[str]] = []
    for _row, m in med.iterrows():
        g = str(m["group"])
        r = rates[rates["group"].astype(str) == g].set_index("time")
        num: dict[str, Any] = {"group": g, "n": int(m["n"]), "events": float(m["n_events"]),
                               "median": m["median"], "median_lower": m["ci_lower"],
                               "median_upper": m["ci_upper"]}
        cells = [level_text(g), format_count(m["n"], fmt), format_count(m["n_events"], fmt),
                 format_ci(m["median"], m["ci_lower"], m["ci_upper"], fmt, fmt.summary_digits)]
        for t in tt:
            if t in r.index:
                row = r.loc[t]
                s, lo, hi = float(row["survival"]), float(row["ci_lower"]), float(row["ci_upper"])
            else:
                s = lo = hi = float("nan")
            num[f"survival_{t:g}"], num[f"lower_{t:g}"], num[f"upper_{t:g}"] = s, lo, hi
            cells.append(format_ci(_mul(s, 100), _mul(lo, 100), _mul(hi, 100), fmt,
                                   fmt.percent_digits) if not _isnan(s) else fmt.na)
        num_rows.append(num)
        disp_rows.append(cells)
    cols = ["Group", "n", "Events", f"Median{unit} ({lvl})",
            *(f"{time_label(t, units)} survival, % ({lvl})" for t in tt)]
    if units is None:
        cols[3] = f"Median ({lvl})"
    notes = [f"Kaplan-Meier estimates; {km.conf_type} transformed pointwise {lvl}s, "
             f"{km.variance} variance."]
    if test is not None and hasattr(test, "p_value"):
        notes.append(f"{_test_name(test)}: chi-square = "
                     f"{format_num(test.statistic, fmt.digits, fmt)}"
                     f" on {test.df} df, p {_p_eq(test.p_value, fmt)}.")
    if any(_isnan(r["median"]) for r in num_rows):
        notes.append("NR, median not reached.")
    label = f" by {fmt.label(group)}" if group and len(km.groups) > 1 else ""
    return [ReportTable(name, caption or f"Kaplan-Meier survival summary{label}",
                        pd.DataFrame(num_rows), pd.DataFrame(disp_rows, columns=cols),
                        footnotes=tuple(notes), abbreviations=("CI, confidence interval",))]


def _test_name(test: Any) -> str:
    rho = getattr(test, "rho", 0)
    return "Log-rank test" if not rho else f"G-rho test (rho = {rho:g})"


def _p_eq(p: Any, fmt: TableFormat) -> str:
    s = format_p(p, fmt)
    return s if s.startswith("<") else f"= {s}"


def _strata_text(strata: Any, fmt: TableFormat) -> str:
    if isinstance(strata, str):
        return fmt.label(strata)
    try:
        return ", ".join(fmt.label(str(s)) for s in strata)
    except TypeError:
        return str(strata)


def _in_order(frame: pd.DataFrame, order: Sequence[str] | None) -> pd.DataFrame:
    """The rows of a per-group frame (column ``group``) in ``order`` when it lists every
    group (a study's level order); else as they are.

    Examples
    --------
    >>> _in_order(pd.DataFrame({"group": ["a", "b"], "n": [1, 2]}), ["b", "a"])["group"].tolist()
    ['b', 'a']
    """
    if order is None or "group" not in frame:
        return frame
    want = [str(g) for g in order]
    have = frame["group"].astype(str).tolist()
    if not set(have) <= set(want) or have == [g for g in want if g in have]:
        return frame
    pos = {g: i for i, g in enumerate(want)}
    idx = sorted(range(len(have)), key=lambda i: pos[have[i]])
    return frame.iloc[idx].reset_index(drop=True)


@register_table("LogrankResult")
def logrank_table(name: str, lr: Any, fmt: TableFormat = _DEFAULT,
                  caption: str | None = None, order: Sequence[str] | None = None,
                  **_: Any) -> list[ReportTable]:
    """Observed and expected events per group with the chi-square test in a footnote.

    Groups are in the order of ``lr.groups``, or of ``order`` (a study's
    ``groups.levels``) when it lists every group.
    """
    tab = _in_order(lr.table(), order)
    num = tab.copy()
    num["statistic"], num["df"], num["p_value"] = lr.statistic, lr.df, lr.p_value
    disp = pd.DataFrame({
        "Group": [level_text(g) for g in tab["group"]],
        "n": [format_count(v, fmt) for v in tab["n"]],
        "Observed events": [format_count(v, fmt) for v in tab["observed"]],
        "Expected events": [format_num(v, fmt.summary_digits, fmt) for v in tab["expected"]],
    })
    note = (f"{_test_name(lr)}: chi-square = {format_num(lr.statistic, fmt.digits, fmt)} on "
            f"{lr.df} df, "
            f"p {_p_eq(lr.p_value, fmt)}" + (f", stratified by {_strata_text(lr.strata, fmt)}"
                                             if lr.strata else "")
            + ".")
    return [ReportTable(name, caption or _test_name(lr), num, disp,
                        footnotes=(note,))]


# ----------------------------------------------------------------------------- Cox

_C_RE = re.compile(r"^C\((?P<var>[^,()]+?)\s*(?:,\s*(?:contr\.)?treatment\((?:reference\s*=\s*)?"
                   r"(?P<ref>[^()]*)\))?\s*\)\[T\.(?P<lev>.*)\]$")
_F_RE = re.compile(r"^(?P<var>[A-Za-z_][A-Za-z0-9_.]*)\[T\.(?P<lev>.*)\]$")


def _split_top(term: str) -> list[str]:
    """Split an interaction term on ``:`` outside parentheses, brackets and quotes."""
    parts, depth, quote, cur = [], 0, "", ""
    for ch in term:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == ":" and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    return parts


def term_label(term: str, fmt: TableFormat = _DEFAULT) -> str:
    """A readable label of a formulaic design column.

    Examples
    --------
    >>> term_label("C(arm, treatment('non-CCRT'))[T.CCRT]")
    'arm: CCRT vs non-CCRT'
    >>> term_label("bclc_stage[T.C]"), term_label("tumour_size_cm")
    ('bclc_stage: C', 'tumour_size_cm')
    >>> term_label("age_years:sex[T.male]")
    'age_years × sex: male'
    >>> f = TableFormat(labels={"bclc_stage": "BCLC stage", "age_years": "Age, years"})
    >>> term_label("C(bclc_stage, treatment('B'))[T.C]", f), term_label("age_years", f)
    ('BCLC stage: C vs B', 'Age, years')
    >>> term_label("C(treatment_period)[T.2.0]", f), term_label("C(bclc_stage)", f)
    ('treatment_period: 2.0', 'BCLC stage')
    """
    parts = _split_top(term)
    if len(parts) > 1:
        return " × ".join(term_label(p, fmt) for p in parts)
    m = _C_RE.match(term)
    if m:
        ref = (m.group("ref") or "").strip().strip("'\"")
        var = fmt.label(m.group("var").strip())
        return f"{var}: {m.group('lev')}" + (f" vs {ref}" if ref else "")
    m = _F_RE.match(term)
    if m:
        return f"{fmt.label(m.group('var'))}: {m.group('lev')}"
    return fmt.label(term)


@register_table("CoxResult")
def cox_table(name: str, fit: Any, fmt: TableFormat = _DEFAULT, caption: str | None = None,
              **_: Any) -> list[ReportTable]:
    """Hazard ratios with Wald CIs and p-values, one row per model term."""
    hr = fit.hazard_ratios()
    num = frame_numeric(fit.to_frame())
    lvl = _ci_head(fit.conf_level)
    disp = pd.DataFrame({
        "Variable": [term_label(str(t), fmt) for t in hr.index],
        f"HR ({lvl})": [format_ci(a, b, c, fmt) for a, b, c in
                        zip(hr["hr"], hr["ci_lower"], hr["ci_upper"], strict=True)],
        "p": [format_p(p, fmt) for p in hr["p"]],
    })
    tests = fit.tests
    tl = []
    for key, lab in (("likelihood_ratio", "likelihood ratio"), ("wald", "Wald"),
                     ("score", "score"), ("robust_score", "robust score")):
        if key in tests.index:
            tl.append(f"{lab} p {_p_eq(tests.loc[key, 'p'], fmt)}")
    var = ("robust (sandwich) variance" if fit.variance == "robust" else
           "model-based variance")
    notes = [f"Cox proportional hazards model, {fit.ties} ties, {var}; n = {fit.n}, "
             f"events = {fit.n_events}" + (
                 f"; stratified by {', '.join(fmt.label(s) for s in fit.strata)}"
                 if fit.strata else "") + ".",
             f"p-values are Wald tests; global tests: {', '.join(tl)}."]
    if fit.unstable:
        notes.append("Unstable (diverging) estimates: "
                     + ", ".join(term_label(t, fmt) for t in fit.unstable) + ".")
    return [ReportTable(name, caption or "Cox proportional hazards model", num, disp,
                        footnotes=tuple(notes),
                        abbreviations=("HR, hazard ratio", "CI, confidence interval"))]


@register_table("FineGrayResult")
def fine_gray_table(name: str, fit: Any, fmt: TableFormat = _DEFAULT,
                    caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Subdistribution hazard ratios (Fine-Gray) with sandwich CIs."""
    hr = fit.hazard_ratios()
    disp = pd.DataFrame({
        "Variable": [term_label(str(t), fmt) for t in hr["term"]],
        "SHR (95% CI)": [format_ci(a, b, c, fmt) for a, b, c in
                         zip(hr["hr"], hr["ci_lower"], hr["ci_upper"], strict=True)],
        "p": [format_p(p, fmt) for p in hr["p_value"]],
    })
    note = (f"Fine-Gray model for cause {fit.cause}; n = {fit.n}, events = {fit.n_events}, "
            f"competing events = {fit.n_competing}; sandwich variance.")
    return [ReportTable(name, caption or f"Fine-Gray model for cause {fit.cause}", hr, disp,
                        footnotes=(note,),
                        abbreviations=("SHR, subdistribution hazard ratio",
                                       "CI, confidence interval"))]


@register_table("ModelBuildingResult")
def model_building_table(name: str, res: Any, fmt: TableFormat = _DEFAULT,
                         caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Univariate and multivariable estimates side by side (and the elimination path)."""
    f = res.to_frame()
    measure = str(f.attrs.get("measure", "HR"))
    lvl = _ci_head(getattr(res.univariate, "conf_level", 0.95))

    def label(r: Any) -> str:
        v = term_label(str(r["variable"]), fmt)
        lev, ref = r.get("level", ""), r.get("reference", "")
        if isinstance(lev, str) and lev:
            v += f": {lev}" + (f" vs {ref}" if isinstance(ref, str) and ref else "")
        return v

    rows = [r for _, r in f.iterrows()]
    disp = pd.DataFrame([[label(r),
                          format_count(r.get("uni_n"), fmt), format_count(r.get("uni_events"), fmt),
                          format_ci(r["uni_estimate"], r["uni_ci_lower"], r["uni_ci_upper"], fmt),
                          format_p(r.get("uni_p"), fmt),
                          format_ci(r["multi_estimate"], r["multi_ci_lower"],
                                    r["multi_ci_upper"], fmt),
                          format_p(r.get("multi_p"), fmt)] for r in rows],
                        columns=["Variable", "n", "Events", f"{measure} ({lvl})", "p",
                                 f"{measure} ({lvl})", "p"])
    notes = [sentence(str(res.method))] if getattr(res, "method", "") else []
    notes.append("–: not in the multivariable model.")
    abbr = {"HR": "HR, hazard ratio", "OR": "OR, odds ratio"}.get(measure)
    kind = {"HR": "Cox", "OR": "logistic"}.get(measure, measure)
    head = caption or f"Univariable and multivariable {kind} regression"
    out = [ReportTable(name, head, frame_numeric(f), disp,
                       spanners=(("", 3), ("Univariate", 2), ("Multivariable", 2)),
                       footnotes=tuple(notes),
                       abbreviations=tuple(a for a in (abbr, "CI, confidence interval") if a))]
    path = res.path
    if len(path):
        out.append(generic_table(f"{name}_path", path, fmt=fmt,
                                 title=f"{head}: backward elimination"))
    return out


# ----------------------------------------------------------------------------- competing risks


@register_table("CumulativeIncidenceResult")
def cif_table(name: str, cif: Any, fmt: TableFormat = _DEFAULT, *,
              times: Sequence[float] | None = None, units: str | None = None,
              test: Any = None, caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Cumulative incidence (%, 95% CI) per group and cause at the landmark times."""
    tt = tuple(float(t) for t in (times if times is not None else default_times(units)))
    at = cif.at(list(tt))
    lvl = _ci_head(cif.conf_level)
    num_rows, disp_rows = [], []
    for g in cif.groups:
        for c in cif.causes:
            sel = at[(at["group"] == g) & (at["cause"] == c)].set_index("time")
            num: dict[str, Any] = {"group": g, "cause": c,
                                   "events": float(cif.n_events.get((g, c), 0))}
            cells = [level_text(g), str(c), format_count(num["events"], fmt)]
            for t in tt:
                f, lo, hi = (float(sel.loc[t, k]) for k in ("cif", "ci_lower", "ci_upper"))
                num[f"cif_{t:g}"], num[f"lower_{t:g}"], num[f"upper_{t:g}"] = f, lo, hi
                cells.append(fmt.na if _isnan(f) else
                             format_ci(f * 100, lo * 100, hi * 100, fmt, fmt.percent_digits))
            num_rows.append(num)
            disp_rows.append(cells)
    cols = ["Group", "Cause", "Events",
            *(f"{time_label(t, units)} cumulative incidence, % ({lvl})" for t in tt)]
    notes = [_method_note(cif)]
    if test is not None and hasattr(test, "causes"):
        for c, s, p in zip(test.causes, test.statistic, test.p_value, strict=True):
            notes.append(f"Gray's test, cause {c}: chi-square = {format_num(s, fmt.digits, fmt)} on "
                         f"{test.df} df, p {_p_eq(p, fmt)}.")
    return [ReportTable(name, caption or "Cumulative incidence",
                        pd.DataFrame(num_rows), pd.DataFrame(disp_rows, columns=cols),
                        footnotes=tuple(n for n in notes if n),
                        abbreviations=("CI, confidence interval",))]


@register_table("GrayTestResult")
def gray_table(name: str, res: Any, fmt: TableFormat = _DEFAULT, caption: str | None = None,
               **_: Any) -> list[ReportTable]:
    """Gray's test per cause."""
    tab = res.table()
    disp = pd.DataFrame({"Cause": tab["cause"].astype(str),
                         "Chi-square": [format_num(v, fmt.digits, fmt) for v in tab["statistic"]],
                         "df": [str(int(v)) for v in tab["df"]],
                         "p": [format_p(v, fmt) for v in tab["p_value"]]})
    return [ReportTable(name, caption or "Gray's test", tab, disp,
                        footnotes=tuple(s for s in (_method_note(res),) if s))]


@register_table("FailureTypeResult")
def failure_type_table(name: str, res: Any, fmt: TableFormat = _DEFAULT, *,
                       times: Sequence[float] | None = None, units: str | None = None,
                       caption: str | None = None, **_: Any) -> list[ReportTable]:
    """1 - Kaplan-Meier (competing events censored) next to the cumulative incidence."""
    tt = tuple(float(t) for t in (times if times is not None else default_times(units)))
    at = res.at(list(tt))
    disp = pd.DataFrame({
        "Group": [level_text(g) for g in at["group"]], "Cause": at["cause"].astype(str),
        "Time": [time_label(float(t), units) for t in at["time"]],
        "1 - KM, %": [format_num(_mul(v, 100), fmt.percent_digits, fmt)
                      for v in at["one_minus_km"]],
        "Cumulative incidence, %": [format_num(_mul(v, 100), fmt.percent_digits, fmt)
                                    for v in at["cif"]],
    })
    return [ReportTable(name, caption or "Failure types: 1 - Kaplan-Meier and cumulative "
                        "incidence", at, disp,
                        footnotes=tuple(s for s in (_method_note(res),) if s),
                        abbreviations=("KM, Kaplan-Meier",))]


# ----------------------------------------------------------------------------- Table 1

_SUMMARY_TEXT = {"median_range": "median (range)", "median_iqr": "median (IQR)",
                 "mean_sd": "mean (SD)", "n_percent": "n (%)"}


def _short_test(test: Any) -> str:
    if not isinstance(test, str) or not test:
        return ""
    return test.split(" (")[0]


def _t1_cell(row: Mapping[str, Any], g: str, fmt: TableFormat) -> str:
    summ = row.get("summary")
    d = fmt.summary_digits
    if row.get("kind") == "categorical":
        if row.get("level", "") == "":
            return ""
        return f"{format_count(row.get(f'{g}:n'), fmt)} " \
               f"({format_num(row.get(f'{g}:percent'), fmt.percent_digits, fmt)})"
    if _isnan(row.get(f"{g}:mean" if summ == "mean_sd" else f"{g}:median")):
        return fmt.na
    if summ == "mean_sd":
        return f"{format_num(row.get(f'{g}:mean'), d, fmt)} ({format_num(row.get(f'{g}:sd'), d, fmt)})"
    lo, hi = ("min", "max") if summ == "median_range" else ("q1", "q3")
    return (f"{format_num(row.get(f'{g}:median'), d, fmt)} ({format_num(row.get(f'{g}:{lo}'), d, fmt)}"
            f"{fmt.ci_sep}{format_num(row.get(f'{g}:{hi}'), d, fmt)})")


def _records(frame: pd.DataFrame) -> list[dict[Any, Any]]:
    """``frame.to_dict("records")``, read in one ``to_numpy`` call.

    pandas indexes each column for ``to_dict`` (a few ms for a Table 1 frame); numeric
    columns come out of an object array as Python scalars just the same, and NumPy
    scalars in object columns are boxed as pandas boxes them.
    """
    dtypes = list(frame.dtypes)
    if not all(isinstance(dt, np.dtype) and dt.kind in "biufO" for dt in dtypes):
        return frame.to_dict("records")
    obj = [j for j, dt in enumerate(dtypes) if dt.kind == "O"]
    rows = frame.to_numpy(dtype=object).tolist()
    for row in rows:
        for j in obj:
            v = row[j]
            if isinstance(v, np.generic):
                if isinstance(v, np.floating):
                    row[j] = float(v)
                elif isinstance(v, np.integer):
                    row[j] = int(v)
                elif isinstance(v, np.bool_):
                    row[j] = bool(v)
                elif isinstance(v, (np.datetime64, np.timedelta64)):
                    return frame.to_dict("records")
            elif v is pd.NA:
                row[j] = None
    cols = frame.columns.tolist()
    return [dict(zip(cols, row, strict=True)) for row in rows]


def table1_table(name: str, tables: Mapping[str, Any], fmt: TableFormat = _DEFAULT, *,
                 stage_labels: Mapping[str, str] | None = None, overall: bool = False,
                 smd: bool = True, missing: bool = True,
                 title: str = "Table 1. Baseline characteristics",
                 reference: str | None = None) -> ReportTable:
    """Table 1 with one column block per stage (e.g. before / after matching).

    Parameters
    ----------
    name : str
        Table key.
    tables : mapping of stage -> Table1Result
        In display order.
    stage_labels : mapping, optional
        Stage -> spanning header text (default "Before adjustment" / "After adjustment").
    overall : bool
        Also show the overall column of each stage.
    smd, missing : bool
        Show the SMD column; add a "missing" row under variables with missing values.
    title : str
        Caption.
    reference : str, optional
        The reference group (a study's ``groups.reference``): the SMDs are the other
        group minus it (:meth:`~hccstudy.analyse.table1.Table1Result.oriented`), in the
        direction of a hazard ratio "X vs reference", whatever the column order. A
        footnote names the direction.
    """
    labels = {"before": "Before adjustment", "after": "After adjustment",
              **(dict(stage_labels) if stage_labels else {})}
    if reference is not None:
        tables = {k: (t.oriented(reference) if hasattr(t, "oriented") else t)
                  for k, t in tables.items()}
    frames = {k: pd.DataFrame(list(t.rows)) for k, t in tables.items()}
    first = next(iter(tables.values()))
    keys = list(dict.fromkeys(zip(frames[next(iter(frames))]["variable"],
                                  frames[next(iter(frames))]["level"], strict=True)))
    header = ["Characteristic"]
    spanners: list[tuple[str, int]] = [("", 1)]
    tests_used: dict[str, None] = {}
    for k, t in tables.items():
        groups = [g for g in t.groups if overall or g != "overall" or len(t.groups) == 1]
        block = [f"{g} (n = {format_count(n, fmt)})" for g, n in zip(t.groups, t.group_n,
                                                                       strict=True)
                 if g in groups]
        has_p = len(t.groups) > 2 and not t.weighted
        block += (["p", "Test"] if has_p else [])
        block += (["SMD"] if smd and len(t.groups) == 3 else [])
        header += block
        spanners.append((labels.get(k, k) if len(tables) > 1 else "", len(block)))
    disp_rows: list[list[str]] = []
    indent: list[bool] = []
    yes_no = _yes_no_levels(keys)
    # (variable, level) -> the first such row of each stage (a dict lookup per cell instead
    # of a boolean mask over the frame); keys that are not equal to themselves (NaN) never
    # match, as with ``==``
    index: dict[str, dict[tuple[Any, Any], dict[str, Any]]] = {}
    for k, f in frames.items():
        index[k] = {}
        if "variable" in f and "level" in f:
            for rec in _records(f):
                key = (rec["variable"], rec["level"])
                if key[0] == key[0] and key[1] == key[1]:
                    index[k].setdefault(key, rec)
    for var, lev in keys:
        for_stage: list[str] = []
        extra_missing: list[str] = []
        any_missing = False
        summ_text = ""
        for k, t in tables.items():
            row: Mapping[str, Any] = index[k].get((var, lev), {})
            groups = [g for g in t.groups if overall or g != "overall" or len(t.groups) == 1]
            for_stage += [_t1_cell(row, g, fmt) if row else fmt.na for g in groups]
            if len(t.groups) > 2 and not t.weighted:
                for_stage.append(format_p(row.get("p"), fmt) if lev == "" and row else "")
                test = row.get("test") if lev == "" and row else ""
                for_stage.append(_short_test(test))
                if isinstance(test, str) and test:
                    tests_used[test] = None
            if smd and len(t.groups) == 3:
                s = row.get("smd") if row else None
                for_stage.append(format_num(s, fmt.digits, fmt) if lev == "" and row else "")
            if lev == "" and row:
                summ_text = _SUMMARY_TEXT.get(str(row.get("summary")), "")
                miss = [row.get(f"{g}:missing", 0) for g in groups]
                any_missing = any_missing or any(not _isnan(m) and float(m) > 0 for m in miss)
                extra_missing += [format_count(m, fmt) for m in miss]
                if len(t.groups) > 2 and not t.weighted:
                    extra_missing += ["", ""]
                if smd and len(t.groups) == 3:
                    extra_missing.append("")
        label = (fmt.label(var) + (f", {summ_text}" if summ_text else "") if lev == "" else
                 yes_no.get((var, str(lev)), str(lev)))
        disp_rows.append([label, *for_stage])
        indent.append(lev != "")
        if lev == "" and missing and any_missing:
            disp_rows.append(["Missing, n", *extra_missing])
            indent.append(True)
    num = (frame_numeric(pd.concat({k: f.set_index(["variable", "level"])
                                    for k, f in frames.items()}, axis=1))
           if len(frames) > 1 else frames[next(iter(frames))].copy())
    notes = []
    if tests_used:
        notes.append("Tests: " + "; ".join(tests_used) + ".")
    if smd:
        direction = _smd_direction(first)
        notes.append((f"SMD: {direction[0]} minus {direction[1]}; denominator: " if direction
                      else "SMD denominator: ") + f"{first.smd_denominator}.")
    if any(t.weighted for t in tables.values()):
        notes.append("Weighted columns show weighted counts and summaries; no tests.")
    sp = tuple(spanners) if len(tables) > 1 else ()
    return ReportTable(name, title, num,
                       pd.DataFrame(disp_rows, columns=header), spanners=sp,
                       indent=tuple(indent), footnotes=tuple(notes), abbreviations=_t1_abbrev(
                           disp_rows, smd))


def _smd_direction(t: Any) -> tuple[str, str] | None:
    """``(group, reference)`` of a two-group Table 1's SMDs (first minus second by default)."""
    d = getattr(t, "smd_direction", None)
    if d is not None:
        return (str(d[0]), str(d[1]))
    groups = [str(g) for g in getattr(t, "groups", ()) if g != "overall"]
    return (groups[0], groups[1]) if len(groups) == 2 else None


_YES_NO = {"True": "Yes", "False": "No", "true": "Yes", "false": "No"}
_YES_NO_01 = {"1": "Yes", "0": "No", "1.0": "Yes", "0.0": "No"}


def _yes_no_levels(keys: Sequence[tuple[Any, Any]]) -> dict[tuple[Any, str], str]:
    """``(variable, level) -> "Yes" / "No"`` for the levels of boolean variables.

    A variable whose levels are all ``True`` / ``False``, or ``0`` / ``1`` of a column the
    data model declares boolean (``pvi``), shows them as "Yes" / "No" (display only: a
    labelled value already shows its label).

    Examples
    --------
    >>> sorted(_yes_no_levels([("pvi", ""), ("pvi", "False"), ("pvi", "True"), ("x", "1")]
    ...                       ).items())
    [(('pvi', 'False'), 'No'), (('pvi', 'True'), 'Yes')]
    >>> sorted(_yes_no_levels([("nodes", "0"), ("nodes", "1")]).items())
    [(('nodes', '0'), 'No'), (('nodes', '1'), 'Yes')]
    """
    from hccstudy.report.labels import model_bool_columns

    levels: dict[Any, set[str]] = {}
    for var, lev in keys:
        if str(lev) != "":
            levels.setdefault(var, set()).add(str(lev))
    out: dict[tuple[Any, str], str] = {}
    bools = model_bool_columns()
    for var, levs in levels.items():
        if levs <= set(_YES_NO):
            table = _YES_NO
        elif str(var) in bools and levs <= set(_YES_NO_01):
            table = _YES_NO_01
        else:
            continue
        out.update({(var, lev): table[lev] for lev in levs})
    return out


def _t1_abbrev(rows: Sequence[Sequence[str]], smd: bool) -> tuple[str, ...]:
    out = ["SMD, standardised mean difference"] if smd else []
    first = " ".join(r[0] for r in rows)
    if "(IQR)" in first:
        out.append("IQR, interquartile range")
    if "(SD)" in first:
        out.append("SD, standard deviation")
    return tuple(out)


# ----------------------------------------------------------------------------- toxicity

_AE_ACRONYMS = frozenset({"ae", "alp", "alt", "anc", "ast", "ggt", "hbv", "hcv", "inr", "rbc",
                          "ri", "rild", "ripl", "wbc", "gi"})


def ae_term_label(term: str, fmt: TableFormat = _DEFAULT) -> str:
    """Display name of an adverse-event term: its label when ``fmt.labels`` has one,
    else the words of the code (laboratory acronyms in capitals, first letter capitalised).

    Examples
    --------
    >>> ae_term_label("ast_elevation"), ae_term_label("platelet_count_decreased")
    ('AST elevation', 'Platelet count decreased')
    >>> ae_term_label("any adverse event")
    'Any adverse event'
    """
    if term in fmt.labels:
        return fmt.label(term)
    parts = [w.upper() if w.lower() in _AE_ACRONYMS else w
             for w in str(term).replace("_", " ").split()]
    return capitalised(" ".join(parts))


@register_table("ToxicityResult")
def toxicity_table(name: str, res: Any, fmt: TableFormat = _DEFAULT,
                   caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Adverse events as journals print them: one row per term (after "Any adverse
    event", the worst grade over all terms), per group "Any grade" and "Grade >= k" as
    n (%) of the assessed patients, and the p-values of the group comparisons."""
    k = res.grade_threshold
    tab, overall, tests = res.to_frame(), res.overall(), res.tests()
    groups = [str(g) for g in res.groups]
    any_ae = "any adverse event"

    def pct(n: Any, rate: Any) -> str:
        return (fmt.na if _isnan(n) else
                f"{format_count(n, fmt)} ({format_num(_mul(rate, 100.0), fmt.percent_digits, fmt)})")

    p_of: dict[tuple[str, str], Any] = {(str(r["term"]), str(r["measure"])): r["p_value"]
                                        for r in _records(tests)}
    measures = ("any grade", f"grade >= {k}")
    has_p = len(groups) > 1 and any(not _isnan(v) for v in p_of.values())
    header = ["Adverse event"]
    spanners: list[tuple[str, int]] = [("", 1)]
    for g in groups:
        header += ["Any grade, n (%)", f"Grade ≥ {k}, n (%)"]
        spanners.append((f"{g} (n = {format_count(res.n_by_group.get(g, np.nan), fmt)})"
                         if len(groups) > 1 or g != "overall" else "All patients", 2))
    if has_p:
        header += ["p, any grade", f"p, grade ≥ {k}"]
        spanners.append(("", 2))

    def row(term: str, by_group: Mapping[str, Mapping[str, Any]]) -> list[str]:
        cells = [ae_term_label(term, fmt)]
        for g in groups:
            r = by_group.get(g, {})
            cells += [pct(r.get("any_grade", np.nan), r.get("any_grade_rate", np.nan)),
                      pct(r.get("grade_ge", np.nan), r.get("grade_ge_rate", np.nan))]
        if has_p:
            cells += [format_p(p_of.get((term, m)), fmt) for m in measures]
        return cells

    rows = [row(any_ae, {str(r["group"]): r for r in _records(overall)})]
    for term in res.terms:
        sub = tab[tab["term"] == term]
        rows.append(row(term, {str(r["group"]): r for r in _records(sub)}))
    disp = pd.DataFrame(rows, columns=header)
    used = sorted({str(t) for t in tests["test"] if isinstance(t, str)
                   and not t.startswith("not computed")}) if has_p else []
    notes = [f"Patients with at least one event of the term (worst grade per patient); "
             f"percentages of the patients assessed. {ae_term_label(any_ae)}: the worst "
             "grade over all terms."]
    if used:
        notes.append("Tests: " + "; ".join(used) + ".")
    method = _method_note(res)
    if method:
        notes.append(method)
    return [ReportTable(name, caption or "Adverse events", frame_numeric(tab), disp,
                        spanners=tuple(spanners) if len(groups) > 1 else (),
                        footnotes=tuple(notes))]


@register_table("RatesAnalysisResult")
def survival_rates_table(name: str, res: Any, fmt: TableFormat = _DEFAULT, *,
                         units: str | None = None, order: Sequence[str] | None = None,
                         reference: str | None = None, conf_level: float | None = None,
                         caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Survival at fixed times per group, % (CI), with the difference to the reference
    group in percentage points (CI) and its z-test p.

    One row per group and time ("2-year" for 24 months); the numbers at risk, events and
    censored up to the time and the standard errors stay in the numeric table.
    """
    f = _in_order(res.to_frame(), order)
    comp = res.comparisons()
    ref = (str(comp["reference"].iloc[0]) if len(comp) and "reference" in comp.columns
           else reference)
    pdig = fmt.percent_digits
    ci_head = _ci_head(conf_level or 0.95)
    has_diff = bool(f["difference"].notna().any())
    header = ["Group", "Time", "At risk", f"Survival, % ({ci_head})"]
    if has_diff:
        header += [f"Difference, % ({ci_head})", "p"]
    rows = []
    for r in _records(f):
        cells = [level_text(r["group"]), capitalised(time_label(float(r["time"]), units)),
                 format_count(r["n_risk"], fmt),
                 format_ci(_mul(r["survival"], 100.0), _mul(r["ci_lower"], 100.0),
                           _mul(r["ci_upper"], 100.0), fmt, digits=pdig)]
        if has_diff:
            is_ref = ref is not None and str(r["group"]) == ref
            cells += ["Reference" if is_ref else format_ci(
                _mul(r["difference"], 100.0), _mul(r["difference_ci_lower"], 100.0),
                _mul(r["difference_ci_upper"], 100.0), fmt, digits=pdig),
                "" if is_ref else format_p(r["p_value"], fmt)]
        rows.append(cells)
    disp = pd.DataFrame(rows, columns=header)
    if len(disp) and disp["Group"].nunique() == 1 and not has_diff:
        disp = disp.drop(columns="Group") if str(f["group"].iloc[0]) in (
            "all", "All patients") else disp
    notes = []
    if has_diff and ref is not None:
        notes.append(f"Difference: each group minus {level_text(ref)}, in percentage points.")
    method = _method_note(res)  # "os: ..." (study_tables puts the endpoint's label first)
    if not has_diff:  # one curve: no comparison was made
        method = re.sub(r"; each group compared with the reference[^.]*\)", "", method)
    if method:
        notes.append(method if method.endswith(".") else method + ".")
    return [ReportTable(name, caption or "Survival rates", frame_numeric(f), disp,
                        footnotes=tuple(notes), abbreviations=("CI, confidence interval",))]


@register_table("FollowupAnalysisResult")
def followup_table(name: str, res: Any, fmt: TableFormat = _DEFAULT, *,
                   units: str | None = None, order: Sequence[str] | None = None,
                   caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Median follow-up (reverse Kaplan-Meier) per group with its 95% CI, in the endpoint's
    time unit, with ``summary_digits`` decimals (NR: upper limit not reached)."""
    f = _in_order(res.to_frame(), order)
    unit = f", {units}" if units else ""
    col = f"Median follow-up{unit} (95% CI)"
    rows = [[level_text(r["group"]), format_ci(r["median"], r["ci_lower"], r["ci_upper"], fmt,
                                               digits=fmt.summary_digits)]
            for r in _records(f)]
    disp = pd.DataFrame(rows, columns=["Group", col])
    if len(disp) == 1 and str(f["group"].iloc[0]) in ("all", "All patients"):
        disp.iloc[0, 0] = "All patients"
    method = _method_note(res)
    notes = (method if method.endswith(".") else method + ".",) if method else ()
    return [ReportTable(name, caption or "Median follow-up", frame_numeric(f), disp,
                        footnotes=notes,
                        abbreviations=("CI, confidence interval", "NR, not reached")
                        if disp[col].str.contains(fmt.not_reached, regex=False).any()
                        else ("CI, confidence interval",))]


@register_table("SubgroupResult")
def subgroup_table(name: str, res: Any, fmt: TableFormat = _DEFAULT,
                   caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Treatment hazard ratios within subgroups, as printed next to a forest plot.

    First the overall row, then per variable a row with its interaction p and one indented
    row per level: events / n of each arm, HR (CI) and p. A level where the HR cannot be
    estimated (an arm without patients or events) reads "NE" and its reason is a footnote.
    """
    f = res.to_frame()
    treated, control = level_text(res.treated), level_text(res.reference)
    ci_head = _ci_head(res.conf_level)
    header = ["Subgroup", f"{treated}, events/n", f"{control}, events/n", f"HR ({ci_head})",
              "p", "p for interaction"]

    def ev(e: Any, n: Any) -> str:
        return f"{format_count(e, fmt)}/{format_count(n, fmt)}"

    rows: list[list[str]] = []
    indent: list[bool] = []
    not_estimable: list[str] = []
    current = None
    for r in _records(f):
        var = str(r["variable"])
        overall = var == "Overall" and current is None
        label = "Overall" if overall else fmt.label(var)
        if not overall and var != current:
            rows.append([label, "", "", "", "", format_p(r["p_interaction"], fmt)])
            indent.append(False)
        current = var
        hr = (format_ci(r["hr"], r["ci_lower"], r["ci_upper"], fmt) if r["estimable"]
              else "NE")
        if not r["estimable"]:
            not_estimable.append(f"{label}, {level_text(r['level'])}"
                                 + (f": {r['note']}" if r.get("note") else ""))
        rows.append(["Overall" if overall else level_text(r["level"]),
                     ev(r["events_treated"], r["n_treated"]),
                     ev(r["events_control"], r["n_control"]), hr,
                     format_p(r["p_value"], fmt) if r["estimable"] else "", ""])
        indent.append(not overall)
    disp = pd.DataFrame(rows, columns=header)
    notes = []
    if getattr(res, "adjust_for", ()):
        notes.append("Adjusted for " + "; ".join(fmt.label(str(a)) for a in res.adjust_for)
                     + ".")
    if not_estimable:
        notes.append("Not estimable: " + "; ".join(not_estimable) + ".")
    if getattr(res, "n_dropped", 0):
        notes.append(f"{res.n_dropped} patient(s) with a missing subgroup or covariate value "
                     "left out.")
    method = _method_note(res)
    if method:
        notes.append(sentence(method))
    abbrev = ["HR, hazard ratio", "CI, confidence interval"] + (
        ["NE, not estimable"] if not_estimable else [])
    return [ReportTable(name, caption or "Subgroup analysis", frame_numeric(f), disp,
                        indent=tuple(indent), footnotes=tuple(notes),
                        abbreviations=tuple(abbrev))]


_RESPONSE_TERMS = {"CR": "complete response", "PR": "partial response",
                   "SD": "stable disease", "PD": "progressive disease", "NE": "not evaluable",
                   "ORR": "objective response rate", "DCR": "disease control rate"}
_RESPONSE_ROWS = {"ORR": "ORR (CR + PR)", "DCR": "DCR (CR + PR + SD)"}


def _ci_only(lower: Any, upper: Any, digits: int, fmt: TableFormat) -> str:
    """``lower–upper`` in the CI style of ``fmt`` (a CI column next to its estimate)."""
    if _isnan(lower) and _isnan(upper):
        return fmt.na
    lo, hi = _lim(lower, digits, fmt), _lim(upper, digits, fmt)
    if fmt.ci_style == "brackets":
        return f"[{lo}, {hi}]"
    if fmt.ci_style == "to" or lo.startswith("-") or hi.startswith("-"):
        return f"{lo} to {hi}"
    return f"{lo}{fmt.ci_sep}{hi}"


@register_table("ResponseResult", "ProportionResult")
def rates_by_group_table(name: str, res: Any, fmt: TableFormat = _DEFAULT,
                         caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Response (each category, ORR, DCR) or a proportion, as n (%) and CI per group, with
    the differences to the reference group and the p-values of the group comparisons.

    Rows are the response categories then ORR and DCR (``ResponseResult``), or the one
    proportion (``ProportionResult``, labelled by its ``label``). Per group (spanner
    "group (n = N)") "n (%)" and the CI; with two or more groups a "difference, % (CI)"
    column per compared group (group minus reference, percentage points) where the result
    has differences, and p. The test of the whole distribution of responses, the tests
    used, the patients left out and the method sentence are footnotes.
    """
    rates, tests, diffs = res.to_frame(), res.tests(), res.differences()
    groups = [str(g) for g in res.groups]
    response = type(res).__name__ == "ResponseResult"
    pdig = fmt.percent_digits
    ci_head = _ci_head(res.conf_level)
    measures = list(dict.fromkeys(str(m) for m in rates["measure"]))
    compared = [str(g) for g in dict.fromkeys(diffs["group"])] if len(diffs) else []
    p_of = {str(r["measure"]): r for r in _records(tests)}
    has_p = len(groups) > 1 and any(not _isnan(r["p_value"]) for r in p_of.values())
    by_cell = {(str(r["group"]), str(r["measure"])): r for r in _records(rates)}
    d_of = {(str(r["group"]), str(r["measure"])): r for r in _records(diffs)}
    first = "Response" if response else "Outcome"
    header = [first]
    spanners: list[tuple[str, int]] = [("", 1)]
    for g in groups:
        header += ["n (%)", ci_head]
        n_g = (res.n.get(g) if response else
               next((r["n"] for (gg, _m), r in by_cell.items() if gg == g), np.nan))
        shown = ("All patients" if len(groups) == 1 and g in ("all", "All patients")
                 else level_text(g))
        spanners.append((f"{shown} (n = {format_count(n_g, fmt)})", 2))
    for g in compared:
        header.append(f"{level_text(g)} minus {level_text(res.reference)}, % ({ci_head})")
    if compared:
        spanners.append(("Difference", len(compared)))
    if has_p:
        header.append("p")
        spanners.append(("", 1))
    rows, numeric = [], []
    for m in measures:
        label = (_RESPONSE_ROWS.get(m, m) if response
                 else capitalised(str(res.label or words(str(res.outcome)))))
        cells = [label]
        num: dict[str, Any] = {"measure": m}
        for g in groups:
            r = by_cell.get((g, m), {})
            cells += [fmt.na if _isnan(r.get("x")) else
                      f"{format_count(r['x'], fmt)} ({format_num(_mul(r['rate'], 100.0), pdig, fmt)})",
                      _ci_only(_mul(r.get("ci_lower"), 100.0), _mul(r.get("ci_upper"), 100.0),
                               pdig, fmt)]
            num.update({f"{g}:{k}": r.get(k, np.nan) for k in (
                "x", "n", "rate", "ci_lower", "ci_upper")})
        for g in compared:
            dr = d_of.get((g, m))
            cells.append(fmt.na if dr is None else format_ci(
                _mul(dr["estimate"], 100.0), _mul(dr["ci_lower"], 100.0),
                _mul(dr["ci_upper"], 100.0), fmt, digits=pdig))
            if dr is not None:
                num.update({f"{g}:difference": dr["estimate"],
                            f"{g}:difference_ci_lower": dr["ci_lower"],
                            f"{g}:difference_ci_upper": dr["ci_upper"]})
        if has_p:
            t = p_of.get(m)
            cells.append(format_p(None if t is None else t["p_value"], fmt))
            if t is not None:
                num.update(p_value=t["p_value"], test=t["test"])
        rows.append(cells)
        numeric.append(num)
    disp = pd.DataFrame(rows, columns=header)
    notes = []
    dist = p_of.get("distribution")
    if has_p and dist is not None and not _isnan(dist["p_value"]):
        notes.append(f"Distribution of responses over all categories: p = "
                     f"{format_p(dist['p_value'], fmt)} ({dist['test']}).")
        numeric.append({"measure": "distribution", "p_value": dist["p_value"],
                        "test": dist["test"]})
    if has_p:
        used = sorted({str(t) for t in tests["test"] if isinstance(t, str)
                       and not t.startswith("not computed")})
        if used:
            notes.append("Tests: " + "; ".join(used) + " (each category against the others).")
    if compared:
        notes.append(f"Difference: each group minus {level_text(res.reference)}, in "
                     "percentage points.")
    missing = {g: int(v) for g, v in getattr(res, "n_missing", {}).items() if v}
    if missing:
        notes.append("Left out (no value recorded): " + ", ".join(
            f"{level_text(g)} {v}" for g, v in missing.items()) + ".")
    ne = {g: int(v) for g, v in getattr(res, "n_not_evaluable", {}).items() if v}
    if ne and getattr(res, "denominator", "") == "evaluable":
        notes.append("Not evaluable, left out of the denominator: " + ", ".join(
            f"{level_text(g)} {v}" for g, v in ne.items()) + ".")
    method = _method_note(res)
    if method:
        notes.append(sentence(method))
    abbrev = tuple(f"{k}, {v}" for k, v in _RESPONSE_TERMS.items()
                   if response and k in measures)
    title = caption or ("Tumour response" if response else "Proportion")
    return [ReportTable(name, title, frame_numeric(pd.DataFrame(numeric)), disp,
                        spanners=tuple(spanners), footnotes=tuple(notes),
                        abbreviations=(*abbrev, "CI, confidence interval"))]


_PAIRED_TEST = {"wilcoxon": "Wilcoxon signed-rank", "mcnemar": "McNemar",
                "mcnemar_exact": "Exact McNemar", "symmetry": "Bowker",
                "unpaired_g": "LR chi-square (unpaired)"}


def _level_cell(level: Any) -> str:
    """A categorical level as printed: Yes / No for booleans, "2" for a float code "2.0"."""
    text = level_text(level)
    return text[:-2] if re.fullmatch(r"-?\d+\.0", text) else text


@register_table("PairedResult")
def paired_table(name: str, res: Any, fmt: TableFormat = _DEFAULT,
                 caption: str | None = None, **_: Any) -> list[ReportTable]:
    """Before / after comparisons as a manuscript prints them (seed 003 Table I).

    One column per time point (``res.phases``), then p and the test. A continuous pair is
    one row, median (IQR) or median (range) (``res.continuous_summary``); a yes/no pair one row with
    the "yes" count; any other categorical pair a row with its p and one indented row per
    level, n (%). With groups (``by``) a Group column leads. The numeric table holds the
    numbers of each displayed row (counts, percentages, quantiles, statistic, df, p, pairs).
    """
    tests, cont, cat = res.to_frame(), res.continuous(), res.categorical()
    phases = tuple(getattr(res, "phases", ("Before", "After")))
    summary = getattr(res, "continuous_summary", "median_iqr")
    lo, hi = ("min", "max") if summary == "median_range" else ("q1", "q3")
    what = "range" if summary == "median_range" else "IQR"
    many = len(res.groups) > 1
    d = fmt.summary_digits

    def pct(n: Any, p: Any) -> str:
        return (fmt.na if _isnan(n) else
                f"{format_count(n, fmt)} ({format_num(p, fmt.percent_digits, fmt)})")

    def quant(q: Mapping[str, Any] | None) -> str:
        if q is None or _isnan(q.get("median")):
            return fmt.na
        return (f"{format_num(q['median'], d, fmt)} ({format_num(q[lo], d, fmt)}"
                f"{fmt.ci_sep}{format_num(q[hi], d, fmt)})")

    rows: list[list[str]] = []
    indent: list[bool] = []
    numeric: list[dict[str, Any]] = []
    excluded: list[str] = []
    for t in _records(tests):
        label, g, kind = str(t["label"]), str(t["group"]), str(t["kind"])
        stats = {k: t[k] for k in ("test", "statistic", "df", "p_value", "n_pairs",
                                   "n_excluded")}
        lead = [level_text(g)] if many else []
        test = _PAIRED_TEST.get(kind, _short_test(t["test"]))
        if int(t["n_excluded"]) and kind != "unpaired_g":
            excluded.append(f"{label}{f' ({level_text(g)})' if many else ''}: "
                            f"{t['n_pairs']} complete pairs, {t['n_excluded']} excluded")
        if kind == "wilcoxon":
            sub = cont[(cont["label"] == label) & (cont["group"] == t["group"])]
            q = {str(r["phase"]): r for r in _records(sub)}
            rows.append([f"{label}, median ({what})", *lead, quant(q.get("before")),
                         quant(q.get("after")), format_p(t["p_value"], fmt), test])
            indent.append(False)
            numeric.append({"label": label, "group": g, "level": "", **{
                f"{ph}_{k}": q.get(ph, {}).get(k, np.nan) for ph in ("before", "after")
                for k in ("n", "median", "q1", "q3", "min", "max")}, **stats})
            continue
        sub = _records(cat[(cat["label"] == label) & (cat["group"] == t["group"])])
        levels = [str(r["level"]) for r in sub]
        counts = [{"label": label, "group": g, "level": str(r["level"]),
                   **{k: r[k] for k in ("before_n", "before_pct", "after_n", "after_pct")}}
                  for r in sub]
        p_cell = format_p(t["p_value"], fmt)
        if sorted(levels) == ["False", "True"]:
            r = sub[levels.index("True")]
            rows.append([f"{label}, n (%)", *lead, pct(r["before_n"], r["before_pct"]),
                         pct(r["after_n"], r["after_pct"]), p_cell, test])
            indent.append(False)
            numeric.append({**counts[levels.index("True")], **stats})
            continue
        rows.append([f"{label}, n (%)", *lead, "", "", p_cell, test])
        indent.append(False)
        numeric.append({"label": label, "group": g, "level": "", **stats})
        for r, c in zip(sub, counts, strict=True):
            rows.append([_level_cell(r["level"]), *([""] if many else []),
                         pct(r["before_n"], r["before_pct"]),
                         pct(r["after_n"], r["after_pct"]), "", ""])
            indent.append(True)
            numeric.append(c)
    header = ["Characteristic", *(["Group"] if many else []), phases[0], phases[1], "p",
              "Test"]
    disp = pd.DataFrame(rows, columns=header)
    kinds = set(tests["kind"].astype(str))
    paired_kinds = kinds - {"unpaired_g"}
    notes = []
    parts = []
    if "wilcoxon" in kinds:
        parts.append(f"continuous values as median ({what})")
    if kinds - {"wilcoxon"}:
        parts.append("categorical values as n (%)")
    basis = ("of the complete pairs" if not kinds & {"unpaired_g"} else
             "of the complete pairs (LR chi-square, unpaired: of all values at each time "
             "point)" if paired_kinds else "of all values at each time point")
    notes.append(sentence(" and ".join(parts) + " " + basis))
    if excluded:
        notes.append("Pairs with a missing value were excluded: " + "; ".join(excluded) + ".")
    method = _method_note(res)
    if method:
        notes.append(method if method.endswith(".") else method + ".")
    abbrev = ["IQR, interquartile range"] if "wilcoxon" in kinds and what == "IQR" else []
    if "unpaired_g" in kinds:
        abbrev.append("LR, likelihood-ratio")
    cols = ["label", "group", "level"] + [
        f"{ph}_{k}" for ph in ("before", "after")
        for k in ("n", "pct", "median", "q1", "q3", "min", "max")] + [
        "test", "statistic", "df", "p_value", "n_pairs", "n_excluded"]
    num = pd.DataFrame(numeric, columns=cols).dropna(axis=1, how="all")
    return [ReportTable(name, caption or "Paired comparisons", frame_numeric(num), disp,
                        indent=tuple(indent), footnotes=tuple(notes),
                        abbreviations=tuple(abbrev))]


@register_table("Table1Pair")
def _table1_pair(name: str, pair: Any, fmt: TableFormat = _DEFAULT, *,
                 adjustment: str | None = None, caption: str | None = None,
                 reference: str | None = None, **_: Any) -> list[ReportTable]:
    tabs: dict[str, Any] = {"before": pair.before}
    if pair.after is not None:
        tabs["after"] = pair.after
    what = {"match": "matching", "iptw": "weighting"}.get(adjustment or "", "adjustment")
    return [table1_table(name, tabs, fmt, stage_labels={"before": f"Before {what}",
                                                         "after": f"After {what}"},
                         title=caption or _t1_title(name), reference=reference)]


def _t1_title(name: str) -> str:
    return "Baseline characteristics"


@register_table("Table1Result")
def _table1_single(name: str, t: Any, fmt: TableFormat = _DEFAULT,
                   caption: str | None = None, reference: str | None = None,
                   **_: Any) -> list[ReportTable]:
    return [table1_table(name, {"before": t}, fmt, title=caption or _t1_title(name),
                         reference=reference)]


# ----------------------------------------------------------------------------- adjustment


@register_table("BalanceResult")
def balance_table(name: str, bal: Any, fmt: TableFormat = _DEFAULT, *,
                  covariates: Sequence[str] | None = None, **_: Any) -> list[ReportTable]:
    """Standardised mean differences (and variance ratios) before and after adjustment.

    ``covariates`` (the balanced columns) let a factor-level term such as ``bclc_stageC``
    read "BCLC stage: C" (:func:`~hccstudy.report.labels.balance_term_label`).
    """
    tab = bal.to_frame()
    d3 = max(3, fmt.digits)  # balance diagnostics: at least 3 decimals (SMD < 0.1 rules)
    cols: dict[str, list[str]] = {"Covariate": balance_labels(bal, fmt, covariates)}
    for stage in ("before", "after"):
        if f"smd_{stage}" in tab:
            cols[f"Mean treated, {stage}"] = [format_num(v, d3, fmt)
                                              for v in tab[f"mean_treated_{stage}"]]
            cols[f"Mean control, {stage}"] = [format_num(v, d3, fmt)
                                              for v in tab[f"mean_control_{stage}"]]
            cols[f"SMD, {stage}"] = [format_num(v, d3, fmt) for v in tab[f"smd_{stage}"]]
            cols[f"Variance ratio, {stage}"] = [format_num(v, fmt.digits, fmt)
                                                for v in tab[f"var_ratio_{stage}"]]
    notes = [f"SMD denominator: {bal.smd_denominator}; adjustment: {bal.adjustment}. "
             "Binary terms: proportions; variance ratios for continuous terms only."]
    return [ReportTable(name, "Covariate balance", frame_numeric(tab), pd.DataFrame(cols),
                        footnotes=tuple(notes),
                        abbreviations=("SMD, standardised mean difference",))]


def balance_labels(bal: Any, fmt: TableFormat = _DEFAULT,
                   covariates: Sequence[str] | None = None) -> list[str]:
    """The display label of each term of a balance result, in its order."""
    from hccstudy.report.labels import balance_term_label

    terms = [str(t) for t in bal.to_frame().index]
    binary = list(getattr(bal, "binary", ())) or [True] * len(terms)
    return [balance_term_label(t, fmt.labels, binary=bool(b), covariates=covariates)
            if fmt.labels else t for t, b in zip(terms, binary, strict=False)]


@register_table("PropensityResult")
def propensity_table(name: str, ps: Any, fmt: TableFormat = _DEFAULT,
                     **_: Any) -> list[ReportTable]:
    """Propensity model coefficients (log-odds), odds ratios and Wald p."""
    tab = ps.coef_table()
    disp = pd.DataFrame({
        "Term": [term_label(str(t), fmt) for t in tab.index],
        "Coefficient": [format_num(v, 3, fmt) for v in tab["coef"]],
        "SE": [format_num(v, 3, fmt) for v in tab["se"]],
        "OR": [format_num(math.exp(v), fmt.digits, fmt) if abs(v) < 700 else fmt.na
               for v in tab["coef"]],
        "p": [format_p(v, fmt) for v in tab["p"]],
    })
    pen = "Firth-penalised" if ps.method == "firth" else "maximum-likelihood"
    notes = [f"Logistic {pen} propensity model, covariates: {formula_terms(ps.formula, fmt)}; "
             f"n = {ps.n} "
             f"({ps.n_treated} treated); missing covariates: {ps.missing_rule}."]
    return [ReportTable(name, "Propensity score model", frame_numeric(tab), disp,
                        footnotes=tuple(notes),
                        abbreviations=("OR, odds ratio", "SE, standard error"))]


def formula_terms(formula: str, fmt: TableFormat = _DEFAULT) -> str:
    """The right-hand-side terms of a model formula by their labels, ``"; "``-separated.

    Examples
    --------
    >>> formula_terms("_treated ~ age_years + C(bclc_stage) + pvi",
    ...               TableFormat(labels={"age_years": "Age, years", "bclc_stage": "BCLC stage"}))
    'Age, years; BCLC stage; pvi'
    """
    rhs = str(formula).split("~", 1)[-1]
    terms = [t.strip() for t in rhs.split("+")]
    return "; ".join(term_label(t, fmt) for t in terms if t and t not in ("0", "1", "-1"))


@register_table("MatchResult")
def matching_table(name: str, m: Any, fmt: TableFormat = _DEFAULT,
                   **_: Any) -> list[ReportTable]:
    """Units matched and unmatched per group, with the matching settings."""
    s = m.summary()
    disp = pd.DataFrame({"Units": [str(i) for i in s.index],
                         "Treated": [format_count(v, fmt) for v in s["treated"]],
                         "Control": [format_count(v, fmt) for v in s["control"]]})
    cal = "no caliper" if m.caliper is None else \
        f"caliper {m.caliper:g} ({m.caliper_scale}; absolute {format_num(m.caliper_abs, 4, fmt)})"
    note = (f"{'Nearest-neighbour' if m.method == 'nearest' else 'Optimal'} 1:{m.ratio} "
            f"matching {'with' if m.replace else 'without'} replacement on the {m.distance}, "
            f"{cal}, order {m.m_order}"
            + (f", exact on {'; '.join(fmt.label(x) for x in m.exact)}" if m.exact else "")
            + ".")
    return [ReportTable(name, "Propensity score matching", frame_numeric(s), disp,
                        footnotes=(note,))]


# ----------------------------------------------------------------------------- study


def flow_table(result: Any, fmt: TableFormat = _DEFAULT, name: str = "flow") -> ReportTable:
    """Eligibility flow and adjustment steps (counts only) from ``StudyResult.flow_frame()``."""
    f = result.flow_frame()
    # display: the criterion's reason in words (its step name is an identifier; the
    # numeric table keeps it), stages and reasons capitalised, "group CCRT" as "CCRT" (group
    # and source names verbatim; the default single source "all" as "All")
    disp = pd.DataFrame({
        "Stage": [capitalised(str(v)) for v in f["stage"]],
        "Source": ["All" if str(v) == "all" else re.sub(r"^group ", "", str(v))
                   for v in f["source"]],
        "Reason": [capitalised(str(v)) for v in f["reason"]],
        "n before": [format_count(v, fmt) for v in f["n_before"]],
        "Excluded": [format_count(v, fmt) for v in f["n_excluded"]],
        "Remaining": [format_count(v, fmt) for v in f["n_remaining"]],
        "Unknown": [format_count(v, fmt) for v in f["n_unknown"]],
    })
    notes = ["Criteria are applied in order; an excluded row is counted under its first "
             "failing criterion. Unknown: rows whose criterion could not be decided "
             "(missing values), handled by the on-missing rule."]
    return ReportTable(name, "Eligibility flow", frame_numeric(f), disp, footnotes=tuple(notes))


def _analysis_specs(result: Any) -> dict[str, Any]:
    spec = getattr(result, "spec", None)
    return {a.name: a for a in spec.analyses} if spec is not None else {}


def _matching_test(result: Any, name: str, kinds: tuple[str, ...]) -> Any:
    """A test result on the same endpoint, grouping and cohort as analysis ``name``."""
    specs = _analysis_specs(result)
    a = specs.get(name)
    if a is None:
        return None
    for other, b in specs.items():
        if other == name or getattr(b, "type", None) not in kinds:
            continue
        if all(getattr(a, k, None) == getattr(b, k, None) for k in ("endpoint", "by", "cohort")):
            if other in result.outcomes:
                return result.outcomes[other]
    return None


def _units(result: Any, name: str) -> str | None:
    spec = getattr(result, "spec", None)
    a = _analysis_specs(result).get(name)
    ep = getattr(a, "endpoint", None)
    if spec is None or ep is None:
        return None
    for e in spec.endpoints:
        if e.name == ep:
            return str(e.units)
    return None


def _endpoint_notes(tables: list[ReportTable], endpoint: Any,
                    result: Any) -> list[ReportTable]:
    """Footnotes that start with the endpoint's name (``"os: Kaplan-Meier rates ..."``,
    an analysis's method note) start with its label instead."""
    if not isinstance(endpoint, str) or not endpoint:
        return tables
    from hccstudy.report.captions import endpoint_label

    head = f"{endpoint}: "
    label = endpoint_label(result, endpoint)
    out = []
    for t in tables:
        if any(n.startswith(head) for n in t.footnotes):
            t = replace(t, footnotes=tuple(f"{label}: {n[len(head):]}" if n.startswith(head)
                                           else n for n in t.footnotes))
        out.append(t)
    return out


def _study_levels(result: Any) -> list[str] | None:
    """The study's group levels in the spec's order (``groups.levels``, else as run)."""
    spec = getattr(result, "spec", None)
    levels = getattr(getattr(spec, "groups", None), "levels", None)
    if levels:
        return [str(v) for v in levels]
    n = getattr(result, "n_by_group", None)
    return [str(v) for v in n] if isinstance(n, Mapping) and n else None


def balance_covariates(result: Any) -> list[str] | None:
    """The covariates a study balanced (role ``propensity``), None without a spec."""
    spec = getattr(result, "spec", None)
    return spec.covariates_with("propensity") if spec is not None else None


def study_tables(result: Any, fmt: TableFormat = _DEFAULT,
                 times: Sequence[float] | None = None) -> list[ReportTable]:
    """Every table of a :class:`~hccstudy.design.run.StudyResult`, in report order.

    Order: eligibility flow, the outcomes in spec order (Table 1, survival summaries with
    their log-rank p, Cox models, other analyses), then the propensity model, matching
    and balance. Table keys are unique (suffixes ``_2`` ... on collisions). Titles are the
    analyses' captions (:func:`hccstudy.report.captions.analysis_caption`: the spec
    ``title``, else written from the type, endpoint label, grouping and cohort). Variables are
    shown by their labels: the data model's, the spec's ``variable_labels``, then
    ``fmt.labels`` (:func:`hccstudy.report.labels.study_labels`).

    Examples
    --------
    >>> import hccstudy
    >>> r = hccstudy.run('''
    ... groups: {column: arm, reference: non-CCRT}
    ... endpoints: [{name: os, time: os_months, event: death == 1}]
    ... analyses: [{name: km_os, type: km, endpoint: os}, {name: lr, type: logrank, endpoint: os}]
    ... ''', hccstudy.datasets.load_demo())
    >>> [t.key for t in study_tables(r)]
    ['flow', 'km_os', 'lr']
    >>> study_tables(r)[1].footnotes[1].startswith("Log-rank test: chi-square")
    True
    """
    from hccstudy.report.captions import analysis_caption
    from hccstudy.report.labels import study_labels

    fmt = replace(fmt, labels=study_labels(result, fmt.labels))
    out: list[ReportTable] = [flow_table(result, fmt)]
    spec = getattr(result, "spec", None)
    group = spec.groups.name if spec is not None else None
    adjustment = spec.adjustment.method if spec is not None else None
    specs = _analysis_specs(result)
    levels = _study_levels(result)
    reference = spec.groups.reference if spec is not None else None
    for name, res in result.outcomes.items():
        by = getattr(specs.get(name), "by", None)
        ctx: dict[str, Any] = {"units": _units(result, name), "group": by or group,
                               "adjustment": adjustment}
        if by is None or by == group:  # the study groups: the spec's level order
            ctx.update(order=levels, reference=reference)
        if times is not None:
            ctx["times"] = times
        if getattr(specs.get(name), "conf_level", None) is not None:
            ctx["conf_level"] = specs[name].conf_level
        caption = analysis_caption(result, name, res, fmt.labels)
        if caption is not None:
            ctx["caption"] = caption
        kind = type(res).__name__
        if kind == "KaplanMeierResult":
            ctx["test"] = _matching_test(result, name, ("logrank",))
        out.extend(_endpoint_notes(build_tables(name, res, fmt, **ctx),
                                   getattr(specs.get(name), "endpoint", None), result))
    if result.propensity is not None:
        out.extend(build_tables("propensity", result.propensity, fmt))
    if result.matching is not None:
        out.extend(build_tables("matching", result.matching, fmt))
    if result.balance is not None:
        out.extend(build_tables("balance", result.balance, fmt,
                                covariates=balance_covariates(result)))
    seen: dict[str, int] = {}
    uniq = []
    for t in out:
        k = re.sub(r"[^A-Za-z0-9_.-]+", "_", t.key) or "table"
        n = seen.get(k, 0)
        seen[k] = n + 1
        uniq.append(replace(t, key=k if n == 0 else f"{k}_{n + 1}"))
    return uniq


# ----------------------------------------------------------------------------- notebooks


def result_html(result: Any, name: str | None = None, fmt: TableFormat = _DEFAULT) -> str:
    """HTML tables of any result (Jupyter's ``_repr_html_``); a study result shows all.

    Examples
    --------
    >>> import hccstudy
    >>> d = hccstudy.datasets.load_demo()
    >>> html = result_html(hccstudy.logrank(d, "os_months", "death", by="arm"))
    >>> '<table class="hcc"' in html and "Observed events" in html
    True
    """
    from hccstudy.report.render.html import table_html

    if hasattr(result, "outcomes") and hasattr(result, "flow_frame"):
        tabs = study_tables(result, fmt)
    else:
        tabs = build_tables(name or type(result).__name__, result, fmt)
    if not tabs:
        return f"<pre>{_html_escape(repr(result))}</pre>"
    return "\n".join(table_html(t) for t in tabs)


def _html_escape(text: str) -> str:
    from html import escape

    return escape(text)
