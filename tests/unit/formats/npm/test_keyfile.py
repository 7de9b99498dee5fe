"""The server's npm signing key: its id is known without loading the key (and the
cryptography library), and a key file replaced on disk is never named by a stale id."""

from __future__ import annotations

from pathlib import Path

from wharf.formats.npm.keyfile import SigningKey
from wharf.formats.npm.signing import Signer, load_or_create


def test_the_id_is_read_back_without_loading_the_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "npm-signing.pem"
    SigningKey(path).prepare()
    again = SigningKey(path)
    assert again.keyid == load_or_create(path).keyid
    assert again._signer is None  # the id came from the stored one
    signature = again.sign("left-pad", "1.0.0", "sha512-abc")
    assert signature["keyid"] == again.keyid


def test_a_replaced_key_file_gets_its_own_id(tmp_path: Path) -> None:
    path = tmp_path / "npm-signing.pem"
    SigningKey(path).prepare()
    replacement = Signer.generate()
    path.write_bytes(replacement.private_pem())
    assert SigningKey(path).keyid == replacement.keyid
    assert SigningKey(path).public_key_entry()["keyid"] == replacement.keyid
