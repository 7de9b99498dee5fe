"""Vulnerability and malware data: imported offline from OSV dumps, read by the policy rules,
the npm audit endpoints and the OSV API (DESIGN.md section 7).

Wharf never fetches this data itself: an administrator downloads OSV's dumps
(``<ecosystem>/all.zip``) wherever the network allows and runs ``wharf vuln import``, so
air-gapped installations get the same protection. A whole-ecosystem dump replaces that
ecosystem's data (records OSV dropped go too); any other file adds to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio.to_thread

from wharf.core.advisories import Advisory
from wharf.core.errors import InvalidRequestError, UnauthenticatedError
from wharf.core.models import Principal
from wharf.core.ports import ChangeStamps, Clock, MetadataStore
from wharf.formats.base import Format
from wharf.policy.advisories import affects
from wharf.services.access import require_admin
from wharf.services.auditing import LOCAL, AuditService, Client
from wharf.services.osv_records import RecordFile, advisories_of, read_records
from wharf.services.stamping import POLICY

BATCH = 500
"""Records read per step and rows written per transaction."""
WHOLE_DUMP_SUFFIX = "all.zip"
"""How OSV names a whole-ecosystem dump (``PyPI/all.zip``, ``npm/all.zip``)."""


@dataclass
class ImportReport:
    """What one import read and stored."""

    source: str
    complete: bool
    """A whole-ecosystem dump: the ecosystems it holds were replaced."""
    started: datetime
    finished: datetime | None = None
    records: int = 0
    """Records read (valid JSON with an id)."""
    stored: dict[str, int] = field(default_factory=dict)
    """Rows written per format (one per record and affected package)."""
    malware: int = 0
    """Records reporting malicious packages, among those stored."""
    skipped: int = 0
    """Records that name no package of a format Wharf serves."""
    other_ecosystems: dict[str, int] = field(default_factory=dict)
    pruned: dict[str, int] = field(default_factory=dict)
    """Rows dropped per format because a whole-ecosystem dump no longer holds them."""
    errors: list[str] = field(default_factory=list)
    """``file: what was wrong``, for files that could not be read as OSV records."""

    @property
    def imported(self) -> int:
        return sum(self.stored.values())


class AdvisoryService:
    def __init__(
        self,
        store: MetadataStore,
        stamps: ChangeStamps,
        formats: Mapping[str, Format],
        clock: Clock,
        audit: AuditService,
        *,
        anonymous_read: bool = True,
    ) -> None:
        self._store = store
        self._stamps = stamps
        self._formats = formats
        self._clock = clock
        self._audit = audit
        self._anonymous_read = anonymous_read
        self._by_ecosystem = {each.osv_ecosystem: each for each in formats.values()}
        self._with_data: set[str] = set()
        """Formats known to have data (it is never removed once imported)."""

    # reading

    def require_reader(self, principal: Principal) -> None:
        """Advisory data is public knowledge, readable like the indexes by default: by
        anyone, unless the server makes every index sign-in only (``auth.anonymous_read``
        off)."""
        if not self._anonymous_read and not principal.authenticated:
            raise UnauthenticatedError(
                "This server answers vulnerability queries for signed-in users only.",
                hint="Send credentials (a Wharf token) with the query.",
            )

    async def has_data(self, format_name: str) -> bool:
        """True once any record of the format has been imported."""
        if format_name in self._with_data:
            return True
        if await self._store.count_advisories(format_name) > 0:
            self._with_data.add(format_name)
            return True
        return False

    async def count(self, format_name: str) -> int:
        return await self._store.count_advisories(format_name)

    async def for_names(
        self, format_name: str, names: Collection[str]
    ) -> dict[str, list[Advisory]]:
        """The records of these names (normalised here), by normalised name."""
        normalize = self._format(format_name).normalize
        return await self._store.advisories_for(format_name, {normalize(n) for n in names})

    async def for_name(self, format_name: str, name: str) -> list[Advisory]:
        normalised = self._format(format_name).normalize(name)
        return (await self.for_names(format_name, [normalised])).get(normalised, [])

    async def affecting(
        self, format_name: str, name: str, version: str | None
    ) -> list[Advisory]:
        """The records affecting ``name`` at ``version`` (every record of the name when
        no version is given, as OSV answers a query without one)."""
        found = await self.for_name(format_name, name)
        if version is None:
            return [advisory for advisory in found if advisory.withdrawn is None]
        scheme = self._format(format_name).versions
        return [advisory for advisory in found if affects(advisory, version, scheme)]

    async def matches(
        self, format_name: str, wanted: Mapping[str, Collection[str]]
    ) -> dict[str, list[tuple[Advisory, tuple[str, ...]]]]:
        """Per name asked (as asked), the records affecting any of its versions, each with
        the versions it affects; names nothing affects are left out."""
        format_ = self._format(format_name)
        normalised = {name: format_.normalize(name) for name in wanted}
        found = await self._store.advisories_for(format_name, set(normalised.values()))
        result: dict[str, list[tuple[Advisory, tuple[str, ...]]]] = {}
        for name, versions in wanted.items():
            asked = tuple(dict.fromkeys(versions))
            for advisory in found.get(normalised[name], ()):
                hit = tuple(v for v in asked if affects(advisory, v, format_.versions))
                if hit:
                    result.setdefault(name, []).append((advisory, hit))
        return result

    async def record(self, id: str) -> dict[str, Any] | None:
        return await self._store.advisory_record(id)

    async def records(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        return await self._store.advisory_records(ids)

    def format_of_ecosystem(self, ecosystem: str) -> Format | None:
        """The format whose packages OSV lists under ``ecosystem`` (``PyPI``, ``npm``)."""
        return self._by_ecosystem.get(ecosystem)

    # importing

    async def import_dump(
        self,
        path: Path,
        principal: Principal,
        *,
        complete: bool | None = None,
        client: Client = LOCAL,
    ) -> ImportReport:
        """Import an OSV dump (a zip), a directory of records or one record. ``complete``
        says whether it holds whole ecosystems; by default a file named like OSV's
        ``all.zip`` does. Files that cannot be read are reported, not fatal; a whole dump
        with unreadable files adds and updates but removes nothing."""
        require_admin(principal)
        whole = path.name.endswith(WHOLE_DUMP_SUFFIX) if complete is None else complete
        report = ImportReport(str(path), whole, self._clock.now())
        pending: dict[str, list[tuple[Advisory, Mapping[str, Any]]]] = {}
        seen: dict[str, set[tuple[str, str]]] = {}
        files = read_records(path)
        while chunk := await anyio.to_thread.run_sync(_take, files, BATCH):
            for item in chunk:
                self._add(item, report, pending, seen)
            for format_name, rows in pending.items():
                if len(rows) >= BATCH:
                    await self._write(format_name, rows, report)
        for format_name, rows in pending.items():
            await self._write(format_name, rows, report)
        if whole and not report.errors:
            for format_name, keys in seen.items():
                report.pruned[format_name] = await self._store.prune_advisories(
                    format_name, keys
                )
        report.finished = self._clock.now()
        self._stamps.bump(POLICY)
        await self._audit.record(
            "vuln.import", principal, client, source=report.source, complete=whole,
            records=report.records, stored=report.stored, malware=report.malware,
            skipped=report.skipped, pruned=report.pruned, errors=len(report.errors),
        )
        return report

    def _add(
        self,
        item: RecordFile,
        report: ImportReport,
        pending: dict[str, list[tuple[Advisory, Mapping[str, Any]]]],
        seen: dict[str, set[tuple[str, str]]],
    ) -> None:
        if item.record is None:
            report.errors.append(f"{item.source}: {item.error}")
            return
        report.records += 1
        found, others = advisories_of(item.record, self._by_ecosystem)
        for ecosystem in others:
            report.other_ecosystems[ecosystem] = report.other_ecosystems.get(ecosystem, 0) + 1
        if not found:
            report.skipped += 1
            return
        report.malware += found[0].malware
        for advisory in found:
            pending.setdefault(advisory.format, []).append((advisory, item.record))
            seen.setdefault(advisory.format, set()).add((advisory.id, advisory.name))

    async def _write(
        self,
        format_name: str,
        rows: list[tuple[Advisory, Mapping[str, Any]]],
        report: ImportReport,
    ) -> None:
        if not rows:
            return
        await self._store.replace_advisories(format_name, rows, ecosystem_complete=False)
        report.stored[format_name] = report.stored.get(format_name, 0) + len(rows)
        self._with_data.add(format_name)
        rows.clear()

    def _format(self, format_name: str) -> Format:
        found = self._formats.get(format_name)
        if found is None:
            raise InvalidRequestError(
                f"No format named '{format_name}'.",
                hint=f"Use one of: {', '.join(sorted(self._formats))}.",
            )
        return found


def _take(files: Iterator[RecordFile], count: int) -> list[RecordFile]:
    """The next ``count`` records (fewer at the end): read in a worker thread."""
    return list(itertools.islice(files, count))
