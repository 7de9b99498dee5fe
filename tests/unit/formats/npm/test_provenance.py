"""Provenance bundles: what a publish keeps, what it refuses (every problem at once), and how
the packument announces a stored bundle."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from wharf.core.errors import InvalidArtifactError
from wharf.core.models import FileEntry, ProjectPage
from wharf.formats.npm import packument
from wharf.formats.npm.pages import package_from_page
from wharf.formats.npm.provenance import (
    ATTRIBUTE,
    Provenance,
    attestations_document,
    check_bundle,
)
from wharf.formats.npm.publish import Publication, parse_publication
from wharf.formats.npm.routes.dispatch import rerooted
from wharf.formats.npm.tarballs import TarballLimits

from . import bundles
from .builders import demo_tarball, encode, publish_doc

REGISTRY = "http://127.0.0.1:4873/npm/"


def check(
    raw: bytes, name: str = "demo", version: str = "1.0.0", tarball: bytes = b"tgz"
) -> tuple[Provenance | None, list[str]]:
    return check_bundle(f"{name}-{version}.sigstore", raw, name, version,
                        hashlib.sha512(tarball).hexdigest())


def test_a_bundle_about_this_tarball_is_kept_byte_for_byte() -> None:
    raw = bundles.encoded(bundles.bundle("demo", "1.0.0", b"tgz"))
    found, problems = check(raw)
    assert problems == []
    assert found is not None
    assert found.bundle == raw
    assert found.predicate_type == bundles.SLSA_V1
    served = attestations_document(found)
    assert served == {"attestations": [{"predicateType": bundles.SLSA_V1,
                                         "bundle": json.loads(raw)}]}


@pytest.mark.parametrize("subject", ["pkg:npm/%40acme/demo@2.0.0", "pkg:npm/@acme/demo@2.0.0"])
def test_scoped_subjects_in_either_spelling(subject: str) -> None:
    statement = bundles.statement("@acme/demo", "2.0.0", b"tgz")
    statement["subject"][0]["name"] = subject
    raw = bundles.encoded(bundles.bundle("@acme/demo", "2.0.0", b"tgz", payload=statement))
    found, problems = check(raw, "@acme/demo", "2.0.0")
    assert problems == []
    assert found is not None


def test_a_bundle_about_another_package_and_other_bytes_lists_both_problems() -> None:
    raw = bundles.encoded(bundles.bundle("other", "9.9.9", b"other bytes"))
    found, problems = check(raw)
    assert found is None
    assert len(problems) == 2
    assert "'pkg:npm/other@9.9.9', not 'pkg:npm/demo@1.0.0'" in problems[0]
    assert "sha512" in problems[1]
    assert "does not match the tarball" in problems[1]


def test_a_statement_without_predicate_type_or_subject_is_refused() -> None:
    statement = bundles.statement("demo", "1.0.0", b"tgz", subject=[])
    del statement["predicateType"]
    raw = bundles.encoded(bundles.bundle("demo", "1.0.0", b"tgz", payload=statement))
    found, problems = check(raw)
    assert found is None
    assert any("no predicateType" in p for p in problems)
    assert any("names no subject" in p for p in problems)


def test_envelope_problems_are_all_listed() -> None:
    document = bundles.bundle("demo", "1.0.0", b"tgz")
    document["mediaType"] = "text/plain"
    document["dsseEnvelope"]["payloadType"] = "application/json"
    document["dsseEnvelope"]["signatures"] = []
    document["dsseEnvelope"]["payload"] = "not base64!"
    found, problems = check(bundles.encoded(document))
    assert found is None
    assert len(problems) == 4
    joined = " | ".join(problems)
    for words in ("mediaType 'text/plain'", "payloadType", "no signatures", "not base64"):
        assert words in joined


@pytest.mark.parametrize(
    ("raw", "words"),
    [(b"{not json", "is not JSON"), (b"[]", "not a JSON object"),
     (bundles.encoded({"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
                       "verificationMaterial": {}}), "no dsseEnvelope")],
)
def test_what_is_not_a_bundle(raw: bytes, words: str) -> None:
    found, problems = check(raw)
    assert found is None
    assert any(words in p for p in problems)


def publish_with(bundle_text: str, key: str = "demo-1.0.0.sigstore") -> bytes:
    tarball = demo_tarball()
    doc = publish_doc("demo", "1.0.0", tarball)
    doc["_attachments"][key] = {"content_type": "application/vnd.dev.sigstore.bundle.v0.3+json",
                                "data": bundle_text, "length": len(bundle_text)}
    return encode(doc)


def parse(body: bytes) -> Publication:
    return parse_publication(body, "demo", max_body_bytes=10 << 20, limits=TarballLimits())


def test_a_publish_with_provenance_carries_the_checked_bundle() -> None:
    text = json.dumps(bundles.bundle("demo", "1.0.0", demo_tarball()))
    publication = parse(publish_with(text))
    assert publication.provenance is not None
    assert publication.provenance.bundle == text.encode()


def test_a_publish_with_provenance_for_other_bytes_is_refused_naming_every_problem() -> None:
    text = json.dumps(bundles.bundle("demo", "1.0.0", b"what was built in CI"))
    with pytest.raises(InvalidArtifactError) as refused:
        parse(publish_with(text, key="demo-2.0.0.sigstore"))
    problems = refused.value.problems
    assert any("named 'demo-2.0.0.sigstore', not 'demo-1.0.0.sigstore'" in p for p in problems)
    assert any("does not match the tarball" in p for p in problems)


def page(attrs: dict[str, object]) -> ProjectPage:
    manifest = {"name": "@acme/demo", "version": "1.0.0",
                "dist": {"integrity": "sha512-x", "shasum": "ab"}}
    entry = FileEntry("@acme/demo-1.0.0.tgz", "1.0.0", "files/x", "0" * 64,
                      uploaded_at=datetime(2024, 1, 1, tzinfo=UTC), attrs=attrs,
                      source="npm-local")
    return ProjectPage("npm-local", "@acme/demo", "@acme/demo", (entry,),
                       versions=("1.0.0",), release_metadata={"1.0.0": manifest})


def test_a_hosted_version_with_provenance_announces_attestations_under_this_registry() -> None:
    package = package_from_page(page({ATTRIBUTE: bundles.SLSA_V1}))
    for render in (packument.render_full, packument.render_abbreviated):
        dist = render(package, REGISTRY)["versions"]["1.0.0"]["dist"]
        assert dist["attestations"] == {
            "url": REGISTRY + "-/npm/v1/attestations/@acme%2fdemo@1.0.0",
            "provenance": {"predicateType": bundles.SLSA_V1},
        }


def test_a_hosted_version_without_provenance_announces_none() -> None:
    package = package_from_page(page({}))
    dist = packument.render_full(package, REGISTRY)["versions"]["1.0.0"]["dist"]
    assert "attestations" not in dist


def test_upstream_attestation_urls_are_not_rewritten() -> None:
    upstream = {"url": "http://127.0.0.1:9/-/npm/v1/attestations/demo@1.0.0",
                "provenance": {"predicateType": bundles.SLSA_V1}}
    version = packument.PackageVersion(
        "1.0.0", {"dist": {"integrity": "sha512-x", "attestations": upstream}}, None
    )
    package = packument.Package("demo", [version], {}, None, None)
    dist = packument.render_full(package, REGISTRY)["versions"]["1.0.0"]["dist"]
    assert dist["attestations"] == upstream


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        # pacote: configured registry + the path of dist.attestations.url
        ("npm/-/npm/v1/attestations/demo@1.0.0", "-/npm/v1/attestations/demo@1.0.0"),
        ("prefix/npm/-/npm/v1/attestations/@a/b@1.0.0", "-/npm/v1/attestations/@a/b@1.0.0"),
        ("-/npm/v1/attestations/demo@1.0.0", "-/npm/v1/attestations/demo@1.0.0"),
        ("demo/-/demo-1.0.0.tgz", "demo/-/demo-1.0.0.tgz"),
        ("-/v1/search", "-/v1/search"),
    ],
)
def test_attestation_paths_below_a_repeated_registry_path(rest: str, expected: str) -> None:
    assert rerooted(rest) == expected
