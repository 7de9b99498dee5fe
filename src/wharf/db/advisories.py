"""Vulnerability and malware records (OSV), one row per record and affected package.

Imports arrive in batches of a few hundred records, each batch one short transaction, so an
import of a whole ecosystem (hundreds of thousands of records) never holds SQLite's write
lock long enough to make a publish or a download wait. A whole-ecosystem dump then prunes
what it did not contain: until that last step readers see old and new records side by side,
never fewer than either.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from wharf.core.advisories import Advisory, AffectedRange
from wharf.db.base import StoreBase
from wharf.db.tables import advisories

T = TypeVar("T")

_CHUNK = 500
"""Rows (or names, or ids) per statement: well under SQLite's parameter limit."""

_FIELDS = ("severity", "malware", "withdrawn", "modified", "summary", "ranges", "record")
_SUMMARY_COLUMNS = (
    advisories.c.id,
    advisories.c.format,
    advisories.c.name,
    advisories.c.severity,
    advisories.c.malware,
    advisories.c.withdrawn,
    advisories.c.modified,
    advisories.c.summary,
    advisories.c.ranges,
)
_SUMMARIES = (
    sa.select(*_SUMMARY_COLUMNS)
    .where(
        advisories.c.format == sa.bindparam("format"),
        advisories.c.name.in_(sa.bindparam("names", expanding=True)),
    )
    .order_by(advisories.c.name, advisories.c.id)
)


def _row(advisory: Advisory, record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": advisory.id,
        "format": advisory.format,
        "name": advisory.name,
        "severity": advisory.severity,
        "malware": advisory.malware,
        "withdrawn": advisory.withdrawn,
        "modified": advisory.modified,
        "summary": advisory.summary,
        "ranges": {
            "ranges": [
                {"type": each.kind, "events": [list(event) for event in each.events]}
                for each in advisory.ranges
            ],
            "versions": list(advisory.versions),
            "aliases": list(advisory.aliases),
            "url": advisory.url,
        },
        "record": json.dumps(record, separators=(",", ":"), ensure_ascii=False),
    }


def _advisory_from_row(row: sa.RowMapping) -> Advisory:
    data: Mapping[str, Any] = row["ranges"] or {}
    return Advisory(
        id=row["id"],
        format=row["format"],
        name=row["name"],
        summary=row["summary"],
        severity=row["severity"],
        malware=bool(row["malware"]),
        ranges=tuple(
            AffectedRange(
                str(each.get("type", "")),
                tuple((str(event), str(value)) for event, value in each.get("events", ())),
            )
            for each in data.get("ranges", ())
        ),
        versions=tuple(str(v) for v in data.get("versions", ())),
        aliases=tuple(str(a) for a in data.get("aliases", ())),
        url=str(data.get("url", "")),
        withdrawn=row["withdrawn"],
        modified=row["modified"],
    )


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _upsert(connection: sa.Connection, format_name: str, rows: Sequence[dict[str, Any]]) -> None:
    """Update the rows already stored, insert the others. Values travel as execution
    parameters (records can be large; statements stay small and cacheable)."""
    update = (
        sa.update(advisories)
        .where(
            advisories.c.id == sa.bindparam("key_id"),
            advisories.c.format == sa.bindparam("key_format"),
            advisories.c.name == sa.bindparam("key_name"),
        )
        .values({field: sa.bindparam(field) for field in _FIELDS})
    )
    for chunk in _chunks(rows):
        ids = sorted({row["id"] for row in chunk})
        stored = {
            (row.id, row.name)
            for row in connection.execute(
                sa.select(advisories.c.id, advisories.c.name).where(
                    advisories.c.format == format_name, advisories.c.id.in_(ids)
                )
            )
        }
        changed = [
            {**row, "key_id": row["id"], "key_format": row["format"], "key_name": row["name"]}
            for row in chunk
            if (row["id"], row["name"]) in stored
        ]
        new = [row for row in chunk if (row["id"], row["name"]) not in stored]
        if changed:
            connection.execute(update, changed)
        if new:
            connection.execute(sa.insert(advisories), new)


def _prune(connection: sa.Connection, format_name: str, keep: Collection[tuple[str, str]]) -> int:
    """Delete the rows of a format whose (id, name) is not in ``keep``; how many went."""
    kept = set(keep)
    stored = connection.execute(
        sa.select(advisories.c.id, advisories.c.name).where(advisories.c.format == format_name)
    )
    gone = sorted((row.id, row.name) for row in stored if (row.id, row.name) not in kept)
    delete = sa.delete(advisories).where(
        advisories.c.id == sa.bindparam("key_id"),
        advisories.c.format == format_name,
        advisories.c.name == sa.bindparam("key_name"),
    )
    for chunk in _chunks(gone):
        connection.execute(delete, [{"key_id": id_, "key_name": name} for id_, name in chunk])
    return len(gone)


class AdvisoriesMixin(StoreBase):
    async def replace_advisories(
        self,
        format: str,
        advisories_with_records: Iterable[tuple[Advisory, Mapping[str, Any]]],
        *,
        ecosystem_complete: bool,
    ) -> None:
        unique: dict[tuple[str, str], dict[str, Any]] = {}
        for advisory, record in advisories_with_records:
            if advisory.format != format:
                raise ValueError(f"{advisory.id} is a {advisory.format} record, not {format}")
            unique[(advisory.id, advisory.name)] = _row(advisory, record)
        rows = list(unique.values())

        def body(connection: sa.Connection) -> None:
            _upsert(connection, format, rows)
            if ecosystem_complete:
                _prune(connection, format, unique.keys())

        await self._write(body)

    async def prune_advisories(self, format: str, keep: Collection[tuple[str, str]]) -> int:
        def body(connection: sa.Connection) -> int:
            return _prune(connection, format, keep)

        return await self._write(body)

    async def advisories_for(
        self, format: str, names: Collection[str]
    ) -> dict[str, list[Advisory]]:
        wanted = sorted(set(names))

        def body(connection: sa.Connection) -> dict[str, list[Advisory]]:
            found: dict[str, list[Advisory]] = {}
            for chunk in _chunks(wanted):
                rows = connection.execute(
                    _SUMMARIES, {"format": format, "names": chunk}
                ).mappings()
                for row in rows:
                    found.setdefault(row["name"], []).append(_advisory_from_row(row))
            return found

        return await self._read(body)

    async def advisory_record(self, id: str) -> dict[str, Any] | None:
        return (await self.advisory_records([id])).get(id)

    async def advisory_records(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(ids))

        def body(connection: sa.Connection) -> dict[str, dict[str, Any]]:
            found: dict[str, dict[str, Any]] = {}
            for chunk in _chunks(wanted):
                rows = connection.execute(
                    sa.select(advisories.c.id, advisories.c.record).where(
                        advisories.c.id.in_(chunk)
                    )
                )
                for id_, record in rows:
                    if id_ not in found:  # one record, stored once per affected package
                        found[id_] = json.loads(record)
            return found

        return await self._read(body)

    async def count_advisories(self, format: str) -> int:
        def body(connection: sa.Connection) -> int:
            return int(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(advisories)
                    .where(advisories.c.format == format)
                ).scalar_one()
            )

        return await self._read(body)
