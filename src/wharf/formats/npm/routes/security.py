"""Security endpoints: ``npm audit`` (advisories), ``npm audit signatures`` (signing keys and
attestations) and the visibility check ``npm publish --provenance`` makes first.

Advisories come from the vulnerability data imported with ``wharf vuln import`` once there
is npm data (``formats.npm.advisory_reports`` builds npm's and pnpm's shapes), so audits work
offline. Before that they come from the upstream registry (``services.forwarding``): the
body and its content-encoding go on unchanged (npm gzips its audit queries), the client's
credentials do not. An index without an upstream answers "nothing known" in each endpoint's
own shape, so audits of private-only trees succeed instead of failing. Signing keys are
Wharf's own key (which signs the versions hosted here) followed by the upstream's keys
(which signed the versions proxied from it).

Attestations follow the package: a version hosted here answers from the provenance bundle
stored with its tarball; a version that came from upstream asks the upstream that served
it (through a group, the member the version came from, so a private name never reaches
upstream attestations of a public lookalike).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wharf.core.errors import NotFoundError, UpstreamError
from wharf.core.models import ANONYMOUS, Index, IndexKind, Principal
from wharf.formats.npm import advisory_reports, audit_queries, names, provenance
from wharf.formats.npm.paths import NpmPath
from wharf.formats.npm.routes.reading import readable, readable_package, signer
from wharf.formats.npm.routes.writing import read_body
from wharf.formats.npm.upstream import escape_name
from wharf.services.forwarding import Forwarded
from wharf.web import kit

log = logging.getLogger("wharf.npm")

ADVISORIES_BULK = "npm/v1/security/advisories/bulk"
AUDITS_QUICK = "npm/v1/security/audits/quick"
AUDITS = "npm/v1/security/audits"
KEYS = "npm/v1/keys"
ATTESTATIONS = "npm/v1/attestations/"

MAX_QUERY_BYTES = 32 << 20
"""Largest audit query accepted (as sent, usually gzip'd): a legacy audit body carries the
whole dependency tree, which for large monorepos reaches megabytes."""

_NO_AUDIT = {
    "actions": [],
    "advisories": {},
    "muted": [],
    "metadata": {
        "vulnerabilities": {"info": 0, "low": 0, "moderate": 0, "high": 0, "critical": 0},
        "dependencies": 0,
        "devDependencies": 0,
        "optionalDependencies": 0,
        "totalDependencies": 0,
    },
}
"""A legacy audit report that knows of no advisory (npm and pnpm read ``advisories`` and
``metadata.vulnerabilities``)."""


async def advisories_bulk(request: Request, target: NpmPath) -> Response:
    """``POST /-/npm/v1/security/advisories/bulk`` (npm 7+, pnpm 11): ``{name: [versions]}``
    in, ``{name: [advisory…]}`` out; ``{}`` when nothing is known."""
    query = await _local_query(request)
    if query is None:
        return await _forward_query(
            request, "-/" + ADVISORIES_BULK, {}, audit_queries.without_names_in_bulk
        )
    svc = kit.services(request)
    matches = await svc.advisories.matches("npm", advisory_reports.bulk_query(query))
    records = await svc.advisories.records(_ids(matches))
    return _local(advisory_reports.bulk_report(matches, records, _linker(request)))


async def audits_quick(request: Request, target: NpmPath) -> Response:
    """``POST /-/npm/v1/security/audits/quick`` (npm's fallback, pnpm 10, yarn)."""
    return await _legacy_audit(request, "-/" + AUDITS_QUICK)


async def audits(request: Request, target: NpmPath) -> Response:
    """``POST /-/npm/v1/security/audits`` (pnpm's fallback, older pnpm)."""
    return await _legacy_audit(request, "-/" + AUDITS)


async def _legacy_audit(request: Request, path: str) -> Response:
    query = await _local_query(request)
    if query is None:
        return await _forward_query(
            request, path, _NO_AUDIT, audit_queries.without_names_in_tree
        )
    svc = kit.services(request)
    tree = advisory_reports.read_tree(query)
    matches = await svc.advisories.matches("npm", tree.versions())
    records = await svc.advisories.records(_ids(matches))
    return _local(advisory_reports.legacy_report(tree, matches, records, _linker(request)))


async def _local_query(request: Request) -> Any | None:
    """The audit query, once the reader may read the index, when imported npm data answers
    it; None when there is none (the query then goes upstream, unread)."""
    svc = kit.services(request)
    index = kit.current_index(request)
    svc.reading.readable(index, await kit.principal(request))  # refuse before reading
    if not await svc.advisories.has_data("npm"):
        return None
    body = await read_body(request, MAX_QUERY_BYTES)
    return audit_queries.decode(body, request.headers.get("content-encoding"), MAX_QUERY_BYTES)


def _ids(matches: advisory_reports.Matches) -> set[str]:
    return {advisory.id for found in matches.values() for advisory, _ in found}


def _linker(request: Request) -> advisory_reports.Linker:
    """Records without a link of their own point at their OSV record here."""
    base = kit.base_url(request)
    return lambda id: f"{base}/-/osv/v1/vulns/{quote(id, safe='')}"


def _local(document: object) -> Response:
    return JSONResponse(
        document, headers={"cache-control": "no-store", "x-wharf-advisories": "local"}
    )


async def keys(request: Request, target: NpmPath) -> Response:
    """``GET /-/npm/v1/keys``: Wharf's signing key first, then the upstream's keys, so
    every signature a mixed tree carries verifies through Wharf.

    An upstream that has no keys (404) adds none. An upstream that cannot be asked, or
    answers something unusable, still gets Wharf's key listed, with ``x-wharf-partial``
    saying what is missing: hosted versions keep verifying, and npm names the upstream
    versions whose key it cannot find (an error would fail every audit through this index).
    Nothing stale is served, hence not ``x-wharf-stale``.
    """
    svc = kit.services(request)
    index = kit.current_index(request)
    principal = await kit.principal(request)
    svc.reading.readable(index, principal)
    own = signer(request)
    listed: list[dict[str, Any]] = [own.public_key_entry()] if own is not None else []
    headers = {"cache-control": "no-store"}
    try:
        upstream_keys = await _upstream_keys(request, index, principal)
    except UpstreamError as exc:
        if own is None:
            raise
        log.warning("upstream signing keys unavailable for %s: %s", index.name, exc.message)
        headers["x-wharf-partial"] = f"upstream signing keys unavailable: {exc.message}"
        upstream_keys = []
    known = {key.get("keyid") for key in listed}
    listed.extend(key for key in upstream_keys if key.get("keyid") not in known)
    return JSONResponse({"keys": listed}, headers=headers)


async def _upstream_keys(
    request: Request, index: Index, principal: Principal
) -> list[dict[str, Any]]:
    """The upstream's key list; empty without an upstream or when it has no keys (404,
    400, as npm itself reads those); ``UpstreamError`` for any other unusable answer."""
    forwarded = await kit.services(request).forwarding.forward(
        index, principal, "-/" + KEYS, headers=request.headers
    )
    if forwarded is None or forwarded.status in (400, 404):
        return []
    found = _key_list(forwarded)
    if found is None:
        raise UpstreamError(
            f"The upstream of '{forwarded.via}' answered {forwarded.status} without a key "
            f"list to -/{KEYS}.",
            hint="Check that the upstream registry serves its signing keys there.",
        )
    return found


def _key_list(forwarded: Forwarded) -> list[dict[str, Any]] | None:
    """The ``keys`` of a 200 answer; None for any other answer or shape."""
    if forwarded.status != 200:
        return None
    try:
        document = json.loads(forwarded.body)
    except ValueError:
        return None
    found = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(found, list) or not all(isinstance(k, dict) for k in found):
        return None
    return found


async def attestations(request: Request, target: NpmPath) -> Response:
    """``GET /-/npm/v1/attestations/<name>@<version>`` (scoped names as ``@scope%2fname``
    or ``@scope/name``): ``{"attestations": [{"predicateType", "bundle"}]}``."""
    svc = kit.services(request)
    name, version = _spec(target)
    index = await readable_package(request, name)
    view = await svc.reading.page(index, names.normalize(name))
    entry = next((e for e in view.page.files if e.version == version), None)
    if entry is None:
        raise NotFoundError(
            f"'{name}' has no version {version} in '{index.name}'.",
            hint=f"See the versions with: npm view {name} versions",
        )
    source = await svc.indexes.find(entry.source) if entry.source else None
    if source is not None and source.kind is IndexKind.PROXY:
        path = f"-/{ATTESTATIONS}{escape_name(name)}@{version}"
        return _answer(await svc.forwarding.ask(source, path, headers=request.headers))
    predicate_type = entry.attrs.get(provenance.ATTRIBUTE)
    if entry.metadata_sha256 is None or not isinstance(predicate_type, str):
        raise NotFoundError(
            f"{name}@{version} was published to '{entry.source or index.name}' without "
            "provenance, so it has no attestations.",
            hint="Publish with `npm publish --provenance` from a supported CI system.",
        )
    bundle = await svc.blobs.read_bytes(entry.metadata_sha256)
    document = provenance.attestations_document(provenance.Provenance(bundle, predicate_type))
    return JSONResponse(document)


async def visibility(request: Request, target: NpmPath) -> Response:
    """``GET /-/package/<name>/visibility``: asked by ``npm publish --provenance``, which
    refuses provenance (published to a public transparency log) for packages that are not
    public. Public here means: the index lets anyone read it."""
    index = await readable(request)
    return JSONResponse({"public": ANONYMOUS in index.acl.read})


async def _forward_query(
    request: Request, path: str, nothing_known: object, strip: audit_queries.Strip
) -> Response:
    """Forward an audit query without the names this registry hosts: they are private, and
    an upstream must not learn them (nor could it know anything about them)."""
    svc = kit.services(request)
    index = kit.current_index(request)
    principal = await kit.principal(request)
    svc.reading.readable(index, principal)  # refuse before reading the body
    if await svc.forwarding.proxy_for(index) is None:
        return JSONResponse(nothing_known)
    body = await read_body(request, MAX_QUERY_BYTES)
    query = audit_queries.decode(body, request.headers.get("content-encoding"), MAX_QUERY_BYTES)
    private = await svc.reading.hosted_names(index, audit_queries.names_in(query))
    if private:
        body = audit_queries.encode(
            strip(query, private), request.headers.get("content-encoding")
        )
    forwarded = await svc.forwarding.forward(
        index, principal, path, body=body, headers=request.headers
    )
    return _answer(forwarded) if forwarded else JSONResponse(nothing_known)


def _answer(forwarded: Forwarded) -> Response:
    return Response(
        forwarded.body,
        status_code=forwarded.status,
        headers={"content-type": forwarded.content_type, "cache-control": "no-store"},
    )


def _spec(target: NpmPath) -> tuple[str, str]:
    """``name`` and ``version`` from the segments after ``attestations``."""
    spec = "/".join(target.endpoint[3:])
    name, _, version = spec.rpartition("@")
    if not name or name == "@" or not version or "/" in version:
        raise NotFoundError(
            f"'{spec}' is not <name>@<version>.",
            hint="Ask for /-/npm/v1/attestations/<name>@<version>.",
        )
    return name, version
