"""Queries Wharf cannot answer from what it stores, passed on to the upstream registry.

Some registry endpoints are questions about the whole ecosystem rather than about stored
packages: vulnerability advisories for a dependency tree, the registry's signing keys, the
attestations of a public version. Until Wharf has its own data for them, an index that has
an upstream asks it: a proxy index its own upstream, a group its first proxy member (in
member order, nested groups included). A hosted index has no one to ask; the format's
route then answers what is right for its endpoint (for example "nothing known").

Only the headers that describe the query travel on; the client's credentials never do.
Upstream answers come back as they are (status, body, content type), except failures of
the upstream itself, which become ``UpstreamError`` so the client sees Wharf's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wharf.core.errors import UpstreamError, UpstreamTimeoutError
from wharf.core.models import Action, Index, IndexKind, Principal
from wharf.core.ports import Upstream, UpstreamReply
from wharf.services.access import require
from wharf.services.indexes import IndexService

FORWARDED_HEADERS = ("content-type", "content-encoding", "accept", "npm-command")
"""Request headers passed upstream (lower-case). Never ``authorization`` or cookies: the
client's credentials are for Wharf, not for the upstream."""

_REFUSALS = frozenset((401, 403, 407, 429))
"""Upstream statuses that are about Wharf's access to the upstream, not the client's query."""

_HINT = (
    "Wharf passes this query on to the upstream registry; check that the upstream is "
    "reachable from the server, or try again later."
)


@dataclass(frozen=True, slots=True)
class Forwarded:
    """An upstream's answer, ready to send back."""

    status: int
    body: bytes
    """Decoded (no content-encoding), as the upstream meant it."""
    content_type: str
    via: str
    """The proxy index whose upstream answered."""


class ForwardService:
    def __init__(self, indexes: IndexService, upstream: Upstream) -> None:
        self._indexes = indexes
        self._upstream = upstream

    async def proxy_for(self, index: Index) -> Index | None:
        """The proxy index whose upstream ``index`` asks: itself, or a group's first proxy
        member, depth first in member order; None for hosted indexes and groups without a
        proxy. A group that (wrongly) contains itself is walked once."""
        return next(
            (
                each for each in await self._indexes.expand(index)
                if each.kind is IndexKind.PROXY and each.upstream
            ),
            None,
        )

    async def forward(
        self,
        index: Index,
        principal: Principal,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Forwarded | None:
        """Ask the upstream of ``index`` (once the principal may read ``index``) for
        ``path``, relative to the upstream root; a POST when ``body`` is given. None when
        ``index`` has no upstream."""
        require(principal, Action.READ, index)
        proxy = await self.proxy_for(index)
        if proxy is None:
            return None
        return await self.ask(proxy, path, body=body, headers=headers)

    async def ask(
        self,
        proxy: Index,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Forwarded:
        """Ask ``proxy``'s upstream directly (the caller has checked access)."""
        root = proxy.upstream or ""
        url = (root if root.endswith("/") else root + "/") + path.lstrip("/")
        sent = select_headers(headers or {})
        try:
            if body is None:
                reply = await self._upstream.get(url, sent)
            else:
                reply = await self._upstream.post(url, body, sent)
        except UpstreamTimeoutError as exc:
            raise UpstreamTimeoutError(exc.message, hint=_HINT) from None
        except UpstreamError as exc:
            raise UpstreamError(exc.message, hint=_HINT) from None
        _check(reply, proxy, path)
        return Forwarded(
            status=reply.status,
            body=reply.body,
            content_type=reply.headers.get("content-type", "application/json"),
            via=proxy.name,
        )


def select_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers worth passing upstream (names lower-cased)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return {name: lowered[name] for name in FORWARDED_HEADERS if name in lowered}


def _check(reply: UpstreamReply, proxy: Index, path: str) -> None:
    if reply.status >= 500 or reply.status in _REFUSALS:
        raise UpstreamError(
            f"The upstream of '{proxy.name}' answered {reply.status} to {path}.",
            hint=_HINT,
        )
