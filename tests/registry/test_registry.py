"""Registry: migrations, atomic/idempotent/versioned/audited import, export, concurrency."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import inspect, select

from hccstudy.errors import InputError
from hccstudy.io import read
from hccstudy.io.deidentify import identifiers_of, scan_for_identifiers
from hccstudy.registry import (
    analysis_frame,
    audit_log,
    connect,
    current_revision,
    downgrade,
    export_parquet,
    extract,
    import_file,
    make_engine,
    record_history,
    upgrade,
)
from hccstudy.registry.models import ImportBatch, Record

SALT = "registry test salt"


def _csv(path: Path, n: int = 5, albumin_of_first: float = 3.5, start: int = 0) -> Path:
    lines = ["patient_id,name,sex,diagnosis_date,albumin,treatment_type,start_date"]
    for k in range(start, start + n):
        alb = albumin_of_first if k == start else 3.0 + (k % 10) / 10
        lines.append(f"P{k:05d},Name {k},{'M' if k % 2 else 'F'},2020-01-{1 + k % 28:02d},"
                     f"{alb},TACE,2020-02-{1 + k % 28:02d}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        n_rec = len(conn.execute(select(Record.id)).all())
        n_imp = len(conn.execute(select(ImportBatch.id)).all())
        conn.rollback()
    engine.dispose()
    return n_rec, n_imp


def test_migrations_from_empty_database(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == "0001"
    names = set(inspect(engine).get_table_names())
    assert {"import_batches", "records", "audit_log", "alembic_version"} <= names
    upgrade(engine)  # idempotent
    downgrade(engine, "base")  # downgrade to empty, then up again
    assert "records" not in set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == "0001"
    engine.dispose()


def test_import_idempotent_versioned_audited(db_url: str, tmp_path: Path) -> None:
    engine = connect(db_url)
    v1 = _csv(tmp_path / "v1.csv")
    s1 = import_file(engine, v1, study="s", actor="alice")
    # 5 patients + 5 baseline + 5 treatments
    assert (s1.inserted, s1.updated, s1.unchanged, s1.skipped) == (15, 0, 0, False)
    s2 = import_file(engine, v1, study="s", actor="bob")
    assert s2.skipped and s2.import_id == s1.import_id
    v2 = _csv(tmp_path / "v2.csv", albumin_of_first=3.9)
    s3 = import_file(engine, v2, study="s", actor="carol")
    assert (s3.inserted, s3.updated, s3.unchanged, s3.skipped) == (0, 1, 14, False)
    base = extract(engine, "s").table("baseline")
    assert base.loc[base["patient_id"] == "P00000", "albumin"].tolist() == [3.9]
    key = json.dumps(["P00000"])
    hist = record_history(engine, "s", "baseline", key)
    assert hist["version"].tolist() == [1, 2] and hist["is_current"].tolist() == [False, True]
    log = audit_log(engine, "s")
    assert log["action"].tolist().count("import") == 2
    assert "skip-same-file" in log["action"].tolist()
    upd = log[log["action"] == "update"].iloc[0]
    assert upd["actor"] == "carol" and upd["sha256"] == s3.sha256
    assert json.loads(upd["details"])["changed"] == {"albumin": [3.5, 3.9]}
    # another study is independent
    assert import_file(engine, v1, study="other").inserted == 15
    engine.dispose()


def test_invalid_data_is_refused_and_nothing_written(db_url: str, tmp_path: Path) -> None:
    engine = connect(db_url)
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,albumin\nA,abc\nA,3.5\n")
    with pytest.raises(InputError, match="validation error"):
        import_file(engine, bad, study="s")
    engine.dispose()
    assert _counts(db_url) == (0, 0)


def test_export_deidentified(db_url: str, tmp_path: Path) -> None:
    engine = connect(db_url)
    src = _csv(tmp_path / "c.csv")
    import_file(engine, src, study="s")
    frame = analysis_frame(engine, "s")
    assert len(frame) == 5 and {"albumin", "treatment_type", "name"} <= set(frame.columns)
    out = tmp_path / "out"
    paths = export_parquet(engine, "s", out, salt=SALT)
    assert sorted(p.name for p in paths) == ["baseline.parquet", "patients.parquet",
                                             "treatments.parquet"]
    assert scan_for_identifiers(out, identifiers_of(read(src))) == []
    deid = analysis_frame(engine, "s", salt=SALT)
    assert "name" not in deid.columns and len(deid) == 5
    engine.dispose()


_IMPORTER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from hccstudy.io import read
    from hccstudy.registry import connect, import_dataset
    url, path, study, marker = sys.argv[1:5]
    engine = connect(url)
    ds = read(path)
    def progress(n):
        if marker != "-":
            Path(marker + ".tmp").write_text(str(n))
            os.replace(marker + ".tmp", marker)  # appears complete, never half-written
            time.sleep(60)  # killed here, half-way through the transaction
    s = import_dataset(engine, ds, study=study, progress=progress)
    print(s.inserted, s.updated, s.unchanged, s.skipped)
""")


def _spawn(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "importer.py"
    script.write_text(_IMPORTER)
    return subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def test_killed_importer_leaves_nothing(db_url: str, tmp_path: Path) -> None:
    big = _csv(tmp_path / "big.csv", n=700)  # 2,100 records: several chunks
    connect(db_url).dispose()
    marker = tmp_path / "halfway"
    proc = _spawn(tmp_path, db_url, str(big), "s", str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert int(marker.read_text()) == 500  # one chunk written inside the transaction
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    assert _counts(db_url) == (0, 0)
    engine = connect(db_url)
    assert import_file(engine, big, study="s").inserted == 2100
    engine.dispose()
    assert _counts(db_url) == (2100, 1)


def test_two_concurrent_importers(db_url: str, tmp_path: Path) -> None:
    a = _csv(tmp_path / "a.csv", n=300, start=0)
    # 100 patients overlap with identical values (P00200's albumin is 3.0 in both files)
    b = _csv(tmp_path / "b.csv", n=300, start=200, albumin_of_first=3.0)
    procs = [_spawn(tmp_path, db_url, str(p), "s", "-") for p in (a, b, a)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(out.split())
    skipped = [o[3] for o in outs]
    assert skipped.count("True") == 1  # the same file imported twice: once only
    n_rec, n_imp = _counts(db_url)
    assert (n_rec, n_imp) == (3 * 500, 2)  # 500 distinct patients x 3 tables, no duplicates
    engine = connect(db_url)
    pats = extract(engine, "s").table("patients")
    assert pats["patient_id"].is_unique and len(pats) == 500
    engine.dispose()


def test_default_url_is_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HCCSTUDY_REGISTRY_URL", raising=False)
    engine = connect()
    assert engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        conn.rollback()
    engine.dispose()
    assert (tmp_path / "hccstudy-registry.sqlite").exists()


def test_unreachable_database() -> None:
    with pytest.raises(InputError, match="cannot open the registry"):
        connect("sqlite:////nonexistent-dir/x/y.db")


def test_types_and_extra_columns_survive_the_registry(tmp_path: Path) -> None:
    engine = connect(tmp_path / "r.db")
    src = tmp_path / "c.csv"
    src.write_text("patient_id,diagnosis_date,ecog,pvi,flag,seen\nA1,2020-01-05,1,yes,x,"
                   "2020-03-01\n")
    mapping = {"columns": {"flag": "extra.flag",
                           "seen": {"to": "extra.seen_date", "kind": "date"}}}
    import_file(engine, src, mapping, study="s")
    pats = extract(engine, "s").table("patients")
    assert pats["diagnosis_date"].tolist() == [pd.Timestamp("2020-01-05")]
    assert pats["flag"].tolist() == ["x"]
    assert pats["seen_date"].tolist() == [pd.Timestamp("2020-03-01")]
    base = extract(engine, "s").table("baseline")
    assert base["ecog"].dtype == "Int64" and base["pvi"].tolist() == [True]
    deid = extract(engine, "s", salt=SALT).table("patients")
    assert (deid["seen_date"] - deid["diagnosis_date"]).iloc[0] == pd.Timedelta(days=56)
    engine.dispose()
