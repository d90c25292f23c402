"""Base pydantic models shared by the study spec and the analysis modules."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["AnalysisBase", "Cohort"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Cohort = Literal["auto", "analysis", "adjusted"]
_COHORT: Any = Field(default="auto", description="'analysis' (all eligible), 'adjusted' (matched / "
                     "weighted) or 'auto' (adjusted when an adjustment is set).")


class AnalysisBase(_Model):
    """Fields every analysis has: its unique ``name``, the ``cohort`` it runs on, an
    optional row filter ``where`` and an optional report caption ``title``.

    Subclasses add ``type: Literal["..."]`` (the discriminator) and their options.
    """

    name: str
    cohort: Cohort = _COHORT
    where: str | None = Field(default=None, description="Row filter on the cohort (a safe "
                              "expression, e.g. \"pivka >= 60\"); rows where it is false or "
                              "unknown are left out and counted in the methods text.")
    title: str | None = Field(default=None, description="Caption of the analysis's table "
                              "and figure in the report, worded as the manuscript (e.g. "
                              "'Overall survival of the CCRT and non-CCRT groups'); default: "
                              "a caption written from the analysis type, the endpoint label, "
                              "the grouping and the cohort. Display only.")

    @field_validator("title")
    @classmethod
    def _title_text(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("title: empty (leave it out for the default caption)")
        return v.strip() if v is not None else None


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
