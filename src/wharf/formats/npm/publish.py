"""The bodies of npm's writes to ``PUT /<name>``: a publish, or a metadata update.

A publish (libnpmpublish) carries one version object and the tarball base64-encoded in
``_attachments``. Deprecate and unpublish-one-version carry no attachments: they send the
whole packument back, edited, and the change is whatever differs from what is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import semver

from wharf.core.errors import InvalidArtifactError, InvalidRequestError, TooLargeError
from wharf.formats.npm.names import tarball_filename, validate_name
from wharf.formats.npm.provenance import Provenance, check_bundle
from wharf.formats.npm.tarballs import TarballInfo, TarballLimits, inspect_tarball

HINT = (
    "Publish with `npm publish`; if another tool built the package, run `npm pack` and check "
    "that its package.json has the name and version you are publishing."
)
_UPDATE_HINT = (
    "Use npm deprecate, npm unpublish <name>@<version> or npm dist-tag; "
    "they send what the registry expects."
)
_NEW_VERSION_HINT = "Publish new versions with npm publish."
_SRI_ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
# The registry, not the client, says who published and where the readme lives.
_DROPPED = ("readme", "_npmUser")


@dataclass(frozen=True, slots=True)
class Publication:
    """One version ready to store: the version object, its tags and the tarball's digests."""

    name: str
    version: str
    manifest: dict[str, Any]
    dist_tags: dict[str, str]
    tarball: bytes
    filename: str
    sha1: str
    sha512: str
    integrity: str
    file_count: int
    unpacked_size: int
    extra_attachments: dict[str, bytes]
    access: str | None
    readme: str
    provenance: Provenance | None = None
    """The checked sigstore bundle from the ``.sigstore`` attachment, if one came."""


@dataclass(frozen=True, slots=True)
class MetadataUpdate:
    """What a metadata-only PUT changes; ``""`` in ``deprecations`` means un-deprecate."""

    deprecations: dict[str, str]
    removed_versions: frozenset[str]
    dist_tags: dict[str, str] | None


def parse_publication(
    body: bytes,
    url_name: str,
    *,
    max_body_bytes: int,
    limits: TarballLimits,
    document: dict[str, Any] | None = None,
) -> Publication:
    """Check a publish body; raise InvalidArtifactError listing every problem found.
    ``document`` is the body already parsed by ``load_body``, when the caller has it."""
    if len(body) > max_body_bytes:
        raise TooLargeError(
            f"the publish request is {len(body)} bytes; the limit is {max_body_bytes}",
            hint="The tarball travels base64-encoded (a third larger); make the package smaller.",
        )
    doc = document if document is not None else load_body(body)
    if doc is None:
        raise InvalidArtifactError(["the publish request is not a JSON object"], hint=HINT)
    problems = _check_names(doc, url_name, required=True)
    problems.extend(validate_name(url_name))
    version, obj = _single_version(doc, url_name, problems)
    tarball, extras = _read_attachments(doc, problems)
    access = doc.get("access")
    if access not in (None, "public", "restricted"):
        problems.append(f"access {access!r} is neither 'public' nor 'restricted'")
    tags = _publish_tags(doc.get("dist-tags"), version, problems)
    info: TarballInfo | None = None
    sha1 = hashlib.sha1(tarball or b"", usedforsecurity=False).hexdigest()
    if tarball is not None:
        problems.extend(_check_digests(obj.get("dist") if obj else None, tarball, sha1))
        try:
            info = inspect_tarball(tarball, limits)
        except InvalidArtifactError as exc:
            problems.extend(exc.problems)
        if info is not None and version:
            problems.extend(_compare_manifest(info.manifest, url_name, version))
    provenance = _provenance(extras, url_name, version, tarball, problems)
    if problems or tarball is None or info is None or obj is None or version is None:
        raise InvalidArtifactError(problems or ["the publish request is incomplete"], hint=HINT)
    digest = hashlib.sha512(tarball).digest()
    integrity = "sha512-" + base64.b64encode(digest).decode("ascii")
    # No client ``dist`` field is kept: registry signatures are the registry's (Wharf signs
    # when it renders), and the registry announces the attestations it serves (from a
    # stored provenance bundle), never ones a client claims.
    dist = {"shasum": sha1, "integrity": integrity, "fileCount": info.file_count,
            "unpackedSize": info.unpacked_size}
    manifest = {key: value for key, value in obj.items() if key not in _DROPPED}
    manifest.update(_id=f"{url_name}@{version}", name=url_name, version=version, dist=dist)
    readme = obj.get("readme", doc.get("readme"))
    return Publication(
        name=url_name,
        version=version,
        manifest=manifest,
        dist_tags=tags,
        tarball=tarball,
        filename=tarball_filename(url_name, version),
        sha1=sha1,
        sha512=digest.hex(),
        integrity=integrity,
        file_count=info.file_count,
        unpacked_size=info.unpacked_size,
        extra_attachments=extras,
        access=access,
        readme=readme if isinstance(readme, str) else "",
        provenance=provenance,
    )


def parse_update(
    body: bytes,
    url_name: str,
    current_versions: Mapping[str, Mapping[str, Any]],
    current_tags: Mapping[str, str],
    *,
    document: dict[str, Any] | None = None,
) -> MetadataUpdate:
    """The difference between a packument sent back by a client and the stored one.

    Only ``deprecated``, removals and dist-tags are taken: clients send the whole document
    back, so every other field is whatever they read, and a version's contents are
    immutable once published.
    """
    doc = document if document is not None else load_body(body)
    if doc is None:
        raise InvalidRequestError("the request is not a JSON object", hint=_UPDATE_HINT)
    mismatch = _check_names(doc, url_name, required=False)
    if mismatch:
        raise InvalidRequestError("; ".join(mismatch), hint=_UPDATE_HINT)
    if doc.get("_attachments"):
        raise InvalidRequestError(
            "a metadata update may not carry attachments", hint=_NEW_VERSION_HINT
        )
    versions = doc.get("versions")
    if versions is None:  # an owner change: no version is touched
        return MetadataUpdate({}, frozenset(), _changed_tags(doc, current_versions, current_tags))
    if not isinstance(versions, dict) or not all(isinstance(o, dict) for o in versions.values()):
        raise InvalidRequestError("'versions' must map versions to objects", hint=_UPDATE_HINT)
    unknown = sorted(set(versions) - set(current_versions))
    if unknown:
        raise InvalidRequestError(
            f"versions {', '.join(unknown)} of {url_name} do not exist",
            hint=_NEW_VERSION_HINT,
        )
    deprecations: dict[str, str] = {}
    for version, obj in versions.items():
        new = obj.get("deprecated") or ""
        if not isinstance(new, str):
            raise InvalidRequestError(
                f"{url_name}@{version}: 'deprecated' must be a string", hint=_UPDATE_HINT
            )
        old = current_versions[version].get("deprecated")
        if new != (old if isinstance(old, str) else ""):
            deprecations[version] = new
    removed = frozenset(set(current_versions) - set(versions))
    return MetadataUpdate(deprecations, removed, _changed_tags(doc, versions, current_tags))


def load_body(body: bytes) -> dict[str, Any] | None:
    """The request body as a JSON object; None when it is not one."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _check_names(doc: Mapping[str, Any], url_name: str, *, required: bool) -> list[str]:
    """``name`` is required in a publish; an owner change sends only ``_id``."""
    problems = []
    for field in ("name", "_id"):
        value = doc.get(field)
        if value != url_name and (value is not None or (required and field == "name")):
            problems.append(f"the request's {field} {value!r} differs from {url_name!r} in the URL")
    return problems


def _single_version(
    doc: Mapping[str, Any], url_name: str, problems: list[str]
) -> tuple[str | None, dict[str, Any] | None]:
    versions = doc.get("versions")
    if not isinstance(versions, dict) or len(versions) != 1:
        found = ", ".join(map(str, versions)) if isinstance(versions, dict) else "none"
        problems.append(f"a publish must carry exactly one version (found: {found or 'none'})")
        return None, None
    [(version, obj)] = versions.items()
    if not semver.Version.is_valid(version):
        problems.append(f"version {version!r} is not a valid semantic version (like 1.2.3)")
    if not isinstance(obj, dict):
        problems.append(f"version {version!r} is not a JSON object")
        return version, None
    if obj.get("name") != url_name:
        problems.append(f"version {version!r} names the package {obj.get('name')!r}")
    if obj.get("version") != version:
        problems.append(f"version {version!r} says it is version {obj.get('version')!r}")
    return version, obj


def _read_attachments(
    doc: Mapping[str, Any], problems: list[str]
) -> tuple[bytes | None, dict[str, bytes]]:
    attachments = doc.get("_attachments")
    if not isinstance(attachments, dict):
        attachments = {}
    tarballs = [key for key in attachments if key.endswith(".tgz")]
    if len(tarballs) != 1:
        problems.append(f"a publish must carry exactly one .tgz attachment (found {len(tarballs)})")
    tarball: bytes | None = None
    extras: dict[str, bytes] = {}
    for key, entry in attachments.items():
        data = entry.get("data") if isinstance(entry, dict) else None
        if not isinstance(data, str) or not data:
            problems.append(f"attachment {key!r} has no data")
        elif key.endswith(".tgz") and len(tarballs) == 1:
            tarball = _decode_tarball(key, entry, data, problems)
        elif key.endswith(".sigstore") and not extras:
            extras[key] = data.encode("utf-8")  # the bundle's JSON text, sent as is
        elif not key.endswith(".tgz"):
            problems.append(f"unexpected attachment {key!r}; only one .tgz and one .sigstore")
    return tarball, extras


def _provenance(
    extras: Mapping[str, bytes],
    name: str,
    version: str | None,
    tarball: bytes | None,
    problems: list[str],
) -> Provenance | None:
    """The checked ``.sigstore`` attachment (libnpmpublish names it after the tarball)."""
    if not extras or version is None or tarball is None:
        return None
    [(key, raw)] = extras.items()
    expected = f"{name}-{version}.sigstore"
    if key != expected:
        problems.append(f"the provenance attachment is named {key!r}, not {expected!r}")
    found, found_problems = check_bundle(
        key, raw, name, version, hashlib.sha512(tarball).hexdigest()
    )
    problems.extend(found_problems)
    return found


def _decode_tarball(
    key: str, entry: Mapping[str, Any], data: str, problems: list[str]
) -> bytes | None:
    try:
        decoded = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        problems.append(f"attachment {key!r} is not valid base64: {exc}")
        return None
    length = entry.get("length")
    if length is not None and (isinstance(length, bool) or length != len(decoded)):
        problems.append(
            f"attachment {key!r} says it is {length!r} bytes but {len(decoded)} arrived"
        )
    return decoded


def _publish_tags(raw: object, version: str | None, problems: list[str]) -> dict[str, str]:
    if raw is None or raw == {}:
        return {"latest": version} if version else {}
    if not isinstance(raw, dict):
        problems.append("'dist-tags' is not a JSON object")
        return {}
    for tag, target in raw.items():
        if not tag or tag != tag.strip() or semver.Version.is_valid(tag.lstrip("v=")):
            problems.append(f"dist-tag {tag!r} is not a usable tag name (nor may it be a version)")
        if version and target != version:
            problems.append(f"dist-tag {tag!r} points at {target!r}, not the version published")
    return dict(raw)


def _check_digests(dist: object, tarball: bytes, sha1: str) -> list[str]:
    if not isinstance(dist, dict):
        return ["the version has no 'dist' object with the tarball's shasum"]
    problems = []
    shasum = dist.get("shasum")
    if not isinstance(shasum, str) or shasum.lower() != sha1:
        problems.append(f"dist.shasum {shasum!r} does not match the tarball's SHA-1 {sha1}")
    integrity = dist.get("integrity")
    if integrity is None:
        return problems
    checked = 0
    for token in str(integrity).split():
        algorithm, _, rest = token.partition("-")
        if algorithm not in _SRI_ALGORITHMS:
            continue
        checked += 1
        expected = hashlib.new(algorithm, tarball).digest()
        try:
            claimed = base64.b64decode(rest.split("?")[0], validate=True)
        except (binascii.Error, ValueError):
            claimed = b""
        if claimed != expected:
            problems.append(f"dist.integrity ({algorithm}) does not match the tarball")
    if not checked:
        problems.append(f"dist.integrity {integrity!r} has no sha512 (or sha1) hash to check")
    return problems


def _compare_manifest(manifest: Mapping[str, Any], url_name: str, version: str) -> list[str]:
    problems = []
    if manifest.get("name") != url_name:
        problems.append(
            f"the tarball's package.json names {manifest.get('name')!r}, not {url_name!r}"
        )
    declared = manifest.get("version")
    if not isinstance(declared, str) or _clean(declared) != _clean(version):
        problems.append(f"the tarball's package.json says version {declared!r}, not {version!r}")
    return problems


def _clean(version: str) -> str:
    """npm's ``semver.clean``: the client sends this form, the tarball keeps the original."""
    stripped = version.strip().lstrip("=v").strip()
    try:
        return str(semver.Version.parse(stripped).replace(build=None))
    except ValueError:
        return version


def _changed_tags(
    doc: Mapping[str, Any], remaining: Mapping[str, Any], current: Mapping[str, str]
) -> dict[str, str] | None:
    raw = doc.get("dist-tags")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise InvalidRequestError("'dist-tags' must map tag names to versions", hint=_UPDATE_HINT)
    tags = {tag: target for tag, target in raw.items() if target in remaining}
    return tags if tags != dict(current) else None
