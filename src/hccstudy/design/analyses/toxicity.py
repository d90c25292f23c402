"""Adverse-event tables as a StudySpec analysis (``type: toxicity``).

Runs :func:`hccstudy.analyse.toxicity.adverse_event_table` on per-patient worst-grade
columns ``ae_<slug>`` (0 = no event, missing = not assessed), which the study runner builds
from the canonical ``adverse_events`` table with
:func:`hccstudy.analyse.toxicity.worst_grade_columns`. ``by`` defaults to the study group
(``"@group"``); ``null`` or ``"none"`` gives one overall column. The method sentence goes to
the study's methods (key ``"toxicity:<name>"``), the tests to ``methods["tests"]``.

Examples
--------
>>> import hccstudy, numpy as np
>>> d = hccstudy.datasets.load_demo()
>>> d["ae_diarrhoea"] = np.arange(len(d)) % 4
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses: [{name: ae, type: toxicity}]
... ''', d)
>>> r.outcomes["ae"].terms
('diarrhoea',)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from hccstudy.analyse.toxicity import ToxicityResult, adverse_event_table
from hccstudy.design._base import AnalysisBase
from hccstudy.design.analyses.response import (
    BY_DOC,
    cohort_frame,
    resolve_by,
)
from hccstudy.design.context import GROUP

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from hccstudy.design.context import AnalysisContext

__all__ = ["ToxicityAnalysis"]


class ToxicityAnalysis(AnalysisBase):
    """Adverse events by term: any grade and grade >= threshold per group, with tests."""

    type: Literal["toxicity"]
    terms: list[str] | None = Field(default=None, description="Worst-grade columns; null = "
                                    "every column starting with `prefix`.")
    prefix: str = Field(default="ae_", description="Prefix of the worst-grade columns.")
    by: str | None = Field(default=GROUP, description=BY_DOC)
    grade_threshold: int = Field(default=3, ge=1, le=5, description="'Severe' cut-off: "
                                 "grade >= this (3 = grade 3-4).")
    test: Literal["auto", "chisq", "chisq_yates", "fisher"] = Field(
        default="auto", description="Per-term group comparison: 'auto' (chi-square without "
        "correction when every expected count is >= 5, else Fisher), 'chisq', "
        "'chisq_yates' or 'fisher'.")
    sort: Literal["frequency", "given"] = Field(
        default="frequency", description="Term order: by overall any-grade frequency, or as "
        "given.")


def execute_toxicity(ctx: AnalysisContext, an: ToxicityAnalysis) -> ToxicityResult:
    """Run a ``toxicity`` analysis."""
    data = cohort_frame(ctx, an, "the adverse-event table")
    if an.terms is not None:
        for i, t in enumerate(an.terms):
            ctx.column(data, t, f"terms[{i}]")
    by, order, _ = resolve_by(ctx, data, an.by)
    keys = {"ae columns": "prefix", "grade in 0-5": "terms", **({by: "by"} if by else {})}
    res: ToxicityResult = ctx.call(keys, adverse_event_table, data, an.terms, by,
                               prefix=an.prefix, grade_threshold=an.grade_threshold,
                               test=an.test, sort=an.sort, group_order=order)
    tests = res.tests()
    lines = [f"{name} ({len(grp)} comparisons)" for name, grp in tests.groupby("test",
                                                                               sort=False)]
    ctx.record("toxicity", an.name, res.method, lines)
    return res


SPECS = (ToxicityAnalysis,)
EXECUTORS: dict[str, Callable[..., Any]] = {"toxicity": execute_toxicity}
