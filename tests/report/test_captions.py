"""Report captions, endpoint labels and name-free footnotes (hccstudy.report.captions)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

import hccstudy
from hccstudy.design.spec import default_endpoint_label, load_spec
from hccstudy.errors import InputError
from hccstudy.report.assemble import load_result, save_result, study_figures, write_report
from hccstudy.report.captions import analysis_caption, endpoint_label
from hccstudy.report.methods import methods_text
from hccstudy.report.tables import study_tables

# analysis names that cannot occur in a caption by chance
SPEC = """
groups: {column: arm, reference: non-CCRT}
endpoints:
  - {name: os, time: os_months, event: death == 1}
  - {name: ttp_custom_end, time: os_months, event: death == 1}
covariates:
  - {name: age_years, roles: [table1, propensity]}
  - {name: tumour_size_cm, roles: [table1, propensity]}
  - {name: pvi, roles: [table1]}
  - {name: growth_pattern, roles: [table1]}
adjustment: {method: match, match: {caliper: null}}
analyses:
  - {name: zz_t1, type: table1}
  - {name: zz_km, type: km, endpoint: os}
  - {name: zz_lr, type: logrank, endpoint: os}
  - {name: zz_cox, type: cox, endpoint: os}
  - {name: zz_coxm, type: cox, endpoint: os, formula: "arm + age_years + tumour_size_cm"}
  - {name: zz_rates, type: survival_rates, endpoint: os, times: [24, 60]}
  - {name: zz_fu, type: followup, endpoint: os}
  - {name: zz_ms, type: milestone, endpoint: os, at: 12}
  - {name: zz_rmst, type: rmst, endpoint: os, tau: 24}
  - {name: zz_lm, type: landmark, endpoint: os, at: 6}
  - {name: zz_models, type: cox_models, endpoint: os, covariates: [age_years, tumour_size_cm]}
  - {name: zz_sub, type: subgroups, endpoint: os, variables: [pvi, growth_pattern]}
  - {name: zz_prop, type: proportion, outcome: "death == 1"}
  - {name: zz_km2, type: km, endpoint: ttp_custom_end, cohort: analysis,
     where: "age_years >= 40"}
"""
NAMES = re.compile(r"zz_\w+|ttp_custom_end|\b[a-z]+_[a-z_]+\b")


@pytest.fixture(scope="module")
def result() -> Any:
    return hccstudy.run(SPEC, hccstudy.datasets.load_demo())


@pytest.fixture(scope="module")
def titled() -> Any:
    spec = SPEC.replace("{name: zz_km, type: km, endpoint: os}",
                        "{name: zz_km, type: km, endpoint: os, title: Survival of both arms}")
    spec = spec.replace("- {name: os, time: os_months, event: death == 1}",
                        "- {name: os, label: Survival after CCRT, time: os_months, "
                        "event: death == 1}")
    return hccstudy.run(spec, hccstudy.datasets.load_demo())


def test_default_captions_never_name_the_analysis(result: Any) -> None:
    tables = study_tables(result)
    titles = {t.key: t.title for t in tables}
    for t in tables:
        assert not NAMES.search(t.title), t.title
    assert titles["zz_km"] == "Overall survival by treatment group, matched cohort (Kaplan-Meier)"
    assert titles["zz_lr"].startswith("Log-rank test: overall survival by treatment group")
    assert titles["zz_cox"].startswith("Hazard ratio for overall survival by treatment group")
    assert titles["zz_coxm"].startswith("Multivariable Cox regression for overall survival")
    assert titles["zz_t1"] == "Baseline characteristics before and after matching"
    assert titles["zz_rates"].startswith("Overall survival: rates at 24 and 60 months")
    assert titles["zz_fu"].startswith("Median follow-up") and "reverse Kaplan-Meier" in \
        titles["zz_fu"]
    assert titles["zz_models"].startswith("Univariable and multivariable Cox regression for "
                                          "overall survival")
    assert titles["zz_sub"].startswith("Hazard ratios for overall survival in subgroups")
    assert titles["zz_rmst"].startswith("Restricted mean survival time of overall survival up "
                                        "to 24 months")
    # an endpoint without a usual name: its name as words; the analysis cohort named
    assert titles["zz_km2"] == ("Ttp custom end by treatment group, all eligible patients "
                                "(Kaplan-Meier)")


def test_figure_captions_never_name_the_analysis(result: Any) -> None:
    figs = study_figures(result)
    if not figs:
        pytest.skip("figures module not installed")
    caps = {key: cap for key, cap, _a, _m in figs}
    for cap in caps.values():
        assert not NAMES.search(cap), cap
    assert caps["zz_km_km"] == "Kaplan-Meier curves of overall survival by treatment group, " \
        "matched cohort"
    assert caps["zz_sub_forest"].startswith("Hazard ratios for overall survival in subgroups")


def test_title_overrides_and_endpoint_label(titled: Any) -> None:
    titles = {t.key: t.title for t in study_tables(titled)}
    assert titles["zz_km"] == "Survival of both arms"
    assert analysis_caption(titled, "zz_km", figure=True) == "Survival of both arms"
    assert titles["zz_rates"].startswith("Survival after CCRT: rates at 24 and 60 months")
    assert titles["zz_lr"].startswith("Log-rank test: survival after CCRT by treatment group")
    assert endpoint_label(titled, "os") == "Survival after CCRT"
    assert endpoint_label(titled, "ttp_custom_end") == "Ttp custom end"


@pytest.mark.parametrize(("name", "label"), [
    ("os", "Overall survival"), ("pfs", "Progression-free survival"),
    ("ttp", "Time to progression"), ("dfs", "Disease-free survival"),
    ("rfs", "Recurrence-free survival"), ("lc", "Local control"),
    ("lpfs", "Local progression-free survival"), ("css", "Cancer-specific survival"),
    ("ffs", "Failure-free survival"), ("OS", "Overall survival"),
    ("ff_infield", "Ff infield"), ("time_to_rt", "Time to rt")])
def test_endpoint_label_defaults(name: str, label: str) -> None:
    assert default_endpoint_label(name) == label


def test_spec_fields_title_and_label() -> None:
    spec = load_spec("""
endpoints: [{name: os, label: OS from diagnosis, time: t, event: e == 1}]
analyses: [{name: km, type: km, endpoint: os, title: '  Figure title  '}]
""")
    assert spec.endpoints[0].display_label == "OS from diagnosis"
    assert spec.analyses[0].title == "Figure title"
    with pytest.raises(InputError, match="title"):
        load_spec("analyses: [{name: t1, type: table1, title: ' '}]")
    with pytest.raises(InputError, match="label"):
        load_spec("endpoints: [{name: os, label: '', time: t, event: e == 1}]")


def test_methods_name_endpoints_by_label_and_analyses_by_table(result: Any,
                                                               titled: Any) -> None:
    text = methods_text(result)
    assert not re.search(r"zz_\w+", text)
    assert "Table " in text  # the where-restricted analysis by its table number
    assert "For overall survival, the recorded time" in text
    assert "For survival after CCRT, the recorded time" in methods_text(titled)


def test_boolean_levels_show_no_yes(result: Any) -> None:
    t1 = {t.key: t for t in study_tables(result)}["zz_t1"]
    first = list(t1.display.iloc[:, 0])
    i = first.index("Portal vein invasion, n (%)") if "Portal vein invasion, n (%)" in first \
        else next(k for k, v in enumerate(first) if v.startswith("Portal vein invasion"))
    assert [first[i + 1].strip(), first[i + 2].strip()] == ["No", "Yes"]
    # the numbers keep the raw values
    assert {"0", "1"} <= {str(v) for v in t1.numeric.reset_index()["level"]}


def test_boolean_levels_value_labels_win() -> None:
    r = hccstudy.run(SPEC.replace("analyses:", "value_labels: {pvi: {'1': PVI, '0': no PVI}}\n"
                                  "analyses:"), hccstudy.datasets.load_demo())
    t1 = {t.key: t for t in study_tables(r)}["zz_t1"]
    first = [v.strip() for v in t1.display.iloc[:, 0]]
    assert "PVI" in first and "no PVI" in first and "Yes" not in first


def test_footnotes_name_variables_not_columns(result: Any) -> None:
    notes = " ".join(n for t in study_tables(result) for n in t.notes())
    assert "_treated" not in notes and "age_years" not in notes
    assert "covariates: Age, years; Tumour size, cm" in notes
    # an analysis method note leads with the endpoint label, not its name
    assert "os:" not in notes.split() and "Overall survival: Kaplan-Meier rates" in notes


def test_matching_note_exact_by_labels() -> None:
    r = hccstudy.run(SPEC.replace("- {name: pvi, roles: [table1]}",
                                  "- {name: pvi, roles: [table1, propensity, exact_match]}"),
                     hccstudy.datasets.load_demo())
    note = {t.key: t for t in study_tables(r)}["matching"].footnotes[0]
    assert "exact on Portal vein invasion" in note and "pvi" not in note


def test_old_result_without_titles_renders(result: Any, tmp_path: Path) -> None:
    spec = result.spec.model_copy()
    analyses = []
    for a in spec.analyses:
        a = a.model_copy()
        del a.__dict__["title"]  # as unpickled from a spec saved before the field
        analyses.append(a)
    endpoints = []
    for e in spec.endpoints:
        e = e.model_copy()
        del e.__dict__["label"]
        endpoints.append(e)
    spec.__dict__["analyses"] = analyses
    spec.__dict__["endpoints"] = endpoints
    old = dataclasses.replace(result, spec=spec)
    save_result(old, tmp_path / "result.pkl")
    back, _ = load_result(tmp_path / "result.pkl")
    p = write_report(back, tmp_path / "out", formats=("html",), figures=False)
    html = p.html.read_text(encoding="utf-8") if p.html is not None else ""
    assert "Overall survival by treatment group, matched cohort (Kaplan-Meier)" in html
    caps = re.findall(r"<(?:caption|figcaption)>(.*?)</", html)
    assert caps and not any("zz_" in c for c in caps)
