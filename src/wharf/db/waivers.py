"""Break-glass waivers of policy rules. Removing one deletes it; the audit log keeps the
history of who allowed what and when."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wharf.core.errors import NotFoundError
from wharf.core.models import Waiver
from wharf.db.base import StoreBase
from wharf.db.tables import policy_waivers


def _waiver_from_row(row: sa.Row[Any]) -> Waiver:
    return Waiver(
        id=row.id,
        format=row.format,
        name=row.name,
        version=row.version,
        rules=tuple(row.rules),
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


class WaiversMixin(StoreBase):
    async def add_waiver(self, waiver: Waiver) -> Waiver:
        def body(connection: sa.Connection) -> Waiver:
            result = connection.execute(
                sa.insert(policy_waivers).values(
                    format=waiver.format,
                    name=waiver.name,
                    version=waiver.version,
                    rules=list(waiver.rules),
                    reason=waiver.reason,
                    created_by=waiver.created_by,
                    created_at=waiver.created_at,
                    expires_at=waiver.expires_at,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            row = connection.execute(
                sa.select(policy_waivers).where(policy_waivers.c.id == key[0])
            ).one()
            return _waiver_from_row(row)

        return await self._write(body)

    async def remove_waiver(self, waiver_id: int) -> Waiver:
        def body(connection: sa.Connection) -> Waiver:
            row = connection.execute(
                sa.select(policy_waivers).where(policy_waivers.c.id == waiver_id)
            ).one_or_none()
            if row is None:
                raise NotFoundError(
                    f"No waiver #{waiver_id}.", hint="List them with: wharf policy waivers"
                )
            connection.execute(sa.delete(policy_waivers).where(policy_waivers.c.id == waiver_id))
            return _waiver_from_row(row)

        return await self._write(body)

    async def list_waivers(self) -> list[Waiver]:
        def body(connection: sa.Connection) -> list[Waiver]:
            rows = connection.execute(sa.select(policy_waivers).order_by(policy_waivers.c.id))
            return [_waiver_from_row(row) for row in rows]

        return await self._read(body)
