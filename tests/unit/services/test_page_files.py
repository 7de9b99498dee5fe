"""The disk tier of the page cache: a big page is written once (both codings) and found by
every other worker on the same directory without building it; a change or a new build
means new files, never different bytes under an old name; memory holds only a record;
missing or torn files mean a rebuild; the sweep removes idle files and keeps the cap."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wharf.services.page_files import (
    GRACE_SECONDS,
    IDLE_SECONDS,
    SWEEP_SECONDS,
    TEMP_SECONDS,
    TOUCH_SECONDS,
    PageDirectory,
    code_stamp,
)
from wharf.services.pages import (
    DISK_MIN_BYTES,
    FILE_RECORD_BYTES,
    PageCache,
    Rendered,
    compress,
)

KEY = ("npm", "npm-remote", "big", False, "http://wharf.test/npm-remote")


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def document(entries: int, salt: str = "") -> bytes:
    """Compressible JSON of roughly ``entries`` * 60 bytes."""
    versions = {f"1.{i}.0": {"dist": {"shasum": f"{i:040x}{salt}"}} for i in range(entries)}
    return json.dumps(versions).encode()


BIG = document(3000)  # about 180 KB


class Builder:
    """A build step that counts its calls."""

    def __init__(
        self, body: bytes = BIG, expires_at: datetime | None = None, stale: bool = False
    ) -> None:
        self.body = body
        self.expires_at = expires_at
        self.stale = stale
        self.calls = 0

    async def __call__(self) -> tuple[Rendered, datetime | None]:
        self.calls += 1
        etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'
        return Rendered(self.body, etag, self.stale), self.expires_at


def page_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if not p.name.startswith("."))


def read_variants(rendered: Rendered) -> tuple[bytes, bytes]:
    assert rendered.files is not None
    assert rendered.files.gzip is not None
    identity = rendered.files.identity.path.read_bytes()
    packed = rendered.files.gzip.path.read_bytes()
    assert len(identity) == rendered.files.identity.size
    assert len(packed) == rendered.files.gzip.size
    return identity, packed


def age(path: Path, seconds: float) -> None:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def test_the_threshold_leaves_typical_pages_in_memory() -> None:
    assert len(BIG) > DISK_MIN_BYTES > len(document(500))


async def test_a_big_page_is_written_once_and_found_by_another_worker(tmp_path: Path) -> None:
    clock = Clock()
    first, second = PageCache(clock, directory=tmp_path), PageCache(clock, directory=tmp_path)
    build = Builder()

    made = await first.get(KEY, (1, 2), build)
    found = await second.get(KEY, (1, 2), build)

    assert build.calls == 1
    assert found.files == made.files
    assert found.etag == made.etag
    assert found.gzip_etag == made.gzip_etag
    identity, packed = read_variants(found)
    assert identity == BIG
    assert packed == compress(BIG)
    assert gzip.decompress(packed) == BIG
    assert len(page_files(tmp_path)) == 3  # identity, gzip, record
    assert await second.get(KEY, (1, 2), build) is found  # then from its own memory
    assert build.calls == 1


async def test_memory_holds_only_a_record(tmp_path: Path) -> None:
    cache = PageCache(Clock(), directory=tmp_path)
    rendered = await cache.get(KEY, 1, Builder())
    assert rendered.body == b""
    assert rendered.gzip is None
    assert rendered.size == FILE_RECORD_BYTES
    assert cache.bytes_held == FILE_RECORD_BYTES < len(BIG) // 100


async def test_small_pages_stay_in_memory(tmp_path: Path) -> None:
    cache = PageCache(Clock(), directory=tmp_path)
    small = document(500)
    rendered = await cache.get(KEY, 1, Builder(small))
    assert rendered.files is None
    assert rendered.body == small
    assert rendered.gzip is not None
    assert page_files(tmp_path) == []


async def test_a_new_token_writes_new_files_and_leaves_the_old_ones(tmp_path: Path) -> None:
    cache = PageCache(Clock(), directory=tmp_path)
    old = await cache.get(KEY, 1, Builder())
    changed = document(3000, salt="x")
    new = await cache.get(KEY, 2, Builder(changed))

    assert new.files is not None
    assert old.files is not None
    assert new.files.identity.path != old.files.identity.path
    assert new.files.record != old.files.record
    assert read_variants(new)[0] == changed
    assert read_variants(old)[0] == BIG  # still whole for a worker that holds its record
    assert len(page_files(tmp_path)) == 6


async def test_a_new_token_with_the_same_bytes_writes_only_a_record(tmp_path: Path) -> None:
    cache = PageCache(Clock(), directory=tmp_path)
    old = await cache.get(KEY, 1, Builder())
    assert old.files is not None
    assert old.files.gzip is not None
    written = old.files.gzip.path.stat().st_ino
    new = await cache.get(KEY, 2, Builder())
    assert new.files is not None
    assert new.files.gzip is not None
    assert new.files.record != old.files.record
    assert (new.files.identity, new.files.gzip) == (old.files.identity, old.files.gzip)
    assert new.files.gzip.path.stat().st_ino == written  # not compressed and written again
    assert len(page_files(tmp_path)) == 4


async def test_other_keys_have_other_names(tmp_path: Path) -> None:
    directory = PageDirectory(tmp_path)
    names = {directory.name_of(KEY, (1, 2)), directory.name_of(KEY, (1, 3)),
             directory.name_of((*KEY[:-1], "http://other/npm-remote"), (1, 2))}
    assert len(names) == 3
    assert PageDirectory(tmp_path).name_of(KEY, (1, 2)) in names
    assert code_stamp() == code_stamp()


async def test_an_expired_page_is_rebuilt_under_new_body_files(tmp_path: Path) -> None:
    """Same token, new content (a proxy page past its freshness): the record is replaced,
    the old bodies keep their bytes."""
    clock = Clock()
    first, second = PageCache(clock, directory=tmp_path), PageCache(clock, directory=tmp_path)
    build = Builder(expires_at=clock.now() + timedelta(minutes=5))
    old = await first.get(KEY, 1, build)
    clock.moment += timedelta(minutes=6)
    build.body, build.expires_at = document(3000, salt="y"), clock.now() + timedelta(minutes=5)

    new = await second.get(KEY, 1, build)

    assert build.calls == 2
    assert new.files is not None
    assert old.files is not None
    assert new.files.record == old.files.record
    assert new.files.identity.path != old.files.identity.path
    assert read_variants(old)[0] == BIG
    assert read_variants(new)[0] == build.body
    assert await first.get(KEY, 1, build) == new  # its record expired: it reads the new one
    assert build.calls == 2


async def test_a_page_already_expired_is_not_written(tmp_path: Path) -> None:
    """A stale copy built while upstream is down expires at once: nothing to share."""
    clock = Clock()
    cache = PageCache(clock, directory=tmp_path)
    rendered = await cache.get(KEY, 1, Builder(expires_at=clock.now(), stale=True))
    assert rendered.files is None
    assert rendered.stale
    assert rendered.body == BIG
    assert page_files(tmp_path) == []


async def test_the_stale_flag_and_expiry_travel_with_the_record(tmp_path: Path) -> None:
    clock = Clock()
    expires = clock.now() + timedelta(seconds=30)
    await PageCache(clock, directory=tmp_path).get(KEY, 1, Builder(expires_at=expires, stale=True))
    other = PageCache(clock, directory=tmp_path)
    build = Builder()
    found = await other.get(KEY, 1, build)
    assert found.stale
    assert build.calls == 0
    clock.moment = expires
    await other.get(KEY, 1, build)
    assert build.calls == 1


@pytest.mark.parametrize("lost", ["identity", "gzip", "record"])
async def test_a_missing_file_makes_the_page_rebuild(tmp_path: Path, lost: str) -> None:
    cache, other = PageCache(Clock(), directory=tmp_path), PageCache(Clock(), directory=tmp_path)
    build = Builder()
    rendered = await cache.get(KEY, 1, build)
    files = rendered.files
    assert files is not None
    assert files.gzip is not None
    {"identity": files.identity.path, "gzip": files.gzip.path, "record": files.record}[
        lost
    ].unlink()

    if lost != "record":  # a worker holding the record notices the body is gone
        again = await cache.get(KEY, 1, build)
        assert build.calls == 2
        assert read_variants(again) == (BIG, compress(BIG))
    else:  # a worker without one finds no record
        again = await other.get(KEY, 1, build)
        assert build.calls == 2
    assert len(page_files(tmp_path)) == 3


async def test_a_torn_record_is_rebuilt(tmp_path: Path) -> None:
    cache = PageCache(Clock(), directory=tmp_path)
    rendered = await cache.get(KEY, 1, Builder())
    assert rendered.files is not None
    rendered.files.record.write_bytes(b'{"etag": ')
    build = Builder()
    await PageCache(Clock(), directory=tmp_path).get(KEY, 1, build)
    assert build.calls == 1


async def test_a_short_body_file_is_not_served(tmp_path: Path) -> None:
    """A body cut short (a crash before its data reached the disk) is not trusted."""
    rendered = await PageCache(Clock(), directory=tmp_path).get(KEY, 1, Builder())
    assert rendered.files is not None
    rendered.files.identity.path.write_bytes(BIG[:100])
    build = Builder()
    again = await PageCache(Clock(), directory=tmp_path).get(KEY, 1, build)
    assert build.calls == 1
    assert read_variants(again)[0] == BIG


async def test_an_unwritable_directory_serves_from_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "pages"
    blocked.write_bytes(b"not a directory")
    cache = PageCache(Clock(), directory=blocked)
    build = Builder()
    rendered = await cache.get(KEY, 1, build)
    assert rendered.files is None
    assert rendered.body == BIG
    assert rendered.gzip == compress(BIG)


async def test_a_hit_marks_old_files_used(tmp_path: Path) -> None:
    cache = PageCache(Clock(), directory=tmp_path)
    rendered = await cache.get(KEY, 1, Builder())
    files = rendered.files
    assert files is not None
    assert files.gzip is not None
    paths = [files.identity.path, files.gzip.path, files.record]
    for path in paths:
        age(path, TOUCH_SECONDS * 2)
    await cache.get(KEY, 1, Builder())
    assert all(time.time() - path.stat().st_mtime < TOUCH_SECONDS for path in paths)


def write(root: Path, name: str, size: int, idle: float) -> Path:
    path = root / name
    path.write_bytes(b"x" * size)
    age(path, idle)
    return path


def test_the_sweep_removes_idle_files_and_old_temporaries(tmp_path: Path) -> None:
    directory = PageDirectory(tmp_path)
    idle = write(tmp_path, "a-1", 100, IDLE_SECONDS + 10)
    used = write(tmp_path, "b-1", 100, IDLE_SECONDS - 10)
    dead_temp = write(tmp_path, ".tmp-1", 100, TEMP_SECONDS + 10)
    live_temp = write(tmp_path, ".tmp-2", 100, 1)
    assert directory.sweep() == 200
    assert not idle.exists()
    assert not dead_temp.exists()
    assert used.exists()
    assert live_temp.exists()


def test_the_sweep_keeps_the_cap_least_recently_used_first(tmp_path: Path) -> None:
    directory = PageDirectory(tmp_path, max_bytes=250)
    oldest = write(tmp_path, "a", 100, GRACE_SECONDS + 300)
    older = write(tmp_path, "b", 100, GRACE_SECONDS + 200)
    newer = write(tmp_path, "c", 100, GRACE_SECONDS + 100)
    assert directory.sweep() == 200
    assert not oldest.exists()
    assert older.exists()
    assert newer.exists()


def test_files_just_used_survive_the_cap(tmp_path: Path) -> None:
    """A worker may be about to send them; the cap gives way for ``GRACE_SECONDS``."""
    directory = PageDirectory(tmp_path, max_bytes=50)
    old = write(tmp_path, "a", 100, GRACE_SECONDS + 10)
    recent = [write(tmp_path, name, 100, GRACE_SECONDS - 10) for name in "bc"]
    assert directory.sweep() == 200
    assert not old.exists()
    assert all(path.exists() for path in recent)


async def test_writes_sweep_at_most_once_a_minute(tmp_path: Path) -> None:
    cache = PageCache(Clock(), directory=tmp_path)
    await cache.get(KEY, 1, Builder())
    marker = tmp_path / ".swept"
    assert marker.exists()  # the first write swept
    idle = write(tmp_path, "z-1", 10, IDLE_SECONDS + 10)
    await cache.get(KEY, 2, Builder(document(3000, salt="2")))
    assert idle.exists()  # swept a moment ago: not yet
    age(marker, SWEEP_SECONDS + 1)
    await cache.get(KEY, 3, Builder(document(3000, salt="3")))
    assert not idle.exists()
