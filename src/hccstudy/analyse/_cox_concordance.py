"""Harrell's concordance of a Cox fit and its infinitesimal-jackknife standard error.

Matches R's ``concordancefit(y, lp, strata, weights, reverse = TRUE)`` as called
by ``coxph``: a pair (i, j) is comparable when i has an event at t and j is at
risk at t without an event at t (censored at t counts as longer); it is
concordant when the subject with the event has the larger linear predictor.
C = (concordant + tied.x / 2) / (concordant + discordant + tied.x); the
variance is R's: ``sum(dfbeta^2) / 4`` with dfbeta from the per-observation
counts (summed within cluster when clustered).

Counting is vectorised: "at risk at event time k" is ``lo_j <= k < hi_j`` in the
slot numbering of :mod:`._cox_fit`, so every count is a 2-d dominance count
(slot, rank of the linear predictor), done level by level over the bits of the
rank with sorted keys and cumulative sums: O(n log^2 n), no Python loop over rows.
"""

from __future__ import annotations

import numpy as np

from hccstudy.analyse._cox_fit import CoxData, at_risk_cumsum, at_risk_sum

__all__ = ["concordance"]


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


def _wavelet(seq_rank: np.ndarray, seq_dead: np.ndarray, seq_w: np.ndarray,
             group_bounds: np.ndarray, nrank: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per item of a sequence (split into independent groups, e.g. strata):

    ``less`` / ``eqb``: weight of earlier items with smaller / equal rank (used for
    dead items); ``gta`` / ``eqa``: weight of later *dead* items with larger /
    equal rank. A wavelet-tree pass over the bits of the rank: at each level the
    sequence is stably partitioned by the bit within its current groups, so every
    level costs a few O(N) vector operations (O(N log N) in all).
    """
    n = seq_rank.size
    pos = np.arange(n)
    rk = seq_rank.copy()
    ww = seq_w.copy()
    wd = np.where(seq_dead, seq_w, 0.0)  # weight of dead items only
    idx = pos.copy()
    gid = np.repeat(np.arange(group_bounds.size - 1), np.diff(group_bounds))
    gs = group_bounds[:-1][gid]
    ge = group_bounds[1:][gid]
    less = np.zeros(n)  # kept in the current order, permuted with the items
    gta = np.zeros(n)
    ca = np.zeros(n + 1)
    cq = np.zeros(n + 1)
    cz = np.zeros(n + 1, dtype=np.int64)
    nbits = max(1, int(nrank - 1).bit_length())
    for b in range(nbits - 1, -1, -1):
        bit = ((rk >> b) & 1).astype(bool)
        z = ~bit
        np.cumsum(ww * z, out=ca[1:])
        q1 = wd * bit
        np.cumsum(q1, out=cq[1:])
        # dead items with bit 1: earlier items of the group with bit 0 (smaller rank)
        less += np.where(q1 > 0, ca[:-1] - ca[gs], 0.0)
        # items with bit 0: later dead items of the group with bit 1 (larger rank)
        gta += np.where(z, cq[ge] - cq[1:], 0.0)
        np.cumsum(z, out=cz[1:])
        czs = cz[gs]
        nz = cz[ge] - czs
        b0 = cz[:-1] - czs
        newpos = np.where(z, gs + b0, pos + nz - b0)
        ngs = np.where(z, gs, gs + nz)
        nge = np.where(z, gs + nz, ge)
        inv = np.empty_like(newpos)
        inv[newpos] = pos
        rk = rk[inv]
        ww = ww[inv]
        wd = wd[inv]
        idx = idx[inv]
        gs = ngs[inv]
        ge = nge[inv]
        less = less[inv]
        gta = gta[inv]
    np.cumsum(ww, out=ca[1:])
    np.cumsum(wd, out=cq[1:])
    out_less = np.empty(n)
    out_gta = np.empty(n)
    eqb = np.empty(n)
    eqa = np.empty(n)
    out_less[idx] = less
    out_gta[idx] = gta
    eqb[idx] = ca[:-1] - ca[gs]
    eqa[idx] = cq[ge] - cq[1:]
    return out_less, eqb, out_gta, eqa


def _fast_counts(cd: CoxData, rank: np.ndarray, nrank: int, lp: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Right-censored data: risk sets are suffixes in time, so one wavelet pass.

    Sequence = rows in decreasing time (per stratum); within a tied time the
    censored rows come first and the deaths follow in decreasing lp, so the
    earlier items of a death are its comparable partners plus tied deaths with
    lp >= its own (which add nothing to ``less``; their equal-lp part is removed).
    """
    n = rank.size
    dead = cd.status > 0
    # reverse of (stratum, time asc, deaths first with lp ascending)
    order = np.arange(n)
    if cd.any_tied:
        # sort the deaths of each tied time by lp (ascending in forward order)
        dpos = np.flatnonzero(dead)
        o = np.lexsort((lp[dpos], cd.death_k[dpos]))
        order = order.copy()
        order[dpos] = dpos[o]
    seq = order[::-1]
    # strata in reversed order: group bounds in sequence positions
    counts = np.diff(cd.row_seg)[::-1]
    bounds = np.concatenate(([0], np.cumsum(counts)))
    less, eqb, gta, eqa = _wavelet(rank[seq], dead[seq], cd.w[seq], bounds, nrank)
    out = [np.empty(n) for _ in range(4)]
    for o_arr, v in zip(out, (less, eqb, gta, eqa), strict=True):
        o_arr[seq] = v
    return out[0], out[1], out[2], out[3]


def concordance(cd: CoxData, lp: np.ndarray, cluster: np.ndarray | None,
                entry: np.ndarray | None) -> tuple[float, float]:
    """Harrell's C (higher lp = earlier event) and its standard error, as R's coxph."""
    w = cd.w
    _, rank = np.unique(lp, return_inverse=True)
    rank = rank.astype(np.int64)
    nrank = int(rank.max()) + 1
    dead = np.flatnonzero(cd.status > 0)
    if dead.size == 0:
        return float("nan"), float("nan")
    if not cd.has_entry:
        return _concordance_fast(cd, lp, rank, nrank, dead, cluster)
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
    npair = conc + disc + tiex
    if npair <= 0:
        return float("nan"), float("nan")
    somer = (conc - disc) / npair
    dfb = w * ((ic - idc) / npair - (somer / npair) * (ic + idc + ie))
    if cluster is not None:
        dfb = np.bincount(cluster, weights=dfb)
    var = float(np.sum(dfb * dfb)) / 4.0
    return (somer + 1.0) / 2.0, float(np.sqrt(var))



def _concordance_fast(cd: CoxData, lp: np.ndarray, rank: np.ndarray, nrank: int,
                      dead: np.ndarray, cluster: np.ndarray | None) -> tuple[float, float]:
    w = cd.w
    k = cd.death_k[dead]
    dr = rank[dead]
    dw = w[dead]
    less, eqb, gta, eqa = _fast_counts(cd, rank, nrank, lp)
    dw_ev = np.bincount(k, weights=dw, minlength=cd.ev_slot.size)
    bt = dw_ev[k]  # weight of all deaths at the same time (tied.y partners and self)
    # within a tied time the deaths are in increasing lp (forward order): for death i
    # the tied deaths before it in the reversed sequence have lp >= lp_i; those with
    # equal lp before it (weight), and after it, are tied.y pairs to remove.
    if cd.any_tied:
        eq_before, eq_after = _tied_equal_split(cd, k, dr, dw, lp)
    else:
        eq_before = eq_after = np.zeros(k.size)
    wrisk = at_risk_sum(cd, w)[k]
    d_less = less[dead]
    d_eq = eqb[dead] - eq_before
    d_tot = wrisk - bt
    d_gt = d_tot - d_less - d_eq
    conc = float(dw @ d_less)
    disc = float(dw @ d_gt)
    tiex = float(dw @ d_eq)
    p_tot = at_risk_cumsum(cd, dw_ev)
    p_gt = gta.copy()
    p_eq = eqa.copy()
    p_eq[dead] -= eq_after
    p_tot[dead] -= bt
    p_lt = p_tot - p_gt - p_eq
    return _finish(w, dead, d_less, d_gt, d_eq, p_gt, p_lt, p_eq, conc, disc, tiex, cluster)


def _tied_equal_split(cd: CoxData, k: np.ndarray, dr: np.ndarray, dw: np.ndarray,
                      lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each death: weight of the same-time deaths with equal lp placed before /
    after it in the reversed sequence (self excluded)."""
    m = k.size
    # forward order used by _fast_counts: (k, lp) ascending, stable in row order
    o = np.lexsort((lp[np.flatnonzero(cd.status > 0)], k))
    ks, rs, ws = k[o], dr[o], dw[o]
    newg = np.r_[True, (ks[1:] != ks[:-1]) | (rs[1:] != rs[:-1])]
    gstart = np.maximum.accumulate(np.where(newg, np.arange(m), 0))
    gend_idx = np.r_[np.flatnonzero(newg)[1:], m]
    gend = gend_idx[np.cumsum(newg) - 1]
    cw = np.concatenate(([0.0], np.cumsum(ws)))
    fwd_before = cw[np.arange(m)] - cw[gstart]  # earlier in forward = later in reversed
    fwd_after = cw[gend] - cw[np.arange(m) + 1]
    before = np.empty(m)
    after = np.empty(m)
    before[o] = fwd_after
    after[o] = fwd_before
    return before, after


def _finish(w: np.ndarray, dead: np.ndarray, d_less: np.ndarray, d_gt: np.ndarray,
            d_eq: np.ndarray, p_gt: np.ndarray, p_lt: np.ndarray, p_eq: np.ndarray,
            conc: float, disc: float, tiex: float, cluster: np.ndarray | None
            ) -> tuple[float, float]:
    ic = p_gt.copy()
    idc = p_lt.copy()
    ie = p_eq.copy()
    ic[dead] += d_less
    idc[dead] += d_gt
    ie[dead] += d_eq
    npair = conc + disc + tiex
    if npair <= 0:
        return float("nan"), float("nan")
    somer = (conc - disc) / npair
    dfb = w * ((ic - idc) / npair - (somer / npair) * (ic + idc + ie))
    if cluster is not None:
        dfb = np.bincount(cluster, weights=dfb)
    var = float(np.sum(dfb * dfb)) / 4.0
    return (somer + 1.0) / 2.0, float(np.sqrt(var))
