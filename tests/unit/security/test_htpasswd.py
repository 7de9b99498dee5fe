from __future__ import annotations

import base64
import hashlib

import bcrypt
from passlib.hash import apr_md5_crypt

from wharf.security.htpasswd import parse_htpasswd
from wharf.security.passwords import Argon2PasswordHasher


def make_file() -> tuple[str, dict[str, str]]:
    hashes = {
        "alice": bcrypt.hashpw(b"alice-pw", bcrypt.gensalt(rounds=4))
        .decode()
        .replace("$2b$", "$2y$"),
        "bob": "{SHA}" + base64.b64encode(hashlib.sha1(b"bob-pw").digest()).decode(),
        "carol": apr_md5_crypt.hash("carol-pw"),
    }
    text = "# users of the old registry\n\n" + "".join(f"{u}:{h}\n" for u, h in hashes.items())
    return text, hashes


def test_supported_entries_are_read_and_verify() -> None:
    text, hashes = make_file()
    entries, problems = parse_htpasswd(text)
    assert problems == []
    assert entries == list(hashes.items())
    hasher = Argon2PasswordHasher()
    for user, hashed in entries:
        assert hasher.verify(hashed, f"{user}-pw")
        assert not hasher.verify(hashed, "wrong")


def test_windows_line_endings_and_spaces_are_tolerated() -> None:
    text, hashes = make_file()
    entries, problems = parse_htpasswd(text.replace("\n", "  \r\n"))
    assert problems == []
    assert dict(entries) == hashes


def test_unsupported_schemes_are_reported_by_line_without_the_hash() -> None:
    text = (
        "plain:my-password\n"
        "des:abJnggxhB/yWI\n"
        "md5crypt:$1$saltsalt$abcdefghijklmnopqrstuv\n"
        "sha512:$6$salt$abc\n"
        "broken:$2y$05$short\n"
    )
    entries, problems = parse_htpasswd(text)
    assert entries == []
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in range(1, 6)]
    assert "plain-text" in problems[0]
    assert "crypt (DES)" in problems[1]
    assert "MD5-crypt" in problems[2]
    assert "SHA-512-crypt" in problems[3]
    assert "malformed bcrypt" in problems[4]
    for problem in problems:
        assert "bcrypt" in problem
        assert "{SHA}" in problem
        assert "$apr1$" in problem
    assert "my-password" not in "".join(problems)
    assert "abJnggxhB" not in "".join(problems)


def test_malformed_lines_and_duplicates_are_problems() -> None:
    _, hashes = make_file()
    text = f"no-colon-here\n:{hashes['bob']}\nbob:\nbob:{hashes['bob']}\nbob:{hashes['carol']}\n"
    entries, problems = parse_htpasswd(text)
    assert entries == [("bob", hashes["bob"])]
    assert problems[:3] == [f"line {n}: expected 'user:hash'" for n in (1, 2, 3)]
    assert problems[3].startswith("line 5: user 'bob' already appears on line 4")


def test_empty_file() -> None:
    assert parse_htpasswd("") == ([], [])
