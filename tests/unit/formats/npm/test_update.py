import copy
from typing import Any

import pytest

from wharf.core.errors import InvalidRequestError
from wharf.formats.npm.publish import MetadataUpdate, parse_update

from .builders import encode

VERSIONS: dict[str, dict[str, Any]] = {
    "1.0.0": {"name": "demo", "version": "1.0.0", "deprecated": "use 2"},
    "1.1.0": {"name": "demo", "version": "1.1.0"},
    "2.0.0": {"name": "demo", "version": "2.0.0", "deprecated": ""},
}
TAGS = {"latest": "2.0.0", "old": "1.1.0"}


def packument() -> dict[str, Any]:
    """The stored document as `GET /demo?write=true` returns it."""
    return {
        "_id": "demo",
        "_rev": "3-abc",
        "name": "demo",
        "dist-tags": dict(TAGS),
        "versions": copy.deepcopy(VERSIONS),
        "time": {"created": "2024-01-01T00:00:00.000Z"},
    }


def update(doc: dict[str, Any], url_name: str = "demo") -> MetadataUpdate:
    return parse_update(encode(doc), url_name, VERSIONS, TAGS)


def test_sending_the_document_back_unchanged_changes_nothing() -> None:
    assert update(packument()) == MetadataUpdate({}, frozenset(), None)


def test_deprecate() -> None:
    doc = packument()
    doc["versions"]["1.1.0"]["deprecated"] = "insecure, use 2.0.0"
    doc["versions"]["2.0.0"]["deprecated"] = "also this"
    result = update(doc)
    assert result.deprecations == {"1.1.0": "insecure, use 2.0.0", "2.0.0": "also this"}
    assert result.removed_versions == frozenset()
    assert result.dist_tags is None


def test_undeprecate_with_an_empty_string() -> None:
    doc = packument()
    doc["versions"]["1.0.0"]["deprecated"] = ""
    assert update(doc).deprecations == {"1.0.0": ""}


def test_a_missing_deprecated_field_means_not_deprecated() -> None:
    doc = packument()
    del doc["versions"]["1.0.0"]["deprecated"]
    del doc["versions"]["2.0.0"]["deprecated"]
    assert update(doc).deprecations == {"1.0.0": ""}


def test_unpublish_one_version() -> None:
    doc = packument()
    del doc["versions"]["2.0.0"]
    doc["dist-tags"] = {"latest": "1.1.0", "old": "1.1.0"}
    result = update(doc)
    assert result.removed_versions == frozenset({"2.0.0"})
    assert result.deprecations == {}
    assert result.dist_tags == {"latest": "1.1.0", "old": "1.1.0"}


def test_tags_pointing_at_removed_versions_are_ignored() -> None:
    doc = packument()
    del doc["versions"]["1.1.0"]
    result = update(doc)
    assert result.removed_versions == frozenset({"1.1.0"})
    assert result.dist_tags == {"latest": "2.0.0"}


def test_a_tag_change_is_the_new_complete_map() -> None:
    doc = packument()
    doc["dist-tags"]["next"] = "2.0.0"
    assert update(doc).dist_tags == {"latest": "2.0.0", "old": "1.1.0", "next": "2.0.0"}


def test_other_changed_fields_are_ignored() -> None:
    doc = packument()
    doc["versions"]["1.1.0"]["dependencies"] = {"evil": "*"}
    doc["versions"]["1.1.0"]["dist"] = {"tarball": "http://127.0.0.1:9/evil.tgz"}
    doc["description"] = "rewritten"
    assert update(doc) == MetadataUpdate({}, frozenset(), None)


def test_a_body_without_versions_touches_no_version() -> None:
    body = {"_id": "demo", "_rev": "3-abc", "maintainers": [{"name": "a", "email": "a@x"}]}
    assert update(body) == MetadataUpdate({}, frozenset(), None)


def test_a_new_version_is_refused() -> None:
    doc = packument()
    doc["versions"]["3.0.0"] = {"name": "demo", "version": "3.0.0"}
    with pytest.raises(InvalidRequestError) as caught:
        update(doc)
    assert "3.0.0" in caught.value.message
    assert "npm publish" in caught.value.hint


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "other"), ("_id", "other")],
)
def test_a_name_mismatch_is_refused(field: str, value: str) -> None:
    doc = packument()
    doc[field] = value
    with pytest.raises(InvalidRequestError) as caught:
        update(doc)
    assert "'other'" in caught.value.message


def test_scoped_names_match_the_url() -> None:
    doc = dict(packument(), _id="@acme/demo", name="@acme/demo")
    assert update(doc, "@acme/demo").removed_versions == frozenset()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        encode(dict(packument(), _attachments={"demo-3.0.0.tgz": {"data": "AA=="}})),
        encode(dict(packument(), versions=["1.0.0"])),
        encode(dict(packument(), versions={"1.0.0": "x"})),
        encode(dict(packument(), **{"dist-tags": ["latest"]})),
        encode(dict(packument(), **{"dist-tags": {"latest": 1}})),
    ],
)
def test_malformed_updates_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_update(body, "demo", VERSIONS, TAGS)
    assert caught.value.hint


def test_deprecated_must_be_a_string() -> None:
    doc = packument()
    doc["versions"]["1.1.0"]["deprecated"] = ["no"]
    with pytest.raises(InvalidRequestError):
        update(doc)
