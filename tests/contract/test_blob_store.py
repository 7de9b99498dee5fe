"""The BlobStore contract, run against every blob store backend."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from wharf.core.errors import InvalidRequestError, NotFoundError, UpstreamIntegrityError
from wharf.core.ports import BlobStore
from wharf.storage import filesystem
from wharf.storage.filesystem import FilesystemBlobStore
from wharf.storage.memory import MemoryBlobStore

CONTENT = b"wheel bytes " * 10_000
DIGEST = hashlib.sha256(CONTENT).hexdigest()
OTHER_DIGEST = hashlib.sha256(b"something else").hexdigest()


@pytest.fixture(params=["filesystem", "memory"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "filesystem":
        return FilesystemBlobStore(tmp_path / "blobs")
    return MemoryBlobStore()


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def write_blob(store: BlobStore, data: bytes, expected: str | None = None) -> str:
    writer = store.writer()
    for start in range(0, len(data), 4096):
        await writer.write(data[start : start + 4096])
    info = await writer.commit(expected)
    return info.sha256


async def test_written_blob_is_readable_after_commit(blob_store: BlobStore) -> None:
    writer = blob_store.writer()
    await writer.write(CONTENT[:100])
    await writer.write(CONTENT[100:])
    assert not await blob_store.exists(DIGEST)

    info = await writer.commit()

    assert (info.sha256, info.size) == (DIGEST, len(CONTENT))
    assert await blob_store.exists(DIGEST)
    assert await blob_store.read_bytes(DIGEST) == CONTENT
    assert await collect(blob_store.read(DIGEST)) == CONTENT


async def test_read_streams_in_chunks_of_the_requested_size(blob_store: BlobStore) -> None:
    await write_blob(blob_store, CONTENT)
    chunks = [chunk async for chunk in blob_store.read(DIGEST, chunk_size=1000)]
    assert len(chunks) == -(-len(CONTENT) // 1000)
    assert all(len(chunk) == 1000 for chunk in chunks[:-1])


async def test_delete_removes_the_blob(blob_store: BlobStore) -> None:
    await write_blob(blob_store, CONTENT)
    await blob_store.delete(DIGEST)
    assert not await blob_store.exists(DIGEST)
    await blob_store.delete(DIGEST)  # deleting a missing blob is not an error


async def test_committing_the_same_content_twice_is_idempotent(blob_store: BlobStore) -> None:
    first = await write_blob(blob_store, CONTENT)
    second = await write_blob(blob_store, CONTENT, expected=DIGEST)
    assert first == second == DIGEST
    assert await blob_store.read_bytes(DIGEST) == CONTENT
    assert [d async for d in blob_store.iter_digests()] == [DIGEST]


async def test_commit_returns_the_same_info_when_called_again(blob_store: BlobStore) -> None:
    writer = blob_store.writer()
    await writer.write(b"abc")
    assert await writer.commit() == await writer.commit()
    await writer.abort()  # after commit: does nothing
    assert await blob_store.exists(hashlib.sha256(b"abc").hexdigest())


async def test_expected_digest_mismatch_keeps_nothing(blob_store: BlobStore) -> None:
    with pytest.raises(UpstreamIntegrityError) as caught:
        await write_blob(blob_store, CONTENT, expected=OTHER_DIGEST)
    assert DIGEST in caught.value.message
    assert OTHER_DIGEST in caught.value.message
    assert not await blob_store.exists(DIGEST)
    assert not await blob_store.exists(OTHER_DIGEST)
    assert [d async for d in blob_store.iter_digests()] == []


async def test_abort_discards_the_bytes_and_is_idempotent(blob_store: BlobStore) -> None:
    writer = blob_store.writer()
    await writer.write(CONTENT)
    await writer.abort()
    await writer.abort()
    assert not await blob_store.exists(DIGEST)
    with pytest.raises(RuntimeError):
        await writer.write(b"more")


async def test_empty_blob(blob_store: BlobStore) -> None:
    info = await blob_store.writer().commit()
    assert info.size == 0
    assert info.sha256 == hashlib.sha256(b"").hexdigest()
    assert await blob_store.read_bytes(info.sha256) == b""


async def test_put_file_stores_a_copy(blob_store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "pkg-1.0.tar.gz"
    source.write_bytes(CONTENT)
    info = await blob_store.put_file(source)
    assert (info.sha256, info.size) == (DIGEST, len(CONTENT))
    assert await blob_store.read_bytes(DIGEST) == CONTENT
    assert source.read_bytes() == CONTENT


async def test_iter_digests_lists_every_blob(blob_store: BlobStore) -> None:
    blobs = [f"blob {n}".encode() for n in range(5)]
    for data in blobs:
        await write_blob(blob_store, data)
    listed = [d async for d in blob_store.iter_digests()]
    assert sorted(listed) == sorted(hashlib.sha256(d).hexdigest() for d in blobs)


@pytest.mark.parametrize(
    "bad",
    ["", "../../etc/passwd", DIGEST.upper(), DIGEST[:-1], DIGEST + "0", "g" * 64, "/" + DIGEST[1:]],
)
async def test_invalid_digest_is_rejected(blob_store: BlobStore, bad: str) -> None:
    with pytest.raises(InvalidRequestError):
        await blob_store.exists(bad)
    with pytest.raises(InvalidRequestError):
        await blob_store.read_bytes(bad)
    with pytest.raises(InvalidRequestError):
        await collect(blob_store.read(bad))
    with pytest.raises(InvalidRequestError):
        await blob_store.delete(bad)
    with pytest.raises(InvalidRequestError):
        blob_store.local_path(bad)


async def test_invalid_expected_digest_is_rejected(blob_store: BlobStore) -> None:
    writer = blob_store.writer()
    await writer.write(b"abc")
    with pytest.raises(InvalidRequestError):
        await writer.commit("not-a-digest")
    assert [d async for d in blob_store.iter_digests()] == []


async def test_reading_a_missing_blob_is_not_found(blob_store: BlobStore) -> None:
    with pytest.raises(NotFoundError):
        await blob_store.read_bytes(DIGEST)
    with pytest.raises(NotFoundError):
        await collect(blob_store.read(DIGEST))
    assert blob_store.local_path(DIGEST) is None


# --- filesystem only -----------------------------------------------------------------------


@pytest.fixture
def fs_store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def temporaries(store: FilesystemBlobStore) -> list[str]:
    tmp = store.root / "tmp"
    return os.listdir(tmp) if tmp.exists() else []


async def test_blob_lives_at_its_content_address(fs_store: FilesystemBlobStore) -> None:
    await write_blob(fs_store, CONTENT)
    expected = fs_store.root / "sha256" / DIGEST[:2] / DIGEST[2:4] / DIGEST
    assert fs_store.local_path(DIGEST) == expected
    assert expected.read_bytes() == CONTENT


async def test_no_temporary_file_is_left(fs_store: FilesystemBlobStore) -> None:
    await write_blob(fs_store, CONTENT)
    await write_blob(fs_store, CONTENT)  # already present: the temporary is dropped
    writer = fs_store.writer()
    await writer.write(b"partial")
    assert len(temporaries(fs_store)) == 1
    await writer.abort()
    with pytest.raises(UpstreamIntegrityError):
        await write_blob(fs_store, b"corrupt", expected=OTHER_DIGEST)
    assert temporaries(fs_store) == []


CRASHING_WRITER = """
import asyncio, os, sys
from pathlib import Path
from wharf.storage.filesystem import FilesystemBlobStore

async def main():
    writer = FilesystemBlobStore(Path(sys.argv[1])).writer()
    await writer.write(b"wheel bytes " * 10_000)
    os._exit(3)  # dies before commit

asyncio.run(main())
"""


async def test_uncommitted_write_is_invisible_after_a_crash(tmp_path: Path) -> None:
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, str(tmp_path / "blobs")], check=False
    )
    assert crashed.returncode == 3

    restarted = FilesystemBlobStore(tmp_path / "blobs")
    assert not await restarted.exists(DIGEST)
    assert restarted.local_path(DIGEST) is None
    assert [d async for d in restarted.iter_digests()] == []
    assert len(temporaries(restarted)) == 1


async def test_remove_stale_temporaries_spares_recent_ones(fs_store: FilesystemBlobStore) -> None:
    assert fs_store.remove_stale_temporaries(0) == 0  # nothing written yet
    old, fresh = fs_store.writer(), fs_store.writer()
    await old.write(b"old")
    await fresh.write(b"fresh")
    old_file = fs_store.root / "tmp" / sorted(temporaries(fs_store))[0]
    hour_ago = time.time() - 3600
    os.utime(old_file, (hour_ago, hour_ago))

    assert fs_store.remove_stale_temporaries(600) == 1
    assert len(temporaries(fs_store)) == 1
    assert not old_file.exists()
    await fresh.abort()
    await old.abort()


async def test_iter_digests_ignores_stray_files(fs_store: FilesystemBlobStore) -> None:
    await write_blob(fs_store, CONTENT)
    (fs_store.root / "sha256" / DIGEST[:2] / DIGEST[2:4] / "notes.txt").write_text("x")
    misplaced = fs_store.root / "sha256" / "00" / "00" / OTHER_DIGEST
    misplaced.parent.mkdir(parents=True)
    misplaced.write_text("x")
    assert [d async for d in fs_store.iter_digests()] == [DIGEST]


async def test_committing_existing_content_refreshes_its_mtime(
    fs_store: FilesystemBlobStore,
) -> None:
    await write_blob(fs_store, CONTENT)
    path = fs_store.root / "sha256" / DIGEST[:2] / DIGEST[2:4] / DIGEST
    day_ago = time.time() - 86400
    os.utime(path, (day_ago, day_ago))
    await write_blob(fs_store, CONTENT)  # gc judges a blob's age by its mtime
    assert path.stat().st_mtime > day_ago + 3600


@pytest.mark.parametrize("fanned_out", [False, True])
async def test_a_store_fanned_out_in_advance_syncs_fewer_directories(
    fs_store: FilesystemBlobStore, fanned_out: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every new directory costs an fsync of its parent; with the first level made once in
    advance, a blob in a new store makes one directory instead of two."""
    await write_blob(fs_store, b"seed")  # the store's own directories exist either way
    if fanned_out:
        fs_store.create_fanout()
        fs_store.create_fanout()  # idempotent
        assert len(os.listdir(fs_store.root / "sha256")) == 256
    synced: list[Path] = []
    real = filesystem._fsync_directory
    monkeypatch.setattr(filesystem, "_fsync_directory", lambda d: synced.append(d) or real(d))
    await write_blob(fs_store, CONTENT)
    assert fs_store.local_path(DIGEST) is not None
    assert len(synced) == (2 if fanned_out else 3), synced
