"""Response and binary-rate tables as StudySpec analyses.

Spec types (``analyses: [{name: ..., type: ..., ...}]``):

* ``response`` -- best overall response distribution, ORR and DCR per group with binomial
  CIs and the group comparisons (:func:`hccstudy.analyse.response.response_table`);
* ``proportion`` -- the rate of a binary outcome per group (e.g. conversion to resection),
  from a column or a boolean expression of the spec language
  (:func:`hccstudy.analyse.response.proportion_table`).

``by`` defaults to the study group (``"@group"``); ``null`` or ``"none"`` gives one overall
row. The tables are unweighted: on an IPTW cohort (or matching with weights other than 1)
the executor raises an error naming the spec key ``cohort``. Each executor records its
method sentence in the study's methods (key ``"<type>:<name>"``) and its tests in
``methods["tests"]``.

Examples
--------
>>> import hccstudy, numpy as np
>>> d = hccstudy.datasets.load_demo()
>>> d["bor"] = np.where(np.arange(len(d)) % 3 == 0, "PR", "SD")
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses: [{name: resp, type: response, column: bor, label: 3 months}]
... ''', d)
>>> r.outcomes["resp"].groups
('CCRT', 'non-CCRT')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from hccstudy.analyse.response import (
    ProportionResult,
    ResponseResult,
    proportion_table,
    response_table,
)
from hccstudy.design._base import AnalysisBase
from hccstudy.design.context import GROUP

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from hccstudy.design.context import AnalysisContext

__all__ = ["GROUP", "ProportionAnalysis", "ResponseAnalysis"]


BY_DOC = ("Grouping column: '@group' (default) is the study group; null or 'none' gives "
          "one overall row; or any column of the analysis frame.")
_TEST_DOC = ("Group comparison: 'auto' (Pearson chi-square without continuity correction "
             "when every expected count is >= 5, else Fisher's exact test; seed 004), "
             "'chisq', 'chisq_yates' (R chisq.test default) or 'fisher'.")
_CI_DOC = ("Binomial CI of each rate: 'clopper-pearson' (exact, R binom.test), 'wilson' "
           "(R prop.test(correct = FALSE)) or 'wilson-cc' (R prop.test(correct = TRUE)).")
_DIFF_DOC = ("CI of the rate difference (each group minus the reference): 'newcombe' "
             "(hybrid score), 'wald' or 'wald-cc' (R two-sample prop.test).")

# the options ResponseAnalysis and ProportionAnalysis share (defaults set on each field)
_CiOption = Annotated[Literal["clopper-pearson", "wilson", "wilson-cc"],
                      Field(description=_CI_DOC)]
_TestOption = Annotated[Literal["auto", "chisq", "chisq_yates", "fisher"],
                        Field(description=_TEST_DOC)]
_ConfLevelOption = Annotated[float, Field(gt=0, lt=1, description="CI level.")]
_DiffCiOption = Annotated[Literal["newcombe", "wald", "wald-cc"], Field(description=_DIFF_DOC)]


# ----------------------------------------------------------------------- helpers
def resolve_by(ctx: AnalysisContext, data: pd.DataFrame, by: str | None
               ) -> tuple[str | None, list[str] | None, str | None]:
    """``(column, level order, reference)`` of ``by`` on ``data``."""
    if by is None or str(by).lower() == "none":
        return None, None, None
    if by == GROUP:
        return ctx.group, list(ctx.levels), ctx.reference
    return ctx.column(data, by, "by"), None, None


def cohort_frame(ctx: AnalysisContext, an: AnalysisBase, what: str, *,
                 labelled: bool = True) -> pd.DataFrame:
    """The analysis cohort; an error naming ``cohort`` when it needs case weights.

    ``labelled=False``: the raw values (``value_labels`` not applied), see
    :meth:`AnalysisContext.cohort`.
    """
    data, adjusted = ctx.cohort(an.cohort, labelled=labelled)
    w = ctx.weights(data, adjusted)
    if w is not None:
        raise ctx.error("cohort", f"{what} takes no case weights, but the adjusted cohort is "
                        f"weighted ({w}); use cohort: analysis")
    return data






def _tests_lines(tests: pd.DataFrame, key: str = "measure") -> list[str]:
    """One line per distinct test name with the measures it was used for."""
    out: list[str] = []
    for name, grp in tests.groupby("test", sort=False):
        out.append(f"{name} ({', '.join(str(m) for m in grp[key].unique()[:6])}"
                   + (", ..." if grp[key].nunique() > 6 else "") + ")")
    return out


# ------------------------------------------------------------------------- specs
class ResponseAnalysis(AnalysisBase):
    """Best overall response table: distribution, ORR and DCR with CIs, group tests."""

    type: Literal["response"]
    column: str = Field(description="Per-patient best response column (CR, PR, SD, PD, NE).")
    by: str | None = Field(default=GROUP, description=BY_DOC)
    denominator: Literal["all", "evaluable"] = Field(
        default="all", description="'all' (NE counted as non-responder) or 'evaluable' "
        "(NE excluded).")
    ci: _CiOption = "clopper-pearson"
    test: _TestOption = "auto"
    label: str | None = Field(default=None, description="Assessment time shown in the table "
                              "title, e.g. '3 months'.")
    change: str | None = Field(default=None, description="Optional column of the best % "
                               "change in the sum of diameters (waterfall plot data).")
    conf_level: _ConfLevelOption = 0.95
    diff_ci: _DiffCiOption = "newcombe"


class ProportionAnalysis(AnalysisBase):
    """Rate of a binary outcome per group with CI and the group comparison."""

    type: Literal["proportion"]
    outcome: str = Field(description="A 0/1 or boolean column, or a boolean expression of "
                         "the spec language (e.g. \"conversion in ['resection', "
                         "'transplant']\"); unknown values are excluded and counted.")
    by: str | None = Field(default=GROUP, description=BY_DOC)
    ci: _CiOption = "clopper-pearson"
    test: _TestOption = "auto"
    label: str | None = Field(default=None, description="Label of the outcome, e.g. "
                              "'conversion to resection'.")
    conf_level: _ConfLevelOption = 0.95
    diff_ci: _DiffCiOption = "newcombe"


# --------------------------------------------------------------------- executors
def execute_response(ctx: AnalysisContext, an: ResponseAnalysis) -> ResponseResult:
    """Run a ``response`` analysis."""
    # the response codes (CR, PR, ...) are read as recorded, never as value labels
    data = ctx.label(cohort_frame(ctx, an, "the response table", labelled=False),
                     keep=[an.column])
    col = ctx.column(data, an.column, "column")
    if an.change is not None:
        ctx.column(data, an.change, "change")
    by, order, ref = resolve_by(ctx, data, an.by)
    res: ResponseResult = ctx.call({col: "column", **({by: "by"} if by else {}), "categories option": "column"},
        response_table, data, col, by, denominator=an.denominator, ci=an.ci, test=an.test,
        conf_level=an.conf_level, change=an.change, diff_ci=an.diff_ci, reference=ref,
        group_order=order, label=an.label)
    ctx.record("response", an.name, res.method
           + (f" ({an.label})" if an.label else ""), _tests_lines(res.tests()))
    return res


def _outcome_frame(ctx: AnalysisContext, data: pd.DataFrame, outcome: str
                   ) -> tuple[pd.DataFrame, str]:
    if outcome in data.columns:
        return data, outcome
    from hccstudy.design._expr import ExpressionError, evaluate

    try:
        v = evaluate(outcome, data)
    except ExpressionError as e:
        raise ctx.error("outcome", str(e), column=e.column) from None
    vals = v.values if isinstance(v.values, pd.Series) else \
        pd.Series([v.values] * len(data), index=data.index)
    unknown = np.asarray(v.unknown, dtype=bool)
    known = pd.Series(vals).to_numpy(dtype=object)[~unknown]
    if not all(isinstance(x, bool | np.bool_) for x in known):
        raise ctx.error("outcome", f"expression {outcome!r} is not boolean (a comparison such "
                        "as \"conversion != 'none'\" is)")
    hit = np.asarray(pd.Series(vals).where(~unknown, False).to_numpy(dtype=object),
                     dtype=bool)
    obj = np.asarray(hit, dtype=object)
    obj[unknown] = None
    out = pd.Series(obj, index=data.index, dtype="object")
    name = "_outcome"
    frame = pd.DataFrame({name: out}, index=data.index)
    return pd.concat([data.drop(columns=[name], errors="ignore"), frame], axis=1), name


def execute_proportion(ctx: AnalysisContext, an: ProportionAnalysis) -> ProportionResult:
    """Run a ``proportion`` analysis."""
    # the outcome expression sees the raw values; the labels apply to the rest (by)
    data = cohort_frame(ctx, an, "the proportion table", labelled=False)
    frame, col = _outcome_frame(ctx, data, an.outcome)
    frame = ctx.label(frame, keep=[col])
    by, order, ref = resolve_by(ctx, frame, an.by)
    res: ProportionResult = ctx.call({col: "outcome", **({by: "by"} if by else {})}, proportion_table, frame, col, by,
        ci=an.ci, test=an.test, conf_level=an.conf_level, diff_ci=an.diff_ci, reference=ref,
        group_order=order, label=an.label or an.outcome)
    ctx.record("proportion", an.name, res.method, _tests_lines(res.tests()))
    return res


SPECS = (ResponseAnalysis, ProportionAnalysis)
EXECUTORS: dict[str, Callable[..., Any]] = {"response": execute_response,
                                            "proportion": execute_proportion}
