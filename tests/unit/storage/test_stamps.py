from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.synchronize
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.services.stamping import files_key, project_key
from wharf.storage.stamps import FileChangeStamps, MemoryChangeStamps, slot_of

PROCESSES = 4
BUMPS = 20_000


@pytest.fixture
def stamps(tmp_path: Path) -> Iterator[FileChangeStamps]:
    stamps = FileChangeStamps(tmp_path / "run" / "stamps", slots=64)
    yield stamps
    stamps.close()


def test_a_new_key_starts_at_zero_and_bump_increments(stamps: FileChangeStamps) -> None:
    assert stamps.stamp("pypi-local/requests") == 0
    stamps.bump("pypi-local/requests")
    stamps.bump("pypi-local/requests")
    assert stamps.stamp("pypi-local/requests") == 2


def test_file_is_created_with_one_counter_per_slot(stamps: FileChangeStamps) -> None:
    stamps.stamp("any")
    assert stamps.path.stat().st_size == 64 * 8


def test_bump_is_visible_to_another_instance_on_the_same_file(
    stamps: FileChangeStamps, tmp_path: Path
) -> None:
    other = FileChangeStamps(tmp_path / "run" / "stamps", slots=64)
    try:
        before = other.stamp("npm/left-pad")
        stamps.bump("npm/left-pad")
        assert other.stamp("npm/left-pad") == before + 1
    finally:
        other.close()


def test_counters_are_little_endian_in_the_key_slot(stamps: FileChangeStamps) -> None:
    for _ in range(3):
        stamps.bump("k")
    raw = stamps.path.read_bytes()
    offset = slot_of("k", 64) * 8
    assert int.from_bytes(raw[offset : offset + 8], "little") == 3


def test_an_existing_file_keeps_its_slot_count(stamps: FileChangeStamps, tmp_path: Path) -> None:
    stamps.bump("k")
    other = FileChangeStamps(tmp_path / "run" / "stamps", slots=4096)
    try:
        assert other.stamp("k") == 1  # same slot mapping as the process that made the file
        assert other.path.stat().st_size == 64 * 8
    finally:
        other.close()


def test_slot_of_is_stable_and_spread() -> None:
    assert slot_of("pypi/requests", 4096) == slot_of("pypi/requests", 4096)
    assert len({slot_of(f"pypi/project-{n}", 4096) for n in range(100)}) > 90
    # Python's hash() is randomised per process; a fixed expectation proves it is not used.
    expected = int.from_bytes(hashlib.blake2b(b"a", digest_size=8).digest(), "little")
    assert slot_of("a", 4096) == expected % 4096


def test_close_then_reuse_reopens(stamps: FileChangeStamps) -> None:
    stamps.bump("k")
    stamps.close()
    assert stamps.stamp("k") == 1


def test_memory_stamps() -> None:
    stamps = MemoryChangeStamps()
    assert stamps.stamp("x") == 0
    stamps.bump("x")
    assert (stamps.stamp("x"), stamps.stamp("y")) == (1, 0)


def bump_many(path: str, key: str, times: int, start: multiprocessing.synchronize.Event) -> None:
    stamps = FileChangeStamps(Path(path), slots=64)
    start.wait(30)
    for _ in range(times):
        stamps.bump(key)
    stamps.close()


def test_bumps_from_several_processes_add_up(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "stamps"
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=bump_many, args=(str(path), "pypi/requests", BUMPS, start))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()  # every process races to create, size and bump the same file
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0

    stamps = FileChangeStamps(path, slots=64)
    try:
        assert stamps.stamp("pypi/requests") == PROCESSES * BUMPS
    finally:
        stamps.close()


def test_caching_the_files_of_a_hundred_projects_leaves_their_pages_alone(
    tmp_path: Path,
) -> None:
    """A proxy bumps a project's files key for every file it caches; a page is built
    under its project key. At the default size none of a hundred projects' files keys
    shares a slot with another's project key, so caching files rebuilds no page (with
    4,096 slots, three of them did)."""
    stamps = FileChangeStamps(tmp_path / "stamps")
    try:
        names = [f"package-{n}" for n in range(100)]
        pages = {name: stamps.stamp(project_key("npm", name)) for name in names}
        for name in names:
            stamps.bump(files_key("npm", name))
        assert {name: stamps.stamp(project_key("npm", name)) for name in names} == pages
    finally:
        stamps.close()
