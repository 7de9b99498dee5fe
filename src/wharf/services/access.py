"""Who may do what on an index: the ACL, admin rights and token scopes, in one place."""

from __future__ import annotations

from datetime import datetime

from wharf.core.errors import ForbiddenError, UnauthenticatedError
from wharf.core.models import ANONYMOUS, AUTHENTICATED, Action, Index, Principal


def permits(principal: Principal, action: Action, index: Index) -> bool:
    """True when the principal may perform ``action`` on ``index``."""
    token = principal.token
    if token is not None:
        if token.indexes and index.name not in token.indexes:
            return False
        if action not in token.actions and Action.ADMIN not in token.actions:
            return False
    if principal.is_admin:
        return True
    if action is Action.ADMIN:
        return False
    allowed = index.acl.read if action is Action.READ else index.acl.upload
    if ANONYMOUS in allowed:
        return True
    if not principal.authenticated:
        return False
    return AUTHENTICATED in allowed or principal.user in allowed


def require(principal: Principal, action: Action, index: Index) -> None:
    """Raise ``UnauthenticatedError`` or ``ForbiddenError`` unless permitted."""
    if permits(principal, action, index):
        return
    verb = {Action.READ: "read from", Action.UPLOAD: "upload to", Action.ADMIN: "administer"}
    if not principal.authenticated:
        raise UnauthenticatedError(
            f"Sign in to {verb[action]} index '{index.name}'.",
            hint="Pass a user name and password, or an API token as the password with the "
            "user name __token__.",
        )
    token = principal.token
    if token is not None and (
        (token.indexes and index.name not in token.indexes)
        or (action not in token.actions and Action.ADMIN not in token.actions)
    ):
        scope = ", ".join(token.indexes) or "every index"
        actions = ", ".join(a.value for a in token.actions)
        raise ForbiddenError(
            f"Token {token.id} may not {verb[action]} index '{index.name}' "
            f"(it allows {actions} on {scope}).",
            hint="Create a token with the needed scope: wharf token create.",
        )
    raise ForbiddenError(
        f"User '{principal.user}' may not {verb[action]} index '{index.name}'.",
        hint="Ask an administrator to add you to the index's ACL.",
    )


def require_admin(principal: Principal) -> None:
    """Server-wide administration (users, indexes)."""
    if principal.is_admin and (
        principal.token is None or Action.ADMIN in principal.token.actions
    ):
        return
    if not principal.authenticated:
        raise UnauthenticatedError(
            "Sign in as an administrator.", hint="Create one with: wharf user add NAME --admin"
        )
    raise ForbiddenError(
        f"'{principal.user}' is not an administrator (or the token lacks the admin scope).",
        hint="Ask an administrator, or use a token created with --action admin.",
    )


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now
