"""Blobs as files under a root directory, named by their sha256.

Layout: ``root/sha256/ab/cd/<64 hex>``. A blob is written to ``root/tmp/`` (same filesystem),
fsynced, renamed into place and its directory fsynced, so a crash leaves either the whole
blob or only a temporary file that ``remove_stale_temporaries`` clears later.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread

from wharf.core.ports import BlobInfo
from wharf.storage.digests import check_expected, check_sha256, is_sha256, missing_blob

_COPY_CHUNK = 1 << 20
_TEMP_SUFFIX = ".part"


class FilesystemBlobStore:
    """Content-addressed blob storage on a local filesystem."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._blobs = self.root / "sha256"
        self._tmp = self.root / "tmp"

    def writer(self) -> FilesystemBlobWriter:
        return FilesystemBlobWriter(self)

    async def put_file(self, path: Path) -> BlobInfo:
        writer = self.writer()
        try:
            with open(path, "rb") as source:
                while chunk := source.read(_COPY_CHUNK):
                    await writer.write(chunk)
            return await writer.commit()
        finally:
            await writer.abort()

    async def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def read(self, sha256: str, chunk_size: int = 1 << 16) -> AsyncIterator[bytes]:
        path = self.path_of(sha256)
        if not path.is_file():
            raise missing_blob(sha256)
        return _read_chunks(path, sha256, chunk_size)

    async def read_bytes(self, sha256: str) -> bytes:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise missing_blob(sha256) from None

    def local_path(self, sha256: str) -> Path | None:
        path = self.path_of(sha256)
        return path if path.is_file() else None

    async def delete(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)

    async def iter_digests(self) -> AsyncIterator[str]:
        for first in _sorted_dirs(self._blobs):
            for second in _sorted_dirs(first):
                for entry in _sorted_entries(second):
                    if entry.is_file() and self._is_placed(entry.name, entry.path):
                        yield entry.name

    def create_fanout(self) -> None:
        """Create the 256 first-level directories (blocking), durably: a blob stored later
        then makes at most one new directory, not two, before it is in place (each new
        directory costs an fsync of its parent). Run once the store is first used."""
        missing = [self._blobs / f"{n:02x}" for n in range(256)
                   if not (self._blobs / f"{n:02x}").is_dir()]
        if not missing:
            return
        _make_dirs_durably(self._blobs)
        for directory in missing:
            directory.mkdir(exist_ok=True)
        _fsync_directory(self._blobs)

    def path_of(self, sha256: str) -> Path:
        """Where the blob ``sha256`` lives (whether or not it exists)."""
        return self._path_of_unchecked(check_sha256(sha256))

    def _path_of_unchecked(self, name: str) -> Path:
        return self._blobs / name[:2] / name[2:4] / name

    def _is_placed(self, name: str, path: str) -> bool:
        return is_sha256(name) and self._path_of_unchecked(name) == Path(path)

    def open_temporary(self) -> tuple[Path, BinaryIO]:
        """Create a new, empty temporary file next to the blobs (same filesystem)."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        path = self._tmp / f"{secrets.token_hex(16)}{_TEMP_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        return path, os.fdopen(fd, "wb")

    def remove_stale_temporaries(self, older_than_seconds: float) -> int:
        """Delete temporary files not modified for ``older_than_seconds``; return how many.

        Temporary files are left behind only by crashed or killed writers. Use an age well
        above the longest upload so that writers still at work are not disturbed.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in _sorted_entries(self._tmp):
            try:
                if entry.is_file() and entry.stat().st_mtime <= cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


class FilesystemBlobWriter:
    """One blob being written to a temporary file; see ``BlobWriter``."""

    def __init__(self, store: FilesystemBlobStore) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._size = 0
        self._temp: Path | None = None
        self._file: BinaryIO | None = None
        self._info: BlobInfo | None = None
        self._aborted = False

    async def write(self, chunk: bytes) -> None:
        file = self._open()
        file.write(chunk)
        self._hash.update(chunk)
        self._size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    async def commit(self, expected_sha256: str | None = None) -> BlobInfo:
        if self._info is not None:
            return self._info
        file = self._open()
        actual = self._hash.hexdigest()
        try:
            check_expected(actual, expected_sha256)
        except BaseException:
            await self.abort()
            raise
        assert self._temp is not None
        final = self._store.path_of(actual)
        try:
            await anyio.to_thread.run_sync(_install, file, self._temp, final)
        except BaseException:
            await self.abort()
            raise
        self._file = self._temp = None
        self._info = BlobInfo(sha256=actual, size=self._size)
        return self._info

    async def abort(self) -> None:
        if self._info is not None:
            return
        self._aborted = True
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None

    def _open(self) -> BinaryIO:
        if self._info is not None or self._aborted:
            raise RuntimeError("this blob writer is already committed or aborted")
        if self._file is None:
            self._temp, self._file = self._store.open_temporary()
        return self._file


def _install(file: BinaryIO, temp: Path, final: Path) -> None:
    """Make ``temp`` durable as ``final`` (blocking; runs in a worker thread)."""
    file.flush()
    os.fsync(file.fileno())
    file.close()
    if final.exists():
        try:
            os.utime(final)  # a fresh mtime tells gc that the blob was just wanted again
        except FileNotFoundError:
            pass  # deleted meanwhile: install this copy instead
        else:
            temp.unlink(missing_ok=True)
            return
    _make_dirs_durably(final.parent)
    os.replace(temp, final)
    _fsync_directory(final.parent)


def _make_dirs_durably(directory: Path) -> None:
    missing: list[Path] = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sorted_entries(parent: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(parent) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except FileNotFoundError:
        return []


def _sorted_dirs(parent: Path) -> list[Path]:
    return [Path(e.path) for e in _sorted_entries(parent) if e.is_dir() and len(e.name) == 2]


async def _read_chunks(path: Path, sha256: str, chunk_size: int) -> AsyncIterator[bytes]:
    try:
        source = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise missing_blob(sha256) from None
    with source:
        while chunk := source.read(chunk_size):
            yield chunk
