"""Administrators' pins on cached files that upstream withdrew: a pinned file is served
again (lockfile installs keep working while a replacement is found). Audited."""

from __future__ import annotations

from wharf.core.errors import InvalidRequestError
from wharf.core.models import Artifact, IndexKind, Principal
from wharf.core.ports import ChangeStamps, MetadataStore
from wharf.services.access import require_admin
from wharf.services.auditing import LOCAL, AuditService, Client
from wharf.services.indexes import IndexService
from wharf.services.stamping import touch_files


class PinService:
    def __init__(
        self,
        store: MetadataStore,
        stamps: ChangeStamps,
        indexes: IndexService,
        audit: AuditService,
    ) -> None:
        self._store = store
        self._stamps = stamps
        self._indexes = indexes
        self._audit = audit

    async def pin(
        self,
        index_name: str,
        filename: str,
        principal: Principal,
        *,
        pinned: bool = True,
        reason: str = "",
        client: Client = LOCAL,
    ) -> Artifact:
        """Allow (or with ``pinned=False`` stop allowing) a withdrawn cached file."""
        require_admin(principal)
        index = await self._indexes.get(index_name)
        if index.kind is not IndexKind.PROXY:
            raise InvalidRequestError(
                f"Index '{index.name}' is a {index.kind} index; pins apply to files cached "
                "by a proxy index.",
                hint="Name the proxy index that cached the file (see: wharf withdrawn).",
            )
        artifact = await self._store.set_pinned(
            index.name, filename, (principal.user or "admin") if pinned else None
        )
        touch_files(self._stamps, index.name, artifact.project)
        await self._audit.record(
            "file.pin" if pinned else "file.unpin", principal, client, index=index.name,
            project=artifact.project, version=artifact.version, filename=filename,
            reason=reason,
        )
        return artifact

    async def withdrawn(
        self, principal: Principal, index_name: str | None = None
    ) -> list[Artifact]:
        """Cached files upstream withdrew, pinned or not."""
        require_admin(principal)
        if index_name is not None:
            await self._indexes.get(index_name)
        return await self._store.list_withdrawn(index_name)
