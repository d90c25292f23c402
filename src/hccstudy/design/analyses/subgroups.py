"""Subgroup analyses as a StudySpec analysis: treatment HR per level and interaction p.

Spec type ``subgroups`` (``analyses: [{name: ..., type: subgroups, ...}]``): the
HR of each study group against the reference (two groups) within each level of
each variable, with n and events per arm and the likelihood-ratio test of
treatment x variable (:func:`hccstudy.analyse.subgroups.subgroup_analysis`).
Continuous variables need ``cuts``. On a matched / weighted cohort the study's
outcome variance is used (cluster, strata or robust with IPTW weights). The
method sentence goes to ``methods["subgroups:<name>"]``.

Examples
--------
>>> import hccstudy
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses:
...   - {name: sg, type: subgroups, endpoint: os, variables: [sex, tumour_size_cm],
...      cuts: {tumour_size_cm: [5]}}
... ''', hccstudy.datasets.load_demo())
>>> r.outcomes["sg"].to_frame()["variable"].tolist()
['Overall', 'sex', 'sex', 'tumour_size_cm', 'tumour_size_cm']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from hccstudy.analyse.subgroups import SubgroupResult, subgroup_analysis
from hccstudy.design._base import AnalysisBase
from hccstudy.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from hccstudy.design.context import AnalysisContext

__all__ = ["SubgroupsAnalysis"]


class SubgroupsAnalysis(AnalysisBase):
    """Treatment HR within subgroups with interaction tests (forest plot)."""

    type: Literal["subgroups"]
    endpoint: str
    variables: list[str] = Field(min_length=1, description="Subgroup columns.")
    cuts: dict[str, list[float]] = Field(
        default_factory=dict, description="Cut points of continuous variables, e.g. "
        "{tumour_size_cm: [5]} gives '< 5' and '>= 5'.")
    adjust_for: list[str] = Field(default_factory=list,
                                  description="Terms added to every model.")
    ties: Literal["efron", "breslow"] = "efron"
    conf_level: float = Field(default=0.95, gt=0, lt=1)
    interaction_test: Literal["lr", "wald"] = Field(
        default="lr", description="Likelihood-ratio test of treatment + variable vs "
        "treatment * variable (default), or Wald test of the interaction terms.")

    @model_validator(mode="after")
    def _cuts(self) -> SubgroupsAnalysis:
        bad = [k for k in self.cuts if k not in self.variables]
        if bad:
            raise ValueError(f"cuts given for {bad}, which are not in variables")
        return self


def execute_subgroups(ctx: AnalysisContext, an: SubgroupsAnalysis) -> SubgroupResult:
    """Run a ``subgroups`` analysis."""
    data, adjusted = ctx.cohort(an.cohort)
    if len(ctx.levels) != 2:
        raise ctx.error("", f"subgroups need two study groups, not {len(ctx.levels)}")
    time, event = ctx.endpoint(an.endpoint)
    design = ctx.cox_design(adjusted, data)
    if design["weights"] is not None and an.interaction_test == "lr":
        raise ctx.error("interaction_test", f"the adjusted cohort is weighted "
                        f"({design['weights']}): the interaction needs the Wald test (robust "
                        "variance); set interaction_test: wald or use cohort: analysis")
    try:
        r = subgroup_analysis(data, ctx.group, an.variables, time=time, event=event,
                              reference=ctx.reference, cuts=an.cuts, adjust_for=an.adjust_for,
                              ties=an.ties, conf_level=an.conf_level,
                              interaction_test=an.interaction_test,
                              strata=design["strata"] or None, cluster=design["cluster"],
                              weights=design["weights"])
    except InputError as e:
        sub = "variables"
        if e.column is not None and e.column in an.cuts:
            sub = "cuts"
        elif e.column is not None and any(e.column in a for a in an.adjust_for):
            sub = "adjust_for"
        raise ctx.error(sub, str(e), column=e.column, n_rows=e.n_rows) from None
    txt = r.method
    if design["cluster"] is not None:
        txt += f"; robust variance (cluster {design['cluster']})"
        if an.interaction_test == "lr":
            txt += "; the likelihood-ratio interaction test is model-based (ignores clustering)"
    if design["strata"]:
        txt += f"; stratified by {', '.join(design['strata'])}"
    if adjusted:
        txt += "; on the adjusted cohort"
    ctx.methods[f"subgroups:{an.name}"] = txt
    ctx.tests.append(f"{an.name}: subgroup HRs by Wald test; interaction by "
                     + ("likelihood-ratio test" if an.interaction_test == "lr" else "Wald test"))
    return r


SPECS = (SubgroupsAnalysis,)
EXECUTORS = {"subgroups": execute_subgroups}
