"""Cached files that upstream stopped listing, and the administrators' pins that keep
serving them anyway."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from wharf.core.errors import NotFoundError
from wharf.core.models import Artifact
from wharf.db.base import StoreBase, bump_serial
from wharf.db.catalog import artifact_from_row, fetch_artifact
from wharf.db.tables import artifacts


class WithdrawalsMixin(StoreBase):
    async def set_withdrawn(
        self, index: str, project: str, filenames: Collection[str], at: datetime | None
    ) -> None:
        if not filenames:
            return
        names = list(filenames)

        def body(connection: sa.Connection) -> None:
            chosen = (
                artifacts.c.index_name == index,
                artifacts.c.project == project,
                artifacts.c.filename.in_(names),
            )
            if at is None:
                marked = artifacts.c.withdrawn_at.is_not(None)
            else:
                marked = artifacts.c.withdrawn_at.is_(None)
            changed = connection.execute(
                sa.update(artifacts).where(*chosen, marked).values(withdrawn_at=at)
            )
            if changed.rowcount:
                bump_serial(connection)

        await self._write(body)

    async def set_pinned(self, index: str, filename: str, pinned_by: str | None) -> Artifact:
        def body(connection: sa.Connection) -> Artifact:
            changed = connection.execute(
                sa.update(artifacts)
                .where(artifacts.c.index_name == index, artifacts.c.filename == filename)
                .values(pinned_by=pinned_by)
            )
            if changed.rowcount == 0:
                raise NotFoundError(f"No stored file '{filename}' in index '{index}'.")
            bump_serial(connection)
            found = fetch_artifact(connection, index, filename)
            assert found is not None
            return found

        return await self._write(body)

    async def list_withdrawn(self, index: str | None = None) -> list[Artifact]:
        def body(connection: sa.Connection) -> list[Artifact]:
            query = sa.select(artifacts).where(artifacts.c.withdrawn_at.is_not(None))
            if index is not None:
                query = query.where(artifacts.c.index_name == index)
            rows = connection.execute(query.order_by(artifacts.c.withdrawn_at, artifacts.c.id))
            return [artifact_from_row(row) for row in rows]

        return await self._read(body)
