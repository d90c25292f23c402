"""write_report: every file, byte-identical re-runs, save / load, figures embedded."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from hccstudy.errors import InputError
from hccstudy.report import HtmlReprMixin
from hccstudy.report.assemble import (
    load_result,
    report_document,
    save_result,
    study_figures,
    write_report,
)
from hccstudy.report.render import FigureBlock
from hccstudy.report.tables import study_tables


def _text_files(root: Path) -> dict[str, bytes]:
    files = sorted(root.joinpath("tables").iterdir())
    out = {f"tables/{p.name}": p.read_bytes() for p in files}
    out["report.html"] = (root / "report.html").read_bytes()
    return out


def test_write_report_without_figures_is_byte_identical(study: Any, tmp_path: Path) -> None:
    a = write_report(study, tmp_path / "a", figures=False,
                     run_time=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    b = write_report(study, tmp_path / "b", figures=False)
    assert _text_files(a.out_dir) == _text_files(b.out_dir)
    keys = ["flow", "table1", "km_os", "logrank_os", "cox_os", "propensity", "matching",
            "balance"]
    assert sorted(p.name for p in a.tables) == sorted(
        f"{k}{s}" for k in keys for s in (".csv", "_numeric.csv", ".tex"))
    prov = json.loads(a.provenance.read_text())
    assert prov["run_time_utc"] == "2024-01-01T00:00:00+00:00"
    assert a.docx is not None and a.docx.stat().st_size > 10_000
    assert b.docx is not None and a.docx.read_bytes() == b.docx.read_bytes()
    import zipfile

    with zipfile.ZipFile(a.docx) as z:  # no save time inside: byte-identical on any day
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    html = a.html.read_text() if a.html else ""
    assert "2024-01-01" not in html  # the run time is not in the report
    assert "Table 1. Baseline characteristics" in html and "Table S1. Eligibility flow" in html
    assert html.index("<h2>Methods</h2>") < html.index("<h2>Results</h2>") < \
        html.index("<h2>Provenance</h2>")


def test_formats_subset_and_unknown_format(study: Any, tmp_path: Path) -> None:
    p = write_report(study, tmp_path, formats=("latex",), figures=False)
    assert p.html is None and p.docx is None
    assert {q.suffix for q in p.tables} == {".tex"}
    assert p.provenance.exists() and p.saved.exists()
    with pytest.raises(InputError, match="unknown report format"):
        write_report(study, tmp_path, formats=("pdf",))


def test_saved_result_rerenders_identically(study: Any, tmp_path: Path) -> None:
    a = write_report(study, tmp_path / "a", figures=False, formats=("csv", "latex", "html"))
    res, prov = load_result(a.saved)
    assert prov is not None and prov["n_analysis"] == study.n_analysis
    b = write_report(res, tmp_path / "b", figures=False, formats=("csv", "latex", "html"))
    assert _text_files(a.out_dir) == _text_files(b.out_dir)


def test_load_result_refuses_other_files(tmp_path: Path) -> None:
    p = tmp_path / "x.pkl"
    p.write_text("not a pickle")
    with pytest.raises(InputError, match="not a saved hccstudy result"):
        load_result(p)
    save_result({"a": 1}, tmp_path / "ok.pkl")
    assert load_result(tmp_path / "ok.pkl")[0] == {"a": 1}
    with pytest.raises(InputError, match="cannot read"):
        load_result(tmp_path / "missing.pkl")


def test_figures_follow_their_tables_and_are_numbered(study: Any) -> None:
    tables = study_tables(study)
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    figs = [FigureBlock("km_os_km", "KM", svg=svg), FigureBlock("flow", "Flow", svg=svg),
            FigureBlock("love", "Love", svg=svg)]
    anchors = {"km_os_km": "km_os", "flow": "flow", "love": "adjustment"}
    doc = report_document(study, tables, figs, anchors)
    order = [getattr(b, "key", None) for b in doc.blocks if hasattr(b, "key")]
    assert order == ["flow", "flow", "table1", "km_os", "km_os_km", "logrank_os", "cox_os",
                     "propensity", "matching", "balance", "love"]
    caps = [b.caption for b in doc.blocks if isinstance(b, FigureBlock)]
    assert caps == ["Figure 1. Flow", "Figure 2. KM", "Figure 3. Love"]


def test_repr_html_mixin_and_study_result(study: Any) -> None:
    from hccstudy.report.tables import result_html

    html = result_html(study)
    assert html.count('<table class="hcc"') == 8

    class Plain(HtmlReprMixin):
        def __repr__(self) -> str:
            return "Plain<>"

    assert Plain()._repr_html_() == "<pre>Plain&lt;&gt;</pre>"


def test_figures_are_written_and_embedded(study: Any, tmp_path: Path) -> None:
    specs = study_figures(study)
    keys = [k for k, *_ in specs]
    assert keys == ["flow", "km_os_km", "love", "ps_overlap"]
    p = write_report(study, tmp_path / "a", formats=("html", "docx"), dpi=50)
    names = sorted(q.name for q in p.figures)
    assert names == sorted(f"{k}.{e}" for k in keys for e in ("png", "svg", "pdf"))
    html = p.html.read_text() if p.html else ""
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(uris) == len(keys)
    first = base64.b64decode(uris[0])
    assert first == (p.out_dir / "figures" / "flow.svg").read_bytes()
    import docx

    assert len(docx.Document(str(p.docx)).inline_shapes) == len(keys)
    # a second run: identical HTML (figures included)
    q = write_report(study, tmp_path / "b", formats=("html",), figure_formats=("svg",),
                     dpi=50)
    assert q.html is not None and q.html.read_bytes() == p.html.read_bytes()
    assert sorted(x.name for x in q.figures) == sorted(f"{k}.svg" for k in keys)
    assert not list((q.out_dir / "figures").glob("*.png"))


def test_a_failing_figure_warns_and_the_report_is_still_written(
        study: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hccstudy.report import figures as F

    def broken(*a: object, **k: object) -> None:
        raise ValueError("cannot draw")

    monkeypatch.setattr(F, "love_figure", broken)
    with pytest.warns(RuntimeWarning, match="figure 'love' not drawn: ValueError"):
        p = write_report(study, tmp_path, formats=("html",), figure_formats=("svg",), dpi=40)
    names = {q.name for q in p.figures}
    assert "love.svg" not in names and "flow.svg" in names
    assert p.html is not None and p.html.exists()


def test_figures_drawn_by_several_processes_are_the_same_bytes(
        study: Any, tmp_path: Path) -> None:
    one = write_report(study, tmp_path / "one", formats=("html", "docx"), dpi=50, jobs=1)
    two = write_report(study, tmp_path / "two", formats=("html", "docx"), dpi=50, jobs=2)
    assert [p.name for p in one.figures] == [p.name for p in two.figures]
    for a, b in zip(one.figures, two.figures, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert one.html is not None and two.html is not None
    assert one.html.read_bytes() == two.html.read_bytes()
    assert one.docx is not None and two.docx is not None
    assert one.docx.read_bytes() == two.docx.read_bytes()


def test_a_figure_failing_in_a_worker_process_warns_once(
        study: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from hccstudy.report import figures as F

    def broken(*a: object, **k: object) -> None:
        raise ValueError("cannot draw")

    monkeypatch.setattr(F, "flow_figure", broken)  # inherited by the forked workers
    with pytest.warns(RuntimeWarning, match="figure 'flow' not drawn") as rec:
        p = write_report(study, tmp_path, formats=("html",), figure_formats=("svg",), dpi=40,
                         jobs=3)
    assert sum("not drawn" in str(w.message) for w in rec) == 1
    assert sorted(q.name for q in p.figures) == ["km_os_km.svg", "love.svg", "ps_overlap.svg"]
    if sys.platform.startswith("linux"):
        from hccstudy.report import assemble

        assert assemble._FORK_STATE is None  # cleared after the pool
