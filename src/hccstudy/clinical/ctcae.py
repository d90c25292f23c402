"""CTCAE v4.03 and v5.0 grades from laboratory values (§8), worst grade per patient in a window.

Sources: NCI CTCAE v4.03 (14 June 2010) and v5.0 (27 November 2017); thresholds cross-checked
against pharmaverse/admiral ``ncictcaev4.json`` / ``ncictcaev5.json`` (per the reference).

Rules: grades are evaluated from 4 down; decreased counts use absolute thresholds for grades 2-4
and the sample LLN for grade 1 (a missing LLN leaves a value above the grade-2 threshold
ungraded); increased AST/ALT/bilirubin use multiples of the ULN, and under v5.0 multiples of the
baseline when the baseline is abnormal (baseline > its ULN, §14 row 16); creatinine takes the
worse of its ULN and baseline criteria (ULN alone, flagged, when the baseline is missing).
Values and thresholds are compared after rounding both to ``signif_digits`` significant digits
(default 8, which removes floating-point noise such as 3 x 1.2 = 3.5999999999999996).
Clinical-only grades (e.g. anaemia grade 4) are never derived.

Options (§14 rows 15-18): ``version`` "5.0" (default) or "4.03"; study default LLN/ULN via
``default_lln``/``default_uln`` (flagged); the baseline visit is graded by the same rules and
reported apart, never counted as an adverse event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.clinical._common import (
    ClinicalInputError,
    check_value,
    flag_array,
    is_missing,
    join_reasons,
)
from hccstudy.clinical.units import BOUNDS, to_canonical

__all__ = [
    "TERMS",
    "CtcaeGrade",
    "ctcae_grade",
    "ctcae_grade_detail",
    "grade_labs",
    "normalise_term",
    "worst_grades",
]

Version = Literal["5.0", "4.03"]

# decreased terms: absolute thresholds (grade 2, 3, 4) in canonical units, and unit quantity
_DECREASED: dict[str, tuple[tuple[float, float, float | None], str]] = {
    "anaemia": ((10.0, 8.0, None), "haemoglobin"),
    "neutrophil_count_decreased": ((1.5, 1.0, 0.5), "count"),
    "platelet_count_decreased": ((75.0, 50.0, 25.0), "count"),
    "lymphocyte_count_decreased": ((0.8, 0.5, 0.2), "count"),
    "wbc_decreased": ((3.0, 2.0, 1.0), "count"),
    "hypoalbuminaemia": ((3.0, 2.0, None), "albumin"),
}
# increased terms: multiples of ULN for grades 1..4 (grade 1 is "> 1 x ULN")
_INCREASED_ULN: dict[str, tuple[float, float, float, float]] = {
    "ast_increased": (1.0, 3.0, 5.0, 20.0),
    "alt_increased": (1.0, 3.0, 5.0, 20.0),
    "bilirubin_increased": (1.0, 1.5, 3.0, 10.0),
    "creatinine_increased": (1.0, 1.5, 3.0, 6.0),
}
TERMS: tuple[str, ...] = (*_DECREASED, *_INCREASED_ULN)

_ALIASES = {
    "hb": "anaemia", "haemoglobin": "anaemia", "hemoglobin": "anaemia", "anemia": "anaemia",
    "anc": "neutrophil_count_decreased", "neutrophils": "neutrophil_count_decreased",
    "neutrophil": "neutrophil_count_decreased",
    "plt": "platelet_count_decreased", "platelets": "platelet_count_decreased",
    "platelet": "platelet_count_decreased",
    "alc": "lymphocyte_count_decreased", "lymphocytes": "lymphocyte_count_decreased",
    "lymphocyte": "lymphocyte_count_decreased",
    "wbc": "wbc_decreased", "leukocytes": "wbc_decreased", "leucocytes": "wbc_decreased",
    "white_blood_cell_decreased": "wbc_decreased",
    "albumin": "hypoalbuminaemia", "hypoalbuminemia": "hypoalbuminaemia",
    "ast": "ast_increased", "alt": "alt_increased", "bilirubin": "bilirubin_increased",
    "total_bilirubin": "bilirubin_increased", "blood_bilirubin_increased": "bilirubin_increased",
    "creatinine": "creatinine_increased",
}


def normalise_term(term: str) -> str:
    """Canonical CTCAE term name from a lab name or alias.

    Examples
    --------
    >>> normalise_term("ANC"), normalise_term("Platelets"), normalise_term("ast_increased")
    ('neutrophil_count_decreased', 'platelet_count_decreased', 'ast_increased')
    """
    key = str(term).strip().lower().replace(" ", "_").replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in TERMS:
        raise ClinicalInputError(f"value {term!r}: unknown CTCAE lab term; rule: one of {TERMS} "
                                 f"or an alias", column="term", n_rows=1, rule="known term",
                                 value=term)
    return key


def _sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


@dataclass(frozen=True, slots=True)
class CtcaeGrade:
    """A grade (None when undetermined), its reason and flags (e.g. ``baseline_abnormal``)."""

    grade: int | None
    reason: str | None
    flags: str | None


def ctcae_grade_detail(
    term: str,
    value: float | None,
    *,
    version: Version = "5.0",
    lln: float | None = None,
    uln: float | None = None,
    baseline: float | None = None,
    baseline_uln: float | None = None,
    baseline_abnormal: bool | None = None,
    signif_digits: int = 8,
) -> CtcaeGrade:
    """Grade one lab value; see :func:`ctcae_grade`. Returns the grade with reason and flags.

    Examples
    --------
    >>> ctcae_grade_detail("creatinine", 1.5, uln=1.2)
    CtcaeGrade(grade=1, reason=None, flags='baseline_missing')
    """
    t = normalise_term(term)
    if version not in ("5.0", "4.03"):
        raise ClinicalInputError(f"CTCAE version {version!r}; rule: '5.0' or '4.03'",
                                 rule="version in 5.0/4.03", value=version)
    v = check_value(value, BOUNDS["lab"], t)
    if v is None:
        return CtcaeGrade(None, "missing:value", None)

    def gt(a: float, b: float) -> bool:
        return _sig(a, signif_digits) > _sig(b, signif_digits)

    def ge(a: float, b: float) -> bool:
        return _sig(a, signif_digits) >= _sig(b, signif_digits)

    def lt(a: float, b: float) -> bool:
        return _sig(a, signif_digits) < _sig(b, signif_digits)

    if t in _DECREASED:
        (g2, g3, g4), _ = _DECREASED[t]
        if g4 is not None and lt(v, g4):
            return CtcaeGrade(4, None, None)
        if lt(v, g3):
            return CtcaeGrade(3, None, None)
        if lt(v, g2):
            return CtcaeGrade(2, None, None)
        if lln is None or is_missing(lln):
            return CtcaeGrade(None, "missing:lln", None)
        return CtcaeGrade(1 if lt(v, float(lln)) else 0, None, None)

    mult = _INCREASED_ULN[t]
    flags: list[str] = []
    b = None if baseline is None or is_missing(baseline) else float(baseline)

    def by_uln() -> int | None:
        if uln is None or is_missing(uln):
            return None
        u = float(uln)
        for grade in (4, 3, 2, 1):
            if gt(v, mult[grade - 1] * u):
                return grade
        return 0

    if t == "creatinine_increased":
        g_uln = by_uln()
        if b is None:
            flags.append("baseline_missing")
            g_base: int | None = None
        else:
            base_mult = ((1.0, 1.5, 3.0) if version == "4.03" else (None, 1.5, 3.0))
            g_base = 0
            for grade in (3, 2, 1):
                m = base_mult[grade - 1]
                if m is not None and gt(v, m * b):
                    g_base = grade
                    break
        if g_uln is None:  # the ULN criterion could give a higher grade than the baseline one
            return CtcaeGrade(None, "missing:uln", join_reasons(flags))
        return CtcaeGrade(max(g_uln, g_base or 0), None, join_reasons(flags))

    abnormal = baseline_abnormal
    if version == "5.0" and abnormal is None and b is not None:
        ref = baseline_uln if baseline_uln is not None and not is_missing(baseline_uln) else uln
        if ref is not None and not is_missing(ref):
            abnormal = gt(b, float(ref))
    if version == "5.0" and abnormal:
        if b is None:
            return CtcaeGrade(None, "missing:baseline", "baseline_abnormal")
        flags.append("baseline_abnormal")
        bm = (1.5, 3.0, 5.0, 20.0) if t in ("ast_increased", "alt_increased") else mult
        for grade in (4, 3, 2):
            if gt(v, bm[grade - 1] * b):
                return CtcaeGrade(grade, None, join_reasons(flags))
        g1 = ge(v, bm[0] * b) if t in ("ast_increased", "alt_increased") else gt(v, bm[0] * b)
        return CtcaeGrade(1 if g1 else 0, None, join_reasons(flags))
    if version == "5.0" and abnormal is None:
        flags.append("baseline_unknown")
    g = by_uln()
    if g is None:
        return CtcaeGrade(None, "missing:uln", join_reasons(flags))
    return CtcaeGrade(g, None, join_reasons(flags))


def ctcae_grade(
    term: str,
    value: float | None,
    *,
    version: Version = "5.0",
    lln: float | None = None,
    uln: float | None = None,
    baseline: float | None = None,
    baseline_uln: float | None = None,
    baseline_abnormal: bool | None = None,
    signif_digits: int = 8,
) -> int | None:
    """CTCAE grade (0-4) of one lab value; None when undetermined.

    Parameters
    ----------
    term : str
        A term of :data:`TERMS` or an alias ("ANC", "platelets", "AST", ...).
    value : float
        Hb g/dL, counts 10^9/L, albumin g/dL (canonical units); AST/ALT/bilirubin/creatinine in
        the unit of their ULN.
    version : {"5.0", "4.03"}
    lln, uln : float, optional
        The sample's reference range.
    baseline, baseline_uln : float, optional
        Baseline value and its ULN (defaults to ``uln``) for the v5.0 abnormal-baseline rules
        and the creatinine baseline criterion.
    baseline_abnormal : bool, optional
        Overrides "baseline > ULN".

    Examples
    --------
    §8.4 worked examples:

    >>> ctcae_grade("ANC", 0.9), ctcae_grade("platelets", 60, lln=150), ctcae_grade("ALC", 0.45)
    (3, 2, 3)
    >>> ctcae_grade("hb", 9.5), ctcae_grade("hb", 7.9), ctcae_grade("albumin", 3.2, lln=3.5)
    (2, 3, 1)
    >>> ctcae_grade("AST", 130, uln=40, version="4.03"), ctcae_grade("AST", 130, uln=40, baseline=30)
    (2, 2)
    >>> ctcae_grade("AST", 130, uln=40, baseline=80), ctcae_grade("AST", 100, uln=40, baseline=80)
    (1, 0)
    >>> ctcae_grade("creatinine", 1.5, uln=1.2, baseline=0.8, version="4.03")
    2
    """
    return ctcae_grade_detail(term, value, version=version, lln=lln, uln=uln, baseline=baseline,
                              baseline_uln=baseline_uln, baseline_abnormal=baseline_abnormal,
                              signif_digits=signif_digits).grade


def grade_labs(
    labs: pd.DataFrame,
    *,
    version: Version = "5.0",
    patient: str = "patient_id",
    date: str = "date",
    test: str = "test",
    value: str = "value",
    unit: str | None = "unit",
    lln: str = "lln",
    uln: str = "uln",
    baseline_flag: str = "is_baseline",
    origin: pd.Series | None = None,
    default_lln: dict[str, float] | None = None,
    default_uln: dict[str, float] | None = None,
    signif_digits: int = 8,
) -> pd.DataFrame:
    """Grade every row of a long lab table (one row per patient, date and test).

    The baseline of each patient and term is the row flagged in ``baseline_flag`` when that
    column exists; otherwise, when ``origin`` (dates indexed by patient) is given, the last row
    on or before the origin; otherwise there is none. Hb, counts and albumin are converted to
    canonical units when a ``unit`` column exists (the LLN with them). ``default_lln``/
    ``default_uln`` (per term) fill missing reference limits and flag ``default_lln``/``default_uln``.

    Returns a copy of ``labs`` with ``ctcae_term``, ``is_baseline``, ``ctcae_grade`` (Int64),
    ``ctcae_reason``, ``ctcae_flags`` and ``ctcae_version``.

    Examples
    --------
    >>> import pandas as pd
    >>> labs = pd.DataFrame({"patient_id": ["p"] * 3, "date": pd.to_datetime(
    ...     ["2020-01-01", "2020-02-01", "2020-03-01"]), "test": ["AST"] * 3,
    ...     "value": [80, 130, 100], "uln": [40] * 3, "is_baseline": [True, False, False]})
    >>> grade_labs(labs)["ctcae_grade"].tolist()
    [0, 1, 0]
    """
    out = labs.copy()
    n = len(out)
    terms = [normalise_term(t) for t in out[test]]
    out["ctcae_term"] = terms
    vals = pd.to_numeric(out[value], errors="coerce").to_numpy(dtype=float)
    llns = (pd.to_numeric(out[lln], errors="coerce").to_numpy(dtype=float) if lln in out.columns
            else np.full(n, np.nan))
    ulns = (pd.to_numeric(out[uln], errors="coerce").to_numpy(dtype=float) if uln in out.columns
            else np.full(n, np.nan))
    row_flags: list[list[str]] = [[] for _ in range(n)]
    if unit is not None and unit in out.columns:
        for i, (t, u) in enumerate(zip(terms, out[unit], strict=True)):
            if t in _DECREASED and not is_missing(u):
                q = _DECREASED[t][1]
                vals[i] = to_canonical(vals[i], q, str(u))
                llns[i] = to_canonical(llns[i], q, str(u))
    for i, t in enumerate(terms):
        if np.isnan(llns[i]) and default_lln and t in default_lln:
            llns[i] = default_lln[t]
            row_flags[i].append("default_lln")
        if np.isnan(ulns[i]) and default_uln and t in default_uln:
            ulns[i] = default_uln[t]
            row_flags[i].append("default_uln")
    # baseline
    if baseline_flag in out.columns:
        is_base = flag_array(out[baseline_flag], baseline_flag, missing=False)
    elif origin is not None:
        o = pd.to_datetime(out[patient].map(origin))
        d = pd.to_datetime(out[date])
        before = (d <= o).to_numpy()
        tmp = pd.DataFrame({"p": out[patient].to_numpy(), "t": terms, "d": d.to_numpy(),
                            "k": np.arange(n)})[before]
        last = tmp.sort_values(["p", "t", "d"]).groupby(["p", "t"]).tail(1)["k"].to_numpy()
        is_base = np.zeros(n, dtype=bool)
        is_base[last] = True
    else:
        is_base = np.zeros(n, dtype=bool)
    base_val: dict[tuple[object, str], tuple[float, float]] = {}
    pids = out[patient].to_numpy()
    for i in (int(k) for k in np.flatnonzero(is_base)):
        key = (pids[i], terms[i])
        if key in base_val:
            raise ClinicalInputError(
                f"row {i}, column {baseline_flag!r}: a second baseline for the same patient and "
                f"term {terms[i]!r}; rule: at most one baseline per patient and term",
                column=baseline_flag, n_rows=1, rule="one baseline per patient and term", row=i)
        base_val[key] = (vals[i], ulns[i])
    grades: list[int | None] = []
    reasons: list[str | None] = []
    flags: list[str | None] = []
    for i in range(n):
        bv, bu = base_val.get((pids[i], terms[i]), (np.nan, np.nan))
        try:
            r = ctcae_grade_detail(
                terms[i], None if np.isnan(vals[i]) else float(vals[i]), version=version,
                lln=None if np.isnan(llns[i]) else float(llns[i]),
                uln=None if np.isnan(ulns[i]) else float(ulns[i]),
                baseline=None if np.isnan(bv) else float(bv),
                baseline_uln=None if np.isnan(bu) else float(bu), signif_digits=signif_digits)
        except ClinicalInputError as e:
            raise ClinicalInputError(f"row {i}, column {value!r}, {e}", column=value, n_rows=1,
                                     rule=e.rule, row=i, value=e.value) from None
        grades.append(r.grade)
        reasons.append(r.reason)
        flags.append(join_reasons([*row_flags[i], r.flags]))
    out["is_baseline"] = is_base
    out["ctcae_grade"] = pd.Series(grades, dtype="Int64", index=out.index)
    out["ctcae_reason"] = pd.Series(reasons, dtype=object, index=out.index)
    out["ctcae_flags"] = pd.Series(flags, dtype=object, index=out.index)
    out["ctcae_version"] = version
    return out


def worst_grades(
    graded: pd.DataFrame,
    *,
    window_start: pd.Series,
    window_end: pd.Series,
    patient: str = "patient_id",
    date: str = "date",
) -> pd.DataFrame:
    """Worst post-baseline grade per patient and term within [window_start, window_end].

    ``window_start``/``window_end`` are dates indexed by patient (e.g. RT start and RT end + 90
    days). Baseline rows are never counted. A window holding an undetermined grade gives a
    missing worst grade unless the term is a decreased count (undetermined means 0 or 1 there)
    and a known grade >= 1 fixes the maximum.

    Returns one row per patient (index = patient) with ``ctcae_<term>_worst``,
    ``ctcae_<term>_baseline``, ``ctcae_<term>_worsened`` for each term present, and
    ``ctcae_any_ge3``.

    Examples
    --------
    >>> import pandas as pd
    >>> labs = pd.DataFrame({"patient_id": ["p"] * 3, "date": pd.to_datetime(
    ...     ["2020-01-01", "2020-02-01", "2020-06-01"]), "test": ["ANC"] * 3,
    ...     "value": [2.0, 0.9, 0.4], "lln": [1.8] * 3, "is_baseline": [True, False, False]})
    >>> g = grade_labs(labs)
    >>> w = worst_grades(g, window_start=pd.Series({"p": pd.Timestamp("2020-01-01")}),
    ...                  window_end=pd.Series({"p": pd.Timestamp("2020-04-01")}))
    >>> w.iloc[0].tolist() == [3, 0, True, True]
    True
    """
    d = pd.to_datetime(graded[date])
    s = pd.to_datetime(graded[patient].map(window_start))
    e = pd.to_datetime(graded[patient].map(window_end))
    in_win = ((d >= s) & (d <= e)).to_numpy() & ~graded["is_baseline"].to_numpy(dtype=bool)
    patients = pd.Index(pd.unique(pd.concat([pd.Series(window_start.index),
                                             graded[patient]], ignore_index=True)), name=patient)
    result = pd.DataFrame(index=patients)
    any3 = pd.Series(False, index=patients, dtype="boolean")
    for term in [t for t in TERMS if t in set(graded["ctcae_term"])]:
        sub = graded[(graded["ctcae_term"] == term).to_numpy() & in_win]
        worst: dict[object, int | None] = {}
        for pid, grp in sub.groupby(patient, sort=False):
            g = grp["ctcae_grade"]
            known = g.dropna()
            mx = int(known.max()) if len(known) else None
            if g.isna().any() and not (term in _DECREASED and mx is not None and mx >= 1):
                mx = None
            worst[pid] = mx
        base = graded[(graded["ctcae_term"] == term).to_numpy()
                      & graded["is_baseline"].to_numpy(dtype=bool)]
        bmap = dict(zip(base[patient], base["ctcae_grade"], strict=True))
        wcol = pd.Series([worst.get(p) for p in patients], index=patients, dtype="Int64")
        bcol = pd.Series([bmap.get(p) for p in patients], index=patients, dtype="Int64")
        result[f"ctcae_{term}_worst"] = wcol
        result[f"ctcae_{term}_baseline"] = bcol
        result[f"ctcae_{term}_worsened"] = (wcol > bcol).astype("boolean")
        any3 = any3 | (wcol >= 3).fillna(False).astype("boolean")
    result["ctcae_any_ge3"] = any3
    return result
