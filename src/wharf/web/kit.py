"""What a format's routes use from the web layer: services, the principal, the client,
file and cached-page responses. Routes stay thin: parse, call one service, render."""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from wharf.core.errors import NotFoundError
from wharf.core.models import Index, Principal
from wharf.services.auditing import Client
from wharf.services.container import Services
from wharf.services.page_files import StoredVariant
from wharf.services.pages import Rendered
from wharf.services.proxying import FileSource, StoredFile
from wharf.web import encoding, memo
from wharf.web.accel import Accel
from wharf.web.auth import Authenticator

INDEX_KEY = "wharf.index"


@dataclass(frozen=True, slots=True)
class WebContext:
    """Everything the web layer shares, kept on ``app.state.wharf``."""

    services: Services
    authenticator: Authenticator
    public_url: str
    trusted_proxies: frozenset[str]
    accel: Accel | None = None
    """Set behind nginx: files are handed to it (X-Accel-Redirect) instead of sent."""


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.wharf
    return ctx


def services(request: Request) -> Services:
    return context(request).services


def current_index(request: Request) -> Index:
    index: Index = request.scope[INDEX_KEY]
    return index


async def principal(request: Request) -> Principal:
    cached: Principal | None = request.scope.get("wharf.principal")
    if cached is not None:
        return cached
    found = await context(request).authenticator.principal(request.headers.get("authorization"))
    request.scope["wharf.principal"] = found
    note = request.scope.get("wharf.log")
    if note is not None and found.user:
        note["principal"] = found.user if found.token is None else f"{found.user}/{found.token.id}"
    return found


def client(request: Request) -> Client:
    return client_of(request.scope, context(request).trusted_proxies)


def client_of(scope: Scope, trusted_proxies: frozenset[str]) -> Client:
    """Who sent the request: the peer's address (or, from a trusted proxy, the first
    X-Forwarded-For address) and its User-Agent."""
    peer = scope.get("client")
    address: str | None = peer[0] if peer else None
    agent = forwarded = None
    for name, value in scope["headers"]:
        if name == b"user-agent":
            agent = value.decode("latin-1")
        elif name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
    if address in trusted_proxies and forwarded:
        address = forwarded.split(",")[0].strip()
    return Client(address, agent)


def remember(
    request: Request,
    current: Callable[[], Hashable],
    token: Hashable,
    expires_at: datetime | None,
    *,
    present: Callable[[], bool] | None = None,
    on_hit: Callable[[Scope], Awaitable[None]] | None = None,
) -> None:
    """Let this response be replayed to identical requests while ``current()`` returns
    ``token`` and until ``expires_at`` (see ``wharf.web.memo``)."""
    memo.remember(request.scope, memo.Remember(
        current, token, expires_at.timestamp() if expires_at is not None else None,
        present, on_hit))


def remember_rendered(
    request: Request, current: Callable[[], Hashable], token: Hashable, rendered: Rendered
) -> None:
    """A page from the page cache, replayed while ``current()`` returns ``token``, within
    the page's own deadline, and (for a page on disk) while its files are there."""
    pages = services(request).pages
    remember(request, current, token, rendered.expires_at,
             present=(lambda: pages.present(rendered)) if rendered.files is not None else None)


async def project_page(
    request: Request, key: Hashable, index: Index, project: str,
    build: Callable[[], Awaitable[tuple[Rendered, datetime | None]]],
) -> Rendered:
    """A project's page (or packument) from the page cache, built on a miss once its
    upstream listings are current, and remembered while the project's page token holds."""
    svc = services(request)
    reading = svc.reading
    token = reading.page_token_of(index, project)
    rendered, held = await svc.pages.get_current(
        key, token, build, lambda: reading.refresh(index, project))
    remember_rendered(request, token, held, rendered)
    return rendered


def remember_download(
    request: Request, index: Index, project: str, filename: str, token: Hashable,
    source: FileSource,
) -> None:
    """A stored file, replayed while the project's page token (and with it the policy's
    verdicts) holds; each whole replay is entered in the audit trail like any download."""
    if not isinstance(source, StoredFile):
        return  # streamed from upstream on a first fetch: the next request reads the store
    svc = services(request)
    reading, trusted = svc.reading, context(request).trusted_proxies
    who: Principal | None = request.scope.get("wharf.principal")
    noter = (reading.download_noter(index, project, filename, who or Principal())
             if request.method == "GET" else None)
    remember(request, reading.page_token_of(index, project), token,
             reading.verdicts_expire(index, project),
             on_hit=_audited(noter, trusted) if noter is not None else None)


def _audited(
    noter: Callable[[Client | None], Awaitable[None]], trusted: frozenset[str]
) -> Callable[[Scope], Awaitable[None]]:
    async def audited(scope: Scope) -> None:
        await noter(client_of(scope, trusted))

    return audited


def fetches_whole_file(request: Request) -> bool:
    """True for a request that takes a file from its start: a GET without a Range, or one
    from byte 0 (a resumed download). A HEAD, or uv reading a wheel's metadata from its
    end, is not someone pulling the file, and is not recorded as a download."""
    if request.method != "GET":
        return False
    ranges = request.headers.get("range")
    return ranges is None or ranges.replace(" ", "").lower().startswith("bytes=0-")


def streams(request: Request) -> bool:
    """True for a GET of a whole file (no Range): a file not cached yet may go out as it
    arrives from upstream. A HEAD or a ranged read is answered from the store, as for a
    cached file, once the file is fetched and kept."""
    return request.method == "GET" and "range" not in request.headers


def base_url(request: Request) -> str:
    """The public URL of the server root, without a trailing slash."""
    ctx = context(request)
    if ctx.public_url:
        return ctx.public_url.rstrip("/")
    scheme = request.url.scheme
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    if request.client and request.client.host in ctx.trusted_proxies:
        scheme = request.headers.get("x-forwarded-proto", scheme)
        host = request.headers.get("x-forwarded-host", host)
    return f"{scheme}://{host}{request.scope.get('app_root_path', '')}"


def index_url(request: Request) -> str:
    return f"{base_url(request)}/{current_index(request).name}"


def page_response(
    request: Request, rendered: Rendered, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """A cached page in the coding the client prefers, or 304 when the client's copy is
    current. Each coding has its own strong ETag and either one revalidates: a client may
    hold the other variant from an earlier request with a different Accept-Encoding.
    A page kept on disk is sent from its file, by the server itself where it can."""
    extra = {"vary": "Accept, Accept-Encoding", "cache-control": "max-age=60"}
    etag, current, packed = rendered.etag, {rendered.etag}, False
    gzip_etag = rendered.gzip_etag
    if gzip_etag is not None:
        current.add(gzip_etag)
        accepted = request.headers.get("accept-encoding")
        if encoding.choose(accepted, gzip_available=True) == encoding.GZIP:
            etag, packed = gzip_etag, True
            extra["content-encoding"] = encoding.GZIP
    if rendered.stale:
        extra["x-wharf-stale"] = "upstream unreachable; serving the cached copy"
    extra.update(headers or {})
    held = _validators(request.headers.get("if-none-match"))
    if held & current or "*" in held:
        # Confirm a tag the client holds, so its cache freshens that stored response.
        extra.pop("content-encoding", None)
        extra["etag"] = etag if etag in held or "*" in held else min(held & current)
        return Response(status_code=304, headers=extra)
    extra["etag"] = etag
    if rendered.files is not None:
        variant = rendered.files.gzip if packed else rendered.files.identity
        assert variant is not None  # gzip_etag is set only when the gzip file exists
        accel = _accel(request)
        handed = accel.response(variant.path, media_type, extra) if accel else None
        return handed or PageFileResponse(variant, media_type, extra)
    body = rendered.gzip if packed and rendered.gzip is not None else rendered.body
    return Response(body, media_type=media_type, headers=extra)


class PageFileResponse(FileResponse):
    """A page kept on disk, with exactly the headers of one sent from memory.

    Starlette would add an ETag and Last-Modified of its own, derived from the file's
    mtime (which the cache moves when a page is used): they would contradict the page's
    ETag, so only Content-Length is taken (from the cache's record, the file's size by
    construction). Range requests are ignored, as they are for pages sent from memory:
    pages are small enough to fetch whole and no package client asks for part of one.
    """

    def __init__(self, variant: StoredVariant, media_type: str, headers: dict[str, str]) -> None:
        # Starlette needs a stat result only for the size here; a real one would cost a
        # thread hop per request for what the record already says.
        known = os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, variant.size, 0, 0, 0))
        super().__init__(
            variant.path, media_type=media_type,
            headers={**headers, "content-length": str(variant.size)}, stat_result=known,
        )
        del self.headers["accept-ranges"]

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        """Nothing: Content-Length and ETag are already the page's own."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if any(name in (b"range", b"if-range") for name, _ in scope.get("headers", ())):
            scope = {**scope, "headers": [(name, value) for name, value in scope["headers"]
                                          if name not in (b"range", b"if-range")]}
        await super().__call__(scope, receive, send)


def _accel(request: Request) -> Accel | None:
    """The nginx hand-over, when configured (an app without Wharf's context has none)."""
    ctx: WebContext | None = getattr(request.app.state, "wharf", None)
    return ctx.accel if ctx is not None else None


def _validators(header: str | None) -> set[str]:
    """The entity tags listed in If-None-Match (weak ones compared weakly, as RFC 9110 asks
    for this header: ``W/"x"`` matches ``"x"``)."""
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def file_response(
    request: Request, source: FileSource, media_type: str = "application/octet-stream"
) -> Response:
    headers = {"cache-control": "max-age=31536000, immutable"}
    if isinstance(source, StoredFile):
        if source.path is None:
            raise NotFoundError(f"The stored bytes of {source.filename} are missing.",
                                hint="Run wharf fsck.")
        headers["etag"] = f'"{source.sha256}"'
        accel = _accel(request)
        handed = accel.response(source.path, media_type, headers) if accel else None
        return handed or FileResponse(source.path, media_type=media_type, headers=headers,
                                      stat_result=None)
    if source.size is not None:
        headers["content-length"] = str(source.size)
    return StreamingResponse(source.chunks, media_type=media_type, headers=headers)

