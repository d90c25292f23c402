"""Command line interface: ``hccstudy demo``, ``validate``, ``draft-mapping``, ``import``, ``export``.

The CLI is thin: each command calls the package's public functions and prints
their results. Exit codes: 0 success, 1 the input data failed validation,
2 usage error (bad option, unknown file), 3 unexpected internal error (rerun
with ``--debug`` for the traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    help="hccstudy: outcomes research for liver-directed therapy of HCC.",
)

_DEBUG = False


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on error.")] = False,
) -> None:
    global _DEBUG
    _DEBUG = debug


@app.command()
def demo(
    digits: Annotated[int, typer.Option(help="Decimals shown for estimates.")] = 2,
) -> None:
    """Analyse the bundled synthetic CCRT cohort: Kaplan-Meier, log-rank and Cox.

    Example: ``hccstudy demo``
    """
    from hccstudy.report.console import print_demo

    print_demo(digits=digits)


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

    Exit code 0 when there are no errors (warnings allowed), 1 otherwise.
    Example: ``hccstudy validate cohort.xlsx --mapping map.yaml``
    """
    from hccstudy.validate import validate_file

    if not path.exists():
        typer.echo(f"error: no such file: {path}", err=True)
        raise typer.Exit(2)
    report = validate_file(path, mapping=mapping, analyses=tuple(analysis or ()))
    if as_json:
        typer.echo(report.to_frame().to_json(orient="records", indent=1))
    else:
        typer.echo(report.render())
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

    if not path.exists():
        typer.echo(f"error: no such file: {path}", err=True)
        raise typer.Exit(2)
    text = draft_mapping(path)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text)
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

    if not path.exists():
        typer.echo(f"error: no such file: {path}", err=True)
        raise typer.Exit(2)
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

    engine = connect(db)
    try:
        paths = export_parquet(engine, study, out, salt=salt)
        analysis_frame(engine, study, salt=salt).to_parquet(
            out / "analysis_frame.parquet", index=False)
    finally:
        engine.dispose()
    kind = "de-identified" if salt else "identified (pass --salt to de-identify)"
    typer.echo(f"exported {len(paths)} table(s), {kind}, to {out}")


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
