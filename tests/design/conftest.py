"""A small synthetic two-source cohort (seed 000 layout); no real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_cohort(seed: int = 7, n_ycc: int = 80, n_klcsg: int = 240) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def common(n: int, prefix: str, treated: int) -> pd.DataFrame:
        age = rng.normal(52 if treated else 58, 10, n).round()
        size = np.clip(rng.normal(9 if treated else 6, 3, n), 1, 20).round(1)
        bclc = np.where(rng.random(n) < (0.8 if treated else 0.55), "C", "B")
        start = pd.Timestamp("2003-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D")
        hazard = 0.03 * np.exp(0.05 * (size - 6) + 0.4 * (bclc == "C") - 0.3 * treated)
        t_death = rng.exponential(1 / hazard) * 30.4375
        t_cens = rng.uniform(100, 2500, n)
        died = t_death <= t_cens
        fu = np.minimum(t_death, t_cens).round()
        last = start + pd.to_timedelta(fu, "D")
        return pd.DataFrame({
            "patient_id": [f"{prefix}-{i:04d}" for i in range(n)],
            "ccrt": treated,
            "age_years": age,
            "tumour_size_cm": size,
            "bclc_stage": bclc,
            "sex": np.where(rng.random(n) < 0.85, "male", "female"),
            "tnm_stage": rng.choice(["II", "III", "IV-A"], n, p=[0.1, 0.5, 0.4]),
            "child_pugh_class": rng.choice(["A", "B"], n, p=[0.9, 0.1]),
            "death_date": pd.Series(last).where(died, pd.NaT).to_numpy(),
            "last_contact_date": last,
            "_start": start,
        })

    y = common(n_ycc, "Y", 1)
    y["rt_start_date"] = y.pop("_start")
    y["treatment_date"] = pd.NaT
    y["ecog"] = rng.choice([0, 1, 2, 3], n_ycc, p=[0.4, 0.4, 0.15, 0.05])
    y.loc[y.index[:3], "child_pugh_class"] = None  # missing Child-Pugh in the CCRT series
    k = common(n_klcsg, "K", 0)
    k["treatment_date"] = k.pop("_start")
    k["rt_start_date"] = pd.NaT
    k["ecog"] = np.nan  # not recorded in the registry
    k["received_rt"] = (rng.random(n_klcsg) < 0.1).astype(int)
    y["received_rt"] = 1
    return {"YCC": y, "KLCSG": k}


SPEC = """\
title: synthetic seed-000 layout
data:
  source_column: source_db
eligibility:
  - name: stage
    exclude_if: "tnm_stage in ['I', 'II']"
    reason: LCSGJ stage I-II
  - name: child_pugh
    exclude_if: "child_pugh_class in ['B', 'C'] or isna(child_pugh_class)"
    reason: Child-Pugh B or C, or missing
  - name: ecog
    exclude_if: "ecog > 2"
    reason: ECOG PS > 2
    sources: [YCC]
  - name: received_rt
    exclude_if: "received_rt == 1"
    reason: received RT
    sources: [KLCSG]
groups:
  name: arm
  column: ccrt
  labels: {'1': CCRT, '0': non-CCRT}
  levels: [CCRT, non-CCRT]
  reference: non-CCRT
endpoints:
  - name: os
    origin: {CCRT: rt_start_date, non-CCRT: treatment_date}
    event_date: death_date
    last_followup: last_contact_date
    units: months
covariates:
  - {name: age_years, roles: [table1, propensity]}
  - {name: tumour_size_cm, roles: [table1, propensity]}
  - {name: bclc_stage, roles: [table1, propensity]}
  - {name: sex, roles: [table1]}
adjustment:
  method: match
  match: {ratio: 1, caliper: 0.2, m_order: largest}
  outcome_variance: robust_pair
analyses:
  - {name: table1, type: table1, continuous: median_range}
  - {name: km_os, type: km, endpoint: os}
  - {name: logrank_os, type: logrank, endpoint: os}
  - {name: cox_os, type: cox, endpoint: os}
"""


@pytest.fixture()
def cohort() -> dict[str, pd.DataFrame]:
    return make_cohort()


@pytest.fixture()
def spec_text() -> str:
    return SPEC
