"""Self-contained HTML: CSS inline, figures embedded as ``data:`` URIs (SVG, else PNG).

No scripts, no external resources, no timestamps: the same document gives the same bytes.
Tables use the three-line journal style (rules above and below the header and at the
bottom).

Examples
--------
>>> import pandas as pd
>>> from hccstudy.report.tables import ReportTable
>>> t = ReportTable("t", "T <1>", pd.DataFrame(), pd.DataFrame({"a": ["x & y"]}))
>>> h = table_html(t)
>>> h.startswith('<div class="tablewrap">') and "T &lt;1&gt;" in h and "x &amp; y" in h
True
"""

from __future__ import annotations

import base64
from html import escape

from hccstudy.report.render import (
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Preformatted,
    display_rows,
)
from hccstudy.report.tables import ReportTable

__all__ = ["CSS", "document_html", "figure_html", "table_html"]

CSS = """
body { font-family: "Liberation Serif", "Times New Roman", Times, serif; max-width: 72rem;
  margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #999; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
p { text-align: justify; }
table.hcc { border-collapse: collapse; margin: 1rem 0 0.3rem 0; font-size: 0.9rem; }
table.hcc caption { caption-side: top; text-align: left; font-weight: bold;
  padding-bottom: 0.3rem; }
table.hcc thead tr:first-child th { border-top: 2px solid #000; }
table.hcc thead tr:last-child th { border-bottom: 1px solid #000; }
table.hcc tbody tr:last-child td { border-bottom: 2px solid #000; }
table.hcc th, table.hcc td { padding: 0.15rem 0.6rem; text-align: center;
  vertical-align: top; }
table.hcc th:first-child, table.hcc td:first-child { text-align: left; }
table.hcc td:not(:first-child) { white-space: nowrap; }
table.hcc th.span { border-bottom: 1px solid #000; }
table.hcc td.indent { padding-left: 1.6rem; }
div.tablewrap { overflow-x: auto; }
div.notes { font-size: 0.8rem; margin-bottom: 1.5rem; max-width: 60rem; }
div.notes p { margin: 0.1rem 0; text-align: left; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; }
pre { font-size: 0.8rem; background: #f5f5f5; padding: 0.6rem; overflow-x: auto; }
""".strip()


def table_html(table: ReportTable) -> str:
    """One table (caption, spanning header, header, body) and its notes."""
    out = ['<div class="tablewrap">', f'<table class="hcc" id="{escape(table.key)}">',
           f"<caption>{escape(table.title)}</caption>", "<thead>"]
    if table.spanners:
        cells = "".join(
            f'<th colspan="{span}"' + (' class="span"' if lab else "") + f">{escape(lab)}</th>"
            for lab, span in table.spanners)
        out.append(f"<tr>{cells}</tr>")
    out.append("<tr>" + "".join(f"<th>{escape(str(c))}</th>" for c in table.display.columns)
               + "</tr>")
    out.append("</thead>")
    out.append("<tbody>")
    for i, row in enumerate(display_rows(table.display)):
        tds = []
        for j, v in enumerate(row):
            ind = j == 0 and i < len(table.indent) and table.indent[i]
            tds.append(("<td class=\"indent\">" if ind else "<td>") + escape(str(v)) + "</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table></div>")
    notes = table.notes()
    if notes:
        out.append('<div class="notes">' + "".join(f"<p>{escape(n)}</p>" for n in notes)
                   + "</div>")
    return "\n".join(out)


def figure_html(fig: FigureBlock) -> str:
    """A figure as ``<img>`` with a base64 ``data:`` URI (SVG preferred) and its caption."""
    if fig.svg is not None:
        uri = "data:image/svg+xml;base64," + base64.b64encode(fig.svg).decode("ascii")
    elif fig.png is not None:
        uri = "data:image/png;base64," + base64.b64encode(fig.png).decode("ascii")
    else:
        return f"<p><em>Figure not available: {escape(fig.caption)}</em></p>"
    return (f'<figure id="fig-{escape(fig.key)}"><img alt="{escape(fig.caption)}" '
            f'src="{uri}"><figcaption>{escape(fig.caption)}</figcaption></figure>')


def document_html(doc: Document) -> str:
    """The whole report as one self-contained HTML page."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{escape(doc.title)}</title>", f"<style>\n{CSS}\n</style>", "</head>",
             "<body>", f"<h1>{escape(doc.title)}</h1>"]
    for b in doc.blocks:
        if isinstance(b, Heading):
            lvl = min(b.level + 1, 6)
            parts.append(f"<h{lvl}>{escape(b.text)}</h{lvl}>")
        elif isinstance(b, Paragraph):
            parts.append(f"<p>{escape(b.text)}</p>")
        elif isinstance(b, Preformatted):
            parts.append(f"<pre>{escape(b.text)}</pre>")
        elif isinstance(b, FigureBlock):
            parts.append(figure_html(b))
        elif isinstance(b, ReportTable):
            parts.append(table_html(b))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
