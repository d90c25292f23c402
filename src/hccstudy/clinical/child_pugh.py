"""Child-Pugh score and class (clinical-definitions §1).

Source: Pugh RNH et al., Br J Surg 1973;60:646-649 (modified Child-Turcotte-Pugh table);
PT-activity variant per World J Gastroenterol 2008;14:58-63, Table 1B.

Options (clinical-definitions §14, rows 4-8): coagulation priority INR > PT seconds above
control > PT activity %; albumin lower cut-off 2.8 g/dL (``albumin_low_g_dl=3.0`` for the
Harrison's variant); bilirubin in umol/L is converted to mg/dL (never the native 34/50
cut-offs); a missing item gives a score range (``missing="bounds"``) and the class only when
both ends agree; "assume none" for ascites/encephalopathy only via ``impute_absent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.clinical._common import (
    ClinicalInputError,
    at_row,
    check_value,
    is_missing,
    join_reasons,
)
from hccstudy.clinical.units import BOUNDS, canonical_column, checked_column

__all__ = [
    "ChildPugh",
    "albumin_points",
    "ascites_points",
    "bilirubin_points",
    "child_pugh",
    "child_pugh_class",
    "child_pugh_frame",
    "encephalopathy_points",
    "inr_points",
    "normalise_ascites",
    "normalise_encephalopathy",
    "pt_activity_points",
    "pt_prolongation_points",
]

CLASSES = ("A", "B", "C")

_ASCITES = {
    "none": "none", "absent": "none", "no": "none", "0": "none", "false": "none",
    "mild": "mild", "slight": "mild", "small": "mild", "controlled": "mild",
    "controlled by diuretics": "mild", "1": "mild",
    "moderate_severe": "moderate_severe", "moderate": "moderate_severe",
    "severe": "moderate_severe", "large": "moderate_severe", "tense": "moderate_severe",
    "refractory": "moderate_severe", "poorly controlled": "moderate_severe",
    "moderate-severe": "moderate_severe", "moderate to severe": "moderate_severe",
    "2": "moderate_severe",
}
_HE = {
    "none": "none", "absent": "none", "no": "none", "0": "none", "false": "none",
    "grade1_2": "grade1_2", "grade 1-2": "grade1_2", "grade 1": "grade1_2",
    "grade 2": "grade1_2", "1": "grade1_2", "2": "grade1_2", "minimal": "grade1_2",
    "mild": "grade1_2", "controlled": "grade1_2", "controlled with medication": "grade1_2",
    "grade3_4": "grade3_4", "grade 3-4": "grade3_4", "grade 3": "grade3_4",
    "grade 4": "grade3_4", "3": "grade3_4", "4": "grade3_4", "advanced": "grade3_4",
    "severe": "grade3_4", "refractory": "grade3_4",
}


def _lookup(value: object, table: dict[str, str], what: str, column: str | None) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        if value:
            raise ClinicalInputError(
                f"{what} True is ambiguous; rule: give the category, not a yes/no flag",
                column=column, n_rows=1, rule=f"{what} category", value=value)
        return "none"
    if isinstance(value, int | float | np.integer | np.floating) and float(value).is_integer():
        key = str(int(value))
    else:
        key = str(value).strip().lower().replace("_", " ")
    for k in (key, key.replace(" ", "_")):
        if k in table:
            return table[k]
    col = f"column {column!r}, " if column else ""
    raise ClinicalInputError(
        f"{col}value {value!r}: unknown {what} category; rule: one of "
        f"{sorted(set(table.values()))} (or a mapped synonym)",
        column=column, n_rows=1, rule=f"{what} category", value=value)


def normalise_ascites(value: object) -> str | None:
    """Map free text to ``none`` / ``mild`` / ``moderate_severe`` (§1.1); missing -> None.

    Examples
    --------
    >>> normalise_ascites("Controlled by diuretics"), normalise_ascites("tense")
    ('mild', 'moderate_severe')
    """
    return _lookup(value, _ASCITES, "ascites", None)


def normalise_encephalopathy(value: object) -> str | None:
    """Map West Haven grade / free text to ``none`` / ``grade1_2`` / ``grade3_4`` (§1.1).

    Examples
    --------
    >>> normalise_encephalopathy(2), normalise_encephalopathy("refractory")
    ('grade1_2', 'grade3_4')
    """
    return _lookup(value, _HE, "encephalopathy", None)


def bilirubin_points(bilirubin_mg_dl: float) -> int:
    """Points for total bilirubin: < 2.0 -> 1; 2.0-3.0 (both inclusive) -> 2; > 3.0 -> 3.

    Examples
    --------
    >>> [bilirubin_points(x) for x in (1.99, 2.0, 3.0, 3.01)]
    [1, 2, 2, 3]
    """
    if bilirubin_mg_dl < 2.0:
        return 1
    return 2 if bilirubin_mg_dl <= 3.0 else 3


def albumin_points(albumin_g_dl: float, albumin_low_g_dl: float = 2.8) -> int:
    """Points for albumin: > 3.5 -> 1; ``albumin_low_g_dl``-3.5 (inclusive) -> 2; below -> 3.

    Examples
    --------
    >>> [albumin_points(x) for x in (3.51, 3.5, 2.8, 2.79)]
    [1, 2, 2, 3]
    >>> albumin_points(2.9, albumin_low_g_dl=3.0)
    3
    """
    if albumin_g_dl > 3.5:
        return 1
    return 2 if albumin_g_dl >= albumin_low_g_dl else 3


def inr_points(inr: float) -> int:
    """Points for INR: < 1.7 -> 1; 1.7-2.3 (inclusive) -> 2; > 2.3 -> 3.

    Examples
    --------
    >>> [inr_points(x) for x in (1.69, 1.7, 2.3, 2.31)]
    [1, 2, 2, 3]
    """
    if inr < 1.7:
        return 1
    return 2 if inr <= 2.3 else 3


def pt_prolongation_points(pt_prolongation_s: float) -> int:
    """Points for PT seconds above control: < 4 -> 1; 4-6 (inclusive) -> 2; > 6 -> 3.

    Examples
    --------
    >>> [pt_prolongation_points(x) for x in (3.9, 4, 6, 6.1)]
    [1, 2, 2, 3]
    """
    if pt_prolongation_s < 4:
        return 1
    return 2 if pt_prolongation_s <= 6 else 3


def pt_activity_points(pt_activity_pct: float) -> int:
    """Points for PT activity (Japanese variant): > 70 -> 1; 40-70 (inclusive) -> 2; < 40 -> 3.

    Examples
    --------
    >>> [pt_activity_points(x) for x in (71, 70, 40, 39)]
    [1, 2, 2, 3]
    """
    if pt_activity_pct > 70:
        return 1
    return 2 if pt_activity_pct >= 40 else 3


def ascites_points(ascites: str) -> int:
    """Points for ascites: none 1, mild 2, moderate_severe 3 (free text is mapped first).

    Examples
    --------
    >>> ascites_points("slight")
    2
    """
    cat = normalise_ascites(ascites)
    if cat is None:
        raise ClinicalInputError("ascites is missing", rule="ascites given")
    return {"none": 1, "mild": 2, "moderate_severe": 3}[cat]


def encephalopathy_points(encephalopathy: str | int) -> int:
    """Points for hepatic encephalopathy: none 1, grade 1-2 -> 2, grade 3-4 -> 3.

    Examples
    --------
    >>> encephalopathy_points("none"), encephalopathy_points(3)
    (1, 3)
    """
    cat = normalise_encephalopathy(encephalopathy)
    if cat is None:
        raise ClinicalInputError("encephalopathy is missing", rule="encephalopathy given")
    return {"none": 1, "grade1_2": 2, "grade3_4": 3}[cat]


def child_pugh_class(score: int) -> str:
    """Class from the total score: A = 5-6, B = 7-9, C = 10-15.

    Examples
    --------
    >>> [child_pugh_class(s) for s in (6, 7, 9, 10)]
    ['A', 'B', 'B', 'C']
    """
    if not 5 <= score <= 15:
        raise ClinicalInputError(f"Child-Pugh score {score} outside 5-15", rule="5 <= score <= 15",
                                 value=score)
    return "A" if score <= 6 else ("B" if score <= 9 else "C")


@dataclass(frozen=True, slots=True)
class ChildPugh:
    """One Child-Pugh result.

    ``score`` and ``label`` (A5 ... C15) are set only when every item is known (or imputed);
    ``cp_class`` is also set when the bounds rule fixes it (``flags`` then holds ``partial``).
    """

    score: int | None
    score_min: int
    score_max: int
    cp_class: str | None
    label: str | None
    coag_method: str | None
    reason: str | None
    flags: str | None


def child_pugh(
    bilirubin_mg_dl: float | None,
    albumin_g_dl: float | None,
    ascites: str | None,
    encephalopathy: str | int | None,
    *,
    inr: float | None = None,
    pt_prolongation_s: float | None = None,
    pt_activity_pct: float | None = None,
    albumin_low_g_dl: float = 2.8,
    missing: Literal["bounds", "none"] = "bounds",
    impute_absent: bool = False,
) -> ChildPugh:
    """Child-Pugh score, class and sub-label (Pugh 1973; clinical-definitions §1).

    Parameters
    ----------
    bilirubin_mg_dl, albumin_g_dl : float or None
        Canonical units (convert umol/L and g/L first, see :func:`~hccstudy.clinical.units.to_canonical`).
    ascites, encephalopathy : str or None
        ``none``/``mild``/``moderate_severe`` and ``none``/``grade1_2``/``grade3_4`` or synonyms.
    inr, pt_prolongation_s, pt_activity_pct : float, optional
        Coagulation; the first present in this order is used (``coag_method``).
    albumin_low_g_dl : float
        Lower albumin cut-off, 2.8 (Pugh 1973, default) or 3.0 (Harrison's variant).
    missing : {"bounds", "none"}
        ``bounds``: a missing item counts 1 and 3 points; the class is given (flag ``partial``)
        when both totals fall in the same class. ``none``: any missing item -> no class.
    impute_absent : bool
        Study-level switch: missing ascites/encephalopathy taken as "none", flagged
        ``imputed_absent:<field>``.

    Examples
    --------
    Worked example of §1.3 (bilirubin 25.7 umol/L, albumin 31 g/L, INR 1.4, mild ascites):

    >>> r = child_pugh(25.7 / 17.1, 3.1, "mild", "none", inr=1.4)
    >>> r.score, r.cp_class, r.label, r.coag_method
    (7, 'B', 'B7', 'INR')
    >>> r = child_pugh(1.0, 4.0, "none", None, inr=1.0)
    >>> r.cp_class, r.score_min, r.score_max, r.reason
    (None, 5, 7, 'missing:encephalopathy')
    """
    bili = check_value(bilirubin_mg_dl, BOUNDS["bilirubin"], "bilirubin_mg_dl")
    alb = check_value(albumin_g_dl, BOUNDS["albumin"], "albumin_g_dl")
    points: dict[str, int | None] = {
        "bilirubin": None if bili is None else bilirubin_points(bili),
        "albumin": None if alb is None else albumin_points(alb, albumin_low_g_dl),
    }
    coag_method: str | None = None
    inr_v = check_value(inr, BOUNDS["inr"], "inr")
    pts_v = check_value(pt_prolongation_s, BOUNDS["pt_prolongation"], "pt_prolongation_s")
    pta_v = check_value(pt_activity_pct, BOUNDS["pt_activity"], "pt_activity_pct")
    if inr_v is not None:
        points["coagulation"], coag_method = inr_points(inr_v), "INR"
    elif pts_v is not None:
        points["coagulation"], coag_method = pt_prolongation_points(pts_v), "PT_seconds"
    elif pta_v is not None:
        points["coagulation"], coag_method = pt_activity_points(pta_v), "PT_activity"
    else:
        points["coagulation"] = None
    flags: list[str] = []
    for name, value, fn in (("ascites", ascites, normalise_ascites),
                            ("encephalopathy", encephalopathy, normalise_encephalopathy)):
        cat = fn(value)
        if cat is None and impute_absent:
            cat = "none"
            flags.append(f"imputed_absent:{name}")
        points[name] = None if cat is None else (
            ascites_points(cat) if name == "ascites" else encephalopathy_points(cat))
    missing_items = [k for k, v in points.items() if v is None]
    known = sum(v for v in points.values() if v is not None)
    lo, hi = known + len(missing_items), known + 3 * len(missing_items)
    reason = join_reasons(f"missing:{k}" for k in missing_items)
    if not missing_items:
        cls = child_pugh_class(lo)
        return ChildPugh(lo, lo, hi, cls, f"{cls}{lo}", coag_method, None, join_reasons(flags))
    cls_lo, cls_hi = child_pugh_class(lo), child_pugh_class(hi)
    cls_out: str | None = None
    if missing == "bounds" and cls_lo == cls_hi:
        cls_out = cls_lo
        flags.append("partial")
    return ChildPugh(None, lo, hi, cls_out, None, coag_method, reason, join_reasons(flags))


def child_pugh_frame(
    frame: pd.DataFrame,
    *,
    bilirubin: str = "bilirubin_mg_dl",
    bilirubin_unit: str = "mg/dL",
    albumin: str = "albumin_g_dl",
    albumin_unit: str = "g/dL",
    ascites: str = "ascites",
    encephalopathy: str = "encephalopathy",
    inr: str | None = "inr",
    pt_prolongation_s: str | None = "pt_prolongation_s",
    pt_s: str | None = "pt_s",
    pt_control_s: str | None = "pt_control_s",
    pt_control_default_s: float | None = None,
    pt_activity_pct: str | None = "pt_activity_pct",
    albumin_low_g_dl: float = 2.8,
    missing: Literal["bounds", "none"] = "bounds",
    impute_absent: bool = False,
    prefix: str = "child_pugh",
) -> pd.DataFrame:
    """Child-Pugh columns for every row of ``frame`` (same index).

    Coagulation columns that are absent from the frame are skipped. PT seconds above control
    are formed from ``pt_s - pt_control_s``; when the control is missing and
    ``pt_control_default_s`` (the lab's reference midpoint, §14 row 5) is given it is used and
    the row is flagged ``pt_control_default``.

    Returns columns ``<prefix>_score``, ``_class``, ``_label``, ``_score_min``, ``_score_max``,
    ``_coag_method``, ``_flags``, ``_reason``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"bilirubin_umol_l": [25.7, 20.0], "albumin_g_l": [31, 40],
    ...                   "inr": [1.4, None], "ascites": ["mild", "none"],
    ...                   "encephalopathy": ["none", "none"]})
    >>> out = child_pugh_frame(d, bilirubin="bilirubin_umol_l", bilirubin_unit="umol/L",
    ...                        albumin="albumin_g_l", albumin_unit="g/L")
    >>> out[["child_pugh_label", "child_pugh_class", "child_pugh_reason"]].to_numpy().tolist()
    [['B7', 'B', None], [None, None, 'missing:coagulation']]
    """
    n = len(frame)
    bili = canonical_column(frame, bilirubin, "bilirubin", bilirubin_unit)
    alb = canonical_column(frame, albumin, "albumin", albumin_unit)

    def opt(col: str | None, bound: str) -> np.ndarray:
        if col is None or col not in frame.columns:
            return np.full(n, np.nan)
        return checked_column(frame, col, bound)

    inr_v = opt(inr, "inr")
    pts = opt(pt_prolongation_s, "pt_prolongation")
    pt_raw = opt(pt_s, "pt_seconds")
    ctrl = opt(pt_control_s, "pt_seconds")
    used_default = np.zeros(n, dtype=bool)
    if pt_control_default_s is not None:
        used_default = np.isnan(ctrl) & ~np.isnan(pt_raw) & np.isnan(pts)
        ctrl = np.where(np.isnan(ctrl), pt_control_default_s, ctrl)
    pts = np.where(np.isnan(pts), pt_raw - ctrl, pts)
    pta = opt(pt_activity_pct, "pt_activity")
    asc = frame[ascites] if ascites in frame.columns else pd.Series([None] * n)
    he = frame[encephalopathy] if encephalopathy in frame.columns else pd.Series([None] * n)
    rows = []
    for i in range(n):
        try:
            r = child_pugh(
                None if np.isnan(bili[i]) else float(bili[i]),
                None if np.isnan(alb[i]) else float(alb[i]),
                _cat(asc.iloc[i], _ASCITES, "ascites", ascites, i),
                _cat(he.iloc[i], _HE, "encephalopathy", encephalopathy, i),
                inr=None if np.isnan(inr_v[i]) else float(inr_v[i]),
                pt_prolongation_s=None if np.isnan(pts[i]) else float(pts[i]),
                pt_activity_pct=None if np.isnan(pta[i]) else float(pta[i]),
                albumin_low_g_dl=albumin_low_g_dl, missing=missing, impute_absent=impute_absent)
        except ClinicalInputError as e:  # pragma: no cover - columns were checked above
            raise at_row(e, i) from None
        flags = r.flags
        if used_default[i] and r.coag_method == "PT_seconds":
            flags = join_reasons([flags, "pt_control_default"])
        rows.append((r.score, r.cp_class, r.label, r.score_min, r.score_max, r.coag_method,
                     flags, r.reason))
    cols = ["score", "class", "label", "score_min", "score_max", "coag_method", "flags", "reason"]
    out = pd.DataFrame(rows, columns=[f"{prefix}_{c}" for c in cols], index=frame.index)
    if n == 0:
        out = pd.DataFrame({f"{prefix}_{c}": pd.Series(dtype=object) for c in cols},
                           index=frame.index)
    for c in ("score", "score_min", "score_max"):
        out[f"{prefix}_{c}"] = out[f"{prefix}_{c}"].astype("Int64")
    return out


def _cat(value: object, table: dict[str, str], what: str, column: str, row: int) -> str | None:
    try:
        return _lookup(value, table, what, column)
    except ClinicalInputError as e:
        raise ClinicalInputError(f"row {row}, {e}", column=column, n_rows=1, rule=e.rule,
                                 row=row, value=value) from None
