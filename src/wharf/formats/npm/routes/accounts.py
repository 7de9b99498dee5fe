"""npm's identity endpoints on Wharf accounts: ``npm login``/``adduser`` (the legacy CouchDB
user document), ``npm whoami``, ``npm logout`` and ``npm token``.

A login hands out a Wharf API token (read and upload, every index), so the tokens npm keeps
in ``.npmrc`` are listed, scoped, expired and revoked like any other. Accounts are never
created from npm: an unknown name is told to ask an administrator (a registry that lets
anyone sign up is a registry anyone can publish to).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wharf.core.errors import (
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    UnauthenticatedError,
)
from wharf.core.models import Action, Principal, Token
from wharf.formats.npm.paths import NpmPath
from wharf.formats.npm.routes.writing import read_body
from wharf.web import kit

USER_PREFIX = "org.couchdb.user:"


def _body_json(raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise InvalidRequestError("The request body is not a JSON object.")
    return document


def _user_in(target: NpmPath) -> str:
    # endpoint = ("user", "org.couchdb.user:<name>"[, "-rev", <rev>])
    if len(target.endpoint) < 2 or not target.endpoint[1].startswith(USER_PREFIX):
        raise NotFoundError("No such user endpoint.")
    return target.endpoint[1].removeprefix(USER_PREFIX)


async def login(request: Request, target: NpmPath) -> Response:
    """``PUT /-/user/org.couchdb.user:<name>`` with ``{name, password}``: a token."""
    svc = kit.services(request)
    name = _user_in(target)
    document = _body_json(await read_body(request, 64 << 10))
    password = document.get("password")
    if str(document.get("name", name)) != name or not isinstance(password, str):
        raise InvalidRequestError("Send the user name and password of an existing account.")
    if await svc.store.get_user(name) is None:
        raise ForbiddenError(
            f"There is no account '{name}', and accounts are not created from npm.",
            hint=f"Ask an administrator to run: wharf user add {name}",
        )
    principal = await svc.accounts.authenticate_password(name, password)
    token, secret = await svc.accounts.create_token(
        name,
        [Action.READ, Action.UPLOAD],
        description=f"npm login ({request.headers.get('user-agent', 'unknown client')})"[:200],
    )
    await svc.audit.record(
        "token.create", principal, kit.client(request), via="npm login", token=token.id
    )
    return JSONResponse(
        {"ok": f"you are authenticated as '{name}'", "id": f"{USER_PREFIX}{name}",
         "token": secret},
        status_code=201,
    )


async def get_user(request: Request, target: NpmPath) -> Response:
    """``GET /-/user/org.couchdb.user:<name>``: what ``npm owner add`` looks up."""
    svc = kit.services(request)
    name = _user_in(target)
    if not (await kit.principal(request)).authenticated:
        raise UnauthenticatedError("Sign in to look up users.", hint="npm login")
    if await svc.store.get_user(name) is None:
        raise NotFoundError(f"No user '{name}'.")
    return JSONResponse({"_id": f"{USER_PREFIX}{name}", "name": name, "email": ""})


async def logout(request: Request, target: NpmPath) -> Response:
    """``DELETE /-/user/token/<token>``: ``npm logout`` revokes the token it used."""
    svc = kit.services(request)
    principal = await kit.principal(request)
    secret = target.endpoint[2] if len(target.endpoint) == 3 else ""
    if principal.token is None or not secret:
        raise InvalidRequestError("Log out with the token itself: npm logout.")
    presented = await svc.accounts.authenticate_token(secret)
    if presented.token is None or presented.token.id != principal.token.id:
        raise ForbiddenError("A session can only revoke its own token.")
    await svc.accounts.revoke_token(principal.token.id)
    await svc.audit.record("token.revoke", principal, kit.client(request), via="npm logout",
                           token=principal.token.id)
    return JSONResponse({"ok": "logged out"})


async def user_endpoint(request: Request, target: NpmPath) -> Response:
    """``/-/user/…``: logout (DELETE of a token), login (PUT) or a user lookup (GET)."""
    if target.endpoint[:2] == ("user", "token"):
        if request.method == "DELETE":
            return await logout(request, target)
        raise NotFoundError("No such user endpoint.")
    if request.method == "PUT":
        return await login(request, target)
    return await get_user(request, target)


async def whoami(request: Request, target: NpmPath) -> Response:
    principal = await kit.principal(request)
    if principal.user is None:
        raise UnauthenticatedError("You are not logged in.", hint="npm login")
    return JSONResponse({"username": principal.user})


async def web_login(request: Request, target: NpmPath) -> Response:
    """Web login is not offered; a 404 makes npm and pnpm fall back to name and password."""
    return JSONResponse(
        {"error": "Web login is not supported here; log in with name and password."},
        status_code=404,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _token_object(token: Token) -> dict[str, Any]:
    return {
        "token": f"wharf_{token.id}_…",
        "key": token.id,
        "cidr_whitelist": None,
        "readonly": Action.UPLOAD not in token.actions and Action.ADMIN not in token.actions,
        "automation": False,
        "created": _iso(token.created_at),
        "updated": _iso(token.last_used_at or token.created_at),
    }


async def _signed_in(request: Request) -> Principal:
    principal = await kit.principal(request)
    if principal.user is None:
        raise UnauthenticatedError("Sign in to manage tokens.", hint="npm login")
    return principal


async def list_tokens(request: Request, target: NpmPath) -> Response:
    principal = await _signed_in(request)
    tokens = [
        t for t in await kit.services(request).accounts.list_tokens(principal.user)
        if not t.revoked
    ]
    objects = [_token_object(t) for t in tokens]
    return JSONResponse({"objects": objects, "total": len(objects), "urls": {}})


async def create_token(request: Request, target: NpmPath) -> Response:
    """``npm token create``: the account password is checked again, as npm expects."""
    svc = kit.services(request)
    principal = await _signed_in(request)
    assert principal.user is not None
    document = _body_json(await read_body(request, 64 << 10))
    password = document.get("password")
    if not isinstance(password, str):
        raise InvalidRequestError("Send the account password to create a token.")
    await svc.accounts.authenticate_password(principal.user, password)
    actions = [Action.READ] if document.get("readonly") else [Action.READ, Action.UPLOAD]
    token, secret = await svc.accounts.create_token(
        principal.user, actions, description="npm token create"
    )
    await svc.audit.record("token.create", principal, kit.client(request),
                           via="npm token create", token=token.id)
    return JSONResponse({**_token_object(token), "token": secret}, status_code=201)


async def revoke_token(request: Request, target: NpmPath) -> Response:
    svc = kit.services(request)
    principal = await _signed_in(request)
    key = target.endpoint[-1]
    token = await svc.accounts.get_token(key)
    if token.user != principal.user and not principal.is_admin:
        raise NotFoundError(f"No token with id '{key}'.")
    await svc.accounts.revoke_token(key)
    await svc.audit.record("token.revoke", principal, kit.client(request),
                           via="npm token revoke", token=key)
    return Response(status_code=204)
