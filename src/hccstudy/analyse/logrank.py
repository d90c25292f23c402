"""Log-rank tests that agree with R's ``survival::survdiff``.

* :func:`logrank`: the G-rho family of Harrington and Fleming (1982), weights
  S(t-)^rho from the pooled Kaplan-Meier curve of each stratum (left-continuous,
  as survdiff computes it); rho = 0 is the log-rank test, rho = 1 the
  Peto-Peto modification of the Gehan-Wilcoxon test. Strata are summed;
  groups with expected count 0 are left out of the chi-square, as in R.
  The observed counts are the weighted ones (so with rho != 0 they are not
  integers), exactly as survdiff reports them.
* :func:`logrank_trend`: the test for trend over ordered groups, U = s'(O - E),
  V = s' Var(O - E) s, U^2 / V on 1 df, from the same O - E and variance. With
  untied event times it equals the score test of a Breslow Cox model of the
  numeric score (R: ``coxph(Surv ~ score, ties = "breslow")$score``); with ties
  the log-rank variance keeps the hypergeometric factor (n - d) / (n - 1) and
  the two differ slightly.
* :func:`pairwise_logrank`: survdiff on each pair of groups (the rows of the
  two groups only), p-values adjusted as R's ``p.adjust`` (the logic of
  ``survminer::pairwise_survdiff``).

Times are used as given: R's ``timefix`` rounding of times that differ only in
the last bits (``aeqSurv``) is not applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy._input import Missing, survival_input
from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse._counting import (
    cell_counts,
    dense_codes,
    encode_groups,
    encode_times,
    group_label,
    sort_rows,
)
from hccstudy.analyse.km import order_groups
from hccstudy.errors import InputError

__all__ = [
    "LogrankResult",
    "LogrankTrendResult",
    "PairwiseLogrankResult",
    "logrank",
    "logrank_trend",
    "p_adjust",
    "pairwise_logrank",
]

Adjust = Literal["holm", "bonferroni", "BH", "none"]
_MAX_GRID = 20_000_000  # cells of the dense (stratum, group, distinct time) grid
_CHUNK = 32_768  # event times per block of the sort-based scores


def _chi2_sf(x: float, df: int) -> float:
    from scipy.special import chdtrc

    if df <= 0:
        return float("nan")
    return float(chdtrc(df, x))


def _method(rho: float, strata: str | None) -> str:
    if rho == 0:
        name = "log-rank test"
    elif rho == 1:
        name = "Peto-Peto modification of the Gehan-Wilcoxon test"
    else:
        name = "Harrington-Fleming test"
    text = f"{name} (G-rho family, rho = {rho:g}, weights S(t-)^rho of the pooled Kaplan-Meier)"
    if strata is not None:
        text += f", stratified by {strata}"
    return text + " (as R survival::survdiff)"


def _scores_from_cells(n_risk: np.ndarray, n_event: np.ndarray, rho: float
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """O, E, V from (strata, groups, times) counts, as survdiff2.c."""
    big_n = n_risk.sum(axis=1)  # (S, m)
    big_d = n_event.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if rho != 0:
            fac = np.where(big_d > 0, 1.0 - big_d / np.where(big_n > 0, big_n, 1.0), 1.0)
            km = np.cumprod(fac, axis=1)
            km_left = np.concatenate((np.ones((km.shape[0], 1)), km[:, :-1]), axis=1)
            wt = km_left ** rho
        else:
            wt = np.ones_like(big_n)
        has = big_d > 0
        frac = np.where(has[:, None, :], n_risk / np.where(big_n > 0, big_n, 1.0)[:, None, :],
                        0.0)  # (S, G, m)
        observed = np.einsum("sgm,sm->g", n_event, wt)
        expected = np.einsum("sgm,sm->g", frac, wt * big_d)
        a = np.where(has & (big_n > 1),
                     wt * wt * big_d * (big_n - big_d) / np.where(big_n > 1, big_n - 1.0, 1.0),
                     0.0)  # (S, m)
    fa = frac * a[:, None, :]
    ng = n_risk.shape[1]
    f2 = frac.transpose(1, 0, 2).reshape(ng, -1)
    fa2 = fa.transpose(1, 0, 2).reshape(ng, -1)
    var = np.diag(fa2.sum(axis=1)) - fa2 @ f2.T
    return observed, expected, var


@dataclass(frozen=True, slots=True, eq=False)
class _EventTimes:
    """Counts at the distinct event times only (sort-based path, one stratum).

    ``n_risk`` is (groups, event times); ``big_n`` and ``big_d`` the pooled
    number at risk and events at each event time (every ``big_d`` >= 1);
    ``events`` the events per group. The times without events add nothing to
    O, E or V, so they are left out.
    """

    n_risk: np.ndarray
    big_n: np.ndarray
    big_d: np.ndarray
    events: np.ndarray
    _group: np.ndarray  # group of each event row
    _time_index: np.ndarray | None  # event-time index of each event row (None: 0, 1, ...)

    def n_event(self) -> np.ndarray:
        """Events per (group, event time)."""
        ng, m = self.n_risk.shape
        index = np.arange(m) if self._time_index is None else self._time_index
        return np.bincount(self._group * m + index,
                           minlength=ng * m).astype(float).reshape(ng, m)

    def grids(self) -> tuple[np.ndarray, np.ndarray]:
        """(1, groups, event times) grids for :func:`_scores_from_cells`."""
        return self.n_risk[None], self.n_event()[None]


def _bit_length(x: int) -> int:
    return int(x).bit_length()


def _event_times(gcode: np.ndarray, ng: int, time: np.ndarray, event: np.ndarray,
                 sizes: np.ndarray) -> _EventTimes:
    """Numbers at risk per group at each distinct event time, from one sort of the rows.

    The rows are sorted by (time, group, event) (:func:`sort_rows`); the number
    of a group's rows at risk at time t is the group's size (``sizes``) minus
    its rows sorted before t, a running count per group.
    """
    rows = sort_rows(gcode, ng, time, event, group_major=False)
    key = rows.key
    n = key.size
    gb = rows.group_bits
    buf = key >> (gb + 1)  # time code of each row
    new = buf[1:] != buf[:-1]
    # event rows, in time order (nonzero() is much faster on booleans than on int64)
    ev_rows = np.flatnonzero(np.bitwise_and(key, 1, out=buf) != 0)
    time_index: np.ndarray | None = None
    if new.all():  # no ties: each event row is an event time of its own
        first = ev_rows
        big_d = np.ones(first.size)
    else:
        starts = np.flatnonzero(np.concatenate(([True], new)))
        tid = np.cumsum(np.concatenate(([False], new)))  # time index of each row
        d = np.bincount(tid[ev_rows], minlength=starts.size)
        has = d > 0
        first = starts[has]
        big_d = d[has].astype(float)
        time_index = (np.cumsum(has) - 1)[tid[ev_rows]]
    del new
    m = first.size
    big_n = np.subtract(n, first, out=np.empty(m))
    n_risk = np.empty((ng, m))
    if gb:
        np.right_shift(key, 1, out=buf)
        np.bitwise_and(buf, (1 << gb) - 1, out=buf)
        group = buf.astype(np.int8) if gb < 8 else buf
    else:
        group = np.zeros(n, dtype=np.int8)
    if ng > 1:
        # rows of each group sorted before each event time: running counts, several
        # groups at once, each in its own bit field of one int64 running sum
        width = _bit_length(n)
        per = max(63 // width, 1)
        mask = (1 << width) - 1
        before = np.empty(n + 1, dtype=np.int64)
        before[0] = 0
        for k0 in range(0, ng - 1, per):
            k1 = min(k0 + per, ng - 1)
            lut = np.zeros(ng, dtype=np.int64)
            lut[k0:k1] = np.left_shift(1, width * np.arange(k1 - k0, dtype=np.int64))
            np.cumsum(lut[group], out=before[1:])
            packed = before[first]
            for k in range(k0, k1):
                np.subtract(sizes[k], (packed >> (width * (k - k0))) & mask, out=n_risk[k])
        np.subtract(big_n, n_risk[:-1].sum(axis=0), out=n_risk[-1])
    else:
        n_risk[0] = big_n
    ev_group = group[ev_rows].astype(np.intp)
    events = np.bincount(ev_group, minlength=ng).astype(float)
    return _EventTimes(n_risk=n_risk, big_n=big_n, big_d=big_d, events=events,
                       _group=ev_group, _time_index=time_index)


def _scores_event_times(block: _EventTimes, rho: float
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """O, E, V as :func:`_scores_from_cells`, on event times only (no empty columns).

    With r the numbers at risk (groups x times), n and d the pooled numbers at
    risk and events, w the G-rho weights and a = w^2 d (n - d) / (n - 1):
    E = r (w d / n), V = diag(r (a / n)) - r diag(a / n^2) r'.
    """
    big_n, big_d = block.big_n, block.big_d
    with np.errstate(divide="ignore", invalid="ignore"):
        if rho != 0:
            km = np.cumprod(1.0 - big_d / big_n)
            km_left = np.concatenate(([1.0], km))[:-1]  # also with no event times
            wt = km_left ** rho
            observed = block.n_event() @ wt
            wd = wt * big_d
            a = wt * wt * big_d
        else:
            observed = block.events.copy()
            wd = big_d
            a = big_d.copy()
        a *= big_n - big_d
        a /= big_n - 1.0
        a[big_n <= 1] = 0.0
    xe = wd / big_n
    a /= big_n
    xd = a.copy()
    a /= big_n
    r = block.n_risk
    ng, m = r.shape
    expected = np.zeros(ng)
    diag = np.zeros(ng)
    cross = np.zeros((ng, ng))
    for c0 in range(0, m, _CHUNK):  # column blocks that stay in the cache
        rc = r[:, c0:c0 + _CHUNK]
        expected += rc @ xe[c0:c0 + _CHUNK]
        diag += rc @ xd[c0:c0 + _CHUNK]
        cross += (rc * a[c0:c0 + _CHUNK]) @ rc.T
    return observed, expected, np.diag(diag) - cross


_Block = tuple[np.ndarray, np.ndarray] | _EventTimes


def _chisq(observed: np.ndarray, expected: np.ndarray, var: np.ndarray) -> tuple[float, int]:
    keep = expected > 0
    df = int(keep.sum()) - 1
    if keep.sum() < 2:
        return 0.0, max(df, 0)
    x = (observed - expected)[keep][1:]
    vv = var[np.ix_(keep, keep)][1:, 1:]
    try:
        stat = float(x @ np.linalg.solve(vv, x))
    except np.linalg.LinAlgError:
        # singular variance (e.g. every subject dies at one time): R's solve() stops
        # with an error; a generalised inverse gives 0 when O - E is 0 there too
        stat = float(x @ np.linalg.pinv(vv) @ x)
    return stat, df


def _prepare(data: pd.DataFrame, time: str, event: str, by: str, strata: str | None,
             missing: Missing, rho: float, levels: Sequence[object] | None = None
             ) -> tuple[tuple[str, ...], list[_Block], np.ndarray, int]:
    if not isinstance(rho, float | int) or not np.isfinite(rho) or rho < 0:
        raise InputError(f"rho must be a number >= 0, not {rho!r}", rule="rho >= 0")
    cols = [by] if strata is None else [by, strata]
    inp = survival_input(data, time, event, columns=cols, missing=missing)
    gcode, labels = order_groups(*encode_groups(inp.frame[by]), levels, by)
    ng = len(labels)
    n_rows = np.bincount(gcode, minlength=ng)
    if strata is None:
        scode = None
        ns = 1
    else:
        scode, slabels = encode_groups(inp.frame[strata])
        ns = len(slabels)
    if scode is None:
        encoded = dense_codes(inp.time, ng)
        if encoded is None and ng * inp.time.size <= _MAX_GRID:
            # many distinct times: sort-based, on the event times only
            blocks: list[_Block] = [_event_times(gcode, ng, inp.time, inp.event, n_rows)]
            return labels, blocks, n_rows, inp.n_dropped
        counts, _, _ = cell_counts(gcode, ng, inp.time, inp.event,
                                   encoded=encode_times(inp.time) if encoded is None else encoded)
        return labels, [(counts.n_risk[None], counts.n_event[None])], n_rows, inp.n_dropped
    times, tcodes = encode_times(inp.time)
    m = times.size
    if ns * ng * m <= _MAX_GRID:
        counts, _, _ = cell_counts(scode * ng + gcode, ns * ng, inp.time, inp.event,
                                   encoded=(times, tcodes))
        blocks = [(counts.n_risk.reshape(ns, ng, m),
                   counts.n_event.reshape(ns, ng, m))]
    else:
        # many strata and many distinct times: one stratum at a time, each on its own
        # grid of times, so memory stays O(n); the scores add up over strata
        blocks = []
        for k in range(ns):
            sel = scode == k
            counts, _, _ = cell_counts(gcode[sel], ng, inp.time[sel], inp.event[sel])
            blocks.append((counts.n_risk[None], counts.n_event[None]))
    return labels, blocks, n_rows, inp.n_dropped


def _scores(blocks: list[_Block], rho: float,
            sel: list[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """O, E and Var(O - E) summed over blocks of strata (optionally a subset of groups)."""
    total: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for block in blocks:
        if isinstance(block, _EventTimes):
            if sel is None:
                part = _scores_event_times(block, rho)
                total = part if total is None else (total[0] + part[0], total[1] + part[1],
                                                    total[2] + part[2])
                continue
            n_risk, n_event = block.grids()
        else:
            n_risk, n_event = block
        if sel is not None:
            n_risk, n_event = n_risk[:, sel, :], n_event[:, sel, :]
        part = _scores_from_cells(n_risk, n_event, rho)
        total = part if total is None else (total[0] + part[0], total[1] + part[1],
                                            total[2] + part[2])
    assert total is not None
    return total


@dataclass(frozen=True, slots=True, eq=False)
class LogrankResult(HtmlReprMixin):
    """A G-rho (log-rank) test across groups, as R's survdiff.

    Attributes
    ----------
    statistic : float
        Chi-square statistic.
    df : int
        Degrees of freedom (groups with expected > 0, minus 1).
    p_value : float
    rho : float
        The G-rho parameter used (0: log-rank).
    method : str
        A sentence naming the test, for reports.
    groups : tuple of str
    strata : str or None
        The stratifying column, if any.
    n_dropped : int
        Rows dropped for missing values.
    var : numpy.ndarray
        Variance matrix of O - E (groups x groups), summed over strata.
    """

    statistic: float
    df: int
    p_value: float
    rho: float
    method: str
    groups: tuple[str, ...]
    strata: str | None
    n_dropped: int
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    var: np.ndarray

    def table(self) -> pd.DataFrame:
        """Per-group counts as R's print.survdiff.

        Returns
        -------
        pandas.DataFrame
            Columns group, n, observed, expected, (O-E)^2/E, (O-E)^2/V.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1], "g": [0, 1, 0, 1]})
        >>> logrank(d, "t", "e", "g").table()[["group", "observed", "expected"]]
          group  observed  expected
        0     0       2.0  1.333333
        1     1       2.0  2.666667
        """
        oe = self.observed - self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.DataFrame({
                "group": list(self.groups),
                "n": self.n,
                "observed": self.observed,
                "expected": self.expected,
                "(O-E)^2/E": oe ** 2 / self.expected,
                "(O-E)^2/V": oe ** 2 / np.diag(self.var),
            })

    def to_frame(self) -> pd.DataFrame:
        """Same as :meth:`table`."""
        return self.table()


def logrank(
    data: pd.DataFrame,
    time: str,
    event: str,
    by: str,
    *,
    strata: str | None = None,
    rho: float = 0,
    missing: Missing = "raise",
    levels: Sequence[object] | None = None,
) -> LogrankResult:
    """Log-rank (G-rho) test of equal survival across groups, as R's survdiff.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    time, event : str
        Follow-up time (>= 0) and event indicator (0/1) columns.
    by : str
        Grouping column (at least two levels).
    strata : str, optional
        Stratifying column: the test sums over strata (R: ``+ strata(x)``).
    rho : float
        G-rho parameter: 0 log-rank, 1 Peto-Peto (Gehan-Wilcoxon type).
    missing : {"raise", "drop"}
        What to do with rows with missing values.
    levels : sequence, optional
        The order of the groups of ``by`` in the result (values or their labels), e.g. a
        study's ``groups.levels``; every group present must be listed. Default: R's
        factor-level order (a pandas Categorical keeps its categories' order, other
        columns are sorted). The statistic does not depend on the order.

    Returns
    -------
    LogrankResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 0, 1],
    ...                   "arm": ["a", "b", "a", "b", "a", "b"]})
    >>> r = logrank(d, "t", "e", "arm")
    >>> (round(r.statistic, 4), r.df)  # R survdiff: Chisq = 0.073903 on 1 df
    (0.0739, 1)
    >>> logrank(d, "t", "e", "arm", levels=["b", "a"]).groups
    ('b', 'a')
    """
    labels, blocks, n_rows, n_dropped = _prepare(data, time, event, by, strata, missing, rho,
                                                 levels)
    if len(labels) < 2:
        raise InputError(f"column {by!r} has {len(labels)} group(s); rule: a log-rank test "
                         "needs at least two groups", column=by, rule="at least two groups")
    observed, expected, var = _scores(blocks, float(rho))
    stat, df = _chisq(observed, expected, var)
    return LogrankResult(statistic=stat, df=df, p_value=_chi2_sf(stat, df), rho=float(rho),
                         method=_method(float(rho), strata), groups=labels, strata=strata,
                         n_dropped=n_dropped, n=n_rows, observed=observed, expected=expected,
                         var=var)


@dataclass(frozen=True, slots=True, eq=False)
class LogrankTrendResult(HtmlReprMixin):
    """The log-rank test for trend over ordered groups (1 df).

    Attributes
    ----------
    statistic, df, p_value
        U^2 / V, 1, and its chi-square p-value.
    u, v : float
        U = s'(O - E) and V = s' Var(O - E) s.
    order : tuple of str
        The group order.
    scores : tuple of float
        The score of each group, in ``order``.
    rho : float
    method : str
    strata : str or None
    n_dropped : int
    """

    statistic: float
    df: int
    p_value: float
    u: float
    v: float
    order: tuple[str, ...]
    scores: tuple[float, ...]
    rho: float
    method: str
    strata: str | None
    n_dropped: int


def logrank_trend(
    data: pd.DataFrame,
    time: str,
    event: str,
    by: str,
    *,
    scores: Sequence[float] | None = None,
    order: Sequence[object] | None = None,
    strata: str | None = None,
    rho: float = 0,
    missing: Missing = "raise",
) -> LogrankTrendResult:
    """Log-rank test for trend across ordered groups.

    Parameters
    ----------
    data : pandas.DataFrame
    time, event, by : str
        Columns as in :func:`logrank`.
    scores : sequence of float, optional
        A score per group, in ``order``; default 1, 2, ..., k.
    order : sequence, optional
        The groups in their natural order (values of ``by`` or their labels);
        default the sorted levels. Every group present must be listed.
    strata : str, optional
        Stratifying column.
    rho : float
        G-rho weights, as :func:`logrank`.
    missing : {"raise", "drop"}

    Returns
    -------
    LogrankTrendResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 1, 1],
    ...                   "stage": [3, 3, 2, 2, 1, 1]})
    >>> r = logrank_trend(d, "t", "e", "stage")
    >>> r.order, round(r.statistic, 4)  # untied: R coxph(..., ties="breslow")$score 6.671681
    (('1', '2', '3'), 6.6717)
    """
    labels, blocks, _, n_dropped = _prepare(data, time, event, by, strata, missing, rho)
    if order is None:
        order_labels = labels
    else:
        order_labels = tuple(group_label(o) for o in order)
        if len(set(order_labels)) != len(order_labels):
            raise InputError("order lists a group twice", column=by, rule="unique order")
        absent = [g for g in labels if g not in order_labels]
        if absent:
            raise InputError(f"order does not list group(s) {absent!r} of column {by!r}",
                             column=by, rule="order lists every group")
    k = len(order_labels)
    s = np.arange(1.0, k + 1.0) if scores is None else np.asarray(scores, dtype=float)
    if s.shape != (k,) or not np.all(np.isfinite(s)):
        raise InputError(f"scores must be {k} finite numbers, one per group in order",
                         rule="one score per group")
    score_of = dict(zip(order_labels, s, strict=True))
    sv = np.array([score_of[g] for g in labels])
    observed, expected, var = _scores(blocks, float(rho))
    u = float(sv @ (observed - expected))
    v = float(sv @ var @ sv)
    stat = u * u / v if v > 0 else float("nan")
    method = ("log-rank test for trend (U = s'(O - E), V = s' Var(O - E) s, 1 df; scores "
              + ", ".join(f"{g}={x:g}" for g, x in score_of.items()) + "); "
              + _method(float(rho), strata))
    return LogrankTrendResult(statistic=stat, df=1, p_value=_chi2_sf(stat, 1), u=u, v=v,
                              order=order_labels, scores=tuple(float(x) for x in s),
                              rho=float(rho), method=method, strata=strata,
                              n_dropped=n_dropped)


def p_adjust(p: Sequence[float] | np.ndarray, method: Adjust = "holm") -> np.ndarray:
    """Adjusted p-values as R's ``p.adjust`` (holm, bonferroni, BH, none).

    Parameters
    ----------
    p : sequence of float
    method : {"holm", "bonferroni", "BH", "none"}

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> p_adjust([0.01, 0.04, 0.03], "holm").round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> p_adjust([0.01, 0.04, 0.03], "BH").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    pv = np.asarray(p, dtype=float)
    n = pv.size
    if method == "none" or n <= 1:
        return pv.copy()
    if method == "bonferroni":
        return np.minimum(1.0, pv * n)
    if method == "holm":
        o = np.argsort(pv, kind="stable")
        adj = np.minimum(1.0, np.maximum.accumulate((n - np.arange(n)) * pv[o]))
    elif method == "BH":
        o = np.argsort(-pv, kind="stable")
        i = np.arange(n, 0, -1)
        adj = np.minimum(1.0, np.minimum.accumulate(n / i * pv[o]))
    else:
        raise InputError(f"adjust must be 'holm', 'bonferroni', 'BH' or 'none', not {method!r}",
                         rule="p-value adjustment method")
    out = np.empty(n)
    out[o] = adj
    return out


@dataclass(frozen=True, slots=True, eq=False)
class PairwiseLogrankResult(HtmlReprMixin):
    """Log-rank tests for every pair of groups with adjusted p-values.

    Attributes
    ----------
    adjust : str
        The p-value adjustment (R's ``p.adjust`` method).
    rho : float
    method : str
    strata : str or None
    n_dropped : int
    """

    group1: tuple[str, ...]
    group2: tuple[str, ...]
    statistic: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    adjust: str
    rho: float
    method: str
    strata: str | None
    n_dropped: int

    def table(self) -> pd.DataFrame:
        """One row per pair: group1, group2, statistic, p_value, p_adjusted.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 1, 1],
        ...                   "g": ["a", "b", "c", "a", "b", "c"]})
        >>> pairwise_logrank(d, "t", "e", "g").table()[["group1", "group2"]]
          group1 group2
        0      a      b
        1      a      c
        2      b      c
        """
        return pd.DataFrame({"group1": list(self.group1), "group2": list(self.group2),
                             "statistic": self.statistic, "p_value": self.p_value,
                             "p_adjusted": self.p_adjusted})

    def to_frame(self) -> pd.DataFrame:
        """Same as :meth:`table`."""
        return self.table()


def pairwise_logrank(
    data: pd.DataFrame,
    time: str,
    event: str,
    by: str,
    *,
    adjust: Adjust = "holm",
    strata: str | None = None,
    rho: float = 0,
    missing: Missing = "raise",
    levels: Sequence[object] | None = None,
) -> PairwiseLogrankResult:
    """Log-rank test for each pair of groups, p-values adjusted for multiplicity.

    Each pair is tested on the rows of its two groups only (survdiff on the
    subset, as ``survminer::pairwise_survdiff``); the counts are taken from one
    pass over the data.

    Parameters
    ----------
    data : pandas.DataFrame
    time, event, by : str
        Columns as in :func:`logrank`.
    adjust : {"holm", "bonferroni", "BH", "none"}
        p-value adjustment, as R's ``p.adjust``.
    strata : str, optional
    rho : float
    missing : {"raise", "drop"}
    levels : sequence, optional
        The group order (as in :func:`logrank`): pairs are listed in this order.

    Returns
    -------
    PairwiseLogrankResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 1, 1],
    ...                   "g": ["a", "b", "c", "a", "b", "c"]})
    >>> r = pairwise_logrank(d, "t", "e", "g", adjust="bonferroni")
    >>> bool((r.p_adjusted >= r.p_value).all())
    True
    """
    if adjust not in ("holm", "bonferroni", "BH", "none"):
        raise InputError(f"adjust must be 'holm', 'bonferroni', 'BH' or 'none', not {adjust!r}",
                         rule="p-value adjustment method")
    labels, blocks, _, n_dropped = _prepare(data, time, event, by, strata, missing, rho,
                                            levels)
    if len(labels) < 2:
        raise InputError(f"column {by!r} has {len(labels)} group(s); rule: pairwise tests "
                         "need at least two groups", column=by, rule="at least two groups")
    g1: list[str] = []
    g2: list[str] = []
    stats: list[float] = []
    ps: list[float] = []
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            sel = [i, j]
            o, e, v = _scores(blocks, float(rho), sel)
            stat, df = _chisq(o, e, v)
            g1.append(labels[i])
            g2.append(labels[j])
            stats.append(stat)
            ps.append(_chi2_sf(stat, df))
    p = np.asarray(ps)
    return PairwiseLogrankResult(
        group1=tuple(g1), group2=tuple(g2), statistic=np.asarray(stats), p_value=p,
        p_adjusted=p_adjust(p, adjust), adjust=adjust, rho=float(rho),
        method=f"pairwise {_method(float(rho), strata)}; p-values adjusted by {adjust} "
               "(R p.adjust)",
        strata=strata, n_dropped=n_dropped)
