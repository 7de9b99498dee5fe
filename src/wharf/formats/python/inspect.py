"""Inspect an uploaded wheel or sdist: filename, archive safety, layout and metadata."""

from __future__ import annotations

import base64
import binascii
import email.parser
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from wharf.core.errors import InvalidArtifactError
from wharf.formats.python.archives import DEFAULT_LIMITS, Archive, ArchiveLimits, open_archive
from wharf.formats.python.filenames import WHEEL, DistFilename, archive_format, parse_filename
from wharf.formats.python.metadata import declares_at_least, parse_core_metadata
from wharf.formats.python.names import normalize

_REBUILD = "rebuild it with a current build backend (for example `python -m build`)"
_HINT = f"Fix the problems listed; usually that means to {_REBUILD}."
_DIGESTS = (
    ("sha256_digest", "sha256"),
    ("md5_digest", "md5"),
    ("blake2_256_digest", "blake2b_256"),
)


@dataclass(frozen=True, slots=True)
class Distribution:
    """What an uploaded file turned out to be, once every check passed."""

    filename: str
    kind: str
    name: str
    normalized_name: str
    version: str
    python_version: str
    requires_python: str | None
    core_metadata: bytes | None
    metadata: dict[str, object]


def inspect_distribution(
    path: Path, filename: str, limits: ArchiveLimits = DEFAULT_LIMITS
) -> Distribution:
    """Check the file at ``path`` uploaded as ``filename``; raise with every problem found."""
    parsed = parse_filename(filename)
    with open_archive(path, archive_format(filename), limits) as archive:
        if not archive.usable:
            raise InvalidArtifactError(archive.problems, hint=_HINT)
        problems: list[str] = []
        source = "METADATA" if parsed.kind == WHEEL else "PKG-INFO"
        if parsed.kind == WHEEL:
            raw = _read_wheel(archive, parsed, problems)
        else:
            raw = _read_sdist(archive, parsed, problems)
        problems[:0] = archive.problems
    fields: dict[str, object] = {}
    if raw is not None:
        fields, metadata_problems = parse_core_metadata(raw)
        problems.extend(f"{source}: {problem}" for problem in metadata_problems)
        problems.extend(_compare_with_filename(fields, parsed, source))
    if problems or raw is None:
        raise InvalidArtifactError(problems, hint=_HINT)
    keep = parsed.kind == WHEEL or declares_at_least(fields, "2.2")
    requires_python = fields.get("requires_python")
    return Distribution(
        filename=filename,
        kind=parsed.kind,
        name=str(fields["name"]),
        normalized_name=normalize(str(fields["name"])),
        version=str(Version(str(fields["version"]))),
        python_version=parsed.python_tag,
        requires_python=requires_python if isinstance(requires_python, str) else None,
        core_metadata=raw if keep else None,
        metadata=fields,
    )


def check_declared(
    dist: Distribution, form: Mapping[str, str], digests: Mapping[str, str]
) -> list[str]:
    """Problems between what an upload form claims and what the file is."""
    problems: list[str] = []
    name, version = form.get("name"), form.get("version")
    if name and normalize(name) != dist.normalized_name:
        problems.append(f"the form says name {name!r} but the file's metadata says {dist.name!r}")
    if version and not _same_version(version, dist.version):
        problems.append(
            f"the form says version {version!r} but the file's metadata says {dist.version!r}"
        )
    filetype, pyversion = form.get("filetype"), form.get("pyversion")
    if filetype and filetype != dist.kind:
        problems.append(f"the form says filetype {filetype!r} but {dist.filename!r} is {dist.kind}")
    if pyversion and pyversion != dist.python_version:
        problems.append(
            f"the form says pyversion {pyversion!r} but {dist.filename!r} "
            f"is for {dist.python_version!r}"
        )
    for field, algorithm in _DIGESTS:
        claimed, actual = form.get(field), digests.get(algorithm)
        if claimed and actual and _as_hex(claimed, len(actual)) != actual.lower():
            problems.append(
                f"{field} does not match the received file (upload may be corrupt; send it again)"
            )
    return problems


def _read_wheel(archive: Archive, parsed: DistFilename, problems: list[str]) -> bytes | None:
    tops = sorted({m.name.split("/")[0] for m in archive.members if "/" in m.name})
    dist_infos = [top for top in tops if top.endswith(".dist-info")]
    if len(dist_infos) != 1:
        found = ", ".join(dist_infos) or "none"
        problems.append(
            f"a wheel must contain exactly one .dist-info directory (found: {found}); {_REBUILD}"
        )
        return None
    directory = dist_infos[0]
    if not _matches(directory.removesuffix(".dist-info"), parsed):
        problems.append(
            f"{directory!r} does not match the filename's project and version "
            f"({parsed.name} {parsed.version}); {_REBUILD}"
        )
    files = {m.name for m in archive.members if m.is_file}
    for required in ("WHEEL", "METADATA", "RECORD"):
        if f"{directory}/{required}" not in files:
            problems.append(f"the wheel has no {directory}/{required}; {_REBUILD}")
    if f"{directory}/WHEEL" in files:
        _check_wheel_file(archive.read(f"{directory}/WHEEL"), problems)
    if f"{directory}/METADATA" not in files:
        return None
    return archive.read(f"{directory}/METADATA")


def _check_wheel_file(raw: bytes | None, problems: list[str]) -> None:
    if raw is None:
        return
    message = email.parser.BytesParser().parsebytes(raw)
    declared = message.get("Wheel-Version")
    if not declared:
        problems.append(f"the wheel's WHEEL file has no Wheel-Version; {_REBUILD}")
        return
    try:
        major = Version(str(declared).strip()).major
    except InvalidVersion:
        major = -1
    if major != 1:
        problems.append(f"Wheel-Version {declared!r} is not supported (only 1.x is)")


def _read_sdist(archive: Archive, parsed: DistFilename, problems: list[str]) -> bytes | None:
    tops = sorted({m.name.split("/")[0] for m in archive.members if m.name})
    loose = [m.name for m in archive.members if "/" not in m.name and not m.is_dir]
    if len(tops) != 1 or loose:
        problems.append(
            "an sdist must hold everything in one top-level directory named "
            f"'<name>-<version>' (found: {', '.join(tops) or 'nothing'}); {_REBUILD}"
        )
        return None
    top = tops[0]
    if not _matches(top, parsed):
        problems.append(
            f"the sdist's top-level directory {top!r} does not match the filename's project "
            f"and version ({parsed.name} {parsed.version}); {_REBUILD}"
        )
    if not any(m.name == f"{top}/PKG-INFO" and m.is_file for m in archive.members):
        problems.append(f"the sdist has no {top}/PKG-INFO; {_REBUILD}")
        return None
    return archive.read(f"{top}/PKG-INFO")


def _matches(stem: str, parsed: DistFilename) -> bool:
    name, _, version = stem.rpartition("-")
    return bool(name) and normalize(name) == parsed.name and _same_version(version, parsed.version)


def _compare_with_filename(
    fields: Mapping[str, object], parsed: DistFilename, source: str
) -> list[str]:
    problems: list[str] = []
    name, version = fields.get("name"), fields.get("version")
    if isinstance(name, str) and name and normalize(name) != parsed.name:
        problems.append(
            f"{source} names the project {name!r} but the filename says {parsed.name!r}; "
            "the file must be named after the project it contains"
        )
    if isinstance(version, str) and version and not _same_version(version, parsed.version):
        problems.append(
            f"{source} says version {version!r} but the filename says {parsed.version!r}; "
            "rename the file or rebuild it"
        )
    return problems


def _same_version(left: str, right: str) -> bool:
    try:
        return Version(left) == Version(right)
    except InvalidVersion:
        return left == right


def _as_hex(digest: str, hex_length: int) -> str:
    """A hex digest as given, or converted from urlsafe base64 without padding (twine's md5)."""
    text = digest.strip()
    if len(text) == hex_length:
        return text.lower()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).hex()
    except (binascii.Error, ValueError):
        return text
