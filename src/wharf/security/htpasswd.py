"""Reading Apache ``htpasswd`` files, to import the users of an existing registry."""

from __future__ import annotations

import re

from wharf.security.passwords import ACCEPTED_SCHEMES, identify_scheme

_DES_CRYPT = re.compile(r"[./0-9A-Za-z]{13}")
_MALFORMED_PREFIXES = (
    ("$2", "malformed bcrypt"),
    ("{SHA}", "malformed {SHA}"),
    ("$apr1$", "malformed Apache MD5"),
    ("$1$", "MD5-crypt ($1$)"),
    ("$5$", "SHA-256-crypt ($5$)"),
    ("$6$", "SHA-512-crypt ($6$)"),
)


def parse_htpasswd(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The ``(user, hash)`` pairs of an htpasswd file, and a problem per line left out.

    Blank lines and ``#`` comments are skipped. A problem names the line and user, never the
    hash (a "plain" entry would be the password itself). For a user listed twice the first
    entry wins, as in Apache.
    """
    entries: list[tuple[str, str]] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, colon, hashed = line.partition(":")
        user, hashed = user.strip(), hashed.strip()
        if not colon or not user or not hashed:
            problems.append(f"line {number}: expected 'user:hash'")
            continue
        if user in first_line:
            problems.append(
                f"line {number}: user {user!r} already appears on line {first_line[user]}; "
                "the first entry is used"
            )
            continue
        if identify_scheme(hashed) is None:
            problems.append(
                f"line {number}: user {user!r} has an unsupported {describe_hash(hashed)} "
                f"hash; accepted are {ACCEPTED_SCHEMES} (for example 'htpasswd -B')"
            )
            continue
        first_line[user] = number
        entries.append((user, hashed))
    return entries, problems


def describe_hash(hashed: str) -> str:
    """A name for a hash Wharf does not accept, without revealing any of it."""
    for prefix, name in _MALFORMED_PREFIXES:
        if hashed.startswith(prefix):
            return name
    if _DES_CRYPT.fullmatch(hashed):
        return "crypt (DES)"
    return "plain-text or unknown"
