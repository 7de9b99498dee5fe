"""Initial schema: indexes, catalogue, reserved filenames, upstream cache, accounts, audit.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Hand-written and portable across SQLite and PostgreSQL. Constraint names follow the naming
convention of ``wharf.db.tables.metadata``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _index_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["index_name"], ["indexes.name"], name=f"fk_{table}_index_name_indexes"
    )


def upgrade() -> None:
    serial = op.create_table(
        "change_serial",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_serial"),
    )
    op.bulk_insert(serial, [{"id": 1, "value": 0}])

    op.create_table(
        "indexes",
        sa.Column("name", sa.String, nullable=False),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("upstream", sa.Text, nullable=True),
        sa.Column("members", sa.JSON, nullable=False),
        sa.Column("trust_upstream", sa.JSON, nullable=False),
        sa.Column("acl_read", sa.JSON, nullable=False),
        sa.Column("acl_upload", sa.JSON, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("name", name="pk_indexes"),
    )

    op.create_table(
        "projects",
        sa.Column("index_name", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("display_name", sa.String, nullable=False),
        _when("created_at"),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("status_reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("index_name", "name", name="pk_projects"),
        _index_fk("projects"),
    )

    op.create_table(
        "releases",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("index_name", sa.String, nullable=False),
        sa.Column("project", sa.String, nullable=False),
        sa.Column("version", sa.String, nullable=False),
        _when("created_at"),
        sa.Column("yanked", sa.Boolean, nullable=False),
        sa.Column("yanked_reason", sa.Text, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_releases"),
        sa.UniqueConstraint(
            "index_name", "project", "version", name="uq_releases_index_name_project_version"
        ),
        sa.ForeignKeyConstraint(
            ["index_name", "project"],
            ["projects.index_name", "projects.name"],
            name="fk_releases_index_name_project_projects",
        ),
    )

    op.create_table(
        "artifacts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("index_name", sa.String, nullable=False),
        sa.Column("project", sa.String, nullable=False),
        sa.Column("version", sa.String, nullable=False),
        sa.Column("filename", sa.String, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        _when("uploaded_at"),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("digests", sa.JSON, nullable=False),
        sa.Column("metadata_sha256", sa.String, nullable=True),
        sa.Column("attrs", sa.JSON, nullable=False),
        sa.Column("origin", sa.String, nullable=False),
        sa.Column("uploader", sa.String, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
        sa.UniqueConstraint("index_name", "filename", name="uq_artifacts_index_name_filename"),
        sa.ForeignKeyConstraint(
            ["index_name", "project", "version"],
            ["releases.index_name", "releases.project", "releases.version"],
            name="fk_artifacts_index_name_project_version_releases",
        ),
    )
    op.create_index("ix_artifacts_release", "artifacts", ["index_name", "project", "version"])

    op.create_table(
        "reserved_filenames",
        sa.Column("index_name", sa.String, nullable=False),
        sa.Column("filename", sa.String, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.PrimaryKeyConstraint("index_name", "filename", name="pk_reserved_filenames"),
        _index_fk("reserved_filenames"),
    )

    op.create_table(
        "upstream_documents",
        sa.Column("index_name", sa.String, nullable=False),
        sa.Column("project", sa.String, nullable=False),
        _when("fetched_at"),
        sa.Column("found", sa.Boolean, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("etag", sa.Text, nullable=True),
        sa.Column("last_modified", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("index_name", "project", name="pk_upstream_documents"),
        _index_fk("upstream_documents"),
    )

    op.create_table(
        "users",
        sa.Column("name", sa.String, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("name", name="pk_users"),
    )

    op.create_table(
        "tokens",
        sa.Column("id", sa.String, nullable=False),
        sa.Column("user_name", sa.String, nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("indexes", sa.JSON, nullable=False),
        _when("expires_at", nullable=True),
        _when("created_at"),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        _when("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
    )
    op.create_index("ix_tokens_user_name", "tokens", ["user_name"])

    op.create_table(
        "audit_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _when("at"),
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
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_project", "audit_events", ["index_name", "project"])


def downgrade() -> None:
    for table in (
        "audit_events",
        "tokens",
        "users",
        "upstream_documents",
        "reserved_filenames",
        "artifacts",
        "releases",
        "projects",
        "indexes",
        "change_serial",
    ):
        op.drop_table(table)
