"""Response tables: best overall response, ORR / DCR with binomial CIs, and binary rates.

Builds on :mod:`hccstudy.clinical.response` (per-patient time-point and best overall
response, :func:`~hccstudy.clinical.response.response_rates`); this module turns a
per-patient response column into the group table of a paper (seed 004 Table 3, seed 002's
ORR at two time points) and compares the groups.

* :func:`proportion_ci` -- a binomial CI: ``"clopper-pearson"`` (exact; R ``binom.test``),
  ``"wilson"`` (score; R ``prop.test(correct = FALSE)``) or ``"wilson-cc"`` (score with
  continuity correction; R ``prop.test(correct = TRUE)``, including R's rule that the
  correction is at most ``|x - n/2|``).
* :func:`difference_ci` -- a CI of the difference of two proportions: ``"newcombe"``
  (hybrid score interval from the two Wilson intervals, Newcombe 1998 method 10; the
  default), ``"wald"`` / ``"wald-cc"`` (R two-sample ``prop.test`` without / with
  continuity correction).
* :func:`group_test` -- the comparison of groups on a contingency table: ``"auto"``
  (Pearson chi-square without continuity correction when every expected count is >= 5,
  otherwise Fisher's exact test: the rule that reproduces seed 004's Tables 1, 3 and 4),
  ``"chisq"``, ``"chisq_yates"`` (R ``chisq.test`` default) or ``"fisher"``; it reuses
  :func:`hccstudy.analyse.table1.categorical_p` and says which test ran and why.
* :func:`response_table` -> :class:`ResponseResult`; :func:`proportion_table` ->
  :class:`ProportionResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy._repr import HtmlReprMixin
from hccstudy.errors import InputError

__all__ = [
    "CiMethod",
    "DiffCiMethod",
    "GroupTest",
    "ProportionResult",
    "ResponseResult",
    "difference_ci",
    "group_test",
    "proportion_ci",
    "proportion_table",
    "response_table",
]

CiMethod = Literal["clopper-pearson", "wilson", "wilson-cc"]
DiffCiMethod = Literal["newcombe", "wald", "wald-cc"]
GroupTest = Literal["auto", "chisq", "chisq_yates", "fisher"]

CI_NAMES: dict[str, str] = {
    "clopper-pearson": "exact Clopper-Pearson (R binom.test)",
    "wilson": "Wilson score without continuity correction (R prop.test(correct = FALSE))",
    "wilson-cc": "Wilson score with continuity correction (R prop.test(correct = TRUE))",
}
DIFF_CI_NAMES: dict[str, str] = {
    "newcombe": "Newcombe hybrid score interval (method 10, from the Wilson limits)",
    "wald": "Wald interval (R prop.test(correct = FALSE))",
    "wald-cc": "Wald interval with continuity correction (R prop.test(correct = TRUE))",
}
_RESPONDERS = ("CR", "PR")
_CONTROL = ("CR", "PR", "SD")


def _z(conf_level: float) -> float:
    from scipy.special import ndtri

    if not 0 < conf_level < 1:
        raise InputError(f"conf_level {conf_level} must be in (0, 1)", rule="0 < conf_level < 1")
    return float(ndtri((1.0 + conf_level) / 2.0))


def _check_xn(x: int, n: int) -> None:
    if n < 0 or x < 0 or x > n:
        raise InputError(f"need 0 <= x <= n, got x = {x}, n = {n}", rule="0 <= x <= n")


def _wilson(x: int, n: int, z: float, cc: bool) -> tuple[float, float]:
    est = x / n
    yates = min(0.5, abs(x - n * 0.5)) if cc else 0.0  # R: YATES <- min(YATES, abs(x - n * p))
    z22n = z * z / (2.0 * n)
    pc = est + yates / n
    upper = 1.0 if pc >= 1 else \
        (pc + z22n + z * np.sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (1 + 2 * z22n)
    pc = est - yates / n
    lower = 0.0 if pc <= 0 else \
        (pc + z22n - z * np.sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (1 + 2 * z22n)
    return float(lower), float(upper)


def proportion_ci(x: int, n: int, method: CiMethod = "clopper-pearson",
                  conf_level: float = 0.95) -> tuple[float, float]:
    """Two-sided confidence interval of a binomial proportion ``x / n``.

    Parameters
    ----------
    x, n : int
        Successes and trials (``0 <= x <= n``); ``n = 0`` gives ``(nan, nan)``.
    method : {"clopper-pearson", "wilson", "wilson-cc"}
        Exact Clopper-Pearson (R ``binom.test``), Wilson score (R ``prop.test(correct =
        FALSE)``) or Wilson score with continuity correction (R ``prop.test(correct = TRUE)``).
    conf_level : float

    Returns
    -------
    (lower, upper) : tuple of float

    Examples
    --------
    >>> [round(v, 6) for v in proportion_ci(21, 47)]
    [0.301722, 0.598843]
    >>> [round(v, 6) for v in proportion_ci(21, 47, "wilson")]
    [0.31411, 0.587545]
    >>> proportion_ci(0, 10)[0], proportion_ci(10, 10)[1]
    (0.0, 1.0)
    """
    x, n = int(x), int(n)
    _check_xn(x, n)
    z = _z(conf_level)
    if n == 0:
        return float("nan"), float("nan")
    if method == "clopper-pearson":
        from scipy.special import betaincinv

        a = (1.0 - conf_level) / 2.0
        lower = 0.0 if x == 0 else float(betaincinv(x, n - x + 1, a))
        upper = 1.0 if x == n else float(betaincinv(x + 1, n - x, 1.0 - a))
        return lower, upper
    if method in ("wilson", "wilson-cc"):
        return _wilson(x, n, z, method == "wilson-cc")
    raise InputError(f"unknown CI method {method!r}; use one of {list(CI_NAMES)}",
                     rule="ci option")


def difference_ci(x1: int, n1: int, x0: int, n0: int, method: DiffCiMethod = "newcombe",
                  conf_level: float = 0.95) -> tuple[float, float, float]:
    """Difference of two proportions ``x1/n1 - x0/n0`` with a two-sided CI.

    ``"newcombe"`` (default): hybrid score interval, Newcombe (Stat Med 1998;17:873-890)
    method 10, from the two Wilson intervals without correction; ``"wald"`` / ``"wald-cc"``:
    the interval of R ``prop.test(c(x1, x0), c(n1, n0), correct = FALSE / TRUE)``.

    Returns
    -------
    (estimate, lower, upper) : tuple of float

    Examples
    --------
    >>> [round(v, 6) for v in difference_ci(20, 29, 15, 42)]
    [0.332512, 0.095937, 0.519925]
    >>> [round(v, 6) for v in difference_ci(20, 29, 15, 42, "wald")]
    [0.332512, 0.110362, 0.554662]
    """
    for x, n in ((x1, n1), (x0, n0)):
        _check_xn(int(x), int(n))
    if n1 == 0 or n0 == 0:
        return float("nan"), float("nan"), float("nan")
    z = _z(conf_level)
    p1, p0 = x1 / n1, x0 / n0
    d = p1 - p0
    if method == "newcombe":
        l1, u1 = _wilson(int(x1), int(n1), z, False)
        l0, u0 = _wilson(int(x0), int(n0), z, False)
        return (d, d - float(np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)),
                d + float(np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)))
    if method in ("wald", "wald-cc"):
        inv = 1.0 / n1 + 1.0 / n0
        yates = min(0.5, abs(d) / inv) if method == "wald-cc" else 0.0
        width = z * float(np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)) + yates * inv
        return d, max(d - width, -1.0), min(d + width, 1.0)
    raise InputError(f"unknown difference CI method {method!r}; use one of "
                     f"{list(DIFF_CI_NAMES)}", rule="diff_ci option")


def group_test(table: np.ndarray, test: GroupTest = "auto", *,
               min_expected: float = 5.0) -> tuple[float, str, str]:
    """Compare groups on a contingency table (rows: levels, columns: groups).

    Empty rows and columns are dropped first (as :func:`hccstudy.analyse.table1.categorical_p`
    does); a table left with one row or column gives ``nan``.

    Returns
    -------
    (p_value, test_name, reason) : tuple
        ``reason`` says why that test ran (e.g. "auto: smallest expected count 2.45 < 5").

    Examples
    --------
    >>> import numpy as np
    >>> p, name, why = group_test(np.array([[15, 20], [27, 9]]))
    >>> round(p, 6), name, why
    (0.005874, 'Pearson chi-square', 'auto: every expected count >= 5 (smallest 14.3)')
    >>> p, name, why = group_test(np.array([[1, 7], [41, 22]]))
    >>> round(p, 6), name
    (0.006565, 'Fisher exact')
    """
    from hccstudy.analyse.table1 import categorical_p

    x = np.asarray(table, dtype=float)
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    opt = {"auto": "chisq_or_fisher", "chisq": "chisq", "chisq_yates": "chisq_yates",
           "fisher": "fisher"}.get(test)
    if opt is None:
        raise InputError(f"unknown test {test!r}; use auto, chisq, chisq_yates or fisher",
                         rule="test option")
    p, name = categorical_p(x, opt, min_expected=min_expected)  # type: ignore[arg-type]
    if x.shape[0] < 2 or x.shape[1] < 2:
        return p, name, "no variation (one level or one group with data)"
    if test != "auto":
        return p, name, f"chosen (test = {test})"
    e = np.outer(x.sum(axis=1), x.sum(axis=0)) / x.sum()
    m = float(e.min())
    why = (f"auto: every expected count >= {min_expected:g} (smallest {m:.3g})"
           if m >= min_expected else
           f"auto: smallest expected count {m:.3g} < {min_expected:g}")
    return p, name, why


# ------------------------------------------------------------------------ shared helpers
def _column(data: pd.DataFrame, col: str, what: str) -> pd.Series:
    if col not in data.columns:
        raise InputError(f"unknown {what} column {col!r}", column=col, rule="column must exist")
    return data[col]


def _group_labels(data: pd.DataFrame, by: str | None, group_order: Sequence[str] | None
                  ) -> tuple[np.ndarray, tuple[str, ...]]:
    if by is None:
        return np.full(len(data), "all", dtype=object), ("all",)
    s = _column(data, by, "group")
    miss = s.isna()
    if miss.any():
        raise InputError(f"column {by!r}: {int(miss.sum())} row(s) have no group; exclude them "
                         "first", column=by, n_rows=int(miss.sum()), rule="group not missing")
    labels = s.map(str).to_numpy(dtype=object)
    if group_order is not None:
        levels = tuple(str(g) for g in group_order)
        other = ~np.isin(labels, list(levels))
        if other.any():
            raise InputError(f"column {by!r}: {int(other.sum())} row(s) have a group not in "
                             f"{list(levels)}", column=by, n_rows=int(other.sum()),
                             rule="group in group_order")
    elif isinstance(s.dtype, pd.CategoricalDtype):
        levels = tuple(str(c) for c in s.cat.categories if (s == c).any())
    else:
        levels = tuple(sorted(set(labels.tolist())))
    return labels, levels


def _binary_rows(hit: np.ndarray, labels: np.ndarray, levels: tuple[str, ...], measure: str,
                 ci: CiMethod, conf_level: float) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for g in levels:
        m = labels == g
        x, n = int(hit[m].sum()), int(m.sum())
        lo, hi = proportion_ci(x, n, ci, conf_level)
        rows.append({"group": g, "measure": measure, "x": x, "n": n,
                     "rate": x / n if n else float("nan"), "ci_lower": lo, "ci_upper": hi})
    return rows


def _binary_test(hit: np.ndarray, labels: np.ndarray, levels: tuple[str, ...], measure: str,
                 test: GroupTest) -> dict[str, object]:
    tab = np.array([[int((hit & (labels == g)).sum()) for g in levels],
                    [int((~hit & (labels == g)).sum()) for g in levels]])
    p, name, why = group_test(tab, test)
    return {"measure": measure, "p_value": p, "test": name, "reason": why}


def _diff_rows(hit: np.ndarray, labels: np.ndarray, levels: tuple[str, ...], reference: str,
               measure: str, method: DiffCiMethod, conf_level: float) -> list[dict[str, object]]:
    r = labels == reference
    x0, n0 = int(hit[r].sum()), int(r.sum())
    rows: list[dict[str, object]] = []
    for g in levels:
        if g == reference:
            continue
        m = labels == g
        est, lo, hi = difference_ci(int(hit[m].sum()), int(m.sum()), x0, n0, method, conf_level)
        rows.append({"measure": measure, "group": g, "reference": reference, "estimate": est,
                     "ci_lower": lo, "ci_upper": hi})
    return rows


def _reference(levels: tuple[str, ...], reference: str | None, by: str | None) -> str:
    if reference is None:
        return levels[0]
    if str(reference) not in levels:
        raise InputError(f"reference {reference!r} is not a level of {by!r} ({list(levels)})",
                         column=by, rule="reference is a level")
    return str(reference)


_RATE_COLS = ["group", "measure", "x", "n", "rate", "ci_lower", "ci_upper"]
_TEST_COLS = ["measure", "p_value", "test", "reason"]
_DIFF_COLS = ["measure", "group", "reference", "estimate", "ci_lower", "ci_upper"]


def _frame(rows: list[dict[str, object]], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame(columns=cols)


# ------------------------------------------------------------------------------ response
@dataclass(frozen=True, slots=True, eq=False)
class ResponseResult(HtmlReprMixin):
    """Best-response distribution, ORR and DCR per group with CIs, and group comparisons.

    Attributes
    ----------
    column : str
        The response column.
    label : str or None
        The assessment time named in the spec (e.g. "3 months").
    by : str or None
    groups : tuple of str
    categories : tuple of str
        The response categories in the table (NE dropped with ``denominator="evaluable"``).
    denominator : str
        "all" (every patient with a recorded response; NE = non-responder) or "evaluable".
    n : dict
        Denominator per group.
    n_missing, n_not_evaluable : dict
        Rows per group without a response (excluded) and NE rows left out of an evaluable
        denominator.
    ci, diff_ci, test : str
        The options used; ``conf_level`` the CI level.
    reference : str or None
        The reference group of the differences.
    method : str
        A sentence for the methods section.
    """

    column: str
    label: str | None
    by: str | None
    groups: tuple[str, ...]
    categories: tuple[str, ...]
    denominator: str
    n: dict[str, int]
    n_missing: dict[str, int]
    n_not_evaluable: dict[str, int]
    ci: str
    diff_ci: str
    test: str
    conf_level: float
    reference: str | None
    method: str
    _rates: pd.DataFrame
    _tests: pd.DataFrame
    _diffs: pd.DataFrame
    _waterfall: pd.DataFrame | None

    def to_frame(self) -> pd.DataFrame:
        """Tidy rates: group, measure (each category, "ORR", "DCR"), x, n, rate, ci_lower, ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"bor": ["CR", "PR", "SD", "PD", "PD"]})
        >>> f = response_table(d, "bor").to_frame()
        >>> f.loc[f["measure"] == "ORR", ["x", "n", "rate"]].to_dict("records")
        [{'x': 2, 'n': 5, 'rate': 0.4}]
        """
        return self._rates.copy()

    def tests(self) -> pd.DataFrame:
        """Group comparisons: measure (each category vs the rest, "ORR", "DCR",
        "distribution"), p_value, test, reason.

        Examples
        --------
        >>> d = pd.DataFrame({"bor": ["PR", "PR", "SD", "PD", "PD", "PR"],
        ...                   "arm": ["a", "b"] * 3})
        >>> response_table(d, "bor", "arm").tests()["test"].unique().tolist()
        ['not computed (one level or one group)', 'Fisher exact', 'Fisher-Freeman-Halton exact']
        """
        return self._tests.copy()

    def differences(self) -> pd.DataFrame:
        """ORR and DCR differences, each group minus the reference, with CI (``diff_ci``).

        Examples
        --------
        >>> d = pd.DataFrame({"bor": ["PR", "PR", "SD", "PD"], "arm": ["a", "b"] * 2})
        >>> response_table(d, "bor", "arm").differences()["estimate"].tolist()
        [0.0, -0.5]
        """
        return self._diffs.copy()

    def waterfall_data(self) -> pd.DataFrame:
        """Best % change (``value``), sorted from largest to smallest, with group and category.

        Empty when no ``change`` column was given; no patient identifiers.

        Examples
        --------
        >>> d = pd.DataFrame({"bor": ["PR", "PD", "SD"], "chg": [-45.0, 30.0, -5.0]})
        >>> response_table(d, "bor", change="chg").waterfall_data()["value"].tolist()
        [30.0, -5.0, -45.0]
        """
        if self._waterfall is None:
            return pd.DataFrame(columns=["value", "group", "category"])
        return self._waterfall.copy()

    def summary(self) -> str:
        """Readable summary: ORR and DCR per group with CI, and the ORR / DCR tests."""
        head = f"Response ({self.column}" + (f", {self.label}" if self.label else "") + ")"
        lines = [head]
        r = self._rates
        for meas in ("ORR", "DCR"):
            for row in r[r["measure"] == meas].itertuples():
                lines.append(f"  {meas} {row.group}: {row.x}/{row.n} = {row.rate:.1%} "
                             f"({self.conf_level:.0%} CI {row.ci_lower:.1%}-{row.ci_upper:.1%})")
        for row in self._tests[self._tests["measure"].isin(["ORR", "DCR"])].itertuples():
            lines.append(f"  {row.measure}: p = {row.p_value:.4g} ({row.test})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"ResponseResult(column={self.column!r}, label={self.label!r}, "
                f"groups={list(self.groups)}, n={self.n}, denominator={self.denominator!r}, "
                f"ci={self.ci!r}, test={self.test!r})")


def response_table(
    data: pd.DataFrame,
    response: str,
    by: str | None = None,
    *,
    categories: Sequence[str] = ("CR", "PR", "SD", "PD", "NE"),
    denominator: Literal["all", "evaluable"] = "all",
    ci: CiMethod = "clopper-pearson",
    test: GroupTest = "auto",
    conf_level: float = 0.95,
    change: str | None = None,
    diff_ci: DiffCiMethod = "newcombe",
    reference: str | None = None,
    group_order: Sequence[str] | None = None,
    label: str | None = None,
) -> ResponseResult:
    """Best overall response table by group: distribution, ORR and DCR with CIs, tests.

    ORR = (CR + PR) / n and DCR = (CR + PR + SD) / n per group, counted by
    :func:`hccstudy.clinical.response.response_rates`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; not modified.
    response : str
        Column of response categories (e.g. the BOR of
        :func:`~hccstudy.clinical.response.best_overall_response`, or the response at a
        fixed assessment time). Missing values are excluded and counted (``n_missing``):
        code "not assessed" patients as NE to keep them in an all-patient denominator.
    by : str, optional
        Group column; None = all patients as one group ("all").
    categories : sequence of str
        Table order; a subset of CR, PR, SD, PD, NE. Values are matched case-insensitively
        (surrounding blanks ignored); values outside ``categories`` are an error.
    denominator : {"all", "evaluable"}
        "all": every patient with a recorded response (NE counts as non-responder);
        "evaluable": NE excluded (and counted in ``n_not_evaluable``).
    ci : {"clopper-pearson", "wilson", "wilson-cc"}
        CI of each rate (:func:`proportion_ci`).
    test : {"auto", "chisq", "chisq_yates", "fisher"}
        Group comparison of each category (vs the rest), ORR, DCR (2 x k tables) and the
        whole distribution (r x k; Fisher-Freeman-Halton when exact); see :func:`group_test`.
    conf_level : float
    change : str, optional
        Column of the best % change of the target sum (waterfall plot data).
    diff_ci : {"newcombe", "wald", "wald-cc"}
        CI of the ORR / DCR difference, each group minus ``reference``.
    reference : str, optional
        Reference group (default the first level).
    group_order : sequence of str, optional
        Level order (default: categorical order, else sorted).
    label : str, optional
        The assessment time, for the table title.

    Returns
    -------
    ResponseResult

    Examples
    --------
    Seed 004 Table 3 (PR 15/42 vs 20/29, no CR; SD 9 vs 6; PD 18 vs 3):

    >>> d = pd.DataFrame({"arm": ["IO+T"] * 42 + ["RT+IO+T"] * 29,
    ...                   "r3": ["PR"] * 15 + ["SD"] * 9 + ["PD"] * 18
    ...                         + ["PR"] * 20 + ["SD"] * 6 + ["PD"] * 3})
    >>> res = response_table(d, "r3", "arm", label="3 months")
    >>> t = res.tests().set_index("measure")
    >>> t.loc[["ORR", "DCR", "SD", "PD"], "p_value"].round(3).tolist()
    [0.006, 0.003, 0.94, 0.003]
    """
    from hccstudy.clinical.response import response_rates

    cats = tuple(str(c) for c in categories)
    allowed = ("CR", "PR", "SD", "PD", "NE")
    bad_c = [c for c in cats if c not in allowed]
    if bad_c or len(set(cats)) != len(cats) or not cats:
        raise InputError(f"categories {list(cats)}: must be distinct values of {list(allowed)}",
                         rule="categories option")
    if denominator not in ("all", "evaluable"):
        raise InputError(f"denominator {denominator!r}: use 'all' or 'evaluable'",
                         rule="denominator option")
    col = _column(data, response, "response")
    labels, levels = _group_labels(data, by, group_order)
    missing = col.isna().to_numpy()
    vals = col.map(lambda v: str(v).strip().upper() if not pd.isna(v) else v)
    present = vals[~missing]
    other = ~present.isin(list(cats))
    if other.any():
        seen = sorted(set(present[other].tolist()))[:5]
        raise InputError(f"column {response!r}: {int(other.sum())} row(s) have a response "
                         f"outside {list(cats)} (values: {seen})", column=response,
                         n_rows=int(other.sum()), rule="response category")
    v = vals.to_numpy(dtype=object)
    ne = (v == "NE") & ~missing
    keep = ~missing & (~ne if denominator == "evaluable" else True)
    shown = tuple(c for c in cats if not (denominator == "evaluable" and c == "NE"))
    n: dict[str, int] = {}
    n_missing: dict[str, int] = {}
    n_ne: dict[str, int] = {}
    rate_rows: list[dict[str, object]] = []
    for g in levels:
        m = labels == g
        n_missing[g] = int((missing & m).sum())
        n_ne[g] = int((ne & m).sum()) if denominator == "evaluable" else 0
        rr = response_rates(pd.Series(v[m & ~missing], dtype=object), denominator=denominator)
        n[g] = rr.n
        for c in shown:
            x = rr.counts[c]
            lo, hi = proportion_ci(x, rr.n, ci, conf_level)
            rate_rows.append({"group": g, "measure": c, "x": x, "n": rr.n,
                              "rate": x / rr.n if rr.n else float("nan"),
                              "ci_lower": lo, "ci_upper": hi})
        for meas, k in (("ORR", rr.counts["CR"] + rr.counts["PR"]),
                        ("DCR", rr.counts["CR"] + rr.counts["PR"] + rr.counts["SD"])):
            lo, hi = proportion_ci(k, rr.n, ci, conf_level)
            rate_rows.append({"group": g, "measure": meas, "x": k, "n": rr.n,
                              "rate": rr.orr if meas == "ORR" else rr.dcr,
                              "ci_lower": lo, "ci_upper": hi})
    test_rows: list[dict[str, object]] = []
    diff_rows: list[dict[str, object]] = []
    ref: str | None = None
    kv, kl = v[keep], labels[keep]
    if len(levels) > 1:
        ref = _reference(levels, reference, by)
        for c in shown:
            test_rows.append(_binary_test(kv == c, kl, levels, c, test))
        hits = {"ORR": np.isin(kv, _RESPONDERS), "DCR": np.isin(kv, _CONTROL)}
        for meas, hit in hits.items():
            test_rows.append(_binary_test(hit, kl, levels, meas, test))
        tab = np.array([[int(((kv == c) & (kl == g)).sum()) for g in levels] for c in shown])
        p, name, why = group_test(tab, test)
        test_rows.append({"measure": "distribution", "p_value": p, "test": name,
                          "reason": why})
        for meas, hit in hits.items():
            diff_rows.extend(_diff_rows(hit, kl, levels, ref, meas, diff_ci, conf_level))
    wf = None
    if change is not None:
        ch = pd.to_numeric(_column(data, change, "change"), errors="coerce").to_numpy(float)
        ok = ~missing & np.isfinite(ch)
        wf = pd.DataFrame({"value": ch[ok], "group": labels[ok], "category": v[ok]})
        wf = wf.sort_values(["value", "group", "category"], ascending=[False, True, True],
                            kind="mergesort").reset_index(drop=True)
    den = ("all patients with a recorded response (NE counted as non-responders)"
           if denominator == "all" else "evaluable patients (NE excluded)")
    method = (f"ORR = CR + PR and DCR = CR + PR + SD over {den}; {conf_level:.0%} CIs "
              f"{CI_NAMES[ci]}")
    if len(levels) > 1:
        tname = {"auto": "Pearson chi-square without continuity correction when every expected "
                         "count is >= 5, otherwise Fisher's exact test",
                 "chisq": "Pearson chi-square without continuity correction",
                 "chisq_yates": "Pearson chi-square with Yates' correction (2 x 2)",
                 "fisher": "Fisher's exact test"}[test]
        method += (f"; groups compared by {tname} (two-sided); differences "
                   f"{', '.join(g for g in levels if g != ref)} minus {ref} with the "
                   f"{DIFF_CI_NAMES[diff_ci]}")
    if sum(n_missing.values()):
        method += f"; {sum(n_missing.values())} patient(s) without a response excluded"
    return ResponseResult(
        column=response, label=label, by=by, groups=levels, categories=shown,
        denominator=denominator, n=n, n_missing=n_missing, n_not_evaluable=n_ne, ci=ci,
        diff_ci=diff_ci, test=test, conf_level=conf_level, reference=ref, method=method,
        _rates=_frame(rate_rows, _RATE_COLS), _tests=_frame(test_rows, _TEST_COLS),
        _diffs=_frame(diff_rows, _DIFF_COLS), _waterfall=wf)


# ---------------------------------------------------------------------------- proportion
@dataclass(frozen=True, slots=True, eq=False)
class ProportionResult(HtmlReprMixin):
    """A binary outcome's rate per group with CI, the group comparison and differences.

    Attributes
    ----------
    outcome : str
    label : str or None
    by : str or None
    groups : tuple of str
    n_missing : dict
        Rows per group with an unknown outcome (excluded).
    ci, diff_ci, test : str
    conf_level : float
    reference : str or None
    method : str
    """

    outcome: str
    label: str | None
    by: str | None
    groups: tuple[str, ...]
    n_missing: dict[str, int]
    ci: str
    diff_ci: str
    test: str
    conf_level: float
    reference: str | None
    method: str
    _rates: pd.DataFrame
    _tests: pd.DataFrame
    _diffs: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Tidy rates: group, measure, x, n, rate, ci_lower, ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"conv": [1, 0, 0, 1, 0]})
        >>> proportion_table(d, "conv").to_frame()[["x", "n", "rate"]].to_dict("records")
        [{'x': 2, 'n': 5, 'rate': 0.4}]
        """
        return self._rates.copy()

    def tests(self) -> pd.DataFrame:
        """The group comparison: measure, p_value, test, reason (empty for one group).

        Examples
        --------
        >>> d = pd.DataFrame({"conv": [1, 0, 0, 1, 0, 0], "arm": ["a", "b"] * 3})
        >>> proportion_table(d, "conv", "arm").tests()["test"].tolist()
        ['Fisher exact']
        """
        return self._tests.copy()

    def differences(self) -> pd.DataFrame:
        """Each group minus the reference, with CI (``diff_ci``).

        Examples
        --------
        >>> d = pd.DataFrame({"conv": [1, 0, 0, 0], "arm": ["a", "b"] * 2})
        >>> proportion_table(d, "conv", "arm").differences()["estimate"].tolist()
        [-0.5]
        """
        return self._diffs.copy()

    def summary(self) -> str:
        """Readable summary: the rate per group with CI and the test."""
        lines = [f"Proportion ({self.label or self.outcome})"]
        for row in self._rates.itertuples():
            lines.append(f"  {row.group}: {row.x}/{row.n} = {row.rate:.1%} "
                         f"({self.conf_level:.0%} CI {row.ci_lower:.1%}-{row.ci_upper:.1%})")
        for row in self._tests.itertuples():
            lines.append(f"  p = {row.p_value:.4g} ({row.test})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        r = self._rates
        return (f"ProportionResult(outcome={self.outcome!r}, groups={list(self.groups)}, "
                f"x={r['x'].tolist()}, n={r['n'].tolist()}, ci={self.ci!r})")


def _as_binary(s: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(hit, missing) of a boolean / 0-1 column."""
    missing = s.isna().to_numpy()
    present = s[~missing]
    if present.dtype == bool or all(isinstance(x, bool | np.bool_) for x in present):
        hit = np.zeros(len(s), dtype=bool)
        hit[~missing] = present.to_numpy(dtype=bool)
        return hit, missing
    num = pd.to_numeric(present, errors="coerce")
    bad = num.isna() | ~num.isin([0, 1])
    if bad.any():
        raise InputError(f"column {name!r}: {int(bad.sum())} row(s) are not 0/1 or boolean; "
                         "give an expression such as \"conversion != 'none'\"", column=name,
                         n_rows=int(bad.sum()), rule="binary outcome (0/1, boolean)")
    hit = np.zeros(len(s), dtype=bool)
    hit[~missing] = num.to_numpy(dtype=float) == 1
    return hit, missing


def proportion_table(
    data: pd.DataFrame,
    outcome: str,
    by: str | None = None,
    *,
    ci: CiMethod = "clopper-pearson",
    test: GroupTest = "auto",
    conf_level: float = 0.95,
    diff_ci: DiffCiMethod = "newcombe",
    reference: str | None = None,
    group_order: Sequence[str] | None = None,
    label: str | None = None,
) -> ProportionResult:
    """Rate of a binary outcome (e.g. conversion to resection) per group with CI and test.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    outcome : str
        A boolean or 0/1 column; missing values are excluded and counted.
    by : str, optional
        Group column (None = all patients).
    ci, test, conf_level, diff_ci, reference, group_order, label
        As :func:`response_table`.

    Returns
    -------
    ProportionResult

    Examples
    --------
    Seed 002: 9 of 47 converted to curative resection or transplantation.

    >>> d = pd.DataFrame({"conv": [True] * 9 + [False] * 38})
    >>> r = proportion_table(d, "conv").to_frame().iloc[0]
    >>> [round(float(r[k]), 4) for k in ("rate", "ci_lower", "ci_upper")]
    [0.1915, 0.0915, 0.3326]
    """
    s = _column(data, outcome, "outcome")
    labels, levels = _group_labels(data, by, group_order)
    hit, missing = _as_binary(s, outcome)
    keep = ~missing
    rows = _binary_rows(hit[keep], labels[keep], levels, "rate", ci, conf_level)
    n_missing = {g: int((missing & (labels == g)).sum()) for g in levels}
    tests: list[dict[str, object]] = []
    diffs: list[dict[str, object]] = []
    ref: str | None = None
    method = f"{label or outcome}: proportion with {conf_level:.0%} CI {CI_NAMES[ci]}"
    if len(levels) > 1:
        ref = _reference(levels, reference, by)
        tests.append(_binary_test(hit[keep], labels[keep], levels, "rate", test))
        diffs = _diff_rows(hit[keep], labels[keep], levels, ref, "rate", diff_ci, conf_level)
        method += (f"; groups compared by {tests[0]['test']} ({tests[0]['reason']}); "
                   f"differences minus {ref} with the {DIFF_CI_NAMES[diff_ci]}")
    if int(missing.sum()):
        method += f"; {int(missing.sum())} patient(s) with an unknown outcome excluded"
    return ProportionResult(
        outcome=outcome, label=label, by=by, groups=levels, n_missing=n_missing, ci=ci,
        diff_ci=diff_ci, test=test, conf_level=conf_level, reference=ref, method=method,
        _rates=_frame(rows, _RATE_COLS), _tests=_frame(tests, _TEST_COLS),
        _diffs=_frame(diffs, _DIFF_COLS))
