"""The npm upstream protocol: fetch a package's full packument from an upstream registry,
keep it in the neutral listing shape (see ``listing``), and read packages, local entries and
tarball sources back out of the cached copy."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from wharf.core.models import FileEntry
from wharf.core.ports import Upstream, UpstreamReply
from wharf.formats import codec
from wharf.formats.base import FetchStatus, ListingDetails, RemoteFile, UpstreamFetch
from wharf.formats.npm.listing import package_from_body, parse_listing
from wharf.formats.npm.names import tarball_filename
from wharf.formats.npm.packument import Package
from wharf.formats.npm.versions import sort_key
from wharf.formats.wire import entry_in_text, fetched, get_listing

__all__ = ["ACCEPT", "NpmUpstream", "digests", "escape_name", "package_from_body"]

ACCEPT = "application/json"
"""Always the full document: Wharf serves full packuments from the cached copy too (the
abbreviated one is cut from it)."""

_DIGEST_SIZES = {"sha512": 64, "sha1": 20}


class NpmUpstream:
    """``UpstreamAdapter`` for npm registries."""

    async def request(
        self,
        upstream: Upstream,
        base_url: str,
        project: str,
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> UpstreamReply | UpstreamFetch:
        root = base_url if base_url.endswith("/") else base_url + "/"
        return await get_listing(
            upstream, root + escape_name(project), accept=ACCEPT, etag=etag,
            last_modified=last_modified, speaks="an npm registry",
        )

    def parse(self, reply: UpstreamReply, project: str) -> UpstreamFetch:
        body = parse_listing(reply.body, reply.url, project)
        if body is None:
            return UpstreamFetch(FetchStatus.MISSING)
        return fetched(reply, body)

    def package_from_body(self, body: Mapping[str, Any]) -> Package:
        """The cached package, ready for ``packument.render_full``/``render_abbreviated``."""
        return package_from_body(body)

    def entries(self, body: Mapping[str, Any], index: str) -> list[FileEntry]:
        """One tarball per version, oldest precedence first, under the index root."""
        package = package_from_body(body)
        result: list[FileEntry] = []
        for item in sorted(package.versions, key=lambda v: sort_key(v.version)):
            deprecated = item.manifest.get("deprecated")
            attrs = {"deprecated": deprecated} if isinstance(deprecated, str) and deprecated else {}
            result.append(
                FileEntry(
                    filename=tarball_filename(package.name, item.version),
                    version=item.version,
                    url=_tarball_path(package.name, item.version),
                    sha256=None,
                    uploaded_at=item.published_at,
                    digests=digests(_mapping(item.manifest.get("dist"))),
                    attrs=attrs,
                    source=index,
                )
            )
        return result

    def details(self, body: Mapping[str, Any], project: str) -> ListingDetails:
        """Versions (semver order) with their manifests as release metadata, the dist-tags as
        stored, and the project-level fields a packument needs in ``extra``: the pass-through
        fields plus ``readme``, ``maintainers``, ``created``, ``modified`` and ``time``."""
        versions = _mapping(body.get("versions"))
        ordered = sorted((v for v in versions if isinstance(versions[v], Mapping)), key=sort_key)
        extra = {
            **_mapping(body.get("extra")),
            "readme": body.get("readme") or "",
            "maintainers": body.get("maintainers") or [],
            "created": body.get("created"),
            "modified": body.get("modified"),
            "time": body.get("time") or {},
        }
        return ListingDetails(
            display_name=str(body.get("name") or project),
            versions=tuple(ordered),
            release_metadata={v: versions[v] for v in ordered},
            tags=dict(_mapping(body.get("dist-tags"))),
            extra=extra,
        )

    def locate(self, body: Mapping[str, Any], filename: str) -> RemoteFile | None:
        """The upstream tarball of ``<name>-<version>.tgz`` with the digests upstream vouches
        for (npm publishes no sha256, so ``sha256`` is None and ``digests`` does the checking).

        The URL is the stored ``dist.tarball`` as is: ``fetch`` resolved relative ones against
        the packument URL, so it is absolute for every body this adapter wrote.
        """
        name = str(body.get("name") or "")
        prefix = f"{name}-"
        if not name or not filename.startswith(prefix) or not filename.endswith(".tgz"):
            return None
        version = filename[len(prefix) : -len(".tgz")]
        manifest = _mapping(body.get("versions")).get(version)
        if not isinstance(manifest, Mapping):
            return None
        dist = _mapping(manifest.get("dist"))
        tarball = dist.get("tarball")
        if not isinstance(tarball, str) or not tarball:
            return None
        return RemoteFile(filename=filename, url=tarball, sha256=None, digests=digests(dist),
                          version=version)


    def locate_in_text(self, text: str, project: str, filename: str) -> RemoteFile | None:
        """``locate`` on the stored text of a packument: the tarball's entry of the
        ``tarballs`` index (see ``listing``), decoded alone."""
        key = codec.dumps(filename).decode("utf-8") + ":"
        entry = entry_in_text(text, key + '{"url":', len(key))
        if entry is None or not isinstance(entry.get("url"), str):
            return None
        return RemoteFile(filename=filename, url=entry["url"], sha256=None,
                          digests=digests(entry), version=str(entry.get("version") or ""))


def escape_name(name: str) -> str:
    """A package name as one registry path segment: ``@scope/name`` becomes ``@scope%2fname``
    (lower-case ``%2f``, as npm itself sends it)."""
    if name.startswith("@") and "/" in name:
        scope, _, bare = name[1:].partition("/")
        return f"@{quote(scope, safe='')}%2f{quote(bare, safe='')}"
    return quote(name, safe="")


def digests(dist: Mapping[str, Any]) -> dict[str, str]:
    """The hex digests a version's ``dist`` vouches for, by hashlib name: ``sha512`` from the
    SRI ``integrity`` (base64), ``sha1`` from ``shasum`` (else from the SRI). Malformed values
    are ignored rather than trusted."""
    found: dict[str, str] = {}
    integrity = dist.get("integrity")
    for token in integrity.split() if isinstance(integrity, str) else ():
        algorithm, _, encoded = token.partition("-")
        algorithm = algorithm.lower()
        size = _DIGEST_SIZES.get(algorithm)
        if size is None or algorithm in found:
            continue
        encoded = encoded.partition("?")[0]
        try:
            raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(raw) == size:
            found[algorithm] = raw.hex()
    shasum = dist.get("shasum")
    if isinstance(shasum, str) and len(shasum) == 40 and _is_hex(shasum):
        found["sha1"] = shasum.lower()
    return found




def _tarball_path(name: str, version: str) -> str:
    """Relative to the registry root: ``x/-/x-1.0.0.tgz``, scoped ``@s/x/-/x-1.0.0.tgz``."""
    return f"{name}/-/{name.rpartition('/')[2]}-{version}.tgz"


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
