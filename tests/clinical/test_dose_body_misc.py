"""BED/EQD2 (full §7.2 table), dose triplets, BSA (§9 table), ECOG, AFP, age."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hccstudy.clinical import (
    ClinicalInputError,
    afp_frame,
    afp_high,
    afp_iu_to_ng,
    age_at,
    age_frame,
    bed,
    bed_courses,
    bsa,
    bsa_dubois,
    bsa_frame,
    bsa_mosteller,
    courses_frame,
    dose_for_bsa,
    dose_frame,
    dose_triplet,
    ecog_collapse,
    ecog_frame,
    eqd2,
    eqdx,
    to_canonical,
)

# (D, n, BED10, EQD2_10, BED3, EQD2_3, BED2, EQD2_2) from clinical-definitions §7.2
TABLE = [
    (45, 25, 53.1, 44.25, 72.0, 43.2, 85.5, 42.75),
    (50, 25, 60.0, 50.0, 83.3, 50.0, 100.0, 50.0),
    (60, 30, 72.0, 60.0, 100.0, 60.0, 120.0, 60.0),
    (45, 15, 58.5, 48.75, 90.0, 54.0, 112.5, 56.25),
    (60, 20, 78.0, 65.0, 120.0, 72.0, 150.0, 75.0),
    (60, 15, 84.0, 70.0, 140.0, 84.0, 180.0, 90.0),
    (50, 10, 75.0, 62.5, 133.3, 80.0, 175.0, 87.5),
    (60, 10, 96.0, 80.0, 180.0, 108.0, 240.0, 120.0),
    (36, 6, 57.6, 48.0, 108.0, 64.8, 144.0, 72.0),
    (35, 5, 59.5, 49.6, 116.7, 70.0, 157.5, 78.75),
    (40, 5, 72.0, 60.0, 146.7, 88.0, 200.0, 100.0),
    (50, 5, 100.0, 83.3, 216.7, 130.0, 300.0, 150.0),
    (36, 3, 79.2, 66.0, 180.0, 108.0, 252.0, 126.0),
    (45, 3, 112.5, 93.75, 270.0, 162.0, 382.5, 191.25),
    (48, 3, 124.8, 104.0, 304.0, 182.4, 432.0, 216.0),
    (60, 3, 180.0, 150.0, 460.0, 276.0, 660.0, 330.0),
]


@pytest.mark.parametrize("row", TABLE)
def test_bed_eqd2_table(row: tuple[float, ...]) -> None:
    D, n, *expected = row
    _, _, d = dose_triplet(D, n)
    got = []
    for ab in (10, 3, 2):
        got += [bed(D, d, ab), eqd2(D, d, ab)]
    assert got == pytest.approx(expected, abs=0.051)


def test_bed_hand_check_and_eqdx() -> None:
    assert bed(45, 1.8, 10) == pytest.approx(53.1)
    assert eqd2(45, 1.8, 10) == pytest.approx(44.25)
    assert eqdx(45, 1.8, 10, 1.8) == pytest.approx(45.0)  # reference fraction = actual


@given(D=st.floats(0.1, 100), n=st.integers(1, 40), ab=st.floats(0.5, 20))
def test_bed_at_least_physical_dose(D: float, n: int, ab: float) -> None:
    d = D / n
    assert bed(D, d, ab) >= D
    # EQD2 is below the physical dose for d < 2 Gy and above it for d > 2 Gy
    if d < 1.99:
        assert eqd2(D, d, ab) < D
    elif d > 2.01:
        assert eqd2(D, d, ab) > D


def test_dose_triplet_any_two_and_inconsistency() -> None:
    assert dose_triplet(45, 25) == (45, 25, 1.8)
    assert dose_triplet(None, 25, 1.8) == pytest.approx((45, 25, 1.8))
    assert dose_triplet(60, None, 3) == (60, 20, 3)
    assert dose_triplet(45, 25, 1.8) == (45, 25, 1.8)
    with pytest.raises(ClinicalInputError, match="D = n x d"):
        dose_triplet(45, 25, 2.5)
    with pytest.raises(ClinicalInputError, match="two of"):
        dose_triplet(45)
    with pytest.raises(ClinicalInputError, match="impossible dose"):
        dose_triplet(0, 25)
    with pytest.raises(ClinicalInputError, match="whole number"):
        dose_triplet(45, 2.5)


def test_dose_frame_and_courses() -> None:
    d = pd.DataFrame({"rt_total_dose_gy": [45.0, 50.0, None],
                      "rt_dose_per_fraction_gy": [1.8, None, 5.0], "rt_fractions": [None, 10, None]})
    out = dose_frame(d, alpha_betas_gy=(10, 2.5))
    assert out["rt_fractions"].tolist()[:2] == [25.0, 10.0]
    assert out["bed10_gy"].round(2).tolist()[:2] == [53.1, 75.0]
    assert "bed2p5_gy" in out.columns and "eqd2_2p5_gy" in out.columns
    assert out["dose_reason"].iloc[2] == "missing:rt_total_dose_gy;missing:rt_fractions"
    with pytest.raises(ClinicalInputError) as exc:
        dose_frame(pd.DataFrame({"rt_total_dose_gy": [45.0, -1.0], "rt_fractions": [25, 25]}))
    assert exc.value.row == 1 and exc.value.column == "rt_total_dose_gy"
    c = pd.DataFrame({"patient_id": ["a", "a", "b", "c"], "rt_total_dose_gy": [45, 15, 50, None],
                      "rt_fractions": [25, 5, 10, 5]})
    s = courses_frame(c).set_index("patient_id")
    assert s.loc["a", "bed10_gy"] == pytest.approx(bed_courses([(45, 25), (15, 5)], 10))
    assert s.loc["a", "rt_courses"] == 2 and s.loc["a", "rt_total_dose_gy"] == 60
    assert pd.isna(s.loc["c", "bed10_gy"]) and s.loc["c", "dose_reason"] == "missing:course_dose"


@pytest.mark.parametrize(("h", "w", "mos", "dub"), [(170, 65, 1.752, 1.754),
                                                    (160, 55, 1.563, 1.563),
                                                    (175, 80, 1.972, 1.956)])
def test_bsa_table(h: float, w: float, mos: float, dub: float) -> None:
    assert bsa_mosteller(h, w) == pytest.approx(mos, abs=5e-4)
    assert bsa_dubois(h, w) == pytest.approx(dub, abs=5e-4)
    assert bsa(h, w, formula="dubois") == pytest.approx(dub, abs=5e-4)


def test_bsa_doses_and_units() -> None:
    assert round(dose_for_bsa(500, bsa(170, 65))) == 876
    assert dose_for_bsa(60, bsa(170, 65)) == pytest.approx(105.1, abs=0.05)
    assert round(dose_for_bsa(500, bsa(175, 80, formula="dubois"))) == 978
    d = pd.DataFrame({"h": [170 / 2.54], "w": [65 / 0.4536]})
    out = bsa_frame(d, height="h", height_unit="in", weight="w", weight_unit="lb")
    assert out["bsa_m2"].iloc[0] == pytest.approx(1.752, abs=5e-4)
    with pytest.raises(ClinicalInputError, match="likely unit mix-up"):
        bsa_frame(pd.DataFrame({"height_cm": [1.7], "weight_kg": [65]}))


def test_ecog_collapses() -> None:
    assert [ecog_collapse(p) for p in range(5)] == ["0", ">=1", ">=1", ">=1", ">=1"]
    assert [ecog_collapse(p, "01_vs_ge2") for p in (1, 2)] == ["0-1", ">=2"]
    assert [ecog_collapse(p, "bclc_ps_group") for p in range(5)] == ["0", "1-2", "1-2", "3-4",
                                                                     "3-4"]
    with pytest.raises(ClinicalInputError):
        ecog_collapse(5)
    with pytest.raises(ClinicalInputError) as exc:
        ecog_frame(pd.DataFrame({"ecog": [0, 1.5]}))
    assert exc.value.row == 1 and exc.value.value == 1.5


def test_afp_conversion_and_thresholds() -> None:
    assert afp_iu_to_ng(350) == pytest.approx(423.5)
    assert afp_high(400, 400) is True and afp_high(399.9, 400) is False
    assert afp_high(400, 400, operator=">") is False
    out = afp_frame(pd.DataFrame({"afp_iu_ml": [350.0, None]}), afp="afp_iu_ml",
                    afp_unit="IU/mL")
    assert out["afp_high_400"].iloc[0] and out["afp_high_200"].iloc[0]
    assert not out["afp_high_1000"].iloc[0]
    assert pd.isna(out["afp_high_400"].iloc[1])
    assert to_canonical(6.0, "count", "10^4/uL") == 60.0


def test_age() -> None:
    assert age_at("1960-03-01", "2015-02-28") == 54
    assert age_at("1960-03-01", "2015-03-01") == 55
    assert age_at(None, "2015-03-01") is None
    with pytest.raises(ClinicalInputError, match="before birth"):
        age_at("2015-03-01", "1960-03-01")
    out = age_frame(pd.DataFrame({"birth_date": ["2000-01-01", None],
                                  "index_date": ["2010-06-01", "2010-06-01"]}))
    assert out["age_years"].tolist()[0] == 10
    assert out["age_years_reason"].iloc[1] == "missing:birth_date"
