"""Session-wide e2e fixtures: the built packages and one plain server (two workers, an
upstream that refuses every connection) shared by the tests that do not interfere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from . import clients
from .packages import Dist, build_all
from .servers import ADMIN, DeadEndpoint, StartServer, WharfServer
from .static_upstream import StaticIndex


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Dist]:
    return build_all(tmp_path_factory.mktemp("packages"))


@pytest.fixture(scope="session")
def dead_upstream() -> Iterator[DeadEndpoint]:
    endpoint = DeadEndpoint()
    yield endpoint
    endpoint.close()


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """Start a server in a fresh data directory; every one is stopped at the end."""
    started: list[WharfServer] = []

    def start(
        name: str,
        *,
        upstream: str,
        workers: int = 1,
        npm_upstream: str = "http://127.0.0.1:9/",
        **env: str,
    ) -> WharfServer:
        data_dir = tmp_path_factory.mktemp(name) / "data"
        server = WharfServer(
            data_dir, upstream=upstream, workers=workers, name=name, env=env,
            npm_upstream=npm_upstream,
        )
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def plain(start_server: StartServer, dead_upstream: DeadEndpoint) -> WharfServer:
    server = start_server("plain", upstream=dead_upstream.simple_url, workers=2)
    server.add_user(*ADMIN, admin=True)
    return server


@pytest.fixture(scope="session")
def acme_published(plain: WharfServer, dists: dict[str, Dist]) -> list[clients.Run]:
    """acme-widget 1.0 uploaded through the group URL and 2.0 through the hosted index."""
    runs = [
        clients.twine_upload(plain.index_url("pypi"), dists["acme-1.0"].files, *ADMIN),
        clients.twine_upload(plain.index_url("pypi-local"), dists["acme-2.0"].files, *ADMIN),
    ]
    for result in runs:
        assert result.ok, str(result)
    return runs


@pytest.fixture
def target(tmp_path: Path) -> Callable[[str], Path]:
    """Fresh install directories for ``--target``."""

    def make(label: str) -> Path:
        path = tmp_path / f"target-{label}"
        assert not path.exists()
        return path

    return make


@pytest.fixture(scope="session")
def start_static(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], StaticIndex]]:
    """Start a static upstream index (packages with chosen publish times) in a fresh
    directory; every one is closed at the end."""
    started: list[StaticIndex] = []

    def start(name: str) -> StaticIndex:
        index = StaticIndex(tmp_path_factory.mktemp(name)).start()
        started.append(index)
        return index

    yield start
    for index in started:
        index.close()
