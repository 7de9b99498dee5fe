"""Resident memory of a server's whole process tree (the main process, its workers and
anything they started): the sum of VmRSS, read from /proc."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from wharfbench.procs import process_tree


def rss_mb(roots: list[int]) -> float:
    total_kb = 0
    for pid in process_tree(roots):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            continue  # exited between the listing and the read
    return round(total_kb / 1024, 1)


class PeakSampler:
    """Samples the tree's RSS every ``every`` seconds while load runs; ``peak`` is the
    largest sum seen. Re-entrant: each ``with`` block adds to the same peak."""

    def __init__(self, roots: Callable[[], list[int]], every: float = 0.1) -> None:
        self._roots = roots
        self._every = every
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self._roots()))
            self._stop.wait(self._every)

    def __enter__(self) -> PeakSampler:
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(roots: list[int]) -> float:
    """User + system CPU time of the process tree so far."""
    total = 0
    for pid in process_tree(roots):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def wait_quiet(roots: Callable[[], list[int]], busy: float = 0.05, limit: float = 20) -> float:
    """Wait until the tree uses under ``busy`` of a core over half a second (a server may
    still be answering requests a load run abandoned), at most ``limit`` seconds; returns
    the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(roots())
        time.sleep(0.5)
        if cpu_seconds(roots()) - before < busy * 0.5:
            break
    return time.monotonic() - started
