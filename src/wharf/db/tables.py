"""The schema as SQLAlchemy Core tables. Migrations create it; the store queries it.

Keys are natural (index name, project name, version, filename) so rows map to the models
without joins. Foreign keys have no ``ON DELETE CASCADE`` on purpose: the store deletes
children itself and reports what it deleted, and a row a concurrent transaction adds under a
parent being deleted makes the delete fail (and start over) instead of vanishing unreported.

Keep this file and ``migrations/versions`` in step: a test compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# Every constraint gets a predictable name, so later migrations (SQLite batch mode too) can
# drop or alter it by name on both backends.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY, so big keys fall back to INTEGER there.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no offset, so values are converted to UTC before they are written (which
    also keeps its text comparisons right) and tagged UTC when read back.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _index_fk() -> sa.ForeignKey:
    return sa.ForeignKey("indexes.name")


change_serial = sa.Table(
    "change_serial",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)

indexes = sa.Table(
    "indexes",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("format", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("upstream", sa.Text, nullable=True),
    sa.Column("members", sa.JSON, nullable=False),
    sa.Column("trust_upstream", sa.JSON, nullable=False),
    sa.Column("acl_read", sa.JSON, nullable=False),
    sa.Column("acl_upload", sa.JSON, nullable=False),
    sa.Column("package_rules", sa.JSON, nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("index_name", sa.String, _index_fk(), primary_key=True),
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("display_name", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("status_reason", sa.Text, nullable=False),
)

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("index_name", sa.String, nullable=False),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("yanked", sa.Boolean, nullable=False),
    sa.Column("yanked_reason", sa.Text, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.UniqueConstraint("index_name", "project", "version"),
    sa.ForeignKeyConstraint(
        ["index_name", "project"],
        ["projects.index_name", "projects.name"],
    ),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("index_name", sa.String, nullable=False),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=False),
    sa.Column("filename", sa.String, nullable=False),
    sa.Column("sha256", sa.String, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("uploaded_at", UtcDateTime, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("digests", sa.JSON, nullable=False),
    sa.Column("metadata_sha256", sa.String, nullable=True),
    sa.Column("attrs", sa.JSON, nullable=False),
    sa.Column("origin", sa.String, nullable=False),
    sa.Column("uploader", sa.String, nullable=True),
    sa.Column("withdrawn_at", UtcDateTime, nullable=True),
    sa.Column("pinned_by", sa.String, nullable=True),
    sa.UniqueConstraint("index_name", "filename"),
    sa.ForeignKeyConstraint(
        ["index_name", "project", "version"],
        ["releases.index_name", "releases.project", "releases.version"],
    ),
    sa.Index("ix_artifacts_release", "index_name", "project", "version"),
)

# Named pointers to a release of a project (npm dist-tags such as ``latest``). One row per
# tag, so concurrent writers of different tags (or of versions) never overwrite each other.
release_tags = sa.Table(
    "release_tags",
    metadata,
    sa.Column("index_name", sa.String, primary_key=True),
    sa.Column("project", sa.String, primary_key=True),
    sa.Column("tag", sa.String, primary_key=True),
    sa.Column("version", sa.String, nullable=False),
    sa.ForeignKeyConstraint(
        ["index_name", "project"],
        ["projects.index_name", "projects.name"],
    ),
)

# Every filename ever stored in an index, with its bytes' digest. Never deleted with the
# artifact: a published filename is never reused for other bytes (only with its index).
reserved_filenames = sa.Table(
    "reserved_filenames",
    metadata,
    sa.Column("index_name", sa.String, _index_fk(), primary_key=True),
    sa.Column("filename", sa.String, primary_key=True),
    sa.Column("sha256", sa.String, nullable=False),
)

upstream_documents = sa.Table(
    "upstream_documents",
    metadata,
    sa.Column("index_name", sa.String, _index_fk(), primary_key=True),
    sa.Column("project", sa.String, primary_key=True),
    sa.Column("fetched_at", UtcDateTime, nullable=False),
    sa.Column("found", sa.Boolean, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("etag", sa.Text, nullable=True),
    sa.Column("last_modified", sa.Text, nullable=True),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# No foreign key to users: a deleted user's tokens stay, revoked, for the audit trail.
tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("user_name", sa.String, nullable=False),
    sa.Column("secret_hash", sa.Text, nullable=False),
    sa.Column("actions", sa.JSON, nullable=False),
    sa.Column("indexes", sa.JSON, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
    sa.Column("last_used_at", UtcDateTime, nullable=True),
    sa.Index("ix_tokens_user_name", "user_name"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("actor", sa.String, nullable=True),
    sa.Column("token_id", sa.String, nullable=True),
    sa.Column("index_name", sa.String, nullable=True),
    sa.Column("project", sa.String, nullable=True),
    sa.Column("version", sa.String, nullable=True),
    sa.Column("filename", sa.String, nullable=True),
    sa.Column("address", sa.String, nullable=True),
    sa.Column("user_agent", sa.Text, nullable=True),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_audit_events_at", "at"),
    sa.Index("ix_audit_events_action", "action"),
    sa.Index("ix_audit_events_project", "index_name", "project"),
)

policy_waivers = sa.Table(
    "policy_waivers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("format", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=True),
    sa.Column("rules", sa.JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=True),
    sa.Index("ix_policy_waivers_name", "format", "name"),
)

# Vulnerability and malware records (OSV), one row per record and affected package. ``ranges``
# holds what decides which versions are affected (ranges, explicit versions, aliases, url);
# ``record`` the OSV record as imported, served again by the OSV API.
advisories = sa.Table(
    "advisories",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("format", sa.String, primary_key=True),
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("severity", sa.String, nullable=False),
    sa.Column("malware", sa.Boolean, nullable=False),
    sa.Column("withdrawn", UtcDateTime, nullable=True),
    sa.Column("modified", UtcDateTime, nullable=True),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("ranges", sa.JSON, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Index("ix_advisories_format_name", "format", "name"),
)
