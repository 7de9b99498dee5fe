"""PEP 691 content negotiation for the simple repository API.

``negotiate`` picks the concrete media type of a simple page from the request's ``Accept``
header and the optional ``?format=`` query parameter (which wins). Missing ``Accept`` or a bare
``*/*`` answers ``text/html``, as pip, uv and browsers expect; ``None`` means nothing the
client accepts is on offer (the caller answers 406).
"""

from __future__ import annotations

from functools import lru_cache

from wharf.formats.wire import parse_accept

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
JSON_LATEST = "application/vnd.pypi.simple.latest+json"
HTML_LATEST = "application/vnd.pypi.simple.latest+html"

CONCRETE = (JSON_V1, HTML_V1, TEXT_HTML)
"""Every media type a simple page may be served as."""

_ALIASES = {
    JSON_V1: JSON_V1,
    HTML_V1: HTML_V1,
    TEXT_HTML: TEXT_HTML,
    JSON_LATEST: JSON_V1,
    HTML_LATEST: HTML_V1,
}

# Tie-breaks at equal quality and specificity. An explicit request prefers the most
# featureful form; a bare wildcard gets plain HTML (what browsers and curl want to see).
_PREFER_EXPLICIT = {JSON_V1: 2, HTML_V1: 1, TEXT_HTML: 0}
_PREFER_WILDCARD = {TEXT_HTML: 2, JSON_V1: 1, HTML_V1: 0}

_EXACT, _SUBTYPE_WILDCARD, _FULL_WILDCARD = 3, 2, 1


def is_json(media_type: str) -> bool:
    """True when ``media_type`` (as returned by ``negotiate``) is the JSON form."""
    return media_type == JSON_V1


def negotiate(accept: str | None, format_param: str | None = None) -> str | None:
    """The concrete media type to answer with, or None when nothing acceptable is on offer."""
    if format_param is not None and format_param.strip():
        # An unencoded "+" in a query string arrives as a space.
        return _ALIASES.get(format_param.strip().lower().replace(" ", "+"))
    if accept is None or not accept.strip():
        return TEXT_HTML
    return _negotiate_accept(accept)


@lru_cache(maxsize=512)
def _negotiate_accept(accept: str) -> str | None:
    # For each offered type: (quality, specificity) of the most specific matching range.
    found: dict[str, tuple[float, int]] = {}
    for media_range, quality in parse_accept(accept):
        for offered, specificity in _matches(media_range):
            previous = found.get(offered)
            if previous is None or specificity > previous[1]:
                found[offered] = (quality, specificity)
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for offered, (quality, specificity) in found.items():
        if quality <= 0:
            continue
        prefer = _PREFER_WILDCARD if specificity == _FULL_WILDCARD else _PREFER_EXPLICIT
        key = (quality, specificity, prefer[offered])
        if best is None or key > best:
            best, chosen = key, offered
    return chosen




def _matches(media_range: str) -> list[tuple[str, int]]:
    """The offered types a media range covers, each with how specifically it names them."""
    concrete = _ALIASES.get(media_range)
    if concrete is not None:
        return [(concrete, _EXACT)]
    if media_range == "*/*":
        return [(offered, _FULL_WILDCARD) for offered in CONCRETE]
    kind, _, subtype = media_range.partition("/")
    if subtype == "*":
        return [(o, _SUBTYPE_WILDCARD) for o in CONCRETE if o.startswith(kind + "/")]
    return []
