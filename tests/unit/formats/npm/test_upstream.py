"""The npm upstream protocol: fetching packuments, the neutral body, entries, locate."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from formats.fakes import FakeUpstream, request_and_parse
from wharf.core.errors import UpstreamError
from wharf.core.models import ProjectStatus
from wharf.core.ports import UpstreamReply
from wharf.formats import codec
from wharf.formats.base import FetchStatus, RemoteFile, UpstreamAdapter, UpstreamFetch
from wharf.formats.npm.packument import render_abbreviated, render_full
from wharf.formats.npm.upstream import ACCEPT, NpmUpstream, digests, escape_name
from wharf.formats.wire import parse_time

BASE = "http://127.0.0.1:9999/registry/"
TARBALL = b"not really a tarball"
SHA512 = hashlib.sha512(TARBALL).digest()
SHA1 = hashlib.sha1(TARBALL).hexdigest()
INTEGRITY = "sha512-" + base64.b64encode(SHA512).decode()


def reply(
    body: bytes | str | Mapping[str, Any],
    *,
    status: int = 200,
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> UpstreamReply:
    if isinstance(body, Mapping):
        raw = json.dumps(body).encode()
    else:
        raw = body.encode() if isinstance(body, str) else body
    all_headers = {"content-type": "application/json", **(headers or {})}
    return UpstreamReply(status=status, headers=all_headers, body=raw, url=url)


async def fetch(
    *replies: UpstreamReply, project: str = "left-pad", **kwargs: Any
) -> tuple[UpstreamFetch, FakeUpstream]:
    upstream = FakeUpstream(list(replies))
    options: dict[str, Any] = {"etag": None, "last_modified": None, **kwargs}
    result = await request_and_parse(NpmUpstream(), upstream, project, base_url=BASE, **options)
    return result, upstream


def version_object(name: str, version: str, **fields: Any) -> dict[str, Any]:
    bare = name.rpartition("/")[2]
    return {
        "name": name,
        "version": version,
        "readme": "per-version readme, dropped",
        "scripts": {"install": "node-gyp rebuild"},
        "_id": f"{name}@{version}",
        "dist": {
            "tarball": f"http://127.0.0.1:9999/files/{name}/-/{bare}-{version}.tgz",
            "integrity": INTEGRITY,
            "shasum": SHA1,
            "signatures": [{"keyid": "SHA256:k", "sig": "MEUC"}],
            "attestations": {"url": "http://127.0.0.1:9999/att", "provenance": {}},
        },
        **fields,
    }


def packument(name: str = "left-pad", **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "_id": name,
        "_rev": "12-abc",
        "name": name,
        "description": "pads strings",
        "dist-tags": {"latest": "1.1.0", "next": "2.0.0-rc.1"},
        "versions": {
            "1.0.0": version_object(name, "1.0.0", deprecated="use 1.1"),
            "1.1.0": version_object(name, "1.1.0"),
            "2.0.0-rc.1": version_object(name, "2.0.0-rc.1"),
        },
        "time": {
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-03-01T00:00:00.000Z",
            "1.0.0": "2024-01-01T00:00:00.000Z",
            "1.1.0": "2024-02-01T00:00:00.123Z",
            "2.0.0-rc.1": "2024-03-01T00:00:00.000Z",
            "0.0.1": "2023-01-01T00:00:00.000Z",
        },
        "maintainers": [{"name": "alice", "email": "alice@example.invalid"}],
        "readme": "# left-pad",
        "readmeFilename": "README.md",
        "license": "WTFPL",
        "users": {"bob": True},
        "_attachments": {},
        "_cached": True,
    }
    document.update(overrides)
    return document


def test_implements_the_adapter_protocol() -> None:
    adapter: UpstreamAdapter = NpmUpstream()
    assert adapter is not None


@pytest.mark.parametrize(
    ("name", "escaped"),
    [("left-pad", "left-pad"), ("@acme/widget", "@acme%2fwidget"), ("JSONStream", "JSONStream")],
)
def test_escape_name(name: str, escaped: str) -> None:
    assert escape_name(name) == escaped


async def test_fetch_asks_for_the_full_document_with_validators() -> None:
    result, upstream = await fetch(
        reply(packument(), headers={"etag": '"v2"', "last-modified": "Fri, 01 Mar 2024"}),
        etag='"v1"',
        last_modified="Thu, 01 Feb 2024",
    )
    assert upstream.requests == [
        (
            f"{BASE}left-pad",
            {
                "Accept": ACCEPT,
                "If-None-Match": '"v1"',
                "If-Modified-Since": "Thu, 01 Feb 2024",
            },
        )
    ]
    assert ACCEPT == "application/json"
    assert result.status is FetchStatus.OK
    assert result.etag == '"v2"'
    assert result.last_modified == "Fri, 01 Mar 2024"


async def test_fetch_escapes_scoped_names_and_omits_absent_validators() -> None:
    result, upstream = await fetch(reply(packument("@acme/widget")), project="@acme/widget")
    assert upstream.requests == [(f"{BASE}@acme%2fwidget", {"Accept": "application/json"})]
    assert result.status is FetchStatus.OK
    assert result.body is not None
    assert result.body["name"] == "@acme/widget"


async def test_fetch_builds_the_neutral_body() -> None:
    result, _ = await fetch(reply(packument()))
    body = result.body
    assert body is not None
    assert json.loads(json.dumps(body)) == body  # JSON-able as stored
    assert set(body) == {
        "name",
        "dist-tags",
        "versions",
        "time",
        "created",
        "modified",
        "maintainers",
        "readme",
        "extra",
        "tarballs",
    }
    assert body["dist-tags"] == {"latest": "1.1.0", "next": "2.0.0-rc.1"}
    assert list(body["versions"]) == ["1.0.0", "1.1.0", "2.0.0-rc.1"]
    kept = body["versions"]["1.0.0"]
    assert "readme" not in kept
    assert kept["deprecated"] == "use 1.1"
    assert kept["dist"]["tarball"] == "http://127.0.0.1:9999/files/left-pad/-/left-pad-1.0.0.tgz"
    assert kept["dist"]["signatures"] == [{"keyid": "SHA256:k", "sig": "MEUC"}]
    assert kept["dist"]["attestations"]["url"] == "http://127.0.0.1:9999/att"
    assert body["time"] == {
        "1.0.0": "2024-01-01T00:00:00.000Z",
        "1.1.0": "2024-02-01T00:00:00.123Z",
        "2.0.0-rc.1": "2024-03-01T00:00:00.000Z",
    }
    assert body["created"] == "2024-01-01T00:00:00.000Z"
    assert body["modified"] == "2024-03-01T00:00:00.000Z"
    assert body["maintainers"] == [{"name": "alice", "email": "alice@example.invalid"}]
    assert body["readme"] == "# left-pad"
    assert body["extra"] == {
        "description": "pads strings",
        "readmeFilename": "README.md",
        "license": "WTFPL",
        "users": {"bob": True},
    }


async def test_fetch_resolves_relative_tarball_urls_against_the_packument_url() -> None:
    document = packument(versions={"1.0.0": version_object("left-pad", "1.0.0")})
    document["versions"]["1.0.0"]["dist"]["tarball"] = "left-pad/-/left-pad-1.0.0.tgz"
    result, _ = await fetch(reply(document, url="http://127.0.0.1:9999/mirror/left-pad"))
    assert result.body is not None
    tarball = result.body["versions"]["1.0.0"]["dist"]["tarball"]
    assert tarball == "http://127.0.0.1:9999/mirror/left-pad/-/left-pad-1.0.0.tgz"


async def test_fetch_not_modified_keeps_the_old_validators() -> None:
    result, _ = await fetch(reply(b"", status=304), etag='"v1"', last_modified="Thu")
    assert result == UpstreamFetch(FetchStatus.NOT_MODIFIED, etag='"v1"', last_modified="Thu")


@pytest.mark.parametrize("status", [404, 410])
async def test_fetch_missing(status: int) -> None:
    result, _ = await fetch(reply({"error": "Not found"}, status=status))
    assert result == UpstreamFetch(FetchStatus.MISSING)


async def test_fetch_unpublished_package_is_missing() -> None:
    document = {
        "_id": "left-pad",
        "name": "left-pad",
        "time": {
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-03-01T00:00:00.000Z",
            "unpublished": {"time": "2024-03-01T00:00:00.000Z", "versions": ["1.0.0"]},
        },
    }
    result, _ = await fetch(reply(document))
    assert result.status is FetchStatus.MISSING


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "refused"),
        (403, "refused"),
        (429, "rate limiting"),
        (500, "failed"),
        (503, "failed"),
        (302, "unexpected"),
    ],
)
async def test_fetch_error_statuses_raise(status: int, words: str) -> None:
    with pytest.raises(UpstreamError) as caught:
        await fetch(reply(b"nope", status=status))
    assert words in caught.value.message
    assert caught.value.hint


@pytest.mark.parametrize(
    "body",
    [b"<html>not json</html>", b"\xff\xfe", b"[1, 2]", b'"left-pad"', b"{}"],
)
async def test_fetch_unreadable_documents_raise(body: bytes) -> None:
    with pytest.raises(UpstreamError):
        await fetch(reply(body))


async def test_fetch_document_about_another_name_raises() -> None:
    with pytest.raises(UpstreamError, match="right-pad"):
        await fetch(reply(packument("right-pad")))


async def test_package_from_body_round_trips_into_rendering() -> None:
    result, _ = await fetch(reply(packument()))
    assert result.body is not None
    package = NpmUpstream().package_from_body(result.body)
    assert package.name == "left-pad"
    assert package.created_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert package.readme == "# left-pad"
    registry = "http://127.0.0.1:8080/npm/"
    full = render_full(package, registry)
    assert full["description"] == "pads strings"
    assert full["users"] == {"bob": True}
    assert full["time"]["1.1.0"] == "2024-02-01T00:00:00.123Z"
    assert full["versions"]["1.1.0"]["dist"]["tarball"] == (
        f"{registry}left-pad/-/left-pad-1.1.0.tgz"
    )
    corgi = render_abbreviated(package, registry)
    assert corgi["dist-tags"] == {"latest": "1.1.0", "next": "2.0.0-rc.1"}
    assert corgi["versions"]["1.0.0"]["hasInstallScript"] is True
    assert set(corgi["time"]) == {"created", "modified", "1.0.0", "1.1.0", "2.0.0-rc.1"}


def test_package_from_body_tolerates_a_damaged_body() -> None:
    package = NpmUpstream().package_from_body(
        {"name": "x", "versions": {"1.0.0": "junk"}, "dist-tags": [], "maintainers": ["junk"]}
    )
    assert package.versions == []
    assert package.dist_tags == {}
    assert package.maintainers == []


async def test_entries_one_per_version() -> None:
    result, _ = await fetch(reply(packument("@acme/widget")), project="@acme/widget")
    assert result.body is not None
    entries = NpmUpstream().entries(result.body, "npm-remote")
    assert [e.version for e in entries] == ["1.0.0", "1.1.0", "2.0.0-rc.1"]
    first = entries[0]
    assert first.filename == "@acme/widget-1.0.0.tgz"
    assert first.url == "@acme/widget/-/widget-1.0.0.tgz"
    assert first.sha256 is None
    assert first.digests == {"sha512": SHA512.hex(), "sha1": SHA1}
    assert first.uploaded_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert first.yanked is None
    assert first.attrs == {"deprecated": "use 1.1"}
    assert first.source == "npm-remote"
    assert entries[1].attrs == {}
    assert entries[1].url == "@acme/widget/-/widget-1.1.0.tgz"


async def test_locate_returns_the_upstream_tarball_and_its_digests() -> None:
    result, _ = await fetch(reply(packument()))
    assert result.body is not None
    adapter = NpmUpstream()
    found = adapter.locate(result.body, "left-pad-1.1.0.tgz")
    assert found == RemoteFile(
        filename="left-pad-1.1.0.tgz",
        url="http://127.0.0.1:9999/files/left-pad/-/left-pad-1.1.0.tgz",
        sha256=None,
        digests={"sha512": SHA512.hex(), "sha1": SHA1},
        version="1.1.0",
    )
    assert adapter.locate(result.body, "left-pad-9.9.9.tgz") is None
    assert adapter.locate(result.body, "left-pad-1.1.0.tar.gz") is None
    assert adapter.locate(result.body, "right-pad-1.1.0.tgz") is None


async def test_locate_scoped_and_without_a_tarball_url() -> None:
    document = packument("@acme/widget")
    del document["versions"]["1.1.0"]["dist"]["tarball"]
    result, _ = await fetch(reply(document), project="@acme/widget")
    assert result.body is not None
    found = NpmUpstream().locate(result.body, "@acme/widget-1.0.0.tgz")
    assert found is not None
    assert found.url == "http://127.0.0.1:9999/files/@acme/widget/-/widget-1.0.0.tgz"
    assert NpmUpstream().locate(result.body, "@acme/widget-1.1.0.tgz") is None


@pytest.mark.parametrize("name", ["left-pad", "@acme/widget"])
async def test_locate_in_text_reads_what_locate_reads(name: str) -> None:
    """The stored text of a packument (as the database keeps it) gives every tarball the
    same source as the decoded packument, and nothing else."""
    document = packument(name)
    del document["versions"]["1.1.0"]["dist"]["tarball"]
    result, _ = await fetch(reply(document), project=name)
    assert result.body is not None
    text = codec.dumps(result.body).decode()
    adapter = NpmUpstream()
    candidates = [f"{name}-{v}.tgz" for v in ("1.0.0", "1.1.0", "2.0.0-rc.1", "9.9.9")]
    candidates += ["right-pad-1.0.0.tgz", f"{name}-1.0.0.tar.gz", "1.0.0"]
    for filename in candidates:
        assert adapter.locate_in_text(text, name, filename) == adapter.locate(
            result.body, filename), filename
    assert adapter.locate_in_text(text, name, f"{name}-1.0.0.tgz") is not None


async def test_locate_in_text_declines_a_packument_stored_without_its_tarball_index() -> None:
    """None (decode the packument instead) for a body stored before the index existed."""
    result, _ = await fetch(reply(packument()))
    assert result.body is not None
    older = {k: v for k, v in result.body.items() if k != "tarballs"}
    adapter = NpmUpstream()
    assert adapter.locate_in_text(codec.dumps(older).decode(), "left-pad",
                                  "left-pad-1.0.0.tgz") is None
    assert adapter.locate(older, "left-pad-1.0.0.tgz") is not None


def test_digests_from_integrity_and_shasum() -> None:
    sha1_sri = "sha1-" + base64.b64encode(bytes.fromhex(SHA1)).decode()
    assert digests({"integrity": INTEGRITY}) == {"sha512": SHA512.hex()}
    assert digests({"shasum": SHA1.upper()}) == {"sha1": SHA1}
    assert digests({"integrity": sha1_sri}) == {"sha1": SHA1}
    # Several hashes, options, unknown algorithms, missing padding.
    unpadded = INTEGRITY.rstrip("=")
    assert digests({"integrity": f"sha256-abc {unpadded}?opt {sha1_sri}"}) == {
        "sha512": SHA512.hex(),
        "sha1": SHA1,
    }
    # Malformed values are ignored, never trusted.
    assert digests({"integrity": "sha512-!!!!", "shasum": "xyz"}) == {}
    assert digests({"integrity": "sha512-" + base64.b64encode(b"short").decode()}) == {}
    assert digests({"integrity": 5, "shasum": "g" * 40}) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-01T00:00:00.123Z", datetime(2024, 2, 1, 0, 0, 0, 123000, tzinfo=UTC)),
        ("2024-02-01T02:00:00+02:00", datetime(2024, 2, 1, tzinfo=UTC)),
        ("2024-02-01T00:00:00", datetime(2024, 2, 1, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
        (17, None),
    ],
)
def test_parse_time(value: Any, expected: datetime | None) -> None:
    assert parse_time(value) == expected


async def test_details_give_versions_manifests_tags_and_project_fields() -> None:
    result, _ = await fetch(reply(packument("@acme/widget")), project="@acme/widget")
    assert result.body is not None
    details = NpmUpstream().details(result.body, "@acme/widget")
    assert details.display_name == "@acme/widget"
    assert details.versions == ("1.0.0", "1.1.0", "2.0.0-rc.1")
    assert details.status is ProjectStatus.ACTIVE
    assert details.release_metadata["1.0.0"]["deprecated"] == "use 1.1"
    assert details.tags == {"latest": "1.1.0", "next": "2.0.0-rc.1"}
    assert details.extra["readme"] == "# left-pad"
    assert details.extra["description"] == "pads strings"
    assert details.extra["maintainers"] == [{"name": "alice", "email": "alice@example.invalid"}]
    assert details.extra["created"] == "2024-01-01T00:00:00.000Z"
    assert details.extra["time"]["1.1.0"] == "2024-02-01T00:00:00.123Z"
    assert json.loads(json.dumps(dict(details.extra))) == details.extra
