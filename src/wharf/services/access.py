"""Who may do what on an index: the ACL, per-package rules, admin rights and token scopes,
in one place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fnmatch import fnmatchcase

from wharf.core.errors import ForbiddenError, UnauthenticatedError
from wharf.core.models import ANONYMOUS, AUTHENTICATED, Action, Index, PackageRule, Principal


def rule_for(rules: Iterable[PackageRule], project: str | None) -> PackageRule | None:
    """The first rule whose pattern matches ``project`` (a normalised name)."""
    if project is None:
        return None
    return next((rule for rule in rules if fnmatchcase(project, rule.pattern)), None)


def listed(principal: Principal, allowed: Iterable[str]) -> bool:
    """True when an ACL list admits the principal."""
    allowed = tuple(allowed)
    if ANONYMOUS in allowed:
        return True
    if not principal.authenticated:
        return False
    return AUTHENTICATED in allowed or principal.user in allowed


def _allowed(
    action: Action, index: Index, project: str | None, rules: Sequence[PackageRule] | None
) -> tuple[tuple[str, ...], PackageRule | None]:
    """Who may ``action`` (READ or UPLOAD), and the package rule that said so, if any."""
    rule = rule_for(index.package_rules if rules is None else rules, project)
    chosen = None
    if rule is not None:
        chosen = rule.read if action is Action.READ else rule.upload
    if chosen is not None:
        return chosen, rule
    return (index.acl.read if action is Action.READ else index.acl.upload), None


def permits(
    principal: Principal,
    action: Action,
    index: Index,
    project: str | None = None,
    rules: Sequence[PackageRule] | None = None,
) -> bool:
    """True when the principal may perform ``action`` on ``index`` (and on ``project`` in
    it, under the package rules that apply: ``rules``, by default the index's own)."""
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
    return listed(principal, _allowed(action, index, project, rules)[0])


VERBS = {Action.READ: "read from", Action.UPLOAD: "upload to", Action.ADMIN: "administer"}


def require(
    principal: Principal,
    action: Action,
    index: Index,
    project: str | None = None,
    rules: Sequence[PackageRule] | None = None,
) -> None:
    """Raise ``UnauthenticatedError`` or ``ForbiddenError`` unless permitted."""
    if permits(principal, action, index, project, rules):
        return
    verb = VERBS
    rule = None if action is Action.ADMIN else _allowed(action, index, project, rules)[1]
    if rule is not None and not listed(principal, _allowed(action, index, project, rules)[0]):
        raise _refused_by_rule(principal, action, index, project or "", rule)
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


def _refused_by_rule(
    principal: Principal, action: Action, index: Index, project: str, rule: PackageRule
) -> UnauthenticatedError | ForbiddenError:
    doing = "read" if action is Action.READ else "publish"
    message = (
        f"Packages matching '{rule.pattern}' in '{index.name}' may be {doing}"
        f"{'' if doing == 'read' else 'ed'} only by their allowed users"
    )
    if not principal.authenticated:
        return UnauthenticatedError(
            f"{message}; sign in to {doing} '{project}'.",
            hint="Log in (npm login, or a token as the password with user __token__).",
        )
    return ForbiddenError(
        f"{message}; '{principal.user}' is not one of them, so may not {doing} '{project}'.",
        hint=f"Ask an administrator to allow you: wharf index rule add {index.name} "
        f"'{rule.pattern}' --{'read' if doing == 'read' else 'upload'} {principal.user}",
    )


def may_unpublish(
    principal: Principal, project: str, rules: Sequence[PackageRule]
) -> bool | None:
    """Whether a package rule lets the principal remove any release of ``project``: True or
    False when a matching rule says who may unpublish, None when none does."""
    rule = rule_for(rules, project)
    if rule is None or rule.unpublish is None:
        return None
    return listed(principal, rule.unpublish)


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
