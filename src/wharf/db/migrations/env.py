"""Alembic environment: only programmatic, online use through ``wharf.db.migrate``."""

from __future__ import annotations

from alembic import context

from wharf.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Wharf migrations run through wharf.db.migrate.upgrade(engine), which passes a "
        "connection; there is no alembic.ini and no offline (SQL script) mode."
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
