"""Release tags (npm dist-tags): one row per tag, written in their own transactions or with
the artifact that a publish adds."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from wharf.core.errors import NotFoundError
from wharf.db.base import StoreBase, bump_serial
from wharf.db.catalog import fetch_project, fetch_release
from wharf.db.tables import release_tags


def tags_where(index: str, project: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (release_tags.c.index_name == index, release_tags.c.project == project)


def fetch_tags(connection: sa.Connection, index: str, project: str) -> dict[str, str]:
    rows = connection.execute(
        sa.select(release_tags.c.tag, release_tags.c.version)
        .where(*tags_where(index, project))
        .order_by(release_tags.c.tag)
    )
    return {row.tag: row.version for row in rows}


def write_tags(
    connection: sa.Connection, index: str, project: str, tags: Mapping[str, str]
) -> None:
    """Point each tag at its version (insert or move)."""
    for tag, version in tags.items():
        moved = connection.execute(
            sa.update(release_tags)
            .where(*tags_where(index, project), release_tags.c.tag == tag)
            .values(version=version)
        )
        if moved.rowcount == 0:
            connection.execute(
                sa.insert(release_tags).values(
                    index_name=index, project=project, tag=tag, version=version
                )
            )


class TagsMixin(StoreBase):
    async def list_tags(self, index: str, project: str) -> dict[str, str]:
        return await self._read(lambda connection: fetch_tags(connection, index, project))

    async def set_tag(self, index: str, project: str, tag: str, version: str) -> None:
        def body(connection: sa.Connection) -> None:
            if fetch_release(connection, index, project, version) is None:
                raise NotFoundError(
                    f"No version {version!r} of {project!r} in index {index!r} to tag.",
                    hint="Tag a version that is published.",
                )
            write_tags(connection, index, project, {tag: version})
            bump_serial(connection)

        await self._write(body)

    async def delete_tag(self, index: str, project: str, tag: str) -> None:
        def body(connection: sa.Connection) -> None:
            if fetch_project(connection, index, project) is None:
                raise NotFoundError(f"No project {project!r} in index {index!r}.")
            removed = connection.execute(
                sa.delete(release_tags).where(
                    *tags_where(index, project), release_tags.c.tag == tag
                )
            )
            if removed.rowcount == 0:
                raise NotFoundError(f"{project!r} has no tag {tag!r}.")
            bump_serial(connection)

        await self._write(body)
