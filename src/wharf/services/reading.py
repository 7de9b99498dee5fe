"""Reading an index: project pages, the project list and files, for hosted, proxy and group
indexes alike. Groups ask members in order; a name held by a hosted member hides the
upstream's releases of that name unless the group trusts upstream for it (DESIGN.md §6)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wharf.core.errors import NotFoundError, PolicyDeniedError, UpstreamError
from wharf.core.models import (
    METADATA_SUFFIX,
    Action,
    Artifact,
    FileEntry,
    Index,
    IndexKind,
    Principal,
    ProjectPage,
    ProjectStatus,
)
from wharf.core.ports import BlobStore, ChangeStamps, Clock, MetadataStore
from wharf.formats.base import Format
from wharf.policy import shadowing
from wharf.policy.decisions import Decision, Mode
from wharf.policy.engine import Judgement
from wharf.policy.shadowing import hides_upstream
from wharf.services.access import permits, require
from wharf.services.auditing import AuditService, Client
from wharf.services.indexes import IndexService
from wharf.services.lookup import ArtifactLookup
from wharf.services.policing import PolicyService, refusal
from wharf.services.proxying import FileSource, ProxyService, StoredFile, StreamedFile
from wharf.services.stamping import INDEXES, index_key, project_key

log = logging.getLogger(__name__)
CACHED_VERDICTS = 8192


@dataclass(frozen=True, slots=True)
class PageView:
    page: ProjectPage
    expires_at: datetime | None = None
    """When a proxy-derived page must be rebuilt (upstream freshness); None: on change only."""


@dataclass(frozen=True, slots=True)
class _Verdicts:
    """The download refusals of one page version, kept per worker (a download check is a
    dict lookup, not a screening)."""

    token: tuple[object, ...]
    expires_at: datetime | None
    refusals: Mapping[str, Judgement]
    hidden: Mapping[str, Decision]


class ReadService:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        stamps: ChangeStamps,
        indexes: IndexService,
        proxy: ProxyService,
        formats: Mapping[str, Format],
        lookup: ArtifactLookup,
        policy: PolicyService,
        audit: AuditService,
        clock: Clock,
    ) -> None:
        self._policy = policy
        self._audit = audit
        self._clock = clock
        self._verdicts: OrderedDict[tuple[str, str], _Verdicts] = OrderedDict()
        self._lookup = lookup
        self._store = store
        self._blobs = blobs
        self._stamps = stamps
        self._indexes = indexes
        self._proxy = proxy
        self._formats = formats

    def readable(self, index: Index, principal: Principal) -> Index:
        """``index``, once ``principal`` is known to be allowed to read it."""
        require(principal, Action.READ, index)
        return index

    async def readable_project(self, index: Index, principal: Principal, project: str) -> Index:
        """``index``, once ``principal`` may read ``project`` in it (the index's ACL, and
        the package rules of the index and, for a group, of its members)."""
        rules = await self._indexes.package_rules(index)
        require(principal, Action.READ, index, self.normalize(index, project), rules)
        return index

    async def visible(
        self, index: Index, principal: Principal, names: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """``names`` (as ``projects`` lists them) without those the principal may not read."""
        rules = await self._indexes.package_rules(index)
        if not rules:
            return names
        return [n for n in names if permits(principal, Action.READ, index, n[0], rules)]

    def normalize(self, index: Index, project: str) -> str:
        return self._formats[index.format].normalize(project)

    def page_token(self, index: Index, project: str) -> tuple[object, ...]:
        """Changes whenever the page of ``project`` in ``index`` may have changed (the
        policy's settings, waivers and vulnerability data included)."""
        return self.page_token_of(index, project)()

    def page_token_of(self, index: Index, project: str) -> Callable[[], tuple[object, ...]]:
        """``page_token`` for one page as a function, with its stamp names worked out once:
        what a remembered response checks on every replay."""
        keys = (INDEXES, *(project_key(name, project) for name in members_of(index)))
        stamp, policy = self._stamps.stamp, self._policy.token

        def token() -> tuple[object, ...]:
            return (*policy(), *[stamp(key) for key in keys])

        return token

    def index_token(self, index: Index) -> tuple[int, ...]:
        names = members_of(index)
        stamp = self._stamps.stamp
        return (stamp(INDEXES), *(stamp(index_key(name)) for name in names))

    async def refresh(self, index: Index, project: str) -> None:
        """Bring the upstream listings the project's page is built from up to date (none
        for a name a hosted member holds, unless the group trusts upstream for it), so the
        page token read next is the one the page will be built under."""
        if index.kind is IndexKind.HOSTED:
            return
        if index.kind is IndexKind.PROXY:
            await self._proxy.refresh(index, project)
            return
        members = [m for m in [await self._indexes.find(n) for n in index.members] if m]
        if not any(m.kind is IndexKind.PROXY for m in members):
            return
        if await self._shadowed(index, members, project):
            return
        for member in members:
            if member.kind is IndexKind.PROXY:
                await self._proxy.refresh(member, project)

    async def page(self, index: Index, project: str, *, screened: bool = True) -> PageView:
        """The project's page as the policy lets it be listed (``screened=False``: all of
        it, for writers that merge into it); ``NotFoundError`` when no member has it."""
        if not screened:
            return await self._page(index, project)
        await self.refresh(index, project)
        token = self.page_token(index, project)
        view = await self._page(index, project)
        screening = await self._policy.screen(index, view.page)
        expires = min(
            (t for t in (view.expires_at, screening.expires_at) if t is not None), default=None)
        self._keep_verdicts(index, project,
                            _Verdicts(token, expires, screening.refusals, screening.hidden))
        if screening.hidden and not screening.page.versions and not screening.page.files:
            # Nothing of the name may be listed: say why rather than list nothing.
            raise refusal(Judgement(next(iter(screening.hidden.values()))))
        return PageView(screening.page, expires)

    def _keep_verdicts(self, index: Index, project: str, verdicts: _Verdicts) -> None:
        key = (index.name, project)
        self._verdicts[key] = verdicts
        self._verdicts.move_to_end(key)
        if len(self._verdicts) > CACHED_VERDICTS:
            self._verdicts.popitem(last=False)

    async def explain_hidden(self, index: Index, project: str, version: str) -> None:
        """Raise the policy's refusal when the listing left ``version`` out (so asking for
        a held-back version by number says why, instead of 'no such version')."""
        held = await self._current_verdicts(index, project)
        decision = held.hidden.get(version) if held is not None else None
        if decision is not None:
            raise refusal(Judgement(decision))

    async def _refusal(self, index: Index, project: str, filename: str) -> Judgement | None:
        """The policy's refusal of a download, from the page's verdicts (screened now if
        this worker has none for the current page version)."""
        held = await self._current_verdicts(index, project)
        return held.refusals.get(filename.removesuffix(METADATA_SUFFIX)) if held else None

    async def _current_verdicts(self, index: Index, project: str) -> _Verdicts | None:
        held = self._verdicts.get((index.name, project))
        if held is None or held.token != self.page_token(index, project) or (
            held.expires_at is not None and held.expires_at <= self._clock.now()
        ):
            try:
                await self.page(index, project)
            except NotFoundError:
                return None
            held = self._verdicts.get((index.name, project))
        return held

    async def _page(self, index: Index, project: str) -> PageView:
        if index.kind is IndexKind.GROUP:
            return await self._group_page(index, project)
        view = await self._member_page(index, project)
        if view is None:
            raise not_found(index, project)
        return view

    async def _member_page(self, index: Index, project: str) -> PageView | None:
        if index.kind is IndexKind.HOSTED:
            page = await self._hosted_page(index, project)
            return PageView(page) if page is not None else None
        found = await self._proxy.entries(index, project)
        if found is None:
            return None
        entries, listing = found
        details = self._formats[index.format].upstream.details(listing.document.body, project)
        versions, metadata = details.versions, details.release_metadata
        if listing.stale:
            # Upstream is unreachable: offer only what can be installed from the cache, so a
            # resolver picks a cached version instead of failing half-way through.
            cached = {a.filename for a in await self._store.list_artifacts(index.name, project)}
            entries = [e for e in entries if e.filename in cached]
            kept = {e.version for e in entries}
            versions = tuple(v for v in versions if v in kept)
            metadata = {v: m for v, m in metadata.items() if v in kept}
        page = ProjectPage(
            index=index.name,
            name=project,
            display_name=details.display_name,
            files=tuple(entries),
            versions=versions,
            status=details.status,
            status_reason=details.status_reason,
            stale=listing.stale,
            release_metadata=metadata,
            tags=details.tags,
            extra=details.extra,
        )
        return PageView(page, self._proxy.fresh_until(listing.document))

    async def _hosted_page(self, index: Index, project: str) -> ProjectPage | None:
        if not await self._lookup.holds(index.name, project):  # remembered: no query
            return None
        info = await self._store.get_project(index.name, project)
        if info is None:
            return None
        releases = {r.version: r for r in await self._store.list_releases(index.name, project)}
        artifacts = await self._store.list_artifacts(index.name, project)
        quarantined = info.status is ProjectStatus.QUARANTINED
        entries = () if quarantined else tuple(
            hosted_entry(a, releases[a.version].yanked_reason if releases[a.version].yanked
                         else None)
            for a in artifacts if a.version in releases
        )
        return ProjectPage(
            index=index.name,
            name=project,
            display_name=info.display_name,
            files=entries,
            versions=tuple(releases),
            status=info.status,
            status_reason=info.status_reason,
            release_metadata={v: r.metadata for v, r in releases.items()},
            tags=await self._store.list_tags(index.name, project),
        )

    async def _group_page(self, group: Index, project: str) -> PageView:
        members = [m for m in [await self._indexes.find(n) for n in group.members] if m]
        shadowed = await self._shadowed(group, members, project)
        files: dict[str, FileEntry] = {}
        versions: dict[str, None] = {}
        metadata: dict[str, Mapping[str, Any]] = {}
        tags: dict[str, str] = {}
        first: ProjectPage | None = None
        expires: datetime | None = None
        stale = False
        failure: UpstreamError | None = None
        for member in members:
            if member.kind is IndexKind.PROXY and shadowed:
                continue
            try:
                view = await self._member_page(member, project)
            except UpstreamError as exc:
                failure = exc
                continue
            if view is None:
                continue
            first = first or view.page
            stale = stale or view.page.stale
            if view.expires_at is not None:
                expires = min(expires, view.expires_at) if expires else view.expires_at
            for entry in view.page.files:
                files.setdefault(entry.filename, entry)
            versions.update(dict.fromkeys(view.page.versions))
            for version, data in view.page.release_metadata.items():
                metadata.setdefault(version, data)
            for tag, version in view.page.tags.items():
                tags.setdefault(tag, version)
        if first is None:
            if failure is not None:
                raise failure
            raise not_found(group, project)
        page = ProjectPage(
            index=group.name,
            name=project,
            display_name=first.display_name,
            files=tuple(files.values()),
            versions=tuple(versions),
            status=first.status,
            status_reason=first.status_reason,
            stale=stale,
            release_metadata=metadata,
            tags=tags,
            extra=first.extra,
        )
        return PageView(page, expires)

    async def _shadowed(self, group: Index, members: list[Index], project: str) -> bool:
        """True when the group must not serve upstream releases of ``project`` (the
        dependency-confusion guard; in ``warn`` mode it is logged and they are served)."""
        mode = self._policy.book.confusion
        if mode is Mode.OFF:
            return False
        hidden = hides_upstream(
            project,
            hosted_holds=await self._hosted_holds(members, project),
            trust_patterns=group.trust_upstream,
        )
        if hidden and mode is Mode.WARN:
            log.warning("%s: a hosted name, served from upstream too (%s in warn mode)",
                        project, shadowing.RULE_ID)
            return False
        return hidden

    async def hosted_names(self, index: Index, projects: list[str]) -> set[str]:
        """Those of ``projects`` (normalised) that a hosted index among ``index`` and its
        members holds: the private names, which must not be sent upstream in queries."""
        if index.kind is IndexKind.HOSTED:
            members = [index]
        else:
            members = [m for m in [await self._indexes.find(n) for n in index.members] if m]
        held = set()
        for project in {self.normalize(index, p) for p in projects}:
            if await self._hosted_holds(members, project):
                held.add(project)
        return held

    async def _hosted_holds(self, members: list[Index], project: str) -> bool:
        for member in members:
            if member.kind is IndexKind.HOSTED and await self._lookup.holds(member.name, project):
                return True
        return False

    async def projects(self, index: Index) -> list[tuple[str, str]]:
        """(normalised, display) names of the projects an index lists, sorted."""
        names: dict[str, str] = {}
        for member in [await self._indexes.find(n) for n in members_of(index)]:
            if member is None:
                continue
            if member.kind is IndexKind.HOSTED:
                for project in await self._store.list_projects(member.name):
                    names.setdefault(project.name, project.display_name)
            else:
                for name in await self._store.list_upstream_projects(member.name):
                    names.setdefault(name, name)
        return sorted(names.items())

    async def download(
        self, index: Index, project: str, filename: str, principal: Principal,
        client: Client | None = None, *, whole: bool = True, streamed: bool = True,
    ) -> FileSource:
        """A file to send, once the policy allows it. A ``whole`` file (not a HEAD, not a
        partial read) is audited: who pulled what. Unless ``streamed`` (a GET of the whole
        file, no range), a file not cached yet is fetched and kept before it is sent."""
        refused = await self._refusal(index, project, filename)
        await self._policy.check_download(refused, index, project, filename, principal, client)
        source = await self.open_file(index, project, filename)
        if isinstance(source, StreamedFile) and source.size is not None:
            # A first fetch from upstream: the listing may not have said the size (npm's
            # never does); upstream says it now, before any byte is stored or sent.
            try:
                await self._policy.check_size(index, project, filename, source.size,
                                              principal, client)
            except PolicyDeniedError:
                await source.chunks.aclose()
                raise
        if not streamed:
            source = await self._proxy.fetched(source)
        if whole:
            await self.note_download(index, project, filename, principal, client)
        return source

    async def note_download(
        self, index: Index, project: str, filename: str, principal: Principal,
        client: Client | None,
    ) -> None:
        """Enter a whole download in the audit trail: who pulled what (a metadata document
        is not a download)."""
        noter = self.download_noter(index, project, filename, principal)
        if noter is not None:
            await noter(client)

    def download_noter(
        self, index: Index, project: str, filename: str, principal: Principal,
    ) -> Callable[[Client | None], Awaitable[None]] | None:
        """``note_download`` for one file and caller, ready for the clients that will
        download it again (None for a metadata document, which is not a download)."""
        if filename.endswith(METADATA_SUFFIX):
            return None
        return self._audit.recurring(
            "artifact.download", principal, index=index.name, project=project,
            version=self._formats[index.format].version_of(project, filename),
            filename=filename,
        )

    def verdicts_expire(self, index: Index, project: str) -> datetime | None:
        """When the download verdicts this worker holds for the project's page run out
        (None: they change only with the page token)."""
        held = self._verdicts.get((index.name, project))
        return held.expires_at if held is not None else None

    async def open_file(self, index: Index, project: str, filename: str) -> FileSource:
        """A file of a project, resolved through groups with the same shadowing as pages
        (no policy check: ``download`` is the way in for clients)."""
        if index.kind is IndexKind.HOSTED:
            return await self._hosted_file(index, project, filename)
        if index.kind is IndexKind.PROXY:
            return await self._proxy.open_file(index, project, filename)
        members = [m for m in [await self._indexes.find(n) for n in index.members] if m]
        shadowed = await self._shadowed(index, members, project)
        for member in members:
            if member.kind is IndexKind.PROXY and shadowed:
                continue
            try:
                return await self.open_file(member, project, filename)
            except NotFoundError:
                continue
        raise NotFoundError(
            f"'{filename}' is not a file of '{project}' in '{index.name}'.",
            hint="Check the file name against the project page."
            + (" Upstream files of this name are hidden by a hosted project." if shadowed
               else ""),
        )

    async def _hosted_file(self, index: Index, project: str, filename: str) -> StoredFile:
        """A stored file, or (for ``<file>.metadata``) its extracted metadata document."""
        dist = filename.removesuffix(METADATA_SUFFIX)
        artifact = await self._lookup.artifact(index.name, project, dist)
        if artifact is None:
            raise NotFoundError(
                f"'{dist}' is not a file of '{project}' in '{index.name}'.",
                hint="Check the file name against the project page.",
            )
        if dist == filename:
            return self._proxy.stored(artifact)
        sha = artifact.metadata_sha256
        if sha is None:
            raise NotFoundError(f"'{dist}' has no metadata document in '{index.name}'.")
        return StoredFile(filename, sha, -1, self._blobs.local_path(sha))


def hosted_entry(artifact: Artifact, yanked: str | None) -> FileEntry:
    return FileEntry(
        filename=artifact.filename,
        version=artifact.version,
        url=f"files/{artifact.project}/{artifact.filename}",
        sha256=artifact.sha256,
        size=artifact.size,
        uploaded_at=artifact.uploaded_at,
        yanked=yanked,
        digests=artifact.digests,
        metadata_sha256=artifact.metadata_sha256,
        has_metadata=artifact.metadata_sha256 is not None,
        attrs=artifact.attrs,
        source=artifact.index,
    )


def members_of(index: Index) -> tuple[str, ...]:
    return index.members if index.kind is IndexKind.GROUP else (index.name,)


def not_found(index: Index, project: str) -> NotFoundError:
    return NotFoundError(
        f"No project '{project}' in index '{index.name}'.",
        hint="Check the spelling; names are matched in normalised form.",
    )
