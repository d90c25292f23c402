"""Atomic, idempotent, versioned and audited import of a dataset into the registry.

* **Atomic**: one transaction per import; a crash or kill leaves the database as it was.
* **Idempotent**: a file whose sha256 was already imported into the study is skipped;
  identical records of a new file change nothing.
* **Versioned**: a record (same study, table and key) whose values changed gets a new
  version; the old version stays, marked not current.
* **Audited**: every import, skip, insert and update is logged with who, when, the file
  hash and the changed fields.

Examples
--------
>>> import pathlib, tempfile
>>> from hccstudy.registry import connect
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "c.csv").write_text("patient_id,sex,diagnosis_date\\nA1,M,2020-01-05\\n")
>>> engine = connect(d / "reg.db")
>>> s = import_file(engine, d / "c.csv", study="demo", actor="doctest")
>>> (s.inserted, s.updated, s.unchanged, s.skipped)
(1, 0, 0, False)
>>> import_file(engine, d / "c.csv", study="demo", actor="doctest").skipped
True
>>> engine.dispose()
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from hccstudy.io.read import Dataset, read
from hccstudy.registry.models import AuditEntry, ImportBatch, Record
from hccstudy.validate.checks import validate
from hccstudy.validate.schema import TABLES

__all__ = ["ImportSummary", "dataset_sha256", "import_dataset", "import_file"]

CHUNK = 500


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did (``skipped``: the same file was already imported)."""

    import_id: int | None
    study: str
    sha256: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    skipped: bool


def _jsonable(v: Any) -> Any:
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        if pd.isna(v):
            return None
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f):
            return None
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    return v if isinstance(v, int | str) else str(v)


def dataset_sha256(dataset: Dataset) -> str:
    """sha256 identifying the imported file(s): the file's own hash, or a hash of the hashes."""
    hashes = sorted(p.sha256 for p in dataset.provenance)
    if len(hashes) == 1:
        return hashes[0]
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def _records(dataset: Dataset) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """(table, record key, patient id, payload) for every row; repeated keys get '#n'."""
    out = []
    for name, frame in dataset.tables.items():
        key_cols = TABLES[name].key
        cols = [c for c in TABLES[name].names if c in frame.columns]
        cols += [c for c in frame.columns if c not in cols and not str(c).startswith("_")]
        seen: dict[str, int] = {}
        for values in frame[cols].itertuples(index=False, name=None):
            payload = {c: _jsonable(v) for c, v in zip(cols, values, strict=True)}
            key = json.dumps([payload.get(k) for k in key_cols], sort_keys=True)
            n = seen.get(key, 0) + 1
            seen[key] = n
            if n > 1:
                key = f"{key}#{n}"
            pid = payload.get("patient_id")
            out.append((name, key, None if pid is None else str(pid), payload))
    return out


def _hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def import_dataset(engine: Engine, dataset: Dataset, *, study: str = "default",
                   actor: str | None = None, allow_errors: bool = False,
                   progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Import a dataset read with :func:`hccstudy.io.read` into ``study``.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From :func:`hccstudy.registry.connect`.
    dataset : Dataset
        The data; it is validated first and refused when it has errors.
    study : str
        Study (cohort) name the records belong to.
    actor : str, optional
        Who imports (default: the operating-system user).
    allow_errors : bool
        Import even when validation finds errors (not recommended).
    progress : callable, optional
        Called with the number of records written so far after each chunk (for progress
        bars; the tests use it to kill an importer half-way).

    Raises
    ------
    hccstudy.errors.InputError
        When validation finds errors (the message counts them per rule).
    """
    if not allow_errors:
        validate(dataset).raise_for_errors()
    who = actor or _user()
    sha = dataset_sha256(dataset)
    file_name = ", ".join(p.file for p in dataset.provenance)[:255]
    rows = _records(dataset)

    def work(conn: Connection) -> ImportSummary:
        now = dt.datetime.now(dt.UTC)
        existing = conn.execute(select(ImportBatch.id).where(
            ImportBatch.study == study, ImportBatch.sha256 == sha)).first()
        if existing is not None:
            conn.execute(insert(AuditEntry).values(
                at=now, actor=who, study=study, action="skip-same-file", sha256=sha,
                import_id=existing[0], details=json.dumps({"file": file_name})))
            return ImportSummary(existing[0], study, sha, len(rows), 0, 0, 0, True)
        batch_id = conn.execute(insert(ImportBatch).values(
            study=study, file_name=file_name, sha256=sha, imported_by=who, imported_at=now,
            n_rows=len(rows), n_inserted=0, n_updated=0, n_unchanged=0)
            .returning(ImportBatch.id)).scalar_one()
        current: dict[tuple[str, str], tuple[int, int, str, str]] = {}
        for row in conn.execute(
                select(Record.id, Record.table_name, Record.record_key, Record.version,
                       Record.content_hash, Record.payload)
                .where(Record.study == study, Record.is_current.is_(True))):
            current[(row[1], row[2])] = (row[0], row[3], row[4], row[5])
        new_rows: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        superseded: list[int] = []
        inserted = updated = unchanged = 0
        for table, key, pid, payload in rows:
            h = _hash(payload)
            old = current.get((table, key))
            if old is not None and old[2] == h:
                unchanged += 1
                continue
            version = 1 if old is None else old[1] + 1
            new_rows.append(dict(study=study, table_name=table, record_key=key, patient_id=pid,
                                 version=version, payload=json.dumps(payload, sort_keys=True),
                                 content_hash=h, import_id=batch_id, is_current=True,
                                 superseded_by=None))
            if old is None:
                inserted += 1
                action, details = "insert", None
            else:
                updated += 1
                superseded.append(old[0])
                before = json.loads(old[3])
                changed = {k: [before.get(k), payload.get(k)]
                           for k in sorted(set(before) | set(payload))
                           if before.get(k) != payload.get(k)}
                action, details = "update", json.dumps({"version": version, "changed": changed})
            audits.append(dict(at=now, actor=who, study=study, action=action, sha256=sha,
                               import_id=batch_id, table_name=table, record_key=key,
                               details=details))
        for k in range(0, len(superseded), CHUNK):
            conn.execute(update(Record).where(Record.id.in_(superseded[k:k + CHUNK]))
                         .values(is_current=False, superseded_by=batch_id))
        written = 0
        for k in range(0, len(new_rows), CHUNK):
            conn.execute(insert(Record), new_rows[k:k + CHUNK])
            conn.execute(insert(AuditEntry), audits[k:k + CHUNK])
            written += len(new_rows[k:k + CHUNK])
            if progress is not None:
                progress(written)
        conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(
            n_inserted=inserted, n_updated=updated, n_unchanged=unchanged))
        conn.execute(insert(AuditEntry).values(
            at=now, actor=who, study=study, action="import", sha256=sha, import_id=batch_id,
            details=json.dumps({"file": file_name, "rows": len(rows), "inserted": inserted,
                                "updated": updated, "unchanged": unchanged})))
        return ImportSummary(batch_id, study, sha, len(rows), inserted, updated, unchanged, False)

    from hccstudy.registry.db import run_in_transaction

    return run_in_transaction(engine, work)


def import_file(engine: Engine, path: str | Path, mapping: Any = None, *,
                study: str = "default", actor: str | None = None) -> ImportSummary:
    """Read, validate and import a file (see :func:`import_dataset`).

    Raises
    ------
    hccstudy.errors.InputError
        When the file cannot be read or has validation errors.
    """
    return import_dataset(engine, read(path, mapping), study=study, actor=actor)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in containers without a passwd entry
        return "unknown"


