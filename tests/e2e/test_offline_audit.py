"""Audits answered offline from imported OSV data, with the real clients: ``npm audit``,
``pnpm audit`` and ``uv audit --service-url`` against a Wharf whose upstreams are dead.

The test publishes an npm package to the hosted npm index and uploads a Python package to
``pypi-local``, writes a small OSV dump (the shape OSV publishes: one JSON file per record)
with one advisory for each, and imports it with ``wharf vuln import``. Every client must
then report the advisory and exit non-zero, with nothing reaching any upstream.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from . import clients, npm_clients
from .js_tools import JsTools, Pnpm, ToolsUnavailable, ensure_tools
from .npm_clients import NpmUser, installed, write_package, write_project
from .packages import Dist
from .servers import ADMIN, BIN, DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e

NPM_NAME = "wharf-e2e-audited"
NPM_ADVISORY = "GHSA-wh4r-f0ff-11ne"
PY_ADVISORY = "PYSEC-2026-4242"
MALWARE = "MAL-2026-4243"
PY_NAME = "wharf-e2e-lib"  # uploaded at 1.0 (from the session's built packages)
MODIFIED = "2026-01-15T08:00:00Z"


def osv_record(
    id: str, ecosystem: str, name: str, fixed: str | None, **extra: Any
) -> dict[str, Any]:
    events: list[dict[str, str]] = [{"introduced": "0"}]
    if fixed:
        events.append({"fixed": fixed})
    return {
        "schema_version": "1.6.0", "id": id, "modified": MODIFIED, "published": MODIFIED,
        "summary": f"Remote code execution in {name}", "details": f"Details of {id}.",
        "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
        "references": [{"type": "ADVISORY", "url": f"http://advisories.invalid/{id}"}],
        **extra,
    }


RECORDS = [
    osv_record(NPM_ADVISORY, "npm", NPM_NAME, "1.1.0",
               database_specific={"severity": "HIGH", "cwe_ids": ["CWE-94"]},
               aliases=["CVE-2026-4242"]),
    osv_record(PY_ADVISORY, "PyPI", PY_NAME, "2.0",
               severity=[{"type": "CVSS_V3",
                          "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]),
    osv_record(MALWARE, "npm", "wharf-e2e-never-installed", None),
    osv_record("GO-2026-1", "Go", "example.invalid/module", "1.0.0"),
]


@dataclass(frozen=True)
class Setup:
    server: WharfServer
    token: str
    npm: NpmUser
    project: Path  # npm project with NPM_NAME 1.0.0 installed
    tmp: Path

    @property
    def registry(self) -> str:
        return f"{self.server.url}/npm/"


@pytest.fixture(scope="module")
def setup(
    start_server: StartServer,
    dead_upstream: DeadEndpoint,
    dists: dict[str, Dist],
    tmp_path_factory: pytest.TempPathFactory,
) -> Setup:
    tmp = tmp_path_factory.mktemp("offline-audit")
    server = start_server("offline-audit", upstream=dead_upstream.simple_url)
    server.add_user(*ADMIN, admin=True)
    _, token = server.create_token(ADMIN[0])
    npm = npm_clients.new_user(tmp / "npm-home", f"{server.url}/npm/")
    npm.set_token(token)
    for version in ("1.0.0", "1.1.0"):
        published = npm.run("publish", cwd=write_package(tmp / "src", NPM_NAME, version))
        assert published.ok, str(published)
    uploaded = clients.twine_upload(server.index_url("pypi-local"), dists["lib-1.0"].files,
                                    *ADMIN)
    assert uploaded.ok, str(uploaded)

    dump = tmp / "all.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        for record in RECORDS:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    imported = server.cli("vuln", "import", str(dump))
    assert "4 record(s) read; stored: npm 2, python 1 (1 malware)" in imported.stdout, (
        imported.stdout
    )
    shown = server.cli("vuln", "show", "npm", NPM_NAME, "1.0.0")
    assert f" * {NPM_ADVISORY}  high  Remote code execution" in shown.stdout, shown.stdout

    project = write_project(tmp / "app", {NPM_NAME: "1.0.0"})
    install = npm.run("install", cwd=project)
    assert install.ok, str(install)
    assert (installed(project, NPM_NAME) or {}).get("version") == "1.0.0"
    return Setup(server, token, npm, project, tmp)


def test_npm_audit_reports_the_imported_advisory(setup: Setup) -> None:
    result = setup.npm.run("audit", "--json", "--audit", "--registry", setup.registry,
                           cwd=setup.project)
    assert not result.ok, "npm audit must fail when a high-severity advisory applies"
    report = json.loads(result.output[result.output.index("{"):])
    vulnerability = report["vulnerabilities"][NPM_NAME]
    assert vulnerability["severity"] == "high", result.output
    [via] = vulnerability["via"]
    assert via["source"] == NPM_ADVISORY
    assert via["url"] == f"http://advisories.invalid/{NPM_ADVISORY}"
    assert via["range"] == "<1.1.0"
    assert vulnerability["fixAvailable"], result.output  # 1.1.0 is published here
    assert report["metadata"]["vulnerabilities"]["high"] == 1

    text = setup.npm.run("audit", "--audit", "--registry", setup.registry, cwd=setup.project)
    assert not text.ok
    assert f"Remote code execution in {NPM_NAME} - http://advisories.invalid/" in text.output
    assert "1 high severity vulnerability" in text.output, str(text)


def test_npm_audit_passes_once_upgraded(setup: Setup, tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", {NPM_NAME: "1.1.0"})
    install = setup.npm.run("install", cwd=project)
    assert install.ok, str(install)
    result = setup.npm.run("audit", "--audit", "--registry", setup.registry, cwd=project)
    assert result.ok, str(result)
    assert "found 0 vulnerabilities" in result.output


@pytest.fixture(scope="module")
def js_tools() -> JsTools:
    try:
        return ensure_tools()
    except ToolsUnavailable as error:
        pytest.skip(f"pnpm could not be installed with the machine's npm: {error}")


def test_pnpm_audit_reports_the_imported_advisory(
    setup: Setup, js_tools: JsTools, tmp_path: Path
) -> None:
    pnpm = Pnpm(js_tools, tmp_path / "pnpm-home", setup.registry, setup.token)
    project = write_project(tmp_path / "app", {NPM_NAME: "1.0.0"})
    install = pnpm.install(project)
    assert install.ok, str(install)

    result = pnpm.run("audit", "--json", cwd=project)
    assert result.returncode == 1, str(result)
    report = json.loads(result.output[result.output.index("{"):])
    advisory = report["advisories"][NPM_ADVISORY]
    assert advisory["module_name"] == NPM_NAME
    assert advisory["severity"] == "high"
    assert advisory["vulnerable_versions"] == "<1.1.0"
    assert advisory["patched_versions"] == ">=1.1.0"
    assert advisory["cves"] == ["CVE-2026-4242"]
    assert advisory["findings"][0]["version"] == "1.0.0"
    assert report["metadata"]["vulnerabilities"]["high"] == 1

    text = pnpm.run("audit", cwd=project)
    assert text.returncode == 1, str(text)
    assert f"Remote code execution in {NPM_NAME}" in text.output, str(text)
    assert "1 vulnerabilities found" in text.output, str(text)


def uv_audit_available() -> str | None:
    """Why ``uv audit`` cannot run here, or None."""
    try:
        help_text = subprocess.run(
            [str(BIN / "uv"), "audit", "--help"], capture_output=True, text=True, timeout=30,
            check=False,
        )
    except OSError as error:
        return f"uv is not runnable: {error}"
    if help_text.returncode != 0 or "--service-url" not in help_text.stdout:
        return "the installed uv has no `uv audit --service-url`"
    return None


def write_uv_project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        "[project]\n"
        'name = "wharf-e2e-audited-app"\n'
        'version = "1.0"\n'
        f'requires-python = ">={sys.version_info.major}.{sys.version_info.minor}"\n'
        f'dependencies = ["{PY_NAME}==1.0"]\n'
    )
    return root


def test_uv_audit_reports_the_vulnerability_of_a_locked_package(
    setup: Setup, tmp_path: Path
) -> None:
    missing = uv_audit_available()
    if missing:
        pytest.skip(missing)
    project = write_uv_project(tmp_path / "app")
    common = ["--no-config", "--cache-dir", str(tmp_path / "uv-cache")]
    locked = clients.run(
        [str(BIN / "uv"), "lock", *common, "--python", sys.executable,
         "--default-index", setup.server.simple_url],
        cwd=project,
    )
    assert locked.ok, str(locked)
    assert f'name = "{PY_NAME}"' in (project / "uv.lock").read_text()

    service = f"{setup.server.url}/-/osv/"  # the slash matters: uv joins v1/querybatch to it
    result = clients.run(
        [str(BIN / "uv"), "audit", *common, "--frozen", "--service-url", service],
        cwd=project,
    )
    assert not result.ok, str(result)
    assert PY_ADVISORY in result.output, str(result)
    assert PY_NAME in result.output, str(result)

    as_json = clients.run(
        [str(BIN / "uv"), "audit", *common, "--frozen", "--service-url", service,
         "--output-format", "json"],
        cwd=project,
    )
    assert PY_ADVISORY in as_json.output, str(as_json)
    assert MALWARE not in as_json.output  # another package's record
