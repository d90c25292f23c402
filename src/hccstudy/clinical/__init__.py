"""Clinical derivations for HCC cohorts: liver function, staging, vascular invasion, response,
patterns of failure, radiation dose, CTCAE lab grading, BSA, ECOG, AFP and age.

Every score is a small pure scalar function (units in the argument names, source in the
docstring) with a vectorised DataFrame wrapper; :func:`derive` adds every derivable column to
a patient frame. Definitions follow ``clinical-definitions.md``; the documented table of derived
columns and the section-14 choices is ``docs/clinical.md``. Only numpy and pandas are imported.

Examples
--------
>>> from hccstudy import clinical
>>> clinical.child_pugh(1.5, 3.1, "mild", "none", inr=1.4).label
'B7'
>>> clinical.albi_grade(clinical.albi_score(12, 45))
1
"""

from __future__ import annotations

from hccstudy.clinical._common import ClinicalInputError
from hccstudy.clinical.albi import albi_frame, albi_grade, albi_score, malbi_grade
from hccstudy.clinical.bclc import Bclc, bclc_frame, bclc_stage, liver_function_status
from hccstudy.clinical.body import bsa, bsa_dubois, bsa_frame, bsa_mosteller, dose_for_bsa
from hccstudy.clinical.child_pugh import (
    ChildPugh,
    albumin_points,
    ascites_points,
    bilirubin_points,
    child_pugh,
    child_pugh_class,
    child_pugh_frame,
    encephalopathy_points,
    inr_points,
    normalise_ascites,
    normalise_encephalopathy,
    pt_activity_points,
    pt_prolongation_points,
)
from hccstudy.clinical.ctcae import (
    TERMS,
    CtcaeGrade,
    ctcae_grade,
    ctcae_grade_detail,
    grade_labs,
    normalise_term,
    worst_grades,
)
from hccstudy.clinical.derive import DeriveSpec, derive
from hccstudy.clinical.dose import (
    bed,
    bed_courses,
    courses_frame,
    dose_frame,
    dose_triplet,
    eqd2,
    eqdx,
)
from hccstudy.clinical.failure import (
    FAILURE_CLASSES,
    classify_failure,
    failure_pattern,
    failure_summary,
)
from hccstudy.clinical.meld import meld_frame, meld_na_score, meld_score
from hccstudy.clinical.misc import (
    AFP_THRESHOLDS_NG_ML,
    afp_frame,
    afp_high,
    afp_iu_to_ng,
    afp_ng_to_iu,
    age_at,
    age_frame,
    ecog_collapse,
    ecog_frame,
)
from hccstudy.clinical.response import (
    ResponseRates,
    best_overall_response,
    overall_response,
    response_rates,
    target_response,
    timepoint_responses,
)
from hccstudy.clinical.tnm import (
    ajcc7_stage,
    ajcc7_t,
    ajcc8_stage,
    ajcc8_t,
    lcsgj_stage,
    lcsgj_t,
    tnm_frame,
)
from hccstudy.clinical.units import to_canonical
from hccstudy.clinical.vascular import VascularFlags, parse_level, vascular_flags, vascular_frame

__all__ = [
    "AFP_THRESHOLDS_NG_ML",
    "FAILURE_CLASSES",
    "TERMS",
    "Bclc",
    "ChildPugh",
    "ClinicalInputError",
    "CtcaeGrade",
    "DeriveSpec",
    "ResponseRates",
    "VascularFlags",
    "afp_frame",
    "afp_high",
    "afp_iu_to_ng",
    "afp_ng_to_iu",
    "age_at",
    "age_frame",
    "ajcc7_stage",
    "ajcc7_t",
    "ajcc8_stage",
    "ajcc8_t",
    "albi_frame",
    "albi_grade",
    "albi_score",
    "albumin_points",
    "ascites_points",
    "bclc_frame",
    "bclc_stage",
    "bed",
    "bed_courses",
    "best_overall_response",
    "bilirubin_points",
    "bsa",
    "bsa_dubois",
    "bsa_frame",
    "bsa_mosteller",
    "child_pugh",
    "child_pugh_class",
    "child_pugh_frame",
    "classify_failure",
    "courses_frame",
    "ctcae_grade",
    "ctcae_grade_detail",
    "derive",
    "dose_for_bsa",
    "dose_frame",
    "dose_triplet",
    "ecog_collapse",
    "ecog_frame",
    "encephalopathy_points",
    "eqd2",
    "eqdx",
    "failure_pattern",
    "failure_summary",
    "grade_labs",
    "inr_points",
    "lcsgj_stage",
    "lcsgj_t",
    "liver_function_status",
    "malbi_grade",
    "meld_frame",
    "meld_na_score",
    "meld_score",
    "normalise_ascites",
    "normalise_encephalopathy",
    "normalise_term",
    "overall_response",
    "parse_level",
    "pt_activity_points",
    "pt_prolongation_points",
    "response_rates",
    "target_response",
    "timepoint_responses",
    "tnm_frame",
    "to_canonical",
    "vascular_flags",
    "vascular_frame",
    "worst_grades",
]
