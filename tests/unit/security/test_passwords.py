from __future__ import annotations

import base64
import hashlib

import argon2
import bcrypt
import pytest
from passlib.hash import apr_md5_crypt

from wharf.core.ports import PasswordHasher
from wharf.security.passwords import Argon2PasswordHasher, HashScheme, identify_scheme

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher()


def sha1_htpasswd(password: str) -> str:
    return "{SHA}" + base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()


def bcrypt_htpasswd(password: str, prefix: bytes = b"$2y$") -> str:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4))
    return (prefix + hashed[4:]).decode()


def test_hasher_satisfies_the_port(hasher: Argon2PasswordHasher) -> None:
    port: PasswordHasher = hasher
    assert port.verify(port.hash("x"), "x")


def test_argon2_round_trip(hasher: Argon2PasswordHasher) -> None:
    hashed = hasher.hash(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert hasher.verify(hashed, PASSWORD)
    assert not hasher.verify(hashed, PASSWORD + "!")
    assert not hasher.needs_rehash(hashed)


def test_argon2_hashes_are_salted(hasher: Argon2PasswordHasher) -> None:
    assert hasher.hash(PASSWORD) != hasher.hash(PASSWORD)


@pytest.mark.parametrize("prefix", [b"$2y$", b"$2b$", b"$2a$"])
def test_bcrypt_htpasswd_hashes_verify(hasher: Argon2PasswordHasher, prefix: bytes) -> None:
    hashed = bcrypt_htpasswd(PASSWORD, prefix)
    assert identify_scheme(hashed) is HashScheme.BCRYPT
    assert hasher.verify(hashed, PASSWORD)
    assert not hasher.verify(hashed, "wrong")
    assert hasher.needs_rehash(hashed)


def test_bcrypt_reads_only_72_bytes_like_htpasswd(hasher: Argon2PasswordHasher) -> None:
    long_password = "x" * 80
    hashed = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    assert hasher.verify(hashed, long_password)
    assert not hasher.verify(hashed, "x" * 71)


def test_sha1_htpasswd_hash_verifies(hasher: Argon2PasswordHasher) -> None:
    hashed = sha1_htpasswd(PASSWORD)
    assert identify_scheme(hashed) is HashScheme.SHA1
    assert hasher.verify(hashed, PASSWORD)
    assert not hasher.verify(hashed, "wrong")
    assert hasher.needs_rehash(hashed)


def test_apr1_htpasswd_hash_verifies(hasher: Argon2PasswordHasher) -> None:
    hashed = apr_md5_crypt.hash(PASSWORD)
    assert identify_scheme(hashed) is HashScheme.APR1
    assert hasher.verify(hashed, PASSWORD)
    assert not hasher.verify(hashed, "wrong")
    assert hasher.needs_rehash(hashed)


def test_non_ascii_passwords(hasher: Argon2PasswordHasher) -> None:
    password = "pässwörd-密码"
    for hashed in (
        hasher.hash(password),
        bcrypt_htpasswd(password),
        sha1_htpasswd(password),
        apr_md5_crypt.hash(password),
    ):
        assert hasher.verify(hashed, password), hashed
        assert not hasher.verify(hashed, "passwort")


@pytest.mark.parametrize(
    "hashed",
    [
        "",
        PASSWORD,  # a plain-text entry never matches
        "$argon2id$v=19$m=65536,t=3,p=4$garbage",
        "$argon2id$",
        "$2y$05$tooshort",
        "$2y$05$" + "!" * 53,
        "{SHA}not-base64",
        "$apr1$salt$short",
        "$apr1$HzOxahIU$SjxYTqXzAYOq1mQiLtQDw!",
        "$1$saltsalt$abcdefghijklmnopqrstuv",
        "abJnggxhB/yWI",  # DES crypt
        "$argon2id$v=19$m=65536,t=3,p=4$ñ$ñ",
    ],
)
def test_malformed_or_unsupported_hashes_never_verify(
    hasher: Argon2PasswordHasher, hashed: str
) -> None:
    assert not hasher.verify(hashed, PASSWORD)
    assert hasher.needs_rehash(hashed)


def test_weaker_argon2_parameters_need_rehash(hasher: Argon2PasswordHasher) -> None:
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    assert hasher.verify(weak, PASSWORD)
    assert hasher.needs_rehash(weak)
