"""The append-only audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from wharf.core.models import AuditEvent
from wharf.db.base import StoreBase
from wharf.db.tables import audit_events


def _row_from_event(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "action": event.action,
        "actor": event.actor,
        "token_id": event.token_id,
        "index_name": event.index,
        "project": event.project,
        "version": event.version,
        "filename": event.filename,
        "address": event.address,
        "user_agent": event.user_agent,
        "detail": dict(event.detail),
    }


def _event_from_row(row: sa.Row[Any]) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        action=row.action,
        actor=row.actor,
        token_id=row.token_id,
        index=row.index_name,
        project=row.project,
        version=row.version,
        filename=row.filename,
        address=row.address,
        user_agent=row.user_agent,
        detail=dict(row.detail),
    )


class AuditMixin(StoreBase):
    async def add_audit_event(self, event: AuditEvent) -> None:
        await self.add_audit_events([event])

    async def add_audit_events(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        rows = [_row_from_event(event) for event in events]

        def body(connection: sa.Connection) -> None:
            connection.execute(sa.insert(audit_events), rows)

        await self._write(body)

    async def list_audit_events(
        self,
        *,
        action: str | None = None,
        index: str | None = None,
        project: str | None = None,
        version: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
        actor: str | None = None,
    ) -> list[AuditEvent]:
        conditions: list[sa.ColumnElement[bool]] = []
        if action is not None:
            # A dotted prefix, compared case-sensitively on both backends (unlike LIKE).
            prefix = action.rstrip(".") + "."
            conditions.append(
                sa.or_(
                    audit_events.c.action == action,
                    sa.func.substr(audit_events.c.action, 1, len(prefix)) == prefix,
                )
            )
        if index is not None:
            conditions.append(audit_events.c.index_name == index)
        if project is not None:
            conditions.append(audit_events.c.project == project)
        if version is not None:
            conditions.append(audit_events.c.version == version)
        if since is not None:
            conditions.append(audit_events.c.at >= since)
        if actor is not None:
            conditions.append(audit_events.c.actor == actor)

        def body(connection: sa.Connection) -> list[AuditEvent]:
            rows = connection.execute(
                sa.select(audit_events)
                .where(*conditions)
                .order_by(audit_events.c.at.desc(), audit_events.c.id.desc())
                .limit(max(limit, 0))
            )
            return [_event_from_row(row) for row in rows]

        return await self._read(body)
