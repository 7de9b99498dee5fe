"""The policy engine (issue 4) in front of npm, pnpm and yarn classic: a Wharf whose
npm-remote proxies a static upstream with chosen publish times (the packument's ``time``
map), with the default cooldown of one day, the typosquat guard, and enforced
vulnerability data.

- a fresh version is left out of the packument and ``latest`` moves back to the newest
  allowed version, so ``npm install`` gets the older one;
- a lockfile install of it asks for the tarball directly: refused with 403, npm printing
  the reason and the ``wharf policy allow`` command (pnpm and yarn show the status only);
- a waiver lets it through until revoked;
- a lookalike of a popular name is refused before upstream is asked for it;
- a vulnerable version is refused while its fix, an hour old, skips the cooldown;
- every download is in the audit trail with the client that made it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from . import npm_clients
from .clients import Run
from .js_tools import JsTools, Pnpm, ToolsUnavailable, YarnClassic, ensure_tools
from .npm_clients import NpmUser, installed, write_project
from .policy_cli import held_until, poll_cli, waive
from .servers import StartServer, WharfServer
from .static_upstream import StaticIndex, ago, osv_record, sri_sha512, write_osv_zip

pytestmark = pytest.mark.e2e

ADVISORY = "GHSA-wh4r-npm0-f1x0"
ABBREVIATED = "application/vnd.npm.install-v1+json"


@dataclass(frozen=True)
class NpmPoliced:
    server: WharfServer
    static: StaticIndex
    tarballs: dict[str, bytes]  # "cooldemo@2.0.0" -> the tarball the static upstream serves
    published: dict[str, datetime]  # the same keys -> its time upstream
    tmp: Path

    @property
    def registry(self) -> str:
        """The npm group: ``/npm/``."""
        return f"{self.server.url}/npm/"

    def tarball_url(self, spec: str) -> str:
        name, version = spec.rsplit("@", 1)
        return f"{self.registry}{name}/-/{name}-{version}.tgz"

    def user(self, label: str) -> NpmUser:
        """An npm identity with an empty cache of its own."""
        return npm_clients.new_user(self.tmp / f"{label}-home", self.registry)


@pytest.fixture(scope="module")
def npm_policed(
    start_server: StartServer, start_static: Callable[[str], StaticIndex],
    tmp_path_factory: pytest.TempPathFactory,
) -> NpmPoliced:
    tmp = tmp_path_factory.mktemp("policy-npm")
    static = start_static("policy-npm-upstream")
    releases = {
        "cooldemo@1.0.0": ago(days=30),
        "cooldemo@2.0.0": ago(hours=1),  # upstream's latest
        "loadsh@1.0.0": ago(days=30),
        "fixdemo@1.0.0": ago(days=60),
        "fixdemo@1.1.0": ago(hours=1),
    }
    tarballs = {}
    for spec, published in releases.items():
        name, version = spec.rsplit("@", 1)
        tarballs[spec] = static.add_npm(name, version, published)
    server = start_server(
        "policy-npm", upstream=static.simple_url, npm_upstream=static.npm_url,
        WHARF_POLICY_COOLDOWN_MODE="enforce", WHARF_POLICY_VULNERABILITIES_MODE="enforce",
    )
    dump = write_osv_zip(tmp / "advisories.zip", [
        osv_record(ADVISORY, "npm", "fixdemo", fixed="1.1.0", kind="SEMVER"),
    ])
    imported = server.cli("vuln", "import", str(dump))
    assert "stored: npm 1" in imported.stdout, imported
    return NpmPoliced(server, static, tarballs, releases, tmp)


@pytest.fixture(scope="module")
def cooldemo_install(npm_policed: NpmPoliced) -> tuple[Run, Path]:
    """``npm install cooldemo`` in an empty project, once: the listing test checks what it
    installed, the audit test that it was recorded."""
    project = write_project(npm_policed.tmp / "cooldemo-app", {})
    return npm_policed.user("cooldemo").run("install", "cooldemo", cwd=project), project


@pytest.fixture(scope="module")
def js_tools() -> JsTools:
    try:
        return ensure_tools()
    except ToolsUnavailable as error:
        pytest.skip(f"pnpm/yarn could not be installed with the machine's npm: {error}")


def write_lock(project: Path, name: str, version: str, resolved: str, tarball: bytes) -> None:
    """A package-lock.json (v3) pinning ``name`` at ``version`` from ``resolved``, as npm
    writes one after installing it."""
    root = {"name": project.name, "version": "1.0.0", "dependencies": {name: version}}
    lock = {
        "name": project.name,
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": root,
            f"node_modules/{name}": {"version": version, "resolved": resolved,
                                     "integrity": sri_sha512(tarball), "license": "MIT"},
        },
    }
    (project / "package.json").write_text(json.dumps({**root, "private": True}, indent=2))
    (project / "package-lock.json").write_text(json.dumps(lock, indent=2))


def packument(
    npm_policed: NpmPoliced, name: str, accept: str = "application/json"
) -> dict[str, Any]:
    """The group's packument of ``name`` (full, or abbreviated as npm install asks)."""
    response = httpx.get(f"{npm_policed.registry}{name}", headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_cooldown_hides_the_fresh_version_and_moves_latest(
    npm_policed: NpmPoliced, cooldemo_install: tuple[Run, Path]
) -> None:
    for accept in ("application/json", ABBREVIATED):
        document = packument(npm_policed, "cooldemo", accept)
        assert set(document["versions"]) == {"1.0.0"}, document
        assert document["dist-tags"] == {"latest": "1.0.0"}, document
    assert "2.0.0" not in packument(npm_policed, "cooldemo")["time"]

    result, project = cooldemo_install
    assert result.ok, str(result)
    assert (installed(project, "cooldemo") or {}).get("version") == "1.0.0", str(result)
    view = npm_policed.user("view").run("view", "cooldemo", "dist-tags.latest")
    assert view.ok, str(view)
    assert view.output.strip() == "1.0.0", str(view)


def test_npm_ci_of_a_locked_held_version_is_refused_with_the_reason(
    npm_policed: NpmPoliced,
) -> None:
    url = npm_policed.tarball_url("cooldemo@2.0.0")
    project = npm_policed.tmp / "locked-app"
    project.mkdir()
    write_lock(project, "cooldemo", "2.0.0", url, npm_policed.tarballs["cooldemo@2.0.0"])
    result = npm_policed.user("locked").run("ci", cwd=project)
    assert not result.ok, str(result)
    # npm prints the body of the refusal after the status line.
    assert f"403 Forbidden - GET {url} - Refused by policy rule 'cooldown'" in result.output, (
        str(result))
    until = held_until(npm_policed.published["cooldemo@2.0.0"])
    assert f"held back until {until}" in result.output, str(result)
    assert "wharf policy allow npm 'cooldemo@2.0.0' --rule cooldown" in result.output, (
        str(result))
    assert installed(project, "cooldemo") is None


@pytest.mark.parametrize("client_type", [Pnpm, YarnClassic], ids=["pnpm", "yarn-classic"])
def test_a_lockfile_written_under_a_waiver_is_refused_once_it_is_revoked(
    npm_policed: NpmPoliced, js_tools: JsTools, client_type: type[Pnpm | YarnClassic],
) -> None:
    server, registry = npm_policed.server, npm_policed.registry
    project = write_project(npm_policed.tmp / f"{client_type.name}-app", {"cooldemo": "2.0.0"})
    waiver = waive(server, "npm", "cooldemo@2.0.0", "cooldown")
    try:
        first = client_type(js_tools, npm_policed.tmp / f"{client_type.name}-first", registry)
        result = first.install(project)
        assert result.ok, str(result)
        assert (installed(project, "cooldemo") or {}).get("version") == "2.0.0", str(result)
        lockfile = (project / client_type.lockfile).read_text()
        assert sri_sha512(npm_policed.tarballs["cooldemo@2.0.0"]) in lockfile, lockfile
    finally:
        server.cli("policy", "revoke", waiver)

    shutil.rmtree(project / "node_modules")
    fresh = client_type(js_tools, npm_policed.tmp / f"{client_type.name}-fresh", registry)
    result = fresh.install(project, frozen=True)
    assert not result.ok, str(result)
    url = npm_policed.tarball_url("cooldemo@2.0.0")
    # Neither client shows the body of the refusal: only the status and the URL.
    if client_type is Pnpm:
        assert "ERR_PNPM_FETCH_403" in result.output, str(result)
        assert f"GET {url}: Forbidden - 403" in result.output, str(result)
    else:
        assert f'{url}: Request failed "403 Forbidden"' in result.output, str(result)
    assert installed(project, "cooldemo") is None


def test_a_waiver_lets_npm_install_the_held_version_until_revoked(
    npm_policed: NpmPoliced,
) -> None:
    server = npm_policed.server
    waiver = waive(server, "npm", "cooldemo@2.0.0", "cooldown")
    try:
        assert "cooldemo 2.0.0  cooldown" in server.cli("policy", "waivers").stdout
        project = write_project(npm_policed.tmp / "waived-app", {})
        result = npm_policed.user("waived").run("install", "cooldemo@2.0.0", cwd=project)
        assert result.ok, str(result)
        assert (installed(project, "cooldemo") or {}).get("version") == "2.0.0", str(result)
    finally:
        server.cli("policy", "revoke", waiver)
    assert set(packument(npm_policed, "cooldemo")["versions"]) == {"1.0.0"}
    response = httpx.get(npm_policed.tarball_url("cooldemo@2.0.0"), timeout=30)
    assert response.status_code == 403, response.text


def test_a_lookalike_of_a_popular_name_is_refused(npm_policed: NpmPoliced) -> None:
    project = write_project(npm_policed.tmp / "squat-app", {})
    result = npm_policed.user("squat").run("install", "loadsh", cwd=project)
    assert not result.ok, str(result)
    assert f"403 Forbidden - GET {npm_policed.registry}loadsh" in result.output, str(result)
    assert "Refused by policy rule 'typosquat'" in result.output, str(result)
    assert "looks like the popular 'lodash'" in result.output, str(result)
    # Refused at ingest: the upstream was never asked for the name.
    assert npm_policed.static.asked_for("loadsh") == []
    assert installed(project, "loadsh") is None


def test_a_vulnerable_version_is_refused_and_its_fix_skips_the_cooldown(
    npm_policed: NpmPoliced,
) -> None:
    project = write_project(npm_policed.tmp / "vuln-app", {})
    user = npm_policed.user("vuln")
    pinned = user.run("install", "fixdemo@1.0.0", cwd=project)
    assert not pinned.ok, str(pinned)
    # The packument leaves 1.0.0 out: npm finds no such version.
    assert "ETARGET" in pinned.output, str(pinned)
    assert "No matching version found for fixdemo@1.0.0" in pinned.output, str(pinned)

    # A lockfile that pins it gets the reason.
    url = npm_policed.tarball_url("fixdemo@1.0.0")
    locked = npm_policed.tmp / "vuln-locked"
    locked.mkdir()
    write_lock(locked, "fixdemo", "1.0.0", url, npm_policed.tarballs["fixdemo@1.0.0"])
    result = npm_policed.user("vuln-locked").run("ci", cwd=locked)
    assert not result.ok, str(result)
    assert f"403 Forbidden - GET {url} - Refused by policy rule 'vulnerability'" in (
        result.output), str(result)
    assert ADVISORY in result.output, str(result)
    assert "fixed in 1.1.0" in result.output, str(result)

    # 1.1.0 is an hour old, inside the one-day cooldown, yet served: it delivers the fix.
    assert npm_policed.published["fixdemo@1.1.0"] > ago(days=1)
    assert packument(npm_policed, "fixdemo")["dist-tags"] == {"latest": "1.1.0"}
    fixed = user.run("install", "fixdemo", cwd=project)
    assert fixed.ok, str(fixed)
    assert (installed(project, "fixdemo") or {}).get("version") == "1.1.0", str(fixed)


def test_the_audit_trail_names_who_downloaded_a_version(
    npm_policed: NpmPoliced, cooldemo_install: tuple[Run, Path]
) -> None:
    result, _ = cooldemo_install
    assert result.ok, str(result)

    def by_npm(output: str) -> bool:
        return any("cooldemo-1.0.0.tgz" in line and " npm/" in line
                   for line in output.splitlines())

    listed = poll_cli(npm_policed.server, "audit", "downloads", "cooldemo@1.0.0", until=by_npm)
    assert by_npm(listed), listed
    assert "artifact.download" in listed, listed
