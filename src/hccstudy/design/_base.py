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
