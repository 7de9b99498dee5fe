"""A hosted index driven by twine, uv publish, pip and uv: upload, install, immutability,
validation, PEP 658 metadata and the JSON API."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from . import clients
from .packages import Dist, write_wheel
from .servers import ADMIN, WharfServer

pytestmark = pytest.mark.e2e


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_upload_with_twine_then_install_with_pip_and_uv(
    plain: WharfServer,
    dists: dict[str, Dist],
    acme_published: list[clients.Run],
    target: Callable[[str], Path],
) -> None:
    for result, dist in zip(acme_published, (dists["acme-1.0"], dists["acme-2.0"]), strict=True):
        for path in dist.files:
            assert f"Uploading {path.name}" in result.output, str(result)

    listed = clients.listed_files(plain.index_simple_url("pypi-local"), "acme-widget")
    expected = {p.name: p for key in ("acme-1.0", "acme-2.0") for p in dists[key].files}
    assert set(listed) == set(expected)
    for name, path in expected.items():
        assert listed[name]["hashes"]["sha256"] == sha256(path.read_bytes())

    pip_dir = target("pip")
    result = clients.pip_install(plain.simple_url, "acme-widget", target=pip_dir)
    assert result.ok, str(result)
    assert (pip_dir / "acme_widget" / "__init__.py").is_file()
    assert clients.installed_version(pip_dir, "acme-widget") == "2.0"

    uv_dir = target("uv")
    result = clients.uv_install(plain.simple_url, "acme-widget", target=uv_dir)
    assert result.ok, str(result)
    assert (uv_dir / "acme_widget" / "__init__.py").is_file()
    assert clients.installed_version(uv_dir, "acme-widget") == "2.0"

    # The group's own path and an older pin work too.
    pinned = target("pip-pinned")
    result = clients.pip_install(plain.index_simple_url("pypi"), "acme-widget==1.0", target=pinned)
    assert result.ok, str(result)
    assert clients.installed_version(pinned, "acme-widget") == "1.0"
    assert '__version__ = "1.0"' in (pinned / "acme_widget" / "__init__.py").read_text()


def test_identical_reupload_conflicts_and_can_be_skipped(
    plain: WharfServer, dists: dict[str, Dist], acme_published: list[clients.Run]
) -> None:
    wheel = dists["acme-1.0"].wheel
    result = clients.twine_upload(plain.index_url("pypi"), [wheel], *ADMIN, "--verbose")
    assert not result.ok, str(result)
    assert "409" in result.output, str(result)
    assert "already exist" in result.output.lower(), str(result)

    # uv publish skips files the index already has with the same contents.
    result = clients.uv_publish(
        plain.index_url("pypi"),
        dists["acme-1.0"].files,
        *ADMIN,
        "--check-url",
        plain.index_simple_url("pypi"),
    )
    assert result.ok, str(result)
    assert result.output.count("already exists, skipping") == 2, str(result)

    # twine's --skip-existing: twine >= 6.1 only allows it for the public index's own URL;
    # older twine skips on Wharf's 409.
    result = clients.twine_upload(plain.index_url("pypi"), [wheel], *ADMIN, "--skip-existing")
    if "UnsupportedConfiguration" not in result.output:
        assert result.ok, str(result)
        assert "Skipping" in result.output, str(result)


def test_other_bytes_under_a_published_filename_are_refused(
    plain: WharfServer, dists: dict[str, Dist], acme_published: list[clients.Run]
) -> None:
    original, changed = dists["acme-1.0"].wheel, dists["acme-1.0-changed"].wheel
    assert original.name == changed.name
    assert original.read_bytes() != changed.read_bytes()

    result = clients.twine_upload(plain.index_url("pypi-local"), [changed], *ADMIN, "--verbose")
    assert not result.ok, str(result)
    assert "409" in result.output, str(result)

    listed = clients.listed_files(plain.index_simple_url("pypi-local"), "acme-widget")
    assert listed[original.name]["hashes"]["sha256"] == sha256(original.read_bytes())
    download = httpx.get(f"{plain.url}/pypi-local/files/acme-widget/{original.name}", timeout=30)
    assert download.status_code == 200
    assert download.content == original.read_bytes()


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("metadata-names-another-project", "names the project 'wharf-e2e-someone-else'"),
        ("no-record", "has no wharf_e2e_bad_record-1.0.dist-info/RECORD"),
    ],
)
def test_invalid_wheel_is_refused_with_the_problem_named(
    plain: WharfServer, tmp_path: Path, case: str, problem: str
) -> None:
    if case == "metadata-names-another-project":
        name = "wharf-e2e-bad-name"
        wheel = write_wheel(
            tmp_path, name=name, version="1.0", metadata_name="wharf-e2e-someone-else"
        )
    else:
        name = "wharf-e2e-bad-record"
        wheel = write_wheel(tmp_path, name=name, version="1.0", omit=["RECORD"])

    result = clients.twine_upload(plain.index_url("pypi"), [wheel], *ADMIN, "--verbose")
    assert not result.ok, str(result)
    assert "400" in result.output, str(result)
    assert problem in result.output, str(result)

    for project in (name, "wharf-e2e-someone-else"):
        assert clients.listed_files(plain.index_simple_url("pypi-local"), project) == {}
    root = httpx.get(plain.index_simple_url("pypi-local"), timeout=30).text
    assert name not in root


def test_corrupt_zip_is_refused_with_400(plain: WharfServer, tmp_path: Path) -> None:
    """twine refuses to send an unreadable wheel at all, so this speaks the legacy upload
    API the way twine does."""
    filename = "wharf_e2e_corrupt-1.0-py3-none-any.whl"
    response = httpx.post(
        plain.index_url("pypi"),
        auth=ADMIN,
        data={
            ":action": "file_upload",
            "protocol_version": "1",
            "name": "wharf-e2e-corrupt",
            "version": "1.0",
            "filetype": "bdist_wheel",
            "pyversion": "py3",
            "metadata_version": "2.1",
        },
        files={
            "content": (
                filename,
                b"PK\x03\x04 this is not really a zip" * 100,
                "application/octet-stream",
            )
        },
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert "not a readable zip archive" in response.text
    assert clients.listed_files(plain.index_simple_url("pypi-local"), "wharf-e2e-corrupt") == {}


def test_pep658_core_metadata_is_served(
    plain: WharfServer, dists: dict[str, Dist], acme_published: list[clients.Run]
) -> None:
    wheel = dists["acme-2.0"].wheel
    page_url = plain.index_simple_url("pypi") + "acme-widget/"
    response = clients.simple_json(plain.index_simple_url("pypi"), "acme-widget")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(clients.SIMPLE_JSON)
    entry = {f["filename"]: f for f in response.json()["files"]}[wheel.name]
    digest = entry["core-metadata"]["sha256"]
    assert len(digest) == 64

    metadata = httpx.get(urljoin(page_url, entry["url"]) + ".metadata", timeout=30)
    assert metadata.status_code == 200
    assert sha256(metadata.content) == digest
    text = metadata.content.decode()
    assert "Name: acme-widget\n" in text
    assert "Version: 2.0\n" in text

    html = httpx.get(page_url, timeout=30).text
    assert f'data-core-metadata="sha256={digest}"' in html


def test_json_api_gives_absolute_urls_that_download(
    plain: WharfServer, dists: dict[str, Dist], acme_published: list[clients.Run]
) -> None:
    response = httpx.get(f"{plain.url}/pypi/pypi/acme-widget/json", timeout=30)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["info"]["name"] == "acme-widget"
    assert data["info"]["version"] == "2.0"
    assert set(data["releases"]) == {"1.0", "2.0"}
    expected = {p.name: p for p in dists["acme-2.0"].files}
    assert {u["filename"] for u in data["urls"]} == set(expected)
    for url in data["urls"]:
        assert url["url"].startswith(f"{plain.url}/"), url["url"]
        download = httpx.get(url["url"], timeout=30)
        assert download.status_code == 200
        assert download.content == expected[url["filename"]].read_bytes()
        assert sha256(download.content) == url["digests"]["sha256"]

    older = httpx.get(f"{plain.url}/pypi-local/pypi/acme-widget/1.0/json", timeout=30)
    assert older.status_code == 200, older.text
    assert older.json()["info"]["version"] == "1.0"
    assert {u["filename"] for u in older.json()["urls"]} == {
        p.name for p in dists["acme-1.0"].files
    }


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/pypi-local/no/such/page", 404),
        ("GET", "/pypi/acme-widget/json", 404),
        ("GET", "/simple/acme-widget/extra/page", 404),
        ("DELETE", "/pypi-local/simple/", 405),
        ("PUT", "/pypi/", 405),
    ],
)
def test_unrouted_requests_under_an_index_get_4xx_not_500(
    plain: WharfServer, method: str, path: str, status: int
) -> None:
    response = httpx.request(method, plain.url + path, timeout=30)
    assert response.status_code == status, (response.status_code, response.text)
