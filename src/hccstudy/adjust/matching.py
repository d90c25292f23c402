"""Propensity-score matching: greedy nearest neighbour (1:k) and optimal pair matching.

Nearest-neighbour matching reproduces MatchIt's caliper-respecting C++ kernel
``nn_matchC`` (MatchIt 4.5.1) on the same distance:

* Treated units are visited in ``m_order``: ``"largest"`` (default, as
  MatchIt's ATT default) or ``"smallest"`` distance first, ties kept in row order
  (R's stable ``order``); ``"data"`` (row order); ``"random"`` (a permutation
  drawn from ``numpy.random.default_rng(seed)``; R's random stream cannot be
  reproduced, so the *rule* is the same but not the draw).
* For ``ratio = k``, matching runs in k rounds: every treated unit gets its
  first control in round 1 (in order), then its second in round 2, and so on.
* Each treated unit takes the nearest still-available control with
  ``|d_t - d_c| <= caliper`` (inclusive). **Ties** in distance go to the control
  that comes first in the data (lowest row position), which is what
  ``which_min`` over the row-ordered eligible controls does in ``nn_matchC``.
* The caliper is given in standard deviations of the distance; the SD is the
  sample SD (n - 1) of the distance over **all** units that take part in the
  matching, treated and control together (MatchIt's ``process.caliper``:
  ``caliper * sd(distance[!discarded])``). ``caliper_scale="absolute"`` takes it
  on the distance scale instead. The distance is the logit of the PS by default
  (MatchIt ``distance = "glm", link = "linear.logit"``).
* Exact matching splits the data into strata (every combination of the
  ``exact`` columns) and matches inside each stratum with the common caliper.

The without-replacement kernel keeps the controls sorted by distance, grouped by
equal distance, with two union-find "next available group" structures (one
looking left, one right), so each treated unit finds its nearest unused control
in amortised near-constant time: O(n log n) time and O(n) memory, never
O(treated x controls). With replacement each treated unit's k nearest controls
are found vectorised from two sorted orders (no interaction between treated
units, so ``m_order`` is irrelevant, as in MatchIt which then uses "data").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy._repr import HtmlReprMixin
from hccstudy.adjust._common import require_columns
from hccstudy.adjust.propensity import PropensityResult
from hccstudy.errors import InputError

__all__ = ["MatchResult", "match_propensity", "nearest_neighbour", "optimal_pairs"]

MOrder = Literal["largest", "smallest", "random", "data"]


@dataclass(frozen=True, slots=True)
class MatchResult(HtmlReprMixin):
    """Matched sets, by row position in the caller's frame (no identifiers).

    ``matches[i, j]`` is the row position of the j-th control matched to the
    treated unit at row position ``treated_rows[i]`` (-1: none). ``weights`` are
    MatchIt-style ATT matching weights per row (0 for unmatched rows): treated
    1, each control the sum over its treated units of 1 / (number of controls of
    that treated unit), rescaled to sum to the number of matched controls.
    ``subclass`` is the matched-set number per row (-1 unmatched; only without
    replacement, numbered by treated row order from 0).
    """

    method: Literal["nearest", "optimal"]
    distance: str
    ratio: int
    replace: bool
    m_order: str
    caliper: float | None
    caliper_scale: str
    caliper_abs: float | None
    exact: tuple[str, ...]
    seed: int | None
    treated_rows: np.ndarray
    matches: np.ndarray
    weights: np.ndarray
    subclass: np.ndarray
    n_treated: int
    n_control: int
    n_treated_matched: int
    n_control_matched: int
    n_discarded: int

    def matched_mask(self) -> np.ndarray:
        """Boolean mask over the rows of the input: in the matched cohort."""
        return self.weights > 0

    def pairs(self) -> pd.DataFrame:
        """Long frame of (treated_row, control_row, set) row positions."""
        k = self.matches.shape[1]
        t = np.repeat(self.treated_rows, k)
        c = self.matches.ravel()
        s = np.repeat(np.arange(len(self.treated_rows)), k)
        ok = c >= 0
        return pd.DataFrame({"treated_row": t[ok], "control_row": c[ok], "set": s[ok]})

    def summary(self) -> pd.DataFrame:
        """Counts of all, matched, unmatched and discarded units by group."""
        return pd.DataFrame(
            {"treated": [self.n_treated, self.n_treated_matched,
                         self.n_treated - self.n_treated_matched],
             "control": [self.n_control, self.n_control_matched,
                         self.n_control - self.n_control_matched]},
            index=pd.Index(["all", "matched", "unmatched"], name="units"),
        )


def _visit_order(d1: np.ndarray, m_order: str, seed: int | None) -> np.ndarray:
    if m_order == "largest":
        return np.argsort(-d1, kind="stable")
    if m_order == "smallest":
        return np.argsort(d1, kind="stable")
    if m_order == "data":
        return np.arange(len(d1))
    if m_order == "random":
        return np.random.default_rng(seed).permutation(len(d1))
    raise InputError(f"m_order must be 'largest', 'smallest', 'random' or 'data', not "
                     f"{m_order!r}", rule="m_order option")


def _greedy_without_replacement(d1: np.ndarray, d0: np.ndarray, order: np.ndarray,
                                ratio: int, cal: float) -> np.ndarray:
    """nn_matchC without replacement. Returns (n1, ratio) local control indices or -1."""
    n1, n0 = len(d1), len(d0)
    out = np.full((n1, ratio), -1, dtype=np.int64)
    if n0 == 0 or n1 == 0:
        return out
    sort_c = np.lexsort((np.arange(n0), d0))  # by distance, then row order
    vals = d0[sort_c]
    start = np.flatnonzero(np.concatenate(([True], vals[1:] != vals[:-1])))
    uniq = vals[start]
    g_count = len(uniq)
    ends = np.append(start[1:], n0)
    # group index of the nearest value <= d_t (-1 when none), +1 for the left array
    gl = np.searchsorted(uniq, d1, side="right")
    members: list[int] = sort_c.tolist()
    ptr: list[int] = start.tolist()
    end: list[int] = ends.tolist()
    u: list[float] = uniq.tolist()
    lp = list(range(g_count + 1))  # lp[j]: j - 1 is a group, lp[0] = 0 sentinel (none)
    rp = list(range(g_count + 1))  # rp[g]: group g, rp[G] = G sentinel (none)
    inf = float("inf")
    got = [True] * n1
    result = [-1] * (n1 * ratio)
    ord_l: list[int] = order.tolist()
    xs: list[float] = d1.tolist()
    gls: list[int] = gl.tolist()
    for r in range(ratio):
        for ti in ord_l:
            if not got[ti]:
                continue
            x = xs[ti]
            a = gls[ti]
            while lp[a] != a:
                lp[a] = lp[lp[a]]
                a = lp[a]
            b = gls[ti]
            while rp[b] != b:
                rp[b] = rp[rp[b]]
                b = rp[b]
            dl = x - u[a - 1] if a > 0 else inf
            dr = u[b] - x if b < g_count else inf
            if dl < dr or (dl == dr and dl != inf and members[ptr[a - 1]] < members[ptr[b]]):
                g, dist = a - 1, dl
            else:
                g, dist = b, dr
            if dist > cal or dist == inf:
                got[ti] = False
                continue
            p = ptr[g]
            result[ti * ratio + r] = members[p]
            p += 1
            ptr[g] = p
            if p == end[g]:
                lp[g + 1] = g
                rp[g] = g + 1
    out[:] = np.asarray(result, dtype=np.int64).reshape(n1, ratio)
    return out


def _k_nearest_with_replacement(d1: np.ndarray, d0: np.ndarray, ratio: int,
                                cal: float) -> np.ndarray:
    """Each treated unit's ``ratio`` nearest controls within the caliper (ties: row order)."""
    n1, n0 = len(d1), len(d0)
    out = np.full((n1, ratio), -1, dtype=np.int64)
    if n0 == 0 or n1 == 0:
        return out
    idx = np.arange(n0)
    ord_r = np.lexsort((idx, d0))
    ord_l = np.lexsort((-idx, d0))
    vals = d0[ord_r]
    p = np.searchsorted(vals, d1, side="right")
    j = np.arange(ratio)
    pr = p[:, None] + j[None, :]
    pl = p[:, None] - 1 - j[None, :]
    okr = pr < n0
    okl = pl >= 0
    cr = np.where(okr, ord_r[np.minimum(pr, n0 - 1)], -1)
    cl = np.where(okl, ord_l[np.maximum(pl, 0)], -1)
    cand = np.concatenate([cl, cr], axis=1)
    dist = np.abs(d0[np.maximum(cand, 0)] - d1[:, None])
    dist[cand < 0] = np.inf
    dist[dist > cal] = np.inf
    rows = np.repeat(np.arange(n1), 2 * ratio)
    o = np.lexsort((cand.ravel(), dist.ravel(), rows)).reshape(n1, 2 * ratio)[:, :ratio]
    o = o - (np.arange(n1) * 2 * ratio)[:, None]
    best = np.take_along_axis(cand, o, axis=1)
    bd = np.take_along_axis(dist, o, axis=1)
    out[:] = np.where(np.isfinite(bd), best, -1)
    return out


def _strata(data: pd.DataFrame | None, exact: Sequence[str], rows: np.ndarray) -> np.ndarray:
    if not exact:
        return np.zeros(len(rows), dtype=np.int64)
    if data is None:
        raise InputError("exact matching needs the data frame", rule="exact needs data")
    require_columns(data, list(exact))
    sub = data.iloc[rows][list(exact)]
    n_na = int(sub.isna().any(axis=1).sum())
    if n_na:
        raise InputError(f"exact-matching columns {list(exact)!r}: {n_na} row(s) missing",
                         column=str(exact[0]), n_rows=n_na,
                         rule="exact-matching columns must not be missing")
    codes = sub.groupby(list(exact), sort=True, dropna=False).ngroup().to_numpy()
    return np.asarray(codes, dtype=np.int64)


def _weights(n: int, treated_rows: np.ndarray, matches: np.ndarray) -> np.ndarray:
    w = np.zeros(n)
    k_t = (matches >= 0).sum(axis=1)
    has = k_t > 0
    w[treated_rows[has]] = 1.0
    c = matches[has]
    share = np.broadcast_to((1.0 / k_t[has])[:, None], c.shape)
    ok = c >= 0
    np.add.at(w, c[ok], share[ok])
    is_c = np.zeros(n, dtype=bool)
    is_c[c[ok]] = True
    ctrl = np.flatnonzero(is_c)
    if len(ctrl):
        w[ctrl] *= len(ctrl) / w[ctrl].sum()
    return w


def _subclass(n: int, treated_rows: np.ndarray, matches: np.ndarray,
              replace: bool) -> np.ndarray:
    sub = np.full(n, -1, dtype=np.int64)
    if replace:
        return sub
    has = (matches >= 0).any(axis=1)
    ids = np.cumsum(has) - 1
    sub[treated_rows[has]] = ids[has]
    c = matches
    ok = c >= 0
    sub[c[ok]] = np.broadcast_to(ids[:, None], c.shape)[ok]
    return sub


def _prepare(distance: np.ndarray, treat: np.ndarray,
             discard: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(distance, dtype=float)
    t = np.asarray(treat)
    if d.ndim != 1 or t.shape != d.shape:
        raise InputError("distance and treat must be 1-d arrays of the same length",
                         rule="shape")
    if not np.isin(t, [0, 1]).all():
        raise InputError("treat must be binary (0/1)", n_rows=int((~np.isin(t, [0, 1])).sum()),
                         rule="treatment must be binary")
    active = np.isfinite(d)
    if discard is not None:
        active &= ~np.asarray(discard, dtype=bool)
    if not (active & (t == 1)).any() or not (active & (t == 0)).any():
        raise InputError("one treatment group has no patients to match",
                         rule="each group must have patients")
    return d, t.astype(np.int64), active


def _caliper_abs(d: np.ndarray, active: np.ndarray, caliper: float | None,
                 scale: str) -> float:
    if caliper is None:
        return float("inf")
    if not caliper > 0:
        raise InputError(f"caliper must be > 0, not {caliper!r}", rule="caliper > 0")
    if scale == "sd":
        return float(caliper * np.std(d[active], ddof=1))
    if scale == "absolute":
        return float(caliper)
    raise InputError(f"caliper_scale must be 'sd' or 'absolute', not {scale!r}",
                     rule="caliper_scale option")


def nearest_neighbour(
    distance: np.ndarray,
    treat: np.ndarray,
    *,
    ratio: int = 1,
    caliper: float | None = None,
    caliper_scale: Literal["sd", "absolute"] = "sd",
    m_order: MOrder = "largest",
    replace: bool = False,
    strata: np.ndarray | None = None,
    discard: np.ndarray | None = None,
    seed: int | None = None,
    distance_name: str = "distance",
    exact_names: tuple[str, ...] = (),
) -> MatchResult:
    """Greedy 1:k nearest-neighbour matching on a distance (MatchIt ``nn_matchC``).

    Parameters
    ----------
    distance : array of float
        One value per row (e.g. the logit PS). Non-finite values are not matched.
    treat : array of 0/1
    ratio : int
        Controls per treated unit (k), matched in k rounds.
    caliper : float, optional
        Maximum ``|d_t - d_c|`` (inclusive), in SDs of ``distance`` over all
        active units (``caliper_scale="sd"``, MatchIt's ``std.caliper = TRUE``)
        or on the distance scale (``"absolute"``).
    m_order : {"largest", "smallest", "random", "data"}
    replace : bool
        Controls may be reused (each treated unit then simply takes its k
        nearest; ``m_order`` is ignored and recorded as ``"data"``).
    strata : array of int, optional
        Exact-matching strata: units match only inside their stratum.
    discard : array of bool, optional
        Rows that take no part (e.g. outside common support); they are also
        left out of the caliper SD, as in MatchIt.
    seed : int, optional
        Seed of the permutation for ``m_order="random"``.

    Returns
    -------
    MatchResult

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([0.1, 0.5, 0.45, 0.2, 0.9, 0.12])
    >>> t = np.array([1, 1, 0, 0, 0, 0])
    >>> m = nearest_neighbour(d, t)
    >>> m.pairs().to_dict("list")
    {'treated_row': [0, 1], 'control_row': [5, 2], 'set': [0, 1]}
    """
    if not isinstance(ratio, int | np.integer) or ratio < 1:
        raise InputError(f"ratio must be a positive integer, not {ratio!r}", rule="ratio >= 1")
    ratio = int(ratio)
    d, t, active = _prepare(distance, treat, discard)
    cal = _caliper_abs(d, active, caliper, caliper_scale)
    n = len(d)
    treated_rows = np.flatnonzero(t == 1)
    matches = np.full((len(treated_rows), ratio), -1, dtype=np.int64)
    s = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    t_active = active[treated_rows]
    d1_all = d[treated_rows]
    visit = _visit_order(d1_all, m_order, seed) if not replace else np.arange(len(d1_all))
    rank = np.empty(len(visit), dtype=np.int64)
    rank[visit] = np.arange(len(visit))
    codes = [0] if strata is None else np.unique(s[active]).tolist()
    for code in codes:
        ti = np.flatnonzero(t_active & (s[treated_rows] == code))  # index among treated
        crow = np.flatnonzero(active & (t == 0) & (s == code))
        if len(ti) == 0 or len(crow) == 0:
            continue
        d1 = d1_all[ti]
        d0 = d[crow]
        if replace:
            local = _k_nearest_with_replacement(d1, d0, ratio, cal)
        else:
            order = np.argsort(rank[ti], kind="stable")
            local = _greedy_without_replacement(d1, d0, order, ratio, cal)
        matches[ti] = np.where(local >= 0, crow[np.maximum(local, 0)], -1)
    w = _weights(n, treated_rows, matches)
    used_c = np.flatnonzero(np.bincount(matches[matches >= 0], minlength=n))
    return MatchResult(
        method="nearest", distance=distance_name, ratio=ratio, replace=replace,
        m_order="data" if replace else m_order,
        caliper=caliper, caliper_scale=(
            "none" if caliper is None else
            f"SD of the {distance_name} over all matched-eligible units (treated and control, "
            "sample SD, n - 1), as MatchIt std.caliper" if caliper_scale == "sd"
            else f"absolute, on the {distance_name} scale"),
        caliper_abs=None if caliper is None else cal, exact=exact_names, seed=seed,
        treated_rows=treated_rows, matches=matches, weights=w,
        subclass=_subclass(n, treated_rows, matches, replace),
        n_treated=int(t_active.sum()), n_control=int((active & (t == 0)).sum()),
        n_treated_matched=int((matches >= 0).any(axis=1).sum()),
        n_control_matched=len(used_c), n_discarded=int((~active).sum()),
    )


def optimal_pairs(
    distance: np.ndarray,
    treat: np.ndarray,
    *,
    caliper: float | None = None,
    caliper_scale: Literal["sd", "absolute"] = "sd",
    discard: np.ndarray | None = None,
    max_cells: int = 25_000_000,
    distance_name: str = "distance",
) -> MatchResult:
    """Optimal 1:1 pair matching (minimum total ``|d_t - d_c|``).

    Solved with :func:`scipy.optimize.linear_sum_assignment` on the dense
    treated x control cost matrix; pairs outside the caliper cost a penalty
    larger than any feasible total, so the solution first maximises the number
    of pairs within the caliper, then minimises their total distance; pairs
    still outside the caliper are dropped. Memory is O(treated x controls):
    refused above ``max_cells`` cells (use nearest-neighbour matching for large
    data).

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([0.1, 0.5, 0.45, 0.2, 0.9])
    >>> t = np.array([1, 1, 0, 0, 0])
    >>> optimal_pairs(d, t).pairs()["control_row"].tolist()
    [3, 2]
    """
    from scipy.optimize import linear_sum_assignment

    d, t, active = _prepare(distance, treat, discard)
    cal = _caliper_abs(d, active, caliper, caliper_scale)
    treated_rows = np.flatnonzero(t == 1)
    ti = np.flatnonzero(active[treated_rows])
    crow = np.flatnonzero(active & (t == 0))
    if len(ti) * len(crow) > max_cells:
        raise InputError(f"optimal matching needs a {len(ti)} x {len(crow)} cost matrix, above "
                         f"max_cells={max_cells}; use nearest_neighbour", rule="problem size")
    cost = np.abs(d[treated_rows[ti]][:, None] - d[crow][None, :])
    bad = cost > cal
    big = (float(np.nansum(np.where(bad, 0.0, cost))) + 1.0) * 2.0
    cost[bad] = big
    r, c = linear_sum_assignment(cost)
    ok = ~bad[r, c]
    matches = np.full((len(treated_rows), 1), -1, dtype=np.int64)
    matches[ti[r[ok]], 0] = crow[c[ok]]
    n = len(d)
    w = _weights(n, treated_rows, matches)
    return MatchResult(
        method="optimal", distance=distance_name, ratio=1, replace=False, m_order="n/a",
        caliper=caliper, caliper_scale="none" if caliper is None else caliper_scale,
        caliper_abs=None if caliper is None else cal, exact=(), seed=None,
        treated_rows=treated_rows, matches=matches, weights=w,
        subclass=_subclass(n, treated_rows, matches, False),
        n_treated=len(ti), n_control=len(crow), n_treated_matched=int(ok.sum()),
        n_control_matched=int(ok.sum()), n_discarded=int((~active).sum()),
    )


def match_propensity(
    ps: PropensityResult,
    data: pd.DataFrame | None = None,
    *,
    method: Literal["nearest", "optimal"] = "nearest",
    distance: Literal["logit", "ps"] = "logit",
    ratio: int = 1,
    caliper: float | None = 0.2,
    caliper_scale: Literal["sd", "absolute"] = "sd",
    m_order: MOrder = "largest",
    replace: bool = False,
    exact: Sequence[str] = (),
    discard: np.ndarray | None = None,
    seed: int | None = None,
) -> MatchResult:
    """Match on a fitted propensity score (defaults: 1:1, logit PS, caliper 0.2 SD).

    ``data`` (the frame the PS was fitted on) is needed only for ``exact``.
    Rows without a score (complete-case rule) are not matched.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccstudy.adjust.propensity import fit_propensity
    >>> d = pd.DataFrame({"t": [0, 0, 1, 1, 0, 1, 0, 1, 0, 0],
    ...                   "age": [50, 60, 65, 70, 55, 58, 62, 75, 66, 71]})
    >>> m = match_propensity(fit_propensity(d, "t", "age"), caliper=0.2)
    >>> m.n_treated_matched, m.caliper_abs is not None
    (2, True)
    """
    dist = ps.logit_ps if distance == "logit" else ps.ps
    name = "logit of the propensity score" if distance == "logit" else "propensity score"
    if method == "optimal":
        if exact or ratio != 1 or replace:
            raise InputError("optimal matching supports 1:1 pairs without exact or "
                             "replacement options", rule="optimal options")
        return optimal_pairs(dist, ps.treat, caliper=caliper, caliper_scale=caliper_scale,
                             discard=discard, distance_name=name)
    rows = np.arange(len(dist))
    strata = _strata(data, list(exact), rows) if exact else None
    return nearest_neighbour(dist, ps.treat, ratio=ratio, caliper=caliper,
                             caliper_scale=caliper_scale, m_order=m_order, replace=replace,
                             strata=strata, discard=discard, seed=seed, distance_name=name,
                             exact_names=tuple(exact))
