"""The publish pipeline, the one place that orders its steps:

check access → check the name and the addition (via the format) → the policy → write blobs → commit
metadata in one transaction → invalidate caches → audit.

Blobs are written before metadata, so a crash at any moment leaves either the whole file
visible or nothing (an unreferenced blob, which ``gc`` removes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wharf.core.errors import FileExistsConflict, InvalidArtifactError
from wharf.core.models import Action, Artifact, Index, Origin, Principal
from wharf.core.ports import BlobStore, ChangeStamps, Clock, MetadataStore
from wharf.formats.base import Format
from wharf.services.access import require
from wharf.services.auditing import AuditService, Client
from wharf.services.indexes import IndexService
from wharf.services.policing import PolicyService
from wharf.services.stamping import touch_project


@dataclass(frozen=True, slots=True)
class Upload:
    """A received, inspected file, ready to publish. Built by a format's upload route."""

    path: Path
    filename: str
    display_name: str
    version: str
    kind: str
    sha256: str
    size: int
    digests: Mapping[str, str] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)
    release_metadata: Mapping[str, Any] = field(default_factory=dict)
    metadata_document: bytes | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    """Release tags to point at this version with the same commit (npm dist-tags)."""


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_bytes: int
    """Largest file accepted."""
    max_uncompressed: int
    """Largest total uncompressed size of an archive."""
    tmp_dir: Path
    """Where received files wait while they are checked (same filesystem as the blobs)."""


@dataclass(frozen=True, slots=True)
class Published:
    index: Index
    artifact: Artifact
    created: bool


class PublishService:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        stamps: ChangeStamps,
        indexes: IndexService,
        formats: Mapping[str, Format],
        audit: AuditService,
        clock: Clock,
        policy: PolicyService,
    ) -> None:
        self._policy = policy
        self._store = store
        self._blobs = blobs
        self._stamps = stamps
        self._indexes = indexes
        self._formats = formats
        self._audit = audit
        self._clock = clock

    async def authorize(self, index_name: str, principal: Principal) -> Index:
        """The hosted index an upload to ``index_name`` lands in, if the principal may upload
        there: checked before the body is read, so a refused upload costs nothing."""
        index = await self._indexes.hosted_target(await self._indexes.get(index_name))
        require(principal, Action.UPLOAD, index)
        return index

    async def publish(
        self, index_name: str, upload: Upload, principal: Principal, client: Client
    ) -> Published:
        requested = await self._indexes.get(index_name)
        index = await self._indexes.hosted_target(requested)
        fmt = self._formats[index.format]
        project = fmt.normalize(upload.display_name)
        rules = await self._indexes.package_rules(requested)
        require(principal, Action.UPLOAD, index, project, rules)

        existing_file = await self._store.get_artifact(index.name, upload.filename)
        if existing_file is not None:
            if existing_file.sha256 == upload.sha256:
                raise FileExistsConflict(
                    f"File already exists: {upload.filename} is already in '{index.name}' "
                    "with the same contents.",
                    identical=True,
                    hint=self._formats[index.format].duplicate_hint,
                )
            raise FileExistsConflict(
                f"File already exists: {upload.filename} is in '{index.name}' with other "
                "contents. A published file never changes.",
                identical=False,
                hint="Bump the version and upload again.",
            )

        metadata_sha256 = None
        artifact = Artifact(
            index=index.name,
            project=project,
            version=upload.version,
            filename=upload.filename,
            sha256=upload.sha256,
            size=upload.size,
            uploaded_at=self._clock.now(),
            kind=upload.kind,
            digests=dict(upload.digests),
            attrs=dict(upload.attrs),
            origin=Origin.UPLOADED,
            uploader=principal.user,
        )
        problems = fmt.validate_name(upload.display_name) + fmt.check_addition(
            await self._store.list_artifacts(index.name, project), artifact
        )
        if problems:
            raise InvalidArtifactError(problems)
        await self._policy.check_publish(
            index, project, upload.version, upload.filename, upload.size,
            upload.release_metadata, principal, client,
        )

        # Blobs first: the file, then its metadata document. Nothing refers to them yet.
        stored = await self._blobs.put_file(upload.path)
        if stored.sha256 != upload.sha256:
            raise InvalidArtifactError(
                [f"{upload.filename} changed while it was being stored"],
                hint="Upload it again.",
            )
        if upload.metadata_document is not None:
            writer = self._blobs.writer()
            await writer.write(upload.metadata_document)
            metadata_sha256 = (await writer.commit()).sha256
        artifact = replace(artifact, metadata_sha256=metadata_sha256)

        added = await self._store.add_artifact(
            artifact,
            display_name=upload.display_name,
            release_metadata=upload.release_metadata,
            tags=upload.tags,
        )
        touch_project(self._stamps, index.name, project)
        if added.created:
            await self._audit.record(
                "artifact.upload",
                principal,
                client,
                index=index.name,
                project=project,
                version=upload.version,
                filename=upload.filename,
                sha256=upload.sha256,
                size=upload.size,
                via=requested.name,
            )
        return Published(index, added.artifact, added.created)
