"""Accept-Encoding negotiation: which of a page's two forms (identity, gzip) a client gets."""

from __future__ import annotations

import pytest

from wharf.web.encoding import GZIP, IDENTITY, choose, qualities


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # What installers send (npm, pip and yarn, pnpm, uv).
        ("gzip,deflate", GZIP),
        ("gzip, deflate", GZIP),
        ("zstd,gzip,deflate", GZIP),
        ("gzip, deflate, zstd", GZIP),
        # Case, spacing, the x-gzip alias, extra parameters.
        ("GZip", GZIP),
        ("x-gzip", GZIP),
        (" gzip ; q=1.0 ", GZIP),
        ("gzip;foo=bar;q=0.4", GZIP),
        # Refusals and preferences.
        ("gzip;q=0", IDENTITY),
        ("gzip;q=0.000, deflate", IDENTITY),
        ("gzip;q=0.5, identity", IDENTITY),
        ("gzip;q=0.5, identity;q=0.4", GZIP),
        ("gzip, identity", GZIP),
        ("identity", IDENTITY),
        ("deflate, br", IDENTITY),
        # The wildcard stands for what is not named.
        ("*", GZIP),
        ("*;q=0", IDENTITY),
        ("*;q=0, identity", IDENTITY),
        ("identity;q=0, *", GZIP),
        ("*, gzip;q=0", IDENTITY),
        ("br, *;q=0.1", GZIP),
        # Nothing acceptable: identity anyway, rather than a 406 to an installer.
        ("identity;q=0", IDENTITY),
        ("identity;q=0, gzip;q=0", IDENTITY),
        # An empty value asks for no coding.
        ("", IDENTITY),
        # Malformed q-values are ignored, not guessed at.
        ("gzip;q=high", IDENTITY),
        ("gzip;q=2", IDENTITY),
        ("gzip;q=nan", IDENTITY),
        ("gzip;q=-1, *", GZIP),
        (",,gzip,,", GZIP),
    ],
)
def test_choose(header: str, expected: str) -> None:
    assert choose(header, gzip_available=True) == expected


def test_no_header_means_identity() -> None:
    """A client that sent nothing may not decode, whatever RFC 9110 allows."""
    assert choose(None, gzip_available=True) == IDENTITY


def test_without_a_gzip_variant_identity_is_the_only_answer() -> None:
    assert choose("gzip", gzip_available=False) == IDENTITY
    assert choose("identity;q=0, gzip", gzip_available=False) == IDENTITY


def test_qualities_keeps_the_first_mention_and_lowercases() -> None:
    assert qualities("GZIP;q=0.3, gzip, BR;Q=0.7") == {"gzip": 0.3, "br": 0.7}
