"""Content-coding negotiation (RFC 9110 §12.5.3): whether a cached page goes out gzip'd.

Wharf keeps at most two forms of a page, identity and gzip, so the question is only which
of the two the client prefers. What real clients send: npm ``gzip,deflate``; pip and yarn
``gzip, deflate``; pnpm ``zstd,gzip,deflate``; uv ``gzip, deflate, zstd``.
"""

from __future__ import annotations

GZIP = "gzip"
IDENTITY = "identity"

_ALIASES = {"x-gzip": GZIP}
"""RFC 9110 §8.4.1.3: a recipient should treat ``x-gzip`` as ``gzip``."""


def qualities(header: str) -> dict[str, float]:
    """Each coding named in an Accept-Encoding value with its q-value (1 when not given).

    Names are lower-cased; an entry with a malformed q-value is ignored rather than guessed
    at; when a coding is listed twice, the first mention counts.
    """
    found: dict[str, float] = {}
    for item in header.split(","):
        name, _, params = item.partition(";")
        coding = name.strip().lower()
        if not coding:
            continue
        coding = _ALIASES.get(coding, coding)
        quality = _quality(params)
        if quality is not None and coding not in found:
            found[coding] = quality
    return found


def choose(header: str | None, *, gzip_available: bool) -> str:
    """``"gzip"`` when the client accepts gzip at least as much as identity, else
    ``"identity"``. Identity, when neither named nor covered by ``*``, ranks below any
    coding the client did name (``gzip;q=0.4`` alone still means "gzip, please").

    No header means the client said nothing about codings: it gets identity, since a client
    that never asked may not decode. When the client refuses both (``identity;q=0`` with no
    gzip), identity is sent anyway, which RFC 9110 allows ("disregard the header field")
    and which beats a 406 for an installer.
    """
    if not gzip_available or header is None:
        return IDENTITY
    given = qualities(header)
    star = given.get("*")
    gzip_q = given.get(GZIP, star if star is not None else 0.0)
    identity_q = given.get(IDENTITY, star if star is not None else 0.0)
    if gzip_q > 0 and gzip_q >= identity_q:
        return GZIP
    return IDENTITY


def _quality(params: str) -> float | None:
    """The ``q`` parameter of one entry: 1.0 when absent, None when malformed."""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() != "q":
            continue
        try:
            quality = float(value.strip())
        except ValueError:
            return None
        return quality if 0.0 <= quality <= 1.0 else None
    return 1.0
