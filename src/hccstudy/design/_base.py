"""Base pydantic models shared by the study spec and the analysis modules."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnalysisBase", "Cohort"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Cohort = Literal["auto", "analysis", "adjusted"]
_COHORT: Any = Field(default="auto", description="'analysis' (all eligible), 'adjusted' (matched / "
                     "weighted) or 'auto' (adjusted when an adjustment is set).")


class AnalysisBase(_Model):
    """Fields every analysis has: its unique ``name`` and the ``cohort`` it runs on.

    Subclasses add ``type: Literal["..."]`` (the discriminator) and their options.
    """

    name: str
    cohort: Cohort = _COHORT
    where: str | None = Field(default=None, description="Row filter on the cohort (a safe "
                              "expression, e.g. \"pivka >= 60\"); rows where it is false or "
                              "unknown are left out and counted in the methods text.")


def nonnegative_times(v: list[float]) -> list[float]:
    """Validate a spec's ``times`` list: every time is >= 0 (a pydantic field validator).

    Parameters
    ----------
    v : list of float
        The times.

    Returns
    -------
    list of float
        ``v`` unchanged.

    Raises
    ------
    ValueError
        When a time is negative or NaN.
    """
    if any(not t >= 0 for t in v):
        raise ValueError("times must be >= 0")
    return v
