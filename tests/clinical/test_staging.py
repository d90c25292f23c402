"""BCLC (2022/2018/2010), LCSGJ/mUICC, AJCC 7th/8th T and stage, Vp/Vv flags."""

from __future__ import annotations

import pandas as pd
import pytest

from hccstudy.clinical import (
    ClinicalInputError,
    ajcc7_stage,
    ajcc7_t,
    ajcc8_stage,
    ajcc8_t,
    bclc_frame,
    bclc_stage,
    lcsgj_stage,
    lcsgj_t,
    parse_level,
    tnm_frame,
    vascular_flags,
    vascular_frame,
)

NO = {"macrovascular_invasion": False, "extrahepatic_spread": False}


@pytest.mark.parametrize(("case", "kw", "stage"), [
    (1, dict(n_tumours=1, max_diam_cm=1.8, ecog=0, child_pugh_class="A", **NO), "0"),
    (2, dict(n_tumours=3, max_diam_cm=2.8, ecog=0, child_pugh_class="A", **NO), "A"),
    (3, dict(n_tumours=1, max_diam_cm=7.0, ecog=0, child_pugh_class="A", **NO), "A"),
    (4, dict(n_tumours=2, max_diam_cm=4.0, ecog=0, child_pugh_class="A", **NO), "B"),
    (5, dict(n_tumours=1, max_diam_cm=6.0, ecog=0, child_pugh_class="A",
             macrovascular_invasion=True, extrahepatic_spread=False), "C"),
    (6, dict(n_tumours=1, max_diam_cm=3.0, ecog=1, child_pugh_class="A", **NO), "C"),
    (7, dict(n_tumours=None, max_diam_cm=None, ecog=None, child_pugh_class="C",
             macrovascular_invasion=None, extrahepatic_spread=None), "D"),
    (8, dict(n_tumours=1, max_diam_cm=1.5, ecog=0, child_pugh_class="B", **NO), "0"),
])
def test_bclc_2022_worked_examples(case: int, kw: dict, stage: str) -> None:
    assert bclc_stage(**kw).stage == stage


def test_bclc_case8_versions() -> None:
    kw = dict(n_tumours=1, max_diam_cm=1.5, ecog=0, child_pugh_class="B", **NO)
    assert bclc_stage(**kw, version="2010").stage == "A"
    r = bclc_stage(**kw, version="2018")
    assert r.stage is None and r.reason == "uncertain:liver_function"
    assert bclc_stage(**kw, cp_b_policy="end_stage").stage == "D"
    assert bclc_stage(**kw, cp_b_policy="uncertain").stage is None


def test_bclc_2018_preserved_needs_no_ascites() -> None:
    kw = dict(n_tumours=1, max_diam_cm=1.5, ecog=0, child_pugh_class="A", **NO)
    assert bclc_stage(**kw, version="2018", ascites=False).stage == "0"
    assert bclc_stage(**kw, version="2018", ascites=True).stage is None
    assert bclc_stage(**kw, version="2018").reason == "missing:ascites"


@pytest.mark.parametrize(("size", "v2022", "v2010"), [(1.99, "0", "0"), (2.0, "0", "A"),
                                                      (2.01, "A", "A")])
def test_bclc_very_early_boundary(size: float, v2022: str, v2010: str) -> None:
    kw = dict(n_tumours=1, max_diam_cm=size, ecog=0, child_pugh_class="A", **NO)
    assert bclc_stage(**kw).stage == v2022
    assert bclc_stage(**kw, version="2010").stage == v2010


@pytest.mark.parametrize(("n", "size", "stage"), [(3, 3.0, "A"), (3, 3.01, "B"), (4, 1.0, "B"),
                                                  (2, 3.0, "A")])
def test_bclc_up_to_three_nodules_le_3cm(n: int, size: float, stage: str) -> None:
    assert bclc_stage(n_tumours=n, max_diam_cm=size, ecog=0, child_pugh_class="A",
                      **NO).stage == stage


def test_bclc_ps_boundaries() -> None:
    base = dict(n_tumours=1, max_diam_cm=3.0, child_pugh_class="A", **NO)
    assert [bclc_stage(ecog=p, **base).stage for p in (0, 1, 2, 3, 4)] == ["A", "C", "C", "D", "D"]
    with pytest.raises(ClinicalInputError, match="ECOG"):
        bclc_stage(ecog=5, **base)


def test_bclc_missing_rules() -> None:
    base = dict(n_tumours=1, max_diam_cm=3.0, child_pugh_class="A", **NO)
    r = bclc_stage(ecog=None, **base)
    assert r.stage is None and r.reason == "missing:ecog"
    r = bclc_stage(n_tumours=1, max_diam_cm=3.0, child_pugh_class="A", ecog=0,
                   macrovascular_invasion=None, extrahepatic_spread=False)
    assert r.stage is None and r.reason == "missing:macrovascular_invasion"
    # PS 1 is C whatever the unknown MVI; end-stage liver is D whatever the PS
    assert bclc_stage(n_tumours=1, max_diam_cm=3.0, child_pugh_class="A", ecog=1,
                      macrovascular_invasion=None, extrahepatic_spread=None).stage == "C"
    assert bclc_stage(n_tumours=1, max_diam_cm=3.0, child_pugh_class="C", ecog=None,
                      **NO).stage == "D"
    assert bclc_stage(n_tumours="multiple", max_diam_cm=2.0, child_pugh_class="A", ecog=0,
                      **NO).stage is None
    assert bclc_stage(n_tumours="multiple", max_diam_cm=5.0, child_pugh_class="A", ecog=0,
                      **NO).stage == "B"


def test_bclc_frame_reports_row() -> None:
    d = pd.DataFrame({"n_tumours": [1, 1], "max_diam_cm": [2.0, 45.0], "ecog": [0, 0],
                      "any_macrovascular": [False, False], "extrahepatic_spread": [False, False],
                      "child_pugh_class": ["A", "A"]})
    with pytest.raises(ClinicalInputError) as exc:
        bclc_frame(d)
    assert exc.value.row == 1 and "likely unit mix-up" in str(exc.value) and "mm" in str(exc.value)


# ---- LCSGJ / mUICC ----------------------------------------------------------------------------

def test_lcsgj_worked_examples() -> None:
    assert lcsgj_t(2, 1.8, False) == "T2" and lcsgj_stage("T2", 0, 0) == "II"
    assert lcsgj_t(1, 5.0, True) == "T3" and lcsgj_stage("T3", 0, 0) == "III"
    assert lcsgj_stage("T3", 1, 0) == "IVA"
    assert lcsgj_stage("T3", 1, 1) == "IVB"
    assert lcsgj_stage("T4", 0, 0) == "IVA" and lcsgj_stage("T1", 0, 0) == "I"


def test_lcsgj_size_boundary_and_unknown_factor() -> None:
    assert lcsgj_t(1, 2.0, False) == "T1" and lcsgj_t(1, 2.01, False) == "T2"
    assert lcsgj_t(2, 5.0, True) == "T4"
    assert lcsgj_t(None, 5.0, True) is None  # T3 or T4
    assert lcsgj_t(2, 5.0, None) is None


def test_muicc_n1_option() -> None:
    d = pd.DataFrame({"n_tumours": [1], "max_diam_cm": [5.0], "vp": [2], "vv": [0],
                      "n_stage": ["N1"], "m_stage": ["M0"]})
    assert tnm_frame(d)["muicc_stage"].iloc[0] == "IVA"
    assert tnm_frame(d, n1_stage="IVB")["muicc_stage"].iloc[0] == "IVB"
    assert tnm_frame(d, n1_stage="IVB")["lcsgj_stage"].iloc[0] == "IVA"


# ---- AJCC ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "t8", "s8", "t7", "s7"), [
    ((1, 1.8, True, False), "T1a", "IA", "T2", "II"),
    ((1, 5.0, True, False), "T2", "II", "T2", "II"),
    ((3, 6.0, False, False), "T3", "IIIA", "T3a", "IIIA"),
    ((1, 4.0, True, True), "T4", "IIIB", "T3b", "IIIB"),
])
def test_ajcc_worked_examples(args: tuple, t8: str, s8: str, t7: str, s7: str) -> None:
    assert ajcc8_t(*args) == t8 and ajcc8_stage(t8, 0, 0) == s8
    assert ajcc7_t(*args) == t7 and ajcc7_stage(t7, 0, 0) == s7


def test_ajcc_boundaries() -> None:
    assert ajcc8_t(1, 2.0, False, False) == "T1a" and ajcc8_t(1, 2.01, False, False) == "T1b"
    assert ajcc8_t(2, 5.0, False, False) == "T2" and ajcc8_t(2, 5.01, False, False) == "T3"
    assert ajcc7_t(2, 5.0, False, False) == "T2" and ajcc7_t(2, 5.01, False, False) == "T3a"
    assert ajcc7_t(1, 9.0, False, False) == "T1"
    assert ajcc8_t(1, 3.0, False, False, adjacent_organ=True) == "T4"
    assert ajcc7_t(1, 3.0, False, False, adjacent_organ=True) == "T4"
    assert ajcc7_stage("T4", 0, 0) == "IIIC"
    assert ajcc8_stage("T1a", 1, 0) == "IVA" and ajcc8_stage("T1a", 0, 1) == "IVB"
    assert ajcc8_stage("T1a", 0, None) is None


def test_tnm_frame_crosswalk_vv3_is_major() -> None:
    d = pd.DataFrame({"n_tumours": [1, 1], "max_diam_cm": [3.0, 3.0], "vp": ["Vp0", "Vp0"],
                      "vv": ["Vv3", "Vv1"], "n_stage": ["N0", "N0"], "m_stage": ["M0", "M0"]})
    out = tnm_frame(d)
    assert out["ajcc8_t"].tolist() == ["T4", "T2"]
    assert out["ajcc7_t"].tolist() == ["T3b", "T2"]
    assert out["lcsgj_t"].tolist() == ["T3", "T3"]


# ---- Vascular -----------------------------------------------------------------------------------

def test_vascular_flags() -> None:
    assert [vascular_flags(v, 0).major_pvi for v in range(5)] == [False, False, False, True, True]
    assert [vascular_flags(v, 0).minor_pvi for v in range(5)] == [False, True, True, False, False]
    f = vascular_flags(0, 2)
    assert f.any_macrovascular and f.major_vessel and not f.ivc_invasion and not f.any_pvi
    f = vascular_flags(None, 0, pvtt_present=True)
    assert f.any_pvi and f.any_macrovascular and f.major_pvi is None
    assert vascular_flags(None, None).any_macrovascular is None


def test_parse_level_rejects_bad_codes() -> None:
    assert parse_level("VP4", "vp") == 4 and parse_level(3.0, "vv") == 3
    with pytest.raises(ClinicalInputError, match="Vp0-Vp4"):
        parse_level("Vp5", "vp")
    d = pd.DataFrame({"vp": ["Vp1", "Vx"], "vv": [0, 0]})
    with pytest.raises(ClinicalInputError) as exc:
        vascular_frame(d)
    assert exc.value.column == "vp" and "Vx" in str(exc.value)
