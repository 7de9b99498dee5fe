import base64
import hashlib
import json
from typing import Any

import pytest

from wharf.core.errors import InvalidArtifactError, TooLargeError
from wharf.formats.npm.publish import Publication, parse_publication
from wharf.formats.npm.tarballs import TarballLimits

from . import bundles
from .builders import (
    demo_tarball,
    encode,
    integrity_of,
    make_tarball,
    package_json,
    publish_body,
    publish_doc,
)

LIMITS = TarballLimits()
MAX_BODY = 10 << 20


def parse(body: bytes, url_name: str = "demo") -> Publication:
    return parse_publication(body, url_name, max_body_bytes=MAX_BODY, limits=LIMITS)


def problems_of(body: bytes, url_name: str = "demo") -> list[str]:
    with pytest.raises(InvalidArtifactError) as caught:
        parse(body, url_name)
    assert caught.value.hint
    return list(caught.value.problems)


def version_of(doc: dict[str, Any], version: str = "1.0.0") -> dict[str, Any]:
    manifest: dict[str, Any] = doc["versions"][version]
    return manifest


def test_a_publish_is_parsed() -> None:
    tarball = demo_tarball()
    result = parse(publish_body("demo", "1.0.0", tarball))
    digest = hashlib.sha512(tarball).digest()
    assert result.name == "demo"
    assert result.version == "1.0.0"
    assert result.tarball == tarball
    assert result.filename == "demo-1.0.0.tgz"
    assert result.sha1 == hashlib.sha1(tarball).hexdigest()
    assert result.sha512 == digest.hex()
    assert result.integrity == "sha512-" + base64.b64encode(digest).decode()
    assert result.file_count == 2
    assert result.unpacked_size == len(package_json()) + len(b"module.exports = 1\n")
    assert result.dist_tags == {"latest": "1.0.0"}
    assert result.access == "public"
    assert result.readme == "# Demo\n"
    assert result.extra_attachments == {}


def test_the_stored_manifest_is_the_version_object_with_our_dist() -> None:
    tarball = demo_tarball()
    manifest = parse(publish_body("demo", "1.0.0", tarball)).manifest
    assert manifest["_id"] == "demo@1.0.0"
    assert manifest["name"] == "demo"
    assert manifest["version"] == "1.0.0"
    assert manifest["main"] == "index.js"
    assert manifest["_npmVersion"] == "11.0.0"
    assert "readme" not in manifest
    assert manifest["dist"] == {
        "shasum": hashlib.sha1(tarball).hexdigest(),
        "integrity": integrity_of(tarball),
        "fileCount": 2,
        "unpackedSize": len(package_json()) + len(b"module.exports = 1\n"),
    }


def test_scoped_packages() -> None:
    tarball = demo_tarball("@acme/demo", "2.0.0-rc.1")
    result = parse(publish_body("@acme/demo", "2.0.0-rc.1", tarball), "@acme/demo")
    assert result.filename == "@acme/demo-2.0.0-rc.1.tgz"
    assert result.manifest["_id"] == "@acme/demo@2.0.0-rc.1"


def test_provenance_is_kept_claimed_signatures_attestations_and_npm_user_dropped() -> None:
    tarball = demo_tarball()
    doc = publish_doc("demo", "1.0.0", tarball)
    dist = version_of(doc)["dist"]
    dist["signatures"] = [{"keyid": "k", "sig": "s"}]
    dist["attestations"] = {"url": "http://127.0.0.1/a", "provenance": {"predicateType": "p"}}
    version_of(doc)["_npmUser"] = {"name": "someone-else"}
    bundle = json.dumps(bundles.bundle("demo", "1.0.0", tarball))
    doc["_attachments"]["demo-1.0.0.sigstore"] = {"content_type": "x", "data": bundle}
    result = parse(encode(doc))
    # Registry signatures are the registry's: Wharf signs hosted versions when it renders.
    assert "signatures" not in result.manifest["dist"]
    # The registry announces attestations from the stored bundle, never the client's claim.
    assert "attestations" not in result.manifest["dist"]
    assert "tarball" not in result.manifest["dist"]
    assert "_npmUser" not in result.manifest
    assert result.extra_attachments == {"demo-1.0.0.sigstore": bundle.encode()}
    assert result.provenance is not None
    assert result.provenance.bundle == bundle.encode()


def test_without_client_integrity_ours_is_stored() -> None:
    tarball = demo_tarball()
    doc = publish_doc("demo", "1.0.0", tarball)
    del version_of(doc)["dist"]["integrity"]
    assert parse(encode(doc)).manifest["dist"]["integrity"] == integrity_of(tarball)


def test_every_hash_in_a_multi_hash_integrity_is_checked() -> None:
    tarball = demo_tarball()
    doc = publish_doc("demo", "1.0.0", tarball)
    both = f"{integrity_of(tarball)} {integrity_of(tarball, 'sha1')} md5-whatever"
    version_of(doc)["dist"]["integrity"] = both
    assert parse(encode(doc)).integrity == integrity_of(tarball)
    wrong_sha1 = integrity_of(b"other", "sha1")
    version_of(doc)["dist"]["integrity"] = f"{integrity_of(tarball)} {wrong_sha1}"
    assert problems_of(encode(doc)) == ["dist.integrity (sha1) does not match the tarball"]


def test_dist_tags_from_the_body_are_used() -> None:
    tarball = demo_tarball(version="2.0.0-beta.1")
    body = publish_body("demo", "2.0.0-beta.1", tarball, **{"dist-tags": {"beta": "2.0.0-beta.1"}})
    assert parse(body).dist_tags == {"beta": "2.0.0-beta.1"}


def test_empty_dist_tags_default_to_latest() -> None:
    body = publish_body("demo", "1.0.0", demo_tarball(), **{"dist-tags": {}})
    assert parse(body).dist_tags == {"latest": "1.0.0"}


def test_a_tarball_declaring_an_unclean_version_matches_the_cleaned_one() -> None:
    tarball = make_tarball({"package.json": package_json("demo", "v1.0.0+build.7")})
    assert parse(publish_body("demo", "1.0.0", tarball)).version == "1.0.0"


def test_a_body_over_the_limit_is_too_large() -> None:
    body = publish_body("demo", "1.0.0", demo_tarball())
    with pytest.raises(TooLargeError) as caught:
        parse_publication(body, "demo", max_body_bytes=len(body) - 1, limits=LIMITS)
    assert caught.value.hint


def test_tarball_limits_are_enforced() -> None:
    body = publish_body("demo", "1.0.0", demo_tarball())
    with pytest.raises(TooLargeError):
        parse_publication(body, "demo", max_body_bytes=MAX_BODY, limits=TarballLimits(max_files=1))


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"demo"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object(body: bytes) -> None:
    assert problems_of(body) == ["the publish request is not a JSON object"]


def mutate(path: str, value: Any) -> bytes:
    """A valid publish of demo@1.0.0 with one top-level field changed ("-" deletes it)."""
    doc = publish_doc("demo", "1.0.0", demo_tarball())
    if value == "-":
        del doc[path]
    else:
        doc[path] = value
    return encode(doc)


def mutate_attachment(field: str, value: Any) -> bytes:
    doc = publish_doc("demo", "1.0.0", demo_tarball())
    doc["_attachments"]["demo-1.0.0.tgz"][field] = value
    return encode(doc)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (mutate("name", "other"), "name 'other' differs from 'demo'"),
        (mutate("name", "-"), "name None differs"),
        (mutate("_id", "other"), "_id 'other' differs"),
        (mutate("versions", {}), "exactly one version"),
        (mutate("versions", "1.0.0"), "exactly one version"),
        (mutate("access", "secret"), "neither 'public' nor 'restricted'"),
        (mutate("dist-tags", {"latest": "9.9.9"}), "points at '9.9.9'"),
        (mutate("dist-tags", {"1.0.0": "1.0.0"}), "not a usable tag name"),
        (mutate("dist-tags", ["latest"]), "'dist-tags' is not a JSON object"),
        (mutate("_attachments", {}), "exactly one .tgz attachment (found 0)"),
        (mutate_attachment("data", "!!! not base64 !!!"), "not valid base64"),
        (mutate_attachment("data", "QUJ"), "not valid base64"),
        (mutate_attachment("data", "QU=JD"), "not valid base64"),
        (mutate_attachment("data", ""), "has no data"),
        (mutate_attachment("length", 12), "says it is 12 bytes"),
        (mutate_attachment("length", True), "says it is True bytes"),
    ],
)
def test_body_problems(body: bytes, fragment: str) -> None:
    problems = problems_of(body)
    assert any(fragment in problem for problem in problems), problems


def version_problem(change: dict[str, Any], version: str = "1.0.0") -> list[str]:
    doc = publish_doc("demo", "1.0.0", demo_tarball())
    obj = version_of(doc)
    for key, value in change.items():
        if key.startswith("dist."):
            obj["dist"][key[5:]] = value
        else:
            obj[key] = value
    if version != "1.0.0":
        doc["versions"] = {version: obj}
    return problems_of(encode(doc))


def test_two_versions_are_refused() -> None:
    doc = publish_doc("demo", "1.0.0", demo_tarball())
    doc["versions"]["1.0.1"] = dict(version_of(doc), version="1.0.1")
    assert any("exactly one version (found: 1.0.0, 1.0.1)" in p for p in problems_of(encode(doc)))


def test_version_object_name_and_version_must_match() -> None:
    assert "version '1.0.0' names the package 'other'" in version_problem({"name": "other"})
    assert "version '1.0.0' says it is version '1.0.1'" in version_problem({"version": "1.0.1"})


def test_version_must_be_strict_semver() -> None:
    problems = version_problem({"version": "1.0"}, version="1.0")
    assert any("'1.0' is not a valid semantic version" in p for p in problems)


def test_wrong_shasum() -> None:
    problems = version_problem({"dist.shasum": "0" * 40})
    assert problems == [
        f"dist.shasum '{'0' * 40}' does not match the tarball's SHA-1 "
        f"{hashlib.sha1(demo_tarball()).hexdigest()}"
    ]


def test_missing_shasum_and_dist() -> None:
    assert any("dist.shasum None" in p for p in version_problem({"dist.shasum": None}))
    assert version_problem({"dist": None}) == [
        "the version has no 'dist' object with the tarball's shasum"
    ]


def test_wrong_integrity() -> None:
    problems = version_problem({"dist.integrity": integrity_of(b"other")})
    assert problems == ["dist.integrity (sha512) does not match the tarball"]


@pytest.mark.parametrize("value", ["sha512-!!!", "garbage", "md5-abc"])
def test_unusable_integrity(value: str) -> None:
    problems = version_problem({"dist.integrity": value})
    assert len(problems) == 1
    assert "dist.integrity" in problems[0]


def test_tarball_must_hold_the_same_name_and_version() -> None:
    tarball = demo_tarball("other", "2.0.0")
    problems = problems_of(publish_body("demo", "1.0.0", tarball))
    assert problems == [
        "the tarball's package.json names 'other', not 'demo'",
        "the tarball's package.json says version '2.0.0', not '1.0.0'",
    ]


def test_tarball_problems_are_reported_with_the_body_problems() -> None:
    tarball = make_tarball({"index.js": b"x"})
    problems = problems_of(publish_body("demo", "1.0.0", tarball, name="other"))
    assert any("differs from 'demo'" in p for p in problems)
    assert "the tarball has no package/package.json" in problems


def test_url_name_must_be_a_valid_new_name() -> None:
    tarball = demo_tarball("Demo")
    problems = problems_of(publish_body("Demo", "1.0.0", tarball), "Demo")
    assert problems == [
        "the package name 'Demo' contains capital letters; new package names must be lower case"
    ]


def test_unexpected_and_duplicate_attachments() -> None:
    doc = publish_doc("demo", "1.0.0", demo_tarball())
    attachment = doc["_attachments"]["demo-1.0.0.tgz"]
    doc["_attachments"]["demo-1.0.1.tgz"] = attachment
    doc["_attachments"]["notes.txt"] = attachment
    problems = problems_of(encode(doc))
    assert "a publish must carry exactly one .tgz attachment (found 2)" in problems
    assert any("unexpected attachment 'notes.txt'" in p for p in problems)


def test_several_problems_are_reported_at_once() -> None:
    doc = publish_doc("demo", "1.0.0", demo_tarball())
    doc["name"] = "other"
    version_of(doc)["dist"]["shasum"] = "0" * 40
    version_of(doc)["dist"]["integrity"] = integrity_of(b"nope")
    doc["_attachments"]["demo-1.0.0.tgz"]["length"] = 1
    doc["access"] = "everyone"
    problems = problems_of(encode(doc))
    assert len(problems) == 5
