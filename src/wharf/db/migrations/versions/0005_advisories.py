"""Vulnerability and malware records imported from OSV dumps (``wharf vuln import``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advisories",
        sa.Column("id", sa.String, nullable=False),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("severity", sa.String, nullable=False),
        sa.Column("malware", sa.Boolean, nullable=False),
        sa.Column("withdrawn", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("ranges", sa.JSON, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", "format", "name", name="pk_advisories"),
    )
    op.create_index("ix_advisories_format_name", "advisories", ["format", "name"])


def downgrade() -> None:
    op.drop_index("ix_advisories_format_name", table_name="advisories")
    op.drop_table("advisories")
