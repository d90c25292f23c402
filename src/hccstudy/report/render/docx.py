"""Word (DOCX) in journal style with python-docx.

Tables are three-line tables: a thick rule above the header, a thin rule under it (and
under spanning header cells), a thick rule under the last row, no vertical rules. The
notes (tests, methods, abbreviations) follow each table in a smaller font. Figures are
embedded as PNG.

Examples
--------
>>> import io, pandas as pd
>>> from hccstudy.report.render import Document
>>> from hccstudy.report.tables import ReportTable
>>> t = ReportTable("t", "T", pd.DataFrame(), pd.DataFrame({"a": ["1"], "b": ["2"]}))
>>> buf = io.BytesIO()
>>> write_docx(Document("Study", [t]), buf)
>>> import docx
>>> len(docx.Document(buf).tables)
1
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

from hccstudy.report.render import Document, FigureBlock, Heading, Paragraph, Preformatted
from hccstudy.report.tables import ReportTable

__all__ = ["RULE_THICK", "RULE_THIN", "write_docx"]

RULE_THICK = 12
"""Top and bottom rule width, eighths of a point (1.5 pt)."""
RULE_THIN = 6
"""Rule under the header, eighths of a point (0.75 pt)."""


def _border(cell: Any, **edges: int) -> None:
    """Set single borders of ``cell`` (``top=12, bottom=6``: widths in 1/8 pt)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = borders.find(qn(f"w:{edge}"))
        if el is None:
            el = OxmlElement(f"w:{edge}")
            borders.append(el)
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")


def _no_table_borders(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _cell_text(cell: Any, text: str, *, bold: bool = False, size: float = 9,
               align: str = "center", indent: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    par = cell.paragraphs[0]
    par.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT,
                     "center": WD_ALIGN_PARAGRAPH.CENTER}[align]
    fmt = par.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    if indent:
        fmt.left_indent = Pt(10)
    run = par.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def add_table(document: Any, table: ReportTable) -> Any:
    """Append one three-line table with its caption and notes; returns the docx table."""
    from docx.shared import Pt

    cap = document.add_paragraph()
    r = cap.add_run(table.title)
    r.bold = True
    r.font.size = Pt(10)
    ncol = len(table.display.columns)
    rows = list(table.display.itertuples(index=False, name=None))
    n_head = 2 if table.spanners else 1
    t = document.add_table(rows=n_head + len(rows), cols=ncol)
    _no_table_borders(t)
    # python-docx's table.cell(i, j) rescans the whole table; take each row's cells once
    grid = [r.cells for r in t.rows]
    if table.spanners:
        col = 0
        for lab, span in table.spanners:
            cell = grid[0][col]
            for k in range(col, col + span):
                _border(grid[0][k], top=RULE_THICK)
            if span > 1:
                cell = cell.merge(grid[0][col + span - 1])
            _cell_text(cell, lab, bold=True, align="left" if col == 0 else "center")
            if lab:
                _border(cell, bottom=RULE_THIN)
            col += span
    hrow = n_head - 1
    for j, c in enumerate(table.display.columns):
        _cell_text(grid[hrow][j], str(c), bold=True, align="left" if j == 0 else "center")
        _border(grid[hrow][j], bottom=RULE_THIN,
                **({} if table.spanners else {"top": RULE_THICK}))
    for i, row in enumerate(rows):
        ind = i < len(table.indent) and table.indent[i]
        cells = grid[n_head + i]
        for j, v in enumerate(row):
            cell = cells[j]
            _cell_text(cell, str(v), align="left" if j == 0 else "center",
                       indent=bool(ind and j == 0))
            if i == len(rows) - 1:
                _border(cell, bottom=RULE_THICK)
    for note in table.notes():
        p = document.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run(note)
        run.font.size = Pt(8)
    document.add_paragraph()
    return t


def write_docx(doc: Document, path: str | Path | IO[bytes]) -> None:
    """Write ``doc`` as a DOCX file (Word, LibreOffice)."""
    import docx
    from docx.shared import Inches, Pt

    d = docx.Document()
    style = d.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    props = d.core_properties
    props.title = doc.title
    props.author = "hccstudy"
    d.add_heading(doc.title, level=0)
    for b in doc.blocks:
        if isinstance(b, Heading):
            d.add_heading(b.text, level=min(b.level, 4))
        elif isinstance(b, Paragraph):
            d.add_paragraph(b.text)
        elif isinstance(b, Preformatted):
            p = d.add_paragraph()
            run = p.add_run(b.text)
            run.font.name = "Courier New"
            run.font.size = Pt(8)
        elif isinstance(b, FigureBlock):
            if b.png is not None:
                d.add_picture(io.BytesIO(b.png), width=Inches(b.width_in))
                cap = d.add_paragraph()
                cap.add_run(b.caption).font.size = Pt(9)
        elif isinstance(b, ReportTable):
            add_table(d, b)
    d.save(path)  # type: ignore[arg-type]
