"""Adverse-event tables: any grade / grade >= 3 per term and group, tests, worst grade.

R references from tests/reference/r/60_response.R on data toxicity_sim (worst-grade columns
``ae_*``, two missing fatigue grades): counts, ``chisq.test(correct = FALSE / TRUE)`` and
``fisher.test`` p-values per term for any grade and grade >= 3 and for the worst grade per
patient; seed 004 Table 4 cells (``fisher.test``, ``chisq.test(correct = FALSE)``).
Tolerance 1e-10 absolute (chi-square), 1e-8 relative (Fisher).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstudy.analyse.toxicity import (
    adverse_event_table,
    ae_slug,
    lab_ae_columns,
    worst_grade_columns,
)
from hccstudy.errors import InputError

TOL = 1e-10


@pytest.fixture(scope="module")
def tox(ref_data: Any) -> pd.DataFrame:
    d: pd.DataFrame = ref_data("toxicity_sim")
    return d


def _check(row: pd.Series, ref: dict[str, Any], t: str) -> None:
    if t == "fisher":
        assert row["p_value"] == pytest.approx(ref["fisher"], rel=1e-8)
    else:
        assert row["p_value"] == pytest.approx(ref[t], abs=TOL)


@pytest.mark.parametrize("t", ["chisq", "chisq_yates", "fisher", "auto"])
def test_ae_table_matches_r(tox: pd.DataFrame, ref_json: Any, t: str) -> None:
    ref = ref_json("toxicity_sim")
    res = adverse_event_table(tox, by="arm", test=t)  # type: ignore[arg-type]
    table = res.to_frame().set_index(["term", "group"])
    tests = res.tests().set_index(["term", "measure"])
    for col in ("ae_diarrhoea", "ae_fatigue", "ae_platelet_count_decreased", "ae_rash"):
        term = col[3:]
        r = ref[col]
        for g in ("A", "B"):
            assert table.loc[(term, g), "n"] == r["n"][g]
            assert table.loc[(term, g), "any_grade"] == r["any"]["x"][g]
            assert table.loc[(term, g), "grade_ge"] == r["ge3"]["x"][g]
        for meas, key in (("any grade", "any"), ("grade >= 3", "ge3")):
            row = tests.loc[(term, meas)]
            if "fisher" not in r[key]:  # no event in either group: no test ("-")
                assert np.isnan(row["p_value"])
                continue
            if t == "auto":
                want = "chisq" if r[key]["expected_min"] >= 5 else "fisher"
                _check(row, r[key], want)
            else:
                _check(row, r[key], t)
    assert table.loc[("fatigue", "A"), "n_missing"] + table.loc[("fatigue", "B"),
                                                                 "n_missing"] == 2
    ov = res.overall().set_index("group")
    for meas, key, colname in (("any grade", "worst_any", "any_grade"),
                               ("grade >= 3", "worst_ge3", "grade_ge")):
        for g in ("A", "B"):
            assert ov.loc[g, colname] == ref[key]["x"][g]
        row = tests.loc[("any adverse event", meas)]
        if t == "auto":
            _check(row, ref[key], "chisq" if ref[key]["expected_min"] >= 5 else "fisher")
        else:
            _check(row, ref[key], t)
    assert ov["n"].tolist() == [34, 26]


def test_seed004_table4(ref_json: Any) -> None:
    """All AEs 40/42 vs 29/29 (Fisher 0.51); G3-4 thrombocytopenia 1/42 vs 7/29 (0.007);
    AST any grade 15/42 vs 22/29 (chi-square < 0.001)."""
    ref = ref_json("toxicity_seed004")
    arm = ["IO+T"] * 42 + ["RT+IO+T"] * 29
    plt = [3] + [1] * 12 + [0] * 29 + [3] * 7 + [2] * 15 + [0] * 7
    ast = [1] * 15 + [0] * 27 + [1] * 22 + [0] * 7
    other = [1] * 40 + [0] * 2 + [1] * 29
    d = pd.DataFrame({"arm": arm, "ae_thrombocytopenia": plt, "ae_ast_elevation": ast,
                      "ae_fatigue": other})
    res = adverse_event_table(d, by="arm")
    t = res.tests().set_index(["term", "measure"])
    assert t.loc[("any adverse event", "any grade"), "p_value"] == \
        pytest.approx(ref["all_any"], rel=1e-8)
    assert t.loc[("any adverse event", "any grade"), "test"] == "Fisher exact"
    assert t.loc[("thrombocytopenia", "grade >= 3"), "p_value"] == \
        pytest.approx(ref["plt_ge3"], rel=1e-8)
    assert t.loc[("ast_elevation", "any grade"), "p_value"] == \
        pytest.approx(ref["ast_any"], abs=TOL)
    assert t.loc[("ast_elevation", "any grade"), "test"] == "Pearson chi-square"
    assert round(t.loc[("thrombocytopenia", "grade >= 3"), "p_value"], 3) == 0.007
    # frequency order (any grade, both arms): fatigue 69 > AST 37 > thrombocytopenia 35
    assert res.terms == ("fatigue", "ast_elevation", "thrombocytopenia")
    given_ = adverse_event_table(d, by="arm", sort="given")
    assert given_.terms == ("thrombocytopenia", "ast_elevation", "fatigue")
    assert given_.to_frame()["term"].unique().tolist() == list(given_.terms)


def test_hand_case_and_grades() -> None:
    d = pd.DataFrame({"ae_rash": [0, 1, 3, np.nan, 2, 0],
                      "ae_fever": [0, 0, 0, np.nan, 4, 1],
                      "g": ["a", "a", "a", "a", "b", "b"]})
    res = adverse_event_table(d, by="g", grade_threshold=2)
    f = res.to_frame().set_index(["term", "group"])
    assert f.loc[("rash", "a"), ["n", "n_missing", "any_grade", "grade_ge"]].tolist() == \
        [3, 1, 2, 1]
    assert f.loc[("rash", "b"), "grade_ge_rate"] == 0.5
    gr = res.grades().set_index(["term", "group", "grade"])["n"]
    assert gr[("fever", "b", 4)] == 1 and gr[("fever", "a", 0)] == 3
    ov = res.overall().set_index("group")
    assert ov.loc["a", "n"] == 3  # the patient with no assessed term is left out
    assert ov.loc["a", ["grade_0", "grade_1", "grade_3"]].tolist() == [1, 1, 1]
    assert ov.loc["b", ["grade_ge", "grade_1", "grade_4"]].tolist() == [1, 1, 1]
    assert "grade >= 2" in res.summary() and "ToxicityResult" in repr(res)


def test_long_table_with_denominators() -> None:
    ev = pd.DataFrame({"pid": ["p1", "p1", "p2", "p3", "p4"],
                       "term": ["Diarrhoea", "Diarrhoea", "Hand-foot skin reaction",
                                "Diarrhoea", "Platelet count decreased"],
                       "grade": [1, 3, 2, 1, 4], "arm": ["x", "x", "x", "y", "y"]})
    res = adverse_event_table(None, by="arm", long=ev, patient="pid", term="term",
                              grade="grade", n_by_group={"x": 10, "y": 5})
    f = res.to_frame().set_index(["term", "group"])
    assert f.loc[("diarrhoea", "x"), ["n", "any_grade", "grade_ge"]].tolist() == [10, 1, 1]
    assert f.loc[("platelet_count_decreased", "y"), "grade_ge"] == 1
    assert res.n_by_group == {"x": 10, "y": 5}
    ov = res.overall().set_index("group")
    assert ov.loc["x", ["n", "any_grade", "grade_0"]].tolist() == [10, 2, 8]
    # the same through the cohort frame
    cohort = pd.DataFrame({"pid": [f"p{i}" for i in range(1, 16)],
                           "arm": ["x", "x"] + ["y", "y"] + ["x"] * 8 + ["y"] * 3})
    res2 = adverse_event_table(cohort, by="arm", long=ev, patient="pid", term="term",
                               grade="grade")
    pd.testing.assert_frame_equal(res.to_frame(), res2.to_frame())
    # overall (no groups) with an int denominator
    r3 = adverse_event_table(None, long=ev, patient="pid", term="term", grade="grade",
                             n_by_group=47)
    assert r3.to_frame().set_index("term").loc["diarrhoea", "n"] == 47
    with pytest.raises(InputError, match="smaller than"):
        adverse_event_table(None, by="arm", long=ev, patient="pid", term="term",
                            grade="grade", n_by_group={"x": 1, "y": 5})
    with pytest.raises(InputError, match="n_by_group"):
        adverse_event_table(None, by="arm", long=ev, patient="pid", term="term",
                            grade="grade")


def test_worst_grade_columns_and_slug() -> None:
    assert ae_slug("Platelet count decreased") == "platelet_count_decreased"
    assert ae_slug("AST/ALT  increased (grade)") == "ast_alt_increased_grade"
    ev = pd.DataFrame({"pid": ["a", "a", "b"], "term": ["Fatigue", "fatigue ", "Rash"],
                       "grade": [2, 1, 3]})
    w = worst_grade_columns(ev, "pid", "term", "grade", ["c", "b", "a"])
    assert w.index.tolist() == ["c", "b", "a"]
    assert w.to_dict("list") == {"ae_fatigue": [0, 0, 2], "ae_rash": [0, 3, 0]}
    with pytest.raises(InputError) as e:
        worst_grade_columns(ev, "pid", "term", "grade", ["a"])
    assert e.value.column == "pid" and e.value.n_rows == 1
    bad = ev.assign(grade=[2, 7, 1])
    with pytest.raises(InputError) as e:
        worst_grade_columns(bad, "pid", "term", "grade", ["a", "b"])
    assert e.value.rule == "grade in 0-5" and e.value.n_rows == 1
    w2 = pd.DataFrame({"ctcae_platelet_count_decreased_worst": pd.array([3, None],
                                                                          dtype="Int64"),
                       "ctcae_platelet_count_decreased_baseline": [0, 0]})
    ae = lab_ae_columns(w2)
    assert ae.columns.tolist() == ["ae_platelet_count_decreased"]
    r = adverse_event_table(ae)
    assert r.to_frame()[["n", "n_missing", "grade_ge"]].values.tolist() == [[1, 1, 1]]


def test_errors() -> None:
    with pytest.raises(InputError, match="no adverse-event columns"):
        adverse_event_table(pd.DataFrame({"x": [1]}))
    with pytest.raises(InputError) as e:
        adverse_event_table(pd.DataFrame({"ae_rash": [0, 1.5, "x"]}))
    assert e.value.column == "ae_rash" and e.value.n_rows == 2
    with pytest.raises(InputError, match="unknown adverse-event"):
        adverse_event_table(pd.DataFrame({"ae_rash": [0]}), terms=["ae_fever"])
    with pytest.raises(InputError, match="grade_threshold"):
        adverse_event_table(pd.DataFrame({"ae_rash": [0]}), grade_threshold=0)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 2, 3, 4, None]),
                          st.sampled_from([0, 1, 2, 3, 4]), st.sampled_from(["a", "b"])),
                min_size=2, max_size=25), st.randoms(use_true_random=False))
def test_properties(rows: list[tuple[Any, int, str]], rnd: Any) -> None:
    d = pd.DataFrame(rows, columns=["ae_x", "ae_y", "g"]).astype({"ae_x": float})
    before = d.copy()
    r1 = adverse_event_table(d, by="g", group_order=["a", "b"])
    pd.testing.assert_frame_equal(d, before)
    idx = list(range(len(d)))
    rnd.shuffle(idx)
    r2 = adverse_event_table(d.iloc[idx], by="g", group_order=["a", "b"])
    pd.testing.assert_frame_equal(r1.to_frame(), r2.to_frame())
    pd.testing.assert_frame_equal(r1.tests(), r2.tests())
    f = r1.to_frame()
    ok = f["n"] > 0
    for c in ("any_grade_rate", "grade_ge_rate"):
        assert ((f.loc[ok, c] >= 0) & (f.loc[ok, c] <= 1)).all()
    assert (f["grade_ge"] <= f["any_grade"]).all()
    assert ((f["n"] + f["n_missing"]).groupby(f["term"]).sum() == len(d)).all()
