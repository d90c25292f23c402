"""Report tables: golden text snapshots of every table, formatting by hand, properties.

Snapshots live in ``tests/report/snapshots_tables/<name>.txt``; regenerate them with
``HCCSTUDY_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/report/test_tables.py`` and
review the diff.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hccstudy
from hccstudy.analyse.competing import (
    cumulative_incidence,
    failure_type_km,
    fine_gray,
    gray_test,
)
from hccstudy.analyse.survival_extras import median_followup, milestone, survival_rates
from hccstudy.analyse.table1 import table1
from hccstudy.report.tables import (
    ReportTable,
    TableFormat,
    build_tables,
    format_ci,
    format_count,
    format_num,
    format_p,
    generic_table,
    register_table,
    registered,
    study_tables,
    table1_table,
    term_label,
    time_label,
)

SNAP = Path(__file__).parent / "snapshots_tables"


def check_snapshot(name: str, text: str) -> None:
    """Compare ``text`` with the golden file (write it with HCCSTUDY_UPDATE_SNAPSHOTS=1)."""
    path = SNAP / f"{name}.txt"
    if os.environ.get("HCCSTUDY_UPDATE_SNAPSHOTS") == "1":
        SNAP.mkdir(exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert path.exists(), f"missing snapshot {path.name}: run with HCCSTUDY_UPDATE_SNAPSHOTS=1"
    assert path.read_text(encoding="utf-8") == text + "\n", f"snapshot {name} differs"


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return hccstudy.datasets.load_demo()


@pytest.fixture(scope="module")
def competing_data() -> pd.DataFrame:
    rng = np.random.default_rng(20240601)
    n = 120
    g = np.repeat(["A", "B"], n // 2)
    t = np.round(rng.exponential(20, n), 1) + 0.1
    status = rng.choice([0, 1, 2], size=n, p=[0.3, 0.45, 0.25])
    x = rng.normal(size=n).round(2)
    return pd.DataFrame({"t": t, "s": status, "g": g, "x": x})


# ----------------------------------------------------------------------------- snapshots


def test_every_study_table_matches_its_snapshot(study: Any) -> None:
    tables = study_tables(study)
    keys = [t.key for t in tables]
    assert keys == ["flow", "table1", "km_os", "logrank_os", "cox_os", "propensity",
                    "matching", "balance"]
    for t in tables:
        check_snapshot(f"study_{t.key}", t.to_text())


def test_cox_multivariable_snapshot(demo: pd.DataFrame) -> None:
    fit = hccstudy.cox(demo, "C(arm, treatment('CCRT')) + tumour_size_cm + "
                       "C(bclc_stage, treatment('C'))", time="os_months", event="death")
    [t] = build_tables("cox_multi", fit)
    check_snapshot("cox_multi", t.to_text())
    assert t.display.iloc[0, 0] == "arm: non-CCRT vs CCRT"
    hr = fit.hazard_ratios()
    # the display is the numbers rounded: nothing recomputed
    assert t.display.iloc[1, 1] == f"{hr['hr'].iloc[1]:.2f} ({hr['ci_lower'].iloc[1]:.2f}–" \
                                   f"{hr['ci_upper'].iloc[1]:.2f})"


def test_table1_single_mean_sd_with_missing_snapshot(demo: pd.DataFrame) -> None:
    d = demo.copy()
    d.loc[d.index[:3], "tumour_size_cm"] = np.nan
    t1 = table1(d, ["age_years", "tumour_size_cm", "sex", "bclc_stage"], "arm",
                continuous={"age_years": "mean_sd", "tumour_size_cm": "median_iqr"})
    t = table1_table("t1", {"before": t1}, TableFormat(labels={"age_years": "Age, years"}))
    check_snapshot("table1_mean_sd_missing", t.to_text())
    first = t.display.iloc[0].tolist()
    assert first[0] == "Age, years, mean (SD)"
    assert "Missing, n" in t.display.iloc[:, 0].tolist()
    assert "SD, standard deviation" in t.abbreviations
    assert "IQR, interquartile range" in t.abbreviations


def test_competing_risk_tables_snapshot(competing_data: pd.DataFrame) -> None:
    d = competing_data
    cif = cumulative_incidence(d, "t", "s", by="g")
    gray = gray_test(d, "t", "s", "g")
    [tc] = build_tables("cif", cif, units="months", times=[6, 12], test=gray)
    [tg] = build_tables("gray", gray)
    [tf] = build_tables("failure", failure_type_km(d, "t", "s", by="g"), units="months",
                        times=[12])
    [tfg] = build_tables("fg", fine_gray(d, "x + g", time="t", status="s", cause=1))
    for name, t in (("cif", tc), ("gray", tg), ("failure_types", tf), ("fine_gray", tfg)):
        check_snapshot(f"competing_{name}", t.to_text())
    assert any("Gray's test" in n for n in tc.footnotes)
    at = cif.at([12])
    row = at[(at["group"] == "A") & (at["cause"] == "1")].iloc[0]
    assert f"{100 * row['cif']:.1f} (" in tc.display.iloc[0, 4]


def test_generic_fallback_for_unregistered_results(demo: pd.DataFrame) -> None:
    ms = milestone(demo, "os_months", "death", "arm", at=24)
    fu = median_followup(demo, "os_months", "death", by="arm")
    rates = survival_rates(demo, "os_months", "death", "arm", times=[12, 24])
    for name, res in (("milestone", ms), ("followup", fu), ("rates", rates)):
        tabs = build_tables(name, res)
        assert len(tabs) == 1
        check_snapshot(f"generic_{name}", tabs[0].to_text())


def test_subgroup_like_frame_gets_estimate_ci_and_p_columns() -> None:
    @dataclass(frozen=True)
    class SubgroupLikeResult:  # SubgroupResult's to_frame() columns, without its builder
        def to_frame(self) -> pd.DataFrame:
            return pd.DataFrame({
                "variable": ["size_ge5", "size_ge5"], "level": ["yes", "no"],
                "n_treated": [60, 46], "events_treated": [50.0, 30.0],
                "n_control": [61, 45], "events_control": [58.0, 40.0],
                "hr": [1.75, 1.1], "ci_lower": [1.3, 0.7], "ci_upper": [2.37, 1.72],
                "p_value": [0.0002, 0.68], "p_interaction": [0.041, np.nan],
                "estimable": [True, True], "note": ["", ""]})

    [t] = build_tables("subgroups_os", SubgroupLikeResult())
    check_snapshot("generic_subgroups", t.to_text())
    assert list(t.display.columns) == [
        "Variable", "Level", "N treated", "Events treated", "N control", "Events control",
        "HR (95% CI)", "p", "p for interaction", "Estimable", "Note"]
    assert t.display.iloc[0, 6] == "1.75 (1.30–2.37)"
    assert t.display.iloc[0, 7] == "< 0.001"
    assert t.display.iloc[1, 8] == "–"
    assert "HR, hazard ratio" in t.abbreviations


def test_registry_dispatches_by_class_name_and_mro() -> None:
    class Base:
        def to_frame(self) -> pd.DataFrame:
            return pd.DataFrame({"x": [1.0]})

    class Child(Base):
        pass

    @register_table("Base")
    def _b(name: str, res: Any, fmt: TableFormat | None = None, **kw: Any
           ) -> list[ReportTable]:
        return [ReportTable(name, "custom", res.to_frame(), pd.DataFrame({"x": ["one"]}))]

    try:
        assert "Base" in registered()
        assert build_tables("c", Child())[0].title == "custom"
    finally:
        from hccstudy.report import tables as T

        T._BUILDERS.pop("Base")
    assert build_tables("c", Child())[0].display.iloc[0, 0] == "1.00"
    assert build_tables("none", object()) == []


def test_km_table_uses_km_at_and_median(demo: pd.DataFrame) -> None:
    km = hccstudy.kaplan_meier(demo, "os_months", "death", by="arm")
    [t] = build_tables("km", km, units="months", times=[6, 24, 1000])
    assert list(t.display.columns) == [
        "Group", "n", "Events", "Median, months (95% CI)", "6-month survival, % (95% CI)",
        "2-year survival, % (95% CI)", "1000-month survival, % (95% CI)"]
    at = km.at([6, 24])
    s = at.set_index(["group", "time"])
    ccrt = t.numeric.set_index("group").loc["CCRT"]
    assert ccrt["survival_24"] == s.loc[("CCRT", 24.0), "survival"]
    assert t.display.iloc[0, 6] == "–"  # after the last follow-up: not reported
    med = km.median().set_index("group")
    assert ccrt["median"] == med.loc["CCRT", "median"]


def test_table1_pair_before_after_layout(study: Any) -> None:
    [t] = build_tables("table1", study.outcomes["table1"], adjustment="match")
    assert t.spanners[1][0] == "Before matching" and t.spanners[2][0] == "After matching"
    assert sum(s for _, s in t.spanners) == len(t.display.columns)
    assert t.display.columns[1] == "CCRT (n = 106)"
    assert t.display.columns[6] == "CCRT (n = 92)"
    sbs = study.outcomes["table1"].side_by_side()
    assert t.display.iloc[0, 3] == format_p(sbs[("before", "p")].iloc[0])


# ----------------------------------------------------------------------------- formatting


def test_format_functions_hand_cases() -> None:
    assert format_p(0.0009999) == "< 0.001"
    assert format_p(0.001) == "0.001"
    assert format_p(0.0495) == "0.049" or format_p(0.0495) == "0.050"
    assert format_p(0.5, TableFormat(p_digits=2)) == "0.50"
    assert format_p(0.00004, TableFormat(p_threshold=0.0001, p_digits=4)) == "< 0.0001"
    assert format_p(0.00004, TableFormat(p_style="exact")) == "4e-05"
    assert format_ci(2, 1, 3, TableFormat(ci_style="to")) == "2.00 (1.00 to 3.00)"
    assert format_ci(float("nan"), float("nan"), float("nan")) == "–"
    assert format_ci(float("nan"), 8.0, float("nan"), digits=1) == "NR (8.0–NR)"
    assert format_num(-0.0001, 2) == "0.00"
    assert format_num(float("inf")) == "inf"
    assert format_count(3.0) == "3" and format_count(2.75) == "2.8"
    assert time_label(60, "months") == "5-year" and time_label(3, "years") == "3-year"
    assert time_label(12, None) == "t = 12"
    assert term_label("C(bclc_stage, contr.treatment('C'))[T.B]") == "bclc_stage: B vs C"
    assert term_label("x", TableFormat(labels={"x": "Size, cm"})) == "Size, cm"


def test_generic_table_percent_and_counts() -> None:
    f = pd.DataFrame({"group": ["a"], "n_events": [3.0], "proportion": [0.25],
                      "lower": [0.1], "upper": [0.5], "percent": [12.345]})
    t = generic_table("x", f)
    assert t.display.values.tolist() == [["a", "3", "25.0 (10.0–50.0)", "12.3"]]
    assert t.display.columns[2] == "Proportion % (95% CI)"


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_format_p_property(p: float) -> None:
    text = format_p(p)
    if p < 0.001:
        assert text == "< 0.001"
    else:
        assert abs(float(text) - p) <= 0.0005 + 1e-12
        assert len(text.split(".")[1]) == 3


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e3), st.floats(min_value=1.0, max_value=3.0),
       st.integers(min_value=0, max_value=4))
def test_format_ci_property(est: float, width: float, digits: int) -> None:
    lo, hi = est / width, est * width
    text = format_ci(est, lo, hi, digits=digits)
    e, rest = text.split(" (")
    a, b = rest.rstrip(")").split("–")
    assert float(e) == pytest.approx(est, abs=0.5 * 10 ** -digits + 1e-9)
    assert float(a) <= float(e) <= float(b)


def test_model_building_side_by_side_snapshot(demo: pd.DataFrame) -> None:
    from hccstudy.analyse.models import model_building

    d = demo.assign(ccrt_no=(demo["arm"] == "non-CCRT").astype(int),
                    bclc_b=(demo["bclc_stage"] == "B").astype(int))
    res = model_building(d, ["age_years", "tumour_size_cm", "ccrt_no", "bclc_b", "pvi"],
                         kind="cox", time="os_months", event="death", entry="univariate_p",
                         entry_p=0.05)
    tabs = build_tables("cox_table2", res)
    t = tabs[0]
    check_snapshot("model_building", t.to_text())
    assert [s for _, s in t.spanners] == [3, 2, 2]
    f = res.to_frame()
    row = f[f["variable"] == "tumour_size_cm"].iloc[0]
    i = list(f["variable"]).index("tumour_size_cm")
    assert t.display.iloc[i, 3] == format_ci(row["uni_estimate"], row["uni_ci_lower"],
                                             row["uni_ci_upper"])
    skipped = list(f["variable"]).index("age_years")
    assert t.display.iloc[skipped, 5] == "–"


def test_counts_with_rates_become_n_percent() -> None:
    f = pd.DataFrame({"term": ["rash"], "group": ["A"], "n": [40], "any_grade": [10],
                      "any_grade_rate": [0.25], "grade_ge": [3], "grade_ge_rate": [0.075]})
    t = generic_table("ae", f)
    assert t.display.values.tolist() == [["rash", "A", "40", "10 (25.0)", "3 (7.5)"]]
    assert list(t.display.columns) == ["Term", "Group", "n", "Any grade, n (%)",
                                       "Grade ge, n (%)"]
