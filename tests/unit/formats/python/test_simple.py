"""Rendering of simple pages: PEP 503 HTML and PEP 691 JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from wharf.core.models import FileEntry, ProjectPage, ProjectStatus
from wharf.formats.python.listing import parse_listing
from wharf.formats.python.media import HTML_V1, JSON_V1, TEXT_HTML
from wharf.formats.python.simple import etag_for, render_index, render_project

SHA_WHEEL = "a" * 64
SHA_SDIST = "b" * 64
SHA_META = "c" * 64
PAGE_URL = "http://wharf.test/pypi/simple/foo-bar/"

WHEEL = FileEntry(
    filename="foo_bar-1.0-py3-none-any.whl",
    version="1.0",
    url="files/foo-bar/foo_bar-1.0-py3-none-any.whl",
    sha256=SHA_WHEEL,
    size=1234,
    uploaded_at=datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC),
    digests={"MD5": "d" * 32, "blake2b_256": "e" * 64},
    metadata_sha256=SHA_META,
    has_metadata=True,
    attrs={
        "requires_python": "<3.12,>=3.8",
        "provenance": "https://prov.test/foo_bar-1.0-py3-none-any.whl/provenance",
    },
)
SDIST = FileEntry(
    filename="foo_bar-1.0.tar.gz",
    version="1.0",
    url="files/foo-bar/foo_bar-1.0.tar.gz",
    sha256=SHA_SDIST,
    size=99,
    yanked="",
    has_metadata=True,
)
LOCAL = FileEntry(
    filename="foo_bar-0.9+local.1-py3-none-any.whl",
    version="0.9+local.1",
    url="files/foo-bar/foo_bar-0.9+local.1-py3-none-any.whl",
    sha256=None,
    size=5,
    uploaded_at=datetime(2024, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))),
    yanked="broken: <do not use>",
)
SPACED = FileEntry(
    filename="foo bar-0.1.zip",
    version="weird",
    url="files/foo-bar/foo bar-0.1.zip",
    sha256=None,
    size=1,
)
REMOTE = FileEntry(
    filename="foo_bar-2.0rc1-py3-none-any.whl",
    version="2.0rc1",
    url="https://files.example.test/packages/foo_bar-2.0rc1-py3-none-any.whl",
    sha256="f" * 64,
    size=7,
    attrs={"provenance": "files/relative-is-not-a-url"},
)


def make_page(**changes: Any) -> ProjectPage:
    page = ProjectPage(
        index="pypi",
        name="foo-bar",
        display_name="Foo_Bar",
        files=(REMOTE, WHEEL, SPACED, SDIST, LOCAL),
        versions=("3.0.dev0",),
    )
    return replace(page, **changes)


def json_page(page: ProjectPage, **kwargs: Any) -> dict[str, Any]:
    data = json.loads(render_project(page, JSON_V1, **kwargs))
    assert isinstance(data, dict)
    return data


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["filename"]: item for item in data["files"]}


# ---------------------------------------------------------------- HTML


def test_html_page_has_repository_version_and_anchors() -> None:
    html = render_project(make_page(), TEXT_HTML).decode()
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta name="pypi:repository-version" content="1.4">' in html
    assert "<title>Links for Foo_Bar</title>" in html
    assert html.count("<a href=") == 5
    assert f'href="../../files/foo-bar/foo_bar-1.0-py3-none-any.whl#sha256={SHA_WHEEL}"' in html
    assert 'data-requires-python="&lt;3.12,&gt;=3.8"' in html
    assert f'data-core-metadata="sha256={SHA_META}"' in html
    assert f'data-dist-info-metadata="sha256={SHA_META}"' in html
    assert 'data-core-metadata="true" data-dist-info-metadata="true"' in html
    assert 'data-provenance="https://prov.test/foo_bar-1.0-py3-none-any.whl/provenance"' in html
    assert "relative-is-not-a-url" not in html
    assert 'data-yanked="broken: &lt;do not use&gt;"' in html
    assert "pypi:project-status" not in html
    assert "SERIAL" not in html


def test_html_and_v1_html_are_the_same_document() -> None:
    assert render_project(make_page(), TEXT_HTML) == render_project(make_page(), HTML_V1)


def test_html_status_meta_tags_when_not_active() -> None:
    page = make_page(status=ProjectStatus.ARCHIVED, status_reason='moved to "bar"')
    html = render_project(page, TEXT_HTML).decode()
    assert '<meta name="pypi:project-status" content="archived">' in html
    assert '<meta name="pypi:project-status-reason" content="moved to &quot;bar&quot;">' in html


def test_html_serial_comment() -> None:
    html = render_project(make_page(), TEXT_HTML, serial=42).decode()
    assert html.rstrip().endswith("<!--SERIAL 42-->")


def test_html_round_trips_through_the_upstream_parser() -> None:
    """What Wharf writes, Wharf (as a proxy of another Wharf) reads back unchanged."""
    html = render_project(make_page(), TEXT_HTML)
    listing = parse_listing(html, "text/html; charset=utf-8", PAGE_URL, "foo-bar")
    files = {item["filename"]: item for item in listing["files"]}
    assert set(files) == {e.filename for e in make_page().files}
    wheel = files[WHEEL.filename]
    assert wheel["requires-python"] == "<3.12,>=3.8"
    assert wheel["hashes"] == {"sha256": SHA_WHEEL}
    assert wheel["url"] == "http://wharf.test/pypi/files/foo-bar/foo_bar-1.0-py3-none-any.whl"
    assert wheel["core-metadata"] == {"sha256": SHA_META}
    assert wheel["provenance"] == WHEEL.attrs["provenance"]
    assert wheel["yanked"] is False
    assert files[SDIST.filename]["yanked"] is True
    assert files[SDIST.filename]["core-metadata"] is True
    assert files[LOCAL.filename]["yanked"] == "broken: <do not use>"
    assert files[REMOTE.filename]["url"] == REMOTE.url


def test_relative_urls_are_percent_encoded_per_segment() -> None:
    html = render_project(make_page(), TEXT_HTML).decode()
    assert 'href="../../files/foo-bar/foo_bar-0.9%2Blocal.1-py3-none-any.whl"' in html
    assert 'href="../../files/foo-bar/foo%20bar-0.1.zip"' in html
    data = json_page(make_page())
    assert by_name(data)["foo bar-0.1.zip"]["url"] == "../../files/foo-bar/foo%20bar-0.1.zip"


# ---------------------------------------------------------------- JSON


def test_json_page_shape() -> None:
    data = json_page(make_page())
    assert data["meta"] == {"api-version": "1.4"}
    assert data["name"] == "foo-bar"
    assert "project-status" not in data
    wheel = by_name(data)[WHEEL.filename]
    assert wheel == {
        "filename": WHEEL.filename,
        "url": "../../files/foo-bar/foo_bar-1.0-py3-none-any.whl",
        "hashes": {"sha256": SHA_WHEEL, "md5": "d" * 32, "blake2b_256": "e" * 64},
        "requires-python": "<3.12,>=3.8",
        "yanked": False,
        "size": 1234,
        "upload-time": "2024-05-01T12:30:15.250000Z",
        "core-metadata": {"sha256": SHA_META},
        "data-dist-info-metadata": {"sha256": SHA_META},
        "provenance": WHEEL.attrs["provenance"],
    }


def test_json_yanked_metadata_and_optional_fields() -> None:
    files = by_name(json_page(make_page()))
    assert files[SDIST.filename]["yanked"] is True
    assert files[SDIST.filename]["core-metadata"] is True
    assert files[LOCAL.filename]["yanked"] == "broken: <do not use>"
    assert files[LOCAL.filename]["upload-time"] == "2024-01-01T00:00:00.000000Z"
    assert files[LOCAL.filename]["hashes"] == {}
    assert files[LOCAL.filename]["core-metadata"] is False
    assert files[LOCAL.filename]["requires-python"] is None
    assert "upload-time" not in files[SPACED.filename]
    assert files[REMOTE.filename]["url"] == REMOTE.url
    assert files[REMOTE.filename]["provenance"] is None
    for item in files.values():
        assert "dist-info-metadata" not in item
        assert "gpg-sig" not in item


def test_json_versions_sorted_with_unparsable_first() -> None:
    data = json_page(make_page())
    assert data["versions"] == ["weird", "0.9+local.1", "1.0", "2.0rc1", "3.0.dev0"]


def test_json_serial_and_project_status() -> None:
    page = make_page(status=ProjectStatus.DEPRECATED, status_reason="use baz")
    data = json_page(page, serial=7)
    assert data["meta"] == {"api-version": "1.4", "_last-serial": 7}
    assert data["project-status"] == {"status": "deprecated", "reason": "use baz"}
    archived = json_page(make_page(status=ProjectStatus.ARCHIVED))
    assert archived["project-status"] == {"status": "archived"}


def test_quarantined_project_offers_no_files() -> None:
    page = make_page(status=ProjectStatus.QUARANTINED)
    data = json_page(page)
    assert data["files"] == []
    assert data["project-status"] == {"status": "quarantined"}
    assert "<a " not in render_project(page, TEXT_HTML).decode()


def test_output_is_deterministic_and_sorted() -> None:
    shuffled = make_page(files=tuple(reversed(make_page().files)))
    for media_type in (JSON_V1, TEXT_HTML):
        assert render_project(shuffled, media_type) == render_project(make_page(), media_type)
    order = [item["filename"] for item in json_page(shuffled)["files"]]
    assert order == [
        SPACED.filename,
        LOCAL.filename,
        WHEEL.filename,
        SDIST.filename,
        REMOTE.filename,
    ]


def test_non_ascii_is_written_as_utf8() -> None:
    page = make_page(display_name="Föö", status=ProjectStatus.ARCHIVED, status_reason="ünïcode")
    body = render_project(page, JSON_V1)
    assert "ünïcode".encode() in body
    assert "Föö".encode() in render_project(page, TEXT_HTML)


# ---------------------------------------------------------------- root page and ETag


def test_render_index_html() -> None:
    html = render_index([("zeta", "Zeta"), ("foo-bar", "Foo_Bar")], TEXT_HTML).decode()
    assert '<meta name="pypi:repository-version" content="1.4">' in html
    assert html.index('<a href="foo-bar/">Foo_Bar</a>') < html.index('<a href="zeta/">Zeta</a>')


def test_render_index_json() -> None:
    body = render_index([("zeta", "Zeta"), ("foo-bar", "Foo_Bar")], JSON_V1, serial=3)
    assert json.loads(body) == {
        "meta": {"api-version": "1.4", "_last-serial": 3},
        "projects": [{"name": "Foo_Bar"}, {"name": "Zeta"}],
    }


def test_etag_is_strong_stable_and_content_dependent() -> None:
    body = render_project(make_page(), JSON_V1)
    tag = etag_for(body)
    assert tag.startswith('"')
    assert tag.endswith('"')
    assert len(tag) == 34
    assert tag == etag_for(render_project(make_page(), JSON_V1))
    assert tag != etag_for(render_project(make_page(files=(WHEEL,)), JSON_V1))
