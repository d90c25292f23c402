"""Fine-Gray subdistribution hazard regression: fit and the sandwich variance of ``cmprsk::crr``.

crr's Fortran (crr.f: ``crrfsv``, ``crrvv``) loops over rows inside loops over
failures, O(n^2). Here every risk-set sum is a cumulative sum over the sorted
distinct times, using the censoring-weight trick: a subject who failed from a
competing cause at ``T_j < t`` stays in the risk set at ``t`` with weight
``G(t-) / G(T_j-)`` (G the Kaplan-Meier of the censoring distribution), so

``S_r(t) = sum_{T_i >= t} x_i^r e^{eta_i} + G(t-) sum_{competing, T_j < t} x_j^r e^{eta_j} / G(T_j-)``

is a reverse cumulative sum plus ``G(t-)`` times a forward cumulative sum. The
cost is O(n p^2 + m log m) per iteration and no n x n array is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hccstudy.analyse._counting import encode_times

__all__ = ["FGData", "fg_fit", "fg_prepare"]


@dataclass(frozen=True)
class FGData:
    """Rows coded for the fit, sorted by time (kept only inside the fitting functions)."""

    x: np.ndarray  # (n, p)
    z: np.ndarray  # (1 + p + p^2, n): 1, x, x x' flattened (rows contiguous)
    code: np.ndarray  # time code of each row (non-decreasing)
    starts: np.ndarray  # first row of each distinct time
    fail: np.ndarray  # 1 cause of interest
    comp: np.ndarray  # 1 competing failure
    cens: np.ndarray  # 1 censored
    m: int
    d: np.ndarray  # cause-of-interest failures per distinct time
    gminus: np.ndarray  # G(t-) per distinct time
    n_risk: np.ndarray  # rows with T >= t per distinct time
    n_cens: np.ndarray  # censorings per distinct time


def fg_prepare(time: np.ndarray, status: np.ndarray, x: np.ndarray) -> FGData:
    """Code rows: status 1 = cause of interest, 2 = competing, 0 = censored."""
    times, code = encode_times(time)
    order = np.argsort(code, kind="stable")
    code, status, x = code[order], status[order], x[order]
    m = len(times)
    starts = np.searchsorted(code, np.arange(m))
    fail = (status == 1).astype(float)
    comp = (status == 2).astype(float)
    cens = (status == 0).astype(float)
    n_exit = np.diff(np.append(starts, len(code))).astype(float)
    n_cens = np.add.reduceat(cens, starts) if m else np.zeros(0)
    n_risk = np.cumsum(n_exit[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_risk > 0, 1.0 - n_cens / n_risk, 1.0)
    gkm = np.cumprod(factor)
    gminus = np.concatenate(([1.0], gkm[:-1]))
    d = np.add.reduceat(fail, starts)
    p = x.shape[1]
    z = np.ascontiguousarray(np.hstack((np.ones((len(code), 1)), x,
                                        (x[:, :, None] * x[:, None, :]).reshape(-1, p * p))).T)
    return FGData(x=x, z=z, code=code, starts=starts, fail=fail, comp=comp, cens=cens, m=m,
                  d=d, gminus=gminus, n_risk=n_risk, n_cens=n_cens)


def _rev(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[::-1], axis=0)[::-1]


def _sums(fd: FGData, beta: np.ndarray, second: bool
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """S0, S1 (and S2) at every distinct time, and e^eta per row."""
    m, p = fd.m, fd.x.shape[1]
    r = np.exp(fd.x @ beta)
    gi = fd.gminus[fd.code]
    wc = np.where(fd.comp > 0, r / np.where(gi > 0, gi, 1.0), 0.0)
    z = fd.z if second else fd.z[: 1 + p]
    if m == len(r):  # all times distinct: no reduction needed
        at, atc = z * r, z * wc
    else:
        at = np.add.reduceat(z * r, fd.starts, axis=1)
        atc = np.add.reduceat(z * wc, fd.starts, axis=1)
    before = np.cumsum(atc, axis=1)
    before -= atc
    before *= fd.gminus
    s = np.cumsum(at[:, ::-1], axis=1)[:, ::-1]
    s = (s + before).T
    s2 = s[:, 1 + p:].reshape(m, p, p) if second else None
    return s[:, 0], s[:, 1: 1 + p], s2, r


def _loglik_score_info(fd: FGData, beta: np.ndarray
                       ) -> tuple[float, np.ndarray, np.ndarray]:
    s0, s1, s2, _ = _sums(fd, beta, True)
    assert s2 is not None
    ev = fd.d > 0
    d, s0e, s1e, s2e = fd.d[ev], s0[ev], s1[ev], s2[ev]
    xbar = s1e / s0e[:, None]
    ll = float(fd.fail @ (fd.x @ beta) - np.sum(d * np.log(s0e)))
    score = fd.fail @ fd.x - d @ xbar
    info = np.einsum("t,tij->ij", d / s0e, s2e) - np.einsum("t,ti,tj->ij", d, xbar, xbar)
    return ll, score, info


def fg_fit(fd: FGData, *, tol: float = 1e-10, max_iter: int = 50
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float], int, bool]:
    """Newton-Raphson with step halving; returns beta, sandwich cov, info, loglik, iters, ok."""
    p = fd.x.shape[1]
    beta = np.zeros(p)
    ll0, score, info = _loglik_score_info(fd, beta)
    ll = ll0
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        step = np.linalg.solve(info, score)
        new = beta + step
        ll_new, score_new, info_new = _loglik_score_info(fd, new)
        halv = 0
        while (not np.isfinite(ll_new) or ll_new < ll - 1e-10 * max(1.0, abs(ll))) \
                and halv < 30:
            step = step / 2
            new = beta + step
            ll_new, score_new, info_new = _loglik_score_info(fd, new)
            halv += 1
        beta, ll, score, info = new, ll_new, score_new, info_new
        if np.max(np.abs(step)) < tol or np.max(np.abs(score)) < tol:
            converged = True
            break
    cov = _sandwich(fd, beta, info)
    return beta, cov, info, (ll0, ll), it, converged


def _sandwich(fd: FGData, beta: np.ndarray, info: np.ndarray) -> np.ndarray:
    """``solve(v) v2 solve(v)`` of crr: v the information, v2 the sum of (eta_i + psi_i)^2."""
    s0, s1, _, r = _sums(fd, beta, False)
    x, code = fd.x, fd.code
    d = fd.d
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = np.where(s0[:, None] > 0, s1 / s0[:, None], 0.0)
        h0 = np.where(d > 0, d / s0, 0.0)  # d Lambda per distinct time
    h1 = h0[:, None] * xbar
    g = fd.gminus
    # eta_i: dN part and compensator over t <= T_i
    c0 = np.cumsum(h0)[code]
    c1 = np.cumsum(h1, axis=0)[code]
    eta = fd.fail[:, None] * (x - xbar[code]) - r[:, None] * (x * c0[:, None] - c1)
    # competing failures stay at risk after T_i with weight G(t-) / G(T_i-)
    a0 = _rev(h0 * g) - h0 * g  # sum over t > T
    a1 = _rev(h1 * g[:, None]) - h1 * g[:, None]
    gi = g[code]
    wci = np.where(fd.comp > 0, r / np.where(gi > 0, gi, 1.0), 0.0)
    eta -= wci[:, None] * (x * a0[code][:, None] - a1[code])
    # psi_i: the censoring martingale part, q(u) as crr's crrvv
    m = fd.m
    wc = np.where(fd.comp > 0, r / np.where(gi > 0, gi, 1.0), 0.0)
    cc0 = np.bincount(code, weights=wc, minlength=m)
    cc1 = np.stack([np.bincount(code, weights=wc * x[:, j], minlength=m)
                    for j in range(x.shape[1])], axis=1) if x.shape[1] else np.zeros((m, 0))
    b0 = np.cumsum(cc0) - cc0  # competing with T < u
    b1 = np.cumsum(cc1, axis=0) - cc1
    r0 = _rev(h0 * g)  # failures at t >= u
    r1 = _rev(h1 * g[:, None])
    q = b1 * r0[:, None] - b0[:, None] * r1
    with np.errstate(divide="ignore", invalid="ignore"):
        yr = fd.n_risk
        inc = np.where(fd.n_cens[:, None] > 0, fd.n_cens[:, None] * q / (yr**2)[:, None], 0.0)
        dn = np.where(yr[:, None] > 0, q / yr[:, None], 0.0)
    ss2 = -np.cumsum(inc, axis=0)
    psi = ss2[code] + fd.cens[:, None] * dn[code]
    u = eta + psi
    v2 = u.T @ u
    inv = np.linalg.inv(info)
    cov: np.ndarray = inv @ v2 @ inv
    return cov
