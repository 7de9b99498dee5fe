"""The management JSON API under ``/-/api`` (used by remote CLIs and the UI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from wharf.core.errors import InvalidRequestError
from wharf.core.models import Acl, Action, Index, IndexKind, Release, Token
from wharf.services.access import require_admin
from wharf.web import kit


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def index_json(index: Index) -> dict[str, Any]:
    return {
        "name": index.name,
        "format": index.format,
        "kind": index.kind.value,
        "upstream": index.upstream,
        "members": list(index.members),
        "trust_upstream": list(index.trust_upstream),
        "acl": {"read": list(index.acl.read), "upload": list(index.acl.upload)},
        "package_rules": [
            {"pattern": rule.pattern, **{
                action: list(who) for action in ("read", "upload", "unpublish")
                if (who := getattr(rule, action)) is not None
            }}
            for rule in index.package_rules
        ],
        "description": index.description,
        "created_at": iso(index.created_at),
    }


def token_json(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "user": token.user,
        "actions": [a.value for a in token.actions],
        "indexes": list(token.indexes),
        "expires_at": iso(token.expires_at),
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "description": token.description,
        "revoked": token.revoked,
    }


def release_json(release: Release) -> dict[str, Any]:
    return {
        "index": release.index,
        "project": release.project,
        "version": release.version,
        "yanked": release.yanked,
        "yanked_reason": release.yanked_reason,
    }


async def body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise InvalidRequestError("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    return data


async def list_indexes(request: Request) -> Response:
    indexes = await kit.services(request).indexes.list_all()
    return JSONResponse([index_json(i) for i in indexes])


async def show_index(request: Request) -> Response:
    index = await kit.services(request).indexes.get(request.path_params["name"])
    return JSONResponse(index_json(index))


async def create_index(request: Request) -> Response:
    require_admin(await kit.principal(request))
    data = await body(request)
    try:
        acl = data.get("acl") or {}
        index = Index(
            name=str(data["name"]),
            format=str(data.get("format", "python")),
            kind=IndexKind(data.get("kind", "hosted")),
            upstream=data.get("upstream") or None,
            members=tuple(data.get("members") or ()),
            trust_upstream=tuple(data.get("trust_upstream") or ()),
            acl=Acl(tuple(acl.get("read", Acl().read)), tuple(acl.get("upload", Acl().upload))),
            description=str(data.get("description", "")),
        )
    except (KeyError, ValueError) as exc:
        raise InvalidRequestError(f"Invalid index description: {exc}.") from None
    created = await kit.services(request).indexes.create(index)
    return JSONResponse(index_json(created), status_code=201)


async def delete_index(request: Request) -> Response:
    require_admin(await kit.principal(request))
    await kit.services(request).indexes.delete(request.path_params["name"])
    return Response(status_code=204)


async def yank(request: Request) -> Response:
    data = await body(request) if request.method == "POST" else {}
    p = request.path_params
    release = await kit.services(request).releases.yank(
        p["index"], p["project"], p["version"], await kit.principal(request),
        reason=str(data.get("reason", "")), yanked=request.method == "POST",
        client=kit.client(request),
    )
    return JSONResponse(release_json(release))


async def delete_release(request: Request) -> Response:
    p = request.path_params
    removed = await kit.services(request).releases.delete_release(
        p["index"], p["project"], p["version"], await kit.principal(request), kit.client(request)
    )
    return JSONResponse({"deleted": [a.filename for a in removed]})


async def delete_project(request: Request) -> Response:
    p = request.path_params
    removed = await kit.services(request).releases.delete_project(
        p["index"], p["project"], await kit.principal(request), kit.client(request)
    )
    return JSONResponse({"deleted": [a.filename for a in removed]})


async def whoami(request: Request) -> Response:
    principal = await kit.principal(request)
    return JSONResponse({
        "user": principal.user,
        "admin": principal.is_admin,
        "token": principal.token.id if principal.token else None,
    })


async def list_tokens(request: Request) -> Response:
    principal = await kit.principal(request)
    if principal.user is None:
        require_admin(principal)
    user = None if principal.is_admin and request.query_params.get("all") else principal.user
    tokens = await kit.services(request).accounts.list_tokens(user)
    return JSONResponse([token_json(t) for t in tokens])


async def create_token(request: Request) -> Response:
    principal = await kit.principal(request)
    data = await body(request)
    user = str(data.get("user") or principal.user or "")
    if user != principal.user or principal.token is not None:
        require_admin(principal)
    try:
        actions = [Action(a) for a in data.get("actions", ["read", "upload"])]
        expires = datetime.fromisoformat(data["expires_at"]) if data.get("expires_at") else None
    except ValueError as exc:
        raise InvalidRequestError(f"Invalid token request: {exc}.") from None
    token, secret = await kit.services(request).accounts.create_token(
        user, actions, indexes=list(data.get("indexes") or ()), expires_at=expires,
        description=str(data.get("description", "")),
    )
    return JSONResponse({**token_json(token), "secret": secret}, status_code=201)


async def revoke_token(request: Request) -> Response:
    principal = await kit.principal(request)
    accounts = kit.services(request).accounts
    token = await accounts.get_token(request.path_params["token_id"])
    if token.user != principal.user:
        require_admin(principal)
    await accounts.revoke_token(token.id)
    return Response(status_code=204)


async def audit(request: Request) -> Response:
    require_admin(await kit.principal(request))
    q = request.query_params
    events = await kit.services(request).audit.query(
        action=q.get("action"), index=q.get("index"), project=q.get("project"),
        version=q.get("version"),
        since=datetime.fromisoformat(q["since"]) if q.get("since") else None,
        limit=int(q.get("limit", "1000")),
    )
    return JSONResponse([
        {"at": iso(e.at), "action": e.action, "actor": e.actor, "token": e.token_id,
         "index": e.index, "project": e.project, "version": e.version, "filename": e.filename,
         "address": e.address, "user_agent": e.user_agent, "detail": dict(e.detail)}
        for e in events
    ])


def routes() -> list[BaseRoute]:
    release = "/indexes/{index}/projects/{project}/versions/{version}"
    return [
        Route("/whoami", whoami),
        Route("/indexes", list_indexes),
        Route("/indexes", create_index, methods=["POST"]),
        Route("/indexes/{name}", show_index),
        Route("/indexes/{name}", delete_index, methods=["DELETE"]),
        Route(release + "/yank", yank, methods=["POST", "DELETE"]),
        Route(release, delete_release, methods=["DELETE"]),
        Route("/indexes/{index}/projects/{project}", delete_project, methods=["DELETE"]),
        Route("/tokens", list_tokens),
        Route("/tokens", create_token, methods=["POST"]),
        Route("/tokens/{token_id}", revoke_token, methods=["DELETE"]),
        Route("/audit", audit),
    ]
