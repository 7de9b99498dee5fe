"""Test doubles of the network for the formats' upstream adapters."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from wharf.core.ports import UpstreamReply, UpstreamStream
from wharf.formats.base import UpstreamAdapter, UpstreamFetch


@dataclass
class FakeUpstream:
    """Answers every GET with the next canned reply and records what was asked."""

    replies: list[UpstreamReply]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> UpstreamReply:
        self.requests.append((url, dict(headers or {})))
        return self.replies.pop(0)

    def stream(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> AbstractAsyncContextManager[UpstreamStream]:
        raise NotImplementedError

    async def close(self) -> None:
        return None


async def request_and_parse(
    adapter: UpstreamAdapter,
    upstream: FakeUpstream,
    project: str,
    *,
    etag: str | None,
    last_modified: str | None,
    base_url: str,
) -> UpstreamFetch:
    """What the proxy does with an adapter: request the listing, parse a 200 reply."""
    reply = await adapter.request(
        upstream, base_url, project, etag=etag, last_modified=last_modified)
    return reply if isinstance(reply, UpstreamFetch) else adapter.parse(reply, project)
