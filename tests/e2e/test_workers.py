"""Several worker processes on one data directory: a change made through one request is
seen by every later request, whichever worker answers it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from . import clients
from .packages import Dist
from .servers import ADMIN, WharfServer

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


def test_workers_run_on_uvloop(plain: WharfServer) -> None:
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs Linux /proc")
    # The requests above may not have reached every worker; one does now.
    assert fresh_connection_get(plain.url + "/-/health").status_code == 200
    workers = [pid for pid in plain.group_pids() if pid != plain.process.pid]  # type: ignore[union-attr]
    assert workers, "expected worker processes"
    for pid in workers:
        mapped = Path(f"/proc/{pid}/maps").read_text()
        assert "/uvloop/loop." in mapped, f"worker {pid} has not loaded uvloop"
