"""Bundled study specs of the five seed papers (``seed_000.yaml`` ... ``seed_004.yaml``).

The repository's ``studies/`` folder links to these files.

Examples
--------
>>> from hccstudy.studies import spec_path
>>> spec_path("000").name
'seed_000.yaml'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STUDIES", "spec_path"]

STUDIES = ("000", "001", "002", "003", "004")
"""The seed studies with a bundled spec and a synthetic cohort generator."""


def spec_path(study: str) -> Path:
    """Path of the bundled spec of a seed study ("000" ... "004")."""
    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; choose one of {', '.join(STUDIES)}")
    return Path(__file__).with_name(f"seed_{study}.yaml")
