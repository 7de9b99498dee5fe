"""Rendered pages kept in memory per worker, so a warm page costs no database work and no
rendering: bytes + a strong ETag, valid while the page's change token stays the same and,
for proxy-derived pages, until upstream freshness runs out."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from wharf.core.ports import Clock


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    etag: str
    stale: bool = False
    """Built from an upstream copy that could not be revalidated."""


@dataclass(frozen=True, slots=True)
class _Entry:
    token: Hashable
    expires_at: datetime | None
    rendered: Rendered


class PageCache:
    """An LRU of rendered pages bounded by total bytes."""

    def __init__(self, clock: Clock, max_bytes: int = 64 << 20) -> None:
        self._clock = clock
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()

    async def get(
        self,
        key: Hashable,
        token: Hashable,
        build: Callable[[], Awaitable[tuple[Rendered, datetime | None]]],
    ) -> Rendered:
        """The cached page for ``key`` if still valid for ``token``, else a fresh build."""
        entry = self._entries.get(key)
        if entry is not None and entry.token == token and (
            entry.expires_at is None or entry.expires_at > self._clock.now()
        ):
            self._entries.move_to_end(key)
            return entry.rendered
        rendered, expires_at = await build()
        self._put(key, _Entry(token, expires_at, rendered))
        return rendered

    def _put(self, key: Hashable, entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.rendered.body)
        if len(entry.rendered.body) > self._max_bytes // 4:
            return
        self._entries[key] = entry
        self._bytes += len(entry.rendered.body)
        while self._bytes > self._max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.rendered.body)
