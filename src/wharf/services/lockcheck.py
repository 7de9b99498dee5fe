"""A dry run of the policy over a lockfile (``wharf policy check FILE``), without a server
and without asking any upstream.

Each entry is judged as a download through the index a client would use (the default
groups): by the hosted index that holds the name, else by the proxy. Name rules (deny
entries, typosquat, malware of every version) need nothing more. Version rules need the
version's publish time, size and licence: they come from what this Wharf already holds (a
hosted release, a cached upstream listing); when nothing is at hand the entry says so, and
the cooldown treats the time as unknown (``policy.cooldown.unknown_time``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wharf.core.models import FileEntry, Index, IndexKind
from wharf.core.ports import MetadataStore
from wharf.formats.base import Format
from wharf.formats.lockfiles import LockEntry
from wharf.policy.decisions import Moment, Subject
from wharf.policy.engine import Judgement
from wharf.services.indexes import IndexService
from wharf.services.policing import PolicyService


@dataclass(frozen=True, slots=True)
class EntryCheck:
    entry: LockEntry
    index: str
    """The index the entry was judged as coming from."""
    judgement: Judgement
    notes: tuple[str, ...] = ()
    """What could not be judged, and why."""


@dataclass(frozen=True, slots=True)
class _Known:
    files: tuple[FileEntry, ...]
    versions: tuple[str, ...]
    metadata: Mapping[str, object]


class LockfileChecker:
    def __init__(
        self,
        store: MetadataStore,
        indexes: IndexService,
        formats: Mapping[str, Format],
        policy: PolicyService,
    ) -> None:
        self._store = store
        self._indexes = indexes
        self._formats = formats
        self._policy = policy

    async def check(
        self, entries: Sequence[LockEntry], through: Mapping[str, str]
    ) -> list[EntryCheck]:
        """Judge every entry as read through ``through[format]`` (an index name)."""
        return [await self._check(entry, await self._indexes.get(through[entry.format]))
                for entry in entries]

    async def _check(self, entry: LockEntry, read: Index) -> EntryCheck:
        fmt = self._formats[entry.format]
        name = fmt.normalize(entry.name)
        members = await self._indexes.expand(read)
        source = await self._source(members, name)
        upstream = source.kind is IndexKind.PROXY
        notes: list[str] = []
        known = await self._known(source, name, fmt)
        files: list[FileEntry] = []
        if entry.version is None:
            notes.append(f"not pinned ({entry.note or 'no version'}): judged by name only")
        elif known is None or entry.version not in known.versions:
            notes.append(f"{name} {entry.version} is not held or cached here: its publish "
                         "time, size and licence are unknown")
        else:
            files = [f for f in known.files if f.version == entry.version]
        times = [f.uploaded_at for f in files if f.uploaded_at is not None]
        sizes = [f.size for f in files if f.size is not None]
        if files and not times:
            notes.append("no publish time is known for this version")
        metadata = known.metadata.get(entry.version) if known and entry.version else None
        subject = Subject(
            entry.format, source.name, name, Moment.DOWNLOAD, version=entry.version,
            size=max(sizes) if sizes else None, published_at=min(times) if times else None,
            upstream=upstream,
            licence=fmt.licence_of(metadata) if isinstance(metadata, Mapping) else None,
            versions=tuple(sorted(known.versions, key=fmt.versions.key)) if known else (),
        )
        chain = (source.name,) if source.name == read.name else (source.name, read.name)
        facts = await self._policy.facts(entry.format, name, upstream=upstream)
        judgement = self._policy.book.rules_for(chain).judge(subject, facts)
        return EntryCheck(entry, source.name, judgement, tuple(notes))

    async def _source(self, members: Sequence[Index], name: str) -> Index:
        """The member a client would get ``name`` from: a hosted one holding it, else the
        first proxy (else the index itself)."""
        for member in members:
            if member.kind is IndexKind.HOSTED and await self._store.get_project(
                    member.name, name) is not None:
                return member
        proxies = [m for m in members if m.kind is IndexKind.PROXY]
        return proxies[0] if proxies else members[0]

    async def _known(self, source: Index, name: str, fmt: Format) -> _Known | None:
        if source.kind is IndexKind.HOSTED:
            artifacts = await self._store.list_artifacts(source.name, name)
            releases = await self._store.list_releases(source.name, name)
            files = tuple(FileEntry(a.filename, a.version, "", a.sha256, a.size, a.uploaded_at)
                          for a in artifacts)
            return _Known(files, tuple(r.version for r in releases),
                          {r.version: r.metadata for r in releases})
        document = await self._store.get_upstream_document(source.name, name)
        if document is None or not document.found:
            return None
        details = fmt.upstream.details(document.body, name)
        files = tuple(fmt.upstream.entries(document.body, source.name))
        versions = tuple(dict.fromkeys((*details.versions, *(f.version for f in files))))
        return _Known(files, versions, details.release_metadata)
