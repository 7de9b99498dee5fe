"""A dict-backed blob store with the filesystem store's behaviour, for tests of services."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

from wharf.core.ports import BlobInfo
from wharf.storage.digests import check_expected, check_sha256, missing_blob


class MemoryBlobStore:
    """Content-addressed blobs kept in a dict. Nothing is shared between instances."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def writer(self) -> MemoryBlobWriter:
        return MemoryBlobWriter(self.blobs)

    async def put_file(self, path: Path) -> BlobInfo:
        writer = self.writer()
        await writer.write(Path(path).read_bytes())
        return await writer.commit()

    async def exists(self, sha256: str) -> bool:
        return check_sha256(sha256) in self.blobs

    def read(self, sha256: str, chunk_size: int = 1 << 16) -> AsyncIterator[bytes]:
        data = self._get(sha256)
        return _iterate_chunks(data, chunk_size)

    async def read_bytes(self, sha256: str) -> bytes:
        return self._get(sha256)

    def local_path(self, sha256: str) -> Path | None:
        check_sha256(sha256)
        return None

    async def delete(self, sha256: str) -> None:
        self.blobs.pop(check_sha256(sha256), None)

    async def iter_digests(self) -> AsyncIterator[str]:
        for sha256 in sorted(self.blobs):
            yield sha256

    def remove_stale_temporaries(self, older_than_seconds: float) -> int:
        """Uncommitted writers live only in memory, so nothing is ever left behind."""
        return 0

    def _get(self, sha256: str) -> bytes:
        try:
            return self.blobs[check_sha256(sha256)]
        except KeyError:
            raise missing_blob(sha256) from None


class MemoryBlobWriter:
    """A blob being collected in memory; visible in the store only after ``commit``."""

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self._blobs = blobs
        self._buffer = bytearray()
        self._info: BlobInfo | None = None
        self._aborted = False

    async def write(self, chunk: bytes) -> None:
        self._check_open()
        self._buffer += chunk

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self._buffer).hexdigest()

    async def commit(self, expected_sha256: str | None = None) -> BlobInfo:
        if self._info is not None:
            return self._info
        self._check_open()
        data = bytes(self._buffer)
        actual = hashlib.sha256(data).hexdigest()
        try:
            check_expected(actual, expected_sha256)
        except BaseException:
            await self.abort()
            raise
        self._blobs.setdefault(actual, data)
        self._buffer = bytearray()
        self._info = BlobInfo(sha256=actual, size=len(data))
        return self._info

    async def abort(self) -> None:
        if self._info is None:
            self._aborted = True
            self._buffer = bytearray()

    def _check_open(self) -> None:
        if self._info is not None or self._aborted:
            raise RuntimeError("this blob writer is already committed or aborted")


async def _iterate_chunks(data: bytes, chunk_size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk_size):
        yield data[start : start + chunk_size]
