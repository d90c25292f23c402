"""Subgroup analyses: the treatment hazard ratio within each level of each variable.

:func:`subgroup_analysis` returns a :class:`SubgroupResult` whose
:meth:`~SubgroupResult.to_frame` is the table behind a forest plot (seed 000
Fig. 2, seed 004 Figs. 2-3).

Method choices, stated once:

* Within each level: a Cox model (:func:`hccstudy.cox`) of the treatment
  indicator (treated vs ``reference``), plus the ``adjust_for`` terms; HR with
  Wald CI and Wald p. The "Overall" row is the same model on all rows.
* Interaction: likelihood-ratio test of ``treatment + variable`` against
  ``treatment * variable`` (nested Cox models on the same rows: those with the
  variable known; R's ``anova(fit0, fit1)``), df = levels - 1, or the Wald test
  of the interaction coefficients (``interaction_test="wald"``). Coefficients
  that cannot be estimated (a level with one arm only) are left out, as R
  leaves them NA, and the df is reduced.
* Non-estimable levels: a level where an arm has no patients or no events has
  ``estimable=False``, NaN HR, CI and p, and a note (no "HR 0 (0-Inf)"); a fit
  that stops on a monotone likelihood or fails is treated the same way. The
  :class:`~hccstudy.errors.MonotoneLikelihoodWarning` of such fits is handled
  (it becomes the note), never passed on.
* Continuous variables need cut points: ``cuts={"size": [5]}`` gives the levels
  "< 5" and ">= 5" (``[5, 10]``: "< 5", "5 to < 10", ">= 10").
* Rows: complete cases of time, event, treatment and the adjustment terms;
  rows with the subgroup variable missing are left out of that variable's
  panel only (counted in :attr:`SubgroupResult.interactions`).

Examples
--------
>>> import hccstudy
>>> from hccstudy.analyse.subgroups import subgroup_analysis
>>> d = hccstudy.datasets.load_demo()
>>> r = subgroup_analysis(d, "arm", ["sex", "tumour_size_cm"], time="os_months",
...                       event="death", reference="non-CCRT", cuts={"tumour_size_cm": [5]})
>>> r.to_frame()["level"].tolist()
['All', 'female', 'male', '< 5', '>= 5']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from hccstudy._input import select_rows
from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse._cox_design import build_design, formula_variables
from hccstudy.analyse.logistic import _chi2_sf
from hccstudy.analyse.models import _label
from hccstudy.errors import ConvergenceWarning, InputError, MonotoneLikelihoodWarning

__all__ = ["COLUMNS", "SubgroupResult", "subgroup_analysis"]

COLUMNS = ["variable", "level", "n_treated", "events_treated", "n_control", "events_control",
           "hr", "ci_lower", "ci_upper", "p_value", "p_interaction", "estimable", "note"]
"""Columns of :meth:`SubgroupResult.to_frame`, in order."""

_MAX_DISCRETE = 10


@dataclass(frozen=True)
class SubgroupResult(HtmlReprMixin):
    """Treatment HRs per subgroup level and interaction p-values (aggregates only).

    Attributes
    ----------
    treatment : str
        The treatment column.
    treated, reference : str
        The treated level and the reference (control) level.
    variables : tuple of str
    interaction_test : {"lr", "wald"}
    adjust_for : tuple of str
    conf_level : float
    n_dropped : int
        Rows left out for missing time, event, treatment or adjustment values.
    table : pandas.DataFrame
        The rows of :meth:`to_frame`.
    interactions : pandas.DataFrame
        Per variable: ``variable, statistic, df, p_interaction, n_missing, note``.
    method : str
    """

    treatment: str
    treated: str
    reference: str
    variables: tuple[str, ...]
    interaction_test: str
    adjust_for: tuple[str, ...]
    conf_level: float
    n_dropped: int
    table: pd.DataFrame = field(repr=False)
    interactions: pd.DataFrame = field(repr=False)
    method: str = ""

    def to_frame(self) -> pd.DataFrame:
        """``variable, level, n_treated, events_treated, n_control, events_control, hr,
        ci_lower, ci_upper, p_value, p_interaction, estimable, note``; "Overall" first."""
        return self.table.loc[:, COLUMNS].copy()

    def summary(self) -> str:
        """Printable forest-plot table."""
        lines = [f"Subgroup HRs, {self.treated} vs {self.reference} ({self.method})"]
        for _, r in self.table.iterrows():
            hr = (f"HR {r['hr']:.3g} ({r['ci_lower']:.3g}-{r['ci_upper']:.3g}), "
                  f"p = {r['p_value']:.3g}" if r["estimable"] else "not estimable")
            pi = ("" if not np.isfinite(r["p_interaction"])
                  else f"; p interaction {r['p_interaction']:.3g}")
            lines.append(f"  {r['variable']} {r['level']}: {r['events_treated']}/"
                         f"{r['n_treated']} vs {r['events_control']}/{r['n_control']}, {hr}"
                         f"{pi}" + (f" [{r['note']}]" if r["note"] else ""))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (f"SubgroupResult(treated={self.treated!r}, reference={self.reference!r}, "
                f"variables={self.variables!r}, rows={len(self.table)})")


@dataclass(frozen=True)
class _CoxOut:
    coef: np.ndarray
    cov: np.ndarray
    loglik: float
    unstable: tuple[str, ...]
    error: str


class _Engine:
    """Cox fits on row subsets; warnings and input errors become data (never raised).

    Without cluster and weights the fit runs the core kernels of :func:`hccstudy.cox`
    (``_cox_fit.prepare`` / ``newton``, model-based variance) on arrays; with them it
    calls :func:`hccstudy.cox` itself (robust variance).
    """

    def __init__(self, work: pd.DataFrame, extra: list[str], kw: dict[str, Any],
                 strata: list[str]) -> None:
        self.work = work
        self.extra = extra
        self.kw = kw
        self.fast = kw["cluster"] is None and kw["weights"] is None
        self.t = work["__t"].to_numpy(dtype=float)
        self.e = work["__e"].to_numpy(dtype=float)
        self.s = (work.groupby(strata, sort=True).ngroup().to_numpy() if strata else None)
        self.efron = kw["ties"] == "efron"

    def fit(self, mask: np.ndarray, x: np.ndarray, names: Sequence[str]) -> _CoxOut:
        if not self.fast:
            return self._slow(mask, x, names)
        from hccstudy.analyse import _cox_fit as K
        from hccstudy.analyse.cox import _singular_columns

        t, e = self.t[mask], self.e[mask]
        if e.sum() == 0:
            return _CoxOut(np.zeros(0), np.zeros((0, 0)), float("nan"), (), "no events")
        const = [names[j] for j in range(x.shape[1]) if np.ptp(x[:, j]) == 0]
        if const:
            return _CoxOut(np.zeros(0), np.zeros((0, 0)), float("nan"), (),
                           f"covariate(s) {const!r} constant")
        st = None
        if self.s is not None:
            st = np.unique(self.s[mask], return_inverse=True)[1]
        cd = K.prepare(np.ascontiguousarray(x, dtype=float), t, e, strata=st, efron=self.efron)

        def check(info0: np.ndarray) -> None:
            bad = _singular_columns(info0)
            if bad:
                raise InputError(f"covariate(s) {[names[j] for j in bad]!r} carry no "
                                 "information (collinear or constant within strata)",
                                 rule="design of full rank")

        try:
            nr = K.newton(cd, check=check)
        except InputError as exc:
            return _CoxOut(np.zeros(0), np.zeros((0, 0)), float("nan"), (), str(exc))
        cov = np.linalg.inv(nr.info)
        unstable = tuple(names[int(j)] for j in np.flatnonzero(nr.infinite))
        if not nr.converged and not unstable:
            unstable = tuple(names)
        return _CoxOut(nr.beta, 0.5 * (cov + cov.T), float(nr.loglik), unstable, "")

    def _slow(self, mask: np.ndarray, x: np.ndarray, names: Sequence[str]) -> _CoxOut:
        from hccstudy.analyse.cox import cox

        frame = self.work.loc[mask, ["__t", "__e", *self.extra]].reset_index(drop=True)
        cols = [f"__x{j}" for j in range(x.shape[1])]
        frame = pd.concat([frame, pd.DataFrame(x, columns=cols)], axis=1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                r = cox(frame, " + ".join(cols), ph_transforms=(), concordance=False,
                        **self.kw)
            except InputError as exc:
                return _CoxOut(np.zeros(0), np.zeros((0, 0)), float("nan"), (), str(exc))
        unstable = {names[cols.index(c)] for c in r.unstable}
        for w in caught:
            if not issubclass(w.category, MonotoneLikelihoodWarning | ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename,  # pragma: no cover
                                       w.lineno)
            elif issubclass(w.category, ConvergenceWarning):
                unstable |= set(names)
        return _CoxOut(r.coef.to_numpy(), r.cov.to_numpy(), r.loglik[1],
                       tuple(c for c in names if c in unstable), "")


def _levels(values: pd.Series, name: str, cuts: Sequence[float] | None
            ) -> tuple[np.ndarray, list[str]]:
    """Level code per row (-1 missing) and the level labels."""
    known = values.notna().to_numpy()
    codes = np.full(len(values), -1, dtype=np.int64)
    if cuts is not None:
        c = np.asarray(sorted(float(x) for x in cuts), dtype=float)
        if c.size == 0 or not np.all(np.isfinite(c)) or np.any(np.diff(c) <= 0):
            raise InputError(f"cuts of {name!r} must be distinct finite numbers",
                             column=name, rule="cut points are distinct numbers")
        v = pd.to_numeric(values, errors="coerce")
        bad = v.isna() & values.notna()
        if bad.any():
            raise InputError(f"column {name!r}: {int(bad.sum())} row(s) are not numeric; "
                             "rule: a variable with cut points must be numeric",
                             column=name, n_rows=int(bad.sum()), rule="numeric for cuts")
        codes[known] = np.searchsorted(c, v.to_numpy(dtype=float)[known], side="right")
        f = [f"{x:g}" for x in c]
        labels = [f"< {f[0]}"] + [f"{f[i]} to < {f[i + 1]}" for i in range(len(f) - 1)] \
            + [f">= {f[-1]}"]
        return codes, labels
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        return codes, [_label(x) for x in values.cat.categories]
    present = values[known]
    uniq = pd.unique(present)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and len(uniq) > _MAX_DISCRETE:
        raise InputError(f"column {name!r} is continuous ({len(uniq)} distinct values); rule: "
                         "give cut points for it in cuts= (e.g. {name: [5]})",
                         column=name, rule="continuous subgroup variable needs cuts")
    try:
        order = sorted(uniq)
    except TypeError:
        order = sorted(uniq, key=str)
    pos = {v: i for i, v in enumerate(order)}
    codes[known] = np.array([pos[v] for v in present], dtype=np.int64)
    return codes, [_label(v) for v in order]


def _independent(cells: np.ndarray, candidates: list[int]) -> list[int]:
    """Columns (of the distinct-cell design) that are not aliased, R's left-to-right rule."""
    kept: list[int] = []
    base = np.ones((cells.shape[0], 1))
    rank = 1
    for j in candidates:
        m = np.column_stack([base, cells[:, [*kept, j]]])
        r = int(np.linalg.matrix_rank(m))
        if r > rank:
            kept.append(j)
            rank = r
    return kept


def subgroup_analysis(
    data: pd.DataFrame,
    treatment: str,
    variables: Sequence[str],
    *,
    time: str,
    event: str,
    reference: Any,
    cuts: Mapping[str, Sequence[float]] | None = None,
    adjust_for: Sequence[str] = (),
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    interaction_test: Literal["lr", "wald"] = "lr",
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
) -> SubgroupResult:
    """Treatment HR within each level of each subgroup variable, with interaction p.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; never modified.
    treatment : str
        Column with two groups.
    variables : sequence of str
        Subgroup columns (categorical, or continuous with ``cuts``).
    time, event : str
        Survival columns.
    reference : scalar
        The control group of ``treatment``; the HR is the other group vs it.
    cuts : mapping, optional
        Cut points per continuous variable.
    adjust_for : sequence of str
        Terms added to every model (columns or formula terms); a term that is a
        categorical subgroup variable itself is left out of that variable's models
        (a variable with ``cuts`` stays, adjusting within its levels).
    ties : {"efron", "breslow"}
    conf_level : float
    interaction_test : {"lr", "wald"}
        Likelihood-ratio test of the nested models (default) or Wald test of
        the interaction coefficients.
    strata, cluster, weights : optional
        Passed to :func:`hccstudy.cox` (e.g. a matched or weighted cohort); with
        ``weights`` the interaction test must be ``"wald"`` (robust variance).

    Returns
    -------
    SubgroupResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10, 6, 2], "e": [1, 1, 0, 1, 0, 1, 1, 0, 1, 1],
    ...                   "rt": ["y", "n"] * 5, "sex": ["m"] * 6 + ["f"] * 4})
    >>> r = subgroup_analysis(d, "rt", ["sex"], time="t", event="e", reference="n")
    >>> r.to_frame()[["level", "n_treated", "n_control", "estimable"]].values.tolist()
    [['All', 5, 5, True], ['f', 2, 2, True], ['m', 3, 3, True]]
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}",
                         rule="data must be a DataFrame")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be in (0, 1), not {conf_level!r}",
                         rule="0 < conf_level < 1")
    if interaction_test not in ("lr", "wald"):
        raise InputError(f"interaction_test must be 'lr' or 'wald', not {interaction_test!r}",
                         rule="interaction_test option")
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', not {ties!r}", rule="ties option")
    if weights is not None and interaction_test == "lr":
        raise InputError(f"with case weights ({weights!r}) the interaction needs the Wald test "
                         "(a weighted partial likelihood is a pseudo-likelihood); rule: "
                         "interaction_test='wald'", column=weights,
                         rule="weighted models: Wald tests")
    variables = [variables] if isinstance(variables, str) else list(variables)
    cuts = dict(cuts or {})
    stray = [k for k in cuts if k not in variables]
    if stray:
        raise InputError(f"cuts given for {stray!r}, which are not subgroup variables",
                         column=stray[0], rule="cuts name subgroup variables")
    st = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    adj_terms = list(adjust_for)
    adj_vars = [formula_variables(a, data) for a in adj_terms]
    extra = [*st, *([cluster] if cluster else []), *([weights] if weights else [])]
    base_cols = [time, event, treatment, *[v for vs in adj_vars for v in vs], *extra]
    missing_vars = [v for v in variables if v not in data.columns]
    if missing_vars:
        raise InputError(f"unknown column(s) {missing_vars!r}: the data has no such column",
                         column=missing_vars[0], rule="column must exist")
    if not variables:
        raise InputError("variables must name at least one subgroup column",
                         rule="at least one subgroup variable")
    positional = data.reset_index(drop=True)
    frame, n_dropped = select_rows(positional, base_cols, "drop")
    var_frame = positional.loc[frame.index, list(dict.fromkeys(variables))]
    # treatment indicator
    labels = frame[treatment].map(_label)
    groups = sorted(labels.unique())
    ref = _label(reference)
    if ref not in groups:
        raise InputError(f"reference {reference!r} is not a level of {treatment!r}",
                         column=treatment, rule="reference is a level")
    if len(groups) != 2:
        raise InputError(f"column {treatment!r} must have exactly two groups, not "
                         f"{len(groups)}", column=treatment, rule="two treatment groups")
    treated = next(g for g in groups if g != ref)
    trt = (labels != ref).to_numpy(dtype=float)
    # working frame: survival, treatment and the extras; the adjustment design as a matrix
    work = pd.DataFrame({"__t": pd.to_numeric(frame[time], errors="coerce").to_numpy(),
                         "__e": frame[event].to_numpy(), "__trt": trt})
    for c in extra:
        work[c] = frame[c].to_numpy()
    adj_x: list[np.ndarray] = []
    adj_names: list[str] = []
    adj_term: list[int] = []
    for i, a in enumerate(adj_terms):
        d = build_design(frame, a)
        adj_x.append(d.x)
        adj_names += list(d.columns)
        adj_term += [i] * d.x.shape[1]
    amat = np.column_stack(adj_x) if adj_x else np.zeros((len(frame), 0))
    kw: dict[str, Any] = {"time": "__t", "event": "__e", "ties": ties, "strata": st or None,
                          "cluster": cluster, "weights": weights, "conf_level": conf_level}
    from scipy.special import ndtr, ndtri

    z = float(ndtri(1 - (1 - conf_level) / 2))
    ev = pd.to_numeric(frame[event], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isin(ev, (0.0, 1.0))):
        bad = int((~np.isin(ev, (0.0, 1.0))).sum())
        raise InputError(f"column {event!r} (event): {bad} row(s) are not 0/1",
                         column=event, n_rows=bad, rule="event is 0/1")
    t_num = work["__t"].to_numpy(dtype=float)
    if np.any(~np.isfinite(t_num) | (t_num < 0)):
        bad = int(np.sum(~np.isfinite(t_num) | (t_num < 0)))
        raise InputError(f"column {time!r} (time): {bad} row(s) are not numbers >= 0",
                         column=time, n_rows=bad, rule="time >= 0")
    engine = _Engine(work, extra, kw, st)

    def level_row(variable: str, level: str, mask: np.ndarray, adj: list[int]) -> dict[str, Any]:
        t1 = mask & (trt == 1)
        t0 = mask & (trt == 0)
        row: dict[str, Any] = {
            "variable": variable, "level": level, "n_treated": int(t1.sum()),
            "events_treated": int(ev[t1].sum()), "n_control": int(t0.sum()),
            "events_control": int(ev[t0].sum()), "hr": np.nan, "ci_lower": np.nan,
            "ci_upper": np.nan, "p_value": np.nan, "p_interaction": np.nan,
            "estimable": False, "note": ""}
        empty = [g for g, m in ((treated, t1), (ref, t0)) if not m.any()]
        if empty:
            row["note"] = "no patients" if len(empty) == 2 else f"no patients in arm {empty[0]}"
            return row
        none = [g for g, m in ((treated, t1), (ref, t0)) if ev[m].sum() == 0]
        if none:
            row["note"] = ("no events" if len(none) == 2 else
                           f"no events in arm {none[0]}: HR not estimable")
            return row
        notes = []
        sub_a = amat[mask][:, adj]
        varies = np.ptp(sub_a, axis=0) > 0 if sub_a.size else np.zeros(0, dtype=bool)
        dropped_terms = sorted({adj_terms[adj_term[adj[j]]] for j in np.flatnonzero(~varies)})
        if dropped_terms:
            notes.append(f"{', '.join(dropped_terms)} constant in this level (not adjusted for)")
        use = [adj[j] for j in np.flatnonzero(varies)]
        x = np.column_stack([trt[mask], amat[mask][:, use]])
        out = engine.fit(mask, x, ["treatment", *[adj_names[j] for j in use]])
        if out.error:
            row["note"] = "model not estimable: " + out.error.split(";")[0]
            return row
        if "treatment" in out.unstable:
            row["note"] = "monotone likelihood: treatment HR not finite"
            return row
        b, se = float(out.coef[0]), float(np.sqrt(out.cov[0, 0]))
        row.update(hr=float(np.exp(b)), ci_lower=float(np.exp(b - z * se)),
                   ci_upper=float(np.exp(b + z * se)),
                   p_value=float(2.0 * ndtr(-abs(b / se))), estimable=True)
        if out.unstable:
            notes.append(f"unstable adjustment coefficient(s) {', '.join(out.unstable)} "
                         "(monotone likelihood)")
        row["note"] = "; ".join(notes)
        return row

    rows = [level_row("Overall", "All", np.ones(len(work), dtype=bool),
                      list(range(len(adj_names))))]
    inter_rows = []
    for v in variables:
        codes, levs = _levels(var_frame[v], v, cuts.get(v))
        # a categorical variable adjusted for is collinear with its own levels: leave it out
        adj = [j for j in range(len(adj_names))
               if v in cuts or adj_vars[adj_term[j]] != [v]]
        p_int, stat, df, note = _interaction(engine, codes, len(levs), trt, amat[:, adj],
                                             [adj_names[j] for j in adj], interaction_test)
        for k, lev in enumerate(levs):
            r = level_row(v, lev, codes == k, adj)
            r["p_interaction"] = p_int
            rows.append(r)
        inter_rows.append({"variable": v, "statistic": stat, "df": df, "p_interaction": p_int,
                           "n_missing": int((codes < 0).sum()), "note": note})
    table = pd.DataFrame(rows, columns=COLUMNS)
    inter = pd.DataFrame(inter_rows, columns=["variable", "statistic", "df", "p_interaction",
                                              "n_missing", "note"])
    method = (f"Cox ({ties} ties) HR of {treated} vs {ref} within each level"
              + (f", adjusted for {', '.join(adj_terms)}" if adj_terms else "")
              + "; interaction by "
              + ("likelihood-ratio test of treatment + variable vs treatment * variable"
                 if interaction_test == "lr" else "Wald test of the treatment x variable terms")
              + " (df = levels - 1); levels with an arm without patients or events are "
                "not estimable")
    return SubgroupResult(treatment, treated, ref, tuple(variables), interaction_test,
                          tuple(adj_terms), float(conf_level), int(n_dropped), table, inter,
                          method)


def _interaction(engine: _Engine, codes: np.ndarray, k: int, trt: np.ndarray,
                 amat: np.ndarray, adj_names: list[str], test: str
                 ) -> tuple[float, float, int, str]:
    """p, statistic and df of the treatment x variable interaction, and a note."""
    known = codes >= 0
    c = codes[known]
    t = trt[known]
    counts = np.bincount(c, minlength=k)
    present = [j for j in range(k) if counts[j] > 0]
    if len(present) < 2:
        return float("nan"), float("nan"), 0, "fewer than two levels with patients"
    others = present[1:]
    m = len(others)
    # distinct cells (level, arm): the rank of the design equals the rank of its cell rows
    cell_codes = np.unique(c * 2 + t.astype(np.int64))
    cmat = np.array([[float(a), *[float(lv == o) for o in others],
                      *[float(a) * float(lv == o) for o in others]]
                     for lv, a in zip(cell_codes // 2, cell_codes % 2, strict=True)])
    main = _independent(cmat, list(range(1 + m)))
    full = _independent(cmat, list(range(1 + 2 * m)))
    inter = [j for j in full if j > m]
    if not inter:
        return float("nan"), float("nan"), 0, "no interaction estimable (levels with one arm)"
    dmat = np.column_stack([(c == o).astype(float) for o in others])
    design = np.column_stack([t, dmat, dmat * t[:, None]])
    names = ["treatment", *[f"level{o}" for o in others], *[f"treatment:level{o}" for o in others]]
    a = amat[known]
    f1 = engine.fit(known, np.column_stack([design[:, full], a]),
                    [*[names[j] for j in full], *adj_names])
    if f1.error:
        return float("nan"), float("nan"), 0, "interaction model not estimable: " + \
            f1.error.split(";")[0]
    df = len(full) - len(main)
    notes = []
    if df < m:
        notes.append(f"{m - df} interaction term(s) not estimable (a level with one arm)")
    if test == "lr":
        f0 = engine.fit(known, np.column_stack([design[:, main], a]),
                        [*[names[j] for j in main], *adj_names])
        if f0.error:
            return float("nan"), float("nan"), 0, "main-effects model not estimable"
        stat = 2.0 * (f1.loglik - f0.loglik)
    else:
        pos = [full.index(j) for j in inter]
        b = f1.coef[pos]
        v = f1.cov[np.ix_(pos, pos)]
        try:
            stat = float(b @ np.linalg.solve(v, b))
        except np.linalg.LinAlgError:
            stat = float("nan")
    if f1.unstable:
        notes.append("monotone likelihood in the interaction model (a level-arm without "
                     "events): the test uses the limit of the likelihood")
    return _chi2_sf(stat, df), float(stat), df, "; ".join(notes)
