"""A Wharf (W) whose pypi-remote proxies a second, local Wharf (U): installs through W's
group, dependency-confusion protection, and installs while U is down."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from . import clients
from .packages import Dist
from .servers import ADMIN, DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e
OFFLINE_CLIENT_TIMEOUT = 90  # seconds a client may take against a dead upstream: no hangs


@dataclass(frozen=True)
class Pair:
    upstream: WharfServer  # U: hosts the "public" packages in its pypi-local
    proxy: WharfServer  # W: pypi-remote proxies U; pypi-local hosts the private package


@pytest.fixture(scope="module")
def pair(start_server: StartServer, dead_upstream: DeadEndpoint, dists: dict[str, Dist]) -> Pair:
    upstream = start_server("upstream", upstream=dead_upstream.simple_url)
    upstream.add_user(*ADMIN, admin=True)
    for key in ("lib-1.0", "app-1.0", "private-99.0", "acme-1.0"):
        result = clients.twine_upload(upstream.index_url("pypi-local"), dists[key].files, *ADMIN)
        assert result.ok, str(result)
    # Freshness 0: every page is revalidated, so an unreachable upstream shows as stale.
    proxy = start_server(
        "proxy", upstream=upstream.index_simple_url("pypi-local"), WHARF_PROXY_FRESHNESS="0"
    )
    proxy.add_user(*ADMIN, admin=True)
    result = clients.twine_upload(proxy.index_url("pypi"), dists["private-1.0"].files, *ADMIN)
    assert result.ok, str(result)
    return Pair(upstream, proxy)


def filenames(index_simple_url: str, project: str) -> set[str]:
    return set(clients.listed_files(index_simple_url, project))


def test_private_name_never_picks_up_the_upstream_lookalike(
    pair: Pair, dists: dict[str, Dist], target: Callable[[str], Path]
) -> None:
    w = pair.proxy
    private = {p.name for p in dists["private-1.0"].files}
    lookalike = {p.name for p in dists["private-99.0"].files}
    project = "wharf-e2e-private"

    # The proxy on its own does see upstream's 99.0 ...
    assert filenames(w.index_simple_url("pypi-remote"), project) == lookalike
    # ... but the group shows only the hosted release.
    for simple in (w.simple_url, w.index_simple_url("pypi")):
        page = clients.simple_json(simple, project)
        assert page.status_code == 200, page.text
        assert {f["filename"] for f in page.json()["files"]} == private
        assert page.json()["versions"] == ["1.0"]
        assert "99.0" not in httpx.get(simple + f"{project}/", timeout=30).text

    for name, install in (("pip", clients.pip_install), ("uv", clients.uv_install)):
        where = target(name)
        result = install(w.simple_url, project, target=where)
        assert result.ok, str(result)
        assert clients.installed_version(where, project) == "1.0", str(result)

    wheel99 = dists["private-99.0"].wheel.name
    group_urls = [f"{w.url}/pypi/files/{project}/{wheel99}", f"{w.url}/files/{project}/{wheel99}"]
    for url in group_urls:
        assert httpx.get(url, timeout=30).status_code == 404, url
    # Once the proxy has fetched and cached the file, the group still refuses it.
    cached = httpx.get(f"{w.url}/pypi-remote/files/{project}/{wheel99}", timeout=30)
    assert cached.status_code == 200
    assert cached.content == dists["private-99.0"].wheel.read_bytes()
    for url in group_urls:
        assert httpx.get(url, timeout=30).status_code == 404, url

    # A group that trusts upstream for this name mixes both.
    w.cli(
        "index",
        "create",
        "pypi-trusting",
        "--kind",
        "group",
        "--member",
        "pypi-local",
        "--member",
        "pypi-remote",
        "--trust-upstream",
        project,
    )
    trusting = w.index_simple_url("pypi-trusting")
    assert filenames(trusting, project) == private | lookalike
    where = target("pip-trusting")
    result = clients.pip_install(trusting, project, target=where)
    assert result.ok, str(result)
    assert clients.installed_version(where, project) == "99.0"
    download = httpx.get(f"{w.url}/pypi-trusting/files/{project}/{wheel99}", timeout=30)
    assert download.status_code == 200


def test_install_through_the_proxy_then_with_the_upstream_down(
    pair: Pair, dists: dict[str, Dist], target: Callable[[str], Path]
) -> None:
    u, w = pair.upstream, pair.proxy
    expected = {"wharf-e2e-app": "1.0", "wharf-e2e-lib": "1.0"}

    def install_everywhere(label: str) -> None:
        for name, install in (("pip", clients.pip_install), ("uv", clients.uv_install)):
            where = target(f"{name}-{label}")
            result = install(
                w.simple_url, "wharf-e2e-app", target=where, timeout=OFFLINE_CLIENT_TIMEOUT
            )
            assert result.ok, str(result)
            for project, version in expected.items():
                assert clients.installed_version(where, project) == version, str(result)
            assert (where / "wharf_e2e_lib" / "__init__.py").is_file()

    assert filenames(u.index_simple_url("pypi-local"), "wharf-e2e-app")
    assert filenames(w.index_simple_url("pypi-local"), "wharf-e2e-app") == set()
    install_everywhere("online")
    fresh = httpx.get(w.simple_url + "wharf-e2e-app/", timeout=30)
    assert fresh.status_code == 200
    assert "x-wharf-stale" not in fresh.headers

    u.stop()
    try:
        install_everywhere("offline")
        for simple in (w.simple_url, w.index_simple_url("pypi-remote")):
            page = httpx.get(simple + "wharf-e2e-app/", timeout=30)
            assert page.status_code == 200, page.text
            assert "x-wharf-stale" in page.headers, (simple, dict(page.headers))
            assert dists["app-1.0"].wheel.name in page.text

        started = time.monotonic()
        never = httpx.get(w.simple_url + "wharf-e2e-never-seen/", timeout=60)
        assert never.status_code in (502, 503, 504), (never.status_code, never.text)
        assert "upstream" in never.text.lower()
        assert time.monotonic() - started < 30

        # pip reports an index page's HTTP error only with -vv; uv always does.
        for result in (
            clients.pip_install(
                w.simple_url,
                "wharf-e2e-never-seen",
                target=target("pip-never"),
                timeout=OFFLINE_CLIENT_TIMEOUT,
                options=("-vv",),
            ),
            clients.uv_install(
                w.simple_url,
                "wharf-e2e-never-seen",
                target=target("uv-never"),
                timeout=OFFLINE_CLIENT_TIMEOUT,
            ),
        ):
            assert not result.ok, str(result)
            assert any(code in result.output for code in ("502", "503", "504")), str(result)
    finally:
        u.start(port=u.port)  # later tests of this module may still need it


def test_unresponsive_upstream_answers_504_within_the_proxy_timeout(pair: Pair) -> None:
    """An upstream that accepts connections but never answers must not hang the client."""
    w = pair.proxy
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blackhole:
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(16)  # the kernel completes handshakes; nobody ever reads or answers
        port = blackhole.getsockname()[1]
        w.cli(
            "index",
            "create",
            "e2e-blackhole",
            "--kind",
            "proxy",
            "--upstream",
            f"http://127.0.0.1:{port}/simple/",
        )
        started = time.monotonic()
        response = httpx.get(w.index_simple_url("e2e-blackhole") + "anything/", timeout=60)
        elapsed = time.monotonic() - started
    assert response.status_code == 504, (response.status_code, response.text)
    assert "upstream" in response.text.lower()
    assert elapsed < 30, elapsed  # WHARF_PROXY_TIMEOUT is 5 s for the servers under test
