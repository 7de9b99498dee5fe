"""PEP 592 yanking through the CLI, seen by the JSON page, pip and uv."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from . import clients
from .packages import Dist
from .servers import WharfServer

pytestmark = pytest.mark.e2e


def yank_state(server: WharfServer, index: str) -> dict[str, object]:
    files = clients.listed_files(server.index_simple_url(index), "acme-widget")
    return {name: entry["yanked"] for name, entry in files.items()}


def test_yank_and_unyank(
    plain: WharfServer,
    dists: dict[str, Dist],
    acme_published: list[clients.Run],
    target: Callable[[str], Path],
) -> None:
    two = {p.name for p in dists["acme-2.0"].files}
    one = {p.name for p in dists["acme-1.0"].files}
    result = plain.cli("release", "yank", "pypi-local", "acme-widget", "2.0", "--reason", "broken")
    try:
        for index in ("pypi-local", "pypi"):
            state = yank_state(plain, index)
            assert {n: state[n] for n in two} == dict.fromkeys(two, "broken"), (index, state)
            assert {n: state[n] for n in one} == dict.fromkeys(one, False), (index, state)
        html = httpx.get(plain.simple_url + "acme-widget/", timeout=30).text
        assert html.count('data-yanked="broken"') == 2, html

        unpinned = target("pip")
        run = clients.pip_install(plain.simple_url, "acme-widget", target=unpinned)
        assert run.ok, str(run)
        assert clients.installed_version(unpinned, "acme-widget") == "1.0"

        uv_unpinned = target("uv")
        run = clients.uv_install(plain.simple_url, "acme-widget", target=uv_unpinned)
        assert run.ok, str(run)
        assert clients.installed_version(uv_unpinned, "acme-widget") == "1.0"

        pinned = target("pip-pinned")
        run = clients.pip_install(plain.simple_url, "acme-widget==2.0", target=pinned)
        assert run.ok, str(run)
        assert clients.installed_version(pinned, "acme-widget") == "2.0"
        assert "yanked" in run.output.lower(), str(run)
        assert "broken" in run.output, str(run)
    finally:
        result = plain.cli("release", "unyank", "pypi-local", "acme-widget", "2.0")
    assert "unyanked" in result.stdout

    for index in ("pypi-local", "pypi"):
        assert set(yank_state(plain, index).values()) == {False}, index
    again = target("pip-again")
    run = clients.pip_install(plain.simple_url, "acme-widget", target=again)
    assert run.ok, str(run)
    assert clients.installed_version(again, "acme-widget") == "2.0"
