"""Upstream packuments read into the neutral listing shape that the proxy cache stores, and
that shape read back as a ``Package``::

    {"name", "dist-tags": {tag: version}, "versions": {version: manifest},
     "time": {version: iso}, "created": iso | None, "modified": iso | None,
     "maintainers": [{name, email}], "readme": str, "extra": {top-level pass-through},
     "tarballs": {"<name>-<version>.tgz": {"url", "version", "integrity"?, "shasum"?}}}

``tarballs`` repeats, per tarball, what a download needs from its version's ``dist``,
written by Wharf with ``url`` first: a download finds its entry in the stored text by
``"<file>":{"url":`` and decodes that entry alone, not the whole packument (bodies stored
before it existed are decoded whole).

Manifests keep their ``dist`` as upstream sent it (upstream tarball URL, integrity, shasum,
signatures, attestations): signatures cover ``<name>@<version>:<integrity>``, so they stay
valid when the tarball URL is rewritten at render time. Relative tarball URLs are resolved
against the packument URL here, so a stored body only ever holds absolute ones.
Unreadable packuments raise ``UpstreamError`` so that the caller can fall back to a cached
copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from wharf.core.errors import UpstreamError
from wharf.formats import codec
from wharf.formats.npm.names import tarball_filename
from wharf.formats.npm.packument import Package, PackageVersion
from wharf.formats.wire import parse_time

_NOT_EXTRA = frozenset(
    ("name", "dist-tags", "versions", "time", "maintainers", "readme", "_attachments")
)
_HINT = "Check that the proxy index's upstream URL points at an npm registry."


def parse_listing(raw: bytes, page_url: str, project: str) -> dict[str, Any] | None:
    """An upstream full packument as the neutral body; None when the package was unpublished
    (npm answers 200 with ``time.unpublished`` and no versions: to a client, no package).

    Raises ``UpstreamError`` for invalid JSON, a non-object, or a document about another
    name (a misconfigured upstream must not poison the cache under this name).
    """
    try:
        document = codec.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UpstreamError(
            f"Upstream {page_url} sent a packument that is not valid JSON.", hint=_HINT
        ) from exc
    if not isinstance(document, dict):
        raise UpstreamError(
            f"Upstream {page_url} sent a packument that is not a JSON object.", hint=_HINT
        )
    if document.get("name") != project:
        raise UpstreamError(
            f"Upstream {page_url} answered with a packument for {document.get('name')!r}, "
            f"not {project!r}.",
            hint=_HINT,
        )
    if "unpublished" in _mapping(document.get("time")) and not _mapping(document.get("versions")):
        return None
    return to_body(document, page_url)


def to_body(document: Mapping[str, Any], page_url: str) -> dict[str, Any]:
    """The neutral body of a packument already known to be about the right name.

    Version readmes are dropped (the top-level one is the latest's, and per-version copies
    make big packuments several times bigger), as are ``_attachments``, ``_rev``, ``_id`` and
    other underscore keys of the upstream's own bookkeeping.
    """
    versions: dict[str, dict[str, Any]] = {}
    for version, manifest in _mapping(document.get("versions")).items():
        if isinstance(version, str) and isinstance(manifest, Mapping):
            versions[version] = _cached_manifest(manifest, page_url)
    times = _mapping(document.get("time"))
    name = str(document["name"])
    return {
        "name": name,
        "dist-tags": _string_map(document.get("dist-tags")),
        "versions": versions,
        "time": {v: t for v, t in times.items() if v in versions and isinstance(t, str)},
        "created": _text(times.get("created")),
        "modified": _text(times.get("modified")),
        "maintainers": [
            _string_map(m) for m in _sequence(document.get("maintainers")) if isinstance(m, Mapping)
        ],
        "readme": _text(document.get("readme")) or "",
        "extra": {
            str(k): v
            for k, v in document.items()
            if k not in _NOT_EXTRA and not str(k).startswith("_")
        },
        "tarballs": _tarballs(name, versions),
    }


def _tarballs(name: str, versions: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for version, manifest in versions.items():
        dist = _mapping(manifest.get("dist"))
        url = dist.get("tarball")
        if isinstance(url, str) and url:
            entry = {"url": url, "version": version}
            for key in ("integrity", "shasum"):
                if isinstance(dist.get(key), str):
                    entry[key] = dist[key]
            found[tarball_filename(name, version)] = entry
    return found


def package_from_body(body: Mapping[str, Any]) -> Package:
    """Read a neutral body back as a ``Package`` (tolerating fields of the wrong type)."""
    times = _mapping(body.get("time"))
    return Package(
        name=str(body.get("name") or ""),
        versions=[
            PackageVersion(version=str(v), manifest=m, published_at=parse_time(times.get(v)))
            for v, m in _mapping(body.get("versions")).items()
            if isinstance(m, Mapping)
        ],
        dist_tags=_string_map(body.get("dist-tags")),
        created_at=parse_time(body.get("created")),
        modified_at=parse_time(body.get("modified")),
        maintainers=[
            _string_map(m) for m in _sequence(body.get("maintainers")) if isinstance(m, Mapping)
        ],
        readme=_text(body.get("readme")) or "",
        extra=_mapping(body.get("extra")),
    )




def _cached_manifest(manifest: Mapping[str, Any], page_url: str) -> dict[str, Any]:
    kept = {str(k): v for k, v in manifest.items() if k != "readme"}
    dist = manifest.get("dist")
    if isinstance(dist, Mapping):
        kept["dist"] = dict(dist)
        tarball = dist.get("tarball")
        if isinstance(tarball, str) and tarball:
            kept["dist"]["tarball"] = urljoin(page_url, tarball)
    return kept


def _string_map(value: Any) -> dict[str, str]:
    return {str(k): v for k, v in _mapping(value).items() if isinstance(v, str)}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
