"""Survival figures: Kaplan-Meier with numbers at risk, cumulative incidence, failure type.

Every number drawn comes from the result object: the curves from ``table()``,
the medians from ``median()``, the at-risk counts from ``at(times, extend=True)``
(R's ``summary(fit, times = , extend = TRUE)``), the p-value from the test
result. Nothing is estimated here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from hccstudy.errors import InputError
from hccstudy.report.figures._common import format_count, format_p, new_figure, styled
from hccstudy.report.labels import level_text
from hccstudy.report.style import palette as _palette

if TYPE_CHECKING:  # type hints only: the figures never compute statistics
    from hccstudy.analyse.competing import (
        CumulativeIncidenceResult,
        FailureTypeResult,
        GrayTestResult,
    )
    from hccstudy.analyse.km import KaplanMeierResult
    from hccstudy.analyse.logrank import LogrankResult

__all__ = ["cif_figure", "failure_type_figure", "km_figure", "risk_table_counts"]

_LINESTYLES = ("-", "--", ":", "-.")
RISK_TABLE_LABEL = "risk-table"  # Axes label of the numbers-at-risk table


def _check_times(times: Sequence[float] | np.ndarray, what: str = "risk_times") -> np.ndarray:
    tt = np.asarray(times, dtype=float).ravel()
    if tt.size == 0 or not np.all(np.isfinite(tt)) or np.any(tt < 0):
        raise InputError(f"{what} must be finite numbers >= 0", rule=f"{what} >= 0")
    return np.unique(tt)


def risk_table_counts(km: KaplanMeierResult, times: Sequence[float] | np.ndarray
                      ) -> pd.DataFrame:
    """Numbers at risk per group at the given times, as drawn under :func:`km_figure`.

    The number at risk at time t is the number of subjects with follow-up time
    >= t (still under observation just before t), as R reports it with
    ``summary(fit, times = t, extend = TRUE)$n.risk`` and as survminer's risk
    table shows it: it is read from ``km.at(times, extend=True)``, with 0 after
    a group's last follow-up time. Weighted curves give weighted counts.

    Parameters
    ----------
    km : hccstudy.analyse.km.KaplanMeierResult
    times : sequence of float
        Times (>= 0); sorted and de-duplicated.

    Returns
    -------
    pandas.DataFrame
        Columns group, time, n_risk; groups in the order of ``km.groups``.

    Examples
    --------
    >>> from hccstudy.analyse.km import kaplan_meier
    >>> d = pd.DataFrame({"t": [1, 2, 2, 3, 5], "e": [1, 1, 0, 0, 1]})
    >>> risk_table_counts(kaplan_meier(d, "t", "e"), [0, 2, 4, 6])["n_risk"].tolist()
    [5.0, 4.0, 1.0, 0.0]
    """
    tt = _check_times(times, "times")
    at = km.at(tt.tolist(), extend=True)
    out = at[["group", "time", "n_risk"]].reset_index(drop=True)
    out["group"] = out["group"].astype(str)
    return out


def _risk_from_table(table: pd.DataFrame, groups: Sequence[str], times: np.ndarray
                     ) -> pd.DataFrame:
    """At-risk counts read off a result table (n_risk at the first time >= t, else 0)."""
    rows: list[tuple[str, float, float]] = []
    for g in groups:
        sel = table[table["group"] == g]
        t = sel["time"].to_numpy(dtype=float)
        nr = np.concatenate((sel["n_risk"].to_numpy(dtype=float), [0.0]))
        idx = np.searchsorted(t, times, side="left")
        rows.extend((g, float(x), float(n)) for x, n in zip(times, nr[idx], strict=True))
    return pd.DataFrame(rows, columns=["group", "time", "n_risk"])


def _auto_ticks(xmax: float) -> np.ndarray:
    if xmax <= 0:
        return np.array([0.0])
    loc = MaxNLocator(nbins=8, steps=[1, 2, 2.5, 3, 5, 6, 10])
    ticks = np.asarray(loc.tick_values(0.0, xmax), dtype=float)
    return ticks[(ticks >= 0) & (ticks <= xmax * (1 + 1e-9))]


def _test_name(test: Any) -> str:
    rho = float(getattr(test, "rho", 0.0))
    name = "Log-rank" if rho == 0 else ("Peto-Peto" if rho == 1 else f"G-rho ({rho:g})")
    if getattr(test, "strata", None):
        name = "Stratified " + ("log-rank" if rho == 0 else name)
    return name


def _x_axis(ax: Axes, times_max: float, xmax: float | None,
            risk_times: Sequence[float] | None) -> np.ndarray:
    """Set the x-limits and ticks; return the tick times (also the at-risk times)."""
    right = float(xmax) if xmax is not None else times_max
    if xmax is not None and (not np.isfinite(right) or right <= 0):
        raise InputError(f"xmax must be a number > 0, not {xmax!r}", rule="xmax > 0")
    if risk_times is not None:
        ticks = _check_times(risk_times)
        if xmax is None:
            right = max(right, float(ticks.max()))
        ticks = ticks[ticks <= right * (1 + 1e-9)]
        if ticks.size == 0:
            raise InputError("no risk_times within the x-axis range", rule="risk_times <= xmax")
    else:
        ticks = _auto_ticks(right)
    right = right if right > 0 else 1.0
    ax.set_xlim(-0.02 * right, right * 1.02)
    ax.set_xticks(ticks)
    return ticks


def _risk_table(fig: Figure, ax_spec: Any, main: Axes, counts: pd.DataFrame,
                groups: Sequence[str], colours: Sequence[str]) -> Axes:
    """Numbers at risk under ``main``: one row per group, one column per tick."""
    rax = fig.add_subplot(ax_spec, sharex=main)
    rax.set_label(RISK_TABLE_LABEL)
    ng = len(groups)
    for k, g in enumerate(groups):
        sel = counts[counts["group"] == g]
        for t, n in zip(sel["time"], sel["n_risk"], strict=True):
            txt = rax.text(float(t), k, format_count(float(n)), ha="center", va="center",
                           fontsize=7.5)
            txt.set_gid(f"at-risk-{k}")
    rax.set_ylim(ng - 0.5, -0.5)
    rax.set_yticks(np.arange(ng))
    rax.set_yticklabels([level_text(g) for g in groups])
    for lab, c in zip(rax.get_yticklabels(), colours, strict=True):
        lab.set_color(c)
    # the numbers are centred on their tick: keep the group names clear of the first column
    first = counts.groupby("group", sort=False)["n_risk"].first()
    widest = max((len(format_count(float(v))) for v in first), default=1)
    rax.tick_params(axis="y", length=0, pad=3.0 + 2.3 * widest)
    rax.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
    for side in ("left", "bottom", "top", "right"):
        rax.spines[side].set_visible(False)
    rax.set_title("Number at risk", loc="left", fontsize=7.5)
    return rax


def _layout(ng: int, risk_table: bool, figsize: tuple[float, float] | None
            ) -> tuple[Figure, Axes, Any]:
    table_h = 0.3 + 0.15 * ng if risk_table else 0.0
    if figsize is None:
        width, height = 5.5, 3.4 + table_h
    else:
        width, height = float(figsize[0]), float(figsize[1])
        if not (width > 0 and height > table_h + 0.5):
            raise InputError(f"figsize {figsize!r} too small (the at-risk table needs "
                             f"{table_h:.2f} in)", rule="figsize")
    fig = new_figure(width, height)
    if not risk_table:
        return fig, fig.add_subplot(), None
    gs = fig.add_gridspec(2, 1, height_ratios=[height - table_h, table_h])
    return fig, fig.add_subplot(gs[0]), gs[1]


def _legend(ax: Axes, n: int, loc: Literal["upper right", "upper left", "center left"],
            title: str | None = None) -> None:
    if n > 1:
        if title:
            ax.legend(loc=loc, handlelength=2.2, title=title)
        else:
            ax.legend(loc=loc, handlelength=2.2)


@styled
def km_figure(
    km: KaplanMeierResult,
    *,
    test: LogrankResult | None = None,
    risk_table: bool = True,
    risk_times: Sequence[float] | None = None,
    conf_int: bool = False,
    median_lines: bool = False,
    censor_marks: bool = True,
    xlabel: str = "Months",
    ylabel: str = "Survival probability",
    title: str | None = None,
    xmax: float | None = None,
    palette: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
    legend_title: str | None = None,
) -> Figure:
    """Kaplan-Meier curves with censor marks, optional CI bands and medians, and numbers at risk.

    Parameters
    ----------
    km : hccstudy.analyse.km.KaplanMeierResult
        The curves (one per group); drawn as right-continuous steps from S(0) = 1.
    test : hccstudy.analyse.logrank.LogrankResult, optional
        Printed as "Log-rank p = 0.012" (or "p < 0.001"); "Peto-Peto" for
        rho = 1, "Stratified log-rank" with strata. Its groups must be the curves'.
    risk_table : bool
        Numbers at risk below the axes, one column per x-axis tick, from
        :func:`risk_table_counts` (numbers with follow-up >= t, as R).
    risk_times : sequence of float, optional
        The x-axis ticks and at-risk times; by default up to nine round numbers
        from 0 to the last follow-up time (or ``xmax``).
    conf_int : bool
        Shade the pointwise confidence band of ``km`` (its conf_type and level).
    median_lines : bool
        Dashed lines at S = 0.5 down to each group's median (``km.median()``),
        where the median is reached.
    censor_marks : bool
        A tick mark at each time with censored subjects (``n_censor > 0``).
    xlabel, ylabel, title : str
    xmax : float, optional
        Right end of the x-axis (curves are clipped there).
    palette : sequence of str, optional
        Colours per group; Okabe-Ito by default.
    figsize : (float, float), optional
        Width and height in inches, the at-risk table included (default 5.5
        wide, 3.4 high plus 0.3 + 0.15 per group for the table).
    legend_title : str, optional
        Title of the legend (e.g. the label of the grouping variable).

    Returns
    -------
    matplotlib.figure.Figure
        The curves in the first axes; the at-risk table, when drawn, in the
        axes labelled ``"risk-table"`` (its numbers sit at the tick positions).

    Examples
    --------
    >>> from hccstudy.analyse.km import kaplan_meier
    >>> d = pd.DataFrame({"t": [1, 2, 2, 3, 5, 6], "e": [1, 1, 0, 0, 1, 0],
    ...                   "arm": ["a", "b", "a", "b", "a", "b"]})
    >>> fig = km_figure(kaplan_meier(d, "t", "e", by="arm"), risk_times=[0, 2, 4, 6])
    >>> [t.get_text() for t in fig.axes[1].texts]
    ['3', '2', '1', '0', '3', '3', '1', '1']
    """
    tab = km.table()
    groups = [str(g) for g in km.groups]
    tab["group"] = tab["group"].astype(str)
    if test is not None:
        if sorted(str(g) for g in test.groups) != sorted(groups):
            raise InputError("the test's groups differ from the curves' groups "
                             f"({list(test.groups)} vs {groups})", rule="same groups")
    colours = _palette(len(groups), palette)
    fig, ax, table_spec = _layout(len(groups), risk_table, figsize)
    times_max = float(tab["time"].max()) if len(tab) else 1.0
    for k, g in enumerate(groups):
        sel = tab[tab["group"] == g]
        t = sel["time"].to_numpy(dtype=float)
        s = sel["survival"].to_numpy(dtype=float)
        add0 = t.size == 0 or t[0] != 0.0
        x = np.concatenate(([0.0], t)) if add0 else t
        y = np.concatenate(([1.0], s)) if add0 else s
        c = colours[k]
        ax.step(x, y, where="post", color=c, label=level_text(g), linestyle=_LINESTYLES[0])
        if conf_int:
            lo = sel["ci_lower"].to_numpy(dtype=float)
            hi = sel["ci_upper"].to_numpy(dtype=float)
            lo = np.concatenate(([1.0], lo)) if add0 else lo
            hi = np.concatenate(([1.0], hi)) if add0 else hi
            ax.fill_between(x, lo, hi, step="post", color=c, alpha=0.15, linewidth=0)
        if censor_marks:
            cens = sel["n_censor"].to_numpy(dtype=float) > 0
            ax.plot(t[cens], s[cens], linestyle="none", marker="|", markersize=5,
                    markeredgewidth=0.9, color=c)
    if median_lines:
        med = km.median()
        meds = [(k, float(m)) for k, m in enumerate(med["median"]) if np.isfinite(m)]
        if meds:
            top = max(m for _, m in meds)
            ax.plot([0.0, top], [0.5, 0.5], color="0.45", linestyle="--", linewidth=0.7)
            for k, m in meds:
                ax.plot([m, m], [0.0, 0.5], color=colours[k], linestyle="--", linewidth=0.7)
    ticks = _x_axis(ax, times_max, xmax, risk_times)
    ax.set_ylim(0.0, 1.03)
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if test is not None:
        ax.text(0.03, 0.05, format_p(test.p_value, name=f"{_test_name(test)} p"),
                transform=ax.transAxes, ha="left", va="bottom")
    _legend(ax, len(groups), "upper right", legend_title)
    if table_spec is not None:
        _risk_table(fig, table_spec, ax, risk_table_counts(km, ticks), groups, colours)
    return fig


@styled
def cif_figure(
    cif: CumulativeIncidenceResult,
    *,
    test: GrayTestResult | None = None,
    causes: Sequence[str] | None = None,
    risk_table: bool = False,
    risk_times: Sequence[float] | None = None,
    conf_int: bool = False,
    xlabel: str = "Months",
    ylabel: str = "Cumulative incidence",
    title: str | None = None,
    xmax: float | None = None,
    ymax: float = 1.0,
    palette: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Cumulative incidence curves (Aalen-Johansen) per group and cause, with Gray's test.

    Colours distinguish groups and line styles causes (with one group, colours
    distinguish causes).

    Parameters
    ----------
    cif : hccstudy.analyse.competing.CumulativeIncidenceResult
    test : hccstudy.analyse.competing.GrayTestResult, optional
        Gray's test per cause, printed as "Gray's test p = 0.012" (one line per
        cause drawn when several).
    causes : sequence of str, optional
        The causes to draw (default all), in this order.
    risk_table : bool
        Numbers at risk per group at the ticks (``n_risk`` of ``cif.table()`` at
        the first time >= t, 0 after the last follow-up).
    risk_times, conf_int, xlabel, ylabel, title, xmax, palette, figsize
        As in :func:`km_figure`.
    ymax : float
        Top of the y-axis.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hccstudy.analyse.competing import cumulative_incidence
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "s": [1, 2, 1, 0, 2, 0]})
    >>> fig = cif_figure(cumulative_incidence(d, "t", "s"))
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['1', '2']
    """
    tab = cif.table()
    tab["group"] = tab["group"].astype(str)
    tab["cause"] = tab["cause"].astype(str)
    groups = [str(g) for g in cif.groups]
    all_causes = [str(c) for c in cif.causes]
    chosen = all_causes if causes is None else [str(c) for c in causes]
    unknown = [c for c in chosen if c not in all_causes]
    if unknown or not chosen:
        raise InputError(f"causes {unknown or chosen!r} not among the result's causes "
                         f"{all_causes}", rule="known causes")
    if len(chosen) > len(_LINESTYLES) and len(groups) > 1:
        raise InputError(f"at most {len(_LINESTYLES)} causes can be told apart by line style",
                         rule="causes <= 4")
    one_group = len(groups) == 1
    colours = _palette(len(chosen) if one_group else len(groups), palette)
    fig, ax, table_spec = _layout(len(groups), risk_table, figsize)
    for gi, g in enumerate(groups):
        for ci, c in enumerate(chosen):
            sel = tab[(tab["group"] == g) & (tab["cause"] == c)]
            t = sel["time"].to_numpy(dtype=float)
            f = sel["cif"].to_numpy(dtype=float)
            x = np.concatenate(([0.0], t))
            y = np.concatenate(([0.0], f))
            colour = colours[ci] if one_group else colours[gi]
            style = "-" if one_group else _LINESTYLES[ci]
            if one_group:
                label = c
            else:
                label = level_text(g) if len(chosen) == 1 else f"{level_text(g)}: {c}"
            ax.step(x, y, where="post", color=colour, linestyle=style, label=label)
            if conf_int:
                lo = np.concatenate(([0.0], sel["ci_lower"].to_numpy(dtype=float)))
                hi = np.concatenate(([0.0], sel["ci_upper"].to_numpy(dtype=float)))
                ax.fill_between(x, lo, hi, step="post", color=colour, alpha=0.15, linewidth=0)
    times_max = float(tab["time"].max()) if len(tab) else 1.0
    ticks = _x_axis(ax, times_max, xmax, risk_times)
    ax.set_ylim(0.0, float(ymax))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if test is not None:
        tcauses = [str(c) for c in test.causes]
        lines = []
        for c in chosen:
            if c in tcauses:
                p = float(test.p_value[tcauses.index(c)])
                name = "Gray's test p" if len(chosen) == 1 else f"Gray's test ({c}) p"
                lines.append(format_p(p, name=name))
        if lines:
            ax.text(0.03, 0.97, "\n".join(lines), transform=ax.transAxes, ha="left", va="top")
    _legend(ax, len(ax.get_lines()), "upper left" if test is None else "center left")
    if table_spec is not None:
        counts = _risk_from_table(tab[tab["cause"] == chosen[0]], groups, ticks)
        _risk_table(fig, table_spec, ax, counts, groups,
                    colours if not one_group else ["black"])
    return fig


@styled
def failure_type_figure(
    result: FailureTypeResult,
    *,
    xlabel: str = "Months",
    ylabel: str = "Probability of failure",
    title: str | None = None,
    xmax: float | None = None,
    palette: Sequence[str] | None = None,
) -> Figure:
    """1 - Kaplan-Meier per failure type (dashed) beside the cumulative incidence (solid).

    One panel per group; colours distinguish failure types. The gap between
    the two curves of a type is the overstatement of 1 - KM under competing
    events (``result.method`` explains it).

    Parameters
    ----------
    result : hccstudy.analyse.competing.FailureTypeResult
    xlabel, ylabel, title, xmax, palette
        As in :func:`km_figure`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hccstudy.analyse.competing import failure_type_km
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "s": [1, 2, 1, 0, 2, 0]})
    >>> fig = failure_type_figure(failure_type_km(d, "t", "s"))
    >>> len(fig.axes[0].get_lines())
    4
    """
    tab = result.table()
    tab["group"] = tab["group"].astype(str)
    tab["cause"] = tab["cause"].astype(str)
    groups = [str(g) for g in result.cif.groups]
    causes = [str(c) for c in result.cif.causes]
    colours = _palette(len(causes), palette)
    ng = len(groups)
    fig = new_figure(min(3.2 * ng, 9.6) if ng > 1 else 4.5, 3.2)
    axes = [fig.add_subplot(1, ng, 1)]
    for i in range(1, ng):
        axes.append(fig.add_subplot(1, ng, i + 1, sharey=axes[0]))
    times_max = float(tab["time"].max()) if len(tab) else 1.0
    for ax, g in zip(axes, groups, strict=True):
        for ci, c in enumerate(causes):
            sel = tab[(tab["group"] == g) & (tab["cause"] == c)]
            x = np.concatenate(([0.0], sel["time"].to_numpy(dtype=float)))
            for col, style, what in (("cif", "-", "CIF"), ("one_minus_km", "--", "1 - KM")):
                y = np.concatenate(([0.0], sel[col].to_numpy(dtype=float)))
                ax.step(x, y, where="post", color=colours[ci], linestyle=style,
                        label=f"{c}, {what}")
        _x_axis(ax, times_max, xmax, None)
        ax.set_ylim(0.0, 1.0)
        ax.set_xlabel(xlabel)
        if ng > 1:
            ax.set_title(g)
    axes[0].set_ylabel(ylabel)
    axes[0].legend(loc="upper left", handlelength=2.2)
    if title:
        fig.suptitle(title)
    return fig
