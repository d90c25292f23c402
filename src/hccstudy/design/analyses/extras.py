"""Survival extras as StudySpec analyses: x-year rates, milestone, RMST, follow-up, landmark.

Spec types (``analyses: [{name: ..., type: ..., ...}]``):

* ``survival_rates`` -- Kaplan-Meier rates at fixed times with CIs per group and the
  milestone test of each group against the reference
  (:func:`hccstudy.analyse.survival_extras.survival_rates`);
* ``milestone`` -- difference of Kaplan-Meier survival at a time between two groups
  (:func:`~hccstudy.analyse.survival_extras.milestone`);
* ``rmst`` -- restricted mean survival time difference and ratio up to ``tau``
  (:func:`~hccstudy.analyse.survival_extras.rmst_contrast`);
* ``followup`` -- median follow-up by the reverse Kaplan-Meier method
  (:func:`~hccstudy.analyse.survival_extras.median_followup`);
* ``landmark`` -- the analysis of the patients alive and under follow-up at a landmark
  (:func:`~hccstudy.analyse.survival_extras.landmark`).

``by`` defaults to the study group (``"@group"``); ``null`` means one overall
curve where the analysis allows it. None of these estimators takes case
weights: on an IPTW cohort (or matching with weights other than 1) the
executor raises an error naming the spec key ``cohort``. Each executor records
its method sentence in the study's methods (key ``"<type>:<name>"``) and its
tests in ``methods["tests"]``. Results are frozen and hold aggregates only.

Examples
--------
>>> import hccstudy
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses: [{name: os12, type: milestone, endpoint: os, at: 12}]
... ''', hccstudy.datasets.load_demo())
>>> r.outcomes["os12"].to_frame()[["measure", "reference", "group", "at"]]
               measure reference group    at
0  survival difference  non-CCRT  CCRT  12.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import Field, field_validator

from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse import survival_extras as sx
from hccstudy.analyse._counting import group_label
from hccstudy.design._base import AnalysisBase, nonnegative_times
from hccstudy.design.context import GROUP

if TYPE_CHECKING:  # pragma: no cover
    from hccstudy.design.context import AnalysisContext

__all__ = [
    "GROUP",
    "ContrastAnalysisResult",
    "FollowupAnalysis",
    "FollowupAnalysisResult",
    "LandmarkAnalysis",
    "LandmarkAnalysisResult",
    "MilestoneAnalysis",
    "RatesAnalysisResult",
    "RmstAnalysis",
    "SurvivalRatesAnalysis",
]


_BY_DOC = ("Grouping column: '@group' (default) is the study group, null is one overall "
           "curve, or any column of the analysis frame.")
_BY2_DOC = ("Grouping column with exactly two levels: '@group' (default) is the study "
            "group, or any column of the analysis frame.")
_REF_DOC = ("Reference level of the comparison (default: the study reference when `by` is "
            "the group, else the first level).")


# --------------------------------------------------------------------- helpers
def by_column(ctx: AnalysisContext, data: pd.DataFrame, by: str | None,
              subkey: str = "by") -> str | None:
    """The grouping column of ``by`` on ``data`` (``"@group"`` -> the group column)."""
    if by is None:
        return None
    col = ctx.group if by == GROUP else by
    return ctx.column(data, col, subkey)


def level_ordered(ctx: AnalysisContext, data: pd.DataFrame, col: str | None) -> pd.DataFrame:
    """``data`` with the study group column in the spec's level order (``groups.levels``).

    When ``col`` is the group column it becomes a pandas Categorical whose categories are
    the study levels present, so curves, tables and figures by group list the groups in
    that order (the analysis functions keep a Categorical's order); other columns are
    left as they are.
    """
    if col is None or col != ctx.group or col not in data:
        return data
    levels = [str(v) for v in ctx.levels]
    values = data[col]
    if isinstance(values.dtype, pd.CategoricalDtype) or not values.isin(levels).all():
        return data
    present = set(values.unique().tolist())
    return data.assign(**{col: pd.Categorical(values, categories=[v for v in levels
                                                                    if v in present])})


def reference_level(ctx: AnalysisContext, data: pd.DataFrame, col: str | None,
                    reference: str | None) -> str | None:
    """The explicit reference (checked), else the study reference when ``by`` is the group."""
    if reference is not None:
        if col is None:
            raise ctx.error("reference", "a reference level needs groups (by)")
        levels = sorted({group_label(v) for v in data[col].dropna().unique()})
        if reference not in levels:
            raise ctx.error("reference", f"reference {reference!r} is not a level of "
                            f"{col!r} (levels: {levels})", column=col)
        return reference
    if col is not None and col == ctx.group:
        return ctx.reference
    return None


def no_weights(ctx: AnalysisContext, data: pd.DataFrame, adjusted: bool, what: str) -> None:
    """Raise an error naming ``cohort`` when the cohort needs case weights."""
    w = ctx.weights(data, adjusted)
    if w is not None:
        raise ctx.error("cohort", f"{what} takes no case weights, but the adjusted cohort is "
                        f"weighted ({w}); use cohort: analysis, or a weighted km / cox "
                        "analysis")




def _adjusted_note(adjusted: bool) -> str:
    return (" On the adjusted (matched) cohort; the matched sets are not used in the "
            "variances." if adjusted else "")


def _record(ctx: AnalysisContext, an: AnalysisBase, method: str, test: str | None) -> None:
    ctx.methods[f"{an.type}:{an.name}"] = method  # type: ignore[attr-defined]
    if test is not None:
        ctx.tests.append(f"{an.name}: {test}")


# ------------------------------------------------------------------------ specs
class SurvivalRatesAnalysis(AnalysisBase):
    """x-year Kaplan-Meier rates with CIs per group, each group compared with the reference."""

    type: Literal["survival_rates"]
    endpoint: str
    times: list[float] = Field(min_length=1, description="Times (in the endpoint's units), "
                               "e.g. [12, 24, 36] months.")
    by: str | None = Field(default=GROUP, description=_BY_DOC)
    reference: str | None = Field(default=None, description=_REF_DOC)
    conf_type: Literal["log", "log-log", "plain"] = Field(
        default="log", description="CI transform of each rate (R survfit conf.type).")
    conf_level: float = Field(default=0.95, gt=0, lt=1)

    _times = field_validator("times")(nonnegative_times)


class MilestoneAnalysis(AnalysisBase):
    """Difference of Kaplan-Meier survival at a time between two groups (Wald CI, z-test)."""

    type: Literal["milestone"]
    endpoint: str
    at: float = Field(ge=0, description="The milestone time (endpoint units).")
    by: str = Field(default=GROUP, description=_BY2_DOC)
    reference: str | None = Field(default=None, description=_REF_DOC)
    conf_level: float = Field(default=0.95, gt=0, lt=1)


class RmstAnalysis(AnalysisBase):
    """Restricted mean survival time difference and ratio up to ``tau`` (as survRM2::rmst2)."""

    type: Literal["rmst"]
    endpoint: str
    tau: float = Field(gt=0, description="Truncation time (endpoint units).")
    by: str = Field(default=GROUP, description=_BY2_DOC)
    reference: str | None = Field(default=None, description=_REF_DOC)
    conf_level: float = Field(default=0.95, gt=0, lt=1)


class FollowupAnalysis(AnalysisBase):
    """Median follow-up by the reverse Kaplan-Meier method (censoring as the event)."""

    type: Literal["followup"]
    endpoint: str
    by: str | None = Field(default=GROUP, description=_BY_DOC)


class LandmarkAnalysis(AnalysisBase):
    """Landmark analysis: patients alive and under follow-up at ``at``, clock reset there."""

    type: Literal["landmark"]
    endpoint: str
    at: float = Field(gt=0, description="The landmark time (endpoint units).")
    by: str | None = Field(default=GROUP, description=_BY_DOC + " With groups: log-rank test.")
    conf_type: Literal["log", "log-log", "plain"] = "log"


# ---------------------------------------------------------------------- results
_CONTRAST_COLS = ["measure", "reference", "group", "at", "estimate", "ci_lower", "ci_upper",
                  "p_value"]


@dataclass(frozen=True, slots=True, eq=False)
class RatesAnalysisResult(HtmlReprMixin):
    """Result of a ``survival_rates`` analysis.

    Attributes
    ----------
    endpoint : str
    by : str or None
        The grouping column (None: overall).
    rates : hccstudy.analyse.survival_extras.RatesResult
    method : str
    """

    endpoint: str
    by: str | None
    rates: sx.RatesResult
    method: str

    def comparisons(self) -> pd.DataFrame:
        """Milestone tests of each group against the reference at each time."""
        return self.rates.comparisons()

    def to_frame(self) -> pd.DataFrame:
        """Rates per (group, time) with the difference to the reference and its p-value.

        Columns group, time, n_risk, survival, std_err, ci_lower, ci_upper,
        difference, difference_ci_lower, difference_ci_upper, p_value (missing
        for the reference group, overall curves and times after a group's follow-up).
        """
        r = self.rates.table()
        c = self.rates.comparisons()
        c = c.rename(columns={"at": "time", "estimate": "difference",
                              "ci_lower": "difference_ci_lower",
                              "ci_upper": "difference_ci_upper"})
        c = c[["group", "time", "difference", "difference_ci_lower", "difference_ci_upper",
               "p_value"]].astype({"difference": float, "difference_ci_lower": float,
                                   "difference_ci_upper": float, "p_value": float})
        r["time"] = r["time"].astype(float)
        c["time"] = c["time"].astype(float)
        return r.merge(c, on=["group", "time"], how="left")

    def summary(self) -> str:
        """Printable text: the rates table and the method."""
        return (f"Survival rates ({self.endpoint}"
                + (f" by {self.by})" if self.by else ")") + "\n"
                + self.to_frame().to_string(index=False) + "\n" + self.method)

    def __repr__(self) -> str:
        t = self.rates.table()
        return (f"RatesAnalysisResult(endpoint={self.endpoint!r}, by={self.by!r}, "
                f"groups={sorted(t['group'].astype(str).unique())}, "
                f"times={sorted(t['time'].unique().tolist())})")


@dataclass(frozen=True, slots=True, eq=False)
class ContrastAnalysisResult(HtmlReprMixin):
    """Result of a ``milestone`` (one contrast) or ``rmst`` (difference and ratio) analysis.

    Attributes
    ----------
    endpoint : str
    by : str
    contrasts : tuple of hccstudy.analyse.survival_extras.ContrastResult
    method : str
    """

    endpoint: str
    by: str
    contrasts: tuple[sx.ContrastResult, ...]
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per contrast.

        Columns measure, reference, group, at, estimate, ci_lower, ci_upper,
        p_value, value_reference, value_group, std_err_reference, std_err_group
        (the per-group survival or RMST and their standard errors).
        """
        rows = []
        for c in self.contrasts:
            row: dict[str, Any] = {k: getattr(c, k) for k in _CONTRAST_COLS}
            row.update(value_reference=c.values[0], value_group=c.values[1],
                       std_err_reference=c.std_errs[0], std_err_group=c.std_errs[1])
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Printable text: the contrasts and the method."""
        return (f"{self.contrasts[0].measure.split()[0]} contrast ({self.endpoint} by "
                f"{self.by})\n" + self.to_frame().to_string(index=False) + "\n" + self.method)

    def __repr__(self) -> str:
        parts = ", ".join(f"{c.measure} {c.estimate:.4g} ({c.ci_lower:.4g}, {c.ci_upper:.4g}) "
                          f"p={c.p_value:.3g}" for c in self.contrasts)
        c0 = self.contrasts[0]
        return (f"ContrastAnalysisResult({c0.group!r} vs {c0.reference!r} at {c0.at:g}: "
                f"{parts})")


@dataclass(frozen=True, slots=True, eq=False)
class FollowupAnalysisResult(HtmlReprMixin):
    """Result of a ``followup`` analysis.

    Attributes
    ----------
    endpoint : str
    by : str or None
    followup : hccstudy.analyse.survival_extras.FollowupResult
    method : str
    """

    endpoint: str
    by: str | None
    followup: sx.FollowupResult
    method: str

    def to_frame(self) -> pd.DataFrame:
        """Columns group, median, ci_lower, ci_upper (reverse Kaplan-Meier)."""
        return self.followup.table()

    def summary(self) -> str:
        """Printable text: the medians and the method."""
        return (f"Median follow-up ({self.endpoint})\n"
                + self.to_frame().to_string(index=False) + "\n" + self.method)

    def __repr__(self) -> str:
        t = self.to_frame()
        med = ", ".join(f"{g}: {m:.4g}" for g, m in zip(t["group"], t["median"], strict=True))
        return f"FollowupAnalysisResult(endpoint={self.endpoint!r}, median follow-up {med})"


@dataclass(frozen=True, slots=True, eq=False)
class LandmarkAnalysisResult(HtmlReprMixin):
    """Result of a ``landmark`` analysis.

    Attributes
    ----------
    endpoint : str
    by : str or None
    landmark : hccstudy.analyse.survival_extras.LandmarkResult
    method : str
    """

    endpoint: str
    by: str | None
    landmark: sx.LandmarkResult
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per group of the patients analysed from the landmark.

        Columns landmark, group, n, n_events, median, ci_lower, ci_upper (time
        since the landmark), and, repeated on every row, n_total,
        n_excluded_event, n_excluded_censored, logrank_statistic, logrank_df,
        logrank_p (missing without groups).
        """
        lm = self.landmark
        t = lm.km.median()
        t.insert(0, "landmark", lm.landmark)
        t["n_total"] = lm.n_total
        t["n_excluded_event"] = lm.n_excluded_event
        t["n_excluded_censored"] = lm.n_excluded_censored
        lr = lm.logrank
        t["logrank_statistic"] = lr.statistic if lr is not None else float("nan")
        t["logrank_df"] = lr.df if lr is not None else float("nan")
        t["logrank_p"] = lr.p_value if lr is not None else float("nan")
        return t

    def summary(self) -> str:
        """Printable text: counts, medians from the landmark, the log-rank test, the method."""
        return (f"Landmark analysis ({self.endpoint}) at {self.landmark.landmark:g}\n"
                + self.to_frame().to_string(index=False) + "\n" + self.method)

    def __repr__(self) -> str:
        lm = self.landmark
        p = f", log-rank p={lm.logrank.p_value:.3g}" if lm.logrank is not None else ""
        return (f"LandmarkAnalysisResult(landmark={lm.landmark:g}, n_analysed={lm.n_analysed}, "
                f"n_excluded_event={lm.n_excluded_event}, "
                f"n_excluded_censored={lm.n_excluded_censored}{p})")


# -------------------------------------------------------------------- executors
def _setup(ctx: AnalysisContext, an: Any, what: str, by_required: bool
           ) -> tuple[pd.DataFrame, bool, str, str, str | None]:
    d, adjusted = ctx.cohort(an.cohort)
    time, event = ctx.endpoint(an.endpoint)
    by = by_column(ctx, d, an.by)
    if by_required and by is None:  # pragma: no cover - the spec types forbid null
        raise ctx.error("by", f"{what} needs two groups")
    no_weights(ctx, d, adjusted, what)
    return level_ordered(ctx, d, by), adjusted, time, event, by


def execute_survival_rates(ctx: AnalysisContext, an: SurvivalRatesAnalysis
                           ) -> RatesAnalysisResult:
    """Run a ``survival_rates`` analysis (see :class:`SurvivalRatesAnalysis`)."""
    d, adjusted, time, event, by = _setup(ctx, an, "survival_rates", False)
    ref = reference_level(ctx, d, by, an.reference)
    keys = {by: "by"} if by is not None else {}
    res = ctx.call(keys | {"reference is a level": "reference"}, sx.survival_rates,
               d, time, event, by, an.times, conf_type=an.conf_type,
               conf_level=an.conf_level, reference=ref)
    method = (f"{an.endpoint}: " + res.method + _adjusted_note(adjusted))
    _record(ctx, an, method, "difference of Kaplan-Meier rates vs the reference (z-test, "
            "Greenwood SE)" if by is not None else None)
    return RatesAnalysisResult(an.endpoint, by, res, method)


def execute_milestone(ctx: AnalysisContext, an: MilestoneAnalysis) -> ContrastAnalysisResult:
    """Run a ``milestone`` analysis (see :class:`MilestoneAnalysis`)."""
    d, adjusted, time, event, by = _setup(ctx, an, "milestone", True)
    assert by is not None
    ref = reference_level(ctx, d, by, an.reference)
    res = ctx.call({by: "by", "reference is a level": "reference",
                     "time within follow-up": "at"}, sx.milestone, d, time, event, by, an.at,
               reference=ref, conf_level=an.conf_level)
    method = f"{an.endpoint}: " + res.method + _adjusted_note(adjusted)
    _record(ctx, an, method, f"milestone survival difference at {an.at:g} (z-test)")
    return ContrastAnalysisResult(an.endpoint, by, (res,), method)


def execute_rmst(ctx: AnalysisContext, an: RmstAnalysis) -> ContrastAnalysisResult:
    """Run an ``rmst`` analysis (see :class:`RmstAnalysis`)."""
    d, adjusted, time, event, by = _setup(ctx, an, "rmst", True)
    assert by is not None
    ref = reference_level(ctx, d, by, an.reference)
    diff, ratio = ctx.call({by: "by", "reference is a level": "reference"}, sx.rmst_contrast, d, time, event, by, an.tau,
                       reference=ref, conf_level=an.conf_level)
    method = f"{an.endpoint}: " + diff.method + _adjusted_note(adjusted)
    _record(ctx, an, method, f"RMST difference and ratio up to {an.tau:g} (z-tests)")
    return ContrastAnalysisResult(an.endpoint, by, (diff, ratio), method)


def execute_followup(ctx: AnalysisContext, an: FollowupAnalysis) -> FollowupAnalysisResult:
    """Run a ``followup`` analysis (see :class:`FollowupAnalysis`)."""
    d, adjusted, time, event, by = _setup(ctx, an, "followup", False)
    keys = {by: "by"} if by is not None else {}
    res = ctx.call(keys, sx.median_followup, d, time, event, by)
    method = f"{an.endpoint}: " + res.method + _adjusted_note(adjusted)
    _record(ctx, an, method, None)
    return FollowupAnalysisResult(an.endpoint, by, res, method)


def execute_landmark(ctx: AnalysisContext, an: LandmarkAnalysis) -> LandmarkAnalysisResult:
    """Run a ``landmark`` analysis (see :class:`LandmarkAnalysis`)."""
    d, adjusted, time, event, by = _setup(ctx, an, "landmark", False)
    keys = {by: "by"} if by is not None else {}
    res = ctx.call(keys | {"patients at risk at the landmark": "at"}, sx.landmark, d, time, event, an.at, by,
               conf_type=an.conf_type)
    method = (f"{an.endpoint}: " + res.method + " Kaplan-Meier"
              + (f" and log-rank test by {by}" if res.logrank is not None else "")
              + " from the landmark." + _adjusted_note(adjusted))
    _record(ctx, an, method, f"log-rank test from the landmark {an.at:g}"
            if res.logrank is not None else None)
    return LandmarkAnalysisResult(an.endpoint, by, res, method)


SPECS = (SurvivalRatesAnalysis, MilestoneAnalysis, RmstAnalysis, FollowupAnalysis,
         LandmarkAnalysis)
EXECUTORS: dict[str, Callable[..., Any]] = {
    "survival_rates": execute_survival_rates,
    "milestone": execute_milestone,
    "rmst": execute_rmst,
    "followup": execute_followup,
    "landmark": execute_landmark,
}
