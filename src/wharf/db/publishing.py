"""Adding an artifact: project and release as needed, and the published-filename rules.

A filename is bound to its bytes forever within an index. ``reserved_filenames`` remembers
every filename with its sha256 and is only cleared with the whole index, so a deleted file's
name cannot come back with other bytes (or at all: a deleted file stays deleted).

Two processes racing on the same new filename both pass the reservation check, but only one
insert can succeed; the loser's transaction fails on a unique constraint and is run again by
``StoreBase._write``, this time taking the "already there" path.

Its statements are built once (see ``catalog``), and the new artifact's row comes back
from its insert (``RETURNING``, SQLite 3.35 or later).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from wharf.core.errors import FileExistsConflict
from wharf.core.models import Artifact
from wharf.core.ports import ArtifactAdded
from wharf.db.base import StoreBase, bump_serial
from wharf.db.catalog import artifact_from_row, fetch_artifact, fetch_project, fetch_release
from wharf.db.indexes import require_index
from wharf.db.tables import artifacts, projects, releases, reserved_filenames
from wharf.db.tags import write_tags

_BUMP_HINT = "A published file never changes; bump the version and upload again."

_RESERVATION = sa.select(reserved_filenames.c.sha256).where(
    reserved_filenames.c.index_name == sa.bindparam("index"),
    reserved_filenames.c.filename == sa.bindparam("filename"),
)
_NEW_PROJECT = sa.insert(projects)
_NEW_RELEASE = sa.insert(releases)
_RESERVE = sa.insert(reserved_filenames)
_NEW_ARTIFACT = sa.insert(artifacts).returning(*artifacts.c)


def _check_reservation(connection: sa.Connection, artifact: Artifact) -> Artifact | None:
    """The stored artifact when this exact file is already there, None when the filename is
    free; raises when the filename belongs to other bytes or to a deleted file."""
    reserved = connection.execute(
        _RESERVATION, {"index": artifact.index, "filename": artifact.filename}
    ).scalar_one_or_none()
    if reserved is None:
        return None
    if reserved != artifact.sha256:
        raise FileExistsConflict(
            f"File already exists: {artifact.filename}. {_BUMP_HINT}",
            identical=False,
            hint="Use a new version number for changed files.",
        )
    existing = fetch_artifact(connection, artifact.index, artifact.filename)
    if existing is None:
        raise FileExistsConflict(
            f"The filename {artifact.filename} was used before and deleted; a filename is "
            "never reused, even for the same bytes.",
            identical=False,
            hint="Bump the version and upload again.",
        )
    return existing


def _ensure_project(connection: sa.Connection, artifact: Artifact, display_name: str) -> None:
    if fetch_project(connection, artifact.index, artifact.project) is None:
        connection.execute(
            _NEW_PROJECT,
            {
                "index_name": artifact.index,
                "name": artifact.project,
                "display_name": display_name,
                "created_at": artifact.uploaded_at,
                "status": "active",
                "status_reason": "",
            },
        )


def _ensure_release(
    connection: sa.Connection, artifact: Artifact, release_metadata: Mapping[str, Any]
) -> None:
    if fetch_release(connection, artifact.index, artifact.project, artifact.version) is None:
        connection.execute(
            _NEW_RELEASE,
            {
                "index_name": artifact.index,
                "project": artifact.project,
                "version": artifact.version,
                "created_at": artifact.uploaded_at,
                "yanked": False,
                "yanked_reason": "",
                "metadata": dict(release_metadata),
            },
        )


def _insert_artifact(connection: sa.Connection, artifact: Artifact) -> Artifact:
    """Reserve the filename and add the artifact; the stored row as the database has it."""
    connection.execute(
        _RESERVE,
        {"index_name": artifact.index, "filename": artifact.filename,
         "sha256": artifact.sha256},
    )
    row = connection.execute(
        _NEW_ARTIFACT,
        {
            "index_name": artifact.index,
            "project": artifact.project,
            "version": artifact.version,
            "filename": artifact.filename,
            "sha256": artifact.sha256,
            "size": artifact.size,
            "uploaded_at": artifact.uploaded_at,
            "kind": artifact.kind,
            "digests": dict(artifact.digests),
            "metadata_sha256": artifact.metadata_sha256,
            "attrs": dict(artifact.attrs),
            "origin": artifact.origin.value,
            "uploader": artifact.uploader,
        },
    ).one()
    return artifact_from_row(row)


class PublishingMixin(StoreBase):
    async def add_artifact(
        self,
        artifact: Artifact,
        *,
        display_name: str,
        release_metadata: Mapping[str, Any],
        tags: Mapping[str, str] | None = None,
    ) -> ArtifactAdded:
        def body(connection: sa.Connection) -> ArtifactAdded:
            require_index(connection, artifact.index)
            existing = _check_reservation(connection, artifact)
            if existing is not None:
                return ArtifactAdded(existing, created=False)
            _ensure_project(connection, artifact, display_name)
            _ensure_release(connection, artifact, release_metadata)
            stored = _insert_artifact(connection, artifact)
            if tags:
                write_tags(connection, artifact.index, artifact.project, tags)
            bump_serial(connection)
            return ArtifactAdded(stored, created=True)

        return await self._write(body)
