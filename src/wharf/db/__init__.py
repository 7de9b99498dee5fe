"""The SQL metadata store: SQLite (default, one file) and PostgreSQL, with Alembic migrations.

``open_metadata_store(url)`` builds the engine, brings the schema to the newest migration and
returns a ``SqlMetadataStore`` implementing ``wharf.core.ports.MetadataStore``.
"""

from wharf.db.store import SqlMetadataStore, open_metadata_store

__all__ = ["SqlMetadataStore", "open_metadata_store"]
