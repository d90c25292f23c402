"""Kernels of the competing-risk estimators: Aalen-Johansen CIF with cmprsk's
variance, and Gray's K-sample score and variance.

Both are vectorised translations of Robert Gray's Fortran in R cmprsk 2.2-11
(``cinc`` in cincsub.f, ``crst`` in crstm.f): the per-time recursions there are
cumulative sums here, so the cost is O(n + m log m) for m distinct times (times
``G^2`` for G groups in Gray's test) and no loop over rows or times runs in Python.
"""

from __future__ import annotations

import numpy as np

from hccstudy.analyse._counting import encode_times

__all__ = ["cif_kernel", "gray_kernel"]


def _t5(nd: np.ndarray, rs: np.ndarray) -> np.ndarray:
    """cmprsk's tie correction ``1 - (nd - 1) / (rs - 1)`` (1 when nd <= 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(nd > 1, 1.0 - (nd - 1.0) / (rs - 1.0), 1.0)


def _wsum(b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_t b[t, i, k] w[t, k]`` (shape (G, G))."""
    out: np.ndarray = (b * w[:, None, :]).sum(axis=0)
    return out


def _wcross(b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_{t, k} b[t, i, k] b[t, j, k] w[t, k]`` as one matrix product (no einsum loop)."""
    ng = b.shape[1]
    x = b.transpose(1, 0, 2).reshape(ng, -1)
    xw = (b * w[:, None, :]).transpose(1, 0, 2).reshape(ng, -1)
    out: np.ndarray = x @ xw.T
    return out


def cif_kernel(rs: np.ndarray, nd1: np.ndarray, nd2: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """CIF of one cause and its variance at every distinct time (as cmprsk ``cinc``).

    Parameters
    ----------
    rs : numpy.ndarray
        Number at risk just before each distinct time.
    nd1, nd2 : numpy.ndarray
        Failures from the cause of interest and from other causes at each time.

    Returns
    -------
    cif, var : numpy.ndarray
        Right-continuous estimate and cmprsk's variance at every distinct time
        (the variance is carried forward between failures of the cause).

    Examples
    --------
    >>> f, v = cif_kernel(np.array([4.0, 3.0, 2.0]), np.array([1.0, 0.0, 1.0]),
    ...                   np.array([0.0, 1.0, 0.0]))
    >>> f.tolist()
    [0.25, 0.25, 0.5]
    """
    nd = nd1 + nd2
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(rs > 0, (rs - nd) / rs, 1.0)
    fkn = np.cumprod(factor)  # all-cause KM just after each time
    fk = np.concatenate(([1.0], fkn[:-1]))  # ... and just before it
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = np.where(nd1 > 0, fk * nd1 / rs, 0.0)
    f = np.cumsum(jump)
    pos = fkn > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(pos, 1.0 / fkn, 0.0)
        # other-cause failures (only while the KM stays positive)
        use2 = (nd2 > 0) & pos
        t6 = np.where(use2, fk * fk * _t5(nd2, rs) * nd2 / (rs * rs), 0.0)
        t4 = f * inv
        v1 = t4 * t4 * t6
        v2 = inv * t4 * t6
        v3 = inv * inv * t6
        # failures from the cause of interest
        use1 = nd1 > 0
        t6 = np.where(use1, fk * fk * _t5(nd1, rs) * nd1 / (rs * rs), 0.0)
        t4 = 1.0 + inv * f
        v1 = v1 + t4 * t4 * t6
        v2 = v2 + inv * t4 * t6
        v3 = v3 + inv * inv * t6
    c1, c2, c3 = np.cumsum(v1), np.cumsum(v2), np.cumsum(v3)
    var_at = c1 + f * f * c3 - 2.0 * f * c2
    # the variance changes only at failures of the cause: carry it forward
    idx = np.where(use1, np.arange(len(f)), -1)
    idx = np.maximum.accumulate(idx)
    var = np.where(idx >= 0, var_at[np.maximum(idx, 0)], 0.0)
    return f, var


def gray_kernel(time: np.ndarray, mcode: np.ndarray, group: np.ndarray, ng: int,
                rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Gray's score (first ng-1 groups) and its variance within one stratum.

    Parameters
    ----------
    time : numpy.ndarray
        Follow-up times.
    mcode : numpy.ndarray of int
        0 censored, 1 failure from the cause of interest, 2 other failure.
    group : numpy.ndarray of intp
        Group codes 0..ng-1 (groups may be absent from the stratum).
    ng : int
    rho : float
        Power of the weight ``(1 - F(t-))^rho``.

    Returns
    -------
    s : numpy.ndarray, shape (ng - 1,)
    v : numpy.ndarray, shape (ng - 1, ng - 1)

    Examples
    --------
    >>> s, v = gray_kernel(np.array([1.0, 2, 3, 4]), np.array([1, 1, 2, 0]),
    ...                    np.array([0, 1, 0, 1]), 2, 0.0)
    >>> s.shape, v.shape
    ((1,), (1, 1))
    """
    times, codes = encode_times(time)
    m = len(times)
    cnt = np.bincount(codes * (3 * ng) + mcode * ng + group,
                      minlength=m * 3 * ng).reshape(m, 3, ng).astype(float)
    d0, d1, d2 = cnt[:, 0, :], cnt[:, 1, :], cnt[:, 2, :]
    exits = d0 + d1 + d2
    rs = np.cumsum(exits[::-1], axis=0)[::-1]  # at risk just before each time
    nd1 = d1.sum(axis=1)
    nd2 = d2.sum(axis=1)
    ev = (nd1 + nd2) > 0
    # only the times with a failure update the statistics
    rs, d1, d2, nd1 = rs[ev], d1[ev], d2[ev], nd1[ev]
    td = d1 + d2
    on = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(on, (rs - td) / rs, 1.0)
    skm = np.cumprod(factor, axis=0)
    skmm = np.vstack((np.ones((1, ng)), skm[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.cumsum(np.where(on, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack((np.zeros((1, ng)), f1[:-1]))
        t1 = np.where(on, rs / skmm, 0.0)
        tr = t1.sum(axis=1)
        tq = np.where(on, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        f = np.cumsum(nd1 / tr)
        fm = np.concatenate(([0.0], f[:-1]))
        fb = (1.0 - fm) ** rho
        # a(i, j) = fb * (diag(t1) - t1 t1' / tr); c accumulates a * nd1 / (tr (1 - fm))
        a = fb[:, None, None] * (t1[:, :, None] * np.eye(ng)[None]
                                 - t1[:, :, None] * t1[:, None, :] / tr[:, None, None])
        c = np.cumsum(a * (nd1 / (tr * (1.0 - fm)))[:, None, None], axis=0)
        score = fb[:, None] * (d1 - nd1[:, None] * np.where(on, rs * (1.0 - f1m) / skmm, 0.0)
                               / tq[:, None])
        s = np.where(on, score, 0.0).sum(axis=0)[: ng - 1]
        # failures from the cause of interest
        use1 = (nd1 > 0)[:, None] & on
        t4a = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5a = np.where(nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0),
                       1.0)
        t3a = np.where(use1, t5a * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        t4a = np.where(use1, t4a, 0.0)
        ba = a - t4a[:, None, :] * c  # (time, i, k)
        # failures from other causes
        use2 = (skm > 0) & (d2 > 0)
        t4b = np.where(use2, (1.0 - f[:, None]) / skm, 0.0)
        t3b = np.where(use2, _t5(d2, rs) * skmm**2 * d2 / rs**2, 0.0)
        bb = -t4b[:, None, :] * c
    v3 = (t4a**2 * t3a).sum(axis=0) + (t4b**2 * t3b).sum(axis=0)
    v2 = _wsum(ba, t4a * t3a) + _wsum(bb, t4b * t3b)
    v = _wcross(ba, t3a) + _wcross(bb, t3b)
    cf = c[-1]
    v = v + (cf * v3[None, :]) @ cf.T + cf @ v2.T + v2 @ cf.T
    k = ng - 1
    return s, v[:k, :k]
