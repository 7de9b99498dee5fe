"""From the neutral ``ProjectPage`` the services build (hosted, proxied or merged by a group)
to the npm ``Package`` that ``packument`` renders.

Per version, the page holds the stored manifest (``release_metadata``) and the tarball's
file entry (publish time, digests, and for hosted versions published with provenance the
bundle's predicate type). Versions without a tarball entry are left out: a
version a client can see must be a version it can install.

Versions hosted here are signed by Wharf (``dist.signatures``, see ``signing``) when the
page is rendered; any signature stored with them is replaced. Versions that came from an
upstream keep the upstream's signatures as they are: Wharf does not vouch for them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from wharf.core.models import ProjectPage
from wharf.formats.npm import provenance
from wharf.formats.npm import versions as npm_versions
from wharf.formats.npm.keyfile import SigningKey as Signer
from wharf.formats.npm.packument import Package, PackageVersion
from wharf.formats.wire import parse_time

# Project-level keys a proxied page carries in ``extra`` that have their own Package field.
_OWN_FIELDS = ("readme", "maintainers", "created", "modified", "time")


def package_from_page(
    page: ProjectPage, signer: Signer | None = None, hosted: Collection[str] = ()
) -> Package:
    """The package of ``page``. Versions whose tarball comes from one of the ``hosted``
    indexes carry the ``signer``'s signature and no other."""
    published = {entry.version: entry.uploaded_at for entry in page.files}
    attested = {
        entry.version: kind
        for entry in page.files
        if isinstance(kind := entry.attrs.get(provenance.ATTRIBUTE), str)
    }
    local = {entry.version for entry in page.files if entry.source in hosted}
    chosen = [
        PackageVersion(version, _with_provenance(manifest, attested.get(version)),
                       published.get(version))
        for version, manifest in page.release_metadata.items()
        if version in published
    ]
    chosen = [
        _signed(v, page.display_name, signer) if v.version in local else v for v in chosen
    ]
    extra = {k: v for k, v in page.extra.items() if k not in _OWN_FIELDS}
    return Package(
        name=page.display_name,
        versions=chosen,
        dist_tags=page.tags,
        created_at=_moment(page.extra.get("created")) or _earliest(published),
        modified_at=_moment(page.extra.get("modified")) or _latest(published),
        maintainers=_maintainers(page.extra.get("maintainers"), chosen),
        readme=_readme(page.extra.get("readme"), chosen, page.tags),
        extra=extra,
    )


def _with_provenance(
    manifest: Mapping[str, Any], predicate_type: str | None
) -> Mapping[str, Any]:
    """A hosted version with a stored provenance bundle announces it in
    ``dist.attestations``; the URL is written at render time, like the tarball's."""
    if predicate_type is None:
        return manifest
    dist = manifest.get("dist")
    dist = dict(dist) if isinstance(dist, Mapping) else {}
    dist["attestations"] = {"provenance": {"predicateType": predicate_type}}
    return {**manifest, "dist": dist}


def _signed(version: PackageVersion, name: str, signer: Signer | None) -> PackageVersion:
    """A hosted version with Wharf's signature over its ``dist.integrity`` (computed by
    Wharf from the tarball at publish) in place of any stored one; unsigned without a
    signer, since a registry's signatures are its own and no one else's."""
    dist = version.manifest.get("dist")
    dist = dict(dist) if isinstance(dist, Mapping) else {}
    dist.pop("signatures", None)
    integrity = dist.get("integrity")
    if signer is not None and isinstance(integrity, str) and integrity:
        dist["signatures"] = [signer.sign(name, version.version, integrity)]
    return replace(version, manifest={**version.manifest, "dist": dist})


def _moment(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else parse_time(value)


def _earliest(published: Mapping[str, datetime | None]) -> datetime | None:
    moments = [m for m in published.values() if m is not None]
    return min(moments) if moments else None


def _latest(published: Mapping[str, datetime | None]) -> datetime | None:
    moments = [m for m in published.values() if m is not None]
    return max(moments) if moments else None


def _maintainers(given: Any, chosen: list[PackageVersion]) -> list[dict[str, str]]:
    """Upstream's list when there is one; else everyone who published a version here."""
    if isinstance(given, list) and given:
        return [dict(m) for m in given if isinstance(m, Mapping)]
    seen: dict[str, dict[str, str]] = {}
    for version in chosen:
        user = version.manifest.get("_npmUser")
        if isinstance(user, Mapping) and isinstance(user.get("name"), str):
            seen.setdefault(user["name"], {k: str(v) for k, v in user.items()})
    return list(seen.values())


def _readme(given: Any, chosen: list[PackageVersion], tags: Mapping[str, str]) -> str:
    if isinstance(given, str) and given:
        return given
    by_version = {v.version: v for v in chosen}
    latest = tags.get("latest") or npm_versions.highest(by_version)
    manifest = by_version[latest].manifest if latest in by_version else {}
    readme = manifest.get("readme")
    return readme if isinstance(readme, str) else ""
