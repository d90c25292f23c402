"""The house style of hccstudy figures: fixed fonts and rcParams, deterministic output.

Every figure of :mod:`hccstudy.report.figures` is built, and saved, inside
:func:`house_style`, a :func:`matplotlib.rc_context` with :data:`HOUSE_RC`. The
choices that make the files reproducible byte for byte:

* **Font**: DejaVu Sans only, the font matplotlib ships with itself, so text
  metrics (and hence the layout) do not depend on the fonts installed on the
  machine. Mathtext uses the same family.
* **SVG text**: ``svg.fonttype = "none"``. Text stays ``<text>`` elements
  rather than glyph outlines: journal production staff can edit labels in
  Illustrator or Inkscape, text is searchable, files are small and a changed
  number in a golden snapshot shows as changed text in the diff. Alignment is
  written as ``text-anchor`` (start / middle / end), so centred numbers (the
  at-risk table) stay centred on their tick even where a viewer substitutes a
  metric-compatible font. The cost: the look depends on the viewer having
  DejaVu Sans (Debian, most Linux, and matplotlib users have it); use the PDF
  or PNG where exact glyphs matter.
* **PDF text**: ``pdf.fonttype = 42`` (TrueType embedded, editable text), as
  most journals ask; never Type 3.
* **IDs and dates**: ``svg.hashsalt`` fixed (clip-path and glyph ids are
  hashes); ``svg.id`` fixed; the date metadata of SVG and PDF left out (see
  :data:`SAVE_METADATA`).

Colours are the Okabe-Ito palette (distinguishable with colour-vision
deficiency, and in greyscale by line style where it matters).

Examples
--------
>>> from matplotlib.figure import Figure
>>> with house_style():
...     fig = Figure()
>>> HOUSE_RC["svg.fonttype"]
'none'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from cycler import cycler

__all__ = ["HOUSE_RC", "OKABE_ITO", "SAVE_METADATA", "house_style", "palette"]

#: Okabe & Ito (2008) colour-blind safe palette, black first.
OKABE_ITO: tuple[str, ...] = (
    "#000000",  # black
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow (last: poor contrast on white)
)

#: The rcParams of every hccstudy figure.
HOUSE_RC: dict[str, Any] = {
    "backend": "Agg",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8.0,
    "mathtext.fontset": "dejavusans",
    "axes.titlesize": 9.0,
    "axes.labelsize": 8.0,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "axes.unicode_minus": True,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "lines.linewidth": 1.2,
    "figure.dpi": 100.0,
    "figure.facecolor": "white",
    "savefig.dpi": 300.0,
    "savefig.facecolor": "white",
    "savefig.bbox": None,  # never "tight": the size of the file is the size asked for
    "savefig.pad_inches": 0.05,
    "path.simplify": True,
    "svg.fonttype": "none",
    "svg.hashsalt": "hccstudy",
    "svg.id": "hccstudy-figure",
    "svg.image_inline": True,
    "pdf.fonttype": 42,
    "pdf.compression": 6,
    "image.cmap": "viridis",
}

#: Metadata written by :func:`hccstudy.report.figures.save_figure`, per format
#: (no dates, no versions: identical inputs give identical bytes).
SAVE_METADATA: dict[str, dict[str, Any]] = {
    "svg": {"Date": None, "Creator": "hccstudy"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "hccstudy",
            "Producer": "hccstudy"},
    "png": {"Software": "hccstudy"},
}


@contextmanager
def house_style(extra: dict[str, Any] | None = None) -> Iterator[None]:
    """Context in which figures are built and saved with :data:`HOUSE_RC`.

    Parameters
    ----------
    extra : dict, optional
        rcParams laid over the house style (for a journal's own sizes).

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with house_style({"font.size": 9}):
    ...     mpl.rcParams["font.size"], mpl.rcParams["svg.hashsalt"]
    (9.0, 'hccstudy')
    """
    rc: Any = dict(HOUSE_RC)
    rc.pop("backend")  # switching backends inside a context would touch pyplot
    if extra:
        rc.update(extra)
    with mpl.rc_context(rc):
        yield


def palette(n: int, colours: Sequence[str] | None = None) -> list[str]:
    """``n`` colours: the given ones, or Okabe-Ito (cycled when ``n`` exceeds it).

    Examples
    --------
    >>> palette(2)
    ['#000000', '#E69F00']
    """
    base = list(colours) if colours else list(OKABE_ITO[:-1])
    return [base[i % len(base)] for i in range(n)]
