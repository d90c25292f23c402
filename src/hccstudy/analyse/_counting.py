"""Fast risk-set counting shared by the Kaplan-Meier estimator and the log-rank tests.

Rows are never sorted. Times are coded with a hash-based factorisation
(:func:`pandas.factorize`, O(n)), only the distinct times are sorted, and the
counts per (group, distinct time) cell come from :func:`numpy.bincount`. Risk
sets are then cumulative sums over the distinct times, so the cost is
O(n + G * m log m) for n rows, G groups and m distinct times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CellCounts", "cell_counts", "encode_groups", "encode_times", "group_label"]


def group_label(value: object) -> str:
    """The label of one group value as R prints a factor level.

    Parameters
    ----------
    value : object
        A group value.

    Returns
    -------
    str

    Examples
    --------
    >>> group_label(2.0), group_label(1), group_label("adeno")
    ('2', '1', 'adeno')
    """
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def encode_groups(values: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes 0..G-1 and labels of a grouping column, levels in R's factor order.

    Categorical columns keep their category order (unused categories are dropped);
    other columns are sorted (numbers numerically, strings lexically).

    Parameters
    ----------
    values : pandas.Series
        The grouping column (no missing values).

    Returns
    -------
    codes : numpy.ndarray of intp
    labels : tuple of str

    Examples
    --------
    >>> codes, labels = encode_groups(pd.Series(["b", "a", "b"]))
    >>> codes.tolist(), labels
    ([1, 0, 1], ('a', 'b'))
    """
    arr = values.to_numpy() if not isinstance(values.dtype, pd.CategoricalDtype) else None
    if arr is not None and arr.dtype.kind in "iub" and arr.size:
        small = _small_int_codes(arr.astype(np.int64, copy=False))
        if small is not None:
            codes_i, uniq_i = small
            if arr.dtype.kind == "b":
                return codes_i, tuple(str(bool(u)) for u in uniq_i)
            return codes_i, tuple(str(int(u)) for u in uniq_i)
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # mixed types that cannot be ordered: first-seen order
        codes, uniques = pd.factorize(values, sort=False)
    labels = tuple(group_label(u) for u in np.asarray(uniques, dtype=object))
    if len(set(labels)) != len(labels):  # e.g. 1 and "1": keep them apart
        labels = tuple(f"{u!r}" for u in np.asarray(uniques, dtype=object))
    return codes.astype(np.intp, copy=False), labels


def _small_int_codes(v: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes of integers with a modest range by counting (no hashing, no sorting of rows)."""
    lo = int(v.min())
    hi = int(v.max())
    if hi - lo > max(4 * v.size, 1 << 16):
        return None
    shifted = v - lo if lo != 0 else v
    present = np.bincount(shifted, minlength=hi - lo + 1) > 0
    if present.all():  # codes are the shifted values themselves
        return shifted.astype(np.intp, copy=False), np.arange(lo, hi + 1)
    lookup = np.cumsum(present) - 1
    return lookup[shifted].astype(np.intp, copy=False), np.flatnonzero(present) + lo


def _grid_codes(time: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Fast path for times on a grid of 1/k (k = 1, 10, 100, 1000): integer counting.

    Used only when every time equals ``rint(time * k) / k`` exactly, so that the
    integer ``rint(time * k)`` identifies the time without loss.
    """
    head = time[:256]
    for k in (1.0, 10.0, 100.0, 1000.0):
        if np.array_equal(np.rint(head * k) / k, head):
            break
    else:
        return None
    scaled = time * k
    np.rint(scaled, out=scaled)
    if scaled.max() > 2.0**52 or not np.array_equal(scaled / k, time):
        return None
    small = _small_int_codes(scaled.astype(np.int64))
    if small is None:
        return None
    codes, uniq = small
    return uniq / k, codes


def encode_times(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct times and the code (position among them) of every row.

    Parameters
    ----------
    time : numpy.ndarray of float

    Returns
    -------
    unique : numpy.ndarray
        Sorted distinct times.
    codes : numpy.ndarray of intp
        ``unique[codes] == time``.

    Examples
    --------
    >>> u, c = encode_times(np.array([3.0, 1.0, 3.0, 2.0]))
    >>> u.tolist(), c.tolist()
    ([1.0, 2.0, 3.0], [2, 0, 2, 1])
    >>> u, c = encode_times(np.array([0.3, 0.1 + 0.2, 0.3]))  # 0.1 + 0.2 != 0.3
    >>> len(u), c.tolist()
    (2, [0, 1, 0])
    """
    if time.size:
        grid = _grid_codes(time)
        if grid is not None:
            return grid
    codes, uniques = pd.factorize(time, sort=False)
    uniques = np.asarray(uniques, dtype=float)
    order = np.argsort(uniques)  # sort only the distinct times
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    return uniques[order], rank[codes]


@dataclass(frozen=True, slots=True, eq=False)
class CellCounts:
    """Counts per (cell, distinct time); ``cell`` is a group or a stratum x group.

    All arrays have shape (n_cells, m). ``n_risk`` is the (weighted) number at
    risk just before each time, ``n_event`` and ``n_exit`` the (weighted) events
    and exits (events plus censorings) at it, ``count`` the unweighted number of
    rows exiting at it.
    """

    times: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_exit: np.ndarray
    count: np.ndarray


def cell_counts(
    cell: np.ndarray,
    n_cells: int,
    time: np.ndarray,
    event: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    entry: np.ndarray | None = None,
    encoded: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[CellCounts, np.ndarray, np.ndarray | None]:
    """Risk sets and event counts per cell on the grid of distinct exit times.

    A row with entry time ``s`` and exit time ``t`` is at risk at grid times
    ``u`` with ``s < u <= t`` (R's ``Surv(start, stop, event)``); without entry
    it is at risk at every ``u <= t``.

    Parameters
    ----------
    cell : numpy.ndarray of intp
        Cell code of each row, 0..n_cells-1.
    n_cells : int
    time, event : numpy.ndarray
        Exit time and 0/1 event indicator of each row.
    weights : numpy.ndarray, optional
        Case weights.
    entry : numpy.ndarray, optional
        Entry (left-truncation) time of each row.
    encoded : (numpy.ndarray, numpy.ndarray), optional
        ``encode_times(time)`` when the caller has it already.

    Returns
    -------
    counts : CellCounts
    index : numpy.ndarray of intp
        Flat (cell * m + time code) index of each row.
    entry_pos : numpy.ndarray of intp or None
        For each row, the number of grid times <= its entry time (the first grid
        position at which it is at risk).

    Examples
    --------
    >>> c, _, _ = cell_counts(np.zeros(4, dtype=np.intp), 1, np.array([1.0, 2.0, 2.0, 3.0]),
    ...                       np.array([1.0, 1.0, 0.0, 1.0]))
    >>> c.n_risk.tolist(), c.n_event.tolist()
    ([[4.0, 3.0, 1.0]], [[1.0, 1.0, 1.0]])
    """
    times, codes = encode_times(time) if encoded is None else encoded
    m = len(times)
    index = cell * m + codes
    size = n_cells * m
    count = np.bincount(index, minlength=size).astype(float)
    if weights is None:
        n_exit = count
        n_event = np.bincount(index, weights=event, minlength=size)
    else:
        n_exit = np.bincount(index, weights=weights, minlength=size)
        n_event = np.bincount(index, weights=weights * event, minlength=size)
    n_exit = n_exit.reshape(n_cells, m)
    n_event = n_event.reshape(n_cells, m)
    count = count.reshape(n_cells, m)
    entry_pos: np.ndarray | None = None
    if entry is None:
        # at risk at u <= t: reverse cumulative sum of exits
        n_risk = np.cumsum(n_exit[:, ::-1], axis=1)[:, ::-1]
    else:
        entry_pos = np.searchsorted(times, entry, side="right").astype(np.intp)
        w = np.ones_like(entry) if weights is None else weights
        enter = np.bincount(cell * (m + 1) + entry_pos, weights=w,
                            minlength=n_cells * (m + 1)).reshape(n_cells, m + 1)[:, :m]
        exited_before = np.cumsum(n_exit, axis=1) - n_exit
        n_risk = np.cumsum(enter, axis=1) - exited_before
        # exact zeros where nobody is at risk (guards float round-off)
        n_risk = np.where(np.abs(n_risk) < 1e-9 * max(1.0, float(np.sum(w))), 0.0, n_risk)
    return CellCounts(times=times, n_risk=n_risk, n_event=n_event, n_exit=n_exit,
                      count=count), index, entry_pos
