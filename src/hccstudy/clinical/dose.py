"""Radiation dose: total dose / fractions / dose per fraction, BED and EQD2 (§7).

Sources: Fowler JF, Br J Radiol 1989;62:679-694; Bentzen SM et al., Radiother Oncol
2012;105:266-268 (linear-quadratic model, no time factor). Options (§14 row 28): alpha/beta
10 Gy (tumour) and 3 Gy (liver) by default, any value allowed; courses are summed in BED, each
with its own dose per fraction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from hccstudy.clinical._common import ClinicalInputError, at_row, check_value
from hccstudy.clinical.units import BOUNDS, checked_column

__all__ = [
    "bed",
    "bed_courses",
    "courses_frame",
    "dose_frame",
    "dose_triplet",
    "eqd2",
    "eqdx",
]


def dose_triplet(total_dose_gy: float | None = None, fractions: float | None = None,
                 dose_per_fraction_gy: float | None = None, *, rel_tol: float = 0.02
                 ) -> tuple[float, float, float]:
    """Complete (D, n, d) from any two of the three; check the three when all are given.

    Examples
    --------
    >>> dose_triplet(45, 25)
    (45.0, 25.0, 1.8)
    >>> dose_triplet(total_dose_gy=60, dose_per_fraction_gy=3)
    (60.0, 20.0, 3.0)
    """
    D = check_value(total_dose_gy, BOUNDS["dose"], "total_dose_gy")
    n = check_value(fractions, BOUNDS["fractions"], "fractions")
    d = check_value(dose_per_fraction_gy, BOUNDS["dose"], "dose_per_fraction_gy")
    given = sum(x is not None for x in (D, n, d))
    if given < 2:
        raise ClinicalInputError("two of total dose, fractions and dose per fraction are needed",
                                 rule="two of (D, n, d) given")
    if D is not None and n is not None and d is not None:
        if abs(n * d - D) > rel_tol * D:
            raise ClinicalInputError(
                f"value {D:g} Gy: total dose != fractions x dose per fraction ({n:g} x {d:g}); "
                f"rule: D = n x d within {rel_tol:.0%}", column="total_dose_gy", n_rows=1,
                rule="D = n x d", value=D)
        return D, n, d
    if D is None:
        assert n is not None and d is not None
        return n * d, n, d
    if n is None:
        assert d is not None
        return D, round(D / d, 6), d
    return D, n, D / n


def bed(total_dose_gy: float, dose_per_fraction_gy: float, alpha_beta_gy: float) -> float:
    """BED = D (1 + d / (alpha/beta)) in Gy (Fowler 1989).

    Examples
    --------
    >>> round(bed(45, 1.8, 10), 2), round(bed(60, 20, 3), 1)
    (53.1, 460.0)
    """
    D = check_value(total_dose_gy, BOUNDS["dose"], "total_dose_gy")
    d = check_value(dose_per_fraction_gy, BOUNDS["dose"], "dose_per_fraction_gy")
    ab = check_value(alpha_beta_gy, BOUNDS["alpha_beta"], "alpha_beta_gy")
    assert D is not None and d is not None and ab is not None
    return D * (1 + d / ab)


def eqdx(total_dose_gy: float, dose_per_fraction_gy: float, alpha_beta_gy: float,
         reference_dose_per_fraction_gy: float = 2.0) -> float:
    """EQDx = D (d + a/b) / (x + a/b): equivalent dose in x-Gy fractions.

    Examples
    --------
    >>> round(eqdx(45, 1.8, 10), 4)
    44.25
    """
    return bed(total_dose_gy, dose_per_fraction_gy, alpha_beta_gy) / (
        1 + reference_dose_per_fraction_gy / alpha_beta_gy)


def eqd2(total_dose_gy: float, dose_per_fraction_gy: float, alpha_beta_gy: float) -> float:
    """EQD2 = BED / (1 + 2 / (alpha/beta)).

    Examples
    --------
    >>> round(eqd2(60, 20, 10), 2), round(eqd2(45, 15, 2), 2)
    (150.0, 191.25)
    """
    return eqdx(total_dose_gy, dose_per_fraction_gy, alpha_beta_gy, 2.0)


def bed_courses(courses: Iterable[tuple[float, float]], alpha_beta_gy: float) -> float:
    """Summed BED over courses given as (total dose Gy, fractions), each with its own d.

    Examples
    --------
    >>> round(bed_courses([(45, 25), (15, 5)], 10), 2)
    72.6
    """
    total = 0.0
    for D, n in courses:
        D_, _, d_ = dose_triplet(D, n)
        total += bed(D_, d_, alpha_beta_gy)
    return total


def _ab_label(ab: float) -> str:
    return f"{ab:g}".replace(".", "p")


def dose_frame(
    frame: pd.DataFrame,
    *,
    total_dose_gy: str = "rt_total_dose_gy",
    fractions: str = "rt_fractions",
    dose_per_fraction_gy: str = "rt_dose_per_fraction_gy",
    alpha_betas_gy: Sequence[float] = (10.0, 3.0),
) -> pd.DataFrame:
    """Completed D, n, d and ``bed<ab>_gy`` / ``eqd2_<ab>_gy`` per alpha/beta, plus ``dose_reason``.

    Output columns: ``rt_total_dose_gy``, ``rt_fractions``, ``rt_dose_per_fraction_gy`` (the
    canonical names, completed from any two), then for alpha/beta 10: ``bed10_gy``,
    ``eqd2_10_gy`` (2.5 gives ``bed2p5_gy``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"rt_total_dose_gy": [45.0, 50.0], "rt_fractions": [25, None]})
    >>> out = dose_frame(d)
    >>> out["bed10_gy"].round(2).tolist(), out["dose_reason"].tolist()
    ([53.1, nan], [None, 'missing:rt_fractions;missing:rt_dose_per_fraction_gy'])
    """
    n = len(frame)

    def col(name: str, bound: str) -> np.ndarray:
        return checked_column(frame, name, bound) if name in frame.columns else np.full(n, np.nan)

    D, k, d = col(total_dose_gy, "dose"), col(fractions, "fractions"), col(dose_per_fraction_gy, "dose")
    outD, outn, outd = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    reasons: list[str | None] = []
    for i in range(n):
        vals = {total_dose_gy: D[i], fractions: k[i], dose_per_fraction_gy: d[i]}
        miss = [c for c, v in vals.items() if np.isnan(v)]
        if len(miss) > 1:
            reasons.append(";".join(f"missing:{c}" for c in miss))
            continue
        try:
            outD[i], outn[i], outd[i] = dose_triplet(
                None if np.isnan(D[i]) else float(D[i]), None if np.isnan(k[i]) else int(k[i]),
                None if np.isnan(d[i]) else float(d[i]))
        except ClinicalInputError as e:
            raise at_row(e, i, e.column or total_dose_gy) from None
        reasons.append(None)
    out = pd.DataFrame({"rt_total_dose_gy": outD, "rt_fractions": outn,
                        "rt_dose_per_fraction_gy": outd}, index=frame.index)
    for ab in alpha_betas_gy:
        check_value(ab, BOUNDS["alpha_beta"], "alpha_beta_gy")
        b = outD * (1 + outd / ab)
        out[f"bed{_ab_label(ab)}_gy"] = b
        out[f"eqd2_{_ab_label(ab)}_gy"] = b / (1 + 2 / ab)
    out["dose_reason"] = pd.Series(reasons, dtype=object, index=frame.index)
    return out


def courses_frame(
    courses: pd.DataFrame,
    *,
    patient: str = "patient_id",
    total_dose_gy: str = "rt_total_dose_gy",
    fractions: str = "rt_fractions",
    dose_per_fraction_gy: str = "rt_dose_per_fraction_gy",
    alpha_betas_gy: Sequence[float] = (10.0, 3.0),
) -> pd.DataFrame:
    """Per-patient BED/EQD2 summed over courses (one row per course in ``courses``).

    A patient with any course lacking dose data gets missing sums and a reason.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"patient_id": ["p1", "p1"], "rt_total_dose_gy": [45, 15],
    ...                   "rt_fractions": [25, 5]})
    >>> courses_frame(c)["bed10_gy"].round(2).tolist()
    [72.6]
    """
    per = dose_frame(courses, total_dose_gy=total_dose_gy, fractions=fractions,
                     dose_per_fraction_gy=dose_per_fraction_gy, alpha_betas_gy=alpha_betas_gy)
    per[patient] = courses[patient].to_numpy()
    cols = [c for c in per.columns if c.startswith(("bed", "eqd2"))]
    summed = per.groupby(patient, sort=True)[cols].sum(min_count=1)
    bad = per[per[cols[0]].isna()].groupby(patient).size() if cols else pd.Series(dtype=int)
    summed.loc[summed.index.isin(bad.index), cols] = np.nan
    summed["rt_courses"] = per.groupby(patient, sort=True).size()
    summed["rt_total_dose_gy"] = per.groupby(patient, sort=True)["rt_total_dose_gy"].sum(min_count=1)
    summed["dose_reason"] = [None if p not in bad.index else "missing:course_dose"
                             for p in summed.index]
    summed.loc[summed.index.isin(bad.index), "rt_total_dose_gy"] = np.nan
    return summed.reset_index()
