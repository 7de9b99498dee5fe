"""Password hashing: argon2 for new hashes, plus the hashes ``htpasswd`` files carry.

Users imported from an htpasswd file keep their bcrypt, ``{SHA}`` or ``$apr1$`` hash until
they next sign in; ``needs_rehash`` tells the caller to replace it with an argon2 hash then.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from enum import StrEnum

import argon2
import bcrypt
from argon2.exceptions import InvalidHashError, VerificationError
from passlib.hash import apr_md5_crypt

_BCRYPT = re.compile(r"\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}")
_SHA1 = re.compile(r"\{SHA\}[A-Za-z0-9+/]{27}=")
_APR1 = re.compile(r"\$apr1\$[./A-Za-z0-9]{0,8}\$[./A-Za-z0-9]{22}")
_BCRYPT_MAX_BYTES = 72


class HashScheme(StrEnum):
    ARGON2 = "argon2"
    BCRYPT = "bcrypt"
    SHA1 = "{SHA}"
    APR1 = "apr1"


ACCEPTED_SCHEMES = "argon2, bcrypt ($2y$, $2b$, $2a$), {SHA} and Apache MD5 ($apr1$)"


def identify_scheme(hashed: str) -> HashScheme | None:
    """The scheme of a well-formed stored hash, or None for anything else."""
    if hashed.startswith("$argon2"):
        return HashScheme.ARGON2
    if _BCRYPT.fullmatch(hashed):
        return HashScheme.BCRYPT
    if _SHA1.fullmatch(hashed):
        return HashScheme.SHA1
    if _APR1.fullmatch(hashed):
        return HashScheme.APR1
    return None


class Argon2PasswordHasher:
    """``PasswordHasher``: hashes with argon2id (argon2-cffi defaults), verifies more."""

    def __init__(self) -> None:
        self._argon2 = argon2.PasswordHasher()

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        """True when ``password`` matches; False on mismatch or a malformed hash."""
        try:
            return self._verify(hashed, password)
        except (ValueError, TypeError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        """True when ``hashed`` should be replaced by a fresh argon2 hash (on next sign-in)."""
        if identify_scheme(hashed) is not HashScheme.ARGON2:
            return True
        try:
            return self._argon2.check_needs_rehash(hashed)
        except (ValueError, InvalidHashError):
            return True

    def _verify(self, hashed: str, password: str) -> bool:
        scheme = identify_scheme(hashed)
        if scheme is HashScheme.ARGON2:
            return self._argon2.verify(hashed, password)
        if scheme is HashScheme.BCRYPT:
            # htpasswd's bcrypt reads at most 72 bytes; the bcrypt package refuses more.
            secret = password.encode("utf-8")[:_BCRYPT_MAX_BYTES]
            return bcrypt.checkpw(secret, hashed.encode("ascii"))
        if scheme is HashScheme.SHA1:
            digest = hashlib.sha1(password.encode("utf-8")).digest()  # noqa: S324 - htpasswd's
            expected = b"{SHA}" + base64.b64encode(digest)
            return hmac.compare_digest(expected, hashed.encode("ascii"))
        if scheme is HashScheme.APR1:
            return bool(apr_md5_crypt.verify(password, hashed))
        return False
