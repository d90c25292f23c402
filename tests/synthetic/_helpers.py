"""Helpers shared by the seed-cohort tests (tests/synthetic/test_seed*.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

DAYS_PER_MONTH = 30.4375


def assert_reproducible(make: Callable[..., Any], seed: int, *, truth: bool = False) -> Any:
    """Assert that a generator gives identical tables twice for the same seed.

    Parameters
    ----------
    make : callable
        The generator (``seed000`` ... ``seed004``), called as ``make(seed=seed)``.
    seed : int
        The seed.
    truth : bool
        Also compare the planted truth.

    Returns
    -------
    SyntheticCohort
        The first of the two cohorts (for the caller's different-seed check).
    """
    a = make(seed=seed)
    b = make(seed=seed)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    if truth:
        assert a.truth == b.truth
    return a


def first_event_frame(tables: dict[str, pd.DataFrame], first_event: str) -> pd.DataFrame:
    """Patients with their baseline, first-treatment start, first event and OS in months.

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        The canonical tables of a cohort.
    first_event : str
        Name of the added column holding each patient's earliest ``events`` date.

    Returns
    -------
    pandas.DataFrame
        ``patients`` merged with ``baseline`` and the first treatment's ``start_date``,
        plus ``first_event``, ``os_t`` (months from the start) and ``os_e`` (death).
    """
    t = tables
    first = t["treatments"][t["treatments"]["treatment_number"] == 1]
    f = t["patients"].merge(t["baseline"], on="patient_id").merge(
        first[["patient_id", "start_date"]], on="patient_id")
    f[first_event] = f["patient_id"].map(t["events"].groupby("patient_id")["event_date"].min())
    f["os_t"] = (f["last_followup_date"] - f["start_date"]).dt.days / DAYS_PER_MONTH
    f["os_e"] = f["death_date"].notna().astype(int)
    return f
