"""Mutual exclusion by key: across the tasks of one process and across processes.

``FileLocks`` first takes an ``asyncio.Lock`` for the key (so tasks of one process queue up
in memory), then an exclusive ``flock`` on a lock file named by a hash of the key (so other
worker processes sharing the data directory wait too). The ``flock`` is tried without
blocking and retried after short sleeps, so waiting never blocks the event loop. A process
that dies loses its ``flock`` with its file descriptors, so a crash never leaves a key locked.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

_FIRST_WAIT = 0.001
_LONGEST_WAIT = 0.05


class _KeyedTaskLocks:
    """One ``asyncio.Lock`` per key, dropped when no task holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class MemoryLocks:
    """``Locks`` for a single process (tests, or one worker without shared data)."""

    def __init__(self) -> None:
        self._tasks = _KeyedTaskLocks()

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._tasks.hold(key)

    @property
    def active_keys(self) -> int:
        """How many keys are held or waited for (for tests of the clean-up)."""
        return len(self._tasks)


class FileLocks:
    """``Locks`` shared by every process that uses the same lock directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._tasks = _KeyedTaskLocks()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._tasks.hold(key):
            fd = await self._lock_file(self.path_of(key))
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def path_of(self, key: str) -> Path:
        """The lock file for ``key``. Lock files are kept: deleting one would race a waiter."""
        name = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return self.directory / f"{name}.lock"

    @property
    def active_keys(self) -> int:
        """How many keys are held or waited for in this process."""
        return len(self._tasks)

    async def _lock_file(self, path: Path) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        wait = _FIRST_WAIT
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, _LONGEST_WAIT)
                else:
                    return fd
        except BaseException:
            os.close(fd)
            raise
