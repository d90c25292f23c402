"""Methods paragraph and provenance: every recorded choice appears; hashes are right."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import hccstudy
from hccstudy.design.spec import load_spec
from hccstudy.report.methods import (
    file_sha256,
    methods_paragraphs,
    methods_text,
    package_versions,
    provenance,
    provenance_text,
    spec_sha256,
)

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "studies" / "example_two_arm.yaml"
DATA = ROOT / "src" / "hccstudy" / "datasets" / "demo_ccrt.csv"


def test_methods_text_names_every_choice(study: Any) -> None:
    text = methods_text(study)
    heads = [h for h, _ in methods_paragraphs(study)]
    assert heads == ["Study design and eligibility", "Endpoints",
                     "Propensity score adjustment", "Statistical analysis", "Software"]
    m = study.methods
    for key in ("time_origins", "censoring", "ps_model", "matching", "caliper",
                "outcome_variance", "ci_transform", "ties", "tests"):
        assert m[key].split(";")[0].strip() in text, key
    assert "age under 18 years; BCLC 0 or A" in text  # elimination criteria, in order
    assert "Of 212 records, 212 were analysed" in text
    assert "standardised mean differences (SD of the treated group(s)" in text
    assert f"hccstudy {hccstudy.__version__}" in text
    assert "numpy " + package_versions(("numpy",))["numpy"] in text
    assert "\n\n" in text and text.count("Statistical analysis. ") == 1


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
    assert "efron ties" in methods_text(r)


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
