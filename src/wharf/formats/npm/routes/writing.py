"""Publish-side endpoints: ``npm publish``, deprecate, unpublish (with its ``-rev`` steps)
and dist-tags. Writes to a group land in its first hosted member, as uploads do.

A publish is checked whole before anything is stored (names, one version, base64, length,
sha1 and sha512 against the bytes, the tarball's own package.json); then the publish
pipeline stores the tarball blob first and the version, its tags and its manifest in one
transaction.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wharf.core.errors import ConflictError, InvalidRequestError, TooLargeError
from wharf.core.models import Principal
from wharf.formats.npm import names, packument, provenance
from wharf.formats.npm.pages import package_from_page
from wharf.formats.npm.paths import NpmPath
from wharf.formats.npm.publish import (
    Publication,
    load_body,
    parse_publication,
    parse_update,
)
from wharf.formats.npm.tarballs import TarballLimits
from wharf.services.publishing import Upload
from wharf.web import kit

# The tarball travels base64-encoded inside JSON: a third larger, plus the manifest.
_BODY_ALLOWANCE = 4 << 20


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError(
                f"The request body is larger than {limit} bytes.",
                hint="Make the package smaller (see `files` in package.json).",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def body_limit(request: Request) -> int:
    return kit.services(request).limits.max_bytes * 4 // 3 + _BODY_ALLOWANCE


async def put_package(request: Request, target: NpmPath) -> Response:
    """``PUT /<name>``: a publish when the body carries ``_attachments``, else a metadata
    update (deprecate, or the first step of unpublishing one version)."""
    svc = kit.services(request)
    principal = await kit.principal(request)
    index = kit.current_index(request)
    await svc.publishing.authorize(index.name, principal)  # refuse before reading the body
    body = await read_body(request, body_limit(request))
    # Parsed once, off the event loop: a publish body carries the whole tarball.
    document = await anyio.to_thread.run_sync(load_body, body)
    if document is None or document.get("_attachments"):
        return await _publish(request, target.name, body, document, principal)
    return await _update(request, target, body, document, principal)


async def _publish(
    request: Request, name: str, body: bytes, document: dict[str, Any] | None,
    principal: Principal,
) -> Response:
    svc = kit.services(request)
    limits = TarballLimits(max_unpacked_bytes=svc.limits.max_uncompressed)
    publication = await anyio.to_thread.run_sync(
        lambda: parse_publication(
            body, name, max_body_bytes=len(body), limits=limits, document=document
        )
    )
    path = await anyio.to_thread.run_sync(_spill, publication, svc.limits.tmp_dir)
    try:
        published = await svc.publishing.publish(
            kit.current_index(request).name,
            _upload(publication, path, principal),
            principal,
            kit.client(request),
        )
    finally:
        await anyio.Path(path).unlink(missing_ok=True)
    return JSONResponse(
        {"ok": f"published {publication.name}@{publication.version} to {published.index.name}"},
        status_code=201,
    )


def _spill(publication: Publication, tmp_dir: Path) -> Path:
    """The tarball in a temporary file beside the blobs, for the publish pipeline."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, suffix=".tgz", delete=False) as handle:
        handle.write(publication.tarball)
    return Path(handle.name)


def _upload(publication: Publication, path: Path, principal: Principal) -> Upload:
    manifest: dict[str, Any] = dict(publication.manifest)
    manifest["_npmUser"] = {"name": principal.user or ""}
    if publication.readme:
        manifest["readme"] = publication.readme
    attrs: dict[str, Any] = {
        "integrity": publication.integrity,
        "fileCount": publication.file_count,
        "unpackedSize": publication.unpacked_size,
    }
    bundle = None
    if publication.provenance is not None:
        # The bundle is the tarball's "metadata document": kept as its own blob beside it.
        bundle = publication.provenance.bundle
        attrs[provenance.ATTRIBUTE] = publication.provenance.predicate_type
    return Upload(
        path=path,
        filename=publication.filename,
        display_name=publication.name,
        version=publication.version,
        kind="tarball",
        sha256=hashlib.sha256(publication.tarball).hexdigest(),
        size=len(publication.tarball),
        digests={"sha512": publication.sha512, "sha1": publication.sha1},
        attrs=attrs,
        release_metadata=manifest,
        metadata_document=bundle,
        tags=publication.dist_tags,
    )


async def _update(
    request: Request, target: NpmPath, body: bytes, document: dict[str, Any],
    principal: Principal,
) -> Response:
    svc = kit.services(request)
    index = kit.current_index(request)
    hosted = await svc.indexes.hosted_target(index)
    name = names.normalize(target.name)
    view = await svc.reading.page(hosted, name, screened=False)
    package = package_from_page(view.page)
    _check_rev(target, package)
    update = parse_update(
        body, name, view.page.release_metadata, view.page.tags, document=document
    )
    client = kit.client(request)
    if update.deprecations:
        changes = {v: {"deprecated": msg} for v, msg in update.deprecations.items()}
        await svc.revisions.annotate(index, name, changes, principal, client)
    if update.dist_tags is not None:
        for tag, version in update.dist_tags.items():
            if view.page.tags.get(tag) != version:
                await svc.revisions.set_tag(index, name, tag, version, principal, client)
        for tag in set(view.page.tags) - set(update.dist_tags):
            if view.page.tags[tag] not in update.removed_versions:
                await svc.revisions.delete_tag(index, name, tag, principal, client)
    if update.removed_versions:
        await svc.revisions.withdraw(
            index, name, sorted(update.removed_versions), principal, client
        )
    return JSONResponse({"ok": "updated"}, status_code=201)


def _check_rev(target: NpmPath, package: packument.Package) -> None:
    if target.rev and target.rev != packument.revision(package):
        raise ConflictError(
            f"'{package.name}' changed since it was read (revision {target.rev} is not "
            "current).",
            hint="Run the command again.",
        )


async def delete_package(request: Request, target: NpmPath) -> Response:
    """``DELETE /<name>/-rev/<rev>``: unpublish every version."""
    svc = kit.services(request)
    principal = await kit.principal(request)
    index = kit.current_index(request)
    hosted = await svc.indexes.hosted_target(index)
    name = names.normalize(target.name)
    view = await svc.reading.page(hosted, name, screened=False)
    _check_rev(target, package_from_page(view.page))
    await svc.revisions.withdraw(index, name, None, principal, kit.client(request))
    return JSONResponse({"ok": f"unpublished {name}"}, status_code=201)


async def delete_tarball(request: Request, target: NpmPath) -> Response:
    """``DELETE <tarball>/-rev/<rev>``: the last step of unpublishing one version. The
    version went with its tarball in the step before; one still present goes now."""
    svc = kit.services(request)
    principal = await kit.principal(request)
    index = kit.current_index(request)
    hosted = await svc.indexes.hosted_target(index)
    name = names.normalize(target.name)
    version = names.version_from_filename(name, target.file)
    if await svc.store.get_release(hosted.name, name, version) is not None:
        await svc.revisions.withdraw(index, name, [version], principal, kit.client(request))
    return JSONResponse({"ok": f"removed {target.file}"}, status_code=201)


async def put_dist_tag(request: Request, target: NpmPath) -> Response:
    """``PUT /-/package/<name>/dist-tags/<tag>`` (or the older ``PUT /<name>/<tag>``) with
    the version as a JSON string."""
    svc = kit.services(request)
    principal = await kit.principal(request)
    body = await read_body(request, 4096)
    try:
        version = json.loads(body)
    except ValueError:
        version = None
    if not isinstance(version, str) or not version:
        raise InvalidRequestError(
            "The body must be the version as a JSON string, e.g. \"1.2.3\".",
            hint=f"npm dist-tag add {target.name}@VERSION {target.spec}",
        )
    await svc.revisions.set_tag(
        kit.current_index(request), target.name, target.spec, version, principal,
        kit.client(request),
    )
    return JSONResponse({"ok": f"{target.spec} -> {version}"}, status_code=201)


async def delete_dist_tag(request: Request, target: NpmPath) -> Response:
    svc = kit.services(request)
    principal = await kit.principal(request)
    if target.spec == "latest":
        raise InvalidRequestError(
            "The latest tag cannot be removed; point it at another version instead.",
            hint=f"npm dist-tag add {target.name}@VERSION latest",
        )
    await svc.revisions.delete_tag(
        kit.current_index(request), target.name, target.spec, principal, kit.client(request)
    )
    return JSONResponse({"ok": f"removed {target.spec}"})
