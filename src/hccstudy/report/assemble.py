"""One call from a study result to a report folder.

:func:`write_report` writes::

    out/
      report.html        everything, figures embedded (self-contained)
      report.docx        journal-style tables, figures, methods
      tables/<key>.csv   display text of each table
      tables/<key>_numeric.csv   the numbers behind it
      tables/<key>.tex   booktabs LaTeX
      figures/<key>.png|svg|pdf
      provenance.json    input and spec hashes, versions, seeds, run time
      result.pkl         the saved result, for ``hccstudy report`` (re-rendering)

Identical inputs give byte-identical tables (CSV, LaTeX), HTML and DOCX: nothing in them
depends on the time or the output folder; the run time is written to
``provenance.json`` only.

Examples
--------
>>> import tempfile, hccstudy
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses: [{name: lr, type: logrank, endpoint: os}]
... ''', hccstudy.datasets.load_demo())
>>> with tempfile.TemporaryDirectory() as d:
...     paths = write_report(r, d, formats=("csv",), figures=False)
...     sorted(p.name for p in paths.tables)
['flow.csv', 'flow_numeric.csv', 'lr.csv', 'lr_numeric.csv']
"""

from __future__ import annotations

import datetime as _dt
import json
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hccstudy.report._workers import FigureWorkers
from hccstudy.report.render import Document, FigureBlock, Heading, Paragraph, Preformatted
from hccstudy.report.tables import ReportTable, TableFormat, study_tables

__all__ = ["FORMATS", "ReportPaths", "load_result", "report_document", "save_result",
           "study_figures", "write_report"]

FORMATS = ("html", "docx", "csv", "latex")
"""Output formats :func:`write_report` knows."""

_MAGIC = "hccstudy-result"
_SAVE_VERSION = 1


@dataclass(frozen=True)
class ReportPaths:
    """Files written by :func:`write_report` (None / empty where not requested)."""

    out_dir: Path
    html: Path | None
    docx: Path | None
    tables: tuple[Path, ...]
    figures: tuple[Path, ...]
    provenance: Path
    saved: Path

    def all(self) -> list[Path]:
        """Every file written."""
        out = [p for p in (self.html, self.docx) if p is not None]
        return [*out, *self.tables, *self.figures, self.provenance, self.saved]


# ----------------------------------------------------------------------------- save / load


def save_result(result: Any, path: str | Path, provenance: dict[str, Any] | None = None
                ) -> Path:
    """Save a study result (aggregates and row positions only) for re-rendering.

    The file is a pickle: load only files you wrote yourself (:func:`load_result`).
    """
    p = Path(path)
    with open(p, "wb") as f:
        pickle.dump({"format": _MAGIC, "version": _SAVE_VERSION, "result": result,
                     "provenance": provenance}, f, protocol=pickle.HIGHEST_PROTOCOL)
    return p


def load_result(path: str | Path) -> tuple[Any, dict[str, Any] | None]:
    """``(result, provenance)`` from a file written by :func:`save_result`.

    Raises
    ------
    hccstudy.errors.InputError
        The file is not a saved hccstudy result (rule ``saved-result``).
    """
    from hccstudy.errors import InputError

    p = Path(path)
    try:
        with open(p, "rb") as f:
            head = f.read(2)
            f.seek(0)
            if not head or head[0] != 0x80:
                raise ValueError
            obj = pickle.load(f)  # our own format (see docstring)
    except OSError as e:
        raise InputError(f"cannot read {p.name!r}: {e.strerror}", rule="saved-result") from None
    except Exception:
        raise InputError(f"{p.name!r} is not a saved hccstudy result (result.pkl written by "
                         "`hccstudy run`)", rule="saved-result") from None
    if not isinstance(obj, dict) or obj.get("format") != _MAGIC:
        raise InputError(f"{p.name!r} is not a saved hccstudy result", rule="saved-result")
    if obj.get("version") != _SAVE_VERSION:
        raise InputError(f"{p.name!r} was saved by another hccstudy version (format "
                         f"{obj.get('version')}); rerun `hccstudy run`", rule="saved-result")
    return obj["result"], obj.get("provenance")


# ----------------------------------------------------------------------------- figures

FigureMaker = Callable[[], Any]


def _matching(result: Any, name: str, kinds: tuple[str, ...]) -> Any:
    from hccstudy.report.tables import _matching_test

    return _matching_test(result, name, kinds)


def study_figures(result: Any, labels: Mapping[str, str] | None = None
                  ) -> list[tuple[str, str, str, FigureMaker]]:
    """``(key, caption, anchor, make)`` for every figure of a study result.

    ``anchor`` is the outcome (or ``"flow"`` / ``"adjustment"``) the figure goes with;
    ``make()`` draws it with :mod:`hccstudy.report.figures`. An empty list when the
    figures module is not installed. A figure whose drawing fails is left out of the
    report with a ``RuntimeWarning`` (the CLI prints it as a warning line).

    Captions are the analyses' spec ``title`` when given, else written from the analysis
    type, endpoint label, grouping and cohort (:func:`hccstudy.report.captions.analysis_caption`,
    e.g. "Kaplan-Meier curves of overall survival by treatment group"); never an analysis
    name. Variable labels (the data model's, overridden by the spec's ``variable_labels``,
    overridden by ``labels``: :func:`hccstudy.report.labels.study_labels`) name the
    Cox terms and subgroup variables of the forest plots, the love plot's terms and the
    legend title of a Kaplan-Meier figure by a column other than the group.
    """
    try:
        from hccstudy.report import figures as F
    except ImportError:
        return []
    from hccstudy.report.captions import analysis_caption
    from hccstudy.report.labels import study_labels
    from hccstudy.report.tables import (
        _analysis_specs,
        balance_covariates,
        balance_labels,
        term_label,
    )

    fmt = TableFormat(labels=study_labels(result, labels))
    specs = _analysis_specs(result)
    spec = getattr(result, "spec", None)
    group = spec.groups.name if spec is not None else None
    out: list[tuple[str, str, str, FigureMaker]] = []

    def add(fn_name: str, key: str, caption: str, anchor: str, *args: Any,
            **kwargs: Any) -> None:
        fn = getattr(F, fn_name, None)
        if fn is not None:  # a figure type the installed figures module does not draw
            out.append((key, caption, anchor, lambda: fn(*args, **kwargs)))

    add("flow_figure", "flow", "Eligibility flow", "flow", result.flow_frame())
    for name, res in result.outcomes.items():
        kind = type(res).__name__
        cap = analysis_caption(result, name, res, fmt.labels, figure=True)
        if kind == "KaplanMeierResult":
            by = getattr(specs.get(name), "by", None)
            title = fmt.label(by) if by and by != group and len(res.groups) > 1 else None
            add("km_figure", f"{name}_km", cap or "Kaplan-Meier curves", name, res,
                test=_matching(result, name, ("logrank",)),
                **({"legend_title": title} if title else {}))
        elif kind == "CumulativeIncidenceResult":
            add("cif_figure", f"{name}_cif", cap or "Cumulative incidence", name, res)
        elif kind == "FailureTypeResult":
            add("failure_type_figure", f"{name}_failure", cap or "Failure types", name, res)
        elif kind == "CoxResult" and len(res.terms) > 1:
            add("cox_forest", f"{name}_forest", cap or "Hazard ratios (Cox regression)", name,
                res, labels={str(t): term_label(str(t), fmt) for t in res.terms})
        elif "Subgroup" in kind:
            add("subgroup_forest", f"{name}_forest", cap or "Hazard ratios in subgroups", name,
                res, labels=_subgroup_labels(res, fmt))
    if result.balance is not None:
        bal = result.balance
        add("love_figure", "love", "Covariate balance (absolute standardised mean "
            "differences)", "adjustment", bal,
            labels=dict(zip([str(t) for t in bal.to_frame().index],
                            balance_labels(bal, fmt, balance_covariates(result)),
                            strict=True)))
    if result.propensity is not None:
        from hccstudy.adjust import ps_overlap

        adj = result.matching if result.matching is not None else result.weighting
        add("ps_overlap_figure", "ps_overlap", "Propensity score overlap", "adjustment",
            ps_overlap(result.propensity, adj))
    return out


def _subgroup_labels(res: Any, fmt: TableFormat) -> dict[str, str]:
    """Labels of a subgroup result's variables (the plot looks levels up in the same
    mapping: a name that is also a level text is left out)."""
    try:
        frame = res.to_frame()
        variables = [str(v) for v in dict.fromkeys(frame["variable"].astype(str))]
        levels = set(frame["level"].dropna().astype(str)) if "level" in frame else set()
    except (AttributeError, KeyError, TypeError):
        return {}
    return {v: fmt.label(v) for v in variables if v not in levels and fmt.label(v) != v}


@dataclass(frozen=True)
class _Drawn:
    """One figure drawn and saved (picklable: it comes back from a worker process)."""

    paths: tuple[str, ...]
    png: bytes | None
    svg: bytes | None
    failed: str | None  # why the figure was not drawn
    caught: tuple[tuple[type[Warning], str], ...]  # warnings raised while drawing


def _draw_one(make: FigureMaker, key: str, fig_dir: Path | None, formats: Sequence[str],
              dpi: int) -> _Drawn:
    import warnings

    from hccstudy.report import figures as F

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fig = make()  # an Agg-backed Figure outside pyplot: nothing to close
        except Exception as e:  # one figure that cannot be drawn does not stop the report
            return _Drawn((), None, None, f"figure {key!r} not drawn: {type(e).__name__}: {e}",
                          ())
        saved = ([Path(p) for p in F.save_figure(fig, fig_dir / key, formats=tuple(formats),
                                                 dpi=dpi)] if fig_dir is not None else [])
    by_ext = {p.suffix.lstrip("."): p for p in saved}
    return _Drawn(tuple(str(p) for p in saved),
                  by_ext["png"].read_bytes() if "png" in by_ext else None,
                  by_ext["svg"].read_bytes() if "svg" in by_ext else None, None,
                  tuple((w.category, str(w.message)) for w in caught))


# figures and a shared counter for the forked drawing processes (set before the fork)
_FORK_STATE: tuple[list[tuple[str, str, str, FigureMaker]], Any, Path | None,
                   tuple[str, ...], int] | None = None


def _draw_loop() -> list[tuple[int, _Drawn]]:
    """Draw figures until none is left, taking the next index from the shared counter."""
    assert _FORK_STATE is not None
    figures, counter, fig_dir, formats, dpi = _FORK_STATE
    out: list[tuple[int, _Drawn]] = []
    while True:
        with counter.get_lock():
            i = counter.value
            counter.value += 1
        if i >= len(figures):
            return out
        key, _caption, _anchor, make = figures[i]
        out.append((i, _draw_one(make, key, fig_dir, formats, dpi)))


def _draw_parallel(figures: list[tuple[str, str, str, FigureMaker]], fig_dir: Path | None,
                   formats: Sequence[str], dpi: int, jobs: int) -> list[_Drawn] | None:
    """Draw with ``jobs`` processes (this one and ``jobs - 1`` forked copies sharing a
    counter); None where forking is not available (the caller draws serially)."""
    import multiprocessing as mp
    import sys
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    global _FORK_STATE
    if not sys.platform.startswith("linux") or "fork" not in mp.get_all_start_methods():
        return None
    from hccstudy.report import figures as _F  # noqa: F401  (imported once, before the fork)

    ctx = mp.get_context("fork")
    counter = ctx.Value("i", 0)
    _FORK_STATE = (figures, counter, fig_dir, tuple(formats), dpi)
    done: dict[int, _Drawn] = {}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            pool = ProcessPoolExecutor(max_workers=jobs - 1, mp_context=ctx)
            futures = [pool.submit(_draw_loop) for _ in range(jobs - 1)]
        with pool:
            done.update(_draw_loop())
            for fut in futures:
                try:
                    done.update(fut.result())
                except Exception:  # a lost worker: its figures are drawn again below
                    pass
    except OSError:  # no fork (resource limits): draw what is missing here
        pass
    finally:
        _FORK_STATE = None
    for i, (key, _caption, _anchor, make) in enumerate(figures):
        if i not in done:
            done[i] = _draw_one(make, key, fig_dir, formats, dpi)
    return [done[i] for i in range(len(figures))]


def _draw_all(figures: list[tuple[str, str, str, FigureMaker]], fig_dir: Path | None,
              formats: Sequence[str], dpi: int = 300, jobs: int = 1) -> list[_Drawn]:
    """Draw and save each figure (``jobs`` processes where fork is available)."""
    drawn = (_draw_parallel(figures, fig_dir, formats, dpi, jobs)
             if jobs > 1 and len(figures) > 1 else None)
    if drawn is None:
        drawn = [_draw_one(make, key, fig_dir, formats, dpi) for key, _c, _a, make in figures]
    return drawn


def _blocks(figures: Sequence[tuple[str, str, str]], drawn: Sequence[_Drawn]
            ) -> tuple[list[FigureBlock], dict[str, str], list[Path]]:
    """Figure blocks, their anchors and the files written, from ``(key, caption, anchor)``
    and what drawing each gave; the warnings raised while drawing are raised again here."""
    import warnings

    blocks: list[FigureBlock] = []
    anchors: dict[str, str] = {}
    paths: list[Path] = []
    for (key, caption, anchor), d in zip(figures, drawn, strict=True):
        for category, message in d.caught:
            warnings.warn(message, category, stacklevel=3)
        if d.failed is not None:
            warnings.warn(d.failed, RuntimeWarning, stacklevel=3)
            continue
        paths.extend(Path(p) for p in d.paths)
        blocks.append(FigureBlock(key, caption, png=d.png, svg=d.svg))
        anchors[key] = anchor
    return blocks, anchors, paths


# ----------------------------------------------------------------------------- document


SUPPLEMENTARY = ("flow", "propensity", "matching", "balance")
"""Table keys numbered as supplementary tables (S1, S2, ...); the others are Table 1, 2, ..."""


def _numbered(tables: list[ReportTable]) -> list[ReportTable]:
    import re
    from dataclasses import replace

    main = supp = 0
    out = []
    for t in tables:
        if t.key in SUPPLEMENTARY:
            supp += 1
            label = f"Table S{supp}. "
        else:
            main += 1
            label = f"Table {main}. "
        out.append(replace(t, title=label + re.sub(r"^Table S?\d+\.\s*", "", t.title)))
    return out


def _anchor_of(key: str, result: Any) -> str:
    if key == "flow":
        return "flow"
    if key in ("propensity", "matching", "balance"):
        return "adjustment"
    base = key.rsplit("_", 1)[0] if key not in result.outcomes and "_" in key else key
    return key if key in result.outcomes else base


def report_document(result: Any, tables: list[ReportTable],
                    figures: Sequence[FigureBlock] = (), figure_anchors: dict[str, str] | None
                    = None, provenance: dict[str, Any] | None = None,
                    labels: Mapping[str, str] | None = None) -> Document:
    """Arrange methods, tables (numbered), figures (after their tables) and provenance.

    ``labels`` override the data-model and spec labels of the variables the Methods list.
    """
    import re

    from hccstudy.report.methods import methods_paragraphs, provenance_text

    anchors = figure_anchors or {}
    tables = _numbered(tables)
    refs: dict[str, str] = {}  # analysis name -> its table number, for the Methods
    for t in tables:
        mo = re.match(r"^(Table S?\d+)\.", t.title)
        if mo and t.key in (getattr(result, "outcomes", None) or {}):
            refs.setdefault(t.key, mo.group(1))
    blocks: list[Any] = [Heading("Methods")]
    for head, text in methods_paragraphs(result, labels=labels, refs=refs):
        blocks += [Heading(head, 2), Paragraph(text)]
    blocks.append(Heading("Results"))
    figs = list(figures)
    placed: set[str] = set()
    fig_no = 0

    def add_figs(anchor: str) -> None:
        nonlocal fig_no
        for f in figs:
            if f.key not in placed and anchors.get(f.key) == anchor:
                fig_no += 1
                blocks.append(FigureBlock(f.key, f"Figure {fig_no}. {f.caption}", f.png, f.svg,
                                          f.width_in))
                placed.add(f.key)

    last_anchor = None
    for t in tables:
        a = _anchor_of(t.key, result)
        if last_anchor is not None and a != last_anchor:
            add_figs(last_anchor)
        blocks.append(t)
        last_anchor = a
    if last_anchor is not None:
        add_figs(last_anchor)
    for f in figs:
        if f.key not in placed:
            add_figs(anchors.get(f.key, ""))
    if provenance is not None:
        blocks += [Heading("Provenance"), Preformatted(provenance_text(provenance))]
    title = getattr(result, "title", "") or "Study report"
    return Document(title, blocks)


# ----------------------------------------------------------------------------- write


def write_report(result: Any, out_dir: str | Path, *, formats: Sequence[str] = FORMATS,
                 figures: bool = True, fmt: TableFormat | None = None,
                 times: Sequence[float] | None = None,
                 figure_formats: Sequence[str] = ("png", "svg", "pdf"), dpi: int = 300,
                 spec_file: str | Path | None = None,
                 run_time: _dt.datetime | None = None,
                 progress: Callable[[str], None] | None = None, jobs: int = 1,
                 workers: FigureWorkers | None = None,
                 provenance: Mapping[str, Any] | None = None) -> ReportPaths:
    """Write the report of a study result to ``out_dir`` (created if needed).

    Parameters
    ----------
    result : StudyResult
        From :func:`hccstudy.run`.
    out_dir : path
    formats : sequence of {"html", "docx", "csv", "latex"}
        Which renderings to write; ``provenance.json`` and ``result.pkl`` are always written.
    figures : bool
        Draw the figures (needs :mod:`hccstudy.report.figures`).
    fmt : TableFormat, optional
        Digits, p-value and CI style, and ``labels`` (variable name -> label) that
        override the spec's ``variable_labels``, which override the data-model labels;
        the labels name variables in every table, figure and the Methods (display only:
        ``*_numeric.csv`` keeps the column names).
    times : sequence of float, optional
        Landmark times of survival and incidence tables (default 1, 2, 5 years in the
        endpoint's unit).
    figure_formats : sequence of str
        Files kept per figure in ``figures/`` (PNG is drawn for DOCX and SVG for HTML
        even when not kept).
    dpi : int
        PNG resolution (300 for journals).
    spec_file : path, optional
        The spec YAML (its hash goes into the provenance).
    run_time : datetime, optional
        Recorded in provenance.json only (default: now, UTC).
    progress : callable, optional
        Called with a short message before each step (the CLI's progress display).
    jobs : int
        Processes drawing the figures (on Linux, ``jobs - 1`` forked copies of this
        process share them with it; elsewhere, or with 1, one after the other). The
        files are the same bytes either way. The command line uses one per CPU core
        (at most 4); 1 is the safe choice inside threaded hosts such as Jupyter.
    workers : FigureWorkers, optional
        A figure process started earlier (:meth:`hccstudy.report._workers.FigureWorkers.
        start`, as the command line does before it runs the study): it draws the figures
        while this process builds the tables. Where it fails, the figures are drawn here.
    provenance : mapping, optional
        The provenance saved with the result (:func:`load_result`), when re-rendering:
        its input and spec hashes, seeds, software versions and run time are kept (the
        data files may have changed since), and the software and time of this rendering
        are added under ``rendered_by`` in ``provenance.json``.

    Returns
    -------
    ReportPaths
    """
    from hccstudy.errors import InputError
    from hccstudy.report.methods import provenance as _prov

    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise InputError(f"unknown report format(s) {bad}; choose from {list(FORMATS)}",
                         rule="report format")
    step = progress or (lambda _msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from hccstudy.report.labels import study_labels

    fmt = fmt or TableFormat()
    fmt = replace(fmt, labels=study_labels(result, fmt.labels))

    fdir = out / "figures"
    # DOCX embeds PNG and HTML SVG: draw those even when not kept as files
    need = (["png"] if "docx" in formats else []) + (["svg"] if "html" in formats else [])
    ffm = list(dict.fromkeys([*figure_formats, *need]))
    sent = figures and workers is not None and workers.submit(result, fmt.labels, fdir, ffm,
                                                               dpi)
    step("tables")
    tables = study_tables(result, fmt, times=times)
    table_paths: list[Path] = []
    if "csv" in formats or "latex" in formats:
        from hccstudy.report.render.csv import numeric_csv, table_csv
        from hccstudy.report.render.latex import table_latex

        tdir = out / "tables"
        tdir.mkdir(exist_ok=True)
        for t in _numbered(tables):
            if "csv" in formats:
                for path, text in ((tdir / f"{t.key}.csv", table_csv(t)),
                                   (tdir / f"{t.key}_numeric.csv", numeric_csv(t))):
                    path.write_text(text, encoding="utf-8", newline="")
                    table_paths.append(path)
            if "latex" in formats:
                path = tdir / f"{t.key}.tex"
                path.write_text(table_latex(t), encoding="utf-8", newline="")
                table_paths.append(path)

    blocks: list[FigureBlock] = []
    anchors: dict[str, str] = {}
    fig_paths: list[Path] = []
    if figures:
        step("figures")
        got = workers.collect() if sent and workers is not None else None
        if got is None:
            specs = study_figures(result, fmt.labels)
            if specs:
                fdir.mkdir(exist_ok=True)
            got = ([(k, c, a) for k, c, a, _m in specs],
                   _draw_all(specs, fdir, ffm, dpi, jobs), [])
        keys, drawn, caught = got
        import warnings

        for category, message in caught:
            warnings.warn(message, category, stacklevel=2)
        blocks, anchors, fig_paths = _blocks(keys, drawn)
        if keys:
            fig_paths = [p for p in fig_paths if p.suffix.lstrip(".") in figure_formats]
            for p in list(fdir.iterdir()):
                if p.suffix.lstrip(".") not in figure_formats and p not in fig_paths:
                    p.unlink()

    step("provenance")
    now = _dt.datetime.now(_dt.UTC)
    if provenance is not None:  # re-rendering a saved result: the run's own record
        prov = {k: v for k, v in provenance.items() if k != "rendered_by"}
        current = _prov(result, spec_file=spec_file)
        prov["rendered_by"] = {
            **{k: current[k] for k in ("hccstudy", "python", "packages")},
            "time_utc": (run_time or now).astimezone(_dt.UTC).isoformat(timespec="seconds")}
        if spec_file is not None:
            prov["spec_file"] = current["spec_file"]
        prov_json = prov
    else:
        prov = _prov(result, spec_file=spec_file)
        when = (run_time or now).astimezone(_dt.UTC)
        prov_json = {**prov, "run_time_utc": when.isoformat(timespec="seconds")}
    prov_path = out / "provenance.json"
    prov_path.write_text(json.dumps(prov_json, indent=2, sort_keys=True) + "\n",
                         encoding="utf-8")

    doc = report_document(result, tables, blocks, anchors, prov, labels=fmt.labels)
    html_path = docx_path = None
    if "html" in formats:
        step("report.html")
        from hccstudy.report.render.html import document_html

        html_path = out / "report.html"
        html_path.write_text(document_html(doc), encoding="utf-8", newline="")
    if "docx" in formats:
        step("report.docx")
        from hccstudy.report.render.docx import write_docx

        docx_path = out / "report.docx"
        write_docx(doc, docx_path)
    saved = save_result(result, out / "result.pkl", prov_json)
    return ReportPaths(out, html_path, docx_path, tuple(table_paths), tuple(fig_paths),
                       prov_path, saved)
