"""Files not cached yet, asked for by HEAD or by byte range, over HTTP in-process: the
file is fetched from upstream once, kept, and answered as a cached file is (size, byte
ranges, validators), so that uv reading a wheel's metadata from its end by ranges does not
get the whole wheel instead, and a GET of the whole file still streams as it arrives."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from scripted import ScriptedUpstream

from wharf.bootstrap import build_app, build_services
from wharf.config.loader import load_settings
from wharf.core.models import Index, IndexKind
from wharf.services.container import Services

PY_UPSTREAM = "http://upstream.test/simple/"
NPM_UPSTREAM = "http://upstream.test/npm/"
PY_JSON = "application/vnd.pypi.simple.v1+json"
WHEELS = {f"demo-1.{i}-py3-none-any.whl": bytes(range(256)) * (40 + i) for i in range(3)}
TARBALL = b"tarball bytes " * 700


def simple_page() -> bytes:
    files = [
        {"filename": name, "url": f"../../files/{name}",
         "hashes": {"sha256": hashlib.sha256(data).hexdigest()}, "size": len(data)}
        for name, data in WHEELS.items()
    ]
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "demo", "files": files}).encode()


def packument() -> bytes:
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(TARBALL).digest()).decode()
    return json.dumps({
        "name": "tiny", "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"name": "tiny", "version": "1.0.0", "dist": {
            "tarball": f"{NPM_UPSTREAM}tiny/-/tiny-1.0.0.tgz", "integrity": integrity}}},
        "time": {"1.0.0": "2024-01-01T00:00:00.000Z"},
    }).encode()


@pytest.fixture
def upstream() -> ScriptedUpstream:
    scripted = ScriptedUpstream()
    scripted.pages[PY_UPSTREAM + "demo/"] = (200, {"content-type": PY_JSON}, simple_page())
    for name, data in WHEELS.items():
        scripted.pages[f"http://upstream.test/files/{name}"] = (200, {}, data)
    scripted.pages[NPM_UPSTREAM + "tiny"] = (200, {}, packument())
    scripted.pages[NPM_UPSTREAM + "tiny/-/tiny-1.0.0.tgz"] = (200, {}, TARBALL)
    return scripted


@pytest.fixture
async def client(tmp_path: Path, upstream: ScriptedUpstream) -> AsyncIterator[httpx.AsyncClient]:
    # These upstreams publish "now": the cooldown (tested on its own) would hide everything.
    settings = load_settings(
        overrides={"data_dir": str(tmp_path), "policy.cooldown.mode": "off"}, environ={}
    ).settings
    services: Services = await build_services(settings, upstream=upstream)
    await services.indexes.create(
        Index("pypi-remote", "python", IndexKind.PROXY, upstream=PY_UPSTREAM))
    await services.indexes.create(
        Index("npm-remote", "npm", IndexKind.PROXY, upstream=NPM_UPSTREAM))
    transport = httpx.ASGITransport(app=build_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://wharf.test") as http:
        yield http
    await services.close()


def fetches(upstream: ScriptedUpstream, name: str) -> int:
    """How many times upstream was asked for the file ``name``."""
    return sum(1 for url, _ in upstream.requests if url.endswith("/" + name))


async def test_a_head_of_a_file_not_cached_yet_says_its_size_and_offers_ranges(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    name, data = next(iter(WHEELS.items()))

    head = await client.head(f"/pypi-remote/files/demo/{name}")
    whole = await client.get(f"/pypi-remote/files/demo/{name}")

    assert head.status_code == 200
    assert head.headers["accept-ranges"] == "bytes"
    assert int(head.headers["content-length"]) == len(data)
    assert head.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert head.content == b""
    assert whole.status_code == 200
    assert whole.content == data
    assert fetches(upstream, name) == 1  # kept by the HEAD; the GET read the store


async def test_a_ranged_read_of_a_file_not_cached_yet_gets_just_those_bytes(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    name, data = list(WHEELS.items())[1]
    url = f"/pypi-remote/files/demo/{name}"

    tail = await client.get(url, headers={"range": "bytes=-1000"})
    head = await client.get(url, headers={"range": "bytes=0-99"})

    assert tail.status_code == 206
    assert tail.content == data[-1000:]
    assert tail.headers["content-range"] == f"bytes {len(data) - 1000}-{len(data) - 1}/{len(data)}"
    assert head.status_code == 206
    assert head.content == data[:100]
    assert fetches(upstream, name) == 1


async def test_a_get_of_a_whole_file_not_cached_yet_still_streams_it(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    name, data = list(WHEELS.items())[2]

    async with client.stream("GET", f"/pypi-remote/files/demo/{name}") as response:
        body = b"".join([chunk async for chunk in response.aiter_bytes()])
        streamed_headers = response.headers
    again = await client.head(f"/pypi-remote/files/demo/{name}")

    assert response.status_code == 200
    assert body == data
    assert "accept-ranges" not in streamed_headers  # sent as it arrived from upstream
    assert "etag" not in streamed_headers
    assert again.headers["accept-ranges"] == "bytes"
    assert fetches(upstream, name) == 1


async def test_a_head_of_a_tarball_not_cached_yet_is_answered_from_the_store(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    head = await client.head("/npm-remote/tiny/-/tiny-1.0.0.tgz")
    part = await client.get("/npm-remote/tiny/-/tiny-1.0.0.tgz", headers={"range": "bytes=5-9"})

    assert head.status_code == 200
    assert int(head.headers["content-length"]) == len(TARBALL)
    assert head.headers["accept-ranges"] == "bytes"
    assert part.status_code == 206
    assert part.content == TARBALL[5:10]
    assert fetches(upstream, "tiny-1.0.0.tgz") == 1
