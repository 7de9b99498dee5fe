"""HTTP endpoints of an npm index, mounted under ``/<index>/``: the index root is an npm
registry root. One catch-all route hands the path to ``paths.parse_path`` (npm names hold
slashes, so patterns cannot route them), then to the handler for that target and method.
Errors answer JSON with an ``error`` message, which npm, pnpm and yarn print."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router

from wharf.core.errors import InvalidArtifactError, WharfError
from wharf.formats.base import ASGIApp
from wharf.formats.npm.paths import NpmPath, Target, parse_path
from wharf.formats.npm.routes import accounts, reading, registry, security, writing
from wharf.web.errors import auth_headers, status_for

log = logging.getLogger("wharf.npm")

Handler = Callable[[Request, NpmPath], Awaitable[Response]]

HANDLERS: dict[tuple[Target, str], Handler] = {
    (Target.PACKAGE, "GET"): reading.get_packument,
    (Target.PACKAGE, "PUT"): writing.put_package,
    (Target.PACKAGE_REV, "PUT"): writing.put_package,
    (Target.PACKAGE_REV, "DELETE"): writing.delete_package,
    (Target.VERSION, "GET"): reading.version,
    (Target.VERSION, "PUT"): writing.put_dist_tag,
    (Target.TARBALL, "GET"): reading.tarball,
    (Target.TARBALL_REV, "DELETE"): writing.delete_tarball,
    (Target.DIST_TAGS, "GET"): reading.dist_tags,
    (Target.DIST_TAG, "PUT"): writing.put_dist_tag,
    (Target.DIST_TAG, "DELETE"): writing.delete_dist_tag,
}

ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("ping", "GET"): registry.ping,
    ("v1/search", "GET"): registry.search,
    ("whoami", "GET"): accounts.whoami,
    ("v1/login", "POST"): accounts.web_login,
    ("npm/v1/tokens", "GET"): accounts.list_tokens,
    ("npm/v1/tokens", "POST"): accounts.create_token,
    (security.ADVISORIES_BULK, "POST"): security.advisories_bulk,
    (security.AUDITS_QUICK, "POST"): security.audits_quick,
    (security.AUDITS, "POST"): security.audits,
    (security.KEYS, "GET"): security.keys,
}


def npm_error(error: WharfError) -> Response:
    """``{"error": …}``: npm prints it after the status line; every problem is listed."""
    message = error.message
    if isinstance(error, InvalidArtifactError) and error.problems:
        message = "; ".join(error.problems)
    if error.hint:
        message = f"{message.rstrip('.')}. {error.hint}"
    return Response(
        json.dumps({"error": message, "code": error.code}).encode(),
        status_code=status_for(error),
        headers=auth_headers(error),
        media_type="application/json",
    )


async def dispatch(request: Request) -> Response:
    method = "GET" if request.method == "HEAD" else request.method
    try:
        target = parse_path(rerooted(request.path_params["rest"]))
        handler = _handler_for(target, method)
        if handler is None:
            return JSONResponse(
                {"error": f"{request.method} is not supported on {request.url.path}."},
                status_code=405,
            )
        return await handler(request, target)
    except WharfError as error:
        return npm_error(error)


def _handler_for(target: NpmPath, method: str) -> Handler | None:
    if target.target is not Target.ENDPOINT:
        return HANDLERS.get((target.target, method))
    path = "/".join(target.endpoint)
    if path.startswith("user/") and method in ("GET", "PUT", "DELETE"):
        return accounts.user_endpoint
    if path.startswith("npm/v1/tokens/token/") and method == "DELETE":
        return accounts.revoke_token
    if path.startswith(security.ATTESTATIONS) and method == "GET":
        return security.attestations
    if path.startswith("package/") and path.endswith("/visibility") and method == "GET":
        return security.visibility
    return ENDPOINTS.get((path, method))


def rerooted(rest: str) -> str:
    """The attestations endpoint asked below a repeated registry path.

    pacote fetches ``dist.attestations.url`` at the configured registry plus the URL's
    *path*, so for a registry that lives below a path (every Wharf index does) the path
    arrives twice: ``/npm/npm/-/npm/v1/attestations/x@1.0.0``. Nothing else in the npm API
    has ``-/npm/v1/attestations/`` after a name, so the repeated part is dropped.
    """
    head, marker, tail = rest.partition("/-/" + security.ATTESTATIONS)
    if marker and head.strip("/") and not head.lstrip("/").startswith("-/"):
        return "-/" + security.ATTESTATIONS + tail
    return rest


async def root(request: Request) -> Response:
    return JSONResponse({"db_name": "registry", "doc_count": 0})


def build_routes() -> ASGIApp:
    """The router every npm index shares; the index comes from the request scope."""
    methods = ["GET", "HEAD", "PUT", "POST", "DELETE"]
    return Router(
        routes=[
            Route("/", root, methods=["GET", "HEAD"]),
            Route("/{rest:path}", dispatch, methods=methods),
        ],
        redirect_slashes=False,
    )
