"""Paired (pre / post) and small-sample comparisons, as seed 003's Table I.

Each pair of columns (value before, value after, one row per patient) is compared by

* ``"wilcoxon"`` -- Wilcoxon signed-rank test on the differences before - after, as R
  ``wilcox.test(before, after, paired = TRUE)`` with its defaults: zero differences are
  dropped; exact p (signed-rank distribution) when fewer than 50 non-zero differences
  remain and there are no ties and no zeros, otherwise the normal approximation with tie
  correction and continuity correction. ``V`` is the sum of the ranks of the positive
  differences (R's statistic);
* ``"mcnemar"`` -- McNemar's test with continuity correction (R ``mcnemar.test``);
* ``"mcnemar_exact"`` -- the exact (binomial) McNemar test: R ``binom.test(b, b + c)`` on the
  discordant pairs;
* ``"symmetry"`` -- Bowker's test of symmetry for a k x k table of a categorical variable
  (R ``mcnemar.test`` on the k x k table when every off-diagonal pair holds a count; pairs of
  cells that are both empty carry no information and are left out of the statistic and
  the degrees of freedom, where R would return NaN). Bowker was chosen over Stuart-Maxwell
  because it is what R's ``mcnemar.test`` computes and needs no matrix inversion;
* ``"unpaired_g"`` -- the likelihood-ratio chi-square (G-test) on the 2 x k table of before
  vs after treated as two independent samples (all non-missing values of each column).
  This ignores the pairing; it is offered because it reproduces the published p-values of
  seed 003's Table I (JMP's "likelihood ratio" output), not as a recommended analysis;
* ``"auto"`` -- numeric columns with more than two distinct values: Wilcoxon; two
  distinct values (binary, e.g. Child-Pugh 5 / 6): McNemar; non-numeric with more than two
  levels: symmetry.

Pairs with a missing value on either side are excluded (counted in ``n_excluded``) from
the paired tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy._repr import HtmlReprMixin
from hccstudy.errors import InputError

__all__ = [
    "PairKind",
    "PairedResult",
    "bowker_test",
    "mcnemar_exact",
    "mcnemar_test",
    "paired_comparison",
    "unpaired_lr_chisq",
    "wilcoxon_signed_rank",
]

PairKind = Literal["auto", "wilcoxon", "mcnemar", "mcnemar_exact", "symmetry", "unpaired_g"]
_KINDS = ("auto", "wilcoxon", "mcnemar", "mcnemar_exact", "symmetry", "unpaired_g")


def _signrank_counts(n: int) -> np.ndarray:
    """Number of subsets of {1..n} with each rank sum 0..n(n+1)/2 (exact below 2^53)."""
    c = np.zeros(n * (n + 1) // 2 + 1)
    c[0] = 1.0
    top = 0
    for k in range(1, n + 1):
        c[k:top + k + 1] += c[:top + 1].copy()
        top += k
    return c


def wilcoxon_signed_rank(before: Sequence[float] | np.ndarray, after: Sequence[float] |
                         np.ndarray, *, exact: bool | None = None, correct: bool = True
                         ) -> tuple[float, float, str]:
    """Wilcoxon signed-rank test of paired values, as R ``wilcox.test(paired = TRUE)``.

    Parameters
    ----------
    before, after : array-like
        Paired values; pairs with a missing value are dropped.
    exact : bool, optional
        None (R's default): exact when fewer than 50 non-zero differences; the exact p is
        used only without ties and zeros (as R does).
    correct : bool
        Continuity correction of the normal approximation.

    Returns
    -------
    (V, p_value, method) : tuple
        ``V`` = sum of the ranks of the positive differences ``before - after``.

    Examples
    --------
    >>> wilcoxon_signed_rank([5.1, 3.2, 8.8, 4.4, 6.0, 7.5], [4.0, 3.9, 6.1, 2.0, 5.2, 7.1])
    (19.0, 0.09375, 'Wilcoxon signed-rank (exact)')
    >>> v, p, how = wilcoxon_signed_rank([3, 5, 2, 4, 4, 1], [2, 5, 1, 2, 4, 2])
    >>> v, round(p, 6), how
    (8.0, 0.344704, 'Wilcoxon signed-rank (normal approximation, continuity correction)')
    """
    from scipy.special import ndtr

    from hccstudy.analyse._pvalues import average_ranks

    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    if b.shape != a.shape:
        raise InputError("before and after must have the same length", rule="paired values")
    ok = np.isfinite(b) & np.isfinite(a)
    d = b[ok] - a[ok]
    zeros = bool((d == 0).any())
    d = d[d != 0]
    n = len(d)
    if exact is None:
        exact = n < 50
    r = average_ranks(np.abs(d))
    v = float(r[d > 0].sum())
    ties = len(np.unique(r)) != len(r)
    if n == 0:
        return v, float("nan"), "Wilcoxon signed-rank (not computed: no non-zero differences)"
    if exact and not ties and not zeros:
        c = _signrank_counts(n)
        total = n * (n + 1) // 2
        k = round(v)
        if v > n * (n + 1) / 4:  # upper tail P(V >= v) = P(V <= total - v)
            p = float(c[: total - k + 1].sum()) * 2.0 ** -n
        else:
            p = float(c[: k + 1].sum()) * 2.0 ** -n
        return v, min(2.0 * p, 1.0), "Wilcoxon signed-rank (exact)"
    _, counts = np.unique(r, return_counts=True)
    z = v - n * (n + 1) / 4.0
    sigma = float(np.sqrt(n * (n + 1) * (2 * n + 1) / 24.0
                          - float((counts ** 3 - counts).sum()) / 48.0))
    corr = float(np.sign(z)) * 0.5 if correct else 0.0
    zz = (z - corr) / sigma
    p = float(2.0 * min(ndtr(zz), ndtr(-zz)))
    how = "normal approximation" + (", continuity correction" if correct else "")
    return v, p, f"Wilcoxon signed-rank ({how})"


def mcnemar_test(table: np.ndarray, *, correct: bool = True) -> tuple[float, float]:
    """McNemar's test on a 2 x 2 table (rows: before, columns: after), as R ``mcnemar.test``.

    Returns ``(statistic, p_value)``; nan without discordant pairs.

    Examples
    --------
    >>> s, p = mcnemar_test([[20, 11], [3, 8]])
    >>> s, round(p, 6)
    (3.5, 0.061369)
    """
    from hccstudy.analyse._pvalues import chi2_sf

    x = np.asarray(table, dtype=float)
    if x.shape != (2, 2):
        raise InputError(f"McNemar's test needs a 2 x 2 table, not {x.shape}", rule="2 x 2")
    b, c = x[0, 1], x[1, 0]
    if b + c == 0:
        return float("nan"), float("nan")
    y = abs(b - c) - 1 if correct and b != c else b - c
    stat = float(y * y / (b + c))
    return stat, chi2_sf(stat, 1)


def mcnemar_exact(table: np.ndarray) -> float:
    """Exact McNemar p: two-sided binomial test of ``b`` of ``b + c`` discordant pairs, p = 1/2.

    Equals R ``binom.test(b, b + c)$p.value``; 1 without discordant pairs.

    Examples
    --------
    >>> mcnemar_exact([[20, 11], [3, 8]])
    0.057373046875
    """
    from hccstudy.analyse._pvalues import binom_test_p

    x = np.asarray(table, dtype=float)
    if x.shape != (2, 2):
        raise InputError(f"McNemar's test needs a 2 x 2 table, not {x.shape}", rule="2 x 2")
    b, c = int(x[0, 1]), int(x[1, 0])
    m = b + c
    if m == 0:
        return 1.0
    return binom_test_p(b, m, 0.5)


def bowker_test(table: np.ndarray) -> tuple[float, int, float]:
    """Bowker's test of symmetry of a k x k table (rows: before, columns: after).

    Pairs of off-diagonal cells that are both 0 are left out of the statistic and of the
    degrees of freedom; otherwise equals R ``mcnemar.test`` on the table.

    Returns
    -------
    (statistic, df, p_value) : tuple

    Examples
    --------
    >>> s, df, p = bowker_test([[10, 5, 3], [2, 8, 4], [1, 1, 6]])
    >>> round(s, 6), df, round(p, 6)
    (4.085714, 3, 0.252356)
    """
    from hccstudy.analyse._pvalues import chi2_sf

    x = np.asarray(table, dtype=float)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise InputError(f"the symmetry test needs a square table, not {x.shape}",
                         rule="k x k table")
    iu = np.triu_indices(x.shape[0], 1)
    s = x[iu] + x.T[iu]
    dd = x[iu] - x.T[iu]
    use = s > 0
    df = int(use.sum())
    if df == 0:
        return float("nan"), 0, float("nan")
    stat = float((dd[use] ** 2 / s[use]).sum())
    return stat, df, chi2_sf(stat, df)


def unpaired_lr_chisq(table: np.ndarray) -> tuple[float, int, float]:
    """Likelihood-ratio chi-square (G-test) of an r x c table of independent samples.

    ``G = 2 sum O log(O / E)``, df = (r - 1)(c - 1) after dropping empty rows and columns
    (JMP's "Likelihood Ratio" test).

    Returns
    -------
    (G, df, p_value) : tuple

    Examples
    --------
    Seed 003 Table I, tumour > 10 cm before (5 of 18) and after HAIC (0 of 18):

    >>> g, df, p = unpaired_lr_chisq([[5, 0], [13, 18]])
    >>> round(p, 3)
    0.005
    """
    from scipy.special import xlogy

    from hccstudy.analyse._pvalues import chi2_sf

    x = np.asarray(table, dtype=float)
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    if x.ndim != 2 or min(x.shape) < 2:
        return float("nan"), 0, float("nan")
    e = np.outer(x.sum(axis=1), x.sum(axis=0)) / x.sum()
    g = float(2.0 * (xlogy(x, x) - xlogy(x, e)).sum())
    df = (x.shape[0] - 1) * (x.shape[1] - 1)
    return g, df, chi2_sf(g, df)


# ------------------------------------------------------------------------------- driver
@dataclass(frozen=True, slots=True, eq=False)
class PairedResult(HtmlReprMixin):
    """Pre / post comparisons of several variables, optionally per group.

    Attributes
    ----------
    labels : tuple of str
        The variables in order.
    groups : tuple of str
    by : str or None
    method : str
    phases : tuple of (str, str)
        Names of the two time points, e.g. ("Pre-HAIC", "Pre-hepatectomy") (table headers).
    continuous_summary : {"median_iqr", "median_range"}
        How a report summarises continuous values (the quartiles and the range are both
        held).
    """

    labels: tuple[str, ...]
    groups: tuple[str, ...]
    by: str | None
    method: str
    _tests: pd.DataFrame
    _continuous: pd.DataFrame
    _categorical: pd.DataFrame
    phases: tuple[str, str] = ("Before", "After")
    continuous_summary: str = "median_iqr"

    def to_frame(self) -> pd.DataFrame:
        """One row per variable and group: label, group, kind, test, n_pairs, n_excluded,
        statistic, df, p_value, reason.

        Examples
        --------
        >>> d = pd.DataFrame({"a0": [5.1, 3.2, 8.8, 4.4, 6.0, 7.5],
        ...                   "a1": [4.0, 3.9, 6.1, 2.0, 5.2, 7.1]})
        >>> paired_comparison(d, {"x": ("a0", "a1")}).to_frame()["p_value"].tolist()
        [0.09375]
        """
        return self._tests.copy()

    def continuous(self) -> pd.DataFrame:
        """Summaries of continuous pairs: label, group, phase ("before", "after",
        "difference" = after - before), n, median, q1, q3, min, max (R quantile type 7).

        Examples
        --------
        >>> d = pd.DataFrame({"a0": [1.0, 2.0, 3.0], "a1": [2.0, 2.5, 5.0]})
        >>> paired_comparison(d, {"x": ("a0", "a1")}).continuous()["median"].tolist()
        [2.0, 2.5, 1.0]
        """
        return self._continuous.copy()

    def categorical(self) -> pd.DataFrame:
        """Counts of categorical / binary pairs: label, group, level, before_n, before_pct,
        after_n, after_pct (percent of the non-missing values of that side).

        Examples
        --------
        >>> d = pd.DataFrame({"c0": [5, 5, 5, 6], "c1": [5, 6, 6, 6]})
        >>> paired_comparison(d, {"cp": ("c0", "c1")}).categorical()["after_n"].tolist()
        [1, 3]
        """
        return self._categorical.copy()

    def summary(self) -> str:
        """Readable summary: one line per variable and group."""
        lines = ["Paired comparisons"]
        for r in self._tests.itertuples():
            g = "" if r.group == "all" else f" [{r.group}]"
            lines.append(f"  {r.label}{g}: p = {r.p_value:.4g} ({r.test}; {r.n_pairs} pairs)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"PairedResult(labels={list(self.labels)}, groups={list(self.groups)}, "
                f"tests={self._tests['test'].tolist()})")


def _is_numeric(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def _levels(b: pd.Series, a: pd.Series) -> list[object]:
    if isinstance(b.dtype, pd.CategoricalDtype):
        return list(b.cat.categories)
    vals = pd.concat([b, a], ignore_index=True).dropna().unique().tolist()
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def _cross(b: pd.Series, a: pd.Series, levels: list[object]) -> np.ndarray:
    pos = {lev: i for i, lev in enumerate(levels)}
    t = np.zeros((len(levels), len(levels)), dtype=int)
    for x, y in zip(b, a, strict=True):
        t[pos[x], pos[y]] += 1
    return t


def _auto_kind(b: pd.Series, a: pd.Series) -> tuple[str, str]:
    n_distinct = len(pd.concat([b, a], ignore_index=True).dropna().unique())
    if _is_numeric(b) and _is_numeric(a):
        if n_distinct > 2:
            return "wilcoxon", "auto: numeric with more than two distinct values"
        return "mcnemar", "auto: numeric with two distinct values (binary)"
    if n_distinct > 2:
        return "symmetry", "auto: categorical with more than two levels"
    return "mcnemar", "auto: binary"


_TEST_COLS = ["label", "group", "kind", "test", "n_pairs", "n_excluded", "statistic", "df",
              "p_value", "reason"]


def paired_comparison(
    data: pd.DataFrame,
    pairs: Mapping[str, tuple[str, str]],
    *,
    kind: PairKind | Mapping[str, PairKind] = "auto",
    by: str | None = None,
    group_order: Sequence[str] | None = None,
    phases: Sequence[str] = ("Before", "After"),
    continuous: Literal["median_iqr", "median_range"] = "median_iqr",
) -> PairedResult:
    """Compare paired before / after columns (seed 003 Table I) by the test ``kind`` names.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; not modified.
    pairs : mapping
        ``{label: (before column, after column)}``.
    kind : str or mapping
        One of "auto", "wilcoxon", "mcnemar", "mcnemar_exact", "symmetry", "unpaired_g" (see
        the module docstring), for every pair or per label.
    by : str, optional
        Compare within each group.
    group_order : sequence of str, optional
    phases : (str, str)
        Names of the two time points (report headers); default ("Before", "After").
    continuous : {"median_iqr", "median_range"}
        Summary of continuous values in a report: median (IQR) or median (range).

    Returns
    -------
    PairedResult

    Examples
    --------
    >>> d = pd.DataFrame({"cp0": [5] * 18, "cp1": [5] * 16 + [6] * 2})
    >>> r = paired_comparison(d, {"Child-Pugh": ("cp0", "cp1")},
    ...                       kind={"Child-Pugh": "unpaired_g"}).to_frame()
    >>> r[["test", "df"]].values.tolist(), round(float(r["p_value"].iloc[0]), 3)
    ([['likelihood-ratio chi-square (unpaired G-test)', 1.0]], 0.089)
    >>> paired_comparison(d, {"Child-Pugh": ("cp0", "cp1")}).to_frame()["test"].tolist()
    ["McNemar's chi-square (continuity correction)"]
    """
    from hccstudy.analyse.response import _group_labels

    if not pairs:
        raise InputError("no pairs given", rule="pairs")
    if len(phases) != 2 or not all(isinstance(x, str) and x for x in phases):
        raise InputError(f"phases must be two names (before, after); got {list(phases)}",
                         rule="two phases")
    if continuous not in ("median_iqr", "median_range"):
        raise InputError(f"continuous must be 'median_iqr' or 'median_range'; got "
                         f"{continuous!r}", rule="continuous summary")
    kinds: dict[str, str] = {lab: str(kind.get(lab, "auto") if isinstance(kind, Mapping)
                                      else kind) for lab in pairs}
    for lab, kk in kinds.items():
        if kk not in _KINDS:
            raise InputError(f"pair {lab!r}: unknown kind {kk!r}; use one of {list(_KINDS)}",
                             rule="pair kind")
    for lab, cols in pairs.items():
        if len(cols) != 2:
            raise InputError(f"pair {lab!r}: give (before, after) columns", rule="two columns")
        for c in cols:
            if c not in data.columns:
                raise InputError(f"pair {lab!r}: unknown column {c!r}", column=c,
                                 rule="column must exist")
    labels, levels = _group_labels(data, by, group_order)
    test_rows: list[dict[str, object]] = []
    cont_rows: list[dict[str, object]] = []
    cat_rows: list[dict[str, object]] = []
    for lab, (bcol, acol) in pairs.items():
        k = kinds[lab]
        reason = "chosen"
        if k == "auto":
            k, reason = _auto_kind(data[bcol], data[acol])
        if k == "wilcoxon" and not (_is_numeric(data[bcol]) and _is_numeric(data[acol])):
            raise InputError(f"pair {lab!r}: the Wilcoxon test needs numeric columns",
                             column=bcol if not _is_numeric(data[bcol]) else acol,
                             rule="numeric for wilcoxon")
        lev = _levels(data[bcol], data[acol]) if k != "wilcoxon" else []
        if k in ("mcnemar", "mcnemar_exact") and len(lev) > 2:
            raise InputError(f"pair {lab!r}: McNemar needs two levels, found {len(lev)}; use "
                             "kind symmetry", column=bcol, rule="binary for mcnemar")
        for g in levels:
            m = labels == g
            b = data.loc[m, bcol].reset_index(drop=True)
            a = data.loc[m, acol].reset_index(drop=True)
            ok = (b.notna() & a.notna()).to_numpy()
            n_pairs, n_excl = int(ok.sum()), int((~ok).sum())
            stat: float = float("nan")
            df: float = float("nan")
            if k == "wilcoxon":
                bv = b.to_numpy(dtype=float)
                av = a.to_numpy(dtype=float)
                stat, p, name = wilcoxon_signed_rank(bv, av)
                for phase, vals in (("before", bv[ok]), ("after", av[ok]),
                                    ("difference", av[ok] - bv[ok])):
                    q = (np.quantile(vals, [0.0, 0.25, 0.5, 0.75, 1.0]) if len(vals)
                         else np.full(5, np.nan))
                    cont_rows.append({"label": lab, "group": g, "phase": phase,
                                      "n": len(vals), "median": q[2], "q1": q[1], "q3": q[3],
                                      "min": q[0], "max": q[4]})
            elif k == "unpaired_g":
                bb, aa = b.dropna(), a.dropna()
                tab = np.array([[int((bb == lv).sum()), int((aa == lv).sum())] for lv in lev])
                stat, dfi, p = unpaired_lr_chisq(tab)
                df = float(dfi)
                name = "likelihood-ratio chi-square (unpaired G-test)"
            else:
                tab = _cross(b[ok], a[ok], lev) if lev else np.zeros((0, 0), dtype=int)
                if k in ("mcnemar", "mcnemar_exact") and tab.shape != (2, 2):
                    # one level observed: no discordant pairs
                    stat, p = float("nan"), float("nan")
                    name = "McNemar (not computed: one level)"
                elif k == "mcnemar":
                    stat, p = mcnemar_test(tab)
                    df = 1.0
                    name = "McNemar's chi-square (continuity correction)"
                elif k == "mcnemar_exact":
                    p = mcnemar_exact(tab)
                    stat = float(tab[0, 1])
                    name = "exact McNemar (binomial)"
                else:
                    stat, dfi, p = bowker_test(tab)
                    df = float(dfi)
                    name = "Bowker's test of symmetry"
            if k != "wilcoxon":
                bb = b[ok] if k != "unpaired_g" else b.dropna()
                aa = a[ok] if k != "unpaired_g" else a.dropna()
                for lv in lev:
                    nb, na = int((bb == lv).sum()), int((aa == lv).sum())
                    cat_rows.append({"label": lab, "group": g, "level": str(lv),
                                     "before_n": nb,
                                     "before_pct": 100.0 * nb / len(bb) if len(bb) else np.nan,
                                     "after_n": na,
                                     "after_pct": 100.0 * na / len(aa) if len(aa) else np.nan})
            test_rows.append({"label": lab, "group": g, "kind": k, "test": name,
                              "n_pairs": n_pairs, "n_excluded": n_excl, "statistic": stat,
                              "df": df, "p_value": p, "reason": reason})
    used = sorted({str(r["kind"]) for r in test_rows})
    notes = {
        "wilcoxon": "Wilcoxon signed-rank test (R wilcox.test paired defaults: exact below 50 "
                    "non-zero differences without ties or zeros, else normal approximation "
                    "with continuity correction)",
        "mcnemar": "McNemar's test with continuity correction",
        "mcnemar_exact": "exact binomial McNemar test",
        "symmetry": "Bowker's test of symmetry",
        "unpaired_g": "likelihood-ratio chi-square treating before and after as independent "
                      "samples (ignores the pairing; reproduces the published analysis)",
    }
    lead = ("Paired before / after comparisons on complete pairs: " if set(used) - {"unpaired_g"}
            else "Before / after comparisons on all values at each time point: ")
    method = lead + "; ".join(notes[u] for u in used)
    cont_cols = ["label", "group", "phase", "n", "median", "q1", "q3", "min", "max"]
    cat_cols = ["label", "group", "level", "before_n", "before_pct", "after_n", "after_pct"]
    return PairedResult(
        labels=tuple(pairs), groups=levels, by=by, method=method,
        _tests=pd.DataFrame(test_rows, columns=_TEST_COLS),
        _continuous=pd.DataFrame(cont_rows, columns=cont_cols),
        _categorical=pd.DataFrame(cat_rows, columns=cat_cols),
        phases=(str(phases[0]), str(phases[1])),
        continuous_summary=continuous)
