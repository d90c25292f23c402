"""Initial registry schema: import batches, versioned records, audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("study", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("n_inserted", sa.Integer(), nullable=False),
        sa.Column("n_updated", sa.Integer(), nullable=False),
        sa.Column("n_unchanged", sa.Integer(), nullable=False),
        sa.UniqueConstraint("study", "sha256", name="uq_import_study_sha256"),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("study", sa.String(100), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("record_key", sa.String(400), nullable=False),
        sa.Column("patient_id", sa.String(200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batches.id"), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), sa.ForeignKey("import_batches.id"),
                  nullable=True),
        sa.UniqueConstraint("study", "table_name", "record_key", "version",
                            name="uq_record_version"),
    )
    op.create_index("ix_records_current", "records", ["study", "table_name", "is_current"])
    op.create_index("ix_records_patient", "records", ["study", "patient_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("study", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batches.id"), nullable=True),
        sa.Column("table_name", sa.String(40), nullable=True),
        sa.Column("record_key", sa.String(400), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("audit_log")
    op.drop_index("ix_records_patient", table_name="records")
    op.drop_index("ix_records_current", table_name="records")
    op.drop_table("records")
    op.drop_table("import_batches")
