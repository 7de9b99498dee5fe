"""A scripted ``Upstream`` port for integration tests: answers from a table, counts
requests, and can be switched off. Also a settable clock, the real services over a
temporary data directory with a Python proxy, hosted and group index on that upstream,
and a counter of the store's reads of cached listings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wharf.bootstrap import build_services
from wharf.config.loader import load_settings
from wharf.core.errors import UpstreamError
from wharf.core.models import Index, IndexKind
from wharf.core.ports import UpstreamReply
from wharf.services.container import Services


@dataclass
class Stream:
    status: int
    headers: dict[str, str]
    body: bytes

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 4096):
            await asyncio.sleep(0)
            yield self.body[start : start + 4096]


@dataclass
class ScriptedUpstream:
    """An ``Upstream`` port answering from a table, counting requests."""

    pages: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    down: bool = False
    delay: float = 0.0
    posted: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    """Every POST: URL, headers and body as sent."""

    async def get(self, url: str, headers: dict[str, str] | None = None) -> UpstreamReply:
        self.requests.append((url, dict(headers or {})))
        await asyncio.sleep(self.delay)
        if self.down:
            raise UpstreamError(f"cannot reach {url}")
        status, reply_headers, body = self.pages.get(url, (404, {}, b"not found"))
        etag = reply_headers.get("etag")
        if status == 200 and etag and (headers or {}).get("If-None-Match") == etag:
            return UpstreamReply(304, reply_headers, b"", url)
        return UpstreamReply(status, reply_headers, body, url)

    async def post(
        self, url: str, body: bytes, headers: dict[str, str] | None = None
    ) -> UpstreamReply:
        """Answers from the same table as ``get``."""
        self.requests.append((url, dict(headers or {})))
        self.posted.append((url, dict(headers or {}), body))
        await asyncio.sleep(self.delay)
        if self.down:
            raise UpstreamError(f"cannot reach {url}")
        status, reply_headers, reply = self.pages.get(url, (404, {}, b"not found"))
        return UpstreamReply(status, reply_headers, reply, url)

    @asynccontextmanager
    async def stream(
        self, url: str, headers: dict[str, str] | None = None
    ) -> AsyncIterator[Stream]:
        self.requests.append((url, dict(headers or {})))
        if self.down:
            raise UpstreamError(f"cannot reach {url}")
        status, reply_headers, body = self.pages.get(url, (404, {}, b""))
        yield Stream(status, reply_headers, body)

    async def close(self) -> None:
        return None


@dataclass
class Clock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@asynccontextmanager
async def python_proxy_services(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock, upstream_url: str
) -> AsyncIterator[Services]:
    """Services with ``remote`` (a proxy of ``upstream_url``), ``local`` (hosted) and
    ``all`` (a group of both, local first)."""
    # These upstreams publish "now": the cooldown (tested on its own) would hide everything.
    settings = load_settings(
        overrides={"data_dir": str(tmp_path), "policy.cooldown.mode": "off"}, environ={}
    ).settings
    built = await build_services(settings, upstream=upstream, clock=clock)
    await built.indexes.create(Index("remote", "python", IndexKind.PROXY, upstream=upstream_url))
    await built.indexes.create(Index("local", "python", IndexKind.HOSTED))
    await built.indexes.create(
        Index("all", "python", IndexKind.GROUP, members=("local", "remote"))
    )
    try:
        yield built
    finally:
        await built.close()


def count_listing_reads(
    services: Services, monkeypatch: pytest.MonkeyPatch, method: str = "get_upstream_document"
) -> list[str]:
    """The projects whose cached upstream listing the store is asked for through
    ``method`` (decoded, or ``get_upstream_text``), in order, from now on."""
    reads: list[str] = []
    original = getattr(services.store, method)

    async def counted(index: str, project: str) -> object:
        reads.append(project)
        return await original(index, project)

    monkeypatch.setattr(services.store, method, counted)
    return reads
