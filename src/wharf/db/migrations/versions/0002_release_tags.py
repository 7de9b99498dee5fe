"""Release tags: named pointers to a release (npm dist-tags).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "release_tags",
        sa.Column("index_name", sa.String, nullable=False),
        sa.Column("project", sa.String, nullable=False),
        sa.Column("tag", sa.String, nullable=False),
        sa.Column("version", sa.String, nullable=False),
        sa.PrimaryKeyConstraint("index_name", "project", "tag", name="pk_release_tags"),
        sa.ForeignKeyConstraint(
            ["index_name", "project"],
            ["projects.index_name", "projects.name"],
            name="fk_release_tags_index_name_project_projects",
        ),
    )


def downgrade() -> None:
    op.drop_table("release_tags")
