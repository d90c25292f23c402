"""Kaplan-Meier: agreement with R survival, hand-computed cases, properties, bad input.

R references come from tests/reference/r/10_km_logrank.R (survival 3.5.3):
``survfit(Surv(...) ~ g, conf.type=)`` for the table (``summary(fit, censored=TRUE)``
for std_err), ``survival:::survmean`` (print.survfit) for medians and restricted
means, ``quantile.survfit``, ``summary(fit, times=, extend=)`` and the reverse
Kaplan-Meier ``survfit(Surv(time, 1 - event) ~ g)`` for follow-up.
Tolerances (issue 2): survival, std_err and limits within 1e-10 absolute; medians,
quantiles and follow-up medians exact (1e-12).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccstudy.analyse.km import KaplanMeierResult, kaplan_meier
from hccstudy.errors import InputError

TOL = 1e-10  # survival, std_err, CI: absolute (issue 2)
TOL_MEDIAN = 1e-12  # medians "exact"

# case name -> data set
KM_CASES = {
    "lung_all": "lung",
    "lung_sex": "lung",
    "veteran_trt": "veteran",
    "veteran_celltype": "veteran",
    "ovarian_rx": "ovarian",
    "sim_ties_group": "sim_ties",
    "sim_ties_group_wt": "sim_ties",
    "sim_ties_group_wint": "sim_ties",
    "sim_zero_group": "sim_zero",
    "sim_counting": "sim_counting",
    "sim_counting_wt": "sim_counting",
}
CONF_TYPES = ("log", "log-log", "plain")


def _list(x: Any) -> list[Any]:
    """jsonlite writes length-one vectors as scalars."""
    return x if isinstance(x, list) else [x]


def _arr(x: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in _list(x)], dtype=float)


def _data(ref_data: Any, case: str) -> pd.DataFrame:
    d = ref_data(KM_CASES[case]).copy()
    if "id" in d:
        # the derived weight columns of 10_km_logrank.R
        d["wint"] = d["id"] % 3 + 1
        d["w"] = 0.5 + (d["id"] % 4) / 3
    return d


def _close(actual: Any, expected: Any, tol: float, what: str) -> None:
    a = np.asarray(actual, dtype=float)
    b = _arr(expected)
    assert a.shape == b.shape, f"{what}: {a.shape} rows vs R {b.shape}"
    np.testing.assert_allclose(a, b, rtol=0, atol=tol, equal_nan=True, err_msg=what)


_FITS: dict[tuple[str, str], tuple[KaplanMeierResult, dict[str, Any]]] = {}


def _fit(ref_data: Any, ref_json: Any, case: str, conf_type: str
         ) -> tuple[KaplanMeierResult, dict[str, Any]]:
    key = (case, conf_type)
    if key not in _FITS:
        ref = ref_json(f"km_{case}")
        km = kaplan_meier(_data(ref_data, case), ref["time"], ref["event"], by=ref["group"],
                          conf_type=conf_type, weights=ref["weights"], entry=ref["entry"])
        _FITS[key] = (km, ref)
    return _FITS[key]


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("case", sorted(KM_CASES))
def test_table_matches_r_survfit(ref_data: Any, ref_json: Any, case: str,
                                 conf_type: str) -> None:
    """survfit(..., conf.type=) and summary(fit, censored=TRUE)$std.err, 1e-10 absolute."""
    km, ref = _fit(ref_data, ref_json, case, conf_type)
    rt = ref[conf_type]["table"]
    tab = km.table()
    assert km.groups == tuple(str(g) for g in _list(ref["groups"]))
    assert list(tab["group"]) == [str(g) for g in _list(rt["group"])]
    for col in ("time", "n_risk", "n_event", "n_censor"):
        _close(tab[col], rt[col], 1e-9, f"{case} {col} vs R survfit")
    for col in ("survival", "std_err", "ci_lower", "ci_upper"):
        _close(tab[col], rt[col], TOL, f"{case} {conf_type} {col} vs R survfit")


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("case", sorted(KM_CASES))
def test_median_quantile_rmst_match_r(ref_data: Any, ref_json: Any, case: str,
                                      conf_type: str) -> None:
    """print.survfit (survmean) medians exact; quantile.survfit exact; rmean within 1e-10."""
    km, ref = _fit(ref_data, ref_json, case, conf_type)
    r = ref[conf_type]
    med = km.median()
    for col in ("median", "ci_lower", "ci_upper"):
        _close(med[col], r["median"][col], TOL_MEDIAN, f"{case} {conf_type} median {col}")
    assert med["n"].tolist() == _list(r["median"]["n"])
    _close(med["n_events"], r["median"]["n_events"], 1e-9, f"{case} events")
    q = km.quantile(_list(r["quantile"]["probs"]))
    for col in ("quantile", "ci_lower", "ci_upper"):
        _close(q[col], r["quantile"][col], TOL_MEDIAN, f"{case} {conf_type} quantile {col}")
    rm = km.rmst(r["rmst"]["tau"])
    _close(rm["rmst"], r["rmst"]["rmst"], TOL, f"{case} rmean (print(fit, rmean=tau))")
    _close(rm["std_err"], r["rmst"]["std_err"], TOL, f"{case} se(rmean)")


@pytest.mark.parametrize("extend", [False, True])
@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("case", sorted(KM_CASES))
def test_at_matches_r_summary_times(ref_data: Any, ref_json: Any, case: str, conf_type: str,
                                    extend: bool) -> None:
    """summary(fit, times=, extend=): counts exact, survival/std_err/CI within 1e-10."""
    km, ref = _fit(ref_data, ref_json, case, conf_type)
    ra = ref[conf_type]["at"]["extend" if extend else "no_extend"]
    a = km.at(_list(ref[conf_type]["at_times"]), extend=extend)
    assert list(a["group"]) == [str(g) for g in _list(ra["group"])]
    for col in ("time", "n_risk", "n_event", "n_censor"):
        _close(a[col], ra[col], 1e-9, f"{case} at {col}")
    for col in ("survival", "std_err", "ci_lower", "ci_upper"):
        _close(a[col], ra[col], TOL, f"{case} {conf_type} at {col}")


@pytest.mark.parametrize("case", sorted(c for c in KM_CASES if "counting" not in c))
def test_followup_matches_r_reverse_km(ref_data: Any, ref_json: Any, case: str) -> None:
    """Median of survfit(Surv(time, 1 - event) ~ g) with its limits, exact (1e-12)."""
    km, ref = _fit(ref_data, ref_json, case, "log")
    f = km.followup()
    for col in ("median", "ci_lower", "ci_upper"):
        _close(f[col], ref["followup"][col], TOL_MEDIAN, f"{case} reverse-KM {col}")


def test_followup_refuses_entry_times(ref_data: Any, ref_json: Any) -> None:
    km, _ = _fit(ref_data, ref_json, "sim_counting", "log")
    with pytest.raises(InputError, match="entry"):
        km.followup()


def test_noninteger_weights_use_robust_variance(ref_data: Any, ref_json: Any) -> None:
    """R survfitKM sets robust=TRUE for non-integer case weights; integer weights: Greenwood."""
    km_wt, _ = _fit(ref_data, ref_json, "sim_ties_group_wt", "log")
    km_int, _ = _fit(ref_data, ref_json, "sim_ties_group_wint", "log")
    assert km_wt.variance == "infinitesimal jackknife"
    assert km_int.variance == "greenwood"
    assert "infinitesimal-jackknife" in km_wt.method


def test_zero_event_group_stays_at_one(ref_data: Any, ref_json: Any) -> None:
    """Group D of sim_zero has no events: S = 1, std_err 0, median not reached (R: NA)."""
    km, _ = _fit(ref_data, ref_json, "sim_zero_group", "log")
    tab = km.table()
    d = tab[tab["group"] == "D"]
    assert (d["survival"] == 1.0).all() and (d["std_err"] == 0.0).all()
    assert np.isnan(km.median().set_index("group").loc["D", "median"])


@pytest.mark.parametrize("case", ["sim_ties_group_wt", "sim_counting_wt", "veteran_celltype"])
def test_group_by_group_path_equals_dense_grid(ref_data: Any, ref_json: Any, case: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Very large (group x time) grids are fitted one group at a time: same numbers."""
    import hccstudy.analyse.km as km_module

    ref = ref_json(f"km_{case}")
    d = _data(ref_data, case)

    def fit() -> KaplanMeierResult:
        return kaplan_meier(d, ref["time"], ref["event"], by=ref["group"],
                            weights=ref["weights"], entry=ref["entry"])

    dense = fit()
    monkeypatch.setattr(km_module, "_MAX_GRID", 0)
    split = fit()
    pd.testing.assert_frame_equal(split.table(), dense.table(), rtol=1e-13)
    assert split.n == dense.n and split.n_events == pytest.approx(dense.n_events)
    if ref["entry"] is None:
        pd.testing.assert_frame_equal(split.followup(), dense.followup(), rtol=1e-13)


# --------------------------------------------------------------------------- by hand
def test_hand_computed_ties() -> None:
    """Seven rows with a tied event/censoring at t=2 and two tied events at t=4.

    t : 1  2  2  3  4  4  5
    e : 1  1  0  1  1  1  0
    t=1: n=7 d=1 -> S = 6/7
    t=2: n=6 d=1 c=1 -> S = 6/7 * 5/6 = 5/7
    t=3: n=4 d=1 -> S = 5/7 * 3/4 = 15/28
    t=4: n=3 d=2 -> S = 15/28 * 1/3 = 5/28
    t=5: n=1 d=0 c=1 -> S = 5/28
    Greenwood var(log S) at t=4: 1/(7*6) + 1/(6*5) + 1/(4*3) + 2/(3*1).
    Median: first time S < 0.5 -> 4. RMST(5) = 1 + 6/7 + 5/7 + 15/28 + 5/28 = 23/7.
    """
    d = pd.DataFrame({"t": [1, 2, 2, 3, 4, 4, 5], "e": [1, 1, 0, 1, 1, 1, 0]})
    km = kaplan_meier(d, "t", "e")
    tab = km.table()
    assert tab["time"].tolist() == [1, 2, 3, 4, 5]
    assert tab["n_risk"].tolist() == [7, 6, 4, 3, 1]
    assert tab["n_event"].tolist() == [1, 1, 1, 2, 0]
    assert tab["n_censor"].tolist() == [0, 1, 0, 0, 1]
    np.testing.assert_allclose(tab["survival"], [6 / 7, 5 / 7, 15 / 28, 5 / 28, 5 / 28],
                               rtol=0, atol=1e-15)
    gw = 1 / 42 + 1 / 30 + 1 / 12 + 2 / 3
    assert tab["std_err"].iloc[3] == pytest.approx(5 / 28 * np.sqrt(gw), abs=1e-15)
    z = 1.959963984540054
    assert tab["ci_lower"].iloc[3] == pytest.approx(5 / 28 * np.exp(-z * np.sqrt(gw)), abs=1e-14)
    assert km.median()["median"].iloc[0] == 4.0
    assert km.rmst(5)["rmst"].iloc[0] == pytest.approx(23 / 7, abs=1e-14)
    assert km.n == (7,) and km.n_events == (5.0,) and km.groups == ("all",)


def test_hand_computed_midpoint_median() -> None:
    """S = 3/4, 1/2, 1/4, 0 at t = 1..4: S is exactly 0.5 on [2, 3) -> median (2 + 3)/2."""
    d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1]})
    km = kaplan_meier(d, "t", "e")
    assert km.median()["median"].iloc[0] == 2.5
    # S = 0 at t = 4: R gives NA for the Greenwood std err and the limits
    last = km.table().iloc[-1]
    assert last["survival"] == 0.0
    assert np.isnan(last["std_err"]) and np.isnan(last["ci_lower"])


def test_hand_computed_integer_weights_equal_replicated_rows() -> None:
    """Weights (2, 1, 1) at t = (1, 2, 3), e = (1, 1, 0).

    t=1: n=4 d=2 -> S = 1/2;  t=2: n=2 d=1 -> S = 1/4.
    Greenwood on weighted counts: 2/(4*2) + 1/(2*1) = 3/4 (as duplicating row 1).
    """
    d = pd.DataFrame({"t": [1, 2, 3], "e": [1, 1, 0], "w": [2, 1, 1]})
    km = kaplan_meier(d, "t", "e", weights="w")
    tab = km.table()
    np.testing.assert_allclose(tab["survival"], [0.5, 0.25, 0.25], atol=1e-15)
    assert tab["std_err"].iloc[1] == pytest.approx(0.25 * np.sqrt(0.75), abs=1e-15)
    rep = kaplan_meier(pd.DataFrame({"t": [1, 1, 2, 3], "e": [1, 1, 1, 0]}), "t", "e")
    pd.testing.assert_frame_equal(tab, rep.table())


def test_hand_computed_entry_times() -> None:
    """(start, stop] rows (0,2] e, (1,3] e, (2.5,4] c, (0,5] e.

    t=2: at risk rows 1, 2, 4 (row 3 enters at 2.5) -> n=3 d=1 -> S = 2/3
    t=3: rows 2, 3, 4 -> n=3 d=1 -> S = 4/9
    t=4: rows 3, 4 -> n=2 c=1;  t=5: row 4 -> n=1 d=1 -> S = 0.
    """
    d = pd.DataFrame({"start": [0, 1, 2.5, 0], "stop": [2, 3, 4, 5], "e": [1, 1, 0, 1]})
    tab = kaplan_meier(d, "stop", "e", entry="start").table()
    assert tab["n_risk"].tolist() == [3, 3, 2, 1]
    np.testing.assert_allclose(tab["survival"], [2 / 3, 4 / 9, 4 / 9, 0.0], atol=1e-15)


def test_at_before_first_time_and_quantile_bounds() -> None:
    d = pd.DataFrame({"t": [2, 3, 5], "e": [1, 0, 1]})
    km = kaplan_meier(d, "t", "e")
    a = km.at([1, 10], extend=True)
    assert a["survival"].tolist() == [1.0, 0.0]
    assert a["n_risk"].tolist() == [3.0, 0.0]
    assert a["n_event"].tolist() == [0.0, 2.0]
    with pytest.raises(InputError):
        km.quantile(1.5)
    with pytest.raises(InputError):
        km.at([-1])
    with pytest.raises(InputError):
        km.rmst(0)


def test_to_frame_and_frozen() -> None:
    d = pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1]})
    km = kaplan_meier(d, "t", "e")
    pd.testing.assert_frame_equal(km.to_frame(), km.table())
    with pytest.raises(AttributeError):
        km.conf_type = "plain"  # type: ignore[misc]


# --------------------------------------------------------------------------- properties
@st.composite
def survival_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 25))
    times = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    tenth = draw(st.lists(st.sampled_from([0.0, 0.5, 0.3]), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    return pd.DataFrame({"t": np.add(times, tenth), "e": events, "g": groups})


PROP = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@PROP
@given(survival_frames(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(d: pd.DataFrame, rnd: Any) -> None:
    perm = list(range(len(d)))
    rnd.shuffle(perm)
    a = kaplan_meier(d, "t", "e", by="g")
    b = kaplan_meier(d.iloc[perm], "t", "e", by="g")
    pd.testing.assert_frame_equal(a.table(), b.table(), rtol=1e-12)
    pd.testing.assert_frame_equal(a.median(), b.median())


@PROP
@given(survival_frames())
def test_days_or_months_give_same_estimates(d: pd.DataFrame) -> None:
    months = kaplan_meier(d, "t", "e", by="g")
    days = kaplan_meier(d.assign(t=d["t"] * 30.4375), "t", "e", by="g")
    tm, td = months.table(), days.table()
    np.testing.assert_allclose(td["time"], tm["time"] * 30.4375, rtol=1e-14)
    for col in ("n_risk", "n_event", "survival", "std_err", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(td[col], tm[col], rtol=1e-12, atol=1e-14, equal_nan=True)
    np.testing.assert_allclose(days.median()["median"], months.median()["median"] * 30.4375,
                               rtol=1e-14)


@PROP
@given(survival_frames(), st.sampled_from(CONF_TYPES))
def test_km_is_non_increasing_within_unit_interval(d: pd.DataFrame, conf_type: str) -> None:
    tab = kaplan_meier(d, "t", "e", by="g", conf_type=conf_type).table()  # type: ignore[arg-type]
    for _, grp in tab.groupby("group"):
        s = grp["survival"].to_numpy()
        assert np.all((s >= 0) & (s <= 1))
        assert np.all(np.diff(s) <= 0)
        lo, hi = grp["ci_lower"].to_numpy(), grp["ci_upper"].to_numpy()
        ok = ~np.isnan(lo)
        assert np.all(lo[ok] <= s[ok] + 1e-15) and np.all(hi[ok] >= s[ok] - 1e-15)
        assert np.all((lo[ok] >= 0) & (hi[ok] <= 1))


@PROP
@given(survival_frames())
def test_input_frame_is_never_mutated(d: pd.DataFrame) -> None:
    before = d.copy(deep=True)
    km = kaplan_meier(d, "t", "e", by="g", missing="drop")
    km.table(), km.median(), km.at([1, 5]), km.followup(), km.rmst(3), km.quantile(0.5)
    pd.testing.assert_frame_equal(d, before)


@PROP
@given(survival_frames())
def test_entry_at_zero_equals_right_censored(d: pd.DataFrame) -> None:
    """Surv(0, t, e) and Surv(t, e) give the same curve when every t > 0."""
    d = d.assign(t=d["t"] + 0.25, start=0.0)
    a = kaplan_meier(d, "t", "e", by="g").table()
    b = kaplan_meier(d, "t", "e", by="g", entry="start").table()
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)


def test_untied_times_take_the_general_path() -> None:
    rng = np.random.default_rng(7)
    t = rng.exponential(10, 200)
    e = (rng.random(200) < 0.7).astype(int)
    d = pd.DataFrame({"t": t, "e": e})
    tab = kaplan_meier(d, "t", "e").table()
    assert len(tab) == 200
    s = np.cumprod(1 - e[np.argsort(t)] / np.arange(200, 0, -1))
    np.testing.assert_allclose(tab["survival"], s, rtol=1e-12)


# --------------------------------------------------------------------------- bad input
def test_unknown_column() -> None:
    d = pd.DataFrame({"t": [1.0], "e": [1]})
    with pytest.raises(InputError, match="unknown column"):
        kaplan_meier(d, "t", "e", by="arm")
    with pytest.raises(ValueError, match="unknown column"):
        kaplan_meier(d, "time", "e")


def test_negative_time() -> None:
    d = pd.DataFrame({"t": [1.0, -2.0], "e": [1, 0]})
    with pytest.raises(InputError, match=r"'t'.*1 row"):
        kaplan_meier(d, "t", "e")


def test_event_outside_zero_one() -> None:
    d = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 2, 2]})
    with pytest.raises(InputError, match=r"'e'.*2 row"):
        kaplan_meier(d, "t", "e")


def test_missing_values_raise_or_drop() -> None:
    d = pd.DataFrame({"t": [1.0, 2.0, None, 4.0], "e": [1, 0, 1, 1],
                      "g": ["a", None, "b", "b"]})
    with pytest.raises(InputError, match="missing"):
        kaplan_meier(d, "t", "e", by="g")
    km = kaplan_meier(d, "t", "e", by="g", missing="drop")
    assert km.n_dropped == 2
    assert km.n == (1, 1)


def test_bad_options() -> None:
    d = pd.DataFrame({"t": [1.0, 2.0], "e": [1, 0]})
    with pytest.raises(InputError, match="conf_type"):
        kaplan_meier(d, "t", "e", conf_type="logit")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="conf_level"):
        kaplan_meier(d, "t", "e", conf_level=95)


# ------------------------------------------------------------- group order (levels=)
def _order_data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 90
    return pd.DataFrame({"t": rng.exponential(10, n).round(1) + 0.1,
                         "e": rng.integers(0, 2, n),
                         "arm": rng.choice(["TACE alone", "TACE+RT", "RT"], n)})


def test_levels_order_the_curves_without_changing_them() -> None:
    d = _order_data()
    base = kaplan_meier(d, "t", "e", by="arm")
    assert base.groups == ("RT", "TACE alone", "TACE+RT")
    order = ["TACE+RT", "RT", "TACE alone"]
    km = kaplan_meier(d, "t", "e", by="arm", levels=order)
    assert km.groups == tuple(order)
    for g in order:
        a = base.table()[base.table()["group"] == g].reset_index(drop=True)
        b = km.table()[km.table()["group"] == g].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    assert km.median()["group"].tolist() == order
    assert dict(zip(km.groups, km.n, strict=True)) == dict(zip(base.groups, base.n, strict=True))
    # a Categorical column gives the same order; the weighted (dense) path as well
    cat = d.assign(arm=pd.Categorical(d["arm"], categories=order))
    assert kaplan_meier(cat, "t", "e", by="arm").groups == tuple(order)
    w = d.assign(w=1.5)
    assert kaplan_meier(w, "t", "e", by="arm", weights="w", levels=order).groups == tuple(order)


def test_levels_drop_absent_groups_and_refuse_unlisted_ones() -> None:
    d = _order_data()
    km = kaplan_meier(d, "t", "e", by="arm", levels=["TACE+RT", "none", "RT", "TACE alone"])
    assert km.groups == ("TACE+RT", "RT", "TACE alone")
    with pytest.raises(InputError, match="do not list"):
        kaplan_meier(d, "t", "e", by="arm", levels=["TACE+RT", "RT"])
    with pytest.raises(InputError, match="twice"):
        kaplan_meier(d, "t", "e", by="arm", levels=["RT", "RT", "TACE alone", "TACE+RT"])
    num = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 0, 1, 1], "g": [0, 1, 0, 1]})
    assert kaplan_meier(num, "t", "e", by="g", levels=[1, 0]).groups == ("1", "0")
