"""Schema migrations, run programmatically from the ``migrations`` folder in this package.

Several worker processes may start at once, so ``upgrade`` runs every pending migration in a
single transaction that first takes a database-wide lock: ``BEGIN IMMEDIATE`` on SQLite (the
write lock), a transaction-scoped advisory lock on PostgreSQL. Both databases have
transactional DDL, so a crash leaves the schema at the old revision, and a process that waited
for the lock finds the schema already current and does nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from wharf.db.engine import WRITE

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

HEAD = "0006"
"""The newest revision in ``migrations/versions`` (a test keeps the two in step). A server
worker whose database is already there asks only this, with one query: Alembic itself
(about 10 MB per process) is imported when there is something to migrate."""

# Arbitrary but fixed: the key of the PostgreSQL advisory lock held while migrating.
_ADVISORY_LOCK_KEY = 0x5748_4152_465F_4442  # "WHARF_DB"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration without any ini file; ``env.py`` uses ``connection``."""
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: sa.Engine) -> bool:
    """Whether the schema is at ``HEAD`` (one query; no Alembic)."""
    try:
        with engine.connect() as connection:
            found = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in found] == [HEAD]
    except sa.exc.DBAPIError:  # no version table yet: an empty database
        return False


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``. Safe to call repeatedly and concurrently."""
    from alembic import command  # noqa: PLC0415

    with engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
                )
            command.upgrade(alembic_config(connection), revision)
