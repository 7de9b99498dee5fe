"""The audit trail: who did what, with which token, from where. Append-only."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wharf.core.models import AuditEvent, Principal
from wharf.core.ports import Clock, MetadataStore

log = logging.getLogger("wharf.audit")


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request came from, as far as the web layer could tell."""

    address: str | None = None
    user_agent: str | None = None


LOCAL = Client(address="local", user_agent="wharf-cli")


class AuditService:
    def __init__(self, store: MetadataStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def record(
        self,
        action: str,
        principal: Principal,
        client: Client = LOCAL,
        *,
        index: str | None = None,
        project: str | None = None,
        version: str | None = None,
        filename: str | None = None,
        **detail: Any,
    ) -> AuditEvent:
        event = AuditEvent(
            at=self._clock.now(),
            action=action,
            actor=principal.user,
            token_id=principal.token.id if principal.token else None,
            index=index,
            project=project,
            version=version,
            filename=filename,
            address=client.address,
            user_agent=client.user_agent,
            detail=detail,
        )
        await self._store.add_audit_event(event)
        log.info(
            "%s by %s on %s %s %s %s",
            action,
            principal.user or "anonymous",
            index or "-",
            project or "-",
            version or "-",
            filename or "-",
        )
        return event

    async def query(
        self,
        *,
        action: str | None = None,
        index: str | None = None,
        project: str | None = None,
        version: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AuditEvent]:
        return await self._store.list_audit_events(
            action=action, index=index, project=project, version=version, since=since,
            limit=limit,
        )
