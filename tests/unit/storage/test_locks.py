from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.synchronize
from pathlib import Path

import pytest

from wharf.core.ports import Locks
from wharf.storage.locks import FileLocks, MemoryLocks

PROCESSES = 4
TASKS_PER_PROCESS = 2
ROUNDS = 15


@pytest.fixture(params=["file", "memory"])
def locks(request: pytest.FixtureRequest, tmp_path: Path) -> FileLocks | MemoryLocks:
    if request.param == "file":
        return FileLocks(tmp_path / "locks")
    return MemoryLocks()


async def test_tasks_holding_the_same_key_take_turns(locks: Locks) -> None:
    log: list[str] = []
    first_inside = asyncio.Event()

    async def first() -> None:
        async with locks.hold("pypi/requests"):
            log.append("first in")
            first_inside.set()
            for _ in range(20):
                await asyncio.sleep(0)
            log.append("first out")

    async def second() -> None:
        await first_inside.wait()
        async with locks.hold("pypi/requests"):
            log.append("second in")

    await asyncio.wait_for(asyncio.gather(first(), second()), 10)
    assert log == ["first in", "first out", "second in"]


async def test_different_keys_do_not_block_each_other(locks: Locks) -> None:
    entered: list[str] = []
    async with locks.hold("a"):
        await asyncio.wait_for(_enter(locks, "b", entered), 10)
    assert entered == ["b"]


async def test_lock_entries_are_dropped_when_unused(locks: FileLocks | MemoryLocks) -> None:
    async with locks.hold("a"):
        waiter = asyncio.create_task(_enter(locks, "a"))
        await asyncio.sleep(0.01)
        assert locks.active_keys == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert locks.active_keys == 0
    async with locks.hold("a"):  # the key is usable again after a cancelled waiter
        pass


async def test_exception_inside_releases_the_lock(locks: Locks) -> None:
    with pytest.raises(ValueError, match="boom"):
        async with locks.hold("k"):
            raise ValueError("boom")
    async with asyncio.timeout(10), locks.hold("k"):
        pass


def test_file_lock_names_hide_the_key(tmp_path: Path) -> None:
    path = FileLocks(tmp_path).path_of("../../etc/passwd")
    assert path.parent == tmp_path
    assert path.name.endswith(".lock")
    assert FileLocks(tmp_path).path_of("a") != FileLocks(tmp_path).path_of("b")


async def _enter(locks: Locks, key: str, entered: list[str] | None = None) -> None:
    async with locks.hold(key):
        if entered is not None:
            entered.append(key)


def append_line(path: Path, line: str) -> None:
    with path.open("a") as log:
        log.write(line + "\n")


def hold_until_told(
    directory: str,
    log: str,
    holding: multiprocessing.synchronize.Event,
    release: multiprocessing.synchronize.Event,
) -> None:
    async def run() -> None:
        async with FileLocks(Path(directory)).hold("npm/left-pad"):
            append_line(Path(log), "child holds")
            holding.set()
            release.wait(30)
            append_line(Path(log), "child releases")

    asyncio.run(run())


async def test_a_lock_held_by_another_process_blocks_until_released(tmp_path: Path) -> None:
    log = tmp_path / "log"
    context = multiprocessing.get_context("spawn")
    holding, release = context.Event(), context.Event()
    child = context.Process(
        target=hold_until_told, args=(str(tmp_path / "locks"), str(log), holding, release)
    )
    child.start()
    try:
        assert await asyncio.to_thread(holding.wait, 30)

        async def parent() -> None:
            async with FileLocks(tmp_path / "locks").hold("npm/left-pad"):
                append_line(log, "parent holds")

        waiting = asyncio.create_task(parent())
        await asyncio.sleep(0.2)  # gives a broken lock the chance to let the parent in early
        assert not waiting.done()
        release.set()
        await asyncio.wait_for(waiting, 30)
    finally:
        release.set()
        await asyncio.to_thread(child.join, 30)
    assert child.exitcode == 0
    assert log.read_text().splitlines() == ["child holds", "child releases", "parent holds"]


def increment_under_lock(
    directory: str, counter: str, start: multiprocessing.synchronize.Event
) -> None:
    locks = FileLocks(Path(directory))
    path = Path(counter)

    async def task() -> None:
        for _ in range(ROUNDS):
            async with locks.hold("counter"):
                value = int(path.read_text())
                await asyncio.sleep(0.001)  # invites a lost update if the lock does not hold
                path.write_text(str(value + 1))

    async def run() -> None:
        await asyncio.gather(*(task() for _ in range(TASKS_PER_PROCESS)))

    start.wait(30)
    asyncio.run(run())


def test_processes_and_tasks_never_overlap(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(
            target=increment_under_lock, args=(str(tmp_path / "locks"), str(counter), start)
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert int(counter.read_text()) == PROCESSES * TASKS_PER_PROCESS * ROUNDS
