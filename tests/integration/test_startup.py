"""A worker's start: what it has ready before it says it is ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from wharf.bootstrap import build_app, build_services
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
