"""Renderers: a :class:`Document` (headings, paragraphs, tables, figures) to HTML, DOCX,
LaTeX and CSV.

The document model is deliberately small: :func:`hccstudy.report.assemble.write_report`
builds one :class:`Document` from a study result and each renderer writes it out. The
text renderers (HTML, LaTeX, CSV) are deterministic (no timestamps), so identical inputs
give byte-identical files.

Examples
--------
>>> import pandas as pd
>>> from hccstudy.report.tables import ReportTable
>>> t = ReportTable("t1", "Table", pd.DataFrame({"x": [1.5]}), pd.DataFrame({"x": ["1.5"]}))
>>> doc = Document("Study", [Heading("Results"), Paragraph("Text."), t])
>>> from hccstudy.report.render.html import document_html
>>> "<table" in document_html(doc)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import pandas as pd

    from hccstudy.report.tables import ReportTable

__all__ = ["Block", "Document", "FigureBlock", "Heading", "Paragraph", "Preformatted",
           "display_rows"]


@dataclass(frozen=True)
class Heading:
    """A section heading (``level`` 1 = section, 2 = subsection)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Preformatted:
    """Monospaced text (e.g. the provenance block)."""

    text: str


@dataclass(frozen=True)
class FigureBlock:
    """A figure: caption, PNG bytes (DOCX) and SVG bytes (HTML; PNG when absent)."""

    key: str
    caption: str
    png: bytes | None = None
    svg: bytes | None = None
    width_in: float = 6.0


Block = Union[Heading, Paragraph, Preformatted, FigureBlock, "ReportTable"]


@dataclass(frozen=True)
class Document:
    """A report: a title and blocks in reading order."""

    title: str
    blocks: list[Block] = field(default_factory=list)


def display_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The rows of a display frame as tuples (what ``itertuples(index=False)`` yields).

    A text frame (every column ``object``) is read in one ``to_numpy`` call: indexing each
    column, as ``itertuples`` does, costs more than the rendering of a small table.

    Examples
    --------
    >>> import pandas as pd
    >>> display_rows(pd.DataFrame({"a": ["x", "y"], "b": ["1", "2"]}))
    [('x', '1'), ('y', '2')]
    """
    if len(frame.columns) and all(str(dt) == "object" for dt in frame.dtypes):
        return [tuple(r) for r in frame.to_numpy().tolist()]
    return list(frame.itertuples(index=False, name=None))
