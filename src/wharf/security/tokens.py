"""API token secrets: ``wharf_<id>_<random>``.

The ``wharf_`` prefix lets secret scanners recognise a leaked token. The id (12 characters)
is public: it names the token in listings and audit logs and finds its stored hash. The
random part is 32 characters drawn by ``secrets`` from 62 letters and digits, about 190
bits, so the secret cannot be guessed and a fast hash (sha256) is the right way to store it:
slow password hashes only help against guessing low-entropy secrets, and they would cost
every authenticated request a lot of CPU.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

PREFIX = "wharf_"
_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 12
_RANDOM_LENGTH = 32
_FORMAT = re.compile(rf"{PREFIX}([A-Za-z0-9]{{{_ID_LENGTH}}})_[A-Za-z0-9]{{{_RANDOM_LENGTH}}}")


def new_token_secret() -> tuple[str, str, str]:
    """A new token as ``(token_id, full_secret, secret_hash)``. Show the secret once only."""
    token_id = _random_text(_ID_LENGTH)
    secret = f"{PREFIX}{token_id}_{_random_text(_RANDOM_LENGTH)}"
    return token_id, secret, hash_token_secret(secret)


def split_token(secret: str) -> str | None:
    """The token id inside a well-formed secret, or None when it is not one."""
    match = _FORMAT.fullmatch(secret)
    return match.group(1) if match else None


def hash_token_secret(secret: str) -> str:
    """The sha256 hex digest under which a secret is stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def verify_token_secret(secret: str, secret_hash: str) -> bool:
    """True when ``secret`` hashes to ``secret_hash`` (compared in constant time)."""
    actual = hash_token_secret(secret).encode("ascii")
    return hmac.compare_digest(actual, secret_hash.encode("utf-8", "replace"))


def _random_text(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
