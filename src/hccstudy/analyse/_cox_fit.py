"""Numeric kernel of the Cox model: partial likelihood, score, information, Newton-Raphson.

The arithmetic follows R survival's ``coxfit6.c`` (right-censored data) and
``agfit4.c`` ((start, stop] data) but is vectorised over rows with NumPy:

* Rows are sorted once by (stratum, exit time). Event times are numbered
  k = 0..K-1 in (stratum, time) order and every row gets the half-open range
  ``[lo_i, hi_i)`` of event times at which it is at risk (entry < t_k <= exit,
  same stratum). Each stratum owns one extra "slot" so that ranges never
  spill into the next stratum.
* Risk-set sums S0(t_k), S1(t_k) are reverse cumulative sums (within stratum)
  of per-slot sums, "exit >= t" minus "entry >= t" as agfit4 does.
* Efron's tied-death terms become "pairs" (k, l), l = 0..d_k-1, with weight
  ``deadwt_k / d_k`` and fraction ``l / d_k``; Breslow has one pair per event
  time with the full death weight. The number of pairs is at most the number of
  deaths.
* The information matrix never forms S2(t_k): the sum over pairs of
  ``w S2(t_k) / denom`` equals ``X' diag(r_i C_i) X`` where ``C_i`` is the sum of
  ``w / denom`` over the pairs at which row i is at risk (a cumulative sum over
  event times); the Efron correction for the deaths' own S2 is a second
  diagonal term. The information is then one BLAS product ``X' diag(h) X``
  minus ``A' diag(w) A`` with A the (pairs x p) matrix of weighted means.
  It is summed in row chunks that stay in cache (a compiled kernel); without numba,
  several informations at once (cox.zph) on data with few distinct times use
  per-piece second moments.
* Right-censored data: S0, S1, D0, D1 and the per-event Efron coefficients come
  from compiled kernels (:mod:`._cox_jit`, numba) when numba is installed,
  else from the NumPy code below (same quantities).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CoxData", "NewtonResult", "newton", "prepare"]


@dataclass(frozen=True)
class CoxData:
    """Sorted, centred design and the event-time bookkeeping (independent of beta)."""

    x: np.ndarray  # (n, p) centred covariates, rows in sorted order
    w: np.ndarray  # (n,) case weights
    status: np.ndarray  # (n,) 0/1
    order: np.ndarray  # sorted position -> original row
    means: np.ndarray  # (p,) weighted column means removed from x
    n_slots: int
    seg: np.ndarray  # (n_strata + 1,) slot boundaries per stratum
    hi: np.ndarray  # (n,) slot index one past the last event time at risk
    lo: np.ndarray  # (n,) slot index of the first event time at risk
    hi_starts: np.ndarray  # row offsets of runs of equal hi (rows are sorted by hi)
    hi_vals: np.ndarray  # hi value of each run
    has_entry: bool
    ev_slot: np.ndarray  # (K,) slot of each event time
    ev_time: np.ndarray  # (K,) the event times
    ev_stratum: np.ndarray  # (K,) stratum code of each event time
    ndead: np.ndarray  # (K,) number of deaths
    deadwt: np.ndarray  # (K,) sum of weights of deaths
    death_bounds: np.ndarray  # [start_0, end_0, start_1, ...] row offsets of each time's deaths
    death_bounds_full: np.ndarray  # the same without dropping a final end equal to n
    death_k: np.ndarray  # (n,) event index of each row's death (-1 if censored)
    dead_rows: np.ndarray  # rows with a death (sorted order)
    dead_k: np.ndarray  # their event index
    pair_k: np.ndarray  # event index of each (k, l) pair
    pair_frac: np.ndarray  # l / d (0 for Breslow)
    pair_w: np.ndarray  # deadwt / d (Efron) or deadwt (Breslow)
    pair_starts: np.ndarray  # offset of each event time's first pair
    any_tied: bool  # some event time has more than one death
    tied: np.ndarray  # indices of event times with more than one death
    wx_dead: np.ndarray  # (p,) sum over deaths of w x
    efron: bool
    row_seg: np.ndarray  # (n_strata + 1,) row offsets of the strata (rows sorted by stratum)
    piece_starts: np.ndarray | None  # row offsets of pieces (few distinct times) or None
    piece_seg: np.ndarray  # piece offsets of the strata
    ev_piece: np.ndarray  # piece index of each event time's deaths


def prepare(
    x: np.ndarray,
    time: np.ndarray,
    status: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    entry: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    efron: bool = True,
) -> CoxData:
    """Sort once and build the event-time bookkeeping used by every iteration."""
    n, p = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    st = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    # deaths before censorings within a tied time, so each time's deaths are contiguous:
    # on a grid of few distinct times one radix sort; else an unstable sort by time, then
    # a stable sort of the integer key (run of equal times, censored) that is already in
    # order but within the runs of ties (cheap)
    o2 = _grid_order(time, status)
    if o2 is None:
        o1 = np.argsort(time)
        if n > 1:
            ts = time[o1]
            key = np.empty(n, dtype=np.int64)
            key[0] = 0
            np.cumsum(ts[1:] != ts[:-1], out=key[1:])
            key *= 2
            key += status[o1] == 0
            o2 = o1[np.argsort(key, kind="stable")]
        else:
            o2 = o1
    order = o2 if strata is None else o2[np.argsort(st[o2], kind="stable")]
    t = time[order]
    d = status[order].astype(float)
    s = st if strata is None else st[order]  # all zeros without strata
    ww = w if weights is None else w[order]  # all ones without weights
    means = (w @ x) / w.sum()
    jit = _jit(n)
    if jit is not None and x.flags.c_contiguous and p > 1:
        xs = jit.gather_center(x, order, means)  # rows read whole, one pass
    elif x.flags.c_contiguous and p > 1:
        xs = np.empty((n, p), order="F")
        # rows are contiguous: gather rows in blocks, centre, transpose into F order
        blk = 1 << 16
        for a in range(0, n, blk):
            rows = np.take(x, order[a : a + blk], axis=0)
            np.subtract(rows, means, out=xs[a : a + blk])
    else:
        xs = np.empty((n, p), order="F")
        xf = np.asfortranarray(x)
        for j in range(p):
            col = xs[:, j]
            np.take(xf[:, j], order, out=col)
            col -= means[j]
    is_dead = d > 0
    # event keys: (stratum, time) of deaths, unique, in sorted order
    ev_s_all = s[is_dead]
    ev_t_all = t[is_dead]
    if ev_t_all.size:
        newkey = np.ones(ev_t_all.size, dtype=bool)
        newkey[1:] = (ev_t_all[1:] != ev_t_all[:-1]) | (ev_s_all[1:] != ev_s_all[:-1])
        first = np.flatnonzero(newkey)
    else:
        first = np.zeros(0, dtype=np.int64)
    ev_time = ev_t_all[first]
    ev_stratum = ev_s_all[first]
    n_ev = ev_time.size
    death_rows = np.flatnonzero(is_dead)
    death_starts = first.astype(np.int64)
    ndead = np.diff(np.append(death_starts, death_rows.size)).astype(float)
    deadwt = np.add.reduceat(ww[death_rows], death_starts) if n_ev else np.zeros(0)
    d_start = death_rows[death_starts] if n_ev else np.zeros(0, dtype=np.int64)
    death_bounds = np.empty(2 * n_ev, dtype=np.int64)
    death_bounds[0::2] = d_start
    death_bounds[1::2] = d_start + ndead.astype(np.int64)
    death_bounds_full = death_bounds.copy()
    if n_ev and death_bounds[-1] >= n:
        death_bounds = death_bounds[:-1]
    tied = np.flatnonzero(ndead > 1)
    # strata codes are 0..n_strata-1 (caller factorises); slots = event index + stratum
    n_strata = int(st.max()) + 1 if n else 1
    ev_per_stratum = np.bincount(ev_stratum, minlength=n_strata)
    ev_off = np.concatenate(([0], np.cumsum(ev_per_stratum)))  # event index offsets
    seg = ev_off + np.arange(n_strata + 1)  # slot offsets: each stratum has K_s + 1 slots
    ev_slot = np.arange(n_ev) + ev_stratum
    # hi: number of event keys <= (s, t) -> slot = that + s. Rows are sorted by
    # (s, t) with deaths first, so it is the running count of event-time starts.
    flag = np.zeros(n, dtype=np.int64)
    flag[d_start] = 1
    hi_ev = np.cumsum(flag)
    # rows tied with a later death of the same (s, t)? impossible: deaths come first
    hi = hi_ev + s
    if entry is None:
        lo = ev_off[s] + s
    else:
        all_t = np.concatenate((t, entry[order]))
        uniq = np.unique(all_t)
        m = uniq.size + 2
        ev_key = ev_stratum * m + np.searchsorted(uniq, ev_time) + 1
        e_key = s * m + np.searchsorted(uniq, entry[order]) + 1
        lo = np.searchsorted(ev_key, e_key, side="right") + s
    n_slots = int(seg[-1])
    chg = np.ones(n, dtype=bool)
    chg[1:] = hi[1:] != hi[:-1]
    hi_starts = np.flatnonzero(chg)
    hi_vals = hi[hi_starts]
    death_k = np.full(n, -1, dtype=np.int64)
    death_k[death_rows] = np.repeat(np.arange(n_ev), ndead.astype(np.int64))
    if efron:
        nd = ndead.astype(np.int64)
        pair_k = np.repeat(np.arange(n_ev), nd)
        pos = np.arange(pair_k.size) - np.repeat(np.cumsum(nd) - nd, nd)
        pair_frac = pos / ndead[pair_k]
        pair_w = (deadwt / ndead)[pair_k]
    else:
        pair_k = np.arange(n_ev)
        pair_frac = np.zeros(n_ev)
        pair_w = deadwt.copy()
    pair_starts = np.flatnonzero(np.r_[True, pair_k[1:] != pair_k[:-1]]) if n_ev else pair_k
    wx_dead = _vecmat(ww * d, xs)
    row_seg = np.concatenate(([0], np.cumsum(np.bincount(s, minlength=n_strata))))
    piece_starts: np.ndarray | None = None
    piece_seg = row_seg
    ev_piece = np.zeros(0, dtype=np.int64)
    if entry is None and 8 * (hi_starts.size + n_ev) < n:
        cuts = np.zeros(n + 1, dtype=bool)
        cuts[hi_starts] = True
        cuts[row_seg[:-1]] = True
        cuts[death_bounds_full] = True
        cuts[n] = False
        piece_starts = np.flatnonzero(cuts[:n])
        piece_seg = np.searchsorted(piece_starts, row_seg)
        ev_piece = np.searchsorted(piece_starts, death_bounds_full[0::2])
    return CoxData(
        row_seg=row_seg, piece_starts=piece_starts, piece_seg=piece_seg, ev_piece=ev_piece,
        x=xs, w=ww, status=d, order=order, means=means, n_slots=n_slots, seg=seg,
        hi=hi, lo=lo, hi_starts=hi_starts, hi_vals=hi_vals, has_entry=entry is not None,
        ev_slot=ev_slot, ev_time=ev_time, ev_stratum=ev_stratum, ndead=ndead,
        deadwt=deadwt, death_bounds=death_bounds, death_bounds_full=death_bounds_full,
        death_k=death_k, dead_rows=death_rows, dead_k=death_k[death_rows],
        pair_k=pair_k, pair_frac=pair_frac, pair_w=pair_w, pair_starts=pair_starts,
        any_tied=bool(tied.size), tied=tied, wx_dead=wx_dead, efron=efron,
    )


def _grid_order(time: np.ndarray, status: np.ndarray) -> np.ndarray | None:
    """Rows sorted by time, deaths first within a time, when the times lie on a 1/k grid
    with few distinct values (e.g. rounded to 0.1 month): a radix sort of 16-bit keys
    (O(n)). None otherwise."""
    n = time.size
    if n < 2:
        return None
    head = time[:256]
    if not any(np.array_equal(np.rint(head * k) / k, head) for k in (1.0, 10.0, 100.0, 1000.0)):
        return None
    from hccstudy.analyse._counting import encode_times

    uniq, codes = encode_times(time)
    if 2 * uniq.size > np.iinfo(np.uint16).max:
        return None
    key = codes.astype(np.uint16)
    key *= 2
    key += status == 0
    return np.argsort(key, kind="stable")  # radix sort for 16-bit keys


def _rev_excl(a: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Within each segment, out[j] = sum of a[j+1 : end]  (a is 1-d or 2-d along axis 0)."""
    out = np.empty_like(a)
    for b0, b1 in itertools.pairwise(seg):
        blk = a[b0:b1]
        c = np.cumsum(blk[::-1], axis=0)[::-1]
        out[b0 : b1 - 1] = c[1:]
        out[b1 - 1] = 0.0
    return out


def _fwd_excl(a: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Within each segment, out[j] = sum of a[start : j]."""
    out = np.empty_like(a)
    for b0, b1 in itertools.pairwise(seg):
        blk = a[b0:b1]
        out[b0] = 0.0
        if b1 - b0 > 1:
            out[b0 + 1 : b1] = np.cumsum(blk[:-1], axis=0)
    return out


@dataclass(frozen=True)
class RiskSums:
    """Risk-set quantities at one beta (nothing of size pairs x p)."""

    eta: np.ndarray  # (n,) centred linear predictor, sorted order
    r: np.ndarray  # (n,) w * exp(eta)
    s0: np.ndarray  # (K,)
    s1: np.ndarray  # (K, p)
    d0: np.ndarray  # (K,)
    d1: np.ndarray  # (K, p)
    denom: np.ndarray  # (pairs,)


# the compiled kernels serve data from this many rows (the NumPy code is the fallback
# without numba and the tests' reference). In a long-lived process they pay at every
# size: at n = 1e3 the NumPy concordance costs more than the whole fit. Loading numba
# and the cached kernels costs about 1 s once per process, so the command line (a
# one-shot process) sets HCCSTUDY_COMPILED_MIN_ROWS=50000 unless the caller set it:
# a study of a few thousand patients then never loads them (the same estimates, to
# rounding: both paths are validated against R).
JIT_MIN_ROWS = int(os.environ.get("HCCSTUDY_COMPILED_MIN_ROWS", "0") or 0)


def _jit(n: int) -> Any:
    """The compiled kernels (:mod:`._cox_jit`) for n rows, or None (small n, no numba)."""
    if n < JIT_MIN_ROWS:
        return None
    try:
        from hccstudy.analyse import _cox_jit
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return _cox_jit


def linear_predictor(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``x @ beta`` summed column by column (``eta += x[:, j] * beta[j]``), so rows with
    equal covariates get bit-identical values (a BLAS product may round rows
    differently by position, which would split ties in the concordance)."""
    jit = _jit(x.shape[0])
    if jit is not None:
        return np.asarray(jit.matvec(x, beta))
    eta = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        eta += x[:, j] * beta[j]
    return eta


def _vecmat(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``v @ x`` (x F-ordered, n x p): the compiled kernel when available."""
    jit = _jit(x.shape[0])
    if jit is not None and x.shape[0] >= 4096:
        return np.asarray(jit.vecmat(v, x))
    return np.asarray(v @ x)


def risk_sums(cd: CoxData, beta: np.ndarray) -> RiskSums:
    """S0, S1 at every event time, the deaths' own sums D0, D1, and the Efron denominators."""
    eta = linear_predictor(cd.x, beta)
    r = cd.w * np.exp(eta)
    k = cd.ev_slot.size
    p = cd.x.shape[1]
    if not cd.has_entry:
        jit = _jit(cd.w.size)
        if jit is not None:
            s0, s1, d0, d1 = jit.suffix_sums(cd.x, r, cd.row_seg,
                                             cd.seg - np.arange(cd.seg.size),
                                             cd.death_bounds_full[0::2],
                                             cd.death_bounds_full[1::2],
                                             cd.efron and cd.any_tied)
        else:  # pragma: no cover - numba is a dependency
            s0, s1, d0, d1 = _row_sums(cd, r, cd.x * r[:, None])
        denom = _denom(cd, s0, d0)
        return RiskSums(eta=eta, r=r, s0=s0, s1=s1, d0=d0, d1=d1, denom=denom)
    rx = cd.x * r[:, None]
    t0 = np.zeros(cd.n_slots)
    t1 = np.zeros((cd.n_slots, p))
    t0[cd.hi_vals] = np.add.reduceat(r, cd.hi_starts)
    t1[cd.hi_vals] = np.add.reduceat(rx, cd.hi_starts, axis=0)
    if cd.has_entry:
        t0 -= np.bincount(cd.lo, weights=r, minlength=cd.n_slots)
        for j in range(p):
            t1[:, j] -= np.bincount(cd.lo, weights=rx[:, j], minlength=cd.n_slots)
    # at risk at slot q iff lo <= q < hi: sum over hi > q minus sum over lo > q
    s0 = _rev_excl(t0, cd.seg)[cd.ev_slot]
    s1 = _rev_excl(t1, cd.seg)[cd.ev_slot]
    if k:
        # deaths come first within each tied time: one reduceat over [start, end) pieces
        d0 = np.add.reduceat(r, cd.death_bounds)[::2][:k]
        d1 = np.add.reduceat(rx, cd.death_bounds, axis=0)[::2][:k]
    else:
        d0 = np.zeros(0)
        d1 = np.zeros((0, p))
    denom = _denom(cd, s0, d0)
    return RiskSums(eta=eta, r=r, s0=s0, s1=s1, d0=d0, d1=d1, denom=denom)


def _denom(cd: CoxData, s0: np.ndarray, d0: np.ndarray) -> np.ndarray:
    """The Efron (or Breslow) denominator of every pair; S0 itself when every pair is the
    only one of its event time (Breslow, or no tied deaths: f = 0)."""
    if not cd.efron or not cd.any_tied:
        return s0
    pk = cd.pair_k
    return np.asarray(s0[pk] - cd.pair_frac * d0[pk])


def _suffix(v0: np.ndarray, v1: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per segment reverse cumulative sums with a trailing zero: index i of segment j
    lives at i + j. Column by column (contiguous, F-order)."""
    m, p = v1.shape
    nst = seg.size - 1
    c0 = np.empty(m + nst)
    c1 = np.empty((m + nst, p), order="F")
    for j in range(nst):
        a, b = int(seg[j]), int(seg[j + 1])
        c0[a + j : b + j] = np.cumsum(v0[a:b][::-1])[::-1]
        c0[b + j] = 0.0
        if b - a < 50_000:  # small: one call beats p calls
            c1[a + j : b + j] = np.cumsum(v1[a:b][::-1], axis=0)[::-1]
        else:  # large: contiguous columns are faster
            for q in range(p):
                c1[a + j : b + j, q] = np.cumsum(v1[a:b, q][::-1])[::-1]
        c1[b + j] = 0.0
    return c0, c1


def _row_sums(cd: CoxData, r: np.ndarray, rx: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Right-censored data: risk sets are row suffixes within stratum.

    With few distinct times the rows are first summed into pieces (each event
    time's deaths, then the rest of its block), so the suffix sums run over
    pieces; otherwise over rows. Deaths come first within a time, so the deaths'
    own sums are one piece (or a short difference of suffix sums).
    """
    st = cd.ev_stratum
    if cd.piece_starts is not None:
        v0 = np.add.reduceat(r, cd.piece_starts)
        v1 = np.add.reduceat(rx, cd.piece_starts, axis=0)
        c0, c1 = _suffix(v0, v1, cd.piece_seg)
        ip = cd.ev_piece
        return c0[ip + st], c1[ip + st], v0[ip], v1[ip]
    c0, c1 = _suffix(r, rx, cd.row_seg)
    ds = cd.death_bounds_full[0::2] + st
    de = cd.death_bounds_full[1::2] + st
    s0 = c0[ds]
    p = rx.shape[1]
    s1 = np.empty((ds.size, p), order="F")
    d1 = np.empty((ds.size, p), order="F")
    for q in range(p):  # column gathers: contiguous in F order
        col = c1[:, q]
        s1[:, q] = col[ds]
        d1[:, q] = s1[:, q] - col[de]
    return s0, s1, s0 - c0[de], d1


@dataclass(frozen=True)
class EventCoefs:
    """Per event time sums over its Efron terms (m = pair weight times multiplier).

    c = sum m/D, e = sum m f/D, alpha = sum m/D^2, beta = sum m f/D^2,
    gamma = sum m f^2/D^2 with D the Efron denominator and f = l/d.
    """

    c: np.ndarray
    e: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    gamma: np.ndarray


def event_coefs(cd: CoxData, rs: RiskSums, mult: np.ndarray | None = None) -> EventCoefs:
    """The per-event-time coefficients that turn pair sums into K x p products."""
    k = cd.ev_slot.size
    if cd.efron and cd.any_tied:
        jit = _jit(cd.w.size)
        if jit is not None:
            c, e, a, b, g = jit.event_coefs(cd.pair_k, cd.pair_w, cd.pair_frac, rs.denom,
                                            mult, k)
            return EventCoefs(c=c, e=e, alpha=a, beta=b, gamma=g)
    return _event_coefs_numpy(cd, rs, mult)


def _event_coefs_numpy(cd: CoxData, rs: RiskSums, mult: np.ndarray | None) -> EventCoefs:
    k = cd.ev_slot.size
    m = cd.pair_w if mult is None else cd.pair_w * mult[cd.pair_k]
    q = m / rs.denom
    q2 = q / rs.denom
    fr = cd.pair_frac
    c = _pair_sum(cd, q, k)
    a = _pair_sum(cd, q2, k)
    if cd.efron and cd.any_tied:
        e = _pair_sum(cd, q * fr, k)
        b = _pair_sum(cd, q2 * fr, k)
        g = _pair_sum(cd, q2 * fr * fr, k)
    else:
        e = b = g = np.zeros(k)
    return EventCoefs(c=c, e=e, alpha=a, beta=b, gamma=g)


def _pair_sum(cd: CoxData, v: np.ndarray, k: int) -> np.ndarray:
    if not cd.efron or not cd.any_tied:
        return v  # one pair per event time, in event order
    return np.add.reduceat(v, cd.pair_starts) if k else np.zeros(0)


def loglik_score_info(
    cd: CoxData, rs: RiskSums, tw: np.ndarray | None = None, tw2: np.ndarray | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log partial likelihood, score and information at the beta of ``rs``.

    ``tw`` (one value per event time) weights each event time's contribution to
    the score, ``tw2`` its contribution to the information, as R's zph1.c does
    for the cox.zph score test.
    """
    loglik = float(np.dot(cd.w * cd.status, rs.eta) - np.dot(cd.pair_w, np.log(rs.denom)))
    cu = event_coefs(cd, rs, tw)
    if tw is None:
        wx = cd.wx_dead
    else:
        wx = _dead_wx(cd, tw)
    # sum over pairs of m * a_l = sum_k c_k S1_k - e_k D1_k
    score = wx - _pair_mean_sum(cd, rs, cu)
    ci = cu if tw2 is tw else event_coefs(cd, rs, tw2)
    info = _info(cd, rs, ci)
    return loglik, score, info


def _pair_mean_sum(cd: CoxData, rs: RiskSums, cu: EventCoefs) -> np.ndarray:
    """Sum over pairs of m a_l = sum_k c_k S1_k - e_k D1_k (e = 0 without tied deaths)."""
    if cd.efron and cd.any_tied:
        return np.asarray(_vecmat(cu.c, rs.s1) - _vecmat(cu.e, rs.d1))
    return _vecmat(cu.c, rs.s1)


def weighted_score(cd: CoxData, rs: RiskSums, tw: np.ndarray) -> np.ndarray:
    """Score with event time k weighted by tw[k] (zph1.c's u[p:])."""
    cu = event_coefs(cd, rs, tw)
    return np.asarray(_dead_wx(cd, tw) - _pair_mean_sum(cd, rs, cu))


def _dead_wx(cd: CoxData, tw: np.ndarray) -> np.ndarray:
    """Sum over deaths of w x tw[k] (k the death's event index)."""
    v = np.zeros(cd.w.size)
    v[cd.dead_rows] = cd.w[cd.dead_rows] * tw[cd.dead_k]
    return _vecmat(v, cd.x)


def weighted_infos(cd: CoxData, rs: RiskSums, tws: list[np.ndarray]) -> list[np.ndarray]:
    """Informations with event time k weighted by tw[k] (zph1.c's imat blocks), per tw."""
    return infos(cd, rs, [event_coefs(cd, rs, tw) for tw in tws])


def at_risk_cumsum(cd: CoxData, per_event: np.ndarray) -> np.ndarray:
    """For each row, the sum of ``per_event`` over the event times at which it is at risk."""
    shape = (cd.n_slots, *per_event.shape[1:])
    slot = np.zeros(shape)
    slot[cd.ev_slot] = per_event
    cum = _fwd_excl(slot, cd.seg)
    if cd.has_entry or cd.seg.size > 2:
        return np.asarray(cum[cd.hi] - cum[cd.lo])
    return np.asarray(cum[cd.hi])


def _info(cd: CoxData, rs: RiskSums, ec: EventCoefs) -> np.ndarray:
    return infos(cd, rs, [ec])[0]


def infos(cd: CoxData, rs: RiskSums, ecs: list[EventCoefs]) -> list[np.ndarray]:
    """Information matrices for several sets of event coefficients (one pass over x)."""
    n = rs.r.size
    hs = np.empty((n, len(ecs)), order="F")
    for m, ec in enumerate(ecs):
        cc = at_risk_cumsum(cd, ec.c)
        if cd.efron and cd.any_tied:
            cc[cd.dead_rows] -= ec.e[cd.dead_k]
        np.multiply(rs.r, cc, out=hs[:, m])
    if len(ecs) > 1 and cd.piece_starts is not None and _jit(n) is None:
        # h / r is constant within pieces: one pass for the pieces' second moments
        ps = cd.piece_starts
        f = hs[ps] / rs.r[ps][:, None]
        x2 = np.einsum("km,kab->mab", f, _piece_moments(cd.x, rs.r, ps))
    else:
        x2 = _x2h(cd.x, hs)
    out = []
    s1, d1 = rs.s1, rs.d1
    # sum over pairs of m a a' with a = (S1 - f D1) / D: the S1 S1' part (K x p rows)
    alphas = np.empty((s1.shape[0], len(ecs)), order="F")
    for m, ec in enumerate(ecs):
        alphas[:, m] = ec.alpha
    x2 -= _x2h(s1, alphas)
    for m, ec in enumerate(ecs):
        info = x2[m]
        if cd.efron and cd.any_tied:
            t = cd.tied
            sb = (s1[t] * ec.beta[t, None]).T @ d1[t]
            info += sb + sb.T
            info -= (d1[t] * ec.gamma[t, None]).T @ d1[t]
        out.append(0.5 * (info + info.T))
    return out


def _piece_moments(x: np.ndarray, r: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per piece of rows [starts[k], starts[k+1]): sum of r x x' (pieces x p x p)."""
    n, p = x.shape
    ends = np.append(starts[1:], n)
    out = np.empty((starts.size, p, p))
    for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        xc = x[a:b]
        out[k] = (xc * r[a:b, None]).T @ xc
    return out


def _x2h(x: np.ndarray, hs: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """``X' diag(hs[:, m]) X`` for every column m, in row chunks that stay in cache
    (the compiled kernel when available)."""
    jit = _jit(x.shape[0])
    if jit is not None:
        return np.asarray(jit.x2h(x, hs))
    n, p = x.shape
    m_ = hs.shape[1]
    out = np.zeros((m_, p, p))
    for a in range(0, n, chunk):
        xc = np.ascontiguousarray(x[a : a + chunk])
        hc = hs[a : a + chunk]
        for m in range(m_):
            out[m] += (xc * hc[:, m : m + 1]).T @ xc
    return out


@dataclass(frozen=True)
class NewtonResult:
    """Outcome of the Newton-Raphson iterations (coefficients for the centred design)."""

    beta: np.ndarray
    loglik_init: float
    loglik: float
    score_test: float
    u_init: np.ndarray
    info_init: np.ndarray
    score: np.ndarray
    info: np.ndarray
    iterations: int
    converged: bool
    infinite: np.ndarray  # bool per coefficient: R's "Loglik converged before variable"
    halving: bool
    rs: RiskSums  # risk-set sums at beta


def _solve(info: np.ndarray, u: np.ndarray) -> np.ndarray:
    try:
        c = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(info, u, rcond=None)[0]
    y = np.linalg.solve(c, u)
    return np.linalg.solve(c.T, y)


def _rel_change(old: float, new: float) -> float:
    """R's |1 - old/new|, defined when the loglik is exactly 0."""
    if new == 0.0:
        return 0.0 if old == 0.0 else float("inf")
    return abs(1.0 - old / new)


def newton(cd: CoxData, *, eps: float = 1e-9, max_iter: int = 30, polish: int = 0,
           check: Callable[[np.ndarray], None] | None = None) -> NewtonResult:
    """See :func:`_newton`; overflow on the way is caught by the halving rule (as R)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return _newton(cd, eps=eps, max_iter=max_iter, polish=polish, check=check)


def _newton(cd: CoxData, *, eps: float, max_iter: int, polish: int,
            check: Callable[[np.ndarray], None] | None) -> NewtonResult:
    """Newton-Raphson with step halving, as coxfit6.c.

    The iterations up to the loglik criterion ``|1 - ll_old/ll_new| <= eps`` are
    those of R (start at 0, same halving rule), so the estimate is R's iterate, and a
    fit that R stops early (monotone likelihood) stops at the same point. With
    ``polish > 0`` and no coefficient looking infinite, up to ``polish`` further
    Newton steps are taken until the step is below 1e-13 relative (the MLE to full
    precision; R with a tighter ``eps``). The default (0) returns R's iterate.
    """
    p = cd.x.shape[1]
    beta = np.zeros(p)
    rs = risk_sums(cd, beta)
    ll0, u0, i0 = loglik_score_info(cd, rs)
    if check is not None:
        check(i0)  # e.g. refuse a singular information before iterating
    step = _solve(i0, u0)
    sctest = float(u0 @ step)
    best_ll, best_beta, best_u, best_i, best_rs = ll0, beta, u0, i0, rs
    newbeta = beta + step
    halving = 0
    converged = False
    it = 0
    ll, u, info = ll0, u0, i0
    for it in range(1, max_iter + 1):  # noqa: B007
        rs = risk_sums(cd, newbeta)
        ll, u, info = loglik_score_info(cd, rs)
        finite = np.isfinite(ll) and np.all(np.isfinite(u)) and np.all(np.isfinite(info))
        if finite and _rel_change(best_ll, ll) <= eps:
            converged = True
            beta = newbeta
            break
        if not finite or ll < best_ll:
            halving += 1
            newbeta = (newbeta + halving * best_beta) / (halving + 1.0)
        else:
            halving = 0
            best_ll, best_beta, best_u, best_i, best_rs = ll, newbeta, u, info, rs
            newbeta = newbeta + _solve(info, u)
    if not converged:
        beta, ll, u, info, rs = best_beta, best_ll, best_u, best_i, best_rs
    step = _solve(info, u)
    big = (np.abs(step) > eps) & (np.abs(step) > np.sqrt(eps) * np.abs(beta))
    infinite = ~np.isfinite(u) | ~np.isfinite(step) | big
    if converged and not infinite.any():
        for _ in range(polish):
            if np.max(np.abs(step) / np.maximum(1.0, np.abs(beta))) <= 1e-13:
                break
            nb = beta + step
            rs2 = risk_sums(cd, nb)
            ll2, u2, i2 = loglik_score_info(cd, rs2)
            if not np.isfinite(ll2) or ll2 < ll - 1e-12 * abs(ll):
                break
            beta, ll, u, info, rs = nb, ll2, u2, i2, rs2
            it += 1
            step = _solve(info, u)
    return NewtonResult(
        beta=beta, loglik_init=ll0, loglik=ll, score_test=sctest, u_init=u0, info_init=i0,
        score=u, info=info, iterations=it, converged=converged, infinite=infinite,
        halving=halving > 0, rs=rs,
    )


def score_residuals(cd: CoxData, beta: np.ndarray) -> np.ndarray:
    """Score residuals (unweighted, sorted order) as R's coxscore2.c / agscore3.c.

    For row i: delta_i (x_i - abar_k) - exp(eta_i) * sum over the Efron terms
    of the event times at which i is at risk of m (x_i - a_l) / D_l, where a
    death at t_k takes only (1 - l/d) of the l-th term and abar_k is the plain
    mean of a_l over l.
    """
    rs = risk_sums(cd, beta)
    ec = event_coefs(cd, rs)
    k = cd.ev_slot.size
    b = xbar_hazard(rs, ec, cd.efron and cd.any_tied)  # sum_l m a_l / D_l
    f = rs.s1 * ec.beta[:, None] - rs.d1 * ec.gamma[:, None]  # sum_l m f_l a_l / D_l
    cc = at_risk_cumsum(cd, ec.c)
    bb = at_risk_cumsum(cd, b)
    dk = cd.death_k
    dead = dk >= 0
    dki = np.maximum(dk, 0)
    own_c = np.where(dead, ec.e[dki], 0.0)
    own_b = np.where(dead[:, None], f[dki], 0.0)
    # plain mean over l of a_l = S1 mean(1/D) - D1 mean(f/D)
    cnt = cd.ndead if cd.efron else np.ones(k)
    inv = _pair_sum(cd, 1.0 / rs.denom, k) / cnt
    finv = _pair_sum(cd, cd.pair_frac / rs.denom, k) / cnt
    abar = rs.s1 * inv[:, None] - rs.d1 * finv[:, None]
    risk = np.exp(rs.eta)
    resid = -risk[:, None] * (cd.x * (cc - own_c)[:, None] - (bb - own_b))
    resid[dead] += cd.x[dead] - abar[dk[dead]]
    return np.asarray(resid)


def xbar_hazard(rs: RiskSums, ec: EventCoefs, tied: bool = True,
                overwrite: bool = False) -> np.ndarray:
    """Per event time, sum over the Efron terms of m a_l / D_l  (K x p). ``tied=False``
    (Breslow, or no tied deaths: the Efron fractions are all 0) skips the D1 term;
    ``overwrite`` writes the result into ``rs.s1`` (no new K x p array: with many event
    times a fresh one costs more than the arithmetic)."""
    out = rs.s1 if overwrite else None
    prod = np.multiply(rs.s1, ec.alpha[:, None], out=out)
    if tied:
        prod -= rs.d1 * ec.beta[:, None]
    return np.asarray(prod)


def at_risk_sum(cd: CoxData, v: np.ndarray) -> np.ndarray:
    """Per event time: the sum of ``v`` over the rows at risk."""
    t = np.bincount(cd.hi, weights=v, minlength=cd.n_slots)[: cd.n_slots]
    if cd.has_entry:
        t = t - np.bincount(cd.lo, weights=v, minlength=cd.n_slots)[: cd.n_slots]
    return _rev_excl(t, cd.seg)[cd.ev_slot]
