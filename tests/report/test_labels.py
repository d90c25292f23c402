"""Variable labels in reports: data model < spec ``variable_labels`` < ``TableFormat(labels)``.

Labels are display only: every display table, figure text and the Methods name variables by
their labels, the ``*_numeric.csv`` tables keep the column names.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import hccstudy
from hccstudy.errors import InputError
from hccstudy.report.assemble import load_result, save_result, study_figures, write_report
from hccstudy.report.labels import (
    balance_term_label,
    methods_name,
    model_labels,
    spec_labels,
    study_labels,
)
from hccstudy.report.methods import methods_text
from hccstudy.report.tables import TableFormat, study_tables, term_label
from hccstudy.validate.schema import TABLES, column_labels

SPEC = """
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_months, event: death == 1}]
covariates:
  - {name: age_years, roles: [table1, propensity]}
  - {name: tumour_size_cm, roles: [table1, propensity]}
  - {name: bclc_stage, roles: [table1, propensity]}
  - {name: pvi, roles: [table1, propensity]}
adjustment: {method: match}
analyses:
  - {name: table1, type: table1}
  - {name: cox_os, type: cox, endpoint: os,
     formula: "C(arm, treatment('non-CCRT')) + tumour_size_cm + C(bclc_stage, treatment('B'))"}
  - {name: sg, type: subgroups, endpoint: os, variables: [pvi, bclc_stage]}
variable_labels:
  pvi: PVI (spec)
  tumour_size_cm: Tumour size (spec), cm
"""


@pytest.fixture(scope="module")
def labelled() -> Any:
    return hccstudy.run(SPEC, hccstudy.datasets.load_demo())


def _table(result: Any, key: str, fmt: TableFormat | None = None) -> Any:
    tabs = {t.key: t for t in study_tables(result, fmt or TableFormat())}
    return tabs[key]


# ----------------------------------------------------------------------------- data model


def test_every_data_model_column_has_a_label() -> None:
    for t in TABLES.values():
        for c in t.columns:
            assert c.label and c.label.strip() == c.label, (t.name, c.name)
            assert "_" not in c.label, (t.name, c.name, c.label)
    labels = column_labels()
    assert labels["age_years"] == "Age, years" and labels["afp"] == "AFP, ng/mL"
    assert labels["child_pugh_class"] == "Child-Pugh class"
    assert "name" not in labels and "patient_id" not in labels  # identifiers never labelled


# ----------------------------------------------------------------------------- precedence


def test_precedence_model_then_spec_then_explicit(labelled: Any) -> None:
    assert spec_labels(labelled) == {"pvi": "PVI (spec)",
                                     "tumour_size_cm": "Tumour size (spec), cm"}
    got = study_labels(labelled, {"pvi": "PVI (explicit)"})
    assert got["age_years"] == model_labels()["age_years"] == "Age, years"  # model
    assert got["tumour_size_cm"] == "Tumour size (spec), cm"  # spec over model
    assert got["pvi"] == "PVI (explicit)"  # explicit over spec
    t1 = _table(labelled, "table1", TableFormat(labels={"pvi": "PVI (explicit)"}))
    first = t1.display.iloc[:, 0].tolist()
    assert "PVI (explicit), n (%)" in first and "PVI (spec), n (%)" not in first


# ----------------------------------------------------------------------------- tables


def test_tables_show_labels_and_numeric_frames_keep_names(labelled: Any) -> None:
    t1 = _table(labelled, "table1")
    first = t1.display.iloc[:, 0].tolist()
    assert first[0].startswith("Age, years, median")
    assert "Tumour size (spec), cm, median (IQR)" in first
    assert "BCLC stage, n (%)" in first and "PVI (spec), n (%)" in first
    assert set(t1.numeric["variable"]) >= {"age_years", "pvi", "bclc_stage"}

    cox = _table(labelled, "cox_os")
    assert cox.display["Variable"].tolist() == ["arm: CCRT vs non-CCRT",
                                                "Tumour size (spec), cm",
                                                "BCLC stage: C vs B"]
    assert "tumour_size_cm" in cox.numeric.iloc[:, 0].tolist()

    sg = _table(labelled, "sg")
    assert {"PVI (spec)", "BCLC stage"} <= set(sg.display["Subgroup"])
    assert {"pvi", "bclc_stage"} <= set(sg.numeric["variable"])

    bal = _table(labelled, "balance")
    assert bal.display["Covariate"].tolist() == [
        "Propensity score (logit)", "Age, years", "Tumour size (spec), cm", "BCLC stage: B",
        "BCLC stage: C", "PVI (spec)"]
    assert bal.numeric["term"].tolist()[:2] == ["distance", "age_years"]

    ps = _table(labelled, "propensity")
    assert "BCLC stage: C" in ps.display["Term"].tolist()


def test_numeric_csv_keeps_raw_names(labelled: Any, tmp_path: Path) -> None:
    p = write_report(labelled, tmp_path, formats=("csv",), figures=False)
    tdir = p.out_dir / "tables"
    assert "Age, years" in (tdir / "table1.csv").read_text(encoding="utf-8")
    num = (tdir / "table1_numeric.csv").read_text(encoding="utf-8")
    assert "age_years" in num and "Age, years" not in num
    bal = pd.read_csv(tdir / "balance_numeric.csv")
    assert bal["term"].tolist()[0] == "distance" and "bclc_stageC" in bal["term"].tolist()


# ----------------------------------------------------------------------------- figures


def _texts(fig: Any) -> list[str]:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_yticklabels()]
        leg = ax.get_legend()
        if leg is not None:
            out += [leg.get_title().get_text(), *(t.get_text() for t in leg.get_texts())]
    return out


def test_figures_show_labels(labelled: Any) -> None:
    figs = {key: make for key, _cap, _anchor, make in study_figures(labelled)}
    cox = _texts(figs["cox_os_forest"]())
    assert "BCLC stage: C vs B" in cox and "Tumour size (spec), cm" in cox
    assert not any("tumour_size_cm" in t or "C(" in t for t in cox)
    sg = _texts(figs["sg_forest"]())
    assert "PVI (spec)" in sg and "BCLC stage" in sg and "pvi" not in sg
    love = _texts(figs["love"]())
    assert "BCLC stage: C" in love and "Propensity score (logit)" in love
    assert not any(t in love for t in ("bclc_stageC", "age_years", "distance"))
    explicit = {key: make for key, _c, _a, make in study_figures(labelled, {"pvi": "Mine"})}
    texts = _texts(explicit["sg_forest"]())
    assert "Mine" in texts and "BCLC stage" in texts  # explicit over spec over model


def test_km_legend_title_names_a_by_column() -> None:
    r = hccstudy.run("""
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_months, event: death == 1}]
analyses: [{name: km_bclc, type: km, endpoint: os, by: bclc_stage},
           {name: km_arm, type: km, endpoint: os}]
""", hccstudy.datasets.load_demo())
    figs = {key: make for key, _c, _a, make in study_figures(r)}
    assert "BCLC stage" in _texts(figs["km_bclc_km"]())
    assert "arm" not in _texts(figs["km_arm_km"]())  # the group's curves: no title


# ----------------------------------------------------------------------------- methods


def test_methods_name_variables_by_label(labelled: Any) -> None:
    text = methods_text(labelled)
    assert "on age, tumour size (spec), BCLC stage and PVI (spec)" in text
    assert "within each level of PVI (spec) and BCLC stage" in text
    assert "tumour_size_cm" not in text and "bclc_stage" not in text
    assert "within each level of PVI (own)" in methods_text(labelled, {"pvi": "PVI (own)"})


def test_methods_name() -> None:
    assert methods_name("Age, years") == "age"
    assert methods_name("AFP, ng/mL") == "AFP"
    assert methods_name("Child-Pugh class") == "Child-Pugh class"
    assert methods_name("Tumour size ≥ 5 cm") == "tumour size ≥ 5 cm"


# ----------------------------------------------------------------------------- term_label


@pytest.mark.parametrize(("term", "want"), [
    ("C(bclc_stage, treatment('B'))[T.C]", "BCLC stage: C vs B"),
    ("C(bclc_stage, contr.treatment(reference='B'))[T.C]", "BCLC stage: C vs B"),
    ("C(treatment_period)[T.2.0]", "Treatment period: 2.0"),
    ("C(treatment_period)", "Treatment period"),
    ("bclc_stage[T.C]", "BCLC stage: C"),
    ("age_years", "Age, years"),
    ("unlabelled_x", "unlabelled_x"),
    ("age_years:C(bclc_stage, treatment('B'))[T.C]", "Age, years × BCLC stage: C vs B"),
    ("rt:ecog_ge1", "RT × ECOG PS ≥ 1"),
])
def test_term_label_with_labels(term: str, want: str) -> None:
    fmt = TableFormat(labels={**model_labels(), "treatment_period": "Treatment period",
                              "rt": "RT", "ecog_ge1": "ECOG PS ≥ 1"})
    assert term_label(term, fmt) == want


def test_balance_term_label() -> None:
    labels = {"bclc_stage": "BCLC stage", "afp": "AFP, ng/mL"}
    assert balance_term_label("bclc_stageC", labels, binary=True) == "BCLC stage: C"
    assert balance_term_label("afp_log", labels, binary=False) == "afp_log"  # not a level
    assert balance_term_label("distance", labels) == "Propensity score (logit)"
    assert balance_term_label("x1", {}, binary=True, covariates=["x"]) == "x: 1"


# ----------------------------------------------------------------------------- spec


def test_spec_variable_labels_validation() -> None:
    base = "groups: {column: arm, reference: non-CCRT}\n"
    spec = hccstudy.design.load_spec(base + "variable_labels: {not_a_column: Something}\n")
    assert spec.variable_labels == {"not_a_column": "Something"}  # may be absent from data
    with pytest.raises(InputError, match="variable_labels"):
        hccstudy.design.load_spec(base + "variable_labels: {pvi: ''}\n")
    with pytest.raises(InputError, match="variable_labels"):
        hccstudy.design.load_spec(base + "variable_labels: {pvi: '   '}\n")
    again = hccstudy.design.load_spec(hccstudy.design.dump_spec(spec))
    assert again.variable_labels == spec.variable_labels


def test_old_result_without_the_spec_field_renders(labelled: Any, tmp_path: Path) -> None:
    spec = labelled.spec.model_copy()
    del spec.__dict__["variable_labels"]  # as unpickled from a spec saved before the field
    old = dataclasses.replace(labelled, spec=spec)
    save_result(old, tmp_path / "result.pkl")
    back, _ = load_result(tmp_path / "result.pkl")
    assert spec_labels(back) == {}
    p = write_report(back, tmp_path / "out", formats=("csv",), figures=False)
    text = (p.out_dir / "tables" / "table1.csv").read_text(encoding="utf-8")
    assert "Tumour size, cm" in text and "PVI (spec)" not in text  # data-model labels only
