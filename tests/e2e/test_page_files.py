"""Big pages from the disk tier on a real server (granian, two workers, pathsend): a large
proxied packument is written once per content, both workers send it from the same files,
every response carries the bytes and headers of the page, and the real npm client reads
it."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from . import npm_clients
from .servers import DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e

NAME = "wharf-e2e-big"
VERSIONS = 3000  # a packument of about 1.8 MB, well over the disk tier's threshold


def big_packument() -> bytes:
    manifests = {}
    for i in range(VERSIONS):
        version = f"{i // 100}.{i // 10 % 10}.{i % 10}"
        manifests[version] = {
            "name": NAME, "version": version, "description": "A package with many releases",
            "dependencies": {f"dep-{j}": f"^{j}.{i % 7}.0" for j in range(8)},
            "dist": {"tarball": f"http://127.0.0.1:9/{NAME}/-/{NAME}-{version}.tgz",
                     "shasum": hashlib.sha1(version.encode()).hexdigest(),
                     "integrity": "sha512-" + hashlib.sha512(version.encode()).hexdigest()},
        }
    return json.dumps({
        "name": NAME, "dist-tags": {"latest": "29.9.9"}, "versions": manifests,
        "time": dict.fromkeys(manifests, "2024-01-01T00:00:00.000Z"),
    }).encode()


@pytest.fixture(scope="module")
def static_upstream() -> Iterator[str]:
    """A local registry that knows one package, answering from a thread."""
    body = big_packument()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path.rstrip("/") == f"/{NAME}"
            self.send_response(200 if found else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(
    start_server: StartServer, dead_upstream: DeadEndpoint, static_upstream: str
) -> WharfServer:
    return start_server("pages", upstream=dead_upstream.simple_url, workers=2,
                        npm_upstream=static_upstream)


def fresh_get(
    url: str, headers: dict[str, str], method: str = "GET"
) -> tuple[httpx.Response, bytes]:
    """On a new connection (so the kernel spreads requests over the workers), the body
    exactly as sent."""
    with httpx.Client(timeout=30) as client, client.stream(method, url, headers=headers) as got:
        raw = b"".join(got.iter_raw())
    return got, raw


def test_both_workers_send_the_page_from_one_set_of_files(server: WharfServer) -> None:
    url = f"{server.url}/npm-remote/{NAME}"
    _, identity = fresh_get(url, {"accept-encoding": "identity"})
    assert json.loads(identity)["dist-tags"]["latest"] == "29.9.9"
    tags = set()
    for i in range(16):
        coding = "gzip" if i % 2 else "identity"
        response, raw = fresh_get(url, {"accept-encoding": coding})
        assert response.status_code == 200
        assert response.headers.get("content-encoding") == (coding if coding == "gzip" else None)
        assert int(response.headers["content-length"]) == len(raw)
        assert (gzip.decompress(raw) if coding == "gzip" else raw) == identity
        assert "last-modified" not in response.headers
        tags.add(response.headers["etag"])
    assert len(tags) == 2  # one per coding, whichever worker answered

    head, empty = fresh_get(url, {"accept-encoding": "gzip"}, method="HEAD")
    assert head.status_code == 200
    assert empty == b""
    assert head.headers["content-encoding"] == "gzip"
    for tag in tags:
        unchanged, _ = fresh_get(url, {"accept-encoding": "gzip", "if-none-match": tag})
        assert unchanged.status_code == 304

    pages = server.data_dir / "pages"
    bodies = [p for p in pages.iterdir() if not p.name.startswith(".")
              and not p.name.endswith(".meta")]
    assert sorted(p.stat().st_size for p in bodies) == sorted(
        [len(identity), int(head.headers["content-length"])]
    )


def test_npm_reads_the_page(server: WharfServer, tmp_path: Path) -> None:
    user = npm_clients.new_user(tmp_path / "home", f"{server.url}/npm-remote/")
    result = user.run("view", NAME, "versions", "--json")
    assert result.ok, str(result)
    versions, _ = json.JSONDecoder().raw_decode(result.output[result.output.index("["):])
    assert len(versions) == VERSIONS
