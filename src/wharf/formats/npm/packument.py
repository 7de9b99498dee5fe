"""Packuments: the npm registry's per-package documents, rendered from neutral data.

Hosted packages and cached upstream packages both become a ``Package``; this module turns it
into the full document (``npm view``, writes, yarn berry) or the abbreviated "corgi" one
(installs). Tarball URLs are never stored rewritten: every render writes them afresh under
the registry URL the request came in on, so a reverse proxy or a renamed host cannot leave
stale links behind. The same holds for the attestations URL of hosted versions with
provenance; upstream ``dist.signatures`` and ``dist.attestations`` pass through untouched.
Hosted versions arrive here already signed by Wharf (``pages``): rendering copies ``dist``
as it is, so signatures land in the full, abbreviated and single-version documents alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wharf.formats import codec
from wharf.formats.npm import versions as npm_versions

ABBREVIATED_FIELDS = (
    "name",
    "version",
    "deprecated",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "bundleDependencies",
    "bundledDependencies",
    "acceptDependencies",
    "bin",
    "directories",
    "dist",
    "engines",
    "_hasShrinkwrap",
    "hasInstallScript",
    "funding",
    "cpu",
    "os",
    "libc",
)
"""Version fields an installer needs; everything else stays in the full document."""

INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")

_STRUCTURAL = frozenset(
    (
        "_id",
        "_rev",
        "_attachments",
        "name",
        "dist-tags",
        "versions",
        "time",
        "maintainers",
        "readme",
    )
)
"""Top-level keys this module writes itself; ``extra`` cannot override them."""


@dataclass(frozen=True, slots=True)
class PackageVersion:
    version: str
    manifest: Mapping[str, Any]
    """The stored version object (package.json fields, ``_npmUser``, ``deprecated``, ``dist``).
    ``dist.tarball`` may be absent or an upstream URL: rendering always replaces it."""
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class Package:
    name: str
    versions: Sequence[PackageVersion]
    """In any order; rendering sorts by semver precedence."""
    dist_tags: Mapping[str, str]
    created_at: datetime | None
    modified_at: datetime | None
    maintainers: Sequence[Mapping[str, str]] = ()
    readme: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Other top-level fields passed through to the full document (description, license…)."""


def render_full(package: Package, registry_url: str) -> dict[str, Any]:
    """The full packument, with every tarball URL under ``registry_url`` (ends in "/")."""
    ordered = _ordered(package)
    document: dict[str, Any] = {
        "_id": package.name,
        "_rev": revision(package),
        "name": package.name,
        "dist-tags": dist_tags(package),
        "versions": {v.version: _render_version(package.name, v, registry_url) for v in ordered},
        "time": _time_map(package, ordered, complete=False) or {},
        "maintainers": [dict(m) for m in package.maintainers],
        "readme": package.readme,
    }
    for key, value in package.extra.items():
        if key not in _STRUCTURAL:
            document[key] = value
    return document


def render_abbreviated(package: Package, registry_url: str) -> dict[str, Any]:
    """The abbreviated packument: allow-listed version fields and a complete ``time`` map.

    ``time`` is left out unless every version has a publish time: pnpm trusts the map for
    its minimum-release-age check and silently drops versions a partial map omits.
    """
    ordered = _ordered(package)
    document: dict[str, Any] = {"name": package.name}
    modified = _modified(package)
    if modified is not None:
        document["modified"] = iso(modified)
    document["dist-tags"] = dist_tags(package)
    document["versions"] = {
        v.version: _abbreviate(_render_version(package.name, v, registry_url)) for v in ordered
    }
    time_map = _time_map(package, ordered, complete=True)
    if time_map is not None:
        document["time"] = time_map
    return document


def single_version(package: Package, spec: str, registry_url: str) -> dict[str, Any] | None:
    """One version object, by exact version or by dist-tag (``latest``); None when neither."""
    by_version = {v.version: v for v in package.versions}
    found = by_version.get(spec)
    if found is None:
        tagged = dist_tags(package).get(spec)
        found = by_version.get(tagged) if tagged is not None else None
    return None if found is None else _render_version(package.name, found, registry_url)


def dist_tags(package: Package) -> dict[str, str]:
    """The tags clients see: dangling tags dropped, ``latest`` always present when any version
    is (npm refuses a packument without it)."""
    present = {v.version for v in package.versions}
    tags = {tag: v for tag, v in package.dist_tags.items() if v in present}
    if "latest" not in tags:
        latest = npm_versions.highest(present)
        if latest is not None:
            tags = {"latest": latest, **tags}
    return tags


def revision(package: Package) -> str:
    """A stable ``_rev`` (``<n>-<16 hex>``) that changes whenever anything a client can write
    changes: versions and their contents, dist-tags, deprecations, maintainers.

    Writes that carry ``_rev`` are checked against it, so it must be a pure function of the
    package, equal across workers and restarts.
    """
    state = {
        "versions": {
            v.version: [_dist(v.manifest).get("integrity"), _dist(v.manifest).get("shasum")]
            for v in package.versions
        },
        "tags": dict(package.dist_tags),
        "deprecated": {
            v.version: msg for v in package.versions if (msg := _deprecation(v.manifest))
        },
        "maintainers": [dict(m) for m in package.maintainers],
    }
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{len(package.versions)}-{digest[:16]}"


def encode(document: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON in the key order the document was built in (stable bytes, so the
    rendered-page cache and ETags stay valid across renders)."""
    return codec.dumps(document)


def iso(moment: datetime) -> str:
    """npm's timestamp form: UTC with milliseconds and ``Z`` (naive values are taken as UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ordered(package: Package) -> list[PackageVersion]:
    return sorted(package.versions, key=lambda v: npm_versions.sort_key(v.version))


def _render_version(name: str, version: PackageVersion, registry_url: str) -> dict[str, Any]:
    manifest = dict(version.manifest)
    manifest["name"] = name
    manifest["version"] = version.version
    manifest["_id"] = f"{name}@{version.version}"
    if not _deprecation(manifest):
        manifest.pop("deprecated", None)
    dist = dict(_dist(manifest))
    dist["tarball"] = registry_url + _tarball_path(name, version.version)
    attestations = dist.get("attestations")
    if isinstance(attestations, Mapping) and "url" not in attestations:
        # Announced by a hosted version's stored provenance: served by this registry.
        dist["attestations"] = {"url": registry_url + attestations_path(name, version.version),
                                **attestations}
    manifest["dist"] = dist
    return manifest


def attestations_path(name: str, version: str) -> str:
    """``-/npm/v1/attestations/<name>@<version>``, the scope's slash escaped (``%2f``) as the
    npm registry writes it. Upstream attestation URLs pass through as upstream wrote them."""
    return f"-/npm/v1/attestations/{name.replace('/', '%2f')}@{version}"


def _abbreviate(manifest: Mapping[str, Any]) -> dict[str, Any]:
    short = {key: manifest[key] for key in ABBREVIATED_FIELDS if key in manifest}
    scripts = manifest.get("scripts")
    if (
        "hasInstallScript" not in short
        and isinstance(scripts, Mapping)
        and any(scripts.get(s) for s in INSTALL_SCRIPTS)
    ):
        short["hasInstallScript"] = True
    return short


def _time_map(
    package: Package, ordered: Sequence[PackageVersion], *, complete: bool
) -> dict[str, str] | None:
    """``created``, ``modified`` and one entry per version; None when ``complete`` is asked
    for and some entry is unknown."""
    created, modified = _created(package), _modified(package)
    if complete and (
        created is None or modified is None or any(v.published_at is None for v in ordered)
    ):
        return None
    times: dict[str, str] = {}
    if created is not None:
        times["created"] = iso(created)
    if modified is not None:
        times["modified"] = iso(modified)
    for v in ordered:
        if v.published_at is not None:
            times[v.version] = iso(v.published_at)
    return times


def _created(package: Package) -> datetime | None:
    if package.created_at is not None:
        return package.created_at
    known = [v.published_at for v in package.versions if v.published_at is not None]
    return min(known, key=_utc) if known else None


def _modified(package: Package) -> datetime | None:
    if package.modified_at is not None:
        return package.modified_at
    known = [v.published_at for v in package.versions if v.published_at is not None]
    return max(known, key=_utc) if known else None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _dist(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    dist = manifest.get("dist")
    return dist if isinstance(dist, Mapping) else {}


def _deprecation(manifest: Mapping[str, Any]) -> str:
    message = manifest.get("deprecated")
    return message if isinstance(message, str) else ""


def _tarball_path(name: str, version: str) -> str:
    """``x/-/x-1.0.0.tgz``; scoped ``@s/x/-/x-1.0.0.tgz`` (the file part drops the scope)."""
    bare = name.rpartition("/")[2]
    return f"{name}/-/{bare}-{version}.tgz"
