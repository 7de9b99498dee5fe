"""The ASGI application: server-wide routes under ``/-/``, and every other path dispatched to
the index named by its first segment, handled by that index's format."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from wharf.core.errors import WharfError
from wharf.services.container import Services
from wharf.web import api, osv
from wharf.web.accel import Accel
from wharf.web.accesslog import LOG_KEY, AccessLog
from wharf.web.auth import Authenticator
from wharf.web.errors import json_error
from wharf.web.kit import INDEX_KEY, WebContext
from wharf.web.memo import ResponseMemo

log = logging.getLogger("wharf.web")
ALIASES = ("simple", "files")


async def health(request: Request) -> Response:
    ctx: WebContext = request.app.state.wharf
    checks = {"database": "ok", "blobs": "ok"}
    try:
        await ctx.services.store.list_indexes()
    except Exception as exc:
        checks["database"] = f"error: {exc}"
    status = 200 if all(v == "ok" for v in checks.values()) else 503
    return JSONResponse({"status": "ok" if status == 200 else "error", **checks},
                        status_code=status)


async def landing(request: Request) -> Response:
    ctx: WebContext = request.app.state.wharf
    indexes = await ctx.services.indexes.list_all()
    lines = ["Wharf package registry", ""]
    lines += [f"  /{i.name}/  {i.format} {i.kind}" for i in indexes]
    return PlainTextResponse("\n".join(lines) + "\n")


async def handle_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WharfError)
    return json_error(exc)


class IndexDispatch:
    """Routes ``/<index>/…`` to the index's format app; ``/simple/`` and ``/files/`` are the
    default Python index."""

    def __init__(
        self, server: Starlette, format_apps: Mapping[str, ASGIApp], services: Services,
        default_python: str,
    ) -> None:
        self._server = server
        self._formats = format_apps
        self._services = services
        self._default = default_python

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._server(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/" or path.startswith("/-/"):
            await self._server(scope, receive, send)
            return
        first = path[1:].split("/", 1)[0]
        if first in ALIASES:
            path = f"/{self._default}{path}"
            first = self._default
            scope = dict(scope, path=path, raw_path=path.encode())
        index = await self._services.indexes.find(first)
        if index is None or index.format not in self._formats:
            response = PlainTextResponse(
                f"No index named '{first}'. See / for the list.\n", status_code=404
            )
            await response(scope, receive, send)
            return
        if path == f"/{first}":
            await RedirectResponse(f"/{first}/", status_code=301)(scope, receive, send)
            return
        child = dict(scope)
        child["root_path"] = scope.get("root_path", "") + f"/{first}"
        child["app"] = self._server
        child[INDEX_KEY] = index
        note = scope.get(LOG_KEY)
        if note is not None:
            note["index"] = index.name
        try:
            await self._formats[index.format](child, receive, send)
        except HTTPException as exc:  # the format's router: no such path or method
            await PlainTextResponse(
                f"{exc.detail}: {scope['method']} {path}\n", status_code=exc.status_code,
                headers=exc.headers,
            )(scope, receive, send)


def create_app(
    services: Services,
    format_apps: Mapping[str, ASGIApp],
    *,
    public_url: str = "",
    trusted_proxies: frozenset[str] = frozenset(),
    accel: Accel | None = None,
    default_python: str = "pypi",
    access_log: bool = True,
    log_json: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> ASGIApp:
    """The application. ``on_ready`` runs once the worker has built what it builds before
    its first request, just before it says it has started."""
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The typosquat rule's index of popular names (half a second of CPU), built before
        # the worker says it is ready: not by the first request that names an upstream
        # project, nor beside the first requests, slowing each of them down.
        await anyio.to_thread.run_sync(services.policy.book.prepare)
        if on_ready is not None:
            on_ready()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(services.audit.run_flusher)  # the buffered download trail
            yield
            tasks.cancel_scope.cancel()
        await services.close()

    server = Starlette(
        routes=[
            Route("/", landing),
            Route("/-/health", health),
            Mount("/-/api", routes=api.routes()),
            Mount("/-/osv", routes=osv.routes()),
        ],
        exception_handlers={WharfError: handle_error},
        lifespan=lifespan,
    )
    server.state.wharf = WebContext(
        services, Authenticator(services.accounts), public_url, trusted_proxies, accel
    )
    app: ASGIApp = IndexDispatch(server, format_apps, services, default_python)
    # The memo stands outside the access log, and logs what it replays itself: a replay
    # then costs no wrapped ``send``.
    logged = AccessLog(app, json_lines=log_json) if access_log else None
    return ResponseMemo(logged or app, services.clock, trusted_proxies=trusted_proxies,
                        replayed=logged.record if logged is not None else None)
