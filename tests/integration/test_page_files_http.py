"""Big pages from the disk tier over HTTP, in-process: a large packument goes out from its
file, identity or gzip, with the same headers as a page from memory (no ETag or
Last-Modified of the file's own, no ranges), revalidates with either ETag, answers HEAD,
and a second app on the same data directory (another worker) serves it without
rendering it again."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from scripted import ScriptedUpstream
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wharf.bootstrap import build_app, build_services
from wharf.config.loader import load_settings
from wharf.core.models import Index, IndexKind
from wharf.formats.npm import packument
from wharf.services.container import Services
from wharf.services.pages import DISK_MIN_BYTES, FILE_RECORD_BYTES, PageCache, Rendered
from wharf.web import kit

UPSTREAM = "http://upstream.test/npm/"
URL = "/npm-remote/big"
GZIP = {"accept-encoding": "gzip"}
IDENTITY = {"accept-encoding": "identity"}


def big_packument(versions: int = 400) -> bytes:
    manifests = {}
    for i in range(versions):
        version = f"{i // 100}.{i // 10 % 10}.{i % 10}"
        digest = hashlib.sha512(version.encode()).digest()
        manifests[version] = {
            "name": "big", "version": version, "license": "MIT",
            "dependencies": {f"dep-{j}": f"^{j}.{i % 7}.0" for j in range(6)},
            "dist": {"tarball": f"{UPSTREAM}big/-/big-{version}.tgz",
                     "integrity": "sha512-" + base64.b64encode(digest).decode()},
        }
    times = dict.fromkeys(manifests, "2024-01-01T00:00:00.000Z")
    return json.dumps({"name": "big", "dist-tags": {"latest": version},
                       "versions": manifests, "time": times}).encode()


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)


class Renders:
    """Counts full packuments rendered (a page built rather than found)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real: Callable[..., Any] = packument.render_full

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(packument, "render_full", counting)


@pytest.fixture
def upstream() -> ScriptedUpstream:
    scripted = ScriptedUpstream()
    scripted.pages[UPSTREAM + "big"] = (200, {}, big_packument())
    return scripted


@pytest.fixture
async def workers(
    tmp_path: Path, upstream: ScriptedUpstream
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, list[Services]]]:
    """Two apps on one data directory, as two worker processes would be."""
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={}).settings
    first = await build_services(settings, upstream=upstream)
    await first.indexes.create(Index("npm-remote", "npm", IndexKind.PROXY, upstream=UPSTREAM))
    second = await build_services(settings, upstream=upstream)
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(settings, svc)),
                          base_url="http://wharf.test")
        for svc in (first, second)
    ]
    yield clients[0], clients[1], [first, second]
    for client in clients:
        await client.aclose()
    await first.close()
    await second.close()


@pytest.fixture
def client(
    workers: tuple[httpx.AsyncClient, httpx.AsyncClient, list[Services]],
) -> httpx.AsyncClient:
    return workers[0]


async def fetch(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], method: str = "GET"
) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (content-coding not undone)."""
    async with client.stream(method, url, headers=headers) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


def bodies(data_dir: Path) -> list[bytes]:
    """The page bodies on disk (not their records)."""
    pages = data_dir / "pages"
    return sorted(p.read_bytes() for p in pages.iterdir()
                  if not p.name.startswith(".") and not p.name.endswith(".meta"))


async def test_a_big_packument_is_sent_from_its_files(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    plain, identity = await fetch(client, URL, IDENTITY)
    packed, raw = await fetch(client, URL, GZIP)

    assert plain.status_code == packed.status_code == 200
    assert len(identity) > DISK_MIN_BYTES
    assert gzip.decompress(raw) == identity
    # The first build refreshed upstream, which moved the page's token: the second request
    # built it again under the new one. Same bytes, so the same two body files.
    assert bodies(tmp_path) == sorted([identity, raw])
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert plain.headers["content-length"] == str(len(identity))
    assert packed.headers["content-length"] == str(len(raw))
    for response in (plain, packed):
        assert response.headers["content-type"] == "application/json"
        assert response.headers["vary"] == "Accept, Accept-Encoding"
        assert response.headers["cache-control"] == "no-cache"
        assert "last-modified" not in response.headers
        assert "accept-ranges" not in response.headers
        assert response.headers.get_list("etag") == [response.headers["etag"]]
    assert plain.headers["etag"] == '"' + hashlib.sha256(identity).hexdigest()[:32] + '"'
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'


async def test_either_etag_revalidates(client: httpx.AsyncClient) -> None:
    plain_tag = (await fetch(client, URL, IDENTITY))[0].headers["etag"]
    gzip_tag = (await fetch(client, URL, GZIP))[0].headers["etag"]
    for held in (plain_tag, gzip_tag):
        for coding in (IDENTITY, GZIP):
            response, body = await fetch(client, URL, {**coding, "if-none-match": held})
            assert response.status_code == 304, (held, coding)
            assert body == b""
            assert response.headers["etag"] == held
            assert "content-encoding" not in response.headers


@pytest.mark.parametrize("coding", [IDENTITY, GZIP], ids=["identity", "gzip"])
async def test_head_has_the_headers_of_get(
    client: httpx.AsyncClient, coding: dict[str, str]
) -> None:
    got, raw = await fetch(client, URL, coding)
    head, body = await fetch(client, URL, coding, method="HEAD")
    assert head.status_code == 200
    assert body == b""
    for name in ("content-length", "etag", "content-type", "vary", "cache-control"):
        assert head.headers[name] == got.headers[name], name
    assert head.headers.get("content-encoding") == got.headers.get("content-encoding")
    assert int(head.headers["content-length"]) == len(raw)


@pytest.mark.parametrize("coding", [IDENTITY, GZIP], ids=["identity", "gzip"])
async def test_a_range_is_ignored(client: httpx.AsyncClient, coding: dict[str, str]) -> None:
    whole, raw = await fetch(client, URL, coding)
    for extra in ({"range": "bytes=0-99"}, {"range": "bytes=0-9,20-29"},
                  {"range": "bytes=0-99", "if-range": whole.headers["etag"]}):
        response, body = await fetch(client, URL, {**coding, **extra})
        assert response.status_code == 200, extra
        assert body == raw
        assert "content-range" not in response.headers


async def test_another_worker_serves_the_page_without_building_it(
    workers: tuple[httpx.AsyncClient, httpx.AsyncClient, list[Services]],
    upstream: ScriptedUpstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second, services = workers
    renders = Renders(monkeypatch)
    await fetch(first, URL, GZIP)  # fetches upstream, which moves the page's token
    made, made_raw = await fetch(first, URL, GZIP)  # built and stored under the new one
    built, asked = renders.calls, len(upstream.requests)

    found, found_raw = await fetch(second, URL, GZIP)
    plain, identity = await fetch(second, URL, IDENTITY)

    assert renders.calls == built
    assert len(upstream.requests) == asked
    assert found.status_code == plain.status_code == 200
    assert found_raw == made_raw
    assert found.headers["etag"] == made.headers["etag"]
    assert gzip.decompress(found_raw) == identity
    assert services[1].pages.bytes_held == FILE_RECORD_BYTES


async def test_a_file_lost_under_the_cache_is_rendered_again(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = Renders(monkeypatch)
    await fetch(client, URL, IDENTITY)
    _, before = await fetch(client, URL, IDENTITY)
    built = renders.calls
    for path in (tmp_path / "pages").iterdir():
        if not path.name.startswith("."):
            path.unlink()
    response, after = await fetch(client, URL, IDENTITY)
    assert response.status_code == 200
    assert after == before
    assert renders.calls == built + 1


async def test_a_stale_page_from_disk_says_so(tmp_path: Path) -> None:
    """The stale notice and the caller's headers reach a file response as they reach one
    from memory."""
    body = big_packument()

    cache = PageCache(Clock(), directory=tmp_path)

    async def build() -> tuple[Rendered, None]:
        return Rendered(body, '"tag"', stale=True), None

    async def page(request: Request) -> Response:
        rendered = await cache.get("k", 1, build)
        assert rendered.files is not None
        return kit.page_response(request, rendered, "application/json", {"x-extra": "1"})

    app = Starlette(routes=[Route("/page", page)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as http:
        response, raw = await fetch(http, "/page", GZIP)
    assert response.status_code == 200
    assert response.headers["x-wharf-stale"].startswith("upstream unreachable")
    assert response.headers["x-extra"] == "1"
    assert response.headers["etag"] == '"tag-gz"'
    assert gzip.decompress(raw) == body


async def test_a_cold_page_is_kept_under_the_token_it_was_built_from(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request fetches the upstream listing (which moves the page's change token)
    before the page is built, so the page is kept under the token that holds afterwards:
    the next request that the memo does not answer finds it instead of building it again."""
    renders = Renders(monkeypatch)
    first, _ = await fetch(client, URL, GZIP)
    again, _ = await fetch(client, URL, IDENTITY)  # another memo key, the same cached page
    assert first.status_code == again.status_code == 200
    assert renders.calls == 1
