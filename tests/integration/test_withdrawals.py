"""Following upstream withdrawals: a cached file upstream stops offering is kept but not
served, through the proxy and its group, until an administrator pins it."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from scripted import Clock, ScriptedUpstream, python_proxy_services

from wharf.core.errors import ForbiddenError, InvalidRequestError, PolicyDeniedError
from wharf.core.models import Principal
from wharf.services.container import Services
from wharf.services.proxying import StoredFile, StreamedFile

UPSTREAM = "http://upstream.test/simple/"
OLD = b"old wheel " * 100
NEW = b"new wheel " * 100
ADMIN = Principal(user="root", is_admin=True)


def link(filename: str, body: bytes) -> str:
    sha = hashlib.sha256(body).hexdigest()
    return f'<a href="../../files/{filename}#sha256={sha}">{filename}</a>'


def page(*files: tuple[str, bytes]) -> tuple[int, dict[str, str], bytes]:
    links = "".join(link(name, body) for name, body in files)
    return 200, {"content-type": "text/html"}, f"<html><body>{links}</body></html>".encode()


@pytest.fixture
def upstream() -> ScriptedUpstream:
    scripted = ScriptedUpstream()
    scripted.pages[UPSTREAM + "demo/"] = page(
        ("demo-1.0-py3-none-any.whl", OLD), ("demo-2.0-py3-none-any.whl", NEW)
    )
    scripted.pages["http://upstream.test/files/demo-1.0-py3-none-any.whl"] = (200, {}, OLD)
    scripted.pages["http://upstream.test/files/demo-2.0-py3-none-any.whl"] = (200, {}, NEW)
    return scripted


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def services(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock
) -> AsyncIterator[Services]:
    async with python_proxy_services(tmp_path, upstream, clock, UPSTREAM) as built:
        yield built


async def fetch(services: Services, index: str, filename: str) -> bytes:
    source = await services.reading.open_file(
        await services.indexes.get(index), "demo", filename
    )
    if isinstance(source, StreamedFile):
        return b"".join([chunk async for chunk in source.chunks])
    assert isinstance(source, StoredFile)
    assert source.path is not None
    return source.path.read_bytes()


async def refresh(services: Services, clock: Clock) -> list[str]:
    clock.moment += timedelta(hours=1)
    view = await services.reading.page(await services.indexes.get("all"), "demo")
    return [f.filename for f in view.page.files]


async def cache_both(services: Services) -> None:
    assert await fetch(services, "all", "demo-1.0-py3-none-any.whl") == OLD
    assert await fetch(services, "all", "demo-2.0-py3-none-any.whl") == NEW


async def test_a_withdrawn_cached_file_is_kept_but_not_served(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    await cache_both(services)
    upstream.pages[UPSTREAM + "demo/"] = page(("demo-2.0-py3-none-any.whl", NEW))
    assert await refresh(services, clock) == ["demo-2.0-py3-none-any.whl"]

    for index in ("remote", "all"):
        with pytest.raises(PolicyDeniedError, match="withdrawn upstream") as refused:
            await fetch(services, index, "demo-1.0-py3-none-any.whl")
        assert refused.value.rule == "upstream-withdrawal"
        assert "wharf pin remote demo-1.0-py3-none-any.whl" in refused.value.hint
    assert await fetch(services, "all", "demo-2.0-py3-none-any.whl") == NEW
    withdrawn = await services.pins.withdrawn(ADMIN)
    assert [(a.filename, a.withdrawn_at) for a in withdrawn] == [
        ("demo-1.0-py3-none-any.whl", clock.now())
    ]
    artifact = await services.store.get_artifact("remote", "demo-1.0-py3-none-any.whl")
    assert artifact is not None
    assert services.blobs.local_path(artifact.sha256) is not None


async def test_a_pin_serves_it_again_and_is_audited(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    await cache_both(services)
    upstream.pages[UPSTREAM + "demo/"] = page(("demo-2.0-py3-none-any.whl", NEW))
    await refresh(services, clock)

    await services.pins.pin("remote", "demo-1.0-py3-none-any.whl", ADMIN, reason="lockfile")
    assert await fetch(services, "all", "demo-1.0-py3-none-any.whl") == OLD
    events = await services.audit.query(action="file.pin")
    assert [(e.actor, e.filename, e.detail["reason"]) for e in events] == [
        ("root", "demo-1.0-py3-none-any.whl", "lockfile")
    ]

    await services.pins.pin("remote", "demo-1.0-py3-none-any.whl", ADMIN, pinned=False)
    with pytest.raises(PolicyDeniedError):
        await fetch(services, "all", "demo-1.0-py3-none-any.whl")


async def test_a_project_gone_upstream_withdraws_every_cached_file(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    await cache_both(services)
    del upstream.pages[UPSTREAM + "demo/"]
    clock.moment += timedelta(hours=1)
    assert await services.proxy.listing(await services.indexes.get("remote"), "demo") is None
    for filename in ("demo-1.0-py3-none-any.whl", "demo-2.0-py3-none-any.whl"):
        with pytest.raises(PolicyDeniedError):
            await fetch(services, "remote", filename)


async def test_upstream_down_withdraws_nothing_and_a_relisted_file_comes_back(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    await cache_both(services)
    upstream.down = True
    assert sorted(await refresh(services, clock)) == [
        "demo-1.0-py3-none-any.whl", "demo-2.0-py3-none-any.whl"
    ]
    assert await fetch(services, "all", "demo-1.0-py3-none-any.whl") == OLD

    upstream.down = False
    upstream.pages[UPSTREAM + "demo/"] = page(("demo-2.0-py3-none-any.whl", NEW))
    await refresh(services, clock)
    with pytest.raises(PolicyDeniedError):
        await fetch(services, "all", "demo-1.0-py3-none-any.whl")
    upstream.pages[UPSTREAM + "demo/"] = page(
        ("demo-1.0-py3-none-any.whl", OLD), ("demo-2.0-py3-none-any.whl", NEW)
    )
    await refresh(services, clock)
    assert await fetch(services, "all", "demo-1.0-py3-none-any.whl") == OLD
    assert await services.pins.withdrawn(ADMIN) == []


async def test_only_administrators_pin_and_only_on_proxy_indexes(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    await cache_both(services)
    with pytest.raises(ForbiddenError):
        await services.pins.pin(
            "remote", "demo-1.0-py3-none-any.whl", Principal(user="bob")
        )
    with pytest.raises(InvalidRequestError, match="proxy index"):
        await services.pins.pin("all", "demo-1.0-py3-none-any.whl", ADMIN)
