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
two threads when more than two cores are available (on two, the caller's cox.zph
work runs beside them). :func:`suffix_sums` runs its columns on numba's threads;
:func:`dense_ranks` ranks the linear predictor by a radix sort. Kernels are compiled once and cached (``cache=True``, about 3 s);
numba is imported here only, and this module only inside the functions that
use it, so ``import hccstudy`` stays light.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numba import njit, prange

__all__ = ["counts", "dense_ranks", "event_coefs", "suffix_sums"]


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


@njit(cache=True, nogil=True, parallel=True)
def _suffix_sums(x: np.ndarray, r: np.ndarray, row_seg: np.ndarray, ev_seg: np.ndarray,
                 ds: np.ndarray, de: np.ndarray) -> Any:  # pragma: no cover - compiled
    p = x.shape[1]
    k_ = ds.size
    # row 0: S0, D0; row q + 1: column q of S1, D1 (each pass writes contiguously)
    s = np.empty((p + 1, k_))
    d = np.empty((p + 1, k_))
    for q in prange(p + 1):  # column by column (threads): contiguous reads of an F-ordered x
        if q == 0:
            _suffix_col(r, r, False, row_seg, ev_seg, ds, de, s[0], d[0])
        else:
            _suffix_col(x[:, q - 1], r, True, row_seg, ev_seg, ds, de, s[q], d[q])
    return s[0], s[1:].T, d[0], d[1:].T


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


def _n_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


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
    # on two cores or fewer the caller's own work (cox.zph, beside this) takes the other
    if rank.size < 100_000 or _n_cpus() <= 2:
        return (*_backward(*args), *_forward(*args))
    # the passes are independent and release the GIL: run them side by side
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as ex:
        fut = ex.submit(_forward, *args)
        d = _backward(*args)
        f = fut.result()
    return (*d, *f)


@njit(cache=True, nogil=True)
def _dense_ranks(v: np.ndarray, seg: np.ndarray) -> Any:  # pragma: no cover - compiled
    n = v.size
    key = (v + 0.0).view(np.uint64)  # a copy; -0.0 + 0.0 = 0.0: equal values, equal keys
    top = np.uint64(1) << np.uint64(63)
    for i in range(n):
        k = key[i]
        key[i] = ~k if k & top else k | top  # unsigned order = float order
    rank = np.empty(n, dtype=np.int64)
    k2 = np.empty(n, dtype=np.uint64)
    i1 = np.arange(n)
    i2 = np.empty(n, dtype=np.int64)
    cnt = np.zeros((8, 257), dtype=np.int64)
    mask = np.uint64(255)
    off = 0
    for j in range(seg.size - 1):
        a = seg[j]
        b = seg[j + 1]
        if b <= a:
            continue
        m = b - a
        cnt[:] = 0
        for i in range(a, b):  # the histograms of all passes in one read
            k = key[i]
            for q in range(8):
                cnt[q, ((k >> np.uint64(8 * q)) & mask) + 1] += 1
        src_k, src_i, dst_k, dst_i = key, i1, k2, i2
        for q in range(8):  # LSD radix sort, 8 bits a pass, within [a, b)
            c = cnt[q]
            if c[1:].max() == m:  # one bucket: the pass keeps the order
                continue
            c[0] = a
            for t in range(256):
                c[t + 1] += c[t]
            shift = np.uint64(8 * q)
            for i in range(a, b):
                kk = src_k[i]
                d = (kk >> shift) & mask
                pos = c[d]
                c[d] = pos + 1
                dst_k[pos] = kk
                dst_i[pos] = src_i[i]
            src_k, src_i, dst_k, dst_i = dst_k, dst_i, src_k, src_i
        r = off
        rank[src_i[a]] = r
        for i in range(a + 1, b):
            if src_k[i] != src_k[i - 1]:
                r += 1
            rank[src_i[i]] = r
        off = r + 1
    return rank, off


def dense_ranks(v: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense ranks of the finite values ``v`` (equal values, equal rank) within each segment
    ``[seg[j], seg[j+1])``, in disjoint increasing ranges per segment; and the number of
    ranks. A radix sort of the values' bit patterns (O(n))."""
    rank, nrank = _dense_ranks(np.ascontiguousarray(v, dtype=float),
                               np.ascontiguousarray(seg, dtype=np.int64))
    return rank, int(nrank)

