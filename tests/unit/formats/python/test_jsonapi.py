"""The per-project JSON API (``/pypi/<project>/json``)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from wharf.core.errors import NotFoundError
from wharf.core.models import FileEntry, ProjectPage
from wharf.formats.python.jsonapi import render_project_json

FILES_BASE = "http://wharf.test/pypi/"
INDEX_URL = "http://wharf.test/pypi"


def entry(filename: str, version: str, **changes: Any) -> FileEntry:
    base = FileEntry(
        filename=filename,
        version=version,
        url=f"files/demo/{filename}",
        sha256=filename[:1] * 64,
        size=10,
    )
    return base._replace(**changes)


WHEEL_2 = entry(
    "demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl",
    "2.0",
    uploaded_at=datetime(2024, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
    digests={"md5": "1" * 32, "blake2b_256": "2" * 64},
    has_metadata=True,
    metadata_sha256="3" * 64,
    attrs={"requires_python": ">=3.11"},
)
SDIST_2 = entry("demo-2.0.tar.gz", "2.0")
SDIST_1 = entry("demo-1.0.tar.gz", "1.0", attrs={"packagetype": "sdist", "python_version": "src"})
YANKED_25 = entry("demo-2.5.tar.gz", "2.5", yanked="security hole")
PRE_3 = entry("demo-3.0rc1.tar.gz", "3.0rc1")
ABSOLUTE = entry(
    "demo-1.0-py3-none-any.whl", "1.0", url="https://mirror.test/x/demo-1.0-py3-none-any.whl"
)

METADATA_2 = {
    "summary": "A demo",
    "description": "Long text",
    "description_content_type": "text/markdown",
    "author": "Ann",
    "author_email": "ann@example.test",
    "license_expression": "MIT",
    "license_files": ["LICENSE"],
    "keywords": ["demo", "test"],
    "classifiers": ["Programming Language :: Python :: 3"],
    "requires_dist": ["httpx>=0.27", "rich; extra == 'cli'"],
    "requires_python": ">=3.10",
    "provides_extra": ["cli"],
    "project_urls": ["Source, https://code.example.test/demo", "Docs, https://docs.example.test"],
    "home_page": "https://demo.example.test",
}


def make_page(*files: FileEntry, **changes: Any) -> ProjectPage:
    page = ProjectPage(
        index="pypi",
        name="demo",
        display_name="Demo",
        files=files or (SDIST_1, ABSOLUTE, WHEEL_2, SDIST_2, YANKED_25, PRE_3),
        release_metadata={"2.0": METADATA_2},
    )
    return replace(page, **changes)


def render(page: ProjectPage, version: str | None = None, **kwargs: Any) -> dict[str, Any]:
    body = render_project_json(
        page, version=version, files_base_url=FILES_BASE, index_url=INDEX_URL, **kwargs
    )
    data = json.loads(body)
    assert isinstance(data, dict)
    return data


def test_project_endpoint_picks_latest_final_non_yanked_release() -> None:
    data = render(make_page())
    # 3.0rc1 is a prerelease and 2.5 is yanked
    assert data["info"]["version"] == "2.0"
    assert sorted(item["filename"] for item in data["urls"]) == sorted(
        [WHEEL_2.filename, SDIST_2.filename]
    )
    assert list(data["releases"]) == ["1.0", "2.0", "2.5", "3.0rc1"]
    assert [f["filename"] for f in data["releases"]["1.0"]] == [ABSOLUTE.filename, SDIST_1.filename]
    assert data["last_serial"] == 0
    assert data["vulnerabilities"] == []


def test_latest_falls_back_to_prerelease_then_yanked() -> None:
    no_metadata: dict[str, Any] = {"release_metadata": {}}
    assert render(make_page(YANKED_25, PRE_3, **no_metadata))["info"]["version"] == "3.0rc1"
    info = render(make_page(YANKED_25, **no_metadata))["info"]
    assert info["version"] == "2.5"
    assert info["yanked"] is True
    assert info["yanked_reason"] == "security hole"


def test_info_from_release_metadata() -> None:
    info = render(make_page())["info"]
    assert info["name"] == "Demo"
    assert info["summary"] == "A demo"
    assert info["description"] == "Long text"
    assert info["description_content_type"] == "text/markdown"
    assert info["author_email"] == "ann@example.test"
    assert info["license_expression"] == "MIT"
    assert info["license"] is None
    assert info["license_files"] == ["LICENSE"]
    assert info["keywords"] == "demo,test"
    assert info["classifiers"] == ["Programming Language :: Python :: 3"]
    assert info["requires_dist"] == ["httpx>=0.27", "rich; extra == 'cli'"]
    assert info["requires_python"] == ">=3.10"
    assert info["provides_extra"] == ["cli"]
    assert info["dynamic"] is None
    assert info["project_urls"] == {
        "Source": "https://code.example.test/demo",
        "Docs": "https://docs.example.test",
        "Homepage": "https://demo.example.test",
    }
    assert info["bugtrack_url"] is None
    assert info["docs_url"] is None
    assert info["downloads"] == {"last_day": -1, "last_month": -1, "last_week": -1}
    assert info["package_url"] == "http://wharf.test/pypi/simple/demo/"
    assert info["project_url"] == "http://wharf.test/pypi/simple/demo/"
    assert info["release_url"] == "http://wharf.test/pypi/pypi/demo/2.0/json"
    assert info["yanked"] is False
    assert info["yanked_reason"] is None


def test_info_without_metadata_uses_file_requires_python() -> None:
    page = make_page(WHEEL_2, release_metadata={})
    info = render(page, "2.0")["info"]
    assert info["requires_python"] == ">=3.11"
    assert info["summary"] is None
    assert info["classifiers"] == []


def test_file_entries() -> None:
    data = render(make_page(), "2.0")
    files = {item["filename"]: item for item in data["urls"]}
    wheel = files[WHEEL_2.filename]
    assert wheel == {
        "comment_text": "",
        "core-metadata": {"sha256": "3" * 64},
        "digests": {"blake2b_256": "2" * 64, "md5": "1" * 32, "sha256": "d" * 64},
        "downloads": -1,
        "filename": WHEEL_2.filename,
        "has_sig": False,
        "md5_digest": "1" * 32,
        "packagetype": "bdist_wheel",
        "python_version": "cp311",
        "requires_python": ">=3.11",
        "size": 10,
        "upload_time": "2024-03-04T05:06:07",
        "upload_time_iso_8601": "2024-03-04T05:06:07.891011Z",
        "url": "http://wharf.test/pypi/files/demo/" + WHEEL_2.filename,
        "yanked": False,
        "yanked_reason": None,
    }
    sdist = files[SDIST_2.filename]
    assert sdist["packagetype"] == "sdist"
    assert sdist["python_version"] == "source"
    assert sdist["upload_time"] is None
    assert sdist["md5_digest"] is None
    assert sdist["core-metadata"] is False


def test_version_endpoint_has_no_releases_and_keeps_given_attrs() -> None:
    data = render(make_page(), "1.0", serial=9)
    assert "releases" not in data
    assert data["last_serial"] == 9
    files = {item["filename"]: item for item in data["urls"]}
    assert files[SDIST_1.filename]["python_version"] == "src"
    assert files[ABSOLUTE.filename]["url"] == ABSOLUTE.url
    assert data["info"]["version"] == "1.0"
    assert data["info"]["summary"] is None


def test_yanked_file_entry() -> None:
    data = render(make_page(), "2.5")
    assert data["urls"][0]["yanked"] is True
    assert data["urls"][0]["yanked_reason"] == "security hole"
    assert data["info"]["yanked"] is True


def test_version_matches_by_pep440_equality() -> None:
    assert render(make_page(), "2.0.0")["info"]["version"] == "2.0"
    assert render(make_page(), "3.0.0-rc.1")["info"]["version"] == "3.0rc1"


def test_relative_file_urls_are_quoted() -> None:
    plus = entry("demo-1.0+local-py3-none-any.whl", "1.0+local")
    data = render(make_page(plus), "1.0+local")
    assert (
        data["urls"][0]["url"]
        == "http://wharf.test/pypi/files/demo/demo-1.0%2Blocal-py3-none-any.whl"
    )


def test_unknown_version_is_not_found_with_hint() -> None:
    with pytest.raises(NotFoundError) as caught:
        render(make_page(), "9.9")
    assert "Demo" in caught.value.message
    assert "9.9" in caught.value.message
    assert "3.0rc1" in caught.value.hint
    assert "1.0" in caught.value.hint


def test_project_without_releases_is_not_found() -> None:
    page = replace(make_page(), files=(), release_metadata={})
    with pytest.raises(NotFoundError, match="no releases"):
        render(page)
