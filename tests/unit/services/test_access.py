"""The access rules, table-driven: ACL entries, admin rights and token scopes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wharf.core.errors import ForbiddenError, UnauthenticatedError
from wharf.core.models import (
    ANONYMOUS,
    AUTHENTICATED,
    Acl,
    Action,
    Index,
    IndexKind,
    PackageRule,
    Principal,
    Token,
)
from wharf.services.access import may_unpublish, permits, require, require_admin, rule_for

OPEN = Index("open", "python", IndexKind.HOSTED)
PRIVATE = Index("private", "python", IndexKind.HOSTED, acl=Acl(read=("bob",), upload=("bob",)))
MEMBERS = Index("members", "python", IndexKind.HOSTED, acl=Acl(read=(AUTHENTICATED,)))


def token(actions: tuple[Action, ...], indexes: tuple[str, ...] = ()) -> Token:
    return Token("t1", "bob", "h", actions, indexes, created_at=datetime(2026, 1, 1, tzinfo=UTC))


ANON = Principal()
BOB = Principal("bob")
CAROL = Principal("carol")
ADMIN = Principal("root", is_admin=True)


@pytest.mark.parametrize(
    ("principal", "action", "index", "allowed"),
    [
        (ANON, Action.READ, OPEN, True),
        (ANON, Action.UPLOAD, OPEN, False),
        (BOB, Action.UPLOAD, OPEN, True),
        (BOB, Action.ADMIN, OPEN, False),
        (ADMIN, Action.ADMIN, OPEN, True),
        (ANON, Action.READ, PRIVATE, False),
        (CAROL, Action.READ, PRIVATE, False),
        (BOB, Action.READ, PRIVATE, True),
        (ANON, Action.READ, MEMBERS, False),
        (CAROL, Action.READ, MEMBERS, True),
        (Principal("bob", token=token((Action.READ,))), Action.UPLOAD, OPEN, False),
        (Principal("bob", token=token((Action.READ,))), Action.READ, OPEN, True),
        (Principal("bob", token=token((Action.UPLOAD,), ("other",))), Action.UPLOAD, OPEN, False),
        (Principal("bob", token=token((Action.UPLOAD,), ("open",))), Action.UPLOAD, OPEN, True),
        (Principal("root", True, token((Action.READ,))), Action.ADMIN, OPEN, False),
        (Principal("root", True, token((Action.ADMIN,))), Action.UPLOAD, OPEN, True),
    ],
)
def test_permits(principal: Principal, action: Action, index: Index, allowed: bool) -> None:
    assert permits(principal, action, index) is allowed


def test_anonymous_refusal_asks_to_sign_in() -> None:
    with pytest.raises(UnauthenticatedError, match="Sign in to upload to index 'open'"):
        require(ANON, Action.UPLOAD, OPEN)


def test_token_refusal_names_the_token_and_its_scope() -> None:
    scoped = Principal("bob", token=token((Action.READ,), ("open",)))
    with pytest.raises(ForbiddenError, match=r"Token t1 may not upload to .*allows read on open"):
        require(scoped, Action.UPLOAD, OPEN)


def test_user_refusal_names_the_user() -> None:
    with pytest.raises(ForbiddenError, match="User 'carol' may not read from index 'private'"):
        require(CAROL, Action.READ, PRIVATE)


def test_admin_is_required_for_server_administration() -> None:
    require_admin(ADMIN)
    with pytest.raises(ForbiddenError):
        require_admin(BOB)
    with pytest.raises(UnauthenticatedError):
        require_admin(ANON)
    with pytest.raises(ForbiddenError):
        require_admin(Principal("root", True, token((Action.UPLOAD,))))


def test_anonymous_entry_opens_reads_to_everyone() -> None:
    public = Index("pub", "python", IndexKind.HOSTED, acl=Acl(read=(ANONYMOUS,), upload=()))
    assert permits(ANON, Action.READ, public)
    assert not permits(BOB, Action.UPLOAD, public)


# package rules ------------------------------------------------------------------------

CORP = Index(
    "corp", "npm", IndexKind.HOSTED,
    package_rules=(
        PackageRule("@corp/secret-*", read=("bob",), upload=("bob",), unpublish=("bob",)),
        PackageRule("@corp/*", read=(AUTHENTICATED,), upload=("carol",)),
        PackageRule("@corp/open", read=(ANONYMOUS,)),  # shadowed: the rule above matches first
    ),
)


@pytest.mark.parametrize(
    ("principal", "action", "project", "allowed"),
    [
        (ANON, Action.READ, "left-pad", True),  # no rule: the index ACL
        (BOB, Action.UPLOAD, "left-pad", True),
        (ANON, Action.READ, "@corp/tool", False),
        (BOB, Action.READ, "@corp/tool", True),
        (BOB, Action.UPLOAD, "@corp/tool", False),
        (CAROL, Action.UPLOAD, "@corp/tool", True),
        (ANON, Action.READ, "@corp/open", False),
        (CAROL, Action.READ, "@corp/secret-plans", False),
        (BOB, Action.READ, "@corp/secret-plans", True),
        (ADMIN, Action.UPLOAD, "@corp/secret-plans", True),
        (BOB, Action.READ, None, True),  # the index itself
    ],
)
def test_package_rules(
    principal: Principal, action: Action, project: str | None, allowed: bool
) -> None:
    assert permits(principal, action, CORP, project) is allowed


def test_rules_given_by_a_group_replace_the_index_own() -> None:
    group = Index("all", "npm", IndexKind.GROUP, members=("corp",))
    assert permits(ANON, Action.READ, group, "@corp/tool")
    assert not permits(ANON, Action.READ, group, "@corp/tool", CORP.package_rules)


def test_a_rule_refusal_names_the_pattern_and_the_fix() -> None:
    with pytest.raises(UnauthenticatedError, match=r"'@corp/\*'.*sign in"):
        require(ANON, Action.READ, CORP, "@corp/tool")
    with pytest.raises(ForbiddenError, match=r"'bob' is not one of them") as refused:
        require(BOB, Action.UPLOAD, CORP, "@corp/tool")
    assert refused.value.hint.endswith("wharf index rule add corp '@corp/*' --upload bob")


def test_a_token_scope_still_binds_under_a_rule() -> None:
    scoped = Principal("bob", token=token((Action.READ,)))
    assert permits(scoped, Action.READ, CORP, "@corp/secret-plans")
    assert not permits(scoped, Action.UPLOAD, CORP, "@corp/secret-plans")


@pytest.mark.parametrize(
    ("principal", "project", "answer"),
    [
        (BOB, "@corp/secret-plans", True),
        (CAROL, "@corp/secret-plans", False),
        (CAROL, "@corp/tool", None),  # the rule says nothing about unpublishing
        (CAROL, "left-pad", None),
    ],
)
def test_may_unpublish(principal: Principal, project: str, answer: bool | None) -> None:
    assert may_unpublish(principal, project, CORP.package_rules) is answer


def test_rule_for_takes_the_first_match() -> None:
    rule = rule_for(CORP.package_rules, "@corp/open")
    assert rule is not None
    assert rule.pattern == "@corp/*"
    assert rule_for(CORP.package_rules, None) is None
