"""The Python index over HTTP, in-process: uploads as twine sends them, pages as pip and uv
ask for them, the JSON API, ETags, yanking and group routing."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from wharf.bootstrap import build_app, build_services, default_indexes
from wharf.cli.common import local_admin
from wharf.config.loader import load_settings
from wharf.core.models import PackageRule
from wharf.services.auditing import LOCAL
from wharf.services.container import Services
from wharf.services.proxying import StoredFile

JSON = "application/vnd.pypi.simple.v1+json"


def wheel(name: str, version: str, *, metadata_name: str | None = None) -> tuple[str, bytes]:
    dist = f"{name.replace('-', '_')}-{version}"
    filename = f"{dist}-py3-none-any.whl"
    metadata = (
        f"Metadata-Version: 2.1\nName: {metadata_name or name}\nVersion: {version}\n"
        "Requires-Python: >=3.9\nSummary: a test package\n"
    )
    files = {
        f"{name.replace('-', '_')}/__init__.py": "X = 1\n",
        f"{dist}.dist-info/METADATA": metadata,
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = "".join(f"{path},,\n" for path in files) + f"{dist}.dist-info/RECORD,,\n"
    files[f"{dist}.dist-info/RECORD"] = record
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return filename, buffer.getvalue()


def upload_form(name: str, version: str, filename: str, data: bytes) -> dict[str, object]:
    return {
        "data": {
            ":action": "file_upload",
            "protocol_version": "1",
            "name": name,
            "version": version,
            "filetype": "bdist_wheel",
            "pyversion": "py3",
            "metadata_version": "2.1",
            "sha256_digest": hashlib.sha256(data).hexdigest(),
        },
        "files": {"content": (filename, data, "application/octet-stream")},
    }


def auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={}).settings
    built = await build_services(settings)
    await built.indexes.ensure(default_indexes(settings, "http://127.0.0.1:9/simple/"))
    await built.accounts.add_user("alice", "alice's password", admin=True)
    await built.accounts.add_user("bob", "bob's password")
    yield built
    await built.close()


@pytest.fixture
async def client(tmp_path: Path, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={}).settings
    app = build_app(settings, services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://wharf.test") as http:
        yield http


ALICE = auth("alice", "alice's password")


async def upload(client: httpx.AsyncClient, name: str, version: str, path: str = "/pypi/",
                 headers: dict[str, str] | None = None, **kwargs: str) -> httpx.Response:
    filename, data = wheel(name, version, **kwargs)
    return await client.post(path, headers=ALICE if headers is None else headers,
                             **upload_form(name, version, filename, data))  # type: ignore[arg-type]


async def test_upload_through_the_group_lands_in_the_hosted_member(
    client: httpx.AsyncClient,
) -> None:
    response = await upload(client, "acme", "1.0")
    assert response.status_code == 200, response.text
    assert "pypi-local" in response.text
    page = await client.get("/pypi-local/simple/acme/", headers={"accept": JSON})
    data = page.json()
    assert [f["filename"] for f in data["files"]] == ["acme-1.0-py3-none-any.whl"]
    assert data["meta"]["api-version"] == "1.4"
    assert data["files"][0]["requires-python"] == ">=3.9"
    assert data["files"][0]["core-metadata"]["sha256"]
    assert data["versions"] == ["1.0"]


async def test_simple_alias_html_and_metadata_file(client: httpx.AsyncClient) -> None:
    assert (await upload(client, "acme", "1.0")).status_code == 200
    page = await client.get("/simple/acme/")
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-requires-python="&gt;=3.9"' in page.text
    href = page.text.split('href="')[1].split("#")[0]
    metadata_url = httpx.URL("http://wharf.test/simple/acme/").join(href + ".metadata")
    metadata = await client.get(metadata_url)
    assert metadata.status_code == 200
    assert b"Name: acme" in metadata.content
    digest = page.text.split('data-core-metadata="sha256=')[1].split('"')[0]
    assert hashlib.sha256(metadata.content).hexdigest() == digest


async def test_non_normalised_names_redirect(client: httpx.AsyncClient) -> None:
    assert (await upload(client, "acme-widget", "1.0")).status_code == 200
    response = await client.get("/pypi/simple/Acme_Widget/")
    assert response.status_code == 301
    assert response.headers["location"].endswith("/pypi/simple/acme-widget/")


async def test_pages_answer_304_to_their_etag(client: httpx.AsyncClient) -> None:
    assert (await upload(client, "acme", "1.0")).status_code == 200
    first = await client.get("/pypi/simple/acme/", headers={"accept": JSON})
    again = await client.get("/pypi/simple/acme/",
                             headers={"accept": JSON, "if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert (await upload(client, "acme", "2.0")).status_code == 200
    changed = await client.get("/pypi/simple/acme/",
                               headers={"accept": JSON, "if-none-match": first.headers["etag"]})
    assert changed.status_code == 200
    assert len(changed.json()["files"]) == 2


async def test_refusals_say_what_is_wrong(client: httpx.AsyncClient) -> None:
    anonymous = await upload(client, "acme", "1.0", headers={})
    assert anonymous.status_code == 401
    assert "Sign in" in anonymous.text
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    wrong = await upload(client, "acme", "1.0", headers=auth("alice", "nope nope"))
    assert wrong.status_code == 401
    mismatch = await upload(client, "acme", "1.0", metadata_name="other")
    assert mismatch.status_code == 400
    assert "other" in mismatch.text
    proxy = await upload(client, "acme", "1.0", path="/pypi-remote/")
    assert proxy.status_code == 400
    assert "takes no uploads" in proxy.text
    assert (await client.get("/pypi-local/simple/acme/")).status_code == 404


async def test_a_filename_never_gets_other_bytes(client: httpx.AsyncClient) -> None:
    assert (await upload(client, "acme", "1.0")).status_code == 200
    again = await upload(client, "acme", "1.0")
    assert again.status_code == 409
    assert "already exist" in again.text
    filename, data = wheel("acme", "1.0")
    other = data + b"\0"
    response = await client.post("/pypi/", headers=ALICE,
                                 **upload_form("acme", "1.0", filename, other))  # type: ignore[arg-type]
    assert response.status_code == 409
    assert "other contents" in response.text
    assert "Bump the version" in response.text


async def test_yank_shows_in_pages_and_json_api(
    client: httpx.AsyncClient, services: Services
) -> None:
    assert (await upload(client, "acme", "1.0")).status_code == 200
    assert (await upload(client, "acme", "2.0")).status_code == 200
    await services.releases.yank("pypi-local", "acme", "2.0", local_admin(),
                                 reason="broken", client=LOCAL)
    page = (await client.get("/simple/acme/", headers={"accept": JSON})).json()
    yanked = {f["filename"]: f["yanked"] for f in page["files"]}
    assert yanked == {"acme-1.0-py3-none-any.whl": False, "acme-2.0-py3-none-any.whl": "broken"}
    info = (await client.get("/pypi/pypi/acme/json")).json()
    assert info["info"]["version"] == "1.0"
    release = (await client.get("/pypi/pypi/acme/2.0/json")).json()
    assert release["info"]["yanked"] is True
    assert release["urls"][0]["url"].startswith("http://wharf.test/pypi/files/acme/")
    download = await client.get(release["urls"][0]["url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == release["urls"][0]["digests"]["sha256"]


async def test_management_api_yank_needs_admin(client: httpx.AsyncClient) -> None:
    assert (await upload(client, "acme", "1.0")).status_code == 200
    url = "/-/api/indexes/pypi-local/projects/acme/versions/1.0/yank"
    refused = await client.post(url, json={"reason": "x"}, headers=auth("bob", "bob's password"))
    assert refused.status_code == 403
    done = await client.post(url, json={"reason": "bad build"}, headers=ALICE)
    assert done.status_code == 200
    assert done.json()["yanked_reason"] == "bad build"
    events = (await client.get("/-/api/audit?action=release", headers=ALICE)).json()
    assert [e["action"] for e in events] == ["release.yank"]
    assert events[0]["actor"] == "alice"


async def test_file_download_serves_the_stored_bytes(
    client: httpx.AsyncClient, services: Services
) -> None:
    filename, data = wheel("acme", "1.0")
    await client.post("/pypi/", headers=ALICE, **upload_form("acme", "1.0", filename, data))  # type: ignore[arg-type]
    response = await client.get(f"/pypi/files/acme/{filename}")
    assert response.content == data
    index = await services.indexes.get("pypi-local")
    source = await services.reading.open_file(index, "acme", filename)
    assert isinstance(source, StoredFile)
    assert source.sha256 == hashlib.sha256(data).hexdigest()


async def test_package_rules_guard_reading_and_uploading_through_the_group(
    client: httpx.AsyncClient, services: Services
) -> None:
    """A rule on the hosted member holds through the group: pages, files, the JSON API and
    the project list; uploads of matching names need a listed user."""
    await services.indexes.set_package_rule(
        "pypi-local", PackageRule("Corp_*", read=("bob",), upload=("alice",))
    )
    assert (await upload(client, "corp-tool", "1.0")).status_code == 200
    assert (await upload(client, "open-tool", "1.0")).status_code == 200
    refused = await upload(client, "corp-other", "1.0", headers=BOB)
    assert refused.status_code == 403
    assert "may be published only by their allowed users" in refused.text

    bob_view = await client.get("/pypi/simple/", headers=BOB)
    anonymous_view = await client.get("/pypi/simple/")
    assert "corp-tool" in bob_view.text
    assert "corp-tool" not in anonymous_view.text
    assert "open-tool" in anonymous_view.text
    for path in ("/pypi/simple/corp-tool/", "/pypi/pypi/corp-tool/json",
                 "/pypi/files/corp-tool/corp_tool-1.0-py3-none-any.whl"):
        answer = await client.get(path)
        assert answer.status_code == 401, path
        assert "sign in to read 'corp-tool'" in answer.text
        assert (await client.get(path, headers=BOB)).status_code == 200, path
    assert (await client.get("/pypi/simple/open-tool/")).status_code == 200

    await services.indexes.remove_package_rule("pypi-local", "corp-*")
    assert (await client.get("/pypi/simple/corp-tool/")).status_code == 200
    assert "corp-tool" in (await client.get("/pypi/simple/")).text


BOB = auth("bob", "bob's password")


async def test_warm_answers_are_replayed_yet_audited_and_never_outlive_a_change(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Pages and files a worker remembers (``wharf.web.memo``) behave as fresh answers:
    each download is still entered in the audit trail, and a deletion, a yank or a new
    release shows on the very next request."""
    filename, data = wheel("acme", "1.0")
    await client.post("/pypi/", headers=ALICE, **upload_form("acme", "1.0", filename, data))  # type: ignore[arg-type]
    headers = {"accept": JSON, "user-agent": "uv/0.13"}
    for _ in range(3):
        page = await client.get("/simple/acme/", headers=headers)
        file = await client.get(f"/files/acme/{filename}", headers=headers)
        assert page.status_code == file.status_code == 200
        assert file.content == data
    events = await services.audit.query(action="artifact.download", project="acme")
    assert sum(int(e.detail.get("count", 1)) for e in events) == 3
    assert {e.user_agent for e in events} == {"uv/0.13"}

    assert (await upload(client, "acme", "2.0")).status_code == 200
    page = await client.get("/simple/acme/", headers=headers)
    assert page.json()["versions"] == ["1.0", "2.0"]
    await services.releases.yank("pypi-local", "acme", "2.0", local_admin(),
                                 reason="broken", client=LOCAL)
    page = await client.get("/simple/acme/", headers=headers)
    assert [f["yanked"] for f in page.json()["files"]] == [False, "broken"]

    removed = await client.delete("/-/api/indexes/pypi-local/projects/acme/versions/1.0",
                                  headers=ALICE)
    assert removed.status_code == 200, removed.text
    gone = await client.get(f"/files/acme/{filename}", headers=headers)
    assert gone.status_code == 404


async def test_behind_nginx_files_and_big_pages_are_handed_over_by_x_accel_redirect(
    tmp_path: Path, services: Services
) -> None:
    """With ``server.accel_redirect`` Wharf authorises and nginx sends: the answer names the
    internal location of the very file (blob or page) and carries no bytes."""
    settings = load_settings(
        overrides={"data_dir": str(tmp_path), "server.accel_redirect": "/_wharf/"},
        environ={},
    ).settings
    app = build_app(settings, services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://wharf.test") as client:
        filename, data = wheel("acme", "1.0")
        await client.post("/pypi/", headers=ALICE, **upload_form("acme", "1.0", filename, data))  # type: ignore[arg-type]
        response = await client.get(f"/files/acme/{filename}")
        assert response.status_code == 200
        assert response.content == b""
        location = response.headers["x-accel-redirect"]
        assert location.startswith("/_wharf/blobs/")
        served = settings.blob_root / location.removeprefix("/_wharf/blobs/")
        assert served.read_bytes() == data
        assert response.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
        refused = await client.get("/files/acme/acme-9.0-py3-none-any.whl")
        assert refused.status_code == 404
        assert "x-accel-redirect" not in refused.headers

        for n in range(250):  # a page big enough to be kept on disk (64 KB and more)
            assert (await upload(client, "big", f"1.{n}")).status_code == 200
        page = await client.get("/simple/big/",
                                headers={"accept": JSON, "accept-encoding": "identity"})
        location = page.headers["x-accel-redirect"]
        assert location.startswith("/_wharf/pages/")
        body = (settings.pages_dir / location.removeprefix("/_wharf/pages/")).read_bytes()
        assert len(json.loads(body)["files"]) == 250
        assert page.headers["etag"]
        assert page.headers["content-type"] == JSON
        packed = await client.get("/simple/big/", headers={"accept": JSON})  # gzip accepted
        assert packed.headers["x-accel-redirect"] == location + ".gz"
        assert packed.headers["content-encoding"] == "gzip"
