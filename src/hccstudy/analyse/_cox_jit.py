"""Compiled (numba) kernels of the Cox model for right-censored data.

:func:`suffix_sums`: the risk-set sums S0, S1 and the deaths' own sums D0, D1 at
every event time, one backward pass over the sorted rows for all columns (no n x p
temporary; D0, D1 summed directly, not as a difference of suffix sums).

:func:`x2h`: ``X' diag(h) X`` for one or several h, in cache-sized row chunks.

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

:func:`slot_counts`: the same counts for few event times, the roles swapped: the
rows in order of lp (:func:`lp_order`), runs of equal lp together, and a Fenwick tree
of pairs (all rows, deaths) over the slot keys 2 hi + censored of the stratum, small
enough to stay in cache; one pass, then the counts go back to row order.

The passes of :func:`counts` are independent and release the GIL, so from 1e5 rows
they run on two threads (the caller's cox.zph and baseline work runs beside them). With unit
weights the trees hold exact int32 counts (half the memory of float64, fewer
cache misses; the same numbers). No kernel uses numba's own threads (``parallel``), so
fits from several Python threads are safe whatever numba's threading layer.
:func:`dense_ranks` ranks the linear predictor by a radix sort. Kernels are compiled once and cached (``cache=True``, about 3 s);
numba is imported here only, and this module only inside the functions that
use it, so ``import hccstudy`` stays light.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numba import njit

__all__ = ["counts", "dense_ranks", "event_coefs", "gather_center", "lp_order", "matvec",
           "slot_counts", "suffix_sums", "unit_columns", "vecmat", "x2h"]

# reassociation lets the inner dot products vectorise (SIMD); the result is the same
# sum in another order (differences at the level of rounding, 1e-16 relative)
_FAST = {"reassoc", "contract"}


@njit(cache=True, nogil=True, fastmath=_FAST)
def _x2h(x: np.ndarray, hs: np.ndarray, chunk: int) -> Any:  # pragma: no cover - compiled
    n, p = x.shape
    m_ = hs.shape[1]
    out = np.zeros((m_, p, p))
    hx = np.empty((p, chunk))
    for a0 in range(0, n, chunk):
        a1 = min(a0 + chunk, n)
        ln = a1 - a0
        for m in range(m_):
            hm = hs[a0:a1, m]
            for j in range(p):
                xj = x[a0:a1, j]
                hj = hx[j]
                for i in range(ln):
                    hj[i] = xj[i] * hm[i]
            for j in range(p):
                hj = hx[j]
                for k in range(j, p):
                    xk = x[a0:a1, k]
                    s = 0.0
                    for i in range(ln):
                        s += hj[i] * xk[i]
                    out[m, j, k] += s
    for m in range(m_):
        for j in range(p):
            for k in range(j + 1, p):
                out[m, k, j] = out[m, j, k]
    return out


@njit(cache=True, nogil=True)
def _gather_center(x: np.ndarray, order: np.ndarray, means: np.ndarray,
                   out: np.ndarray) -> None:  # pragma: no cover - compiled
    n, p = out.shape
    for i in range(n):
        src = order[i]
        for j in range(p):
            out[i, j] = x[src, j] - means[j]


def gather_center(x: np.ndarray, order: np.ndarray, means: np.ndarray) -> np.ndarray:
    """``x[order] - means`` as a new F-ordered array, in one pass (rows of a C-ordered x
    are read whole)."""
    out = np.empty((order.size, x.shape[1]), order="F")
    _gather_center(x, np.ascontiguousarray(order, dtype=np.int64),
                   np.ascontiguousarray(means, dtype=float), out)
    return out


@njit(cache=True, nogil=True)
def _matvec(x: np.ndarray, b: np.ndarray) -> Any:  # pragma: no cover - compiled
    n, p = x.shape
    out = np.zeros(n)
    for j in range(p):  # column by column: every row sums its terms in the same order
        bj = b[j]
        for i in range(n):
            out[i] += x[i, j] * bj
    return out


def matvec(x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x @ b`` summed column by column, exactly as ``out += x[:, j] * b[j]`` for j in
    order: rows with equal values get bit-identical results (no BLAS threads)."""
    return np.asarray(_matvec(x, np.ascontiguousarray(b, dtype=float)))


@njit(cache=True, nogil=True, fastmath=_FAST)
def _vecmat(v: np.ndarray, x: np.ndarray) -> Any:  # pragma: no cover - compiled
    n, p = x.shape
    out = np.zeros(p)
    for j in range(p):
        s = 0.0
        for i in range(n):
            s += v[i] * x[i, j]
        out[j] = s
    return out


def vecmat(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``v @ x`` for an F-ordered x (a dot product per column, no BLAS threads)."""
    return np.asarray(_vecmat(np.ascontiguousarray(v, dtype=float),
                              np.asfortranarray(x, dtype=float)))


def x2h(x: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """``X' diag(hs[:, m]) X`` for every column m of ``hs`` (m x p x p), one pass over the
    rows of ``x`` in chunks that stay in cache (single-threaded: no BLAS threads, which
    slow down badly on a busy machine)."""
    out = _x2h(np.asfortranarray(x, dtype=float), np.asfortranarray(hs, dtype=float), 1024)
    return np.asarray(out)


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
def _suffix_sums(x: np.ndarray, r: np.ndarray, row_seg: np.ndarray, ev_seg: np.ndarray,
                 ds: np.ndarray, de: np.ndarray, want_d: bool) -> Any:  # pragma: no cover
    # one backward pass over the rows, all columns at once; per column the additions are
    # in the same order as a column-by-column pass
    p = x.shape[1]
    k_ = ds.size
    s0 = np.empty(k_)
    s1 = np.empty((p, k_))  # transposed on return: (K, p) in F order
    kd = k_ if want_d else 0
    d0 = np.empty(kd)
    d1 = np.empty((p, kd))
    acc = np.zeros(p)
    dd = np.zeros(p)
    for j in range(row_seg.size - 1):
        i = row_seg[j + 1] - 1
        acc0 = 0.0
        for q in range(p):
            acc[q] = 0.0
        for k in range(ev_seg[j + 1] - 1, ev_seg[j] - 1, -1):
            e = de[k]
            while i >= e:  # rows after this time's deaths
                ri = r[i]
                acc0 += ri
                for q in range(p):
                    acc[q] += ri * x[i, q]
                i -= 1
            dd0 = 0.0
            for q in range(p):
                dd[q] = 0.0
            a = ds[k]
            while i >= a:  # the deaths
                ri = r[i]
                dd0 += ri
                for q in range(p):
                    dd[q] += ri * x[i, q]
                i -= 1
            acc0 += dd0
            s0[k] = acc0
            for q in range(p):
                acc[q] += dd[q]
                s1[q, k] = acc[q]
            if want_d:
                d0[k] = dd0
                for q in range(p):
                    d1[q, k] = dd[q]
    return s0, s1.T, d0, d1.T


def suffix_sums(x: np.ndarray, r: np.ndarray, row_seg: np.ndarray, ev_seg: np.ndarray,
                ds: np.ndarray, de: np.ndarray, want_d: bool = True
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per event time k (deaths in rows ``[ds[k], de[k])``; rows sorted by stratum and
    time, strata in rows ``row_seg``, their event times in ``ev_seg``): S0 = sum of r,
    S1 = sum of r x over the rows from ``ds[k]`` to the end of the stratum, and D0, D1
    over the deaths (zeros unless ``want_d``: only Efron with tied deaths uses them)."""
    s0, s1, d0, d1 = _suffix_sums(np.asfortranarray(x, dtype=float),
                                  np.ascontiguousarray(r, dtype=float),
                                  np.ascontiguousarray(row_seg, dtype=np.int64),
                                  np.ascontiguousarray(ev_seg, dtype=np.int64),
                                  np.ascontiguousarray(ds, dtype=np.int64),
                                  np.ascontiguousarray(de, dtype=np.int64), bool(want_d))
    if not want_d:
        d0 = np.zeros(s0.size)
        d1 = np.zeros(s1.shape, order="F")
    return s0, s1, d0, d1


@njit(cache=True, nogil=True)
def _backward(rank: np.ndarray, w: np.ndarray, dead: np.ndarray, starts: np.ndarray,
             bstrat: np.ndarray, nrank: int) -> Any:  # pragma: no cover - compiled
    n = rank.size
    nb = starts.size
    zero = np.zeros(1, dtype=w.dtype)[0]  # float weights, or int32 counts (unit weights)
    tree = np.zeros(nrank + 1, dtype=w.dtype)  # Fenwick tree over rank + 1
    point = np.zeros(nrank, dtype=w.dtype)  # weight at exactly this rank
    d_less = np.zeros(n, dtype=w.dtype)
    d_eq = np.zeros(n, dtype=w.dtype)
    d_tot = np.zeros(n, dtype=w.dtype)
    # ---- backward: partners of each death
    total = zero
    base = zero
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
            s = zero
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
    zero = np.zeros(1, dtype=w.dtype)[0]
    tree = np.zeros(nrank + 1, dtype=w.dtype)
    point = np.zeros(nrank, dtype=w.dtype)
    p_less = np.zeros(n, dtype=w.dtype)
    p_eq = np.zeros(n, dtype=w.dtype)
    p_tot = np.zeros(n, dtype=w.dtype)
    total = zero
    base = zero
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
                s = zero
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
    ww = np.ascontiguousarray(w, dtype=float)
    if rank.size < (1 << 30) and bool(np.all(ww == 1.0)):
        ww = np.ones(ww.size, dtype=np.int32)  # exact integer counts in half the memory
    args = (np.ascontiguousarray(rank, dtype=np.int64), ww,
            np.ascontiguousarray(dead, dtype=np.bool_),
            np.ascontiguousarray(starts, dtype=np.int64),
            np.ascontiguousarray(bstrat, dtype=np.int64), int(nrank))
    if rank.size < 100_000 or _n_cpus() < 2:
        return tuple(np.asarray(v, dtype=float) for v in (*_backward(*args), *_forward(*args)))
    # the passes are independent and release the GIL: run them side by side
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as ex:
        fut = ex.submit(_forward, *args)
        d = _backward(*args)
        f = fut.result()
    return tuple(np.asarray(v, dtype=float) for v in (*d, *f))


@njit(cache=True, nogil=True)
def _fen2_add(tree: np.ndarray, i: int, v0: Any, v1: Any, size: int) -> None:  # pragma: no cover
    j = i + 1  # a Fenwick tree of pairs: both columns on one walk
    while j <= size:
        tree[j, 0] += v0
        tree[j, 1] += v1
        j += j & (-j)


@njit(cache=True, nogil=True)
def _fen2_sum(tree: np.ndarray, i: int, zero: Any) -> Any:  # pragma: no cover - compiled
    s0 = zero  # sums over positions < i
    s1 = zero
    j = i
    while j > 0:
        s0 += tree[j, 0]
        s1 += tree[j, 1]
        j -= j & (-j)
    return s0, s1


@njit(cache=True, nogil=True)
def _fen2_clear(tree: np.ndarray, i: int, size: int, zero: Any) -> None:  # pragma: no cover
    j = i + 1
    while j <= size:
        tree[j, 0] = zero
        tree[j, 1] = zero
        j += j & (-j)


@njit(cache=True, nogil=True)
def _slot_counts(order: np.ndarray, new: np.ndarray, hi: np.ndarray, w: np.ndarray,
                 dead: np.ndarray, row_seg: np.ndarray, seg: np.ndarray,
                 unit: bool) -> Any:  # pragma: no cover - compiled
    n = order.size
    zero = np.zeros(1, dtype=w.dtype)[0]
    one = np.ones(1, dtype=w.dtype)[0]
    d_tot = np.zeros(n)
    p_tot = np.empty(n)
    key = np.empty(n, dtype=np.int32)
    lmax = 1
    for s in range(seg.size - 1):
        lmax = max(lmax, 2 * (seg[s + 1] - seg[s]))
    # by slot key: (all rows, deaths) in a Fenwick tree of pairs, all rows per key
    tr = np.zeros((lmax + 1, 2), dtype=w.dtype)
    pa = np.zeros(lmax, dtype=w.dtype)
    et = np.zeros((lmax + 1, 2), dtype=w.dtype)  # the same for a run of equal lp only
    epa = np.zeros(lmax, dtype=w.dtype)
    sa = np.zeros(lmax + 1, dtype=w.dtype)
    sd = np.zeros(lmax + 1, dtype=w.dtype)
    for s in range(row_seg.size - 1):  # slot keys (2 slot + censored), totals: row order
        a = row_seg[s]
        b = row_seg[s + 1]
        if b <= a:
            continue
        base = seg[s]
        size = 2 * (seg[s + 1] - base)
        for k in range(size + 1):
            sa[k] = zero
            sd[k] = zero
        for i in range(a, b):
            dk = dead[i]
            k = 2 * (hi[i] - base) + (0 if dk else 1)
            key[i] = k
            wi = one if unit else w[i]
            sa[k] += wi
            if dk:
                sd[k] += wi
        acc = zero  # sa[k]: weight of rows with a larger key; sd[k]: deaths, smaller key
        for k in range(size - 1, -1, -1):
            v = sa[k]
            sa[k] = acc
            acc += v
        acc = zero
        for k in range(size):
            v = sd[k]
            sd[k] = acc
            acc += v
        for i in range(a, b):
            k = key[i]
            p_tot[i] = sd[k]
            if dead[i]:
                d_tot[i] = sa[k]
    # keys (and weights) in lp order: one gather, then sequential work
    ks = np.empty(n, dtype=np.int32)
    ws = np.empty(n if not unit else 1, dtype=w.dtype)
    for q in range(n):
        o = order[q]
        ks[q] = key[o]
        if not unit:
            ws[q] = w[o]
    dl = np.zeros(n, dtype=w.dtype)
    de = np.zeros(n, dtype=w.dtype)
    pl = np.empty(n, dtype=w.dtype)
    pe = np.zeros(n, dtype=w.dtype)
    ties = False
    for s in range(row_seg.size - 1):
        a = row_seg[s]
        b = row_seg[s + 1]
        if b <= a:
            continue
        size = 2 * (seg[s + 1] - seg[s])
        for k in range(size + 1):
            tr[k, 0] = zero
            tr[k, 1] = zero
        for k in range(size):
            pa[k] = zero
        ins = zero  # weight of the rows in the tree
        g0 = a
        while g0 < b:  # runs of equal lp, in increasing lp
            g1 = g0 + 1
            while g1 < b and not new[g1]:
                g1 += 1
            for q in range(g0, g1):  # smaller lp: the rows already in the tree
                k = ks[q]
                sa, sd = _fen2_sum(tr, k, zero)
                pl[q] = sd  # deaths with a smaller key
                if (k & 1) == 0:  # rows with a larger key
                    dl[q] = ins - sa - pa[k]
            if g1 - g0 > 1:  # equal lp: the run's own rows, in a tree of their own
                ties = True
                gins = zero
                for q in range(g0, g1):
                    k = ks[q]
                    wi = one if unit else ws[q]
                    _fen2_add(et, k, wi, wi if (k & 1) == 0 else zero, size)
                    epa[k] += wi
                    gins += wi
                for q in range(g0, g1):
                    k = ks[q]
                    sa, sd = _fen2_sum(et, k, zero)
                    pe[q] = sd
                    if (k & 1) == 0:
                        de[q] = gins - sa - epa[k]
                for q in range(g0, g1):
                    k = ks[q]
                    _fen2_clear(et, k, size, zero)
                    epa[k] = zero
            for q in range(g0, g1):
                k = ks[q]
                wi = one if unit else ws[q]
                _fen2_add(tr, k, wi, wi if (k & 1) == 0 else zero, size)
                pa[k] += wi
                ins += wi
            g0 = g1
    # back to row order
    d_less = np.empty(n)
    p_less = np.empty(n)
    for q in range(n):  # one array at a time: the written array stays in cache
        d_less[order[q]] = dl[q]
    for q in range(n):
        p_less[order[q]] = pl[q]
    if ties:
        d_eq = np.empty(n)
        p_eq = np.empty(n)
        for q in range(n):
            d_eq[order[q]] = de[q]
        for q in range(n):
            p_eq[order[q]] = pe[q]
    else:  # no equal lp: no tied.x
        d_eq = np.zeros(n)
        p_eq = np.zeros(n)
    return d_less, d_eq, d_tot, p_less, p_eq, p_tot


def slot_counts(order: np.ndarray, new: np.ndarray, hi: np.ndarray, w: np.ndarray,
                dead: np.ndarray, row_seg: np.ndarray, seg: np.ndarray
                ) -> tuple[np.ndarray, ...]:
    """The six per-row counts of :func:`counts`, for few event times: the rows are taken in
    order of the linear predictor (``order``, runs of equal lp starting where ``new``,
    within the strata ``row_seg``) and a Fenwick tree of pairs (all rows, deaths) is indexed
    by event-time slot (``hi``, slot offsets ``seg`` per stratum): 2 (K_s + 1) entries that
    stay in cache, O(n log K). A row's slot key is 2 (hi - seg[s]) + 1 when censored,
    2 (hi - seg[s]) when a death: its partners (death side) are the rows with a larger key,
    the deaths it is comparable with (partner side) those with a smaller key. Exact integer
    counts with unit weights; with other weights the same sums in another order."""
    ww = np.ascontiguousarray(w, dtype=float)
    unit = bool(np.all(ww == 1.0))
    if unit and order.size < (1 << 30):
        ww = np.ones(1, dtype=np.int32)  # exact integer counts, the weights not read
    else:
        unit = False
    out = _slot_counts(np.ascontiguousarray(order, dtype=np.int64),
                       np.ascontiguousarray(new, dtype=np.bool_),
                       np.ascontiguousarray(hi, dtype=np.int64), ww,
                       np.ascontiguousarray(dead, dtype=np.bool_),
                       np.ascontiguousarray(row_seg, dtype=np.int64),
                       np.ascontiguousarray(seg, dtype=np.int64), unit)
    return tuple(np.asarray(v) for v in out)


@njit(cache=True, nogil=True)
def _sort_keys(v: np.ndarray, seg: np.ndarray) -> Any:  # pragma: no cover - compiled
    # order-preserving integer keys of the values, sorted within each segment [a, b):
    # returns (sorted keys, order) with order[p] the row at sorted position p
    n = v.size
    key = (v + 0.0).view(np.uint64)  # a copy; -0.0 + 0.0 = 0.0: equal values, equal keys
    top = np.uint64(1) << np.uint64(63)
    for i in range(n):
        k = key[i]
        key[i] = ~k if k & top else k | top  # unsigned order = float order
    k2 = np.empty(n, dtype=np.uint64)
    i1 = np.arange(n)
    i2 = np.empty(n, dtype=np.int64)
    sk = np.empty(n, dtype=np.uint64)
    order = np.empty(n, dtype=np.int64)
    cnt = np.zeros((8, 257), dtype=np.int64)
    mask = np.uint64(255)
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
        for i in range(a, b):
            sk[i] = src_k[i]
            order[i] = src_i[i]
    return sk, order


@njit(cache=True, nogil=True)
def _dense_ranks(v: np.ndarray, seg: np.ndarray) -> Any:  # pragma: no cover - compiled
    # dense ranks of the values within each segment, offset so that segments do not overlap
    sk, order = _sort_keys(v, seg)
    rank = np.empty(v.size, dtype=np.int64)
    off = 0
    for j in range(seg.size - 1):
        a = seg[j]
        b = seg[j + 1]
        if b <= a:
            continue
        r = off
        rank[order[a]] = r
        for i in range(a + 1, b):
            if sk[i] != sk[i - 1]:
                r += 1
            rank[order[i]] = r
        off = r + 1
    return rank, off


@njit(cache=True, nogil=True)
def _lp_order(v: np.ndarray, seg: np.ndarray) -> Any:  # pragma: no cover - compiled
    sk, order = _sort_keys(v, seg)
    new = np.empty(v.size, dtype=np.bool_)
    for j in range(seg.size - 1):
        a = seg[j]
        b = seg[j + 1]
        if b <= a:
            continue
        new[a] = True
        for i in range(a + 1, b):
            new[i] = sk[i] != sk[i - 1]
    return order, new


def lp_order(v: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of each segment ``[seg[j], seg[j+1])`` sorted by the finite values ``v``
    (``order[p]``: the row at sorted position p, ties in row order) and whether position p
    starts a run of equal values (a new segment always does). Radix sort, O(n)."""
    order, new = _lp_order(np.ascontiguousarray(v, dtype=float),
                           np.ascontiguousarray(seg, dtype=np.int64))
    return order, new


def dense_ranks(v: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense ranks of the finite values ``v`` (equal values, equal rank) within each segment
    ``[seg[j], seg[j+1])``, in disjoint increasing ranges per segment; and the number of
    ranks. A radix sort of the values' bit patterns (O(n))."""
    rank, nrank = _dense_ranks(np.ascontiguousarray(v, dtype=float),
                               np.ascontiguousarray(seg, dtype=np.int64))
    return rank, int(nrank)



@njit(cache=True, nogil=True)
def _unit_columns(x: np.ndarray, cand: np.ndarray) -> Any:  # pragma: no cover - compiled
    out = np.zeros(x.shape[1], dtype=np.bool_)
    ok = np.ones(cand.size, dtype=np.bool_)
    left = cand.size
    if x.flags.f_contiguous:  # column by column, each stops at its first other value
        for c in range(cand.size):
            j = cand[c]
            for i in range(x.shape[0]):
                v = x[i, j]
                if v != 0.0 and v != 1.0 and v != -1.0:
                    ok[c] = False
                    break
    else:  # row by row (rows contiguous), until every candidate has failed
        for i in range(x.shape[0]):
            for c in range(cand.size):
                if ok[c]:
                    v = x[i, cand[c]]
                    if v != 0.0 and v != 1.0 and v != -1.0:
                        ok[c] = False
                        left -= 1
            if left == 0:
                break
    for c in range(cand.size):
        out[cand[c]] = ok[c]
    return out


def unit_columns(x: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Per column of ``x``: whether it is a candidate whose values all lie in {-1, 0, 1}."""
    return np.asarray(_unit_columns(x, np.ascontiguousarray(cand, dtype=np.int64)))
