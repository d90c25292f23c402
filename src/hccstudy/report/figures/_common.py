"""Shared pieces of the figures: a styled Figure, text formats, saving with fixed bytes."""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import wraps
from io import BytesIO
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.textpath import TextToPath

from hccstudy.errors import InputError
from hccstudy.report.style import HOUSE_RC, SAVE_METADATA, house_style

__all__ = ["format_p", "freeze_layout", "new_figure", "require", "save_figure", "styled",
           "text_width_in", "wrap_to_width"]

P = ParamSpec("P")
R = TypeVar("R")

_FORMATS = ("png", "svg", "pdf")
PNG_COMPRESS_LEVEL = 3
"""zlib level of the PNGs: 3 encodes a 300 dpi figure about twice as fast as the
default 6, for files 15-30 % larger (lossless either way)."""
PNG_UNHINTED_DPI = 200
"""From this resolution up, PNG text is rasterised without font hinting
(``text.hinting = "no_hinting"``). Hinting snaps glyph outlines to the pixel grid, which
sharpens text at screen resolutions but changes nothing visible at print resolutions,
and costs about a quarter of the time of a 300 dpi PNG. Unhinted glyphs keep the shapes
and advance widths of the SVG and PDF text. Lower resolutions keep matplotlib's
default hinting."""
_TEXT_TO_PATH = TextToPath()
_WORDS = re.compile(r"\(n = [\d,.]+[);]?|\S+")


def styled(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a figure builder inside :func:`hccstudy.report.style.house_style`, then freeze it.

    A Figure returned by the builder gets its layout computed once and fixed
    (:func:`freeze_layout`), so that every later save gives the same bytes.
    """

    @wraps(fn)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with house_style():
            out = fn(*args, **kwargs)
            if isinstance(out, Figure):
                freeze_layout(out)
            return out

    return inner


def freeze_layout(fig: Figure) -> Figure:
    """Run the figure's layout engine once and remove it, fixing every axes position.

    matplotlib re-runs constrained layout at each draw, starting from the
    positions of the previous one; the result moves in the last digits from
    save to save (and between a 300 dpi PNG and an SVG). Computing it once,
    at build time, makes saving a pure function of the figure. Call
    ``fig.set_layout_engine("constrained")`` to lay out again after resizing.

    Examples
    --------
    >>> fig = new_figure(3, 2)
    >>> _ = fig.add_subplot().set_xlabel("Months")
    >>> type(freeze_layout(fig).get_layout_engine()).__name__
    'PlaceHolderLayoutEngine'
    """
    engine = fig.get_layout_engine()
    if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
        # the engine alone, as the first step of Figure.draw does: the positions of a full
        # draw_without_rendering() without its traversal of every artist afterwards
        engine.execute(fig)
        fig.set_layout_engine("none")
    return fig


def new_figure(width: float, height: float, *, constrained: bool = True) -> Figure:
    """A Figure (object-oriented API, no pyplot state) with an Agg canvas attached."""
    fig = Figure(figsize=(width, height), layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig


def text_width_in(text: str, size: float | None = None, weight: str = "normal") -> float:
    """Width in inches of a (multi-line) text in the house font, from the font's own metrics.

    Used to size text columns and wrap box text; ``size`` defaults to the house
    ``font.size``. Slightly generous (unhinted outline metrics), never a renderer call.

    Examples
    --------
    >>> 0.5 < text_width_in("HR (95% CI)") < 0.8
    True
    """
    prop = FontProperties(family=HOUSE_RC["font.sans-serif"][0],
                          size=float(size if size is not None else HOUSE_RC["font.size"]),
                          weight=weight)
    widths = [_TEXT_TO_PATH.get_text_width_height_descent(line, prop, ismath=False)[0]
              for line in text.split("\n")]
    return max(widths, default=0.0) / 72.0


def wrap_to_width(text: str, width_in: float, size: float | None = None) -> list[str]:
    """Greedy word wrap of ``text`` (paragraphs split at newlines) to ``width_in`` inches.

    A count "(n = 12)" is never broken across lines.

    Examples
    --------
    >>> wrap_to_width("no match within the caliper (n = 14)", 1.2)
    ['no match within the', 'caliper (n = 14)']
    """
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in _WORDS.findall(para):
            trial = f"{line} {word}" if line else word
            if line and text_width_in(trial, size) > width_in:
                out.append(line)
                line = word
            else:
                line = trial
        out.append(line)
    return out


def format_p(p: float, *, name: str = "p") -> str:
    """Journal-style p-value text: ``"p = 0.012"``, ``"p < 0.001"``.

    Examples
    --------
    >>> format_p(0.0123), format_p(0.0004, name="Log-rank p"), format_p(float("nan"))
    ('p = 0.012', 'Log-rank p < 0.001', 'p = NA')
    """
    if p is None or not math.isfinite(float(p)):
        return f"{name} = NA"
    if float(p) < 0.001:
        return f"{name} < 0.001"
    return f"{name} = {float(p):.3f}"


def format_count(x: float) -> str:
    """A count as text: integers plainly, weighted (non-integer) counts with one decimal.

    Examples
    --------
    >>> format_count(12.0), format_count(3.25), format_count(float("nan"))
    ('12', '3.2', '')
    """
    if not math.isfinite(float(x)):
        return ""
    if float(x) == round(float(x)):
        return f"{round(float(x))}"
    return f"{float(x):.1f}"


def require(frame: Any, columns: Sequence[str], what: str) -> pd.DataFrame:
    """Check that ``frame`` is a DataFrame with ``columns``; InputError naming the first missing."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} needs a pandas DataFrame, not {type(frame).__name__}",
                         rule="DataFrame input")
    for c in columns:
        if c not in frame.columns:
            raise InputError(f"{what}: column {c!r} is missing", column=c,
                             rule="required column")
    if len(frame) == 0:
        raise InputError(f"{what}: the frame has no rows", n_rows=0, rule="at least one row")
    return frame


def require_finite(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """A numeric column as floats; InputError counting the missing or non-numeric rows."""
    v = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = int((~np.isfinite(v)).sum())
    if bad:
        raise InputError(f"{what}: column {column!r} has {bad} missing or non-numeric "
                         "value(s)", column=column, n_rows=bad, rule="finite numbers")
    return v


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] = _FORMATS,
                dpi: int = 300) -> list[Path]:
    """Write a figure as PNG, SVG and PDF, with identical bytes on every run.

    Each file is ``<stem>.<format>``; missing folders are created. SVG and PDF
    carry no date and no software version (:data:`hccstudy.report.style.SAVE_METADATA`)
    and are written inside :func:`hccstudy.report.style.house_style` (fixed
    ``svg.hashsalt``, ``svg.fonttype = "none"``, ``pdf.fonttype = 42``), so
    saving the same figure twice, or the same inputs in two processes, gives
    byte-identical files. PNG is written at ``dpi`` (300 by default, as journals
    ask); its pixel size is the figure size times ``dpi`` (no tight cropping); from
    :data:`PNG_UNHINTED_DPI` up its text is rasterised without font hinting.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : str or pathlib.Path
        Path without the extension (``figures/km_os``).
    formats : sequence of {"png", "svg", "pdf"}
    dpi : int
        Resolution of the PNG (vector formats ignore it for their vectors).

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.

    Examples
    --------
    >>> import tempfile
    >>> fig = new_figure(2, 1.5)
    >>> ax = fig.add_subplot()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in save_figure(fig, Path(d) / "demo", formats=("svg", "pdf"))]
    ['demo.svg', 'demo.pdf']
    """
    if not isinstance(fig, Figure):
        raise InputError(f"save_figure needs a matplotlib Figure, not {type(fig).__name__}",
                         rule="Figure input")
    unknown = [f for f in formats if f not in _FORMATS]
    if unknown or not formats:
        raise InputError(f"formats must be among {_FORMATS}, not {list(formats)!r}",
                         rule="figure formats")
    if not (isinstance(dpi, int | float) and dpi > 0):
        raise InputError(f"dpi must be a positive number, not {dpi!r}", rule="dpi > 0")
    base = Path(stem)
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with house_style():
        for fmt in formats:
            path = base.with_name(f"{base.name}.{fmt}")
            extra: dict[str, Any] = ({"pil_kwargs": {"compress_level": PNG_COMPRESS_LEVEL}}
                                     if fmt == "png" else {})
            if fmt == "pdf":
                ctx: Any = _pdf_font_subsets()
            elif fmt == "png" and dpi >= PNG_UNHINTED_DPI:
                ctx = rc_context({"text.hinting": "no_hinting"})
            else:
                ctx = nullcontext()
            with ctx:
                fig.savefig(path, format=fmt, dpi=dpi, metadata=dict(SAVE_METADATA[fmt]),
                            **extra)
            out.append(path)
    return out


# ----------------------------------------------------------------------------- PDF fonts

#: Characters whose glyphs every embedded PDF font subset holds (those the font has):
#: printable ASCII, Latin-1 and the symbols of clinical text. Subsetting a TrueType font
#: (fontTools, ~0.2 s a call) is most of the time of a PDF save; with one fixed glyph set
#: the subset is made once per font and process and reused by every figure.
PDF_SUBSET_CHARS = ("".join(map(chr, range(0x20, 0x7F))) + "".join(map(chr, range(0xA0, 0x100)))
                    + "\u2013\u2014\u2212\u2018\u2019\u201c\u201d\u2022\u2026\u2264\u2265"
                    "\u2248\u2260\u221e\u2190\u2191\u2192\u2193\u0394\u03a3\u03a9\u03b1\u03b2"
                    "\u03b3\u03b4\u03b5\u03ba\u03bb\u03bc\u03c0\u03c1\u03c3\u03c7"
                    "\ufb00\ufb01\ufb02\ufb03\ufb04")  # ligatures: matplotlib shapes text

_SUBSET_LOCK = threading.RLock()
# key -> (closer of matplotlib's subset context or None, SubsetResults, font file bytes)
_SUBSETS: OrderedDict[tuple[Any, ...], tuple[Any, Any, bytes]] = OrderedDict()
_SUBSETS_MAX = 16
_DISK_FORMAT = "1"


def _cache_dir() -> Path | None:
    """Folder of the on-disk PDF font subsets: ``$HCCSTUDY_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/hccstudy`` or ``~/.cache/hccstudy``; None (no disk cache) when
    ``HCCSTUDY_CACHE_DIR=off``."""
    import os

    root = os.environ.get("HCCSTUDY_CACHE_DIR")
    if root == "off":
        return None
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "hccstudy"
    return base / "pdf-font-subsets"


_FONT_HASHES: dict[str, str] = {}
_HOUSE_GLYPHS: dict[tuple[str, int], frozenset[int]] = {}  # glyph ids of PDF_SUBSET_CHARS


def _disk_key(fontfile: Any, face: int, glyphs: frozenset[int]) -> str:
    import hashlib

    import fontTools
    import matplotlib

    path = str(fontfile)
    if path not in _FONT_HASHES:
        _FONT_HASHES[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    text = "|".join([_DISK_FORMAT, _FONT_HASHES[path], str(face), matplotlib.__version__,
                     fontTools.version, ",".join(map(str, sorted(glyphs)))])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _disk_load(key: str) -> tuple[bytes, dict[int, int]] | None:
    import json

    d = _cache_dir()
    if d is None:
        return None
    try:
        data = (d / f"{key}.ttf").read_bytes()
        gmap = json.loads((d / f"{key}.json").read_text(encoding="utf-8"))
        return data, {int(k): int(v) for k, v in gmap.items()}
    except (OSError, ValueError, AttributeError):
        return None


def _disk_store(key: str, data: bytes, gmap: dict[int, int]) -> None:
    import json
    import os
    import tempfile

    d = _cache_dir()
    if d is None:
        return
    try:
        d.mkdir(parents=True, exist_ok=True)
        for suffix, payload in ((".ttf", data), (".json", json.dumps(
                {str(k): int(v) for k, v in sorted(gmap.items())}).encode())):
            fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{key}", suffix=suffix)
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.replace(tmp, d / f"{key}{suffix}")  # atomic: concurrent runs are safe
    except OSError:  # a read-only or full cache folder: the subset is made again next time
        pass


def _cached_glyphs_subset(original: Callable[..., Any], as_file: Callable[..., Any]
                          ) -> Callable[..., Any]:
    """A stand-in for matplotlib's ``_backend_pdf_ps.get_glyphs_subset`` (3.11 API:
    ``(fontfile, glyph indices) -> context manager of SubsetResults``) that subsets to
    the glyphs of :data:`PDF_SUBSET_CHARS` plus the requested ones, and caches the
    result in memory and on disk (:func:`_cache_dir`; the font file bytes and the glyph
    map, keyed by the font's SHA-256, the glyphs and the matplotlib and fontTools
    versions). The subset depends only on the font and on the glyphs a figure needs
    beyond the fixed set, so a figure's PDF has the same bytes whichever figures came
    before, and whether the subset was made now or read from the cache."""
    from fontTools.ttLib import TTFont
    from matplotlib.backends._backend_pdf_ps import SubsetResults
    from matplotlib.font_manager import get_font

    def subset(fontfile: Any, glyphs: Any) -> Any:
        requested = frozenset(int(g) for g in glyphs)
        face = getattr(fontfile, "face_index", 0)
        font_key = (str(fontfile), face)
        house = _HOUSE_GLYPHS.get(font_key)
        if house is None:
            charmap = get_font(fontfile).get_charmap()
            house = frozenset(charmap[ord(c)] for c in PDF_SUBSET_CHARS if ord(c) in charmap)
            _HOUSE_GLYPHS[font_key] = house
        want = house | requested
        key = (str(fontfile), face, want)
        hit = _SUBSETS.get(key)
        if hit is None:
            dkey = _disk_key(fontfile, face, want)
            stored = _disk_load(dkey)
            if stored is not None:
                data, gmap = stored
                hit = (None, SubsetResults(TTFont(BytesIO(data)), gmap), data)
            else:
                cm = original(fontfile, set(want))
                res = cm.__enter__()  # kept open: closed when evicted
                data = as_file(res.font).getvalue()
                hit = (cm, res, data)
                _disk_store(dkey, data, dict(res.glyph_index_map))
            _SUBSETS[key] = hit
            while len(_SUBSETS) > _SUBSETS_MAX:
                old_cm = _SUBSETS.popitem(last=False)[1][0]
                if old_cm is not None:
                    old_cm.__exit__(None, None, None)
        _SUBSETS.move_to_end(key)
        return nullcontext(hit[1])

    return subset


def _cached_font_as_file(original: Callable[..., Any]) -> Callable[..., Any]:
    """``font_as_file`` that returns the stored bytes of each cached subset."""

    def as_file(font: Any) -> BytesIO:
        for _cm, res, data in _SUBSETS.values():
            if res.font is font:
                return BytesIO(data)
        return original(font)  # type: ignore[no-any-return,unused-ignore]

    return as_file


@contextmanager
def _pdf_font_subsets() -> Iterator[None]:
    """Inside: matplotlib's PDF backend embeds cached font subsets (see
    :func:`_cached_glyphs_subset`). A matplotlib without the 3.11 subsetting API is left
    as it is (its own per-figure subsets: slower, the same text)."""
    try:
        from matplotlib.backends import _backend_pdf_ps as pdf_ps
    except ImportError:  # pragma: no cover
        yield
        return
    if not hasattr(pdf_ps, "SubsetResults") or not hasattr(pdf_ps, "font_as_file"):
        yield  # pragma: no cover - matplotlib < 3.11
        return
    with _SUBSET_LOCK:
        get0, file0 = pdf_ps.get_glyphs_subset, pdf_ps.font_as_file
        pdf_ps.get_glyphs_subset = _cached_glyphs_subset(get0, file0)
        pdf_ps.font_as_file = _cached_font_as_file(file0)
        try:
            yield
        finally:
            pdf_ps.get_glyphs_subset, pdf_ps.font_as_file = get0, file0
