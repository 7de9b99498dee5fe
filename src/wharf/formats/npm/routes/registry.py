"""Registry-wide endpoints: ``npm ping`` and ``npm search`` over what the index holds (its
hosted packages and the upstream packages it has cached)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wharf.core.errors import NotFoundError, UpstreamError
from wharf.core.models import Index
from wharf.formats.npm import packument
from wharf.formats.npm.pages import package_from_page
from wharf.formats.npm.paths import NpmPath
from wharf.formats.npm.routes.reading import readable
from wharf.web import kit

MAX_RESULTS = 250


async def ping(request: Request, target: NpmPath) -> Response:
    await readable(request)
    return JSONResponse({})


def _clamp(raw: str | None, default: int, high: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return max(0, min(value, high))


async def search(request: Request, target: NpmPath) -> Response:
    """``GET /-/v1/search?text=…&size=…&from=…``: name substring matches, exact first."""
    index = await readable(request)
    text = request.query_params.get("text", "").strip().lower()
    size = _clamp(request.query_params.get("size"), 20, MAX_RESULTS)
    start = _clamp(request.query_params.get("from"), 0, 100_000)
    terms = [t for t in text.split() if ":" not in t]
    reading = kit.services(request).reading
    listed = await reading.visible(index, await kit.principal(request),
                                   await reading.projects(index))
    names = [name for name, _ in listed if all(term in name.lower() for term in terms)]
    names.sort(key=lambda n: (n.lower() not in terms, n))
    objects = [
        obj for name in names[start : start + size]
        if (obj := await _result(request, index, name)) is not None
    ]
    return JSONResponse({"objects": objects, "total": len(names), "time": _now(request)})


async def _result(request: Request, index: Index, name: str) -> dict[str, Any] | None:
    try:
        view = await kit.services(request).reading.page(index, name)
    except (NotFoundError, UpstreamError):
        return None
    package = package_from_page(view.page)
    latest = packument.dist_tags(package).get("latest")
    manifest = next((v.manifest for v in package.versions if v.version == latest), {})
    published = next((v.published_at for v in package.versions if v.version == latest), None)
    scope = name.split("/", maxsplit=1)[0][1:] if name.startswith("@") else "unscoped"
    return {
        "package": {
            "name": name,
            "scope": scope,
            "version": latest,
            "description": manifest.get("description", ""),
            "keywords": manifest.get("keywords", []),
            "date": packument.iso(published or kit.services(request).clock.now()),
            "links": {},
            "publisher": _person(manifest.get("_npmUser")),
            "maintainers": [_person(m) for m in package.maintainers],
        },
        "score": {"final": 1.0, "detail": {"quality": 1.0, "popularity": 1.0,
                                            "maintenance": 1.0}},
        "searchScore": 1.0,
    }


def _person(value: object) -> dict[str, str]:
    """npm's search output names people by ``username``."""
    found = value if isinstance(value, dict) else {}
    return {"username": str(found.get("name", "")), "email": str(found.get("email", ""))}


def _now(request: Request) -> str:
    return packument.iso(kit.services(request).clock.now())
