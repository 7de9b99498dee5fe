"""Sigstore bundles shaped as ``npm publish --provenance`` sends them (unsigned: Wharf
checks their structure and subject; clients check the signatures)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

SLSA_V1 = "https://slsa.dev/provenance/v1"


def purl(name: str, version: str) -> str:
    """npm's subject name: ``pkg:npm/%40scope/name@1.0.0`` for scoped packages."""
    return f"pkg:npm/{name.replace('@', '%40', 1) if name.startswith('@') else name}@{version}"


def statement(name: str, version: str, tarball: bytes, **overrides: Any) -> dict[str, Any]:
    """An in-toto statement about the tarball; ``overrides`` replace top-level fields."""
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": purl(name, version),
             "digest": {"sha512": hashlib.sha512(tarball).hexdigest()}}
        ],
        "predicateType": SLSA_V1,
        "predicate": {"buildDefinition": {"buildType": "https://example.invalid/build"}},
        **overrides,
    }


def bundle(
    name: str, version: str, tarball: bytes, *, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A bundle whose DSSE envelope carries ``payload`` (default: a correct statement)."""
    body = payload if payload is not None else statement(name, version, tarball)
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": "MIIB"},
            "tlogEntries": [{"logIndex": "1", "integratedTime": "1700000000"}],
        },
        "dsseEnvelope": {
            "payload": base64.b64encode(json.dumps(body).encode()).decode(),
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": "MEUCIQ==", "keyid": ""}],
        },
    }


def encoded(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()
