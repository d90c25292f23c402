"""Balance figures: the love plot of SMDs and the propensity-score overlap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hccstudy.errors import InputError
from hccstudy.report.figures._common import new_figure, require, styled
from hccstudy.report.style import palette as _palette

if TYPE_CHECKING:  # type hints only
    from hccstudy.adjust.balance import BalanceResult

__all__ = ["love_figure", "ps_overlap_figure"]

_STAGE_LABEL = {"before": "Before adjustment", "after": "After adjustment"}


@styled
def love_figure(
    balance: BalanceResult,
    *,
    absolute: bool = True,
    threshold: float = 0.1,
    labels: Mapping[str, str] | None = None,
    order: Literal["terms", "before"] = "terms",
    xlabel: str | None = None,
    title: str | None = None,
    palette: Sequence[str] | None = None,
) -> Figure:
    """Love plot: standardised mean difference per covariate term, before and after adjustment.

    Reads ``balance.love_plot_data()`` (the SMDs of the result, with its
    ``smd_denominator``); draws a dashed threshold line at 0.1 (and -0.1 for
    signed SMDs).

    Parameters
    ----------
    balance : hccstudy.adjust.balance.BalanceResult
    absolute : bool
        Absolute SMDs (default) or signed.
    threshold : float
        Position of the reference line(s).
    labels : mapping, optional
        Display names of terms (``bclc_stageB`` -> "BCLC B").
    order : {"terms", "before"}
        Rows in the result's term order (top to bottom) or by decreasing
        SMD before adjustment.
    xlabel, title : str, optional
    palette : sequence of str, optional
        Colours of "before" and "after".

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hccstudy.adjust.balance import balance
    >>> d = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0], "x": [1.0, 2, 3, 2, 3, 4]})
    >>> fig = love_figure(balance(d, "t", ["x"]))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['x']
    """
    data = balance.love_plot_data()
    terms = [str(t) for t in balance.terms]
    names = dict(labels or {})
    col = "abs_smd" if absolute else "smd"
    if order == "before":
        before = data[data["stage"] == "before"].set_index("term")["abs_smd"]
        terms = sorted(terms, key=lambda t: (-float(before.get(t, 0.0)), terms.index(t)))
    elif order != "terms":
        raise InputError(f"order must be 'terms' or 'before', not {order!r}", rule="order option")
    stages = [s for s in ("before", "after") if (data["stage"] == s).any()]
    colours = _palette(2, palette)
    markers = {"before": "o", "after": "s"}
    fills = {"before": "none", "after": None}
    fig = new_figure(4.2, 0.9 + 0.24 * len(terms))
    ax = fig.add_subplot()
    ypos = {t: i for i, t in enumerate(terms)}
    for k, stage in enumerate(stages):
        sel = data[data["stage"] == stage]
        y = [ypos[str(t)] for t in sel["term"]]
        ax.plot(sel[col].to_numpy(dtype=float), y, linestyle="none", marker=markers[stage],
                markersize=4.5, color=colours[k], markerfacecolor=fills[stage] or colours[k],
                label=_STAGE_LABEL[stage])
    for sign in ((1,) if absolute else (-1, 1)):
        ax.axvline(sign * threshold, color="0.45", linestyle="--", linewidth=0.7)
    if not absolute:
        ax.axvline(0.0, color="0.75", linewidth=0.6)
    ax.set_yticks(np.arange(len(terms)))
    ax.set_yticklabels([names.get(t, t) for t in terms])
    ax.set_ylim(len(terms) - 0.5, -0.5)
    vals = data[col].to_numpy(dtype=float)
    vals = vals[np.isfinite(vals)]
    hi = max(float(np.abs(vals).max()) if vals.size else 0.0, threshold) * 1.1
    ax.set_xlim((0.0 if absolute else -hi), hi)
    ax.grid(axis="y", color="0.92", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel or ("Absolute standardised mean difference" if absolute
                             else "Standardised mean difference"))
    if title:
        ax.set_title(title)
    if len(stages) > 1:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return fig


@styled
def ps_overlap_figure(
    overlap: pd.DataFrame,
    *,
    group_labels: Mapping[str, str] | None = None,
    xlabel: str = "Propensity score",
    title: str | None = None,
    palette: Sequence[str] | None = None,
) -> Figure:
    """Mirrored histograms of the propensity score: treated above the axis, control below.

    One panel per stage ("before", and "after" when the overlap frame has it),
    bars the ``density`` column (share of the group's total weight per bin).

    Parameters
    ----------
    overlap : pandas.DataFrame
        The output of :func:`hccstudy.adjust.balance.ps_overlap`: columns stage,
        group ("treated"/"control"), bin_left, bin_right, count, density.
    group_labels : mapping, optional
        Display names, e.g. ``{"treated": "CCRT", "control": "non-CCRT"}``.
    xlabel, title : str
    palette : sequence of str, optional
        Colours of treated and control.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hccstudy.adjust.balance import ps_overlap
    >>> from hccstudy.adjust.propensity import fit_propensity
    >>> d = pd.DataFrame({"t": [0, 0, 1, 1, 0, 1, 0, 1],
    ...                   "age": [50, 60, 65, 70, 55, 58, 62, 75]})
    >>> fig = ps_overlap_figure(ps_overlap(fit_propensity(d, "t", "age"), bins=4))
    >>> len(fig.axes[0].patches)
    8
    """
    frame = require(overlap, ["stage", "group", "bin_left", "bin_right", "density"],
                    "ps_overlap_figure")
    names = {"treated": "Treated", "control": "Control", **dict(group_labels or {})}
    stages = [s for s in ("before", "after") if (frame["stage"] == s).any()]
    if not stages:
        raise InputError("ps_overlap_figure: column 'stage' has neither 'before' nor 'after'",
                         column="stage", rule="stage in {before, after}")
    colours = _palette(3, palette)[1:] if palette is None else _palette(2, palette)
    fig = new_figure(3.0 * len(stages) + 0.4, 2.8)
    axes = [fig.add_subplot(1, len(stages), 1)]
    for i in range(1, len(stages)):
        axes.append(fig.add_subplot(1, len(stages), i + 1, sharey=axes[0], sharex=axes[0]))
    top = 0.0
    for ax, stage in zip(axes, stages, strict=True):
        for sign, group, colour in ((1.0, "treated", colours[0]), (-1.0, "control", colours[1])):
            sel = frame[(frame["stage"] == stage) & (frame["group"] == group)]
            left = sel["bin_left"].to_numpy(dtype=float)
            width = sel["bin_right"].to_numpy(dtype=float) - left
            dens = sel["density"].to_numpy(dtype=float)
            ax.bar(left, sign * dens, width=width, align="edge", color=colour, alpha=0.75,
                   edgecolor="white", linewidth=0.4)
            if dens.size:
                top = max(top, float(np.nanmax(dens)))
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_title(_STAGE_LABEL[stage], fontsize=8)
        ax.set_xlabel(xlabel)
    lim = top * 1.1 if top > 0 else 1.0
    axes[0].set_ylim(-lim, lim)
    axes[0].yaxis.set_major_formatter(lambda v, _pos: f"{abs(v):g}")
    axes[0].set_ylabel("Proportion of group")
    handles = [Line2D([], [], color=colours[0], linewidth=6, alpha=0.75),
               Line2D([], [], color=colours[1], linewidth=6, alpha=0.75)]
    axes[-1].legend(handles, [f"{names['treated']} (above)", f"{names['control']} (below)"],
                    loc="upper right")
    if title:
        fig.suptitle(title)
    return fig
