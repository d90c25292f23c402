"""A synthetic CCRT vs non-CCRT cohort for the demo and the README example.

The generator plants the effects published in seed study 000 (Cancer Res Treat
2016;48:190-197) on a proportional-hazards Weibull model:

* non-CCRT vs CCRT: HR 1.48
* tumour size: HR 1.08 per cm
* BCLC B vs C: HR 0.54
* baseline scale chosen so the CCRT median OS is about 11.4 months

Censoring is administrative (accrual over 6 years, analysis 8 years after the
first patient) plus a small random loss to follow-up. All values are synthetic.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["DEMO_SEED", "load_demo", "make_demo"]

DEMO_SEED = 20160101
_FILE = "demo_ccrt.csv"

# Planted log hazard ratios (seed 000, Table 2 multivariable model).
_LOG_HR_NON_CCRT = np.log(1.48)
_LOG_HR_SIZE_PER_CM = np.log(1.08)
_LOG_HR_BCLC_B = np.log(0.54)
_WEIBULL_SHAPE = 1.1


def make_demo(n_per_arm: int = 106, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Generate the synthetic demo cohort.

    Parameters
    ----------
    n_per_arm : int
        Patients per arm (the paper's matched set has 106 + 106).
    seed : int
        Seed of the NumPy generator; the bundled CSV uses :data:`DEMO_SEED`.

    Returns
    -------
    pandas.DataFrame
        One row per patient: ``patient_id`` (synthetic), ``arm`` ("CCRT" or
        "non-CCRT"), ``ccrt`` (1/0), ``age_years``, ``sex``, ``tumour_size_cm``,
        ``growth_pattern``, ``bclc_stage`` ("B"/"C"), ``pvi`` (0/1),
        ``os_months`` (rounded to 0.1 month) and ``death`` (1 = died).

    Examples
    --------
    >>> d = make_demo()
    >>> d.shape
    (212, 11)
    >>> d["arm"].value_counts().to_dict()
    {'CCRT': 106, 'non-CCRT': 106}
    """
    rng = np.random.default_rng(seed)
    n = 2 * n_per_arm
    ccrt = np.repeat([1, 0], n_per_arm)
    age = np.clip(np.round(rng.normal(52, 11, n)), 8, 83).astype(int)
    sex = np.where(rng.random(n) < 0.85, "male", "female")
    size = np.clip(np.round(rng.gamma(6.0, 10.0 / 6.0, n), 1), 1.0, 21.0)
    # Larger tumours and portal vein invasion go with BCLC C.
    pvi = (rng.random(n) < 1 / (1 + np.exp(-(-0.2 + 0.12 * (size - 10))))).astype(int)
    p_c = np.where(pvi == 1, 0.95, 0.45)
    bclc = np.where(rng.random(n) < p_c, "C", "B")
    growth = np.where(rng.random(n) < 0.71, "multiple", "single")

    lp = (
        _LOG_HR_NON_CCRT * (1 - ccrt)
        + _LOG_HR_SIZE_PER_CM * (size - 10.0)
        + _LOG_HR_BCLC_B * (bclc == "B")
    )
    # Weibull scale so that S(t) = exp(-(t/lam)^k * exp(lp)) has median 11.4 months
    # for a CCRT patient with a 10 cm BCLC C tumour.
    lam = 11.4 / np.log(2) ** (1 / _WEIBULL_SHAPE)
    u = rng.random(n)
    t_event = lam * (-np.log(u) * np.exp(-lp)) ** (1 / _WEIBULL_SHAPE)
    entry_year = rng.uniform(0, 72, n)           # accrual over 6 years (months)
    admin = 96.0 - entry_year                    # analysis 8 years after start
    loss = rng.exponential(400.0, n)             # sparse loss to follow-up
    t_cens = np.minimum(admin, loss)
    death = (t_event <= t_cens).astype(int)
    os_months = np.maximum(np.round(np.minimum(t_event, t_cens), 1), 0.1)

    return pd.DataFrame(
        {
            "patient_id": [f"SYN-{i + 1:04d}" for i in range(n)],
            "arm": np.where(ccrt == 1, "CCRT", "non-CCRT"),
            "ccrt": ccrt,
            "age_years": age,
            "sex": sex,
            "tumour_size_cm": size,
            "growth_pattern": growth,
            "bclc_stage": bclc,
            "pvi": pvi,
            "os_months": os_months,
            "death": death,
        }
    )


def load_demo() -> pd.DataFrame:
    """Read the bundled demo cohort (the output of ``make_demo()``, shipped as CSV).

    Examples
    --------
    >>> d = load_demo()
    >>> int(d["death"].sum()) > 100
    True
    """
    with resources.files("hccstudy.datasets").joinpath(_FILE).open("r") as fh:
        return pd.read_csv(fh)
