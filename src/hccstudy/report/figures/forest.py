"""Forest plots: generic rows, subgroup analyses (with interaction p) and Cox models.

Hazard ratios and limits are drawn as the results give them; a row whose
estimate is missing, not finite or not positive (or flagged not estimable) is
written "not estimable" in the plot, never drawn as HR 0 or infinity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from hccstudy.errors import InputError
from hccstudy.report.figures._common import new_figure, require, styled, text_width_in
from hccstudy.report.labels import level_text

if TYPE_CHECKING:  # type hints only
    from hccstudy.analyse.cox import CoxResult

__all__ = ["cox_forest", "forest_figure", "subgroup_forest"]

_ROW_IN = 0.22
_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
_FINE_TICKS = ((0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0),
               (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.6))
_NOT_ESTIMABLE = "not estimable"


def _p_text(p: Any) -> str:
    """p-value cell: "0.012", "< 0.001", "" when missing."""
    try:
        v = float(p)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(v):
        return ""
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return ""
    return f"{int(x)}" if x == int(x) else f"{x:.2f}"


def _hr_text(h: float, lo: float, hi: float) -> str:
    return f"{h:.2f} ({lo:.2f}\u2013{hi:.2f})"


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks within [lo, hi]; finer ones for a narrow range, powers of 10 for a wide one."""
    ticks = [t for t in _TICKS if lo <= t <= hi]
    for fine in _FINE_TICKS:
        if len(ticks) >= 3:
            break
        ticks = [t for t in fine if lo <= t <= hi] or ticks
    if len(ticks) > 7:
        ticks = [t for t in ticks if t in (0.01, 0.1, 1.0, 10.0, 100.0)]
    return ticks


@styled
def forest_figure(
    frame: pd.DataFrame,
    *,
    label: str = "label",
    hr: str = "hr",
    lower: str = "ci_lower",
    upper: str = "ci_upper",
    annotate: Sequence[str | tuple[str, str]] = (),
    p_interaction: str | None = None,
    p_heading: str = "P interaction",
    hr_heading: str = "HR (95% CI)",
    log_scale: bool = True,
    ref_line: float | None = 1.0,
    xlabel: str = "Hazard ratio (95% CI)",
    title: str | None = None,
    header: str | None = None,
    indent: str | None = None,
    estimable: str | None = None,
    label_heading: str = "",
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """A forest plot of ratio estimates with their confidence intervals, one row per frame row.

    Rows are drawn top to bottom in the frame's order. Left: the labels (and
    the ``annotate`` columns); middle: the estimate (square) and interval
    (line), an interval running past the axis ending in an arrow head;
    right: "HR (95% CI)" text and the interaction p-values.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per estimate; not modified.
    label, hr, lower, upper : str
        Columns of the row label, the estimate and its limits.
    annotate : sequence of str or (column, heading)
        Extra text columns (values printed as given; numbers as integers or
        with 2 decimals), e.g. events/n.
    p_interaction : str, optional
        Column of p-values printed in a right-hand "P interaction" column
        (missing values left blank).
    p_heading : str
        Heading of that column ("p" for a model's own p-values).
    hr_heading : str
        Heading of the estimate text column.
    log_scale : bool
        Log x-axis (ratios).
    ref_line : float or None
        Vertical reference line (no effect).
    xlabel, title : str
    header : str, optional
        Boolean column marking header rows (a variable name in bold, no estimate).
    indent : str, optional
        Boolean column marking rows indented beneath a header (subgroup levels).
    estimable : str, optional
        Boolean column: False rows are "not estimable" even with numbers.
    label_heading : str
        Heading of the label column.
    xlim : (float, float), optional
        x-axis limits; by default they cover every interval (within 0.01-100
        on the log scale).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> f = pd.DataFrame({"label": ["Age >= 65", "Age < 65"], "hr": [0.8, float("nan")],
    ...                   "ci_lower": [0.5, float("nan")], "ci_upper": [1.3, float("nan")]})
    >>> fig = forest_figure(f)
    >>> "not estimable" in [t.get_text() for t in fig.axes[0].texts]
    True
    """
    cols = [label, hr, lower, upper]
    ann: list[tuple[str, str]] = [(a, a) if isinstance(a, str) else (a[0], a[1])
                                  for a in annotate]
    cols += [c for c, _ in ann]
    if p_interaction is not None:
        cols.append(p_interaction)
    for extra in (header, indent, estimable):
        if extra is not None:
            cols.append(extra)
    require(frame, cols, "forest_figure")
    n = len(frame)
    labels = [str(v) if not (isinstance(v, float) and math.isnan(v)) else ""
              for v in frame[label]]
    est = pd.to_numeric(frame[hr], errors="coerce").to_numpy(dtype=float)
    lo = pd.to_numeric(frame[lower], errors="coerce").to_numpy(dtype=float)
    hi = pd.to_numeric(frame[upper], errors="coerce").to_numpy(dtype=float)
    is_header = (frame[header].fillna(False).astype(bool).to_numpy() if header is not None
                 else np.zeros(n, dtype=bool))
    ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi) & ~is_header
    if log_scale:
        ok &= (est > 0) & (lo > 0) & (hi > 0)
    if estimable is not None:
        ok &= frame[estimable].fillna(False).astype(bool).to_numpy()
    if xlim is not None:
        left, right = float(xlim[0]), float(xlim[1])
        if not (left < right) or (log_scale and left <= 0):
            raise InputError(f"xlim must be increasing (and > 0 on a log scale), not {xlim!r}",
                             rule="xlim")
    elif ok.any():
        vals = np.concatenate((lo[ok], hi[ok], est[ok]))
        if ref_line is not None:
            vals = np.append(vals, ref_line)
        if log_scale:
            left = max(float(vals.min()) / 1.15, 0.01)
            right = min(float(vals.max()) * 1.15, 100.0)
        else:
            span = float(vals.max() - vals.min()) or 1.0
            left, right = float(vals.min()) - 0.05 * span, float(vals.max()) + 0.05 * span
    else:
        left, right = (0.25, 4.0) if log_scale else (-1.0, 1.0)

    hr_texts = [_hr_text(est[i], lo[i], hi[i]) if ok[i] else "" for i in range(n)]
    ann_texts = [[_cell(v) for v in frame[c]] for c, _ in ann]
    p_texts = [_p_text(v) for v in frame[p_interaction]] if p_interaction is not None else []
    is_indented = (frame[indent].fillna(False).astype(bool).to_numpy() if indent is not None
                   else np.zeros(n, dtype=bool))
    shown = labels

    def width(texts: Sequence[str], heading: str, minimum: float = 0.4) -> float:
        longest = max([text_width_in(heading, weight="bold"), *map(text_width_in, texts)])
        return max(minimum, longest + 0.2)

    col_w = [width(shown, label_heading, 0.8) + 0.15 * bool(is_indented.any())] + [width(t, h) for t, (_, h) in
                                                  zip(ann_texts, ann, strict=True)]
    plot_w = 2.4
    hr_w = width(hr_texts, hr_heading)
    p_w = width(p_texts, p_heading) if p_interaction is not None else 0.0
    margin = 0.12
    total_w = margin + sum(col_w) + plot_w + hr_w + p_w + margin
    top_in, bottom_in = (0.35 if title else 0.1), 0.45
    head_lines = max([1, *(h.count("\n") + 1 for _, h in ann),
                      label_heading.count("\n") + 1])
    head_rows = 1.0 + 0.75 * (head_lines - 1)
    head_y = -0.5 - head_rows / 2
    total_h = top_in + (n + head_rows) * _ROW_IN + bottom_in
    fig = new_figure(total_w, total_h, constrained=False)
    x0 = margin + sum(col_w)
    ax = fig.add_axes((x0 / total_w, bottom_in / total_h, plot_w / total_w,
                       (n + head_rows) * _ROW_IN / total_h))
    ax.set_ylim(n - 0.5, -0.5 - head_rows)
    ax.yaxis.set_major_locator(NullLocator())
    ax.spines["left"].set_visible(False)
    if log_scale:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(_log_ticks(left, right)))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:g}")
    ax.set_xlim(left, right)
    ax.set_xlabel(xlabel)
    if title:
        fig.text(margin / total_w, 1.0 - 0.08 / total_h, title, ha="left", va="top",
                 fontsize=9)
    if ref_line is not None:
        ax.axvline(ref_line, color="0.5", linestyle="--", linewidth=0.7, zorder=0)

    row_tf = transforms.blended_transform_factory(fig.transFigure, ax.transData)
    mid_tf = transforms.blended_transform_factory(ax.transAxes, ax.transData)

    def text(x_in: float, y: float, s: str, ha: str = "left", **kw: Any) -> None:
        if s:
            ax.text(x_in / total_w, y, s, transform=row_tf, ha=ha, va="center",
                    clip_on=False, **kw)

    # headings
    x = margin
    text(x, head_y, label_heading, weight="bold")
    x += col_w[0]
    for (_, h), w in zip(ann, col_w[1:], strict=True):
        text(x + w / 2, head_y, h, ha="center", weight="bold")
        x += w
    text(x0 + plot_w + 0.1, head_y, hr_heading, weight="bold")
    if p_interaction is not None:
        text(x0 + plot_w + hr_w + p_w / 2, head_y, p_heading, ha="center", weight="bold")

    for i in range(n):
        text(margin + 0.15 * bool(is_indented[i]), i, shown[i],
             weight="bold" if is_header[i] else "normal")
        x = margin + col_w[0]
        for cells, w in zip(ann_texts, col_w[1:], strict=True):
            text(x + w / 2, i, cells[i], ha="center")
            x += w
        if p_interaction is not None:
            text(x0 + plot_w + hr_w + p_w / 2, i, p_texts[i], ha="center")
        if is_header[i]:
            continue
        if not ok[i]:
            ax.text(0.5, i, _NOT_ESTIMABLE, transform=mid_tf, ha="center", va="center",
                    style="italic", color="0.35",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
            continue
        text(x0 + plot_w + 0.1, i, hr_texts[i])
        a, b = max(lo[i], left), min(hi[i], right)
        ax.plot([a, b], [i, i], color="black", linewidth=0.9, solid_capstyle="butt")
        if lo[i] < left:
            ax.plot([left], [i], marker="<", color="black", markersize=4, clip_on=False)
        if hi[i] > right:
            ax.plot([right], [i], marker=">", color="black", markersize=4, clip_on=False)
        if left <= est[i] <= right:
            ax.plot([est[i]], [i], marker="s", color="black", markersize=4.5, linestyle="none")
    return fig


def _subgroup_frame(result: Any) -> pd.DataFrame:
    frame = result if isinstance(result, pd.DataFrame) else result.to_frame()
    need = ["variable", "level", "n_treated", "events_treated", "n_control", "events_control",
            "hr", "ci_lower", "ci_upper", "p_interaction", "estimable"]
    return require(frame, need, "subgroup_forest")


@styled
def subgroup_forest(
    result: Any,
    *,
    treated_label: str | None = None,
    control_label: str | None = None,
    labels: Mapping[str, str] | None = None,
    xlabel: str = "Hazard ratio (95% CI)",
    title: str | None = None,
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """Forest plot of a subgroup analysis: HR, CI, events/n per arm and interaction p.

    Parameters
    ----------
    result : subgroup result or pandas.DataFrame
        Anything whose ``to_frame()`` (or the frame itself) has the columns
        variable, level, n_treated, events_treated, n_control, events_control,
        hr, ci_lower, ci_upper, p_value, p_interaction, estimable, note. Each
        variable becomes a bold header row carrying its interaction p-value
        (the first non-missing one of its rows), its levels indented beneath;
        a variable with one row (e.g. "Overall") is a single row. Rows with
        ``estimable`` False are written "not estimable".
    treated_label, control_label : str, optional
        Headings of the "events/n" columns; by default the result's ``treated``
        and ``reference`` levels (else "Treated" and "Control"). The HR
        heading gives the result's ``conf_level`` (95% by default).
    labels : mapping, optional
        Display names for variables and levels.
    xlabel, title, xlim
        As in :func:`forest_figure`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> f = pd.DataFrame({
    ...     "variable": ["Overall", "Sex", "Sex"], "level": ["", "male", "female"],
    ...     "n_treated": [50, 40, 10], "events_treated": [30, 25, 5],
    ...     "n_control": [50, 38, 12], "events_control": [35, 30, 0],
    ...     "hr": [0.7, 0.75, float("nan")], "ci_lower": [0.45, 0.45, float("nan")],
    ...     "ci_upper": [1.1, 1.25, float("nan")], "p_value": [0.12, 0.27, float("nan")],
    ...     "p_interaction": [float("nan"), 0.41, 0.41], "estimable": [True, True, False],
    ...     "note": ["", "", "no events in control"]})
    >>> texts = [t.get_text() for t in subgroup_forest(f).axes[0].texts]
    >>> "not estimable" in texts and "0.410" in texts and "25/40" in texts
    True
    """
    frame = _subgroup_frame(result)
    names = dict(labels or {})
    treated_label = treated_label or str(getattr(result, "treated", "Treated"))
    control_label = control_label or str(getattr(result, "reference", "Control"))
    level = float(getattr(result, "conf_level", 0.95))
    rows: list[dict[str, Any]] = []

    def row(lab: str, r: Any, *, header: bool, indent: bool, p: float) -> dict[str, Any]:
        if r is None:
            return {"label": lab, "treated": "", "control": "", "hr": np.nan,
                    "ci_lower": np.nan, "ci_upper": np.nan, "p_int": p,
                    "header": header, "indent": indent, "estimable": False}
        est = bool(r["estimable"]) if pd.notna(r["estimable"]) else False
        return {"label": lab,
                "treated": f"{_cell(r['events_treated'])}/{_cell(r['n_treated'])}",
                "control": f"{_cell(r['events_control'])}/{_cell(r['n_control'])}",
                "hr": r["hr"], "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                "p_int": p, "header": header, "indent": indent, "estimable": est}

    for var in dict.fromkeys(frame["variable"].astype(str)):
        sub = frame[frame["variable"].astype(str) == var]
        pint = pd.to_numeric(sub["p_interaction"], errors="coerce").dropna()
        pval = float(pint.iloc[0]) if len(pint) else float("nan")
        vname = names.get(var, var)
        if len(sub) == 1:  # e.g. "Overall": one flush-left row
            r = sub.iloc[0]
            lev = "" if pd.isna(r["level"]) else str(r["level"])
            plain = lev.lower() in ("", var.lower(), "all", "overall")
            lab = vname if plain else f"{vname}: {names.get(lev, level_text(lev))}"
            rows.append(row(lab, r, header=False, indent=False, p=pval))
            continue
        rows.append(row(vname, None, header=True, indent=False, p=pval))
        for _, r in sub.iterrows():
            lev = "" if pd.isna(r["level"]) else str(r["level"])
            rows.append(row(names.get(lev, level_text(lev)), r, header=False, indent=True,
                            p=float("nan")))
    return forest_figure(
        pd.DataFrame(rows), annotate=(("treated", f"{treated_label}\nevents/n"),
                                      ("control", f"{control_label}\nevents/n")),
        p_interaction="p_int", header="header", indent="indent", estimable="estimable",
        label_heading="Subgroup", hr_heading=f"HR ({100 * level:g}% CI)", xlabel=xlabel,
        title=title, xlim=xlim)


@styled
def cox_forest(
    cox_result: CoxResult,
    *,
    labels: Mapping[str, str] | None = None,
    conf_level: float | None = None,
    xlabel: str = "Hazard ratio (95% CI)",
    title: str | None = None,
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """Forest plot of a Cox model's hazard ratios, one row per term, with p-values.

    Parameters
    ----------
    cox_result : hccstudy.analyse.cox.CoxResult
        Its ``hazard_ratios(conf_level)`` (columns hr, ci_lower, ci_upper, p,
        indexed by term) is drawn; terms flagged ``unstable`` are "not estimable".
    labels : mapping, optional
        Display names for terms (formulaic names such as ``arm[T.B]`` otherwise).
    conf_level : float, optional
        Passed to ``hazard_ratios`` (the model's own level by default).
    xlabel, title, xlim
        As in :func:`forest_figure`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hccstudy.analyse.cox import cox
    >>> d = pd.DataFrame({"months": [5, 8, 3, 9, 12, 4, 7, 10], "death": [1, 1, 0, 1, 0, 1, 1, 0],
    ...                   "age": [61, 70, 55, 48, 52, 66, 59, 45]})
    >>> fig = cox_forest(cox(d, "age", time="months", event="death"), labels={"age": "Age"})
    >>> "Age" in [t.get_text() for t in fig.axes[0].texts]
    True
    """
    tab = cox_result.hazard_ratios(conf_level)
    names = dict(labels or {})
    plot = pd.DataFrame({
        "label": [names.get(str(t), str(t)) for t in tab.index],
        "hr": tab["hr"].to_numpy(dtype=float),
        "ci_lower": tab["ci_lower"].to_numpy(dtype=float),
        "ci_upper": tab["ci_upper"].to_numpy(dtype=float),
        "p": tab["p"].to_numpy(dtype=float),
        "estimable": (~tab["unstable"].astype(bool)).to_numpy() if "unstable" in tab
        else np.ones(len(tab), dtype=bool),
    })
    level = float(conf_level if conf_level is not None
                  else getattr(cox_result, "conf_level", 0.95))
    return forest_figure(plot, p_interaction="p", p_heading="p", estimable="estimable",
                         hr_heading=f"HR ({100 * level:g}% CI)",
                         label_heading="Term", xlabel=xlabel, title=title, xlim=xlim)
