"""Registry signatures: Wharf vouches for the versions published to it, the way npm's
registry does, so ``npm audit signatures`` passes for trees that mix hosted and public
packages (a registry that lists keys must sign every version it serves, or npm reports the
unsigned ones as "missing").

The wire shape is the one npm and pacote verify:

- ``dist.signatures: [{"keyid", "sig"}]``, ``sig`` the base64 DER ECDSA (P-256, SHA-256)
  signature of ``<name>@<version>:<dist.integrity>``;
- ``GET /-/npm/v1/keys``: ``{"keys": [{"expires", "keyid", "keytype", "scheme", "key"}]}``,
  ``key`` the base64 DER SubjectPublicKeyInfo. pacote finds a signature's key by comparing
  ``keyid`` strings exactly and accepts any key whose ``expires`` is null.

Signing is deterministic (RFC 6979): the same version always gets the same bytes, so a page
rendered by any worker, before or after a restart, has the same body and ETag.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from wharf.core.errors import ConfigurationError

log = logging.getLogger(__name__)

KEY_TYPE = "ecdsa-sha2-nistp256"
"""Both ``keytype`` and ``scheme`` of the key entry, as npm's registry writes them."""



class Signer:
    """Holds Wharf's private signing key; signs ``<name>@<version>:<integrity>``."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"npm registry keys are P-256, not {key.curve.name}")
        self._key = key
        self._public = public_key_der(key.public_key())
        self.keyid = keyid_of(self._public)
        self._ecdsa = _ecdsa(key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    def public_key_entry(self) -> dict[str, Any]:
        """The key as ``/-/npm/v1/keys`` lists it. It never expires: pacote rejects
        signatures on versions published after a key's ``expires``, and rotating means a new
        key file (and re-signing, which every render does)."""
        return {
            "expires": None,
            "keyid": self.keyid,
            "keytype": KEY_TYPE,
            "scheme": KEY_TYPE,
            "key": base64.b64encode(self._public).decode("ascii"),
        }

    def sign(self, name: str, version: str, integrity: str) -> dict[str, str]:
        """One ``dist.signatures`` entry for the version."""
        signature = self._key.sign(message(name, version, integrity), self._ecdsa)
        return {"keyid": self.keyid, "sig": base64.b64encode(signature).decode("ascii")}

    def private_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def message(name: str, version: str, integrity: str) -> bytes:
    """What a registry signature covers: pacote's ``${_id}:${_integrity}``."""
    return f"{name}@{version}:{integrity}".encode()


def public_key_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def keyid_of(public_der: bytes) -> str:
    """``SHA256:`` and the unpadded base64 of the SPKI's SHA-256, as npm's registry names
    its keys (only exact equality matters to clients)."""
    digest = hashlib.sha256(public_der).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def verify(
    keys: Sequence[Mapping[str, Any]], name: str, version: str, integrity: str,
    signature: Mapping[str, Any],
) -> bool:
    """Check one ``dist.signatures`` entry against a ``/-/npm/v1/keys`` list as pacote
    does: the key with the same ``keyid``, then ECDSA/SHA-256 over the message."""
    found = next((k for k in keys if k.get("keyid") == signature.get("keyid")), None)
    if found is None:
        return False
    try:
        public = serialization.load_der_public_key(base64.b64decode(str(found["key"])))
        if not isinstance(public, ec.EllipticCurvePublicKey):
            return False
        public.verify(base64.b64decode(str(signature["sig"])),
                      message(name, version, integrity), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, KeyError):
        return False
    return True


def load_or_create(path: Path) -> Signer:
    """The signing key at ``path`` (PKCS8 PEM); on first start, a new one.

    A new key is written to a temporary file (mode 0600), fsync'd, then hard-linked into
    place: unlike a rename, a link never replaces a file, so when several workers start at
    once exactly one key wins and every worker loads that one.
    """
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _create(path, Signer.generate().private_pem())
    return _load(path)


def _create(path: Path, pem: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another worker was first: use its key
            os.link(temporary, path)
        _sync_directory(path.parent)
    finally:
        temporary.unlink(missing_ok=True)
    log.info("created the npm signing key %s", path)


def _load(path: Path) -> Signer:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the npm signing key %s is readable by others (mode %o); chmod 600 it",
                    path, stat.S_IMODE(mode))
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _unusable(path, str(exc)) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve,
                                                                          ec.SECP256R1):
        raise _unusable(path, "it is not an ECDSA P-256 key")
    return Signer(key)


def _unusable(path: Path, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"The npm signing key {path} cannot be used: {why}.",
        hint="Restore the key file from a backup, or move it away to have Wharf create a "
        "new one (clients then need the new key from /-/npm/v1/keys).",
    )


def _ecdsa(key: ec.EllipticCurvePrivateKey) -> ec.ECDSA:
    """Deterministic ECDSA where the crypto library offers it, else randomized (equally
    valid signatures; only the bytes change between renders)."""
    try:
        deterministic = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
        key.sign(b"probe", deterministic)
    except UnsupportedAlgorithm:
        return ec.ECDSA(hashes.SHA256())
    return deterministic


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
