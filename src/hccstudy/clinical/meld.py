"""MELD and MELD-Na scores (OPTN/UNOS rules, 2016 MELD-Na).

Sources: Kamath PS et al., Hepatology 2001;33:464-470 (MELD); Kim WR et al., N Engl J Med
2008;359:1018-1026 (MELD-Na); OPTN policy 9.1 (2016): bilirubin, INR and creatinine below 1.0 are
set to 1.0; creatinine is capped at 4.0 mg/dL and set to 4.0 after dialysis at least twice in
the past week (or CVVHD for 24 h); sodium bounded to 125-137 mmol/L; MELD(i) is rounded to the
tenth and multiplied by 10; the sodium term is applied only when MELD(i) > 11; the result is
rounded to an integer and capped at 40. Not in clinical-definitions (which names MELD only as
an optional BCLC input): these rules are domain knowledge [K]; confirm before publication.
MELD 3.0 (2023) is not implemented.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hccstudy.clinical._common import check_value, to_flag
from hccstudy.clinical.units import BOUNDS, canonical_column, checked_column

__all__ = ["meld_frame", "meld_na_score", "meld_score"]


def _meld_i(creatinine_mg_dl: float, bilirubin_mg_dl: float, inr: float, dialysis: bool) -> float:
    check_value(creatinine_mg_dl, BOUNDS["creatinine"], "creatinine_mg_dl")
    check_value(bilirubin_mg_dl, BOUNDS["bilirubin"], "bilirubin_mg_dl")
    check_value(inr, BOUNDS["inr"], "inr")
    cr = 4.0 if dialysis else min(max(creatinine_mg_dl, 1.0), 4.0)
    bili = max(bilirubin_mg_dl, 1.0)
    inr_b = max(inr, 1.0)
    raw = 0.957 * math.log(cr) + 0.378 * math.log(bili) + 1.120 * math.log(inr_b) + 0.643
    return _round_half_up(raw, 1) * 10


def _round_half_up(x: float, digits: int = 0) -> float:
    f = 10.0**digits
    return math.floor(x * f + 0.5 + 1e-9) / f


def meld_score(creatinine_mg_dl: float, bilirubin_mg_dl: float, inr: float, *,
               dialysis: bool = False) -> int:
    """MELD (UNOS), an integer 6-40.

    Examples
    --------
    >>> meld_score(1.0, 1.5, 1.5)
    13
    >>> meld_score(0.5, 0.5, 0.9)
    6
    >>> meld_score(1.0, 1.0, 1.0, dialysis=True)
    20
    """
    return int(min(_round_half_up(_meld_i(creatinine_mg_dl, bilirubin_mg_dl, inr, dialysis)), 40))


def meld_na_score(creatinine_mg_dl: float, bilirubin_mg_dl: float, inr: float,
                  sodium_mmol_l: float, *, dialysis: bool = False) -> int:
    """MELD-Na (UNOS 2016): MELD(i) + 1.32 (137 - Na) - 0.033 MELD(i) (137 - Na) if MELD(i) > 11.

    Examples
    --------
    >>> meld_na_score(1.0, 1.5, 1.5, 135)
    15
    >>> meld_na_score(1.0, 1.0, 1.0, 120)  # MELD(i) 6.4 <= 11: no sodium term
    6
    """
    check_value(sodium_mmol_l, BOUNDS["sodium"], "sodium_mmol_l")
    m = _meld_i(creatinine_mg_dl, bilirubin_mg_dl, inr, dialysis)
    if m > 11:
        na = min(max(sodium_mmol_l, 125.0), 137.0)
        m = m + 1.32 * (137 - na) - 0.033 * m * (137 - na)
    return int(min(_round_half_up(m), 40))


def meld_frame(
    frame: pd.DataFrame,
    *,
    creatinine: str = "creatinine_mg_dl",
    creatinine_unit: str = "mg/dL",
    bilirubin: str = "bilirubin_mg_dl",
    bilirubin_unit: str = "mg/dL",
    inr: str = "inr",
    sodium: str | None = "sodium_mmol_l",
    dialysis: str | None = "dialysis",
) -> pd.DataFrame:
    """Columns ``meld``, ``meld_na`` (when a sodium column exists), ``meld_reason``, ``meld_flags``.

    When the frame has no dialysis column, no dialysis is assumed and every row is flagged
    ``dialysis_assumed_none`` in ``meld_flags``; a present-but-missing value gives a missing
    score.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"creatinine_mg_dl": [1.0, 1.0], "bilirubin_mg_dl": [1.5, None],
    ...                   "inr": [1.5, 1.2], "sodium_mmol_l": [135, 140]})
    >>> print(meld_frame(d))
       meld  meld_na        meld_reason             meld_flags
    0    13       15               None  dialysis_assumed_none
    1  <NA>     <NA>  missing:bilirubin  dialysis_assumed_none
    """
    cr = canonical_column(frame, creatinine, "creatinine", creatinine_unit)
    bili = canonical_column(frame, bilirubin, "bilirubin", bilirubin_unit)
    inr_v = checked_column(frame, inr, "inr")
    has_na = sodium is not None and sodium in frame.columns
    na = checked_column(frame, sodium, "sodium") if has_na and sodium else np.full(len(frame), np.nan)
    if dialysis is not None and dialysis in frame.columns:
        flags_ = [to_flag(v, dialysis) for v in frame[dialysis]]
        dia_v = np.array([np.nan if f is None else float(f) for f in flags_])
        flag = None
    else:
        dia_v = np.zeros(len(frame))
        flag = "dialysis_assumed_none"
    meld: list[int | None] = []
    meld_na: list[int | None] = []
    reasons: list[str | None] = []
    for i in range(len(frame)):
        need = {"creatinine": cr[i], "bilirubin": bili[i], "inr": inr_v[i], "dialysis": dia_v[i]}
        why = [f"missing:{k}" for k, v in need.items() if np.isnan(v)]
        if why:
            meld.append(None)
            meld_na.append(None)
            reasons.append(";".join(why))
            continue
        args = (float(cr[i]), float(bili[i]), float(inr_v[i]))
        meld.append(meld_score(*args, dialysis=bool(dia_v[i])))
        meld_na.append(None if np.isnan(na[i]) else
                       meld_na_score(*args, float(na[i]), dialysis=bool(dia_v[i])))
        reasons.append("missing:sodium" if has_na and np.isnan(na[i]) else None)
    out = pd.DataFrame({"meld": pd.Series(meld, dtype="Int64", index=frame.index)})
    if has_na:
        out["meld_na"] = pd.Series(meld_na, dtype="Int64", index=frame.index)
    out["meld_reason"] = pd.Series(reasons, dtype=object, index=frame.index)
    out["meld_flags"] = pd.Series([flag] * len(frame), dtype=object, index=frame.index)
    return out
