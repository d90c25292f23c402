"""Shared fixtures: the R reference data sets and the JSON written by generate_r.R."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import settings

REF = Path(__file__).parent / "reference"

# CI runs the property tests derandomized (examples fixed by the test's name: a red CI is
# reproducible, never a chance draw); developers' runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("HCCSTUDY_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HCCSTUDY_HYPOTHESIS_PROFILE"])


def load_ref_data(name: str) -> pd.DataFrame:
    """A data set written by tests/reference/r/00_data.R (same rows R used)."""
    return pd.read_csv(REF / "data" / f"{name}.csv")


def load_ref_json(name: str) -> Any:
    """Results written by tests/reference/generate_r.R."""
    with open(REF / "json" / f"{name}.json") as fh:
        return json.load(fh)


@pytest.fixture(scope="session")
def ref_data():
    return load_ref_data


@pytest.fixture(scope="session")
def ref_json():
    return load_ref_json
