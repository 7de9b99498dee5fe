"""One log line per request: method, path, status, bytes, duration, principal, index.
Human-readable by default, JSON lines on request. Never a credential."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("wharf.access")
LOG_KEY = "wharf.log"


class AccessLog:
    def __init__(self, app: ASGIApp, *, json_lines: bool = False) -> None:
        self._app = app
        self._json = json_lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        note: dict[str, Any] = {"status": 500, "bytes": 0}
        scope[LOG_KEY] = note

        async def sending(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                note["status"] = message["status"]
                note["length"] = declared_length(message.get("headers", ()))
            elif kind == "http.response.body":
                note["bytes"] += len(message.get("body", b""))
            elif kind == "http.response.pathsend":
                # The server sends the file itself: count what the response declared.
                note["bytes"] += note.get("length") or 0
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            self._write(scope, note, time.perf_counter() - started)

    def _write(self, scope: Scope, note: dict[str, Any], seconds: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "status": note["status"],
            "bytes": note["bytes"],
            "ms": round(seconds * 1000, 2),
            "principal": note.get("principal", "-"),
            "index": note.get("index", "-"),
            "client": client[0] if client else "-",
        }
        if self._json:
            log.info(json.dumps(fields))
        else:
            log.info(
                "%(client)s %(method)s %(path)s %(status)s %(bytes)sB %(ms)sms "
                "%(principal)s %(index)s",
                fields,
            )


def declared_length(headers: Any) -> int | None:
    """The Content-Length of a response start message, if it has a valid one."""
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None
