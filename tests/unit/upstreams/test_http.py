from __future__ import annotations

import asyncio
import base64
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import pytest

from wharf import __version__
from wharf.core.errors import UpstreamError, UpstreamTimeoutError
from wharf.upstreams.http import HttpUpstream

BIG = bytes(range(256)) * 4096  # 1 MiB
POOL = 100
"""Connections aiohttp's pool holds at most (its default)."""


class FakeRegistry(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.release = threading.Event()

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that timed out and hung up is what the timeout tests want; stay quiet."""


class Handler(BaseHTTPRequestHandler):
    server: FakeRegistry

    def do_GET(self) -> None:
        if self.path.startswith("http://"):  # asked as a forward proxy (absolute form)
            self.reply(200, f"proxied {self.path}".encode(), {})
        elif self.path == "/simple/demo/":
            self.reply(200, b"<html>demo</html>", {"Content-Type": "text/html", "ETag": '"v1"'})
        elif self.path == "/moved":
            self.reply(302, b"", {"Location": "/simple/demo/"})
        elif self.path.startswith("/away/"):
            self.reply(302, b"", {"Location": "http://" + self.path.removeprefix("/away/")})
        elif self.path == "/missing":
            self.reply(404, b"no such project", {})
        elif self.path == "/big":
            self.reply(200, BIG, {"Content-Type": "application/octet-stream"})
        elif self.path == "/slow":
            self.server.release.wait(10)
            self.reply(200, b"late", {})
        elif self.path.startswith("/as-sent/"):
            self.reply(200, self.path.encode(), {})
        elif self.path == "/to-signed":
            self.reply(302, b"", {"Location": "/as-sent/blob?sig=a%2Fb%2B%3D&x=%7E"})
        elif self.path == "/echo":
            auth = self.headers.get("Authorization", "")
            agent = self.headers.get("User-Agent", "")
            self.reply(200, f"{auth}\n{agent}\n{self.headers.get('X-Test', '')}".encode(), {})
        else:
            self.reply(500, b"unexpected", {})

    def reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_registry() -> Iterator[FakeRegistry]:
    server = FakeRegistry()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    yield from serve_registry()


@pytest.fixture
def other_registry() -> Iterator[FakeRegistry]:
    yield from serve_registry()


@pytest.fixture
async def upstream(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[HttpUpstream]:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    upstream = HttpUpstream(timeout=0.5, connect_timeout=2)
    yield upstream
    await upstream.close()


async def test_get_returns_status_lowercased_headers_body_and_url(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    reply = await upstream.get(f"http://{registry.base}/simple/demo/")
    assert reply.status == 200
    assert reply.body == b"<html>demo</html>"
    assert reply.headers["content-type"] == "text/html"
    assert reply.headers["etag"] == '"v1"'
    assert all(name == name.lower() for name in reply.headers)
    assert reply.url == f"http://{registry.base}/simple/demo/"


async def test_http_errors_are_replies_not_exceptions(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    reply = await upstream.get(f"http://{registry.base}/missing")
    assert (reply.status, reply.body) == (404, b"no such project")


async def test_redirects_are_followed_and_the_final_url_reported(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    reply = await upstream.get(f"http://{registry.base}/moved")
    assert reply.status == 200
    assert reply.url == f"http://{registry.base}/simple/demo/"


async def test_request_headers_and_user_agent_are_sent(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    reply = await upstream.get(f"http://{registry.base}/echo", headers={"X-Test": "yes"})
    auth, agent, extra = reply.body.decode().split("\n")
    assert (auth, agent, extra) == ("", f"wharf/{__version__}", "yes")


async def test_stream_yields_the_body_in_chunks(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    async with upstream.stream(f"http://{registry.base}/big") as response:
        assert response.status == 200
        assert response.headers["content-type"] == "application/octet-stream"
        chunks = [chunk async for chunk in response.iter_bytes()]
    assert b"".join(chunks) == BIG
    assert len(chunks) > 1


async def test_slow_upstream_raises_timeout(registry: FakeRegistry, upstream: HttpUpstream) -> None:
    with pytest.raises(UpstreamTimeoutError) as caught:
        await upstream.get(f"http://{registry.base}/slow")
    assert f"{registry.base}/slow" in caught.value.message
    assert "cached copy" in caught.value.hint


async def test_slow_stream_raises_timeout(registry: FakeRegistry, upstream: HttpUpstream) -> None:
    with pytest.raises(UpstreamTimeoutError):
        async with upstream.stream(f"http://{registry.base}/slow"):
            pass


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_connection_refused_raises_upstream_error(upstream: HttpUpstream) -> None:
    url = f"http://127.0.0.1:{unused_port()}/simple/"
    with pytest.raises(UpstreamError) as caught:
        await upstream.get(url)
    assert not isinstance(caught.value, UpstreamTimeoutError)
    assert url in caught.value.message
    assert "check the upstream URL" in caught.value.hint


async def test_invalid_urls_raise_upstream_error(upstream: HttpUpstream) -> None:
    with pytest.raises(UpstreamError):
        await upstream.get("ftp://127.0.0.1/simple/")
    with pytest.raises(UpstreamError) as caught:
        await upstream.get("http://user:hunter2@[::1/simple/")
    assert "hunter2" not in caught.value.explain()
    with pytest.raises(UpstreamError):
        async with upstream.stream("not a url"):
            pass


async def test_userinfo_becomes_basic_auth(registry: FakeRegistry, upstream: HttpUpstream) -> None:
    reply = await upstream.get(f"http://mirror%40team:s3cr%3At@{registry.base}/echo")
    expected = base64.b64encode(b"mirror@team:s3cr:t").decode()
    assert reply.body.decode().split("\n")[0] == f"Basic {expected}"
    assert "s3cr" not in reply.url
    assert reply.url == f"http://{registry.base}/echo"


async def test_userinfo_never_appears_in_errors(upstream: HttpUpstream) -> None:
    port = unused_port()
    with pytest.raises(UpstreamError) as caught:
        await upstream.get(f"http://admin:topsecret@127.0.0.1:{port}/simple/")
    text = caught.value.explain() + str(caught.value)
    assert "topsecret" not in text
    assert "admin" not in text
    assert f"127.0.0.1:{port}/simple/" in text


async def test_stream_sends_userinfo_as_basic_auth(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    async with upstream.stream(f"http://u:p@{registry.base}/echo") as response:
        body = b"".join([chunk async for chunk in response.iter_bytes()])
    assert body.decode().split("\n")[0] == "Basic " + base64.b64encode(b"u:p").decode()


async def test_credentials_are_not_sent_to_another_origin_on_redirect(
    registry: FakeRegistry, other_registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    url = f"http://u:p@{registry.base}/away/{other_registry.base}/echo"
    reply = await upstream.get(url)
    assert reply.url == f"http://{other_registry.base}/echo"
    assert reply.body.decode().split("\n")[0] == ""


async def test_urls_are_requested_as_written(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    """An npm scope's ``%2f`` and a signed query's escapes reach upstream unchanged: a
    signature computed over the query fails once ``%2F`` becomes ``/``."""
    for path in ("/as-sent/@types%2fnode", "/as-sent/f?sig=a%2Fb%2B%3D&x=%7E"):
        reply = await upstream.get(f"http://{registry.base}{path}")
        assert reply.body.decode() == path
    reply = await upstream.get(f"http://{registry.base}/as-sent/caf\u00e9 au lait")
    assert reply.body.decode() == "/as-sent/caf%C3%A9%20au%20lait"


async def test_a_redirect_is_followed_as_written(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    async with upstream.stream(f"http://{registry.base}/to-signed") as response:
        body = b"".join([chunk async for chunk in response.iter_bytes()])
    assert body.decode() == "/as-sent/blob?sig=a%2Fb%2B%3D&x=%7E"
    assert response.url == f"http://{registry.base}/as-sent/blob?sig=a%2Fb%2B%3D&x=%7E"


async def test_a_stream_left_unread_gives_its_connection_up(
    registry: FakeRegistry, upstream: HttpUpstream
) -> None:
    """A client that leaves mid-file gives the upstream connection up: more such clients
    than the pool holds connections (100) still leave the next request one to use, where
    connections kept by abandoned responses would make it wait for good."""
    with anyio.fail_after(30):
        for _ in range(POOL + 1):
            async with upstream.stream(f"http://{registry.base}/big") as response:
                async for _ in response.iter_bytes():
                    break
        reply = await upstream.get(f"http://{registry.base}/simple/demo/")
    assert reply.body == b"<html>demo</html>"


async def test_the_session_follows_the_event_loop(registry: FakeRegistry) -> None:
    """A server of several workers builds its services in one event loop and serves in
    another: the pool of connections is made in the loop that uses it."""
    upstream = HttpUpstream()

    def in_another_loop() -> bytes:
        async def fetch() -> bytes:
            try:
                return (await upstream.get(f"http://{registry.base}/simple/demo/")).body
            finally:
                await upstream.close()

        return asyncio.run(fetch())

    assert await asyncio.to_thread(in_another_loop) == b"<html>demo</html>"
    reply = await upstream.get(f"http://{registry.base}/simple/demo/")
    assert reply.body == b"<html>demo</html>"
    await upstream.close()


async def test_the_proxy_of_the_environment_is_used(
    registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like pip and npm, Wharf reaches upstream through ``HTTP_PROXY``/``HTTPS_PROXY``
    (and not for the hosts ``NO_PROXY`` names)."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://{registry.base}")
    upstream = HttpUpstream(timeout=2, connect_timeout=2)
    try:
        reply = await upstream.get("http://upstream.invalid/simple/demo/")
        assert reply.body == b"proxied http://upstream.invalid/simple/demo/"
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        direct = await upstream.get(f"http://{registry.base}/simple/demo/")
        assert direct.body == b"<html>demo</html>"
    finally:
        await upstream.close()
