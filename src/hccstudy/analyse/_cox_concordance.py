"""Harrell's concordance of a Cox fit and its infinitesimal-jackknife standard error.

Matches R's ``concordancefit(y, lp, strata, weights, reverse = TRUE)`` as called
by ``coxph``: a pair (i, j) is comparable when i has an event at t and j is at
risk at t without an event at t (censored at t counts as longer); it is
concordant when the subject with the event has the larger linear predictor.
C = (concordant + tied.x / 2) / (concordant + discordant + tied.x); the
variance is R's: ``sum(dfbeta^2) / 4`` with dfbeta from the per-observation
counts (summed within cluster when clustered).

Right-censored data (the common case) are counted by a compiled kernel
(:mod:`._cox_jit`, numba). With many event times: two passes over the rows in time
order with a Fenwick tree over the ranks of the linear predictor, O(n log n). With
few event times (tied data: 2 x slots <= ``SLOT_MAX_FRACTION`` x rows) the roles are
swapped: one pass over the rows in order of the linear predictor (runs of equal lp
together) with a Fenwick tree over the event-time slots, which stays in cache,
O(n log K) after an O(n) radix sort. The per-row counts are the same (exactly, with
unit weights), so the IJ variance is too. (start, stop]
data are counted vectorised: "at risk at event time k" is ``lo_j <= k < hi_j`` in
the slot numbering of :mod:`._cox_fit`, so every count is a 2-d dominance count
(slot, rank of the linear predictor), done level by level over the bits of the
rank with sorted keys and cumulative sums: O(n log^2 n), no Python loop over rows.
That path also serves as the reference of the kernel in the tests.
"""

from __future__ import annotations

import numpy as np

from hccstudy.analyse import _cox_fit
from hccstudy.analyse._cox_fit import CoxData, at_risk_cumsum, at_risk_sum

__all__ = ["concordance"]

# the slot kernel when 2 x (event-time slots) <= this fraction of the rows
SLOT_MAX_FRACTION = 0.25


def _dominance(ps: np.ndarray, pr: np.ndarray, pw: np.ndarray, qs: np.ndarray,
               qr: np.ndarray, nrank: int) -> tuple[np.ndarray, np.ndarray]:
    """Per query: sum of pw over points with ps > qs and (pr < qr, pr == qr)."""
    smin = int(min(ps.min(), qs.min()))
    span = int(max(ps.max(), qs.max())) - smin + 2
    ps0 = ps.astype(np.int64) - smin
    qs0 = qs.astype(np.int64) - smin
    less = np.zeros(qs.size)
    nbits = max(1, int(nrank - 1).bit_length())
    for b in range(nbits):
        bp = (pr >> b) & 1
        bq = (qr >> b) & 1
        sel_p = bp == 0
        sel_q = bq == 1
        if not sel_p.any() or not sel_q.any():
            continue
        gp = pr[sel_p] >> (b + 1)
        gq = qr[sel_q] >> (b + 1)
        less[sel_q] += _range_sum(gp * span + ps0[sel_p], pw[sel_p],
                                  gq * span + qs0[sel_q], (gq + 1) * span)
    eq = _range_sum(pr * span + ps0, pw, qr * span + qs0, (qr + 1) * span)
    return less, eq


def _range_sum(pk: np.ndarray, pw: np.ndarray, lo_excl: np.ndarray, hi_excl: np.ndarray
               ) -> np.ndarray:
    """Sum of pw over points with lo_excl < key < hi_excl."""
    o = np.argsort(pk, kind="stable")
    ks = pk[o]
    cw = np.concatenate(([0.0], np.cumsum(pw[o])))
    a = np.searchsorted(ks, lo_excl, side="right")
    b = np.searchsorted(ks, hi_excl, side="left")
    return np.asarray(cw[b] - cw[a])


def _block_counts(k: np.ndarray, r: np.ndarray, w: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Among deaths with the same event index k: weight with smaller, equal, any rank."""
    o = np.lexsort((r, k))
    ks, rs, ws = k[o], r[o], w[o]
    cw = np.concatenate(([0.0], np.cumsum(ws)))
    n = ks.size
    newk = np.r_[True, ks[1:] != ks[:-1]]
    newg = newk | np.r_[True, rs[1:] != rs[:-1]]
    kstart = np.maximum.accumulate(np.where(newk, np.arange(n), 0))
    gstart = np.maximum.accumulate(np.where(newg, np.arange(n), 0))
    gend_idx = np.r_[np.flatnonzero(newg)[1:], n]
    gend = gend_idx[np.cumsum(newg) - 1]
    kend_idx = np.r_[np.flatnonzero(newk)[1:], n]
    kend = kend_idx[np.cumsum(newk) - 1]
    less = np.empty(n)
    eq = np.empty(n)
    tot = np.empty(n)
    less[o] = cw[gstart] - cw[kstart]
    eq[o] = cw[gend] - cw[gstart]
    tot[o] = cw[kend] - cw[kstart]
    return less, eq, tot


def concordance(cd: CoxData, lp: np.ndarray, cluster: np.ndarray | None,
                entry: np.ndarray | None, *, compiled: bool = True) -> tuple[float, float]:
    """Harrell's C (higher lp = earlier event) and its standard error, as R's coxph.

    Right-censored data from ``JIT_MIN_ROWS`` rows go through the compiled kernel
    (:mod:`._cox_jit`); others, or ``compiled=False``, through the vectorised
    dominance counts.
    """
    if not np.any(cd.status > 0):
        return float("nan"), float("nan")
    if compiled and not cd.has_entry and lp.size >= _cox_fit.JIT_MIN_ROWS:
        fast = _concordance_fast(cd, lp, cluster)
        if fast is not None:
            return fast
    return _concordance_numpy(cd, lp, cluster)


def _concordance_numpy(cd: CoxData, lp: np.ndarray, cluster: np.ndarray | None
                       ) -> tuple[float, float]:
    w = cd.w
    _, rank = np.unique(lp, return_inverse=True)
    rank = rank.astype(np.int64)
    nrank = int(rank.max()) + 1
    dead = np.flatnonzero(cd.status > 0)
    k = cd.death_k[dead]
    dslot = cd.ev_slot[k]
    dr = rank[dead]
    dw = w[dead]
    use_lo = cd.has_entry or cd.seg.size > 2
    # ---- death side: partners j at risk at the death's slot
    ps = cd.hi
    pw = w
    pr = rank
    if use_lo:
        ps = np.concatenate((cd.hi, cd.lo))
        pw = np.concatenate((w, -w))
        pr = np.concatenate((rank, rank))
    less, eq = _dominance(ps, pr, pw, dslot, dr, nrank)
    wrisk = at_risk_sum(cd, w)[k]
    bl, be, bt = _block_counts(k, dr, dw)
    d_less = less - bl
    d_eq = eq - be
    d_tot = wrisk - bt
    d_gt = d_tot - d_less - d_eq
    conc = float(dw @ d_less)
    disc = float(dw @ d_gt)
    tiex = float(dw @ d_eq)
    # ---- partner side: deaths i (slot in [lo_j, hi_j)) with rank >, <, == rank_j
    rrev = nrank - 1 - rank
    pts = -dslot
    g_hi, e_hi = _dominance(pts, rrev[dead], dw, -cd.hi, rrev, nrank)
    if cd.has_entry or cd.seg.size > 2:
        g_lo, e_lo = _dominance(pts, rrev[dead], dw, -cd.lo, rrev, nrank)
        p_gt = g_hi - g_lo  # deaths with larger lp: concordant for the partner
        p_eq = e_hi - e_lo
    else:
        p_gt = g_hi
        p_eq = e_hi
    dw_ev = np.bincount(k, weights=dw, minlength=cd.ev_slot.size)
    p_tot = at_risk_cumsum(cd, dw_ev)
    # remove the partner's own death block (same event time: tied.y, not comparable)
    p_gt[dead] -= bt - bl - be
    p_eq[dead] -= be
    p_tot[dead] -= bt
    p_lt = p_tot - p_gt - p_eq
    ic = p_gt.copy()
    idc = p_lt.copy()
    ie = p_eq.copy()
    ic[dead] += d_less
    idc[dead] += d_gt
    ie[dead] += d_eq
    return _dfbeta(w, ic, idc, ie, conc, disc, tiex, cluster)


def _stratum_ranks(cd: CoxData, lp: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense ranks of lp (equal lp, equal rank), in disjoint increasing ranges per stratum."""
    n = lp.size
    rank = np.empty(n, dtype=np.int64)
    off = 0
    for a, b in zip(cd.row_seg[:-1], cd.row_seg[1:], strict=True):
        if b <= a:
            continue
        seg = lp[a:b]
        o = np.argsort(seg)
        v = seg[o]
        new = np.empty(v.size, dtype=np.int64)
        new[0] = off
        np.not_equal(v[1:], v[:-1], out=new[1:])
        rk = np.cumsum(new)
        rank[a + o] = rk
        off = int(rk[-1]) + 1
    return rank, off


def _concordance_fast(cd: CoxData, lp: np.ndarray, cluster: np.ndarray | None,
                      by_slot: bool | None = None) -> tuple[float, float] | None:
    """Right-censored data with the compiled kernels; None when numba is unavailable.

    Few event-time slots (``by_slot``, by default ``SLOT_MAX_FRACTION`` of the rows):
    the rows in order of lp, Fenwick trees over the slots (:func:`._cox_jit.slot_counts`);
    else the rows in time order, a Fenwick tree over the ranks of lp
    (:func:`._cox_jit.counts`). The same counts either way.
    """
    try:
        from hccstudy.analyse import _cox_jit as jit
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    w = cd.w
    dead_b = cd.status > 0
    finite = bool(np.all(np.isfinite(lp)))
    if by_slot is None:
        by_slot = 2 * cd.n_slots <= SLOT_MAX_FRACTION * lp.size
    if by_slot:
        if finite:
            order, new = jit.lp_order(lp, cd.row_seg)  # radix sort, O(n)
        else:
            rank, _ = _stratum_ranks(cd, lp)
            order = np.argsort(rank, kind="stable")
            rs = rank[order]
            new = np.r_[True, rs[1:] != rs[:-1]]
        d_less, d_eq, d_tot, p_less, p_eq, p_tot = jit.slot_counts(
            order, new, cd.hi, w, dead_b, cd.row_seg, cd.seg)
    else:
        if finite:
            rank, nrank = jit.dense_ranks(lp, cd.row_seg)  # radix sort, O(n)
        else:
            rank, nrank = _stratum_ranks(cd, lp)
        bstrat = np.searchsorted(cd.row_seg, cd.hi_starts, side="right") - 1
        d_less, d_eq, d_tot, p_less, p_eq, p_tot = jit.counts(rank, w, dead_b, cd.hi_starts,
                                                              bstrat, nrank)
    d_gt = d_tot - d_less - d_eq
    dw = np.where(dead_b, w, 0.0)
    conc = float(dw @ d_less)
    disc = float(dw @ d_gt)
    tiex = float(dw @ d_eq)
    p_gt = p_tot - p_less - p_eq
    # per row: concordant = partner-side deaths with larger lp + (death) partners with smaller
    ic = p_gt + d_less
    idc = p_less + d_gt
    ie = p_eq + d_eq
    return _dfbeta(w, ic, idc, ie, conc, disc, tiex, cluster)


def _dfbeta(w: np.ndarray, ic: np.ndarray, idc: np.ndarray, ie: np.ndarray, conc: float,
            disc: float, tiex: float, cluster: np.ndarray | None) -> tuple[float, float]:
    """C and its std err from the per-row concordant / discordant / tied.x weights."""
    npair = conc + disc + tiex
    if npair <= 0:
        return float("nan"), float("nan")
    somer = (conc - disc) / npair
    dfb = w * ((ic - idc) / npair - (somer / npair) * (ic + idc + ie))
    if cluster is not None:
        dfb = np.bincount(cluster, weights=dfb)
    var = float(np.sum(dfb * dfb)) / 4.0
    return (somer + 1.0) / 2.0, float(np.sqrt(var))
