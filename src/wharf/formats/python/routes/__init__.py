"""HTTP endpoints of a Python index, mounted under ``/<index>/``. Thin: parse, call one
service, render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, Router

from wharf.core.errors import InvalidRequestError, NotFoundError, WharfError
from wharf.core.models import Index
from wharf.formats.base import ASGIApp
from wharf.formats.python import jsonapi, media, simple
from wharf.formats.python.names import normalize
from wharf.formats.python.routes.receiving import receive_upload
from wharf.services.pages import Rendered
from wharf.web import kit
from wharf.web.errors import text_error

Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(endpoint: Endpoint) -> Endpoint:
    """Answer Wharf errors as plain text, the shape pip and twine print."""

    @wraps(endpoint)
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except WharfError as error:
            return text_error(error)

    return run


async def readable(request: Request) -> Index:
    """The request's index, once the caller is known to be allowed to read it."""
    index = kit.current_index(request)  # resolved once, by the dispatcher
    return kit.services(request).reading.readable(index, await kit.principal(request))


async def readable_project(request: Request, project: str) -> Index:
    """The request's index, once the caller may read ``project`` in it (package rules)."""
    index = kit.current_index(request)
    principal = await kit.principal(request)
    return await kit.services(request).reading.readable_project(index, principal, project)


@guarded
async def index_root(request: Request) -> Response:
    return RedirectResponse(request.url.path.rstrip("/") + "/simple/", status_code=302)


@guarded
async def simple_root(request: Request) -> Response:
    svc = kit.services(request)
    index = await readable(request)
    media_type = negotiated(request)

    principal = await kit.principal(request)

    async def build() -> tuple[Rendered, None]:
        names = await svc.reading.projects(index)
        body = simple.render_index(await svc.reading.visible(index, principal, names), media_type)
        return Rendered(body, simple.etag_for(body)), None

    # Package rules may hide names from some readers: then the page depends on who asks.
    restricted = bool(await svc.indexes.package_rules(index))
    key = ("simple-root", index.name, media_type, principal.user if restricted else None)
    token = svc.reading.index_token(index)
    rendered = await svc.pages.get(key, token, build)
    kit.remember_rendered(request, lambda: svc.reading.index_token(index), token, rendered)
    return kit.page_response(request, rendered, media_type)


@guarded
async def simple_project(request: Request) -> Response:
    svc = kit.services(request)
    given = request.path_params["project"]
    index = await readable_project(request, given)
    project = normalize(given)
    if project != given or not request.url.path.endswith("/"):
        return RedirectResponse(f"{request.scope['root_path']}/simple/{project}/", status_code=301)
    media_type = negotiated(request)

    async def build() -> tuple[Rendered, object]:
        view = await svc.reading.page(index, project)
        body = simple.render_project(view.page, media_type)
        return Rendered(body, simple.etag_for(body), view.page.stale), view.expires_at

    key = ("simple", index.name, project, media_type)
    rendered = await kit.project_page(request, key, index, project, build)  # type: ignore[arg-type]
    return kit.page_response(request, rendered, media_type)


@guarded
async def project_json(request: Request) -> Response:
    svc = kit.services(request)
    project = normalize(request.path_params["project"])
    index = await readable_project(request, project)
    version = request.path_params.get("version")
    index_url = kit.index_url(request)

    async def build() -> tuple[Rendered, object]:
        view = await svc.reading.page(index, project)
        if version is not None and version not in view.page.versions:
            await svc.reading.explain_hidden(index, project, version)
        body = jsonapi.render_project_json(
            view.page, version=version, files_base_url=index_url + "/", index_url=index_url
        )
        return Rendered(body, simple.etag_for(body), view.page.stale), view.expires_at

    key = ("json", index.name, project, version, index_url)
    rendered = await kit.project_page(request, key, index, project, build)  # type: ignore[arg-type]
    return kit.page_response(request, rendered, "application/json")


@guarded
async def download(request: Request) -> Response:
    svc = kit.services(request)
    project = normalize(request.path_params["project"])
    index = await readable_project(request, project)
    filename = request.path_params["filename"]
    if "/" in filename or filename.startswith("."):
        raise NotFoundError(f"No file '{filename}'.")
    token = svc.reading.page_token(index, project)  # before the checks: a change since shows
    source = await svc.reading.download(
        index, project, filename, await kit.principal(request), kit.client(request),
        whole=kit.fetches_whole_file(request), streamed=kit.streams(request))
    kit.remember_download(request, index, project, filename, token, source)
    if filename.endswith(".metadata"):
        return kit.file_response(request, source, "text/plain; charset=utf-8")
    return kit.file_response(request, source)


@guarded
async def upload(request: Request) -> Response:
    svc = kit.services(request)
    principal = await kit.principal(request)
    name = kit.current_index(request).name
    await svc.publishing.authorize(name, principal)  # refuse before reading the body
    received = await receive_upload(request, svc.limits)
    try:
        published = await svc.publishing.publish(
            name, received, principal, kit.client(request)
        )
    finally:
        await anyio.Path(received.path).unlink(missing_ok=True)
    verb = "Uploaded" if published.created else "Already present:"
    return PlainTextResponse(
        f"{verb} {published.artifact.filename} to {published.index.name}\n"
    )


def negotiated(request: Request) -> str:
    chosen = media.negotiate(request.headers.get("accept"), request.query_params.get("format"))
    if chosen is None:
        raise InvalidRequestError(
            f"Cannot answer in any of the accepted types: {request.headers.get('accept')}.",
            hint="Accept application/vnd.pypi.simple.v1+json, "
            "application/vnd.pypi.simple.v1+html or text/html.",
        )
    return chosen


def build_routes() -> ASGIApp:
    """The router every Python index shares; the index comes from the request scope."""
    return Router(
        routes=[
            Route("/", upload, methods=["POST"]),
            Route("/", index_root, methods=["GET", "HEAD"]),
            Route("/simple/", simple_root, methods=["GET", "HEAD"]),
            Route("/simple/{project}/", simple_project, methods=["GET", "HEAD"]),
            Route("/simple/{project}", simple_project, methods=["GET", "HEAD"]),
            Route("/files/{project}/{filename}", download, methods=["GET", "HEAD"]),
            Route("/pypi/{project}/json", project_json, methods=["GET", "HEAD"]),
            Route("/pypi/{project}/json/", project_json, methods=["GET", "HEAD"]),
            Route("/pypi/{project}/{version}/json", project_json, methods=["GET", "HEAD"]),
            Route("/pypi/{project}/{version}/json/", project_json, methods=["GET", "HEAD"]),
        ],
        redirect_slashes=False,
    )
