"""Results display as HTML tables in Jupyter (``_repr_html_``), numbers from the result."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import hccstudy
from hccstudy.design.run import StudyResult


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return hccstudy.datasets.load_demo()


def test_results_render_their_tables(demo) -> None:  # type: ignore[no-untyped-def]
    lr = hccstudy.logrank(demo, "os_months", "death", by="arm")
    html = lr._repr_html_()
    assert "<table" in html and str(int(lr.observed[0])) in html
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sg = hccstudy.subgroup_analysis(demo, "arm", ["bclc_stage"], time="os_months",
                                        event="death", reference="non-CCRT")
    assert "<table" in sg._repr_html_()
    t1 = hccstudy.table1(demo, ["age_years", "sex"], "arm")
    assert "<table" in t1._repr_html_()


def test_study_result_shows_every_table() -> None:
    r = hccstudy.run(Path(__file__).resolve().parents[1] / "studies" / "example_two_arm.yaml")
    assert isinstance(r, StudyResult)
    html = r._repr_html_()
    assert html.count("<table") >= len(r.outcomes)
    assert "SYN-" not in html  # no identifiers
