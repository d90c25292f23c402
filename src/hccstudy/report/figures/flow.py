"""STROBE / CONSORT-style flow diagram from the eligibility and adjustment counts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from hccstudy.errors import InputError
from hccstudy.report.figures._common import new_figure, require, styled, wrap_to_width

__all__ = ["flow_figure"]

_LINE_IN = 0.14  # line height at 8 pt with linespacing 1.25, inches
_PAD_IN = 0.07
_MAIN_W = 1.65
_SIDE_W = 1.8
_GAP_W = 0.25
_VGAP = 0.22  # vertical space between slots
_STAGE_TEXT = {"propensity": "In the propensity model", "matching": "Matched",
               "weighting": "Weighted"}
_COLUMNS = ["stage", "source", "order", "reason", "n_before", "n_excluded", "n_remaining"]


def _n(x: Any) -> str:
    return f"{int(x):,}"


def _wrap(text: str, width_in: float) -> list[str]:
    return wrap_to_width(text, width_in - 2 * _PAD_IN - 0.04)


@dataclass
class _Box:
    lines: list[str]
    width: float
    side: bool = False
    x: float = 0.0
    top: float = 0.0

    @property
    def height(self) -> float:
        return len(self.lines) * _LINE_IN + 2 * _PAD_IN


@dataclass
class _Column:
    """A chain of main boxes (by slot), with side boxes (exclusions) between them."""

    mains: dict[int, _Box] = field(default_factory=dict)
    sides: dict[int, _Box] = field(default_factory=dict)


def _main(text: str) -> _Box:
    return _Box(_wrap(text, _MAIN_W), _MAIN_W)


def _side(head: str, reasons: list[str]) -> _Box:
    lines = _wrap(head, _SIDE_W)
    for r in reasons:
        wrapped = _wrap(r, _SIDE_W - 0.1)
        lines.extend(["\u2022 " + wrapped[0], *("  " + w for w in wrapped[1:])])
    return _Box(lines, _SIDE_W, side=True)


def _draw_box(ax: Axes, b: _Box) -> None:
    left = b.x - b.width / 2 if not b.side else b.x
    ax.add_patch(Rectangle((left, b.top - b.height), b.width, b.height, facecolor="white",
                           edgecolor="black", linewidth=0.8))
    if b.side:
        ax.text(left + _PAD_IN, b.top - b.height / 2, "\n".join(b.lines), ha="left",
                va="center", multialignment="left", linespacing=1.25)
    else:
        ax.text(b.x, b.top - b.height / 2, "\n".join(b.lines), ha="center", va="center",
                multialignment="center", linespacing=1.25)


def _arrow(ax: Axes, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": "-|>", "linewidth": 0.8, "color": "black",
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 7})


def _eligibility_columns(f: pd.DataFrame) -> tuple[list[_Column], list[int]]:
    cols = []
    remaining = []
    for src in dict.fromkeys(f["source"].astype(str)):
        rows = f[f["source"].astype(str) == src].sort_values("order", kind="stable")
        n0 = int(rows["n_before"].iloc[0])
        n1 = int(rows["n_remaining"].iloc[-1])
        head = ("Patients assessed for eligibility" if src == "all"
                else f"{src}: assessed for eligibility")
        col = _Column()
        col.mains[0] = _main(f"{head}\n(n = {_n(n0)})")
        excl = rows[rows["n_excluded"] > 0]
        if len(excl):
            reasons = []
            for _, r in excl.iterrows():
                u = int(r["n_unknown"]) if "n_unknown" in r and pd.notna(r["n_unknown"]) else 0
                extra = f"; {_n(u)} with missing data" if u else ""
                reasons.append(f"{r['reason']} (n = {_n(r['n_excluded'])}{extra})")
            col.sides[1] = _side(f"Excluded (n = {_n(n0 - n1)})", reasons)
        col.mains[2] = _main(f"Eligible\n(n = {_n(n1)})")
        cols.append(col)
        remaining.append(n1)
    return cols, remaining


def _group_columns(g: pd.DataFrame, stage_slots: dict[str, int]) -> list[_Column]:
    cols = []
    for src in dict.fromkeys(g["source"].astype(str)):
        rows = g[g["source"].astype(str) == src].sort_values("order", kind="stable")
        label = src[len("group "):] if src.startswith("group ") else src
        col = _Column()
        col.mains[0] = _main(f"{label}\n(n = {_n(rows['n_before'].iloc[0])})")
        for _, r in rows.iterrows():
            if str(r["stage"]) == "group":  # the group's size only
                continue
            k = stage_slots[str(r["stage"])]
            if int(r["n_excluded"]) > 0:
                col.sides[k] = _side(f"Excluded (n = {_n(r['n_excluded'])})",
                                     [str(r["reason"])])
            stage = str(r["stage"])
            col.mains[k + 1] = _main(f"{_STAGE_TEXT.get(stage, stage.capitalize())}\n"
                                     f"(n = {_n(r['n_remaining'])})")
        cols.append(col)
    return cols


def _slot_heights(cols: list[_Column], n_slots: int) -> list[float]:
    heights = [0.0] * n_slots
    for c in cols:
        for k, b in [*c.mains.items(), *c.sides.items()]:
            heights[k] = max(heights[k], b.height)
    return heights


@styled
def flow_figure(flow: Any, *, title: str | None = None) -> Figure:
    """A STROBE / CONSORT-style flow diagram of the eligibility cascade and the adjustment.

    For each source data set: a box with the patients assessed, a side box
    listing the exclusions (reason and count of each step that excluded
    someone; rows excluded for a missing value noted), and a box with the
    eligible patients. Several sources then join in one "Eligible" box. When the
    frame has per-group rows (``source`` = "group <level>", stages such as
    "propensity" and "matching"), the eligible patients split into one column
    per group, each with its exclusions (e.g. not matched) and what remains. A
    row with stage "group" gives a group's size only (a group without further steps).

    Parameters
    ----------
    flow : pandas.DataFrame or StudyResult
        ``StudyResult.flow_frame()`` (or the StudyResult itself): columns stage,
        source, order, reason, n_before, n_excluded, n_remaining (n_unknown
        optional). Counts only.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> f = pd.DataFrame({
    ...     "stage": ["eligibility", "eligibility", "matching", "matching"],
    ...     "source": ["all", "all", "group A", "group B"], "order": [1, 2, 1, 1],
    ...     "reason": ["age < 18", "BCLC D", "no match", "no match"],
    ...     "n_before": [120, 110, 40, 60], "n_excluded": [10, 10, 5, 25],
    ...     "n_remaining": [110, 100, 35, 35]})
    >>> texts = [t.get_text() for t in flow_figure(f).axes[0].texts]
    >>> "Eligible\\n(n = 100)" in texts and "Matched\\n(n = 35)" in texts
    True
    """
    frame = flow.flow_frame() if hasattr(flow, "flow_frame") else flow
    frame = require(frame, _COLUMNS, "flow_figure")
    elig = frame[frame["stage"] == "eligibility"]
    rest = frame[frame["stage"] != "eligibility"]
    if len(elig) == 0:
        raise InputError("flow_figure: no 'eligibility' rows in column 'stage'", column="stage",
                         rule="eligibility rows")
    ecols, remaining = _eligibility_columns(elig)
    slots_e = 3
    if len(ecols) > 1:  # sources join
        merged = _Column()
        merged.mains[0] = _main(f"Eligible, all sources\n(n = {_n(sum(remaining))})")
        join_cols = [merged]
    else:
        join_cols = []
    stages = [s for s in dict.fromkeys(rest["stage"].astype(str)) if s != "group"]
    stage_slots = {s: 1 + 2 * i for i, s in enumerate(stages)}
    gcols = _group_columns(rest, stage_slots) if len(rest) else []
    n_gslots = 1 + 2 * len(stages)

    col_w = _MAIN_W + _GAP_W + _SIDE_W + 0.15
    width = max(len(ecols), len(gcols), 1) * col_w + 0.2
    he = _slot_heights(ecols, slots_e)
    hj = _slot_heights(join_cols, 1) if join_cols else []
    hg = _slot_heights(gcols, n_gslots) if gcols else []
    title_h = 0.3 if title else 0.0
    blocks = [h for h in (he, hj, hg) if h]
    height = (title_h + 0.1 + sum(sum(h) for h in blocks)
              + _VGAP * (sum(len(h) for h in blocks) + len(blocks) - 1) + 0.1)
    fig = new_figure(width, height, constrained=False)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0.0, width)
    ax.set_ylim(0.0, height)
    ax.set_axis_off()
    if title:
        ax.text(width / 2, height - 0.15, title, ha="center", va="center", weight="bold",
                fontsize=9)

    def place(cols: list[_Column], heights: list[float], top: float) -> float:
        """Position the boxes of a block of columns; return the bottom of the block."""
        n = len(cols)
        tops = []
        y = top
        for h in heights:
            tops.append(y)
            y -= h + _VGAP
        x_start = (width - n * col_w) / 2
        for i, c in enumerate(cols):
            cx = x_start + i * col_w + 0.1 + _MAIN_W / 2
            for k, b in c.mains.items():
                b.x, b.top = cx, tops[k] - (heights[k] - b.height) / 2
            for k, b in c.sides.items():
                b.x, b.top = cx + _MAIN_W / 2 + _GAP_W, tops[k] - (heights[k] - b.height) / 2
        return y

    def connect(c: _Column) -> None:
        keys = sorted(c.mains)
        for a, b in itertools.pairwise(keys):
            top_box, low_box = c.mains[a], c.mains[b]
            _arrow(ax, top_box.x, top_box.top - top_box.height, low_box.x, low_box.top)
            for k, s in c.sides.items():
                if a < k < b:
                    ymid = s.top - s.height / 2
                    _arrow(ax, top_box.x, ymid, s.x, ymid)

    def fan(parents: list[_Box], children: list[_Box]) -> None:
        """Arrows from the parent boxes' bottoms to the children's tops through a bus line."""
        bottom = min(p.top - p.height for p in parents)
        top = max(ch.top for ch in children)
        ybus = (bottom + top) / 2
        xs = [p.x for p in parents] + [ch.x for ch in children]
        if len(parents) == 1 and len(children) == 1 and parents[0].x == children[0].x:
            _arrow(ax, parents[0].x, bottom, children[0].x, children[0].top)
            return
        for p in parents:
            ax.plot([p.x, p.x], [p.top - p.height, ybus], color="black", linewidth=0.8)
        ax.plot([min(xs), max(xs)], [ybus, ybus], color="black", linewidth=0.8)
        for ch in children:
            _arrow(ax, ch.x, ybus, ch.x, ch.top)

    y = place(ecols, he, height - title_h - 0.1) - _VGAP
    last = [c.mains[2] for c in ecols]
    if join_cols:
        y = place(join_cols, hj, y) - _VGAP
        fan(last, [join_cols[0].mains[0]])
        last = [join_cols[0].mains[0]]
    if gcols:
        place(gcols, hg, y)
        fan(last, [c.mains[0] for c in gcols])
    for c in [*ecols, *join_cols, *gcols]:
        connect(c)
        for b in [*c.mains.values(), *c.sides.values()]:
            _draw_box(ax, b)
    return fig
