"""Wire details every format shares: Accept headers, upstream HTTP statuses turned into
errors, and ISO 8601 times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wharf.core.errors import UpstreamError


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


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime; None when absent or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
