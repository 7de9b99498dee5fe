"""Rendered pages kept in memory per worker, so a warm page costs no database work and no
rendering: bytes + a strong ETag, valid while the page's change token stays the same and,
for proxy-derived pages, until upstream freshness runs out.

A big page is also kept gzip-compressed, made once when the page is built (in a worker
thread, so a tens-of-MB packument does not stall the event loop) and served to every
client that accepts gzip: npm, pnpm, yarn, pip and uv all do. Only gzip: uv and pnpm also
offer zstd, but no zstd (or brotli) codec is installed and gzip already takes the bulk.

With a directory, pages of ``DISK_MIN_BYTES`` or more go to the disk tier instead
(``page_files``): written once for all workers, sent zero-copy, and kept in memory only as
a small record of where they are.
"""

from __future__ import annotations

import gzip
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import anyio
import anyio.to_thread

from wharf.core.ports import Clock
from wharf.services.page_files import DEFAULT_MAX_BYTES, PageDirectory, PageFiles, StoredPage

log = logging.getLogger(__name__)

GZIP_LEVEL = 6
"""Measured on a 20 MB full packument (12,000 versions) and a 9 MB simple HTML page
(20,000 files): level 1 gave 20.2% / 23.5% of the original in 93 / 47 ms, level 6 15.0% /
21.4% in 175 / 129 ms, level 9 14.7% / 21.1% in 360 / 214 ms. A page is compressed once
and sent many times, so 6 is worth its time over 1; 9 doubles it for under 2% more."""

MIN_COMPRESS_BYTES = 1024
"""Smaller bodies are sent as they are: with the response headers they fit in one TCP
segment (about 1,460 bytes) either way, so compressing saves no round trip, only adds the
client's decoding and a second copy in the cache."""

MAX_GZIP_RATIO = 0.9
"""A variant that is not at least this much smaller is not worth keeping."""

DISK_MIN_BYTES = 64 << 10
"""Identity bodies this big or bigger go to disk. Below it a page costs little everywhere:
the 64 MiB LRU holds close to a thousand of them per worker, gzip takes under half a
millisecond (60 KB of packument JSON, level 6), and sending it from memory is one write of
a buffer Python already holds, while a file costs an open and a stat per request (and a
write, an fsync and a rename once). Above it the copies per worker start to count (the big
pages are the ones of tens of MB), and the server sending the file itself (pathsend)
beats pushing the bytes through Python."""

CONCURRENT_BUILDS = 2
"""Pages a worker builds at once. Building is CPU work on one thread (parse the upstream
listing, screen it, render, compress), so interleaving more of them finishes none sooner,
while each holds its parsed listing (tens of MB for a project of 15,000 files) until it
is done: a cold install asking for 40 pages at once made the worker hold all of them at
the same time, and the heap it grew to was not given back. Upstream fetches happen before
the build (``get_current``'s refresh) and are not limited."""

FILE_RECORD_BYTES = 512
"""What a page on disk takes in memory, roughly: its record (paths, sizes, tags), counted
against the LRU's budget so that records too are bounded."""


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    etag: str
    stale: bool = False
    """Built from an upstream copy that could not be revalidated."""
    gzip: bytes | None = None
    """``body`` gzip-compressed, when worth it (see ``compressed``)."""
    files: PageFiles | None = None
    """Where the page's variants are on disk; then ``body`` is empty and ``gzip`` None."""
    expires_at: datetime | None = None
    """When the cache stops serving it (proxy freshness, a policy deadline); set by the
    cache, so that what sits in front of it can honour the same deadline."""

    @property
    def gzip_etag(self) -> str | None:
        """The gzip variant's own strong ETag: a different representation needs a
        different tag, or a cache could answer a gzip request with identity bytes."""
        if self.gzip is None and (self.files is None or self.files.gzip is None):
            return None
        return variant_etag(self.etag, "gz")

    @property
    def size(self) -> int:
        """The bytes this page holds in memory, every variant counted."""
        held = len(self.body) + (len(self.gzip) if self.gzip is not None else 0)
        return held + (FILE_RECORD_BYTES if self.files is not None else 0)


def variant_etag(etag: str, suffix: str) -> str:
    """``"abc"`` -> ``"abc-gz"`` (the suffix goes inside the quotes; ``W/`` is kept)."""
    if etag.endswith('"'):
        return f'{etag[:-1]}-{suffix}"'
    return f"{etag}-{suffix}"


def compress(body: bytes) -> bytes | None:
    """The gzip form of ``body``, or None when the body is too small or barely shrinks.
    Deterministic (no timestamp in the header), so a rebuild yields the same bytes."""
    if len(body) < MIN_COMPRESS_BYTES:
        return None
    packed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return packed if len(packed) <= len(body) * MAX_GZIP_RATIO else None


async def compressed(rendered: Rendered) -> Rendered:
    """``rendered`` with its gzip variant, compressed in a worker thread (zlib releases the
    GIL, so other requests keep being served meanwhile)."""
    if (rendered.gzip is not None or rendered.files is not None
            or len(rendered.body) < MIN_COMPRESS_BYTES):
        return rendered
    packed = await anyio.to_thread.run_sync(compress, rendered.body)
    return rendered if packed is None else replace(rendered, gzip=packed)


@dataclass(frozen=True, slots=True)
class _Entry:
    token: Hashable
    expires_at: datetime | None
    rendered: Rendered


class PageCache:
    """An LRU of rendered pages bounded by total bytes (both variants of each page); with a
    directory, big pages live on disk, shared by every worker, and the LRU holds only
    their records."""

    def __init__(
        self,
        clock: Clock,
        max_bytes: int = 64 << 20,
        directory: Path | None = None,
        max_disk_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._clock = clock
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._disk = PageDirectory(directory, max_disk_bytes) if directory is not None else None
        self._builds = anyio.Semaphore(CONCURRENT_BUILDS)

    @property
    def bytes_held(self) -> int:
        """What the cached pages take in memory, every variant counted."""
        return self._bytes

    async def get(
        self,
        key: Hashable,
        token: Hashable,
        build: Callable[[], Awaitable[tuple[Rendered, datetime | None]]],
    ) -> Rendered:
        """The cached page for ``key`` if still valid for ``token``, else one another
        worker stored on disk, else a fresh build (compressed here, once, so every later
        hit finds its gzip variant ready)."""
        found = self._held(key, token)
        if found is not None:
            return found
        async with self._builds:
            found = self._held(key, token)  # built by another request while this one waited
            if found is not None:
                return found
            return await self._build(key, token, build)

    async def get_current(
        self,
        key: Hashable,
        token_of: Callable[[], Hashable],
        build: Callable[[], Awaitable[tuple[Rendered, datetime | None]]],
        refresh: Callable[[], Awaitable[None]],
    ) -> tuple[Rendered, Hashable]:
        """Like ``get`` for a page whose sources may need refreshing first (an upstream
        listing past its freshness): on a miss, ``refresh`` runs before the token is read
        again and the page built, so the page is kept under the token it was built from
        and the next request finds it. Returns the page and that token."""
        token = token_of()
        found = self._held(key, token)
        if found is not None:
            return found, token
        await refresh()
        token = token_of()
        return await self.get(key, token, build), token

    def _held(self, key: Hashable, token: Hashable) -> Rendered | None:
        entry = self._entries.get(key)
        if entry is not None and entry.token == token and self._current(entry.expires_at) and (
            entry.rendered.files is None or self._on_disk(entry.rendered.files)
        ):
            self._entries.move_to_end(key)
            return entry.rendered
        if self._disk is not None:
            stored = self._disk.load(self._disk.name_of(key, token), self._clock.now())
            if stored is not None:
                rendered = replace(_from_disk(stored), expires_at=stored.expires_at)
                self._put(key, _Entry(token, stored.expires_at, rendered))
                return rendered
        return None

    async def _build(
        self,
        key: Hashable,
        token: Hashable,
        build: Callable[[], Awaitable[tuple[Rendered, datetime | None]]],
    ) -> Rendered:
        name = self._disk.name_of(key, token) if self._disk is not None else None
        rendered, expires_at = await build()
        if name is not None and len(rendered.body) >= DISK_MIN_BYTES and self._current(expires_at):
            rendered = await self._store(name, rendered, expires_at)
        rendered = replace(await compressed(rendered), expires_at=expires_at)
        self._put(key, _Entry(token, expires_at, rendered))
        return rendered

    def present(self, rendered: Rendered) -> bool:
        """Whether a page this cache returned can still be sent as it is: always for one
        in memory; for one on disk, while its files are there whole (marking them used,
        so a page served only from a memo in front of the cache is not swept as idle)."""
        return rendered.files is None or self._on_disk(rendered.files)

    def _current(self, expires_at: datetime | None) -> bool:
        return expires_at is None or expires_at > self._clock.now()

    def _on_disk(self, files: PageFiles) -> bool:
        assert self._disk is not None
        return self._disk.present(files)

    async def _store(self, name: str, rendered: Rendered, expires_at: datetime | None) -> Rendered:
        """``rendered`` written to disk (and compressed) in a worker thread; as it is when
        the disk refuses (full, read-only): the page is then served from memory."""
        disk = self._disk
        assert disk is not None
        try:
            stored = await anyio.to_thread.run_sync(
                disk.store, name, rendered.body, rendered.etag, rendered.stale, expires_at,
                compress,
            )
        except OSError as error:
            log.warning("Could not write the page %s under %s: %s", name, disk.root, error)
            return rendered
        return _from_disk(stored)

    def _put(self, key: Hashable, entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.rendered.size
        if entry.rendered.size > self._max_bytes // 4:
            return
        self._entries[key] = entry
        self._bytes += entry.rendered.size
        while self._bytes > self._max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.rendered.size


def _from_disk(stored: StoredPage) -> Rendered:
    return Rendered(b"", stored.etag, stored.stale, files=stored.files)
