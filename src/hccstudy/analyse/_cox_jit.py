"""Compiled (numba) kernels of the Cox model for right-censored data.

:func:`suffix_sums`: the risk-set sums S0, S1 and the deaths' own sums D0, D1 at
every event time, one backward pass per column over the sorted rows (no n x p
temporary; D0, D1 summed directly, not as a difference of suffix sums).

:func:`event_coefs`: the per-event-time sums over the Efron terms, one pass.

:func:`counts`: the concordance counts. Rows arrive in the order of
:mod:`._cox_fit` (stratum, time, deaths first) and are grouped in blocks of
equal ``hi`` (one block per event time: its deaths, then the rows censored
before the next event time). ``rank`` numbers the linear predictor within
disjoint ranges per stratum (stratum-major), so one Fenwick tree serves all
strata without a reset.

* Backward pass (death side): the tree holds the rows of later blocks and the
  censored rows of the current block; each death reads the weight of its
  partners with smaller / equal lp and their total.
* Forward pass (partner side): the tree holds the deaths of earlier blocks
  (plus those of the current block for its censored rows); each row reads the
  weight of those deaths with smaller / equal lp and their total.

The passes are independent and release the GIL, so from 1e5 rows they run on
two threads. Kernels are compiled once and cached (``cache=True``, about 3 s);
numba is imported here only, and this module only inside the functions that
use it, so ``import hccstudy`` stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

__all__ = ["counts", "event_coefs", "piece_pass", "suffix_sums"]


@njit(cache=True, nogil=True)
def _event_coefs(pair_k: np.ndarray, pair_w: np.ndarray, pair_frac: np.ndarray,
                 denom: np.ndarray, mult: np.ndarray, use_mult: bool,
                 k_: int) -> Any:  # pragma: no cover - compiled
    c = np.zeros(k_)
    e = np.zeros(k_)
    a = np.zeros(k_)
    b = np.zeros(k_)
    g = np.zeros(k_)
    for i in range(pair_k.size):
        k = pair_k[i]
        m = pair_w[i] * mult[k] if use_mult else pair_w[i]
        q = m / denom[i]
        q2 = q / denom[i]
        f = pair_frac[i]
        c[k] += q
        a[k] += q2
        e[k] += q * f
        b[k] += q2 * f
        g[k] += q2 * f * f
    return c, e, a, b, g


def event_coefs(pair_k: np.ndarray, pair_w: np.ndarray, pair_frac: np.ndarray,
                denom: np.ndarray, mult: np.ndarray | None, k: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per event time k, over its Efron terms l with weight m = pair_w (times mult[k]) and
    fraction f: sums of m/D, m f/D, m/D^2, m f/D^2, m f^2/D^2."""
    use = mult is not None
    mm = np.ascontiguousarray(mult, dtype=float) if use else np.zeros(1)
    out = _event_coefs(np.ascontiguousarray(pair_k, dtype=np.int64),
                       np.ascontiguousarray(pair_w, dtype=float),
                       np.ascontiguousarray(pair_frac, dtype=float),
                       np.ascontiguousarray(denom, dtype=float), mm, use, int(k))
    return out[0], out[1], out[2], out[3], out[4]


@njit(cache=True, nogil=True)
def _suffix_col(v: np.ndarray, r: np.ndarray, use_r: bool, row_seg: np.ndarray,
                ev_seg: np.ndarray, ds: np.ndarray, de: np.ndarray, s: np.ndarray,
                d: np.ndarray) -> None:  # pragma: no cover - compiled
    """s[k] = sum of r v over rows >= ds[k] of its stratum, d[k] over [ds[k], de[k])
    (v alone when not ``use_r``)."""
    for j in range(row_seg.size - 1):
        i = row_seg[j + 1] - 1
        acc = 0.0
        for k in range(ev_seg[j + 1] - 1, ev_seg[j] - 1, -1):
            e = de[k]
            while i >= e:  # rows after this time's deaths
                acc += r[i] * v[i] if use_r else v[i]
                i -= 1
            dd = 0.0
            a = ds[k]
            while i >= a:  # the deaths
                dd += r[i] * v[i] if use_r else v[i]
                i -= 1
            acc += dd
            s[k] = acc
            d[k] = dd


@njit(cache=True, nogil=True)
def _suffix_sums(x: np.ndarray, r: np.ndarray, row_seg: np.ndarray, ev_seg: np.ndarray,
                 ds: np.ndarray, de: np.ndarray) -> Any:  # pragma: no cover - compiled
    p = x.shape[1]
    k_ = ds.size
    s0 = np.empty(k_)
    d0 = np.empty(k_)
    s1 = np.empty((p, k_))  # transposed: each column's pass writes contiguously
    d1 = np.empty((p, k_))
    _suffix_col(r, r, False, row_seg, ev_seg, ds, de, s0, d0)
    for q in range(p):  # column by column: contiguous reads of an F-ordered x
        _suffix_col(x[:, q], r, True, row_seg, ev_seg, ds, de, s1[q], d1[q])
    return s0, s1.T, d0, d1.T


def suffix_sums(x: np.ndarray, r: np.ndarray, row_seg: np.ndarray, ev_seg: np.ndarray,
                ds: np.ndarray, de: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per event time k (deaths in rows ``[ds[k], de[k])``; rows sorted by stratum and
    time, strata in rows ``row_seg``, their event times in ``ev_seg``): S0 = sum of r,
    S1 = sum of r x over the rows from ``ds[k]`` to the end of the stratum, and D0, D1
    over the deaths."""
    out = _suffix_sums(x, np.ascontiguousarray(r, dtype=float),
                       np.ascontiguousarray(row_seg, dtype=np.int64),
                       np.ascontiguousarray(ev_seg, dtype=np.int64),
                       np.ascontiguousarray(ds, dtype=np.int64),
                       np.ascontiguousarray(de, dtype=np.int64))
    return out[0], out[1], out[2], out[3]


@njit(cache=True, nogil=True)
def _backward(rank: np.ndarray, w: np.ndarray, dead: np.ndarray, starts: np.ndarray,
             bstrat: np.ndarray, nrank: int) -> Any:  # pragma: no cover - compiled
    n = rank.size
    nb = starts.size
    tree = np.zeros(nrank + 1)  # Fenwick tree over rank + 1
    point = np.zeros(nrank)  # weight at exactly this rank
    d_less = np.zeros(n)
    d_eq = np.zeros(n)
    d_tot = np.zeros(n)
    # ---- backward: partners of each death
    total = 0.0
    base = 0.0
    cur = -1
    for b in range(nb - 1, -1, -1):
        if bstrat[b] != cur:  # new stratum: its partners start from zero
            cur = bstrat[b]
            base = total
        b0 = starts[b]
        b1 = starts[b + 1] if b + 1 < nb else n
        nd = 0
        while b0 + nd < b1 and dead[b0 + nd]:
            nd += 1
        for i in range(b0 + nd, b1):  # censored rows of the block
            r = rank[i]
            wi = w[i]
            point[r] += wi
            total += wi
            j = r + 1
            while j <= nrank:
                tree[j] += wi
                j += j & (-j)
        for i in range(b0, b0 + nd):
            r = rank[i]
            s = 0.0
            j = r  # prefix over ranks < r
            while j > 0:
                s += tree[j]
                j -= j & (-j)
            d_less[i] = s
            d_eq[i] = point[r]
            d_tot[i] = total - base
        for i in range(b0, b0 + nd):
            r = rank[i]
            wi = w[i]
            point[r] += wi
            total += wi
            j = r + 1
            while j <= nrank:
                tree[j] += wi
                j += j & (-j)
    return d_less, d_eq, d_tot


@njit(cache=True, nogil=True)
def _forward(rank: np.ndarray, w: np.ndarray, dead: np.ndarray, starts: np.ndarray,
             bstrat: np.ndarray, nrank: int) -> Any:  # pragma: no cover - compiled
    n = rank.size
    nb = starts.size
    tree = np.zeros(nrank + 1)
    point = np.zeros(nrank)
    p_less = np.zeros(n)
    p_eq = np.zeros(n)
    p_tot = np.zeros(n)
    total = 0.0
    base = 0.0
    cur = -1
    for b in range(nb):
        if bstrat[b] != cur:  # earlier strata hold exactly the ranks below this one's
            cur = bstrat[b]
            base = total
        b0 = starts[b]
        b1 = starts[b + 1] if b + 1 < nb else n
        nd = 0
        while b0 + nd < b1 and dead[b0 + nd]:
            nd += 1
        for step in range(2):
            if step == 0:  # deaths: earlier deaths only
                lo, hi = b0, b0 + nd
            else:  # censored rows: the block's deaths too
                lo, hi = b0 + nd, b1
                for i in range(b0, b0 + nd):
                    r = rank[i]
                    wi = w[i]
                    point[r] += wi
                    total += wi
                    j = r + 1
                    while j <= nrank:
                        tree[j] += wi
                        j += j & (-j)
            for i in range(lo, hi):
                r = rank[i]
                s = 0.0
                j = r
                while j > 0:
                    s += tree[j]
                    j -= j & (-j)
                p_less[i] = s - base
                p_eq[i] = point[r]
                p_tot[i] = total - base
    return p_less, p_eq, p_tot


def counts(rank: np.ndarray, w: np.ndarray, dead: np.ndarray, starts: np.ndarray,
           bstrat: np.ndarray, nrank: int) -> tuple[np.ndarray, ...]:
    """Per row: (d_less, d_eq, d_tot), the weight of its partners with smaller, equal, any
    lp when it is a death (0 otherwise), and (p_less, p_eq, p_tot), the weight of the
    deaths it is comparable with, with smaller, equal, any lp. ``starts``: first row of
    each block, ``bstrat``: the stratum of each block (blocks of a stratum contiguous)."""
    args = (np.ascontiguousarray(rank, dtype=np.int64), np.ascontiguousarray(w, dtype=float),
            np.ascontiguousarray(dead, dtype=np.bool_),
            np.ascontiguousarray(starts, dtype=np.int64),
            np.ascontiguousarray(bstrat, dtype=np.int64), int(nrank))
    if rank.size < 100_000:
        return (*_backward(*args), *_forward(*args))
    # the passes are independent and release the GIL: run them side by side
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as ex:
        fut = ex.submit(_forward, *args)
        d = _backward(*args)
        f = fut.result()
    return (*d, *f)


@njit(cache=True, nogil=True, parallel=True, fastmath=True)
def _piece_pass(x: np.ndarray, w: np.ndarray, beta: np.ndarray, starts: np.ndarray
                ) -> Any:  # pragma: no cover - compiled
    n, p = x.shape
    npc = starts.size
    eta = np.zeros(n)
    r = np.empty(n)
    v0 = np.zeros(npc)
    v1 = np.zeros((npc, p))
    mom = np.zeros((npc, p, p))
    for k in prange(npc):
        a = starts[k]
        b = starts[k + 1] if k + 1 < npc else n
        for j in range(p):  # column by column: contiguous in an F-ordered x
            bj = beta[j]
            for i in range(a, b):
                eta[i] += x[i, j] * bj
        s0 = 0.0
        for i in range(a, b):
            ri = w[i] * np.exp(eta[i])
            r[i] = ri
            s0 += ri
        v0[k] = s0
        rx = np.empty(b - a)
        for j in range(p):
            t = 0.0
            for i in range(a, b):
                q = r[i] * x[i, j]
                rx[i - a] = q
                t += q
            v1[k, j] = t
            for m in range(j, p):
                t = 0.0
                for i in range(a, b):
                    t += rx[i - a] * x[i, m]
                mom[k, j, m] = t
                mom[k, m, j] = t
    return eta, r, v0, v1, mom


def piece_pass(x: np.ndarray, w: np.ndarray, beta: np.ndarray, starts: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the rows, grouped in pieces ``[starts[k], starts[k+1])``: the linear
    predictor eta = x beta, r = w exp(eta), and per piece the sums of r, r x and r x x'."""
    out = _piece_pass(x, np.ascontiguousarray(w, dtype=float),
                      np.ascontiguousarray(beta, dtype=float),
                      np.ascontiguousarray(starts, dtype=np.int64))
    return out[0], out[1], out[2], out[3], out[4]
