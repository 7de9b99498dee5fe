"""Inspect an npm package tarball: safe layout, sizes within limits, and its package.json.

The tarball is read as a stream and decompressed on demand, so a compression bomb is
stopped once it passes a limit instead of after it has been expanded.
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import re
import tarfile
import unicodedata
import zlib
from dataclasses import dataclass
from typing import IO, Any, NoReturn, cast

from wharf.core.errors import InvalidArtifactError, TooLargeError

HINT = (
    "Run `npm pack`, check the .tgz it writes (`tar tzf`), and publish that; "
    "a registry expects exactly what npm pack produces."
)
_LIMIT_HINT = "Leave build output, fixtures and other large files out of the package (`files`)."
_CHUNK = 64 << 10
_DRIVE = re.compile(r"[A-Za-z]:")
_HEADER_ALLOWANCE = 2048  # tar header plus padding per entry, counted against the stream budget
_MAX_PROBLEMS = 50
_READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)
_SPECIAL_KINDS = {
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "fifo",
}


@dataclass(frozen=True, slots=True)
class TarballLimits:
    """How much a tarball may hold before it is refused.

    ``max_ratio`` (unpacked over packed size) only applies once the tarball has expanded
    past ``ratio_floor``: a small package of repetitive text is not a bomb.
    """

    max_unpacked_bytes: int = 512 << 20
    max_files: int = 100_000
    max_ratio: float = 200
    max_manifest_bytes: int = 1 << 20
    ratio_floor: int = 8 << 20


@dataclass(frozen=True, slots=True)
class TarballInfo:
    """What a valid tarball holds; the counts are npm's ``dist.fileCount``/``unpackedSize``."""

    manifest: dict[str, Any]
    file_count: int
    unpacked_size: int


class _Meter:
    """A gzip reader that counts what it expands and refuses to go past the limits.

    It also notes where the last non-zero byte was, so data hidden after the point where
    the tar reader stopped (a corrupt header, a second archive) can be noticed: a client's
    tar reader might carry on and unpack what this one never saw.
    """

    def __init__(self, data: bytes, limits: TarballLimits) -> None:
        self._gz = gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
        self._packed = max(len(data), 1)
        self._limits = limits
        self._budget = limits.max_unpacked_bytes + _HEADER_ALLOWANCE * (limits.max_files + 1)
        self.seen = 0
        self.data_end = 0  # just past the last non-zero byte expanded so far

    def read(self, size: int = -1) -> bytes:
        data = self._gz.read(_CHUNK if size < 0 else size)
        stripped = len(data.rstrip(b"\0"))
        if stripped:
            self.data_end = self.seen + stripped
        self.seen += len(data)
        if self.seen > self._budget:
            raise _too_large(
                f"the tarball expands to more than {self._budget} bytes, over the limit"
            )
        check_ratio(self.seen, self._packed, self._limits)
        return data


def check_ratio(unpacked: int, packed: int, limits: TarballLimits) -> None:
    """Raise TooLargeError when ``unpacked`` bytes from ``packed`` looks like a bomb."""
    if unpacked > limits.ratio_floor and unpacked > limits.max_ratio * max(packed, 1):
        raise _too_large(
            f"the tarball expands {unpacked / max(packed, 1):.0f} times its size "
            f"(the limit is {limits.max_ratio:g}); refusing a likely compression bomb"
        )


def inspect_tarball(data: bytes, limits: TarballLimits = TarballLimits()) -> TarballInfo:
    """Check a package tarball; raise InvalidArtifactError with every problem found.

    Limits raise TooLargeError at once: nothing past a crossed limit is worth reading.
    """
    if data[:2] != b"\x1f\x8b":
        raise InvalidArtifactError(["the tarball is not gzip-compressed"], hint=HINT)
    problems: list[str] = []
    tops: list[str] = []
    seen: set[str] = set()
    raw_manifest: bytes | None = None
    entries = file_count = unpacked = 0
    meter = _Meter(data, limits)
    try:
        with tarfile.open(fileobj=cast(IO[bytes], meter), mode="r|") as archive:
            for info in archive:
                entries += 1
                if entries > limits.max_files:
                    raise _too_large(
                        f"the tarball has more than {limits.max_files} entries; that is the limit"
                    )
                name = _check_entry(info, tops, problems)
                if info.isfile():
                    file_count += 1
                    unpacked += info.size
                    _check_size(unpacked, len(data), limits)
                if name in seen and not info.isdir():
                    problems.append(f"tarball entry {info.name!r} appears more than once")
                seen.add(name)
                if tops and name == f"{tops[0]}/package.json" and raw_manifest is None:
                    raw_manifest = _read_manifest(archive, info, limits, problems)
            while meter.read(_CHUNK):
                pass  # reach the gzip trailer, so its checksum and length are verified
            problems.extend(_check_end(archive.offset, meter))
    except _READ_ERRORS as exc:
        problems.append(f"the tarball is not a readable gzip'd tar archive (truncated?): {exc}")
        if raw_manifest is None:
            _refuse(problems)
    if len(tops) > 1:
        found = ", ".join(repr(top) for top in tops)
        problems.append(
            f"tarball entries must share one top-level directory (npm uses 'package'); "
            f"found {found}"
        )
    manifest = _parse_manifest(raw_manifest, tops, problems)
    if problems or manifest is None:
        _refuse(problems)
    return TarballInfo(manifest=manifest, file_count=file_count, unpacked_size=unpacked)


def _refuse(problems: list[str]) -> NoReturn:
    if len(problems) > _MAX_PROBLEMS:
        problems[_MAX_PROBLEMS:] = [f"and {len(problems) - _MAX_PROBLEMS} more problems"]
    raise InvalidArtifactError(problems, hint=HINT)


def _check_end(offset: int, meter: _Meter) -> list[str]:
    """Problems with what follows the last entry the tar reader accepted."""
    if meter.seen < offset:
        return ["the tarball is truncated: its last entry is cut short"]
    if meter.data_end > offset:
        return [
            "the tarball has data after the point where its entries end (a corrupt entry "
            "header or a second archive)"
        ]
    return []


def _too_large(what: str) -> TooLargeError:
    return TooLargeError(what, hint=_LIMIT_HINT)


def _check_size(unpacked: int, packed: int, limits: TarballLimits) -> None:
    if unpacked > limits.max_unpacked_bytes:
        raise _too_large(
            f"the tarball's files add up to more than {limits.max_unpacked_bytes} bytes; "
            "that is the limit"
        )
    check_ratio(unpacked, packed, limits)


def _check_entry(info: tarfile.TarInfo, tops: list[str], problems: list[str]) -> str:
    """Add what is unsafe about one entry to ``problems``; return its cleaned name."""
    raw = info.name
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    shown = f"tarball entry {raw!r}"
    before = len(problems)
    if not parts:
        problems.append(f"{shown} has an empty name")
        return ""
    if raw.startswith("/") or _DRIVE.match(raw):
        problems.append(f"{shown} has an absolute path")
    if ".." in parts:
        problems.append(f"{shown} points outside the package ('..')")
    if "\\" in raw:
        problems.append(f"{shown} contains a backslash")
    if any(unicodedata.category(ch) == "Cc" for ch in raw):
        problems.append(f"{shown} contains control characters")
    if len(problems) == before and parts[0] not in tops:
        tops.append(parts[0])
    if len(problems) == before and len(parts) == 1 and not info.isdir():
        problems.append(f"{shown} is not inside the package's top-level directory")
    if info.type in _SPECIAL_KINDS or info.issparse():
        kind = _SPECIAL_KINDS.get(info.type, "sparse file")
        problems.append(f"{shown} is a {kind}; only files, directories and links are allowed")
    elif info.issym() or info.islnk():
        problems.extend(_check_link(info, parts, shown))
    elif not (info.isfile() or info.isdir()):
        problems.append(f"{shown} has unsupported entry type {info.type!r}")
    return "/".join(parts)


def _check_link(info: tarfile.TarInfo, parts: list[str], shown: str) -> list[str]:
    """A link must be relative and resolve inside the entry's own top-level directory."""
    link = info.linkname
    base = posixpath.dirname("/".join(parts)) if info.issym() else ""
    target = posixpath.normpath(posixpath.join(base, link)) if link else ".."
    if (
        link.startswith("/")
        or "\\" in link
        or _DRIVE.match(link)
        or target.split("/")[0] != parts[0]
    ):
        return [f"{shown} links to {link!r}, outside the package"]
    return []


def _read_manifest(
    archive: tarfile.TarFile, info: tarfile.TarInfo, limits: TarballLimits, problems: list[str]
) -> bytes | None:
    if not info.isfile():
        problems.append(f"{info.name!r} is not a regular file")
        return None
    if info.size > limits.max_manifest_bytes:
        problems.append(
            f"{info.name!r} is {info.size} bytes; the limit is {limits.max_manifest_bytes}"
        )
        return None
    member = archive.extractfile(info)
    return member.read() if member is not None else None


def _parse_manifest(
    raw: bytes | None, tops: list[str], problems: list[str]
) -> dict[str, Any] | None:
    where = f"{tops[0] if tops else 'package'}/package.json"
    if raw is None:
        if not any(where in problem for problem in problems):
            problems.append(f"the tarball has no {where}")
        return None
    try:
        manifest = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        problems.append(f"{where} is not valid UTF-8: {exc}")
        return None
    except ValueError as exc:
        problems.append(f"{where} is not valid JSON: {exc}")
        return None
    if not isinstance(manifest, dict):
        problems.append(f"{where} is not a JSON object")
        return None
    return manifest


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")
