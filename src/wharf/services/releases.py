"""Yanking, un-yanking and deleting releases and projects: permissioned and audited."""

from __future__ import annotations

from collections.abc import Mapping

from wharf.core.errors import InvalidRequestError, NotFoundError
from wharf.core.models import Action, Artifact, IndexKind, Principal, Release
from wharf.core.ports import ChangeStamps, MetadataStore
from wharf.formats.base import Format
from wharf.services.access import require
from wharf.services.auditing import LOCAL, AuditService, Client
from wharf.services.indexes import IndexService
from wharf.services.stamping import touch_project


class ReleaseService:
    def __init__(
        self,
        store: MetadataStore,
        stamps: ChangeStamps,
        indexes: IndexService,
        formats: Mapping[str, Format],
        audit: AuditService,
    ) -> None:
        self._store = store
        self._stamps = stamps
        self._indexes = indexes
        self._formats = formats
        self._audit = audit

    async def _target(self, index_name: str, project: str, principal: Principal) -> tuple[str, str]:
        index = await self._indexes.get(index_name)
        if index.kind is not IndexKind.HOSTED:
            raise InvalidRequestError(
                f"Index '{index.name}' is a {index.kind} index; releases are managed in the "
                "hosted index that holds them.",
                hint="Name the hosted index (for the defaults: pypi-local).",
            )
        require(principal, Action.ADMIN, index)
        return index.name, self._formats[index.format].normalize(project)

    async def yank(
        self,
        index_name: str,
        project: str,
        version: str,
        principal: Principal,
        *,
        reason: str = "",
        yanked: bool = True,
        client: Client = LOCAL,
    ) -> Release:
        index, name = await self._target(index_name, project, principal)
        release = await self._store.set_yanked(index, name, version, yanked, reason)
        touch_project(self._stamps, index, name)
        await self._audit.record(
            "release.yank" if yanked else "release.unyank", principal, client,
            index=index, project=name, version=version, reason=reason,
        )
        return release

    async def delete_release(
        self, index_name: str, project: str, version: str, principal: Principal,
        client: Client = LOCAL,
    ) -> list[Artifact]:
        index, name = await self._target(index_name, project, principal)
        removed = await self._store.delete_release(index, name, version)
        touch_project(self._stamps, index, name)
        await self._audit.record(
            "release.delete", principal, client, index=index, project=name, version=version,
            files=[a.filename for a in removed],
        )
        return removed

    async def delete_project(
        self, index_name: str, project: str, principal: Principal, client: Client = LOCAL
    ) -> list[Artifact]:
        index, name = await self._target(index_name, project, principal)
        if await self._store.get_project(index, name) is None:
            raise NotFoundError(f"No project '{name}' in index '{index}'.")
        removed = await self._store.delete_project(index, name)
        touch_project(self._stamps, index, name)
        await self._audit.record(
            "project.delete", principal, client, index=index, project=name,
            files=[a.filename for a in removed],
        )
        return removed
