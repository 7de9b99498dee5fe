"""Packument rendering: full and abbreviated documents, dist-tags, time maps, _rev."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from wharf.formats.npm.packument import (
    Package,
    PackageVersion,
    encode,
    iso,
    render_abbreviated,
    render_full,
    revision,
    single_version,
)

REGISTRY = "http://127.0.0.1:8080/npm/"
T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
INTEGRITY = "sha512-" + "A" * 86 + "=="


def manifest(version: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "ignored",
        "version": version,
        "description": "a package",
        "dependencies": {"dep": "^1.0.0"},
        "scripts": {"test": "node test.js"},
        "_npmUser": {"name": "alice", "email": "alice@example.invalid"},
        "dist": {
            "shasum": "0" * 40,
            "integrity": INTEGRITY,
            "tarball": "http://127.0.0.1:9999/upstream/x/-/x-" + version + ".tgz",
            "fileCount": 3,
            "unpackedSize": 1234,
            "signatures": [{"keyid": "SHA256:k", "sig": "MEUC"}],
        },
        **fields,
    }


def package(
    name: str = "left-pad",
    versions: dict[str, dict[str, Any]] | None = None,
    *,
    tags: dict[str, str] | None = None,
    times: bool = True,
    **kwargs: Any,
) -> Package:
    versions = versions or {"1.0.0": manifest("1.0.0"), "1.1.0": manifest("1.1.0")}
    return Package(
        name=name,
        versions=[
            PackageVersion(v, m, T0 + timedelta(days=i) if times else None)
            for i, (v, m) in enumerate(versions.items())
        ],
        dist_tags={"latest": "1.1.0"} if tags is None else tags,
        created_at=kwargs.pop("created_at", T0),
        modified_at=kwargs.pop("modified_at", T0 + timedelta(days=30)),
        **kwargs,
    )


def test_full_document_fields_and_order() -> None:
    pkg = package(
        maintainers=[{"name": "alice", "email": "alice@example.invalid"}],
        readme="# left-pad",
        extra={"description": "pads", "license": "MIT", "versions": "must not override"},
    )
    doc = render_full(pkg, REGISTRY)
    assert list(doc) == [
        "_id",
        "_rev",
        "name",
        "dist-tags",
        "versions",
        "time",
        "maintainers",
        "readme",
        "description",
        "license",
    ]
    assert doc["_id"] == doc["name"] == "left-pad"
    assert doc["_rev"] == revision(pkg)
    assert doc["dist-tags"] == {"latest": "1.1.0"}
    assert doc["maintainers"] == [{"name": "alice", "email": "alice@example.invalid"}]
    assert doc["readme"] == "# left-pad"
    version = doc["versions"]["1.0.0"]
    assert version["name"] == "left-pad"
    assert version["_id"] == "left-pad@1.0.0"
    assert version["description"] == "a package"
    assert version["_npmUser"]["name"] == "alice"
    assert version["dist"]["integrity"] == INTEGRITY
    assert version["dist"]["signatures"] == [{"keyid": "SHA256:k", "sig": "MEUC"}]
    assert doc["time"] == {
        "created": "2024-05-06T12:00:00.000Z",
        "modified": "2024-06-05T12:00:00.000Z",
        "1.0.0": "2024-05-06T12:00:00.000Z",
        "1.1.0": "2024-05-07T12:00:00.000Z",
    }


def test_versions_are_listed_in_semver_order() -> None:
    pkg = package(versions={v: manifest(v) for v in ("1.10.0", "1.2.0", "1.2.0-rc.1")})
    assert list(render_full(pkg, REGISTRY)["versions"]) == ["1.2.0-rc.1", "1.2.0", "1.10.0"]
    assert list(render_abbreviated(pkg, REGISTRY)["versions"]) == ["1.2.0-rc.1", "1.2.0", "1.10.0"]


def test_tarball_urls_are_rewritten_under_the_registry_url() -> None:
    unscoped = render_full(package(), REGISTRY)["versions"]["1.0.0"]["dist"]["tarball"]
    assert unscoped == "http://127.0.0.1:8080/npm/left-pad/-/left-pad-1.0.0.tgz"
    scoped = package("@acme/widget", {"2.0.0-beta.1": manifest("2.0.0-beta.1")}, tags={})
    for doc in (render_full(scoped, REGISTRY), render_abbreviated(scoped, REGISTRY)):
        assert (
            doc["versions"]["2.0.0-beta.1"]["dist"]["tarball"]
            == "http://127.0.0.1:8080/npm/@acme/widget/-/widget-2.0.0-beta.1.tgz"
        )


def test_tarball_is_added_when_the_manifest_has_no_dist_url() -> None:
    bare = manifest("1.0.0")
    bare["dist"] = {"integrity": INTEGRITY}
    pkg = package(versions={"1.0.0": bare}, tags={"latest": "1.0.0"})
    dist = render_full(pkg, REGISTRY)["versions"]["1.0.0"]["dist"]
    assert dist == {"integrity": INTEGRITY, "tarball": f"{REGISTRY}left-pad/-/left-pad-1.0.0.tgz"}


def test_stored_manifest_is_not_mutated() -> None:
    pkg = package()
    render_full(pkg, REGISTRY)
    render_abbreviated(pkg, REGISTRY)
    assert pkg.versions[0].manifest["dist"]["tarball"].startswith("http://127.0.0.1:9999/")
    assert pkg.versions[0].manifest["name"] == "ignored"


def test_dangling_tags_are_dropped_and_latest_falls_back_to_highest_stable() -> None:
    versions = {v: manifest(v) for v in ("1.0.0", "1.5.0", "2.0.0-rc.1")}
    pkg = package(versions=versions, tags={"next": "2.0.0-rc.1", "old": "0.1.0"})
    assert render_full(pkg, REGISTRY)["dist-tags"] == {"latest": "1.5.0", "next": "2.0.0-rc.1"}
    gone = package(versions=versions, tags={"latest": "3.0.0", "beta": "2.0.0-rc.1"})
    assert render_abbreviated(gone, REGISTRY)["dist-tags"] == {
        "latest": "1.5.0",
        "beta": "2.0.0-rc.1",
    }
    only_pre = package(versions={"1.0.0-alpha": manifest("1.0.0-alpha")}, tags={})
    assert render_full(only_pre, REGISTRY)["dist-tags"] == {"latest": "1.0.0-alpha"}


def test_no_versions_means_no_latest() -> None:
    empty = replace(package(tags={"latest": "1.0.0"}), versions=[])
    doc = render_full(empty, REGISTRY)
    assert doc["dist-tags"] == {}
    assert doc["versions"] == {}


def test_abbreviated_keeps_only_install_fields() -> None:
    full = manifest(
        "1.0.0",
        deprecated="use right-pad",
        bin={"pad": "bin/pad.js"},
        engines={"node": ">=18"},
        os=["linux"],
        cpu=["x64"],
        libc=["glibc"],
        peerDependenciesMeta={"p": {"optional": True}},
        bundledDependencies=["b"],
        readme="long text",
        repository={"type": "git", "url": "git+ssh://example.invalid/x.git"},
        _hasShrinkwrap=False,
    )
    pkg = package(versions={"1.0.0": full}, tags={"latest": "1.0.0"}, readme="r")
    doc = render_abbreviated(pkg, REGISTRY)
    assert list(doc) == ["name", "modified", "dist-tags", "versions", "time"]
    assert doc["modified"] == "2024-06-05T12:00:00.000Z"
    version = doc["versions"]["1.0.0"]
    assert set(version) == {
        "name",
        "version",
        "deprecated",
        "dependencies",
        "bundledDependencies",
        "peerDependenciesMeta",
        "bin",
        "dist",
        "engines",
        "_hasShrinkwrap",
        "cpu",
        "os",
        "libc",
    }
    assert version["name"] == "left-pad"
    assert version["deprecated"] == "use right-pad"
    assert version["dist"]["signatures"] == [{"keyid": "SHA256:k", "sig": "MEUC"}]


def test_has_install_script_is_derived_from_scripts() -> None:
    versions = {
        "1.0.0": manifest("1.0.0", scripts={"postinstall": "node setup.js"}),
        "1.1.0": manifest("1.1.0", scripts={"install": "node-gyp rebuild"}),
        "1.2.0": manifest("1.2.0", scripts={"prepare": "tsc", "test": "jest"}),
        "1.3.0": manifest("1.3.0", scripts={"preinstall": "x"}, hasInstallScript=False),
        "1.4.0": manifest("1.4.0", scripts="not a mapping"),
    }
    doc = render_abbreviated(package(versions=versions), REGISTRY)["versions"]
    assert doc["1.0.0"]["hasInstallScript"] is True
    assert doc["1.1.0"]["hasInstallScript"] is True
    assert "hasInstallScript" not in doc["1.2.0"]
    assert doc["1.3.0"]["hasInstallScript"] is False
    assert "hasInstallScript" not in doc["1.4.0"]
    assert "scripts" not in doc["1.0.0"]


def test_empty_deprecation_is_dropped() -> None:
    pkg = package(versions={"1.0.0": manifest("1.0.0", deprecated="")}, tags={})
    assert "deprecated" not in render_abbreviated(pkg, REGISTRY)["versions"]["1.0.0"]
    assert "deprecated" not in render_full(pkg, REGISTRY)["versions"]["1.0.0"]


def test_abbreviated_time_map_is_complete_or_absent() -> None:
    doc = render_abbreviated(package(), REGISTRY)
    assert doc["time"] == {
        "created": "2024-05-06T12:00:00.000Z",
        "modified": "2024-06-05T12:00:00.000Z",
        "1.0.0": "2024-05-06T12:00:00.000Z",
        "1.1.0": "2024-05-07T12:00:00.000Z",
    }
    partial = package()
    partial = replace(
        partial, versions=[partial.versions[0], replace(partial.versions[1], published_at=None)]
    )
    assert "time" not in render_abbreviated(partial, REGISTRY)
    # The full document still carries what is known.
    assert render_full(partial, REGISTRY)["time"] == {
        "created": "2024-05-06T12:00:00.000Z",
        "modified": "2024-06-05T12:00:00.000Z",
        "1.0.0": "2024-05-06T12:00:00.000Z",
    }


def test_created_and_modified_fall_back_to_version_times() -> None:
    pkg = package(created_at=None, modified_at=None)
    doc = render_abbreviated(pkg, REGISTRY)
    assert doc["modified"] == "2024-05-07T12:00:00.000Z"
    assert doc["time"]["created"] == "2024-05-06T12:00:00.000Z"
    timeless = package(created_at=None, modified_at=None, times=False)
    abbreviated = render_abbreviated(timeless, REGISTRY)
    assert "modified" not in abbreviated
    assert "time" not in abbreviated
    assert render_full(timeless, REGISTRY)["time"] == {}


def test_iso_timestamps_are_utc_with_milliseconds() -> None:
    assert iso(datetime(2024, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)) == "2024-05-06T12:00:00.123Z"
    plus_two = timezone(timedelta(hours=2))
    assert iso(datetime(2024, 5, 6, 14, 0, tzinfo=plus_two)) == "2024-05-06T12:00:00.000Z"
    assert iso(datetime(2024, 5, 6, 12, 0)) == "2024-05-06T12:00:00.000Z"


def test_revision_is_stable_and_counts_versions() -> None:
    rev = revision(package())
    assert rev == revision(package())
    count, _, digest = rev.partition("-")
    assert count == "2"
    assert len(digest) == 16
    assert int(digest, 16) >= 0
    # Order of versions, readme and times are not client-writable state.
    shuffled = package()
    shuffled = replace(shuffled, versions=list(reversed(shuffled.versions)), readme="changed")
    assert revision(shuffled) == rev


def test_revision_changes_with_deprecation_tags_versions_and_maintainers() -> None:
    base = revision(package())
    deprecated = package(
        versions={"1.0.0": manifest("1.0.0", deprecated="old"), "1.1.0": manifest("1.1.0")}
    )
    retagged = package(tags={"latest": "1.0.0"})
    tagged = package(tags={"latest": "1.1.0", "beta": "1.1.0"})
    more = package(versions={v: manifest(v) for v in ("1.0.0", "1.1.0", "1.2.0")})
    owners = package(maintainers=[{"name": "bob", "email": "bob@example.invalid"}])
    revisions = {base} | {revision(p) for p in (deprecated, retagged, tagged, more, owners)}
    assert len(revisions) == 6
    assert revision(more).startswith("3-")


def test_single_version_by_version_and_by_tag() -> None:
    pkg = package(tags={"latest": "1.1.0", "legacy": "1.0.0", "gone": "9.9.9"})
    exact = single_version(pkg, "1.0.0", REGISTRY)
    assert exact is not None
    assert exact["_id"] == "left-pad@1.0.0"
    assert exact["dist"]["tarball"] == f"{REGISTRY}left-pad/-/left-pad-1.0.0.tgz"
    latest = single_version(pkg, "latest", REGISTRY)
    assert latest is not None
    assert latest["version"] == "1.1.0"
    legacy = single_version(pkg, "legacy", REGISTRY)
    assert legacy is not None
    assert legacy["version"] == "1.0.0"
    assert single_version(pkg, "gone", REGISTRY) is None
    assert single_version(pkg, "2.0.0", REGISTRY) is None


def test_single_version_latest_falls_back_without_a_tag() -> None:
    found = single_version(package(tags={}), "latest", REGISTRY)
    assert found is not None
    assert found["version"] == "1.1.0"


def test_encode_is_compact_utf8_in_built_order() -> None:
    document = {"z": 1, "a": {"b": "naïve ✓"}, "m": [1, 2]}
    raw = encode(document)
    assert raw == '{"z":1,"a":{"b":"naïve ✓"},"m":[1,2]}'.encode()
    assert json.loads(raw) == document


def test_rendered_documents_encode_deterministically() -> None:
    assert encode(render_full(package(), REGISTRY)) == encode(render_full(package(), REGISTRY))
    assert encode(render_abbreviated(package(), REGISTRY)) == encode(
        render_abbreviated(package(), REGISTRY)
    )
