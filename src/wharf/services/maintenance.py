"""fsck (metadata without blobs, blobs without metadata) and gc (remove unreferenced blobs)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from wharf.core.models import Artifact
from wharf.core.ports import BlobStore, MetadataStore


@dataclass(frozen=True, slots=True)
class FsckReport:
    missing: list[tuple[Artifact, str]] = field(default_factory=list)
    """Artifacts whose file or metadata blob is missing, with the missing sha256."""
    unreferenced: list[str] = field(default_factory=list)
    """Blobs no artifact refers to (left by an interrupted upload; gc removes them)."""

    @property
    def healthy(self) -> bool:
        return not self.missing


@dataclass(frozen=True, slots=True)
class GcReport:
    blobs: list[str]
    """Digests of the unreferenced blobs removed (or, in a dry run, to remove)."""
    temporaries: int
    """Temporary files of interrupted uploads removed."""


class MaintenanceService:
    def __init__(self, store: MetadataStore, blobs: BlobStore) -> None:
        self._store = store
        self._blobs = blobs

    async def fsck(self) -> FsckReport:
        report = FsckReport()
        for artifact in await self._store.list_all_artifacts():
            for sha in (artifact.sha256, artifact.metadata_sha256):
                if sha is not None and not await self._blobs.exists(sha):
                    report.missing.append((artifact, sha))
        referenced = await self._store.referenced_digests()
        async for sha in self._blobs.iter_digests():
            if sha not in referenced:
                report.unreferenced.append(sha)
        return report

    async def gc(self, *, dry_run: bool = False, grace_seconds: float = 3600.0) -> GcReport:
        """Remove blobs nothing refers to, and temporary files left by interrupted uploads.

        Blobs younger than ``grace_seconds`` are kept: an upload writes its blob before it
        commits the metadata that refers to it, and must not lose it in between.
        """
        referenced = await self._store.referenced_digests()
        horizon = time.time() - grace_seconds
        candidates = []
        async for sha in self._blobs.iter_digests():
            if sha in referenced:
                continue
            path = self._blobs.local_path(sha)
            if path is not None and path.stat().st_mtime > horizon:
                continue
            candidates.append(sha)
        if dry_run:
            return GcReport(candidates, 0)
        referenced = await self._store.referenced_digests()
        removed = [sha for sha in candidates if sha not in referenced]
        for sha in removed:
            await self._blobs.delete(sha)
        return GcReport(removed, self._blobs.remove_stale_temporaries(grace_seconds))
