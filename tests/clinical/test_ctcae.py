"""CTCAE v4.03 / v5.0 lab grading: worked examples, both sides of every threshold, baselines."""

from __future__ import annotations

import pandas as pd
import pytest

from hccstudy.clinical import (
    ClinicalInputError,
    ctcae_grade,
    ctcae_grade_detail,
    grade_labs,
    normalise_term,
    worst_grades,
)


@pytest.mark.parametrize("version", ["4.03", "5.0"])
def test_worked_examples_8_4(version: str) -> None:
    g = lambda *a, **k: ctcae_grade(*a, version=version, **k)  # noqa: E731
    assert g("ANC", 0.9) == 3
    assert g("platelets", 60, lln=150) == 2
    assert g("ALC", 0.45) == 3
    assert g("hb", 9.5) == 2 and g("hb", 7.9) == 3
    assert g("albumin", 2.9) == 2 and g("albumin", 3.2, lln=3.5) == 1
    assert g("AST", 130, uln=40) == 2
    assert g("bilirubin", 2.0, uln=1.2, baseline=1.0) == 2
    assert g("creatinine", 1.5, uln=1.2, baseline=0.8) == 2


def test_v5_abnormal_baseline_examples() -> None:
    assert ctcae_grade("AST", 130, uln=40, baseline=80) == 1
    assert ctcae_grade("AST", 100, uln=40, baseline=80) == 0
    assert ctcae_grade("AST", 130, uln=40, baseline=80, version="4.03") == 2
    # grade 1 boundary is >= 1.5 x baseline (inclusive) for AST/ALT
    assert ctcae_grade("ALT", 120, uln=40, baseline=80) == 1
    assert ctcae_grade("ALT", 119.9, uln=40, baseline=80) == 0
    assert ctcae_grade("ALT", 240, uln=40, baseline=80) == 1
    assert ctcae_grade("ALT", 240.1, uln=40, baseline=80) == 2
    # bilirubin with abnormal baseline: > 1.0 x baseline
    assert ctcae_grade("bilirubin", 2.0, uln=1.2, baseline=2.0) == 0
    assert ctcae_grade("bilirubin", 2.01, uln=1.2, baseline=2.0) == 1
    assert ctcae_grade("bilirubin", 6.01, uln=1.2, baseline=2.0) == 3
    r = ctcae_grade_detail("AST", 130, uln=40, baseline=80)
    assert r.flags == "baseline_abnormal"
    assert ctcae_grade("AST", 130, uln=40, baseline=30, baseline_abnormal=True) == 2  # 4.3x


DECREASED = [  # term, [(value, grade)] around each threshold; LLN given for grade 1
    ("neutrophil_count_decreased", 2.0, [(1.5, 1), (1.49, 2), (1.0, 2), (0.99, 3), (0.5, 3),
                                         (0.49, 4), (2.0, 0)]),
    ("platelet_count_decreased", 150, [(75, 1), (74.9, 2), (50, 2), (49.9, 3), (25, 3),
                                       (24.9, 4), (150, 0)]),
    ("lymphocyte_count_decreased", 1.0, [(0.8, 1), (0.79, 2), (0.5, 2), (0.49, 3), (0.2, 3),
                                         (0.19, 4)]),
    ("wbc_decreased", 4.0, [(3.0, 1), (2.99, 2), (2.0, 2), (1.99, 3), (1.0, 3), (0.99, 4)]),
    ("anaemia", 12.0, [(10.0, 1), (9.99, 2), (8.0, 2), (7.99, 3), (12.0, 0), (11.99, 1)]),
    ("hypoalbuminaemia", 3.5, [(3.0, 1), (2.99, 2), (2.0, 2), (1.99, 3), (3.5, 0)]),
]


@pytest.mark.parametrize(("term", "lln", "cases"), DECREASED)
def test_decreased_thresholds_both_sides(term: str, lln: float,
                                         cases: list[tuple[float, int]]) -> None:
    for version in ("4.03", "5.0"):
        assert [ctcae_grade(term, v, lln=lln, version=version) for v, _ in cases] == [
            g for _, g in cases]


def test_missing_lln_and_low_site_lln() -> None:
    assert ctcae_grade("platelets", 100) is None
    assert ctcae_grade_detail("platelets", 100).reason == "missing:lln"
    assert ctcae_grade("platelets", 70) == 2  # absolute thresholds need no LLN
    assert ctcae_grade("ALC", 0.75, lln=0.7) == 2  # absolute threshold wins over a low LLN


@pytest.mark.parametrize(("term", "mults"), [("AST", (1, 3, 5, 20)), ("ALT", (1, 3, 5, 20)),
                                             ("bilirubin", (1, 1.5, 3, 10)),
                                             ("creatinine", (1, 1.5, 3, 6))])
@pytest.mark.parametrize("version", ["4.03", "5.0"])
def test_increased_uln_thresholds_both_sides(term: str, mults: tuple[float, ...],
                                             version: str) -> None:
    uln = 1.2
    kw = {} if term == "creatinine" else {"baseline_abnormal": False}
    for grade, m in enumerate(mults, start=1):
        # exactly k x ULN stays in the lower grade (floating point: 3 x 1.2 != 3.6 is handled)
        assert ctcae_grade(term, m * uln, uln=uln, version=version, **kw) == grade - 1
        assert ctcae_grade(term, m * uln * 1.001, uln=uln, version=version, **kw) == grade


def test_exact_uln_multiples_are_lower_grade() -> None:
    assert ctcae_grade("AST", 3.6, uln=1.2, version="4.03") == 1  # exactly 3 x ULN
    assert ctcae_grade("AST", 3.6000001, uln=1.2, version="4.03") == 2
    assert ctcae_grade("bilirubin", 1.8, uln=1.2, version="4.03") == 1  # exactly 1.5 x ULN
    assert ctcae_grade("AST", 40, uln=40, version="4.03") == 0


def test_creatinine_baseline_criteria_by_version() -> None:
    # only the baseline criterion: 1.2 x baseline -> v4 grade 1, v5 grade 0 (ULN criterion 0)
    assert ctcae_grade("creatinine", 0.96, uln=1.2, baseline=0.8, version="4.03") == 1
    assert ctcae_grade("creatinine", 0.96, uln=1.2, baseline=0.8, version="5.0") == 0
    assert ctcae_grade("creatinine", 2.5, uln=1.2, baseline=0.8) == 3  # > 3 x baseline
    r = ctcae_grade_detail("creatinine", 1.5, uln=1.2)
    assert (r.grade, r.flags) == (1, "baseline_missing")
    assert ctcae_grade("creatinine", 1.5, baseline=0.8) is None


def test_bad_input() -> None:
    with pytest.raises(ClinicalInputError, match="unknown CTCAE lab term"):
        normalise_term("sodium")
    with pytest.raises(ClinicalInputError, match="impossible laboratory value"):
        ctcae_grade("AST", -5, uln=40)
    with pytest.raises(ClinicalInputError, match="version"):
        ctcae_grade("AST", 50, uln=40, version="3.0")  # type: ignore[arg-type]


def _labs() -> pd.DataFrame:
    return pd.DataFrame({
        "patient_id": ["a"] * 5 + ["b"] * 3,
        "date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-02-01", "2020-03-01",
                                "2020-09-01", "2020-01-02", "2020-02-01", "2020-03-01"]),
        "test": ["platelets", "AST", "platelets", "AST", "platelets", "platelets", "platelets",
                 "platelets"],
        "value": [12.0, 80, 4.5, 130, 1.0, 100, 60, None],
        "unit": ["10^4/uL", "U/L", "10^4/uL", "U/L", "10^4/uL", "10^9/L", "10^9/L", "10^9/L"],
        "lln": [15.0, None, 15.0, None, 15.0, 150, 150, 150],
        "uln": [None, 40, None, 40, None, None, None, None],
    })


def test_grade_labs_units_origin_baseline_and_worst_window() -> None:
    origin = pd.Series({"a": pd.Timestamp("2020-01-01"), "b": pd.Timestamp("2020-01-05")})
    g = grade_labs(_labs(), origin=origin)
    # Japanese 10^4/uL platelets: 12.0 -> 120 (grade 1), 4.5 -> 45 (grade 3)
    assert g["value"].tolist()[:3] == [120.0, 80, 45.0]
    assert g["ctcae_grade"].tolist()[:4] == [1, 0, 3, 1]  # AST 130 vs abnormal baseline 80
    assert g["is_baseline"].tolist() == [True, True, False, False, False, True, False, False]
    assert g["ctcae_reason"].iloc[7] == "missing:value"
    end = origin + pd.Timedelta(days=90)
    w = worst_grades(g, window_start=origin, window_end=end)
    assert w.loc["a", "ctcae_platelet_count_decreased_worst"] == 3  # day-244 value outside
    assert w.loc["a", "ctcae_platelet_count_decreased_baseline"] == 1
    assert bool(w.loc["a", "ctcae_platelet_count_decreased_worsened"])
    assert w.loc["a", "ctcae_ast_increased_worst"] == 1
    assert bool(w.loc["a", "ctcae_any_ge3"]) and not bool(w.loc["b", "ctcae_any_ge3"])
    assert w.loc["b", "ctcae_platelet_count_decreased_worst"] == 2  # missing value: grade 2 known
    assert pd.isna(w.loc["b", "ctcae_ast_increased_worst"])


def test_grade_labs_explicit_baseline_and_defaults() -> None:
    labs = _labs().assign(is_baseline=[True, True, False, False, False, True, True, False])
    with pytest.raises(ClinicalInputError, match="second baseline") as exc:
        grade_labs(labs)
    assert exc.value.row == 6
    labs = _labs().drop(columns=["uln"]).assign(is_baseline=False)
    g = grade_labs(labs, default_uln={"ast_increased": 40.0}, version="4.03")
    assert g["ctcae_grade"].iloc[3] == 2 and g["ctcae_flags"].iloc[3] == "default_uln"
    assert g["ctcae_version"].iloc[0] == "4.03"
