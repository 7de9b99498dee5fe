"""One-shot HTTP/1.1 requests to 127.0.0.1 (probes, page parsing, readiness): http.client,
so no proxy setting of the machine applies."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

HOST = "127.0.0.1"
PIP_ACCEPT = ("application/vnd.pypi.simple.v1+json, "
              "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01")
NPM_ACCEPT = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"


class HttpError(RuntimeError):
    pass


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def split_local(url: str) -> tuple[int, str]:
    """(port, path) of a loopback URL; anything else is refused (the bench stays local)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != HOST or parts.port is None:
        raise HttpError(f"not a {HOST} URL: {url}")
    return parts.port, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> Reply:
    return send("GET", url, headers=headers, timeout=timeout)


def send(method: str, url: str, body: bytes | None = None,
         headers: dict[str, str] | None = None, timeout: float = 60) -> Reply:
    port, path = split_local(url)
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


def get_ok(url: str, headers: dict[str, str] | None = None, timeout: float = 120) -> Reply:
    reply = get(url, headers, timeout)
    if reply.status != 200:
        raise HttpError(f"GET {url}: {reply.status} {reply.body[:300]!r}")
    return reply
