"""The application as a server process runs it: built from the ``WHARF_*`` environment
that ``wharf serve`` passes on, with the process tuned for serving once it is ready.

Tuning, measured on 2 cores with the benchmark corpus (a cold npm install, then a cold uv
install of 42 projects, whose pages list 48,000 files):

- the cyclic garbage collector leaves the start-up objects alone (``gc.freeze``) and runs
  less often (``GC_THRESHOLD``): a cold page build allocates hundreds of thousands of
  containers, nearly all freed by reference counting, and at Python's default the
  collector walked them again every 700. Building the 42 pages in-process: 1.95 CPU-s at
  the defaults, 1.71 frozen, 1.63 frozen and with this threshold;
- blocking work (database statements, gzip, page files) runs on at most
  ``WORKER_THREADS`` threads instead of anyio's 40: on 2 cores more threads only contend
  for the interpreter lock, and every one that ran keeps its stack and allocator caches;
- the C allocator gives back the free memory in its heap every ``TRIM_SECONDS``
  (``malloc_trim``, glibc): big page builds leave it holes that it returns only from the
  top on its own. 0.3 ms a call; 7 MB returned after the cold installs.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
from collections.abc import Callable

import anyio.to_thread
from starlette.types import ASGIApp

from wharf.bootstrap import build_app, build_services, configure_logging
from wharf.config.loader import load_settings

GC_THRESHOLD = (10_000, 10, 10)
WORKER_THREADS = 8
TRIM_SECONDS = 1.0


def create_app() -> ASGIApp:
    """ASGI app factory for each worker of a multi-worker server."""
    return asyncio.run(open_app())


async def open_app() -> ASGIApp:
    """``create_app`` inside a running event loop (the server of a single process)."""
    settings = load_settings().settings
    configure_logging(settings)
    services = await build_services(settings)
    return build_app(settings, services, on_ready=prepare_process)


def prepare_process() -> None:
    """Tune the process for serving (see the module docstring); runs on the worker's event
    loop once it has built what it builds before its first request."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    trim = heap_trimmer()
    if trim is not None:
        _every(TRIM_SECONDS, trim)


def heap_trimmer() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim: Callable[[int], object] = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    return lambda: trim(0)


def _every(seconds: float, action: Callable[[], object]) -> None:
    loop = asyncio.get_running_loop()

    def run() -> None:
        action()
        loop.call_later(seconds, run)

    loop.call_later(seconds, run)
