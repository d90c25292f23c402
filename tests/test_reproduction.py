"""scripts/reproduction.py: the extractors work on the bundled cohort, the table has the
documented columns (the script is loaded with importlib: scripts/ is not a package)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reproduction.py"


@pytest.fixture(scope="module")
def repro() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hccstudy_reproduction", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def seed003(repro: ModuleType) -> dict:
    return repro.run_one("003", 0)


def test_every_study_has_published_values(repro: ModuleType) -> None:
    assert set(repro.STUDIES) == {"000", "001", "002", "003", "004"}
    for study in repro.STUDIES.values():
        assert 4 <= len(study.estimates) <= 12
        labels = [e.label for e in study.estimates]
        assert len(set(labels)) == len(labels)
        assert all(math.isfinite(e.published) for e in study.estimates)


def test_extractors_on_seed_0(repro: ModuleType, seed003: dict) -> None:
    assert seed003["error"] is None, seed003.get("traceback")
    assert seed003["extract_errors"] == {}
    values = seed003["values"]
    assert set(values) == {e.label for e in repro.STUDIES["003"].estimates}
    # the planted schedule makes these exact on every seed (docs/synthetic.md)
    assert values["1-year OS (%)"] == pytest.approx(100 * 17 / 18)
    assert values["3-year OS (%)"] == pytest.approx(100 * 16 / 18)
    assert values["1-year DFS (%)"] == pytest.approx(100 * 11 / 18)
    assert values["Recurrences (n)"] == 14
    assert values["Partial responses after HAIC (n)"] == 15
    assert 0 < values["Log-rank p, OS by group"] < 0.05


def test_table_columns(repro: ModuleType, seed003: dict) -> None:
    # seed 0 plus two fake seeds: one a copy of seed 0, one failed run
    results = [seed003, dict(seed003, seed=1), dict(seed003, seed=2, error="boom", values={})]
    frame, info = repro.summarise(repro.STUDIES["003"], results)
    assert info["n_seeds"] == 2 and info["n_ok"] == 1 and info["n_failed"] == 1
    row = frame.set_index("estimate").loc["3-year OS (%)"]
    assert row["truth"] == pytest.approx(88.9)
    assert row["p2.5"] == row["p97.5"] == pytest.approx(row["seed0"])
    assert not row["published_inside"] and row["truth_inside"]

    table = repro.markdown_table(frame)
    header = table.splitlines()[0]
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "Estimate", "Published", "Planted truth", "Seed 0", "2.5 %", "97.5 %",
        "Published inside?", "Truth inside?"]
    lines = table.splitlines()
    assert len(lines) == 2 + len(repro.STUDIES["003"].estimates)
    assert all(line.count("|") == 9 for line in lines)

    doc = repro.render(results, ["003"], "test")
    assert "## Seed 003" in doc and "| 003 | 1 of 2 | 1 |" in doc
    assert "`boom`" in doc
