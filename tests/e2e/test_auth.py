"""Who may upload: anonymous, wrong passwords and tokens of every kind, through twine."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from . import clients
from .packages import Dist
from .servers import ADMIN, WharfServer

pytestmark = pytest.mark.e2e

USER = ("e2e-uploader", "uploader-password-1")


@pytest.fixture(scope="module")
def uploader(plain: WharfServer) -> tuple[str, str]:
    plain.add_user(*USER)
    return USER


def upload(
    server: WharfServer,
    dist: Dist,
    user: str | None,
    password: str | None,
    index: str = "pypi-local",
) -> clients.Run:
    return clients.twine_upload(server.index_url(index), [dist.wheel], user, password, "--verbose")


def assert_refused(result: clients.Run, status: int, *texts: str) -> None:
    assert not result.ok, str(result)
    assert str(status) in result.output, str(result)
    for text in texts:
        assert text in result.output, str(result)


def test_upload_credentials_and_token_scopes(
    plain: WharfServer, dists: dict[str, Dist], uploader: tuple[str, str]
) -> None:
    dist = dists["auth-1.0"]
    simple = plain.index_simple_url("pypi-local")

    # twine will not even try without credentials; speak its protocol anonymously.
    anonymous = httpx.post(
        plain.index_url("pypi-local"),
        data={
            ":action": "file_upload",
            "protocol_version": "1",
            "name": dist.name,
            "version": dist.version,
            "filetype": "bdist_wheel",
            "pyversion": "py3",
        },
        files={"content": (dist.wheel.name, dist.wheel.read_bytes())},
        timeout=30,
    )
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"].lower().startswith("basic")
    assert "Sign in" in anonymous.text
    assert_refused(
        upload(plain, dist, USER[0], "not-the-password"), 401, "Wrong user name or password"
    )
    assert_refused(upload(plain, dist, "nobody-at-all", "whatever-password"), 401)

    read_id, read_secret = plain.create_token(USER[0], actions=["read"])
    assert read_secret.startswith("wharf_")
    assert_refused(upload(plain, dist, "__token__", read_secret), 403, read_id)

    other_id, other_secret = plain.create_token(USER[0], indexes=["pypi-remote"])
    assert_refused(upload(plain, dist, "__token__", other_secret), 403, other_id)

    revoked_id, revoked_secret = plain.create_token(USER[0])
    plain.cli("token", "revoke", revoked_id)
    assert_refused(upload(plain, dist, "__token__", revoked_secret), 401, revoked_id, "revoked")

    moment = datetime.now(UTC) + timedelta(seconds=3)
    expired_id, expired_secret = plain.create_token(USER[0], expires=moment.isoformat())
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.5)
    assert_refused(upload(plain, dist, "__token__", expired_secret), 401, expired_id, "expired")

    bogus = read_secret[:-4] + ("aaaa" if not read_secret.endswith("aaaa") else "bbbb")
    assert_refused(upload(plain, dist, "__token__", bogus), 401)

    assert clients.listed_files(simple, dist.name) == {}, "a refused upload became visible"

    good_id, good_secret = plain.create_token(
        USER[0], actions=["upload", "read"], indexes=["pypi-local"], expires="1d"
    )
    result = upload(plain, dist, "__token__", good_secret)
    assert result.ok, str(result)
    assert set(clients.listed_files(simple, dist.name)) == {dist.wheel.name}

    whoami = httpx.get(f"{plain.url}/-/api/whoami", auth=("__token__", good_secret), timeout=30)
    assert whoami.status_code == 200
    assert whoami.json() == {"user": USER[0], "admin": False, "token": good_id}

    audit = httpx.get(
        f"{plain.url}/-/api/audit", params={"project": dist.name}, auth=ADMIN, timeout=30
    )
    assert audit.status_code == 200, audit.text
    uploads = [e for e in audit.json() if e["filename"] == dist.wheel.name]
    assert uploads, audit.json()
    assert uploads[0]["actor"] == USER[0]
    assert uploads[0]["token"] == good_id


def test_plain_user_without_upload_rights_on_a_restricted_index(
    plain: WharfServer, dists: dict[str, Dist], uploader: tuple[str, str]
) -> None:
    plain.cli("index", "create", "e2e-restricted", "--kind", "hosted", "--upload", "e2e-admin")
    result = upload(plain, dists["auth-1.0"], *USER, index="e2e-restricted")
    assert_refused(result, 403, USER[0], "e2e-restricted")
    result = upload(plain, dists["auth-1.0"], *ADMIN, index="e2e-restricted")
    assert result.ok, str(result)
