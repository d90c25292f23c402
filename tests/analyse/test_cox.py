"""Cox model: hand-computed cases, properties, bad input and the result object."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.analyse import _cox_fit as K
from hccstudy.analyse.cox import CoxResult, cox
from hccstudy.errors import InputError, MonotoneLikelihoodWarning

# ---------------------------------------------------------------- hand-computed

# Five subjects, a tie of two deaths at t = 1:
#   t = 1, 1, 2, 2, 3;  event = 1, 1, 1, 0, 1;  x = 1, 0, 1, 0, 0
# t=1: deaths x=1 and x=0, risk set all five, sum exp(b x) = 2 e^b + 3
# t=2: death x=1, risk set {3rd, 4th, 5th}: e^b + 2
# t=3: death x=0, risk set {5th}: 1 (adds log 1 = 0)
# Breslow: l(b) = 2b - 2 log(2e^b + 3) - log(e^b + 2)
# Efron:   the second tied death sees 2e^b + 3 - (e^b + 1)/2 = (3e^b + 5)/2:
#          l(b) = 2b - log(2e^b + 3) - log((3e^b + 5)/2) - log(e^b + 2)
TINY = pd.DataFrame({"t": [1, 1, 2, 2, 3], "e": [1, 1, 1, 0, 1], "x": [1, 0, 1, 0, 0]})


def breslow_ll(b: float) -> float:
    return 2 * b - 2 * math.log(2 * math.exp(b) + 3) - math.log(math.exp(b) + 2)


def efron_ll(b: float) -> float:
    eb = math.exp(b)
    return 2 * b - math.log(2 * eb + 3) - math.log((3 * eb + 5) / 2) - math.log(eb + 2)


def kernel_loglik(df: pd.DataFrame, b: float, efron: bool) -> float:
    cd = K.prepare(df[["x"]].to_numpy(float), df["t"].to_numpy(float),
                   df["e"].to_numpy(float), efron=efron)
    # the kernel centres x; the partial likelihood is invariant to that shift
    ll, _, _ = K.loglik_score_info(cd, K.risk_sums(cd, np.array([b])))
    return ll


@pytest.mark.parametrize("b", [-1.0, 0.0, 0.4, 2.0])
def test_tiny_loglik_written_out(b: float) -> None:
    assert kernel_loglik(TINY, b, efron=False) == pytest.approx(breslow_ll(b), abs=1e-13)
    assert kernel_loglik(TINY, b, efron=True) == pytest.approx(efron_ll(b), abs=1e-13)


@pytest.mark.parametrize(("ties", "ll"), [("breslow", breslow_ll), ("efron", efron_ll)])
def test_tiny_fit_is_the_maximum(ties: str, ll) -> None:  # type: ignore[no-untyped-def]
    fit = cox(TINY, "x", time="t", event="e", ties=ties)  # type: ignore[arg-type]
    b = float(fit.coef["x"])
    h = 1e-5
    assert (ll(b + h) - ll(b - h)) / (2 * h) == pytest.approx(0.0, abs=1e-8)
    # information = -l''(b): the model standard error
    d2 = (ll(b + h) - 2 * ll(b) + ll(b - h)) / h**2
    assert float(fit.se["x"]) == pytest.approx(1 / math.sqrt(-d2), rel=1e-4)
    assert fit.loglik[0] == pytest.approx(ll(0.0), abs=1e-12)
    assert fit.loglik[1] == pytest.approx(ll(b), abs=1e-12)


def test_score_test_equals_logrank_without_ties() -> None:
    """At b = 0 the Cox score test is the log-rank test (no tied deaths).

    t = 1..6, event = 1 1 0 1 1 0, group x = 1 0 1 1 0 0. Per death time
    (n at risk, n1 in group 1, death in group 1?):
      t=1: n=6, n1=3, d1=1 -> O-E = 1 - 3/6,  V = 3*3/36
      t=2: n=5, n1=2, d1=0 -> O-E = 0 - 2/5,  V = 2*3/25
      t=4: n=3, n1=1, d1=1 -> O-E = 1 - 1/3,  V = 1*2/9
      t=5: n=2, n1=0, d1=0 -> O-E = 0,        V = 0
    U = 0.5 - 0.4 + 2/3 = 23/30; V = 1/4 + 6/25 + 2/9 = (450 + 432 + 400)/1800 = 1282/1800
    """
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 1, 0],
                      "x": [1, 0, 1, 1, 0, 0]})
    expected = (23 / 30) ** 2 / (1282 / 1800)
    for ties in ("efron", "breslow"):
        fit = cox(d, "x", time="t", event="e", ties=ties)  # type: ignore[arg-type]
        assert fit.tests.loc["score", "statistic"] == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- properties

SIM = None


def sim(ref_data) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return ref_data("sim_ties")


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(seed: int, ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("sim_ties")
    perm = d.sample(frac=1.0, random_state=np.random.RandomState(seed % (2**32)))
    for ties in ("efron", "breslow"):
        a = cox(d, "group + x1 + x2", time="time", event="event", ties=ties,  # type: ignore[arg-type]
                strata="site")
        b = cox(perm, "group + x1 + x2", time="time", event="event", ties=ties,  # type: ignore[arg-type]
                strata="site")
        np.testing.assert_allclose(a.coef, b.coef, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.se, b.se, rtol=1e-10)
        assert a.concordance == pytest.approx(b.concordance, abs=1e-12)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(factor=st.sampled_from([30.4375, 1 / 12, 7.0, 365.25 / 12]),
       scale=st.sampled_from([10.0, 0.1, 2.54]))
def test_time_units_and_covariate_scale(factor: float, scale: float,
                                        ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("sim_ties")
    base = cox(d, "group + x1 + x2", time="time", event="event")
    d2 = d.assign(time=d["time"] * factor, x1=d["x1"] * scale)
    fit = cox(d2, "group + x1 + x2", time="time", event="event")
    # days vs months: identical estimates; x1 in mm vs cm: its coefficient scales exactly
    np.testing.assert_allclose(fit.coef.drop("x1"), base.coef.drop("x1"), rtol=0, atol=1e-10)
    assert float(fit.coef["x1"]) * scale == pytest.approx(float(base.coef["x1"]), rel=1e-10)
    assert float(fit.se["x1"]) * scale == pytest.approx(float(base.se["x1"]), rel=1e-9)
    assert fit.loglik[1] == pytest.approx(base.loglik[1], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_random_small_data_never_crashes(data: st.DataObject) -> None:
    n = data.draw(st.integers(6, 40))
    t = data.draw(st.lists(st.integers(1, 8), min_size=n, max_size=n))
    e = data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    x = data.draw(st.lists(st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 1)),
                           min_size=n, max_size=n))
    d = pd.DataFrame({"t": t, "e": e, "x": x})
    if sum(e) == 0 or d["x"].nunique() < 2:
        with pytest.raises(InputError):
            cox(d, "x", time="t", event="e")
        return
    before = d.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MonotoneLikelihoodWarning)
        try:
            fit = cox(d, "x", time="t", event="e")
        except InputError as exc:  # x constant in every risk set with an event: a clear error
            assert exc.rule == "design of full rank"
            return
    pd.testing.assert_frame_equal(d, before)  # the input frame is never mutated
    assert np.isfinite(fit.coef["x"]) and np.isfinite(fit.se["x"])
    surv = fit.baseline_survival()["surv"].to_numpy()
    assert np.all((surv >= 0) & (surv <= 1)) and np.all(np.diff(surv) <= 1e-15)


def test_input_frame_not_mutated(ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("sim_ties")
    before = d.copy()
    cox(d, "group + x1 + C(x3, contr.treatment('lo'))", time="time", event="event",
        strata="site", cluster="cluster", weights="wt")
    pd.testing.assert_frame_equal(d, before)


# ---------------------------------------------------------------- formula forms

def test_reference_level_spellings_agree(ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("veteran")
    forms = ["trt + C(celltype, contr.treatment('large'))",
             "trt + C(celltype, contr.treatment(base='large'))",
             "trt + C(celltype, treatment('large'))"]
    fits = [cox(d, f, time="time", event="status") for f in forms]
    for f in fits[1:]:
        np.testing.assert_allclose(f.coef.to_numpy(), fits[0].coef.to_numpy(), atol=1e-12)
    assert all("large" not in t.split("[")[-1] for t in fits[0].terms)
    assert len(fits[0].terms) == 4
    assert fits[0].term_columns[forms[0].split(" + ")[1]] == (1, 2, 3)


def test_fast_plain_design_equals_formulaic(ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("sim_ties")
    a = cox(d, "x1 + x2", time="time", event="event")  # plain numeric columns: no formulaic
    b = cox(d, "x1 + x2 + 0", time="time", event="event")  # goes through formulaic
    np.testing.assert_allclose(a.coef.to_numpy(), b.coef.to_numpy(), atol=1e-13)


def test_piece_and_row_paths_agree() -> None:
    """Few distinct times: rows are pre-summed into pieces; compare with the row path."""
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(size=(n, 3))
    t = np.round(rng.exponential(10, n)).clip(1, 30)
    e = (rng.random(n) < 0.7).astype(float)
    s = rng.integers(0, 2, n)
    for efron in (True, False):
        cd = K.prepare(x, t, e, strata=s, efron=efron)
        assert cd.piece_starts is not None
        cd2 = dataclasses.replace(cd, piece_starts=None)
        beta = np.array([0.2, -0.1, 0.3])
        a = K.loglik_score_info(cd, K.risk_sums(cd, beta))
        b = K.loglik_score_info(cd2, K.risk_sums(cd2, beta))
        assert a[0] == pytest.approx(b[0], rel=1e-12)
        np.testing.assert_allclose(a[1], b[1], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(a[2], b[2], rtol=1e-10)


# ---------------------------------------------------------------- monotone likelihood

def test_separating_covariate_warns_and_stays_finite() -> None:
    # every x = 1 subject dies before any x = 0 subject: the MLE of b is +infinity
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 1, 1, 1, 0, 1, 0],
                      "x": [1, 1, 1, 1, 0, 0, 0, 0], "age": [50, 61, 58, 70, 66, 49, 55, 63]})
    with pytest.warns(MonotoneLikelihoodWarning, match="x"):
        fit = cox(d, "x + age", time="t", event="e")
    assert fit.unstable == ("x",)
    assert np.all(np.isfinite(fit.coef)) and np.all(np.isfinite(fit.se))
    assert fit.hazard_ratios().loc["x", "unstable"]
    assert not fit.hazard_ratios().loc["age", "unstable"]


# ---------------------------------------------------------------- bad input

def test_bad_input(ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("sim_ties")
    with pytest.raises(InputError, match="nope"):
        cox(d, "x1 + nope", time="time", event="event")
    with pytest.raises(InputError, match="tim"):
        cox(d, "x1", time="tim", event="event")
    with pytest.raises(InputError, match="stratum_col"):
        cox(d, "x1", time="time", event="event", strata="stratum_col")
    with pytest.raises(InputError, match="negative"):
        cox(d.assign(time=-d["time"]), "x1", time="time", event="event")
    with pytest.raises(InputError, match="0/1"):
        cox(d.assign(event=d["event"] * 2), "x1", time="time", event="event")
    with pytest.raises(InputError, match="right-hand side"):
        cox(d, "Surv(time, event) ~ x1", time="time", event="event")
    with pytest.raises(InputError, match="ties"):
        cox(d, "x1", time="time", event="event", ties="exact")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no events"):
        cox(d.assign(event=0), "x1", time="time", event="event")


def test_constant_and_collinear_covariates_are_errors(ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("sim_ties")
    with pytest.raises(InputError, match="constant") as exc:
        cox(d.assign(k=1.0), "x1 + k", time="time", event="event")
    assert exc.value.column == "k"
    with pytest.raises(InputError, match="collinear"):
        cox(d.assign(x1b=2 * d["x1"] + 1), "x1 + x1b", time="time", event="event")
    with pytest.raises(InputError, match="collinear"):
        # constant within each stratum: no information once stratified
        cox(d.assign(sx=d["site"] * 1.5), "x1 + sx", time="time", event="event",
            strata="site")


def test_missing_values(ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("lung")
    with pytest.raises(InputError, match=r"ph\.ecog"):
        cox(d, "age + `ph.ecog`", time="time", event="event")
    fit = cox(d, "age + `ph.ecog`", time="time", event="event", missing="drop")
    assert fit.n_dropped == int(d["ph.ecog"].isna().sum())
    assert fit.n == len(d) - fit.n_dropped
    assert "dropped" in fit.summary()


# ---------------------------------------------------------------- result object

def test_result_is_frozen_and_holds_aggregates(ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("sim_ties")
    fit = cox(d, "group + x1", time="time", event="event", cluster="cluster")
    assert isinstance(fit, CoxResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.n = 3  # type: ignore[misc]
    # nothing of patient-row length is kept
    for f in dataclasses.fields(fit):
        v = getattr(fit, f.name)
        if isinstance(v, np.ndarray | pd.Series | pd.DataFrame):
            assert len(v) < len(d)
    assert fit.variance == "robust"
    assert fit.ties == "efron"
    assert fit.ci_transform == "log"
    frame = fit.to_frame()
    assert {"hr", "ci_lower", "ci_upper", "p", "se_model", "se_robust"} <= set(frame.columns)
    hr90 = fit.hazard_ratios(0.90)
    hr95 = fit.hazard_ratios()
    assert np.all(hr90["ci_lower"] > hr95["ci_lower"])
    text = fit.summary()
    for term in fit.terms:
        assert term in text
    assert "robust" in text and "Concordance" in text
    assert str(fit) == text
    with pytest.raises(ValueError, match="not available"):
        cox(d, "x1", time="time", event="event", ph_transforms=("km",)).ph_test("rank")


def test_predict_survival_before_first_and_after_last_event(ref_data) -> None:  # type: ignore[no-untyped-def]
    d = ref_data("sim_ties")
    fit = cox(d, "x1 + x2", time="time", event="event", strata="site")
    p = fit.predict_survival(pd.DataFrame({"x1": [5.0], "x2": [1]}), times=[0.0, 1e6])
    assert set(p["strata"]) == {"site=1", "site=2", "site=3"}
    early = p[p["time"] == 0.0]
    assert np.all(early["surv"] == 1.0)
    b = fit.baseline_survival()
    assert list(b["strata"].unique()) == ["site=1", "site=2", "site=3"]
    with pytest.raises(InputError):
        fit.predict_survival(pd.DataFrame({"x1": [5.0]}), times=[1.0])


# ------------------------------------------------- compiled kernels vs NumPy paths


def _random_case(rng: np.random.Generator, n: int, *, strata: bool, weights: bool,
                 ntimes: int) -> tuple[K.CoxData, np.ndarray]:
    x = rng.integers(0, 4, (n, 2)).astype(float)
    t = rng.integers(1, ntimes + 1, n).astype(float)
    e = (rng.random(n) < 0.6).astype(float)
    e[0] = 1.0
    st_ = np.unique(rng.integers(0, 3, n), return_inverse=True)[1] if strata else None
    w = rng.integers(1, 4, n).astype(float) if weights else None
    cd = K.prepare(x, t, e, weights=w, strata=st_)
    return cd, cd.x @ np.array([0.5, -0.3])


def test_compiled_concordance_matches_numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    monkeypatch.setattr(K, "JIT_MIN_ROWS", 0)
    from hccstudy.analyse._cox_concordance import concordance

    rng = np.random.default_rng(7)
    for it in range(120):
        n = int(rng.integers(2, 50))
        cd, lp = _random_case(rng, n, strata=it % 2 == 1, weights=it % 3 == 0,
                              ntimes=int(rng.integers(1, 12)))
        cl = rng.integers(0, 5, n) if it % 4 == 0 else None
        a = concordance(cd, lp, cl, None)
        b = concordance(cd, lp, cl, None, compiled=False)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_compiled_concordance_threaded_size() -> None:
    """From 1e5 rows the two kernel passes run on two threads."""
    pytest.importorskip("numba")
    assert K.JIT_MIN_ROWS < 120_000
    from hccstudy.analyse._cox_concordance import concordance

    rng = np.random.default_rng(8)
    cd, lp = _random_case(rng, 120_000, strata=True, weights=False, ntimes=400)
    lp = lp + rng.normal(size=lp.size) * 0.01  # many distinct predictors
    np.testing.assert_allclose(concordance(cd, lp, None, None),
                               concordance(cd, lp, None, None, compiled=False),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("ntimes", [3, 40, 10_000])
def test_compiled_risk_sums_match_numpy_path(ntimes: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    monkeypatch.setattr(K, "JIT_MIN_ROWS", 0)
    from hccstudy.analyse import _cox_jit

    rng = np.random.default_rng(ntimes)
    for strata in (False, True):
        cd, lp = _random_case(rng, 3000, strata=strata, weights=True, ntimes=ntimes)
        r = cd.w * np.exp(lp)
        got = _cox_jit.suffix_sums(cd.x, r, cd.row_seg, cd.seg - np.arange(cd.seg.size),
                                   cd.death_bounds_full[0::2], cd.death_bounds_full[1::2])
        want = K._row_sums(cd, r, cd.x * r[:, None])
        for g, w_ in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w_, rtol=1e-10, atol=1e-10)
        rs = K.risk_sums(cd, np.array([0.5, -0.3]))
        mult = rng.normal(size=cd.ev_slot.size)
        for m in (None, mult):
            a = K.event_coefs(cd, rs, m)
            b = K._event_coefs_numpy(cd, rs, m)
            assert cd.efron and cd.any_tied  # the compiled path was taken
            for f in ("c", "e", "alpha", "beta", "gamma"):
                np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-12, atol=0)


def test_informations_from_piece_moments_match_row_sums(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numba, several informations at once on few distinct times use per-piece
    moments."""
    monkeypatch.setattr(K, "JIT_MIN_ROWS", 1 << 62)
    rng = np.random.default_rng(3)
    cd, _ = _random_case(rng, 3000, strata=True, weights=True, ntimes=3)
    assert cd.piece_starts is not None
    rs = K.risk_sums(cd, np.array([0.2, 0.1]))
    tws = [rng.normal(size=cd.ev_slot.size) for _ in range(3)]
    ecs = [K.event_coefs(cd, rs, tw) for tw in tws]
    many = K.infos(cd, rs, ecs)
    for ec, m in zip(ecs, many, strict=True):
        np.testing.assert_allclose(m, K.infos(cd, rs, [ec])[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("tied", [True, False])
def test_compiled_information_matches_numpy_path(tied: bool,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Score, information and the cox.zph blocks: compiled kernels vs the NumPy code."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(11)
    n = 5000
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.normal(size=n)])
    t = np.round(rng.exponential(10, n), 0) + 1 if tied else rng.exponential(10, n) + 1
    e = (rng.random(n) < 0.7).astype(float)
    cd = K.prepare(x, t, e, efron=True)
    assert cd.any_tied == tied
    beta = np.array([0.2, -0.4, 0.1])
    tws = [None, rng.normal(size=cd.ev_slot.size)]
    got = []
    for big in (0, 1 << 62):
        monkeypatch.setattr(K, "JIT_MIN_ROWS", big)
        rs = K.risk_sums(cd, beta)
        ll, u, info = K.loglik_score_info(cd, rs)
        zph = K.weighted_infos(cd, rs, [tw for tw in tws if tw is not None] * 2)
        got.append((ll, u, info, *zph, rs.s0, rs.s1))
    for a, b in zip(*got, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-10)


def test_fits_from_several_threads_agree(ref_data) -> None:  # type: ignore[no-untyped-def]
    """The compiled kernels use no numba threads of their own: concurrent fits are safe."""
    from concurrent.futures import ThreadPoolExecutor

    d = ref_data("sim_ties")
    forms = ["group + x1 + x2", "x1 + x2", "group + x1", "x2 + x3"]
    alone = [cox(d, f, time="time", event="event") for f in forms]
    with ThreadPoolExecutor(max_workers=4) as ex:
        together = list(ex.map(lambda f: cox(d, f, time="time", event="event"), forms * 2))
    for a, b in zip(alone * 2, together, strict=True):
        np.testing.assert_array_equal(a.coef.to_numpy(), b.coef.to_numpy())
        assert a.concordance == b.concordance
        pd.testing.assert_frame_equal(a.ph_test(), b.ph_test())


def test_slot_concordance_matches_rank_kernel_and_numpy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Few event times: the kernel indexed by time slot (rows in lp order) gives the counts
    of the kernel indexed by lp rank and of the NumPy path, on tied, weighted, stratified
    data with runs of equal lp (and an infinite lp)."""
    pytest.importorskip("numba")
    monkeypatch.setattr(K, "JIT_MIN_ROWS", 0)
    from hccstudy.analyse import _cox_concordance as C
    from hccstudy.analyse import _cox_jit

    rng = np.random.default_rng(21)
    for it in range(160):
        n = int(rng.integers(2, 400))
        cd, lp = _random_case(rng, n, strata=it % 2 == 1, weights=it % 3 == 0,
                              ntimes=int(rng.integers(1, 15)))
        if it % 3 == 1:  # non-integer weights
            cd = dataclasses.replace(cd, w=rng.random(n) * 2 + 0.1)
        cl = rng.integers(0, 5, n) if it % 4 == 0 else None
        slot = C._concordance_fast(cd, lp, cl, by_slot=True)
        rank = C._concordance_fast(cd, lp, cl, by_slot=False)
        assert slot is not None and rank is not None
        np.testing.assert_allclose(slot, rank, rtol=0, atol=1e-12)
        np.testing.assert_allclose(slot, C._concordance_numpy(cd, lp, cl), rtol=0, atol=1e-12)
        if it % 5 == 0:
            lp2 = lp.copy()
            lp2[int(rng.integers(0, n))] = np.inf
            np.testing.assert_allclose(C._concordance_fast(cd, lp2, cl, by_slot=True),
                                       C._concordance_fast(cd, lp2, cl, by_slot=False),
                                       rtol=0, atol=1e-12)
    # the six per-row counts themselves agree with the rank kernel
    cd, lp = _random_case(rng, 3000, strata=True, weights=True, ntimes=30)
    dead = cd.status > 0
    order, new = _cox_jit.lp_order(lp, cd.row_seg)
    got = _cox_jit.slot_counts(order, new, cd.hi, cd.w, dead, cd.row_seg, cd.seg)
    rank_, nrank = _cox_jit.dense_ranks(lp, cd.row_seg)
    bstrat = np.searchsorted(cd.row_seg, cd.hi_starts, side="right") - 1
    want = _cox_jit.counts(rank_, cd.w, dead, cd.hi_starts, bstrat, nrank)
    for g, w_ in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w_)


def test_slot_concordance_chosen_for_few_times() -> None:
    """Large tied data take the slot kernel; the result is bit-identical to the rank
    kernel with unit weights (exact integer counts either way)."""
    pytest.importorskip("numba")
    from hccstudy.analyse import _cox_concordance as C

    rng = np.random.default_rng(5)
    cd, lp = _random_case(rng, 120_000, strata=True, weights=False, ntimes=300)
    lp = lp + np.round(rng.normal(size=lp.size), 2)  # ties in lp as well
    assert 2 * cd.n_slots <= C.SLOT_MAX_FRACTION * lp.size
    got = C.concordance(cd, lp, None, None)
    assert got == C._concordance_fast(cd, lp, None, by_slot=False)
    np.testing.assert_allclose(got, C._concordance_numpy(cd, lp, None), rtol=0, atol=1e-12)
