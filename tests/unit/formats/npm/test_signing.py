"""Wharf's registry signatures: the key entry and keyid clients match on, the message npm
verifies, the key file on disk, and which versions of a packument carry Wharf's signature."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from wharf.core.errors import ConfigurationError
from wharf.core.models import FileEntry, ProjectPage
from wharf.formats.npm import packument, signing
from wharf.formats.npm.pages import package_from_page
from wharf.formats.npm.signing import Signer, load_or_create, verify

REGISTRY = "http://wharf.test/npm/"
INTEGRITY = "sha512-" + base64.b64encode(hashlib.sha512(b"tarball").digest()).decode()
UPSTREAM_SIGNATURE = {"keyid": "SHA256:upstream", "sig": "MEUCIQDupstream"}


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate()


def test_the_key_entry_has_the_shape_of_the_npm_keys_endpoint(signer: Signer) -> None:
    entry = signer.public_key_entry()
    assert entry["expires"] is None  # pacote: a key without expiry is valid for every version
    assert entry["keytype"] == entry["scheme"] == "ecdsa-sha2-nistp256"
    der = base64.b64decode(entry["key"])
    public = serialization.load_der_public_key(der)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert isinstance(public.curve, ec.SECP256R1)
    # keyid: "SHA256:" + base64 (unpadded) of the SHA-256 of the DER SubjectPublicKeyInfo
    expected = base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")
    assert entry["keyid"] == signer.keyid == "SHA256:" + expected
    assert len(expected) == 43


def test_a_signature_verifies_over_the_message_npm_checks(signer: Signer) -> None:
    signature = signer.sign("@acme/demo", "1.0.0", INTEGRITY)
    assert signature["keyid"] == signer.keyid
    # As pacote does it: the PEM of the listed key, SHA-256, DER signature, over
    # `${_id}:${_integrity}`.
    entry = signer.public_key_entry()
    pem = f"-----BEGIN PUBLIC KEY-----\n{entry['key']}\n-----END PUBLIC KEY-----".encode()
    public = serialization.load_pem_public_key(pem)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(base64.b64decode(signature["sig"]),
                  f"@acme/demo@1.0.0:{INTEGRITY}".encode(), ec.ECDSA(hashes.SHA256()))
    assert verify([entry], "@acme/demo", "1.0.0", INTEGRITY, signature)


def test_a_signature_does_not_verify_for_another_version_integrity_or_key(
    signer: Signer,
) -> None:
    signature = signer.sign("demo", "1.0.0", INTEGRITY)
    keys = [signer.public_key_entry()]
    assert not verify(keys, "demo", "1.0.1", INTEGRITY, signature)
    assert not verify(keys, "demo", "1.0.0", "sha512-other", signature)
    assert not verify(keys, "other", "1.0.0", INTEGRITY, signature)
    stranger = Signer.generate().public_key_entry()
    assert not verify([stranger], "demo", "1.0.0", INTEGRITY, signature)  # no such keyid
    forged = {**stranger, "keyid": signer.keyid}
    assert not verify([forged], "demo", "1.0.0", INTEGRITY, signature)


def test_signatures_are_deterministic(signer: Signer) -> None:
    """Same page bytes (and ETag) from every worker and every render."""
    assert signer.sign("demo", "1.0.0", INTEGRITY) == signer.sign("demo", "1.0.0", INTEGRITY)


def test_the_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "keys" / "npm-signing.pem"
    first = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8
    assert [p.name for p in path.parent.iterdir()] == ["npm-signing.pem"]  # no temp left
    again = load_or_create(path)
    assert again.keyid == first.keyid
    assert verify([first.public_key_entry()], "demo", "1.0.0", INTEGRITY,
                  again.sign("demo", "1.0.0", INTEGRITY))


def test_an_existing_key_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "npm-signing.pem"
    existing = Signer.generate()
    path.write_bytes(existing.private_pem())
    os.chmod(path, 0o600)
    assert load_or_create(path).keyid == existing.keyid


def test_an_unusable_key_file_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "npm-signing.pem"
    path.write_bytes(b"not a key")
    with pytest.raises(ConfigurationError) as refused:
        load_or_create(path)
    assert str(path) in refused.value.message
    assert "move it away" in refused.value.hint
    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(other)
    with pytest.raises(ConfigurationError, match="not an ECDSA P-256 key"):
        load_or_create(path)


def mixed_page() -> ProjectPage:
    """A group's page: 1.0.0 hosted (stored with a signature a client once sent), 2.0.0
    proxied with the upstream's signature."""
    when = datetime(2024, 1, 1, tzinfo=UTC)
    hosted = FileEntry("demo-1.0.0.tgz", "1.0.0", "files/demo/demo-1.0.0.tgz", "0" * 64,
                       uploaded_at=when, source="npm-local")
    proxied = FileEntry("demo-2.0.0.tgz", "2.0.0", "demo/-/demo-2.0.0.tgz", None,
                        uploaded_at=when, source="npm-remote")
    metadata = {
        "1.0.0": {"name": "demo", "version": "1.0.0",
                  "dist": {"integrity": INTEGRITY, "shasum": "ab",
                           "signatures": [{"keyid": "SHA256:client", "sig": "bogus"}]}},
        "2.0.0": {"name": "demo", "version": "2.0.0",
                  "dist": {"integrity": "sha512-up", "signatures": [UPSTREAM_SIGNATURE]}},
    }
    return ProjectPage("npm", "demo", "demo", (hosted, proxied), versions=("1.0.0", "2.0.0"),
                       release_metadata=metadata)


def test_hosted_versions_carry_wharfs_signature_and_proxied_ones_keep_theirs(
    signer: Signer,
) -> None:
    package = package_from_page(mixed_page(), signer, {"npm-local"})
    keys = [signer.public_key_entry()]
    documents = [
        packument.render_full(package, REGISTRY)["versions"],
        packument.render_abbreviated(package, REGISTRY)["versions"],
        {v: packument.single_version(package, v, REGISTRY) for v in ("1.0.0", "2.0.0")},
    ]
    for versions in documents:
        hosted = versions["1.0.0"]["dist"]
        [signature] = hosted["signatures"]  # the client's is gone
        assert verify(keys, "demo", "1.0.0", hosted["integrity"], signature)
        assert versions["2.0.0"]["dist"]["signatures"] == [UPSTREAM_SIGNATURE]


def test_without_a_signer_hosted_versions_go_unsigned(signer: Signer) -> None:
    package = package_from_page(mixed_page(), None, {"npm-local"})
    versions = packument.render_full(package, REGISTRY)["versions"]
    assert "signatures" not in versions["1.0.0"]["dist"]
    assert versions["2.0.0"]["dist"]["signatures"] == [UPSTREAM_SIGNATURE]


def test_versions_not_from_a_hosted_index_pass_through_unchanged(signer: Signer) -> None:
    package = package_from_page(mixed_page(), signer, ())
    versions = packument.render_full(package, REGISTRY)["versions"]
    assert versions["1.0.0"]["dist"]["signatures"] == [{"keyid": "SHA256:client",
                                                        "sig": "bogus"}]
    assert versions["2.0.0"]["dist"]["signatures"] == [UPSTREAM_SIGNATURE]


def test_a_racing_creator_never_replaces_the_key_that_won(tmp_path: Path) -> None:
    """Workers starting together may each make a key; the first one linked into place is
    the one every worker loads."""
    path = tmp_path / "npm-signing.pem"
    winner, loser = Signer.generate(), Signer.generate()
    signing._create(path, winner.private_pem())
    signing._create(path, loser.private_pem())
    assert load_or_create(path).keyid == winner.keyid
    assert [p.name for p in tmp_path.iterdir()] == ["npm-signing.pem"]
