"""Safe reading of zip and tar.gz archives: member names, sizes and limits, all problems kept."""

from __future__ import annotations

import gzip
import posixpath
import re
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, cast

_CHUNK = 1 << 20
_DRIVE = re.compile(r"[A-Za-z]:")
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError, ValueError)


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """How much an archive may hold before it is refused."""

    max_members: int = 100_000
    max_uncompressed: int = 4 << 30
    max_ratio: float = 50.0
    ratio_floor: int = 64 << 20
    max_member_read: int = 32 << 20


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """One entry of an archive; ``name`` is cleaned (no ``./``, no trailing ``/``)."""

    name: str
    size: int
    is_dir: bool
    is_file: bool


class _Refused(Exception):
    """A limit was crossed or a member cannot be read; the message says which."""


class Archive:
    """An opened archive: its members, the problems found so far, and bounded member reads."""

    def __init__(
        self,
        members: Sequence[ArchiveMember],
        problems: list[str],
        reader: Callable[[str], bytes] | None,
    ) -> None:
        self.members = tuple(members)
        self.problems = problems
        self._reader = reader

    @property
    def usable(self) -> bool:
        """False when the archive could not be listed safely (corrupt, a bomb, too big)."""
        return self._reader is not None

    def read(self, name: str) -> bytes | None:
        """A member's bytes, or None with the reason added to ``problems``."""
        if self._reader is None:
            return None
        try:
            return self._reader(name)
        except _Refused as exc:
            self.problems.append(str(exc))
        except _READ_ERRORS as exc:
            self.problems.append(f"archive member {name!r} cannot be read: {exc}")
        return None


@contextmanager
def open_archive(path: Path, fmt: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> Iterator[Archive]:
    """Open ``path`` as ``"zip"`` or ``"tar"`` (gzip-compressed) and check every member."""
    with ExitStack() as stack:
        handle = stack.enter_context(path.open("rb"))
        size = path.stat().st_size
        opener = _open_zip if fmt == "zip" else _open_tar
        yield opener(stack, handle, size, limits)


def list_members(
    path: Path, fmt: str, limits: ArchiveLimits = DEFAULT_LIMITS
) -> tuple[list[ArchiveMember], list[str]]:
    """The members of an archive and every problem found listing them."""
    with open_archive(path, fmt, limits) as archive:
        return list(archive.members), list(archive.problems)


def read_member(
    path: Path, fmt: str, name: str, limits: ArchiveLimits = DEFAULT_LIMITS
) -> tuple[bytes | None, list[str]]:
    """One member's bytes (None if unreadable) and every problem found on the way."""
    with open_archive(path, fmt, limits) as archive:
        return archive.read(name), list(archive.problems)


def clean_member_name(raw: str) -> tuple[str, list[str]]:
    """A member name without ``.`` parts or trailing ``/``, and what is unsafe about it."""
    problems: list[str] = []
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if not parts:
        problems.append(f"archive member {raw!r} has an empty name")
    if raw.startswith("/"):
        problems.append(f"archive member {raw!r} has an absolute path")
    if "\\" in raw:
        problems.append(f"archive member {raw!r} contains a backslash")
    if _DRIVE.match(raw):
        problems.append(f"archive member {raw!r} starts with a drive letter")
    if ".." in parts:
        problems.append(f"archive member {raw!r} points outside the archive ('..')")
    if any(unicodedata.category(ch) == "Cc" for ch in raw):
        problems.append(f"archive member {raw!r} contains control characters")
    return "/".join(parts), problems


def check_expansion(expanded: int, compressed: int, limits: ArchiveLimits) -> str | None:
    """Why ``expanded`` bytes from ``compressed`` bytes is too much, or None."""
    if expanded > limits.max_uncompressed:
        return (
            f"archive expands to more than {limits.max_uncompressed} bytes "
            f"({expanded} so far); that is the limit"
        )
    if expanded > limits.ratio_floor and expanded > limits.max_ratio * max(compressed, 1):
        return (
            f"archive expands {expanded / max(compressed, 1):.0f} times its size "
            f"(the limit is {limits.max_ratio:g}); refusing a likely compression bomb"
        )
    return None


def _too_many(limits: ArchiveLimits) -> str:
    return f"archive has more than {limits.max_members} members; that is the limit"


def _too_big(name: str, size: int, limits: ArchiveLimits) -> _Refused:
    return _Refused(
        f"archive member {name!r} is larger than {limits.max_member_read} bytes "
        f"({size}); a metadata file that large is refused"
    )


def _open_zip(stack: ExitStack, handle: BinaryIO, size: int, limits: ArchiveLimits) -> Archive:
    try:
        archive = stack.enter_context(zipfile.ZipFile(handle))
        infos = archive.infolist()
    except _READ_ERRORS as exc:
        return Archive((), [f"not a readable zip archive: {exc}"], None)
    if len(infos) > limits.max_members:
        return Archive((), [_too_many(limits)], None)
    problems: list[str] = []
    members: list[ArchiveMember] = []
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name, name_problems = clean_member_name(info.filename)
        problems.extend(name_problems)
        if info.flag_bits & 0x1:
            problems.append(f"archive member {info.filename!r} is encrypted")
        if info.compress_type not in _ZIP_METHODS:
            problems.append(
                f"archive member {info.filename!r} uses compression method "
                f"{info.compress_type}; only stored and deflated are accepted"
            )
        if name in entries:
            problems.append(f"archive member {info.filename!r} appears more than once")
        entries[name] = info
        members.append(ArchiveMember(name, info.file_size, info.is_dir(), not info.is_dir()))
    bomb = check_expansion(sum(info.file_size for info in infos), size, limits)
    if bomb is not None:
        return Archive(members, [*problems, bomb], None)

    def read(name: str) -> bytes:
        info = entries.get(name)
        if info is None or info.is_dir():
            raise _Refused(f"archive has no file {name!r}")
        if info.file_size > limits.max_member_read:
            raise _too_big(name, info.file_size, limits)
        if info.flag_bits & 0x1 or info.compress_type not in _ZIP_METHODS:
            raise _Refused(f"archive member {name!r} cannot be read (see above)")
        with archive.open(info) as member:
            data = member.read(limits.max_member_read + 1)
        if len(data) > limits.max_member_read:
            raise _too_big(name, len(data), limits)
        return data

    return Archive(members, problems, read)


class _BoundedGzip:
    """A seekable view of a gzip stream that refuses to expand past the limits."""

    def __init__(self, raw: BinaryIO, compressed: int, limits: ArchiveLimits) -> None:
        self._gz = gzip.GzipFile(fileobj=raw, mode="rb")
        self._compressed = compressed
        self._limits = limits
        self._high = 0

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > self._limits.max_member_read + _CHUNK:
            raise _Refused("a tar header or read is implausibly large; refusing the archive")
        data = self._gz.read(size)
        self._observe()
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        target = offset if whence == 0 else self._gz.tell() + offset
        if whence not in (0, 1):
            raise OSError("only absolute and relative seeks are supported")
        if target < self._gz.tell():
            return self._gz.seek(target)
        while self._gz.tell() < target:
            if not self._gz.read(min(_CHUNK, target - self._gz.tell())):
                break
            self._observe()
        return self._gz.tell()

    def tell(self) -> int:
        return self._gz.tell()

    def _observe(self) -> None:
        self._high = max(self._high, self._gz.tell())
        problem = check_expansion(self._high, self._compressed, self._limits)
        if problem is not None:
            raise _Refused(problem)


def _check_tar_member(info: tarfile.TarInfo, raw: str) -> list[str]:
    if info.issparse():
        return [f"archive member {raw!r} is a sparse file; those are refused"]
    if info.ischr() or info.isblk() or info.isfifo():
        return [f"archive member {raw!r} is a device or fifo; only files and links are allowed"]
    if not (info.issym() or info.islnk()):
        return []
    link = info.linkname
    base = posixpath.dirname(raw) if info.issym() else ""
    target = posixpath.normpath(posixpath.join(base, link)) if link else ".."
    if link.startswith("/") or "\\" in link or _DRIVE.match(link) or target.startswith(".."):
        return [f"archive member {raw!r} links to {link!r}, outside the archive"]
    return []


def _open_tar(stack: ExitStack, handle: BinaryIO, size: int, limits: ArchiveLimits) -> Archive:
    problems: list[str] = []
    members: list[ArchiveMember] = []
    entries: dict[str, tarfile.TarInfo] = {}
    try:
        stream = _BoundedGzip(handle, size, limits)
        archive = stack.enter_context(tarfile.TarFile(fileobj=cast(IO[bytes], stream)))
        while (info := archive.next()) is not None:
            if len(members) >= limits.max_members:
                raise _Refused(_too_many(limits))
            name, name_problems = clean_member_name(info.name)
            problems.extend(name_problems)
            problems.extend(_check_tar_member(info, info.name))
            if info.isfile() and name in entries:
                problems.append(f"archive member {info.name!r} appears more than once")
            if info.isfile():
                entries[name] = info
            members.append(ArchiveMember(name, info.size, info.isdir(), info.isfile()))
    except _Refused as exc:
        return Archive(members, [*problems, str(exc)], None)
    except _READ_ERRORS as exc:
        return Archive(members, [*problems, f"not a readable .tar.gz archive: {exc}"], None)

    def read(name: str) -> bytes:
        info = entries.get(name)
        if info is None:
            raise _Refused(f"archive has no file {name!r}")
        if info.size > limits.max_member_read:
            raise _too_big(name, info.size, limits)
        member = archive.extractfile(info)
        if member is None:
            raise _Refused(f"archive member {name!r} is not a regular file")
        with member:
            data: bytes = member.read(limits.max_member_read + 1)
        return data

    return Archive(members, problems, read)
