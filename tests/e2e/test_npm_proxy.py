"""A Wharf (W) whose npm-remote proxies a second, local Wharf (U), driven by the real npm
client: installs through W's group, a private name never merging upstream's lookalike, and
installs while U is down (only cached versions are offered then)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from . import npm_clients
from .npm_clients import NpmUser, installed, write_package, write_project
from .servers import ADMIN, DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e

PUBLIC = "wharf-e2e-npm-public"
PRIVATE = "@wharf-e2e-corp/private"
WITHDRAWN = "wharf-e2e-npm-withdrawn"


@dataclass(frozen=True)
class NpmPair:
    upstream: WharfServer  # U: its npm-local holds the "public" packages
    proxy: WharfServer  # W: npm-remote proxies U; npm-local holds the private package
    tmp: Path
    publisher: NpmUser  # publishes to U's npm-local


def publisher(server: WharfServer, index: str, home: Path) -> NpmUser:
    user = npm_clients.new_user(home, f"{server.url}/{index}/")
    result = user.login(*ADMIN)
    assert result.ok, str(result)
    return user


@pytest.fixture(scope="module")
def npm_pair(
    start_server: StartServer, dead_upstream: DeadEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> NpmPair:
    tmp = tmp_path_factory.mktemp("npm-pair")
    upstream = start_server("npm-upstream", upstream=dead_upstream.simple_url)
    upstream.add_user(*ADMIN, admin=True)
    up = publisher(upstream, "npm-local", tmp / "up-home")
    published = ((PUBLIC, "1.0.0"), (PUBLIC, "1.1.0"), (PRIVATE, "9.9.9"),
                 (WITHDRAWN, "1.0.0"), (WITHDRAWN, "1.0.1"))
    for name, version in published:
        result = up.run("publish", cwd=write_package(tmp / "up-src", name, version))
        assert result.ok, str(result)
    # Freshness 0: every packument is revalidated, so an unreachable upstream shows as stale.
    proxy = start_server(
        "npm-proxy", upstream=dead_upstream.simple_url,
        npm_upstream=f"{upstream.url}/npm-local/", WHARF_PROXY_FRESHNESS="0",
    )
    proxy.add_user(*ADMIN, admin=True)
    # Through the group, npm itself would object: before the first publish the group shows
    # upstream's higher 9.9.9 (the name is not private yet). The first publish names the
    # hosted index; from then on the name is private and the group hides upstream.
    local = publisher(proxy, "npm-local", tmp / "w-home")
    result = local.run("publish", cwd=write_package(tmp / "w-src", PRIVATE, "1.0.0"))
    assert result.ok, str(result)
    return NpmPair(upstream, proxy, tmp, up)


def test_public_packages_install_through_the_group(npm_pair: NpmPair, tmp_path: Path) -> None:
    user = npm_clients.new_user(tmp_path / "home", f"{npm_pair.proxy.url}/npm/")
    project = write_project(tmp_path / "app", {PUBLIC: "1.0.0"})
    result = user.run("install", cwd=project)
    assert result.ok, str(result)
    assert (installed(project, PUBLIC) or {}).get("version") == "1.0.0"
    document = httpx.get(f"{npm_pair.proxy.url}/npm/{PUBLIC}", timeout=30).json()
    assert set(document["versions"]) == {"1.0.0", "1.1.0"}
    tarball = document["versions"]["1.0.0"]["dist"]["tarball"]
    assert tarball.startswith(f"{npm_pair.proxy.url}/npm/"), tarball


def test_a_private_scope_never_merges_the_upstream_lookalike(
    npm_pair: NpmPair, tmp_path: Path
) -> None:
    w = npm_pair.proxy.url
    remote = httpx.get(f"{w}/npm-remote/@wharf-e2e-corp%2fprivate", timeout=30).json()
    assert set(remote["versions"]) == {"9.9.9"}
    group = httpx.get(f"{w}/npm/@wharf-e2e-corp%2fprivate", timeout=30).json()
    assert set(group["versions"]) == {"1.0.0"}
    assert group["dist-tags"]["latest"] == "1.0.0"
    # Asking for the lookalike's tarball through the group is refused too.
    url = f"{w}/npm/@wharf-e2e-corp/private/-/private-9.9.9.tgz"
    assert httpx.get(url, timeout=30).status_code == 404

    user = npm_clients.new_user(tmp_path / "home", f"{w}/npm/")
    project = write_project(tmp_path / "app", {PRIVATE: "*"})
    result = user.run("install", cwd=project)
    assert result.ok, str(result)
    assert (installed(project, PRIVATE) or {}).get("version") == "1.0.0"


def test_installs_keep_working_with_upstream_down(npm_pair: NpmPair, tmp_path: Path) -> None:
    w = npm_pair.proxy
    first = npm_clients.new_user(tmp_path / "first", f"{w.url}/npm/")
    project = write_project(tmp_path / "warm", {PUBLIC: "1.0.0"})
    assert first.run("install", cwd=project).ok  # caches 1.0.0's tarball, not 1.1.0's

    npm_pair.upstream.stop()
    try:
        document = httpx.get(f"{w.url}/npm/{PUBLIC}", timeout=30)
        assert document.status_code == 200, document.text
        assert document.headers.get("x-wharf-stale"), dict(document.headers)
        # Only what can be installed from the cache is offered.
        assert set(document.json()["versions"]) == {"1.0.0"}

        fresh = npm_clients.new_user(tmp_path / "fresh", f"{w.url}/npm/")
        project = write_project(tmp_path / "offline", {PUBLIC: "^1.0.0"})
        result = fresh.run("install", cwd=project)
        assert result.ok, str(result)
        assert (installed(project, PUBLIC) or {}).get("version") == "1.0.0"
    finally:
        npm_pair.upstream.start(port=npm_pair.upstream.port)


def test_a_version_withdrawn_upstream_stops_installing_until_pinned(
    npm_pair: NpmPair, tmp_path: Path
) -> None:
    w = npm_pair.proxy
    first = npm_clients.new_user(tmp_path / "first", f"{w.url}/npm/")
    project = write_project(tmp_path / "app", {WITHDRAWN: "1.0.0"})
    result = first.run("install", cwd=project)  # writes the lockfile, caches the tarball
    assert result.ok, str(result)

    result = npm_pair.publisher.run("unpublish", f"{WITHDRAWN}@1.0.0", "--force")
    assert result.ok, str(result)
    document = httpx.get(f"{w.url}/npm/{WITHDRAWN}", timeout=30).json()
    assert set(document["versions"]) == {"1.0.1"}

    # A lockfile install with an empty cache asks for the tarball directly: refused, and
    # npm prints why and what to do.
    (project / "node_modules").rename(tmp_path / "old-modules")
    fresh = npm_clients.new_user(tmp_path / "fresh", f"{w.url}/npm/")
    result = fresh.run("ci", cwd=project)
    assert not result.ok, str(result)
    assert "403" in result.output, str(result)
    assert "withdrawn upstream" in result.output, str(result)
    assert "wharf pin npm-remote" in result.output, str(result)

    listed = w.cli("withdrawn", "npm-remote").stdout
    filename = next(line.split()[1] for line in listed.splitlines() if "withdrawn" in line)
    assert "1.0.0" in filename, listed
    assert "not served" in listed, listed
    w.cli("pin", "npm-remote", filename, "--reason", "until the lockfile moves on")
    assert "pinned by" in w.cli("withdrawn").stdout

    result = fresh.run("ci", cwd=project)
    assert result.ok, str(result)
    assert (installed(project, WITHDRAWN) or {}).get("version") == "1.0.0"
