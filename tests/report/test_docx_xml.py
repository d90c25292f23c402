"""The DOCX tables written as WordprocessingML text, and the renderers' fast paths.

``add_table`` writes each table's rows as XML text parsed once (instead of the python-docx
cell / paragraph / run API); these tests pin the XML python-docx's API wrote: run
properties, alignment, indent, spanning header cells, borders in schema order, and text
with tabs, line breaks, outer spaces and markup characters.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hccstudy.report.render import Document, Heading, display_rows
from hccstudy.report.render.csv import table_csv
from hccstudy.report.render.docx import RULE_THICK, RULE_THIN, write_docx
from hccstudy.report.tables import ReportTable, _records

docx = pytest.importorskip("docx")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _doc(*tables: ReportTable) -> Any:
    buf = io.BytesIO()
    write_docx(Document("Study", [Heading("Results"), *tables]), buf)
    buf.seek(0)
    return docx.Document(buf)


def _disp() -> pd.DataFrame:
    return pd.DataFrame({"Characteristic": ["Age", "  lead", "a & <b>", "tab\there"],
                         "A": ["1", "x\ny", "", "4"], "B": ["5", "6", "7", "8"],
                         "C": ["9", "10", "11", "12"]})


def _run_props(cell: Any) -> tuple[str | None, str | None]:
    """(``w:b`` value, ``w:sz`` value) of the only run of ``cell``."""
    (p,) = cell._tc.findall(W + "p")
    (r,) = p.findall(W + "r")
    b = r.find(f"{W}rPr/{W}b")
    sz = r.find(f"{W}rPr/{W}sz")
    assert b is not None and sz is not None
    return b.get(W + "val"), sz.get(W + "val")


def _edges(cell: Any) -> list[tuple[str, str | None]]:
    b = cell._tc.find(f"{W}tcPr/{W}tcBorders")
    return [] if b is None else [(el.tag[len(W):], el.get(W + "sz")) for el in b]


def test_cell_runs_alignment_indent_and_text() -> None:
    t = ReportTable("t", "Table 1. T & <x>", pd.DataFrame(), _disp(),
                    indent=(False, True, False, True), footnotes=("Note\tone.",))
    d = _doc(t)
    (dt,) = d.tables
    assert [[c.text for c in r.cells] for r in dt.rows] == [
        ["Characteristic", "A", "B", "C"], ["Age", "1", "5", "9"],
        ["  lead", "x\ny", "6", "10"], ["a & <b>", "", "7", "11"],
        ["tab\there", "4", "8", "12"]]
    head, *body = dt.rows
    assert all(_run_props(c) == (None, "18") for c in head.cells)  # <w:b/>: bold, 9 pt
    assert all(_run_props(c) == ("0", "18") for r in body for c in r.cells)
    for r in dt.rows:
        aligns = [c.paragraphs[0].alignment for c in r.cells]
        assert [a.name for a in aligns] == ["LEFT", "CENTER", "CENTER", "CENTER"]
    indents = [r.cells[0].paragraphs[0].paragraph_format.left_indent for r in body]
    assert [None if i is None else i.pt for i in indents] == [None, 10.0, None, 10.0]
    # outer spaces kept, tab and line break as elements
    lead = body[1].cells[0]._tc.find(f"{W}p/{W}r/{W}t")
    assert lead.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    assert body[3].cells[0]._tc.find(f"{W}p/{W}r/{W}tab") is not None
    assert body[1].cells[1]._tc.find(f"{W}p/{W}r/{W}br") is not None
    # an empty cell has a run but no text element
    assert body[2].cells[1]._tc.find(f"{W}p/{W}r/{W}t") is None
    # caption bold 10 pt before the table, notes 8 pt after it, then an empty paragraph
    texts = [p.text for p in d.paragraphs]
    i = texts.index("Table 1. T & <x>")
    cap = d.paragraphs[i].runs[0]
    assert cap.bold and cap.font.size.pt == 10
    note = d.paragraphs[i + 1]
    assert note.text == "Note\tone." and note.runs[0].font.size.pt == 8
    assert note.paragraph_format.space_after.pt == 0
    assert d.paragraphs[i + 2].text == ""
    body_el = d.element.body
    kinds = [el.tag[len(W):] for el in body_el]
    assert kinds.count("tbl") == 1 and kinds[kinds.index("tbl") - 1] == "p"


def test_three_lines_in_schema_order() -> None:
    t = ReportTable("t", "T", pd.DataFrame(), _disp())
    (dt,) = _doc(t).tables
    head, *mid, last = dt.rows
    assert all(_edges(c) == [("top", str(RULE_THICK)), ("bottom", str(RULE_THIN))]
               for c in head.cells)
    assert all(_edges(c) == [] for r in mid for c in r.cells)
    assert all(_edges(c) == [("bottom", str(RULE_THICK))] for c in last.cells)
    tbl_b = dt._tbl.tblPr.find(W + "tblBorders")
    assert [el.get(W + "val") for el in tbl_b] == ["nil"] * 6


def test_spanning_header_cells() -> None:
    # the spanners reach 3 of 4 columns: the last one stays an empty cell without rules
    t = ReportTable("t", "T", pd.DataFrame(), _disp(), spanners=(("", 1), ("Stage & 1", 2)))
    (dt,) = _doc(t).tables
    tcs = dt.rows[0]._tr.findall(W + "tc")
    assert len(tcs) == 3
    span = tcs[1].find(f"{W}tcPr/{W}gridSpan")
    assert span is not None and span.get(W + "val") == "2"
    widths = [int(tc.find(f"{W}tcPr/{W}tcW").get(W + "w")) for tc in tcs]
    grid = [int(g.get(W + "w")) for g in dt._tbl.tblGrid.findall(W + "gridCol")]
    assert widths == [grid[0], grid[1] + grid[2], grid[3]]
    first, spanned, rest = (dt.rows[0].cells[j] for j in (0, 1, 3))
    assert _edges(first) == [("top", str(RULE_THICK))]  # no label: no rule under it
    assert _edges(spanned) == [("top", str(RULE_THICK)), ("bottom", str(RULE_THIN))]
    assert spanned.text == "Stage & 1" and _run_props(spanned) == (None, "18")
    assert _edges(rest) == [] and rest._tc.find(f"{W}p/{W}r") is None
    # the column header under a spanner row has the thin rule only
    assert all(_edges(c) == [("bottom", str(RULE_THIN))] for c in dt.rows[1].cells)


def test_table_without_body_rows_and_headings() -> None:
    t = ReportTable("t", "T", pd.DataFrame(), _disp().iloc[:0])
    buf = io.BytesIO()
    write_docx(Document("S", [Heading("Methods"), Heading("Sub", 2), Heading("Deep", 7), t]),
               buf)
    d = docx.Document(buf)
    (dt,) = d.tables
    assert len(dt.rows) == 1
    styles = [(p.text, p.style.name) for p in d.paragraphs if p.text in ("S", "Methods",
                                                                          "Sub", "Deep")]
    assert styles == [("S", "Title"), ("Methods", "Heading 1"), ("Sub", "Heading 2"),
                      ("Deep", "Heading 4")]


def test_text_that_is_not_xml_raises_value_error() -> None:
    t = ReportTable("t", "T", pd.DataFrame(), pd.DataFrame({"a": ["bad\x01"]}))
    with pytest.raises(ValueError, match="not XML compatible"):
        _doc(t)


# ----------------------------------------------------------------------------- fast paths


FRAMES = [
    pd.DataFrame({"a": ["x", "y"], "b": ["1", "2"]}),
    pd.DataFrame({"a": ["x", None], "b": [1.5, np.nan], "c": [1, 2], "d": [True, False]}),
    pd.DataFrame({"a": pd.array(["x", None], dtype="string"), "b": pd.array([1, None],
                                                                           dtype="Int64")}),
    pd.DataFrame({"a": [np.float64(2.5), np.int64(3)], "b": [pd.NA, np.bool_(True)]}),
    pd.DataFrame({"a": pd.Series([], dtype=object)}),
    pd.DataFrame(),
]


@pytest.mark.parametrize("frame", FRAMES)
def test_display_rows_is_itertuples(frame: pd.DataFrame) -> None:
    want = list(frame.itertuples(index=False, name=None))
    got = display_rows(frame)
    assert [tuple(map(str, r)) for r in got] == [tuple(map(str, r)) for r in want]


@pytest.mark.parametrize("frame", FRAMES)
def test_records_is_to_dict(frame: pd.DataFrame) -> None:
    want, got = frame.to_dict("records"), _records(frame)
    assert [list(r) for r in got] == [list(r) for r in want]
    for rg, rw in zip(got, want, strict=True):
        for k in rw:
            assert type(rg[k]) is type(rw[k])
            assert rg[k] is rw[k] or rg[k] == rw[k] or (rg[k] != rg[k] and rw[k] != rw[k])


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"a": ["", "x,y", 'q"r', "l\nm", " s "], "b": ["", "", "1", "2", "3"]}),
    pd.DataFrame({"a": [""]}),
    pd.DataFrame([["a", "b"]], columns=["x", "x"]),
    pd.DataFrame({"a": ["x", None], "b": [1.5, np.nan]}),
])
def test_table_csv_is_pandas_csv(frame: pd.DataFrame) -> None:
    t = ReportTable("t", "T", pd.DataFrame(), frame, indent=(True, False, True))
    d = frame.copy()
    first = [("  " + str(v)) if ind else str(v)
             for v, ind in zip(d.iloc[:, 0], t.indent, strict=False)]
    d.iloc[:, 0] = first + [str(v) for v in d.iloc[len(first):, 0]]
    assert table_csv(t) == d.to_csv(index=False, lineterminator="\n")
