"""Alembic environment of the registry (run by :func:`hccstudy.registry.db.upgrade`).

The caller passes an open connection in ``config.attributes["connection"]``; migrations run
inside the caller's transaction (which holds the database write lock).
"""

from __future__ import annotations

from alembic import context

from hccstudy.registry.models import Base


def _in_alembic() -> bool:
    try:
        context.config  # noqa: B018 - unset outside an Alembic run
    except (NameError, AttributeError):
        return False
    return True


def run_migrations() -> None:
    """Run the migrations on the connection the caller provided."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if _in_alembic():  # importing this module (e.g. for doctests) does nothing
    run_migrations()
