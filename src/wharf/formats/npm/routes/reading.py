"""Install-side endpoints: packuments (full and abbreviated), single versions, dist-tags and
tarballs. Packuments and single versions are rendered once per change and served from the
page cache with a strong ETag; ``?write=true`` (npm's read before a write) always reads the
current state. Rendering is where hosted versions get Wharf's registry signature, so a
version is signed once per change, not once per request."""

from __future__ import annotations

import hashlib
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wharf.core.errors import NotFoundError
from wharf.core.models import Index, IndexKind, ProjectPage
from wharf.formats.npm import media, names, packument
from wharf.formats.npm.format import NpmFormat
from wharf.formats.npm.keyfile import SigningKey
from wharf.formats.npm.pages import package_from_page
from wharf.formats.npm.paths import NpmPath
from wharf.services.pages import Rendered
from wharf.web import kit


async def readable(request: Request) -> Index:
    index = kit.current_index(request)
    return kit.services(request).reading.readable(index, await kit.principal(request))


async def readable_package(request: Request, name: str) -> Index:
    """The index, once the caller may read package ``name`` in it (package rules)."""
    index = kit.current_index(request)
    principal = await kit.principal(request)
    return await kit.services(request).reading.readable_project(index, principal, name)


def registry_url(request: Request) -> str:
    """The index root as clients reach it (honours ``public_url`` and trusted proxies)."""
    return kit.index_url(request) + "/"


async def load_package(request: Request, index: Index, name: str) -> tuple[packument.Package, bool]:
    """The package as the index serves it, and whether it came from a stale upstream copy."""
    view = await kit.services(request).reading.page(index, names.normalize(name))
    return package_from_page(view.page), view.page.stale


def signer(request: Request) -> SigningKey | None:
    """Wharf's npm signing key, held by the npm format the composition root built."""
    npm = kit.services(request).formats.get("npm")
    return npm.signer if isinstance(npm, NpmFormat) else None


async def hosted_sources(request: Request, index: Index) -> frozenset[str]:
    """The hosted indexes whose versions ``index`` serves: itself, or the hosted members
    of a group (nested groups included, each walked once)."""
    expanded = await kit.services(request).indexes.expand(index)
    return frozenset(each.name for each in expanded if each.kind is IndexKind.HOSTED)


async def signed_package(request: Request, index: Index, page: ProjectPage) -> packument.Package:
    """The package of ``page`` with its hosted versions signed by Wharf."""
    return package_from_page(page, signer(request), await hosted_sources(request, index))


def _cache_key(request: Request, *parts: object) -> tuple[object, ...]:
    """A page cache key that names the signing key too: pages kept on disk outlive the
    process, and a page signed with a replaced key must not be served again."""
    own = signer(request)
    return ("npm", *parts, own.keyid if own is not None else None)


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def get_packument(request: Request, target: NpmPath) -> Response:
    svc = kit.services(request)
    index = await readable_package(request, target.name)
    name = names.normalize(target.name)
    abbreviated = media.wants_abbreviated(request.headers.get("accept"))
    url = registry_url(request)

    async def build() -> tuple[Rendered, datetime | None]:
        view = await svc.reading.page(index, name)
        package = await signed_package(request, index, view.page)
        if not package.versions:
            raise NotFoundError(
                f"'{name}' has no installable version in '{index.name}'.",
                hint="Upstream may be unreachable and nothing of it is cached yet.",
            )
        render = packument.render_abbreviated if abbreviated else packument.render_full
        body = packument.encode(render(package, url))
        return Rendered(body, etag_for(body), view.page.stale), view.expires_at

    media_type = media.ABBREVIATED if abbreviated else media.JSON
    if request.query_params.get("write") == "true":
        rendered, _ = await build()
    else:
        key = _cache_key(request, index.name, name, abbreviated, url)
        rendered = await kit.project_page(request, key, index, name, build)
    # Revalidate every time (a 304 costs little): a version published or unpublished a
    # moment ago must be visible to the next install, not after a client cache expires.
    return kit.page_response(request, rendered, media_type, {"cache-control": "no-cache"})


async def version(request: Request, target: NpmPath) -> Response:
    svc = kit.services(request)
    index = await readable_package(request, target.name)
    name = names.normalize(target.name)
    url = registry_url(request)

    async def build() -> tuple[Rendered, datetime | None]:
        view = await svc.reading.page(index, name)
        package = await signed_package(request, index, view.page)
        found = packument.single_version(package, target.spec, url)
        if found is None:
            await svc.reading.explain_hidden(index, name, target.spec)
            raise NotFoundError(
                f"'{target.name}' has no version or tag '{target.spec}' in '{index.name}'.",
                hint=f"See the versions with: npm view {target.name} versions",
            )
        body = packument.encode(found)
        return Rendered(body, etag_for(body), view.page.stale), view.expires_at

    key = _cache_key(request, "version", index.name, name, target.spec, url)
    rendered = await kit.project_page(request, key, index, name, build)
    return kit.page_response(request, rendered, media.JSON, {"cache-control": "no-cache"})


async def dist_tags(request: Request, target: NpmPath) -> Response:
    index = await readable_package(request, target.name)
    package, _ = await load_package(request, index, target.name)
    return JSONResponse(packument.dist_tags(package))


async def tarball(request: Request, target: NpmPath) -> Response:
    svc = kit.services(request)
    index = await readable_package(request, target.name)
    name = names.normalize(target.name)
    filename = names.filename_from_tarball_path(name, target.file)
    token = svc.reading.page_token(index, name)  # before the checks: a change since shows
    source = await svc.reading.download(
        index, name, filename, await kit.principal(request), kit.client(request),
        whole=kit.fetches_whole_file(request), streamed=kit.streams(request))
    kit.remember_download(request, index, name, filename, token, source)
    return kit.file_response(request, source)
