"""A hosted npm registry driven by the real npm client: login, publish (scoped and
unscoped, through the group), install, npm ci, dist-tags, deprecate, unpublish, whoami,
ping, search, and refusals that npm prints."""

from __future__ import annotations

import base64
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from . import npm_clients
from .npm_clients import NpmUser, installed, write_package, write_project
from .servers import ADMIN, WharfServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def npm_user(plain: WharfServer, tmp_path: Path) -> NpmUser:
    """A user logged in with ``npm login`` on the group registry ``/npm/``."""
    user = npm_clients.new_user(tmp_path / "home", f"{plain.url}/npm/")
    result = user.login(*ADMIN)
    assert result.ok, str(result)
    assert user.token() is not None, user.npmrc.read_text()
    return user


def test_login_whoami_and_ping(npm_user: NpmUser) -> None:
    result = npm_user.run("whoami")
    assert result.ok, str(result)
    assert result.output.strip().splitlines()[-1] == ADMIN[0]
    result = npm_user.run("ping")
    assert result.ok, str(result)


def test_login_with_a_wrong_password_or_unknown_user_is_refused(
    plain: WharfServer, tmp_path: Path
) -> None:
    user = npm_clients.new_user(tmp_path / "home", f"{plain.url}/npm/")
    result = user.login(ADMIN[0], "wrong-password")
    assert not result.ok, str(result)
    assert user.token() is None
    result = user.login("nobody-here", "whatever-password")
    assert not result.ok, str(result)
    assert "wharf user add nobody-here" in result.output, str(result)


def test_publish_then_install_and_ci(npm_user: NpmUser, tmp_path: Path) -> None:
    lib = write_package(tmp_path / "src", "wharf-e2e-npm-lib", "1.0.0")
    app_dep = write_package(
        tmp_path / "src", "@wharf-e2e/widget", "2.1.0",
        dependencies={"wharf-e2e-npm-lib": "^1.0.0"},
    )
    for directory in (lib, app_dep):
        result = npm_user.run("publish", cwd=directory)
        assert result.ok, str(result)

    project = write_project(tmp_path / "app", {"@wharf-e2e/widget": "^2.0.0"})
    result = npm_user.run("install", cwd=project)
    assert result.ok, str(result)
    assert (installed(project, "@wharf-e2e/widget") or {}).get("version") == "2.1.0"
    assert (installed(project, "wharf-e2e-npm-lib") or {}).get("version") == "1.0.0"
    lock = json.loads((project / "package-lock.json").read_text())
    resolved = lock["packages"]["node_modules/@wharf-e2e/widget"]["resolved"]
    assert resolved.startswith(npm_user.registry), resolved

    # npm ci from the lockfile alone, with an empty cache.
    ci_project = tmp_path / "ci"
    ci_project.mkdir()
    for name in ("package.json", "package-lock.json"):
        (ci_project / name).write_bytes((project / name).read_bytes())
    fresh = npm_clients.new_user(tmp_path / "ci-home", npm_user.registry)
    result = fresh.run("ci", cwd=ci_project)
    assert result.ok, str(result)
    assert (installed(ci_project, "wharf-e2e-npm-lib") or {}).get("version") == "1.0.0"


def test_dist_tags_deprecate_and_unpublish(npm_user: NpmUser, tmp_path: Path) -> None:
    name = "wharf-e2e-npm-tags"
    for version in ("1.0.0", "1.1.0", "2.0.0-beta.1"):
        directory = write_package(tmp_path / "src", name, version)
        tag = ["--tag", "beta"] if "beta" in version else []
        result = npm_user.run("publish", *tag, cwd=directory)
        assert result.ok, str(result)

    result = npm_user.run("dist-tag", "ls", name)
    assert result.ok, str(result)
    assert "latest: 1.1.0" in result.output, str(result)
    assert "beta: 2.0.0-beta.1" in result.output, str(result)

    assert npm_user.run("dist-tag", "add", f"{name}@1.0.0", "stable").ok
    assert "stable: 1.0.0" in npm_user.run("dist-tag", "ls", name).output
    assert npm_user.run("dist-tag", "rm", name, "stable").ok
    assert "stable" not in npm_user.run("dist-tag", "ls", name).output

    result = npm_user.run("deprecate", f"{name}@1.0.0", "use 1.1.0 instead")
    assert result.ok, str(result)
    shown = npm_user.run("view", f"{name}@1.0.0", "deprecated")
    assert "use 1.1.0 instead" in shown.output, str(shown)
    assert npm_user.run("deprecate", f"{name}@1.0.0", "").ok
    assert npm_user.run("view", f"{name}@1.0.0", "deprecated").output.strip() == ""

    result = npm_user.run("unpublish", f"{name}@1.0.0")
    assert result.ok, str(result)
    versions = npm_user.run("view", name, "versions", "--json")
    assert json.loads(versions.output) == ["1.1.0", "2.0.0-beta.1"], str(versions)

    result = npm_user.run("unpublish", name, "--force")
    assert result.ok, str(result)
    # Gone from the hosted index (the group would now ask upstream, which is down here).
    hosted = npm_user.registry.replace("/npm/", "/npm-local/")
    gone = npm_user.run("view", name, "--registry", hosted)
    assert not gone.ok
    assert "E404" in gone.output, str(gone)


def test_republishing_a_version_is_refused(npm_user: NpmUser, tmp_path: Path) -> None:
    directory = write_package(tmp_path / "src", "wharf-e2e-npm-once", "1.0.0")
    assert npm_user.run("publish", cwd=directory).ok
    (directory / "index.js").write_text("module.exports = 'changed';\n")
    result = npm_user.run("publish", cwd=directory)
    assert not result.ok, str(result)
    assert "1.0.0" in result.output, str(result)


def test_a_tampered_publish_is_refused_with_every_problem(
    plain: WharfServer, npm_user: NpmUser
) -> None:
    """What npm prints is the body's ``error``; a body whose digests lie is refused whole."""
    tarball = b"not a gzip stream at all"
    body = {
        "_id": "wharf-e2e-npm-bad",
        "name": "wharf-e2e-npm-bad",
        "dist-tags": {"latest": "1.0.0"},
        "versions": {
            "1.0.0": {
                "name": "wharf-e2e-npm-bad",
                "version": "1.0.0",
                "dist": {"shasum": "0" * 40, "tarball": "http://x/y.tgz"},
            }
        },
        "_attachments": {
            "wharf-e2e-npm-bad-1.0.0.tgz": {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(tarball).decode(),
                "length": len(tarball),
            }
        },
    }
    token = npm_user.token()
    response = httpx.put(
        f"{plain.url}/npm/wharf-e2e-npm-bad", json=body,
        headers={"authorization": f"Bearer {token}"}, timeout=30,
    )
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert hashlib.sha1(tarball).hexdigest() in message or "shasum" in message, message
    assert "gzip" in message.lower(), message
    assert httpx.get(f"{plain.url}/npm-local/wharf-e2e-npm-bad", timeout=30).status_code == 404


def test_anonymous_publish_is_refused(plain: WharfServer, tmp_path: Path) -> None:
    user = npm_clients.new_user(tmp_path / "anon", f"{plain.url}/npm/")
    directory = write_package(tmp_path / "src", "wharf-e2e-npm-anon", "1.0.0")
    result = user.run("publish", cwd=directory)
    assert not result.ok, str(result)
    assert "401" in result.output or "ENEEDAUTH" in result.output, str(result)


def test_search_finds_published_packages(npm_user: NpmUser, tmp_path: Path) -> None:
    directory = write_package(tmp_path / "src", "wharf-e2e-npm-findme", "3.0.0")
    assert npm_user.run("publish", cwd=directory).ok
    result = npm_user.run("search", "findme")
    assert result.ok, str(result)
    assert "wharf-e2e-npm-findme" in result.output, str(result)


def tag_of(version: str) -> str:
    return "v" + version.replace(".", "-")


def test_concurrent_publishes_of_one_package_all_survive(
    npm_user: NpmUser, tmp_path: Path
) -> None:
    """Several npm processes publish different versions of one package at once: every
    version and its tarball stay (a registry that rewrites one stored document per package
    loses all but the last writer's)."""
    name = "@wharf-e2e/concurrent"
    versions = [f"1.0.{n}" for n in range(6)]
    token = npm_user.token()
    assert token is not None
    publishers = []
    for version in versions:
        user = npm_clients.new_user(tmp_path / f"home-{version}", npm_user.registry)
        user.set_token(token)
        publishers.append((user, write_package(tmp_path / "src", name, version), version))
    with ThreadPoolExecutor(max_workers=len(publishers)) as pool:
        # Each names its own dist-tag: npm refuses to move "latest" below a version it saw.
        runs = list(pool.map(
            lambda job: job[0].run("publish", "--tag", tag_of(job[2]), cwd=job[1]),
            publishers,
        ))
    for run in runs:
        assert run.ok, str(run)

    document = httpx.get(f"{npm_user.registry}@wharf-e2e%2fconcurrent", timeout=30).json()
    assert sorted(document["versions"]) == versions
    tags = document["dist-tags"]
    assert {tag: tags[tag] for tag in tags if tag != "latest"} == {
        tag_of(v): v for v in versions
    }, tags
    for version in versions:
        tarball = document["versions"][version]["dist"]["tarball"]
        assert httpx.get(tarball, timeout=30).status_code == 200, tarball
    project = write_project(tmp_path / "app", {name: "^1.0.0"})
    result = npm_user.run("install", cwd=project)
    assert result.ok, str(result)
    assert (installed(project, name) or {}).get("version") == "1.0.5"


def test_owner_ls_names_the_publishers(npm_user: NpmUser, tmp_path: Path) -> None:
    name = "wharf-e2e-npm-owned"
    result = npm_user.run("publish", cwd=write_package(tmp_path / "src", name, "1.0.0"))
    assert result.ok, str(result)
    result = npm_user.run("owner", "ls", name)
    assert result.ok, str(result)
    assert result.output.split()[0] == ADMIN[0], str(result)
