"""The access log counts the bytes of a response, including files the server sends itself
(ASGI pathsend), and never logs credentials."""

from __future__ import annotations

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


async def run(app: AccessLog, caplog: pytest.LogCaptureFixture) -> str:
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
    return caplog.records[-1].getMessage()


async def test_a_file_sent_by_the_server_counts_its_declared_length(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line = await run(AccessLog(file_app), caplog)
    assert " 200 1234B " in line
    assert "secret" not in line


async def test_body_chunks_are_added_up(caplog: pytest.LogCaptureFixture) -> None:
    line = await run(AccessLog(body_app), caplog)
    assert " 404 8B " in line
