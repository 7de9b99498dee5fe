"""The ports the services need. Backends implement them; the composition root picks one.

Every method of ``MetadataStore`` is one atomic operation (its own transaction), so a
crash between two calls leaves each call either fully applied or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from wharf.core.advisories import Advisory
from wharf.core.models import (
    Artifact,
    AuditEvent,
    Index,
    Project,
    ProjectStatus,
    Release,
    Token,
    UpstreamDocument,
    UpstreamText,
    User,
    Waiver,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@dataclass(frozen=True, slots=True)
class BlobInfo:
    sha256: str
    size: int


class BlobWriter(Protocol):
    """A blob being written. Bytes become visible only at ``commit``."""

    async def write(self, chunk: bytes) -> None: ...

    @property
    def sha256(self) -> str:
        """The sha256 (lowercase hex) of the bytes written so far."""
        ...

    async def commit(self, expected_sha256: str | None = None) -> BlobInfo:
        """Make the blob durable under its sha256 (temporary file, fsync, rename).

        Raises ``UpstreamIntegrityError`` and keeps nothing when ``expected_sha256`` is given
        and differs from the bytes written.
        """
        ...

    async def abort(self) -> None:
        """Discard everything written. Safe to call after commit (then does nothing)."""
        ...


class BlobStore(Protocol):
    """Content-addressed, immutable byte storage keyed by lowercase hex sha256."""

    def writer(self) -> BlobWriter: ...

    async def put_file(self, path: Path) -> BlobInfo:
        """Store a local file's bytes (hashing them); the file itself is left in place."""
        ...

    async def exists(self, sha256: str) -> bool: ...

    def read(self, sha256: str, chunk_size: int = 1 << 16) -> AsyncIterator[bytes]:
        """Stream a blob. Raises ``NotFoundError`` when it is missing."""
        ...

    async def read_bytes(self, sha256: str) -> bytes:
        """A whole (small) blob. Raises ``NotFoundError`` when it is missing."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """The blob's path on a local filesystem, for zero-copy sending; None if not local."""
        ...

    async def delete(self, sha256: str) -> None: ...

    def iter_digests(self) -> AsyncIterator[str]:
        """Every stored blob's sha256 (for fsck and gc)."""
        ...

    def remove_stale_temporaries(self, older_than_seconds: float) -> int:
        """Delete temporary files left by interrupted writers; returns how many."""
        ...


@dataclass(frozen=True, slots=True)
class ArtifactAdded:
    """Result of ``MetadataStore.add_artifact``."""

    artifact: Artifact
    created: bool
    """False when the same filename with the same sha256 was already there (idempotent)."""


class MetadataStore(Protocol):
    """Indexes, projects, releases, artifacts, cached upstream listings, accounts, audit."""

    # indexes
    async def create_index(self, index: Index) -> Index:
        """Raises ``ConflictError`` when the name is taken."""
        ...

    async def update_index(self, index: Index) -> Index:
        """Replace an index's settings (not its name, format or kind). ``NotFoundError``."""
        ...

    async def get_index(self, name: str) -> Index | None: ...

    async def list_indexes(self) -> list[Index]: ...

    async def delete_index(self, name: str) -> list[str]:
        """Delete an index with everything in it; returns the sha256s its artifacts referenced
        (blobs may be shared, so the caller runs gc rather than deleting them)."""
        ...

    # projects, releases, artifacts
    async def list_projects(self, index: str) -> list[Project]: ...

    async def get_project(self, index: str, name: str) -> Project | None: ...

    async def set_project_status(
        self, index: str, name: str, status: ProjectStatus, reason: str
    ) -> None: ...

    async def list_releases(self, index: str, project: str) -> list[Release]: ...

    async def get_release(self, index: str, project: str, version: str) -> Release | None: ...

    async def list_artifacts(self, index: str, project: str) -> list[Artifact]:
        """Every artifact of a project, oldest first."""
        ...

    async def get_artifact(self, index: str, filename: str) -> Artifact | None: ...

    async def add_artifact(
        self,
        artifact: Artifact,
        *,
        display_name: str,
        release_metadata: Mapping[str, Any],
        tags: Mapping[str, str] | None = None,
    ) -> ArtifactAdded:
        """Create project and release as needed and add the artifact, in one transaction,
        pointing ``tags`` (tag name -> version) at their versions in the same transaction.

        The release metadata is stored only when the release is created. A filename already
        used in the index (even if since deleted) with other bytes raises
        ``FileExistsConflict(identical=False)``; with the same sha256 returns
        ``created=False``.
        """
        ...

    async def set_yanked(
        self, index: str, project: str, version: str, yanked: bool, reason: str
    ) -> Release:
        """``NotFoundError`` when the release does not exist."""
        ...

    async def update_release_metadata(
        self, index: str, project: str, version: str, changes: Mapping[str, Any]
    ) -> Release:
        """Merge ``changes`` into a release's metadata (for example an npm deprecation).
        ``NotFoundError`` when the release does not exist."""
        ...

    # upstream withdrawals (cached files upstream no longer lists)
    async def set_withdrawn(
        self, index: str, project: str, filenames: Collection[str], at: datetime | None
    ) -> None:
        """Mark these files of ``project`` withdrawn at ``at`` (keeping an earlier mark), or
        clear the mark when ``at`` is None."""
        ...

    async def set_pinned(self, index: str, filename: str, pinned_by: str | None) -> Artifact:
        """Pin (or with None unpin) a stored file; ``NotFoundError`` when there is none."""
        ...

    async def list_withdrawn(self, index: str | None = None) -> list[Artifact]:
        """Withdrawn files, oldest withdrawal first, of one index or all."""
        ...

    # release tags (npm dist-tags)
    async def list_tags(self, index: str, project: str) -> dict[str, str]:
        """Tag name -> version; empty when the project has none (or does not exist)."""
        ...

    async def set_tag(self, index: str, project: str, tag: str, version: str) -> None:
        """Point a tag at a published version. ``NotFoundError`` when there is no such
        release."""
        ...

    async def delete_tag(self, index: str, project: str, tag: str) -> None:
        """``NotFoundError`` when the project or the tag does not exist."""
        ...

    async def delete_release(self, index: str, project: str, version: str) -> list[Artifact]:
        """Remove a release, its artifacts (their filenames stay reserved) and the tags that
        point at it; returns the artifacts. The project goes too when it has no release
        left. ``NotFoundError``."""
        ...

    async def delete_project(self, index: str, project: str) -> list[Artifact]:
        """Remove a project with all releases and artifacts; returns the artifacts."""
        ...

    async def referenced_digests(self) -> set[str]:
        """Every sha256 any artifact references, as file or as metadata document."""
        ...

    async def list_all_artifacts(self) -> list[Artifact]:
        """Every artifact in every index (for fsck)."""
        ...

    async def change_serial(self) -> int:
        """A number that grows with every change to projects, releases or artifacts."""
        ...

    # proxy cache
    async def get_upstream_document(self, index: str, project: str) -> UpstreamDocument | None:
        ...

    async def get_upstream_text(self, index: str, project: str) -> UpstreamText | None:
        """The cached upstream listing of (index, project) with its body undecoded."""
        ...

    async def put_upstream_document(self, document: UpstreamDocument) -> None:
        """Insert or replace the cached upstream listing of (index, project)."""
        ...

    async def list_upstream_projects(self, index: str) -> list[str]:
        """Projects with a positive cached upstream listing, sorted."""
        ...

    # accounts
    async def add_user(self, user: User) -> User:
        """``ConflictError`` when the name is taken."""
        ...

    async def get_user(self, name: str) -> User | None: ...

    async def list_users(self) -> list[User]: ...

    async def update_user(self, user: User) -> User: ...

    async def delete_user(self, name: str) -> None:
        """Also revokes the user's tokens. ``NotFoundError``."""
        ...

    async def add_token(self, token: Token) -> Token: ...

    async def get_token(self, token_id: str) -> Token | None: ...

    async def list_tokens(self, user: str | None = None) -> list[Token]: ...

    async def revoke_token(self, token_id: str) -> None:
        """``NotFoundError`` when no such token."""
        ...

    async def touch_token(self, token_id: str, at: datetime) -> None:
        """Record a use of the token (best effort)."""
        ...

    # audit
    async def add_audit_event(self, event: AuditEvent) -> None: ...

    async def add_audit_events(self, events: Sequence[AuditEvent]) -> None:
        """Append several events in one transaction (the buffered download trail)."""
        ...

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
        """Newest first. ``action`` matches exactly or as a dotted prefix (``artifact``)."""
        ...

    # policy waivers
    async def add_waiver(self, waiver: Waiver) -> Waiver: ...

    async def remove_waiver(self, waiver_id: int) -> Waiver:
        """``NotFoundError`` when no such waiver."""
        ...

    async def list_waivers(self) -> list[Waiver]:
        """Every waiver, expired ones too (oldest first)."""
        ...

    async def close(self) -> None: ...

    # vulnerability data
    async def replace_advisories(
        self,
        format: str,
        advisories_with_records: Collection[tuple[Advisory, Mapping[str, Any]]],
        *,
        ecosystem_complete: bool,
    ) -> None:
        """Store these records of one format (each with its OSV record as imported) in one
        transaction, replacing stored ones of the same (id, format, name); with
        ``ecosystem_complete`` (a whole-ecosystem dump), delete the format's other rows."""
        ...

    async def prune_advisories(self, format: str, keep: Collection[tuple[str, str]]) -> int:
        """Delete the records of a format whose (id, name) is not in ``keep`` (the end of a
        whole-ecosystem import written in batches); returns how many went."""
        ...

    async def advisories_for(
        self, format: str, names: Collection[str]
    ) -> dict[str, list[Advisory]]:
        """The records of these (normalised) names, by name; names without any are left
        out."""
        ...

    async def advisory_record(self, id: str) -> dict[str, Any] | None:
        """The OSV record of an id as imported, or None."""
        ...

    async def advisory_records(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """The OSV records of these ids, by id (unknown ids are left out)."""
        ...

    async def count_advisories(self, format: str) -> int: ...


class ChangeStamps(Protocol):
    """Cheap, process-shared change counters for cache invalidation.

    Every worker can read a key's stamp without a database round trip; a writer bumps the
    stamp after committing a change. Distinct keys may share a stamp (false invalidation is
    allowed, a missed one is not).
    """

    def stamp(self, key: str) -> int: ...

    def bump(self, key: str) -> None: ...


class Locks(Protocol):
    """Mutual exclusion by key, across tasks, worker processes and (later) nodes."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]: ...


@dataclass(frozen=True, slots=True)
class UpstreamReply:
    status: int
    headers: Mapping[str, str]
    """Lower-cased header names."""
    body: bytes
    url: str


class UpstreamStream(Protocol):
    status: int
    headers: Mapping[str, str]

    def iter_bytes(self) -> AsyncIterator[bytes]: ...


class Upstream(Protocol):
    """HTTP access to upstream registries. Network failures raise ``UpstreamError`` (or its
    timeout subclass); HTTP error statuses are returned, not raised."""

    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> UpstreamReply: ...

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> UpstreamReply:
        """POST ``body`` (for forwarded queries such as npm's audit endpoints)."""
        ...

    def stream(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> AbstractAsyncContextManager[UpstreamStream]: ...

    async def close(self) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """True when the password matches (argon2 or an imported htpasswd hash)."""
        ...

    def needs_rehash(self, hashed: str) -> bool:
        """True when the hash should be replaced by a fresh one (imported or outdated)."""
        ...

