"""Seed 004: RT + immunotherapy + targeted therapy vs immunotherapy + targeted therapy.

Calibrated to ``/work/shared/studies/seed-004.md`` (Front Oncol 2025). 71 patients (IO+T 42,
RT+IO+T 29) with the Table 1 counts per arm exactly; the arms differ where the paper's
do (BCLC, ECOG, treatment line), which is the covariate-dependent treatment selection the
PSM sensitivity analysis has to undo. Planted (conditional) effects:

* PFS (progression or death, from IO+T start): RT vs IO+T HR 0.47 in ECOG 1-2 and 0.11 in
  ECOG 0 (the card's subgroup HRs; their patient-weighted log-average is the published
  0.35), ECOG 1-2 vs 0 HR 1.0 in the IO+T arm, second line vs first 0.72;
* OS: RT HR 0.71 (ECOG 1-2) and 0.07 (ECOG 0), BCLC C vs B 3.85, diameter >= 10 cm 1.58,
  extrahepatic metastasis 0.96, second line 0.69, ECOG 1-2 vs 0 1.0 in IO+T.

Response at 3 months (mRECIST lesion measurements) and adverse events (any grade and
grade 3-4 per term, and the all-AE rows) have the Table 3 / Table 4 counts exactly;
response is assigned by rank of the PFS time (earlier progression -> PD).

Examples
--------
>>> c = seed004(seed=1)
>>> c.tables["patients"]["arm"].value_counts().to_dict()
{'IO_T': 42, 'RT_IO_T': 29}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hccstudy.synthetic._common import (
    SyntheticCohort,
    add_months,
    assign_by_score,
    canonical,
    censor,
    exact_levels,
    months_between,
    patient_ids,
    piecewise_ph_times,
    random_dates,
    response_lesions,
    select_exact,
)

__all__ = ["AE_TABLE", "PLANTED", "RT_SCHEDULES", "seed004"]

PLANTED: dict[str, float] = {
    "hr_rt_pfs_ecog_ge1": 0.47, "hr_rt_pfs_ecog0": 0.11, "hr_ecog_ge1_pfs": 1.0,
    "hr_second_line_pfs": 0.72,
    "hr_rt_os_ecog_ge1": 0.71, "hr_rt_os_ecog0": 0.07, "hr_ecog_ge1_os": 1.0,
    "hr_bclc_c_os": 3.85, "hr_diam_ge10_os": 1.58, "hr_ehm_os": 0.96, "hr_second_line_os": 0.69,
}
"""Planted conditional hazard ratios (see the module docstring)."""

# Table 4: term -> (IO+T any, IO+T grade 3-4, RT any, RT grade 3-4)
AE_TABLE: dict[str, tuple[int, int, int, int]] = {
    "Anorexia": (23, 0, 17, 0), "Nausea": (4, 0, 6, 0), "Vomiting": (1, 0, 1, 0),
    "Fever": (3, 0, 6, 0), "Fatigue": (19, 0, 15, 0), "ALT elevation": (8, 0, 15, 0),
    "AST elevation": (15, 1, 22, 2), "Thrombocytopenia": (13, 1, 22, 7),
    "Leukopenia": (8, 0, 18, 2), "Anaemia": (9, 3, 12, 6), "Hypertension": (1, 0, 2, 0),
    "Infection": (8, 0, 5, 0), "Hypothyroidism": (9, 0, 4, 0),
    "Creatinine elevation": (3, 0, 3, 0), "Lymphopenia": (22, 8, 28, 18),
    "GI ulcer": (2, 0, 6, 0), "Variceal bleeding": (3, 0, 4, 0), "Rash": (9, 2, 4, 0),
}
"""Adverse events per arm (any grade, grade 3-4), Table 4 of the paper."""
AE_ANY = {"IO_T": (40, 12), "RT_IO_T": (29, 18)}
"""Patients with any AE and with any grade 3-4 AE per arm (the 'All adverse events' row)."""

RT_SCHEDULES: tuple[tuple[str, float, int, int], ...] = (
    ("IMRT", 50.0, 20, 3), ("IMRT", 45.0, 20, 1), ("IMRT", 50.0, 25, 4), ("IMRT", 60.0, 30, 3), ("IMRT", 36.0, 18, 1),
    ("IMRT", 56.0, 28, 2), ("IMRT", 44.0, 20, 3), ("IMRT", 54.0, 27, 2), ("IMRT", 40.0, 20, 1),
    ("SBRT", 40.0, 8, 2), ("SBRT", 36.0, 6, 1), ("SBRT", 60.0, 10, 1), ("SBRT", 48.0, 8, 2),
    ("SBRT", 40.0, 10, 2), ("SBRT", 50.0, 10, 1),
)
"""(technique, total dose Gy, fractions, patients): 20 IMRT + 9 SBRT giving the Table 2
medians (dose 50, fractions 20, BED10 60) and ranges (36-60 Gy, 6-30, BED10 43.2-96)."""

_PFS_BREAKS, _PFS_HAZ = (0.0, 6.0), (0.10, 0.06)
_OS_BREAKS, _OS_HAZ = (0.0, 6.0, 10.9), (0.016, 0.030, 0.045)
_CUTOFF = "2025-04-30"


def _arm_covariates(rng: np.random.Generator, n: int, c: dict[str, int]) -> dict[str, Any]:
    """Covariates of one arm with exact Table 1 counts and realistic correlations."""
    bclc_b = select_exact(rng, np.zeros(n), c["bclc_b"])
    not_b = np.where(bclc_b, -np.inf, 0.0)
    pvi = select_exact(rng, not_b, c["pvi"])
    ehm = select_exact(rng, not_b + 0.5 * pvi, c["ehm"])
    diam10 = select_exact(rng, 1.0 * pvi - 0.5 * bclc_b, c["diam10"])
    afp400 = select_exact(rng, 0.8 * pvi + 0.5 * diam10, c["afp400"])
    ecog0 = select_exact(rng, 0.8 * bclc_b - 0.3 * ehm, c["ecog0"])
    cp_b = select_exact(rng, 0.3 * pvi, c["cp_b"])
    prev = np.full(n, "none", dtype=object)
    prev[:] = assign_by_score(rng, np.zeros(n), {"none": c["prev_none"], "TACE": c["prev_tace"],
                                                  "HAIC": c["prev_haic"]}, noise=1.0)
    second = select_exact(rng, 2.5 * (prev != "none"), c["second"])
    age60 = select_exact(rng, np.zeros(n), c["age60"])
    female = select_exact(rng, np.zeros(n), c["female"])
    hbv = select_exact(rng, np.zeros(n), c["hbv"])
    ecog = np.where(ecog0, 0, np.where(rng.random(n) < 0.85, 1, 2))
    age = np.where(age60, rng.integers(60, 79, n), rng.integers(33, 60, n))
    diam = np.where(diam10, np.round(rng.uniform(10.0, 18.0, n), 1),
                    np.round(rng.uniform(2.5, 9.9, n), 1))
    afp = np.where(afp400, np.round(np.exp(rng.uniform(np.log(400), np.log(60000), n)), 1),
                   np.round(np.exp(rng.uniform(np.log(2.0), np.log(399.0), n)), 1))
    return {"bclc": np.where(bclc_b, "B", "C"), "pvi": pvi, "ehm": ehm, "diam": diam,
            "afp": afp, "ecog": ecog, "cp": np.where(cp_b, "B", "A"), "prev": prev,
            "second": second, "age": age.astype(float),
            "sex": np.where(female, "female", "male"),
            "etiology": np.where(hbv, "HBV", rng.choice(np.array(["HCV", "alcohol", "other"]),
                                                        size=n))}


def _adverse_events(rng: np.random.Generator, pids: np.ndarray, arm: np.ndarray,
                    start: np.ndarray) -> pd.DataFrame:
    rows: list[pd.DataFrame] = []
    for a, col in (("IO_T", 0), ("RT_IO_T", 2)):
        idx = np.flatnonzero(arm == a)
        n = len(idx)
        n_any, n_sev = AE_ANY[a]
        has_any = select_exact(rng, np.zeros(n), n_any)
        has_sev = select_exact(rng, np.where(has_any, 0.0, -np.inf), n_sev)
        covered_any = np.zeros(n, dtype=bool)
        covered_sev = np.zeros(n, dtype=bool)
        # terms with grade 3-4 first, largest first, so the severe set is covered exactly
        terms = sorted(AE_TABLE, key=lambda t: (-AE_TABLE[t][col + 1], -AE_TABLE[t][col]))
        for term in terms:
            k_any, k_sev = AE_TABLE[term][col], AE_TABLE[term][col + 1]
            sev = select_exact(rng, np.where(has_sev, 20.0 * ~covered_sev, -np.inf), k_sev)
            rest = select_exact(rng, np.where(has_any & ~sev, 20.0 * ~covered_any, -np.inf),
                                k_any - k_sev)
            covered_sev |= sev
            covered_any |= sev | rest
            who = np.flatnonzero(sev | rest)
            grade = np.where(sev[who], rng.choice([3, 4], size=len(who), p=[0.85, 0.15]),
                             rng.choice([1, 2], size=len(who), p=[0.6, 0.4]))
            onset = start[idx[who]] + rng.integers(7, 90, len(who)).astype("timedelta64[D]")
            rows.append(pd.DataFrame({"patient_id": pids[idx[who]], "term": term,
                                      "grade": grade, "onset_date": onset,
                                      "ctcae_version": "4.03"}))
        if not (covered_any == has_any).all() or not (covered_sev == has_sev).all():
            raise AssertionError("AE construction did not cover the any/severe sets")  # pragma: no cover
    return canonical("adverse_events", pd.concat(rows, ignore_index=True))


def seed004(seed: int = 0) -> SyntheticCohort:
    """Synthetic seed-004 cohort: 42 IO+T and 29 RT+IO+T patients.

    Parameters
    ----------
    seed : int
        Seed of the NumPy generator; the same seed gives identical tables.

    Returns
    -------
    SyntheticCohort
        Tables ``patients`` (with the study-specific ``arm``, ``treatment_line``,
        ``prev_locoregional`` and, for the RT arm, the RT course: ``rt_site``,
        ``rt_extra_sites``, ``rt_course_technique``, ``rt_course_dose_gy``,
        ``rt_course_fractions``), ``baseline``, ``treatments`` (1: IO+T; 2: RT),
        ``lesions`` (mRECIST, baseline and 3 months), ``events`` (progression) and
        ``adverse_events``.

    Examples
    --------
    >>> c = seed004(seed=2)
    >>> len(c.tables["patients"]), int(c.truth["n_rt"])
    (71, 29)
    """
    rng = np.random.default_rng(seed)
    io = _arm_covariates(rng, 42, {"bclc_b": 12, "pvi": 20, "ehm": 16, "diam10": 11,
                                   "afp400": 21, "ecog0": 5, "cp_b": 10, "prev_none": 27,
                                   "prev_tace": 8, "prev_haic": 7, "second": 10, "age60": 21,
                                   "female": 5, "hbv": 34})
    rt = _arm_covariates(rng, 29, {"bclc_b": 1, "pvi": 20, "ehm": 10, "diam10": 5,
                                   "afp400": 10, "ecog0": 9, "cp_b": 4, "prev_none": 14,
                                   "prev_tace": 12, "prev_haic": 3, "second": 19, "age60": 15,
                                   "female": 7, "hbv": 23})
    d = {k: np.concatenate([np.asarray(io[k]), np.asarray(rt[k])]) for k in io}
    n = 71
    is_rt = np.arange(n) >= 42
    arm = np.where(is_rt, "RT_IO_T", "IO_T")
    pid = patient_ids("S4", n)
    # accrual Feb 2020 - Jan 2025 (3-month response assessable before the 30 Apr 2025 cut-off)
    start = random_dates(rng, "2020-02-01", "2025-01-31", n)
    ecog_ge1 = d["ecog"] >= 1

    # ------------------------------------------------------------ event times
    P = PLANTED
    lp_pfs = (is_rt * np.where(ecog_ge1, np.log(P["hr_rt_pfs_ecog_ge1"]),
                               np.log(P["hr_rt_pfs_ecog0"]))
              + np.log(P["hr_ecog_ge1_pfs"]) * ecog_ge1
              + np.log(P["hr_second_line_pfs"]) * d["second"])
    lp_os = (is_rt * np.where(ecog_ge1, np.log(P["hr_rt_os_ecog_ge1"]),
                              np.log(P["hr_rt_os_ecog0"]))
             + np.log(P["hr_ecog_ge1_os"]) * ecog_ge1
             + np.log(P["hr_bclc_c_os"]) * (d["bclc"] == "C")
             + np.log(P["hr_diam_ge10_os"]) * (d["diam"] >= 10)
             + np.log(P["hr_ehm_os"]) * d["ehm"]
             + np.log(P["hr_second_line_os"]) * d["second"])
    # RT starts 2-3 weeks after IO+T: RT patients are alive and progression-free by then
    # (drawn conditionally on surviving 1.0 month, progression-free 0.8 month)
    t_prog = piecewise_ph_times(rng, lp_pfs, _PFS_BREAKS, _PFS_HAZ,
                                entry=np.where(is_rt, 0.8, 0.0))
    t_death = piecewise_ph_times(rng, lp_os, _OS_BREAKS, _OS_HAZ,
                                 entry=np.where(is_rt, 1.0, 0.0))
    admin = months_between(start, np.full(n, np.datetime64(_CUTOFF)))
    loss = rng.exponential(300.0, n)
    fu = np.minimum(admin, loss)
    # a death is preceded by documented progression (imaging every two cycles)
    t_prog = np.minimum(t_prog, np.maximum(t_death - rng.uniform(0.1, 1.0, n), 0.5 * t_death))
    t_os, died = censor(t_death, fu)
    t_pfs, progressed = censor(t_prog, fu)
    fu_date = add_months(start, t_os)
    death_date = np.where(died, fu_date, np.datetime64("NaT"))
    prog_date = add_months(start, t_pfs)

    # ------------------------------------------------------------ RT course
    sched = [s for s in RT_SCHEDULES for _ in range(s[3])]
    order = rng.permutation(29)
    tech = np.array([sched[k][0] for k in order], dtype=object)
    dose = np.array([sched[k][1] for k in order])
    fx = np.array([sched[k][2] for k in order])
    rt_idx = np.flatnonzero(is_rt)
    pvi_rt = d["pvi"][rt_idx]
    site = np.where(select_exact(rng, 1.5 * pvi_rt, 11), "pvtt_hvtt", "liver_lesion")
    extra = np.full(29, "none", dtype=object)
    ehm_rt = np.flatnonzero(d["ehm"][rt_idx])
    chosen = rng.permutation(ehm_rt)[:6]
    extra[chosen] = exact_levels(rng, {"lung": 1, "lymph_node": 3, "bone": 2})
    rt_start = start[rt_idx] + rng.integers(14, 22, 29).astype("timedelta64[D]")

    def rt_col(values: np.ndarray, fill: Any = None) -> np.ndarray:
        out = np.full(n, fill, dtype=object)
        out[rt_idx] = values
        return out

    # ------------------------------------------------------------ response (Table 3)
    category = np.empty(n, dtype=object)
    for m, counts in ((~is_rt, {"PD": 18, "SD": 9, "PR": 15}),
                      (is_rt, {"PD": 3, "SD": 6, "PR": 20})):
        idx = np.flatnonzero(m)
        category[idx] = assign_by_score(rng, np.log(t_prog[idx]), counts, noise=0.7)
    assess = add_months(start, np.full(n, 3.0))
    lesions = response_lesions(rng, pid, start - np.full(n, 10).astype("timedelta64[D]"),
                               assess, category, np.minimum(d["diam"] * 10.0, 180.0))

    # ------------------------------------------------------------ tables
    drugs_ici = rng.choice(np.array(["camrelizumab", "tislelizumab", "sintilimab",
                                     "atezolizumab"]), size=n, p=[0.4, 0.25, 0.25, 0.1])
    drugs_t = np.where(drugs_ici == "atezolizumab", "bevacizumab",
                       rng.choice(np.array(["lenvatinib", "apatinib", "donafenib", "anlotinib",
                                            "regorafenib"]), size=n,
                                  p=[0.5, 0.2, 0.15, 0.1, 0.05]))
    patients = canonical("patients", pd.DataFrame({
        "patient_id": pid, "sex": d["sex"], "age_years": d["age"], "etiology": d["etiology"],
        "diagnosis_date": start - rng.integers(10, 400, n).astype("timedelta64[D]"),
        "diagnosis_method": rng.choice(np.array(["imaging", "pathology"]), size=n,
                                       p=[0.7, 0.3]),
        "death_date": death_date, "last_followup_date": fu_date,
        "arm": arm,
        "treatment_line": np.where(d["second"], "second_line_plus", "first_line"),
        "prev_locoregional": d["prev"],
        "rt_site": rt_col(site, "none"), "rt_extra_sites": rt_col(extra, "none"),
        "rt_course_technique": rt_col(tech, "none"), "rt_course_dose_gy": rt_col(dose, np.nan),
        "rt_course_fractions": rt_col(fx, np.nan),
    }))
    for c in ("rt_course_dose_gy", "rt_course_fractions"):
        patients[c] = patients[c].astype(float)
    baseline = canonical("baseline", pd.DataFrame({
        "patient_id": pid, "assessment_date": start - np.full(n, 10).astype("timedelta64[D]"),
        "child_pugh_class": d["cp"], "tumour_size_cm": d["diam"], "pvi": d["pvi"],
        "metastasis": d["ehm"], "ecog": d["ecog"], "afp": d["afp"], "bclc_stage": d["bclc"],
    }))
    tx1 = pd.DataFrame({"patient_id": pid, "treatment_number": 1, "treatment_type": "systemic",
                        "start_date": start, "intent": "palliative",
                        "drugs": [f"{a};{b}" for a, b in zip(drugs_ici, drugs_t, strict=True)]})
    tx2 = pd.DataFrame({"patient_id": pid[rt_idx], "treatment_number": 2,
                        "treatment_type": "RT", "start_date": rt_start,
                        "end_date": rt_start + np.rint(fx * 1.4).astype(int)
                        .astype("timedelta64[D]"),
                        "intent": "palliative", "rt_dose_gy": dose, "rt_fractions": fx,
                        "rt_technique": tech,
                        "rt_target": np.where(site == "pvtt_hvtt", "PVTT", "primary")})
    treatments = canonical("treatments", pd.concat([tx1, tx2], ignore_index=True))
    pr = np.flatnonzero(progressed)
    extrahep = rng.random(len(pr)) < np.where(d["ehm"][pr], 0.5, 0.2)
    events = canonical("events", pd.DataFrame({
        "patient_id": pid[pr], "event_type": "progression", "event_date": prog_date[pr],
        "site": np.where(extrahep, "extrahepatic", "intrahepatic"),
        "rt_field_position": np.where(is_rt[pr], np.where(extrahep, "out_of_field",
                                                          "in_field"), "not_applicable"),
    }))
    adverse = _adverse_events(rng, pid, arm, start)
    tables = {"patients": patients, "baseline": baseline, "treatments": treatments,
              "lesions": lesions, "events": events, "adverse_events": adverse}
    truth: dict[str, float] = {k: float(v) for k, v in PLANTED.items()}
    truth.update({f"log{k}": float(np.log(v)) for k, v in PLANTED.items()})
    truth.update({
        "published_hr_rt_pfs_univariate": 0.35, "published_hr_rt_pfs_adjusted": 0.39,
        "published_hr_rt_os_univariate": 0.43, "published_hr_rt_os_adjusted": 0.44,
        "published_median_pfs_rt": 12.6, "published_median_pfs_io": 4.6,
        "published_median_os_rt": 17.8, "published_median_os_io": 10.9,
        "published_hr_rt_pfs_psm": 0.43,
        "n_io": 42.0, "n_rt": 29.0, "n_pr_io": 15.0, "n_pr_rt": 20.0, "n_pd_io": 18.0,
        "n_pd_rt": 3.0,
    })
    extras: dict[str, dict[str, str]] = {"patients": {
        "arm": "category", "treatment_line": "category", "prev_locoregional": "category",
        "rt_site": "category", "rt_extra_sites": "category", "rt_course_technique": "category",
        "rt_course_dose_gy": "number", "rt_course_fractions": "integer"}}
    notes = (
        "ECOG x RT interaction planted (ECOG 0: PFS 0.11, OS 0.07; ECOG 1-2: 0.47, 0.71)",
        "deaths are preceded by documented progression, so PFS = time to progression",
        "RT course duplicated on the patient row (rt_course_*) because the study frame "
        "carries only the first treatment (IO+T)",
        "accrual Feb 2020 - Jan 2025 so every 3-month response is assessable",
    )
    return SyntheticCohort("seed-004", tables, truth, extras, notes)
