"""Registry connections: SQLite file by default (WAL, write lock per transaction,
retries), PostgreSQL by URL; schema migrations with Alembic.

Examples
--------
>>> import pathlib, tempfile
>>> engine = connect(pathlib.Path(tempfile.mkdtemp()) / "registry.db")
>>> current_revision(engine)
'0001'
>>> engine.dispose()
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from hccstudy.errors import InputError

__all__ = ["DEFAULT_URL", "connect", "current_revision", "downgrade", "make_engine",
           "run_in_transaction", "upgrade"]

DEFAULT_URL = "sqlite:///hccstudy-registry.sqlite"
"""Used when no URL is given (a SQLite file in the working directory); the environment
variable ``HCCSTUDY_REGISTRY_URL`` overrides it."""

MIGRATIONS = Path(__file__).with_name("migrations")

T = TypeVar("T")
_WRITE = "hccstudy_write"


def _url(url: str | Path | None) -> str:
    if url is None:
        return os.environ.get("HCCSTUDY_REGISTRY_URL", DEFAULT_URL)
    s = str(url)
    if "://" not in s:
        return f"sqlite:///{Path(s)}"
    if s.startswith("postgresql://"):
        return "postgresql+psycopg://" + s[len("postgresql://"):]
    return s


def make_engine(url: str | Path | None = None, busy_timeout_s: float = 60.0) -> Engine:
    """An engine for ``url`` (a SQLAlchemy URL or a SQLite file path) without migrating.

    SQLite connections use WAL journaling and ``busy_timeout``; transactions run by
    :func:`run_in_transaction` start with ``BEGIN IMMEDIATE`` (they take the write lock at
    their start, so concurrent importers queue instead of failing half-way), other
    transactions are plain reads of a WAL snapshot.
    """
    u = _url(url)
    if u.startswith("sqlite"):
        engine = create_engine(u, connect_args={"timeout": busy_timeout_s})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # writers take the lock up front; readers see a snapshot without blocking
            write = conn.get_execution_options().get(_WRITE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(u, pool_pre_ping=True)


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True  # a concurrent importer committed the same key first: re-read and retry
    msg = str(exc).lower()
    return isinstance(exc, OperationalError) and any(
        s in msg for s in ("locked", "busy", "deadlock", "could not serialize"))


def run_in_transaction(engine: Engine, work: Callable[[Connection], T], retries: int = 8) -> T:
    """Run ``work(conn)`` in one transaction; retry on lock, deadlock or key races.

    Everything ``work`` writes is committed together or not at all.
    """
    delay = 0.05
    for attempt in range(retries + 1):
        try:
            with engine.connect() as conn:
                conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    if engine.dialect.name == "postgresql":
                        # one importer at a time per database: no lost or duplicated versions
                        conn.execute(text("SELECT pg_advisory_xact_lock(874215)"))
                    return work(conn)
        except (OperationalError, IntegrityError) as exc:
            if attempt == retries or not _retryable(exc):
                raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")  # pragma: no cover


def _migrate(engine: Engine, revision: str, direction: str) -> None:
    from alembic import command
    from alembic.config import Config

    def work(conn: Connection) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        if direction == "up":
            command.upgrade(cfg, revision)
        else:
            command.downgrade(cfg, revision)

    run_in_transaction(engine, work)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision`` (idempotent, safe to run concurrently)."""
    _migrate(engine, revision, "up")


def downgrade(engine: Engine, revision: str) -> None:
    """Revert the migrations down to ``revision`` (``"base"``: an empty database)."""
    _migrate(engine, revision, "down")


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None when not migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
        return rev


def connect(url: str | Path | None = None) -> Engine:
    """Open the registry at ``url`` (SQLite file path or SQLAlchemy URL) and migrate it.

    Raises
    ------
    hccstudy.errors.InputError
        When the database cannot be reached (rule ``registry reachable``).
    """
    engine = make_engine(url)
    try:
        upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        raise InputError(f"cannot open the registry database ({type(exc.orig).__name__})",
                         rule="registry reachable") from None
    return engine
