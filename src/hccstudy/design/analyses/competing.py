"""Competing failure types as a StudySpec analysis (type ``competing_risks``).

One analysis bundles, for an endpoint whose events have a failure type:

* the Aalen-Johansen cumulative incidence (CIF) of each type per group with
  cmprsk::cuminc's variance and pointwise CIs, at chosen ``times``
  (:func:`hccstudy.analyse.competing.cumulative_incidence`);
* Gray's K-sample test per type across the groups (:func:`~hccstudy.analyse.competing.gray_test`);
* optionally the Fine-Gray subdistribution hazard model of one type
  (:func:`~hccstudy.analyse.competing.fine_gray`, as cmprsk::crr) and the
  cause-specific Cox model with the same formula
  (:func:`~hccstudy.analyse.competing.cause_specific_cox`);
* optionally "PFS per failure type" as seed 001 reports it, 1 - Kaplan-Meier
  with the other failures and deaths censored, next to the CIF
  (:func:`~hccstudy.analyse.competing.failure_type_km`).

Coding: the endpoint gives time and "any event"; ``cause`` names the column
holding the failure type of each event. Rows without an event are censored
whatever ``cause`` holds; an event row must have a failure type. A death
without failure is a type of its own when the user codes it (e.g.
``death_without_failure``), which makes it a competing event.

Examples
--------
>>> import numpy as np, hccstudy
>>> d = hccstudy.datasets.load_demo()
>>> d["ftype"] = np.where(d["death"] == 1, np.where(d["pvi"] == 1, "local", "distant"), "")
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: fail, time: os_months, event: death == 1}]
... analyses: [{name: cr, type: competing_risks, endpoint: fail, cause: ftype, times: [12]}]
... ''', d)
>>> r.outcomes["cr"].causes
('distant', 'local')
>>> sorted(r.outcomes["cr"].to_frame()["part"].unique())
['cif', 'gray_test']
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse import competing as cr
from hccstudy.analyse._counting import group_label
from hccstudy.design._base import AnalysisBase, nonnegative_times
from hccstudy.design.analyses.extras import by_column, level_ordered, no_weights
from hccstudy.design.context import GROUP

if TYPE_CHECKING:  # pragma: no cover
    from hccstudy.analyse.cox import CoxResult
    from hccstudy.design.context import AnalysisContext

__all__ = ["CompetingRisksAnalysis", "CompetingRisksResult", "execute_competing_risks"]

_FRAME_COLUMNS = ["part", "group", "cause", "time", "term", "n_risk", "estimate", "std_err",
                  "ci_lower", "ci_upper", "statistic", "df", "p_value"]


class CompetingRisksAnalysis(AnalysisBase):
    """Cumulative incidence of competing failure types, Gray's test, Fine-Gray, 1 - KM."""

    type: Literal["competing_risks"]
    endpoint: str = Field(description="Endpoint giving the time and 'any event'.")
    cause: str = Field(description="Column holding the failure type of each event; rows "
                       "without an event are censored whatever it holds.")
    causes: list[str | int | float] | None = Field(
        default=None, description="The failure types, in report order (default: every type "
        "observed among the events, sorted); an event of another type is an error.")
    by: str | None = Field(default=GROUP, description="Grouping column: '@group' (default) "
                           "is the study group, null is one overall set of curves.")
    times: list[float] = Field(default_factory=list, description="Times (endpoint units) at "
                               "which the CIF is reported (as cmprsk::timepoints).")
    gray_test: bool = Field(default=True, description="Gray's K-sample test per type across "
                            "the `by` groups (not run without groups or with one level, "
                            "which the methods text states).")
    rho: float = Field(default=0.0, description="Power of Gray's weight (1 - F(t-))^rho.")
    fine_gray: str | None = Field(default=None, description="Right-hand side of a Fine-Gray "
                                  "subdistribution hazard model (formulaic syntax), or null.")
    failure_cause: str | int | float | None = Field(
        default=None, description="The failure type modelled by `fine_gray` (required with "
        "it; cmprsk::crr failcode).")
    cause_specific_cox: bool = Field(default=False, description="Also fit the cause-specific "
                                     "Cox model (other types censored) with the `fine_gray` "
                                     "formula for `failure_cause`.")
    failure_type_km: bool = Field(default=False, description="Also report 1 - Kaplan-Meier per "
                                  "type with other failures and deaths censored ('PFS per "
                                  "failure type', seed 001) next to the CIF.")
    conf_type: Literal["log-log", "log", "plain"] = Field(
        default="log-log", description="Transform of the pointwise CIF CI.")
    conf_level: float = Field(default=0.95, gt=0, lt=1)

    _times = field_validator("times")(nonnegative_times)

    @field_validator("causes")
    @classmethod
    def _causes(cls, v: list[str | int | float] | None) -> list[str | int | float] | None:
        if v is not None:
            labels = [group_label(c) for c in v]
            if not labels:
                raise ValueError("causes must list at least one failure type")
            if len(set(labels)) != len(labels):
                raise ValueError("causes must not repeat a failure type")
        return v

    @model_validator(mode="after")
    def _model(self) -> CompetingRisksAnalysis:
        if self.fine_gray is not None and self.failure_cause is None:
            raise ValueError("fine_gray needs failure_cause (the failure type modelled)")
        if self.cause_specific_cox and self.fine_gray is None:
            raise ValueError("cause_specific_cox uses the fine_gray formula: give fine_gray")
        return self


@dataclass(frozen=True, slots=True, eq=False)
class CompetingRisksResult(HtmlReprMixin):
    """Result of a ``competing_risks`` analysis: aggregates only.

    Attributes
    ----------
    endpoint, cause_column : str
    by : str or None
        The grouping column (None: overall).
    causes : tuple of str
        Failure-type labels in report order.
    times : tuple of float
        The report times of :meth:`cif_at` and :meth:`to_frame`.
    adjusted : bool
        Whether the analysis ran on the matched cohort.
    n : int
        Patients analysed.
    n_censored : int
        Patients without an event.
    cif : hccstudy.analyse.competing.CumulativeIncidenceResult
    gray : hccstudy.analyse.competing.GrayTestResult or None
    fine_gray : hccstudy.analyse.competing.FineGrayResult or None
    cause_specific : hccstudy.analyse.cox.CoxResult or None
    failure_type_km : hccstudy.analyse.competing.FailureTypeResult or None
    method : str
        The methods text: estimators, tests, and why 1 - KM per type and the CIF differ.
    """

    endpoint: str
    cause_column: str
    by: str | None
    causes: tuple[str, ...]
    times: tuple[float, ...]
    adjusted: bool
    n: int
    n_censored: int
    cif: cr.CumulativeIncidenceResult
    gray: cr.GrayTestResult | None
    fine_gray: cr.FineGrayResult | None
    cause_specific: CoxResult | None
    failure_type_km: cr.FailureTypeResult | None
    method: str

    def n_events(self) -> pd.DataFrame:
        """Failures per group and type: columns group, cause, n_events."""
        return pd.DataFrame([(g, c, n) for (g, c), n in self.cif.n_events.items()],
                            columns=["group", "cause", "n_events"])

    def cif_at(self, times: float | list[float] | None = None) -> pd.DataFrame:
        """CIF per group and type at ``times`` (default the spec's ``times``), as cmprsk::timepoints."""
        tt = list(self.times) if times is None else times
        return self.cif.at(tt)

    def to_frame(self) -> pd.DataFrame:
        """Every part in one long numeric frame, one row per estimate.

        Columns: part ("cif", "one_minus_km", "gray_test", "fine_gray",
        "cause_specific_cox"), group, cause, time, term, n_risk, estimate,
        std_err, ci_lower, ci_upper, statistic, df, p_value. ``estimate`` is the
        CIF or 1 - KM at ``time`` (at the spec's ``times``; every distinct time
        when none were given), and the (subdistribution or cause-specific)
        hazard ratio of ``term`` with ``std_err`` the SE of its log.
        """
        parts: list[pd.DataFrame] = []
        if self.times:
            c = self.cif.at(list(self.times))
            c["n_risk"] = np.nan
        else:
            c = self.cif.table()
        parts.append(c.assign(part="cif", estimate=c["cif"]))
        if self.failure_type_km is not None:
            ft = self.failure_type_km
            k = ft.at(list(self.times)) if self.times else ft.table()
            parts.append(k.assign(part="one_minus_km", estimate=k["one_minus_km"]))
        if self.gray is not None:
            g = self.gray.table()
            parts.append(g.assign(part="gray_test"))
        if self.fine_gray is not None:
            h = self.fine_gray.hazard_ratios(self.cif.conf_level)
            parts.append(pd.DataFrame({
                "part": "fine_gray", "cause": self.fine_gray.cause, "term": h["term"],
                "estimate": h["hr"], "std_err": h["se"], "ci_lower": h["ci_lower"],
                "ci_upper": h["ci_upper"], "statistic": h["z"], "p_value": h["p_value"]}))
        if self.cause_specific is not None:
            h = self.cause_specific.hazard_ratios(self.cif.conf_level)
            assert self.fine_gray is not None
            parts.append(pd.DataFrame({
                "part": "cause_specific_cox", "cause": self.fine_gray.cause,
                "term": h.index.to_numpy(), "estimate": h["hr"].to_numpy(),
                "std_err": h["se"].to_numpy(), "ci_lower": h["ci_lower"].to_numpy(),
                "ci_upper": h["ci_upper"].to_numpy(), "statistic": h["z"].to_numpy(),
                "p_value": h["p"].to_numpy()}))
        out = pd.concat([p.reindex(columns=_FRAME_COLUMNS) for p in parts], ignore_index=True)
        num = ["time", "n_risk", "estimate", "std_err", "ci_lower", "ci_upper", "statistic",
               "df", "p_value"]
        return out.astype({c: float for c in num})

    def summary(self) -> str:
        """Printable text: counts, CIF at the times, the tests and models, the method."""
        ev = self.n_events()
        lines = [f"Competing risks: endpoint {self.endpoint}, failure types from "
                 f"{self.cause_column!r}" + (f" by {self.by}" if self.by else "")
                 + f"; n = {self.n}, censored = {self.n_censored}",
                 ev.to_string(index=False)]
        if self.times:
            lines += ["", "Cumulative incidence:",
                      self.cif_at().round(4).to_string(index=False)]
        if self.failure_type_km is not None and self.times:
            lines += ["", "1 - KM (other failures censored) vs CIF:",
                      self.failure_type_km.at(list(self.times)).round(4).to_string(index=False)]
        if self.gray is not None:
            lines += ["", "Gray's test:", self.gray.table().to_string(index=False)]
        if self.fine_gray is not None:
            lines += ["", f"Fine-Gray, cause {self.fine_gray.cause}:",
                      self.fine_gray.hazard_ratios().to_string(index=False)]
        if self.cause_specific is not None:
            lines += ["", "Cause-specific Cox:", self.cause_specific.hazard_ratios()
                      .drop(columns="unstable").to_string()]
        lines += ["", self.method]
        return "\n".join(lines)

    def __repr__(self) -> str:
        parts = ["cif"] + [name for name, v in (
            ("gray", self.gray), ("fine_gray", self.fine_gray),
            ("cause_specific", self.cause_specific),
            ("failure_type_km", self.failure_type_km)) if v is not None]
        return (f"CompetingRisksResult(endpoint={self.endpoint!r}, causes={self.causes}, "
                f"by={self.by!r}, n={self.n}, n_censored={self.n_censored}, parts={parts})")


# -------------------------------------------------------------------- executor
def _censor_label(labels: list[str]) -> str:
    code = "censored"
    while code in labels:
        code = "_" + code
    return code


def _cause_values(ctx: AnalysisContext, an: CompetingRisksAnalysis, raw: pd.Series,
                  ev: np.ndarray) -> tuple[pd.Series, list[str]]:
    """Failure-type labels of the event rows (None elsewhere) and the ordered type labels."""
    col = an.cause
    miss = ev & raw.isna().to_numpy()
    if miss.any():
        raise ctx.error("cause", f"{int(miss.sum())} row(s) with an event of endpoint "
                        f"{an.endpoint!r} have no failure type in column {col!r}; rule: "
                        "every event has a failure type", column=col, n_rows=int(miss.sum()))
    values = raw[ev]
    uniq = pd.unique(values.to_numpy(dtype=object))
    try:
        uniq = np.sort(uniq)
    except TypeError:  # mixed types: order by label
        uniq = np.asarray(sorted(uniq, key=group_label), dtype=object)
    found = [group_label(u) for u in uniq]
    lab = pd.Series(None, index=raw.index, dtype=object)
    lab[ev] = [group_label(v) for v in values.to_numpy(dtype=object)]
    if an.causes is None:
        if not found:
            raise ctx.error("endpoint", f"no events of endpoint {an.endpoint!r} in the "
                            "cohort; rule: at least one failure")
        return lab, found
    declared = [group_label(c) for c in an.causes]
    bad = ev & ~lab.isin(declared).to_numpy()
    if bad.any():
        other = sorted(set(found) - set(declared))
        raise ctx.error("causes", f"{int(bad.sum())} event row(s) have a failure type in "
                        f"column {col!r} that is not in causes {declared} (types found: "
                        f"{other}); rule: failure types declared", column=col,
                        n_rows=int(bad.sum()))
    return lab, declared


def execute_competing_risks(ctx: AnalysisContext, an: CompetingRisksAnalysis
                            ) -> CompetingRisksResult:
    """Run a ``competing_risks`` analysis (see :class:`CompetingRisksAnalysis`).

    Builds a status column (the failure-type label for events, a censor code
    otherwise) and calls the functions of :mod:`hccstudy.analyse.competing` on
    the cohort. Errors name the spec key; case weights (IPTW) are refused.
    """
    # the failure types keep their raw codes (the spec names them in causes and
    # failure_cause); value labels apply to the other columns (by)
    d, adjusted = ctx.cohort(an.cohort, labelled=False)
    d = ctx.label(d, keep=[an.cause])
    time, event = ctx.endpoint(an.endpoint)
    col = ctx.column(d, an.cause, "cause")
    by = by_column(ctx, d, an.by)
    no_weights(ctx, d, adjusted, "competing_risks (CIF, Gray's test, Fine-Gray)")
    ev = d[event].to_numpy() == 1
    lab, causes = _cause_values(ctx, an, d[col], ev)
    censor = _censor_label(causes)
    data = level_ordered(ctx, d, by).copy()
    data[col] = lab.where(pd.Series(ev, index=lab.index), censor)
    keys: dict[str, str] = {col: "cause", "causes exclude the censor code": "causes",
                            "conf_type option": "conf_type"}
    if by is not None:
        keys[by] = "by"
    opts: dict[str, Hashable] = {"censor_code": censor}
    cif = ctx.call(keys, cr.cumulative_incidence, data, time, col, by, causes=causes,
               conf_level=an.conf_level, conf_type=an.conf_type, **opts)
    gray = None
    one_group = by is not None and data[by].nunique() < 2
    if an.gray_test and by is not None and not one_group:
        gray = ctx.call(keys, cr.gray_test, data, time, col, by, causes=causes, rho=an.rho,
                    **opts)
    fg = cs = None
    fc_label: str | None = None
    if an.fine_gray is not None:
        fc_label = group_label(an.failure_cause)
        if fc_label not in causes:
            raise ctx.error("failure_cause", f"failure_cause {fc_label!r} is not a failure "
                            f"type of column {col!r} (types: {causes})", column=col)
        fkeys = keys | {"valid formula without missing values": "fine_gray",
                        "no missing values": "fine_gray",
                        "at least one failure of the cause": "failure_cause"}
        fg = ctx.call(fkeys, cr.fine_gray, data, an.fine_gray, time=time, status=col,
                  cause=fc_label, **opts)
        if an.cause_specific_cox:
            design = ctx.cox_design(adjusted, data)
            cs = ctx.call(fkeys, cr.cause_specific_cox, data, an.fine_gray, time=time,
                      status=col, cause=fc_label, cluster=design["cluster"],
                      strata=design["strata"] or None, conf_level=an.conf_level, **opts)
    ft = None
    if an.failure_type_km:
        ft = ctx.call(keys, cr.failure_type_km, data, time, col, by, causes=causes, **opts)
    method = _method(an, causes, by, adjusted, gray is not None, fc_label, cs is not None,
                     ft)
    if an.gray_test and one_group:
        method += f" Gray's test was not run: {by} has one level in this cohort."
    ctx.methods[f"competing_risks:{an.name}"] = method
    if gray is not None:
        ctx.tests.append(f"{an.name}: Gray's K-sample test per failure type (rho = "
                         f"{an.rho:g}, R cmprsk::cuminc)")
    if fg is not None:
        ctx.tests.append(f"{an.name}: Fine-Gray Wald tests (sandwich SE, R cmprsk::crr)")
    if cs is not None:
        ctx.tests.append(f"{an.name}: cause-specific Cox Wald tests")
    return CompetingRisksResult(
        endpoint=an.endpoint, cause_column=col, by=by, causes=tuple(causes),
        times=tuple(float(t) for t in an.times), adjusted=adjusted, n=len(data),
        n_censored=int((~ev).sum()), cif=cif, gray=gray, fine_gray=fg, cause_specific=cs,
        failure_type_km=ft, method=method)


def _method(an: CompetingRisksAnalysis, causes: list[str], by: str | None, adjusted: bool,
            gray: bool, fc: str | None, cs: bool, ft: cr.FailureTypeResult | None) -> str:
    level = f"{round(100 * an.conf_level, 6):g}%"
    s = [f"Failure types of endpoint {an.endpoint} from column {an.cause!r} ({', '.join(causes)})"
         f": the cumulative incidence function (CIF) of each type"
         + (f" by {by}" if by else "")
         + " was estimated by the Aalen-Johansen estimator with the variance of R "
         f"cmprsk::cuminc and pointwise {level} CIs on the {an.conf_type} scale; failures "
         "of the other types (and deaths, when coded as a type) are competing events, "
         "patients without an event are censored."]
    if gray:
        s.append(f"Groups were compared by Gray's K-sample test (rho = {an.rho:g}) per type.")
    if fc is not None:
        s.append(f"Type {fc} was modelled by the Fine-Gray subdistribution hazard model "
                 f"(R cmprsk::crr; {an.fine_gray}; sandwich variance)"
                 + (", and by the cause-specific Cox model (other types censored), whose "
                    "hazard ratio is for the rate among those still free of any failure, "
                    "not for the incidence" if cs else "") + ".")
    if ft is not None:
        s.append(ft.method)
    else:
        s.append("The CIF, not 1 - Kaplan-Meier with the other failures censored, is "
                 "reported: 1 - KM treats competing events as if the patient stayed at risk "
                 "and overstates the incidence when competing events occur.")
    if adjusted:
        s.append("On the adjusted (matched) cohort; the matched sets are not used in the CIF "
                 "variances, Gray's test or the Fine-Gray variance.")
    return " ".join(s)


SPECS = (CompetingRisksAnalysis,)
EXECUTORS: dict[str, Callable[..., Any]] = {"competing_risks": execute_competing_risks}
