"""Adverse-event tables: any grade and grade >= 3 per term and group, with tests.

Input is one row per patient with a worst-grade column per term (``ae_<slug>``: 0 = no
event, 1-5 = CTCAE worst grade, missing = not assessed), as the study runner builds them
from the canonical ``adverse_events`` table with :func:`worst_grade_columns`, or a long
table of graded events (one row per event) with the number of patients per group. Lab
toxicities graded by :func:`hccstudy.clinical.ctcae.grade_labs` /
:func:`~hccstudy.clinical.ctcae.worst_grades` enter through :func:`lab_ae_columns`.

Per term and group: the denominator (patients assessed for that term; missing grades are
excluded from that term's denominator and counted), patients with any grade (>= 1) and
with grade >= ``grade_threshold`` (3 = "grade 3-4" / severe), and the group comparison of
each by :func:`hccstudy.analyse.response.group_test` (``"auto"``: Pearson chi-square
without continuity correction when every expected count is >= 5, otherwise Fisher's exact
test; the rule that reproduces seed 004's Table 4). A row with no event in any group has
no test. The worst grade per patient over all terms gives the "any adverse event" rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse.response import GroupTest, group_test
from hccstudy.errors import InputError

__all__ = [
    "ToxicityResult",
    "adverse_event_table",
    "ae_slug",
    "lab_ae_columns",
    "worst_grade_columns",
]

_GRADES = (0, 1, 2, 3, 4, 5)
ANY_AE = "any adverse event"


def ae_slug(term: str) -> str:
    """Column slug of an adverse-event term: lower case, runs of non-alphanumerics -> ``_``.

    Examples
    --------
    >>> ae_slug("Platelet count decreased"), ae_slug("Hand-foot skin reaction"), ae_slug(" AST ")
    ('platelet_count_decreased', 'hand_foot_skin_reaction', 'ast')
    """
    return re.sub(r"[^0-9a-z]+", "_", str(term).strip().lower()).strip("_")


def _grades(s: pd.Series, name: str) -> np.ndarray:
    """Worst grades as floats (nan = not assessed); integers 0-5 only."""
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = (s.notna().to_numpy() & np.isnan(v)) | (~np.isnan(v) & ~np.isin(v, _GRADES))
    if bad.any():
        raise InputError(f"column {name!r}: {int(bad.sum())} row(s) are not a CTCAE grade "
                         "(integer 0-5, 0 = no event, missing = not assessed)", column=name,
                         n_rows=int(bad.sum()), rule="grade in 0-5")
    return v


def worst_grade_columns(long: pd.DataFrame, patient: str, term: str, grade: str,
                        patients: Sequence[object] | pd.Series | pd.Index, *,
                        prefix: str = "ae_") -> pd.DataFrame:
    """Per-patient worst-grade columns ``<prefix><slug>`` from a long table of graded events.

    Parameters
    ----------
    long : pandas.DataFrame
        One row per event: ``patient``, ``term`` (free text, slugged with :func:`ae_slug`;
        terms with the same slug are merged) and ``grade`` (integer 1-5; 0 allowed).
    patient, term, grade : str
        Column names in ``long``.
    patients : sequence
        Every patient of the cohort (the rows of the result, in this order); patients
        without an event get 0.
    prefix : str

    Returns
    -------
    pandas.DataFrame
        Index = ``patients``; one integer column per term, sorted by name.

    Examples
    --------
    >>> ev = pd.DataFrame({"pid": ["a", "a", "b"], "term": ["Diarrhoea", "diarrhoea", "Rash"],
    ...                    "grade": [1, 3, 2]})
    >>> worst_grade_columns(ev, "pid", "term", "grade", ["a", "b", "c"]).to_dict("list")
    {'ae_diarrhoea': [3, 0, 0], 'ae_rash': [0, 2, 0]}
    """
    for c in (patient, term, grade):
        if c not in long.columns:
            raise InputError(f"unknown column {c!r} in the event table", column=c,
                             rule="column must exist")
    idx = pd.Index(list(patients), name=patient)
    if idx.has_duplicates:
        raise InputError(f"patients: {int(idx.duplicated().sum())} duplicate(s)",
                         column=patient, n_rows=int(idx.duplicated().sum()),
                         rule="one row per patient")
    g = _grades(long[grade], grade)
    if np.isnan(g).any():
        raise InputError(f"column {grade!r}: {int(np.isnan(g).sum())} event row(s) have no "
                         "grade", column=grade, n_rows=int(np.isnan(g).sum()),
                         rule="graded events")
    if long[term].isna().any():
        raise InputError(f"column {term!r}: {int(long[term].isna().sum())} event row(s) have "
                         "no term", column=term, n_rows=int(long[term].isna().sum()),
                         rule="term not missing")
    unknown = ~long[patient].isin(idx)
    if unknown.any():
        raise InputError(f"column {patient!r}: {int(unknown.sum())} event row(s) belong to no "
                         "patient of the cohort", column=patient, n_rows=int(unknown.sum()),
                         rule="event patient in cohort")
    ev = pd.DataFrame({"p": long[patient].to_numpy(), "t": [prefix + ae_slug(t)
                                                             for t in long[term]], "g": g})
    wide = ev.groupby(["p", "t"])["g"].max().unstack("t")
    wide = wide.reindex(index=idx, columns=sorted(wide.columns)).fillna(0).astype(int)
    wide.columns.name = None
    return wide


def lab_ae_columns(worst: pd.DataFrame, *, prefix: str = "ae_") -> pd.DataFrame:
    """``ae_<term>`` columns from :func:`hccstudy.clinical.ctcae.worst_grades` output.

    Takes the ``ctcae_<term>_worst`` columns (a missing worst grade stays missing: not
    assessed) and renames them.

    Examples
    --------
    >>> w = pd.DataFrame({"ctcae_platelet_count_decreased_worst": [3, 0],
    ...                   "ctcae_platelet_count_decreased_baseline": [0, 0]})
    >>> lab_ae_columns(w).columns.tolist()
    ['ae_platelet_count_decreased']
    """
    cols = [c for c in worst.columns if c.startswith("ctcae_") and c.endswith("_worst")]
    out = worst[cols].astype("float64")
    out.columns = [prefix + c[len("ctcae_"):-len("_worst")] for c in cols]
    return out


@dataclass(frozen=True, slots=True, eq=False)
class ToxicityResult(HtmlReprMixin):
    """Adverse events by term and group: any grade, grade >= threshold, tests, worst grade.

    Attributes
    ----------
    terms : tuple of str
        Term names (column names without the prefix) in table order.
    groups : tuple of str
    by : str or None
    n_by_group : dict
        Patients per group.
    grade_threshold : int
    test, sort : str
    method : str
    """

    terms: tuple[str, ...]
    groups: tuple[str, ...]
    by: str | None
    n_by_group: dict[str, int]
    grade_threshold: int
    test: str
    sort: str
    method: str
    _table: pd.DataFrame
    _grades: pd.DataFrame
    _tests: pd.DataFrame
    _overall: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Per term and group: term, group, n (assessed), n_missing, any_grade,
        any_grade_rate, grade_ge, grade_ge_rate (grade >= ``grade_threshold``).

        Examples
        --------
        >>> d = pd.DataFrame({"ae_rash": [0, 1, 3, None]})
        >>> adverse_event_table(d).to_frame()[["n", "n_missing", "any_grade", "grade_ge"]
        ...                                   ].to_dict("records")
        [{'n': 3, 'n_missing': 1, 'any_grade': 2, 'grade_ge': 1}]
        """
        return self._table.copy()

    def grades(self) -> pd.DataFrame:
        """Counts of patients by worst grade (0-5) per term and group: term, group, grade, n.

        Examples
        --------
        >>> d = pd.DataFrame({"ae_rash": [0, 1, 3, 3]})
        >>> adverse_event_table(d).grades()["n"].tolist()
        [1, 1, 0, 2, 0, 0]
        """
        return self._grades.copy()

    def tests(self) -> pd.DataFrame:
        """Group comparisons: term (or "any adverse event"), measure ("any grade" or
        "grade >= k"), p_value, test, reason.

        Examples
        --------
        >>> d = pd.DataFrame({"ae_rash": [0, 1, 3, 0, 2, 0], "arm": ["a", "b"] * 3})
        >>> adverse_event_table(d, by="arm").tests()["measure"].tolist()[:2]
        ['any grade', 'grade >= 3']
        """
        return self._tests.copy()

    def overall(self) -> pd.DataFrame:
        """Worst grade per patient over all terms, per group: group, n, any_grade,
        any_grade_rate, grade_ge, grade_ge_rate and grade_0 ... grade_5 counts.

        Examples
        --------
        >>> d = pd.DataFrame({"ae_rash": [0, 1, 0], "ae_fever": [0, 3, 1]})
        >>> adverse_event_table(d).overall()[["n", "any_grade", "grade_ge"]].to_dict("records")
        [{'n': 3, 'any_grade': 2, 'grade_ge': 1}]
        """
        return self._overall.copy()

    def summary(self) -> str:
        """Readable summary: any-grade and grade >= k rates per term and group."""
        k = self.grade_threshold
        lines = [f"Adverse events ({len(self.terms)} terms; grade >= {k})"]
        for row in self._overall.itertuples():
            lines.append(f"  {ANY_AE} {row.group}: {row.any_grade}/{row.n} any grade, "
                         f"{row.grade_ge}/{row.n} grade >= {k}")
        for row in self._table.itertuples():
            lines.append(f"  {row.term} {row.group}: {row.any_grade}/{row.n} "
                         f"({row.any_grade_rate:.1%}) any, {row.grade_ge}/{row.n} "
                         f"({row.grade_ge_rate:.1%}) grade >= {k}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"ToxicityResult(terms={len(self.terms)}, groups={list(self.groups)}, "
                f"n_by_group={self.n_by_group}, grade_threshold={self.grade_threshold}, "
                f"test={self.test!r})")


def _rate(x: int, n: int) -> float:
    return x / n if n else float("nan")


def adverse_event_table(
    data: pd.DataFrame | None,
    terms: Sequence[str] | None = None,
    by: str | None = None,
    *,
    prefix: str = "ae_",
    grade_threshold: int = 3,
    test: GroupTest = "auto",
    long: pd.DataFrame | None = None,
    patient: str | None = None,
    term: str | None = None,
    grade: str | None = None,
    n_by_group: Mapping[str, int] | int | None = None,
    sort: Literal["frequency", "given"] = "frequency",
    group_order: Sequence[str] | None = None,
) -> ToxicityResult:
    """Adverse-event table: any grade and grade >= ``grade_threshold`` per term and group.

    Parameters
    ----------
    data : pandas.DataFrame or None
        One row per patient with worst-grade columns (0 = no event, 1-5, missing = not
        assessed for that term: excluded from its denominator and counted) and the ``by``
        column. Not modified. With ``long`` and ``patient`` it supplies the cohort (patients
        without events count as grade 0); None with ``long`` needs ``n_by_group``.
    terms : sequence of str, optional
        Worst-grade columns; default every column starting with ``prefix``.
    by : str, optional
        Group column (of ``data``, or of ``long`` when ``data`` is None).
    prefix : str
        Column prefix; stripped from the term names.
    grade_threshold : int
        The "severe" cut-off (3: grade 3-4 (5)).
    test : {"auto", "chisq", "chisq_yates", "fisher"}
        See :func:`hccstudy.analyse.response.group_test`.
    long : pandas.DataFrame, optional
        Graded events, one row per event (see :func:`worst_grade_columns`): the worst grade
        per patient and term is used.
    patient, term, grade : str, optional
        Columns of ``long`` (and ``patient`` of ``data``).
    n_by_group : mapping or int, optional
        Patients per group (int without ``by``) when ``data`` is None.
    sort : {"frequency", "given"}
        Terms by overall any-grade frequency (then grade >= k, then name), or as given.
    group_order : sequence of str, optional

    Returns
    -------
    ToxicityResult

    Examples
    --------
    Seed 004 Table 4, grade 3-4 thrombocytopenia (1/42 vs 7/29; Fisher p = 0.007):

    >>> d = pd.DataFrame({"arm": ["IO+T"] * 42 + ["RT+IO+T"] * 29,
    ...                   "ae_thrombocytopenia": [3] + [0] * 41 + [3] * 7 + [1] * 15 + [0] * 7})
    >>> t = adverse_event_table(d, by="arm").tests()
    >>> t[["measure", "test"]].values.tolist()[:2]
    [['any grade', 'Pearson chi-square'], ['grade >= 3', 'Fisher exact']]
    >>> round(float(t["p_value"].iloc[1]), 3)
    0.007
    """
    from hccstudy.analyse.response import _group_labels

    if grade_threshold not in (1, 2, 3, 4, 5):
        raise InputError(f"grade_threshold {grade_threshold}: use 1-5", rule="grade 1-5")
    if sort not in ("frequency", "given"):
        raise InputError(f"sort {sort!r}: use 'frequency' or 'given'", rule="sort option")
    pad: dict[str, int] = {}
    if long is not None:
        if patient is None or term is None or grade is None:
            raise InputError("a long event table needs patient, term and grade column names",
                             rule="long table columns")
        if data is not None:
            if patient not in data.columns:
                raise InputError(f"unknown patient column {patient!r}", column=patient,
                                 rule="column must exist")
            wide = worst_grade_columns(long, patient, term, grade, data[patient], prefix=prefix)
            frame = pd.concat([data.reset_index(drop=True)[[by]] if by else
                               pd.DataFrame(index=range(len(data))),
                               wide.reset_index(drop=True)], axis=1)
        else:
            if n_by_group is None:
                raise InputError("a long event table without the cohort frame needs n_by_group",
                                 rule="denominators")
            cols = [patient] + ([by] if by else [])
            for c in cols:
                if c not in long.columns:
                    raise InputError(f"unknown column {c!r} in the event table", column=c,
                                     rule="column must exist")
            pg = long[cols].drop_duplicates()
            if pg[patient].duplicated().any():
                k = int(pg[patient].duplicated().sum())
                raise InputError(f"column {by!r}: {k} patient(s) have events in more than one "
                                 "group", column=by, n_rows=k, rule="one group per patient")
            wide = worst_grade_columns(long, patient, term, grade, pg[patient], prefix=prefix)
            frame = pd.concat([pg.reset_index(drop=True)[[by]] if by else
                               pd.DataFrame(index=range(len(pg))),
                               wide.reset_index(drop=True)], axis=1)
            counts = {"all": int(n_by_group)} if isinstance(n_by_group, int) else \
                {str(k): int(v) for k, v in n_by_group.items()}
            present = (frame[by].map(str) if by else pd.Series("all", index=frame.index))
            for g, n_g in counts.items():
                extra = n_g - int((present == g).sum())
                if extra < 0:
                    raise InputError(f"n_by_group[{g!r}] = {n_g} is smaller than the "
                                     f"{int((present == g).sum())} patients with events",
                                     column=by, n_rows=-extra, rule="n_by_group >= patients")
                pad[g] = extra
            unknown = sorted(set(present) - set(counts))
            if unknown:
                raise InputError(f"groups {unknown} have events but no n_by_group entry",
                                 column=by, rule="n_by_group for every group")
            if group_order is None:
                group_order = list(counts)
        if terms is None:
            terms = [c for c in wide.columns]
    else:
        if data is None:
            raise InputError("give data (worst-grade columns) or a long event table",
                             rule="input")
        frame = data
    cols = list(terms) if terms is not None else \
        [c for c in frame.columns if str(c).startswith(prefix)]
    if not cols:
        raise InputError(f"no adverse-event columns (none starts with {prefix!r})",
                         rule="ae columns")
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        raise InputError(f"unknown adverse-event column(s) {absent}", column=absent[0],
                         rule="column must exist")
    labels, levels = _group_labels(frame, by, group_order)
    for g in pad:
        if g not in levels:
            levels = (*levels, g)
    names = [c[len(prefix):] if c.startswith(prefix) else c for c in cols]
    grades = np.column_stack([_grades(frame[c], c) for c in cols])
    k = grade_threshold
    n_group = {g: int((labels == g).sum()) + pad.get(g, 0) for g in levels}

    table_rows: list[dict[str, object]] = []
    grade_rows: list[dict[str, object]] = []
    test_rows: list[dict[str, object]] = []
    freq: list[tuple[int, int]] = []
    for j, name in enumerate(names):
        v = grades[:, j]
        any_tab = np.zeros((2, len(levels)), dtype=int)
        ge_tab = np.zeros((2, len(levels)), dtype=int)
        for i, g in enumerate(levels):
            vg = v[labels == g]
            ok = vg[~np.isnan(vg)]
            n = len(ok) + pad.get(g, 0)
            a, s = int((ok >= 1).sum()), int((ok >= k).sum())
            any_tab[:, i] = (a, n - a)
            ge_tab[:, i] = (s, n - s)
            table_rows.append({"term": name, "group": g, "n": n,
                               "n_missing": int(np.isnan(vg).sum()), "any_grade": a,
                               "any_grade_rate": _rate(a, n), "grade_ge": s,
                               "grade_ge_rate": _rate(s, n)})
            for gr in _GRADES:
                grade_rows.append({"term": name, "group": g, "grade": gr,
                                   "n": int((ok == gr).sum()) + (pad.get(g, 0) if gr == 0
                                                                 else 0)})
        freq.append((int(any_tab[0].sum()), int(ge_tab[0].sum())))
        if len(levels) > 1:
            for meas, tab in (("any grade", any_tab), (f"grade >= {k}", ge_tab)):
                p, tname, why = group_test(tab, test)
                test_rows.append({"term": name, "measure": meas, "p_value": p, "test": tname,
                                  "reason": why})
    order = list(range(len(names)))
    if sort == "frequency":
        order.sort(key=lambda j: (-freq[j][0], -freq[j][1], names[j]))
    rank = {names[j]: r for r, j in enumerate(order)}
    table = pd.DataFrame(table_rows)
    table = table.sort_values("term", key=lambda s: s.map(rank), kind="mergesort")
    gr_frame = pd.DataFrame(grade_rows)
    gr_frame = gr_frame.sort_values("term", key=lambda s: s.map(rank), kind="mergesort")

    # worst grade per patient over all terms
    assessed = ~np.isnan(grades).all(axis=1)
    worst = np.where(assessed, np.nanmax(np.where(np.isnan(grades), -1.0, grades), axis=1),
                     np.nan)
    over_rows: list[dict[str, object]] = []
    any_tab = np.zeros((2, len(levels)), dtype=int)
    ge_tab = np.zeros((2, len(levels)), dtype=int)
    for i, g in enumerate(levels):
        wg = worst[(labels == g) & assessed]
        n = len(wg) + pad.get(g, 0)
        a, s = int((wg >= 1).sum()), int((wg >= k).sum())
        any_tab[:, i] = (a, n - a)
        ge_tab[:, i] = (s, n - s)
        row: dict[str, object] = {"group": g, "n": n, "any_grade": a,
                                  "any_grade_rate": _rate(a, n), "grade_ge": s,
                                  "grade_ge_rate": _rate(s, n)}
        for gr in _GRADES:
            row[f"grade_{gr}"] = int((wg == gr).sum()) + (pad.get(g, 0) if gr == 0 else 0)
        over_rows.append(row)
    overall_tests: list[dict[str, object]] = []
    if len(levels) > 1:
        for meas, tab in (("any grade", any_tab), (f"grade >= {k}", ge_tab)):
            p, tname, why = group_test(tab, test)
            overall_tests.append({"term": ANY_AE, "measure": meas, "p_value": p,
                                  "test": tname, "reason": why})
    tests = pd.DataFrame(overall_tests + test_rows,
                         columns=["term", "measure", "p_value", "test", "reason"])
    tests = tests.sort_values("term", key=lambda s: s.map(lambda t: rank.get(t, -1)),
                              kind="mergesort").reset_index(drop=True)
    tname = {"auto": "Pearson chi-square without continuity correction when every expected "
                     "count is >= 5, otherwise Fisher's exact test",
             "chisq": "Pearson chi-square without continuity correction",
             "chisq_yates": "Pearson chi-square with Yates' correction",
             "fisher": "Fisher's exact test"}.get(test, str(test))
    method = (f"Adverse events: worst grade per patient and term; any grade (>= 1) and grade "
              f">= {k}; a term not assessed in a patient is left out of that term's "
              f"denominator")
    if pad:
        method += "; patients without a recorded event counted as grade 0 (n_by_group)"
    if len(levels) > 1:
        method += f"; groups compared per term by {tname} (two-sided)"
    return ToxicityResult(
        terms=tuple(names[j] for j in order), groups=levels, by=by, n_by_group=n_group,
        grade_threshold=k, test=test, sort=sort, method=method,
        _table=table.reset_index(drop=True), _grades=gr_frame.reset_index(drop=True),
        _tests=tests, _overall=pd.DataFrame(over_rows))
