"""Credentials on a request → ``Principal``.

Basic (user + password, or ``__token__`` + token) and Bearer (token) are accepted. Verified
credentials are remembered for a short time, keyed by a digest of the header, so clients that
send credentials with every request (pip, uv) do not pay for argon2 on each one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time

from wharf.core.errors import UnauthenticatedError
from wharf.core.models import Principal
from wharf.services.accounts import AccountService

ANONYMOUS = Principal()


class Authenticator:
    def __init__(self, accounts: AccountService, ttl_seconds: float = 30.0) -> None:
        self._accounts = accounts
        self._ttl = ttl_seconds
        self._cache: dict[bytes, tuple[float, Principal]] = {}

    async def principal(self, authorization: str | None) -> Principal:
        if not authorization:
            return ANONYMOUS
        key = hashlib.sha256(authorization.encode()).digest()
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = await self._verify(authorization)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now + self._ttl, principal)
        return principal

    async def _verify(self, authorization: str) -> Principal:
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "bearer" and value:
            return await self._accounts.authenticate_token(value)
        if scheme == "basic" and value:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise UnauthenticatedError(
                    "The Authorization header is not valid Basic credentials."
                ) from None
            name, sep, password = decoded.partition(":")
            if not sep:
                raise UnauthenticatedError("Basic credentials need 'user:password'.")
            return await self._accounts.authenticate_password(name, password)
        raise UnauthenticatedError(
            f"Unsupported authorization scheme '{scheme}'.",
            hint="Use Basic (user and password, or __token__ and a token) or Bearer (a token).",
        )
