"""The Python upstream protocol: fetching simple pages, the neutral body, entries, locate."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import pytest

from formats.fakes import FakeUpstream, request_and_parse
from wharf.core.errors import UpstreamError
from wharf.core.models import FileEntry, ProjectPage, ProjectStatus
from wharf.core.ports import UpstreamReply
from wharf.formats import codec
from wharf.formats.base import FetchStatus, RemoteFile, UpstreamAdapter
from wharf.formats.python import listing
from wharf.formats.python.media import JSON_V1, TEXT_HTML
from wharf.formats.python.simple import render_project
from wharf.formats.python.upstream import ACCEPT, PythonUpstream, version_from_filename
from wharf.formats.wire import parse_time

BASE = "http://upstream.test/simple/"
PAGE = "http://upstream.test/simple/foo-bar/"
SHA = "0123456789abcdef" * 4
META_SHA = "fedcba9876543210" * 4


def reply(
    body: bytes | str,
    *,
    status: int = 200,
    content_type: str | None = JSON_V1,
    url: str = PAGE,
    headers: Mapping[str, str] | None = None,
) -> UpstreamReply:
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["content-type"] = content_type
    raw = body.encode() if isinstance(body, str) else body
    return UpstreamReply(status=status, headers=all_headers, body=raw, url=url)


async def fetch(*replies: UpstreamReply, **kwargs: Any) -> tuple[Any, FakeUpstream]:
    upstream = FakeUpstream(list(replies))
    options: dict[str, Any] = {"etag": None, "last_modified": None, **kwargs}
    result = await request_and_parse(
        PythonUpstream(), upstream, "foo-bar", base_url=BASE, **options)
    return result, upstream


JSON_PAGE = {
    "meta": {"api-version": "1.4", "_last-serial": 5},
    "name": "foo-bar",
    "files": [
        {
            "filename": "foo_bar-1.0-py3-none-any.whl",
            "url": "../../packages/ab/foo_bar-1.0-py3-none-any.whl",
            "hashes": {"sha256": SHA.upper(), "md5": "a" * 32},
            "requires-python": ">=3.8",
            "yanked": False,
            "size": 1234,
            "upload-time": "2024-05-01T12:30:15.250000Z",
            "core-metadata": {"sha256": META_SHA},
            "data-dist-info-metadata": {"sha256": META_SHA},
            "provenance": "https://upstream.test/integrity/foo-bar/1.0/x/provenance",
        },
        {
            "filename": "foo_bar-0.9.tar.gz",
            "url": "https://files.upstream.test/foo_bar-0.9.tar.gz#sha256=" + SHA,
            "hashes": {},
            "yanked": "broken build",
            "dist-info-metadata": True,
        },
        {
            "filename": "foo_bar-0.8.tar.gz",
            "url": "foo_bar-0.8.tar.gz",
            "hashes": {"sha256": SHA},
            "yanked": True,
            "size": True,
        },
    ],
    "versions": ["0.8", "0.9", "1.0", 7],
    "project-status": {"status": "deprecated", "reason": "use baz"},
}


async def test_json_upstream() -> None:
    result, upstream = await fetch(
        reply(
            json.dumps(JSON_PAGE),
            url="http://mirror.upstream.test/simple/foo-bar/",
            headers={"etag": '"v1"', "last-modified": "Wed, 01 May 2024 12:00:00 GMT"},
        )
    )
    assert upstream.requests == [(PAGE, {"Accept": ACCEPT})]
    assert ACCEPT.startswith(JSON_V1)
    assert result.status is FetchStatus.OK
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 01 May 2024 12:00:00 GMT"
    body = result.body
    assert body["name"] == "foo-bar"
    assert body["api-version"] == "1.4"
    assert body["versions"] == ["0.8", "0.9", "1.0"]
    assert body["project-status"] == {"status": "deprecated", "reason": "use baz"}
    wheel, sdist, old = body["files"]
    assert wheel == {
        "filename": "foo_bar-1.0-py3-none-any.whl",
        # relative URLs resolve against the final (redirected) URL
        "url": "http://mirror.upstream.test/packages/ab/foo_bar-1.0-py3-none-any.whl",
        "hashes": {"sha256": SHA, "md5": "a" * 32},
        "requires-python": ">=3.8",
        "yanked": False,
        "upload-time": "2024-05-01T12:30:15.250000Z",
        "size": 1234,
        "core-metadata": {"sha256": META_SHA},
        "provenance": "https://upstream.test/integrity/foo-bar/1.0/x/provenance",
    }
    assert sdist["url"] == "https://files.upstream.test/foo_bar-0.9.tar.gz"
    assert sdist["hashes"] == {"sha256": SHA}
    assert sdist["yanked"] == "broken build"
    assert sdist["core-metadata"] is True
    assert sdist["size"] is None
    assert old["yanked"] is True
    assert old["size"] is None
    assert old["url"] == "http://mirror.upstream.test/simple/foo-bar/foo_bar-0.8.tar.gz"
    json.dumps(body)  # the cached body is JSON-able


HTML_PAGE = f"""<!DOCTYPE html>
<html><head>
<meta name="pypi:repository-version" content="1.3">
<meta name="pypi:project-status" content="archived">
<meta name="pypi:project-status-reason" content="read &amp; only">
<title>Links for foo-bar</title></head>
<body>
<a href="../../packages/foo_bar-1.0-py3-none-any.whl#sha256={SHA}"
   data-requires-python="&lt;3.12,&gt;=3.8" data-core-metadata="sha256={META_SHA}"
   data-dist-info-metadata="sha256={"9" * 64}"
   data-provenance="/integrity/foo-bar/1.0/provenance">foo_bar-1.0-py3-none-any.whl</a><br>
<a href="foo_bar-0.9.tar.gz#md5={"c" * 32}" data-yanked>foo_bar-0.9.tar.gz</a>
<a href="foo_bar-0.8.tar.gz" data-yanked="no &lt;good&gt;" data-dist-info-metadata="true">x</a>
<a href="https://files.upstream.test/a/foo_bar-0.7%2Blocal.zip">foo_bar-0.7+local.zip</a>
<a href="">empty</a><a>no href</a>
</body></html>
"""


async def test_html_only_upstream() -> None:
    result, _ = await fetch(reply(HTML_PAGE, content_type="text/html; charset=utf-8"))
    assert result.status is FetchStatus.OK
    body = result.body
    assert body["api-version"] == "1.3"
    assert body["project-status"] == {"status": "archived", "reason": "read & only"}
    files = {item["filename"]: item for item in body["files"]}
    assert list(files) == [
        "foo_bar-1.0-py3-none-any.whl",
        "foo_bar-0.9.tar.gz",
        "foo_bar-0.8.tar.gz",
        "foo_bar-0.7+local.zip",
    ]
    wheel = files["foo_bar-1.0-py3-none-any.whl"]
    assert wheel["url"] == "http://upstream.test/packages/foo_bar-1.0-py3-none-any.whl"
    assert wheel["hashes"] == {"sha256": SHA}
    assert wheel["requires-python"] == "<3.12,>=3.8"
    # PEP 714: data-core-metadata wins over the legacy attribute
    assert wheel["core-metadata"] == {"sha256": META_SHA}
    assert wheel["provenance"] == "http://upstream.test/integrity/foo-bar/1.0/provenance"
    assert wheel["yanked"] is False
    assert wheel["size"] is None
    assert wheel["upload-time"] is None
    assert files["foo_bar-0.9.tar.gz"]["yanked"] is True
    assert files["foo_bar-0.9.tar.gz"]["hashes"] == {"md5": "c" * 32}
    assert files["foo_bar-0.9.tar.gz"]["core-metadata"] is False
    assert files["foo_bar-0.8.tar.gz"]["yanked"] == "no <good>"
    assert files["foo_bar-0.8.tar.gz"]["core-metadata"] is True
    assert files["foo_bar-0.8.tar.gz"]["url"] == PAGE + "foo_bar-0.8.tar.gz"
    assert files["foo_bar-0.7+local.zip"]["url"].endswith("/a/foo_bar-0.7%2Blocal.zip")


async def test_html_base_href_and_sniffed_content_type() -> None:
    page = '<html><head><base href="http://files.upstream.test/d/"></head>'
    page += '<body><a href="foo_bar-1.0.tar.gz">foo_bar-1.0.tar.gz</a></body></html>'
    result, _ = await fetch(reply(page, content_type=None))
    assert result.body["files"][0]["url"] == "http://files.upstream.test/d/foo_bar-1.0.tar.gz"
    as_json, _ = await fetch(reply(json.dumps(JSON_PAGE), content_type="application/json"))
    assert len(as_json.body["files"]) == 3
    sniffed, _ = await fetch(reply(json.dumps(JSON_PAGE), content_type=None))
    assert sniffed.body["project-status"]["status"] == "deprecated"


async def test_requires_python_round_trip_through_wharf_html() -> None:
    entry = FileEntry(
        filename="foo_bar-1.0-py3-none-any.whl",
        version="1.0",
        url="files/foo-bar/foo_bar-1.0-py3-none-any.whl",
        sha256=SHA,
        attrs={"requires_python": "<3.12,>=3.8"},
    )
    page = ProjectPage(index="up", name="foo-bar", display_name="foo-bar", files=(entry,))
    html = render_project(page, TEXT_HTML)
    assert b"&lt;3.12,&gt;=3.8" in html
    result, _ = await fetch(reply(html, content_type=TEXT_HTML))
    (parsed,) = result.body["files"]
    assert parsed["requires-python"] == "<3.12,>=3.8"
    assert parsed["hashes"] == {"sha256": SHA}
    assert parsed["url"] == "http://upstream.test/files/foo-bar/foo_bar-1.0-py3-none-any.whl"


async def test_not_modified_sends_conditional_headers() -> None:
    result, upstream = await fetch(
        reply(b"", status=304, content_type=None, headers={"etag": '"v2"'}),
        etag='"v1"',
        last_modified="Wed, 01 May 2024 12:00:00 GMT",
    )
    _, headers = upstream.requests[0]
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Wed, 01 May 2024 12:00:00 GMT"
    assert result.status is FetchStatus.NOT_MODIFIED
    assert result.body is None
    assert result.etag == '"v2"'
    assert result.last_modified == "Wed, 01 May 2024 12:00:00 GMT"


@pytest.mark.parametrize("status", [404, 410])
async def test_missing(status: int) -> None:
    result, _ = await fetch(reply(b"Not Found", status=status, content_type="text/plain"))
    assert result.status is FetchStatus.MISSING
    assert result.body is None


@pytest.mark.parametrize(
    ("status", "words"),
    [(500, "failed"), (503, "failed"), (429, "rate limiting"), (401, "refused"), (302, "unexp")],
)
async def test_error_statuses_raise(status: int, words: str) -> None:
    with pytest.raises(UpstreamError) as caught:
        await fetch(reply(b"oops", status=status, content_type="text/plain"))
    assert str(status) in caught.value.message
    assert words in caught.value.message
    assert PAGE in caught.value.message
    assert caught.value.hint


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", JSON_V1),
        (b"[1, 2, 3]", JSON_V1),
        (b'{"files": "nope"}', JSON_V1),
        (b'{"files": [{"filename": "x.whl"}]}', JSON_V1),
        (b'{"files": [17]}', JSON_V1),
        (b'{"meta": {"api-version": "2.0"}, "files": []}', JSON_V1),
        (b"\x00\x01\x02\xff binary", "text/html"),
        (b"just some words", "text/html"),
        (b"<html><![foo bar]><a href='x.whl'>x.whl</a></html>", "text/html"),
        (b'<html><head><meta name="pypi:repository-version" content="2.1"></head></html>', None),
    ],
)
async def test_garbage_raises(body: bytes, content_type: str | None) -> None:
    with pytest.raises(UpstreamError, match="unreadable"):
        await fetch(reply(body, content_type=content_type))


async def test_project_name_is_quoted_in_the_url() -> None:
    upstream = FakeUpstream([reply(b"", status=404)])
    await PythonUpstream().request(
        upstream, "http://upstream.test/simple", "a/b c", etag=None, last_modified=None
    )
    assert upstream.requests[0][0] == "http://upstream.test/simple/a%2Fb%20c/"


async def test_entries() -> None:
    result, _ = await fetch(reply(json.dumps(JSON_PAGE)))
    entries = PythonUpstream().entries(result.body, "pypi-remote")
    wheel, sdist, old = entries
    assert wheel == FileEntry(
        filename="foo_bar-1.0-py3-none-any.whl",
        version="1.0",
        url="files/foo-bar/foo_bar-1.0-py3-none-any.whl",
        sha256=SHA,
        size=1234,
        uploaded_at=datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC),
        yanked=None,
        digests={"md5": "a" * 32},
        metadata_sha256=META_SHA,
        has_metadata=True,
        attrs={
            "requires_python": ">=3.8",
            "provenance": "https://upstream.test/integrity/foo-bar/1.0/x/provenance",
        },
        source="pypi-remote",
    )
    assert sdist.version == "0.9"
    assert sdist.yanked == "broken build"
    assert sdist.has_metadata is True
    assert sdist.metadata_sha256 is None
    assert old.yanked == ""
    assert old.has_metadata is False
    assert old.attrs == {}


async def test_entries_render_back_to_an_equal_page() -> None:
    """Proxy: upstream JSON → entries → Wharf's own JSON keeps PEP 592/658/700 data."""
    result, _ = await fetch(reply(json.dumps(JSON_PAGE)))
    entries = PythonUpstream().entries(result.body, "pypi-remote")
    page = ProjectPage(index="r", name="foo-bar", display_name="foo-bar", files=tuple(entries))
    rendered = json.loads(render_project(page, JSON_V1))
    files = {item["filename"]: item for item in rendered["files"]}
    wheel = files["foo_bar-1.0-py3-none-any.whl"]
    assert wheel["upload-time"] == "2024-05-01T12:30:15.250000Z"
    assert wheel["core-metadata"] == {"sha256": META_SHA}
    assert wheel["requires-python"] == ">=3.8"
    assert files["foo_bar-0.9.tar.gz"]["yanked"] == "broken build"
    assert files["foo_bar-0.8.tar.gz"]["yanked"] is True


async def test_locate() -> None:
    result, _ = await fetch(reply(json.dumps(JSON_PAGE)))
    adapter: UpstreamAdapter = PythonUpstream()
    url = "http://upstream.test/packages/ab/foo_bar-1.0-py3-none-any.whl"
    assert adapter.locate(result.body, "foo_bar-1.0-py3-none-any.whl") == RemoteFile(
        filename="foo_bar-1.0-py3-none-any.whl",
        url=url,
        sha256=SHA,
        size=1234,
        metadata_url=url + ".metadata",
        metadata_sha256=META_SHA,
        version="1.0",
    )
    assert adapter.locate(result.body, "foo_bar-1.0-py3-none-any.whl.metadata") == RemoteFile(
        filename="foo_bar-1.0-py3-none-any.whl.metadata", url=url + ".metadata", sha256=META_SHA,
        version="1.0",
    )
    sdist_meta = adapter.locate(result.body, "foo_bar-0.9.tar.gz.metadata")
    assert sdist_meta is not None
    assert sdist_meta.sha256 is None
    assert adapter.locate(result.body, "foo_bar-0.8.tar.gz.metadata") is None
    assert adapter.locate(result.body, "foo_bar-0.8.tar.gz") is not None
    assert adapter.locate(result.body, "nothing-1.0.tar.gz") is None


@pytest.mark.parametrize("kind", ["html", "json"])
async def test_locate_in_text_reads_what_locate_reads(kind: str) -> None:
    """The stored text of a listing (as the database keeps it) gives every file, and every
    metadata document, the same source as the decoded listing, and nothing else."""
    names = ["foo_bar-1.0.tar.gz", "foo_bar-1.0-py3-none-any.whl", 'odd "quoted" ñame-1.0.zip',
             "foo_bar-1.0.zip"]
    files = tuple(
        FileEntry(filename=f, version="1", url=f"../../packages/{n}/{f}", sha256=SHA,
                  has_metadata=n % 2 == 0, metadata_sha256=META_SHA if n % 4 == 0 else None)
        for n, f in enumerate(names))
    page = render_project(ProjectPage(index="x", name="foo-bar", display_name="foo-bar",
                                      files=files), JSON_V1 if kind == "json" else TEXT_HTML)
    result, _ = await fetch(reply(page, content_type=JSON_V1 if kind == "json" else TEXT_HTML))
    text = codec.dumps(result.body).decode()
    adapter = PythonUpstream()
    assert sorted(f["filename"] for f in result.body["files"]) == sorted(names)
    for name in [*names, *(n + ".metadata" for n in names), "foo_bar-2.0.tar.gz", "foo_bar"]:
        assert adapter.locate_in_text(text, "foo-bar", name) == adapter.locate(
            result.body, name), name


async def test_locate_in_text_declines_text_it_cannot_read() -> None:
    """None (decode the listing instead) for text in another layout."""
    result, _ = await fetch(reply(json.dumps(JSON_PAGE)))
    adapter = PythonUpstream()
    spaced = json.dumps(result.body)  # ", " and ": " between items
    assert adapter.locate_in_text(spaced, "foo-bar", "foo_bar-0.8.tar.gz") is None
    text = codec.dumps(result.body).decode()
    cut = text[: text.index('"foo_bar-0.8.tar.gz"') + 60]
    assert adapter.locate_in_text(cut, "foo-bar", "foo_bar-0.8.tar.gz") is None
    assert adapter.locate_in_text(cut, "foo-bar", "foo_bar-1.0-py3-none-any.whl") is not None


@pytest.mark.parametrize("kind", ["html", "json"])
async def test_large_page_parses(kind: str) -> None:
    count = 15_000
    names = [f"big_project-{i // 3}.{i % 3}.0-py3-none-any.whl" for i in range(count)]
    if kind == "json":
        files = [
            {"filename": n, "url": f"../../p/{n}", "hashes": {"sha256": SHA}, "size": 1}
            for n in names
        ]
        content = json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode()
        content_type = JSON_V1
    else:
        anchors = "".join(
            f'<a href="../../p/{n}#sha256={SHA}" data-requires-python="&gt;=3.8">{n}</a><br>\n'
            for n in names
        )
        content = f"<!DOCTYPE html><html><body>{anchors}</body></html>".encode()
        content_type = TEXT_HTML
    started = time.perf_counter()
    result, _ = await fetch(reply(content, content_type=content_type))
    parsed = time.perf_counter()
    entries = PythonUpstream().entries(result.body, "big")
    done = time.perf_counter()
    print(f"{kind}: parse {parsed - started:.3f}s, entries {done - parsed:.3f}s for {count}")
    assert len(result.body["files"]) == count
    assert len(entries) == count
    assert entries[-1].version == "4999.2.0"


@pytest.mark.parametrize(
    ("filename", "project", "expected"),
    [
        ("foo_bar-1.0-py3-none-any.whl", "foo-bar", "1.0"),
        ("Foo.Bar-1.0.post1-2-cp311-cp311-linux_x86_64.whl", "foo-bar", "1.0.post1"),
        ("foo_bar-2.0rc1.tar.gz", "foo-bar", "2.0rc1"),
        ("foo-bar-1.0.zip", "foo-bar", "1.0"),
        ("foo-bar-1.0.tar.bz2", "foo-bar", "1.0"),
        ("foo_bar-0.5-py2.7.egg", "foo-bar", "0.5"),
        ("foo_bar-1.0-beta.tar.gz", "foo-bar", "1.0b0"),
        ("foo_bar-dev-snapshot.tar.gz", "foo-bar", "dev-snapshot"),
        ("something-else.txt", "foo-bar", ""),
        ("other-1.0.tar.bz2", "foo-bar", ""),
    ],
)
def test_version_from_filename(filename: str, project: str, expected: str) -> None:
    assert version_from_filename(filename, project) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T12:30:15.250000Z", datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC)),
        ("2024-05-01T14:30:15+02:00", datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)),
        ("2024-05-01T12:30:15", datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (12345, None),
    ],
)
def test_parse_time(value: Any, expected: datetime | None) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "href",
    [
        "foo-1.0.tar.gz",
        "../../packages/ab/cd/foo-1.0.tar.gz",
        "/packages/foo-1.0.tar.gz",
        "//other.test/p/foo-1.0.tar.gz",
        "./foo-1.0.tar.gz",
        "sub/../foo-1.0.tar.gz",
        "dl?file=foo-1.0.tar.gz",
        "../",
        "..",
        "",
        "mailto:someone",
        "https://files.test/foo-1.0.tar.gz",
    ],
)
@pytest.mark.parametrize("base", [PAGE, "http://upstream.test/simple/foo-bar", PAGE + "?x=1"])
def test_memoised_url_resolution_equals_urljoin(base: str, href: str) -> None:
    resolve = listing._Resolver(base)
    assert resolve(href) == urljoin(base, href)
    assert resolve(href) == urljoin(base, href)  # second time from the memo


async def test_versions_and_project_status_accessors() -> None:
    adapter = PythonUpstream()
    result, _ = await fetch(reply(json.dumps(JSON_PAGE)))
    assert adapter.versions(result.body) == ("0.8", "0.9", "1.0")
    assert adapter.project_status(result.body) == (ProjectStatus.DEPRECATED, "use baz")
    html, _ = await fetch(reply(HTML_PAGE, content_type=TEXT_HTML))
    assert adapter.versions(html.body) == ()
    assert adapter.project_status(html.body) == (ProjectStatus.ARCHIVED, "read & only")
    assert adapter.project_status({"project-status": {"status": "bogus"}}) == (
        ProjectStatus.ACTIVE,
        "",
    )
    assert adapter.project_status({}) == (ProjectStatus.ACTIVE, "")
