"""The eligibility flow: counts remaining and excluded per step, reason and source.

The flow holds counts; which rows were excluded is kept out of its repr and is
available only through :meth:`EligibilityFlow.excluded_rows` (row positions in
the input frame, never identifiers), so a shared report of the flow carries
no patient-level information.

Examples
--------
>>> import numpy as np
>>> f = EligibilityFlow(
...     sources=("A",), n_input={"A": 3},
...     steps=(FlowStep("A", 1, "stage", "stage I-II", 3, 1, 2),),
...     _excluded={("A", "stage"): np.array([0])})
>>> f.to_frame()[["source", "step", "n_excluded", "n_remaining"]].values.tolist()
[['A', 'stage', 1, 2]]
>>> f.excluded_rows("stage").tolist()
[0]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["EligibilityFlow", "FlowStep"]


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One step of one source's cascade (counts only)."""

    source: str
    order: int
    step: str
    reason: str
    n_before: int
    n_excluded: int
    n_remaining: int
    n_unknown: int = 0
    on_missing: str = "error"


@dataclass(frozen=True, slots=True)
class EligibilityFlow:
    """Counts of the eligibility cascade per source data set."""

    sources: tuple[str, ...]
    n_input: dict[str, int]
    steps: tuple[FlowStep, ...]
    _excluded: dict[tuple[str, str], np.ndarray] = field(repr=False, compare=False)

    @property
    def n_remaining(self) -> dict[str, int]:
        """Rows left after the cascade, per source."""
        out = dict(self.n_input)
        for s in self.steps:
            out[s.source] = s.n_remaining
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per (source, step): n before, excluded, remaining, unknown, reason."""
        cols = ["source", "order", "step", "reason", "n_before", "n_excluded", "n_remaining",
                "n_unknown", "on_missing"]
        return pd.DataFrame([[getattr(s, c) for c in cols] for s in self.steps], columns=cols)

    def excluded_rows(self, step: str | None = None, source: str | None = None) -> np.ndarray:
        """Row positions (in the input frame) excluded at a step / source (sorted).

        With several source frames the input frame is their stack, in the given order.

        For the user only: never put these in a shared report.
        """
        parts = [v for (src, st), v in self._excluded.items()
                 if (step is None or st == step) and (source is None or src == source)]
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.sort(np.concatenate(parts)).astype(np.int64)

    def __str__(self) -> str:
        lines = []
        for src in self.sources:
            lines.append(f"{src}: n = {self.n_input[src]}")
            for s in self.steps:
                if s.source == src:
                    lines.append(f"  - {s.n_excluded} excluded: {s.reason} -> {s.n_remaining}")
        return "\n".join(lines)
