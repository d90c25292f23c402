"""The canonical data model: declared column schemas, with units, for every table.

A study dataset is a set of tables keyed by a pseudonymous ``patient_id``:

========================  ==========================================================
``patients``              one row per patient: sex, age, etiology, centre, dates of
                          diagnosis, death and last follow-up
``baseline``              one row per patient: liver function, tumour burden,
                          vascular invasion, ECOG, tumour markers, stages
``treatments``            one row per treatment course (RT, HAIC, TACE, ...)
``lesions``               one row per lesion per assessment (mRECIST measurements)
``labs``                  one row per laboratory value over time
``events``                one row per progression or recurrence (site, RT field)
``adverse_events``        one row per adverse event (term, CTCAE grade, date)
========================  ==========================================================

Values are stored in the canonical units of the clinical reference (bilirubin mg/dL,
albumin g/dL, platelets 10^9/L, AFP ng/mL, dose Gy, tumour size cm, lesion diameters mm).
:data:`UNIT_CONVERSIONS` lists the other units an importer accepts and the factor that
converts them.

Examples
--------
>>> TABLES["baseline"].column("albumin").unit
'g/dL'
>>> convert_factor("bilirubin", "umol/L")
0.05847953216374269
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ANALYSIS_REQUIREMENTS",
    "TABLES",
    "UNIT_CONVERSIONS",
    "WIDE_EVENT_COLUMNS",
    "Column",
    "Kind",
    "TableSchema",
    "canonical_unit",
    "column_labels",
    "convert_factor",
    "data_dictionary_markdown",
    "default_label",
    "normalise_name",
]

Kind = Literal["id", "text", "category", "integer", "number", "date", "bool"]


@dataclass(frozen=True, slots=True)
class Column:
    """One declared column.

    Parameters
    ----------
    name : str
        Canonical name (snake_case).
    kind : {"id", "text", "category", "integer", "number", "date", "bool"}
        Storage type.
    description : str
        What the column holds.
    unit : str, optional
        Canonical unit of a numeric column.
    minimum, maximum : float, optional
        Inclusive plausible range in the canonical unit; outside it is an error.
    codes : tuple of str
        Allowed codes of a category column.
    required : bool
        A row without a value is an error in every analysis.
    identifier : bool
        A direct identifier (name, hospital number, birth date): dropped on
        de-identification and never shown in reports.
    synonyms : tuple of str
        Header names (normalised) that map to this column without a mapping file.
    label : str
        Short manuscript label shown in report tables and figures (``"Age, years"``);
        default: the description up to its first full stop, with ``", <unit>"`` appended
        for a measurement unit (:func:`default_label`).

    Examples
    --------
    >>> Column("x_mm", "number", "Longest diameter (RECIST 1.1). Measured on CT", unit="mm").label
    'Longest diameter, mm'
    """

    name: str
    kind: Kind
    description: str
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    codes: tuple[str, ...] = ()
    required: bool = False
    identifier: bool = False
    synonyms: tuple[str, ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", default_label(self.description, self.unit))


_NO_UNIT_LABEL = ("count", "ratio", "points", "grade", "cycles")


def default_label(description: str, unit: str | None = None) -> str:
    """A label from a description and unit: first sentence, no parentheses, ``", unit"``.

    Examples
    --------
    >>> default_label("Serum albumin", "g/dL"), default_label("Number of tumours", "count")
    ('Serum albumin, g/dL', 'Number of tumours')
    >>> default_label("Portal vein invasion. Yes/no (true/false)")
    'Portal vein invasion'
    """
    text = description.split(". ", 1)[0].rstrip(".")
    text = re.sub(r"\s*\([^()]*\)", "", text).strip() or description
    return f"{text}, {unit}" if unit and unit not in _NO_UNIT_LABEL else text


@dataclass(frozen=True, slots=True)
class TableSchema:
    """A declared table: its columns and the columns that identify a record.

    Examples
    --------
    >>> TABLES["treatments"].key
    ('patient_id', 'treatment_number')
    >>> "rt_dose_gy" in TABLES["treatments"].names
    True
    """

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    synonyms: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in declared order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The declared column ``name`` (KeyError when undeclared)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def normalise_name(text: str) -> str:
    """Lower-case a header and reduce it to ``[a-z0-9_]``.

    Examples
    --------
    >>> normalise_name(" Albumin (g/dL) ")
    'albumin_g_dl'
    """
    s = str(text).strip().lower().replace("µ", "u").replace("μ", "u")
    s = re.sub(r"[^a-z0-9]+", "_", s)
    return s.strip("_")


_PID = Column("patient_id", "id", "Pseudonymous patient identifier (never a hospital number)",
              required=True,
              synonyms=("id", "patient", "patient_no", "pt_id", "subject_id", "record_id",
                        "study_id", "case_id", "patientid", "no"))

_YES_NO = "Yes/no (true/false); importers accept yes/no, y/n, 1/0, true/false, present/absent"

PATIENTS = TableSchema(
    "patients", "One row per patient: demographics, diagnosis and vital status.",
    key=("patient_id",),
    synonyms=("patient", "demographics", "pts", "cohort"),
    columns=(
        _PID,
        Column("name", "text", "Patient name (direct identifier; dropped on de-identification)",
               identifier=True, synonyms=("patient_name", "pt_name", "full_name", "surname",
                                          "first_name", "given_name", "family_name")),
        Column("hospital_number", "text", "Hospital record number (direct identifier)",
               identifier=True, synonyms=("mrn", "hospital_id", "chart_number", "medical_record_number",
                                          "registration_number", "unit_number", "hosp_no",
                                          "hospital_no", "hn", "chart_no", "reg_no")),
        Column("birth_date", "date", "Date of birth (identifier: shifted on de-identification)",
               identifier=True, synonyms=("dob", "date_of_birth", "birthdate")),
        Column("centre", "text", "Treating centre or hospital (multi-centre cohorts)",
               synonyms=("center", "hospital", "site", "institution"),
               label="Centre"),
        Column("source_db", "text", "Source database (e.g. single-centre series vs registry)",
               synonyms=("database", "source"),
               label="Source database"),
        Column("sex", "category", "Sex", codes=("male", "female"), synonyms=("gender",),
               label="Sex"),
        Column("age_years", "number", "Age at diagnosis", unit="years", minimum=0, maximum=120,
               synonyms=("age", "age_at_diagnosis", "age_yr"),
               label="Age, years"),
        Column("etiology", "category", "Underlying liver disease",
               codes=("HBV", "HCV", "HBV_HCV", "alcohol", "MASLD", "NBNC", "NBNC_alcohol",
                      "other", "unknown"),
               synonyms=("aetiology", "cause", "viral_status", "underlying_disease"),
               label="Aetiology"),
        Column("diagnosis_date", "date", "Date of HCC diagnosis",
               synonyms=("dx_date", "date_of_diagnosis", "diagnosis"),
               label="Date of diagnosis"),
        Column("diagnosis_method", "category", "How HCC was diagnosed",
               codes=("pathology", "imaging_afp_gt400", "imaging_two_modalities", "imaging",
                      "other"),
               label="Diagnostic method"),
        Column("death_date", "date", "Date of death (empty when alive)",
               synonyms=("date_of_death", "dod", "death"),
               label="Date of death"),
        Column("last_followup_date", "date", "Date last known alive (last contact)",
               synonyms=("last_follow_up", "last_fu", "last_contact", "last_contact_date",
                         "date_last_followup", "last_followup", "fu_date"),
               label="Date of last follow-up"),
    ),
)

BASELINE = TableSchema(
    "baseline", "One row per patient: status before the first treatment.",
    key=("patient_id",),
    synonyms=("baseline_characteristics", "pretreatment", "base"),
    columns=(
        _PID,
        Column("assessment_date", "date", "Date of the baseline assessment",
               synonyms=("baseline_date",),
               label="Date of baseline assessment"),
        Column("bilirubin", "number", "Total bilirubin", unit="mg/dL", minimum=0, maximum=50,
               synonyms=("total_bilirubin", "t_bil", "tbil", "bil", "bilirubin_total"),
               label="Total bilirubin, mg/dL"),
        Column("albumin", "number", "Serum albumin", unit="g/dL", minimum=0.5, maximum=7,
               synonyms=("alb", "serum_albumin"),
               label="Albumin, g/dL"),
        Column("inr", "number", "Prothrombin time INR", unit="ratio", minimum=0.5, maximum=15,
               synonyms=("pt_inr",),
               label="INR"),
        Column("creatinine", "number", "Serum creatinine", unit="mg/dL", minimum=0, maximum=30,
               synonyms=("cr", "creat"),
               label="Creatinine, mg/dL"),
        Column("platelets", "number", "Platelet count", unit="10^9/L", minimum=1, maximum=2000,
               synonyms=("plt", "platelet", "platelet_count"),
               label="Platelet count, 10^9/L"),
        Column("ascites", "category", "Ascites (Child-Pugh grading)",
               codes=("none", "mild", "moderate_severe"),
               label="Ascites"),
        Column("encephalopathy", "category", "Hepatic encephalopathy (West Haven grade group)",
               codes=("none", "grade_1_2", "grade_3_4"), synonyms=("he", "hepatic_encephalopathy"),
               label="Hepatic encephalopathy"),
        Column("child_pugh_class", "category", "Child-Pugh class as recorded",
               codes=("A", "B", "C"), synonyms=("child_pugh", "cp_class", "child", "cp"),
               label="Child-Pugh class"),
        Column("child_pugh_score", "integer", "Child-Pugh points as recorded", unit="points",
               minimum=5, maximum=15, synonyms=("cp_score",),
               label="Child-Pugh score"),
        Column("tumour_number", "integer", "Number of tumours", unit="count", minimum=0, maximum=100,
               synonyms=("tumor_number", "number_of_tumours", "number_of_tumors", "n_tumours",
                         "n_tumors"),
               label="Number of tumours"),
        Column("growth_pattern", "category", "Single or multiple tumours",
               codes=("single", "multiple"),
               label="Growth pattern"),
        Column("tumour_size_cm", "number", "Largest tumour diameter", unit="cm", minimum=0,
               maximum=40, synonyms=("tumor_size", "tumour_size", "size_cm", "max_diameter",
                                     "tumor_size_cm"),
               label="Tumour size, cm"),
        Column("pvi", "bool", f"Portal vein invasion. {_YES_NO}",
               synonyms=("portal_vein_invasion", "pvtt", "portal_vein_thrombosis"),
               label="Portal vein invasion"),
        Column("vp_grade", "category", "Portal invasion extent (LCSGJ Vp)",
               codes=("Vp0", "Vp1", "Vp2", "Vp3", "Vp4"), synonyms=("vp",),
               label="Portal vein invasion (Vp)"),
        Column("hvi", "bool", f"Hepatic vein invasion. {_YES_NO}",
               synonyms=("hepatic_vein_invasion",),
               label="Hepatic vein invasion"),
        Column("nodes", "bool", f"Regional lymph node metastasis. {_YES_NO}",
               synonyms=("lymph_node", "ln_metastasis", "n_stage", "ln"),
               label="Lymph node metastasis"),
        Column("metastasis", "bool", f"Extrahepatic (distant) metastasis. {_YES_NO}",
               synonyms=("distant_metastasis", "ehs", "extrahepatic_spread", "m_stage"),
               label="Extrahepatic metastasis"),
        Column("ecog", "integer", "ECOG performance status", unit="grade", minimum=0, maximum=5,
               synonyms=("ecog_ps", "ps", "performance_status"),
               label="ECOG performance status"),
        Column("afp", "number", "Alpha-fetoprotein", unit="ng/mL", minimum=0, maximum=1e8,
               synonyms=("alpha_fetoprotein", "afp_ng_ml"),
               label="AFP, ng/mL"),
        Column("pivka", "number", "PIVKA-II (DCP)", unit="mAU/mL", minimum=0, maximum=1e8,
               synonyms=("pivka_ii", "dcp", "pivka2"),
               label="PIVKA-II, mAU/mL"),
        Column("bclc_stage", "category", "BCLC stage as recorded", codes=("0", "A", "B", "C", "D"),
               synonyms=("bclc",),
               label="BCLC stage"),
        Column("tnm_stage", "text", "TNM stage as recorded (system named in the study card)",
               synonyms=("stage", "tnm", "lcsgj_stage", "muicc_stage"),
               label="TNM stage"),
    ),
)

TREATMENTS = TableSchema(
    "treatments", "One row per treatment course; treatment_number 1 is the first treatment.",
    key=("patient_id", "treatment_number"),
    synonyms=("treatment", "tx", "therapy", "therapies"),
    columns=(
        _PID,
        Column("treatment_number", "integer", "Order of the treatment (1 = first)", unit="count",
               minimum=1, maximum=100, synonyms=("line", "treatment_line", "sequence"),
               label="Treatment number"),
        Column("treatment_type", "category", "Type of treatment",
               codes=("RT", "CCRT", "HAIC", "TACE", "TACI", "resection", "ablation", "transplant",
                      "systemic", "other"),
               synonyms=("treatment", "first_treatment", "modality", "tx_type", "tx",
                         "treatment_modality", "initial_treatment"),
               label="Treatment type"),
        Column("start_date", "date", "Start of the treatment (RT start, first cycle, operation)",
               synonyms=("treatment_date", "tx_date", "rt_start_date", "rt_start",
                         "treatment_start_date", "date_of_treatment"),
               label="Start of treatment"),
        Column("end_date", "date", "End of the treatment course",
               synonyms=("rt_end_date", "rt_end", "treatment_end_date"),
               label="End of treatment"),
        Column("intent", "category", "Treatment intent", codes=("curative", "palliative", "bridging",
                                                                 "other"),
               label="Treatment intent"),
        Column("rt_dose_gy", "number", "RT total dose", unit="Gy", minimum=0, maximum=150,
               synonyms=("total_dose", "dose_gy", "rt_dose", "total_dose_gy", "rt_total_dose_gy"),
               label="RT total dose, Gy"),
        Column("rt_fractions", "integer", "Number of RT fractions", unit="count", minimum=1,
               maximum=60, synonyms=("fractions", "fx", "n_fractions", "number_of_fractions"),
               label="RT fractions"),
        Column("rt_technique", "category", "RT technique",
               codes=("3DCRT", "IMRT", "VMAT", "SBRT", "proton", "carbon", "other"),
               synonyms=("technique",),
               label="RT technique"),
        Column("rt_target", "text", "RT target (e.g. primary, PVTT, primary+PVTT)",
               synonyms=("target", "rt_site"),
               label="RT target"),
        Column("haic_regimen", "text", "HAIC regimen (e.g. 5-FU + cisplatin, FOLFOX)",
               synonyms=("regimen", "chemotherapy_regimen"),
               label="HAIC regimen"),
        Column("haic_cycles", "integer", "HAIC cycles given", unit="cycles", minimum=0, maximum=50,
               synonyms=("cycles", "n_cycles"),
               label="HAIC cycles"),
        Column("drugs", "text", "Drug names, separated by ';' (e.g. atezolizumab;bevacizumab)",
               synonyms=("drug", "drug_names", "systemic_agent", "agents"),
               label="Drugs"),
    ),
)

LESIONS = TableSchema(
    "lesions", "One row per lesion per assessment (mRECIST / RECIST 1.1 measurements).",
    key=("patient_id", "lesion_id", "assessment_date"),
    synonyms=("lesion", "lesion_assessments", "tumours", "tumors", "response", "imaging"),
    columns=(
        _PID,
        Column("lesion_id", "text", "Lesion label, stable across assessments",
               synonyms=("lesion", "lesion_no"),
               label="Lesion"),
        Column("assessment_date", "date", "Imaging date", synonyms=("scan_date", "imaging_date"),
               label="Imaging date"),
        Column("timepoint", "text", "Visit label (baseline, 3m, ...)", synonyms=("visit",),
               label="Visit"),
        Column("target", "bool", f"Target lesion at baseline. {_YES_NO}",
               synonyms=("is_target", "target_lesion"),
               label="Target lesion"),
        Column("location", "text", "Liver segment or organ", synonyms=("segment", "organ"),
               label="Location"),
        Column("viable_diameter_mm", "number", "Longest viable (arterially enhancing) diameter",
               unit="mm", minimum=0, maximum=400, synonyms=("viable_diameter", "viable_mm"),
               label="Viable tumour diameter, mm"),
        Column("longest_diameter_mm", "number", "Longest overall diameter (RECIST 1.1)", unit="mm",
               minimum=0, maximum=400, synonyms=("longest_diameter", "diameter_mm"),
               label="Longest diameter, mm"),
        Column("new_lesion", "bool", f"New lesion at this assessment. {_YES_NO}",
               synonyms=("new",),
               label="New lesion"),
        Column("nontarget_response", "category", "Non-target lesion response",
               codes=("CR", "non_CR_non_PD", "PD", "NE"),
               label="Non-target response"),
    ),
)

LABS = TableSchema(
    "labs", "One row per laboratory value (long format: test, value, unit).",
    key=("patient_id", "test", "lab_date"),
    synonyms=("lab", "laboratory", "labs_over_time", "blood_tests"),
    columns=(
        _PID,
        Column("lab_date", "date", "Sample date", synonyms=("sample_date", "date"),
               label="Sample date"),
        Column("test", "category", "Test code",
               codes=("bilirubin", "albumin", "inr", "creatinine", "platelets", "afp", "pivka",
                      "alt", "ast", "alp", "ggt", "hemoglobin", "wbc", "anc", "alc"),
               synonyms=("lab_test", "analyte", "parameter"),
               label="Laboratory test"),
        Column("value", "number", "Result in the unit given in 'unit'", synonyms=("result",),
               label="Value"),
        Column("unit", "text", "Unit of 'value' as reported", synonyms=("units",),
               label="Unit"),
    ),
)

EVENTS = TableSchema(
    "events", "One row per progression or recurrence (death and last follow-up live in patients).",
    key=("patient_id", "event_type", "event_date"),
    synonyms=("event", "outcomes", "follow_up", "followup", "progression"),
    columns=(
        _PID,
        Column("event_type", "category", "Event",
               codes=("progression", "recurrence", "death", "last_followup"),
               synonyms=("event",),
               label="Event"),
        Column("event_date", "date", "Date of the event",
               label="Date of event"),
        Column("site", "category", "Site of progression or recurrence",
               codes=("local", "intrahepatic", "extrahepatic", "intra_and_extrahepatic"),
               synonyms=("progression_site", "recurrence_site", "failure_site"),
               label="Site of progression or recurrence"),
        Column("rt_field_position", "category", "Position relative to the RT field",
               codes=("in_field", "marginal", "out_of_field", "not_applicable"),
               synonyms=("rt_field", "field_position"),
               label="Position to the RT field"),
    ),
)

ADVERSE_EVENTS = TableSchema(
    "adverse_events", "One row per adverse event.",
    key=("patient_id", "term", "onset_date"),
    synonyms=("ae", "aes", "adverse_event", "toxicity", "toxicities"),
    columns=(
        _PID,
        Column("term", "text", "CTCAE term (e.g. 'Platelet count decreased')",
               synonyms=("ae_term", "adverse_event", "toxicity"),
               label="Adverse event"),
        Column("grade", "integer", "CTCAE grade", unit="grade", minimum=1, maximum=5,
               synonyms=("ctcae_grade", "ae_grade"),
               label="CTCAE grade"),
        Column("onset_date", "date", "Onset date", synonyms=("ae_date", "date_of_onset"),
               label="Onset date"),
        Column("ctcae_version", "category", "CTCAE version", codes=("4.03", "5.0"),
               label="CTCAE version"),
    ),
)

TABLES: dict[str, TableSchema] = {
    t.name: t for t in (PATIENTS, BASELINE, TREATMENTS, LESIONS, LABS, EVENTS, ADVERSE_EVENTS)
}
"""All canonical tables by name, in dependency order (patients first)."""

WIDE_EVENT_COLUMNS: dict[str, tuple[str, str]] = {
    "progression_date": ("progression", "event_date"),
    "progression_site": ("progression", "site"),
    "progression_rt_field": ("progression", "rt_field_position"),
    "recurrence_date": ("recurrence", "event_date"),
    "recurrence_site": ("recurrence", "site"),
}
"""Columns of a one-row-per-patient sheet that become ``events`` rows: name -> (event_type, column)."""

UNIT_CONVERSIONS: dict[str, dict[str, float]] = {
    "bilirubin": {"mg/dL": 1.0, "umol/L": 1 / 17.1},
    "albumin": {"g/dL": 1.0, "g/L": 0.1},
    "creatinine": {"mg/dL": 1.0, "umol/L": 1 / 88.4},
    "platelets": {"10^9/L": 1.0, "10^3/uL": 1.0, "/uL": 0.001, "/mm3": 0.001, "10^4/uL": 10.0},
    "afp": {"ng/mL": 1.0, "ug/L": 1.0, "IU/mL": 1.21},
    "pivka": {"mAU/mL": 1.0},
    "inr": {"ratio": 1.0},
    "tumour_size_cm": {"cm": 1.0, "mm": 0.1},
    "viable_diameter_mm": {"mm": 1.0, "cm": 10.0},
    "longest_diameter_mm": {"mm": 1.0, "cm": 10.0},
    "rt_dose_gy": {"Gy": 1.0, "cGy": 0.01},
    "hemoglobin": {"g/dL": 1.0, "g/L": 0.1},
}
"""Accepted units per variable and the factor that converts a value to the canonical unit
(clinical reference §0 and §12: bilirubin umol/L = mg/dL x 17.1, albumin g/L = g/dL x 10,
AFP ng/mL = IU/mL x 1.21, Japanese platelets 10^4/uL x 10 = 10^9/L)."""

ANALYSIS_REQUIREMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "overall_survival": {"patients": ("patient_id", "last_followup_date"),
                         "treatments": ("start_date",)},
    "child_pugh": {"baseline": ("bilirubin", "albumin", "inr", "ascites", "encephalopathy")},
    "albi": {"baseline": ("bilirubin", "albumin")},
    "bclc": {"baseline": ("child_pugh_class", "ecog", "tumour_number", "tumour_size_cm", "pvi",
                          "metastasis")},
    "mrecist": {"lesions": ("lesion_id", "assessment_date", "target", "viable_diameter_mm")},
    "rt_dose": {"treatments": ("treatment_type", "rt_dose_gy", "rt_fractions")},
    "toxicity": {"adverse_events": ("term", "grade")},
    "progression": {"events": ("event_type", "event_date")},
}
"""Fields each analysis needs (table -> columns); a missing column or value is an error."""


_UNIT_ALIASES = {
    "mg/dl": "mg/dL", "umol/l": "umol/L", "µmol/l": "umol/L", "micromol/l": "umol/L",
    "g/dl": "g/dL", "g/l": "g/L", "10^9/l": "10^9/L", "x10^9/l": "10^9/L", "10e9/l": "10^9/L",
    "10^3/ul": "10^3/uL", "x10^3/ul": "10^3/uL", "10^3/µl": "10^3/uL", "k/ul": "10^3/uL",
    "/ul": "/uL", "/µl": "/uL", "/mm3": "/mm3", "10^4/ul": "10^4/uL", "x10^4/ul": "10^4/uL",
    "ng/ml": "ng/mL", "ug/l": "ug/L", "µg/l": "ug/L", "iu/ml": "IU/mL", "kiu/l": "IU/mL",
    "mau/ml": "mAU/mL", "cm": "cm", "mm": "mm", "gy": "Gy", "cgy": "cGy", "ratio": "ratio",
}


def canonical_unit(text: str) -> str | None:
    """Spell a unit as :data:`UNIT_CONVERSIONS` does (None when unknown).

    Examples
    --------
    >>> canonical_unit("µmol/l")
    'umol/L'
    """
    key = str(text).strip().lower().replace(" ", "").replace("μ", "µ")
    return _UNIT_ALIASES.get(key)


def convert_factor(variable: str, unit: str) -> float | None:
    """Factor converting ``variable`` from ``unit`` to its canonical unit (None if unknown).

    Examples
    --------
    >>> convert_factor("albumin", "g/L")
    0.1
    >>> convert_factor("albumin", "furlongs") is None
    True
    """
    spelled = canonical_unit(unit) or unit
    return UNIT_CONVERSIONS.get(variable, {}).get(spelled)


def column_labels() -> dict[str, str]:
    """Column name -> manuscript label of every declared column (identifiers left out).

    A name declared in several tables takes the label of the first (``patients`` first).

    Examples
    --------
    >>> labels = column_labels()
    >>> labels["age_years"], labels["bclc_stage"], "hospital_number" in labels
    ('Age, years', 'BCLC stage', False)
    """
    out: dict[str, str] = {}
    for t in TABLES.values():
        for c in t.columns:
            if not c.identifier and c.name != "patient_id":
                out.setdefault(c.name, c.label)
    return out


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown (the body of ``docs/data-dictionary.md``).

    Examples
    --------
    >>> data_dictionary_markdown().splitlines()[0]
    '## patients'
    """
    out: list[str] = []
    for t in TABLES.values():
        out.append(f"## {t.name}")
        out.append("")
        out.append(f"{t.description} Record key: {', '.join(f'`{k}`' for k in t.key)}.")
        out.append("")
        out.append("| Column | Label | Type | Unit | Range / codes | Required | Description |")
        out.append("|---|---|---|---|---|---|---|")
        for c in t.columns:
            if c.codes:
                allowed = ", ".join(f"`{x}`" for x in c.codes)
            elif c.minimum is not None or c.maximum is not None:
                allowed = f"{_fmt(c.minimum)} to {_fmt(c.maximum)}"
            else:
                allowed = ""
            flags = "yes" if c.required else ""
            desc = c.description + (" **Identifier.**" if c.identifier else "")
            label = c.label.replace("|", "\\|")
            out.append(f"| `{c.name}` | {label} | {c.kind} | {c.unit or ''} | {allowed} | {flags} "
                       f"| {desc} |")
        out.append("")
    return "\n".join(out)


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"
