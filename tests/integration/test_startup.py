"""A worker's start: what it has ready before it says it is ready."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from wharf.bootstrap import build_app, build_services, prepare
from wharf.cli.worker_app import GC_THRESHOLD, WORKER_THREADS, heap_trimmer
from wharf.config.loader import load_settings
from wharf.formats.base import ASGIApp
from wharf.policy import typosquat


async def test_the_popular_name_index_is_built_before_the_worker_is_ready(
    tmp_path: Path,
) -> None:
    """Built beside the first requests, the index (half a second of CPU) slowed each of
    them down: a cold install right after a start paid for it."""
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={}).settings
    services = await build_services(settings)
    try:
        await start(build_app(settings, services))
    finally:
        await services.close()


async def start(app: ASGIApp) -> None:
    """Run the app's lifespan; check what is built when it says it has started."""
    typosquat._popular.cache_clear()
    built_when_ready: list[int] = []
    stop = anyio.Event()
    started = False

    async def receive() -> dict[str, Any]:
        nonlocal started
        if not started:
            started = True
            return {"type": "lifespan.startup"}
        await stop.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            built_when_ready.append(typosquat._popular.cache_info().currsize)
            stop.set()

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert len(built_when_ready) == 1
    assert built_when_ready[0] >= 1  # Python's popular names, and npm's



WORKER_START = """
import asyncio, gc, json
import anyio.to_thread
from wharf.cli.worker_app import create_app

async def run_lifespan(app):
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    async def receive():
        return next(messages)
    async def send(message):
        global THREADS
        assert not message["type"].endswith("failed"), message
        if message["type"] == "lifespan.startup.complete":
            THREADS = anyio.to_thread.current_default_thread_limiter().total_tokens
    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

before = gc.get_freeze_count()
asyncio.run(run_lifespan(create_app()))
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(),
                  "threshold": gc.get_threshold(), "threads": THREADS}))
"""


def test_a_worker_is_tuned_for_serving_once_ready(tmp_path: Path) -> None:
    """A worker's collector leaves its start-up objects alone and runs less often (at
    Python's defaults a cold page build spent a sixth of its time collecting), and its
    blocking work runs on a few threads. In a process of its own: both are
    process-wide."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    env["WHARF_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", WORKER_START], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["frozen"] > seen["before"]
    assert tuple(seen["threshold"]) == GC_THRESHOLD
    assert seen["threads"] == WORKER_THREADS


def test_the_heap_trimmer_returns_memory_to_the_system() -> None:
    trim = heap_trimmer()
    if trim is None:
        pytest.skip("the C library has no malloc_trim")
    trim()  # a clean heap to start from
    before = resident_kib()
    blocks = [bytearray(64 << 10) for _ in range(2000)]  # 128 MB below the mmap threshold
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])  # touch every page
    del blocks[:-1]  # all but the last, so the heap's top stays in use
    held = resident_kib()
    trim()
    assert resident_kib() < held - 64 * 1024, (before, held, resident_kib())


def resident_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    pytest.skip("needs Linux /proc")


async def test_preparing_a_data_directory_fans_the_blob_store_out(tmp_path: Path) -> None:
    settings = load_settings(overrides={
        "data_dir": str(tmp_path), "pypi.upstream": "http://127.0.0.1:9/simple/",
        "npm.upstream": "http://127.0.0.1:9/"}, environ={}).settings
    await prepare(settings)
    assert len(list((settings.blob_root / "sha256").iterdir())) == 256
