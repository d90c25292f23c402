"""Kaplan-Meier estimator that agrees with R's ``survival::survfit``.

Conventions (all checked against R survival 3.5 in ``tests/analyse/test_km.py``):

* The table has one row per distinct time of the group, events or censorings
  (``summary(fit, censored = TRUE)``); ``std_err`` is the standard error of
  S(t), as ``summary.survfit`` reports it.
* Standard errors: Greenwood's formula on the (weighted) counts. With
  non-integer case weights R switches to the robust infinitesimal-jackknife
  variance (``survfitKM``: ``robust = TRUE`` when any weight is not an
  integer); so does this function, with the same formula.
* Confidence intervals as ``survival:::survfit_confint`` ("log" the default,
  "log-log", "plain"). Where S(t) = 0 R reports ``NA`` for the Greenwood
  standard error and both limits; here they are NaN. (With the robust
  variance R reports a standard error of 0 there, and the "plain" limits
  0 and 0; so does this function.) The "log" and "log-log" limits are NaN
  where S(t) = 0, and the "log-log" limits also where S(t) = 1, as in R.
* ``median()`` is print.survfit's median (``survival:::survmean``): the first
  time the curve is below 0.5, the midpoint of a flat stretch lying exactly at
  0.5; its limits are the times the confidence band crosses 0.5 the same way.
  ``quantile()`` follows ``quantile.survfit``.
* ``at()`` is ``summary(fit, times = , extend = )``; ``rmst()`` is
  ``print(fit, rmean = tau)``; ``followup()`` is the median of the reverse
  Kaplan-Meier curve (censoring as the event).
* Times are used as given: R's ``timefix`` rounding of times that differ only
  in the last bits (``aeqSurv``) is not applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy._input import Missing, survival_input
from hccstudy.analyse._counting import (
    cell_counts,
    dense_codes,
    encode_groups,
    encode_times,
    group_label,
    sort_rows,
)
from hccstudy.errors import InputError

__all__ = ["KaplanMeierResult", "kaplan_meier"]

ConfType = Literal["log", "log-log", "plain"]
_TOL = float(np.sqrt(np.finfo(float).eps))  # R: sqrt(.Machine$double.eps)


def _z(conf_level: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(1.0 - (1.0 - conf_level) / 2.0))


def _confint(surv: np.ndarray, se_log: np.ndarray, conf_type: ConfType,
             conf_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits as ``survival:::survfit_confint`` (``se_log``: s.e. of log S)."""
    z = _z(conf_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            factor = np.exp(z * se_log)  # one exp: S exp(-z se) = S / exp(z se)
            lower = np.divide(surv, factor)
            upper = np.multiply(surv, factor, out=factor)
            np.minimum(upper, 1.0, out=upper)
            bad = ~(surv > 0)
            if bad.any():
                lower[bad] = np.nan
                upper[bad] = np.nan
        elif conf_type == "log-log":
            ok = (surv > 0) & (surv < 1)
            ls = np.where(ok, np.log(surv), -1.0)
            se2 = z * se_log / ls
            lll = np.log(-ls)
            lower = np.where(ok, np.exp(-np.exp(lll - se2)), np.nan)
            upper = np.where(ok, np.exp(-np.exp(lll + se2)), np.nan)
        elif conf_type == "plain":
            # NaN standard errors (S = 0 under Greenwood) propagate to the limits
            se2 = z * se_log * surv
            lower = np.maximum(surv - se2, 0.0)
            upper = np.minimum(surv + se2, 1.0)
        else:  # pragma: no cover - checked by the caller
            raise ValueError(conf_type)
    return lower, upper


def _km_grid(n_risk: np.ndarray, n_event: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Survival, hazard increment h and 1/(n - d) on a (cells, times) grid."""
    with np.errstate(divide="ignore", invalid="ignore"):
        has = n_event > 0
        h = np.where(has, n_event / np.where(has, n_risk, 1.0), 0.0)
        surv = np.cumprod(1.0 - h, axis=1)
        left = n_risk - n_event
        g = np.where(left > 0, 1.0 / np.where(left > 0, left, 1.0), np.inf)
    # exact zero once everyone at risk died (weighted sums may leave h = 1 - eps)
    surv = np.where(np.maximum.accumulate(h >= 1.0, axis=1), 0.0, surv)
    return surv, h, g


def _greenwood(n_event: np.ndarray, h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Cumulative Greenwood sum d / (n (n - d)) = h / (n - d): the variance of log S."""
    with np.errstate(invalid="ignore"):
        c = np.where(n_event > 0, h * g, 0.0)
    return np.cumsum(c, axis=1)


def _ij_variance(surv: np.ndarray, h: np.ndarray, g: np.ndarray, n_event: np.ndarray,
                 w2_event: np.ndarray, w2_exit: np.ndarray, w2_enter: np.ndarray,
                 p1: np.ndarray | None = None, p1_event: np.ndarray | None = None,
                 p2: np.ndarray | None = None,
                 entry_c: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Infinitesimal-jackknife variance of S (R's robust KM variance with case weights).

    Subject i with weight w has influence -S(t) A_i(t) on S(t), where
    A_i(t) = sum over grid times u <= t at which i is at risk of
    (dN_i(u) - h(u)) / (n(u) - d(u)); the variance is S(t)^2 sum_i w_i^2 A_i(t)^2.
    The sum over subjects is formed from per-time sums of squared weights:
    ``w2_event``/``w2_exit`` (exits at the time), ``w2_enter`` (entries, by the
    first grid position at risk) and, with late entry, ``p1``/``p1_event``/``p2``
    (exits weighted by C(entry) and C(entry)^2) and ``entry_c`` (the entry sums
    weighted by C(entry), C(entry)^2), C being the cumulative sum of
    h / (n - d) (:func:`_greenwood`).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        c = np.where(n_event > 0, h * g, 0.0)
        cc = np.cumsum(c, axis=1)
        gd = np.where(w2_event > 0, g, 0.0)
        exited = gd * gd * w2_event + w2_exit * cc * cc - 2.0 * gd * cc * w2_event
        q0 = np.cumsum(w2_enter, axis=1) - np.cumsum(w2_exit, axis=1)
        inprog = cc * cc * q0
        if p1 is not None and p1_event is not None and p2 is not None and entry_c is not None:
            exited = exited - 2.0 * cc * p1 + p2 + 2.0 * gd * p1_event
            q1 = np.cumsum(entry_c[0], axis=1) - np.cumsum(p1, axis=1)
            q2 = np.cumsum(entry_c[1], axis=1) - np.cumsum(p2, axis=1)
            inprog = inprog - 2.0 * cc * q1 + q2
        total = np.cumsum(exited, axis=1) + inprog
        var = surv * surv * np.maximum(total, 0.0)
    # R: the influence of every subject is -S(t) A_i(t) = 0 once S(t) = 0
    return np.where(surv > 0, var, 0.0)


def _minmin(y: np.ndarray, x: np.ndarray) -> float:
    """``minmin`` of ``survival:::survmean``: first x where y < 0.5 (midpoint rule at 0.5)."""
    keep = y < 0.5 + _TOL  # False where y is NaN
    first = int(np.argmax(keep))
    if not keep[first]:
        return float("nan")
    y0 = y[first]
    if abs(y0 - 0.5) < _TOL:
        # the next point below y0 (it is below 0.5 + tol too, so it is kept)
        lower = y[first + 1:] < y0
        j = int(np.argmax(lower)) if lower.size else 0
        if lower.size and lower[j]:
            return float((x[first] + x[first + 1 + j]) / 2.0)
    return float(x[first])


def _findq(x: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``survival:::findq``: quantiles of the cumulative distribution y = 1 - S at x."""
    out = np.full(p.shape, np.nan)
    if np.all(np.isnan(y)) or np.nanmax(y) < p.min():
        return out
    xmax = x[-1]
    # duplicated(): keep first occurrences (NaN duplicates NaN)
    _, first = np.unique(np.where(np.isnan(y), np.inf, y), return_index=True)
    first.sort()
    x = x[first]
    y = y[first]
    valid = np.flatnonzero(~np.isnan(y))
    yv = y[valid]
    order = np.argsort(yv, kind="stable")  # approx() sorts its knots

    def index(shift: float) -> np.ndarray:
        knots = yv[order] + shift
        j = np.searchsorted(knots, p, side="left")
        bad = (j >= len(knots)) | (p < knots[0])
        jj = np.minimum(j, len(knots) - 1)
        return np.where(bad, -1, valid[order][jj])

    i1 = index(_TOL)
    i2 = index(-_TOL)
    ok = (i1 >= 0) & (i2 >= 0)
    out = np.where(ok, (x[np.maximum(i1, 0)] + x[np.maximum(i2, 0)]) / 2.0, np.nan)
    out = np.where(p == 0, x[0], out)
    if not np.isnan(y[-1]):
        last = np.abs(p - y[-1]) < _TOL
        out = np.where(last & (i1 >= 0), (x[np.maximum(i1, 0)] + xmax) / 2.0,
                       np.where(last, np.nan, out))
    return out


@dataclass(frozen=True, slots=True, eq=False)
class KaplanMeierResult:
    """Kaplan-Meier curves per group: aggregates only, never patient rows.

    Build it with :func:`kaplan_meier`. Arrays with a leading underscore hold
    one entry per (group, distinct time) row of :meth:`table`, groups in the
    order of ``groups``; ``_offsets[i]:_offsets[i + 1]`` are group i's rows.

    Attributes
    ----------
    groups : tuple of str
        Group labels ("all" without ``by``), in R's factor-level order.
    n : tuple of int
        Rows analysed per group (R's "records").
    n_events : tuple of float
        (Weighted) number of events per group.
    n_dropped : int
        Rows dropped for missing values (``missing="drop"``).
    conf_type, conf_level
        The pointwise confidence interval.
    variance : str
        "greenwood", or "infinitesimal jackknife" (non-integer case weights, as R).
    method : str
        A sentence stating the method choices, for reports.
    """

    groups: tuple[str, ...]
    n: tuple[int, ...]
    n_events: tuple[float, ...]
    n_dropped: int
    conf_type: ConfType
    conf_level: float
    weighted: bool
    left_truncated: bool
    variance: str
    method: str
    _offsets: np.ndarray
    _time: np.ndarray
    _n_risk: np.ndarray
    _n_event: np.ndarray
    _n_censor: np.ndarray
    _survival: np.ndarray
    _std_err: np.ndarray
    _ci_lower: np.ndarray
    _ci_upper: np.ndarray
    _w2_event: np.ndarray | None
    _w2_censor: np.ndarray | None

    # ------------------------------------------------------------------ helpers
    def _rows(self, i: int) -> slice:
        return slice(int(self._offsets[i]), int(self._offsets[i + 1]))

    def _group_column(self) -> np.ndarray:
        out = np.empty(self._time.size, dtype=object)
        for i, label in enumerate(self.groups):  # slice fills: faster than np.repeat
            out[self._rows(i)] = label
        return out

    # ------------------------------------------------------------------ tables
    def table(self) -> pd.DataFrame:
        """The survival table: one row per group and distinct time (events or censorings).

        Returns
        -------
        pandas.DataFrame
            Columns group, time, n_risk, n_event, n_censor, survival, std_err
            (of S(t), as ``summary.survfit``), ci_lower, ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 2, 3], "e": [1, 1, 0, 0]})
        >>> kaplan_meier(d, "t", "e").table()[["time", "n_risk", "survival"]]
           time  n_risk  survival
        0   1.0     4.0      0.75
        1   2.0     3.0      0.50
        2   3.0     1.0      0.50
        """
        return pd.DataFrame({
            "group": self._group_column(),
            "time": self._time,
            "n_risk": self._n_risk,
            "n_event": self._n_event,
            "n_censor": self._n_censor,
            "survival": self._survival,
            "std_err": self._std_err,
            "ci_lower": self._ci_lower,
            "ci_upper": self._ci_upper,
        })

    def to_frame(self) -> pd.DataFrame:
        """Same as :meth:`table`."""
        return self.table()

    def median(self) -> pd.DataFrame:
        """Median survival and its confidence limits per group, as R's print.survfit.

        Returns
        -------
        pandas.DataFrame
            Columns group, n, n_events, median, ci_lower, ci_upper (NaN where
            the curve or band never falls to 0.5).

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1]})
        >>> float(kaplan_meier(d, "t", "e").median()["median"].iloc[0])
        2.5
        """
        return self._medians(self._survival, self._ci_lower, self._ci_upper)

    def _medians(self, surv: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> pd.DataFrame:
        rows = []
        for i, label in enumerate(self.groups):
            s = self._rows(i)
            t = self._time[s]
            rows.append((label, self.n[i], self.n_events[i], _minmin(surv[s], t),
                         _minmin(lower[s], t), _minmin(upper[s], t)))
        return pd.DataFrame(rows, columns=["group", "n", "n_events", "median", "ci_lower",
                                           "ci_upper"])

    def quantile(self, p: float | Sequence[float] = (0.25, 0.5, 0.75)) -> pd.DataFrame:
        """Survival-time quantiles with confidence limits, as ``quantile.survfit``.

        ``p`` is the probability of the event by that time: p = 0.5 is the
        median, p = 0.25 the time by which a quarter had the event.

        Parameters
        ----------
        p : float or sequence of float
            Probabilities in [0, 1].

        Returns
        -------
        pandas.DataFrame
            Columns group, p, quantile, ci_lower, ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1]})
        >>> kaplan_meier(d, "t", "e").quantile([0.25, 0.5])["quantile"].tolist()
        [1.5, 2.5]
        """
        probs = np.atleast_1d(np.asarray(p, dtype=float))
        if probs.size == 0 or np.any(np.isnan(probs)) or np.any((probs < 0) | (probs > 1)):
            raise InputError("p must be probabilities in [0, 1]", rule="0 <= p <= 1")
        frames = []
        for i, label in enumerate(self.groups):
            s = self._rows(i)
            x = np.concatenate(([0.0], self._time[s]))
            q = _findq(x, np.concatenate(([0.0], 1.0 - self._survival[s])), probs)
            lo = _findq(x, np.concatenate(([0.0], 1.0 - self._ci_lower[s])), probs)
            hi = _findq(x, np.concatenate(([0.0], 1.0 - self._ci_upper[s])), probs)
            frames.append(pd.DataFrame({"group": label, "p": probs, "quantile": q,
                                        "ci_lower": lo, "ci_upper": hi}))
        return pd.concat(frames, ignore_index=True)

    def at(self, times: float | Sequence[float], *, extend: bool = False) -> pd.DataFrame:
        """Survival at landmark times, as R's ``summary(fit, times = , extend = )``.

        Parameters
        ----------
        times : float or sequence of float
            Landmark times (>= 0); sorted before use, as R does.
        extend : bool
            Also report times after a group's last time (n_risk 0, the last
            survival carried forward); by default they are left out, as in R.

        Returns
        -------
        pandas.DataFrame
            Columns group, time, n_risk (at risk at the landmark), n_event and
            n_censor (since the previous landmark), survival, std_err, ci_lower,
            ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 2, 3], "e": [1, 1, 0, 0]})
        >>> kaplan_meier(d, "t", "e").at([0, 2.5])[["time", "n_risk", "n_event", "survival"]]
           time  n_risk  n_event  survival
        0   0.0     4.0      0.0       1.0
        1   2.5     1.0      2.0       0.5
        """
        tt = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        if tt.size == 0 or np.any(np.isnan(tt)) or np.any(tt < 0):
            raise InputError("times must be numbers >= 0", rule="landmark times >= 0")
        tt = tt[np.isfinite(tt)]
        frames = []
        for i, label in enumerate(self.groups):
            s = self._rows(i)
            t = self._time[s]
            # survfit0: a row at time 0 (S = 1, std_err 0, limits 1) unless the first time is 0
            add0 = t.size == 0 or t[0] != 0.0
            k0 = 1 if add0 else 0

            def pad(a: np.ndarray, first: float, k0: int = k0) -> np.ndarray:
                return np.concatenate(([first], a)) if k0 else a

            t0 = pad(t, 0.0)
            nrisk = pad(self._n_risk[s], float(self._n_risk[s][0]))
            surv = pad(self._survival[s], 1.0)
            se = pad(self._std_err[s], 0.0)
            lo = pad(self._ci_lower[s], 1.0)
            hi = pad(self._ci_upper[s], 1.0)
            cev = np.concatenate(([0.0], np.cumsum(pad(self._n_event[s], 0.0))))
            ccen = np.concatenate(([0.0], np.cumsum(pad(self._n_censor[s], 0.0))))
            pt = tt if extend else tt[tt <= t0[-1]]
            if pt.size == 0:
                continue
            idx1 = np.searchsorted(t0, pt, side="right")  # findInterval
            idx2 = np.searchsorted(t0, pt, side="left")  # first row with time >= p
            r = np.maximum(idx1, 1) - 1
            frames.append(pd.DataFrame({
                "group": label,
                "time": pt,
                "n_risk": np.concatenate((nrisk, [0.0]))[idx2],
                "n_event": np.diff(np.concatenate(([0.0], cev[idx1]))),
                "n_censor": np.diff(np.concatenate(([0.0], ccen[idx1]))),
                "survival": surv[r],
                "std_err": se[r],
                "ci_lower": lo[r],
                "ci_upper": hi[r],
            }))
        if not frames:
            return self.table().iloc[0:0].reset_index(drop=True)
        return pd.concat(frames, ignore_index=True)

    def rmst(self, tau: float) -> pd.DataFrame:
        """Restricted mean survival time up to ``tau``, as R's ``print(fit, rmean = tau)``.

        The standard error is R's ``se(rmean)``: Greenwood-type, from the
        (weighted) counts.

        Parameters
        ----------
        tau : float
            Truncation time (> 0).

        Returns
        -------
        pandas.DataFrame
            Columns group, tau, rmst, std_err.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1]})
        >>> float(kaplan_meier(d, "t", "e").rmst(2.0)["rmst"].iloc[0])
        1.75
        """
        tau = float(tau)
        if not np.isfinite(tau) or tau <= 0:
            raise InputError("tau must be a finite number > 0", rule="tau > 0")
        rows = []
        for i, label in enumerate(self.groups):
            s = self._rows(i)
            t = self._time[s]
            nr = self._n_risk[s]
            ne = self._n_event[s]
            left = nr - ne
            with np.errstate(divide="ignore", invalid="ignore"):
                hh = np.where(left == 0, 0.0, ne / (nr * left))
            keep = t <= tau
            if not keep.any():
                temptime = np.array([tau])
                tempsurv = np.array([1.0])
                hh = np.array([0.0])
            else:
                temptime = np.concatenate((t[keep], [tau]))
                tempsurv = np.concatenate((self._survival[s][keep],
                                           [self._survival[s][keep][-1]]))
                hh = np.concatenate((hh[keep], [0.0]))
            start = min(0.0, float(t.min()))
            delta = np.diff(np.concatenate(([start], temptime)))
            rect = delta * np.concatenate(([1.0], tempsurv[:-1]))
            varmean = float(np.sum(np.cumsum(rect[1:][::-1]) ** 2 * hh[::-1][1:]))
            rows.append((label, tau, float(np.sum(rect)) + start, float(np.sqrt(varmean))))
        return pd.DataFrame(rows, columns=["group", "tau", "rmst", "std_err"])

    def followup(self) -> pd.DataFrame:
        """Median follow-up by the reverse Kaplan-Meier method, per group.

        The reverse curve treats censoring as the event (and events as
        censoring), as ``survfit(Surv(time, 1 - event) ~ group)`` does; its
        median and limits are computed as :meth:`median`.

        Returns
        -------
        pandas.DataFrame
            Columns group, median, ci_lower, ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [0, 0, 0, 0]})
        >>> float(kaplan_meier(d, "t", "e").followup()["median"].iloc[0])
        2.5
        """
        if self.left_truncated:
            raise InputError("reverse Kaplan-Meier follow-up needs right-censored data "
                             "without entry times", rule="no entry for followup()")
        surv, se_log = self._reverse()
        lower, upper = _confint(surv, se_log, self.conf_type, self.conf_level)
        med = self._medians(surv, lower, upper)
        return med[["group", "median", "ci_lower", "ci_upper"]]

    def _reverse(self) -> tuple[np.ndarray, np.ndarray]:
        """Reverse KM (censorings as events) on the stored rows: survival and s.e. of log S."""
        sizes = np.diff(self._offsets)
        ng = len(self.groups)
        width = int(sizes.max()) if sizes.size else 0
        gi = np.repeat(np.arange(ng), sizes)
        pos = np.arange(self._time.size) - np.repeat(self._offsets[:-1], sizes)

        def grid(a: np.ndarray) -> np.ndarray:
            out = np.zeros((ng, width))
            out[gi, pos] = a
            return out

        n_risk = grid(self._n_risk)
        n_event = grid(self._n_censor)
        surv, h, g = _km_grid(n_risk, n_event)
        if self._w2_event is not None and self._w2_censor is not None:
            w2_exit = grid(self._w2_event + self._w2_censor)
            enter = np.zeros_like(w2_exit)
            enter[:, 0] = w2_exit.sum(axis=1)
            var = _ij_variance(surv, h, g, n_event, grid(self._w2_censor), w2_exit, enter)
            with np.errstate(divide="ignore", invalid="ignore"):
                se_log = np.where(var > 0, np.sqrt(var) / surv, 0.0)
        else:
            se_log = np.where(surv > 0, np.sqrt(_greenwood(n_event, h, g)), np.nan)
        return surv[gi, pos], se_log[gi, pos]


_MAX_GRID = 20_000_000  # cells of the dense (group, distinct time) grid


def _req(a: np.ndarray | None) -> np.ndarray:
    assert a is not None
    return a


def _km_block(gcode: np.ndarray, ng: int, time: np.ndarray, event: np.ndarray,
              w: np.ndarray | None, entry: np.ndarray | None, robust: bool,
              encoded: tuple[np.ndarray, np.ndarray] | None
              ) -> dict[str, np.ndarray | None]:
    """Kaplan-Meier rows of ``ng`` groups on one dense (group, distinct time) grid.

    Returns the table rows (groups in order, times ascending) with the variance
    of log S (Greenwood) or of S (robust), the rows per group (``sizes``), the
    events per group and, for the robust variance, squared-weight sums that the
    reverse curve of :meth:`KaplanMeierResult.followup` needs.
    """
    counts, index, entry_pos = cell_counts(gcode, ng, time, event, weights=w, entry=entry,
                                           encoded=encoded)
    n_risk, n_event, n_exit = counts.n_risk, counts.n_event, counts.n_exit
    m = counts.times.size
    surv, h, g = _km_grid(n_risk, n_event)
    w2_event_grid: np.ndarray | None = None
    w2_exit_grid: np.ndarray | None = None
    if robust and w is not None:
        w2 = w * w
        size = ng * m
        w2_exit_grid = np.bincount(index, weights=w2, minlength=size).reshape(ng, m)
        w2_event_grid = np.bincount(index, weights=w2 * event, minlength=size).reshape(ng, m)
        if entry_pos is None:
            enter = np.zeros((ng, m))
            enter[:, 0] = w2_exit_grid.sum(axis=1)
            var = _ij_variance(surv, h, g, n_event, w2_event_grid, w2_exit_grid, enter)
        else:
            c = np.where(n_event > 0, h * g, 0.0)
            cpad = np.concatenate((np.zeros((ng, 1)), np.cumsum(c, axis=1)), axis=1)
            ce = cpad[gcode, entry_pos]  # C just before entry
            enter_flat = gcode * (m + 1) + entry_pos
            sz1 = ng * (m + 1)

            def by_entry(x: np.ndarray) -> np.ndarray:
                return np.bincount(enter_flat, weights=x, minlength=sz1).reshape(ng, m + 1)[:, :m]

            def by_exit(x: np.ndarray) -> np.ndarray:
                return np.bincount(index, weights=x, minlength=size).reshape(ng, m)

            var = _ij_variance(
                surv, h, g, n_event, w2_event_grid, w2_exit_grid, by_entry(w2),
                p1=by_exit(w2 * ce), p1_event=by_exit(w2 * ce * event),
                p2=by_exit(w2 * ce * ce), entry_c=(by_entry(w2 * ce), by_entry(w2 * ce * ce)))
    else:
        var = _greenwood(n_event, h, g)
    present = counts.count > 0
    gi, ti = np.nonzero(present)  # row-major: by group, then by time
    return {
        "time": counts.times[ti],
        "n_risk": n_risk[gi, ti],
        "n_event": n_event[gi, ti],
        "n_censor": (n_exit - n_event)[gi, ti],
        "survival": surv[gi, ti],
        "var": var[gi, ti],
        "w2_event": None if w2_event_grid is None else w2_event_grid[gi, ti],
        "w2_censor": (None if w2_event_grid is None or w2_exit_grid is None
                      else (w2_exit_grid - w2_event_grid)[gi, ti]),
        "sizes": present.sum(axis=1),
        "events": n_event.sum(axis=1),
    }


def _km_sorted(gcode: np.ndarray, ng: int, time: np.ndarray, event: np.ndarray
               ) -> dict[str, np.ndarray | None]:
    """Kaplan-Meier rows as :func:`_km_block` (unweighted, no entry), sort-based.

    The rows are sorted once by (group, time, event) (:func:`sort_rows`); each
    distinct (group, time) pair is one table row, its number at risk the rows of
    the group from it on. Only the group's own times are visited, so the cost
    is O(n log n) whatever the number of distinct times, with the same
    arithmetic per row as the dense grid (the empty cells of the grid multiply
    the survival by exactly 1 and add exactly 0 to the Greenwood sum).
    """
    rows = sort_rows(gcode, ng, time, event, group_major=True)
    key = rows.key
    n = key.size
    tb = rows.time_bits
    cell = key >> 1  # (group, time) of each row
    # rows and table rows of each group
    row_bound = np.searchsorted(cell, np.arange(ng + 1, dtype=np.int64) << tb)
    new = cell[1:] != cell[:-1]
    n_event: np.ndarray
    n_risk: np.ndarray
    if new.all():  # no ties: one table row per data row
        ckey = cell
        n_event = np.bitwise_and(key, 1, out=key).astype(float)
        n_censor = np.subtract(1.0, n_event)
        cell_bound = row_bound
        n_risk = np.empty(n)
        for k in range(ng):  # the group's rows from this one on
            lo, hi = int(row_bound[k]), int(row_bound[k + 1])
            n_risk[lo:hi] = np.arange(hi - lo, 0, -1, dtype=float)
    else:
        brk = np.flatnonzero(new)
        brk += 1
        starts = np.empty(brk.size + 1, dtype=np.int64)
        starts[0] = 0
        starts[1:] = brk
        cum = np.empty(n + 1, dtype=np.int64)
        cum[0] = 0
        np.cumsum(key & 1, out=cum[1:])
        brk_cum = cum[brk]
        n_event = np.empty(starts.size)
        np.subtract(brk_cum, cum[starts[:-1]], out=n_event[:-1])
        n_event[-1] = cum[n] - cum[starts[-1]]
        n_censor = np.diff(starts, append=n) - n_event
        ckey = cell[starts]
        cell_bound = np.searchsorted(starts, row_bound)
        n_risk = np.empty(starts.size)
        for k in range(ng):  # the group's rows from this time on
            s = slice(int(cell_bound[k]), int(cell_bound[k + 1]))
            np.subtract(row_bound[k + 1], starts[s], out=n_risk[s])
    del new
    times = rows.times(np.bitwise_and(ckey, (1 << tb) - 1, out=ckey))
    with np.errstate(divide="ignore", invalid="ignore"):
        h = n_event / n_risk  # n_risk >= 1 on every row; 0 where no event
        var = n_risk - n_event
        np.divide(1.0, var, out=var)  # 1 / (n - d): inf once everyone at risk died
        var *= h  # Greenwood terms d / (n (n - d)) as _greenwood: 0 where no event
    surv = np.subtract(1.0, h, out=h)
    for k in range(ng):
        s = slice(int(cell_bound[k]), int(cell_bound[k + 1]))
        np.cumprod(surv[s], out=surv[s])
        np.cumsum(var[s], out=var[s])
    return {
        "time": times,
        "n_risk": n_risk,
        "n_event": n_event,
        "n_censor": n_censor,
        "survival": surv,
        "var": var,
        "w2_event": None,
        "w2_censor": None,
        "sizes": np.diff(cell_bound),
        "events": np.add.reduceat(n_event, cell_bound[:-1]),
        "n_rows": np.diff(row_bound),
    }


def _km_dense(gcode: np.ndarray, ng: int, time: np.ndarray, event: np.ndarray,
              w: np.ndarray | None, entry: np.ndarray | None, robust: bool,
              encoded: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray | None]:
    """Kaplan-Meier rows on the dense (group, distinct time) grid, or group by group."""
    if ng * encoded[0].size <= _MAX_GRID:
        return _km_block(gcode, ng, time, event, w, entry, robust, encoded)
    # many groups and many distinct times: one group at a time, each on its own
    # grid, so memory stays O(n)
    parts = []
    for k in range(ng):
        sel = gcode == k
        parts.append(_km_block(
            np.zeros(int(sel.sum()), dtype=np.intp), 1, time[sel], event[sel],
            None if w is None else w[sel], None if entry is None else entry[sel],
            robust, None))
    block = {key: (np.concatenate([b[key] for b in parts]) if parts[0][key] is not None
                   else None)
             for key in parts[0] if key not in ("sizes", "events")}
    block["sizes"] = np.concatenate([b["sizes"] for b in parts])
    block["events"] = np.concatenate([b["events"] for b in parts])
    return block


def order_groups(gcode: np.ndarray, labels: tuple[str, ...], levels: Sequence[object] | None,
                 by: str | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Recode groups ``0..G-1`` to follow ``levels`` (a study's level order).

    ``levels`` lists the groups by value or label (``group_label``: ``1`` and ``"1"``
    name the same group); every group present must be listed, listed groups without
    rows are dropped (as unused categories of a Categorical). ``None`` keeps ``labels``.

    Examples
    --------
    >>> order_groups(np.array([0, 1, 1]), ("a", "b"), ["b", "c", "a"], "arm")
    (array([1, 0, 0]), ('b', 'a'))
    """
    if levels is None:
        return gcode, labels
    if isinstance(levels, str):
        raise InputError("levels must be a sequence of group levels, not a string",
                         column=by, rule="levels is a list")
    want = [group_label(v) for v in levels]
    if len(set(want)) != len(want):
        raise InputError(f"levels list a group twice: {want!r}", column=by,
                         rule="unique levels")
    absent = [g for g in labels if g not in want]
    if absent:
        raise InputError(f"levels {want!r} do not list group(s) {absent!r} of column {by!r}",
                         column=by, rule="levels list every group")
    new = tuple(g for g in want if g in labels)
    if new == labels:
        return gcode, labels
    pos = {g: i for i, g in enumerate(new)}
    remap = np.array([pos[g] for g in labels], dtype=np.intp)
    return remap[gcode], new


def _check_options(conf_type: str, conf_level: float) -> None:
    if conf_type not in ("log", "log-log", "plain"):
        raise InputError(f"conf_type must be 'log', 'log-log' or 'plain', not {conf_type!r}",
                         rule="conf_type option")
    if not (isinstance(conf_level, float | int) and 0 < float(conf_level) < 1):
        raise InputError(f"conf_level must be in (0, 1), not {conf_level!r}",
                         rule="0 < conf_level < 1")


def kaplan_meier(
    data: pd.DataFrame,
    time: str,
    event: str,
    by: str | None = None,
    *,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
    weights: str | None = None,
    entry: str | None = None,
    missing: Missing = "raise",
    levels: Sequence[object] | None = None,
) -> KaplanMeierResult:
    """Kaplan-Meier survival curves, overall or by group, agreeing with R's survfit.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject, or per (entry, time] interval when ``entry`` is given.
        It is not modified.
    time : str
        Exit time column (>= 0).
    event : str
        Event indicator column (1/True event, 0/False censored).
    by : str, optional
        Grouping column; one curve per level (R's factor-level order: a pandas
        Categorical keeps its categories' order, other columns are sorted).
    conf_type : {"log", "log-log", "plain"}
        Pointwise confidence interval for S(t), as survfit's ``conf.type``.
    conf_level : float
        Confidence level.
    weights : str, optional
        Case weights (> 0), as survfit's ``weights``. Non-integer weights give
        the infinitesimal-jackknife standard error, as in R.
    entry : str, optional
        Entry (left-truncation) time: the data are R's ``Surv(entry, time, event)``.
    missing : {"raise", "drop"}
        Rows with a missing value raise an error, or are dropped and counted
        (``n_dropped``).
    levels : sequence, optional
        The order of the groups of ``by`` (values or their labels), e.g. a study's
        ``groups.levels``; every group present must be listed, listed groups without
        rows are left out. Default: the order above. Only the order of the curves
        changes, not the estimates.

    Returns
    -------
    KaplanMeierResult

    Raises
    ------
    hccstudy.errors.InputError
        Unknown columns, negative or non-numeric times, events outside {0, 1},
        missing values (unless ``missing="drop"``), bad options.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 2, 3, 4], "e": [1, 1, 0, 1, 0],
    ...                   "arm": ["a", "a", "b", "b", "b"]})
    >>> km = kaplan_meier(d, "t", "e", by="arm")
    >>> km.groups
    ('a', 'b')
    >>> km.table()[["group", "time", "survival"]]
      group  time  survival
    0     a   1.0       0.5
    1     a   2.0       0.0
    2     b   2.0       1.0
    3     b   3.0       0.5
    4     b   4.0       0.5
    >>> kaplan_meier(d, "t", "e", by="arm", levels=["b", "a"]).groups
    ('b', 'a')
    """
    _check_options(conf_type, conf_level)
    columns = [by] if by is not None else []
    inp = survival_input(data, time, event, entry=entry, weights=weights, columns=columns,
                         missing=missing)
    if by is None:
        gcode = np.zeros(inp.time.size, dtype=np.intp)
        labels: tuple[str, ...] = ("all",)
    else:
        gcode, labels = order_groups(*encode_groups(inp.frame[by]), levels, by)
    ng = len(labels)
    w = inp.weights
    robust = w is not None and bool(np.any(w != np.floor(w)))
    plain = w is None and inp.entry is None
    encoded = dense_codes(inp.time, ng) if plain else None
    if plain and encoded is None:
        # many distinct times: sort-based, each group on its own distinct times
        block = _km_sorted(gcode, ng, inp.time, inp.event)
    else:
        block = _km_dense(gcode, ng, inp.time, inp.event, w, inp.entry, robust,
                          encode_times(inp.time) if encoded is None else encoded)
    sizes = block["sizes"]
    assert sizes is not None
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.intp)
    surv_rows = block["survival"]
    var_rows = block["var"]
    assert surv_rows is not None and var_rows is not None
    if robust:
        std_err = np.sqrt(var_rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            se_log = np.where(std_err > 0, std_err / surv_rows, 0.0)
        variance = "infinitesimal jackknife"
    else:
        # Greenwood: the variance of log S is infinite once S = 0; R reports NA
        se_log = np.sqrt(var_rows, out=var_rows)  # the variances are not kept
        dead = ~(surv_rows > 0)
        if dead.any():
            se_log[dead] = np.nan
        std_err = se_log * surv_rows
        variance = "greenwood"
    lower, upper = _confint(surv_rows, se_log, conf_type, float(conf_level))
    n_rows = block.get("n_rows")
    if n_rows is None:
        n_rows = np.bincount(gcode, minlength=ng) if ng > 1 else np.array([gcode.size])
    events = block["events"]
    assert events is not None
    method = (
        f"Kaplan-Meier estimator; "
        f"{'Greenwood' if variance == 'greenwood' else 'infinitesimal-jackknife (robust)'} "
        f"standard errors; {100 * float(conf_level):g}% pointwise '{conf_type}' confidence "
        f"intervals{'; case weights' if w is not None else ''}"
        f"{'; left truncation (entry times)' if inp.entry is not None else ''}"
        " (as R survival::survfit)"
    )
    return KaplanMeierResult(
        groups=labels,
        n=tuple(int(k) for k in n_rows),
        n_events=tuple(float(k) for k in events),
        n_dropped=inp.n_dropped,
        conf_type=conf_type,
        conf_level=float(conf_level),
        weighted=w is not None,
        left_truncated=inp.entry is not None,
        variance=variance,
        method=method,
        _offsets=offsets,
        _time=_req(block["time"]),
        _n_risk=_req(block["n_risk"]),
        _n_event=_req(block["n_event"]),
        _n_censor=_req(block["n_censor"]),
        _survival=surv_rows,
        _std_err=std_err,
        _ci_lower=lower,
        _ci_upper=upper,
        _w2_event=block["w2_event"],
        _w2_censor=block["w2_censor"],
    )
