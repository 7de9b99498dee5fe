"""Change stamps shared by the worker processes of one machine through a memory-mapped file.

The file holds ``slots`` unsigned 64-bit counters in the machine's byte order (little-endian
on every platform Wharf supports; the file never leaves the machine, so the order only has to
agree between its processes). A key maps to the slot
``blake2b(key) % slots``; distinct keys may share a slot, which only costs a needless cache
refresh. Reading a stamp is one load from the shared mapping (no system call), so every
request may check it. Bumping takes an exclusive ``flock`` on the file around the
read-modify-write, which makes increments from several processes add up.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import threading
from pathlib import Path

_SLOT = 8
_MAX = (1 << 64) - 1
SLOTS = 65536
"""Slots of a new stamps file (512 KB, only the pages in use resident). A proxy bumps a
project's files key for every file it caches; with 4,096 slots, a cold install of 94
npm packages bumped the page stamps of 8 others that shared a slot, and the next
install rebuilt their packuments. An existing file keeps its size: the processes
sharing it must agree on every key's slot."""
_REMEMBERED_SLOTS = 65536
"""Keys whose slot a process remembers: a warm request reads several stamps, and hashing
each key again would cost more than the read itself."""
# Slots are read and written as aligned native 64-bit words through a memoryview cast to
# "Q": one load or store each, so a reader never sees half of an update.


def slot_of(key: str, slots: int) -> int:
    """The slot a key maps to: stable across processes and runs (not Python's ``hash``)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % slots


class FileChangeStamps:
    """``ChangeStamps`` shared by every process that opens the same file."""

    def __init__(self, path: Path, slots: int = SLOTS) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.path = Path(path)
        self._wanted_slots = slots
        self._slots = slots
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self._words: memoryview | None = None
        self._open_lock = threading.Lock()
        self._bump_lock = threading.Lock()
        self._slot_of: dict[str, int] = {}

    def stamp(self, key: str) -> int:
        words = self._words if self._words is not None else self._open()
        slot = self._slot_of.get(key)
        if slot is None:
            slot = self._remember_slot(key)
        value: int = words[slot]
        return value

    def bump(self, key: str) -> None:
        words = self._words if self._words is not None else self._open()
        slot = self._remember_slot(key)
        assert self._fd is not None
        with self._bump_lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                words[slot] = (words[slot] + 1) & _MAX
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _remember_slot(self, key: str) -> int:
        if len(self._slot_of) >= _REMEMBERED_SLOTS:
            self._slot_of.clear()
        slot = self._slot_of[key] = slot_of(key, self._slots)
        return slot

    def close(self) -> None:
        """Unmap and close the file (stamps reopen it on next use)."""
        with self._open_lock:
            if self._words is not None:
                self._words.release()
                self._words = None
            if self._map is not None:
                self._map.close()
                self._map = None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _open(self) -> memoryview:
        with self._open_lock:
            if self._words is not None:
                return self._words
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                size = _size_file(fd, self._wanted_slots * _SLOT)
                mapped = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            except BaseException:
                os.close(fd)
                raise
            self._fd, self._map, self._slots = fd, mapped, size // _SLOT
            self._slot_of.clear()  # the size, and so the slots, are the file's
            self._words = memoryview(mapped).cast("Q")
            return self._words


def _size_file(fd: int, wanted: int) -> int:
    """Give a new (empty) stamps file its size; keep the size of an existing one.

    Under an exclusive lock, so that processes starting together agree: the first one sizes
    the file and every later one adopts that size (and so the same key-to-slot mapping).
    """
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        size = os.fstat(fd).st_size
        if size < _SLOT or size % _SLOT:
            os.ftruncate(fd, wanted)
            size = wanted
        return size
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


class MemoryChangeStamps:
    """``ChangeStamps`` for one process (tests)."""

    def __init__(self) -> None:
        self.stamps: dict[str, int] = {}

    def stamp(self, key: str) -> int:
        return self.stamps.get(key, 0)

    def bump(self, key: str) -> None:
        self.stamps[key] = self.stamps.get(key, 0) + 1
