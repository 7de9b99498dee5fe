"""Per-package access rules of an index (who may read, publish, unpublish by name pattern).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indexes") as batch:
        batch.add_column(sa.Column("package_rules", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indexes") as batch:
        batch.drop_column("package_rules")
