"""SQLAlchemy models of the registry: import batches, versioned records, audit log.

Records are stored generically: one row per (study, table, record key, version) with the
record's values as canonical JSON and their sha256. A re-imported identical record
changes nothing; a changed record gets a new version and the old one stops being
current; every import and every change is written to the audit log (who, when, which
file hash, what changed).

Examples
--------
>>> sorted(Base.metadata.tables)
['audit_log', 'import_batches', 'records']
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["AuditEntry", "Base", "ImportBatch", "Record"]


class Base(DeclarativeBase):
    """Declarative base of the registry schema."""


class ImportBatch(Base):
    """One committed import of one file (or folder) into one study."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("study", "sha256", name="uq_import_study_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study: Mapped[str] = mapped_column(String(100), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    imported_by: Mapped[str] = mapped_column(String(100), nullable=False)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    n_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    n_inserted: Mapped[int] = mapped_column(Integer, nullable=False)
    n_updated: Mapped[int] = mapped_column(Integer, nullable=False)
    n_unchanged: Mapped[int] = mapped_column(Integer, nullable=False)


class Record(Base):
    """One version of one record of a data-model table."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("study", "table_name", "record_key", "version",
                         name="uq_record_version"),
        Index("ix_records_current", "study", "table_name", "is_current"),
        Index("ix_records_patient", "study", "patient_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study: Mapped[str] = mapped_column(String(100), nullable=False)
    table_name: Mapped[str] = mapped_column(String(40), nullable=False)
    record_key: Mapped[str] = mapped_column(String(400), nullable=False)
    patient_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    import_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), nullable=False)
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"),
                                                      nullable=True)


class AuditEntry(Base):
    """Who did what, when, from which file hash; ``details`` is JSON (changed fields)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    study: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), nullable=True)
    table_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    record_key: Mapped[str | None] = mapped_column(String(400), nullable=True)
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
