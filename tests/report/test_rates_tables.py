"""Response, proportion and survival-rate tables: cells by hand, p-values and differences
shown, percentages throughout (no proportion next to a percentage)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import hccstudy
from hccstudy.analyse.response import proportion_table, response_table
from hccstudy.report.tables import TableFormat, build_tables, rates_by_group_table, study_tables


@pytest.fixture
def resp() -> pd.DataFrame:
    # arm a: CR, PR, PR, SD, PD, NE (6); arm b: PR, SD, PD, PD (4)
    return pd.DataFrame({
        "bor": ["CR", "PR", "PR", "SD", "PD", "NE", "PR", "SD", "PD", "PD"],
        "arm": ["a"] * 6 + ["b"] * 4,
        "conv": [1, 0, 0, 1, 0, 0, 1, 0, 0, 0],
    })


def test_response_table_by_hand(resp: pd.DataFrame) -> None:
    res = response_table(resp, "bor", "arm", reference="b")
    (t,) = rates_by_group_table("resp", res, TableFormat(), caption="Table 3")
    assert t.spanners == (("", 1), ("a (n = 6)", 2), ("b (n = 4)", 2), ("Difference", 1),
                          ("", 1))
    assert list(t.display.columns) == ["Response", "n (%)", "95% CI", "n (%)", "95% CI",
                                       "a minus b, % (95% CI)", "p"]
    rows = {r[0]: r for r in t.display.values.tolist()}
    assert list(rows) == ["CR", "PR", "SD", "PD", "NE", "ORR (CR + PR)", "DCR (CR + PR + SD)"]
    # ORR a: CR + PR = 3 / 6 = 50.0 %; b: 1 / 4 = 25.0 %; difference 25.0 points
    assert rows["ORR (CR + PR)"][1] == "3 (50.0)" and rows["ORR (CR + PR)"][3] == "1 (25.0)"
    diff = res.differences().set_index("measure")
    lo, hi = diff.loc["ORR", "ci_lower"] * 100, diff.loc["ORR", "ci_upper"] * 100
    assert rows["ORR (CR + PR)"][5] == f"25.0 ({lo:.1f} to {hi:.1f})"  # a negative limit
    # the Clopper-Pearson CI of 3/6 in percent
    r = res.to_frame().set_index(["group", "measure"]).loc[("a", "ORR")]
    assert rows["ORR (CR + PR)"][2] == f"{100 * r['ci_lower']:.1f}–{100 * r['ci_upper']:.1f}"
    p = res.tests().set_index("measure")["p_value"]
    assert rows["ORR (CR + PR)"][6] == f"{p['ORR']:.3f}"
    assert rows["CR"][5] == "–"  # differences only for ORR and DCR
    assert any(n.startswith("Distribution of responses over all categories: p = ")
               for n in t.footnotes)
    assert "Difference: each group minus b, in percentage points." in t.footnotes
    assert "ORR, objective response rate" in t.abbreviations
    # numbers: one row per measure (and the distribution test), nothing recomputed
    num = t.numeric.set_index("measure")
    assert num.loc["ORR", "a:x"] == 3 and num.loc["ORR", "b:n"] == 4
    assert num.loc["ORR", "a:difference"] == pytest.approx(diff.loc["ORR", "estimate"])
    assert num.loc["distribution", "p_value"] == p["distribution"]


def test_single_group_proportion(resp: pd.DataFrame) -> None:
    res = proportion_table(resp, "conv", label="converted to resection")
    (t,) = build_tables("conv", res)
    assert t.display.values.tolist() == [["Converted to resection", "3 (30.0)",
                                          t.display.iloc[0, 2]]]
    assert list(t.display.columns) == ["Outcome", "n (%)", "95% CI"]
    assert t.spanners[1] == ("All patients (n = 10)", 2)
    r = res.to_frame().iloc[0]
    assert t.display.iloc[0, 2] == f"{100 * r['ci_lower']:.1f}–{100 * r['ci_upper']:.1f}"
    assert "p" not in t.display.columns


def test_ci_style_brackets(resp: pd.DataFrame) -> None:
    (t,) = build_tables("conv", proportion_table(resp, "conv"), TableFormat(ci_style="brackets"))
    assert t.display.iloc[0, 2].startswith("[") and t.display.iloc[0, 2].endswith("]")


SPEC = """
groups: {column: arm, reference: non-CCRT, levels: [CCRT, non-CCRT]}
endpoints: [{name: os, time: os_months, event: death == 1, label: Overall survival}]
analyses:
  - {name: rates, type: survival_rates, endpoint: os, times: [12, 24], by: "@group"}
  - {name: rates_all, type: survival_rates, endpoint: os, times: [12], by: null}
"""


@pytest.fixture(scope="module")
def study() -> Any:
    return hccstudy.run(SPEC, hccstudy.datasets.load_demo())


def test_survival_rates_in_percent_with_differences(study: Any) -> None:
    t = {x.key: x for x in study_tables(study)}["rates"]
    assert list(t.display.columns) == ["Group", "Time", "At risk", "Survival, % (95% CI)",
                                       "Difference, % (95% CI)", "p"]
    assert t.display["Group"].tolist() == ["CCRT", "CCRT", "non-CCRT", "non-CCRT"]
    assert t.display["Time"].tolist() == ["1-year", "2-year"] * 2
    f = study.outcomes["rates"].to_frame().set_index(["group", "time"])
    row = f.loc[("CCRT", 24.0)]
    cell = t.display.iloc[1]
    assert cell["Survival, % (95% CI)"] == (f"{100 * row['survival']:.1f} "
                                            f"({100 * row['ci_lower']:.1f}–"
                                            f"{100 * row['ci_upper']:.1f})")
    assert cell["Difference, % (95% CI)"].startswith(f"{100 * row['difference']:.1f} (")
    assert cell["p"] == f"{row['p_value']:.3f}" or cell["p"] == "< 0.001"
    assert t.display.iloc[2]["Difference, % (95% CI)"] == "Reference"
    assert t.footnotes[0] == "Difference: each group minus non-CCRT, in percentage points."
    assert t.footnotes[1].startswith("Overall survival: Kaplan-Meier rates")
    assert int(t.display.iloc[0]["At risk"]) == int(f.loc[("CCRT", 12.0), "n_risk"])


def test_overall_rates_without_comparison(study: Any) -> None:
    t = {x.key: x for x in study_tables(study)}["rates_all"]
    assert list(t.display.columns) == ["Time", "At risk", "Survival, % (95% CI)"]
    assert "compared" not in " ".join(t.footnotes)


def test_subgroup_table_rows_by_hand() -> None:
    from hccstudy.analyse.subgroups import subgroup_analysis

    d = hccstudy.datasets.load_demo()
    res = subgroup_analysis(d, "arm", ["pvi"], time="os_months", event="death",
                            reference="non-CCRT")
    (t,) = build_tables("sg", res)
    assert list(t.display.columns) == ["Subgroup", "CCRT, events/n", "non-CCRT, events/n",
                                       "HR (95% CI)", "p", "p for interaction"]
    rows = t.display.values.tolist()
    assert rows[0][0] == "Overall" and rows[1][0] == "pvi"
    assert t.indent[:2] == (False, False) and all(t.indent[2:])
    f = res.to_frame()
    for row, (_, r) in zip(rows[2:], f[f["variable"] == "pvi"].iterrows(), strict=True):
        sub = d[(d["pvi"] == r["level"]) if not isinstance(r["level"], str)
                else (d["pvi"].astype(str) == r["level"])]
        ccrt = sub[sub["arm"] == "CCRT"]
        assert row[1] == f"{int(ccrt['death'].sum())}/{len(ccrt)}"  # counted by hand
        assert row[3] == f"{r['hr']:.2f} ({r['ci_lower']:.2f}–{r['ci_upper']:.2f})"
    p_int = f.loc[f["variable"] == "pvi", "p_interaction"].iloc[0]
    assert rows[1][5] == f"{p_int:.3f}"
    assert rows[0][5] == ""  # no interaction for the overall row
    assert "HR, hazard ratio" in t.abbreviations


def test_subgroup_table_not_estimable_level() -> None:
    from hccstudy.analyse.subgroups import subgroup_analysis

    d = hccstudy.datasets.load_demo().copy()
    d["period"] = (d["arm"] == "CCRT") & (d.index % 3 == 0)  # level True: no non-CCRT
    res = subgroup_analysis(d, "arm", ["period"], time="os_months", event="death",
                            reference="non-CCRT")
    (t,) = build_tables("sg", res)
    ne = [r for r in t.display.values.tolist() if r[3] == "NE"]
    assert ne and ne[0][4] == ""
    assert any(n.startswith("Not estimable: period, Yes") for n in t.footnotes)
    assert "NE, not estimable" in t.abbreviations


def test_followup_table_units_digits_and_nr() -> None:
    r = hccstudy.run(SPEC + "  - {name: fu, type: followup, endpoint: os}\n",
                     hccstudy.datasets.load_demo())
    t = {x.key: x for x in study_tables(r)}["fu"]
    assert list(t.display.columns) == ["Group", "Median follow-up, months (95% CI)"]
    f = r.outcomes["fu"].to_frame().set_index("group")
    row = f.loc["CCRT"]
    cell = t.display.set_index("Group").loc["CCRT"].iloc[0]
    upper = "NR" if row["ci_upper"] != row["ci_upper"] else f"{row['ci_upper']:.1f}"
    median = "NR" if row["median"] != row["median"] else f"{row['median']:.1f}"
    assert cell == f"{median} ({row['ci_lower']:.1f}–{upper})"
    assert t.display["Group"].tolist() == ["CCRT", "non-CCRT"]
