"""Export of a study extract from the registry: current records as typed frames, an
analysis frame (one row per patient), Parquet files, the audit log, and de-identification.

Examples
--------
>>> import pathlib, tempfile
>>> from hccstudy.registry import connect, import_file
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "c.csv").write_text("patient_id,albumin,treatment_type\\nA1,3.9,TACE\\n")
>>> engine = connect(d / "reg.db")
>>> _ = import_file(engine, d / "c.csv", study="demo")
>>> analysis_frame(engine, "demo")[["patient_id", "albumin", "treatment_type"]].to_dict("records")
[{'patient_id': 'A1', 'albumin': 3.9, 'treatment_type': 'TACE'}]
>>> engine.dispose()
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from hccstudy.io.deidentify import deidentify
from hccstudy.io.read import Dataset
from hccstudy.registry.models import AuditEntry, Record
from hccstudy.validate.schema import TABLES

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

__all__ = ["analysis_frame", "audit_log", "export_parquet", "extract", "record_history"]


def _typed(table: str, payloads: list[dict[str, object]]) -> pd.DataFrame:
    schema = TABLES[table]
    frame = pd.DataFrame(payloads)
    cols = [c for c in schema.names if c in frame.columns]
    extras = [c for c in frame.columns if c not in cols]
    frame = frame.reindex(columns=cols + extras)
    for extra in extras:  # study-specific columns: dates were stored as ISO text
        text = frame[extra].dropna()
        if len(text) and text.map(lambda v: isinstance(v, str) and bool(_ISO.fullmatch(v))).all():
            frame[extra] = pd.to_datetime(frame[extra], errors="coerce")
    for c in schema.columns:
        if c.name not in frame.columns:
            continue
        if c.kind == "date":
            frame[c.name] = pd.to_datetime(frame[c.name], errors="coerce")
        elif c.kind == "number":
            frame[c.name] = pd.to_numeric(frame[c.name], errors="coerce").astype(float)
        elif c.kind == "integer":
            frame[c.name] = pd.to_numeric(frame[c.name], errors="coerce").astype("Int64")
        elif c.kind == "bool":
            frame[c.name] = frame[c.name].astype("boolean")
        else:
            frame[c.name] = [None if v is None or v != v else v for v in frame[c.name]]
    return frame


def extract(engine: Engine, study: str, tables: list[str] | None = None,
            salt: str | None = None) -> Dataset:
    """The current records of ``study`` as a :class:`~hccstudy.io.read.Dataset`.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    study : str
    tables : list of str, optional
        Only these tables (default: all that hold records).
    salt : str, optional
        When given, the extract is de-identified (:func:`hccstudy.io.deidentify.deidentify`).
    """
    with engine.connect() as conn:
        stmt = select(Record.table_name, Record.payload).where(
            Record.study == study, Record.is_current.is_(True)).order_by(Record.id)
        rows = conn.execute(stmt).all()
        conn.rollback()
    grouped: dict[str, list[dict[str, object]]] = {}
    for table, payload in rows:
        if tables is None or table in tables:
            grouped.setdefault(table, []).append(json.loads(payload))
    out = {t: _typed(t, grouped[t]) for t in TABLES if t in grouped}
    ds = Dataset(out, ())
    return deidentify(ds, salt) if salt is not None else ds


def analysis_frame(engine: Engine, study: str, salt: str | None = None) -> pd.DataFrame:
    """One row per patient: patients + baseline + the first treatment (by number)."""
    ds = extract(engine, study, ["patients", "baseline", "treatments"], salt=salt)
    frame = ds.table("patients")
    if "baseline" in ds.tables:
        frame = frame.merge(ds.table("baseline"), on="patient_id", how="left")
    if "treatments" in ds.tables:
        tx = ds.table("treatments")
        if "treatment_number" in tx.columns:
            tx = tx.sort_values("treatment_number", kind="stable")
        tx = tx.drop_duplicates("patient_id", keep="first")
        frame = frame.merge(tx, on="patient_id", how="left")
    return frame.reset_index(drop=True)


def export_parquet(engine: Engine, study: str, folder: str | Path,
                   salt: str | None = None) -> list[Path]:
    """Write one Parquet file per table of the extract into ``folder``; return the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    ds = extract(engine, study, salt=salt)
    paths = []
    for name in ds.tables:
        p = out / f"{name}.parquet"
        ds.table(name).to_parquet(p, index=False)
        paths.append(p)
    return paths


def audit_log(engine: Engine, study: str) -> pd.DataFrame:
    """The audit log of ``study``: at, actor, action, sha256, import_id, table, key, details."""
    with engine.connect() as conn:
        rows = conn.execute(select(
            AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.sha256,
            AuditEntry.import_id, AuditEntry.table_name, AuditEntry.record_key,
            AuditEntry.details).where(AuditEntry.study == study).order_by(AuditEntry.id)).all()
        conn.rollback()
    return pd.DataFrame(rows, columns=["at", "actor", "action", "sha256", "import_id",
                                       "table_name", "record_key", "details"])


def record_history(engine: Engine, study: str, table: str, record_key: str) -> pd.DataFrame:
    """Every version of one record: version, is_current, import_id, payload (JSON)."""
    with engine.connect() as conn:
        rows = conn.execute(select(Record.version, Record.is_current, Record.import_id,
                                   Record.payload).where(
            Record.study == study, Record.table_name == table,
            Record.record_key == record_key).order_by(Record.version)).all()
        conn.rollback()
    return pd.DataFrame(rows, columns=["version", "is_current", "import_id", "payload"])
