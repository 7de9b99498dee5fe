"""A small static server for a rendered site (see ``site.py``), used as the upstream when
nginx is not installed. Standard library only, run as its own process:
``python staticserver.py ROOT PORT``. HTTP/1.1 keep-alive, one thread per connection; picks
the PEP 691 JSON or HTML page and the abbreviated or full packument by ``Accept``, and the
``.gz`` twin when the client accepts gzip."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

TYPES = {".json": "application/json", ".html": "text/html; charset=utf-8",
         ".whl": "application/octet-stream", ".tgz": "application/octet-stream",
         ".metadata": "text/plain; charset=utf-8"}
PEP691 = "application/vnd.pypi.simple.v1+json"
NPM_ABBREVIATED = "application/vnd.npm.install-v1+json"


def locate(root: Path, raw: str, accept: str) -> tuple[Path, str] | None:
    """The file for a request path and its content type, or None."""
    parts = [p for p in unquote(urlsplit(raw).path).split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        return None
    path = root.joinpath(*parts)
    if parts[0] == "simple":
        if PEP691 in accept:
            return path / "index.json", PEP691
        return path / "index.html", TYPES[".html"]
    if parts[0] == "npm" and "-" not in parts:
        document = "abbrev.npmv1" if NPM_ABBREVIATED in accept else "full.json"
        kind = NPM_ABBREVIATED if document == "abbrev.npmv1" else "application/json"
        return path / document, kind
    return path, TYPES.get(path.suffix, "application/octet-stream")


def serve(root: Path, port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            found = locate(root, self.path, self.headers.get("Accept", ""))
            if found is None or not found[0].is_file():
                self._reply(404, b'{"error": "Not found"}', "application/json", {})
                return
            path, content_type = found
            twin = path.with_name(path.name + ".gz")
            if "gzip" in self.headers.get("Accept-Encoding", "") and twin.is_file():
                self._reply(200, twin.read_bytes(), content_type, {"Content-Encoding": "gzip"})
            else:
                self._reply(200, path.read_bytes(), content_type, {})

        def _reply(self, status: int, body: bytes, content_type: str,
                   extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Vary", "Accept, Accept-Encoding")
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: no line per request."""

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]))
