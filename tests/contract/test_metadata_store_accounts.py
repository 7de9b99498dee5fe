"""Contract of ``MetadataStore``: users, tokens and the audit log."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from wharf.core.errors import ConflictError, NotFoundError
from wharf.core.models import Action, AuditEvent, Token, User
from wharf.db import SqlMetadataStore

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def _token(token_id: str, user: str = "alice", **fields: object) -> Token:
    return Token(
        id=token_id,
        user=user,
        secret_hash=f"hash-{token_id}",
        actions=(Action.READ, Action.UPLOAD),
        **fields,  # type: ignore[arg-type]
    )


# users


async def test_user_round_trip(metadata_store: SqlMetadataStore) -> None:
    alice = User("alice", "$argon2id$x", is_admin=True, created_at=T0)
    assert await metadata_store.add_user(alice) == alice
    assert await metadata_store.get_user("alice") == alice
    assert await metadata_store.get_user("bob") is None
    created = await metadata_store.add_user(User("bob", "{SHA}x"))
    assert created.created_at is not None
    assert created.created_at.tzinfo == UTC
    assert [user.name for user in await metadata_store.list_users()] == ["alice", "bob"]


async def test_user_names_are_unique(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.add_user(User("alice", "h1"))
    with pytest.raises(ConflictError, match="alice"):
        await metadata_store.add_user(User("alice", "h2"))
    stored = await metadata_store.get_user("alice")
    assert stored is not None
    assert stored.password_hash == "h1"


async def test_update_user(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.add_user(User("alice", "old", created_at=T0))
    updated = await metadata_store.update_user(User("alice", "new", is_admin=True))
    assert updated == User("alice", "new", is_admin=True, created_at=T0)
    assert await metadata_store.get_user("alice") == updated
    with pytest.raises(NotFoundError, match="bob"):
        await metadata_store.update_user(User("bob", "x"))


async def test_delete_user_revokes_their_tokens(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.add_user(User("alice", "h"))
    await metadata_store.add_user(User("bob", "h"))
    await metadata_store.add_token(_token("t-alice"))
    await metadata_store.add_token(_token("t-bob", user="bob"))

    await metadata_store.delete_user("alice")

    assert await metadata_store.get_user("alice") is None
    revoked = await metadata_store.get_token("t-alice")
    assert revoked is not None
    assert revoked.revoked
    untouched = await metadata_store.get_token("t-bob")
    assert untouched is not None
    assert not untouched.revoked
    with pytest.raises(NotFoundError, match="alice"):
        await metadata_store.delete_user("alice")
    # A new user of the same name does not get the old tokens back.
    await metadata_store.add_user(User("alice", "h"))
    again = await metadata_store.get_token("t-alice")
    assert again is not None
    assert again.revoked


# tokens


async def test_token_round_trip(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.add_user(User("alice", "h"))
    expires = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    token = Token(
        id="tok1",
        user="alice",
        secret_hash="hash",
        actions=(Action.READ, Action.UPLOAD, Action.ADMIN),
        indexes=("local", "npm-local"),
        expires_at=expires,
        created_at=T0,
        description="CI",
    )
    assert await metadata_store.add_token(token) == token
    stored = await metadata_store.get_token("tok1")
    assert stored == token
    assert stored is not None
    assert stored.actions == (Action.READ, Action.UPLOAD, Action.ADMIN)
    assert isinstance(stored.actions[0], Action)
    assert stored.expires_at is not None
    assert stored.expires_at.tzinfo == UTC
    assert stored.expires_at.hour == 14
    assert await metadata_store.get_token("nope") is None


async def test_token_needs_a_user_and_a_free_id(metadata_store: SqlMetadataStore) -> None:
    with pytest.raises(NotFoundError, match="alice"):
        await metadata_store.add_token(_token("tok1"))
    await metadata_store.add_user(User("alice", "h"))
    await metadata_store.add_token(_token("tok1"))
    with pytest.raises(ConflictError, match="tok1"):
        await metadata_store.add_token(_token("tok1"))


async def test_list_tokens(metadata_store: SqlMetadataStore) -> None:
    for name in ("alice", "bob"):
        await metadata_store.add_user(User(name, "h"))
    await metadata_store.add_token(_token("a1", created_at=T0))
    await metadata_store.add_token(_token("b1", user="bob", created_at=T0 + timedelta(1)))
    await metadata_store.add_token(_token("a2", created_at=T0 + timedelta(2)))
    assert [t.id for t in await metadata_store.list_tokens("alice")] == ["a1", "a2"]
    assert [t.id for t in await metadata_store.list_tokens()] == ["a1", "b1", "a2"]
    assert await metadata_store.list_tokens("carol") == []


async def test_revoke_token(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.add_user(User("alice", "h"))
    await metadata_store.add_token(_token("tok1"))
    await metadata_store.add_token(_token("tok2"))
    await metadata_store.revoke_token("tok1")
    assert {t.id: t.revoked for t in await metadata_store.list_tokens()} == {
        "tok1": True,
        "tok2": False,
    }
    with pytest.raises(NotFoundError, match="ghost"):
        await metadata_store.revoke_token("ghost")


async def test_touch_token_records_the_latest_use(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.add_user(User("alice", "h"))
    await metadata_store.add_token(_token("tok1"))
    await metadata_store.touch_token("tok1", T0 + timedelta(hours=2))
    await metadata_store.touch_token("tok1", T0 + timedelta(hours=1))  # late, out of order
    token = await metadata_store.get_token("tok1")
    assert token is not None
    assert token.last_used_at == T0 + timedelta(hours=2)
    await metadata_store.touch_token("ghost", T0)  # best effort: no error


# audit


def _event(action: str, minutes: int, **fields: object) -> AuditEvent:
    return AuditEvent(at=T0 + timedelta(minutes=minutes), action=action, **fields)  # type: ignore[arg-type]


async def test_audit_events_newest_first_with_every_field(
    metadata_store: SqlMetadataStore,
) -> None:
    full = _event(
        "artifact.upload",
        5,
        actor="alice",
        token_id="tok1",
        index="local",
        project="demo",
        version="1.0",
        filename="demo-1.0.tar.gz",
        address="192.0.2.1",
        user_agent="twine/6",
        detail={"size": 10, "policy": ["ok"]},
    )
    await metadata_store.add_audit_event(_event("user.add", 1))
    await metadata_store.add_audit_event(full)
    await metadata_store.add_audit_event(_event("user.delete", 3))
    events = await metadata_store.list_audit_events()
    assert [e.action for e in events] == ["artifact.upload", "user.delete", "user.add"]
    assert events[0].id is not None
    assert dataclasses.replace(events[0], id=None) == full
    assert events[0].at.tzinfo == UTC


async def test_audit_filters(metadata_store: SqlMetadataStore) -> None:
    for event in (
        _event("artifact.upload", 1, index="local", project="demo", version="1.0"),
        _event("artifact.download", 2, index="local", project="demo", version="2.0"),
        _event("artifact", 3, index="other", project="demo"),
        _event("artifacts.purge", 4, index="local"),
        _event("release.yank", 5, index="local", project="demo", version="1.0"),
        _event("user.add", 6),
    ):
        await metadata_store.add_audit_event(event)

    async def actions(**filters: object) -> list[str]:
        found = await metadata_store.list_audit_events(**filters)  # type: ignore[arg-type]
        return [event.action for event in found]

    assert await actions(action="artifact") == [
        "artifact",
        "artifact.download",
        "artifact.upload",
    ]
    assert await actions(action="artifact.upload") == ["artifact.upload"]
    assert await actions(action="artifact.up") == []
    assert await actions(index="local", project="demo", version="1.0") == [
        "release.yank",
        "artifact.upload",
    ]
    assert await actions(since=T0 + timedelta(minutes=4)) == [
        "user.add",
        "release.yank",
        "artifacts.purge",
    ]
    assert await actions(limit=2) == ["user.add", "release.yank"]
    assert await actions(action="artifact", index="local", limit=1) == ["artifact.download"]
