"""Users, htpasswd import and API tokens on the real services and SQLite."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bcrypt
import pytest

from wharf.bootstrap import build_services
from wharf.config.loader import load_settings
from wharf.core.errors import InvalidRequestError, UnauthenticatedError
from wharf.core.models import Action
from wharf.services.container import Services
from wharf.web.auth import Authenticator


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={}).settings
    built = await build_services(settings)
    yield built
    await built.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_password_sign_in_and_refusals(services: Services) -> None:
    await services.accounts.add_user("alice", "correct horse", admin=True)
    principal = await services.accounts.authenticate_password("alice", "correct horse")
    assert principal.user == "alice"
    assert principal.is_admin
    with pytest.raises(UnauthenticatedError, match="Wrong user name or password"):
        await services.accounts.authenticate_password("alice", "wrong horse")
    with pytest.raises(UnauthenticatedError):
        await services.accounts.authenticate_password("nobody", "correct horse")


async def test_short_passwords_and_bad_names_are_refused(services: Services) -> None:
    with pytest.raises(InvalidRequestError, match="too short"):
        await services.accounts.add_user("bob", "short")
    with pytest.raises(InvalidRequestError, match="not a valid user name"):
        await services.accounts.add_user("__token__", "long enough password")


async def test_htpasswd_users_sign_in_and_are_upgraded_to_argon2(services: Services) -> None:
    sha = base64.b64encode(hashlib.sha1(b"sha password").digest()).decode()
    bc = bcrypt.hashpw(b"bcrypt password", bcrypt.gensalt(rounds=4)).decode()
    imported = await services.accounts.import_htpasswd(f"carol:{{SHA}}{sha}\ndave:{bc}\n")
    assert imported == ["carol", "dave"]
    assert (await services.accounts.authenticate_password("carol", "sha password")).user == "carol"
    assert (await services.accounts.authenticate_password("dave", "bcrypt password")).user == "dave"
    upgraded = await services.accounts.get_user("carol")
    assert upgraded.password_hash.startswith("$argon2")
    assert (await services.accounts.authenticate_password("carol", "sha password")).user == "carol"


async def test_tokens_carry_scopes_and_end_by_revocation_or_expiry(services: Services) -> None:
    await services.accounts.add_user("erin", "erin's password")
    token, secret = await services.accounts.create_token(
        "erin", [Action.UPLOAD], indexes=["pypi-local"]
    )
    assert secret.startswith("wharf_")
    assert token.secret_hash != secret
    principal = await services.accounts.authenticate_password("__token__", secret)
    assert principal.user == "erin"
    assert principal.token is not None
    assert principal.token.indexes == ("pypi-local",)
    assert (await services.accounts.authenticate_token(secret)).user == "erin"

    await services.accounts.revoke_token(token.id)
    with pytest.raises(UnauthenticatedError, match="revoked"):
        await services.accounts.authenticate_token(secret)

    soon = datetime.now(UTC) + timedelta(milliseconds=50)
    short, short_secret = await services.accounts.create_token(
        "erin", [Action.READ], expires_at=soon
    )
    await asyncio.sleep(0.1)
    with pytest.raises(UnauthenticatedError, match=f"Token {short.id} expired"):
        await services.accounts.authenticate_token(short_secret)


async def test_unknown_tokens_are_refused(services: Services) -> None:
    with pytest.raises(UnauthenticatedError, match="Unknown API token"):
        await services.accounts.authenticate_token("wharf_abcdefghijkl_" + "x" * 32)


async def test_authenticator_reads_basic_and_bearer_headers(services: Services) -> None:
    await services.accounts.add_user("frank", "frank's password")
    _, secret = await services.accounts.create_token("frank", [Action.READ])
    auth = Authenticator(services.accounts)
    assert (await auth.principal(None)).user is None
    assert (await auth.principal(basic("frank", "frank's password"))).user == "frank"
    assert (await auth.principal(f"Bearer {secret}")).user == "frank"
    assert (await auth.principal(basic("__token__", secret))).user == "frank"
    with pytest.raises(UnauthenticatedError, match="Unsupported authorization scheme"):
        await auth.principal("Digest abc")
    with pytest.raises(UnauthenticatedError):
        await auth.principal("Basic !!!")
