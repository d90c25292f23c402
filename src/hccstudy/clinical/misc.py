"""ECOG collapsing, AFP conversion and thresholds, age at an event (§11, §12, §13).

Sources: Oken MM et al., Am J Clin Oncol 1982;5:649-655 (ECOG); WHO 1st International Standard
for AFP 72/225 (1 IU/mL = 1.21 ng/mL). Options (§14 rows 30, 32): threshold operator ``>=`` by
default (``>`` selectable); the raw PS is kept and collapses are added beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.clinical._common import ClinicalInputError, bool_series, check_value, is_missing
from hccstudy.clinical.units import AFP_NG_PER_IU, BOUNDS, DAYS_PER_YEAR, checked_column

__all__ = [
    "AFP_THRESHOLDS_NG_ML",
    "ECOG_SCHEMES",
    "afp_frame",
    "afp_high",
    "afp_iu_to_ng",
    "afp_ng_to_iu",
    "age_at",
    "age_frame",
    "ecog_collapse",
    "ecog_frame",
]

#: Common AFP cut-offs (ng/mL): 20 upper normal, 100, 200, 400 (trial eligibility), 1000.
AFP_THRESHOLDS_NG_ML: tuple[float, ...] = (20.0, 100.0, 200.0, 400.0, 1000.0)

EcogScheme = Literal["0_vs_ge1", "01_vs_ge2", "bclc_ps_group"]
ECOG_SCHEMES: tuple[EcogScheme, ...] = ("0_vs_ge1", "01_vs_ge2", "bclc_ps_group")


def ecog_collapse(ecog: int | None, scheme: EcogScheme = "0_vs_ge1") -> str | None:
    """Collapse ECOG PS 0-4: ``0_vs_ge1`` -> "0"/">=1"; ``01_vs_ge2`` -> "0-1"/">=2";
    ``bclc_ps_group`` -> "0"/"1-2"/"3-4". PS 5 (dead) is rejected.

    Examples
    --------
    >>> [ecog_collapse(p, "bclc_ps_group") for p in (0, 2, 3)]
    ['0', '1-2', '3-4']
    >>> ecog_collapse(1), ecog_collapse(None)
    ('>=1', None)
    """
    ps = check_value(ecog, BOUNDS["ecog"], "ecog")
    if ps is None:
        return None
    if scheme == "0_vs_ge1":
        return "0" if ps == 0 else ">=1"
    if scheme == "01_vs_ge2":
        return "0-1" if ps <= 1 else ">=2"
    if scheme == "bclc_ps_group":
        return "0" if ps == 0 else ("1-2" if ps <= 2 else "3-4")
    raise ClinicalInputError(f"unknown ECOG scheme {scheme!r}; rule: one of {ECOG_SCHEMES}",
                             rule="ecog scheme", value=scheme)


def ecog_frame(frame: pd.DataFrame, *, ecog: str = "ecog",
               schemes: Sequence[EcogScheme] = ("0_vs_ge1", "bclc_ps_group")) -> pd.DataFrame:
    """Columns ``ecog_<scheme>`` (e.g. ``ecog_0_vs_ge1``, ``ecog_bclc_ps_group``).

    Examples
    --------
    >>> import pandas as pd
    >>> ecog_frame(pd.DataFrame({"ecog": [0, 2, None]}))["ecog_bclc_ps_group"].tolist()
    ['0', '1-2', None]
    """
    ps = checked_column(frame, ecog, "ecog")
    return pd.DataFrame({f"ecog_{s}": pd.Series(
        [None if np.isnan(p) else ecog_collapse(int(p), s) for p in ps], dtype=object,
        index=frame.index) for s in schemes})


def afp_iu_to_ng(afp_iu_ml: float) -> float:
    """AFP IU/mL -> ng/mL (x 1.21, WHO 72/225).

    Examples
    --------
    >>> round(afp_iu_to_ng(350), 1)
    423.5
    """
    return afp_iu_ml * AFP_NG_PER_IU


def afp_ng_to_iu(afp_ng_ml: float) -> float:
    """AFP ng/mL -> IU/mL (/ 1.21).

    Examples
    --------
    >>> round(afp_ng_to_iu(121), 6)
    100.0
    """
    return afp_ng_ml / AFP_NG_PER_IU


def afp_high(afp_ng_ml: float | None, cut_ng_ml: float, *,
             operator: Literal[">=", ">"] = ">=") -> bool | None:
    """AFP at or above (``>=``, default) or above (``>``) a cut-off; missing -> None.

    Examples
    --------
    >>> afp_high(400, 400), afp_high(400, 400, operator=">"), afp_high(None, 400)
    (True, False, None)
    """
    v = check_value(afp_ng_ml, BOUNDS["afp"], "afp_ng_ml")
    if v is None:
        return None
    return v >= cut_ng_ml if operator == ">=" else v > cut_ng_ml


def afp_frame(frame: pd.DataFrame, *, afp: str = "afp_ng_ml", afp_unit: str = "ng/mL",
              thresholds_ng_ml: Sequence[float] = AFP_THRESHOLDS_NG_ML,
              operator: Literal[">=", ">"] = ">=") -> pd.DataFrame:
    """Columns ``afp_ng_ml`` (converted) and ``afp_high_<cut>`` (nullable booleans).

    Examples
    --------
    >>> import pandas as pd
    >>> out = afp_frame(pd.DataFrame({"afp_iu_ml": [350.0]}), afp="afp_iu_ml", afp_unit="IU/mL",
    ...                 thresholds_ng_ml=(200, 400))
    >>> print(out.round(1))
       afp_ng_ml  afp_high_200  afp_high_400
    0      423.5          True          True
    """
    from hccstudy.clinical.units import canonical_column

    ng = canonical_column(frame, afp, "afp", afp_unit)
    out = pd.DataFrame({"afp_ng_ml": ng}, index=frame.index)
    for cut in thresholds_ng_ml:
        hit = ng >= cut if operator == ">=" else ng > cut
        out[f"afp_high_{cut:g}"] = bool_series(hit, np.isnan(ng), frame.index)
    return out


def age_at(birth_date: dt.date | str | None, event_date: dt.date | str | None, *,
           method: Literal["completed", "decimal"] = "completed") -> float | None:
    """Age at an event: completed years (birthday reached; default) or days / 365.25.

    Examples
    --------
    >>> age_at("1960-03-01", "2015-02-28"), age_at("1960-03-01", "2015-03-01")
    (54.0, 55.0)
    >>> round(age_at("1960-03-01", "2015-03-01", method="decimal"), 2)
    55.0
    """
    if is_missing(birth_date) or is_missing(event_date):
        return None
    assert birth_date is not None and event_date is not None
    b = pd.Timestamp(birth_date)
    e = pd.Timestamp(event_date)
    if e < b:
        raise ClinicalInputError(f"event date {e.date()} before birth date; rule: event >= birth",
                                 rule="event date >= birth date", value=str(e.date()))
    if method == "decimal":
        return (e - b).days / DAYS_PER_YEAR
    years = e.year - b.year - ((e.month, e.day) < (b.month, b.day))
    return float(years)


def age_frame(frame: pd.DataFrame, *, birth_date: str = "birth_date",
              event_date: str = "index_date", name: str = "age_years",
              method: Literal["completed", "decimal"] = "completed") -> pd.DataFrame:
    """Column ``<name>`` (age at ``event_date``) and ``<name>_reason``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"birth_date": ["1960-03-01", None], "index_date": ["2015-03-01"] * 2})
    >>> age_frame(d)["age_years"].tolist()
    [55.0, nan]
    """
    ages: list[float] = []
    reasons: list[str | None] = []
    for i, (b, e) in enumerate(zip(frame[birth_date], frame[event_date], strict=True)):
        try:
            a = age_at(b, e, method=method)
        except ClinicalInputError as err:
            raise ClinicalInputError(f"row {i}, column {event_date!r}, {err}", column=event_date,
                                     n_rows=1, rule=err.rule, row=i, value=err.value) from None
        except (ValueError, TypeError):
            raise ClinicalInputError(f"row {i}: unreadable date; rule: ISO dates",
                                     column=birth_date, n_rows=1, rule="dates readable",
                                     row=i) from None
        ages.append(np.nan if a is None else a)
        reasons.append(None if a is not None else ";".join(
            f"missing:{c}" for c, v in ((birth_date, b), (event_date, e)) if is_missing(v)))
    return pd.DataFrame({name: pd.Series(ages, dtype=float, index=frame.index),
                         f"{name}_reason": pd.Series(reasons, dtype=object, index=frame.index)})
