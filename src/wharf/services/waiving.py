"""Break-glass waivers (``wharf policy allow``): an administrator lets one name, or one
version of it, through some rules (or all) until a time. Every waiver names who granted it
and why, and both granting and revoking are audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from wharf.core.errors import InvalidRequestError
from wharf.core.models import Principal, Waiver
from wharf.core.ports import Clock, MetadataStore
from wharf.formats.base import Format
from wharf.services.access import require_admin
from wharf.services.auditing import LOCAL, AuditService, Client
from wharf.services.policing import PolicyService


class WaiverService:
    def __init__(
        self,
        store: MetadataStore,
        policy: PolicyService,
        formats: Mapping[str, Format],
        audit: AuditService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._policy = policy
        self._formats = formats
        self._audit = audit
        self._clock = clock

    async def allow(
        self,
        principal: Principal,
        fmt: str,
        name: str,
        version: str | None,
        *,
        rules: Sequence[str] = (),
        expires_at: datetime | None,
        reason: str,
        client: Client = LOCAL,
    ) -> Waiver:
        require_admin(principal)
        if fmt not in self._formats:
            raise InvalidRequestError(
                f"No format '{fmt}'.", hint=f"Use one of: {', '.join(sorted(self._formats))}.")
        if not reason.strip():
            raise InvalidRequestError(
                "A waiver needs a reason.", hint="Say why with --reason '...'; it is audited.")
        now = self._clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidRequestError(
                f"The expiry {expires_at.isoformat(timespec='minutes')} is in the past.",
                hint="Give a later --until, or a duration with --for (e.g. 7d).")
        waiver = await self._store.add_waiver(Waiver(
            format=fmt,
            name=self._formats[fmt].normalize(name),
            version=version,
            rules=tuple(rules),
            reason=reason.strip(),
            created_by=principal.user or "",
            created_at=now,
            expires_at=expires_at,
        ))
        self._policy.changed()
        await self._audit.record(
            "policy.waiver.add", principal, client, project=waiver.name, version=version,
            waiver=waiver.id, format=fmt, rules=list(waiver.rules), reason=waiver.reason,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
        return waiver

    async def revoke(self, principal: Principal, waiver_id: int,
                     client: Client = LOCAL) -> Waiver:
        require_admin(principal)
        waiver = await self._store.remove_waiver(waiver_id)
        self._policy.changed()
        await self._audit.record(
            "policy.waiver.remove", principal, client, project=waiver.name,
            version=waiver.version, waiver=waiver.id, format=waiver.format,
        )
        return waiver

    async def list(self, principal: Principal, *, active_only: bool = False) -> list[Waiver]:
        require_admin(principal)
        now = self._clock.now()
        return [w for w in await self._store.list_waivers()
                if not active_only or w.expires_at is None or w.expires_at > now]
