"""The audit trail: who did what, with which token, from where. Append-only."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio

from wharf.core.models import AuditEvent, Principal
from wharf.core.ports import Clock, MetadataStore

log = logging.getLogger("wharf.audit")


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request came from, as far as the web layer could tell."""

    address: str | None = None
    user_agent: str | None = None


LOCAL = Client(address="local", user_agent="wharf-cli")


FLUSH_SECONDS = 1.0
"""How long a buffered event may wait before it is written (the download trail)."""
FLUSH_EVENTS = 500
"""A buffer this full is written at once."""


class AuditService:
    """``record`` writes an event before it returns (admin actions, publishes). ``note``
    buffers one (downloads and policy decisions, many per second under load) once the
    server has started ``run_flusher``: a batch costs one transaction instead of one per
    request. Until then (the CLI) ``note`` writes at once too."""

    def __init__(self, store: MetadataStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._pending: list[AuditEvent] = []
        self._buffered = False

    def event(
        self,
        action: str,
        principal: Principal,
        client: Client | None,
        *,
        index: str | None = None,
        project: str | None = None,
        version: str | None = None,
        filename: str | None = None,
        **detail: Any,
    ) -> AuditEvent:
        client = client or LOCAL
        return AuditEvent(
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

    async def note(self, event: AuditEvent) -> None:
        """Buffer ``event`` (built with ``event``); see the class docstring."""
        self._pending.append(event)
        if not self._buffered or len(self._pending) >= FLUSH_EVENTS:
            await self.flush()

    async def flush(self) -> None:
        """Write every buffered event (one transaction)."""
        events, self._pending = self._pending, []
        if events:
            try:
                await self._store.add_audit_events(events)
            except Exception:
                log.exception("Could not write %d audit events", len(events))

    async def run_flusher(self) -> None:
        """Write buffered events every ``FLUSH_SECONDS`` until cancelled (then once more)."""
        self._buffered = True
        try:
            while True:
                await anyio.sleep(FLUSH_SECONDS)
                await self.flush()
        finally:
            self._buffered = False
            with anyio.CancelScope(shield=True):
                await self.flush()

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
        event = self.event(action, principal, client, index=index, project=project,
                           version=version, filename=filename, **detail)
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
        actor: str | None = None,
    ) -> list[AuditEvent]:
        await self.flush()
        return await self._store.list_audit_events(
            action=action, index=index, project=project, version=version, since=since,
            limit=limit, actor=actor,
        )
