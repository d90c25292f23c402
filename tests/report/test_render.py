"""Renderers: CSV and LaTeX text, HTML structure, DOCX three-line tables, headless Chromium."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hccstudy.report.assemble import report_document
from hccstudy.report.render import Document, FigureBlock, Heading, Paragraph, Preformatted
from hccstudy.report.render.csv import numeric_csv, table_csv
from hccstudy.report.render.docx import RULE_THICK, RULE_THIN, write_docx
from hccstudy.report.render.html import document_html, table_html
from hccstudy.report.render.latex import latex_escape, table_latex
from hccstudy.report.tables import ReportTable, study_tables

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def tables(study: Any) -> list[ReportTable]:
    return study_tables(study)


def _tiny() -> ReportTable:
    disp = pd.DataFrame([["Age, median (range)", "52 (11–79)", "0.99"],
                         ["BCLC, n (%)", "", "< 0.001"], ["C", "88 (83.0)", ""]],
                        columns=["Characteristic", "CCRT (n = 106)", "p"])
    return ReportTable("t1", "Table 1. Baseline & 50% _x_", pd.DataFrame({"p": [0.99]}), disp,
                       spanners=(("", 1), ("Before matching", 2)),
                       indent=(False, False, True), footnotes=("Tests: chi-square.",),
                       abbreviations=("CI, confidence interval",))


# ----------------------------------------------------------------------------- CSV, LaTeX


def test_csv_round_trip_of_display_and_numbers(tables: list[ReportTable]) -> None:
    for t in tables:
        back = pd.read_csv(io.StringIO(table_csv(t)), dtype=str, keep_default_na=False)
        assert back.shape == t.display.shape
        stripped = [v.strip() for v in back.iloc[:, 0]]
        assert stripped == [str(v) for v in t.display.iloc[:, 0]]
        num = pd.read_csv(io.StringIO(numeric_csv(t)))
        assert num.shape == t.numeric.shape
    cox = next(t for t in tables if t.key == "cox_os")
    num = pd.read_csv(io.StringIO(numeric_csv(cox)))
    assert num["hr"].iloc[0] == pytest.approx(cox.numeric["hr"].iloc[0], rel=1e-9)


def test_latex_booktabs_structure() -> None:
    tex = table_latex(_tiny())
    lines = tex.splitlines()
    assert lines[0] == r"\begin{table}[htbp]" and lines[-1] == r"\end{table}"
    assert r"\begin{tabular}{lcc}" in lines
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")
    assert r"\multicolumn{2}{c}{Before matching}" in tex and r"\cmidrule(lr){2-3}" in tex
    assert r"\caption{Table 1. Baseline \& 50\% \_x\_}" in tex
    assert r"52 (11--79)" in tex and r"$<$ 0.001" in tex and r"\quad C" in tex
    body = lines[lines.index(r"\midrule") + 1:lines.index(r"\bottomrule")]
    assert len(body) == 3 and all(b.count("&") == 2 and b.endswith(r"\\") for b in body)
    assert latex_escape("a~b^c\\") == r"a\textasciitilde{}b\^{}c\textbackslash{}"


# ----------------------------------------------------------------------------- HTML


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_table_html_structure_and_escaping() -> None:
    p = _Collect()
    p.feed(table_html(_tiny()))
    names = [t for t, _ in p.tags]
    assert names.count("tr") == 2 + 3  # spanner + header + 3 body rows
    assert names.count("th") == 2 + 3 and names.count("td") == 9
    spans = [a.get("colspan") for t, a in p.tags if t == "th"][:2]
    assert spans == ["1", "2"]
    assert ("td", {"class": "indent"}) in p.tags
    assert "Table 1. Baseline & 50% _x_" in p.text  # escaped in HTML, text intact
    assert "CI, confidence interval." in p.text


def test_document_html_is_self_contained() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    doc = Document("Study", [Heading("Results"), Paragraph("a < b"), _tiny(),
                             FigureBlock("f", "Figure 1. KM", svg=svg), Preformatted("x=1")])
    html = document_html(doc)
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<script" not in html and 'src="http' not in html and "<link" not in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert "a &lt; b" in html
    assert document_html(doc) == html  # deterministic


# ----------------------------------------------------------------------------- DOCX


def _borders(cell: Any) -> dict[str, str]:
    from docx.oxml.ns import qn

    tc_pr = cell._tc.tcPr
    out: dict[str, str] = {}
    if tc_pr is None:
        return out
    b = tc_pr.find(qn("w:tcBorders"))
    if b is None:
        return out
    for el in b:
        out[el.tag.split("}")[1]] = el.get(qn("w:sz"))
    return out


def test_docx_tables_header_rows_cells_and_three_lines(study: Any,
                                                       tables: list[ReportTable]) -> None:
    import docx
    from docx.oxml.ns import qn

    buf = io.BytesIO()
    write_docx(report_document(study, tables), buf)
    d = docx.Document(buf)
    assert len(d.tables) == len(tables) == 8
    # Table 1 (before / after): spanner row + header row + body
    t1 = tables[1]
    dt = d.tables[1]
    assert len(dt.rows) == 2 + len(t1.display)
    assert dt.cell(0, 1).text == "Before matching" and dt.cell(0, 6).text == "After matching"
    assert dt.cell(1, 0).text == "Characteristic"
    assert dt.cell(1, 1).text == "CCRT (n = 106)"
    assert dt.cell(2, 0).text == t1.display.iloc[0, 0]
    assert dt.cell(2, 3).text == t1.display.iloc[0, 3]
    # the Cox table: one header row
    cox = d.tables[4]
    assert [c.text for c in cox.rows[0].cells] == ["Variable", "HR (95% CI)", "p"]
    assert cox.cell(1, 0).text == "arm: CCRT vs non-CCRT"
    # three lines: thick top, thin under the header, thick bottom, nothing else
    for table in (cox, dt):
        n_head = 2 if table is dt else 1
        rows = table.rows
        assert all(_borders(c).get("top") == str(RULE_THICK) for c in rows[0].cells)
        assert all(_borders(c).get("bottom") == str(RULE_THIN)
                   for c in rows[n_head - 1].cells)
        assert all(_borders(c).get("bottom") == str(RULE_THICK) for c in rows[-1].cells)
        for r in rows[n_head:-1]:
            assert all(_borders(c) == {} for c in r.cells)
        tbl_b = table._tbl.tblPr.find(qn("w:tblBorders"))
        assert {el.get(qn("w:val")) for el in tbl_b} == {"nil"}
    # footnotes under the table
    texts = [p.text for p in d.paragraphs]
    assert any(t.startswith("Cox proportional hazards model") for t in texts)
    assert any("HR, hazard ratio" in t for t in texts)


def test_docx_embeds_png_figures() -> None:
    import docx
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=50)
    plt.close(fig)
    buf = io.BytesIO()
    write_docx(Document("S", [FigureBlock("f", "Figure 1. x", png=png.getvalue())]), buf)
    d = docx.Document(buf)
    assert len(d.inline_shapes) == 1
    assert any(p.text == "Figure 1. x" for p in d.paragraphs)


# ----------------------------------------------------------------------------- Chromium


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("HCCSTUDY_REQUIRE_CHROMIUM"):
        pytest.fail(f"{CHROMIUM} is required (HCCSTUDY_REQUIRE_CHROMIUM is set)")
    pytest.skip(f"{CHROMIUM} not installed (Debian package chromium)")


def _screenshot(chromium: str, html: Path, png: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        res = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1200,3000",
             "--enable-logging=stderr", "--v=0", html.as_uri()],
            capture_output=True, text=True, timeout=120)
    assert png.exists(), res.stderr[-2000:]
    return res.stderr


def test_html_report_renders_in_headless_chromium_without_console_errors(
        study: Any, tables: list[ReportTable], tmp_path: Path) -> None:
    chromium = _chromium_or_skip()
    from hccstudy.report.assemble import write_report

    # positive control: a page with a console error is detected
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>console.error('boom')</script>"
                   "</body></html>")
    assert ":CONSOLE" in _screenshot(chromium, bad, tmp_path / "bad.png")

    paths = write_report(study, tmp_path / "out", formats=("html",), figure_formats=("svg",))
    assert paths.html is not None
    shot = tmp_path / "report.png"
    log = _screenshot(chromium, paths.html, shot)
    assert ":CONSOLE" not in log, log
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    assert float(img[..., :3].std()) > 0.05  # not a blank page
    assert shutil.which(chromium) is not None
