"""Per-package rules of an index with the real npm client: a private scope that only its
team may read, publish and unpublish, while the rest of the index stays as its ACL says.
Each refusal is printed by npm with the rule and the fix."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from . import npm_clients
from .npm_clients import NpmUser, installed, write_package, write_project
from .servers import ADMIN, DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e

ALICE = ("alice", "alice-password-1")
BOB = ("bob", "bob-password-1")
SECRET = "@wharf-e2e-secret/core"


@pytest.fixture(scope="module")
def ruled(start_server: StartServer, dead_upstream: DeadEndpoint) -> WharfServer:
    server = start_server("npm-rules", upstream=dead_upstream.simple_url, workers=2)
    server.add_user(*ADMIN, admin=True)
    for name, password in (ALICE, BOB):
        server.add_user(name, password)
    shown = server.cli(
        "index", "rule", "add", "npm-local", "@wharf-e2e-secret/*",
        "--read", ALICE[0], "--upload", ALICE[0], "--unpublish", ALICE[0],
    ).stdout
    assert "rule '@wharf-e2e-secret/*'  read: alice; upload: alice; unpublish: alice" in shown
    return server


def signed_in(server: WharfServer, who: tuple[str, str], home: Path) -> NpmUser:
    user = npm_clients.new_user(home, f"{server.url}/npm/")
    result = user.login(*who)
    assert result.ok, str(result)
    return user


def test_only_the_team_reads_publishes_and_unpublishes_the_scope(
    ruled: WharfServer, tmp_path: Path
) -> None:
    alice = signed_in(ruled, ALICE, tmp_path / "alice")
    bob = signed_in(ruled, BOB, tmp_path / "bob")
    result = alice.run("publish", cwd=write_package(tmp_path / "a", SECRET, "1.0.0"))
    assert result.ok, str(result)

    # bob may publish elsewhere in the index, but not into the scope
    result = bob.run("publish", cwd=write_package(tmp_path / "b", "wharf-e2e-open", "1.0.0"))
    assert result.ok, str(result)
    result = bob.run("publish", cwd=write_package(tmp_path / "b", SECRET, "1.0.1"))
    assert not result.ok, str(result)
    assert "403" in result.output, str(result)
    assert "'bob' is not one of them" in result.output, str(result)
    assert "wharf index rule add npm-local '@wharf-e2e-secret/*' --upload bob" in result.output

    # bob cannot read it, anonymous users are asked to sign in, alice installs it
    result = bob.run("view", SECRET, "version")
    assert not result.ok, str(result)
    assert "403" in result.output, str(result)
    anonymous = npm_clients.new_user(tmp_path / "anon", f"{ruled.url}/npm/")
    project = write_project(tmp_path / "anon-app", {SECRET: "^1.0.0"})
    result = anonymous.run("install", cwd=project)
    assert not result.ok, str(result)
    # npm prints its own text for a 401 ("npm login"); the body says which rule, for
    # clients and people who read it.
    assert "E401" in result.output, str(result)
    assert "npm login" in result.output, str(result)
    answer = httpx.get(f"{ruled.url}/npm/@wharf-e2e-secret%2fcore", timeout=30)
    assert answer.status_code == 401
    assert "sign in to read '@wharf-e2e-secret/core'" in answer.json()["error"]
    project = write_project(tmp_path / "alice-app", {SECRET: "^1.0.0", "wharf-e2e-open": "*"})
    result = alice.run("install", cwd=project)
    assert result.ok, str(result)
    assert (installed(project, SECRET) or {}).get("version") == "1.0.0"

    # search shows the scope to alice only
    assert SECRET in alice.run("search", "wharf-e2e", "--json").output
    found = bob.run("search", "wharf-e2e", "--json")
    assert found.ok, str(found)
    assert SECRET not in found.output
    assert "wharf-e2e-open" in found.output

    # alice publishes 1.0.1; only she may unpublish
    result = alice.run("publish", cwd=write_package(tmp_path / "a", SECRET, "1.0.1"))
    assert result.ok, str(result)
    result = bob.run("unpublish", f"{SECRET}@1.0.1", "--force")
    assert not result.ok, str(result)
    result = alice.run("unpublish", f"{SECRET}@1.0.1", "--force")
    assert result.ok, str(result)
    result = alice.run("view", SECRET, "versions", "--json")
    assert result.ok, str(result)
    assert "1.0.1" not in result.output
