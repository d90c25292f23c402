"""Survival extras: landmark analysis, milestone survival, RMST contrasts, follow-up, x-year rates.

Each builds on :func:`hccstudy.kaplan_meier` (and :func:`hccstudy.logrank`,
:func:`hccstudy.cox`) and returns a frozen result holding aggregates only.

* :func:`landmark` -- the analysis restricted to patients alive and under
  follow-up at the landmark, time reset to zero there, with the exclusions counted;
* :func:`milestone` -- difference of Kaplan-Meier survival at a time between two
  groups, Wald CI from Greenwood standard errors and a z-test p;
* :func:`rmst_contrast` -- RMST difference and ratio up to ``tau`` (as survRM2's
  ``rmst2``: normal CI for the difference, CI on the log scale for the ratio);
* :func:`median_followup` -- reverse Kaplan-Meier median follow-up per group;
* :func:`survival_rates` -- x-year rates with CI per group and their comparison
  with the reference group by the milestone test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hccstudy._input import survival_input
from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse.km import ConfType, KaplanMeierResult, kaplan_meier
from hccstudy.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from hccstudy.analyse.cox import CoxResult
    from hccstudy.analyse.logrank import LogrankResult

__all__ = [
    "ContrastResult",
    "FollowupResult",
    "LandmarkResult",
    "RatesResult",
    "landmark",
    "median_followup",
    "milestone",
    "rmst_contrast",
    "survival_rates",
]


def _z(conf_level: float) -> float:
    from scipy.special import ndtri

    if not 0 < conf_level < 1:
        raise InputError("conf_level must be in (0, 1)", rule="0 < conf_level < 1")
    return float(ndtri(1.0 - (1.0 - conf_level) / 2.0))


def _p_two_sided(z: float) -> float:
    from scipy.special import ndtr

    return float(2.0 * ndtr(-abs(z))) if np.isfinite(z) else float("nan")


def _two_groups(km: KaplanMeierResult, reference: str | None, by: str) -> tuple[int, int]:
    if len(km.groups) != 2:
        raise InputError(f"column {by!r} must have exactly two levels, not {len(km.groups)}",
                         column=by, rule="two groups")
    if reference is None:
        return 0, 1
    ref = str(reference)
    if ref not in km.groups:
        raise InputError(f"reference {reference!r} is not a level of {by!r}", column=by,
                         rule="reference is a level")
    i = km.groups.index(ref)
    return i, 1 - i


# -------------------------------------------------------------------- contrasts
@dataclass(frozen=True, slots=True)
class ContrastResult(HtmlReprMixin):
    """A two-group contrast (``group`` minus or over ``reference``) with Wald CI and p.

    Attributes
    ----------
    measure : str
        "survival difference", "rmst difference" or "rmst ratio".
    reference, group : str
    at : float
        The milestone time or ``tau``.
    estimate, ci_lower, ci_upper, p_value : float
    values : tuple of float
        The per-group quantity (reference, group).
    std_errs : tuple of float
        Their standard errors.
    conf_level : float
    method : str
    """

    measure: str
    reference: str
    group: str
    at: float
    estimate: float
    ci_lower: float
    ci_upper: float
    p_value: float
    values: tuple[float, float]
    std_errs: tuple[float, float]
    conf_level: float
    method: str

    def table(self) -> pd.DataFrame:
        """One row: measure, reference, group, at, estimate, ci_lower, ci_upper, p_value.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 0, 1],
        ...                   "g": ["a", "b"] * 3})
        >>> milestone(d, "t", "e", "g", at=2).table()["measure"].tolist()
        ['survival difference']
        """
        return pd.DataFrame([{
            "measure": self.measure, "reference": self.reference, "group": self.group,
            "at": self.at, "estimate": self.estimate, "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper, "p_value": self.p_value}])


def _milestone_from_km(km: KaplanMeierResult, i0: int, i1: int, at: float,
                       conf_level: float) -> ContrastResult:
    tab = km.at([at], extend=False)
    vals = []
    for i in (i0, i1):
        row = tab[tab["group"] == km.groups[i]]
        if row.empty:
            raise InputError(f"time {at:g} is after the last follow-up of group "
                             f"{km.groups[i]!r}", rule="time within follow-up")
        vals.append((float(row["survival"].iloc[0]), float(row["std_err"].iloc[0])))
    (s0, e0), (s1, e1) = vals
    diff = s1 - s0
    se = float(np.sqrt(e0**2 + e1**2))
    z = _z(conf_level)
    return ContrastResult(
        measure="survival difference", reference=km.groups[i0], group=km.groups[i1],
        at=float(at), estimate=diff, ci_lower=diff - z * se, ci_upper=diff + z * se,
        p_value=_p_two_sided(diff / se) if se > 0 else float("nan"), values=(s0, s1),
        std_errs=(e0, e1), conf_level=conf_level,
        method=(f"Difference of Kaplan-Meier survival at {at:g} with a Wald CI and z-test "
                "from Greenwood standard errors (independent groups)."))


def milestone(data: pd.DataFrame, time: str, event: str, by: str, at: float, *,
              reference: str | None = None, conf_level: float = 0.95) -> ContrastResult:
    """Milestone survival difference at ``at`` between two groups.

    ``S_group(at) - S_reference(at)`` with CI ``+- z sqrt(se_1^2 + se_0^2)``
    (Greenwood standard errors of the Kaplan-Meier estimates) and a two-sided
    z-test p.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    time, event, by : str
    at : float
        The milestone time.
    reference : str, optional
        Reference level (default the first level).
    conf_level : float

    Returns
    -------
    ContrastResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 0, 1, 0, 1, 1, 0],
    ...                   "g": ["a", "b"] * 4})
    >>> round(milestone(d, "t", "e", "g", at=3).estimate, 4)
    0.0
    """
    km = kaplan_meier(data, time, event, by=by)
    i0, i1 = _two_groups(km, reference, by)
    return _milestone_from_km(km, i0, i1, float(at), conf_level)


def rmst_contrast(data: pd.DataFrame, time: str, event: str, by: str, tau: float, *,
                  reference: str | None = None, conf_level: float = 0.95
                  ) -> tuple[ContrastResult, ContrastResult]:
    """RMST difference and ratio up to ``tau`` between two groups (as survRM2's rmst2).

    The per-group RMST and its standard error are R's ``print(survfit, rmean=tau)``
    (:meth:`KaplanMeierResult.rmst`). Difference: ``rmst_1 - rmst_0`` with
    ``se = sqrt(se_0^2 + se_1^2)``; ratio: ``rmst_1 / rmst_0`` with the CI and
    test on the log scale, ``se(log ratio) = sqrt((se_0/rmst_0)^2 + (se_1/rmst_1)^2)``.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    time, event, by : str
    tau : float
        Truncation time.
    reference : str, optional
        Reference level (default the first level).
    conf_level : float

    Returns
    -------
    (ContrastResult, ContrastResult)
        The difference and the ratio.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 0, 1, 0, 1, 1, 0],
    ...                   "g": ["a", "b"] * 4})
    >>> diff, ratio = rmst_contrast(d, "t", "e", "g", tau=6)
    >>> diff.measure, ratio.measure
    ('rmst difference', 'rmst ratio')
    """
    km = kaplan_meier(data, time, event, by=by)
    i0, i1 = _two_groups(km, reference, by)
    tab = km.rmst(float(tau))
    r0, e0 = float(tab["rmst"].iloc[i0]), float(tab["std_err"].iloc[i0])
    r1, e1 = float(tab["rmst"].iloc[i1]), float(tab["std_err"].iloc[i1])
    z = _z(conf_level)
    diff = r1 - r0
    se_d = float(np.sqrt(e0**2 + e1**2))
    lr = float(np.log(r1 / r0))
    se_lr = float(np.sqrt((e0 / r0) ** 2 + (e1 / r1) ** 2))
    common = {"reference": km.groups[i0], "group": km.groups[i1], "at": float(tau),
              "values": (r0, r1), "std_errs": (e0, e1), "conf_level": conf_level}
    method = (f"Restricted mean survival time up to {float(tau):g} from the Kaplan-Meier "
              "curves (R survfit rmean and its standard error); difference with a normal "
              "CI and z-test, ratio with CI and test on the log scale (as survRM2::rmst2).")
    d = ContrastResult(measure="rmst difference", estimate=diff, ci_lower=diff - z * se_d,
                       ci_upper=diff + z * se_d,
                       p_value=_p_two_sided(diff / se_d) if se_d > 0 else float("nan"),
                       method=method, **common)  # type: ignore[arg-type]
    r = ContrastResult(measure="rmst ratio", estimate=float(np.exp(lr)),
                       ci_lower=float(np.exp(lr - z * se_lr)),
                       ci_upper=float(np.exp(lr + z * se_lr)),
                       p_value=_p_two_sided(lr / se_lr) if se_lr > 0 else float("nan"),
                       method=method, **common)  # type: ignore[arg-type]
    return d, r


# --------------------------------------------------------------------- follow-up
@dataclass(frozen=True, slots=True, eq=False)
class FollowupResult(HtmlReprMixin):
    """Median follow-up by the reverse Kaplan-Meier method, per group.

    Attributes
    ----------
    method : str
    """

    method: str
    _table: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """Columns group, median, ci_lower, ci_upper (a copy).

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [0, 0, 0, 0]})
        >>> median_followup(d, "t", "e").table()["median"].tolist()
        [2.5]
        """
        return self._table.copy()


def median_followup(data: pd.DataFrame, time: str, event: str, by: str | None = None
                    ) -> FollowupResult:
    """Median follow-up per group by the reverse Kaplan-Meier (:meth:`KaplanMeierResult.followup`).

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    time, event : str
    by : str, optional

    Returns
    -------
    FollowupResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 0, 1]})
    >>> median_followup(d, "t", "e").table()["median"].tolist()
    [3.0]
    """
    km = kaplan_meier(data, time, event, by=by)
    return FollowupResult(
        method=("Median follow-up by the reverse Kaplan-Meier method (censoring as the "
                "event, events as censored), as survfit(Surv(time, 1 - event) ~ group)."),
        _table=km.followup())


# ------------------------------------------------------------------------ rates
@dataclass(frozen=True, slots=True, eq=False)
class RatesResult(HtmlReprMixin):
    """x-year survival rates per group and their comparison with the reference group.

    Attributes
    ----------
    conf_type : str
        The CI of each rate (as :func:`hccstudy.kaplan_meier`).
    method : str
    """

    conf_type: str
    method: str
    _rates: pd.DataFrame
    _comparisons: tuple[ContrastResult, ...]

    def table(self) -> pd.DataFrame:
        """Rates: group, time, n_risk, survival, std_err, ci_lower, ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 0, 1],
        ...                   "g": ["a", "b"] * 3})
        >>> survival_rates(d, "t", "e", "g", [2]).table()["survival"].tolist()
        [0.6666666666666667, 0.6666666666666667]
        """
        return self._rates.copy()

    def comparisons(self) -> pd.DataFrame:
        """Milestone tests of each group against the reference, at each time.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 0, 1],
        ...                   "g": ["a", "b"] * 3})
        >>> survival_rates(d, "t", "e", "g", [2]).comparisons()["estimate"].tolist()
        [0.0]
        """
        if not self._comparisons:
            return pd.DataFrame(columns=["measure", "reference", "group", "at", "estimate",
                                         "ci_lower", "ci_upper", "p_value"])
        return pd.concat([c.table() for c in self._comparisons], ignore_index=True)


def survival_rates(data: pd.DataFrame, time: str, event: str, by: str | None,
                   times: Sequence[float], *, conf_type: ConfType = "log",
                   conf_level: float = 0.95, reference: str | None = None) -> RatesResult:
    """x-year Kaplan-Meier rates with CI per group, compared with the reference group.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    time, event : str
    by : str or None
    times : sequence of float
        The milestone times (e.g. 12, 24, 36 months).
    conf_type, conf_level
        CI of each rate (R survfit's ``conf.type``).
    reference : str, optional
        Reference level for the comparisons (default the first level).

    Returns
    -------
    RatesResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 0]})
    >>> survival_rates(d, "t", "e", None, [1]).table()["survival"].tolist()
    [0.75]
    """
    km = kaplan_meier(data, time, event, by=by, conf_type=conf_type, conf_level=conf_level)
    rates = km.at(list(times))
    comps: list[ContrastResult] = []
    if by is not None and len(km.groups) > 1:
        if reference is not None and str(reference) not in km.groups:
            raise InputError(f"reference {reference!r} is not a level of {by!r}", column=by,
                             rule="reference is a level")
        ref = km.groups.index(str(reference)) if reference is not None else 0
        for t in sorted(set(float(x) for x in times)):
            for i in range(len(km.groups)):
                if i == ref:
                    continue
                try:
                    comps.append(_milestone_from_km(km, ref, i, t, conf_level))
                except InputError:  # a time after a group's follow-up: no comparison
                    continue
    return RatesResult(
        conf_type=conf_type,
        method=("Kaplan-Meier rates at fixed times with pointwise "
                f"{conf_type} CIs; each group compared with the reference by the difference "
                "of rates (Greenwood standard errors, z-test)."),
        _rates=rates, _comparisons=tuple(comps))


# --------------------------------------------------------------------- landmark
@dataclass(frozen=True, slots=True, eq=False)
class LandmarkResult(HtmlReprMixin):
    """A landmark analysis: the patients alive and at risk at the landmark, time reset.

    Attributes
    ----------
    landmark : float
    n_total : int
        Rows in the data.
    n_excluded_event : int
        Events at or before the landmark.
    n_excluded_censored : int
        Censored at or before the landmark.
    n_analysed : int
    km : KaplanMeierResult
        Curves on the time since the landmark.
    logrank : LogrankResult or None
        When ``by`` is given.
    cox : CoxResult or None
        When ``formula`` is given.
    method : str
    """

    landmark: float
    n_total: int
    n_excluded_event: int
    n_excluded_censored: int
    n_analysed: int
    km: KaplanMeierResult
    logrank: LogrankResult | None
    cox: CoxResult | None
    method: str


def landmark(data: pd.DataFrame, time: str, event: str, at: float, by: str | None = None, *,
             formula: str | None = None, conf_type: ConfType = "log") -> LandmarkResult:
    """Landmark analysis at time ``at``.

    Patients with an event or censored at or before the landmark are excluded
    (and counted); for the rest the clock restarts at the landmark
    (``time - at``). Kaplan-Meier (by group), the log-rank test (with ``by``)
    and a Cox model (with ``formula``) are fitted to that subset.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    time, event : str
    at : float
        The landmark time (> 0).
    by : str, optional
        Grouping column (e.g. responder status at the landmark).
    formula : str, optional
        Cox right-hand side (formulaic syntax).
    conf_type : {"log", "log-log", "plain"}

    Returns
    -------
    LandmarkResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 0, 1, 1, 0, 1]})
    >>> r = landmark(d, "t", "e", at=2)
    >>> r.n_excluded_event, r.n_excluded_censored, r.n_analysed
    (1, 1, 4)
    """
    from hccstudy.analyse.cox import cox
    from hccstudy.analyse.logrank import logrank

    at = float(at)
    if not np.isfinite(at) or at <= 0:
        raise InputError("the landmark time must be finite and > 0", rule="landmark > 0")
    extra = [by] if by is not None else []
    si = survival_input(data, time, event, columns=extra)
    before = si.time <= at
    n_ev = int((before & (si.event == 1)).sum())
    n_ce = int((before & (si.event == 0)).sum())
    sub = data.iloc[np.flatnonzero(~before)].copy()
    if len(sub) == 0:
        raise InputError(f"nobody is at risk after the landmark {at:g}", column=time,
                         rule="patients at risk at the landmark")
    sub[time] = si.time[~before] - at
    km = kaplan_meier(sub, time, event, by=by, conf_type=conf_type)
    lr = logrank(sub, time, event, by) if by is not None and len(km.groups) > 1 else None
    cx = cox(sub, formula, time=time, event=event) if formula is not None else None
    return LandmarkResult(
        landmark=at, n_total=len(data), n_excluded_event=n_ev, n_excluded_censored=n_ce,
        n_analysed=len(sub), km=km, logrank=lr, cox=cx,
        method=(f"Landmark analysis at {at:g}: {n_ev} patient(s) with an event and {n_ce} "
                f"censored at or before the landmark excluded; time measured from the "
                "landmark."))
