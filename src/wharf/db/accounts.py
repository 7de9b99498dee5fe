"""Users and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from wharf.core.errors import ConflictError, NotFoundError
from wharf.core.models import Action, Token, User
from wharf.db.base import StoreBase, utc_now
from wharf.db.tables import tokens, users


def _user_from_row(row: sa.Row[Any]) -> User:
    return User(
        name=row.name,
        password_hash=row.password_hash,
        is_admin=row.is_admin,
        created_at=row.created_at,
    )


def _token_from_row(row: sa.Row[Any]) -> Token:
    return Token(
        id=row.id,
        user=row.user_name,
        secret_hash=row.secret_hash,
        actions=tuple(Action(action) for action in row.actions),
        indexes=tuple(row.indexes),
        expires_at=row.expires_at,
        created_at=row.created_at,
        description=row.description,
        revoked=row.revoked,
        last_used_at=row.last_used_at,
    )


def _fetch_user(connection: sa.Connection, name: str) -> User | None:
    row = connection.execute(sa.select(users).where(users.c.name == name)).first()
    return None if row is None else _user_from_row(row)


def _fetch_token(connection: sa.Connection, token_id: str) -> Token | None:
    row = connection.execute(sa.select(tokens).where(tokens.c.id == token_id)).first()
    return None if row is None else _token_from_row(row)


def _user_missing(name: str) -> NotFoundError:
    return NotFoundError(f"No user named {name!r}.")


class AccountsMixin(StoreBase):
    async def add_user(self, user: User) -> User:
        def body(connection: sa.Connection) -> User:
            if _fetch_user(connection, user.name) is not None:
                raise ConflictError(f"A user named {user.name!r} already exists.")
            connection.execute(
                sa.insert(users).values(
                    name=user.name,
                    password_hash=user.password_hash,
                    is_admin=user.is_admin,
                    created_at=user.created_at or utc_now(),
                )
            )
            stored = _fetch_user(connection, user.name)
            assert stored is not None
            return stored

        return await self._write(body)

    async def get_user(self, name: str) -> User | None:
        return await self._read(lambda connection: _fetch_user(connection, name))

    async def list_users(self) -> list[User]:
        def body(connection: sa.Connection) -> list[User]:
            rows = connection.execute(sa.select(users).order_by(users.c.name))
            return [_user_from_row(row) for row in rows]

        return await self._read(body)

    async def update_user(self, user: User) -> User:
        """Replace the password hash and admin flag. ``NotFoundError``."""

        def body(connection: sa.Connection) -> User:
            result = connection.execute(
                sa.update(users)
                .where(users.c.name == user.name)
                .values(password_hash=user.password_hash, is_admin=user.is_admin)
            )
            if result.rowcount == 0:
                raise _user_missing(user.name)
            stored = _fetch_user(connection, user.name)
            assert stored is not None
            return stored

        return await self._write(body)

    async def delete_user(self, name: str) -> None:
        def body(connection: sa.Connection) -> None:
            result = connection.execute(sa.delete(users).where(users.c.name == name))
            if result.rowcount == 0:
                raise _user_missing(name)
            connection.execute(
                sa.update(tokens).where(tokens.c.user_name == name).values(revoked=True)
            )

        await self._write(body)

    async def add_token(self, token: Token) -> Token:
        """``NotFoundError`` for an unknown user, ``ConflictError`` for a taken id."""

        def body(connection: sa.Connection) -> Token:
            if _fetch_user(connection, token.user) is None:
                raise _user_missing(token.user)
            if _fetch_token(connection, token.id) is not None:
                raise ConflictError(f"A token with id {token.id!r} already exists.")
            connection.execute(
                sa.insert(tokens).values(
                    id=token.id,
                    user_name=token.user,
                    secret_hash=token.secret_hash,
                    actions=[Action(action).value for action in token.actions],
                    indexes=list(token.indexes),
                    expires_at=token.expires_at,
                    created_at=token.created_at or utc_now(),
                    description=token.description,
                    revoked=token.revoked,
                    last_used_at=token.last_used_at,
                )
            )
            stored = _fetch_token(connection, token.id)
            assert stored is not None
            return stored

        return await self._write(body)

    async def get_token(self, token_id: str) -> Token | None:
        return await self._read(lambda connection: _fetch_token(connection, token_id))

    async def list_tokens(self, user: str | None = None) -> list[Token]:
        def body(connection: sa.Connection) -> list[Token]:
            query = sa.select(tokens).order_by(tokens.c.created_at, tokens.c.id)
            if user is not None:
                query = query.where(tokens.c.user_name == user)
            return [_token_from_row(row) for row in connection.execute(query)]

        return await self._read(body)

    async def revoke_token(self, token_id: str) -> None:
        def body(connection: sa.Connection) -> None:
            result = connection.execute(
                sa.update(tokens).where(tokens.c.id == token_id).values(revoked=True)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"No token with id {token_id!r}.")

        await self._write(body)

    async def touch_token(self, token_id: str, at: datetime) -> None:
        def body(connection: sa.Connection) -> None:
            # Never move backwards; a missing token is ignored (best effort).
            connection.execute(
                sa.update(tokens)
                .where(
                    tokens.c.id == token_id,
                    sa.or_(tokens.c.last_used_at.is_(None), tokens.c.last_used_at < at),
                )
                .values(last_used_at=at)
            )

        await self._write(body)
