"""Table 1: p-values against base R (stats), summaries, the seed-000/004 test rule, layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccstudy.analyse.table1 import (
    Table1Result,
    categorical_p,
    continuous_p,
    fisher_exact_rxc,
    side_by_side,
    table1,
)
from hccstudy.errors import InputError

TOL = 1e-10


@pytest.mark.parametrize("key", ["fisher_rxc", "fisher_2xc", "fisher_2x2"])
def test_fisher_matches_r(key, ref_json):
    # R: fisher.test(table)$p.value (FEXACT network algorithm for r x c); tol 1e-10
    r = ref_json("table1_tests")[key]
    p, name = categorical_p(np.array(r["table"]), "fisher")
    assert p == pytest.approx(r["p"], abs=TOL)
    assert name.startswith("Fisher")


@pytest.mark.parametrize("key", ["fisher_2x5", "fisher_3x4", "fisher_3x3_big"])
def test_fisher_larger_tables_exact(key, ref_json):
    # R: fisher.test(table, workspace = 2e7)$p.value; our exact enumeration; tol 1e-10
    r = ref_json("table1_fisher_large")[key]
    p, how = fisher_exact_rxc(np.array(r["table"]), max_work=50_000_000)
    assert how == "exact"
    assert p == pytest.approx(r["p"], abs=TOL)


@pytest.mark.parametrize("key", ["fisher_2x5_n857", "fisher_2x6_n857", "fisher_2x6_uneven"])
def test_fisher_2xc_tables_of_table1_size_are_exact_as_r(key, ref_json):
    # R: fisher.test(table)$p.value (FEXACT, default workspace); the 2 x c network
    # algorithm with path bounds, within the default work limit; relative tol 1e-10
    r = ref_json("table1_fisher_large")[key]
    t = np.array(r["table"])
    for table in (t, t.T, t[:, ::-1]):  # orientation and column order do not matter
        p, how = fisher_exact_rxc(table)
        assert how == "exact"
        assert p == pytest.approx(r["p"], rel=1e-10, abs=1e-300)


def test_fisher_2xc_equals_the_general_enumeration(monkeypatch: pytest.MonkeyPatch) -> None:
    # the bounded 2 x c path against the general r x c enumeration on random tables
    from hccstudy.analyse import table1 as t1

    rng = np.random.default_rng(11)
    tables = []
    while len(tables) < 150:
        c = int(rng.integers(3, 7))
        x = rng.multinomial(int(rng.integers(6, 90)), rng.dirichlet(np.ones(2 * c))).reshape(2, c)
        x = x[:, x.sum(axis=0) > 0]
        if x.shape[1] >= 3 and (x.sum(axis=1) > 0).all():
            tables.append(x)
    fast = [t1.fisher_exact_rxc(x, max_work=10**9) for x in tables]
    monkeypatch.setattr(t1, "_fisher_2xc", lambda x, max_work: None)
    general = [t1.fisher_exact_rxc(x, max_work=10**9) for x in tables]
    for (pf, hf), (pg, hg) in zip(fast, general, strict=True):
        assert hf == hg == "exact"
        assert pf == pytest.approx(pg, rel=1e-9, abs=1e-300)


def test_fisher_monte_carlo_fallback(ref_json):
    # the 3 x 3 table with n = 225 exceeds the default work limit: seeded Monte Carlo,
    # within 4 Monte Carlo SEs of R's exact p
    r = ref_json("table1_fisher_large")["fisher_3x3_big"]
    p, how = fisher_exact_rxc(np.array(r["table"]), max_work=10_000, B=20_000, seed=3)
    assert how == "monte carlo (B=20000, seed=3)"
    se = np.sqrt(r["p"] * (1 - r["p"]) / 20_000)
    assert abs(p - r["p"]) < 4 * se
    assert fisher_exact_rxc(np.array(r["table"]), max_work=10_000, B=20_000, seed=3)[0] == p


def test_chisq_matches_r(ref_json):
    # R: chisq.test(x) (Yates on 2 x 2), chisq.test(x, correct = FALSE); tol 1e-10
    r = ref_json("table1_tests")
    assert categorical_p(np.array(r["chisq_2x2_yates"]["table"]), "chisq_yates")[0] == \
        pytest.approx(r["chisq_2x2_yates"]["p"], abs=TOL)
    assert categorical_p(np.array(r["chisq_2x2_plain"]["table"]), "chisq")[0] == \
        pytest.approx(r["chisq_2x2_plain"]["p"], abs=TOL)
    p, name = categorical_p(np.array(r["chisq_rxc"]["table"]), "chisq_yates")
    assert p == pytest.approx(r["chisq_rxc"]["p"], abs=TOL) and name == "Pearson chi-square"


@pytest.mark.parametrize(("key", "test", "name"), [
    ("wilcox_exact", "wilcoxon", "Mann-Whitney U (exact)"),
    ("wilcox_ties", "wilcoxon", "Mann-Whitney U (normal approximation, continuity correction)"),
    ("t_welch", "welch", "Welch t-test"),
    ("t_student", "student", "Student t-test"),
])
def test_two_group_tests_match_r(key, test, name, ref_json):
    # R: wilcox.test(x, y) defaults, t.test(x, y), t.test(var.equal = TRUE); tol 1e-10
    r = ref_json("table1_tests")[key]
    p, got = continuous_p([np.array(r["x"]), np.array(r["y"])], test)
    assert p == pytest.approx(r["p"], abs=TOL) and got == name


def test_k_group_tests_match_r(ref_json):
    # R: kruskal.test(list), summary(aov(...)); tol 1e-10
    r = ref_json("table1_tests")
    gs = [np.array(g) for g in r["kruskal"]["groups"]]
    assert continuous_p(gs)[0] == pytest.approx(r["kruskal"]["p"], abs=TOL)
    assert continuous_p(gs, "anova")[0] == pytest.approx(r["anova"]["p"], abs=TOL)


def test_table1_sim_against_r(ref_data, ref_json):
    # R: wilcox.test(age ~ treat), chisq.test(table(stage, treat), correct = FALSE),
    # fisher.test(table(etiology, treat)), quantile type 7, mean, sd; tol 1e-10
    d = ref_data("adjust_sim")
    r = ref_json("table1_sim")
    before = d.copy()
    t = table1(d, ["age", "size_cm", "stage", "etiology"], "treat")
    f = t.to_frame().set_index(["variable", "level"])
    assert f.loc[("age", ""), "p"] == pytest.approx(r["age_wilcox"], abs=TOL)
    assert f.loc[("stage", ""), "p"] == pytest.approx(r["stage_chisq"], abs=TOL)
    assert f.loc[("stage", ""), "test"] == "Pearson chi-square"
    q = [f.loc[("size_cm", ""), f"1:{s}"] for s in ("min", "q1", "median", "q3", "max")]
    np.testing.assert_allclose(q, r["size_quantiles_treated"], atol=TOL)
    np.testing.assert_allclose([f.loc[("size_cm", ""), "0:mean"], f.loc[("size_cm", ""), "0:sd"]],
                               r["size_mean_sd_control"], atol=TOL)
    np.testing.assert_allclose(
        [[f.loc[("stage", lv), f"{g}:n"] for g in ("0", "1")] for lv in ("III", "IVA")],
        r["stage_counts"])
    tf = table1(d, ["etiology", "age"], "treat", categorical_test="fisher",
                continuous_test="welch")
    ff = tf.to_frame().set_index(["variable", "level"])
    assert ff.loc[("etiology", ""), "p"] == pytest.approx(r["etiology_fisher"], abs=1e-9)
    assert ff.loc[("age", ""), "p"] == pytest.approx(r["age_welch"], abs=TOL)
    ty = table1(d, ["etiology"], "treat", categorical_test="chisq_yates")
    assert ty.to_frame().loc[0, "p"] == pytest.approx(r["etiology_chisq"], abs=TOL)
    pd.testing.assert_frame_equal(d, before)


def test_seed_rule_chisq_unless_expected_below_5():
    # seeds 000 / 004: Pearson without correction when all expected >= 5, else Fisher
    big = np.array([[30, 20], [25, 25]])
    small = np.array([[3, 7], [9, 4]])
    assert categorical_p(big)[1] == "Pearson chi-square"
    assert categorical_p(small)[1] == "Fisher exact"
    assert categorical_p(np.array([[3, 2, 1], [1, 5, 3]]))[1] == "Fisher-Freeman-Halton exact"
    assert categorical_p(small, min_expected=1)[1] == "Pearson chi-square"


def _demo() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 80
    return pd.DataFrame({
        "arm": rng.choice(["CCRT", "control"], n),
        "age": rng.normal(58, 9, n).round(),
        "sex": rng.choice(["male", "female"], n, p=[0.8, 0.2]),
        "hvi": rng.choice([0.0, 1.0, np.nan], n, p=[0.6, 0.35, 0.05]),
        "bclc": rng.choice(["B", "C"], n),
    })


def test_summaries_missing_and_smd():
    d = _demo()
    t = table1(d, ["age", "sex", "hvi"], "arm", continuous="median_range")
    f = t.to_frame().set_index(["variable", "level"])
    a = d[d.arm == "CCRT"]
    assert f.loc[("age", ""), "CCRT:median"] == a["age"].median()
    assert f.loc[("age", ""), "summary"] == "median_range"
    assert f.loc[("hvi", ""), "CCRT:missing"] == a["hvi"].isna().sum()
    assert f.loc[("hvi", ""), "overall:missing"] == d["hvi"].isna().sum()
    n_obs = a["hvi"].notna().sum()
    assert f.loc[("hvi", "1.0"), "CCRT:percent"] == pytest.approx(
        100 * (a["hvi"] == 1).sum() / n_obs)
    c = d[d.arm == "control"]
    sd = np.sqrt((a.age.var() + c.age.var()) / 2)
    assert f.loc[("age", ""), "smd"] == pytest.approx((a.age.mean() - c.age.mean()) / sd)
    # two-level categorical: multi-level SMD equals |level SMD|
    assert f.loc[("sex", ""), "smd"] == pytest.approx(abs(f.loc[("sex", "male"), "smd"]))
    assert t.groups == ("CCRT", "control", "overall")


def test_weighted_table_and_side_by_side():
    d = _demo()
    w = np.where(d.arm == "CCRT", 2.0, 1.0)
    t = table1(d, ["age", "sex"], "arm", weights=w)
    f = t.to_frame().set_index(["variable", "level"])
    assert f.loc[("sex", ""), "CCRT:n"] == 2 * (d.arm == "CCRT").sum()
    assert np.isnan(f.loc[("age", ""), "p"]) and f.loc[("age", ""), "test"].startswith("not")
    assert t.weighted
    # equal weights reproduce the unweighted numbers
    t1 = table1(d, ["age", "sex"], "arm", weights=np.ones(len(d)))
    t0 = table1(d, ["age", "sex"], "arm")
    np.testing.assert_allclose(t1.to_frame()["smd"], t0.to_frame()["smd"], equal_nan=True)
    sbs = side_by_side({"before": t0, "after": t})
    assert sbs.columns.nlevels == 2 and len(sbs) == len(t0.rows)


def test_bad_input():
    d = _demo()
    with pytest.raises(InputError, match="unknown column"):
        table1(d, ["nosuch"], "arm")
    with pytest.raises(InputError, match="no patients"):
        table1(d, ["age"], "arm", group_order=["CCRT", "control", "TACE"])
    d2 = d.copy()
    d2.loc[0, "arm"] = None
    with pytest.raises(InputError, match="missing"):
        table1(d2, ["age"], "arm")
    with pytest.raises(InputError, match="two groups"):
        continuous_p([np.ones(3), np.ones(3), np.ones(3)], "welch")


# --------------------------------------------------------------- SMD direction
def _two_groups() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame({"arm": np.repeat(["TACE alone", "TACE+RT"], n // 2),
                         "age": np.r_[rng.normal(60, 8, n // 2), rng.normal(64, 8, n // 2)],
                         "sex": rng.choice(["f", "m", "x"], n)})


@pytest.mark.parametrize("denominator", ["pooled", "first"])
def test_smd_direction_follows_the_reference_not_the_column_order(denominator: str) -> None:
    d = _two_groups()
    a = table1(d, ["age", "sex"], "arm", group_order=["TACE alone", "TACE+RT"],
               reference="TACE alone", smd_denominator=denominator)  # type: ignore[arg-type]
    b = table1(d, ["age", "sex"], "arm", group_order=["TACE+RT", "TACE alone"],
               reference="TACE alone", smd_denominator=denominator)  # type: ignore[arg-type]
    assert a.smd_direction == b.smd_direction == ("TACE+RT", "TACE alone")
    fa, fb = a.to_frame(), b.to_frame()
    age_a = float(fa.loc[fa["variable"] == "age", "smd"].iloc[0])
    age_b = float(fb.loc[fb["variable"] == "age", "smd"].iloc[0])
    assert age_a > 0 and age_b > 0  # TACE+RT is older
    if denominator == "pooled":
        pd.testing.assert_series_equal(fa["smd"], fb["smd"])
    # default: the first listed group minus the second (as before)
    c = table1(d, ["age"], "arm", group_order=["TACE alone", "TACE+RT"],
               smd_denominator=denominator)  # type: ignore[arg-type]
    assert c.smd_direction == ("TACE alone", "TACE+RT")
    assert float(c.to_frame()["smd"].iloc[0]) == pytest.approx(-age_a)
    # oriented() turns a result round without recomputing
    o = c.oriented("TACE alone")
    assert o.smd_direction == ("TACE+RT", "TACE alone")
    assert float(o.to_frame()["smd"].iloc[0]) == pytest.approx(age_a)
    assert a.oriented("TACE alone") is a


def test_smd_reference_must_be_a_group() -> None:
    with pytest.raises(InputError, match="reference"):
        table1(_two_groups(), ["age"], "arm", reference="RT")


def test_results_saved_before_smd_direction_still_load() -> None:
    import pickle

    t = table1(_two_groups(), ["age"], "arm")
    old_state = t.__getstate__()[:-1]  # a result pickled before the field existed
    old = Table1Result.__new__(Table1Result)
    old.__setstate__(old_state)
    assert old.smd_direction is None and old.rows == t.rows
    assert pickle.loads(pickle.dumps(old)).smd_direction is None
    assert old.oriented("TACE alone").smd_direction == ("TACE+RT", "TACE alone")
