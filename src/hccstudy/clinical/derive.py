"""``derive(frame, spec)``: add every derivable clinical column to a patient frame.

Each derivation runs when its input *columns* exist (canonical names of ``docs/clinical.md``
or the names set in :class:`DeriveSpec`); missing *values* give missing results with a reason
column. Which derivations ran, and why others did not, is recorded in
``result.attrs["clinical_derivations"]``. An input column is never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.clinical._common import ClinicalInputError
from hccstudy.clinical.albi import albi_frame
from hccstudy.clinical.bclc import CpBPolicy, Version, bclc_frame
from hccstudy.clinical.body import Formula, bsa_frame
from hccstudy.clinical.child_pugh import child_pugh_frame
from hccstudy.clinical.ctcae import grade_labs, worst_grades
from hccstudy.clinical.dose import dose_frame
from hccstudy.clinical.failure import failure_summary
from hccstudy.clinical.meld import meld_frame
from hccstudy.clinical.misc import (
    AFP_THRESHOLDS_NG_ML,
    EcogScheme,
    afp_frame,
    age_frame,
    ecog_frame,
)
from hccstudy.clinical.response import best_overall_response, timepoint_responses
from hccstudy.clinical.tnm import parse_nm, tnm_frame
from hccstudy.clinical.vascular import vascular_frame

__all__ = ["DeriveSpec", "derive"]


@dataclass(frozen=True)
class DeriveSpec:
    """Input column names and the options of every derivation (defaults = documented choices).

    Column fields default to the canonical names; where the frame lacks the canonical
    mg/dL (g/dL, ng/mL) column, the SI-unit twin (``bilirubin_umol_l``, ``albumin_g_l``,
    ``creatinine_umol_l``, ``afp_iu_ml``) is used and converted. See ``docs/clinical.md`` for
    the table of every derived column and the section-14 decisions.
    """

    patient: str = "patient_id"
    # liver function
    bilirubin: str = "bilirubin_mg_dl"
    bilirubin_unit: str = "mg/dL"
    albumin: str = "albumin_g_dl"
    albumin_unit: str = "g/dL"
    creatinine: str = "creatinine_mg_dl"
    creatinine_unit: str = "mg/dL"
    inr: str = "inr"
    sodium: str = "sodium_mmol_l"
    dialysis: str = "dialysis"
    ascites: str = "ascites"
    encephalopathy: str = "encephalopathy"
    pt_prolongation_s: str = "pt_prolongation_s"
    pt_s: str = "pt_s"
    pt_control_s: str = "pt_control_s"
    pt_activity_pct: str = "pt_activity_pct"
    child_pugh_albumin_low_g_dl: float = 2.8
    child_pugh_missing: Literal["bounds", "none"] = "bounds"
    child_pugh_impute_absent: bool = False
    pt_control_default_s: float | None = None
    albi_albumin_coef: float = -0.085
    # tumour, staging
    n_tumours: str = "n_tumours"
    max_diam_cm: str = "max_diam_cm"
    vp: str = "vp"
    vv: str = "vv"
    bile_duct: str = "b"
    pvtt_present: str = "pvtt_present"
    macrovascular_invasion: str = "macrovascular_invasion"
    microvascular_invasion: str = "microvascular_invasion"
    adjacent_organ_invasion: str = "adjacent_organ_invasion"
    extrahepatic_spread: str = "extrahepatic_spread"
    n_stage: str = "n_stage"
    m_stage: str = "m_stage"
    ecog: str = "ecog"
    child_pugh_class: str = "child_pugh_class"
    bclc_versions: tuple[Version, ...] = ("2022", "2010")
    cp_b_policy: CpBPolicy | None = None
    muicc_n1_stage: Literal["IVA", "IVB"] = "IVA"
    # dose, body, markers, age
    rt_total_dose_gy: str = "rt_total_dose_gy"
    rt_fractions: str = "rt_fractions"
    rt_dose_per_fraction_gy: str = "rt_dose_per_fraction_gy"
    alpha_betas_gy: tuple[float, ...] = (10.0, 3.0)
    height: str = "height_cm"
    height_unit: str = "cm"
    weight: str = "weight_kg"
    weight_unit: str = "kg"
    bsa_formula: Formula = "mosteller"
    bsa_cap_m2: float | None = None
    doses_mg_per_m2: Mapping[str, float] = field(default_factory=dict)
    ecog_schemes: tuple[EcogScheme, ...] = ("0_vs_ge1", "bclc_ps_group")
    afp: str = "afp_ng_ml"
    afp_unit: str = "ng/mL"
    afp_thresholds_ng_ml: tuple[float, ...] = AFP_THRESHOLDS_NG_ML
    afp_operator: Literal[">=", ">"] = ">="
    birth_date: str = "birth_date"
    age_event_date: str = "index_date"
    age_method: Literal["completed", "decimal"] = "completed"
    # side tables
    response_criteria: tuple[Literal["mrecist", "recist1.1"], ...] = ("mrecist",)
    response_confirm: bool = False
    response_sd_min_days: int = 0
    response_after_cr: Literal["pd", "threshold"] = "pd"
    response_stop_date: str = "new_therapy_date"
    ctcae_version: Literal["5.0", "4.03"] = "5.0"
    tox_window_start: str = "rt_start_date"
    tox_window_end: str = "rt_end_date"
    tox_window_days_after: int = 90
    failure_origin: str = "rt_start_date"
    failure_marginal: Literal["in_field", "separate"] = "in_field"


_SI_TWINS = {"bilirubin": ("bilirubin_umol_l", "umol/L"), "albumin": ("albumin_g_l", "g/L"),
             "creatinine": ("creatinine_umol_l", "umol/L"), "afp": ("afp_iu_ml", "IU/mL")}


def _source(frame: pd.DataFrame, spec: DeriveSpec, name: str) -> tuple[str, str] | None:
    col, unit = getattr(spec, name), getattr(spec, f"{name}_unit")
    if col in frame.columns:
        return col, unit
    default = DeriveSpec()
    if col == getattr(default, name) and name in _SI_TWINS and _SI_TWINS[name][0] in frame.columns:
        return _SI_TWINS[name]
    return None


def derive(
    frame: pd.DataFrame,
    spec: DeriveSpec | None = None,
    *,
    lesions: pd.DataFrame | None = None,
    labs: pd.DataFrame | None = None,
    failures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Add every derivable clinical column to a patient frame (one row per patient).

    Parameters
    ----------
    frame : DataFrame
        Patient-level data with canonical column names (or those named in ``spec``).
    spec : DeriveSpec, optional
        Column names and options; defaults are the documented section-14 choices.
    lesions, labs, failures : DataFrame, optional
        Lesion-level measurements (response), long lab table (CTCAE), failure events (patterns
        of failure); their per-patient summaries are merged on ``spec.patient``.

    Returns
    -------
    DataFrame
        A copy of ``frame`` with the derived columns appended; ``attrs["clinical_derivations"]``
        maps each derivation to "derived" or the reason it was skipped.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"bilirubin_umol_l": [25.7], "albumin_g_l": [31.0], "inr": [1.4],
    ...                   "ascites": ["mild"], "encephalopathy": ["none"], "n_tumours": [1],
    ...                   "max_diam_cm": [6.0], "vp": ["Vp3"], "vv": [0], "ecog": [0],
    ...                   "extrahepatic_spread": [False], "rt_total_dose_gy": [45.0],
    ...                   "rt_fractions": [25]})
    >>> out = derive(d)
    >>> cols = ["child_pugh_label", "albi_grade", "major_pvi", "bclc_2022", "lcsgj_t"]
    >>> out[cols].iloc[0].tolist() == ["B7", 2, True, "C", "T3"]
    True
    >>> round(float(out["bed10_gy"].iloc[0]), 2)
    53.1
    """
    spec = spec or DeriveSpec()
    if not isinstance(frame, pd.DataFrame):
        raise ClinicalInputError(f"frame must be a DataFrame, not {type(frame).__name__}",
                                 rule="frame is a DataFrame")
    out = frame.copy()
    log: dict[str, str] = {}

    def add(name: str, part: pd.DataFrame) -> None:
        clash = [c for c in part.columns if c in frame.columns]
        if clash:
            raise ClinicalInputError(
                f"derive would overwrite input column(s) {clash!r} ({name}); rule: derived "
                "columns never overwrite inputs (rename the input or drop it)",
                column=clash[0], rule="no overwrite of input columns")
        part = part.set_axis(out.index)
        for c in part.columns:
            out[c] = part[c]
        log[name] = "derived"

    def skip(name: str, needs: str) -> None:
        log[name] = f"skipped: needs {needs}"

    bili, alb = _source(frame, spec, "bilirubin"), _source(frame, spec, "albumin")
    if bili and alb:
        add("child_pugh", child_pugh_frame(
            frame, bilirubin=bili[0], bilirubin_unit=bili[1], albumin=alb[0],
            albumin_unit=alb[1], ascites=spec.ascites, encephalopathy=spec.encephalopathy,
            inr=spec.inr, pt_prolongation_s=spec.pt_prolongation_s, pt_s=spec.pt_s,
            pt_control_s=spec.pt_control_s, pt_control_default_s=spec.pt_control_default_s,
            pt_activity_pct=spec.pt_activity_pct,
            albumin_low_g_dl=spec.child_pugh_albumin_low_g_dl, missing=spec.child_pugh_missing,
            impute_absent=spec.child_pugh_impute_absent))
        add("albi", albi_frame(frame, bilirubin=bili[0], bilirubin_unit=bili[1],
                               albumin=alb[0], albumin_unit=alb[1],
                               albumin_coef=spec.albi_albumin_coef))
    else:
        skip("child_pugh", "bilirubin and albumin columns")
        skip("albi", "bilirubin and albumin columns")
    cre = _source(frame, spec, "creatinine")
    if cre and bili and spec.inr in frame.columns:
        add("meld", meld_frame(frame, creatinine=cre[0], creatinine_unit=cre[1],
                               bilirubin=bili[0], bilirubin_unit=bili[1], inr=spec.inr,
                               sodium=spec.sodium, dialysis=spec.dialysis))
    else:
        skip("meld", "creatinine, bilirubin and INR columns")

    if any(c in frame.columns for c in (spec.vp, spec.vv, spec.pvtt_present)):
        add("vascular", vascular_frame(frame, vp=spec.vp, vv=spec.vv,
                                       pvtt_present=spec.pvtt_present))
    else:
        skip("vascular", "vp, vv or pvtt_present column")
    if (spec.extrahepatic_spread not in frame.columns and spec.n_stage in frame.columns
            and spec.m_stage in frame.columns):
        ns = [parse_nm(v, "N", spec.n_stage) for v in frame[spec.n_stage]]
        ms = [parse_nm(v, "M", spec.m_stage) for v in frame[spec.m_stage]]
        ehs = [True if (a == 1 or b == 1) else (None if a is None or b is None else False)
               for a, b in zip(ns, ms, strict=True)]
        add("extrahepatic_spread", pd.DataFrame(
            {spec.extrahepatic_spread: pd.Series(ehs, dtype="boolean", index=frame.index)}))
    mvi_col = ("any_macrovascular" if "any_macrovascular" in out.columns
               else spec.macrovascular_invasion)
    cp_col = "child_pugh_class" if "child_pugh_class" in out.columns else spec.child_pugh_class
    bclc_needs = [spec.n_tumours, spec.max_diam_cm, spec.ecog, cp_col, mvi_col,
                  spec.extrahepatic_spread]
    if all(c in out.columns for c in bclc_needs):
        for version in spec.bclc_versions:
            add(f"bclc_{version}", bclc_frame(
                out, n_tumours=spec.n_tumours, max_diam_cm=spec.max_diam_cm,
                macrovascular_invasion=mvi_col, extrahepatic_spread=spec.extrahepatic_spread,
                ecog=spec.ecog, child_pugh_class=cp_col, ascites=spec.ascites, version=version,
                cp_b_policy=spec.cp_b_policy))
    else:
        for version in spec.bclc_versions:
            skip(f"bclc_{version}", ", ".join(c for c in bclc_needs if c not in out.columns))
    if (spec.n_tumours in frame.columns and spec.max_diam_cm in frame.columns
            and (spec.vp in frame.columns or spec.vv in frame.columns)):
        add("tnm", tnm_frame(frame, n_tumours=spec.n_tumours, max_diam_cm=spec.max_diam_cm,
                             vp=spec.vp, vv=spec.vv, bile_duct=spec.bile_duct,
                             microvascular_invasion=spec.microvascular_invasion,
                             adjacent_organ_invasion=spec.adjacent_organ_invasion,
                             n_stage=spec.n_stage, m_stage=spec.m_stage,
                             n1_stage=spec.muicc_n1_stage))
    else:
        skip("tnm", "n_tumours, max_diam_cm and vp or vv columns")

    dose_cols = [spec.rt_total_dose_gy, spec.rt_fractions, spec.rt_dose_per_fraction_gy]
    if sum(c in frame.columns for c in dose_cols) >= 2:
        part = dose_frame(frame, total_dose_gy=spec.rt_total_dose_gy, fractions=spec.rt_fractions,
                          dose_per_fraction_gy=spec.rt_dose_per_fraction_gy,
                          alpha_betas_gy=spec.alpha_betas_gy)
        add("dose", part.drop(columns=[c for c in part.columns if c in frame.columns]))
    else:
        skip("dose", "two of total dose, fractions, dose per fraction")
    if spec.height in frame.columns and spec.weight in frame.columns:
        add("bsa", bsa_frame(frame, height=spec.height, height_unit=spec.height_unit,
                             weight=spec.weight, weight_unit=spec.weight_unit,
                             formula=spec.bsa_formula, cap_m2=spec.bsa_cap_m2,
                             doses_mg_per_m2=dict(spec.doses_mg_per_m2)))
    else:
        skip("bsa", "height and weight columns")
    if spec.ecog in frame.columns:
        add("ecog", ecog_frame(frame, ecog=spec.ecog, schemes=spec.ecog_schemes))
    else:
        skip("ecog", spec.ecog)
    afp = _source(frame, spec, "afp")
    if afp:
        part = afp_frame(frame, afp=afp[0], afp_unit=afp[1],
                         thresholds_ng_ml=spec.afp_thresholds_ng_ml, operator=spec.afp_operator)
        add("afp", part.drop(columns=[c for c in part.columns if c in frame.columns]))
    else:
        skip("afp", "afp_ng_ml or afp_iu_ml")
    if spec.birth_date in frame.columns and spec.age_event_date in frame.columns:
        add("age", age_frame(frame, birth_date=spec.birth_date, event_date=spec.age_event_date,
                             method=spec.age_method))
    else:
        skip("age", f"{spec.birth_date} and {spec.age_event_date}")

    if lesions is not None or labs is not None or failures is not None:
        if spec.patient not in frame.columns:
            raise ClinicalInputError(
                f"column {spec.patient!r} missing: side tables are merged on it; rule: patient "
                "column in the patient frame", column=spec.patient, rule="column must exist")
        if frame[spec.patient].duplicated().any():
            r = int(np.flatnonzero(frame[spec.patient].duplicated().to_numpy())[0])
            raise ClinicalInputError(
                f"row {r}, column {spec.patient!r}: duplicated patient; rule: one row per "
                "patient", column=spec.patient, n_rows=1, rule="one row per patient", row=r)
    pid = frame[spec.patient] if spec.patient in frame.columns else None

    def merge(name: str, summary: pd.DataFrame) -> None:
        assert pid is not None
        add(name, summary.reindex(pid.to_numpy()).set_axis(frame.index))

    if lesions is not None:
        stop = (pd.to_datetime(frame.set_index(spec.patient)[spec.response_stop_date])
                if spec.response_stop_date in frame.columns else None)
        for crit in spec.response_criteria:
            tp = timepoint_responses(lesions, criteria=crit, after_cr=spec.response_after_cr,
                                     patient=spec.patient)
            bor = best_overall_response(tp, confirm=spec.response_confirm,
                                        sd_min_days=spec.response_sd_min_days,
                                        stop_dates=stop, patient=spec.patient)
            tag = "mrecist" if crit == "mrecist" else "recist11"
            merge(f"response_{tag}", bor.add_prefix(f"{tag}_"))
    if labs is not None:
        if spec.tox_window_start in frame.columns and spec.tox_window_end in frame.columns:
            by_pid = frame.set_index(spec.patient)
            start = pd.to_datetime(by_pid[spec.tox_window_start])
            end = pd.to_datetime(by_pid[spec.tox_window_end]) + pd.Timedelta(
                days=spec.tox_window_days_after)
            graded = grade_labs(labs, version=spec.ctcae_version, patient=spec.patient,
                                origin=start if "is_baseline" not in labs.columns else None)
            merge("ctcae", worst_grades(graded, window_start=start, window_end=end,
                                        patient=spec.patient))
        else:
            skip("ctcae", f"{spec.tox_window_start} and {spec.tox_window_end}")
    if failures is not None:
        if spec.failure_origin in frame.columns:
            origin = pd.to_datetime(frame.set_index(spec.patient)[spec.failure_origin])
            merge("failure", failure_summary(failures, origin, patient=spec.patient,
                                             marginal=spec.failure_marginal))
        else:
            skip("failure", spec.failure_origin)
    out.attrs["clinical_derivations"] = log
    return out
