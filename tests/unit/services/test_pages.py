"""The rendered-page cache: a gzip variant made once per build (and only when worth it),
and byte accounting that counts both variants of every page."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from wharf.services.pages import (
    MIN_COMPRESS_BYTES,
    PageCache,
    Rendered,
    compress,
    compressed,
    variant_etag,
)


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def document(entries: int) -> bytes:
    """Compressible JSON of roughly ``entries`` * 60 bytes."""
    versions = {f"1.{i}.0": {"dist": {"shasum": f"{i:040x}"}} for i in range(entries)}
    return json.dumps(versions).encode()


class Builder:
    """A build step that counts its calls."""

    def __init__(self, body: bytes, etag: str = '"e1"', expires_at: datetime | None = None) -> None:
        self.body = body
        self.etag = etag
        self.expires_at = expires_at
        self.calls = 0

    async def __call__(self) -> tuple[Rendered, datetime | None]:
        self.calls += 1
        return Rendered(self.body, self.etag), self.expires_at


def test_variant_etag_goes_inside_the_quotes() -> None:
    assert variant_etag('"abc"', "gz") == '"abc-gz"'
    assert variant_etag('W/"abc"', "gz") == 'W/"abc-gz"'
    assert Rendered(b"x", '"abc"').gzip_etag is None
    assert Rendered(b"x", '"abc"', gzip=b"y").gzip_etag == '"abc-gz"'


def test_compress_skips_small_and_incompressible_bodies() -> None:
    assert compress(b"{}" * (MIN_COMPRESS_BYTES // 2 - 1)) is None
    assert compress(os.urandom(4096)) is None
    body = document(200)
    packed = compress(body)
    assert packed is not None
    assert gzip.decompress(packed) == body
    assert compress(body) == packed  # deterministic: no timestamp in the header


async def test_compressed_keeps_the_identity_form_and_adds_gzip() -> None:
    body = document(200)
    rendered = await compressed(Rendered(body, '"t"', stale=True))
    assert rendered.body == body
    assert rendered.etag == '"t"'
    assert rendered.stale
    assert rendered.gzip is not None
    assert gzip.decompress(rendered.gzip) == body
    assert rendered.size == len(body) + len(rendered.gzip)
    small = Rendered(b"{}", '"s"')
    assert await compressed(small) is small


async def test_a_page_is_built_and_compressed_once_then_served_from_memory() -> None:
    cache = PageCache(Clock())
    build = Builder(document(500))
    first = await cache.get("k", 1, build)
    second = await cache.get("k", 1, build)
    assert build.calls == 1
    assert second is first
    assert first.gzip is not None
    assert gzip.decompress(first.gzip) == build.body
    assert cache.bytes_held == len(first.body) + len(first.gzip)


async def test_a_new_token_rebuilds_and_the_accounting_follows() -> None:
    cache = PageCache(Clock())
    small = await cache.get("k", 1, Builder(b"{}"))
    assert small.gzip is None
    assert cache.bytes_held == 2
    big = await cache.get("k", 2, Builder(document(500)))
    assert big.gzip is not None
    assert cache.bytes_held == len(big.body) + len(big.gzip)
    again = await cache.get("k", 3, Builder(b"[]"))
    assert again.gzip is None
    assert cache.bytes_held == 2


async def test_expiry_rebuilds() -> None:
    clock = Clock()
    cache = PageCache(clock)
    build = Builder(document(100), expires_at=clock.now() + timedelta(seconds=60))
    await cache.get("k", 1, build)
    clock.moment += timedelta(seconds=61)
    await cache.get("k", 1, build)
    assert build.calls == 2


async def test_eviction_counts_both_variants() -> None:
    body = document(2000)
    packed = compress(body)
    assert packed is not None
    per_page = len(body) + len(packed)
    # Five identity bodies would fit; counting the gzip forms too, only four pages do.
    cache = PageCache(Clock(), max_bytes=5 * len(body) + 2 * len(packed))
    builds = {key: Builder(body) for key in "abcde"}
    for key in "abcde":
        await cache.get(key, 1, builds[key])
    assert cache.bytes_held == 4 * per_page
    for key in "bcde":
        await cache.get(key, 1, builds[key])
    assert [b.calls for b in builds.values()] == [1, 1, 1, 1, 1]
    await cache.get("a", 1, builds["a"])  # the oldest, evicted: built again
    assert builds["a"].calls == 2
    assert cache.bytes_held == 4 * per_page


async def test_a_page_too_big_to_keep_is_still_served_with_its_gzip_form() -> None:
    body = document(2000)
    cache = PageCache(Clock(), max_bytes=len(body))  # a quarter of it is the per-page cap
    build = Builder(body)
    rendered = await cache.get("k", 1, build)
    assert rendered.gzip is not None
    assert cache.bytes_held == 0
    await cache.get("k", 1, build)
    assert build.calls == 2


@pytest.mark.parametrize("entries", [0, 10])
async def test_small_pages_cost_no_thread_hop(entries: int) -> None:
    """Pages under the threshold come back as built, without a gzip form."""
    body = document(entries)
    assert len(body) < MIN_COMPRESS_BYTES
    rendered = await PageCache(Clock()).get("k", 1, Builder(body))
    assert rendered.gzip is None
