"""Synthetic cohort of seed 002: LD-CCRT followed by sorafenib, phase 2 (n = 47).

Abstract-only source (study card ``seed-002.md``): only the response rates, the conversion
count, four medians and two AE rates are published; everything else is an assumption,
stated in ``notes`` and ``docs/synthetic.md``. What is planted:

* **Vp3/Vp4 subgroup** of 19 of 47 (assumed; the size is not reported). OS and PFS are
  exponential within the subgroup (medians 13.0 and 5.6 months) and in its complement,
  whose rates are solved so that the whole-cohort medians are the published 24.6 and 6.8
  months (complement medians about 40 and 8 months).
* **PFS** = progression or death: progression hazard = PFS hazard - OS hazard per group,
  so ``min(progression, death)`` has the planted PFS median exactly.
* **Response** (mRECIST through the lesion engine): the first assessment 4 weeks after the
  end of CCRT (or the progression scan when earlier); objective response there with a
  probability solved so that the expected ORR is 21/47 (44.7 %); SD patients turn into PR
  during sorafenib with a probability giving a best ORR of 25/47 (53.2 %).
* **Conversion** to resection (7) or transplantation (2) among responders alive and
  progression-free 2-5 months after CCRT (9/47; the split is assumed), favouring patients
  with a longer latent survival (no published effect; marginal OS unchanged).
* **AEs**: diarrhoea 17/47 and hand-foot skin reaction 16/47 (sorafenib patients) any grade
  exactly; other terms and grade >= 3 counts assumed.

Examples
--------
>>> c = seed002(seed=1)
>>> len(c.tables["patients"]), round(c.truth["os_median_vp34"], 1)
(47, 13.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hccstudy.synthetic._common import (
    SyntheticCohort,
    add_months,
    adverse_event_rows,
    canonical,
    exact_levels,
    months_between,
    patient_ids,
    random_dates,
    select_exact,
)

__all__ = ["seed002"]

N = 47
N_VP34 = 19
"""Assumed size of the Vp3/Vp4 subgroup (not reported, DQ-5)."""
OS_MEDIAN, OS_MEDIAN_VP34 = 24.6, 13.0
PFS_MEDIAN, PFS_MEDIAN_VP34 = 6.8, 5.6
ORR_POST_CCRT, ORR_BEST = 21 / 47, 25 / 47
N_CONVERSION = {"resection": 7, "transplant": 2}
CUTOFF = "2019-06-30"
"""Assumed data cut-off (enrolment 2014-2017; publication May 2020)."""
SORAFENIB_OFFSET_DAYS = 28
"""Sorafenib starts 4 weeks after the end of LD-CCRT (anchor assumed, DQ-1)."""
RESPONSE_OFFSET_DAYS = 28
"""First response assessment 4 weeks after LD-CCRT."""
SCAN_INTERVAL_MONTHS = 2.0

_AE = {  # term: (any grade, grade >= 3, onset anchor)
    "Diarrhea": (17, 2, "ccrt"),
    "Palmar-plantar erythrodysesthesia syndrome": (16, 3, "sorafenib"),
    "Fatigue": (14, 1, "ccrt"),
    "Anorexia": (12, 1, "ccrt"),
    "Platelet count decreased": (15, 3, "ccrt"),
    "Aspartate aminotransferase increased": (13, 2, "ccrt"),
    "Abdominal pain": (9, 0, "ccrt"),
}
"""Diarrhoea and HFSR any-grade counts published; the rest (and every grade >= 3 count)
assumed."""


def _rate_for_mixture(median: float, p_sub: float, rate_sub: float) -> float:
    """Exponential rate of the complement so that the mixture has the given median."""
    rest = (0.5 - p_sub * np.exp(-rate_sub * median)) / (1 - p_sub)
    return float(-np.log(rest) / median)


def _rates() -> dict[str, float]:
    p = N_VP34 / N
    os1 = np.log(2) / OS_MEDIAN_VP34
    pfs1 = np.log(2) / PFS_MEDIAN_VP34
    os0 = _rate_for_mixture(OS_MEDIAN, p, os1)
    pfs0 = _rate_for_mixture(PFS_MEDIAN, p, pfs1)
    return {"os_vp34": float(os1), "os_other": os0, "pfs_vp34": float(pfs1),
            "pfs_other": pfs0}


def _lesion_rows(rng: np.random.Generator, pid: str, base_date: np.datetime64,
                 base_mm: float, scans: list[tuple[np.datetime64, str, float]],
                 new_at_last: bool) -> list[tuple[Any, ...]]:
    """Target-lesion rows: ``scans`` = (date, timepoint, ratio of the baseline viable sum)."""
    n_t = int(rng.integers(1, 3))
    sizes = [base_mm] + [max(10.0, float(np.round(base_mm * (0.3 + 0.4 * rng.random()))))
                         for _ in range(n_t - 1)]
    rows: list[tuple[Any, ...]] = []
    for k, s in enumerate(sizes):
        rows.append((pid, f"T{k + 1}", base_date, "baseline", True, s, s, False))
        for d, tp, r in scans:
            v = float(np.round(s * r))
            rows.append((pid, f"T{k + 1}", d, tp, True, v, max(v, float(np.round(s * 0.8))),
                         False))
    if new_at_last and scans:
        d, tp, _ = scans[-1]
        size = float(rng.integers(12, 30))
        rows.append((pid, "N1", d, tp, False, size, size, True))
    return rows


def seed002(seed: int = 0) -> SyntheticCohort:
    """Synthetic seed 002 cohort (n = 47) in canonical tables, with the planted truth.

    Parameters
    ----------
    seed : int
        Generator seed; the same seed gives identical tables.

    Returns
    -------
    SyntheticCohort
        ``patients``, ``baseline`` (``vp_grade`` Vp3/Vp4 = the subgroup), ``treatments``
        (1 CCRT, 2 sorafenib, 3 resection / transplant), ``lesions`` (target lesions at
        baseline, 4 weeks after CCRT (timepoint ``post_ccrt``), every 2 months during
        sorafenib and at progression), ``events`` (progression), ``adverse_events``.

    Examples
    --------
    >>> c = seed002(0)
    >>> sorted(c.tables["treatments"]["treatment_type"].unique())
    ['CCRT', 'resection', 'systemic', 'transplant']
    """
    rng = np.random.default_rng([2, seed])
    rates = _rates()
    pid = patient_ids("S002", N)
    vp34 = exact_levels(rng, {True: N_VP34, False: N - N_VP34}).astype(bool)
    vp = np.where(vp34, rng.choice(["Vp3", "Vp4"], N, p=[0.6, 0.4]),
                  rng.choice(["Vp0", "Vp1", "Vp2"], N, p=[0.5, 0.15, 0.35]))
    diag = random_dates(rng, "2014-01-01", "2017-10-31", N)
    start = diag + rng.integers(7, 29, N).astype("timedelta64[D]")
    end = start + np.full(N, 34).astype("timedelta64[D]")
    dose = exact_levels(rng, {60.0: 30, 54.0: 7, 50.0: 6, 45.0: 4}).astype(float)

    # latent times (months from the start of LD-CCRT)
    os_rate = np.where(vp34, rates["os_vp34"], rates["os_other"])
    prog_rate = np.where(vp34, rates["pfs_vp34"], rates["pfs_other"]) - os_rate
    t_death = rng.exponential(1 / os_rate)
    t_prog = rng.exponential(1 / prog_rate)
    cens = months_between(start, np.full(N, np.datetime64(CUTOFF, "D")))
    dead = t_death <= cens
    t_last = np.minimum(t_death, cens)
    progressed = t_prog < t_last

    # response: first assessment 4 weeks after CCRT, or the progression scan if earlier
    t1 = months_between(start, end + np.timedelta64(RESPONSE_OFFSET_DAYS, "D"))
    pfs_rate = os_rate + prog_rate
    p_elig = float(np.mean(np.exp(-pfs_rate * t1)))
    q1 = min(1.0, ORR_POST_CCRT / p_elig)
    p_late = float(np.mean((1 - q1) * np.exp(-pfs_rate * (t1 + SCAN_INTERVAL_MONTHS))))
    q2 = min(1.0, (ORR_BEST - ORR_POST_CCRT) / p_late)
    u1, u2 = rng.random(N), rng.random(N)
    first_is_pd = progressed & (t_prog <= t1)
    assessed = first_is_pd | (t_last > t1)
    cat1 = np.where(~assessed, "NE", np.where(first_is_pd, "PD", np.where(
        u1 < q1, np.where(rng.random(N) < 0.1, "CR", "PR"), "SD")))

    # conversion among responders alive and progression-free at 2-5 months after CCRT
    t_conv = months_between(start, end) + 2 + 3 * rng.random(N)
    stop_pf = np.where(progressed, t_prog, t_last)
    late_resp = (cat1 == "SD") & (u2 < q2) & (stop_pf > t1 + SCAN_INTERVAL_MONTHS)
    eligible = (stop_pf > t_conv) & (np.isin(cat1, ["CR", "PR"])
                                     | (late_resp & (t_conv > t1 + SCAN_INTERVAL_MONTHS)))
    conv = np.zeros(N, dtype=bool)
    idx = np.flatnonzero(eligible)
    k = min(sum(N_CONVERSION.values()), len(idx))
    score = np.log(t_death[idx])
    conv[idx[select_exact(rng, 1.5 * (score - score.mean()) / (score.std() + 1e-9), k)]] = True
    conv_type = np.full(N, None, dtype=object)
    cidx = np.flatnonzero(conv)
    conv_type[cidx] = exact_levels(rng, {"resection": max(0, k - 2),
                                         "transplant": min(2, k)})

    rows: list[tuple[Any, ...]] = []
    base_mm = np.round(np.exp(rng.normal(np.log(90.0), 0.4, N)).clip(20, 200))
    base_date = start - rng.integers(3, 15, N).astype("timedelta64[D]")
    for i in range(N):
        if not assessed[i]:
            rows += _lesion_rows(rng, pid[i], base_date[i], base_mm[i], [], False)
            continue
        scans: list[tuple[np.datetime64, str, float]] = []
        if cat1[i] == "PD":
            scans.append((add_months(start[i:i + 1], t_prog[i:i + 1])[0], "post_ccrt", 1.45))
            rows += _lesion_rows(rng, pid[i], base_date[i], base_mm[i], scans,
                                 bool(rng.random() < 0.4))
            continue
        r = {"CR": 0.0, "PR": 0.2 + 0.4 * rng.random(), "SD": 0.8 + 0.3 * rng.random()}[
            str(cat1[i])]
        scans.append((add_months(start[i:i + 1], t1[i:i + 1])[0], "post_ccrt", r))
        nadir = r
        horizon = min(stop_pf[i], t_conv[i] if conv[i] else np.inf)
        t, j = t1[i] + SCAN_INTERVAL_MONTHS, 1
        while t < horizon:
            if cat1[i] == "SD" and late_resp[i] and j == 1:
                r = 0.3 + 0.3 * rng.random()
            elif r > 0:
                r = r * (0.85 + 0.15 * rng.random()) if r < 0.7 else r
            nadir = min(nadir, r)
            scans.append((add_months(start[i:i + 1], np.array([t]))[0], f"sorafenib_{j}", r))
            t += SCAN_INTERVAL_MONTHS
            j += 1
        new = False
        if progressed[i] and not conv[i]:
            new = bool(rng.random() < 0.4) or nadir == 0
            scans.append((add_months(start[i:i + 1], t_prog[i:i + 1])[0], "progression",
                          nadir * 1.45 if nadir > 0 else 0.0))
        rows += _lesion_rows(rng, pid[i], base_date[i], base_mm[i], scans, new)
    lesions = pd.DataFrame(rows, columns=["patient_id", "lesion_id", "assessment_date",
                                          "timepoint", "target", "viable_diameter_mm",
                                          "longest_diameter_mm", "new_lesion"])

    # treatments
    sor_start = end + np.timedelta64(SORAFENIB_OFFSET_DAYS, "D")
    t_sor = months_between(start, sor_start)
    on_sor = (t_last > t_sor) & ~(conv & (t_conv <= t_sor))
    sor_stop = np.minimum(np.where(conv, t_conv, np.inf), np.where(progressed, t_prog,
                                                                  t_last))
    tx = [pd.DataFrame({"patient_id": pid, "treatment_number": 1, "treatment_type": "CCRT",
                        "start_date": start, "end_date": end, "intent": "palliative",
                        "rt_dose_gy": dose, "rt_fractions": 25, "rt_technique": "3DCRT",
                        "haic_regimen": "5-FU 500 mg/day + leucovorin 50 mg/day, first and "
                        "last 5 days of RT", "drugs": "5-FU;leucovorin"})]
    s_end = add_months(start, np.maximum(sor_stop, t_sor + 0.1))
    tx.append(pd.DataFrame({"patient_id": pid[on_sor], "treatment_number": 2,
                            "treatment_type": "systemic", "start_date": sor_start[on_sor],
                            "end_date": s_end[on_sor], "intent": "palliative",
                            "drugs": "sorafenib"}))
    conv_date = add_months(start, t_conv)
    tx.append(pd.DataFrame({"patient_id": pid[conv], "treatment_number": np.where(
        on_sor[conv], 3, 2), "treatment_type": conv_type[conv], "start_date": conv_date[conv],
        "end_date": conv_date[conv], "intent": "curative"}))
    treatments = pd.concat(tx, ignore_index=True).sort_values(
        ["patient_id", "treatment_number"], kind="stable")

    # events: progression (site and position to the RT field assumed)
    site = rng.choice(["intrahepatic_in", "intrahepatic_out", "extrahepatic"], N,
                      p=[0.4, 0.35, 0.25])
    events = pd.DataFrame({
        "patient_id": pid[progressed], "event_type": "progression",
        "event_date": add_months(start, t_prog)[progressed],
        "site": np.where(site == "extrahepatic", "extrahepatic", "intrahepatic")[progressed],
        "rt_field_position": np.where(site == "intrahepatic_in", "in_field",
                                      "out_of_field")[progressed]})

    patients = pd.DataFrame({
        "patient_id": pid, "sex": exact_levels(rng, {"male": 40, "female": 7}),
        "age_years": np.round(rng.normal(58, 9, N).clip(32, 80)),
        "etiology": exact_levels(rng, {"HBV": 36, "HCV": 4, "alcohol": 3, "NBNC": 4}),
        "diagnosis_date": diag,
        "death_date": np.where(dead, add_months(start, t_last), np.datetime64("NaT")),
        "last_followup_date": add_months(start, t_last),
        "conversion_curative": np.where(conv, conv_type, "none"),
        "conversion_date": np.where(conv, conv_date, np.datetime64("NaT")),
        "sorafenib_start_date": np.where(on_sor, sor_start, np.datetime64("NaT"))})
    ecog = rng.choice([0, 1], N, p=[0.7, 0.3])
    cp = exact_levels(rng, {"A": 43, "B": 4})
    baseline = pd.DataFrame({
        "patient_id": pid, "assessment_date": base_date, "child_pugh_class": cp,
        "child_pugh_score": np.where(cp == "A", rng.choice([5, 6], N, p=[0.7, 0.3]), 7),
        "tumour_number": rng.choice([1, 2, 3, 4], N, p=[0.4, 0.25, 0.2, 0.15]),
        "tumour_size_cm": base_mm / 10.0, "pvi": vp != "Vp0", "vp_grade": vp,
        "hvi": rng.random(N) < 0.2, "nodes": rng.random(N) < 0.15, "metastasis": False,
        "ecog": ecog, "afp": np.round(np.exp(rng.normal(np.log(300), 2.0, N)), 1),
        "pivka": np.round(np.exp(rng.normal(np.log(1500), 1.8, N))),
        "bclc_stage": np.where((vp != "Vp0") | (ecog >= 1), "C", "B")})
    baseline["growth_pattern"] = np.where(baseline["tumour_number"] > 1, "multiple", "single")

    anchors = {"ccrt": start, "sorafenib": sor_start}
    ae = []
    for term, (n_any, n_sev, anchor) in _AE.items():
        cand = on_sor if anchor == "sorafenib" else np.ones(N, dtype=bool)
        n_any_c = min(n_any, int(cand.sum()))
        part = adverse_event_rows(rng, pid[cand], term, n_any_c, min(n_sev, n_any_c),
                                  anchors[anchor][cand], ctcae_version="4.03")
        ae.append(part)
    adverse_events = pd.concat(ae, ignore_index=True)
    # an AE cannot start after death / last follow-up: clip the onset
    last_by_pid = dict(zip(pid, patients["last_followup_date"], strict=True))
    onset = pd.to_datetime(adverse_events["onset_date"])
    lim = pd.to_datetime(adverse_events["patient_id"].map(last_by_pid))
    adverse_events["onset_date"] = onset.where(onset <= lim, lim)

    truth: dict[str, float] = {
        "os_median_all": OS_MEDIAN, "os_median_vp34": OS_MEDIAN_VP34,
        "pfs_median_all": PFS_MEDIAN, "pfs_median_vp34": PFS_MEDIAN_VP34,
        "os_median_other": float(np.log(2) / rates["os_other"]),
        "pfs_median_other": float(np.log(2) / rates["pfs_other"]),
        "os_rate_vp34": rates["os_vp34"], "os_rate_other": rates["os_other"],
        "pfs_rate_vp34": rates["pfs_vp34"], "pfs_rate_other": rates["pfs_other"],
        "orr_post_ccrt": ORR_POST_CCRT, "orr_best": ORR_BEST,
        "p_response_post_ccrt_if_assessed": q1, "p_sd_to_pr": q2,
        "n_patients": float(N), "n_vp34_assumed": float(N_VP34),
        "n_conversion": float(sum(N_CONVERSION.values())),
        "published_conversion": 9.0, "published_diarrhoea": 17.0, "published_hfsr": 16.0,
        "published_orr_post_ccrt_n": 21.0, "published_orr_best_n": 25.0,
        "published_rt_dose_median": 60.0}
    notes = (
        f"Vp3/Vp4 subgroup size assumed {N_VP34}/47; complement medians solved so that the "
        "whole-cohort medians are the published ones.",
        "OS/PFS origin assumed start of LD-CCRT (DQ-2); PFS = progression or death.",
        "Response criteria assumed mRECIST (DQ-3); target lesions; new lesions at "
        "progression in 40 %.",
        "Conversion split 7 resection / 2 transplant assumed; baseline covariates, other AE "
        "terms and all grade >= 3 counts are assumptions.",
        f"Data cut-off {CUTOFF} assumed; sorafenib from 4 weeks after the end of CCRT (DQ-1).",
    )
    return SyntheticCohort(
        study="seed-002",
        tables={"patients": canonical("patients", patients),
                "baseline": canonical("baseline", baseline),
                "treatments": canonical("treatments", treatments),
                "lesions": canonical("lesions", lesions),
                "events": canonical("events", events),
                "adverse_events": canonical("adverse_events", adverse_events)},
        truth=truth, notes=notes,
        extra_columns={"patients": {"conversion_curative": "category",
                                    "conversion_date": "date",
                                    "sorafenib_start_date": "date"}})
