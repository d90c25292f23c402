"""Methods paragraph and provenance: every recorded choice appears; hashes are right."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import hccstudy
from hccstudy.design.spec import load_spec
from hccstudy.report.methods import (
    file_sha256,
    methods_paragraphs,
    methods_text,
    package_versions,
    plain_terms,
    provenance,
    provenance_text,
    spec_sha256,
)

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "studies" / "example_two_arm.yaml"
DATA = ROOT / "src" / "hccstudy" / "datasets" / "demo_ccrt.csv"


FORBIDDEN = ("[", "']", "~", "raise", "None", "Tests by analysis")


def _sentences(text: str) -> list[str]:
    return [s.strip() for p in text.split("\n\n") for s in p.split(". ") if s.strip()]


def _prose_checks(text: str) -> None:
    for bad in FORBIDDEN:
        assert bad not in text, bad
    sents = _sentences(text)
    assert len(sents) == len(set(sents)), [s for s in sents if sents.count(s) > 1]


@pytest.fixture(scope="module")
def seed000() -> Any:
    import warnings

    from hccstudy.design.run import run
    from hccstudy.studies import spec_path
    from hccstudy.synthetic import GENERATORS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(spec_path("000"), data=GENERATORS["000"](seed=0).tables)


def test_methods_text_names_every_choice(study: Any) -> None:
    text = methods_text(study)
    heads = [h for h, _ in methods_paragraphs(study)]
    assert heads == ["Study design and eligibility", "Endpoints",
                     "Propensity score adjustment", "Statistical analysis", "Software"]
    _prose_checks(text)
    for phrase in (
            "Of 212 patients, 212 met the eligibility criteria",
            "age under 18 years; BCLC 0 or A",  # criteria, in order
            "first criterion met; Supplementary Table S1",
            "CCRT (n = 106) and non-CCRT (n = 106); non-CCRT was the reference",
            "Matching retained 92 of 106 CCRT and 92 of 106 non-CCRT patients",
            "the recorded time os_months (in months)", "event defined as death = 1",
            "30.4375", "365.25",  # time units
            "logistic regression (maximum likelihood), fitted by IRLS, on age, "
            "tumour size, BCLC stage and portal vein invasion",
            "complete covariates were required",  # PS missing rule
            "matched 1:1 (nearest-neighbour, without replacement, largest propensity score "
            "first) on the logit of the propensity score",
            "caliper of 0.2 SD of the logit of the propensity score",
            "denominator: SD of the treated group before adjustment",  # balance SMD
            "Cox models after adjustment used a robust (sandwich) variance clustered on "
            "matched pairs",
            "chi-square test or Fisher's exact test (expected count < 5)",
            "Mann-Whitney U", "pooled SD, sqrt((s1^2 + s2^2) / 2)",  # Table 1 SMD
            "log-transformed pointwise 95% confidence intervals (CIs; Greenwood variance)",
            "compared with the log-rank test in the matched cohort",
            "Efron ties; Wald 95% CIs; Wald, likelihood-ratio and score tests",
            "All p-values are two-sided"):
        assert phrase in text, phrase
    assert f"hccstudy {hccstudy.__version__}" in text
    assert "numpy " + package_versions(("numpy",))["numpy"] in text
    assert "\n\n" in text and text.count("Statistical analysis. ") == 1


def test_methods_seed_000_per_source_prose(seed000: Any) -> None:
    text = methods_text(seed000)
    _prose_checks(text)
    assert "Of 829 patients in YCC and 4,522 in KLCSG, 106 and 751 met" in text
    # reasons shared by the two sources are named once
    assert text.count("LCSGJ stage I-II") == 1 and text.count("Child-Pugh B or C") == 2
    assert "in KLCSG, 56 for Child-Pugh B or C and 48 for received RT" in text  # keep rule
    assert ("Patients with database = YCC formed the CCRT group (n = 106) and the others the "
            "non-CCRT group (n = 751); non-CCRT was the reference") in text
    # variables by their labels (data model, then the spec's variable_labels)
    # the endpoint by its label, never its name
    assert "Overall survival was measured from start of treatment in every group to date of " \
        "death" in text and "Time to os" not in text
    assert "censored at last follow-up. " in text
    for phrase in ("Firth-penalised logistic regression (penalty used because of separation)",
                   "age, tumour size, TNM stage (LCSGJ), T stage, portal vein invasion, BCLC "
                   "stage and aetiology",
                   "exact matching on TNM stage (LCSGJ) and portal vein invasion and no caliper",
                   "the chi-square test (without continuity correction) (Table 1)",
                   "model-based (inverse information) variance",
                   "z-test (Greenwood standard errors)", "reverse Kaplan-Meier",
                   "without using the matched sets in the variances",
                   "backward elimination at Wald p > 0.1 (largest p first; factors as blocks)",
                   "univariable Wald tests", "each level of tumour size ≥ 5 cm, treated 2003–2005",
                   "likelihood-ratio test of treatment + variable"):
        assert phrase in text, phrase
    # one sentence per method, not per analysis: the log-rank and SMD text appear once
    assert text.count("log-rank test") == 1 and text.count("pooled SD") == 1
    assert len(text.split()) < 620  # table numbers ("Table 2") instead of analysis names


def test_methods_restrictions_proportions_and_extras() -> None:
    r = hccstudy.run("""
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_days, time_unit: days, event: death == 1, units: months}]
analyses:
  - {name: lr_old, type: logrank, endpoint: os, where: "age_years >= 60"}
  - {name: r12, type: survival_rates, endpoint: os, times: [12]}
  - {name: r24, type: survival_rates, endpoint: os, times: [24]}
  - {name: fu, type: followup, endpoint: os}
  - {name: rm, type: rmst, endpoint: os, tau: 24}
""", hccstudy.datasets.load_demo().assign(os_days=lambda d: d["os_months"] * 30.4375))
    text = methods_text(r)
    _prose_checks(text)
    n_old = int((hccstudy.datasets.load_demo()["age_years"] >= 60).sum())
    # an analysis by its table number, a column by its label, never their names
    assert f"Table 1 to patients with age >= 60 ({n_old} of 212)" in text
    assert "lr_old" not in text and "age_years" not in text
    assert "(in days, converted to months)" in text
    assert text.count("Fixed-time survival rates") == 1  # two analyses, one sentence
    assert "Survival was compared with the log-rank test" in text  # no KM analysis
    assert "survRM2" in text and "Restricted mean survival time: " not in text
    assert "RMST difference and ratio up to 24" in text
    assert "Efron" not in text  # no Cox model, no ties sentence


def test_unknown_method_notes_are_listed_not_dropped(study: Any) -> None:
    from dataclasses import replace

    r = replace(study, methods={**study.methods, "competing_risks": "Gray's test, rho = 0"})
    assert "Competing risks: Gray's test, rho = 0." in methods_text(r)


def test_methods_without_adjustment_has_no_ps_paragraph() -> None:
    r = hccstudy.run("""
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_months, event: death == 1}]
analyses: [{name: cox, type: cox, endpoint: os}]
""", hccstudy.datasets.load_demo())
    heads = [h for h, _ in methods_paragraphs(r)]
    assert "Propensity score adjustment" not in heads
    assert "Efron ties" in methods_text(r)
    _prose_checks(methods_text(r))


def test_provenance_hashes_versions_and_seeds(study: Any) -> None:
    prov = provenance(study, spec_file=SPEC)
    assert prov["inputs"][0]["sha256"] == hashlib.sha256(DATA.read_bytes()).hexdigest()
    assert prov["inputs"][0]["file"] == "demo_ccrt.csv"  # no absolute paths
    assert prov["spec_file"]["sha256"] == hashlib.sha256(SPEC.read_bytes()).hexdigest()
    assert prov["spec_sha256"] == spec_sha256(load_spec(SPEC))
    assert prov["seeds"]["matching"] is None
    assert prov["seeds"]["table1: Fisher Monte Carlo"] == 1
    assert prov["packages"]["pandas"] == package_versions(("pandas",))["pandas"]
    assert "run_time_utc" not in prov  # the time goes to provenance.json only
    json.dumps(prov)  # serialisable
    text = provenance_text(prov)
    assert prov["inputs"][0]["sha256"] in text and "seeds: matching = None" in text


def test_spec_hash_ignores_yaml_layout_but_not_content() -> None:
    a = load_spec("groups: {column: arm, reference: x}\n")
    b = load_spec("# comment\ngroups:\n  reference: x\n  column: arm\n")
    c = load_spec("groups: {column: arm, reference: y}\n")
    assert spec_sha256(a) == spec_sha256(b) != spec_sha256(c)


def test_file_sha256_hand_case(tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_bytes(b"")
    assert file_sha256(p) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# ------------------------------------------------------- internal names, event dates
INTERNAL = ("match_set", "match_weight", "iptw_weight", "_row", "_treated")


def test_no_internal_column_names_in_methods(study: Any) -> None:
    d = hccstudy.datasets.load_demo()
    base = SPEC.read_text(encoding="utf-8")
    sub = base + "  - {name: sg, type: subgroups, endpoint: os, variables: [pvi, sex]}\n"
    r = hccstudy.run(sub.replace("../src/hccstudy/datasets/demo_ccrt.csv", str(DATA)))
    for res in (study, r):
        text = methods_text(res)
        for bad in INTERNAL:
            assert bad not in text, bad
    text = methods_text(r)
    assert "robust (sandwich) variance clustered on matched pairs" in text
    strat = methods_text(hccstudy.run(
        sub.replace("outcome_variance: robust_pair", "outcome_variance: stratified_pair")
        .replace("../src/hccstudy/datasets/demo_ccrt.csv", str(DATA))))
    assert "stratification by matched pair (conditional on the matched pairs)" in strat
    for bad in INTERNAL:
        assert bad not in strat, bad
    iptw = hccstudy.run("""
groups: {column: arm, reference: non-CCRT}
endpoints: [{name: os, time: os_months, event: death == 1}]
covariates: [{name: age_years, roles: [propensity]}]
adjustment: {method: iptw}
analyses: [{name: cox, type: cox, endpoint: os},
           {name: sg, type: subgroups, endpoint: os, variables: [sex],
            interaction_test: wald}]
""", d)
    text = methods_text(iptw)
    for bad in INTERNAL:
        assert bad not in text, bad


def test_plain_terms_hand_cases() -> None:
    assert plain_terms("robust variance (cluster match_set)") == \
        "robust (sandwich) variance clustered on matched sets"
    assert plain_terms("Cox (cluster _row)") == "Cox (robust (sandwich) variance per patient)"
    assert plain_terms("robust variance (cluster centre)", None, str.upper) == \
        "robust (sandwich) variance clustered on CENTRE"
    assert plain_terms("body_weight and weight_kg") == "body_weight and weight_kg"


def test_endpoint_without_event_date_says_events_are_dated_at_last_followup() -> None:
    import pandas as pd

    d = hccstudy.datasets.load_demo().sample(80, random_state=1).reset_index(drop=True)
    start = pd.Timestamp("2015-01-01") + pd.to_timedelta(range(len(d)), unit="D")
    d["start_date"] = start
    d["last_date"] = start + pd.to_timedelta((d["os_months"] * 30.4375).round(), unit="D")
    spec = """
groups: {column: arm, reference: non-CCRT}
endpoints:
  - {name: os, label: Overall survival, origin: start_date, event: death == 1,
     last_followup: last_date, units: months}
analyses: [{name: lr, type: logrank, endpoint: os}]
"""
    text = methods_text(hccstudy.run(spec, d))
    assert "dated at last follow-up (last_date) as no event date was recorded" in text
    assert "censored at last follow-up" in text
    d["death_date"] = d["last_date"].where(d["death"] == 1)
    dated = spec.replace("event: death == 1,", "event_date: death_date,")
    assert "dated at last follow-up" not in methods_text(hccstudy.run(dated, d))
