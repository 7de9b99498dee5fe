"""One log line per request: method, path, status, bytes, duration, principal, index.
Human-readable by default, JSON lines on request. Never a credential.

Lines are written in batches, not through a ``logging`` record each: at tens of thousands
of requests a second, a record, its formatting and a flushed write per request cost more
than serving a cached page. A line has the shape of every other log line (time, level,
logger name, message), is buffered, and the buffer goes out in one write when it holds
``BATCH_BYTES`` or ``FLUSH_SECONDS`` after its first line, and when the server stops. The
``wharf.access`` logger's level still decides whether there is an access log at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("wharf.access")
LOG_KEY = "wharf.log"

BATCH_BYTES = 64 << 10
FLUSH_SECONDS = 0.5
"""How long a line may wait in the buffer: short enough to follow a log live."""


class AccessLog:
    def __init__(
        self, app: ASGIApp, *, json_lines: bool = False, stream: TextIO | None = None
    ) -> None:
        self._app = app
        self._json = json_lines
        self._stream = stream
        self._lines: list[str] = []
        self._size = 0
        self._flush_pending = False
        self._second = -1
        self._stamp = ""
        self._millisecond = -1
        self._stamp_ms = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            try:
                await self._app(scope, receive, send)
            finally:
                self.flush()  # the server is stopping (lifespan): nothing stays buffered
            return
        started = time.perf_counter()
        note: dict[str, Any] = {"status": 500, "bytes": 0}
        scope[LOG_KEY] = note

        async def sending(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.body":
                note["bytes"] += len(message.get("body", b""))
            elif kind == "http.response.start":
                note["status"] = message["status"]
                note["headers"] = message.get("headers", ())
            elif kind == "http.response.pathsend":
                # The server sends the file itself: count what the response declared.
                note["bytes"] += declared_length(note.get("headers", ())) or 0
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            self.record(scope, note["status"], note["bytes"], note,
                        time.perf_counter() - started)

    def record(
        self, scope: Scope, status: int, size: int, note: Mapping[str, Any], seconds: float
    ) -> None:
        """Log one answered request; ``note`` may name its principal and index. Also for
        responses sent without passing through here (the response memo's replays)."""
        if not log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        address = client[0] if client else "-"
        principal = note.get("principal", "-")
        index = note.get("index", "-")
        if self._json:
            message = json.dumps({
                "method": scope["method"], "path": scope["path"], "status": status,
                "bytes": size, "ms": round(seconds * 1000, 2), "principal": principal,
                "index": index, "client": address,
            })
            self._add(f"{self._now()} INFO wharf.access {message}\n")
            return
        self._add("%s INFO wharf.access %s %s %s %d %dB %.2fms %s %s\n" % (  # noqa: UP031
            self._now(), address, scope["method"], scope["path"], status, size,
            seconds * 1000, principal, index))

    def _now(self) -> str:
        """The time as logging's default formatter writes it, made once a millisecond."""
        now = time.time()
        millisecond = int(now * 1000)
        if millisecond != self._millisecond:
            self._millisecond = millisecond
            second = millisecond // 1000
            if second != self._second:
                self._second = second
                self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._stamp_ms = f"{self._stamp},{millisecond % 1000:03d}"
        return self._stamp_ms

    def _add(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line)
        if self._size >= BATCH_BYTES:
            self.flush()
        elif not self._flush_pending:
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
                self._flush_pending = True
            except RuntimeError:  # no event loop (a synchronous caller): write now
                self.flush()

    def flush(self) -> None:
        """Write the buffered lines."""
        self._flush_pending = False
        if not self._lines:
            return
        text = "".join(self._lines)
        self._lines.clear()
        self._size = 0
        stream = self._stream or sys.stderr
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: the lines are lost
            pass


def declared_length(headers: Any) -> int | None:
    """The Content-Length of a response start message, if it has a valid one."""
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None
