"""Several worker processes on one data directory: a change made through one request is
seen by every later request, whichever worker answers it."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from wharf.cli.workers import BACKLOG

from . import clients
from .packages import Dist
from .servers import ADMIN, DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e
REQUESTS = 24


def fresh_connection_get(url: str, **kwargs: object) -> httpx.Response:
    # A new connection per request, so the kernel spreads them over the workers.
    with httpx.Client(timeout=30) as client:
        return client.get(url, **kwargs)  # type: ignore[arg-type]


def test_two_workers_share_one_data_dir(plain: WharfServer, dists: dict[str, Dist]) -> None:
    assert plain.workers == 2
    if Path("/proc/self/stat").exists():
        assert len(plain.group_pids()) >= 3, "expected the main process and two workers"
    dist = dists["workers-1.0"]
    project_page = plain.index_simple_url("pypi-local") + f"{dist.name}/"
    root_page = plain.index_simple_url("pypi-local")

    # Warm every worker's page caches with the "before" state.
    for _ in range(REQUESTS):
        assert fresh_connection_get(project_page).status_code == 404
        assert dist.name not in fresh_connection_get(root_page).text

    result = clients.twine_upload(plain.index_url("pypi-local"), dist.files, *ADMIN)
    assert result.ok, str(result)

    expected = {p.name for p in dist.files}
    for i in range(REQUESTS):
        page = fresh_connection_get(project_page, headers={"Accept": clients.SIMPLE_JSON})
        assert page.status_code == 200, (i, page.status_code, page.text)
        assert {f["filename"] for f in page.json()["files"]} == expected, i
        html = fresh_connection_get(project_page)
        assert all(name in html.text for name in expected), (i, html.text)
        assert dist.name in fresh_connection_get(root_page).text, i
        api = fresh_connection_get(f"{plain.url}/pypi/pypi/{dist.name}/json")
        assert api.status_code == 200, (i, api.text)
        assert api.json()["info"]["version"] == "1.0"


@pytest.fixture(scope="module")
def single(start_server: StartServer, dead_upstream: DeadEndpoint) -> WharfServer:
    return start_server("single", upstream=dead_upstream.simple_url, workers=1)


def test_one_worker_is_one_process(single: WharfServer) -> None:
    """No supervisor beside a single worker: the process ``wharf serve`` became serves."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs Linux /proc")
    assert fresh_connection_get(single.url + "/-/health").status_code == 200
    assert single.process is not None
    assert single.group_pids() == [single.process.pid]


def test_a_single_process_stops_on_sigterm(
    start_server: StartServer, dead_upstream: DeadEndpoint
) -> None:
    server = start_server("sigterm", upstream=dead_upstream.simple_url, workers=1)
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=15) == 0


@pytest.mark.parametrize("which", ["plain", "single"])
def test_workers_run_on_uvloop(which: str, request: pytest.FixtureRequest) -> None:
    server: WharfServer = request.getfixturevalue(which)
    if not Path("/proc/self/maps").exists():
        pytest.skip("needs Linux /proc")
    # The requests above may not have reached every worker; one does now.
    assert fresh_connection_get(server.url + "/-/health").status_code == 200
    assert server.process is not None
    pids = server.group_pids()
    serving = [pid for pid in pids if pid != server.process.pid] or pids
    for pid in serving:
        mapped = Path(f"/proc/{pid}/maps").read_text()
        assert "/uvloop/loop." in mapped, f"process {pid} has not loaded uvloop"


@pytest.mark.parametrize("which", ["plain", "single"])
def test_the_listening_socket_queues_a_burst_of_connections(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Many clients connecting at once (16 uv installs, dozens of connections each) are
    queued by the kernel until the server accepts them, not dropped to be retried seconds
    later: the listening socket's queue holds ``BACKLOG``, whether one process serves or a
    supervisor's workers do (the embedded server's own default is 128)."""
    if shutil.which("ss") is None:
        pytest.skip("needs ss (iproute2) to read the listening socket's queue")
    server: WharfServer = request.getfixturevalue(which)
    port = urlsplit(server.url).port
    listed = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                            text=True, check=True).stdout.split()
    # State, Recv-Q, Send-Q (for a listening socket: the most connections it queues), …
    assert listed[0] == "LISTEN", listed
    assert int(listed[2]) >= BACKLOG
