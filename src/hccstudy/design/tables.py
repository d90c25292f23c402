"""From the canonical tables of the data model to the one-row-per-patient study frame.

A study reads patient-level data in the canonical raw-record form of
``docs/data-dictionary.md`` (``patients``, ``baseline``, ``treatments``,
``lesions``, ``labs``, ``events``, ``adverse_events``), from files through
:func:`hccstudy.io.read`, from the registry, or as a dict of frames passed to
:func:`hccstudy.run`. :func:`patient_frame` builds the study frame:

* ``patients`` + ``baseline`` + the first treatment (lowest ``treatment_number``);
* the first progression and the first recurrence as the wide columns
  ``progression_date``, ``progression_site``, ``progression_rt_field``,
  ``recurrence_date``, ``recurrence_site`` (as in a one-row-per-patient sheet);
* adverse events as per-patient worst-grade columns ``ae_<slug>`` (0 = no event
  recorded; :func:`hccstudy.analyse.toxicity.ae_slug`, via
  :func:`~hccstudy.analyse.toxicity.worst_grade_columns`).

:func:`side_tables` renames the long tables to the columns the clinical
derivations read (:func:`hccstudy.clinical.derive`), and :data:`CANONICAL_DERIVE`
maps the derivations' inputs to canonical column names.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hccstudy.analyse.toxicity import ae_slug, worst_grade_columns
from hccstudy.errors import InputError

__all__ = ["CANONICAL_DERIVE", "CANONICAL_TABLES", "ae_slug", "is_canonical", "patient_frame",
           "side_tables", "worst_grade_columns"]

CANONICAL_TABLES = ("patients", "baseline", "treatments", "lesions", "labs", "events",
                    "adverse_events")
"""Table names of the data model."""

PATIENT = "patient_id"

CANONICAL_DERIVE: dict[str, str] = {
    "bilirubin": "bilirubin",
    "albumin": "albumin",
    "creatinine": "creatinine",
    "n_tumours": "tumour_number",
    "max_diam_cm": "tumour_size_cm",
    "vp": "vp_grade",
    "macrovascular_invasion": "pvi",
    "extrahepatic_spread": "metastasis",
    "afp": "afp",
    "rt_total_dose_gy": "rt_dose_gy",
    "tox_window_start": "start_date",
    "tox_window_end": "end_date",
    "failure_origin": "start_date",
    "age_event_date": "diagnosis_date",
}
"""Inputs of :class:`hccstudy.clinical.derive.DeriveSpec` named as in the data model.

Used as defaults when a study's data come as canonical tables; the spec's
``clinical_derive`` options override them.
"""

_SITE = {"local": ["intrahepatic"], "intrahepatic": ["intrahepatic"],
         "extrahepatic": ["extrahepatic"],
         "intra_and_extrahepatic": ["intrahepatic", "extrahepatic"]}
_FIELD = {"in_field": "inside", "marginal": "marginal", "out_of_field": "outside",
          "not_applicable": "outside"}


def _gradable(test: object) -> bool:
    from hccstudy.clinical.ctcae import normalise_term

    try:
        normalise_term(str(test))
    except ValueError:
        return False
    return True


def is_canonical(data: object) -> bool:
    """True for a mapping of canonical tables that includes ``patients``."""
    return (isinstance(data, Mapping) and "patients" in data
            and all(k in CANONICAL_TABLES for k in data))


def _first_events(events: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame(index=ids.index)
    if events.empty or "event_type" not in events.columns or "event_date" not in events.columns:
        return out
    ev = events.assign(_date=pd.to_datetime(events["event_date"], errors="coerce"))
    for etype, cols in (("progression", {"site": "progression_site",
                                         "rt_field_position": "progression_rt_field"}),
                        ("recurrence", {"site": "recurrence_site"})):
        e = ev[ev["event_type"] == etype].sort_values([PATIENT, "_date"], kind="stable")
        if e.empty:
            continue
        first = e.drop_duplicates(PATIENT, keep="first").set_index(PATIENT)
        out[f"{etype}_date"] = first["_date"].reindex(ids.to_numpy()).to_numpy()
        for src, dst in cols.items():
            if src in first.columns:
                out[dst] = first[src].reindex(ids.to_numpy()).to_numpy()
    return out


def patient_frame(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The one-row-per-patient study frame of canonical tables (see the module docstring).

    Examples
    --------
    >>> t = {"patients": pd.DataFrame({"patient_id": ["a", "b"], "sex": ["male", "female"]}),
    ...      "treatments": pd.DataFrame({"patient_id": ["a", "a", "b"],
    ...                                  "treatment_number": [2, 1, 1],
    ...                                  "treatment_type": ["TACE", "CCRT", "HAIC"]}),
    ...      "adverse_events": pd.DataFrame({"patient_id": ["b"], "term": ["Nausea"],
    ...                                      "grade": [2]})}
    >>> f = patient_frame(t)
    >>> f[["treatment_type", "ae_nausea"]].values.tolist()
    [['CCRT', 0], ['HAIC', 2]]
    """
    if "patients" not in tables:
        raise InputError("the data have no patients table; rule: canonical tables need "
                         "'patients'", rule="patients table")
    pats = tables["patients"].reset_index(drop=True)
    if PATIENT not in pats.columns:
        raise InputError(f"patients: column {PATIENT!r} missing", column=PATIENT,
                         rule="column must exist")
    dup = pats[PATIENT].duplicated()
    if dup.any():
        raise InputError(f"patients: {int(dup.sum())} duplicated {PATIENT}; rule: one row per "
                         "patient", column=PATIENT, n_rows=int(dup.sum()),
                         rule="one row per patient")
    out = pats.copy()
    for name in ("baseline", "treatments"):
        t = tables.get(name)
        if t is None or t.empty:
            continue
        if name == "treatments" and "treatment_number" in t.columns:
            t = t.sort_values([PATIENT, "treatment_number"], kind="stable")
        t = t.drop_duplicates(PATIENT, keep="first")
        extra = [c for c in t.columns if c not in out.columns]
        out = out.merge(t[[PATIENT, *extra]], on=PATIENT, how="left")
    ev = tables.get("events")
    if ev is not None:
        first = _first_events(ev, out[PATIENT])
        for c in first.columns:
            if c not in out.columns:
                out[c] = first[c]
    ae = tables.get("adverse_events")
    if ae is not None:
        grades = worst_grade_columns(ae, PATIENT, "term", "grade", out[PATIENT])
        grades.index = out.index
        out = pd.concat([out, grades[[c for c in grades.columns if c not in out.columns]]],
                        axis=1)
    return out


def side_tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The long tables renamed for :func:`hccstudy.clinical.derive` (lesions, labs, failures).

    Labs keep the tests that have a CTCAE grade (tumour markers such as AFP are left out).

    ``events`` become failures: one row per organ class (``intra_and_extrahepatic`` gives an
    intrahepatic and an extrahepatic row; the extrahepatic part lies outside the RT field),
    ``rt_field_position`` in_field / marginal / out_of_field -> inside / marginal / outside
    (``not_applicable``, no RT field, counts as outside).

    Examples
    --------
    >>> ev = pd.DataFrame({"patient_id": ["a"], "event_type": ["progression"],
    ...                    "event_date": ["2020-05-01"], "site": ["intra_and_extrahepatic"],
    ...                    "rt_field_position": ["in_field"]})
    >>> side_tables({"events": ev})["failures"][["site", "relation_to_field"]].values.tolist()
    [['intrahepatic', 'inside'], ['extrahepatic', 'outside']]
    """
    out: dict[str, pd.DataFrame] = {}
    les = tables.get("lesions")
    if les is not None and not les.empty:
        d = les.rename(columns={"assessment_date": "date", "viable_diameter_mm": "viable_mm",
                                "longest_diameter_mm": "diam_mm", "new_lesion": "new"})
        if "nontarget_response" in d.columns:
            d["progression"] = d["nontarget_response"].astype("string").eq("PD").fillna(False)
        for c in ("new", "target"):
            if c in d.columns:
                d[c] = d[c].astype("boolean").fillna(False).astype(bool)
        out["lesions"] = d.reset_index(drop=True)
    labs = tables.get("labs")
    if labs is not None and not labs.empty and "test" in labs.columns:
        labs = labs[labs["test"].map(_gradable)]  # AFP, PIVKA-II, ... have no CTCAE grade
        if not labs.empty:
            out["labs"] = labs.rename(columns={"lab_date": "date"}).reset_index(drop=True)
    ev = tables.get("events")
    if ev is not None and not ev.empty and "event_type" in ev.columns:
        e = ev[ev["event_type"].isin(["progression", "recurrence"])]
        e = e[e["site"].notna()] if "site" in e.columns else e.iloc[0:0]
        rows = []
        for pid, date, site, pos in zip(e[PATIENT], e["event_date"], e["site"],
                                        e.get("rt_field_position",
                                              pd.Series(np.nan, index=e.index)), strict=True):
            organs = _SITE.get(str(site))
            if organs is None:
                raise InputError(f"events: site {site!r} not in {sorted(_SITE)}", column="site",
                                 n_rows=1, rule="site code")
            rel = _FIELD.get(str(pos), "outside")
            for org in organs:
                rows.append((pid, date, org, rel if org == "intrahepatic" or
                             len(organs) == 1 else "outside"))
        out["failures"] = pd.DataFrame(rows, columns=[PATIENT, "date", "site",
                                                      "relation_to_field"])
    return out
