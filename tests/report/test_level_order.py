"""Groups follow the spec's ``groups.levels`` in every table and figure of a study report,
and the Table 1 SMD is the comparison group minus the reference whatever that order
(audit: KM / log-rank tables and the KM figure were alphabetical, the SMD sign followed
the column order)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import hccstudy
from hccstudy.analyse.km import kaplan_meier
from hccstudy.analyse.logrank import logrank
from hccstudy.report.tables import TableFormat, km_summary_table, logrank_table, study_tables

SPEC = """
groups: {{column: arm, levels: {levels}, reference: non-CCRT}}
endpoints: [{{name: os, time: os_months, event: death == 1}}]
covariates:
  - {{name: age_years, roles: [table1]}}
  - {{name: sex, roles: [table1]}}
analyses:
  - {{name: t1, type: table1}}
  - {{name: km_os, type: km, endpoint: os}}
  - {{name: lr_os, type: logrank, endpoint: os}}
  - {{name: rates, type: survival_rates, endpoint: os, times: [12]}}
  - {{name: fu, type: followup, endpoint: os}}
"""
ORDERS = (["non-CCRT", "CCRT"], ["CCRT", "non-CCRT"])


@pytest.fixture(scope="module")
def runs() -> dict[str, Any]:
    d = hccstudy.datasets.load_demo()
    return {o[0]: hccstudy.run(SPEC.format(levels="[" + ", ".join(o) + "]"), d) for o in ORDERS}


def _tables(r: Any) -> dict[str, Any]:
    return {t.key: t for t in study_tables(r)}


@pytest.mark.parametrize("order", ORDERS)
def test_km_table_follows_levels(runs: Any, order: list[str]) -> None:
    t = _tables(runs[order[0]])["km_os"]
    assert t.display["Group"].tolist() == order
    assert t.numeric["group"].tolist() == order


@pytest.mark.parametrize("order", ORDERS)
def test_logrank_table_follows_levels(runs: Any, order: list[str]) -> None:
    t = _tables(runs[order[0]])["lr_os"]
    assert t.display["Group"].tolist() == order
    assert t.numeric["group"].tolist() == order


@pytest.mark.parametrize("order", ORDERS)
def test_table1_columns_follow_levels(runs: Any, order: list[str]) -> None:
    cols = _tables(runs[order[0]])["t1"].display.columns.tolist()
    assert [c.split(" (n =")[0] for c in cols[1:3]] == order


def test_table1_smd_is_comparison_minus_reference_in_any_order(runs: Any) -> None:
    a, b = (_tables(runs[o[0]])["t1"] for o in ORDERS)
    sa = a.numeric.set_index(["variable", "level"])["smd"]
    sb = b.numeric.set_index(["variable", "level"])["smd"]
    pd.testing.assert_series_equal(sa, sb.reindex(sa.index))
    age = a.numeric.set_index("variable").loc["age_years"]
    ccrt, ref = age["CCRT:mean"], age["non-CCRT:mean"]
    assert (age["smd"] > 0) == (ccrt > ref)
    for t in (a, b):
        assert any(n.startswith("SMD: CCRT minus non-CCRT; denominator") for n in t.footnotes)


@pytest.mark.parametrize("order", ORDERS)
def test_extras_follow_levels(runs: Any, order: list[str]) -> None:
    r = runs[order[0]]
    rates = r.outcomes["rates"].to_frame()
    assert list(dict.fromkeys(rates["group"].astype(str))) == order
    fu = r.outcomes["fu"].to_frame()
    assert list(dict.fromkeys(fu["group"].astype(str))) == order


@pytest.mark.parametrize("order", ORDERS)
def test_study_km_and_logrank_results_follow_levels(runs: Any, order: list[str]) -> None:
    r = runs[order[0]]
    assert list(r.outcomes["km_os"].groups) == order
    assert list(r.outcomes["lr_os"].groups) == order
    assert r.outcomes["t1"].before.smd_direction == ("CCRT", "non-CCRT")


def test_km_figure_legend_and_risk_table_follow_levels() -> None:
    pytest.importorskip("matplotlib")
    from hccstudy.report import figures as F

    d = hccstudy.datasets.load_demo()
    for order in ORDERS:
        km = kaplan_meier(d, "os_months", "death", by="arm", levels=order)
        fig = F.km_figure(km, test=logrank(d, "os_months", "death", "arm", levels=order))
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        risk = [t.get_text() for t in fig.axes[1].get_yticklabels()]
        assert legend == order
        assert risk == order


def test_report_tables_take_an_order() -> None:
    d = hccstudy.datasets.load_demo()
    km = kaplan_meier(d, "os_months", "death", by="arm")
    lr = logrank(d, "os_months", "death", "arm")
    order = ["non-CCRT", "CCRT"]
    t = km_summary_table("km", km, order=order)[0]
    assert t.display["Group"].tolist() == order
    assert logrank_table("lr", lr, order=order)[0].display["Group"].tolist() == order
    # an order that does not list every group leaves the result's order
    assert km_summary_table("km", km, order=["CCRT"])[0].display["Group"].tolist() == \
        list(km.groups)


def test_digits_apply_to_smd_and_test_statistics(runs: Any) -> None:
    r = runs["non-CCRT"]
    t3 = {t.key: t for t in study_tables(r, TableFormat(digits=3))}
    smd = t3["t1"].display.iloc[:, -1]
    age = next(v for v in smd if v)
    assert len(age.split(".")[1]) == 3
    assert "chi-square = " in t3["lr_os"].footnotes[0]
    stat = t3["lr_os"].footnotes[0].split("chi-square = ")[1].split(" ")[0]
    assert len(stat.split(".")[1]) == 3
    km_note = next(n for n in t3["km_os"].footnotes if "chi-square" in n)
    assert km_note.split("chi-square = ")[1].split(" ")[0] == stat


def test_table1_footnote_of_three_groups_names_the_denominator_only() -> None:
    from hccstudy.analyse.table1 import table1
    from hccstudy.report.tables import table1_table

    d = pd.DataFrame({"g": list("aabbcc"), "x": [1.0, 2, 3, 4, 5, 7]})
    t = table1_table("t", {"before": table1(d, ["x"], "g")}, reference="a")
    assert any(n.startswith("SMD denominator: sqrt") for n in t.footnotes)
    assert not any(n.startswith("SMD:") for n in t.footnotes)
