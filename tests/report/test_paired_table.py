"""The paired (before / after) table: cells by hand, layout, numbers, notes, snapshot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccstudy.analyse.paired import paired_comparison
from hccstudy.report.tables import TableFormat, build_tables, paired_table

from .test_tables import check_snapshot


@pytest.fixture
def tiny() -> pd.DataFrame:
    """Six patients, one with a missing AFP after (excluded from the AFP pair)."""
    return pd.DataFrame({
        "afp0": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        "afp1": [5.0, 8.0, 30.0, 10.0, 20.0, np.nan],
        "big0": [True, True, False, False, True, False],
        "big1": [False, True, False, False, False, False],
        "t0": ["T2", "T3", "T3", "T4", "T2", "T3"],
        "t1": ["T2", "T2", "T3", "T3", "T2", "T2"],
        "g": ["A", "A", "A", "B", "B", "B"],
    })


PAIRS = {"AFP, ng/mL": ("afp0", "afp1"), "Size > 10 cm": ("big0", "big1"),
         "T stage": ("t0", "t1")}
KINDS = {"AFP, ng/mL": "wilcoxon", "Size > 10 cm": "mcnemar_exact", "T stage": "symmetry"}


def test_cells_by_hand(tiny: pd.DataFrame) -> None:
    res = paired_comparison(tiny, PAIRS, kind=KINDS, phases=("Pre-HAIC", "Pre-op"))
    (t,) = paired_table("pp", res, TableFormat(), caption="Before and after")
    assert t.title == "Before and after"
    assert list(t.display.columns) == ["Characteristic", "Pre-HAIC", "Pre-op", "p", "Test"]
    rows = t.display.values.tolist()
    # AFP on the 5 complete pairs: before 10..50 -> median 30, q1 20, q3 40 (type 7);
    # after 5, 8, 30, 10, 20 -> median 10, q1 8, q3 20
    assert rows[0][:3] == ["AFP, ng/mL, median (IQR)", "30.0 (20.0–40.0)", "10.0 (8.0–20.0)"]
    assert rows[0][4] == "Wilcoxon signed-rank"
    # yes/no: one row, the "yes" count of the complete pairs (all 6): 3/6 before, 1/6 after;
    # discordant pairs 2 (yes -> no) and 0: exact McNemar p = 2 * 0.5^2 = 0.5
    assert rows[1] == ["Size > 10 cm, n (%)", "3 (50.0)", "1 (16.7)", "0.500", "Exact McNemar"]
    # categorical: a header row with p, then the levels indented
    assert rows[2][0] == "T stage, n (%)" and rows[2][1:3] == ["", ""]
    assert rows[2][4] == "Bowker"
    assert [r[0] for r in rows[3:]] == ["T2", "T3", "T4"]
    assert [r[1] for r in rows[3:]] == ["2 (33.3)", "3 (50.0)", "1 (16.7)"]
    assert [r[2] for r in rows[3:]] == ["4 (66.7)", "2 (33.3)", "0 (0.0)"]
    assert t.indent == (False, False, False, True, True, True)
    assert "AFP, ng/mL: 5 complete pairs, 1 excluded" in " ".join(t.footnotes)
    assert t.footnotes[0] == ("Continuous values as median (IQR) and categorical values as "
                              "n (%) of the complete pairs.")
    assert "IQR, interquartile range" in t.abbreviations


def test_numeric_rows_follow_the_display(tiny: pd.DataFrame) -> None:
    res = paired_comparison(tiny, PAIRS, kind=KINDS)
    (t,) = paired_table("pp", res)
    num = t.numeric
    assert len(num) == len(t.display)
    tests = res.to_frame().set_index("label")
    assert num.loc[0, "p_value"] == tests.loc["AFP, ng/mL", "p_value"]
    assert num.loc[0, "before_median"] == 30.0 and num.loc[0, "after_q3"] == 20.0
    assert num.loc[1, "level"] == "True" and num.loc[1, "before_n"] == 3
    assert num.loc[1, "after_pct"] == pytest.approx(100 / 6)
    assert num.loc[2, "statistic"] == tests.loc["T stage", "statistic"]
    assert num.loc[3:, "level"].tolist() == ["T2", "T3", "T4"]
    # every count shown is a count of the result: nothing recomputed
    cat = res.categorical()
    t_st = cat[cat["label"] == "T stage"]
    assert num.loc[3:, "before_n"].tolist() == t_st["before_n"].tolist()


def test_median_range_groups_and_unpaired(tiny: pd.DataFrame) -> None:
    res = paired_comparison(tiny, {"AFP": ("afp0", "afp1"), "T": ("t0", "t1")},
                            kind={"AFP": "wilcoxon", "T": "unpaired_g"}, by="g",
                            continuous="median_range")
    (t,) = build_tables("pp", res)
    assert list(t.display.columns) == ["Characteristic", "Group", "Before", "After", "p",
                                       "Test"]
    rows = t.display.values.tolist()
    # group A: AFP pairs (10, 5), (20, 8), (30, 30): median (range)
    assert rows[0][:4] == ["AFP, median (range)", "A", "20.0 (10.0–30.0)", "8.0 (5.0–30.0)"]
    assert rows[1][:2] == ["AFP, median (range)", "B"]
    assert "LR chi-square (unpaired)" in t.display["Test"].tolist()
    assert "of all values at each time point" in t.footnotes[0]
    assert "LR, likelihood-ratio" in t.abbreviations
    assert "IQR, interquartile range" not in t.abbreviations


def test_float_codes_print_as_integers() -> None:
    d = pd.DataFrame({"vp0": [2.0, 3.0, 4.0, 2.0], "vp1": [2.0, 3.0, 3.0, 2.0]})
    (t,) = paired_table("vp", paired_comparison(d, {"Vp": ("vp0", "vp1")},
                                                kind="unpaired_g"))
    assert t.display["Characteristic"].tolist() == ["Vp, n (%)", "2", "3", "4"]


def test_paired_table_snapshot(tiny: pd.DataFrame) -> None:
    res = paired_comparison(tiny, PAIRS, kind=KINDS, phases=("Pre-HAIC", "Pre-hepatectomy"))
    check_snapshot("paired_pre_post", paired_table("pp", res, caption="Table I")[0].to_text())


def test_method_text_without_paired_tests(tiny: pd.DataFrame) -> None:
    res = paired_comparison(tiny, {"T": ("t0", "t1")}, kind="unpaired_g")
    assert res.method.startswith("Before / after comparisons on all values at each time point")
    res2 = paired_comparison(tiny, {"T": ("t0", "t1")}, kind="symmetry")
    assert res2.method.startswith("Paired before / after comparisons on complete pairs")


def test_bad_phases_and_summary(tiny: pd.DataFrame) -> None:
    from hccstudy.errors import InputError

    with pytest.raises(InputError, match="two names"):
        paired_comparison(tiny, PAIRS, kind=KINDS, phases=("only",))
    with pytest.raises(InputError, match="median_iqr"):
        paired_comparison(tiny, PAIRS, kind=KINDS, continuous="mean_sd")  # type: ignore[arg-type]
