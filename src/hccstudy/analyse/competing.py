"""Competing risks: cumulative incidence, Gray's test, cause-specific Cox, 1-KM per failure type.

* :func:`cumulative_incidence` -- Aalen-Johansen cumulative incidence per cause
  and group with the variance of R ``cmprsk::cuminc`` and pointwise CIs;
* :func:`gray_test` -- Gray's K-sample test per cause (``cuminc(...)$Tests``),
  optionally stratified;
* :func:`cause_specific_cox` -- the cause-specific hazard alternative: a Cox
  model (:func:`hccstudy.cox`) with failures from the other causes censored;
* :func:`failure_type_km` -- "PFS per failure type" as seed 001 reports it
  (1 - Kaplan-Meier with other failures and deaths censored) next to the CIF.

Numerics only; results hold aggregates, never patient rows. See
docs/competing-risks.md for the method choices.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hccstudy._input import _numeric, _require_columns, check_time, select_rows
from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse._competing_core import cif_kernel, gray_kernel
from hccstudy.analyse._counting import cell_counts, encode_groups, group_label
from hccstudy.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from hccstudy.analyse.cox import CoxResult

__all__ = [
    "CumulativeIncidenceResult",
    "FailureTypeResult",
    "FineGrayResult",
    "GrayTestResult",
    "cause_specific_cox",
    "cumulative_incidence",
    "failure_type_km",
    "fine_gray",
    "gray_test",
]

CifConfType = Literal["log-log", "log", "plain"]


# ---------------------------------------------------------------------- input
@dataclass(frozen=True)
class _CRInput:
    time: np.ndarray
    status: np.ndarray  # cause index 1..K, 0 censored
    causes: tuple[str, ...]
    group: np.ndarray
    groups: tuple[str, ...]
    stratum: np.ndarray
    n_strata: int


def _cr_input(data: pd.DataFrame, time: str, status: str, by: str | None,
              causes: Sequence[Hashable] | None, censor_code: Hashable,
              strata: str | None = None) -> _CRInput:
    """Check competing-risk columns; status codes must be declared causes or the censor code."""
    used = [time, status] + [c for c in (by, strata) if c is not None]
    frame, _ = select_rows(data, used, "raise")
    t = _numeric(frame[time], time, "time")
    check_time(t, time)
    st = frame[status]
    is_cens = (st == censor_code).to_numpy()
    if causes is None:
        found = pd.unique(st[~is_cens])
        try:
            cause_values = list(np.sort(np.asarray(found)))
        except TypeError:
            cause_values = list(found)
    else:
        cause_values = list(causes)
        if censor_code in cause_values:
            raise InputError(f"censor_code {censor_code!r} is also listed as a cause",
                             column=status, rule="causes exclude the censor code")
        declared = st.isin(cause_values).to_numpy() | is_cens
        if not declared.all():
            raise InputError(
                f"column {status!r} (status): {int((~declared).sum())} row(s) have a code "
                f"that is neither a declared cause nor the censor code {censor_code!r}; "
                "rule: status codes must be declared",
                column=status, n_rows=int((~declared).sum()), rule="status codes declared")
    if not cause_values:
        raise InputError(f"column {status!r} (status): no failures of any cause",
                         column=status, rule="at least one failure")
    code = np.zeros(len(frame), dtype=np.intp)
    for k, v in enumerate(cause_values, start=1):
        code[(st == v).to_numpy()] = k
    if by is None:
        g = np.zeros(len(frame), dtype=np.intp)
        glabels: tuple[str, ...] = ("all",)
    else:
        g, glabels = encode_groups(frame[by])
    if strata is None:
        s = np.zeros(len(frame), dtype=np.intp)
        ns = 1
    else:
        s, slab = encode_groups(frame[strata])
        ns = len(slab)
    return _CRInput(time=t, status=code, causes=tuple(group_label(c) for c in cause_values),
                    group=g, groups=glabels, stratum=s, n_strata=ns)


def _z(conf_level: float) -> float:
    from scipy.special import ndtri

    if not 0 < conf_level < 1:
        raise InputError("conf_level must be in (0, 1)", rule="0 < conf_level < 1")
    return float(ndtri(1.0 - (1.0 - conf_level) / 2.0))


def _cif_ci(f: np.ndarray, var: np.ndarray, conf_type: CifConfType, z: float
            ) -> tuple[np.ndarray, np.ndarray]:
    se = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log-log":
            ok = (f > 0) & (f < 1)
            lf = np.where(ok, np.log(f), -1.0)
            sig = np.where(ok, se / (-f * lf), np.nan)  # s.e. of log(-log F)
            lower = np.where(ok, f ** np.exp(z * sig), np.nan)
            upper = np.where(ok, f ** np.exp(-z * sig), np.nan)
        elif conf_type == "log":
            ok = f > 0
            lower = np.where(ok, f * np.exp(-z * se / f), np.nan)
            upper = np.where(ok, np.minimum(f * np.exp(z * se / f), 1.0), np.nan)
        elif conf_type == "plain":
            lower = np.maximum(f - z * se, 0.0)
            upper = np.minimum(f + z * se, 1.0)
        else:
            raise InputError(f"conf_type must be 'log-log', 'log' or 'plain', not {conf_type!r}",
                             rule="conf_type option")
    return lower, upper


# ------------------------------------------------------------------ CIF result
@dataclass(frozen=True, slots=True, eq=False)
class CumulativeIncidenceResult(HtmlReprMixin):
    """Cumulative incidence curves per (group, cause): aggregates only.

    Build it with :func:`cumulative_incidence`. The private arrays hold one
    entry per (group, cause, distinct time of the group) row of :meth:`table`.

    Attributes
    ----------
    groups, causes : tuple of str
        Group labels ("all" without ``by``) and cause labels.
    n : tuple of int
        Rows per group.
    n_events : dict
        Failures per (group, cause).
    conf_type, conf_level
        The pointwise CI: ``"log-log"`` (default) is
        ``F ** exp(+-z * se / (F log F))``, i.e. a symmetric interval for
        ``log(-log F)``; ``"log"`` is ``F exp(+-z se / F)``; ``"plain"`` is
        ``F +- z se`` clipped to [0, 1]. ``se`` is the square root of cmprsk's
        variance (cuminc gives variances only; the transform is ours).
    method : str
        A sentence stating the method choices, for reports.
    """

    groups: tuple[str, ...]
    causes: tuple[str, ...]
    n: tuple[int, ...]
    n_events: dict[tuple[str, str], int]
    conf_type: CifConfType
    conf_level: float
    method: str
    _group: np.ndarray
    _cause: np.ndarray
    _time: np.ndarray
    _n_risk: np.ndarray
    _n_event: np.ndarray
    _cif: np.ndarray
    _var: np.ndarray
    _tmax: np.ndarray  # last follow-up time per group

    def table(self) -> pd.DataFrame:
        """One row per (group, cause, distinct time of the group).

        Returns
        -------
        pandas.DataFrame
            Columns group, cause, time, n_risk, n_event (failures of the
            cause at the time), cif, variance, std_err, ci_lower, ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 1, 0]})
        >>> cumulative_incidence(d, "t", "s").table()[["cause", "time", "cif"]].head(3)
          cause  time   cif
        0     1   1.0  0.25
        1     1   2.0  0.25
        2     1   3.0  0.50
        """
        lower, upper = _cif_ci(self._cif, self._var, self.conf_type, _z(self.conf_level))
        return pd.DataFrame({
            "group": np.asarray(self.groups, dtype=object)[self._group],
            "cause": np.asarray(self.causes, dtype=object)[self._cause],
            "time": self._time, "n_risk": self._n_risk, "n_event": self._n_event,
            "cif": self._cif, "variance": self._var, "std_err": np.sqrt(self._var),
            "ci_lower": lower, "ci_upper": upper,
        })

    def at(self, times: float | Sequence[float]) -> pd.DataFrame:
        """CIF and variance at given times, as ``cmprsk::timepoints``.

        A time after a group's last follow-up gives missing values (R: NA).

        Parameters
        ----------
        times : float or sequence of float
            Sorted and de-duplicated before use, as timepoints does.

        Returns
        -------
        pandas.DataFrame
            Columns group, cause, time, cif, variance, std_err, ci_lower, ci_upper.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 1, 0]})
        >>> cumulative_incidence(d, "t", "s").at([0, 2.5, 9])["cif"].tolist()[:3]
        [0.0, 0.25, nan]
        """
        tt = np.unique(np.atleast_1d(np.asarray(times, dtype=float)))
        if not np.all(np.isfinite(tt)) or (tt < 0).any():
            raise InputError("times must be finite and >= 0", rule="times >= 0")
        rows = []
        for gi, g in enumerate(self.groups):
            for ci, c in enumerate(self.causes):
                sel = (self._group == gi) & (self._cause == ci)
                tg, fg, vg = self._time[sel], self._cif[sel], self._var[sel]
                pos = np.searchsorted(tg, tt, side="right") - 1
                f = np.where(pos >= 0, fg[np.maximum(pos, 0)] if len(fg) else 0.0, 0.0)
                v = np.where(pos >= 0, vg[np.maximum(pos, 0)] if len(vg) else 0.0, 0.0)
                beyond = tt > self._tmax[gi]
                f = np.where(beyond, np.nan, f)
                v = np.where(beyond, np.nan, v)
                for k in range(len(tt)):
                    rows.append((g, c, tt[k], f[k], v[k]))
        out = pd.DataFrame(rows, columns=["group", "cause", "time", "cif", "variance"])
        out["std_err"] = np.sqrt(out["variance"])
        lo, up = _cif_ci(out["cif"].to_numpy(), out["variance"].to_numpy(), self.conf_type,
                         _z(self.conf_level))
        out["ci_lower"] = lo
        out["ci_upper"] = up
        return out


def cumulative_incidence(
    data: pd.DataFrame,
    time: str,
    status: str,
    by: str | None = None,
    *,
    causes: Sequence[Hashable] | None = None,
    censor_code: Hashable = 0,
    conf_level: float = 0.95,
    conf_type: CifConfType = "log-log",
) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence per cause and group, as ``cmprsk::cuminc``.

    The estimate at t is ``sum_{t_j <= t} S(t_j-) d_kj / n_j`` (S the all-cause
    Kaplan-Meier, d_kj the failures of cause k, n_j at risk); the variance is
    cuminc's (Gray's delta-method estimator with cmprsk's tie correction).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    time : str
        Follow-up time (>= 0).
    status : str
        Failure type: a cause code, or ``censor_code`` when censored.
    by : str, optional
        Grouping column; one set of curves per level.
    causes : sequence, optional
        The cause codes. When given, every status value must be a cause or the
        censor code; default: every value other than the censor code, sorted.
    censor_code : hashable
        The status value meaning censored (cuminc's ``cencode``).
    conf_level : float
    conf_type : {"log-log", "log", "plain"}
        Transform of the pointwise CI (see :class:`CumulativeIncidenceResult`).

    Returns
    -------
    CumulativeIncidenceResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 2, 3, 5], "s": [1, 2, 1, 0, 1]})
    >>> r = cumulative_incidence(d, "t", "s")
    >>> r.at([2])[["cause", "cif"]]
      cause  cif
    0     1  0.4
    1     2  0.2
    """
    if conf_type not in ("log-log", "log", "plain"):
        raise InputError(f"conf_type must be 'log-log', 'log' or 'plain', not {conf_type!r}",
                         rule="conf_type option")
    _z(conf_level)
    ci = _cr_input(data, time, status, by, causes, censor_code)
    ng, nc = len(ci.groups), len(ci.causes)
    ncode = nc + 1
    counts, _, _ = cell_counts(ci.group * ncode + ci.status, ng * ncode, ci.time,
                               np.ones_like(ci.time))
    m = len(counts.times)
    exits = counts.n_exit.reshape(ng, ncode, m)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("g", "c", "t", "r", "e", "f", "v")}
    n_events: dict[tuple[str, str], int] = {}
    tmax = np.empty(ng)
    ns = []
    for gi in range(ng):
        ex = exits[gi]
        tot = ex.sum(axis=0)
        present = tot > 0
        rs = np.cumsum(tot[::-1])[::-1][present]
        tg = counts.times[present]
        tmax[gi] = tg[-1]
        ns.append(int(tot.sum()))
        allfail = ex[1:].sum(axis=0)[present]
        for k in range(nc):
            nd1 = ex[k + 1][present]
            f, v = cif_kernel(rs, nd1, allfail - nd1)
            n_events[(ci.groups[gi], ci.causes[k])] = int(nd1.sum())
            for key, val in zip("gctrefv", (np.full(len(tg), gi), np.full(len(tg), k), tg, rs,
                                            nd1, f, v), strict=True):
                parts[key].append(val)
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    method = (
        "Cumulative incidence by the Aalen-Johansen estimator with the variance of "
        "R cmprsk::cuminc (Gray 1988); pointwise "
        f"{round(100 * conf_level, 6):g}% CIs on the {conf_type} scale; failures from "
        "other causes are competing events, not censorings."
    )
    return CumulativeIncidenceResult(
        groups=ci.groups, causes=ci.causes, n=tuple(ns), n_events=n_events,
        conf_type=conf_type, conf_level=conf_level, method=method,
        _group=cat["g"].astype(np.intp), _cause=cat["c"].astype(np.intp), _time=cat["t"],
        _n_risk=cat["r"], _n_event=cat["e"], _cif=cat["f"], _var=cat["v"], _tmax=tmax)


# ------------------------------------------------------------------ Gray's test
@dataclass(frozen=True, slots=True, eq=False)
class GrayTestResult(HtmlReprMixin):
    """Gray's K-sample test for each cause, as ``cmprsk::cuminc(...)$Tests``.

    Attributes
    ----------
    causes : tuple of str
    statistic, p_value : numpy.ndarray
        One per cause.
    df : int
        Number of groups minus 1.
    groups : tuple of str
    strata : str or None
    rho : float
        Power of the weight ``(1 - F(t-))^rho``.
    method : str
    """

    causes: tuple[str, ...]
    statistic: np.ndarray
    p_value: np.ndarray
    df: int
    groups: tuple[str, ...]
    strata: str | None
    rho: float
    method: str

    def table(self) -> pd.DataFrame:
        """One row per cause: cause, statistic, df, p_value.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "s": [1, 2, 1, 0, 1, 1],
        ...                   "g": ["a", "b", "a", "b", "a", "b"]})
        >>> list(gray_test(d, "t", "s", "g").table().columns)
        ['cause', 'statistic', 'df', 'p_value']
        """
        return pd.DataFrame({"cause": list(self.causes), "statistic": self.statistic,
                             "df": self.df, "p_value": self.p_value})


def gray_test(
    data: pd.DataFrame,
    time: str,
    status: str,
    by: str,
    *,
    strata: str | None = None,
    causes: Sequence[Hashable] | None = None,
    censor_code: Hashable = 0,
    rho: float = 0.0,
) -> GrayTestResult:
    """Gray's test of equal cumulative incidence across groups, per cause.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    time, status : str
        As in :func:`cumulative_incidence`.
    by : str
        Grouping column (at least two levels).
    strata : str, optional
        Stratifying column: scores and variances are summed over strata (cuminc's
        ``strata``).
    causes, censor_code
        As in :func:`cumulative_incidence`.
    rho : float
        Power of the weight function (cuminc's ``rho``; 0 by default).

    Returns
    -------
    GrayTestResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "s": [1, 2, 1, 0, 1, 1, 2, 1],
    ...                   "g": ["a", "b"] * 4})
    >>> r = gray_test(d, "t", "s", "g")
    >>> r.df, r.causes
    (1, ('1', '2'))
    """
    from scipy.special import chdtrc

    ci = _cr_input(data, time, status, by, causes, censor_code, strata)
    ng = len(ci.groups)
    if ng < 2:
        raise InputError(f"column {by!r} has one level; Gray's test needs at least two groups",
                         column=by, rule="at least two groups")
    stats = np.empty(len(ci.causes))
    order = np.argsort(ci.stratum, kind="stable") if ci.n_strata > 1 else None
    bounds = (np.searchsorted(ci.stratum[order], np.arange(ci.n_strata + 1))
              if order is not None else np.array([0, len(ci.time)]))
    for k in range(len(ci.causes)):
        mcode = np.where(ci.status == k + 1, 1, np.where(ci.status == 0, 0, 2))
        s = np.zeros(ng - 1)
        v = np.zeros((ng - 1, ng - 1))
        for h in range(ci.n_strata):
            idx = (order[bounds[h]:bounds[h + 1]] if order is not None
                   else slice(None))
            sh, vh = gray_kernel(ci.time[idx], mcode[idx], ci.group[idx], ng, rho)
            s += sh
            v += vh
        try:
            stats[k] = float(s @ np.linalg.solve(v, s))
        except np.linalg.LinAlgError:  # singular variance (e.g. no failures of the cause)
            stats[k] = np.nan
    p = chdtrc(ng - 1, stats)  # chi-square upper tail
    method = (f"Gray's K-sample test (rho = {rho:g}) of equal cumulative incidence"
              + (f", stratified by {strata}" if strata else "") + ", as R cmprsk::cuminc.")
    return GrayTestResult(causes=ci.causes, statistic=stats, p_value=np.asarray(p, float),
                          df=ng - 1, groups=ci.groups, strata=strata, rho=float(rho),
                          method=method)


# ------------------------------------------------------ cause-specific Cox / 1-KM
def _free_name(data: pd.DataFrame, base: str) -> str:
    name = base
    while name in data.columns:
        name = "_" + name
    return name


def cause_specific_cox(data: pd.DataFrame, formula: str, *, time: str, status: str,
                       cause: Hashable, censor_code: Hashable = 0,
                       **cox_options: object) -> CoxResult:
    """Cause-specific Cox model: :func:`hccstudy.cox` with failures from other causes censored.

    The hazard ratio is for the cause-specific hazard (the rate of ``cause``
    among those still free of any failure), not for the cumulative incidence;
    compare with the Fine-Gray model of the subdistribution hazard.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified (a copy receives the event indicator).
    formula : str
        Right-hand side, formulaic syntax, as :func:`hccstudy.cox`.
    time, status : str
    cause : hashable
        The status code of the failure type modelled.
    censor_code : hashable
        The status code of censored rows; every other code is a competing failure.
    **cox_options
        Passed to :func:`hccstudy.cox` (ties, strata, weights, ...).

    Returns
    -------
    hccstudy.analyse.cox.CoxResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "s": [1, 2, 1, 0, 1, 1, 2, 1],
    ...                   "x": [0, 1, 0, 1, 1, 0, 1, 0]})
    >>> cause_specific_cox(d, "x", time="t", status="s", cause=1).n_events
    5
    """
    from hccstudy.analyse.cox import cox

    _require_columns(data, [time, status])
    st = data[status]
    if not (st == cause).any():
        raise InputError(f"column {status!r}: no failures of cause {cause!r}",
                         column=status, rule="at least one failure of the cause")
    ev = _free_name(data, "_cause_event")
    d2 = data.copy()
    d2[ev] = np.where(st.isna(), np.nan, (st == cause).astype(float))
    return cox(d2, formula, time=time, event=ev, **cox_options)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, eq=False)
class FailureTypeResult(HtmlReprMixin):
    """1 - Kaplan-Meier per failure type next to the cumulative incidence.

    Attributes
    ----------
    cif : CumulativeIncidenceResult
    method : str
        The methods text: what each column estimates and why they differ.
    """

    cif: CumulativeIncidenceResult
    method: str
    _km: pd.DataFrame  # group, cause, time, one_minus_km (aggregates)

    def table(self) -> pd.DataFrame:
        """One row per (group, cause, distinct time): one_minus_km, cif, excess.

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 1, 0]})
        >>> failure_type_km(d, "t", "s").table()["one_minus_km"].round(3).tolist()[:3]
        [0.25, 0.25, 0.625]
        """
        c = self.cif.table()[["group", "cause", "time", "n_risk", "cif"]]
        out = c.merge(self._km, on=["group", "cause", "time"], how="left")
        out["excess"] = out["one_minus_km"] - out["cif"]
        return out[["group", "cause", "time", "n_risk", "one_minus_km", "cif", "excess"]]

    def at(self, times: float | Sequence[float]) -> pd.DataFrame:
        """Both estimates at given times (missing after a group's last follow-up).

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 1, 0]})
        >>> failure_type_km(d, "t", "s").at([3])[["cause", "one_minus_km", "cif"]]
          cause  one_minus_km   cif
        0     1      0.625000  0.50
        1     2      0.333333  0.25
        """
        c = self.cif.at(times)[["group", "cause", "time", "cif"]]
        tab = self.table()
        vals = []
        for g, cause, t, f in zip(c["group"], c["cause"], c["time"], c["cif"], strict=True):
            sel = tab[(tab["group"] == g) & (tab["cause"] == cause)]
            pos = int(np.searchsorted(sel["time"].to_numpy(dtype=float), float(t),
                                      side="right")) - 1
            if np.isnan(float(f)):
                vals.append(np.nan)
            else:
                vals.append(0.0 if pos < 0 else float(sel["one_minus_km"].iloc[pos]))
        c.insert(3, "one_minus_km", vals)
        return c


def failure_type_km(
    data: pd.DataFrame,
    time: str,
    status: str,
    by: str | None = None,
    *,
    causes: Sequence[Hashable] | None = None,
    censor_code: Hashable = 0,
) -> FailureTypeResult:
    """"PFS per failure type" as seed 001 reports it, next to the cumulative incidence.

    For each cause, 1 - Kaplan-Meier with failures of the other types (and
    deaths, when coded as a cause) treated as censored; beside it the
    Aalen-Johansen CIF of :func:`cumulative_incidence`.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    time, status, by, causes, censor_code
        As in :func:`cumulative_incidence`.

    Returns
    -------
    FailureTypeResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 1, 0]})
    >>> r = failure_type_km(d, "t", "s")
    >>> "overstates" in r.method
    True
    """
    from hccstudy.analyse.km import kaplan_meier

    cif = cumulative_incidence(data, time, status, by, causes=causes, censor_code=censor_code)
    ci = _cr_input(data, time, status, by, causes, censor_code)
    frames = []
    for k, cause in enumerate(ci.causes):
        d = pd.DataFrame({"t": ci.time, "e": (ci.status == k + 1).astype(float),
                          "g": np.asarray(ci.groups, dtype=object)[ci.group]})
        km = kaplan_meier(d, "t", "e", by="g").table()
        frames.append(pd.DataFrame({"group": km["group"].astype(str).to_numpy(),
                                    "cause": cause, "time": km["time"].to_numpy(),
                                    "one_minus_km": 1.0 - km["survival"].to_numpy()}))
    method = (
        "Failure by type is shown two ways. '1 - KM' treats failures of the other types "
        "and deaths as censored (as seed 001 reports 'PFS per failure type'); it estimates "
        "the incidence in a hypothetical world without competing events and, because it "
        "assumes censored patients remain at risk of the failure, it overstates the "
        "incidence in the presence of competing events (1 - KM >= CIF, and the 1 - KM "
        "curves of all types can sum to more than 1). The cumulative incidence function "
        "(Aalen-Johansen, R cmprsk::cuminc) estimates the probability of failing from "
        "that type first, given the competing events; the CIFs of all types plus the "
        "event-free survival sum to 1."
    )
    return FailureTypeResult(cif=cif, method=method, _km=pd.concat(frames, ignore_index=True))


# ------------------------------------------------------------------- Fine-Gray
@dataclass(frozen=True, slots=True, eq=False)
class FineGrayResult(HtmlReprMixin):
    """A fitted Fine-Gray subdistribution hazard model: aggregates only.

    Attributes
    ----------
    terms : tuple of str
        Design columns (formulaic names; factors in treatment coding as R's
        ``model.matrix``).
    coef : numpy.ndarray
        Log subdistribution hazard ratios.
    cov : numpy.ndarray
        crr's sandwich variance ``I^-1 V I^-1`` (Fine & Gray 1999), which accounts
        for the estimated censoring weights.
    loglik : tuple of float
        Log pseudo-likelihood at 0 and at the estimate.
    cause : str
        The modelled failure type.
    n, n_events, n_competing : int
    iterations : int
    converged : bool
    method : str
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    loglik: tuple[float, float]
    cause: str
    n: int
    n_events: int
    n_competing: int
    iterations: int
    converged: bool
    method: str

    @property
    def se(self) -> np.ndarray:
        """Sandwich standard errors."""
        return np.sqrt(np.diag(self.cov))

    def hazard_ratios(self, conf_level: float = 0.95) -> pd.DataFrame:
        """Coefficients, SE, subdistribution HR with Wald CI and p (as ``summary(crr)``).

        Examples
        --------
        >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "s": [1, 2, 1, 0, 1, 1, 2, 1],
        ...                   "x": [0, 1, 0, 1, 1, 0, 1, 0]})
        >>> list(fine_gray(d, "x", time="t", status="s", cause=1).hazard_ratios().columns)
        ['term', 'coef', 'se', 'hr', 'ci_lower', 'ci_upper', 'z', 'p_value']
        """
        from scipy.special import ndtr

        z = _z(conf_level)
        se = self.se
        zs = self.coef / se
        return pd.DataFrame({
            "term": list(self.terms), "coef": self.coef, "se": se, "hr": np.exp(self.coef),
            "ci_lower": np.exp(self.coef - z * se), "ci_upper": np.exp(self.coef + z * se),
            "z": zs, "p_value": 2.0 * ndtr(-np.abs(zs)),
        })


def fine_gray(
    data: pd.DataFrame,
    formula: str,
    *,
    time: str,
    status: str,
    cause: Hashable,
    censor_code: Hashable = 0,
    tol: float = 1e-10,
    max_iter: int = 50,
) -> FineGrayResult:
    """Fine-Gray proportional subdistribution hazards regression, as ``cmprsk::crr``.

    Subjects failing from a competing cause stay in the risk set with the
    inverse-probability-of-censoring weight ``G(t-) / G(T-)`` (G the
    Kaplan-Meier of censoring, one censoring group); ties use Breslow's
    approximation; the variance is crr's sandwich estimator. Fitted by
    Newton-Raphson to ``max |step| < tol``.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    formula : str
        Right-hand side in formulaic syntax (``"C(stage) + age"``); factors are
        coded as R's ``model.matrix`` (first level as reference), no intercept.
    time, status : str
        Follow-up time and failure type columns.
    cause : hashable
        The status code of the failure type modelled (crr's ``failcode``).
    censor_code : hashable
        crr's ``cencode``; every other code is a competing failure.
    tol, max_iter
        Convergence criterion and iteration limit.

    Returns
    -------
    FineGrayResult

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "s": [1, 2, 1, 0, 1, 1, 2, 1],
    ...                   "x": [0, 1, 0, 1, 1, 0, 1, 0]})
    >>> r = fine_gray(d, "x", time="t", status="s", cause=1)
    >>> r.terms, r.converged
    (('x',), True)
    """
    from formulaic import model_matrix

    from hccstudy.analyse._competing_finegray import fg_fit, fg_prepare

    _require_columns(data, [time, status])
    ci = _cr_input(data, time, status, None, None, censor_code)
    labels = ci.causes
    if group_label(cause) not in labels:
        raise InputError(f"column {status!r}: no failures of cause {cause!r}",
                         column=status, rule="at least one failure of the cause")
    k = labels.index(group_label(cause)) + 1
    code = np.where(ci.status == k, 1, np.where(ci.status == 0, 0, 2))
    try:
        mm = model_matrix(formula, data, na_action="raise")
    except Exception as exc:  # formulaic errors: missing values, unknown names
        raise InputError(f"formula {formula!r} could not be evaluated: {exc}",
                         rule="valid formula without missing values") from exc
    cols = [c for c in mm.columns if c != "Intercept"]
    x = np.asarray(mm[cols], dtype=float)
    if x.shape[0] != len(ci.time):
        raise InputError("the formula's columns have missing values", rule="no missing values")
    beta, cov, _, ll, it, ok = fg_fit(fg_prepare(ci.time, code, x), tol=tol, max_iter=max_iter)
    if not ok:
        import warnings

        from hccstudy.errors import ConvergenceWarning

        warnings.warn(f"Fine-Gray fit did not converge in {max_iter} iterations",
                      ConvergenceWarning, stacklevel=2)
    method = (f"Fine-Gray subdistribution hazard model for cause {labels[k - 1]} "
              "(R cmprsk::crr): competing failures kept in the risk set with inverse "
              "probability of censoring weights, Breslow ties, sandwich variance.")
    return FineGrayResult(terms=tuple(cols), coef=beta, cov=cov, loglik=ll,
                          cause=labels[k - 1], n=len(code), n_events=int((code == 1).sum()),
                          n_competing=int((code == 2).sum()), iterations=it, converged=ok,
                          method=method)
