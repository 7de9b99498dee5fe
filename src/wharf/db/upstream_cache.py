"""Proxy indexes' cached upstream listings, one row per (index, project)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wharf.core.models import UpstreamDocument, UpstreamText
from wharf.db.base import StoreBase, bump_serial
from wharf.db.indexes import require_index
from wharf.db.tables import upstream_documents

_WHERE = (
    upstream_documents.c.index_name == sa.bindparam("key_index"),
    upstream_documents.c.project == sa.bindparam("key_project"),
)
_DOCUMENT = sa.select(upstream_documents).where(*_WHERE)
_TEXT = sa.select(
    upstream_documents.c.fetched_at,
    upstream_documents.c.found,
    sa.cast(upstream_documents.c.body, sa.Text).label("text"),
).where(*_WHERE)
_UPDATE = sa.update(upstream_documents).where(*_WHERE)
_INSERT = sa.insert(upstream_documents)


def _document_from_row(row: sa.Row[Any]) -> UpstreamDocument:
    return UpstreamDocument(
        index=row.index_name,
        project=row.project,
        fetched_at=row.fetched_at,
        found=row.found,
        body=dict(row.body),
        etag=row.etag,
        last_modified=row.last_modified,
    )


class UpstreamCacheMixin(StoreBase):
    async def get_upstream_document(self, index: str, project: str) -> UpstreamDocument | None:
        def body(connection: sa.Connection) -> UpstreamDocument | None:
            row = connection.execute(
                _DOCUMENT, {"key_index": index, "key_project": project}
            ).first()
            return None if row is None else _document_from_row(row)

        return await self._read(body)

    async def get_upstream_text(self, index: str, project: str) -> UpstreamText | None:
        def body(connection: sa.Connection) -> UpstreamText | None:
            row = connection.execute(
                _TEXT, {"key_index": index, "key_project": project}
            ).first()
            return None if row is None else UpstreamText(row.fetched_at, row.found, row.text)

        return await self._read(body)

    async def put_upstream_document(self, document: UpstreamDocument) -> None:
        values = {
            "fetched_at": document.fetched_at,
            "found": document.found,
            "body": dict(document.body),
            "etag": document.etag,
            "last_modified": document.last_modified,
        }

        def body(connection: sa.Connection) -> None:
            # Portable upsert: update, else insert. A concurrent insert of the same key makes
            # ours fail; ``_write`` then runs this again and the update finds the row.
            # Values go in as execution parameters, not into the statement: SQLAlchemy's
            # compiled-statement cache keeps the first statement of each shape, and with it
            # any values built into it (a popular packument is tens of MB).
            result = connection.execute(
                _UPDATE,
                {**values, "key_index": document.index, "key_project": document.project},
            )
            if result.rowcount == 0:
                require_index(connection, document.index)
                connection.execute(
                    _INSERT,
                    {**values, "index_name": document.index, "project": document.project},
                )
            bump_serial(connection)

        await self._write(body)

    async def list_upstream_projects(self, index: str) -> list[str]:
        def body(connection: sa.Connection) -> list[str]:
            rows = connection.execute(
                sa.select(upstream_documents.c.project)
                .where(
                    upstream_documents.c.index_name == index,
                    upstream_documents.c.found,
                )
                .order_by(upstream_documents.c.project)
            )
            return list(rows.scalars())

        return await self._read(body)
