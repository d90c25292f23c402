"""StudySpec ``value_labels``: readable category names in every analysis, raw values in
every expression. Small synthetic frames built here (no real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hccstudy
from hccstudy.design import load_spec, prepare, run
from hccstudy.errors import InputError

ROOT = Path(__file__).resolve().parents[2]

LABELS = """\
value_labels:
  site: {pvtt_hvtt: PVTT/HVTT, liver_lesion: Liver lesions}
  ecog: {'0': ECOG 0, '1': ECOG 1}
"""


def _frame(seed: int = 3, n: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "arm": np.where(np.arange(n) % 2 == 0, "RT", "noRT"),
        "site": rng.choice(["pvtt_hvtt", "liver_lesion", "lung_met"], n),
        "ecog": rng.choice([0.0, 1.0, 2.0], n),
        "t": np.round(rng.exponential(12, n), 1) + 0.1,
        "death": rng.integers(0, 2, n),
        "bor": rng.choice(["CR", "PR", "SD", "PD"], n),
        "ae_rash": rng.choice([0, 1, 3], n),
    })
    d.loc[3, "ecog"] = np.nan
    return d


def _spec(analyses: str, labels: str = LABELS) -> str:
    return ("groups: {column: arm, reference: noRT}\n"
            "endpoints: [{name: os, time: t, event: death == 1}]\n"
            + labels + "analyses:\n" + analyses)


# ----------------------------------------------------------------------------- the spec


def test_spec_key_and_numeric_yaml_keys() -> None:
    s = load_spec(_spec("  []\n", "value_labels: {ecog: {0: zero, 2.0: two}, "
                             "flag: {true: 'Yes'}}\n"))
    assert s.value_labels == {"ecog": {"0": "zero", "2": "two"}, "flag": {"true": "Yes"}}
    assert "value_labels" in hccstudy.design.json_schema()["properties"]


@pytest.mark.parametrize("column", ["arm", "group"])
def test_group_column_is_refused(column: str) -> None:
    text = _spec("  []\n", f"value_labels:\n  {column}: {{RT: Radiotherapy}}\n")
    with pytest.raises(InputError, match=rf"value_labels\.{column} \(line 4\): .*groups\.labels"):
        load_spec(text)


def test_duplicate_label_is_refused() -> None:
    text = _spec("  []\n", "value_labels:\n  site: {a: Same, b: Same}\n")
    with pytest.raises(InputError, match=r"value_labels\.site \(line 4\): raw values 'a' and "
                                         r"'b' have the same label 'Same'") as e:
        load_spec(text)
    assert e.value.rule == "value_labels.site"


def test_unknown_column_names_key_and_line() -> None:
    text = _spec("  - {name: km, type: km, endpoint: os}\n",
                 "value_labels:\n  ecog: {'0': zero}\n  nosuch: {a: A}\n")
    with pytest.raises(InputError, match=r"value_labels\.nosuch \(line 5\): unknown column "
                                         r"'nosuch'") as e:
        run(text, _frame())
    assert e.value.column == "nosuch"


def test_computed_column_and_label_clash_are_refused() -> None:
    with pytest.raises(InputError, match=r"value_labels\.os_event .*computed"):
        run(_spec("  []\n", "value_labels: {os_event: {'1': dead}}\n"), _frame())
    # 'lung_met' has no label and reads as the label of 'pvtt_hvtt'
    with pytest.raises(InputError, match=r"value_labels\.site .*\['lung_met'\]"):
        run(_spec("  []\n", "value_labels: {site: {pvtt_hvtt: lung_met}}\n"), _frame())


# ----------------------------------------------------------------------------- analyses


def test_table1_levels_in_label_order_with_unlabelled_after() -> None:
    d = _frame()
    r = run(_spec("  - {name: t1, type: table1, variables: [site, ecog]}\n"), d)
    f = r.outcomes["t1"].before.to_frame()
    site = f[(f["variable"] == "site") & (f["level"] != "")]
    assert site["level"].tolist() == ["PVTT/HVTT", "Liver lesions", "lung_met"]
    raw = d.groupby("arm")["site"].value_counts()
    assert site["RT:n"].tolist() == [raw[("RT", c)] for c in
                                     ("pvtt_hvtt", "liver_lesion", "lung_met")]
    ecog = f[(f["variable"] == "ecog") & (f["level"] != "")]
    assert ecog["level"].tolist() == ["ECOG 0", "ECOG 1", "2"]  # 1.0 matches '1'
    head = f[(f["variable"] == "ecog") & (f["level"] == "")].iloc[0]
    assert head["overall:missing"] == 1  # missing stays missing
    plain = run(_spec("  - {name: t1, type: table1, variables: [site, ecog]}\n", ""), d)
    g = plain.outcomes["t1"].before.to_frame()
    first = (f["variable"] == "site") & (f["level"] == "")  # same test, same p
    assert f.loc[first, "p"].item() == pytest.approx(
        g.loc[(g["variable"] == "site") & (g["level"] == ""), "p"].item())


def test_km_and_logrank_by_labelled_column_where_on_raw_values() -> None:
    d = _frame()
    r = run(_spec("  - {name: km, type: km, endpoint: os, by: site}\n"
                  "  - {name: lr, type: logrank, endpoint: os, by: site,\n"
                  "     where: \"site != 'lung_met'\"}\n"), d)
    assert list(pd.unique(r.outcomes["km"].to_frame()["group"])) == \
        ["PVTT/HVTT", "Liver lesions", "lung_met"]
    lr = r.outcomes["lr"]
    assert lr.groups == ("PVTT/HVTT", "Liver lesions")
    raw = hccstudy.logrank(d[d["site"] != "lung_met"], "t", "death", "site")
    assert lr.statistic == pytest.approx(raw.statistic)
    assert "site != 'lung_met'" in r.methods["where:lr"]


def test_cox_reference_is_the_first_label() -> None:
    d = _frame()
    r = run(_spec("  - {name: cox, type: cox, endpoint: os, formula: site + arm}\n"), d)
    f = r.outcomes["cox"].to_frame()
    assert f.index.tolist() == ["site[T.Liver lesions]", "site[T.lung_met]", "arm[T.noRT]"]
    raw = run(_spec("  - {name: cox, type: cox, endpoint: os,\n"
                    "     formula: \"C(site, treatment('pvtt_hvtt')) + arm\"}\n", ""), d)
    g = raw.outcomes["cox"].to_frame()
    assert np.allclose(f["coef"].to_numpy(), g["coef"].to_numpy())
    assert np.allclose(f["se"].to_numpy(), g["se"].to_numpy())


def test_subgroups_response_toxicity_proportion_use_labels() -> None:
    r = run(_spec("  - {name: sg, type: subgroups, endpoint: os, variables: [site]}\n"
                  "  - {name: resp, type: response, column: bor, by: site}\n"
                  "  - {name: tox, type: toxicity, by: site}\n"
                  "  - {name: prop, type: proportion, outcome: \"site == 'lung_met'\",\n"
                  "     by: ecog, where: notna(ecog)}\n"), _frame())
    order = ["PVTT/HVTT", "Liver lesions", "lung_met"]
    sg = r.outcomes["sg"].to_frame()
    assert sg.loc[sg["variable"] == "site", "level"].tolist() == order
    assert list(r.outcomes["resp"].groups) == order
    assert r.outcomes["tox"].to_frame()["group"].tolist() == order
    prop = r.outcomes["prop"].to_frame()  # the outcome expression saw the raw codes
    assert prop["group"].tolist() == ["ECOG 0", "ECOG 1", "2"]
    assert prop["x"].sum() == (_frame()["site"] == "lung_met").sum() - \
        int(_frame().loc[3, "site"] == "lung_met")


def test_expressions_and_prepared_frames_keep_raw_values() -> None:
    text = ("derived: [{name: pvtt, expression: \"site == 'pvtt_hvtt'\"}]\n"
            "eligibility: [{name: e, exclude_if: \"ecog == 2\", reason: ECOG 2,\n"
            "               on_missing: keep}]\n"
            + _spec("  - {name: t1, type: table1, variables: [site, pvtt]}\n"))
    d = _frame()
    p = prepare(text, d)
    assert set(p.analysis["site"]) == {"pvtt_hvtt", "liver_lesion", "lung_met"}
    assert int(p.analysis["pvtt"].sum()) == int(((d["site"] == "pvtt_hvtt")
                                                 & (d["ecog"] != 2)).sum())
    f = run(text, d).outcomes["t1"].before.to_frame()
    assert f.loc[f["variable"] == "site", "level"].tolist()[1:] == \
        ["PVTT/HVTT", "Liver lesions", "lung_met"]


def test_seed004_fig5a_shows_the_rt_targets() -> None:
    from hccstudy.synthetic import seed004

    spec = load_spec(ROOT / "studies" / "seed_004.yaml")
    r = run(spec, seed004(seed=0).tables)
    assert r.outcomes["logrank_pfs_rt_target"].groups == ("Liver lesions", "PVTT/HVTT")
    km = r.outcomes["km_pfs_rt_target"].to_frame()
    assert list(pd.unique(km["group"])) == ["Liver lesions", "PVTT/HVTT"]
    t2 = r.outcomes["table2_rt"].before.to_frame()
    rows = t2[(t2["variable"] == "rt_site") & (t2["level"] != "")]
    assert dict(zip(rows["level"], rows["RT+IO+T:n"], strict=True)) == \
        {"Liver lesions": 18, "PVTT/HVTT": 11, "No RT": 0}
