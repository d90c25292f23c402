"""Patterns of failure after radiotherapy (§10.3).

Source: clinical-definitions §10.3 (a recommended default, not a guideline; no single standard
exists). Each failure *site* is classified as ``in_field`` (arising within the reference
volume, PTV by default), ``marginal`` (straddling its boundary; merged into in-field unless
``marginal="separate"``), ``intrahepatic_out_of_field`` or ``extrahepatic``; a node inside the
PTV counts as in-field. Combined failures are kept: one flag and one first date per class, plus
a mutually exclusive pattern at first failure for tables (§14 rows 25-26).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.clinical._common import ClinicalInputError, is_missing

__all__ = ["FAILURE_CLASSES", "classify_failure", "failure_pattern", "failure_summary"]

FAILURE_CLASSES = ("in_field", "marginal", "intrahepatic_out_of_field", "extrahepatic")
_REL = {"inside": "inside", "in": "inside", "in_field": "inside", "within": "inside",
        "marginal": "marginal", "margin": "marginal", "straddling": "marginal",
        "outside": "outside", "out": "outside", "out_of_field": "outside"}
_SITE = {"intrahepatic": True, "liver": True, "hepatic": True, "extrahepatic": False,
         "lung": False, "bone": False, "node": False, "lymph_node": False, "adrenal": False,
         "peritoneum": False, "brain": False, "pleura": False, "distant_ln": False}


def classify_failure(intrahepatic: bool, relation_to_field: str, *,
                     marginal: Literal["in_field", "separate"] = "in_field") -> str:
    """Class of one failure site from its organ (liver or not) and position to the RT field.

    Examples
    --------
    >>> classify_failure(True, "inside"), classify_failure(True, "outside")
    ('in_field', 'intrahepatic_out_of_field')
    >>> classify_failure(False, "inside"), classify_failure(False, "outside")
    ('in_field', 'extrahepatic')
    >>> classify_failure(True, "marginal"), classify_failure(True, "marginal", marginal="separate")
    ('in_field', 'marginal')
    """
    rel = _REL.get(str(relation_to_field).strip().lower().replace(" ", "_").replace("-", "_"))
    if rel is None:
        raise ClinicalInputError(
            f"value {relation_to_field!r}: unknown position relative to the RT field; "
            "rule: inside / marginal / outside", column="relation_to_field", n_rows=1,
            rule="relation in inside/marginal/outside", value=relation_to_field)
    if rel == "inside":
        return "in_field"
    if rel == "marginal":
        return "in_field" if marginal == "in_field" else "marginal"
    return "intrahepatic_out_of_field" if intrahepatic else "extrahepatic"


def failure_pattern(in_field: bool, out_of_field: bool, extrahepatic: bool) -> str:
    """Mutually exclusive pattern for tables (§10.3 point 2).

    Examples
    --------
    >>> failure_pattern(True, False, False), failure_pattern(True, False, True)
    ('isolated in_field', 'in_field + out_of_field')
    >>> failure_pattern(False, True, True), failure_pattern(False, False, False)
    ('intrahepatic + extrahepatic', 'no failure')
    """
    if in_field:
        return "in_field + out_of_field" if (out_of_field or extrahepatic) else "isolated in_field"
    if out_of_field:
        return "intrahepatic + extrahepatic" if extrahepatic else "isolated intrahepatic out_of_field"
    return "isolated extrahepatic" if extrahepatic else "no failure"


def failure_summary(
    events: pd.DataFrame,
    origin: pd.Series,
    *,
    patient: str = "patient_id",
    date: str = "date",
    site: str = "site",
    relation: str = "relation_to_field",
    marginal: Literal["in_field", "separate"] = "in_field",
    days_per_month: float = 30.4375,
) -> pd.DataFrame:
    """Per-patient failure flags, first dates and times from ``origin``.

    Parameters
    ----------
    events : DataFrame
        One row per failure site per imaging date: ``site`` ("intrahepatic"/"liver" or an
        extrahepatic site such as "lung", "node", "bone"; or a boolean meaning intrahepatic)
        and ``relation`` (inside / marginal / outside the reference volume).
    origin : Series
        Time origin per patient (index = patient; e.g. RT start). Every patient in ``origin``
        gets a row, with no failure when it has no events.

    Returns
    -------
    DataFrame indexed by patient with, for each class, ``fail_<class>_date``,
    ``fail_<class>_days`` and ``ever_<class>``; ``first_failure_date``, ``first_failure_days``,
    ``first_<class>`` flags (classes present at the first failure date),
    ``first_failure_pattern`` and ``ever_failure_pattern``.

    Examples
    --------
    Worked example of §10 (origin 2015-03-01; out-of-field 2015-10-01; in-field 2016-01-15):

    >>> import pandas as pd
    >>> ev = pd.DataFrame({"patient_id": ["p", "p"], "date": ["2015-10-01", "2016-01-15"],
    ...                    "site": ["liver", "liver"], "relation_to_field": ["outside", "inside"]})
    >>> s = failure_summary(ev, pd.Series({"p": pd.Timestamp("2015-03-01")}))
    >>> int(s.loc["p", "first_failure_days"]), int(s.loc["p", "fail_in_field_days"])
    (214, 320)
    >>> s.loc["p", "first_failure_pattern"]
    'isolated intrahepatic out_of_field'
    >>> bool(s.loc["p", "ever_in_field"])
    True
    """
    ev = events.copy()
    ev[date] = pd.to_datetime(ev[date])
    classes = []
    for i, (st, rel) in enumerate(zip(ev[site], ev[relation], strict=True)):
        if is_missing(st) or is_missing(rel):
            raise ClinicalInputError(
                f"row {i}, column {site if is_missing(st) else relation!r}: missing value; "
                "rule: every failure needs a site and a position relative to the field",
                column=site if is_missing(st) else relation, n_rows=1, rule="site and relation",
                row=i)
        if isinstance(st, bool | np.bool_):
            intra = bool(st)
        else:
            key = str(st).strip().lower().replace(" ", "_")
            # any site other than the liver is extrahepatic (§10.3)
            intra = _SITE.get(key, key.startswith("intrahepatic"))
        try:
            classes.append(classify_failure(intra, rel, marginal=marginal))
        except ClinicalInputError as e:
            raise ClinicalInputError(f"row {i}, column {relation!r}, {e}", column=relation,
                                     n_rows=1, rule=e.rule, row=i, value=rel) from None
    ev["_class"] = classes
    patients = pd.Index(pd.unique(pd.concat([pd.Series(origin.index), ev[patient]],
                                            ignore_index=True)), name=patient)
    missing_origin = [p for p in patients if p not in origin.index or pd.isna(origin.get(p))]
    if missing_origin and ev[patient].isin(missing_origin).any():
        raise ClinicalInputError(
            f"{len(missing_origin)} patient(s) with failures have no origin date; rule: an origin "
            "per patient", column=patient, n_rows=len(missing_origin), rule="origin given")
    o = pd.to_datetime(pd.Series([origin.get(p) for p in patients], index=patients))
    early = ev[date].to_numpy() < pd.to_datetime(ev[patient].map(origin)).to_numpy()
    if early.any():
        r = int(np.flatnonzero(early)[0])
        raise ClinicalInputError(f"row {r}, column {date!r}: failure before the origin; rule: "
                                 "failure date >= origin", column=date, n_rows=int(early.sum()),
                                 rule="date >= origin", row=r)
    used = [c for c in FAILURE_CLASSES if c != "marginal" or marginal == "separate"]
    out = pd.DataFrame(index=patients)
    first = ev.groupby(patient)[date].min()
    out["first_failure_date"] = first.reindex(patients)
    out["first_failure_days"] = (out["first_failure_date"] - o).dt.days.astype("Int64")
    for c in used:
        d = ev[ev["_class"] == c].groupby(patient)[date].min().reindex(patients)
        out[f"fail_{c}_date"] = d
        out[f"fail_{c}_days"] = (d - o).dt.days.astype("Int64")
        out[f"fail_{c}_months"] = (d - o).dt.days / days_per_month
        out[f"ever_{c}"] = d.notna()
        out[f"first_{c}"] = (d == out["first_failure_date"]).to_numpy(dtype=bool)

    def pat(prefix: str) -> list[str]:
        infield = out[f"{prefix}_in_field"] | (out[f"{prefix}_marginal"]
                                               if "marginal" in used else False)
        return [failure_pattern(bool(a), bool(b), bool(c)) for a, b, c in zip(
            infield, out[f"{prefix}_intrahepatic_out_of_field"], out[f"{prefix}_extrahepatic"],
            strict=True)]

    out["first_failure_pattern"] = pat("first")
    out["ever_failure_pattern"] = pat("ever")
    return out
