"""Which packument a client asked for: the abbreviated ("corgi") one or the full one.

npm, pnpm and yarn classic send ``application/vnd.npm.install-v1+json; q=1.0,
application/json; q=0.8, */*``; yarn berry, ``npm view`` and ``npm audit signatures`` ask for
``application/json`` (or send no Accept) and need the full document. Only a client that names
the corgi type explicitly gets it: a wildcard never does, because a client that did not ask
for the abbreviated shape may rely on fields it drops.
"""

from __future__ import annotations

from functools import lru_cache

from wharf.formats.wire import parse_accept

ABBREVIATED = "application/vnd.npm.install-v1+json"
"""The abbreviated packument's media type; also the Content-Type it must be served with
(pnpm checks it to tell whether the server honoured the Accept header)."""
JSON = "application/json"


def wants_abbreviated(accept: str | None) -> bool:
    """True when ``accept`` lists the corgi type with q > 0, ranked at least as high as
    ``application/json`` (as matched by its most specific range, wildcards included)."""
    if accept is None or not accept.strip():
        return False
    return _wants_abbreviated(accept)


@lru_cache(maxsize=256)
def _wants_abbreviated(accept: str) -> bool:
    corgi: float | None = None
    json_quality: tuple[int, float] = (0, 0.0)  # (specificity, quality)
    for media_range, quality in parse_accept(accept):
        if media_range == ABBREVIATED:
            corgi = quality if corgi is None else max(corgi, quality)
        specificity = _json_specificity(media_range)
        if specificity > json_quality[0]:
            json_quality = (specificity, quality)
        elif specificity and specificity == json_quality[0]:
            json_quality = (specificity, max(json_quality[1], quality))
    return corgi is not None and corgi > 0 and corgi >= json_quality[1]


def _json_specificity(media_range: str) -> int:
    """How specifically a range names ``application/json``: 3 exactly, 0 not at all."""
    if media_range == JSON:
        return 3
    if media_range == "application/*":
        return 2
    if media_range == "*/*":
        return 1
    return 0

