"""Response figures: waterfall of best % change and swimmer plot of treatment courses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hccstudy.errors import InputError
from hccstudy.report.figures._common import new_figure, require, require_finite, styled
from hccstudy.report.style import OKABE_ITO
from hccstudy.report.style import palette as _palette

__all__ = ["swimmer_figure", "waterfall_figure"]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _levels(col: pd.Series, order: Sequence[str] | None) -> list[str]:
    seen = list(dict.fromkeys(col.astype(str)))
    if order is None:
        return seen
    missing = [v for v in seen if v not in order]
    return [str(v) for v in order if str(v) in seen] + missing


@styled
def waterfall_figure(
    frame: pd.DataFrame,
    *,
    color_by: str | None = None,
    order: Sequence[str] | None = None,
    colours: Mapping[str, str] | None = None,
    reference_lines: Sequence[float] = (-30.0, 20.0),
    ylabel: str = "Best change from baseline (%)",
    title: str | None = None,
) -> Figure:
    """Waterfall plot: one bar per patient, best % change, sorted from largest increase down.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``value`` (best % change in the target lesions' sum), ``group``
        and ``category`` (e.g. the best response CR/PR/SD/PD); one row per
        patient, no identifiers needed (none are drawn).
    color_by : {"category", "group"}, optional
        Bar colours; by default ``category`` when the column is present.
    order : sequence of str, optional
        Legend order of the colour levels (e.g. ["CR", "PR", "SD", "PD"]).
    colours : mapping, optional
        Colour per level.
    reference_lines : sequence of float
        Dashed horizontal lines; -30 % (partial response) and +20 % (progression)
        as RECIST 1.1 / mRECIST.
    ylabel, title : str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> f = pd.DataFrame({"value": [-100, -45, 10, 35], "group": "TACE",
    ...                   "category": ["CR", "PR", "SD", "PD"]})
    >>> ax = waterfall_figure(f).axes[0]
    >>> [round(p.get_height()) for p in ax.patches]
    [35, 10, -45, -100]
    """
    base = ["value"] + [c for c in ("group", "category") if c in frame.columns]
    require(frame, base, "waterfall_figure")
    by = color_by or ("category" if "category" in frame.columns else
                      "group" if "group" in frame.columns else None)
    if by is not None and by not in frame.columns:
        raise InputError(f"waterfall_figure: column {by!r} is missing", column=by,
                         rule="required column")
    value = require_finite(frame, "value", "waterfall_figure")
    order_idx = np.argsort(-value, kind="stable")
    v = value[order_idx]
    levels = _levels(frame[by], order) if by is not None else []
    pal = _palette(len(levels)) if levels else ["0.4"]
    cmap = {lev: (colours or {}).get(lev, pal[i]) for i, lev in enumerate(levels)}
    if by is not None:
        cats = frame[by].astype(str).to_numpy()[order_idx]
        bar_colours = [cmap[c] for c in cats]
    else:
        bar_colours = ["0.4"] * len(v)
    fig = new_figure(min(max(3.0, 1.2 + 0.06 * len(v)), 7.0), 3.0)
    ax = fig.add_subplot()
    ax.bar(np.arange(len(v)), v, width=0.8, color=bar_colours, linewidth=0)
    ax.axhline(0.0, color="black", linewidth=0.6)
    for ref in reference_lines:
        ax.axhline(float(ref), color="0.45", linestyle="--", linewidth=0.7)
    ax.set_xlim(-0.7, len(v) - 0.3)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    lo = min(-100.0, float(v.min()) * 1.05) if v.min() < -100 else -100.0
    hi = max(float(v.max()) * 1.08, max(reference_lines, default=0.0) + 10.0, 10.0)
    ax.set_ylim(lo, hi)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Patients")
    if title:
        ax.set_title(title)
    if levels:
        handles = [Patch(facecolor=cmap[lev], label=lev) for lev in levels]
        ax.legend(handles=handles, loc="upper right", ncols=1)
    return fig


@styled
def swimmer_figure(
    frame: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    order: Sequence[str] | None = None,
    colours: Mapping[str, str] | None = None,
    xlabel: str = "Months since start of treatment",
    title: str | None = None,
) -> Figure:
    """Swimmer plot: one anonymous lane per patient, bars of treatment courses, event markers.

    Lanes are sorted by their last ``end`` (longest at the top) and drawn
    without labels: the ``lane`` values are keys only, never printed.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``lane`` (an anonymous key), ``start``, ``end`` (times), ``group``
        (bar colour, e.g. the treatment) and ``ongoing`` (bool: an arrow at the
        end of the lane's last bar). Several rows per lane draw consecutive courses.
    events : pandas.DataFrame, optional
        Columns ``lane``, ``time``, ``kind`` (e.g. "response", "progression",
        "death"): one marker shape per kind.
    order : sequence of str, optional
        Legend order of the groups.
    colours : mapping, optional
        Colour per group.
    xlabel, title : str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> f = pd.DataFrame({"lane": [1, 2, 2], "start": [0, 0, 3], "end": [6, 3, 9],
    ...                   "group": ["TACE", "TACE", "RT"], "ongoing": [True, False, False]})
    >>> e = pd.DataFrame({"lane": [1, 2], "time": [4.0, 9.0], "kind": ["PR", "death"]})
    >>> ax = swimmer_figure(f, e).axes[0]
    >>> len(ax.patches), [t.get_text() for t in ax.get_yticklabels()]
    (3, [])
    """
    require(frame, ["lane", "start", "end", "group", "ongoing"], "swimmer_figure")
    start = require_finite(frame, "start", "swimmer_figure")
    end = require_finite(frame, "end", "swimmer_figure")
    bad = int((end < start).sum())
    if bad:
        raise InputError(f"swimmer_figure: {bad} row(s) end before they start", column="end",
                         n_rows=bad, rule="end >= start")
    lanes = frame["lane"].to_numpy()
    keys = list(dict.fromkeys(lanes.tolist()))
    last_end = {k: float(end[lanes == k].max()) for k in keys}
    ranked = sorted(keys, key=lambda k: (-last_end[k], keys.index(k)))
    ypos = {k: i for i, k in enumerate(ranked)}
    groups = _levels(frame["group"], order)
    pal = _palette(len(groups), OKABE_ITO[1:-1])  # no black bars: event markers are black
    cmap = {g: (colours or {}).get(g, pal[i]) for i, g in enumerate(groups)}
    n = len(ranked)
    fig = new_figure(5.0, min(1.2 + 0.16 * n, 9.0))
    ax = fig.add_subplot()
    gcol = frame["group"].astype(str).to_numpy()
    ongoing = frame["ongoing"].fillna(False).astype(bool).to_numpy()
    xmax = float(end.max()) if end.size else 1.0
    for i in range(len(frame)):
        y = ypos[lanes[i]]
        ax.barh(y, end[i] - start[i], left=start[i], height=0.6, color=cmap[gcol[i]],
                linewidth=0)
    for k in ranked:
        sel = np.flatnonzero(lanes == k)
        j = sel[np.argmax(end[sel])]
        if ongoing[j]:
            ax.annotate("", xy=(end[j] + 0.04 * xmax, ypos[k]), xytext=(end[j], ypos[k]),
                        arrowprops={"arrowstyle": "-|>", "linewidth": 0.8, "color": "black",
                                    "shrinkA": 0, "shrinkB": 0, "mutation_scale": 6})
    handles: list[Any] = [Patch(facecolor=cmap[g], label=g) for g in groups]
    if events is not None:
        require(events, ["lane", "time", "kind"], "swimmer_figure events")
        etime = require_finite(events, "time", "swimmer_figure events")
        unknown = int((~events["lane"].isin(keys)).sum())
        if unknown:
            raise InputError(f"swimmer_figure: {unknown} event row(s) refer to no lane",
                             column="lane", n_rows=unknown, rule="event lanes in frame")
        kinds = list(dict.fromkeys(events["kind"].astype(str)))
        if len(kinds) > len(_MARKERS):
            raise InputError(f"swimmer_figure: at most {len(_MARKERS)} event kinds",
                             column="kind", rule="event kinds <= 8")
        ekind = events["kind"].astype(str).to_numpy()
        elane = events["lane"].to_numpy()
        for m, kind in enumerate(kinds):
            sel = ekind == kind
            ax.plot(etime[sel], [ypos[k] for k in elane[sel]], linestyle="none",
                    marker=_MARKERS[m], markersize=4, color="black",
                    markerfacecolor="white" if m % 2 else "black")
            handles.append(Line2D([], [], linestyle="none", marker=_MARKERS[m], markersize=4,
                                  color="black", markerfacecolor="white" if m % 2 else "black",
                                  label=kind))
        xmax = max(xmax, float(etime.max()) if etime.size else xmax)
    handles.append(Line2D([], [], color="black", marker=">", markersize=4, linewidth=0.8,
                          label="Ongoing"))
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlim(0.0, xmax * 1.08)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Patients")
    if title:
        ax.set_title(title)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
