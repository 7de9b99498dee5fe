"""Indexes: create, update, list and delete (with everything in them)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wharf.core.errors import ConflictError, NotFoundError
from wharf.core.models import Acl, Index, IndexKind, PackageRule
from wharf.db.base import StoreBase, bump_serial, utc_now
from wharf.db.tables import (
    artifacts,
    indexes,
    projects,
    release_tags,
    releases,
    reserved_filenames,
    upstream_documents,
)


def index_from_row(row: sa.Row[Any]) -> Index:
    return Index(
        name=row.name,
        format=row.format,
        kind=IndexKind(row.kind),
        upstream=row.upstream,
        members=tuple(row.members),
        trust_upstream=tuple(row.trust_upstream),
        acl=Acl(read=tuple(row.acl_read), upload=tuple(row.acl_upload)),
        package_rules=tuple(rule_from_json(rule) for rule in row.package_rules or ()),
        description=row.description,
        created_at=row.created_at,
    )


def _settings(index: Index) -> dict[str, Any]:
    return {
        "upstream": index.upstream,
        "members": list(index.members),
        "trust_upstream": list(index.trust_upstream),
        "acl_read": list(index.acl.read),
        "acl_upload": list(index.acl.upload),
        "package_rules": [rule_to_json(rule) for rule in index.package_rules],
        "description": index.description,
    }


def rule_to_json(rule: PackageRule) -> dict[str, Any]:
    found: dict[str, Any] = {"pattern": rule.pattern}
    for action in ("read", "upload", "unpublish"):
        who = getattr(rule, action)
        if who is not None:
            found[action] = list(who)
    return found


def rule_from_json(data: dict[str, Any]) -> PackageRule:
    def who(action: str) -> tuple[str, ...] | None:
        value = data.get(action)
        return None if value is None else tuple(value)

    return PackageRule(data["pattern"], who("read"), who("upload"), who("unpublish"))


_INDEX = sa.select(indexes).where(indexes.c.name == sa.bindparam("name"))


def fetch_index(connection: sa.Connection, name: str) -> Index | None:
    row = connection.execute(_INDEX, {"name": name}).first()
    return None if row is None else index_from_row(row)


def require_index(connection: sa.Connection, name: str) -> Index:
    index = fetch_index(connection, name)
    if index is None:
        raise NotFoundError(f"No index named {name!r}.")
    return index


class IndexesMixin(StoreBase):
    async def create_index(self, index: Index) -> Index:
        def body(connection: sa.Connection) -> Index:
            if fetch_index(connection, index.name) is not None:
                raise ConflictError(
                    f"An index named {index.name!r} already exists.",
                    hint="Pick another name or update the existing index.",
                )
            connection.execute(
                sa.insert(indexes).values(
                    name=index.name,
                    format=index.format,
                    kind=index.kind.value,
                    created_at=index.created_at or utc_now(),
                    **_settings(index),
                )
            )
            bump_serial(connection)
            return require_index(connection, index.name)

        return await self._write(body)

    async def update_index(self, index: Index) -> Index:
        def body(connection: sa.Connection) -> Index:
            result = connection.execute(
                sa.update(indexes).where(indexes.c.name == index.name).values(**_settings(index))
            )
            if result.rowcount == 0:
                raise NotFoundError(f"No index named {index.name!r}.")
            bump_serial(connection)
            return require_index(connection, index.name)

        return await self._write(body)

    async def get_index(self, name: str) -> Index | None:
        return await self._read(lambda connection: fetch_index(connection, name))

    async def list_indexes(self) -> list[Index]:
        def body(connection: sa.Connection) -> list[Index]:
            rows = connection.execute(sa.select(indexes).order_by(indexes.c.name))
            return [index_from_row(row) for row in rows]

        return await self._read(body)

    async def delete_index(self, name: str) -> list[str]:
        def body(connection: sa.Connection) -> list[str]:
            require_index(connection, name)
            digests: set[str] = set()
            rows = connection.execute(
                sa.select(artifacts.c.sha256, artifacts.c.metadata_sha256).where(
                    artifacts.c.index_name == name
                )
            )
            for sha256, metadata_sha256 in rows:
                digests.add(sha256)
                if metadata_sha256:
                    digests.add(metadata_sha256)
            # Children first: the foreign keys do not cascade.
            for table in (
                artifacts,
                release_tags,
                releases,
                projects,
                reserved_filenames,
                upstream_documents,
            ):
                connection.execute(sa.delete(table).where(table.c.index_name == name))
            connection.execute(sa.delete(indexes).where(indexes.c.name == name))
            bump_serial(connection)
            return sorted(digests)

        return await self._write(body)
