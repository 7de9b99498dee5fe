"""npm on the real services and SQLite: the proxy checks sha512 before it keeps a tarball,
and a publisher may withdraw only what they uploaded."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from scripted import ScriptedUpstream, count_listing_reads

from wharf.bootstrap import build_services
from wharf.config.loader import load_settings
from wharf.core.errors import ForbiddenError, UpstreamIntegrityError
from wharf.core.models import Acl, Artifact, Index, IndexKind, Origin, Principal
from wharf.services.auditing import LOCAL
from wharf.services.container import Services
from wharf.services.proxying import StreamedFile

UPSTREAM = "http://upstream.test/registry/"
TARBALL = b"tarball bytes " * 500


def packument(integrity_of: bytes) -> bytes:
    digest = base64.b64encode(hashlib.sha512(integrity_of).digest()).decode()
    return json.dumps({
        "name": "left-pad",
        "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {
            "name": "left-pad", "version": "1.0.0",
            "dist": {"tarball": UPSTREAM + "left-pad/-/left-pad-1.0.0.tgz",
                     "integrity": f"sha512-{digest}"},
        }},
        "time": {"1.0.0": "2024-01-01T00:00:00.000Z"},
    }).encode()


@pytest.fixture
def upstream() -> ScriptedUpstream:
    return ScriptedUpstream()


@pytest.fixture
async def services(tmp_path: Path, upstream: ScriptedUpstream) -> AsyncIterator[Services]:
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={}).settings
    built = await build_services(settings, upstream=upstream)
    await built.indexes.create(Index("npm-remote", "npm", IndexKind.PROXY, upstream=UPSTREAM))
    await built.indexes.create(Index("npm-local", "npm", IndexKind.HOSTED,
                                     acl=Acl(upload=("alice", "bob"))))
    yield built
    await built.close()


async def fetch(services: Services, upstream: ScriptedUpstream, integrity_of: bytes) -> bytes:
    upstream.pages[UPSTREAM + "left-pad"] = (200, {}, packument(integrity_of))
    upstream.pages[UPSTREAM + "left-pad/-/left-pad-1.0.0.tgz"] = (200, {}, TARBALL)
    index = await services.indexes.get("npm-remote")
    source = await services.reading.open_file(index, "left-pad", "left-pad-1.0.0.tgz")
    assert isinstance(source, StreamedFile)
    return b"".join([chunk async for chunk in source.chunks])


async def test_a_tarball_matching_its_integrity_is_kept_with_its_digests(
    services: Services, upstream: ScriptedUpstream
) -> None:
    assert await fetch(services, upstream, TARBALL) == TARBALL
    kept = await services.store.get_artifact("npm-remote", "left-pad-1.0.0.tgz")
    assert kept is not None
    assert kept.digests["sha512"] == hashlib.sha512(TARBALL).hexdigest()


async def test_a_tarball_download_decodes_no_packument(
    services: Services, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tarball's entry is found in the stored text of its packument and decoded alone:
    a cold install of 94 packages decoded a packument back for every tarball."""
    index = await services.indexes.get("npm-remote")
    upstream.pages[UPSTREAM + "left-pad"] = (200, {}, packument(TARBALL))
    await services.reading.refresh(index, "left-pad")
    decoded = count_listing_reads(services, monkeypatch)
    texts = count_listing_reads(services, monkeypatch, "get_upstream_text")
    assert await fetch(services, upstream, TARBALL) == TARBALL
    assert decoded == []
    assert texts == ["left-pad"]


async def test_requests_waiting_for_a_fetch_find_what_it_stored(
    services: Services, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_listing_reads(services, monkeypatch)
    index = await services.indexes.get("npm-remote")
    upstream.pages[UPSTREAM + "left-pad"] = (200, {}, packument(TARBALL))
    first, second = await asyncio.gather(
        services.proxy.listing(index, "left-pad"), services.proxy.listing(index, "left-pad"))
    assert first is not None
    assert second is not None
    assert second.document.body == first.document.body
    # Both look before the lock; each looks again inside it, the second finding the first's.
    assert reads == ["left-pad"] * 4
    assert len(upstream.requests) == 1


async def test_a_tarball_failing_its_integrity_is_neither_kept_nor_served_whole(
    services: Services, upstream: ScriptedUpstream
) -> None:
    with pytest.raises(UpstreamIntegrityError, match="sha512"):
        await fetch(services, upstream, b"other bytes")
    assert await services.store.get_artifact("npm-remote", "left-pad-1.0.0.tgz") is None
    assert not await services.blobs.exists(hashlib.sha256(TARBALL).hexdigest())


async def publish(services: Services, version: str, uploader: str) -> None:
    artifact = Artifact(
        index="npm-local", project="tool", version=version, filename=f"tool-{version}.tgz",
        sha256=hashlib.sha256(version.encode()).hexdigest(), size=1,
        uploaded_at=services.clock.now(), kind="tarball", origin=Origin.UPLOADED,
        uploader=uploader,
    )
    await services.store.add_artifact(
        artifact, display_name="tool", release_metadata={"version": version},
        tags={"latest": version},
    )


async def test_publishers_withdraw_only_their_own_releases(services: Services) -> None:
    await services.accounts.add_user("alice", "alice password 1")
    await services.accounts.add_user("bob", "bob password 12")
    await publish(services, "1.0.0", "alice")
    await publish(services, "1.1.0", "bob")
    index = await services.indexes.get("npm-local")
    alice, bob = Principal("alice"), Principal("bob")

    with pytest.raises(ForbiddenError, match="alice"):
        await services.revisions.withdraw(index, "tool", ["1.0.0"], bob, LOCAL)
    with pytest.raises(ForbiddenError, match="bob"):
        await services.revisions.withdraw(index, "tool", None, alice, LOCAL)
    removed = await services.revisions.withdraw(index, "tool", ["1.0.0"], alice, LOCAL)
    assert [a.filename for a in removed] == ["tool-1.0.0.tgz"]
    # An administrator may withdraw anyone's.
    admin = replace(alice, is_admin=True)
    await services.revisions.withdraw(index, "tool", None, admin, LOCAL)
    assert await services.store.get_project("npm-local", "tool") is None
    events = await services.store.list_audit_events(action="release.withdraw")
    assert len(events) == 2
