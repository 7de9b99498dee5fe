"""Warm reads answered from remembered responses.

Installers ask for the same pages and files over and over, with the same headers. A route
that knows what its answer depends on says so (``remember``): a change token of the
services (the page token: stamps of the index settings, the project in every member, the
policy) and an expiry (upstream freshness, a cooldown running out). The response it sent is
then kept, keyed by everything in the request that can change it (method, path, query, and
the Host, Accept, Accept-Encoding, Authorization and trusted forwarding headers), and the
next identical request is answered by checking the token and replaying the bytes: no
routing, no authentication, no policy screening, no database, not even a ``stat``.

A request with a validator or a range (If-None-Match, If-Modified-Since, Range, If-Range)
is never answered from here, nor are writes. A response is remembered only when it is a
200 sent whole (a body in memory, or a file the server sends itself). A hit that needs a
side effect (a download entered in the audit trail) runs the route's ``on_hit``.

What an answer depends on beyond the token is bounded in time: an answer given to an
authenticated caller is replayed for at most ``CREDENTIAL_SECONDS`` (a revoked token or a
changed password takes effect as it does in the authenticator's own cache).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wharf.core.ports import Clock
from wharf.web.accesslog import LOG_KEY, declared_length

MEMO_KEY = "wharf.memo"
PATHSEND = "http.response.pathsend"
CREDENTIAL_SECONDS = 30.0
MAX_ENTRIES = 8192
MAX_BYTES = 16 << 20
"""Per worker. The bodies are the page cache's own bytes objects (not copies) for pages
sent from memory; pages and files on disk are remembered as a path."""

MAX_BODY_BYTES = 1 << 20
"""A bigger body sent from memory is not remembered (streamed, or not worth holding)."""

INLINE_FILE_BYTES = 64 << 10
"""A file the server sent itself (pathsend) and no bigger than this is remembered as its
bytes: for a small file, the server opening and reading it costs more than the sending
(measured on 2 cores with a 5 kB wheel: 20,000 req/s sent by path, 42,000 from memory).
Files are immutable under their path (blobs are named by their digest), so the bytes stay
true as long as the entry does."""

_KEYED = frozenset({b"host", b"accept", b"accept-encoding", b"authorization"})
_FORWARDED = frozenset({b"x-forwarded-proto", b"x-forwarded-host"})
_BYPASS = frozenset({b"range", b"if-range", b"if-none-match", b"if-modified-since"})


@dataclass(slots=True)
class Remember:
    """A route's statement about its response: valid while ``current()`` still returns
    ``token`` and until ``expires_at`` (``time.time()`` seconds; None: no expiry)."""

    current: Callable[[], Hashable]
    token: Hashable
    expires_at: float | None = None
    """Seconds since the epoch, by the services' clock."""
    present: Callable[[], bool] | None = None
    """Whether what the response sends is still there (a page file the cache may sweep)."""
    on_hit: Callable[[Scope], Awaitable[None]] | None = None
    log: dict[str, Any] = field(default_factory=dict)
    """What the access log notes about the request (index, principal), replayed on hits."""


@dataclass(slots=True)
class _Entry:
    remember: Remember
    messages: list[Message]
    size: int
    """What the entry holds in memory."""
    status: int
    sent: int
    """The bytes of the response body, for the access log."""


Replayed = Callable[[Scope, int, int, Mapping[str, Any], float], None]
"""Told of each replay: the scope, status, body bytes, what the access log notes about
the request (principal, index) and the seconds it took (``AccessLog.record``)."""


def remember(scope: Scope, statement: Remember) -> None:
    """Let the response to this request be replayed while ``statement`` holds (a no-op
    when no memo stands in front of the app)."""
    held: list[Remember] | None = scope.get(MEMO_KEY)
    if held is not None:
        held[:] = [statement]


class ResponseMemo:
    """ASGI middleware: replays remembered responses, and remembers those routes mark."""

    def __init__(
        self, app: ASGIApp, clock: Clock, *, trusted_proxies: frozenset[str] = frozenset(),
        max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES,
        replayed: Replayed | None = None,
    ) -> None:
        self._app = app
        self._replayed = replayed
        self._clock = clock
        self._trusted = trusted_proxies
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()

    @property
    def entries(self) -> int:
        return len(self._entries)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope) if scope["type"] == "http" else None
        if key is None:
            await self._app(scope, receive, send)
            return
        entry = self._entries.get(key)
        if entry is not None:
            if self._holds(entry.remember):
                started = time.perf_counter()
                self._entries.move_to_end(key)
                await self._replay(entry, scope, send)
                if self._replayed is not None:
                    self._replayed(scope, entry.status, entry.sent, entry.remember.log,
                                   time.perf_counter() - started)
                return
            self._drop(key)
        messages: list[Message] | None = []
        size = 0
        held: list[Remember] = []
        scope[MEMO_KEY] = held  # shared with the scopes the app derives from this one

        async def keeping(message: Message) -> None:
            # Collect only what may be kept: a marked 200 of bounded size (a streamed
            # file is not held in memory while it goes out).
            nonlocal messages, size
            if messages is not None:
                if message["type"] == "http.response.start" and (
                    message["status"] != 200 or not held
                ):
                    messages = None
                else:
                    size += len(message.get("body", b""))
                    if size > MAX_BODY_BYTES:
                        messages = None
                    else:
                        messages.append(message)
            await send(message)

        await self._app(scope, receive, keeping)
        if held and messages and _whole(messages):
            messages = _inlined(messages)
            self._keep(key, held[0], messages, scope)

    def _key(self, scope: Scope) -> tuple[object, ...] | None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            return None
        picked: list[tuple[bytes, bytes]] = []
        for name, value in scope["headers"]:
            if name in _KEYED:
                picked.append((name, value))
            elif name in _BYPASS:
                return None
            elif name in _FORWARDED:
                picked.append((name, value))
        client = scope.get("client")
        trusted = client is not None and client[0] in self._trusted
        return (method, scope["path"], scope["query_string"], trusted, *sorted(picked))

    def _holds(self, statement: Remember) -> bool:
        expires = statement.expires_at
        if expires is not None and self._clock.now().timestamp() >= expires:
            return False
        if statement.current() != statement.token:
            return False
        return statement.present is None or statement.present()

    async def _replay(self, entry: _Entry, scope: Scope, send: Send) -> None:
        for message in entry.messages:
            await send(message)
        if entry.remember.on_hit is not None:
            await entry.remember.on_hit(scope)

    def _keep(
        self, key: Hashable, statement: Remember, messages: list[Message], scope: Scope,
    ) -> None:
        if any(name == b"authorization" for name, _ in scope["headers"]):
            limit = self._clock.now().timestamp() + CREDENTIAL_SECONDS
            if statement.expires_at is None or statement.expires_at > limit:
                statement.expires_at = limit
        note = scope.get(LOG_KEY)
        if note is not None:
            statement.log = {k: note[k] for k in ("index", "principal") if k in note}
        self._drop(key)
        start = messages[0]
        body = sum(len(m.get("body", b"")) for m in messages)  # none for a pathsend
        pathsend = messages[-1]["type"] == PATHSEND
        sent = (declared_length(start["headers"]) or 0) if pathsend else body
        size = body + 512
        self._entries[key] = _Entry(statement, messages, size, start["status"], sent)
        self._bytes += size
        while self._entries and (
            self._bytes > self._max_bytes or len(self._entries) > self._max_entries
        ):
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    def _drop(self, key: Hashable) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size


def _whole(messages: list[Message]) -> bool:
    """A start, then body messages ending without ``more_body``, or one pathsend."""
    if messages[0]["type"] != "http.response.start":
        return False
    last = messages[-1]
    if last["type"] == PATHSEND:
        return len(messages) == 2
    return last["type"] == "http.response.body" and not last.get("more_body", False)


def _inlined(messages: list[Message]) -> list[Message]:
    """``messages`` with a small file sent by path replaced by its bytes."""
    start, last = messages[0], messages[-1]
    if last["type"] != PATHSEND:
        return messages
    length = declared_length(start["headers"])
    if length is None or length > INLINE_FILE_BYTES:
        return messages
    try:
        with open(last["path"], "rb") as file:  # small, and just sent: in the page cache
            body = file.read(INLINE_FILE_BYTES + 1)
    except OSError:
        return messages
    if len(body) != length:
        return messages
    return [start, {"type": "http.response.body", "body": body}]
