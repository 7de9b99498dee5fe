"""Checks on the sha256 digests that name blobs, and the errors both blob stores raise."""

from __future__ import annotations

import re

from wharf.core.errors import InvalidRequestError, NotFoundError, UpstreamIntegrityError

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: object) -> bool:
    """True when ``value`` is 64 lowercase hex characters."""
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


def check_sha256(sha256: str) -> str:
    """Return ``sha256`` when it is 64 lowercase hex characters, else raise.

    Blob names become file paths, so nothing else may get through (no ``..``, no ``/``).
    """
    if not is_sha256(sha256):
        shown = repr(sha256)[:80]
        raise InvalidRequestError(
            f"{shown} is not a sha256 digest",
            hint="give the digest as 64 lowercase hexadecimal characters",
        )
    return sha256


def check_expected(actual: str, expected: str | None) -> None:
    """Raise ``UpstreamIntegrityError`` when an expected digest differs from the actual one."""
    if expected is None:
        return
    wanted = check_sha256(expected.lower())
    if actual != wanted:
        raise UpstreamIntegrityError(
            f"content has sha256 {actual} but {wanted} was expected; nothing was kept",
            hint="the bytes were corrupted or changed on the way; try again, and check the "
            "upstream if it keeps happening",
        )


def missing_blob(sha256: str) -> NotFoundError:
    """The error for a blob that is not stored."""
    return NotFoundError(
        f"blob {sha256} is not in the blob store",
        hint="run 'wharf fsck' to find metadata whose files are missing",
    )
