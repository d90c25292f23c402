"""Command line interface: ``hccstudy run``, ``report``, ``derive``, ``demo``, ``validate``,
``draft-mapping``, ``import``, ``export``.

The CLI is thin: each command calls the package's public functions and prints
their results. Errors print one line on stderr (no traceback unless ``--debug``).

Exit codes
----------
0
    Success.
1
    Input error: the data failed validation, the spec is invalid, or an analysis
    refused its input (the message names the spec key, column, rule and row count).
2
    Usage error: bad option, unknown command, missing input file.
3
    Unexpected internal error (rerun with ``--debug`` for the traceback).
4
    The output could not be written (permissions, disk full, a file where a folder
    is expected).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_OUTPUT = 4

_EPILOG = """Examples:

  hccstudy demo

  hccstudy demo 000 -o out/        (seed study 000 on its synthetic cohort; or: all)

  hccstudy run studies/example_two_arm.yaml -o out/

  hccstudy run study.yaml -o out/ --format html --format docx --json

  hccstudy report out/result.pkl -o rerendered/ --digits 3

  hccstudy derive cohort.csv -o cohort_derived.csv

  hccstudy validate cohort.xlsx --mapping map.yaml

Exit codes: 0 ok, 1 input error (data or spec), 2 usage error, 3 internal error
(rerun with --debug), 4 output not writable."""

app = typer.Typer(
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    help="hccstudy: outcomes research for liver-directed therapy of HCC.",
    epilog=_EPILOG,
    rich_markup_mode=None,
)

_DEBUG = False

_FORMAT_OPT = typer.Option("--format", "-f", help="Output format(s): html, docx, csv, latex "
                           "(repeat or comma-separate; default all).")
_FIGFMT_OPT = typer.Option("--figure-format", help="Figure files kept in figures/: png, svg, "
                           "pdf (repeat or comma-separate; default all three).")
_OUT_DIR_OPT = typer.Option("-o", "--out", help="Output folder (created).")
_FIGURES_OPT = typer.Option("--figures/--no-figures", help="Draw the figures.")
_DPI_OPT = typer.Option(min=30, max=1200, help="PNG resolution.")
_DIGITS_OPT = typer.Option(min=0, max=6, help="Decimals of estimates.")
_JSON_SUMMARY_OPT = typer.Option("--json", help="Print a JSON summary on stdout.")
_JOBS_OPT = typer.Option("--jobs", "-j", min=0, max=64, help="Processes drawing the figures "
                         "(0: one per CPU core, at most 4; the files are the same bytes "
                         "whatever the number).")


def _jobs(value: int) -> int:
    import os

    return value if value > 0 else max(1, min(4, os.cpu_count() or 1))


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _fail(code: int, message: str, as_json: bool = False) -> NoReturn:
    """Print one error line on stderr (and a JSON object on stdout with --json); exit."""
    typer.echo(f"error: {_one_line(message)}", err=True)
    if as_json:
        typer.echo(json.dumps({"status": "error", "exit_code": code,
                               "message": _one_line(message)}))
    raise typer.Exit(code)


@contextlib.contextmanager
def _errors(as_json: bool = False, out_dir: Path | None = None) -> Iterator[None]:
    """Turn exceptions into documented exit codes with a one-line message.

    An ``OSError`` on a path under ``out_dir`` is an output error (4); on any other path
    an input error (1).
    """
    from hccstudy.errors import InputError

    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except InputError as exc:
        if _DEBUG:
            raise
        _fail(EXIT_INPUT, str(exc), as_json)
    except OSError as exc:
        if _DEBUG:
            raise
        name = getattr(exc, "filename", None)
        if name is not None and out_dir is not None and not _under(Path(name), out_dir):
            _fail(EXIT_INPUT, f"cannot read {name} ({exc.strerror or exc})", as_json)
        where = f" {name}" if name else ""
        _fail(EXIT_OUTPUT, f"cannot write{where} ({exc.strerror or exc})", as_json)
    except Exception as exc:
        if _DEBUG:
            raise
        _fail(EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {exc} "
              "(rerun with --debug)", as_json)


def _under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return path.resolve() == folder.resolve()
    return True


def _need_file(path: Path, as_json: bool = False) -> None:
    if not path.exists():
        _fail(EXIT_USAGE, f"no such file: {path}", as_json)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A transient rich spinner on stderr; yields ``step(message)``."""
    if not enabled:
        yield lambda _msg: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _msg: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as prog:
        task = prog.add_task("starting", total=None)
        yield lambda msg: prog.update(task, description=msg)


@contextlib.contextmanager
def _figure_workers(enabled: bool, jobs: int) -> Iterator[Any]:
    """Fork the figure process first (:mod:`hccstudy.report._workers`): importing and
    warming matplotlib then overlaps reading and running the study. Yields None where it
    is not used (no figures, one job, no fork); the report draws the figures itself."""
    workers = None
    if enabled:
        from hccstudy.report._workers import FigureWorkers

        workers = FigureWorkers.start(jobs)
    try:
        yield workers
    finally:
        if workers is not None:
            workers.close()


@contextlib.contextmanager
def _one_shot() -> Iterator[None]:
    """A command that runs a study is a one-shot process: Cox fits of fewer than 50,000
    rows use the NumPy kernels instead of loading the compiled ones (about 1 s at
    start-up; the same estimates to rounding, both validated against R). The
    environment variable ``HCCSTUDY_COMPILED_MIN_ROWS`` overrides the 50,000."""
    import os

    from hccstudy.analyse import _cox_fit

    before = _cox_fit.JIT_MIN_ROWS
    _cox_fit.JIT_MIN_ROWS = int(os.environ.get("HCCSTUDY_COMPILED_MIN_ROWS") or 50_000)
    try:
        yield
    finally:
        _cox_fit.JIT_MIN_ROWS = before


def _formats(values: list[str] | None, as_json: bool) -> tuple[str, ...]:
    from hccstudy.report.assemble import FORMATS

    if not values:
        return FORMATS
    out: list[str] = []
    for v in values:
        out.extend(x.strip().lower() for x in v.split(",") if x.strip())
    out = ["latex" if x in ("tex", "latex") else x for x in out]
    bad = [x for x in out if x not in FORMATS]
    if bad:
        _fail(EXIT_USAGE, f"unknown --format {bad}; choose from {', '.join(FORMATS)}", as_json)
    return tuple(dict.fromkeys(out))


def _times(text: str | None, as_json: bool) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        vals = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        _fail(EXIT_USAGE, f"--times must be comma-separated numbers, not {text!r}", as_json)
    if not vals or any(v < 0 for v in vals):
        _fail(EXIT_USAGE, "--times needs one or more times >= 0", as_json)
    return vals


def _report_summary(paths: Any, result: Any, seconds: float,
                    caught: list[warnings.WarningMessage]) -> dict[str, Any]:
    root = paths.out_dir
    return {
        "status": "ok",
        "out_dir": str(root),
        "title": getattr(result, "title", ""),
        "n_input": result.n_input,
        "n_analysis": result.n_analysis,
        "outcomes": list(result.outcomes),
        "files": {
            "html": str(paths.html) if paths.html else None,
            "docx": str(paths.docx) if paths.docx else None,
            "tables": [str(p) for p in paths.tables],
            "figures": [str(p) for p in paths.figures],
            "provenance": str(paths.provenance),
            "saved": str(paths.saved),
        },
        "warnings": [_one_line(w.message) for w in caught],
        "seconds": round(seconds, 2),
    }


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary, indent=1))
        return
    for w in summary["warnings"]:
        typer.echo(f"warning: {w}", err=True)
    f = summary["files"]
    n_tab = len({Path(p).stem.removesuffix("_numeric") for p in f["tables"]})
    n_fig = len({Path(p).stem for p in f["figures"]})
    typer.echo(f"report written to {summary['out_dir']} ({summary['n_analysis']} of "
               f"{summary['n_input']} records analysed; {n_tab} tables, {n_fig} figures; "
               f"{summary['seconds']:.1f} s)")
    for key in ("html", "docx", "provenance", "saved"):
        if f[key]:
            typer.echo(f"  {f[key]}")


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on error.")] = False,
) -> None:
    global _DEBUG
    _DEBUG = debug


@app.command()
def demo(
    study: Annotated[str | None, typer.Argument(
        help="Seed study to reproduce on its synthetic cohort: 000, 001, 002, 003, 004 or "
             "all. Without it: a quick console analysis (KM, log-rank, Cox).")] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder (one subfolder "
                                      "per study).")] = Path("hccstudy-demo"),
    seed: Annotated[int, typer.Option(help="Generator seed of the synthetic cohort.")] = 0,
    figures: Annotated[bool, _FIGURES_OPT] = True,
    figure_format: Annotated[list[str] | None, _FIGFMT_OPT] = None,
    digits: Annotated[int, _DIGITS_OPT] = 2,
    as_json: Annotated[bool, _JSON_SUMMARY_OPT] = False,
    jobs: Annotated[int, _JOBS_OPT] = 0,
) -> None:
    """Reproduce a seed study on its synthetic cohort: generate the raw records (written
    to OUT/seed_NNN/data as CSV), run the bundled spec and write the full report.

    Examples: ``hccstudy demo 000 -o out/``, ``hccstudy demo all``; ``hccstudy demo``
    prints a quick analysis of the small bundled cohort.
    """
    if study is None:
        from hccstudy.report.console import print_demo

        print_demo(digits=digits)
        return
    from hccstudy.studies import STUDIES

    if study != "all" and study not in STUDIES:
        _fail(EXIT_USAGE, f"unknown study {study!r}; choose one of {', '.join(STUDIES)} or "
              "all", as_json)
    chosen = STUDIES if study == "all" else (study,)
    fig_formats = _figure_formats(figure_format, as_json)
    summaries = []
    with _figure_workers(figures, _jobs(jobs)) as workers:
        for k in chosen:
            t0 = time.perf_counter()
            folder = out / f"seed_{k}"
            with _errors(as_json, folder), warnings.catch_warnings(record=True) as caught, \
                    _progress(not as_json) as step, _one_shot():
                warnings.simplefilter("always")
                from hccstudy.design.run import run as run_study
                from hccstudy.report.assemble import write_report
                from hccstudy.report.tables import TableFormat
                from hccstudy.studies import spec_path
                from hccstudy.synthetic import GENERATORS

                step(f"seed {k}: generating the synthetic cohort (seed {seed})")
                cohort = GENERATORS[k](seed=seed)
                cohort.write(folder / "data", format="csv")
                step(f"seed {k}: running {spec_path(k).name}")
                result = run_study(spec_path(k), data=cohort.tables)
                paths = write_report(result, folder, figures=figures,
                                     fmt=TableFormat(digits=digits), spec_file=spec_path(k),
                                     figure_formats=fig_formats, progress=step,
                                     jobs=_jobs(jobs), workers=workers)
            summary = _report_summary(paths, result, time.perf_counter() - t0, caught)
            summary["study"] = k
            summary["generator_seed"] = seed
            summaries.append(summary)
            if not as_json:
                _print_summary(summary, False)
    if as_json:
        typer.echo(json.dumps(summaries if len(summaries) > 1 else summaries[0], indent=1,
                              default=str))


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="CSV, XLSX, SAV, DTA, Parquet or REDCap export.")],
    mapping: Annotated[
        Path | None, typer.Option(help="YAML column mapping (see `hccstudy draft-mapping`).")
    ] = None,
    analysis: Annotated[
        list[str] | None,
        typer.Option(help="Also check the fields this analysis needs (repeatable), "
                          "e.g. overall_survival, child_pugh, mrecist."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")] = False,
) -> None:
    """Validate a patient file and list every problem with its row and column.

    Exit code 0 when there are no errors (warnings allowed), 1 otherwise. On a terminal,
    long hints wrap to its width; redirected to a file, every issue is one whole line.
    Example: ``hccstudy validate cohort.xlsx --mapping map.yaml``
    """
    from hccstudy.validate import validate_file

    _need_file(path)
    if mapping is not None:
        _need_file(mapping)
    with _errors():
        report = validate_file(path, mapping=mapping, analyses=tuple(analysis or ()))
    if as_json:
        typer.echo(report.to_frame().to_json(orient="records", indent=1))
    elif sys.stdout.isatty():  # a terminal: long hints wrap to its width, nothing is cut
        import shutil

        typer.echo(report.render(max_width=None, width=shutil.get_terminal_size().columns))
    else:  # a file or a pipe: every cell whole, one line per issue
        typer.echo(report.render(max_width=None))
    raise typer.Exit(0 if report.ok else 1)


@app.command("draft-mapping")
def draft_mapping_cmd(
    path: Annotated[Path, typer.Argument(help="The file whose headers to map.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the YAML here.")] = None,
) -> None:
    """Draft a YAML column mapping from a file's headers (review the lines marked '# check').

    Example: ``hccstudy draft-mapping cohort.xlsx -o map.yaml``
    """
    from hccstudy.io import draft_mapping

    _need_file(path)
    with _errors(out_dir=out):
        text = draft_mapping(path)
        if out is not None:
            out.write_text(text)
    if out is None:
        typer.echo(text)
    else:
        typer.echo(f"mapping drafted: {out}")


@app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="The validated patient file to import.")],
    study: Annotated[str, typer.Option(help="Study (cohort) name in the registry.")],
    mapping: Annotated[Path | None, typer.Option(help="YAML column mapping.")] = None,
    db: Annotated[
        str | None,
        typer.Option(help="Registry URL or SQLite file (default: $HCCSTUDY_REGISTRY_URL or "
                          "./hccstudy-registry.sqlite)."),
    ] = None,
) -> None:
    """Import a file into the registry: atomic, idempotent, versioned and audited.

    A file with validation errors is refused (run ``hccstudy validate`` first).
    Example: ``hccstudy import cohort.xlsx --mapping map.yaml --study ccrt``
    """
    from hccstudy.registry import connect, import_file

    _need_file(path)
    if mapping is not None:
        _need_file(mapping)
    with _errors():
        engine = connect(db)
        try:
            summary = import_file(engine, path, mapping, study=study)
        finally:
            engine.dispose()
    if summary.skipped:
        typer.echo(f"already imported (same file hash): nothing changed in study {study!r}")
    else:
        typer.echo(
            f"imported {summary.rows} rows into study {study!r}: {summary.inserted} new, "
            f"{summary.updated} changed (versioned), {summary.unchanged} unchanged"
        )


@app.command()
def export(
    study: Annotated[str, typer.Argument(help="Study (cohort) name in the registry.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder (Parquet files).")],
    salt: Annotated[
        str | None,
        typer.Option(help="De-identify with this secret salt (hashed ids, shifted dates). "
                          "Keep the salt private."),
    ] = None,
    db: Annotated[str | None, typer.Option(help="Registry URL or SQLite file.")] = None,
) -> None:
    """Export a study extract from the registry: one Parquet file per table, plus
    ``analysis_frame.parquet`` (one row per patient: patients + baseline + first treatment).

    Example: ``hccstudy export ccrt -o extract/ --salt "$SALT"``
    """
    from hccstudy.registry import analysis_frame, connect, export_parquet

    with _errors(out_dir=out):
        engine = connect(db)
        try:
            paths = export_parquet(engine, study, out, salt=salt)
            analysis_frame(engine, study, salt=salt).to_parquet(
                out / "analysis_frame.parquet", index=False)
        finally:
            engine.dispose()
    kind = "de-identified" if salt else "identified (pass --salt to de-identify)"
    typer.echo(f"exported {len(paths)} table(s), {kind}, to {out}")


def _figure_formats(values: list[str] | None, as_json: bool) -> tuple[str, ...]:
    if not values:
        return ("png", "svg", "pdf")
    out = [x.strip().lower() for v in values for x in v.split(",") if x.strip()]
    bad = [x for x in out if x not in ("png", "svg", "pdf")]
    if bad:
        _fail(EXIT_USAGE, f"unknown --figure-format {bad}; choose from png, svg, pdf", as_json)
    return tuple(dict.fromkeys(out))


def _report_options(fmt: list[str] | None, figure_format: list[str] | None, times: str | None,
                    as_json: bool
                    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[float, ...] | None]:
    """Parse the report options shared by ``run`` and ``report``.

    Parameters
    ----------
    fmt : list of str or None
        ``--format`` values.
    figure_format : list of str or None
        ``--figure-format`` values.
    times : str or None
        ``--times`` text.
    as_json : bool
        Report a usage error as JSON.

    Returns
    -------
    formats, figure_formats : tuple of str
    times : tuple of float or None
    """
    formats = _formats(fmt, as_json)
    fig_formats = _figure_formats(figure_format, as_json)
    return formats, fig_formats, _times(times, as_json)


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Study spec (YAML).")],
    out: Annotated[Path, _OUT_DIR_OPT],
    fmt: Annotated[list[str] | None, _FORMAT_OPT] = None,
    figures: Annotated[bool, _FIGURES_OPT] = True,
    figure_format: Annotated[list[str] | None, _FIGFMT_OPT] = None,
    dpi: Annotated[int, _DPI_OPT] = 300,
    digits: Annotated[int, _DIGITS_OPT] = 2,
    times: Annotated[str | None, typer.Option(help="Landmark times of the survival tables, "
                                              "in the endpoint's unit, e.g. 12,24,60.")] = None,
    as_json: Annotated[bool, _JSON_SUMMARY_OPT] = False,
    jobs: Annotated[int, _JOBS_OPT] = 0,
) -> None:
    """Run a study spec and write the report: report.html, report.docx, tables/, figures/,
    provenance.json and result.pkl (for `hccstudy report`).

    Example: ``hccstudy run studies/example_two_arm.yaml -o out/``
    """
    _need_file(spec, as_json)
    formats, fig_formats, tt = _report_options(fmt, figure_format, times, as_json)
    t0 = time.perf_counter()
    with _figure_workers(figures, _jobs(jobs)) as workers, _errors(as_json, out), \
            warnings.catch_warnings(record=True) as caught, \
            _progress(not as_json) as step, _one_shot():
        warnings.simplefilter("always")
        from hccstudy.design.run import run as run_study
        from hccstudy.report.assemble import write_report
        from hccstudy.report.tables import TableFormat

        step(f"running {spec.name}")
        result = run_study(spec)
        paths = write_report(result, out, formats=formats, figures=figures,
                             fmt=TableFormat(digits=digits), times=tt, spec_file=spec,
                             figure_formats=fig_formats, dpi=dpi, progress=step,
                             jobs=_jobs(jobs), workers=workers)
    _print_summary(_report_summary(paths, result, time.perf_counter() - t0, caught), as_json)


@app.command()
def report(
    saved: Annotated[Path, typer.Argument(help="result.pkl written by `hccstudy run` (or "
                                          "its folder).")],
    out: Annotated[Path, _OUT_DIR_OPT],
    fmt: Annotated[list[str] | None, _FORMAT_OPT] = None,
    figures: Annotated[bool, _FIGURES_OPT] = True,
    figure_format: Annotated[list[str] | None, _FIGFMT_OPT] = None,
    dpi: Annotated[int, _DPI_OPT] = 300,
    digits: Annotated[int, _DIGITS_OPT] = 2,
    times: Annotated[str | None, typer.Option(help="Landmark times, e.g. 12,24,60.")] = None,
    as_json: Annotated[bool, _JSON_SUMMARY_OPT] = False,
    jobs: Annotated[int, _JOBS_OPT] = 0,
) -> None:
    """Re-render a saved result (other formats, digits or times) without rerunning.

    Only open result files you wrote yourself (they are Python pickles).
    Example: ``hccstudy report out/result.pkl -o out2/ --digits 3``
    """
    if saved.is_dir():
        saved = saved / "result.pkl"
    _need_file(saved, as_json)
    formats, fig_formats, tt = _report_options(fmt, figure_format, times, as_json)
    t0 = time.perf_counter()
    with _figure_workers(figures, _jobs(jobs)) as workers, _errors(as_json, out), \
            warnings.catch_warnings(record=True) as caught, _progress(not as_json) as step:
        warnings.simplefilter("always")
        from hccstudy.report.assemble import load_result, write_report
        from hccstudy.report.tables import TableFormat

        result, prov = load_result(saved)
        paths = write_report(result, out, formats=formats, figures=figures,
                             fmt=TableFormat(digits=digits), times=tt,
                             figure_formats=fig_formats, dpi=dpi, progress=step,
                             jobs=_jobs(jobs), workers=workers, provenance=prov)
    _print_summary(_report_summary(paths, result, time.perf_counter() - t0, caught), as_json)


@app.command()
def derive(
    path: Annotated[Path, typer.Argument(help="Patient file (one row per patient).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output file: .csv, .parquet or "
                                      ".xlsx.")],
    mapping: Annotated[Path | None, typer.Option(help="YAML column mapping (reads the file "
                                                 "with hccstudy.io.read).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was derived as JSON.")]
    = False,
) -> None:
    """Add the clinical derivations (Child-Pugh, ALBI, MELD, BCLC, TNM, dose, ...) to a file.

    Columns are matched by their canonical names (docs/clinical.md); each derivation runs
    when its input columns exist and reports why it was skipped otherwise.
    Example: ``hccstudy derive cohort.csv -o cohort_derived.csv``
    """
    _need_file(path, as_json)
    if mapping is not None:
        _need_file(mapping, as_json)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        _fail(EXIT_USAGE, f"output must end in .csv, .parquet or .xlsx, not {out.name!r}",
              as_json)
    with _errors(as_json, out):
        import pandas as pd

        from hccstudy.clinical.derive import derive as _derive
        from hccstudy.errors import InputError

        if mapping is not None or path.suffix.lower() in (".sav", ".dta"):
            from hccstudy.io import read

            ds = read(path, mapping)
            if "patients" not in ds.tables:
                raise InputError(f"{path.name!r} has no patients table", rule="patients table")
            frame = ds.tables["patients"].drop(columns=["_source"], errors="ignore")
            frame = frame.reset_index(drop=True)
        else:
            try:
                sfx = path.suffix.lower()
                frame = (pd.read_parquet(path) if sfx == ".parquet" else
                         pd.read_excel(path) if sfx in (".xlsx", ".xls") else
                         pd.read_csv(path))
            except (ValueError, OSError) as e:
                raise InputError(f"cannot read {path.name!r}: {_one_line(e)}",
                                 rule="unreadable-file") from None
        result = _derive(frame)
        info = dict(result.attrs.get("clinical_derivations", {}))
        out.parent.mkdir(parents=True, exist_ok=True)
        result.attrs = {}
        if suffix == ".csv":
            result.to_csv(out, index=False)
        elif suffix == ".parquet":
            result.to_parquet(out, index=False)
        else:
            result.to_excel(out, index=False)
    added = [c for c in result.columns if c not in frame.columns]
    if as_json:
        typer.echo(json.dumps({"status": "ok", "out": str(out), "rows": len(result),
                               "added_columns": added, "derivations": info}, indent=1))
        return
    typer.echo(f"{len(result)} rows, {len(added)} derived column(s) written to {out}")
    for k, v in info.items():
        typer.echo(f"  {k}: {v}")


def main() -> None:
    """Entry point of the ``hccstudy`` console script."""
    from hccstudy.errors import InputError

    try:
        app()
    except InputError as exc:
        if _DEBUG:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # one clear line unless --debug
        if _DEBUG:
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug)", err=True)
        sys.exit(3)


if __name__ == "__main__":  # pragma: no cover
    main()
