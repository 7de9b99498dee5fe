"""Proxy semantics (DESIGN.md section 5) on the real services and SQLite, with the upstream
port replaced by a scripted one and the clock injected."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scripted import Clock, ScriptedUpstream, count_listing_reads, python_proxy_services

from wharf.core.errors import NotFoundError, UpstreamError, UpstreamIntegrityError
from wharf.core.models import Artifact, Index, IndexKind
from wharf.core.ports import UpstreamReply
from wharf.formats.base import UpstreamFetch
from wharf.formats.python.upstream import PythonUpstream
from wharf.services.container import Services
from wharf.services.proxying import (
    CONCURRENT_DIGESTS,
    CONCURRENT_FETCHES,
    HANDED_OVER,
    StoredFile,
    StreamedFile,
)
from wharf.storage.filesystem import FilesystemBlobWriter

UPSTREAM = "http://upstream.test/simple/"
WHEEL = b"wheel bytes " * 1000
WHEEL_SHA = hashlib.sha256(WHEEL).hexdigest()


def html_page(sha: str = WHEEL_SHA) -> bytes:
    return (
        "<!DOCTYPE html><html><body>"
        f'<a href="../../files/demo-1.0-py3-none-any.whl#sha256={sha}" '
        'data-requires-python="&gt;=3.9">demo-1.0-py3-none-any.whl</a>'
        "</body></html>"
    ).encode()


@pytest.fixture
def upstream() -> ScriptedUpstream:
    scripted = ScriptedUpstream()
    scripted.pages[UPSTREAM + "demo/"] = (
        200, {"content-type": "text/html", "etag": '"v1"'}, html_page()
    )
    scripted.pages["http://upstream.test/files/demo-1.0-py3-none-any.whl"] = (200, {}, WHEEL)
    return scripted


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def services(
    tmp_path: Path, upstream: ScriptedUpstream, clock: Clock
) -> AsyncIterator[Services]:
    async with python_proxy_services(tmp_path, upstream, clock, UPSTREAM) as built:
        yield built


async def remote(services: Services) -> Index:
    return await services.indexes.get("remote")


async def test_listing_is_fetched_once_within_the_freshness_window(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    index = await remote(services)
    first = await services.reading.page(index, "demo")
    clock.advance(60)
    second = await services.reading.page(index, "demo")
    assert [f.filename for f in first.page.files] == ["demo-1.0-py3-none-any.whl"]
    assert second.page.files == first.page.files
    assert len(upstream.requests) == 1


async def test_stale_listing_is_revalidated_with_its_etag(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    index = await remote(services)
    await services.reading.page(index, "demo")
    clock.advance(3600)
    view = await services.reading.page(index, "demo")
    assert len(upstream.requests) == 2
    assert upstream.requests[1][1].get("If-None-Match") == '"v1"'
    assert not view.page.stale
    assert view.expires_at == clock.now() + timedelta(seconds=600)


async def test_upstream_failure_serves_the_stale_copy_and_says_so(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    index = await remote(services)
    await collect(await services.reading.open_file(index, "demo", "demo-1.0-py3-none-any.whl"))
    clock.advance(3600)
    upstream.down = True
    view = await services.reading.page(index, "demo")
    assert view.page.stale
    assert [f.filename for f in view.page.files] == ["demo-1.0-py3-none-any.whl"]


async def test_a_stale_listing_offers_only_cached_files(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    """With upstream down, a file that is not cached cannot be installed: listing it would
    make a resolver pick it and fail half-way, so the stale page leaves it out."""
    index = await remote(services)
    fresh = await services.reading.page(index, "demo")
    assert [f.filename for f in fresh.page.files] == ["demo-1.0-py3-none-any.whl"]
    clock.advance(3600)
    upstream.down = True
    view = await services.reading.page(index, "demo")
    assert view.page.stale
    assert view.page.files == ()
    assert view.page.versions == ()


async def test_a_name_never_seen_fails_when_upstream_is_down(
    services: Services, upstream: ScriptedUpstream
) -> None:
    upstream.down = True
    with pytest.raises(UpstreamError):
        await services.reading.page(await remote(services), "never-seen")


async def test_not_found_is_remembered_briefly(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    index = await remote(services)
    for _ in range(3):
        with pytest.raises(NotFoundError):
            await services.reading.page(index, "missing")
    assert len(upstream.requests) == 1
    clock.advance(61)
    with pytest.raises(NotFoundError):
        await services.reading.page(index, "missing")
    assert len(upstream.requests) == 2


async def test_concurrent_misses_make_one_upstream_request(
    services: Services, upstream: ScriptedUpstream
) -> None:
    index = await remote(services)
    upstream.delay = 0.05
    views = await asyncio.gather(*(services.reading.page(index, "demo") for _ in range(10)))
    assert len(upstream.requests) == 1
    assert all(v.page.files == views[0].page.files for v in views)


async def collect(source: StoredFile | StreamedFile) -> bytes:
    assert isinstance(source, StreamedFile)
    return b"".join([chunk async for chunk in source.chunks])


async def test_a_file_is_streamed_then_served_from_the_cache(
    services: Services, upstream: ScriptedUpstream
) -> None:
    index = await remote(services)
    first = await services.reading.open_file(index, "demo", "demo-1.0-py3-none-any.whl")
    assert await collect(first) == WHEEL
    upstream.down = True
    second = await services.reading.open_file(index, "demo", "demo-1.0-py3-none-any.whl")
    assert isinstance(second, StoredFile)
    assert second.sha256 == WHEEL_SHA
    assert second.path is not None
    assert second.path.read_bytes() == WHEEL


async def test_a_file_whose_hash_does_not_match_is_neither_kept_nor_served_whole(
    services: Services, upstream: ScriptedUpstream
) -> None:
    upstream.pages[UPSTREAM + "demo/"] = (
        200, {"content-type": "text/html"}, html_page("0" * 64)
    )
    index = await remote(services)
    source = await services.reading.open_file(index, "demo", "demo-1.0-py3-none-any.whl")
    assert isinstance(source, StreamedFile)
    received: list[bytes] = []

    async def drain() -> None:
        async for chunk in source.chunks:
            received.append(chunk)

    with pytest.raises(UpstreamIntegrityError):
        await drain()
    assert len(b"".join(received)) < len(WHEEL)
    assert await services.store.get_artifact("remote", "demo-1.0-py3-none-any.whl") is None
    assert not await services.blobs.exists(WHEEL_SHA)


async def first_download(services: Services) -> StreamedFile:
    """The demo wheel, not cached yet: a stream relayed from upstream."""
    source = await services.reading.open_file(
        await remote(services), "demo", "demo-1.0-py3-none-any.whl")
    assert isinstance(source, StreamedFile)
    return source


async def test_the_last_byte_goes_out_before_the_file_is_made_durable(
    services: Services, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once every byte is checked the client gets the last one at once; the fsyncs that
    make the blob durable and its record come after."""
    events: list[str] = []
    commit = FilesystemBlobWriter.commit

    async def noted(self: FilesystemBlobWriter, expected_sha256: str | None = None) -> object:
        events.append("commit")
        return await commit(self, expected_sha256)

    monkeypatch.setattr(FilesystemBlobWriter, "commit", noted)
    source = await first_download(services)
    received = b""
    async for chunk in source.chunks:
        received += chunk
        events.append(f"{len(received)} bytes")
    assert received == WHEEL
    assert events[-2:] == [f"{len(WHEEL)} bytes", "commit"]
    assert await services.store.get_artifact("remote", "demo-1.0-py3-none-any.whl")


async def test_a_client_that_leaves_after_the_last_byte_still_leaves_the_file_cached(
    services: Services, upstream: ScriptedUpstream
) -> None:
    source = await first_download(services)
    received = b""
    async for chunk in source.chunks:
        received += chunk
        if len(received) == len(WHEEL):
            break  # gone without asking for the end
    await source.chunks.aclose()
    assert received == WHEEL
    kept = await services.store.get_artifact("remote", "demo-1.0-py3-none-any.whl")
    assert kept is not None
    assert kept.sha256 == WHEEL_SHA
    assert await services.blobs.exists(WHEEL_SHA)


async def test_group_hides_upstream_releases_of_a_hosted_name(
    services: Services, upstream: ScriptedUpstream
) -> None:
    artifact = Artifact(
        index="local", project="demo", version="0.1", filename="demo-0.1.tar.gz",
        sha256="a" * 64, size=1, uploaded_at=datetime(2026, 1, 1, tzinfo=UTC), kind="sdist",
    )
    await services.store.add_artifact(artifact, display_name="demo", release_metadata={})
    group = await services.indexes.get("all")
    view = await services.reading.page(group, "demo")
    assert [f.filename for f in view.page.files] == ["demo-0.1.tar.gz"]
    assert upstream.requests == []
    with pytest.raises(NotFoundError):
        await services.reading.open_file(group, "demo", "demo-1.0-py3-none-any.whl")


async def test_warm_downloads_through_the_group_make_no_database_round_trip(
    services: Services, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosted = Artifact(
        index="local", project="private", version="1.0", filename="private-1.0.tar.gz",
        sha256="b" * 64, size=1, uploaded_at=datetime(2026, 1, 1, tzinfo=UTC), kind="sdist",
    )
    await services.store.add_artifact(hosted, display_name="private", release_metadata={})
    group = await services.indexes.get("all")
    await collect(await services.reading.open_file(group, "demo", "demo-1.0-py3-none-any.whl"))
    await services.reading.open_file(group, "private", "private-1.0.tar.gz")
    # The first read after caching re-reads once (the files stamp moved); then it is warm.
    await services.reading.open_file(group, "demo", "demo-1.0-py3-none-any.whl")

    queries: list[str] = []
    for name in ("get_artifact", "get_project", "list_artifacts", "get_upstream_document"):
        original = getattr(services.store, name)

        async def counted(*args: object, _name: str = name, _original: object = original) -> object:
            queries.append(_name)
            return await _original(*args)  # type: ignore[operator]

        monkeypatch.setattr(services.store, name, counted)
    upstream.down = True
    cached = await services.reading.open_file(group, "demo", "demo-1.0-py3-none-any.whl")
    private = await services.reading.open_file(group, "private", "private-1.0.tar.gz")
    assert isinstance(cached, StoredFile)
    assert cached.sha256 == WHEEL_SHA
    assert isinstance(private, StoredFile)
    assert private.sha256 == "b" * 64
    assert queries == []


async def test_a_fetched_listing_serves_the_build_that_follows_and_is_then_let_go(
    services: Services, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page build right after a fetch takes the listing just fetched; a worker keeps
    none longer (kept, the big ones were what its memory grew by, for no time saved): a
    later build reads it back, and a download finds its entry in the stored text without
    decoding the listing."""
    decoded = count_listing_reads(services, monkeypatch)
    texts = count_listing_reads(services, monkeypatch, "get_upstream_text")
    index = await remote(services)
    await services.reading.page(index, "demo")
    # Two lookups before the fetch (outside and inside the lock) find nothing.
    assert decoded == ["demo"] * 2
    await services.reading.page(index, "demo")
    assert decoded == ["demo"] * 3
    await collect(await services.reading.open_file(index, "demo", "demo-1.0-py3-none-any.whl"))
    assert decoded == ["demo"] * 3
    assert texts == ["demo"]
    assert len(upstream.requests) == 2  # the listing and the file


async def test_only_the_latest_fetched_listings_wait_for_their_build(
    services: Services, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = await remote(services)
    names = [f"p{n}" for n in range(HANDED_OVER + 1)]
    for name in names:
        upstream.pages[f"{UPSTREAM}{name}/"] = (
            200, {"content-type": "text/html"}, html_page().replace(b"demo", name.encode()))
        await services.proxy.refresh(index, name)
    decoded = count_listing_reads(services, monkeypatch)
    for name in names:
        await services.proxy.listing(index, name)
    assert decoded == names[:1]  # the first fetched was let go: read back


async def test_a_burst_of_listings_is_fetched_and_parsed_a_few_at_a_time(
    services: Services, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of a burst of cold listings, ``CONCURRENT_FETCHES`` are asked of upstream at once and
    held until stored, and ``CONCURRENT_DIGESTS`` of those are parsed and waiting for their
    database write (a parsed listing is many times its size); the rest wait their turn."""
    index = await remote(services)
    names = [f"p{n}" for n in range(CONCURRENT_FETCHES + 3)]
    for name in names:
        upstream.pages[f"{UPSTREAM}{name}/"] = (
            200, {"content-type": "text/html"}, html_page().replace(b"demo", name.encode()))
    parsed: list[str] = []
    original_parse = PythonUpstream.parse

    def parse(self: PythonUpstream, reply: UpstreamReply, project: str) -> UpstreamFetch:
        parsed.append(project)
        return original_parse(self, reply, project)

    monkeypatch.setattr(PythonUpstream, "parse", parse)
    writes_go_on = asyncio.Event()
    original_put = services.store.put_upstream_document

    async def put(document: object) -> None:
        await writes_go_on.wait()
        await original_put(document)  # type: ignore[arg-type]

    monkeypatch.setattr(services.store, "put_upstream_document", put)
    refreshes = [asyncio.create_task(services.proxy.refresh(index, n)) for n in names]
    for _ in range(2000):
        if len(upstream.requests) == CONCURRENT_FETCHES:
            break
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.01)
    assert len(upstream.requests) == CONCURRENT_FETCHES
    assert len(parsed) == CONCURRENT_DIGESTS
    writes_go_on.set()
    await asyncio.gather(*refreshes)
    assert sorted(parsed) == sorted(names)
    assert all([await services.proxy.listing(index, n) for n in names])


async def test_a_file_not_in_the_listing_text_is_looked_up_in_the_decoded_listing(
    services: Services, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = await remote(services)
    await services.reading.page(index, "demo")
    decoded = count_listing_reads(services, monkeypatch)
    with pytest.raises(NotFoundError):
        await services.reading.open_file(index, "demo", "demo-9.0-py3-none-any.whl")
    assert decoded == ["demo"]  # not in the text: the decoded listing decides


async def test_an_index_given_a_new_upstream_does_not_reuse_the_old_listing(
    services: Services, upstream: ScriptedUpstream, clock: Clock
) -> None:
    index = await remote(services)
    await services.reading.page(index, "demo")
    moved = "http://mirror.test/simple/"
    upstream.pages[moved + "demo/"] = (200, {"content-type": "text/html"}, html_page())
    await services.indexes.update(replace(index, upstream=moved))
    await services.store.put_upstream_document(replace(
        await services.store.get_upstream_document("remote", "demo"),  # type: ignore[type-var]
        fetched_at=clock.now() - timedelta(days=1)))
    await services.proxy.listing(await remote(services), "demo")
    assert upstream.requests[-1][0] == moved + "demo/"


async def test_screening_a_page_reads_the_index_list_from_memory(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = await remote(services)
    await services.reading.page(index, "demo")
    listed: list[int] = []
    original = services.store.list_indexes

    async def counted() -> object:
        listed.append(1)
        return await original()

    monkeypatch.setattr(services.store, "list_indexes", counted)
    names = [i.name for i in await services.indexes.list_all()]
    await services.reading.page(index, "demo", screened=True)
    assert listed == []
    await services.indexes.create(Index(name="extra", format="python", kind=IndexKind.HOSTED))
    assert [i.name for i in await services.indexes.list_all()] == sorted([*names, "extra"])
    assert listed == [1]


async def test_building_a_group_page_asks_the_database_once_whether_a_hosted_member_has_it(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hosted member's "does it hold this name" answer is remembered: a second build
    of the page (the policy's settings changed, say) does not ask again."""
    group = await services.indexes.get("all")
    asked: list[tuple[str, str]] = []
    original = services.store.get_project

    async def counted(index: str, project: str) -> object:
        asked.append((index, project))
        return await original(index, project)

    monkeypatch.setattr(services.store, "get_project", counted)
    await services.reading.page(group, "demo")
    await services.reading.page(group, "demo")
    assert asked == [("local", "demo")]
