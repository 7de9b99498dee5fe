"""Cache-through reads of an upstream registry (DESIGN.md section 5).

Listings: served from the cached copy inside the freshness window; past it, revalidated
with a conditional request; on upstream failure the stale copy is served (and flagged).
A "not found" is remembered briefly. Concurrent misses make one upstream request (one lock
per key, shared by all workers).

Files: streamed to the client while written to the blob store; the digest is checked
against upstream's before the file is kept, and the last chunk is held back until then, so
a client never receives a whole file that failed the check. A HEAD or a ranged read of a
file not cached yet is answered from the store once the file is kept (``fetched``), as a
cached file is: with its size, validators and byte ranges.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, aclosing, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio

from wharf.core.errors import (
    NotFoundError,
    PolicyDeniedError,
    UpstreamError,
    UpstreamIntegrityError,
)
from wharf.core.models import (
    METADATA_SUFFIX,
    Artifact,
    FileEntry,
    Index,
    Origin,
    UpstreamDocument,
)
from wharf.core.ports import (
    BlobStore,
    BlobWriter,
    ChangeStamps,
    Clock,
    Locks,
    MetadataStore,
    Upstream,
)
from wharf.formats.base import FetchStatus, Format, RemoteFile, UpstreamFetch
from wharf.policy import withdrawals
from wharf.policy.decisions import Mode
from wharf.services.lookup import ArtifactLookup
from wharf.services.stamping import touch_files, touch_project

log = logging.getLogger(__name__)


HANDED_OVER = 4
"""Listings just fetched that a worker holds for the page build that follows (and drops
once read): a cold npm install took 15% more CPU reading every packument back from the
database right after fetching it. A few, not all: a burst of 42 cold pages fetches them
all before their builds run, two at a time."""

CONCURRENT_FETCHES = 8
"""Upstream listings a worker has in hand at once, from the request until stored: a cold
install that asks for 42 pages at once had 42 bodies arriving, parsed and waiting for
their database write side by side, and the worker's heap kept the size they grew it to
(150-161 MB after a cold npm then a cold uv install of the benchmark corpus; 124-138 MB
with this bound, 124 MB with 2, no install slower). Eight in flight still outpace what one
worker parses with upstream 100 ms away, and spare upstream a burst."""

CONCURRENT_DIGESTS = 2
"""Of those, the listings being parsed and stored at once: a parsed listing is many times
its size in objects (15 MB for pydantic-core's 7 MB page), and the parse is CPU work on the
event loop, so more at once finish none sooner."""


@dataclass(frozen=True, slots=True)
class Listing:
    document: UpstreamDocument
    stale: bool = False


@dataclass(frozen=True, slots=True)
class StoredFile:
    filename: str
    sha256: str
    size: int
    path: Path | None


@dataclass(slots=True)
class Keeping:
    """Where a streamed file is kept once its last byte is checked and stored."""

    stored: StoredFile | None = None


@dataclass(frozen=True, slots=True)
class StreamedFile:
    filename: str
    size: int | None
    chunks: AsyncGenerator[bytes, None]
    """Closing it early (``aclose``) releases the upstream response, the file lock and
    the unfinished blob."""
    keeping: Keeping = field(default_factory=Keeping)


FileSource = StoredFile | StreamedFile


@dataclass(frozen=True, slots=True)
class Freshness:
    positive: timedelta
    negative: timedelta


class ProxyService:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        stamps: ChangeStamps,
        locks: Locks,
        upstream: Upstream,
        formats: Mapping[str, Format],
        clock: Clock,
        freshness: Freshness,
        lookup: ArtifactLookup,
        *,
        admit: Callable[[Index, str], Awaitable[None]] | None = None,
        withdrawals: Callable[[str], Mode] | None = None,
    ) -> None:
        self._admit = admit
        """The policy's ingest check, before upstream is first asked for a name."""
        self._withdrawals = withdrawals
        """The mode of the upstream-withdrawal rule for an index (enforce without one)."""
        self._lookup = lookup
        self._store = store
        self._blobs = blobs
        self._stamps = stamps
        self._locks = locks
        self._upstream = upstream
        self._formats = formats
        self._clock = clock
        self._freshness = freshness
        self._fetching = anyio.Semaphore(CONCURRENT_FETCHES)
        self._digesting = anyio.Semaphore(CONCURRENT_DIGESTS)
        self._handed: OrderedDict[tuple[str, str], UpstreamDocument] = OrderedDict()
        """Listings just fetched, for the page build that reads them next (once)."""
        self._fresh: dict[tuple[str, str], datetime] = {}
        """Until when this worker last saw each listing fresh: lets ``refresh`` skip the
        database for a listing known to be current."""

    def fresh_until(self, document: UpstreamDocument) -> datetime:
        return self._fresh_until(document.found, document.fetched_at)

    def _fresh_until(self, found: bool, fetched_at: datetime) -> datetime:
        return fetched_at + (self._freshness.positive if found else self._freshness.negative)

    async def refresh(self, index: Index, project: str) -> None:
        """Bring the project's upstream listing up to date, so that whatever is built from
        it next (a page, download verdicts) is built from the listing it will be served
        with, under the change token that listing set. Upstream failures are left to the
        build, which serves the stale copy or says why there is none."""
        until = self._fresh.get((index.name, project))
        if until is not None and until > self._clock.now():
            return
        with suppress(UpstreamError):
            await self.listing(index, project)

    async def listing(self, index: Index, project: str) -> Listing | None:
        """The cached upstream listing of a project, refreshed as needed; None if upstream
        does not have it.

        Listings are read back from the database, not kept in memory, but for the few just
        fetched whose page build has yet to read them (``HANDED_OVER``): the big ones of an
        install (pydantic-core's 15,000 files parse to 15 MB) were what a worker's memory
        grew by and kept, its allocator unable to give the space back. Downloads read one
        entry of a stored listing's text instead (``_remote``). After a cold npm and a cold
        uv install of the benchmark corpus the server held 160-173 MB with listings kept
        for a minute, 137-148 MB with none kept."""
        handed = self._handed.pop((index.name, project), None)
        if handed is not None and self.fresh_until(handed) > self._clock.now():
            return self._seen(handed)
        document = await self._store.get_upstream_document(index.name, project)
        if document is not None and self.fresh_until(document) > self._clock.now():
            return self._seen(document)
        async with self._locks.hold(f"listing:{index.name}/{project}"):
            # Whoever held the lock before may have just fetched it.
            document = await self._store.get_upstream_document(index.name, project)
            if document is not None and self.fresh_until(document) > self._clock.now():
                return self._seen(document)
            listing = await self._refresh(index, project, document)
            if listing is not None and not listing.stale:
                self._seen(listing.document)
                self._handed[(index.name, project)] = listing.document
                while len(self._handed) > HANDED_OVER:
                    self._handed.popitem(last=False)
            return listing

    def _seen(self, document: UpstreamDocument) -> Listing | None:
        if len(self._fresh) >= 65536:
            self._fresh.clear()
        self._fresh[(document.index, document.project)] = self.fresh_until(document)
        return Listing(document) if document.found else None

    async def _refresh(
        self, index: Index, project: str, cached: UpstreamDocument | None
    ) -> Listing | None:
        adapter = self._formats[index.format].upstream
        known = cached if cached is not None and cached.found else None
        if cached is None and self._admit is not None:
            await self._admit(index, project)
        try:
            async with self._fetching:
                reply = await adapter.request(
                    self._upstream,
                    index.upstream or "",
                    project,
                    etag=known.etag if known else None,
                    last_modified=known.last_modified if known else None,
                )
                async with self._digesting:
                    if isinstance(reply, UpstreamFetch):
                        fetched = reply
                    else:
                        fetched = adapter.parse(reply, project)
                        del reply  # the parsed listing replaces the bytes
                    return await self._digest(index, project, fetched, known)
        except UpstreamError:
            if known is not None:
                return Listing(known, stale=True)
            raise

    async def _digest(
        self, index: Index, project: str, fetched: UpstreamFetch, known: UpstreamDocument | None
    ) -> Listing | None:
        """Store what upstream answered and follow it (withdrawn files, change stamps)."""
        now = self._clock.now()
        if fetched.status is FetchStatus.NOT_MODIFIED and known is not None:
            document = UpstreamDocument(
                index.name, project, now, True, known.body, known.etag, known.last_modified
            )
            await self._store.put_upstream_document(document)
            return Listing(document)
        if fetched.status is FetchStatus.OK and fetched.body is not None:
            document = UpstreamDocument(
                index.name, project, now, True, fetched.body, fetched.etag, fetched.last_modified
            )
        else:
            document = UpstreamDocument(index.name, project, now, False)
        await self._store.put_upstream_document(document)
        await self._follow_withdrawals(index, project, document)
        touch_project(self._stamps, index.name, project)
        return Listing(document) if document.found else None

    async def _follow_withdrawals(
        self, index: Index, project: str, document: UpstreamDocument
    ) -> None:
        """Mark cached files upstream no longer offers (and unmark any offered again)."""
        cached = await self._store.list_artifacts(index.name, project)
        if not cached:
            return
        listed: set[str] | None = None
        if document.found:
            adapter = self._formats[index.format].upstream
            listed = {e.filename for e in adapter.entries(document.body, index.name)}
        gone, back = withdrawals.changed_files(cached, listed)
        await self._store.set_withdrawn(index.name, project, gone, document.fetched_at)
        await self._store.set_withdrawn(index.name, project, back, None)
        if gone or back:
            touch_files(self._stamps, index.name, project)

    async def entries(self, index: Index, project: str) -> tuple[list[FileEntry], Listing] | None:
        listing = await self.listing(index, project)
        if listing is None:
            return None
        adapter = self._formats[index.format].upstream
        return adapter.entries(listing.document.body, index.name), listing

    async def _remote(self, index: Index, project: str, filename: str) -> RemoteFile | None:
        """Where upstream serves one file of the project: its entry, found in the stored
        text of the listing and decoded alone (decoding a listing of thousands of files,
        7 MB of JSON for pydantic-core, is what a page build does, not a download). A
        listing stored before its format wrote entries that way is decoded whole."""
        adapter = self._formats[index.format].upstream
        stored = await self._store.get_upstream_text(index.name, project)
        if stored is not None and stored.found and self._fresh_until(
                stored.found, stored.fetched_at) > self._clock.now():
            remote = adapter.locate_in_text(stored.text, project, filename)
            if remote is not None:
                return remote
        listing = await self.listing(index, project)
        return adapter.locate(listing.document.body, filename) if listing else None

    async def open_file(self, index: Index, project: str, filename: str) -> FileSource:
        """A cached file, or a stream that fetches, checks and caches it."""
        artifact = await self._lookup.artifact(index.name, project, filename)
        if artifact is not None:
            return self.cached(index, artifact)
        stack = AsyncExitStack()
        await stack.enter_async_context(self._locks.hold(f"file:{index.name}/{filename}"))
        try:
            # Those who waited for the lock find the file stored, without looking it up.
            artifact = await self._lookup.artifact(index.name, project, filename)
            if artifact is not None:
                await stack.aclose()
                return self.cached(index, artifact)
            remote = await self._remote(index, project, filename)
            if remote is None:
                raise NotFoundError(
                    f"'{filename}' is not a file of '{project}' in '{index.name}'.",
                    hint="Check the file name against the project page.",
                )
            response = await stack.enter_async_context(self._upstream.stream(remote.url))
            if response.status != 200:
                raise UpstreamError(
                    f"Upstream answered {response.status} for {filename}.",
                    hint="Try again later; the file is not cached yet.",
                )
        except BaseException:
            await stack.aclose()
            raise
        size = remote.size or _content_length(response.headers)
        keeping = Keeping()
        chunks = self._relay(index, project, remote, response.iter_bytes(), stack, keeping)
        return StreamedFile(filename, size, chunks, keeping)

    async def fetched(self, source: FileSource) -> StoredFile:
        """``source`` as a stored file: a stream from upstream is read to its end, sent
        nowhere, and kept. For a HEAD or a ranged read of a file not cached yet: uv reads
        a wheel's metadata from the end of the file by ranges when the page does not offer
        the metadata document, and a server that answers such reads with a stream of the
        whole file makes it take every wheel twice."""
        if isinstance(source, StoredFile):
            return source
        async with aclosing(source.chunks) as chunks:
            async for _ in chunks:
                pass
        stored = source.keeping.stored
        assert stored is not None  # the relay raises rather than end without keeping it
        return stored

    async def _relay(
        self,
        index: Index,
        project: str,
        remote: RemoteFile,
        source: AsyncIterator[bytes],
        stack: AsyncExitStack,
        keeping: Keeping,
    ) -> AsyncGenerator[bytes, None]:
        writer = self._blobs.writer()
        hashers = {name: hashlib.new(name) for name in remote.digests}
        held: bytes | None = None
        try:
            async for chunk in source:
                if not chunk:
                    continue
                await writer.write(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
                if held is not None:
                    yield held
                held = chunk
            check_digests(remote, hashers, writer.sha256)
            if held is not None:
                # Every byte is checked: the client may have the last one before the blob
                # is made durable (fsyncs of the file and its directories) and recorded,
                # which then goes on whether or not the client stays for the end.
                with suppress(GeneratorExit):  # a client gone after the last byte
                    yield held
            with anyio.CancelScope(shield=True):
                keeping.stored = await self._keep(index, project, remote, writer, hashers)
        except BaseException:
            await writer.abort()
            raise
        finally:
            await stack.aclose()

    async def _keep(
        self, index: Index, project: str, remote: RemoteFile, writer: BlobWriter,
        hashers: Mapping[str, Any],
    ) -> StoredFile:
        """Make a relayed file's blob durable, then record it (blob first, metadata after)."""
        info = await writer.commit(expected_sha256=remote.sha256)
        artifact = Artifact(
            index=index.name,
            project=project,
            version=remote.version,
            filename=remote.filename,
            sha256=info.sha256,
            size=info.size,
            uploaded_at=self._clock.now(),
            kind="metadata" if remote.filename.endswith(METADATA_SUFFIX) else "",
            origin=Origin.CACHED,
            digests={name: h.hexdigest() for name, h in hashers.items()},
            attrs={"upstream_url": remote.url},
        )
        added = await self._store.add_artifact(artifact, display_name=project,
                                               release_metadata={})
        touch_files(self._stamps, index.name, project)
        return self.stored(added.artifact)

    def cached(self, index: Index, artifact: Artifact) -> StoredFile:
        """A cached file, unless upstream withdrew it and no administrator pinned it."""
        mode = self._withdrawals(index.name) if self._withdrawals else Mode.ENFORCE
        if withdrawals.blocks_download(artifact) and mode is not Mode.OFF:
            if mode is Mode.WARN:
                log.warning("serving %s, withdrawn upstream (upstream-withdrawal in warn mode)",
                            artifact.filename)
                return self.stored(artifact)
            when = artifact.withdrawn_at.date().isoformat() if artifact.withdrawn_at else ""
            raise PolicyDeniedError(
                f"'{artifact.filename}' was withdrawn upstream (noticed {when}); the cached "
                f"copy is kept for audit but not served from '{index.name}'.",
                rule=withdrawals.RULE_ID,
                hint="Move to a version upstream still offers, or ask an administrator to "
                f"allow this file: wharf pin {index.name} {artifact.filename}",
            )
        return self.stored(artifact)

    def stored(self, artifact: Artifact) -> StoredFile:
        return StoredFile(
            artifact.filename, artifact.sha256, artifact.size,
            self._blobs.local_path(artifact.sha256),
        )


def check_digests(remote: RemoteFile, hashers: Mapping[str, Any], sha256: str) -> None:
    """Raise before the last byte goes out when a digest upstream vouches for (its sha256,
    and any other its listing gives) does not match the bytes relayed."""
    vouched = {name: (hasher.hexdigest(), remote.digests[name])
               for name, hasher in hashers.items()}
    if remote.sha256:
        vouched["sha256"] = (sha256, remote.sha256)
    for name, (actual, wanted) in vouched.items():
        if actual != wanted.lower():
            raise UpstreamIntegrityError(
                f"Upstream sent {remote.filename} with a {name} that does not match its "
                "listing; the file was not kept.",
                hint="Try again later; if it persists, the upstream copy is corrupt.",
            )


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None
