"""Model building as StudySpec analyses: univariate screen plus multivariable model.

Spec types (``analyses: [{name: ..., type: ..., ...}]``):

* ``cox_models`` -- univariate Cox models of an endpoint, then the multivariable
  model with backward elimination (:func:`hccstudy.analyse.models.model_building`);
* ``logistic_models`` -- the same for a binary ``outcome`` (a column, or an
  expression of the spec language such as ``"best_response in ['CR', 'PR']"``).

Both run on the analysis cohort, or on the adjusted cohort (``cohort``); a Cox
model on a matched / weighted cohort uses the study's outcome variance (cluster =
matched set, strata = matched set, or robust per patient with IPTW weights). A
logistic model takes no case weights. The result is a
:class:`~hccstudy.analyse.models.ModelBuildingResult` (``to_frame()``: the side-by-side
table). The method sentence goes to ``methods["<type>:<name>"]``.

Examples
--------
>>> import hccstudy
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses:
...   - {name: mb, type: cox_models, endpoint: os,
...      covariates: [ccrt, tumour_size_cm, "C(bclc_stage, treatment('B'))", sex]}
... ''', hccstudy.datasets.load_demo())
>>> r.outcomes["mb"].multivariable.criterion
'wald'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from hccstudy.analyse.models import ModelBuildingResult, model_building
from hccstudy.design._base import AnalysisBase
from hccstudy.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from hccstudy.design.context import AnalysisContext

__all__ = ["CoxModelsAnalysis", "LogisticModelsAnalysis"]

OUTCOME = "_outcome"
"""Column holding an evaluated logistic outcome expression (in a copy of the cohort)."""


class _ModelOptions(AnalysisBase):
    covariates: list[str] = Field(min_length=1, description="Candidate terms: columns or "
                                  "formula terms such as \"C(bclc, treatment('B'))\"; a "
                                  "factor is tested and removed as a block.")
    entry: Literal["all", "univariate_p"] = Field(
        default="all", description="Start the multivariable model from all covariates, or "
        "from those with univariate p < entry_p (seed 004).")
    entry_p: float = Field(default=0.05, gt=0, le=1,
                           description="Entry threshold of the univariate p.")
    selection: Literal["backward", "none"] = Field(
        default="backward", description="Backward elimination, or keep every entered term.")
    criterion: Literal["wald", "lr", "aic"] = Field(
        default="wald", description="Removal criterion: Wald or likelihood-ratio p > p_remove "
        "(SPSS BSTEP), or AIC (R step).")
    p_remove: float = Field(default=0.10, gt=0, le=1,
                            description="Removal threshold (SPSS default 0.10).")
    force: list[str] = Field(default_factory=list, description="Terms never removed.")
    conf_level: float = Field(default=0.95, gt=0, lt=1)

    @model_validator(mode="after")
    def _force(self) -> _ModelOptions:
        bad = [f for f in self.force if f not in self.covariates]
        if bad:
            raise ValueError(f"force terms {bad} are not among the covariates")
        if len(set(self.covariates)) != len(self.covariates):
            raise ValueError("covariates are repeated")
        return self


class CoxModelsAnalysis(_ModelOptions):
    """Univariate Cox screen and multivariable Cox model (seed 000 Table 2, seed 004 Table 5)."""

    type: Literal["cox_models"]
    endpoint: str
    univariate_test: Literal["wald", "lr", "score"] = Field(
        default="wald", description="Test of each term in the univariate models (score = "
        "log-rank for a factor, as seed 004 printed).")
    ties: Literal["efron", "breslow"] = "efron"


class LogisticModelsAnalysis(_ModelOptions):
    """Univariate and multivariable logistic regression of a binary outcome."""

    type: Literal["logistic_models"]
    outcome: str = Field(description="A 0/1 column, or an expression giving True/False "
                         "(rows where it is unknown are left out, counted).")
    univariate_test: Literal["wald", "lr"] = Field(
        default="wald", description="Test of each term in the univariate models.")


def _call(ctx: AnalysisContext, data: pd.DataFrame, an: _ModelOptions,
          **kw: Any) -> ModelBuildingResult:
    try:
        return model_building(
            data, an.covariates, univariate_test=an.univariate_test,  # type: ignore[attr-defined]
            entry=an.entry, entry_p=an.entry_p, selection=an.selection,
            criterion=an.criterion, p_remove=an.p_remove, force=an.force,
            conf_level=an.conf_level, **kw)
    except InputError as e:
        sub = "covariates"
        if e.column is not None and e.column == kw.get("outcome"):
            sub = "outcome"
        elif e.column is not None and e.column in (kw.get("time"), kw.get("event")):
            sub = "endpoint"
        raise ctx.error(sub, str(e), column=e.column, n_rows=e.n_rows) from None


def _record(ctx: AnalysisContext, an: AnalysisBase, r: ModelBuildingResult,
            adjusted: bool, extra: str = "") -> None:
    m = r.multivariable
    txt = r.method + extra
    if m.n_dropped:
        txt += f" ({m.n_dropped} row(s) with missing values left out of the multivariable model)"
    if adjusted:
        txt += "; on the adjusted cohort"
    ctx.methods[f"{an.type}:{an.name}"] = txt  # type: ignore[attr-defined]
    uni = {"wald": "Wald", "lr": "likelihood-ratio", "score": "score (log-rank)"}[
        r.univariate.test]
    ctx.tests.append(f"{an.name}: univariate {uni} test per term; multivariable "
                     f"{'Wald' if m.criterion != 'lr' else 'likelihood-ratio'} test per term "
                     "(factors: df = levels - 1)")


def execute_cox_models(ctx: AnalysisContext, an: CoxModelsAnalysis) -> ModelBuildingResult:
    """Run a ``cox_models`` analysis."""
    data, adjusted = ctx.cohort(an.cohort)
    time, event = ctx.endpoint(an.endpoint)
    design = ctx.cox_design(adjusted, data)
    if design["weights"] is not None:
        for key, val in (("criterion", an.criterion), ("univariate_test", an.univariate_test)):
            if val != "wald":
                raise ctx.error(key, f"the adjusted cohort is weighted ({design['weights']}): "
                                f"only Wald tests are valid (robust variance), not {val!r}; "
                                "set it to wald or use cohort: analysis")
    r = _call(ctx, data, an, kind="cox", time=time, event=event, ties=an.ties,
              strata=design["strata"] or None, cluster=design["cluster"],
              weights=design["weights"])
    extra = f"; Cox ({an.ties} ties)"
    if design["cluster"] is not None:
        extra += f", robust variance (cluster {design['cluster']})"
        if an.criterion == "lr" or an.univariate_test != "wald":
            extra += "; likelihood-ratio / score tests are model-based (ignore the clustering)"
    if design["strata"]:
        extra += f", stratified by {', '.join(design['strata'])}"
    _record(ctx, an, r, adjusted, extra)
    return r


def execute_logistic_models(ctx: AnalysisContext, an: LogisticModelsAnalysis
                            ) -> ModelBuildingResult:
    """Run a ``logistic_models`` analysis."""
    from hccstudy.design._expr import ExpressionError, evaluate

    data, adjusted = ctx.cohort(an.cohort, labelled=False)  # the outcome sees raw values
    w = ctx.weights(data, adjusted)
    if w is not None:
        raise ctx.error("cohort", f"logistic_models takes no case weights, but the adjusted "
                        f"cohort is weighted ({w}); use cohort: analysis")
    if an.outcome in data.columns:
        outcome = an.outcome
        extra = f"; outcome {an.outcome!r}"
    else:
        try:
            v = evaluate(an.outcome, data)
        except ExpressionError as e:
            raise ctx.error("outcome", str(e), column=e.column) from None
        vals = v.values if isinstance(v.values, pd.Series) else \
            pd.Series([v.values] * len(data), index=data.index)
        unknown = np.asarray(v.unknown, dtype=bool)
        known = pd.Series(np.asarray(vals, dtype=object), index=data.index)[~unknown]
        if not known.map(lambda x: isinstance(x, bool | np.bool_) or x in (0, 1)).all():
            raise ctx.error("outcome", f"outcome {an.outcome!r} must give True/False (or "
                            "0/1) for every row")
        y = pd.Series(np.where(unknown, np.nan, known.reindex(data.index).astype(float)),
                      index=data.index)
        data = data.copy()
        data[OUTCOME] = y.to_numpy()
        outcome = OUTCOME
        n_unknown = int(np.asarray(v.unknown).sum())
        extra = f"; outcome = {an.outcome}" + (
            f" ({n_unknown} row(s) with an unknown outcome left out)" if n_unknown else "")
    data = ctx.label(data, keep=[outcome])
    r = _call(ctx, data, an, kind="logistic", outcome=outcome)
    _record(ctx, an, r, adjusted, extra + "; unpenalised logistic regression (IRLS), Wald CIs "
            "for odds ratios")
    return r


SPECS = (CoxModelsAnalysis, LogisticModelsAnalysis)
EXECUTORS = {"cox_models": execute_cox_models, "logistic_models": execute_logistic_models}
