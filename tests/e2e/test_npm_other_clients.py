"""Wharf's npm registry driven by the package managers besides npm: pnpm 10, yarn classic
(1.x), yarn berry (4.x) and bun (1.x). Each installs private packages from the group
``/npm/`` with an empty cache, reinstalls frozen from the lockfile it wrote, and publishes
with a Wharf token (npm then installs what it published); plus each client's own registry
commands, and pnpm through a proxy whose upstream goes away."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from . import npm_clients
from .js_tools import CLIENTS, JsClient, JsTools, Pnpm, ToolsUnavailable, YarnBerry, ensure_tools
from .npm_clients import NpmUser, answer_prompts, installed, write_package, write_project
from .servers import ADMIN, DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e

BASE = "wharf-e2e-oc-base"  # 1.0.0, 1.1.0, 2.0.0
WIDGET = "@wharf-e2e-corp/oc-widget"  # 2.0.0 -> base ^1.0.0, 2.1.0 -> base ^1.1.0
PUBLIC = "wharf-e2e-oc-public"  # on the proxy's upstream only
# Ranges and what they must resolve to: the newest matching version, not the newest one.
WANTED = {WIDGET: "^2.0.0", BASE: "^1.0.0"}
EXPECTED = {WIDGET: "2.1.0", BASE: "1.1.0"}


@dataclass(frozen=True)
class Registry:
    server: WharfServer
    token: str  # the administrator's, read and upload everywhere
    npm: NpmUser  # the real npm client with that token

    @property
    def url(self) -> str:
        return f"{self.server.url}/npm/"


@dataclass(frozen=True)
class FirstInstall:
    project: Path
    run: str  # the client's output


@pytest.fixture(scope="session")
def js_tools() -> JsTools:
    try:
        return ensure_tools()
    except ToolsUnavailable as error:
        pytest.skip(f"pnpm/yarn could not be installed with the machine's npm: {error}")


def npm_with_token(server: WharfServer, home: Path, index: str = "npm") -> tuple[NpmUser, str]:
    _, token = server.create_token(ADMIN[0])
    user = npm_clients.new_user(home, f"{server.url}/{index}/")
    user.set_token(token)
    return user, token


def publish_with_npm(
    user: NpmUser, root: Path, name: str, version: str, dependencies: dict[str, str] | None = None
) -> None:
    result = user.run("publish", cwd=write_package(root, name, version, dependencies=dependencies))
    assert result.ok, str(result)


@pytest.fixture(scope="module")
def registry(
    js_tools: JsTools,
    start_server: StartServer,
    dead_upstream: DeadEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Registry:
    """One Wharf with the private packages, published with the real npm client."""
    tmp = tmp_path_factory.mktemp("npm-other-clients")
    server = start_server("npm-other-clients", upstream=dead_upstream.simple_url)
    server.add_user(*ADMIN, admin=True)
    npm, token = npm_with_token(server, tmp / "npm-home")
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        publish_with_npm(npm, tmp / "src", BASE, version)
    publish_with_npm(npm, tmp / "src", WIDGET, "2.0.0", {BASE: "^1.0.0"})
    publish_with_npm(npm, tmp / "src", WIDGET, "2.1.0", {BASE: "^1.1.0"})
    return Registry(server, token, npm)


@pytest.fixture(scope="module", params=sorted(CLIENTS))
def client_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def new_client(
    js_tools: JsTools, registry: Registry, client_name: str, tmp_path: Path
) -> Callable[..., JsClient]:
    """A client of the parametrized kind with a home (and so caches) of its own."""

    def make(label: str, *, token: str | None = None) -> JsClient:
        return CLIENTS[client_name](js_tools, tmp_path / f"{label}-home", registry.url, token)

    return make


def first_json(output: str) -> object:
    """The JSON document a command printed first (warnings may follow it)."""
    start = min((i for i in (output.find("["), output.find("{")) if i >= 0), default=0)
    return json.JSONDecoder().raw_decode(output, start)[0]


def assert_versions(project: Path, expected: dict[str, str], run: object) -> None:
    found = {name: (installed(project, name) or {}).get("version") for name in expected}
    assert found == expected, f"installed {found}, expected {expected}\n{run}"


@pytest.fixture(scope="module")
def first_install(
    js_tools: JsTools,
    registry: Registry,
    client_name: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> FirstInstall:
    tmp = tmp_path_factory.mktemp(f"first-{client_name}")
    client = CLIENTS[client_name](js_tools, tmp / "home", registry.url)
    project = write_project(tmp / "app", WANTED)
    run = client.install(project)
    assert run.ok, str(run)
    return FirstInstall(project, str(run))


def test_install_resolves_the_newest_matching_versions(
    first_install: FirstInstall, registry: Registry, client_name: str
) -> None:
    assert_versions(first_install.project, EXPECTED, first_install.run)
    lockfile = first_install.project / CLIENTS[client_name].lockfile
    assert lockfile.is_file(), first_install.run
    text = lockfile.read_text()
    for name, version in EXPECTED.items():
        assert name in text, text
        assert version in text, text
    # yarn classic records tarball URLs: Wharf's own, below the group.
    resolved = [line for line in text.splitlines() if line.strip().startswith("resolved ")]
    assert resolved or client_name != "yarn-classic", text
    for line in resolved:
        assert f'"{registry.url}' in line, text


def test_frozen_install_from_the_lockfile(
    first_install: FirstInstall,
    client_name: str,
    new_client: Callable[..., JsClient],
    tmp_path: Path,
) -> None:
    client = new_client("frozen")
    project = tmp_path / "frozen-app"
    project.mkdir()
    for name in ("package.json", client.lockfile):
        shutil.copyfile(first_install.project / name, project / name)
    run = client.install(project, frozen=True)
    assert run.ok, str(run)
    assert_versions(project, EXPECTED, run)
    # The lockfile was read, not rewritten.
    assert (project / client.lockfile).read_text() == (
        first_install.project / client.lockfile
    ).read_text()


def test_publish_with_the_client_then_install_with_npm(
    registry: Registry, client_name: str, new_client: Callable[..., JsClient], tmp_path: Path
) -> None:
    name = f"@wharf-e2e-corp/oc-by-{client_name}"
    client = new_client("publisher", token=registry.token)
    for version in ("1.0.0", "1.1.0"):  # a new package, then a new version of it
        directory = write_package(tmp_path / "src", name, version, dependencies={BASE: "^1.0.0"})
        run = client.publish(directory)
        assert run.ok, str(run)

    document = httpx.get(f"{registry.server.url}/npm-local/{name.replace('/', '%2f')}", timeout=30)
    assert document.status_code == 200, document.text
    assert set(document.json()["versions"]) == {"1.0.0", "1.1.0"}, document.text
    assert document.json()["dist-tags"]["latest"] == "1.1.0", document.text

    npm = npm_clients.new_user(tmp_path / "npm-home", registry.url)
    project = write_project(tmp_path / "app", {name: "^1.0.0"})
    run = npm.run("install", cwd=project)
    assert run.ok, str(run)
    assert_versions(project, {name: "1.1.0", BASE: "1.1.0"}, run)
    entry = project / "node_modules" / name / "index.js"
    assert entry.read_text() == f"module.exports = {json.dumps(f'{name}@1.1.0')};\n"


def test_yarn_berry_registry_commands(
    js_tools: JsTools, registry: Registry, tmp_path: Path
) -> None:
    client = YarnBerry(js_tools, tmp_path / "home", registry.url, registry.token)
    project = write_project(tmp_path / "app", {})

    run = client.run("npm", "whoami", cwd=project)
    assert run.ok, str(run)
    assert f"YN0000: {ADMIN[0]}\n" in run.output, str(run)

    run = client.run("npm", "info", WIDGET, "--json", cwd=project)
    assert run.ok, str(run)
    info = json.loads(run.output)
    assert info["name"] == WIDGET, str(run)
    assert info["version"] == "2.1.0", str(run)
    assert info["dist-tags"]["latest"] == "2.1.0", str(run)
    # Yarn 4.15+ quarantines versions whose publish time it cannot read from ``time``.
    run = client.run("npm", "info", WIDGET, "--fields", "time", "--json", cwd=project)
    assert run.ok, str(run)
    assert {"2.0.0", "2.1.0"} <= set(json.loads(run.output)["time"]), str(run)

    run = client.run("npm", "tag", "add", f"{WIDGET}@2.0.0", "stable", cwd=project)
    assert run.ok, str(run)
    assert berry_tags(client, project) == {"latest": "2.1.0", "stable": "2.0.0"}
    tags = registry.npm.run("dist-tag", "ls", WIDGET)
    assert "stable: 2.0.0" in tags.output, str(tags)

    run = client.run("npm", "tag", "remove", WIDGET, "stable", cwd=project)
    assert run.ok, str(run)
    assert berry_tags(client, project) == {"latest": "2.1.0"}


def berry_tags(client: JsClient, project: Path) -> dict[str, str]:
    """``yarn npm tag list`` prints a tree of ``<name>@<tag> → <version>`` lines."""
    run = client.run("npm", "tag", "list", WIDGET, cwd=project)
    assert run.ok, str(run)
    tags = {}
    for line in run.output.splitlines():
        if f"{WIDGET}@" in line and "→" in line:
            tag, version = line.split(f"{WIDGET}@", 1)[1].split("→")
            tags[tag.strip()] = version.strip()
    return tags


def test_pnpm_view_and_dist_tags(js_tools: JsTools, registry: Registry, tmp_path: Path) -> None:
    client = Pnpm(js_tools, tmp_path / "home", registry.url, registry.token)
    run = client.run("view", WIDGET, "versions", "--json", cwd=tmp_path)
    assert run.ok, str(run)
    assert first_json(run.output) == ["2.0.0", "2.1.0"], str(run)
    run = client.run("view", f"{WIDGET}@2.0.0", "dependencies", "--json", cwd=tmp_path)
    assert run.ok, str(run)
    assert first_json(run.output) == {BASE: "^1.0.0"}, str(run)
    run = client.run("dist-tag", "ls", BASE, cwd=tmp_path)
    assert run.ok, str(run)
    assert "latest: 2.0.0" in run.output, str(run)


def test_pnpm_through_a_proxy_keeps_installing_with_upstream_down(
    js_tools: JsTools,
    start_server: StartServer,
    dead_upstream: DeadEndpoint,
    tmp_path: Path,
) -> None:
    upstream = start_server("npm-oc-upstream", upstream=dead_upstream.simple_url)
    upstream.add_user(*ADMIN, admin=True)
    up, _ = npm_with_token(upstream, tmp_path / "up-home", index="npm-local")
    for version in ("1.0.0", "1.1.0"):
        publish_with_npm(up, tmp_path / "up-src", PUBLIC, version)
    # Freshness 0: every packument is revalidated, so the outage is really noticed.
    proxy = start_server(
        "npm-oc-proxy",
        upstream=dead_upstream.simple_url,
        npm_upstream=f"{upstream.url}/npm-local/",
        WHARF_PROXY_FRESHNESS="0",
    )
    registry = f"{proxy.url}/npm/"

    warm = Pnpm(js_tools, tmp_path / "warm-home", registry)
    project = write_project(tmp_path / "warm", {PUBLIC: "^1.0.0"})
    run = warm.install(project)
    assert run.ok, str(run)
    assert_versions(project, {PUBLIC: "1.1.0"}, run)

    upstream.stop()
    document = httpx.get(f"{proxy.url}/npm/{PUBLIC}", timeout=30)
    assert document.status_code == 200, document.text
    assert document.headers.get("x-wharf-stale"), dict(document.headers)
    assert set(document.json()["versions"]) == {"1.1.0"}, document.text  # only cached ones

    cold = Pnpm(js_tools, tmp_path / "cold-home", registry)
    project = write_project(tmp_path / "cold", {PUBLIC: "^1.0.0"})
    run = cold.install(project)
    assert run.ok, f"{run}\n--- proxy log ---\n{proxy.log()}"
    assert_versions(project, {PUBLIC: "1.1.0"}, run)


def test_yarn_berry_and_pnpm_log_in_with_a_wharf_account(
    js_tools: JsTools, registry: Registry, tmp_path: Path
) -> None:
    """``yarn npm login`` and ``pnpm login`` ask for a user name and password on a terminal
    and keep the Wharf token they get; ``whoami`` then names the user."""
    answers = [(b"Username", ADMIN[0]), (b"Password", ADMIN[1])]
    berry = YarnBerry(js_tools, tmp_path / "berry-home", registry.url)
    project = write_project(tmp_path / "berry-app", {})
    berry.configure(project)
    run = answer_prompts([*berry.command(), "npm", "login"], berry.env(), project, answers)
    assert run.ok, str(run)
    who = berry.run("npm", "whoami", cwd=project)
    assert who.ok, str(who)
    assert ADMIN[0] in who.output, str(who)

    pnpm = Pnpm(js_tools, tmp_path / "pnpm-home", registry.url)
    project = write_project(tmp_path / "pnpm-app", {})
    run = answer_prompts([*pnpm.command(), "login"], pnpm.env(), project, answers)
    assert run.ok, str(run)
    who = pnpm.run("whoami", cwd=project)
    assert who.ok, str(who)
    assert ADMIN[0] in who.output, str(who)
