"""Child-Pugh, ALBI/mALBI and MELD: cut-offs on both sides, worked examples, units, bad input."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hccstudy.clinical import (
    ClinicalInputError,
    albi_frame,
    albi_grade,
    albi_score,
    albumin_points,
    bilirubin_points,
    child_pugh,
    child_pugh_frame,
    inr_points,
    malbi_grade,
    meld_frame,
    meld_na_score,
    meld_score,
    pt_activity_points,
    pt_prolongation_points,
)
from hccstudy.errors import InputError


@pytest.mark.parametrize(("bili", "pts"), [(1.99, 1), (2.0, 2), (3.0, 2), (3.01, 3)])
def test_bilirubin_cutoffs(bili: float, pts: int) -> None:
    assert bilirubin_points(bili) == pts


@pytest.mark.parametrize(("alb", "pts"), [(3.51, 1), (3.5, 2), (2.8, 2), (2.79, 3)])
def test_albumin_cutoffs(alb: float, pts: int) -> None:
    assert albumin_points(alb) == pts


def test_albumin_variant_cutoff_3_0() -> None:
    assert albumin_points(3.0, albumin_low_g_dl=3.0) == 2
    assert albumin_points(2.9, albumin_low_g_dl=3.0) == 3
    assert albumin_points(2.9) == 2


@pytest.mark.parametrize(("inr", "pts"), [(1.69, 1), (1.7, 2), (2.3, 2), (2.31, 3)])
def test_inr_cutoffs(inr: float, pts: int) -> None:
    assert inr_points(inr) == pts


def test_pt_cutoffs() -> None:
    assert [pt_prolongation_points(x) for x in (3.99, 4, 6, 6.01)] == [1, 2, 2, 3]
    assert [pt_activity_points(x) for x in (70.1, 70, 40, 39.9)] == [1, 2, 2, 3]


def test_class_boundaries() -> None:
    # 6 -> A, 7 -> B, 9 -> B, 10 -> C
    assert child_pugh(1, 4, "none", "grade1_2", inr=1).label == "A6"
    assert child_pugh(2, 4, "none", "grade1_2", inr=1).label == "B7"
    assert child_pugh(2, 3, "mild", "grade1_2", inr=1).label == "B9"
    assert child_pugh(2, 3, "mild", "grade1_2", inr=2).label == "C10"


def test_worked_example_1_3() -> None:
    # bilirubin 25.7 umol/L, albumin 31 g/L, INR 1.4, mild ascites, no HE -> B7
    d = pd.DataFrame({"bili": [25.7], "alb": [31.0], "inr": [1.4], "ascites": ["mild"],
                      "encephalopathy": ["none"]})
    out = child_pugh_frame(d, bilirubin="bili", bilirubin_unit="umol/L", albumin="alb",
                           albumin_unit="g/L")
    assert out.loc[0, "child_pugh_score"] == 7
    assert out.loc[0, "child_pugh_class"] == "B"
    assert out.loc[0, "child_pugh_label"] == "B7"
    assert out.loc[0, "child_pugh_coag_method"] == "INR"


@pytest.mark.parametrize("bili_mg", [1.0, 1.99, 2.0, 2.5, 3.0, 3.01, 6.0])
@pytest.mark.parametrize("alb_g_dl", [2.0, 2.79, 2.8, 3.2, 3.5, 3.51, 4.5])
def test_unit_invariance(bili_mg: float, alb_g_dl: float) -> None:
    base = {"inr": [1.2], "ascites": ["none"], "encephalopathy": ["none"]}
    conv = pd.DataFrame({"b": [bili_mg * 17.1], "a": [alb_g_dl * 10], **base})
    canon = pd.DataFrame({"bilirubin_mg_dl": [bili_mg], "albumin_g_dl": [alb_g_dl], **base})
    si = child_pugh_frame(conv, bilirubin="b", bilirubin_unit="umol/L", albumin="a",
                          albumin_unit="g/L")
    mg = child_pugh_frame(canon)
    assert si["child_pugh_label"].iloc[0] == mg["child_pugh_label"].iloc[0]
    sa = albi_frame(conv, bilirubin="b", bilirubin_unit="umol/L", albumin="a", albumin_unit="g/L")
    ma = albi_frame(canon)
    assert sa["albi_grade"].iloc[0] == ma["albi_grade"].iloc[0]
    assert sa["albi_score"].iloc[0] == pytest.approx(ma["albi_score"].iloc[0])


def test_native_umol_cutoffs_via_conversion() -> None:
    # 34.2 umol/L = exactly 2.0 mg/dL -> 2 points; 51.3 = 3.0 -> 2 points; just above -> 3
    d = pd.DataFrame({"b": [34.19, 34.2, 51.3, 51.4], "albumin_g_dl": [4.0] * 4, "inr": [1.0] * 4,
                      "ascites": ["none"] * 4, "encephalopathy": ["none"] * 4})
    out = child_pugh_frame(d, bilirubin="b", bilirubin_unit="umol/L")
    assert out["child_pugh_score"].tolist() == [5, 6, 6, 7]


_cat3 = st.sampled_from(["none", "mild", "moderate_severe"])
_he3 = st.sampled_from(["none", "grade1_2", "grade3_4"])


@given(bili=st.floats(0, 60), alb=st.floats(0.5, 7), inr=st.floats(0.5, 10), asc=_cat3, he=_he3)
def test_score_within_5_15(bili: float, alb: float, inr: float, asc: str, he: str) -> None:
    r = child_pugh(bili, alb, asc, he, inr=inr)
    assert r.score is not None and 5 <= r.score <= 15
    assert r.cp_class == ("A" if r.score <= 6 else "B" if r.score <= 9 else "C")


@given(bili=st.one_of(st.none(), st.floats(0, 60)), alb=st.one_of(st.none(), st.floats(0.5, 7)),
       asc=st.one_of(st.none(), _cat3), he=st.one_of(st.none(), _he3))
def test_bounds_rule_brackets_score(bili: float | None, alb: float | None, asc: str | None,
                                    he: str | None) -> None:
    r = child_pugh(bili, alb, asc, he, inr=1.0)
    assert 5 <= r.score_min <= r.score_max <= 15
    if r.score is None:
        assert r.reason is not None and r.reason.startswith("missing:")
        assert r.label is None


def test_missing_item_bounds_rule() -> None:
    r = child_pugh(1.0, 4.0, "none", None, inr=1.0)  # range 5-7: A or B -> undetermined
    assert (r.score, r.cp_class, r.score_min, r.score_max) == (None, None, 5, 7)
    assert r.reason == "missing:encephalopathy"
    r = child_pugh(4.0, 2.0, "moderate_severe", None, inr=3.0)  # 13-15: C whatever the HE
    assert r.cp_class == "C" and r.flags == "partial" and r.score is None
    r = child_pugh(4.0, 2.0, "moderate_severe", None, inr=3.0, missing="none")
    assert r.cp_class is None


def test_impute_absent_is_flagged() -> None:
    r = child_pugh(1.0, 4.0, None, None, inr=1.0, impute_absent=True)
    assert r.label == "A5"
    assert r.flags == "imputed_absent:ascites;imputed_absent:encephalopathy"


def test_coagulation_priority_and_pt_control_default() -> None:
    d = pd.DataFrame({"bilirubin_mg_dl": [1.0] * 4, "albumin_g_dl": [4.0] * 4,
                      "ascites": ["none"] * 4, "encephalopathy": ["none"] * 4,
                      "inr": [1.0, None, None, None], "pt_s": [30.0, 17.0, 17.0, None],
                      "pt_control_s": [12.0, 12.0, None, None],
                      "pt_activity_pct": [30.0, 30.0, 30.0, 30.0]})
    out = child_pugh_frame(d, pt_control_default_s=11.0)
    assert out["child_pugh_coag_method"].tolist() == ["INR", "PT_seconds", "PT_seconds",
                                                      "PT_activity"]
    # 17 - 12 = 5 s -> 2 points; 17 - 11 (default control) = 6 s -> 2 points, flagged
    assert out["child_pugh_score"].tolist() == [5, 6, 6, 7]
    assert out["child_pugh_flags"].tolist()[2] == "pt_control_default"
    no_default = child_pugh_frame(d)
    assert no_default["child_pugh_coag_method"].tolist()[2] == "PT_activity"


def test_free_text_mapping() -> None:
    r = child_pugh(1.0, 4.0, "controlled by diuretics", "Minimal", inr=1.0)
    assert r.label == "B7"
    r = child_pugh(1.0, 4.0, "tense", 3, inr=1.0)
    assert r.label == "B9"


def _frame(**cols: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {"bilirubin_mg_dl": [1.0, 1.0], "albumin_g_dl": [4.0, 4.0],
                                     "inr": [1.0, 1.0], "ascites": ["none", "none"],
                                     "encephalopathy": ["none", "none"]}
    base.update(cols)
    return pd.DataFrame(base)


def test_albumin_45_g_dl_reported_as_unit_mixup() -> None:
    with pytest.raises(ClinicalInputError) as exc:
        child_pugh_frame(_frame(albumin_g_dl=[4.0, 45.0]))
    e = exc.value
    assert isinstance(e, InputError) and isinstance(e, ValueError)
    assert (e.row, e.column, e.value) == (1, "albumin_g_dl", 45.0)
    msg = str(e)
    assert "row 1" in msg and "'albumin_g_dl'" in msg and "45" in msg
    assert "likely unit mix-up" in msg and "g/L" in msg and "rule:" in msg


def test_albumin_35_in_g_dl_is_a_mixup_but_35_g_l_is_fine() -> None:
    with pytest.raises(ClinicalInputError, match="likely unit mix-up"):
        child_pugh(1.0, 35.0, "none", "none", inr=1.0)
    d = _frame(albumin_g_dl=[35.0, 40.0])
    out = child_pugh_frame(d, albumin_unit="g/L")
    assert out["child_pugh_label"].tolist() == ["A6", "A5"]


def test_negative_bilirubin_rejected() -> None:
    with pytest.raises(ClinicalInputError) as exc:
        child_pugh_frame(_frame(bilirubin_mg_dl=[1.0, -0.5]))
    e = exc.value
    assert (e.row, e.column, e.value) == (1, "bilirubin_mg_dl", -0.5)
    assert "impossible bilirubin" in str(e) and "rule: 0 <= bilirubin" in str(e)


def test_inr_zero_rejected() -> None:
    with pytest.raises(ClinicalInputError) as exc:
        child_pugh_frame(_frame(inr=[0.0, 1.0]))
    e = exc.value
    assert (e.row, e.column, e.value) == (0, "inr", 0.0)
    assert "rule: 0 < INR" in str(e)


def test_error_never_names_index_label() -> None:
    d = _frame(albumin_g_dl=[4.0, 45.0])
    d.index = pd.Index(["HOSP-0001", "HOSP-0002"], name="mrn")
    with pytest.raises(ClinicalInputError) as exc:
        child_pugh_frame(d)
    assert "HOSP" not in str(exc.value) and exc.value.row == 1


def test_unknown_category_names_row() -> None:
    with pytest.raises(ClinicalInputError) as exc:
        child_pugh_frame(_frame(ascites=["none", "lots"]))
    assert exc.value.row == 1 and exc.value.column == "ascites" and "lots" in str(exc.value)


def test_missing_gives_reason_not_default() -> None:
    out = child_pugh_frame(_frame(bilirubin_mg_dl=[None, 1.0]))
    assert pd.isna(out["child_pugh_score"].iloc[0])
    assert out["child_pugh_reason"].iloc[0] == "missing:bilirubin"
    assert out["child_pugh_score"].iloc[1] == 5


# ---- ALBI -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("bili_umol", "alb_g_l", "score", "grade", "mgrade"), [
    (17.1, 40.0, -2.586, 2, "2a"),
    (12.0, 45.0, -3.113, 1, "1"),
    (34.2, 30.0, -1.538, 2, "2b"),
    (51.3, 28.0, -1.251, 3, "3"),
])
def test_albi_worked_examples(bili_umol: float, alb_g_l: float, score: float, grade: int,
                              mgrade: str) -> None:
    s = albi_score(bili_umol, alb_g_l)
    assert s == pytest.approx(score, abs=5e-4)
    assert albi_grade(s) == grade
    assert malbi_grade(s) == mgrade


def test_albi_cutoffs_both_sides() -> None:
    assert albi_grade(-2.60) == 1 and albi_grade(-2.5999999) == 2
    assert albi_grade(-1.39) == 2 and albi_grade(-1.3899999) == 3
    assert malbi_grade(-2.270) == "2a" and malbi_grade(-2.2699999) == "2b"
    # a score that lands on -2.60 through the formula: albumin solving 0.66 log10(b) - 0.085 a
    b = 10.0
    a = (0.66 * math.log10(b) + 2.60) / 0.085
    assert albi_grade(albi_score(b, a + 1e-6)) == 1
    assert albi_grade(albi_score(b, a - 1e-6)) == 2


def test_albi_coefficient_option_and_invalid_bilirubin() -> None:
    assert albi_score(17.1, 40, albumin_coef=-0.0852) == pytest.approx(-2.594, abs=5e-4)
    d = pd.DataFrame({"bilirubin_mg_dl": [0.0], "albumin_g_dl": [4.0]})
    out = albi_frame(d)
    assert pd.isna(out["albi_score"].iloc[0]) and out["albi_reason"].iloc[0] == "invalid:bilirubin<=0"
    with pytest.raises(ClinicalInputError, match="bilirubin > 0"):
        albi_score(0, 40)


# ---- MELD -------------------------------------------------------------------------------------

def test_meld_examples_and_bounds() -> None:
    assert meld_score(1.0, 1.5, 1.5) == 13
    assert meld_na_score(1.0, 1.5, 1.5, 135) == 15
    assert meld_score(0.5, 0.5, 0.5) == 6  # values < 1 set to 1
    assert meld_score(10.0, 1.0, 1.0) == meld_score(4.0, 1.0, 1.0)  # creatinine cap 4
    assert meld_score(1.0, 1.0, 1.0, dialysis=True) == meld_score(4.0, 1.0, 1.0)
    assert meld_score(20.0, 50.0, 10.0) == 40  # cap 40
    # sodium bounds 125-137 and the MELD(i) > 11 rule
    assert meld_na_score(2.0, 3.0, 2.0, 110) == meld_na_score(2.0, 3.0, 2.0, 125)
    assert meld_na_score(2.0, 3.0, 2.0, 145) == meld_score(2.0, 3.0, 2.0)
    assert meld_na_score(1.0, 1.0, 1.0, 120) == meld_score(1.0, 1.0, 1.0)


def test_meld_frame_units_and_missing() -> None:
    d = pd.DataFrame({"creatinine_umol_l": [88.4, 88.4], "bilirubin_mg_dl": [1.5, 1.5],
                      "inr": [1.5, 1.5], "dialysis": [False, None]})
    out = meld_frame(d, creatinine="creatinine_umol_l", creatinine_unit="umol/L")
    assert out["meld"].iloc[0] == 13
    assert pd.isna(out["meld"].iloc[1]) and out["meld_reason"].iloc[1] == "missing:dialysis"
    assert "meld_na" not in out.columns and out["meld_flags"].iloc[0] is None
