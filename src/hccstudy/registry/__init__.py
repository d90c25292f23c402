"""The registry database: SQLAlchemy 2 models, Alembic migrations, import, export, audit.

``connect(url)`` opens (and migrates) a SQLite file by default or PostgreSQL by URL;
``import_file`` / ``import_dataset`` import atomically, idempotently, versioned and
audited; ``extract`` / ``analysis_frame`` / ``export_parquet`` export a study (optionally
de-identified with a salt). See ``docs/data-io.md``.
"""

from hccstudy.registry.db import connect, current_revision, downgrade, make_engine, upgrade
from hccstudy.registry.export import (
    analysis_frame,
    audit_log,
    export_parquet,
    extract,
    record_history,
)
from hccstudy.registry.importer import ImportSummary, import_dataset, import_file

__all__ = ["ImportSummary", "analysis_frame", "audit_log", "connect", "current_revision", "downgrade",
           "export_parquet", "extract", "import_dataset", "import_file", "make_engine",
           "record_history", "upgrade"]
