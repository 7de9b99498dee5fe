"""The access log counts the bytes of a response, including files the server sends itself
(ASGI pathsend), never logs credentials, writes lines in the shape of every other log line
and keeps none of them buffered once the server stops."""

from __future__ import annotations

import io
import json
import logging

import pytest
from starlette.types import Message, Receive, Scope, Send

from wharf.web.accesslog import AccessLog


async def file_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"1234"), (b"content-type", b"x/y")]})
    await send({"type": "http.response.pathsend", "path": "/some/file"})


async def body_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b"12345", "more_body": True})
    await send({"type": "http.response.body", "body": b"678"})


async def run(app: AccessLog, caplog: pytest.LogCaptureFixture) -> None:
    scope: Scope = {"type": "http", "method": "GET", "path": "/npm/x/-/x-1.0.0.tgz",
                    "client": ("127.0.0.1", 5), "headers": [(b"authorization", b"secret")]}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO, logger="wharf.access"):
        await app(scope, receive, send)
    assert sent


async def test_a_file_sent_by_the_server_counts_its_declared_length(
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = io.StringIO()
    app = AccessLog(file_app, stream=out)
    await run(app, caplog)
    app.flush()
    line = out.getvalue()
    assert " INFO wharf.access 127.0.0.1 GET /npm/x/-/x-1.0.0.tgz 200 1234B " in line
    assert "secret" not in line


async def test_body_chunks_are_added_up(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()
    app = AccessLog(body_app, stream=out)
    await run(app, caplog)
    app.flush()
    assert " 404 8B " in out.getvalue()


async def test_lines_wait_in_a_batch_until_flushed_or_the_server_stops(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def server_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await body_app(scope, receive, send)

    out = io.StringIO()
    app = AccessLog(server_app, stream=out, json_lines=True)
    await run(app, caplog)
    await run(app, caplog)
    assert out.getvalue() == ""  # buffered: one write for many requests
    await app({"type": "lifespan"}, run_receive, run_send)  # the server stops
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    fields = json.loads(lines[0].split(" wharf.access ", 1)[1])
    assert (fields["status"], fields["bytes"], fields["client"]) == (404, 8, "127.0.0.1")


async def test_no_line_when_the_access_logger_is_silenced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = io.StringIO()
    app = AccessLog(body_app, stream=out)
    logging.getLogger("wharf.access").setLevel(logging.WARNING)
    try:
        await app({"type": "http", "method": "GET", "path": "/x", "headers": []},
                  run_receive, run_send)
    finally:
        logging.getLogger("wharf.access").setLevel(logging.NOTSET)
    app.flush()
    assert out.getvalue() == ""


async def run_receive() -> Message:
    return {"type": "http.request"}


async def run_send(message: Message) -> None:
    return None
