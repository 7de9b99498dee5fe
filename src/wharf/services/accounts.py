"""Users, passwords and API tokens; turning credentials into a ``Principal``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from wharf.core.errors import (
    InvalidRequestError,
    NotFoundError,
    UnauthenticatedError,
)
from wharf.core.models import Action, Principal, Token, User
from wharf.core.ports import Clock, MetadataStore, PasswordHasher
from wharf.security.htpasswd import parse_htpasswd
from wharf.security.tokens import new_token_secret, split_token, verify_token_secret
from wharf.services.access import is_expired

USER_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
TOKEN_USER = "__token__"  # noqa: S105 - the user name twine sends with a token
MIN_PASSWORD = 8
BAD_CREDENTIALS = UnauthenticatedError(
    "Wrong user name or password.",
    hint="Check the credentials; an API token goes in the password with user name __token__.",
)


class AccountService:
    def __init__(self, store: MetadataStore, hasher: PasswordHasher, clock: Clock) -> None:
        self._store = store
        self._hasher = hasher
        self._clock = clock

    # users
    async def add_user(self, name: str, password: str, *, admin: bool = False) -> User:
        problems = check_user_name(name) + check_password(password)
        if problems:
            raise InvalidRequestError("; ".join(problems) + ".")
        user = User(name, self._hasher.hash(password), admin, self._clock.now())
        return await self._store.add_user(user)

    async def set_password(self, name: str, password: str) -> User:
        problems = check_password(password)
        if problems:
            raise InvalidRequestError("; ".join(problems) + ".")
        user = await self.get_user(name)
        hashed = self._hasher.hash(password)
        return await self._store.update_user(replace(user, password_hash=hashed))

    async def get_user(self, name: str) -> User:
        user = await self._store.get_user(name)
        if user is None:
            raise NotFoundError(f"No user named '{name}'.", hint="List users: wharf user list")
        return user

    async def list_users(self) -> list[User]:
        return await self._store.list_users()

    async def delete_user(self, name: str) -> None:
        await self._store.delete_user(name)

    async def import_htpasswd(self, text: str, *, replace_existing: bool = False) -> list[str]:
        """Add users from an htpasswd file (their hashes are kept as they are and upgraded to
        argon2 on their first successful sign-in). Returns the names imported."""
        entries, problems = parse_htpasswd(text)
        if problems:
            raise InvalidRequestError("; ".join(problems) + ".")
        imported = []
        for name, hashed in entries:
            name_problems = check_user_name(name)
            if name_problems:
                raise InvalidRequestError("; ".join(name_problems) + ".")
            existing = await self._store.get_user(name)
            if existing is not None:
                if replace_existing:
                    await self._store.update_user(replace(existing, password_hash=hashed))
                    imported.append(name)
                continue
            await self._store.add_user(User(name, hashed, False, self._clock.now()))
            imported.append(name)
        return imported

    # tokens
    async def create_token(
        self,
        user: str,
        actions: Sequence[Action],
        *,
        indexes: Sequence[str] = (),
        expires_at: datetime | None = None,
        description: str = "",
    ) -> tuple[Token, str]:
        """A new token and its secret (shown once; only its hash is kept)."""
        await self.get_user(user)
        if not actions:
            raise InvalidRequestError("A token needs at least one action (read, upload, admin).")
        if expires_at is not None and expires_at <= self._clock.now():
            raise InvalidRequestError("The expiry date is in the past.")
        token_id, secret, secret_hash = new_token_secret()
        token = Token(
            id=token_id,
            user=user,
            secret_hash=secret_hash,
            actions=tuple(dict.fromkeys(actions)),
            indexes=tuple(indexes),
            expires_at=expires_at,
            created_at=self._clock.now(),
            description=description,
        )
        return await self._store.add_token(token), secret

    async def list_tokens(self, user: str | None = None) -> list[Token]:
        return await self._store.list_tokens(user)

    async def revoke_token(self, token_id: str) -> None:
        await self._store.revoke_token(token_id)

    async def get_token(self, token_id: str) -> Token:
        token = await self._store.get_token(token_id)
        if token is None:
            raise NotFoundError(f"No token with id '{token_id}'.")
        return token

    # authentication
    async def authenticate_password(self, name: str, password: str) -> Principal:
        """Basic credentials: a user and password, or ``__token__`` and a token secret."""
        if name == TOKEN_USER or split_token(password) is not None:
            principal = await self.authenticate_token(password)
            if name not in (TOKEN_USER, principal.user):
                raise BAD_CREDENTIALS
            return principal
        user = await self._store.get_user(name)
        if user is None or not self._hasher.verify(user.password_hash, password):
            raise BAD_CREDENTIALS
        if self._hasher.needs_rehash(user.password_hash):
            await self._store.update_user(replace(user, password_hash=self._hasher.hash(password)))
        return Principal(user.name, user.is_admin)

    async def authenticate_token(self, secret: str) -> Principal:
        token_id = split_token(secret)
        token = await self._store.get_token(token_id) if token_id else None
        if token is None or not verify_token_secret(secret, token.secret_hash):
            raise UnauthenticatedError(
                "Unknown API token.", hint="Create one with: wharf token create --user NAME"
            )
        now = self._clock.now()
        if token.revoked:
            raise UnauthenticatedError(
                f"Token {token.id} was revoked.", hint="Create a new one: wharf token create"
            )
        if is_expired(token.expires_at, now):
            raise UnauthenticatedError(
                f"Token {token.id} expired at {token.expires_at:%Y-%m-%d %H:%M} UTC.",
                hint="Create a new one: wharf token create",
            )
        user = await self._store.get_user(token.user)
        if user is None:
            raise UnauthenticatedError(f"The owner of token {token.id} no longer exists.")
        await self._store.touch_token(token.id, now)
        return Principal(user.name, user.is_admin, token)


def check_user_name(name: str) -> list[str]:
    if name == TOKEN_USER or not USER_RULE.match(name):
        return [
            f"'{name}' is not a valid user name: use up to 100 letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit"
        ]
    return []


def check_password(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD:
        return [f"The password is too short: use at least {MIN_PASSWORD} characters"]
    return []
