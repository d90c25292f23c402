"""Synthetic cohort of seed 001: patterns of failure after hepatic arterial CCRT (n = 138).

Single-arm case series (study card ``seed-001.md``). What is planted:

* **Table 1 marginals exactly** (age < 50 37, male 120, HBV/HCV/NBNC 116/9/13, Child-Pugh
  A/B 125/13, mUICC cells T2N0 20 / T3N0 65 / T4N0 41 / T2N1 1 / T3N1 10 / T4N1 1, PVT 77,
  recurrence-treatment group 34, RT technique 113/25, the joint AFP x PIVKA-II table of the
  card with the 3 missing PIVKA-II values in AFP < 200 patients) with the clinical
  correlations of mUICC staging (T4 = multiple tumours with vascular invasion, T3 = one of
  them, T2 = single large tumour without invasion; PVT in every T4 and 35 T3 patients) and
  PIVKA-II at its reporting cap of 2000 mostly in the primary-treatment group.
* **Failure processes** (in-field, intrahepatic out-of-field, extrahepatic) from a
  proportional-hazards model per type with the published multivariable HRs of Table 3b
  (age >= 50, stage III-IV, PVT, recurrence group, AFP >= 200, PIVKA-II >= 60 and the
  both-high product term entered together), a piecewise baseline hazard reproducing the
  3-month crude failure proportions and the 1-year type-specific KM rates, and a Gaussian
  copula between the three types (combined failures). Deaths censor failures (DQ-1).
* **OS from the end of RT**: piecewise hazard 0.052 / 0.066 / 0.042 per month (0-3, 3-12,
  12-24 months) and a long-term tail, with assumed (unpublished) HRs for Child-Pugh B,
  stage III-IV and both markers high; loss to follow-up and a data cut-off.
* **Response at 3 months** (mRECIST, target lesions only, DQ-6): PD for patients with an
  in-field failure by then, CR/PR/SD among the others in the published proportions.
* **Toxicity** (CTCAE grades during CCRT and 3 months): grade 3 and grade 4 counts of
  Table 4 exactly; grade 1-2 events assumed.

Examples
--------
>>> c = seed001(seed=1)
>>> len(c.tables["patients"]), c.study
(138, 'seed-001')
>>> round(c.truth["infield_recurrence_group_hr"], 2)
2.19
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from hccstudy.synthetic._common import (
    DAYS_PER_MONTH,
    SyntheticCohort,
    add_months,
    assign_by_score,
    canonical,
    exact_levels,
    months_between,
    patient_ids,
    random_dates,
    response_lesions,
    select_exact,
)

__all__ = ["FAILURE_HR", "seed001"]

N = 138
COVARIATES = ("age_ge50", "stage_34", "pvt", "recurrence_group", "afp_ge200", "pivka_ge60",
              "markers_both")
"""Covariates of Table 3b, in its order."""

FAILURE_HR: dict[str, tuple[float, ...]] = {
    "infield": (0.742, 1.036, 1.386, 2.190, 0.444, 0.742, 2.511),
    "outfield": (0.853, 0.878, 1.267, 1.198, 1.045, 1.422, 1.740),
    "extrahepatic": (0.680, 1.869, 0.669, 0.858, 0.242, 0.602, 6.949),
}
"""Planted multivariable hazard ratios per failure type (Table 3b, in COVARIATES order)."""

# baseline hazards per month on [0, 3), [3, 12), [12, inf): the 3-month crude proportions
# (12, 26, 27 of 138) and the 1-year KM rates (72.2, 62.1, 56.6 %) of the card
_FAIL_BREAKS = (0.0, 3.0, 12.0)
_FAIL_HAZ = {"infield": (0.035, 0.027, 0.040), "outfield": (0.080, 0.031, 0.034),
             "extrahepatic": (0.082, 0.041, 0.020)}
_PUBLISHED_S12 = {"infield": 0.722, "outfield": 0.621, "extrahepatic": 0.566}
_PUBLISHED_MEDIAN = {"infield": 22.4, "outfield": 18.0, "extrahepatic": 21.5}
_COPULA_RHO = 0.55
"""Correlation of the Gaussian copula between the three failure types in the first 3 months
(combined failures at the first imaging); later failures are independent across types."""

_OS_BREAKS = (0.0, 3.0, 12.0, 24.0)
_OS_HAZ = (0.055, 0.070, 0.045, 0.022)
_OS_HR = {"child_pugh_b": 2.0, "stage_34": 1.5, "markers_both": 1.3}
"""Assumed OS hazard ratios (the paper names these factors significant but prints no HR)."""
_CUTOFF = "2011-01-31"
_LOSS_RATE = 0.002
"""Loss to follow-up per month (gives the 2 patients of unknown status and shorter
survivor follow-up than the cut-off alone)."""

_TOX = {  # CTCAE term: (grade 3, grade 4, assumed grade 1-2 proportion, latent factor)
    "Neutrophil count decreased": (14, 3, 0.35, "marrow"),
    "Anemia": (2, 3, 0.45, "marrow"),
    "Platelet count decreased": (21, 2, 0.40, "marrow"),
    "Aspartate aminotransferase increased": (19, 8, 0.40, "liver"),
    "Alanine aminotransferase increased": (11, 2, 0.35, "liver"),
    "Blood bilirubin increased": (5, 11, 0.25, "liver"),
    "Gastric ulcer": (5, 0, 0.08, "gi"),
}
"""Table 4 grade 3 / grade 4 counts (exact) and the assumed grade 1-2 share."""

_RESPONSE_P = {"CR": 4 / 126, "PR": 77 / 126, "SD": 45 / 126}
"""mRECIST category among patients without in-field failure by 3 months (Table 2)."""


def _pw_inverse(target: np.ndarray, breaks: tuple[float, ...],
                hazards: tuple[float, ...]) -> np.ndarray:
    """Time at which a piecewise-constant cumulative hazard reaches ``target``."""
    br = np.asarray(breaks, dtype=float)
    hz = np.asarray(hazards, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(hz[:-1] * np.diff(br))])
    j = np.searchsorted(cum, target, side="right") - 1
    return br[j] + (target - cum[j]) / hz[j]


def _pw_cumhaz(t: float, breaks: tuple[float, ...], hazards: tuple[float, ...]) -> float:
    br = np.asarray(breaks, dtype=float)
    hz = np.asarray(hazards, dtype=float)
    ends = np.append(br[1:], np.inf)
    return float(np.sum(hz * np.clip(np.minimum(ends, t) - br, 0.0, None)))


def _baseline(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Patient characteristics with the exact Table 1 marginals."""
    recurrence = exact_levels(rng, {True: 34, False: 104}).astype(bool)
    cells = exact_levels(rng, {"T2N0": 20, "T3N0": 65, "T4N0": 41, "T2N1": 1, "T3N1": 10,
                               "T4N1": 1})
    t = np.array([c[:2] for c in cells])
    n1 = np.array([c[2:] == "N1" for c in cells])
    pvt = t == "T4"
    t3 = np.flatnonzero(t == "T3")
    pvt[t3[select_exact(rng, np.zeros(len(t3)), 35)]] = True
    stage = np.where(n1 | (t == "T4"), "IVA", np.where(t == "T3", "III", "II"))
    # child-Pugh B more frequent with advanced stage
    cp = assign_by_score(rng, -(pvt.astype(float) + 0.5 * (t == "T4")),
                         {"B": 13, "A": 125}, noise=1.5)
    age_lt50 = exact_levels(rng, {True: 37, False: 101}).astype(bool)
    age = np.where(age_lt50, rng.integers(33, 50, N),
                   np.floor(50 + 30 * rng.beta(1.3, 3.0, N)).clip(50, 79))
    age[np.flatnonzero(age_lt50)[0]] = 33
    age[np.flatnonzero(~age_lt50)[0]] = 79
    sex = exact_levels(rng, {"male": 120, "female": 18})
    etiology = exact_levels(rng, {"HBV": 116, "HCV": 9, "NBNC": 13})
    # AFP x PIVKA-II joint table (card section 8, m = 0); PIVKA-II at the cap mostly primary
    markers = exact_levels(rng, {"both": 67, "afp_only": 11, "pivka_only": 51, "neither": 6,
                                 "afp_low_pivka_missing": 3})
    afp_high = np.isin(markers, ["both", "afp_only"])
    pivka_high = np.isin(markers, ["both", "pivka_only"])
    pivka_missing = markers == "afp_low_pivka_missing"
    afp_iu = np.where(afp_high, 10 ** (np.log10(205.0) + 2.65 * rng.beta(1.8, 2.2, N)),
                      10 ** (2.29 * rng.random(N)))
    afp_iu = np.round(afp_iu, 1).clip(1.0, 88336.5)
    high_idx = np.flatnonzero(pivka_high)
    capped = np.zeros(N, dtype=bool)
    capped[high_idx[select_exact(rng, np.where(recurrence[high_idx], -1.5, 1.0), 58)]] = True
    pivka = np.where(pivka_high, 60.0 * (2000.0 / 60.0) ** rng.beta(2.5, 1.0, N),
                     10.0 + 49.0 * rng.random(N))
    pivka = np.where(capped, 2000.0, np.minimum(np.round(pivka, 0), 1999.0))
    pivka = np.where(pivka_missing, np.nan, pivka)
    size = np.where(t == "T2", rng.normal(10.0, 1.5, N), np.exp(rng.normal(np.log(8.0), 0.35, N)))
    number = np.where((t == "T2") | ((t == "T3") & pvt), 1,
                      rng.integers(2, 5, N))
    vp = np.where(pvt, rng.choice(["Vp2", "Vp3", "Vp4"], N, p=[0.3, 0.45, 0.25]), "Vp0")
    return {"recurrence": recurrence, "t": t, "n1": n1, "pvt": pvt, "stage": stage, "cp": cp,
            "age": age, "sex": sex, "etiology": etiology, "afp_iu": afp_iu, "pivka": pivka,
            "afp_high": afp_high, "pivka_high": pivka_high, "size": np.round(size.clip(3, 20), 1),
            "number": number, "vp": vp}


def _rt_plan(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dose, fractions and technique (median 45 Gy, 1.8-3.0 Gy per fraction, IMRT 25)."""
    plans = exact_levels(rng, {"45.0/25": 98, "50.4/28": 10, "54.0/30": 8, "59.4/33": 6,
                               "64.8/36": 3, "50.0/20": 8, "60.0/20": 5})
    dose = np.array([float(p.split("/")[0]) for p in plans])
    fx = np.array([int(p.split("/")[1]) for p in plans])
    hypo = dose / fx > 1.85
    tech = np.full(n, "3DCRT", dtype=object)
    tech[hypo] = "IMRT"
    rest = np.flatnonzero(~hypo)
    tech[rest[select_exact(rng, np.zeros(len(rest)), 25 - int(hypo.sum()))]] = "IMRT"
    return dose, fx, tech


def seed001(seed: int = 0) -> SyntheticCohort:
    """Synthetic seed 001 cohort (n = 138) in canonical tables, with the planted truth.

    Parameters
    ----------
    seed : int
        Generator seed; the same seed gives identical tables.

    Returns
    -------
    SyntheticCohort
        Tables ``patients``, ``baseline``, ``treatments`` (CCRT, then repeated HAIC),
        ``lesions`` (target lesions at baseline and 3 months), ``events`` (first failure of
        each type: ``site`` local / intrahepatic / extrahepatic with ``rt_field_position``),
        ``adverse_events``; ``truth`` holds the planted HRs (``<type>_<covariate>_hr``),
        the OS hazards and the published values.

    Examples
    --------
    >>> c = seed001(0)
    >>> sorted(c.tables["events"]["rt_field_position"].unique())
    ['in_field', 'out_of_field']
    """
    rng = np.random.default_rng([1, seed])
    b = _baseline(rng)
    pid = patient_ids("S001", N)
    dose, fx, tech = _rt_plan(rng, N)
    rt_start = random_dates(rng, "2001-05-01", "2009-10-20", N)
    rt_days = np.rint(fx * 7 / 5).astype(int) - 2
    rt_end = rt_start + rt_days.astype("timedelta64[D]")
    diag = np.where(b["recurrence"],
                    add_months(rt_start, -(6 + 48 * rng.random(N))),
                    rt_start - rng.integers(7, 46, N).astype("timedelta64[D]"))

    x = {"age_ge50": b["age"] >= 50, "stage_34": b["stage"] != "II", "pvt": b["pvt"],
         "recurrence_group": b["recurrence"], "afp_ge200": b["afp_high"],
         "pivka_ge60": b["pivka_high"], "markers_both": b["afp_high"] & b["pivka_high"]}
    xm = np.column_stack([x[c].astype(float) for c in COVARIATES])

    # overall survival (months from the end of RT)
    lp_os = (np.log(_OS_HR["child_pugh_b"]) * (b["cp"] == "B")
             + np.log(_OS_HR["stage_34"]) * x["stage_34"]
             + np.log(_OS_HR["markers_both"]) * x["markers_both"])
    lp_os = lp_os - np.log(np.mean(np.exp(lp_os)))
    t_death = _pw_inverse(-np.log(rng.random(N)) * np.exp(-lp_os), _OS_BREAKS, _OS_HAZ)
    admin = months_between(rt_end, np.full(N, np.datetime64(_CUTOFF, "D")))
    loss = rng.exponential(1 / _LOSS_RATE, N)
    cens = np.minimum(admin, loss)
    dead = t_death <= cens
    t_last = np.where(dead, t_death, cens)

    # failure processes, Gaussian copula across types, deaths censor
    shared = rng.standard_normal(N)
    fail_t: dict[str, np.ndarray] = {}
    for k, hr in FAILURE_HR.items():
        z = np.sqrt(_COPULA_RHO) * shared + np.sqrt(1 - _COPULA_RHO) * rng.standard_normal(N)
        lp = xm @ np.log(np.asarray(hr))
        lp = lp - np.log(np.mean(np.exp(lp)))
        target = -np.log(ndtr(z)) * np.exp(-lp)
        # after the first 3 months the types are independent (memoryless restart)
        h3 = _pw_cumhaz(3.0, _FAIL_BREAKS, _FAIL_HAZ[k])
        late = -np.log(rng.random(N)) * np.exp(-lp)
        target = np.where(target < h3, target, h3 + late)
        t = _pw_inverse(target, _FAIL_BREAKS, _FAIL_HAZ[k])
        fail_t[k] = np.where(t < t_last, np.maximum(t, 0.2), np.nan)

    death_date = np.where(dead, add_months(rt_end, t_last), np.datetime64("NaT"))
    last_fu = add_months(rt_end, t_last)
    patients = pd.DataFrame({
        "patient_id": pid, "sex": b["sex"], "age_years": b["age"].astype(float),
        "etiology": b["etiology"], "diagnosis_date": diag, "death_date": death_date,
        "last_followup_date": last_fu})
    early = dead & (t_last <= 3.0)
    cause = np.full(N, None, dtype=object)
    idx = np.flatnonzero(early)
    cause[idx] = np.where(rng.random(len(idx)) < 13 / 20, "hepatic_failure", "other")
    patients["death_cause_3m"] = cause

    prior_types = np.array(["TACE", "TACE+Ho-166", "TACE+RFA", "TACE+surgery",
                            "TACE+systemic chemo", "TACE+Ho-166+sorafenib", "RFA",
                            "intra-arterial chemo", "Ho-166"])
    ptype = np.full(N, None, dtype=object)
    ridx = np.flatnonzero(b["recurrence"])
    ptype[ridx] = exact_levels(rng, dict(zip(prior_types, (20, 4, 3, 1, 1, 1, 1, 2, 1),
                                             strict=True)))
    cp_score = np.where(b["cp"] == "A", rng.choice([5, 6], N, p=[0.75, 0.25]),
                        rng.choice([7, 8], N, p=[0.7, 0.3]))
    baseline = pd.DataFrame({
        "patient_id": pid, "assessment_date": rt_start - rng.integers(
            3, 15, N).astype("timedelta64[D]"),
        "child_pugh_class": b["cp"], "child_pugh_score": cp_score,
        "tumour_number": b["number"], "growth_pattern": np.where(b["number"] > 1, "multiple",
                                                                  "single"),
        "tumour_size_cm": b["size"], "pvi": b["pvt"], "vp_grade": b["vp"], "nodes": b["n1"],
        "metastasis": False, "afp": np.round(b["afp_iu"] * 1.21, 2), "pivka": b["pivka"],
        "tnm_stage": b["stage"], "t_stage_muicc": b["t"],
        "icg_r15_pct": np.round(np.exp(rng.normal(np.log(10.8), 0.6, N)).clip(1.4, 70.9), 1),
        "prior_treatment": b["recurrence"], "prior_treatment_type": ptype})

    # treatments: CCRT, then monthly HAIC from 1 month after CCRT for those still at risk
    first_fail = np.fmin(np.fmin(fail_t["infield"], fail_t["outfield"]),
                         fail_t["extrahepatic"])
    stop = np.fmin(first_fail, t_last)
    haic = stop > 1.5
    cycles = np.clip(np.floor(stop - 1.0), 3, 12).astype(int)
    tx = [pd.DataFrame({
        "patient_id": pid, "treatment_number": 1, "treatment_type": "CCRT",
        "start_date": rt_start, "end_date": rt_end, "intent": "palliative",
        "rt_dose_gy": dose, "rt_fractions": fx, "rt_technique": tech,
        "haic_regimen": "5-FU 500 mg/day, first and last week of RT", "drugs": "5-FU"})]
    h_start = add_months(rt_end, np.full(N, 1.0))
    h_end = add_months(h_start, np.minimum(cycles, np.floor(stop - 1.0).clip(0.1)))
    tx.append(pd.DataFrame({
        "patient_id": pid[haic], "treatment_number": 2, "treatment_type": "HAIC",
        "start_date": h_start[haic], "end_date": h_end[haic], "intent": "palliative",
        "haic_regimen": "5-FU 500 mg/m2 d1-3 + cisplatin 60 mg/m2 d2, every 4 weeks",
        "haic_cycles": cycles[haic], "drugs": "5-FU;cisplatin"}))
    treatments = pd.concat(tx, ignore_index=True).sort_values(
        ["patient_id", "treatment_number"], kind="stable")

    # failure events: the first failure of each type
    ev_rows = []
    for k, (site, pos) in {"infield": ("local", "in_field"),
                           "outfield": ("intrahepatic", "out_of_field"),
                           "extrahepatic": ("extrahepatic", "out_of_field")}.items():
        m = ~np.isnan(fail_t[k])
        ev_rows.append(pd.DataFrame({
            "patient_id": pid[m], "event_type": "progression",
            "event_date": add_months(rt_end[m], fail_t[k][m]), "site": site,
            "rt_field_position": pos}))
    events = pd.concat(ev_rows, ignore_index=True)
    # combined failures on the same day: one record per (patient, date), shift by days
    events = events.sort_values(["patient_id", "event_date"], kind="stable")
    dup = events.duplicated(["patient_id", "event_date"], keep="first").to_numpy()
    while dup.any():
        events.loc[dup, "event_date"] += pd.Timedelta(days=1)
        dup = events.duplicated(["patient_id", "event_date"], keep="first").to_numpy()
    events = events.sort_values(["patient_id", "event_date"], kind="stable")

    # response at 3 months (target lesions only)
    pd_pt = fail_t["infield"] <= 3.0
    cats = np.array(list(_RESPONSE_P))[rng.choice(3, N, p=list(_RESPONSE_P.values()))]
    cats = np.where(pd_pt, "PD", cats).astype(object)
    t_assess = np.where(pd_pt, fail_t["infield"], np.minimum(3.0, t_last - 0.25))
    cats = np.where(~pd_pt & (t_assess < 0.5), "NE", cats)
    assess = add_months(rt_end, np.where(np.isnan(t_assess), 3.0, t_assess))
    lesions = response_lesions(rng, pid, baseline["assessment_date"].to_numpy(
        dtype="datetime64[D]"), assess, cats, np.round(b["size"] * 10.0, 0))

    # toxicity: exact grade 3 / grade 4 counts per term
    latent = {"marrow": rng.standard_normal(N), "liver": rng.standard_normal(N)
              + 0.8 * (b["cp"] == "B"), "gi": rng.standard_normal(N)}
    window = np.minimum(rt_days + 90, np.floor(t_last * DAYS_PER_MONTH) + rt_days)
    ae = []
    for term, (g3, g4, p12, factor) in _TOX.items():
        w = 1.2 * latent[factor] + 0.5 * rng.standard_normal(N)
        grade = np.zeros(N, dtype=int)
        i4 = select_exact(rng, w, g4)
        grade[i4] = 4
        rest = np.flatnonzero(~i4)
        grade[rest[select_exact(rng, w[rest], g3)]] = 3
        low = (grade == 0) & (rng.random(N) < p12)
        grade[low] = np.where(rng.random(int(low.sum())) < 0.6, 1, 2)
        m = grade > 0
        onset = rt_start[m] + np.floor(rng.random(int(m.sum())) * np.maximum(
            window[m], 1)).astype(int).astype("timedelta64[D]")
        ae.append(pd.DataFrame({"patient_id": pid[m], "term": term, "grade": grade[m],
                                "onset_date": onset}))
    adverse_events = pd.concat(ae, ignore_index=True)

    truth: dict[str, float] = {}
    for k, hr in FAILURE_HR.items():
        for c, h in zip(COVARIATES, hr, strict=True):
            truth[f"{k}_{c}_hr"] = h
        truth[f"published_{k}_s12"] = _PUBLISHED_S12[k]
        truth[f"published_{k}_median"] = _PUBLISHED_MEDIAN[k]
    for c, h in _OS_HR.items():
        truth[f"os_{c}_hr_assumed"] = h
    truth.update({
        "published_os_median": 11.1, "published_os_1y": 0.461, "published_os_2y": 0.279,
        "published_deaths": 115.0, "published_fail3m_infield": 12.0,
        "published_fail3m_outfield": 26.0, "published_fail3m_extrahepatic": 27.0,
        "published_fail3m_any": 47.0, "published_fail_any": 106.0,
        "published_fail_infield": 46.0, "published_cr": 4.0, "published_pr": 77.0,
        "published_sd": 45.0, "published_pd": 12.0, "copula_rho": _COPULA_RHO,
        "os_hazard_0_3": _OS_HAZ[0], "os_hazard_3_12": _OS_HAZ[1],
        "os_hazard_12_24": _OS_HAZ[2], "os_hazard_24_plus": _OS_HAZ[3],
        "n_patients": float(N), "n_pvt": 77.0, "n_recurrence_group": 34.0,
        "n_markers_both": 67.0, "n_pivka_missing": 3.0})
    for term, (g3, g4, _, _) in _TOX.items():
        slug = "".join(ch if ch.isalnum() else "_" for ch in term.lower())
        truth[f"n_{slug}_g3"] = float(g3)
        truth[f"n_{slug}_g4"] = float(g4)
    for k in FAILURE_HR:
        truth[f"{k}_baseline_cumhaz_12"] = _pw_cumhaz(12.0, _FAIL_BREAKS, _FAIL_HAZ[k])
    notes = (
        "Table 1 marginals exact; stage cells, PVT (all T4, 35 of 75 T3) and the AFP x "
        "PIVKA-II joint table of the card (m = 0) planted exactly.",
        "AFP generated in IU/mL as printed and stored in ng/mL (x 1.21); the spec's cut-off "
        "is afp / 1.21 >= 200.",
        "Failure types: PH model per type with the Table 3b HRs (AFP, PIVKA-II and their "
        "product together), piecewise baseline hazard (0-3, 3-12, > 12 months), Gaussian "
        f"copula rho = {_COPULA_RHO}; deaths censor failures (DQ-1).",
        "OS HRs for Child-Pugh B, stage III-IV and both markers are assumptions (no numbers "
        "published).",
        "Response at 3 months on target lesions only (DQ-6): PD = in-field failure by "
        "3 months; patients dead before 2 weeks after RT are NE.",
    )
    return SyntheticCohort(
        study="seed-001",
        tables={"patients": canonical("patients", patients),
                "baseline": canonical("baseline", baseline),
                "treatments": canonical("treatments", treatments),
                "lesions": lesions,
                "events": canonical("events", events),
                "adverse_events": canonical("adverse_events", adverse_events)},
        truth=truth,
        extra_columns={"patients": {"death_cause_3m": "category"},
                       "baseline": {"t_stage_muicc": "category", "icg_r15_pct": "number",
                                    "prior_treatment": "bool",
                                    "prior_treatment_type": "category"}},
        notes=notes)
