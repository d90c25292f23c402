"""ALBI score and grade, and the modified ALBI (mALBI) grade (clinical-definitions §2).

Sources: Johnson PJ et al., J Clin Oncol 2015;33:550-558 (ALBI); Hiraoka A et al., Liver Cancer
2017;6:325-336 (mALBI 2a/2b cut-off -2.270, marked [K] in the reference).

Options (§14 row 9): albumin coefficient -0.085 (``albumin_coef=-0.0852`` for the variant);
the score is never rounded before grading.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hccstudy.clinical._common import ClinicalInputError
from hccstudy.clinical.units import (
    ALBUMIN_G_L_PER_G_DL,
    BILIRUBIN_UMOL_PER_MG_DL,
    canonical_column,
)

__all__ = ["albi_frame", "albi_grade", "albi_score", "malbi_grade"]

ALBI_GRADE1_MAX = -2.60
ALBI_GRADE2_MAX = -1.39
MALBI_2A_MAX = -2.270


def albi_score(bilirubin_umol_l: float, albumin_g_l: float, *, albumin_coef: float = -0.085) -> float:
    """ALBI = 0.66 log10(bilirubin umol/L) + albumin_coef x albumin g/L (Johnson 2015).

    Examples
    --------
    >>> round(albi_score(17.1, 40.0), 3)
    -2.586
    >>> round(albi_score(51.3, 28.0), 3)
    -1.251
    """
    if not bilirubin_umol_l > 0:
        raise ClinicalInputError(
            f"value {bilirubin_umol_l:g}: bilirubin must be > 0 for log10; rule: bilirubin > 0",
            column="bilirubin", n_rows=1, rule="bilirubin > 0", value=bilirubin_umol_l)
    return 0.66 * math.log10(bilirubin_umol_l) + albumin_coef * albumin_g_l


def albi_grade(score: float) -> int:
    """ALBI grade: 1 if score <= -2.60; 2 if -2.60 < score <= -1.39; 3 if > -1.39.

    Examples
    --------
    >>> [albi_grade(s) for s in (-2.60, -2.5999, -1.39, -1.3899)]
    [1, 2, 2, 3]
    """
    if score <= ALBI_GRADE1_MAX:
        return 1
    return 2 if score <= ALBI_GRADE2_MAX else 3


def malbi_grade(score: float) -> str:
    """mALBI grade: '1', '2a' (-2.60 < s <= -2.270), '2b' (-2.270 < s <= -1.39), '3'.

    Examples
    --------
    >>> [malbi_grade(s) for s in (-2.61, -2.27, -2.2699, -1.0)]
    ['1', '2a', '2b', '3']
    """
    g = albi_grade(score)
    if g != 2:
        return str(g)
    return "2a" if score <= MALBI_2A_MAX else "2b"


def albi_frame(
    frame: pd.DataFrame,
    *,
    bilirubin: str = "bilirubin_mg_dl",
    bilirubin_unit: str = "mg/dL",
    albumin: str = "albumin_g_dl",
    albumin_unit: str = "g/dL",
    albumin_coef: float = -0.085,
) -> pd.DataFrame:
    """ALBI columns ``albi_score``, ``albi_grade``, ``malbi_grade``, ``albi_reason``.

    Bilirubin <= 0 gives a missing score with reason ``invalid:bilirubin<=0`` (§2.3).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"bilirubin_mg_dl": [1.0, None], "albumin_g_dl": [4.0, 4.0]})
    >>> print(albi_frame(d).round(3))
       albi_score  albi_grade malbi_grade        albi_reason
    0      -2.586           2          2a               None
    1         NaN        <NA>        None  missing:bilirubin
    """
    bili = canonical_column(frame, bilirubin, "bilirubin", bilirubin_unit) * BILIRUBIN_UMOL_PER_MG_DL
    alb = canonical_column(frame, albumin, "albumin", albumin_unit) * ALBUMIN_G_L_PER_G_DL
    scores: list[float] = []
    grades: list[int | None] = []
    mgrades: list[str | None] = []
    reasons: list[str | None] = []
    for b, a in zip(bili, alb, strict=True):
        why = [f"missing:{k}" for k, v in (("bilirubin", b), ("albumin", a)) if np.isnan(v)]
        if not why and b <= 0:
            why = ["invalid:bilirubin<=0"]
        if why:
            scores.append(np.nan)
            grades.append(None)
            mgrades.append(None)
            reasons.append(";".join(why))
            continue
        s = albi_score(float(b), float(a), albumin_coef=albumin_coef)
        scores.append(s)
        grades.append(albi_grade(s))
        mgrades.append(malbi_grade(s))
        reasons.append(None)
    return pd.DataFrame({
        "albi_score": pd.Series(scores, dtype=float, index=frame.index),
        "albi_grade": pd.Series(grades, dtype="Int64", index=frame.index),
        "malbi_grade": pd.Series(mgrades, dtype=object, index=frame.index),
        "albi_reason": pd.Series(reasons, dtype=object, index=frame.index),
    })
