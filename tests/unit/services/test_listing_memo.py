"""The per-worker memo of parsed upstream listings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wharf.core.models import UpstreamDocument
from wharf.services.listing_memo import BYTES_PER_ITEM, HOLD, ListingMemo, estimate_bytes

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def document(project: str, files: int) -> UpstreamDocument:
    body = {"name": project, "files": [{"filename": f"{project}-{n}.whl", "url": "u"}
                                       for n in range(files)]}
    return UpstreamDocument("remote", project, NOW, True, body)


def test_the_estimate_counts_values_three_levels_deep() -> None:
    body = {"name": "x", "files": [{"a": 1, "b": 2}] * 10, "versions": {"1": {"k": 1}}}
    # name, files, 10 files x (1 + 2 fields), versions, one version x (1 + 1 field)
    assert estimate_bytes(body) == (1 + 1 + 30 + 1 + 2) * BYTES_PER_ITEM


def test_a_listing_is_held_for_the_upstream_it_came_from() -> None:
    memo = ListingMemo()
    memo.put("http://a/", document("demo", 3), NOW)
    held = memo.get("remote", "http://a/", "demo")
    assert held is not None
    assert held.project == "demo"
    assert memo.get("remote", "http://b/", "demo") is None
    assert memo.get("other", "http://a/", "demo") is None


def test_the_least_recently_used_listings_go_first_past_the_budget() -> None:
    one = estimate_bytes(document("a", 10).body)
    memo = ListingMemo(budget=one * 2)
    memo.put("u", document("a", 10), NOW)
    memo.put("u", document("b", 10), NOW)
    assert memo.get("remote", "u", "a") is not None  # now the most recent
    memo.put("u", document("c", 10), NOW)
    assert memo.get("remote", "u", "b") is None
    assert memo.get("remote", "u", "a") is not None
    assert memo.get("remote", "u", "c") is not None


def test_a_listing_bigger_than_the_budget_is_not_held() -> None:
    memo = ListingMemo(budget=estimate_bytes(document("a", 10).body))
    memo.put("u", document("a", 10), NOW)
    memo.put("u", document("big", 1000), NOW)
    assert memo.get("remote", "u", "big") is None
    assert memo.get("remote", "u", "a") is not None


def test_a_newer_copy_replaces_the_old_one() -> None:
    memo = ListingMemo()
    memo.put("u", document("a", 10), NOW)
    memo.put("u", document("a", 2), NOW)
    held = memo.get("remote", "u", "a")
    assert held is not None
    assert len(held.body["files"]) == 2


def test_listings_are_let_go_once_held_long_enough() -> None:
    memo = ListingMemo()
    memo.put("u", document("a", 2), NOW)
    memo.put("u", document("b", 2), NOW + timedelta(seconds=30))
    memo.expire(NOW + HOLD - timedelta(seconds=1))
    assert len(memo) == 2
    memo.expire(NOW + HOLD)
    assert memo.get("remote", "u", "a") is None
    assert memo.get("remote", "u", "b") is not None
    memo.expire(NOW + HOLD + timedelta(seconds=30))
    assert len(memo) == 0

