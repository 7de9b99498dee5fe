"""Schema migrations, run programmatically from the ``migrations`` folder in this package.

Several worker processes may start at once, so ``upgrade`` runs every pending migration in a
single transaction that first takes a database-wide lock: ``BEGIN IMMEDIATE`` on SQLite (the
write lock), a transaction-scoped advisory lock on PostgreSQL. Both databases have
transactional DDL, so a crash leaves the schema at the old revision, and a process that waited
for the lock finds the schema already current and does nothing.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from wharf.db.engine import WRITE

MIGRATIONS = Path(__file__).with_name("migrations")

# Arbitrary but fixed: the key of the PostgreSQL advisory lock held while migrating.
_ADVISORY_LOCK_KEY = 0x5748_4152_465F_4442  # "WHARF_DB"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration without any ini file; ``env.py`` uses ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``. Safe to call repeatedly and concurrently."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
                )
            command.upgrade(alembic_config(connection), revision)
