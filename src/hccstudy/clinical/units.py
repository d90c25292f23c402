"""Unit conversion to the canonical units of ``docs/clinical.md`` and plausibility bounds.

Canonical units (clinical-definitions §0 and §13): bilirubin mg/dL; albumin g/dL; creatinine
mg/dL; haemoglobin g/dL; cell counts 10^9/L; AFP ng/mL; dose Gy; tumour size cm; time days.

The unit is always read from an explicit argument or column, never guessed from the magnitude;
magnitude is only used to *report* a likely mix-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccstudy.clinical._common import Bound, ClinicalInputError, check_array, numeric_column

__all__ = [
    "AFP_NG_PER_IU",
    "ALBUMIN_G_L_PER_G_DL",
    "BILIRUBIN_UMOL_PER_MG_DL",
    "BOUNDS",
    "CREATININE_UMOL_PER_MG_DL",
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "HB_MMOL_PER_G_DL",
    "canonical_column",
    "checked_column",
    "to_canonical",
]

BILIRUBIN_UMOL_PER_MG_DL = 17.1
ALBUMIN_G_L_PER_G_DL = 10.0
CREATININE_UMOL_PER_MG_DL = 88.4
HB_MMOL_PER_G_DL = 0.6206
AFP_NG_PER_IU = 1.21
DAYS_PER_MONTH = 30.4375
DAYS_PER_YEAR = 365.25
KG_PER_LB = 0.4536
CM_PER_IN = 2.54

# quantity -> {normalised unit -> factor to the canonical unit}
_FACTORS: dict[str, dict[str, float]] = {
    "bilirubin": {"mg/dl": 1.0, "umol/l": 1.0 / BILIRUBIN_UMOL_PER_MG_DL},
    "albumin": {"g/dl": 1.0, "g/l": 1.0 / ALBUMIN_G_L_PER_G_DL},
    "creatinine": {"mg/dl": 1.0, "umol/l": 1.0 / CREATININE_UMOL_PER_MG_DL},
    "haemoglobin": {"g/dl": 1.0, "g/l": 0.1, "mmol/l": 1.0 / HB_MMOL_PER_G_DL},
    "count": {"10^9/l": 1.0, "10^3/ul": 1.0, "/mm3": 1e-3, "/ul": 1e-3, "10^4/ul": 10.0},
    "afp": {"ng/ml": 1.0, "ug/l": 1.0, "iu/ml": AFP_NG_PER_IU},
    "weight": {"kg": 1.0, "lb": KG_PER_LB},
    "height": {"cm": 1.0, "in": CM_PER_IN, "m": 100.0},
    "size": {"cm": 1.0, "mm": 0.1},
}

_DISPLAY = {"g/dl": "g/dL", "g/l": "g/L", "mg/dl": "mg/dL", "umol/l": "umol/L",
            "mmol/l": "mmol/L", "10^9/l": "10^9/L", "10^3/ul": "10^3/uL", "/ul": "/uL",
            "10^4/ul": "10^4/uL", "ng/ml": "ng/mL", "ug/l": "ug/L", "iu/ml": "IU/mL"}

#: Plausible ranges in canonical units; a value outside raises, one inside ``mixup`` is
#: reported as a likely unit mix-up.
BOUNDS: dict[str, Bound] = {
    "bilirubin": Bound("bilirubin", "mg/dL", 0.0, 100.0, mixup=(100.0, 2000.0, "umol/L")),
    "albumin": Bound("albumin", "g/dL", 0.5, 7.0, mixup=(7.0, 70.0, "g/L")),
    "creatinine": Bound("creatinine", "mg/dL", 0.0, 30.0, lo_open=True,
                        mixup=(30.0, 3000.0, "umol/L")),
    "inr": Bound("INR", "ratio", 0.0, 20.0, lo_open=True),
    "pt_prolongation": Bound("PT prolongation", "s above control", -10.0, 120.0),
    "pt_seconds": Bound("PT", "s", 0.0, 200.0, lo_open=True),
    "pt_activity": Bound("PT activity", "%", 0.0, 200.0),
    "sodium": Bound("sodium", "mmol/L", 90.0, 200.0),
    "size": Bound("tumour size", "cm", 0.0, 30.0, lo_open=True, mixup=(30.0, 300.0, "mm")),
    "n_tumours": Bound("number of tumours", "count", 1.0, 1000.0, integer=True),
    "ecog": Bound("ECOG PS", "grade", 0.0, 4.0, integer=True),
    "height": Bound("height", "cm", 30.0, 250.0, mixup=(0.3, 2.5, "m")),
    "weight": Bound("weight", "kg", 1.0, 400.0),
    "afp": Bound("AFP", "ng/mL", 0.0, 1e8),
    "dose": Bound("dose", "Gy", 0.0, 1000.0, lo_open=True),
    "fractions": Bound("number of fractions", "count", 1.0, 100.0, integer=True),
    "alpha_beta": Bound("alpha/beta", "Gy", 0.0, 1000.0, lo_open=True),
    "haemoglobin": Bound("haemoglobin", "g/dL", 0.0, 30.0, mixup=(30.0, 300.0, "g/L")),
    "count": Bound("cell count", "10^9/L", 0.0, 1000.0, mixup=(1000.0, 1e7, "/mm3")),
    "lab": Bound("laboratory value", "any unit", 0.0, 1e9),
}


def _norm_unit(unit: str) -> str:
    u = str(unit).strip().lower().replace("µ", "u").replace("μ", "u").replace(" ", "")
    return u.replace("x10", "10").replace("×10", "10").replace("10e", "10^")


def to_canonical(value: float, quantity: str, unit: str) -> float:
    """Convert one value of ``quantity`` from ``unit`` to its canonical unit.

    Factors from clinical-definitions §13 (bilirubin 17.1, albumin 10, creatinine 88.4,
    Hb 0.6206, AFP 1.21 ng per IU, Japanese platelets 10^4/uL x 10).

    Examples
    --------
    >>> round(to_canonical(25.7, "bilirubin", "umol/L"), 3)
    1.503
    >>> to_canonical(31, "albumin", "g/L")
    3.1
    >>> to_canonical(12.5, "count", "x10^4/uL")
    125.0
    """
    return value * _factor(quantity, unit)


def _factor(quantity: str, unit: str) -> float:
    try:
        table = _FACTORS[quantity]
    except KeyError:
        raise ClinicalInputError(f"unknown quantity {quantity!r}; known: {sorted(_FACTORS)}",
                                 rule="known quantity", value=quantity) from None
    try:
        return table[_norm_unit(unit)]
    except KeyError:
        raise ClinicalInputError(
            f"unknown unit {unit!r} for {quantity}; known: {sorted(table)}",
            rule=f"{quantity} unit in {sorted(table)}", value=unit) from None


def canonical_column(frame: pd.DataFrame, column: str, quantity: str, unit: str,
                     bound: str | None = None) -> np.ndarray:
    """A frame column converted to the canonical unit and checked against ``BOUNDS``.

    The check runs on the converted values, so a g/L column of albumin 35 passes while a
    "g/dL" column holding 35 is reported as a likely unit mix-up (the message names the unit
    in which the value would be plausible, and the value as given).

    Examples
    --------
    >>> import pandas as pd
    >>> canonical_column(pd.DataFrame({"alb": [35.0, None]}), "alb", "albumin", "g/L")
    array([3.5, nan])
    """
    raw = numeric_column(frame, column, quantity)
    x = raw * _factor(quantity, unit)
    key = bound or quantity
    if key not in BOUNDS:
        return x
    b = BOUNDS[key]
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(x) & ~(b.ok(x) & np.isfinite(x))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        v = float(raw[row])
        others = [_DISPLAY.get(u, u) for u, f in _FACTORS.get(quantity, {}).items()
                  if u != _norm_unit(unit) and bool(b.ok(np.array([v * f]))[0])]
        more = f" ({int(bad.sum())} offending row(s) in all)" if bad.sum() > 1 else ""
        if others:
            text = (f"row {row}, column {column!r}, value {v:g}: likely unit mix-up: {quantity} "
                    f"{v:g} is not plausible in {unit} but is in {others[0]}; check the unit; "
                    f"rule: {b.rule()}{more}")
        else:
            text = (f"row {row}, column {column!r}, value {v:g} {unit}: impossible {quantity}; "
                    f"rule: {b.rule()}{more}")
        raise ClinicalInputError(text, column=column, n_rows=int(bad.sum()), rule=b.rule(),
                                 row=row, value=v)
    return x

def checked_column(frame: pd.DataFrame, column: str, bound: str) -> np.ndarray:
    """A numeric frame column (no unit conversion) checked against ``BOUNDS[bound]``.

    Examples
    --------
    >>> import pandas as pd
    >>> try:
    ...     checked_column(pd.DataFrame({"inr": [1.1, 0.0]}), "inr", "inr")
    ... except ClinicalInputError as e:
    ...     print(e)
    row 1, column 'inr', value 0: impossible INR; rule: 0 < INR (ratio) <= 20
    """
    return check_array(numeric_column(frame, column, bound), BOUNDS[bound], column)
