"""StudySpec analyses ``response``, ``proportion``, ``toxicity`` and ``paired`` via run().

A small synthetic frame built here (no real data); the numbers are checked against the
analyse-layer functions called directly, which are themselves checked against R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstudy
from hccstudy.analyse.paired import wilcoxon_signed_rank
from hccstudy.analyse.response import proportion_table, response_table
from hccstudy.analyse.toxicity import adverse_event_table
from hccstudy.errors import InputError


def _frame(seed: int = 6, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) < 34, "RT", "noRT")
    bor = rng.choice(["CR", "PR", "SD", "PD", "NE"], n, p=[0.1, 0.35, 0.25, 0.25, 0.05])
    conv = rng.choice(["none", "resection", "transplant"], n, p=[0.75, 0.2, 0.05]).astype(object)
    conv[3] = None
    pre = np.round(rng.lognormal(6, 1.5, n), 1)
    return pd.DataFrame({
        "arm": arm,
        "os_months": np.round(rng.exponential(20, n), 1),
        "death": rng.integers(0, 2, n),
        "bor_3mo": bor,
        "best_change": np.round(rng.uniform(-100, 60, n), 1),
        "converted": (conv == "resection").astype(int),
        "conversion": conv,
        "ae_diarrhoea": rng.choice([0, 1, 2, 3], n, p=[0.6, 0.2, 0.15, 0.05]),
        "ae_hand_foot_skin_reaction": rng.choice([0, 1, 2, 3], n, p=[0.65, 0.2, 0.1, 0.05]),
        "ae_platelet_count_decreased": rng.choice([0, 1, 3, 4], n, p=[0.5, 0.3, 0.15, 0.05]),
        "afp_pre": pre,
        "afp_post": np.round(pre * rng.lognormal(-0.7, 1, n), 1),
        "cp_pre": rng.choice([5, 6], n, p=[0.8, 0.2]),
        "cp_post": rng.choice([5, 6], n, p=[0.6, 0.4]),
        "vp_pre": rng.choice(["vp2", "vp3", "vp4"], n),
        "vp_post": rng.choice(["vp2", "vp3", "vp4"], n),
    })


SPEC = """\
title: response and toxicity
groups: {column: arm, reference: noRT, levels: [noRT, RT]}
endpoints: [{name: os, time: os_months, event: death == 1}]
analyses:
  - {name: resp, type: response, column: bor_3mo, label: 3 months, change: best_change}
  - {name: resp_all, type: response, column: bor_3mo, by: null, denominator: evaluable,
     ci: wilson}
  - {name: conv_expr, type: proportion, outcome: "conversion in ['resection', 'transplant']",
     label: conversion to curative treatment}
  - {name: conv_col, type: proportion, outcome: converted, by: none, test: fisher}
  - {name: ae, type: toxicity, grade_threshold: 3}
  - {name: ae_given, type: toxicity, terms: [ae_platelet_count_decreased, ae_diarrhoea],
     sort: given, test: chisq_yates, by: none}
  - name: pre_post
    type: paired
    pairs:
      - {label: AFP, before: afp_pre, after: afp_post}
      - {label: Child-Pugh, before: cp_pre, after: cp_post}
      - {label: Child-Pugh (paper), before: cp_pre, after: cp_post, kind: unpaired_g}
      - {label: vp grade, before: vp_pre, after: vp_post, kind: symmetry}
  - name: pre_post_by
    type: paired
    by: "@group"
    pairs: [{label: AFP, before: afp_pre, after: afp_post, kind: wilcoxon}]
"""


@pytest.fixture(scope="module")
def result() -> hccstudy.design.run.StudyResult:
    return hccstudy.run(SPEC, _frame())


def test_response_from_spec(result: hccstudy.design.run.StudyResult) -> None:
    d = _frame()
    res = result.outcomes["resp"]
    assert res.groups == ("noRT", "RT") and res.reference == "noRT" and res.label == "3 months"
    direct = response_table(d, "bor_3mo", "arm", group_order=["noRT", "RT"],
                            reference="noRT", change="best_change")
    pd.testing.assert_frame_equal(res.to_frame(), direct.to_frame())
    pd.testing.assert_frame_equal(res.tests(), direct.tests())
    assert res.differences()["group"].unique().tolist() == ["RT"]
    assert len(res.waterfall_data()) == len(d)
    overall = result.outcomes["resp_all"]
    assert overall.groups == ("all",) and overall.denominator == "evaluable"
    assert overall.ci == "wilson"
    m = result.methods
    assert "3 months" in m["response:resp"] and "Clopper-Pearson" in m["response:resp"]
    assert "resp: " in m["tests"]


def test_proportion_from_spec(result: hccstudy.design.run.StudyResult) -> None:
    d = _frame()
    res = result.outcomes["conv_expr"]
    f = res.to_frame().set_index("group")
    cur = d["conversion"].isin(["resection", "transplant"])
    for g in ("noRT", "RT"):
        m = (d["arm"] == g) & d["conversion"].notna()
        assert f.loc[g, "x"] == int(cur[m].sum()) and f.loc[g, "n"] == int(m.sum())
    assert sum(res.n_missing.values()) == 1  # the unknown conversion is excluded, counted
    assert res.label == "conversion to curative treatment"
    col = result.outcomes["conv_col"]
    direct = proportion_table(d, "converted", test="fisher")
    pd.testing.assert_frame_equal(col.to_frame(), direct.to_frame())
    assert "proportion:conv_expr" in result.methods


def test_toxicity_from_spec(result: hccstudy.design.run.StudyResult) -> None:
    d = _frame()
    res = result.outcomes["ae"]
    direct = adverse_event_table(d, by="arm", group_order=["noRT", "RT"])
    pd.testing.assert_frame_equal(res.to_frame(), direct.to_frame())
    pd.testing.assert_frame_equal(res.tests(), direct.tests())
    assert set(res.terms) == {"diarrhoea", "hand_foot_skin_reaction",
                              "platelet_count_decreased"}
    given = result.outcomes["ae_given"]
    assert given.terms == ("platelet_count_decreased", "diarrhoea")
    assert given.groups == ("all",) and given.tests().empty
    assert "grade >= 3" in result.methods["toxicity:ae"]


def test_paired_from_spec(result: hccstudy.design.run.StudyResult) -> None:
    d = _frame()
    f = result.outcomes["pre_post"].to_frame().set_index("label")
    assert f["kind"].tolist() == ["wilcoxon", "mcnemar", "unpaired_g", "symmetry"]
    v, p, _ = wilcoxon_signed_rank(d["afp_pre"], d["afp_post"])
    assert f.loc["AFP", "p_value"] == p and f.loc["AFP", "statistic"] == v
    assert f.loc["vp grade", "df"] == 3
    by = result.outcomes["pre_post_by"].to_frame()
    assert by["group"].tolist() == ["noRT", "RT"] and by["n_pairs"].tolist() == [26, 34]
    m = result.methods["paired:pre_post"]
    assert "Wilcoxon" in m and "ignores the pairing" in m and "Bowker" in m


@pytest.mark.parametrize("analysis,key", [
    ("{name: x, type: response, column: nope}", "analyses[0].column"),
    ("{name: x, type: response, column: bor_3mo, by: nope}", "analyses[0].by"),
    ("{name: x, type: proportion, outcome: \"nope == 1\"}", "analyses[0].outcome"),
    ("{name: x, type: proportion, outcome: conversion}", "analyses[0].outcome"),
    ("{name: x, type: proportion, outcome: \"afp_pre + 1\"}", "analyses[0].outcome"),
    ("{name: x, type: toxicity, terms: [ae_nope]}", "analyses[0].terms[0]"),
    ("{name: x, type: toxicity, prefix: zz_}", "analyses[0].prefix"),
    ("{name: x, type: paired, pairs: [{label: a, before: afp_pre, after: nope}]}",
     "analyses[0].pairs[0].after"),
    ("{name: x, type: paired, pairs: [{label: a, before: vp_pre, after: vp_post, "
     "kind: wilcoxon}]}", "analyses[0].pairs[0].before"),
])
def test_spec_errors_name_the_key(analysis: str, key: str) -> None:
    spec = ("groups: {column: arm, reference: noRT}\n"
            "endpoints: [{name: os, time: os_months, event: death == 1}]\n"
            f"analyses:\n  - {analysis}\n")
    with pytest.raises(InputError, match=key.replace("[", r"\[").replace("]", r"\]")):
        hccstudy.run(spec, _frame())


def test_spec_rejects_unknown_option() -> None:
    spec = ("groups: {column: arm, reference: noRT}\n"
            "endpoints: [{name: os, time: os_months, event: death == 1}]\n"
            "analyses: [{name: x, type: response, column: bor_3mo, ci: agresti}]\n")
    with pytest.raises((InputError, ValueError)):
        hccstudy.run(spec, _frame())
