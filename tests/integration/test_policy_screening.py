"""The policy at its four moments on the real services and SQLite, with a scripted npm
upstream and an injected clock: listings hide what is refused and move ``latest``;
downloads of hidden versions are refused with the rule (a lockfile install never reads the
listing); the page comes back when the cooldown ends; a waiver lets a version through;
upstream names are judged before the first fetch; uploads are judged before storing."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scripted import Clock, ScriptedUpstream

from wharf.bootstrap import build_services
from wharf.config.loader import load_settings
from wharf.core.errors import PolicyDeniedError, QuarantinedError
from wharf.core.models import Index, IndexKind, Principal
from wharf.services.auditing import LOCAL
from wharf.services.container import Services
from wharf.services.publishing import Upload

UPSTREAM = "http://upstream.test/registry/"
START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ADMIN = Principal(user="admin", is_admin=True)


def tarball(version: str) -> bytes:
    return f"cooldemo {version} ".encode() * 100


def packument(times: dict[str, datetime], latest: str) -> bytes:
    versions = {}
    for version in times:
        digest = base64.b64encode(hashlib.sha512(tarball(version)).digest()).decode()
        versions[version] = {
            "name": "cooldemo", "version": version, "license": "MIT",
            "dist": {"tarball": f"{UPSTREAM}cooldemo/-/cooldemo-{version}.tgz",
                     "integrity": f"sha512-{digest}"},
        }
    return json.dumps({
        "name": "cooldemo", "dist-tags": {"latest": latest}, "versions": versions,
        "time": {v: t.isoformat().replace("+00:00", "Z") for v, t in times.items()},
    }).encode()


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def upstream() -> ScriptedUpstream:
    scripted = ScriptedUpstream()
    times = {"1.0.0": START - timedelta(days=30), "1.1.0": START - timedelta(hours=2)}
    scripted.pages[UPSTREAM + "cooldemo"] = (200, {}, packument(times, "1.1.0"))
    for version in times:
        scripted.pages[f"{UPSTREAM}cooldemo/-/cooldemo-{version}.tgz"] = (
            200, {"content-length": str(len(tarball(version)))}, tarball(version))
    return scripted


async def open_services(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock, **overrides: Any
) -> Services:
    settings = load_settings(overrides={"data_dir": str(tmp_path), **overrides},
                             environ={}).settings
    built = await build_services(settings, upstream=upstream, clock=clock)
    await built.indexes.create(Index("npm-remote", "npm", IndexKind.PROXY, upstream=UPSTREAM))
    await built.indexes.create(Index("npm-local", "npm", IndexKind.HOSTED))
    await built.indexes.create(Index("npm", "npm", IndexKind.GROUP,
                                     members=("npm-local", "npm-remote")))
    return built


@pytest.fixture
async def services(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock
) -> AsyncIterator[Services]:
    built = await open_services(tmp_path, upstream, clock)
    yield built
    await built.close()


async def group(services: Services) -> Index:
    return await services.indexes.get("npm")


async def download(services: Services, version: str) -> object:
    return await services.reading.download(
        await group(services), "cooldemo", f"cooldemo-{version}.tgz", Principal())


async def test_a_fresh_version_is_hidden_and_latest_moves_back(services: Services) -> None:
    view = await services.reading.page(await group(services), "cooldemo")
    assert view.page.versions == ("1.0.0",)
    assert [f.filename for f in view.page.files] == ["cooldemo-1.0.0.tgz"]
    assert view.page.tags["latest"] == "1.0.0"
    unscreened = await services.reading.page(await group(services), "cooldemo",
                                             screened=False)
    assert unscreened.page.tags["latest"] == "1.1.0"
    # The screening expires when 1.1.0 comes of age (the page, sooner: upstream freshness).
    screening = await services.policy.screen(await group(services), unscreened.page)
    assert screening.expires_at == START - timedelta(hours=2) + timedelta(days=1)
    assert screening.hidden["1.1.0"].rule == "cooldown"


async def test_a_download_of_the_hidden_version_is_refused_with_the_rule(
    services: Services,
) -> None:
    # No page was read first: a lockfile install goes straight for the tarball.
    with pytest.raises(QuarantinedError) as caught:
        await download(services, "1.1.0")
    error = caught.value
    assert error.rule == "cooldown"
    assert error.until == START - timedelta(hours=2) + timedelta(days=1)
    assert "cooldemo 1.1.0" in error.message
    assert "wharf policy allow npm" in error.hint
    assert await download(services, "1.0.0") is not None
    denials = await services.audit.query(action="policy.deny")
    assert [(e.filename, e.detail["rule"]) for e in denials] == [
        ("cooldemo-1.1.0.tgz", "cooldown")]
    pulled = await services.audit.query(action="artifact.download")
    assert [(e.project, e.version) for e in pulled] == [("cooldemo", "1.0.0")]


async def test_the_version_appears_when_the_cooldown_ends(
    services: Services, clock: Clock
) -> None:
    await services.reading.page(await group(services), "cooldemo")
    clock.advance(timedelta(hours=22).total_seconds() - 1)
    with pytest.raises(QuarantinedError):
        await download(services, "1.1.0")
    clock.advance(1)
    view = await services.reading.page(await group(services), "cooldemo")
    assert view.page.tags["latest"] == "1.1.0"
    assert await download(services, "1.1.0") is not None


async def test_a_waiver_lets_one_version_through_until_it_expires(
    services: Services, clock: Clock
) -> None:
    with pytest.raises(QuarantinedError):
        await download(services, "1.1.0")
    waiver = await services.waivers.allow(
        ADMIN, "npm", "cooldemo", "1.1.0", rules=("cooldown",),
        expires_at=START + timedelta(hours=1), reason="hotfix")
    assert await download(services, "1.1.0") is not None
    view = await services.reading.page(await group(services), "cooldemo")
    assert "1.1.0" in view.page.versions
    clock.advance(3600)
    with pytest.raises(QuarantinedError):
        await download(services, "1.1.0")
    assert waiver.id is not None
    await services.waivers.revoke(ADMIN, waiver.id)
    actions = [e.action for e in await services.audit.query(action="policy.waiver")]
    assert actions == ["policy.waiver.remove", "policy.waiver.add"]


async def test_warn_mode_serves_and_audits(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock
) -> None:
    services = await open_services(tmp_path, upstream, clock,
                                   **{"policy.cooldown.mode": "warn"})
    try:
        view = await services.reading.page(await group(services), "cooldemo")
        assert view.page.tags["latest"] == "1.1.0"
        assert await download(services, "1.1.0") is not None
        warned = await services.audit.query(action="policy.warn")
        assert warned
        assert all(e.project == "cooldemo" for e in warned)
    finally:
        await services.close()


async def test_deny_entries_and_size_limits_apply_to_listings_and_downloads(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock
) -> None:
    rules = ({"action": "deny", "packages": ("cooldemo",), "versions": "<1.0.1",
              "reason": "known bad"},)
    services = await open_services(tmp_path, upstream, clock, **{
        "policy.cooldown.mode": "off", "policy.rules": rules})
    try:
        view = await services.reading.page(await group(services), "cooldemo")
        assert view.page.versions == ("1.1.0",)
        with pytest.raises(PolicyDeniedError, match="known bad"):
            await download(services, "1.0.0")
    finally:
        await services.close()


async def test_an_upstream_lookalike_is_refused_before_upstream_is_asked(
    services: Services, upstream: ScriptedUpstream
) -> None:
    with pytest.raises(PolicyDeniedError, match="'lodash'") as caught:
        await services.reading.page(await group(services), "loadsh")
    assert caught.value.rule == "typosquat"
    assert not any("loadsh" in url for url, _ in upstream.requests)


async def test_a_publish_is_judged_before_anything_is_stored(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock
) -> None:
    rules = ({"action": "deny", "packages": ("forbidden-*",), "reason": "reserved"},)
    services = await open_services(tmp_path, upstream, clock, **{"policy.rules": rules})
    try:
        path = tmp_path / "forbidden-pkg-1.0.0.tgz"
        path.write_bytes(b"x" * 10)
        upload = Upload(path=path, filename="forbidden-pkg-1.0.0.tgz",
                        display_name="forbidden-pkg", version="1.0.0", kind="tarball",
                        sha256=hashlib.sha256(b"x" * 10).hexdigest(), size=10)
        with pytest.raises(PolicyDeniedError, match="reserved"):
            await services.publishing.publish("npm-local", upload, ADMIN, LOCAL)
        assert await services.store.get_project("npm-local", "forbidden-pkg") is None
    finally:
        await services.close()


async def test_asking_for_a_held_back_version_by_number_says_why(services: Services) -> None:
    with pytest.raises(QuarantinedError, match=r"cooldemo 1\.1\.0"):
        await services.reading.explain_hidden(await group(services), "cooldemo", "1.1.0")
    await services.reading.explain_hidden(await group(services), "cooldemo", "1.0.0")
    await services.reading.explain_hidden(await group(services), "cooldemo", "9.9.9")


async def test_a_name_with_nothing_listable_is_refused_with_the_reason(
    services: Services, upstream: ScriptedUpstream
) -> None:
    times = {"0.1.0": START - timedelta(minutes=5)}
    body = packument(times, "0.1.0").replace(b"cooldemo", b"brandnew")
    upstream.pages[UPSTREAM + "brandnew"] = (200, {}, body)
    with pytest.raises(QuarantinedError, match=r"brandnew 0\.1\.0") as caught:
        await services.reading.page(await group(services), "brandnew")
    assert caught.value.rule == "cooldown"
    with pytest.raises(QuarantinedError):  # the tarball too, straight from a lockfile
        await services.reading.download(await group(services), "brandnew",
                                        "brandnew-0.1.0.tgz", Principal())


async def test_size_and_licence_rules_hide_and_refuse(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock
) -> None:
    services = await open_services(tmp_path, upstream, clock, **{
        "policy.cooldown.mode": "off", "policy.licences.deny": ("MIT",)})
    try:
        with pytest.raises(PolicyDeniedError, match="licensed MIT") as caught:
            await services.reading.page(await group(services), "cooldemo")
        assert caught.value.rule == "licence"
    finally:
        await services.close()
    sized = tmp_path / "sized"
    services = await open_services(sized, upstream, clock, **{
        "policy.cooldown.mode": "off", "policy.size.max_bytes": len(tarball("1.0.0")) - 1})
    try:
        with pytest.raises(PolicyDeniedError, match="over the limit") as caught:
            await download(services, "1.0.0")
        assert caught.value.rule == "size"
    finally:
        await services.close()
