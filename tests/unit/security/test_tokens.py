from __future__ import annotations

import hashlib
import math
import re

from wharf.security.tokens import (
    hash_token_secret,
    new_token_secret,
    split_token,
    verify_token_secret,
)


def test_new_token_has_prefix_id_and_random_part() -> None:
    token_id, secret, secret_hash = new_token_secret()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", token_id)
    assert secret.startswith(f"wharf_{token_id}_")
    random_part = secret.removeprefix(f"wharf_{token_id}_")
    assert len(random_part) * math.log2(62) >= 160
    assert secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in secret_hash


def test_tokens_are_unique() -> None:
    tokens = [new_token_secret() for _ in range(200)]
    assert len({t[0] for t in tokens}) == 200
    assert len({t[1] for t in tokens}) == 200


def test_split_token_returns_the_id_of_a_well_formed_secret() -> None:
    token_id, secret, _ = new_token_secret()
    assert split_token(secret) == token_id


def test_split_token_rejects_other_strings() -> None:
    _, secret, _ = new_token_secret()
    for bad in (
        "",
        "wharf_",
        secret[:-1],
        secret + "x",
        secret.replace("wharf_", "wharv_"),
        secret.replace("_", "-"),
        " " + secret,
        secret[:10] + "!" + secret[11:],
        "password123",
    ):
        assert split_token(bad) is None, bad


def test_verify_token_secret() -> None:
    _, secret, secret_hash = new_token_secret()
    _, other, _ = new_token_secret()
    assert verify_token_secret(secret, secret_hash)
    assert not verify_token_secret(other, secret_hash)
    assert not verify_token_secret(secret, "")
    assert not verify_token_secret(secret, "é" * 64)
    assert hash_token_secret(secret) == secret_hash
