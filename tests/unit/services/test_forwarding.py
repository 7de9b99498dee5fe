"""Which upstream a forwarded query goes to, what travels with it, and how upstream
failures are reported."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import pytest

from wharf.core.errors import ForbiddenError, UpstreamError, UpstreamTimeoutError
from wharf.core.models import Acl, Index, IndexKind, Principal
from wharf.core.ports import Upstream, UpstreamReply
from wharf.services.forwarding import ForwardService, select_headers
from wharf.services.indexes import IndexService, walk_members

LOCAL = Index("local", "npm", IndexKind.HOSTED)
REMOTE = Index("remote", "npm", IndexKind.PROXY, upstream="http://127.0.0.1:9/reg/")
OTHER = Index("other", "npm", IndexKind.PROXY, upstream="http://127.0.0.1:9/other")
INNER = Index("inner", "npm", IndexKind.GROUP, members=("local", "remote"))
OUTER = Index("outer", "npm", IndexKind.GROUP, members=("missing", "local", "inner", "other"))
LOOP = Index("loop", "npm", IndexKind.GROUP, members=("loop", "knot"))
KNOT = Index("knot", "npm", IndexKind.GROUP, members=("loop", "local"))
PRIVATE = Index("private", "npm", IndexKind.GROUP, members=("remote",),
                acl=Acl(read=("bob",)))


class Indexes:
    def __init__(self, *indexes: Index) -> None:
        self._by_name = {index.name: index for index in indexes}

    async def find(self, name: str) -> Index | None:
        return self._by_name.get(name)

    async def expand(self, index: Index) -> tuple[Index, ...]:
        return await walk_members(index, self.find)


class Recorder:
    def __init__(self, reply: UpstreamReply | Exception) -> None:
        self.reply = reply
        self.calls: list[tuple[str, str, bytes | None, dict[str, str]]] = []

    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> UpstreamReply:
        return self._answer("GET", url, None, headers)

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> UpstreamReply:
        return self._answer("POST", url, body, headers)

    def _answer(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str] | None
    ) -> UpstreamReply:
        self.calls.append((method, url, body, dict(headers or {})))
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def service(reply: UpstreamReply | Exception | None = None) -> tuple[ForwardService, Recorder]:
    recorder = Recorder(reply or UpstreamReply(200, {"content-type": "application/json"},
                                               b"{}", ""))
    indexes = Indexes(LOCAL, REMOTE, OTHER, INNER, OUTER, LOOP, KNOT, PRIVATE)
    return (ForwardService(cast(IndexService, indexes), cast(Upstream, recorder)), recorder)


@pytest.mark.parametrize(
    ("index", "expected"),
    [(REMOTE, "remote"), (LOCAL, None), (INNER, "remote"), (OUTER, "remote"), (LOOP, None)],
)
async def test_the_upstream_asked(index: Index, expected: str | None) -> None:
    forwarding, _ = service()
    found = await forwarding.proxy_for(index)
    assert (found.name if found else None) == expected


async def test_a_proxy_without_an_upstream_url_asks_no_one() -> None:
    forwarding, _ = service()
    assert await forwarding.proxy_for(Index("bare", "npm", IndexKind.PROXY)) is None


async def test_a_query_goes_to_the_upstream_root_with_only_its_own_headers() -> None:
    forwarding, recorder = service(UpstreamReply(200, {"content-type": "application/json"},
                                                 b'{"a": []}', ""))
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
               "Authorization": "Bearer secret", "Cookie": "c=1", "npm-command": "audit",
               "user-agent": "npm/11"}
    answer = await forwarding.forward(OUTER, Principal(None), "-/npm/v1/security/advisories/bulk",
                                      body=b"\x1f\x8b gzip", headers=headers)
    assert answer is not None
    assert (answer.status, answer.body, answer.via) == (200, b'{"a": []}', "remote")
    [(method, url, body, sent)] = recorder.calls
    assert (method, url, body) == (
        "POST", "http://127.0.0.1:9/reg/-/npm/v1/security/advisories/bulk", b"\x1f\x8b gzip"
    )
    assert sent == {"content-type": "application/json", "content-encoding": "gzip",
                    "npm-command": "audit"}


async def test_a_root_without_a_trailing_slash_gets_one() -> None:
    forwarding, recorder = service()
    await forwarding.ask(OTHER, "-/npm/v1/keys")
    assert recorder.calls[0][:2] == ("GET", "http://127.0.0.1:9/other/-/npm/v1/keys")


async def test_a_hosted_index_has_no_one_to_ask() -> None:
    forwarding, recorder = service()
    assert await forwarding.forward(LOCAL, Principal(None), "-/npm/v1/keys") is None
    assert recorder.calls == []


async def test_reading_rights_are_checked_before_anything_is_sent() -> None:
    forwarding, recorder = service()
    with pytest.raises(ForbiddenError):
        await forwarding.forward(PRIVATE, Principal("eve"), "-/npm/v1/keys")
    assert recorder.calls == []
    assert await forwarding.forward(PRIVATE, Principal("bob"), "-/npm/v1/keys") is not None


async def test_client_errors_pass_through_as_the_upstream_said() -> None:
    forwarding, _ = service(UpstreamReply(404, {"content-type": "text/plain"}, b"nope", ""))
    answer = await forwarding.ask(REMOTE, "-/npm/v1/attestations/x@1.0.0")
    assert (answer.status, answer.body, answer.content_type) == (404, b"nope", "text/plain")


@pytest.mark.parametrize("status", [500, 503, 401, 403, 429])
async def test_upstream_failures_become_upstream_errors(status: int) -> None:
    forwarding, _ = service(UpstreamReply(status, {}, b"", ""))
    with pytest.raises(UpstreamError, match=f"upstream of 'remote' answered {status}") as raised:
        await forwarding.ask(REMOTE, "-/npm/v1/keys")
    assert "reachable" in raised.value.hint


async def test_network_failures_keep_their_kind_and_get_a_hint() -> None:
    forwarding, _ = service(UpstreamTimeoutError("upstream http://127.0.0.1:9 timed out"))
    with pytest.raises(UpstreamTimeoutError, match="timed out") as raised:
        await forwarding.ask(REMOTE, "-/npm/v1/keys")
    assert "passes this query on" in raised.value.hint


def test_header_selection_ignores_case() -> None:
    assert select_headers({"ACCEPT": "application/json", "X-Other": "1"}) == {
        "accept": "application/json"
    }
