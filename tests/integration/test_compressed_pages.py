"""Cached pages over HTTP, in-process: a big packument or simple page goes out gzip'd to a
client that asks (decoding to exactly the identity bytes), each variant revalidates with
its own ETag, and small pages, refusals of gzip and file downloads stay identity."""

from __future__ import annotations

import base64
import gzip
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

NPM_UPSTREAM = "http://upstream.test/npm/"
PY_UPSTREAM = "http://upstream.test/simple/"
PY_JSON = "application/vnd.pypi.simple.v1+json"
GZIP = {"accept-encoding": "gzip, deflate"}
IDENTITY = {"accept-encoding": "identity"}
TARBALL = b"tarball bytes " * 500


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def big_packument(versions: int = 600) -> bytes:
    """An upstream packument of the shape busy packages have: many versions, each with
    dependencies and a distinct integrity."""
    manifests = {}
    for i in range(versions):
        version = f"{i // 100}.{i // 10 % 10}.{i % 10}"
        manifests[version] = {
            "name": "big", "version": version, "description": "A package with many releases",
            "license": "MIT", "main": "index.js",
            "dependencies": {f"dep-{j}": f"^{j}.{i % 7}.0" for j in range(8)},
            "engines": {"node": ">=18"},
            "dist": {"tarball": f"{NPM_UPSTREAM}big/-/big-{version}.tgz",
                     "integrity": integrity(version.encode()),
                     "shasum": hashlib.sha1(version.encode()).hexdigest()},
        }
    times = {v: f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
             for i, v in enumerate(manifests)}
    return json.dumps({
        "name": "big", "dist-tags": {"latest": version}, "versions": manifests, "time": times,
    }).encode()


def small_packument() -> bytes:
    return json.dumps({
        "name": "tiny", "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"name": "tiny", "version": "1.0.0", "dist": {
            "tarball": f"{NPM_UPSTREAM}tiny/-/tiny-1.0.0.tgz", "integrity": integrity(TARBALL)}}},
        "time": {"1.0.0": "2024-01-01T00:00:00.000Z"},
    }).encode()


def simple_json(project: str, files: int) -> bytes:
    """An upstream PEP 691 page listing ``files`` wheels of ``project``."""
    listed = []
    for i in range(files):
        filename = f"{project}-{i // 4}.0-cp312-cp312-manylinux_2_17_x86_64.{i % 4}.whl"
        listed.append({
            "filename": filename, "url": f"../../files/{filename}",
            "hashes": {"sha256": hashlib.sha256(filename.encode()).hexdigest()},
            "requires-python": ">=3.9", "size": 1000 + i,
        })
    return json.dumps({"meta": {"api-version": "1.1"}, "name": project, "files": listed}).encode()


@pytest.fixture
def upstream() -> ScriptedUpstream:
    scripted = ScriptedUpstream()
    json_page = {"content-type": PY_JSON}
    scripted.pages[NPM_UPSTREAM + "big"] = (200, {}, big_packument())
    scripted.pages[NPM_UPSTREAM + "tiny"] = (200, {}, small_packument())
    scripted.pages[NPM_UPSTREAM + "tiny/-/tiny-1.0.0.tgz"] = (200, {}, TARBALL)
    scripted.pages[PY_UPSTREAM + "big/"] = (200, json_page, simple_json("big", 2000))
    scripted.pages[PY_UPSTREAM + "tiny/"] = (200, json_page, simple_json("tiny", 1))
    return scripted


@pytest.fixture
async def client(tmp_path: Path, upstream: ScriptedUpstream) -> AsyncIterator[httpx.AsyncClient]:
    # These upstreams publish "now": the cooldown (tested on its own) would hide everything.
    settings = load_settings(
        overrides={"data_dir": str(tmp_path), "policy.cooldown.mode": "off"}, environ={}
    ).settings
    services: Services = await build_services(settings, upstream=upstream)
    await services.indexes.create(
        Index("npm-remote", "npm", IndexKind.PROXY, upstream=NPM_UPSTREAM)
    )
    await services.indexes.create(
        Index("pypi-remote", "python", IndexKind.PROXY, upstream=PY_UPSTREAM)
    )
    transport = httpx.ASGITransport(app=build_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://wharf.test") as http:
        yield http
    await services.close()


async def fetch(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], method: str = "GET"
) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (content-coding not undone)."""
    async with client.stream(method, url, headers=headers) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


BIG_PAGES = [
    pytest.param("/npm-remote/big", {}, "application/json", id="npm-packument"),
    pytest.param("/npm-remote/big", {"accept": "application/vnd.npm.install-v1+json"},
                 "application/vnd.npm.install-v1+json", id="npm-abbreviated"),
    pytest.param("/pypi-remote/simple/big/", {"accept": "text/html"}, "text/html",
                 id="simple-html"),
    pytest.param("/pypi-remote/simple/big/", {"accept": PY_JSON}, PY_JSON, id="simple-json"),
]


@pytest.mark.parametrize(("url", "accept", "media_type"), BIG_PAGES)
async def test_a_big_page_goes_out_gzipped_and_decodes_to_the_identity_bytes(
    client: httpx.AsyncClient, url: str, accept: dict[str, str], media_type: str
) -> None:
    plain, identity = await fetch(client, url, {**accept, **IDENTITY})
    packed, raw = await fetch(client, url, {**accept, **GZIP})

    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(identity) > 200_000
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) == len(raw) < len(identity) // 3
    assert gzip.decompress(raw) == identity
    assert packed.headers["content-type"].startswith(media_type)
    assert packed.headers["vary"] == plain.headers["vary"] == "Accept, Accept-Encoding"
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'


async def test_either_etag_revalidates_whatever_coding_is_asked_now(
    client: httpx.AsyncClient,
) -> None:
    url = "/npm-remote/big"
    plain_tag = (await fetch(client, url, IDENTITY))[0].headers["etag"]
    gzip_tag = (await fetch(client, url, GZIP))[0].headers["etag"]
    assert plain_tag != gzip_tag
    for held in (plain_tag, gzip_tag):
        for coding in (IDENTITY, GZIP):
            response, body = await fetch(client, url, {**coding, "if-none-match": held})
            assert response.status_code == 304, (held, coding)
            assert body == b""
            assert response.headers["etag"] == held  # the client's stored copy is confirmed
            assert "content-encoding" not in response.headers
            assert response.headers["vary"] == "Accept, Accept-Encoding"
    listed = await fetch(client, url, {**GZIP, "if-none-match": f'"other", {plain_tag}'})
    assert listed[0].status_code == 304
    other = await fetch(client, url, {**GZIP, "if-none-match": '"other"'})
    assert other[0].status_code == 200
    assert other[0].headers["content-encoding"] == "gzip"


async def test_head_reports_the_gzip_variant_headers(client: httpx.AsyncClient) -> None:
    url = "/pypi-remote/simple/big/"
    got, raw = await fetch(client, url, {"accept": PY_JSON, **GZIP})
    head, _ = await fetch(client, url, {"accept": PY_JSON, **GZIP}, method="HEAD")
    assert head.status_code == 200
    assert head.headers["content-encoding"] == "gzip"
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(raw))
    assert head.headers["etag"] == got.headers["etag"]


@pytest.mark.parametrize(
    "url", ["/npm-remote/tiny", "/pypi-remote/simple/tiny/"], ids=["npm", "simple"]
)
async def test_a_small_page_is_sent_as_it_is(client: httpx.AsyncClient, url: str) -> None:
    response, raw = await fetch(client, url, {"accept": PY_JSON, **GZIP} if "pypi" in url else GZIP)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(raw) < 1024
    json.loads(raw)
    assert not response.headers["etag"].endswith('-gz"')


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip;q=0, deflate", None),
        ("gzip;q=0", None),
        ("identity", None),
        ("deflate, br", None),
        ("*;q=0, identity", None),
        ("gzip;q=0.5, identity", None),
        ("GZIP", "gzip"),
        ("x-gzip", "gzip"),
        ("*", "gzip"),
        ("identity;q=0.5, gzip;q=0.8", "gzip"),
        ("zstd,gzip,deflate", "gzip"),
    ],
)
async def test_the_client_s_accept_encoding_decides(
    client: httpx.AsyncClient, accept_encoding: str, coding: str | None
) -> None:
    _, identity = await fetch(client, "/npm-remote/big", IDENTITY)
    response, raw = await fetch(client, "/npm-remote/big", {"accept-encoding": accept_encoding})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == coding
    assert (gzip.decompress(raw) if coding else raw) == identity


async def test_a_page_built_for_a_write_is_still_served(client: httpx.AsyncClient) -> None:
    _, identity = await fetch(client, "/npm-remote/big", IDENTITY)
    response, raw = await fetch(client, "/npm-remote/big?write=true", GZIP)
    assert response.status_code == 200
    body = gzip.decompress(raw) if response.headers.get("content-encoding") == "gzip" else raw
    assert body == identity


async def test_tarballs_are_never_recompressed(client: httpx.AsyncClient) -> None:
    assert (await fetch(client, "/npm-remote/tiny", GZIP))[0].status_code == 200
    response, raw = await fetch(client, "/npm-remote/tiny/-/tiny-1.0.0.tgz", GZIP)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert raw == TARBALL
