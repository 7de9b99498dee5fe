"""Crash safety (DESIGN.md section 4): SIGKILL the server during a large upload, restart it,
and find the file either wholly published or absent; fsck passes and gc cleans up."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from . import clients
from .packages import write_wheel
from .servers import ADMIN, DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e

PROJECT = "wharf-e2e-big"
BIG = 30 << 20
CHUNK = 256 << 10


@pytest.fixture(scope="module")
def big_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_wheel(
        tmp_path_factory.mktemp("big"),
        name=PROJECT,
        version="1.0",
        files={"wharf_e2e_big/__init__.py": b"", "wharf_e2e_big/payload.bin": os.urandom(BIG)},
        compression=zipfile.ZIP_STORED,
    )


@pytest.fixture
def crash_server(start_server: StartServer, dead_upstream: DeadEndpoint) -> Iterator[WharfServer]:
    server = start_server("crash", upstream=dead_upstream.simple_url, workers=1)
    server.add_user(*ADMIN, admin=True)
    yield server
    server.stop()


def multipart(
    wheel: Path, on_chunk: Callable[[int], None], pause: float
) -> tuple[dict[str, str], Iterator[bytes], int]:
    """The legacy upload form as twine sends it, streamed in small chunks."""
    boundary = f"wharf-e2e-{uuid.uuid4().hex}"
    data = wheel.read_bytes()
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.1",
        "name": PROJECT,
        "version": "1.0",
        "filetype": "bdist_wheel",
        "pyversion": "py3",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    head = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
            f'filename="{wheel.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        for offset in range(0, len(data), CHUNK):
            yield data[offset : offset + CHUNK]
            on_chunk(offset + CHUNK)
            if pause:
                time.sleep(pause)
        yield tail
        on_chunk(-1)  # everything sent

    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "content-length": str(len(head) + len(data) + len(tail)),
    }
    return headers, body(), len(data)


def upload_and_crash(server: WharfServer, wheel: Path, point: str) -> str:
    """Upload ``wheel`` and SIGKILL the server's process group at ``point``; returns what the
    client saw."""
    tmp_dir = server.data_dir / "blobs" / "tmp"
    blob_dir = server.data_dir / "blobs" / "sha256"
    killed = threading.Event()  # set once the whole process group is gone
    lock = threading.Lock()

    def kill() -> None:
        with lock:
            if not killed.is_set():
                server.kill()
                killed.set()

    def appeared() -> bool:
        if point == "while-saving":  # the server copies the received file to blobs/tmp
            return tmp_dir.is_dir() and any(tmp_dir.iterdir())
        # the blob is in place; its metadata is committed right after
        return any(p.is_file() for p in blob_dir.rglob("*")) if blob_dir.is_dir() else False

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not killed.is_set() and time.monotonic() < deadline:
            if appeared():
                kill()
                return
            time.sleep(0.001)

    def on_chunk(sent: int) -> None:
        if point == "mid-body" and sent >= BIG // 2:
            kill()

    if point != "mid-body":
        threading.Thread(target=watch, daemon=True).start()
    headers, body, _ = multipart(wheel, on_chunk, pause=0.01 if point == "mid-body" else 0)
    try:
        response = httpx.post(
            server.index_url("pypi-local"), content=body, headers=headers, auth=ADMIN, timeout=60
        )
        outcome = f"HTTP {response.status_code}: {response.text.strip()}"
    except httpx.TransportError as exc:
        outcome = f"connection broken: {exc!r}"
    assert killed.wait(30), f"the server was never killed ({point}); client saw {outcome}"
    assert server.process is None
    return outcome


def assert_all_or_nothing(server: WharfServer, wheel: Path, outcome: str) -> bool:
    """The file is either listed with its metadata and downloads intact, or not there at
    all. Returns whether it is there."""
    listed = clients.listed_files(server.index_simple_url("pypi-local"), PROJECT)
    file_url = f"{server.url}/pypi-local/files/{PROJECT}/{wheel.name}"
    if not listed:
        assert httpx.get(file_url, timeout=30).status_code == 404
        assert PROJECT not in httpx.get(server.index_simple_url("pypi-local"), timeout=30).text
        return False
    assert set(listed) == {wheel.name}, (outcome, listed)
    entry = listed[wheel.name]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert entry["hashes"]["sha256"] == digest, outcome
    assert entry["size"] == wheel.stat().st_size, outcome
    download = httpx.get(file_url, timeout=60)
    assert download.status_code == 200, outcome
    assert hashlib.sha256(download.content).hexdigest() == digest, outcome
    metadata = httpx.get(file_url + ".metadata", timeout=30)
    assert metadata.status_code == 200, outcome
    assert hashlib.sha256(metadata.content).hexdigest() == entry["core-metadata"]["sha256"]
    assert f"Name: {PROJECT}" in metadata.text
    return True


def fsck(server: WharfServer) -> str:
    result = server.cli("fsck", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 missing" in result.stdout, result.stdout
    return result.stdout


@pytest.mark.parametrize("point", ["mid-body", "while-saving", "blob-stored"])
def test_kill_during_a_large_upload_leaves_all_or_nothing(
    crash_server: WharfServer, big_wheel: Path, point: str
) -> None:
    server = crash_server
    outcome = upload_and_crash(server, big_wheel, point)
    server.restart()

    present = assert_all_or_nothing(server, big_wheel, outcome)
    fsck(server)

    if not present:  # the same upload now succeeds
        result = clients.twine_upload(server.index_url("pypi-local"), [big_wheel], *ADMIN)
        assert result.ok, str(result)
        assert assert_all_or_nothing(server, big_wheel, outcome)

    # Deleting the release leaves its blobs unreferenced: fsck reports them, gc removes them.
    server.cli("release", "delete", "pypi-local", PROJECT, "1.0")
    report = fsck(server)
    assert hashlib.sha256(big_wheel.read_bytes()).hexdigest() in report, report
    removed = server.cli("gc", "--grace", "0").stdout
    assert hashlib.sha256(big_wheel.read_bytes()).hexdigest() in removed, removed
    assert "0 unreferenced" in fsck(server)
    blobs = [p for p in (server.data_dir / "blobs" / "sha256").rglob("*") if p.is_file()]
    assert blobs == [], blobs


def test_gc_removes_temporary_files_left_by_a_crash(
    crash_server: WharfServer, big_wheel: Path
) -> None:
    """A kill while the server writes the received file leaves a temporary file; gc must
    not keep it forever."""
    server = crash_server
    upload_and_crash(server, big_wheel, "while-saving")
    tmp_dir = server.data_dir / "blobs" / "tmp"
    left = [p for p in tmp_dir.iterdir() if p.is_file()]
    assert left, "the crash left no temporary file; nothing to check"
    server.restart()
    server.cli("gc", "--grace", "0")
    remaining = [p.name for p in tmp_dir.iterdir() if p.is_file()]
    assert remaining == [], f"gc --grace 0 left temporary files: {remaining}"
