"""Model building: univariate screen, multivariable model, backward elimination, side-by-side table.

Generic over Cox (``kind="cox"``, :func:`hccstudy.cox`) and logistic
regression (``kind="logistic"``, :func:`hccstudy.analyse.logistic.logistic`).
Each covariate is one *term*: a column or a formula term such as
``C(bclc, treatment('B'))``; a multi-level factor is one term with levels - 1
coefficients, tested and removed as a block.

Method choices, stated once:

* :func:`univariate` fits one model per covariate on the complete cases of that
  covariate (and of the outcome, strata, cluster and weights columns), and
  reports the rows used, the events and the rows dropped per model. Per
  coefficient: estimate (HR or OR), Wald CI and Wald p (``p_wald``); per term:
  the chosen test of the whole term (``p_term``, df = its number of
  coefficients): Wald, likelihood ratio (``summary(fit)$logtest``) or score
  (``summary(fit)$sctest``, the log-rank test for a single factor; Rao's score
  test for logistic models).
* :func:`backward_elimination` works on the complete cases of the whole
  candidate set: every step fits on the same rows (SPSS's behaviour; R's
  ``step`` needs the same), and the number of rows dropped is reported. SPSS
  BSTEP removal rule: at each step the removable term (not in ``force``) with
  the largest p is removed if that p > ``p_remove``; p is the block Wald test
  from the current fit (``criterion="wald"``) or the likelihood-ratio test of
  the model without the term (``"lr"``, R's ``drop1(fit, test = "Chisq")``).
  With ``criterion="aic"`` the term whose removal lowers the AIC most is
  removed while the AIC decreases (R's ``step(direction = "backward")``).
  Removed terms are not re-entered (SPSS's re-entry check by score test is not
  done). ``entry="univariate_p"`` enters only the terms with univariate
  ``p_term < entry_p`` (plus ``force``), as seed 004 did.
* Multivariable ``p_term`` is the block Wald test, or the drop-one
  likelihood-ratio test when the criterion is ``"lr"``.
* A diverging coefficient (monotone likelihood, separation) is marked
  ``unstable`` in the tables and one :class:`~hccstudy.errors.MonotoneLikelihoodWarning`
  names the affected models.

Examples
--------
>>> import hccstudy
>>> from hccstudy.analyse.models import univariate
>>> d = hccstudy.datasets.load_demo()
>>> u = univariate(d, ["age_years", "bclc_stage"], time="os_months", event="death")
>>> list(u.to_frame()["variable"])
['age_years', 'bclc_stage']
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from hccstudy._input import select_rows
from hccstudy._repr import HtmlReprMixin
from hccstudy.analyse._cox_design import build_design, formula_variables
from hccstudy.analyse.logistic import _chi2_sf
from hccstudy.analyse.logistic import _z as _zq
from hccstudy.errors import ConvergenceWarning, InputError, MonotoneLikelihoodWarning

__all__ = [
    "ModelBuildingResult",
    "MultivariableResult",
    "UnivariateResult",
    "backward_elimination",
    "model_building",
    "multivariable",
    "side_by_side",
    "univariate",
]

Kind = Literal["cox", "logistic"]
Test = Literal["wald", "lr", "score"]
Criterion = Literal["wald", "lr", "aic"]
Entry = Literal["all", "univariate_p"]

_TEST_NAME = {"wald": "Wald", "lr": "likelihood ratio", "score": "score", "aic": "AIC"}
_ROW_COLUMNS = ["variable", "term", "level", "reference", "coef", "se", "estimate", "ci_lower",
                "ci_upper", "p_wald", "p_term", "df_term", "unstable"]


def _p_norm(z: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.asarray(2.0 * ndtr(-np.abs(z)))


def _label(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


# ----------------------------------------------------------------------- setup
@dataclass(frozen=True)
class _Setup:
    kind: Kind
    time: str | None
    event: str | None
    outcome: str | None
    ties: str
    strata: tuple[str, ...]
    cluster: str | None
    weights: str | None
    conf_level: float

    @property
    def outcome_columns(self) -> list[str]:
        if self.kind == "cox":
            assert self.time is not None and self.event is not None
            return [self.time, self.event, *self.strata,
                    *([self.cluster] if self.cluster else []),
                    *([self.weights] if self.weights else [])]
        assert self.outcome is not None
        return [self.outcome]

    @property
    def measure(self) -> str:
        return "HR" if self.kind == "cox" else "OR"


def _setup(kind: str, time: str | None, event: str | None, outcome: str | None, ties: str,
           strata: str | Sequence[str] | None, cluster: str | None, weights: str | None,
           conf_level: float) -> _Setup:
    _zq(conf_level)
    if kind == "cox":
        if time is None or event is None:
            raise InputError("kind='cox' needs time= and event=", rule="cox needs time and event")
        if ties not in ("efron", "breslow"):
            raise InputError(f"ties must be 'efron' or 'breslow', not {ties!r}",
                             rule="ties option")
    elif kind == "logistic":
        if outcome is None:
            raise InputError("kind='logistic' needs outcome=", rule="logistic needs an outcome")
        if strata or cluster or weights:
            raise InputError("strata, cluster and weights apply to Cox models only",
                             rule="logistic: no strata, cluster or weights")
    else:
        raise InputError(f"kind must be 'cox' or 'logistic', not {kind!r}", rule="kind option")
    st = () if strata is None else ((strata,) if isinstance(strata, str) else tuple(strata))
    return _Setup(kind, time, event, outcome, ties, st, cluster, weights,  # type: ignore[arg-type]
                  float(conf_level))


def _weighted_wald_only(s: _Setup, *tests: str) -> None:
    """With case weights the partial likelihood is a pseudo-likelihood: Wald tests only."""
    bad = [t for t in tests if t != "wald"]
    if s.weights is not None and bad:
        raise InputError(f"with case weights ({s.weights!r}) only Wald tests are valid (robust "
                         f"variance); {bad[0]!r} compares pseudo-likelihoods; rule: use "
                         "test / criterion / univariate_test 'wald'", column=s.weights,
                         rule="weighted models: Wald tests")


def _check_criterion(criterion: str, univariate_test: str) -> None:
    """Check the elimination criterion and the univariate screen's test.

    Parameters
    ----------
    criterion : str
        One of ``"wald"``, ``"lr"``, ``"aic"``.
    univariate_test : str
        One of ``"wald"``, ``"lr"``, ``"score"``.

    Raises
    ------
    InputError
        When either is not one of its options (``criterion`` checked first).
    """
    if criterion not in ("wald", "lr", "aic"):
        raise InputError(f"criterion must be 'wald', 'lr' or 'aic', not {criterion!r}",
                         rule="criterion option")
    if univariate_test not in ("wald", "lr", "score"):
        raise InputError(f"univariate_test must be 'wald', 'lr' or 'score', not "
                         f"{univariate_test!r}", rule="univariate_test option")


def _covariates(covariates: str | Sequence[str]) -> tuple[str, ...]:
    covs = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    covs = tuple(c.strip() for c in covs)
    if not covs or any(not c for c in covs):
        raise InputError("covariates must be a non-empty list of terms", rule="covariates")
    if len(set(covs)) != len(covs):
        raise InputError(f"covariates are repeated: {list(covs)!r}", rule="covariates unique")
    return covs


# ----------------------------------------------------------------------- design
@dataclass(frozen=True)
class _Block:
    name: str
    columns: tuple[str, ...]
    levels: tuple[str, ...]
    reference: str
    index: tuple[int, ...]  # positions in the combined design


def _designs(frame: pd.DataFrame, covs: Sequence[str]) -> tuple[np.ndarray, list[_Block]]:
    xs: list[np.ndarray] = []
    blocks: list[_Block] = []
    pos = 0
    for cov in covs:
        d = build_design(frame, cov)
        levels = []
        for c in d.columns:
            m = re.search(r"\[(?:T\.)?([^\[\]]*)\]$", c)
            levels.append(m.group(1) if m else "")
        reference = ""
        if any(levels):
            vs = formula_variables(cov, frame)
            if len(vs) == 1:
                vals = {_label(v) for v in frame[vs[0]].dropna().unique()}
                rest = sorted(vals - set(levels))
                if len(rest) == 1:
                    reference = rest[0]
        k = d.x.shape[1]
        blocks.append(_Block(cov, d.columns, tuple(levels), reference,
                             tuple(range(pos, pos + k))))
        xs.append(d.x)
        pos += k
    return np.column_stack(xs) if xs else np.zeros((len(frame), 0)), blocks


@dataclass(frozen=True)
class _Fit:
    cols: tuple[int, ...]
    coef: np.ndarray
    cov: np.ndarray
    loglik: float
    loglik0: float
    n: int
    events: int
    unstable: np.ndarray
    score: float  # global score statistic (univariate: the term's score test)
    notes: tuple[str, ...]

    def aic(self, kind: Kind) -> float:
        return -2.0 * self.loglik + 2.0 * (len(self.cols) + (kind == "logistic"))


class _Fitter:
    """Fits sub-models (column subsets of one design) on fixed rows."""

    def __init__(self, s: _Setup, frame: pd.DataFrame, x: np.ndarray) -> None:
        self.s = s
        self.x = x
        self.n = len(frame)
        self._ll0: float | None = None
        if s.kind == "cox":
            base = {f"__mb_x{j}": x[:, j] for j in range(x.shape[1])}
            cols = list(dict.fromkeys(s.outcome_columns))
            self.base = pd.concat([frame[cols].reset_index(drop=True),
                                   pd.DataFrame(base)], axis=1)
            assert s.time is not None and s.event is not None
            from hccstudy._input import survival_input

            si = survival_input(frame, s.time, s.event, weights=s.weights, columns=cols)
            self.events = int(si.event.sum())
            if self.events == 0:
                raise InputError(f"column {s.event!r} has no events in the {self.n} analysed "
                                 "row(s); a Cox model needs at least one", column=s.event,
                                 rule="at least one event")
            # without cluster and weights: the core kernels of hccstudy.cox on arrays
            self.fast = s.cluster is None and s.weights is None
            self.t, self.e = si.time, si.event
            self.st = (frame.groupby(list(s.strata), sort=True).ngroup().to_numpy()
                       if s.strata else None)
        else:
            from hccstudy.analyse.logistic import binary_outcome, null_loglik

            assert s.outcome is not None
            self.y = binary_outcome(frame[s.outcome], s.outcome)
            if self.y.min() == self.y.max():
                raise InputError(f"column {s.outcome!r} (outcome) takes one value only in the "
                                 f"{self.y.size} analysed row(s); rule: both outcomes must "
                                 "occur", column=s.outcome, n_rows=int(self.y.size),
                                 rule="outcome has both values")
            self.events = int(self.y.sum())
            self._ll0 = null_loglik(self.y)

    def null(self) -> _Fit:
        if self._ll0 is None:
            raise RuntimeError("the null log-likelihood is known after a first fit")
        return _Fit((), np.zeros(0), np.zeros((0, 0)), self._ll0, self._ll0, self.n,
                    self.events, np.zeros(0, dtype=bool), 0.0, ())

    def fit(self, cols: Sequence[int]) -> _Fit:
        cols = tuple(cols)
        if not cols:
            return self.null()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            f = self._fit_cox(cols) if self.s.kind == "cox" else self._fit_logistic(cols)
        notes = tuple(str(w.message) for w in caught
                      if issubclass(w.category, MonotoneLikelihoodWarning | ConvergenceWarning))
        others = [w for w in caught if not issubclass(
            w.category, MonotoneLikelihoodWarning | ConvergenceWarning)]
        for w in others:  # pragma: no cover - passed on unchanged
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if notes:
            f = _Fit(f.cols, f.coef, f.cov, f.loglik, f.loglik0, f.n, f.events,
                     f.unstable if f.unstable.any() else np.ones(len(cols), dtype=bool),
                     f.score, notes)
        return f

    def _fit_cox(self, cols: tuple[int, ...]) -> _Fit:
        from hccstudy.analyse.cox import cox

        s = self.s
        if self.fast:
            return self._fit_cox_kernel(cols)
        assert s.time is not None and s.event is not None
        r = cox(self.base, " + ".join(f"__mb_x{j}" for j in cols), time=s.time, event=s.event,
                ties=s.ties, strata=list(s.strata) or None,  # type: ignore[arg-type]
                cluster=s.cluster, weights=s.weights, conf_level=s.conf_level,
                ph_transforms=(), concordance=False)
        self._ll0 = r.loglik[0]
        return _Fit(cols, r.coef.to_numpy(), r.cov.to_numpy(), r.loglik[1], r.loglik[0], r.n,
                    r.n_events, np.array([t in r.unstable for t in r.terms]),
                    float(r.tests["statistic"].to_numpy()[list(r.tests.index).index("score")]), ())

    def _fit_cox_kernel(self, cols: tuple[int, ...]) -> _Fit:
        """Same numbers as :func:`hccstudy.cox` (model-based variance), without its frames."""
        from hccstudy.analyse import _cox_fit as K
        from hccstudy.analyse.cox import _singular_columns

        x = np.ascontiguousarray(self.x[:, list(cols)])
        cd = K.prepare(x, self.t, self.e, strata=self.st, efron=self.s.ties == "efron")

        def check(info0: np.ndarray) -> None:
            bad = _singular_columns(info0)
            if bad:
                raise InputError("covariate(s) carry no information: collinear with other "
                                 "covariates, or constant within strata; rule: the design "
                                 "must have full rank", rule="design of full rank")

        nr = K.newton(cd, check=check)
        cov = np.linalg.inv(nr.info)
        if nr.infinite.any():
            warnings.warn("monotone likelihood: a coefficient may be infinite",
                          MonotoneLikelihoodWarning, stacklevel=2)
        elif not nr.converged:
            warnings.warn(f"the Cox fit did not converge in {nr.iterations} iterations",
                          ConvergenceWarning, stacklevel=2)
        self._ll0 = float(nr.loglik_init)
        return _Fit(cols, nr.beta, 0.5 * (cov + cov.T), float(nr.loglik),
                    float(nr.loglik_init), self.n, self.events, np.asarray(nr.infinite),
                    float(nr.score_test), ())

    def _fit_logistic(self, cols: tuple[int, ...]) -> _Fit:
        from hccstudy.analyse.logistic import fit_logistic_matrix, score_test

        x = np.column_stack([np.ones(self.n), self.x[:, list(cols)]])
        rank = np.linalg.matrix_rank(x)
        if rank < x.shape[1]:
            raise InputError("the logistic design is collinear; rule: the design must have "
                             "full rank", rule="design of full rank")
        b, v, ll, sep, unstable = fit_logistic_matrix(x, self.y)
        assert self._ll0 is not None
        ybar = float(self.y.mean())
        sc = score_test(x, self.y, list(range(1, x.shape[1])),
                        np.array([np.log(ybar / (1 - ybar))]))
        if sep:
            names = [f"column {j}" for j in cols]
            warnings.warn("separation (monotone likelihood): fitted probabilities 0 or 1 ("
                          + ", ".join(names) + ")", MonotoneLikelihoodWarning, stacklevel=2)
        return _Fit(cols, b[1:], v[1:, 1:], ll, self._ll0, self.n, self.events,
                    np.asarray(unstable[1:]), sc, ())


def _wald_block(f: _Fit, cols: Sequence[int]) -> tuple[float, int]:
    pos = [f.cols.index(c) for c in cols]
    b = f.coef[pos]
    v = f.cov[np.ix_(pos, pos)]
    try:
        return float(b @ np.linalg.solve(v, b)), len(pos)
    except np.linalg.LinAlgError:
        return float("nan"), len(pos)


def _rows(f: _Fit, blocks: Sequence[_Block], p_term: dict[str, tuple[float, int]],
          conf_level: float) -> pd.DataFrame:
    z = _zq(conf_level)
    out = []
    for bl in blocks:
        pt, df = p_term[bl.name]
        for j, c in enumerate(bl.index):
            k = f.cols.index(c)
            b = float(f.coef[k])
            se = float(np.sqrt(f.cov[k, k]))
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                out.append({
                    "variable": bl.name, "term": bl.columns[j], "level": bl.levels[j],
                    "reference": bl.reference, "coef": b, "se": se, "estimate": np.exp(b),
                    "ci_lower": np.exp(b - z * se), "ci_upper": np.exp(b + z * se),
                    "p_wald": float(_p_norm(np.array([b / se]))[0]), "p_term": pt,
                    "df_term": df, "unstable": bool(f.unstable[k])})
    return pd.DataFrame(out, columns=_ROW_COLUMNS)


def _warn_unstable(where: list[str]) -> None:
    if where:
        warnings.warn("monotone likelihood (a coefficient may be infinite) in: "
                      + "; ".join(where) + "; their rows are marked unstable",
                      MonotoneLikelihoodWarning, stacklevel=3)


# ------------------------------------------------------------------- univariate
@dataclass(frozen=True)
class UnivariateResult(HtmlReprMixin):
    """One model per covariate (aggregates only).

    Attributes
    ----------
    kind : {"cox", "logistic"}
    measure : {"HR", "OR"}
    test : {"wald", "lr", "score"}
        Test of each whole term (``p_term``).
    covariates : tuple of str
    table : pandas.DataFrame
        One row per coefficient: ``variable, term, level, reference, n, events,
        n_dropped, coef, se, estimate, ci_lower, ci_upper, p_wald, p_term, df_term,
        statistic, unstable``.
    """

    kind: Kind
    measure: str
    test: Test
    conf_level: float
    covariates: tuple[str, ...]
    table: pd.DataFrame = field(repr=False)

    def p_values(self) -> dict[str, float]:
        """``p_term`` of each covariate."""
        t = self.table.drop_duplicates("variable")
        return dict(zip(t["variable"], t["p_term"].astype(float), strict=True))

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Printable table: variable, level, n, events, estimate (CI), p."""
        lines = [f"Univariate {'Cox' if self.kind == 'cox' else 'logistic'} models "
                 f"({_TEST_NAME[self.test]} test per term)"]
        for _, r in self.table.iterrows():
            lev = f" {r['level']} vs {r['reference']}" if r["level"] else ""
            lines.append(f"  {r['variable']}{lev}: n = {r['n']}, events = {r['events']}, "
                         f"{self.measure} {r['estimate']:.3g} ({r['ci_lower']:.3g}-"
                         f"{r['ci_upper']:.3g}), p = {r['p_term']:.3g}"
                         + (" (unstable)" if r["unstable"] else ""))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def univariate(
    data: pd.DataFrame,
    covariates: str | Sequence[str],
    *,
    kind: Kind = "cox",
    time: str | None = None,
    event: str | None = None,
    outcome: str | None = None,
    test: Test = "wald",
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
) -> UnivariateResult:
    """One model per covariate on its own complete cases (a univariate screen).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; never modified.
    covariates : sequence of str
        Terms, each a column or a formula term (``"C(bclc, treatment('B'))"``).
    kind : {"cox", "logistic"}
    time, event : str
        Survival columns (``kind="cox"``).
    outcome : str
        Binary outcome column, 0/1 or bool (``kind="logistic"``).
    test : {"wald", "lr", "score"}
        Test of each whole term (``p_term``, df = number of its coefficients).
    ties : {"efron", "breslow"}
        Cox ties.
    conf_level : float
    strata, cluster, weights : optional
        Passed to :func:`hccstudy.cox` (Cox only); with ``cluster`` or non-integer
        weights the Wald test and CIs use the robust variance, the LR and score
        tests stay model-based (they ignore the clustering). With ``weights`` only
        Wald tests are allowed (a weighted partial likelihood is a
        pseudo-likelihood): other tests raise :class:`InputError`.

    Returns
    -------
    UnivariateResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10], "e": [1, 1, 0, 1, 0, 1, 1, 0],
    ...                   "age": [61, 70, 55, 48, 52, 66, 59, 45],
    ...                   "sex": ["m", "f", "m", "m", "f", "f", "m", "f"]})
    >>> u = univariate(d, ["age", "sex"], time="t", event="e", test="score")
    >>> u.to_frame()[["variable", "level", "reference", "n"]].values.tolist()
    [['age', '', '', 8], ['sex', 'm', 'f', 8]]
    """
    s = _setup(kind, time, event, outcome, ties, strata, cluster, weights, conf_level)
    if test not in ("wald", "lr", "score"):
        raise InputError(f"test must be 'wald', 'lr' or 'score', not {test!r}", rule="test option")
    _weighted_wald_only(s, test)
    covs = _covariates(covariates)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}",
                         rule="data must be a DataFrame")
    parts = []
    unstable_in: list[str] = []
    for cov in covs:
        used = [*s.outcome_columns, *formula_variables(cov, data)]
        frame, dropped = select_rows(data, used, "drop")
        x, blocks = _designs(frame, [cov])
        fitter = _Fitter(s, frame, x)
        f = fitter.fit(blocks[0].index)
        if test == "wald":
            stat, df = _wald_block(f, blocks[0].index)
        elif test == "lr":
            stat, df = 2.0 * (f.loglik - f.loglik0), len(f.cols)
        else:
            stat, df = f.score, len(f.cols)
        rows = _rows(f, blocks, {cov: (_chi2_sf(stat, df), df)}, s.conf_level)
        rows.insert(4, "n", f.n)
        rows.insert(5, "events", f.events)
        rows.insert(6, "n_dropped", int(dropped))
        rows.insert(len(rows.columns) - 1, "statistic", stat)
        parts.append(rows)
        if f.notes:
            unstable_in.append(cov)
    _warn_unstable(unstable_in)
    return UnivariateResult(s.kind, s.measure, test, s.conf_level, covs,
                            pd.concat(parts, ignore_index=True))


# --------------------------------------------------------------- multivariable
@dataclass(frozen=True)
class MultivariableResult(HtmlReprMixin):
    """A multivariable model, after backward elimination when one was asked for.

    Attributes
    ----------
    kind, measure : str
    criterion : {"wald", "lr", "aic", "none"}
        ``"none"``: all entered terms kept.
    p_remove : float
    entry : {"all", "univariate_p"}
    entry_p : float
    force : tuple of str
    candidates : tuple of str
        The covariates offered.
    entered : tuple of str
        The terms of the starting model (after the entry rule).
    final_terms : tuple of str
        The terms of the final model.
    path : pandas.DataFrame
        One row per removal: ``step, removed, statistic, df, p, aic_change``.
    table : pandas.DataFrame
        The final model, one row per coefficient (columns as
        :attr:`UnivariateResult.table` without the counts).
    n, events, n_dropped : int
        Complete cases of the entered set (every step uses these rows), their
        events, rows dropped for missing values.
    loglik, aic : float
        Of the final model.
    screen : dict
        Univariate ``p_term`` of each candidate (``entry="univariate_p"``).
    """

    kind: Kind
    measure: str
    criterion: str
    p_remove: float
    entry: str
    entry_p: float
    force: tuple[str, ...]
    candidates: tuple[str, ...]
    entered: tuple[str, ...]
    final_terms: tuple[str, ...]
    path: pd.DataFrame = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    n: int = 0
    events: int = 0
    n_dropped: int = 0
    loglik: float = float("nan")
    aic: float = float("nan")
    conf_level: float = 0.95
    screen: dict[str, float] = field(default_factory=dict, repr=False)
    method: str = ""

    @property
    def removed(self) -> tuple[str, ...]:
        """Terms removed, in order."""
        return tuple(self.path["removed"])

    def to_frame(self) -> pd.DataFrame:
        """The final model's table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """The elimination path and the final model."""
        lines = [f"Multivariable {'Cox' if self.kind == 'cox' else 'logistic'} model: "
                 f"n = {self.n}, events = {self.events}"
                 + (f", {self.n_dropped} row(s) dropped for missing values"
                    if self.n_dropped else ""), self.method]
        for _, r in self.path.iterrows():
            lines.append(f"  step {r['step']}: remove {r['removed']} (p = {r['p']:.3g}"
                         + (f", AIC change {r['aic_change']:+.2f}"
                            if np.isfinite(r["aic_change"]) else "") + ")")
        for _, r in self.table.iterrows():
            lev = f" {r['level']} vs {r['reference']}" if r["level"] else ""
            lines.append(f"  {r['variable']}{lev}: {self.measure} {r['estimate']:.3g} "
                         f"({r['ci_lower']:.3g}-{r['ci_upper']:.3g}), p = {r['p_term']:.3g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _describe(s: _Setup, criterion: str, p_remove: float, entry: str, entry_p: float,
              univariate_test: str, force: Sequence[str]) -> str:
    model = "Cox" if s.kind == "cox" else "logistic"
    if entry == "univariate_p":
        txt = (f"univariate {model} ({_TEST_NAME[univariate_test]}); variables with p < "
               f"{entry_p:g} entered")
    else:
        txt = "all candidate variables entered"
    if criterion == "none":
        txt += "; no selection"
    elif criterion == "aic":
        txt += "; backward elimination by AIC (remove while the AIC decreases)"
    else:
        txt += (f"; backward elimination by {_TEST_NAME[criterion]} p > {p_remove:g} "
                "(largest p first; factors as blocks)")
    if force:
        txt += f"; forced: {', '.join(force)}"
    return txt + "; every step on the complete cases of the entered variables"


def _select(s: _Setup, data: pd.DataFrame, covs: tuple[str, ...], criterion: str,
            p_remove: float, force: tuple[str, ...], entry: str, entry_p: float,
            univariate_test: Test) -> MultivariableResult:
    screen: dict[str, float] = {}
    entered = covs
    if entry == "univariate_p":
        u = univariate(data, covs, kind=s.kind, time=s.time, event=s.event, outcome=s.outcome,
                       test=univariate_test, ties=s.ties,  # type: ignore[arg-type]
                       conf_level=s.conf_level, strata=s.strata or None, cluster=s.cluster,
                       weights=s.weights)
        screen = u.p_values()
        entered = tuple(c for c in covs if c in force or screen[c] < entry_p)
    method = _describe(s, criterion, p_remove, entry, entry_p, univariate_test, force)
    empty_path = pd.DataFrame({"step": pd.Series(dtype=int), "removed": pd.Series(dtype=str),
                               "statistic": pd.Series(dtype=float),
                               "df": pd.Series(dtype=int), "p": pd.Series(dtype=float),
                               "aic_change": pd.Series(dtype=float)})
    if not entered:
        return MultivariableResult(
            s.kind, s.measure, criterion, p_remove, entry, entry_p, force, covs, (), (),
            empty_path, pd.DataFrame(columns=_ROW_COLUMNS), conf_level=s.conf_level,
            screen=screen, method=method + " (no variable entered)")
    used = list(s.outcome_columns)
    for c in entered:
        used += formula_variables(c, data)
    frame, dropped = select_rows(data, used, "drop")
    x, all_blocks = _designs(frame, entered)
    fitter = _Fitter(s, frame, x)
    current = list(all_blocks)
    path: list[dict[str, Any]] = []
    unstable_in: list[str] = []

    def cols_of(bs: Sequence[_Block]) -> list[int]:
        return [c for b in bs for c in b.index]

    fit = fitter.fit(cols_of(current))
    if fit.notes:
        unstable_in.append("the starting model")
    step = 0
    while criterion != "none" and current:
        removable = [b for b in current if b.name not in force]
        if not removable:
            break
        cand: list[tuple[_Block, float, int, float, float]] = []  # block, stat, df, p, aic
        for b in removable:
            if criterion == "wald":
                stat, df = _wald_block(fit, b.index)
                cand.append((b, stat, df, _chi2_sf(stat, df), float("nan")))
            else:
                red = fitter.fit(cols_of([c for c in current if c is not b]))
                stat = 2.0 * (fit.loglik - red.loglik)
                df = len(b.index)
                cand.append((b, stat, df, _chi2_sf(stat, df),
                             red.aic(s.kind) - fit.aic(s.kind)))
        if criterion == "aic":
            best = min(cand, key=lambda c: c[4])
            if not best[4] < 0:  # R's step: stop when no removal lowers the AIC
                break
        else:
            best = max(cand, key=lambda c: (np.nan_to_num(c[3], nan=-1.0)))
            if not best[3] > p_remove:
                break
        step += 1
        path.append({"step": step, "removed": best[0].name, "statistic": best[1],
                     "df": best[2], "p": best[3], "aic_change": best[4]})
        current = [b for b in current if b is not best[0]]
        fit = fitter.fit(cols_of(current))
        if fit.notes:
            unstable_in.append(f"the model after step {step}")
    p_term: dict[str, tuple[float, int]] = {}
    for b in current:
        if criterion == "lr":
            red = fitter.fit(cols_of([c for c in current if c is not b]))
            stat, df = 2.0 * (fit.loglik - red.loglik), len(b.index)
        else:
            stat, df = _wald_block(fit, b.index)
        p_term[b.name] = (_chi2_sf(stat, df), df)
    table = (_rows(fit, current, p_term, s.conf_level) if current
             else pd.DataFrame(columns=_ROW_COLUMNS))
    _warn_unstable(unstable_in)
    return MultivariableResult(
        s.kind, s.measure, criterion, p_remove, entry, entry_p, force, covs, entered,
        tuple(b.name for b in current),
        pd.DataFrame(path) if path else empty_path, table, n=len(frame),
        events=fitter.events, n_dropped=int(dropped), loglik=fit.loglik,
        aic=fit.aic(s.kind), conf_level=s.conf_level, screen=screen, method=method)


def _check_selection(covs: tuple[str, ...], force: Sequence[str], p_remove: float, entry: str,
                     entry_p: float) -> tuple[str, ...]:
    f = tuple(force)
    bad = [c for c in f if c not in covs]
    if bad:
        raise InputError(f"forced term(s) {bad!r} are not among the covariates",
                         rule="force is a subset of covariates")
    if not 0 < p_remove <= 1:
        raise InputError(f"p_remove must be in (0, 1], not {p_remove!r}", rule="0 < p_remove <= 1")
    if entry not in ("all", "univariate_p"):
        raise InputError(f"entry must be 'all' or 'univariate_p', not {entry!r}",
                         rule="entry option")
    if not 0 < entry_p <= 1:
        raise InputError(f"entry_p must be in (0, 1], not {entry_p!r}", rule="0 < entry_p <= 1")
    return f


def backward_elimination(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    kind: Kind = "cox",
    time: str | None = None,
    event: str | None = None,
    outcome: str | None = None,
    criterion: Criterion = "wald",
    p_remove: float = 0.10,
    force: Sequence[str] = (),
    entry: Entry = "all",
    entry_p: float = 0.05,
    univariate_test: Test = "wald",
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
) -> MultivariableResult:
    """Backward elimination (SPSS BSTEP removal rule, or AIC as R's ``step``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; never modified.
    covariates : sequence of str
        Candidate terms (columns or formula terms); factors are removed as blocks.
    kind, time, event, outcome, ties, conf_level, strata, cluster, weights
        As :func:`univariate`.
    criterion : {"wald", "lr", "aic"}
        Block Wald p from the current fit, likelihood-ratio p of the model without
        the term (refitted on the same rows), or AIC.
    p_remove : float
        Removal threshold: the term with the largest p is removed while p > p_remove.
    force : sequence of str
        Terms never removed.
    entry : {"all", "univariate_p"}
        Start from all candidates, or from those with univariate ``p_term < entry_p``
        (by ``univariate_test``) plus ``force``.
    entry_p : float
    univariate_test : {"wald", "lr", "score"}

    Returns
    -------
    MultivariableResult
        ``path`` lists the removals; every fit uses the complete cases of the
        entered terms (``n_dropped`` rows left out).

    Examples
    --------
    >>> import hccstudy
    >>> d = hccstudy.datasets.load_demo()
    >>> m = backward_elimination(d, ["ccrt", "tumour_size_cm", "age_years", "sex"],
    ...                          time="os_months", event="death")
    >>> "ccrt" in m.final_terms, m.n
    (True, 212)
    """
    s = _setup(kind, time, event, outcome, ties, strata, cluster, weights, conf_level)
    covs = _covariates(covariates)
    _check_criterion(criterion, univariate_test)
    f = _check_selection(covs, force, p_remove, entry, entry_p)
    _weighted_wald_only(s, criterion, univariate_test if entry == "univariate_p" else "wald")
    return _select(s, data, covs, criterion, p_remove, f, entry, entry_p, univariate_test)


def multivariable(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    kind: Kind = "cox",
    time: str | None = None,
    event: str | None = None,
    outcome: str | None = None,
    test: Literal["wald", "lr"] = "wald",
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
) -> MultivariableResult:
    """All covariates in one model (no selection), on their complete cases.

    ``test`` chooses the per-term test of ``p_term``: block Wald, or the
    drop-one likelihood-ratio test.

    Examples
    --------
    >>> import hccstudy
    >>> d = hccstudy.datasets.load_demo()
    >>> m = multivariable(d, ["ccrt", "bclc_stage"], time="os_months", event="death")
    >>> m.final_terms
    ('ccrt', 'bclc_stage')
    """
    s = _setup(kind, time, event, outcome, ties, strata, cluster, weights, conf_level)
    covs = _covariates(covariates)
    if test not in ("wald", "lr"):
        raise InputError(f"test must be 'wald' or 'lr', not {test!r}", rule="test option")
    _weighted_wald_only(s, test)
    r = _select(s, data, covs, "lr" if test == "lr" else "none", 1.0, covs, "all", 0.05,
                "wald")
    return replace(
        r, criterion="none", force=(),
        method=_describe(s, "none", 1.0, "all", 0.05, "wald", ())
        + f"; term p by {_TEST_NAME[test]}")


# ----------------------------------------------------------------- side by side
def side_by_side(univariate_result: UnivariateResult,
                 multivariable_result: MultivariableResult) -> pd.DataFrame:
    """Univariate and multivariable estimates in one frame (seed 000 Table 2, seed 004 Table 5).

    One row per coefficient of the univariate models, in their order: ``variable,
    level, reference, uni_n, uni_events, uni_estimate, uni_ci_lower, uni_ci_upper,
    uni_p, uni_p_term, entered, selected, multi_estimate, multi_ci_lower,
    multi_ci_upper, multi_p, multi_p_term`` (numbers; NaN where a term is not in
    the final model). ``uni_p`` / ``multi_p`` are per-coefficient Wald p,
    ``*_p_term`` the term's test (for a single-coefficient term the one to print).
    ``frame.attrs["measure"]`` is "HR" or "OR".

    Examples
    --------
    >>> import hccstudy
    >>> d = hccstudy.datasets.load_demo()
    >>> covs = ["ccrt", "tumour_size_cm", "sex"]
    >>> u = univariate(d, covs, time="os_months", event="death")
    >>> m = backward_elimination(d, covs, time="os_months", event="death")
    >>> t = side_by_side(u, m)
    >>> t["variable"].tolist() == covs
    True
    """
    u = univariate_result.table
    m = multivariable_result.table
    out = pd.DataFrame({
        "variable": u["variable"], "level": u["level"], "reference": u["reference"],
        "uni_n": u["n"], "uni_events": u["events"], "uni_estimate": u["estimate"],
        "uni_ci_lower": u["ci_lower"], "uni_ci_upper": u["ci_upper"], "uni_p": u["p_wald"],
        "uni_p_term": u["p_term"]})
    out["entered"] = out["variable"].isin(multivariable_result.entered)
    out["selected"] = out["variable"].isin(multivariable_result.final_terms)
    key_u = list(zip(u["variable"], u["term"], strict=True))
    mm = {(r.variable, r.term): r for r in m.itertuples(index=False)}
    for col, src in (("multi_estimate", "estimate"), ("multi_ci_lower", "ci_lower"),
                     ("multi_ci_upper", "ci_upper"), ("multi_p", "p_wald"),
                     ("multi_p_term", "p_term")):
        out[col] = [float(getattr(mm[k], src)) if k in mm else float("nan") for k in key_u]
    extra = [k for k in mm if k not in set(key_u)]
    if extra:  # a multivariable term that had no univariate model
        rows = [{"variable": k[0], "level": mm[k].level, "reference": mm[k].reference,
                 "entered": True, "selected": True, "multi_estimate": mm[k].estimate,
                 "multi_ci_lower": mm[k].ci_lower, "multi_ci_upper": mm[k].ci_upper,
                 "multi_p": mm[k].p_wald, "multi_p_term": mm[k].p_term} for k in extra]
        out = pd.concat([out, pd.DataFrame(rows)], ignore_index=True)
    out = out.reset_index(drop=True)
    out.attrs["measure"] = univariate_result.measure
    return out


@dataclass(frozen=True)
class ModelBuildingResult(HtmlReprMixin):
    """A univariate screen and the multivariable model built from it.

    ``to_frame()`` is :func:`side_by_side`; ``path`` the elimination steps.
    """

    univariate: UnivariateResult
    multivariable: MultivariableResult
    method: str

    @property
    def path(self) -> pd.DataFrame:
        """The backward-elimination path."""
        return self.multivariable.path.copy()

    def to_frame(self) -> pd.DataFrame:
        """The side-by-side table."""
        return side_by_side(self.univariate, self.multivariable)

    def summary(self) -> str:
        """Both parts as text."""
        return "\n\n".join([self.univariate.summary(), self.multivariable.summary()])

    def __str__(self) -> str:
        return self.summary()


def _restate(r: MultivariableResult, criterion: str, p_remove: float, entry: str,
             entry_p: float, force: tuple[str, ...], candidates: tuple[str, ...],
             screen: dict[str, float], method: str) -> MultivariableResult:
    """A fitted model's result with the selection settings the caller was asked for.

    Parameters
    ----------
    r : MultivariableResult
        The fit (its model, path and counts are kept).
    criterion, p_remove, entry, entry_p, force, candidates, screen, method
        As the fields of :class:`MultivariableResult`.

    Returns
    -------
    MultivariableResult
    """
    return replace(r, criterion=criterion, p_remove=p_remove, entry=entry, entry_p=entry_p,
                   force=force, candidates=candidates, screen=screen, method=method)


def model_building(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    kind: Kind = "cox",
    time: str | None = None,
    event: str | None = None,
    outcome: str | None = None,
    univariate_test: Test = "wald",
    entry: Entry = "all",
    entry_p: float = 0.05,
    selection: Literal["backward", "none"] = "backward",
    criterion: Criterion = "wald",
    p_remove: float = 0.10,
    force: Sequence[str] = (),
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
) -> ModelBuildingResult:
    """Univariate screen, then the multivariable model (backward elimination or none).

    With ``selection="none"`` the entered terms are kept (``criterion`` then only
    picks the per-term test: LR for ``"lr"``, else Wald).

    Examples
    --------
    >>> import hccstudy
    >>> d = hccstudy.datasets.load_demo()
    >>> r = model_building(d, ["ccrt", "age_years"], time="os_months", event="death",
    ...                    univariate_test="score", entry="univariate_p")
    >>> r.multivariable.entered
    ('ccrt',)
    """
    s = _setup(kind, time, event, outcome, ties, strata, cluster, weights, conf_level)
    covs = _covariates(covariates)
    if selection not in ("backward", "none"):
        raise InputError(f"selection must be 'backward' or 'none', not {selection!r}",
                         rule="selection option")
    _check_criterion(criterion, univariate_test)
    f = _check_selection(covs, force, p_remove, entry, entry_p)
    _weighted_wald_only(s, criterion, univariate_test)
    u = univariate(data, covs, kind=s.kind, time=time, event=event, outcome=outcome,
                   test=univariate_test, ties=ties, conf_level=conf_level, strata=strata,
                   cluster=cluster, weights=weights)
    crit = criterion if selection == "backward" else ("lr" if criterion == "lr" else "none")
    if selection == "none":
        entered = covs if entry == "all" else tuple(
            c for c in covs if c in f or u.p_values()[c] < entry_p)
        r = _select(s, data, entered, crit, 1.0, entered, "all", entry_p, univariate_test) \
            if entered else _select(s, data, covs, "none", 1.0, f, entry, 0.0, univariate_test)
        m = _restate(r, "none", p_remove, entry, entry_p, f, covs,
                     u.p_values() if entry == "univariate_p" else {},
                     _describe(s, "none", p_remove, entry, entry_p, univariate_test, f))
    else:
        if entry == "univariate_p":
            screen = u.p_values()
            entered = tuple(c for c in covs if c in f or screen[c] < entry_p)
            if entered:
                r = _select(s, data, entered, crit, p_remove, f, "all", entry_p,
                            univariate_test)
            else:
                r = _select(s, data, covs, crit, p_remove, f, "univariate_p", entry_p,
                            univariate_test)
            m = _restate(r, r.criterion, p_remove, entry, entry_p, f, covs, screen,
                         _describe(s, crit, p_remove, entry, entry_p, univariate_test, f))
        else:
            m = _select(s, data, covs, crit, p_remove, f, entry, entry_p, univariate_test)
    return ModelBuildingResult(u, m, m.method)
