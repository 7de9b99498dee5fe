"""Wire details every format shares: Accept headers, upstream HTTP statuses turned into
errors, and ISO 8601 times."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from wharf.core.errors import UpstreamError
from wharf.core.ports import Upstream, UpstreamReply
from wharf.formats.base import FetchStatus, UpstreamFetch


def parse_accept(accept: str) -> list[tuple[str, float]]:
    """``(media range, quality)`` per entry of an Accept header, lower-cased; entries with a
    malformed quality are dropped."""
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media_range, *params = part.split(";")
        media_range = media_range.strip().lower()
        if "/" not in media_range:
            continue
        quality: float | None = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = None
        if quality is not None:
            ranges.append((media_range, quality))
    return ranges


def upstream_status_error(url: str, status: int, speaks: str) -> UpstreamError:
    """The error for an upstream answer that is neither content, 304 nor "not found";
    ``speaks`` names the protocol the upstream should speak ("a simple index")."""
    if status in (401, 403, 407):
        return UpstreamError(
            f"Upstream {url} refused the request (HTTP {status}).",
            hint="Check the proxy index's upstream URL and credentials.",
        )
    if status == 429:
        return UpstreamError(
            f"Upstream {url} is rate limiting requests (HTTP 429).",
            hint="Cached copies are served meanwhile; try again later.",
        )
    if status >= 500:
        return UpstreamError(
            f"Upstream {url} failed (HTTP {status}).",
            hint="Cached copies are served while it is down; try again later.",
        )
    return UpstreamError(
        f"Upstream {url} answered with unexpected HTTP {status}.",
        hint=f"Check that the proxy index's upstream URL points at {speaks}.",
    )


_ENTRY = json.JSONDecoder()


def entry_in_text(text: str, anchor: str, at: int = 0) -> dict[str, Any] | None:
    """The JSON object that starts ``at`` characters into the first ``anchor`` in
    ``text``, decoded alone; None when the anchor is not there or no object starts there.
    How a download reads one entry of a stored listing of thousands."""
    start = text.find(anchor)
    if start < 0:
        return None
    try:
        item, _ = _ENTRY.raw_decode(text, start + at)
    except ValueError:
        return None
    return item if isinstance(item, dict) else None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime; None when absent or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def get_listing(
    upstream: Upstream,
    url: str,
    *,
    accept: str,
    etag: str | None,
    last_modified: str | None,
    speaks: str,
) -> UpstreamReply | UpstreamFetch:
    """A conditional GET of an upstream listing: the 200 reply for the format to parse, or
    the outcome itself when there is nothing to parse (not modified, missing). Any other
    status raises ``UpstreamError``, so the caller falls back to its cached copy."""
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    reply = await upstream.get(url, headers)
    if reply.status == 304:
        return UpstreamFetch(
            FetchStatus.NOT_MODIFIED,
            etag=reply.headers.get("etag") or etag,
            last_modified=reply.headers.get("last-modified") or last_modified,
        )
    if reply.status in (404, 410):
        return UpstreamFetch(FetchStatus.MISSING)
    if reply.status != 200:
        raise upstream_status_error(url, reply.status, speaks)
    return reply if reply.url else replace(reply, url=url)


def fetched(reply: UpstreamReply, body: Any) -> UpstreamFetch:
    """The outcome of a 200 listing whose body the format has parsed."""
    return UpstreamFetch(
        FetchStatus.OK,
        body=body,
        etag=reply.headers.get("etag"),
        last_modified=reply.headers.get("last-modified"),
    )
