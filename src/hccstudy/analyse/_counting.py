"""Fast risk-set counting shared by the Kaplan-Meier estimator and the log-rank tests.

Rows are never sorted. Times are coded with a hash-based factorisation
(:func:`pandas.factorize`, O(n)), only the distinct times are sorted, and the
counts per (group, distinct time) cell come from :func:`numpy.bincount`. Risk
sets are then cumulative sums over the distinct times, so the cost is
O(n + G * m log m) for n rows, G groups and m distinct times.

With many distinct times (continuous, untied times) that dense grid is mostly
empty; :func:`sort_rows` then sorts the rows once by a packed integer key
(group, time, event), and callers work on each group's own distinct times
(:func:`dense_codes` chooses between the two).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CellCounts", "SortedRows", "cell_counts", "dense_codes", "encode_groups",
           "encode_times", "group_label", "sort_rows"]


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
    if arr is not None and arr.dtype.kind == "f" and arr.size:
        as_int = _integral(arr)
        if as_int is not None:
            small = _small_int_codes(as_int)
            if small is not None:  # group_label(2.0) == "2"
                return small[0], tuple(str(int(u)) for u in small[1])
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


def _integral(arr: np.ndarray) -> np.ndarray | None:
    """``arr`` as int64 when every value is a whole number of modest size, else None."""
    if not (-(2.0**52) < arr.min() and arr.max() < 2.0**52):  # also NaN and infinities
        return None
    as_int = arr.astype(np.int64)
    if not (as_int == arr).all():
        return None
    return as_int


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


# ----------------------------------------------------------------- sort-based (sparse) path
#: Force the path of :func:`dense_codes` ("dense" or "sparse"); None chooses by the data.
#: For tests only.
FORCE_PATH: str | None = None


def dense_codes(time: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``encode_times(time)`` when the dense (cell, distinct time) grid is the faster path.

    The dense grid pays off when the times lie on a grid of 1/k (integer
    counting codes them without hashing or sorting) and the grid has no more
    cells than there are rows. Otherwise (many distinct times, e.g. untied
    continuous times) this returns None and callers use the sort-based path
    (:func:`sort_rows`), which works on each cell's own distinct times only.

    Parameters
    ----------
    time : numpy.ndarray of float
    n_cells : int
        Number of groups (or stratum x group cells) of the grid.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or None

    Examples
    --------
    >>> u, c = dense_codes(np.array([1.0, 2.0, 1.0, 2.0]), 2)
    >>> u.tolist(), c.tolist()
    ([1.0, 2.0], [0, 1, 0, 1])
    >>> dense_codes(np.array([0.31, 1.7, 2.123456789]), 2) is None
    True
    """
    if FORCE_PATH == "dense":
        return encode_times(time)
    if FORCE_PATH == "sparse" or not time.size:
        return None
    grid = _grid_codes(time)
    if grid is not None and n_cells * grid[0].size <= max(time.size, 1024):
        return grid
    return None


def _bit_length(x: int) -> int:
    return int(x).bit_length()


@dataclass(frozen=True, slots=True, eq=False)
class SortedRows:
    """Rows sorted by one packed int64 key per row (see :func:`sort_rows`).

    ``key`` is sorted. With ``group_major`` a key is
    ``group << (time_bits + 1) | tkey << 1 | event``, otherwise
    ``tkey << (group_bits + 1) | group << 1 | event``; ``tkey`` is an
    order-preserving integer code of the time (equal codes exactly for equal
    times) that :meth:`times` turns back into the times.
    """

    key: np.ndarray
    group_major: bool
    time_bits: int
    group_bits: int
    _base: int
    _zero: bool
    _uniques: np.ndarray | None

    def times(self, tkey: np.ndarray) -> np.ndarray:
        """The times of the time codes ``tkey`` (which this overwrites)."""
        if self._uniques is not None:
            return self._uniques[tkey]
        zero = (tkey == 0) if self._zero else None  # code 0 is the time 0
        bits = np.add(tkey, self._base, out=tkey)
        if zero is not None:
            bits[zero] = 0
        return bits.view(np.float64)


def sort_rows(group: np.ndarray, n_groups: int, time: np.ndarray, event: np.ndarray, *,
              group_major: bool) -> SortedRows:
    """Sort rows by (group, time, event) or (time, group, event) with one packed int64 key.

    The time code is the bit pattern of the (non-negative) double minus the
    smallest one, which orders exactly as the times and identifies them
    without loss; a single :func:`numpy.sort` of the packed keys (no argsort,
    no hashing) then groups the rows. When the bit patterns span too wide a
    range to pack with the group and event, the ranks of the distinct times
    (:func:`encode_times`) are packed instead.

    Parameters
    ----------
    group : numpy.ndarray of int
        Group code of each row, 0..n_groups-1.
    n_groups : int
    time : numpy.ndarray of float
        Finite times >= 0.
    event : numpy.ndarray
        0/1 event indicator.
    group_major : bool
        Sort by group first (each group's rows contiguous) or by time first.

    Returns
    -------
    SortedRows

    Examples
    --------
    >>> r = sort_rows(np.array([1, 0, 1]), 2, np.array([2.0, 3.0, 0.5]), np.array([1.0, 0.0, 1.0]),
    ...               group_major=True)
    >>> k = r.key >> 1
    >>> (k >> r.time_bits).tolist(), r.times(k & ((1 << r.time_bits) - 1)).tolist()
    ([0, 1, 1], [3.0, 0.5, 2.0])
    """
    group_bits = _bit_length(max(n_groups - 1, 0))
    bits = time.view(np.int64)
    lo = int(bits.min())
    if lo < 0:  # -0.0, the only negative bit pattern of a time >= 0: make it 0.0
        bits = (time + 0.0).view(np.int64)
        lo = int(bits.min())
    hi = int(bits.max())
    zero = lo == 0 and hi > 0
    if zero:  # keep 0 as code 0, positive times from code 1
        lo = int(np.where(bits > 0, bits, hi).min()) - 1
    uniques: np.ndarray | None = None
    time_bits = _bit_length(hi - lo)
    if time_bits + group_bits + 1 > 63:
        uniques, codes = encode_times(time)
        key = codes.astype(np.int64)
        time_bits = _bit_length(max(uniques.size - 1, 0))
        lo = 0
        zero = False
    else:
        key = np.subtract(bits, lo)
        if zero:
            np.maximum(key, 0, out=key)
    key <<= 1 if group_major else group_bits + 1
    key |= event > 0
    if group_bits:
        key |= np.left_shift(group, time_bits + 1 if group_major else 1, dtype=np.int64)
    key.sort()
    return SortedRows(key=key, group_major=group_major, time_bits=time_bits,
                      group_bits=group_bits, _base=lo, _zero=zero, _uniques=uniques)
