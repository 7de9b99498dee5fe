"""The audit trail: who did what, with which token, from where. Append-only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
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


COUNT = "count"
"""Detail key of an event that stands for several identical ones (see ``note``)."""


class AuditService:
    """``record`` writes an event before it returns (admin actions, publishes). ``note``
    buffers one (downloads and policy decisions, many per second under load) once the
    server has started ``run_flusher``: a batch costs one transaction instead of one per
    request. Until then (the CLI) ``note`` writes at once too.

    Identical events without detail that arrive within one batch (the same file pulled by
    the same caller from the same address and client, as a CI farm or a load test does
    many times a second) are written as one, the first, with ``detail["count"]`` saying
    how many it stands for: the trail still answers who pulled what, when (to the second)
    and how often, at one row per caller and file per second instead of one per request.
    """

    def __init__(self, store: MetadataStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._pending: list[AuditEvent] = []
        self._repeats: dict[tuple[str | None, ...], int] = {}
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

    def recurring(
        self, action: str, principal: Principal, *, index: str, project: str,
        version: str | None, filename: str,
    ) -> Callable[[Client | None], Awaitable[None]]:
        """A ``note`` for one event that recurs from many callers (a replayed download):
        a repeat within the batch is counted from what is known before it comes (a
        dictionary lookup), not built as an event first."""
        actor = principal.user
        token_id = principal.token.id if principal.token else None

        async def note(client: Client | None) -> None:
            client = client or LOCAL
            same = (action, actor, token_id, index, project, version, filename,
                    client.address, client.user_agent)  # as ``_sameness`` puts it
            count = self._repeats.get(same)
            if count is not None:
                self._repeats[same] = count + 1
                return
            await self.note(self.event(action, principal, client, index=index,
                                       project=project, version=version, filename=filename))

        return note

    async def note(self, event: AuditEvent) -> None:
        """Buffer ``event`` (built with ``event``); see the class docstring."""
        if not event.detail:
            same = _sameness(event)
            if same in self._repeats:
                self._repeats[same] += 1
                return
            self._repeats[same] = 1
        self._pending.append(event)
        if not self._buffered or len(self._pending) >= FLUSH_EVENTS:
            await self.flush()

    async def flush(self) -> None:
        """Write every buffered event (one transaction)."""
        events, self._pending = self._pending, []
        repeats, self._repeats = self._repeats, {}
        if events:
            events = [_counted(e, repeats) for e in events]
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


def _sameness(event: AuditEvent) -> tuple[str | None, ...]:
    """What a repeat of ``event`` has in common with it: everything but the time."""
    return (event.action, event.actor, event.token_id, event.index, event.project,
            event.version, event.filename, event.address, event.user_agent)


def _counted(event: AuditEvent, repeats: dict[tuple[str | None, ...], int]) -> AuditEvent:
    if event.detail:
        return event
    count = repeats.get(_sameness(event), 1)
    return event if count == 1 else replace(event, detail={COUNT: count})
