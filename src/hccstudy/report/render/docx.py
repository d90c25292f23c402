"""Word (DOCX) in journal style with python-docx.

Tables are three-line tables: a thick rule above the header, a thin rule under it (and
under spanning header cells), a thick rule under the last row, no vertical rules. The
notes (tests, methods, abbreviations) follow each table in a smaller font. Figures are
embedded as PNG.

The table rows are written as WordprocessingML text and parsed once per table (the
python-docx cell, paragraph and run API costs about half a millisecond per cell); the
XML is what that API writes: per cell ``w:tcPr`` (width, ``w:gridSpan``, borders), one
paragraph with no spacing before or after, left (first column) or centred, and one run
(bold in the header, 9 pt).

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

from hccstudy.report.render import (
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Preformatted,
    display_rows,
)
from hccstudy.report.tables import ReportTable

__all__ = ["RULE_THICK", "RULE_THIN", "write_docx"]

RULE_THICK = 12
"""Top and bottom rule width, eighths of a point (1.5 pt)."""
RULE_THIN = 6
"""Rule under the header, eighths of a point (0.75 pt)."""

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TABLE_BORDERS = ("<w:tblBorders>" + "".join(
    f'<w:{e} w:val="nil"/>' for e in ("top", "left", "bottom", "right", "insideH", "insideV"))
    + "</w:tblBorders>")
_CELL_SIZE = 18
"""Table cell font size, half-points (9 pt)."""
_CAPTION_SIZE = 20
"""Table caption font size, half-points (10 pt)."""
_NOTE_SIZE = 16
"""Table note font size, half-points (8 pt)."""
_INDENT = 200
"""Left indent of indented first-column cells, twentieths of a point (10 pt)."""
_BOLD = "<w:b/>"
_NOT_BOLD = '<w:b w:val="0"/>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _t(text: str) -> str:
    """One ``w:t`` (``xml:space="preserve"`` when ``text`` has outer whitespace)."""
    if len(text.strip()) < len(text):
        return f'<w:t xml:space="preserve">{_escape(text)}</w:t>'
    return f"<w:t>{_escape(text)}</w:t>"


def _run_content(text: str) -> str:
    """Run content of ``text`` as python-docx writes it (tabs, line breaks, text)."""
    if not text:
        return ""
    if "\t" not in text and "\n" not in text and "\r" not in text:
        return _t(text)
    out: list[str] = []
    buf: list[str] = []
    for ch in text:
        if ch in "\t\r\n":
            if buf:
                out.append(_t("".join(buf)))
                buf.clear()
            out.append("<w:tab/>" if ch == "\t" else "<w:br/>")
        else:
            buf.append(ch)
    if buf:
        out.append(_t("".join(buf)))
    return "".join(out)


def _borders(top: int | None = None, bottom: int | None = None) -> str:
    """``w:tcBorders`` with single black rules (widths in 1/8 pt), or "" for none."""
    if top is None and bottom is None:
        return ""
    edges = "".join(f'<w:{edge} w:val="single" w:sz="{size}" w:space="0" w:color="000000"/>'
                    for edge, size in (("top", top), ("bottom", bottom)) if size is not None)
    return f"<w:tcBorders>{edges}</w:tcBorders>"


def _tc(text: str, width: int, *, bold: bool, left: bool, indent: bool = False,
        span: int = 1, borders: str = "") -> str:
    """One table cell: properties, one paragraph, one run."""
    grid_span = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    ind = f'<w:ind w:left="{_INDENT}"/>' if indent else ""
    return (f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{grid_span}{borders}</w:tcPr>'
            f'<w:p><w:pPr><w:spacing w:before="0" w:after="0"/>{ind}'
            f'<w:jc w:val="{"left" if left else "center"}"/></w:pPr>'
            f"<w:r><w:rPr>{_BOLD if bold else _NOT_BOLD}"
            f'<w:sz w:val="{_CELL_SIZE}"/></w:rPr>{_run_content(text)}</w:r></w:p></w:tc>')


def _table_rows_xml(table: ReportTable, widths: list[int]) -> str:
    """The ``w:tr`` rows of ``table`` (spanning header, header, body), concatenated."""
    rows = display_rows(table.display)
    out: list[str] = []
    if table.spanners:
        cells, col = [], 0
        for lab, span in table.spanners:
            cells.append(_tc(lab, sum(widths[col:col + span]), bold=True, left=col == 0,
                             span=span, borders=_borders(RULE_THICK,
                                                         RULE_THIN if lab else None)))
            col += span
        # columns no spanner reaches stay empty cells
        cells += [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{w}"/></w:tcPr><w:p/></w:tc>'
                  for w in widths[col:]]
        out.append("<w:tr>" + "".join(cells) + "</w:tr>")
    head = _borders(None if table.spanners else RULE_THICK, RULE_THIN)
    out.append("<w:tr>" + "".join(
        _tc(str(c), widths[j], bold=True, left=j == 0, borders=head)
        for j, c in enumerate(table.display.columns)) + "</w:tr>")
    last = len(rows) - 1
    indent = table.indent
    bottom = _borders(bottom=RULE_THICK)
    for i, row in enumerate(rows):
        ind = i < len(indent) and bool(indent[i])
        b = bottom if i == last else ""
        out.append("<w:tr>" + "".join(
            _tc(str(v), widths[j], bold=False, left=j == 0, indent=ind and j == 0, borders=b)
            for j, v in enumerate(row)) + "</w:tr>")
    return "".join(out)


def add_table(document: Any, table: ReportTable) -> Any:
    """Append one three-line table with its caption and notes; returns the docx table.

    The caption is bold 10 pt, the notes 8 pt with no space after, and an empty
    paragraph follows the notes.
    """
    from docx.oxml.ns import qn
    from docx.oxml.parser import parse_xml

    t = document.add_table(rows=0, cols=len(table.display.columns))
    tbl = t._tbl
    widths = [int(g.get(qn("w:w"))) for g in tbl.tblGrid.iterchildren(qn("w:gridCol"))]
    caption = (f'<w:p><w:r><w:rPr><w:b/><w:sz w:val="{_CAPTION_SIZE}"/></w:rPr>'
               f"{_run_content(table.title)}</w:r></w:p>")
    notes = "".join(f'<w:p><w:pPr><w:spacing w:after="0"/></w:pPr><w:r><w:rPr>'
                    f'<w:sz w:val="{_NOTE_SIZE}"/></w:rPr>{_run_content(n)}</w:r></w:p>'
                    for n in table.notes())
    xml = (f'<w:body xmlns:w="{_W_NS}">{caption}<w:tbl><w:tblPr>{_TABLE_BORDERS}</w:tblPr>'
           f"{_table_rows_xml(table, widths)}</w:tbl>{notes}<w:p/></w:body>")
    try:
        parsed = parse_xml(xml.encode("utf-8"))
    except Exception as e:  # lxml.etree.XMLSyntaxError: control characters in a cell
        raise ValueError(f"table {table.key!r}: text is not XML compatible ({e})") from None
    blocks = list(parsed)
    tbl.addprevious(blocks[0])  # the caption
    new_tbl = blocks[1]
    tbl.tblPr.append(new_tbl[0][0])  # tblBorders after python-docx's tblW and tblLook
    tbl.extend(list(new_tbl)[1:])
    anchor = tbl
    for el in blocks[2:]:  # notes, then an empty paragraph
        anchor.addnext(el)
        anchor = el
    return t


def write_docx(doc: Document, path: str | Path | IO[bytes]) -> None:
    """Write ``doc`` as a DOCX file (Word, LibreOffice).

    Identical documents give byte-identical files: the zip entries carry a fixed
    timestamp (python-docx stamps them with the current time) and the document
    properties no date.
    """
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Inches, Pt

    d = docx.Document()
    style = d.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    props = d.core_properties
    props.title = doc.title
    props.author = "hccstudy"
    style_ids: dict[str, Any] = {}

    def heading(text: str, level: int) -> None:
        # Document.add_heading, with the style id looked up once per level (python-docx
        # scans every style of the template for each lookup)
        name = "Title" if level == 0 else f"Heading {level}"
        if name not in style_ids:
            style_ids[name] = d.part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH)
        p = d.add_paragraph(text)
        p._p.style = style_ids[name]

    heading(doc.title, 0)
    for b in doc.blocks:
        if isinstance(b, Heading):
            heading(b.text, min(b.level, 4))
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
    buf = io.BytesIO()
    d.save(buf)
    data = _fixed_zip(buf.getvalue())
    if isinstance(path, str | Path):
        Path(path).write_bytes(data)
    else:
        path.write(data)


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry's timestamp set to 1980-01-01 (entry order kept)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
