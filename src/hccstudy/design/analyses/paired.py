"""Paired before / after comparisons as a StudySpec analysis (``type: paired``).

Runs :func:`hccstudy.analyse.paired.paired_comparison`: each entry of ``pairs`` names a
``label``, the ``before`` and ``after`` columns and the test ``kind`` (``auto``,
``wilcoxon``, ``mcnemar``, ``mcnemar_exact``, ``symmetry`` (Bowker) or ``unpaired_g``, the
likelihood-ratio chi-square ignoring the pairing that reproduces seed 003's Table I).
``by`` (optional, default none) repeats the comparisons within each group; ``"@group"`` is
the study group. The method sentence goes to the study's methods (key ``"paired:<name>"``).

Examples
--------
>>> import hccstudy, numpy as np
>>> d = hccstudy.datasets.load_demo()
>>> d["afp0"] = np.arange(len(d)) * 2.0
>>> d["afp1"] = np.arange(len(d)) * 1.5 + (np.arange(len(d)) % 5)
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses:
...   - {name: pre_post, type: paired, pairs: [{label: AFP, before: afp0, after: afp1}]}
... ''', d)
>>> r.outcomes["pre_post"].to_frame()["kind"].tolist()
['wilcoxon']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hccstudy.analyse.paired import PairedResult, paired_comparison
from hccstudy.design._base import AnalysisBase
from hccstudy.design.analyses.response import cohort_frame, resolve_by

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from hccstudy.design.context import AnalysisContext

__all__ = ["PairSpec", "PairedAnalysis"]

Kind = Literal["auto", "wilcoxon", "mcnemar", "mcnemar_exact", "symmetry", "unpaired_g"]


class PairSpec(BaseModel):
    """One before / after pair."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(description="Row label, e.g. 'AFP, ng/mL'.")
    before: str = Field(description="Column of the value before (e.g. pre-HAIC).")
    after: str = Field(description="Column of the value after (e.g. pre-hepatectomy).")
    kind: Kind = Field(default="auto", description="Test: auto (numeric > 2 values -> "
                       "wilcoxon, binary -> mcnemar, categorical > 2 levels -> symmetry), "
                       "wilcoxon, mcnemar, mcnemar_exact, symmetry (Bowker) or unpaired_g "
                       "(likelihood-ratio chi-square ignoring the pairing).")


class PairedAnalysis(AnalysisBase):
    """Pre / post comparisons (Wilcoxon signed-rank, McNemar, Bowker, unpaired G-test)."""

    type: Literal["paired"]
    pairs: list[PairSpec] = Field(min_length=1, description="The before / after pairs.")
    by: str | None = Field(default=None, description="Optional grouping column ('@group' = "
                           "the study group): the comparisons within each group.")
    phases: tuple[str, str] = Field(default=("Before", "After"), description="Names of the "
                                    "two time points, the table's column headers (e.g. "
                                    "[Pre-HAIC, Pre-hepatectomy]).")
    continuous: Literal["median_iqr", "median_range"] = Field(
        default="median_iqr", description="Summary of continuous pairs in the table: median "
        "(IQR) or median (range).")


def execute_paired(ctx: AnalysisContext, an: PairedAnalysis) -> PairedResult:
    """Run a ``paired`` analysis."""
    data = cohort_frame(ctx, an, "the paired comparison")
    labels = [p.label for p in an.pairs]
    if len(set(labels)) != len(labels):
        raise ctx.error("pairs", "pair labels must be unique")
    keys: dict[str, str] = {}
    for i, p in enumerate(an.pairs):
        ctx.column(data, p.before, f"pairs[{i}].before")
        ctx.column(data, p.after, f"pairs[{i}].after")
        keys.setdefault(p.before, f"pairs[{i}].before")
        keys.setdefault(p.after, f"pairs[{i}].after")
    by, order, _ = resolve_by(ctx, data, an.by)
    if by:
        keys[by] = "by"
    res: PairedResult = ctx.call(keys, paired_comparison, data,
                             {p.label: (p.before, p.after) for p in an.pairs},
                             kind={p.label: p.kind for p in an.pairs}, by=by,
                             group_order=order, phases=an.phases, continuous=an.continuous)
    f = res.to_frame()
    lines = [f"{name} ({', '.join(grp['label'].unique())})"
             for name, grp in f.groupby("test", sort=False)]
    ctx.record("paired", an.name, res.method, lines)
    return res


SPECS = (PairedAnalysis,)
EXECUTORS: dict[str, Callable[..., Any]] = {"paired": execute_paired}
