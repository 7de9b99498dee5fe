"""Wharf's npm signing key as the server holds it: loaded on first use.

The cryptography library (about 8 MB per server process) is needed only to sign a hosted
version or to show the public key. Every packument request needs the key's id (it names
the page cache entries, so a replaced key never serves old signatures), so the id is kept
beside the key (``<key>.keyid``) together with the digest of the key file it belongs to:
a key file replaced on disk makes the stored id stale, and it is worked out again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wharf.formats.npm.signing import Signer

KEY_FILE = Path("keys") / "npm-signing.pem"
"""Where the signing key lives, relative to the data directory."""


class SigningKey:
    """Signs like ``signing.Signer``; the key (and cryptography) load on the first
    signature or public key asked for; the id comes from the stored id while it is
    current."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._signer: Signer | None = None
        self._keyid: str | None = None

    @property
    def keyid(self) -> str:
        if self._keyid is None:
            self._keyid = self._stored_id() or self._remember_id()
        return self._keyid

    def prepare(self) -> None:
        """Create the key if there is none yet, and store its id (``wharf serve`` does it
        once, before the workers start, so that they find both)."""
        self._keyid = self._stored_id() or self._remember_id()

    def sign(self, name: str, version: str, integrity: str) -> dict[str, str]:
        return self.loaded().sign(name, version, integrity)

    def public_key_entry(self) -> dict[str, Any]:
        return self.loaded().public_key_entry()

    def loaded(self) -> Signer:
        """The key itself (created on the very first use of a data directory)."""
        if self._signer is None:
            from wharf.formats.npm.signing import load_or_create  # noqa: PLC0415

            self._signer = load_or_create(self.path)
        return self._signer

    def _id_file(self) -> Path:
        return self.path.with_name(self.path.name + ".keyid")

    def _stored_id(self) -> str | None:
        try:
            digest, keyid = self._id_file().read_text().split()
            current = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except (OSError, ValueError):
            return None
        return keyid if digest == current else None

    def _remember_id(self) -> str:
        keyid = self.loaded().keyid
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        temporary = self._id_file().with_name(f".{self._id_file().name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(f"{digest} {keyid}\n")
            os.replace(temporary, self._id_file())
        except OSError:  # a read-only data directory: the id is worked out each start
            temporary.unlink(missing_ok=True)
        return keyid
