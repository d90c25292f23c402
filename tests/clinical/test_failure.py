"""Patterns of failure after RT (§10.3) with the §10 worked example."""

from __future__ import annotations

import pandas as pd
import pytest

from hccstudy.clinical import ClinicalInputError, classify_failure, failure_summary

ORIGIN = pd.Series({"p": pd.Timestamp("2015-03-01"), "q": pd.Timestamp("2015-03-01"),
                    "r": pd.Timestamp("2015-03-01")})


def test_worked_example_10() -> None:
    ev = pd.DataFrame({"patient_id": ["p", "p"], "date": ["2015-10-01", "2016-01-15"],
                       "site": ["intrahepatic", "intrahepatic"],
                       "relation_to_field": ["outside", "inside"]})
    s = failure_summary(ev, ORIGIN)
    p = s.loc["p"]
    assert p["first_failure_days"] == 214
    assert p["fail_intrahepatic_out_of_field_days"] == 214
    assert p["fail_in_field_days"] == 320
    assert p["fail_in_field_months"] == pytest.approx(320 / 30.4375)
    assert p["first_failure_pattern"] == "isolated intrahepatic out_of_field"
    assert bool(p["ever_in_field"]) and not bool(p["first_in_field"])
    assert p["ever_failure_pattern"] == "in_field + out_of_field"
    # patients without events get a row with no failure
    assert s.loc["q", "first_failure_pattern"] == "no failure"
    assert pd.isna(s.loc["q", "first_failure_days"])


def test_combined_first_failure_and_node_inside_field() -> None:
    ev = pd.DataFrame({"patient_id": ["p", "p", "q", "r"],
                       "date": ["2015-06-01", "2015-06-01", "2015-07-01", "2015-08-01"],
                       "site": ["liver", "lung", "node", "bone"],
                       "relation_to_field": ["inside", "outside", "inside", "marginal"]})
    s = failure_summary(ev, ORIGIN)
    assert s.loc["p", "first_failure_pattern"] == "in_field + out_of_field"
    assert bool(s.loc["p", "first_extrahepatic"]) and bool(s.loc["p", "first_in_field"])
    assert s.loc["q", "first_failure_pattern"] == "isolated in_field"  # node inside the PTV
    assert s.loc["r", "first_failure_pattern"] == "isolated in_field"  # marginal merged
    sep = failure_summary(ev, ORIGIN, marginal="separate")
    assert bool(sep.loc["r", "ever_marginal"]) and not bool(sep.loc["r", "ever_in_field"])


def test_classify_and_bad_input() -> None:
    assert classify_failure(False, "outside") == "extrahepatic"
    with pytest.raises(ClinicalInputError, match="inside / marginal / outside"):
        classify_failure(True, "near")
    ev = pd.DataFrame({"patient_id": ["p"], "date": ["2015-01-01"], "site": ["liver"],
                       "relation_to_field": ["inside"]})
    with pytest.raises(ClinicalInputError, match="before the origin") as exc:
        failure_summary(ev, ORIGIN)
    assert exc.value.row == 0
    ev = pd.DataFrame({"patient_id": ["p", "p"], "date": ["2015-05-01"] * 2,
                       "site": ["liver", None], "relation_to_field": ["inside", "inside"]})
    with pytest.raises(ClinicalInputError) as exc:
        failure_summary(ev, ORIGIN)
    assert exc.value.row == 1 and exc.value.column == "site"
