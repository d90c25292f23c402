"""Shared fixture of the report tests: the bundled example study, run once per module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hccstudy

EXAMPLE_SPEC = Path(__file__).resolve().parents[2] / "studies" / "example_two_arm.yaml"


@pytest.fixture(scope="module")
def study() -> Any:
    """The result of ``studies/example_two_arm.yaml`` on the demo cohort.

    Returns
    -------
    StudyResult
    """
    return hccstudy.run(EXAMPLE_SPEC)
