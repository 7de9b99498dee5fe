"""A static upstream index on loopback whose packages carry the publish times a test chooses.

The policy tests need upstream versions of a known age (a month old, an hour old), which a
Wharf upstream cannot give: its releases are always published "now". ``StaticIndex`` writes
a directory of documents and serves it from a threaded HTTP server in the test process:

- Python: PEP 691 JSON project pages at ``/simple/<name>/`` (PEP 700 ``upload-time``,
  ``size``, ``versions``), files at ``/files/<filename>``;
- npm: packuments at ``/npm/<name>`` (``@scope%2fname`` for scoped names) with
  ``versions``, ``dist-tags`` and the ``time`` map, tarballs at ``/npm/<name>/-/<file>``.

Every request path is recorded, so a test can tell what Wharf asked upstream for.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .packages import module_name, write_wheel

PEP691_JSON = "application/vnd.pypi.simple.v1+json"
PAGE = "index.json"
PACKUMENT = "packument.json"


def ago(**delta: float) -> datetime:
    """A moment in the past, e.g. ``ago(days=30)``."""
    return datetime.now(UTC) - timedelta(**delta)


def rfc3339(moment: datetime) -> str:
    """``2026-01-02T03:04:05.678Z``: the shape both registries publish."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def npm_tarball(name: str, version: str, dependencies: dict[str, str] | None = None) -> bytes:
    """A real npm package tarball: gzip'd tar with ``package/package.json`` and an index."""
    manifest = {"name": name, "version": version, "main": "index.js", "license": "MIT",
                "description": f"static upstream {name} {version}",
                "dependencies": dependencies or {}}
    members = {
        "package/package.json": json.dumps(manifest, indent=2).encode(),
        "package/index.js": f"module.exports = {json.dumps(f'{name}@{version}')};\n".encode(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 499162500  # npm's own fixed mtime: the bytes do not depend on "now"
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class StaticIndex:
    """The documents on disk and the server that serves them (``start`` / ``close``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # URLs -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def simple_url(self) -> str:
        return f"{self.url}/simple/"

    @property
    def npm_url(self) -> str:
        return f"{self.url}/npm/"

    def asked_for(self, fragment: str) -> list[str]:
        """The request paths that contained ``fragment``."""
        return [path for path in self.requests if fragment in path]

    # Python -----------------------------------------------------------------------------
    def add_python(self, name: str, version: str, published: datetime) -> Path:
        """A hand-made wheel of ``name`` ``version``, listed with ``published`` as its
        upload time; returns the wheel (its bytes are what the index serves)."""
        files_dir = self.root / "files"
        wheel = write_wheel(
            files_dir, name=name, version=version,
            files={f"{module_name(name)}/__init__.py": f'VERSION = "{version}"\n'.encode()},
        )
        data = wheel.read_bytes()
        page_path = self.root / "simple" / name / PAGE
        page = self._load(page_path) or {
            "meta": {"api-version": "1.1"}, "name": name, "files": [], "versions": []}
        page["files"] = [f for f in page["files"] if f["filename"] != wheel.name] + [{
            "filename": wheel.name,
            "url": f"{self.url}/files/{wheel.name}",
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            "upload-time": rfc3339(published),
            "size": len(data),
            "requires-python": ">=3.8",
        }]
        if version not in page["versions"]:
            page["versions"].append(version)
        self._save(page_path, page)
        return wheel

    # npm --------------------------------------------------------------------------------
    def add_npm(
        self, name: str, version: str, published: datetime, *, latest: bool = True,
        dependencies: dict[str, str] | None = None,
    ) -> bytes:
        """A version of an npm package with ``published`` in the ``time`` map; ``latest``
        moves the dist-tag to it. Returns the tarball's bytes."""
        data = npm_tarball(name, version, dependencies)
        bare = name.rpartition("/")[2]
        tarball = self.root / "npm" / name / "-" / f"{bare}-{version}.tgz"
        tarball.parent.mkdir(parents=True, exist_ok=True)
        tarball.write_bytes(data)
        path = self.root / "npm" / name / PACKUMENT
        document = self._load(path) or {
            "_id": name, "name": name, "dist-tags": {}, "versions": {}, "time": {},
            "description": f"static upstream {name}", "readme": f"# {name}\n",
            "maintainers": [{"name": "static", "email": "static@example.invalid"}],
        }
        document["versions"][version] = {
            "name": name,
            "version": version,
            "description": f"static upstream {name} {version}",
            "main": "index.js",
            "license": "MIT",
            "dependencies": dependencies or {},
            "_id": f"{name}@{version}",
            "dist": {
                "tarball": f"{self.url}/npm/{name}/-/{bare}-{version}.tgz",
                "integrity": sri_sha512(data),
                "shasum": hashlib.sha1(data).hexdigest(),  # npm's own field
            },
        }
        times = document["time"]
        times[version] = rfc3339(published)
        stamps = sorted(v for k, v in times.items() if k not in ("created", "modified"))
        times["created"], times["modified"] = stamps[0], stamps[-1]
        if latest:
            document["dist-tags"]["latest"] = version
        self._save(path, document)
        return data

    # files ------------------------------------------------------------------------------
    def _load(self, path: Path) -> dict[str, Any] | None:
        with self._lock:
            if not path.is_file():
                return None
            loaded: dict[str, Any] = json.loads(path.read_text())
            return loaded

    def _save(self, path: Path, document: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=1))
        with self._lock:
            temporary.replace(path)

    def resolve(self, raw_path: str) -> tuple[Path, str] | None:
        """The file answering a request path and its content type, or None (404)."""
        path = unquote(urlsplit(raw_path).path)
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts) or not parts:
            return None
        if parts[0] == "simple" and len(parts) == 2:
            return self.root / "simple" / parts[1] / PAGE, PEP691_JSON
        if parts[0] == "files" and len(parts) == 2:
            return self.root / "files" / parts[1], "application/octet-stream"
        if parts[0] == "npm" and "-" in parts[1:]:
            return self.root.joinpath(*parts), "application/octet-stream"
        if parts[0] == "npm" and len(parts) in (2, 3):  # name, @scope/name (%2f decoded)
            return self.root.joinpath("npm", *parts[1:], PACKUMENT), "application/json"
        return None

    # the server -------------------------------------------------------------------------
    def start(self) -> StaticIndex:
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                index.requests.append(self.path)
                found = index.resolve(self.path)
                if found is None or not found[0].is_file():
                    self._reply(404, b'{"error": "Not found"}', "application/json")
                    return
                file, content_type = found
                self._reply(200, file.read_bytes(), content_type)

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the request list is the log."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


@contextmanager
def serving(root: Path) -> Iterator[StaticIndex]:
    """A started static index writing under ``root``; closed on exit."""
    index = StaticIndex(root).start()
    try:
        yield index
    finally:
        index.close()


# vulnerability data ----------------------------------------------------------------------
def osv_record(
    advisory_id: str, ecosystem: str, name: str, *, fixed: str, kind: str,
    severity: str = "HIGH", summary: str = "",
) -> dict[str, Any]:
    """One OSV record: every version of ``name`` before ``fixed`` is affected. ``kind`` is
    the range type OSV uses for the ecosystem (``ECOSYSTEM`` for PyPI, ``SEMVER`` for npm)."""
    return {
        "schema_version": "1.6.0",
        "id": advisory_id,
        "modified": rfc3339(ago(days=2)),
        "published": rfc3339(ago(days=3)),
        "summary": summary or f"{name} before {fixed} runs whatever it is given",
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": kind, "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        }],
        "database_specific": {"severity": severity},
    }


def write_osv_zip(path: Path, records: list[dict[str, Any]]) -> Path:
    """A dump as OSV ships them: a zip with one ``<id>.json`` per record. Not named
    ``all.zip``, so importing it adds to the data rather than replacing an ecosystem's."""
    with zipfile.ZipFile(path, "w") as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record, indent=1))
    return path
