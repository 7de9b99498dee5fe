"""Provenance of hosted npm versions: the sigstore bundle ``npm publish --provenance`` sends.

libnpmpublish attaches the bundle as ``<name>-<version>.sigstore`` (its JSON text in
``data``). Wharf cannot check the signature chain itself (that needs the sigstore trust
root, which clients hold), but it refuses a bundle that could never verify for this
version: one that is not a DSSE-enveloped in-toto statement, or whose first subject is not
this package's tarball with this tarball's sha512. Clients check exactly that subject
(``pkg:npm/<name>@<version>``, the scope's ``@`` written ``%40``) and the signatures.

What is kept is the bundle's own bytes (served back unchanged, as clients verify them) and
its predicate type, which the packument's ``dist.attestations`` announces.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ATTRIBUTE = "provenance"
"""The artifact attribute holding the predicate type of a version's stored bundle."""

BUNDLE_MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle"
IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"


@dataclass(frozen=True, slots=True)
class Provenance:
    bundle: bytes
    """The bundle's JSON text as the client sent it."""
    predicate_type: str


def purls(name: str, version: str) -> tuple[str, ...]:
    """The subject names that identify ``name@version``: npm's own form (``%40scope``) and
    the unencoded one older clients wrote."""
    encoded = f"pkg:npm/{name.replace('@', '%40', 1) if name.startswith('@') else name}"
    plain = f"pkg:npm/{name}"
    return tuple(dict.fromkeys((f"{encoded}@{version}", f"{plain}@{version}")))


def check_bundle(
    key: str, raw: bytes, name: str, version: str, sha512_hex: str
) -> tuple[Provenance | None, list[str]]:
    """The provenance in attachment ``key``, or every reason it cannot be this version's."""
    where = f"provenance {key!r}"
    try:
        bundle = json.loads(raw)
    except (ValueError, RecursionError):
        return None, [f"{where} is not JSON"]
    if not isinstance(bundle, dict):
        return None, [f"{where} is not a JSON object"]
    problems: list[str] = []
    media = bundle.get("mediaType")
    if not isinstance(media, str) or not media.startswith(BUNDLE_MEDIA_PREFIX):
        problems.append(f"{where} has mediaType {media!r}, not a sigstore bundle's")
    if not isinstance(bundle.get("verificationMaterial"), dict):
        problems.append(f"{where} has no verificationMaterial")
    envelope = bundle.get("dsseEnvelope")
    if not isinstance(envelope, dict):
        problems.append(f"{where} has no dsseEnvelope (a signed in-toto statement)")
        return None, problems
    statement = _statement(where, envelope, problems)
    predicate_type = None
    if statement is not None:
        predicate_type = statement.get("predicateType")
        if not isinstance(predicate_type, str) or not predicate_type:
            problems.append(f"{where}: the statement has no predicateType")
        problems.extend(_check_subject(where, statement.get("subject"), name, version,
                                       sha512_hex))
    if problems or not isinstance(predicate_type, str):
        return None, problems
    return Provenance(bundle=raw, predicate_type=predicate_type), []


def attestations_document(provenance: Provenance) -> dict[str, Any]:
    """The attestations endpoint's answer for a version with this provenance."""
    return {
        "attestations": [
            {"predicateType": provenance.predicate_type, "bundle": json.loads(provenance.bundle)}
        ]
    }


def _statement(
    where: str, envelope: Mapping[str, Any], problems: list[str]
) -> dict[str, Any] | None:
    payload_type = envelope.get("payloadType")
    if payload_type != IN_TOTO_PAYLOAD:
        problems.append(f"{where}: the envelope's payloadType is {payload_type!r}, "
                        f"not {IN_TOTO_PAYLOAD!r}")
    signatures = envelope.get("signatures")
    if (
        not isinstance(signatures, list)
        or not signatures
        or not all(isinstance(s, dict) and isinstance(s.get("sig"), str) for s in signatures)
    ):
        problems.append(f"{where}: the envelope carries no signatures")
    payload = envelope.get("payload")
    if not isinstance(payload, str) or not payload:
        problems.append(f"{where}: the envelope has no payload")
        return None
    try:
        statement = json.loads(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        problems.append(f"{where}: the envelope's payload is not base64-encoded JSON")
        return None
    if not isinstance(statement, dict):
        problems.append(f"{where}: the envelope's payload is not an in-toto statement")
        return None
    return statement


def _check_subject(
    where: str, subjects: object, name: str, version: str, sha512_hex: str
) -> list[str]:
    if not isinstance(subjects, list) or not subjects or not isinstance(subjects[0], dict):
        return [f"{where}: the statement names no subject"]
    first = subjects[0]
    problems = []
    expected = purls(name, version)
    if first.get("name") not in expected:
        problems.append(
            f"{where} is about {first.get('name')!r}, not {expected[0]!r}"
        )
    digest = first.get("digest")
    claimed = digest.get("sha512") if isinstance(digest, dict) else None
    if not isinstance(claimed, str) or claimed.lower() != sha512_hex.lower():
        problems.append(f"{where}: the subject's sha512 {claimed!r} does not match the tarball")
    return problems
