"""Changes publishers make to what they published, from their own clients: release tags
(npm dist-tags), release notes such as deprecations, and withdrawing (unpublishing) their
own releases. Writes sent to a group land in its first hosted member, like uploads.

Publishers need the upload right on the hosted index. Withdrawing a release also needs to be
the one who uploaded every file of it, or an administrator: a teammate's release is not
yours to pull (``wharf release delete`` remains the administrator's tool).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wharf.core.errors import ForbiddenError, NotFoundError
from wharf.core.models import Action, Artifact, Index, Principal
from wharf.core.ports import ChangeStamps, MetadataStore
from wharf.formats.base import Format
from wharf.services.access import may_unpublish, permits, require
from wharf.services.auditing import AuditService, Client
from wharf.services.indexes import IndexService
from wharf.services.stamping import touch_project


class RevisionService:
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

    async def _target(self, index: Index, project: str, principal: Principal) -> tuple[str, str]:
        hosted = await self._indexes.hosted_target(index)
        name = self._formats[hosted.format].normalize(project)
        require(principal, Action.UPLOAD, hosted, name, await self._indexes.package_rules(index))
        if await self._store.get_project(hosted.name, name) is None:
            raise NotFoundError(
                f"No package '{name}' in '{hosted.name}'.",
                hint="Only packages published to this registry can be changed here.",
            )
        return hosted.name, name

    async def set_tag(
        self, index: Index, project: str, tag: str, version: str, principal: Principal,
        client: Client,
    ) -> None:
        hosted, name = await self._target(index, project, principal)
        await self._store.set_tag(hosted, name, tag, version)
        touch_project(self._stamps, hosted, name)
        await self._audit.record(
            "tag.set", principal, client, index=hosted, project=name, version=version, tag=tag
        )

    async def delete_tag(
        self, index: Index, project: str, tag: str, principal: Principal, client: Client
    ) -> None:
        hosted, name = await self._target(index, project, principal)
        await self._store.delete_tag(hosted, name, tag)
        touch_project(self._stamps, hosted, name)
        await self._audit.record("tag.delete", principal, client, index=hosted, project=name,
                                 tag=tag)

    async def annotate(
        self, index: Index, project: str, changes: Mapping[str, Mapping[str, Any]],
        principal: Principal, client: Client,
    ) -> None:
        """Merge per-version metadata changes (``{version: {"deprecated": "…"}}``)."""
        hosted, name = await self._target(index, project, principal)
        for version, change in changes.items():
            await self._store.update_release_metadata(hosted, name, version, change)
            await self._audit.record(
                "release.annotate", principal, client, index=hosted, project=name,
                version=version, changes=dict(change),
            )
        if changes:
            touch_project(self._stamps, hosted, name)

    async def withdraw(
        self, index: Index, project: str, versions: list[str] | None, principal: Principal,
        client: Client,
    ) -> list[Artifact]:
        """Remove the given versions (None: the whole project), if the principal uploaded
        every file in them or administers the index."""
        hosted_name, name = await self._target(index, project, principal)
        hosted = await self._indexes.get(hosted_name)
        artifacts = await self._store.list_artifacts(hosted_name, name)
        chosen = [a for a in artifacts if versions is None or a.version in versions]
        if versions is not None:
            known = {r.version for r in await self._store.list_releases(hosted_name, name)}
            missing = sorted(set(versions) - known)
            if missing:
                raise NotFoundError(f"No version {', '.join(missing)} of '{name}'.")
        allowed = may_unpublish(principal, name, await self._indexes.package_rules(index))
        if allowed is False and not permits(principal, Action.ADMIN, hosted):
            raise ForbiddenError(
                f"'{principal.user}' may not unpublish '{name}': a package rule of "
                f"'{index.name}' names who may.",
                hint=f"See the rules with: wharf index show {index.name}",
            )
        if allowed is None and not permits(principal, Action.ADMIN, hosted):
            others = sorted({a.uploader or "?" for a in chosen if a.uploader != principal.user})
            if others:
                raise ForbiddenError(
                    f"'{principal.user}' may not unpublish files uploaded by "
                    f"{', '.join(others)}.",
                    hint="Ask an administrator of the index, or the publisher.",
                )
        removed: list[Artifact] = []
        if versions is None:
            removed = await self._store.delete_project(hosted_name, name)
        else:
            for version in versions:
                removed += await self._store.delete_release(hosted_name, name, version)
        touch_project(self._stamps, hosted_name, name)
        await self._audit.record(
            "release.withdraw", principal, client, index=hosted_name, project=name,
            versions=versions or "all", files=[a.filename for a in removed],
        )
        return removed
