"""Body-surface area and dose per BSA (§9).

Sources: Mosteller RD, N Engl J Med 1987;317:1098; Du Bois D, Du Bois EF, Arch Intern Med
1916;17:863-871. Options (§14 row 29): Mosteller, actual weight, no cap by default.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.clinical._common import check_value
from hccstudy.clinical.units import BOUNDS, canonical_column

__all__ = ["bsa", "bsa_dubois", "bsa_frame", "bsa_mosteller", "dose_for_bsa"]

Formula = Literal["mosteller", "dubois"]


def bsa_mosteller(height_cm: float, weight_kg: float) -> float:
    """BSA (m^2) = sqrt(height cm x weight kg / 3600) (Mosteller 1987).

    Examples
    --------
    >>> round(bsa_mosteller(170, 65), 3)
    1.752
    """
    return math.sqrt(height_cm * weight_kg / 3600.0)


def bsa_dubois(height_cm: float, weight_kg: float) -> float:
    """BSA (m^2) = 0.007184 x weight^0.425 x height^0.725 (Du Bois 1916).

    Examples
    --------
    >>> round(bsa_dubois(175, 80), 3)
    1.956
    """
    return 0.007184 * weight_kg**0.425 * height_cm**0.725


def bsa(height_cm: float, weight_kg: float, *, formula: Formula = "mosteller",
        cap_m2: float | None = None) -> float:
    """BSA by ``formula`` with an optional protocol cap (none by default).

    Examples
    --------
    >>> round(bsa(160, 55), 3), round(bsa(175, 80, cap_m2=1.9), 3)
    (1.563, 1.9)
    """
    h = check_value(height_cm, BOUNDS["height"], "height_cm")
    w = check_value(weight_kg, BOUNDS["weight"], "weight_kg")
    assert h is not None and w is not None
    value = bsa_dubois(h, w) if formula == "dubois" else bsa_mosteller(h, w)
    return value if cap_m2 is None else min(value, cap_m2)


def dose_for_bsa(dose_mg_per_m2: float, bsa_m2: float) -> float:
    """Dose in mg = dose per m^2 x BSA (round only for display).

    Examples
    --------
    >>> round(dose_for_bsa(500, bsa(170, 65)))
    876
    """
    return dose_mg_per_m2 * bsa_m2


def bsa_frame(frame: pd.DataFrame, *, height: str = "height_cm", height_unit: str = "cm",
              weight: str = "weight_kg", weight_unit: str = "kg",
              formula: Formula = "mosteller", cap_m2: float | None = None,
              doses_mg_per_m2: dict[str, float] | None = None) -> pd.DataFrame:
    """Columns ``bsa_m2``, ``bsa_reason`` and ``dose_<name>_mg`` for each named mg/m^2 dose.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"height_cm": [170, None], "weight_kg": [65, 70]})
    >>> out = bsa_frame(d, doses_mg_per_m2={"cisplatin": 60})
    >>> out.round(1).to_numpy().tolist()
    [[1.8, None, 105.1], [nan, 'missing:height_cm', nan]]
    """
    h = canonical_column(frame, height, "height", height_unit)
    w = canonical_column(frame, weight, "weight", weight_unit)
    if formula == "dubois":
        value = 0.007184 * w**0.425 * h**0.725
    else:
        value = np.sqrt(h * w / 3600.0)
    if cap_m2 is not None:
        value = np.minimum(value, cap_m2)
    reasons = [None if not (np.isnan(a) or np.isnan(b)) else
               ";".join(f"missing:{c}" for c, v in ((height, a), (weight, b)) if np.isnan(v))
               for a, b in zip(h, w, strict=True)]
    out = pd.DataFrame({"bsa_m2": value, "bsa_reason": pd.Series(reasons, dtype=object).to_numpy()},
                       index=frame.index)
    for name, per_m2 in (doses_mg_per_m2 or {}).items():
        out[f"dose_{name}_mg"] = value * per_m2
    return out
