"""Tarball URLs in packuments point at Wharf as clients reach it: the configured public URL
(behind a reverse proxy), or the forwarded host of a trusted proxy, never a forwarded host
from anyone else, and never the upstream's own address."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from scripted import ScriptedUpstream

from wharf.bootstrap import build_app, build_services, default_indexes
from wharf.config.loader import load_settings

UPSTREAM = "http://upstream.test/registry/"
UPSTREAM_TARBALL = b"upstream tarball " * 100
ALICE = {"authorization": "Basic " + base64.b64encode(b"alice:alice's password").decode()}

Open = Callable[..., Any]
INTERNAL = "http://wharf.internal:8080"


def demo_tarball(name: str, version: str) -> bytes:
    manifest = json.dumps({"name": name, "version": version}).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("package/package.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
    return buffer.getvalue()


def publish_body(name: str, version: str) -> bytes:
    """What ``npm publish`` sends: the version's manifest and the tarball, base64."""
    tarball = demo_tarball(name, version)
    sha512 = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    manifest = {
        "name": name, "version": version, "_id": f"{name}@{version}",
        "dist": {"integrity": f"sha512-{sha512}", "shasum": hashlib.sha1(tarball).hexdigest(),
                 "tarball": f"http://127.0.0.1:1/{name}/-/x-{version}.tgz"},
    }
    return json.dumps({
        "_id": name, "name": name, "dist-tags": {"latest": version},
        "versions": {version: manifest},
        "_attachments": {f"{name}-{version}.tgz": {
            "content_type": "application/octet-stream",
            "data": base64.b64encode(tarball).decode(), "length": len(tarball),
        }},
    }).encode()


def upstream_packument() -> bytes:
    sha512 = base64.b64encode(hashlib.sha512(UPSTREAM_TARBALL).digest()).decode()
    return json.dumps({
        "name": "left-pad",
        "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {
            "name": "left-pad", "version": "1.0.0",
            "dist": {"tarball": UPSTREAM + "left-pad/-/left-pad-1.0.0.tgz",
                     "integrity": f"sha512-{sha512}"},
        }},
        "time": {"1.0.0": "2024-01-01T00:00:00.000Z"},
    }).encode()


@pytest.fixture
def upstream() -> ScriptedUpstream:
    scripted = ScriptedUpstream()
    scripted.pages[UPSTREAM + "left-pad"] = (200, {}, upstream_packument())
    scripted.pages[UPSTREAM + "left-pad/-/left-pad-1.0.0.tgz"] = (200, {}, UPSTREAM_TARBALL)
    return scripted


@pytest.fixture
def wharf(tmp_path: Path, upstream: ScriptedUpstream) -> Open:
    @asynccontextmanager
    async def start(**server: Any) -> AsyncIterator[httpx.AsyncClient]:
        overrides = {"data_dir": str(tmp_path), **{f"server.{k}": v for k, v in server.items()}}
        settings = load_settings(overrides=overrides, environ={}).settings
        services = await build_services(settings, upstream=upstream)
        await services.indexes.ensure(
            default_indexes(settings, "http://127.0.0.1:9/simple/", UPSTREAM)
        )
        if await services.store.get_user("alice") is None:
            await services.accounts.add_user("alice", "alice's password", admin=True)
        transport = httpx.ASGITransport(app=build_app(settings, services), client=("10.0.0.7", 1))
        try:
            async with httpx.AsyncClient(transport=transport, base_url=INTERNAL) as http:
                yield http
        finally:
            await services.close()

    return start


async def tarball_urls(http: httpx.AsyncClient, name: str, **headers: str) -> list[str]:
    for accept in ("application/json", "application/vnd.npm.install-v1+json"):
        answer = await http.get(f"/npm/{name}", headers={"accept": accept, **headers})
        assert answer.status_code == 200, answer.text
        urls = [v["dist"]["tarball"] for v in answer.json()["versions"].values()]
    return urls


async def test_hosted_and_proxied_tarballs_use_the_public_url(wharf: Open) -> None:
    async with wharf(public_url="https://registry.corp.test/wharf/") as http:
        put = await http.put(
            "/npm/@corp%2fdemo", content=publish_body("@corp/demo", "1.0.0"),
            headers={**ALICE, "content-type": "application/json"},
        )
        assert put.status_code in (200, 201), put.text
        assert await tarball_urls(http, "@corp/demo") == [
            "https://registry.corp.test/wharf/npm/@corp/demo/-/demo-1.0.0.tgz"
        ]
        assert await tarball_urls(http, "left-pad") == [
            "https://registry.corp.test/wharf/npm/left-pad/-/left-pad-1.0.0.tgz"
        ]
        # The rewritten URL is one Wharf serves (the reverse proxy strips its prefix).
        tarball = await http.get("/npm/left-pad/-/left-pad-1.0.0.tgz")
        assert tarball.content == UPSTREAM_TARBALL


async def test_forwarded_host_is_honoured_only_from_trusted_proxies(wharf: Open) -> None:
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-host": "npm.corp.test"}
    async with wharf(trusted_proxies=("10.0.0.7",)) as http:
        assert await tarball_urls(http, "left-pad", **forwarded) == [
            "https://npm.corp.test/npm/left-pad/-/left-pad-1.0.0.tgz"
        ]
    async with wharf() as http:
        assert await tarball_urls(http, "left-pad", **forwarded) == [
            "http://wharf.internal:8080/npm/left-pad/-/left-pad-1.0.0.tgz"
        ]
