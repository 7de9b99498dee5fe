"""The response memo replays a remembered answer only while the route's token and deadline
hold, only to a request that would get the same answer, and runs the route's side effect
(an audit entry) on every replay."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.types import Message, Receive, Scope, Send

from wharf.web import memo
from wharf.web.accesslog import LOG_KEY, AccessLog
from wharf.web.memo import Remember, ResponseMemo


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 21, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


class Route:
    """An app that answers with a counter and remembers its answer under ``token``."""

    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.token = 1
        self.status = status
        self.expires_at: float | None = None
        self.present = True
        self.hits: list[Scope] = []
        self.file: Path | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        child = dict(scope)  # the dispatcher hands routes a scope of their own
        token = self.token

        async def hit(scope: Scope) -> None:
            self.hits.append(scope)

        memo.remember(child, Remember(lambda: self.token, token, self.expires_at,
                                      lambda: self.present, hit))
        body = f"answer {self.calls}".encode()
        if self.file is not None:
            size = str(self.file.stat().st_size).encode()
            await send({"type": "http.response.start", "status": self.status,
                        "headers": [(b"content-length", size)]})
            await send({"type": "http.response.pathsend", "path": str(self.file)})
            return
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


async def get(app: ResponseMemo, *headers: tuple[bytes, bytes], method: str = "GET",
              path: str = "/pypi/simple/demo/") -> list[Message]:
    scope: Scope = {"type": "http", "method": method, "path": path, "query_string": b"",
                    "headers": [(b"host", b"wharf"), *headers], "client": ("10.0.0.1", 1)}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def body(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent)


async def test_an_identical_request_is_replayed_until_the_token_moves() -> None:
    route = Route()
    app = ResponseMemo(route, Clock())
    assert body(await get(app)) == b"answer 1"
    assert body(await get(app)) == b"answer 1"
    assert route.calls == 1
    assert len(route.hits) == 1  # the replay ran the route's side effect
    route.token = 2  # something the page depends on changed
    assert body(await get(app)) == b"answer 2"
    assert body(await get(app)) == b"answer 2"
    assert route.calls == 2


async def test_requests_that_may_get_another_answer_are_answered_apart() -> None:
    route = Route()
    app = ResponseMemo(route, Clock())
    await get(app, (b"accept", b"text/html"))
    await get(app, (b"accept", b"application/vnd.pypi.simple.v1+json"))
    await get(app, (b"accept-encoding", b"gzip"))
    await get(app, (b"authorization", b"Basic YTpi"))
    await get(app, method="HEAD")
    await get(app, path="/pypi/simple/other/")
    assert route.calls == 6
    await get(app, (b"accept", b"text/html"), (b"user-agent", b"pip/26"))  # same answer
    assert route.calls == 6


async def test_validators_and_ranges_always_reach_the_route() -> None:
    route = Route()
    app = ResponseMemo(route, Clock())
    await get(app)
    for header in (b"if-none-match", b"if-modified-since", b"range", b"if-range"):
        await get(app, (header, b"x"))
    assert route.calls == 5


async def test_only_a_remembered_200_is_replayed() -> None:
    route = Route(status=404)
    app = ResponseMemo(route, Clock())
    await get(app)
    await get(app)
    assert route.calls == 2
    assert app.entries == 0


async def test_the_deadline_and_the_presence_check_end_a_replay() -> None:
    clock = Clock()
    route = Route()
    route.expires_at = (clock.at + timedelta(seconds=60)).timestamp()
    app = ResponseMemo(route, clock)
    await get(app)
    await get(app)
    assert route.calls == 1
    clock.at += timedelta(seconds=61)
    await get(app)
    assert route.calls == 2
    route.expires_at = None
    await get(app)
    route.present = False  # a page file swept from under the cache
    await get(app)
    assert route.calls == 4


async def test_an_answer_to_credentials_is_replayed_for_a_bounded_time() -> None:
    clock = Clock()
    route = Route()
    app = ResponseMemo(route, clock)
    credentials = (b"authorization", b"Bearer t")
    await get(app, credentials)
    clock.at += timedelta(seconds=memo.CREDENTIAL_SECONDS - 1)
    await get(app, credentials)
    assert route.calls == 1
    clock.at += timedelta(seconds=2)
    await get(app, credentials)
    assert route.calls == 2


async def test_a_small_file_is_replayed_from_memory_and_a_big_one_by_path(
    tmp_path: Path,
) -> None:
    small, big = tmp_path / "small.whl", tmp_path / "big.whl"
    small.write_bytes(b"s" * 5000)
    big.write_bytes(b"b" * (memo.INLINE_FILE_BYTES + 1))
    for path, kind in ((small, "http.response.body"), (big, "http.response.pathsend")):
        route = Route()
        route.file = path
        app = ResponseMemo(route, Clock())
        first = await get(app, path=f"/pypi/files/demo/{path.name}")
        again = await get(app, path=f"/pypi/files/demo/{path.name}")
        assert first[1]["type"] == "http.response.pathsend"
        assert again[1]["type"] == kind
        assert route.calls == 1
        if kind == "http.response.body":
            assert again[1]["body"] == path.read_bytes()


async def test_a_streamed_response_is_neither_held_nor_remembered() -> None:
    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        memo.remember(scope, Remember(lambda: 1, 1))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(3):
            await send({"type": "http.response.body", "body": b"x" * 1000, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    app = ResponseMemo(streaming, Clock())
    for _ in range(2):
        assert body(await get(app)) == b"x" * 3000
    assert app.entries == 1  # a whole body under the limit is kept...

    async def endless(scope: Scope, receive: Receive, send: Send) -> None:
        memo.remember(scope, Remember(lambda: 1, 1))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        chunk = b"x" * (256 << 10)
        for _ in range(5):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    big = ResponseMemo(endless, Clock())
    await get(big)
    assert big.entries == 0  # ...one over it is not


async def test_a_replay_is_logged_with_what_the_route_noted(tmp_path: Path) -> None:
    """The access log stands inside the memo: a replay is reported to it by the memo,
    with the status, the bytes sent and the index and principal the first answer noted."""
    out = io.StringIO()

    async def noting(scope: Scope, receive: Receive, send: Send) -> None:
        await Route()(scope, receive, send)
        scope[LOG_KEY].update(index="pypi", principal="alice")

    logged = AccessLog(noting, stream=out)
    app = ResponseMemo(logged, Clock(), replayed=logged.record)
    with_file = Route()
    with_file.file = tmp_path / "f.whl"
    with_file.file.write_bytes(b"x" * 70_000)  # too big to inline: replayed by path
    files = AccessLog(with_file, stream=out)
    file_app = ResponseMemo(files, Clock(), replayed=files.record)
    logging.getLogger("wharf.access").setLevel(logging.INFO)
    try:
        assert body(await get(app)) == body(await get(app)) == b"answer 1"
        await get(file_app, path="/pypi/files/demo/f.whl")
        await get(file_app, path="/pypi/files/demo/f.whl")
    finally:
        logging.getLogger("wharf.access").setLevel(logging.NOTSET)
    logged.flush()
    files.flush()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert all(" GET /pypi/simple/demo/ 200 8B " in line and line.endswith(" alice pypi")
               for line in lines[:2]), lines
    assert all(" GET /pypi/files/demo/f.whl 200 70000B " in line for line in lines[2:]), lines
